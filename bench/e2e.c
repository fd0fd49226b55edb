// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * e2e.c - end-to-end packet rate through a veth pair.
 *
 * One end (the generator) runs bench_gen with BPF_PROG_TEST_RUN in
 * BPF_F_TEST_XDP_LIVE_FRAMES mode: every frame it writes goes out through
 * XDP_TX into the veth peer, where the receiver under test runs. The
 * receiver's NAPI runs in its own kernel thread (threaded NAPI), pinned to
 * another CPU than the generator, so the receiver's rate is its own and
 * not the sum of both sides' costs.
 *
 * Measured per case, over a fixed window after a warm-up:
 *  - Mpps: frames the receiver's XDP saw (veth's xdp_packets counter),
 *    per second. The veth ring between the two ends holds 256 frames; when
 *    the receiver is slower than the generator the rest are dropped at
 *    transmit, so the receive rate is the receiver's capacity, unless the
 *    generator itself is the bottleneck (then "offered" is close to Mpps).
 *  - rx CPU ns/pkt: CPU time of the receiver's NAPI thread per frame, the
 *    cost of receiving, filtering and (for XDP_PASS) the kernel stack,
 *    whatever else the machine runs; 1000 / it is the rate one CPU could
 *    sustain ("capacity").
 * Cases rotate within each round; ratios are per round, then the median.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "devices.h"
#include "loader.h"
#include "mix.h"
#include "rules.h"
#include "state.h"
#include "iotfence.skel.h"
#include "base.skel.h"
#include "gen.skel.h"

enum rx_kind { R_DROP, R_COUNT, R_IFN, R_XDPF, R_NFT, R_NONE };

enum ecase {
	E_DROP,
	E_COUNT,
	E_IFN_ALLOWED,
	E_IFN_FLOOD,
	E_XDPF_ALLOWED,
	E_XDPF_FLOOD,
	E_NFT_ALLOWED,
	E_NFT_FLOOD,
	E_NONE_ALLOWED,
	E_NONE_FLOOD,
	E_MAX,
};

static const struct {
	const char *name;
	const char *mix;
	enum rx_kind rx;
	__u32 permille;
} ecases[E_MAX] = {
	[E_DROP] = { "bare XDP_DROP", "flood", R_DROP, MIX_FLOOD_PERMILLE },
	/* Reads the frame, as every filter must: the cost of that cache miss. */
	[E_COUNT] = { "count-only (per-CPU hash by MAC)", "flood", R_COUNT, MIX_FLOOD_PERMILLE },
	[E_IFN_ALLOWED] = { "iotfence enforce", "mostly allowed", R_IFN, MIX_ALLOWED_PERMILLE },
	[E_IFN_FLOOD] = { "iotfence enforce", "flood", R_IFN, MIX_FLOOD_PERMILLE },
	[E_XDPF_ALLOWED] = { "xdp-filter", "mostly allowed", R_XDPF, MIX_ALLOWED_PERMILLE },
	[E_XDPF_FLOOD] = { "xdp-filter", "flood", R_XDPF, MIX_FLOOD_PERMILLE },
	[E_NFT_ALLOWED] = { "nftables netdev ingress", "mostly allowed", R_NFT,
			    MIX_ALLOWED_PERMILLE },
	[E_NFT_FLOOD] = { "nftables netdev ingress", "flood", R_NFT, MIX_FLOOD_PERMILLE },
	[E_NONE_ALLOWED] = { "no filter (XDP_PASS)", "mostly allowed", R_NONE,
			     MIX_ALLOWED_PERMILLE },
	[E_NONE_FLOOD] = { "no filter (XDP_PASS)", "flood", R_NONE, MIX_FLOOD_PERMILLE },
};

struct snap {
	__u64 t;
	__u64 rx; /* frames the receiver's XDP program saw */
	__u64 rx_cpu; /* NAPI thread CPU time */
	__u64 sent; /* frames the generator made */
	__u64 xmit_err; /* frames the veth ring had no room for */
	__u64 gen_cpu; /* the generator thread's CPU time */
};

