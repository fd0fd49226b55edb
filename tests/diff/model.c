// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * model.c - the reference model (see model.h): its state, the XDP side's
 * step and the operator's mode, rate and forget; the fingerprint is in
 * model_rules.c, names in model_names.c, the egress side in
 * model_egress.c. Section names in comments refer to iotfence.8;
 * "READING" marks a choice the page leaves open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "model.h"
#include "model_int.h"
#include "model_names.h"
#include "model_rules.h"

/* DATAPATH 4: deadlines in units of 2^16 ns, rounded up. */
static __u64 deadline(__u64 ns)
{
	return ns ? (ns + 0xffffULL) & ~0xffffULL : 0;
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
	htab_init(&m->dns, sizeof(struct ifn_dns_key), sizeof(struct ifn_dns_val));
	htab_init(&m->dns_names, 8, sizeof(struct ifn_dns_name));
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
	htab_free(&m->dns);
	htab_free(&m->dns_names);
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
	htab_clear(&m->dns);
	htab_clear(&m->dns_names);
	memset(&m->dst, 0, sizeof(m->dst));
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
struct ifn_event *emit(struct mdl *m, struct mdl_device *d, const __u8 mac[6], __u8 type, __u64 now,
		       struct mdl_result *r)
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

/* MODES: scan detection */

__u32 sketch_check(struct mdl_tally *t, const char *what, bool fresh, __u32 before, bool have,
		   __u32 after, unsigned int bits, char *err, size_t errlen)
{
	if (!have)
		return before + fresh; /* a sketch without collisions */
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
		t->items++;
		/* Chance that the new item's bit was set already. */
		t->expected += (double)before / bits;
		if (after == before)
			t->collisions++;
	}
	return after;
}

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
	after = sketch_check(&m->scan_tally, "flows in the window", fresh, before, have, after, 512,
			     r->oracle_error, sizeof(r->oracle_error));
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
	if (d->flow_count + d->name_rules >= m->cfg.fingerprint_cap) {
		d->mode = IFN_MODE_ENFORCE;
		d->mode_until_ns = 0;
		d->flags |= IFN_DEV_F_LEARN_CAPPED;
		e = emit(m, d, d->mac, IFN_EV_FINGERPRINT_CAP, now, r);
		if (e) {
			e->value = d->flow_count + d->name_rules;
			e->flow = *k;
		}
		return false;
	}
	if (htab_count(&m->flows) >= m->max_flows) {
		m->g.flows_full++;
		/* READING: a flow not learned (the table is full) names nothing. */
		return true;
	}
	htab_put(&m->flows, k, &origin);
	d->flow_count++;
	r->learned = true;
	r->learned_key = *k;
	learn_names(m, d, k, now);
	return true;
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
		r->why = "quote";
	} else if (!in_fingerprint(m, &k1) && !(alt && in_fingerprint(m, &k2)) &&
		   !name_pass(m, &k1, alt ? &k2 : NULL, now, r)) {
		/* FLOWS, TCP: a reset passes a learning device, never learned. */
		bool rst = p.have_l4 && p.proto == 6 && (p.tcp_flags & 0x04);
		enum answer_kind ans = answer(m, &p, now);

		/*
		 * ANSWERS: while learning, a RST or an ICMP error passes, never
		 * learned; anything else is learned, or at the cap meets enforce.
		 */
		if (d->mode == IFN_MODE_LEARN &&
		    (rst || ans == ANS_RESET || learn(m, d, &k1, now, r))) {
			r->why = "learn";
		} else if (ans != ANS_NONE) {
			/*
			 * ANSWERS: no VIOLATION, no scan; enforce passes it or
			 * (answers drop) drops it as answer; monitor passes it,
			 * as an alert with answers drop. READING: an answer is
			 * no frame the fingerprint allows: it takes no tokens.
			 */
			bool drop = m->cfg.flags & IFN_CFG_F_ANSWERS_DROP;

			r->why = "answer";
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
