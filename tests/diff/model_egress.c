// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * model_egress.c - the reference model's egress side (see model.h): what
 * the tc program does with a frame the gateway delivers to a device. Its
 * inbound notes and PROBED (ANSWERS in iotfence.8) and its reading of DNS
 * answers (NAMES). "READING" marks a choice the page leaves open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"
#include "model_names.h"

/* ANSWERS: the egress program's inbound notes and PROBED */

struct probe_seen_key {
	__u32 gen;
	__u32 port; /* protocol << 16 | port */
};

struct prober_seen_key {
	__u32 gen;
	__u8 mac[6];
	__u16 pad;
};

/*
 * The egress side's parse (NAMES, ANSWERS; DESIGN, Names): Ethernet, up to
 * two VLAN tags, IPv4 or IPv6, and the UDP, TCP or ICMP header. Unlike the
 * XDP side it does not need the whole packet in the frame (a forwarded
 * frame's payload may lie in pages): the headers must be there and agree
 * with the IP lengths. READINGs: a fragment (first or later) carries no
 * whole message and notes nothing; IPv6 hop-by-hop, routing and
 * destination options headers are followed (at most eight), a fragment or
 * AH header ends the parse; ICMP needs its type and code. Fills saddr,
 * daddr, proto, ports (ICMP: type, code), tcp_flags; false: nothing to do.
 */
static bool eparse(const __u8 *f, size_t len, struct mdl_pkt *p)
{
	size_t off = 14, l4;
	unsigned int tags = 0, iplen, i;
	__u16 type;

	memset(p, 0, sizeof(*p));
	if (len < 14 || (f[0] & 1))
		return false;
	memcpy(p->src_mac, f + 6, 6);
	type = be16(f + 12);
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ) {
		if (tags++ == IFN_MAX_VLAN_TAGS || off + 4 > len)
			return false;
		type = be16(f + off + 2);
		off += 4;
	}
	if (type == ETH_P_IPV4) {
		unsigned int hl;

		if (off + 20 > len || (f[off] >> 4) != 4 || (f[off] & 15) < 5)
			return false;
		if (be16(f + off + 6) & 0x3fff)
			return false;
		hl = (f[off] & 15) * 4u;
		iplen = be16(f + off + 2);
		if (iplen < hl)
			return false;
		iplen -= hl;
		mapped(p->saddr, f + off + 12);
		mapped(p->daddr, f + off + 16);
		p->ipv4 = true;
		p->proto = f[off + 9];
		l4 = off + hl;
	} else if (type == ETH_P_IPV6) {
		__u8 nh;

		if (off + 40 > len || (f[off] >> 4) != 6)
			return false;
		iplen = be16(f + off + 4);
		memcpy(p->saddr, f + off + 8, 16);
		memcpy(p->daddr, f + off + 24, 16);
		p->ipv6 = true;
		nh = f[off + 6];
		l4 = off + 40;
		for (i = 0; i < IFN_MAX_IPV6_EXT_HDRS && (nh == 0 || nh == 43 || nh == 60); i++) {
			unsigned int hl;

			if (l4 + 2 > len)
				return false;
			hl = ((unsigned int)f[l4 + 1] + 1) * 8;
			if (hl > iplen)
				return false;
			iplen -= hl;
			nh = f[l4];
			l4 += hl;
		}
		p->proto = nh;
	} else {
		return false;
	}
	p->have_saddr = true;
	p->e_l4 = l4;
	p->e_iplen = iplen;
	switch (p->proto) {
	case 17:
		if (l4 + 8 > len || be16(f + l4 + 4) < 8 || be16(f + l4 + 4) > iplen)
			return false;
		p->sport = be16(f + l4);
		p->dport = be16(f + l4 + 2);
		break;
	case 6:
		if (l4 + 20 > len || (f[l4 + 12] >> 4) * 4u < 20 || (f[l4 + 12] >> 4) * 4u > iplen)
			return false;
		p->sport = be16(f + l4);
		p->dport = be16(f + l4 + 2);
		p->tcp_flags = f[l4 + 13];
		break;
	case 1:
	case 58:
		if (l4 + 2 > len)
			return false;
		p->icmp_type = f[l4];
		p->icmp_code = f[l4 + 1];
		break;
	default:
		return false;
	}
	p->have_l4 = true;
	return true;
}

