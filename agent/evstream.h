/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * evstream.h - reading the datapath's event ring, for `iotfence events` and
 * the daemon. The ring is a single-consumer structure: two readers would
 * split the events between them, so only one should run at a time.
 *
 * Events the datapath could not send (limited per device and type, or the
 * ring was full) are only counted there (ifn_global_stats.events_lost); the
 * stream turns growth of that counter into EVENTS_LOST records, so a reader
 * always learns that it missed something, and how much.
 */
#ifndef IFN_EVSTREAM_H
#define IFN_EVSTREAM_H

#include <stdbool.h>
#include <linux/types.h>

#include "iotfence.h"
#include "state.h"

struct ring_buffer;

/* Called for every event, in ring order; a negative return stops the drain. */
typedef int (*ifn_ev_fn)(void *ctx, const struct ifn_event *e);

struct ifn_evstream {
	const struct ifn_maps *m;
	struct ring_buffer *rb;
	ifn_ev_fn fn;
	void *ctx;
	__u64 lost_seen; /* events_lost already reported */
	__u64 received; /* events read from the ring */
	__u64 synthesized; /* EVENTS_LOST records made */
	int stop; /* the callback's negative return */
};

/*
 * Start reading @m's ring. With @report_past, losses counted before this
 * call are reported by the first ifn_evstream_check_lost() (as one
 * EVENTS_LOST whose value is the total so far); otherwise only losses from
 * now on are. Returns 0 or -errno.
 */
int ifn_evstream_open(struct ifn_evstream *s, const struct ifn_maps *m, ifn_ev_fn fn, void *ctx,
		      bool report_past);
void ifn_evstream_close(struct ifn_evstream *s);

/* An fd that becomes readable when events are waiting (for epoll). */
int ifn_evstream_fd(const struct ifn_evstream *s);

/*
 * Hand every event now in the ring to the callback, then report any growth
 * of the lost counter as an EVENTS_LOST record (time: now on the
 * datapath's clock). Returns the number of records delivered, or -errno
 * (the callback's own when it stopped the drain).
 */
long ifn_evstream_drain(struct ifn_evstream *s);

/* Only the lost-counter check of ifn_evstream_drain(). */
long ifn_evstream_check_lost(struct ifn_evstream *s);

#endif /* IFN_EVSTREAM_H */
