/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * snapshot.h - the whole state (settings, interfaces' defaults, devices,
 * modes, fingerprints, rules, counters) saved to and restored from
 * $IOTFENCE_STATE_DIR/state.gz (zlib, so zcat reads it), so that
 * enforcement survives a reboot.
 */
#ifndef IFN_SNAPSHOT_H
#define IFN_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "state.h"

/* $IOTFENCE_STATE_DIR/state.gz (default /var/lib/iotfence/state.gz). */
const char *ifn_snapshot_path(void);

/*
 * Save: write a temp file, fsync it, rename it over @path (NULL: the
 * default), keeping the previous good snapshot. Returns 0 or -errno.
 */
int ifn_snapshot_save(const struct ifn_maps *m, const char *path);

/*
 * Restore into maps that hold no devices (after a reboot). The snapshot is
 * read and validated completely before any map changes; a corrupt,
 * truncated or newer-version file is refused with one clear message in err
 * (then the previous good snapshot is tried). Returns 0, -ENOENT when there
 * is no snapshot, or another -errno.
 */
int ifn_snapshot_restore(const struct ifn_maps *m, const char *path, char *err, size_t errlen);

/*
 * What a restore did. On success err is empty, or says why the newest
 * snapshot was refused when the previous one was used instead (fallback).
 */
struct ifn_snapshot_info {
	char path[4096]; /* the file restored */
	__u64 saved_ns; /* wall clock */
	size_t devices, flows, rules, owners, ifaces;
	bool fallback;
};
int ifn_snapshot_restore_info(const struct ifn_maps *m, const char *path,
			      struct ifn_snapshot_info *info, char *err, size_t errlen);

/*
 * For `attach` and `run` on fresh state: restore the default snapshot and
 * print one line saying what was restored (nothing when there is none).
 * A refused snapshot is reported and the state stays empty. Returns 0,
 * -ENOENT (no snapshot) or -errno.
 */
int ifn_snapshot_restore_report(const struct ifn_maps *m);

/*
 * After a restore: the settings the snapshot holds for interface @ifname
 * (its new-device defaults), for the caller to attach with; -ENOENT when
 * it holds none.
 */
int ifn_snapshot_iface(const struct ifn_maps *m, const char *ifname, struct ifn_iface *ifc);

/*
 * The steps, for tests and tools (struct ifn_snap: snapshot_fmt.h; the
 * maps to a snapshot and back: snapshot_maps.h).
 */
struct ifn_snap;
/* Read and check a file; touches no map. err: the reason it was refused. */
int ifn_snapshot_read(const char *path, struct ifn_snap *s, char *err, size_t errlen);

/* The previous good snapshot kept next to @path ("state.prev.gz"). */
char *ifn_snapshot_prev_path(const char *path, char *buf, size_t len);
/*
 * Where a save moves a snapshot it would replace that does not read (a
 * newer format, damage): "state.refused.gz", so that nothing is lost.
 */
char *ifn_snapshot_refused_path(const char *path, char *buf, size_t len);

#endif /* IFN_SNAPSHOT_H */
