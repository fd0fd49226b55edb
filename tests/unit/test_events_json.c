// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Events as JSON objects and text lines: the exact shape of each type
 * (iotfence.8, EVENTS), on the virtual clock so that times are fixed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "events.h"
#include "format.h"
#include "parse.h"
#include "state.h"
#include "unit.h"

#define T0 1700000000123000000ULL /* 2023-11-14T22:13:20.123Z */
#define HEAD(type) "{\"time\":\"2023-11-14T22:13:20.123Z\",\"type\":\"" type "\","

static void mac(const char *s, __u8 m[6])
{
	ck_assert_int_eq(ifn_parse_mac(s, m), 0);
}

static void addr(const char *s, __u8 a[16])
{
	ck_assert_int_eq(ifn_parse_ip(s, a, NULL), 0);
}

static struct ifn_event ev(__u8 type, __u8 mode)
{
	struct ifn_event e;

	memset(&e, 0, sizeof(e));
	e.time_ns = T0;
	e.type = type;
	e.mode = mode;
	e.ifindex = 3;
	mac("02:00:00:00:00:01", e.mac);
	return e;
}

static void flow(struct ifn_event *e, __u8 family, __u8 proto, __u16 port, __u8 dir,
		 const char *peer)
{
	memcpy(e->flow.mac, e->mac, 6);
	e->flow.family = family;
	e->flow.proto = proto;
	e->flow.port = port;
	e->flow.dir = dir;
	if (peer)
		addr(peer, e->flow.peer);
}

static char *json(const struct ifn_event *e, const char *ifname)
{
	static char buf[2048];

	ck_assert_uint_gt(ifn_event_json_line(buf, sizeof(buf), e, ifname), 0);
	/* One line, newline-terminated. */
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + strlen(buf) - 1);
	buf[strlen(buf) - 1] = '\0';
	return buf;
}

#define DEVPART "\"mac\":\"02:00:00:00:00:01\",\"interface\":\"lan0\","

