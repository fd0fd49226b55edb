// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Mode changes on a record in memory (ifn_device_apply_mode): a temporary
 * mode returns to the mode it replaced that was not temporary.
 */
#include <string.h>

#include "devices.h"
#include "unit.h"

#define SEC 1000000000ULL

static void set(struct ifn_device *d, __u8 mode, __u64 for_ns, __u64 now)
{
	ifn_device_apply_mode(d, mode, for_ns, 0, now);
	d->mode = ifn_mw_mode(d->mode_word);
	d->mode_after = ifn_mw_after(d->mode_word);
}

START_TEST(temp_over_temp)
{
	static const __u8 modes[] = { IFN_MODE_TRUST, IFN_MODE_MONITOR, IFN_MODE_QUARANTINE };
	__u64 now = 1000 * SEC;
	struct ifn_device d;

	for (size_t i = 0; i < sizeof(modes); i++) {
		memset(&d, 0, sizeof(d));
		set(&d, IFN_MODE_ENFORCE, 0, now);
		set(&d, modes[i], 10 * SEC, now);
		set(&d, modes[i], 2 * SEC, now + SEC);
		ck_assert_uint_eq(ifn_mw_mode(d.mode_word), modes[i]);
		/* Where the first one was going, not the temporary mode itself. */
		ck_assert_uint_eq(ifn_mw_after(d.mode_word), IFN_MODE_ENFORCE);
		/* The second deadline (the mode word keeps it to a few microseconds). */
		ck_assert_uint_ge(ifn_mw_until(d.mode_word) + SEC / 1000, now + 3 * SEC);
		ck_assert_uint_le(ifn_mw_until(d.mode_word), now + 3 * SEC + SEC / 1000);
	}
	/* A temporary monitor over a temporary trust, from a permanent trust. */
	memset(&d, 0, sizeof(d));
	set(&d, IFN_MODE_TRUST, 0, now);
	set(&d, IFN_MODE_MONITOR, 10 * SEC, now);
	set(&d, IFN_MODE_QUARANTINE, 5 * SEC, now);
	ck_assert_uint_eq(ifn_mw_after(d.mode_word), IFN_MODE_TRUST);
	/* Over a learning window: to enforce, as learning would have. */
	memset(&d, 0, sizeof(d));
	set(&d, IFN_MODE_LEARN, 60 * SEC, now);
	set(&d, IFN_MODE_TRUST, 5 * SEC, now);
	ck_assert_uint_eq(ifn_mw_after(d.mode_word), IFN_MODE_ENFORCE);
	/* A deadline that has passed is the mode it went to: that one is kept. */
	memset(&d, 0, sizeof(d));
	set(&d, IFN_MODE_MONITOR, 0, now);
	set(&d, IFN_MODE_TRUST, 2 * SEC, now);
	set(&d, IFN_MODE_QUARANTINE, 2 * SEC, now + 5 * SEC);
	ck_assert_uint_eq(ifn_mw_after(d.mode_word), IFN_MODE_MONITOR);
}
END_TEST

UNIT_SUITE(modes_suite)
static Suite *modes_suite(void)
{
	Suite *s = suite_create("modes");
	TCase *tc = tcase_create("temporary");

	tcase_add_test(tc, temp_over_temp);
	suite_add_tcase(s, tc);
	return s;
}
