/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dns.bpf.h - the DNS answers the gateway delivers to devices (egress):
 * each address of an answer is recorded for the device that receives it,
 * with the question's name, before the frame leaves (docs/DESIGN.md,
 * Datapath 9). Nothing here drops or changes a frame.
 *
 * The message is copied once into a per-CPU scratch buffer and parsed
 * there by a state machine that bpf_loop() steps: the cursor and the state
 * live in the scratch map and are read again at each step, so that the
 * verifier sees one small step instead of every path through a message.
 * Every offset is checked against the message's length before it is used,
 * and masked as well so that the verifier can see it stays in the buffer.
 *
 * A message is parsed whole before anything is written: a malformed one
 * writes nothing and is counted by reason (enum ifn_dns_bad).
 */
#ifndef IFN_DNS_BPF_H
#define IFN_DNS_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "iotfence.h"
#include "parse.bpf.h"
#include "maps.bpf.h"
#include "ctx.bpf.h"
#include "events.bpf.h"
#include "device.bpf.h"

#define IFN_DNS_PORT 53
#define IFN_DNS_HDR_LEN 12
#define IFN_DNS_MSG_MASK (IFN_DNS_MSG_MAX - 1)
/* Parse steps: a real answer takes a few hundred; 64 records of long uncompressed owners fit. */
#define IFN_DNS_MAX_STEPS 16384

_Static_assert((IFN_DNS_MSG_MAX & IFN_DNS_MSG_MASK) == 0, "IFN_DNS_MSG_MAX is a power of two");

enum ifn_dns_phase {
	IFN_DNS_PH_NAME = 0, /* a name, label by label (the question's: byte by byte) */
	IFN_DNS_PH_QFIXED = 1, /* the question's type and class */
	IFN_DNS_PH_HASH = 2, /* the question name's hashes, right to left */
	IFN_DNS_PH_RR = 3, /* a record's type, class, TTL and data */
	IFN_DNS_PH_DONE = 4,
};

struct ifn_dns_rec {
	__u8 addr[16]; /* IPv6 or IPv4-mapped */
	__u32 ttl; /* seconds */
	__u32 pad;
};

struct ifn_dns_scratch {
	/* The slack past the message lets a masked offset read 16 bytes. */
	__u8 msg[IFN_DNS_MSG_MAX + 64];
	/* The question name as it will be stored: text, suffix hashes. */
	struct ifn_dns_name nm;
	__u8 lab_off[128]; /* label starts in nm.name */
	__u8 lab_len[128];
	__u64 key;
	__u64 hash;
	__u32 len; /* of the message */
	__u32 pos; /* the next field to read */
	__u32 np; /* inside the name being read */
	__u32 ret; /* where the message goes on after a name that jumped */
	__u32 min_off; /* a pointer must go below this: no loop is possible */
	__u32 wire; /* the name's length on the wire, as RFC 1035 counts it */
	__u32 tlen; /* its text so far */
	__u32 left; /* bytes of the current label still to copy */
	__u32 nlabels;
	__u32 phase;
	__u32 err; /* enum ifn_dns_bad */
	__u32 ancount;
	__u32 an_i;
	__u32 nrec;
	__u32 extra; /* address records past IFN_DNS_MAX_RECORDS */
	__u32 jumped;
	__u32 copy; /* the name is the question's: copied and hashed */
	__u32 li; /* hashing: labels left */
	__u32 bi; /* hashing: the byte within the label */
	__u32 qclass;
	struct ifn_dns_rec rec[IFN_DNS_MAX_RECORDS];
};

/* Working memory, per CPU: not state, never pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ifn_dns_scratch);
} ifn_dns_scratch SEC(".maps");

/*
 * What the egress program knows of a frame before its DNS message. Its
 * first bytes are the frame's inbound note key as the parse leaves them
 * (device = destination MAC, protocol, the peer's port = source port, the
 * device's = destination port, peer = source address): the note on every
 * frame reads them in place, with no copy (inbound.bpf.h).
 */
