// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_oui.c - the IEEE registry as Debian's ieee-data ships it: lines of
 * /usr/share/ieee-data/oui.txt (CRLF line ends, tabs, a header, "(base 16)"
 * duplicates and address lines that must all be skipped), and malformed
 * lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oui.h"
#include "parse.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* An excerpt of the real file, byte for byte (ieee-data 20220827). */
static const char excerpt[] =
	"OUI/MA-L                                                    Organization           "
	"                      \r\n"
	"company_id                                                  Organization           "
	"                      \r\n"
	"                                                            Address                "
	"                      \r\n"
	"\r\n"
	"00-22-72   (hex)\t\tAmerican Micro-Fuel Device Corp.\r\n"
	"002272     (base 16)\t\tAmerican Micro-Fuel Device Corp.\r\n"
	"\t\t\t\t2181 Buchanan Loop\r\n"
	"\t\t\t\tFerndale  WA  98248\r\n"
	"\t\t\t\tUS\r\n"
	"\r\n"
	"00-17-88   (hex)\t\tPhilips Lighting BV\r\n"
	"001788     (base 16)\t\tPhilips Lighting BV\r\n"
	"\t\t\t\tHigh Tech Campus 45\r\n"
	"\t\t\t\tEindhoven  Noord Brabant  5656 AE\r\n"
	"\t\t\t\tNL\r\n"
	"\r\n"
	"20-32-33   (hex)\t\tSHENZHEN BILIAN ELECTRONIC CO.\xef\xbc\x8cLTD\r\n"
	"203233     (base 16)\t\tSHENZHEN BILIAN ELECTRONIC CO.\xef\xbc\x8cLTD\r\n"
	"\t\t\t\tNO.268\xef\xbc\x8c Fuqian Rd, Jutang community, Guanlan Town, Longhua New "
	"district\r\n"
	"\t\t\t\tshenzhen  guangdong  518000\r\n"
	"\t\t\t\tCN\r\n"
	"\r\n"
	"B8-27-EB   (hex)\t\tRaspberry Pi Foundation\r\n"
	"B827EB     (base 16)\t\tRaspberry Pi Foundation\r\n"
	"\t\t\t\tMitchell Wood House\r\n"
	"\t\t\t\tCaldecote  Cambridgeshire  CB23 7NU\r\n"
	"\t\t\t\tGB\r\n"
	"\r\n"
	"18-B4-30   (hex)\t\tNest Labs Inc.\r\n"
	"18B430     (base 16)\t\tNest Labs Inc.\r\n";

static const struct {
	const char *line;
	__u32 oui; /* 0xffffffff: not an entry */
	const char *vendor;
} line_cases[] = {
	{ "00-17-88   (hex)\t\tPhilips Lighting BV\r\n", 0x001788, "Philips Lighting BV" },
	{ "B8-27-EB   (hex)\t\tRaspberry Pi Foundation\r\n", 0xb827eb, "Raspberry Pi Foundation" },
	{ "b8-27-eb   (hex)\t\tlower case hex\n", 0xb827eb, "lower case hex" },
	{ "18-B4-30 (hex) Nest Labs Inc.   \t\r\n", 0x18b430, "Nest Labs Inc." },
	{ "  FC-FF-AA   (hex)\t\tIEEE Registration Authority", 0xfcffaa,
	  "IEEE Registration Authority" },
	{ "20-32-33   (hex)\t\tSHENZHEN BILIAN ELECTRONIC CO.\xef\xbc\x8cLTD\r\n", 0x203233,
	  "SHENZHEN BILIAN ELECTRONIC CO.\xef\xbc\x8cLTD" },
	/* not entries */
	{ "001788     (base 16)\t\tPhilips Lighting BV\r\n", 0xffffffff, NULL },
	{ "\t\t\t\tHigh Tech Campus 45\r\n", 0xffffffff, NULL },
	{ "\r\n", 0xffffffff, NULL },
	{ "", 0xffffffff, NULL },
	{ "OUI/MA-L       Organization\r\n", 0xffffffff, NULL },
	/* malformed */
	{ "00-17-88   (hex)\t\t\r\n", 0xffffffff, NULL }, /* no vendor */
	{ "00-17-88   (hex)", 0xffffffff, NULL },
	{ "00-17-8G   (hex)\t\tBad Hex\r\n", 0xffffffff, NULL },
	{ "00:17:88   (hex)\t\tColons\r\n", 0xffffffff, NULL },
	{ "00-17-88   (HEX)\t\tUpper\r\n", 0xffffffff, NULL },
	{ "00-17   (hex)\t\tShort\r\n", 0xffffffff, NULL },
	{ "00-17-88-99 (hex)\t\tLong\r\n", 0xffffffff, NULL },
	{ "00-17-88", 0xffffffff, NULL },
	{ "0", 0xffffffff, NULL },
};

