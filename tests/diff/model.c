// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * model.c - the reference model (see model.h). Section names in comments
 * refer to iotfence.8; "READING" marks a choice the page leaves open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "model.h"

#define NS_PER_S 1000000000ULL
/* The longest frame the model copies (a DNS answer of 2048 bytes and headers). */
#define GEN_FRAME_MAX_MODEL 4096

/* DATAPATH 1: the ethertypes of a VLAN tag. */
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ 0x9100
#define ETH_P_ARP 0x0806
#define ETH_P_EAPOL 0x888e
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd

/* DATAPATH 4: deadlines in units of 2^16 ns, rounded up. */
static __u64 deadline(__u64 ns)
{
	return ns ? (ns + 0xffffULL) & ~0xffffULL : 0;
}

static __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static bool all_zero(const __u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void mapped(__u8 out[16], const __u8 v4[4])
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

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

/* State */

struct scan_key {
	__u32 gen;
	struct ifn_flow_key flow;
};

void mdl_init(struct mdl *m, __u32 max_devices, __u32 max_flows)
{
	memset(m, 0, sizeof(*m));
	m->max_devices = max_devices;
	m->max_flows = max_flows;
	m->dev = calloc(max_devices, sizeof(*m->dev));
	if (!m->dev) {
		fprintf(stderr, "diff: out of memory\n");
		exit(2);
	}
	htab_init(&m->dev_index, 6, sizeof(__u32));
	htab_init(&m->flows, sizeof(struct ifn_flow_key), 1);
	htab_init(&m->scan_seen, sizeof(struct scan_key), 1);
	htab_init(&m->frags, sizeof(struct ifn_frag_key), sizeof(struct mdl_frag));
	htab_init(&m->owners, 16, 6);
	htab_init(&m->inbound, sizeof(struct ifn_in_key), sizeof(struct ifn_in_val));
	htab_init(&m->probes, sizeof(struct ifn_probe_key), sizeof(struct mdl_probe));
	htab_init(&m->probers, 16, sizeof(struct mdl_prober));
	htab_init(&m->probe_seen, 8, 1);
	htab_init(&m->prober_seen, 12, 1);
	mdl_reset(m);
}

void mdl_free(struct mdl *m)
{
	htab_free(&m->dev_index);
	htab_free(&m->flows);
	htab_free(&m->scan_seen);
	htab_free(&m->frags);
	htab_free(&m->owners);
	htab_free(&m->inbound);
	htab_free(&m->probes);
	htab_free(&m->probers);
	htab_free(&m->probe_seen);
	htab_free(&m->prober_seen);
	free(m->dev);
}

void mdl_reset(struct mdl *m)
{
	memset(m->dev, 0, m->max_devices * sizeof(*m->dev));
	m->ndev = 0;
	htab_clear(&m->dev_index);
	htab_clear(&m->flows);
	htab_clear(&m->scan_seen);
	htab_clear(&m->frags);
	htab_clear(&m->owners);
	htab_clear(&m->inbound);
	htab_clear(&m->probes);
	htab_clear(&m->probers);
	htab_clear(&m->probe_seen);
	htab_clear(&m->prober_seen);
	memset(m->rules, 0, sizeof(m->rules));
	m->nrules = 0;
	m->nlan = 0;
	memset(&m->g, 0, sizeof(m->g));
	/* The settings of a new state (SETTINGS: the defaults). */
	memset(&m->cfg, 0, sizeof(m->cfg));
	m->cfg.abi_version = IFN_ABI_VERSION;
	m->cfg.flags = IFN_CFG_F_AUTO_QUARANTINE;
	m->cfg.scan_threshold = IFN_SCAN_THRESHOLD_DEFAULT;
	m->cfg.scan_window_ns = IFN_SCAN_WINDOW_NS_DEFAULT;
	m->cfg.fingerprint_cap = IFN_FINGERPRINT_CAP_DEFAULT;
	m->cfg.event_limit = IFN_EVENT_LIMIT_DEFAULT;
	m->cfg.unknown_verdict = IFN_VERDICT_DROP;
	m->cfg.default_mode = IFN_MODE_LEARN;
	m->cfg.answer_s = IFN_ANSWER_S_DEFAULT;
	m->cfg.dns_min_ttl_ns = IFN_DNS_MIN_TTL_NS_DEFAULT;
	m->lo.present = true;
	m->lo.default_mode = IFN_MODE_LEARN;
	m->lo.learn_ns = 0;
}

struct mdl_device *mdl_device(struct mdl *m, const __u8 mac[6])
{
	__u32 *i = htab_get(&m->dev_index, mac);

	return i ? &m->dev[*i] : NULL;
}

static struct mdl_device *dev_create(struct mdl *m, const __u8 mac[6])
{
	__u32 i;

	if (!m->dev)
		abort(); /* mdl_init was not called */
	for (i = 0; i < m->max_devices; i++)
		if (!m->dev[i].used)
			break;
	memset(&m->dev[i], 0, sizeof(m->dev[i]));
	m->dev[i].used = true;
	memcpy(m->dev[i].mac, mac, 6);
	htab_put(&m->dev_index, mac, &i);
	m->ndev++;
	return &m->dev[i];
}

/* EVENTS: limited per device and type, event-limit a second. */
static struct ifn_event *emit(struct mdl *m, struct mdl_device *d, const __u8 mac[6], __u8 type,
			      __u64 now, struct mdl_result *r)
{
	struct ifn_event *e;

	if (d) {
		/* The header's representation: (period << 8) | sent, 2^30 ns. */
		__u32 period = (__u32)(now >> 30) & 0xffffff;
		__u32 w = d->ev_limit[type], sent = w & 0xff;

		if ((w >> 8) != period)
			sent = 0;
		/* What is not sent is counted: per device, and as lost. */
		if (sent >= m->cfg.event_limit) {
			d->st.events_suppressed++;
			m->g.events_lost++;
			return NULL;
		}
		d->ev_limit[type] = period << 8 | (sent + 1);
	}
	/* The driver drains the ring after every frame: there is room. */
	m->g.events_sent++;
	if (r->nev >= MDL_MAX_EVENTS)
		return NULL;
	e = &r->ev[r->nev++];
	memset(e, 0, sizeof(*e));
	e->time_ns = now;
	memcpy(e->mac, mac, 6);
	e->type = type;
	e->mode = d ? d->mode : 0;
	e->ifindex = 1;
	return e;
}

/* Counting (DATAPATH, last paragraph) */

static void finish(struct mdl *m, struct mdl_device *d, const struct mdl_pkt *p, size_t len,
		   __u64 now, __u8 verdict, __u8 reason, struct mdl_result *r)
{
	r->verdict = verdict;
	r->reason = reason;
	r->xdp = verdict == IFN_VERDICT_DROP ? XDP_DROP : XDP_PASS;
	/* READING: reasons count what was (or would have been) dropped. */
	m->g.verdict[verdict]++;
	if (reason)
		m->g.reason[reason]++;
	if (!d)
		return;
	r->has_dev = true;
	memcpy(r->mac, p->src_mac, 6);
	d->st.packets++;
	d->st.bytes += len;
	d->st.verdict[verdict]++;
	if (reason)
		d->st.reason[reason]++;
	if (!d->st.first_seen_ns)
		d->st.first_seen_ns = now;
	d->st.last_seen_ns = now;
}

/* DATAPATH 6: addresses */

static bool is_ll(const __u8 a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static bool is_v4(const __u8 a[16])
{
	static const __u8 pre[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, pre, 12);
}

static void release(struct mdl *m, const __u8 addr[16], const __u8 mac[6])
{
	__u8 *o = htab_get(&m->owners, addr);

	if (o && !memcmp(o, mac, 6))
		htab_del(&m->owners, addr);
}

static void check_addr(struct mdl *m, struct mdl_device *d, const struct mdl_pkt *p, __u64 now,
		       struct mdl_result *r)
{
	__u8 old[16], *slot;
	const __u8 *owner;
	struct ifn_event *e;

	/*
	 * READING: only a unicast source names the device: not 0.0.0.0, ::,
	 * multicast, or 224.0.0.0 and above (multicast, reserved, broadcast).
	 */
	if (!p->have_saddr || all_zero(p->saddr, 16))
		return;
	if (p->ipv6 ? p->saddr[0] == 0xff : (all_zero(p->saddr + 12, 4) || p->saddr[12] >= 224))
		return;
	/* DATAPATH 6: an IPv4-mapped IPv6 source is not tracked. */
	if (p->ipv6 && all_zero(p->saddr, 10) && p->saddr[10] == 0xff && p->saddr[11] == 0xff)
		return;
	/* The frame's family decides the slot (an IPv6 frame's mapped
	 * address included). */
	if (!p->ipv6) {
		mapped(old, d->ipv4);
		if (all_zero(d->ipv4, 4))
			memset(old, 0, 16);
		slot = NULL;
	} else {
		slot = is_ll(p->saddr) ? d->ipv6_ll : d->ipv6;
		memcpy(old, slot, 16);
	}
	if (!memcmp(old, p->saddr, 16))
		return;
	owner = htab_get(&m->owners, p->saddr);
	if (owner && memcmp(owner, d->mac, 6)) {
		e = emit(m, d, d->mac, IFN_EV_IP_CONFLICT, now, r);
		if (e) {
			memcpy(e->addr, p->saddr, 16);
			memcpy(e->other_mac, owner, 6);
		}
		return;
	}
	if (slot)
		memcpy(slot, p->saddr, 16);
	else
		memcpy(d->ipv4, p->saddr + 12, 4);
	htab_put(&m->owners, p->saddr, d->mac);
	if (all_zero(old, 16))
		return;
	/* READING: the replaced address is no longer held by the device. */
	release(m, old, d->mac);
	e = emit(m, d, d->mac, IFN_EV_IP_CHANGE, now, r);
	if (e) {
		memcpy(e->addr, p->saddr, 16);
		memcpy(e->old_addr, old, 16);
	}
}

/* DATAPATH 7 */
static bool baseline(const struct mdl_pkt *p)
{
	if (p->arp || p->eapol)
		return true;
	if (!p->have_l4)
		return false;
	if (p->ipv4 && p->proto == 17 && p->sport == 68 && p->dport == 67)
		return true;
	if (p->ipv6 && p->proto == 17 && p->sport == 546 && p->dport == 547)
		return true;
	if (p->ipv6 && p->proto == 58)
		switch (p->icmp_type) {
		case 133: /* router solicitation */
		case 135: /* neighbour solicitation */
		case 136: /* neighbour advertisement */
		case 131: /* MLDv1 report */
		case 143: /* MLDv2 report */
		case 132: /* MLD done */
			return true;
		}
	return false;
}

/* FLOWS AND FINGERPRINTS: the keys of a frame */

static void key_base(struct ifn_flow_key *k, const struct mdl_pkt *p)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->mac, p->src_mac, 6);
	if (p->l2) {
		k->family = IFN_FAMILY_L2;
		k->port = p->ethertype;
		return;
	}
	k->family = p->ipv4 ? IFN_FAMILY_IPV4 : IFN_FAMILY_IPV6;
	k->proto = p->proto;
	memcpy(k->peer, p->daddr, 16);
}

