/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * loader.h - load the XDP program from the embedded skeleton, either with
 * the pinned maps of a live gateway or with private maps (replay, tests).
 */
#ifndef IFN_LOADER_H
#define IFN_LOADER_H

#include <stdbool.h>
#include <linux/types.h>

#include "state.h"

struct iotfence;
struct ifn_replay_frame;

struct ifn_load_opts {
	const char *pin_dir; /* NULL: private maps that die with the process */
	bool virtual_clock; /* replay: time is ifn_virtual_now_ns */
	__u32 max_devices; /* 0: the default, or what is pinned */
	__u32 max_flows;
	__u32 max_rules;
	bool quiet; /* no libbpf messages below warnings */
	/*
	 * Offline replay, private maps only: load ifn_replay_batch, with this
	 * many frame slots in ifn_replay, instead of the live program (it
	 * runs the same code). 0: the live program, and no replay maps.
	 */
	__u32 replay_slots;
	__u32 events_bytes; /* private maps: the event ring's size; 0: the default */
};

/*
 * Open and load. With a pin directory, maps that are pinned there are
 * reused (their sizes win unless the caller asked for others, which is an
 * error) and new ones are pinned; *fresh tells whether the device table
 * was created by this call, and then its settings and free slots are
 * initialised with @cfg. On error nothing is left pinned that was not
 * pinned before.
 */
int ifn_load(const struct ifn_load_opts *o, const struct ifn_config *cfg,
	     struct iotfence **skel_out, bool *fresh);

/* The maps of a loaded skeleton; the skeleton keeps owning the fds. */
int ifn_maps_from_skel(struct ifn_maps *m, struct iotfence *skel);

/* The program's fd. */
int ifn_skel_prog_fd(struct iotfence *skel);
/* The egress (tc) program of the same object. */
int ifn_skel_egress_fd(struct iotfence *skel);
/* Where the replayer writes the virtual clock. */
__u64 *ifn_skel_virtual_now(struct iotfence *skel);

/*
 * Another copy of the replay program on the maps of @first (loaded with
 * replay_slots): only its .bss, its event ring and its chain are its own.
 * A replay's workers each run their own copy.
 */
int ifn_load_replay_twin(struct iotfence *first, struct iotfence **out);

/*
 * Loaded with replay_slots: ifn_replay_batch's fd, and the frame slots of
 * ifn_replay mapped into memory (*n of them; NULL and -errno in *err on
 * failure), to be unmapped with ifn_replay_frames_unmap().
 */
int ifn_skel_replay_fd(struct iotfence *skel);
struct ifn_replay_frame *ifn_replay_frames_map(struct iotfence *skel, __u32 *n, int *err);
void ifn_replay_frames_unmap(struct ifn_replay_frame *f, __u32 n);

void ifn_unload(struct iotfence *skel);

/*
 * Route libbpf's messages: all of them with @verbose (IOTFENCE_DEBUG), none
 * otherwise, since every failure prints its own one line.
 */
void ifn_libbpf_logging(bool verbose);

#endif /* IFN_LOADER_H */
