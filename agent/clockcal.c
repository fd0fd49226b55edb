// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * clockcal.c - the length of a jiffy (1/HZ, which userspace cannot read).
 *
 * Dividing the coarse clock's progress by jiffies' over a few ticks read at
 * arbitrary instants is not enough: a CPU leaving idle catches up several
 * jiffies at once, and the coarse clock moves in whole ticks on a grid of
 * its own, so such a ratio can be 25% off, enough to take HZ 250 for 300
 * (the datapath's clock then runs 17% slow for the life of the state: a
 * one-second quarantine lasts longer, learning does not end on time).
 *
 * So: readings are taken at edges, the first instant jiffies moves by one
 * while this CPU polls (a tick on time, not a catch-up), over at least
 * CAL_SPAN_NS. For the right length L, coarse - jiffies * L stays within
 * one tick over all of them (the coarse grid may lag a tick); for any other
 * candidate it drifts by |L' - L| per jiffy, several ticks over the span.
 * Exactly one candidate must stay within a tick and a quarter, or the
 * attempt is repeated; after CAL_TRIES the coarse clock is the base.
 */
#include <errno.h>

#include "clockcal.h"

#define CAL_SPAN_NS 60000000ULL
#define CAL_STEP_NS 8000000ULL /* between edges: about eight of them */
#define CAL_MAX_EDGES 32
#define CAL_MIN_EDGES 4
#define CAL_TRIES 3
/* Longest wait for one tick: HZ 100 is 10 ms; a catch-up costs another. */
#define CAL_EDGE_MAX_NS 50000000ULL

/*
 * The HZ values kernels are built with on the architectures a gateway runs
 * (Alpha's 1024 is left out: within 2.4% of 1000).
 */
static const unsigned int cal_hz[] = { 100, 200, 250, 300, 500, 1000 };
#define CAL_NHZ (sizeof(cal_hz) / sizeof(cal_hz[0]))

/* The first reading after jiffies moves by exactly one: *s. */
static int clock_edge(const struct ifn_clock_ops *ops, struct ifn_clock_sample *s)
{
	__u64 deadline = ops->now(ops->ctx) + CAL_EDGE_MAX_NS;
	struct ifn_clock_sample prev;
	int err = ops->read(ops->ctx, &prev);

	while (!err) {
		err = ops->read(ops->ctx, s);
		if (err)
			break;
		if (s->jiffies == prev.jiffies + 1)
			return 0;
		prev = *s; /* unchanged, or a catch-up of several: wait on */
		if (ops->now(ops->ctx) > deadline)
			return -ETIME;
	}
	return err;
}

/* The one candidate length that fits all @n edges, or 0; *offset with it. */
static __u64 clock_fit(const struct ifn_clock_sample *e, const __u64 *mono, int n, __s64 *offset)
{
	__u64 found = 0;
	unsigned int h;
	int k;

	for (h = 0; h < CAL_NHZ; h++) {
		__u64 len = 1000000000ULL / cal_hz[h];
		__s64 lo = 0, hi = 0;

		for (k = 0; k < n; k++) {
			/* Wraps alike for every edge: differences stay exact. */
			__s64 d = (__s64)(e[k].coarse_ns - e[k].jiffies * len);

			if (!k || d < lo)
				lo = d;
			if (!k || d > hi)
				hi = d;
		}
		if ((__u64)(hi - lo) > len + len / 4)
			continue;
		if (found)
			return 0; /* two fit: the span told nothing */
		found = len;
		/*
		 * Against CLOCK_MONOTONIC read just after each edge: the reading
		 * nearest its tick (the least delayed) sets the offset, so that
		 * the agent's clock is never behind the datapath's.
		 */
		for (k = 0; k < n; k++) {
			__s64 o = (__s64)(e[k].jiffies * len - mono[k]);

			if (!k || o > *offset)
				*offset = o;
		}
	}
	return found;
}

int ifn_clock_calibrate(const struct ifn_clock_ops *ops, __u64 *jiffy_ns, __s64 *offset)
{
	struct ifn_clock_sample e[CAL_MAX_EDGES];
	__u64 mono[CAL_MAX_EDGES];
	int i, n, err;

	*jiffy_ns = 0;
	*offset = 0;
	for (i = 0; i < CAL_TRIES; i++) {
		__s64 off = 0;
		__u64 len;

		for (n = 0; n < CAL_MAX_EDGES; n++) {
			if (n)
				ops->pause(ops->ctx, CAL_STEP_NS);
			err = clock_edge(ops, &e[n]);
			if (err == -ETIME)
				return 0; /* jiffies stand still: the coarse clock it is */
			if (err)
				return err;
			mono[n] = ops->now(ops->ctx);
			if (n + 1 >= CAL_MIN_EDGES &&
			    e[n].coarse_ns - e[0].coarse_ns >= CAL_SPAN_NS)
				break;
		}
		if (n == CAL_MAX_EDGES)
			continue; /* the coarse clock hardly moved: try again */
		len = clock_fit(e, mono, n + 1, &off);
		if (len) {
			*jiffy_ns = len;
			*offset = off;
			return 0;
		}
	}
	return 0;
}
