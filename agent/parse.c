// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iotfence.h"
#include "parse.h"

static void seterr(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Twelve hex digits with separator @sep after every @group digits. */
static int mac_grouped(const char *s, __u8 mac[6], char sep, int group)
{
	int digits = 0, i = 0;

	for (; *s; s++, i++) {
		int v;

		if (group && i > 0 && (i % (group + 1)) == group) {
			if (*s != sep)
				return -EINVAL;
			continue;
		}
		v = hexval((unsigned char)*s);
		if (v < 0 || digits >= 12)
			return -EINVAL;
		if (digits % 2 == 0)
			mac[digits / 2] = v << 4;
		else
			mac[digits / 2] |= v;
		digits++;
	}
	return digits == 12 ? 0 : -EINVAL;
}

bool ifn_mac_is_device(const __u8 mac[6])
{
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

int ifn_parse_mac(const char *s, __u8 mac[6])
{
	__u8 tmp[6];
	size_t len;
	int err;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 17 && s[2] == ':')
		err = mac_grouped(s, tmp, ':', 2);
	else if (len == 17 && s[2] == '-')
		err = mac_grouped(s, tmp, '-', 2);
	else if (len == 14 && s[4] == '.')
		err = mac_grouped(s, tmp, '.', 4);
	else if (len == 12)
		err = mac_grouped(s, tmp, 0, 0);
	else
		err = -EINVAL;
	if (!err)
		memcpy(mac, tmp, 6);
	return err;
}

int ifn_parse_ip(const char *s, __u8 addr[16], bool *is_v4)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(addr, 0, 10);
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &a4, 4);
		if (is_v4)
			*is_v4 = true;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		memcpy(addr, &a6, 16);
		if (is_v4)
			*is_v4 = false;
		return 0;
	}
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ifn_parse_cidr(const char *s, __u8 addr[16], __u8 *plen, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long long pl;
	__u8 a[16];
	bool v4;
	char *slash;
	int i, bits;

	if (!s || !*s) {
		seterr(err, errlen, "missing peer address%s", "");
		return -EINVAL;
	}
	if (!strcasecmp(s, "any") || !strcmp(s, "*")) {
		memset(addr, 0, 16);
		*plen = 0;
		return 0;
	}
	if (strlen(s) >= sizeof(buf)) {
		seterr(err, errlen, "'%s' is not an address or prefix", s);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (ifn_parse_ip(buf, a, &v4)) {
		seterr(err, errlen, "'%s' is not an IPv4 or IPv6 address", buf);
		return -EINVAL;
	}
	if (slash) {
		if (parse_uint(slash + 1, v4 ? 32 : 128, &pl)) {
			seterr(err, errlen, "'%s': prefix length out of range", s);
			return -EINVAL;
		}
	} else {
		pl = v4 ? 32 : 128;
	}
	bits = v4 ? 96 + (int)pl : (int)pl;
	for (i = bits; i < 128; i++) {
		if (a[i / 8] & (0x80 >> (i % 8))) {
			seterr(err, errlen, "'%s': host bits set past the prefix", s);
			return -EINVAL;
		}
	}
	memcpy(addr, a, 16);
	*plen = bits;
	return 0;
}

int ifn_parse_port(const char *s, __u16 *port)
{
	unsigned long long v;
	int err = parse_uint(s, 65535, &v);

	if (err)
		return err;
	if (v == 0)
		return -ERANGE;
	*port = v;
	return 0;
}

static const struct {
	const char *name;
	__u8 proto;
} proto_names[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 },	{ "udp", 17 },	     { "gre", 47 },
	{ "esp", 50 }, { "ah", 51 },  { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 },
};

int ifn_parse_proto(const char *s, __u8 *proto)
{
	unsigned long long v;
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (!strcasecmp(s, proto_names[i].name)) {
			*proto = proto_names[i].proto;
			return 0;
		}
	}
	if (parse_uint(s, 255, &v))
		return -EINVAL;
	*proto = v;
	return 0;
}