struct e2e {
	const char *gen_ns, *gen_if, *rx_ns, *rx_if, *peers, *workdir;
	double secs, warmup;
	int rounds, gen_cpu, rx_cpu;
	__u32 rx_max_flows; /* 0: iotfence's default */
	bool rt;
	__u32 chunk, batch;
	struct ifb_out out;
	int gen_ifindex, rx_ifindex;
	int sock_gen, sock_rx;
	struct bench_gen *gen;
	struct bench_base *base;
	struct iotfence *ifn;
	struct ifn_maps m;
	__u8 tmpl[MIX_FRAME_LEN];
	__u8 rx_mac[6];
	int napi_tid;
	char table[32];
	char nft_file[512], xdpf_rules[512];
	bool skip[E_MAX];
	struct ifb_samples mpps[E_MAX], cpu_ns[E_MAX], offered[E_MAX], passed[E_MAX];
	bool have[E_MAX];
};

static void enter(const char *ns)
{
	if (ifb_netns_enter(ns))
		ifb_die("cannot enter netns %s: %s", ns, strerror(errno));
}

static int sh(struct e2e *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(struct e2e *e, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ifb_log(&e->out, "$ %s\n", cmd);
	fflush(NULL);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* The receiver's NAPI kernel thread: "napi/IF-ID" (comm is cut at 15). */
static int find_napi_thread(const char *ifname)
{
	char want[32], path[300], comm[32];
	struct dirent *de;
	int tid = -1;
	DIR *d;

	snprintf(want, sizeof(want), "napi/%s-", ifname);
	want[15] = 0;
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, want, strlen(want)))
			tid = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return tid;
}

static __u64 thread_cpu_ns(int tid)
{
	unsigned long long run = 0;
	char path[64];
	FILE *f;

	if (tid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run) != 1)
		run = 0;
	fclose(f);
	return run;
}

/*
 * With --rt the generator and the receiver's thread run SCHED_FIFO during a
 * case, so that other work on a busy machine does not set the rate; the
 * kernel's RT throttling still leaves others 5% of each CPU.
 */
static void set_rt(struct e2e *e, int tid, bool on)
{
	struct sched_param sp = { .sched_priority = on ? 50 : 0 };

	if (!e->rt)
		return;
	if (sched_setscheduler(tid, on ? SCHED_FIFO : SCHED_OTHER, &sp))
		ifb_log(&e->out, "sched_setscheduler(%d): %s\n", tid, strerror(errno));
}

/* Threaded NAPI on the receiver, its thread on its own CPU. */
static void rx_thread_setup(struct e2e *e)
{
	sh(e, "ip netns exec %s sh -c 'echo 1 > /sys/class/net/%s/threaded'", e->rx_ns, e->rx_if);
	e->napi_tid = find_napi_thread(e->rx_if);
	if (e->napi_tid <= 0)
		ifb_die("no NAPI thread for %s: is threaded NAPI supported?", e->rx_if);
	if (ifb_pin(e->napi_tid, e->rx_cpu))
		ifb_die("cannot pin the NAPI thread %d", e->napi_tid);
	set_rt(e, e->napi_tid, true);
}

static void rx_attach(struct e2e *e, int fd)
{
	enter(e->rx_ns);
	if (bpf_xdp_attach(e->rx_ifindex, fd, XDP_FLAGS_DRV_MODE, NULL))
		ifb_die("attach to %s: %s", e->rx_if, strerror(errno));
	enter(e->gen_ns);
}

