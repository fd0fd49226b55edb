// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "format.h"
#include "parse.h"
#include "rules.h"

static void seterr(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int ifn_rule_parse_args(int argc, char *const *argv, struct ifn_rule *r, char *err,
			size_t errlen)
{
	bool has_port, is_l2;
	int i = 0;

	memset(r, 0, sizeof(*r));
	r->origin = IFN_ORIGIN_MANUAL;
	if (argc < 1) {
		seterr(err, errlen, "missing PROTO[/PORT]");
		return -EINVAL;
	}
	if (ifn_parse_proto_port(argv[i++], &r->proto, &r->port, &has_port, &is_l2, err, errlen))
		return -EINVAL;
	r->l2 = is_l2;
	r->port_any = !has_port;

	if (is_l2) {
		/* Ethertype rules have no peer; "any" is accepted for symmetry. */
		if (i < argc && !strcasecmp(argv[i], "any"))
			i++;
		r->plen = 0;
	} else {
		if (i >= argc) {
			seterr(err, errlen, "missing PEER[/PREFIX] (an address, a prefix or 'any')");
			return -EINVAL;
		}
		if (ifn_parse_cidr(argv[i++], r->peer, &r->plen, err, errlen))
			return -EINVAL;
	}
	if (i < argc) {
		if (!strcasecmp(argv[i], "server")) {
			r->dir = IFN_DIR_SERVER;
			i++;
		} else if (!strcasecmp(argv[i], "client")) {
			r->dir = IFN_DIR_CLIENT;
			i++;
		}
	}
	if (i < argc) {
		if (err && errlen)
			snprintf(err, errlen, "unexpected '%s' (expected 'server', 'client' or nothing)",
				 argv[i]);
		return -EINVAL;
	}
	if (is_l2 && r->dir == IFN_DIR_SERVER) {
		seterr(err, errlen, "ether rules have no direction");
		return -EINVAL;
	}
	return 0;
}

int ifn_rule_parse(const char *text, struct ifn_rule *r, char *err, size_t errlen)
{
	char buf[256], *words[8], *save = NULL, *w;
	int n = 0;

	if (strlen(text) >= sizeof(buf)) {
		seterr(err, errlen, "rule too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == 8) {
			seterr(err, errlen, "too many words in rule");
			return -EINVAL;
		}
		words[n++] = w;
	}
	return ifn_rule_parse_args(n, words, r, err, errlen);
}

char *ifn_rule_format(const struct ifn_rule *r, char *buf, size_t len)
{
	char pb[8], peer[IFN_ADDR_STRLEN];
	const char *proto = ifn_proto_name(r->proto, pb);

	if (r->l2) {
		snprintf(buf, len, "ether/0x%04x", r->port);
		return buf;
	}
	ifn_fmt_cidr(r->peer, r->plen, peer);
	if (r->port_any)
		snprintf(buf, len, "%s %s%s", proto, peer, r->dir == IFN_DIR_SERVER ? " server" : "");
	else
		snprintf(buf, len, "%s/%u %s%s", proto, r->port, peer,
			 r->dir == IFN_DIR_SERVER ? " server" : "");
	return buf;
}

enum ifn_rule_kind ifn_rule_kind(const struct ifn_rule *r)
{
	if (r->l2)
		return IFN_RULE_EXACT;
	if (r->port_any)
		return IFN_RULE_ANY_PORT;
	return r->plen == 128 ? IFN_RULE_EXACT : IFN_RULE_PORT_PREFIX;
}

bool ifn_rule_same(const struct ifn_rule *a, const struct ifn_rule *b)
{
	return !memcmp(a->mac, b->mac, 6) && a->l2 == b->l2 && a->proto == b->proto &&
	       a->port == b->port && a->port_any == b->port_any && a->dir == b->dir &&
	       a->plen == b->plen && !memcmp(a->peer, b->peer, 16);
}

int ifn_rule_cmp(const void *pa, const void *pb)
{
	const struct ifn_rule *a = pa, *b = pb;
	int c;

	c = memcmp(a->mac, b->mac, 6);
	if (c)
		return c;
	if (ifn_rule_kind(a) != ifn_rule_kind(b))
		return (int)ifn_rule_kind(a) - (int)ifn_rule_kind(b);
	if (a->l2 != b->l2)
		return a->l2 - b->l2;
	if (a->proto != b->proto)
		return a->proto - b->proto;
	if (a->port != b->port)
		return a->port - b->port;
	if (a->dir != b->dir)
		return a->dir - b->dir;
	c = memcmp(a->peer, b->peer, 16);
	if (c)
		return c;
	return a->plen - b->plen;
}

void ifn_rule_from_flow(struct ifn_rule *r, const struct ifn_flow_key *k,
			const struct ifn_flow_val *v)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->mac, k->mac, 6);
	r->l2 = k->family == IFN_FAMILY_L2;
	r->proto = k->proto;
	r->port = k->port;
	r->dir = k->dir;
	memcpy(r->peer, k->peer, 16);
	r->plen = r->l2 ? 0 : 128;
	if (v) {
		r->origin = v->origin;
		r->added_ns = v->added_ns;
	}
}

