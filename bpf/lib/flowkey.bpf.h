/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * flowkey.bpf.h - the key (or the two keys) under which a frame's flow may
 * stand in a fingerprint: which side is the client, and the key itself.
 */
#ifndef IFN_FLOWKEY_BPF_H
#define IFN_FLOWKEY_BPF_H

#include "iotfence.h"
#include "ctx.bpf.h"

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

#endif /* IFN_FLOWKEY_BPF_H */
