// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_parse.c - the text an operator types: addresses, prefixes, ports,
 * protocols, durations, counts and modes, good and bad.
 */
#include <errno.h>
#include <string.h>

#include "format.h"
#include "iotfence.h"
#include "parse.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- CIDR ---- */

static const struct {
	const char *in;
	const char *out; /* ifn_fmt_cidr of the result; NULL: rejected */
	int plen; /* over the 128-bit mapped space */
	const char *why; /* a word the error must contain */
} cidr_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0/8", 104, NULL },
	{ "192.168.1.7", "192.168.1.7", 128, NULL },
	{ "192.168.1.7/32", "192.168.1.7", 128, NULL },
	{ "0.0.0.0/0", "0.0.0.0/0", 96, NULL },
	{ "172.16.0.0/12", "172.16.0.0/12", 108, NULL },
	{ "any", "any", 0, NULL },
	{ "ANY", "any", 0, NULL },
	{ "*", "any", 0, NULL },
	{ "::/0", "any", 0, NULL },
	{ "2001:db8::/32", "2001:db8::/32", 32, NULL },
	{ "2001:db8::1", "2001:db8::1", 128, NULL },
	{ "2001:db8::1/128", "2001:db8::1", 128, NULL },
	{ "fe80::/10", "fe80::/10", 10, NULL },
	{ "::ffff:10.1.2.3", "10.1.2.3", 128, NULL },
	/* host bits past the prefix are a typo, not a wider rule */
	{ "10.0.0.1/8", NULL, 0, "host bits" },
	{ "192.168.1.1/24", NULL, 0, "host bits" },
	{ "2001:db8::1/32", NULL, 0, "host bits" },
	/* prefix range */
	{ "10.0.0.0/33", NULL, 0, "prefix" },
	{ "2001:db8::/129", NULL, 0, "prefix" },
	{ "10.0.0.0/-1", NULL, 0, "prefix" },
	{ "10.0.0.0/", NULL, 0, "prefix" },
	{ "10.0.0.0/8/8", NULL, 0, "prefix" },
	{ "10.0.0.0/x", NULL, 0, "prefix" },
	/* not addresses */
	{ "10.0.0", NULL, 0, "not an IPv4 or IPv6" },
	{ "10.0.0.256", NULL, 0, "not an IPv4 or IPv6" },
	{ "example.com", NULL, 0, "not an IPv4 or IPv6" },
	{ "fe80::1%eth0", NULL, 0, "not an IPv4 or IPv6" },
	{ " 10.0.0.1", NULL, 0, "not an IPv4 or IPv6" },
	{ "", NULL, 0, "missing" },
	{ "2001:db8:0:0:0:0:0:0:1", NULL, 0, "not an IPv4 or IPv6" },
};

START_TEST(cidr)
{
	char err[IFN_ERRLEN] = "", buf[IFN_ADDR_STRLEN];
	__u8 addr[16], plen = 0xee;
	int rc = ifn_parse_cidr(cidr_cases[_i].in, addr, &plen, err, sizeof(err));

	if (cidr_cases[_i].out) {
		ck_assert_msg(rc == 0, "'%s' rejected: %s", cidr_cases[_i].in, err);
		ck_assert_int_eq(plen, cidr_cases[_i].plen);
		ck_assert_str_eq(ifn_fmt_cidr(addr, plen, buf), cidr_cases[_i].out);
	} else {
		ck_assert_msg(rc == -EINVAL, "'%s' accepted", cidr_cases[_i].in);
		ck_assert_msg(strstr(err, cidr_cases[_i].why), "'%s': error '%s' lacks '%s'",
			      cidr_cases[_i].in, err, cidr_cases[_i].why);
		ck_assert_int_eq(plen, 0xee); /* nothing written on error */
	}
}
END_TEST

START_TEST(cidr_v4_mapped)
{
	__u8 addr[16], plen;
	bool v4 = false;

	ck_assert_int_eq(ifn_parse_cidr("10.1.2.0/24", addr, &plen, NULL, 0), 0);
	ck_assert(ifn_addr_is_v4(addr));
	ck_assert_int_eq(addr[12], 10);
	ck_assert_int_eq(addr[13], 1);
	ck_assert_int_eq(addr[14], 2);
	ck_assert_int_eq(addr[15], 0);
	ck_assert_int_eq(ifn_parse_ip("2001:db8::1", addr, &v4), 0);
	ck_assert(!v4);
	ck_assert(!ifn_addr_is_v4(addr));
	ck_assert_int_eq(ifn_parse_ip("1.2.3.4", addr, &v4), 0);
	ck_assert(v4);
	ck_assert_int_eq(ifn_parse_ip("1.2.3", addr, NULL), -EINVAL);
	ck_assert_int_eq(ifn_parse_ip(NULL, addr, NULL), -EINVAL);
}
END_TEST

