// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Frames of a device that are about someone else's packets (iotfence.8,
 * ANSWERS): ICMP errors judged by the flow they quote, and answers to the
 * inbound attempts noted in ifn_inbound (written here as the egress
 * program writes them). Then the rule kinds they need: local-networks
 * and port ranges. Each step asserts every counter and event (th_step).
 */
#include <arpa/inet.h>
#include <string.h>

#include <bpf/bpf.h>

#include "harness.h"
#include "dp.h"

#define SEC 1000000000ULL
#define LANPEER "192.168.1.20"

/*
 * An ICMP error from the device about the packet @q (which the peer sent
 * to the device): its IP header and the first @l4 bytes after it.
 */
struct quoted {
	__u8 buf[256];
	size_t len;
};

static void quote(const struct frame_spec *q, size_t l4, struct quoted *out)
{
	__u8 fr[512];
	size_t n = frame_build(q, fr, sizeof(fr)), ip = strchr(q->src_ip, ':') ? 40 : 20;

	ck_assert_uint_gt(n, 14 + ip + l4 - 1);
	memcpy(out->buf, fr + 14, ip + l4);
	out->len = ip + l4;
}

static int send_error(struct th *t, const struct frame_spec *err, const struct quoted *q,
		      const struct th_expect *e, const char *what)
{
	struct frame_spec f = *err;

	f.payload = q->len;
	f.payload_data = q->buf;
	th_step(t, &f, e, what);
	return 0;
}

/* The egress program's note of an attempt from @peer:@pport to @dev's @dport. */
static void note(struct th *t, const char *dev, const char *peer, __u8 proto, __u16 pport,
		 __u16 dport, bool syn, __u64 when)
{
	struct ifn_in_key k = { .proto = proto, .peer_port = pport, .dev_port = dport };
	struct ifn_in_val v = { .seen_ns = when, .syn = syn };
	__u8 a4[4];

	frame_mac(dev, k.mac);
	if (inet_pton(AF_INET, peer, a4) == 1) {
		k.peer[10] = 0xff;
		k.peer[11] = 0xff;
		memcpy(k.peer + 12, a4, 4);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, peer, k.peer), 1);
	}
	ck_assert_int_eq(bpf_map_update_elem(t->m.inbound, &k, &v, BPF_ANY), 0);
}

static void set_answers_drop(struct th *t, bool drop)
{
	struct ifn_config c = th_config(t);

	if (drop)
		c.flags |= IFN_CFG_F_ANSWERS_DROP;
	else
		c.flags &= ~IFN_CFG_F_ANSWERS_DROP;
	th_set_config(t, &c);
}

/* Packets the peer sent to the device, as a quote would carry them. */
#define IN_UDP4(sp, dp) .src_ip = PEER, .dst_ip = DEV_IP, .proto = 17, .sport = sp, .dport = dp
#define IN_TCP4(sp, dp, fl) \
	.src_ip = PEER, .dst_ip = DEV_IP, .proto = 6, .sport = sp, .dport = dp, .tcp_flags = fl
#define UNREACH4 ICMP4(3), .icmp_code = 3

START_TEST(icmp_error_by_quote_v4)
{
	struct quoted q;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/53 " PEER);
	th_allow(&t, DEV, "tcp/80 " PEER " server");

	/* A late DNS reply: port unreachable about an allowed flow. */
	quote(FRAME(IN_UDP4(53, 40000)), 8, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(PASS), "unreachable, quotes udp/53");
	/* Time exceeded and parameter problem are errors too. */
	send_error(&t, FRAME(ICMP4(11)), &q, EXPECT(PASS), "time exceeded, quotes udp/53");
	send_error(&t, FRAME(ICMP4(12)), &q, EXPECT(PASS), "parameter problem, quotes udp/53");
	/* The same quote about a flow outside the fingerprint. */
	quote(FRAME(IN_UDP4(5000, 40000)), 8, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		   "unreachable, quotes udp/5000");
	/* A quote of a packet from someone else than the error's destination. */
	quote(FRAME(IN_UDP4(53, 40000), .src_ip = "9.9.9.9"), 8, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		   "quote of another peer's packet");
	/* A quote of a packet to another address than the device's. */
	quote(FRAME(IN_UDP4(53, 40000), .dst_ip = "192.168.1.99"), 8, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		   "quote of a packet to another address");
	/* A quote cut before its 8 bytes of ports: no quote. */
	quote(FRAME(IN_UDP4(53, 40000)), 4, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		   "quote without its ports");
	/* A SYN to the device's server port, quoted with its flags: the server key. */
	quote(FRAME(IN_TCP4(50000, 80, SYN)), 20, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(PASS), "quotes a SYN to tcp/80 server");
	/* Without flags (8 bytes) both keys are tried: still the server one. */
	quote(FRAME(IN_TCP4(50000, 80, SYN)), 8, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(PASS), "quotes 8 bytes of tcp/80");
	/* A SYN to another port of the device. */
	quote(FRAME(IN_TCP4(50000, 81, SYN)), 20, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		   "quotes a SYN to tcp/81");
	/* Not an error: an echo request with the same bytes is its own flow. */
	quote(FRAME(IN_UDP4(53, 40000)), 8, &q);
	send_error(&t, FRAME(ICMP4(8)), &q, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		   "echo request is no error");
	th_teardown(&t);
}
END_TEST

