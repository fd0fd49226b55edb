// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * replay.c - `iotfence replay`: run captured frames through the real
 * program, offline, on private maps, with the program's clock set to each
 * frame's capture time (iotfence.8, REPLAY).
 *
 * One BPF_PROG_TEST_RUN call costs over a microsecond of kernel entry and
 * setup against well under a hundred nanoseconds of program per frame, so
 * a call runs a batch of frames: the worker writes them into its slots of
 * the frames map (ifn_replay), and the replay program (ifn_replay_batch,
 * the live program's code in a loop) runs each at its capture time and
 * leaves its verdict and the number of events it raised in its slot.
 * Events are then read from the ring in frame order, each frame taking as
 * many as it raised, so every event is attributed to its frame exactly as
 * when frames ran one by one.
 *
 * Frames also run on several workers at once: each worker has its own
 * copy of the program (its own clock, event ring and slots) on the one set
 * of maps, as the CPUs of a live gateway share them. A device's frames all
 * go to one worker, in capture order; the few frames that touch what
 * devices share (replay_scan.c) run in capture order among themselves, so
 * the result does not depend on the number of workers.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "cli.h"
#include "defaults.h"
#include "devices.h"
#include "errors.h"
#include "events.h"
#include "format.h"
#include "generalise.h"
#include "loader.h"
#include "oui.h"
#include "output.h"
#include "parse.h"
#include "policy.h"
#include "policy_parse.h"
#include "replay.h"
#include "rules.h"
#include "state.h"
#include "iotfence.skel.h"

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
/*
 * Below this many frames, one worker: loading another copy of the program
 * (the verifier, a tenth of a second or more) costs more than it saves at
 * about a microsecond a frame.
 */
#define RP_PARALLEL_MIN_FRAMES 200000
#define RP_ORDERED_MAX_SHARE 100
#define RP_MAX_GATEWAYS 16
/* Human output lists this many events; --json lists them all. */
#define RP_TEXT_EVENTS 40
/*
 * XDP_PACKET_HEADROOM and the skb_shared_info at the end of the page:
 * BPF_PROG_TEST_RUN puts the rest of a longer frame in fragments, which
 * the program (not a frags program) does not see.
 */
#define RP_XDP_HEADROOM 256
#define RP_XDP_TAILROOM 320
/* BPF_PROG_TEST_RUN frames arrive on the loopback device. */
#define RP_IFINDEX 1
/* Interfaces a policy names besides the replayed one: never a frame's. */
#define RP_IFINDEX_OTHER 1000000
/*
 * A policy applied "for DUR" sets deadlines on CLOCK_MONOTONIC, "until"
 * ones on capture (wall) time under the virtual clock. Monotonic times,
 * even ten years ahead, stay far below 2001 on the wall clock.
 */
#define RP_MONO_LIMIT 1000000000000000000ULL

struct rp_count {
	__u64 packets, bytes, passed, dropped;
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
	__u32 ev[IFN_EV_MAX];
	__u64 first_ts, last_ts;
	/* --generalise: the worker's batch that holds frames of it, and the first one's time. */
	__u64 pend_batch, pend_vts;
} __attribute__((aligned(64))); /* devices of different workers share no line */

struct rp_event {
	__u64 idx; /* the frame that raised it */
	struct ifn_event e;
};

struct rp_run;

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
};

/* ---- loading ---- */

/* The same mappings libbpf makes: the consumer page, then producer and data. */
static int ring_open(struct rp_ring *r, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	r->cons_len = page;
	p = mmap(NULL, r->cons_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->cons = p;
	r->prod_len = page + 2 * (size_t)info.max_entries;
	p = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, fd, page);
	if (p == MAP_FAILED) {
		munmap((void *)r->cons, r->cons_len);
		r->cons = NULL;
		return -errno;
	}
	r->prod = p;
	r->data = (const __u8 *)p + page;
	r->mask = info.max_entries - 1;
	r->seen = atomic_load_explicit(r->cons, memory_order_acquire);
	r->last = r->seen;
	return 0;
}

static void ring_close(struct rp_ring *r)
{
	if (r->cons)
		munmap((void *)r->cons, r->cons_len);
	if (r->prod)
		munmap((void *)r->prod, r->prod_len);
	memset(r, 0, sizeof(*r));
}

static void on_event(struct rp_worker *w, const void *data, __u32 size);

/*
 * Hand the next @n records, up to @prod, to on_event(): the events of
 * frame w->cur, as many as the program counted for it. The run is over,
 * so none can be half-written; a record missing would mean events given
 * to the wrong frames, which must never end up in a report.
 */
static int ring_take(struct rp_worker *w, __u64 prod, __u32 n)
{
	struct rp_ring *r = &w->ring;

	for (; n; n--) {
		const _Atomic __u32 *hdr = (const _Atomic __u32 *)(r->data + (r->seen & r->mask));
		__u32 len;

		if (r->seen >= prod)
			return -EPROTO;
		len = atomic_load_explicit(hdr, memory_order_acquire);
		if (len & BPF_RINGBUF_BUSY_BIT)
			return -EPROTO;
		/* A discarded record was counted when it was reserved: skip it. */
		if (!(len & BPF_RINGBUF_DISCARD_BIT))
			on_event(w, (const __u8 *)hdr + BPF_RINGBUF_HDR_SZ,
				 len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT));
		r->last = r->seen;
		len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		r->seen += (len + BPF_RINGBUF_HDR_SZ + 7) / 8 * 8;
	}
	return 0;
}

static int worker_setup(struct rp_run *R, struct rp_worker *w)
{
	int fd = w->id ? bpf_map__fd(w->skel->maps.ifn_events) : R->maps.events;

	w->R = R;
	w->prog_fd = ifn_skel_replay_fd(w->skel);
	w->skel->bss->ifn_replay_base = w->id * RP_BATCH;
	if ((w->id + 1) * RP_BATCH > R->nslots)
		return -ENOSPC;
	w->slots = R->slots + w->id * RP_BATCH;
	return ring_open(&w->ring, fd);
}

/* ---- running ---- */

static __u64 capture_time(const struct rp_run *R, __u64 idx, __u64 vts)
{
	const struct rp_frame *f = &R->in.frames[idx];

	return f->phase == RP_PHASE_REPLAY ? vts - R->in.phase_shift : vts;
}

