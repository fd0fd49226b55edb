// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mud.c - reading RFC 8520 MUD files, the paths that name their nodes in
 * errors, and the structural validator. The translator to policy
 * statements is in mud_xlat.c, the exporter in mud_export.c, MUD URLs
 * (DHCP options, the MAC -> URL table) in mud_url.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "file.h"
#include "mud.h"
#include "mud_json.h"
#include "mud_url.h"

/* ---- paths and errors ---- */

void mud_report(struct verr *e, const char *path, const char *fmt, ...)
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
void mud_sub(char *out, const char *base, const char *key)
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
void mud_entry(char *out, const char *base, const char *list, json_t *e, size_t i)
{
	const char *name = json_string_value(json_object_get(e, "name"));

	if (name && strlen(name) < 64)
		snprintf(out, IFN_MUD_PATH_MAX, "%s/%s[name='%s']", base, list, name);
	else
		snprintf(out, IFN_MUD_PATH_MAX, "%s/%s[%zu]", base, list, i);
}

const char *mud_jtype(json_t *j)
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
	char why[160], *buf;
	json_error_t je;
	json_t *root;
	size_t len;
	int err;

	/* Never blocking on a FIFO, never half a file, never more than a MUD file needs. */
	err = ifn_file_read(path, IFN_MUD_FILE_MAX, &buf, &len, why, sizeof(why));
	if (err) {
		if (err == -EFBIG)
			fprintf(stderr, "%s: larger than %u KiB: not a MUD file\n", path,
				IFN_MUD_FILE_MAX >> 10);
		else
			fprintf(stderr, "%s: cannot read: %s\n", path, why);
		return NULL;
	}
	/* Duplicate keys would make "which one counts" a guess: refused. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!root) {
		if (je.line > 0)
			fprintf(stderr, "%s:%d:%d: %s\n", path, je.line, je.column, je.text);
		else
			fprintf(stderr, "%s: %s\n", path, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		fprintf(stderr, "%s: /: a MUD file is a JSON object, not %s\n", path,
			mud_jtype(root));
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

struct vctx {
	struct verr e;
	json_t *acls; /* the acl array, or NULL */
};

