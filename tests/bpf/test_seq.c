// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Behaviour that needs more than one frame: fragments, a server's replies,
 * deadlines, the fingerprint cap, a full device table, address tracking,
 * rate limits (on the virtual clock), scans, monitor alerts and the event
 * limit. Every step asserts its verdict and the counters it moves
 * (th_step), so a sequence also proves that earlier frames left no trace
 * where they should not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "dp.h"
#include "format.h"
#include "rules.h"

#define SEC_NS 1000000000ULL
#define MS_NS 1000000ULL

/* The raw record of a device. */
static struct ifn_device dev_of(struct th *t, const char *mac)
{
	struct ifn_device d;

	ck_assert_msg(th_device(t, mac, &d, NULL), "%s is not known", mac);
	return d;
}

/* The last event of @type, which must exist. */
static const struct ifn_event *last_event(struct th *t, __u32 type)
{
	int i;

	th_events(t);
	for (i = (int)t->nev - 1; i >= 0; i--)
		if (t->ev[i].type == type)
			return &t->ev[i];
	ck_abort_msg("no event of type %u", type);
	return NULL;
}

START_TEST(eth_trunc_unreachable)
{
	/*
	 * ETH_TRUNC cannot be produced here: the kernel refuses test data
	 * shorter than an Ethernet header, so the program never runs. This
	 * test pins that fact down, so the table's silence about ETH_TRUNC
	 * stays justified.
	 */
	__u8 frame[13] = { 0x02, 0, 0, 0, 0, 0xfe, 0x02, 0, 0, 0, 0, 0x01, 0x08 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame));
	struct ifn_global_stats gs;
	struct th t;
	int err;

	th_setup(&t, NULL);
	err = bpf_prog_test_run_opts(t.prog_fd, &o);
	ck_assert_int_eq(err, -EINVAL);
	th_global(&t, &gs);
	ck_assert_uint_eq(gs.frames, 0);
	th_teardown(&t);
}
END_TEST

/* --- Fragments --- */

#define UDPF4(dp, id, off, mf) \
	UDP4(40000, dp), .frag_id = id, .frag_off = off, .more_frags = mf, .payload = 64
#define UDPF6(dp, id, off, mf)                                                             \
	UDP6(40000, dp), .ipv6_frag = 1, .frag_id = id, .frag_off = off, .more_frags = mf, \
			 .payload = 64

START_TEST(frag_v4_enforce)
{
	struct ifn_device d;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_step(&t, FRAME(UDPF4(53, 7, 0, 1)), EXPECT(PASS), "first fragment, allowed");
	th_step(&t, FRAME(UDPF4(53, 7, 9, 1)), EXPECT(PASS), "middle fragment of it");
	th_step(&t, FRAME(UDPF4(53, 7, 18, 0)), EXPECT(PASS), "last fragment of it");
	th_step(&t, FRAME(UDPF4(53, 8, 9, 1)), EXPECT(DROP(FRAGMENT), VIOL),
		"later fragment, no first");
	th_step(&t, FRAME(UDPF4(53, 7, 9, 1), .dst_ip = "52.1.2.4"), EXPECT(DROP(FRAGMENT), VIOL),
		"same id, other destination");
	/* A later fragment cannot open a flow the fingerprint forbids. */
	th_step(&t, FRAME(UDPF4(5353, 9, 0, 1)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"first fragment of a forbidden flow");
	th_step(&t, FRAME(UDPF4(5353, 9, 9, 0)), EXPECT(DROP(FRAGMENT), VIOL),
		"its later fragment");
	/* Later fragments carry no flow: they do not count towards a scan. */
	d = dev_of(&t, DEV);
	ck_assert_uint_eq(d.scan_count, 1);
	th_teardown(&t);
}
END_TEST

START_TEST(frag_v6_enforce)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/53 " PEER6);
	th_step(&t, FRAME(UDPF6(53, 0x10001, 0, 1)), EXPECT(PASS), "first fragment, allowed");
	th_step(&t, FRAME(UDPF6(53, 0x10001, 9, 0)), EXPECT(PASS), "last fragment of it");
	th_step(&t, FRAME(UDPF6(53, 0x10002, 9, 0)), EXPECT(DROP(FRAGMENT), VIOL),
		"later fragment, no first");
	th_step(&t, FRAME(UDPF6(5353, 0x10003, 0, 1)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"first fragment of a forbidden flow");
	th_step(&t, FRAME(UDPF6(5353, 0x10003, 9, 0)), EXPECT(DROP(FRAGMENT), VIOL),
		"its later fragment");
	/* Behind extension headers, before and after the fragment header. */
	th_step(&t,
		FRAME(UDPF6(53, 0x10004, 0, 1), .ipv6_ext = { 0 }, .ipv6_ext_n = 1,
		      .ipv6_ext_post = { 60 }, .ipv6_ext_post_n = 1),
		EXPECT(PASS), "first fragment with destination options after the fragment header");
	th_step(&t,
		FRAME(UDPF6(53, 0x10004, 9, 0), .ipv6_ext = { 0 }, .ipv6_ext_n = 1,
		      .ipv6_ext_post = { 60 }, .ipv6_ext_post_n = 1),
		EXPECT(PASS), "its later fragment (next header: destination options)");
	/*
	 * Two fragment headers: the last one gives the key, and decides. A
	 * first fragment header followed by an atomic one (offset 0, no M,
	 * id 0) is a whole packet: nothing is noted for id 0. Found by the
	 * differential driver.
	 */
	th_step(&t, FRAME(UDPF6(53, 0x10005, 0, 1), .ipv6_ext_post = { 44 }, .ipv6_ext_post_n = 1),
		EXPECT(PASS), "a first fragment header, then an atomic one");
	th_step(&t, FRAME(UDPF6(53, 0, 9, 0)), EXPECT(DROP(FRAGMENT), VIOL),
		"a later fragment with the atomic one's key has no first");
	th_teardown(&t);
}
END_TEST

START_TEST(frag_learn)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, L);
	th_step(&t, FRAME(UDPF4(53, 7, 0, 1)), EXPECT(PASS, .flows = 1), "first fragment learns");
	ck_assert(th_has_flow(&t, DEV, "udp/53 " PEER));
	th_step(&t, FRAME(UDPF4(53, 7, 9, 0)), EXPECT(PASS), "its later fragment adds nothing");
	th_step(&t, FRAME(UDPF4(53, 8, 9, 0), .dst_ip = "52.9.9.9"), EXPECT(PASS),
		"a later fragment alone passes but is not learned");
	th_step(&t, FRAME(UDPF6(53, 5, 9, 0)), EXPECT(PASS), "IPv6 likewise");
	th_step(&t, FRAME(UDPF6(53, 6, 0, 1)), EXPECT(PASS, .flows = 1), "IPv6 first fragment");
	ck_assert(th_has_flow(&t, DEV, "udp/53 " PEER6));
	th_teardown(&t);
}
END_TEST

