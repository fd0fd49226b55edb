// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gen_measure - how much generalisation lowers false drops, measured on
 * real captures with the real program (BPF_PROG_TEST_RUN on private maps,
 * the virtual clock set to each frame's capture time):
 *
 *   gen_measure [--peers N] [--ports N] [--prefix-v4 N] [--prefix-v6 N]
 *               [--try PEERS/PORTS/V4/V6]... [--gateway MAC]... [--quiet]
 *               (--learn CAPTURE... --replay CAPTURE... | --split SECONDS CAPTURE)...
 *
 * For each pair, every device learns on the learn captures (or the first
 * SECONDS of one capture), then enforces on the replay captures (or the
 * rest); the program is loaded once and its maps emptied between runs. This runs
 * without and with generalisation at the end of learning (the options, or
 * each --try in turn), and prints for each device and in total the frames
 * replayed and how many were dropped each time. A frame of the replayed captures is benign by
 * construction (the same device doing the same job), so every drop is a
 * false drop. Frames of the gateway (--gateway) are left out, as a live
 * iotfence never sees them as a device's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
/* pcap's own bpf.h clashes with the kernel's: only pcap's typedefs are needed. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
struct bpf_program;
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "devices.h"
#include "errors.h"
#include "format.h"
#include "generalise.h"
#include "loader.h"
#include "parse.h"
#include "rules.h"
#include "state.h"

#define MAX_DEVS 256
#define MAX_GW 8
#define MAX_TRY 16

struct frame {
	__u64 ts;
	__u32 len;
	__u8 *data;
	bool learn;
};

struct dev {
	__u8 mac[6];
	unsigned long replayed, dropped[MAX_TRY + 1];
	int rules[MAX_TRY + 1];
	unsigned int flows_before, flows_after[MAX_TRY + 1];
};

static struct frame *frames;
static size_t nframes, capframes;
static struct dev devs[MAX_DEVS];
static size_t ndevs;
static __u8 gateways[MAX_GW][6];
static int ngw;

static void die(const char *msg)
{
	fprintf(stderr, "gen_measure: %s\n", msg);
	exit(1);
}

static void read_capture(const char *path, bool learn, double split)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	__u64 first = 0;
	pcap_t *p;
	int rc;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fprintf(stderr, "gen_measure: %s: %s\n", path, err);
		exit(1);
	}
	if (pcap_datalink(p) != DLT_EN10MB)
		die("not an Ethernet capture");
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct frame *f;

		if (h->caplen < 14)
			continue;
		if (nframes == capframes) {
			capframes = capframes ? capframes * 2 : 4096;
			frames = realloc(frames, capframes * sizeof(*frames));
			if (!frames)
				die("out of memory");
		}
		f = &frames[nframes++];
		f->ts = (__u64)h->ts.tv_sec * 1000000000ULL + h->ts.tv_usec;
		f->len = h->caplen;
		f->data = malloc(h->caplen);
		if (!f->data)
			die("out of memory");
		memcpy(f->data, data, h->caplen);
		if (!first)
			first = f->ts;
		f->learn = split > 0 ? f->ts - first < (__u64)(split * 1e9) : learn;
	}
	pcap_close(p);
}

static bool is_gateway(const __u8 *mac)
{
	int i;

	for (i = 0; i < ngw; i++)
		if (!memcmp(mac, gateways[i], 6))
			return true;
	return false;
}

static struct dev *dev_of(const __u8 mac[6], bool add)
{
	size_t i;

	for (i = 0; i < ndevs; i++)
		if (!memcmp(devs[i].mac, mac, 6))
			return &devs[i];
	if (!add || ndevs == MAX_DEVS)
		return NULL;
	memcpy(devs[ndevs].mac, mac, 6);
	return &devs[ndevs++];
}

static int run_frame(int prog_fd, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->data, .data_size_in = f->len);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		die("BPF_PROG_TEST_RUN failed (root?)");
	return o.retval;
}

/* Empty maps, as a fresh load leaves them, without loading again. */
static void reset(const struct ifn_maps *m)
{
	struct ifn_iface ifc = { .default_mode = IFN_MODE_LEARN };
	struct ifn_config cfg, cur;
	__u32 lo = 1;

	if (ifn_state_reset(m))
		die("cannot empty the maps");
	ifn_config_read(m, &cur);
	ifn_config_defaults(&cfg);
	cfg.jiffy_ns = cur.jiffy_ns;
	cfg.clock_offset_ns = cur.clock_offset_ns;
	ifn_config_write(m, &cfg);
	/* Frames of BPF_PROG_TEST_RUN arrive on loopback. */
	snprintf(ifc.name, sizeof(ifc.name), "lo");
	bpf_map_update_elem(m->ifaces, &lo, &ifc, BPF_ANY);
}

/*
 * Frames of the learn part, then (shifted after them in time) the replay
 * part. @go NULL: no generalisation (the baseline).
 */
static void one_run(struct iotfence *skel, const struct ifn_maps *m, int pass,
		    const struct ifn_gen_opts *go)
{
	__u64 last_learn = 0, first_replay = 0, shift = 0, *now = ifn_skel_virtual_now(skel);
	int prog = ifn_skel_prog_fd(skel);
	size_t i;

	reset(m);
	for (i = 0; i < nframes; i++) {
		const struct frame *f = &frames[i];

		if (f->learn && f->ts > last_learn)
			last_learn = f->ts;
		if (!f->learn && (!first_replay || f->ts < first_replay))
			first_replay = f->ts;
	}
	/* Captures of a device's two setups were made on different days. */
	if (first_replay && first_replay <= last_learn)
		shift = last_learn - first_replay + 1000000000ULL;

	for (i = 0; i < nframes; i++) {
		const struct frame *f = &frames[i];

		if (!f->learn || (f->data[6] & 1) || is_gateway(f->data + 6))
			continue;
		*now = f->ts;
		run_frame(prog, f);
		dev_of(f->data + 6, true);
	}
	/* Learning ends: generalise, then enforce. */
	for (i = 0; i < ndevs; i++) {
		struct ifn_device d;
		struct ifn_rule *r;
		size_t n;

		if (ifn_device_get(m, devs[i].mac, &d))
			continue;
		if (!ifn_rules_read(m, devs[i].mac, &r, &n)) {
			devs[i].flows_before = n;
			free(r);
		}
		if (go) {
			int made = ifn_generalise(m, devs[i].mac, go,
						  getenv("GEN_VERBOSE") ? stdout : NULL);

			if (made < 0)
				die("generalisation failed");
			devs[i].rules[pass] = made;
			ifn_device_get(m, devs[i].mac, &d);
		}
		if (!ifn_rules_read(m, devs[i].mac, &r, &n)) {
			devs[i].flows_after[pass] = n;
			free(r);
		}
		ifn_device_set_mode(m, devs[i].mac, IFN_MODE_ENFORCE, 0, 0, last_learn, NULL);
	}
	for (i = 0; i < nframes; i++) {
		const struct frame *f = &frames[i];
		struct dev *d;
		int v;

		if (f->learn || (f->data[6] & 1) || is_gateway(f->data + 6))
			continue;
		d = dev_of(f->data + 6, false);
		if (!d)
			continue; /* a device the learn part never saw: not a generalisation matter */
		*now = f->ts + shift;
		v = run_frame(prog, f);
		d->dropped[pass] += v == XDP_DROP;
		if (pass == 0)
			d->replayed++;
	}
}

static void free_frames(void)
{
	size_t i;

	for (i = 0; i < nframes; i++)
		free(frames[i].data);
	nframes = 0;
	memset(devs, 0, sizeof(devs));
	ndevs = 0;
}

struct totals {
	unsigned long rep, drop[MAX_TRY + 1];
	int rules[MAX_TRY + 1];
};

/* One learn/replay pair: the baseline and each try; per-device lines unless quiet. */
static void measure(struct iotfence *skel, const struct ifn_maps *m, const char *label,
		    const struct ifn_gen_opts *tries, int ntry, bool quiet, struct totals *all)
{
	struct totals g = {};
	char mb[IFN_MAC_STRLEN];
	size_t i;
	int t;

	if (!nframes)
		die("a pair without frames");
	one_run(skel, m, 0, NULL);
	for (t = 0; t < ntry; t++)
		one_run(skel, m, t + 1, &tries[t]);
	for (i = 0; i < ndevs; i++) {
		const struct dev *d = &devs[i];

		if (!d->replayed)
			continue;
		if (!quiet)
			printf("  %-17s replayed %6lu, dropped %6lu without, %6lu with; flows %u -> %u\n",
			       ifn_fmt_mac(d->mac, mb), d->replayed, d->dropped[0], d->dropped[1],
			       d->flows_before, d->flows_after[1]);
		g.rep += d->replayed;
		for (t = 0; t <= ntry; t++) {
			g.drop[t] += d->dropped[t];
			g.rules[t] += d->rules[t];
		}
	}
	printf("pair %s: replayed %lu, dropped %lu without", label, g.rep, g.drop[0]);
	for (t = 0; t < ntry; t++)
		printf(", %lu with %u/%u/%u/%u", g.drop[t + 1], tries[t].peers_per_port,
		       tries[t].ports_per_peer, tries[t].prefix_v4, tries[t].prefix_v6);
	printf("\n");
	all->rep += g.rep;
	for (t = 0; t <= ntry; t++) {
		all->drop[t] += g.drop[t];
		all->rules[t] += g.rules[t];
	}
	free_frames();
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "peers", required_argument, NULL, 'p' },
		{ "ports", required_argument, NULL, 'P' },
		{ "prefix-v4", required_argument, NULL, '4' },
		{ "prefix-v6", required_argument, NULL, '6' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "try", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	/* Small maps: emptying them between runs is then cheap. */
	struct ifn_load_opts lo = { .virtual_clock = true,
				    .quiet = true,
				    .max_devices = MAX_DEVS,
				    .max_flows = 65536,
				    .max_rules = 4096 };
	struct ifn_gen_opts go, tries[MAX_TRY];
	char err[IFN_ERRLEN], label[512] = "";
	struct totals all = {};
	struct iotfence *skel;
	struct ifn_config cfg;
	bool quiet = false, fresh;
	int opt, mode = 0, ntry = 0, t, nopt;
	struct ifn_maps m;

	ifn_gen_defaults(&go);
	ifn_libbpf_logging(false);
	ifn_clock_set_virtual(true);
	/* Options end where the first pair begins. */
	for (nopt = 1; nopt < argc; nopt++)
		if (!strcmp(argv[nopt], "--learn") || !strcmp(argv[nopt], "--split"))
			break;
	while ((opt = getopt_long(nopt, argv, "+", longopts, NULL)) != -1) {
		const char *key = NULL;

		switch (opt) {
		case 'p':
			key = "generalise-peers";
			break;
		case 'P':
			key = "generalise-ports";
			break;
		case '4':
			key = "generalise-prefix-v4";
			break;
		case '6':
			key = "generalise-prefix-v6";
			break;
		case 'g':
			if (ngw == MAX_GW || ifn_parse_mac(optarg, gateways[ngw++]))
				die("--gateway MAC");
			break;
		case 't':
			ifn_gen_defaults(&tries[ntry]);
			if (ntry == MAX_TRY ||
			    sscanf(optarg, "%u/%u/%u/%u", &tries[ntry].peers_per_port,
				   &tries[ntry].ports_per_peer, &tries[ntry].prefix_v4,
				   &tries[ntry].prefix_v6) != 4 ||
			    tries[ntry].prefix_v4 > 32 || tries[ntry].prefix_v6 > 128)
				die("--try PEERS/PORTS/V4/V6");
			ntry++;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			die("usage: see the comment at the top of tests/tools/gen_measure.c");
		}
		if (key && ifn_gen_opt_apply(&go, key, optarg, err, sizeof(err)))
			die(err);
	}
	if (optind != nopt)
		die("an argument before the first --learn or --split");
	if (!ntry)
		tries[ntry++] = go;
	ifn_config_defaults(&cfg);
	if (ifn_load(&lo, &cfg, &skel, &fresh) || ifn_maps_from_skel(&m, skel))
		die("cannot load the program (root?)");

	/* Pairs: --learn CAPTURE... --replay CAPTURE..., or --split SECONDS CAPTURE. */
	for (; optind < argc; optind++) {
		const char *a = argv[optind];

		if (!strcmp(a, "--learn") || !strcmp(a, "--split")) {
			if (mode == 2) {
				measure(skel, &m, label, tries, ntry, quiet, &all);
				label[0] = '\0';
			}
			if (!strcmp(a, "--split")) {
				double secs;

				if (optind + 2 >= argc || (secs = atof(argv[optind + 1])) <= 0)
					die("--split SECONDS CAPTURE");
				snprintf(label, sizeof(label), "%s: first %gs -> the rest",
					 base(argv[optind + 2]), secs);
				read_capture(argv[optind + 2], false, secs);
				optind += 2;
				mode = 2;
				continue;
			}
			mode = 1;
			continue;
		}
		if (!strcmp(a, "--replay")) {
			if (mode != 1)
				die("--replay before --learn");
			mode = 2;
			strncat(label, " ->", sizeof(label) - strlen(label) - 1);
			continue;
		}
		if (!mode)
			die("a capture before --learn");
		strncat(label, " ", sizeof(label) - strlen(label) - 1);
		strncat(label, base(a), sizeof(label) - strlen(label) - 1);
		read_capture(a, mode == 1, 0);
	}
	if (mode != 2)
		die("the last pair has no --replay");
	measure(skel, &m, label, tries, ntry, quiet, &all);
	ifn_unload(skel);

	/* One line per setting, for scripts. */
	for (t = 0; t < ntry; t++)
		printf("total: replayed %lu, dropped %lu (%.2f%%) without generalisation, %lu "
		       "(%.2f%%) with peers %u ports %u prefix-v4 %u prefix-v6 %u (%d rules)\n",
		       all.rep, all.drop[0], all.rep ? 100.0 * all.drop[0] / all.rep : 0.0,
		       all.drop[t + 1], all.rep ? 100.0 * all.drop[t + 1] / all.rep : 0.0,
		       tries[t].peers_per_port, tries[t].ports_per_peer, tries[t].prefix_v4,
		       tries[t].prefix_v6, all.rules[t + 1]);
	return 0;
}
