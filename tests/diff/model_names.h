/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * model_names.h - the reference model's names on the XDP side
 * (model_names.c), and the name hash both sides use.
 */
#ifndef IFN_DIFF_MODEL_NAMES_H
#define IFN_DIFF_MODEL_NAMES_H

#include <stdbool.h>
#include <linux/types.h>

#include "model.h"

/* The name hash of iotfence.h (keyed, labels right to left), with the suffixes. */
__u64 name_hash(__u64 key, const char *name, struct ifn_dns_name *nm);
/*
 * A name the device resolved for the peer of @k1 (or of @k2, when not
 * NULL) admits the frame: the address stays live (SETTINGS, dns-min-ttl).
 */
bool name_pass(struct mdl *m, const struct ifn_flow_key *k1, const struct ifn_flow_key *k2,
	       __u64 now, struct mdl_result *r);
/* NAMES, Learning names: the named flows beside a flow @d just learned. */
void learn_names(struct mdl *m, struct mdl_device *d, const struct ifn_flow_key *k, __u64 now);

#endif /* IFN_DIFF_MODEL_NAMES_H */
