// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pkt.c - per-packet cost of iotfence's paths with BPF_PROG_TEST_RUN, at
 * several device and flow counts, next to a bare XDP_DROP program, a
 * count-only program and xdp-filter, all measured in the same rounds.
 *
 * Method. A test run repeats one frame N times inside the kernel, so the
 * caches and branch predictors are warm: these are best-case costs of the
 * program, not of a NIC's receive path. Time is the calling thread's CPU
 * time around the run divided by N (the kernel's own figure is an integer
 * number of ns, too coarse for the baselines); thread CPU time leaves out
 * the time other tasks take on this CPU, which matters on a busy machine.
 * Each figure is measured in R rounds; within a round the cases run one
 * after another in a rotating order, so a change of load hits all of them.
 * Ratios are taken within each round and their median is reported.
 *
 * Every run is checked: its XDP action, and the global counters iotfence
 * keeps (a path that did not happen N times fails the benchmark).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "devices.h"
#include "loader.h"
#include "rules.h"
#include "state.h"
#include "iotfence.skel.h"
#include "base.skel.h"

#define SPARE_DEVICES 64
#define BATCH 8192

/* Addresses of the device under test ("A") and of its peers. */
#define A_PEER4 0x34010203U /* 52.1.2.3 */
#define A_SRC4 0x0a000001U /* 10.0.0.1 */
#define FILL_PEER4 0xac100000U /* 172.16.0.0/12: filler flows */
#define LEARN_PEER4 0x64400000U /* 100.64.0.0/10: learned flows */
#define VIOL_PEER4 0xc6336407U /* 198.51.100.7 */
#define RULE_PEER4 0xc6120505U /* 198.18.5.5, in the port-any rule */
#define FLOOD_SRC4 0x0a800000U /* 10.128.0.0/9: MAC/IP flood sources */

static const __u8 a_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a };
static const __u8 a_peer6[16] = { 0x26, 0x00, 0x1f, 0x18, [15] = 0x01 };
static const __u8 gw_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };

enum prog_id {
	P_DROP,
	P_COUNT,
	P_IFN,
	P_MUT_PEER, /* bench_mut_peer, tail call to slot 0 */
	P_MUT_SRC,
	P_XDPF_DENY,
	P_XDPF_ALLOW,
	P_ST1, /* stages.bpf.o: the datapath cut after each stage */
	P_ST2,
	P_ST3,
	P_ST4,
	P_ST5,
	P_MAX,
};

enum pcase {
	C_DROP,
	C_COUNT,
	C_ALLOWED,
	C_VIOLATION,
	C_QUARANTINE,
	C_LEARN,
	C_LEARN_CTRL,
	C_UNKNOWN_FULL,
	C_IPV6,
	C_VLAN,
	C_RULES_DROP,
	C_RULES_ALLOWED,
	C_XDPF_ALLOWED,
	C_XDPF_DROP,
	C_XDPFA_ALLOWED,
	C_ST1,
	C_ST2,
	C_ST3,
	C_ST4,
	C_ST5,
	C_ST5_VIOL,
	C_MAX,
};

enum frame_id {
	F_ALLOWED4,
	F_ALLOWED6,
	F_VLAN4,
	F_VIOLATION,
	F_LEARN,
	F_UNKNOWN,
	F_RULE_ALLOWED,
	F_COMPROMISED, /* a scan frame from a MAC xdp-filter denies */
	F_NEWDEV,
	F_MAX,
};

struct pcase_def {
	const char *name;
	enum prog_id prog;
	enum frame_id frame;
	int action; /* expected XDP action */
	bool main_row; /* in the summary table */
	bool ref_only; /* an extra, measured at the reference point only */
};

static const struct pcase_def cases[C_MAX] = {
	[C_DROP] = { "bare XDP_DROP", P_DROP, F_ALLOWED4, XDP_DROP, true },
	[C_COUNT] = { "count-only (per-CPU hash by MAC)", P_COUNT, F_ALLOWED4, XDP_DROP, true },
	[C_ALLOWED] = { "allowed flow, known device, enforce", P_IFN, F_ALLOWED4, XDP_PASS, true },
	[C_VIOLATION] = { "out-of-fingerprint drop (flood)", P_IFN, F_VIOLATION, XDP_DROP, true },
	[C_QUARANTINE] = { "quarantined device", P_IFN, F_ALLOWED4, XDP_DROP, true },
	[C_LEARN] = { "learning insert (new flow each packet)", P_MUT_PEER, F_LEARN, XDP_PASS,
		      true },
	[C_LEARN_CTRL] = { "(control: mutator + tail call + XDP_DROP)", P_MUT_PEER, F_LEARN,
			   XDP_DROP, false },
	[C_UNKNOWN_FULL] = { "unknown device, table full", P_IFN, F_UNKNOWN, XDP_DROP, true },
	[C_IPV6] = { "allowed flow, IPv6", P_IFN, F_ALLOWED6, XDP_PASS, true },
	[C_VLAN] = { "allowed flow, VLAN-tagged", P_IFN, F_VLAN4, XDP_PASS, true },
	[C_RULES_DROP] = { "drop, device with prefix rules (2 LPM misses)", P_IFN, F_VIOLATION,
			   XDP_DROP, true, true },
	[C_RULES_ALLOWED] = { "allowed by a port-any prefix rule (LPM hit)", P_IFN, F_RULE_ALLOWED,
			      XDP_PASS, true, true },
	[C_XDPF_ALLOWED] = { "xdp-filter, allowed frame (deny-list: full walk)", P_XDPF_DENY,
			     F_ALLOWED4, XDP_PASS, true },
	[C_XDPF_DROP] = { "xdp-filter, drop by source MAC", P_XDPF_DENY, F_COMPROMISED, XDP_DROP,
			  true },
	[C_XDPFA_ALLOWED] = { "xdp-filter, allowed frame (allow-list: MAC hit)", P_XDPF_ALLOW,
			      F_ALLOWED4, XDP_PASS, true, true },
	[C_ST1] = { "parse the headers", P_ST1, F_ALLOWED4, XDP_PASS, false },
	[C_ST2] = { "+ settings and global counters lookups, clock", P_ST2, F_ALLOWED4, XDP_PASS,
		    false },
	[C_ST3] = { "+ device lookup (hash, 8-byte key)", P_ST3, F_ALLOWED4, XDP_PASS, false },
	[C_ST4] = { "+ device counters lookup, all counter updates", P_ST4, F_ALLOWED4, XDP_PASS,
		    false },
	[C_ST5] = { "+ mode deadline, address tracking, baseline check", P_ST5, F_ALLOWED4,
		    XDP_PASS, false },
	[C_ST5_VIOL] = { "stage 5 on the scan frame", P_ST5, F_VIOLATION, XDP_PASS, false },
};

struct opts {
	__u32 repeat;
	int rounds;
	int nd_rounds;
	__u32 nd_repeat;
	__u32 devs[4];
	int ndevs;
	__u32 flows[4];
	int nflows;
	int cpu;
	const char *xdpf_deny; /* NS/IF */
	const char *xdpf_allow;
	const char *md, *log;
	const char *stages; /* path of stages.bpf.o, or NULL */
	double budget; /* seconds for the whole suite; 0: no limit */
	const char *profile; /* comma-separated case names */
	const char *profile_dir;
	double profile_secs;
};

