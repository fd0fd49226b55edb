// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * driver.c - differential run: frames through the real XDP program
 * (BPF_PROG_TEST_RUN, private maps, virtual clock) and through the
 * reference model (model*.c), comparing after every frame the verdict, the
 * events, the device's record and counters and the global counters, and
 * at the end of every episode the whole device table, the fingerprints and
 * the address owners. A mismatch prints the frame as hex and fails.
 *
 *   diff_driver [--frames N] [--seed S] [--episode E] [--pcaps DIR] [-v]
 *
 * Episodes start from empty maps with random settings, devices, peers and
 * operator actions (mode changes, rules, rates, forget), so every mode is
 * exercised; an episode replays exactly from (seed, episode).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "loader.h"
#include "rules.h"

#include "compare.h"
#include "episode.h"
#include "gen.h"
#include "inst.h"
#include "model.h"

#define MAX_KINDS 64

static struct {
	__u64 frames, by_kind[GEN_KINDS], by_mode[IFN_MODE_MAX + 1], by_verdict[3];
	__u64 by_reason[IFN_REASON_MAX], events, ops, episodes, short_frames;
	__u64 by_event[IFN_EV_MAX], new_devices, table_full, flows_full, events_lost;
	__u64 egress_frames, egress_refused, notes, answers;
	unsigned int mismatches;
	char kinds[MAX_KINDS][96];
	unsigned int kind_count[MAX_KINDS], nkinds;
	__u64 kind_episode[MAX_KINDS]; /* where each kind was first seen */
} stats;

static bool verbose;

static void record_kind(const char *what, __u64 episode)
{
	char key[96];
	unsigned int i;
	const char *colon = strchr(what, ':');
	size_t n = colon ? (size_t)(colon - what) : strlen(what);

	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, what, n);
	key[n] = '\0';
	for (i = 0; i < stats.nkinds; i++) {
		if (!strcmp(stats.kinds[i], key)) {
			stats.kind_count[i]++;
			return;
		}
	}
	if (stats.nkinds < MAX_KINDS) {
		snprintf(stats.kinds[stats.nkinds], sizeof(stats.kinds[0]), "%s", key);
		stats.kind_episode[stats.nkinds] = episode;
		stats.kind_count[stats.nkinds++] = 1;
	}
}

/* With DIFF_TRACE, a mismatch's report shows both sides' names. */
static void print_names(struct inst *in)
{
	struct ifn_name_rule_key nk;
	struct ifn_name_rule_val nv;
	struct ifn_dns_key dk;
	struct ifn_dns_val dv;
	unsigned int k;
	void *prev;

	for (prev = NULL; !bpf_map_get_next_key(in->m.name_rules, prev, &nk); prev = &nk)
		if (!bpf_map_lookup_elem(in->m.name_rules, &nk, &nv))
			printf("  program name rule %02x:%02x proto %u port %u dir %u wild %u %llx %s\n",
			       nk.mac[4], nk.mac[5], nk.proto, nk.port, nk.dir, nk.wild,
			       (unsigned long long)nk.name, nv.name);
	for (prev = NULL; !bpf_map_get_next_key(in->m.dns, prev, &dk); prev = &dk) {
		const struct ifn_dns_val *mv;

		if (bpf_map_lookup_elem(in->m.dns, &dk, &dv))
			continue;
		mv = htab_get(&in->model.dns, &dk);
		printf("  dns %02x:%02x %u.%u.%u.%u: program used %llu", dk.mac[4], dk.mac[5],
		       dk.addr[12], dk.addr[13], dk.addr[14], dk.addr[15],
		       (unsigned long long)dv.last_used_ns);
		for (k = 0; k < 4; k++)
			printf(" %llx/%llu", (unsigned long long)dv.name[k],
			       (unsigned long long)dv.expires_ns[k]);
		if (mv) {
			printf("; model used %llu", (unsigned long long)mv->last_used_ns);
			for (k = 0; k < 4; k++)
				printf(" %llx/%llu", (unsigned long long)mv->name[k] & 0xffff,
				       (unsigned long long)mv->expires_ns[k]);
		}
		printf("\n");
	}
	for (k = 0; k < in->model.nrules; k++) {
		const struct mdl_rule *mr = &in->model.rules[k];

		if (mr->used && mr->is_name)
			printf("  model name rule %02x:%02x proto %u port %u dir %u wild %u %s\n",
			       mr->mac[4], mr->mac[5], mr->proto, mr->port, mr->dir, mr->wild,
			       mr->name);
	}
}

