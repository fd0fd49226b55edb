// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Every event the datapath sends, with exact counts and fields, and the
 * per-device, per-type limiting that keeps a flood from drowning the rest:
 * the virtual clock stands still during a BPF_PROG_TEST_RUN repeat, so a
 * million frames fall in one limiting period and the counts are exact.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <string.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "evstream.h"
#include "harness.h"
#include "parse.h"

#define DEV "02:00:00:00:00:01"
#define DEV2 "02:00:00:00:00:02"
#define SEC 1000000000ULL
/* One event-limiting period of the datapath (IFN_EV_PERIOD_SHIFT). */
#define EV_PERIOD (1ULL << 30)

static const struct frame_spec syn443 = {
	.src_mac = DEV,
	.src_ip = "192.168.1.10",
	.dst_ip = "52.1.2.3",
	.proto = 6,
	.sport = 40000,
	.dport = 443,
	.tcp_flags = FR_SYN,
};

/*
 * syn443 from another device, with an address of its own (02:..:xx:yy ->
 * 192.168.xx+1.yy+9, so DEV keeps syn443's), lest devices that share an
 * address report IP_CONFLICT in tests about something else.
 */
static struct frame_spec dev_frame(const char *mac, char ip[20])
{
	struct frame_spec f = syn443;
	__u8 m[6];

	frame_mac(mac, m);
	snprintf(ip, 20, "192.168.%u.%u", m[4] + 1, m[5] + 9);
	f.src_mac = mac;
	f.src_ip = ip;
	return f;
}

/* The first event of a type (for a MAC, or any), failing the test if none. */
static const struct ifn_event *ev_find(struct th *t, __u32 type, const char *mac)
{
	unsigned int i;
	__u8 m[6];

	th_events(t);
	if (mac)
		frame_mac(mac, m);
	for (i = 0; i < t->nev; i++)
		if (t->ev[i].type == type && (!mac || !memcmp(t->ev[i].mac, m, 6)))
			return &t->ev[i];
	ck_abort_msg("no event of type %u", type);
	return NULL;
}

static void ev_check_flow(const struct ifn_event *e, const char *dst, __u8 proto, __u16 port,
			  __u8 dir)
{
	__u8 peer[16] = { [10] = 0xff, [11] = 0xff };

	ck_assert(inet_pton(AF_INET, dst, peer + 12) == 1);
	ck_assert_uint_eq(e->flow.family, IFN_FAMILY_IPV4);
	ck_assert_uint_eq(e->flow.proto, proto);
	ck_assert_uint_eq(e->flow.port, port);
	ck_assert_uint_eq(e->flow.dir, dir);
	ck_assert(!memcmp(e->flow.peer, peer, 16));
	ck_assert(!memcmp(e->flow.mac, e->mac, 6));
}

/* A device that has learnt one flow (syn443 for its MAC), then @mode. */
static void known_device(struct th *t, const char *mac, __u8 mode)
{
	char ip[20];
	struct frame_spec f = dev_frame(mac, ip);

	ck_assert_int_eq(th_send(t, &f), XDP_PASS);
	th_set_mode(t, mac, mode);
}

static __u64 lost(struct th *t)
{
	struct ifn_global_stats gs;

	th_global(t, &gs);
	return gs.events_lost;
}

static __u64 suppressed(struct th *t, const char *mac)
{
	struct ifn_dev_stats st;

	ck_assert(th_device(t, mac, NULL, &st));
	return st.events_suppressed;
}

START_TEST(new_device)
{
	static const char *const macs[] = { "02:00:00:00:00:01", "02:00:00:00:00:02",
					    "02:00:00:00:00:03" };
	struct frame_spec f;
	char ip[20];
	struct th t;
	unsigned int i, r;

	th_setup(&t, NULL);
	for (r = 0; r < 2; r++) {
		for (i = 0; i < 3; i++) {
			f = dev_frame(macs[i], ip);
			ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
		}
	}
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_NEW_DEVICE, NULL), 3);
	for (i = 0; i < 3; i++) {
		const struct ifn_event *e = ev_find(&t, IFN_EV_NEW_DEVICE, macs[i]);

		ck_assert_uint_eq(e->mode, IFN_MODE_LEARN);
		ck_assert_uint_eq(e->value, IFN_MODE_LEARN);
		ck_assert_uint_eq(e->ifindex, 1);
		ck_assert_uint_eq(e->time_ns, *t.now);
	}
	ck_assert_uint_eq(t.nev, 3); /* and nothing else */
	ck_assert_uint_eq(lost(&t), 0);
	th_teardown(&t);
}
END_TEST

