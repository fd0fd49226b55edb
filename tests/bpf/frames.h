/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * frames.h - build test frames from a declarative description, so that a
 * test table reads like the packets it sends.
 */
#ifndef IFN_TEST_FRAMES_H
#define IFN_TEST_FRAMES_H

#include <stddef.h>
#include <linux/types.h>

#define FR_MAX 2048

/* TCP flags */
#define FR_FIN 0x01
#define FR_SYN 0x02
#define FR_RST 0x04
#define FR_PSH 0x08
#define FR_ACK 0x10

struct frame_spec {
	const char *src_mac; /* default 02:00:00:00:00:01 */
	const char *dst_mac; /* default 02:00:00:00:00:fe */
	int vlans; /* 0, 1, 2 or 3 tags */
	__u16 vlan_tpid[3]; /* default 0x8100 (outer 0x88a8 with two tags) */
	__u16 ethertype; /* 0: from the network layer */
	const char *src_ip; /* IPv4 or IPv6 text; family follows */
	const char *dst_ip;
	__u8 proto; /* 6, 17, 1, 58, or another */
	__u16 sport, dport;
	__u8 tcp_flags;
	__u8 tcp_doff; /* 0: 5 */
	__u8 icmp_type, icmp_code;
	__u8 ipv4_ihl; /* 0: 5 (+ options) */
	__u8 ipv4_opts; /* bytes of IPv4 options (multiple of 4) */
	__u16 ipv4_tot_len; /* 0: computed */
	__u8 ip_version; /* 0: from the address; else forced into the header */
	__u16 frag_off; /* in 8-byte units */
	__u8 more_frags;
	__u32 frag_id;
	__u8 ipv6_frag; /* put an IPv6 fragment header in */
	__u8 ipv6_ext[16]; /* extension headers before L4 (0, 43, 60, 51, 135...) */
	__u8 ipv6_ext_n;
	/*
	 * Extension headers after the fragment header: part of the fragmentable
	 * part, so only a first fragment carries them, and every fragment's
	 * fragment header names the first of them as its next header.
	 */
	__u8 ipv6_ext_post[4];
	__u8 ipv6_ext_post_n;
	__u16 ipv6_plen; /* 0: computed; else forced into the header */
	__u8 tcp_opts; /* bytes of TCP options (NOPs, multiple of 4); doff follows */
	/* ARP */
	__u16 arp_op; /* with ethertype 0x0806 */
	const char *arp_sender_ip;
	size_t payload; /* bytes after the L4 header */
	const __u8 *payload_data; /* NULL: zeros; else its first payload bytes */
	size_t pad_to; /* Ethernet padding: zeros up to this length, after the IP packet */
	size_t truncate; /* 0: whole frame; else cut to this length */
};

/* Returns the frame length (cut to ->truncate if set), 0 on a bad spec. */
size_t frame_build(const struct frame_spec *s, __u8 *buf, size_t cap);

/* Parse "aa:bb:..." (test helper; aborts on a bad literal). */
void frame_mac(const char *s, __u8 mac[6]);

#endif /* IFN_TEST_FRAMES_H */
