// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The policy parser on good and bad files (every error, with its line),
 * and writing a policy back: what is written parses to the same policy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "policy_parse.h"
#include "unit.h"

struct errs {
	unsigned int n;
	unsigned int line[32];
	char msg[32][320];
};

static void collect(void *ctx, unsigned int line, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 32) {
		e->line[e->n] = line;
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	}
	e->n++;
}

static int parse(const char *text, struct ifn_policy *p, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	return ifn_policy_parse(text, strlen(text), p, collect, e);
}

static const char good[] = "# a policy\n"
			   "set scan-threshold 24   # trailing comment\n"
			   "set auto-quarantine off\n"
			   "new-devices monitor\n"
			   "interface eth0 new-devices learn learn-for 1h\n"
			   "\n"
			   "device 02:00:00:00:00:02 hall-sensor\r\n"
			   "  mode learn for 2h then monitor\n"
			   "  rate pps 100 bps 20k burst-packets 50\n"
			   "  allow tcp/443 52.94.0.0/16\n"
			   "  allow udp/123 any\n"
			   "  allow ether/0x88cc\n"
			   "  learned tcp/8883 3.4.5.6\n"
			   "  learned tcp 10.0.0.0/8 server\n"
			   "  learned-flows replace\n"
			   "device 0200.0000.0001\n"
			   "\tmode quarantine until 2026-11-22T04:15:37Z\n"
			   "\tallow gre/0 10.0.0.1\n"
			   "quarantine 02:00:00:00:00:03 for 1h then trust\n";

START_TEST(good_file)
{
	struct ifn_policy p;
	struct ifn_pol_dev *d;
	struct errs e;
	__u8 mac[6];
	__u64 t;

	ck_assert_int_eq(parse(good, &p, &e), 0);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_uint_eq(p.n_settings, 2);
	ck_assert_str_eq(p.settings[0].key, "scan-threshold");
	ck_assert_str_eq(p.settings[0].value, "24");
	ck_assert(p.newdev.set);
	ck_assert_uint_eq(p.newdev.mode, IFN_MODE_MONITOR);
	ck_assert_uint_eq(p.newdev.learn_ns, 0);
	ck_assert_uint_eq(p.n_ifaces, 1);
	ck_assert_str_eq(p.ifaces[0].name, "eth0");
	ck_assert_uint_eq(p.ifaces[0].nd.learn_ns, 3600000000000ULL);
	ck_assert_uint_eq(p.n_devs, 3);

	/* Sorted by MAC. */
	d = &p.devs[0];
	ck_assert_int_eq(ifn_parse_mac("02:00:00:00:00:01", mac), 0);
	ck_assert(!memcmp(d->mac, mac, 6));
	ck_assert_str_eq(d->name, "");
	ck_assert_uint_eq(d->mode.mode, IFN_MODE_QUARANTINE);
	ck_assert_uint_eq(d->mode.deadline, IFN_POL_UNTIL);
	ck_assert_uint_eq(d->mode.then, IFN_MODE_ENFORCE);
	ck_assert_int_eq(ifn_parse_rfc3339("2026-11-22T04:15:37Z", &t), 0);
	ck_assert_uint_eq(d->mode.until_wall_ns, t);
	ck_assert_uint_eq(d->n_rules, 1);
	ck_assert_uint_eq(d->rules[0].r.proto, 47);
	ck_assert_uint_eq(ifn_rule_kind(&d->rules[0].r), IFN_RULE_EXACT);

	d = &p.devs[1];
	ck_assert_str_eq(d->name, "hall-sensor");
	ck_assert_uint_eq(d->line, 7);
	ck_assert_uint_eq(d->mode.mode, IFN_MODE_LEARN);
	ck_assert_uint_eq(d->mode.deadline, IFN_POL_FOR);
	ck_assert_uint_eq(d->mode.for_ns, 7200000000000ULL);
	ck_assert_uint_eq(d->mode.then, IFN_MODE_MONITOR);
	ck_assert(d->rate.set);
	ck_assert_uint_eq(d->rate.pps, 100);
	ck_assert_uint_eq(d->rate.bps, 20000);
	ck_assert_uint_eq(d->rate.burst_pkts, 50);
	ck_assert(d->replace_learned);
	ck_assert_uint_eq(d->n_rules, 5);
	{
		unsigned int pol = 0, lrn = 0, gen = 0;
		size_t i;

		for (i = 0; i < d->n_rules; i++) {
			ck_assert(!memcmp(d->rules[i].r.mac, d->mac, 6));
			pol += d->rules[i].r.origin == IFN_ORIGIN_POLICY;
			lrn += d->rules[i].r.origin == IFN_ORIGIN_LEARNED;
			gen += d->rules[i].r.origin == IFN_ORIGIN_GENERALISED;
		}
		ck_assert_uint_eq(pol, 3);
		ck_assert_uint_eq(lrn, 1);
		ck_assert_uint_eq(gen, 1); /* a learned prefix is a generalised rule */
	}

	d = &p.devs[2];
	ck_assert_uint_eq(d->mode.mode, IFN_MODE_QUARANTINE);
	ck_assert_uint_eq(d->mode.deadline, IFN_POL_FOR);
	ck_assert_uint_eq(d->mode.then, IFN_MODE_TRUST);
	ck_assert_ptr_eq(ifn_policy_find(&p, d->mac), d);
	ifn_policy_free(&p);
}
END_TEST

