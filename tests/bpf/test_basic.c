// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The datapath's main paths, one frame at a time. */
#include "harness.h"

#define DEV "02:00:00:00:00:01"

static const struct frame_spec tcp_syn_443 = {
	.src_mac = DEV,
	.src_ip = "192.168.1.10",
	.dst_ip = "52.1.2.3",
	.proto = 6,
	.sport = 40000,
	.dport = 443,
	.tcp_flags = FR_SYN,
};

START_TEST(learn_then_enforce)
{
	struct ifn_dev_stats st;
	struct ifn_device d;
	struct frame_spec other = tcp_syn_443;
	struct th t;

	th_setup(&t, NULL);
	th_iface(&t, IFN_MODE_LEARN, 60ULL * 1000000000ULL);
	ck_assert_int_eq(th_send(&t, &tcp_syn_443), XDP_PASS);
	ck_assert(th_has_flow(&t, DEV, "tcp/443 52.1.2.3"));
	ck_assert_uint_eq(th_flow_count(&t, DEV), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_NEW_DEVICE, DEV), 1);

	/* The deadline passes: the next frame meets enforce. */
	*t.now += 61ULL * 1000000000ULL;
	other.dport = 8443;
	ck_assert_int_eq(th_send(&t, &other), XDP_DROP);
	ck_assert_int_eq(th_send(&t, &tcp_syn_443), XDP_PASS);
	ck_assert(th_device(&t, DEV, &d, &st));
	ck_assert_uint_eq(d.mode, IFN_MODE_ENFORCE);
	ck_assert_uint_eq(st.packets, 3);
	ck_assert_uint_eq(st.verdict[IFN_VERDICT_DROP], 1);
	ck_assert_uint_eq(st.reason[IFN_REASON_NOT_IN_FINGERPRINT], 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_LEARNING_DONE, DEV), 1);
	ck_assert_uint_eq(th_count_events(&t, IFN_EV_VIOLATION, DEV), 1);
	th_teardown(&t);
}
END_TEST

START_TEST(quarantine_keeps_baseline)
{
	struct frame_spec arp = { .src_mac = DEV, .arp_op = 1, .arp_sender_ip = "192.168.1.10" };
	struct frame_spec dhcp = { .src_mac = DEV,
				   .src_ip = "0.0.0.0",
				   .dst_ip = "255.255.255.255",
				   .proto = 17,
				   .sport = 68,
				   .dport = 67,
				   .payload = 240 };
	struct th t;

	th_setup(&t, NULL);
	ck_assert_int_eq(th_send(&t, &tcp_syn_443), XDP_PASS);
	th_set_mode(&t, DEV, IFN_MODE_QUARANTINE);
	ck_assert_int_eq(th_send(&t, &tcp_syn_443), XDP_DROP);
	ck_assert_int_eq(th_send(&t, &arp), XDP_PASS);
	ck_assert_int_eq(th_send(&t, &dhcp), XDP_PASS);
	th_teardown(&t);
}
END_TEST

START_TEST(broadcast_source_rejected)
{
	struct frame_spec f = tcp_syn_443;
	struct ifn_global_stats gs;
	struct th t;

	th_setup(&t, NULL);
	f.src_mac = "ff:ff:ff:ff:ff:ff";
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	f.src_mac = "01:00:5e:00:00:01";
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	th_global(&t, &gs);
	ck_assert_uint_eq(gs.reason[IFN_REASON_BAD_SRC_MAC], 2);
	ck_assert_uint_eq(gs.new_devices, 0);
	th_teardown(&t);
}
END_TEST

START_TEST(two_vlan_tags_parse)
{
	struct frame_spec f = tcp_syn_443;
	struct th t;

	th_setup(&t, NULL);
	f.vlans = 2;
	ck_assert_int_eq(th_send(&t, &f), XDP_PASS);
	ck_assert(th_has_flow(&t, DEV, "tcp/443 52.1.2.3"));
	f.vlans = 3;
	ck_assert_int_eq(th_send(&t, &f), XDP_DROP);
	th_teardown(&t);
}
END_TEST

TH_SUITE(basic_suite)
static Suite *basic_suite(void)
{
	Suite *s = suite_create("datapath-basic");
	TCase *tc = tcase_create("basic");

	tcase_add_test(tc, learn_then_enforce);
	tcase_add_test(tc, quarantine_keeps_baseline);
	tcase_add_test(tc, broadcast_source_rejected);
	tcase_add_test(tc, two_vlan_tags_parse);
	suite_add_tcase(s, tc);
	return s;
}
