// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_rules.c - the text of a fingerprint rule: parse, format, parse again
 * gives the same rule; which map a rule lands in; and rules that are
 * refused.
 */
#include <errno.h>
#include <string.h>

#include "dnsname.h"
#include "format.h"
#include "iotfence.h"
#include "parse.h"
#include "rules.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;
	const char *canon; /* the formatted text */
	enum ifn_rule_kind kind;
} good[] = {
	{ "tcp/443 52.94.1.7", "tcp/443 52.94.1.7", IFN_RULE_EXACT },
	{ "TCP/443 52.94.1.7 client", "tcp/443 52.94.1.7", IFN_RULE_EXACT },
	{ "udp/123 any", "udp/123 any", IFN_RULE_PORT_PREFIX },
	{ "tcp/8883 10.0.0.0/8", "tcp/8883 10.0.0.0/8", IFN_RULE_PORT_PREFIX },
	{ "tcp 10.0.0.0/8", "tcp 10.0.0.0/8", IFN_RULE_ANY_PORT },
	{ "udp any", "udp any", IFN_RULE_ANY_PORT },
	{ "icmp/8 192.168.1.1", "icmp/8 192.168.1.1", IFN_RULE_EXACT },
	{ "icmp/8 any server", "icmp/8 any server", IFN_RULE_PORT_PREFIX },
	{ "icmpv6/128 2001:db8::1", "icmpv6/128 2001:db8::1", IFN_RULE_EXACT },
	{ "ether/0x88cc", "ether/0x88cc", IFN_RULE_EXACT },
	{ "ether/35020 any", "ether/0x88cc", IFN_RULE_EXACT },
	{ "tcp/554 any server", "tcp/554 any server", IFN_RULE_PORT_PREFIX },
	{ "tcp/554 192.168.1.0/24 SERVER", "tcp/554 192.168.1.0/24 server", IFN_RULE_PORT_PREFIX },
	{ "udp/5683 2001:db8::/32", "udp/5683 2001:db8::/32", IFN_RULE_PORT_PREFIX },
	{ "47 203.0.113.9", "gre 203.0.113.9", IFN_RULE_ANY_PORT },
	{ "  tcp/80\t  1.2.3.4  ", "tcp/80 1.2.3.4", IFN_RULE_EXACT },
	{ "tcp/443 0.0.0.0/0", "tcp/443 0.0.0.0/0", IFN_RULE_PORT_PREFIX },
	{ "tcp/9999 local-networks server", "tcp/9999 local-networks server", IFN_RULE_EXACT },
	{ "udp/5353 LOCAL-NETWORKS", "udp/5353 local-networks", IFN_RULE_EXACT },
	{ "icmp/8 local-networks server", "icmp/8 local-networks server", IFN_RULE_EXACT },
	{ "udp/1024-65535 52.1.2.3", "udp/1024-65535 52.1.2.3", IFN_RULE_ANY_PORT },
	{ "tcp/8000-8100 10.0.0.0/8 server", "tcp/8000-8100 10.0.0.0/8 server", IFN_RULE_ANY_PORT },
	{ "udp/80-80 1.2.3.4", "udp/80 1.2.3.4", IFN_RULE_EXACT },
	{ "udp/1-65535 1.2.3.4", "udp 1.2.3.4", IFN_RULE_ANY_PORT },
	{ "tcp/8883 name A3K7.iot.eu-west-1.amazonaws.com.",
	  "tcp/8883 name a3k7.iot.eu-west-1.amazonaws.com", IFN_RULE_NAME },
	{ "tcp/443 NAME *.Example.com", "tcp/443 name *.example.com", IFN_RULE_NAME },
	{ "udp/5683 name _coap.local server", "udp/5683 name _coap.local server", IFN_RULE_NAME },
};

START_TEST(round_trip)
{
	char err[IFN_ERRLEN] = "", buf[IFN_RULE_STRLEN], buf2[IFN_RULE_STRLEN];
	struct ifn_rule r, r2;

	ck_assert_msg(!ifn_rule_parse(good[_i].in, &r, err, sizeof(err)), "'%s': %s", good[_i].in,
		      err);
	ck_assert_str_eq(ifn_rule_format(&r, buf, sizeof(buf)), good[_i].canon);
	ck_assert_int_eq(ifn_rule_kind(&r), good[_i].kind);
	ck_assert_int_eq(r.origin, IFN_ORIGIN_MANUAL);
	/* and the formatted text reads back as the same rule */
	ck_assert_msg(!ifn_rule_parse(buf, &r2, err, sizeof(err)), "'%s': %s", buf, err);
	ck_assert(ifn_rule_same(&r, &r2));
	ck_assert_int_eq(ifn_rule_cmp(&r, &r2), 0);
	ck_assert_str_eq(ifn_rule_format(&r2, buf2, sizeof(buf2)), buf);
}
END_TEST