START_TEST(icmp_error_by_quote_v6)
{
	struct quoted q;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 " PEER6);
	quote(FRAME(.src_ip = PEER6, .dst_ip = DEV6, .proto = 6, .sport = 443, .dport = 40000,
		    .tcp_flags = ACK),
	      20, &q);
	send_error(&t, FRAME(ICMP6(DEV6, PEER6, 1), .icmp_code = 4), &q, EXPECT(PASS),
		   "v6 unreachable, quotes tcp/443");
	send_error(&t, FRAME(ICMP6(DEV6, PEER6, 2)), &q, EXPECT(PASS),
		   "v6 packet too big, quotes tcp/443");
	quote(FRAME(.src_ip = PEER6, .dst_ip = DEV6, .proto = 6, .sport = 444, .dport = 40000,
		    .tcp_flags = ACK),
	      20, &q);
	send_error(&t, FRAME(ICMP6(DEV6, PEER6, 1), .icmp_code = 4), &q,
		   EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "v6 unreachable, quotes tcp/444");
	th_teardown(&t);
}
END_TEST

START_TEST(icmp_error_learn_mode)
{
	struct quoted q;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, L);
	th_allow(&t, DEV, "udp/53 " PEER);
	quote(FRAME(IN_UDP4(53, 40000)), 8, &q);
	/* About a flow it has: passes, and nothing is learned from it. */
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(PASS), "learn: quotes udp/53");
	ck_assert_uint_eq(th_flow_count(&t, DEV), 1);
	th_teardown(&t);
}
END_TEST

/* A port scan of the device: each SYN noted, each answered with a RST/ACK. */
START_TEST(answers_are_not_a_scan)
{
	struct ifn_device d;
	unsigned int i;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 " PEER);
	for (i = 0; i < 200; i++) {
		note(&t, DEV, PEER, 6, 50000, 1000 + i, true, *t.now);
		th_step(&t, FRAME(TCP4(1000 + i, 50000, FR_RST | ACK)), EXPECT(PASS),
			"RST/ACK to a noted SYN");
	}
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.mode, E);
	ck_assert_uint_eq(d.scan_count, 0);
	/* Its own flows still pass, and its own scan is still one. */
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS), "its cloud");
	for (i = 0; i < IFN_SCAN_THRESHOLD_DEFAULT; i++) {
		*t.now += SEC / 4; /* below the event limit, inside one scan window */
		th_step(&t, FRAME(TCP4(40000, 2000 + i, SYN)),
			EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "its own scan");
	}
	*t.now += SEC / 4;
	th_step(&t, FRAME(TCP4(40000, 3000, SYN)),
		EXPECT(DROP(NOT_IN_FINGERPRINT),
		       .events = EV(VIOLATION) | EV(SCAN) | EV(AUTO_QUARANTINE)),
		"its own scan crosses the threshold");
	th_teardown(&t);
}
END_TEST