/* FLOWS, UDP rule 3: the discovery and IoT services devices answer on. */
static bool udp_service(__u16 port)
{
	return port == 1900 || port == 3478 || port == 3702 || port == 5353 || port == 5355 ||
	       port == 5683 || port == 5684;
}

/* UDP: which port is the service, in the page's order. */
static bool udp_client(__u16 sport, __u16 dport)
{
	bool seph = sport >= 32768, deph = dport >= 32768;

	if (sport == dport)
		return true;
	if (sport < 1024 || dport < 1024)
		return dport < sport; /* the lower port */
	if (udp_service(sport) != udp_service(dport))
		return udp_service(dport);
	if (seph != deph)
		return seph; /* the other one, dport, is the service */
	return true; /* the destination port */
}

/*
 * The frame's primary key (what learning adds, what a VIOLATION names) and,
 * for frames that may match either way, the other candidate. Returns
 * whether there is an alternative.
 */
static bool frame_keys(const struct mdl_pkt *p, struct ifn_flow_key *k1, struct ifn_flow_key *k2)
{
	bool either = false;

	key_base(k1, p);
	*k2 = *k1;
	if (p->l2 || !p->have_l4)
		return false; /* other protocols: port 0, client */
	switch (p->proto) {
	case 6:
	case 17:
		if (p->proto == 6 && (p->tcp_flags & 0x02)) {
			if (p->tcp_flags & 0x10) {
				k1->port = p->sport;
				k1->dir = IFN_DIR_SERVER;
			} else {
				k1->port = p->dport;
			}
			return false;
		}
		either = true;
		if (udp_client(p->sport, p->dport)) {
			k1->port = p->dport;
			k2->port = p->sport;
			k2->dir = IFN_DIR_SERVER;
		} else {
			k1->port = p->sport;
			k1->dir = IFN_DIR_SERVER;
			k2->port = p->dport;
		}
		return either;
	default: {
		/* ICMP: the type; an echo reply is the server side of the request. */
		__u8 req = p->proto == 1 ? 8 : 128, rep = p->proto == 1 ? 0 : 129;

		if (p->icmp_type == rep) {
			k1->port = req;
			k1->dir = IFN_DIR_SERVER;
		} else {
			k1->port = p->icmp_type;
		}
		return false;
	}
	}
}

