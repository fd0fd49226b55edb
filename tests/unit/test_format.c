// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_format.c - values to text: times, addresses, prefixes and names. */
#include <errno.h>
#include <string.h>

#include "format.h"
#include "iotfence.h"
#include "parse.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	__u64 ns;
	const char *out;
} time_cases[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1000000ULL, "1970-01-01T00:00:00.001Z" },
	{ 999999999ULL, "1970-01-01T00:00:00.999Z" }, /* truncated, never rounded up */
	{ 1700000000123456789ULL, "2023-11-14T22:13:20.123Z" },
	{ 951782400000000000ULL, "2000-02-29T00:00:00.000Z" }, /* leap day */
	{ 1735689599999000000ULL, "2024-12-31T23:59:59.999Z" },
	{ 4102444800000000000ULL, "2100-01-01T00:00:00.000Z" },
	{ 18446744073709551615ULL, "2554-07-21T23:34:33.709Z" }, /* the largest __u64 */
};

/* RFC 3339: full-date "T" full-time with fraction, "Z" for UTC. */
static bool rfc3339_shape(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	if (strlen(s) != strlen(shape))
		return false;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	}
	return true;
}

START_TEST(rfc3339)
{
	char buf[IFN_TIME_STRLEN];

	ifn_fmt_time(time_cases[_i].ns, buf);
	ck_assert_str_eq(buf, time_cases[_i].out);
	ck_assert_msg(rfc3339_shape(buf), "'%s' is not RFC 3339", buf);
}
END_TEST

START_TEST(addresses)
{
	char buf[IFN_ADDR_STRLEN];
	__u8 a[16];

	ck_assert_int_eq(ifn_parse_ip("192.0.2.1", a, NULL), 0);
	ck_assert_str_eq(ifn_fmt_addr(a, buf), "192.0.2.1");
	ck_assert_int_eq(ifn_parse_ip("2001:DB8:0:0::1", a, NULL), 0);
	ck_assert_str_eq(ifn_fmt_addr(a, buf), "2001:db8::1");
	ck_assert(!ifn_addr_is_zero(a));
	memset(a, 0, sizeof(a));
	ck_assert(ifn_addr_is_zero(a));
	ck_assert(!ifn_addr_is_v4(a));
	ck_assert_str_eq(ifn_fmt_addr(a, buf), "::");
	ck_assert_str_eq(ifn_fmt_cidr(a, 0, buf), "any");
	/* the longest: a full IPv6 address with a prefix fits */
	ck_assert_int_eq(ifn_parse_ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0", a, NULL), 0);
	ck_assert_str_eq(ifn_fmt_cidr(a, 124, buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124");
}
END_TEST

START_TEST(names)
{
	char buf[8];
	unsigned int i;

	ck_assert_str_eq(ifn_verdict_name(IFN_VERDICT_PASS), "pass");
	ck_assert_str_eq(ifn_verdict_name(IFN_VERDICT_DROP), "drop");
	ck_assert_str_eq(ifn_verdict_name(IFN_VERDICT_ALERT), "alert");
	ck_assert_str_eq(ifn_verdict_name(99), "unknown");
	ck_assert_str_eq(ifn_dir_name(IFN_DIR_CLIENT), "client");
	ck_assert_str_eq(ifn_dir_name(IFN_DIR_SERVER), "server");
	ck_assert_str_eq(ifn_origin_name(IFN_ORIGIN_LEARNED), "learned");
	ck_assert_str_eq(ifn_origin_name(IFN_ORIGIN_MANUAL), "manual");
	ck_assert_str_eq(ifn_origin_name(IFN_ORIGIN_POLICY), "policy");
	ck_assert_str_eq(ifn_origin_name(IFN_ORIGIN_GENERALISED), "generalised");
	ck_assert_str_eq(ifn_origin_name(200), "unknown");
	ck_assert_str_eq(ifn_proto_name(17, buf), "udp");
	ck_assert_str_eq(ifn_proto_name(58, buf), "icmpv6");
	ck_assert_str_eq(ifn_proto_name(99, buf), "99");
	/* every reason and event with a name reads back by that name */
	for (i = 1; i < IFN_REASON_MAX; i++) {
		const char *n = ifn_reason_name(i);

		if (strcmp(n, "unknown"))
			ck_assert_int_eq(ifn_reason_from_name(n), (int)i);
	}
	ck_assert_str_eq(ifn_reason_name(IFN_REASON_NOT_IN_FINGERPRINT), "not_in_fingerprint");
	ck_assert_int_eq(ifn_reason_from_name("no_such_reason"), -EINVAL);
	for (i = 0; i < IFN_EV_MAX; i++) {
		const char *n = ifn_event_name(i);

		if (strcmp(n, "UNKNOWN"))
			ck_assert_int_eq(ifn_event_from_name(n), (int)i);
	}
	/* every reason and event type has a name; the reserved slots none */
	for (i = 0; i < IFN_REASON_MAX; i++)
		ck_assert_int_eq(!strcmp(ifn_reason_name(i), "unknown"), i >= IFN_REASON_COUNT);
	for (i = 0; i < IFN_EV_MAX; i++)
		ck_assert_int_eq(!strcmp(ifn_event_name(i), "UNKNOWN"), i >= IFN_EV_COUNT);
	ck_assert_int_eq(ifn_event_from_name("scan"), IFN_EV_SCAN);
	ck_assert_int_eq(ifn_event_from_name("NOPE"), -EINVAL);
}
END_TEST

START_TEST(rates)
{
	char buf[160];

	ck_assert_str_eq(ifn_fmt_rate(0, 0, 0, 0, buf, sizeof(buf)), "no rate limit");
	ck_assert_str_eq(ifn_fmt_rate(100, 0, 50, 0, buf, sizeof(buf)),
			 "at most 100 packets/s (burst 50), no byte limit");
	ck_assert_str_eq(ifn_fmt_rate(0, 1500000, 0, 1500000, buf, sizeof(buf)),
			 "no packet limit, at most 1500000 bytes/s (burst 1500000)");
	ck_assert_str_eq(ifn_fmt_rate(5, 1000, 5, 1000, buf, sizeof(buf)),
			 "at most 5 packets/s (burst 5), at most 1000 bytes/s (burst 1000)");
}
END_TEST

UNIT_SUITE(format_suite)
static Suite *format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("format");

	tcase_add_loop_test(tc, rfc3339, 0, N(time_cases));
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, names);
	tcase_add_test(tc, rates);
	suite_add_tcase(s, tc);
	return s;
}
