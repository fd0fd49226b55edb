/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parse.bpf.h - one pass over a frame's headers with a bounds-checked cursor.
 *
 * Contract (as in xdp-tutorial's parsing_helpers.h): every helper takes the
 * cursor, checks that the whole header lies before data_end before reading
 * it, and advances the cursor past it. A helper that fails returns a reason
 * code (enum ifn_reason) and leaves the cursor where the bad header starts.
 * Nothing here decides policy: the result is a struct ifn_pkt.
 *
 * Byte order of the result: addresses in network order (IPv4 mapped into
 * ::ffff:0:0/96), ports, ethertypes and ICMP types in host order.
 */
#ifndef IFN_PARSE_BPF_H
#define IFN_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "iotfence.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define IFN_ETH_P_QINQ_OLD 0x9100
#define IFN_ETH_P_EAPOL 0x888E

/* Where a fragment stands. */
enum ifn_frag_state {
	IFN_FRAG_NONE = 0,
	IFN_FRAG_FIRST = 1, /* offset 0, more fragments follow */
	IFN_FRAG_LATER = 2, /* offset > 0: no L4 header */
};

struct ifn_cursor {
	void *pos;
	void *end;
	/*
	 * End of the IP packet by its own length field (<= end): headers
	 * beyond it lie in Ethernet padding or trailing bytes, and are
	 * truncated even though the verifier would let us read them.
	 */
	void *lim;
};

struct ifn_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ifn_arp_hdr {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 oper;
	__u8 sha[6];
	__u8 spa[4];
	__u8 tha[6];
	__u8 tpa[4];
};

struct ifn_ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ifn_ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

/* What one pass over the headers found. */
struct ifn_pkt {
	__u8 src_mac[8]; /* 6 used; 8 so that it is also an ifn_mac_key */
	__u16 l3_proto; /* ethertype after VLAN tags */
	__u8 vlan_tags;
	__u8 family; /* enum ifn_family */
	__u8 proto; /* IP protocol after extension headers */
	__u8 tcp_flags;
	__u8 frag; /* enum ifn_frag_state */
	__u8 has_l4; /* sport/dport (or ICMP type/code) are valid */
	__u16 sport; /* ICMP: type */
	__u16 dport; /* ICMP: code */
	__u8 has_addr; /* src/dst hold IP addresses (IP, or ARP for IPv4) */
	/*
	 * The protocol that identifies a fragmented packet: IPv4's protocol,
	 * or the next header of the IPv6 fragment header, which every fragment
	 * carries alike even when more extension headers follow it.
	 */
	__u8 frag_proto;
	/*
	 * An ICMP error's quote (ifn_parse_quote): the protocol of the packet
	 * it quotes, 0 for none; its TCP flags, when the quote holds them.
	 */
	__u8 q_proto;
	__u8 q_flags;
	__u32 frag_id;
	__u32 len;
	__u16 q_sport; /* the quoted packet's ports, as sent to the device */
	__u16 q_dport;
	__u8 q_has_flags;
	__u8 q_pad[3];
	__u8 src[16];
	__u8 dst[16];
};

static __always_inline void ifn_map_v4(__u8 *dst16, const void *v4)
{
	__u32 *w = (__u32 *)dst16;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0x0000ffff);
	__builtin_memcpy(&w[3], v4, 4);
}

/*
 * The same from an address read as one word (an IP header's field): one
 * load, where a copy through a void pointer is four byte loads and shifts.
 */
static __always_inline void ifn_map_v4_word(__u8 *dst16, __be32 v4)
{
	__u32 *w = (__u32 *)dst16;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0x0000ffff);
	w[3] = v4;
}

