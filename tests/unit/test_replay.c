// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_replay.c - replay's parts that need no BPF: reading captures (merge
 * order, the clock, cut, oversized, truncated and non-Ethernet files), the
 * header parse, the gateway guess (on crafted frames, and on every real
 * capture against the gateways SOURCES.md names) and the frames that must
 * run in order across devices.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "parse.h"
#include "replay_scan.h"
#include "unit.h"

#define NSEC 1000000000ULL

static const __u8 GW[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 DEV[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 DEV2[6] = { 0x02, 0, 0, 0, 0, 0x03 };
static const __u8 SPOOF[6] = { 0x02, 0, 0, 0, 0, 0x04 };
static const __u8 BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- crafted frames ---- */

struct fb {
	__u8 b[128];
	__u32 len;
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void eth(struct fb *f, const __u8 *dst, const __u8 *src, __u16 type)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put16(f->b + 12, type);
	f->len = 14;
}

static void ip4(__u8 *p, const char *a)
{
	__u8 m[16];

	ck_assert_int_eq(ifn_parse_ip(a, m, NULL), 0);
	memcpy(p, m + 12, 4);
}

/* IPv4 + UDP (proto 17) or TCP (6) with the given ports. */
static void udp4(struct fb *f, const __u8 *dst, const __u8 *src, const char *sa, const char *da,
		 __u8 proto, __u16 sp, __u16 dp)
{
	__u8 *ip;

	eth(f, dst, src, 0x0800);
	ip = f->b + 14;
	ip[0] = 0x45;
	put16(ip + 2, 20 + 20);
	ip[8] = 64;
	ip[9] = proto;
	ip4(ip + 12, sa);
	ip4(ip + 16, da);
	put16(ip + 20, sp);
	put16(ip + 22, dp);
	f->len = 14 + 40;
}

static void arp(struct fb *f, const __u8 *src, const char *spa, const char *tpa)
{
	__u8 *a;

	eth(f, BCAST, src, 0x0806);
	a = f->b + 14;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, src, 6);
	ip4(a + 14, spa);
	ip4(a + 24, tpa);
	f->len = 14 + 28;
}

/* An input of crafted frames, one capture, 1 s apart. */
struct fin {
	struct rp_input in;
	struct rp_capture cap;
};

static void fin_init(struct fin *x)
{
	memset(x, 0, sizeof(*x));
	x->cap.path = "crafted";
	x->cap.phase = RP_PHASE_REPLAY;
	x->in.caps = &x->cap;
	x->in.ncaps = 1;
	x->in.max_linear = 3520;
}

static void fin_add(struct fin *x, const struct fb *f)
{
	struct rp_frame *fr;

	x->in.frames = realloc(x->in.frames, (x->in.nframes + 1) * sizeof(*fr));
	x->in.arena = realloc(x->in.arena, x->in.arena_len + f->len);
	ck_assert(x->in.frames && x->in.arena);
	fr = &x->in.frames[x->in.nframes];
	memset(fr, 0, sizeof(*fr));
	fr->ts = (x->in.nframes + 1) * NSEC;
	fr->off = x->in.arena_len;
	fr->caplen = fr->len = f->len;
	fr->phase = RP_PHASE_REPLAY;
	fr->dev = RP_NODEV;
	memcpy(x->in.arena + x->in.arena_len, f->b, f->len);
	x->in.arena_len += f->len;
	x->in.nframes++;
	x->in.phase_end[RP_PHASE_REPLAY] = x->in.nframes;
}

static bool is_gw(const struct rp_scan *s, const __u8 *mac)
{
	__u32 i = rp_scan_find(s, mac);

	return i != RP_NODEV && s->macs[i].gateway;
}

START_TEST(parse_l3)
{
	struct rp_l3 l;
	struct fb f;
	__u8 m[16];

	udp4(&f, GW, DEV, "192.168.1.20", "52.1.2.3", 6, 40000, 443);
	ck_assert(rp_parse_l3(f.b, f.len, &l));
	ck_assert_int_eq(l.family, 4);
	ck_assert_int_eq(l.proto, 6);
	ck_assert_int_eq(l.sport, 40000);
	ck_assert_int_eq(l.dport, 443);
	ifn_parse_ip("52.1.2.3", m, NULL);
	ck_assert_mem_eq(l.dst, m, 16);

	/* The same behind a VLAN tag. */
	memmove(f.b + 16, f.b + 12, f.len - 12);
	put16(f.b + 12, 0x8100);
	put16(f.b + 14, 10);
	f.len += 4;
	ck_assert(rp_parse_l3(f.b, f.len, &l));
	ck_assert_int_eq(l.ethertype, 0x0800);
	ck_assert_int_eq(l.dport, 443);

	arp(&f, DEV, "192.168.1.20", "192.168.1.1");
	ck_assert(rp_parse_l3(f.b, f.len, &l));
	ck_assert(l.arp);
	ifn_parse_ip("192.168.1.20", m, NULL);
	ck_assert_mem_eq(l.src, m, 16);

	/* Cut short, or not IP: nothing to say. */
	ck_assert(!rp_parse_l3(f.b, 30, &l));
	eth(&f, BCAST, DEV, 0x88cc);
	f.len = 60;
	ck_assert(!rp_parse_l3(f.b, f.len, &l));
	ck_assert(!rp_parse_l3(f.b, 10, &l));
}
END_TEST

START_TEST(public_v4)
{
	static const char *const pub[] = { "8.8.8.8", "52.94.1.7", "172.32.0.1", "100.128.0.1",
					   "192.169.0.1" };
	static const char *const lan[] = { "10.1.2.3",	     "172.16.0.1",  "172.31.255.255",
					   "192.168.1.1",    "169.254.1.1", "100.64.0.1",
					   "127.0.0.1",	     "0.0.0.0",	    "224.0.0.251",
					   "255.255.255.255" };
	__u8 a[16];
	size_t i;

	for (i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
		ifn_parse_ip(pub[i], a, NULL);
		ck_assert_msg(rp_v4_is_public(a), "%s", pub[i]);
	}
	for (i = 0; i < sizeof(lan) / sizeof(lan[0]); i++) {
		ifn_parse_ip(lan[i], a, NULL);
		ck_assert_msg(!rp_v4_is_public(a), "%s", lan[i]);
	}
	ifn_parse_ip("2001:db8::1", a, NULL);
	ck_assert(!rp_v4_is_public(a));
}
END_TEST

/* A router relays both ways; a spoofer's public sources get no answers. */
START_TEST(gateway_relays)
{
	struct rp_scan s;
	struct fin x;
	struct fb f;
	size_t i;

	fin_init(&x);
	udp4(&f, GW, DEV, "192.168.1.20", "52.1.2.3", 6, 40000, 443);
	fin_add(&x, &f);
	udp4(&f, DEV, GW, "52.1.2.3", "192.168.1.20", 6, 443, 40000);
	fin_add(&x, &f);
	/* Floods the device from public sources; nothing goes back to it. */
	udp4(&f, DEV, SPOOF, "99.1.1.1", "192.168.1.20", 6, 1234, 23);
	fin_add(&x, &f);
	udp4(&f, DEV, SPOOF, "99.1.1.2", "192.168.1.20", 6, 1234, 23);
	fin_add(&x, &f);
	udp4(&f, GW, DEV, "192.168.1.20", "99.1.1.1", 6, 23, 1234);
	fin_add(&x, &f);
	/* A device that answers DHCP (a setup access point) is no gateway here. */
	udp4(&f, BCAST, DEV2, "192.168.1.30", "255.255.255.255", 17, 67, 68);
	fin_add(&x, &f);
	rp_assign_clock(&x.in);
	ck_assert_int_eq(rp_scan(&s, &x.in, NULL, 0, false), 0);
	ck_assert(s.guessed);
	ck_assert_int_eq(s.ngateways, 1);
	ck_assert(is_gw(&s, GW));
	ck_assert(!is_gw(&s, DEV));
	ck_assert(!is_gw(&s, SPOOF));
	ck_assert(!is_gw(&s, DEV2));
	ck_assert_int_eq(s.macs[rp_scan_find(&s, GW)].nat_peers, 1);
	ck_assert_int_eq(s.gateway_frames, 1);
	for (i = 0; i < x.in.nframes; i++)
		ck_assert_int_eq(!!(x.in.frames[i].flags & RP_F_GATEWAY), i == 1);
	rp_scan_free(&s);

	/* Given gateways replace the guess; none means none. */
	ck_assert_int_eq(rp_scan(&s, &x.in, &SPOOF, 1, false), 0);
	ck_assert(!s.guessed && is_gw(&s, SPOOF) && !is_gw(&s, GW));
	ck_assert(s.macs[rp_scan_find(&s, SPOOF)].gw_given);
	rp_scan_free(&s);
	ck_assert_int_eq(rp_scan(&s, &x.in, NULL, 0, true), 0);
	ck_assert_int_eq(s.ngateways, 0);
	ck_assert_int_eq(s.gateway_frames, 0);
	rp_scan_free(&s);
	free(x.in.frames);
	free(x.in.arena);
}
END_TEST

/*
 * The gateway's frames to a device run the egress stage at their place
 * among the device's frames; its frames to no device (broadcast, a MAC
 * that never sends) and the devices' own frames do not.
 */
START_TEST(egress_frames)
{
	static const __u8 SILENT[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	struct rp_scan s;
	struct fin x;
	struct fb f;
	size_t i;

	fin_init(&x);
	udp4(&f, GW, DEV, "192.168.1.20", "52.1.2.3", 6, 40000, 443);
	fin_add(&x, &f);
	/* 1: a DNS answer to DEV; 2: the peer's reply to DEV. */
	udp4(&f, DEV, GW, "192.168.1.1", "192.168.1.20", 17, 53, 5353);
	fin_add(&x, &f);
	udp4(&f, DEV, GW, "52.1.2.3", "192.168.1.20", 6, 443, 40000);
	fin_add(&x, &f);
	/* 3: to everyone; 4: to a MAC that sends nothing; 5: DEV2 to DEV. */
	udp4(&f, BCAST, GW, "192.168.1.1", "255.255.255.255", 17, 67, 68);
	fin_add(&x, &f);
	udp4(&f, SILENT, GW, "52.1.2.3", "192.168.1.40", 6, 443, 40000);
	fin_add(&x, &f);
	udp4(&f, DEV, DEV2, "192.168.1.30", "192.168.1.20", 17, 53, 5353);
	fin_add(&x, &f);
	rp_assign_clock(&x.in);
	ck_assert_int_eq(rp_scan(&s, &x.in, &GW, 1, false), 0);
	ck_assert_int_eq(s.gateway_frames, 4);
	ck_assert_int_eq(s.egress_frames, 2);
	for (i = 0; i < x.in.nframes; i++) {
		bool egress = i == 1 || i == 2;

		ck_assert_int_eq(!!(x.in.frames[i].flags & RP_F_EGRESS), egress);
		ck_assert_uint_eq(x.in.frames[i].to, egress ? rp_scan_find(&s, DEV) : RP_NODEV);
	}
	rp_scan_free(&s);
	/* No gateway: nothing is delivered by one. */
	ck_assert_int_eq(rp_scan(&s, &x.in, NULL, 0, true), 0);
	ck_assert_int_eq(s.egress_frames, 0);
	for (i = 0; i < x.in.nframes; i++)
		ck_assert(!(x.in.frames[i].flags & RP_F_EGRESS));
	rp_scan_free(&s);
	free(x.in.frames);
	free(x.in.arena);
}
END_TEST

/* With nothing that routes, the DHCP server; and no guess from nothing. */
START_TEST(gateway_dhcp_fallback)
{
	struct rp_scan s;
	struct fin x;
	struct fb f;

	fin_init(&x);
	udp4(&f, BCAST, DEV, "0.0.0.0", "255.255.255.255", 17, 68, 67);
	fin_add(&x, &f);
	ck_assert_int_eq(rp_scan(&s, &x.in, NULL, 0, false), 0);
	ck_assert_int_eq(s.ngateways, 0);
	rp_scan_free(&s);
	udp4(&f, BCAST, GW, "192.168.1.1", "255.255.255.255", 17, 67, 68);
	fin_add(&x, &f);
	ck_assert_int_eq(rp_scan(&s, &x.in, NULL, 0, false), 0);
	ck_assert_int_eq(s.ngateways, 1);
	ck_assert(is_gw(&s, GW));
	ck_assert(!is_gw(&s, DEV));
	rp_scan_free(&s);
	free(x.in.frames);
	free(x.in.arena);
}
END_TEST

/* An IPv6 router advertisement makes a router. */
START_TEST(gateway_ra)
{
	struct rp_scan s;
	struct fin x;
	struct fb f;
	__u8 *ip, a[16];

	fin_init(&x);
	eth(&f, BCAST, GW, 0x86dd);
	ip = f.b + 14;
	ip[0] = 0x60;
	put16(ip + 4, 16);
	ip[6] = 58;
	ip[7] = 255;
	ifn_parse_ip("fe80::1", a, NULL);
	memcpy(ip + 8, a, 16);
	ifn_parse_ip("ff02::1", a, NULL);
	memcpy(ip + 24, a, 16);
	ip[40] = 134;
	f.len = 14 + 40 + 16;
	fin_add(&x, &f);
	udp4(&f, GW, DEV, "192.168.1.20", "192.168.1.1", 17, 5000, 53);
	fin_add(&x, &f);
	ck_assert_int_eq(rp_scan(&s, &x.in, NULL, 0, false), 0);
	ck_assert(is_gw(&s, GW));
	ck_assert_int_eq(s.macs[rp_scan_find(&s, GW)].router_adverts, 1);
	ck_assert(!is_gw(&s, DEV));
	rp_scan_free(&s);
	free(x.in.frames);
	free(x.in.arena);
}
END_TEST

/*
 * Ordered frames: every device's first; frames that carry an address two
 * devices use; the frame that leaves such an address. Nothing else.
 */
START_TEST(sync_points)
{
	struct rp_scan s;
	struct fin x;
	struct fb f;
	size_t i;
	static const bool want[] = { 1, 0, 1, 0, 1, 1, 0, 1 };

	fin_init(&x);
	udp4(&f, GW, DEV, "10.0.0.2", "10.0.0.1", 17, 5000, 53); /* 0: first of DEV */
	fin_add(&x, &f);
	udp4(&f, GW, DEV, "10.0.0.2", "10.0.0.1", 17, 5000, 53); /* 1 */
	fin_add(&x, &f);
	udp4(&f, GW, DEV2, "10.0.0.3", "10.0.0.1", 17, 5000, 53); /* 2: first of DEV2 */
	fin_add(&x, &f);
	udp4(&f, GW, DEV2, "10.0.0.3", "10.0.0.1", 17, 5000, 53); /* 3 */
	fin_add(&x, &f);
	arp(&f, DEV2, "10.0.0.9", "10.0.0.1"); /* 4: an address DEV uses too */
	fin_add(&x, &f);
	udp4(&f, GW, DEV, "10.0.0.9", "10.0.0.1", 17, 5000, 53); /* 5: shared */
	fin_add(&x, &f);
	udp4(&f, GW, DEV, "0.0.0.0", "255.255.255.255", 17, 68, 67); /* 6: not tracked */
	fin_add(&x, &f);
	udp4(&f, GW, DEV, "10.0.0.2", "10.0.0.1", 17, 5000, 53); /* 7: leaves 10.0.0.9 */
	fin_add(&x, &f);
	ck_assert_int_eq(rp_scan(&s, &x.in, NULL, 0, true), 0);
	for (i = 0; i < x.in.nframes; i++)
		ck_assert_msg(!!(x.in.frames[i].flags & RP_F_SYNC) == want[i], "frame %zu", i);
	ck_assert_int_eq(s.sync_points, 5);
	ck_assert_int_eq(x.in.frames[0].dev, x.in.frames[7].dev);
	ck_assert_int_ne(x.in.frames[0].dev, x.in.frames[2].dev);
	rp_scan_free(&s);
	free(x.in.frames);
	free(x.in.arena);
}
END_TEST

/* ---- capture files ---- */

struct pkt {
	__u64 ts_us;
	__u8 tag; /* written into the frame, to know it again */
	__u32 caplen, len;
};

static char *write_pcap(const char *name, int dlt, const struct pkt *p, size_t n)
{
	char *path = malloc(128);
	pcap_t *pd = pcap_open_dead(dlt, 65535);
	pcap_dumper_t *d;
	size_t i;

	snprintf(path, 128, "/tmp/ifn-unit-replay-%d-%s.pcap", getpid(), name);
	ck_assert(pd != NULL);
	d = pcap_dump_open(pd, path);
	ck_assert_msg(d != NULL, "%s", pcap_geterr(pd));
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h = { 0 };
		__u8 b[4096] = { 0 };
		struct fb f;

		udp4(&f, GW, DEV, "10.0.0.2", "10.0.0.1", 17, 5000, 53);
		memcpy(b, f.b, f.len);
		b[f.len] = p[i].tag;
		h.ts.tv_sec = p[i].ts_us / 1000000;
		h.ts.tv_usec = p[i].ts_us % 1000000;
		h.caplen = p[i].caplen ? p[i].caplen : f.len + 1;
		h.len = p[i].len ? p[i].len : h.caplen;
		pcap_dump((u_char *)d, &h, b);
	}
	pcap_dump_close(d);
	pcap_close(pd);
	return path;
}

static __u8 tag_of(const struct rp_input *in, size_t i)
{
	return in->arena[in->frames[i].off + 54];
}

START_TEST(read_merge_and_clock)
{
	/* a: times 1 3 2 (out of order inside the file); b: 2 2; learn: 100 */
	const struct pkt a[] = { { 1000000, 1, 0, 0 }, { 3000000, 2, 0, 0 }, { 2000000, 3, 0, 0 } };
	const struct pkt b[] = { { 2000000, 4, 0, 0 }, { 2000000, 5, 0, 0 } };
	const struct pkt l[] = { { 100000000, 6, 0, 0 }, { 101000000, 7, 0, 0 } };
	static const __u8 want[] = { 6, 7, 1, 4, 5, 2, 3 };
	char *pa = write_pcap("a", DLT_EN10MB, a, 3), *pb = write_pcap("b", DLT_EN10MB, b, 2),
	     *pl = write_pcap("l", DLT_EN10MB, l, 2);
	struct rp_capture caps[3] = {
		{ .path = pa, .phase = RP_PHASE_REPLAY },
		{ .path = pb, .phase = RP_PHASE_REPLAY },
		{ .path = pl, .phase = RP_PHASE_LEARN },
	};
	struct rp_input in = { .caps = caps, .ncaps = 3 };
	size_t i;

	ck_assert_int_eq(rp_read_all(&in, 3520), 0);
	ck_assert_int_eq(in.nframes, 7);
	/* Learning captures first; then time order, file order on ties, and a
	 * file's own order kept (its frame at 2 s follows its frame at 3 s).
	 */
	for (i = 0; i < in.nframes; i++)
		ck_assert_msg(tag_of(&in, i) == want[i], "frame %zu is %u", i, tag_of(&in, i));
	ck_assert_int_eq(in.phase_end[RP_PHASE_LEARN], 2);
	ck_assert_int_eq(in.phase_start[RP_PHASE_REPLAY], 2);
	ck_assert_str_eq(caps[0].format, "pcap");
	ck_assert_int_eq(caps[0].status, RP_CAP_OK);
	ck_assert_int_eq(caps[0].first_ts, 1 * NSEC);
	ck_assert_int_eq(caps[0].last_ts, 3 * NSEC);

	/* The replayed captures were taken before: they run after, shifted. */
	rp_assign_clock(&in);
	ck_assert_int_eq(in.phase_shift, 101 * NSEC - 1 * NSEC + NSEC);
	ck_assert_int_eq(in.frames[2].vts, in.frames[2].ts + in.phase_shift);
	for (i = 1; i < in.nframes; i++)
		ck_assert(in.frames[i].vts >= in.frames[i - 1].vts);
	/* The frame stamped 2 s after one at 3 s runs at the time of that one. */
	ck_assert_int_eq(in.frames[6].vts, in.frames[5].vts);
	rp_input_free(&in);
	unlink(pa);
	unlink(pb);
	unlink(pl);
	free(pa);
	free(pb);
	free(pl);
}
END_TEST

/* A record shorter than an Ethernet header is counted and never run. */
START_TEST(read_runt)
{
	const struct pkt p[] = { { 1000000, 1, 0, 0 },
				 { 2000000, 2, 10, 10 },
				 { 3000000, 3, 0, 0 } };
	char *path = write_pcap("runt", DLT_EN10MB, p, 3);
	struct rp_capture cap = { .path = path, .phase = RP_PHASE_REPLAY };
	struct rp_input in = { .caps = &cap, .ncaps = 1 };

	ck_assert_int_eq(rp_read_all(&in, 3520), 0);
	ck_assert_int_eq(in.nframes, 3);
	ck_assert_int_eq(cap.runt, 1);
	ck_assert(!(in.frames[0].flags & RP_F_RUNT));
	ck_assert(in.frames[1].flags & RP_F_RUNT);
	ck_assert(!(in.frames[2].flags & RP_F_RUNT));
	rp_input_free(&in);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(read_cut_oversized_truncated)
{
	const struct pkt p[] = { { 1000000, 1, 40, 55 },
				 { 2000000, 2, 55, 4000 },
				 { 3000000, 3, 0, 0 },
				 { 4000000, 4, 0, 0 } };
	char *path = write_pcap("cut", DLT_EN10MB, p, 4);
	struct rp_capture cap = { .path = path, .phase = RP_PHASE_REPLAY };
	struct rp_input in = { .caps = &cap, .ncaps = 1 };
	long size;
	FILE *f;

	ck_assert_int_eq(rp_read_all(&in, 3520), 0);
	ck_assert_int_eq(in.nframes, 4);
	ck_assert_int_eq(cap.cut, 2);
	ck_assert_int_eq(cap.oversized, 1);
	ck_assert(in.frames[0].flags & RP_F_CUT);
	ck_assert(!(in.frames[0].flags & RP_F_OVERSIZED));
	ck_assert_int_eq(in.frames[0].caplen, 40);
	ck_assert_int_eq(in.frames[0].len, 55);
	ck_assert(in.frames[1].flags & RP_F_OVERSIZED);
	ck_assert_int_eq(cap.bytes, 55 + 4000 + 55 + 55);
	rp_input_free(&in);

	/* Cut the file in the middle of its last frame. */
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	ck_assert_int_eq(truncate(path, size - 20), 0);
	memset(&cap, 0, sizeof(cap));
	cap.path = path;
	memset(&in, 0, sizeof(in));
	in.caps = &cap;
	in.ncaps = 1;
	ck_assert_int_eq(rp_read_all(&in, 3520), 0);
	ck_assert_int_eq(cap.status, RP_CAP_TRUNCATED);
	ck_assert_int_eq(in.nframes, 3);
	ck_assert_int_eq(cap.frames, 3);
	ck_assert(cap.stop_offset > 0);
	ck_assert(strstr(cap.error, "truncated") != NULL);
	rp_input_free(&in);

	/* Cut inside the file header: no frames, no crash. */
	ck_assert_int_eq(truncate(path, 10), 0);
	memset(&cap, 0, sizeof(cap));
	cap.path = path;
	memset(&in, 0, sizeof(in));
	in.caps = &cap;
	in.ncaps = 1;
	ck_assert_int_eq(rp_read_all(&in, 3520), 0);
	ck_assert_int_eq(cap.status, RP_CAP_TRUNCATED);
	ck_assert_int_eq(in.nframes, 0);
	rp_input_free(&in);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(read_not_ethernet_and_errors)
{
	const struct pkt p[] = { { 1000000, 1, 0, 0 } };
	char *raw = write_pcap("raw", DLT_RAW, p, 1), *eth = write_pcap("eth", DLT_EN10MB, p, 1);
	char junk[] = "/tmp/ifn-unit-replay-junk-XXXXXX";
	struct rp_capture caps[2] = { { .path = raw }, { .path = eth } };
	struct rp_input in = { .caps = caps, .ncaps = 2 };
	int fd;

	ck_assert_int_eq(rp_read_all(&in, 3520), 0);
	ck_assert_int_eq(caps[0].status, RP_CAP_SKIPPED);
	ck_assert_str_eq(caps[0].linktype_name, "RAW");
	ck_assert(strstr(caps[0].error, "not Ethernet") != NULL);
	ck_assert_int_eq(caps[1].status, RP_CAP_OK);
	ck_assert_int_eq(in.nframes, 1);
	rp_input_free(&in);

	memset(caps, 0, sizeof(caps));
	caps[0].path = "/nonexistent/ifn-unit.pcap";
	memset(&in, 0, sizeof(in));
	in.caps = caps;
	in.ncaps = 1;
	ck_assert_int_eq(rp_read_all(&in, 3520), -ENOENT);
	rp_input_free(&in);

	fd = mkstemp(junk);
	ck_assert(fd >= 0);
	ck_assert_int_eq(write(fd, "not a capture at all\n", 21), 21);
	close(fd);
	memset(caps, 0, sizeof(caps));
	caps[0].path = junk;
	memset(&in, 0, sizeof(in));
	in.caps = caps;
	in.ncaps = 1;
	ck_assert_int_eq(rp_read_all(&in, 3520), -EINVAL);
	rp_input_free(&in);
	unlink(junk);
	unlink(raw);
	unlink(eth);
	free(raw);
	free(eth);
}
END_TEST

/* ---- the guess on the real captures ---- */

static const char *pcap_dir(void)
{
	const char *d = getenv("IFN_PCAPS");

	return d && *d ? d : "tests/captures";
}

/* What a capture holds, from SOURCES.md and a look at each one. */
static const struct {
	const char *prefix;
	const char *gateway; /* NULL: none; "" : no expectation but see below */
} expect[] = {
	{ "sentinel_", "00:b5:6d:06:08:ba" }, /* when it sends at all */
	{ "nku_", "c8:bf:4c:77:a0:3a" },
	{ "monitr_", "22:ef:03:1a:97:b9" }, /* relays the camera's cloud peers */
	{ "slips_test8", "d8:58:d7:00:67:11" }, /* the home router (CZ.NIC) */
	{ "slips_", NULL }, /* hosts on one segment, or public addresses */
	{ "debgopacket_test300", "8a:66:5a:63:92:64" },
	{ "debgopacket_", NULL },
	{ "id2t_", "" },
};

START_TEST(gateway_on_real_captures)
{
	/* Never take the attackers of the lab captures for gateways. */
	static const char *const never[] = { "02:42:ac:14:00:03", "02:42:ac:14:00:05",
					     "02:42:ac:14:00:04" };
	const char *dir = pcap_dir();
	struct dirent *e;
	unsigned int files = 0, right = 0;
	DIR *dp = opendir(dir);

	ck_assert_msg(dp != NULL, "cannot open the captures in %s (set IFN_PCAPS)", dir);
	while ((e = readdir(dp))) {
		char path[512];
		struct rp_capture cap = { .path = path, .phase = RP_PHASE_REPLAY };
		struct rp_input in = { .caps = &cap, .ncaps = 1 };
		struct rp_scan s;
		const char *want = "";
		__u8 wmac[6];
		size_t i, k;
		bool sends = false;

		if (!strstr(e->d_name, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ck_assert_int_eq(rp_read_all(&in, 3520), 0);
		rp_assign_clock(&in);
		ck_assert_int_eq(rp_scan(&s, &in, NULL, 0, false), 0);
		for (k = 0; k < sizeof(expect) / sizeof(expect[0]); k++)
			if (!strncmp(e->d_name, expect[k].prefix, strlen(expect[k].prefix))) {
				want = expect[k].gateway;
				break;
			}
		ck_assert_msg(k < sizeof(expect) / sizeof(expect[0]), "%s: unknown source",
			      e->d_name);
		files++;
		if (want && *want) {
			ifn_parse_mac(want, wmac);
			sends = rp_scan_find(&s, wmac) != RP_NODEV;
			/* The gateway, and only it, when it sends; else nothing. */
			ck_assert_msg(s.ngateways == (sends ? 1u : 0u) &&
					      (!sends || is_gw(&s, wmac)),
				      "%s: %zu gateways guessed, want %s%s", e->d_name, s.ngateways,
				      want, sends ? "" : " (silent: none)");
			right++;
		} else if (!want) {
			ck_assert_msg(s.ngateways == 0, "%s: %zu gateways guessed, want none",
				      e->d_name, s.ngateways);
			right++;
		}
		for (i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
			ifn_parse_mac(never[i], wmac);
			ck_assert_msg(!is_gw(&s, wmac), "%s: %s taken for a gateway", e->d_name,
				      never[i]);
		}
		rp_scan_free(&s);
		rp_input_free(&in);
	}
	closedir(dp);
	ck_assert_msg(files >= 90, "only %u captures in %s", files, dir);
	printf("replay gateway guess: right on %u of %u captures with a known gateway or none\n",
	       right, files);
}
END_TEST

UNIT_SUITE(replay_suite)
static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *t = tcase_create("scan");

	tcase_add_test(t, parse_l3);
	tcase_add_test(t, public_v4);
	tcase_add_test(t, gateway_relays);
	tcase_add_test(t, egress_frames);
	tcase_add_test(t, gateway_dhcp_fallback);
	tcase_add_test(t, gateway_ra);
	tcase_add_test(t, sync_points);
	suite_add_tcase(s, t);
	t = tcase_create("read");
	tcase_add_test(t, read_merge_and_clock);
	tcase_add_test(t, read_cut_oversized_truncated);
	tcase_add_test(t, read_runt);
	tcase_add_test(t, read_not_ethernet_and_errors);
	tcase_add_test(t, gateway_on_real_captures);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}
