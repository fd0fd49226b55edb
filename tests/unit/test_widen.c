// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Sibling-name widening, the decision (agent/widen.c): which learned names
 * may become *.parent, and which parents are never opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widen.h"
#include "unit.h"

/* The decision and the parent it gives ("" for none). */
static enum ifn_widen decide(const char *name, bool sibling, char parent[256])
{
	const char *p;
	enum ifn_widen w = ifn_widen_name(name, sibling, &p);

	snprintf(parent, 256, "%s", p ? p : "");
	ck_assert_msg((w == IFN_WIDEN_NUMBERED || w == IFN_WIDEN_SIBLINGS) == (p != NULL),
		      "%s: decision %d with parent '%s'", name, w, parent);
	return w;
}

#define WIDENS(name, sib, want_w, want_parent)                    \
	do {                                                      \
		char pb_[256];                                    \
		ck_assert_int_eq(decide(name, sib, pb_), want_w); \
		ck_assert_str_eq(pb_, want_parent);               \
	} while (0)

START_TEST(numbered_names)
{
	WIDENS("r0801.dch.dlink.com", false, IFN_WIDEN_NUMBERED, "dch.dlink.com");
	WIDENS("2.asia.pool.ntp.org", false, IFN_WIDEN_NUMBERED, "asia.pool.ntp.org");
	WIDENS("eu-west-1b.relay.example.com", false, IFN_WIDEN_NUMBERED, "relay.example.com");
	/* Digits deeper down do not make the leftmost label a counter. */
	WIDENS("api.r0801.example.com", false, IFN_WIDEN_NONE, "");
	ck_assert(ifn_widen_numbered("a3k7.iot.example.com"));
	ck_assert(!ifn_widen_numbered("api.iot1.example.com"));
}
END_TEST

START_TEST(names_not_numbered)
{
	WIDENS("api.dch.dlink.com", false, IFN_WIDEN_NONE, "");
	WIDENS("tzinfo.dch.dlink.com", false, IFN_WIDEN_NONE, "");
	/* A learned sibling is evidence enough. */
	WIDENS("api.dch.dlink.com", true, IFN_WIDEN_SIBLINGS, "dch.dlink.com");
	WIDENS("eu.mqtt.example.com", true, IFN_WIDEN_SIBLINGS, "mqtt.example.com");
}
END_TEST

/* Never the registered domain or above: its whole zone is not one service. */
START_TEST(short_parents)
{
	WIDENS("ntp1.dlink.com", false, IFN_WIDEN_SHORT, "");
	WIDENS("ntp1.dlink.com", true, IFN_WIDEN_SHORT, "");
	WIDENS("r1.com", false, IFN_WIDEN_SHORT, "");
	WIDENS("r1", false, IFN_WIDEN_SHORT, "");
	WIDENS("1.pool.ntp.org", false, IFN_WIDEN_NUMBERED, "pool.ntp.org");
	/* Under a country's second level the registered domain has 3 labels. */
	WIDENS("r1.vendor.co.uk", false, IFN_WIDEN_SHORT, "");
	WIDENS("r1.vendor.com.cn", false, IFN_WIDEN_SHORT, "");
	WIDENS("r1.iot.vendor.co.uk", false, IFN_WIDEN_NUMBERED, "iot.vendor.co.uk");
	/* A country's own second level that is no registry's: 3 labels do. */
	WIDENS("r1.iot.vendor.de", false, IFN_WIDEN_NUMBERED, "iot.vendor.de");
	WIDENS("r1.cloud.vendor.io", false, IFN_WIDEN_NUMBERED, "cloud.vendor.io");
}
END_TEST

