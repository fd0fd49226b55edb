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
	if (x->now - x->gs->table_full_event_ns < IFN_NSEC_PER_SEC && x->gs->table_full_event_ns)
		return;
	x->gs->table_full_event_ns = x->now;
	e = ifn_ev_reserve(x, IFN_EV_TABLE_FULL);
	if (e)
		bpf_ringbuf_submit(e, 0);
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

/* The record of a MAC, or NULL; *slot is set when found. */
static __always_inline struct ifn_device *ifn_device_find(const void *mac, __u32 *slot)
{
	__u32 *sp = bpf_map_lookup_elem(&ifn_dev_index, mac);

	if (!sp)
		return NULL;
	*slot = *sp;
	return bpf_map_lookup_elem(&ifn_devices, slot);
}

/*
 * ifn_device_find() through the per-CPU cache: an inlined array lookup and
 * a compare instead of a hash lookup (a third of a frame's cost) whenever
 * the device sent recently on this CPU. A hint is trusted only if the
 * record it names is in use and carries the MAC.
 */
static __always_inline struct ifn_device *ifn_device_find_cached(const __u8 *mac, __u32 *slot)
{
	struct ifn_dev_cache_entry *ce = NULL;
	struct ifn_dev_cache *c;
	struct ifn_device *dev;
	__u32 zero = 0, h;

	c = bpf_map_lookup_elem(&ifn_dev_cache, &zero);
	if (c) {
		/* The low bytes of a MAC vary most between devices. */
		h = (mac[3] ^ (mac[4] << 1) ^ (mac[5] * 31)) & (IFN_DEV_CACHE_ENTRIES - 1);
		ce = &c->e[h];
		if (ce->valid && ifn_mac_eq(ce->mac, mac)) {
			dev = bpf_map_lookup_elem(&ifn_devices, &ce->slot);
			if (dev && dev->in_use && ifn_mac_eq(dev->mac, mac)) {
				*slot = ce->slot;
				return dev;
			}
		}
	}
	dev = ifn_device_find(mac, slot);
	if (dev && ce) {
		__builtin_memcpy(ce->mac, mac, 6);
		ce->slot = *slot;
		ce->valid = 1;
	}
	return dev;
}

/*
 * A frame from an unknown MAC. The record takes a free slot; when none is
 * left the table is full and the frame gets the unknown-device verdict:
 * known devices are never evicted. The slot is taken first, so that a MAC
 * flood against a full table costs one failed pop and nothing more.
 */
static __always_inline struct ifn_device *ifn_device_new(struct ifn_ctx *x, __u32 *slotp)
{
	struct ifn_device *dev;
	struct ifn_iface *ifc;
	__u64 learn_ns;
	__u32 slot;
	__u8 mode;

	if (bpf_map_pop_elem(&ifn_free_slots, &slot)) {
		ifn_table_full(x);
		return NULL;
	}
	dev = bpf_map_lookup_elem(&ifn_devices, &slot);
	if (!dev)
		return NULL; /* a slot beyond the array: the agent's bug */

	ifc = bpf_map_lookup_elem(&ifn_ifaces, &x->ifindex);
	if (ifc) {
		mode = ifc->default_mode;
		learn_ns = ifc->learn_ns;
	} else {
		mode = x->cfg->default_mode;
		learn_ns = x->cfg->learn_ns;
	}
	if (mode >= IFN_MODE_MAX)
		mode = IFN_MODE_LEARN;

	/* Free slots are zeroed by whoever freed them; the record is ours. */
	__builtin_memcpy(dev->mac, x->pkt.src_mac, 6);
	dev->slot = slot;
	dev->ifindex = x->ifindex;
	dev->mode_word = ifn_mode_word(mode, IFN_MODE_ENFORCE,
				       mode == IFN_MODE_LEARN && learn_ns ? x->now + learn_ns : 0);
	dev->created_ns = x->now;
	dev->scan_window_ns = x->now;
	dev->in_use = 1;

	if (bpf_map_update_elem(&ifn_dev_index, x->pkt.src_mac, &slot, BPF_NOEXIST)) {
		/* Another CPU created it first, or the index is full. */
		__builtin_memset(dev, 0, sizeof(*dev));
		bpf_map_push_elem(&ifn_free_slots, &slot, 0);
		dev = ifn_device_find(x->pkt.src_mac, slotp);
		if (!dev)
			ifn_table_full(x);
		return dev;
	}
	*slotp = slot;
	x->gs->new_devices++;
	x->dev = dev;
	/* Counted on the device too when the event is limited. */
	x->ds = bpf_map_lookup_elem(&ifn_dev_stats, &slot);
	ifn_ev_simple(x, IFN_EV_NEW_DEVICE, mode);
	return dev;
}

/*
 * Change the mode from @seen (the mode word as read) to a permanent @mode.
 * Fails, changing nothing, if the word changed meanwhile (an operator's
 * command, or another CPU): theirs stands.
 */
static __always_inline int ifn_mode_switch(struct ifn_device *dev, __u64 seen, __u8 mode)
{
	return __sync_val_compare_and_swap(&dev->mode_word, seen, ifn_mode_word(mode, mode, 0)) ==
	       seen;
}

/*
 * The device's mode now. A mode with a deadline (learning, or a temporary
 * mode set with --for) gives way to the mode after it when the deadline
 * passes; the compare-and-swap makes exactly one CPU do the switch and
 * report it.
 */
static __always_inline __u8 ifn_mode_now(struct ifn_ctx *x)
{
	struct ifn_device *dev = x->dev;
	__u64 w = dev->mode_word;
	__u64 until = ifn_mw_until(w);
	__u8 after;

	if (!until || x->now < until)
		return ifn_mw_mode(w);
	after = ifn_mw_after(w);
	if (!ifn_mode_switch(dev, w, after))
		return ifn_mw_mode(dev->mode_word);
	if (ifn_mw_mode(w) == IFN_MODE_LEARN)
		ifn_ev_simple(x, IFN_EV_LEARNING_DONE, dev->flow_count);
	return after;
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
static __always_inline int ifn_device_holds(const struct ifn_device *d, const __u8 *addr, int v4)
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
		__u32 oslot;

		__builtin_memcpy(ok.mac, o->mac, 6);
		od = ifn_device_find(&ok, &oslot);
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
		/*
		 * An IPv4-mapped source never appears on a real wire (RFC
		 * 4291); taking it would let an IPv6 frame claim another
		 * device's IPv4 address.
		 */
		if (s0 == 0 && (__u32)s1 == bpf_htonl(0x0000ffff))
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
