// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * generalise.c - when learning ends, a device's learned flows as fewer,
 * wider rules (iotfence.8, GENERALISATION):
 *
 *  - many peers on one service port (a cloud behind rotating addresses, an
 *    NTP pool): when a (protocol, port, direction) has peers_per_port
 *    peers or more, each of its peers is widened to its /prefix_v4 (or
 *    /prefix_v6) prefix, one rule per prefix; a prefix of 0 is the whole
 *    address family;
 *  - many ports on one peer: when a (peer, protocol, direction) has
 *    ports_per_peer ports or more, one port-any rule for that peer;
 *  - peer-to-peer sessions: when a (peer, UDP, direction) has p2p_per_peer
 *    ports or more and every one is a high port (1024 and up) of no known
 *    service, one rule for the range 1024-65535 on that peer: each session
 *    takes new random ports on both sides, and a range keeps the peer's
 *    low ports (and every other peer) outside;
 *  - a service to the LAN: a flow the device serves to a LAN peer (private,
 *    link-local or ULA address) becomes the same service to every LAN
 *    peer, local-networks, so that the next phone or speaker on the LAN
 *    that uses it is no stranger;
 *  - sibling names: a learned name rule whose leftmost label is numbered,
 *    or that another learned name on its protocol, port and direction
 *    differs from in that label only, becomes *.parent there, where
 *    widen.c finds the parent safe to open.
 *
 * Only learned exact flows are generalised and only they are removed when
 * a new rule covers them; what an operator or a policy wrote stays. Names
 * come first: a learned flow to a peer that a name rule of the device
 * admits now (the peer resolved from that name, live) is left alone, so
 * a cloud that its names follow is not widened into prefixes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "format.h"
#include "generalise.h"
#include "parse.h"
#include "resolved.h"
#include "rules.h"
#include "widen.h"

const char *const ifn_gen_opt_names[] = {
	"generalise-peers", "generalise-ports", "generalise-prefix-v4", "generalise-prefix-v6",
	"generalise-p2p",   "generalise-lan",	"generalise-siblings",	NULL,
};

void ifn_gen_defaults(struct ifn_gen_opts *o)
{
	/* Padding too: configurations are compared whole. */
	memset(o, 0, sizeof(*o));
	/*
	 * Measured on the captures (tests/tools/gen_sweep.sh, iotfence.8,
	 * GENERALISATION): 2 peers and /16 halve false drops; 3 peers keep
	 * two thirds of them; /8 or all of IPv4 lower them further but open
	 * a port to far more of the Internet.
	 */
	o->peers_per_port = 2;
	o->prefix_v4 = 16;
	o->prefix_v6 = 32;
	o->ports_per_peer = 4;
	/* Measured on the P2P cameras of the captures (iotfence.8, GENERALISATION). */
	o->p2p_per_peer = 2;
	o->lan = true;
	/* Measured on the captures (iotfence.8, GENERALISATION). */
	o->siblings = true;
}

int ifn_gen_opt_apply(struct ifn_gen_opts *o, const char *key, const char *value, char *err,
		      size_t errlen)
{
	unsigned int *dst, max;
	__u64 v;

	if (!strcmp(key, "generalise-lan") || !strcmp(key, "generalise-siblings")) {
		bool *flag = !strcmp(key, "generalise-lan") ? &o->lan : &o->siblings;

		if (!strcmp(value, "on") || !strcmp(value, "yes") || !strcmp(value, "1")) {
			*flag = true;
		} else if (!strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "0")) {
			*flag = false;
		} else {
			if (err && errlen)
				snprintf(err, errlen, "%s: '%s' is not on or off", key, value);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "generalise-peers")) {
		dst = &o->peers_per_port;
		max = 1000000;
	} else if (!strcmp(key, "generalise-ports")) {
		dst = &o->ports_per_peer;
		max = 65536;
	} else if (!strcmp(key, "generalise-p2p")) {
		dst = &o->p2p_per_peer;
		max = 65536;
	} else if (!strcmp(key, "generalise-prefix-v4")) {
		dst = &o->prefix_v4;
		max = 32;
	} else if (!strcmp(key, "generalise-prefix-v6")) {
		dst = &o->prefix_v6;
		max = 128;
	} else {
		if (err && errlen)
			snprintf(err, errlen,
				 "unknown setting '%s' (generalise-peers, generalise-ports, "
				 "generalise-prefix-v4, generalise-prefix-v6, generalise-p2p, "
				 "generalise-lan, generalise-siblings)",
				 key);
		return -EINVAL;
	}
	if (ifn_parse_count(value, &v) || v > max || (dst == &o->peers_per_port && v == 1) ||
	    (dst == &o->ports_per_peer && v == 1) || (dst == &o->p2p_per_peer && v == 1)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: '%s' is not %s", key, value,
				 max <= 128 ? (max == 32 ? "a prefix length from 0 to 32" :
							   "a prefix length from 0 to 128") :
					      "0 (never) or a count of 2 or more");
		return -EINVAL;
	}
	*dst = v;
	return 0;
}