struct bench {
	struct opts o;
	struct ifb_out out;
	struct iotfence *skel;
	struct ifn_maps m;
	struct bench_base *base;
	struct bpf_object *stages;
	bool stage_point; /* measure the stages at this point */
	int fd[P_MAX];
	__u8 frame[F_MAX][128];
	__u32 flen[F_MAX];
	__u8 a_mac[6];
	__u32 ndev;
	__u32 *slot_of; /* the slot of device i (dev_mac(i)) */
	__u64 nfill; /* filler flows installed */
	struct ifn_flow_key *learn_keys;
	__u32 learn_seq0;
	/* samples[point][case] */
	struct ifb_samples (*ns)[C_MAX];
	bool have[C_MAX];
	int npoints;
	__u32 pt_dev[16], pt_flow[16];
};

static void dev_mac(__u32 i, __u8 mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0xbe;
	mac[2] = (__u8)(i >> 24);
	mac[3] = (__u8)(i >> 16);
	mac[4] = (__u8)(i >> 8);
	mac[5] = (__u8)i;
}

static void map4(__u8 peer[16], __u32 host)
{
	__u32 be = htonl(host);

	memset(peer, 0, 16);
	peer[10] = 0xff;
	peer[11] = 0xff;
	memcpy(peer + 12, &be, 4);
}

/* An exact flow key, built by the agent's own code from a rule. */
static void flow_key(struct ifn_flow_key *k, const __u8 mac[6], __u32 peer4, const __u8 *peer6,
		     __u16 port)
{
	struct ifn_rule r = {};

	memcpy(r.mac, mac, 6);
	r.proto = 6;
	r.port = port;
	r.dir = IFN_DIR_CLIENT;
	r.plen = 128;
	if (peer6)
		memcpy(r.peer, peer6, 16);
	else
		map4(r.peer, peer4);
	ifn_rule_to_flow(&r, k);
}

static void build_frames(struct bench *b)
{
	struct ifb_frame f;

	dev_mac(0, b->a_mac);
#define BASE(fr)                                 \
	do {                                     \
		memset(&fr, 0, sizeof(fr));      \
		memcpy(fr.src_mac, b->a_mac, 6); \
		memcpy(fr.dst_mac, gw_mac, 6);   \
		fr.proto = 6;                    \
		fr.len = 64;                     \
		ifb_ip4(fr.src, A_SRC4);         \
	} while (0)
#define PUT(id)                                                                        \
	do {                                                                           \
		b->flen[id] = ifb_frame_build(&f, b->frame[id], sizeof(b->frame[id])); \
		if (!b->flen[id])                                                      \
			ifb_die("frame %d does not build", id);                        \
	} while (0)

	/* A connection under way: ACK from an ephemeral port to the service. */
	BASE(f);
	ifb_ip4(f.dst, A_PEER4);
	f.sport = 49152;
	f.dport = 443;
	f.tcp_flags = 0x10;
	PUT(F_ALLOWED4);
	f.vlan = 1;
	PUT(F_VLAN4);

	BASE(f);
	f.v6 = 1;
	memcpy(f.src, a_src6, 16);
	memcpy(f.dst, a_peer6, 16);
	f.sport = 49152;
	f.dport = 443;
	f.tcp_flags = 0x10;
	PUT(F_ALLOWED6);

	/* Mirai's telnet scan: a SYN to port 23 of an address it never used. */
	BASE(f);
	ifb_ip4(f.dst, VIOL_PEER4);
	f.sport = 40001;
	f.dport = 23;
	f.tcp_flags = 0x02;
	PUT(F_VIOLATION);

	/* A SYN to a new server: the mutator gives each run a new peer. */
	BASE(f);
	ifb_ip4(f.dst, LEARN_PEER4);
	f.sport = 40002;
	f.dport = 443;
	f.tcp_flags = 0x02;
	PUT(F_LEARN);

	BASE(f);
	f.src_mac[1] = 0xee; /* never in the table */
	ifb_ip4(f.dst, A_PEER4);
	f.sport = 40003;
	f.dport = 443;
	f.tcp_flags = 0x02;
	PUT(F_UNKNOWN);

	BASE(f);
	ifb_ip4(f.dst, RULE_PEER4);
	f.sport = 50000;
	f.dport = 8080;
	f.tcp_flags = 0x10;
	PUT(F_RULE_ALLOWED);

	BASE(f);
	f.src_mac[1] = 0xcc; /* the MAC the deny-list names */
	ifb_ip4(f.dst, VIOL_PEER4);
	f.sport = 40004;
	f.dport = 23;
	f.tcp_flags = 0x02;
	PUT(F_COMPROMISED);

	BASE(f);
	f.src_mac[1] = 0xad;
	f.src_mac[2] = 0x00;
	ifb_ip4(f.src, FLOOD_SRC4);
	ifb_ip4(f.dst, A_PEER4);
	f.sport = 40005;
	f.dport = 443;
	f.tcp_flags = 0x02;
	PUT(F_NEWDEV);
#undef BASE
#undef PUT
}

/* The program attached to IF in namespace NS ("NS/IF"). */
static int xdp_prog_of(const char *spec)
{
	char ns[64], *ifn;
	__u32 id = 0;
	int fd = -1, ifindex;

	snprintf(ns, sizeof(ns), "%s", spec);
	ifn = strchr(ns, '/');
	if (!ifn)
		ifb_die("--xdpf-*: NS/IF expected, not %s", spec);
	*ifn++ = 0;
	if (ifb_netns_enter(ns))
		ifb_die("cannot enter netns %s", ns);
	ifindex = if_nametoindex(ifn);
	if (ifindex && !bpf_xdp_query_id(ifindex, 0, &id) && id)
		fd = bpf_prog_get_fd_by_id(id);
	ifb_netns_home();
	if (fd < 0)
		ifb_die("no XDP program on %s", spec);
	return fd;
}

/*
 * When profiling, perf samples only while a test run is under way: setup
 * and cleanup (batch deletes of learned flows) stay out of the profile.
 * perf's control FIFOs take "enable"/"disable" and answer "ack".
 */
static int perf_ctl = -1, perf_ack = -1;

static void perf_switch(bool on)
{
	char ack[16];

	if (perf_ctl < 0)
		return;
	if (write(perf_ctl, on ? "enable\n" : "disable\n", on ? 7 : 8) < 0 ||
	    read(perf_ack, ack, sizeof(ack)) <= 0)
		ifb_die("perf control: %s", strerror(errno));
}

static double run_once(struct bench *b, int fd, enum frame_id fr, __u32 repeat, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = b->frame[fr], .data_size_in = b->flen[fr],
		    .repeat = repeat);
	__u64 t0, t1;

	perf_switch(true);
	t0 = ifb_thread_cpu_ns();
	if (bpf_prog_test_run_opts(fd, &o))
		ifb_die("test run: %s", strerror(errno));
	t1 = ifb_thread_cpu_ns();
	perf_switch(false);
	*retval = o.retval;
	ifb_log(&b->out, "    run fd %d frame %d: %.2f ns (kernel %u ns)\n", fd, fr,
		(double)(t1 - t0) / repeat, o.duration);
	return (double)(t1 - t0) / repeat;
}

static void dev_get(struct bench *b, struct ifn_device *d)
{
	if (ifn_device_get(&b->m, b->a_mac, d))
		ifb_die("device A is gone");
}