static bool prefix_match(const __u8 *a, const __u8 *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	return !((a[full] ^ b[full]) & (0xff00 >> rest));
}

/*
 * FLOWS, local-networks: RFC 1918, 169.254/16, fc00::/7, fe80::/10 and the
 * prefixes of the attached interfaces (ifn_lan_nets).
 */
static bool lan_peer(const struct mdl *m, const __u8 a[16])
{
	static const __u8 v4pre[12] = { [10] = 0xff, [11] = 0xff };
	unsigned int i;

	if (!memcmp(a, v4pre, 12)) {
		if (a[12] == 10 || (a[12] == 172 && (a[13] & 0xf0) == 16) ||
		    (a[12] == 192 && a[13] == 168) || (a[12] == 169 && a[13] == 254))
			return true;
	} else if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) {
		return true;
	}
	for (i = 0; i < m->nlan; i++)
		if (prefix_match(a, m->lan[i].addr, m->lan[i].plen))
			return true;
	return false;
}

/*
 * The longest port-any entry (a range or every port) of the key's device,
 * protocol and direction that holds the peer, shorter than @below bits.
 */
static const struct mdl_rule *any_lpm(const struct mdl *m, const struct ifn_flow_key *k,
				      unsigned int below)
{
	const struct mdl_rule *best = NULL;
	unsigned int i;

	for (i = 0; i < m->nrules; i++) {
		const struct mdl_rule *r = &m->rules[i];

		if (!r->used || !r->any_port || r->plen >= below || memcmp(r->mac, k->mac, 6) ||
		    r->dir != k->dir || r->proto != k->proto)
			continue;
		if (prefix_match(r->peer, k->peer, r->plen) && (!best || r->plen > best->plen))
			best = r;
	}
	return best;
}

static bool range_holds(const struct mdl_rule *r, __u16 port)
{
	return !r->port_hi || (port >= r->port && port <= r->port_hi);
}

static bool rule_match(const struct mdl *m, const struct ifn_flow_key *k)
{
	const struct mdl_rule *a;
	unsigned int i;

	/* READING: rules name IP protocols; an ethertype is only exact. */
	if (k->family == IFN_FAMILY_L2)
		return false;
	for (i = 0; i < m->nrules; i++) {
		const struct mdl_rule *r = &m->rules[i];

		if (!r->used || r->any_port || r->is_name || memcmp(r->mac, k->mac, 6) ||
		    r->dir != k->dir || r->proto != k->proto || r->port != k->port)
			continue;
		if (prefix_match(r->peer, k->peer, r->plen))
			return true;
	}
	/*
	 * FLOWS, Port ranges: the longest port-any entry decides; a range
	 * that does not hold the port looks once more, at the next shorter
	 * prefix (READING: only once; a third, shorter entry is not seen).
	 */
	a = any_lpm(m, k, 129);
	if (a && !range_holds(a, k->port))
		a = any_lpm(m, k, a->plen);
	return a && range_holds(a, k->port);
}

static bool lan_match(const struct mdl *m, const struct ifn_flow_key *k)
{
	const struct mdl_device *d = mdl_device((struct mdl *)m, k->mac);
	struct ifn_flow_key lk;

	if (k->family == IFN_FAMILY_L2 || !d || !(d->flags & IFN_DEV_F_LAN_RULES) ||
	    !lan_peer(m, k->peer))
		return false;
	lk = *k;
	lk.family = IFN_FAMILY_LAN;
	memset(lk.peer, 0, 16);
	return htab_get(&m->flows, &lk);
}

static bool in_fingerprint(const struct mdl *m, const struct ifn_flow_key *k)
{
	return htab_get(&m->flows, k) || rule_match(m, k) || lan_match(m, k);
}

/* MODES: scan detection */

static void scan(struct mdl *m, struct mdl_device *d, const struct ifn_flow_key *k, __u64 now,
		 mdl_scan_oracle oracle, void *octx, struct mdl_result *r)
{
	struct scan_key sk;
	__u32 before, after = 0;
	bool fresh, have;
	struct ifn_event *e;

	if (now - d->scan_window_ns >= m->cfg.scan_window_ns) {
		d->scan_window_ns = now;
		d->scan_count = 0;
		d->scan_exact = 0;
		d->scan_gen = ++m->scan_gens;
	}
	memset(&sk, 0, sizeof(sk));
	sk.gen = d->scan_gen;
	sk.flow = *k;
	fresh = !htab_get(&m->scan_seen, &sk);
	if (fresh) {
		htab_put(&m->scan_seen, &sk, NULL);
		d->scan_exact++;
	}
	before = d->scan_count;
	have = oracle && oracle(octx, d->mac, &after);
	if (!have) {
		/* No oracle: a sketch without collisions. */
		after = before + fresh;
	} else if (!fresh && after != before) {
		snprintf(r->oracle_error, sizeof(r->oracle_error),
			 "a flow seen in this window moved the scan count from %u to %u", before,
			 after);
		after = before;
	} else if (fresh && after != before + 1 && !(after == before && before > 0)) {
		snprintf(r->oracle_error, sizeof(r->oracle_error),
			 "a new flow moved the scan count from %u to %u (expected %u, or %u on a "
			 "sketch collision)",
			 before, after, before + 1, before);
		after = before + 1;
	}
	if (fresh) {
		m->scan_new_flows++;
		/* Chance that the new flow's bit was set already. */
		m->scan_collisions_expected += before / 512.0;
		if (after == before)
			m->scan_collisions++;
	}
	d->scan_count = after;
	/* SETTINGS: more than scan-threshold flows; SCAN once, on crossing. */
	if (before <= m->cfg.scan_threshold && after > m->cfg.scan_threshold) {
		e = emit(m, d, d->mac, IFN_EV_SCAN, now, r);
		if (e) {
			e->value = after;
			e->flow = *k;
		}
		if (d->mode == IFN_MODE_ENFORCE && (m->cfg.flags & IFN_CFG_F_AUTO_QUARANTINE)) {
			d->mode = IFN_MODE_QUARANTINE;
			d->mode_until_ns = 0;
			e = emit(m, d, d->mac, IFN_EV_AUTO_QUARANTINE, now, r);
			if (e) {
				e->value = after;
				e->flow = *k;
			}
		}
	}
}

/* RATE LIMITS */

static __u64 refill(__u64 tokens, __u64 elapsed, __u64 rate, __u64 burst)
{
	unsigned __int128 t = (unsigned __int128)elapsed * rate + tokens;
	unsigned __int128 cap = (unsigned __int128)burst * NS_PER_S;

	return (__u64)(t > cap ? cap : t);
}