static char *write_str(const struct ifn_policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ifn_policy_write(p, f);
	fclose(f);
	return buf;
}

START_TEST(write_read_back)
{
	struct ifn_policy p, q;
	char *a, *b;
	struct errs e;

	ck_assert_int_eq(parse(good, &p, &e), 0);
	a = write_str(&p);
	ck_assert_msg(parse(a, &q, &e) == 0, "written policy does not parse: %s (line %u)\n%s",
		      e.msg[0], e.line[0], a);
	b = write_str(&q);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "\nset scan-threshold 24\n"));
	ck_assert_ptr_nonnull(strstr(a, "\ndevice 02:00:00:00:00:02 hall-sensor\n"));
	ck_assert_ptr_nonnull(strstr(a, "\n\tmode learn for 2h then monitor\n"));
	ck_assert_ptr_nonnull(strstr(a, "\n\tmode quarantine until 2026-11-22T04:15:37Z then "
					"enforce\n"));
	ck_assert_ptr_nonnull(strstr(a, "\n\tlearned tcp 10.0.0.0/8 server\n"));
	ck_assert_ptr_nonnull(strstr(a, "\n\tallow gre/0 10.0.0.1\n"));
	ck_assert_ptr_nonnull(strstr(a, "\ninterface eth0 new-devices learn learn-for 1h\n"));
	free(a);
	free(b);
	ifn_policy_free(&p);
	ifn_policy_free(&q);
}
END_TEST

