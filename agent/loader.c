// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clockcal.h"
#include "errors.h"
#include "loader.h"
#include "iotfence.skel.h"

static bool libbpf_verbose;

/*
 * libbpf's warnings come in many lines (a failed load prints the whole
 * verifier log); every failure of ours already prints one line that says
 * what went wrong and that IOTFENCE_DEBUG=1 shows the details.
 */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void ifn_libbpf_logging(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(print_libbpf);
}

/* The size a caller asked for, by map name; 0 if none. */
static __u32 wanted_size(const struct ifn_load_opts *o, const char *name)
{
	if (!strcmp(name, IFN_MAP(ifn_devices)) || !strcmp(name, IFN_MAP(ifn_dev_stats)) ||
	    !strcmp(name, IFN_MAP(ifn_free_slots)) || !strcmp(name, IFN_MAP(ifn_dev_index)))
		return o->max_devices;
	if (!strcmp(name, IFN_MAP(ifn_flows)))
		return o->max_flows;
	if (!strcmp(name, IFN_MAP(ifn_rules_port)) || !strcmp(name, IFN_MAP(ifn_rules_any)))
		return o->max_rules;
	return 0;
}

int ifn_maps_from_skel(struct ifn_maps *m, struct iotfence *skel)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->owned = false;
	for (i = 0; i < ifn_map_count; i++) {
		struct bpf_map *map =
			bpf_object__find_map_by_name(skel->obj, ifn_map_descs[i].name);

		if (!map)
			return -ENOENT;
		*ifn_map_fd(m, &ifn_map_descs[i]) = bpf_map__fd(map);
	}
	return ifn_maps_fill_info(m);
}

/* The live kernel under ifn_clock_calibrate(): the probe program reads both clocks. */
struct clock_probe {
	int fd;
	struct iotfence *skel;
};

static int clock_probe_read(void *ctx, struct ifn_clock_sample *s)
{
	static const __u8 frame[64];
	struct clock_probe *p = ctx;
	LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = frame, .data_size_in = sizeof(frame));

	if (bpf_prog_test_run_opts(p->fd, &ro))
		return -errno;
	s->jiffies = p->skel->bss->ifn_probe_jiffies;
	s->coarse_ns = p->skel->bss->ifn_probe_coarse_ns;
	return 0;
}

static void clock_probe_pause(void *ctx, __u64 ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	(void)ctx;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static __u64 clock_probe_now(void *ctx)
{
	(void)ctx;
	return ifn_now_mono_raw();
}

static int calibrate_clock(struct iotfence *skel, __u64 *jiffy_ns, __s64 *offset)
{
	struct clock_probe p = { bpf_program__fd(skel->progs.ifn_clock_probe), skel };
	const struct ifn_clock_ops ops = { clock_probe_read, clock_probe_pause, clock_probe_now,
					   &p };

	return ifn_clock_calibrate(&ops, jiffy_ns, offset);
}

/* Maps only replay has; never pinned, and never shared between its programs' copies. */
static bool replay_map(const char *name)
{
	return !strcmp(name, IFN_MAP(ifn_replay)) || !strcmp(name, IFN_MAP(ifn_replay_next));
}

/*
 * A replay runs its frames through ifn_replay_batch, which inlines the
 * live program's code: verifying the live program as well would only
 * double the load time. Anyone else never loads the replay program, nor
 * makes its maps.
 */
static int replay_setup(struct iotfence *skel, bool replay)
{
	int err = bpf_program__set_autoload(skel->progs.iotfence_xdp, !replay);

	if (!err)
		err = bpf_program__set_autoload(skel->progs.iotfence_egress, !replay);

	if (!err)
		err = bpf_program__set_autoload(skel->progs.ifn_replay_batch, replay);
	if (!err)
		err = bpf_map__set_autocreate(skel->maps.ifn_replay, replay);
	if (!err)
		err = bpf_map__set_autocreate(skel->maps.ifn_replay_next, replay);
	if (!err)
		err = bpf_map__set_autocreate(skel->maps.ifn_replay_cut, replay);
	return err;
}

/* The replay program goes on to the next frame by a tail call to itself. */
static int replay_chain(struct iotfence *skel)
{
	int fd = bpf_program__fd(skel->progs.ifn_replay_batch);
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.ifn_replay_next), &zero, &fd, BPF_ANY) ?
		       -errno :
		       0;
}