/* Returns true if the frame is over the rate. */
static bool police(struct mdl_device *d, size_t len, __u64 now)
{
	__u64 elapsed = now > d->tokens_ns ? now - d->tokens_ns : 0;
	__u64 need_b = (__u64)len * NS_PER_S;

	if (!(d->flags & IFN_DEV_F_RATE_LIMIT))
		return false;
	if (d->rate_pps)
		d->tokens_pkts = refill(d->tokens_pkts, elapsed, d->rate_pps, d->burst_pkts);
	if (d->rate_bps)
		d->tokens_bytes = refill(d->tokens_bytes, elapsed, d->rate_bps, d->burst_bytes);
	d->tokens_ns = now;
	if ((d->rate_pps && d->tokens_pkts < NS_PER_S) || (d->rate_bps && d->tokens_bytes < need_b))
		return true;
	if (d->rate_pps)
		d->tokens_pkts -= NS_PER_S;
	if (d->rate_bps)
		d->tokens_bytes -= need_b;
	return false;
}

/* The whole datapath, DATAPATH 1-10 */

static void frag_key(struct ifn_frag_key *fk, const struct mdl_pkt *p)
{
	memset(fk, 0, sizeof(*fk));
	memcpy(fk->src, p->saddr, 16);
	memcpy(fk->dst, p->daddr, 16);
	fk->id = p->frag_id;
	fk->proto = p->frag_proto;
	fk->family = p->ipv4 ? IFN_FAMILY_IPV4 : IFN_FAMILY_IPV6;
}

static void remember_first(struct mdl *m, const struct ifn_frag_key *fk, const struct mdl_device *d,
			   bool baseline_pkt)
{
	struct mdl_frag v = { .baseline = baseline_pkt };

	memcpy(v.mac, d->mac, 6);
	htab_put(&m->frags, fk, &v);
}

static bool learn(struct mdl *m, struct mdl_device *d, const struct ifn_flow_key *k, __u64 now,
		  struct mdl_result *r)
{
	__u8 origin = IFN_ORIGIN_LEARNED;
	struct ifn_event *e;

	/*
	 * MODES, learn: learning ends early at the cap. READING: a device
	 * learns fingerprint-cap flows; the next new flow ends learning and
	 * meets enforce (so it is a violation), since a scan must not be
	 * learned. Returns false then.
	 */
	if (d->flow_count >= m->cfg.fingerprint_cap) {
		d->mode = IFN_MODE_ENFORCE;
		d->mode_until_ns = 0;
		d->flags |= IFN_DEV_F_LEARN_CAPPED;
		e = emit(m, d, d->mac, IFN_EV_FINGERPRINT_CAP, now, r);
		if (e) {
			e->value = d->flow_count;
			e->flow = *k;
		}
		return false;
	}
	if (htab_count(&m->flows) >= m->max_flows) {
		m->g.flows_full++;
		return true;
	}
	htab_put(&m->flows, k, &origin);
	d->flow_count++;
	r->learned = true;
	r->learned_key = *k;
	return true;
}

static const struct ifn_in_val *noted(const struct mdl *m, const struct ifn_in_key *k, __u64 now);

enum answer_kind {
	ANS_NONE,
	ANS_RESET, /* a RST or an ICMP error: never learned */
	ANS_REPLY, /* a SYN/ACK, echo reply or UDP reply: learned as a service */
};

/* ANSWERS: does this frame of the device answer a young inbound note? */
static enum answer_kind answer(const struct mdl *m, const struct mdl_pkt *p, __u64 now)
{
	struct ifn_in_key k = { 0 };
	const struct ifn_in_val *v;
	enum answer_kind kind;

	if (!p->have_l4 || p->later_frag || p->l2)
		return ANS_NONE;
	memcpy(k.mac, p->src_mac, 6);
	k.proto = p->proto;
	memcpy(k.peer, p->daddr, 16);
	switch (p->proto) {
	case 6:
		if (!(p->tcp_flags & 0x04) && (p->tcp_flags & 0x12) != 0x12)
			return ANS_NONE;
		k.peer_port = p->dport;
		k.dev_port = p->sport;
		v = noted(m, &k, now);
		if (!v)
			return ANS_NONE;
		if (p->tcp_flags & 0x04)
			return ANS_RESET; /* with or without ACK */
		return v->syn ? ANS_REPLY : ANS_NONE; /* a SYN/ACK to a SYN */
	case 17:
		k.peer_port = p->dport;
		k.dev_port = p->sport;
		return noted(m, &k, now) ? ANS_REPLY : ANS_NONE;
	case 1:
	case 58:
		if (p->icmp_type == (p->proto == 1 ? 0 : 129)) {
			/* READING: echo has code 0; a reply answers a request of code 0. */
			k.peer_port = p->proto == 1 ? 8 : 128;
			k.dev_port = 0;
			kind = ANS_REPLY;
		} else if (p->have_quote) {
			/* An error that quotes the attempt (sent by the peer). */
			k.proto = p->q_proto;
			if (p->q_proto == 1 || p->q_proto == 58) {
				k.peer_port = p->q_type;
				k.dev_port = p->q_code;
			} else {
				k.peer_port = p->q_sport;
				k.dev_port = p->q_dport;
			}
			kind = ANS_RESET;
		} else {
			return ANS_NONE;
		}
		return noted(m, &k, now) ? kind : ANS_NONE;
	default:
		return ANS_NONE;
	}
}

/*
 * FLOWS, ICMP: an error about a packet that came from the peer it goes to
 * and was sent to the device's own address (READING: the error's source
 * address) is judged as that packet turned around, a frame of the device.
 */
static bool quote_allowed(const struct mdl *m, const struct mdl_pkt *p)
{
	struct ifn_flow_key k1, k2;
	struct mdl_pkt t;
	bool alt;

	if (!p->have_quote)
		return false;
	t = *p;
	t.proto = p->q_proto;
	t.sport = p->q_dport;
	t.dport = p->q_sport;
	t.have_quote = false;
	t.icmp_error = false;
	if (t.proto == 6) {
		/*
		 * A quoted SYN as the device's SYN-ACK; READING: a quoted
		 * SYN-ACK as its SYN, anything else (or flags not quoted) as
		 * a frame of a connection under way.
		 */
		__u8 qf = p->q_tcp_flags & 0x12;

		t.tcp_flags = p->q_has_flags && qf == 0x02 ? 0x12 :
			      p->q_has_flags && qf == 0x12 ? 0x02 :
							     0x10;
	} else if (t.proto == 1 || t.proto == 58) {
		__u8 req = t.proto == 1 ? 8 : 128, rep = t.proto == 1 ? 0 : 129;

		t.icmp_type = p->q_type == req ? rep : p->q_type == rep ? req : p->q_type;
	}
	alt = frame_keys(&t, &k1, &k2);
	return in_fingerprint(m, &k1) || (alt && in_fingerprint(m, &k2));
}

