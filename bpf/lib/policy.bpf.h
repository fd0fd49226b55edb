/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy.bpf.h - what a frame's flow is, and whether a device's fingerprint
 * allows it. Every check is a constant number of map lookups: one or two
 * exact keys, then the LPM tries only for devices that have such rules.
 */
#ifndef IFN_POLICY_BPF_H
#define IFN_POLICY_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "events.bpf.h"
#include "device.bpf.h"
#include "names.bpf.h"

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

/*
 * UDP has no flags, so the service side of a datagram is a guess. The
 * heuristic, in order (documented in iotfence.8, checked on the captures):
 *  1. equal ports (NTP 123, SSDP 1900, mDNS 5353): the device is a client;
 *  2. one port below 1024, the other not: the low one is the service;
 *     both below 1024 (DHCP 67/68): the lower one;
 *  3. one port a known discovery/IoT service (SSDP, mDNS, CoAP...), the
 *     other not: that one is the service;
 *  4. one port in 32768-65535 (Linux and IANA ephemeral ranges), the other
 *     not: the other one is the service;
 *  5. otherwise the destination port is the service. Devices mostly send
 *     first: the P2P cameras of the captures talk from random ports in
 *     10000-32767 to relays on 32100, which "the lower port" got wrong.
 * Returns 1 when the device is the client (the service port is dport).
 */
static __always_inline int ifn_udp_device_is_client(__u16 sport, __u16 dport)
{
	int ks, kd;

	if (sport == dport)
		return 1;
	if (dport < 1024 || sport < 1024)
		return dport < sport;
	ks = ifn_udp_known_service(sport);
	kd = ifn_udp_known_service(dport);
	if (ks != kd)
		return kd;
	if ((dport >= 32768) != (sport >= 32768))
		return sport >= 32768;
	return 1;
}

#define IFN_TCP_SYN 0x02
#define IFN_TCP_RST 0x04
#define IFN_TCP_ACK 0x10

/* What of a TCP frame's flags decides its candidate keys. */
static __always_inline __u8 ifn_tcp_class(const struct ifn_pkt *p)
{
	__u8 f = p->tcp_flags & (IFN_TCP_SYN | IFN_TCP_ACK);

	if (p->proto != IPPROTO_TCP || !p->has_l4)
		return 0;
	return f == IFN_TCP_SYN ? 1 : f == (IFN_TCP_SYN | IFN_TCP_ACK) ? 2 : 0;
}

/* The key (or keys) under which a frame's flow may be in a fingerprint. */
struct ifn_cand {
	__u16 port[2];
	__u8 dir[2];
	__u8 n; /* 1 or 2 */
};

static __always_inline void ifn_cand_pair(struct ifn_cand *c, const struct ifn_pkt *p,
					  int client_first)
{
	c->n = 2;
	if (client_first) {
		c->port[0] = p->dport;
		c->dir[0] = IFN_DIR_CLIENT;
		c->port[1] = p->sport;
		c->dir[1] = IFN_DIR_SERVER;
	} else {
		c->port[0] = p->sport;
		c->dir[0] = IFN_DIR_SERVER;
		c->port[1] = p->dport;
		c->dir[1] = IFN_DIR_CLIENT;
	}
}