START_TEST(answer_kinds)
{
	struct quoted q;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	/* Unnoted: as before, each is a flow of its own. */
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"RST, no note");
	note(&t, DEV, PEER, 6, 50000, 23, true, *t.now);
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(PASS), "RST to a noted SYN");
	th_step(&t, FRAME(TCP4(23, 50000, SYNACK)), EXPECT(PASS), "SYN/ACK to a noted SYN");
	/* Other ports than the attempt's are not its answer. */
	th_step(&t, FRAME(TCP4(23, 50001, FR_RST)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"RST to another port of the peer");
	th_step(&t, FRAME(TCP4(24, 50000, FR_RST)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"RST from another port of the device");
	/* A data frame is no answer, whatever was noted. */
	th_step(&t, FRAME(TCP4(23, 50000, PSHACK)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"data to a noted attempt");
	/* A SYN/ACK answers a SYN, not a frame of a connection. */
	note(&t, DEV, PEER, 6, 50002, 25, false, *t.now);
	th_step(&t, FRAME(TCP4(25, 50002, FR_RST)), EXPECT(PASS), "RST to a noted ACK");
	th_step(&t, FRAME(TCP4(25, 50002, SYNACK)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"SYN/ACK to a noted ACK");
	/* UDP: from the attempted port back to the sender's. */
	note(&t, DEV, PEER, 17, 41000, 161, false, *t.now);
	th_step(&t, FRAME(UDP4(161, 41000)), EXPECT(PASS), "UDP reply");
	th_step(&t, FRAME(UDP4(162, 41000)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"UDP from another port");
	/* Echo reply to an echo request (type 8, code 0). */
	th_step(&t, FRAME(ICMP4(0)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "echo reply, no note");
	note(&t, DEV, PEER, 1, 8, 0, false, *t.now);
	th_step(&t, FRAME(ICMP4(0)), EXPECT(PASS), "echo reply to a noted request");
	note(&t, DEV, PEER6, 58, 128, 0, false, *t.now);
	th_step(&t, FRAME(ICMP6(DEV6, PEER6, 129)), EXPECT(PASS), "v6 echo reply to a request");
	/* An ICMP error that quotes a noted attempt. */
	note(&t, DEV, PEER, 17, 41001, 9999, false, *t.now);
	quote(FRAME(IN_UDP4(41001, 9999)), 8, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(PASS), "unreachable to a noted attempt");
	quote(FRAME(IN_UDP4(41001, 9998)), 8, &q);
	send_error(&t, FRAME(UNREACH4), &q, EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		   "unreachable to an attempt not noted");
	/* The memory ends: 30 s by default. */
	*t.now += 31 * SEC;
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"RST after the answer memory");
	th_teardown(&t);
}
END_TEST

START_TEST(answers_setting)
{
	struct ifn_config c;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_add_device(&t, DEV2, M);
	note(&t, DEV, PEER, 6, 50000, 23, true, *t.now);
	note(&t, DEV2, PEER, 6, 50000, 23, true, *t.now);
	set_answers_drop(&t, true);
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(DROP(ANSWER)), "answers drop: dropped");
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST), .src_mac = DEV2, .src_ip = "192.168.1.11"),
		EXPECT(ALERT(ANSWER)), "answers drop, monitor: an alert, no event");
	set_answers_drop(&t, false);
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(PASS), "answers pass");
	/* A shorter memory. */
	c = th_config(&t);
	c.answer_s = 5;
	th_set_config(&t, &c);
	*t.now += 6 * SEC;
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"past a 5 s memory");
	th_teardown(&t);
}
END_TEST

START_TEST(answers_learn_mode)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, L);
	note(&t, DEV, PEER, 6, 50000, 80, true, *t.now);
	note(&t, DEV, PEER, 6, 50001, 81, true, *t.now);
	/* A RST is never learned; a SYN/ACK is the service it answers. */
	th_step(&t, FRAME(TCP4(81, 50001, FR_RST | ACK)), EXPECT(PASS), "learn: RST");
	ck_assert_uint_eq(th_flow_count(&t, DEV), 0);
	th_step(&t, FRAME(TCP4(80, 50000, SYNACK)), EXPECT(PASS, .flows = 1), "learn: SYN/ACK");
	ck_assert(th_has_flow(&t, DEV, "tcp/80 " PEER " server"));
	th_teardown(&t);
}
END_TEST

