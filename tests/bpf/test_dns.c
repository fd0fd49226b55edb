// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The egress program on crafted DNS answers (BPF_PROG_TEST_RUN of the tc
 * program): what it records for the device, that a malformed answer
 * writes nothing and is counted by its reason, that a spoofed one is
 * refused and reported, and that no frame is ever changed or dropped.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dnsname.h"
#include "format.h"
#include "harness.h"
#include "iotfence.skel.h"
#include "parse.h"
#include "pcapfile.h"
#include "dnsans.h"

#define DEV "02:00:00:00:00:0a"
#define GW "02:00:00:00:00:01"
#define KEY 0x5eed5eed12345678ULL

static void mac(__u8 *out, const char *s)
{
	ck_assert_int_eq(ifn_parse_mac(s, out), 0);
}

/* @m from the gateway's resolver (@src_mac) to the device. */
static void build(struct dns_frame *f, enum dns_shape sh, const char *src_mac,
		  const struct dns_msg *m)
{
	dns_frame_build(f, sh, src_mac, DEV, 50000, m);
}

static void setup(struct th *t)
{
	struct ifn_config c;

	th_setup(t, NULL);
	c = th_config(t);
	c.dns_key = KEY;
	th_set_config(t, &c);
	th_add_device(t, DEV, IFN_MODE_ENFORCE);
}

static struct ifn_dns_stats stats(struct th *t)
{
	struct ifn_dns_stats s;

	ck_assert_int_eq(ifn_dns_stats_read(&t->m, &s), 0);
	return s;
}

static void addr16(const char *ip, __u8 *out)
{
	struct in_addr a;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, ip, &a) == 1) {
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, &a, 4);
		return;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, ip, out), 1);
}

/* The record of (DEV, ip), if any. */
static bool rec(struct th *t, const char *ip, struct ifn_dns_val *v)
{
	struct ifn_dns_key k = {};

	mac(k.mac, DEV);
	addr16(ip, k.addr);
	return !bpf_map_lookup_elem(t->m.dns, &k, v);
}

/* Does (DEV, ip) hold @qname, expiring at @exp (0: do not check)? */
static bool has_name(struct th *t, const char *ip, const char *qname, __u64 exp)
{
	struct ifn_dns_val v;
	struct ifn_dns_name nm, got;
	__u64 h = ifn_dns_name_hash(KEY, qname, &nm);
	int i;

	if (!rec(t, ip, &v))
		return false;
	for (i = 0; i < IFN_DNS_NAMES_PER_ADDR; i++) {
		if (v.name[i] != h)
			continue;
		if (exp && v.expires_ns[i] != exp)
			return false;
		/* The name's text and suffix hashes, as the agent computes them. */
		ck_assert_int_eq(bpf_map_lookup_elem(t->m.dns_names, &h, &got), 0);
		ck_assert_str_eq(got.name, qname);
		ck_assert_uint_eq(got.labels, nm.labels);
		ck_assert_uint_eq(got.len, nm.len);
		ck_assert_mem_eq(got.suffix, nm.suffix, sizeof(nm.suffix));
		return true;
	}
	return false;
}

static long dns_entries(struct th *t)
{
	return ifn_map_entries(t->m.dns, sizeof(struct ifn_dns_key), sizeof(struct ifn_dns_val));
}

#define SEC_NS 1000000000ULL

START_TEST(udp4_answer_recorded_with_ttl_floor)
{
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_stats s;
	__u64 now;

	setup(&t);
	now = *t.now;
	dns_hdr(&m, DNS_ANSWER, 1, 2);
	dns_question(&m, "A3K7.Iot.EU-west-1.amazonaws.com", 1);
	dns_rr_a(&m, 60, "52.1.2.3");
	dns_rr_a(&m, 7200, "52.1.2.4");
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	/* The question's name, lower-cased; TTL 60 s is raised to dns-min-ttl (1 h). */
	ck_assert(has_name(&t, "52.1.2.3", "a3k7.iot.eu-west-1.amazonaws.com",
			   now + IFN_DNS_MIN_TTL_NS_DEFAULT));
	ck_assert(
		has_name(&t, "52.1.2.4", "a3k7.iot.eu-west-1.amazonaws.com", now + 7200 * SEC_NS));
	s = stats(&t);
	ck_assert_uint_eq(s.answers, 1);
	ck_assert_uint_eq(s.used, 1);
	ck_assert_uint_eq(s.records, 2);
	th_teardown(&t);
}
END_TEST