struct ifn_epkt {
	union {
		struct ifn_in_key key;
		struct {
			__u8 dst_mac[6]; /* the device */
			__u8 proto;
			__u8 key_pad; /* 0, as the note's key has it */
			__u16 sport;
			__u16 dport;
			__u8 src[16];
		};
	};
	__u8 family;
	__u8 tcp_flags;
	__u8 pad[2];
	__u8 src_mac[8];
	__u32 l4_off; /* from the start of the frame */
	__u32 l4_len; /* by the IP header's lengths: L4 header and payload */
	__u32 msg_off; /* the DNS message (TCP: after its length prefix) */
	__u32 msg_len; /* by the UDP length or the TCP segment's; 0: none */
	__u32 ifindex; /* the interface it leaves by */
	__u32 ingress_ifindex; /* where it came in; 0: the gateway made it */
	__u8 dst[16];
} __attribute__((aligned(8)));

_Static_assert(__builtin_offsetof(struct ifn_epkt, dst_mac) ==
			       __builtin_offsetof(struct ifn_in_key, mac) &&
		       __builtin_offsetof(struct ifn_epkt, proto) ==
			       __builtin_offsetof(struct ifn_in_key, proto) &&
		       __builtin_offsetof(struct ifn_epkt, sport) ==
			       __builtin_offsetof(struct ifn_in_key, peer_port) &&
		       __builtin_offsetof(struct ifn_epkt, dport) ==
			       __builtin_offsetof(struct ifn_in_key, dev_port) &&
		       __builtin_offsetof(struct ifn_epkt, src) ==
			       __builtin_offsetof(struct ifn_in_key, peer),
	       "ifn_epkt begins with its inbound note key");

/* The device's MAC as the key of ifn_dev_index (8 bytes, zero-padded). */
static __always_inline void ifn_epkt_dev_key(const struct ifn_epkt *p, struct ifn_mac_key *mk)
{
	__builtin_memset(mk, 0, sizeof(*mk));
	__builtin_memcpy(mk->mac, p->dst_mac, 6);
}

/*
 * Ethernet, VLAN tags, IPv4 or IPv6 (extension headers), and the UDP or
 * TCP header, from the linear part of the frame. Unlike the XDP parser it
 * does not need the whole packet to be there (a forwarded frame's payload
 * may lie in pages): the message is read with a helper. Returns 0 for a
 * frame that may carry DNS, 1 for ICMP (type and code in the ports), -1
 * for any other.
 */