static __always_inline void ifn_candidates(const struct ifn_pkt *p, struct ifn_cand *c)
{
	c->n = 1;
	c->dir[0] = IFN_DIR_CLIENT;
	c->port[0] = 0;

	if (p->family == IFN_FAMILY_L2) {
		c->port[0] = p->l3_proto;
		return;
	}
	if (!p->has_l4)
		return;

	switch (p->proto) {
	case IPPROTO_TCP:
		/* The opening frame tells who is the client; later frames may
		 * belong to either side, so both keys are tried.
		 */
		switch (ifn_tcp_class(p)) {
		case 1:
			c->port[0] = p->dport;
			break;
		case 2:
			c->port[0] = p->sport;
			c->dir[0] = IFN_DIR_SERVER;
			break;
		default:
			ifn_cand_pair(c, p, ifn_udp_device_is_client(p->sport, p->dport));
		}
		return;
	case IPPROTO_UDP:
		/* Equal ports too: client first, and the server key may match. */
		ifn_cand_pair(c, p, ifn_udp_device_is_client(p->sport, p->dport));
		return;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		/* An echo reply is the server side of the echo service. */
		__u16 req = p->proto == IPPROTO_ICMP ? 8 : 128;
		__u16 rep = p->proto == IPPROTO_ICMP ? 0 : 129;

		if (p->sport == rep) {
			c->port[0] = req;
			c->dir[0] = IFN_DIR_SERVER;
		} else {
			c->port[0] = p->sport;
		}
		return;
	}
	}
}

/* The key of an IP frame's flow under @port and @dir. */
static __always_inline void ifn_key_ip(struct ifn_flow_key *k, const struct ifn_pkt *p, __u16 port,
				       __u8 dir)
{
	__builtin_memcpy(k->mac, p->src_mac, 6);
	k->family = p->family;
	k->proto = p->proto;
	k->port = port;
	k->dir = dir;
	k->pad = 0;
	__builtin_memcpy(k->peer, p->dst, 16);
}

/*
 * The key of the frame's first candidate. (Written as two branches: one
 * key filled and then patched for L2 costs the verifier half as much again.)
 */
