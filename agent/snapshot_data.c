// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * snapshot_data.c - the snapshot as data: freed, sorted (the order of its
 * text), searched, and checked as a whole (each item unique, each of a
 * listed device). The text is snapshot_fmt.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "format.h"
#include "snapshot_data.h"

void ifn_snap_free(struct ifn_snap *s)
{
	free(s->ifaces);
	free(s->devs);
	free(s->flows);
	free(s->rules);
	free(s->owners);
	free(s->names);
	memset(s, 0, sizeof(*s));
}

static int cmp_dev(const void *a, const void *b)
{
	return memcmp(((const struct ifn_snap_dev *)a)->mac, ((const struct ifn_snap_dev *)b)->mac,
		      6);
}

static int cmp_flow(const void *a, const void *b)
{
	return memcmp(&((const struct ifn_snap_flow *)a)->k, &((const struct ifn_snap_flow *)b)->k,
		      sizeof(struct ifn_flow_key));
}

static int cmp_rule(const void *pa, const void *pb)
{
	const struct ifn_snap_rule *a = pa, *b = pb;

	if (a->any != b->any)
		return a->any - b->any;
	if (a->any)
		return memcmp(&a->ak, &b->ak, sizeof(a->ak));
	return memcmp(&a->pk, &b->pk, sizeof(a->pk));
}

static int cmp_owner(const void *a, const void *b)
{
	return memcmp(&((const struct ifn_snap_owner *)a)->k,
		      &((const struct ifn_snap_owner *)b)->k, sizeof(struct ifn_ip_key));
}

static int cmp_iface(const void *a, const void *b)
{
	return strcmp(((const struct ifn_snap_iface *)a)->name,
		      ((const struct ifn_snap_iface *)b)->name);
}

/* Device, then the rule's fields, then the text (the hash is not the file's). */
static int cmp_name(const void *a, const void *b)
{
	const struct ifn_snap_name *x = a, *y = b;
	int c = memcmp(x->k.mac, y->k.mac, 6);

	if (c)
		return c;
	if (x->k.proto != y->k.proto)
		return x->k.proto - y->k.proto;
	if (x->k.port != y->k.port)
		return x->k.port - y->k.port;
	if (x->k.dir != y->k.dir)
		return x->k.dir - y->k.dir;
	if (x->k.wild != y->k.wild)
		return x->k.wild - y->k.wild;
	return strncmp(x->v.name, y->v.name, IFN_DNS_NAME_MAX);
}

void ifn_snap_sort(struct ifn_snap *s)
{
	if (s->n_ifaces)
		qsort(s->ifaces, s->n_ifaces, sizeof(*s->ifaces), cmp_iface);
	if (s->n_devs)
		qsort(s->devs, s->n_devs, sizeof(*s->devs), cmp_dev);
	if (s->n_flows)
		qsort(s->flows, s->n_flows, sizeof(*s->flows), cmp_flow);
	if (s->n_rules)
		qsort(s->rules, s->n_rules, sizeof(*s->rules), cmp_rule);
	if (s->n_owners)
		qsort(s->owners, s->n_owners, sizeof(*s->owners), cmp_owner);
	if (s->n_names)
		qsort(s->names, s->n_names, sizeof(*s->names), cmp_name);
}

const struct ifn_snap_dev *ifn_snap_find_dev(const struct ifn_snap *s, const __u8 mac[6])
{
	struct ifn_snap_dev key = { 0 };

	if (!s->n_devs)
		return NULL;
	memcpy(key.mac, mac, 6);
	return bsearch(&key, s->devs, s->n_devs, sizeof(*s->devs), cmp_dev);
}

static const __u8 *rule_mac(const struct ifn_snap_rule *r)
{
	return r->any ? r->ak.mac : r->pk.mac;
}

int ifn_snap_check_lists(struct ifn_snap *s, char *err, size_t errlen)
{
	size_t i, j;

	ifn_snap_sort(s);
	for (i = 1; i < s->n_ifaces; i++)
		if (!strcmp(s->ifaces[i].name, s->ifaces[i - 1].name))
			return ifn_errbuf(-EBADMSG, err, errlen, "interface %s listed twice",
					  s->ifaces[i].name);
	for (i = 0; i < s->n_ifaces; i++)
		for (j = i + 1; j < s->n_ifaces; j++)
			if (s->ifaces[i].ifindex == s->ifaces[j].ifindex)
				return ifn_errbuf(-EBADMSG, err, errlen,
						  "two interfaces with ifindex %u",
						  s->ifaces[i].ifindex);
	for (i = 1; i < s->n_devs; i++) {
		if (!cmp_dev(&s->devs[i], &s->devs[i - 1])) {
			char m[IFN_MAC_STRLEN];

			return ifn_errbuf(-EBADMSG, err, errlen, "device %s listed twice",
					  ifn_fmt_mac(s->devs[i].mac, m));
		}
	}
	for (i = 0; i < s->n_flows; i++) {
		if (i && !cmp_flow(&s->flows[i], &s->flows[i - 1]))
			return ifn_errbuf(-EBADMSG, err, errlen, "a flow is listed twice");
		if (!ifn_snap_find_dev(s, s->flows[i].k.mac))
			return ifn_errbuf(-EBADMSG, err, errlen,
					  "a flow of a device that is not listed");
	}
	for (i = 0; i < s->n_rules; i++) {
		if (i && !cmp_rule(&s->rules[i], &s->rules[i - 1]))
			return ifn_errbuf(-EBADMSG, err, errlen, "a rule is listed twice");
		if (!ifn_snap_find_dev(s, rule_mac(&s->rules[i])))
			return ifn_errbuf(-EBADMSG, err, errlen,
					  "a rule of a device that is not listed");
	}
	for (i = 0; i < s->n_names; i++) {
		if (i && !cmp_name(&s->names[i], &s->names[i - 1]))
			return ifn_errbuf(-EBADMSG, err, errlen,
					  "a rule on a name is listed twice");
		if (!ifn_snap_find_dev(s, s->names[i].k.mac))
			return ifn_errbuf(-EBADMSG, err, errlen,
					  "a rule on a name of a device that is not listed");
	}
	for (i = 0; i < s->n_owners; i++) {
		if (i && !cmp_owner(&s->owners[i], &s->owners[i - 1]))
			return ifn_errbuf(-EBADMSG, err, errlen, "an address has two owners");
		if (!ifn_snap_find_dev(s, s->owners[i].o.mac))
			return ifn_errbuf(-EBADMSG, err, errlen,
					  "an address owned by a device that is not listed");
	}
	return 0;
}
