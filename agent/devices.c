// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "defaults.h"
#include "devices.h"
#include "format.h"
#include "rules.h"

static void mac_key(struct ifn_mac_key *k, const __u8 mac[6])
{
	memset(k, 0, sizeof(*k));
	memcpy(k->mac, mac, 6);
}

int ifn_device_get(const struct ifn_maps *m, const __u8 mac[6], struct ifn_device *dev)
{
	struct ifn_device *rec = ifn_device_rec(m, mac);

	if (!rec)
		return -ENOENT;
	*dev = *rec;
	/* One load: a copy of the word, not of three fields at three moments. */
	dev->mode_word = __atomic_load_n(&rec->mode_word, __ATOMIC_ACQUIRE);
	return 0;
}

/* Make the bits of @mask in the live flags what they are in @want. */
static void flags_assign(struct ifn_device *rec, __u32 mask, __u32 want)
{
	if (want & mask)
		__atomic_fetch_or(&rec->flags, want & mask, __ATOMIC_SEQ_CST);
	if (~want & mask)
		__atomic_fetch_and(&rec->flags, ~(~want & mask), __ATOMIC_SEQ_CST);
}

int ifn_device_put(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_device *dev)
{
	struct ifn_device *rec = ifn_device_rec(m, mac);

	if (!rec)
		return -ENOENT;
	/*
	 * Only what the agent owns, field by field: the datapath's changes
	 * since the caller read the record stay. The mode word is changed by
	 * ifn_device_set_mode() / ifn_device_cas_mode() only.
	 */
	rec->rate_pps = dev->rate_pps;
	rec->rate_bps = dev->rate_bps;
	rec->burst_pkts = dev->burst_pkts;
	rec->burst_bytes = dev->burst_bytes;
	rec->tokens_pkts = dev->tokens_pkts;
	rec->tokens_bytes = dev->tokens_bytes;
	rec->tokens_ns = dev->tokens_ns;
	flags_assign(rec, IFN_DEV_F_RATE_LIMIT | IFN_DEV_F_LEARN_CAPPED, dev->flags);
	return 0;
}

static void scan_reset(struct ifn_device *rec, __u64 now)
{
	rec->scan_count = 0;
	memset(rec->scan_sketch, 0, sizeof(rec->scan_sketch));
	rec->scan_window_ns = now;
}

