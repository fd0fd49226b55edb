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
#include "model_int.h"

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

static bool rule_same(const struct mdl_rule *a, const struct mdl_rule *b);

/*
 * NAMES: is slot @j of an address's names live? Its answer has not
 * expired (READING: expires after now), or a name admitted the address
 * less than dns-min-ttl ago (SETTINGS).
 */
static bool name_live(const struct mdl *m, const struct ifn_dns_val *v, int j, __u64 now)
{
	return v->name[j] && (v->expires_ns[j] > now ||
			      (v->last_used_ns && now - v->last_used_ns < m->cfg.dns_min_ttl_ns));
}

/*
 * NAMES: a rule of the device on the key's protocol, port and direction
 * for a live name the device resolved for the peer, or for a suffix of it
 * (`*.suffix`: names under it, not the suffix itself, of at most 10
 * labels). Returns the address's entry, or NULL.
 */
static struct ifn_dns_val *name_match(struct mdl *m, const struct ifn_flow_key *k, __u64 now)
{
	const struct mdl_device *d = mdl_device(m, k->mac);
	struct ifn_dns_key dk = { 0 };
	struct ifn_dns_val *v;
	unsigned int i;
	int j;

	if (k->family == IFN_FAMILY_L2 || !d || !(d->flags & IFN_DEV_F_NAME_RULES))
		return NULL;
	memcpy(dk.mac, k->mac, 6);
	memcpy(dk.addr, k->peer, 16);
	v = htab_get(&m->dns, &dk);
	if (!v)
		return NULL;
	for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++) {
		const struct ifn_dns_name *nm;

		if (!name_live(m, v, j, now))
			continue;
		nm = htab_get(&m->dns_names, &v->name[j]);
		for (i = 0; i < m->nrules; i++) {
			const struct mdl_rule *r = &m->rules[i];
			struct ifn_dns_name rn;
			__u64 h;

			if (!r->used || !r->is_name || memcmp(r->mac, k->mac, 6) ||
			    r->proto != k->proto || r->port != k->port || r->dir != k->dir)
				continue;
			h = name_hash(m->cfg.dns_key, r->name, &rn);
			if (!r->wild && h == v->name[j])
				return v;
			if (r->wild && nm && rn.labels < nm->labels &&
			    rn.labels <= IFN_DNS_SUFFIXES && nm->suffix[rn.labels - 1] == h)
				return v;
		}
	}
	return NULL;
}

/*
 * NAMES, Learning names: a learned flow to an address the device got from
 * an answer is learned as a named flow too, for every live name of the
 * address whose text is known, in slot order, while the fingerprint has
 * room (exact flows plus name rules below the cap).
 */
static void learn_names(struct mdl *m, struct mdl_device *d, const struct ifn_flow_key *k,
			__u64 now)
{
	struct ifn_dns_key dk = { 0 };
	const struct ifn_dns_val *v;
	int j;

	if (k->family == IFN_FAMILY_L2)
		return;
	memcpy(dk.mac, k->mac, 6);
	memcpy(dk.addr, k->peer, 16);
	v = htab_get(&m->dns, &dk);
	for (j = 0; v && j < IFN_DNS_NAMES_PER_ADDR; j++) {
		const struct ifn_dns_name *nm;
		struct mdl_rule nr;
		unsigned int i, free_i = MDL_MAX_RULES;
		bool have = false;

		if (!name_live(m, v, j, now))
			continue;
		nm = htab_get(&m->dns_names, &v->name[j]);
		if (!nm)
			continue;
		memset(&nr, 0, sizeof(nr));
		nr.is_name = true;
		memcpy(nr.mac, k->mac, 6);
		nr.proto = k->proto;
		nr.port = k->port;
		nr.dir = k->dir;
		memcpy(nr.name, nm->name, nm->len);
		for (i = 0; i < m->nrules; i++) {
			if (m->rules[i].used && rule_same(&m->rules[i], &nr))
				have = true;
			if (!m->rules[i].used && free_i == MDL_MAX_RULES)
				free_i = i;
		}
		if (have)
			continue;
		if (d->flow_count + d->name_rules >= m->cfg.fingerprint_cap)
			return;
		if (free_i == MDL_MAX_RULES)
			free_i = m->nrules;
		if (free_i >= MDL_MAX_RULES)
			return;
		nr.used = true;
		m->rules[free_i] = nr;
		if (free_i >= m->nrules)
			m->nrules = free_i + 1;
		d->name_rules++;
		d->flags |= IFN_DEV_F_NAME_RULES;
		m->names_learned++;
	}
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

static const struct ifn_in_val *noted(const struct mdl *m, const struct ifn_in_key *k, __u64 now);

/* A frame that a name admits keeps its address live (SETTINGS, dns-min-ttl). */
static bool name_pass(struct mdl *m, const struct ifn_flow_key *k1, const struct ifn_flow_key *k2,
		      __u64 now, struct mdl_result *r)
{
	struct ifn_dns_val *v = name_match(m, k1, now);

	if (!v && k2)
		v = name_match(m, k2, now);
	if (!v)
		return false;
	v->last_used_ns = now;
	m->name_passes++;
	r->why = "name";
	return true;
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
		r->why = "quote";
	} else if (!in_fingerprint(m, &k1) && !(alt && in_fingerprint(m, &k2)) &&
		   !name_pass(m, &k1, alt ? &k2 : NULL, now, r)) {
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
	__u32 names = 0;

	if (!d)
		return;
	for (i = 0; i < m->nrules; i++) {
		const struct mdl_rule *r = &m->rules[i];

		if (!r->used || memcmp(r->mac, mac, 6))
			continue;
		names += r->is_name;
		flags |= r->is_name  ? IFN_DEV_F_NAME_RULES :
			 r->any_port ? IFN_DEV_F_ANY_RULES :
				       IFN_DEV_F_PORT_RULES;
	}
	while (htab_next(&m->flows, &it, &k, NULL)) {
		const struct ifn_flow_key *fk = k;

		if (fk->family == IFN_FAMILY_LAN && !memcmp(fk->mac, mac, 6))
			flags |= IFN_DEV_F_LAN_RULES;
	}
	d->name_rules = names;
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