START_TEST(shapes_vlan_ipv6_ext_tcp)
{
	static const enum dns_shape shapes[] = { DNS_UDP4_VLAN1, DNS_UDP4_VLAN2, DNS_UDP6_EXT,
						 DNS_TCP4, DNS_TCP6 };
	static const char *const ips[] = { "10.0.0.1", "10.0.0.2", "2001:db8::3", "10.0.0.4",
					   "2001:db8::5" };
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	size_t i;

	setup(&t);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		dns_hdr(&m, DNS_ANSWER, 1, 1);
		dns_question(&m, "cloud.example.com", strchr(ips[i], ':') ? 28 : 1);
		if (strchr(ips[i], ':'))
			dns_rr_aaaa(&m, 300, ips[i]);
		else
			dns_rr_a(&m, 300, ips[i]);
		build(&f, shapes[i], GW, &m);
		th_egress(&t, f.b, f.n, 0);
		ck_assert_msg(has_name(&t, ips[i], "cloud.example.com", 0), "shape %zu", i);
	}
	ck_assert_uint_eq(stats(&t).records, 5);
	th_teardown(&t);
}
END_TEST

START_TEST(cname_chain_and_uncompressed_owners)
{
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct in_addr a;

	setup(&t);
	dns_hdr(&m, DNS_ANSWER, 1, 3);
	dns_question(&m, "www.vendor.com", 1);
	/* www.vendor.com CNAME edge.cdn.net (uncompressed rdata), edge.cdn.net A, uncompressed owner. */
	dns_put16(&m, 0xc00c);
	dns_put16(&m, 5);
	dns_put16(&m, 1);
	dns_put32(&m, 300);
	dns_put16(&m, 14);
	dns_name(&m, "edge.cdn.net");
	dns_name(&m, "edge.cdn.net");
	dns_put16(&m, 1);
	dns_put16(&m, 1);
	dns_put32(&m, 20);
	dns_put16(&m, 4);
	inet_pton(AF_INET, "198.51.100.7", &a);
	dns_put(&m, &a, 4);
	/* An owner that points into the CNAME's data (a pointer to a pointer's target). */
	dns_put16(&m, 0xc000 | 32);
	dns_put16(&m, 1);
	dns_put16(&m, 1);
	dns_put32(&m, 20);
	dns_put16(&m, 4);
	inet_pton(AF_INET, "198.51.100.8", &a);
	dns_put(&m, &a, 4);
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	/* The question name stands for the chain. */
	ck_assert(has_name(&t, "198.51.100.7", "www.vendor.com", 0));
	ck_assert(has_name(&t, "198.51.100.8", "www.vendor.com", 0));
	ck_assert_uint_eq(stats(&t).malformed[0], 0);
	th_teardown(&t);
}
END_TEST

START_TEST(name_of_255_bytes)
{
	char long_name[300], over[310];
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_stats s;

	setup(&t);
	/* 3 labels of 63 and one of 61: 64 * 3 + 62 + 1 = 255 bytes on the wire. */
	memset(long_name, 0, sizeof(long_name));
	memset(long_name, 'a', 63);
	long_name[63] = '.';
	memset(long_name + 64, 'b', 63);
	long_name[127] = '.';
	memset(long_name + 128, 'c', 63);
	long_name[191] = '.';
	memset(long_name + 192, 'd', 61);
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, long_name, 1);
	dns_rr_a(&m, 300, "203.0.113.1");
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	ck_assert(has_name(&t, "203.0.113.1", long_name, 0));
	/* One byte more: 256, malformed. */
	snprintf(over, sizeof(over), "%se", long_name);
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, over, 1);
	dns_rr_a(&m, 300, "203.0.113.2");
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	ck_assert(!rec(&t, "203.0.113.2", &(struct ifn_dns_val){}));
	s = stats(&t);
	ck_assert_uint_eq(s.malformed[IFN_DNS_BAD_NAME_LONG], 1);
	th_teardown(&t);
}
END_TEST

START_TEST(names_share_an_address)
{
	static const char *const names[] = { "a.cdn.com", "b.cdn.com", "c.cdn.com", "d.cdn.com" };
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_val v;
	size_t i;

	setup(&t);
	for (i = 0; i < 4; i++) {
		dns_hdr(&m, DNS_ANSWER, 1, 1);
		dns_question(&m, names[i], 1);
		dns_rr_a(&m, 4000 + i, "192.0.2.80");
		build(&f, DNS_UDP4, GW, &m);
		th_egress(&t, f.b, f.n, 0);
	}
	/* None shadows another. */
	for (i = 0; i < 4; i++)
		ck_assert(has_name(&t, "192.0.2.80", names[i], 0));
	/* The same name again: one slot, the later expiry. */
	*t.now += 10 * SEC_NS;
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "a.cdn.com", 1);
	dns_rr_a(&m, 4000, "192.0.2.80");
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	ck_assert(has_name(&t, "192.0.2.80", "a.cdn.com", *t.now + 4000 * SEC_NS));
	ck_assert_uint_eq(stats(&t).names_displaced, 0);
	/* A fifth: the one that expires first gives way (b, 4001 s from the start). */
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "e.cdn.com", 1);
	dns_rr_a(&m, 9000, "192.0.2.80");
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	ck_assert(has_name(&t, "192.0.2.80", "e.cdn.com", 0));
	ck_assert(!has_name(&t, "192.0.2.80", "b.cdn.com", 0));
	ck_assert(has_name(&t, "192.0.2.80", "c.cdn.com", 0));
	ck_assert_uint_eq(stats(&t).names_displaced, 1);
	ck_assert(rec(&t, "192.0.2.80", &v));
	th_teardown(&t);
}
END_TEST

