// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Snapshots through real maps (private to the test process, never the
 * pins; needs root like every suite under run-tests.sh): save, restore into
 * fresh maps, and compare; the restored program enforces as before; a bad
 * newest file falls back to the previous one; nothing is written into state
 * that has devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "devices.h"
#include "dnsname.h"
#include "loader.h"
#include "parse.h"
#include "rules.h"
#include "snapshot.h"
#include "snapshot_maps.h"
#include "snapshot_fmt.h"
#include "unit.h"

#define DEV1 "02:00:00:00:00:01"
#define DEV2 "02:00:00:00:00:02"

struct fx {
	struct iotfence *skel;
	struct ifn_maps m;
	char dir[64], path[96];
};

static void fx_load(struct fx *f)
{
	struct ifn_load_opts o = {
		.max_devices = 64,
		.max_flows = 1024,
		.max_rules = 256,
		.quiet = true,
	};
	struct ifn_config cfg;
	bool fresh;

	ifn_config_defaults(&cfg);
	ifn_libbpf_logging(false);
	ck_assert_msg(!ifn_load(&o, &cfg, &f->skel, &fresh), "cannot load the program (root?)");
	ck_assert(fresh);
	ck_assert_int_eq(ifn_maps_from_skel(&f->m, f->skel), 0);
}

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ifn-snap-test-%d", (int)getpid());
	snprintf(f->path, sizeof(f->path), "%s/state.gz", f->dir);
	fx_load(f);
}

