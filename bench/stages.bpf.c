// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stages.bpf.c - iotfence's XDP program cut short after each stage, for
 * an ablation profile: the difference between two consecutive stages, run
 * on the same frame and the same maps (the driver hands this object the
 * maps of the iotfence instance under test), is what that stage costs.
 * This VM has no hardware counters, so this is how the cost of the program
 * body is split between parsing, lookups and counter updates.
 *
 * The stages call the datapath's own functions (bpf/lib/: account.bpf.h
 * starts and finishes a frame); only the order of bpf/iotfence.bpf.c is
 * repeated here, and must be kept in step with it. This object is optional: `make bench` goes on
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
#include "lib/account.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define KEEP(v) asm volatile("" : : "r"(&(v)) : "memory")

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
	int r;

	if (ifn_ctx_start(&x, ctx))
		return XDP_ABORTED;
	r = ifn_parse(ctx, &x.pkt);
	if (r == IFN_REASON_ETH_TRUNC || ifn_mac_is_bad_source(x.pkt.src_mac))
		return XDP_ABORTED;
	KEEP(x);
	return XDP_PASS;
}

/* Stages 3-5 share the front; @upto says where to stop. */
static __always_inline int st_front(struct xdp_md *ctx, int upto)
{
	__u32 reason = IFN_REASON_NONE, slot = 0;
	struct ifn_ctx x;
	int r;
	__u8 mode;

	if (ifn_ctx_start(&x, ctx))
		return XDP_ABORTED;
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
		return ifn_finish(&x, IFN_VERDICT_PASS, reason);

	/* Stage 5: + mode deadline, address tracking, baseline, quarantine. */
	mode = ifn_mode_now(&x);
	ifn_track_addr(&x);
	if (ifn_is_baseline(&x.pkt) || mode == IFN_MODE_TRUST)
		return ifn_finish(&x, IFN_VERDICT_PASS, reason);
	if (mode == IFN_MODE_QUARANTINE)
		return ifn_finish(&x, IFN_VERDICT_DROP, IFN_REASON_QUARANTINE);
	KEEP(r);
	return ifn_finish(&x, IFN_VERDICT_PASS, reason);
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
