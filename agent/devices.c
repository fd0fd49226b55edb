// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

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
	struct ifn_mac_key k;

	mac_key(&k, mac);
	return bpf_map_lookup_elem(m->devices, &k, dev) ? -errno : 0;
}

int ifn_device_put(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_device *dev)
{
	struct ifn_mac_key k;

	mac_key(&k, mac);
	return bpf_map_update_elem(m->devices, &k, dev, BPF_EXIST) ? -errno : 0;
}

int ifn_device_update_fields(const struct ifn_maps *m, const __u8 mac[6], enum ifn_dev_field_op op,
			     __u32 arg)
{
	struct ifn_device d;
	int err = ifn_device_get(m, mac, &d);

	if (err)
		return err;
	switch (op) {
	case IFN_DEV_FIELD_FLOWS_INC:
		d.flow_count++;
		break;
	case IFN_DEV_FIELD_FLOWS_DEC:
		if (d.flow_count)
			d.flow_count--;
		break;
	case IFN_DEV_FIELD_FLAGS_SET:
		d.flags |= arg;
		break;
	case IFN_DEV_FIELD_FLAGS_CLEAR:
		d.flags &= ~arg;
		break;
	}
	return ifn_device_put(m, mac, &d);
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
 * A deadline that has passed takes effect in the datapath on the device's
 * next frame; the agent shows the mode the device is in from the deadline.
 */
static void effective_mode(struct ifn_device *d, __u64 now)
{
	if (d->mode_until_ns && now >= d->mode_until_ns) {
		d->mode = d->mode_after;
		d->mode_until_ns = 0;
	}
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
			if (keys[j] < nslots && view_of[keys[j]] >= 0)
				stats_sum(vals + (size_t)j * per, m->ncpus,
					  &views[view_of[keys[j]]].st);
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
	void *keys, *vals;
	__u64 now = ifn_now_mono();
	__u32 maxslot = 0;
	long cnt, i;

	*out = NULL;
	*n = 0;
	cnt = ifn_map_dump(m->devices, sizeof(struct ifn_mac_key), sizeof(struct ifn_device), &keys,
			   &vals);
	if (cnt < 0)
		return cnt;
	views = calloc(cnt ? cnt : 1, sizeof(*views));
	order = calloc(cnt ? cnt : 1, sizeof(*order));
	if (!views || !order) {
		free(views);
		free(order);
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		const __u8 *mac = ((struct ifn_mac_key *)keys)[i].mac;
		int b;

		for (b = 0; b < 6; b++)
			order[i].mac = order[i].mac << 8 | mac[b];
		order[i].idx = i;
	}
	qsort(order, cnt, sizeof(*order), order_cmp);
	for (i = 0; i < cnt; i++) {
		const struct ifn_device *d = (struct ifn_device *)vals + order[i].idx;

		memcpy(views[i].mac, ((struct ifn_mac_key *)keys)[order[i].idx].mac, 6);
		views[i].dev = *d;
		effective_mode(&views[i].dev, now);
		if (d->slot >= maxslot)
			maxslot = d->slot + 1;
	}
	free(order);
	free(keys);
	free(vals);

	if (maxslot > m->max_devices)
		maxslot = m->max_devices;
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

int ifn_device_read(const struct ifn_maps *m, const __u8 mac[6], struct ifn_dev_view *v)
{
	int err;

	memset(v, 0, sizeof(*v));
	memcpy(v->mac, mac, 6);
	err = ifn_device_get(m, mac, &v->dev);
	if (err)
		return err;
	effective_mode(&v->dev, ifn_now_mono());
	return ifn_device_stats(m, v->dev.slot, &v->st);
}

int ifn_device_create(const struct ifn_maps *m, const __u8 mac[6], __u8 mode, __u32 ifindex)
{
	struct ifn_device d;
	struct ifn_mac_key k;
	__u64 now = ifn_now_mono();
	__u32 slot;

	if (!ifn_device_get(m, mac, &d))
		return -EEXIST;
	if (bpf_map_lookup_and_delete_elem(m->free_slots, NULL, &slot))
		return errno == ENOENT ? -E2BIG : -errno;
	memset(&d, 0, sizeof(d));
	d.slot = slot;
	d.ifindex = ifindex;
	d.mode = mode;
	d.mode_after = IFN_MODE_ENFORCE;
	d.created_ns = now;
	d.scan_window_ns = now;
	mac_key(&k, mac);
	if (bpf_map_update_elem(m->devices, &k, &d, BPF_NOEXIST)) {
		int err = -errno;

		bpf_map_update_elem(m->free_slots, NULL, &slot, BPF_ANY);
		return err;
	}
	return 0;
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
	struct ifn_device d;
	struct ifn_mac_key k;
	__u8 v4[16] = { [10] = 0xff, [11] = 0xff };
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

	mac_key(&k, mac);
	if (bpf_map_delete_elem(m->devices, &k))
		return -errno;
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
	__u8 prev = d->mode;

	if (mode == IFN_MODE_LEARN) {
		d->mode_after = IFN_MODE_ENFORCE;
		d->flags &= ~IFN_DEV_F_LEARN_CAPPED;
		if (!for_ns)
			for_ns = learn_ns;
	} else if (for_ns) {
		d->mode_after = prev == IFN_MODE_LEARN ? IFN_MODE_ENFORCE : prev;
	}
	d->mode = mode;
	d->mode_until_ns = for_ns ? now + for_ns : 0;
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
	/* tokens are kept in 1e-9 units in a __u64 */
	if (bps > 18000000000ULL || pps > 18000000000ULL)
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
	if (d->mode_until_ns) {
		ifn_json_time(j, "mode_until", ifn_mono_to_wall(d->mode_until_ns));
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
