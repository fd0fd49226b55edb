// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generalisation planning (pure): which rules it makes from a device's
 * learned flows, which flows they cover, and what it leaves alone.
 */
#include <stdlib.h>
#include <string.h>

#include "generalise.h"
#include "parse.h"
#include "rules.h"
#include "unit.h"

#define MAXR 64

struct set {
	struct ifn_rule r[MAXR];
	size_t n;
};

static void add(struct set *s, const char *text, __u8 origin)
{
	char err[IFN_ERRLEN];

	ck_assert_uint_lt(s->n, MAXR);
	ck_assert_msg(!ifn_rule_parse(text, &s->r[s->n], err, sizeof(err)), "%s: %s", text, err);
	s->r[s->n].origin = origin;
	ifn_parse_mac("02:00:00:00:00:01", s->r[s->n].mac);
	s->n++;
}

/* The made rules as text, sorted, joined by ", ". */
static char *made_text(struct ifn_rule *made, int n)
{
	static char out[2048];
	char rb[IFN_RULE_STRLEN];
	int i;

	qsort(made, n, sizeof(*made), ifn_rule_cmp);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strcat(out, ", ");
		strcat(out, ifn_rule_format(&made[i], rb, sizeof(rb)));
		ck_assert_uint_eq(made[i].origin, IFN_ORIGIN_GENERALISED);
	}
	return out;
}

static int plan(const struct set *s, const struct ifn_gen_opts *o, struct ifn_rule **made,
		bool *covered)
{
	int n = ifn_gen_plan(s->r, s->n, o, made, covered);

	ck_assert_int_ge(n, 0);
	return n;
}

START_TEST(many_peers_one_port)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 3;
	o.prefix_v4 = 16;
	add(&s, "tcp/443 52.94.1.7", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 52.94.200.3", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 54.239.1.1", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/8883 3.4.5.6", IFN_ORIGIN_LEARNED); /* one peer: stays */
	add(&s, "udp/123 1.1.1.1", IFN_ORIGIN_LEARNED);
	add(&s, "udp/123 2.2.2.2", IFN_ORIGIN_LEARNED); /* two: below the threshold */
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(made_text(made, n), "tcp/443 52.94.0.0/16, tcp/443 54.239.0.0/16");
	ck_assert(cov[0] && cov[1] && cov[2]);
	ck_assert(!cov[3] && !cov[4] && !cov[5]);
	free(made);
}
END_TEST

START_TEST(whole_family)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 2;
	o.prefix_v4 = 0;
	o.prefix_v6 = 0;
	add(&s, "udp/123 1.1.1.1", IFN_ORIGIN_LEARNED);
	add(&s, "udp/123 2.2.2.2", IFN_ORIGIN_LEARNED);
	add(&s, "udp/123 2001:db8::1", IFN_ORIGIN_LEARNED);
	add(&s, "udp/123 2001:db8::2", IFN_ORIGIN_LEARNED);
	n = plan(&s, &o, &made, cov);
	/* IPv4 /0 is ::ffff:0:0/96 (all of IPv4); IPv6 /0 is any. */
	ck_assert_str_eq(made_text(made, n), "udp/123 any, udp/123 0.0.0.0/0");
	ck_assert(cov[0] && cov[1] && cov[2] && cov[3]);
	free(made);
}
END_TEST

/* Flows a name rule admits (named) are neither folded nor counted, and stay. */
START_TEST(named_flows_stay)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR], named[MAXR] = { false };
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	add(&s, "tcp/443 52.94.1.7", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 54.239.1.1", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 198.51.100.1", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 198.51.100.2", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/8883 3.4.5.6", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/8883 3.4.5.7", IFN_ORIGIN_LEARNED);
	named[0] = named[1] = true;
	/* One of two on 8883: below the threshold once the named one is out. */
	named[4] = true;
	n = ifn_gen_plan_named(s.r, s.n, named, &o, &made, cov, NULL);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(made_text(made, n), "tcp/443 198.51.0.0/16");
	ck_assert(!cov[0] && !cov[1] && cov[2] && cov[3] && !cov[4] && !cov[5]);
	free(made);
	/* Without names, as before: every peer folded. */
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 4);
	ck_assert(cov[0] && cov[1] && cov[2] && cov[3] && cov[4] && cov[5]);
	free(made);
}
END_TEST

