/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * police.bpf.h - per-device token buckets in packets/s and bytes/s.
 *
 * Tokens are kept in units of 1e-9 packet (or byte) so that a refill is
 * elapsed_ns * rate, with no division in the datapath. The buckets live in
 * the shared device record without a lock: two CPUs refilling at the same
 * instant may both add the same interval, which errs by at most one
 * interval's worth per CPU and costs no atomic on every packet.
 */
#ifndef IFN_POLICE_BPF_H
#define IFN_POLICE_BPF_H

#include "ctx.bpf.h"

/* Returns 1 if the frame conforms (and takes its tokens), 0 if over rate. */
static __always_inline int ifn_police(struct ifn_device *dev, __u64 now, __u32 len)
{
	__u64 cap_p = dev->burst_pkts * IFN_NSEC_PER_SEC;
	__u64 cap_b = dev->burst_bytes * IFN_NSEC_PER_SEC;
	__u64 need_b = (__u64)len * IFN_NSEC_PER_SEC;
	__u64 tp = dev->tokens_pkts, tb = dev->tokens_bytes;
	__u64 elapsed = now > dev->tokens_ns ? now - dev->tokens_ns : 0;
	int ok = 1;

	/* A burst is at most one second's worth (the agent checks), so a
	 * second of silence fills the bucket and elapsed * rate cannot
	 * overflow.
	 */
	if (elapsed >= IFN_NSEC_PER_SEC) {
		tp = cap_p;
		tb = cap_b;
	} else {
		__u64 add_p = elapsed * dev->rate_pps, add_b = elapsed * dev->rate_bps;

		/* Compared before added: near the largest rates the sum wraps. */
		tp = tp >= cap_p || add_p >= cap_p - tp ? cap_p : tp + add_p;
		tb = tb >= cap_b || add_b >= cap_b - tb ? cap_b : tb + add_b;
	}
	dev->tokens_ns = now;

	if (dev->rate_pps && tp < IFN_NSEC_PER_SEC)
		ok = 0;
	if (dev->rate_bps && tb < need_b)
		ok = 0;
	if (ok) {
		if (dev->rate_pps)
			tp -= IFN_NSEC_PER_SEC;
		if (dev->rate_bps)
			tb -= need_b;
	}
	dev->tokens_pkts = tp;
	dev->tokens_bytes = tb;
	return ok;
}

#endif /* IFN_POLICE_BPF_H */
