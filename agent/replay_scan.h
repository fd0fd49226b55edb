/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * replay_scan.h - what the program does not tell about a capture: who the
 * gateway is, which frames are whose, and which frames must run in capture
 * order across devices (pure, no BPF).
 */
#ifndef IFN_REPLAY_SCAN_H
#define IFN_REPLAY_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "replay_read.h"

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
	__u32 worker; /* set by replay_run.c */
};

struct rp_scan {
	struct rp_mac *macs;
	size_t nmacs, macs_cap;
	__u32 *mac_hash; /* open addressing: index + 1, 0 empty */
	size_t hash_size;
	size_t ngateways;
	bool guessed; /* the gateways are a guess (no --gateway given) */
	__u64 gateway_frames, gateway_bytes;
	__u64 egress_frames; /* of those, frames to a device: RP_F_EGRESS */
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

#endif /* IFN_REPLAY_SCAN_H */
