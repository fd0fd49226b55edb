// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gen_in.c - frames to devices for the egress program (inbound attempts)
 * and the devices' frames that answer them (ANSWERS in iotfence.8).
 */
#include <string.h>

#include "gen.h"

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* Ethernet and up to two VLAN tags; returns the offset of the ethertype. */
static size_t eth(struct gen_ctx *g, __u8 *b, const __u8 dst[6], const __u8 src[6])
{
	size_t off = 12;
	unsigned int tags = rng_pct(g->rng, 85) ? 0 : 1 + (unsigned int)rng_below(g->rng, 2);

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	while (tags--) {
		put16(b + off, rng_pct(g->rng, 70) ? 0x8100 : 0x88a8);
		put16(b + off + 2, (__u16)rng_below(g->rng, 4095));
		off += 4;
	}
	return off;
}

/* An IP header of @plen payload bytes after the ethertype at @off; returns the L4 offset. */
static size_t ip(__u8 *b, size_t off, bool v6, const __u8 *src, const __u8 *dst, __u8 proto,
		 size_t plen)
{
	if (!v6) {
		put16(b + off, 0x0800);
		off += 2;
		memset(b + off, 0, 20);
		b[off] = 0x45;
		put16(b + off + 2, (__u16)(20 + plen));
		b[off + 8] = 64;
		b[off + 9] = proto;
		memcpy(b + off + 12, src, 4);
		memcpy(b + off + 16, dst, 4);
		return off + 20;
	}
	put16(b + off, 0x86dd);
	off += 2;
	memset(b + off, 0, 40);
	b[off] = 0x60;
	put16(b + off + 4, (__u16)plen);
	b[off + 6] = proto;
	b[off + 7] = 64;
	memcpy(b + off + 8, src, 16);
	memcpy(b + off + 24, dst, 16);
	return off + 40;
}

/* TCP, UDP or ICMP header of 20, 8 or 8 bytes at @p. */
static size_t l4(__u8 *p, __u8 proto, __u16 sport, __u16 dport, __u8 flags, __u8 type, __u8 code)
{
	if (proto == 6) {
		memset(p, 0, 20);
		put16(p, sport);
		put16(p + 2, dport);
		p[12] = 5 << 4;
		p[13] = flags;
		put16(p + 14, 65535);
		return 20;
	}
	memset(p, 0, 8);
	if (proto == 17) {
		put16(p, sport);
		put16(p + 2, dport);
		put16(p + 4, 8);
		return 8;
	}
	p[0] = type;
	p[1] = code;
	return 8;
}

static void dev_addr(const struct gen_ctx *g, unsigned int di, bool v6, __u8 *out)
{
	if (v6)
		memcpy(out, g->dev_gl6[di], 16);
	else
		memcpy(out, g->dev_ip4[di], 4);
}

size_t gen_inbound(struct gen_ctx *g, __u8 *b, __u32 *ingress)
{
	struct rng *r = g->rng;
	struct gen_att a = { 0 };
	__u8 src_mac[6], dst[16], tmp[64];
	size_t off, n, len;
	unsigned int x;

	if (!g->ndev)
		return 0;
	a.dev = (unsigned int)rng_below(r, g->ndev);
	a.v6 = rng_pct(r, 30);
	/* From beyond (a peer) or from another device on the LAN. */
	*ingress = rng_pct(r, 60) ? 0 : rng_pct(r, 50) ? 4242 : 1;
	memcpy(src_mac, g->gw_mac, 6);
	if (rng_pct(r, 25) && g->ndev > 1) {
		unsigned int o = (unsigned int)rng_below(r, g->ndev);

		dev_addr(g, o, a.v6, a.peer);
		if (rng_pct(r, 70))
			memcpy(src_mac, g->dev_mac[o], 6);
		*ingress = rng_pct(r, 70) ? 1 : 0;
	} else if (a.v6) {
		memcpy(a.peer, g->peer6[rng_below(r, g->npeer6)], 16);
	} else {
		memcpy(a.peer, g->peer4[rng_below(r, g->npeer4)], 4);
	}
	x = (unsigned int)rng_below(r, 100);
	if (x < 45) {
		static const __u8 fl[] = { 0x02, 0x02, 0x02, 0x10, 0x18, 0x04, 0x12, 0x11 };

		a.proto = 6;
		a.flags = fl[rng_below(r, sizeof(fl))];
	} else if (x < 80) {
		a.proto = 17;
	} else {
		a.proto = a.v6 ? 58 : 1;
		a.type = rng_pct(r, 80) ? (a.v6 ? 128 : 8) : (a.v6 ? 129 : 0);
		a.code = rng_pct(r, 90) ? 0 : (__u8)rng_below(r, 3);
	}
	/* Scans try many ports; clients answer from few. */
	a.dport = rng_pct(r, 50) ? g->ports[rng_below(r, g->nports)] :
				   (__u16)(1 + rng_below(r, rng_pct(r, 50) ? 1024 : 65535));
	a.sport = rng_pct(r, 50) ? (__u16)(32768 + rng_below(r, 8)) :
				   g->ports[rng_below(r, g->nports)];
	dev_addr(g, a.dev, a.v6, dst);
	off = eth(g, b, g->dev_mac[a.dev], src_mac);
	n = l4(tmp, a.proto, a.sport, a.dport, a.flags, a.type, a.code);
	off = ip(b, off, a.v6, a.peer, dst, a.proto, n);
	memcpy(b + off, tmp, n);
	len = off + n;
	/* Now and then a damaged one: cut short. */
	if (rng_pct(r, 4))
		len = 14 + rng_below(r, len - 14);
	g->att[g->att_pos++ % 16] = a;
	if (g->natt < 16)
		g->natt++;
	return len;
}