START_TEST(frag_monitor_quarantine)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, M);
	th_step(&t, FRAME(UDPF4(53, 8, 9, 0)), EXPECT(ALERT(FRAGMENT), VIOL),
		"monitor: a later fragment alone is an alert");
	th_set_mode(&t, DEV, Q);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_step(&t, FRAME(UDPF4(53, 9, 0, 1)), EXPECT(DROP(QUARANTINE)),
		"quarantine: an allowed first fragment");
	th_step(&t, FRAME(UDPF4(53, 9, 9, 0)), EXPECT(DROP(QUARANTINE)),
		"quarantine: its later fragment");
	th_teardown(&t);
}
END_TEST

START_TEST(frag_baseline)
{
	struct frame_spec first = { .src_ip = "0.0.0.0",
				    .dst_ip = "255.255.255.255",
				    .proto = 17,
				    .sport = 68,
				    .dport = 67,
				    .payload = 600,
				    .frag_id = 3,
				    .more_frags = 1 };
	struct frame_spec later = first;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, Q);
	later.frag_off = 76;
	later.more_frags = 0;
	th_step(&t, &first, EXPECT(PASS), "quarantine: first fragment of a DHCP discover");
	th_step(&t, &later, EXPECT(PASS), "its later fragment: baseline too");
	th_teardown(&t);
}
END_TEST

START_TEST(frag_no_scan)
{
	struct ifn_device d;
	struct th t;
	int i;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	for (i = 0; i < 40; i++)
		th_step(&t, FRAME(UDPF4(53, 100 + i, 9, 0), .dst_ip = "52.1.2.3"),
			EXPECT(DROP(FRAGMENT),
			       .events = i < IFN_EVENT_LIMIT_DEFAULT ? EV(VIOLATION) : 0),
			"stray later fragment");
	d = dev_of(&t, DEV);
	ck_assert_uint_eq(d.mode, E);
	ck_assert_uint_eq(d.scan_count, 0);
	th_teardown(&t);
}
END_TEST

/* --- A server's replies --- */

START_TEST(frag_other_device)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_add_device(&t, DEV2, E);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_step(&t, FRAME(UDPF4(53, 7, 0, 1)), EXPECT(PASS), "the first fragment, allowed");
	th_step(&t, FRAME(UDPF4(53, 7, 9, 1), .src_mac = DEV2),
		EXPECT(DROP(FRAGMENT), .events = EV(VIOLATION) | EV(IP_CONFLICT)),
		"its later fragment, from another device (with the first's address)");
	th_step(&t, FRAME(UDPF4(53, 7, 9, 1)), EXPECT(PASS), "from the device that sent it");
	th_teardown(&t);
}
END_TEST

/*
 * Bulk rule writes (policy load): batches across the chunk size, the
 * device's counters and trie flags following the maps, rules said present
 * or unknown, an unknown device refused with nothing written, and a full
 * table stopping at a prefix of the rules that is exactly what is counted.
 */
static struct ifn_rule *bulk_rules(const char *mac, unsigned int n, unsigned int first_port)
{
	struct ifn_rule *v = calloc(n, sizeof(*v));
	char text[64], err[160];
	unsigned int i;

	ck_assert(v);
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "tcp/%u 52.%u.%u.%u", first_port + i % 60000,
			 1 + i / 60000, (i / 250) % 250, 1 + i % 250);
		ck_assert_msg(!ifn_rule_parse(text, &v[i], err, sizeof(err)), "%s: %s", text, err);
		frame_mac(mac, v[i].mac);
		v[i].origin = IFN_ORIGIN_POLICY;
	}
	return v;
}

