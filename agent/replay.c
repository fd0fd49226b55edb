// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * replay.c - `iotfence replay`: options, the program and its private maps,
 * the policy or the learning, the phases, then the report (iotfence.8,
 * REPLAY; the parts are listed in replay_read.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "defaults.h"
#include "devices.h"
#include "errors.h"
#include "format.h"
#include "generalise.h"
#include "loader.h"
#include "output.h"
#include "parse.h"
#include "policy.h"
#include "policy_parse.h"
#include "replay_report.h"
#include "settings.h"
#include "state.h"
#include "iotfence.skel.h"

/*
 * Below this many frames, one worker: loading another copy of the program
 * (the verifier, a tenth of a second or more) costs more than it saves at
 * about a microsecond a frame.
 */
#define RP_PARALLEL_MIN_FRAMES 200000
#define RP_ORDERED_MAX_SHARE 100
#define RP_MAX_GATEWAYS 16
/*
 * XDP_PACKET_HEADROOM and the skb_shared_info at the end of the page:
 * BPF_PROG_TEST_RUN puts the rest of a longer frame in fragments, which
 * the program (not a frags program) does not see.
 */
#define RP_XDP_HEADROOM 256
#define RP_XDP_TAILROOM 320
/* Interfaces a policy names besides the replayed one: never a frame's. */
#define RP_IFINDEX_OTHER 1000000
/*
 * A policy applied "for DUR" sets deadlines on CLOCK_MONOTONIC, "until"
 * ones on capture (wall) time under the virtual clock. Monotonic times,
 * even ten years ahead, stay far below 2001 on the wall clock.
 */
#define RP_MONO_LIMIT 1000000000000000000ULL

struct rp_opts {
	__u64 learn_ns;
	const char **learn;
	size_t nlearn;
	const char **replay;
	size_t nreplay;
	const char *policy;
	__u8 gateways[RP_MAX_GATEWAYS][6];
	size_t ngateways;
	bool no_gateway;
	unsigned int workers;
	const char *ifname;
	bool generalise;
	bool no_names;
	const char **sets; /* --set KEY=VALUE, in order */
	size_t nsets;
};

/*
 * One --set KEY=VALUE on @cfg, or on @gen for a generalisation key
 * (ifn_gen_opt_names); -EINVAL with why in @err.
 */
static int apply_set(struct ifn_config *cfg, struct ifn_gen_opts *gen, const char *kv, char *err,
		     size_t errlen)
{
	size_t i;

	const char *eq = strchr(kv, '=');
	char key[64];

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		snprintf(err, errlen, "not KEY=VALUE (the keys of 'iotfence settings')");
		return -EINVAL;
	}
	memcpy(key, kv, eq - kv);
	key[eq - kv] = 0;
	for (i = 0; ifn_gen_opt_names[i]; i++)
		if (!strcmp(key, ifn_gen_opt_names[i]))
			return ifn_gen_opt_apply(gen, key, eq + 1, err, errlen) ? -EINVAL : 0;
	return ifn_setting_apply(cfg, key, eq + 1, err, errlen) ? -EINVAL : 0;
}

