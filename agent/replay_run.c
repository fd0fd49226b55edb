// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * replay_run.c - `iotfence replay`'s run: captured frames through the real
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

#include "devices.h"
#include "errors.h"
#include "format.h"
#include "generalise.h"
#include "grow.h"
#include "loader.h"
#include "output.h"
#include "replay_run.h"
#include "rules.h"
#include "state.h"
#include "iotfence.skel.h"

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

void rp_ring_close(struct rp_ring *r)
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

int rp_worker_setup(struct rp_run *R, struct rp_worker *w)
{
	int fd = w->id ? bpf_map__fd(w->skel->maps.ifn_events) : R->maps.events;

	w->R = R;
	w->prog_fd = ifn_skel_replay_fd(w->skel);
	w->skel->bss->ifn_replay_base = w->id * RP_BATCH;
	w->skel->bss->ifn_replay_no_names = R->no_names;
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
	__u32 dev = rp_frame_dev(f);
	struct rp_dev *d = dev != RP_NODEV ? &R->devs[dev] : NULL;
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
	if (ifn_grow((void **)&w->ev, &w->ev_cap, w->nev + 1, sizeof(*w->ev), 256)) {
		w->ev_nomem = true;
		return;
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
	__u32 dev = rp_frame_dev(f);

	/* Frames of no device touch no device's state: any worker will do. */
	return dev != RP_NODEV ? R->scan.macs[dev].worker : 0;
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
		/* A gateway's frame runs no device's decision: nothing of learning. */
		struct rp_dev *d =
			f->dev != RP_NODEV && !(f->flags & RP_F_GATEWAY) ? &R->devs[f->dev] : NULL;
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
		s->to_device = !!(f->flags & RP_F_EGRESS);
		s->cut = !!(f->flags & RP_F_CUT);
		s->seen = 0;
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

		if (f->flags & RP_F_EGRESS) {
			struct rp_egress *e;

			/* The scan gives every such frame its device. */
			if (!R->devs || f->to == RP_NODEV)
				return -EPROTO;
			e = &R->devs[f->to].to;
			w->cur = idx;
			err = ring_take(w, prod, s->events);
			if (err)
				return err;
			e->frames++;
			e->dns_answers += !!(s->seen & IFN_REPLAY_SEEN_DNS_ANSWER);
			e->dns_used += !!(s->seen & IFN_REPLAY_SEEN_DNS_USED);
			e->not_delivered += !!(s->seen & IFN_REPLAY_SEEN_NOT_DELIVERED);
			w->egress_run++;
			w->run++;
			continue;
		}
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
			if (s->verdict == XDP_DROP) {
				c->dropped++;
			} else {
				c->passed++;
				c->by_name += !!(s->seen & IFN_REPLAY_SEEN_BY_NAME);
			}
			d->dns_spoofed_sent += !!(s->seen & IFN_REPLAY_SEEN_DNS_SPOOFED);
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

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Run the frames [lo, hi) on every worker; their queues are filled already. */
int rp_run_range(struct rp_run *R, size_t lo, size_t hi)
{
	unsigned int i, started = 0;
	__u64 t0, t1;
	size_t k;
	int err = 0;

	R->nsync = 0;
	for (k = lo; k < hi; k++)
		if (rp_runnable(&R->in.frames[k]) && (R->in.frames[k].flags & RP_F_SYNC))
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
int rp_assign_workers(struct rp_run *R)
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
		if (rp_runnable(&R->in.frames[i]) && rp_frame_dev(&R->in.frames[i]) != RP_NODEV)
			load[rp_frame_dev(&R->in.frames[i])]++;
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

		if (!rp_runnable(f))
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
int rp_end_learning(struct rp_run *R)
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
int rp_merge_events(struct rp_run *R)
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
