/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy.bpf.h - whether a device's fingerprint allows a frame's flow:
 * baseline traffic always, then the flow's keys (flowkey.bpf.h) against its
 * entries and rules (rules.bpf.h) and names (names.bpf.h), with a per-CPU
 * cache of the last answer. Every check is a constant number of map
 * lookups: one or two exact keys, then the LPM tries only for devices that
 * have such rules. What follows a frame outside it is apart: fragments
 * (frag.bpf.h), learning (learn.bpf.h), the scan sketch (scan.bpf.h).
 */
#ifndef IFN_POLICY_BPF_H
#define IFN_POLICY_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "device.bpf.h"
#include "names.bpf.h"
#include "flowkey.bpf.h"
#include "rules.bpf.h"

/*
 * Baseline traffic that keeps a device on the network always passes, in
 * every mode: ARP, EAPOL, DHCP and DHCPv6 client messages, and IPv6 router
 * solicitation, neighbour solicitation/advertisement and MLD reports.
 * Router advertisements and redirects are not baseline: a device that sends
 * them acts as a router, and that has to be in its fingerprint.
 */
static __always_inline int ifn_is_baseline(const struct ifn_pkt *p)
{
	if (p->l3_proto == ETH_P_ARP || p->l3_proto == IFN_ETH_P_EAPOL)
		return 1;
	if (!p->has_l4)
		return 0;
	if (p->proto == IPPROTO_UDP) {
		if (p->family == IFN_FAMILY_IPV4)
			return p->sport == 68 && p->dport == 67;
		if (p->family == IFN_FAMILY_IPV6)
			return p->sport == 546 && p->dport == 547;
		return 0;
	}
	if (p->proto == IPPROTO_ICMPV6 && p->family == IFN_FAMILY_IPV6) {
		switch (p->sport) {
		case 131: /* MLD report */
		case 132: /* MLD done */
		case 133: /* router solicitation */
		case 135: /* neighbour solicitation */
		case 136: /* neighbour advertisement */
		case 143: /* MLDv2 report */
			return 1;
		}
	}
	return 0;
}

/* ifn_fp_cache.allowed of a flow a name admitted: scan_hash then holds when it last touched ifn_dns. */
#define IFN_FPC_BY_NAME 3
/* How often (2^30 ns units, ~1 s) a cached named flow refreshes its address. */
#define IFN_NAME_TOUCH_PERIODS 32

static __always_inline int ifn_cache_hit(const struct ifn_fp_cache *c, const struct ifn_pkt *p,
					 __u8 cls, __u32 gen)
{
	return c->allowed && c->gen == gen && c->sport == p->sport && c->dport == p->dport &&
	       c->proto == p->proto && c->family == p->family && c->tcp_class == cls &&
	       ifn_addr_eq(c->peer, p->dst);
}

/*
 * Is the flow of this frame in the device's fingerprint? Fills @k with the
 * preferred key (the one learning inserts and events report) either way.
 * A frame of the same flow as the device's last one on this CPU takes the
 * cached answer (per-CPU, so no atomics; dropped when fp_gen moves).
 */
static __always_inline int ifn_fp_allows(struct ifn_ctx *x, struct ifn_flow_key *k)
{
	const struct ifn_device *dev = x->dev;
	const struct ifn_pkt *p = &x->pkt;
	struct ifn_fp_cache *cache = 0;
	__u32 gen = dev->fp_gen;
	struct ifn_cand c;
	__u8 cls = 0;
	int ok;

	ifn_candidates(p, &c);
	ifn_key_fill(k, p, &c);
	/* Fragments and non-IP frames are rare: not worth a cache key. */
	if (x->ds && p->frag == IFN_FRAG_NONE && p->family != IFN_FAMILY_L2) {
		cache = &x->ds->cache;
		cls = ifn_tcp_class(p);
		if (ifn_cache_hit(cache, p, cls, gen)) {
			x->fpc = cache;
			if (cache->allowed == IFN_FPC_BY_NAME) {
				__u32 t = x->now >> 30;

				if (t - cache->scan_hash >= IFN_NAME_TOUCH_PERIODS) {
					ifn_name_touch(p->src_mac, p->dst, x->now);
					cache->scan_hash = t;
				}
			}
			return cache->allowed != 2;
		}
	}
	ok = ifn_key_allowed(dev, k);
	if (!ok && c.n == 2) {
		k->port = c.port[1];
		k->dir = c.dir[1];
		ok = ifn_key_allowed(dev, k);
		k->port = c.port[0];
		k->dir = c.dir[0];
	}
	if (!ok && (dev->flags & IFN_DEV_F_NAME_RULES) && p->family != IFN_FAMILY_L2) {
		/* One device's own: a MAC forgotten and seen again starts at fp_gen 0. */
		__u32 memo_gen = gen ^ (__u32)((dev->created_ns * 0x9e3779b97f4a7c15ULL) >> 32);

		if (ifn_name_allows(k, x->now, x->cfg->dns_min_ttl_ns, memo_gen)) {
			ok = IFN_FPC_BY_NAME;
		} else if (c.n == 2) {
			k->port = c.port[1];
			k->dir = c.dir[1];
			if (ifn_name_allows(k, x->now, x->cfg->dns_min_ttl_ns, memo_gen))
				ok = IFN_FPC_BY_NAME;
			k->port = c.port[0];
			k->dir = c.dir[0];
		}
	}
	if (cache) {
		__builtin_memcpy(cache->peer, p->dst, 16);
		cache->sport = p->sport;
		cache->dport = p->dport;
		cache->family = p->family;
		cache->proto = p->proto;
		cache->tcp_class = cls;
		cache->allowed = ok == IFN_FPC_BY_NAME ? IFN_FPC_BY_NAME : ok ? 1 : 2;
		cache->gen = gen;
		cache->scan_hash = ok == IFN_FPC_BY_NAME ? (__u32)(x->now >> 30) : 0;
		x->fpc = cache;
	}
	return ok;
}

#endif /* IFN_POLICY_BPF_H */