START_TEST(learning_done)
{
	struct frame_spec other = syn443;
	const struct ifn_event *e;
	struct th t;

	th_setup(&t, NULL);
	th_iface(&t, IFN_MODE_LEARN, 60 * SEC);
	ck_assert_int_eq(th_send(&t, &syn443), XDP_PASS);
	other.dport = 8443;
	ck_assert_int_eq(th_send(&t, &other), XDP_PASS);
	*t.now += 59 * SEC;
	ck_assert_int_eq(th_send(&t, &syn443), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_LEARNING_DONE, DEV), 0);
	*t.now += 2 * SEC;
	ck_assert_int_eq(th_send(&t, &syn443), XDP_PASS);
	ck_assert_int_eq(th_send(&t, &syn443), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_LEARNING_DONE, DEV), 1);
	e = ev_find(&t, IFN_EV_LEARNING_DONE, DEV);
	ck_assert_uint_eq(e->value, 2); /* flows learnt */
	ck_assert_uint_eq(e->mode, IFN_MODE_ENFORCE);
	ck_assert_uint_eq(e->time_ns, *t.now);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), 0);
	th_teardown(&t);
}
END_TEST

START_TEST(violation_and_limit)
{
	struct frame_spec f = syn443;
	struct ifn_config cfg;
	unsigned int i, n;
	struct th t;

	th_setup(&t, NULL);
	known_device(&t, DEV, IFN_MODE_ENFORCE);
	cfg = th_config(&t);
	ck_assert_uint_eq(cfg.event_limit, IFN_EVENT_LIMIT_DEFAULT);
	/* Start at a period boundary, so that every frame below shares one. */
	*t.now = (*t.now / EV_PERIOD + 1) * EV_PERIOD;

	/* Five distinct flows outside the fingerprint, one repeated twice. */
	for (i = 0; i < 5; i++) {
		f.dport = 1000 + i;
		ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	}
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), 7);
	th_events(&t);
	for (i = 0, n = 0; i < t.nev; i++) {
		if (t.ev[i].type != IFN_EV_VIOLATION)
			continue;
		ev_check_flow(&t.ev[i], "52.1.2.3", 6, 1000 + (n < 5 ? n : 4), IFN_DIR_CLIENT);
		ck_assert_uint_eq(t.ev[i].mode, IFN_MODE_ENFORCE);
		n++;
	}
	/* Three more: the eighth is sent, the rest are counted as lost. */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), IFN_EVENT_LIMIT_DEFAULT);
	ck_assert_uint_eq(lost(&t), 2);
	ck_assert_uint_eq(suppressed(&t, DEV), 2);

	/* The next period starts afresh. */
	*t.now += EV_PERIOD;
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), IFN_EVENT_LIMIT_DEFAULT + 1);
	ck_assert_uint_eq(lost(&t), 2);

	/* Monitor reports the same, and passes the frame as an alert. */
	th_set_mode(&t, DEV, IFN_MODE_MONITOR);
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), IFN_EVENT_LIMIT_DEFAULT + 2);
	ck_assert_uint_eq(t.ev[t.nev - 1].mode, IFN_MODE_MONITOR);

	/* An event limit of 0 sends nothing and counts everything. */
	cfg.event_limit = 0;
	th_set_config(&t, &cfg);
	*t.now += EV_PERIOD;
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), IFN_EVENT_LIMIT_DEFAULT + 2);
	ck_assert_uint_eq(lost(&t), 3);
	th_teardown(&t);
}
END_TEST