void mdl_step(struct mdl *m, const __u8 *f, size_t len, __u64 now, mdl_scan_oracle oracle,
	      void *octx, struct mdl_result *r)
{
	struct ifn_flow_key k1, k2;
	const struct mdl_frag *first;
	struct ifn_frag_key fk;
	struct mdl_device *d;
	struct ifn_event *e;
	struct mdl_pkt p;
	bool violation = false, alt;
	__u8 reason = IFN_REASON_NOT_IN_FINGERPRINT;

	memset(r, 0, sizeof(*r));
	mdl_parse(f, len, &p);
	m->g.frames++;
	m->g.bytes += len;

	if (p.reason == IFN_REASON_ETH_TRUNC || p.reason == IFN_REASON_BAD_SRC_MAC) {
		finish(m, NULL, &p, len, now, IFN_VERDICT_DROP, p.reason, r);
		return;
	}

	/* 3. The device. */
	d = mdl_device(m, p.src_mac);
	if (!d) {
		const struct mdl_iface *ifc = &m->lo;
		__u8 mode = ifc->present ? ifc->default_mode : m->cfg.default_mode;
		__u64 learn_ns = ifc->present ? ifc->learn_ns : m->cfg.learn_ns;

		if (m->ndev >= m->max_devices) {
			m->g.table_full++;
			/* One TABLE_FULL a second at most. */
			if (!m->g.table_full_event_ns ||
			    now - m->g.table_full_event_ns >= NS_PER_S) {
				m->g.table_full_event_ns = now;
				emit(m, NULL, p.src_mac, IFN_EV_TABLE_FULL, now, r);
			}
			finish(m, NULL, &p, len, now,
			       m->cfg.unknown_verdict == IFN_VERDICT_PASS ? IFN_VERDICT_PASS :
									    IFN_VERDICT_DROP,
			       IFN_REASON_TABLE_FULL, r);
			return;
		}
		d = dev_create(m, p.src_mac);
		d->ifindex = 1;
		d->mode = mode;
		d->mode_after = IFN_MODE_ENFORCE;
		if (mode == IFN_MODE_LEARN && learn_ns)
			d->mode_until_ns = deadline(now + learn_ns);
		d->created_ns = now;
		d->scan_window_ns = now;
		d->scan_gen = ++m->scan_gens;
		m->g.new_devices++;
		emit(m, d, d->mac, IFN_EV_NEW_DEVICE, now, r);
	}

	/* 4. A deadline that has passed. */
	if (d->mode_until_ns && now >= d->mode_until_ns) {
		bool was_learning = d->mode == IFN_MODE_LEARN;

		d->mode = d->mode_after;
		d->mode_until_ns = 0;
		if (was_learning) {
			e = emit(m, d, d->mac, IFN_EV_LEARNING_DONE, now, r);
			if (e)
				e->value = d->flow_count;
		}
	}

	/* 5. */
	if (d->mode == IFN_MODE_TRUST) {
		finish(m, d, &p, len, now, IFN_VERDICT_PASS, IFN_REASON_NONE, r);
		return;
	}
	if (p.reason) {
		finish(m, d, &p, len, now, IFN_VERDICT_DROP, p.reason, r);
		return;
	}

	/* 6, 7, 8 */
	check_addr(m, d, &p, now, r);
	frag_key(&fk, &p);
	/*
	 * FLOWS, Fragments: the packet is (source, destination, id,
	 * protocol), and its first fragment must have come from this device.
	 */
	first = p.later_frag ? htab_get(&m->frags, &fk) : NULL;
	if (first && memcmp(first->mac, d->mac, 6))
		first = NULL;
	if (baseline(&p) || (first && first->baseline)) {
		/* The later fragments of a baseline packet are baseline too. */
		if (p.first_frag)
			remember_first(m, &fk, d, true);
		finish(m, d, &p, len, now, IFN_VERDICT_PASS, IFN_REASON_NONE, r);
		return;
	}
	/* Quarantine drops, but the rest of a packet that passed goes on. */
	if (d->mode == IFN_MODE_QUARANTINE && !first) {
		finish(m, d, &p, len, now, IFN_VERDICT_DROP, IFN_REASON_QUARANTINE, r);
		return;
	}

	/* 9. The fingerprint. */
	alt = frame_keys(&p, &k1, &k2);
	if (p.later_frag) {
		if (!first && d->mode != IFN_MODE_LEARN) {
			violation = true;
			reason = IFN_REASON_FRAGMENT;
		}
	} else if (quote_allowed(m, &p)) {
		/* An error about an allowed flow: passes, never learned. */
	} else if (!in_fingerprint(m, &k1) && !(alt && in_fingerprint(m, &k2))) {
		/* FLOWS, TCP: a reset passes a learning device, never learned. */
		bool rst = p.have_l4 && p.proto == 6 && (p.tcp_flags & 0x04);
		enum answer_kind ans = answer(m, &p, now);

		if (d->mode == IFN_MODE_LEARN && (rst || ans == ANS_RESET)) {
			/* ANSWERS: a RST or an ICMP error passes, never learned. */
		} else if (d->mode == IFN_MODE_LEARN && learn(m, d, &k1, now, r)) {
			/* learned */
		} else if (ans != ANS_NONE) {
			/*
			 * ANSWERS: no VIOLATION, no scan; enforce passes it or
			 * (answers drop) drops it as answer; monitor passes it,
			 * as an alert with answers drop. READING: an answer is
			 * no frame the fingerprint allows: it takes no tokens.
			 */
			bool drop = m->cfg.flags & IFN_CFG_F_ANSWERS_DROP;

			if (!drop) {
				/* READING: a first fragment that passed is noted. */
				if (p.first_frag)
					remember_first(m, &fk, d, false);
				finish(m, d, &p, len, now, IFN_VERDICT_PASS, IFN_REASON_NONE, r);
			} else
				finish(m, d, &p, len, now,
				       d->mode == IFN_MODE_MONITOR ? IFN_VERDICT_ALERT :
								     IFN_VERDICT_DROP,
				       IFN_REASON_ANSWER, r);
			return;
		} else {
			violation = true;
		}
	}
	if (violation) {
		__u8 mode = d->mode;

		e = emit(m, d, d->mac, IFN_EV_VIOLATION, now, r);
		if (e)
			e->flow = k1;
		/* FLOWS, Fragments: a later fragment is no distinct flow. */
		if (reason != IFN_REASON_FRAGMENT)
			scan(m, d, &k1, now, oracle, octx, r);
		finish(m, d, &p, len, now,
		       mode == IFN_MODE_MONITOR ? IFN_VERDICT_ALERT : IFN_VERDICT_DROP, reason, r);
		return;
	}
	/* 10. */
	if (police(d, len, now)) {
		e = emit(m, d, d->mac, IFN_EV_RATE_EXCEEDED, now, r);
		if (e)
			e->flow = k1;
		finish(m, d, &p, len, now,
		       d->mode == IFN_MODE_MONITOR ? IFN_VERDICT_ALERT : IFN_VERDICT_DROP,
		       IFN_REASON_RATE_LIMIT, r);
		return;
	}
	/* READING: a first fragment passed when its verdict is pass. */
	if (p.first_frag)
		remember_first(m, &fk, d, false);
	finish(m, d, &p, len, now, IFN_VERDICT_PASS, IFN_REASON_NONE, r);
}