static void report(struct episode *e, const struct cmp *c, const __u8 *f, size_t len,
		   const char *kind, const struct mdl_result *r, int xdp)
{
	char h[2 * GEN_MAX_FRAME + 1];

	stats.mismatches++;
	record_kind(c->what, e->index);
	if (stats.mismatches > 5)
		return;
	printf("MISMATCH in episode %llu (seed %llu, instance %s), frame %u (%s) at t=%llu ns:\n",
	       (unsigned long long)e->index, (unsigned long long)e->seed, e->in->name, e->frame_no,
	       kind, (unsigned long long)e->now);
	printf("%s", c->what);
	if (f) {
		hex(h, f, len);
		printf("  frame (%zu bytes): %s\n", len, h);
		printf("  device before the frame: %s\n", e->before);
		printf("  program: %s; model: %s, verdict %u, reason %s\n",
		       xdp == XDP_DROP ? "XDP_DROP" :
		       xdp == XDP_PASS ? "XDP_PASS" :
					 "other",
		       r->xdp == XDP_DROP ? "XDP_DROP" : "XDP_PASS", r->verdict,
		       mdl_reason_name(r->reason));
	}
	if (getenv("DIFF_TRACE"))
		print_names(e->in);
	printf("  recent operator actions, oldest first:\n");
	logring_print(&e->ops, "    ");
	printf("  recent frames, oldest first:\n");
	logring_print(&e->frames, "    ");
	printf("  reproduce: diff_driver --seed %llu --episode %llu -v\n\n",
	       (unsigned long long)e->seed, (unsigned long long)e->index);
}

/* The frame's events, by type (the XDP and the egress side alike). */
static void count_events(const struct inst *in)
{
	unsigned int k;

	for (k = 0; k < in->nev; k++)
		if (in->ev[k].type < IFN_EV_MAX)
			stats.by_event[in->ev[k].type]++;
}

static const char *kind_name(enum gen_kind k)
{
	return k == GEN_CRAFTED ? "crafted" :
	       k == GEN_MUTATED ? "mutated" :
	       k == GEN_ANSWER	? "answer" :
				  "random";
}

/* Returns false on a mismatch. */
static bool step(struct episode *e, enum gen_kind kind)
{
	struct inst *in = e->in;
	__u8 f[GEN_MAX_FRAME + 256];
	struct mdl_result r;
	struct mdl_device *md;
	struct cmp c = { 0 };
	size_t len = gen_frame(&e->g, kind, f);
	__u8 mode_before = IFN_MODE_MAX;
	int xdp;

	if (len > GEN_MAX_FRAME)
		len = GEN_MAX_FRAME;
	if (len < 14) {
		/* What the bytes would have been: the generator's own. */
		stats.short_frames++;
		len = 14;
	}
	if (len >= 12) {
		md = mdl_device(&in->model, f + 6);
		if (md)
			mode_before = md->mode;
	}
	/* The state before the frame, for the report. */
	{
		struct ifn_device pb;
		const struct mdl_device *mb = mdl_device(&in->model, f + 6);

		snprintf(e->before, sizeof(e->before), "program %s, model %s",
			 prog_device(in, f + 6, &pb) ? "" : "none", mb ? "" : "none");
		if (mb && prog_device(in, f + 6, &pb))
			snprintf(
				e->before, sizeof(e->before),
				"program %s until %llu then %s scan %u window %llu; model %s until "
				"%llu then %s scan %u window %llu",
				mdl_mode_name(pb.mode),
				(unsigned long long)ifn_mw_until(pb.mode_word),
				mdl_mode_name(pb.mode_after), pb.scan_count,
				(unsigned long long)pb.scan_window_ns, mdl_mode_name(mb->mode),
				(unsigned long long)mb->mode_until_ns,
				mdl_mode_name(mb->mode_after), mb->scan_count,
				(unsigned long long)mb->scan_window_ns);
	}
	*in->now = e->now;
	xdp = run_frame(in, f, len);
	in->have_rec = len >= 12 && prog_device(in, f + 6, &in->rec);
	mdl_step(&in->model, f, len, e->now, oracle, in, &r);

	stats.frames++;
	stats.by_kind[kind]++;
	stats.by_mode[mode_before]++;
	stats.by_verdict[r.verdict]++;
	stats.by_reason[r.reason]++;
	stats.events += in->nev;
	count_events(in);
	if (getenv("DIFF_TRACE")) {
		char h[2 * 200 + 1];

		hex(h, f, len < 200 ? len : 200);
		fprintf(stderr, "t=%llu xdp: %s -> %s/%s %s\n", (unsigned long long)e->now, h,
			r.xdp == XDP_DROP ? "drop" : "pass", mdl_reason_name(r.reason),
			r.why ? r.why : "");
	}
	if (verbose) {
		char a[40] = "-";

		if (len >= 12)
			fmt_mac(f + 6, a);
		logring_add(&e->frames, "frame %u %s %zuB from %s: model %s/%s, program %s",
			    e->frame_no, kind_name(kind), len, a,
			    r.xdp == XDP_DROP ? "drop" : "pass", mdl_reason_name(r.reason),
			    xdp == XDP_DROP ? "drop" : "pass");
	} else {
		logring_add(&e->frames, "frame %u %s %zuB", e->frame_no, kind_name(kind), len);
	}

	cmp_frame(&c, in, f, len, xdp, &r, e->now);
	if (c.bad) {
		report(e, &c, f, len, kind_name(kind), &r, xdp);
		return false;
	}
	return true;
}

