/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * replay_run.h - `iotfence replay`'s run: copies of the program on one set
 * of private maps, and the workers that run captured frames through them
 * in batches (replay_run.c says how).
 */
#ifndef IFN_REPLAY_RUN_H
#define IFN_REPLAY_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "generalise.h"
#include "replay_scan.h"
#include "state.h"

struct iotfence;

#define RP_MAX_WORKERS 8
/*
 * Frames a worker writes before it runs them and reads what they did. A
 * BPF_PROG_TEST_RUN call runs up to 34 of them (the kernel's tail call
 * limit, bpf/iotfence.bpf.c), so a batch is a few calls.
 */
#define RP_BATCH 1024
/*
 * The most events one frame can raise: NEW_DEVICE or TABLE_FULL,
 * LEARNING_DONE, IP_CHANGE or IP_CONFLICT, FINGERPRINT_CAP, then
 * VIOLATION, SCAN and AUTO_QUARANTINE (or RATE_EXCEEDED instead).
 */
#define RP_FRAME_EVENTS_MAX 7
#define RP_EVENT_RECORD (sizeof(struct ifn_event) + BPF_RINGBUF_HDR_SZ)
/*
 * Each worker's event ring, read after every batch: it holds twice the
 * most events a batch can raise, so none is ever lost to a full ring,
 * which would change the results (batch_collect() checks that it never
 * came near).
 */
#define RP_EVENTS_BYTES (1U << 21)
_Static_assert(RP_EVENTS_BYTES >= 2 * RP_BATCH * RP_FRAME_EVENTS_MAX * RP_EVENT_RECORD,
	       "the event ring holds a batch's events");
/* BPF_PROG_TEST_RUN frames arrive on the loopback device. */
#define RP_IFINDEX 1

struct rp_count {
	__u64 packets, bytes, passed, dropped;
	__u64 by_name; /* of the passed, by a name rule */
};

/* What the gateway delivered to a device (RP_F_EGRESS frames), and DNS answers to it. */
struct rp_egress {
	__u64 frames; /* frames the gateway sent it */
	__u64 dns_answers; /* DNS answers to it, believed */
	__u64 dns_used; /* of which recorded at least one address */
	__u64 not_delivered; /* back on a flow whose last frame from it was dropped */
};

/* A device as the run sees it; only its worker writes it while frames run. */
struct rp_dev {
	bool started;
	bool declared; /* made by the policy before the first frame */
	bool learning; /* as the program has it after the last frame */
	bool table_full;
	bool generalised;
	int gen_rules; /* rules generalisation made */
	__u64 learn_until; /* program time learning ends by deadline, 0: none */
	bool learn_ended; /* learn_end holds when (0 is a time: captures of 1970) */
	__u64 learn_end; /* capture time learning ended */
	struct rp_count ph[2]; /* [0] while learning, [1] after */
	struct rp_egress to; /* frames to it */
	__u64 dns_spoofed_sent; /* DNS answers it sent another device: ignored */
	__u32 ev[IFN_EV_MAX];
	__u64 first_ts, last_ts;
	/* --generalise: the worker's batch that holds frames of it, and the first one's time. */
	__u64 pend_batch, pend_vts;
} __attribute__((aligned(64))); /* devices of different workers share no line */

struct rp_event {
	__u64 idx; /* the frame that raised it */
	struct ifn_event e;
};

/*
 * A reader of one event ring. libbpf's hands every record back at once,
 * and the kernel then wakes the reader (an interrupt on another CPU) for
 * every event that finds the ring empty, which here would be most of them
 * and would cost more than the frame: this one keeps the newest record it
 * has read in the ring, so a new event never finds it empty.
 */
struct rp_ring {
	_Atomic __u64 *cons; /* consumer position: ours to write */
	const _Atomic __u64 *prod;
	const __u8 *data;
	__u64 mask;
	__u64 seen; /* records before this are read */
	__u64 last; /* where the last record read starts */
	size_t cons_len, prod_len;
};

struct rp_worker {
	struct rp_run *R;
	unsigned int id;
	struct iotfence *skel;
	int prog_fd; /* ifn_replay_batch */
	struct ifn_replay_frame *slots; /* its RP_BATCH slots of ifn_replay */
	struct rp_ring ring;
	__u32 *queue; /* frame indices, in run order */
	size_t nq, q_lo, q_hi;
	__u64 cur;
	struct rp_event *ev;
	size_t nev, ev_cap;
	bool ev_nomem;
	__u64 run, nodev_run, nodev_dropped;
	__u64 egress_run; /* of run, RP_F_EGRESS frames */
	__u64 batch; /* batches filled so far */
	size_t sync_at; /* its place in R->sync: ordered frames before it are past */
	int err;
	__u64 load; /* frames given to it */
	pthread_t thread;
} __attribute__((aligned(64))); /* one per thread: no shared lines */

struct rp_run {
	/* First: each worker is cache-line aligned, and so is the struct. */
	struct rp_worker w[RP_MAX_WORKERS];
	struct rp_input in;
	struct rp_scan scan;
	struct rp_dev *devs; /* parallel to scan.macs */
	struct ifn_maps maps;
	struct ifn_replay_frame *slots; /* ifn_replay, RP_BATCH slots per worker */
	__u32 nslots;
	__u32 in_len; /* the packet each run starts with: the longest frame run */
	struct ifn_config cfg;
	struct ifn_gen_opts gen_opts;
	__u64 learn_ns; /* --learn-for */
	__u64 iface_learn_ns; /* the window of a device created now */
	const char *policy;
	/* The frames that wait for all earlier ones, in run order. */
	__u64 *sync;
	size_t nsync;
	_Atomic size_t sync_pos;
	_Atomic __u64 next_sync;
	__u64 run_ns, frames_run;
	__u64 end_vts, end_ts;
	struct rp_event *events; /* all workers' events, in run order */
	size_t nevents;
	unsigned int nworkers;
	atomic_int stop;
	char ifname[16]; /* of the interface the frames arrive on */
	bool default_learns;
	bool learn_files; /* --learn given */
	bool gen; /* --generalise */
	bool no_names; /* --no-names: DNS answers are not read */
};

/*
 * Frames that run: the program can take them, and they are a device's, or
 * a gateway's to a device (the egress stage alone).
 */
static inline bool rp_runnable(const struct rp_frame *f)
{
	if (f->flags & (RP_F_OVERSIZED | RP_F_RUNT | RP_F_BADLEN))
		return false;
	return !(f->flags & RP_F_GATEWAY) || (f->flags & RP_F_EGRESS);
}

/* The device a frame is about: its sender, or the one a gateway's frame goes to. */
static inline __u32 rp_frame_dev(const struct rp_frame *f)
{
	return f->flags & RP_F_EGRESS ? f->to : f->dev;
}

/* Worker @w (its id and skel set) gets its slots and its event ring. */
int rp_worker_setup(struct rp_run *R, struct rp_worker *w);
void rp_ring_close(struct rp_ring *r);
/* Devices to workers, and each worker's queue of frames in run order. */
int rp_assign_workers(struct rp_run *R);
/* Run the frames [lo, hi) on every worker; their queues are filled already. */
int rp_run_range(struct rp_run *R, size_t lo, size_t hi);
/* After the --learn captures: every device that learnt enforces. */
int rp_end_learning(struct rp_run *R);
/* Every worker's events in one list (R->events), in the order their frames ran. */
int rp_merge_events(struct rp_run *R);

#endif /* IFN_REPLAY_RUN_H */
