// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Times the agent shows for a device: its last frame is never before the
 * moment it was made (issue 15). The agent stamps the records it makes on
 * CLOCK_MONOTONIC, the datapath its frames on jiffies, which lag by up to
 * a tick; here a record stamped 3 ms ahead of the frame's clock stands for
 * one made by `policy load` just before its device's first frame.
 */
#include <stdlib.h>

#include "devices.h"
#include "dp.h"

#define MS_NS 1000000ULL

START_TEST(last_not_before_first)
{
	struct ifn_dev_view v, *all;
	struct ifn_device *rec;
	struct th t;
	size_t n;
	__u8 m[6];

	th_setup(&t, NULL);
	th_add_device(&t, DEV, IFN_MODE_TRUST);
	frame_mac(DEV, m);
	rec = ifn_device_rec(&t.m, m);
	ck_assert_ptr_nonnull(rec);
	rec->created_ns = *t.now + 3 * MS_NS;
	ck_assert_int_eq(th_send(&t, &(struct frame_spec){ TCP4(40000, 443, SYN) }), XDP_PASS);

	ck_assert_int_eq(ifn_device_read(&t.m, m, &v), 0);
	ck_assert_uint_eq(v.st.packets, 1);
	ck_assert_msg(v.st.last_seen_ns >= v.dev.created_ns,
		      "device: last seen %llu before first seen %llu",
		      (unsigned long long)v.st.last_seen_ns, (unsigned long long)v.dev.created_ns);
	ck_assert_int_eq(ifn_devices_read(&t.m, &all, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(all[0].st.last_seen_ns >= all[0].dev.created_ns,
		      "devices: last seen %llu before first seen %llu",
		      (unsigned long long)all[0].st.last_seen_ns,
		      (unsigned long long)all[0].dev.created_ns);
	free(all);
	th_teardown(&t);
}
END_TEST

TH_SUITE(times_suite)
static Suite *times_suite(void)
{
	Suite *s = suite_create("datapath-times");
	TCase *tc = tcase_create("times");

	tcase_add_test(tc, last_not_before_first);
	suite_add_tcase(s, tc);
	return s;
}
