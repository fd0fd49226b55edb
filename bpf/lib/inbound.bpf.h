/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * inbound.bpf.h - the egress program's notes of what the gateway delivers
 * to a device (docs/DESIGN.md, Datapath 9): each inbound attempt (peer,
 * protocol, ports, a TCP SYN or not) in ifn_inbound, so that the XDP
 * program knows a RST, SYN/ACK, ICMP error, echo reply or UDP reply of the
 * device for an answer (answer.bpf.h), never a flow of its own; and who
 * tries many ports of a device (PROBED, on the victim). Kept apart from
 * the DNS code: it shares only the parsed headers (struct ifn_epkt).
 */
#ifndef IFN_INBOUND_BPF_H
#define IFN_INBOUND_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "events.bpf.h"
#include "device.bpf.h"
#include "flowkey.bpf.h"
#include "dns.bpf.h"

/* A note younger than this is not written again (one write a second a flow). */
#define IFN_IN_REFRESH_NS IFN_NSEC_PER_SEC

/* PROBED: one bit of 256 per (protocol, port) the prober tried on the device. */
static __always_inline int ifn_probe_bit(struct ifn_probe_val *v, __u8 proto, __u16 port)
{
	__u32 h = ((__u32)proto << 16 | port) * 0x9e3779b1;
	__u64 bit, old;
	__u32 idx;

	/*
	 * murmur3's finaliser: a multiply alone left a sweep of consecutive
	 * ports (what a scan tries) on a third fewer bits than chance, so
	 * PROBED came late (9 ports counted as 6).
	 */
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	bit = 1ULL << (h & 63);
	idx = (h >> 6) & 3;
	if (v->sketch[idx] & bit)
		return 0;
	old = __sync_fetch_and_or(&v->sketch[idx], bit);
	return !(old & bit);
}

/*
 * A prober's count of devices in its window: one of 64 bits per device.
 * Returns the count.
 */
static __always_inline __u32 ifn_prober_devices(const struct ifn_epkt *p, __u64 now, __u64 window)
{
	struct ifn_prober_val nv = {}, *v;
	struct ifn_ip_key k;
	__u32 h;
	__u64 bit;

	__builtin_memcpy(k.addr, p->src, 16);
	v = bpf_map_lookup_elem(&ifn_probers, &k);
	if (!v) {
		nv.window_ns = now;
		bpf_map_update_elem(&ifn_probers, &k, &nv, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&ifn_probers, &k);
		if (!v)
			return 1;
	}
	if (now - v->window_ns >= window) {
		v->window_ns = now;
		v->sketch = 0;
		v->count = 0;
	}
	h = (p->dst_mac[2] ^ p->dst_mac[3] << 8 ^ p->dst_mac[4] << 16 ^ p->dst_mac[5] << 24) *
	    0x9e3779b1;
	bit = 1ULL << (h >> 26);
	if (!(v->sketch & bit)) {
		__sync_fetch_and_or(&v->sketch, bit);
		__sync_fetch_and_add(&v->count, 1);
	}
	return v->count;
}

/*
 * A new attempt of @p's sender on the device @dev: count its port in the
 * (device, prober) window, and report PROBED once the count passes half
 * the scan threshold (a scan of the device as the device's own scan would
 * be counted, but reported on the victim, and never quarantining it).
 */
static __always_inline void ifn_probe_count(const struct ifn_epkt *p, __u16 port,
					    struct ifn_device *dev, __u32 slot,
					    struct ifn_config *cfg, __u64 now)
{
	struct ifn_probe_val nv = {}, *v;
	struct ifn_probe_key k = {};
	struct ifn_event *e;
	struct ifn_ev_src x;
	__u32 zero = 0, n, want;

	__builtin_memcpy(k.mac, p->dst_mac, 6);
	__builtin_memcpy(k.peer, p->src, 16);
	v = bpf_map_lookup_elem(&ifn_probes, &k);
	if (!v) {
		nv.window_ns = now;
		bpf_map_update_elem(&ifn_probes, &k, &nv, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&ifn_probes, &k);
		if (!v)
			return;
	}
	if (now - v->window_ns >= cfg->scan_window_ns) {
		v->window_ns = now;
		__builtin_memset(v->sketch, 0, sizeof(v->sketch));
		v->count = 0;
		v->reported = 0;
	}
	if (!ifn_probe_bit(v, p->proto, port))
		return;
	/* The pair's first port in its window: one more device for the prober. */
	if (!v->count)
		ifn_prober_devices(p, now, cfg->scan_window_ns);
	n = __sync_add_and_fetch(&v->count, 1);
	want = cfg->scan_threshold / 2 + 1;
	if (n != want || v->reported)
		return;
	v->reported = 1;

	/* The event is the victim's: its record limits it, its MAC names it. */
	x.gs = bpf_map_lookup_elem(&ifn_stats, &zero);
	if (!x.gs)
		return;
	x.cfg = cfg;
	x.dev = dev;
	x.ds = bpf_map_lookup_elem(&ifn_dev_stats, &slot);
	x.mac = p->dst_mac;
	x.now = now;
	x.ifindex = p->ifindex;
	e = ifn_ev_reserve_src(&x, IFN_EV_PROBED);
	if (!e)
		return;
	e->value = n;
	e->count2 = ifn_prober_devices(p, now, cfg->scan_window_ns);
	__builtin_memcpy(e->addr, p->src, 16);
	e->flow.family = p->family;
	e->flow.proto = p->proto;
	e->flow.port = port;
	e->flow.dir = IFN_DIR_SERVER;
	__builtin_memcpy(e->flow.mac, p->dst_mac, 6);
	__builtin_memcpy(e->flow.peer, p->src, 16);
	bpf_ringbuf_submit(e, 0);
}

