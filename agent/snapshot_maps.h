/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * snapshot_maps.h - the maps to a snapshot (struct ifn_snap, snapshot_fmt.h)
 * and a snapshot back into empty maps: the steps of a save and a restore
 * (snapshot.h) that touch the maps, and nothing else.
 */
#ifndef IFN_SNAPSHOT_MAPS_H
#define IFN_SNAPSHOT_MAPS_H

#include <stddef.h>

#include "snapshot_fmt.h"
#include "state.h"

/* The maps as a snapshot (sorted), wall-clock times. */
int ifn_snapshot_capture(const struct ifn_maps *m, struct ifn_snap *s);
/*
 * Write a checked, sorted snapshot into maps with no devices: -EBUSY when
 * there are devices, -E2BIG when it does not fit; all or nothing.
 */
int ifn_snapshot_apply(const struct ifn_maps *m, const struct ifn_snap *s, char *err,
		       size_t errlen);

#endif /* IFN_SNAPSHOT_MAPS_H */