/* A frame to a device through the egress program and the model. */
static bool estep(struct episode *e)
{
	struct inst *in = e->in;
	__u8 f[GEN_MAX_FRAME + 4096];
	struct mdl_eresult r;
	struct cmp c = { 0 };
	__u32 ingress = 0;
	bool dns = rng_pct(&e->rng, 40);
	size_t len = dns ? gen_dns(&e->g, f, &ingress) : gen_inbound(&e->g, f, &ingress);
	bool same, refused;

	if (len < 14)
		len = 14;
	*in->now = e->now;
	same = run_egress(in, f, len, ingress, &refused);
	if (refused) {
		stats.egress_refused++;
		return true;
	}
	mdl_egress(&in->model, f, len, e->now, ingress, probe_oracle, in, &r);
	stats.egress_frames++;
	stats.notes += r.noted;
	logring_add(&e->frames, "frame %u egress %zuB in on %u: model %s%s", e->frame_no, len,
		    ingress, r.noted ? "noted" : "-", r.probe ? " probe" : "");
	if (getenv("DIFF_TRACE")) {
		char h[2 * 200 + 1];

		hex(h, f, len < 200 ? len : 200);
		fprintf(stderr, "t=%llu egress in %u: %s (%s%s)\n", (unsigned long long)e->now,
			ingress, h, r.noted ? "noted" : "-", r.probe ? " probe" : "");
	}
	/* Counting the LRU map costs a walk of it: every 8th frame (all at the end). */
	cmp_egress(&c, in, f, same, &r, e->now, !(stats.egress_frames & 7));
	count_events(in);
	if (c.bad) {
		struct mdl_result mr = { .xdp = XDP_PASS };

		report(e, &c, f, len, "egress", &mr, XDP_PASS);
		return false;
	}
	return true;
}

static bool episode(struct inst *in, __u64 seed, __u64 index, __u64 *budget,
		    const struct captures *caps)
{
	struct episode e = { .in = in, .seed = seed, .index = index };
	unsigned int nframes, i, ndev;
	struct cmp c = { 0 };

	rng_seed(&e.rng, seed * 1000003ULL + index);
	inst_reset(in);
	random_state(&e);
	ndev = 1 + (unsigned int)rng_below(&e.rng, rng_pct(&e.rng, 80) ? 8 : GEN_MAX_DEVS);
	gen_episode(&e.g, &e.rng, caps, ndev);
	e.now = 1000 * NS_PER_S + rng_below(&e.rng, 1000 * NS_PER_S);
	nframes = 200 + (unsigned int)rng_below(&e.rng, 2800);
	if (nframes > *budget)
		nframes = (unsigned int)*budget;
	stats.episodes++;
	for (i = 0; i < nframes; i++) {
		unsigned int x = (unsigned int)rng_below(&e.rng, 100);
		enum gen_kind kind = x < 40 ? GEN_CRAFTED :
				     x < 68 ? GEN_MUTATED :
				     x < 80 ? GEN_RANDOM :
				     x < 90 ? GEN_ANSWER :
					      GEN_KINDS;
		bool ok;

		e.frame_no = i;
		if (rng_pct(&e.rng, 2)) {
			stats.ops++;
			operator_action(&e);
		}
		advance(&e);
		/* A tenth of the frames go to devices, through the egress program. */
		ok = kind == GEN_KINDS ? estep(&e) : step(&e, kind);
		if (!ok) {
			*budget -= i + 1;
			return false;
		}
	}
	*budget -= nframes;
	stats.new_devices += in->model.g.new_devices;
	stats.table_full += in->model.g.table_full;
	stats.flows_full += in->model.g.flows_full;
	stats.events_lost += in->model.g.events_lost;
	{
		const struct ifn_dns_stats *ds = &in->model.dst;

		in->dns_answers += ds->answers;
		in->dns_used += ds->used;
		in->dns_spoofed += ds->spoofed;
		for (i = 0; i < IFN_DNS_BAD_MAX; i++)
			in->dns_bad += ds->malformed[i];
	}
	cmp_tables(&c, in);
	if (c.bad) {
		e.frame_no = nframes;
		report(&e, &c, NULL, 0, "end of episode", NULL, 0);
		return false;
	}
	return true;
}

