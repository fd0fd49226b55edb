/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * replay.h - `iotfence replay`: captured frames through the real program,
 * offline (iotfence.8, REPLAY).
 *
 * The work is split in three so that each part can be tested alone:
 *   replay_read.c  captures into memory (libpcap: pcap), merged in time
 *                  order; the only file that includes <pcap.h>, whose
 *                  struct bpf_insn clashes with <linux/bpf.h>;
 *   replay_pcapng.c  pcapng blocks (interfaces of any link types);
 *   replay_scan.c  what the program does not tell: who the gateway is,
 *                  which frames are whose, and which frames must run in
 *                  capture order across devices (pure, no BPF);
 *   replay.c       the program, the workers that run frames through it,
 *                  and the report.
 */
#ifndef IFN_REPLAY_H
#define IFN_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define RP_NODEV 0xffffffffU

/* rp_frame.flags */
#define RP_F_GATEWAY (1U << 0) /* sent by a gateway: not run */
#define RP_F_CUT (1U << 1) /* caplen < len: run zero-padded to len */
#define RP_F_OVERSIZED (1U << 2) /* longer than one XDP buffer: not run */
#define RP_F_SYNC (1U << 3) /* runs after every earlier frame of every device */
#define RP_F_RUNT (1U << 4) /* shorter than an Ethernet header on the wire: not run */
#define RP_F_BADLEN (1U << 5) /* caplen > len: the record contradicts itself, not run */

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
	__u8 pad[6];
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

/* ---- replay_pcapng.c ---- */

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

/* ---- replay_scan.c ---- */

/* What the addresses in one frame say (the parts the scan needs). */
struct rp_l3 {
	__u16 ethertype; /* after VLAN tags */
	__u8 family; /* 4, 6, or 0 (none) */
	__u8 proto; /* IP protocol */
	bool has_src, has_dst;
	bool arp;
	bool first_frag; /* offset 0: the ports are there */
	__u8 src[16], dst[16]; /* IPv4-mapped or IPv6 */
	__u16 sport, dport; /* UDP/TCP ports, ICMPv6 type in sport */
};

/* Parse what rp_l3 holds from a frame; false if it is not IP or ARP. */
bool rp_parse_l3(const __u8 *d, __u32 len, struct rp_l3 *o);

/* Public (routed) IPv4: not private, shared, link-local, loopback or multicast. */
bool rp_v4_is_public(const __u8 addr[16]);

/* One source MAC as the scan saw it. */
struct rp_mac {
	__u8 mac[6];
	bool gateway;
	bool gw_given; /* named with --gateway */
	__u64 frames, bytes; /* every frame it sent, whether run or not */
	/* Evidence for the gateway guess. */
	__u32 nat_peers; /* public IPv4 peers it relays both ways to private hosts */
	__u32 v6_prefixes; /* distinct global /64 prefixes it sources */
	__u32 router_adverts;
	__u32 dhcp_offers; /* UDP 67 -> 68 */
	__u32 worker; /* set by replay.c */
};

struct rp_scan {
	struct rp_mac *macs;
	size_t nmacs, macs_cap;
	__u32 *mac_hash; /* open addressing: index + 1, 0 empty */
	size_t hash_size;
	size_t ngateways;
	bool guessed; /* the gateways are a guess (no --gateway given) */
	__u64 gateway_frames, gateway_bytes;
	__u64 nodev_frames; /* broadcast, multicast or zero source: run, no device */
	__u64 sync_points;
};

/*
 * Scan the merged frames: find every source MAC; take the gateways from
 * @given (n of them; @n_given 0 and !@no_guess: guess them), flag their
 * frames RP_F_GATEWAY; give every other frame its device (rp_frame.dev);
 * flag RP_F_SYNC the frames whose outcome may depend on other devices'
 * frames: a device's first frame (creation order decides who gets the last
 * free slot) and frames whose source address another device also uses, or
 * used just before (address ownership and spoofing detection).
 */
int rp_scan(struct rp_scan *s, struct rp_input *in, const __u8 (*given)[6], size_t n_given,
	    bool no_guess);
void rp_scan_free(struct rp_scan *s);
/* Index of a MAC in s->macs, or RP_NODEV. */
__u32 rp_scan_find(const struct rp_scan *s, const __u8 mac[6]);
/* One line: why a gateway was taken for one. */
void rp_gateway_evidence(const struct rp_mac *m, bool guessed, char *buf, size_t len);

#endif /* IFN_REPLAY_H */