static json_t *need(struct vctx *v, json_t *obj, const char *base, const char *key, json_type type,
		    const char *what)
{
	json_t *j = json_object_get(obj, key);
	char p[IFN_MUD_PATH_MAX];

	mud_sub(p, base, key);
	if (!j) {
		mud_report(&v->e, p, "missing (%s is required)", what);
		return NULL;
	}
	if (json_typeof(j) != type && !(type == JSON_TRUE && json_is_boolean(j))) {
		mud_report(&v->e, p, "must be %s, not %s", what, mud_jtype(j));
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

	mud_sub(p, base, key);
	pol = maybe(v, mud, base, key, JSON_OBJECT, "an object");
	if (!pol)
		return;
	al = need(v, pol, p, "access-lists", JSON_OBJECT, "an object");
	if (!al)
		return;
	mud_sub(pl, p, "access-lists");
	list = need(v, al, pl, "access-list", JSON_ARRAY, "an array");
	if (!list)
		return;
	json_array_foreach(list, i, e)
	{
		json_t *n;

		mud_entry(pe, pl, "access-list", e, i);
		if (!json_is_object(e)) {
			mud_report(&v->e, pe, "must be an object, not %s", mud_jtype(e));
			continue;
		}
		n = need(v, e, pe, "name", JSON_STRING, "a string (the name of an acl)");
		if (n && !acl_exists(v, json_string_value(n))) {
			mud_sub(p, pe, "name");
			mud_report(&v->e, p, "no acl named '%s' in /%s/acl", json_string_value(n),
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
	mud_sub(p, base, key);
	if (!json_is_object(po)) {
		mud_report(&v->e, p, "must be an object, not %s", mud_jtype(po));
		return;
	}
	if (json_object_get(po, "lower-port") || json_object_get(po, "upper-port")) {
		j = need(v, po, p, "lower-port", JSON_INTEGER, "an integer (0-65535)");
		lo = j ? json_integer_value(j) : 0;
		j = need(v, po, p, "upper-port", JSON_INTEGER, "an integer (0-65535)");
		hi = j ? json_integer_value(j) : 0;
		if (lo < 0 || lo > 65535 || hi < 0 || hi > 65535 || lo > hi)
			mud_report(&v->e, p,
				   "lower-port and upper-port must be 0-65535, lower first");
		return;
	}
	j = need(v, po, p, "port", JSON_INTEGER, "an integer (0-65535)");
	if (j && (json_integer_value(j) < 0 || json_integer_value(j) > 65535)) {
		char pp[IFN_MUD_PATH_MAX];

		mud_sub(pp, p, "port");
		mud_report(&v->e, pp, "must be 0-65535");
	}
	j = maybe(v, po, p, "operator", JSON_STRING, "a string (eq, lte, gte, neq)");
	if (j && strcmp(json_string_value(j), "eq") && strcmp(json_string_value(j), "lte") &&
	    strcmp(json_string_value(j), "gte") && strcmp(json_string_value(j), "neq")) {
		char pp[IFN_MUD_PATH_MAX];

		mud_sub(pp, p, "operator");
		mud_report(&v->e, pp, "'%s' is not an operator (eq, lte, gte, neq)",
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
		mud_sub(p, pa, "actions");
		j = need(v, a, p, "forwarding", JSON_STRING, "a string (accept, drop, reject)");
		if (j && strcmp(json_string_value(j), "accept") &&
		    strcmp(json_string_value(j), "drop") &&
		    strcmp(json_string_value(j), "reject")) {
			mud_sub(pp, p, "forwarding");
			mud_report(&v->e, pp, "'%s' is not accept, drop or reject",
				   json_string_value(j));
		}
	}
	if (!m)
		return;
	mud_sub(p, pa, "matches");
	json_object_foreach(m, k, j)
	{
		mud_sub(pp, p, k);
		if (!json_is_object(j)) {
			mud_report(&v->e, pp, "must be an object, not %s", mud_jtype(j));
			continue;
		}
		if (!strcmp(k, "ipv4") || !strcmp(k, "ipv6")) {
			json_t *pr =
				maybe(v, j, pp, "protocol", JSON_INTEGER, "an integer (0-255)");
			const char *nk;
			json_t *nv;

			if (pr && (json_integer_value(pr) < 0 || json_integer_value(pr) > 255)) {
				char p3[IFN_MUD_PATH_MAX];

				mud_sub(p3, pp, "protocol");
				mud_report(&v->e, p3, "must be 0-255");
			}
			json_object_foreach(j, nk, nv)
			{
				char p3[IFN_MUD_PATH_MAX];

				mud_sub(p3, pp, nk);
				if (strstr(nk, "-network") || strstr(nk, "dnsname")) {
					if (!json_is_string(nv))
						mud_report(&v->e, p3, "must be a string, not %s",
							   mud_jtype(nv));
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

					mud_sub(p3, pp, "ietf-mud:direction-initiated");
					mud_report(&v->e, p3,
						   "'%s' is not from-device or to-device",
						   json_string_value(d));
				}
			}
		} else if (!strcmp(k, "icmp")) {
			json_t *t = maybe(v, j, pp, "type", JSON_INTEGER, "an integer (0-255)");
			json_t *c = maybe(v, j, pp, "code", JSON_INTEGER, "an integer (0-255)");

			if ((t && (json_integer_value(t) < 0 || json_integer_value(t) > 255)) ||
			    (c && (json_integer_value(c) < 0 || json_integer_value(c) > 255)))
				mud_report(&v->e, pp, "type and code must be 0-255");
		}
	}
}

/*
 * Bounds before structure: nesting (RFC 8520's deepest node is ten levels
 * down), strings, and members of any one object or array. The first node
 * past a bound is reported; what is under it is not looked at.
 */
static void v_bounds(struct vctx *v, json_t *j, const char *base, unsigned int depth)
{
	char p[IFN_MUD_PATH_MAX];
	const char *k;
	json_t *e;
	size_t i;

	if (depth > IFN_MUD_DEPTH_MAX) {
		mud_report(&v->e, base, "nested deeper than %d levels: no MUD node is",
			   IFN_MUD_DEPTH_MAX);
		return;
	}
	if (json_is_string(j) && json_string_length(j) > IFN_MUD_STRING_MAX) {
		mud_report(&v->e, base, "a string of %zu bytes: at most %d", json_string_length(j),
			   IFN_MUD_STRING_MAX);
	} else if (json_is_object(j)) {
		if (json_object_size(j) > IFN_MUD_MEMBERS_MAX) {
			mud_report(&v->e, base, "%zu members: at most %d", json_object_size(j),
				   IFN_MUD_MEMBERS_MAX);
			return;
		}
		json_object_foreach(j, k, e)
		{
			mud_sub(p, base[1] ? base : "", k);
			v_bounds(v, e, p, depth + 1);
		}
	} else if (json_is_array(j)) {
		if (json_array_size(j) > IFN_MUD_MEMBERS_MAX) {
			mud_report(&v->e, base, "%zu entries: at most %d", json_array_size(j),
				   IFN_MUD_MEMBERS_MAX);
			return;
		}
		json_array_foreach(j, i, e)
		{
			snprintf(p, sizeof(p), "%.*s[%zu]", IFN_MUD_PATH_MAX - 24, base, i);
			v_bounds(v, e, p, depth + 1);
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
		mud_report(&v.e, "/", "a MUD file is a JSON object");
		return v.e.n;
	}
	v_bounds(&v, root, "/", 1);
	if (v.e.n)
		return v.e.n;
	if (json_object_get(root, "ietf-access-control-list:access-lists")) {
		mud_report(&v.e, "/ietf-access-control-list:access-lists",
			   "the container of a draft before RFC 8520 (draft-ietf-opsawg-mud); RFC "
			   "8520 names it " ACLS_ROOT);
	}
	mud = need(&v, root, "", MUD_ROOT, JSON_OBJECT, "an object");
	acls = json_object_get(root, ACLS_ROOT);
	if (acls && !json_is_object(acls)) {
		mud_report(&v.e, pc, "must be an object, not %s", mud_jtype(acls));
		acls = NULL;
	}
	if (acls) {
		v.acls = need(&v, acls, pc, "acl", JSON_ARRAY, "an array");
		json_array_foreach(v.acls, i, acl)
		{
			json_t *aces, *list, *ace;

			mud_entry(pa, pc, "acl", acl, i);
			if (!json_is_object(acl)) {
				mud_report(&v.e, pa, "must be an object, not %s", mud_jtype(acl));
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
				mud_sub(p, pa, "type");
				mud_report(&v.e, p,
					   "'%s' is not an ietf-access-control-list acl type",
					   json_string_value(j));
			}
			aces = maybe(&v, acl, pa, "aces", JSON_OBJECT, "an object");
			if (!aces)
				continue;
			mud_sub(p, pa, "aces");
			list = need(&v, aces, p, "ace", JSON_ARRAY, "an array");
			json_array_foreach(list, k, ace)
			{
				mud_entry(pe, p, "ace", ace, k);
				if (!json_is_object(ace)) {
					mud_report(&v.e, pe, "must be an object, not %s",
						   mud_jtype(ace));
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
		mud_sub(p, pm, "mud-version");
		mud_report(&v.e, p, "version %lld; RFC 8520 is version 1",
			   (long long)json_integer_value(j));
	}
	j = need(&v, mud, pm, "mud-url", JSON_STRING, "a string (an https URL)");
	if (j && !ifn_mud_url_valid(json_string_value(j))) {
		mud_sub(p, pm, "mud-url");
		mud_report(&v.e, p, "'%.80s' is not an https URL of at most 255 bytes",
			   json_string_value(j));
	}
	j = need(&v, mud, pm, "last-update", JSON_STRING, "a string (a date-and-time)");
	if (j && !date_and_time(json_string_value(j))) {
		mud_sub(p, pm, "last-update");
		mud_report(&v.e, p, "'%.40s' is not a date-and-time (2019-01-28T11:20:51+01:00)",
			   json_string_value(j));
	}
	need(&v, mud, pm, "is-supported", JSON_TRUE, "a boolean");
	j = maybe(&v, mud, pm, "cache-validity", JSON_INTEGER, "an integer (1-168 hours)");
	if (j && (json_integer_value(j) < 1 || json_integer_value(j) > 168)) {
		mud_sub(p, pm, "cache-validity");
		mud_report(&v.e, p, "must be 1-168 (hours)");
	}
	j = maybe(&v, mud, pm, "systeminfo", JSON_STRING, "a string");
	if (j && strlen(json_string_value(j)) > 60) {
		mud_sub(p, pm, "systeminfo");
		mud_report(&v.e, p, "at most 60 characters");
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
			mud_report(&v.e, p, "must be a string, not %s", mud_jtype(acl));
		}
	}
	if ((json_object_get(mud, "from-device-policy") ||
	     json_object_get(mud, "to-device-policy")) &&
	    !v.acls)
		mud_report(&v.e, pc, "missing: the policies name acls that are not there");
	else {
		v_policy(&v, mud, pm, "from-device-policy");
		v_policy(&v, mud, pm, "to-device-policy");
	}
	return v.e.n;
}
