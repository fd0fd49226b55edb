/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * scan.bpf.h - the scan sketch: distinct flows outside the fingerprint,
 * counted per device and window.
 */
#ifndef IFN_SCAN_BPF_H
#define IFN_SCAN_BPF_H

#include "ctx.bpf.h"

/*
 * Count a distinct out-of-fingerprint flow in the device's window with a
 * 512-bit linear-counting sketch: one bit per flow hash, so counting
 * distinct flows needs no map and no loop. Returns 1 exactly on the frame
 * whose flow takes the count above the threshold.
 */
static __always_inline int ifn_scan_note(struct ifn_ctx *x, const struct ifn_flow_key *k)
{
	struct ifn_device *dev = x->dev;
	struct ifn_fp_cache *fpc = x->fpc;
	__u32 h, idx;
	__u64 bit, old;
	__u32 cnt;

	/* A repeated violating flow has its hash in the decision cache. */
	if (fpc && fpc->scan_hash) {
		h = fpc->scan_hash;
	} else {
		h = ifn_flow_hash(k);
		if (fpc)
			fpc->scan_hash = h;
	}
	h &= 511;
	bit = 1ULL << (h & 63);
	idx = (h >> 6) & 7;

	if (x->now - dev->scan_window_ns >= x->cfg->scan_window_ns) {
		__builtin_memset(dev->scan_sketch, 0, sizeof(dev->scan_sketch));
		dev->scan_count = 0;
		dev->scan_window_ns = x->now;
	}
	if (idx > 7)
		return 0;
	/* A flood repeats its flow: test before the locked operation. */
	if (dev->scan_sketch[idx] & bit)
		return 0;
	old = __sync_fetch_and_or(&dev->scan_sketch[idx], bit);
	if (old & bit)
		return 0;
	cnt = __sync_add_and_fetch(&dev->scan_count, 1);
	return cnt == x->cfg->scan_threshold + 1;
}

#endif /* IFN_SCAN_BPF_H */