int ifn_gen_opt_format(const struct ifn_gen_opts *o, const char *key, char *buf, size_t len)
{
	if (!strcmp(key, "generalise-peers"))
		snprintf(buf, len, "%u", o->peers_per_port);
	else if (!strcmp(key, "generalise-ports"))
		snprintf(buf, len, "%u", o->ports_per_peer);
	else if (!strcmp(key, "generalise-prefix-v4"))
		snprintf(buf, len, "%u", o->prefix_v4);
	else if (!strcmp(key, "generalise-prefix-v6"))
		snprintf(buf, len, "%u", o->prefix_v6);
	else if (!strcmp(key, "generalise-p2p"))
		snprintf(buf, len, "%u", o->p2p_per_peer);
	else if (!strcmp(key, "generalise-lan"))
		snprintf(buf, len, "%s", o->lan ? "on" : "off");
	else if (!strcmp(key, "generalise-siblings"))
		snprintf(buf, len, "%s", o->siblings ? "on" : "off");
	else
		return -EINVAL;
	return 0;
}

/* ---- planning ---- */

static bool has_ports(__u8 proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

/* ICMP types generalise over peers (echo to many hosts), not over ports. */
static bool peers_proto(__u8 proto)
{
	return has_ports(proto) || proto == 1 || proto == 58;
}

static bool candidate(const struct ifn_rule *r)
{
	return !r->l2 && r->origin == IFN_ORIGIN_LEARNED && ifn_rule_kind(r) == IFN_RULE_EXACT;
}

static void mask(const __u8 in[16], unsigned int plen, __u8 out[16])
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (plen >= (i + 1) * 8)
			out[i] = in[i];
		else if (plen > i * 8)
			out[i] = in[i] & (__u8)(0xff << (8 - (plen - i * 8)));
		else
			out[i] = 0;
	}
}

static bool in_prefix(const __u8 addr[16], const __u8 pfx[16], unsigned int plen)
{
	__u8 m[16];

	mask(addr, plen, m);
	return !memcmp(m, pfx, 16);
}

/* A learned name rule for one name: what sibling widening starts from. */
static bool name_candidate(const struct ifn_rule *r)
{
	return r->origin == IFN_ORIGIN_LEARNED && ifn_rule_kind(r) == IFN_RULE_NAME && !r->wild;
}

/* Does *.@suffix hold @name (a label more, at least)? */
static bool name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s + 1 && name[n - s - 1] == '.' && !strcmp(name + n - s, suffix);
}

static bool covers(const struct ifn_rule *g, const struct ifn_rule *f)
{
	if (g->proto != f->proto || g->dir != f->dir)
		return false;
	/* A name rule holds names only, and only a name rule holds a name. */
	if (ifn_rule_kind(g) == IFN_RULE_NAME || ifn_rule_kind(f) == IFN_RULE_NAME)
		return ifn_rule_kind(g) == IFN_RULE_NAME && ifn_rule_kind(f) == IFN_RULE_NAME &&
		       g->port == f->port && g->wild && name_under(f->name, g->name);
	if (g->lan)
		return g->port == f->port && ifn_addr_is_lan_fixed(f->peer);
	if (g->port_hi)
		return f->port >= g->port && f->port <= g->port_hi &&
		       in_prefix(f->peer, g->peer, g->plen);
	return (g->port_any || g->port == f->port) && in_prefix(f->peer, g->peer, g->plen);
}

