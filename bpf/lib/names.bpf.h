/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * names.bpf.h - fingerprint rules on names (docs/DESIGN.md, Datapath 10):
 * a frame to an address the device got from a DNS answer (ifn_dns, written
 * by the egress program) passes if a rule of the device names that name or
 * a suffix of it. Each name costs one lookup for the whole name and one per
 * label suffix (*.suffix), never a loop over rules; an address holds at
 * most IFN_DNS_NAMES_PER_ADDR names.
 */
#ifndef IFN_NAMES_BPF_H
#define IFN_NAMES_BPF_H

#include "iotfence.h"
#include "maps.bpf.h"

/* Does a rule of (mac, proto, dir, port) name @name or one of its suffixes? */
static __always_inline int ifn_name_rule_match(struct ifn_name_rule_key *rk, __u64 name)
{
	struct ifn_dns_name *nm;
	int i;

	rk->wild = 0;
	rk->name = name;
	if (bpf_map_lookup_elem(&ifn_name_rules, rk))
		return 1;
	nm = bpf_map_lookup_elem(&ifn_dns_names, &name);
	if (!nm)
		return 0;
	rk->wild = 1;
	/* suffix[i] holds the last i + 1 labels; "*.S" needs a label more than S. */
#pragma unroll
	for (i = 0; i < IFN_DNS_SUFFIXES; i++) {
		if (i + 1 >= nm->labels)
			break;
		rk->name = nm->suffix[i];
		if (bpf_map_lookup_elem(&ifn_name_rules, rk))
			return 1;
	}
	return 0;
}

/*
 * Is the flow @k (peer: the frame's destination) admitted by a name the
 * device resolved? A name admits its address until its answer's expiry
 * (at least dns-min-ttl), and for as long after as frames keep using the
 * address (less than dns-min-ttl apart): a connection that lasts for days
 * is never cut because its answer expired. A pass refreshes the address.
 * A global function: the verifier checks it once, not on every path of
 * the datapath that reaches it.
 */
__noinline int ifn_name_allows(const struct ifn_flow_key *k, __u64 now, __u64 min_ttl_ns)
{
	struct ifn_name_rule_key rk = {};
	struct ifn_dns_key dk = {};
	struct ifn_dns_val *v;
	int live, j;

	if (!k)
		return 0;
	__builtin_memcpy(dk.mac, k->mac, 6);
	__builtin_memcpy(dk.addr, k->peer, 16);
	v = bpf_map_lookup_elem(&ifn_dns, &dk);
	if (!v)
		return 0;
	live = v->last_used_ns && now - v->last_used_ns < min_ttl_ns;
	__builtin_memcpy(rk.mac, k->mac, 6);
	rk.proto = k->proto;
	rk.dir = k->dir;
	rk.port = k->port;
#pragma unroll
	for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++) {
		__u64 name = v->name[j];

		if (!name || (now >= v->expires_ns[j] && !live))
			continue;
		if (ifn_name_rule_match(&rk, name)) {
			v->last_used_ns = now;
			return 1;
		}
	}
	return 0;
}

/* Keep a name-admitted address in use while its flow hits the decision cache. */
static __always_inline void ifn_name_touch(const __u8 *mac, const __u8 *peer, __u64 now)
{
	struct ifn_dns_key dk = {};
	struct ifn_dns_val *v;

	__builtin_memcpy(dk.mac, mac, 6);
	__builtin_memcpy(dk.addr, peer, 16);
	v = bpf_map_lookup_elem(&ifn_dns, &dk);
	if (v)
		v->last_used_ns = now;
}

#endif /* IFN_NAMES_BPF_H */
