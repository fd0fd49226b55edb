/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dnsname.h - DNS names as iotfence holds them: checked and lower-cased
 * text, and the keyed hashes the datapath computes for the same text
 * (include/iotfence.h, ifn_name_hash_*).
 */
#ifndef IFN_DNSNAME_H
#define IFN_DNSNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "iotfence.h"

/*
 * Check a name as written in a policy or on the command line, and put it
 * in @out lower-cased, without a trailing dot and without the "*." of a
 * wildcard (*wild says whether there was one). Letters, digits, '-' and
 * '_' in labels of 1 to 63; at most 253 characters; a wildcard's suffix has
 * at most IFN_DNS_SUFFIXES labels (deeper ones no datapath lookup reaches).
 * Returns 0, or -EINVAL with the reason in @err.
 */
int ifn_dns_name_parse(const char *in, char out[IFN_DNS_NAME_MAX], bool *wild, char *err,
		       size_t errlen);

/*
 * The hashes of a checked name (text as ifn_dns_name_parse leaves it):
 * @nm gets the text, the label count and the suffix hashes; returns the
 * hash of the whole name.
 */
__u64 ifn_dns_name_hash(__u64 key, const char *name, struct ifn_dns_name *nm);

/* The key of a rule on @name (its suffix for a wildcard): what the datapath looks up. */
__u64 ifn_dns_rule_hash(__u64 key, const char *name);

/* The one copy of @name for this process (never freed); NULL without memory. */
const char *ifn_dns_name_intern(const char *name);

#endif /* IFN_DNSNAME_H */