/* The whole record, in place: no frame runs while the bench sets up. */
static void dev_put(struct bench *b, const struct ifn_device *d)
{
	struct ifn_device *rec = ifn_device_rec(&b->m, b->a_mac);

	if (!rec)
		ifb_die("device A: update failed");
	*rec = *d;
}

static void set_mode(struct bench *b, __u8 mode)
{
	struct ifn_device d;

	dev_get(b, &d);
	d.mode_word = ifn_mode_word(mode, mode, 0);
	dev_put(b, &d);
}

static void set_next(struct bench *b, int fd)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(b->base->maps.bench_next), &zero, &fd, BPF_ANY))
		ifb_die("prog array: %s", strerror(errno));
}

static __u32 saved_slots[SPARE_DEVICES * 2];
static int nsaved;

/* Empty the free-slot queue: the table is then full for new MACs. */
static void drain_slots(struct bench *b)
{
	__u32 s;

	nsaved = 0;
	while (nsaved < (int)(sizeof(saved_slots) / sizeof(saved_slots[0])) &&
	       !bpf_map_lookup_and_delete_elem(b->m.free_slots, NULL, &s))
		saved_slots[nsaved++] = s;
}

static void restore_slots(struct bench *b)
{
	for (int i = 0; i < nsaved; i++)
		bpf_map_update_elem(b->m.free_slots, NULL, &saved_slots[i], BPF_ANY);
	nsaved = 0;
}

static void learn_cleanup(struct bench *b, __u32 n, __u32 flow_count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	struct ifn_device d;
	__u32 done = 0;

	for (__u32 i = 0; i < n; i++)
		flow_key(&b->learn_keys[i], b->a_mac, LEARN_PEER4 + b->learn_seq0 + i, NULL, 443);
	while (done < n) {
		__u32 cnt = n - done;

		if (bpf_map_delete_batch(b->m.flows, &b->learn_keys[done], &cnt, &bo))
			ifb_die("deleting learned flows: %s (%u of %u)", strerror(errno),
				done + cnt, n);
		done += cnt;
	}
	dev_get(b, &d);
	d.flow_count = flow_count;
	d.mode_word = ifn_mode_word(IFN_MODE_ENFORCE, IFN_MODE_ENFORCE, 0);
	d.fp_gen++;
	dev_put(b, &d);
}

static void set_rule_flags(struct bench *b, bool on)
{
	struct ifn_device d;

	dev_get(b, &d);
	if (on)
		d.flags |= IFN_DEV_F_PORT_RULES | IFN_DEV_F_ANY_RULES;
	else
		d.flags &= ~(IFN_DEV_F_PORT_RULES | IFN_DEV_F_ANY_RULES);
	dev_put(b, &d);
}

static bool case_available(struct bench *b, enum pcase c)
{
	if ((cases[c].prog >= P_ST1 || cases[c].ref_only) && !b->stage_point)
		return false;
	return b->fd[cases[c].prog] >= 0;
}

/* One measurement of one case, with its setup, checks and teardown. */
static double measure(struct bench *b, enum pcase c, __u32 repeat)
{
	const struct pcase_def *d = &cases[c];
	struct ifn_global_stats g0, g1;
	struct ifn_device dv0, dv1;
	__u32 ret = 0, want = 0, got = 0;
	const char *what = NULL;
	double ns;

	switch (c) {
	case C_QUARANTINE:
		set_mode(b, IFN_MODE_QUARANTINE);
		break;
	case C_LEARN:
		set_mode(b, IFN_MODE_LEARN);
		set_next(b, b->fd[P_IFN]);
		b->learn_seq0 = b->base->bss->bench_peer_seq;
		break;
	case C_LEARN_CTRL:
		set_next(b, b->fd[P_DROP]);
		break;
	case C_UNKNOWN_FULL:
		drain_slots(b);
		break;
	case C_RULES_DROP:
	case C_RULES_ALLOWED:
		set_rule_flags(b, true);
		break;
	default:
		break;
	}
	ifn_global_stats_read(&b->m, &g0);
	dev_get(b, &dv0);

	ns = run_once(b, b->fd[d->prog], d->frame, repeat, &ret);

	ifn_global_stats_read(&b->m, &g1);
	dev_get(b, &dv1);
	switch (c) {
	case C_ALLOWED:
	case C_IPV6:
	case C_VLAN:
	case C_RULES_ALLOWED:
		what = "pass verdicts";
		got = g1.verdict[IFN_VERDICT_PASS] - g0.verdict[IFN_VERDICT_PASS];
		want = repeat;
		break;
	case C_VIOLATION:
	case C_RULES_DROP:
		what = "not_in_fingerprint drops";
		got = g1.reason[IFN_REASON_NOT_IN_FINGERPRINT] -
		      g0.reason[IFN_REASON_NOT_IN_FINGERPRINT];
		want = repeat;
		break;
	case C_QUARANTINE:
		what = "quarantine drops";
		got = g1.reason[IFN_REASON_QUARANTINE] - g0.reason[IFN_REASON_QUARANTINE];
		want = repeat;
		set_mode(b, IFN_MODE_ENFORCE);
		break;
	case C_LEARN:
		what = "flows learned";
		got = dv1.flow_count - dv0.flow_count;
		want = repeat;
		learn_cleanup(b, b->base->bss->bench_peer_seq - b->learn_seq0, dv0.flow_count);
		break;
	case C_UNKNOWN_FULL:
		what = "table_full";
		got = g1.table_full - g0.table_full;
		want = repeat;
		restore_slots(b);
		break;
	default:
		break;
	}
	if (c == C_RULES_DROP || c == C_RULES_ALLOWED)
		set_rule_flags(b, false);
	if (ret != (__u32)d->action)
		ifb_die("%s: XDP action %u, expected %d", d->name, ret, d->action);
	if (what && got != want)
		ifb_die("%s: %u %s in a run of %u", d->name, got, what, want);
	return ns;
}

static void batch_update(int fd, const void *keys, const void *vals, __u32 n, size_t ksz,
			 size_t vsz, const char *what)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
	__u32 done = 0;

	while (done < n) {
		__u32 cnt = n - done < BATCH ? n - done : BATCH;

		if (bpf_map_update_batch(fd, (const char *)keys + done * ksz,
					 (const char *)vals + done * vsz, &cnt, &bo))
			ifb_die("%s: batch update: %s", what, strerror(errno));
		done += cnt;
	}
}

/*
 * Devices as ifn_device_create makes them (a free slot each, enforce,
 * created now), written in batches; device A gets its addresses so that
 * its frames take the common no-change path of address tracking.
 */
