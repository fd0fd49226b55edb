// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Learning named flows (iotfence.8, NAMES): a device that learns a flow to
 * an address it got from a live DNS answer learns the flow's name(s) too,
 * besides the exact flow; in enforce the name then admits the addresses
 * later answers give, on that protocol and port only. The answers go
 * through the real egress program, the frames through the real XDP one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "devnames.h"
#include "dnsans.h"
#include "dnsname.h"
#include "dp.h"
#include "generalise.h"
#include "rules.h"

#define KEY 0x5eed5eed12345678ULL
#define SEC_NS 1000000000ULL

static void setup(struct th *t, __u32 cap)
{
	struct ifn_config c;

	th_setup(t, NULL);
	c = th_config(t);
	c.dns_key = KEY;
	if (cap)
		c.fingerprint_cap = cap;
	th_set_config(t, &c);
	th_add_device(t, DEV, L);
}

/* The device's SYN to @ip:@port. */
#define SYN_TO(ip, port) FRAME(TCP4(40000, port, SYN), .dst_ip = ip)

/* The origin of the device's rule written @rule, or -1 if it has none. */
static int rule_origin(struct th *t, const char *rule)
{
	struct ifn_rule want, *rules;
	char err[160];
	size_t cnt, i;
	int origin = -1;

	ck_assert_msg(!ifn_rule_parse(rule, &want, err, sizeof(err)), "%s: %s", rule, err);
	frame_mac(DEV, want.mac);
	ck_assert_int_eq(ifn_rules_read(&t->m, want.mac, &rules, &cnt), 0);
	for (i = 0; i < cnt; i++)
		if (ifn_rule_same(&rules[i], &want))
			origin = rules[i].origin;
	free(rules);
	return origin;
}

static struct ifn_device dev(struct th *t)
{
	struct ifn_device d;

	ck_assert(th_device(t, DEV, &d, NULL));
	return d;
}

START_TEST(learned_after_an_answer)
{
	struct th t;
	struct ifn_device d;

	setup(&t, 0);
	th_dns_answer(&t, DEV, "a3k7.iot.example.com", 60, "52.1.2.3");
	th_step(&t, SYN_TO("52.1.2.3", 8883), EXPECT(PASS, .flows = 1), "learns the flow");
	/* The exact flow and the named one, both learned. */
	ck_assert_int_eq(rule_origin(&t, "tcp/8883 52.1.2.3"), IFN_ORIGIN_LEARNED);
	ck_assert_int_eq(rule_origin(&t, "tcp/8883 name a3k7.iot.example.com"), IFN_ORIGIN_LEARNED);
	d = dev(&t);
	ck_assert_uint_eq(d.flow_count, 1);
	ck_assert_uint_eq(d.name_rules, 1);
	ck_assert(d.flags & IFN_DEV_F_NAME_RULES);
	/* Still learning: the name's next address passes by the name, learns nothing. */
	th_dns_answer(&t, DEV, "a3k7.iot.example.com", 60, "52.1.2.4");
	th_step(&t, SYN_TO("52.1.2.4", 8883), EXPECT(PASS), "the name admits, nothing learned");
	ck_assert_uint_eq(dev(&t).name_rules, 1);

	th_set_mode(&t, DEV, E);
	/* The cloud moves: its new address passes as soon as the answer is out. */
	th_dns_answer(&t, DEV, "a3k7.iot.example.com", 60, "52.9.9.9");
	th_step(&t, SYN_TO("52.9.9.9", 8883), EXPECT(PASS), "a new address of the name");
	/* Learned for tcp/8883: not for tcp/22, nor tcp/443, on that address. */
	th_step(&t, SYN_TO("52.9.9.9", 22), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "another port");
	th_step(&t, SYN_TO("52.9.9.9", 443), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"another port");
	/* An address the device never resolved. */
	th_step(&t, SYN_TO("52.8.8.8", 8883), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "unresolved");
	/* Two hours idle: the answers lapsed; the exact address learned first stays. */
	*t.now += 7200 * SEC_NS;
	th_step(&t, SYN_TO("52.9.9.9", 8883), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "lapsed");
	th_step(&t, SYN_TO("52.1.2.3", 8883), EXPECT(PASS), "the exact flow stays");
	th_teardown(&t);
}
END_TEST