START_TEST(local_networks_rules)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/9999 local-networks server");
	th_step(&t, FRAME(TCP4(9999, 50000, SYNACK), .dst_ip = LANPEER), EXPECT(PASS),
		"serves a LAN peer");
	th_step(&t, FRAME(TCP4(9999, 50000, ACK), .dst_ip = "10.1.2.3"), EXPECT(PASS),
		"serves 10/8");
	th_step(&t, FRAME(TCP4(9999, 50000, ACK), .dst_ip = "172.31.0.1"), EXPECT(PASS),
		"serves 172.16/12");
	th_step(&t, FRAME(TCP4(9999, 50000, ACK), .dst_ip = "169.254.1.1"), EXPECT(PASS),
		"serves link-local");
	th_step(&t, FRAME(TCP4(9999, 50000, ACK), .dst_ip = "172.32.0.1"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "172.32 is not private");
	th_step(&t, FRAME(TCP4(9999, 50000, SYNACK)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"a public peer");
	th_step(&t, FRAME(TCP4(9998, 50000, SYNACK), .dst_ip = LANPEER),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "another port");
	th_step(&t, FRAME(TCP4(50000, 9999, SYN), .dst_ip = LANPEER),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "client of the port: not the rule");
	th_step(&t, FRAME(TCP6(9999, 50000, SYNACK), .dst_ip = "fd00::5"), EXPECT(PASS),
		"serves a ULA peer");
	th_step(&t, FRAME(TCP6(9999, 50000, SYNACK), .src_ip = LL6, .dst_ip = "fe80::5"),
		EXPECT(PASS), "serves a link-local peer");
	th_step(&t, FRAME(TCP6(9999, 50000, SYNACK)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"a global IPv6 peer");
	th_teardown(&t);
}
END_TEST

START_TEST(local_networks_gateway_prefix)
{
	struct ifn_lan_key k = { .prefixlen = 64 };
	__u32 one = 1;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/9999 local-networks server");
	th_step(&t, FRAME(TCP6(9999, 50000, SYNACK), .dst_ip = "2001:db8::20"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "a global peer, no LAN prefix");
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::", k.addr), 1);
	ck_assert_int_eq(bpf_map_update_elem(t.m.lan_nets, &k, &one, BPF_ANY), 0);
	/* Another frame than the first, whose decision is cached: attach sets prefixes. */
	th_step(&t, FRAME(TCP6(9999, 50001, SYNACK), .dst_ip = "2001:db8::20"), EXPECT(PASS),
		"the gateway's LAN prefix");
	th_teardown(&t);
}
END_TEST

START_TEST(port_range_rules)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "udp/1024-65535 " PEER);
	th_step(&t, FRAME(UDP4(23456, 34567)), EXPECT(PASS), "a P2P session");
	th_step(&t, FRAME(UDP4(40000, 1024)), EXPECT(PASS), "the range's first port");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"below the range");
	th_step(&t, FRAME(UDP4(23456, 34567), .dst_ip = "52.1.2.4"),
		EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL), "another peer");
	th_step(&t, FRAME(TCP4(23456, 34567, SYN)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"another protocol");
	/* A wider port-any rule holds beside the range. */
	th_allow(&t, DEV, "udp 52.1.0.0/16");
	th_step(&t, FRAME(UDP4(40000, 53)), EXPECT(PASS), "the wider rule under the range");
	th_teardown(&t);
}
END_TEST

/* The egress program on a frame the gateway delivers to the device. */
static void deliver(struct th *t, const struct frame_spec *f)
{
	__u8 in[FR_MAX];
	size_t n = frame_build(f, in, sizeof(in));

	ck_assert_uint_gt(n, 0);
	th_egress(t, in, n, 0);
}

#define GW "02:00:00:00:00:fe"
#define TO_DEV(...) FRAME(.src_mac = GW, .dst_mac = DEV, __VA_ARGS__)

/* What the egress program notes is what the XDP program knows for answers. */
START_TEST(egress_notes_answers)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 " PEER);
	deliver(&t, TO_DEV(IN_TCP4(50000, 23, SYN)));
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST | ACK)), EXPECT(PASS), "RST to a delivered SYN");
	deliver(&t, TO_DEV(IN_TCP4(50000, 80, SYN)));
	th_step(&t, FRAME(TCP4(80, 50000, SYNACK)), EXPECT(PASS), "SYN/ACK to a delivered SYN");
	deliver(&t, TO_DEV(IN_UDP4(41000, 161)));
	th_step(&t, FRAME(UDP4(161, 41000)), EXPECT(PASS), "UDP reply to a delivered datagram");
	deliver(&t, TO_DEV(.src_ip = PEER, .dst_ip = DEV_IP, .proto = 1, .icmp_type = 8));
	th_step(&t, FRAME(ICMP4(0)), EXPECT(PASS), "echo reply to a delivered request");
	deliver(&t, TO_DEV(.src_ip = PEER6, .dst_ip = DEV6, .proto = 58, .icmp_type = 128));
	th_step(&t, FRAME(ICMP6(DEV6, PEER6, 129)), EXPECT(PASS), "v6 echo reply");
	/* Delivered to another device: no note for this one. */
	deliver(&t, FRAME(.src_mac = GW, .dst_mac = DEV2, IN_TCP4(50000, 24, SYN)));
	th_step(&t, FRAME(TCP4(24, 50000, FR_RST)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"a SYN delivered to another device");
	th_teardown(&t);
}
END_TEST