static void make_devices(struct bench *b, __u32 n)
{
	struct ifn_mac_key *keys = calloc(n, sizeof(*keys));
	struct ifn_device *vals = calloc(n, sizeof(*vals));
	__u32 *slots = calloc(n, sizeof(*slots));
	__u64 now = ifn_now_mono();
	__u32 be = htonl(A_SRC4);

	if (!keys || !vals || !slots)
		ifb_die("out of memory");
	for (__u32 i = 0; i < n; i++) {
		struct ifn_device *d = &vals[i];
		__u32 ip = htonl(0x0a000001U + i);

		dev_mac(i, keys[i].mac);
		if (bpf_map_lookup_and_delete_elem(b->m.free_slots, NULL, &d->slot))
			ifb_die("free slots: %s", strerror(errno));
		slots[i] = d->slot;
		memcpy(d->mac, keys[i].mac, 6);
		d->in_use = 1;
		d->mode_word = ifn_mode_word(IFN_MODE_ENFORCE, IFN_MODE_ENFORCE, 0);
		d->created_ns = now;
		d->scan_window_ns = now;
		memcpy(d->ipv4, &ip, 4);
	}
	memcpy(vals[0].ipv4, &be, 4);
	memcpy(vals[0].ipv6, a_src6, 16);
	vals[0].flow_count = 2;
	/* Records in place, then the index that publishes them, in batches. */
	for (__u32 i = 0; i < n; i++)
		b->m.dev_mem[slots[i]] = vals[i];
	batch_update(b->m.dev_index, keys, slots, n, sizeof(*keys), sizeof(*slots), "devices");

	/* The count-only program knows the same MACs. */
	{
		size_t vsz = sizeof(__u64) * libbpf_num_possible_cpus();
		char *cv = calloc(n, vsz);

		if (!cv)
			ifb_die("out of memory");
		batch_update(bpf_map__fd(b->base->maps.bench_counts), keys, cv, n, sizeof(*keys),
			     vsz, "counts");
		free(cv);
	}
	free(keys);
	free(vals);
	free(b->slot_of);
	b->slot_of = slots;
	b->ndev = n;
}

/* A's own flows, and its prefix rules (flags off until a case wants them). */
static void make_a_rules(struct bench *b)
{
	struct ifn_flow_val v = { .added_ns = ifn_now_mono(), .origin = IFN_ORIGIN_MANUAL };
	static const char *const rules[] = { "udp/123 any", "tcp 198.18.0.0/15" };
	struct ifn_device *rec = &b->m.dev_mem[b->slot_of[0]];
	struct ifn_flow_key k;
	char err[128];

	/* As the agent writes flows: the device's peer filter first. */
	flow_key(&k, b->a_mac, A_PEER4, NULL, 443);
	ifn_exact_peers_add(rec->exact_peers, &k);
	if (bpf_map_update_elem(b->m.flows, &k, &v, BPF_ANY))
		ifb_die("flow: %s", strerror(errno));
	flow_key(&k, b->a_mac, 0, a_peer6, 443);
	ifn_exact_peers_add(rec->exact_peers, &k);
	if (bpf_map_update_elem(b->m.flows, &k, &v, BPF_ANY))
		ifb_die("flow: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct ifn_rule r;

		if (ifn_rule_parse(rules[i], &r, err, sizeof(err)))
			ifb_die("rule %s: %s", rules[i], err);
		memcpy(r.mac, b->a_mac, 6);
		r.origin = IFN_ORIGIN_MANUAL;
		if (ifn_rule_install(&b->m, &r))
			ifb_die("rule %s: install failed", rules[i]);
	}
	set_rule_flags(b, false);
}

/* Filler flows up to @total (A's two included), spread over all devices. */
static void grow_flows(struct bench *b, __u64 total)
{
	__u64 want = total > 2 ? total - 2 : 0;
	__u32 n = (__u32)(want - b->nfill), i;
	struct ifn_flow_key *keys;
	struct ifn_flow_val *vals;

	if (want <= b->nfill)
		return;
	keys = calloc(n, sizeof(*keys));
	vals = calloc(n, sizeof(*vals));
	if (!keys || !vals)
		ifb_die("out of memory");
	for (i = 0; i < n; i++) {
		__u64 j = b->nfill + i;
		__u8 mac[6];

		dev_mac((__u32)(j % b->ndev), mac);
		flow_key(&keys[i], mac, FILL_PEER4 + (__u32)j, NULL, 443 + (__u16)(j % 16));
		ifn_exact_peers_add(b->m.dev_mem[b->slot_of[j % b->ndev]].exact_peers, &keys[i]);
		vals[i].added_ns = 1;
		vals[i].origin = IFN_ORIGIN_POLICY;
	}
	batch_update(b->m.flows, keys, vals, n, sizeof(*keys), sizeof(*vals), "flows");
	free(keys);
	free(vals);
	b->nfill = want;
}

/* The ablation object, on the maps of the iotfence instance just loaded. */
static void load_stages(struct bench *b)
{
	static const char *const progs[] = { "st1_parse", "st2_globals", "st3_device",
					     "st4_counters", "st5_decide" };
	struct bpf_map *map;

	for (int i = 0; i < 5; i++)
		b->fd[P_ST1 + i] = -1;
	b->stages = NULL;
	if (!b->o.stages || access(b->o.stages, R_OK))
		return;
	b->stages = bpf_object__open_file(b->o.stages, NULL);
	if (!b->stages) {
		ifb_log(&b->out, "stages: cannot open %s\n", b->o.stages);
		return;
	}
	bpf_object__for_each_map(map, b->stages)
	{
		struct bpf_map *theirs;

		if (strncmp(bpf_map__name(map), "ifn_", 4))
			continue;
		bpf_map__set_pin_path(map, NULL);
		theirs = bpf_object__find_map_by_name(b->skel->obj, bpf_map__name(map));
		if (!theirs)
			goto fail;
		/* Replay's own maps: the live program has none, nor do the stages use them. */
		if (bpf_map__fd(theirs) < 0) {
			if (bpf_map__set_autocreate(map, false))
				goto fail;
			continue;
		}
		if (bpf_map__reuse_fd(map, bpf_map__fd(theirs)))
			goto fail;
	}
	if (bpf_object__load(b->stages))
		goto fail;
	for (int i = 0; i < 5; i++) {
		struct bpf_program *pr = bpf_object__find_program_by_name(b->stages, progs[i]);

		if (!pr)
			goto fail;
		b->fd[P_ST1 + i] = bpf_program__fd(pr);
	}
	return;
fail:
	ifb_log(&b->out, "stages: cannot load %s: the ablation is left out\n", b->o.stages);
	for (int i = 0; i < 5; i++)
		b->fd[P_ST1 + i] = -1;
	bpf_object__close(b->stages);
	b->stages = NULL;
}

static void load_point_state(struct bench *b, __u32 ndev, __u32 max_flows)
{
	struct ifn_load_opts lo = {
		.pin_dir = NULL,
		.max_devices = ndev + SPARE_DEVICES,
		.max_flows = max_flows,
		.quiet = true,
	};
	struct ifn_config cfg;
	bool fresh;
	int err;

	ifn_config_defaults(&cfg);
	/* Learning must not stop at the cap while a run inserts N flows. */
	cfg.fingerprint_cap = 0xffffffffU;
	err = ifn_load(&lo, &cfg, &b->skel, &fresh);
	if (err)
		ifb_die("loading iotfence: %s", strerror(-err));
	if (ifn_maps_from_skel(&b->m, b->skel))
		ifb_die("iotfence maps");
	b->fd[P_IFN] = ifn_skel_prog_fd(b->skel);

	b->base = bench_base__open();
	if (!b->base)
		ifb_die("bench_base open");
	bpf_map__set_max_entries(b->base->maps.bench_counts, ndev + SPARE_DEVICES);
	if (bench_base__load(b->base))
		ifb_die("bench_base load");
	b->fd[P_DROP] = bpf_program__fd(b->base->progs.bench_drop);
	b->fd[P_COUNT] = bpf_program__fd(b->base->progs.bench_count);
	b->fd[P_MUT_PEER] = bpf_program__fd(b->base->progs.bench_mut_peer);
	b->fd[P_MUT_SRC] = bpf_program__fd(b->base->progs.bench_mut_src);
	b->base->bss->bench_peer_base = LEARN_PEER4;
	b->base->bss->bench_src_base = FLOOD_SRC4;
	b->nfill = 0;
	make_devices(b, ndev);
	make_a_rules(b);
	load_stages(b);
}