START_TEST(no_answer_no_name)
{
	struct th t;

	setup(&t, 0);
	th_step(&t, SYN_TO("52.1.2.3", 443), EXPECT(PASS, .flows = 1), "unresolved: exact only");
	/* An answer after the fact names nothing already learned. */
	th_dns_answer(&t, DEV, "a.example.com", 60, "52.1.2.3");
	th_step(&t, SYN_TO("52.1.2.3", 443), EXPECT(PASS), "already learned");
	/* An answer that lapsed (TTL 60 s, floor 1 h) names nothing either. */
	th_dns_answer(&t, DEV, "b.example.com", 60, "52.5.5.5");
	*t.now += 3601 * SEC_NS;
	th_step(&t, SYN_TO("52.5.5.5", 443), EXPECT(PASS, .flows = 1), "lapsed: exact only");
	ck_assert_uint_eq(dev(&t).name_rules, 0);
	ck_assert(!(dev(&t).flags & IFN_DEV_F_NAME_RULES));
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name a.example.com"), -1);
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name b.example.com"), -1);

	th_set_mode(&t, DEV, E);
	th_dns_answer(&t, DEV, "a.example.com", 60, "52.1.2.9");
	th_dns_answer(&t, DEV, "b.example.com", 60, "52.5.5.9");
	th_step(&t, SYN_TO("52.1.2.9", 443), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "no name a");
	th_step(&t, SYN_TO("52.5.5.9", 443), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "no name b");
	th_teardown(&t);
}
END_TEST

/* A CDN address of several names: every live one is learned, a lapsed one not. */
START_TEST(shared_address_every_live_name)
{
	struct th t;

	setup(&t, 0);
	th_dns_answer(&t, DEV, "old.vendor.com", 60, "203.0.113.50");
	*t.now += 3601 * SEC_NS;
	th_dns_answer(&t, DEV, "updates.vendor.com", 300, "203.0.113.50");
	th_dns_answer(&t, DEV, "cdn.vendor.net", 300, "203.0.113.50");
	th_step(&t, SYN_TO("203.0.113.50", 443), EXPECT(PASS, .flows = 1), "learns");
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name updates.vendor.com"), IFN_ORIGIN_LEARNED);
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name cdn.vendor.net"), IFN_ORIGIN_LEARNED);
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name old.vendor.com"), -1);
	ck_assert_uint_eq(dev(&t).name_rules, 2);

	th_set_mode(&t, DEV, E);
	th_dns_answer(&t, DEV, "updates.vendor.com", 300, "203.0.113.60");
	th_dns_answer(&t, DEV, "cdn.vendor.net", 300, "203.0.113.70");
	th_dns_answer(&t, DEV, "old.vendor.com", 300, "203.0.113.80");
	th_step(&t, SYN_TO("203.0.113.60", 443), EXPECT(PASS), "one name");
	th_step(&t, SYN_TO("203.0.113.70", 443), EXPECT(PASS), "the other");
	th_step(&t, SYN_TO("203.0.113.80", 443), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"the lapsed one");
	th_teardown(&t);
}
END_TEST

/*
 * fingerprint-cap counts named flows as it counts exact ones: a cap of 3
 * holds the flow and its two names, and the next new flow meets the cap;
 * with a cap of 2 only one name finds room.
 */