START_TEST(rules_in_bulk)
{
	const unsigned int n1 = 9000, n2 = 1000, cap = 12000;
	struct ifn_rule *r1 = bulk_rules(DEV, n1, 1), *r2 = bulk_rules(DEV2, n2, 1), tries[2],
			*more, *all;
	struct th_opts o = { .max_flows = cap };
	char err[160];
	struct ifn_device d;
	size_t done;
	long rc;
	struct th t;

	th_setup(&t, &o);
	th_add_device(&t, DEV, E);
	th_add_device(&t, DEV2, E);
	/* One device's rules across a chunk (8192), then another's, then trie rules. */
	all = calloc(n1 + n2 + 2, sizeof(*all));
	ck_assert(all);
	memcpy(all, r1, n1 * sizeof(*all));
	memcpy(all + n1, r2, n2 * sizeof(*all));
	ck_assert(!ifn_rule_parse("tcp 10.0.0.0/8", &tries[0], err, sizeof(err)));
	ck_assert(!ifn_rule_parse("udp/123 10.1.0.0/16", &tries[1], err, sizeof(err)));
	frame_mac(DEV2, tries[0].mac);
	frame_mac(DEV2, tries[1].mac);
	memcpy(all + n1 + n2, tries, sizeof(tries));
	rc = ifn_rules_install_many(&t.m, all, n1 + n2 + 2, IFN_RULES_ABSENT, &done);
	ck_assert_int_eq(rc, n1 + n2 + 2);
	ck_assert_uint_eq(done, n1 + n2 + 2);
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.flow_count, n1);
	ck_assert_uint_eq(th_flow_count(&t, DEV), n1);
	ck_assert(th_device(&t, DEV2, &d, NULL));
	ck_assert_uint_eq(d.flow_count, n2);
	ck_assert_uint_eq(d.port_rules, 1);
	ck_assert_uint_eq(d.any_rules, 1);
	ck_assert(d.flags & IFN_DEV_F_PORT_RULES);
	ck_assert(d.flags & IFN_DEV_F_ANY_RULES);
	ck_assert(th_has_flow(&t, DEV, "tcp/8999 52.1.35.249"));
	th_step(&t, FRAME(TCP4(40000, 1, SYN), .dst_ip = "52.1.0.1"), EXPECT(PASS),
		"the first rule passes");
	th_step(&t, FRAME(TCP4(40000, 9001, SYN), .dst_ip = "52.1.36.1"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "one past the last is dropped");

	/* Said present: only their origin changes, nothing is counted again. */
	rc = ifn_rules_install_many(&t.m, r1, n1, IFN_RULES_PRESENT, &done);
	ck_assert_int_eq(rc, 0);
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.flow_count, n1);
	/* Nothing said: the new ones count, the others do not. */
	more = bulk_rules(DEV, n1 + 5, 1);
	rc = ifn_rules_install_many(&t.m, more, n1 + 5, 0, &done);
	ck_assert_int_eq(rc, 5);
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.flow_count, n1 + 5);

	/* An unknown device: refused before anything is written. */
	frame_mac("02:00:00:00:00:99", r2[0].mac);
	rc = ifn_rules_install_many(&t.m, r2, 1, IFN_RULES_ABSENT, &done);
	ck_assert_int_eq(rc, -ENOENT);
	ck_assert_uint_eq(done, 0);
	frame_mac(DEV2, r2[0].mac);

	/* Removal, with rules gone already skipped; the trie flags go with the counts. */
	rc = ifn_rules_remove_many(&t.m, all + n1, n2 + 2, &done);
	ck_assert_int_eq(rc, n2 + 2);
	rc = ifn_rules_remove_many(&t.m, all + n1, n2 + 2, &done);
	ck_assert_int_eq(rc, 0);
	ck_assert(th_device(&t, DEV2, &d, NULL));
	ck_assert_uint_eq(d.flow_count, 0);
	ck_assert_uint_eq(d.port_rules + d.any_rules, 0);
	ck_assert(!(d.flags & (IFN_DEV_F_PORT_RULES | IFN_DEV_F_ANY_RULES)));

	/* A full table: what is done is installed and counted, the rest is not. */
	free(more);
	more = bulk_rules(DEV2, cap, 1);
	rc = ifn_rules_install_many(&t.m, more, cap, IFN_RULES_ABSENT, &done);
	ck_assert_int_eq(rc, -E2BIG);
	ck_assert_uint_eq(done, cap - (n1 + 5));
	ck_assert(th_device(&t, DEV2, &d, NULL));
	ck_assert_uint_eq(d.flow_count, done);
	ck_assert_uint_eq(th_flow_count(&t, DEV2), done);
	rc = ifn_rules_remove_many(&t.m, more, done, NULL);
	ck_assert_int_eq(rc, (long)done);
	ck_assert(th_device(&t, DEV2, &d, NULL));
	ck_assert_uint_eq(d.flow_count, 0);
	th_step(&t, FRAME(TCP4(40000, 1, SYN), .dst_ip = "52.1.0.1"), EXPECT(PASS),
		"the other device's rules are still there");

	free(r1);
	free(r2);
	free(more);
	free(all);
	th_teardown(&t);
}
END_TEST

/*
 * The per-CPU cache of fingerprint decisions must never outlive a change of
 * the fingerprint: every step repeats the flow of the one before it, so
 * each answer comes from the cache unless the change voided it.
 */
START_TEST(cache_follows_fingerprint)
{
	const struct frame_spec *syn = FRAME(TCP4(40000, 443, SYN));
	struct ifn_rule r;
	char err[160];
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_step(&t, syn, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "not in the fingerprint");
	th_step(&t, syn, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "again (cached)");
	th_allow(&t, DEV, "tcp/443 " PEER);
	th_step(&t, syn, EXPECT(PASS), "allowed by hand: passes at once");
	th_step(&t, syn, EXPECT(PASS), "again (cached)");
	ck_assert(!ifn_rule_parse("tcp/443 " PEER, &r, err, sizeof(err)));
	frame_mac(DEV, r.mac);
	ck_assert_int_eq(ifn_rule_remove(&t.m, &r), 0);
	th_step(&t, syn, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "forgotten: dropped at once");
	th_allow(&t, DEV, "tcp 52.1.0.0/16");
	th_step(&t, syn, EXPECT(PASS), "a port-any rule: passes at once");
	ck_assert(!ifn_rule_parse("tcp 52.1.0.0/16", &r, err, sizeof(err)));
	frame_mac(DEV, r.mac);
	ck_assert_int_eq(ifn_rule_remove(&t.m, &r), 0);
	th_step(&t, syn, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "and gone again");

	/* Learning elsewhere (another CPU's insert) voids it too. */
	th_set_mode(&t, DEV, L);
	th_step(&t, FRAME(TCP4(40000, 80, SYN)), EXPECT(PASS, .flows = 1), "learning another flow");
	th_step(&t, syn, EXPECT(PASS, .flows = 1), "and this one");
	th_set_mode(&t, DEV, E);
	th_step(&t, syn, EXPECT(PASS), "enforced: the learned flow passes");
	/* Two devices, one CPU: each device keeps its own answer. */
	th_add_device(&t, DEV2, E);
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .src_mac = DEV2, .src_ip = "192.168.1.12"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "another device, the same flow");
	th_step(&t, syn, EXPECT(PASS), "the first device still passes");
	th_teardown(&t);
}
END_TEST

