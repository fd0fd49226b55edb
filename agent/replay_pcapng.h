/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* replay_pcapng.h - pcapng files block by block, for replay_read.c. */
#ifndef IFN_REPLAY_PCAPNG_H
#define IFN_REPLAY_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

/* The longest pcapng block read (libpcap's bound): no block allocates more. */
#define RP_PCAPNG_MAX_BLOCK (16U << 20)

/* One frame of a pcapng file, with its interface's link type. */
struct rp_ng_frame {
	__u64 ts; /* ns since the epoch */
	__u32 caplen, len;
	__u32 linktype; /* LINKTYPE_* of its interface (1: Ethernet) */
	const __u8 *data; /* valid during the call only */
};

/* Called for each frame; a non-zero return stops the read and is returned. */
typedef int (*rp_frame_fn)(void *ctx, const struct rp_ng_frame *fr);

/*
 * Read a pcapng file from @f (at its start) block by block, calling @fn for
 * each packet of every interface whatever its link type. Returns 0 at the
 * end of the file; 1 when it breaks off (a block cut short or damaged),
 * with why in @err and the byte offset of that block in *@stop; or what
 * @fn returned, or -ENOMEM.
 */
int rp_pcapng_read(FILE *f, rp_frame_fn fn, void *ctx, char *err, size_t errlen, long *stop);

#endif /* IFN_REPLAY_PCAPNG_H */