/* A Mirai-like scan: SYNs to 23 (and every tenth to 2323) of 10.99.x.y. */
static void scan_target(unsigned int i, char *dst, size_t len, __u16 *port)
{
	snprintf(dst, len, "10.99.%u.%u", 200 + i / 250, 1 + i % 250);
	*port = i % 10 == 9 ? 2323 : 23;
}

static __u32 scan_count(struct th *t, const char *mac)
{
	struct ifn_device d;

	ck_assert(th_device(t, mac, &d, NULL));
	return d.scan_count;
}

/*
 * Send scan SYNs until the device's sketch holds @threshold + 1 distinct
 * flows (two flows may share a bit, so that is not always the frame with
 * that index); returns the index of the frame that crossed, after checking
 * every verdict and that no SCAN came earlier.
 */
static unsigned int scan_until_crossed(struct th *t, const char *mac, unsigned int threshold,
				       int xdp_before)
{
	char dst[32], ip[20];
	struct frame_spec f = dev_frame(mac, ip);
	unsigned int i, prev = 0, cnt;
	__u16 port;

	for (i = 0;; i++) {
		ck_assert_uint_lt(i, 64);
		scan_target(i, dst, sizeof(dst), &port);
		f.dst_ip = dst;
		f.dport = port;
		ck_assert_int_eq(th_send(t, &f), xdp_before);
		cnt = scan_count(t, mac);
		ck_assert_uint_le(cnt, prev + 1);
		prev = cnt;
		if (cnt == threshold + 1)
			return i;
		ck_assert_uint_eq(th_count_events(t, IFN_EV_SCAN, mac), 0);
	}
}

/*
 * Distinct hosts of one /24 are distinct flows. The sketch once hashed
 * IPv4 addresses so that their last octet never reached the bits it keeps:
 * a sweep of a subnet counted as one flow per port and was never a scan.
 */
START_TEST(scan_of_one_subnet)
{
	char dst[32], ip[20];
	struct frame_spec f;
	struct ifn_config cfg;
	unsigned int i;
	struct th t;

	th_setup(&t, NULL);
	cfg = th_config(&t);
	cfg.flags &= ~IFN_CFG_F_AUTO_QUARANTINE;
	cfg.scan_threshold = 128;
	th_set_config(&t, &cfg);
	known_device(&t, DEV, IFN_MODE_ENFORCE);
	f = dev_frame(DEV, ip);
	f.dport = 23;
	for (i = 0; i < 64; i++) {
		snprintf(dst, sizeof(dst), "10.99.200.%u", 1 + i);
		f.dst_ip = dst;
		ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	}
	/* 64 flows in 512 bits: about 60 distinct bits are expected. */
	ck_assert_uint_ge(scan_count(&t, DEV), 56);
	/* Likewise for ports of one host. */
	th_set_mode(&t, DEV, IFN_MODE_ENFORCE);
	f.dst_ip = "10.99.200.1";
	for (i = 0; i < 64; i++) {
		f.dport = 1 + i;
		ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	}
	ck_assert_uint_ge(scan_count(&t, DEV), 56);
	th_teardown(&t);
}
END_TEST