/* Operator actions */

void mdl_op_mode(struct mdl *m, const __u8 mac[6], __u8 mode, __u64 for_ns, __u64 now)
{
	struct mdl_device *d = mdl_device(m, mac);
	__u8 cur;

	if (!d)
		return;
	/* The mode the device is in now, deadline included. */
	cur = d->mode_until_ns && now >= d->mode_until_ns ? d->mode_after : d->mode;
	if (mode == IFN_MODE_LEARN) {
		d->flags &= ~IFN_DEV_F_LEARN_CAPPED;
		if (!for_ns)
			for_ns = m->lo.present ? m->lo.learn_ns : m->cfg.learn_ns;
		d->mode_after = IFN_MODE_ENFORCE;
	} else if (for_ns) {
		/*
		 * COMMANDS: back to the current mode; a learning device
		 * enforces. MODES: over another temporary mode, to the mode that
		 * one would have returned to.
		 */
		if (d->mode_until_ns && now < d->mode_until_ns)
			cur = d->mode_after;
		d->mode_after = cur == IFN_MODE_LEARN ? IFN_MODE_ENFORCE : cur;
	}
	d->mode = mode;
	d->mode_until_ns = deadline(for_ns ? now + for_ns : 0);
	/* devices.h: a released device starts afresh. */
	d->scan_count = 0;
	d->scan_exact = 0;
	d->scan_gen = ++m->scan_gens;
	d->scan_window_ns = now;
}

void mdl_op_rate(struct mdl *m, const __u8 mac[6], __u64 pps, __u64 bps, __u64 burst_pkts,
		 __u64 burst_bytes)
{
	struct mdl_device *d = mdl_device(m, mac);

	if (!d)
		return;
	d->rate_pps = pps;
	d->rate_bps = bps;
	/* RATE LIMITS: the burst defaults to one second's worth; a new
	 * bucket is full. */
	d->burst_pkts = pps ? (burst_pkts ? burst_pkts : pps) : 0;
	d->burst_bytes = bps ? (burst_bytes ? burst_bytes : bps) : 0;
	d->tokens_pkts = d->burst_pkts * NS_PER_S;
	d->tokens_bytes = d->burst_bytes * NS_PER_S;
	d->tokens_ns = 0;
	if (pps || bps)
		d->flags |= IFN_DEV_F_RATE_LIMIT;
	else
		d->flags &= ~IFN_DEV_F_RATE_LIMIT;
}

void mdl_rule_flow_key(const struct mdl_rule *r, bool l2, struct ifn_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->mac, r->mac, 6);
	if (l2) {
		k->family = IFN_FAMILY_L2;
		k->port = r->port;
		return;
	}
	k->family = r->lan ? IFN_FAMILY_LAN : is_v4(r->peer) ? IFN_FAMILY_IPV4 : IFN_FAMILY_IPV6;
	k->proto = r->proto;
	k->port = r->port;
	k->dir = r->dir;
	memcpy(k->peer, r->peer, 16);
}

static bool rule_same(const struct mdl_rule *a, const struct mdl_rule *b)
{
	if (a->is_name || b->is_name)
		return a->is_name == b->is_name && !memcmp(a->mac, b->mac, 6) && a->dir == b->dir &&
		       a->proto == b->proto && a->port == b->port && a->wild == b->wild &&
		       !strcmp(a->name, b->name);
	/* A port-any entry and a range on one prefix are one key. */
	return a->any_port == b->any_port && !memcmp(a->mac, b->mac, 6) && a->dir == b->dir &&
	       a->proto == b->proto && (a->any_port || a->port == b->port) && a->plen == b->plen &&
	       prefix_match(a->peer, b->peer, a->plen);
}

static void update_rule_flags(struct mdl *m, const __u8 mac[6])
{
	struct mdl_device *d = mdl_device(m, mac);
	const void *k;
	size_t it = 0;
	unsigned int i;
	__u8 flags = 0;

	if (!d)
		return;
	for (i = 0; i < m->nrules; i++) {
		const struct mdl_rule *r = &m->rules[i];

		if (!r->used || memcmp(r->mac, mac, 6))
			continue;
		flags |= r->is_name  ? IFN_DEV_F_NAME_RULES :
			 r->any_port ? IFN_DEV_F_ANY_RULES :
				       IFN_DEV_F_PORT_RULES;
	}
	while (htab_next(&m->flows, &it, &k, NULL)) {
		const struct ifn_flow_key *fk = k;

		if (fk->family == IFN_FAMILY_LAN && !memcmp(fk->mac, mac, 6))
			flags |= IFN_DEV_F_LAN_RULES;
	}
	d->flags = (d->flags & ~(IFN_DEV_F_ANY_RULES | IFN_DEV_F_PORT_RULES | IFN_DEV_F_NAME_RULES |
				 IFN_DEV_F_LAN_RULES)) |
		   flags;
}

static bool rule_exact(const struct mdl_rule *r, bool l2)
{
	return l2 || r->lan || (!r->is_name && !r->any_port && r->plen == 128);
}

int mdl_op_rule_add(struct mdl *m, const struct mdl_rule *r, bool l2)
{
	struct mdl_device *d = mdl_device(m, r->mac);
	unsigned int i, free_i = MDL_MAX_RULES;

	if (!d)
		return -1;
	if (rule_exact(r, l2)) {
		struct ifn_flow_key k;
		__u8 origin = IFN_ORIGIN_MANUAL;

		mdl_rule_flow_key(r, l2, &k);
		if (!htab_get(&m->flows, &k)) {
			if (htab_count(&m->flows) >= m->max_flows)
				return -1;
			d->flow_count++;
		}
		htab_put(&m->flows, &k, &origin);
		update_rule_flags(m, r->mac);
		return 0;
	}
	for (i = 0; i < MDL_MAX_RULES; i++) {
		if (m->rules[i].used && rule_same(&m->rules[i], r)) {
			/* The same key with another range: the new range replaces it. */
			m->rules[i].port = r->port;
			m->rules[i].port_hi = r->port_hi;
			return 0;
		}
		if (!m->rules[i].used && free_i == MDL_MAX_RULES)
			free_i = i;
	}
	if (free_i == MDL_MAX_RULES)
		return -1;
	m->rules[free_i] = *r;
	m->rules[free_i].used = true;
	if (free_i >= m->nrules)
		m->nrules = free_i + 1;
	update_rule_flags(m, r->mac);
	return 0;
}

