// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * replay_scan.c - what replay must know about a capture before it runs it:
 * the gateway, whose frames a live iotfence on the LAN interface would
 * never see as a device's; each frame's device; and the frames that must
 * run in capture order across devices when several workers run frames at
 * once. Pure: frames in, flags out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "parse.h"
#include "replay_scan.h"

static __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void map_v4(__u8 dst[16], const __u8 *v4)
{
	memset(dst, 0, 10);
	dst[10] = dst[11] = 0xff;
	memcpy(dst + 12, v4, 4);
}

bool rp_parse_l3(const __u8 *d, __u32 len, struct rp_l3 *o)
{
	__u32 off = 14;
	__u16 et;
	int i;

	memset(o, 0, sizeof(*o));
	if (len < 14)
		return false;
	et = be16(d + 12);
	for (i = 0; i < 2 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++) {
		if (off + 4 > len)
			return false;
		et = be16(d + off + 2);
		off += 4;
	}
	o->ethertype = et;
	if (et == 0x0806) {
		const __u8 *a = d + off;

		if (off + 28 > len || be16(a) != 1 || be16(a + 2) != 0x0800 || a[4] != 6 ||
		    a[5] != 4)
			return false;
		o->arp = true;
		o->family = 4;
		map_v4(o->src, a + 14);
		map_v4(o->dst, a + 24);
		o->has_src = o->has_dst = true;
		return true;
	}
	if (et == 0x0800) {
		const __u8 *ip = d + off;
		__u32 ihl;

		if (off + 20 > len || (ip[0] >> 4) != 4)
			return false;
		ihl = (ip[0] & 15) * 4u;
		o->family = 4;
		o->proto = ip[9];
		map_v4(o->src, ip + 12);
		map_v4(o->dst, ip + 16);
		o->has_src = o->has_dst = true;
		o->first_frag = (be16(ip + 6) & 0x1fff) == 0;
		if (o->first_frag && (o->proto == 6 || o->proto == 17) && ihl >= 20 &&
		    off + ihl + 4 <= len) {
			o->sport = be16(ip + ihl);
			o->dport = be16(ip + ihl + 2);
		}
		return true;
	}
	if (et == 0x86dd) {
		const __u8 *ip = d + off;

		if (off + 40 > len || (ip[0] >> 4) != 6)
			return false;
		o->family = 6;
		o->proto = ip[6];
		memcpy(o->src, ip + 8, 16);
		memcpy(o->dst, ip + 24, 16);
		o->has_src = o->has_dst = true;
		o->first_frag = true;
		if ((o->proto == 6 || o->proto == 17) && off + 44 <= len) {
			o->sport = be16(ip + 40);
			o->dport = be16(ip + 42);
		} else if (o->proto == 58 && off + 41 <= len) {
			o->sport = ip[40];
		}
		return true;
	}
	return false;
}

static bool is_v4(const __u8 a[16])
{
	static const __u8 pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, 12);
}

/* RFC 1918 and link-local: addresses a LAN uses for its own hosts. */
static bool v4_is_lan(const __u8 a[16])
{
	const __u8 *v = a + 12;

	return v[0] == 10 || (v[0] == 172 && (v[1] & 0xf0) == 16) || (v[0] == 192 && v[1] == 168) ||
	       (v[0] == 169 && v[1] == 254);
}

bool rp_v4_is_public(const __u8 addr[16])
{
	const __u8 *v = addr + 12;

	if (!is_v4(addr) || v4_is_lan(addr))
		return false;
	/* this network, loopback, shared (CGN), multicast and reserved */
	if (v[0] == 0 || v[0] == 127 || v[0] >= 224 || (v[0] == 100 && (v[1] & 0xc0) == 64))
		return false;
	return true;
}

static bool v6_is_global(const __u8 a[16])
{
	return (a[0] & 0xe0) == 0x20 && !is_v4(a);
}

/* ---- small open-addressing tables ---- */