START_TEST(oui_lines)
{
	char vendor[128] = "untouched";
	__u32 oui = 0xdeadbeef;
	int rc = ifn_parse_oui_line(line_cases[_i].line, &oui, vendor, sizeof(vendor));

	if (line_cases[_i].vendor) {
		ck_assert_msg(rc == 0, "line %d rejected", _i);
		ck_assert_uint_eq(oui, line_cases[_i].oui);
		ck_assert_str_eq(vendor, line_cases[_i].vendor);
	} else {
		ck_assert_msg(rc == -ENOENT, "line %d accepted", _i);
		ck_assert_uint_eq(oui, 0xdeadbeef);
		ck_assert_str_eq(vendor, "untouched");
	}
}
END_TEST

START_TEST(oui_vendor_truncated)
{
	char vendor[8];
	__u32 oui;

	ck_assert_int_eq(ifn_parse_oui_line("00-17-88   (hex)\t\tPhilips Lighting BV\r\n", &oui,
					    vendor, sizeof(vendor)),
			 0);
	ck_assert_str_eq(vendor, "Philips");
}
END_TEST

static char *write_excerpt(void)
{
	static char path[] = "/tmp/ifn-oui-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, excerpt, sizeof(excerpt) - 1), (ssize_t)sizeof(excerpt) - 1);
	close(fd);
	return path;
}

START_TEST(oui_file)
{
	static const __u8 hue[6] = { 0x00, 0x17, 0x88, 0x12, 0x34, 0x56 };
	static const __u8 rpi[6] = { 0xb8, 0x27, 0xeb, 0x00, 0x00, 0x01 };
	static const __u8 nest[6] = { 0x18, 0xb4, 0x30, 0xff, 0xff, 0xff };
	static const __u8 bilian[6] = { 0x20, 0x32, 0x33, 1, 2, 3 };
	static const __u8 none[6] = { 0x00, 0x00, 0x01, 0, 0, 1 };
	static const __u8 local[6] = { 0x02, 0x17, 0x88, 0x12, 0x34, 0x56 };
	char *path = write_excerpt();
	struct ifn_oui_db *db = ifn_oui_load(path);

	unlink(path);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(ifn_oui_size(db), 5);
	ck_assert_str_eq(ifn_oui_vendor(db, hue), "Philips Lighting BV");
	ck_assert_str_eq(ifn_oui_vendor(db, rpi), "Raspberry Pi Foundation");
	ck_assert_str_eq(ifn_oui_vendor(db, nest), "Nest Labs Inc.");
	ck_assert_str_eq(ifn_oui_vendor(db, bilian),
			 "SHENZHEN BILIAN ELECTRONIC CO.\xef\xbc\x8cLTD");
	ck_assert_str_eq(ifn_oui_vendor(db, none), "unknown");
	/* the U/L bit: randomised phone MACs, containers, veths */
	ck_assert_str_eq(ifn_oui_vendor(db, local), "locally administered");
	ifn_oui_free(db);
}
END_TEST

START_TEST(oui_missing_file)
{
	static const __u8 hue[6] = { 0x00, 0x17, 0x88, 0x12, 0x34, 0x56 };
	struct ifn_oui_db *db = ifn_oui_load("/nonexistent/oui.txt");

	/* a convenience, never an error: every vendor is "unknown" */
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(ifn_oui_size(db), 0);
	ck_assert_str_eq(ifn_oui_vendor(db, hue), "unknown");
	ck_assert_str_eq(ifn_oui_vendor(NULL, hue), "unknown");
	ifn_oui_free(db);
	ifn_oui_free(NULL);
}
END_TEST

START_TEST(oui_env)
{
	static const __u8 hue[6] = { 0x00, 0x17, 0x88, 0x12, 0x34, 0x56 };
	char *path = write_excerpt();
	struct ifn_oui_db *db;

	setenv("IOTFENCE_OUI_FILE", path, 1);
	db = ifn_oui_load(NULL);
	unsetenv("IOTFENCE_OUI_FILE");
	unlink(path);
	ck_assert_uint_eq(ifn_oui_size(db), 5);
	ck_assert_str_eq(ifn_oui_vendor(db, hue), "Philips Lighting BV");
	ifn_oui_free(db);
}
END_TEST

/* The installed registry, when ieee-data is there (scripts/deps.sh installs it). */
START_TEST(oui_installed)
{
	static const __u8 hue[6] = { 0x00, 0x17, 0x88, 0, 0, 1 };
	struct ifn_oui_db *db;

	if (access(IFN_OUI_FILE_DEFAULT, R_OK))
		return;
	db = ifn_oui_load(IFN_OUI_FILE_DEFAULT);
	ck_assert_uint_gt(ifn_oui_size(db), 10000);
	ck_assert_str_eq(ifn_oui_vendor(db, hue), "Philips Lighting BV");
	ifn_oui_free(db);
}
END_TEST

UNIT_SUITE(oui_suite)
static Suite *oui_suite(void)
{
	Suite *s = suite_create("oui");
	TCase *tc = tcase_create("oui");

	tcase_add_loop_test(tc, oui_lines, 0, N(line_cases));
	tcase_add_test(tc, oui_vendor_truncated);
	tcase_add_test(tc, oui_file);
	tcase_add_test(tc, oui_missing_file);
	tcase_add_test(tc, oui_env);
	tcase_add_test(tc, oui_installed);
	suite_add_tcase(s, tc);
	return s;
}
