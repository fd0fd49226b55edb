// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_settings.c - run-time settings by name: apply, format, print. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotfence.h"
#include "settings.h"
#include "state.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *key, *value;
	const char *shown; /* ifn_setting_format afterwards; NULL: refused */
} cases[] = {
	{ "scan-threshold", "1", "1" },
	{ "scan-threshold", "128", "128" },
	{ "scan-threshold", "0", NULL },
	{ "scan-threshold", "129", NULL },
	{ "scan-threshold", "ten", NULL },
	{ "scan-window", "30s", "30s" },
	{ "scan-window", "1m30s", "1m30s" },
	{ "scan-window", "90", "1m30s" },
	{ "scan-window", "1s", "1s" },
	{ "scan-window", "999ms", NULL },
	{ "scan-window", "0", NULL },
	{ "scan-window", "10M", NULL },
	/* The bound of --for and of a policy's durations (issue 15). */
	{ "scan-window", "3650d", "3650d" },
	{ "scan-window", "3650d1s", NULL },
	{ "scan-window", "100000d", NULL },
	{ "auto-quarantine", "off", "off" },
	{ "auto-quarantine", "ON", "on" },
	{ "auto-quarantine", "no", "off" },
	{ "auto-quarantine", "yes", "on" },
	{ "auto-quarantine", "0", "off" },
	{ "auto-quarantine", "1", "on" },
	{ "auto-quarantine", "maybe", NULL },
	{ "fingerprint-cap", "1k", "1000" },
	{ "fingerprint-cap", "1000000", "1000000" },
	{ "fingerprint-cap", "1000001", NULL },
	{ "fingerprint-cap", "0", NULL },
	{ "event-limit", "0", "0" },
	{ "event-limit", "255", "255" },
	{ "event-limit", "256", NULL },
	{ "unknown-devices", "pass", "pass" },
	{ "unknown-devices", "DROP", "drop" },
	{ "unknown-devices", "allow", NULL },
	{ "answers", "drop", "drop" },
	{ "answers", "PASS", "pass" },
	{ "answers", "maybe", NULL },
	{ "answer-memory", "30s", "30s" },
	{ "answer-memory", "1s", "1s" },
	{ "answer-memory", "4m15s", "4m15s" },
	{ "answer-memory", "4m16s", NULL },
	{ "answer-memory", "1500ms", NULL },
	{ "answer-memory", "0", NULL },
	{ "dns-min-ttl", "0", "0s" },
	{ "dns-min-ttl", "90m", "1h30m" },
	{ "dns-min-ttl", "7d", "7d" },
	{ "dns-min-ttl", "8d", NULL },
	{ "dns-min-ttl", "soon", NULL },
	{ "no-such-setting", "1", NULL },
	{ "Scan-Threshold", "5", NULL }, /* keys are exact */
};

START_TEST(apply_format)
{
	struct ifn_config cfg, before;
	char err[160] = "", buf[64];
	int rc;

	ifn_config_defaults(&cfg);
	before = cfg;
	rc = ifn_setting_apply(&cfg, cases[_i].key, cases[_i].value, err, sizeof(err));
	if (!cases[_i].shown) {
		ck_assert_msg(rc == -EINVAL, "%s %s accepted", cases[_i].key, cases[_i].value);
		ck_assert_msg(strstr(err, cases[_i].key) || strstr(err, cases[_i].value),
			      "error '%s' names neither key nor value", err);
		/* nothing changes on error */
		ck_assert_mem_eq(&cfg, &before, sizeof(cfg));
		return;
	}
	ck_assert_msg(rc == 0, "%s %s: %s", cases[_i].key, cases[_i].value, err);
	ck_assert_int_eq(ifn_setting_format(&cfg, cases[_i].key, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, cases[_i].shown);
	/* what is shown applies back to the same settings */
	before = cfg;
	ck_assert_int_eq(ifn_setting_apply(&cfg, cases[_i].key, buf, err, sizeof(err)), 0);
	ck_assert_mem_eq(&cfg, &before, sizeof(cfg));
}
END_TEST

START_TEST(defaults_round_trip)
{
	struct ifn_config cfg, copy;
	char buf[64], err[160];
	int i;

	ifn_config_defaults(&cfg);
	ck_assert_uint_eq(cfg.abi_version, IFN_ABI_VERSION);
	ck_assert_uint_eq(cfg.scan_threshold, IFN_SCAN_THRESHOLD_DEFAULT);
	copy = cfg;
	for (i = 0; ifn_setting_names[i]; i++) {
		ck_assert_int_eq(ifn_setting_format(&cfg, ifn_setting_names[i], buf, sizeof(buf)),
				 0);
		ck_assert_msg(!ifn_setting_apply(&copy, ifn_setting_names[i], buf, err,
						 sizeof(err)),
			      "%s %s: %s", ifn_setting_names[i], buf, err);
	}
	ck_assert_mem_eq(&cfg, &copy, sizeof(cfg));
	ck_assert_int_eq(ifn_setting_format(&cfg, "nope", buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(print_text_and_json)
{
	struct ifn_config cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ifn_config_defaults(&cfg);
	f = open_memstream(&buf, &len);
	ifn_settings_print(&cfg, f, false);
	fclose(f);
	ck_assert_str_eq(buf, "scan-threshold   16\n"
			      "scan-window      10s\n"
			      "auto-quarantine  on\n"
			      "fingerprint-cap  512\n"
			      "event-limit      8\n"
			      "unknown-devices  drop\n"
			      "dns-min-ttl      1h\n"
			      "answers          pass\n"
			      "answer-memory    30s\n");
	free(buf);
	f = open_memstream(&buf, &len);
	ifn_settings_print(&cfg, f, true);
	fclose(f);
	ck_assert_str_eq(buf,
			 "{\"scan_threshold\":16,\"scan_window_s\":10,\"auto_quarantine\":true,"
			 "\"fingerprint_cap\":512,\"event_limit\":8,"
			 "\"unknown_devices\":\"drop\",\"dns_min_ttl_s\":3600,\"answers\":\"pass\","
			 "\"answer_memory_s\":30}\n");
	free(buf);
}
END_TEST

UNIT_SUITE(settings_suite)
static Suite *settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("settings");

	tcase_add_loop_test(tc, apply_format, 0, N(cases));
	tcase_add_test(tc, defaults_round_trip);
	tcase_add_test(tc, print_text_and_json);
	suite_add_tcase(s, tc);
	return s;
}