/* READING: a port is a protocol's (TCP 80 and UDP 80 are two). */
static __u32 proto_port(const struct mdl_pkt *p, __u16 port)
{
	return (__u32)p->proto << 16 | port;
}

/* A prober tried one more device in its window: returns its count. */
static __u32 prober_devices(struct mdl *m, const struct mdl_device *d, const __u8 peer[16],
			    __u64 now, __u32 have_count, bool have, struct mdl_eresult *r)
{
	struct mdl_prober *pb = htab_get(&m->probers, peer);
	struct prober_seen_key bk = { 0 };
	bool fresh;

	if (!pb || now - pb->window_ns >= m->cfg.scan_window_ns) {
		struct mdl_prober nb = { .window_ns = now, .gen = ++m->probe_gens };

		pb = htab_put(&m->probers, peer, &nb);
	}
	bk.gen = pb->gen;
	memcpy(bk.mac, d->mac, 6);
	fresh = !htab_get(&m->prober_seen, &bk);
	if (fresh)
		htab_put(&m->prober_seen, &bk, NULL);
	pb->count = sketch_check(&m->probe_tally, "prober devices", fresh, pb->count, have,
				 have_count, 64, r->oracle_error, sizeof(r->oracle_error));
	return pb->count;
}

/*
 * ANSWERS: per (device, prober) and scan window, the distinct ports the
 * prober tries; more than half of scan-threshold: PROBED, once a window.
 * READING: the prober's devices are counted when it tries its first port
 * of a device in the pair's window, and again for the event.
 */
static void probe_count(struct mdl *m, struct mdl_device *d, const struct mdl_pkt *p, __u32 port,
			__u64 now, mdl_probe_oracle oracle, void *octx, struct mdl_eresult *r)
{
	struct ifn_probe_key pk = { 0 };
	struct probe_seen_key sk = { 0 };
	__u32 pports = 0, pdevs = 0, before;
	struct mdl_probe *pr;
	bool have, fresh;

	memcpy(pk.mac, d->mac, 6);
	memcpy(pk.peer, p->saddr, 16);
	r->probe = true;
	r->probe_key = pk;
	pr = htab_get(&m->probes, &pk);
	if (!pr || now - pr->window_ns >= m->cfg.scan_window_ns) {
		struct mdl_probe np = { .window_ns = now, .gen = ++m->probe_gens };

		pr = htab_put(&m->probes, &pk, &np);
	}
	have = oracle && oracle(octx, &pk, &pports, &pdevs);
	sk.gen = pr->gen;
	sk.port = port;
	fresh = !htab_get(&m->probe_seen, &sk);
	if (fresh)
		htab_put(&m->probe_seen, &sk, NULL);
	before = pr->count;
	pr->count = sketch_check(&m->probe_tally, "probe ports", fresh, before, have, pports, 256,
				 r->oracle_error, sizeof(r->oracle_error));
	if (pr->count == before)
		return;
	if (before == 0)
		prober_devices(m, d, p->saddr, now, pdevs, have, r);
	if (!pr->reported && 2ULL * pr->count > m->cfg.scan_threshold) {
		struct mdl_result tmp;
		struct ifn_event *e;

		pr->reported = true;
		memset(&tmp, 0, sizeof(tmp));
		e = emit(m, d, d->mac, IFN_EV_PROBED, now, &tmp);
		if (e) {
			e->value = pr->count;
			e->count2 = (__u16)prober_devices(m, d, p->saddr, now, pdevs, have, r);
			memcpy(e->addr, p->saddr, 16);
			r->ev[r->nev++] = *e;
		}
	}
}

/* NAMES: the egress program's reading of DNS answers */

