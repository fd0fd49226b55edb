// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "format.h"
#include "parse.h"
#include "unit.h"

static const struct {
	const char *in;
	const char *out; /* NULL: must be rejected */
} mac_cases[] = {
	{ "00:11:22:aa:bb:cc", "00:11:22:aa:bb:cc" },
	{ "00:11:22:AA:BB:CC", "00:11:22:aa:bb:cc" },
	{ "00-11-22-aa-bb-cc", "00:11:22:aa:bb:cc" },
	{ "0011.22aa.bbcc", "00:11:22:aa:bb:cc" },
	{ "001122aabbcc", "00:11:22:aa:bb:cc" },
	{ "00:11:22:aa:bb", NULL },
	{ "00:11:22:aa:bb:cc:dd", NULL },
	{ "00:11:22-aa:bb:cc", NULL },
	{ "00:11:22:aa:bb:cg", NULL },
	{ "0:11:22:aa:bb:cc", NULL },
	{ "", NULL },
	{ "00112233445", NULL },
	{ "0011.22aa.bbc", NULL },
};

START_TEST(mac_notations)
{
	char buf[IFN_MAC_STRLEN];
	__u8 mac[6];
	int err = ifn_parse_mac(mac_cases[_i].in, mac);

	if (mac_cases[_i].out) {
		ck_assert_msg(!err, "'%s' rejected", mac_cases[_i].in);
		ck_assert_str_eq(ifn_fmt_mac(mac, buf), mac_cases[_i].out);
	} else {
		ck_assert_msg(err == -EINVAL, "'%s' accepted", mac_cases[_i].in);
	}
}
END_TEST

UNIT_SUITE(mac_suite)
static Suite *mac_suite(void)
{
	Suite *s = suite_create("mac");
	TCase *tc = tcase_create("parse-format");

	tcase_add_loop_test(tc, mac_notations, 0, sizeof(mac_cases) / sizeof(mac_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
