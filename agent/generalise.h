/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * generalise.h - when a device's learning ends, turn many peers on one
 * service port into a prefix or port-any rule, and many ports on one peer
 * into a port-any rule (iotfence.8, GENERALISATION).
 */
#ifndef IFN_GENERALISE_H
#define IFN_GENERALISE_H

#include <stdio.h>
#include <linux/types.h>

#include "state.h"

struct ifn_gen_opts {
	unsigned int peers_per_port; /* this many peers on one port: a prefix/any rule */
	unsigned int prefix_v4; /* widest IPv4 prefix to generalise to, 0: any */
	unsigned int prefix_v6;
	unsigned int ports_per_peer; /* this many ports on one peer: port-any */
};

void ifn_gen_defaults(struct ifn_gen_opts *o);

/*
 * Generalise one device's learned flows in place: new rules first, then
 * the exact flows they cover are removed. Prints the before and after to
 * @report (may be NULL). Returns the number of rules made, or -errno.
 */
int ifn_generalise(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_gen_opts *o,
		   FILE *report);

#endif /* IFN_GENERALISE_H */
