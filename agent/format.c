// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "iotfence.h"
#include "format.h"

char *ifn_fmt_mac(const __u8 mac[6], char buf[IFN_MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	/* By hand: listings format one per device, and printf is slow. */
	for (i = 0; i < 6; i++) {
		buf[i * 3] = hex[mac[i] >> 4];
		buf[i * 3 + 1] = hex[mac[i] & 15];
		buf[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
	return buf;
}

bool ifn_addr_is_v4(const __u8 addr[16])
{
	static const __u8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(addr, prefix, 12);
}

bool ifn_addr_is_zero(const __u8 addr[16])
{
	static const __u8 zero[16];

	return !memcmp(addr, zero, 16);
}

char *ifn_fmt_addr(const __u8 addr[16], char buf[IFN_ADDR_STRLEN])
{
	if (ifn_addr_is_v4(addr))
		inet_ntop(AF_INET, addr + 12, buf, IFN_ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, addr, buf, IFN_ADDR_STRLEN);
	return buf;
}

char *ifn_fmt_cidr(const __u8 addr[16], __u8 plen, char buf[IFN_ADDR_STRLEN])
{
	size_t n;

	if (plen == 0) {
		snprintf(buf, IFN_ADDR_STRLEN, "any");
		return buf;
	}
	ifn_fmt_addr(addr, buf);
	n = strlen(buf);
	if (ifn_addr_is_v4(addr) && plen >= 96) {
		if (plen < 128)
			snprintf(buf + n, IFN_ADDR_STRLEN - n, "/%u", plen - 96);
	} else if (plen < 128) {
		snprintf(buf + n, IFN_ADDR_STRLEN - n, "/%u", plen);
	}
	return buf;
}

char *ifn_fmt_duration(__u64 ns, char *buf, size_t len)
{
	static const struct {
		const char *suffix;
		__u64 ns;
	} units[] = {
		{ "d", 86400000000000ULL }, { "h", 3600000000000ULL }, { "m", 60000000000ULL },
		{ "s", 1000000000ULL },	    { "ms", 1000000ULL },
	};
	size_t i, n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		__u64 v = ns / units[i].ns;

		if (!v)
			continue;
		ns -= v * units[i].ns;
		n += snprintf(buf + n, n < len ? len - n : 0, "%llu%s", (unsigned long long)v,
			      units[i].suffix);
		if (n >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "0s");
	return buf;
}

static void put_digits(char *p, unsigned int v, int n)
{
	while (n--) {
		p[n] = '0' + v % 10;
		v /= 10;
	}
}

char *ifn_fmt_time(__u64 wall_ns, char buf[IFN_TIME_STRLEN])
{
	time_t sec = wall_ns / 1000000000ULL;
	unsigned int ms = (wall_ns / 1000000ULL) % 1000;
	struct tm tm;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, IFN_TIME_STRLEN, "invalid");
		return buf;
	}
	/* By hand, not strftime: listings print two of these per device. */
	if (tm.tm_year + 1900 > 9999) {
		snprintf(buf, IFN_TIME_STRLEN, "invalid");
		return buf;
	}
	put_digits(buf, tm.tm_year + 1900, 4);
	buf[4] = '-';
	put_digits(buf + 5, tm.tm_mon + 1, 2);
	buf[7] = '-';
	put_digits(buf + 8, tm.tm_mday, 2);
	buf[10] = 'T';
	put_digits(buf + 11, tm.tm_hour, 2);
	buf[13] = ':';
	put_digits(buf + 14, tm.tm_min, 2);
	buf[16] = ':';
	put_digits(buf + 17, tm.tm_sec, 2);
	buf[19] = '.';
	put_digits(buf + 20, ms, 3);
	buf[23] = 'Z';
	buf[24] = '\0';
	return buf;
}

static const char *const mode_names[IFN_MODE_MAX] = {
	[IFN_MODE_LEARN] = "learn",	[IFN_MODE_MONITOR] = "monitor",
	[IFN_MODE_ENFORCE] = "enforce", [IFN_MODE_QUARANTINE] = "quarantine",
	[IFN_MODE_TRUST] = "trust",
};

const char *ifn_mode_name(unsigned int mode)
{
	return mode < IFN_MODE_MAX ? mode_names[mode] : "unknown";
}

const char *ifn_verdict_name(unsigned int verdict)
{
	static const char *const names[IFN_VERDICT_MAX] = { "pass", "drop", "alert" };

	return verdict < IFN_VERDICT_MAX ? names[verdict] : "unknown";
}

static const char *const reason_names[IFN_REASON_MAX] = {
	[IFN_REASON_NONE] = "none",
	[IFN_REASON_ETH_TRUNC] = "eth_truncated",
	[IFN_REASON_BAD_SRC_MAC] = "bad_source_mac",
	[IFN_REASON_VLAN_TRUNC] = "vlan_truncated",
	[IFN_REASON_VLAN_DEPTH] = "vlan_too_deep",
	[IFN_REASON_ARP_TRUNC] = "arp_truncated",
	[IFN_REASON_IPV4_TRUNC] = "ipv4_truncated",
	[IFN_REASON_IPV4_BAD_HDR] = "ipv4_bad_header",
	[IFN_REASON_IPV6_TRUNC] = "ipv6_truncated",
	[IFN_REASON_IPV6_BAD_HDR] = "ipv6_bad_header",
	[IFN_REASON_IPV6_EXT_LIMIT] = "ipv6_ext_chain_too_long",
	[IFN_REASON_L4_TRUNC] = "l4_truncated",
	[IFN_REASON_TCP_BAD_HDR] = "tcp_bad_header",
	[IFN_REASON_TABLE_FULL] = "device_table_full",
	[IFN_REASON_NOT_IN_FINGERPRINT] = "not_in_fingerprint",
	[IFN_REASON_QUARANTINE] = "quarantine",
	[IFN_REASON_RATE_LIMIT] = "rate_limit",
	[IFN_REASON_FRAGMENT] = "fragment",
	[IFN_REASON_ANSWER] = "answer",
};

const char *ifn_reason_name(unsigned int reason)
{
	if (reason < IFN_REASON_MAX && reason_names[reason])
		return reason_names[reason];
	return "unknown";
}

int ifn_reason_from_name(const char *s)
{
	int i;

	for (i = 0; i < IFN_REASON_MAX; i++)
		if (reason_names[i] && !strcasecmp(s, reason_names[i]))
			return i;
	return -EINVAL;
}

static const char *const event_names[IFN_EV_MAX] = {
	[IFN_EV_NEW_DEVICE] = "NEW_DEVICE",
	[IFN_EV_LEARNING_DONE] = "LEARNING_DONE",
	[IFN_EV_VIOLATION] = "VIOLATION",
	[IFN_EV_SCAN] = "SCAN",
	[IFN_EV_AUTO_QUARANTINE] = "AUTO_QUARANTINE",
	[IFN_EV_RATE_EXCEEDED] = "RATE_EXCEEDED",
	[IFN_EV_FINGERPRINT_CAP] = "FINGERPRINT_CAP",
	[IFN_EV_IP_CHANGE] = "IP_CHANGE",
	[IFN_EV_IP_CONFLICT] = "IP_CONFLICT",
	[IFN_EV_TABLE_FULL] = "TABLE_FULL",
	[IFN_EV_EVENTS_LOST] = "EVENTS_LOST",
	[IFN_EV_DNS_SPOOFED] = "DNS_SPOOFED",
	[IFN_EV_PROBED] = "PROBED",
};

static const char *const dns_bad_names[IFN_DNS_BAD_MAX] = {
	[IFN_DNS_OK] = "none",
	[IFN_DNS_BAD_TRUNC] = "truncated",
	[IFN_DNS_BAD_QDCOUNT] = "question_count",
	[IFN_DNS_BAD_COUNTS] = "answer_count",
	[IFN_DNS_BAD_LABEL_LONG] = "label_too_long",
	[IFN_DNS_BAD_NAME_LONG] = "name_too_long",
	[IFN_DNS_BAD_PTR_LOOP] = "pointer_loop",
	[IFN_DNS_BAD_PTR_RANGE] = "pointer_out_of_range",
	[IFN_DNS_BAD_NAME_TRUNC] = "name_truncated",
	[IFN_DNS_BAD_RR_TRUNC] = "record_truncated",
	[IFN_DNS_BAD_RDLEN] = "address_length",
	[IFN_DNS_BAD_CHARS] = "name_characters",
	[IFN_DNS_BAD_COMPLEX] = "too_complex",
};

const char *ifn_dns_bad_name(unsigned int why)
{
	if (why < IFN_DNS_BAD_MAX && dns_bad_names[why])
		return dns_bad_names[why];
	return NULL;
}

const char *ifn_event_name(unsigned int type)
{
	if (type < IFN_EV_MAX && event_names[type])
		return event_names[type];
	return "UNKNOWN";
}

int ifn_event_from_name(const char *s)
{
	int i;

	for (i = 0; i < IFN_EV_MAX; i++)
		if (event_names[i] && !strcasecmp(s, event_names[i]))
			return i;
	return -EINVAL;
}

const char *ifn_dir_name(unsigned int dir)
{
	return dir == IFN_DIR_SERVER ? "server" : "client";
}

const char *ifn_origin_name(unsigned int origin)
{
	switch (origin) {
	case IFN_ORIGIN_LEARNED:
		return "learned";
	case IFN_ORIGIN_MANUAL:
		return "manual";
	case IFN_ORIGIN_POLICY:
		return "policy";
	case IFN_ORIGIN_GENERALISED:
		return "generalised";
	}
	return "unknown";
}

const char *ifn_proto_name(__u8 proto, char buf[8])
{
	switch (proto) {
	case 1:
		return "icmp";
	case 2:
		return "igmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 51:
		return "ah";
	case 58:
		return "icmpv6";
	case 132:
		return "sctp";
	}
	snprintf(buf, 8, "%u", proto);
	return buf;
}

char *ifn_fmt_rate(__u64 pps, __u64 bps, __u64 burst_pkts, __u64 burst_bytes, char *buf, size_t len)
{
	char a[64], b[64];

	if (!pps && !bps) {
		snprintf(buf, len, "no rate limit");
		return buf;
	}
	if (pps)
		snprintf(a, sizeof(a), "at most %llu packets/s (burst %llu)",
			 (unsigned long long)pps, (unsigned long long)burst_pkts);
	else
		snprintf(a, sizeof(a), "no packet limit");
	if (bps)
		snprintf(b, sizeof(b), "at most %llu bytes/s (burst %llu)", (unsigned long long)bps,
			 (unsigned long long)burst_bytes);
	else
		snprintf(b, sizeof(b), "no byte limit");
	snprintf(buf, len, "%s, %s", a, b);
	return buf;
}

const char *ifn_fmt_new_devices(__u8 mode, __u64 learn_ns, char *buf, size_t len)
{
	char d[32];

	if (mode != IFN_MODE_LEARN)
		snprintf(buf, len, "%s", ifn_mode_name(mode));
	else if (learn_ns)
		snprintf(buf, len, "learn for %s", ifn_fmt_duration(learn_ns, d, sizeof(d)));
	else
		snprintf(buf, len, "learn (no deadline)");
	return buf;
}