START_TEST(cap_counts_names)
{
	struct th t;
	struct ifn_device d;
	unsigned int i, ev = 0;

	setup(&t, 3);
	th_dns_answer(&t, DEV, "a.example.com", 300, "198.51.100.1");
	th_dns_answer(&t, DEV, "b.example.com", 300, "198.51.100.1");
	th_step(&t, SYN_TO("198.51.100.1", 443), EXPECT(PASS, .flows = 1), "three entries");
	d = dev(&t);
	ck_assert_uint_eq(d.flow_count + d.name_rules, 3);
	th_step(&t, SYN_TO("198.51.100.2", 80),
		EXPECT(DROP(NOT_IN_FINGERPRINT), .events = EV(VIOLATION) | EV(FINGERPRINT_CAP)),
		"the cap");
	d = dev(&t);
	ck_assert_uint_eq(d.mode, E);
	ck_assert(d.flags & IFN_DEV_F_LEARN_CAPPED);
	for (i = 0; i < t.nev; i++)
		if (t.ev[i].type == IFN_EV_FINGERPRINT_CAP) {
			ck_assert_uint_eq(t.ev[i].value, 3);
			ev++;
		}
	ck_assert_uint_eq(ev, 1);
	th_teardown(&t);

	setup(&t, 2);
	th_dns_answer(&t, DEV, "a.example.com", 300, "198.51.100.1");
	th_dns_answer(&t, DEV, "b.example.com", 300, "198.51.100.1");
	th_step(&t, SYN_TO("198.51.100.1", 443), EXPECT(PASS, .flows = 1), "room for one name");
	d = dev(&t);
	ck_assert_uint_eq(d.flow_count, 1);
	ck_assert_uint_eq(d.name_rules, 1);
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name a.example.com") +
				 rule_origin(&t, "tcp/443 name b.example.com"),
			 IFN_ORIGIN_LEARNED - 1);
	th_step(&t, SYN_TO("198.51.100.2", 80),
		EXPECT(DROP(NOT_IN_FINGERPRINT), .events = EV(VIOLATION) | EV(FINGERPRINT_CAP)),
		"the cap");
	th_teardown(&t);
}
END_TEST

/* The memo ifn_dns holds for (device, @ip): its flow and slot, 0 for none. */
static __u64 memo_of(struct th *t, const char *ip)
{
	struct ifn_dns_key k = {};
	struct ifn_dns_val v;

	frame_mac(DEV, k.mac);
	k.addr[10] = k.addr[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, ip, k.addr + 12), 1);
	ck_assert_int_eq(bpf_map_lookup_elem(t->m.dns, &k, &v), 0);
	return v.admitted;
}

/*
 * A name's memo of the flow it admitted lets the flow's next connection
 * skip the name rules, and only that: another port, a rule taken away, an
 * answer that lapsed are each decided afresh, never by the memo. New
 * source ports, so that the per-CPU decision cache does not answer first.
 */