int ifn_load(const struct ifn_load_opts *o, const struct ifn_config *cfg,
	     struct iotfence **skel_out, bool *fresh)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = o->pin_dir);
	bool devices_pinned = false;
	struct ifn_config init;
	struct iotfence *skel;
	struct bpf_map *map;
	struct ifn_maps m;
	int err;

	*skel_out = NULL;
	*fresh = false;
	/* Replay never goes near a gateway's pins. */
	if (o->pin_dir && (o->replay_slots || o->events_bytes))
		return -EINVAL;
	skel = iotfence__open_opts(&oo);
	if (!skel)
		return -errno;

	err = replay_setup(skel, o->replay_slots > 0);
	if (!err && o->replay_slots)
		err = bpf_map__set_max_entries(skel->maps.ifn_replay, o->replay_slots);
	if (!err && o->events_bytes)
		err = bpf_map__set_max_entries(skel->maps.ifn_events, o->events_bytes);
	if (err)
		goto fail;

	bpf_object__for_each_map(map, skel->obj)
	{
		const char *name = bpf_map__name(map);
		__u32 want = wanted_size(o, name);
		char path[PATH_MAX];
		int fd;

		if (strncmp(name, "ifn_", 4) || replay_map(name))
			continue; /* .rodata, .bss, replay's own: never pinned */
		if (!o->pin_dir) {
			bpf_map__set_pin_path(map, NULL);
			if (want)
				bpf_map__set_max_entries(map, want);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", o->pin_dir, name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (want)
				bpf_map__set_max_entries(map, want);
			continue;
		}
		{
			struct bpf_map_info info = {};
			__u32 len = sizeof(info);

			err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
			close(fd);
			if (err)
				goto fail;
			if (want && want != info.max_entries) {
				ifn_err("%s holds %u entries; the size cannot change while state is "
					"pinned ('iotfence detach --all --purge' clears it)",
					path, info.max_entries);
				err = -EEXIST;
				goto fail;
			}
			bpf_map__set_max_entries(map, info.max_entries);
		}
		if (!strcmp(name, IFN_MAP(ifn_devices)))
			devices_pinned = true;
	}

	skel->rodata->ifn_virtual_clock = o->virtual_clock;
	err = iotfence__load(skel);
	if (!err && o->replay_slots)
		err = replay_chain(skel);
	if (err)
		goto fail;

	/* The clock is measured before anything is attached, so that no frame
	 * is ever timed on another base. A replay's clock is the capture's.
	 */
	init = *cfg;
	init.jiffy_ns = 0;
	init.clock_offset_ns = 0;
	err = o->virtual_clock ? 0 : calibrate_clock(skel, &init.jiffy_ns, &init.clock_offset_ns);
	if (err)
		goto fail;
	ifn_clock_set_offset(init.clock_offset_ns);

	if (devices_pinned) {
		struct ifn_config cur;

		err = ifn_maps_from_skel(&m, skel);
		if (!err)
			err = ifn_config_read(&m, &cur);
		if (!err) {
			cur.jiffy_ns = init.jiffy_ns;
			cur.clock_offset_ns = init.clock_offset_ns;
			err = ifn_config_write(&m, &cur);
		}
		ifn_maps_close(&m);
		if (err)
			goto fail;
	} else {
		err = ifn_maps_from_skel(&m, skel);
		if (!err)
			err = ifn_state_init(&m, &init);
		ifn_maps_close(&m);
		if (err) {
			/* Half-made state must not be taken for a gateway's. */
			if (o->pin_dir)
				bpf_object__unpin_maps(skel->obj, NULL);
			goto fail;
		}
		*fresh = true;
	}
	*skel_out = skel;
	return 0;
fail:
	iotfence__destroy(skel);
	return err;
}

int ifn_skel_prog_fd(struct iotfence *skel)
{
	return bpf_program__fd(skel->progs.iotfence_xdp);
}

int ifn_skel_egress_fd(struct iotfence *skel)
{
	return bpf_program__fd(skel->progs.iotfence_egress);
}

__u64 *ifn_skel_virtual_now(struct iotfence *skel)
{
	return &skel->bss->ifn_virtual_now_ns;
}

int ifn_load_replay_twin(struct iotfence *first, struct iotfence **out)
{
	struct iotfence *skel = iotfence__open();
	struct bpf_map *map;
	int err;

	*out = NULL;
	if (!skel)
		return -errno;
	err = replay_setup(skel, true);
	/* The first load measured the clock. */
	if (!err)
		err = bpf_program__set_autoload(skel->progs.ifn_clock_probe, false);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.ifn_events,
					       bpf_map__max_entries(first->maps.ifn_events));
	bpf_object__for_each_map(map, skel->obj)
	{
		const char *name = bpf_map__name(map);
		struct bpf_map *orig;

		if (err)
			break;
		if (strncmp(name, "ifn_", 4))
			continue;
		/* Never near the pins: a live gateway's maps are not ours. */
		err = bpf_map__set_pin_path(map, NULL);
		if (err || !strcmp(name, IFN_MAP(ifn_events)) ||
		    !strcmp(name, IFN_MAP(ifn_replay_next)))
			continue;
		orig = bpf_object__find_map_by_name(first->obj, name);
		err = orig ? bpf_map__reuse_fd(map, bpf_map__fd(orig)) : -ENOENT;
	}
	if (err)
		goto fail;
	skel->rodata->ifn_virtual_clock = first->rodata->ifn_virtual_clock;
	err = iotfence__load(skel);
	if (!err)
		err = replay_chain(skel);
	if (err)
		goto fail;
	*out = skel;
	return 0;
fail:
	iotfence__destroy(skel);
	return err;
}

int ifn_skel_replay_fd(struct iotfence *skel)
{
	return bpf_program__fd(skel->progs.ifn_replay_batch);
}

struct ifn_replay_frame *ifn_replay_frames_map(struct iotfence *skel, __u32 *n, int *err)
{
	int fd = bpf_map__fd(skel->maps.ifn_replay);
	void *p;

	*n = 0;
	*err = 0;
	if (fd < 0) {
		*err = -ENOENT;
		return NULL;
	}
	/*
	 * An mmap()able array's values, one after the other from offset 0,
	 * each rounded up to 8 bytes: the struct's size is a multiple of 8.
	 */
	p = mmap(NULL,
		 (size_t)bpf_map__max_entries(skel->maps.ifn_replay) *
			 sizeof(struct ifn_replay_frame),
		 PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	*n = bpf_map__max_entries(skel->maps.ifn_replay);
	return p;
}

void ifn_replay_frames_unmap(struct ifn_replay_frame *f, __u32 n)
{
	if (f)
		munmap(f, (size_t)n * sizeof(*f));
}

void ifn_unload(struct iotfence *skel)
{
	iotfence__destroy(skel);
}