START_TEST(scan_quarantines_enforce)
{
	struct frame_spec f = syn443;
	const struct ifn_event *scan, *aq;
	struct ifn_dev_stats st;
	struct ifn_device d;
	unsigned int cross, i;
	char dst[32];
	__u16 port;
	struct th t;

	th_setup(&t, NULL);
	known_device(&t, DEV, IFN_MODE_ENFORCE);
	known_device(&t, DEV2, IFN_MODE_ENFORCE);
	cross = scan_until_crossed(&t, DEV, IFN_SCAN_THRESHOLD_DEFAULT, XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_AUTO_QUARANTINE, DEV), 1);
	scan = ev_find(&t, IFN_EV_SCAN, DEV);
	aq = ev_find(&t, IFN_EV_AUTO_QUARANTINE, DEV);
	/* SCAN before AUTO_QUARANTINE, both about the frame that crossed. */
	ck_assert(scan < aq);
	scan_target(cross, dst, sizeof(dst), &port);
	ev_check_flow(scan, dst, 6, port, IFN_DIR_CLIENT);
	ev_check_flow(aq, dst, 6, port, IFN_DIR_CLIENT);
	ck_assert_uint_eq(scan->value, IFN_SCAN_THRESHOLD_DEFAULT + 1);
	ck_assert_uint_eq(aq->value, IFN_SCAN_THRESHOLD_DEFAULT + 1);
	ck_assert_uint_eq(scan->mode, IFN_MODE_ENFORCE);
	ck_assert_uint_eq(aq->mode, IFN_MODE_QUARANTINE);
	ck_assert(th_device(&t, DEV, &d, &st));
	ck_assert_uint_eq(d.mode, IFN_MODE_QUARANTINE);
	ck_assert_uint_eq(ifn_mw_until(d.mode_word), 0);
	ck_assert_uint_eq(st.reason[IFN_REASON_NOT_IN_FINGERPRINT], cross + 1);

	/* The very next frame, even an allowed one, meets quarantine. */
	ck_assert_int_eq(th_send(&t, &syn443), XDP_DROP);
	for (i = 0; i < 50; i++) {
		scan_target(cross + 1 + i, dst, sizeof(dst), &port);
		f.dst_ip = dst;
		f.dport = port;
		ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	}
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.reason[IFN_REASON_QUARANTINE], 51);
	ck_assert_uint_eq(st.reason[IFN_REASON_NOT_IN_FINGERPRINT], cross + 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_AUTO_QUARANTINE, DEV), 1);

	/* The other device is untouched. */
	f = dev_frame(DEV2, dst);
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	ck_assert(th_device(&t, DEV2, &d, NULL));
	ck_assert_uint_eq(d.mode, IFN_MODE_ENFORCE);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV2), 0);
	th_teardown(&t);
}
END_TEST

START_TEST(scan_monitor_reports_only)
{
	struct ifn_device d;
	unsigned int cross;
	struct th t;

	th_setup(&t, NULL);
	known_device(&t, DEV, IFN_MODE_MONITOR);
	cross = scan_until_crossed(&t, DEV, IFN_SCAN_THRESHOLD_DEFAULT, XDP_PASS);
	ck_assert_uint_gt(cross, IFN_SCAN_THRESHOLD_DEFAULT - 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_AUTO_QUARANTINE, DEV), 0);
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.mode, IFN_MODE_MONITOR);
	/* The same window does not report the same scan again. */
	{
		struct frame_spec f = syn443;
		unsigned int i;

		for (i = 0; i < 40; i++) {
			f.dport = 2000 + i;
			ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
		}
	}
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 1);
	th_teardown(&t);
}
END_TEST

START_TEST(scan_auto_quarantine_off)
{
	struct ifn_config cfg;
	struct ifn_device d;
	struct th t;

	th_setup(&t, NULL);
	cfg = th_config(&t);
	cfg.flags &= ~IFN_CFG_F_AUTO_QUARANTINE;
	cfg.scan_threshold = 4;
	th_set_config(&t, &cfg);
	known_device(&t, DEV, IFN_MODE_ENFORCE);
	scan_until_crossed(&t, DEV, 4, XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 1);
	ck_assert_uint_eq(ev_find(&t, IFN_EV_SCAN, DEV)->value, 5);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_AUTO_QUARANTINE, DEV), 0);
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.mode, IFN_MODE_ENFORCE);
	th_teardown(&t);
}
END_TEST

/* Flows spread over two windows never add up to a scan. */
START_TEST(scan_window_resets)
{
	struct frame_spec f = syn443;
	struct ifn_config cfg;
	unsigned int i;
	struct th t;

	th_setup(&t, NULL);
	cfg = th_config(&t);
	cfg.scan_threshold = 4;
	th_set_config(&t, &cfg);
	known_device(&t, DEV, IFN_MODE_ENFORCE);
	for (i = 0; i < 4; i++) {
		f.dport = 3000 + i;
		ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	}
	ck_assert_uint_eq(scan_count(&t, DEV), 4); /* four bits of their own */
	*t.now += cfg.scan_window_ns;
	for (i = 0; i < 4; i++) {
		f.dport = 4000 + i;
		ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	}
	ck_assert_uint_eq(scan_count(&t, DEV), 4); /* a new window */
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 0);
	/* A fifth distinct flow in this window is one too many. */
	f.dport = 4004;
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_uint_eq(scan_count(&t, DEV), 5);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_AUTO_QUARANTINE, DEV), 1);
	th_teardown(&t);
}
END_TEST