/* A port of a peer-to-peer session: high, and of no service we know. */
static bool p2p_port(__u16 port)
{
	return port >= 1024 && !ifn_udp_known_service(port);
}

static int vec_add_unique(struct ifn_rule_vec *vc, const struct ifn_rule *r)
{
	size_t i;

	for (i = 0; i < vc->n; i++)
		if (ifn_rule_same(&vc->v[i], r))
			return 0;
	return ifn_rule_vec_push(vc, r);
}

/* Sort keys: by service (family, proto, port, dir) or by peer (peer, proto, dir). */
static int by_service(const void *pa, const void *pb)
{
	const struct ifn_rule *a = *(const struct ifn_rule *const *)pa;
	const struct ifn_rule *b = *(const struct ifn_rule *const *)pb;
	bool va = ifn_addr_is_v4(a->peer), vb = ifn_addr_is_v4(b->peer);

	if (va != vb)
		return va - vb;
	if (a->proto != b->proto)
		return a->proto - b->proto;
	if (a->port != b->port)
		return a->port - b->port;
	if (a->dir != b->dir)
		return a->dir - b->dir;
	return memcmp(a->peer, b->peer, 16);
}

static int by_peer(const void *pa, const void *pb)
{
	const struct ifn_rule *a = *(const struct ifn_rule *const *)pa;
	const struct ifn_rule *b = *(const struct ifn_rule *const *)pb;
	int c = memcmp(a->peer, b->peer, 16);

	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto - b->proto;
	if (a->dir != b->dir)
		return a->dir - b->dir;
	return a->port - b->port;
}

static bool same_service(const struct ifn_rule *a, const struct ifn_rule *b)
{
	return ifn_addr_is_v4(a->peer) == ifn_addr_is_v4(b->peer) && a->proto == b->proto &&
	       a->port == b->port && a->dir == b->dir;
}

static bool same_peer(const struct ifn_rule *a, const struct ifn_rule *b)
{
	return !memcmp(a->peer, b->peer, 16) && a->proto == b->proto && a->dir == b->dir;
}

static int peers_per_port(const struct ifn_rule **c, size_t nc, const struct ifn_gen_opts *o,
			  struct ifn_rule_vec *want)
{
	size_t i = 0, j, k;

	if (o->peers_per_port < 2)
		return 0;
	qsort(c, nc, sizeof(const struct ifn_rule *), by_service);
	for (; i < nc; i = j) {
		unsigned int w;

		for (j = i + 1; j < nc && same_service(c[i], c[j]); j++)
			;
		if (!peers_proto(c[i]->proto) || j - i < o->peers_per_port)
			continue;
		/* Over the mapped space: IPv4 /n is 96 + n. */
		w = ifn_addr_is_v4(c[i]->peer) ? 96 + o->prefix_v4 : o->prefix_v6;
		if (w >= 128)
			continue; /* nothing wider is allowed */
		for (k = i; k < j; k++) {
			struct ifn_rule r = *c[k];
			int err;

			mask(c[k]->peer, w, r.peer);
			r.plen = w;
			r.port_any = 0;
			r.origin = IFN_ORIGIN_GENERALISED;
			r.added_ns = 0;
			err = vec_add_unique(want, &r);
			if (err)
				return err;
		}
	}
	return 0;
}

static int ports_per_peer(const struct ifn_rule **c, size_t nc, const struct ifn_gen_opts *o,
			  struct ifn_rule_vec *want)
{
	size_t i = 0, j;

