// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * model_parse.c - the reference model's parse of a device's frame
 * (DATAPATH 1 in iotfence.8), and the names of reasons, events and modes
 * for reports. "READING" marks a choice the page leaves open.
 */
#include <string.h>

#include "model_int.h"

/* Parsing (DATAPATH 1) */

static bool ipv6_ext(__u8 nh)
{
	/* hop-by-hop, routing, fragment, destination options, AH, mobility */
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135;
}

/*
 * DATAPATH 1: the L4 header must lie inside the IP packet (its total or
 * payload length); one in the Ethernet padding beyond it is truncated, and
 * so are TCP options beyond it. READING: an ICMP header is its 4 fixed
 * bytes (type, code, checksum).
 */
/*
 * FLOWS, ICMP: an error (ICMP 3, 4, 11, 12 over IPv4; ICMPv6 1 to 4 over
 * IPv6) quotes the packet it is about after its 8-byte header. It counts
 * only when it is the packet that came from the peer the error goes to
 * and was sent to the device's address (READING: the error's source),
 * with 8 bytes of its ports; otherwise the error is a flow of its own.
 * READINGs: the quote is of the frame's IP version, its first (or only)
 * fragment, with no IPv6 extension headers; TCP, UDP, or an ICMP of the
 * error's own protocol; TCP flags are known only when quoted.
 */
static void parse_quote(const __u8 *f, size_t cur, size_t end, struct mdl_pkt *p)
{
	size_t q = cur + 8, l4;
	__u8 t = p->icmp_type, proto;

	p->icmp_error = p->proto == 1 ? p->ipv4 && (t == 3 || t == 4 || t == 11 || t == 12) :
					p->ipv6 && t >= 1 && t <= 4;
	if (!p->icmp_error)
		return;
	if (p->ipv4) {
		unsigned int ihl;

		if (q + 20 > end || (f[q] >> 4) != 4)
			return;
		ihl = (f[q] & 15) * 4u;
		if (ihl < 20 || (be16(f + q + 6) & 0x1fff))
			return;
		mapped(p->q_saddr, f + q + 12);
		mapped(p->q_daddr, f + q + 16);
		proto = f[q + 9];
		l4 = q + ihl;
	} else {
		if (q + 40 > end || (f[q] >> 4) != 6)
			return;
		memcpy(p->q_saddr, f + q + 8, 16);
		memcpy(p->q_daddr, f + q + 24, 16);
		proto = f[q + 6];
		l4 = q + 40;
	}
	if (memcmp(p->q_saddr, p->daddr, 16) || memcmp(p->q_daddr, p->saddr, 16))
		return;
	if (l4 + 8 > end)
		return;
	switch (proto) {
	case 6:
		if (l4 + 14 <= end) {
			p->q_tcp_flags = f[l4 + 13];
			p->q_has_flags = true;
		}
		/* fall through */
	case 17:
		p->q_sport = be16(f + l4);
		p->q_dport = be16(f + l4 + 2);
		break;
	case 1:
	case 58:
		if (proto != p->proto)
			return;
		p->q_type = f[l4];
		p->q_code = f[l4 + 1];
		break;
	default:
		return;
	}
	p->q_proto = proto;
	p->have_quote = true;
}

static void parse_l4(const __u8 *f, size_t cur, size_t end, struct mdl_pkt *p)
{
	switch (p->proto) {
	case 6:
		if (cur + 20 > end) {
			p->reason = IFN_REASON_L4_TRUNC;
			return;
		}
		if ((f[cur + 12] >> 4) < 5) {
			p->reason = IFN_REASON_TCP_BAD_HDR;
			return;
		}
		if (cur + (size_t)(f[cur + 12] >> 4) * 4 > end) {
			p->reason = IFN_REASON_L4_TRUNC;
			return;
		}
		p->sport = be16(f + cur);
		p->dport = be16(f + cur + 2);
		p->tcp_flags = f[cur + 13];
		p->have_l4 = true;
		return;
	case 17:
		if (cur + 8 > end) {
			p->reason = IFN_REASON_L4_TRUNC;
			return;
		}
		p->sport = be16(f + cur);
		p->dport = be16(f + cur + 2);
		p->have_l4 = true;
		return;
	case 1:
	case 58:
		/* READING: the protocol number decides, whatever the IP version. */
		if (cur + 4 > end) {
			p->reason = IFN_REASON_L4_TRUNC;
			return;
		}
		p->icmp_type = f[cur];
		p->icmp_code = f[cur + 1];
		p->have_l4 = true;
		parse_quote(f, cur, end, p);
		return;
	default:
		return;
	}
}

