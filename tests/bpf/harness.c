// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "devices.h"
#include "harness.h"
#include "loader.h"
#include "rules.h"

#define TH_MAX_SUITES 64

static th_suite_fn suites[TH_MAX_SUITES];
static int nsuites;

void th_register(th_suite_fn fn)
{
	if (nsuites < TH_MAX_SUITES)
		suites[nsuites++] = fn;
}

/*
 * Map sizes of the shared program. Small on purpose: every test empties
 * the maps and refills the free slots, and walking a hash costs its bucket
 * count, so the agent's defaults (16384 devices, 1M flows) would cost tens
 * of milliseconds a test. No test needs more.
 */
#define TH_DEVICES_DEFAULT 256
#define TH_FLOWS_DEFAULT 16384

/* Loaded once per process (and per clock), before Check forks each test. */
static struct iotfence *loaded[2];

static int load_skel(bool real_clock, __u32 max_devices, __u32 max_flows, struct iotfence **out)
{
	struct ifn_load_opts o = {
		.pin_dir = NULL,
		.virtual_clock = !real_clock,
		.max_devices = max_devices ? max_devices : TH_DEVICES_DEFAULT,
		.max_flows = max_flows ? max_flows : TH_FLOWS_DEFAULT,
		.quiet = true,
	};
	bool shared = !max_devices && !max_flows;
	struct ifn_config cfg;
	struct iotfence *skel;
	bool fresh;
	int err;

	if (shared && loaded[real_clock]) {
		*out = loaded[real_clock];
		return 0;
	}
	ifn_config_defaults(&cfg);
	err = ifn_load(&o, &cfg, &skel, &fresh);
	if (err)
		return err;
	if (shared)
		loaded[real_clock] = skel;
	*out = skel;
	return 0;
}

static struct iotfence *get_skel(bool real_clock, __u32 max_devices, __u32 max_flows)
{
	struct iotfence *skel = NULL;
	int err = load_skel(real_clock, max_devices, max_flows, &skel);

	ck_assert_msg(!err, "cannot load the program: %s (run as root)", strerror(-err));
	return skel;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct th *t = ctx;

	if (len < sizeof(struct ifn_event))
		return 0;
	if (t->nev < TH_MAX_EVENTS)
		memcpy(&t->ev[t->nev++], data, sizeof(struct ifn_event));
	else
		t->ev_overflow++;
	return 0;
}

static void reset(struct th *t)
{
	struct ifn_config cfg;

	ck_assert_int_eq(ifn_state_reset(&t->m), 0);
	ifn_config_defaults(&cfg);
	ifn_config_write(&t->m, &cfg);
	/* Anything left in the ring belongs to an earlier test. */
	ring_buffer__consume(t->rb);
	t->nev = 0;
	t->ev_overflow = 0;
}

void th_setup(struct th *t, const struct th_opts *o)
{
	struct th_opts def = { 0 };

	if (!o)
		o = &def;
	memset(t, 0, sizeof(*t));
	t->skel = get_skel(o->real_clock, o->max_devices ? o->max_devices : 0,
			   o->max_flows ? o->max_flows : 0);
	ck_assert_int_eq(ifn_maps_from_skel(&t->m, t->skel), 0);
	t->prog_fd = ifn_skel_prog_fd(t->skel);
	t->now = ifn_skel_virtual_now(t->skel);
	*t->now = 1000000000000ULL; /* 1000 s: far from zero, so windows start clean */
	t->rb = ring_buffer__new(t->m.events, on_event, t, NULL);
	ck_assert_ptr_nonnull(t->rb);
	reset(t);
	th_iface(t, IFN_MODE_LEARN, 0);
}

void th_teardown(struct th *t)
{
	if (t->rb)
		ring_buffer__free(t->rb);
	t->rb = NULL;
	if (t->skel != loaded[0] && t->skel != loaded[1])
		ifn_unload(t->skel);
	t->skel = NULL;
}

void th_iface(struct th *t, __u8 default_mode, __u64 learn_ns)
{
	struct ifn_iface ifc = { .default_mode = default_mode, .learn_ns = learn_ns };
	__u32 lo = 1;

	snprintf(ifc.name, sizeof(ifc.name), "lo");
	ck_assert_int_eq(bpf_map_update_elem(t->m.ifaces, &lo, &ifc, BPF_ANY), 0);
}

struct ifn_config th_config(struct th *t)
{
	struct ifn_config c;

	ck_assert_int_eq(ifn_config_read(&t->m, &c), 0);
	return c;
}

void th_set_config(struct th *t, const struct ifn_config *c)
{
	ck_assert_int_eq(ifn_config_write(&t->m, c), 0);
}

int th_run_repeat(struct th *t, const void *data, size_t len, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len, .repeat = repeat);
	int err = bpf_prog_test_run_opts(t->prog_fd, &o);

	ck_assert_msg(!err, "BPF_PROG_TEST_RUN failed: %s", strerror(errno));
	return o.retval;
}