	if (o->ports_per_peer < 2 && o->p2p_per_peer < 2)
		return 0;
	qsort(c, nc, sizeof(const struct ifn_rule *), by_peer);
	for (; i < nc; i = j) {
		struct ifn_rule r;
		int err;

		size_t k;
		bool p2p = c[i]->proto == 17 && o->p2p_per_peer >= 2;

		for (j = i + 1; j < nc && same_peer(c[i], c[j]); j++)
			;
		for (k = i; k < j && p2p; k++)
			p2p = p2p_port(c[k]->port);
		p2p = p2p && j - i >= o->p2p_per_peer;
		if (!has_ports(c[i]->proto) ||
		    (!p2p && (o->ports_per_peer < 2 || j - i < o->ports_per_peer)))
			continue;
		r = *c[i];
		/* One trie entry per peer: the range, or every port when not all are high. */
		r.port = p2p ? 1024 : 0;
		r.port_hi = p2p ? 65535 : 0;
		r.port_any = 1;
		r.plen = 128;
		r.origin = IFN_ORIGIN_GENERALISED;
		r.added_ns = 0;
		err = vec_add_unique(want, &r);
		if (err)
			return err;
	}
	return 0;
}

/* Each service the device gives a LAN peer, to every LAN peer. */
static int lan_services(const struct ifn_rule **c, size_t nc, const struct ifn_gen_opts *o,
			struct ifn_rule_vec *want)
{
	size_t i;

	if (!o->lan)
		return 0;
	for (i = 0; i < nc; i++) {
		struct ifn_rule r;
		int err;

		if (c[i]->dir != IFN_DIR_SERVER || !peers_proto(c[i]->proto) ||
		    !ifn_addr_is_lan_fixed(c[i]->peer))
			continue;
		r = *c[i];
		memset(r.peer, 0, sizeof(r.peer));
		r.plen = 0;
		r.lan = 1;
		r.origin = IFN_ORIGIN_GENERALISED;
		r.added_ns = 0;
		err = vec_add_unique(want, &r);
		if (err)
			return err;
	}
	return 0;
}

/* Same protocol, port and direction, the same parent, another leftmost label. */
static bool siblings(const struct ifn_rule *a, const struct ifn_rule *b)
{
	const char *pa = strchr(a->name, '.'), *pb = strchr(b->name, '.');

	return a->proto == b->proto && a->port == b->port && a->dir == b->dir && pa && pb &&
	       !strcmp(pa, pb) && strcmp(a->name, b->name);
}

/* Each learned name of a numbered server, or with siblings, as *.parent. */
static int sibling_names(const struct ifn_rule *in, size_t n, const struct ifn_gen_opts *o,
			 struct ifn_rule_vec *want, enum ifn_widen *widen)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *parent;
		struct ifn_rule r;
		enum ifn_widen w;
		bool sib = false;
		int err;

		if (!o->siblings || !name_candidate(&in[i]))
			continue;
		for (j = 0; j < n && !sib; j++)
			sib = j != i && name_candidate(&in[j]) && siblings(&in[i], &in[j]);
		w = ifn_widen_name(in[i].name, sib, &parent);
		if (widen)
			widen[i] = w;
		if (!parent)
			continue;
		r = in[i];
		r.name = ifn_dns_name_intern(parent);
		if (!r.name)
			return -ENOMEM;
		r.wild = 1;
		r.origin = IFN_ORIGIN_GENERALISED;
		r.added_ns = 0;
		err = vec_add_unique(want, &r);
		if (err)
			return err;
	}
	return 0;
}

int ifn_gen_plan(const struct ifn_rule *in, size_t n, const struct ifn_gen_opts *o,
		 struct ifn_rule **out, bool *covered)
{
	return ifn_gen_plan_named(in, n, NULL, o, out, covered, NULL);
}