/* One bad statement each, with what the message must say and on which line. */
static const struct {
	const char *text;
	unsigned int line;
	const char *why;
} bad[] = {
	{ "set scan-threshold 0\n", 1, "scan-threshold" },
	{ "set colour red\n", 1, "unknown setting 'colour'" },
	{ "set scan-threshold\n", 1, "set KEY VALUE" },
	{ "set scan-threshold 3\nset scan-threshold 4\n", 2, "already set at line 1" },
	{ "frobnicate\n", 1, "unknown statement 'frobnicate'" },
	{ "allow tcp/443 any\n", 1, "outside a device" },
	{ "device 02:00:00:00:00:01\nset event-limit 3\nallow tcp/443 any\n", 3,
	  "outside a device" },
	{ "device 02:00:00:00:00:0g\n", 1, "not a MAC address" },
	{ "device ff:ff:ff:ff:ff:ff\n", 1, "ff:ff:ff:ff:ff:ff is not a device MAC" },
	{ "device 01:00:5e:00:00:01\n", 1, "not a device MAC" },
	{ "device 00:00:00:00:00:00\n", 1, "not a device MAC" },
	{ "device 02:00:00:00:00:01 a b\n", 1, "device MAC [NAME]" },
	{ "device 02:00:00:00:00:01 -dash\n", 1, "not a device name" },
	{ "device 02:00:00:00:00:01 0123456789012345678901234567890123456789012345678\n", 1,
	  "not a device name" },
	{ "device 02:00:00:00:00:01\ndevice 02-00-00-00-00-01\n", 2, "already declared at line 1" },
	{ "device 02:00:00:00:00:01\nquarantine 02:00:00:00:00:01\n", 2, "already declared" },
	{ "device 02:00:00:00:00:01\n mode sleep\n", 2, "not a mode" },
	{ "device 02:00:00:00:00:01\n mode\n", 2, "missing mode" },
	{ "device 02:00:00:00:00:01\n mode learn for\n", 2, "'for' needs a duration" },
	{ "device 02:00:00:00:00:01\n mode learn for 0s\n", 2, "above 0" },
	{ "device 02:00:00:00:00:01\n mode learn then enforce\n", 2, "'then' needs" },
	{ "device 02:00:00:00:00:01\n mode learn until 2026-02-30T00:00:00Z\n", 2, "UTC time" },
	{ "device 02:00:00:00:00:01\n mode learn until 2026-11-22 04:00:00\n", 2, "UTC time" },
	{ "device 02:00:00:00:00:01\n mode learn for 1h then\n", 2, "'then' needs a mode" },
	{ "device 02:00:00:00:00:01\n mode learn for 1h extra\n", 2, "unexpected 'extra'" },
	{ "device 02:00:00:00:00:01\n mode enforce\n mode learn\n", 3, "already given at line 2" },
	{ "device 02:00:00:00:00:01\n rate\n", 2, "rate needs pairs" },
	{ "device 02:00:00:00:00:01\n rate pps\n", 2, "rate needs pairs" },
	{ "device 02:00:00:00:00:01\n rate ppm 3\n", 2, "unknown rate key 'ppm'" },
	{ "device 02:00:00:00:00:01\n rate pps lots\n", 2, "not a number" },
	{ "device 02:00:00:00:00:01\n rate pps 10 burst-packets 11\n", 2, "one second's worth" },
	{ "device 02:00:00:00:00:01\n rate bps 100G\n", 2, "too high" },
	{ "device 02:00:00:00:00:01\n rate none\n rate pps 1\n", 3, "already given at line 2" },
	{ "device 02:00:00:00:00:01\n allow\n", 2, "missing PROTO" },
	{ "device 02:00:00:00:00:01\n allow tcp/443\n", 2, "missing PEER" },
	{ "device 02:00:00:00:00:01\n allow tcp/0 1.2.3.4\n", 2, "port" },
	{ "device 02:00:00:00:00:01\n allow gre/5 1.2.3.4\n", 2, "no ports" },
	{ "device 02:00:00:00:00:01\n allow tcp/443 10.0.0.1/8\n", 2, "host bits" },
	{ "device 02:00:00:00:00:01\n allow tcp/443 1.2.3.4 sideways\n", 2, "unexpected" },
	{ "device 02:00:00:00:00:01\n allow ether/0x88cc any server\n", 2, "no direction" },
	{ "device 02:00:00:00:00:01\n allow tcp/443 1.2.3.4\n learned tcp/443 1.2.3.4\n", 3,
	  "already given at line 2" },
	/* A third time names the first occurrence, not the second. */
	{ "device 02:00:00:00:00:01\n allow tcp/443 1.2.3.4\n allow tcp/443 1.2.3.4\n"
	  " allow tcp/443 1.2.3.4\n",
	  4, "already given at line 2" },
	{ "device 02:00:00:00:00:01\n learned-flows sometimes\n", 2, "keep|replace" },
	{ "device 02:00:00:00:00:01\n learned-flows keep\n learned-flows keep\n", 3,
	  "already given" },
	{ "new-devices\n", 1, "needs a mode" },
	{ "new-devices learn learn-for\n", 1, "learn-for needs a duration" },
	{ "new-devices learn 24h\n", 1, "unexpected '24h'" },
	{ "new-devices learn\nnew-devices enforce\n", 2, "already given at line 1" },
	{ "interface eth0\n", 1, "interface IFACE new-devices" },
	{ "interface eth:0 new-devices learn\n", 1, "not an interface name" },
	{ "interface eth0 new-devices learn\ninterface eth0 new-devices trust\n", 2,
	  "already given at line 1" },
	{ "quarantine 02:00:00:00:00:01 for\n", 1, "'for' needs" },
	{ "quarantine\n", 1, "quarantine MAC" },
	{ "device 02:00:00:00:00:01\n allow a b c d e f g h i j k l m n o p q\n", 2,
	  "too many words" },
};

START_TEST(bad_statement)
{
	struct ifn_policy p;
	struct errs e;
	int rc = parse(bad[_i].text, &p, &e);

	ck_assert_msg(rc > 0, "case %d accepted", _i);
	ck_assert_uint_eq((unsigned int)rc, e.n);
	ck_assert_msg(e.line[e.n - 1] == bad[_i].line, "case %d: error on line %u, not %u (%s)", _i,
		      e.line[e.n - 1], bad[_i].line, e.msg[e.n - 1]);
	ck_assert_msg(strstr(e.msg[e.n - 1], bad[_i].why), "case %d: '%s' lacks '%s'", _i,
		      e.msg[e.n - 1], bad[_i].why);
	ck_assert_ptr_null(p.devs);
	ck_assert_uint_eq(p.n_devs, 0);
}
END_TEST