START_TEST(nothing_to_record)
{
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_stats s;

	setup(&t);
	/* NXDOMAIN */
	dns_hdr(&m, 0x8183, 1, 0);
	dns_question(&m, "nope.example.com", 1);
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	/* A query (QR 0) from port 53: no answer, not counted. */
	dns_hdr(&m, 0x0100, 1, 1);
	dns_question(&m, "q.example.com", 1);
	dns_rr_a(&m, 30, "192.0.2.1");
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	/* An answer with no address (a TXT record). */
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "txt.example.com", 16);
	dns_put16(&m, 0xc00c);
	dns_put16(&m, 16);
	dns_put16(&m, 1);
	dns_put32(&m, 30);
	dns_put16(&m, 3);
	dns_put8(&m, 2);
	dns_put16(&m, 0x6869);
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	/* To a MAC that is no device. */
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "x.example.com", 1);
	dns_rr_a(&m, 30, "192.0.2.9");
	build(&f, DNS_UDP4, GW, &m);
	mac(f.b, "02:00:00:00:00:77");
	th_egress(&t, f.b, f.n, 0);
	s = stats(&t);
	ck_assert_uint_eq(s.answers, 2);
	ck_assert_uint_eq(s.ignored, 2);
	ck_assert_uint_eq(s.no_device, 1);
	ck_assert_uint_eq(s.records, 0);
	ck_assert_int_eq(dns_entries(&t), 0);
	th_teardown(&t);
}
END_TEST

/* A forged answer from a LAN device, by its MAC or by the port it came in on. */
START_TEST(spoofed_answers_refused_and_reported)
{
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_stats s;

	setup(&t);
	th_add_device(&t, "02:00:00:00:00:66", IFN_MODE_LEARN);
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "bank.example.com", 1);
	dns_rr_a(&m, 300, "203.0.113.66");
	build(&f, DNS_UDP4, "02:00:00:00:00:66", &m);
	th_egress(&t, f.b, f.n, 0);
	/* From the gateway's MAC, but forwarded from an attached LAN port (lo is one here). */
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 1);
	s = stats(&t);
	ck_assert_uint_eq(s.spoofed, 2);
	ck_assert_uint_eq(s.answers, 0);
	ck_assert_int_eq(dns_entries(&t), 0);
	th_events(&t);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_DNS_SPOOFED, DEV), 2);
	ck_assert_mem_eq(t.ev[0].other_mac, "\x02\x00\x00\x00\x00\x66", 6);
	/* From beyond (a WAN port that is not attached): believed. */
	th_egress(&t, f.b, f.n, 4242);
	ck_assert(has_name(&t, "203.0.113.66", "bank.example.com", 0));
	th_teardown(&t);
}
END_TEST

/*
 * Found by the differential model (tests/diff): a DNS_SPOOFED event that
 * the per-device limit holds back is counted on the device too (EVENTS:
 * events_suppressed), as every other type is.
 */
START_TEST(spoofed_events_limited_and_counted)
{
	struct ifn_dev_stats ds;
	struct ifn_config c;
	struct ifn_device d;
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	int i;

	setup(&t);
	c = th_config(&t);
	c.event_limit = 2;
	th_set_config(&t, &c);
	th_add_device(&t, "02:00:00:00:00:66", IFN_MODE_LEARN);
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "bank.example.com", 1);
	dns_rr_a(&m, 300, "203.0.113.66");
	build(&f, DNS_UDP4, "02:00:00:00:00:66", &m);
	for (i = 0; i < 5; i++)
		th_egress(&t, f.b, f.n, 0);
	ck_assert_uint_eq(stats(&t).spoofed, 5);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_DNS_SPOOFED, DEV), 2);
	ck_assert(th_device(&t, DEV, &d, &ds));
	ck_assert_uint_eq(ds.events_suppressed, 3);
	th_teardown(&t);
}
END_TEST