START_TEST(rate_exceeded)
{
	__u8 buf[FR_MAX];
	size_t len = frame_build(&syn443, buf, sizeof(buf));
	struct ifn_dev_stats st0, st;
	struct th t;

	th_setup(&t, NULL);
	known_device(&t, DEV, IFN_MODE_ENFORCE);
	th_set_rate(&t, DEV, 10, 0, 0, 0);
	*t.now = (*t.now / EV_PERIOD + 1) * EV_PERIOD;
	ck_assert(th_device(&t, DEV, NULL, &st0));

	/* A full bucket of ten, then five over the rate. */
	th_run_repeat(&t, buf, len, 15);
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.verdict[IFN_VERDICT_PASS] - st0.verdict[IFN_VERDICT_PASS], 10);
	ck_assert_uint_eq(st.reason[IFN_REASON_RATE_LIMIT], 5);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_RATE_EXCEEDED, DEV), 5);
	ev_check_flow(ev_find(&t, IFN_EV_RATE_EXCEEDED, DEV), "52.1.2.3", 6, 443, IFN_DIR_CLIENT);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), 0);

	/* Ten more at the same instant: all over; three events, seven lost. */
	th_run_repeat(&t, buf, len, 10);
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.reason[IFN_REASON_RATE_LIMIT], 15);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_RATE_EXCEEDED, DEV), 8);
	ck_assert_uint_eq(lost(&t), 7);

	/* Half a second refills five tokens. */
	*t.now += SEC / 2;
	th_run_repeat(&t, buf, len, 6);
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.verdict[IFN_VERDICT_PASS] - st0.verdict[IFN_VERDICT_PASS], 15);
	ck_assert_uint_eq(st.reason[IFN_REASON_RATE_LIMIT], 16);
	th_teardown(&t);
}
END_TEST

START_TEST(fingerprint_cap)
{
	struct frame_spec f = syn443;
	const struct ifn_event *e;
	struct ifn_config cfg;
	struct ifn_device d;
	unsigned int i;
	struct th t;

	th_setup(&t, NULL);
	cfg = th_config(&t);
	cfg.fingerprint_cap = 4;
	th_set_config(&t, &cfg);
	for (i = 0; i < 4; i++) {
		f.dport = 5000 + i;
		ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	}
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_FINGERPRINT_CAP, DEV), 0);
	/* The fifth flow is not learnt: learning stops, the device enforces. */
	f.dport = 5004;
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	f.dport = 5005;
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_FINGERPRINT_CAP, DEV), 1);
	e = ev_find(&t, IFN_EV_FINGERPRINT_CAP, DEV);
	ev_check_flow(e, "52.1.2.3", 6, 5004, IFN_DIR_CLIENT);
	ck_assert_uint_eq(e->value, 4);
	ck_assert_uint_eq(e->mode, IFN_MODE_ENFORCE);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), 2);
	ck_assert_uint_eq(th_flow_count(&t, DEV), 4);
	ck_assert(th_device(&t, DEV, &d, NULL));
	ck_assert_uint_eq(d.mode, IFN_MODE_ENFORCE);
	ck_assert(d.flags & IFN_DEV_F_LEARN_CAPPED);
	/* What was learnt still passes. */
	f.dport = 5000;
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	th_teardown(&t);
}
END_TEST

static void addr16(const char *s, __u8 a[16])
{
	bool v4;

	ck_assert_int_eq(ifn_parse_ip(s, a, &v4), 0);
}

