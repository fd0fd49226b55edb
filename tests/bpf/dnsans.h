/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dnsans.h - DNS messages and the frames that carry them to a device, for
 * the datapath tests: one builder for the egress program's DNS tests
 * (test_dns.c, crafted and damaged answers) and for a test that needs a
 * device to resolve a name before it connects (th_dns_answer).
 */
#ifndef IFN_TEST_DNSANS_H
#define IFN_TEST_DNSANS_H

#include <stddef.h>
#include <linux/types.h>

#include "harness.h"

/* A DNS message under construction. */
struct dns_msg {
	__u8 b[4096];
	size_t n;
};

void dns_put(struct dns_msg *m, const void *p, size_t n);
void dns_put8(struct dns_msg *m, __u8 v);
void dns_put16(struct dns_msg *m, __u16 v);
void dns_put32(struct dns_msg *m, __u32 v);

/* Flags of an answer: QR, RD, RA, rcode 0. */
#define DNS_ANSWER 0x8180
/* Start @m again with a header: id 0x1234, @flags, @qd questions, @an records. */
void dns_hdr(struct dns_msg *m, __u16 flags, __u16 qd, __u16 an);
/* A name uncompressed: "a.b.c" as labels and the root. */
void dns_name(struct dns_msg *m, const char *s);
/* A question of class IN. */
void dns_question(struct dns_msg *m, const char *qname, __u16 type);
/* A record whose owner is a pointer to the question (offset 12). */
void dns_rr_a(struct dns_msg *m, __u32 ttl, const char *ip);
void dns_rr_aaaa(struct dns_msg *m, __u32 ttl, const char *ip);
/* A whole answer: @qname's one record (A, or AAAA for an address with a ':'). */
void dns_answer(struct dns_msg *m, const char *qname, __u32 ttl, const char *ip);

/* Frame shapes around a message. */
enum dns_shape {
	DNS_UDP4,
	DNS_UDP4_VLAN1,
	DNS_UDP4_VLAN2, /* 802.1ad outside 802.1Q */
	DNS_UDP6,
	DNS_UDP6_EXT, /* hop-by-hop and destination options before UDP */
	DNS_TCP4, /* one segment, PSH ACK, the message behind its length */
	DNS_TCP6,
};

struct dns_frame {
	__u8 b[8192];
	size_t n;
};

/*
 * @m as a resolver sends it: from port 53 of 192.168.1.1 (fd00::1) and
 * @src_mac to port @dport of 192.168.1.10 (fd00::10) and @dst_mac.
 */
void dns_frame_build(struct dns_frame *f, enum dns_shape sh, const char *src_mac,
		     const char *dst_mac, __u16 dport, const struct dns_msg *m);

/*
 * Answer @qname for the device @mac with one record (A, or AAAA for an
 * address with a ':') of @ttl seconds for @ip, from port 53 of the
 * gateway, as its own resolver sends it (ingress 0). The program must
 * return TC_ACT_UNSPEC and leave the frame as it was (th_egress).
 */
void th_dns_answer(struct th *t, const char *mac, const char *qname, __u32 ttl, const char *ip);

#endif /* IFN_TEST_DNSANS_H */
