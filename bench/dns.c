// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dns.c - `ifn-bench dns`: what names cost (issue 12). Printed, never
 * asserted; every figure is measured in this run with BPF_PROG_TEST_RUN
 * (the kernel's own per-repetition time):
 *  - the egress program on a frame that is no DNS answer, against an empty
 *    tc program (difference in ns, and ratio);
 *  - the egress program on each real DNS answer of the captures (median);
 *  - XDP on a frame admitted by a name rule against one admitted by an
 *    exact flow, from the per-CPU decision cache (the same flow again),
 *    past it (a mutator gives each repetition a new source port; its own
 *    cost, measured with XDP_DROP behind it, is taken off), and past the
 *    name's memo of the last flow it admitted too (two flows in turn);
 *  - the verifier's instruction count of each program.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "base.skel.h"
#include "devices.h"
#include "dnsname.h"
#include "loader.h"
#include "rules.h"
#include "state.h"
#include "iotfence.skel.h"

#define KEY 0x5eed5eed12345678ULL

struct dns_bench {
	struct iotfence *skel;
	struct bench_base *base;
	struct ifn_maps m;
	__u32 repeat;
	int rounds;
	double *ans; /* ns per DNS answer */
	size_t nans, cap;
};

/* The kernel's time of one repetition of @fd on @frame, in ns. */
static double run(int fd, const void *frame, size_t len, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		ifb_die("test run: %s", strerror(errno));
	return o.duration;
}

static double median_of(int fd, const void *frame, size_t len, __u32 repeat, int rounds)
{
	struct ifb_samples s = { .n = 0 };
	int i;

	for (i = 0; i < rounds; i++)
		ifb_add(&s, run(fd, frame, len, repeat));
	return ifb_median(&s);
}

/*
 * Every figure of the phase on one CPU, the one where the empty tc program
 * runs fastest: a VM's vCPUs are not alike (on the 2-vCPU test machine one
 * ran the same program 30% slower, and a figure and its reference taken on
 * different CPUs made ratios of nothing). Returns the CPU.
 */
static int pin_quietest(int fd, const void *frame, size_t len, __u32 repeat)
{
	int cpu, best = 0, n = ifb_ncpus_online();
	double t, best_t = 1e30;

	for (cpu = 0; cpu < n; cpu++) {
		if (ifb_pin(0, cpu))
			continue;
		t = median_of(fd, frame, len, repeat, 3);
		if (t < best_t) {
			best_t = t;
			best = cpu;
		}
	}
	if (ifb_pin(0, best))
		ifb_die("cannot pin to CPU %d", best);
	return best;
}

static void device(struct dns_bench *b, const __u8 mac[6], __u8 mode)
{
	struct ifn_device d;

	if (ifn_device_get(&b->m, mac, &d) && ifn_device_create(&b->m, mac, mode, 1))
		ifb_die("cannot make a device");
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Each DNS response from port 53 to a unicast MAC: timed through the egress program. */
static void cap_frame(void *ctx, const __u8 *d, size_t caplen)
{
	struct dns_bench *b = ctx;
	int fd = bpf_program__fd(b->skel->progs.iotfence_egress);
	size_t l3 = 14, l4;
	__u16 et;

	if (caplen < 14 + 20 + 8 || (d[0] & 1))
		return;
	et = d[12] << 8 | d[13];
	if (et == 0x8100) {
		et = d[16] << 8 | d[17];
		l3 += 4;
	}
	if (et == 0x0800 && caplen > l3 + 20 && (d[l3 + 9] == 17 || d[l3 + 9] == 6))
		l4 = l3 + (d[l3] & 15) * 4;
	else if (et == 0x86dd && caplen > l3 + 48 && (d[l3 + 6] == 17 || d[l3 + 6] == 6))
		l4 = l3 + 40;
	else
		return;
	if (caplen < l4 + 2 || (d[l4] << 8 | d[l4 + 1]) != 53)
		return;
	device(b, d, IFN_MODE_ENFORCE);
	if (b->nans == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->ans = realloc(b->ans, b->cap * sizeof(*b->ans));
		if (!b->ans)
			ifb_die("out of memory");
	}
	b->ans[b->nans++] = run(fd, d, caplen, b->repeat / 100 ? b->repeat / 100 : 1);
}

static __u32 insns(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.verified_insns;
}

static void set_next(struct dns_bench *b, int fd)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(b->base->maps.bench_next), &zero, &fd, BPF_ANY))
		ifb_die("prog array: %s", strerror(errno));
}

/*
 * XDP behind the mutator @mut (which tail-calls what bench_next holds) on
 * the exact frame and on the named one, each less the mutator's own cost,
 * measured in front of XDP_DROP (*own).
 */
static void behind(struct dns_bench *b, int mut, int xdp, const __u8 *f_ex, size_t n_ex,
		   const __u8 *f_nm, size_t n_nm, double *ex, double *nm, double *own)
{
	set_next(b, bpf_program__fd(b->base->progs.bench_drop));
	*own = median_of(mut, f_ex, n_ex, b->repeat, b->rounds);
	set_next(b, xdp);
	*ex = median_of(mut, f_ex, n_ex, b->repeat, b->rounds) - *own;
	*nm = median_of(mut, f_nm, n_nm, b->repeat, b->rounds) - *own;
}

