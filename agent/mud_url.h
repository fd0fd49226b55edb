/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud_url.h - MUD URLs (RFC 8520): what a valid one is and where mud-dir
 * keeps its profile, the URL a DHCP client message carries, and the
 * MAC -> URL table in the state directory (mud_url.c).
 */
#ifndef IFN_MUD_URL_H
#define IFN_MUD_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "mactab.h"

#define IFN_MUD_URL_MAX 255 /* DHCPv4 option 161 holds at most 255 bytes */

/* The authority of an https URL ("lighting.example.com"), or -EINVAL. */
int ifn_mud_url_authority(const char *url, char *buf, size_t len);
/* An https:// URL of printable ASCII without blanks, at most 255 bytes. */
bool ifn_mud_url_valid(const char *url);

/*
 * The file name in a mud-dir for a MUD URL: the URL without "https://",
 * each '/' and every byte outside [A-Za-z0-9._-] as '_', ".json" appended
 * unless it ends so. "https://a.example.com/x/y.json" -> "a.example.com_x_y.json".
 */
int ifn_mud_url_filename(const char *url, char *buf, size_t len);

/*
 * The MUD URL a DHCP client frame carries: an Ethernet frame (one 802.1Q
 * tag allowed) with IPv4 UDP 68 -> 67 and BOOTP option 161, or IPv6 UDP
 * 546 -> 547 and DHCPv6 option 112 (RFC 8520, sections 10 and 11). Every
 * length is checked against the frame. Returns 0 with the source MAC and
 * the URL, -ENOENT for DHCP without the option or not DHCP at all, or
 * -EINVAL for a malformed packet or URL.
 */
int ifn_dhcp_mud_url(const __u8 *frame, size_t len, __u8 mac[6], char *url, size_t urlsz);

/* MAC -> MUD URL: a MAC table (mactab.h) in $IOTFENCE_STATE_DIR/mud-urls, "MAC URL" lines. */
extern const struct ifn_mactab_kind ifn_mud_urls_kind;
const char *ifn_mud_urls_path(void);

#endif /* IFN_MUD_URL_H */
