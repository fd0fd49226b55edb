// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * devnames.c - a device's names where a user looks: see devnames.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devnames.h"
#include "format.h"
#include "rules.h"

struct ifn_devnames_rule {
	struct ifn_name_rule_key k;
	char text[IFN_RULE_STRLEN];
};

static int rule_by_mac(const void *a, const void *b)
{
	const struct ifn_devnames_rule *x = a, *y = b;
	int c = memcmp(x->k.mac, y->k.mac, 6);

	return c ? c : strcmp(x->text, y->text);
}

int ifn_devnames_load(const struct ifn_maps *m, __u64 now, struct ifn_devnames *dn)
{
	struct ifn_name_rule_key *keys = NULL;
	struct ifn_name_rule_val *vals = NULL;
	__u64 min_ttl = IFN_DNS_MIN_TTL_NS_DEFAULT;
	struct ifn_config c;
	long n, i;

	memset(dn, 0, sizeof(*dn));
	dn->m = m;
	if (!ifn_config_read(m, &c))
		min_ttl = c.dns_min_ttl_ns;
	n = ifn_resolved_all(m, now ? now : ifn_now_mono(), min_ttl, &dn->res);
	if (n < 0)
		return (int)n;
	dn->nres = n;
	n = ifn_map_dump(m->name_rules, sizeof(*keys), sizeof(*vals), (void **)&keys,
			 (void **)&vals);
	if (n < 0) {
		ifn_devnames_free(dn);
		return (int)n;
	}
	dn->rules = calloc(n ? n : 1, sizeof(*dn->rules));
	if (!dn->rules) {
		free(keys);
		free(vals);
		ifn_devnames_free(dn);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ifn_rule r;

		/* The text as `device` prints it: from the value, NUL-terminated here. */
		vals[i].name[IFN_DNS_NAME_MAX - 1] = '\0';
		memset(&r, 0, sizeof(r));
		r.proto = keys[i].proto;
		r.port = keys[i].port;
		r.dir = keys[i].dir;
		r.wild = keys[i].wild;
		r.name = vals[i].name;
		dn->rules[i].k = keys[i];
		ifn_rule_format(&r, dn->rules[i].text, sizeof(dn->rules[i].text));
	}
	dn->nrules = n;
	free(keys);
	free(vals);
	qsort(dn->rules, dn->nrules, sizeof(*dn->rules), rule_by_mac);
	return 0;
}

void ifn_devnames_free(struct ifn_devnames *dn)
{
	free(dn->res);
	free(dn->rules);
	dn->res = NULL;
	dn->rules = NULL;
	dn->nres = dn->nrules = 0;
}

/* Is (entry @i, slot @k) the first place the hash appears among @r[0..]? */
static bool first_of_hash(const struct ifn_resolved *r, size_t i, unsigned int k)
{
	size_t p;
	unsigned int q;

	for (p = 0; p <= i; p++) {
		/* The slots before @k in entry @i itself; every slot of the ones before. */
		unsigned int end = p < i ? r[p].n : k;

		for (q = 0; q < end; q++)
			if (r[p].hash[q] == r[i].hash[k])
				return false;
	}
	return true;
}

/* Call @fn for each address of @r[0..n) that holds @h; returns whether one is live. */
static bool addrs_of(const struct ifn_resolved *r, size_t n, __u64 h,
		     void (*fn)(void *ctx, const __u8 addr[16], size_t nth), void *ctx)
{
	size_t i, nth = 0;
	unsigned int q;
	bool live = false;

	for (i = 0; i < n; i++)
		for (q = 0; q < r[i].n; q++)
			if (r[i].hash[q] == h) {
				fn(ctx, r[i].addr, nth++);
				live |= r[i].live[q];
			}
	return live;
}

static void addr_json(void *ctx, const __u8 addr[16], size_t nth)
{
	char a[IFN_ADDR_STRLEN];

	(void)nth;
	ifn_json_str(ctx, NULL, ifn_fmt_addr(addr, a));
}

static void rules_of(const struct ifn_devnames *dn, const __u8 mac[6], size_t *first, size_t *count)
{
	size_t i = 0;

	while (i < dn->nrules && memcmp(dn->rules[i].k.mac, mac, 6) < 0)
		i++;
	*first = i;
	while (i < dn->nrules && !memcmp(dn->rules[i].k.mac, mac, 6))
		i++;
	*count = i - *first;
}

static const char *name_of(const struct ifn_devnames *dn, __u64 h, char buf[IFN_DNS_NAME_MAX])
{
	if (ifn_resolved_text(dn->m, h, buf) && buf[0])
		return buf;
	/* Its text gone from ifn_dns_names (LRU): said so, not hidden. */
	snprintf(buf, IFN_DNS_NAME_MAX, "(a name no longer known)");
	return buf;
}

void ifn_devnames_json(struct ifn_json *j, const struct ifn_devnames *dn, const __u8 mac[6])
{
	size_t first, cnt, i;
	const struct ifn_resolved *r;
	unsigned int k;

	ifn_json_obj_open(j, "names");
	ifn_json_arr_open(j, "rules");
	rules_of(dn, mac, &first, &cnt);
	for (i = first; i < first + cnt; i++)
		ifn_json_str(j, NULL, dn->rules[i].text);
	ifn_json_arr_close(j);
	ifn_json_arr_open(j, "resolved");
	first = ifn_resolved_of(dn->res, dn->nres, mac, &cnt);
	r = dn->res + first;
	for (i = 0; i < cnt; i++)
		for (k = 0; k < r[i].n; k++) {
			char name[IFN_DNS_NAME_MAX];
			bool live;

			if (!first_of_hash(r, i, k))
				continue;
			ifn_json_obj_open(j, NULL);
			ifn_json_str(j, "name", name_of(dn, r[i].hash[k], name));
			ifn_json_arr_open(j, "addresses");
			live = addrs_of(r, cnt, r[i].hash[k], addr_json, j);
			ifn_json_arr_close(j);
			ifn_json_bool(j, "live", live);
			ifn_json_obj_close(j);
		}
	ifn_json_arr_close(j);
	ifn_json_obj_close(j);
}

static void addr_text(void *ctx, const __u8 addr[16], size_t nth)
{
	char a[IFN_ADDR_STRLEN];

	fprintf(ctx, "%s%s", nth ? ", " : "", ifn_fmt_addr(addr, a));
}

void ifn_devnames_text(FILE *f, const struct ifn_devnames *dn, const __u8 mac[6])
{
	size_t first, cnt, i;
	const struct ifn_resolved *r;
	unsigned int k;

	first = ifn_resolved_of(dn->res, dn->nres, mac, &cnt);
	if (!cnt) {
		fprintf(f, "resolved   nothing we saw (no DNS answer to it went through the "
			   "gateway: encrypted DNS cannot be read, and name rules admit "
			   "nothing without answers)\n");
		return;
	}
	r = dn->res + first;
	for (i = 0; i < cnt; i++)
		for (k = 0; k < r[i].n; k++) {
			char name[IFN_DNS_NAME_MAX];
			bool live;

			if (!first_of_hash(r, i, k))
				continue;
			fprintf(f, "resolved   %s  ", name_of(dn, r[i].hash[k], name));
			live = addrs_of(r, cnt, r[i].hash[k], addr_text, f);
			fprintf(f, " (%s)\n", live ? "live" : "lapsed");
		}
}
