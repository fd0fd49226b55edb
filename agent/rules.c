// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bpf/bpf.h>

#include "dnsname.h"
#include "format.h"
#include "grow.h"
#include "parse.h"
#include "rules.h"

static void seterr(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/*
 * PROTO[/PORT] or PROTO/LO-HI (a range, TCP, UDP or SCTP only). A range of
 * one port is that port; 1-65535 is every port.
 */
static int parse_proto_ports(const char *s, struct ifn_rule *r, bool *has_port, bool *is_l2,
			     char *err, size_t errlen)
{
	const char *slash = strchr(s, '/'), *dash = slash ? strchr(slash, '-') : NULL;
	char head[32];
	__u16 hi;
	int e;

	if (!dash)
		return ifn_parse_proto_port(s, &r->proto, &r->port, has_port, is_l2, err, errlen);
	if ((size_t)(dash - s) >= sizeof(head)) {
		seterr(err, errlen, "PROTO/LO-HI too long");
		return -EINVAL;
	}
	memcpy(head, s, dash - s);
	head[dash - s] = '\0';
	if (ifn_parse_proto_port(head, &r->proto, &r->port, has_port, is_l2, err, errlen))
		return -EINVAL;
	if (*is_l2 || (r->proto != 6 && r->proto != 17 && r->proto != 132)) {
		if (err && errlen)
			snprintf(err, errlen, "'%s': only tcp, udp and sctp take a port range", s);
		return -EINVAL;
	}
	e = ifn_parse_port(dash + 1, &hi);
	if (e || hi < r->port) {
		if (err && errlen)
			snprintf(err, errlen,
				 "'%s': a range is LO-HI, two ports from 1 to 65535, LO <= HI", s);
		return -EINVAL;
	}
	if (hi == r->port)
		return 0;
	if (r->port == 1 && hi == 65535) {
		*has_port = false;
		r->port = 0;
		return 0;
	}
	r->port_hi = hi;
	return 0;
}

int ifn_rule_parse_args(int argc, char *const *argv, struct ifn_rule *r, char *err, size_t errlen)
{
	bool has_port, is_l2;
	int i = 0;

	memset(r, 0, sizeof(*r));
	r->origin = IFN_ORIGIN_MANUAL;
	if (argc < 1) {
		seterr(err, errlen, "missing PROTO[/PORT]");
		return -EINVAL;
	}
	if (parse_proto_ports(argv[i++], r, &has_port, &is_l2, err, errlen))
		return -EINVAL;
	r->l2 = is_l2;
	r->port_any = !has_port || r->port_hi;

	if (is_l2) {
		/* Ethertype rules have no peer; "any" is accepted for symmetry. */
		if (i < argc && !strcasecmp(argv[i], "any"))
			i++;
		r->plen = 0;
	} else if (i < argc && !strcasecmp(argv[i], "name")) {
		char name[IFN_DNS_NAME_MAX], why[96];
		bool wild;

		if (++i >= argc) {
			seterr(err, errlen,
			       "missing NAME after 'name' (a.example.com or *.example.com)");
			return -EINVAL;
		}
		if (ifn_dns_name_parse(argv[i++], name, &wild, why, sizeof(why))) {
			if (err && errlen)
				snprintf(err, errlen, "bad name: %s", why);
			return -EINVAL;
		}
		if (!has_port || r->port_hi) {
			seterr(err, errlen, "a name rule needs a port, one (tcp/443 name NAME)");
			return -EINVAL;
		}
		r->name = ifn_dns_name_intern(name);
		if (!r->name) {
			seterr(err, errlen, "out of memory");
			return -ENOMEM;
		}
		r->wild = wild;
	} else {
		if (i >= argc) {
			seterr(err, errlen,
			       "missing PEER[/PREFIX] (an address, a prefix, 'any', "
			       "'local-networks' or 'name NAME')");
			return -EINVAL;
		}
		if (!strcasecmp(argv[i], "local-networks")) {
			i++;
			r->lan = 1;
			r->plen = 0;
			if (!has_port || r->port_hi) {
				seterr(err, errlen,
				       "local-networks takes one port (or ICMP type), as in "
				       "tcp/9999 local-networks server");
				return -EINVAL;
			}
		} else if (ifn_parse_cidr(argv[i++], r->peer, &r->plen, err, errlen)) {
			return -EINVAL;
		}
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
			snprintf(err, errlen,
				 "unexpected '%s' (expected 'server', 'client' or nothing)",
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
	char buf[512], *words[8], *save = NULL, *w;
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
	if (r->name) {
		snprintf(buf, len, "%s/%u name %s%s%s", proto, r->port, r->wild ? "*." : "",
			 r->name, r->dir == IFN_DIR_SERVER ? " server" : "");
		return buf;
	}
	if (r->lan)
		snprintf(peer, sizeof(peer), "local-networks");
	else
		ifn_fmt_cidr(r->peer, r->plen, peer);
	if (r->port_hi)
		snprintf(buf, len, "%s/%u-%u %s%s", proto, r->port, r->port_hi, peer,
			 r->dir == IFN_DIR_SERVER ? " server" : "");
	else if (r->port_any)
		snprintf(buf, len, "%s %s%s", proto, peer,
			 r->dir == IFN_DIR_SERVER ? " server" : "");
	else
		snprintf(buf, len, "%s/%u %s%s", proto, r->port, peer,
			 r->dir == IFN_DIR_SERVER ? " server" : "");
	return buf;
}

enum ifn_rule_kind ifn_rule_kind(const struct ifn_rule *r)
{
	if (r->l2 || r->lan)
		return IFN_RULE_EXACT;
	if (r->name)
		return IFN_RULE_NAME;
	if (r->port_any)
		return IFN_RULE_ANY_PORT;
	return r->plen == 128 ? IFN_RULE_EXACT : IFN_RULE_PORT_PREFIX;
}

bool ifn_rule_same(const struct ifn_rule *a, const struct ifn_rule *b)
{
	return !memcmp(a->mac, b->mac, 6) && a->l2 == b->l2 && a->proto == b->proto &&
	       a->port == b->port && a->port_any == b->port_any && a->dir == b->dir &&
	       a->plen == b->plen && !memcmp(a->peer, b->peer, 16) && a->lan == b->lan &&
	       a->port_hi == b->port_hi && a->wild == b->wild &&
	       (a->name == b->name || (a->name && b->name && !strcmp(a->name, b->name)));
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
	if (a->lan != b->lan)
		return a->lan - b->lan;
	if (a->proto != b->proto)
		return a->proto - b->proto;
	if (a->port != b->port)
		return a->port - b->port;
	if (a->port_hi != b->port_hi)
		return a->port_hi - b->port_hi;
	if (a->dir != b->dir)
		return a->dir - b->dir;
	c = memcmp(a->peer, b->peer, 16);
	if (c)
		return c;
	if (a->plen != b->plen)
		return a->plen - b->plen;
	if (a->wild != b->wild)
		return a->wild - b->wild;
	if (a->name && b->name)
		return strcmp(a->name, b->name);
	return !!a->name - !!b->name;
}

void ifn_rule_from_flow(struct ifn_rule *r, const struct ifn_flow_key *k,
			const struct ifn_flow_val *v)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->mac, k->mac, 6);
	r->l2 = k->family == IFN_FAMILY_L2;
	r->lan = k->family == IFN_FAMILY_LAN;
	r->proto = k->proto;
	r->port = k->port;
	r->dir = k->dir;
	memcpy(r->peer, k->peer, 16);
	r->plen = r->l2 || r->lan ? 0 : 128;
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
	k->family = r->lan		    ? IFN_FAMILY_LAN :
		    ifn_addr_is_v4(r->peer) ? IFN_FAMILY_IPV4 :
					      IFN_FAMILY_IPV6;
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
	if (v->port_hi) {
		r->port = v->port_lo;
		r->port_hi = v->port_hi;
	}
	memcpy(r->peer, k->peer, 16);
	r->plen = k->prefixlen - IFN_RULE_ANY_FIXED_BITS;
	r->origin = v->origin;
	r->added_ns = v->added_ns;
}

/*
 * Take @n from a counter the datapath may add to meanwhile, never below 0.
 * Returns the value before.
 */
static __u32 counter_sub(__u32 *cnt, __u32 n)
{
	__u32 c = __atomic_load_n(cnt, __ATOMIC_SEQ_CST);

	while (c && !__atomic_compare_exchange_n(cnt, &c, c > n ? c - n : 0, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	return c;
}

/*
 * The live record's counters for @n rules of a kind added (@add) or gone;
 * the trie flags follow the counts.
 */
static void rec_rules_count(struct ifn_device *rec, enum ifn_rule_kind kind, bool add, __u32 n)
{
	__u32 *cnt, flag, before;

	if (!n)
		return;
	switch (kind) {
	case IFN_RULE_EXACT:
		if (add)
			__atomic_fetch_add(&rec->flow_count, n, __ATOMIC_SEQ_CST);
		else
			counter_sub(&rec->flow_count, n);
		return;
	case IFN_RULE_PORT_PREFIX:
		cnt = &rec->port_rules;
		flag = IFN_DEV_F_PORT_RULES;
		break;
	case IFN_RULE_NAME:
		cnt = &rec->name_rules;
		flag = IFN_DEV_F_NAME_RULES;
		break;
	default:
		cnt = &rec->any_rules;
		flag = IFN_DEV_F_ANY_RULES;
		break;
	}
	/* The datapath looks at a trie only while the flag says it has rules. */
	if (add) {
		if (__atomic_fetch_add(cnt, n, __ATOMIC_SEQ_CST) == 0)
			__atomic_fetch_or(&rec->flags, flag, __ATOMIC_SEQ_CST);
	} else {
		before = counter_sub(cnt, n);
		if (before && before <= n)
			__atomic_fetch_and(&rec->flags, ~flag, __ATOMIC_SEQ_CST);
	}
}

/* local-networks flows: counted as flows, and besides for their flag. */
static void rec_lan_count(struct ifn_device *rec, bool add)
{
	if (add) {
		if (__atomic_fetch_add(&rec->lan_rules, 1, __ATOMIC_SEQ_CST) == 0)
			__atomic_fetch_or(&rec->flags, IFN_DEV_F_LAN_RULES, __ATOMIC_SEQ_CST);
	} else if (counter_sub(&rec->lan_rules, 1) == 1) {
		__atomic_fetch_and(&rec->flags, ~IFN_DEV_F_LAN_RULES, __ATOMIC_SEQ_CST);
	}
}

/* Per-CPU caches of the device's decisions are void from here. */
static void rec_fp_changed(struct ifn_device *rec)
{
	__atomic_fetch_add(&rec->fp_gen, 1, __ATOMIC_SEQ_CST);
}

/* Flows and trie rules have the same value: one code writes both. */
_Static_assert(sizeof(struct ifn_flow_val) == sizeof(struct ifn_rule_val) &&
		       offsetof(struct ifn_flow_val, origin) ==
			       offsetof(struct ifn_rule_val, origin),
	       "flow and rule values differ");

union rule_key {
	struct ifn_flow_key flow;
	struct ifn_rule_port_key port;
	struct ifn_rule_any_key any;
	struct ifn_name_rule_key name;
};

/* The name hash's key of the state: rules on names are keyed with it. */
static __u64 dns_key(const struct ifn_maps *m)
{
	struct ifn_config c;

	return ifn_config_read(m, &c) ? 0 : c.dns_key;
}

static void to_name_key(const struct ifn_rule *r, __u64 key, struct ifn_name_rule_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->mac, r->mac, 6);
	k->proto = r->proto;
	k->dir = r->dir;
	k->port = r->port;
	k->wild = r->wild;
	k->name = ifn_dns_rule_hash(key, r->name);
}

static int from_name_key(struct ifn_rule *r, const struct ifn_name_rule_key *k,
			 const struct ifn_name_rule_val *v)
{
	char name[IFN_DNS_NAME_MAX];

	memset(r, 0, sizeof(*r));
	memcpy(r->mac, k->mac, 6);
	r->proto = k->proto;
	r->dir = k->dir;
	r->port = k->port;
	r->wild = k->wild;
	r->origin = v->origin;
	r->added_ns = v->added_ns;
	snprintf(name, sizeof(name), "%.*s", IFN_DNS_NAME_MAX - 1, v->name);
	r->name = ifn_dns_name_intern(name);
	return r->name ? 0 : -ENOMEM;
}

/* The map that holds @r and its key there. */
static int rule_key(const struct ifn_maps *m, const struct ifn_rule *r, union rule_key *k)
{
	switch (ifn_rule_kind(r)) {
	case IFN_RULE_NAME:
		to_name_key(r, dns_key(m), &k->name);
		return m->name_rules;
	case IFN_RULE_EXACT:
		ifn_rule_to_flow(r, &k->flow);
		return m->flows;
	case IFN_RULE_PORT_PREFIX:
		to_port_key(r, &k->port);
		return m->rules_port;
	default:
		to_any_key(r, &k->any);
		return m->rules_any;
	}
}

static void rule_val(const struct ifn_rule *r, __u64 now, struct ifn_rule_val *v)
{
	memset(v, 0, sizeof(*v));
	v->added_ns = r->added_ns ? r->added_ns : now;
	v->origin = r->origin;
	if (ifn_rule_kind(r) == IFN_RULE_ANY_PORT) {
		v->plen = r->plen;
		if (r->port_hi) {
			v->port_lo = r->port;
			v->port_hi = r->port_hi;
		}
	}
}

/*
 * Write one rule: created with @v, or, when it is there already, given
 * @v's origin and keeping its time. *existed says which. Only the datapath
 * adds flows meanwhile (the agent holds the command lock), so a retry is
 * rare and a few are plenty.
 */
static int install_one(int fd, const void *key, const struct ifn_rule_val *v, bool *existed)
{
	struct ifn_rule_val old;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		if (!bpf_map_update_elem(fd, key, v, BPF_NOEXIST)) {
			*existed = false;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
		if (bpf_map_lookup_elem(fd, key, &old)) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		/* The same key with another range: the new range replaces it. */
		old.origin = v->origin;
		old.plen = v->plen;
		old.port_lo = v->port_lo;
		old.port_hi = v->port_hi;
		memset(old.pad, 0, sizeof(old.pad));
		if (!bpf_map_update_elem(fd, key, &old, BPF_EXIST)) {
			*existed = true;
			return 0;
		}
		if (errno != ENOENT)
			return -errno;
	}
	return -EAGAIN;
}

/* A run of rules of one device, with its live record (NULL: unknown). */
struct dev_run {
	struct ifn_device *rec;
	size_t end; /* one past its last rule */
};

/*
 * Cut @rules into runs of one device and look each device up once. With
 * @need, an unknown device is -ENOENT (nothing has changed yet).
 */
static int dev_runs(const struct ifn_maps *m, const struct ifn_rule *rules, size_t n, bool need,
		    struct dev_run **out)
{
	struct dev_run *runs = NULL;
	size_t i, nruns = 0, cap = 0;

	*out = NULL;
	for (i = 0; i < n; i++) {
		if (i && !memcmp(rules[i].mac, rules[i - 1].mac, 6)) {
			runs[nruns - 1].end = i + 1;
			continue;
		}
		if (ifn_grow((void **)&runs, &cap, nruns + 1, sizeof(*runs), 16)) {
			free(runs);
			return -ENOMEM;
		}
		runs[nruns].rec = ifn_device_rec(m, rules[i].mac);
		runs[nruns].end = i + 1;
		if (need && !runs[nruns].rec) {
			free(runs);
			return -ENOENT;
		}
		nruns++;
	}
	*out = runs;
	return 0;
}

/*
 * May the datapath add flows of the device while we write? Only learning
 * does, in learn mode or once a deadline turns the device to learn.
 */
static bool rec_may_learn(struct ifn_device *rec)
{
	__u64 w = __atomic_load_n(&rec->mode_word, __ATOMIC_ACQUIRE);

	return ifn_mw_mode(w) == IFN_MODE_LEARN ||
	       (ifn_mw_until(w) && ifn_mw_after(w) == IFN_MODE_LEARN);
}

/*
 * Exact flows are written and deleted in batches of this many keys: memory
 * stays bounded, and a device's counters and fp_gen follow its flows within
 * one system call, so that a kill between the two (counters are memory,
 * flows a map) leaves them apart by at most one batch.
 */
#define RULES_CHUNK 8192U

struct bulk {
	const struct ifn_maps *m;
	const struct ifn_rule *rules;
	const struct dev_run *runs;
	bool remove;
	unsigned int flags; /* install: IFN_RULES_* */
	__u64 now;
	struct ifn_flow_key *keys;
	struct ifn_rule_val *vals;
	size_t *idx; /* the rule of each key */
	__u32 *run; /* and its run */
	__u32 n, cap;
	size_t done; /* rules from the first that are processed */
	long changed; /* rules that are new (install) or gone (removal) */
};

/*
 * Keys [a, e) of the batch are processed: those that @changed a count (new,
 * or gone) count, once per device, and each device's caches are voided
 * after its maps changed.
 */
static void bulk_account(struct bulk *b, __u32 a, __u32 e, bool changed)
{
	while (a < e) {
		__u32 run = b->run[a], j = a;
		struct ifn_device *rec = b->runs[run].rec;

		while (j < e && b->run[j] == run)
			j++;
		if (rec) {
			if (changed)
				rec_rules_count(rec, IFN_RULE_EXACT, !b->remove, j - a);
			rec_fp_changed(rec);
		}
		if (changed)
			b->changed += j - a;
		a = j;
	}
}

/*
 * Write or delete the exact flows gathered so far, one system call a batch.
 * A batch write is BPF_ANY (the kernel takes no other flag there), so only
 * flows known absent or known present are gathered, and counted as such.
 */
static int bulk_flush(struct bulk *b)
{
	bool counts = b->remove || (b->flags & IFN_RULES_ABSENT);
	__u32 pos = 0;
	int err = 0;

	while (pos < b->n) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 cnt = b->n - pos;
		int rc, e;

		if (b->remove)
			rc = bpf_map_delete_batch(b->m->flows, b->keys + pos, &cnt, &opts);
		else
			rc = bpf_map_update_batch(b->m->flows, b->keys + pos, b->vals + pos, &cnt,
						  &opts);
		e = errno;
		if (cnt > b->n - pos)
			cnt = b->n - pos;
		bulk_account(b, pos, pos + cnt, counts);
		pos += cnt;
		if (!rc)
			continue;
		/* The delete stopped at a flow that is gone already: skip it. */
		if (pos < b->n && b->remove && e == ENOENT) {
			pos++;
			continue;
		}
		err = -e;
		break;
	}
	if (err)
		b->done = pos < b->n ? b->idx[pos] : b->idx[b->n - 1] + 1;
	b->n = 0;
	return err;
}

/* A name rule: its value carries the text. As install_one otherwise. */
static int install_name(int fd, const void *key, const struct ifn_rule *r, __u64 now, bool *existed)
{
	struct ifn_name_rule_val v = {}, old;
	int tries;

	v.added_ns = r->added_ns ? r->added_ns : now;
	v.origin = r->origin;
	snprintf(v.name, sizeof(v.name), "%s", r->name);
	for (tries = 0; tries < 8; tries++) {
		if (!bpf_map_update_elem(fd, key, &v, BPF_NOEXIST)) {
			*existed = false;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
		if (bpf_map_lookup_elem(fd, key, &old)) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		old.origin = v.origin;
		if (!bpf_map_update_elem(fd, key, &old, BPF_EXIST)) {
			*existed = true;
			return 0;
		}
		if (errno != ENOENT)
			return -errno;
	}
	return -EAGAIN;
}

/* One rule on its own: a trie rule, or a flow the datapath may learn meanwhile. */
static int bulk_one(struct bulk *b, size_t i, struct ifn_device *rec)
{
	const struct ifn_rule *r = &b->rules[i];
	enum ifn_rule_kind kind = ifn_rule_kind(r);
	struct ifn_rule_val v;
	union rule_key k;
	int fd = rule_key(b->m, r, &k), err = 0;
	bool existed = true;

	if (!b->remove && kind == IFN_RULE_NAME) {
		err = install_name(fd, &k, r, b->now, &existed);
		if (err)
			return err;
	} else if (b->remove) {
		if (bpf_map_delete_elem(fd, &k))
			return errno == ENOENT ? 0 : -errno;
		existed = false;
	} else {
		if (kind == IFN_RULE_EXACT && rec)
			ifn_exact_peers_add(rec->exact_peers, &k.flow);
		rule_val(r, b->now, &v);
		/* Expected there: one write; not there after all, a new rule. */
		if ((b->flags & IFN_RULES_PRESENT) && !bpf_map_update_elem(fd, &k, &v, BPF_EXIST))
			existed = true;
		else if ((b->flags & IFN_RULES_PRESENT) && errno != ENOENT)
			err = -errno;
		else
			err = install_one(fd, &k, &v, &existed);
		if (err)
			return err;
	}
	if (!existed)
		b->changed++;
	if (rec) {
		if (!existed) {
			rec_rules_count(rec, kind, !b->remove, 1);
			if (r->lan)
				rec_lan_count(rec, !b->remove);
		}
		rec_fp_changed(rec);
	}
	return 0;
}

static long bulk_run(struct bulk *b, size_t n, size_t *done)
{
	size_t chunk = n < RULES_CHUNK ? n : RULES_CHUNK, i, run = 0;
	bool known = b->remove || (b->flags & (IFN_RULES_ABSENT | IFN_RULES_PRESENT)),
	     batch = false;
	int err = 0;

	b->now = ifn_now_mono();
	b->keys = malloc(chunk * sizeof(*b->keys));
	b->vals = malloc(chunk * sizeof(*b->vals));
	b->idx = malloc(chunk * sizeof(*b->idx));
	b->run = malloc(chunk * sizeof(*b->run));
	if (!b->keys || !b->vals || !b->idx || !b->run) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i++) {
		const struct ifn_rule *r = &b->rules[i];
		struct ifn_device *rec;

		if (!i || i >= b->runs[run].end) {
			if (i)
				run++;
			rec = b->runs[run].rec;
			/*
			 * A flow known absent may still be learned while we
			 * write; a batch would then count it twice.
			 */
			batch = known && (b->remove || (b->flags & IFN_RULES_PRESENT) || !rec ||
					  !rec_may_learn(rec));
		}
		/* local-networks flows have a flag to follow: one at a time. */
		if (ifn_rule_kind(r) != IFN_RULE_EXACT || !batch || r->lan) {
			/* In order, so that what is done is always a prefix of the rules. */
			err = bulk_flush(b);
			if (!err) {
				err = bulk_one(b, i, b->runs[run].rec);
				if (err)
					b->done = i;
			}
			continue;
		}
		ifn_rule_to_flow(r, &b->keys[b->n]);
		/* The device's peer filter shows a flow before the flow is there. */
		if (!b->remove && b->runs[run].rec)
			ifn_exact_peers_add(b->runs[run].rec->exact_peers, &b->keys[b->n]);
		rule_val(r, b->now, &b->vals[b->n]);
		b->idx[b->n] = i;
		b->run[b->n] = run;
		if (++b->n == chunk)
			err = bulk_flush(b);
	}
	if (!err)
		err = bulk_flush(b);
	if (!err)
		b->done = n;
out:
	if (done)
		*done = b->done;
	free(b->keys);
	free(b->vals);
	free(b->idx);
	free(b->run);
	return err ? err : b->changed;
}

/*
 * Both directions: cut the rules into runs of one device, then write or
 * delete them. Installing needs every device; removing skips the counters
 * of devices that are gone.
 */
static long bulk_many(struct bulk *b, size_t n, size_t *done)
{
	struct dev_run *runs;
	long rc;

	if (!n)
		return 0;
	rc = dev_runs(b->m, b->rules, n, !b->remove, &runs);
	if (rc)
		return rc;
	b->runs = runs;
	rc = bulk_run(b, n, done);
	free(runs);
	return rc;
}

long ifn_rules_install_many(const struct ifn_maps *m, const struct ifn_rule *rules, size_t n,
			    unsigned int flags, size_t *done)
{
	struct bulk b = { .m = m, .rules = rules, .flags = flags };

	if (done)
		*done = 0;
	if ((flags & IFN_RULES_ABSENT) && (flags & IFN_RULES_PRESENT))
		return -EINVAL;
	return bulk_many(&b, n, done);
}

long ifn_rules_remove_many(const struct ifn_maps *m, const struct ifn_rule *rules, size_t n,
			   size_t *done)
{
	struct bulk b = { .m = m, .rules = rules, .remove = true };

	if (done)
		*done = 0;
	return bulk_many(&b, n, done);
}

int ifn_rule_install(const struct ifn_maps *m, const struct ifn_rule *r)
{
	long rc = ifn_rules_install_many(m, r, 1, 0, NULL);

	return rc < 0 ? (int)rc : 0;
}

int ifn_rule_remove(const struct ifn_maps *m, const struct ifn_rule *r)
{
	long rc = ifn_rules_remove_many(m, r, 1, NULL);

	if (rc < 0)
		return (int)rc;
	return rc ? 0 : -ENOENT;
}

int ifn_rule_vec_push(struct ifn_rule_vec *rv, const struct ifn_rule *r)
{
	if (ifn_grow((void **)&rv->v, &rv->cap, rv->n + 1, sizeof(*rv->v), 64))
		return -ENOMEM;
	rv->v[rv->n++] = *r;
	return 0;
}

/* How a key/value pair of each rule map becomes a rule (the map's own types). */
static int conv_flow(struct ifn_rule *r, const void *k, const void *v)
{
	ifn_rule_from_flow(r, k, v);
	return 0;
}

static int conv_port(struct ifn_rule *r, const void *k, const void *v)
{
	from_port_key(r, k, v);
	return 0;
}

static int conv_any(struct ifn_rule *r, const void *k, const void *v)
{
	from_any_key(r, k, v);
	return 0;
}

static int conv_name(struct ifn_rule *r, const void *k, const void *v)
{
	return from_name_key(r, k, v);
}

/* One map of rules: its sizes, where its key holds the MAC, its conversion. */
struct rule_source {
	int fd;
	size_t key_size, val_size, mac_off;
	int (*conv)(struct ifn_rule *r, const void *k, const void *v);
};

/* Every rule of @src (of @mac only, if not NULL) pushed onto @rv. */
static int read_source(const struct rule_source *src, const __u8 *mac, struct ifn_rule_vec *rv)
{
	void *keys, *vals;
	struct ifn_rule r;
	long cnt, i;
	int err = 0;

	cnt = ifn_map_dump(src->fd, src->key_size, src->val_size, &keys, &vals);
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt && !err; i++) {
		const char *k = (const char *)keys + i * src->key_size;

		if (mac && memcmp(k + src->mac_off, mac, 6))
			continue;
		err = src->conv(&r, k, (const char *)vals + i * src->val_size);
		if (!err)
			err = ifn_rule_vec_push(rv, &r);
	}
	free(keys);
	free(vals);
	return err;
}