START_TEST(mapped_source_not_tracked)
{
	struct ifn_ip_owner own;
	struct ifn_ip_key k = { .addr = { [10] = 0xff, [11] = 0xff, 192, 168, 1, 10 } };
	struct ifn_device d;
	__u8 m1[6];
	struct th t;

	th_setup(&t, NULL);
	frame_mac(DEV, m1);
	th_add_device(&t, DEV, L);
	th_add_device(&t, DEV2, L);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS, .flows = 1), "DEV takes 192.168.1.10");
	th_step(&t, FRAME(UDP6(40000, 53), .src_mac = DEV2, .src_ip = "::ffff:192.168.1.10"),
		EXPECT(PASS, .flows = 1), "DEV2 sources it IPv4-mapped: no claim, no event");
	d = dev_of(&t, DEV2);
	ck_assert(ifn_addr_is_zero(d.ipv6));
	ck_assert_int_eq(bpf_map_lookup_elem(t.m.ip_owners, &k, &own), 0);
	ck_assert_mem_eq(own.mac, m1, 6);
	th_teardown(&t);
}
END_TEST

START_TEST(new_device_event_limited)
{
	struct ifn_dev_stats st;
	struct ifn_config c;
	struct th t;

	th_setup(&t, NULL);
	c = th_config(&t);
	c.event_limit = 0;
	th_set_config(&t, &c);
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS, .new_device = 1, .flows = 1),
		"a new device, no event allowed");
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.events_suppressed, 1);
	th_teardown(&t);
}
END_TEST

/* The per-CPU MAC -> slot cache is a hint: a forgotten device is new again. */
START_TEST(device_cache_after_forget)
{
	struct ifn_dev_stats st;
	struct th t;
	__u8 m[6];

	th_setup(&t, NULL);
	frame_mac(DEV, m);
	th_step(&t, FRAME(UDP4(40000, 53)),
		EXPECT(PASS, .new_device = 1, .flows = 1, .events = EV(NEW_DEVICE)),
		"a new device");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "again (found through the cache)");
	ck_assert_int_eq(ifn_device_forget(&t.m, m), 0);
	th_step(&t, FRAME(UDP4(40000, 53)),
		EXPECT(PASS, .new_device = 1, .flows = 1, .events = EV(NEW_DEVICE)),
		"forgotten: a new device again, not the cached slot");
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.packets, 1);
	th_teardown(&t);
}
END_TEST

START_TEST(server_reply)
{
	struct th t;

	th_setup(&t, NULL);
	th_iface(&t, L, 60 * SEC_NS);
	/* The phone's SYN is not the device's frame; the device answers. */
	th_step(&t, FRAME(TCP4(554, 50000, SYNACK), .dst_ip = "192.168.1.77"),
		EXPECT(PASS, .new_device = 1, .flows = 1, .events = EV(NEW_DEVICE)),
		"SYN-ACK from the camera's RTSP port");
	ck_assert(th_has_flow(&t, DEV, "tcp/554 192.168.1.77 server"));
	th_step(&t, FRAME(TCP4(554, 50000, PSHACK), .dst_ip = "192.168.1.77"), EXPECT(PASS),
		"the stream: nothing new");
	th_step(&t, FRAME(TCP4(554, 50002, ACK), .dst_ip = "192.168.1.77"), EXPECT(PASS),
		"a second connection's ACK: nothing new");
	th_step(&t, FRAME(TCP4(554, 50004, SYNACK), .dst_ip = "192.168.1.77"), EXPECT(PASS),
		"a second connection's SYN-ACK: nothing new");
	ck_assert_uint_eq(th_flow_count(&t, DEV), 1);
	/* Past the deadline, which is kept in 2^16 ns units, rounded up. */
	*t.now += 60 * SEC_NS + 65536;
	th_step(&t, FRAME(TCP4(554, 50006, PSHACK), .dst_ip = "192.168.1.77"),
		EXPECT(PASS, .events = EV(LEARNING_DONE)), "enforce: a later connection's data");
	th_step(&t, FRAME(TCP4(554, 50008, SYNACK), .dst_ip = "192.168.1.77"), EXPECT(PASS),
		"enforce: a later connection's SYN-ACK");
	th_step(&t, FRAME(TCP4(50010, 554, SYN), .dst_ip = "192.168.1.77"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"enforce: opening to 554 is not serving it");
	th_step(&t, FRAME(TCP4(554, 50000, ACK), .dst_ip = "192.168.1.78"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "enforce: serving another peer");
	th_teardown(&t);
}
END_TEST

/* --- Deadlines --- */

START_TEST(learning_deadline)
{
	const struct ifn_event *ev;
	struct ifn_device d;
	struct th t;
	__u64 t0, until;

	th_setup(&t, NULL);
	th_iface(&t, L, 60 * SEC_NS);
	t0 = *t.now;
	th_step(&t, FRAME(TCP4(40000, 443, SYN)),
		EXPECT(PASS, .new_device = 1, .flows = 1, .events = EV(NEW_DEVICE)), "first frame");
	d = dev_of(&t, DEV);
	ck_assert_uint_eq(d.mode, L);
	/* Deadlines are kept in 2^16 ns units, rounded up: never early. */
	until = ifn_mw_until(d.mode_word);
	ck_assert(until >= t0 + 60 * SEC_NS && until - (t0 + 60 * SEC_NS) < 65536);
	*t.now = until - 1;
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS, .flows = 1),
		"a nanosecond before the end");
	*t.now = until;
	th_step(&t, FRAME(UDP4(40000, 123)),
		EXPECT(DROP(NOT_IN_FINGERPRINT), .events = EV(LEARNING_DONE) | EV(VIOLATION)),
		"at the deadline: enforce");
	ev = last_event(&t, IFN_EV_LEARNING_DONE);
	ck_assert_uint_eq(ev->value, 2);
	ck_assert_uint_eq(ev->mode, E);
	d = dev_of(&t, DEV);
	ck_assert_uint_eq(d.mode, E);
	ck_assert_uint_eq(ifn_mw_until(d.mode_word), 0);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "a learned flow still passes");
	*t.now += 3600 * SEC_NS;
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS), "an hour later: no second switch");
	th_teardown(&t);
}
END_TEST

START_TEST(temporary_mode)
{
	struct ifn_device d;
	struct th t;
	__u8 m[6];

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 " PEER);
	frame_mac(DEV, m);
	ck_assert_int_eq(ifn_device_set_mode(&t.m, m, Q, 10 * SEC_NS, 0, *t.now, &d), 0);
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(DROP(QUARANTINE)), "quarantined for 10 s");
	*t.now = ifn_mw_until(d.mode_word);
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS), "back to enforce, no event");
	ck_assert_uint_eq(dev_of(&t, DEV).mode, E);
	th_teardown(&t);
}
END_TEST