static void unload_point_state(struct bench *b)
{
	__u32 zero = 0;

	bpf_map_delete_elem(bpf_map__fd(b->base->maps.bench_next), &zero);
	bench_base__destroy(b->base);
	b->base = NULL;
	if (b->stages)
		bpf_object__close(b->stages);
	b->stages = NULL;
	ifn_unload(b->skel);
	b->skel = NULL;
}

static void measure_point(struct bench *b, int pt, int rounds)
{
	enum pcase order[C_MAX];
	int n = 0;

	for (int c = 0; c < C_MAX; c++)
		if (case_available(b, c))
			order[n++] = c;
	/* A short warm-up of every case, not recorded. */
	for (int i = 0; i < n; i++)
		measure(b, order[i], b->o.repeat / 20 ? b->o.repeat / 20 : 1);
	for (int r = 0; r < rounds; r++) {
		double t[C_MAX] = { 0 };

		ifb_log(&b->out, "  round %d\n", r);
		for (int i = 0; i < n; i++) {
			enum pcase c = order[(i + r) % n];

			t[c] = measure(b, c, b->o.repeat);
		}
		for (int i = 0; i < n; i++) {
			enum pcase c = order[i];
			double v = t[c];

			/* The learning row is the insert path alone: the mutator's
			 * cost is measured by its control and taken off.
			 */
			if (c == C_LEARN)
				v = t[C_LEARN] - t[C_LEARN_CTRL] + t[C_DROP];
			ifb_add(&b->ns[pt][c], v);
			b->have[c] = true;
		}
	}
}

/*
 * The new-device path: each repetition is a MAC (and IPv4 source) never
 * seen, so each inserts a device record, takes a stats slot, learns its
 * first flow (new devices learn by default) and tries a NEW_DEVICE event.
 * The table must hold every one of them, so this runs on its own state,
 * made fresh for each round.
 */
static void measure_new_devices(struct bench *b, struct ifb_samples *est, struct ifb_samples *raw,
				struct ifb_samples *rd, struct ifb_samples *rc)
{
	for (int r = 0; r < b->o.nd_rounds; r++) {
		struct ifn_load_opts lo = {
			.max_devices = b->o.nd_repeat + SPARE_DEVICES,
			.max_flows = b->o.nd_repeat + SPARE_DEVICES,
			.quiet = true,
		};
		struct ifn_global_stats g0, g1;
		double t_ifn, t_ctrl, t_drop, t_count;
		struct ifn_config cfg;
		struct iotfence *skel;
		struct ifn_maps m;
		__u64 t0 = ifb_now_ns();
		__u32 ret;
		bool fresh;

		ifn_config_defaults(&cfg);
		cfg.fingerprint_cap = 0xffffffffU;
		if (ifn_load(&lo, &cfg, &skel, &fresh) || ifn_maps_from_skel(&m, skel))
			ifb_die("loading iotfence for new devices");
		ifb_log(&b->out, "  new devices: state of %u slots made in %.2f s\n",
			lo.max_devices, (ifb_now_ns() - t0) / 1e9);

		set_next(b, b->fd[P_DROP]);
		t_ctrl = run_once(b, b->fd[P_MUT_SRC], F_NEWDEV, b->o.nd_repeat, &ret);
		t_drop = run_once(b, b->fd[P_DROP], F_NEWDEV, b->o.nd_repeat, &ret);
		t_count = run_once(b, b->fd[P_COUNT], F_NEWDEV, b->o.nd_repeat, &ret);

		set_next(b, ifn_skel_prog_fd(skel));
		b->base->bss->bench_src_seq = 0;
		ifn_global_stats_read(&m, &g0);
		t_ifn = run_once(b, b->fd[P_MUT_SRC], F_NEWDEV, b->o.nd_repeat, &ret);
		ifn_global_stats_read(&m, &g1);
		if (g1.new_devices - g0.new_devices != b->o.nd_repeat)
			ifb_die("new devices: %llu made in a run of %u",
				(unsigned long long)(g1.new_devices - g0.new_devices),
				b->o.nd_repeat);
		{
			__u32 zero = 0;

			bpf_map_delete_elem(bpf_map__fd(b->base->maps.bench_next), &zero);
		}
		ifn_unload(skel);
		ifb_add(raw, t_ifn);
		ifb_add(est, t_ifn - t_ctrl + t_drop);
		ifb_add(rd, (t_ifn - t_ctrl + t_drop) / t_drop);
		ifb_add(rc, (t_ifn - t_ctrl + t_drop) / t_count);
		ifb_log(&b->out, "  new devices round %d: raw %.1f ctrl %.1f drop %.1f\n", r, t_ifn,
			t_ctrl, t_drop);
	}
}

/* Sizes of the programs, kept while they are loaded, printed at the end. */
static char progs_md[4096];

static void prog_line(struct bench *b, const char *name, int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	size_t used = strlen(progs_md);

	(void)b;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	snprintf(progs_md + used, sizeof(progs_md) - used, "| %s | %u | %u | %u | %u |\n", name,
		 info.xlated_prog_len / 8, info.jited_prog_len, info.verified_insns,
		 info.nr_map_ids);
}

static void record_progs(struct bench *b)
{
	progs_md[0] = 0;
	prog_line(b, "iotfence_xdp", b->fd[P_IFN]);
	prog_line(b, "bench_drop", b->fd[P_DROP]);
	prog_line(b, "bench_count", b->fd[P_COUNT]);
	prog_line(b, "bench_mut_peer (mutator)", b->fd[P_MUT_PEER]);
	prog_line(b, "xdp-filter (deny-list config)", b->fd[P_XDPF_DENY]);
	prog_line(b, "xdp-filter (allow-list config)", b->fd[P_XDPF_ALLOW]);
}

static const char *fmt_count(__u32 n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%uM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%uk", n / 1000);
	else
		snprintf(buf, len, "%u", n);
	return buf;
}

