/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lifecycle.h - loading, pinning, attaching and detaching, for the CLI and
 * for the daemon.
 */
#ifndef IFN_LIFECYCLE_H
#define IFN_LIFECYCLE_H

#include <stdbool.h>
#include <linux/types.h>

#include "state.h"

enum ifn_attach_mode {
	IFN_ATTACH_AUTO = 0, /* native, else generic with a warning */
	IFN_ATTACH_NATIVE = 1,
	IFN_ATTACH_GENERIC = 2,
};

struct ifn_attach_opts {
	const char *ifname;
	enum ifn_attach_mode mode;
	__u8 new_devices; /* enum ifn_mode */
	__u64 learn_ns;
	__u32 max_devices, max_flows, max_rules; /* 0: defaults */
};

/*
 * An interface's new-device defaults from settings it already has (@ifc),
 * unless the command line gave them (@have_mode, @have_learn).
 */
void ifn_attach_opts_keep(struct ifn_attach_opts *o, const struct ifn_iface *ifc, bool have_mode,
			  bool have_learn);

/*
 * Make sure the program and maps are loaded and pinned (loading them if
 * nothing is pinned) and open the maps. *fresh tells whether the state was
 * created by this call. Expects the lock to be held.
 */
int ifn_state_up(struct ifn_maps *m, const struct ifn_attach_opts *o, bool *fresh);

/*
 * Attach to one interface (or update its settings if attached). Prints one
 * line on success, one clear line on error; changes nothing on error.
 * Expects the lock to be held and the state up.
 */
int ifn_attach_iface(const struct ifn_maps *m, const struct ifn_attach_opts *o);

/* Detach from one interface; -ENOENT if not attached. */
int ifn_detach_iface(const struct ifn_maps *m, const char *ifname);

/*
 * The ifindex the pinned link of @ifname is attached to, and the id of its
 * program in *@prog_id (may be NULL); -errno when there is none.
 */
int ifn_link_ifindex(const char *ifname, __u32 *prog_id);

/* The id of the pinned program, 0 when there is none. */
__u32 ifn_prog_pinned_id(void);

/* Names of the attached interfaces (pinned links). *names is malloc'd. */
int ifn_attached_list(char (**names)[16], int *n);

/*
 * Remove every pin: links (which detaches), the program, the maps and the
 * directory. -errno of the first map that could not be removed.
 */
int ifn_pins_purge(void);

/* Remove the program pin when no interface uses it any more. */
void ifn_prog_unpin_if_unused(void);

#endif /* IFN_LIFECYCLE_H */
