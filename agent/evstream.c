// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* evstream.c - the reader of the datapath's event ring (evstream.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "evstream.h"
#include "state.h"

static int on_ring(void *ctx, void *data, size_t size)
{
	struct ifn_evstream *s = ctx;
	struct ifn_event e;

	/* A shorter record would come from an incompatible program. */
	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	s->received++;
	s->stop = s->fn(s->ctx, &e);
	return s->stop < 0 ? s->stop : 0;
}

static int lost_now(const struct ifn_maps *m, __u64 *lost)
{
	struct ifn_global_stats gs;
	int err = ifn_global_stats_read(m, &gs);

	if (!err)
		*lost = gs.events_lost;
	return err;
}

int ifn_evstream_open(struct ifn_evstream *s, const struct ifn_maps *m, ifn_ev_fn fn, void *ctx,
		      bool report_past)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->fn = fn;
	s->ctx = ctx;
	if (!report_past) {
		err = lost_now(m, &s->lost_seen);
		if (err)
			return err;
	}
	s->rb = ring_buffer__new(m->events, on_ring, s, NULL);
	if (!s->rb)
		return -errno ? -errno : -ENOMEM;
	return 0;
}

void ifn_evstream_close(struct ifn_evstream *s)
{
	if (s->rb)
		ring_buffer__free(s->rb);
	s->rb = NULL;
}

int ifn_evstream_fd(const struct ifn_evstream *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

long ifn_evstream_check_lost(struct ifn_evstream *s)
{
	struct ifn_event e;
	__u64 lost, delta;
	int err = lost_now(s->m, &lost);

	if (err)
		return err;
	/* Fewer than before: the state was recreated under us; start over. */
	if (lost < s->lost_seen)
		s->lost_seen = 0;
	if (lost == s->lost_seen)
		return 0;
	delta = lost - s->lost_seen;
	memset(&e, 0, sizeof(e));
	e.type = IFN_EV_EVENTS_LOST;
	e.time_ns = ifn_clock_is_virtual() ? 0 : ifn_now_mono();
	/* The record's value is 32 bits: a larger gap is reported in parts. */
	e.value = delta > UINT_MAX ? UINT_MAX : (__u32)delta;
	s->lost_seen += e.value;
	s->synthesized++;
	s->stop = s->fn(s->ctx, &e);
	return s->stop < 0 ? s->stop : 1;
}

long ifn_evstream_drain(struct ifn_evstream *s)
{
	__u64 before = s->received;
	long n;
	int err;

	s->stop = 0;
	err = ring_buffer__consume(s->rb);
	if (s->stop < 0)
		return s->stop;
	if (err < 0)
		return err;
	n = s->received - before;
	err = ifn_evstream_check_lost(s);
	if (err < 0)
		return err;
	return n + err;
}