START_TEST(ip_change)
{
	struct frame_spec f = syn443, f6 = syn443;
	const struct ifn_event *e;
	__u8 a[16], b[16];
	struct th t;

	th_setup(&t, NULL);
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS); /* first address: no event */
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CHANGE, DEV), 0);
	f.src_ip = "192.168.1.11";
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CHANGE, DEV), 1);
	e = ev_find(&t, IFN_EV_IP_CHANGE, DEV);
	addr16("192.168.1.11", a);
	addr16("192.168.1.10", b);
	ck_assert(!memcmp(e->addr, a, 16));
	ck_assert(!memcmp(e->old_addr, b, 16));
	ck_assert_uint_eq(e->ifindex, 1);

	/* IPv6: the global address and the link-local one are kept apart. */
	f6.src_ip = "2001:db8::1";
	f6.dst_ip = "2001:db8:1::1";
	ck_assert_int_eq(th_send(&t, &f6), XDP_PASS);
	f6.src_ip = "fe80::1";
	f6.dst_ip = "fe80::fe";
	ck_assert_int_eq(th_send(&t, &f6), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CHANGE, DEV), 1);
	f6.src_ip = "2001:db8::2";
	f6.dst_ip = "2001:db8:1::1";
	ck_assert_int_eq(th_send(&t, &f6), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CHANGE, DEV), 2);
	e = &t.ev[t.nev - 1];
	ck_assert_uint_eq(e->type, IFN_EV_IP_CHANGE);
	addr16("2001:db8::2", a);
	addr16("2001:db8::1", b);
	ck_assert(!memcmp(e->addr, a, 16));
	ck_assert(!memcmp(e->old_addr, b, 16));
	th_teardown(&t);
}
END_TEST

START_TEST(ip_conflict)
{
	struct frame_spec a = syn443, b = syn443;
	const struct ifn_event *e;
	struct ifn_device d;
	__u8 addr[16], mac[6];
	struct th t;

	th_setup(&t, NULL);
	ck_assert_int_eq(th_send(&t, &a), XDP_PASS);
	b.src_mac = DEV2;
	ck_assert_int_eq(th_send(&t, &b), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CONFLICT, DEV2), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CONFLICT, DEV), 0);
	e = ev_find(&t, IFN_EV_IP_CONFLICT, DEV2);
	addr16("192.168.1.10", addr);
	frame_mac(DEV, mac);
	ck_assert(!memcmp(e->addr, addr, 16));
	ck_assert(!memcmp(e->other_mac, mac, 6));
	/* Not taken: the second device holds no IPv4 address. */
	ck_assert(th_device(&t, DEV2, &d, NULL));
	ck_assert(!memcmp(d.ipv4, "\0\0\0\0", 4));

	/* IPv6 likewise. */
	a.src_ip = "2001:db8::5";
	a.dst_ip = "2001:db8:1::1";
	b.src_ip = a.src_ip;
	b.dst_ip = a.dst_ip;
	ck_assert_int_eq(th_send(&t, &a), XDP_PASS);
	ck_assert_int_eq(th_send(&t, &b), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CONFLICT, DEV2), 2);
	e = &t.ev[t.nev - 1];
	addr16("2001:db8::5", addr);
	ck_assert(!memcmp(e->addr, addr, 16));

	/* Once the first device has moved on, the address is free to take. */
	a = syn443;
	a.src_ip = "192.168.1.12";
	ck_assert_int_eq(th_send(&t, &a), XDP_PASS);
	b = syn443;
	b.src_mac = DEV2;
	ck_assert_int_eq(th_send(&t, &b), XDP_PASS);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_IP_CONFLICT, DEV2), 2);
	ck_assert(th_device(&t, DEV2, &d, NULL));
	ck_assert(!memcmp(d.ipv4, (const __u8[]){ 192, 168, 1, 10 }, 4));
	th_teardown(&t);
}
END_TEST

/* TABLE_FULL is limited per CPU: keep this test on one. */
static void pin_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
}