START_TEST(name_memo_follows_the_fingerprint)
{
	struct ifn_rule r;
	char err[160];
	struct th t;

	setup(&t, 0);
	th_set_mode(&t, DEV, E);
	/* Another name rule, so that the device keeps name rules throughout. */
	th_allow(&t, DEV, "tcp/443 name b.example.com");
	th_allow(&t, DEV, "tcp/443 name a.example.com");
	th_dns_answer(&t, DEV, "a.example.com", 60, "52.1.2.3");
	ck_assert_uint_eq(memo_of(&t, "52.1.2.3"), 0);
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS), "by name");
	ck_assert_uint_ne(memo_of(&t, "52.1.2.3"), 0);
	th_step(&t, FRAME(TCP4(40001, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS),
		"by the memo");
	th_step(&t, FRAME(TCP4(40002, 8443, SYN), .dst_ip = "52.1.2.3"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "another port is not the memo's flow");

	/* The rule goes: its memo does not admit the next connection. */
	ck_assert_msg(!ifn_rule_parse("tcp/443 name a.example.com", &r, err, sizeof(err)), "%s",
		      err);
	frame_mac(DEV, r.mac);
	ck_assert_int_eq(ifn_rule_remove(&t.m, &r), 0);
	ck_assert_uint_ne(memo_of(&t, "52.1.2.3"), 0);
	th_step(&t, FRAME(TCP4(40003, 443, SYN), .dst_ip = "52.1.2.3"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "rule removed");

	/* Back again; then two idle hours: the answer lapsed, the memo with it. */
	th_allow(&t, DEV, "tcp/443 name a.example.com");
	th_step(&t, FRAME(TCP4(40004, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS),
		"the rule is back");
	th_step(&t, FRAME(TCP4(40005, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS),
		"by the memo again");
	*t.now += 7200 * SEC_NS;
	ck_assert_uint_ne(memo_of(&t, "52.1.2.3"), 0);
	th_step(&t, FRAME(TCP4(40006, 443, SYN), .dst_ip = "52.1.2.3"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "lapsed");
	th_teardown(&t);
}
END_TEST

/*
 * The memo is what admits a flow's next connection, and it serves a second
 * at most: a name rule taken out of the map behind the agent's back (as an
 * agent killed between the delete and the fp_gen move would leave it)
 * still admits by the memo, and no longer once the second is over. And a
 * slot given to another name takes the memo with it.
 */
START_TEST(name_memo_serves_a_second_and_its_slot)
{
	struct ifn_name_rule_key rk = { .proto = 6, .dir = IFN_DIR_CLIENT, .port = 443 };
	static const char *const others[] = { "b.example.com", "c.example.com", "d.example.com",
					      "e.example.com" };
	struct th t;
	unsigned int i;

	setup(&t, 0);
	th_set_mode(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 name b.example.com");
	th_allow(&t, DEV, "tcp/443 name a.example.com");
	th_dns_answer(&t, DEV, "a.example.com", 60, "52.1.2.3");
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS), "by name");

	frame_mac(DEV, rk.mac);
	rk.name = ifn_dns_rule_hash(KEY, "a.example.com");
	ck_assert_int_eq(bpf_map_delete_elem(t.m.name_rules, &rk), 0);
	th_step(&t, FRAME(TCP4(40001, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS),
		"the memo admits, the rule is gone and fp_gen did not move");
	*t.now += 2 * SEC_NS;
	th_step(&t, FRAME(TCP4(40002, 443, SYN), .dst_ip = "52.1.2.3"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "a second later the rules are asked again");

	/* The rule back; its memo; then four more names for the address. */
	th_allow(&t, DEV, "tcp/443 name a.example.com");
	th_step(&t, FRAME(TCP4(40003, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS), "back");
	ck_assert_uint_ne(memo_of(&t, "52.1.2.3"), 0);
	for (i = 0; i < 3; i++)
		th_dns_answer(&t, DEV, others[i], 7200, "52.1.2.3");
	ck_assert_uint_ne(memo_of(&t, "52.1.2.3"), 0); /* free slots: the memo's own stays */
	th_dns_answer(&t, DEV, others[3], 7200, "52.1.2.3");
	ck_assert_uint_eq(memo_of(&t, "52.1.2.3"), 0); /* a.example.com's slot went to e */
	th_teardown(&t);
}
END_TEST

/*
 * A device forgotten and seen again has the same MAC, so the same DNS
 * entries (they stay until the LRU takes them), and counts fp_gen from 0
 * again: at the old one's fp_gen, its memo must not admit for the new one.
 */
START_TEST(name_memo_not_for_a_new_device)
{
	char rule[64];
	__u8 mac[6];
	__u32 gen, i;
	struct th t;

	setup(&t, 0);
	th_set_mode(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 name a.example.com");
	th_dns_answer(&t, DEV, "a.example.com", 60, "52.1.2.3");
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .dst_ip = "52.1.2.3"), EXPECT(PASS), "by name");
	gen = dev(&t).fp_gen;
	ck_assert_uint_ne(memo_of(&t, "52.1.2.3"), 0);

	frame_mac(DEV, mac);
	ck_assert_int_eq(ifn_device_forget(&t.m, mac), 0);
	*t.now += SEC_NS;
	th_add_device(&t, DEV, E);
	/* Other names, until the new device is at the old one's fp_gen. */
	for (i = 0; dev(&t).fp_gen < gen; i++) {
		snprintf(rule, sizeof(rule), "tcp/443 name n%u.example.com", i);
		th_allow(&t, DEV, rule);
	}
	ck_assert_uint_eq(dev(&t).fp_gen, gen);
	ck_assert_uint_ne(memo_of(&t, "52.1.2.3"), 0);
	th_step(&t, FRAME(TCP4(40001, 443, SYN), .dst_ip = "52.1.2.3"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "not the old device's memo");
	th_teardown(&t);
}
END_TEST

/* IPv6, UDP, the server side: the name follows the flow's own key. */
START_TEST(ipv6_udp_and_server_keys)
{
	struct th t;

	setup(&t, 0);
	th_dns_answer(&t, DEV, "ntp.example.org", 60, "2001:db8:1::7b");
	th_step(&t, FRAME(UDP6(40000, 123), .dst_ip = "2001:db8:1::7b"), EXPECT(PASS, .flows = 1),
		"udp/123 to a resolved IPv6 address");
	ck_assert_int_eq(rule_origin(&t, "udp/123 name ntp.example.org"), IFN_ORIGIN_LEARNED);
	/* The device answers a resolved peer from its own port 8443: a server flow. */
	th_dns_answer(&t, DEV, "app.example.org", 60, "52.1.2.3");
	th_step(&t, FRAME(TCP4(8443, 50000, SYNACK)), EXPECT(PASS, .flows = 1), "server side");
	ck_assert_int_eq(rule_origin(&t, "tcp/8443 name app.example.org server"),
			 IFN_ORIGIN_LEARNED);
	ck_assert_int_eq(rule_origin(&t, "tcp/50000 name app.example.org"), -1);
	th_set_mode(&t, DEV, E);
	th_dns_answer(&t, DEV, "ntp.example.org", 60, "2001:db8:1::7c");
	th_step(&t, FRAME(UDP6(40001, 123), .dst_ip = "2001:db8:1::7c"), EXPECT(PASS),
		"the name's next IPv6 address");
	th_teardown(&t);
}
END_TEST

/*
 * The generaliser prefers names: learned flows whose peers a name rule
 * admits now stay as they are, the others are folded into prefixes; once
 * the answers lapsed, they are folded like any other.
 */
START_TEST(generalise_prefers_names)
{
	struct ifn_gen_opts o;
	struct th t;
	__u8 mac[6];

	setup(&t, 0);
	frame_mac(DEV, mac);
	th_dns_answer(&t, DEV, "eu.cloud.example.com", 300, "52.1.2.3");
	th_dns_answer(&t, DEV, "us.cloud.example.com", 300, "52.7.0.1");
	th_step(&t, SYN_TO("52.1.2.3", 443), EXPECT(PASS, .flows = 1), "named");
	th_step(&t, SYN_TO("52.7.0.1", 443), EXPECT(PASS, .flows = 1), "named");
	th_step(&t, SYN_TO("198.51.100.1", 443), EXPECT(PASS, .flows = 1), "unnamed");
	th_step(&t, SYN_TO("198.51.100.2", 443), EXPECT(PASS, .flows = 1), "unnamed");
	ifn_gen_defaults(&o);
	o.now = *t.now;
	/* The two names are siblings: sibling_names_widened has that. */
	o.siblings = false;
	ck_assert_int_eq(ifn_generalise_preview(&t.m, mac, &o, NULL), 1);
	ck_assert_int_eq(ifn_generalise(&t.m, mac, &o, NULL), 1);
	ck_assert(th_has_flow(&t, DEV, "tcp/443 198.51.0.0/16"));
	ck_assert(!th_has_flow(&t, DEV, "tcp/443 198.51.100.1"));
	ck_assert(th_has_flow(&t, DEV, "tcp/443 52.1.2.3"));
	ck_assert(th_has_flow(&t, DEV, "tcp/443 52.7.0.1"));
	ck_assert(!th_has_flow(&t, DEV, "tcp/443 52.1.0.0/16"));
	ck_assert(!th_has_flow(&t, DEV, "tcp/443 52.7.0.0/16"));
	/* Two hours later the answers have lapsed: nothing names those peers now. */
	o.now = *t.now + 7200 * SEC_NS;
	ck_assert_int_eq(ifn_generalise(&t.m, mac, &o, NULL), 2);
	ck_assert(th_has_flow(&t, DEV, "tcp/443 52.1.0.0/16"));
	ck_assert(th_has_flow(&t, DEV, "tcp/443 52.7.0.0/16"));
	th_teardown(&t);
}
END_TEST

/*
 * Sibling names, end to end: a relay learned as r0801.relay.example.com is
 * widened to *.relay.example.com, so its next numbered relay passes in
 * enforce; a shared cloud zone's endpoint stays one name, and what the
 * device never resolved is still dropped.
 */
START_TEST(sibling_names_widened)
{
	struct ifn_gen_opts o;
	char *rep = NULL;
	size_t len;
	struct th t;
	__u8 mac[6];
	FILE *f;

	setup(&t, 0);
	frame_mac(DEV, mac);
	th_dns_answer(&t, DEV, "r0801.relay.example.com", 300, "52.1.2.3");
	th_dns_answer(&t, DEV, "a3k7.iot.eu-west-1.amazonaws.com", 300, "3.5.6.7");
	th_step(&t, SYN_TO("52.1.2.3", 443), EXPECT(PASS, .flows = 1), "relay");
	th_step(&t, SYN_TO("3.5.6.7", 8883), EXPECT(PASS, .flows = 1), "aws iot");
	ifn_gen_defaults(&o);
	o.now = *t.now;
	f = open_memstream(&rep, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ifn_generalise(&t.m, mac, &o, f), 1);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(rep, "widened: learned tcp/443 name r0801.relay.example.com"));
	ck_assert_ptr_nonnull(strstr(rep, "after:  learned tcp/443 name *.relay.example.com"));
	ck_assert_ptr_nonnull(strstr(rep, "kept:   learned tcp/8883 name "
					  "a3k7.iot.eu-west-1.amazonaws.com (not widened: the "
					  "parent is in a shared cloud zone, amazonaws.com)"));
	free(rep);
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name *.relay.example.com"),
			 IFN_ORIGIN_GENERALISED);
	ck_assert_int_eq(rule_origin(&t, "tcp/443 name r0801.relay.example.com"), -1);
	ck_assert_int_eq(rule_origin(&t, "tcp/8883 name a3k7.iot.eu-west-1.amazonaws.com"),
			 IFN_ORIGIN_LEARNED);
	/* The exact flow stays: the answer that named it may lapse. */
	ck_assert(th_has_flow(&t, DEV, "tcp/443 52.1.2.3"));
	th_set_mode(&t, DEV, E);
	th_dns_answer(&t, DEV, "r0802.relay.example.com", 300, "52.1.7.7");
	th_step(&t, SYN_TO("52.1.7.7", 443), EXPECT(PASS), "the next numbered relay");
	th_dns_answer(&t, DEV, "b9z2.iot.eu-west-1.amazonaws.com", 300, "3.5.9.9");
	th_step(&t, SYN_TO("3.5.9.9", 8883), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"another customer's AWS IoT endpoint");
	th_dns_answer(&t, DEV, "relay.example.com", 300, "52.1.8.8");
	th_step(&t, SYN_TO("52.1.8.8", 443), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"the parent itself is no sibling");
	th_step(&t, SYN_TO("52.1.9.9", 443), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"never resolved");
	th_teardown(&t);
}
END_TEST

/* `device` and `devices --json`: the device's name rules and what it resolved. */
static char *names_out(struct th *t, __u64 now, const char *mac_s, bool json)
{
	static char *buf;
	struct ifn_devnames dn;
	struct ifn_json j;
	size_t len;
	__u8 mac[6];
	FILE *f;

	free(buf);
	buf = NULL;
	frame_mac(mac_s, mac);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ifn_devnames_load(&t->m, now, &dn), 0);
	if (json) {
		ifn_json_init(&j, f);
		ifn_json_obj_open(&j, NULL);
		ifn_devnames_json(&j, &dn, mac);
		ifn_json_obj_close(&j);
	} else {
		ifn_devnames_text(f, &dn, mac);
	}
	ifn_devnames_free(&dn);
	fclose(f);
	return buf;
}

START_TEST(names_where_a_user_looks)
{
	struct th t;
	struct ifn_dns_name nm;
	unsigned int i, seen = 0;

	setup(&t, 0);
	th_add_device(&t, DEV2, E);
	th_dns_answer(&t, DEV, "a.example.com", 300, "52.1.2.3");
	th_dns_answer(&t, DEV, "a.example.com", 300, "52.1.2.4");
	th_dns_answer(&t, DEV, "cdn.example.net", 300, "52.1.2.3");
	th_step(&t, SYN_TO("52.1.2.3", 443), EXPECT(PASS, .flows = 1), "learns two names");
	ck_assert_str_eq(names_out(&t, *t.now, DEV, true),
			 "{\"names\":{\"rules\":[\"tcp/443 name a.example.com\","
			 "\"tcp/443 name cdn.example.net\"],\"resolved\":[{\"name\":"
			 "\"a.example.com\",\"addresses\":[\"52.1.2.3\",\"52.1.2.4\"],"
			 "\"live\":true},{\"name\":\"cdn.example.net\",\"addresses\":"
			 "[\"52.1.2.3\"],\"live\":true}]}}\n");
	ck_assert_str_eq(names_out(&t, *t.now, DEV, false),
			 "resolved   a.example.com  52.1.2.3, 52.1.2.4 (live)\n"
			 "resolved   cdn.example.net  52.1.2.3 (live)\n");
	/* Two idle hours later: the answers lapsed. */
	ck_assert_ptr_nonnull(strstr(names_out(&t, *t.now + 7200 * SEC_NS, DEV, false),
				     "resolved   cdn.example.net  52.1.2.3 (lapsed)\n"));
	/* A device that resolved nothing (encrypted DNS, say). */
	ck_assert_ptr_nonnull(
		strstr(names_out(&t, *t.now, DEV2, false), "resolved   nothing we saw"));
	ck_assert_str_eq(names_out(&t, *t.now, DEV2, true),
			 "{\"names\":{\"rules\":[],\"resolved\":[]}}\n");

	/* A VIOLATION to a resolved peer carries its names; to another, none. */
	th_set_mode(&t, DEV, E);
	th_step(&t, SYN_TO("52.1.2.3", 22), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "port 22");
	th_step(&t, SYN_TO("52.9.9.9", 22), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "unresolved");
	th_events(&t);
	for (i = 0; i < t.nev; i++) {
		const struct ifn_event *e = &t.ev[i];
		__u64 h0, h1, h2;

		if (e->type != IFN_EV_VIOLATION)
			continue;
		memcpy(&h0, e->names[0], 8);
		memcpy(&h1, e->names[1], 8);
		memcpy(&h2, e->names[2], 8);
		if (e->flow.peer[15] == 3) {
			ck_assert_uint_eq(h0, ifn_dns_name_hash(KEY, "a.example.com", &nm));
			ck_assert_uint_eq(h1, ifn_dns_name_hash(KEY, "cdn.example.net", &nm));
			ck_assert_uint_eq(h2, 0);
		} else {
			ck_assert_uint_eq(h0 | h1 | h2, 0);
		}
		seen++;
	}
	ck_assert_uint_eq(seen, 2);
	th_teardown(&t);
}
END_TEST

TH_SUITE(names_suite)
static Suite *names_suite(void)
{
	Suite *s = suite_create("datapath-names");
	TCase *tc = tcase_create("learn");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, learned_after_an_answer);
	tcase_add_test(tc, no_answer_no_name);
	tcase_add_test(tc, shared_address_every_live_name);
	tcase_add_test(tc, cap_counts_names);
	tcase_add_test(tc, name_memo_follows_the_fingerprint);
	tcase_add_test(tc, name_memo_not_for_a_new_device);
	tcase_add_test(tc, name_memo_serves_a_second_and_its_slot);
	tcase_add_test(tc, ipv6_udp_and_server_keys);
	tcase_add_test(tc, generalise_prefers_names);
	tcase_add_test(tc, sibling_names_widened);
	tcase_add_test(tc, names_where_a_user_looks);
	suite_add_tcase(s, tc);
	return s;
}