/*
 * Probe: run hex frames (one argument each, "+Nms" advances the clock,
 * "mode=NAME" sets the device of the next frame) on a fresh state and print
 * what program and model did with each. For narrowing a mismatch down to a
 * minimal frame.
 */
static int unhex(const char *s, __u8 *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		static const char digits[] = "0123456789abcdef";
		const char *hi = strchr(digits, s[0] | 0x20), *lo = strchr(digits, s[1] | 0x20);

		if (!hi || !lo)
			return -1;
		out[n++] = (__u8)((hi - digits) << 4 | (lo - digits));
		s += 2;
	}
	return (int)n;
}

/* After --probe: the program's flows and address owners, and what the model lacks. */
static void print_tables(struct inst *in)
{
	struct ifn_flow_key fk;
	struct ifn_ip_key ik;
	struct ifn_ip_owner o;
	char h[64], a[40];
	void *prev;

	for (prev = NULL; !bpf_map_get_next_key(in->m.flows, prev, &fk); prev = &fk) {
		hex(h, (const __u8 *)&fk, sizeof(fk));
		printf("program flow %s%s\n", h,
		       htab_get(&in->model.flows, &fk) ? "" : " (not in the model)");
	}
	for (prev = NULL; !bpf_map_get_next_key(in->m.ip_owners, prev, &ik); prev = &ik) {
		if (bpf_map_lookup_elem(in->m.ip_owners, &ik, &o))
			continue;
		hex(h, ik.addr, 16);
		printf("program address %s owned by %s%s\n", h, fmt_mac(o.mac, a),
		       htab_get(&in->model.owners, ik.addr) ? "" : " (not in the model)");
	}
}