START_TEST(many_ports_one_peer)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 0;
	o.ports_per_peer = 3;
	o.lan = false;
	o.p2p_per_peer = 0;
	add(&s, "udp/5000 192.168.1.20 server", IFN_ORIGIN_LEARNED);
	add(&s, "udp/5002 192.168.1.20 server", IFN_ORIGIN_LEARNED);
	add(&s, "udp/5004 192.168.1.20 server", IFN_ORIGIN_LEARNED);
	add(&s, "udp/5006 192.168.1.20", IFN_ORIGIN_LEARNED); /* client: another group */
	add(&s, "icmp/8 192.168.1.20", IFN_ORIGIN_LEARNED);
	add(&s, "icmp/13 192.168.1.20", IFN_ORIGIN_LEARNED);
	add(&s, "icmp/15 192.168.1.20", IFN_ORIGIN_LEARNED); /* ICMP types: never port-any */
	n = plan(&s, &o, &made, cov);
	ck_assert_str_eq(made_text(made, n), "udp 192.168.1.20 server");
	ck_assert(cov[0] && cov[1] && cov[2]);
	ck_assert(!cov[3] && !cov[4] && !cov[5] && !cov[6]);
	free(made);
}
END_TEST

/* What an operator or a policy wrote is neither generalised nor removed. */
START_TEST(only_learned)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 2;
	add(&s, "tcp/443 52.94.1.7", IFN_ORIGIN_MANUAL);
	add(&s, "tcp/443 52.94.1.8", IFN_ORIGIN_POLICY);
	add(&s, "tcp/443 52.94.1.9", IFN_ORIGIN_LEARNED);
	add(&s, "ether/0x88cc", IFN_ORIGIN_LEARNED);
	add(&s, "ether/0x88cd", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 10.0.0.0/8", IFN_ORIGIN_LEARNED); /* not exact: not a candidate */
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 0);
	for (n = 0; n < (int)s.n; n++)
		ck_assert(!cov[n]);
	free(made);
}
END_TEST

/* A rule made earlier is not made again, but flows learned since are covered by it. */
START_TEST(existing_rule)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 2;
	o.prefix_v4 = 16;
	add(&s, "tcp/443 52.94.0.0/16", IFN_ORIGIN_GENERALISED);
	add(&s, "tcp/443 52.94.3.3", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 52.94.4.4", IFN_ORIGIN_LEARNED);
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 0);
	ck_assert(!cov[0] && cov[1] && cov[2]);
	free(made);
}
END_TEST

START_TEST(no_widening)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 2;
	o.prefix_v4 = 32; /* nothing wider than one host */
	o.ports_per_peer = 0;
	add(&s, "tcp/443 52.94.1.7", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 52.94.1.8", IFN_ORIGIN_LEARNED);
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 0);
	ck_assert(!cov[0] && !cov[1]);
	free(made);
}
END_TEST

START_TEST(ipv6_prefix)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 2;
	o.prefix_v6 = 32;
	add(&s, "tcp/443 2001:db8:1::1", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 2001:db8:ffff::2", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 1.2.3.4", IFN_ORIGIN_LEARNED); /* another family: its own group */
	n = plan(&s, &o, &made, cov);
	ck_assert_str_eq(made_text(made, n), "tcp/443 2001:db8::/32");
	ck_assert(cov[0] && cov[1] && !cov[2]);
	free(made);
}
END_TEST