int ifn_gen_plan_named(const struct ifn_rule *in, size_t n, const bool *named,
		       const struct ifn_gen_opts *o, struct ifn_rule **out, bool *covered,
		       enum ifn_widen *widen)
{
	const struct ifn_rule **c = calloc(n ? n : 1, sizeof(const struct ifn_rule *));
	struct ifn_rule_vec want = {}, made = {};
	size_t nc = 0, i, j;
	int err;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		covered[i] = false;
		if (widen)
			widen[i] = IFN_WIDEN_NONE;
		if (candidate(&in[i]) && !(named && named[i]))
			c[nc++] = &in[i];
	}
	err = sibling_names(in, n, o, &want, widen);
	if (!err)
		err = lan_services(c, nc, o, &want);
	/* What local-networks covers needs no prefix or port rule besides. */
	for (i = 0, j = 0; !err && o->lan && i < nc; i++)
		if (!(c[i]->dir == IFN_DIR_SERVER && peers_proto(c[i]->proto) &&
		      ifn_addr_is_lan_fixed(c[i]->peer)))
			c[j++] = c[i];
	if (!err && o->lan)
		nc = j;
	if (!err)
		err = peers_per_port(c, nc, o, &want);
	if (!err)
		err = ports_per_peer(c, nc, o, &want);
	free(c);
	/*
	 * A flow is covered by what generalisation wants, whether it is made
	 * now or was made before (learned again since).
	 */
	for (i = 0; !err && i < n; i++) {
		if (!name_candidate(&in[i]) && (!candidate(&in[i]) || (named && named[i])))
			continue;
		for (j = 0; j < want.n && !covered[i]; j++)
			covered[i] = covers(&want.v[j], &in[i]);
	}
	for (j = 0; !err && j < want.n; j++) {
		bool exists = false;

		for (i = 0; i < n && !exists; i++)
			exists = ifn_rule_same(&want.v[j], &in[i]);
		if (!exists)
			err = vec_add_unique(&made, &want.v[j]);
	}
	free(want.v);
	if (err) {
		free(made.v);
		return err;
	}
	*out = made.v;
	return made.n;
}

/* ---- applying ---- */

/*
 * Which learned exact flows a name rule of the device admits now: the
 * peer holds a live name (ifn_dns) that a name rule on the flow's
 * protocol, port and direction matches, as the datapath would decide.
 */
static int named_flows(const struct ifn_maps *m, const struct ifn_rule *in, size_t n, __u64 now,
		       bool *named)
{
	struct ifn_config cfg;
	size_t i, j;
	int err = ifn_config_read(m, &cfg);

	if (err)
		return err;
	if (!now)
		now = ifn_now_mono();
	for (i = 0; i < n; i++) {
		struct ifn_resolved r;
		unsigned int k;

		named[i] = false;
		if (!candidate(&in[i]) ||
		    ifn_resolved_get(m, in[i].mac, in[i].peer, now, cfg.dns_min_ttl_ns, &r))
			continue;
		for (j = 0; j < n && !named[i]; j++) {
			const struct ifn_rule *nr = &in[j];

			if (ifn_rule_kind(nr) != IFN_RULE_NAME || nr->proto != in[i].proto ||
			    nr->dir != in[i].dir || nr->port != in[i].port)
				continue;
			for (k = 0; k < r.n && !named[i]; k++)
				named[i] = r.live[k] &&
					   ifn_resolved_rule_admits(m, cfg.dns_key, r.hash[k],
								    nr->name, nr->wild);
		}
	}
	return 0;
}

/* The names that looked numbered but whose parent is not safe to open. */
static void report_unwidened(FILE *f, const struct ifn_rule *in, size_t n,
			     const enum ifn_widen *widen)
{
	char rb[IFN_RULE_STRLEN];
	const char *zone;
	size_t i;

	for (i = 0; i < n; i++) {
		if (widen[i] == IFN_WIDEN_NONE || widen[i] == IFN_WIDEN_NUMBERED ||
		    widen[i] == IFN_WIDEN_SIBLINGS)
			continue;
		zone = widen[i] == IFN_WIDEN_SHARED ?
			       ifn_widen_shared(strchr(in[i].name, '.') + 1) :
			       NULL;
		fprintf(f, "  kept:   learned %s (not widened: %s%s%s)\n",
			ifn_rule_format(&in[i], rb, sizeof(rb)), ifn_widen_str(widen[i]),
			zone ? ", " : "", zone ? zone : "");
	}
}

