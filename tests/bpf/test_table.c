// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One crafted frame per row, with the verdict it must get and the counters
 * it must move: every mode, every baseline protocol and its look-alikes,
 * both IP families, VLAN stacks, each truncation the parser can meet, flow
 * direction, the UDP heuristic, ICMP, non-IP frames and the rule tries.
 * Sequences (fragments, deadlines, the table, rates, addresses) are in
 * test_seq.c.
 *
 * Each row starts from empty maps with the device already known in the
 * row's mode (or, with .fresh, unknown to a loopback in .iface_mode), and
 * its fingerprint holds .allow. th_expect_delta() checks that the frame
 * moved exactly the expected verdict and reason, by one, globally and on
 * the device, and that no other verdict, reason, device, flow or event
 * counter moved.
 *
 * Frames shorter than an Ethernet header (ETH_TRUNC) are not in the table:
 * BPF_PROG_TEST_RUN rejects data below ETH_HLEN with EINVAL before the
 * program runs (see eth_trunc_unreachable in test_seq.c), so that branch
 * can only be reached by a real driver.
 */
#include <string.h>

#include "harness.h"
#include "dp.h"

struct row {
	const char *name;
	__u8 mode; /* the device's mode */
	bool fresh; /* the device is unknown; loopback's default mode is iface_mode */
	__u8 iface_mode;
	const char *allow[3]; /* the fingerprint, as rule text, for the frame's source */
	const char *allow_dev2; /* a rule of another device */
	struct frame_spec f;
	struct th_expect e;
	const char *learns; /* the flow the frame adds (rule text) */
	struct ifn_flow_key learns_key; /* or its raw key, for L2 flows of no rule text */
};