START_TEST(settings)
{
	struct ifn_gen_opts o;
	char err[IFN_ERRLEN], buf[32];
	int i;

	ifn_gen_defaults(&o);
	ck_assert_int_eq(ifn_gen_opt_apply(&o, "generalise-peers", "5", err, sizeof(err)), 0);
	ck_assert_uint_eq(o.peers_per_port, 5);
	ck_assert_int_eq(ifn_gen_opt_apply(&o, "generalise-peers", "0", err, sizeof(err)), 0);
	ck_assert_int_lt(ifn_gen_opt_apply(&o, "generalise-peers", "1", err, sizeof(err)), 0);
	ck_assert_int_lt(ifn_gen_opt_apply(&o, "generalise-prefix-v4", "33", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "0 to 32"));
	ck_assert_int_eq(ifn_gen_opt_apply(&o, "generalise-prefix-v6", "128", err, sizeof(err)), 0);
	ck_assert_int_lt(ifn_gen_opt_apply(&o, "generalise-colour", "1", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "unknown setting"));
	for (i = 0; ifn_gen_opt_names[i]; i++)
		ck_assert_int_eq(ifn_gen_opt_format(&o, ifn_gen_opt_names[i], buf, sizeof(buf)), 0);
	ck_assert_int_eq(i, 7);
	ck_assert(o.siblings);
	ck_assert_int_eq(ifn_gen_opt_apply(&o, "generalise-siblings", "off", err, sizeof(err)), 0);
	ck_assert(!o.siblings && o.lan);
	ck_assert_int_eq(ifn_gen_opt_format(&o, "generalise-siblings", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "off");
	ck_assert_int_lt(ifn_gen_opt_apply(&o, "generalise-siblings", "2", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "not on or off"));
	ck_assert(!o.siblings);
	ck_assert_int_eq(ifn_gen_opt_apply(&o, "generalise-lan", "off", err, sizeof(err)), 0);
	ck_assert(!o.lan);
	ck_assert_int_lt(ifn_gen_opt_apply(&o, "generalise-lan", "maybe", err, sizeof(err)), 0);
	ck_assert_int_eq(ifn_gen_opt_apply(&o, "generalise-p2p", "0", err, sizeof(err)), 0);
	ck_assert_int_lt(ifn_gen_opt_apply(&o, "generalise-p2p", "1", err, sizeof(err)), 0);
}
END_TEST

/* A service given to a LAN peer: to every LAN peer; a public peer's stays. */
START_TEST(lan_services)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	add(&s, "tcp/9999 192.168.1.20 server", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/9999 192.168.1.21 server", IFN_ORIGIN_LEARNED);
	add(&s, "udp/5353 fe80::1 server", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/9999 52.1.2.3 server", IFN_ORIGIN_LEARNED); /* public */
	add(&s, "tcp/8080 192.168.1.20", IFN_ORIGIN_LEARNED); /* client */
	add(&s, "tcp/80 192.168.1.30 server", IFN_ORIGIN_POLICY); /* written: stays */
	o.peers_per_port = 0;
	o.ports_per_peer = 0;
	n = plan(&s, &o, &made, cov);
	ck_assert_str_eq(made_text(made, n),
			 "tcp/9999 local-networks server, udp/5353 local-networks server");
	ck_assert(cov[0] && cov[1] && cov[2]);
	ck_assert(!cov[3] && !cov[4] && !cov[5]);
	free(made);
	o.lan = false;
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 0);
	free(made);
}
END_TEST

/* Peer-to-peer: random high UDP ports on one peer become one range. */
START_TEST(p2p_sessions)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 0;
	add(&s, "udp/23456 52.1.2.3", IFN_ORIGIN_LEARNED);
	add(&s, "udp/34567 52.1.2.3", IFN_ORIGIN_LEARNED);
	add(&s, "udp/40000 52.1.2.4", IFN_ORIGIN_LEARNED); /* one session: stays */
	add(&s, "udp/53 52.1.2.5", IFN_ORIGIN_LEARNED);
	add(&s, "udp/5353 52.1.2.5", IFN_ORIGIN_LEARNED); /* a known service: no range */
	add(&s, "udp/20000 52.1.2.5", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/20000 52.1.2.3", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/20001 52.1.2.3", IFN_ORIGIN_LEARNED); /* TCP: no range */
	n = plan(&s, &o, &made, cov);
	ck_assert_str_eq(made_text(made, n), "udp/1024-65535 52.1.2.3");
	ck_assert(cov[0] && cov[1]);
	ck_assert(!cov[2] && !cov[3] && !cov[4] && !cov[5] && !cov[6] && !cov[7]);
	free(made);
	/* With the port-any threshold met and a low port among them: every port. */
	add(&s, "udp/123 52.1.2.3", IFN_ORIGIN_LEARNED);
	add(&s, "udp/45678 52.1.2.3", IFN_ORIGIN_LEARNED);
	n = plan(&s, &o, &made, cov);
	ck_assert_str_eq(made_text(made, n), "udp 52.1.2.3");
	free(made);
	o.p2p_per_peer = 0;
	s.n -= 2;
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 0);
	free(made);
}
END_TEST

/* The names of a set's rules that @cov marks, joined by ", ". */
static char *covered_text(const struct set *s, const bool *cov)
{
	static char out[2048];
	char rb[IFN_RULE_STRLEN];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < s->n; i++) {
		if (!cov[i])
			continue;
		if (out[0])
			strcat(out, ", ");
		strcat(out, ifn_rule_format(&s->r[i], rb, sizeof(rb)));
	}
	return out;
}

/*
 * Sibling names: a numbered learned name, or learned names that differ in
 * their leftmost label only, become *.parent on their own protocol, port
 * and direction; the exact names go, the addresses they admitted stay.
 */