/* ---- ports ---- */

static const struct {
	const char *in;
	int rc;
	__u16 port;
} port_cases[] = {
	{ "1", 0, 1 },
	{ "80", 0, 80 },
	{ "65535", 0, 65535 },
	{ "08080", 0, 8080 },
	{ "0", -ERANGE, 0 },
	{ "65536", -ERANGE, 0 },
	{ "99999999999999999999", -ERANGE, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+80", -EINVAL, 0 },
	{ "80a", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ " 80", -EINVAL, 0 },
	{ "0x50", -EINVAL, 0 },
	{ "http", -EINVAL, 0 },
};

START_TEST(ports)
{
	__u16 port = 4242;
	int rc = ifn_parse_port(port_cases[_i].in, &port);

	ck_assert_msg(rc == port_cases[_i].rc, "'%s': rc %d", port_cases[_i].in, rc);
	ck_assert_int_eq(port, rc ? 4242 : port_cases[_i].port);
}
END_TEST

/* ---- protocols ---- */

static const struct {
	const char *in;
	int proto; /* -1: rejected */
} proto_cases[] = {
	{ "tcp", 6 },	     { "TCP", 6 },  { "udp", 17 },  { "icmp", 1 },  { "icmpv6", 58 },
	{ "ipv6-icmp", 58 }, { "igmp", 2 }, { "gre", 47 },  { "esp", 50 },  { "ah", 51 },
	{ "sctp", 132 },     { "0", 0 },    { "255", 255 }, { "132", 132 }, { "256", -1 },
	{ "tcpp", -1 },	     { "", -1 },    { "-6", -1 },   { "http", -1 },
};

START_TEST(protos)
{
	__u8 proto = 0xaa;
	char buf[8];
	int rc = ifn_parse_proto(proto_cases[_i].in, &proto);

	if (proto_cases[_i].proto < 0) {
		ck_assert_msg(rc == -EINVAL, "'%s' accepted", proto_cases[_i].in);
		ck_assert_int_eq(proto, 0xaa);
	} else {
		ck_assert_msg(rc == 0, "'%s' rejected", proto_cases[_i].in);
		ck_assert_int_eq(proto, proto_cases[_i].proto);
		/* names print back as a name, numbers as themselves */
		if (proto_cases[_i].proto == 6)
			ck_assert_str_eq(ifn_proto_name(proto, buf), "tcp");
		if (proto_cases[_i].proto == 255)
			ck_assert_str_eq(ifn_proto_name(proto, buf), "255");
	}
}
END_TEST

/* ---- PROTO[/PORT] ---- */

static const struct {
	const char *in;
	int proto; /* -1: rejected */
	int port; /* -1: no port */
	bool l2;
	const char *why;
} pp_cases[] = {
	{ "tcp/443", 6, 443, false, NULL },
	{ "udp/53", 17, 53, false, NULL },
	{ "UDP/5683", 17, 5683, false, NULL },
	{ "sctp/9", 132, 9, false, NULL },
	{ "tcp", 6, -1, false, NULL },
	{ "gre", 47, -1, false, NULL },
	{ "47", 47, -1, false, NULL },
	{ "icmp/8", 1, 8, false, NULL },
	{ "icmp/0", 1, 0, false, NULL },
	{ "icmpv6/128", 58, 128, false, NULL },
	{ "icmp/255", 1, 255, false, NULL },
	{ "ether/0x88cc", 0, 0x88cc, true, NULL },
	{ "ETHER/0x88CC", 0, 0x88cc, true, NULL },
	{ "ether/35020", 0, 35020, true, NULL },
	{ "ether/0x0600", 0, 0x600, true, NULL },
	{ "ether/0xffff", 0, 0xffff, true, NULL },
	{ "ether/0x0001", 0, 1, true, NULL }, /* 802.3 frames: one flow, whatever the length */
	{ "ether/0x0002", -1, 0, false, "0x0600" },
	{ "tcp/0", -1, 0, false, "out of range" },
	{ "tcp/65536", -1, 0, false, "out of range" },
	{ "udp/100000", -1, 0, false, "out of range" },
	{ "tcp/", -1, 0, false, "missing port" },
	{ "tcp/http", -1, 0, false, "number" },
	{ "tcp/80-90", -1, 0, false, "number" },
	{ "icmp/256", -1, 0, false, "ICMP type" },
	{ "icmp/echo", -1, 0, false, "ICMP type" },
	{ "gre/5", -1, 0, false, "no ports" },
	{ "foo/80", -1, 0, false, "unknown protocol" },
	{ "foo", -1, 0, false, "unknown protocol" },
	{ "", -1, 0, false, "PROTO" },
	{ "ether", -1, 0, false, "ethertype" },
	{ "ether/", -1, 0, false, "ethertype" },
	{ "ether/0x5ff", -1, 0, false, "0x0600" },
	{ "ether/0x10000", -1, 0, false, "0x0600" },
	{ "ether/-1", -1, 0, false, "0x0600" },
	{ "ether/0x88cczz", -1, 0, false, "0x0600" },
	{ "ether/0x0800", -1, 0, false, "not a rule" },
	{ "ether/0x86dd", -1, 0, false, "not a rule" },
	{ "ether/0x0806", -1, 0, false, "not a rule" },
	{ "ether/0x8100", -1, 0, false, "not a rule" },
	{ "tcp/443/1", -1, 0, false, "number" },
	{ "tcp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -1, 0, false, "PROTO" },
};

START_TEST(proto_port)
{
	char err[IFN_ERRLEN] = "";
	bool has_port, l2;
	__u16 port;
	__u8 proto;
	int rc = ifn_parse_proto_port(pp_cases[_i].in, &proto, &port, &has_port, &l2, err,
				      sizeof(err));

	if (pp_cases[_i].proto < 0) {
		ck_assert_msg(rc == -EINVAL, "'%s' accepted", pp_cases[_i].in);
		ck_assert_msg(strstr(err, pp_cases[_i].why), "'%s': error '%s' lacks '%s'",
			      pp_cases[_i].in, err, pp_cases[_i].why);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' rejected: %s", pp_cases[_i].in, err);
	ck_assert_int_eq(proto, pp_cases[_i].proto);
	ck_assert_int_eq(l2, pp_cases[_i].l2);
	ck_assert_int_eq(has_port, pp_cases[_i].port >= 0);
	if (pp_cases[_i].port >= 0)
		ck_assert_int_eq(port, pp_cases[_i].port);
	else
		ck_assert_int_eq(port, 0);
}
END_TEST

/* ---- durations ---- */

#define S 1000000000ULL
static const struct {
	const char *in;
	int rc;
	__u64 ns;
} dur_cases[] = {
	{ "90s", 0, 90 * S },
	{ "10m", 0, 600 * S },
	{ "24h", 0, 86400 * S },
	{ "7d", 0, 7 * 86400 * S },
	{ "2w", 0, 14 * 86400 * S },
	{ "500ms", 0, 500000000ULL },
	{ "1h30m", 0, 5400 * S },
	{ "1d2h3m4s5ms", 0, (86400 + 7200 + 180 + 4) * S + 5000000ULL },
	{ "1m1m", 0, 120 * S }, /* a sum, whatever the order */
	{ "30s1m", 0, 90 * S },
	{ "90", 0, 90 * S }, /* a bare number is seconds */
	{ "0", 0, 0 },
	{ "0s", 0, 0 },
	{ "00010s", 0, 10 * S },
	{ "18446744073s", 0, 18446744073ULL * S },
	/* overflow of a term, of the product, of the sum */
	{ "18446744074s", -ERANGE, 0 },
	{ "99999999999999999999s", -ERANGE, 0 },
	{ "30501w", -ERANGE, 0 },
	{ "30500w", 0, 30500ULL * 7 * 86400 * S },
	{ "18446744073s1s", -ERANGE, 0 },
	/* bad suffixes and shapes */
	{ "10M", -EINVAL, 0 }, /* months or minutes? neither */
	{ "10min", -EINVAL, 0 },
	{ "10sec", -EINVAL, 0 },
	{ "1h30", -EINVAL, 0 }, /* a bare number only alone */
	{ "1.5h", -EINVAL, 0 },
	{ "-5s", -EINVAL, 0 },
	{ "+5s", -EINVAL, 0 },
	{ "s", -EINVAL, 0 },
	{ "5 s", -EINVAL, 0 },
	{ " 5s", -EINVAL, 0 },
	{ "5s ", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "1y", -EINVAL, 0 },
	{ "5us", -EINVAL, 0 },
};

START_TEST(durations)
{
	__u64 ns = 12345;
	int rc = ifn_parse_duration(dur_cases[_i].in, &ns);

	ck_assert_msg(rc == dur_cases[_i].rc, "'%s': rc %d, expected %d", dur_cases[_i].in, rc,
		      dur_cases[_i].rc);
	if (!rc)
		ck_assert_uint_eq(ns, dur_cases[_i].ns);
	else
		ck_assert_uint_eq(ns, 12345);
}
END_TEST

/* Every duration the formatter prints reads back as the same value. */
START_TEST(duration_round_trip)
{
	static const __u64 v[] = { 0,
				   1000000ULL,
				   999000000ULL,
				   S,
				   59 * S,
				   60 * S,
				   90 * S,
				   3600 * S,
				   5400 * S,
				   86400 * S,
				   86400 * S + 1000000ULL,
				   3650 * 86400 * S,
				   123456000000ULL };
	char buf[64];
	size_t i;
	__u64 back;

	for (i = 0; i < N(v); i++) {
		ifn_fmt_duration(v[i], buf, sizeof(buf));
		ck_assert_msg(!ifn_parse_duration(buf, &back), "'%s' does not parse", buf);
		ck_assert_uint_eq(back, v[i]);
	}
	ck_assert_str_eq(ifn_fmt_duration(90 * S, buf, sizeof(buf)), "1m30s");
	ck_assert_str_eq(ifn_fmt_duration(5400 * S, buf, sizeof(buf)), "1h30m");
	ck_assert_str_eq(ifn_fmt_duration(86400 * S, buf, sizeof(buf)), "1d");
	ck_assert_str_eq(ifn_fmt_duration(250000000ULL, buf, sizeof(buf)), "250ms");
	ck_assert_str_eq(ifn_fmt_duration(0, buf, sizeof(buf)), "0s");
	/* the resolution is a millisecond: less is cut, never rounded up */
	ck_assert_str_eq(ifn_fmt_duration(123456789000ULL, buf, sizeof(buf)), "2m3s456ms");
	ck_assert_str_eq(ifn_fmt_duration(999999ULL, buf, sizeof(buf)), "0s");
	/* a short buffer truncates, never overflows */
	ck_assert_str_eq(ifn_fmt_duration(5400 * S, buf, 3), "1h");
}
END_TEST

/* ---- counts ---- */

static const struct {
	const char *in;
	int rc;
	__u64 v;
} count_cases[] = {
	{ "0", 0, 0 },
	{ "100", 0, 100 },
	{ "10k", 0, 10000 },
	{ "10K", 0, 10000 },
	{ "1M", 0, 1000000 },
	{ "2G", 0, 2000000000ULL },
	{ "1.5k", 0, 1500 },
	{ "1.5M", 0, 1500000 },
	{ "2.25G", 0, 2250000000ULL },
	{ "0.001k", 0, 1 },
	{ "18446744073709551615", 0, 18446744073709551615ULL },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "18446744073709552k", -ERANGE, 0 },
	{ "18446744073.709551616G", -ERANGE, 0 },
	{ "18446744073.709551615G", 0, 18446744073709551615ULL },
	{ "1.0000000001G", -EINVAL, 0 }, /* finer than the unit */
	{ "1.5", -EINVAL, 0 }, /* a fraction needs a suffix */
	{ "1.0001k", -EINVAL, 0 },
	{ "1.k", -EINVAL, 0 },
	{ ".5k", -EINVAL, 0 },
	{ "1m", -EINVAL, 0 }, /* milli? mega? neither */
	{ "1g", -EINVAL, 0 },
	{ "1T", -EINVAL, 0 },
	{ "k", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "1 k", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "1kk", -EINVAL, 0 },
	{ "1,000", -EINVAL, 0 },
};

START_TEST(counts)
{
	__u64 v = 777;
	int rc = ifn_parse_count(count_cases[_i].in, &v);

	ck_assert_msg(rc == count_cases[_i].rc, "'%s': rc %d, expected %d", count_cases[_i].in, rc,
		      count_cases[_i].rc);
	ck_assert_uint_eq(v, rc ? 777 : count_cases[_i].v);
}
END_TEST

/* ---- modes ---- */

START_TEST(modes)
{
	static const char *const names[] = { "learn", "monitor", "enforce", "quarantine", "trust" };
	int i;

	for (i = 0; i < IFN_MODE_MAX; i++) {
		ck_assert_int_eq(ifn_parse_mode(names[i]), i);
		ck_assert_str_eq(ifn_mode_name(i), names[i]);
	}
	ck_assert_int_eq(ifn_parse_mode("ENFORCE"), IFN_MODE_ENFORCE);
	ck_assert_int_eq(ifn_parse_mode("enforced"), -EINVAL);
	ck_assert_int_eq(ifn_parse_mode("block"), -EINVAL);
	ck_assert_int_eq(ifn_parse_mode(""), -EINVAL);
	ck_assert_int_eq(ifn_parse_mode(NULL), -EINVAL);
	ck_assert_str_eq(ifn_mode_name(IFN_MODE_MAX), "unknown");
}
END_TEST

UNIT_SUITE(parse_suite)
static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, cidr, 0, N(cidr_cases));
	tcase_add_test(tc, cidr_v4_mapped);
	tcase_add_loop_test(tc, ports, 0, N(port_cases));
	tcase_add_loop_test(tc, protos, 0, N(proto_cases));
	tcase_add_loop_test(tc, proto_port, 0, N(pp_cases));
	tcase_add_loop_test(tc, durations, 0, N(dur_cases));
	tcase_add_test(tc, duration_round_trip);
	tcase_add_loop_test(tc, counts, 0, N(count_cases));
	tcase_add_test(tc, modes);
	suite_add_tcase(s, tc);
	return s;
}