/*
 * A name at @pos of the message (RFC 1035 4.1.4): labels and pointers,
 * with the page's bounds: a pointer must go back before everything this
 * name has read (READING: so no loop), not into the header, not past the
 * end; labels of at most 63, names of at most 255 bytes. With @out, the
 * text, lower-cased, checked for host-name bytes. Returns the offset after
 * the name where it was (not where pointers led), or 0 and sets *why.
 */
static size_t dns_name(const __u8 *msg, size_t n, size_t pos, char *out, unsigned int *why)
{
	size_t p = pos, after = 0, min = pos, tlen = 0, wire = 0;
	unsigned int steps = 0;

	for (;;) {
		__u8 l;

		if (++steps > 300) {
			*why = IFN_DNS_BAD_COMPLEX;
			return 0;
		}
		if (p >= n) {
			*why = IFN_DNS_BAD_NAME_TRUNC;
			return 0;
		}
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (p + 2 > n) {
				*why = IFN_DNS_BAD_NAME_TRUNC;
				return 0;
			}
			to = ((size_t)(l & 0x3f) << 8) | msg[p + 1];
			if (!after)
				after = p + 2;
			if (to < 12 || to >= n) {
				*why = IFN_DNS_BAD_PTR_RANGE;
				return 0;
			}
			if (to >= min) {
				*why = IFN_DNS_BAD_PTR_LOOP;
				return 0;
			}
			min = to;
			p = to;
			continue;
		}
		if (l & 0xc0) {
			/* READING: 0x40 and 0x80 are labels over 63 bytes. */
			*why = IFN_DNS_BAD_LABEL_LONG;
			return 0;
		}
		wire += 1 + l;
		if (wire > 255) {
			*why = IFN_DNS_BAD_NAME_LONG;
			return 0;
		}
		if (!l)
			break;
		if (p + 1 + l > n) {
			*why = IFN_DNS_BAD_NAME_TRUNC;
			return 0;
		}
		if (out) {
			size_t i;

			if (tlen)
				out[tlen++] = '.';
			for (i = 0; i < l; i++) {
				char c = (char)msg[p + 1 + i];

				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				      c == '-' || c == '_')) {
					*why = IFN_DNS_BAD_CHARS;
					return 0;
				}
				out[tlen++] = c;
			}
		}
		p += 1 + l;
	}
	if (out)
		out[tlen] = '\0';
	return after ? after : p + 1;
}

/*
 * NAMES: a DNS answer from port 53 to a device, believed (from the gateway
 * or through it, not from a LAN device), read, and its A and AAAA records
 * of class IN recorded for the device with the question's name and
 * max(TTL, dns-min-ttl). READINGs where the page is silent: the checks in
 * the order a reader meets them (TCP framing, the device, the header's
 * length, the size, then who sent it); an error rcode or an answer without
 * an address records nothing (ignored); a count is more than the message
 * can hold when each record would need 11 bytes.
 */