static int parse_opts(const struct ifn_cmd *c, int argc, char **argv, struct rp_opts *o)
{
	bool have_learn_for = false;
	__u64 v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->learn_ns = IFN_REPLAY_LEARN_DEFAULT_NS;
	o->learn = calloc(argc + 1, sizeof(*o->learn));
	o->replay = calloc(argc + 1, sizeof(*o->replay));
	o->sets = calloc(argc + 1, sizeof(*o->sets));
	if (!o->learn || !o->replay || !o->sets) {
		ifn_err("replay: out of memory");
		return IFN_EXIT_FAIL;
	}
	optind = 1;
	while ((opt = ifn_getopt(c, NULL, argc, argv)) != -1) {
		/* getopt gives every option that takes a value one. */
		const char *arg = optarg ? optarg : "";

		switch (opt) {
		case 'f':
			if (ifn_arg_duration(c, "--learn-for", arg, &o->learn_ns))
				return IFN_EXIT_USAGE;
			have_learn_for = true;
			break;
		case 'l':
			o->learn[o->nlearn++] = arg;
			break;
		case 'p':
			if (o->policy)
				return ifn_usage_error(c, "--policy is given twice");
			o->policy = arg;
			break;
		case 'g':
			if (!strcasecmp(arg, "none")) {
				o->no_gateway = true;
				break;
			}
			if (o->ngateways == RP_MAX_GATEWAYS)
				return ifn_usage_error(c, "at most %d --gateway options",
						       RP_MAX_GATEWAYS);
			if (ifn_arg_mac(c, arg, o->gateways[o->ngateways]))
				return IFN_EXIT_USAGE;
			o->ngateways++;
			break;
		case 'w':
			if (ifn_arg_count(c, "--workers", arg, &v))
				return IFN_EXIT_USAGE;
			if (v < 1 || v > RP_MAX_WORKERS)
				return ifn_usage_error(c, "--workers must be 1 to %d",
						       RP_MAX_WORKERS);
			o->workers = v;
			break;
		case 'i':
			if (!*arg || strlen(arg) >= 16 || strchr(arg, '/'))
				return ifn_usage_error(
					c, "--interface '%s' is not an interface name", arg);
			o->ifname = arg;
			break;
		case 'G':
			o->generalise = true;
			break;
		case 'N':
			o->no_names = true;
			break;
		case 's': {
			/* Checked here, on defaults: a bad one is refused before anything is read. */
			struct ifn_gen_opts gen;
			struct ifn_config cfg;
			char err[160];

			ifn_config_defaults(&cfg);
			ifn_gen_defaults(&gen);
			if (apply_set(&cfg, &gen, arg, err, sizeof(err)))
				return ifn_usage_error(c, "--set %s: %s", arg, err);
			o->sets[o->nsets++] = arg;
			break;
		}
		default:
			return ifn_opt_error(c, argv);
		}
	}
	while (optind < argc)
		o->replay[o->nreplay++] = argv[optind++];
	if (!o->nreplay)
		return ifn_usage_error(c, "missing CAPTURE (a pcap or pcapng file to replay)");
	if (o->policy && o->nlearn)
		return ifn_usage_error(c, "--policy and --learn exclude each other: a policy is "
					  "evaluated, not learnt");
	if (o->no_gateway && o->ngateways)
		return ifn_usage_error(c, "--gateway none and --gateway MAC exclude each other");
	(void)have_learn_for;
	return IFN_EXIT_OK;
}

/*
 * The interface the frames arrive on is named after the policy's only
 * interface (or --interface), so that the policy's lines for it apply; the
 * policy's other interfaces get entries that no frame reaches, since a
 * policy names only attached interfaces.
 */