static __always_inline int ifn_eparse(void *data, void *end, struct ifn_epkt *p)
{
	struct ifn_cursor c = { .pos = data, .end = end, .lim = end };
	struct ifn_pkt hp;
	__u32 iplen = 0;
	__u8 nh;
	int i;

	__builtin_memset(&hp, 0, sizeof(hp));
	if (c.pos + ETH_HLEN > end)
		return -1;
	__builtin_memcpy(p->dst_mac, data, 6);
	if (ifn_parse_eth(&c, &hp))
		return -1;
	__builtin_memcpy(p->src_mac, hp.src_mac, 6);
	if (hp.l3_proto == ETH_P_IP) {
		struct iphdr *iph = c.pos;
		__u32 hlen;

		if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
			return -1;
		/* Later fragments carry no header; a first one is no whole message. */
		if (iph->frag_off & bpf_htons(0x3fff))
			return -1;
		hlen = iph->ihl * 4;
		iplen = bpf_ntohs(iph->tot_len);
		if (iplen < hlen)
			return -1;
		iplen -= hlen;
		ifn_map_v4_word(p->src, iph->saddr);
		ifn_map_v4_word(p->dst, iph->daddr);
		p->family = IFN_FAMILY_IPV4;
		nh = iph->protocol;
		c.pos += hlen;
	} else if (hp.l3_proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = c.pos;

		if ((void *)(ip6 + 1) > end || ip6->version != 6)
			return -1;
		iplen = bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(p->src, &ip6->saddr, 16);
		__builtin_memcpy(p->dst, &ip6->daddr, 16);
		p->family = IFN_FAMILY_IPV6;
		nh = ip6->nexthdr;
		c.pos = ip6 + 1;
#pragma unroll
		for (i = 0; i < IFN_MAX_IPV6_EXT_HDRS; i++) {
			struct ifn_ipv6_ext *ext = c.pos;
			__u32 len;

			if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS)
				break;
			if ((void *)(ext + 1) > end)
				return -1;
			len = ((__u32)ext->hdrlen + 1) * 8;
			if (len > iplen)
				return -1;
			iplen -= len;
			nh = ext->nexthdr;
			c.pos += len;
		}
	} else {
		return -1;
	}
	p->proto = nh;
	/* Packet pointers compared, never subtracted, but for this offset. */
	p->l4_off = (__u64)(c.pos - data);
	p->l4_len = iplen;
	if (nh == IPPROTO_UDP) {
		struct udphdr *uh = c.pos;

		if ((void *)(uh + 1) > end)
			return -1;
		__u32 ulen = bpf_ntohs(uh->len);

		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		if (ulen < 8 || ulen > iplen)
			return -1;
		p->msg_off = p->l4_off + 8;
		p->msg_len = ulen - 8;
		return 0;
	}
	if (nh == IPPROTO_TCP) {
		struct tcphdr *th = c.pos;

		if ((void *)(th + 1) > end)
			return -1;
		__u32 doff = th->doff * 4;

		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
		if (doff < 20 || doff > iplen)
			return -1;
		/* The two-byte length prefix, then the message (RFC 1035, 4.2.2). */
		p->msg_off = p->l4_off + doff + 2;
		p->msg_len = iplen - doff >= 2 ? iplen - doff - 2 : 0;
		return 0;
	}
	/* For the inbound notes (inbound.bpf.h): type and code, no DNS. */
	if (nh == IPPROTO_ICMP || nh == IPPROTO_ICMPV6) {
		__u8 *ic = c.pos;

		if ((void *)(ic + 2) > end)
			return -1;
		p->sport = ic[0];
		p->dport = ic[1];
		return 1;
	}
	return -1;
}

static __always_inline struct ifn_dns_scratch *ifn_dns_s(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ifn_dns_scratch, &zero);
}

static __always_inline __u32 ifn_dns_u16(const struct ifn_dns_scratch *s, __u32 off)
{
	return (__u32)s->msg[off & IFN_DNS_MSG_MASK] << 8 | s->msg[(off + 1) & IFN_DNS_MSG_MASK];
}

static __always_inline long ifn_dns_fail(struct ifn_dns_scratch *s, __u32 why)
{
	s->err = why;
	return 1;
}

/* Set up the reading of the name at s->pos. */
static __always_inline void ifn_dns_name_start(struct ifn_dns_scratch *s, __u32 copy)
{
	s->np = s->pos;
	s->min_off = s->pos;
	s->jumped = 0;
	s->wire = 0;
	s->left = 0;
	s->copy = copy;
	s->phase = IFN_DNS_PH_NAME;
}

