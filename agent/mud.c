// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mud.c - RFC 8520 MUD files to policy statements and back; the structural
 * validator; the mapping file; MUD URLs from DHCP and their table.
 *
 * Import writes text, not rules: the policy parser stays the one judge of
 * what a rule may say (see mud.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "format.h"
#include "grow.h"
#include "mud.h"
#include "parse.h"
#include "state.h"

#define MUD_ROOT "ietf-mud:mud"
#define ACLS_ROOT "ietf-access-control-list:acls"

/* ---- paths and errors ---- */

struct verr {
	ifn_mud_err_fn fn;
	void *ctx;
	unsigned int n;
};

static void report(struct verr *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(struct verr *e, const char *path, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->n++;
	if (e->fn)
		e->fn(e->ctx, path, msg);
}

/*
 * @base/@key, as the YANG JSON encoding names nodes; @out may be @base.
 * A path too long for the buffer is cut: it is only ever printed.
 */
static void sub(char *out, const char *base, const char *key)
{
	size_t lb = strnlen(base, IFN_MUD_PATH_MAX - 1), lk = strlen(key);

	if (out != base)
		memcpy(out, base, lb);
	if (lb + 1 + lk >= IFN_MUD_PATH_MAX)
		lk = lb + 1 < IFN_MUD_PATH_MAX - 1 ? IFN_MUD_PATH_MAX - 2 - lb : 0;
	if (lb + 1 < IFN_MUD_PATH_MAX - 1) {
		out[lb] = '/';
		memcpy(out + lb + 1, key, lk);
		out[lb + 1 + lk] = '\0';
	} else {
		out[lb] = '\0';
	}
}

/* A list entry by its key when it has one (acl[name='x']), else by index. */
static void entry(char *out, const char *base, const char *list, json_t *e, size_t i)
{
	const char *name = json_string_value(json_object_get(e, "name"));

	if (name && strlen(name) < 64)
		snprintf(out, IFN_MUD_PATH_MAX, "%s/%s[name='%s']", base, list, name);
	else
		snprintf(out, IFN_MUD_PATH_MAX, "%s/%s[%zu]", base, list, i);
}

static const char *jtype(json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

json_t *ifn_mud_load(const char *path)
{
	json_error_t je;
	json_t *root;

	/* Duplicate keys would make "which one counts" a guess: refused. */
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (je.line > 0)
			fprintf(stderr, "%s:%d:%d: %s\n", path, je.line, je.column, je.text);
		else
			fprintf(stderr, "%s: %s\n", path, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		fprintf(stderr, "%s: /: a MUD file is a JSON object, not %s\n", path, jtype(root));
		json_decref(root);
		return NULL;
	}
	return root;
}

/* ---- the structural validator ---- */

/* "yyyy-mm-ddThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)", YANG's date-and-time. */
static bool date_and_time(const char *s)
{
	int Y, M, D, h, m, sec, n = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", /* NOLINT(cert-err34-c) */
		   &Y, &M, &D, &h, &m, &sec, &n) != 6 ||
	    n != 19)
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return false;
	s += n;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (!strcmp(s, "Z"))
		return true;
	return (s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
	       isdigit((unsigned char)s[5]) && !s[6];
}

bool ifn_mud_url_valid(const char *url)
{
	size_t i, n = strlen(url);

	if (n <= 8 || n > IFN_MUD_URL_MAX || strncmp(url, "https://", 8))
		return false;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)url[i]))
			return false;
	return url[8] != '/';
}

int ifn_mud_url_authority(const char *url, char *buf, size_t len)
{
	const char *a, *end;

	if (!ifn_mud_url_valid(url))
		return -EINVAL;
	a = url + 8;
	end = a + strcspn(a, "/?#");
	if (end == a || (size_t)(end - a) >= len)
		return -EINVAL;
	memcpy(buf, a, end - a);
	buf[end - a] = '\0';
	return 0;
}