int mdl_op_rule_del(struct mdl *m, const struct mdl_rule *r, bool l2)
{
	unsigned int i;

	if (rule_exact(r, l2)) {
		struct ifn_flow_key k;
		struct mdl_device *d = mdl_device(m, r->mac);

		mdl_rule_flow_key(r, l2, &k);
		if (!htab_del(&m->flows, &k))
			return -1;
		if (d && d->flow_count)
			d->flow_count--;
		update_rule_flags(m, r->mac);
		return 0;
	}
	for (i = 0; i < m->nrules; i++) {
		if (m->rules[i].used && rule_same(&m->rules[i], r)) {
			m->rules[i].used = false;
			update_rule_flags(m, r->mac);
			return 0;
		}
	}
	return -1;
}

void mdl_op_forget(struct mdl *m, const __u8 mac[6])
{
	struct mdl_device *d = mdl_device(m, mac);
	const void *k;
	size_t it = 0;
	unsigned int i;
	__u8 v4[16];

	if (!d)
		return;
	for (i = 0; i < m->nrules; i++)
		if (m->rules[i].used && !memcmp(m->rules[i].mac, mac, 6))
			m->rules[i].used = false;
	while (htab_next(&m->flows, &it, &k, NULL)) {
		if (!memcmp(((const struct ifn_flow_key *)k)->mac, mac, 6)) {
			htab_del(&m->flows, k);
			/* Deleting leaves a tombstone: the walk may go on. */
		}
	}
	if (!all_zero(d->ipv4, 4)) {
		mapped(v4, d->ipv4);
		release(m, v4, mac);
	}
	if (!all_zero(d->ipv6, 16))
		release(m, d->ipv6, mac);
	if (!all_zero(d->ipv6_ll, 16))
		release(m, d->ipv6_ll, mac);
	htab_del(&m->dev_index, mac);
	memset(d, 0, sizeof(*d));
	m->ndev--;
}

/* ANSWERS: the egress program's inbound notes and PROBED */

struct probe_seen_key {
	__u32 gen;
	__u32 port; /* protocol << 16 | port */
};

struct prober_seen_key {
	__u32 gen;
	__u8 mac[6];
	__u16 pad;
};

/*
 * Check a sketch's count after a new or known item (see model.h): returns
 * the count to go on with.
 */
static __u32 sketch_check(struct mdl *m, const char *what, bool fresh, __u32 before, bool have,
			  __u32 after, unsigned int bits, char *err, size_t errlen)
{
	if (!have)
		return before + fresh;
	if (!fresh && after != before) {
		snprintf(err, errlen, "%s: a known item moved the count from %u to %u", what,
			 before, after);
		return before;
	}
	if (fresh && after != before + 1 && !(after == before && before > 0)) {
		snprintf(err, errlen,
			 "%s: a new item moved the count from %u to %u (expected %u, or %u on a "
			 "collision)",
			 what, before, after, before + 1, before);
		return before + 1;
	}
	if (fresh) {
		m->probe_new++;
		m->probe_collisions_expected += (double)before / bits;
		if (after == before)
			m->probe_collisions++;
	}
	return after;
}

/*
 * The egress side's parse (NAMES, ANSWERS; DESIGN, Names): Ethernet, up to
 * two VLAN tags, IPv4 or IPv6, and the UDP, TCP or ICMP header. Unlike the
 * XDP side it does not need the whole packet in the frame (a forwarded
 * frame's payload may lie in pages): the headers must be there and agree
 * with the IP lengths. READINGs: a fragment (first or later) carries no
 * whole message and notes nothing; IPv6 hop-by-hop, routing and
 * destination options headers are followed (at most eight), a fragment or
 * AH header ends the parse; ICMP needs its type and code. Fills saddr,
 * daddr, proto, ports (ICMP: type, code), tcp_flags; false: nothing to do.
 */
static bool eparse(const __u8 *f, size_t len, struct mdl_pkt *p)
{
	size_t off = 14, l4;
	unsigned int tags = 0, iplen, i;
	__u16 type;

	memset(p, 0, sizeof(*p));
	if (len < 14 || (f[0] & 1))
		return false;
	memcpy(p->src_mac, f + 6, 6);
	type = be16(f + 12);
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ) {
		if (tags++ == IFN_MAX_VLAN_TAGS || off + 4 > len)
			return false;
		type = be16(f + off + 2);
		off += 4;
	}
	if (type == ETH_P_IPV4) {
		unsigned int hl;

		if (off + 20 > len || (f[off] >> 4) != 4 || (f[off] & 15) < 5)
			return false;
		if (be16(f + off + 6) & 0x3fff)
			return false;
		hl = (f[off] & 15) * 4u;
		iplen = be16(f + off + 2);
		if (iplen < hl)
			return false;
		iplen -= hl;
		mapped(p->saddr, f + off + 12);
		mapped(p->daddr, f + off + 16);
		p->ipv4 = true;
		p->proto = f[off + 9];
		l4 = off + hl;
	} else if (type == ETH_P_IPV6) {
		__u8 nh;

		if (off + 40 > len || (f[off] >> 4) != 6)
			return false;
		iplen = be16(f + off + 4);
		memcpy(p->saddr, f + off + 8, 16);
		memcpy(p->daddr, f + off + 24, 16);
		p->ipv6 = true;
		nh = f[off + 6];
		l4 = off + 40;
		for (i = 0; i < IFN_MAX_IPV6_EXT_HDRS && (nh == 0 || nh == 43 || nh == 60); i++) {
			unsigned int hl;

			if (l4 + 2 > len)
				return false;
			hl = ((unsigned int)f[l4 + 1] + 1) * 8;
			if (hl > iplen)
				return false;
			iplen -= hl;
			nh = f[l4];
			l4 += hl;
		}
		p->proto = nh;
	} else {
		return false;
	}
	p->have_saddr = true;
	switch (p->proto) {
	case 17:
		if (l4 + 8 > len || be16(f + l4 + 4) < 8 || be16(f + l4 + 4) > iplen)
			return false;
		p->sport = be16(f + l4);
		p->dport = be16(f + l4 + 2);
		break;
	case 6:
		if (l4 + 20 > len || (f[l4 + 12] >> 4) * 4u < 20 || (f[l4 + 12] >> 4) * 4u > iplen)
			return false;
		p->sport = be16(f + l4);
		p->dport = be16(f + l4 + 2);
		p->tcp_flags = f[l4 + 13];
		break;
	case 1:
	case 58:
		if (l4 + 2 > len)
			return false;
		p->icmp_type = f[l4];
		p->icmp_code = f[l4 + 1];
		break;
	default:
		return false;
	}
	p->have_l4 = true;
	return true;
}

