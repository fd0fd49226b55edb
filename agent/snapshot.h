/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * snapshot.h - the whole state (settings, interfaces' defaults, devices,
 * modes, fingerprints, rules, counters) saved to and restored from
 * $IOTFENCE_STATE_DIR/state.gz (zlib, so zcat reads it), so that
 * enforcement survives a reboot.
 */
#ifndef IFN_SNAPSHOT_H
#define IFN_SNAPSHOT_H

#include <stddef.h>

#include "state.h"

#define IFN_SNAPSHOT_VERSION 1

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

#endif /* IFN_SNAPSHOT_H */