void ifn_rule_to_flow(const struct ifn_rule *r, struct ifn_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->mac, r->mac, 6);
	if (r->l2) {
		k->family = IFN_FAMILY_L2;
		k->port = r->port;
		return;
	}
	k->family = ifn_addr_is_v4(r->peer) ? IFN_FAMILY_IPV4 : IFN_FAMILY_IPV6;
	k->proto = r->proto;
	k->port = r->port;
	k->dir = r->dir;
	memcpy(k->peer, r->peer, 16);
}

static void to_port_key(const struct ifn_rule *r, struct ifn_rule_port_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = IFN_RULE_PORT_FIXED_BITS + r->plen;
	memcpy(k->mac, r->mac, 6);
	k->dir = r->dir;
	k->proto = r->proto;
	k->port = r->port;
	memcpy(k->peer, r->peer, 16);
}

static void to_any_key(const struct ifn_rule *r, struct ifn_rule_any_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = IFN_RULE_ANY_FIXED_BITS + r->plen;
	memcpy(k->mac, r->mac, 6);
	k->dir = r->dir;
	k->proto = r->proto;
	memcpy(k->peer, r->peer, 16);
}

static void from_port_key(struct ifn_rule *r, const struct ifn_rule_port_key *k,
			  const struct ifn_rule_val *v)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->mac, k->mac, 6);
	r->dir = k->dir;
	r->proto = k->proto;
	r->port = k->port;
	memcpy(r->peer, k->peer, 16);
	r->plen = k->prefixlen - IFN_RULE_PORT_FIXED_BITS;
	r->origin = v->origin;
	r->added_ns = v->added_ns;
}

static void from_any_key(struct ifn_rule *r, const struct ifn_rule_any_key *k,
			 const struct ifn_rule_val *v)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->mac, k->mac, 6);
	r->dir = k->dir;
	r->proto = k->proto;
	r->port_any = 1;
	memcpy(r->peer, k->peer, 16);
	r->plen = k->prefixlen - IFN_RULE_ANY_FIXED_BITS;
	r->origin = v->origin;
	r->added_ns = v->added_ns;
}

