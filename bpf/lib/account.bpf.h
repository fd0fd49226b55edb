/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * account.bpf.h - a frame's bookkeeping: the context it starts with (the
 * settings, the global counters, the clock) and, at the end, its verdict
 * and reason counted globally and for its device. The datapath and the
 * benchmark's stages (bench/stages.bpf.c) both use these.
 */
#ifndef IFN_ACCOUNT_BPF_H
#define IFN_ACCOUNT_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "iotfence.h"
#include "ctx.bpf.h"
#include "maps.bpf.h"

/* Fill @x for a frame whose device is not known yet; -1 without the maps. */
static __always_inline int ifn_ctx_start(struct ifn_ctx *x, struct xdp_md *ctx)
{
	__u32 zero = 0;

	x->gs = bpf_map_lookup_elem(&ifn_stats, &zero);
	x->cfg = bpf_map_lookup_elem(&ifn_config, &zero);
	if (!x->gs || !x->cfg)
		return -1;
	__builtin_memset(&x->pkt, 0, sizeof(x->pkt));
	x->dev = NULL;
	x->ds = NULL;
	x->fpc = NULL;
	x->now = ifn_now(x->cfg);
	x->ifindex = ctx->ingress_ifindex;
	x->pad = 0;
	return 0;
}

/* Count the frame's verdict and reason; its XDP action. */
static __always_inline int ifn_finish(struct ifn_ctx *x, __u32 verdict, __u32 reason)
{
	struct ifn_global_stats *gs = x->gs;
	struct ifn_dev_stats *ds = x->ds;

	if (verdict >= IFN_VERDICT_MAX)
		verdict = IFN_VERDICT_DROP;
	if (reason >= IFN_REASON_MAX)
		reason = IFN_REASON_NONE;

	gs->frames++;
	gs->bytes += x->pkt.len;
	gs->verdict[verdict]++;
	if (reason)
		gs->reason[reason]++;
	if (ds) {
		ds->packets++;
		ds->bytes += x->pkt.len;
		ds->verdict[verdict]++;
		if (reason)
			ds->reason[reason]++;
		if (!ds->first_seen_ns)
			ds->first_seen_ns = x->now;
		ds->last_seen_ns = x->now;
	}
	return verdict == IFN_VERDICT_DROP ? XDP_DROP : XDP_PASS;
}

#endif /* IFN_ACCOUNT_BPF_H */
