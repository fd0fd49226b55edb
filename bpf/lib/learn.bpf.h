/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * learn.bpf.h - learning: a flow into the device's fingerprint, up to its cap.
 */
#ifndef IFN_LEARN_BPF_H
#define IFN_LEARN_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "events.bpf.h"
#include "device.bpf.h"
#include "names.bpf.h"

/*
 * Learn a flow. Returns 1 if the frame may pass as learned, 0 if the device
 * has reached its fingerprint cap: learning then stops and the device
 * enforces what it has, so a device that scans while learning does not
 * learn its scan.
 */
static __always_inline int ifn_learn(struct ifn_ctx *x, const struct ifn_flow_key *k)
{
	struct ifn_device *dev = x->dev;
	struct ifn_flow_val val = {
		.added_ns = x->now,
		.origin = IFN_ORIGIN_LEARNED,
	};
	long err;

	if (ifn_fp_entries(dev) >= x->cfg->fingerprint_cap) {
		__u64 w = dev->mode_word;

		/* Only the CPU that ends the learning reports it. */
		if (ifn_mw_mode(w) == IFN_MODE_LEARN && ifn_mode_switch(dev, w, IFN_MODE_ENFORCE)) {
			__sync_fetch_and_or(&dev->flags, IFN_DEV_F_LEARN_CAPPED);
			ifn_ev_flow(x, IFN_EV_FINGERPRINT_CAP, k, ifn_fp_entries(dev));
		}
		return 0;
	}
	/* The filter's bit first: a flow it does not show would never match. */
	ifn_exact_peers_add(dev->exact_peers, k);
	err = bpf_map_update_elem(&ifn_flows, k, &val, BPF_NOEXIST);
	if (!err) {
		__sync_fetch_and_add(&dev->flow_count, 1);
		ifn_learn_names(dev, k, x->now, x->cfg);
		/* Other CPUs may have cached this flow as not allowed. */
		__sync_fetch_and_add(&dev->fp_gen, 1);
	} else if (err != -17 /* EEXIST: another CPU learned it first */) {
		x->gs->flows_full++;
	}
	return 1;
}

#endif /* IFN_LEARN_BPF_H */