int th_run(struct th *t, const void *data, size_t len)
{
	return th_run_repeat(t, data, len, 1);
}

int th_send(struct th *t, const struct frame_spec *s)
{
	__u8 buf[FR_MAX];
	size_t len = frame_build(s, buf, sizeof(buf));

	ck_assert_msg(len >= 14, "frame spec builds no frame");
	return th_run(t, buf, len);
}

void th_egress(struct th *t, const void *data, size_t len, __u32 ingress_ifindex)
{
	static __u8 out[8192];
	struct __sk_buff ctx = { .ingress_ifindex = ingress_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = data, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	int fd = ifn_skel_egress_fd(t->skel);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_prog_test_run_opts(fd, &ro), 0);
	ck_assert_int_eq((int)ro.retval, -1 /* TC_ACT_UNSPEC */);
	ck_assert_uint_eq(ro.data_size_out, len);
	ck_assert_msg(!memcmp(out, data, len), "the egress program changed the frame");
}

void th_events(struct th *t)
{
	ring_buffer__consume(t->rb);
}

unsigned int th_count_events(struct th *t, __u32 type, const char *mac)
{
	unsigned int i, n = 0;
	__u8 m[6];

	th_events(t);
	if (mac)
		frame_mac(mac, m);
	for (i = 0; i < t->nev; i++)
		if (t->ev[i].type == type && (!mac || !memcmp(t->ev[i].mac, m, 6)))
			n++;
	return n;
}

bool th_device(struct th *t, const char *mac, struct ifn_device *d, struct ifn_dev_stats *st)
{
	struct ifn_dev_view v;
	__u8 m[6];

	frame_mac(mac, m);
	if (ifn_device_read(&t->m, m, &v))
		return false;
	if (d) {
		/* The raw record, not the agent's view of the effective mode. */
		ck_assert_int_eq(ifn_device_get(&t->m, m, d), 0);
	}
	if (st)
		*st = v.st;
	return true;
}

void th_set_mode(struct th *t, const char *mac, __u8 mode)
{
	struct ifn_device d;
	__u8 m[6];

	frame_mac(mac, m);
	ck_assert_int_eq(ifn_device_set_mode(&t->m, m, mode, 0, 0, *t->now, &d), 0);
}

void th_global(struct th *t, struct ifn_global_stats *gs)
{
	ck_assert_int_eq(ifn_global_stats_read(&t->m, gs), 0);
}

void th_allow(struct th *t, const char *mac, const char *rule)
{
	char err[160];
	struct ifn_rule r;

	ck_assert_msg(!ifn_rule_parse(rule, &r, err, sizeof(err)), "bad rule '%s': %s", rule, err);
	frame_mac(mac, r.mac);
	r.added_ns = *t->now;
	ck_assert_int_eq(ifn_rule_install(&t->m, &r), 0);
}

unsigned int th_flow_count(struct th *t, const char *mac)
{
	struct ifn_rule *rules;
	unsigned int n = 0;
	size_t cnt, i;
	__u8 m[6];

	frame_mac(mac, m);
	ck_assert_int_eq(ifn_rules_read(&t->m, m, &rules, &cnt), 0);
	for (i = 0; i < cnt; i++)
		n += ifn_rule_kind(&rules[i]) == IFN_RULE_EXACT;
	free(rules);
	return n;
}

bool th_has_flow(struct th *t, const char *mac, const char *rule)
{
	struct ifn_rule want, *rules;
	char err[160];
	bool found = false;
	size_t cnt, i;

	ck_assert_msg(!ifn_rule_parse(rule, &want, err, sizeof(err)), "bad rule '%s': %s", rule,
		      err);
	frame_mac(mac, want.mac);
	ck_assert_int_eq(ifn_rules_read(&t->m, want.mac, &rules, &cnt), 0);
	for (i = 0; i < cnt && !found; i++)
		found = ifn_rule_same(&rules[i], &want);
	free(rules);
	return found;
}

int th_send_len(struct th *t, const struct frame_spec *s, size_t *len)
{
	__u8 buf[FR_MAX];

	*len = frame_build(s, buf, sizeof(buf));
	ck_assert_msg(*len >= 14, "frame spec builds no frame");
	return th_run(t, buf, *len);
}

void th_add_device(struct th *t, const char *mac, __u8 mode)
{
	struct ifn_device *rec;
	__u8 m[6];

	frame_mac(mac, m);
	ck_assert_int_eq(ifn_device_create(&t->m, m, mode, 1), 0);
	rec = ifn_device_rec(&t->m, m);
	ck_assert_ptr_nonnull(rec);
	/* The agent stamps real time; these tests run on the virtual clock. */
	rec->created_ns = *t->now;
	rec->scan_window_ns = *t->now;
}