static __always_inline long ifn_dns_step_name(struct ifn_dns_scratch *s)
{
	__u32 np = s->np, b, t;

	if (np >= s->len)
		return ifn_dns_fail(s, IFN_DNS_BAD_NAME_TRUNC);
	if (s->left) {
		/* One byte of a question label: lower case, and a host name's. */
		__u8 ch = s->msg[np & IFN_DNS_MSG_MASK];

		if (ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			   ch == '_'))
			return ifn_dns_fail(s, IFN_DNS_BAD_CHARS);
		s->nm.name[s->tlen & (IFN_DNS_NAME_MAX - 1)] = ch;
		s->tlen++;
		s->left--;
		s->np = np + 1;
		return 0;
	}
	b = s->msg[np & IFN_DNS_MSG_MASK];
	if (b == 0) {
		s->pos = s->jumped ? s->ret : np + 1;
		s->phase = s->copy ? IFN_DNS_PH_QFIXED : IFN_DNS_PH_RR;
		return 0;
	}
	if ((b & 0xc0) == 0xc0) {
		if (np + 1 >= s->len)
			return ifn_dns_fail(s, IFN_DNS_BAD_NAME_TRUNC);
		t = (b & 0x3f) << 8 | s->msg[(np + 1) & IFN_DNS_MSG_MASK];
		if (t < IFN_DNS_HDR_LEN || t >= s->len)
			return ifn_dns_fail(s, IFN_DNS_BAD_PTR_RANGE);
		/*
		 * Only back, below everything this name has read: then no
		 * sequence of pointers can come round again.
		 */
		if (t >= s->min_off)
			return ifn_dns_fail(s, IFN_DNS_BAD_PTR_LOOP);
		if (!s->jumped) {
			s->ret = np + 2;
			s->jumped = 1;
		}
		s->min_off = t;
		s->np = t;
		return 0;
	}
	/* 0x40 and 0x80: the obsolete extended label types, or a length over 63. */
	if (b > 63)
		return ifn_dns_fail(s, IFN_DNS_BAD_LABEL_LONG);
	s->wire += b + 1;
	/* With the root label's byte: 255 at most (RFC 1035, 2.3.4). */
	if (s->wire + 1 > 255)
		return ifn_dns_fail(s, IFN_DNS_BAD_NAME_LONG);
	if (np + 1 + b > s->len)
		return ifn_dns_fail(s, IFN_DNS_BAD_NAME_TRUNC);
	if (!s->copy) {
		s->np = np + 1 + b;
		return 0;
	}
	if (s->tlen) {
		s->nm.name[s->tlen & (IFN_DNS_NAME_MAX - 1)] = '.';
		s->tlen++;
	}
	s->lab_off[s->nlabels & 127] = s->tlen;
	s->lab_len[s->nlabels & 127] = b;
	s->nlabels++;
	s->left = b;
	s->np = np + 1;
	return 0;
}

static __always_inline long ifn_dns_step_qfixed(struct ifn_dns_scratch *s)
{
	__u32 pos = s->pos;

	if (pos + 4 > s->len)
		return ifn_dns_fail(s, IFN_DNS_BAD_NAME_TRUNC);
	s->qclass = ifn_dns_u16(s, pos + 2);
	s->pos = pos + 4;
	/* The smallest record: a pointer and the ten bytes of fields. */
	if (s->ancount * 12 > s->len - s->pos)
		return ifn_dns_fail(s, IFN_DNS_BAD_COUNTS);
	s->li = s->nlabels;
	s->bi = 0;
	s->hash = s->key;
	s->phase = IFN_DNS_PH_HASH;
	return 0;
}

/* One byte of the question name's hash, labels right to left. */
static __always_inline long ifn_dns_step_hash(struct ifn_dns_scratch *s)
{
	__u32 li, ln, k;

	if (!s->li) {
		s->an_i = 0;
		if (!s->ancount) {
			s->phase = IFN_DNS_PH_DONE;
			return 1;
		}
		ifn_dns_name_start(s, 0);
		return 0;
	}
	li = (s->li - 1) & 127;
	ln = s->lab_len[li];
	if (s->bi < ln) {
		__u32 off = s->lab_off[li] + s->bi;

		s->hash = ifn_name_hash_byte(s->hash, s->nm.name[off & (IFN_DNS_NAME_MAX - 1)]);
		s->bi++;
		return 0;
	}
	s->hash = ifn_name_hash_label(s->hash, ln);
	k = s->nlabels - s->li;
	if (k < IFN_DNS_SUFFIXES)
		s->nm.suffix[k] = s->hash;
	s->li--;
	s->bi = 0;
	return 0;
}

