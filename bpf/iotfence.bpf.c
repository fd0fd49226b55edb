// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * iotfence.bpf.c - the XDP entry point: parse -> device -> verdict ->
 * account -> event. The stages live in bpf/lib/; this file only orders them.
 *
 * Cost model: a known device costs one pass over the headers, inlined
 * array lookups for its slot (a per-CPU cache of recent MAC -> slot
 * answers; one hash lookup on a miss), its record, its per-CPU counters and
 * the settings, and for its flow either nothing (the same flow
 * as its last frame on this CPU: the per-CPU cache, which is also what a
 * flood of one violating flow costs) or one or two hash lookups. Prefix
 * tries are looked up only for devices that have such rules. A scan (many
 * violating flows) pays the lookups until it is quarantined, at the flow
 * that crosses the threshold; from then on it takes the quarantine path.
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
#include "lib/frag.bpf.h"
#include "lib/learn.bpf.h"
#include "lib/scan.bpf.h"
#include "lib/answer.bpf.h"
#include "lib/inbound.bpf.h"
#include "lib/police.bpf.h"
#include "lib/dns.bpf.h"
#include "lib/account.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Every map the agent may name (IFN_MAPS) is one of the program's. */
#define IFN_MAP_DECLARED(id) _Static_assert(sizeof(id) > 0, #id);
IFN_MAPS(IFN_MAP_DECLARED)
#undef IFN_MAP_DECLARED

/* A frame outside the fingerprint: report it, count it towards a scan. */
static __always_inline __u32 ifn_violation(struct ifn_ctx *x, __u8 mode,
					   const struct ifn_flow_key *k, int later_frag)
{
	struct ifn_device *dev = x->dev;

	ifn_ev_violation(x, k);
	/* A later fragment carries no ports: it is no distinct flow. */
	if (!later_frag && ifn_scan_note(x, k)) {
		ifn_ev_flow(x, IFN_EV_SCAN, k, dev->scan_count);
		if (mode == IFN_MODE_ENFORCE && (x->cfg->flags & IFN_CFG_F_AUTO_QUARANTINE)) {
			__u64 w = dev->mode_word;

			/* On this very frame: the next one meets quarantine. An
			 * operator's command that got there first stands.
			 */
			if (ifn_mw_mode(w) == IFN_MODE_ENFORCE &&
			    ifn_mode_switch(dev, w, IFN_MODE_QUARANTINE))
				ifn_ev_flow(x, IFN_EV_AUTO_QUARANTINE, k, dev->scan_count);
		}
	}
	return mode == IFN_MODE_MONITOR ? IFN_VERDICT_ALERT : IFN_VERDICT_DROP;
}

