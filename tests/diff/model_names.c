// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * model_names.c - the reference model's names on the XDP side (NAMES in
 * iotfence.8, see model_names.h): rules on the names a device resolved,
 * and named flows learned beside the flows to their addresses.
 */
#include <string.h>

#include "model_int.h"
#include "model_names.h"
#include "model_rules.h"

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

/* The name hash of iotfence.h: labels right to left, keyed. */
__u64 name_hash(__u64 key, const char *name, struct ifn_dns_name *nm)
{
	size_t n = strlen(name), end = n, start, i;
	unsigned int k = 0;
	__u64 h = key;

	memset(nm, 0, sizeof(*nm));
	memcpy(nm->name, name, n);
	nm->len = (__u8)n;
	while (end > 0) {
		start = end;
		while (start > 0 && name[start - 1] != '.')
			start--;
		for (i = start; i < end; i++)
			h = ifn_name_hash_byte(h, (__u8)name[i]);
		h = ifn_name_hash_label(h, (__u32)(end - start));
		if (k < IFN_DNS_SUFFIXES)
			nm->suffix[k] = h;
		k++;
		end = start ? start - 1 : 0;
	}
	nm->labels = (__u8)k;
	return h;
}

/* What the device resolved for the key's peer (ifn_dns), or NULL. */
static struct ifn_dns_val *flow_dns(struct mdl *m, const struct ifn_flow_key *k)
{
	struct ifn_dns_key dk = { 0 };

	memcpy(dk.mac, k->mac, 6);
	memcpy(dk.addr, k->peer, 16);
	return htab_get(&m->dns, &dk);
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
	struct ifn_dns_val *v;
	unsigned int i;
	int j;

	if (k->family == IFN_FAMILY_L2 || !d || !(d->flags & IFN_DEV_F_NAME_RULES))
		return NULL;
	v = flow_dns(m, k);
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
void learn_names(struct mdl *m, struct mdl_device *d, const struct ifn_flow_key *k, __u64 now)
{
	const struct ifn_dns_val *v;
	int j;

	if (k->family == IFN_FAMILY_L2)
		return;
	v = flow_dns(m, k);
	for (j = 0; v && j < IFN_DNS_NAMES_PER_ADDR; j++) {
		const struct ifn_dns_name *nm;
		struct mdl_rule nr;
		unsigned int i;
		bool same;

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
		i = rule_slot(m, &nr, &same);
		if (same)
			continue;
		if (d->flow_count + d->name_rules >= m->cfg.fingerprint_cap || i == MDL_MAX_RULES)
			return;
		rule_put(m, i, &nr);
		d->name_rules++;
		d->flags |= IFN_DEV_F_NAME_RULES;
		m->names_learned++;
	}
}

/* A frame that a name admits keeps its address live (SETTINGS, dns-min-ttl). */
bool name_pass(struct mdl *m, const struct ifn_flow_key *k1, const struct ifn_flow_key *k2,
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