static int probe(struct inst *in, int argc, char **argv, __u8 default_mode)
{
	struct episode e = { .in = in };
	int i, bad = 0;

	inst_reset(in);
	in->model.lo.default_mode = default_mode;
	set_iface(in);
	e.now = 1000 * NS_PER_S;
	for (i = 0; i < argc; i++) {
		__u8 f[GEN_MAX_FRAME];
		struct mdl_result r;
		struct cmp c = { 0 };
		unsigned int k;
		int len, xdp;

		if (argv[i][0] == '+') {
			e.now += strtoull(argv[i] + 1, NULL, 0) * 1000000ULL;
			continue;
		}
		if (!strncmp(argv[i], "cap=", 4) || !strncmp(argv[i], "thr=", 4) ||
		    !strncmp(argv[i], "evl=", 4) || !strncmp(argv[i], "win=", 4)) {
			struct ifn_config *cf = &in->model.cfg;
			__u64 v = strtoull(argv[i] + 4, NULL, 0);

			if (argv[i][0] == 'c')
				cf->fingerprint_cap = (__u32)v;
			else if (argv[i][0] == 't')
				cf->scan_threshold = (__u32)v;
			else if (argv[i][0] == 'e')
				cf->event_limit = (__u32)v;
			else
				cf->scan_window_ns = v * NS_PER_S;
			if (ifn_config_write(&in->m, cf))
				die("cannot write the settings");
			continue;
		}
		if (!strncmp(argv[i], "allow=", 6)) {
			/* A rule for the device of the last frame (02:00:00:00:00:01 before). */
			static const __u8 dflt[6] = { 2, 0, 0, 0, 0, 1 };
			struct ifn_rule ar;
			struct mdl_rule mr = { 0 };
			char err[160];

			if (ifn_rule_parse(argv[i] + 6, &ar, err, sizeof(err)))
				die("bad rule: %s", err);
			memcpy(ar.mac, dflt, 6);
			ar.added_ns = e.now;
			if (ifn_rule_install(&in->m, &ar))
				die("cannot install the rule (is the device known?)");
			memcpy(mr.mac, ar.mac, 6);
			mr.any_port = ar.port_any;
			mr.port_hi = ar.port_hi;
			mr.lan = ar.lan;
			mr.dir = ar.dir;
			mr.proto = ar.proto;
			mr.port = ar.port;
			memcpy(mr.peer, ar.peer, 16);
			mr.plen = ar.plen;
			mdl_op_rule_add(&in->model, &mr, ar.l2);
			continue;
		}
		if (!strncmp(argv[i], "mode=", 5)) {
			unsigned int mode;

			for (mode = 0; mode < IFN_MODE_MAX; mode++)
				if (!strcmp(argv[i] + 5, mdl_mode_name(mode)))
					break;
			in->model.lo.default_mode = (__u8)mode;
			set_iface(in);
			continue;
		}
		len = unhex(argv[i], f, sizeof(f));
		if (len < 14)
			die("bad frame '%s'", argv[i]);
		*in->now = e.now;
		xdp = run_frame(in, f, (size_t)len);
		in->have_rec = prog_device(in, f + 6, &in->rec);
		mdl_step(&in->model, f, (size_t)len, e.now, oracle, in, &r);
		printf("frame %d: program %s, model %s (%s)\n", i,
		       xdp == XDP_DROP ? "XDP_DROP" : "XDP_PASS",
		       r.xdp == XDP_DROP ? "XDP_DROP" : "XDP_PASS", mdl_reason_name(r.reason));
		for (k = 0; k < in->nev; k++) {
			char h[64];

			hex(h, (const __u8 *)&in->ev[k].flow, sizeof(in->ev[k].flow));
			printf("  program event %s value %u mode %u flow %s\n",
			       mdl_event_name(in->ev[k].type), in->ev[k].value, in->ev[k].mode, h);
		}
		CMP_U(&c, "XDP action", xdp, r.xdp);
		cmp_events(&c, in, &r, e.now);
		if (mdl_device(&in->model, f + 6) && in->have_rec)
			cmp_device(&c, in, mdl_device(&in->model, f + 6), &in->rec, "device");
		cmp_global(&c, in);
		if (c.bad) {
			bad++;
			printf("%s", c.what);
		}
	}
	print_tables(in);
	return bad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: diff_driver [--frames N] [--seed S] [--episode E] [--pcaps DIR] "
			"[-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "frames", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "episode", required_argument, NULL, 'e' },
		{ "pcaps", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "probe", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	__u64 frames = 100000, seed = (__u64)time(NULL), only = ~0ULL, budget, ep;
	const char *pcaps = getenv("IFN_PCAPS") ? getenv("IFN_PCAPS") : "tests/captures";
	struct captures caps;
	struct inst inst[2];
	struct timespec t0, t1;
	cpu_set_t set;
	unsigned int i;
	double secs;
	int opt, probe_mode = -1;

	while ((opt = getopt_long(argc, argv, "n:s:e:p:v", lo, NULL)) != -1) {
		switch (opt) {
		case 'n':
			frames = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'e':
			only = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			pcaps = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'P':
			probe_mode = (int)strtol(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	/*
	 * Per-CPU state (the TABLE_FULL clock) must be one CPU's: run on one.
	 */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU 0: %s", strerror(errno));
	ifn_libbpf_logging(false);
	if (probe_mode >= 0) {
		int rc;

		inst_load(&inst[0], "probe", 64, 8192);
		rc = probe(&inst[0], argc - optind, argv + optind, (__u8)probe_mode);
		inst_unload(&inst[0]);
		return rc;
	}
	if (captures_load(&caps, pcaps))
		die("cannot read the captures in %s (set IFN_PCAPS)", pcaps);

	/* A roomy instance, and a cramped one where tables fill up. */
	inst_load(&inst[0], "roomy", 64, 8192);
	inst_load(&inst[1], "cramped", 6, 48);

	printf("differential run: seed %llu, %llu frames, %zu captured frames from %zu files\n",
	       (unsigned long long)seed, (unsigned long long)frames, caps.n, caps.files);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	budget = frames;
	if (only != ~0ULL) {
		episode(&inst[only % 4 == 3], seed, only, &budget, &caps);
	} else {
		for (ep = 0; budget; ep++)
			episode(&inst[ep % 4 == 3], seed, ep, &budget, &caps);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("frames: %llu (crafted %llu, mutated %llu, random %llu; %llu cut below 14 B were padded to 14) "
	       "in %llu episodes, %.1f s, %.0f frames/s\n",
	       (unsigned long long)stats.frames, (unsigned long long)stats.by_kind[GEN_CRAFTED],
	       (unsigned long long)stats.by_kind[GEN_MUTATED],
	       (unsigned long long)stats.by_kind[GEN_RANDOM],
	       (unsigned long long)stats.short_frames, (unsigned long long)stats.episodes, secs,
	       secs > 0 ? (double)stats.frames / secs : 0.0);
	printf("device mode at the frame: learn %llu, monitor %llu, enforce %llu, quarantine %llu, "
	       "trust %llu, new %llu\n",
	       (unsigned long long)stats.by_mode[0], (unsigned long long)stats.by_mode[1],
	       (unsigned long long)stats.by_mode[2], (unsigned long long)stats.by_mode[3],
	       (unsigned long long)stats.by_mode[4], (unsigned long long)stats.by_mode[5]);
	printf("verdicts: pass %llu, drop %llu, alert %llu; events %llu; operator actions %llu\n",
	       (unsigned long long)stats.by_verdict[0], (unsigned long long)stats.by_verdict[1],
	       (unsigned long long)stats.by_verdict[2], (unsigned long long)stats.events,
	       (unsigned long long)stats.ops);
	printf("events:");
	for (i = 0; i < IFN_EV_MAX; i++)
		if (stats.by_event[i])
			printf(" %s %llu", mdl_event_name(i),
			       (unsigned long long)stats.by_event[i]);
	printf("; not sent (limited) %llu\n", (unsigned long long)stats.events_lost);
	printf("egress: %llu frames to devices (%llu refused by the kernel's test run), %llu "
	       "notes written\n",
	       (unsigned long long)stats.egress_frames, (unsigned long long)stats.egress_refused,
	       (unsigned long long)stats.notes);
	for (i = 0; i < 2; i++)
		printf("names (%s): %llu DNS answers read, %llu recorded, %llu malformed answers "
		       "refused, %llu spoofed; %llu frames passed by a name, %llu named flows learned\n",
		       inst[i].name, (unsigned long long)inst[i].dns_answers,
		       (unsigned long long)inst[i].dns_used, (unsigned long long)inst[i].dns_bad,
		       (unsigned long long)inst[i].dns_spoofed,
		       (unsigned long long)inst[i].model.name_passes,
		       (unsigned long long)inst[i].model.names_learned);
	for (i = 0; i < 2; i++)
		printf("probe sketches (%s): %llu new items, %llu counted no bit (%.1f expected)\n",
		       inst[i].name, (unsigned long long)inst[i].model.probe_tally.items,
		       (unsigned long long)inst[i].model.probe_tally.collisions,
		       inst[i].model.probe_tally.expected);
	printf("new devices %llu, device table full %llu, fingerprint table full %llu\n",
	       (unsigned long long)stats.new_devices, (unsigned long long)stats.table_full,
	       (unsigned long long)stats.flows_full);
	printf("reasons:");
	for (i = 1; i < IFN_REASON_MAX; i++)
		if (stats.by_reason[i])
			printf(" %s %llu", mdl_reason_name(i),
			       (unsigned long long)stats.by_reason[i]);
	printf("\n");
	for (i = 0; i < 2; i++)
		printf("scan sketch (%s): %llu new violating flows, %llu counted no bit "
		       "(collisions; %.1f expected)\n",
		       inst[i].name, (unsigned long long)inst[i].model.scan_tally.items,
		       (unsigned long long)inst[i].model.scan_tally.collisions,
		       inst[i].model.scan_tally.expected);
	for (i = 0; i < 2; i++) {
		/* Far more collisions than chance means a broken sketch. */
		double exp = inst[i].model.scan_tally.expected;

		if ((double)inst[i].model.scan_tally.collisions > 3 * exp + 10) {
			printf("MISMATCH: scan sketch of %s collides far more than a 512-bit sketch "
			       "should\n",
			       inst[i].name);
			stats.mismatches++;
		}
	}
	if (stats.mismatches) {
		printf("mismatches: %u\n", stats.mismatches);
		for (i = 0; i < stats.nkinds; i++)
			printf("  %5u  %s (first in episode %llu)\n", stats.kind_count[i],
			       stats.kinds[i], (unsigned long long)stats.kind_episode[i]);
		printf("differential run FAILED\n");
	} else {
		printf("differential run passed: no mismatch\n");
	}
	inst_unload(&inst[0]);
	inst_unload(&inst[1]);
	captures_free(&caps);
	return stats.mismatches ? 1 : 0;
}