size_t gen_answer(struct gen_ctx *g, __u8 *b)
{
	struct rng *r = g->rng;
	const struct gen_att *a;
	__u8 src[16], tmp[256];
	size_t off, n;
	__u8 proto;

	if (!g->natt)
		return 0;
	a = &g->att[rng_below(r, g->natt)];
	dev_addr(g, a->dev, a->v6, src);
	off = eth(g, b, g->gw_mac, g->dev_mac[a->dev]);
	proto = a->proto;
	if (rng_pct(r, 25) && (a->proto == 6 || a->proto == 17 || a->type == 8 || a->type == 128)) {
		/* An ICMP error quoting the attempt (whole, or cut). */
		size_t q = 0, qn;
		__u8 ql4[20];

		proto = a->v6 ? 58 : 1;
		memset(tmp, 0, 8);
		tmp[0] = a->v6 ? (__u8)(1 + rng_below(r, 4)) :
				 (__u8)(rng_pct(r, 70) ? 3 :
					rng_pct(r, 50) ? 11 :
							 12);
		tmp[1] = a->v6 ? 4 : 3;
		qn = l4(ql4, a->proto, a->sport, a->dport, a->flags, a->type, a->code);
		q = ip(tmp + 8 - 2, 0, a->v6, a->peer, src, a->proto, qn) - 2;
		/* ip() wrote an ethertype in the ICMP header's last 2 bytes. */
		memset(tmp + 6, 0, 2);
		memcpy(tmp + 8 + q, ql4, qn);
		n = 8 + q + (rng_pct(r, 80) ? qn : rng_below(r, qn));
		if (rng_pct(r, 10))
			tmp[8 + (a->v6 ? 8 : 12)] ^= 1; /* quotes another packet */
	} else if (proto == 6) {
		static const __u8 fl[] = { 0x04, 0x14, 0x12, 0x12, 0x10, 0x18 };

		n = l4(tmp, 6, a->dport, a->sport, fl[rng_below(r, sizeof(fl))], 0, 0);
	} else if (proto == 17) {
		n = l4(tmp, 17, a->dport, rng_pct(r, 90) ? a->sport : (__u16)(a->sport + 1), 0, 0,
		       0);
	} else {
		n = l4(tmp, proto, 0, 0, 0, a->v6 ? 129 : 0, a->code);
	}
	off = ip(b, off, a->v6, src, a->peer, proto, n);
	memcpy(b + off, tmp, n);
	return off + n;
}

/* DNS answers (NAMES in iotfence.8) */

static const char *const dns_names[] = {
	"a3k7.iot.eu-west-1.amazonaws.com",
	"cdn.example.com",
	"api.example.com",
	"example.com",
	"x.y.example.com",
	"time.vendor.net",
	"Mixed.Case.Example.COM",
	"mqtt_1.vendor.net",
};

struct dnsmsg {
	__u8 b[2200];
	size_t n;
};

static void m8(struct dnsmsg *m, __u8 v)
{
	if (m->n < sizeof(m->b))
		m->b[m->n++] = v;
}

static void m16(struct dnsmsg *m, __u16 v)
{
	m8(m, (__u8)(v >> 8));
	m8(m, (__u8)v);
}

static void mname(struct dnsmsg *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		m8(m, (__u8)l);
		while (l--)
			m8(m, (__u8)*s++);
		if (*s == '.')
			s++;
	}
	m8(m, 0);
}