static __always_inline int ifn_parse_eth(struct ifn_cursor *c, struct ifn_pkt *p)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return IFN_REASON_ETH_TRUNC;
	__builtin_memcpy(p->src_mac, eth->h_source, ETH_ALEN);
	c->pos = eth + 1;
	proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < IFN_MAX_VLAN_TAGS + 1; i++) {
		struct ifn_vlan_hdr *vh = c->pos;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD && proto != IFN_ETH_P_QINQ_OLD)
			break;
		if (i == IFN_MAX_VLAN_TAGS) {
			p->l3_proto = proto;
			return IFN_REASON_VLAN_DEPTH;
		}
		if ((void *)(vh + 1) > c->end) {
			p->l3_proto = proto;
			return IFN_REASON_VLAN_TRUNC;
		}
		proto = bpf_ntohs(vh->proto);
		c->pos = vh + 1;
		p->vlan_tags++;
	}
	/* 802.3: a length, not an ethertype; every length is one protocol. */
	if (proto < ETH_P_802_3_MIN)
		proto = ETH_P_802_3;
	p->l3_proto = proto;
	return IFN_REASON_NONE;
}

static __always_inline int ifn_parse_arp(struct ifn_cursor *c, struct ifn_pkt *p)
{
	struct ifn_arp_hdr *arp = c->pos;

	/* The fixed part first: hardware and protocol types and sizes. */
	if (c->pos + 8 > c->end)
		return IFN_REASON_ARP_TRUNC;
	p->family = IFN_FAMILY_L2;
	if (arp->htype != bpf_htons(1) || arp->ptype != bpf_htons(ETH_P_IP) || arp->hlen != 6 ||
	    arp->plen != 4)
		return IFN_REASON_NONE;
	if ((void *)(arp + 1) > c->end)
		return IFN_REASON_ARP_TRUNC;
	/* The sender address is what a device claims: spoofing checks use it. */
	ifn_map_v4(p->src, arp->spa);
	ifn_map_v4(p->dst, arp->tpa);
	p->has_addr = 1;
	return IFN_REASON_NONE;
}

static __always_inline int ifn_icmp_is_error(const struct ifn_pkt *p, __u8 type)
{
	if (p->proto == IPPROTO_ICMP)
		return p->family == IFN_FAMILY_IPV4 &&
		       (type == 3 || type == 4 || type == 11 || type == 12);
	return p->family == IFN_FAMILY_IPV6 && type >= 1 && type <= 4;
}

/*
 * The packet an ICMP error quotes (after its 8-byte header, at @q): what
 * the device received from the peer the error goes to. Kept only if it
 * is that: from the error's destination to its source, the first or only
 * fragment, with the first 8 bytes of a TCP, UDP or ICMP header (all the
 * RFC 792 minimum promises; TCP flags only if more was quoted). Anything
 * else leaves no quote, and the error is judged as a flow of its own.
 */
static __always_inline void ifn_parse_quote(struct ifn_cursor *c, struct ifn_pkt *p, __u8 *q)
{
	__u8 *l4;
	__u8 proto;

	if (p->family == IFN_FAMILY_IPV4) {
		struct iphdr *ih = (struct iphdr *)q;
		__u32 a;

		if ((void *)(ih + 1) > c->end || (void *)(ih + 1) > c->lim)
			return;
		if (ih->version != 4 || ih->ihl < 5 || (bpf_ntohs(ih->frag_off) & 0x1fff))
			return;
		__builtin_memcpy(&a, p->dst + 12, 4);
		if (ih->saddr != a)
			return;
		__builtin_memcpy(&a, p->src + 12, 4);
		if (ih->daddr != a)
			return;
		proto = ih->protocol;
		l4 = q + ih->ihl * 4;
	} else {
		struct ipv6hdr *ih = (struct ipv6hdr *)q;
		__u32 w[4];

		if ((void *)(ih + 1) > c->end || (void *)(ih + 1) > c->lim)
			return;
		if (ih->version != 6)
			return;
		__builtin_memcpy(w, p->dst, 16);
		if (ih->saddr.in6_u.u6_addr32[0] != w[0] || ih->saddr.in6_u.u6_addr32[1] != w[1] ||
		    ih->saddr.in6_u.u6_addr32[2] != w[2] || ih->saddr.in6_u.u6_addr32[3] != w[3])
			return;
		__builtin_memcpy(w, p->src, 16);
		if (ih->daddr.in6_u.u6_addr32[0] != w[0] || ih->daddr.in6_u.u6_addr32[1] != w[1] ||
		    ih->daddr.in6_u.u6_addr32[2] != w[2] || ih->daddr.in6_u.u6_addr32[3] != w[3])
			return;
		/* Extension headers in a quote are not followed: no quote. */
		proto = ih->nexthdr;
		l4 = (__u8 *)(ih + 1);
	}
	if ((void *)(l4 + 8) > c->end || (void *)(l4 + 8) > c->lim)
		return;
	switch (proto) {
	case IPPROTO_TCP:
		if ((void *)(l4 + 14) <= c->end && (void *)(l4 + 14) <= c->lim) {
			p->q_flags = l4[13];
			p->q_has_flags = 1;
		}
		/* fall through */
	case IPPROTO_UDP:
		p->q_sport = (__u16)l4[0] << 8 | l4[1];
		p->q_dport = (__u16)l4[2] << 8 | l4[3];
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (proto != p->proto)
			return;
		p->q_sport = l4[0];
		p->q_dport = l4[1];
		break;
	default:
		return;
	}
	p->q_proto = proto;
}