/* A name the device resolved, as the egress program would have written it. */
static void resolved(struct dns_bench *b, const __u8 mac[6], const __u8 peer[16], const char *name)
{
	struct ifn_dns_key k = {};
	struct ifn_dns_val v = {};
	struct ifn_dns_name nm;
	__u64 h = ifn_dns_name_hash(KEY, name, &nm);

	memcpy(k.mac, mac, 6);
	memcpy(k.addr, peer, 16);
	v.name[0] = h;
	v.expires_ns[0] = ~0ULL;
	if (bpf_map_update_elem(b->m.dns_names, &h, &nm, BPF_ANY) ||
	    bpf_map_update_elem(b->m.dns, &k, &v, BPF_ANY))
		ifb_die("cannot write ifn_dns: %s", strerror(errno));
}

static void allow(struct dns_bench *b, const __u8 mac[6], const char *text)
{
	char err[160];
	struct ifn_rule r;

	if (ifn_rule_parse(text, &r, err, sizeof(err)))
		ifb_die("%s: %s", text, err);
	memcpy(r.mac, mac, 6);
	if (ifn_rule_install(&b->m, &r))
		ifb_die("cannot install %s", text);
}

int ifb_dns_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "captures", required_argument, NULL, 'c' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "md", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	static const __u8 dev[6] = { 0x02, 0, 0, 0, 0, 0x0a }, gw[6] = { 0x02, 0, 0, 0, 0, 0xfe };
	struct dns_bench b = { .repeat = 1000000, .rounds = 5 };
	struct ifn_load_opts lo = { .pin_dir = NULL, .quiet = true };
	const char *dir = "tests/captures", *md_path = NULL;
	__u8 f_in[128], f_exact[128], f_name[128];
	double tc0, eg, eg_nodev, ex, nm, ex_miss, nm_miss, mut, mut2, ex_alt, nm_alt;
	struct ifb_frame fr = {};
	struct ifn_config cfg;
	size_t n_in, n_ex, n_nm;
	struct dirent *de;
	bool fresh;
	FILE *md;
	DIR *dd;
	int c, xdp, egress, cpu;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			dir = optarg;
		else if (c == 'r')
			b.repeat = strtoul(optarg, NULL, 10);
		else if (c == 'n')
			b.rounds = atoi(optarg);
		else if (c == 'm')
			md_path = optarg;
		else
			ifb_die("usage: ifn-bench dns [--captures DIR] [--repeat N] [--rounds N] "
				"[--md FILE]");
	}
	if (b.rounds < 1 || b.rounds > IFB_MAX_SAMPLES || !b.repeat)
		ifb_die("--rounds 1..%d, --repeat 1 or more", IFB_MAX_SAMPLES);
	ifn_config_defaults(&cfg);
	cfg.dns_key = KEY;
	if (ifn_load(&lo, &cfg, &b.skel, &fresh) || ifn_maps_from_skel(&b.m, b.skel))
		ifb_die("cannot load iotfence (root?)");
	if (ifn_config_read(&b.m, &cfg))
		ifb_die("cannot read the settings");
	cfg.dns_key = KEY;
	if (ifn_config_write(&b.m, &cfg))
		ifb_die("cannot write the settings");
	b.base = bench_base__open_and_load();
	if (!b.base)
		ifb_die("bench_base load");
	xdp = bpf_program__fd(b.skel->progs.iotfence_xdp);
	egress = bpf_program__fd(b.skel->progs.iotfence_egress);

	/* Egress, a frame that is no DNS answer: TCP from beyond to a device. */
	device(&b, dev, IFN_MODE_ENFORCE);
	memcpy(fr.src_mac, gw, 6);
	memcpy(fr.dst_mac, dev, 6);
	ifb_ip4(fr.src, 0x34010203);
	ifb_ip4(fr.dst, 0xc0a8010a);
	fr.proto = 6;
	fr.sport = 443;
	fr.dport = 40000;
	fr.tcp_flags = 0x10;
	n_in = ifb_frame_build(&fr, f_in, sizeof(f_in));
	cpu = pin_quietest(bpf_program__fd(b.base->progs.bench_tc_pass), f_in, n_in, b.repeat);
	tc0 = median_of(bpf_program__fd(b.base->progs.bench_tc_pass), f_in, n_in, b.repeat,
			b.rounds);
	eg = median_of(egress, f_in, n_in, b.repeat, b.rounds);
	/* The same frame to a MAC that is no device: the parse alone. */
	f_in[5] ^= 0x40;
	eg_nodev = median_of(egress, f_in, n_in, b.repeat, b.rounds);
	f_in[5] ^= 0x40;

	/* Egress, every real answer of the captures. */
	dd = opendir(dir);
	if (!dd)
		ifb_die("%s: %s", dir, strerror(errno));
	while ((de = readdir(dd))) {
		char path[1024];

		if (!strstr(de->d_name, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ifb_pcap_each(path, cap_frame, &b);
	}
	closedir(dd);
	qsort(b.ans, b.nans, sizeof(*b.ans), by_value);

	/* XDP: admitted by an exact flow, and by a name the device resolved. */
	memset(&fr, 0, sizeof(fr));
	memcpy(fr.src_mac, dev, 6);
	memcpy(fr.dst_mac, gw, 6);
	ifb_ip4(fr.src, 0xc0a8010a);
	fr.proto = 6;
	fr.sport = 40000;
	fr.dport = 443;
	fr.tcp_flags = 0x02;
	ifb_ip4(fr.dst, 0x34010203);
	n_ex = ifb_frame_build(&fr, f_exact, sizeof(f_exact));
	ifb_ip4(fr.dst, 0x34010204);
	n_nm = ifb_frame_build(&fr, f_name, sizeof(f_name));
	allow(&b, dev, "tcp/443 52.1.2.3");
	allow(&b, dev, "tcp/443 name bench.example.com");
	allow(&b, dev, "tcp/8443 52.1.2.3");
	allow(&b, dev, "tcp/8443 name bench.example.com");
	{
		__u8 peer[16] = { [10] = 0xff, [11] = 0xff, 52, 1, 2, 4 };

		resolved(&b, dev, peer, "bench.example.com");
	}
	ex = median_of(xdp, f_exact, n_ex, b.repeat, b.rounds);
	nm = median_of(xdp, f_name, n_nm, b.repeat, b.rounds);
	behind(&b, bpf_program__fd(b.base->progs.bench_mut_sport), xdp, f_exact, n_ex, f_name, n_nm,
	       &ex_miss, &nm_miss, &mut);
	/* Two flows in turn: the name's memo of the last flow never serves. */
	behind(&b, bpf_program__fd(b.base->progs.bench_mut_ports), xdp, f_exact, n_ex, f_name, n_nm,
	       &ex_alt, &nm_alt, &mut2);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f_name, .data_size_in = n_nm);

		/* The name case must be a pass by the name, not a drop. */
		if (bpf_prog_test_run_opts(xdp, &o) || o.retval != XDP_PASS)
			ifb_die("the frame admitted by a name did not pass (%u)", o.retval);
	}

	md = md_path ? fopen(md_path, "w") : NULL;
	if (!md)
		md = stdout;
	fprintf(md, "### Names (issue 12)\n\n| figure | value |\n|---|---|\n");
	fprintf(md,
		"| egress, frame that is no DNS answer, to a device (inbound note included) | "
		"%.1f ns (empty tc program %.1f ns: +%.1f ns, %.2fx) |\n",
		eg, tc0, eg - tc0, tc0 > 0 ? eg / tc0 : 0);
	fprintf(md, "| egress, the same frame to no device | %.1f ns (+%.1f ns, %.2fx) |\n",
		eg_nodev, eg_nodev - tc0, tc0 > 0 ? eg_nodev / tc0 : 0);
	fprintf(md,
		"| egress, real DNS answers of the captures | median %.0f ns over %zu answers "
		"(min %.0f, max %.0f) |\n",
		b.nans ? b.ans[b.nans / 2] : 0, b.nans, b.nans ? b.ans[0] : 0,
		b.nans ? b.ans[b.nans - 1] : 0);
	fprintf(md,
		"| XDP, same flow again (decision cache): by name / exact | %.1f / %.1f ns "
		"(%.2fx) |\n",
		nm, ex, ex > 0 ? nm / ex : 0);
	fprintf(md,
		"| XDP, past the decision cache (a new connection): by name / exact | %.1f / %.1f ns "
		"(%.2fx) |\n",
		nm_miss, ex_miss, ex_miss > 0 ? nm_miss / ex_miss : 0);
	fprintf(md,
		"| XDP, past the cache and the name's memo (two flows in turn): by name / exact | "
		"%.1f / %.1f ns (%.2fx) |\n",
		nm_alt, ex_alt, ex_alt > 0 ? nm_alt / ex_alt : 0);
	fprintf(md, "| verifier: iotfence_xdp / iotfence_egress | %u / %u instructions |\n\n",
		insns(xdp), insns(egress));
	fprintf(md,
		"Kernel test-run times on CPU %d (of those online, where an empty tc program ran "
		"fastest), ns per repetition, median of %d rounds of %u; the "
		"answers once each with %u repetitions. \"Past the decision cache\": a mutator "
		"gives every repetition a new source port and tail-calls XDP; the mutator's "
		"cost in front of XDP_DROP (%.1f ns) is taken off. \"Two flows in turn\": the "
		"destination port alternates between 443 and 8443, both admitted (mutator "
		"%.1f ns, taken off).\n\n",
		cpu, b.rounds, b.repeat, b.repeat / 100 ? b.repeat / 100 : 1, mut, mut2);
	if (md != stdout)
		fclose(md);
	free(b.ans);
	bench_base__destroy(b.base);
	iotfence__destroy(b.skel);
	return 0;
}
