/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mix.h - the traffic of the end-to-end benchmark, defined once for the
 * generator (BPF) and for the driver that installs the receivers' rules
 * (iotfence fingerprints, nftables set, xdp-filter rules), so that every
 * receiver is given exactly the rules the generated traffic needs.
 *
 * The picture is a small site: MIX_DEVICES devices, each talking to
 * MIX_FLOWS services (TLS, MQTT, HTTP, ...) on cloud peers that groups of
 * devices share, and MIX_COMPROMISED of them infected and scanning telnet
 * (23 and 2323 on random addresses, as Mirai does). A mix is the share of
 * frames, in per mille, that belong to the devices' fingerprints; the rest
 * are scan frames of the infected devices.
 *
 * Only __u8/__u16/__u32 arithmetic, no tables: the BPF side needs no map
 * and the verifier sees no loop. Addresses are returned in host order.
 */
#ifndef IFB_MIX_H
#define IFB_MIX_H

#include <linux/types.h>

#define MIX_DEVICES 128
#define MIX_FLOWS 8
#define MIX_COMPROMISED 16 /* devices 0 .. MIX_COMPROMISED-1 */

/* Mostly allowed: 1% strays; flood: 95% of frames are the scan. */
#define MIX_ALLOWED_PERMILLE 990
#define MIX_FLOOD_PERMILLE 50

#define MIX_SCAN_PORT_A 23
#define MIX_SCAN_PORT_B 2323

/* Frames are this long (the minimum Ethernet frame with its 4-byte FCS). */
#define MIX_FRAME_LEN 64

static inline void mix_mac(__u32 dev, __u8 mac[6])
{
	/* Locally administered unicast, device number in the low bytes. */
	mac[0] = 0x02;
	mac[1] = 0x1b;
	mac[2] = 0x5e;
	mac[3] = (__u8)(dev >> 16);
	mac[4] = (__u8)(dev >> 8);
	mac[5] = (__u8)dev;
}

/* Devices of one product talk to the same few servers: 16 groups. */
static inline __u32 mix_peer(__u32 dev, __u32 flow)
{
	return (34U << 24) | ((dev & 15) << 12) | (flow << 4) | 1;
}

static inline __u16 mix_port(__u32 flow)
{
	switch (flow & 7) {
	case 0:
		return 443;
	case 1:
		return 8883;
	case 2:
		return 80;
	case 3:
		return 1883;
	case 4:
		return 5223;
	case 5:
		return 8443;
	case 6:
		return 554;
	default:
		return 9000;
	}
}

/* The device's own address, 10.20.0.0/16. */
static inline __u32 mix_src_ip(__u32 dev)
{
	return (10U << 24) | (20U << 16) | (dev + 2);
}

/* A well-spread 32-bit hash (lowbias32), for frame choices. */
static inline __u32 mix_hash(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

#endif /* IFB_MIX_H */