/* READING: a port is a protocol's (TCP 80 and UDP 80 are two). */
static __u32 proto_port(const struct mdl_pkt *p, __u16 port)
{
	return (__u32)p->proto << 16 | port;
}

/* A prober tried one more device in its window: returns its count. */
static __u32 prober_devices(struct mdl *m, const struct mdl_device *d, const __u8 peer[16],
			    __u64 now, __u32 have_count, bool have, struct mdl_eresult *r)
{
	struct mdl_prober *pb = htab_get(&m->probers, peer);
	struct prober_seen_key bk = { 0 };
	bool fresh;

	if (!pb || now - pb->window_ns >= m->cfg.scan_window_ns) {
		struct mdl_prober nb = { .window_ns = now, .gen = ++m->probe_gens };

		pb = htab_put(&m->probers, peer, &nb);
	}
	bk.gen = pb->gen;
	memcpy(bk.mac, d->mac, 6);
	fresh = !htab_get(&m->prober_seen, &bk);
	if (fresh)
		htab_put(&m->prober_seen, &bk, NULL);
	pb->count = sketch_check(m, "prober devices", fresh, pb->count, have, have_count, 64,
				 r->oracle_error, sizeof(r->oracle_error));
	return pb->count;
}

/*
 * ANSWERS: per (device, prober) and scan window, the distinct ports the
 * prober tries; more than half of scan-threshold: PROBED, once a window.
 * READING: the prober's devices are counted when it tries its first port
 * of a device in the pair's window, and again for the event.
 */
static void probe_count(struct mdl *m, struct mdl_device *d, const struct mdl_pkt *p, __u32 port,
			__u64 now, mdl_probe_oracle oracle, void *octx, struct mdl_eresult *r)
{
	struct ifn_probe_key pk = { 0 };
	struct probe_seen_key sk = { 0 };
	__u32 pports = 0, pdevs = 0, before;
	struct mdl_probe *pr;
	bool have, fresh;

	memcpy(pk.mac, d->mac, 6);
	memcpy(pk.peer, p->saddr, 16);
	r->probe = true;
	r->probe_key = pk;
	pr = htab_get(&m->probes, &pk);
	if (!pr || now - pr->window_ns >= m->cfg.scan_window_ns) {
		struct mdl_probe np = { .window_ns = now, .gen = ++m->probe_gens };

		pr = htab_put(&m->probes, &pk, &np);
	}
	have = oracle && oracle(octx, &pk, &pports, &pdevs);
	sk.gen = pr->gen;
	sk.port = port;
	fresh = !htab_get(&m->probe_seen, &sk);
	if (fresh)
		htab_put(&m->probe_seen, &sk, NULL);
	before = pr->count;
	pr->count = sketch_check(m, "probe ports", fresh, before, have, pports, 256,
				 r->oracle_error, sizeof(r->oracle_error));
	if (pr->count == before)
		return;
	if (before == 0)
		prober_devices(m, d, p->saddr, now, pdevs, have, r);
	if (!pr->reported && 2ULL * pr->count > m->cfg.scan_threshold) {
		struct mdl_result tmp;
		struct ifn_event *e;

		pr->reported = true;
		memset(&tmp, 0, sizeof(tmp));
		e = emit(m, d, d->mac, IFN_EV_PROBED, now, &tmp);
		if (e) {
			e->value = pr->count;
			e->count2 = (__u16)prober_devices(m, d, p->saddr, now, pdevs, have, r);
			memcpy(e->addr, p->saddr, 16);
			r->ev[r->nev++] = *e;
		}
	}
}

void mdl_egress(struct mdl *m, const __u8 *f, size_t len, __u64 now, __u32 ingress_ifindex,
		mdl_probe_oracle oracle, void *octx, struct mdl_eresult *r)
{
	struct ifn_in_val v = { 0 };
	struct mdl_device *d;
	struct mdl_pkt p;
	bool attempt_port = false, syn;
	__u16 port = 0;

	(void)ingress_ifindex;
	memset(r, 0, sizeof(*r));
	if (!eparse(f, len, &p))
		return;
	d = mdl_device(m, f);
	/*
	 * ANSWERS: an inbound attempt the gateway delivers to a known device:
	 * TCP (a SYN or not), UDP, ICMP echo requests.
	 */
	if (!d)
		return;
	memset(&r->note, 0, sizeof(r->note));
	memcpy(r->note.mac, f, 6);
	r->note.proto = p.proto;
	memcpy(r->note.peer, p.saddr, 16);
	syn = p.proto == 6 && (p.tcp_flags & 0x02) && !(p.tcp_flags & 0x10);
	switch (p.proto) {
	case 6:
	case 17:
		r->note.peer_port = p.sport;
		r->note.dev_port = p.dport;
		/* A SYN, or a datagram to a port below 32768, tries a port. */
		attempt_port = p.proto == 6 ? syn : p.dport < 32768;
		port = p.dport;
		break;
	case 1:
	case 58:
		if (p.icmp_type != (p.proto == 1 ? 8 : 128))
			return;
		/* For ICMP the "ports" are the type and the code. */
		r->note.peer_port = p.icmp_type;
		r->note.dev_port = p.icmp_code;
		attempt_port = true;
		port = p.icmp_code; /* READING: an echo request tries its code */
		break;
	default:
		return;
	}
	v.seen_ns = now;
	v.syn = syn;
	{
		const struct ifn_in_val *old = htab_get(&m->inbound, &r->note);

		/*
		 * READING (not in the page, the program's granularity: see
		 * tests/diff/README.md): a note of the same kind younger than a
		 * second is not written again.
		 */
		if (old && old->syn == syn && now - old->seen_ns < NS_PER_S)
			return;
	}
	htab_put(&m->inbound, &r->note, &v);
	r->noted = true;
	if (attempt_port)
		probe_count(m, d, &p, proto_port(&p, port), now, oracle, octx, r);
}

/* Is there a young note that @k answers? */
static const struct ifn_in_val *noted(const struct mdl *m, const struct ifn_in_key *k, __u64 now)
{
	const struct ifn_in_val *v = htab_get(&m->inbound, k);
	__u64 mem = (__u64)(m->cfg.answer_s ? m->cfg.answer_s : IFN_ANSWER_S_DEFAULT) * NS_PER_S;

	/* READING: younger than answer-memory, strictly. */
	if (!v || now - v->seen_ns >= mem)
		return NULL;
	return v;
}