static void fx_fini(struct fx *f)
{
	char cmd[128];

	ifn_unload(f->skel);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void mac(__u8 m[6], const char *s)
{
	ck_assert_int_eq(ifn_parse_mac(s, m), 0);
}

static void allow(struct fx *f, const char *dev, const char *text, __u8 origin)
{
	char err[IFN_ERRLEN];
	struct ifn_rule r;

	ck_assert_msg(!ifn_rule_parse(text, &r, err, sizeof(err)), "%s: %s", text, err);
	mac(r.mac, dev);
	r.origin = origin;
	ck_assert_int_eq(ifn_rule_install(&f->m, &r), 0);
}

/* Two devices with modes, a deadline, a rate, rules of each kind, counters on two CPUs. */
static void populate(struct fx *f)
{
	struct ifn_iface ifc = { .default_mode = IFN_MODE_MONITOR,
				 .attach_mode = 2,
				 .learn_ns = 3600000000000ULL };
	size_t stride = (sizeof(struct ifn_dev_stats) + 7) & ~7UL;
	struct ifn_ip_owner own = { .since_ns = ifn_now_mono() };
	struct ifn_ip_key ok = {};
	struct ifn_config cfg;
	struct ifn_device d;
	__u64 now = ifn_now_mono();
	__u32 lo = 1;
	__u8 m1[6], m2[6];
	char *stats;
	int cpu;

	mac(m1, DEV1);
	mac(m2, DEV2);
	snprintf(ifc.name, sizeof(ifc.name), "lo");
	ck_assert_int_eq(bpf_map_update_elem(f->m.ifaces, &lo, &ifc, BPF_ANY), 0);
	ck_assert_int_eq(ifn_config_read(&f->m, &cfg), 0);
	cfg.scan_threshold = 33;
	cfg.flags = 0;
	ck_assert_int_eq(ifn_config_write(&f->m, &cfg), 0);

	ck_assert_int_eq(ifn_device_create(&f->m, m1, IFN_MODE_ENFORCE, 1), 0);
	ck_assert_int_eq(ifn_device_create(&f->m, m2, IFN_MODE_LEARN, 1), 0);
	ck_assert_int_eq(
		ifn_device_set_mode(&f->m, m2, IFN_MODE_LEARN, 7200000000000ULL, 0, now, &d), 0);
	ck_assert_int_eq(ifn_device_apply_rate(&d, 200, 100000, 0, 0), 0);
	ck_assert_int_eq(ifn_device_put(&f->m, m2, &d), 0);
	/* An address is the datapath's to record: write it in place, as it does. */
	memcpy(ifn_device_rec(&f->m, m2)->ipv4, "\xc0\xa8\x01\x14", 4);
	ck_assert_int_eq(ifn_parse_ip("192.168.1.20", ok.addr, NULL), 0);
	memcpy(own.mac, m2, 6);
	ck_assert_int_eq(bpf_map_update_elem(f->m.ip_owners, &ok, &own, BPF_ANY), 0);

	allow(f, DEV1, "tcp/443 52.1.2.3", IFN_ORIGIN_LEARNED);
	allow(f, DEV1, "udp/123 any", IFN_ORIGIN_POLICY);
	allow(f, DEV1, "ether/0x88cc", IFN_ORIGIN_LEARNED);
	allow(f, DEV2, "tcp 10.0.0.0/8 server", IFN_ORIGIN_GENERALISED);
	allow(f, DEV1, "tcp/8883 name *.iot.eu-west-1.amazonaws.com", IFN_ORIGIN_POLICY);
	allow(f, DEV1, "tcp/443 name cdn.vendor.com", IFN_ORIGIN_MANUAL);
	allow(f, DEV2, "tcp/8883 2001:db8::/32", IFN_ORIGIN_MANUAL);

	/* Counters spread over CPUs come back summed into one. */
	ck_assert_int_eq(ifn_device_get(&f->m, m1, &d), 0);
	stats = calloc(f->m.ncpus, stride);
	for (cpu = 0; cpu < f->m.ncpus; cpu++) {
		struct ifn_dev_stats *st = (void *)(stats + cpu * stride);

		st->packets = 10;
		st->bytes = 1000;
		st->verdict[IFN_VERDICT_DROP] = 2;
		st->reason[IFN_REASON_NOT_IN_FINGERPRINT] = 2;
		st->first_seen_ns = now - 5000000000ULL + cpu;
		st->last_seen_ns = now - 1000000000ULL + cpu;
	}
	ck_assert_int_eq(bpf_map_update_elem(f->m.dev_stats, &d.slot, stats, BPF_ANY), 0);
	free(stats);
}

static bool near(__u64 a, __u64 b)
{
	/*
	 * Two clock conversions each way, each reading two clocks: a busy machine
	 * may preempt between the reads (a 1 ms bound failed under load). A
	 * second still catches a missed or doubled conversion (decades apart).
	 */
	return (a > b ? a - b : b - a) < 1000000000ULL;
}

static void assert_same_state(const struct ifn_snap *a, const struct ifn_snap *b)
{
	struct ifn_config ca = a->cfg, cb = b->cfg;
	size_t i;

	/* The name hash's key belongs to the state, never to the file. */
	ca.dns_key = cb.dns_key = 0;
	ck_assert(!memcmp(&ca, &cb, sizeof(ca)));
	ck_assert_uint_eq(a->n_ifaces, b->n_ifaces);
	ck_assert_uint_eq(a->n_devs, b->n_devs);
	ck_assert_uint_eq(a->n_flows, b->n_flows);
	ck_assert_uint_eq(a->n_rules, b->n_rules);
	ck_assert_uint_eq(a->n_owners, b->n_owners);
	for (i = 0; i < a->n_ifaces; i++)
		ck_assert(!memcmp(&a->ifaces[i], &b->ifaces[i], sizeof(a->ifaces[i])));
	for (i = 0; i < a->n_devs; i++) {
		struct ifn_snap_dev x = a->devs[i], y = b->devs[i];

		ck_assert(near(x.until_ns, y.until_ns));
		ck_assert(near(x.dev.created_ns, y.dev.created_ns));
		ck_assert(near(x.st.first_seen_ns, y.st.first_seen_ns));
		ck_assert(near(x.st.last_seen_ns, y.st.last_seen_ns));
		x.until_ns = y.until_ns = 0;
		x.dev.created_ns = y.dev.created_ns = 0;
		x.st.first_seen_ns = y.st.first_seen_ns = 0;
		x.st.last_seen_ns = y.st.last_seen_ns = 0;
		ck_assert_msg(!memcmp(&x, &y, sizeof(x)), "device %zu differs", i);
	}
	for (i = 0; i < a->n_flows; i++) {
		ck_assert(!memcmp(&a->flows[i].k, &b->flows[i].k, sizeof(a->flows[i].k)));
		ck_assert_uint_eq(a->flows[i].v.origin, b->flows[i].v.origin);
		ck_assert(near(a->flows[i].v.added_ns, b->flows[i].v.added_ns));
	}
	for (i = 0; i < a->n_rules; i++) {
		ck_assert_uint_eq(a->rules[i].any, b->rules[i].any);
		ck_assert(!memcmp(&a->rules[i].pk, &b->rules[i].pk, sizeof(a->rules[i].pk)));
		ck_assert(!memcmp(&a->rules[i].ak, &b->rules[i].ak, sizeof(a->rules[i].ak)));
		ck_assert_uint_eq(a->rules[i].v.origin, b->rules[i].v.origin);
	}
	for (i = 0; i < a->n_owners; i++)
		ck_assert(!memcmp(&a->owners[i].k, &b->owners[i].k, sizeof(a->owners[i].k)));
	ck_assert_uint_eq(a->n_names, b->n_names);
	for (i = 0; i < a->n_names; i++) {
		ck_assert(!memcmp(&a->names[i].k, &b->names[i].k, sizeof(a->names[i].k)));
		ck_assert_str_eq(a->names[i].v.name, b->names[i].v.name);
		ck_assert_uint_eq(a->names[i].v.origin, b->names[i].v.origin);
		ck_assert(near(a->names[i].v.added_ns, b->names[i].v.added_ns));
	}
}

/* A TCP SYN from @dev to @dst:@port, on loopback as BPF_PROG_TEST_RUN delivers it. */
static int send_syn(struct fx *f, const char *dev, const __u8 dst[4], __u16 port)
{
	__u8 fr[64] = {};
	__u8 *ip = fr + 14, *tcp = fr + 34;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr, .data_size_in = sizeof(fr));

	mac(fr + 6, dev);
	fr[0] = 0x02, fr[5] = 0xfe;
	fr[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 50; /* total length 20 + 20 + 10 */
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 192, ip[13] = 168, ip[14] = 1, ip[15] = 10;
	memcpy(ip + 16, dst, 4);
	tcp[0] = 0x9c, tcp[1] = 0x40; /* 40000 */
	tcp[2] = port >> 8, tcp[3] = port & 0xff;
	tcp[12] = 0x50;
	tcp[13] = 0x02;
	ck_assert_int_eq(bpf_prog_test_run_opts(ifn_skel_prog_fd(f->skel), &o), 0);
	return o.retval;
}

START_TEST(save_restore_round_trip)
{
	static const __u8 allowed[4] = { 52, 1, 2, 3 }, other[4] = { 52, 1, 2, 4 };
	struct ifn_snapshot_info info;
	struct ifn_snap before, after;
	struct ifn_dev_view v;
	struct stat st;
	struct fx f;
	char err[512];
	__u8 m1[6];

	fx_init(&f);
	populate(&f);
	ck_assert_int_eq(send_syn(&f, DEV1, allowed, 443), XDP_PASS);
	ck_assert_int_eq(send_syn(&f, DEV1, other, 443), XDP_DROP);
	ck_assert_int_eq(ifn_snapshot_capture(&f.m, &before), 0);
	ck_assert_int_eq(ifn_snapshot_save(&f.m, f.path), 0);

	ck_assert_int_eq(stat(f.dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(f.path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	/* A reboot: new maps, the old ones gone. */
	ifn_unload(f.skel);
	fx_load(&f);
	ck_assert_msg(!ifn_snapshot_restore_info(&f.m, f.path, &info, err, sizeof(err)), "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert(!info.fallback);
	ck_assert_uint_eq(info.devices, 2);
	ck_assert_uint_eq(info.flows, 2);
	ck_assert_uint_eq(info.rules, 3);
	ck_assert_int_eq(ifn_snapshot_capture(&f.m, &after), 0);
	assert_same_state(&before, &after);

	/* Counters: the per-CPU sums are back, in one CPU. */
	mac(m1, DEV1);
	ck_assert_int_eq(ifn_device_read(&f.m, m1, &v), 0);
	ck_assert_uint_eq(v.st.packets, 10ULL * f.m.ncpus + 2);
	ck_assert_uint_eq(v.dev.flow_count, 2);
	ck_assert(v.dev.flags & IFN_DEV_F_PORT_RULES);
	/* Rules on names: their text came back, hashed with the new state's key. */
	ck_assert_uint_eq(before.n_names, 2);
	ck_assert_uint_eq(v.dev.name_rules, 2);
	ck_assert(v.dev.flags & IFN_DEV_F_NAME_RULES);
	{
		struct ifn_name_rule_key k = { .proto = 6, .port = 443 };
		struct ifn_name_rule_val nv;
		struct ifn_config cfg;

		ck_assert_int_eq(ifn_config_read(&f.m, &cfg), 0);
		memcpy(k.mac, m1, 6);
		k.name = ifn_dns_rule_hash(cfg.dns_key, "cdn.vendor.com");
		ck_assert_int_eq(bpf_map_lookup_elem(f.m.name_rules, &k, &nv), 0);
		ck_assert_str_eq(nv.name, "cdn.vendor.com");
		ck_assert_uint_eq(nv.origin, IFN_ORIGIN_MANUAL);
	}

	/* And the restored program enforces as before. */
	ck_assert_int_eq(send_syn(&f, DEV1, allowed, 443), XDP_PASS);
	ck_assert_int_eq(send_syn(&f, DEV1, other, 443), XDP_DROP);
	ck_assert_int_eq(send_syn(&f, DEV1, other, 123), XDP_DROP); /* tcp, not udp */

	ifn_snap_free(&before);
	ifn_snap_free(&after);
	fx_fini(&f);
}
END_TEST

START_TEST(refuses_state_with_devices)
{
	struct ifn_snap before, after;
	struct fx f;
	char err[512];

	fx_init(&f);
	populate(&f);
	ck_assert_int_eq(ifn_snapshot_save(&f.m, f.path), 0);
	ck_assert_int_eq(ifn_snapshot_capture(&f.m, &before), 0);
	ck_assert_int_eq(ifn_snapshot_restore(&f.m, f.path, err, sizeof(err)), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "has devices"));
	ck_assert_int_eq(ifn_snapshot_capture(&f.m, &after), 0);
	assert_same_state(&before, &after);
	ifn_snap_free(&before);
	ifn_snap_free(&after);
	fx_fini(&f);
}
END_TEST

static void truncate_file(const char *path, off_t len)
{
	ck_assert_int_eq(truncate(path, len), 0);
}

START_TEST(falls_back_to_previous)
{
	struct ifn_snapshot_info info;
	char prev[128], err[1024];
	struct stat st;
	struct fx f;
	__u8 m1[6];

	fx_init(&f);
	populate(&f);
	ck_assert_int_eq(ifn_snapshot_save(&f.m, f.path), 0);
	/* The second save keeps the first as the previous one. */
	mac(m1, DEV1);
	ck_assert_int_eq(ifn_device_forget(&f.m, m1), 0);
	ck_assert_int_eq(ifn_snapshot_save(&f.m, f.path), 0);
	ifn_snapshot_prev_path(f.path, prev, sizeof(prev));
	ck_assert_str_eq(strrchr(prev, '/'), "/state.prev.gz");
	ck_assert_int_eq(stat(prev, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	/* The newest is damaged: the previous (two devices) is restored. */
	truncate_file(f.path, 40);
	ifn_unload(f.skel);
	fx_load(&f);
	ck_assert_int_eq(ifn_snapshot_restore_info(&f.m, f.path, &info, err, sizeof(err)), 0);
	ck_assert(info.fallback);
	ck_assert_uint_eq(info.devices, 2);
	ck_assert_msg(strstr(err, "truncated") && strstr(err, "previous"), "%s", err);

	/* A damaged newest is not kept as the previous one by the next save. */
	ck_assert_int_eq(ifn_snapshot_save(&f.m, f.path), 0);
	ifn_unload(f.skel);
	fx_load(&f);
	truncate_file(f.path, 0);
	ck_assert_int_eq(ifn_snapshot_restore_info(&f.m, f.path, &info, err, sizeof(err)), 0);
	ck_assert(info.fallback);
	ck_assert_uint_eq(info.devices, 2);
	ck_assert_msg(strstr(err, "empty"), "%s", err);

	/* The next save moves the bad one aside, and keeps the good previous one. */
	ck_assert_int_eq(ifn_snapshot_save(&f.m, f.path), 0);
	{
		char refused[128];

		ifn_snapshot_refused_path(f.path, refused, sizeof(refused));
		ck_assert_int_eq(stat(refused, &st), 0);
		ck_assert_int_eq(st.st_size, 0);
	}
	{
		struct ifn_snap ps;

		ck_assert_int_eq(ifn_snapshot_read(prev, &ps, err, sizeof(err)), 0);
		ck_assert_uint_eq(ps.n_devs, 2);
		ifn_snap_free(&ps);
	}
	fx_fini(&f);
}
END_TEST

START_TEST(refused_leaves_maps_untouched)
{
	static const char junk[] = "\x1f\x8b not really";
	struct ifn_snapshot_info info;
	struct ifn_config cfg, def;
	char err[1024];
	struct fx f;
	int fd;

	fx_init(&f);
	ck_assert_int_eq(ifn_config_read(&f.m, &def), 0);
	ck_assert_int_eq(ifn_snapshot_restore(&f.m, f.path, err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(mkdir(f.dir, 0700), 0);
	fd = open(f.path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
	close(fd);
	ck_assert_int_eq(ifn_snapshot_restore_info(&f.m, f.path, &info, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_msg(strstr(err, "no previous snapshot"), "%s", err);
	ck_assert_int_eq(ifn_map_entries(f.m.dev_index, sizeof(struct ifn_mac_key), sizeof(__u32)),
			 0);
	ck_assert_int_eq(ifn_config_read(&f.m, &cfg), 0);
	ck_assert(!memcmp(&cfg, &def, sizeof(cfg)));
	fx_fini(&f);
}
END_TEST

UNIT_SUITE(snapshot_maps_suite)
static Suite *snapshot_maps_suite(void)
{
	Suite *s = suite_create("snapshot-maps");
	TCase *tc = tcase_create("maps");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, save_restore_round_trip);
	tcase_add_test(tc, refuses_state_with_devices);
	tcase_add_test(tc, falls_back_to_previous);
	tcase_add_test(tc, refused_leaves_maps_untouched);
	suite_add_tcase(s, tc);
	return s;
}