static __always_inline int ifn_parse_l4(struct ifn_cursor *c, struct ifn_pkt *p)
{
	if (p->frag == IFN_FRAG_LATER)
		return IFN_REASON_NONE;

	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = c->pos;

		if ((void *)(th + 1) > c->end || (void *)(th + 1) > c->lim)
			return IFN_REASON_L4_TRUNC;
		if (th->doff < 5)
			return IFN_REASON_TCP_BAD_HDR;
		/* Options the data offset announces must be in the packet too. */
		if (c->pos + th->doff * 4 > c->lim)
			return IFN_REASON_L4_TRUNC;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = c->pos;

		if ((void *)(uh + 1) > c->end || (void *)(uh + 1) > c->lim)
			return IFN_REASON_L4_TRUNC;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *ic = c->pos;

		/* type, code, checksum: the part every ICMP message has. */
		if (c->pos + 4 > c->end || c->pos + 4 > c->lim)
			return IFN_REASON_L4_TRUNC;
		p->sport = ic[0];
		p->dport = ic[1];
		if (ifn_icmp_is_error(p, ic[0]))
			ifn_parse_quote(c, p, ic + 8);
		break;
	}
	default:
		return IFN_REASON_NONE;
	}
	p->has_l4 = 1;
	return IFN_REASON_NONE;
}

static __always_inline int ifn_parse_ipv4(struct ifn_cursor *c, struct ifn_pkt *p)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot_len;
	__u16 frag_off;

	if ((void *)(iph + 1) > c->end)
		return IFN_REASON_IPV4_TRUNC;
	p->family = IFN_FAMILY_IPV4;
	if (iph->version != 4 || iph->ihl < 5)
		return IFN_REASON_IPV4_BAD_HDR;
	hlen = iph->ihl * 4;
	if (c->pos + hlen > c->end)
		return IFN_REASON_IPV4_TRUNC;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hlen)
		return IFN_REASON_IPV4_BAD_HDR;
	/*
	 * Frames may carry Ethernet padding; they may not be shorter. Compared
	 * as pointers: a difference of two packet pointers would need
	 * CAP_PERFMON to load.
	 */
	if (c->pos + tot_len > c->end)
		return IFN_REASON_IPV4_TRUNC;

	ifn_map_v4(p->src, &iph->saddr);
	ifn_map_v4(p->dst, &iph->daddr);
	p->has_addr = 1;
	p->proto = iph->protocol;
	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & 0x1fff)
		p->frag = IFN_FRAG_LATER;
	else if (frag_off & 0x2000)
		p->frag = IFN_FRAG_FIRST;
	p->frag_id = bpf_ntohs(iph->id);
	p->frag_proto = iph->protocol;
	c->lim = c->pos + tot_len;
	c->pos += hlen;
	return ifn_parse_l4(c, p);
}