START_TEST(sibling_names)
{
	enum ifn_widen w[MAXR];
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	add(&s, "tcp/443 name r0801.dch.dlink.com", IFN_ORIGIN_LEARNED); /* 0: numbered */
	add(&s, "tcp/443 52.28.1.1", IFN_ORIGIN_LEARNED); /* 1: its address: not a name */
	add(&s, "tcp/80 name api.dch.dlink.com", IFN_ORIGIN_LEARNED); /* 2: alone on tcp/80 */
	add(&s, "tcp/8883 name eu.mqtt.example.com", IFN_ORIGIN_LEARNED); /* 3, 4: siblings */
	add(&s, "tcp/8883 name us.mqtt.example.com", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/8884 name ap.mqtt.example.com", IFN_ORIGIN_LEARNED); /* 5: another port */
	add(&s, "tcp/8883 name a3k7.iot.eu-west-1.amazonaws.com", IFN_ORIGIN_LEARNED); /* 6 */
	add(&s, "udp/123 name ntp1.dlink.com", IFN_ORIGIN_LEARNED); /* 7: short parent */
	add(&s, "tcp/443 name r0801.vendor.example.net", IFN_ORIGIN_MANUAL); /* 8: not learned */
	add(&s, "tcp/443 name x1.dch.dlink.com server", IFN_ORIGIN_LEARNED); /* 9: server side */
	n = ifn_gen_plan_named(s.r, s.n, NULL, &o, &made, cov, w);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(made_text(made, n), "tcp/443 name *.dch.dlink.com, "
					     "tcp/443 name *.dch.dlink.com server, "
					     "tcp/8883 name *.mqtt.example.com");
	ck_assert_str_eq(covered_text(&s, cov), "tcp/443 name r0801.dch.dlink.com, "
						"tcp/8883 name eu.mqtt.example.com, "
						"tcp/8883 name us.mqtt.example.com, "
						"tcp/443 name x1.dch.dlink.com server");
	ck_assert_int_eq(w[0], IFN_WIDEN_NUMBERED);
	ck_assert_int_eq(w[1], IFN_WIDEN_NONE);
	ck_assert_int_eq(w[2], IFN_WIDEN_NONE);
	ck_assert_int_eq(w[3], IFN_WIDEN_SIBLINGS);
	ck_assert_int_eq(w[4], IFN_WIDEN_SIBLINGS);
	ck_assert_int_eq(w[5], IFN_WIDEN_NONE);
	ck_assert_int_eq(w[6], IFN_WIDEN_SHARED);
	ck_assert_int_eq(w[7], IFN_WIDEN_SHORT);
	ck_assert_int_eq(w[8], IFN_WIDEN_NONE);
	ck_assert_int_eq(w[9], IFN_WIDEN_NUMBERED);
	free(made);

	/* A wildcard there already (an operator's): not made again, the name still goes. */
	add(&s, "tcp/443 name *.dch.dlink.com", IFN_ORIGIN_MANUAL);
	n = ifn_gen_plan_named(s.r, s.n, NULL, &o, &made, cov, w);
	ck_assert_int_eq(n, 2);
	ck_assert(cov[0]);
	free(made);

	/* generalise-siblings off: no name is touched. */
	o.siblings = false;
	n = ifn_gen_plan_named(s.r, s.n, NULL, &o, &made, cov, w);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(covered_text(&s, cov), "");
	ck_assert_int_eq(w[0], IFN_WIDEN_NONE);
	free(made);
}
END_TEST

/*
 * A name rule covers names only: an exact flow on its port stays, however
 * the name rule's peer bytes read as a prefix.
 */
START_TEST(name_rules_cover_no_address)
{
	struct ifn_gen_opts o;
	struct ifn_rule *made;
	bool cov[MAXR];
	struct set s = {};
	int n;

	ifn_gen_defaults(&o);
	o.peers_per_port = 0;
	add(&s, "tcp/443 name r1.relay.example.com", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 203.0.113.9", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 2001:db8::9", IFN_ORIGIN_LEARNED);
	add(&s, "tcp/443 name relay.example.com", IFN_ORIGIN_LEARNED);
	n = plan(&s, &o, &made, cov);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(made_text(made, n), "tcp/443 name *.relay.example.com");
	/* *.relay.example.com holds no address, nor relay.example.com itself. */
	ck_assert_str_eq(covered_text(&s, cov), "tcp/443 name r1.relay.example.com");
	free(made);
}
END_TEST

UNIT_SUITE(generalise_suite)
static Suite *generalise_suite(void)
{
	Suite *s = suite_create("generalise");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, lan_services);
	tcase_add_test(tc, p2p_sessions);

	tcase_add_test(tc, many_peers_one_port);
	tcase_add_test(tc, whole_family);
	tcase_add_test(tc, named_flows_stay);
	tcase_add_test(tc, many_ports_one_peer);
	tcase_add_test(tc, only_learned);
	tcase_add_test(tc, existing_rule);
	tcase_add_test(tc, no_widening);
	tcase_add_test(tc, ipv6_prefix);
	tcase_add_test(tc, settings);
	tcase_add_test(tc, sibling_names);
	tcase_add_test(tc, name_rules_cover_no_address);
	suite_add_tcase(s, tc);
	return s;
}