START_TEST(tcp_not_one_message_and_too_big)
{
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_stats s;
	int i;

	setup(&t);
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "t.example.com", 1);
	dns_rr_a(&m, 300, "192.0.2.5");
	build(&f, DNS_TCP4, GW, &m);
	/* The length prefix says more than the segment holds. */
	f.b[14 + 20 + 20 + 1] += 1;
	th_egress(&t, f.b, f.n, 0);
	/* Over 2048 bytes: a TXT answer of 2100. */
	dns_hdr(&m, DNS_ANSWER, 1, 2);
	dns_question(&m, "big.example.com", 1);
	dns_rr_a(&m, 300, "192.0.2.6");
	dns_put16(&m, 0xc00c);
	dns_put16(&m, 16);
	dns_put16(&m, 1);
	dns_put32(&m, 30);
	dns_put16(&m, 2100);
	for (i = 0; i < 2100; i++)
		dns_put8(&m, 'x');
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	/* 65 answers: more than are read. */
	dns_hdr(&m, DNS_ANSWER, 1, 65);
	dns_question(&m, "many.example.com", 1);
	for (i = 0; i < 65; i++)
		dns_rr_a(&m, 300, "192.0.2.7");
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	s = stats(&t);
	ck_assert_uint_eq(s.tcp_partial, 1);
	ck_assert_uint_eq(s.too_big, 1);
	ck_assert_uint_eq(s.too_many, 1);
	ck_assert_int_eq(dns_entries(&t), 0);
	th_teardown(&t);
}
END_TEST

/*
 * Malicious answers: each one is a valid answer for 192.0.2.200 but for
 * one flaw; it must write nothing and count exactly its reason.
 */
struct bad {
	const char *what;
	__u32 why;
	void (*make)(struct dns_msg *m);
};

static void ok_tail(struct dns_msg *m)
{
	dns_rr_a(m, 300, "192.0.2.200");
}

static void b_short_header(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	m->n = 11;
}

static void b_qd0(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 0, 1);
	ok_tail(m);
}

static void b_qd2(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 2, 1);
	dns_question(m, "a.example.com", 1);
	dns_question(m, "b.example.com", 1);
	ok_tail(m);
}

static void b_counts(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 10);
	dns_question(m, "a.example.com", 1);
	ok_tail(m);
}

static void b_label64(struct dns_msg *m)
{
	char l[80];

	dns_hdr(m, DNS_ANSWER, 1, 1);
	memset(l, 'x', 64);
	dns_put8(m, 64);
	dns_put(m, l, 64);
	dns_put8(m, 0);
	dns_put16(m, 1);
	dns_put16(m, 1);
	ok_tail(m);
}

static void b_label_0x80(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_put8(m, 0x80);
	dns_put(m, "abc", 3);
	dns_put8(m, 0);
	dns_put16(m, 1);
	dns_put16(m, 1);
	ok_tail(m);
}

static void b_label_0x40_owner(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	dns_put8(m, 0x41);
	dns_put8(m, 0);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

static void b_name_long(struct dns_msg *m)
{
	char l[64];
	int i;

	dns_hdr(m, DNS_ANSWER, 1, 1);
	memset(l, 'y', 63);
	for (i = 0; i < 5; i++) {
		dns_put8(m, 63);
		dns_put(m, l, 63);
	}
	dns_put8(m, 0);
	dns_put16(m, 1);
	dns_put16(m, 1);
	ok_tail(m);
}

static void b_owner_long(struct dns_msg *m)
{
	char l[64];
	int i;

	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	memset(l, 'y', 63);
	for (i = 0; i < 5; i++) {
		dns_put8(m, 63);
		dns_put(m, l, 63);
	}
	dns_put8(m, 0);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

static void b_ptr_self(struct dns_msg *m)
{
	size_t at;

	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	at = m->n;
	dns_put16(m, 0xc000 | at);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

static void b_ptr_forward(struct dns_msg *m)
{
	size_t at;

	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	at = m->n;
	dns_put16(m, 0xc000 | (at + 4));
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

/* Two pointers at each other: backward once, then forward again. */
static void b_ptr_pingpong(struct dns_msg *m)
{
	size_t a;

	dns_hdr(m, DNS_ANSWER, 1, 2);
	dns_question(m, "a.example.com", 1);
	a = m->n;
	/* First record: owner 'x' then a pointer to the second record's owner (later). */
	dns_put8(m, 1);
	dns_put8(m, 'x');
	dns_put16(m, 0xc000 | (a + 4 + 10 + 4));
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
	/* Second: a pointer back to the first owner, which points here. */
	dns_put16(m, 0xc000 | a);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c9);
}

static void b_ptr_past_end(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	dns_put16(m, 0xc000 | 0x3fff);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

static void b_ptr_header(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	dns_put16(m, 0xc002);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

static void b_qname_ptr(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_put16(m, 0xc00c);
	dns_put16(m, 1);
	dns_put16(m, 1);
	ok_tail(m);
}

static void b_label_past_end(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_put8(m, 10);
	dns_put(m, "abcde", 5);
}

static void b_no_root(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_put8(m, 3);
	dns_put(m, "abc", 3);
}

static void b_half_pointer(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 0);
	dns_put8(m, 3);
	dns_put(m, "abc", 3);
	dns_put8(m, 0xc0);
}

static void b_question_cut(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 0);
	dns_name(m, "a.example.com");
	dns_put16(m, 1);
}

static void b_rr_fields_cut(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	dns_name(m, "owner");
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put16(m, 0);
}

static void b_rdlen_past_end(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	dns_put16(m, 0xc00c);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 400);
	dns_put32(m, 0xc00002c8);
}

static void b_a_rdlen5(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 1);
	dns_put16(m, 0xc00c);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 5);
	dns_put32(m, 0xc00002c8);
	dns_put8(m, 0);
}