static void parse_ipv4(const __u8 *f, size_t len, size_t off, struct mdl_pkt *p)
{
	unsigned int ihl, tot, fo;

	p->ipv4 = true;
	if (off + 20 > len) {
		p->reason = IFN_REASON_IPV4_TRUNC;
		return;
	}
	ihl = (f[off] & 15) * 4;
	tot = be16(f + off + 2);
	if ((f[off] >> 4) != 4 || ihl < 20) {
		p->reason = IFN_REASON_IPV4_BAD_HDR;
		return;
	}
	/* READING: a header cut short is truncated, whatever it says. */
	if (off + ihl > len) {
		p->reason = IFN_REASON_IPV4_TRUNC;
		return;
	}
	if (tot < ihl) {
		p->reason = IFN_REASON_IPV4_BAD_HDR;
		return;
	}
	/* A total length beyond the frame makes the frame truncated. */
	if (off + tot > len) {
		p->reason = IFN_REASON_IPV4_TRUNC;
		return;
	}
	mapped(p->saddr, f + off + 12);
	mapped(p->daddr, f + off + 16);
	p->have_saddr = true;
	p->proto = f[off + 9];
	p->frag_proto = p->proto;
	p->frag_id = be16(f + off + 4);
	fo = be16(f + off + 6);
	if (fo & 0x1fff) {
		p->later_frag = true;
		return;
	}
	p->first_frag = fo & 0x2000;
	parse_l4(f, off + ihl, off + tot, p);
}

static void parse_ipv6(const __u8 *f, size_t len, size_t off, struct mdl_pkt *p)
{
	size_t cur, end;
	unsigned int n = 0;
	__u8 nh;

	p->ipv6 = true;
	if (off + 40 > len) {
		p->reason = IFN_REASON_IPV6_TRUNC;
		return;
	}
	if ((f[off] >> 4) != 6) {
		p->reason = IFN_REASON_IPV6_BAD_HDR;
		return;
	}
	/* A payload length beyond the frame makes the frame truncated. */
	end = off + 40 + be16(f + off + 4);
	if (end > len) {
		p->reason = IFN_REASON_IPV6_TRUNC;
		return;
	}
	memcpy(p->saddr, f + off + 8, 16);
	memcpy(p->daddr, f + off + 24, 16);
	p->have_saddr = true;
	nh = f[off + 6];
	cur = off + 40;
	while (ipv6_ext(nh)) {
		if (++n > IFN_MAX_IPV6_EXT_HDRS) {
			p->reason = IFN_REASON_IPV6_EXT_LIMIT;
			return;
		}
		if (nh == 44) {
			if (cur + 8 > end) {
				p->reason = IFN_REASON_IPV6_TRUNC;
				return;
			}
			p->frag_id = be32(f + cur + 4);
			nh = f[cur];
			/* FLOWS, Fragments: the key's protocol is this next header. */
			p->frag_proto = nh;
			if (be16(f + cur + 2) >> 3) {
				/* A later fragment, whatever a header before said. */
				p->proto = nh;
				p->later_frag = true;
				p->first_frag = false;
				return;
			}
			p->first_frag = f[cur + 3] & 1;
			cur += 8;
			continue;
		}
		if (cur + 2 > end) {
			p->reason = IFN_REASON_IPV6_TRUNC;
			return;
		}
		{
			size_t hl = nh == 51 ? ((size_t)f[cur + 1] + 2) * 4 :
					       ((size_t)f[cur + 1] + 1) * 8;

			if (cur + hl > end) {
				p->reason = IFN_REASON_IPV6_TRUNC;
				return;
			}
			nh = f[cur];
			cur += hl;
		}
	}
	p->proto = nh;
	parse_l4(f, cur, end, p);
}

