/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * replay_read.h - `iotfence replay`'s input: captures read into memory
 * (libpcap for pcap, replay_pcapng.c for pcapng) and merged in run order,
 * each frame with its clock.
 *
 * `iotfence replay` is in five parts, each testable alone, each including
 * only the ones before it:
 *   replay_pcapng.c  pcapng blocks (interfaces of any link types);
 *   replay_read.c    captures into memory, merged in time order; the only
 *                    file that includes <pcap.h>, whose struct bpf_insn
 *                    clashes with <linux/bpf.h>;
 *   replay_scan.c    what the program does not tell: who the gateway is,
 *                    which frames are whose, and which frames must run in
 *                    capture order across devices (pure, no BPF);
 *   replay_run.c     the program's copies and the workers that run frames
 *                    through them;
 *   replay_report.c  what the run did, as text or JSON;
 *   replay.c         the command: options, loading, the policy, the phases.
 */
#ifndef IFN_REPLAY_READ_H
#define IFN_REPLAY_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define RP_NODEV 0xffffffffU

/* rp_frame.flags */
#define RP_F_GATEWAY (1U << 0) /* sent by a gateway: not run */
#define RP_F_CUT (1U << 1) /* caplen < len: run zero-padded to len */
#define RP_F_OVERSIZED (1U << 2) /* longer than one XDP buffer: not run */
#define RP_F_SYNC (1U << 3) /* runs after every earlier frame of every device */
#define RP_F_RUNT (1U << 4) /* shorter than an Ethernet header on the wire: not run */
#define RP_F_BADLEN (1U << 5) /* caplen > len: the record contradicts itself, not run */
/* A gateway's frame to a device (rp_frame.to): runs the egress stage only. */
#define RP_F_EGRESS (1U << 6)

/* Roles of captures and frames. */
enum rp_phase {
	RP_PHASE_LEARN = 0, /* --learn captures */
	RP_PHASE_REPLAY = 1,
};

struct rp_frame {
	__u64 ts; /* capture time, ns since the epoch */
	__u64 vts; /* the program's clock for this frame: never goes back */
	__u64 off; /* of its bytes in the arena */
	__u32 caplen;
	__u32 len; /* on the wire */
	__u32 file; /* index of its capture */
	__u32 dev; /* index of its source MAC in the scan, RP_NODEV for none */
	__u8 flags; /* RP_F_* */
	__u8 phase; /* enum rp_phase */
	__u8 pad[2];
	__u32 to; /* RP_F_EGRESS: the device it is delivered to, else RP_NODEV */
};

enum rp_cap_status {
	RP_CAP_OK = 0,
	RP_CAP_TRUNCATED, /* read up to an error; what was read is kept */
	RP_CAP_SKIPPED, /* not Ethernet: nothing read */
};

struct rp_capture {
	const char *path;
	enum rp_phase phase;
	enum rp_cap_status status;
	const char *format; /* "pcap", "pcapng" */
	int linktype; /* DLT_* */
	char linktype_name[48];
	__u64 frames, bytes; /* read (bytes on the wire) */
	__u64 cut; /* frames cut by the snap length */
	__u64 oversized;
	__u64 runt; /* frames shorter than an Ethernet header */
	__u64 bad_length; /* records captured longer than on the wire: not run */
	__u64 not_ethernet; /* pcapng: frames of interfaces that are not Ethernet */
	int other_linktype; /* the first of those interfaces' link type */
	__u64 first_ts, last_ts;
	long stop_offset; /* RP_CAP_TRUNCATED: byte offset of the frame that failed */
	char error[256]; /* why it stopped or was skipped */
};

/* Everything read, in memory: frames merged in run order. */
struct rp_input {
	struct rp_capture *caps;
	size_t ncaps;
	struct rp_frame *frames;
	size_t nframes, frames_cap;
	__u8 *arena;
	size_t arena_len, arena_cap;
	__u32 max_linear; /* the longest frame one XDP buffer holds */
	__u64 phase_shift; /* added to the clock of RP_PHASE_REPLAY frames */
	size_t phase_start[2]; /* first frame index of each phase */
	size_t phase_end[2];
};

/*
 * Read the captures into @in (caps already filled with path and phase),
 * then merge their frames: learning captures first, each group in time
 * order (files merged frame by frame, each file kept in its own order).
 * A capture that cannot be opened at all is an error (one line naming it,
 * -errno); one that is not Ethernet is skipped and one that breaks off is
 * kept up to the break, with a warning each. Frames cut by the snap length
 * are flagged RP_F_CUT, frames longer than @max_linear RP_F_OVERSIZED.
 */
int rp_read_all(struct rp_input *in, __u32 max_linear);
void rp_input_free(struct rp_input *in);

/*
 * Give every frame its clock: capture time, made monotonic over the whole
 * run (a frame stamped earlier than the one before runs at the time of the
 * one before), with the replayed captures shifted past the end of the
 * learning ones when they were taken earlier (in->phase_shift).
 */
void rp_assign_clock(struct rp_input *in);

#endif /* IFN_REPLAY_READ_H */