static __u32 hash_bytes(const void *p, size_t n)
{
	const __u8 *b = p;
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

/* A set of (index, address) pairs. */
struct pair {
	__u32 idx; /* + 1: 0 is an empty slot */
	__u8 addr[16];
	__u32 val;
};

struct pairset {
	struct pair *t;
	size_t size, n;
};

static int ps_grow(struct pairset *s)
{
	size_t size = s->size ? s->size * 2 : 1024, i;
	struct pair *t = calloc(size, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < s->size; i++) {
		size_t j;

		if (!s->t[i].idx)
			continue;
		j = hash_bytes(&s->t[i].idx, 20) & (size - 1);
		while (t[j].idx)
			j = (j + 1) & (size - 1);
		t[j] = s->t[i];
	}
	free(s->t);
	s->t = t;
	s->size = size;
	return 0;
}

/* The entry for (idx, addr), added if @add; NULL if absent (or no memory). */
static struct pair *ps_get(struct pairset *s, __u32 idx, const __u8 addr[16], bool add, int *err)
{
	struct pair k = { .idx = idx + 1 };
	size_t j;

	memcpy(k.addr, addr, 16);
	if (add && (s->n + 1) * 2 > s->size && ps_grow(s)) {
		*err = -ENOMEM;
		return NULL;
	}
	if (!s->size)
		return NULL;
	j = hash_bytes(&k.idx, 20) & (s->size - 1);
	while (s->t[j].idx) {
		if (s->t[j].idx == k.idx && !memcmp(s->t[j].addr, addr, 16))
			return &s->t[j];
		j = (j + 1) & (s->size - 1);
	}
	if (!add)
		return NULL;
	s->t[j] = k;
	s->n++;
	return &s->t[j];
}

static void ps_free(struct pairset *s)
{
	free(s->t);
	memset(s, 0, sizeof(*s));
}

/* ---- the MAC table ---- */

__u32 rp_scan_find(const struct rp_scan *s, const __u8 mac[6])
{
	size_t j;

	if (!s->hash_size)
		return RP_NODEV;
	j = hash_bytes(mac, 6) & (s->hash_size - 1);
	while (s->mac_hash[j]) {
		__u32 i = s->mac_hash[j] - 1;

		if (!memcmp(s->macs[i].mac, mac, 6))
			return i;
		j = (j + 1) & (s->hash_size - 1);
	}
	return RP_NODEV;
}

static int rehash(struct rp_scan *s, size_t size)
{
	__u32 *h = calloc(size, sizeof(*h));
	size_t i;

	if (!h)
		return -ENOMEM;
	for (i = 0; i < s->nmacs; i++) {
		size_t j = hash_bytes(s->macs[i].mac, 6) & (size - 1);

		while (h[j])
			j = (j + 1) & (size - 1);
		h[j] = i + 1;
	}
	free(s->mac_hash);
	s->mac_hash = h;
	s->hash_size = size;
	return 0;
}

static __u32 mac_add(struct rp_scan *s, const __u8 mac[6], int *err)
{
	__u32 i = rp_scan_find(s, mac);
	size_t j;

	if (i != RP_NODEV)
		return i;
	if ((s->nmacs + 1) * 2 > s->hash_size && rehash(s, s->hash_size ? s->hash_size * 2 : 256)) {
		*err = -ENOMEM;
		return RP_NODEV;
	}
	if (ifn_grow((void **)&s->macs, &s->macs_cap, s->nmacs + 1, sizeof(*s->macs), 64)) {
		*err = -ENOMEM;
		return RP_NODEV;
	}
	i = s->nmacs++;
	memset(&s->macs[i], 0, sizeof(s->macs[i]));
	memcpy(s->macs[i].mac, mac, 6);
	j = hash_bytes(mac, 6) & (s->hash_size - 1);
	while (s->mac_hash[j])
		j = (j + 1) & (s->hash_size - 1);
	s->mac_hash[j] = i + 1;
	return i;
}

/*
 * The gateway guess. A router on the LAN relays conversations between the
 * outside and private hosts: it delivers frames from public IPv4 addresses
 * to private ones, and the hosts send their frames for those addresses to
 * its MAC. A host never does both for an address that is not its own, and
 * a device that spoofs public sources gets no answers through itself, so
 * one such conversation is evidence enough. IPv6 routers announce
 * themselves (router advertisements) and relay from many /64 prefixes. Only
 * when nothing on the capture routes, a DHCP server is taken for the
 * gateway (small captures that hold little but the device's own setup).
 */
static int gather_evidence(struct rp_scan *s, const struct rp_input *in)
{
	struct pairset relayed = { 0 }, nexthop = { 0 }, v6pfx = { 0 };
	int err = 0;
	size_t i;

	for (i = 0; i < in->nframes && !err; i++) {
		const struct rp_frame *f = &in->frames[i];
		const __u8 *d = in->arena + f->off;
		__u32 src = f->dev, dst;
		struct rp_l3 l;

		if (src == RP_NODEV || !rp_parse_l3(d, f->caplen, &l))
			continue;
		if (l.family == 4 && !l.arp) {
			if (rp_v4_is_public(l.src) && v4_is_lan(l.dst))
				ps_get(&relayed, src, l.src, true, &err);
			dst = rp_scan_find(s, d);
			if (dst != RP_NODEV && v4_is_lan(l.src) && rp_v4_is_public(l.dst))
				ps_get(&nexthop, dst, l.dst, true, &err);
			if (l.proto == 17 && l.sport == 67 && l.dport == 68)
				s->macs[src].dhcp_offers++;
		} else if (l.family == 6) {
			if (v6_is_global(l.src)) {
				__u8 p[16] = { 0 };

				memcpy(p, l.src, 8);
				if (!ps_get(&v6pfx, src, p, false, &err)) {
					ps_get(&v6pfx, src, p, true, &err);
					s->macs[src].v6_prefixes++;
				}
			}
			if (l.proto == 58 && l.sport == 134)
				s->macs[src].router_adverts++;
		}
	}
	for (i = 0; i < relayed.size && !err; i++) {
		struct pair *p = &relayed.t[i];

		if (p->idx && ps_get(&nexthop, p->idx - 1, p->addr, false, &err))
			s->macs[p->idx - 1].nat_peers++;
	}
	ps_free(&relayed);
	ps_free(&nexthop);
	ps_free(&v6pfx);
	return err;
}

static void pick_gateways(struct rp_scan *s)
{
	size_t i;

	for (i = 0; i < s->nmacs; i++) {
		struct rp_mac *m = &s->macs[i];

		m->gateway = m->nat_peers || m->router_adverts || m->v6_prefixes >= 3;
		s->ngateways += m->gateway;
	}
	if (s->ngateways)
		return;
	for (i = 0; i < s->nmacs; i++) {
		s->macs[i].gateway = s->macs[i].dhcp_offers > 0;
		s->ngateways += s->macs[i].gateway;
	}
}

void rp_gateway_evidence(const struct rp_mac *m, bool guessed, char *buf, size_t len)
{
	size_t o = 0;

	if (!guessed) {
		snprintf(buf, len, "given with --gateway");
		return;
	}
	buf[0] = 0;
	if (m->nat_peers)
		o += snprintf(buf + o, len - o, "relays %u public IPv4 peer%s to private hosts",
			      m->nat_peers, m->nat_peers == 1 ? "" : "s");
	if (m->router_adverts && o < len)
		o += snprintf(buf + o, len - o, "%ssends router advertisements", o ? "; " : "");
	if (m->v6_prefixes >= 3 && o < len)
		o += snprintf(buf + o, len - o, "%ssources %u global IPv6 /64 prefixes",
			      o ? "; " : "", m->v6_prefixes);
	if (!o && m->dhcp_offers && o < len)
		snprintf(buf + o, len - o, "answers DHCP (nothing on the capture routes)");
}

/* Address classes a device keeps one current address of (device.bpf.h). */
enum { CL_V4, CL_V6LL, CL_V6, CL_N };

/* The class of a source address, or -1 when the datapath does not track it. */
static int addr_class(const struct rp_l3 *l)
{
	static const __u8 zero[16];

	if (!l->has_src)
		return -1;
	if (l->family == 6) {
		if (l->src[0] == 0xff || !memcmp(l->src, zero, 16))
			return -1;
		return l->src[0] == 0xfe && (l->src[1] & 0xc0) == 0x80 ? CL_V6LL : CL_V6;
	}
	if (l->src[12] == 0 && !l->src[13] && !l->src[14] && !l->src[15])
		return -1;
	return l->src[12] >= 224 ? -1 : CL_V4;
}

struct prev_addr {
	__u8 addr[CL_N][16];
	bool valid[CL_N];
	bool seen;
};

/*
 * A gateway's frame to a device (unicast to a MAC that sends frames of its
 * own and is no gateway) is one a live gateway's egress program takes on
 * the LAN interface: DNS answers, the peers' packets, scans from beyond.
 * It runs that stage alone, at its place among the device's frames.
 */
static void mark_egress(struct rp_scan *s, const struct rp_input *in, struct rp_frame *f)
{
	const __u8 *dst = in->arena + f->off;
	__u32 to;

	if (f->flags & (RP_F_OVERSIZED | RP_F_RUNT | RP_F_BADLEN) || (dst[0] & 1))
		return;
	to = rp_scan_find(s, dst);
	if (to == RP_NODEV || s->macs[to].gateway || !s->macs[to].frames)
		return;
	f->flags |= RP_F_EGRESS;
	f->to = to;
	s->egress_frames++;
}

/*
 * A device frame's destination if another device (the egress stage then
 * notes it as an inbound attempt on that device), else RP_NODEV.
 */
static __u32 lan_peer(const struct rp_scan *s, const struct rp_input *in, const struct rp_frame *f)
{
	const __u8 *dst = in->arena + f->off;
	__u32 to;

	if (f->dev == RP_NODEV ||
	    (f->flags & (RP_F_GATEWAY | RP_F_OVERSIZED | RP_F_RUNT | RP_F_BADLEN)) || (dst[0] & 1))
		return RP_NODEV;
	to = rp_scan_find(s, dst);
	if (to == RP_NODEV || to == f->dev || s->macs[to].gateway || !s->macs[to].frames)
		return RP_NODEV;
	return to;
}

/*
 * The egress stage's state that devices share (inbound notes, probers):
 * a device's frame to another device writes the other's notes, which that
 * device's frames read; a sender that reaches several devices (a prober)
 * keeps one count of them. So a frame from one device to another is
 * ordered, and every later frame of the device it reached; a gateway frame
 * whose sender reaches several devices is ordered, and one to a device
 * that LAN neighbours also reach.
 */
static int mark_sync_inbound(struct rp_scan *s, struct rp_input *in)
{
	struct pairset senders = { 0 };
	bool *reached;
	int err = 0;
	size_t i;

	reached = calloc(s->nmacs ? s->nmacs : 1, sizeof(*reached));
	if (!reached)
		return -ENOMEM;
	/* First pass: which senders reach more than one device. */
	for (i = 0; i < in->nframes && !err; i++) {
		const struct rp_frame *f = &in->frames[i];
		__u32 to = (f->flags & RP_F_EGRESS) ? f->to : lan_peer(s, in, f);
		struct pair *p;
		struct rp_l3 l;

		if (to == RP_NODEV || !rp_parse_l3(in->arena + f->off, f->caplen, &l) || !l.has_src)
			continue;
		p = ps_get(&senders, 0, l.src, true, &err);
		if (!p)
			break;
		if (!p->val)
			p->val = to + 1;
		else if (p->val != to + 1)
			p->val = RP_NODEV; /* several devices */
	}
	for (i = 0; i < in->nframes && !err; i++) {
		struct rp_frame *f = &in->frames[i];
		struct pair *p;
		struct rp_l3 l;
		__u32 to;

		if (f->flags & RP_F_EGRESS) {
			if (f->to != RP_NODEV && reached[f->to]) {
				f->flags |= RP_F_SYNC;
			} else if (rp_parse_l3(in->arena + f->off, f->caplen, &l) && l.has_src) {
				p = ps_get(&senders, 0, l.src, false, &err);
				if (p && p->val == RP_NODEV)
					f->flags |= RP_F_SYNC;
			}
			continue;
		}
		if (f->dev == RP_NODEV || (f->flags & RP_F_GATEWAY))
			continue;
		if (reached[f->dev])
			f->flags |= RP_F_SYNC;
		to = lan_peer(s, in, f);
		if (to != RP_NODEV) {
			f->flags |= RP_F_SYNC;
			reached[to] = true;
		}
	}
	ps_free(&senders);
	free(reached);
	return err;
}

/*
 * Frames whose outcome may depend on another device's frames. Address
 * ownership is the only state the datapath shares between devices: a frame
 * claims an address that another device may hold (IP_CONFLICT), or gives
 * one up that another device may claim next. An address used by a single
 * device all along cannot meet another device, so only frames that carry,
 * or leave, an address used by several devices are ordered; and every
 * device's first frame, which takes a slot of the device table.
 */
static int mark_sync(struct rp_scan *s, struct rp_input *in)
{
	struct pairset owners = { 0 };
	struct prev_addr *prev;
	static const __u8 none[16];
	int err = 0;
	size_t i;

	prev = calloc(s->nmacs ? s->nmacs : 1, sizeof(*prev));
	if (!prev)
		return -ENOMEM;
	/* First pass: which addresses are sourced by more than one device. */
	for (i = 0; i < in->nframes && !err; i++) {
		const struct rp_frame *f = &in->frames[i];
		struct pair *p;
		struct rp_l3 l;

		if (f->dev == RP_NODEV || (f->flags & RP_F_GATEWAY) ||
		    !rp_parse_l3(in->arena + f->off, f->caplen, &l) || addr_class(&l) < 0)
			continue;
		p = ps_get(&owners, 0, l.src, true, &err);
		if (!p)
			break;
		if (!p->val)
			p->val = f->dev + 1;
		else if (p->val != f->dev + 1)
			p->val = RP_NODEV; /* shared */
	}
	for (i = 0; i < in->nframes && !err; i++) {
		struct rp_frame *f = &in->frames[i];
		struct prev_addr *pa;
		struct pair *p;
		struct rp_l3 l;
		int c;

		if (f->dev == RP_NODEV || (f->flags & RP_F_GATEWAY))
			continue;
		pa = &prev[f->dev];
		if (!pa->seen) {
			pa->seen = true;
			f->flags |= RP_F_SYNC;
		}
		if (!rp_parse_l3(in->arena + f->off, f->caplen, &l))
			continue;
		c = addr_class(&l);
		if (c < 0)
			continue;
		p = ps_get(&owners, 0, l.src, false, &err);
		if ((p && p->val == RP_NODEV) ||
		    (pa->valid[c] && memcmp(pa->addr[c], l.src, 16) &&
		     (p = ps_get(&owners, 0, pa->addr[c], false, &err)) && p->val == RP_NODEV))
			f->flags |= RP_F_SYNC;
		memcpy(pa->addr[c], l.src, 16);
		pa->valid[c] = memcmp(l.src, none, 16) != 0;
	}
	if (!err)
		err = mark_sync_inbound(s, in);
	for (i = 0; i < in->nframes; i++)
		s->sync_points += !!(in->frames[i].flags & RP_F_SYNC);
	ps_free(&owners);
	free(prev);
	return err;
}

int rp_scan(struct rp_scan *s, struct rp_input *in, const __u8 (*given)[6], size_t n_given,
	    bool no_guess)
{
	int err = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < in->nframes && !err; i++) {
		struct rp_frame *f = &in->frames[i];
		const __u8 *src = in->arena + f->off + 6;

		f->dev = RP_NODEV;
		f->to = RP_NODEV;
		f->flags &= ~(RP_F_GATEWAY | RP_F_SYNC | RP_F_EGRESS);
		/* A record that contradicts itself is no evidence of a device. */
		if (f->caplen < 14 || (f->flags & RP_F_BADLEN) || !ifn_mac_is_device(src))
			continue;
		f->dev = mac_add(s, src, &err);
		if (f->dev != RP_NODEV) {
			s->macs[f->dev].frames++;
			s->macs[f->dev].bytes += f->len;
		}
	}
	if (!err && n_given) {
		for (i = 0; i < n_given && !err; i++) {
			__u32 m = mac_add(s, given[i], &err);

			if (m != RP_NODEV && !s->macs[m].gateway) {
				s->macs[m].gateway = s->macs[m].gw_given = true;
				s->ngateways++;
			}
		}
	}
	if (!err)
		err = gather_evidence(s, in);
	if (!err && !n_given && !no_guess) {
		s->guessed = true;
		pick_gateways(s);
	}
	if (err)
		return err;
	for (i = 0; i < in->nframes; i++) {
		struct rp_frame *f = &in->frames[i];

		if (f->dev != RP_NODEV && s->macs[f->dev].gateway) {
			f->flags |= RP_F_GATEWAY;
			s->gateway_frames++;
			s->gateway_bytes += f->len;
			mark_egress(s, in, f);
		} else if (f->dev == RP_NODEV &&
			   !(f->flags & (RP_F_OVERSIZED | RP_F_RUNT | RP_F_BADLEN))) {
			s->nodev_frames++;
		}
	}
	return mark_sync(s, in);
}

void rp_scan_free(struct rp_scan *s)
{
	free(s->macs);
	free(s->mac_hash);
	memset(s, 0, sizeof(*s));
}