static void on_event(struct rp_worker *w, const void *data, __u32 size)
{
	struct rp_run *R = w->R;
	const struct rp_frame *f = &R->in.frames[w->cur];
	struct rp_event *re;
	struct rp_dev *d = f->dev != RP_NODEV ? &R->devs[f->dev] : NULL;
	struct ifn_event e;

	if (size < sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	e.time_ns = capture_time(R, w->cur, e.time_ns);
	if (d) {
		if (e.type < IFN_EV_MAX)
			d->ev[e.type]++;
		switch (e.type) {
		case IFN_EV_NEW_DEVICE:
			d->learning = e.mode == IFN_MODE_LEARN;
			d->learn_until =
				d->learning && R->iface_learn_ns ? f->vts + R->iface_learn_ns : 0;
			break;
		case IFN_EV_LEARNING_DONE:
		case IFN_EV_FINGERPRINT_CAP:
			/* The frame that ends learning is judged by what was learnt. */
			if (d->learning) {
				d->learn_end = f->ts;
				d->learn_ended = true;
			}
			d->learning = false;
			break;
		case IFN_EV_TABLE_FULL:
			d->table_full = true;
			break;
		}
	}
	if (w->nev == w->ev_cap) {
		size_t cap = w->ev_cap ? w->ev_cap * 2 : 256;
		struct rp_event *n = realloc(w->ev, cap * sizeof(*n));

		if (!n) {
			w->ev_nomem = true;
			return;
		}
		w->ev = n;
		w->ev_cap = cap;
	}
	re = &w->ev[w->nev++];
	re->idx = w->cur;
	re->e = e;
}

static inline void cpu_relax(unsigned int *spins)
{
	if (++*spins < 256) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else {
		sched_yield();
	}
}

/*
 * Wait until ordered frame @idx may run: when every ordered frame before it
 * has. The state devices share (address owners, the other devices' current
 * addresses, the free slots of the device table) changes only on ordered
 * frames, so running those in capture order and each device's frames in
 * capture order gives the result of running everything in capture order;
 * other frames never wait.
 */
static bool wait_turn(struct rp_run *R, __u64 idx)
{
	unsigned int spins = 0;

	while (atomic_load_explicit(&R->next_sync, memory_order_acquire) != idx)
		if (atomic_load_explicit(&R->stop, memory_order_relaxed))
			return false;
		else
			cpu_relax(&spins);
	return true;
}

/*
 * Generalisation at the end of a device's learning, as the daemon does it
 * (generalise on): before the first frame past its deadline, so that frame
 * meets the generalised fingerprint. Not when learning stopped at the
 * fingerprint cap: what was learnt may be a scan, and generalising would
 * widen it. Only this device's rules change, and only its worker runs its
 * frames, so nothing runs against them meanwhile.
 */
static int generalise_dev(struct rp_run *R, __u32 dev)
{
	struct rp_dev *d = &R->devs[dev];
	char mac[IFN_MAC_STRLEN];
	struct ifn_device rec;
	int n;

	d->generalised = true;
	n = ifn_device_get(&R->maps, R->scan.macs[dev].mac, &rec);
	if (n == -ENOENT || (!n && (rec.flags & IFN_DEV_F_LEARN_CAPPED))) {
		d->generalised = false;
		return 0;
	}
	if (!n)
		n = ifn_generalise(&R->maps, R->scan.macs[dev].mac, &R->gen_opts, NULL);
	if (n < 0) {
		ifn_err("replay: cannot generalise %s: %s", ifn_fmt_mac(R->scan.macs[dev].mac, mac),
			ifn_strerror(n));
		return n;
	}
	d->gen_rules = n;
	return 0;
}

/* The worker that runs a frame. */
static unsigned int frame_worker(const struct rp_run *R, const struct rp_frame *f)
{
	/* Frames of no device touch no device's state: any worker will do. */
	return f->dev != RP_NODEV ? R->scan.macs[f->dev].worker : 0;
}

/*
 * --generalise: could frame @f of @d be the first past its learning
 * deadline once the frames of it already in this batch have run? Those
 * may set the deadline (NEW_DEVICE: their own time plus the window) or
 * end the learning; learning itself can only end later than they run.
 * When it could, the batch ends before @f, so that worker_main() decides
 * on what the program did, as it would have frame by frame.
 */
static bool may_end_learning(const struct rp_run *R, const struct rp_worker *w,
			     const struct rp_dev *d, __u64 vts)
{
	bool pending = d->pend_batch == w->batch;

	if (d->generalised)
		return false;
	if (d->learn_until && vts >= d->learn_until && (d->learning || pending))
		return true;
	return pending && R->iface_learn_ns && vts >= d->pend_vts + R->iface_learn_ns;
}

/*
 * Write the next frames of the queue, from position @k, into the worker's
 * slots; *n of them, at most RP_BATCH. Ordered frames may share a batch
 * only with the ordered frames right after them in capture order: the
 * batch waits for the first one's turn (having run what came before it)
 * and ends after the last one whose successor another worker runs, so
 * that worker need not wait for the rest of this batch. *sync_hi: the
 * place in R->sync of the last ordered frame in the batch, or SIZE_MAX.
 */
static int batch_fill(struct rp_worker *w, size_t k, size_t *n, size_t *sync_hi)
{
	struct rp_run *R = w->R;
	const struct rp_frame *frames = R->in.frames;

	*n = 0;
	*sync_hi = SIZE_MAX;
	w->batch++;
	while (k + *n < w->q_hi && *n < RP_BATCH) {
		__u64 idx = w->queue[k + *n];
		const struct rp_frame *f = &frames[idx];
		struct rp_dev *d = f->dev != RP_NODEV ? &R->devs[f->dev] : NULL;
		struct ifn_replay_frame *s = &w->slots[*n];
		bool last_sync = false;

		if (d && R->gen && *n && may_end_learning(R, w, d, f->vts))
			break;
		if (f->flags & RP_F_SYNC) {
			while (w->sync_at < R->nsync && R->sync[w->sync_at] != idx)
				w->sync_at++;
			if (w->sync_at == R->nsync)
				return -EPROTO; /* an ordered frame not in the order */
			if (*sync_hi != SIZE_MAX) {
				if (w->sync_at != *sync_hi + 1)
					break;
			} else if (*n && atomic_load_explicit(&R->next_sync,
							      memory_order_acquire) != idx) {
				break;
			} else if (!wait_turn(R, idx)) {
				return -ECANCELED;
			}
			*sync_hi = w->sync_at;
			last_sync = w->sync_at + 1 < R->nsync &&
				    frame_worker(R, &frames[R->sync[w->sync_at + 1]]) != w->id;
		}
		/*
		 * The first frame of a batch runs on everything its device's
		 * earlier frames did, as frames run one by one do.
		 */
		if (d && R->gen && !*n && d->learning && !d->generalised && d->learn_until &&
		    f->vts >= d->learn_until) {
			int err = generalise_dev(R, f->dev);

			if (err)
				return err;
		}
		/* BPF_PROG_TEST_RUN takes no frame shorter than an Ethernet header. */
		if (f->len < IFN_REPLAY_FRAME_MIN || f->len > IFN_REPLAY_FRAME_MAX)
			return -EINVAL;
		s->ts_ns = f->vts;
		s->len = f->len;
		s->verdict = 0;
		s->events = 0;
		memcpy(s->data, R->in.arena + f->off, f->caplen);
		/* A frame cut by the snap length runs zero-padded to its length. */
		if (f->caplen < f->len)
			memset(s->data + f->caplen, 0, f->len - f->caplen);
		if (d && d->pend_batch != w->batch) {
			d->pend_batch = w->batch;
			d->pend_vts = f->vts;
		}
		(*n)++;
		if (last_sync)
			break;
	}
	return 0;
}

/*
 * Run the batch, every frame at its own time: a call runs frames until the
 * kernel's limit on tail calls (33), so a batch takes a few calls.
 */
static int batch_run(struct rp_worker *w, size_t n)
{
	static const __u8 zeros[IFN_REPLAY_FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = zeros, .data_size_in = w->R->in_len,
		    .repeat = 1);
	__u32 done = 0;

	w->skel->bss->ifn_replay_count = n;
	w->skel->bss->ifn_replay_done = 0;
	while (done < n) {
		/* libbpf writes the kernel's output sizes back into the opts. */
		o.data_size_out = 0;
		if (bpf_prog_test_run_opts(w->prog_fd, &o))
			return -errno;
		/* No progress only on a frame it cannot take, which batch_fill() refuses. */
		if (o.retval <= done || o.retval > n)
			return -EINVAL;
		done = o.retval;
	}
	return 0;
}

/*
 * What the batch did, frame by frame in run order: each frame's events,
 * then its verdict counted in the phase its device is in after them (the
 * frame that ends learning is judged by what was learnt).
 */
static int batch_collect(struct rp_worker *w, size_t k, size_t n)
{
	struct rp_run *R = w->R;
	struct rp_ring *r = &w->ring;
	__u64 cons = atomic_load_explicit(r->cons, memory_order_relaxed);
	__u64 prod = atomic_load_explicit(r->prod, memory_order_acquire);
	size_t j;
	int err;

	/*
	 * A reservation fails only when the ring would hold more than its
	 * size: had this batch come within a record of that, an event could
	 * be missing, and the results would not be the program's.
	 */
	if (prod - cons + RP_EVENT_RECORD > r->mask + 1)
		return -ENOBUFS;
	for (j = 0; j < n; j++) {
		__u64 idx = w->queue[k + j];
		const struct rp_frame *f = &R->in.frames[idx];
		const struct ifn_replay_frame *s = &w->slots[j];
		struct rp_dev *d = f->dev != RP_NODEV ? &R->devs[f->dev] : NULL;

		if (d && !d->started) {
			d->started = true;
			if (!d->declared)
				d->learning = R->default_learns;
			d->first_ts = f->ts;
		}
		w->cur = idx;
		err = ring_take(w, prod, s->events);
		if (err)
			return err;
		if (d) {
			struct rp_count *c = &d->ph[!d->learning];

			c->packets++;
			c->bytes += f->len;
			if (s->verdict == XDP_DROP)
				c->dropped++;
			else
				c->passed++;
			d->last_ts = f->ts;
		} else {
			w->nodev_run++;
			w->nodev_dropped += s->verdict == XDP_DROP;
		}
		w->run++;
	}
	if (r->seen != prod)
		return -EPROTO; /* records no frame accounts for */
	/*
	 * Consume all but the newest record: the kernel wakes the reader
	 * (an interrupt on another CPU) for an event that finds the ring
	 * empty, which here would be most of them, at more than a frame's
	 * cost.
	 */
	atomic_store_explicit(r->cons, r->last, memory_order_release);
	return 0;
}

static void *worker_main(void *arg)
{
	struct rp_worker *w = arg;
	struct rp_run *R = w->R;
	size_t k = w->q_lo;

	while (k < w->q_hi && !atomic_load_explicit(&R->stop, memory_order_relaxed)) {
		size_t n, sync_hi;
		int err;

		err = batch_fill(w, k, &n, &sync_hi);
		if (!err)
			err = batch_run(w, n);
		if (!err && sync_hi != SIZE_MAX) {
			/* Their effects are in the maps: the next ordered frame may run. */
			size_t p = sync_hi + 1;

			atomic_store_explicit(&R->sync_pos, p, memory_order_relaxed);
			atomic_store_explicit(&R->next_sync, p < R->nsync ? R->sync[p] : UINT64_MAX,
					      memory_order_release);
		}
		if (!err)
			err = batch_collect(w, k, n);
		if (err) {
			if (err != -ECANCELED)
				w->err = err;
			atomic_store(&R->stop, 1);
			break;
		}
		k += n;
	}
	return NULL;
}

static bool runnable(const struct rp_frame *f)
{
	return !(f->flags & (RP_F_GATEWAY | RP_F_OVERSIZED | RP_F_RUNT | RP_F_BADLEN));
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Run the frames [lo, hi) on every worker; their queues are filled already. */
static int run_range(struct rp_run *R, size_t lo, size_t hi)
{
	unsigned int i, started = 0;
	__u64 t0, t1;
	size_t k;
	int err = 0;

	R->nsync = 0;
	for (k = lo; k < hi; k++)
		if (runnable(&R->in.frames[k]) && (R->in.frames[k].flags & RP_F_SYNC))
			R->sync[R->nsync++] = k;
	atomic_store(&R->sync_pos, 0);
	atomic_store(&R->next_sync, R->nsync ? R->sync[0] : UINT64_MAX);
	for (i = 0; i < R->nworkers; i++) {
		struct rp_worker *w = &R->w[i];

		w->q_lo = w->q_hi;
		while (w->q_hi < w->nq && w->queue[w->q_hi] < hi)
			w->q_hi++;
		w->sync_at = 0;
	}

	t0 = mono_ns();
	if (R->nworkers == 1) {
		worker_main(&R->w[0]);
	} else {
		for (i = 0; i < R->nworkers; i++) {
			err = -pthread_create(&R->w[i].thread, NULL, worker_main, &R->w[i]);
			if (err) {
				atomic_store(&R->stop, 1);
				break;
			}
			started++;
		}
		for (i = 0; i < started; i++)
			pthread_join(R->w[i].thread, NULL);
	}
	t1 = mono_ns();
	R->run_ns += t1 - t0;
	for (i = 0; i < R->nworkers && !err; i++)
		err = R->w[i].err;
	if (err)
		ifn_err("replay: running a frame failed: %s", ifn_strerror(err));
	return err;
}

/* Devices to workers, most frames first, each to the least loaded. */
static int assign_workers(struct rp_run *R)
{
	size_t n = R->scan.nmacs, i, *order, k;
	__u64 *load;
	int err = 0;

	order = calloc(n ? n : 1, sizeof(*order));
	load = calloc(n ? n : 1, sizeof(*load));
	if (!order || !load) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < R->in.nframes; i++)
		if (runnable(&R->in.frames[i]) && R->in.frames[i].dev != RP_NODEV)
			load[R->in.frames[i].dev]++;
	for (i = 0; i < n; i++)
		order[i] = i;
	/* Insertion sort by load, descending: the sort is not the hot path. */
	for (i = 1; i < n; i++) {
		size_t v = order[i], j = i;

		while (j > 0 && load[order[j - 1]] < load[v]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (k = 0; k < n; k++) {
		unsigned int best = 0, j;

		for (j = 1; j < R->nworkers; j++)
			if (R->w[j].load < R->w[best].load)
				best = j;
		R->scan.macs[order[k]].worker = best;
		R->w[best].load += load[order[k]];
	}
	for (i = 0; i < R->nworkers; i++) {
		R->w[i].queue = malloc((R->w[i].load + R->scan.nodev_frames + 1) * sizeof(__u32));
		if (!R->w[i].queue) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < R->in.nframes; i++) {
		const struct rp_frame *f = &R->in.frames[i];
		struct rp_worker *w;

		if (!runnable(f))
			continue;
		w = &R->w[frame_worker(R, f)];
		w->queue[w->nq++] = i;
	}
	R->sync = malloc((R->in.nframes + 1) * sizeof(*R->sync));
	if (!R->sync)
		err = -ENOMEM;
out:
	free(order);
	free(load);
	return err;
}

/*
 * After the learning captures, every device that learnt enforces, as if an
 * operator ran `iotfence enforce all`; devices first seen later learn for
 * --learn-for, as new devices on a live gateway do.
 */
static int end_learning(struct rp_run *R)
{
	size_t end = R->in.phase_end[RP_PHASE_LEARN], i;
	__u64 now = end ? R->in.frames[end - 1].vts : 0, last_ts = 0;
	struct ifn_dev_view *v;
	size_t n;
	int err;

	for (i = 0; i < end; i++)
		if (R->in.frames[i].ts > last_ts)
			last_ts = R->in.frames[i].ts;
	err = ifn_devices_read(&R->maps, &v, &n);
	if (err) {
		ifn_err("replay: cannot read the device table: %s", ifn_strerror(err));
		return err;
	}
	for (i = 0; i < n && !err; i++) {
		struct ifn_device d;
		__u32 m;

		err = ifn_device_get(&R->maps, v[i].mac, &d);
		if (err)
			break;
		if (d.mode == IFN_MODE_LEARN)
			err = ifn_device_set_mode(&R->maps, v[i].mac, IFN_MODE_ENFORCE, 0, 0, now,
						  NULL);
		m = rp_scan_find(&R->scan, v[i].mac);
		if (m != RP_NODEV && R->devs[m].learning) {
			R->devs[m].learning = false;
			R->devs[m].learn_end = last_ts;
			R->devs[m].learn_ended = true;
			if (R->gen && !err)
				err = generalise_dev(R, m);
		}
	}
	free(v);
	if (!err) {
		struct ifn_iface ifc;
		__u32 one = RP_IFINDEX;

		err = bpf_map_lookup_elem(R->maps.ifaces, &one, &ifc) ? -errno : 0;
		if (!err) {
			ifc.learn_ns = R->learn_ns;
			err = bpf_map_update_elem(R->maps.ifaces, &one, &ifc, BPF_EXIST) ? -errno :
											   0;
		}
		R->iface_learn_ns = R->learn_ns;
	}
	if (err)
		ifn_err("replay: cannot switch the devices to enforce: %s", ifn_strerror(err));
	return err;
}

/* Every worker's events in one list, in the order their frames ran. */
static int merge_events(struct rp_run *R)
{
	size_t total = 0, pos[RP_MAX_WORKERS] = { 0 }, o = 0;
	unsigned int i;

	for (i = 0; i < R->nworkers; i++) {
		total += R->w[i].nev;
		if (R->w[i].ev_nomem) {
			ifn_err("replay: out of memory keeping events");
			return -ENOMEM;
		}
	}
	R->events = malloc((total ? total : 1) * sizeof(*R->events));
	if (!R->events)
		return -ENOMEM;
	while (o < total) {
		unsigned int best = RP_MAX_WORKERS;

		for (i = 0; i < R->nworkers; i++)
			if (pos[i] < R->w[i].nev &&
			    (best == RP_MAX_WORKERS ||
			     R->w[i].ev[pos[i]].idx < R->w[best].ev[pos[best]].idx))
				best = i;
		if (best == RP_MAX_WORKERS)
			break; /* fewer events than counted: cannot happen, never read past */
		R->events[o++] = R->w[best].ev[pos[best]++];
	}
	R->nevents = total;
	return 0;
}

/* ---- the report ---- */

struct rp_devrep {
	struct ifn_dev_view v;
	struct rp_dev *d; /* NULL: declared (policy) and never seen */
	__u32 prefix_rules, any_rules;
	__u64 violations;
};

struct rp_report {
	struct rp_devrep *devs;
	size_t ndevs;
	struct ifn_global_stats gs;
	struct rp_count learn, after;
	__u64 violations;
	__u32 ev[IFN_EV_MAX];
	__u64 frames_read, oversized, runt, bad_length, not_ethernet, cut, truncated_files,
		skipped_files, nodev_run, nodev_dropped;
	__u64 no_record, no_record_dropped; /* frames of MACs the table had no room for */
	struct ifn_oui_db *oui;
};

static double rate(__u64 part, __u64 whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

static int devrep_cmp(const void *a, const void *b)
{
	return memcmp(((const struct rp_devrep *)a)->v.mac, ((const struct rp_devrep *)b)->v.mac,
		      6);
}

static int build_report(struct rp_run *R, struct rp_report *rep)
{
	struct ifn_dev_view *v;
	struct ifn_rule *rules = NULL;
	size_t n, nrules = 0, i;
	unsigned int t;
	int err;

	memset(rep, 0, sizeof(*rep));
	err = ifn_devices_read(&R->maps, &v, &n);
	if (!err)
		err = ifn_rules_read(&R->maps, NULL, &rules, &nrules);
	if (!err)
		err = ifn_global_stats_read(&R->maps, &rep->gs);
	if (err) {
		ifn_err("replay: cannot read the results: %s", ifn_strerror(err));
		free(v);
		return err;
	}
	rep->devs = calloc(n ? n : 1, sizeof(*rep->devs));
	if (!rep->devs) {
		free(v);
		free(rules);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct rp_devrep *r = &rep->devs[rep->ndevs++];
		struct ifn_device *d = &r->v.dev;
		__u32 m = rp_scan_find(&R->scan, v[i].mac);

		r->v = v[i];
		/* The mode at the end of the capture, not at the end of the run. */
		if (ifn_mw_until(d->mode_word) && R->end_vts >= ifn_mw_until(d->mode_word))
			d->mode_word = ifn_mode_word(d->mode_after, d->mode_after, 0);
		r->d = m != RP_NODEV ? &R->devs[m] : NULL;
		r->violations = r->v.st.reason[IFN_REASON_NOT_IN_FINGERPRINT] +
				r->v.st.reason[IFN_REASON_FRAGMENT];
		rep->violations += r->violations;
		if (r->d) {
			struct rp_count *a = r->d->ph, *b = r->d->ph + 1;

			rep->learn.packets += a->packets;
			rep->learn.bytes += a->bytes;
			rep->learn.passed += a->passed;
			rep->learn.dropped += a->dropped;
			rep->after.packets += b->packets;
			rep->after.bytes += b->bytes;
			rep->after.passed += b->passed;
			rep->after.dropped += b->dropped;
			for (t = 0; t < IFN_EV_MAX; t++)
				rep->ev[t] += r->d->ev[t];
		}
	}
	for (i = 0; i < nrules; i++) {
		struct rp_devrep key = { 0 }, *r;

		memcpy(key.v.mac, rules[i].mac, 6);
		r = bsearch(&key, rep->devs, rep->ndevs, sizeof(*r), devrep_cmp);
		if (!r)
			continue;
		if (ifn_rule_kind(&rules[i]) == IFN_RULE_PORT_PREFIX)
			r->prefix_rules++;
		else if (ifn_rule_kind(&rules[i]) == IFN_RULE_ANY_PORT)
			r->any_rules++;
	}
	for (i = 0; i < R->in.ncaps; i++) {
		const struct rp_capture *c = &R->in.caps[i];

		rep->frames_read += c->frames;
		rep->oversized += c->oversized;
		rep->runt += c->runt;
		rep->bad_length += c->bad_length;
		rep->not_ethernet += c->not_ethernet;
		rep->cut += c->cut;
		rep->truncated_files += c->status == RP_CAP_TRUNCATED;
		rep->skipped_files += c->status == RP_CAP_SKIPPED;
	}
	for (i = 0; i < R->nworkers; i++) {
		rep->nodev_run += R->w[i].nodev_run;
		rep->nodev_dropped += R->w[i].nodev_dropped;
	}
	for (i = 0; R->devs && i < R->scan.nmacs; i++) {
		const struct rp_dev *d = &R->devs[i];
		struct rp_devrep key = { 0 };

		memcpy(key.v.mac, R->scan.macs[i].mac, 6);
		if (!d->started || bsearch(&key, rep->devs, rep->ndevs, sizeof(key), devrep_cmp))
			continue;
		rep->no_record += d->ph[0].packets + d->ph[1].packets;
		rep->no_record_dropped += d->ph[0].dropped + d->ph[1].dropped;
	}
	rep->oui = ifn_oui_load(NULL);
	free(v);
	free(rules);
	return 0;
}

static void count_json(struct ifn_json *j, const char *key, const struct rp_count *c, bool after)
{
	ifn_json_obj_open(j, key);
	ifn_json_u64(j, "packets", c->packets);
	ifn_json_u64(j, "bytes", c->bytes);
	ifn_json_u64(j, "passed", c->passed);
	ifn_json_u64(j, "dropped", c->dropped);
	if (after)
		ifn_json_double(j, "drop_rate", rate(c->dropped, c->packets));
	ifn_json_obj_close(j);
}

static void event_counts_json(struct ifn_json *j, const __u32 *ev)
{
	unsigned int t;

	ifn_json_obj_open(j, "events");
	for (t = 0; t < IFN_EV_MAX; t++)
		if (ev[t])
			ifn_json_u64(j, ifn_event_name(t), ev[t]);
	ifn_json_obj_close(j);
}

static const char *phase_name(enum rp_phase p)
{
	return p == RP_PHASE_LEARN ? "learn" : "replay";
}

static const char *status_name(enum rp_cap_status s)
{
	switch (s) {
	case RP_CAP_OK:
		return "ok";
	case RP_CAP_TRUNCATED:
		return "truncated";
	case RP_CAP_SKIPPED:
		return "skipped";
	}
	return "?";
}

/*
 * A capture time, null when there is none: 0 is a time here, the first
 * second of 1970, where devices without a clock stamp their frames.
 */
static void capture_time_json(struct ifn_json *j, const char *key, bool known, __u64 ts)
{
	char buf[IFN_TIME_STRLEN];

	if (known)
		ifn_json_str(j, key, ifn_fmt_time(ts, buf));
	else
		ifn_json_null(j, key);
}

static double speed(const struct rp_run *R)
{
	return R->run_ns ? (double)R->frames_run * 1e9 / (double)R->run_ns : 0.0;
}

static void print_json(struct rp_run *R, struct rp_report *rep)
{
	struct ifn_json j;
	char buf[160];
	size_t i;
	unsigned int t;

	ifn_json_init(&j, stdout);
	ifn_json_obj_open(&j, NULL);

	ifn_json_obj_open(&j, "learning");
	ifn_json_str(&j, "how", R->policy ? "policy" : R->learn_files ? "captures" : "window");
	ifn_json_str(&j, "window", ifn_fmt_duration(R->learn_ns, buf, sizeof(buf)));
	ifn_json_str(&j, "policy", R->policy);
	ifn_json_bool(&j, "generalise", R->gen);
	ifn_json_str(&j, "interface", R->ifname);
	ifn_json_obj_close(&j);

	ifn_json_arr_open(&j, "captures");
	for (i = 0; i < R->in.ncaps; i++) {
		const struct rp_capture *c = &R->in.caps[i];

		ifn_json_obj_open(&j, NULL);
		ifn_json_str(&j, "file", c->path);
		ifn_json_str(&j, "role", phase_name(c->phase));
		ifn_json_str(&j, "format", c->format);
		ifn_json_str(&j, "link_type", c->linktype_name[0] ? c->linktype_name : NULL);
		ifn_json_str(&j, "status", status_name(c->status));
		ifn_json_str(&j, "error", c->error[0] ? c->error : NULL);
		if (c->status == RP_CAP_TRUNCATED) {
			ifn_json_u64(&j, "stopped_at_frame", c->frames + 1);
			ifn_json_i64(&j, "stopped_at_byte", c->stop_offset);
		} else {
			ifn_json_null(&j, "stopped_at_frame");
			ifn_json_null(&j, "stopped_at_byte");
		}
		ifn_json_u64(&j, "frames", c->frames);
		ifn_json_u64(&j, "bytes", c->bytes);
		ifn_json_u64(&j, "cut", c->cut);
		ifn_json_u64(&j, "oversized", c->oversized);
		ifn_json_u64(&j, "runt", c->runt);
		ifn_json_u64(&j, "bad_length", c->bad_length);
		ifn_json_u64(&j, "not_ethernet", c->not_ethernet);
		capture_time_json(&j, "first", c->frames, c->first_ts);
		capture_time_json(&j, "last", c->frames, c->last_ts);
		ifn_json_obj_close(&j);
	}
	ifn_json_arr_close(&j);

	ifn_json_arr_open(&j, "gateways");
	for (i = 0; i < R->scan.nmacs; i++) {
		const struct rp_mac *m = &R->scan.macs[i];

		if (!m->gateway)
			continue;
		ifn_json_obj_open(&j, NULL);
		ifn_json_str(&j, "mac", ifn_fmt_mac(m->mac, buf));
		ifn_json_str(&j, "vendor", ifn_oui_vendor(rep->oui, m->mac));
		ifn_json_str(&j, "source", m->gw_given ? "option" : "guess");
		rp_gateway_evidence(m, !m->gw_given, buf, sizeof(buf));
		ifn_json_str(&j, "evidence", buf);
		ifn_json_u64(&j, "frames", m->frames);
		ifn_json_u64(&j, "bytes", m->bytes);
		ifn_json_obj_close(&j);
	}
	ifn_json_arr_close(&j);

	ifn_json_arr_open(&j, "devices");
	for (i = 0; i < rep->ndevs; i++) {
		const struct rp_devrep *r = &rep->devs[i];
		static const struct rp_count zero;

		ifn_json_obj_open(&j, NULL);
		ifn_device_json_fields(&j, &r->v, ifn_oui_vendor(rep->oui, r->v.mac), R->ifname);
		ifn_json_u64(&j, "prefix_rules", r->prefix_rules);
		ifn_json_u64(&j, "any_port_rules", r->any_rules);
		if (r->d && r->d->generalised)
			ifn_json_u64(&j, "generalised_rules", r->d->gen_rules);
		else
			ifn_json_null(&j, "generalised_rules");
		capture_time_json(&j, "learning_ended", r->d && r->d->learn_ended,
				  r->d ? r->d->learn_end : 0);
		count_json(&j, "learning", r->d ? &r->d->ph[0] : &zero, false);
		count_json(&j, "enforcing", r->d ? &r->d->ph[1] : &zero, true);
		ifn_json_u64(&j, "violations", r->violations);
		ifn_json_obj_open(&j, "reasons");
		for (t = 1; t < IFN_REASON_MAX; t++)
			if (r->v.st.reason[t])
				ifn_json_u64(&j, ifn_reason_name(t), r->v.st.reason[t]);
		ifn_json_obj_close(&j);
		event_counts_json(&j, r->d ? r->d->ev : (const __u32[IFN_EV_MAX]){ 0 });
		ifn_json_u64(&j, "events_suppressed", r->v.st.events_suppressed);
		ifn_json_obj_close(&j);
	}
	ifn_json_arr_close(&j);

	ifn_json_arr_open(&j, "events");
	for (i = 0; i < R->nevents; i++)
		ifn_event_json(&j, &R->events[i].e, R->ifname);
	ifn_json_arr_close(&j);

	ifn_json_obj_open(&j, "totals");
	ifn_json_u64(&j, "captures", R->in.ncaps);
	ifn_json_u64(&j, "frames", rep->frames_read);
	ifn_json_u64(&j, "run", R->frames_run);
	ifn_json_u64(&j, "gateway", R->scan.gateway_frames);
	ifn_json_u64(&j, "no_device", rep->nodev_run);
	ifn_json_u64(&j, "no_record", rep->no_record);
	ifn_json_u64(&j, "oversized", rep->oversized);
	ifn_json_u64(&j, "runt", rep->runt);
	ifn_json_u64(&j, "bad_length", rep->bad_length);
	ifn_json_u64(&j, "not_ethernet", rep->not_ethernet);
	ifn_json_u64(&j, "cut", rep->cut);
	ifn_json_u64(&j, "skipped_captures", rep->skipped_files);
	ifn_json_u64(&j, "truncated_captures", rep->truncated_files);
	ifn_json_u64(&j, "devices", rep->ndevs);
	count_json(&j, "learning", &rep->learn, false);
	count_json(&j, "enforcing", &rep->after, true);
	ifn_json_u64(&j, "violations", rep->violations);
	event_counts_json(&j, rep->ev);
	ifn_json_u64(&j, "events_lost", rep->gs.events_lost);
	ifn_json_obj_close(&j);

	ifn_json_obj_open(&j, "speed");
	ifn_json_u64(&j, "frames", R->frames_run);
	ifn_json_double(&j, "seconds", (double)R->run_ns / 1e9);
	ifn_json_double(&j, "frames_per_second", speed(R));
	ifn_json_u64(&j, "workers", R->nworkers);
	ifn_json_u64(&j, "ordered_frames", R->scan.sync_points);
	ifn_json_obj_close(&j);

	ifn_json_obj_close(&j);
	fputc('\n', stdout);
}

static char *pct(__u64 part, __u64 whole, char *buf, size_t len)
{
	if (!whole)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f%%", 100.0 * rate(part, whole));
	return buf;
}

/* "SCAN 1, AUTO_QUARANTINE 1": the anomalies, not the routine events. */
static char *event_summary(const __u32 *ev, char *buf, size_t len)
{
	static const unsigned int shown[] = { IFN_EV_SCAN,	    IFN_EV_AUTO_QUARANTINE,
					      IFN_EV_RATE_EXCEEDED, IFN_EV_FINGERPRINT_CAP,
					      IFN_EV_IP_CHANGE,	    IFN_EV_IP_CONFLICT,
					      IFN_EV_TABLE_FULL };
	size_t o = 0, i;

	buf[0] = 0;
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]) && o < len; i++)
		if (ev[shown[i]])
			o += snprintf(buf + o, len - o, "%s%s %u", o ? ", " : "",
				      ifn_event_name(shown[i]), ev[shown[i]]);
	if (!o)
		snprintf(buf, len, "-");
	return buf;
}

static void print_text(struct rp_run *R, struct rp_report *rep)
{
	/* LEARNING: frames while it learned; the rest are after its learning. */
	static const char *const hdr[] = { "MAC",      "VENDOR",   "MODE",	">PACKETS",
					   ">BYTES",   ">FLOWS",   ">LEARNING", ">ENFORCING",
					   ">PASSED",  ">DROPPED", ">DROP%",	">VIOLATIONS",
					   "ANOMALIES" };
	char a[64], b[64], line[512];
	struct ifn_table t;
	size_t i, listed = 0;

	if (R->policy)
		printf("replay: policy %s; frames arrive on %s", R->policy, R->ifname);
	else if (R->learn_files)
		printf("replay: devices learn on the --learn captures, then enforce on the others "
		       "(a device first seen there learns for %s)",
		       ifn_fmt_duration(R->learn_ns, a, sizeof(a)));
	else if (R->learn_ns)
		printf("replay: each device learns for %s from its first frame, then enforces",
		       ifn_fmt_duration(R->learn_ns, a, sizeof(a)));
	else
		printf("replay: devices learn throughout (--learn-for 0)");
	printf("%s\n\n", R->gen ? "; learned flows are generalised when learning ends" : "");

	ifn_table_init(&t, 13, hdr);
	for (i = 0; i < rep->ndevs; i++) {
		const struct rp_devrep *r = &rep->devs[i];
		static const struct rp_dev none;
		const struct rp_dev *d = r->d ? r->d : &none;
		char mac[IFN_MAC_STRLEN], vend[24], pk[24], by[24], fl[24], ln[24], en[24], ps[24],
			dr[24], pc[24], vi[24], an[160];
		const char *row[13] = {
			mac, vend, ifn_mode_name(r->v.dev.mode), pk, by, fl, ln, en, ps, dr, pc,
			vi,  an
		};

		ifn_fmt_mac(r->v.mac, mac);
		snprintf(vend, sizeof(vend), "%.20s", ifn_oui_vendor(rep->oui, r->v.mac));
		snprintf(pk, sizeof(pk), "%llu", (unsigned long long)r->v.st.packets);
		ifn_fmt_count(r->v.st.bytes, by, sizeof(by));
		if (r->prefix_rules || r->any_rules)
			snprintf(fl, sizeof(fl), "%u+%u", r->v.dev.flow_count,
				 r->prefix_rules + r->any_rules);
		else
			snprintf(fl, sizeof(fl), "%u", r->v.dev.flow_count);
		snprintf(ln, sizeof(ln), "%llu", (unsigned long long)d->ph[0].packets);
		snprintf(en, sizeof(en), "%llu", (unsigned long long)d->ph[1].packets);
		snprintf(ps, sizeof(ps), "%llu", (unsigned long long)d->ph[1].passed);
		snprintf(dr, sizeof(dr), "%llu", (unsigned long long)d->ph[1].dropped);
		pct(d->ph[1].dropped, d->ph[1].packets, pc, sizeof(pc));
		snprintf(vi, sizeof(vi), "%llu", (unsigned long long)r->violations);
		event_summary(d->ev, an, sizeof(an));
		ifn_table_add(&t, row);
	}
	if (rep->ndevs)
		ifn_table_print(&t, stdout);
	else
		printf("no devices\n");
	ifn_table_free(&t);

	for (i = 0; i < R->nevents; i++) {
		const struct ifn_event *e = &R->events[i].e;

		if (e->type == IFN_EV_VIOLATION || e->type == IFN_EV_NEW_DEVICE)
			continue;
		if (!listed++)
			printf("\nevents (capture times):\n");
		if (listed > RP_TEXT_EVENTS)
			continue;
		ifn_event_text(line, sizeof(line), e, R->ifname);
		printf("  %s\n", line);
	}
	if (listed > RP_TEXT_EVENTS)
		printf("  ... %zu more (--json lists them all)\n", listed - RP_TEXT_EVENTS);

	printf("\ncaptures:\n");
	for (i = 0; i < R->in.ncaps; i++) {
		const struct rp_capture *c = &R->in.caps[i];

		printf("  %s: %s, %s, %llu frames", c->path, phase_name(c->phase),
		       c->format ? c->format : "?", (unsigned long long)c->frames);
		if (c->frames)
			printf(", %s to %s", ifn_fmt_time(c->first_ts, a),
			       ifn_fmt_time(c->last_ts, b));
		if (c->status == RP_CAP_SKIPPED)
			printf("; skipped: %s", c->error);
		else if (c->status == RP_CAP_TRUNCATED)
			printf("; stops at frame %llu (byte %ld): %s",
			       (unsigned long long)c->frames + 1, c->stop_offset, c->error);
		printf("\n");
	}

	for (i = 0; i < R->scan.nmacs; i++) {
		const struct rp_mac *m = &R->scan.macs[i];

		if (!m->gateway)
			continue;
		rp_gateway_evidence(m, !m->gw_given, line, sizeof(line));
		printf("gateway %s (%s): %llu frames left out; %s\n", ifn_fmt_mac(m->mac, a),
		       ifn_oui_vendor(rep->oui, m->mac), (unsigned long long)m->frames, line);
	}
	if (!R->scan.ngateways)
		printf("gateway: none%s\n",
		       R->scan.guessed ? " found (no MAC routes or answers DHCP)" : "");

	printf("frames: %llu read, %llu run, %llu from the gateway, %llu of no device "
	       "(broadcast/multicast/zero source), %llu oversized (not run), %llu cut by the "
	       "snap length (run zero-padded)\n",
	       (unsigned long long)rep->frames_read, (unsigned long long)R->frames_run,
	       (unsigned long long)R->scan.gateway_frames, (unsigned long long)rep->nodev_run,
	       (unsigned long long)rep->oversized, (unsigned long long)rep->cut);
	if (rep->runt)
		printf("runts: %llu frames shorter than an Ethernet header (damaged records; not "
		       "run)\n",
		       (unsigned long long)rep->runt);
	if (rep->bad_length)
		printf("bad lengths: %llu records captured longer than they were on the wire "
		       "(damaged records; not run)\n",
		       (unsigned long long)rep->bad_length);
	if (rep->not_ethernet)
		printf("not Ethernet: %llu frames of pcapng interfaces of other link types "
		       "(skipped)\n",
		       (unsigned long long)rep->not_ethernet);
	if (rep->no_record)
		printf("device table full: %llu frames of devices that got no record, %llu of them "
		       "dropped (unknown-devices)\n",
		       (unsigned long long)rep->no_record,
		       (unsigned long long)rep->no_record_dropped);
	printf("totals: %zu devices; learning %llu frames; enforcing %llu frames: %llu passed, "
	       "%llu dropped (%s); %llu violations\n",
	       rep->ndevs, (unsigned long long)rep->learn.packets,
	       (unsigned long long)rep->after.packets, (unsigned long long)rep->after.passed,
	       (unsigned long long)rep->after.dropped,
	       pct(rep->after.dropped, rep->after.packets, a, sizeof(a)),
	       (unsigned long long)rep->violations);
	printf("speed: %.0f frames/s (%llu frames in %.3f ms on %u worker%s; timed: the runs "
	       "of frames already in memory)\n",
	       speed(R), (unsigned long long)R->frames_run, (double)R->run_ns / 1e6, R->nworkers,
	       R->nworkers == 1 ? "" : "s");
}

static void report_free(struct rp_report *rep)
{
	free(rep->devs);
	ifn_oui_free(rep->oui);
}

/* ---- the command ---- */

struct rp_opts {
	__u64 learn_ns;
	const char **learn;
	size_t nlearn;
	const char **replay;
	size_t nreplay;
	const char *policy;
	__u8 gateways[RP_MAX_GATEWAYS][6];
	size_t ngateways;
	bool no_gateway;
	unsigned int workers;
	const char *ifname;
	bool generalise;
};

static int parse_opts(const struct ifn_cmd *c, int argc, char **argv, struct rp_opts *o)
{
	static const struct option longopts[] = {
		{ "learn-for", required_argument, NULL, 'f' },
		{ "learn", required_argument, NULL, 'l' },
		{ "policy", required_argument, NULL, 'p' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "workers", required_argument, NULL, 'w' },
		{ "interface", required_argument, NULL, 'i' },
		{ "generalise", no_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_learn_for = false;
	__u64 v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->learn_ns = IFN_REPLAY_LEARN_DEFAULT_NS;
	o->learn = calloc(argc + 1, sizeof(*o->learn));
	o->replay = calloc(argc + 1, sizeof(*o->replay));
	if (!o->learn || !o->replay) {
		ifn_err("replay: out of memory");
		return IFN_EXIT_FAIL;
	}
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (ifn_arg_duration(c, "--learn-for", optarg, &o->learn_ns))
				return IFN_EXIT_USAGE;
			have_learn_for = true;
			break;
		case 'l':
			o->learn[o->nlearn++] = optarg;
			break;
		case 'p':
			if (o->policy)
				return ifn_usage_error(c, "--policy is given twice");
			o->policy = optarg;
			break;
		case 'g':
			if (!strcasecmp(optarg, "none")) {
				o->no_gateway = true;
				break;
			}
			if (o->ngateways == RP_MAX_GATEWAYS)
				return ifn_usage_error(c, "at most %d --gateway options",
						       RP_MAX_GATEWAYS);
			if (ifn_arg_mac(c, optarg, o->gateways[o->ngateways]))
				return IFN_EXIT_USAGE;
			o->ngateways++;
			break;
		case 'w':
			if (ifn_arg_count(c, "--workers", optarg, &v))
				return IFN_EXIT_USAGE;
			if (v < 1 || v > RP_MAX_WORKERS)
				return ifn_usage_error(c, "--workers must be 1 to %d",
						       RP_MAX_WORKERS);
			o->workers = v;
			break;
		case 'i':
			if (!*optarg || strlen(optarg) >= 16 || strchr(optarg, '/'))
				return ifn_usage_error(
					c, "--interface '%s' is not an interface name", optarg);
			o->ifname = optarg;
			break;
		case 'G':
			o->generalise = true;
			break;
		default:
			return ifn_opt_error(c, argv);
		}
	}
	while (optind < argc)
		o->replay[o->nreplay++] = argv[optind++];
	if (!o->nreplay)
		return ifn_usage_error(c, "missing CAPTURE (a pcap or pcapng file to replay)");
	if (o->policy && o->nlearn)
		return ifn_usage_error(c, "--policy and --learn exclude each other: a policy is "
					  "evaluated, not learnt");
	if (o->no_gateway && o->ngateways)
		return ifn_usage_error(c, "--gateway none and --gateway MAC exclude each other");
	(void)have_learn_for;
	return IFN_EXIT_OK;
}

/*
 * The interface the frames arrive on is named after the policy's only
 * interface (or --interface), so that the policy's lines for it apply; the
 * policy's other interfaces get entries that no frame reaches, since a
 * policy names only attached interfaces.
 */
static int setup_ifaces(struct rp_run *R, const struct ifn_policy *pol, const char *given)
{
	struct ifn_iface ifc = { .default_mode = IFN_MODE_LEARN };
	__u32 idx = RP_IFINDEX;
	size_t i;

	if (given)
		snprintf(R->ifname, sizeof(R->ifname), "%s", given);
	else if (pol && pol->n_ifaces == 1)
		snprintf(R->ifname, sizeof(R->ifname), "%s", pol->ifaces[0].name);
	else
		snprintf(R->ifname, sizeof(R->ifname), "replay");
	R->iface_learn_ns = R->learn_files ? 0 : R->learn_ns;
	ifc.learn_ns = R->iface_learn_ns;
	memcpy(ifc.name, R->ifname, sizeof(ifc.name));
	if (bpf_map_update_elem(R->maps.ifaces, &idx, &ifc, BPF_ANY))
		return -errno;
	for (i = 0; pol && i < pol->n_ifaces; i++) {
		if (!strncmp(pol->ifaces[i].name, R->ifname, sizeof(ifc.name)))
			continue;
		idx = RP_IFINDEX_OTHER + i;
		memset(ifc.name, 0, sizeof(ifc.name));
		snprintf(ifc.name, sizeof(ifc.name), "%s", pol->ifaces[i].name);
		if (bpf_map_update_elem(R->maps.ifaces, &idx, &ifc, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int rm_tree(const char *dir)
{
	char path[PATH_MAX];

	/* Only the names file lives there. */
	snprintf(path, sizeof(path), "%s/names", dir);
	unlink(path);
	return rmdir(dir) ? -errno : 0;
}

/*
 * Load the policy into the private maps. Its state files (device names) go
 * to a directory of our own that is removed after: a live gateway's are
 * neither read nor written. Deadlines it set "for DUR" from now start at
 * the first frame instead, and the devices it made are known to the run.
 */
static int load_policy(struct rp_run *R)
{
	char dir[] = "/tmp/iotfence-replay.XXXXXX";
	const char *old = getenv("IOTFENCE_STATE_DIR");
	char *saved = old ? strdup(old) : NULL;
	__u64 now = ifn_now_mono(), start = R->in.nframes ? R->in.frames[0].vts : now;
	struct ifn_dev_view *v = NULL;
	struct ifn_iface ifc;
	__u32 one = RP_IFINDEX;
	size_t n, i;
	int err;

	if ((old && !saved) || !mkdtemp(dir)) {
		free(saved);
		ifn_err("replay: cannot make a private state directory: %s", strerror(errno));
		return -errno;
	}
	setenv("IOTFENCE_STATE_DIR", dir, 1);
	err = ifn_policy_load_file(&R->maps, R->policy, false, NULL);
	if (saved)
		setenv("IOTFENCE_STATE_DIR", saved, 1);
	else
		unsetenv("IOTFENCE_STATE_DIR");
	free(saved);
	rm_tree(dir);
	if (err)
		return err; /* the policy code said what and where */

	err = ifn_devices_read(&R->maps, &v, &n);
	for (i = 0; !err && i < n; i++) {
		struct ifn_device d, *rec;
		__u64 w, until;
		__u32 m;

		/* No frame runs yet: the records are the replay's own to rewrite. */
		rec = ifn_device_rec(&R->maps, v[i].mac);
		if (!rec) {
			err = -ENOENT;
			break;
		}
		w = rec->mode_word;
		until = ifn_mw_until(w);
		if (until && until < RP_MONO_LIMIT)
			rec->mode_word = ifn_mode_word(ifn_mw_mode(w), ifn_mw_after(w),
						       until > now ? start + (until - now) : start);
		if (rec->created_ns < RP_MONO_LIMIT)
			rec->created_ns = start;
		if (rec->scan_window_ns < RP_MONO_LIMIT)
			rec->scan_window_ns = start;
		d = *rec;
		m = rp_scan_find(&R->scan, v[i].mac);
		if (m != RP_NODEV) {
			R->devs[m].declared = true;
			R->devs[m].learning = d.mode == IFN_MODE_LEARN;
			R->devs[m].learn_until =
				d.mode == IFN_MODE_LEARN ? ifn_mw_until(d.mode_word) : 0;
		}
	}
	free(v);
	if (!err)
		err = ifn_config_read(&R->maps, &R->cfg);
	if (!err)
		err = bpf_map_lookup_elem(R->maps.ifaces, &one, &ifc) ? -errno : 0;
	if (err) {
		ifn_err("replay: cannot read the state the policy made: %s", ifn_strerror(err));
		return err;
	}
	R->default_learns = ifc.default_mode == IFN_MODE_LEARN;
	R->iface_learn_ns = ifc.learn_ns;
	return 0;
}

static unsigned int worker_count(const struct rp_opts *o, const struct rp_run *R)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = o->workers ? o->workers : cpus > 0 ? (unsigned int)cpus : 1, busy = 0;
	__u64 frames = 0;
	size_t i;

	if (n > RP_MAX_WORKERS)
		n = RP_MAX_WORKERS;
	if (o->workers)
		return n;
	for (i = 0; i < R->in.nframes; i++)
		frames += runnable(&R->in.frames[i]);
	if (frames < RP_PARALLEL_MIN_FRAMES)
		return 1;
	/*
	 * Ordered frames make the workers wait for each other: when more than
	 * one frame in RP_ORDERED_MAX_SHARE is one, they would mostly wait.
	 */
	if (R->scan.sync_points * RP_ORDERED_MAX_SHARE > frames)
		return 1;
	/* More workers than devices would only wait. */
	for (i = 0; i < R->scan.nmacs; i++)
		busy += !R->scan.macs[i].gateway && R->scan.macs[i].frames;
	if (!busy)
		busy = 1;
	return n < busy ? n : busy;
}

/* Zeroed memory on cache-line boundaries, for the aligned structs above. */
static void *zalloc_lines(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (posix_memalign(&p, 64, n * size))
		return NULL;
	memset(p, 0, n * size);
	return p;
}

static void run_free(struct rp_run *R)
{
	unsigned int i;

	for (i = 0; i < RP_MAX_WORKERS; i++) {
		struct rp_worker *w = &R->w[i];

		ring_close(&w->ring);
		if (w->skel)
			ifn_unload(w->skel);
		free(w->queue);
		free(w->ev);
	}
	ifn_replay_frames_unmap(R->slots, R->nslots);
	free(R->sync);
	free(R->events);
	free(R->devs);
	rp_scan_free(&R->scan);
	rp_input_free(&R->in);
	free(R->in.caps);
}

int ifn_cmd_replay(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_load_opts lo = { .pin_dir = NULL, .virtual_clock = true, .quiet = true };
	long page = sysconf(_SC_PAGESIZE);
	__u32 max_linear;
	struct ifn_policy pol = { 0 };
	bool have_pol = false;
	struct rp_report rep;
	struct rp_opts o;
	struct rp_run *R;
	unsigned int i;
	bool fresh;
	size_t k;
	int err, rc;

	rc = parse_opts(c, argc, argv, &o);
	if (rc != IFN_EXIT_OK)
		goto out_opts;
	rc = IFN_EXIT_FAIL;
	R = zalloc_lines(1, sizeof(*R));
	if (!R) {
		ifn_err("replay: out of memory");
		goto out_opts;
	}
	R->learn_ns = o.learn_ns;
	R->learn_files = o.nlearn > 0;
	R->policy = o.policy;
	R->gen = o.generalise;
	ifn_gen_defaults(&R->gen_opts);
	ifn_clock_set_virtual(true);
	/* A bad policy is found before the captures are read. */
	if (R->policy) {
		unsigned int nerr = 0;

		err = ifn_policy_parse_file(R->policy, &pol, &nerr);
		if (err)
			goto out;
		have_pol = true;
		if (!o.ifname && pol.n_ifaces > 1) {
			rc = ifn_usage_error(c,
					     "%s sets defaults for %zu interfaces: say which one "
					     "the captures were taken on with --interface",
					     R->policy, pol.n_ifaces);
			goto out;
		}
	}

	/* Every capture is read before anything runs: bad input changes nothing. */
	R->in.ncaps = o.nlearn + o.nreplay;
	R->in.caps = calloc(R->in.ncaps ? R->in.ncaps : 1, sizeof(*R->in.caps));
	if (!R->in.caps)
		goto out;
	for (k = 0; k < o.nlearn; k++)
		R->in.caps[k] = (struct rp_capture){ .path = o.learn[k], .phase = RP_PHASE_LEARN };
	for (k = 0; k < o.nreplay; k++)
		R->in.caps[o.nlearn + k] =
			(struct rp_capture){ .path = o.replay[k], .phase = RP_PHASE_REPLAY };
	max_linear = (page > 0 ? page : 4096) - RP_XDP_HEADROOM - RP_XDP_TAILROOM;
	if (max_linear > IFN_REPLAY_FRAME_MAX)
		max_linear = IFN_REPLAY_FRAME_MAX; /* the size of a frame slot */
	err = rp_read_all(&R->in, max_linear);
	if (err)
		goto out;
	if (!R->in.nframes) {
		ifn_err("replay: no Ethernet frame to replay in the %zu capture%s given",
			R->in.ncaps, R->in.ncaps == 1 ? "" : "s");
		goto out;
	}
	rp_assign_clock(&R->in);
	err = rp_scan(&R->scan, &R->in, o.gateways, o.ngateways, o.no_gateway);
	if (err) {
		ifn_err("replay: %s", ifn_strerror(err));
		goto out;
	}
	for (k = 0; k < o.ngateways; k++)
		if (!R->scan.macs[rp_scan_find(&R->scan, o.gateways[k])].frames) {
			char m[IFN_MAC_STRLEN];

			ifn_warn("replay: --gateway %s sends no frame in the captures",
				 ifn_fmt_mac(o.gateways[k], m));
		}
	R->devs = zalloc_lines(R->scan.nmacs ? R->scan.nmacs : 1, sizeof(*R->devs));
	if (!R->devs)
		goto out;

	/* The settings of a live gateway, on private maps. */
	ifn_config_defaults(&R->cfg);
	R->cfg.default_mode = IFN_MODE_LEARN;
	R->cfg.learn_ns = R->learn_files ? 0 : R->learn_ns;
	R->default_learns = true;
	/*
	 * A table that holds every MAC of the captures behaves as the default
	 * one (neither fills up) and takes a fraction of the time to set up;
	 * more MACs than the default, or a policy's devices besides, get the
	 * default size and its table-full behaviour.
	 */
	if (!R->policy && R->scan.nmacs + 256 < IFN_MAX_DEVICES_DEFAULT)
		lo.max_devices = R->scan.nmacs + 256;
	R->nworkers = worker_count(&o, R);
	lo.replay_slots = R->nworkers * RP_BATCH;
	lo.events_bytes = RP_EVENTS_BYTES;
	R->in_len = IFN_REPLAY_FRAME_MIN;
	for (k = 0; k < R->in.nframes; k++)
		if (runnable(&R->in.frames[k]) && R->in.frames[k].len > R->in_len)
			R->in_len = R->in.frames[k].len;
	err = ifn_load(&lo, &R->cfg, &R->w[0].skel, &fresh);
	if (!err)
		err = ifn_maps_from_skel(&R->maps, R->w[0].skel);
	if (!err) {
		R->slots = ifn_replay_frames_map(R->w[0].skel, &R->nslots, &err);
		if (R->nslots < lo.replay_slots)
			err = err ? err : -ENOSPC;
	}
	if (!err)
		err = ifn_config_read(&R->maps, &R->cfg);
	if (!err)
		err = setup_ifaces(R, have_pol ? &pol : NULL, o.ifname);
	if (err) {
		ifn_err("replay: cannot load the program: %s", ifn_strerror(err));
		goto out;
	}
	if (R->policy && load_policy(R))
		goto out;

	for (i = 1; i < R->nworkers; i++) {
		R->w[i].id = i;
		err = ifn_load_replay_twin(R->w[0].skel, &R->w[i].skel);
		if (err) {
			ifn_err("replay: cannot load worker %u's program: %s", i,
				ifn_strerror(err));
			goto out;
		}
	}
	for (i = 0; i < R->nworkers && !err; i++)
		err = worker_setup(R, &R->w[i]);
	if (!err)
		err = assign_workers(R);
	if (err) {
		ifn_err("replay: %s", ifn_strerror(err));
		goto out;
	}

	if (R->learn_files) {
		err = run_range(R, R->in.phase_start[RP_PHASE_LEARN],
				R->in.phase_end[RP_PHASE_LEARN]);
		if (!err)
			err = end_learning(R);
		if (err)
			goto out;
	}
	err = run_range(R, R->in.phase_start[RP_PHASE_REPLAY], R->in.phase_end[RP_PHASE_REPLAY]);
	if (err)
		goto out;
	for (i = 0; i < R->nworkers; i++)
		R->frames_run += R->w[i].run;
	for (k = R->in.nframes; k-- > 0;)
		if (runnable(&R->in.frames[k])) {
			R->end_vts = R->in.frames[k].vts;
			break;
		}
	err = merge_events(R);
	if (!err)
		err = build_report(R, &rep);
	if (err)
		goto out;
	if (ifn_json_output)
		print_json(R, &rep);
	else
		print_text(R, &rep);
	report_free(&rep);
	rc = IFN_EXIT_OK;
out:
	if (have_pol)
		ifn_policy_free(&pol);
	run_free(R);
	free(R);
out_opts:
	free(o.learn);
	free(o.replay);
	/* A consumer of --json gets JSON either way: what failed, as one object. */
	if (rc != IFN_EXIT_OK && ifn_json_output) {
		struct ifn_json j;

		ifn_json_init(&j, stdout);
		ifn_json_obj_open(&j, NULL);
		ifn_json_str(&j, "error",
			     *ifn_last_error() ?
				     ifn_last_error() :
				     "replay failed (the reasons are on standard error)");
		ifn_json_u64(&j, "exit", rc);
		ifn_json_obj_close(&j);
	}
	return rc;
}