static __always_inline int ifn_ipv6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH || nh == IPPROTO_MH;
}

static __always_inline int ifn_parse_ipv6(struct ifn_cursor *c, struct ifn_pkt *p)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 plen;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return IFN_REASON_IPV6_TRUNC;
	p->family = IFN_FAMILY_IPV6;
	if (ip6->version != 6)
		return IFN_REASON_IPV6_BAD_HDR;
	/* As IPv4's total length: padding may follow, truncation may not. */
	plen = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + plen > c->end)
		return IFN_REASON_IPV6_TRUNC;
	c->lim = (void *)(ip6 + 1) + plen;
	__builtin_memcpy(p->src, &ip6->saddr, 16);
	__builtin_memcpy(p->dst, &ip6->daddr, 16);
	p->has_addr = 1;
	nh = ip6->nexthdr;
	c->pos = ip6 + 1;

#pragma unroll
	for (i = 0; i < IFN_MAX_IPV6_EXT_HDRS; i++) {
		struct ifn_ipv6_ext *ext = c->pos;
		__u32 len;

		if (!ifn_ipv6_is_ext(nh))
			break;
		if ((void *)(ext + 1) > c->end || (void *)(ext + 1) > c->lim)
			return IFN_REASON_IPV6_TRUNC;
		if (nh == IPPROTO_FRAGMENT) {
			struct ifn_ipv6_frag *fh = c->pos;
			__u16 off;

			if ((void *)(fh + 1) > c->end || (void *)(fh + 1) > c->lim)
				return IFN_REASON_IPV6_TRUNC;
			off = bpf_ntohs(fh->frag_off);
			p->frag_id = bpf_ntohl(fh->id);
			p->frag_proto = fh->nexthdr;
			nh = fh->nexthdr;
			c->pos = fh + 1;
			if (off & 0xfff8) {
				/* Later fragment: what follows is payload. */
				p->frag = IFN_FRAG_LATER;
				p->proto = nh;
				return IFN_REASON_NONE;
			}
			/*
			 * The last fragment header decides, as it gives the
			 * key: offset 0 without M is an atomic fragment, a
			 * whole packet, whatever a header before it said.
			 */
			p->frag = (off & 1) ? IFN_FRAG_FIRST : IFN_FRAG_NONE;
			continue;
		}
		if (nh == IPPROTO_AH)
			len = ((__u32)ext->hdrlen + 2) * 4;
		else
			len = ((__u32)ext->hdrlen + 1) * 8;
		nh = ext->nexthdr;
		if (c->pos + len > c->end || c->pos + len > c->lim)
			return IFN_REASON_IPV6_TRUNC;
		c->pos += len;
	}
	if (ifn_ipv6_is_ext(nh))
		return IFN_REASON_IPV6_EXT_LIMIT;
	p->proto = nh;
	return ifn_parse_l4(c, p);
}

/*
 * Parse a whole frame. Returns IFN_REASON_NONE or the reason the frame is
 * malformed; p->src_mac is valid whenever the reason is not ETH_TRUNC.
 */
static __always_inline int ifn_parse(struct xdp_md *ctx, struct ifn_pkt *p)
{
	struct ifn_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
		.lim = (void *)(long)ctx->data_end,
	};
	int reason;

	/*
	 * A difference of packet pointers: it makes loading need CAP_PERFMON
	 * as well, and saves a helper call (about 5 ns here) on every frame.
	 */
	p->len = (__u64)(c.end - c.pos);
	reason = ifn_parse_eth(&c, p);
	if (reason)
		return reason;

	switch (p->l3_proto) {
	case ETH_P_IP:
		return ifn_parse_ipv4(&c, p);
	case ETH_P_IPV6:
		return ifn_parse_ipv6(&c, p);
	case ETH_P_ARP:
		return ifn_parse_arp(&c, p);
	default:
		p->family = IFN_FAMILY_L2;
		return IFN_REASON_NONE;
	}
}

#endif /* IFN_PARSE_BPF_H */