START_TEST(json_each_type)
{
	struct ifn_event e;

	ifn_clock_set_virtual(true);

	e = ev(IFN_EV_NEW_DEVICE, IFN_MODE_LEARN);
	ck_assert_str_eq(json(&e, "lan0"),
			 HEAD("NEW_DEVICE") DEVPART "\"mode\":\"learn\",\"flow\":null}");

	e = ev(IFN_EV_LEARNING_DONE, IFN_MODE_ENFORCE);
	e.value = 12;
	ck_assert_str_eq(json(&e, "lan0"), HEAD("LEARNING_DONE") DEVPART
			 "\"mode\":\"enforce\",\"flow\":null,\"flows\":12}");

	e = ev(IFN_EV_VIOLATION, IFN_MODE_ENFORCE);
	flow(&e, IFN_FAMILY_IPV4, 6, 23, IFN_DIR_CLIENT, "10.99.200.7");
	ck_assert_str_eq(json(&e, "lan0"), HEAD("VIOLATION") DEVPART
			 "\"mode\":\"enforce\",\"flow\":{\"family\":\"ipv4\",\"proto\":\"tcp\","
			 "\"port\":23,\"dir\":\"client\",\"peer\":\"10.99.200.7\","
			 "\"rule\":\"tcp/23 10.99.200.7\"},\"names\":[]}");

	e = ev(IFN_EV_SCAN, IFN_MODE_ENFORCE);
	flow(&e, IFN_FAMILY_IPV4, 6, 2323, IFN_DIR_CLIENT, "10.99.201.9");
	e.value = 17;
	ck_assert_str_eq(json(&e, "lan0"), HEAD("SCAN") DEVPART
			 "\"mode\":\"enforce\",\"flow\":{\"family\":\"ipv4\",\"proto\":\"tcp\","
			 "\"port\":2323,\"dir\":\"client\",\"peer\":\"10.99.201.9\","
			 "\"rule\":\"tcp/2323 10.99.201.9\"},\"distinct_flows\":17}");

	e.type = IFN_EV_AUTO_QUARANTINE;
	e.mode = IFN_MODE_QUARANTINE;
	ck_assert_str_eq(json(&e, "lan0"), HEAD("AUTO_QUARANTINE") DEVPART
			 "\"mode\":\"quarantine\",\"flow\":{\"family\":\"ipv4\",\"proto\":\"tcp\","
			 "\"port\":2323,\"dir\":\"client\",\"peer\":\"10.99.201.9\","
			 "\"rule\":\"tcp/2323 10.99.201.9\"},\"distinct_flows\":17}");

	e = ev(IFN_EV_RATE_EXCEEDED, IFN_MODE_MONITOR);
	flow(&e, IFN_FAMILY_IPV6, 17, 554, IFN_DIR_SERVER, "2001:db8::9");
	ck_assert_str_eq(json(&e, "lan0"), HEAD("RATE_EXCEEDED") DEVPART
			 "\"mode\":\"monitor\",\"flow\":{\"family\":\"ipv6\",\"proto\":\"udp\","
			 "\"port\":554,\"dir\":\"server\",\"peer\":\"2001:db8::9\","
			 "\"rule\":\"udp/554 2001:db8::9 server\"}}");

	e = ev(IFN_EV_FINGERPRINT_CAP, IFN_MODE_ENFORCE);
	flow(&e, IFN_FAMILY_L2, 0, 0x88cc, IFN_DIR_CLIENT, NULL);
	e.value = 512;
	ck_assert_str_eq(json(&e, "lan0"), HEAD("FINGERPRINT_CAP") DEVPART
			 "\"mode\":\"enforce\",\"flow\":{\"family\":\"l2\",\"proto\":null,"
			 "\"ethertype\":35020,\"peer\":null,\"rule\":\"ether/0x88cc\"},"
			 "\"flows\":512}");

	e = ev(IFN_EV_IP_CHANGE, IFN_MODE_ENFORCE);
	addr("192.168.1.11", e.addr);
	addr("192.168.1.10", e.old_addr);
	ck_assert_str_eq(json(&e, "lan0"), HEAD("IP_CHANGE") DEVPART
			 "\"mode\":\"enforce\",\"flow\":null,\"address\":\"192.168.1.11\","
			 "\"old_address\":\"192.168.1.10\"}");

	e = ev(IFN_EV_IP_CONFLICT, IFN_MODE_LEARN);
	addr("2001:db8::5", e.addr);
	mac("02:00:00:00:00:02", e.other_mac);
	ck_assert_str_eq(json(&e, "lan0"), HEAD("IP_CONFLICT") DEVPART
			 "\"mode\":\"learn\",\"flow\":null,\"address\":\"2001:db8::5\","
			 "\"owner\":\"02:00:00:00:00:02\"}");

	/* The answer's source and the MAC it came from, as the man page says. */
	e = ev(IFN_EV_DNS_SPOOFED, IFN_MODE_ENFORCE);
	addr("192.168.1.11", e.addr);
	mac("02:00:00:00:00:02", e.other_mac);
	ck_assert_str_eq(json(&e, "lan0"), HEAD("DNS_SPOOFED") DEVPART
			 "\"mode\":\"enforce\",\"flow\":null,\"address\":\"192.168.1.11\","
			 "\"owner\":\"02:00:00:00:00:02\"}");

	/* No device record: no mode. */
	e = ev(IFN_EV_TABLE_FULL, 0);
	ck_assert_str_eq(json(&e, "lan0"),
			 HEAD("TABLE_FULL") DEVPART "\"mode\":null,\"flow\":null}");

	/* No device at all. */
	e = ev(IFN_EV_EVENTS_LOST, 0);
	e.ifindex = 0;
	e.value = 4242;
	ck_assert_str_eq(json(&e, "lan0"),
			 HEAD("EVENTS_LOST") "\"mac\":null,\"interface\":null,\"mode\":null,"
					     "\"flow\":null,\"lost\":4242}");

	/* An interface that has no name any more. */
	e = ev(IFN_EV_NEW_DEVICE, IFN_MODE_LEARN);
	ck_assert_str_eq(json(&e, NULL),
			 HEAD("NEW_DEVICE") "\"mac\":\"02:00:00:00:00:01\","
					    "\"interface\":null,\"mode\":\"learn\",\"flow\":null}");
	ifn_clock_set_virtual(false);
}
END_TEST

START_TEST(json_line_too_long)
{
	struct ifn_event e = ev(IFN_EV_NEW_DEVICE, 0);
	char small[40];

	ifn_clock_set_virtual(true);
	/* Cut, never overflowed, and refused rather than half a line. */
	ck_assert_uint_eq(ifn_event_json_line(small, sizeof(small), &e, "lan0"), 0);
	ifn_clock_set_virtual(false);
}
END_TEST

