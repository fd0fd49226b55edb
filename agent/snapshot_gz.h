/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * snapshot_gz.h - a snapshot file's bytes: its text (snapshot_fmt.h) in one
 * gzip member. Pure code, like the text format: no maps, no files.
 */
#ifndef IFN_SNAPSHOT_GZ_H
#define IFN_SNAPSHOT_GZ_H

#include <stddef.h>

#include "snapshot_fmt.h"

/* One gzip member around @len bytes. *out is malloc'd. */
int ifn_snap_gzip(const void *in, size_t len, void **out, size_t *outlen);

/*
 * The contents of a gzip file, checked: an empty file, another format, a
 * truncated or corrupt stream (gzip's CRC-32 and length), trailing bytes,
 * and text above @max are refused with a reason in err (-EBADMSG, -EFBIG).
 * *out is malloc'd and NUL-terminated.
 */
int ifn_snap_gunzip(const void *in, size_t len, size_t max, char **out, size_t *outlen, char *err,
		    size_t errlen);

/* gunzip then parse: what a restore does with a file's bytes. */
int ifn_snap_decode(const void *in, size_t len, size_t max, struct ifn_snap *s, char *err,
		    size_t errlen);

#endif /* IFN_SNAPSHOT_GZ_H */
