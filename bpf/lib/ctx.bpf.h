/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ctx.bpf.h - what the datapath carries from one stage of a frame to the next,
 * and its clock.
 */
#ifndef IFN_CTX_BPF_H
#define IFN_CTX_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "iotfence.h"
#include "parse.bpf.h"

#define IFN_NSEC_PER_SEC 1000000000ULL

/*
 * Load-time switch for offline replay: time comes from ifn_virtual_now_ns,
 * which the replayer sets to each frame's capture timestamp. On a live
 * gateway the verifier removes the branch, so the live path pays nothing.
 */
const volatile __u8 ifn_virtual_clock = 0;
__u64 ifn_virtual_now_ns = 0;

/*
 * Jiffy resolution is enough for deadlines, windows and buckets, and
 * bpf_jiffies64() costs about a nanosecond where bpf_ktime_get_coarse_ns()
 * costs more than ten. The loader measures the length of a jiffy before
 * anything is attached; without it the coarse clock is used.
 */
static __always_inline __u64 ifn_now(const struct ifn_config *cfg)
{
	if (ifn_virtual_clock)
		return ifn_virtual_now_ns;
	if (cfg->jiffy_ns)
		return bpf_jiffies64() * cfg->jiffy_ns;
	return bpf_ktime_get_coarse_ns();
}

struct ifn_ctx {
	struct ifn_pkt pkt;
	struct ifn_device *dev; /* NULL until the device is known */
	struct ifn_dev_stats *ds; /* NULL for frames of no device */
	struct ifn_global_stats *gs;
	struct ifn_config *cfg;
	struct ifn_fp_cache *fpc; /* this frame's entry of the decision cache */
	__u64 now;
	__u32 ifindex;
	__u32 pad;
};

#endif /* IFN_CTX_BPF_H */