START_TEST(table_full)
{
	struct th_opts o = { .max_devices = 16 };
	struct frame_spec f;
	struct ifn_global_stats gs;
	const struct ifn_event *e;
	char mac[18], ip[20];
	unsigned int i;
	__u8 m[6];
	struct th t;

	pin_cpu();
	th_setup(&t, &o);
	for (i = 0; i < 16; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:01:%02x", i);
		f = dev_frame(mac, ip);
		ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	}
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_NEW_DEVICE, NULL), 16);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_TABLE_FULL, NULL), 0);
	f = dev_frame("02:00:00:00:02:00", ip);
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	f = dev_frame("02:00:00:00:02:01", ip);
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_TABLE_FULL, NULL), 1);
	e = ev_find(&t, IFN_EV_TABLE_FULL, NULL);
	frame_mac("02:00:00:00:02:00", m);
	ck_assert(!memcmp(e->mac, m, 6));
	ck_assert_uint_eq(e->ifindex, 1);
	th_global(&t, &gs);
	ck_assert_uint_eq(gs.table_full, 2);
	ck_assert_uint_eq(gs.reason[IFN_REASON_TABLE_FULL], 2);
	/* A known device still passes. */
	f = dev_frame("02:00:00:00:01:00", ip);
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	/* One event a second at most. */
	*t.now += SEC;
	f = dev_frame("02:00:00:00:02:02", ip);
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_TABLE_FULL, NULL), 2);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_NEW_DEVICE, NULL), 16);
	th_teardown(&t);
}
END_TEST

/*
 * A million violating frames in one limiting period: exactly event_limit
 * events, the rest counted, and another device's events still get through.
 */
START_TEST(flood_is_limited)
{
	struct frame_spec f = syn443, g;
	struct ifn_global_stats gs0, gs;
	struct ifn_dev_stats st;
	char ip[20];
	__u8 buf[FR_MAX];
	size_t len;
	struct th t;

	th_setup(&t, NULL);
	known_device(&t, DEV, IFN_MODE_ENFORCE);
	known_device(&t, DEV2, IFN_MODE_ENFORCE);
	*t.now = (*t.now / EV_PERIOD + 1) * EV_PERIOD;
	th_events(&t);
	th_global(&t, &gs0);

	f.dport = 23;
	len = frame_build(&f, buf, sizeof(buf));
	ck_assert_int_eq(th_run_repeat(&t, buf, len, 1000000), XDP_DROP);
	th_global(&t, &gs);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), IFN_EVENT_LIMIT_DEFAULT);
	ck_assert_uint_eq(gs.events_sent - gs0.events_sent, IFN_EVENT_LIMIT_DEFAULT);
	ck_assert_uint_eq(gs.events_lost - gs0.events_lost, 1000000 - IFN_EVENT_LIMIT_DEFAULT);
	ck_assert_uint_eq(suppressed(&t, DEV), 1000000 - IFN_EVENT_LIMIT_DEFAULT);
	ck_assert(th_device(&t, DEV, NULL, &st));
	ck_assert_uint_eq(st.reason[IFN_REASON_NOT_IN_FINGERPRINT], 1000000);
	/* One flow repeated is not a scan. */
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_SCAN, DEV), 0);

	/* In the same period, the other device is heard. */
	g = dev_frame(DEV2, ip);
	g.dport = 2323;
	ck_assert_int_eq(th_send(&t, &g), XDP_DROP);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV2), 1);
	ck_assert_uint_eq(suppressed(&t, DEV2), 0);
	th_teardown(&t);
}
END_TEST

static __u32 ring_bytes(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.max_entries;
}

struct tally {
	unsigned int n[IFN_EV_MAX];
	__u64 lost_value;
	unsigned int lost_pos; /* position of the EVENTS_LOST record */
	unsigned int total;
};

static int tally_cb(void *ctx, const struct ifn_event *e)
{
	struct tally *y = ctx;

	if (e->type < IFN_EV_MAX)
		y->n[e->type]++;
	if (e->type == IFN_EV_EVENTS_LOST) {
		y->lost_value += e->value;
		y->lost_pos = y->total;
	}
	y->total++;
	return 0;
}

/*
 * Nobody reads while twelve devices send 255 events each: the ring takes
 * what fits, the datapath counts the rest, and the agent's reader reports
 * exactly that many as one EVENTS_LOST after the events it did get.
 */
