/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * names.bpf.h - fingerprint rules on names (docs/DESIGN.md, Datapath 10):
 * a frame to an address the device got from a DNS answer (ifn_dns, written
 * by the egress program) passes if a rule of the device names that name or
 * a suffix of it. Each name costs one lookup for the whole name and one per
 * label suffix (*.suffix), never a loop over rules; an address holds at
 * most IFN_DNS_NAMES_PER_ADDR names.
 */
#ifndef IFN_NAMES_BPF_H
#define IFN_NAMES_BPF_H

#include "iotfence.h"
#include "maps.bpf.h"
#include "events.bpf.h"

/*
 * Is slot @j of @v live: before its answer's expiry (at least dns-min-ttl
 * after the answer), or is the address still in use (@used: a frame passed
 * by a name less than dns-min-ttl ago)? Admitting and learning ask the same.
 */
static __always_inline int ifn_dns_slot_live(const struct ifn_dns_val *v, int j, __u64 now,
					     int used)
{
	return v->name[j] && (now < v->expires_ns[j] || used);
}

static __always_inline int ifn_dns_in_use(const struct ifn_dns_val *v, __u64 now, __u64 min_ttl_ns)
{
	return v->last_used_ns && now - v->last_used_ns < min_ttl_ns;
}

/* Does a rule of (mac, proto, dir, port) name @name or one of its suffixes? */
static __always_inline int ifn_name_rule_match(struct ifn_name_rule_key *rk, __u64 name)
{
	struct ifn_dns_name *nm;
	int i;

	rk->wild = 0;
	rk->name = name;
	if (bpf_map_lookup_elem(&ifn_name_rules, rk))
		return 1;
	nm = bpf_map_lookup_elem(&ifn_dns_names, &name);
	if (!nm)
		return 0;
	rk->wild = 1;
	/* suffix[i] holds the last i + 1 labels; "*.S" needs a label more than S. */
#pragma unroll
	for (i = 0; i < IFN_DNS_SUFFIXES; i++) {
		if (i + 1 >= nm->labels)
			break;
		rk->name = nm->suffix[i];
		if (bpf_map_lookup_elem(&ifn_name_rules, rk))
			return 1;
	}
	return 0;
}

/*
 * The DNS entry of @k's (device, peer), with @rk keyed on @k's (device,
 * proto, dir, port) for the name rules to try against it.
 */
static __always_inline struct ifn_dns_val *ifn_dns_of_flow(const struct ifn_flow_key *k,
							   struct ifn_name_rule_key *rk)
{
	struct ifn_dns_key dk = {};

	__builtin_memcpy(dk.mac, k->mac, 6);
	__builtin_memcpy(dk.addr, k->peer, 16);
	__builtin_memcpy(rk->mac, k->mac, 6);
	rk->proto = k->proto;
	rk->dir = k->dir;
	rk->port = k->port;
	return bpf_map_lookup_elem(&ifn_dns, &dk);
}

/*
 * ifn_dns_val.admitted for the flow of @k under @gen (the device's fp_gen,
 * folded with its creation time so that a device forgotten and seen again
 * does not take the old one's memos), slot bits left 0.
 */
static __always_inline __u64 ifn_dns_admit_memo(const struct ifn_flow_key *k, __u32 gen)
{
	return ((__u64)gen << 32) | ((__u32)k->port << 16) | ((__u32)k->proto << 8) |
	       ((__u32)(k->dir & 0xf) << 4);
}

/*
 * Is the flow @k (peer: the frame's destination) admitted by a name the
 * device resolved? A name admits its address until its answer's expiry
 * (at least dns-min-ttl), and for as long after as frames keep using the
 * address (less than dns-min-ttl apart): a connection that lasts for days
 * is never cut because its answer expired. A pass refreshes the address,
 * and leaves a memo of the flow and slot that passed: the flow's next
 * frames past the decision cache check that slot's liveness, not the
 * rules, for as long as @gen (see ifn_dns_admit_memo) stays and for
 * IFN_NAME_MEMO_NS at most. A global function: the verifier checks it
 * once, not on every path of the datapath that reaches it.
 */
__noinline int ifn_name_allows(const struct ifn_flow_key *k, __u64 now, __u64 min_ttl_ns, __u32 gen)
{
	struct ifn_name_rule_key rk = {};
	struct ifn_dns_val *v;
	__u64 memo, want;
	int live, j;

	if (!k)
		return 0;
	v = ifn_dns_of_flow(k, &rk);
	if (!v)
		return 0;
	live = ifn_dns_in_use(v, now, min_ttl_ns);
	want = ifn_dns_admit_memo(k, gen);
	memo = v->admitted;
	if ((memo & ~0xfULL) == want && (memo & 0xf) && now - v->admitted_ns < IFN_NAME_MEMO_NS) {
		j = (memo - 1) & (IFN_DNS_NAMES_PER_ADDR - 1);
		if (ifn_dns_slot_live(v, j, now, live)) {
			v->last_used_ns = now;
			return 1;
		}
	}
#pragma unroll
	for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++) {
		__u64 name = v->name[j];

		if (!ifn_dns_slot_live(v, j, now, live))
			continue;
		if (ifn_name_rule_match(&rk, name)) {
			v->last_used_ns = now;
			v->admitted = want | (j + 1);
			v->admitted_ns = now;
			return 1;
		}
	}
	return 0;
}