void mdl_parse(const __u8 *f, size_t len, struct mdl_pkt *p)
{
	size_t off = 14;
	__u16 type;

	memset(p, 0, sizeof(*p));
	if (len < 14) {
		p->reason = IFN_REASON_ETH_TRUNC;
		return;
	}
	memcpy(p->src_mac, f + 6, 6);
	p->have_mac = true;
	/* DATAPATH 2: never a device, whatever follows. */
	if ((f[6] & 1) || all_zero(f + 6, 6)) {
		p->reason = IFN_REASON_BAD_SRC_MAC;
		return;
	}
	type = be16(f + 12);
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ) {
		if (p->vlans == IFN_MAX_VLAN_TAGS) {
			p->reason = IFN_REASON_VLAN_DEPTH;
			return;
		}
		if (off + 4 > len) {
			p->reason = IFN_REASON_VLAN_TRUNC;
			return;
		}
		type = be16(f + off + 2);
		off += 4;
		p->vlans++;
	}
	p->ethertype = type;
	switch (type) {
	case ETH_P_ARP:
		p->arp = true;
		/*
		 * READING: an ARP header is its 8 fixed bytes; IPv4 over
		 * Ethernet (the only kind that names an IPv4 sender) is 28.
		 */
		if (off + 8 > len) {
			p->reason = IFN_REASON_ARP_TRUNC;
			return;
		}
		if (be16(f + off) == 1 && be16(f + off + 2) == ETH_P_IPV4 && f[off + 4] == 6 &&
		    f[off + 5] == 4) {
			if (off + 28 > len) {
				p->reason = IFN_REASON_ARP_TRUNC;
				return;
			}
			mapped(p->saddr, f + off + 14);
			p->have_saddr = true;
		}
		return;
	case ETH_P_EAPOL:
		p->eapol = true;
		return;
	case ETH_P_IPV4:
		parse_ipv4(f, len, off, p);
		return;
	case ETH_P_IPV6:
		parse_ipv6(f, len, off, p);
		return;
	default:
		/* FLOWS: an 802.3 length is one flow, ethertype 0x0001. */
		if (type < 0x0600)
			p->ethertype = 0x0001;
		p->l2 = true;
		return;
	}
}

/* Names, for reports */

const char *mdl_reason_name(unsigned int r)
{
	static const char *const n[] = {
		"none",
		"eth_truncated",
		"bad_source_mac",
		"vlan_truncated",
		"vlan_too_deep",
		"arp_truncated",
		"ipv4_truncated",
		"ipv4_bad_header",
		"ipv6_truncated",
		"ipv6_bad_header",
		"ipv6_ext_chain_too_long",
		"l4_truncated",
		"tcp_bad_header",
		"device_table_full",
		"not_in_fingerprint",
		"quarantine",
		"rate_limit",
		"fragment",
		"answer",
	};
	return r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

const char *mdl_event_name(unsigned int t)
{
	static const char *const n[] = {
		"NEW_DEVICE",	 "LEARNING_DONE",   "VIOLATION", "SCAN",	"AUTO_QUARANTINE",
		"RATE_EXCEEDED", "FINGERPRINT_CAP", "IP_CHANGE", "IP_CONFLICT", "TABLE_FULL",
		"EVENTS_LOST",	 "DNS_SPOOFED",	    "PROBED",
	};
	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

const char *mdl_mode_name(unsigned int m)
{
	static const char *const n[] = { "learn", "monitor", "enforce", "quarantine", "trust" };

	return m < sizeof(n) / sizeof(n[0]) ? n[m] : "?";
}