int ifn_parse_proto_port(const char *s, __u8 *proto, __u16 *port, bool *has_port, bool *is_l2,
			 char *err, size_t errlen)
{
	char buf[32];
	char *slash;

	*has_port = false;
	*is_l2 = false;
	*port = 0;
	if (!s || !*s || strlen(s) >= sizeof(buf)) {
		seterr(err, errlen, "'%s' is not PROTO[/PORT]", s ? s : "");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';

	if (!strcasecmp(buf, "ether")) {
		unsigned long v;
		char *end;

		if (!slash || !*slash) {
			seterr(err, errlen, "'%s': ether needs an ethertype, as in ether/0x88cc",
			       s);
			return -EINVAL;
		}
		errno = 0;
		v = strtoul(slash, &end, 0);
		/* 0x0001: the datapath's flow of 802.3 frames (iotfence.8, FLOWS). */
		if (*end || errno || (v < 0x600 && v != 0x0001) || v > 0xffff ||
		    !isdigit((unsigned char)*slash)) {
			seterr(err, errlen,
			       "'%s': ethertype must be 0x0600-0xffff (or 0x0001: 802.3 frames)",
			       s);
			return -EINVAL;
		}
		/*
		 * The datapath parses these itself (IP, VLAN) or always passes
		 * them (ARP, EAPOL): a rule on them would never match.
		 */
		if (v == 0x0800 || v == 0x86dd || v == 0x0806 || v == 0x888e || v == 0x8100 ||
		    v == 0x88a8 || v == 0x9100) {
			seterr(err, errlen,
			       "'%s': not a rule the datapath can use (IP, ARP, EAPOL and VLAN "
			       "frames are not matched by ethertype; write tcp, udp or icmp rules)",
			       s);
			return -EINVAL;
		}
		*is_l2 = true;
		*proto = 0;
		*port = v;
		*has_port = true;
		return 0;
	}
	if (ifn_parse_proto(buf, proto)) {
		seterr(err, errlen, "unknown protocol '%s'", buf);
		return -EINVAL;
	}
	if (!slash)
		return 0;
	if (!*slash) {
		seterr(err, errlen, "'%s': missing port after '/'", s);
		return -EINVAL;
	}
	if (*proto == 1 || *proto == 58) {
		unsigned long long t;

		/* For ICMP the "port" is the message type. */
		if (parse_uint(slash, 255, &t)) {
			seterr(err, errlen, "'%s': the ICMP type must be 0-255", s);
			return -EINVAL;
		}
		*port = t;
	} else if (*proto == 6 || *proto == 17 || *proto == 132) {
		int e = ifn_parse_port(slash, port);

		if (e == -ERANGE) {
			seterr(err, errlen, "'%s': port out of range (1-65535)", s);
			return -EINVAL;
		}
		if (e) {
			seterr(err, errlen, "'%s': the port must be a number from 1 to 65535", s);
			return -EINVAL;
		}
	} else if (strcmp(slash, "0")) {
		/* "gre/0": the one exact flow the datapath keys on port 0. */
		seterr(err, errlen, "'%s': this protocol has no ports (only /0, its exact flow)",
		       s);
		return -EINVAL;
	}
	*has_port = true;
	return 0;
}

int ifn_parse_duration(const char *s, __u64 *ns)
{
	static const struct {
		const char *suffix;
		__u64 ns;
	} units[] = {
		{ "ms", 1000000ULL },	   { "s", 1000000000ULL },     { "m", 60000000000ULL },
		{ "h", 3600000000000ULL }, { "d", 86400000000000ULL }, { "w", 604800000000000ULL },
	};
	const char *start = s;
	__u64 total = 0;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		unsigned long long v;
		const char *p = s;
		__u64 unit = 0;
		char *end;
		size_t i;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno == ERANGE)
			return -ERANGE;
		if (!*end) {
			/* A bare number is seconds, and only alone. */
			if (p != start)
				return -EINVAL;
			unit = 1000000000ULL;
			s = end;
		} else {
			for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
				size_t l = strlen(units[i].suffix);

				if (!strncmp(end, units[i].suffix, l) &&
				    !isalpha((unsigned char)end[l])) {
					unit = units[i].ns;
					s = end + l;
					break;
				}
			}
			if (!unit)
				return -EINVAL;
		}
		if (v && unit > ULLONG_MAX / v)
			return -ERANGE;
		if (total > ULLONG_MAX - v * unit)
			return -ERANGE;
		total += v * unit;
	}
	*ns = total;
	return 0;
}

int ifn_parse_count(const char *s, __u64 *v)
{
	unsigned long long n, frac = 0, mult = 1, fdiv = 1;
	char buf[32], *dot;
	size_t len;
	int err;

	if (!s || !*s || (len = strlen(s)) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	switch (buf[len - 1]) {
	case 'k':
	case 'K':
		mult = 1000;
		break;
	case 'M':
		mult = 1000000;
		break;
	case 'G':
		mult = 1000000000;
		break;
	}
	if (mult != 1)
		buf[len - 1] = '\0';
	/* "1.5M": a fraction only with a suffix, and only if the result is whole. */
	dot = strchr(buf, '.');
	if (dot) {
		const char *f;

		if (mult == 1 || !dot[1])
			return -EINVAL;
		*dot = '\0';
		for (f = dot + 1; *f; f++) {
			if (!isdigit((unsigned char)*f) || fdiv >= mult)
				return -EINVAL;
			frac = frac * 10 + (*f - '0');
			fdiv *= 10;
		}
		if ((frac * mult) % fdiv)
			return -EINVAL;
	}
	err = parse_uint(buf, ULLONG_MAX, &n);
	if (err)
		return err;
	if (n > ULLONG_MAX / mult || n * mult > ULLONG_MAX - frac * mult / fdiv)
		return -ERANGE;
	*v = n * mult + frac * mult / fdiv;
	return 0;
}

int ifn_parse_mode(const char *s)
{
	static const char *const names[IFN_MODE_MAX] = {
		[IFN_MODE_LEARN] = "learn",	[IFN_MODE_MONITOR] = "monitor",
		[IFN_MODE_ENFORCE] = "enforce", [IFN_MODE_QUARANTINE] = "quarantine",
		[IFN_MODE_TRUST] = "trust",
	};
	int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < IFN_MODE_MAX; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -EINVAL;
}

int ifn_parse_oui_line(const char *line, __u32 *oui, char *vendor, size_t len)
{
	const char *p = line, *v;
	__u32 val = 0;
	size_t n;
	int i;

	while (*p == ' ' || *p == '\t')
		p++;
	/* "XX-XX-XX" then spaces then "(hex)". */
	for (i = 0; i < 8; i++) {
		int h;

		if (i == 2 || i == 5) {
			if (p[i] != '-')
				return -ENOENT;
			continue;
		}
		h = hexval((unsigned char)p[i]);
		if (h < 0)
			return -ENOENT;
		val = val << 4 | h;
	}
	p += 8;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "(hex)", 5))
		return -ENOENT;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	v = p;
	n = strcspn(v, "\r\n");
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n)
		return -ENOENT;
	if (n >= len)
		n = len - 1;
	memcpy(vendor, v, n);
	vendor[n] = '\0';
	*oui = val;
	return 0;
}
