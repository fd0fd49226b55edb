/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * resolved.h - what the devices resolved, as the datapath holds it (ifn_dns,
 * ifn_dns_names, written by the egress program): which names gave a device
 * an address, whether each is live as the XDP program judges it, and which
 * name rules admit them. For `device`, `devices --json`, events and the
 * generaliser (iotfence.8, NAMES).
 */
#ifndef IFN_RESOLVED_H
#define IFN_RESOLVED_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "iotfence.h"
#include "state.h"

/* The names one address holds for one device. */
struct ifn_resolved {
	__u8 mac[6];
	__u8 addr[16]; /* IPv6 or IPv4-mapped */
	unsigned int n; /* names held, in hash[0..n) */
	__u64 hash[IFN_DNS_NAMES_PER_ADDR];
	__u64 expires_ns[IFN_DNS_NAMES_PER_ADDR]; /* datapath clock */
	bool live[IFN_DNS_NAMES_PER_ADDR]; /* would admit now (ifn_name_allows) */
	__u64 last_used_ns;
};

/*
 * Is a name of @v live at @now: before its expiry, or the address in use
 * (a frame passed by a name less than @min_ttl_ns ago)? As the datapath
 * decides it (bpf/lib/names.bpf.h, ifn_dns_slot_live). Fills @out.
 */
void ifn_resolved_from(const __u8 mac[6], const __u8 addr[16], const struct ifn_dns_val *v,
		       __u64 now, __u64 min_ttl_ns, struct ifn_resolved *out);

/* The names (@mac, @addr) holds; -ENOENT if none. */
int ifn_resolved_get(const struct ifn_maps *m, const __u8 mac[6], const __u8 addr[16], __u64 now,
		     __u64 min_ttl_ns, struct ifn_resolved *out);

/*
 * Every entry of ifn_dns, sorted by device and address (*out malloc'd).
 * Returns the count or -errno.
 */
long ifn_resolved_all(const struct ifn_maps *m, __u64 now, __u64 min_ttl_ns,
		      struct ifn_resolved **out);

/* The entries of one device in a sorted array: the first index, and *count. */
size_t ifn_resolved_of(const struct ifn_resolved *all, size_t n, const __u8 mac[6], size_t *count);

/* The text of a name hash; false if ifn_dns_names no longer has it. */
bool ifn_resolved_text(const struct ifn_maps *m, __u64 hash, char buf[IFN_DNS_NAME_MAX]);

/*
 * Would a rule on @name (with @wild, on "*.name") admit the name @hash, as
 * the datapath decides it with the state's key @key: the whole name's
 * hash, or for a wildcard one of its label suffixes' (from ifn_dns_names)?
 */
bool ifn_resolved_rule_admits(const struct ifn_maps *m, __u64 key, __u64 hash, const char *name,
			      bool wild);

#endif /* IFN_RESOLVED_H */
