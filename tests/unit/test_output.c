// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_output.c - JSON that parsers accept, and tables that line up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Capture what a function writes to a FILE. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	ck_assert_ptr_nonnull(c->f);
}

static const char *cap_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static const struct {
	const char *in;
	const char *out;
} esc_cases[] = {
	{ "plain", "\"plain\"" },
	{ "quote\"back\\slash", "\"quote\\\"back\\\\slash\"" },
	{ "tab\tnl\ncr\r", "\"tab\\tnl\\ncr\\r\"" },
	{ "\x01\x1f", "\"\\u0001\\u001f\"" },
	{ "\x7f", "\"\x7f\"" }, /* DEL is not a control character in JSON */
	{ "/", "\"/\"" },
	{ "", "\"\"" },
	/* valid UTF-8 passes through: a real vendor name from oui.txt */
	{ "SHENZHEN BILIAN ELECTRONIC CO.\xef\xbc\x8cLTD",
	  "\"SHENZHEN BILIAN ELECTRONIC CO.\xef\xbc\x8cLTD\"" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "\xf0\x9f\x93\xb7", "\"\xf0\x9f\x93\xb7\"" }, /* 4 bytes */
	/* invalid bytes become U+FFFD, so the document stays valid */
	{ "Latin-1 caf\xe9", "\"Latin-1 caf\\ufffd\"" },
	{ "\x80", "\"\\ufffd\"" },
	{ "\xc3", "\"\\ufffd\"" }, /* cut short at the end */
	{ "\xc3(", "\"\\ufffd(\"" },
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" }, /* overlong '/' */
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" }, /* a surrogate */
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* above U+10FFFF */
};

START_TEST(json_escaping)
{
	struct capture c;
	struct ifn_json j;
	char want[256];

	cap_open(&c);
	ifn_json_init(&j, c.f);
	ifn_json_obj_open(&j, NULL);
	ifn_json_str(&j, "k", esc_cases[_i].in);
	ifn_json_obj_close(&j);
	snprintf(want, sizeof(want), "{\"k\":%s}\n", esc_cases[_i].out);
	ck_assert_str_eq(cap_close(&c), want);
	free(c.buf);
}
END_TEST

START_TEST(json_document)
{
	struct capture c;
	struct ifn_json j;

	cap_open(&c);
	ifn_json_init(&j, c.f);
	ifn_json_obj_open(&j, NULL);
	ifn_json_str(&j, "mac", "00:11:22:aa:bb:cc");
	ifn_json_str(&j, "ipv4", NULL);
	ifn_json_arr_open(&j, "ipv6");
	ifn_json_str(&j, NULL, "fe80::1");
	ifn_json_str(&j, NULL, "2001:db8::1");
	ifn_json_arr_close(&j);
	ifn_json_arr_open(&j, "empty");
	ifn_json_arr_close(&j);
	ifn_json_u64(&j, "packets", 18446744073709551615ULL);
	ifn_json_i64(&j, "delta", -5);
	ifn_json_bool(&j, "t", true);
	ifn_json_bool(&j, "f", false);
	ifn_json_null(&j, "n");
	ifn_json_double(&j, "ratio", 0.5);
	ifn_json_time(&j, "never", 0);
	ifn_json_time(&j, "at", 1700000000123456789ULL);
	ifn_json_obj_open(&j, "nested");
	ifn_json_obj_open(&j, "deeper");
	ifn_json_u64(&j, "x", 1);
	ifn_json_obj_close(&j);
	ifn_json_obj_close(&j);
	ifn_json_obj_close(&j);
	ck_assert_str_eq(
		cap_close(&c),
		"{\"mac\":\"00:11:22:aa:bb:cc\",\"ipv4\":null,"
		"\"ipv6\":[\"fe80::1\",\"2001:db8::1\"],\"empty\":[],"
		"\"packets\":18446744073709551615,\"delta\":-5,\"t\":true,\"f\":false,"
		"\"n\":null,\"ratio\":0.5,\"never\":null,"
		"\"at\":\"2023-11-14T22:13:20.123Z\",\"nested\":{\"deeper\":{\"x\":1}}}\n");
	free(c.buf);
}
END_TEST

