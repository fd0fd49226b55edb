// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * state.c - pinned state of a large site, for the agent benchmarks
 * (`iotfence devices --json`, `policy save|load`, the daemon's memory):
 *
 *   ifn-bench state --pin-dir DIR --devices N [--flows-per-device K]
 *
 * The maps are created and pinned the way `iotfence attach` creates them
 * (ifn_load with a pin directory), then filled in batches with records in
 * the agent's layout: devices in a mix of modes with addresses and
 * per-CPU counters, and K exact flows each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "loader.h"
#include "rules.h"
#include "state.h"
#include "iotfence.skel.h"

#define CHUNK 8192

static void batch(int fd, const void *k, const void *v, __u32 n, size_t ks, size_t vs,
		  const char *what)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
	__u32 done = 0;

	while (done < n) {
		__u32 cnt = n - done < CHUNK ? n - done : CHUNK;

		if (bpf_map_update_batch(fd, (const char *)k + done * ks,
					 (const char *)v + done * vs, &cnt, &bo))
			ifb_die("%s: %s", what, strerror(errno));
		done += cnt;
	}
}

int ifb_state_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "devices", required_argument, NULL, 'd' },
		{ "flows-per-device", required_argument, NULL, 'f' },
		{ "max-devices", required_argument, NULL, 'D' },
		{ "max-flows", required_argument, NULL, 'F' },
		{ "ifindex", required_argument, NULL, 'i' },
		{},
	};
	struct ifn_load_opts lo = { .quiet = true };
	__u32 ndev = 0, per = 0, ifindex = 1;
	static const __u8 modes[10] = { IFN_MODE_ENFORCE,   IFN_MODE_ENFORCE, IFN_MODE_ENFORCE,
					IFN_MODE_ENFORCE,   IFN_MODE_ENFORCE, IFN_MODE_ENFORCE,
					IFN_MODE_LEARN,	    IFN_MODE_LEARN,   IFN_MODE_MONITOR,
					IFN_MODE_QUARANTINE };
	struct ifn_config cfg;
	struct iotfence *skel;
	struct ifn_maps m;
	__u64 now = ifn_now_mono(), t0 = ifb_now_ns();
	struct ifn_mac_key *keys;
	struct ifn_device *devs;
	char *stats;
	__u32 *slots;
	size_t ssz;
	bool fresh;
	int opt, ncpu;

	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			lo.pin_dir = optarg;
			break;
		case 'd':
			ndev = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			per = strtoul(optarg, NULL, 0);
			break;
		case 'D':
			lo.max_devices = strtoul(optarg, NULL, 0);
			break;
		case 'F':
			lo.max_flows = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			ifindex = strtoul(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (!lo.pin_dir)
		ifb_die("state: --pin-dir DIR --devices N are needed");
	if (!lo.max_devices)
		lo.max_devices = ndev + ndev / 4 + 16;
	if (!lo.max_flows)
		lo.max_flows = (__u32)((__u64)ndev * per + 1024);
	ifn_libbpf_logging(false);
	ifn_config_defaults(&cfg);
	if (ifn_load(&lo, &cfg, &skel, &fresh))
		ifb_die("state: cannot create the maps under %s", lo.pin_dir);
	if (!fresh)
		ifb_die("state: %s already holds a state", lo.pin_dir);
	if (ifn_maps_from_skel(&m, skel))
		ifb_die("state: maps");
	ncpu = libbpf_num_possible_cpus();
	ssz = sizeof(struct ifn_dev_stats) * ncpu;

	keys = calloc(ndev + 1, sizeof(*keys));
	devs = calloc(ndev + 1, sizeof(*devs));
	slots = calloc(ndev + 1, sizeof(*slots));
	stats = calloc(ndev + 1, ssz);
	if (!keys || !devs || !slots || !stats)
		ifb_die("out of memory");
	for (__u32 i = 0; i < ndev; i++) {
		struct ifn_device *d = &devs[i];
		__u32 ip = htonl(0x0a000000U + i + 2);

		keys[i].mac[0] = 0x02;
		keys[i].mac[1] = 0x5a;
		keys[i].mac[2] = (__u8)(i >> 24);
		keys[i].mac[3] = (__u8)(i >> 16);
		keys[i].mac[4] = (__u8)(i >> 8);
		keys[i].mac[5] = (__u8)i;
		if (bpf_map_lookup_and_delete_elem(m.free_slots, NULL, &d->slot))
			ifb_die("state: free slots: %s", strerror(errno));
		slots[i] = d->slot;
		d->ifindex = ifindex;
		memcpy(d->mac, keys[i].mac, 6);
		d->in_use = 1;
		d->mode_word = ifn_mode_word(modes[i % 10], IFN_MODE_ENFORCE, 0);
		d->flow_count = per;
		d->created_ns = now - 86400ULL * 1000000000ULL;
		d->scan_window_ns = now;
		memcpy(d->ipv4, &ip, 4);
		if (i % 4 == 0) {
			d->ipv6_ll[0] = 0xfe;
			d->ipv6_ll[1] = 0x80;
			memcpy(d->ipv6_ll + 12, &ip, 4);
		}
		for (int c = 0; c < ncpu; c++) {
			struct ifn_dev_stats *s =
				(void *)(stats + (size_t)i * ssz + (size_t)c * sizeof(*s));

			s->packets = 1000 + i;
			s->bytes = 150000 + i;
			s->verdict[IFN_VERDICT_PASS] = 990 + i;
			s->verdict[IFN_VERDICT_DROP] = 10;
			s->reason[IFN_REASON_NOT_IN_FINGERPRINT] = 10;
			s->first_seen_ns = d->created_ns;
			s->last_seen_ns = now - (i % 600) * 1000000000ULL;
		}
	}
	/* Records in place, then the index that publishes them. */
	for (__u32 i = 0; i < ndev; i++)
		m.dev_mem[slots[i]] = devs[i];
	batch(m.dev_index, keys, slots, ndev, sizeof(*keys), sizeof(*slots), "devices");
	batch(m.dev_stats, slots, stats, ndev, sizeof(*slots), ssz, "stats");
	free(stats);
	free(devs);

	if (per && ndev) {
		__u64 n = (__u64)ndev * per, done = 0;
		struct ifn_flow_key *fk = calloc(CHUNK, sizeof(*fk));
		struct ifn_flow_val *fv = calloc(CHUNK, sizeof(*fv));

		if (!fk || !fv)
			ifb_die("out of memory");
		while (done < n) {
			__u32 cnt = n - done < CHUNK ? (__u32)(n - done) : CHUNK;

			for (__u32 j = 0; j < cnt; j++) {
				__u64 x = done + j;
				struct ifn_rule r = {
					.proto = (x % 5 == 4) ? 17 : 6,
					.port = (__u16)(443 + x % per),
					.dir = IFN_DIR_CLIENT,
					.plen = 128,
				};
				__u32 peer = htonl(0x22000000U + (__u32)(x % 4000000));

				memcpy(r.mac, keys[x / per].mac, 6);
				r.peer[10] = r.peer[11] = 0xff;
				memcpy(r.peer + 12, &peer, 4);
				ifn_rule_to_flow(&r, &fk[j]);
				/* As the agent writes flows: the device's peer filter first. */
				ifn_exact_peers_add(m.dev_mem[slots[x / per]].exact_peers, &fk[j]);
				fv[j].added_ns = now;
				fv[j].origin = IFN_ORIGIN_LEARNED;
			}
			batch(m.flows, fk, fv, cnt, sizeof(*fk), sizeof(*fv), "flows");
			done += cnt;
		}
		free(fk);
		free(fv);
	}
	free(keys);
	free(slots);
	fprintf(stderr, "state: %u devices, %llu flows pinned under %s in %.2f s\n", ndev,
		(unsigned long long)ndev * per, lo.pin_dir, (ifb_now_ns() - t0) / 1e9);
	ifn_unload(skel);
	return 0;
}