static const struct row rows[] = {
	/* --- Modes --- */
	{ "learn: a new flow is learned", L, .f = { TCP4(40000, 443, SYN) },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "learn: a known flow adds nothing", L, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN) }, .e = { PASS } },
	{ "monitor: a flow in the fingerprint passes", M, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN) }, .e = { PASS } },
	{ "monitor: a flow outside is an alert", M, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 8443, SYN) }, .e = { ALERT(NOT_IN_FINGERPRINT), VIOL } },
	{ "enforce: a flow in the fingerprint passes", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN) }, .e = { PASS } },
	{ "enforce: a flow outside is dropped", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 8443, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "enforce: another peer is outside", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN), .dst_ip = "52.1.2.4" },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "quarantine: even an allowed flow is dropped", Q, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN) }, .e = { DROP(QUARANTINE) } },
	{ "trust: anything passes, nothing is learned", T, .f = { TCP4(40000, 8443, SYN) },
	  .e = { PASS } },
	{ "trust: a malformed frame passes, no reason", T,
	  .f = { TCP4(40000, 443, SYN), .truncate = 14 + 19 }, .e = { PASS } },
	{ "learn: a malformed frame is dropped, not learned", L,
	  .f = { UDP4(40000, 53), .ipv4_tot_len = 20 + 7, .truncate = 14 + 20 + 7 },
	  .e = { DROP(L4_TRUNC) } },
	{ "monitor: a malformed frame is dropped, not alerted", M,
	  .f = { TCP4(40000, 443, SYN), .truncate = 14 + 19 }, .e = { DROP(IPV4_TRUNC) } },
	{ "enforce: a malformed frame is dropped with its reason", E,
	  .f = { UDP4(40000, 53), .ipv4_tot_len = 20 + 7, .truncate = 14 + 20 + 7 },
	  .e = { DROP(L4_TRUNC) } },
	{ "quarantine: a malformed frame keeps its reason", Q,
	  .f = { TCP4(40000, 443, SYN), .tcp_doff = 4 }, .e = { DROP(TCP_BAD_HDR) } },

	/* --- New devices take the interface's default mode --- */
	{ "new device: learn by default", .fresh = true, .iface_mode = L,
	  .f = { TCP4(40000, 443, SYN) },
	  .e = { PASS, .new_device = 1, .flows = 1, .events = EV(NEW_DEVICE) },
	  .learns = "tcp/443 " PEER },
	{ "new device: enforce by default", .fresh = true, .iface_mode = E,
	  .f = { TCP4(40000, 443, SYN) },
	  .e = { DROP(NOT_IN_FINGERPRINT), .new_device = 1,
		 .events = EV(NEW_DEVICE) | EV(VIOLATION) } },
	{ "new device: quarantine by default, baseline passes", .fresh = true, .iface_mode = Q,
	  .f = { .arp_op = 1, .arp_sender_ip = DEV_IP },
	  .e = { PASS, .new_device = 1, .events = EV(NEW_DEVICE) } },
	{ "new device: a malformed first frame still makes it", .fresh = true, .iface_mode = L,
	  .f = { TCP4(40000, 443, SYN), .ip_version = 5 },
	  .e = { DROP(IPV4_BAD_HDR), .new_device = 1, .events = EV(NEW_DEVICE) } },

	/* --- Baseline: passes in enforce and quarantine with an empty fingerprint --- */
	{ "baseline: ARP request (enforce)", E, .f = { .arp_op = 1, .arp_sender_ip = DEV_IP },
	  .e = { PASS } },
	{ "baseline: ARP reply (quarantine)", Q, .f = { .arp_op = 2, .arp_sender_ip = DEV_IP },
	  .e = { PASS } },
	{ "baseline: ARP probe from 0.0.0.0", E, .f = { .arp_op = 1, .arp_sender_ip = "0.0.0.0" },
	  .e = { PASS } },
	{ "baseline: ARP learns nothing", L, .f = { .arp_op = 1, .arp_sender_ip = DEV_IP },
	  .e = { PASS } },
	{ "baseline: DHCP discover", E,
	  .f = { .src_ip = "0.0.0.0",
		 .dst_ip = "255.255.255.255",
		 .proto = 17,
		 .sport = 68,
		 .dport = 67,
		 .payload = 240 },
	  .e = { PASS } },
	{ "baseline: DHCP request, unicast (quarantine)", Q,
	  .f = { .src_ip = DEV_IP,
		 .dst_ip = "192.168.1.1",
		 .proto = 17,
		 .sport = 68,
		 .dport = 67,
		 .payload = 240 },
	  .e = { PASS } },
	{ "baseline: DHCP learns nothing", L,
	  .f = { .src_ip = "0.0.0.0",
		 .dst_ip = "255.255.255.255",
		 .proto = 17,
		 .sport = 68,
		 .dport = 67,
		 .payload = 240 },
	  .e = { PASS } },
	{ "baseline: DHCPv6 solicit", Q,
	  .f = { .src_ip = LL6, .dst_ip = "ff02::1:2", .proto = 17, .sport = 546, .dport = 547 },
	  .e = { PASS } },
	{ "baseline: ICMPv6 router solicitation", Q, .f = { ICMP6(LL6, "ff02::2", 133) },
	  .e = { PASS } },
	{ "baseline: ICMPv6 neighbour solicitation (DAD)", E,
	  .f = { ICMP6("::", "ff02::1:ff00:10", 135) }, .e = { PASS } },
	{ "baseline: ICMPv6 neighbour advertisement", Q, .f = { ICMP6(LL6, "fe80::1", 136) },
	  .e = { PASS } },
	{ "baseline: MLD report", E, .f = { ICMP6(LL6, "ff02::fb", 131) }, .e = { PASS } },
	{ "baseline: MLD done", E, .f = { ICMP6(LL6, "ff02::2", 132) }, .e = { PASS } },
	{ "baseline: MLDv2 report behind hop-by-hop", Q,
	  .f = { ICMP6(LL6, "ff02::16", 143), .ipv6_ext = { 0 }, .ipv6_ext_n = 1 }, .e = { PASS } },
	{ "baseline: EAPOL", Q, .f = { .ethertype = 0x888e, .payload = 4 }, .e = { PASS } },
	{ "baseline: EAPOL in a VLAN", E, .f = { .ethertype = 0x888e, .payload = 4, .vlans = 1 },
	  .e = { PASS } },
	{ "baseline: DHCP in two VLAN tags", Q,
	  .f = { .src_ip = "0.0.0.0",
		 .dst_ip = "255.255.255.255",
		 .proto = 17,
		 .sport = 68,
		 .dport = 67,
		 .vlans = 2 },
	  .e = { PASS } },
	/* Look-alikes that are not baseline */
	{ "not baseline: a DHCP server reply from a device", E,
	  .f = { .src_ip = DEV_IP, .dst_ip = "192.168.1.20", .proto = 17, .sport = 67, .dport = 68 },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: a DHCP server reply, quarantine", Q,
	  .f = { .src_ip = DEV_IP, .dst_ip = "192.168.1.20", .proto = 17, .sport = 67, .dport = 68 },
	  .e = { DROP(QUARANTINE) } },
	{ "not baseline: a learning DHCP server learns its service", L,
	  .f = { .src_ip = DEV_IP, .dst_ip = "192.168.1.20", .proto = 17, .sport = 67, .dport = 68 },
	  .e = { PASS, .flows = 1 }, .learns = "udp/67 192.168.1.20 server" },
	{ "not baseline: DHCP client port to another port", E,
	  .f = { .src_ip = DEV_IP, .dst_ip = "192.168.1.1", .proto = 17, .sport = 68, .dport = 69 },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: DHCPv6 server reply", E,
	  .f = { .src_ip = LL6, .dst_ip = "fe80::20", .proto = 17, .sport = 547, .dport = 546 },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: DHCPv6 ports over IPv4", E,
	  .f = { .src_ip = DEV_IP, .dst_ip = "192.168.1.1", .proto = 17, .sport = 546, .dport = 547 },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: router advertisement", E, .f = { ICMP6(LL6, "ff02::1", 134) },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: router advertisement, quarantine", Q, .f = { ICMP6(LL6, "ff02::1", 134) },
	  .e = { DROP(QUARANTINE) } },
	{ "not baseline: redirect", E, .f = { ICMP6(LL6, "fe80::20", 137) },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: MLD query", E, .f = { ICMP6(LL6, "ff02::1", 130) },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: ICMPv6 echo request", E, .f = { ICMP6(DEV6, PEER6, 128) },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "not baseline: NS type in ICMPv4", E, .f = { ICMP4(135) },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },

	/* --- Both families, VLAN stacks --- */
	{ "IPv6: a TCP flow is learned", L, .f = { TCP6(40000, 443, SYN) },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER6 },
	{ "IPv6: a UDP flow is learned", L, .f = { UDP6(40000, 53) }, .e = { PASS, .flows = 1 },
	  .learns = "udp/53 " PEER6 },
	{ "IPv6: enforce passes a known flow", E, .allow = { "tcp/443 " PEER6 },
	  .f = { TCP6(40000, 443, SYN) }, .e = { PASS } },
	{ "IPv6: enforce drops another", E, .allow = { "tcp/443 " PEER6 },
	  .f = { TCP6(40000, 80, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "IPv4 rule does not match the IPv6 peer", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP6(40000, 443, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "VLAN: one 802.1Q tag", L, .f = { TCP4(40000, 443, SYN), .vlans = 1 },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "VLAN: 802.1ad + 802.1Q", L, .f = { TCP4(40000, 443, SYN), .vlans = 2 },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "VLAN: 802.1Q + 802.1Q", L,
	  .f = { TCP4(40000, 443, SYN), .vlans = 2, .vlan_tpid = { 0x8100, 0x8100 } },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "VLAN: 0x9100 + 802.1Q", L,
	  .f = { TCP4(40000, 443, SYN), .vlans = 2, .vlan_tpid = { 0x9100, 0x8100 } },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "VLAN: IPv6 in two tags", L, .f = { TCP6(40000, 443, SYN), .vlans = 2 },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER6 },
	{ "VLAN: enforce matches through two tags", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN), .vlans = 2 }, .e = { PASS } },
	{ "VLAN: enforce drops through one tag", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 80, SYN), .vlans = 1 }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "VLAN: a third tag (learn)", L, .f = { TCP4(40000, 443, SYN), .vlans = 3 },
	  .e = { DROP(VLAN_DEPTH) } },
	{ "VLAN: a third tag (enforce, allowed flow)", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN), .vlans = 3 }, .e = { DROP(VLAN_DEPTH) } },
	{ "VLAN: a third tag hides ARP", E,
	  .f = { .arp_op = 1, .arp_sender_ip = DEV_IP, .vlans = 3 }, .e = { DROP(VLAN_DEPTH) } },

	/* --- Truncation and bad headers, at every layer (learn: nothing learned) --- */
	{ "trunc: VLAN tag", L, .f = { TCP4(40000, 443, SYN), .vlans = 1, .truncate = 14 + 3 },
	  .e = { DROP(VLAN_TRUNC) } },
	{ "trunc: second VLAN tag", L,
	  .f = { TCP4(40000, 443, SYN), .vlans = 2, .truncate = 18 + 3 },
	  .e = { DROP(VLAN_TRUNC) } },
	{ "trunc: ARP fixed part", L,
	  .f = { .arp_op = 1, .arp_sender_ip = DEV_IP, .truncate = 14 + 7 },
	  .e = { DROP(ARP_TRUNC) } },
	{ "trunc: ARP addresses", L,
	  .f = { .arp_op = 1, .arp_sender_ip = DEV_IP, .truncate = 14 + 27 },
	  .e = { DROP(ARP_TRUNC) } },
	{ "trunc: ARP in a VLAN", E,
	  .f = { .arp_op = 1, .arp_sender_ip = DEV_IP, .vlans = 1, .truncate = 18 + 20 },
	  .e = { DROP(ARP_TRUNC) } },
	{ "trunc: IPv4 header", L, .f = { TCP4(40000, 443, SYN), .truncate = 14 + 19 },
	  .e = { DROP(IPV4_TRUNC) } },
	{ "trunc: IPv4 options", L,
	  .f = { TCP4(40000, 443, SYN), .ipv4_opts = 12, .truncate = 14 + 20 + 8 },
	  .e = { DROP(IPV4_TRUNC) } },
	{ "trunc: IPv4 total length beyond the frame", L,
	  .f = { TCP4(40000, 443, SYN), .ipv4_tot_len = 41 }, .e = { DROP(IPV4_TRUNC) } },
	{ "trunc: IPv4 in a VLAN, total length beyond", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN), .vlans = 1, .ipv4_tot_len = 60 },
	  .e = { DROP(IPV4_TRUNC) } },
	{ "ok: IPv4 options are skipped", L, .f = { TCP4(40000, 443, SYN), .ipv4_opts = 12 },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "ok: the longest IPv4 header (IHL 15)", L, .f = { UDP4(40000, 53), .ipv4_opts = 40 },
	  .e = { PASS, .flows = 1 }, .learns = "udp/53 " PEER },
	{ "ok: Ethernet padding after the packet", L, .f = { UDP4(40000, 53), .pad_to = 60 },
	  .e = { PASS, .flows = 1 }, .learns = "udp/53 " PEER },
	{ "bad: IPv4 total length below the header", L,
	  .f = { TCP4(40000, 443, SYN), .ipv4_tot_len = 19 }, .e = { DROP(IPV4_BAD_HDR) } },
	{ "bad: IPv4 total length below header + options", L,
	  .f = { TCP4(40000, 443, SYN), .ipv4_opts = 4, .ipv4_tot_len = 20 },
	  .e = { DROP(IPV4_BAD_HDR) } },
	{ "bad: IHL 4", L, .f = { TCP4(40000, 443, SYN), .ipv4_ihl = 4 },
	  .e = { DROP(IPV4_BAD_HDR) } },
	/* IHL and data offset are 4-bit fields: 0xf0 and 0x10 put 0 in them. */
	{ "bad: IHL 0", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, SYN), .ipv4_ihl = 0xf0 }, .e = { DROP(IPV4_BAD_HDR) } },
	{ "bad: IHL beyond the frame", L, .f = { UDP4(40000, 53), .ipv4_ihl = 15 },
	  .e = { DROP(IPV4_TRUNC) } },
	{ "bad: version 6 in an IPv4 frame", L, .f = { TCP4(40000, 443, SYN), .ip_version = 6 },
	  .e = { DROP(IPV4_BAD_HDR) } },
	{ "bad: version 4 in an IPv6 frame", L, .f = { TCP6(40000, 443, SYN), .ip_version = 4 },
	  .e = { DROP(IPV6_BAD_HDR) } },
	{ "trunc: IPv6 header", L, .f = { TCP6(40000, 443, SYN), .truncate = 14 + 39 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: IPv6 payload length beyond the frame", L,
	  .f = { UDP6(40000, 53), .ipv6_plen = 9 }, .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: hop-by-hop, in its first two bytes", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0 }, .ipv6_ext_n = 1, .truncate = 54 + 1 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: hop-by-hop body", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0 }, .ipv6_ext_n = 1, .truncate = 54 + 7 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: routing header", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0, 43 }, .ipv6_ext_n = 2, .truncate = 54 + 8 + 5 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: destination options", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 60 }, .ipv6_ext_n = 1, .truncate = 54 + 4 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: AH", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 51 }, .ipv6_ext_n = 1, .truncate = 54 + 11 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: mobility header", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 135 }, .ipv6_ext_n = 1, .truncate = 54 + 6 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: fragment header", L,
	  .f = { UDP6(40000, 53), .ipv6_frag = 1, .more_frags = 1, .truncate = 54 + 7 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: extension header beyond the payload length", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 60 }, .ipv6_ext_n = 1, .ipv6_plen = 4,
		 .pad_to = 120 },
	  .e = { DROP(IPV6_TRUNC) } },
	{ "ok: every extension header kind", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0, 43, 60, 51, 135 }, .ipv6_ext_n = 5 },
	  .e = { PASS, .flows = 1 }, .learns = "udp/53 " PEER6 },
	{ "ok: eight extension headers", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0, 43, 60, 60, 60, 60, 60, 60 }, .ipv6_ext_n = 8 },
	  .e = { PASS, .flows = 1 }, .learns = "udp/53 " PEER6 },
	{ "ok: seven and an atomic fragment header", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0, 43, 60, 60, 60, 60, 60 }, .ipv6_ext_n = 7,
		 .ipv6_frag = 1 },
	  .e = { PASS, .flows = 1 }, .learns = "udp/53 " PEER6 },
	{ "bad: nine extension headers", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0, 43, 60, 60, 60, 60, 60, 60, 60 },
		 .ipv6_ext_n = 9 },
	  .e = { DROP(IPV6_EXT_LIMIT) } },
	{ "bad: nine, the ninth a fragment header", E, .allow = { "udp/53 " PEER6 },
	  .f = { UDP6(40000, 53), .ipv6_ext = { 0, 43, 60, 60, 60, 60, 60, 60 }, .ipv6_ext_n = 8,
		 .ipv6_frag = 1, .more_frags = 1 },
	  .e = { DROP(IPV6_EXT_LIMIT) } },
	/*
	 * An L4 header cut short: the IP length says so too, else the frame
	 * would be a truncated IP packet (the rows above).
	 */
	{ "trunc: TCP header (IPv4)", L,
	  .f = { TCP4(40000, 443, SYN), .ipv4_tot_len = 20 + 19, .truncate = 34 + 19 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: TCP header (IPv6)", L,
	  .f = { TCP6(40000, 443, SYN), .ipv6_plen = 19, .truncate = 54 + 19 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: TCP header, IPv6 frame cut", L,
	  .f = { TCP6(40000, 443, SYN), .truncate = 54 + 19 }, .e = { DROP(IPV6_TRUNC) } },
	{ "trunc: UDP header", L,
	  .f = { UDP4(40000, 53), .ipv4_tot_len = 20 + 7, .truncate = 34 + 7 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: UDP header (IPv6)", L,
	  .f = { UDP6(40000, 53), .ipv6_plen = 7, .truncate = 54 + 7 }, .e = { DROP(L4_TRUNC) } },
	{ "trunc: UDP header behind an extension header", L,
	  .f = { UDP6(40000, 53), .ipv6_ext = { 60 }, .ipv6_ext_n = 1, .ipv6_plen = 8 + 7,
		 .truncate = 54 + 8 + 7 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: ICMP header", L, .f = { ICMP4(8), .ipv4_tot_len = 20 + 3, .truncate = 34 + 3 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: ICMPv6 header", L,
	  .f = { ICMP6(DEV6, PEER6, 128), .ipv6_plen = 3, .truncate = 54 + 3 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: ICMPv6 baseline type is not saved by being baseline", Q,
	  .f = { ICMP6(LL6, "ff02::2", 133), .ipv6_plen = 3, .truncate = 54 + 3 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: TCP header beyond the IPv4 total length, in padding", L,
	  .f = { TCP4(40000, 443, SYN), .ipv4_tot_len = 20 + 8, .pad_to = 60 },
	  .e = { DROP(L4_TRUNC) } },
	{ "trunc: UDP header beyond the IPv6 payload length, in padding", L,
	  .f = { UDP6(40000, 53), .ipv6_plen = 4, .pad_to = 80 }, .e = { DROP(L4_TRUNC) } },
	{ "trunc: TCP options beyond the packet", L, .f = { TCP4(40000, 443, SYN), .tcp_doff = 8 },
	  .e = { DROP(L4_TRUNC) } },
	{ "ok: TCP options", L, .f = { TCP4(40000, 443, SYN), .tcp_opts = 12 },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "bad: TCP data offset 4", L, .f = { TCP4(40000, 443, SYN), .tcp_doff = 4 },
	  .e = { DROP(TCP_BAD_HDR) } },
	{ "bad: TCP data offset 0 (IPv6)", E, .allow = { "tcp/443 " PEER6 },
	  .f = { TCP6(40000, 443, SYN), .tcp_doff = 0x10 }, .e = { DROP(TCP_BAD_HDR) } },

	/* --- Source MACs that are never a device --- */
	{ "bad source: broadcast", L,
	  .f = { TCP4(40000, 443, SYN), .src_mac = "ff:ff:ff:ff:ff:ff" },
	  .e = { DROP(BAD_SRC_MAC), .no_device = true } },
	{ "bad source: IPv4 multicast", L,
	  .f = { TCP4(40000, 443, SYN), .src_mac = "01:00:5e:00:00:01" },
	  .e = { DROP(BAD_SRC_MAC), .no_device = true } },
	{ "bad source: IPv6 multicast", L, .f = { UDP6(40000, 53), .src_mac = "33:33:00:00:00:01" },
	  .e = { DROP(BAD_SRC_MAC), .no_device = true } },
	{ "bad source: all zero", L, .f = { .arp_op = 1, .src_mac = "00:00:00:00:00:00" },
	  .e = { DROP(BAD_SRC_MAC), .no_device = true } },
	{ "bad source: wins over a malformed frame", L,
	  .f = { TCP4(40000, 443, SYN), .src_mac = "ff:ff:ff:ff:ff:ff", .truncate = 20 },
	  .e = { DROP(BAD_SRC_MAC), .no_device = true } },

	/* --- Non-IP ethertypes and other IP protocols --- */
	{ "L2: LLDP is learned as an ethertype", L, .f = { .ethertype = 0x88cc, .payload = 40 },
	  .e = { PASS, .flows = 1 }, .learns = "ether/0x88cc" },
	{ "L2: LLDP outside the fingerprint", E, .allow = { "ether/0x8899" },
	  .f = { .ethertype = 0x88cc, .payload = 40 }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "L2: LLDP in the fingerprint", E, .allow = { "ether/0x88cc" },
	  .f = { .ethertype = 0x88cc, .payload = 40 }, .e = { PASS } },
	{ "L2: an ethertype in a VLAN", L, .f = { .ethertype = 0x88cc, .payload = 40, .vlans = 1 },
	  .e = { PASS, .flows = 1 }, .learns = "ether/0x88cc" },
	{ "L2: an 802.3 length is not an ethertype", L, .f = { .ethertype = 6, .payload = 6 },
	  .e = { PASS, .flows = 1 }, .learns = "ether/0x0001",
	  .learns_key = { .family = IFN_FAMILY_L2, .port = 0x0001 } },
	{ "L2: any 802.3 length is the same flow", E, .allow = { "ether/0x88cc" },
	  .f = { .ethertype = 46, .payload = 46 }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "other IP protocol: GRE, port 0", L,
	  .f = { .src_ip = DEV_IP, .dst_ip = PEER, .proto = 47, .payload = 8 },
	  .e = { PASS, .flows = 1 }, .learns = "gre/0 " PEER },
	{ "other IP protocol: in the fingerprint", E, .allow = { "gre/0 " PEER },
	  .f = { .src_ip = DEV_IP, .dst_ip = PEER, .proto = 47, .payload = 8 }, .e = { PASS } },
	{ "other IP protocol: IGMP outside", E, .allow = { "gre/0 " PEER },
	  .f = { .src_ip = DEV_IP, .dst_ip = "224.0.0.22", .proto = 2, .payload = 8 },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "other IP protocol: IPv6 no next header", L,
	  .f = { .src_ip = DEV6, .dst_ip = PEER6, .proto = 59 }, .e = { PASS, .flows = 1 },
	  .learns = "59/0 " PEER6 },

	/* --- ICMP --- */
	{ "ICMP: echo request is a client flow of type 8", L, .f = { ICMP4(8) },
	  .e = { PASS, .flows = 1 }, .learns = "icmp/8 " PEER },
	{ "ICMP: echo reply is the server side of type 8", L, .f = { ICMP4(0) },
	  .e = { PASS, .flows = 1 }, .learns = "icmp/8 " PEER " server" },
	{ "ICMP: destination unreachable, by type", L, .f = { ICMP4(3) }, .e = { PASS, .flows = 1 },
	  .learns = "icmp/3 " PEER },
	{ "ICMPv6: echo request", L, .f = { ICMP6(DEV6, PEER6, 128) }, .e = { PASS, .flows = 1 },
	  .learns = "icmpv6/128 " PEER6 },
	{ "ICMPv6: echo reply", L, .f = { ICMP6(DEV6, PEER6, 129) }, .e = { PASS, .flows = 1 },
	  .learns = "icmpv6/128 " PEER6 " server" },
	{ "ICMP: a pinged device answers", E, .allow = { "icmp/8 " PEER " server" },
	  .f = { ICMP4(0) }, .e = { PASS } },
	{ "ICMP: being pinged does not allow pinging", E, .allow = { "icmp/8 " PEER " server" },
	  .f = { ICMP4(8) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "ICMP: pinging does not allow answering", E, .allow = { "icmp/8 " PEER },
	  .f = { ICMP4(0) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },

	/* --- TCP direction --- */
	{ "TCP: a SYN opens a client flow", L, .f = { TCP4(40000, 443, SYN) },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "TCP: a SYN-ACK is the server side, on the source port", L,
	  .f = { TCP4(8080, 50000, SYNACK) }, .e = { PASS, .flows = 1 },
	  .learns = "tcp/8080 " PEER " server" },
	{ "TCP: a SYN-ACK from a high port is still the server", L,
	  .f = { TCP4(49153, 40000, SYNACK) }, .e = { PASS, .flows = 1 },
	  .learns = "tcp/49153 " PEER " server" },
	{ "TCP: a SYN from a low port is still a client", L, .f = { TCP4(2048, 443, SYN) },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "TCP: a SYN to a high port is still a client", L, .f = { TCP4(3000, 49152, SYN) },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/49152 " PEER },
	{ "TCP: mid-connection, by the UDP rule: client", L, .f = { TCP4(50000, 443, PSHACK) },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/443 " PEER },
	{ "TCP: mid-connection, by the UDP rule: server", L, .f = { TCP4(23, 57624, ACK) },
	  .e = { PASS, .flows = 1 }, .learns = "tcp/23 " PEER " server" },
	{ "TCP: mid-connection, server flow known", L, .allow = { "tcp/8080 " PEER " server" },
	  .f = { TCP4(8080, 50000, ACK) }, .e = { PASS } },
	{ "TCP: server: later ACKs match", E, .allow = { "tcp/8080 " PEER " server" },
	  .f = { TCP4(8080, 50000, ACK) }, .e = { PASS } },
	{ "TCP: server: the SYN-ACK matches", E, .allow = { "tcp/8080 " PEER " server" },
	  .f = { TCP4(8080, 50001, SYNACK) }, .e = { PASS } },
	{ "TCP: server: may not open to that port", E, .allow = { "tcp/8080 " PEER " server" },
	  .f = { TCP4(50000, 8080, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "TCP: client: later frames match", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, ACK) }, .e = { PASS } },
	{ "TCP: client: may not serve that port", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(443, 40000, SYNACK) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "TCP: later frames match either key", E, .allow = { "tcp/6000 " PEER },
	  .f = { TCP4(5000, 6000, ACK) }, .e = { PASS } },
	{ "TCP: an RST is a later frame", E, .allow = { "tcp/443 " PEER },
	  .f = { TCP4(40000, 443, FR_RST) }, .e = { PASS } },
	{ "TCP: an RST passes a learning device but is never learned", L,
	  .f = { TCP4(23, 57624, FR_RST | FR_ACK) }, .e = { PASS } },
	{ "TCP: an unknown RST meets enforce", E, .f = { TCP4(23, 57624, FR_RST | FR_ACK) },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },

	/* --- UDP direction heuristic --- */
	{ "UDP: equal ports, client (NTP)", L, .f = { UDP4(123, 123) }, .e = { PASS, .flows = 1 },
	  .learns = "udp/123 " PEER },
	{ "UDP: equal ports, client (mDNS)", L, .f = { UDP4(5353, 5353), .dst_ip = "224.0.0.251" },
	  .e = { PASS, .flows = 1 }, .learns = "udp/5353 224.0.0.251" },
	{ "UDP: low port is the service: DNS client", L, .f = { UDP4(50000, 53) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/53 " PEER },
	{ "UDP: low port is the service: DNS server", L, .f = { UDP4(53, 50000) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/53 " PEER " server" },
	{ "UDP: low port is the service: against a mid port", L, .f = { UDP4(5000, 137) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/137 " PEER },
	{ "UDP: ephemeral peer: SSDP answer from 1900", L, .f = { UDP4(1900, 50000) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/1900 " PEER " server" },
	{ "UDP: ephemeral device: client of 19704", L, .f = { UDP4(40000, 19704) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/19704 " PEER },
	{ "UDP: otherwise the destination port: client", L, .f = { UDP4(26803, 19704) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/19704 " PEER },
	{ "UDP: otherwise the destination port, even the higher", L, .f = { UDP4(19704, 26803) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/26803 " PEER },
	{ "UDP: a P2P camera to its relay's 32100", L, .f = { UDP4(25508, 32100) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/32100 " PEER },
	{ "UDP: both below 1024, the lower", L, .f = { UDP4(1000, 900) }, .e = { PASS, .flows = 1 },
	  .learns = "udp/900 " PEER },
	{ "UDP: both below 1024, the lower: a DHCP server", L, .f = { UDP4(67, 68) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/67 " PEER " server" },
	{ "UDP: a known service port: SSDP answer to a mid port", L, .f = { UDP4(1900, 1901) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/1900 " PEER " server" },
	{ "UDP: a known service port: CoAP client", L, .f = { UDP4(20000, 5683) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/5683 " PEER },
	{ "UDP: both ephemeral, the destination", L, .f = { UDP4(50000, 60000) },
	  .e = { PASS, .flows = 1 }, .learns = "udp/60000 " PEER },
	{ "UDP: matches the other key", E, .allow = { "udp/6000 " PEER }, .f = { UDP4(5000, 6000) },
	  .e = { PASS } },
	{ "UDP: equal ports match the server key", E, .allow = { "udp/1900 " PEER " server" },
	  .f = { UDP4(1900, 1900) }, .e = { PASS } },
	{ "UDP: a DNS client may not serve DNS", E, .allow = { "udp/53 " PEER },
	  .f = { UDP4(53, 50000) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "UDP: a known server flow adds nothing", L, .allow = { "udp/19704 " PEER " server" },
	  .f = { UDP4(19704, 26804) }, .e = { PASS } },

	/* --- Prefix and port-any rules (LPM tries) --- */
	{ "rule: port on a prefix, inside", E, .allow = { "tcp/443 52.1.0.0/16" },
	  .f = { TCP4(40000, 443, SYN) }, .e = { PASS } },
	{ "rule: port on a prefix, outside", E, .allow = { "tcp/443 52.1.0.0/16" },
	  .f = { TCP4(40000, 443, SYN), .dst_ip = "52.2.0.1" },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: port on a prefix, other port", E, .allow = { "tcp/443 52.1.0.0/16" },
	  .f = { TCP4(40000, 8443, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: port on a prefix, other protocol", E, .allow = { "tcp/443 52.1.0.0/16" },
	  .f = { UDP4(40000, 443) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: port on a prefix, longest of two", E,
	  .allow = { "tcp/443 52.1.2.0/24", "tcp/443 10.0.0.0/8" }, .f = { TCP4(40000, 443, SYN) },
	  .e = { PASS } },
	{ "rule: port, any peer (IPv4)", E, .allow = { "udp/123 any" },
	  .f = { UDP4(40000, 123), .dst_ip = "8.8.8.8" }, .e = { PASS } },
	{ "rule: port, any peer (IPv6)", E, .allow = { "udp/123 any" }, .f = { UDP6(40000, 123) },
	  .e = { PASS } },
	{ "rule: IPv6 prefix, inside", E, .allow = { "tcp/443 2001:db8::/32" },
	  .f = { TCP6(40000, 443, SYN) }, .e = { PASS } },
	{ "rule: IPv6 prefix, outside", E, .allow = { "tcp/443 2001:db8::/32" },
	  .f = { TCP6(40000, 443, SYN), .dst_ip = "2001:db9::1" },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: any port on a prefix", E, .allow = { "tcp 10.0.0.0/8" },
	  .f = { TCP4(40000, 8443, SYN), .dst_ip = "10.1.2.3" }, .e = { PASS } },
	{ "rule: any port, outside the prefix", E, .allow = { "tcp 10.0.0.0/8" },
	  .f = { TCP4(40000, 8443, SYN), .dst_ip = "11.0.0.1" },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: any port, other protocol", E, .allow = { "tcp 10.0.0.0/8" },
	  .f = { UDP4(40000, 8443), .dst_ip = "10.1.2.3" },
	  .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: any port, any peer, ICMP", E, .allow = { "icmp any" }, .f = { ICMP4(8) },
	  .e = { PASS } },
	{ "rule: a server port for anyone", E, .allow = { "tcp/554 any server" },
	  .f = { TCP4(554, 50000, SYNACK), .dst_ip = "192.168.1.77" }, .e = { PASS } },
	{ "rule: a server port does not allow opening", E, .allow = { "tcp/554 any server" },
	  .f = { TCP4(50000, 554, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: any port as a server", E, .allow = { "udp 192.168.1.0/24 server" },
	  .f = { UDP4(19704, 26803), .dst_ip = "192.168.1.77" }, .e = { PASS } },
	{ "rule: another device's rule does not apply", E, .allow_dev2 = "tcp/443 any",
	  .f = { TCP4(40000, 443, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: another device's exact flow does not apply", E, .allow_dev2 = "tcp/443 " PEER,
	  .f = { TCP4(40000, 443, SYN) }, .e = { DROP(NOT_IN_FINGERPRINT), VIOL } },
	{ "rule: learning with a rule learns no exact flow", L, .allow = { "tcp/443 any" },
	  .f = { TCP4(40000, 443, SYN) }, .e = { PASS } },
};

#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

START_TEST(table_row)
{
	const struct row *r = &rows[_i];
	const char *mac = r->f.src_mac ? r->f.src_mac : DEV;
	struct th_snap before;
	struct th t;
	size_t len;
	int i, act;

	th_setup(&t, NULL);
	if (r->fresh) {
		th_iface(&t, r->iface_mode, 0);
	} else {
		th_add_device(&t, DEV, r->mode);
		for (i = 0; i < 3 && r->allow[i]; i++)
			th_allow(&t, DEV, r->allow[i]);
	}
	if (r->allow_dev2) {
		th_add_device(&t, DEV2, IFN_MODE_ENFORCE);
		th_allow(&t, DEV2, r->allow_dev2);
	}
	th_snap(&t, mac, &before);
	act = th_send_len(&t, &r->f, &len);
	ck_assert_msg(act == r->e.xdp, "%s: XDP action %d, expected %d", r->name, act, r->e.xdp);
	th_expect_delta(&t, mac, &before, len, &r->e, r->name);
	if (r->learns)
		ck_assert_msg(th_has_flow(&t, mac, r->learns), "%s: '%s' not learned", r->name,
			      r->learns);
	if (r->learns_key.family) {
		struct ifn_flow_key k = r->learns_key;

		frame_mac(mac, k.mac);
		ck_assert_msg(th_has_key(&t, &k), "%s: flow key not learned", r->name);
	}
	ck_assert_msg(!r->e.flows || r->learns || r->learns_key.family,
		      "%s: a row that learns names its flow", r->name);
	th_teardown(&t);
}
END_TEST

TH_SUITE(table_suite)
static Suite *table_suite(void)
{
	Suite *s = suite_create("datapath-table");
	TCase *tc = tcase_create("frames");

	tcase_add_loop_test(tc, table_row, 0, NROWS);
	suite_add_tcase(s, tc);
	return s;
}
