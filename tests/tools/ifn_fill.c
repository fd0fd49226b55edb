// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ifn_fill - fill the pinned device table quickly, for scale and full-table
 * tests: the integration tests need 100,000 devices in a second or two,
 * which no amount of real traffic from a namespace gives.
 *
 *   ifn_fill COUNT [FIRST]
 *
 * Creates COUNT devices with MACs 00:17:88:XX:XX:XX (a real OUI, so vendor
 * lookups are exercised), numbered from FIRST (default 0), in enforce mode,
 * with per-device counters filled in, using batch map updates. Slots come
 * from the free queue exactly as the datapath takes them, so the table is
 * consistent afterwards (forget gives them back). Stops with an error when
 * the table is full, having created what fitted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "errors.h"
#include "state.h"

#define CHUNK 4096U

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo); /* batch updates take no BPF_NOEXIST */
	struct ifn_mac_key *keys;
	struct ifn_device *vals;
	struct ifn_dev_stats *st;
	__u32 *slots, count, i, first = 0, made = 0, cpu;
	struct ifn_maps m;
	size_t stride;
	double t0;
	__u64 now;
	int err = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ifn_fill COUNT [FIRST]\n");
		return 2;
	}
	count = strtoul(argv[1], NULL, 0);
	if (argc == 3)
		first = strtoul(argv[2], NULL, 0);
	if (ifn_maps_open_pinned(&m))
		return 1;
	keys = calloc(count, sizeof(*keys));
	vals = calloc(count, sizeof(*vals));
	slots = calloc(count, sizeof(*slots));
	stride = (sizeof(*st) + 7) & ~(size_t)7;
	st = calloc((size_t)CHUNK * m.ncpus, stride);
	if (!keys || !vals || !slots || !st) {
		fprintf(stderr, "ifn_fill: out of memory\n");
		return 1;
	}
	t0 = now_s();
	now = ifn_now_mono();
	/* Queues have no batch operations: one pop per slot. */
	for (made = 0; made < count; made++) {
		if (bpf_map_lookup_and_delete_elem(m.free_slots, NULL, &slots[made])) {
			err = errno == ENOENT ? -E2BIG : -errno;
			break;
		}
	}
	for (i = 0; i < made; i++) {
		__u32 n = first + i;
		struct ifn_device *d = &vals[i];

		keys[i].mac[0] = 0x00;
		keys[i].mac[1] = 0x17;
		keys[i].mac[2] = 0x88;
		keys[i].mac[3] = n >> 16;
		keys[i].mac[4] = n >> 8;
		keys[i].mac[5] = n;
		d->slot = slots[i];
		memcpy(d->mac, keys[i].mac, 6);
		d->in_use = 1;
		d->mode_word = ifn_mode_word(IFN_MODE_ENFORCE, IFN_MODE_ENFORCE, 0);
		d->created_ns = now;
		d->scan_window_ns = now;
		d->ipv4[0] = 10;
		d->ipv4[1] = 200 + (n >> 16 & 0x1f);
		d->ipv4[2] = n >> 8;
		d->ipv4[3] = n;
		/* An existing record would be overwritten and its slot lost. */
		if (ifn_device_rec(&m, keys[i].mac)) {
			fprintf(stderr, "ifn_fill: device %u exists already: use another FIRST\n",
				n);
			return 1;
		}
	}
	if (made) {
		__u32 done = made;

		/* Records in place, then the index that publishes them. */
		for (i = 0; i < made; i++)
			m.dev_mem[slots[i]] = vals[i];
		if (bpf_map_update_batch(m.dev_index, keys, slots, &done, &bo)) {
			fprintf(stderr, "ifn_fill: device batch update: %s (%u of %u written)\n",
				ifn_strerror(-errno), done, made);
			return 1;
		}
	}
	/* Counters, so that the inventory has numbers to print: batches of CHUNK. */
	for (i = 0; i < made; i += CHUNK) {
		LIBBPF_OPTS(bpf_map_batch_opts, so);
		__u32 n = made - i < CHUNK ? made - i : CHUNK, j;

		for (j = 0; j < n; j++) {
			for (cpu = 0; cpu < (__u32)m.ncpus; cpu++) {
				struct ifn_dev_stats *s =
					(void *)((char *)st + ((size_t)j * m.ncpus + cpu) * stride);

				memset(s, 0, sizeof(*s));
				s->packets = 10 + (i + j) % 7;
				s->bytes = 1000 + i + j;
				s->verdict[IFN_VERDICT_PASS] = s->packets;
				s->first_seen_ns = now;
				s->last_seen_ns = now;
			}
		}
		if (bpf_map_update_batch(m.dev_stats, &slots[i], st, &n, &so)) {
			fprintf(stderr, "ifn_fill: stats batch update: %s\n", ifn_strerror(-errno));
			return 1;
		}
	}
	printf("created %u devices in %.3f s\n", made, now_s() - t0);
	free(keys);
	free(vals);
	free(slots);
	free(st);
	ifn_maps_close(&m);
	if (err) {
		fprintf(stderr, "ifn_fill: stopped after %u devices: %s\n", made,
			ifn_strerror(err));
		return 1;
	}
	return 0;
}
