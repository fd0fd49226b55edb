/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * device.bpf.h - the device table: creation, mode deadlines, and the
 * addresses a device uses (for IP_CHANGE and spoofing detection).
 */
#ifndef IFN_DEVICE_BPF_H
#define IFN_DEVICE_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "events.bpf.h"

static __always_inline int ifn_mac_is_bad_source(const __u8 *mac)
{
	/* Group bit: broadcast and multicast are never a device. */
	if (mac[0] & 1)
		return 1;
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

static __always_inline void ifn_table_full(struct ifn_ctx *x)
{
	struct ifn_event *e;

	x->gs->table_full++;
	/* No device record to limit on: at most one event a second per CPU. */
	if (x->now - x->gs->table_full_event_ns < IFN_NSEC_PER_SEC &&
	    x->gs->table_full_event_ns)
		return;
	x->gs->table_full_event_ns = x->now;
	e = ifn_ev_reserve(x, IFN_EV_TABLE_FULL);
	if (e)
		bpf_ringbuf_submit(e, 0);
}

/*
 * A frame from an unknown MAC. The record takes a free stats slot; when
 * none is left the table is full and the frame gets the unknown-device
 * verdict: known devices are never evicted.
 */
static __always_inline struct ifn_device *ifn_device_new(struct ifn_ctx *x)
{
	struct ifn_device *dev, *nd;
	struct ifn_iface *ifc;
	__u32 slot, zero = 0;
	__u64 learn_ns;
	__u8 mode;

	nd = bpf_map_lookup_elem(&ifn_scratch, &zero);
	if (!nd)
		return NULL;

	ifc = bpf_map_lookup_elem(&ifn_ifaces, &x->ifindex);
	if (ifc) {
		mode = ifc->default_mode;
		learn_ns = ifc->learn_ns;
	} else {
		mode = x->cfg->default_mode;
		learn_ns = x->cfg->learn_ns;
	}

	if (bpf_map_pop_elem(&ifn_free_slots, &slot)) {
		ifn_table_full(x);
		return NULL;
	}
	__builtin_memset(nd, 0, sizeof(*nd));
	nd->slot = slot;
	nd->ifindex = x->ifindex;
	nd->mode = mode < IFN_MODE_MAX ? mode : IFN_MODE_LEARN;
	nd->mode_after = IFN_MODE_ENFORCE;
	if (nd->mode == IFN_MODE_LEARN && learn_ns)
		nd->mode_until_ns = x->now + learn_ns;
	nd->created_ns = x->now;
	nd->scan_window_ns = x->now;

	if (bpf_map_update_elem(&ifn_devices, x->pkt.src_mac, nd, BPF_NOEXIST)) {
		/* Another CPU created it first, or the table is full. */
		bpf_map_push_elem(&ifn_free_slots, &slot, 0);
		dev = bpf_map_lookup_elem(&ifn_devices, x->pkt.src_mac);
		if (!dev)
			ifn_table_full(x);
		return dev;
	}
	dev = bpf_map_lookup_elem(&ifn_devices, x->pkt.src_mac);
	if (!dev)
		return NULL;
	x->gs->new_devices++;
	x->dev = dev;
	ifn_ev_simple(x, IFN_EV_NEW_DEVICE, dev->mode);
	return dev;
}

/*
 * The device's mode now. A mode with a deadline (learning, or a temporary
 * mode set with --for) gives way to mode_after when the deadline passes; a
 * compare-and-swap makes exactly one CPU do the switch and report it.
 */
static __always_inline __u8 ifn_mode_now(struct ifn_ctx *x)
{
	struct ifn_device *dev = x->dev;
	__u64 until = dev->mode_until_ns;
	__u8 old;

	if (!until || x->now < until)
		return dev->mode;
	if (__sync_val_compare_and_swap(&dev->mode_until_ns, until, 0) != until)
		return dev->mode;
	old = dev->mode;
	dev->mode = dev->mode_after;
	if (old == IFN_MODE_LEARN)
		ifn_ev_simple(x, IFN_EV_LEARNING_DONE, dev->flow_count);
	return dev->mode;
}

static __always_inline int ifn_mac_eq(const __u8 *a, const __u8 *b)
{
	__u32 a0, b0;
	__u16 a1, b1;

	__builtin_memcpy(&a0, a, 4);
	__builtin_memcpy(&a1, a + 4, 2);
	__builtin_memcpy(&b0, b, 4);
	__builtin_memcpy(&b1, b + 4, 2);
	return a0 == b0 && a1 == b1;
}

static __always_inline int ifn_addr_eq(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* Does the device hold @addr (IPv6 or IPv4-mapped) as its current address? */
static __always_inline int ifn_device_holds(const struct ifn_device *d, const __u8 *addr,
					    int v4)
{
	if (v4) {
		__u32 a, b;

		__builtin_memcpy(&a, d->ipv4, 4);
		__builtin_memcpy(&b, addr + 12, 4);
		return a == b;
	}
	return ifn_addr_eq(d->ipv6, addr) || ifn_addr_eq(d->ipv6_ll, addr);
}

enum ifn_addr_slot {
	IFN_SLOT_V4 = 0,
	IFN_SLOT_V6_LL = 1,
	IFN_SLOT_V6 = 2,
};

/*
 * The device sources an address other than the one on record. If another
 * device still holds it, that is a conflict (spoofing), reported and not
 * recorded. Otherwise the device takes it, and a change from a previous
 * address is reported.
 */
static __noinline void ifn_addr_claim(struct ifn_ctx *x, int slot)
{
	struct ifn_device *dev = x->dev;
	struct ifn_ip_owner own = {};
	struct ifn_ip_owner *o;
	struct ifn_ip_key key;
	struct ifn_event *e;
	__u8 oldaddr[16];
	int had = 0;

	if (!dev)
		return;
	__builtin_memcpy(key.addr, x->pkt.src, 16);
	o = bpf_map_lookup_elem(&ifn_ip_owners, &key);
	if (o && !ifn_mac_eq(o->mac, x->pkt.src_mac)) {
		struct ifn_mac_key ok = {};
		struct ifn_device *od;

		__builtin_memcpy(ok.mac, o->mac, 6);
		od = bpf_map_lookup_elem(&ifn_devices, &ok);
		if (od && ifn_device_holds(od, key.addr, slot == IFN_SLOT_V4)) {
			e = ifn_ev_reserve(x, IFN_EV_IP_CONFLICT);
			if (e) {
				__builtin_memcpy(e->addr, key.addr, 16);
				__builtin_memcpy(e->other_mac, ok.mac, 6);
				bpf_ringbuf_submit(e, 0);
			}
			return;
		}
	}

	__builtin_memset(oldaddr, 0, sizeof(oldaddr));
	if (slot == IFN_SLOT_V4) {
		__u32 v;

		__builtin_memcpy(&v, dev->ipv4, 4);
		had = v != 0;
		if (had) {
			__u32 *w = (__u32 *)oldaddr;

			w[2] = bpf_htonl(0x0000ffff);
			w[3] = v;
		}
		__builtin_memcpy(dev->ipv4, key.addr + 12, 4);
	} else {
		__u8 *cur = slot == IFN_SLOT_V6_LL ? dev->ipv6_ll : dev->ipv6;
		__u64 c0, c1;

		__builtin_memcpy(&c0, cur, 8);
		__builtin_memcpy(&c1, cur + 8, 8);
		had = (c0 | c1) != 0;
		__builtin_memcpy(oldaddr, cur, 16);
		__builtin_memcpy(cur, key.addr, 16);
	}

	own.since_ns = x->now;
	__builtin_memcpy(own.mac, x->pkt.src_mac, 6);
	bpf_map_update_elem(&ifn_ip_owners, &key, &own, BPF_ANY);

	if (!had)
		return;
	/* Release the old address if we still own it. */
	__builtin_memcpy(key.addr, oldaddr, 16);
	o = bpf_map_lookup_elem(&ifn_ip_owners, &key);
	if (o && ifn_mac_eq(o->mac, x->pkt.src_mac))
		bpf_map_delete_elem(&ifn_ip_owners, &key);

	e = ifn_ev_reserve(x, IFN_EV_IP_CHANGE);
	if (e) {
		__builtin_memcpy(e->addr, x->pkt.src, 16);
		__builtin_memcpy(e->old_addr, oldaddr, 16);
		bpf_ringbuf_submit(e, 0);
	}
}

/*
 * Track the source address of IP and ARP frames. The common case, the same
 * address as last time, costs one compare and no map lookup.
 */
static __always_inline void ifn_track_addr(struct ifn_ctx *x)
{
	const struct ifn_pkt *p = &x->pkt;
	struct ifn_device *dev = x->dev;

	if (!p->has_addr)
		return;
	if (p->family == IFN_FAMILY_IPV6) {
		const __u8 *cur;
		__u64 s0, s1;

		if (p->src[0] == 0xff)
			return;
		__builtin_memcpy(&s0, p->src, 8);
		__builtin_memcpy(&s1, p->src + 8, 8);
		if ((s0 | s1) == 0)
			return;
		if (p->src[0] == 0xfe && (p->src[1] & 0xc0) == 0x80) {
			cur = dev->ipv6_ll;
			if (!ifn_addr_eq(cur, p->src))
				ifn_addr_claim(x, IFN_SLOT_V6_LL);
		} else {
			cur = dev->ipv6;
			if (!ifn_addr_eq(cur, p->src))
				ifn_addr_claim(x, IFN_SLOT_V6);
		}
		return;
	}
	/* IPv4 or ARP: skip 0.0.0.0 (DHCP, ARP probes), multicast, broadcast. */
	{
		__u32 v, cur;

		__builtin_memcpy(&v, p->src + 12, 4);
		if (v == 0 || p->src[12] >= 224)
			return;
		__builtin_memcpy(&cur, dev->ipv4, 4);
		if (v != cur)
			ifn_addr_claim(x, IFN_SLOT_V4);
	}
}

#endif /* IFN_DEVICE_BPF_H */