static __always_inline long ifn_dns_step_rr(struct ifn_dns_scratch *s)
{
	__u32 pos = s->pos, type, class, rdlen, ttl;

	if (pos + 10 > s->len)
		return ifn_dns_fail(s, IFN_DNS_BAD_RR_TRUNC);
	type = ifn_dns_u16(s, pos);
	class = ifn_dns_u16(s, pos + 2);
	ttl = ifn_dns_u16(s, pos + 4) << 16 | ifn_dns_u16(s, pos + 6);
	rdlen = ifn_dns_u16(s, pos + 8);
	if (pos + 10 + rdlen > s->len)
		return ifn_dns_fail(s, IFN_DNS_BAD_RR_TRUNC);
	if (class == 1 && (type == 1 || type == 28)) {
		__u32 want = type == 1 ? 4 : 16;

		if (rdlen != want)
			return ifn_dns_fail(s, IFN_DNS_BAD_RDLEN);
		if (s->nrec < IFN_DNS_MAX_RECORDS) {
			struct ifn_dns_rec *r = &s->rec[s->nrec & (IFN_DNS_MAX_RECORDS - 1)];
			__u32 off = (pos + 10) & IFN_DNS_MSG_MASK;

			if (type == 1)
				ifn_map_v4(r->addr, &s->msg[off]);
			else
				__builtin_memcpy(r->addr, &s->msg[off], 16);
			/* RFC 2181, 8: a TTL with the top bit set means zero. */
			r->ttl = ttl & 0x80000000 ? 0 : ttl;
			s->nrec++;
		} else {
			s->extra++;
		}
	}
	s->pos = pos + 10 + rdlen;
	s->an_i++;
	if (s->an_i >= s->ancount) {
		s->phase = IFN_DNS_PH_DONE;
		return 1;
	}
	ifn_dns_name_start(s, 0);
	return 0;
}

static long ifn_dns_step(__u32 i, void *unused)
{
	struct ifn_dns_scratch *s = ifn_dns_s();

	(void)i;
	(void)unused;
	if (!s)
		return 1;
	switch (s->phase) {
	case IFN_DNS_PH_NAME:
		return ifn_dns_step_name(s);
	case IFN_DNS_PH_QFIXED:
		return ifn_dns_step_qfixed(s);
	case IFN_DNS_PH_HASH:
		return ifn_dns_step_hash(s);
	case IFN_DNS_PH_RR:
		return ifn_dns_step_rr(s);
	default:
		return 1;
	}
}

/*
 * Parse the message in s->msg (s->len bytes, at least a header). Returns
 * IFN_DNS_OK with the name and records in @s, or why it is malformed.
 * *ignore is set for a well-formed message with nothing to record.
 */
static __always_inline __u32 ifn_dns_parse(struct ifn_dns_scratch *s, __u64 key, int *ignore)
{
	__u32 qdcount;

	*ignore = 0;
	qdcount = ifn_dns_u16(s, 4);
	s->ancount = ifn_dns_u16(s, 6);
	/* An error (NXDOMAIN...) gives no address: nothing to parse. */
	if (s->msg[3] & 0x0f) {
		*ignore = 1;
		return IFN_DNS_OK;
	}
	if (qdcount != 1)
		return IFN_DNS_BAD_QDCOUNT;
	if (s->ancount > IFN_DNS_MAX_ANSWERS) {
		*ignore = 2;
		return IFN_DNS_OK;
	}
	__builtin_memset(&s->nm, 0, sizeof(s->nm));
	s->key = key;
	s->pos = IFN_DNS_HDR_LEN;
	s->err = IFN_DNS_OK;
	s->tlen = 0;
	s->nlabels = 0;
	s->nrec = 0;
	s->extra = 0;
	ifn_dns_name_start(s, 1);
	bpf_loop(IFN_DNS_MAX_STEPS, ifn_dns_step, NULL, 0);
	if (s->err)
		return s->err;
	if (s->phase != IFN_DNS_PH_DONE)
		return IFN_DNS_BAD_COMPLEX;
	/* The root, another class, or no address: well formed, nothing to keep. */
	if (!s->nlabels || s->qclass != 1 || !s->nrec)
		*ignore = 1;
	return IFN_DNS_OK;
}

struct ifn_dns_write {
	__u8 mac[6];
	__u8 pad[2];
	__u64 now;
	__u64 min_ttl_ns;
	__u64 name;
	__u32 nrec;
	__u32 written;
	__u32 displaced;
	__u32 failed;
};

