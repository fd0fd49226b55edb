/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy_plan.h - a parsed policy against the running state: the state as
 * read under the command lock, and the plan of steps that would turn it
 * into the policy (policy_plan.c). Private to policy.c, which shows the
 * state as a policy and applies a plan all or nothing.
 */
#ifndef IFN_POLICY_PLAN_H
#define IFN_POLICY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "mactab.h"
#include "policy_parse.h"
#include "state.h"

/* The running state, read once: a plan is made against it and applied on it. */
struct pol_cur {
	struct ifn_config cfg;
	__u32 *if_keys;
	struct ifn_iface *if_vals;
	long n_ifaces;
	struct ifn_mac_key *dev_keys;
	struct ifn_device *dev_vals;
	long n_devs;
	struct ifn_rule *rules; /* sorted by ifn_rule_cmp: by MAC first */
	size_t n_rules;
	struct ifn_mactab names;
};

enum pol_act {
	A_SETTING,
	A_IFACE,
	A_CREATE,
	A_RULE_ADD,
	A_RULE_ADOPT,
	A_DEVICE, /* mode, rate */
	A_NAME,
	A_RULE_REMOVE,
	A_KEEP, /* reported only */
};

struct pol_step {
	enum pol_act a;
	__u8 mac[6];
	struct ifn_rule rule; /* new (ADD, ADOPT) or old (REMOVE) */
	struct ifn_rule old; /* ADOPT: as it was */
	const struct ifn_pol_dev *pd;
	struct ifn_pol_mode mode; /* DEVICE: the mode to set */
	bool mode_change, rate_change;
	__u32 ifindex; /* IFACE */
	struct ifn_iface ifc, ifc_old;
	size_t text; /* the report line: its offset in plan.text, +1; 0: none */
	bool unnamed; /* REMOVE: of a device the file does not name */
};

struct pol_plan {
	struct pol_step *v;
	size_t n, cap;
	struct ifn_config cfg_new;
	bool cfg_change;
	struct ifn_mactab names_new;
	bool names_change;
	unsigned int added, removed, changed;
	size_t new_exact, new_port, new_any, new_name, new_devs;
	/* The report lines, one after the other: a million-rule plan stays small. */
	char *text;
	size_t text_len, text_cap;
	bool nomem; /* a line could not be kept */
};

#define POL_STEP_TEXT_MAX 256

/* 0 or -errno; *@s is to be freed with pol_cur_free() either way. */
int pol_cur_read(const struct ifn_maps *m, struct pol_cur *s);
void pol_cur_free(struct pol_cur *s);

/* A deadline that has passed is the next mode already (as the datapath will see it). */
void pol_effective(struct ifn_device *d, __u64 now);
/* Apply a policy mode to a record. */
void pol_set_mode(struct ifn_device *d, const struct ifn_pol_mode *pm, __u64 now);

/*
 * The plan that makes @s into @p, checked against the room in the maps.
 * Errors in the file's use of the state go to stderr as "PATH:LINE:
 * message" (-EINVAL), no room as "PATH: message" (-E2BIG). *@pl is to be
 * freed with pol_plan_free() either way.
 */
int pol_plan_make(const struct ifn_maps *m, const struct ifn_policy *p, const struct pol_cur *s,
		  const char *path, __u64 now, struct pol_plan *pl);
void pol_plan_free(struct pol_plan *pl);

/* A step's report line (in @buf, or kept in the plan), or NULL: none. */
const char *pol_step_text(const struct pol_plan *pl, const struct pol_step *x, char *buf,
			  size_t len);

#endif /* IFN_POLICY_PLAN_H */