static void dns_answer(struct mdl *m, const __u8 *f, size_t len, const struct mdl_pkt *p,
		       __u32 ingress, __u64 now, struct mdl_eresult *r)
{
	struct ifn_dns_stats *st = &m->dst;
	struct mdl_device *d;
	size_t off, n, pos;
	const __u8 *msg;
	unsigned int why = 0, an, i, nrec = 0, extra = 0, qclass;
	char qname[IFN_DNS_NAME_MAX + 8] = "";
	__u8 addrs[IFN_DNS_MAX_RECORDS][16];
	__u32 ttls[IFN_DNS_MAX_RECORDS];

	if (p->proto == 17) {
		off = p->e_l4 + 8;
		n = be16(f + p->e_l4 + 4) - 8;
	} else {
		size_t doff = (size_t)(f[p->e_l4 + 12] >> 4) * 4;
		size_t tl;

		n = p->e_iplen - doff >= 2 ? p->e_iplen - doff - 2 : 0;
		off = p->e_l4 + doff + 2;
		if (off > len) {
			if (!n)
				return; /* an ACK, a FIN: no message */
			return;
		}
		tl = be16(f + off - 2);
		if (tl != n) {
			st->tcp_partial++;
			return;
		}
	}
	d = mdl_device(m, f);
	if (!d) {
		st->no_device++;
		return;
	}
	if (n < 12) {
		st->malformed[IFN_DNS_BAD_TRUNC]++;
		return;
	}
	if (n > IFN_DNS_MSG_MAX || off + n > len) {
		st->too_big++;
		return;
	}
	/* READING: a query, or another opcode, is no answer: nothing counted. */
	if (!(f[off + 2] & 0x80) || (f[off + 2] & 0x78))
		return;
	/* DESIGN, Names: came in on an attached interface, or on the one it
	 * leaves by (1 in a test run), or from a known device's MAC. */
	if ((ingress && ingress == 1 && m->lo.present) || ingress == 1 || mdl_device(m, f + 6)) {
		struct mdl_result tmp;
		struct ifn_event *e;

		st->spoofed++;
		memset(&tmp, 0, sizeof(tmp));
		e = emit(m, d, d->mac, IFN_EV_DNS_SPOOFED, now, &tmp);
		if (e) {
			memcpy(e->addr, p->saddr, 16);
			memcpy(e->other_mac, f + 6, 6);
			r->ev[r->nev++] = *e;
		}
		return;
	}
	msg = f + off;
	st->answers++;
	/* READING: an error rcode is read no further (ignored). */
	if (be16(msg + 2) & 0xf) {
		st->ignored++;
		return;
	}
	if (be16(msg + 4) != 1) {
		st->malformed[IFN_DNS_BAD_QDCOUNT]++;
		return;
	}
	an = be16(msg + 6);
	pos = dns_name(msg, n, 12, qname, &why);
	if (!pos) {
		st->malformed[why]++;
		return;
	}
	/* READING: the question's type and class are part of it. */
	if (pos + 4 > n) {
		st->malformed[IFN_DNS_BAD_NAME_TRUNC]++;
		return;
	}
	/* READING: an answer about another class than IN names no host. */
	qclass = be16(msg + pos + 2);
	pos += 4;
	if (an > IFN_DNS_MAX_ANSWERS) {
		st->too_many++;
		return;
	}
	/* READING: the smallest record is a pointer and ten bytes of fields. */
	if ((size_t)an * 12 > n - pos) {
		st->malformed[IFN_DNS_BAD_COUNTS]++;
		return;
	}
	for (i = 0; i < an; i++) {
		__u16 type, class, rdlen;

		pos = dns_name(msg, n, pos, NULL, &why);
		if (!pos) {
			st->malformed[why]++;
			return;
		}
		if (pos + 10 > n) {
			st->malformed[IFN_DNS_BAD_RR_TRUNC]++;
			return;
		}
		type = be16(msg + pos);
		class = be16(msg + pos + 2);
		rdlen = be16(msg + pos + 8);
		if (pos + 10 + rdlen > n) {
			st->malformed[IFN_DNS_BAD_RR_TRUNC]++;
			return;
		}
		if (class == 1 && (type == 1 || type == 28)) {
			if (rdlen != (type == 1 ? 4 : 16)) {
				st->malformed[IFN_DNS_BAD_RDLEN]++;
				return;
			}
			if (nrec < IFN_DNS_MAX_RECORDS) {
				__u32 ttl = be32(msg + pos + 4);

				/* RFC 2181, 8: a TTL with the top bit set means zero. */
				ttls[nrec] = ttl & 0x80000000 ? 0 : ttl;
				if (type == 1)
					mapped(addrs[nrec], msg + pos + 10);
				else
					memcpy(addrs[nrec], msg + pos + 10, 16);
				nrec++;
			} else {
				extra++;
			}
		}
		pos += 10 + rdlen;
	}
	if (!nrec || !qname[0] || qclass != 1) {
		st->ignored++;
		return;
	}
	{
		struct ifn_dns_name nm;
		__u64 h = name_hash(m->cfg.dns_key, qname, &nm);

		if (!htab_get(&m->dns_names, &h))
			htab_put(&m->dns_names, &h, &nm);
		for (i = 0; i < nrec; i++) {
			struct ifn_dns_key k = { 0 };
			struct ifn_dns_val *v;
			__u64 ttl_ns = (__u64)ttls[i] * NS_PER_S;
			__u64 exp = now + (ttl_ns > m->cfg.dns_min_ttl_ns ? ttl_ns :
									    m->cfg.dns_min_ttl_ns);
			int slot = -1, j, oldest = 0;

			memcpy(k.mac, d->mac, 6);
			memcpy(k.addr, addrs[i], 16);
			v = htab_get(&m->dns, &k);
			if (!v) {
				struct ifn_dns_val nv = { 0 };

				v = htab_put(&m->dns, &k, &nv);
			}
			/* Its own slot; else a free or lapsed one; else the first to lapse. */
			for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++)
				if (v->name[j] == h)
					slot = j;
			if (slot < 0)
				for (j = 0; j < IFN_DNS_NAMES_PER_ADDR && slot < 0; j++)
					if (!v->name[j] || v->expires_ns[j] < now)
						slot = j;
			if (slot < 0) {
				for (j = 1; j < IFN_DNS_NAMES_PER_ADDR; j++)
					if (v->expires_ns[j] < v->expires_ns[oldest])
						oldest = j;
				slot = oldest;
				st->names_displaced++;
			}
			if (v->name[slot] == h && v->expires_ns[slot] > exp)
				exp = v->expires_ns[slot];
			v->name[slot] = h;
			v->expires_ns[slot] = exp;
			st->records++;
			if (r->ndns < IFN_DNS_MAX_RECORDS)
				r->dns_keys[r->ndns++] = k;
		}
		st->records_dropped += extra;
		st->used++;
	}
}