/* Every zone of the table, in every shape a parent can take. */
START_TEST(shared_zones)
{
	char name[300], want[300];
	size_t i;

	for (i = 0; ifn_widen_shared_zones[i]; i++) {
		const char *z = ifn_widen_shared_zones[i];

		/* The parent is the zone, or under it: never, numbered or sibling. */
		snprintf(name, sizeof(name), "r1.x.y.%s", z);
		WIDENS(name, false, IFN_WIDEN_SHARED, "");
		WIDENS(name, true, IFN_WIDEN_SHARED, "");
		snprintf(name, sizeof(name), "r1.%s", z);
		ck_assert_int_eq(decide(name, true, want) == IFN_WIDEN_SHARED ||
					 decide(name, true, want) == IFN_WIDEN_SHORT,
				 1);
		ck_assert_str_eq(want, "");
		snprintf(name, sizeof(name), "r1.x.%s", z);
		ck_assert_int_ne(decide(name, false, want), IFN_WIDEN_NUMBERED);
		ck_assert_str_eq(ifn_widen_shared(z), z);
		/* A label boundary: "not<zone>" and "<zone>.example" are other zones. */
		snprintf(name, sizeof(name), "r1.x.y.not%s", z);
		snprintf(want, sizeof(want), "x.y.not%s", z);
		WIDENS(name, false, IFN_WIDEN_NUMBERED, want);
		snprintf(name, sizeof(name), "r1.%s.vendor.example", z);
		snprintf(want, sizeof(want), "%s.vendor.example", z);
		WIDENS(name, false, IFN_WIDEN_NUMBERED, want);
	}
	ck_assert_uint_gt(i, 10);
	/* The shapes of the issue: AWS IoT endpoints and S3, Azure IoT Hub, a CDN. */
	WIDENS("a3k7-ats.iot.eu-west-1.amazonaws.com", false, IFN_WIDEN_SHARED, "");
	ck_assert_str_eq(ifn_widen_shared("iot.eu-west-1.amazonaws.com"), "amazonaws.com");
	WIDENS("s3-us-west-2.amazonaws.com", false, IFN_WIDEN_SHORT, "");
	WIDENS("hub1.azure-devices.net", true, IFN_WIDEN_SHORT, "");
	WIDENS("d1.x.cloudfront.net", false, IFN_WIDEN_SHARED, "");
	WIDENS("e1234.a.akamaiedge.net", false, IFN_WIDEN_SHARED, "");
	WIDENS("r1.core.windows.net", false, IFN_WIDEN_SHARED, "");
	/* A parent that holds a shared zone opens it too. */
	ck_assert_str_eq(ifn_widen_shared("com.cn"), "amazonaws.com.cn");
	ck_assert_ptr_null(ifn_widen_shared("dch.dlink.com"));
}
END_TEST

/* IDN and odd labels: no counter in an ACE label, no rule a policy cannot hold. */
START_TEST(idn_and_odd_labels)
{
	WIDENS("xn--80ak6aa92e.dch.dlink.com", false, IFN_WIDEN_NONE, "");
	WIDENS("xn--80ak6aa92e.dch.dlink.com", true, IFN_WIDEN_SIBLINGS, "dch.dlink.com");
	WIDENS("r1.xn--80ak6aa92e.xn--p1ai.example", false, IFN_WIDEN_NUMBERED,
	       "xn--80ak6aa92e.xn--p1ai.example");
	WIDENS("_r1.svc.vendor.example", false, IFN_WIDEN_NUMBERED, "svc.vendor.example");
	WIDENS("R0801.dch.dlink.com", false, IFN_WIDEN_ODD, "");
	WIDENS("r0801.dch.dlink.com.", false, IFN_WIDEN_ODD, "");
	WIDENS("r08 01.dch.dlink.com", false, IFN_WIDEN_ODD, "");
	WIDENS("r0801..dlink.com", false, IFN_WIDEN_ODD, "");
	WIDENS("r\xc3\xa9"
	       "1.dch.dlink.com",
	       false, IFN_WIDEN_ODD, "");
	WIDENS("*.r1.dch.dlink.com", true, IFN_WIDEN_ODD, "");
	/* Deeper than the datapath hashes suffixes (IFN_DNS_SUFFIXES): no wildcard reaches. */
	WIDENS("r1.a.b.c.d.e.f.g.h.i.example.com", false, IFN_WIDEN_DEEP, "");
	WIDENS("r1.b.c.d.e.f.g.h.i.example.com", false, IFN_WIDEN_NUMBERED,
	       "b.c.d.e.f.g.h.i.example.com");
	ck_assert_str_ne(ifn_widen_str(IFN_WIDEN_SHARED), "?");
}
END_TEST

/* iotfence.8 lists every shared zone (GENERALISATION): the table is the one home. */
START_TEST(zones_in_the_manual)
{
	FILE *f = fopen("agent/iotfence.8", "r");
	char *text = NULL, key[80];
	size_t len = 0, i;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(getdelim(&text, &len, '\0', f), 0);
	fclose(f);
	for (i = 0; ifn_widen_shared_zones[i]; i++) {
		/* Dashes as groff wants them. */
		const char *z = ifn_widen_shared_zones[i];
		size_t k = 0;

		for (; *z && k + 2 < sizeof(key); z++) {
			if (*z == '-')
				key[k++] = '\\';
			key[k++] = *z;
		}
		key[k] = '\0';
		ck_assert_msg(strstr(text, key), "iotfence.8 does not list %s (as %s)",
			      ifn_widen_shared_zones[i], key);
	}
	free(text);
}
END_TEST

UNIT_SUITE(widen_suite)
static Suite *widen_suite(void)
{
	Suite *s = suite_create("widen");
	TCase *tc = tcase_create("decision");

	tcase_add_test(tc, numbered_names);
	tcase_add_test(tc, names_not_numbered);
	tcase_add_test(tc, short_parents);
	tcase_add_test(tc, shared_zones);
	tcase_add_test(tc, idn_and_odd_labels);
	tcase_add_test(tc, zones_in_the_manual);
	suite_add_tcase(s, tc);
	return s;
}