START_TEST(unknown_interface_defaults)
{
	struct ifn_config c;
	struct ifn_device d;
	struct th t;
	__u32 lo = 1;

	th_setup(&t, NULL);
	ck_assert_int_eq(bpf_map_delete_elem(t.m.ifaces, &lo), 0);
	c = th_config(&t);
	c.default_mode = M;
	c.learn_ns = 0;
	th_set_config(&t, &c);
	th_step(&t, FRAME(TCP4(40000, 443, SYN)),
		EXPECT(ALERT(NOT_IN_FINGERPRINT), .new_device = 1,
		       .events = EV(NEW_DEVICE) | EV(VIOLATION)),
		"an interface missing from ifn_ifaces: the config's default mode");
	c.default_mode = L;
	c.learn_ns = 5 * SEC_NS;
	th_set_config(&t, &c);
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .src_mac = DEV2, .src_ip = "192.168.1.12"),
		EXPECT(PASS, .new_device = 1, .flows = 1, .events = EV(NEW_DEVICE)),
		"and its learning window");
	d = dev_of(&t, DEV2);
	ck_assert(ifn_mw_until(d.mode_word) >= *t.now + 5 * SEC_NS &&
		  ifn_mw_until(d.mode_word) - (*t.now + 5 * SEC_NS) < 65536);
	th_teardown(&t);
}
END_TEST

/* --- Fingerprint cap --- */

START_TEST(fingerprint_cap)
{
	const struct ifn_event *ev;
	struct ifn_config c;
	struct ifn_device d;
	struct th t;

	th_setup(&t, NULL);
	c = th_config(&t);
	c.fingerprint_cap = 3;
	th_set_config(&t, &c);
	th_add_device(&t, DEV, L);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS, .flows = 1), "flow 1");
	th_step(&t, FRAME(UDP4(40000, 123)), EXPECT(PASS, .flows = 1), "flow 2");
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS, .flows = 1), "flow 3");
	th_step(&t, FRAME(TCP4(40000, 443, ACK)), EXPECT(PASS), "flow 3 again");
	th_step(&t, FRAME(TCP4(40000, 23, SYN)),
		EXPECT(DROP(NOT_IN_FINGERPRINT), .events = EV(FINGERPRINT_CAP) | EV(VIOLATION)),
		"flow 4: over the cap");
	ev = last_event(&t, IFN_EV_FINGERPRINT_CAP);
	ck_assert_uint_eq(ev->value, 3);
	ck_assert_uint_eq(ev->flow.port, 23);
	d = dev_of(&t, DEV);
	ck_assert_uint_eq(d.mode, E);
	ck_assert_uint_eq(ifn_mw_until(d.mode_word), 0);
	ck_assert(d.flags & IFN_DEV_F_LEARN_CAPPED);
	ck_assert_uint_eq(d.flow_count, 3);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "a learned flow passes");
	th_step(&t, FRAME(TCP4(40000, 2323, SYN)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"another new flow: enforced, no second cap event");
	th_teardown(&t);
}
END_TEST

/* --- A full device table --- */

START_TEST(table_full)
{
	struct th_opts o = { .max_devices = 4 };
	struct ifn_config c;
	char mac[18], ip[16];
	struct th t;
	__u8 m[6];
	int i;

	th_setup(&t, &o);
	th_iface(&t, E, 0);
	for (i = 1; i <= 4; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:00:%02x", i);
		snprintf(ip, sizeof(ip), "192.168.1.%d", 10 + i);
		th_step(&t, FRAME(TCP4(40000, 443, SYN), .src_mac = mac, .src_ip = ip),
			EXPECT(DROP(NOT_IN_FINGERPRINT), .new_device = 1,
			       .events = EV(NEW_DEVICE) | EV(VIOLATION)),
			"a device while there is room");
		th_allow(&t, mac, "tcp/443 " PEER);
	}
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .src_mac = "02:00:00:00:00:05"),
		EXPECT(DROP(TABLE_FULL), .no_device = true, .table_full = 1,
		       .events = EV(TABLE_FULL)),
		"a fifth MAC: table full, unknown-devices drop");
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .src_mac = "02:00:00:00:00:06"),
		EXPECT(DROP(TABLE_FULL), .no_device = true, .table_full = 1),
		"a sixth, the same second: counted, no second event");
	for (i = 1; i <= 4; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:00:%02x", i);
		snprintf(ip, sizeof(ip), "192.168.1.%d", 10 + i);
		th_step(&t, FRAME(TCP4(40000, 443, SYN), .src_mac = mac, .src_ip = ip),
			EXPECT(PASS), "a known device keeps working");
		th_step(&t, FRAME(TCP4(40000, 22, SYN), .src_mac = mac, .src_ip = ip),
			EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "and keeps being enforced");
	}
	c = th_config(&t);
	c.unknown_verdict = IFN_VERDICT_PASS;
	th_set_config(&t, &c);
	th_step(&t, FRAME(TCP4(40000, 22, SYN), .src_mac = "02:00:00:00:00:07"),
		EXPECT(PASS, .reason = IFN_REASON_TABLE_FULL, .no_device = true, .table_full = 1),
		"unknown-devices pass: passes, still counted");
	*t.now += SEC_NS;
	th_step(&t, FRAME(TCP4(40000, 22, SYN), .src_mac = "02:00:00:00:00:07"),
		EXPECT(PASS, .reason = IFN_REASON_TABLE_FULL, .no_device = true, .table_full = 1,
		       .events = EV(TABLE_FULL)),
		"a second later: another event");
	/* Forgetting a device makes room. */
	frame_mac("02:00:00:00:00:02", m);
	ck_assert_int_eq(ifn_device_forget(&t.m, m), 0);
	th_step(&t,
		FRAME(TCP4(40000, 443, SYN), .src_mac = "02:00:00:00:00:07",
		      .src_ip = "192.168.1.17"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), .new_device = 1,
		       .events = EV(NEW_DEVICE) | EV(VIOLATION)),
		"room again after a forget");
	th_teardown(&t);
}
END_TEST