/* The live record's counters for a rule kind; flags follow the counts. */
static void rec_rules_add(struct ifn_device *rec, enum ifn_rule_kind kind, int delta)
{
	__u32 *cnt, flag;

	switch (kind) {
	case IFN_RULE_EXACT:
		if (delta > 0) {
			__atomic_fetch_add(&rec->flow_count, 1, __ATOMIC_SEQ_CST);
		} else {
			__u32 c = __atomic_load_n(&rec->flow_count, __ATOMIC_SEQ_CST);

			while (c && !__atomic_compare_exchange_n(&rec->flow_count, &c, c - 1, false,
								 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				;
		}
		return;
	case IFN_RULE_PORT_PREFIX:
		cnt = &rec->port_rules;
		flag = IFN_DEV_F_PORT_RULES;
		break;
	default:
		cnt = &rec->any_rules;
		flag = IFN_DEV_F_ANY_RULES;
		break;
	}
	/* The datapath looks at a trie only while the flag says it has rules. */
	if (delta > 0) {
		if (__atomic_fetch_add(cnt, 1, __ATOMIC_SEQ_CST) == 0)
			__atomic_fetch_or(&rec->flags, flag, __ATOMIC_SEQ_CST);
	} else if (__atomic_load_n(cnt, __ATOMIC_SEQ_CST) &&
		   __atomic_sub_fetch(cnt, 1, __ATOMIC_SEQ_CST) == 0) {
		__atomic_fetch_and(&rec->flags, ~flag, __ATOMIC_SEQ_CST);
	}
}

/* Per-CPU caches of the device's decisions are void from here. */
static void rec_fp_changed(struct ifn_device *rec)
{
	__atomic_fetch_add(&rec->fp_gen, 1, __ATOMIC_SEQ_CST);
}

int ifn_rule_install(const struct ifn_maps *m, const struct ifn_rule *r)
{
	__u64 now = r->added_ns ? r->added_ns : ifn_now_mono();
	struct ifn_device *rec = ifn_device_rec(m, r->mac);
	enum ifn_rule_kind kind = ifn_rule_kind(r);
	struct ifn_flow_key fk;
	struct ifn_rule_port_key pk;
	struct ifn_rule_any_key ak;
	int fd;
	void *key;
	bool existed;

	if (!rec)
		return -ENOENT;
	switch (kind) {
	case IFN_RULE_EXACT: {
		struct ifn_flow_val v;

		ifn_rule_to_flow(r, &fk);
		existed = !bpf_map_lookup_elem(m->flows, &fk, &v);
		if (!existed)
			v.added_ns = now;
		v.origin = r->origin;
		memset(v.pad, 0, sizeof(v.pad));
		if (bpf_map_update_elem(m->flows, &fk, &v, BPF_ANY))
			return -errno;
		goto done;
	}
	case IFN_RULE_PORT_PREFIX:
		to_port_key(r, &pk);
		fd = m->rules_port;
		key = &pk;
		break;
	default:
		to_any_key(r, &ak);
		fd = m->rules_any;
		key = &ak;
		break;
	}
	{
		struct ifn_rule_val v;

		existed = !bpf_map_lookup_elem(fd, key, &v);
		if (!existed)
			v.added_ns = now;
		v.origin = r->origin;
		memset(v.pad, 0, sizeof(v.pad));
		if (bpf_map_update_elem(fd, key, &v, BPF_ANY))
			return -errno;
	}
done:
	if (!existed)
		rec_rules_add(rec, kind, 1);
	rec_fp_changed(rec);
	return 0;
}

int ifn_rule_remove(const struct ifn_maps *m, const struct ifn_rule *r)
{
	enum ifn_rule_kind kind = ifn_rule_kind(r);
	struct ifn_device *rec;
	struct ifn_flow_key fk;
	struct ifn_rule_port_key pk;
	struct ifn_rule_any_key ak;
	int err;

	switch (kind) {
	case IFN_RULE_EXACT:
		ifn_rule_to_flow(r, &fk);
		err = bpf_map_delete_elem(m->flows, &fk);
		break;
	case IFN_RULE_PORT_PREFIX:
		to_port_key(r, &pk);
		err = bpf_map_delete_elem(m->rules_port, &pk);
		break;
	default:
		to_any_key(r, &ak);
		err = bpf_map_delete_elem(m->rules_any, &ak);
		break;
	}
	if (err)
		return -errno;
	/* Removing a rule of a device that is gone already is not an error. */
	rec = ifn_device_rec(m, r->mac);
	if (rec) {
		rec_rules_add(rec, kind, -1);
		rec_fp_changed(rec);
	}
	return 0;
}

struct rule_vec {
	struct ifn_rule *v;
	size_t n, cap;
};

static int vec_push(struct rule_vec *rv, const struct ifn_rule *r)
{
	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 64;
		struct ifn_rule *v = realloc(rv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rv->v = v;
		rv->cap = cap;
	}
	rv->v[rv->n++] = *r;
	return 0;
}

int ifn_rules_read(const struct ifn_maps *m, const __u8 *mac, struct ifn_rule **out,
		   size_t *n)
{
	struct rule_vec rv = {};
	void *keys, *vals;
	struct ifn_rule r;
	long cnt, i;
	int err = 0;

	*out = NULL;
	*n = 0;
	cnt = ifn_map_dump(m->flows, sizeof(struct ifn_flow_key), sizeof(struct ifn_flow_val),
			   &keys, &vals);
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt && !err; i++) {
		const struct ifn_flow_key *k = (struct ifn_flow_key *)keys + i;

		if (mac && memcmp(k->mac, mac, 6))
			continue;
		ifn_rule_from_flow(&r, k, (struct ifn_flow_val *)vals + i);
		err = vec_push(&rv, &r);
	}
	free(keys);
	free(vals);
	if (err)
		goto fail;

	cnt = ifn_map_dump(m->rules_port, sizeof(struct ifn_rule_port_key),
			   sizeof(struct ifn_rule_val), &keys, &vals);
	if (cnt < 0) {
		err = cnt;
		goto fail;
	}
	for (i = 0; i < cnt && !err; i++) {
		const struct ifn_rule_port_key *k = (struct ifn_rule_port_key *)keys + i;

		if (mac && memcmp(k->mac, mac, 6))
			continue;
		from_port_key(&r, k, (struct ifn_rule_val *)vals + i);
		err = vec_push(&rv, &r);
	}
	free(keys);
	free(vals);
	if (err)
		goto fail;

	cnt = ifn_map_dump(m->rules_any, sizeof(struct ifn_rule_any_key),
			   sizeof(struct ifn_rule_val), &keys, &vals);
	if (cnt < 0) {
		err = cnt;
		goto fail;
	}
	for (i = 0; i < cnt && !err; i++) {
		const struct ifn_rule_any_key *k = (struct ifn_rule_any_key *)keys + i;

		if (mac && memcmp(k->mac, mac, 6))
			continue;
		from_any_key(&r, k, (struct ifn_rule_val *)vals + i);
		err = vec_push(&rv, &r);
	}
	free(keys);
	free(vals);
	if (err)
		goto fail;

	if (rv.n)
		qsort(rv.v, rv.n, sizeof(*rv.v), ifn_rule_cmp);
	*out = rv.v;
	*n = rv.n;
	return 0;
fail:
	free(rv.v);
	return err;
}

long ifn_rules_remove_device(const struct ifn_maps *m, const __u8 mac[6])
{
	struct ifn_rule *rules;
	size_t n, i;
	long removed = 0;
	int err;

	err = ifn_rules_read(m, mac, &rules, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		err = ifn_rule_remove(m, &rules[i]);
		if (err && err != -ENOENT)
			break;
		if (!err)
			removed++;
		err = 0;
	}
	free(rules);
	return err ? err : removed;
}
