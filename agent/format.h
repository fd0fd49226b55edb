/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * format.h - values to text: addresses, durations, times and the names of
 * iotfence's enums. The inverse of parse.h where there is one; pure.
 */
#ifndef IFN_FORMAT_H
#define IFN_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define IFN_MAC_STRLEN 18
#define IFN_ADDR_STRLEN 48 /* an IPv6 address with a /128 */
#define IFN_TIME_STRLEN 32

/* "00:11:22:aa:bb:cc" */
char *ifn_fmt_mac(const __u8 mac[6], char buf[IFN_MAC_STRLEN]);

/* IPv4-mapped addresses print as IPv4. */
char *ifn_fmt_addr(const __u8 addr[16], char buf[IFN_ADDR_STRLEN]);

/* Address with prefix over the mapped space: "any", "10.0.0.0/8", "1.2.3.4". */
char *ifn_fmt_cidr(const __u8 addr[16], __u8 plen, char buf[IFN_ADDR_STRLEN]);

/* True for ::ffff:0:0/96. */
bool ifn_addr_is_v4(const __u8 addr[16]);
bool ifn_addr_is_zero(const __u8 addr[16]);

/* "1h30m", "90s", "250ms", "0s": the largest units, as ifn_parse_duration reads. */
char *ifn_fmt_duration(__u64 ns, char *buf, size_t len);

/* RFC 3339 UTC with milliseconds: "2026-11-22T04:15:37.123Z". */
char *ifn_fmt_time(__u64 wall_ns, char buf[IFN_TIME_STRLEN]);

/* "at most 100 packets/s (burst 100), no byte limit", or "no rate limit". */
char *ifn_fmt_rate(__u64 pps, __u64 bps, __u64 burst_pkts, __u64 burst_bytes, char *buf,
		   size_t len);

const char *ifn_mode_name(unsigned int mode);
/* The new-device setting of an interface: "enforce", "learn for 1d", "learn (no deadline)". */
const char *ifn_fmt_new_devices(__u8 mode, __u64 learn_ns, char *buf, size_t len);
const char *ifn_verdict_name(unsigned int verdict);
const char *ifn_reason_name(unsigned int reason);
const char *ifn_event_name(unsigned int type);
/* enum ifn_dns_bad as a word ("pointer_loop"); NULL for an unused code. */
const char *ifn_dns_bad_name(unsigned int why);
const char *ifn_dir_name(unsigned int dir);
const char *ifn_origin_name(unsigned int origin);
/* "tcp", "udp", ... or the number as text in buf. */
const char *ifn_proto_name(__u8 proto, char buf[8]);

/* Reverse lookups; -EINVAL if unknown. */
int ifn_event_from_name(const char *s);
int ifn_reason_from_name(const char *s);

#endif /* IFN_FORMAT_H */