static __always_inline __u32 ifn_decide(struct ifn_ctx *x, __u32 parse_reason, __u32 *reason)
{
	struct ifn_device *dev = x->dev;
	const struct ifn_pkt *p = &x->pkt;
	int later = p->frag == IFN_FRAG_LATER, first = IFN_FIRST_NONE;
	int ans = IFN_ANS_NONE;
	struct ifn_flow_key k;
	int allowed;
	__u8 mode;

	mode = ifn_mode_now(x);
	if (mode == IFN_MODE_TRUST)
		return IFN_VERDICT_PASS;
	/* Malformed frames never pass a policing mode, whatever the mode. */
	if (parse_reason) {
		*reason = parse_reason;
		return IFN_VERDICT_DROP;
	}
	ifn_track_addr(x);
	/* Only a later fragment pays this lookup. */
	if (later)
		first = ifn_frag_first(p);
	if (ifn_is_baseline(p) || first == IFN_FIRST_BASELINE) {
		/* Its later fragments carry no ports: they are baseline too. */
		if (p->frag == IFN_FRAG_FIRST)
			ifn_frag_note_first(p, 1);
		return IFN_VERDICT_PASS;
	}
	/* The rest of a packet that passed before the quarantine goes on. */
	if (mode == IFN_MODE_QUARANTINE && first == IFN_FIRST_NONE) {
		*reason = IFN_REASON_QUARANTINE;
		return IFN_VERDICT_DROP;
	}

	if (later) {
		/* No ports: the flow's key with port 0, as a client. */
		ifn_key_ip(&k, p, 0, IFN_DIR_CLIENT);
		/* Learning passes it but never learns from it: no ports. */
		allowed = mode == IFN_MODE_LEARN || first != IFN_FIRST_NONE;
	} else {
		allowed = ifn_fp_allows(x, &k);
		/* An error about an allowed flow is part of that flow. */
		if (!allowed && p->q_proto && ifn_quote_allows(x)) {
			allowed = 1;
			ans = IFN_ANS_EMPTY;
		}
		if (!allowed)
			ans = ifn_answer(x);
		if (!allowed && mode == IFN_MODE_LEARN) {
			/* A reset answers someone else's attempt (a port scan of
			 * the device), noted or not; so does an ICMP error that
			 * answers a noted one or quotes an allowed flow. It
			 * passes, and is never learned.
			 */
			if ((p->proto == IPPROTO_TCP && (p->tcp_flags & IFN_TCP_RST)) ||
			    ans == IFN_ANS_EMPTY) {
				allowed = 1;
			} else {
				/* At the cap it meets enforce: an answer stays one. */
				allowed = ifn_learn(x, &k);
				mode = ifn_mw_mode(dev->mode_word);
			}
		}
		/*
		 * An answer to someone else's attempt is no flow of the device:
		 * no VIOLATION, no scan count (iotfence.8, ANSWERS).
		 */
		if (!allowed && ans && mode != IFN_MODE_LEARN) {
			if (x->cfg->flags & IFN_CFG_F_ANSWERS_DROP) {
				*reason = IFN_REASON_ANSWER;
				return mode == IFN_MODE_MONITOR ? IFN_VERDICT_ALERT :
								  IFN_VERDICT_DROP;
			}
			/*
			 * It passes, but takes no tokens: only frames the
			 * fingerprint allows do (RATE LIMITS), or a scan's
			 * resets would starve the device's own flows.
			 */
			if (p->frag == IFN_FRAG_FIRST)
				ifn_frag_note_first(p, 0);
			return IFN_VERDICT_PASS;
		}
	}

	if (!allowed) {
		*reason = later ? IFN_REASON_FRAGMENT : IFN_REASON_NOT_IN_FINGERPRINT;
		return ifn_violation(x, mode, &k, later);
	}
	if ((dev->flags & IFN_DEV_F_RATE_LIMIT) && !ifn_police(dev, x->now, p->len)) {
		*reason = IFN_REASON_RATE_LIMIT;
		ifn_ev_flow(x, IFN_EV_RATE_EXCEEDED, &k, 0);
		return mode == IFN_MODE_MONITOR ? IFN_VERDICT_ALERT : IFN_VERDICT_DROP;
	}
	/*
	 * Noted only when it passes (iotfence.8, Fragments): the rest of a
	 * packet whose head the rate limit took must not pass without it.
	 */
	if (p->frag == IFN_FRAG_FIRST)
		ifn_frag_note_first(p, 0);
	return IFN_VERDICT_PASS;
}

/*
 * Run by the loader (BPF_PROG_TEST_RUN) to relate jiffies to
 * CLOCK_MONOTONIC for this boot; never attached. An XDP program, since
 * those may read both clocks.
 */
__u64 ifn_probe_jiffies = 0;
__u64 ifn_probe_coarse_ns = 0;

