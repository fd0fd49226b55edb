// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * model_rules.c - the reference model's fingerprints (see model_rules.h):
 * the keys of a frame, whether the fingerprint holds one (exact flows,
 * prefix, port-any and range rules, local networks), ICMP errors judged by
 * their quote, and the operator's rules. "READING" marks a choice the page
 * leaves open.
 */
#include <string.h>

#include "model_int.h"
#include "model_rules.h"

static bool is_v4(const __u8 a[16])
{
	static const __u8 pre[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, pre, 12);
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
bool frame_keys(const struct mdl_pkt *p, struct ifn_flow_key *k1, struct ifn_flow_key *k2)
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

bool in_fingerprint(const struct mdl *m, const struct ifn_flow_key *k)
{
	return htab_get(&m->flows, k) || rule_match(m, k) || lan_match(m, k);
}

/*
 * FLOWS, ICMP: an error about a packet that came from the peer it goes to
 * and was sent to the device's own address (READING: the error's source
 * address) is judged as that packet turned around, a frame of the device.
 */
bool quote_allowed(const struct mdl *m, const struct mdl_pkt *p)
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

unsigned int rule_slot(const struct mdl *m, const struct mdl_rule *r, bool *same)
{
	unsigned int i, free_i = MDL_MAX_RULES;

	/* Slots from nrules on were never used. */
	*same = false;
	for (i = 0; i < m->nrules; i++) {
		if (m->rules[i].used && rule_same(&m->rules[i], r)) {
			*same = true;
			return i;
		}
		if (!m->rules[i].used && free_i == MDL_MAX_RULES)
			free_i = i;
	}
	return free_i == MDL_MAX_RULES ? m->nrules : free_i;
}

void rule_put(struct mdl *m, unsigned int i, const struct mdl_rule *r)
{
	m->rules[i] = *r;
	m->rules[i].used = true;
	if (i >= m->nrules)
		m->nrules = i + 1;
}

static bool rule_exact(const struct mdl_rule *r, bool l2)
{
	return l2 || r->lan || (!r->is_name && !r->any_port && r->plen == 128);
}

int mdl_op_rule_add(struct mdl *m, const struct mdl_rule *r, bool l2)
{
	struct mdl_device *d = mdl_device(m, r->mac);
	unsigned int i;
	bool same;

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
	i = rule_slot(m, r, &same);
	if (same) {
		/* The same key with another range: the new range replaces it. */
		m->rules[i].port = r->port;
		m->rules[i].port_hi = r->port_hi;
		return 0;
	}
	if (i == MDL_MAX_RULES)
		return -1;
	rule_put(m, i, r);
	update_rule_flags(m, r->mac);
	return 0;
}

int mdl_op_rule_del(struct mdl *m, const struct mdl_rule *r, bool l2)
{
	unsigned int i;
	bool same;

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
	i = rule_slot(m, r, &same);
	if (!same)
		return -1;
	m->rules[i].used = false;
	update_rule_flags(m, r->mac);
	return 0;
}