static void b_aaaa_rdlen4(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a.example.com", 28);
	dns_put16(m, 0xc00c);
	dns_put16(m, 28);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

static void b_cname_past_end(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 2);
	dns_question(m, "a.example.com", 1);
	ok_tail(m);
	dns_put16(m, 0xc00c);
	dns_put16(m, 5);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 60);
	dns_put16(m, 0xc00c);
}

static void b_dot_in_label(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_put8(m, 5);
	dns_put(m, "ev.il", 5);
	dns_name(m, "com");
	dns_put16(m, 1);
	dns_put16(m, 1);
	ok_tail(m);
}

static void b_nul_in_label(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_put8(m, 3);
	dns_put(m, "a\0b", 3);
	dns_name(m, "com");
	dns_put16(m, 1);
	dns_put16(m, 1);
	ok_tail(m);
}

static void b_star(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "*.example.com", 1);
	ok_tail(m);
}

static void b_space(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "a b.example.com", 1);
	ok_tail(m);
}

static void b_high_byte(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "caf\xc3\xa9.example.com", 1);
	ok_tail(m);
}

/* A good record first, then a broken one: the good one is not written either. */
static void b_good_then_loop(struct dns_msg *m)
{
	size_t at;

	dns_hdr(m, DNS_ANSWER, 1, 2);
	dns_question(m, "a.example.com", 1);
	ok_tail(m);
	at = m->n;
	dns_put16(m, 0xc000 | at);
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c9);
}

static void b_good_then_trunc(struct dns_msg *m)
{
	dns_hdr(m, DNS_ANSWER, 1, 2);
	dns_question(m, "a.example.com", 1);
	ok_tail(m);
	ok_tail(m);
	m->n -= 3;
}

static void b_empty_label_then_data(struct dns_msg *m)
{
	/* A pointer chain that walks back into the middle of a label. */
	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, "abcdefgh.example.com", 1);
	dns_put16(m, 0xc000 | 14); /* into "bcdefgh": 'b' is 0x62, a label over 63 */
	dns_put16(m, 1);
	dns_put16(m, 1);
	dns_put32(m, 30);
	dns_put16(m, 4);
	dns_put32(m, 0xc00002c8);
}

static const struct bad bads[] = {
	{ "header of 11 bytes", IFN_DNS_BAD_TRUNC, b_short_header },
	{ "no question", IFN_DNS_BAD_QDCOUNT, b_qd0 },
	{ "two questions", IFN_DNS_BAD_QDCOUNT, b_qd2 },
	{ "10 answers in room for 1", IFN_DNS_BAD_COUNTS, b_counts },
	{ "question label of 64", IFN_DNS_BAD_LABEL_LONG, b_label64 },
	{ "label type 0x80", IFN_DNS_BAD_LABEL_LONG, b_label_0x80 },
	{ "owner label type 0x40", IFN_DNS_BAD_LABEL_LONG, b_label_0x40_owner },
	{ "question name of 321 bytes", IFN_DNS_BAD_NAME_LONG, b_name_long },
	{ "owner name of 321 bytes", IFN_DNS_BAD_NAME_LONG, b_owner_long },
	{ "pointer to itself", IFN_DNS_BAD_PTR_LOOP, b_ptr_self },
	{ "pointer forward", IFN_DNS_BAD_PTR_LOOP, b_ptr_forward },
	{ "two pointers at each other", IFN_DNS_BAD_PTR_LOOP, b_ptr_pingpong },
	{ "pointer past the end", IFN_DNS_BAD_PTR_RANGE, b_ptr_past_end },
	{ "pointer into the header", IFN_DNS_BAD_PTR_RANGE, b_ptr_header },
	{ "question name a pointer to itself", IFN_DNS_BAD_PTR_LOOP, b_qname_ptr },
	{ "label past the end", IFN_DNS_BAD_NAME_TRUNC, b_label_past_end },
	{ "name without its root", IFN_DNS_BAD_NAME_TRUNC, b_no_root },
	{ "half a pointer", IFN_DNS_BAD_NAME_TRUNC, b_half_pointer },
	{ "question type and class cut", IFN_DNS_BAD_NAME_TRUNC, b_question_cut },
	{ "record fields cut", IFN_DNS_BAD_RR_TRUNC, b_rr_fields_cut },
	{ "record data past the end", IFN_DNS_BAD_RR_TRUNC, b_rdlen_past_end },
	{ "A of 5 bytes", IFN_DNS_BAD_RDLEN, b_a_rdlen5 },
	{ "AAAA of 4 bytes", IFN_DNS_BAD_RDLEN, b_aaaa_rdlen4 },
	{ "CNAME data past the end", IFN_DNS_BAD_RR_TRUNC, b_cname_past_end },
	{ "a dot inside a label", IFN_DNS_BAD_CHARS, b_dot_in_label },
	{ "a NUL inside a label", IFN_DNS_BAD_CHARS, b_nul_in_label },
	{ "a star in the question", IFN_DNS_BAD_CHARS, b_star },
	{ "a space in the question", IFN_DNS_BAD_CHARS, b_space },
	{ "UTF-8 in the question", IFN_DNS_BAD_CHARS, b_high_byte },
	{ "good record, then a pointer loop", IFN_DNS_BAD_PTR_LOOP, b_good_then_loop },
	{ "good record, then one cut short", IFN_DNS_BAD_RR_TRUNC, b_good_then_trunc },
	{ "pointer into a label's bytes", IFN_DNS_BAD_LABEL_LONG, b_empty_label_then_data },
};