SEC("xdp")
int ifn_clock_probe(struct xdp_md *ctx)
{
	(void)ctx;
	ifn_probe_jiffies = bpf_jiffies64();
	ifn_probe_coarse_ns = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

/*
 * The whole datapath of one frame. Inlined into the live entry point,
 * which is nothing else, and into the replay loop below, so that replay
 * runs the very code a gateway runs.
 */
__u8 ifn_replay_by_name = 0; /* replay: the frame passed by a name rule */

static __always_inline int ifn_xdp(struct xdp_md *ctx, const int replay)
{
	__u32 reason = IFN_REASON_NONE, verdict, slot = 0;
	struct ifn_ctx x;
	int parse_reason;

	if (ifn_ctx_start(&x, ctx))
		return XDP_ABORTED;

	parse_reason = ifn_parse(ctx, &x.pkt);
	if (parse_reason == IFN_REASON_ETH_TRUNC)
		return ifn_finish(&x, IFN_VERDICT_DROP, parse_reason);
	if (ifn_mac_is_bad_source(x.pkt.src_mac))
		return ifn_finish(&x, IFN_VERDICT_DROP, IFN_REASON_BAD_SRC_MAC);

	x.dev = ifn_device_find_cached(x.pkt.src_mac, &slot);
	if (!x.dev) {
		x.dev = ifn_device_new(&x, &slot);
		if (!x.dev)
			return ifn_finish(&x, x.cfg->unknown_verdict, IFN_REASON_TABLE_FULL);
	}
	x.ds = bpf_map_lookup_elem(&ifn_dev_stats, &slot);

	verdict = ifn_decide(&x, parse_reason, &reason);
	/* Known from the decision cache entry the flow left (lib/policy.bpf.h). */
	if (replay && verdict == IFN_VERDICT_PASS && x.fpc && x.fpc->allowed == IFN_FPC_BY_NAME)
		ifn_replay_by_name = 1;
	return ifn_finish(&x, verdict, reason);
}

SEC("xdp")
int iotfence_xdp(struct xdp_md *ctx)
{
	return ifn_xdp(ctx, 0);
}

/*
 * Egress: what the gateway delivers to a device, before the device sees it
 * (docs/DESIGN.md, Datapath 9). Never drops or changes a frame: every path
 * returns TC_ACT_UNSPEC, so the filters after it still run. A non-DNS frame
 * costs one pass over its headers.
 */
#define IFN_TC_ACT_UNSPEC (-1)

/*
 * Bytes of the frame: the live program's from its skb, replay's from its
 * XDP buffer (@xdp is a constant: each caller keeps one branch).
 */
static __always_inline long ifn_egress_load(void *ctx, const int xdp, __u32 off, void *to,
					    __u32 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, to, len);
	return bpf_skb_load_bytes(ctx, off, to, len);
}

/* A DNS answer to a device: its addresses recorded (lib/dns.bpf.h). */
static __always_inline void ifn_egress_dns(void *ctx, const int xdp, struct ifn_epkt *p)
{
	struct ifn_dns_run r;
	__u32 tcp_len = ~0U;
	__u8 pfx[2];

	if (p->proto == IPPROTO_TCP && p->msg_len) {
		if (ifn_egress_load(ctx, xdp, p->msg_off - 2, pfx, 2))
			return;
		tcp_len = (__u32)pfx[0] << 8 | pfx[1];
	}
	if (ifn_dns_begin(p, tcp_len, &r))
		return;
	if (ifn_egress_load(ctx, xdp, p->msg_off, r.s->msg, r.copy_len)) {
		/* The frame is shorter than its UDP length says. */
		r.st->malformed[IFN_DNS_BAD_TRUNC]++;
		return;
	}
	ifn_dns_answer(p, r.s, r.st, r.cfg, r.dev, ifn_now(r.cfg));
}

/*
 * What the egress program does with a frame it delivers to a device (the
 * live program and replay alike), parsed (@rc: ifn_eparse's) into @p: note
 * it as an inbound attempt, and if it is a DNS answer record its
 * addresses. p->ingress_ifindex: where it came in, 0 when the gateway made
 * it. @dns: 0 leaves answers unread (replay --no-names).
 */
static __always_inline void ifn_egress_deliver(void *ctx, const int xdp, struct ifn_epkt *p, int rc,
					       int dns)
{
	/* Inbound attempts, for answers and PROBED (lib/inbound.bpf.h). */
	ifn_inbound_note(p);
	if (dns && !rc && p->sport == IFN_DNS_PORT)
		ifn_egress_dns(ctx, xdp, p);
}