/* Every error is reported, not only the first; parsing goes on after each. */
START_TEST(every_error)
{
	static const char text[] = "set scan-threshold 0\n"
				   "device 02:00:00:00:00:01\n"
				   " allow tcp/99999 1.2.3.4\n"
				   " allow tcp/443 1.2.3.4\n"
				   " mode nap\n"
				   "device 03:00:00:00:00:01\n"
				   " allow tcp/22 any\n" /* in a bad device: no second error */
				   "device 02:00:00:00:00:02\n"
				   " allow tcp/443 1.2.3.4\n"
				   " allow tcp/443 1.2.3.4\n"
				   "bogus\n";
	static const unsigned int lines[] = { 1, 3, 5, 6, 10, 11 };
	struct ifn_policy p;
	struct errs e;
	unsigned int i, j;

	ck_assert_int_eq(parse(text, &p, &e), 6);
	for (i = 0; i < 6; i++) {
		bool found = false;

		for (j = 0; j < e.n; j++)
			found |= e.line[j] == lines[i];
		ck_assert_msg(found, "no error on line %u", lines[i]);
	}
}
END_TEST

START_TEST(empty_and_comments)
{
	struct ifn_policy p;
	struct errs e;

	ck_assert_int_eq(parse("", &p, &e), 0);
	ck_assert_uint_eq(p.n_devs + p.n_settings + p.n_ifaces, 0);
	ifn_policy_free(&p);
	ck_assert_int_eq(parse("# only\n\n   # comments\n\t\n", &p, &e), 0);
	ifn_policy_free(&p);
	/* No newline at the end, and a NUL byte in a line. */
	ck_assert_int_eq(parse("set event-limit 3", &p, &e), 0);
	ck_assert_uint_eq(p.n_settings, 1);
	ifn_policy_free(&p);
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(ifn_policy_parse("set a\0b 1\n", 10, &p, collect, &e), 1);
	ck_assert_ptr_nonnull(strstr(e.msg[0], "NUL"));
}
END_TEST

static const struct {
	const char *s;
	__u64 ns; /* 0: must be rejected */
} times[] = {
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2026-11-22T04:15:37Z", 1795320937000000000ULL },
	{ "2026-11-22T04:15:37.5Z", 1795320937500000000ULL },
	{ "2026-11-22T04:15:37.123456789Z", 1795320937123456789ULL },
	{ "2024-02-29T00:00:00Z", 1709164800000000000ULL },
	{ "2026-02-29T00:00:00Z", 0 },
	{ "2026-11-22T04:15:37", 0 },
	{ "2026-11-22T04:15:37+01:00", 0 },
	{ "2026-11-22t04:15:37z", 0 },
	{ "2026-13-01T00:00:00Z", 0 },
	{ "2026-11-22T24:00:00Z", 0 },
	{ "2026-11-22T04:15:37.Z", 0 },
	{ "", 0 },
};

START_TEST(rfc3339)
{
	__u64 ns = 0;
	int rc = ifn_parse_rfc3339(times[_i].s, &ns);

	if (times[_i].ns) {
		ck_assert_msg(!rc, "'%s' rejected", times[_i].s);
		ck_assert_uint_eq(ns, times[_i].ns);
	} else if (strcmp(times[_i].s, "1970-01-01T00:00:00Z")) {
		ck_assert_msg(rc == -EINVAL, "'%s' accepted", times[_i].s);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(ns, 0);
	}
}
END_TEST

START_TEST(names)
{
	ck_assert(ifn_name_valid("kitchen-plug"));
	ck_assert(ifn_name_valid("cam_2.front"));
	ck_assert(!ifn_name_valid(""));
	ck_assert(!ifn_name_valid("-x"));
	ck_assert(!ifn_name_valid("with space"));
	ck_assert(!ifn_name_valid("semi;colon"));
	ck_assert(!ifn_name_valid("ümlaut"));
	ck_assert(ifn_name_valid("012345678901234567890123456789012345678901234567"));
	ck_assert(!ifn_name_valid("0123456789012345678901234567890123456789012345678"));
}
END_TEST

UNIT_SUITE(policy_suite)
static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy-parse");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, good_file);
	tcase_add_test(tc, write_read_back);
	tcase_add_loop_test(tc, bad_statement, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, every_error);
	tcase_add_test(tc, empty_and_comments);
	tcase_add_loop_test(tc, rfc3339, 0, sizeof(times) / sizeof(times[0]));
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