/* A record of @type with owner a pointer to the question (or uncompressed). */
static void mrr(struct gen_ctx *g, struct dnsmsg *m, const char *qname, __u16 type,
		const __u8 *data, __u16 len)
{
	if (rng_pct(g->rng, 85))
		m16(m, 0xc00c);
	else
		mname(m, qname);
	m16(m, type);
	m16(m, rng_pct(g->rng, 97) ? 1 : 3);
	m16(m, 0);
	m16(m, rng_pct(g->rng, 30) ? 0 : (__u16)rng_below(g->rng, 7200));
	m16(m, len);
	while (len--)
		m8(m, *data++);
}

size_t gen_dns(struct gen_ctx *g, __u8 *b, __u32 *ingress)
{
	struct rng *r = g->rng;
	struct dnsmsg m = { .n = 0 };
	const char *qname = dns_names[rng_below(r, sizeof(dns_names) / sizeof(dns_names[0]))];
	unsigned int dev, nans, i;
	bool v6 = rng_pct(r, 25), tcp = rng_pct(r, 10);
	__u8 src_mac[6], src[16] = { 0 }, dst[16], tmp[16];
	size_t off, l4n, len;

	if (!g->ndev)
		return 0;
	dev = (unsigned int)rng_below(r, g->ndev);
	*ingress = rng_pct(r, 70) ? 0 : 4242;
	memcpy(src_mac, g->gw_mac, 6);
	if (v6) {
		src[0] = 0x20;
		src[1] = 0x01;
		src[15] = 0x53;
	} else {
		src[0] = 192;
		src[1] = 168;
		src[2] = 1;
		src[3] = 1;
	}
	/* A forged answer: from a LAN device, by its MAC or its port. */
	if (rng_pct(r, 10)) {
		if (rng_pct(r, 50))
			memcpy(src_mac, g->dev_mac[rng_below(r, g->ndev)], 6);
		else
			*ingress = 1;
	}
	nans = (unsigned int)rng_below(r, rng_pct(r, 90) ? 6 : 20);
	m16(&m, (__u16)rng_next(r));
	m16(&m, rng_pct(r, 95) ? 0x8180 : 0x8183);
	m16(&m, 1);
	m16(&m, (__u16)nans);
	m16(&m, 0);
	m16(&m, 0);
	mname(&m, qname);
	m16(&m, 1);
	m16(&m, 1);
	for (i = 0; i < nans; i++) {
		unsigned int x = (unsigned int)rng_below(r, 100);

		if (x < 10) {
			/* A CNAME: the question's name stands for the chain. */
			struct dnsmsg c = { .n = 0 };

			mname(&c, "edge.cdn.net");
			mrr(g, &m, qname, 5, c.b, (__u16)c.n);
		} else if (x < 70) {
			memcpy(tmp, g->peer4[rng_below(r, g->npeer4)], 4);
			if (rng_pct(r, 30))
				tmp[3] = (__u8)(100 + rng_below(r, 4));
			mrr(g, &m, qname, 1, tmp, 4);
		} else if (x < 90) {
			memcpy(tmp, g->peer6[rng_below(r, g->npeer6)], 16);
			mrr(g, &m, qname, 28, tmp, 16);
		} else {
			mrr(g, &m, qname, 16, (const __u8 *)"\x04text", 5);
		}
	}
	/* Damage, now and then: one byte, a cut, a pointer. */
	if (rng_pct(r, 15) && m.n > 12) {
		switch (rng_below(r, 5)) {
		case 0:
			m.n = 1 + rng_below(r, m.n - 1);
			break;
		case 1:
			m.b[12 + rng_below(r, m.n - 12)] = (__u8)rng_next(r);
			break;
		case 2:
			m.b[12] = (__u8)(64 + rng_below(r, 10)); /* a label over 63 */
			break;
		case 3:
			m.b[m.n - 1] ^= 0xff;
			break;
		default:
			m.b[4 + rng_below(r, 8)] = (__u8)rng_below(r, 4);
			break;
		}
	}
	dev_addr(g, dev, v6, dst);
	off = eth(g, b, g->dev_mac[dev], src_mac);
	if (!tcp) {
		l4n = 8 + m.n;
		off = ip(b, off, v6, src, dst, 17, l4n);
		put16(b + off, 53);
		put16(b + off + 2, (__u16)(40000 + rng_below(r, 1000)));
		put16(b + off + 4, (__u16)l4n);
		put16(b + off + 6, 0);
		memcpy(b + off + 8, m.b, m.n);
	} else {
		l4n = 20 + 2 + m.n;
		off = ip(b, off, v6, src, dst, 6, l4n);
		l4(b + off, 6, 53, (__u16)(40000 + rng_below(r, 1000)), 0x18, 0, 0);
		put16(b + off + 20, (__u16)(m.n + (rng_pct(r, 5) ? 1 : 0)));
		memcpy(b + off + 22, m.b, m.n);
	}
	len = off + l4n;
	return len;
}