/* Keep a name-admitted address in use while its flow hits the decision cache. */
static __always_inline void ifn_name_touch(const __u8 *mac, const __u8 *peer, __u64 now)
{
	struct ifn_dns_key dk = {};
	struct ifn_dns_val *v;

	__builtin_memcpy(dk.mac, mac, 6);
	__builtin_memcpy(dk.addr, peer, 16);
	v = bpf_map_lookup_elem(&ifn_dns, &dk);
	if (v)
		v->last_used_ns = now;
}

/*
 * Learning names (iotfence.8, NAMES). A learned flow whose peer the device
 * got from a DNS answer that is still live is learned besides as a named
 * flow, (proto, port, dir, name), for EVERY live name of that address: the
 * datapath cannot tell which of the names that share a CDN address the
 * device meant (TLS hides it), each was resolved by the device itself, and
 * learning one would let its neighbours' next addresses drop (no name may
 * shadow another). Exact names only: a wildcard is a person's choice.
 * Each named flow is one entry of the fingerprint, as an exact flow is:
 * fingerprint-cap bounds flow_count + name_rules (ifn_fp_entries).
 */

/* The entries of a fingerprint that fingerprint-cap counts. */
static __always_inline __u32 ifn_fp_entries(const struct ifn_device *dev)
{
	return dev->flow_count + dev->name_rules;
}

/* A rule's value is too big for the stack (its text): built here, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ifn_name_rule_val);
} ifn_name_scratch SEC(".maps");

/*
 * Write the named flows of @k (just learned) for its peer's live names, at
 * most @room of them. Returns how many rules went in. A name whose text
 * ifn_dns_names no longer has is not learned: a rule must carry its text
 * (for the agent, the snapshot, the policy). A full ifn_name_rules is
 * counted as flows_full. A global function: verified once, on its own.
 */
__noinline int ifn_name_learn(const struct ifn_flow_key *k, __u64 now, __u64 min_ttl_ns, __u32 room)
{
	struct ifn_name_rule_key rk = {};
	struct ifn_name_rule_val *nv;
	struct ifn_global_stats *gs;
	struct ifn_dns_name *nm;
	struct ifn_dns_val *v;
	int used, j, n = 0;
	__u32 zero = 0;
	long err;

	if (!k || k->family == IFN_FAMILY_L2 || !room)
		return 0;
	v = ifn_dns_of_flow(k, &rk);
	if (!v)
		return 0;
	nv = bpf_map_lookup_elem(&ifn_name_scratch, &zero);
	if (!nv)
		return 0;
	used = ifn_dns_in_use(v, now, min_ttl_ns);
	nv->added_ns = now;
	nv->origin = IFN_ORIGIN_LEARNED;
#pragma unroll
	for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++) {
		__u64 name = v->name[j];

		if (!ifn_dns_slot_live(v, j, now, used) || (__u32)n >= room)
			continue;
		nm = bpf_map_lookup_elem(&ifn_dns_names, &name);
		if (!nm)
			continue;
		__builtin_memcpy(nv->name, nm->name, sizeof(nv->name));
		rk.name = name;
		err = bpf_map_update_elem(&ifn_name_rules, &rk, nv, BPF_NOEXIST);
		if (!err) {
			n++;
		} else if (err != -17 /* EEXIST */) {
			gs = bpf_map_lookup_elem(&ifn_stats, &zero);
			if (gs)
				gs->flows_full++;
		}
	}
	return n;
}

/* After ifn_learn put in the exact flow @k: its named flows, within the cap. */
static __always_inline void ifn_learn_names(struct ifn_device *dev, const struct ifn_flow_key *k,
					    __u64 now, const struct ifn_config *cfg)
{
	__u32 have = ifn_fp_entries(dev);
	int n;

	if (have >= cfg->fingerprint_cap)
		return;
	n = ifn_name_learn(k, now, cfg->dns_min_ttl_ns, cfg->fingerprint_cap - have);
	if (n <= 0)
		return;
	/* As the agent counts its rules: the count first, then the flag. */
	__sync_fetch_and_add(&dev->name_rules, n);
	__sync_fetch_and_or(&dev->flags, IFN_DEV_F_NAME_RULES);
}

/*
 * A VIOLATION, with the names the device got the peer from (if it did), so
 * that the report says which name lacks a rule. Only an event that is sent
 * pays the lookup.
 */
static __always_inline void ifn_ev_violation(struct ifn_ctx *x, const struct ifn_flow_key *k)
{
	struct ifn_event *e = ifn_ev_reserve(x, IFN_EV_VIOLATION);
	struct ifn_dns_key dk = {};
	struct ifn_dns_val *v;

	if (!e)
		return;
	__builtin_memcpy(&e->flow, k, sizeof(*k));
	if (k->family != IFN_FAMILY_L2) {
		__builtin_memcpy(dk.mac, k->mac, 6);
		__builtin_memcpy(dk.addr, k->peer, 16);
		v = bpf_map_lookup_elem(&ifn_dns, &dk);
		if (v)
			__builtin_memcpy(e->names, v->name, sizeof(e->names));
	}
	bpf_ringbuf_submit(e, 0);
}

#endif /* IFN_NAMES_BPF_H */
