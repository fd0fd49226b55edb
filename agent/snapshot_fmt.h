/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * snapshot_fmt.h - the snapshot's file format (the data: snapshot_data.h):
 * text lines (so that `zcat state.gz` is readable and two snapshots can be
 * diffed) inside one gzip member (snapshot_gz.h). Pure code: no maps, no
 * files, so that the reader can be fuzzed and unit-tested on its own
 * (iotfence.8, STATE).
 */
#ifndef IFN_SNAPSHOT_FMT_H
#define IFN_SNAPSHOT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "snapshot_data.h"

#define IFN_SNAP_MAGIC "iotfence-snapshot"
/* The format's version: a newer one is refused, an older one read. */
#define IFN_SNAP_VERSION 1

/* Decompressed size beyond which a snapshot is refused (a gzip bomb). */
#define IFN_SNAP_MAX_TEXT (1024UL * 1024 * 1024)

/*
 * The text of a snapshot (not compressed). *out is malloc'd. Returns 0 or
 * -ENOMEM.
 */
int ifn_snap_write_text(const struct ifn_snap *s, char **out, size_t *len);

/*
 * Parse and validate the text of a snapshot: every line, every value's
 * range, the references between lines (flows, rules and owners of listed
 * devices), uniqueness, and the counts of the closing line. On error
 * writes "line N: what" (or what is wrong with the whole) to err and
 * returns -EBADMSG, or -EPROTONOSUPPORT for a newer format version;
 * *s is then empty.
 */
int ifn_snap_parse_text(const char *buf, size_t len, struct ifn_snap *s, char *err, size_t errlen);

/*
 * The longest text a snapshot of maps this large can be: every line at its
 * longest. A restore refuses more once decompressed (a gzip bomb, or a file
 * that is not ours), before it costs more memory than the state could.
 */
size_t ifn_snap_text_bound(__u32 devs, __u32 flows, __u32 rules, __u32 owners);

#endif /* IFN_SNAPSHOT_FMT_H */
