/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parse.h - text to values, for the command line, policy files and the OUI
 * registry. Pure functions: no maps, no I/O, no globals. Each returns 0 or
 * -EINVAL (-ERANGE for a number out of range) and, where a caller needs to
 * tell the user more, writes a reason into err.
 */
#ifndef IFN_PARSE_H
#define IFN_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define IFN_ERRLEN 160

/*
 * MAC address in the usual notations: 00:11:22:aa:bb:cc, 00-11-22-AA-BB-CC,
 * 0011.22aa.bbcc and 001122aabbcc.
 */
int ifn_parse_mac(const char *s, __u8 mac[6]);

/*
 * A MAC that can be a device's: not a group address (broadcast or multicast,
 * the low bit of the first byte) and not all zero, as the datapath decides.
 */
bool ifn_mac_is_device(const __u8 mac[6]);

/* IPv4 or IPv6 address; IPv4 is stored as ::ffff:a.b.c.d. *is_v4 may be NULL. */
int ifn_parse_ip(const char *s, __u8 addr[16], bool *is_v4);

/*
 * A peer: an address, a prefix (10.0.0.0/8, 2001:db8::/32) or "any". The
 * prefix is returned over the 128-bit (mapped) address: an IPv4 /24 is 120,
 * "any" is 0. Host bits past the prefix are an error, since they usually
 * mean a typo.
 */
int ifn_parse_cidr(const char *s, __u8 addr[16], __u8 *plen, char *err, size_t errlen);

/* A TCP/UDP port, 1-65535. */
int ifn_parse_port(const char *s, __u16 *port);

/* Protocol names (tcp, udp, icmp, icmpv6, igmp, gre, esp, ah, sctp) or 0-255. */
int ifn_parse_proto(const char *s, __u8 *proto);

/*
 * PROTO[/PORT] as in "tcp/443", "udp", "icmp/8", "ether/0x88cc". *has_port
 * tells whether a port was given. For "ether", *is_l2 is set and *port is
 * the ethertype, which is required.
 */
int ifn_parse_proto_port(const char *s, __u8 *proto, __u16 *port, bool *has_port, bool *is_l2,
			 char *err, size_t errlen);

/*
 * Durations such as 500ms, 90s, 10m, 24h, 7d and sums of them (1h30m); a
 * bare number is seconds. Zero is allowed.
 */
int ifn_parse_duration(const char *s, __u64 *ns);

/*
 * Unsigned decimal with an optional k, M or G suffix (powers of 1000). With
 * a suffix, a fraction is allowed when the result is whole (1.5k, 2.25M).
 */
int ifn_parse_count(const char *s, __u64 *v);

/* Device mode name to enum ifn_mode, or -EINVAL. */
int ifn_parse_mode(const char *s);

/*
 * One line of the IEEE OUI registry as Debian's ieee-data ships it
 * (/usr/share/ieee-data/oui.txt): "28-6F-B9   (hex)\t\tVendor Name".
 * Returns 0 and fills the 24-bit OUI and the vendor for such a line,
 * -ENOENT for any other line of the file.
 */
int ifn_parse_oui_line(const char *line, __u32 *oui, char *vendor, size_t len);

#endif /* IFN_PARSE_H */
