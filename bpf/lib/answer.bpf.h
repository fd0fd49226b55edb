/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * answer.bpf.h - a device's frames that are about someone else's packets:
 * ICMP errors judged by the flow they quote, and answers to the inbound
 * attempts the egress program noted (inbound.bpf.h). Neither is a flow of
 * the device's own: a port scan of a device must not make it a scanner.
 */
#ifndef IFN_ANSWER_BPF_H
#define IFN_ANSWER_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "flowkey.bpf.h"
#include "rules.bpf.h"

/* What kind of answer a frame is (enum, not a count). */
enum ifn_answer_kind {
	IFN_ANS_NONE = 0,
	/* RST, RST/ACK, an ICMP error: no content, never learned. */
	IFN_ANS_EMPTY = 1,
	/* SYN/ACK, echo reply, UDP reply: a service, learned as one. */
	IFN_ANS_SERVICE = 2,
};

static __always_inline __u16 ifn_icmp_req(__u8 proto)
{
	return proto == IPPROTO_ICMP ? 8 : 128;
}

static __always_inline __u16 ifn_icmp_rep(__u8 proto)
{
	return proto == IPPROTO_ICMP ? 0 : 129;
}

/*
 * Does the fingerprint allow the flow an ICMP error quotes? The quoted
 * packet went from the peer to the device; turned around it is a frame of
 * the device, and judged as one: its ports swapped, a quoted SYN as a
 * SYN/ACK (the device would serve), a quoted SYN/ACK as a SYN (the device
 * had opened), a quoted echo request as an echo reply. The frame's own
 * fields are put back before returning; no cache entry is written.
 */
static __always_inline int ifn_quote_allows(struct ifn_ctx *x)
{
	struct ifn_pkt *p = &x->pkt;
	__u8 proto = p->proto, flags = p->tcp_flags, qf = p->q_flags;
	__u16 sport = p->sport, dport = p->dport;
	struct ifn_flow_key qk;
	struct ifn_cand c;
	int ok;

	p->proto = p->q_proto;
	p->sport = p->q_dport;
	p->dport = p->q_sport;
	if (p->q_proto == IPPROTO_TCP) {
		qf &= IFN_TCP_SYN | IFN_TCP_ACK;
		if (p->q_has_flags && qf == IFN_TCP_SYN)
			p->tcp_flags = IFN_TCP_SYN | IFN_TCP_ACK;
		else if (p->q_has_flags && qf == (IFN_TCP_SYN | IFN_TCP_ACK))
			p->tcp_flags = IFN_TCP_SYN;
		else
			p->tcp_flags = IFN_TCP_ACK;
	} else if (p->q_proto == proto) {
		/* ICMP in ICMP: the quoted type stands where the port would. */
		if (p->q_sport == ifn_icmp_req(proto))
			p->sport = ifn_icmp_rep(proto);
		else if (p->q_sport == ifn_icmp_rep(proto))
			p->sport = ifn_icmp_req(proto);
		else
			p->sport = p->q_sport;
		p->dport = 0;
	}
	ifn_candidates(p, &c);
	ifn_key_fill(&qk, p, &c);
	ok = ifn_key_allowed(x->dev, &qk);
	if (!ok && c.n == 2) {
		qk.port = c.port[1];
		qk.dir = c.dir[1];
		ok = ifn_key_allowed(x->dev, &qk);
	}
	p->proto = proto;
	p->sport = sport;
	p->dport = dport;
	p->tcp_flags = flags;
	return ok;
}

/*
 * Is this frame of the device an answer to an inbound attempt noted within
 * the answer memory: a TCP RST (with or without ACK) or SYN/ACK (to a
 * SYN) between the attempt's ports, a UDP datagram from the attempted
 * port back to the sender's, an echo reply to an echo request, or an ICMP
 * error that quotes the attempt? One lookup of ifn_inbound.
 */
static __always_inline int ifn_answer(struct ifn_ctx *x)
{
	const struct ifn_pkt *p = &x->pkt;
	struct ifn_in_key key = {};
	struct ifn_in_val *v;
	__u64 mem;
	int kind;

	if (!p->has_l4 || p->family == IFN_FAMILY_L2)
		return IFN_ANS_NONE;
	key.proto = p->proto;
	key.peer_port = p->dport;
	key.dev_port = p->sport;
	switch (p->proto) {
	case IPPROTO_TCP:
		if (p->tcp_flags & IFN_TCP_RST)
			kind = IFN_ANS_EMPTY;
		else if ((p->tcp_flags & (IFN_TCP_SYN | IFN_TCP_ACK)) ==
			 (IFN_TCP_SYN | IFN_TCP_ACK))
			kind = IFN_ANS_SERVICE;
		else
			return IFN_ANS_NONE;
		break;
	case IPPROTO_UDP:
		kind = IFN_ANS_SERVICE;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (p->sport == ifn_icmp_rep(p->proto)) {
			/* Noted as the request came: its type, its code 0. */
			key.peer_port = ifn_icmp_req(p->proto);
			key.dev_port = 0;
			kind = IFN_ANS_SERVICE;
		} else if (p->q_proto) {
			key.proto = p->q_proto;
			key.peer_port = p->q_sport;
			key.dev_port = p->q_dport;
			kind = IFN_ANS_EMPTY;
		} else {
			return IFN_ANS_NONE;
		}
		break;
	default:
		return IFN_ANS_NONE;
	}
	__builtin_memcpy(key.mac, p->src_mac, 6);
	__builtin_memcpy(key.peer, p->dst, 16);
	v = bpf_map_lookup_elem(&ifn_inbound, &key);
	if (!v)
		return IFN_ANS_NONE;
	mem = x->cfg->answer_s ? x->cfg->answer_s : IFN_ANSWER_S_DEFAULT;
	/* Younger than the answer memory (iotfence.8, ANSWERS). */
	if (x->now > v->seen_ns && x->now - v->seen_ns >= mem * IFN_NSEC_PER_SEC)
		return IFN_ANS_NONE;
	/* A SYN/ACK answers a SYN; to anything else it is the device's own. */
	if (kind == IFN_ANS_SERVICE && p->proto == IPPROTO_TCP && !v->syn)
		return IFN_ANS_NONE;
	return kind;
}

#endif /* IFN_ANSWER_BPF_H */