/* Record one address of the answer for the device (loop callback). */
static long ifn_dns_write_rec(__u32 i, void *vctx)
{
	struct ifn_dns_write *w = vctx;
	struct ifn_dns_scratch *s = ifn_dns_s();
	struct ifn_dns_key k;
	struct ifn_dns_val *v, nv;
	__u64 ttl_ns, exp, oldest = ~0ULL;
	int j, slot = -1, old = 0;

	if (!s || i >= w->nrec || i >= IFN_DNS_MAX_RECORDS)
		return 1;
	ttl_ns = (__u64)s->rec[i].ttl * IFN_NSEC_PER_SEC;
	exp = w->now + (ttl_ns > w->min_ttl_ns ? ttl_ns : w->min_ttl_ns);
	__builtin_memcpy(k.mac, w->mac, 6);
	k.pad[0] = 0;
	k.pad[1] = 0;
	__builtin_memcpy(k.addr, s->rec[i].addr, 16);
	v = bpf_map_lookup_elem(&ifn_dns, &k);
	if (!v) {
		__builtin_memset(&nv, 0, sizeof(nv));
		nv.name[0] = w->name;
		nv.expires_ns[0] = exp;
		if (bpf_map_update_elem(&ifn_dns, &k, &nv, BPF_NOEXIST))
			w->failed++;
		else
			w->written++;
		return 0;
	}
	/* The same name again, a free or lapsed slot, or the one that lapses first. */
#pragma unroll
	for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++) {
		if (v->name[j] == w->name) {
			slot = j;
			break;
		}
	}
	if (slot < 0) {
#pragma unroll
		for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++) {
			if (slot < 0 && (!v->name[j] || v->expires_ns[j] < w->now))
				slot = j;
			if (v->expires_ns[j] < oldest) {
				oldest = v->expires_ns[j];
				old = j;
			}
		}
		if (slot < 0) {
			slot = old;
			w->displaced++;
		}
	}
	if (slot >= 0 && slot < IFN_DNS_NAMES_PER_ADDR) {
		if (v->name[slot] == w->name && v->expires_ns[slot] > exp)
			exp = v->expires_ns[slot];
		/* A memo of what the slot's old name admitted is not the new one's. */
		if (v->name[slot] != w->name && (v->admitted & 0xf) == (__u64)slot + 1)
			v->admitted = 0;
		v->expires_ns[slot] = exp;
		v->name[slot] = w->name;
	}
	w->written++;
	return 0;
}

/*
 * May this answer be believed? Only what the gateway itself sends, or
 * forwards from beyond: a frame that came in on an attached LAN interface,
 * or that carries a known device's source MAC, is a LAN device's.
 */
static __always_inline int ifn_dns_spoofed(const struct ifn_epkt *p)
{
	struct ifn_mac_key mk = {};
	__u32 idx = p->ingress_ifindex;

	if (idx && idx != p->ifindex && bpf_map_lookup_elem(&ifn_ifaces, &idx))
		return 1;
	/* The same interface: a device answering another across the bridge. */
	if (idx == p->ifindex)
		return 1;
	__builtin_memcpy(mk.mac, p->src_mac, 6);
	return bpf_map_lookup_elem(&ifn_dev_index, &mk) != NULL;
}

/*
 * The DNS message of the frame is in s->msg, s->len bytes. Parse it and,
 * if it is well formed and believed, record its addresses for the device
 * (p->dst_mac, known: @dev).
 */
static __always_inline void ifn_dns_answer(const struct ifn_epkt *p, struct ifn_dns_scratch *s,
					   struct ifn_dns_stats *st, struct ifn_config *cfg,
					   struct ifn_device *dev, __u64 now)
{
	struct ifn_dns_write w = {};
	struct ifn_dns_name *nm;
	__u32 why;
	int ignore;

