// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mud_url.c - MUD URLs: what a valid one is and where mud-dir keeps its
 * profile, the URL a DHCP client message carries, and the MAC -> URL table
 * in the state directory.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "format.h"
#include "mud_url.h"
#include "parse.h"

/* ---- URLs ---- */

bool ifn_mud_url_valid(const char *url)
{
	size_t i, n = strlen(url);

	if (n <= 8 || n > IFN_MUD_URL_MAX || strncmp(url, "https://", 8))
		return false;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)url[i]))
			return false;
	return url[8] != '/';
}

int ifn_mud_url_authority(const char *url, char *buf, size_t len)
{
	const char *a, *end;

	if (!ifn_mud_url_valid(url))
		return -EINVAL;
	a = url + 8;
	end = a + strcspn(a, "/?#");
	if (end == a || (size_t)(end - a) >= len)
		return -EINVAL;
	memcpy(buf, a, end - a);
	buf[end - a] = '\0';
	return 0;
}

int ifn_mud_url_filename(const char *url, char *buf, size_t len)
{
	const char *s;
	size_t o = 0, n;

	if (!ifn_mud_url_valid(url) || !len)
		return -EINVAL;
	for (s = url + 8; *s; s++) {
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		buf[o++] = (isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_') ?
				   *s :
				   '_';
	}
	buf[o] = '\0';
	n = o;
	if (n < 5 || strcmp(buf + n - 5, ".json")) {
		if (n + 6 > len)
			return -ENAMETOOLONG;
		memcpy(buf + n, ".json", 6);
	}
	/* "." and ".." cannot come out (an authority is there), nor a '/'. */
	return buf[0] == '.' ? -EINVAL : 0;
}

/* ---- DHCP ---- */

static int url_copy(const __u8 *p, size_t n, char *url, size_t urlsz)
{
	size_t i;

	if (!n || n > IFN_MUD_URL_MAX || n >= urlsz)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isgraph(p[i]))
			return -EINVAL;
	memcpy(url, p, n);
	url[n] = '\0';
	return ifn_mud_url_valid(url) ? 0 : -EINVAL;
}

/* BOOTP (RFC 2131) after the UDP header: option 161 in the options field. */
static int dhcp4(const __u8 *p, size_t n, char *url, size_t urlsz)
{
	size_t o = 240;

	if (n < 240)
		return -EINVAL;
	if (p[0] != 1) /* BOOTREQUEST: the client's */
		return -ENOENT;
	if (p[236] != 99 || p[237] != 130 || p[238] != 83 || p[239] != 99)
		return -EINVAL; /* no magic cookie: BOOTP, not DHCP */
	while (o < n) {
		__u8 code = p[o], len;

		if (code == 0) { /* pad */
			o++;
			continue;
		}
		if (code == 255)
			return -ENOENT;
		if (o + 2 > n)
			return -EINVAL;
		len = p[o + 1];
		if (o + 2 + len > n)
			return -EINVAL;
		if (code == 161)
			return url_copy(p + o + 2, len, url, urlsz);
		o += 2 + len;
	}
	return -EINVAL; /* no end option */
}

/* DHCPv6 (RFC 8415) client messages: option 112 among the top-level options. */
static int dhcp6(const __u8 *p, size_t n, char *url, size_t urlsz)
{
	size_t o = 4;

	if (n < 4)
		return -EINVAL;
	/* Solicit, Request, Confirm, Renew, Rebind, Information-request. */
	if (p[0] != 1 && p[0] != 3 && p[0] != 4 && p[0] != 5 && p[0] != 6 && p[0] != 11)
		return -ENOENT;
	while (o < n) {
		size_t code, len;

		if (o + 4 > n)
			return -EINVAL;
		code = (size_t)p[o] << 8 | p[o + 1];
		len = (size_t)p[o + 2] << 8 | p[o + 3];
		if (o + 4 + len > n)
			return -EINVAL;
		if (code == 112)
			return url_copy(p + o + 4, len, url, urlsz);
		o += 4 + len;
	}
	return -ENOENT;
}

int ifn_dhcp_mud_url(const __u8 *f, size_t len, __u8 mac[6], char *url, size_t urlsz)
{
	size_t o = 14, ulen;
	__u16 et;

	if (len < 14)
		return -EINVAL;
	et = (__u16)(f[12] << 8 | f[13]);
	if (et == 0x8100) {
		if (len < 18)
			return -EINVAL;
		et = (__u16)(f[16] << 8 | f[17]);
		o = 18;
	}
	memcpy(mac, f + 6, 6);
	if (et == 0x0800) {
		size_t ihl, tot;

		if (len < o + 20)
			return -EINVAL;
		if ((f[o] >> 4) != 4)
			return -EINVAL;
		ihl = (size_t)(f[o] & 15) * 4;
		tot = (size_t)f[o + 2] << 8 | f[o + 3];
		if (ihl < 20 || tot < ihl || o + tot > len)
			return -EINVAL;
		if (f[o + 9] != 17)
			return -ENOENT;
		/* A fragment's payload is not a whole DHCP message. */
		if ((f[o + 6] & 0x3f) || f[o + 7])
			return -ENOENT;
		len = o + tot;
		o += ihl;
	} else if (et == 0x86dd) {
		size_t plen;

		if (len < o + 40)
			return -EINVAL;
		plen = (size_t)f[o + 4] << 8 | f[o + 5];
		if (o + 40 + plen > len)
			return -EINVAL;
		/* Clients send DHCPv6 without extension headers. */
		if (f[o + 6] != 17)
			return -ENOENT;
		len = o + 40 + plen;
		o += 40;
	} else {
		return -ENOENT;
	}
	if (o + 8 > len)
		return -EINVAL;
	ulen = (size_t)f[o + 4] << 8 | f[o + 5];
	if (ulen < 8 || o + ulen > len)
		return -EINVAL;
	if (et == 0x0800 && f[o] == 0 && f[o + 1] == 68 && f[o + 2] == 0 && f[o + 3] == 67)
		return dhcp4(f + o + 8, ulen - 8, url, urlsz);
	if (et == 0x86dd && f[o] == 0x02 && f[o + 1] == 0x22 && f[o + 2] == 0x02 &&
	    f[o + 3] == 0x23)
		return dhcp6(f + o + 8, ulen - 8, url, urlsz);
	return -ENOENT;
}

/* ---- the MAC -> URL table ---- */

_Static_assert(IFN_MUD_URL_MAX <= IFN_MACTAB_TEXT_MAX, "a URL fits a MAC table's text");

const struct ifn_mactab_kind ifn_mud_urls_kind = {
	.file = "mud-urls",
	.line = "MAC URL",
	.header = "MUD URLs seen in DHCP (iotfence.8, MUD)",
	.valid = ifn_mud_url_valid,
	.mode = 0644,
};

const char *ifn_mud_urls_path(void)
{
	static char path[PATH_MAX];

	return ifn_mactab_path(&ifn_mud_urls_kind, path, sizeof(path));
}