static int rec_cas_mode(struct ifn_device *rec, __u64 expect, __u64 word, __u64 now)
{
	if (!__atomic_compare_exchange_n(&rec->mode_word, &expect, word, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return -EAGAIN;
	scan_reset(rec, now);
	if (ifn_mw_mode(word) == IFN_MODE_LEARN)
		__atomic_fetch_and(&rec->flags, ~IFN_DEV_F_LEARN_CAPPED, __ATOMIC_SEQ_CST);
	return 0;
}

int ifn_device_cas_mode(const struct ifn_maps *m, const __u8 mac[6], __u64 expect, __u64 word,
			__u64 now)
{
	struct ifn_device *rec = ifn_device_rec(m, mac);

	return rec ? rec_cas_mode(rec, expect, word, now) : -ENOENT;
}

int ifn_device_rec_set_mode(struct ifn_device *rec, __u8 mode, __u64 for_ns, __u64 learn_ns,
			    __u64 now)
{
	struct ifn_device d;
	int tries;

	/*
	 * Computed from the word as it is, swapped in only if it still is:
	 * a deadline or a quarantine the datapath set meanwhile is seen,
	 * not overwritten.
	 */
	for (tries = 0; tries < 1000; tries++) {
		__u64 w = __atomic_load_n(&rec->mode_word, __ATOMIC_ACQUIRE);

		d = *rec;
		d.mode_word = w;
		ifn_device_apply_mode(&d, mode, for_ns, learn_ns, now);
		if (!rec_cas_mode(rec, w, d.mode_word, now))
			return 0;
	}
	return -EAGAIN;
}

int ifn_device_set_mode(const struct ifn_maps *m, const __u8 mac[6], __u8 mode, __u64 for_ns,
			__u64 learn_ns, __u64 now, struct ifn_device *out)
{
	struct ifn_device *rec = ifn_device_rec(m, mac);
	int err;

	if (!rec)
		return -ENOENT;
	err = ifn_device_rec_set_mode(rec, mode, for_ns, learn_ns, now);
	if (!err && out)
		err = ifn_device_get(m, mac, out);
	return err;
}

static size_t stats_stride(void)
{
	return (sizeof(struct ifn_dev_stats) + 7) & ~(size_t)7;
}

static void stats_sum(const void *percpu, int ncpus, struct ifn_dev_stats *sum)
{
	int cpu;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct ifn_dev_stats *s =
			(const void *)((const char *)percpu + cpu * stats_stride());

		sum->packets += s->packets;
		sum->bytes += s->bytes;
		for (i = 0; i < 4; i++)
			sum->verdict[i] += s->verdict[i];
		for (i = 0; i < IFN_REASON_MAX; i++)
			sum->reason[i] += s->reason[i];
		sum->events_suppressed += s->events_suppressed;
		if (s->first_seen_ns &&
		    (!sum->first_seen_ns || s->first_seen_ns < sum->first_seen_ns))
			sum->first_seen_ns = s->first_seen_ns;
		if (s->last_seen_ns > sum->last_seen_ns)
			sum->last_seen_ns = s->last_seen_ns;
	}
}

int ifn_device_stats(const struct ifn_maps *m, __u32 slot, struct ifn_dev_stats *sum)
{
	void *buf = calloc(m->ncpus, stats_stride());
	int err = 0;

	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->dev_stats, &slot, buf))
		err = -errno;
	else
		stats_sum(buf, m->ncpus, sum);
	free(buf);
	return err;
}

/*
 * The agent stamps a record it makes on CLOCK_MONOTONIC, the datapath its
 * frames on jiffies, which lag it by up to a tick (4 ms at HZ 250); a
 * frame read from a reused slot's counters can be older still. A device is
 * never seen before it was made: its last frame is shown no earlier.
 */
static void seen_after_made(struct ifn_dev_view *v)
{
	if (v->st.last_seen_ns && v->st.last_seen_ns < v->dev.created_ns)
		v->st.last_seen_ns = v->dev.created_ns;
}

/*
 * A deadline that has passed takes effect in the datapath on the device's
 * next frame; the agent shows the mode the device is in from the deadline.
 */
static void effective_mode(struct ifn_device *d, __u64 now)
{
	__u64 until = ifn_mw_until(d->mode_word);

	if (until && now >= until)
		d->mode_word =
			ifn_mode_word(ifn_mw_after(d->mode_word), ifn_mw_after(d->mode_word), 0);
}

/* MAC order, sorted on a small key rather than on 500-byte views. */
struct mac_order {
	__u64 mac; /* big-endian value of the MAC: sorts like memcmp */
	__u32 idx;
	__u32 pad;
};

static int order_cmp(const void *a, const void *b)
{
	__u64 x = ((const struct mac_order *)a)->mac, y = ((const struct mac_order *)b)->mac;

	return x < y ? -1 : x > y;
}

#define STATS_CHUNK 4096U

/*
 * Sum the counters of every view's slot, reading slots [0, nslots) with
 * batch lookups of STATS_CHUNK slots into one small buffer: the whole range
 * at once would be nslots x CPUs x 240 bytes of memory touched for nothing.
 */