static void rx_detach(struct e2e *e)
{
	enter(e->rx_ns);
	bpf_xdp_detach(e->rx_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	enter(e->gen_ns);
}

static void map4(__u8 peer[16], __u32 host)
{
	__u32 be = htonl(host);

	memset(peer, 0, 16);
	peer[10] = 0xff;
	peer[11] = 0xff;
	memcpy(peer + 12, &be, 4);
}

/*
 * iotfence as `attach` leaves it, then the mix's devices (enforce) and
 * their fingerprints, installed with the agent's own functions.
 */
static int ifn_rx_load(struct e2e *e)
{
	struct ifn_load_opts lo = { .quiet = true, .max_flows = e->rx_max_flows };
	struct ifn_iface ifc = { .default_mode = IFN_MODE_LEARN, .attach_mode = 1 };
	struct ifn_config cfg;
	bool fresh;

	ifn_config_defaults(&cfg);
	if (ifn_load(&lo, &cfg, &e->ifn, &fresh) || ifn_maps_from_skel(&e->m, e->ifn))
		ifb_die("loading iotfence");
	ifc.learn_ns = 24ULL * 3600 * 1000000000ULL;
	snprintf(ifc.name, sizeof(ifc.name), "%s", e->rx_if);
	if (bpf_map_update_elem(e->m.ifaces, &e->rx_ifindex, &ifc, BPF_ANY))
		ifb_die("ifaces: %s", strerror(errno));
	for (__u32 d = 0; d < MIX_DEVICES; d++) {
		struct ifn_device *rec;
		__u8 mac[6];
		__u32 ip = htonl(mix_src_ip(d));

		mix_mac(d, mac);
		if (ifn_device_create(&e->m, mac, IFN_MODE_ENFORCE, e->rx_ifindex) ||
		    !(rec = ifn_device_rec(&e->m, mac)))
			ifb_die("device %u", d);
		/* The address it sends from: the common no-change path of tracking. */
		memcpy(rec->ipv4, &ip, 4);
		for (__u32 f = 0; f < MIX_FLOWS; f++) {
			struct ifn_rule r = {
				.proto = IPPROTO_TCP,
				.port = mix_port(f),
				.dir = IFN_DIR_CLIENT,
				.plen = 128,
				.origin = IFN_ORIGIN_LEARNED,
			};

			memcpy(r.mac, mac, 6);
			map4(r.peer, mix_peer(d, f));
			if (ifn_rule_install(&e->m, &r))
				ifb_die("rule %u/%u", d, f);
		}
	}
	return ifn_skel_prog_fd(e->ifn);
}

static void write_peer_files(struct e2e *e)
{
	FILE *f;

	snprintf(e->nft_file, sizeof(e->nft_file), "%s/fingerprints.nft", e->workdir);
	snprintf(e->xdpf_rules, sizeof(e->xdpf_rules), "%s/xdp-filter.rules", e->workdir);
	snprintf(e->table, sizeof(e->table), "ifb%d", (int)getpid());

	/* The fingerprints as one set: allowed, or dropped at ingress. */
	f = fopen(e->nft_file, "w");
	if (!f)
		ifb_die("cannot write %s", e->nft_file);
	fprintf(f,
		"table netdev %s {\n\tset fp {\n\t\ttype ether_addr . ipv4_addr . "
		"inet_service\n\t\tsize %d\n\t\telements = {\n",
		e->table, MIX_DEVICES * MIX_FLOWS * 2);
	for (__u32 d = 0; d < MIX_DEVICES; d++) {
		__u8 m[6];

		mix_mac(d, m);
		for (__u32 fl = 0; fl < MIX_FLOWS; fl++) {
			__u32 p = mix_peer(d, fl);

			fprintf(f, "\t\t\t%02x:%02x:%02x:%02x:%02x:%02x . %u.%u.%u.%u . %u,\n",
				m[0], m[1], m[2], m[3], m[4], m[5], p >> 24, (p >> 16) & 255,
				(p >> 8) & 255, p & 255, mix_port(fl));
		}
	}
	fprintf(f,
		"\t\t}\n\t}\n\tchain ingress {\n\t\ttype filter hook ingress device \"%s\" "
		"priority 0; policy drop;\n\t\tether saddr . ip daddr . tcp dport @fp "
		"accept\n\t}\n}\n",
		e->rx_if);
	fclose(f);

	/*
	 * xdp-filter matches each field on its own, never a tuple, so the
	 * equivalent for this traffic is a deny-list: the infected devices'
	 * MACs (what iotfence ends up quarantining) and the scanned ports.
	 */
	f = fopen(e->xdpf_rules, "w");
	if (!f)
		ifb_die("cannot write %s", e->xdpf_rules);
	for (__u32 d = 0; d < MIX_COMPROMISED; d++) {
		__u8 m[6];

		mix_mac(d, m);
		fprintf(f, "ether %02x:%02x:%02x:%02x:%02x:%02x src\n", m[0], m[1], m[2], m[3],
			m[4], m[5]);
	}
	fprintf(f, "port %u dst tcp\nport %u dst tcp\n", MIX_SCAN_PORT_A, MIX_SCAN_PORT_B);
	fclose(f);
}

static void run_gen(struct e2e *e, double secs)
{
	struct xdp_md ctx = {
		.data_end = sizeof(e->tmpl),
		.ingress_ifindex = e->gen_ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = e->tmpl, .data_size_in = sizeof(e->tmpl),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = e->chunk,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = e->batch);
	int fd = bpf_program__fd(e->gen->progs.bench_gen);
	__u64 end = ifb_now_ns() + (__u64)(secs * 1e9);

	do {
		if (bpf_prog_test_run_opts(fd, &o))
			ifb_die("live-frames run: %s", strerror(errno));
	} while (ifb_now_ns() < end);
}

static void take(struct e2e *e, struct snap *s)
{
	struct ifb_ethstats st;

	s->t = ifb_now_ns();
	s->gen_cpu = ifb_thread_cpu_ns();
	s->rx_cpu = thread_cpu_ns(e->napi_tid);
	s->sent = e->gen->bss->gen_seq;
	s->rx = s->xmit_err = 0;
	if (!ifb_ethstats_read(e->sock_rx, e->rx_if, &st)) {
		s->rx = ifb_ethstats_sum(&st, "xdp_packets");
		ifb_ethstats_free(&st);
	}
	if (!ifb_ethstats_read(e->sock_gen, e->gen_if, &st)) {
		s->xmit_err = ifb_ethstats_sum(&st, "xdp_xmit_errors");
		ifb_ethstats_free(&st);
	}
}

static void log_ethstats(struct e2e *e, int sock, const char *ifname)
{
	struct ifb_ethstats st;

	if (ifb_ethstats_read(sock, ifname, &st))
		return;
	for (int i = 0; i < st.n; i++)
		if (st.vals[i])
			ifb_log(&e->out, "    %s %s = %llu\n", ifname, st.names[i],
				(unsigned long long)st.vals[i]);
	ifb_ethstats_free(&st);
}

/* One case: set the receiver, send, measure, undo. false if it cannot run. */
static bool measure(struct e2e *e, enum ecase c, double *mpps, double *cpu_ns, double *offered,
		    double *passed)
{
	struct ifn_global_stats g0 = {}, g1 = {};
	struct snap s0, s1;
	double dt;

	switch (ecases[c].rx) {
	case R_DROP:
		rx_attach(e, bpf_program__fd(e->base->progs.bench_drop));
		break;
	case R_COUNT:
		rx_attach(e, bpf_program__fd(e->base->progs.bench_count));
		break;
	case R_NONE:
		rx_attach(e, bpf_program__fd(e->base->progs.bench_pass));
		break;
	case R_NFT:
		/* A veth end only takes redirected frames with XDP attached. */
		rx_attach(e, bpf_program__fd(e->base->progs.bench_pass));
		if (sh(e, "%s nft-load %s %s >>%s/peers.log 2>&1", e->peers, e->rx_ns, e->nft_file,
		       e->workdir)) {
			ifb_log(&e->out, "nftables could not be set: skipped\n");
			return false;
		}
		break;
	case R_IFN:
		rx_attach(e, ifn_rx_load(e));
		break;
	case R_XDPF:
		rx_detach(e);
		if (sh(e, "%s xdpf-load %s %s allow %s >>%s/peers.log 2>&1", e->peers, e->rx_ns,
		       e->rx_if, e->xdpf_rules, e->workdir)) {
			ifb_log(&e->out, "xdp-filter could not be loaded: skipped\n");
			return false;
		}
		break;
	}
	rx_thread_setup(e);
	e->gen->bss->gen_allowed_permille = ecases[c].permille;
	e->gen->bss->gen_sent_allowed = 0;
	e->gen->bss->gen_sent_scan = 0;

	set_rt(e, 0, true);
	run_gen(e, e->warmup);
	if (e->ifn)
		ifn_global_stats_read(&e->m, &g0);
	take(e, &s0);
	run_gen(e, e->secs);
	take(e, &s1);
	set_rt(e, 0, false);
	set_rt(e, e->napi_tid, false);
	if (e->ifn)
		ifn_global_stats_read(&e->m, &g1);

	dt = (s1.t - s0.t) / 1e9;
	*mpps = (s1.rx - s0.rx) / dt / 1e6;
	*offered = (s1.sent - s0.sent) / dt / 1e6;
	*cpu_ns = s1.rx > s0.rx ? (double)(s1.rx_cpu - s0.rx_cpu) / (s1.rx - s0.rx) : 0;
	*passed = -1;
	if (e->ifn && g1.frames > g0.frames)
		*passed = 100.0 * (g1.verdict[IFN_VERDICT_PASS] - g0.verdict[IFN_VERDICT_PASS]) /
			  (g1.frames - g0.frames);
	ifb_log(&e->out,
		"  %s / %s: rx %.3f Mpps, offered %.3f Mpps, ring full %.3f Mpps, rx cpu %.1f "
		"ns/pkt, gen cpu %.1f ns/frame (%.0f%% of the window), sent allowed %llu scan %llu, napi tid %d\n",
		ecases[c].name, ecases[c].mix, *mpps, *offered,
		(s1.xmit_err - s0.xmit_err) / dt / 1e6, *cpu_ns,
		(double)(s1.gen_cpu - s0.gen_cpu) / (s1.sent - s0.sent),
		100.0 * (s1.gen_cpu - s0.gen_cpu) / (s1.t - s0.t),
		(unsigned long long)e->gen->bss->gen_sent_allowed,
		(unsigned long long)e->gen->bss->gen_sent_scan, e->napi_tid);
	if (e->ifn)
		ifb_log(&e->out,
			"    iotfence: frames %llu pass %llu drop %llu quarantine %llu "
			"not_in_fp %llu\n",
			(unsigned long long)(g1.frames - g0.frames),
			(unsigned long long)(g1.verdict[IFN_VERDICT_PASS] -
					     g0.verdict[IFN_VERDICT_PASS]),
			(unsigned long long)(g1.verdict[IFN_VERDICT_DROP] -
					     g0.verdict[IFN_VERDICT_DROP]),
			(unsigned long long)(g1.reason[IFN_REASON_QUARANTINE] -
					     g0.reason[IFN_REASON_QUARANTINE]),
			(unsigned long long)(g1.reason[IFN_REASON_NOT_IN_FINGERPRINT] -
					     g0.reason[IFN_REASON_NOT_IN_FINGERPRINT]));

	switch (ecases[c].rx) {
	case R_NFT:
		sh(e, "%s nft-unload %s %s >>%s/peers.log 2>&1", e->peers, e->rx_ns, e->table,
		   e->workdir);
		break;
	case R_IFN:
		/* Replace, so that the receiver keeps its NAPI, then free. */
		rx_attach(e, bpf_program__fd(e->base->progs.bench_pass));
		ifn_unload(e->ifn);
		e->ifn = NULL;
		break;
	case R_XDPF:
		rx_detach(e);
		break;
	default:
		break;
	}
	if (s1.rx == s0.rx)
		ifb_die("%s / %s: the receiver saw no frames", ecases[c].name, ecases[c].mix);
	return true;
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
 * The best of the rounds: the highest rate and the lowest receive cost.
 * Other work on the machine only ever takes from a case, so the least
 * disturbed round is the closest to what the receiver can do.
 */
static double best_mpps(struct e2e *e, enum ecase c)
{
	return e->have[c] ? ifb_max(&e->mpps[c]) : 0;
}

static double best_ns(struct e2e *e, enum ecase c)
{
	return e->have[c] ? ifb_min(&e->cpu_ns[c]) : 0;
}

static void report(struct e2e *e)
{
	FILE *md = e->out.md;

	fprintf(md, "### End to end (veth, %d-byte frames, %d rounds of %.1f s)\n\n", MIX_FRAME_LEN,
		e->rounds, e->secs);
	fprintf(md,
		"Generator: BPF_F_TEST_XDP_LIVE_FRAMES on CPU %d; receiver NAPI thread on "
		"CPU %d. Mix: %d devices × %d fingerprinted TCP flows; %d of the devices "
		"scan telnet. Mostly allowed: %.1f%% of frames in the fingerprints; flood: "
		"%.1f%% scan frames. Mpps: the best round, then the median; rx CPU: the "
		"best (lowest) round; ratios of the best figures.\n\n",
		e->gen_cpu, e->rx_cpu, MIX_DEVICES, MIX_FLOWS, MIX_COMPROMISED,
		MIX_ALLOWED_PERMILLE / 10.0, 100 - MIX_FLOOD_PERMILLE / 10.0);
	fprintf(md,
		"| receiver | mix | Mpps | median | × XDP_DROP | rx CPU ns/pkt | capacity Mpps | "
		"× XDP_DROP (capacity) | offered Mpps | passed |\n");
	fprintf(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int c = 0; c < E_MAX; c++) {
		char passed[16] = "–";
		double ns;

		if (!e->have[c])
			continue;
		ns = best_ns(e, c);
		/* iotfence's own verdict counters: the mix did what it should. */
		if (e->passed[c].n)
			snprintf(passed, sizeof(passed), "%.1f%%", ifb_median(&e->passed[c]));
		fprintf(md, "| %s | %s | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %s |\n",
			ecases[c].name, ecases[c].mix, best_mpps(e, c), ifb_median(&e->mpps[c]),
			best_mpps(e, c) / best_mpps(e, E_DROP), ns, ns > 0 ? 1000.0 / ns : 0,
			best_ns(e, E_DROP) / ns, ifb_max(&e->offered[c]), passed);
	}
	fprintf(md, "\n");

	fprintf(md, "### End-to-end targets\n\n| target | verdict | measured |\n|---|---|---|\n");
	if (e->have[E_IFN_FLOOD] && e->have[E_DROP]) {
		double r = best_mpps(e, E_IFN_FLOOD) / best_mpps(e, E_DROP);
		double cap = best_ns(e, E_DROP) / best_ns(e, E_IFN_FLOOD);

		verdict(md, "flood ≥ 80% of bare XDP_DROP", r >= 0.8,
			"%.0f%% in Mpps; %.0f%% in capacity (rx CPU per frame)", 100 * r,
			100 * cap);
	}
	if (e->have[E_IFN_FLOOD] && e->have[E_NFT_FLOOD]) {
		double a = best_mpps(e, E_IFN_FLOOD) / best_mpps(e, E_NFT_FLOOD);
		double b = best_ns(e, E_NFT_FLOOD) / best_ns(e, E_IFN_FLOOD);

		verdict(md, "flood ≥ 4× nftables", a >= 4.0, "%.1f× in Mpps; %.1f× in capacity", a,
			b);
	}
	if (e->have[E_IFN_ALLOWED] && e->have[E_NONE_ALLOWED]) {
		double a = best_mpps(e, E_IFN_ALLOWED) / best_mpps(e, E_NONE_ALLOWED);
		double b = best_ns(e, E_NONE_ALLOWED) / best_ns(e, E_IFN_ALLOWED);

		verdict(md, "mostly allowed within 5% of no filter", a >= 0.95,
			"%.0f%% of no filter's Mpps; %.0f%% in capacity", 100 * a, 100 * b);
	}
	fprintf(md, "\n");
}

int ifb_e2e_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "gen", required_argument, NULL, 'g' },
		{ "rx", required_argument, NULL, 'r' },
		{ "secs", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "gen-cpu", required_argument, NULL, 'G' },
		{ "rx-cpu", required_argument, NULL, 'X' },
		{ "peers", required_argument, NULL, 'p' },
		{ "workdir", required_argument, NULL, 'W' },
		{ "skip", required_argument, NULL, 'k' },
		{ "rt", no_argument, NULL, 'T' },
		{ "rx-max-flows", required_argument, NULL, 'F' },
		{ "md", required_argument, NULL, 'm' },
		{ "log", required_argument, NULL, 'l' },
		{},
	};
	struct e2e *e = calloc(1, sizeof(*e));
	char gen_spec[128] = "", rx_spec[128] = "";
	const char *md = NULL, *log = NULL;
	struct ifb_frame f = {};
	int opt;

	if (!e)
		ifb_die("out of memory");
	e->secs = 2;
	e->warmup = 0.3;
	e->rounds = 3;
	e->gen_cpu = 0;
	e->rx_cpu = ifb_ncpus_online() > 1 ? 1 : 0;
	/*
	 * Frames per live-frames run. Each run makes and tears down its own
	 * page pool, and the generator sleeps there (it got a quarter of its
	 * CPU with runs of 64k frames); runs of 1M frames make that a few %.
	 */
	e->chunk = getenv("IFB_CHUNK") ? atoi(getenv("IFB_CHUNK")) : 1 << 20;
	e->batch = getenv("IFB_BATCH") ? atoi(getenv("IFB_BATCH")) : 0;
	e->workdir = "/tmp";
	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (opt) {
		case 'g':
			snprintf(gen_spec, sizeof(gen_spec), "%s", optarg);
			break;
		case 'r':
			snprintf(rx_spec, sizeof(rx_spec), "%s", optarg);
			break;
		case 's':
			e->secs = atof(optarg);
			break;
		case 'w':
			e->warmup = atof(optarg);
			break;
		case 'R':
			e->rounds = atoi(optarg);
			break;
		case 'G':
			e->gen_cpu = atoi(optarg);
			break;
		case 'X':
			e->rx_cpu = atoi(optarg);
			break;
		case 'p':
			e->peers = optarg;
			break;
		case 'W':
			e->workdir = optarg;
			break;
		case 'k':
			/* Comma-separated receivers to leave out: xdp-filter, nft. */
			if (strstr(optarg, "xdp-filter"))
				e->skip[E_XDPF_ALLOWED] = e->skip[E_XDPF_FLOOD] = true;
			if (strstr(optarg, "nft"))
				e->skip[E_NFT_ALLOWED] = e->skip[E_NFT_FLOOD] = true;
			break;
		case 'T':
			e->rt = true;
			break;
		case 'F':
			e->rx_max_flows = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			md = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		default:
			return 2;
		}
	}
	e->gen_ns = gen_spec;
	e->rx_ns = rx_spec;
	{
		char *p = strchr(gen_spec, '/'), *q = strchr(rx_spec, '/');

		if (!p || !q || !e->peers)
			ifb_die("e2e: --gen NS/IF --rx NS/IF --peers SCRIPT are needed");
		*p = *q = 0;
		e->gen_if = p + 1;
		e->rx_if = q + 1;
	}
	if (e->rounds < 1 || e->rounds > IFB_MAX_SAMPLES)
		ifb_die("--rounds: 1 to %d", IFB_MAX_SAMPLES);
	e->out.md = md ? fopen(md, "w") : stdout;
	e->out.log = log ? fopen(log, "w") : NULL;
	if (!e->out.md)
		ifb_die("cannot write %s", md);
	ifn_libbpf_logging(false);
	write_peer_files(e);

	/* Receiver side: its interface, its MAC, a socket for its counters. */
	enter(e->rx_ns);
	e->rx_ifindex = if_nametoindex(e->rx_if);
	e->sock_rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	{
		struct ifreq ifr = {};

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", e->rx_if);
		if (e->sock_rx < 0 || ioctl(e->sock_rx, SIOCGIFHWADDR, &ifr))
			ifb_die("%s: %s", e->rx_if, strerror(errno));
		memcpy(e->rx_mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	enter(e->gen_ns);
	e->gen_ifindex = if_nametoindex(e->gen_if);
	e->sock_gen = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!e->rx_ifindex || !e->gen_ifindex || e->sock_gen < 0)
		ifb_die("interfaces %s, %s not found", e->rx_if, e->gen_if);

	e->base = bench_base__open_and_load();
	e->gen = bench_gen__open_and_load();
	if (!e->base || !e->gen)
		ifb_die("loading the benchmark programs");
	e->gen->bss->gen_seed = (__u32)getpid();

	/* The template: only fields the generator does not rewrite matter. */
	memcpy(f.dst_mac, e->rx_mac, 6);
	mix_mac(MIX_COMPROMISED, f.src_mac);
	ifb_ip4(f.src, mix_src_ip(MIX_COMPROMISED));
	ifb_ip4(f.dst, mix_peer(MIX_COMPROMISED, 0));
	f.proto = IPPROTO_TCP;
	f.sport = 40000;
	f.dport = 443;
	f.tcp_flags = 0x10;
	f.len = MIX_FRAME_LEN;
	if (ifb_frame_build(&f, e->tmpl, sizeof(e->tmpl)) != MIX_FRAME_LEN)
		ifb_die("template frame");

	if (ifb_pin(0, e->gen_cpu))
		ifb_die("cannot pin the generator to CPU %d", e->gen_cpu);

	for (int r = 0; r < e->rounds; r++) {
		double mp[E_MAX] = { 0 }, ns[E_MAX] = { 0 };

		ifb_log(&e->out, "round %d\n", r);
		for (int i = 0; i < E_MAX; i++) {
			enum ecase c = (i + r) % E_MAX;
			double off, pass;

			if (e->skip[c])
				continue;
			if (!measure(e, c, &mp[c], &ns[c], &off, &pass)) {
				e->skip[c] = true;
				continue;
			}
			ifb_add(&e->mpps[c], mp[c]);
			ifb_add(&e->cpu_ns[c], ns[c]);
			ifb_add(&e->offered[c], off);
			if (pass >= 0)
				ifb_add(&e->passed[c], pass);
			fprintf(stderr, "  end to end: %s / %s: %.2f Mpps, rx %.0f ns/pkt\n",
				ecases[c].name, ecases[c].mix, mp[c], ns[c]);
		}
		if (r == 0) {
			log_ethstats(e, e->sock_rx, e->rx_if);
			log_ethstats(e, e->sock_gen, e->gen_if);
		}
		for (int c = 0; c < E_MAX; c++)
			if (!e->skip[c] && mp[c] > 0 && ns[c] > 0)
				e->have[c] = true;
	}
	rx_detach(e);
	report(e);
	bench_gen__destroy(e->gen);
	bench_base__destroy(e->base);
	if (e->out.md != stdout)
		fclose(e->out.md);
	if (e->out.log)
		fclose(e->out.log);
	return 0;
}