/* --- Addresses --- */

START_TEST(ip_change_and_conflict)
{
	const struct ifn_event *ev;
	struct ifn_ip_owner own;
	struct ifn_ip_key k = { .addr = { [10] = 0xff, [11] = 0xff, 192, 168, 1, 10 } };
	struct ifn_device d;
	__u8 m1[6], m2[6];
	struct th t;

	th_setup(&t, NULL);
	frame_mac(DEV, m1);
	frame_mac(DEV2, m2);
	th_add_device(&t, DEV, L);
	th_add_device(&t, DEV2, L);
	th_step(&t, FRAME(.arp_op = 1, .arp_sender_ip = "0.0.0.0"), EXPECT(PASS),
		"ARP probe: no address");
	th_step(&t,
		FRAME(.src_ip = "0.0.0.0", .dst_ip = "255.255.255.255", .proto = 17, .sport = 68,
		      .dport = 67),
		EXPECT(PASS), "DHCP from 0.0.0.0: no address");
	ck_assert_uint_eq(dev_of(&t, DEV).ipv4[0], 0);
	th_step(&t, FRAME(.arp_op = 2, .arp_sender_ip = DEV_IP), EXPECT(PASS),
		"ARP reply: the first address, no event");
	d = dev_of(&t, DEV);
	ck_assert_mem_eq(d.ipv4, k.addr + 12, 4);
	ck_assert_int_eq(bpf_map_lookup_elem(t.m.ip_owners, &k, &own), 0);
	ck_assert_mem_eq(own.mac, m1, 6);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS, .flows = 1), "the same address: nothing");

	th_step(&t, FRAME(UDP4(40000, 53), .src_ip = "192.168.1.11"),
		EXPECT(PASS, .flows = 0, .events = EV(IP_CHANGE)), "a new address: IP_CHANGE");
	ev = last_event(&t, IFN_EV_IP_CHANGE);
	ck_assert_uint_eq(ev->addr[15], 11);
	ck_assert_uint_eq(ev->old_addr[15], 10);
	ck_assert_uint_eq(ev->old_addr[10], 0xff);
	ck_assert_int_ne(bpf_map_lookup_elem(t.m.ip_owners, &k, &own), 0);

	/* DEV2 claims what DEV holds now. */
	th_step(&t, FRAME(UDP4(40000, 53), .src_mac = DEV2, .src_ip = "192.168.1.11"),
		EXPECT(PASS, .flows = 1, .events = EV(IP_CONFLICT)), "another device's address");
	ev = last_event(&t, IFN_EV_IP_CONFLICT);
	ck_assert_mem_eq(ev->mac, m2, 6);
	ck_assert_mem_eq(ev->other_mac, m1, 6);
	ck_assert_uint_eq(ev->addr[15], 11);
	ck_assert_uint_eq(dev_of(&t, DEV2).ipv4[0], 0);
	/* The old address is free: DEV2 may take it. */
	th_step(&t, FRAME(.arp_op = 1, .arp_sender_ip = DEV_IP, .src_mac = DEV2), EXPECT(PASS),
		"the address DEV left: no conflict");
	ck_assert_int_eq(bpf_map_lookup_elem(t.m.ip_owners, &k, &own), 0);
	ck_assert_mem_eq(own.mac, m2, 6);

	/* Spoofing is reported in quarantine too; the frame is still dropped. */
	th_set_mode(&t, DEV2, Q);
	th_step(&t, FRAME(TCP4(40000, 443, SYN), .src_mac = DEV2, .src_ip = "192.168.1.11"),
		EXPECT(DROP(QUARANTINE), .events = EV(IP_CONFLICT)), "quarantined spoofer");
	th_teardown(&t);
}
END_TEST

START_TEST(ipv6_addresses)
{
	struct ifn_device d;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, L);
	th_step(&t, FRAME(ICMP6("::", "ff02::1:ff00:10", 135)), EXPECT(PASS), "DAD from ::");
	th_step(&t, FRAME(ICMP6(LL6, "ff02::2", 133)), EXPECT(PASS), "link-local");
	th_step(&t, FRAME(UDP6(40000, 53)), EXPECT(PASS, .flows = 1), "global: kept apart");
	d = dev_of(&t, DEV);
	ck_assert_uint_eq(d.ipv6_ll[0], 0xfe);
	ck_assert_uint_eq(d.ipv6[0], 0x20);
	th_step(&t, FRAME(UDP6(40000, 53), .src_ip = "2001:db8::11"),
		EXPECT(PASS, .flows = 0, .events = EV(IP_CHANGE)), "a new global address");
	d = dev_of(&t, DEV);
	ck_assert_uint_eq(d.ipv6[15], 0x11);
	ck_assert_uint_eq(d.ipv6_ll[15], 0x10);
	th_step(&t, FRAME(ICMP6(LL6, "ff02::2", 133)), EXPECT(PASS), "link-local unchanged");
	th_teardown(&t);
}
END_TEST

/* --- Rate limits on the virtual clock --- */

START_TEST(rate_pps)
{
	struct th t;
	int i;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_set_rate(&t, DEV, 10, 0, 3, 0);
	for (i = 0; i < 3; i++)
		th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "within the burst");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)),
		"over the burst");
	th_step(&t, FRAME(UDP4(40000, 5353)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"a violation is judged before the bucket");
	*t.now += 99 * MS_NS;
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)),
		"99 ms: not yet a token");
	*t.now += 1 * MS_NS;
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "100 ms: one token");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)),
		"and only one");
	*t.now += 5 * SEC_NS;
	for (i = 0; i < 3; i++)
		th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "refilled to the burst, no more");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)),
		"over it again");
	th_teardown(&t);
}
END_TEST

/*
 * A first fragment is noted only when it passes (iotfence.8, Fragments):
 * the rest of a packet whose head the rate limit took does not pass alone,
 * while the rest of a baseline packet is baseline, never policed. Both
 * found by the differential driver (make diff-long).
 */
