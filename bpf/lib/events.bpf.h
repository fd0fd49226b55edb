/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * events.bpf.h - events to the agent through the ring buffer, limited per
 * device and type so that one device's flood cannot drown everyone else's
 * events. What is not sent is counted (events_lost, events_suppressed); the
 * agent turns that counter into EVENTS_LOST.
 */
#ifndef IFN_EVENTS_BPF_H
#define IFN_EVENTS_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"

/* ~1.07 s periods: a shift, not a division. */
#define IFN_EV_PERIOD_SHIFT 30

static __always_inline void ifn_ev_lost(struct ifn_ctx *x)
{
	x->gs->events_lost++;
	if (x->ds)
		x->ds->events_suppressed++;
}

/*
 * Reserve an event of @type for the current device (or for no device when
 * x->dev is NULL: the caller limits those). Returns NULL when the event is
 * limited or the ring is full; otherwise the caller fills the specific
 * fields and calls bpf_ringbuf_submit().
 */
/* What limiting and filling an event need: of the frame, or given apart. */
struct ifn_ev_src {
	struct ifn_device *dev;
	struct ifn_dev_stats *ds;
	struct ifn_global_stats *gs;
	const struct ifn_config *cfg;
	const __u8 *mac;
	__u64 now;
	__u32 ifindex;
};

static __always_inline struct ifn_event *ifn_ev_reserve_src(const struct ifn_ev_src *x,
							    const __u32 type)
{
	struct ifn_device *dev = x->dev;
	struct ifn_event *e;

	if (dev && type < IFN_EV_MAX) {
		__u32 period = (__u32)(x->now >> IFN_EV_PERIOD_SHIFT) & 0xffffff;
		__u32 w = dev->ev_limit[type];

		if ((w >> 8) != period)
			w = period << 8;
		if ((w & 0xff) >= x->cfg->event_limit)
			goto lost;
		dev->ev_limit[type] = w + 1;
	}

	e = bpf_ringbuf_reserve(&ifn_events, sizeof(*e), 0);
	if (!e)
		goto lost;
	x->gs->events_sent++;
	/* Ring memory is not zeroed: never hand stale bytes to userspace. */
	__builtin_memset(e, 0, sizeof(*e));
	e->time_ns = x->now;
	__builtin_memcpy(e->mac, x->mac, 6);
	e->type = type;
	e->mode = dev ? dev->mode : 0;
	e->ifindex = x->ifindex;
	return e;
lost:
	x->gs->events_lost++;
	if (x->ds)
		x->ds->events_suppressed++;
	return NULL;
}

static __always_inline struct ifn_event *ifn_ev_reserve(struct ifn_ctx *x, const __u32 type)
{
	struct ifn_ev_src src = {
		.dev = x->dev,
		.ds = x->ds,
		.gs = x->gs,
		.cfg = x->cfg,
		.mac = x->pkt.src_mac,
		.now = x->now,
		.ifindex = x->ifindex,
	};

	return ifn_ev_reserve_src(&src, type);
}

static __always_inline void ifn_ev_simple(struct ifn_ctx *x, const __u32 type, __u32 value)
{
	struct ifn_event *e = ifn_ev_reserve(x, type);

	if (!e)
		return;
	e->value = value;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void ifn_ev_flow(struct ifn_ctx *x, const __u32 type,
					const struct ifn_flow_key *k, __u32 value)
{
	struct ifn_event *e = ifn_ev_reserve(x, type);

	if (!e)
		return;
	e->value = value;
	__builtin_memcpy(&e->flow, k, sizeof(*k));
	bpf_ringbuf_submit(e, 0);
}

#endif /* IFN_EVENTS_BPF_H */