START_TEST(malicious_answer)
{
	const struct bad *b = &bads[_i];
	struct ifn_dns_stats s;
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	unsigned int r;

	setup(&t);
	b->make(&m);
	build(&f, DNS_UDP4, GW, &m);
	th_egress(&t, f.b, f.n, 0);
	s = stats(&t);
	for (r = 0; r < IFN_DNS_BAD_MAX; r++)
		ck_assert_msg(s.malformed[r] == (r == b->why), "%s: malformed[%s] is %llu", b->what,
			      ifn_dns_bad_name(r) ? ifn_dns_bad_name(r) : "?",
			      (unsigned long long)s.malformed[r]);
	ck_assert_msg(dns_entries(&t) == 0, "%s: something was written", b->what);
	ck_assert_int_eq(ifn_map_entries(t.m.dns_names, 8, sizeof(struct ifn_dns_name)), 0);
	ck_assert_uint_eq(s.records, 0);
	th_teardown(&t);
}
END_TEST

/* Frames shorter than their UDP length says, or UDP lengths below a header. */
START_TEST(udp_lengths)
{
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_stats s;

	setup(&t);
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "a.example.com", 1);
	ok_tail(&m);
	build(&f, DNS_UDP4, GW, &m);
	f.n -= 10; /* the IP and UDP lengths say 10 bytes more */
	th_egress(&t, f.b, f.n, 0);
	build(&f, DNS_UDP4, GW, &m);
	/* UDP length 8 + 11 */
	f.b[14 + 20 + 4] = 0;
	f.b[14 + 20 + 5] = 19;
	th_egress(&t, f.b, f.n, 0);
	s = stats(&t);
	ck_assert_uint_eq(s.malformed[IFN_DNS_BAD_TRUNC], 2);
	ck_assert_int_eq(dns_entries(&t), 0);
	th_teardown(&t);
}
END_TEST

/* Other traffic to a device passes untouched and costs no DNS counter. */
START_TEST(non_dns_untouched)
{
	struct th t;
	struct dns_msg m;
	struct dns_frame f;
	struct ifn_dns_stats s;

	setup(&t);
	dns_hdr(&m, DNS_ANSWER, 1, 1);
	dns_question(&m, "a.example.com", 1);
	ok_tail(&m);
	build(&f, DNS_UDP4, GW, &m);
	f.b[14 + 20 + 1] = 54; /* from port 54 */
	th_egress(&t, f.b, f.n, 0);
	f.n = 14 + 20; /* Ethernet and an IPv4 header that says more */
	th_egress(&t, f.b, f.n, 0);
	s = stats(&t);
	ck_assert_mem_eq(&s, &(struct ifn_dns_stats){}, sizeof(s));
	th_teardown(&t);
}
END_TEST

/* The device's SYN to @ip:@port, through the XDP program: its verdict. */
static int syn(struct th *t, const char *ip, __u16 port)
{
	struct frame_spec fs = {
		.src_mac = DEV,
		.src_ip = strchr(ip, ':') ? "fd00::10" : "192.168.1.10",
		.dst_ip = ip,
		.proto = 6,
		.sport = 40000,
		.dport = port,
		.tcp_flags = 0x02,
	};

	return th_send(t, &fs);
}

static void answer(struct th *t, const char *qname, __u32 ttl, const char *ip)
{
	struct dns_msg m;
	struct dns_frame f;

	dns_answer(&m, qname, ttl, ip);
	build(&f, strchr(ip, ':') ? DNS_UDP6_EXT : DNS_UDP4, GW, &m);
	th_egress(t, f.b, f.n, 0);
}