static __always_inline void ifn_key_fill(struct ifn_flow_key *k, const struct ifn_pkt *p,
					 const struct ifn_cand *c)
{
	if (p->family != IFN_FAMILY_L2) {
		ifn_key_ip(k, p, c->port[0], c->dir[0]);
		return;
	}
	/* Non-IP: the ethertype is the port, no protocol, no peer. */
	__builtin_memcpy(k->mac, p->src_mac, 6);
	k->family = p->family;
	k->proto = 0;
	k->port = c->port[0];
	k->dir = c->dir[0];
	k->pad = 0;
	__builtin_memset(k->peer, 0, 16);
}

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

	if (bpf_map_lookup_elem(&ifn_flows, k))
		return 1;
	if (!(flags & (IFN_DEV_F_PORT_RULES | IFN_DEV_F_ANY_RULES | IFN_DEV_F_LAN_RULES)))
		return 0;
	return ifn_rules_match(k, flags);
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
		if (ifn_name_allows(k, x->now, x->cfg->dns_min_ttl_ns)) {
			ok = IFN_FPC_BY_NAME;
		} else if (c.n == 2) {
			k->port = c.port[1];
			k->dir = c.dir[1];
			if (ifn_name_allows(k, x->now, x->cfg->dns_min_ttl_ns))
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

static __always_inline void ifn_frag_key_fill(struct ifn_frag_key *fk, const struct ifn_pkt *p)
{
	__builtin_memcpy(fk->src, p->src, 16);
	__builtin_memcpy(fk->dst, p->dst, 16);
	fk->id = p->frag_id;
	fk->proto = p->frag_proto;
	fk->family = p->family;
	fk->pad[0] = 0;
	fk->pad[1] = 0;
}

/* A later fragment passes only behind a first fragment that passed, sent
 * by the same device.
 */
/* What passed of a later fragment's packet: its first fragment, from this device? */
enum ifn_first_frag {
	IFN_FIRST_NONE = 0,
	IFN_FIRST_PASSED = 1,
	IFN_FIRST_BASELINE = 2, /* and it was baseline traffic */
};

static __always_inline int ifn_frag_first(const struct ifn_pkt *p)
{
	struct ifn_frag_val *v;
	struct ifn_frag_key fk;

	ifn_frag_key_fill(&fk, p);
	v = bpf_map_lookup_elem(&ifn_frags, &fk);
	if (!v || !ifn_mac_eq(v->mac, p->src_mac))
		return IFN_FIRST_NONE;
	return v->baseline ? IFN_FIRST_BASELINE : IFN_FIRST_PASSED;
}

static __always_inline void ifn_frag_note_first(const struct ifn_pkt *p, int baseline)
{
	struct ifn_frag_key fk;
	struct ifn_frag_val fv = {};

	ifn_frag_key_fill(&fk, p);
	__builtin_memcpy(fv.mac, p->src_mac, 6);
	fv.baseline = baseline;
	bpf_map_update_elem(&ifn_frags, &fk, &fv, BPF_ANY);
}

/*
 * Learn a flow. Returns 1 if the frame may pass as learned, 0 if the device
 * has reached its fingerprint cap: learning then stops and the device
 * enforces what it has, so a device that scans while learning does not
 * learn its scan.
 */
static __always_inline int ifn_learn(struct ifn_ctx *x, const struct ifn_flow_key *k)
{
	struct ifn_device *dev = x->dev;
	struct ifn_flow_val val = {
		.added_ns = x->now,
		.origin = IFN_ORIGIN_LEARNED,
	};
	long err;

	if (ifn_fp_entries(dev) >= x->cfg->fingerprint_cap) {
		__u64 w = dev->mode_word;

		/* Only the CPU that ends the learning reports it. */
		if (ifn_mw_mode(w) == IFN_MODE_LEARN && ifn_mode_switch(dev, w, IFN_MODE_ENFORCE)) {
			__sync_fetch_and_or(&dev->flags, IFN_DEV_F_LEARN_CAPPED);
			ifn_ev_flow(x, IFN_EV_FINGERPRINT_CAP, k, ifn_fp_entries(dev));
		}
		return 0;
	}
	err = bpf_map_update_elem(&ifn_flows, k, &val, BPF_NOEXIST);
	if (!err) {
		__sync_fetch_and_add(&dev->flow_count, 1);
		ifn_learn_names(dev, k, x->now, x->cfg);
		/* Other CPUs may have cached this flow as not allowed. */
		__sync_fetch_and_add(&dev->fp_gen, 1);
	} else if (err != -17 /* EEXIST: another CPU learned it first */) {
		x->gs->flows_full++;
	}
	return 1;
}

/*
 * Count a distinct out-of-fingerprint flow in the device's window with a
 * 512-bit linear-counting sketch: one bit per flow hash, so counting
 * distinct flows needs no map and no loop. Returns 1 exactly on the frame
 * whose flow takes the count above the threshold.
 */
static __always_inline int ifn_scan_note(struct ifn_ctx *x, const struct ifn_flow_key *k)
{
	struct ifn_device *dev = x->dev;
	struct ifn_fp_cache *fpc = x->fpc;
	__u32 h, idx;
	__u64 bit, old;
	__u32 cnt;

	/* A repeated violating flow has its hash in the decision cache. */
	if (fpc && fpc->scan_hash) {
		h = fpc->scan_hash;
	} else {
		h = ifn_flow_hash(k);
		if (fpc)
			fpc->scan_hash = h;
	}
	h &= 511;
	bit = 1ULL << (h & 63);
	idx = (h >> 6) & 7;

	if (x->now - dev->scan_window_ns >= x->cfg->scan_window_ns) {
		__builtin_memset(dev->scan_sketch, 0, sizeof(dev->scan_sketch));
		dev->scan_count = 0;
		dev->scan_window_ns = x->now;
	}
	if (idx > 7)
		return 0;
	/* A flood repeats its flow: test before the locked operation. */
	if (dev->scan_sketch[idx] & bit)
		return 0;
	old = __sync_fetch_and_or(&dev->scan_sketch[idx], bit);
	if (old & bit)
		return 0;
	cnt = __sync_add_and_fetch(&dev->scan_count, 1);
	return cnt == x->cfg->scan_threshold + 1;
}

#endif /* IFN_POLICY_BPF_H */
