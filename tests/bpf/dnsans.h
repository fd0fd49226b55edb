/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dnsans.h - a well-formed DNS answer from the gateway's resolver to a
 * device, through the real egress program: what a datapath test needs to
 * make a device resolve a name before it connects.
 */
#ifndef IFN_TEST_DNSANS_H
#define IFN_TEST_DNSANS_H

#include "harness.h"

/*
 * Answer @qname for the device @mac with one record (A, or AAAA for an
 * address with a ':') of @ttl seconds for @ip, from port 53 of the
 * gateway, as its own resolver sends it (ingress 0). The program must
 * return TC_ACT_UNSPEC and leave the frame as it was.
 */
void th_dns_answer(struct th *t, const char *mac, const char *qname, __u32 ttl, const char *ip);

#endif /* IFN_TEST_DNSANS_H */