void th_set_rate(struct th *t, const char *mac, __u64 pps, __u64 bps, __u64 burst_pkts,
		 __u64 burst_bytes)
{
	struct ifn_device d;
	__u8 m[6];

	frame_mac(mac, m);
	ck_assert_int_eq(ifn_device_get(&t->m, m, &d), 0);
	ck_assert_int_eq(ifn_device_apply_rate(&d, pps, bps, burst_pkts, burst_bytes), 0);
	ck_assert_int_eq(ifn_device_put(&t->m, m, &d), 0);
}

bool th_has_key(struct th *t, const struct ifn_flow_key *k)
{
	struct ifn_flow_val v;

	return !bpf_map_lookup_elem(t->m.flows, k, &v);
}

void th_snap(struct th *t, const char *mac, struct th_snap *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	th_global(t, &s->gs);
	s->known = th_device(t, mac, NULL, &s->ds);
	s->flows = s->known ? th_flow_count(t, mac) : 0;
	th_events(t);
	for (i = 0; i < t->nev; i++)
		if (t->ev[i].type < IFN_EV_MAX)
			s->ev[t->ev[i].type]++;
}

/* One counter: it moved by exactly @want. */
#define TH_DELTA(field, want)                                                \
	ck_assert_msg(after.field - before->field == (__u64)(want),          \
		      "%s: %s changed by %lld, expected %lld", what, #field, \
		      (long long)(after.field - before->field), (long long)(want))

void th_expect_delta(struct th *t, const char *mac, const struct th_snap *before, size_t len,
		     const struct th_expect *e, const char *what)
{
	struct th_snap after;
	unsigned int i;

	th_snap(t, mac, &after);
	TH_DELTA(gs.frames, 1);
	TH_DELTA(gs.bytes, len);
	for (i = 0; i < 4; i++)
		TH_DELTA(gs.verdict[i], i == e->verdict);
	for (i = 0; i < IFN_REASON_MAX; i++)
		TH_DELTA(gs.reason[i], e->reason && i == e->reason);
	TH_DELTA(gs.new_devices, e->new_device);
	TH_DELTA(gs.table_full, e->table_full);
	TH_DELTA(gs.flows_full, 0);

	if (e->no_device) {
		ck_assert_msg(after.known == before->known, "%s: the device table changed", what);
		if (after.known)
			ck_assert_msg(!memcmp(&after.ds, &before->ds, sizeof(after.ds)),
				      "%s: a device's counters moved for a frame of no device",
				      what);
	} else {
		ck_assert_msg(after.known, "%s: no device record for %s", what, mac);
		ck_assert_msg(before->known || e->new_device, "%s: device created unexpectedly",
			      what);
		TH_DELTA(ds.packets, 1);
		TH_DELTA(ds.bytes, len);
		for (i = 0; i < 4; i++)
			TH_DELTA(ds.verdict[i], i == e->verdict);
		for (i = 0; i < IFN_REASON_MAX; i++)
			TH_DELTA(ds.reason[i], e->reason && i == e->reason);
		ck_assert_msg(after.ds.last_seen_ns == *t->now, "%s: last_seen not now", what);
	}
	ck_assert_msg((int)after.flows - (int)before->flows == e->flows,
		      "%s: flows changed by %d, expected %d", what,
		      (int)after.flows - (int)before->flows, e->flows);
	for (i = 0; i < IFN_EV_MAX; i++)
		ck_assert_msg(after.ev[i] - before->ev[i] == !!(e->events & TH_EV(i)),
			      "%s: %u events of type %u, expected %u", what,
			      after.ev[i] - before->ev[i], i, !!(e->events & TH_EV(i)));
}

void th_step(struct th *t, const struct frame_spec *s, const struct th_expect *e, const char *what)
{
	const char *mac = s->src_mac ? s->src_mac : "02:00:00:00:00:01";
	struct th_snap before;
	size_t len;
	int act;

	th_snap(t, mac, &before);
	act = th_send_len(t, s, &len);
	ck_assert_msg(act == e->xdp, "%s: XDP action %d, expected %d", what, act, e->xdp);
	th_expect_delta(t, mac, &before, len, e, what);
}

int main(void)
{
	SRunner *sr;
	int i, failed;

	ifn_libbpf_logging(false);
	/*
	 * One CPU for every run: per-CPU state that is not summed (the
	 * TABLE_FULL event's once-a-second limit) must see one CPU's frames,
	 * and BPF_PROG_TEST_RUN runs on the caller's CPU.
	 */
	{
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			perror("sched_setaffinity");
	}
	if (!nsuites) {
		fprintf(stderr, "no test suites registered\n");
		return 1;
	}
	/* Load in the parent so that every forked test reuses the program. */
	{
		struct iotfence *skel;
		int err = load_skel(false, 0, 0, &skel);

		if (err) {
			fprintf(stderr, "cannot load the XDP program: %s (these tests need root)\n",
				strerror(-err));
			return 1;
		}
	}
	sr = srunner_create(suites[0]());
	for (i = 1; i < nsuites; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