int ifn_mud_url_filename(const char *url, char *buf, size_t len)
{
	const char *s;
	size_t o = 0, n;

	if (!ifn_mud_url_valid(url) || !len)
		return -EINVAL;
	for (s = url + 8; *s; s++) {
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		buf[o++] = (isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_') ?
				   *s :
				   '_';
	}
	buf[o] = '\0';
	n = o;
	if (n < 5 || strcmp(buf + n - 5, ".json")) {
		if (n + 6 > len)
			return -ENAMETOOLONG;
		memcpy(buf + n, ".json", 6);
	}
	/* "." and ".." cannot come out (an authority is there), nor a '/'. */
	return buf[0] == '.' ? -EINVAL : 0;
}

struct vctx {
	struct verr e;
	json_t *acls; /* the acl array, or NULL */
};

static json_t *need(struct vctx *v, json_t *obj, const char *base, const char *key, json_type type,
		    const char *what)
{
	json_t *j = json_object_get(obj, key);
	char p[IFN_MUD_PATH_MAX];

	sub(p, base, key);
	if (!j) {
		report(&v->e, p, "missing (%s is required)", what);
		return NULL;
	}
	if (json_typeof(j) != type && !(type == JSON_TRUE && json_is_boolean(j))) {
		report(&v->e, p, "must be %s, not %s", what, jtype(j));
		return NULL;
	}
	return j;
}

static json_t *maybe(struct vctx *v, json_t *obj, const char *base, const char *key, json_type type,
		     const char *what)
{
	return json_object_get(obj, key) ? need(v, obj, base, key, type, what) : NULL;
}

static bool acl_exists(struct vctx *v, const char *name)
{
	size_t i;
	json_t *a;

	json_array_foreach(v->acls, i, a)
	{
		const char *n = json_string_value(json_object_get(a, "name"));

		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

static void v_policy(struct vctx *v, json_t *mud, const char *base, const char *key)
{
	char p[IFN_MUD_PATH_MAX], pl[IFN_MUD_PATH_MAX], pe[IFN_MUD_PATH_MAX];
	json_t *pol, *al, *list, *e;
	size_t i;

	sub(p, base, key);
	pol = maybe(v, mud, base, key, JSON_OBJECT, "an object");
	if (!pol)
		return;
	al = need(v, pol, p, "access-lists", JSON_OBJECT, "an object");
	if (!al)
		return;
	sub(pl, p, "access-lists");
	list = need(v, al, pl, "access-list", JSON_ARRAY, "an array");
	if (!list)
		return;
	json_array_foreach(list, i, e)
	{
		json_t *n;

		entry(pe, pl, "access-list", e, i);
		if (!json_is_object(e)) {
			report(&v->e, pe, "must be an object, not %s", jtype(e));
			continue;
		}
		n = need(v, e, pe, "name", JSON_STRING, "a string (the name of an acl)");
		if (n && !acl_exists(v, json_string_value(n))) {
			sub(p, pe, "name");
			report(&v->e, p, "no acl named '%s' in /%s/acl", json_string_value(n),
			       ACLS_ROOT);
		}
	}
}

static void v_port(struct vctx *v, json_t *l4, const char *base, const char *key)
{
	char p[IFN_MUD_PATH_MAX];
	json_t *po = json_object_get(l4, key), *j;
	json_int_t lo, hi;

	if (!po)
		return;
	sub(p, base, key);
	if (!json_is_object(po)) {
		report(&v->e, p, "must be an object, not %s", jtype(po));
		return;
	}
	if (json_object_get(po, "lower-port") || json_object_get(po, "upper-port")) {
		j = need(v, po, p, "lower-port", JSON_INTEGER, "an integer (0-65535)");
		lo = j ? json_integer_value(j) : 0;
		j = need(v, po, p, "upper-port", JSON_INTEGER, "an integer (0-65535)");
		hi = j ? json_integer_value(j) : 0;
		if (lo < 0 || lo > 65535 || hi < 0 || hi > 65535 || lo > hi)
			report(&v->e, p, "lower-port and upper-port must be 0-65535, lower first");
		return;
	}
	j = need(v, po, p, "port", JSON_INTEGER, "an integer (0-65535)");
	if (j && (json_integer_value(j) < 0 || json_integer_value(j) > 65535)) {
		char pp[IFN_MUD_PATH_MAX];

		sub(pp, p, "port");
		report(&v->e, pp, "must be 0-65535");
	}
	j = maybe(v, po, p, "operator", JSON_STRING, "a string (eq, lte, gte, neq)");
	if (j && strcmp(json_string_value(j), "eq") && strcmp(json_string_value(j), "lte") &&
	    strcmp(json_string_value(j), "gte") && strcmp(json_string_value(j), "neq")) {
		char pp[IFN_MUD_PATH_MAX];

		sub(pp, p, "operator");
		report(&v->e, pp, "'%s' is not an operator (eq, lte, gte, neq)",
		       json_string_value(j));
	}
}

static void v_ace(struct vctx *v, json_t *ace, const char *pa)
{
	char p[IFN_MUD_PATH_MAX], pp[IFN_MUD_PATH_MAX];
	json_t *m, *a, *j;
	const char *k;

	need(v, ace, pa, "name", JSON_STRING, "a string");
	m = need(v, ace, pa, "matches", JSON_OBJECT, "an object");
	a = need(v, ace, pa, "actions", JSON_OBJECT, "an object");
	if (a) {
		sub(p, pa, "actions");
		j = need(v, a, p, "forwarding", JSON_STRING, "a string (accept, drop, reject)");
		if (j && strcmp(json_string_value(j), "accept") &&
		    strcmp(json_string_value(j), "drop") &&
		    strcmp(json_string_value(j), "reject")) {
			sub(pp, p, "forwarding");
			report(&v->e, pp, "'%s' is not accept, drop or reject",
			       json_string_value(j));
		}
	}
	if (!m)
		return;
	sub(p, pa, "matches");
	json_object_foreach(m, k, j)
	{
		sub(pp, p, k);
		if (!json_is_object(j)) {
			report(&v->e, pp, "must be an object, not %s", jtype(j));
			continue;
		}
		if (!strcmp(k, "ipv4") || !strcmp(k, "ipv6")) {
			json_t *pr =
				maybe(v, j, pp, "protocol", JSON_INTEGER, "an integer (0-255)");
			const char *nk;
			json_t *nv;

			if (pr && (json_integer_value(pr) < 0 || json_integer_value(pr) > 255)) {
				char p3[IFN_MUD_PATH_MAX];

				sub(p3, pp, "protocol");
				report(&v->e, p3, "must be 0-255");
			}
			json_object_foreach(j, nk, nv)
			{
				char p3[IFN_MUD_PATH_MAX];

				sub(p3, pp, nk);
				if (strstr(nk, "-network") || strstr(nk, "dnsname")) {
					if (!json_is_string(nv))
						report(&v->e, p3, "must be a string, not %s",
						       jtype(nv));
				}
			}
		} else if (!strcmp(k, "tcp") || !strcmp(k, "udp")) {
			v_port(v, j, pp, "source-port");
			v_port(v, j, pp, "destination-port");
			if (!strcmp(k, "tcp")) {
				json_t *d = maybe(v, j, pp, "ietf-mud:direction-initiated",
						  JSON_STRING, "a string (from-device, to-device)");

				if (d && strcmp(json_string_value(d), "from-device") &&
				    strcmp(json_string_value(d), "to-device")) {
					char p3[IFN_MUD_PATH_MAX];

					sub(p3, pp, "ietf-mud:direction-initiated");
					report(&v->e, p3, "'%s' is not from-device or to-device",
					       json_string_value(d));
				}
			}
		} else if (!strcmp(k, "icmp")) {
			json_t *t = maybe(v, j, pp, "type", JSON_INTEGER, "an integer (0-255)");
			json_t *c = maybe(v, j, pp, "code", JSON_INTEGER, "an integer (0-255)");

			if ((t && (json_integer_value(t) < 0 || json_integer_value(t) > 255)) ||
			    (c && (json_integer_value(c) < 0 || json_integer_value(c) > 255)))
				report(&v->e, pp, "type and code must be 0-255");
		}
	}
}

unsigned int ifn_mud_validate(json_t *root, ifn_mud_err_fn err, void *ctx)
{
	struct vctx v = { .e = { err, ctx, 0 } };
	char pm[IFN_MUD_PATH_MAX] = "/" MUD_ROOT, pc[IFN_MUD_PATH_MAX] = "/" ACLS_ROOT;
	char p[IFN_MUD_PATH_MAX], pa[IFN_MUD_PATH_MAX], pe[IFN_MUD_PATH_MAX];
	json_t *mud, *acls, *j, *acl;
	size_t i, k;

	if (!json_is_object(root)) {
		report(&v.e, "/", "a MUD file is a JSON object");
		return v.e.n;
	}
	if (json_object_get(root, "ietf-access-control-list:access-lists")) {
		report(&v.e, "/ietf-access-control-list:access-lists",
		       "the container of a draft before RFC 8520 (draft-ietf-opsawg-mud); RFC "
		       "8520 names it " ACLS_ROOT);
	}
	mud = need(&v, root, "", MUD_ROOT, JSON_OBJECT, "an object");
	acls = json_object_get(root, ACLS_ROOT);
	if (acls && !json_is_object(acls)) {
		report(&v.e, pc, "must be an object, not %s", jtype(acls));
		acls = NULL;
	}
	if (acls) {
		v.acls = need(&v, acls, pc, "acl", JSON_ARRAY, "an array");
		json_array_foreach(v.acls, i, acl)
		{
			json_t *aces, *list, *ace;

			entry(pa, pc, "acl", acl, i);
			if (!json_is_object(acl)) {
				report(&v.e, pa, "must be an object, not %s", jtype(acl));
				continue;
			}
			need(&v, acl, pa, "name", JSON_STRING, "a string");
			j = maybe(&v, acl, pa, "type", JSON_STRING, "a string (an acl type)");
			if (j && strcmp(json_string_value(j), "ipv4-acl-type") &&
			    strcmp(json_string_value(j), "ipv6-acl-type") &&
			    strcmp(json_string_value(j), "eth-acl-type") &&
			    strcmp(json_string_value(j), "mixed-eth-ipv4-acl-type") &&
			    strcmp(json_string_value(j), "mixed-eth-ipv6-acl-type") &&
			    strcmp(json_string_value(j), "mixed-eth-ipv4-ipv6-acl-type")) {
				sub(p, pa, "type");
				report(&v.e, p, "'%s' is not an ietf-access-control-list acl type",
				       json_string_value(j));
			}
			aces = maybe(&v, acl, pa, "aces", JSON_OBJECT, "an object");
			if (!aces)
				continue;
			sub(p, pa, "aces");
			list = need(&v, aces, p, "ace", JSON_ARRAY, "an array");
			json_array_foreach(list, k, ace)
			{
				entry(pe, p, "ace", ace, k);
				if (!json_is_object(ace)) {
					report(&v.e, pe, "must be an object, not %s", jtype(ace));
					continue;
				}
				v_ace(&v, ace, pe);
			}
		}
	}
	if (!mud)
		return v.e.n;
	j = need(&v, mud, pm, "mud-version", JSON_INTEGER, "an integer (1)");
	if (j && json_integer_value(j) != 1) {
		sub(p, pm, "mud-version");
		report(&v.e, p, "version %lld; RFC 8520 is version 1",
		       (long long)json_integer_value(j));
	}
	j = need(&v, mud, pm, "mud-url", JSON_STRING, "a string (an https URL)");
	if (j && !ifn_mud_url_valid(json_string_value(j))) {
		sub(p, pm, "mud-url");
		report(&v.e, p, "'%.80s' is not an https URL of at most 255 bytes",
		       json_string_value(j));
	}
	j = need(&v, mud, pm, "last-update", JSON_STRING, "a string (a date-and-time)");
	if (j && !date_and_time(json_string_value(j))) {
		sub(p, pm, "last-update");
		report(&v.e, p, "'%.40s' is not a date-and-time (2019-01-28T11:20:51+01:00)",
		       json_string_value(j));
	}
	need(&v, mud, pm, "is-supported", JSON_TRUE, "a boolean");
	j = maybe(&v, mud, pm, "cache-validity", JSON_INTEGER, "an integer (1-168 hours)");
	if (j && (json_integer_value(j) < 1 || json_integer_value(j) > 168)) {
		sub(p, pm, "cache-validity");
		report(&v.e, p, "must be 1-168 (hours)");
	}
	j = maybe(&v, mud, pm, "systeminfo", JSON_STRING, "a string");
	if (j && strlen(json_string_value(j)) > 60) {
		sub(p, pm, "systeminfo");
		report(&v.e, p, "at most 60 characters");
	}
	maybe(&v, mud, pm, "mfg-name", JSON_STRING, "a string");
	maybe(&v, mud, pm, "model-name", JSON_STRING, "a string");
	maybe(&v, mud, pm, "firmware-rev", JSON_STRING, "a string");
	maybe(&v, mud, pm, "software-rev", JSON_STRING, "a string");
	maybe(&v, mud, pm, "documentation", JSON_STRING, "a string");
	maybe(&v, mud, pm, "mud-signature", JSON_STRING, "a string");
	j = maybe(&v, mud, pm, "extensions", JSON_ARRAY, "an array of strings");
	json_array_foreach(j, i, acl)
	{
		if (!json_is_string(acl)) {
			snprintf(p, sizeof(p), "%s/extensions[%zu]", pm, i);
			report(&v.e, p, "must be a string, not %s", jtype(acl));
		}
	}
	if ((json_object_get(mud, "from-device-policy") ||
	     json_object_get(mud, "to-device-policy")) &&
	    !v.acls)
		report(&v.e, pc, "missing: the policies name acls that are not there");
	else {
		v_policy(&v, mud, pm, "from-device-policy");
		v_policy(&v, mud, pm, "to-device-policy");
	}
	return v.e.n;
}

/* ---- translation ---- */

struct xctx {
	const struct ifn_mud_opts *o;
	struct ifn_mud_xlat *x;
	struct verr e;
	bool oom;
};

static void add_stmt(struct xctx *c, const char *text, const char *path)
{
	struct ifn_mud_stmt *s;
	size_t i;

	for (i = 0; i < c->x->n; i++)
		if (!strcmp(c->x->v[i].text, text))
			return; /* the other direction of the same rule */
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
		sub(p, base, k);
		report(&c->e, p, "not supported: %s", why);
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
	sub(p, base, key);
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
			report(&c->e, p,
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
		report(&c->e, p, "port 0 cannot be matched");
		return -EINVAL;
	}
	if (lo == 1 && hi == 65535)
		return 0; /* every port: any */
	if (hi - lo + 1 > IFN_MUD_RANGE_MAX) {
		report(&c->e, p,
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
		report(&c->e, base, "%s: one abstraction per ace",
		       json_object_size(mm) ? "more than one match" : "no match");
		return -EINVAL;
	}
	json_object_foreach(mm, k, j) break;
	sub(p, base, k);
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
			report(&c->e, p, "must be a string, not %s", jtype(j));
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
			report(&c->e, p,
			       "no peer for %s in the mapping (a line '%s PEER' in --map FILE)", k,
			       k);
		else
			report(&c->e, p,
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
	sub(p, pa, "actions");
	only_keys(c, json_object_get(ace, "actions"), p,
		  (const char *const[]){ "forwarding", NULL }, "the only action is forwarding");
	fwd = json_string_value(json_object_get(json_object_get(ace, "actions"), "forwarding"));
	if (fwd && strcmp(fwd, "accept")) {
		sub(p, p, "forwarding");
		report(&c->e, p,
		       "'%s': a fingerprint lists what is allowed, and drops the rest by itself",
		       fwd);
	}
	m = json_object_get(ace, "matches");
	sub(pm, pa, "matches");
	only_keys(c, m, pm, match_keys,
		  "a rule matches IPv4 or IPv6 with TCP, UDP or ICMP (an Ethernet match has no "
		  "place in an IP rule)");
	if (json_object_get(m, v6 ? "ipv4" : "ipv6")) {
		sub(p, pm, v6 ? "ipv4" : "ipv6");
		report(&c->e, p, "an %s match in an %s acl", v6 ? "ipv4" : "ipv6",
		       v6 ? "ipv6" : "ipv4");
	}
	l3 = json_object_get(m, v6 ? "ipv6" : "ipv4");
	if (l3) {
		sub(p, pm, v6 ? "ipv6" : "ipv4");
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
		sub(p, pm, n);
		if (l4) {
			report(&c->e, p, "a second transport match (%s and %s)", l4name, n);
			continue;
		}
		l4 = j;
		l4name = n;
		if (proto >= 0 && proto != want)
			report(&c->e, p, "a %s match with protocol %d", n, proto);
		proto = want;
		only_keys(c, l4, p,
			  i == 0 ? tcp_keys :
			  i == 1 ? udp_keys :
				   icmp_keys,
			  i == 2 ? "a rule matches the ICMP type only" :
				   "a rule matches ports and, for TCP, who initiates");
	}
	if (proto < 0) {
		report(&c->e, pm, "no protocol: a rule names one (tcp, udp, icmp)");
		return;
	}
	if (proto != 6 && proto != 17 && proto != 1 && proto != 58) {
		sub(p, pm, v6 ? "ipv6/protocol" : "ipv4/protocol");
		report(&c->e, p, "protocol %d: MUD import takes TCP, UDP and ICMP", proto);
		return;
	}
	if (proto == 1 && v6) {
		sub(p, pm, "ipv6/protocol");
		report(&c->e, p, "protocol 1 (ICMP for IPv4) in an ipv6 acl");
		return;
	}
	if (proto == 58 && !v6) {
		sub(p, pm, "ipv4/protocol");
		report(&c->e, p, "protocol 58 (ICMPv6) in an ipv4 acl");
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

		sub(l3p, pm, v6 ? "ipv6" : "ipv4");
		if (json_object_get(l3, dn_key) || json_object_get(l3, dd_key)) {
			sub(p, l3p, json_object_get(l3, dn_key) ? dn_key : dd_key);
			report(&c->e, p,
			       "a match on the device's own side: iotfence knows the device by its "
			       "MAC");
		}
		j = json_object_get(l3, pn_key);
		if (j) {
			__u8 a[16], plen;
			char why[IFN_ERRLEN];

			sub(p, l3p, pn_key);
			if (ifn_parse_cidr(json_string_value(j), a, &plen, why, sizeof(why)) ||
			    ifn_addr_is_v4(a) == v6) {
				report(&c->e, p, "'%.60s' is not an %s prefix%s%s",
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
				sub(p, l3p, pd_key);
				report(&c->e, p, "a name and a network in one ace");
			} else {
				peers[np++] = name_peer;
			}
		}
	}
	mm = json_object_get(m, "ietf-mud:mud");
	if (mm) {
		sub(p, pm, "ietf-mud:mud");
		if (np) {
			report(&c->e, p, "an abstraction with a network or a name in one ace");
		} else if (!json_is_object(mm)) {
			report(&c->e, p, "must be an object, not %s", jtype(mm));
		} else {
			mud_peers(c, mm, p, peers, &np, MAX_PEERS);
		}
	}

	/* Ports and direction. */
	if (l4 && proto != 1 && proto != 58) {
		sub(p, pm, l4name);
		port_of(c, l4, p, from ? "destination-port" : "source-port", &peer_port);
		port_of(c, l4, p, from ? "source-port" : "destination-port", &dev_port);
		dirs = json_string_value(json_object_get(l4, "ietf-mud:direction-initiated"));
		if (peer_port.lo > 0 && dev_port.lo > 0) {
			report(&c->e, p,
			       "both a source and a destination port: a rule matches the port of "
			       "the side that serves");
		} else if (peer_port.lo > 0) {
			port = peer_port;
			if (dirs && !strcmp(dirs, "to-device")) {
				char pd[IFN_MUD_PATH_MAX];

				sub(pd, p, "ietf-mud:direction-initiated");
				report(&c->e, pd,
				       "to-device with the peer's port: the device would serve a port "
				       "it does not listen on");
			}
		} else if (dev_port.lo > 0) {
			port = dev_port;
			server = true;
			if (dirs && !strcmp(dirs, "from-device")) {
				char pd[IFN_MUD_PATH_MAX];

				sub(pd, p, "ietf-mud:direction-initiated");
				report(&c->e, pd,
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
		entry(pa, "/" ACLS_ROOT, "acl", acl, idx);
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
			sub(p, pa, "type");
			report(&c->e, p,
			       "not supported: %s (MUD import takes ipv4-acl-type and "
			       "ipv6-acl-type)",
			       type);
			continue;
		}
		v6 = !strcmp(type, "ipv6-acl-type");
		sub(p, pa, "aces");
		json_array_foreach(json_object_get(json_object_get(acl, "aces"), "ace"), k, ace)
		{
			entry(pe, p, "ace", ace, k);
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
		report(&c.e, p, "not supported: a container outside ietf-mud and its acls");
	}
	only_keys(&c, mud, "/" MUD_ROOT, mud_keys,
		  "an extension (RFC 8520, section 3.9) this importer does not implement");
	json_array_foreach(json_object_get(mud, "extensions"), i, j)
	{
		char p[IFN_MUD_PATH_MAX];

		snprintf(p, sizeof(p), "/%s/extensions[%zu]", MUD_ROOT, i);
		report(&c.e, p, "extension '%.60s' is not implemented: its meaning would be lost",
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
		entry(p, "/" ACLS_ROOT, "acl", j, i);
		report(&c.e, p, "no from-device-policy or to-device-policy names this acl");
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

/* ---- export ---- */

static json_t *port_obj(int port)
{
	return json_pack("{s:s,s:i}", "operator", "eq", "port", port);
}

/* One ACE of @r as seen @from the device (or to it). */
static json_t *ace_of(const struct ifn_rule *r, bool from, bool v6, const char *name)
{
	bool server = r->dir == IFN_DIR_SERVER;
	json_t *l3 = json_object(), *m = json_object(), *l4;
	char peer[IFN_ADDR_STRLEN];

	if (r->proto != 1 && r->proto != 58)
		json_object_set_new(l3, "protocol", json_integer(r->proto));
	if (r->plen) {
		const char *key =
			from ? (v6 ? "destination-ipv6-network" : "destination-ipv4-network") :
			       (v6 ? "source-ipv6-network" : "source-ipv4-network");
		__u8 plen = v6 ? r->plen : r->plen - 96;

		ifn_fmt_addr(r->peer, peer);
		snprintf(peer + strlen(peer), sizeof(peer) - strlen(peer), "/%u", plen);
		json_object_set_new(l3, key, json_string(peer));
	}
	if (r->proto == 1 || r->proto == 58) {
		json_object_set_new(l3, "protocol", json_integer(r->proto));
		l4 = json_object();
		if (!r->port_any)
			json_object_set_new(l4, "type", json_integer(r->port));
		json_object_set_new(m, v6 ? "ipv6" : "ipv4", l3);
		json_object_set_new(m, "icmp", l4);
	} else {
		l4 = json_object();
		if (!r->port_any) {
			/* The port is the server's: the peer's for a client rule. */
			bool peer_side = !server;
			const char *key = (from == peer_side) ? "destination-port" : "source-port";

			json_object_set_new(l4, key, port_obj(r->port));
		}
		if (r->proto == 6)
			json_object_set_new(l4, "ietf-mud:direction-initiated",
					    json_string(server ? "to-device" : "from-device"));
		json_object_set_new(m, v6 ? "ipv6" : "ipv4", l3);
		json_object_set_new(m, r->proto == 6 ? "tcp" : "udp", l4);
	}
	return json_pack("{s:s,s:o,s:{s:s}}", "name", name, "matches", m, "actions", "forwarding",
			 "accept");
}

json_t *ifn_mud_export(const struct ifn_rule *rules, size_t n, const char *url,
		       const char *systeminfo, __u64 now_wall_ns, size_t *skipped)
{
	static const char *const acl_names[4] = { "iotfence-v4fr", "iotfence-v4to", "iotfence-v6fr",
						  "iotfence-v6to" };
	json_t *aces[4], *root, *acl_list, *fr, *to;
	char tb[40], name[48];
	time_t t = now_wall_ns / 1000000000ULL;
	struct tm tm;
	size_t i, seq = 0;
	int k;

	*skipped = 0;
	for (k = 0; k < 4; k++)
		aces[k] = json_array();
	for (i = 0; i < n; i++) {
		const struct ifn_rule *r = &rules[i];
		bool icmp = r->proto == 1 || r->proto == 58;
		int fam;

		if (r->l2 || (r->proto != 6 && r->proto != 17 && !icmp)) {
			(*skipped)++;
			continue;
		}
		/* "any" belongs to both families; an ICMPv6 rule to IPv6 only. */
		for (fam = 0; fam < 2; fam++) {
			bool v6 = fam == 1;

			if (r->plen && (ifn_addr_is_v4(r->peer) == v6))
				continue;
			if ((r->proto == 1 && v6) || (r->proto == 58 && !v6))
				continue;
			seq++;
			/* ICMP: one ACE, on the side that sends the type (see x_ace). */
			if (!icmp || r->dir != IFN_DIR_SERVER) {
				snprintf(name, sizeof(name), "r%zu-frdev", seq);
				json_array_append_new(aces[fam * 2], ace_of(r, true, v6, name));
			}
			if (!icmp || r->dir == IFN_DIR_SERVER) {
				snprintf(name, sizeof(name), "r%zu-todev", seq);
				json_array_append_new(aces[fam * 2 + 1],
						      ace_of(r, false, v6, name));
			}
		}
	}
	gmtime_r(&t, &tm);
	strftime(tb, sizeof(tb), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	acl_list = json_array();
	fr = json_array();
	to = json_array();
	for (k = 0; k < 4; k++) {
		if (!json_array_size(aces[k])) {
			json_decref(aces[k]);
			continue;
		}
		json_array_append_new(acl_list,
				      json_pack("{s:s,s:s,s:{s:o}}", "name", acl_names[k], "type",
						k < 2 ? "ipv4-acl-type" : "ipv6-acl-type", "aces",
						"ace", aces[k]));
		json_array_append_new(k % 2 ? to : fr, json_pack("{s:s}", "name", acl_names[k]));
	}
	root = json_pack("{s:{s:i,s:s,s:s,s:i,s:b,s:s,s:{s:{s:o}},s:{s:{s:o}}},s:{s:o}}", MUD_ROOT,
			 "mud-version", 1, "mud-url", url, "last-update", tb, "cache-validity", 48,
			 "is-supported", 1, "systeminfo", systeminfo, "from-device-policy",
			 "access-lists", "access-list", fr, "to-device-policy", "access-lists",
			 "access-list", to, ACLS_ROOT, "acl", acl_list);
	return root;
}

/* ---- DHCP ---- */

static int url_copy(const __u8 *p, size_t n, char *url, size_t urlsz)
{
	size_t i;

	if (!n || n > IFN_MUD_URL_MAX || n >= urlsz)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isgraph(p[i]))
			return -EINVAL;
	memcpy(url, p, n);
	url[n] = '\0';
	return ifn_mud_url_valid(url) ? 0 : -EINVAL;
}

/* BOOTP (RFC 2131) after the UDP header: option 161 in the options field. */
static int dhcp4(const __u8 *p, size_t n, char *url, size_t urlsz)
{
	size_t o = 240;

	if (n < 240)
		return -EINVAL;
	if (p[0] != 1) /* BOOTREQUEST: the client's */
		return -ENOENT;
	if (p[236] != 99 || p[237] != 130 || p[238] != 83 || p[239] != 99)
		return -EINVAL; /* no magic cookie: BOOTP, not DHCP */
	while (o < n) {
		__u8 code = p[o], len;

		if (code == 0) { /* pad */
			o++;
			continue;
		}
		if (code == 255)
			return -ENOENT;
		if (o + 2 > n)
			return -EINVAL;
		len = p[o + 1];
		if (o + 2 + len > n)
			return -EINVAL;
		if (code == 161)
			return url_copy(p + o + 2, len, url, urlsz);
		o += 2 + len;
	}
	return -EINVAL; /* no end option */
}

/* DHCPv6 (RFC 8415) client messages: option 112 among the top-level options. */
static int dhcp6(const __u8 *p, size_t n, char *url, size_t urlsz)
{
	size_t o = 4;

	if (n < 4)
		return -EINVAL;
	/* Solicit, Request, Confirm, Renew, Rebind, Information-request. */
	if (p[0] != 1 && p[0] != 3 && p[0] != 4 && p[0] != 5 && p[0] != 6 && p[0] != 11)
		return -ENOENT;
	while (o < n) {
		size_t code, len;

		if (o + 4 > n)
			return -EINVAL;
		code = (size_t)p[o] << 8 | p[o + 1];
		len = (size_t)p[o + 2] << 8 | p[o + 3];
		if (o + 4 + len > n)
			return -EINVAL;
		if (code == 112)
			return url_copy(p + o + 4, len, url, urlsz);
		o += 4 + len;
	}
	return -ENOENT;
}

int ifn_dhcp_mud_url(const __u8 *f, size_t len, __u8 mac[6], char *url, size_t urlsz)
{
	size_t o = 14, ulen;
	__u16 et;

	if (len < 14)
		return -EINVAL;
	et = (__u16)(f[12] << 8 | f[13]);
	if (et == 0x8100) {
		if (len < 18)
			return -EINVAL;
		et = (__u16)(f[16] << 8 | f[17]);
		o = 18;
	}
	memcpy(mac, f + 6, 6);
	if (et == 0x0800) {
		size_t ihl, tot;

		if (len < o + 20)
			return -EINVAL;
		if ((f[o] >> 4) != 4)
			return -EINVAL;
		ihl = (size_t)(f[o] & 15) * 4;
		tot = (size_t)f[o + 2] << 8 | f[o + 3];
		if (ihl < 20 || tot < ihl || o + tot > len)
			return -EINVAL;
		if (f[o + 9] != 17)
			return -ENOENT;
		/* A fragment's payload is not a whole DHCP message. */
		if ((f[o + 6] & 0x3f) || f[o + 7])
			return -ENOENT;
		len = o + tot;
		o += ihl;
	} else if (et == 0x86dd) {
		size_t plen;

		if (len < o + 40)
			return -EINVAL;
		plen = (size_t)f[o + 4] << 8 | f[o + 5];
		if (o + 40 + plen > len)
			return -EINVAL;
		/* Clients send DHCPv6 without extension headers. */
		if (f[o + 6] != 17)
			return -ENOENT;
		len = o + 40 + plen;
		o += 40;
	} else {
		return -ENOENT;
	}
	if (o + 8 > len)
		return -EINVAL;
	ulen = (size_t)f[o + 4] << 8 | f[o + 5];
	if (ulen < 8 || o + ulen > len)
		return -EINVAL;
	if (et == 0x0800 && f[o] == 0 && f[o + 1] == 68 && f[o + 2] == 0 && f[o + 3] == 67)
		return dhcp4(f + o + 8, ulen - 8, url, urlsz);
	if (et == 0x86dd && f[o] == 0x02 && f[o + 1] == 0x22 && f[o + 2] == 0x02 &&
	    f[o + 3] == 0x23)
		return dhcp6(f + o + 8, ulen - 8, url, urlsz);
	return -ENOENT;
}

/* ---- the MAC -> URL table ---- */

const char *ifn_mud_urls_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/mud-urls", ifn_state_dir());
	return path;
}

static int cmp_url_entry(const void *a, const void *b)
{
	return memcmp(((const struct ifn_mud_url_entry *)a)->mac,
		      ((const struct ifn_mud_url_entry *)b)->mac, 6);
}

void ifn_mud_urls_free(struct ifn_mud_urls *u)
{
	free(u->v);
	memset(u, 0, sizeof(*u));
}

const char *ifn_mud_urls_get(const struct ifn_mud_urls *u, const __u8 mac[6])
{
	struct ifn_mud_url_entry key, *e;

	if (!u->n)
		return NULL;
	memcpy(key.mac, mac, 6);
	e = bsearch(&key, u->v, u->n, sizeof(*u->v), cmp_url_entry);
	return e ? e->url : NULL;
}

int ifn_mud_urls_set(struct ifn_mud_urls *u, const __u8 mac[6], const char *url)
{
	struct ifn_mud_url_entry key, *e = NULL;

	if (u->n) {
		memcpy(key.mac, mac, 6);
		e = bsearch(&key, u->v, u->n, sizeof(*u->v), cmp_url_entry);
	}
	if (e && !strcmp(e->url, url))
		return 0;
	if (!e) {
		if (ifn_grow((void **)&u->v, &u->cap, u->n + 1, sizeof(*u->v), 16))
			return -ENOMEM;
		e = &u->v[u->n++];
		memcpy(e->mac, mac, 6);
	}
	snprintf(e->url, sizeof(e->url), "%s", url);
	qsort(u->v, u->n, sizeof(*u->v), cmp_url_entry);
	return 1;
}

int ifn_mud_urls_load(struct ifn_mud_urls *u, const char *path)
{
	char line[IFN_MUD_URL_MAX + 64];
	unsigned int lineno = 0;
	FILE *f;
	int err = 0;

	memset(u, 0, sizeof(*u));
	if (!path)
		path = ifn_mud_urls_path();
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (err >= 0 && fgets(line, sizeof(line), f)) {
		char mac_s[32], url[IFN_MUD_URL_MAX + 2];
		__u8 mac[6];

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%31s %256s", mac_s, url) != 2 || ifn_parse_mac(mac_s, mac) ||
		    !ifn_mud_url_valid(url)) {
			ifn_warn("%s:%u: not 'MAC URL'; skipped", path, lineno);
			continue;
		}
		err = ifn_mud_urls_set(u, mac, url);
	}
	fclose(f);
	if (err < 0) {
		ifn_mud_urls_free(u);
		return err;
	}
	return 0;
}

int ifn_mud_urls_save(const struct ifn_mud_urls *u, const char *path)
{
	char dirbuf[PATH_MAX], tmp[PATH_MAX + 16], mb[IFN_MAC_STRLEN];
	const char *dir;
	size_t i;
	FILE *f;
	int fd, err = 0;

	if (!path)
		path = ifn_mud_urls_path();
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	dir = dirname(dirbuf);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s/.mud-urls.XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	fprintf(f, "# MUD URLs seen in DHCP (iotfence.8, MUD)\n");
	for (i = 0; i < u->n; i++)
		fprintf(f, "%s %s\n", ifn_fmt_mac(u->v[i].mac, mb), u->v[i].url);
	if (fflush(f) || fchmod(fd, 0644) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
