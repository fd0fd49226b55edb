/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy_parse.h - a policy file as data: reading it (every error, with its
 * line) and writing it back. Pure code: no maps, no files but the one read,
 * so that `policy check` needs no privileges and the parser can be fuzzed.
 * The format is in iotfence.8, POLICY FILES.
 */
#ifndef IFN_POLICY_PARSE_H
#define IFN_POLICY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "iotfence.h"
#include "rules.h"

#define IFN_NAME_MAX 48 /* a device name, without the NUL */

enum ifn_pol_deadline {
	IFN_POL_NO_DEADLINE = 0,
	IFN_POL_FOR = 1, /* for DUR, from the load */
	IFN_POL_UNTIL = 2, /* until an RFC 3339 time */
};

struct ifn_pol_mode {
	bool set;
	__u8 mode;
	__u8 then; /* the mode after the deadline (default enforce) */
	enum ifn_pol_deadline deadline;
	__u64 for_ns;
	__u64 until_wall_ns;
	unsigned int line;
};

struct ifn_pol_rate {
	bool set;
	__u64 pps, bps, burst_pkts, burst_bytes; /* bursts 0: one second's worth */
	unsigned int line;
};

/* r.origin: POLICY for `allow`, LEARNED or GENERALISED for `learned`. */
struct ifn_pol_rule {
	struct ifn_rule r;
	unsigned int line;
};

struct ifn_pol_dev {
	__u8 mac[6];
	char name[IFN_NAME_MAX + 1]; /* "" for none */
	unsigned int line;
	struct ifn_pol_mode mode;
	struct ifn_pol_rate rate;
	bool replace_learned; /* learned-flows replace */
	unsigned int replace_line;
	struct ifn_pol_rule *rules;
	size_t n_rules, cap_rules;
};

struct ifn_pol_setting {
	char key[24];
	char value[40];
	unsigned int line;
};

struct ifn_pol_newdev {
	bool set;
	__u8 mode;
	__u64 learn_ns;
	unsigned int line;
};

struct ifn_pol_iface {
	char name[16];
	struct ifn_pol_newdev nd;
};

struct ifn_policy {
	struct ifn_pol_setting *settings;
	size_t n_settings;
	struct ifn_pol_newdev newdev; /* every attached interface, and the fallback */
	struct ifn_pol_iface *ifaces;
	size_t n_ifaces;
	struct ifn_pol_dev *devs; /* sorted by MAC after a successful parse */
	size_t n_devs;
};

/*
 * Called for each error with the line (0: the file as a whole) and the
 * message; parsing goes on so that every error is reported.
 */
typedef void (*ifn_pol_err_fn)(void *ctx, unsigned int line, const char *msg);

/*
 * Parse @len bytes. Returns 0, the number of errors (> 0) after reporting
 * each through @err, or -ENOMEM. *p is filled only on 0.
 */
int ifn_policy_parse(const char *buf, size_t len, struct ifn_policy *p, ifn_pol_err_fn err,
		     void *ctx);

/*
 * Read and parse a file; errors go to stderr as "FILE:LINE: message", one a
 * line. Returns 0, -EINVAL (bad file: the errors were printed) or -errno
 * (the file could not be read: printed too).
 */
int ifn_policy_parse_file(const char *path, struct ifn_policy *p, unsigned int *nerr);

void ifn_policy_free(struct ifn_policy *p);

/* The device of a parsed policy, or NULL. */
struct ifn_pol_dev *ifn_policy_find(const struct ifn_policy *p, const __u8 mac[6]);

/*
 * Write @p as a policy file: settings, new-device defaults, interfaces,
 * then devices by MAC with their rules sorted. Deterministic (no time
 * stamp), so that two shows of the same state are the same text.
 */
void ifn_policy_write(const struct ifn_policy *p, FILE *f);

/* Device names: 1 to IFN_NAME_MAX of [A-Za-z0-9._-], not starting with '-'. */
bool ifn_name_valid(const char *s);

/* "2026-11-22T04:15:37Z" (fraction allowed) to wall ns; -EINVAL. */
int ifn_parse_rfc3339(const char *s, __u64 *wall_ns);

#endif /* IFN_POLICY_PARSE_H */