START_TEST(ring_full_events_lost)
{
	/* A record is the event plus the ring's 8-byte header, 8-aligned. */
	const __u32 rec = (sizeof(struct ifn_event) + 8 + 7) & ~7U;
	struct frame_spec f;
	struct ifn_global_stats gs0, gs;
	struct ifn_evstream s;
	struct ifn_config cfg;
	struct tally y = { 0 };
	__u32 cap, attempts;
	__u8 buf[FR_MAX];
	char mac[18], ip[20];
	unsigned int i;
	size_t len = 0;
	struct th t;

	th_setup(&t, NULL);
	cfg = th_config(&t);
	cfg.event_limit = 255;
	th_set_config(&t, &cfg);
	for (i = 0; i < 12; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:03:%02x", i);
		known_device(&t, mac, IFN_MODE_ENFORCE);
	}
	*t.now = (*t.now / EV_PERIOD + 1) * EV_PERIOD;
	th_events(&t); /* an empty ring */
	th_global(&t, &gs0);
	ck_assert_int_eq(ifn_evstream_open(&s, &t.m, tally_cb, &y, false), 0);

	cap = (ring_bytes(t.m.events) - 1) / rec;
	attempts = 12 * 255;
	ck_assert_uint_gt(attempts, cap); /* else the test proves nothing */
	for (i = 0; i < 12; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:03:%02x", i);
		f = dev_frame(mac, ip);
		f.dport = 23;
		len = frame_build(&f, buf, sizeof(buf));
		th_run_repeat(&t, buf, len, 255);
	}
	th_global(&t, &gs);
	ck_assert_uint_eq(gs.events_sent - gs0.events_sent, cap);
	ck_assert_uint_eq(gs.events_lost - gs0.events_lost, attempts - cap);

	ck_assert_int_eq(ifn_evstream_drain(&s), cap + 1);
	ck_assert_uint_eq(y.n[IFN_EV_VIOLATION], cap);
	ck_assert_uint_eq(y.n[IFN_EV_EVENTS_LOST], 1);
	ck_assert_uint_eq(y.lost_value, attempts - cap);
	ck_assert_uint_eq(y.lost_pos, cap);
	ck_assert_uint_eq(s.received, cap);

	/* Nothing new: nothing reported; new losses: only those. */
	ck_assert_int_eq(ifn_evstream_drain(&s), 0);
	cfg.event_limit = 0;
	th_set_config(&t, &cfg);
	th_run_repeat(&t, buf, len, 3);
	ck_assert_int_eq(ifn_evstream_drain(&s), 1);
	ck_assert_uint_eq(y.n[IFN_EV_EVENTS_LOST], 2);
	ck_assert_uint_eq(y.lost_value, attempts - cap + 3);
	ifn_evstream_close(&s);

	/* A reader that starts now is told about the past once. */
	memset(&y, 0, sizeof(y));
	ck_assert_int_eq(ifn_evstream_open(&s, &t.m, tally_cb, &y, true), 0);
	ck_assert_int_eq(ifn_evstream_drain(&s), 1);
	ck_assert_uint_eq(y.lost_value, gs.events_lost + 3);
	ck_assert_int_eq(ifn_evstream_drain(&s), 0);
	ifn_evstream_close(&s);
	th_teardown(&t);
}
END_TEST

TH_SUITE(events_suite)
static Suite *events_suite(void)
{
	Suite *s = suite_create("datapath-events");
	TCase *tc = tcase_create("events");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, new_device);
	tcase_add_test(tc, learning_done);
	tcase_add_test(tc, violation_and_limit);
	tcase_add_test(tc, scan_of_one_subnet);
	tcase_add_test(tc, scan_quarantines_enforce);
	tcase_add_test(tc, scan_monitor_reports_only);
	tcase_add_test(tc, scan_auto_quarantine_off);
	tcase_add_test(tc, scan_window_resets);
	tcase_add_test(tc, rate_exceeded);
	tcase_add_test(tc, fingerprint_cap);
	tcase_add_test(tc, ip_change);
	tcase_add_test(tc, ip_conflict);
	tcase_add_test(tc, table_full);
	tcase_add_test(tc, flood_is_limited);
	tcase_add_test(tc, ring_full_events_lost);
	suite_add_tcase(s, tc);
	return s;
}