/* A top-level array of objects: one document, one trailing newline. */
START_TEST(json_array_of_objects)
{
	struct capture c;
	struct ifn_json j;
	int i;

	cap_open(&c);
	ifn_json_init(&j, c.f);
	ifn_json_arr_open(&j, NULL);
	for (i = 0; i < 3; i++) {
		ifn_json_obj_open(&j, NULL);
		ifn_json_u64(&j, "i", i);
		ifn_json_obj_close(&j);
	}
	ifn_json_arr_close(&j);
	ck_assert_str_eq(cap_close(&c), "[{\"i\":0},{\"i\":1},{\"i\":2}]\n");
	free(c.buf);

	cap_open(&c);
	ifn_json_init(&j, c.f);
	ifn_json_arr_open(&j, NULL);
	ifn_json_arr_close(&j);
	ck_assert_str_eq(cap_close(&c), "[]\n");
	free(c.buf);
}
END_TEST

START_TEST(table_alignment)
{
	static const char *const hdr[] = { "MAC", "VENDOR", ">PACKETS", "LAST SEEN" };
	static const char *const r1[] = { "00:17:88:01:02:03", "Philips Lighting BV", "7",
					  "1s ago" };
	/* 3 code points in 4 bytes must pad like 3 characters */
	static const char *const r2[] = { "b8:27:eb:00:00:01", "caf\xc3\xa9", "123456", NULL };
	struct ifn_table t;
	struct capture c;

	ifn_table_init(&t, 4, hdr);
	ck_assert_int_eq(ifn_table_add(&t, r1), 0);
	ck_assert_int_eq(ifn_table_add(&t, r2), 0);
	cap_open(&c);
	ifn_table_print(&t, c.f);
	ck_assert_str_eq(cap_close(&c),
			 "MAC                VENDOR               PACKETS  LAST SEEN\n"
			 "00:17:88:01:02:03  Philips Lighting BV        7  1s ago\n"
			 "b8:27:eb:00:00:01  caf\xc3\xa9                  123456  -\n");
	free(c.buf);
	ifn_table_free(&t);
	ck_assert_uint_eq(t.nrows, 0);
}
END_TEST

START_TEST(table_many_rows)
{
	static const char *const hdr[] = { ">N", "NAME" };
	struct ifn_table t;
	struct capture c;
	char n[16], *line, *save = NULL;
	const char *out;
	int i, lines = 0;

	ifn_table_init(&t, 2, hdr);
	for (i = 0; i < 1000; i++) {
		const char *row[2] = { n, "x" };

		snprintf(n, sizeof(n), "%d", i);
		ck_assert_int_eq(ifn_table_add(&t, row), 0);
	}
	cap_open(&c);
	ifn_table_print(&t, c.f);
	out = cap_close(&c);
	/* right-aligned numbers: every row as wide as every other */
	for (line = strtok_r((char *)out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_eq(strlen(line), lines ? 6 : 9); /* "  N  NAME" */
		lines++;
	}
	ck_assert_int_eq(lines, 1001);
	free(c.buf);
	ifn_table_free(&t);
}
END_TEST

START_TEST(text_width)
{
	ck_assert_uint_eq(ifn_text_width(""), 0);
	ck_assert_uint_eq(ifn_text_width("abc"), 3);
	ck_assert_uint_eq(ifn_text_width("caf\xc3\xa9"), 4);
	ck_assert_uint_eq(ifn_text_width("\xef\xbc\x8c"), 1);
	ck_assert_uint_eq(ifn_text_width("\xff\xfe"), 2); /* invalid bytes: one each */
}
END_TEST

static const struct {
	__u64 v;
	const char *out;
} count_cases[] = {
	{ 0, "0" },
	{ 9999, "9999" },
	{ 10000, "10.0k" },
	{ 123456, "123.5k" },
	{ 999949, "999.9k" },
	{ 999950, "1.0M" }, /* never "1000.0k" */
	{ 1234567, "1.2M" },
	{ 999949999, "999.9M" },
	{ 999950000, "1.0G" },
	{ 12345678901ULL, "12.3G" },
	{ 999950000000ULL, "1.0T" },
	{ 18446744073709551615ULL, "18446744.1T" },
};

START_TEST(human_counts)
{
	char buf[16];

	ck_assert_str_eq(ifn_fmt_count(count_cases[_i].v, buf, sizeof(buf)), count_cases[_i].out);
}
END_TEST

UNIT_SUITE(output_suite)
static Suite *output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("output");

	tcase_add_loop_test(tc, json_escaping, 0, N(esc_cases));
	tcase_add_test(tc, json_document);
	tcase_add_test(tc, json_array_of_objects);
	tcase_add_test(tc, table_alignment);
	tcase_add_test(tc, table_many_rows);
	tcase_add_test(tc, text_width);
	tcase_add_loop_test(tc, human_counts, 0, N(count_cases));
	suite_add_tcase(s, tc);
	return s;
}
