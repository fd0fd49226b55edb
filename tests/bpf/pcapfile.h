/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * pcapfile.h - read a capture frame by frame. Its own file because
 * <pcap/bpf.h> and <linux/bpf.h> both define struct bpf_insn and cannot
 * meet in one translation unit.
 */
#ifndef IFN_TEST_PCAPFILE_H
#define IFN_TEST_PCAPFILE_H

#include <stddef.h>
#include <linux/types.h>

/* Called for every frame with its captured bytes and timestamp (ns). */
typedef void (*pcapfile_fn)(void *ctx, const __u8 *data, size_t caplen, __u64 ts_ns);

/*
 * Read @path (pcap or pcapng, Ethernet only) and call @fn for each frame in
 * order. Returns the number of frames, or -1 with a message in @err.
 */
long pcapfile_each(const char *path, pcapfile_fn fn, void *ctx, char *err, size_t errlen);

#endif /* IFN_TEST_PCAPFILE_H */
