/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * model_int.h - what the files of the reference model share (byte order,
 * addresses, the events of model.c); not for the driver.
 */
#ifndef IFN_DIFF_MODEL_INT_H
#define IFN_DIFF_MODEL_INT_H

#include <string.h>

#include "model.h"

/* The longest frame the model copies (a DNS answer of 2048 bytes and headers). */
#define GEN_FRAME_MAX_MODEL 4096

/* DATAPATH 1: the ethertypes of a VLAN tag. */
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ 0x9100
#define ETH_P_ARP 0x0806
#define ETH_P_EAPOL 0x888e
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd

static inline __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline void mapped(__u8 out[16], const __u8 v4[4])
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

static inline bool all_zero(const __u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * A sketch's count after a new (@fresh) or known item, checked against
 * what a sketch of @bits bits can do (see model.h) when the program's
 * count @after is known (@have): returns the count to go on with, and
 * writes a count no sketch gives to @err. Tallies what it saw in @t.
 */
__u32 sketch_check(struct mdl_tally *t, const char *what, bool fresh, __u32 before, bool have,
		   __u32 after, unsigned int bits, char *err, size_t errlen);

/* EVENTS: limited per device and type; NULL when not sent. */
struct ifn_event *emit(struct mdl *m, struct mdl_device *d, const __u8 mac[6], __u8 type, __u64 now,
		       struct mdl_result *r);

#endif /* IFN_DIFF_MODEL_INT_H */