/*
 * The notes' cache (ifn_in_recent) skips a write only for the note's own
 * last write: a SYN after a non-SYN of the same ports, and the reverse,
 * within a second, change the note; notes that share a slot stay notes.
 */
START_TEST(egress_note_cache)
{
	unsigned int i, round;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	deliver(&t, TO_DEV(IN_TCP4(50000, 23, ACK)));
	deliver(&t, TO_DEV(IN_TCP4(50000, 23, SYN)));
	th_step(&t, FRAME(TCP4(23, 50000, SYNACK)), EXPECT(PASS), "SYN/ACK to a SYN after an ACK");
	deliver(&t, TO_DEV(IN_TCP4(50001, 24, SYN)));
	deliver(&t, TO_DEV(IN_TCP4(50001, 24, ACK)));
	th_step(&t, FRAME(TCP4(24, 50001, SYNACK)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"SYN/ACK to an ACK after a SYN: the device's own");
	/* More attempts than the cache has slots (no probes: high ports), twice. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < IFN_IN_RECENT_SLOTS + 100; i++)
			deliver(&t, TO_DEV(IN_UDP4(20000 + round, 40000 + i)));
		for (i = 0; i < IFN_IN_RECENT_SLOTS + 100; i += 97)
			th_step(&t, FRAME(UDP4(40000 + i, 20000 + round)), EXPECT(PASS),
				"UDP reply to one of many attempts");
	}
	th_teardown(&t);
}
END_TEST

/* A prober of many ports: PROBED on the victim, once; a cloud's replies are no probe. */
START_TEST(egress_probed)
{
	const struct ifn_event *e = NULL;
	unsigned int i;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_add_device(&t, DEV2, E);
	/* Replies of the cloud to the device's connections, at random ports. */
	for (i = 0; i < 40; i++)
		deliver(&t, TO_DEV(IN_TCP4(443, 40000 + i, SYNACK)));
	th_events(&t);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_PROBED, NULL), 0);
	/* One port on the other device, then a scan of this one. */
	deliver(&t, FRAME(.src_mac = GW, .dst_mac = DEV2, IN_TCP4(50000, 22, SYN)));
	for (i = 0; i < IFN_SCAN_THRESHOLD_DEFAULT / 2; i++)
		deliver(&t, TO_DEV(IN_TCP4(50000, 1 + i, SYN)));
	th_events(&t);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_PROBED, NULL), 0);
	deliver(&t, TO_DEV(IN_TCP4(50000, 100, SYN)));
	for (i = 0; i < 100; i++)
		deliver(&t, TO_DEV(IN_TCP4(50000, 200 + i, SYN)));
	th_events(&t);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_PROBED, DEV), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_PROBED, NULL), 1);
	for (i = 0; i < t.nev; i++)
		if (t.ev[i].type == IFN_EV_PROBED)
			e = &t.ev[i];
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->value, IFN_SCAN_THRESHOLD_DEFAULT / 2 + 1);
	ck_assert_uint_eq(e->count2, 2);
	ck_assert_uint_eq(e->addr[12], 52);
	ck_assert_uint_eq(e->addr[15], 3);
	ck_assert_uint_eq(e->mode, E);
	/* The victim is no scanner: nothing of its own was counted. */
	{
		struct ifn_device d;

		ck_assert(th_device(&t, DEV, &d, NULL));
		ck_assert_uint_eq(d.scan_count, 0);
		ck_assert_uint_eq(d.mode, E);
	}
	th_teardown(&t);
}
END_TEST

/*
 * Found by the differential model (tests/diff): an answer is no frame the
 * fingerprint allows, so it takes no tokens (RATE LIMITS): a scan's resets
 * must not starve the device's own flows.
 */