int ifn_rules_read(const struct ifn_maps *m, const __u8 *mac, struct ifn_rule **out, size_t *n)
{
	const struct rule_source srcs[] = {
		{ m->flows, sizeof(struct ifn_flow_key), sizeof(struct ifn_flow_val),
		  offsetof(struct ifn_flow_key, mac), conv_flow },
		{ m->rules_port, sizeof(struct ifn_rule_port_key), sizeof(struct ifn_rule_val),
		  offsetof(struct ifn_rule_port_key, mac), conv_port },
		{ m->rules_any, sizeof(struct ifn_rule_any_key), sizeof(struct ifn_rule_val),
		  offsetof(struct ifn_rule_any_key, mac), conv_any },
		{ m->name_rules, sizeof(struct ifn_name_rule_key), sizeof(struct ifn_name_rule_val),
		  offsetof(struct ifn_name_rule_key, mac), conv_name },
	};
	struct ifn_rule_vec rv = {};
	size_t i;
	int err;

	*out = NULL;
	*n = 0;
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		err = read_source(&srcs[i], mac, &rv);
		if (err)
			goto fail;
	}

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
	size_t n;
	long removed;
	int err;

	err = ifn_rules_read(m, mac, &rules, &n);
	if (err)
		return err;
	removed = ifn_rules_remove_many(m, rules, n, NULL);
	free(rules);
	return removed;
}