START_TEST(frag_rate_limited)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_set_rate(&t, DEV, 10, 0, 1, 0);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "the burst");
	th_step(&t, FRAME(UDPF4(53, 11, 0, 1)),
		EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)),
		"a first fragment over the rate");
	*t.now += 5 * SEC_NS;
	th_step(&t, FRAME(UDPF4(53, 11, 9, 0)), EXPECT(DROP(FRAGMENT), VIOL),
		"its later fragment, with tokens again: no first fragment passed");
	th_step(&t, FRAME(UDPF4(53, 12, 0, 1)), EXPECT(PASS), "a first fragment within the rate");
	*t.now += 5 * SEC_NS;
	th_step(&t, FRAME(UDPF4(53, 12, 9, 0)), EXPECT(PASS), "its later fragment");
	/*
	 * Baseline passes whatever the bucket holds, and so do the later
	 * fragments of a baseline packet (they are baseline too).
	 */
	*t.now += 5 * SEC_NS;
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "the burst again");
	th_step(&t, FRAME(UDP4(68, 67), .frag_id = 13, .more_frags = 1, .payload = 64),
		EXPECT(PASS), "a fragmented DHCP request, the bucket empty");
	th_step(&t, FRAME(UDP4(68, 67), .frag_id = 13, .frag_off = 9, .payload = 64), EXPECT(PASS),
		"its later fragment is baseline too, not policed");
	th_set_mode(&t, DEV, Q);
	th_step(&t, FRAME(UDP4(68, 67), .frag_id = 14, .more_frags = 1, .payload = 64),
		EXPECT(PASS), "quarantine: a fragmented DHCP request");
	th_step(&t, FRAME(UDP4(68, 67), .frag_id = 14, .frag_off = 9, .payload = 64), EXPECT(PASS),
		"and its later fragment");
	th_teardown(&t);
}
END_TEST

START_TEST(rate_bps)
{
	/* 14 + 20 + 8 + 358 = 400 bytes a frame against 1000 bytes/s. */
	const struct frame_spec f = { UDP4(40000, 53), .payload = 358 };
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_set_rate(&t, DEV, 0, 1000, 0, 0);
	th_step(&t, &f, EXPECT(PASS), "400 of 1000");
	th_step(&t, &f, EXPECT(PASS), "800 of 1000");
	th_step(&t, &f, EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)), "200 left");
	th_step(&t, FRAME(UDP4(40000, 53), .payload = 158), EXPECT(PASS),
		"a 200-byte frame still fits");
	*t.now += 400 * MS_NS;
	th_step(&t, &f, EXPECT(PASS), "400 ms refill 400 bytes");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)),
		"empty");
	th_teardown(&t);
}
END_TEST

START_TEST(rate_monitor_and_learn)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, M);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_set_rate(&t, DEV, 1, 0, 1, 0);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "the one token");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(ALERT(RATE_LIMIT), .events = EV(RATE_EXCEEDED)),
		"monitor: an alert");
	th_set_mode(&t, DEV, L);
	*t.now += SEC_NS;
	th_step(&t, FRAME(UDP4(40000, 123)), EXPECT(PASS, .flows = 1),
		"learn: a new flow, a token");
	th_step(&t, FRAME(UDP4(40000, 5353)),
		EXPECT(DROP(RATE_LIMIT), .flows = 1, .events = EV(RATE_EXCEEDED)),
		"learn: learned, but over the rate");
	th_teardown(&t);
}
END_TEST

START_TEST(rate_high_no_wrap)
{
	/*
	 * The largest rate the agent accepts, 18e9 bytes/s, with its
	 * one-second burst: 1.8e19 token units, close to 2^64. A refill that
	 * wraps around would leave a nearly empty bucket. The interval is
	 * computed from the bucket the first frame left, to the nanosecond
	 * at which a wrapping sum would land in [0, rate).
	 */
	const __u64 rate = 18000000000ULL;
	struct ifn_device d;
	struct th t;
	__u64 dt;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_set_rate(&t, DEV, 0, rate, 0, 0);
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "first frame");
	d = dev_of(&t, DEV);
	dt = (0 - d.tokens_bytes) / rate + 1; /* 2^64 - tokens, over the rate */
	ck_assert_uint_lt(dt, SEC_NS);
	*t.now += dt;
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "a refill must not wrap");
	d = dev_of(&t, DEV);
	ck_assert_uint_ge(d.tokens_bytes, d.burst_bytes * SEC_NS - 2 * 42 * SEC_NS);
	th_teardown(&t);
}
END_TEST

/* --- Scans, monitor alerts, the event limit --- */

/*
 * Send distinct violating flows (port 23 on 10.0.x.y) from @mac until the
 * device's sketch counts threshold + 1, checking every frame: its verdict,
 * and SCAN (with @extra events) exactly on the frame that crosses. The
 * sketch is a 512-bit linear count, so two flows can share a bit and the
 * count may lag the flows sent by a few; returns the flows it took.
 */
static int scan_until_crossed(struct th *t, const char *mac, const char *src_ip,
			      const struct th_expect *verdict, __u32 extra)
{
	__u32 thr = th_config(t).scan_threshold;
	int i;

	for (i = 0; i < 64; i++) {
		__u32 before = dev_of(t, mac).scan_count, after, ev = 0;
		unsigned int sent = th_count_events(t, IFN_EV_VIOLATION, mac);
		struct th_expect e = *verdict;
		char ip[16];

		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 200, 1 + i % 200);
		/* The outcome depends on the sketch: known only after the frame. */
		{
			struct th_snap snap;
			size_t len;
			int act;

			th_snap(t, mac, &snap);
			act = th_send_len(t,
					  FRAME(TCP4(40000, 23, SYN), .src_mac = mac,
						.src_ip = src_ip, .dst_ip = ip),
					  &len);
			ck_assert_int_eq(act, e.xdp);
			after = dev_of(t, mac).scan_count;
			ck_assert_msg(after == before || after == before + 1,
				      "scan count jumped from %u to %u", before, after);
			if (after == thr + 1 && before == thr)
				ev |= EV(SCAN) | extra;
			/* VIOLATION events stop at the per-second limit. */
			if (sent < IFN_EVENT_LIMIT_DEFAULT)
				ev |= EV(VIOLATION);
			e.events = ev;
			th_expect_delta(t, mac, &snap, len, &e, "distinct violating flow");
		}
		if (after == thr + 1) {
			ck_assert_int_ge(i + 1, (int)thr + 1);
			return i + 1;
		}
	}
	ck_abort_msg("64 distinct flows never crossed the scan threshold");
	return 0;
}