static void report_plan(FILE *f, const __u8 mac[6], const struct ifn_rule *in, size_t n,
			const bool *covered, const bool *named, const enum ifn_widen *widen,
			const struct ifn_rule *made, int nmade)
{
	char mb[IFN_MAC_STRLEN], rb[IFN_RULE_STRLEN];
	size_t i, learned = 0, gone = 0, kept = 0;

	if (!f)
		return;
	for (i = 0; i < n; i++) {
		learned += in[i].origin == IFN_ORIGIN_LEARNED;
		gone += covered[i];
		kept += named[i];
	}
	ifn_fmt_mac(mac, mb);
	if (!nmade && !gone) {
		fprintf(f, "%s: nothing to generalise (%zu learned flow%s", mb, learned,
			learned == 1 ? "" : "s");
		if (kept)
			fprintf(f, ", %zu of them under name rules", kept);
		fprintf(f, ")\n");
		report_unwidened(f, in, n, widen);
		return;
	}
	fprintf(f, "%s: %zu of %zu learned flows -> %d rule%s; %zu learned flows stay\n", mb, gone,
		learned, nmade, nmade == 1 ? "" : "s", learned - gone);
	for (i = 0; i < n; i++)
		if (covered[i] && ifn_rule_kind(&in[i]) != IFN_RULE_NAME)
			fprintf(f, "  before: learned %s\n",
				ifn_rule_format(&in[i], rb, sizeof(rb)));
	for (i = 0; i < n; i++)
		if (covered[i] && ifn_rule_kind(&in[i]) == IFN_RULE_NAME)
			fprintf(f, "  widened: learned %s (%s)\n",
				ifn_rule_format(&in[i], rb, sizeof(rb)),
				widen[i] == IFN_WIDEN_NUMBERED || widen[i] == IFN_WIDEN_SIBLINGS ?
					ifn_widen_str(widen[i]) :
					"under a sibling's wildcard");
	for (i = 0; i < (size_t)nmade; i++)
		fprintf(f, "  after:  learned %s\n", ifn_rule_format(&made[i], rb, sizeof(rb)));
	for (i = 0; i < n; i++)
		if (named[i])
			fprintf(f, "  named:  learned %s (a name rule admits its peer: kept)\n",
				ifn_rule_format(&in[i], rb, sizeof(rb)));
	report_unwidened(f, in, n, widen);
}

static int generalise(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_gen_opts *o,
		      FILE *report, bool apply)
{
	struct ifn_rule *in = NULL, *made = NULL;
	bool *covered = NULL, *named = NULL;
	enum ifn_widen *widen = NULL;
	size_t n, i;
	int nmade, err, done = 0;

	err = ifn_rules_read(m, mac, &in, &n);
	if (err)
		return err;
	covered = calloc(n ? n : 1, sizeof(*covered));
	named = calloc(n ? n : 1, sizeof(*named));
	widen = calloc(n ? n : 1, sizeof(*widen));
	if (!covered || !named || !widen) {
		err = -ENOMEM;
		goto out;
	}
	err = named_flows(m, in, n, o->now, named);
	if (err)
		goto out;
	nmade = ifn_gen_plan_named(in, n, named, o, &made, covered, widen);
	if (nmade < 0) {
		err = nmade;
		goto out;
	}
	for (i = 0; made && i < (size_t)nmade; i++)
		memcpy(made[i].mac, mac, 6);
	if (apply) {
		/* New rules in before the flows they cover go: nothing is dropped between. */
		for (done = 0; done < nmade; done++) {
			err = ifn_rule_install(m, &made[done]);
			if (err)
				break;
		}
		if (err) {
			while (done-- > 0)
				ifn_rule_remove(m, &made[done]);
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (!covered[i])
				continue;
			err = ifn_rule_remove(m, &in[i]);
			if (err && err != -ENOENT)
				goto out; /* what is covered and still there is harmless */
		}
	}
	report_plan(report, mac, in, n, covered, named, widen, made, nmade);
	err = nmade;
out:
	free(in);
	free(made);
	free(covered);
	free(named);
	free(widen);
	return err;
}

int ifn_generalise(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_gen_opts *o,
		   FILE *report)
{
	return generalise(m, mac, o, report, true);
}

int ifn_generalise_preview(const struct ifn_maps *m, const __u8 mac[6],
			   const struct ifn_gen_opts *o, FILE *report)
{
	return generalise(m, mac, o, report, false);
}
