/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * frag.bpf.h - fragments: a later fragment (no ports) passes only behind a
 * first fragment that passed, sent by the same device (ifn_frags).
 */
#ifndef IFN_FRAG_BPF_H
#define IFN_FRAG_BPF_H

#include "iotfence.h"
#include "maps.bpf.h"
#include "device.bpf.h"

static __always_inline void ifn_frag_key_fill(struct ifn_frag_key *fk, const struct ifn_pkt *p)
{
	__builtin_memcpy(fk->src, p->src, 16);
	__builtin_memcpy(fk->dst, p->dst, 16);
	fk->id = p->frag_id;
	fk->proto = p->frag_proto;
	fk->family = p->family;
	fk->pad[0] = 0;
	fk->pad[1] = 0;
}

/* What passed of a later fragment's packet: its first fragment, from this device? */
enum ifn_first_frag {
	IFN_FIRST_NONE = 0,
	IFN_FIRST_PASSED = 1,
	IFN_FIRST_BASELINE = 2, /* and it was baseline traffic */
};

static __always_inline int ifn_frag_first(const struct ifn_pkt *p)
{
	struct ifn_frag_val *v;
	struct ifn_frag_key fk;

	ifn_frag_key_fill(&fk, p);
	v = bpf_map_lookup_elem(&ifn_frags, &fk);
	if (!v || !ifn_mac_eq(v->mac, p->src_mac))
		return IFN_FIRST_NONE;
	return v->baseline ? IFN_FIRST_BASELINE : IFN_FIRST_PASSED;
}

static __always_inline void ifn_frag_note_first(const struct ifn_pkt *p, int baseline)
{
	struct ifn_frag_key fk;
	struct ifn_frag_val fv = {};

	ifn_frag_key_fill(&fk, p);
	__builtin_memcpy(fv.mac, p->src_mac, 6);
	fv.baseline = baseline;
	bpf_map_update_elem(&ifn_frags, &fk, &fv, BPF_ANY);
}

#endif /* IFN_FRAG_BPF_H */