static int stats_read_views(const struct ifn_maps *m, __u32 nslots, struct ifn_dev_view *views,
			    long cnt)
{
	size_t per = stats_stride() * m->ncpus;
	__u32 *keys = malloc(STATS_CHUNK * sizeof(__u32));
	char *vals = malloc(STATS_CHUNK * per);
	__s32 *view_of = malloc((size_t)nslots * sizeof(*view_of));
	__u32 batch = 0, done = 0, j;
	int err = 0;
	long i;

	if (!keys || !vals || !view_of) {
		err = -ENOMEM;
		goto out;
	}
	memset(view_of, 0xff, (size_t)nslots * sizeof(*view_of));
	for (i = 0; i < cnt; i++)
		if (views[i].dev.slot < nslots)
			view_of[views[i].dev.slot] = i;
	while (done < nslots && !err) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = nslots - done < STATS_CHUNK ? nslots - done : STATS_CHUNK;
		int rc;

		rc = bpf_map_lookup_batch(m->dev_stats, done ? &batch : NULL, &batch, keys, vals,
					  &count, &opts);
		if (rc && errno != ENOENT)
			err = -errno;
		for (j = 0; j < count && !err; j++)
			if (keys[j] < nslots && view_of[keys[j]] >= 0) {
				stats_sum(vals + (size_t)j * per, m->ncpus,
					  &views[view_of[keys[j]]].st);
				seen_after_made(&views[view_of[keys[j]]]);
			}
		done += count;
		if (rc || !count)
			break; /* ENOENT: the end of the array */
	}
out:
	free(keys);
	free(vals);
	free(view_of);
	return err;
}

int ifn_devices_read(const struct ifn_maps *m, struct ifn_dev_view **out, size_t *n)
{
	struct ifn_dev_view *views;
	struct mac_order *order;
	__u64 now = ifn_now_mono();
	__u32 maxslot = 0, slot;
	long cnt = 0, i;

	*out = NULL;
	*n = 0;
	if (!m->dev_mem)
		return -EINVAL;
	/* The records are in memory: one pass, no system call. */
	for (slot = 0; slot < m->max_devices; slot++)
		cnt += m->dev_mem[slot].in_use != 0;
	views = calloc(cnt ? cnt : 1, sizeof(*views));
	order = calloc(cnt ? cnt : 1, sizeof(*order));
	if (!views || !order) {
		free(views);
		free(order);
		return -ENOMEM;
	}
	for (slot = 0, i = 0; slot < m->max_devices && i < cnt; slot++) {
		const struct ifn_device *d = &m->dev_mem[slot];
		int b;

		if (!d->in_use)
			continue;
		for (b = 0; b < 6; b++)
			order[i].mac = order[i].mac << 8 | d->mac[b];
		order[i].idx = slot;
		i++;
	}
	cnt = i;
	qsort(order, cnt, sizeof(*order), order_cmp);
	for (i = 0; i < cnt; i++) {
		const struct ifn_device *d = &m->dev_mem[order[i].idx];

		views[i].dev = *d;
		views[i].dev.mode_word = __atomic_load_n(&d->mode_word, __ATOMIC_ACQUIRE);
		memcpy(views[i].mac, views[i].dev.mac, 6);
		effective_mode(&views[i].dev, now);
		if (order[i].idx >= maxslot)
			maxslot = order[i].idx + 1;
	}
	free(order);

	if (cnt) {
		int err = stats_read_views(m, maxslot, views, cnt);

		if (err) {
			free(views);
			return err;
		}
	}
	*out = views;
	*n = cnt;
	return 0;
}

long ifn_devices_records(const struct ifn_maps *m, struct ifn_mac_key **keys,
			 struct ifn_device **vals)
{
	long n = 0, i = 0;
	__u32 slot;