SEC("tc")
int iotfence_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ifn_epkt p;
	int rc;

	/*
	 * Headers past the linear part (a driver that leaves the payload in
	 * pages, with a short head): made linear, which changes no byte.
	 */
	if (data + 128 > end && skb->len > (__u32)(end - data)) {
		if (bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128))
			return IFN_TC_ACT_UNSPEC;
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
	}
	__builtin_memset(&p, 0, sizeof(p));
	rc = ifn_eparse(data, end, &p);
	if (rc < 0)
		return IFN_TC_ACT_UNSPEC;
	p.ifindex = skb->ifindex;
	p.ingress_ifindex = skb->ingress_ifindex;
	ifn_egress_deliver(skb, 0, &p, rc, 1);
	return IFN_TC_ACT_UNSPEC;
}

/*
 * Offline replay (agent/replay_run.c): frames the agent wrote into this copy's
 * slots of ifn_replay, run one after the other in one BPF_PROG_TEST_RUN,
 * since the call costs over a microsecond of kernel entry and setup, ten
 * times what a frame costs the program. Each run takes the next frame,
 * makes the packet that frame (the previous one left it at its own
 * length), runs the datapath at the frame's time, leaves the verdict and
 * the number of events in the slot, and passes the packet on to the next
 * frame with a tail call to itself. How it was not done:
 *  - BPF_PROG_TEST_RUN's repeat: with repeat > 1 the kernel adds the
 *    program to the XDP dispatcher and removes it again on every call, an
 *    RCU grace period each, ~27 ms per call on a 2-CPU VM;
 *  - a bpf_loop() over the frames: 1.5 times the throughput, but the
 *    verifier then explores the datapath in a callback, a frame deeper,
 *    and takes 0.7 s instead of 0.45 s, on every replay and every worker.
 * A chain stops at the kernel's tail call limit (33): the agent calls
 * again for the rest of its batch. Workers each load their own copy of
 * the program, on the maps the first one made, and use their own range of
 * slots (ifn_replay_base). Never loaded unless replay asks for it (the "?"
 * of its section): a gateway never verifies or loads it.
 */
__u32 ifn_replay_base = 0; /* this copy's first slot */
__u32 ifn_replay_count = 0; /* frames in its batch */
__u32 ifn_replay_done = 0; /* of which run: the agent zeroes it for a new batch */

/*
 * Replay's two stages as functions of their own: inlined into one frame,
 * their stacks would add up, with a call's below them, past 512 bytes.
 */
static __noinline int ifn_replay_xdp(struct xdp_md *ctx)
{
	return ifn_xdp(ctx, 1);
}

/*
 * The egress program's work on a frame the gateway delivers to a device
 * (@to_device: it made or routed it, ingress 0) or that one device sends
 * another across the LAN interface (after the XDP program passed it; it
 * came in there, so an answer in it is a LAN device's, spoofed). A frame
 * back to a device on a flow whose last frame from it was dropped is not
 * delivered: the peer never got that frame (returns 0). --no-names leaves
 * DNS answers unread, and so does @cut: the snap length took the records.
 */
__u8 ifn_replay_no_names = 0;
/*
 * The DNS counters (answers, used, spoofed) before a frame, the parsed
 * frame and its flow: here, not on the stack, which the egress stage's
 * calls below fill to the limit.
 */
__u64 ifn_replay_dns_before[3] = {};
static struct ifn_epkt ifn_replay_epkt;
static struct ifn_replay_cut_key ifn_replay_ck;

