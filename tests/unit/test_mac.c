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
	{ "00-11-22-AA-BB-CC", "00:11:22:aa:bb:cc" },
	{ "0011.22AA.BBCC", "00:11:22:aa:bb:cc" },
	{ "001122AABBCC", "00:11:22:aa:bb:cc" },
	{ "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff" },
	{ "00:11:22:aa:bb:cc ", NULL },
	{ " 00:11:22:aa:bb:cc", NULL },
	{ "00.11.22.aa.bb.cc", NULL },
	{ "0011:22aa:bbcc", NULL },
	{ "00:11:22:aa:bb:", NULL },
	{ "00::11:22:aa:bb:c", NULL },
	{ "00112233445g", NULL },
	{ "0011-22aa-bbcc", NULL },
	{ "00:11:22:aa:bb:cc\n", NULL },
	{ "all", NULL },
};

START_TEST(mac_notations)
{
	static const __u8 untouched[6] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };
	char buf[IFN_MAC_STRLEN];
	__u8 mac[6];
	int err;

	memcpy(mac, untouched, 6);
	err = ifn_parse_mac(mac_cases[_i].in, mac);
	if (mac_cases[_i].out) {
		ck_assert_msg(!err, "'%s' rejected", mac_cases[_i].in);
		ck_assert_str_eq(ifn_fmt_mac(mac, buf), mac_cases[_i].out);
		/* and the canonical form reads back the same */
		ck_assert_int_eq(ifn_parse_mac(buf, mac), 0);
		ck_assert_str_eq(ifn_fmt_mac(mac, buf), mac_cases[_i].out);
	} else {
		ck_assert_msg(err == -EINVAL, "'%s' accepted", mac_cases[_i].in);
		ck_assert_mem_eq(mac, untouched, 6); /* nothing written on error */
	}
}
END_TEST

START_TEST(mac_null)
{
	__u8 mac[6];

	ck_assert_int_eq(ifn_parse_mac(NULL, mac), -EINVAL);
}
END_TEST

UNIT_SUITE(mac_suite)
static Suite *mac_suite(void)
{
	Suite *s = suite_create("mac");
	TCase *tc = tcase_create("parse-format");

	tcase_add_loop_test(tc, mac_notations, 0, sizeof(mac_cases) / sizeof(mac_cases[0]));
	tcase_add_test(tc, mac_null);
	suite_add_tcase(s, tc);
	return s;
}