START_TEST(answers_take_no_tokens)
{
	unsigned int i;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	th_allow(&t, DEV, "tcp/443 " PEER);
	th_set_rate(&t, DEV, 1, 0, 0, 0);
	for (i = 0; i < 5; i++) {
		note(&t, DEV, PEER, 6, 50000, 1000 + i, true, *t.now);
		th_step(&t, FRAME(TCP4(1000 + i, 50000, FR_RST | ACK)), EXPECT(PASS),
			"RST/ACK to a noted SYN");
	}
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS), "its cloud keeps its token");
	th_step(&t, FRAME(TCP4(40000, 443, SYN)),
		EXPECT(DROP(RATE_LIMIT), .events = EV(RATE_EXCEEDED)), "and the rate holds");
	th_teardown(&t);
}
END_TEST

/* A note answers for less than answer-memory: at 30 s exactly it is gone. */
START_TEST(answer_memory_is_strict)
{
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	note(&t, DEV, PEER, 6, 50000, 23, true, *t.now);
	*t.now += IFN_ANSWER_S_DEFAULT * SEC - 1;
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(PASS),
		"RST 1 ns before the memory ends");
	*t.now += 1;
	th_step(&t, FRAME(TCP4(23, 50000, FR_RST)), EXPECT(DROP(NOT_IN_FINGERPRINT), VIOL),
		"RST when the memory ends");
	th_teardown(&t);
}
END_TEST

/* A learning device at its cap meets enforce: its answers stay answers. */
START_TEST(answer_at_learning_cap)
{
	struct ifn_config c;
	struct ifn_device d;
	struct th t;

	th_setup(&t, NULL);
	c = th_config(&t);
	c.fingerprint_cap = 1;
	th_set_config(&t, &c);
	th_add_device(&t, DEV, L);
	th_step(&t, FRAME(TCP4(40000, 443, SYN)), EXPECT(PASS, .flows = 1), "learns its cloud");
	note(&t, DEV, PEER, 17, 41000, 161, false, *t.now);
	th_step(&t, FRAME(UDP4(161, 41000)), EXPECT(PASS, .events = EV(FINGERPRINT_CAP)),
		"a UDP reply at the cap: an answer, no VIOLATION");
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.mode, E);
	ck_assert_uint_eq(d.scan_count, 0);
	th_teardown(&t);
}
END_TEST

/*
 * A sweep of consecutive ports, more than half the threshold, is PROBED
 * (the sketch must spread consecutive ports); the same sweep, with the
 * same source port, in a later window is probed again.
 */
START_TEST(egress_probed_each_window)
{
	unsigned int i, round;
	struct th t;

	th_setup(&t, NULL);
	th_add_device(&t, DEV, E);
	for (round = 0; round < 2; round++) {
		for (i = 0; i <= IFN_SCAN_THRESHOLD_DEFAULT / 2; i++)
			deliver(&t, TO_DEV(IN_TCP4(50000, 1 + i, SYN)));
		/* Events add up over the test: one more each window. */
		ck_assert_uint_eq(th_count_events(&t, IFN_EV_PROBED, DEV), round + 1);
		*t.now += IFN_SCAN_WINDOW_NS_DEFAULT + SEC;
	}
	th_teardown(&t);
}
END_TEST

TH_SUITE(answers_suite)
static Suite *answers_suite(void)
{
	Suite *s = suite_create("datapath-answers");
	TCase *tc = tcase_create("answers");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, icmp_error_by_quote_v4);
	tcase_add_test(tc, icmp_error_by_quote_v6);
	tcase_add_test(tc, icmp_error_learn_mode);
	tcase_add_test(tc, answers_are_not_a_scan);
	tcase_add_test(tc, answer_kinds);
	tcase_add_test(tc, answers_setting);
	tcase_add_test(tc, answers_learn_mode);
	tcase_add_test(tc, local_networks_rules);
	tcase_add_test(tc, local_networks_gateway_prefix);
	tcase_add_test(tc, port_range_rules);
	tcase_add_test(tc, egress_notes_answers);
	tcase_add_test(tc, egress_probed);
	tcase_add_test(tc, egress_note_cache);
	tcase_add_test(tc, answers_take_no_tokens);
	tcase_add_test(tc, answer_memory_is_strict);
	tcase_add_test(tc, answer_at_learning_cap);
	tcase_add_test(tc, egress_probed_each_window);
	suite_add_tcase(s, tc);
	return s;
}