	*keys = NULL;
	*vals = NULL;
	if (!m->dev_mem)
		return -EINVAL;
	for (slot = 0; slot < m->max_devices; slot++)
		n += m->dev_mem[slot].in_use != 0;
	*keys = calloc(n ? n : 1, sizeof(**keys));
	*vals = calloc(n ? n : 1, sizeof(**vals));
	if (!*keys || !*vals) {
		free(*keys);
		free(*vals);
		*keys = NULL;
		*vals = NULL;
		return -ENOMEM;
	}
	for (slot = 0; slot < m->max_devices && i < n; slot++) {
		const struct ifn_device *d = &m->dev_mem[slot];

		if (!d->in_use)
			continue;
		memcpy((*keys)[i].mac, d->mac, 6);
		(*vals)[i] = *d;
		(*vals)[i].mode_word = __atomic_load_n(&d->mode_word, __ATOMIC_ACQUIRE);
		i++;
	}
	return i;
}

int ifn_device_read(const struct ifn_maps *m, const __u8 mac[6], struct ifn_dev_view *v)
{
	int err;

	memset(v, 0, sizeof(*v));
	memcpy(v->mac, mac, 6);
	err = ifn_device_get(m, mac, &v->dev);
	if (err)
		return err;
	effective_mode(&v->dev, ifn_now_mono());
	err = ifn_device_stats(m, v->dev.slot, &v->st);
	if (!err)
		seen_after_made(v);
	return err;
}

int ifn_device_insert(const struct ifn_maps *m, const struct ifn_device *d)
{
	struct ifn_device *rec;
	struct ifn_mac_key k;
	__u32 slot = d->slot;

	if (!m->dev_mem || slot >= m->max_devices)
		return -EINVAL;
	rec = &m->dev_mem[slot];
	*rec = *d;
	rec->slot = slot;
	rec->in_use = 1;
	mac_key(&k, d->mac);
	/* Published last: until the index names the slot, no frame finds it. */
	if (bpf_map_update_elem(m->dev_index, &k, &slot, BPF_NOEXIST)) {
		int err = -errno;

		memset(rec, 0, sizeof(*rec));
		return err;
	}
	return 0;
}

int ifn_device_create_as(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_device *init,
			 __u32 ifindex)
{
	__u64 now = ifn_now_mono();
	struct ifn_device d;
	__u32 slot;
	int err;

	if (ifn_device_rec(m, mac))
		return -EEXIST;
	if (bpf_map_lookup_and_delete_elem(m->free_slots, NULL, &slot))
		return errno == ENOENT ? -E2BIG : -errno;
	memset(&d, 0, sizeof(d));
	memcpy(d.mac, mac, 6);
	d.slot = slot;
	d.ifindex = ifindex;
	/* Mode and rate in the record before it is published: one write. */
	d.mode_word = init->mode_word;
	d.rate_pps = init->rate_pps;
	d.rate_bps = init->rate_bps;
	d.burst_pkts = init->burst_pkts;
	d.burst_bytes = init->burst_bytes;
	d.tokens_pkts = init->tokens_pkts;
	d.tokens_bytes = init->tokens_bytes;
	d.flags = init->flags & IFN_DEV_F_RATE_LIMIT;
	d.created_ns = now;
	d.scan_window_ns = now;
	err = ifn_device_insert(m, &d);
	if (err)
		bpf_map_update_elem(m->free_slots, NULL, &slot, BPF_ANY);
	return err;
}

int ifn_device_create(const struct ifn_maps *m, const __u8 mac[6], __u8 mode, __u32 ifindex)
{
	struct ifn_device init = { .mode_word = ifn_mode_word(mode, IFN_MODE_ENFORCE, 0) };

	return ifn_device_create_as(m, mac, &init, ifindex);
}

static void release_addr(const struct ifn_maps *m, const __u8 addr[16], const __u8 mac[6])
{
	struct ifn_ip_owner o;
	struct ifn_ip_key k;

	if (ifn_addr_is_zero(addr))
		return;
	memcpy(k.addr, addr, 16);
	if (!bpf_map_lookup_elem(m->ip_owners, &k, &o) && !memcmp(o.mac, mac, 6))
		bpf_map_delete_elem(m->ip_owners, &k);
}