static void verdict(FILE *md, const char *target, bool met, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void verdict(FILE *md, const char *target, bool met, const char *fmt, ...)
{
	va_list ap;

	fprintf(md, "| %s | %s | ", target, met ? "met" : "**missed**");
	va_start(ap, fmt);
	vfprintf(md, fmt, ap);
	va_end(ap);
	fprintf(md, " |\n");
}

/*
 * A case's figure at a point: the best of its rounds. Other work on the
 * machine only ever adds time to a run, so the least disturbed round is the
 * closest to the program's own cost; the median and spread are shown next
 * to it.
 */
static double best(struct bench *b, int p, enum pcase c)
{
	return ifb_min(&b->ns[p][c]);
}

static double ratio_at(struct bench *b, int p, enum pcase a, enum pcase d)
{
	return best(b, p, a) / best(b, p, d);
}

static int ref_point;

static void target_row(struct bench *b, FILE *md, const char *target, enum pcase a, enum pcase d,
		       double limit, const char *extra)
{
	struct ifb_samples pts = {};
	double worst = 0, best = 1e30;
	int met = 0;

	for (int p = 0; p < b->npoints; p++) {
		double r;

		if (!b->ns[p][a].n || !b->ns[p][d].n)
			continue;
		r = ratio_at(b, p, a, d);
		ifb_add(&pts, r);
		worst = r > worst ? r : worst;
		best = r < best ? r : best;
		met += r <= limit;
	}
	fprintf(md, "| %s | %s | %.2f× (median of %d points; %.2f× to %.2f×)", target,
		met == pts.n		  ? "met" :
		ifb_median(&pts) <= limit ? "borderline" :
					    "**missed**",
		ifb_median(&pts), pts.n, best, worst);
	if (extra && a == C_VIOLATION) {
		fprintf(md, "; ");
		fprintf(md, extra, ratio_at(b, ref_point, C_QUARANTINE, C_COUNT));
	} else if (extra && b->ns[ref_point][C_XDPFA_ALLOWED].n) {
		fprintf(md, "; ");
		fprintf(md, extra, ratio_at(b, ref_point, C_ALLOWED, C_XDPFA_ALLOWED));
	}
	fprintf(md, " |\n");
}

static void report(struct bench *b, int ref, struct ifb_samples nd[4])
{
	FILE *md = b->out.md;
	char d1[16], f1[16];
	double flat_raw[C_MAX], flat_norm[C_MAX];

	ref_point = ref;

	fprintf(md, "### Per packet (BPF_PROG_TEST_RUN, repeat %u, %d rounds)\n\n", b->o.repeat,
		b->ns[ref][C_DROP].n);
	fprintf(md,
		"At %s devices and %s flows. ns per packet: the best of the rounds (a busy "
		"machine only adds time), then the median and the spread (half of max-min, %% "
		"of the median); ratios of the best figures. \"net\" is the best minus bare "
		"XDP_DROP's, i.e. without the test-run loop.\n\n",
		fmt_count(b->pt_dev[ref], d1, sizeof(d1)),
		fmt_count(b->pt_flow[ref], f1, sizeof(f1)));
	fprintf(md, "| path | ns/pkt | median | ± | net ns | × XDP_DROP | × count-only |\n");
	fprintf(md, "|---|---:|---:|---:|---:|---:|---:|\n");
	for (int c = 0; c < C_MAX; c++) {
		if (!b->have[c] || !cases[c].main_row || !b->ns[ref][c].n)
			continue;
		fprintf(md, "| %s | %.1f | %.1f | %.0f%% | %.1f | %.2f | %.2f |\n", cases[c].name,
			best(b, ref, c), ifb_median(&b->ns[ref][c]), ifb_spread_pct(&b->ns[ref][c]),
			best(b, ref, c) - best(b, ref, C_DROP), ratio_at(b, ref, c, C_DROP),
			ratio_at(b, ref, c, C_COUNT));
	}
	if (nd[0].n)
		fprintf(md,
			"| new device (insert; %s MAC/IP flood, %d rounds) | %.1f | %.1f | %.0f%% | %.1f | %.2f | %.2f |\n",
			fmt_count(b->o.nd_repeat, d1, sizeof(d1)), nd[0].n, ifb_min(&nd[0]),
			ifb_median(&nd[0]), ifb_spread_pct(&nd[0]),
			ifb_min(&nd[0]) - best(b, ref, C_DROP), ifb_min(&nd[2]), ifb_min(&nd[3]));
	fprintf(md, "\n");

	if (b->have[C_ST5]) {
		static const enum pcase chain[] = { C_DROP, C_ST1, C_ST2,    C_ST3,
						    C_ST4,  C_ST5, C_ALLOWED };
		double prev = 0;

		fprintf(md,
			"### Where the allowed path's time goes (ablation at %s devices / %s "
			"flows)\n\n",
			fmt_count(b->pt_dev[ref], d1, sizeof(d1)),
			fmt_count(b->pt_flow[ref], f1, sizeof(f1)));
		fprintf(md,
			"The datapath cut short after each stage (bench/stages.bpf.c, the "
			"datapath's own functions on the same maps), same frame, same rounds; "
			"\"adds\" is the difference of the best figures; a few ns either way is noise.\n\n");
		fprintf(md, "| stage | ns/pkt | adds |\n|---|---:|---:|\n");
		for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
			double v = best(b, ref, chain[i]);
			const char *name = chain[i] == C_DROP	 ? "test-run loop + XDP_DROP" :
					   chain[i] == C_ALLOWED ? "+ fingerprint lookup (hash, "
								   "28-byte key): the whole "
								   "allowed path" :
								   cases[chain[i]].name;

			fprintf(md, "| %s | %.1f | %s%.1f |\n", name, v, i ? "+" : "",
				i ? v - prev : 0.0);
			prev = v;
		}
		if (b->have[C_ST5_VIOL])
			fprintf(md,
				"| out-of-fingerprint drop: stage 5 on the scan frame → whole "
				"path (fingerprint miss, violation event limit, scan sketch) | "
				"%.1f → %.1f | +%.1f |\n",
				best(b, ref, C_ST5_VIOL), best(b, ref, C_VIOLATION),
				best(b, ref, C_VIOLATION) - best(b, ref, C_ST5_VIOL));
		fprintf(md, "\n");
	}

	fprintf(md, "### Per packet at scale (ns/pkt, best of the rounds)\n\n| path |");
	for (int p = 0; p < b->npoints; p++)
		fprintf(md, " %s dev / %s fl |", fmt_count(b->pt_dev[p], d1, sizeof(d1)),
			fmt_count(b->pt_flow[p], f1, sizeof(f1)));
	fprintf(md, " max/min | max/min of × XDP_DROP |\n|---|");
	for (int p = 0; p < b->npoints; p++)
		fprintf(md, "---:|");
	fprintf(md, "---:|---:|\n");
	for (int c = 0; c < C_MAX; c++) {
		double lo = 1e30, hi = 0, nlo = 1e30, nhi = 0;

		flat_raw[c] = flat_norm[c] = 0;
		if (!b->have[c] || !cases[c].main_row)
			continue;
		fprintf(md, "| %s |", cases[c].name);
		for (int p = 0; p < b->npoints; p++) {
			double v = best(b, p, c), nv = ratio_at(b, p, c, C_DROP);

			if (!b->ns[p][c].n) {
				fprintf(md, " – |");
				continue;
			}
			fprintf(md, " %.1f |", v);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
			nlo = nv < nlo ? nv : nlo;
			nhi = nv > nhi ? nv : nhi;
		}
		flat_raw[c] = hi / lo;
		flat_norm[c] = nhi / nlo;
		fprintf(md, " %.2f | %.2f |\n", flat_raw[c], flat_norm[c]);
	}
	fprintf(md, "\n");

	fprintf(md, "### Programs\n\n| program | xlated insns | jited bytes | verifier insns "
		    "processed | maps |\n|---|---:|---:|---:|---:|\n");
	fprintf(md, "%s\n", progs_md);

	/*
	 * Targets, at every point. The verdict is "met" when every point meets
	 * it, "borderline" when the median point does but some do not (on a
	 * busy machine that is within the noise), "missed" otherwise.
	 */
	fprintf(md, "### Per-packet targets\n\n| target | verdict | measured |\n|---|---|---|\n");
	target_row(b, md, "allowed path ≤ 2× count-only", C_ALLOWED, C_COUNT, 2.0, NULL);
	target_row(b, md, "flood-drop path ≤ 1.2× count-only", C_VIOLATION, C_COUNT, 1.2,
		   "out-of-fingerprint drop; a quarantined device (where a scanning device "
		   "ends up) is at %.2f×");
	if (b->have[C_XDPF_ALLOWED])
		target_row(b, md, "allowed path no slower than xdp-filter", C_ALLOWED,
			   C_XDPF_ALLOWED, 1.0,
			   "against xdp-filter's deny-list configuration, which passes this frame "
			   "after its full walk (the equivalent configuration for this traffic); "
			   "against its allow-list configuration, where a source-MAC hit ends the "
			   "walk: %.2f×");
	{
		double wr = 0, wn = 0;
		int wc = C_ALLOWED;

		for (int c = C_ALLOWED; c < C_XDPF_ALLOWED; c++) {
			if (!b->have[c] || !cases[c].main_row || cases[c].ref_only || c == C_LEARN)
				continue;
			if (flat_norm[c] > wn) {
				wn = flat_norm[c];
				wc = c;
			}
			wr = flat_raw[c] > wr ? flat_raw[c] : wr;
		}
		verdict(md, "flat within 20% over devices and flows", wn <= 1.2,
			"worst iotfence path (%s): max/min %.2f of its ratio to XDP_DROP, %.2f "
			"of raw ns (learning excluded: it inserts 1M entries per run); warm "
			"caches, see the note",
			cases[wc].name, wn, wr);
	}
	fprintf(md, "\n");
}