static const struct {
	const char *in;
	const char *why;
} bad[] = {
	{ "", "missing PROTO" },
	{ "tcp/443", "missing PEER" },
	{ "tcp/0 1.2.3.4", "out of range" },
	{ "tcp/65536 1.2.3.4", "out of range" },
	{ "tcpx/80 1.2.3.4", "unknown protocol" },
	{ "tcp/80 1.2.3.4/8", "host bits" },
	{ "tcp/80 10.0.0.0/33", "prefix" },
	{ "tcp/80 300.1.1.1", "not an IPv4 or IPv6" },
	{ "tcp/80 1.2.3.4 sideways", "unexpected 'sideways'" },
	{ "tcp/80 1.2.3.4 server extra", "unexpected 'extra'" },
	{ "ether/0x88cc any server", "no direction" },
	{ "ether/0x88cc 1.2.3.4", "unexpected '1.2.3.4'" },
	{ "gre/1 1.2.3.4", "no ports" },
	{ "a b c d e f g h i", "too many words" },
	{ "tcp local-networks", "takes one port" },
	{ "udp/1024-65535 local-networks", "takes one port" },
	{ "udp/2000-1000 1.2.3.4", "LO <= HI" },
	{ "udp/1000-70000 1.2.3.4", "LO-HI" },
	{ "icmp/1-8 1.2.3.4", "only tcp, udp and sctp" },
	{ "ether/0x88cc local-networks", "unexpected 'local-networks'" },
	{ "tcp name a.example.com", "needs a port" },
	{ "tcp/443 name", "missing NAME" },
	{ "tcp/443 name a..b", "empty label" },
	{ "tcp/443 name a.*.b", "'*' in a name" },
	{ "tcp/443 name **.b", "'*' in a name" },
	{ "tcp/443 name a b", "unexpected 'b'" },
	{ "tcp/443 name caf\xc3\xa9.fr", "in a name" },
	{ "tcp/443 name *.a.b.c.d.e.f.g.h.i.j.k", "wildcard under 11 labels" },
	{ "tcp/443 name aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
	  "over 63" },
};

/* The agent hashes a name as the datapath does: suffix by suffix, right to left, keyed. */
START_TEST(name_hashes)
{
	struct ifn_dns_name nm, nm2;
	__u64 h = ifn_dns_name_hash(42, "a.example.com", &nm), h2;

	ck_assert_uint_eq(nm.labels, 3);
	ck_assert_uint_eq(nm.len, 13);
	ck_assert_str_eq(nm.name, "a.example.com");
	ck_assert_uint_eq(nm.suffix[2], h);
	/* The suffix "example.com" of the name is the hash of "example.com" itself. */
	h2 = ifn_dns_name_hash(42, "example.com", &nm2);
	ck_assert_uint_eq(nm.suffix[1], h2);
	ck_assert_uint_eq(nm.suffix[0], nm2.suffix[0]);
	ck_assert_uint_ne(h, h2);
	/* Another key, other hashes: a device cannot aim at a rule's hash. */
	ck_assert_uint_ne(ifn_dns_rule_hash(43, "a.example.com"), h);
	/* Label boundaries count: "ab.c" and "a.bc" differ. */
	ck_assert_uint_ne(ifn_dns_rule_hash(42, "ab.c"), ifn_dns_rule_hash(42, "a.bc"));
	ck_assert_ptr_eq(ifn_dns_name_intern("x.y"), ifn_dns_name_intern("x.y"));
}
END_TEST

START_TEST(refused)
{
	char err[IFN_ERRLEN] = "";
	struct ifn_rule r;

	ck_assert_msg(ifn_rule_parse(bad[_i].in, &r, err, sizeof(err)) == -EINVAL, "'%s' accepted",
		      bad[_i].in);
	ck_assert_msg(strstr(err, bad[_i].why), "'%s': error '%s' lacks '%s'", bad[_i].in, err,
		      bad[_i].why);
}
END_TEST