/*
 * The slot of ifn_in_recent that @k's last write is kept in. Keyed with the
 * state's random key: a sender that could pick which slots its attempts
 * fill could evict a note from ifn_inbound (an LRU) while its slot still
 * says fresh, and the device's answer to the next attempt within the
 * second would count as its own frame. Whole words of the key, 8 bytes
 * at a time: the note is on every frame the gateway delivers.
 */
static __always_inline __u32 ifn_in_recent_slot(const struct ifn_in_key *k, __u64 key)
{
	const __u64 *w = (const __u64 *)k;
	__u64 h = (w[0] ^ key) * 0x9e3779b97f4a7c15ULL;

	h = (h ^ w[1]) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ w[2]) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ ((const __u32 *)k)[6] ^ (key >> 29)) * 0x9e3779b97f4a7c15ULL;
	return (__u32)(h >> 52);
}

static __always_inline void ifn_in_recent_put(struct ifn_in_recent *r, const struct ifn_in_key *k,
					      __u8 syn, __u64 written_ns)
{
	r->key = *k;
	r->key.pad = syn;
	r->written_ns = written_ns;
}

/* Slot @r holds key @k with @syn (in its pad byte)? Both 8-byte aligned. */
static __always_inline int ifn_in_recent_holds(const struct ifn_in_recent *r,
					       const struct ifn_in_key *k, __u64 syn)
{
	const __u64 *x = (const __u64 *)&r->key, *y = (const __u64 *)k;

	return !((x[0] ^ (y[0] | syn << 56)) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (((const __u32 *)x)[6] ^ ((const __u32 *)y)[6]));
}

_Static_assert(sizeof(struct ifn_in_key) == 7 * sizeof(__u32),
	       "ifn_in_key: three 8-byte words and a 4-byte one");
_Static_assert(IFN_IN_RECENT_SLOTS == 1 << 12, "ifn_in_recent_slot takes 12 bits");
_Static_assert(sizeof(struct ifn_in_recent) % 8 == 0, "ifn_in_recent's keys 8-byte aligned");

/*
 * Note a frame the gateway delivers to a known device: TCP (a SYN or not),
 * UDP, or an ICMP echo request. Ports as the frame has them (for ICMP its
 * type and code). Called for every frame that leaves by an attached LAN
 * interface, and by replay for every frame of a capture. The key is the
 * parse's own (p->key).
 */
static __always_inline void ifn_inbound_note(const struct ifn_epkt *p)
{
	const struct ifn_in_key *k = &p->key;
	struct ifn_in_val v = {}, *old;
	struct ifn_in_recent *r;
	struct ifn_device *dev;
	struct ifn_config *cfg;
	struct ifn_mac_key mk;
	__u32 zero = 0, slot = 0, idx;
	__u64 now;

	if (p->dst_mac[0] & 1)
		return;
	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (p->sport != (p->proto == IPPROTO_ICMP ? 8 : 128))
			return;
		break;
	default:
		return;
	}
	cfg = bpf_map_lookup_elem(&ifn_config, &zero);
	if (!cfg)
		return;
	now = ifn_now(cfg);
	v.seen_ns = now;
	v.syn = p->proto == IPPROTO_TCP &&
		(p->tcp_flags & (IFN_TCP_SYN | IFN_TCP_ACK)) == IFN_TCP_SYN;
	/*
	 * A flow's later frames: its note is fresh already. The slot holds
	 * the note's last write (or another flow's: a miss), so this is the
	 * test below on the note itself, without the device's and the note's
	 * hash lookups.
	 */
	idx = ifn_in_recent_slot(k, cfg->dns_key);
	r = bpf_map_lookup_elem(&ifn_in_recent, &idx);
	if (!r)
		return;
	if (now - r->written_ns < IFN_IN_REFRESH_NS && ifn_in_recent_holds(r, k, v.syn))
		return;
	ifn_epkt_dev_key(p, &mk);
	dev = ifn_device_find_cached(mk.mac, &slot);
	if (!dev)
		return;
	old = bpf_map_lookup_elem(&ifn_inbound, k);
	if (old && old->syn == v.syn && now - old->seen_ns < IFN_IN_REFRESH_NS) {
		/* Fresh, written while another flow held the slot. */
		ifn_in_recent_put(r, k, old->syn, old->seen_ns);
		return;
	}
	bpf_map_update_elem(&ifn_inbound, k, &v, BPF_ANY);
	ifn_in_recent_put(r, k, v.syn, now);
	/*
	 * What counts as a probe: a SYN, an echo request, a datagram to a
	 * port below the ephemeral range. Not a cloud's answers to the
	 * connections the device opens, which arrive at its random ports.
	 * A note written again counts too: the same attempt repeated in a
	 * later scan window is a port tried in that window (the sketch
	 * counts a port once a window).
	 */
	if (p->proto == IPPROTO_TCP ? v.syn : p->proto != IPPROTO_UDP || p->dport < 32768)
		ifn_probe_count(p, p->dport, dev, slot, cfg, now);
}

#endif /* IFN_INBOUND_BPF_H */