/*
 * The rules the xdp-filter configurations need for the frames above
 * (peers.sh reads them): a deny-list naming the infected MAC and the
 * scanned ports, and an allow-list naming device A, its peer and port.
 */
static void write_xdpf_rules(const char *dir)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/xdpf-deny.rules", dir);
	f = fopen(path, "w");
	if (!f)
		ifb_die("cannot write %s", path);
	fprintf(f, "ether 02:cc:00:00:00:00 src\nport 23 dst tcp\nport 2323 dst tcp\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/xdpf-allow.rules", dir);
	f = fopen(path, "w");
	if (!f)
		ifb_die("cannot write %s", path);
	fprintf(f, "ether 02:be:00:00:00:00 src\nip 52.1.2.3 dst\nport 443 dst tcp\n");
	fclose(f);
}

static const char *const case_keys[C_MAX] = {
	[C_DROP] = "drop",
	[C_COUNT] = "count",
	[C_ALLOWED] = "allowed",
	[C_VIOLATION] = "violation",
	[C_QUARANTINE] = "quarantine",
	[C_LEARN] = "learn",
	[C_LEARN_CTRL] = "learn-control",
	[C_UNKNOWN_FULL] = "unknown-full",
	[C_IPV6] = "ipv6",
	[C_VLAN] = "vlan",
	[C_RULES_DROP] = "rules-drop",
	[C_RULES_ALLOWED] = "rules-allowed",
	[C_XDPF_ALLOWED] = "xdpf-allowed",
	[C_XDPF_DROP] = "xdpf-drop",
	[C_XDPFA_ALLOWED] = "xdpf-allowlist-allowed",
	[C_ST1] = "st1",
	[C_ST2] = "st2",
	[C_ST3] = "st3",
	[C_ST4] = "st4",
	[C_ST5] = "st5",
	[C_ST5_VIOL] = "st5-violation",
};

/*
 * Profiling: each named case runs over and over for a while, and perf
 * samples this CPU meanwhile (software cpu-clock: this VM has no hardware
 * counters). perf runs only around the loop, so making the state is not in
 * the profile.
 */
static void profile(struct bench *b)
{
	char *list = strdup(b->o.profile), *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char out[512], ctl[512], ack[512], cpu[16], ctlarg[1100];
		int c, pid, st;
		__u64 end;

		for (c = 0; c < C_MAX; c++)
			if (case_keys[c] && !strcmp(case_keys[c], tok))
				break;
		if (c == C_MAX || !case_available(b, c)) {
			ifb_log(&b->out, "profile: no case %s\n", tok);
			continue;
		}
		snprintf(out, sizeof(out), "%s/%s.perf", b->o.profile_dir, tok);
		snprintf(ctl, sizeof(ctl), "%s/%s.ctl", b->o.profile_dir, tok);
		snprintf(ack, sizeof(ack), "%s/%s.ack", b->o.profile_dir, tok);
		snprintf(ctlarg, sizeof(ctlarg), "fifo:%s,%s", ctl, ack);
		snprintf(cpu, sizeof(cpu), "%d", b->o.cpu);
		if (mkfifo(ctl, 0600) || mkfifo(ack, 0600))
			ifb_die("mkfifo: %s", strerror(errno));
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			/* Disabled until told; on this CPU only; no workload: until SIGINT. */
			execlp("perf", "perf", "record", "-q", "-D", "-1", "--control", ctlarg,
			       "-e", "cpu-clock", "-F", "20000", "-C", cpu, "-o", out,
			       (char *)NULL);
			_exit(127);
		}
		if (pid < 0)
			ifb_die("fork: %s", strerror(errno));
		perf_ctl = open(ctl, O_WRONLY | O_CLOEXEC);
		perf_ack = open(ack, O_RDONLY | O_CLOEXEC);
		if (perf_ctl < 0 || perf_ack < 0)
			ifb_die("perf control fifos: %s", strerror(errno));
		end = ifb_now_ns() + (__u64)(b->o.profile_secs * 1e9);
		while (ifb_now_ns() < end)
			measure(b, c, b->o.repeat);
		close(perf_ctl);
		close(perf_ack);
		perf_ctl = perf_ack = -1;
		kill(pid, SIGINT);
		waitpid(pid, &st, 0);
		unlink(ctl);
		unlink(ack);
		fprintf(stderr, "  profiled %s into %s\n", tok, out);
	}
	free(list);
}

static void parse_list(const char *s, __u32 *out, int *n)
{
	char *copy = strdup(s), *tok, *save = NULL;

	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok && *n < 4; tok = strtok_r(NULL, ",", &save))
		out[(*n)++] = (__u32)strtoul(tok, NULL, 0);
	free(copy);
}

/*
 * Rounds for the next point. With a time budget (`make bench` must end in
 * minutes on a shared 2-core machine), the points measured so far say how
 * long one takes; when the rest would not fit, later points get fewer
 * rounds, never fewer than 3. The new-device rounds are kept apart.
 */
static int plan_rounds(struct bench *b, int pt, __u64 t_start)
{
	double spent = (ifb_now_ns() - t_start) / 1e9, per_round, left;
	int done_rounds = 0, r;

	if (b->o.budget <= 0 || pt == 0)
		return b->o.rounds;
	for (int p = 0; p < pt; p++)
		done_rounds += b->ns[p][C_DROP].n;
	per_round = spent / done_rounds;
	left = b->o.budget - spent - b->o.nd_rounds * 8.0;
	r = (int)(left / (per_round * (b->npoints - pt)));
	if (r > b->o.rounds)
		r = b->o.rounds;
	if (r < 3)
		r = 3;
	if (r < b->o.rounds)
		ifb_log(&b->out, "budget: %.0f s spent, %d rounds for the next point\n", spent, r);
	return r;
}

/* The reference point: 1,000 devices and 100,000 flows, else the first. */
static bool is_ref(struct bench *b, int di, int fi)
{
	bool has = false;

	for (int i = 0; i < b->o.ndevs; i++)
		for (int j = 0; j < b->o.nflows; j++)
			has |= b->o.devs[i] == 1000 && b->o.flows[j] == 100000;
	if (!has)
		return di == 0 && fi == 0;
	return b->o.devs[di] == 1000 && b->o.flows[fi] == 100000;
}