int ifn_device_forget(const struct ifn_maps *m, const __u8 mac[6])
{
	__u8 v4[16] = { [10] = 0xff, [11] = 0xff };
	struct ifn_device d, *rec;
	struct ifn_mac_key k;
	void *zero;
	long removed;
	int err;

	err = ifn_device_get(m, mac, &d);
	if (err)
		return err;
	removed = ifn_rules_remove_device(m, mac);
	if (removed < 0)
		return removed;
	memcpy(v4 + 12, d.ipv4, 4);
	if (memcmp(d.ipv4, "\0\0\0\0", 4))
		release_addr(m, v4, mac);
	release_addr(m, d.ipv6, mac);
	release_addr(m, d.ipv6_ll, mac);

	/* Unpublished first: no frame finds the slot while it is cleared. */
	mac_key(&k, mac);
	if (bpf_map_delete_elem(m->dev_index, &k))
		return -errno;
	rec = &m->dev_mem[d.slot];
	memset(rec, 0, sizeof(*rec));
	zero = calloc(m->ncpus, stats_stride());
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(m->dev_stats, &d.slot, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	if (!err && bpf_map_update_elem(m->free_slots, NULL, &d.slot, BPF_ANY))
		err = -errno;
	return err;
}

void ifn_device_apply_mode(struct ifn_device *d, __u8 mode, __u64 for_ns, __u64 learn_ns, __u64 now)
{
	__u8 prev, after = mode;
	__u64 until = 0;

	/* A deadline already past is the mode the device is in now. */
	effective_mode(d, now);
	prev = ifn_mw_mode(d->mode_word);
	if (mode == IFN_MODE_LEARN) {
		after = IFN_MODE_ENFORCE;
		d->flags &= ~IFN_DEV_F_LEARN_CAPPED;
		if (!for_ns)
			for_ns = learn_ns;
	} else if (for_ns) {
		/*
		 * A temporary mode returns to the mode it replaced that was not
		 * temporary: over another temporary mode, to where that one
		 * was going, so that a second 'trust --for' never makes the
		 * first trust permanent.
		 */
		if (ifn_mw_until(d->mode_word))
			after = ifn_mw_after(d->mode_word);
		else
			after = prev;
		if (after == IFN_MODE_LEARN)
			after = IFN_MODE_ENFORCE;
	}
	if (for_ns)
		until = now + for_ns;
	d->mode_word = ifn_mode_word(mode, after, until);
	d->scan_count = 0;
	d->scan_window_ns = now;
	memset(d->scan_sketch, 0, sizeof(d->scan_sketch));
}

int ifn_device_apply_rate(struct ifn_device *d, __u64 pps, __u64 bps, __u64 burst_pkts,
			  __u64 burst_bytes)
{
	/* The datapath fills a bucket after one idle second: a burst beyond
	 * one second's worth would never be reached.
	 */
	if ((pps && burst_pkts > pps) || (bps && burst_bytes > bps))
		return -EINVAL;
	if (bps > IFN_RATE_MAX || pps > IFN_RATE_MAX)
		return -ERANGE;
	d->rate_pps = pps;
	d->rate_bps = bps;
	d->burst_pkts = pps ? (burst_pkts ? burst_pkts : pps) : 0;
	d->burst_bytes = bps ? (burst_bytes ? burst_bytes : bps) : 0;
	d->tokens_pkts = d->burst_pkts * 1000000000ULL;
	d->tokens_bytes = d->burst_bytes * 1000000000ULL;
	d->tokens_ns = 0;
	if (pps || bps)
		d->flags |= IFN_DEV_F_RATE_LIMIT;
	else
		d->flags &= ~IFN_DEV_F_RATE_LIMIT;
	return 0;
}

const char *ifn_device_ipv4(const struct ifn_device *d, char *buf, size_t len)
{
	if (!memcmp(d->ipv4, "\0\0\0\0", 4))
		return NULL;
	return inet_ntop(AF_INET, d->ipv4, buf, len);
}

int ifn_device_ipv6(const struct ifn_device *d, char bufs[2][48])
{
	int n = 0;

	if (!ifn_addr_is_zero(d->ipv6))
		inet_ntop(AF_INET6, d->ipv6, bufs[n++], 48);
	if (!ifn_addr_is_zero(d->ipv6_ll))
		inet_ntop(AF_INET6, d->ipv6_ll, bufs[n++], 48);
	return n;
}

void ifn_device_json_fields(struct ifn_json *j, const struct ifn_dev_view *v, const char *vendor,
			    const char *ifname)
{
	const struct ifn_device *d = &v->dev;
	char mac[IFN_MAC_STRLEN], v4[INET_ADDRSTRLEN], v6[2][48];
	int i, n6;

	ifn_json_str(j, "mac", ifn_fmt_mac(v->mac, mac));
	ifn_json_str(j, "vendor", vendor ? vendor : "unknown");
	ifn_json_str(j, "interface", ifname);
	ifn_json_str(j, "mode", ifn_mode_name(d->mode));
	if (ifn_mw_until(d->mode_word)) {
		ifn_json_time(j, "mode_until", ifn_mono_to_wall(ifn_mw_until(d->mode_word)));
		ifn_json_str(j, "mode_after", ifn_mode_name(d->mode_after));
	} else {
		ifn_json_null(j, "mode_until");
		ifn_json_null(j, "mode_after");
	}
	ifn_json_str(j, "ipv4", ifn_device_ipv4(d, v4, sizeof(v4)));
	ifn_json_arr_open(j, "ipv6");
	n6 = ifn_device_ipv6(d, v6);
	for (i = 0; i < n6; i++)
		ifn_json_str(j, NULL, v6[i]);
	ifn_json_arr_close(j);
	ifn_json_u64(j, "packets", v->st.packets);
	ifn_json_u64(j, "bytes", v->st.bytes);
	ifn_json_u64(j, "dropped", ifn_dev_dropped(&v->st));
	ifn_json_u64(j, "alerts", v->st.verdict[IFN_VERDICT_ALERT]);
	ifn_json_time(j, "first_seen", ifn_mono_to_wall(d->created_ns));
	ifn_json_time(j, "last_seen", ifn_mono_to_wall(v->st.last_seen_ns));
	ifn_json_u64(j, "flows", d->flow_count);
	ifn_json_bool(j, "port_rules", d->flags & IFN_DEV_F_PORT_RULES);
	ifn_json_bool(j, "any_port_rules", d->flags & IFN_DEV_F_ANY_RULES);
	ifn_json_bool(j, "learn_capped", d->flags & IFN_DEV_F_LEARN_CAPPED);
	if (d->flags & IFN_DEV_F_RATE_LIMIT) {
		ifn_json_obj_open(j, "rate");
		ifn_json_u64(j, "pps", d->rate_pps);
		ifn_json_u64(j, "bps", d->rate_bps);
		ifn_json_u64(j, "burst_packets", d->burst_pkts);
		ifn_json_u64(j, "burst_bytes", d->burst_bytes);
		ifn_json_obj_close(j);
	} else {
		ifn_json_null(j, "rate");
	}
	ifn_json_obj_open(j, "drop_reasons");
	for (i = 1; i < IFN_REASON_MAX; i++)
		if (v->st.reason[i])
			ifn_json_u64(j, ifn_reason_name(i), v->st.reason[i]);
	ifn_json_obj_close(j);
	ifn_json_u64(j, "events_suppressed", v->st.events_suppressed);
}

void ifn_device_json(struct ifn_json *j, const struct ifn_dev_view *v, const char *vendor,
		     const char *ifname)
{
	ifn_json_obj_open(j, NULL);
	ifn_device_json_fields(j, v, vendor, ifname);
	ifn_json_obj_close(j);
}