START_TEST(enforce_by_exact_name)
{
	struct th t;
	struct ifn_device d;

	setup(&t);
	th_allow(&t, DEV, "tcp/8883 name a3k7.iot.eu-west-1.amazonaws.com");
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert(d.flags & IFN_DEV_F_NAME_RULES);
	ck_assert_uint_eq(d.name_rules, 1);
	/* Not resolved yet: dropped. */
	ck_assert_int_eq(syn(&t, "52.1.2.3", 8883), XDP_DROP);
	answer(&t, "a3k7.iot.eu-west-1.amazonaws.com", 60, "52.1.2.3");
	ck_assert_int_eq(syn(&t, "52.1.2.3", 8883), XDP_PASS);
	/* The same address on another port, another address, another name: dropped. */
	ck_assert_int_eq(syn(&t, "52.1.2.3", 443), XDP_DROP);
	ck_assert_int_eq(syn(&t, "52.1.2.4", 8883), XDP_DROP);
	answer(&t, "evil.example.net", 60, "52.1.2.9");
	ck_assert_int_eq(syn(&t, "52.1.2.9", 8883), XDP_DROP);
	/* The cloud moves: the new address passes as soon as the answer is out. */
	answer(&t, "a3k7.iot.eu-west-1.amazonaws.com", 60, "52.9.9.9");
	ck_assert_int_eq(syn(&t, "52.9.9.9", 8883), XDP_PASS);
	/* IPv6 */
	answer(&t, "a3k7.iot.eu-west-1.amazonaws.com", 60, "2001:db8::99");
	ck_assert_int_eq(syn(&t, "2001:db8::99", 8883), XDP_PASS);
	th_teardown(&t);
}
END_TEST

START_TEST(enforce_by_wildcard)
{
	struct th t;

	setup(&t);
	th_allow(&t, DEV, "tcp/443 name *.Example.COM");
	answer(&t, "api.eu.example.com", 60, "198.51.100.1");
	answer(&t, "example.com", 60, "198.51.100.2");
	answer(&t, "badexample.com", 60, "198.51.100.3");
	answer(&t, "example.com.evil.net", 60, "198.51.100.4");
	ck_assert_int_eq(syn(&t, "198.51.100.1", 443), XDP_PASS);
	/* *.example.com is under example.com: not example.com itself, nor look-alikes. */
	ck_assert_int_eq(syn(&t, "198.51.100.2", 443), XDP_DROP);
	ck_assert_int_eq(syn(&t, "198.51.100.3", 443), XDP_DROP);
	ck_assert_int_eq(syn(&t, "198.51.100.4", 443), XDP_DROP);
	th_teardown(&t);
}
END_TEST

/* A CDN address of two names: the rule on either admits it, whichever answer came last. */
START_TEST(shared_address_no_shadowing)
{
	struct th t;

	setup(&t);
	th_allow(&t, DEV, "tcp/443 name updates.vendor.com");
	answer(&t, "updates.vendor.com", 300, "203.0.113.50");
	answer(&t, "ads.tracker.net", 300, "203.0.113.50");
	ck_assert_int_eq(syn(&t, "203.0.113.50", 443), XDP_PASS);
	th_teardown(&t);
}
END_TEST

/*
 * Lifetimes on the virtual clock: the TTL with its floor, then as long as
 * frames keep using the address; an idle address lapses.
 */
START_TEST(lifetimes)
{
	struct th t;
	struct ifn_config c;
	int i;

	setup(&t);
	c = th_config(&t);
	c.dns_min_ttl_ns = 600 * SEC_NS;
	th_set_config(&t, &c);
	th_allow(&t, DEV, "tcp/443 name a.example.com");
	th_allow(&t, DEV, "tcp/443 name b.example.com");
	answer(&t, "a.example.com", 5, "192.0.2.1"); /* TTL 5 s, floor 10 min */
	answer(&t, "b.example.com", 3600, "192.0.2.2");
	*t.now += 590 * SEC_NS;
	ck_assert_int_eq(syn(&t, "192.0.2.1", 443), XDP_PASS);
	/* In use: one frame every 5 minutes keeps it for hours past its expiry. */
	for (i = 0; i < 40; i++) {
		*t.now += 300 * SEC_NS;
		ck_assert_msg(syn(&t, "192.0.2.1", 443) == XDP_PASS, "frame %d", i);
	}
	/* b was not used since its answer, 3.5 h ago, and its TTL was 1 h: lapsed. */
	ck_assert_int_eq(syn(&t, "192.0.2.2", 443), XDP_DROP);
	/* Idle for longer than the floor: a lapses too. */
	*t.now += 601 * SEC_NS;
	ck_assert_int_eq(syn(&t, "192.0.2.1", 443), XDP_DROP);
	th_teardown(&t);
}
END_TEST

/* A rule for one device admits nothing for another that resolved the same name. */
START_TEST(per_device)
{
	struct th t;
	struct frame_spec fs = {
		.src_mac = "02:00:00:00:00:0b",
		.src_ip = "192.168.1.11",
		.dst_ip = "192.0.2.77",
		.proto = 6,
		.sport = 40000,
		.dport = 443,
		.tcp_flags = 0x02,
	};

	setup(&t);
	th_add_device(&t, "02:00:00:00:00:0b", IFN_MODE_ENFORCE);
	th_allow(&t, DEV, "tcp/443 name shared.example.com");
	answer(&t, "shared.example.com", 300, "192.0.2.77"); /* to DEV only */
	ck_assert_int_eq(th_send(&t, &fs), XDP_DROP);
	ck_assert_int_eq(syn(&t, "192.0.2.77", 443), XDP_PASS);
	th_teardown(&t);
}
END_TEST