	/* Queries and other opcodes are no answers. */
	if (!(s->msg[2] & 0x80) || (s->msg[2] & 0x78))
		return;
	if (ifn_dns_spoofed(p)) {
		struct ifn_global_stats *gs;
		struct ifn_event *e;
		struct ifn_ctx x;
		__u32 zero = 0;

		st->spoofed++;
		gs = bpf_map_lookup_elem(&ifn_stats, &zero);
		if (!gs)
			return;
		__builtin_memset(&x, 0, sizeof(x));
		__builtin_memcpy(x.pkt.src_mac, p->dst_mac, 6);
		x.dev = dev;
		/* A limited event is counted on the device too (EVENTS). */
		x.ds = bpf_map_lookup_elem(&ifn_dev_stats, &dev->slot);
		x.gs = gs;
		x.cfg = cfg;
		x.now = now;
		x.ifindex = p->ifindex;
		e = ifn_ev_reserve(&x, IFN_EV_DNS_SPOOFED);
		if (!e)
			return;
		__builtin_memcpy(e->addr, p->src, 16);
		__builtin_memcpy(e->other_mac, p->src_mac, 6);
		e->value = p->ingress_ifindex;
		bpf_ringbuf_submit(e, 0);
		return;
	}
	st->answers++;
	why = ifn_dns_parse(s, cfg->dns_key, &ignore);
	if (why) {
		if (why < IFN_DNS_BAD_MAX)
			st->malformed[why]++;
		return;
	}
	if (ignore) {
		if (ignore == 2)
			st->too_many++;
		else
			st->ignored++;
		return;
	}
	s->nm.labels = s->nlabels;
	s->nm.len = s->tlen;
	w.name = s->hash;
	nm = bpf_map_lookup_elem(&ifn_dns_names, &w.name);
	if (!nm && bpf_map_update_elem(&ifn_dns_names, &w.name, &s->nm, BPF_ANY)) {
		st->write_failed++;
		return;
	}
	__builtin_memcpy(w.mac, p->dst_mac, 6);
	w.now = now;
	w.min_ttl_ns = cfg->dns_min_ttl_ns;
	w.nrec = s->nrec;
	bpf_loop(IFN_DNS_MAX_RECORDS, ifn_dns_write_rec, &w, 0);
	st->records += w.written;
	st->names_displaced += w.displaced;
	st->write_failed += w.failed;
	st->records_dropped += s->extra;
	if (w.written) {
		st->used++;
		/*
		 * A flow to a new address may be cached as refused on some
		 * CPU: the device's decisions are made afresh.
		 */
		if (dev->flags & IFN_DEV_F_NAME_RULES)
			__sync_fetch_and_add(&dev->fp_gen, 1);
	}
}

/* What a DNS answer's processing needs, found before its message is copied. */
struct ifn_dns_run {
	struct ifn_dns_stats *st;
	struct ifn_config *cfg;
	struct ifn_device *dev;
	struct ifn_dns_scratch *s;
	__u32 copy_len; /* what the caller copies into s->msg */
};

/*
 * A frame from port 53: is it an answer to a known device that fits the
 * buffer? Returns 0 when the caller should copy r->copy_len bytes of the
 * message (from p->msg_off) into r->s->msg and call ifn_dns_answer().
 * @tcp_len: the TCP length prefix (the caller read it), ignored for UDP.
 */
static __always_inline int ifn_dns_begin(const struct ifn_epkt *p, __u32 tcp_len,
					 struct ifn_dns_run *r)
{
	__u32 zero = 0, slot = 0, n = p->msg_len;
	struct ifn_mac_key mk;

	r->st = bpf_map_lookup_elem(&ifn_dns_stats, &zero);
	r->cfg = bpf_map_lookup_elem(&ifn_config, &zero);
	r->s = ifn_dns_s();
	if (!r->st || !r->cfg || !r->s)
		return -1;
	if (p->proto == IPPROTO_TCP) {
		if (!n && tcp_len == ~0U)
			return -1; /* an ACK, a FIN: no message */
		if (tcp_len != n) {
			r->st->tcp_partial++;
			return -1;
		}
	}
	ifn_epkt_dev_key(p, &mk);
	r->dev = ifn_device_find(&mk, &slot);
	if (!r->dev) {
		r->st->no_device++;
		return -1;
	}
	if (n < IFN_DNS_HDR_LEN) {
		r->st->malformed[IFN_DNS_BAD_TRUNC]++;
		return -1;
	}
	if (n > IFN_DNS_MSG_MAX) {
		r->st->too_big++;
		return -1;
	}
	/*
	 * A length the verifier sees bounded from 1 to the buffer: clang
	 * would otherwise check a copy of the register the bound never
	 * reaches (issue 12's notes).
	 */
	n = ((n - 1) & IFN_DNS_MSG_MASK) + 1;
	asm volatile("" : "+r"(n));
	r->copy_len = n;
	r->s->len = n;
	return 0;
}

#endif /* IFN_DNS_BPF_H */