START_TEST(scan_auto_quarantine)
{
	const struct ifn_event *ev;
	int i, n;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 " PEER);
	for (i = 0; i < 20; i++)
		th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS), "the allowed flow");
	for (i = 0; i < 50; i++)
		th_step(&t, FRAME(TCP4(40000, 23, SYN)),
			EXPECT(DROP(NOT_IN_FINGERPRINT), .events = i < 8 ? EV(VIOLATION) : 0),
			"the same violating flow: one in the sketch");
	ck_assert_uint_eq(dev_of(&t, DEV).scan_count, 1);
	ck_assert_uint_eq(dev_of(&t, DEV).mode, E);
	n = scan_until_crossed(&t, DEV, DEV_IP, EXPECT(DROP(NOT_IN_FINGERPRINT)),
			       EV(AUTO_QUARANTINE));
	/* 16 flows and the repeated one: a collision or two at most. */
	ck_assert_int_le(n, 16 + 3);
	ev = last_event(&t, IFN_EV_AUTO_QUARANTINE);
	ck_assert_uint_eq(ev->value, 17);
	ck_assert_uint_eq(ev->mode, Q);
	ck_assert_uint_eq(dev_of(&t, DEV).mode, Q);
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(DROP(QUARANTINE)),
		"the allowed flow is now dropped");
	th_step(&t, FRAME(.arp_op = 1, .arp_sender_ip = DEV_IP), EXPECT(PASS), "ARP still passes");
	th_teardown(&t);
}
END_TEST

START_TEST(scan_monitor_and_no_auto)
{
	struct ifn_config c;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, M);
	th_add_device(&t, DEV2, E);
	scan_until_crossed(&t, DEV, DEV_IP, EXPECT(ALERT(NOT_IN_FINGERPRINT)), 0);
	ck_assert_uint_eq(dev_of(&t, DEV).mode, M);
	c = th_config(&t);
	c.flags &= ~IFN_CFG_F_AUTO_QUARANTINE;
	th_set_config(&t, &c);
	scan_until_crossed(&t, DEV2, "192.168.1.12", EXPECT(DROP(NOT_IN_FINGERPRINT)), 0);
	ck_assert_uint_eq(dev_of(&t, DEV2).mode, E);
	th_teardown(&t);
}
END_TEST

START_TEST(scan_window)
{
	struct th t;
	int i;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	for (i = 0; i < 30; i++) {
		char ip[16];

		/* 15 distinct flows a window, 30 in all: never above 16 in one. */
		if (i == 15)
			*t.now += IFN_SCAN_WINDOW_NS_DEFAULT;
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		th_step(&t, FRAME(TCP4(40000, 23, SYN), .dst_ip = ip),
			EXPECT(DROP(NOT_IN_FINGERPRINT), .events = i % 15 < 8 ? EV(VIOLATION) : 0),
			"distinct flows in two windows");
	}
	ck_assert_uint_eq(dev_of(&t, DEV).mode, E);
	th_teardown(&t);
}
END_TEST

START_TEST(event_limit)
{
	struct ifn_dev_stats st;
	struct ifn_global_stats gs;
	struct th t;
	int i;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	/* Align to the start of an event period (2^30 ns). */
	*t.now = (*t.now | ((1ULL << 30) - 1)) + 1;
	for (i = 0; i < 12; i++)
		th_step(&t, FRAME(TCP4(40000, 23, SYN)),
			EXPECT(DROP(NOT_IN_FINGERPRINT), .events = i < 8 ? EV(VIOLATION) : 0),
			"eight VIOLATION events a period, then none");
	th_global(&t, &gs);
	ck_assert_uint_eq(gs.events_lost, 4);
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.events_suppressed, 4);
	*t.now += 1ULL << 30;
	th_step(&t, FRAME(TCP4(40000, 23, SYN)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"the next period: events again");
	th_teardown(&t);
}
END_TEST

TH_SUITE(seq_suite)
static Suite *seq_suite(void)
{
	Suite *s = suite_create("datapath-sequences");
	TCase *tc = tcase_create("sequences");

	/* Each test loads the program: on a loaded machine that is seconds. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, eth_trunc_unreachable);
	tcase_add_test(tc, frag_v4_enforce);
	tcase_add_test(tc, frag_v6_enforce);
	tcase_add_test(tc, frag_learn);
	tcase_add_test(tc, frag_monitor_quarantine);
	tcase_add_test(tc, frag_baseline);
	tcase_add_test(tc, frag_no_scan);
	tcase_add_test(tc, frag_other_device);
	tcase_add_test(tc, cache_follows_fingerprint);
	tcase_add_test(tc, mapped_source_not_tracked);
	tcase_add_test(tc, new_device_event_limited);
	tcase_add_test(tc, device_cache_after_forget);
	tcase_add_test(tc, server_reply);
	tcase_add_test(tc, learning_deadline);
	tcase_add_test(tc, temporary_mode);
	tcase_add_test(tc, unknown_interface_defaults);
	tcase_add_test(tc, fingerprint_cap);
	tcase_add_test(tc, table_full);
	tcase_add_test(tc, ip_change_and_conflict);
	tcase_add_test(tc, ipv6_addresses);
	tcase_add_test(tc, rate_pps);
	tcase_add_test(tc, rate_bps);
	tcase_add_test(tc, rate_monitor_and_learn);
	tcase_add_test(tc, rate_high_no_wrap);
	tcase_add_test(tc, scan_auto_quarantine);
	tcase_add_test(tc, scan_monitor_and_no_auto);
	tcase_add_test(tc, scan_window);
	tcase_add_test(tc, event_limit);
	tcase_add_test(tc, rules_in_bulk);
	tcase_add_test(tc, frag_rate_limited);
	suite_add_tcase(s, tc);
	return s;
}