int ifb_pkt_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "devices", required_argument, NULL, 'd' },
		{ "flows", required_argument, NULL, 'f' },
		{ "new-device-repeat", required_argument, NULL, 'n' },
		{ "new-device-rounds", required_argument, NULL, 'N' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "xdpf-deny", required_argument, NULL, 'x' },
		{ "xdpf-allow", required_argument, NULL, 'X' },
		{ "md", required_argument, NULL, 'm' },
		{ "log", required_argument, NULL, 'l' },
		{ "write-xdpf-rules", required_argument, NULL, 'w' },
		{ "stages", required_argument, NULL, 's' },
		{ "budget", required_argument, NULL, 'B' },
		{ "profile", required_argument, NULL, 'P' },
		{ "profile-dir", required_argument, NULL, 'D' },
		{ "profile-secs", required_argument, NULL, 'S' },
		{},
	};
	struct ifb_samples nd[4] = {};
	struct bench *b = calloc(1, sizeof(*b));
	int opt, ref = 0, rounds;
	__u64 t_start;
	__u32 max_flows;

	if (!b)
		ifb_die("out of memory");
	b->o.repeat = 1000000;
	b->o.rounds = 5;
	b->o.nd_repeat = 1000000;
	b->o.nd_rounds = 2;
	b->o.cpu = ifb_ncpus_online() - 1;
	parse_list("1,1000,100000", b->o.devs, &b->o.ndevs);
	parse_list("10,100000,1000000", b->o.flows, &b->o.nflows);
	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			b->o.repeat = strtoul(optarg, NULL, 0);
			break;
		case 'R':
			b->o.rounds = atoi(optarg);
			break;
		case 'd':
			parse_list(optarg, b->o.devs, &b->o.ndevs);
			break;
		case 'f':
			parse_list(optarg, b->o.flows, &b->o.nflows);
			break;
		case 'n':
			b->o.nd_repeat = strtoul(optarg, NULL, 0);
			break;
		case 'N':
			b->o.nd_rounds = atoi(optarg);
			break;
		case 'c':
			b->o.cpu = atoi(optarg);
			break;
		case 'x':
			b->o.xdpf_deny = optarg;
			break;
		case 'X':
			b->o.xdpf_allow = optarg;
			break;
		case 'm':
			b->o.md = optarg;
			break;
		case 'l':
			b->o.log = optarg;
			break;
		case 'w':
			write_xdpf_rules(optarg);
			return 0;
		case 's':
			b->o.stages = optarg;
			break;
		case 'B':
			b->o.budget = atof(optarg);
			break;
		case 'P':
			b->o.profile = optarg;
			break;
		case 'D':
			b->o.profile_dir = optarg;
			break;
		case 'S':
			b->o.profile_secs = atof(optarg);
			break;
		default:
			return 2;
		}
	}
	if (b->o.profile && (!b->o.profile_dir || b->o.profile_secs <= 0))
		ifb_die("--profile needs --profile-dir and --profile-secs");
	if (b->o.rounds < 1 || b->o.rounds > IFB_MAX_SAMPLES)
		ifb_die("--rounds: 1 to %d", IFB_MAX_SAMPLES);
	b->out.md = b->o.md ? fopen(b->o.md, "w") : stdout;
	b->out.log = b->o.log ? fopen(b->o.log, "w") : NULL;
	if (!b->out.md)
		ifb_die("cannot write %s", b->o.md);

	ifn_libbpf_logging(false);
	for (int p = 0; p < P_MAX; p++)
		b->fd[p] = -1;
	if (b->o.xdpf_deny)
		b->fd[P_XDPF_DENY] = xdp_prog_of(b->o.xdpf_deny);
	if (b->o.xdpf_allow)
		b->fd[P_XDPF_ALLOW] = xdp_prog_of(b->o.xdpf_allow);
	/* Per-CPU state and caches stay put when the runs stay on one CPU. */
	if (ifb_pin(0, b->o.cpu))
		ifb_log(&b->out, "cannot pin to CPU %d\n", b->o.cpu);
	build_frames(b);

	b->npoints = b->o.ndevs * b->o.nflows;
	b->ns = calloc(b->npoints, sizeof(*b->ns));
	b->learn_keys = calloc(b->o.repeat + 1024, sizeof(*b->learn_keys));
	if (!b->ns || !b->learn_keys)
		ifb_die("out of memory");

	max_flows = 0;
	for (int i = 0; i < b->o.nflows; i++)
		max_flows = b->o.flows[i] > max_flows ? b->o.flows[i] : max_flows;
	/* Room for one run of learning on top of the largest fingerprint. */
	max_flows += b->o.repeat + b->o.repeat / 10 + 1024;

	t_start = ifb_now_ns();
	for (int di = 0; di < b->o.ndevs; di++) {
		__u64 t0 = ifb_now_ns();

		load_point_state(b, b->o.devs[di], max_flows);
		if (di == 0)
			record_progs(b);
		ifb_log(&b->out, "%u devices: state made in %.2f s\n", b->o.devs[di],
			(ifb_now_ns() - t0) / 1e9);
		for (int fi = 0; fi < b->o.nflows; fi++) {
			int pt = di * b->o.nflows + fi;

			t0 = ifb_now_ns();
			grow_flows(b, b->o.flows[fi]);
			ifb_log(&b->out,
				"point %u devices, %u flows (%ld entries): flows made in "
				"%.2f s\n",
				b->o.devs[di], b->o.flows[fi],
				ifn_map_entries(b->m.flows, sizeof(struct ifn_flow_key),
						sizeof(struct ifn_flow_val)),
				(ifb_now_ns() - t0) / 1e9);
			b->pt_dev[pt] = b->o.devs[di];
			b->pt_flow[pt] = b->o.flows[fi];
			/* The ablation at the reference point only: it is a profile. */
			b->stage_point = is_ref(b, di, fi);
			if (b->o.profile) {
				profile(b);
				continue;
			}
			rounds = plan_rounds(b, pt, t_start);
			measure_point(b, pt, rounds);
			fprintf(stderr,
				"  per packet: %u devices, %u flows (%d rounds, %.0f s): allowed "
				"%.1f ns, drop %.1f ns, count-only %.1f ns, XDP_DROP %.1f ns\n",
				b->o.devs[di], b->o.flows[fi], rounds,
				(ifb_now_ns() - t_start) / 1e9, best(b, pt, C_ALLOWED),
				best(b, pt, C_VIOLATION), best(b, pt, C_COUNT),
				best(b, pt, C_DROP));
		}
		if (di == b->o.ndevs - 1 && b->o.nd_rounds > 0 && !b->o.profile) {
			/* The base programs of the last point serve as yardsticks. */
			measure_new_devices(b, &nd[0], &nd[1], &nd[2], &nd[3]);
		}
		unload_point_state(b);
	}
	if (b->o.profile)
		return 0;
	for (int di = 0; di < b->o.ndevs; di++)
		for (int fi = 0; fi < b->o.nflows; fi++)
			if (is_ref(b, di, fi))
				ref = di * b->o.nflows + fi;
	report(b, ref, nd);
	if (b->out.md != stdout)
		fclose(b->out.md);
	if (b->out.log)
		fclose(b->out.log);
	return 0;
}
