/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * generalise.h - when a device's learning ends, turn many peers on one
 * service port into a prefix or port-any rule, and many ports on one peer
 * into a port-any rule (iotfence.8, GENERALISATION).
 */
#ifndef IFN_GENERALISE_H
#define IFN_GENERALISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "rules.h"
#include "state.h"
#include "widen.h"

struct ifn_gen_opts {
	unsigned int peers_per_port; /* this many peers on one port: a prefix/any rule */
	unsigned int prefix_v4; /* widest IPv4 prefix to generalise to, 0: any */
	unsigned int prefix_v6;
	unsigned int ports_per_peer; /* this many ports on one peer: port-any */
	unsigned int p2p_per_peer; /* this many high UDP ports on one peer: a range */
	bool lan; /* a service to a LAN peer: to local-networks */
	bool siblings; /* a numbered learned name: to *.parent (widen.h) */
	/*
	 * When "resolved" is judged (a flow a name rule admits is left as it
	 * is), on the datapath's clock; 0: now. Replay gives its capture time.
	 */
	__u64 now;
};

void ifn_gen_defaults(struct ifn_gen_opts *o);

/*
 * Generalise one device's learned flows in place: new rules first, then
 * the exact flows they cover are removed. Prints the before and after to
 * @report (may be NULL). Returns the number of rules made, or -errno.
 */
int ifn_generalise(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_gen_opts *o,
		   FILE *report);

/* The same, changing nothing: what it would make. Returns that count. */
int ifn_generalise_preview(const struct ifn_maps *m, const __u8 mac[6],
			   const struct ifn_gen_opts *o, FILE *report);

/*
 * The thresholds as settings, by name (shared by the daemon's configuration,
 * `policy generalise` and replay): generalise-peers N, generalise-ports N
 * (0: never), generalise-prefix-v4 0-32, generalise-prefix-v6 0-128,
 * generalise-p2p N (0: never), generalise-lan on|off,
 * generalise-siblings on|off.
 */
extern const char *const ifn_gen_opt_names[];
int ifn_gen_opt_apply(struct ifn_gen_opts *o, const char *key, const char *value, char *err,
		      size_t errlen);
int ifn_gen_opt_format(const struct ifn_gen_opts *o, const char *key, char *buf, size_t len);

/*
 * The planning, pure: from a device's rules (@in, any origin, one device),
 * the rules to make (*out, malloc'd, origin generalised) and which of @in
 * they cover (covered[i], for the learned exact flows and learned exact
 * names only: those are the ones to remove). Rules that exist already are
 * not made again. Returns the number made or -ENOMEM.
 */
int ifn_gen_plan(const struct ifn_rule *in, size_t n, const struct ifn_gen_opts *o,
		 struct ifn_rule **out, bool *covered);

/*
 * The same, names first: a flow with @named[i] set (a name rule of the
 * device admits its peer now: iotfence.8, GENERALISATION) is neither
 * folded into a wider rule nor counted towards one, and stays. @widen
 * (may be NULL) gets, for each learned exact name, whether and why it was
 * widened to its siblings' wildcard (IFN_WIDEN_NONE for any other rule).
 */
int ifn_gen_plan_named(const struct ifn_rule *in, size_t n, const bool *named,
		       const struct ifn_gen_opts *o, struct ifn_rule **out, bool *covered,
		       enum ifn_widen *widen);

#endif /* IFN_GENERALISE_H */