START_TEST(text_lines)
{
	struct ifn_event e;
	char buf[512];

	ifn_clock_set_virtual(true);
	e = ev(IFN_EV_SCAN, IFN_MODE_ENFORCE);
	flow(&e, IFN_FAMILY_IPV4, 6, 23, IFN_DIR_CLIENT, "10.99.200.7");
	e.value = 17;
	ifn_event_text(buf, sizeof(buf), &e, "lan0");
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z SCAN            02:00:00:00:00:01 lan0 "
			      "enforce tcp/23 10.99.200.7 (17 distinct flows outside the "
			      "fingerprint)");
	e = ev(IFN_EV_IP_CONFLICT, IFN_MODE_LEARN);
	addr("192.168.1.10", e.addr);
	mac("02:00:00:00:00:02", e.other_mac);
	ifn_event_text(buf, sizeof(buf), &e, "lan0");
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z IP_CONFLICT     02:00:00:00:00:01 lan0 "
			      "learn 192.168.1.10 (held by 02:00:00:00:00:02)");
	/* Who sent the forged answer: its address and MAC (iotfence.8, EVENTS). */
	e = ev(IFN_EV_DNS_SPOOFED, IFN_MODE_ENFORCE);
	addr("192.168.1.11", e.addr);
	mac("02:00:00:00:00:02", e.other_mac);
	ifn_event_text(buf, sizeof(buf), &e, "lan0");
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z DNS_SPOOFED     02:00:00:00:00:01 lan0 "
			      "enforce DNS answer from 192.168.1.11 (02:00:00:00:00:02), a LAN "
			      "device: ignored");
	e = ev(IFN_EV_EVENTS_LOST, 0);
	e.ifindex = 0;
	e.value = 5;
	ifn_event_text(buf, sizeof(buf), &e, NULL);
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z EVENTS_LOST     - - - 5 events not "
			      "reported (limited or ring full)");
	/* A short buffer is cut, and terminated. */
	ifn_event_text(buf, 10, &e, NULL);
	ck_assert_str_eq(buf, "2023-11-1");
	ifn_clock_set_virtual(false);
}
END_TEST

/* A fake ifn_dns_names: two names known by their hashes. */
static bool fake_names(void *ctx, __u64 hash, char buf[IFN_DNS_NAME_MAX])
{
	(void)ctx;
	if (hash != 0x1111 && hash != 0x2222)
		return false;
	snprintf(buf, IFN_DNS_NAME_MAX, "%s", hash == 0x1111 ? "a.example.com" : "cdn.example.net");
	return true;
}

static void put_name(struct ifn_event *e, int i, __u64 h)
{
	memcpy(e->names[i], &h, sizeof(h));
}

/* A VIOLATION to a resolved peer says from which names, in JSON and in text. */
START_TEST(violation_names)
{
	struct ifn_event e;
	char buf[1024];

	ifn_clock_set_virtual(true);
	e = ev(IFN_EV_VIOLATION, IFN_MODE_ENFORCE);
	flow(&e, IFN_FAMILY_IPV4, 6, 22, IFN_DIR_CLIENT, "52.1.2.3");
	put_name(&e, 0, 0x1111);
	put_name(&e, 2, 0x2222);
	put_name(&e, 3, 0x9999); /* its text is gone */
	/* No source of names (an offline reader): nothing said. */
	ifn_events_name_source(NULL, NULL);
	ck_assert_ptr_nonnull(strstr(json(&e, "lan0"), "\"names\":[]}"));
	ifn_event_text(buf, sizeof(buf), &e, "lan0");
	ck_assert_ptr_null(strstr(buf, "resolved"));

	ifn_events_name_source(fake_names, NULL);
	ck_assert_ptr_nonnull(strstr(json(&e, "lan0"),
				     "\"rule\":\"tcp/22 52.1.2.3\"},\"names\":[\"a.example.com\","
				     "\"cdn.example.net\"],\"names_unknown\":1}"));
	ifn_event_text(buf, sizeof(buf), &e, "lan0");
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z VIOLATION       02:00:00:00:00:01 lan0 "
			      "enforce tcp/22 52.1.2.3 (resolved from a.example.com, "
			      "cdn.example.net and 1 name no longer known)");
	/* A peer the device never resolved. */
	memset(e.names, 0, sizeof(e.names));
	ck_assert_ptr_nonnull(strstr(json(&e, "lan0"), "\"names\":[]}"));
	ifn_event_text(buf, sizeof(buf), &e, "lan0");
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z VIOLATION       02:00:00:00:00:01 lan0 "
			      "enforce tcp/22 52.1.2.3");
	ifn_events_name_source(NULL, NULL);
	ifn_clock_set_virtual(false);
}
END_TEST

START_TEST(priorities)
{
	ck_assert_int_eq(ifn_event_priority(IFN_EV_SCAN), 4 /* LOG_WARNING */);
	ck_assert_int_eq(ifn_event_priority(IFN_EV_AUTO_QUARANTINE), 4);
	ck_assert_int_eq(ifn_event_priority(IFN_EV_EVENTS_LOST), 4);
	ck_assert_int_eq(ifn_event_priority(IFN_EV_VIOLATION), 5 /* LOG_NOTICE */);
	ck_assert_int_eq(ifn_event_priority(IFN_EV_NEW_DEVICE), 6 /* LOG_INFO */);
}
END_TEST

UNIT_SUITE(events_json_suite)
static Suite *events_json_suite(void)
{
	Suite *s = suite_create("events-format");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, json_each_type);
	tcase_add_test(tc, json_line_too_long);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, violation_names);
	tcase_add_test(tc, priorities);
	suite_add_tcase(s, tc);
	return s;
}