static int setup_ifaces(struct rp_run *R, const struct ifn_policy *pol, const char *given)
{
	struct ifn_iface ifc = { .default_mode = IFN_MODE_LEARN };
	__u32 idx = RP_IFINDEX;
	size_t i;

	if (given)
		snprintf(R->ifname, sizeof(R->ifname), "%s", given);
	else if (pol && pol->n_ifaces == 1)
		snprintf(R->ifname, sizeof(R->ifname), "%s", pol->ifaces[0].name);
	else
		snprintf(R->ifname, sizeof(R->ifname), "replay");
	R->iface_learn_ns = R->learn_files ? 0 : R->learn_ns;
	ifc.learn_ns = R->iface_learn_ns;
	memcpy(ifc.name, R->ifname, sizeof(ifc.name));
	if (bpf_map_update_elem(R->maps.ifaces, &idx, &ifc, BPF_ANY))
		return -errno;
	for (i = 0; pol && i < pol->n_ifaces; i++) {
		if (!strncmp(pol->ifaces[i].name, R->ifname, sizeof(ifc.name)))
			continue;
		idx = RP_IFINDEX_OTHER + i;
		memset(ifc.name, 0, sizeof(ifc.name));
		snprintf(ifc.name, sizeof(ifc.name), "%s", pol->ifaces[i].name);
		if (bpf_map_update_elem(R->maps.ifaces, &idx, &ifc, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int rm_tree(const char *dir)
{
	char path[PATH_MAX];

	/* Only the names file lives there. */
	snprintf(path, sizeof(path), "%s/names", dir);
	unlink(path);
	return rmdir(dir) ? -errno : 0;
}

/*
 * Load the policy into the private maps. Its state files (device names) go
 * to a directory of our own that is removed after: a live gateway's are
 * neither read nor written. Deadlines it set "for DUR" from now start at
 * the first frame instead, and the devices it made are known to the run.
 */
static int load_policy(struct rp_run *R)
{
	char dir[] = "/tmp/iotfence-replay.XXXXXX";
	const char *old = getenv("IOTFENCE_STATE_DIR");
	char *saved = old ? strdup(old) : NULL;
	__u64 now = ifn_now_mono(), start = R->in.nframes ? R->in.frames[0].vts : now;
	struct ifn_dev_view *v = NULL;
	struct ifn_iface ifc;
	__u32 one = RP_IFINDEX;
	size_t n, i;
	int err;

	if ((old && !saved) || !mkdtemp(dir)) {
		free(saved);
		ifn_err("replay: cannot make a private state directory: %s", strerror(errno));
		return -errno;
	}
	setenv("IOTFENCE_STATE_DIR", dir, 1);
	err = ifn_policy_load_file(&R->maps, R->policy, false, NULL);
	if (saved)
		setenv("IOTFENCE_STATE_DIR", saved, 1);
	else
		unsetenv("IOTFENCE_STATE_DIR");
	free(saved);
	rm_tree(dir);
	if (err)
		return err; /* the policy code said what and where */

	err = ifn_devices_read(&R->maps, &v, &n);
	for (i = 0; !err && i < n; i++) {
		struct ifn_device d, *rec;
		__u64 w, until;
		__u32 m;

		/* No frame runs yet: the records are the replay's own to rewrite. */
		rec = ifn_device_rec(&R->maps, v[i].mac);
		if (!rec) {
			err = -ENOENT;
			break;
		}
		w = rec->mode_word;
		until = ifn_mw_until(w);
		if (until && until < RP_MONO_LIMIT)
			rec->mode_word = ifn_mode_word(ifn_mw_mode(w), ifn_mw_after(w),
						       until > now ? start + (until - now) : start);
		if (rec->created_ns < RP_MONO_LIMIT)
			rec->created_ns = start;
		if (rec->scan_window_ns < RP_MONO_LIMIT)
			rec->scan_window_ns = start;
		d = *rec;
		m = rp_scan_find(&R->scan, v[i].mac);
		if (m != RP_NODEV) {
			R->devs[m].declared = true;
			R->devs[m].learning = d.mode == IFN_MODE_LEARN;
			R->devs[m].learn_until =
				d.mode == IFN_MODE_LEARN ? ifn_mw_until(d.mode_word) : 0;
		}
	}
	free(v);
	if (!err)
		err = ifn_config_read(&R->maps, &R->cfg);
	if (!err)
		err = bpf_map_lookup_elem(R->maps.ifaces, &one, &ifc) ? -errno : 0;
	if (err) {
		ifn_err("replay: cannot read the state the policy made: %s", ifn_strerror(err));
		return err;
	}
	R->default_learns = ifc.default_mode == IFN_MODE_LEARN;
	R->iface_learn_ns = ifc.learn_ns;
	return 0;
}

static unsigned int worker_count(const struct rp_opts *o, const struct rp_run *R)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = o->workers ? o->workers : cpus > 0 ? (unsigned int)cpus : 1, busy = 0;
	__u64 frames = 0;
	size_t i;

	if (n > RP_MAX_WORKERS)
		n = RP_MAX_WORKERS;
	if (o->workers)
		return n;
	for (i = 0; i < R->in.nframes; i++)
		frames += rp_runnable(&R->in.frames[i]);
	if (frames < RP_PARALLEL_MIN_FRAMES)
		return 1;
	/*
	 * Ordered frames make the workers wait for each other: when more than
	 * one frame in RP_ORDERED_MAX_SHARE is one, they would mostly wait.
	 */
	if (R->scan.sync_points * RP_ORDERED_MAX_SHARE > frames)
		return 1;
	/* More workers than devices would only wait. */
	for (i = 0; i < R->scan.nmacs; i++)
		busy += !R->scan.macs[i].gateway && R->scan.macs[i].frames;
	if (!busy)
		busy = 1;
	return n < busy ? n : busy;
}

/* Zeroed memory on cache-line boundaries, for the aligned structs above. */
static void *zalloc_lines(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (posix_memalign(&p, 64, n * size))
		return NULL;
	memset(p, 0, n * size);
	return p;
}

static void run_free(struct rp_run *R)
{
	unsigned int i;

	for (i = 0; i < RP_MAX_WORKERS; i++) {
		struct rp_worker *w = &R->w[i];

		rp_ring_close(&w->ring);
		if (w->skel)
			ifn_unload(w->skel);
		free(w->queue);
		free(w->ev);
	}
	ifn_replay_frames_unmap(R->slots, R->nslots);
	free(R->sync);
	free(R->events);
	free(R->devs);
	rp_scan_free(&R->scan);
	rp_input_free(&R->in);
	free(R->in.caps);
}

int ifn_cmd_replay(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_load_opts lo = { .pin_dir = NULL, .virtual_clock = true, .quiet = true };
	long page = sysconf(_SC_PAGESIZE);
	__u32 max_linear;
	struct ifn_policy pol = { 0 };
	bool have_pol = false;
	struct rp_opts o;
	struct rp_run *R;
	unsigned int i;
	bool fresh;
	size_t k;
	int err, rc;

	rc = parse_opts(c, argc, argv, &o);
	if (rc != IFN_EXIT_OK)
		goto out_opts;
	rc = IFN_EXIT_FAIL;
	R = zalloc_lines(1, sizeof(*R));
	if (!R) {
		ifn_err("replay: out of memory");
		goto out_opts;
	}
	R->learn_ns = o.learn_ns;
	R->learn_files = o.nlearn > 0;
	R->policy = o.policy;
	R->gen = o.generalise;
	R->no_names = o.no_names;
	ifn_gen_defaults(&R->gen_opts);
	ifn_clock_set_virtual(true);
	/* A bad policy is found before the captures are read. */
	if (R->policy) {
		unsigned int nerr = 0;

		err = ifn_policy_parse_file(R->policy, &pol, &nerr);
		if (err)
			goto out;
		have_pol = true;
		if (!o.ifname && pol.n_ifaces > 1) {
			rc = ifn_usage_error(c,
					     "%s sets defaults for %zu interfaces: say which one "
					     "the captures were taken on with --interface",
					     R->policy, pol.n_ifaces);
			goto out;
		}
	}

	/* Every capture is read before anything runs: bad input changes nothing. */
	R->in.ncaps = o.nlearn + o.nreplay;
	R->in.caps = calloc(R->in.ncaps ? R->in.ncaps : 1, sizeof(*R->in.caps));
	if (!R->in.caps)
		goto out;
	for (k = 0; k < o.nlearn; k++)
		R->in.caps[k] = (struct rp_capture){ .path = o.learn[k], .phase = RP_PHASE_LEARN };
	for (k = 0; k < o.nreplay; k++)
		R->in.caps[o.nlearn + k] =
			(struct rp_capture){ .path = o.replay[k], .phase = RP_PHASE_REPLAY };
	max_linear = (page > 0 ? page : 4096) - RP_XDP_HEADROOM - RP_XDP_TAILROOM;
	if (max_linear > IFN_REPLAY_FRAME_MAX)
		max_linear = IFN_REPLAY_FRAME_MAX; /* the size of a frame slot */
	err = rp_read_all(&R->in, max_linear);
	if (err)
		goto out;
	if (!R->in.nframes) {
		ifn_err("replay: no Ethernet frame to replay in the %zu capture%s given",
			R->in.ncaps, R->in.ncaps == 1 ? "" : "s");
		goto out;
	}
	rp_assign_clock(&R->in);
	err = rp_scan(&R->scan, &R->in, o.gateways, o.ngateways, o.no_gateway);
	if (err) {
		ifn_err("replay: %s", ifn_strerror(err));
		goto out;
	}
	for (k = 0; k < o.ngateways; k++)
		if (!R->scan.macs[rp_scan_find(&R->scan, o.gateways[k])].frames) {
			char m[IFN_MAC_STRLEN];

			ifn_warn("replay: --gateway %s sends no frame in the captures",
				 ifn_fmt_mac(o.gateways[k], m));
		}
	R->devs = zalloc_lines(R->scan.nmacs ? R->scan.nmacs : 1, sizeof(*R->devs));
	if (!R->devs)
		goto out;

	/* The settings of a live gateway, on private maps. */
	ifn_config_defaults(&R->cfg);
	R->cfg.default_mode = IFN_MODE_LEARN;
	R->cfg.learn_ns = R->learn_files ? 0 : R->learn_ns;
	R->default_learns = true;
	for (k = 0; k < o.nsets; k++) {
		char why[160];

		if (apply_set(&R->cfg, &R->gen_opts, o.sets[k], why, sizeof(why))) {
			ifn_err("replay: --set %s: %s", o.sets[k], why);
			goto out;
		}
	}
	/*
	 * A table that holds every MAC of the captures behaves as the default
	 * one (neither fills up) and takes a fraction of the time to set up;
	 * more MACs than the default, or a policy's devices besides, get the
	 * default size and its table-full behaviour.
	 */
	if (!R->policy && R->scan.nmacs + 256 < IFN_MAX_DEVICES_DEFAULT)
		lo.max_devices = R->scan.nmacs + 256;
	R->nworkers = worker_count(&o, R);
	lo.replay_slots = R->nworkers * RP_BATCH;
	lo.events_bytes = RP_EVENTS_BYTES;
	R->in_len = IFN_REPLAY_FRAME_MIN;
	for (k = 0; k < R->in.nframes; k++)
		if (rp_runnable(&R->in.frames[k]) && R->in.frames[k].len > R->in_len)
			R->in_len = R->in.frames[k].len;
	err = ifn_load(&lo, &R->cfg, &R->w[0].skel, &fresh);
	if (!err)
		err = ifn_maps_from_skel(&R->maps, R->w[0].skel);
	if (!err) {
		R->slots = ifn_replay_frames_map(R->w[0].skel, &R->nslots, &err);
		if (R->nslots < lo.replay_slots)
			err = err ? err : -ENOSPC;
	}
	if (!err)
		err = ifn_config_read(&R->maps, &R->cfg);
	if (!err)
		err = setup_ifaces(R, have_pol ? &pol : NULL, o.ifname);
	if (err) {
		ifn_err("replay: cannot load the program: %s", ifn_strerror(err));
		goto out;
	}
	if (R->policy && load_policy(R))
		goto out;

	for (i = 1; i < R->nworkers; i++) {
		R->w[i].id = i;
		err = ifn_load_replay_twin(R->w[0].skel, &R->w[i].skel);
		if (err) {
			ifn_err("replay: cannot load worker %u's program: %s", i,
				ifn_strerror(err));
			goto out;
		}
	}
	for (i = 0; i < R->nworkers && !err; i++)
		err = rp_worker_setup(R, &R->w[i]);
	if (!err)
		err = rp_assign_workers(R);
	if (err) {
		ifn_err("replay: %s", ifn_strerror(err));
		goto out;
	}

	if (R->learn_files) {
		err = rp_run_range(R, R->in.phase_start[RP_PHASE_LEARN],
				   R->in.phase_end[RP_PHASE_LEARN]);
		if (!err)
			err = rp_end_learning(R);
		if (err)
			goto out;
	}
	err = rp_run_range(R, R->in.phase_start[RP_PHASE_REPLAY], R->in.phase_end[RP_PHASE_REPLAY]);
	if (err)
		goto out;
	for (i = 0; i < R->nworkers; i++)
		R->frames_run += R->w[i].run;
	for (k = R->in.nframes; k-- > 0;)
		if (rp_runnable(&R->in.frames[k])) {
			R->end_vts = R->in.frames[k].vts;
			break;
		}
	err = rp_merge_events(R);
	if (!err)
		err = rp_report_print(R, ifn_json_output);
	if (err)
		goto out;
	rc = IFN_EXIT_OK;
out:
	if (have_pol)
		ifn_policy_free(&pol);
	run_free(R);
	free(R);
out_opts:
	free(o.learn);
	free(o.replay);
	free(o.sets);
	/* A consumer of --json gets JSON either way: what failed, as one object. */
	if (rc != IFN_EXIT_OK && ifn_json_output) {
		struct ifn_json j;

		ifn_json_init(&j, stdout);
		ifn_json_obj_open(&j, NULL);
		ifn_json_str(&j, "error",
			     *ifn_last_error() ?
				     ifn_last_error() :
				     "replay failed (the reasons are on standard error)");
		ifn_json_u64(&j, "exit", rc);
		ifn_json_obj_close(&j);
	}
	return rc;
}
