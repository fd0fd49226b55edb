// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stages.bpf.c - iotfence's XDP program cut short after each stage, for
 * an ablation profile: the difference between two consecutive stages, run
 * on the same frame and the same maps (the driver hands this object the
 * maps of the iotfence instance under test), is what that stage costs.
 * This VM has no hardware counters, so this is how the cost of the program
 * body is split between parsing, lookups and counter updates.
 *
 * The stages call the datapath's own functions (bpf/lib/); only the order
 * of bpf/iotfence.bpf.c and its ifn_finish() are repeated here, and must be
 * kept in step with it. This object is optional: `make bench` goes on
 * without it if it stops compiling against a changed datapath.
 *
 * Each stage hands its state to an empty asm statement, so that the
 * compiler cannot drop work whose result a shorter program does not use.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "iotfence.h"
#include "lib/parse.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/ctx.bpf.h"
#include "lib/events.bpf.h"
#include "lib/device.bpf.h"
#include "lib/policy.bpf.h"
#include "lib/police.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define KEEP(v) asm volatile("" : : "r"(&(v)) : "memory")

/* As ifn_finish() in bpf/iotfence.bpf.c. */
static __always_inline int st_finish(struct ifn_ctx *x, __u32 verdict, __u32 reason)
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

/* Stage 1: one pass over the headers. */
SEC("xdp")
int st1_parse(struct xdp_md *ctx)
{
	struct ifn_pkt p;
	int r;

	__builtin_memset(&p, 0, sizeof(p));
	r = ifn_parse(ctx, &p);
	KEEP(p);
	return r ? XDP_ABORTED : XDP_PASS;
}

/* Stage 2: + the settings and global counters (array lookups), the clock. */
SEC("xdp")
int st2_globals(struct xdp_md *ctx)
{
	struct ifn_ctx x;
	__u32 zero = 0;
	int r;

	x.gs = bpf_map_lookup_elem(&ifn_stats, &zero);
	x.cfg = bpf_map_lookup_elem(&ifn_config, &zero);
	if (!x.gs || !x.cfg)
		return XDP_ABORTED;
	__builtin_memset(&x.pkt, 0, sizeof(x.pkt));
	x.dev = NULL;
	x.ds = NULL;
	x.fpc = NULL;
	x.now = ifn_now(x.cfg);
	x.ifindex = ctx->ingress_ifindex;
	x.pad = 0;
	r = ifn_parse(ctx, &x.pkt);
	if (r == IFN_REASON_ETH_TRUNC || ifn_mac_is_bad_source(x.pkt.src_mac))
		return XDP_ABORTED;
	KEEP(x);
	return XDP_PASS;
}

/* Stages 3-5 share the front; @upto says where to stop. */
static __always_inline int st_front(struct xdp_md *ctx, int upto)
{
	__u32 zero = 0, reason = IFN_REASON_NONE, slot = 0;
	struct ifn_ctx x;
	int r;
	__u8 mode;

	x.gs = bpf_map_lookup_elem(&ifn_stats, &zero);
	x.cfg = bpf_map_lookup_elem(&ifn_config, &zero);
	if (!x.gs || !x.cfg)
		return XDP_ABORTED;
	__builtin_memset(&x.pkt, 0, sizeof(x.pkt));
	x.dev = NULL;
	x.ds = NULL;
	x.fpc = NULL;
	x.now = ifn_now(x.cfg);
	x.ifindex = ctx->ingress_ifindex;
	x.pad = 0;
	r = ifn_parse(ctx, &x.pkt);
	if (r == IFN_REASON_ETH_TRUNC || ifn_mac_is_bad_source(x.pkt.src_mac))
		return XDP_ABORTED;

	/* Stage 3: + the device lookup (MAC to slot, then its record). */
	x.dev = ifn_device_find(x.pkt.src_mac, &slot);
	if (!x.dev)
		return XDP_ABORTED;
	if (upto == 3) {
		KEEP(x);
		return XDP_PASS;
	}
	/* Stage 4: + its per-CPU counters and every counter update. */
	x.ds = bpf_map_lookup_elem(&ifn_dev_stats, &slot);
	if (upto == 4)
		return st_finish(&x, IFN_VERDICT_PASS, reason);

	/* Stage 5: + mode deadline, address tracking, baseline, quarantine. */
	mode = ifn_mode_now(&x);
	ifn_track_addr(&x);
	if (ifn_is_baseline(&x.pkt) || mode == IFN_MODE_TRUST)
		return st_finish(&x, IFN_VERDICT_PASS, reason);
	if (mode == IFN_MODE_QUARANTINE)
		return st_finish(&x, IFN_VERDICT_DROP, IFN_REASON_QUARANTINE);
	KEEP(r);
	return st_finish(&x, IFN_VERDICT_PASS, reason);
}

SEC("xdp")
int st3_device(struct xdp_md *ctx)
{
	return st_front(ctx, 3);
}

SEC("xdp")
int st4_counters(struct xdp_md *ctx)
{
	return st_front(ctx, 4);
}

SEC("xdp")
int st5_decide(struct xdp_md *ctx)
{
	return st_front(ctx, 5);
}
