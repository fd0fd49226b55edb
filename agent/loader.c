// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "errors.h"
#include "loader.h"
#include "iotfence.skel.h"

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (level == LIBBPF_INFO && !libbpf_verbose)
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
	if (!strcmp(name, IFN_MAP_DEVICES) || !strcmp(name, IFN_MAP_DEV_STATS) ||
	    !strcmp(name, IFN_MAP_FREE_SLOTS))
		return o->max_devices;
	if (!strcmp(name, IFN_MAP_FLOWS))
		return o->max_flows;
	if (!strcmp(name, IFN_MAP_RULES_PORT) || !strcmp(name, IFN_MAP_RULES_ANY))
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

int ifn_load(const struct ifn_load_opts *o, const struct ifn_config *cfg,
	     struct iotfence **skel_out, bool *fresh)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = o->pin_dir);
	bool devices_pinned = false;
	struct iotfence *skel;
	struct bpf_map *map;
	struct ifn_maps m;
	int err;

	*skel_out = NULL;
	*fresh = false;
	skel = iotfence__open_opts(&oo);
	if (!skel)
		return -errno;

	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);
		__u32 want = wanted_size(o, name);
		char path[PATH_MAX];
		int fd;

		if (strncmp(name, "ifn_", 4))
			continue; /* .rodata, .bss: never pinned */
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
		if (!strcmp(name, IFN_MAP_DEVICES))
			devices_pinned = true;
	}

	skel->rodata->ifn_virtual_clock = o->virtual_clock;
	err = iotfence__load(skel);
	if (err)
		goto fail;

	if (!devices_pinned) {
		err = ifn_maps_from_skel(&m, skel);
		if (!err)
			err = ifn_state_init(&m, cfg);
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

__u64 *ifn_skel_virtual_now(struct iotfence *skel)
{
	return &skel->bss->ifn_virtual_now_ns;
}

void ifn_unload(struct iotfence *skel)
{
	iotfence__destroy(skel);
}