/* A rule made from a datapath flow key formats as the operator would write it. */
START_TEST(from_flow)
{
	struct ifn_flow_key k = { .family = IFN_FAMILY_IPV4, .proto = 6, .port = 8883 };
	struct ifn_flow_val v = { .added_ns = 42, .origin = IFN_ORIGIN_LEARNED };
	struct ifn_flow_key back;
	char buf[IFN_RULE_STRLEN];
	struct ifn_rule r;

	k.peer[10] = 0xff;
	k.peer[11] = 0xff;
	k.peer[12] = 52;
	k.peer[13] = 94;
	k.peer[14] = 1;
	k.peer[15] = 7;
	ifn_rule_from_flow(&r, &k, &v);
	ck_assert_str_eq(ifn_rule_format(&r, buf, sizeof(buf)), "tcp/8883 52.94.1.7");
	ck_assert_int_eq(r.origin, IFN_ORIGIN_LEARNED);
	ck_assert_uint_eq(r.added_ns, 42);
	ifn_rule_to_flow(&r, &back);
	ck_assert_mem_eq(&back, &k, sizeof(k));

	memset(&k, 0, sizeof(k));
	k.family = IFN_FAMILY_L2;
	k.port = 0x88cc;
	ifn_rule_from_flow(&r, &k, NULL);
	ck_assert_str_eq(ifn_rule_format(&r, buf, sizeof(buf)), "ether/0x88cc");
	ifn_rule_to_flow(&r, &back);
	ck_assert_mem_eq(&back, &k, sizeof(k));
}
END_TEST

/* Sorting groups a device's rules: exact before prefix before any-port. */
START_TEST(ordering)
{
	struct ifn_rule a, b;

	ck_assert(!ifn_rule_parse("udp any", &a, NULL, 0));
	ck_assert(!ifn_rule_parse("tcp/443 1.2.3.4", &b, NULL, 0));
	ck_assert_int_gt(ifn_rule_cmp(&a, &b), 0);
	ck_assert_int_lt(ifn_rule_cmp(&b, &a), 0);
	b.mac[0] = 1; /* another device sorts after, whatever its rules */
	ck_assert_int_lt(ifn_rule_cmp(&a, &b), 0);
	ck_assert(!ifn_rule_same(&a, &b));
}
END_TEST

/*
 * The exact flows' peer filter (ifn_device.exact_peers): a flow's bit is
 * there once added, keys of no IP peer always may be there, and the 256
 * addresses of an IPv4 /24 take 256 different bits (a device's cloud moves
 * within a block: a filter that put neighbours on one bit would say "may
 * be there" for all of them).
 */
START_TEST(exact_peer_filter)
{
	__u64 peers[IFN_EXACT_PEER_WORDS] = { 0 }, seen[IFN_EXACT_PEER_WORDS] = { 0 };
	struct ifn_flow_key k = { .family = IFN_FAMILY_IPV4, .proto = 6, .port = 443 };
	struct ifn_flow_key l2 = { .family = IFN_FAMILY_L2, .port = 0x88cc };
	unsigned int i, b, n = 0;

	k.peer[10] = k.peer[11] = 0xff;
	k.peer[12] = 52;
	k.peer[13] = 1;
	k.peer[14] = 2;
	for (i = 0; i < 256; i++) {
		k.peer[15] = (__u8)i;
		b = ifn_exact_peer_bit(k.peer);
		ck_assert_uint_lt(b, 256);
		if (!(seen[b / 64] & (1ULL << (b % 64))))
			n++;
		seen[b / 64] |= 1ULL << (b % 64);
	}
	ck_assert_uint_eq(n, 256);

	k.peer[15] = 3;
	ck_assert(!ifn_exact_peers_may(peers, &k));
	ifn_exact_peers_add(peers, &k);
	ck_assert(ifn_exact_peers_may(peers, &k));
	k.family = IFN_FAMILY_IPV6;
	ck_assert(ifn_exact_peers_may(peers, &k)); /* the peer's bit, whatever the family */
	k.peer[15] = 4;
	ck_assert(!ifn_exact_peers_may(peers, &k));
	/* No IP peer: never filtered, never set. */
	ck_assert(ifn_exact_peers_may(peers, &l2));
	memset(seen, 0, sizeof(seen));
	ifn_exact_peers_add(seen, &l2);
	for (i = 0; i < IFN_EXACT_PEER_WORDS; i++)
		ck_assert_uint_eq(seen[i], 0);
}
END_TEST

UNIT_SUITE(rules_suite)
static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("text");

	tcase_add_loop_test(tc, round_trip, 0, N(good));
	tcase_add_loop_test(tc, refused, 0, N(bad));
	tcase_add_test(tc, from_flow);
	tcase_add_test(tc, ordering);
	tcase_add_test(tc, name_hashes);
	tcase_add_test(tc, exact_peer_filter);
	suite_add_tcase(s, tc);
	return s;
}