void mdl_egress(struct mdl *m, const __u8 *f, size_t len, __u64 now, __u32 ingress_ifindex,
		mdl_probe_oracle oracle, void *octx, struct mdl_eresult *r)
{
	struct ifn_in_val v = { 0 };
	struct mdl_device *d;
	struct mdl_pkt p;
	bool attempt_port = false, syn;
	__u16 port = 0;

	memset(r, 0, sizeof(*r));
	if (!eparse(f, len, &p))
		return;
	d = mdl_device(m, f);
	/*
	 * ANSWERS: an inbound attempt the gateway delivers to a known device:
	 * TCP (a SYN or not), UDP, ICMP echo requests.
	 */
	if (!(p.proto == 6 || p.proto == 17) || p.sport != 53) {
		/* not DNS */
	} else {
		dns_answer(m, f, len, &p, ingress_ifindex, now, r);
	}
	if (!d)
		return;
	memset(&r->note, 0, sizeof(r->note));
	memcpy(r->note.mac, f, 6);
	r->note.proto = p.proto;
	memcpy(r->note.peer, p.saddr, 16);
	syn = p.proto == 6 && (p.tcp_flags & 0x02) && !(p.tcp_flags & 0x10);
	switch (p.proto) {
	case 6:
	case 17:
		r->note.peer_port = p.sport;
		r->note.dev_port = p.dport;
		/* A SYN, or a datagram to a port below 32768, tries a port. */
		attempt_port = p.proto == 6 ? syn : p.dport < 32768;
		port = p.dport;
		break;
	case 1:
	case 58:
		if (p.icmp_type != (p.proto == 1 ? 8 : 128))
			return;
		/* For ICMP the "ports" are the type and the code. */
		r->note.peer_port = p.icmp_type;
		r->note.dev_port = p.icmp_code;
		attempt_port = true;
		port = p.icmp_code; /* READING: an echo request tries its code */
		break;
	default:
		return;
	}
	v.seen_ns = now;
	v.syn = syn;
	{
		const struct ifn_in_val *old = htab_get(&m->inbound, &r->note);

		/*
		 * READING (not in the page, the program's granularity: see
		 * tests/diff/README.md): a note of the same kind younger than a
		 * second is not written again.
		 */
		if (old && old->syn == syn && now - old->seen_ns < NS_PER_S)
			return;
	}
	htab_put(&m->inbound, &r->note, &v);
	r->noted = true;
	if (attempt_port)
		probe_count(m, d, &p, proto_port(&p, port), now, oracle, octx, r);
}
