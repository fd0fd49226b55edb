/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rules.bpf.h - a flow key against the device's fingerprint: the exact
 * entry (unless the device's peer filter says there is none), then, only
 * for a device whose flags say it has some, local-networks and the prefix
 * tries of rules (one or two lookups each, no loop).
 */
#ifndef IFN_RULES_BPF_H
#define IFN_RULES_BPF_H

#include "iotfence.h"
#include "maps.bpf.h"

/*
 * Is @a (IPv6 or IPv4-mapped) a LAN address, as local-networks means it:
 * RFC 1918, IPv4 link-local, ULA, IPv6 link-local, or one of the gateway's
 * own LAN prefixes (ifn_lan_nets, filled at attach)? Fixed tests first:
 * the trie is looked up only for a public-looking address.
 */
static __always_inline int ifn_addr_is_lan(const __u8 *a)
{
	struct ifn_lan_key lk = { .prefixlen = 128 };

	if (ifn_addr_is_lan_fixed(a))
		return 1;
	__builtin_memcpy(lk.addr, a, 16);
	return bpf_map_lookup_elem(&ifn_lan_nets, &lk) != 0;
}

/* A port-any entry holds @port unless it is a range without it. */
static __always_inline int ifn_range_holds(const struct ifn_rule_val *v, __u16 port)
{
	return !v->port_hi || (port >= v->port_lo && port <= v->port_hi);
}

/*
 * The rule tries and local-networks of a device whose @flags say it has
 * some. A global function: the verifier checks it once, on its own, not
 * once for every path that leads to each of its callers (four of them),
 * which kept the whole program under its limit of a million instructions.
 */
__noinline int ifn_rules_match(const struct ifn_flow_key *k, __u32 flags)
{
	if (!k || k->family == IFN_FAMILY_L2)
		return 0;
	/* local-networks: one exact lookup, under the LAN family, peer zero. */
	if ((flags & IFN_DEV_F_LAN_RULES) && ifn_addr_is_lan(k->peer)) {
		struct ifn_flow_key lk = {
			.family = IFN_FAMILY_LAN,
			.proto = k->proto,
			.port = k->port,
			.dir = k->dir,
		};

		__builtin_memcpy(lk.mac, k->mac, 6);
		if (bpf_map_lookup_elem(&ifn_flows, &lk))
			return 1;
	}
	if (flags & IFN_DEV_F_PORT_RULES) {
		struct ifn_rule_port_key rk = {
			.prefixlen = IFN_RULE_PORT_BITS,
			.dir = k->dir,
			.proto = k->proto,
			.port = k->port,
		};

		__builtin_memcpy(rk.mac, k->mac, 6);
		__builtin_memcpy(rk.peer, k->peer, 16);
		if (bpf_map_lookup_elem(&ifn_rules_port, &rk))
			return 1;
	}
	if (flags & IFN_DEV_F_ANY_RULES) {
		struct ifn_rule_any_key ak = {
			.prefixlen = IFN_RULE_ANY_BITS,
			.dir = k->dir,
			.proto = k->proto,
		};
		struct ifn_rule_val *v;
		__u8 plen;

		__builtin_memcpy(ak.mac, k->mac, 6);
		__builtin_memcpy(ak.peer, k->peer, 16);
		v = bpf_map_lookup_elem(&ifn_rules_any, &ak);
		if (!v)
			return 0;
		if (ifn_range_holds(v, k->port))
			return 1;
		/*
		 * A port range (peer-to-peer) on a peer inside a wider rule of
		 * the same protocol: the wider one holds too. Once, so that
		 * the cost stays two lookups (iotfence.8, FLOWS).
		 */
		plen = v->plen;
		if (!plen || plen > 128)
			return 0;
		ak.prefixlen = IFN_RULE_ANY_FIXED_BITS + plen - 1;
		v = bpf_map_lookup_elem(&ifn_rules_any, &ak);
		return v && ifn_range_holds(v, k->port);
	}
	return 0;
}

static __always_inline int ifn_key_allowed(const struct ifn_device *dev,
					   const struct ifn_flow_key *k)
{
	__u32 flags = dev->flags;

	if (ifn_exact_peers_may(dev->exact_peers, k) && bpf_map_lookup_elem(&ifn_flows, k))
		return 1;
	if (!(flags & (IFN_DEV_F_PORT_RULES | IFN_DEV_F_ANY_RULES | IFN_DEV_F_LAN_RULES)))
		return 0;
	return ifn_rules_match(k, flags);
}

#endif /* IFN_RULES_BPF_H */
