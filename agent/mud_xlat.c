// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mud_xlat.c - a (validated) MUD file's ACEs to policy statements, and the
 * mapping file of the ietf-mud abstractions.
 *
 * Import writes text, not rules: the policy parser stays the one judge of
 * what a rule may say (see mud.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "grow.h"
#include "mud.h"
#include "mud_json.h"
#include "mud_url.h"
#include "mud_xlat.h"
#include "parse.h"

/* ---- translation ---- */

struct xctx {
	const struct ifn_mud_opts *o;
	struct ifn_mud_xlat *x;
	struct verr e;
	bool oom;
	bool too_many; /* IFN_MUD_RULES_MAX reached, and said */
};

static void add_stmt(struct xctx *c, const char *text, const char *path)
{
	struct ifn_mud_stmt *s;
	size_t i;

	for (i = 0; i < c->x->n; i++)
		if (!strcmp(c->x->v[i].text, text))
			return; /* the other direction of the same rule */
	if (c->x->n >= IFN_MUD_RULES_MAX) {
		if (!c->too_many)
			mud_report(&c->e, path, "more than %d rules: not a device's profile",
				   IFN_MUD_RULES_MAX);
		c->too_many = true;
		return;
	}
	if (ifn_grow((void **)&c->x->v, &c->x->cap, c->x->n + 1, sizeof(*c->x->v), 16)) {
		c->oom = true;
		return;
	}
	s = &c->x->v[c->x->n++];
	snprintf(s->text, sizeof(s->text), "%s", text);
	snprintf(s->path, sizeof(s->path), "%s", path);
}

/* The keys an object may have; any other is refused with its path. */
static bool only_keys(struct xctx *c, json_t *obj, const char *base, const char *const *keys,
		      const char *why)
{
	const char *k;
	json_t *j;
	bool ok = true;

	json_object_foreach(obj, k, j)
	{
		const char *const *w;
		char p[IFN_MUD_PATH_MAX];

		for (w = keys; *w && strcmp(*w, k); w++)
			;
		if (*w)
			continue;
		mud_sub(p, base, k);
		mud_report(&c->e, p, "not supported: %s", why);
		ok = false;
	}
	return ok;
}

/* Ports lo..hi of one side; lo < 0: any port. */
struct prange {
	int lo, hi;
};

/*
 * A port match as a range, or a refusal. The policy grammar matches one
 * port or any: a range of every port is any port, a small range becomes a
 * rule per port (at most IFN_MUD_RANGE_MAX), and what would take more (or
 * "all but one", neq) is refused, never widened.
 */
static int port_of(struct xctx *c, json_t *l4, const char *base, const char *key, struct prange *r)
{
	json_t *po = json_object_get(l4, key), *op;
	char p[IFN_MUD_PATH_MAX];
	json_int_t lo, hi;
	const char *ops;

	r->lo = r->hi = -1;
	if (!po)
		return 0;
	mud_sub(p, base, key);
	if (json_object_get(po, "lower-port")) {
		lo = json_integer_value(json_object_get(po, "lower-port"));
		hi = json_integer_value(json_object_get(po, "upper-port"));
	} else {
		op = json_object_get(po, "operator");
		ops = op ? json_string_value(op) : "eq";
		lo = hi = json_integer_value(json_object_get(po, "port"));
		if (!strcmp(ops, "lte")) {
			lo = 0;
		} else if (!strcmp(ops, "gte")) {
			hi = 65535;
		} else if (strcmp(ops, "eq")) {
			mud_report(&c->e, p,
				   "operator '%s': every port but %lld is no port and no range of "
				   "ports a rule can match",
				   ops, (long long)lo);
			return -EINVAL;
		}
	}
	/* Port 0 is no port a frame is sent to: a range from it starts at 1. */
	if (lo < 1)
		lo = 1;
	if (hi < 1) {
		mud_report(&c->e, p, "port 0 cannot be matched");
		return -EINVAL;
	}
	if (lo == 1 && hi == 65535)
		return 0; /* every port: any */
	if (hi - lo + 1 > IFN_MUD_RANGE_MAX) {
		mud_report(&c->e, p,
			   "the port range %lld-%lld: import makes one rule per port of a range of "
			   "at most %d ports (the policy grammar has no ranges), and a wider rule "
			   "would allow more than the file does",
			   (long long)lo, (long long)hi, IFN_MUD_RANGE_MAX);
		return -EINVAL;
	}
	r->lo = (int)lo;
	r->hi = (int)hi;
	return 0;
}

/* The peers an ietf-mud abstraction stands for, from the mapping. */
static int mud_peers(struct xctx *c, json_t *mm, const char *base, const char **peers, size_t *np,
		     size_t max)
{
	static const char *const keys[] = { "local-networks",
					    "same-manufacturer",
					    "manufacturer",
					    "model",
					    "controller",
					    "my-controller",
					    NULL };
	char p[IFN_MUD_PATH_MAX], auth[IFN_MUD_URL_MAX + 1] = "";
	enum ifn_mud_abstr kind;
	const char *k, *key = NULL;
	json_t *j;
	size_t i;

	*np = 0;
	if (!only_keys(c, mm, base, keys, "an ietf-mud match this translator does not know"))
		return -EINVAL;
	if (json_object_size(mm) != 1) {
		mud_report(&c->e, base, "%s: one abstraction per ace",
			   json_object_size(mm) ? "more than one match" : "no match");
		return -EINVAL;
	}
	json_object_foreach(mm, k, j) break;
	mud_sub(p, base, k);
	if (!strcmp(k, "local-networks")) {
		/* The peer word of the answers issue's grammar (iotfence.8, MUD). */
		peers[(*np)++] = "local-networks";
		return 0;
	}
	if (!strcmp(k, "my-controller")) {
		kind = IFN_MUD_MY_CONTROLLER;
	} else if (!strcmp(k, "same-manufacturer")) {
		kind = IFN_MUD_SAME_MANUFACTURER;
		ifn_mud_url_authority(c->x->url, auth, sizeof(auth));
		key = auth;
	} else {
		if (!json_is_string(j)) {
			mud_report(&c->e, p, "must be a string, not %s", mud_jtype(j));
			return -EINVAL;
		}
		key = json_string_value(j);
		kind = !strcmp(k, "manufacturer") ? IFN_MUD_MANUFACTURER :
		       !strcmp(k, "model")	  ? IFN_MUD_MODEL :
						    IFN_MUD_CONTROLLER;
	}
	for (i = 0; i < c->o->n_map; i++) {
		const struct ifn_mud_map_entry *me = &c->o->map[i];

		if (me->kind != kind)
			continue;
		/*
		 * same-manufacturer: a mapping line (no key) always; a device seen
		 * with a MUD URL (mud_cmd.c, keyed by its authority) when it is ours.
		 */
		if (kind != IFN_MUD_MY_CONTROLLER && strcmp(me->key, key) &&
		    !(kind == IFN_MUD_SAME_MANUFACTURER && !me->key[0]))
			continue;
		if (*np < max)
			peers[(*np)++] = me->peer;
	}
	if (!*np) {
		if (kind == IFN_MUD_MY_CONTROLLER || kind == IFN_MUD_SAME_MANUFACTURER)
			mud_report(&c->e, p,
				   "no peer for %s in the mapping (a line '%s PEER' in --map FILE)",
				   k, k);
		else
			mud_report(
				&c->e, p,
				"no peer for %s '%.100s' in the mapping (a line '%s %.100s PEER' in "
				"--map FILE)",
				k, key, k, key);
		return -EINVAL;
	}
	return 0;
}

#define MAX_PEERS 32

static void x_ace(struct xctx *c, json_t *ace, const char *pa, bool from, bool v6)
{
	static const char *const ace_keys[] = { "name", "matches", "actions", NULL };
	static const char *const match_keys[] = { "ipv4", "ipv6",	  "tcp", "udp",
						  "icmp", "ietf-mud:mud", NULL };
	static const char *const v4_keys[] = { "protocol",
					       "destination-ipv4-network",
					       "source-ipv4-network",
					       "ietf-acldns:dst-dnsname",
					       "ietf-acldns:src-dnsname",
					       NULL };
	static const char *const v6_keys[] = { "protocol",
					       "destination-ipv6-network",
					       "source-ipv6-network",
					       "ietf-acldns:dst-dnsname",
					       "ietf-acldns:src-dnsname",
					       NULL };
	static const char *const tcp_keys[] = { "source-port", "destination-port",
						"ietf-mud:direction-initiated", NULL };
	static const char *const udp_keys[] = { "source-port", "destination-port", NULL };
	static const char *const icmp_keys[] = { "type", NULL };
	char pm[IFN_MUD_PATH_MAX], p[IFN_MUD_PATH_MAX], text[IFN_MUD_STMT_MAX];
	char name_peer[IFN_MUD_URL_MAX + 8];
	const char *peers[MAX_PEERS], *fwd, *l4name = NULL, *dirs = NULL;
	json_t *m, *l3, *l4 = NULL, *mm, *j;
	struct prange peer_port, dev_port, port = { -1, -1 };
	int proto = -1, pn;
	bool server = false;
	size_t np = 0, i;
	unsigned int before = c->e.n;

	only_keys(c, ace, pa, ace_keys, "an ace has a name, matches and actions");
	mud_sub(p, pa, "actions");
	only_keys(c, json_object_get(ace, "actions"), p,
		  (const char *const[]){ "forwarding", NULL }, "the only action is forwarding");
	fwd = json_string_value(json_object_get(json_object_get(ace, "actions"), "forwarding"));
	if (fwd && strcmp(fwd, "accept")) {
		mud_sub(p, p, "forwarding");
		mud_report(
			&c->e, p,
			"'%s': a fingerprint lists what is allowed, and drops the rest by itself",
			fwd);
	}
	m = json_object_get(ace, "matches");
	mud_sub(pm, pa, "matches");
	only_keys(c, m, pm, match_keys,
		  "a rule matches IPv4 or IPv6 with TCP, UDP or ICMP (an Ethernet match has no "
		  "place in an IP rule)");
	if (json_object_get(m, v6 ? "ipv4" : "ipv6")) {
		mud_sub(p, pm, v6 ? "ipv4" : "ipv6");
		mud_report(&c->e, p, "an %s match in an %s acl", v6 ? "ipv4" : "ipv6",
			   v6 ? "ipv6" : "ipv4");
	}
	l3 = json_object_get(m, v6 ? "ipv6" : "ipv4");
	if (l3) {
		mud_sub(p, pm, v6 ? "ipv6" : "ipv4");
		only_keys(c, l3, p, v6 ? v6_keys : v4_keys,
			  "a rule matches the protocol and the peer's network or name");
		j = json_object_get(l3, "protocol");
		if (j)
			proto = (int)json_integer_value(j);
	}
	for (i = 0; i < 3; i++) {
		const char *n = i == 0 ? "tcp" : i == 1 ? "udp" : "icmp";
		int want = i == 0 ? 6 : i == 1 ? 17 : v6 ? 58 : 1;

		j = json_object_get(m, n);
		if (!j)
			continue;
		mud_sub(p, pm, n);
		if (l4) {
			mud_report(&c->e, p, "a second transport match (%s and %s)", l4name, n);
			continue;
		}
		l4 = j;
		l4name = n;
		if (proto >= 0 && proto != want)
			mud_report(&c->e, p, "a %s match with protocol %d", n, proto);
		proto = want;
		only_keys(c, l4, p,
			  i == 0 ? tcp_keys :
			  i == 1 ? udp_keys :
				   icmp_keys,
			  i == 2 ? "a rule matches the ICMP type only" :
				   "a rule matches ports and, for TCP, who initiates");
	}
	if (proto < 0) {
		mud_report(&c->e, pm, "no protocol: a rule names one (tcp, udp, icmp)");
		return;
	}
	if (proto != 6 && proto != 17 && proto != 1 && proto != 58) {
		mud_sub(p, pm, v6 ? "ipv6/protocol" : "ipv4/protocol");
		mud_report(&c->e, p, "protocol %d: MUD import takes TCP, UDP and ICMP", proto);
		return;
	}
	if (proto == 1 && v6) {
		mud_sub(p, pm, "ipv6/protocol");
		mud_report(&c->e, p, "protocol 1 (ICMP for IPv4) in an ipv6 acl");
		return;
	}
	if (proto == 58 && !v6) {
		mud_sub(p, pm, "ipv4/protocol");
		mud_report(&c->e, p, "protocol 58 (ICMPv6) in an ipv4 acl");
		return;
	}

	/* The peer: the far side of the packet the acl sees. */
	if (l3) {
		const char *pn_key =
			from ? (v6 ? "destination-ipv6-network" : "destination-ipv4-network") :
			       (v6 ? "source-ipv6-network" : "source-ipv4-network");
		const char *dn_key =
			from ? (v6 ? "source-ipv6-network" : "source-ipv4-network") :
			       (v6 ? "destination-ipv6-network" : "destination-ipv4-network");
		const char *pd_key = from ? "ietf-acldns:dst-dnsname" : "ietf-acldns:src-dnsname";
		const char *dd_key = from ? "ietf-acldns:src-dnsname" : "ietf-acldns:dst-dnsname";
		char l3p[IFN_MUD_PATH_MAX];

		mud_sub(l3p, pm, v6 ? "ipv6" : "ipv4");
		if (json_object_get(l3, dn_key) || json_object_get(l3, dd_key)) {
			mud_sub(p, l3p, json_object_get(l3, dn_key) ? dn_key : dd_key);
			mud_report(
				&c->e, p,
				"a match on the device's own side: iotfence knows the device by its "
				"MAC");
		}
		j = json_object_get(l3, pn_key);
		if (j) {
			__u8 a[16], plen;
			char why[IFN_ERRLEN];

			mud_sub(p, l3p, pn_key);
			if (ifn_parse_cidr(json_string_value(j), a, &plen, why, sizeof(why)) ||
			    ifn_addr_is_v4(a) == v6) {
				mud_report(&c->e, p, "'%.60s' is not an %s prefix%s%s",
					   json_string_value(j), v6 ? "IPv6" : "IPv4",
					   ifn_addr_is_v4(a) == v6 ? "" : ": ",
					   ifn_addr_is_v4(a) == v6 ? "" : why);
			} else {
				peers[np++] = json_string_value(j);
			}
		}
		j = json_object_get(l3, pd_key);
		if (j) {
			/* The DNS issue's grammar: "allow PROTO/PORT name NAME". */
			snprintf(name_peer, sizeof(name_peer), "name %.255s", json_string_value(j));
			if (np) {
				mud_sub(p, l3p, pd_key);
				mud_report(&c->e, p, "a name and a network in one ace");
			} else {
				peers[np++] = name_peer;
			}
		}
	}
	mm = json_object_get(m, "ietf-mud:mud");
	if (mm) {
		mud_sub(p, pm, "ietf-mud:mud");
		if (np) {
			mud_report(&c->e, p, "an abstraction with a network or a name in one ace");
		} else if (!json_is_object(mm)) {
			mud_report(&c->e, p, "must be an object, not %s", mud_jtype(mm));
		} else {
			mud_peers(c, mm, p, peers, &np, MAX_PEERS);
		}
	}

	/* Ports and direction. */
	if (l4 && proto != 1 && proto != 58) {
		mud_sub(p, pm, l4name);
		port_of(c, l4, p, from ? "destination-port" : "source-port", &peer_port);
		port_of(c, l4, p, from ? "source-port" : "destination-port", &dev_port);
		dirs = json_string_value(json_object_get(l4, "ietf-mud:direction-initiated"));
		if (peer_port.lo > 0 && dev_port.lo > 0) {
			mud_report(
				&c->e, p,
				"both a source and a destination port: a rule matches the port of "
				"the side that serves");
		} else if (peer_port.lo > 0) {
			port = peer_port;
			if (dirs && !strcmp(dirs, "to-device")) {
				char pd[IFN_MUD_PATH_MAX];

				mud_sub(pd, p, "ietf-mud:direction-initiated");
				mud_report(
					&c->e, pd,
					"to-device with the peer's port: the device would serve a port "
					"it does not listen on");
			}
		} else if (dev_port.lo > 0) {
			port = dev_port;
			server = true;
			if (dirs && !strcmp(dirs, "from-device")) {
				char pd[IFN_MUD_PATH_MAX];

				mud_sub(pd, p, "ietf-mud:direction-initiated");
				mud_report(
					&c->e, pd,
					"from-device with the device's port: the device would connect "
					"from a fixed port");
			}
		} else {
			server = dirs && !strcmp(dirs, "to-device");
		}
	} else if (l4) {
		/* ICMP: the type of what the acl sees; from the device it asks, to it answers. */
		j = json_object_get(l4, "type");
		if (j)
			port.lo = port.hi = (int)json_integer_value(j);
		server = !from;
	} else {
		server = false;
	}
	if (c->e.n != before)
		return;
	if (!np)
		peers[np++] = "any";
	for (i = 0; i < np; i++) {
		char pb[8];
		const char *pname = proto == 58 ? "icmpv6" : ifn_proto_name(proto, pb);

		if (port.lo < 0) {
			snprintf(text, sizeof(text), "%s %s%s", pname, peers[i],
				 server ? " server" : "");
			add_stmt(c, text, pa);
			continue;
		}
		for (pn = port.lo; pn <= port.hi; pn++) {
			snprintf(text, sizeof(text), "%s/%d %s%s", pname, pn, peers[i],
				 server ? " server" : "");
			add_stmt(c, text, pa);
		}
	}
}

static json_t *find_acl(json_t *acls, const char *name, size_t *idx)
{
	json_t *a;
	size_t i;

	json_array_foreach(acls, i, a)
	{
		const char *n = json_string_value(json_object_get(a, "name"));

		if (n && !strcmp(n, name)) {
			*idx = i;
			return a;
		}
	}
	return NULL;
}

static void x_policy(struct xctx *c, json_t *mud, json_t *acls, bool from, bool *used)
{
	json_t *list =
		json_object_get(json_object_get(json_object_get(mud, from ? "from-device-policy" :
									    "to-device-policy"),
						"access-lists"),
				"access-list");
	char pa[IFN_MUD_PATH_MAX], pe[IFN_MUD_PATH_MAX], p[IFN_MUD_PATH_MAX];
	json_t *ref, *acl, *ace;
	size_t i, k, idx;

	json_array_foreach(list, i, ref)
	{
		const char *type;
		bool v6;

		acl = find_acl(acls, json_string_value(json_object_get(ref, "name")), &idx);
		if (!acl)
			continue; /* the validator said so */
		used[idx] = true;
		mud_entry(pa, "/" ACLS_ROOT, "acl", acl, idx);
		type = json_string_value(json_object_get(acl, "type"));
		if (!type) {
			/* Without a type, the family of the matches decides. */
			json_t *first = json_array_get(
				json_object_get(json_object_get(acl, "aces"), "ace"), 0);

			type = json_object_get(json_object_get(first, "matches"), "ipv6") ?
				       "ipv6-acl-type" :
				       "ipv4-acl-type";
		}
		if (strcmp(type, "ipv4-acl-type") && strcmp(type, "ipv6-acl-type")) {
			mud_sub(p, pa, "type");
			mud_report(&c->e, p,
				   "not supported: %s (MUD import takes ipv4-acl-type and "
				   "ipv6-acl-type)",
				   type);
			continue;
		}
		v6 = !strcmp(type, "ipv6-acl-type");
		mud_sub(p, pa, "aces");
		json_array_foreach(json_object_get(json_object_get(acl, "aces"), "ace"), k, ace)
		{
			mud_entry(pe, p, "ace", ace, k);
			x_ace(c, ace, pe, from, v6);
		}
	}
}

int ifn_mud_translate(json_t *root, const struct ifn_mud_opts *o, struct ifn_mud_xlat *x,
		      ifn_mud_err_fn err, void *ctx)
{
	static const char *const mud_keys[] = { "mud-version",	    "mud-url",
						"last-update",	    "mud-signature",
						"cache-validity",   "is-supported",
						"systeminfo",	    "mfg-name",
						"model-name",	    "firmware-rev",
						"software-rev",	    "documentation",
						"extensions",	    "from-device-policy",
						"to-device-policy", NULL };
	static const struct ifn_mud_opts none = {};
	struct xctx c = { .o = o ? o : &none, .x = x, .e = { err, ctx, 0 } };
	json_t *mud = json_object_get(root, MUD_ROOT);
	json_t *acls = json_object_get(json_object_get(root, ACLS_ROOT), "acl");
	const char *k;
	json_t *j;
	bool *used;
	size_t i;

	memset(x, 0, sizeof(*x));
	snprintf(x->url, sizeof(x->url), "%s",
		 json_string_value(json_object_get(mud, "mud-url")) ?: "");
	snprintf(x->systeminfo, sizeof(x->systeminfo), "%s",
		 json_string_value(json_object_get(mud, "systeminfo")) ?: "");
	/* Another root is another module's (an extension's): not understood. */
	json_object_foreach(root, k, j)
	{
		char p[IFN_MUD_PATH_MAX];

		if (!strcmp(k, MUD_ROOT) || !strcmp(k, ACLS_ROOT))
			continue;
		snprintf(p, sizeof(p), "/%s", k);
		mud_report(&c.e, p, "not supported: a container outside ietf-mud and its acls");
	}
	only_keys(&c, mud, "/" MUD_ROOT, mud_keys,
		  "an extension (RFC 8520, section 3.9) this importer does not implement");
	json_array_foreach(json_object_get(mud, "extensions"), i, j)
	{
		char p[IFN_MUD_PATH_MAX];

		snprintf(p, sizeof(p), "/%s/extensions[%zu]", MUD_ROOT, i);
		mud_report(&c.e, p,
			   "extension '%.60s' is not implemented: its meaning would be lost",
			   json_string_value(j) ?: "");
	}
	used = calloc(json_array_size(acls) + 1, sizeof(*used));
	if (!used)
		return -ENOMEM;
	x_policy(&c, mud, acls, true, used);
	x_policy(&c, mud, acls, false, used);
	json_array_foreach(acls, i, j)
	{
		char p[IFN_MUD_PATH_MAX];

		if (used[i])
			continue;
		mud_entry(p, "/" ACLS_ROOT, "acl", j, i);
		mud_report(&c.e, p, "no from-device-policy or to-device-policy names this acl");
	}
	free(used);
	if (!c.o->no_defaults) {
		/* RFC 8520's default: a device may always resolve names and set its clock. */
		add_stmt(&c, "udp/53 any", "");
		add_stmt(&c, "tcp/53 any", "");
		add_stmt(&c, "udp/123 any", "");
	}
	if (c.oom) {
		ifn_mud_xlat_free(x);
		return -ENOMEM;
	}
	return (int)c.e.n;
}

void ifn_mud_xlat_free(struct ifn_mud_xlat *x)
{
	free(x->v);
	memset(x, 0, sizeof(*x));
}

/* ---- the mapping file ---- */

int ifn_mud_map_load(const char *path, struct ifn_mud_map_entry **out, size_t *n)
{
	struct ifn_mud_map_entry *v = NULL;
	size_t cap = 0, cnt = 0;
	unsigned int lineno = 0, bad = 0;
	char line[1024];
	FILE *f;

	*out = NULL;
	*n = 0;
	f = fopen(path, "re");
	if (!f) {
		int err = -errno;

		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-err));
		return err;
	}
	while (fgets(line, sizeof(line), f)) {
		char *w[4], *save = NULL, *t;
		struct ifn_mud_map_entry e = {};
		int nw = 0, need_key;

		lineno++;
		for (t = strtok_r(line, " \t\r\n", &save); t;
		     t = strtok_r(NULL, " \t\r\n", &save)) {
			if (t[0] == '#')
				break;
			if (nw == 4) {
				nw++;
				break;
			}
			w[nw++] = t;
		}
		if (!nw)
			continue;
		if (!strcmp(w[0], "my-controller"))
			e.kind = IFN_MUD_MY_CONTROLLER;
		else if (!strcmp(w[0], "same-manufacturer"))
			e.kind = IFN_MUD_SAME_MANUFACTURER;
		else if (!strcmp(w[0], "controller"))
			e.kind = IFN_MUD_CONTROLLER;
		else if (!strcmp(w[0], "manufacturer"))
			e.kind = IFN_MUD_MANUFACTURER;
		else if (!strcmp(w[0], "model"))
			e.kind = IFN_MUD_MODEL;
		else {
			fprintf(stderr,
				"%s:%u: '%.40s' is not my-controller, controller, manufacturer, "
				"same-manufacturer or model\n",
				path, lineno, w[0]);
			bad++;
			continue;
		}
		need_key = e.kind == IFN_MUD_CONTROLLER || e.kind == IFN_MUD_MANUFACTURER ||
			   e.kind == IFN_MUD_MODEL;
		/* PEER is one word, or two for "name NAME". */
		if (nw < 2 + need_key || (nw == 3 + need_key && strcmp(w[1 + need_key], "name")) ||
		    (nw == 2 + need_key && !strcmp(w[1 + need_key], "name")) || nw > 3 + need_key) {
			fprintf(stderr,
				"%s:%u: %s%s PEER (an address, a prefix, any, "
				"local-networks or name NAME)\n",
				path, lineno, w[0], need_key ? " KEY" : "");
			bad++;
			continue;
		}
		if (need_key)
			snprintf(e.key, sizeof(e.key), "%s", w[1]);
		if (nw == 3 + need_key)
			snprintf(e.peer, sizeof(e.peer), "name %.255s", w[2 + need_key]);
		else
			snprintf(e.peer, sizeof(e.peer), "%s", w[1 + need_key]);
		if (ifn_grow((void **)&v, &cap, cnt + 1, sizeof(*v), 8)) {
			free(v);
			fclose(f);
			return -ENOMEM;
		}
		v[cnt++] = e;
	}
	fclose(f);
	if (bad) {
		free(v);
		return -EINVAL;
	}
	*out = v;
	*n = cnt;
	return 0;
}