/*
 * The real answers of the captures (tests/captures, or $IFN_PCAPS): every
 * DNS response from port 53 to a unicast MAC goes through the egress
 * program with its receiver made a device. None may count as malformed,
 * and answers with addresses must be recorded.
 */
struct cap_run {
	struct th *t;
	unsigned long responses;
};

static void cap_frame(void *ctx, const __u8 *data, size_t caplen, __u64 ts_ns)
{
	struct cap_run *c = ctx;
	struct dns_frame f;
	size_t l3 = 14, l4;
	char mac_s[18];
	__u16 et;

	(void)ts_ns;
	if (caplen < 14 + 20 + 8 || caplen > sizeof(f.b) || (data[0] & 1))
		return;
	et = data[12] << 8 | data[13];
	if (et == 0x8100) {
		et = data[16] << 8 | data[17];
		l3 += 4;
	}
	if (et == 0x0800 && caplen > l3 + 20 && (data[l3 + 9] == 17 || data[l3 + 9] == 6))
		l4 = l3 + (data[l3] & 15) * 4;
	else if (et == 0x86dd && caplen > l3 + 48 && (data[l3 + 6] == 17 || data[l3 + 6] == 6))
		l4 = l3 + 40;
	else
		return;
	if (caplen < l4 + 2 || (data[l4] << 8 | data[l4 + 1]) != 53)
		return;
	snprintf(mac_s, sizeof(mac_s), "%02x:%02x:%02x:%02x:%02x:%02x", data[0], data[1], data[2],
		 data[3], data[4], data[5]);
	if (!th_device(c->t, mac_s, NULL, NULL))
		th_add_device(c->t, mac_s, IFN_MODE_ENFORCE);
	memcpy(f.b, data, caplen);
	f.n = caplen;
	th_egress(c->t, f.b, f.n, 0);
	c->responses++;
}

START_TEST(real_answers_of_the_captures)
{
	const char *dir = getenv("IFN_PCAPS");
	struct dirent *de;
	DIR *d;
	unsigned long total = 0, bad = 0;
	struct ifn_dns_stats st;
	char path[512], err[256];
	struct cap_run c;
	struct th t;
	int r;

	setup(&t);
	c.t = &t;
	c.responses = 0;
	if (!dir || !*dir)
		dir = "tests/captures";
	d = opendir(dir);
	ck_assert_msg(d, "%s: cannot open (set IFN_PCAPS to the captures)", dir);
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_msg(pcapfile_each(path, cap_frame, &c, err, sizeof(err)) >= 0, "%s: %s",
			      path, err);
	}
	closedir(d);
	st = stats(&t);
	for (r = 0; r < IFN_DNS_BAD_MAX; r++)
		bad += st.malformed[r];
	total = st.answers + st.spoofed + st.no_device + st.too_big + st.tcp_partial;
	printf("captures: %lu DNS responses to devices; read %llu, recorded an address from "
	       "%llu (%llu addresses), malformed %lu, too big %llu\n",
	       c.responses, (unsigned long long)st.answers, (unsigned long long)st.used,
	       (unsigned long long)st.records, bad, (unsigned long long)st.too_big);
	ck_assert_uint_gt(c.responses, 0);
	ck_assert_uint_eq(total, c.responses);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_gt(st.used, 0);
	th_teardown(&t);
}
END_TEST

TH_SUITE(dns_suite)
static Suite *dns_suite(void)
{
	Suite *s = suite_create("datapath-dns");
	TCase *tc = tcase_create("egress");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, udp4_answer_recorded_with_ttl_floor);
	tcase_add_test(tc, shapes_vlan_ipv6_ext_tcp);
	tcase_add_test(tc, cname_chain_and_uncompressed_owners);
	tcase_add_test(tc, name_of_255_bytes);
	tcase_add_test(tc, names_share_an_address);
	tcase_add_test(tc, nothing_to_record);
	tcase_add_test(tc, spoofed_answers_refused_and_reported);
	tcase_add_test(tc, spoofed_events_limited_and_counted);
	tcase_add_test(tc, tcp_not_one_message_and_too_big);
	tcase_add_loop_test(tc, malicious_answer, 0, sizeof(bads) / sizeof(bads[0]));
	tcase_add_test(tc, udp_lengths);
	tcase_add_test(tc, non_dns_untouched);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, enforce_by_exact_name);
	tcase_add_test(tc, enforce_by_wildcard);
	tcase_add_test(tc, shared_address_no_shadowing);
	tcase_add_test(tc, lifetimes);
	tcase_add_test(tc, per_device);
	tcase_add_test(tc, real_answers_of_the_captures);
	suite_add_tcase(s, tc);
	return s;
}