static __noinline int ifn_replay_egress(struct xdp_md *ctx, __u32 to_device, __u32 dropped,
					__u32 cut)
{
	struct ifn_replay_cut_key *k = &ifn_replay_ck;
	struct ifn_epkt *p = &ifn_replay_epkt;
	__u32 lan = ctx->ingress_ifindex;
	__u8 one = 1;
	int rc, icmp;

	__builtin_memset(p, 0, sizeof(*p));
	rc = ifn_eparse((void *)(long)ctx->data, (void *)(long)ctx->data_end, p);
	if (rc < 0)
		return 1;
	icmp = p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;
	__builtin_memset(k, 0, sizeof(*k));
	k->proto = p->proto;
	if (to_device) {
		__builtin_memcpy(k->mac, p->dst_mac, 6);
		__builtin_memcpy(k->peer, p->src, 16);
		k->dev_port = icmp ? 0 : p->dport;
		k->peer_port = icmp ? 0 : p->sport;
		if (bpf_map_lookup_elem(&ifn_replay_cut, k))
			return 0;
	} else {
		__builtin_memcpy(k->mac, p->src_mac, 6);
		__builtin_memcpy(k->peer, p->dst, 16);
		k->dev_port = icmp ? 0 : p->sport;
		k->peer_port = icmp ? 0 : p->dport;
		if (dropped) {
			bpf_map_update_elem(&ifn_replay_cut, k, &one, BPF_ANY);
			return 0;
		}
		bpf_map_delete_elem(&ifn_replay_cut, k);
	}
	p->ifindex = lan;
	p->ingress_ifindex = to_device ? 0 : lan;
	ifn_egress_deliver(ctx, 1, p, rc, !ifn_replay_no_names && !cut);
	return 1;
}

/* Returns the number of frames of the batch run so far. */
SEC("?xdp")
int ifn_replay_batch(struct xdp_md *ctx)
{
	__u32 zero = 0, slot = ifn_replay_base + ifn_replay_done, len;
	struct ifn_replay_frame *f;
	struct ifn_global_stats *gs;
	struct ifn_dns_stats *ds;
	__u64 sent;
	int delta;

	if (ifn_replay_done >= ifn_replay_count)
		return ifn_replay_done;
	f = bpf_map_lookup_elem(&ifn_replay, &slot);
	gs = bpf_map_lookup_elem(&ifn_stats, &zero);
	ds = bpf_map_lookup_elem(&ifn_dns_stats, &zero);
	if (!f || !gs || !ds)
		return ifn_replay_done;
	/* A frame the packet cannot be made: the agent sees no progress. */
	len = f->len;
	if (len < IFN_REPLAY_FRAME_MIN || len > IFN_REPLAY_FRAME_MAX)
		return ifn_replay_done;
	delta = (int)len - (int)bpf_xdp_get_buff_len(ctx);
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return ifn_replay_done;
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len))
		return ifn_replay_done;
	ifn_virtual_now_ns = f->ts_ns;
	/*
	 * A run cannot move to another CPU or be preempted (softirqs are off
	 * around it), so what this CPU's counter gains is what this frame
	 * puts in the ring: the agent reads the ring in frame order.
	 */
	sent = gs->events_sent;
	/* Per CPU, as the events: what this frame adds is this frame's. */
	ifn_replay_dns_before[0] = ds->answers;
	ifn_replay_dns_before[1] = ds->used;
	ifn_replay_dns_before[2] = ds->spoofed;
	ifn_replay_by_name = 0;
	f->seen = 0;
	/*
	 * A device's frame that passes is also one the gateway delivers to
	 * another: the egress program's work after the XDP program's, as on
	 * a gateway. A frame the gateway sent to a device runs that alone.
	 */
	if (f->to_device) {
		f->verdict = XDP_PASS;
		if (!ifn_replay_egress(ctx, 1, 0, f->cut))
			f->seen |= IFN_REPLAY_SEEN_NOT_DELIVERED;
	} else {
		f->verdict = ifn_replay_xdp(ctx);
		ifn_replay_egress(ctx, 0, f->verdict == XDP_DROP, f->cut);
	}
	f->events = gs->events_sent - sent;
	f->seen |= (ds->answers != ifn_replay_dns_before[0] ? IFN_REPLAY_SEEN_DNS_ANSWER : 0) |
		   (ds->used != ifn_replay_dns_before[1] ? IFN_REPLAY_SEEN_DNS_USED : 0) |
		   (ds->spoofed != ifn_replay_dns_before[2] ? IFN_REPLAY_SEEN_DNS_SPOOFED : 0) |
		   (ifn_replay_by_name ? IFN_REPLAY_SEEN_BY_NAME : 0);
	ifn_replay_done++;
	/* Does not return unless the chain is at the kernel's limit. */
	if (ifn_replay_done < ifn_replay_count)
		bpf_tail_call(ctx, &ifn_replay_next, 0);
	return ifn_replay_done;
}
