// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * resolved.c - what the devices resolved (ifn_dns): see resolved.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "dnsname.h"
#include "resolved.h"

void ifn_resolved_from(const __u8 mac[6], const __u8 addr[16], const struct ifn_dns_val *v,
		       __u64 now, __u64 min_ttl_ns, struct ifn_resolved *out)
{
	bool used = v->last_used_ns && now - v->last_used_ns < min_ttl_ns;
	unsigned int j;

	memset(out, 0, sizeof(*out));
	memcpy(out->mac, mac, 6);
	memcpy(out->addr, addr, 16);
	out->last_used_ns = v->last_used_ns;
	for (j = 0; j < IFN_DNS_NAMES_PER_ADDR; j++) {
		if (!v->name[j])
			continue;
		out->hash[out->n] = v->name[j];
		out->expires_ns[out->n] = v->expires_ns[j];
		out->live[out->n] = now < v->expires_ns[j] || used;
		out->n++;
	}
}

int ifn_resolved_get(const struct ifn_maps *m, const __u8 mac[6], const __u8 addr[16], __u64 now,
		     __u64 min_ttl_ns, struct ifn_resolved *out)
{
	struct ifn_dns_key k = {};
	struct ifn_dns_val v;

	memcpy(k.mac, mac, 6);
	memcpy(k.addr, addr, 16);
	if (bpf_map_lookup_elem(m->dns, &k, &v))
		return -errno;
	ifn_resolved_from(mac, addr, &v, now, min_ttl_ns, out);
	return out->n ? 0 : -ENOENT;
}

static int by_mac_addr(const void *a, const void *b)
{
	const struct ifn_resolved *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, 6);

	return c ? c : memcmp(x->addr, y->addr, 16);
}

long ifn_resolved_all(const struct ifn_maps *m, __u64 now, __u64 min_ttl_ns,
		      struct ifn_resolved **out)
{
	struct ifn_dns_key *keys = NULL;
	struct ifn_dns_val *vals = NULL;
	struct ifn_resolved *r;
	long n, i, k = 0;

	*out = NULL;
	n = ifn_map_dump(m->dns, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals);
	if (n < 0)
		return n;
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ifn_resolved_from(keys[i].mac, keys[i].addr, &vals[i], now, min_ttl_ns, &r[k]);
		k += r[k].n > 0;
	}
	free(keys);
	free(vals);
	qsort(r, k, sizeof(*r), by_mac_addr);
	*out = r;
	return k;
}

size_t ifn_resolved_of(const struct ifn_resolved *all, size_t n, const __u8 mac[6], size_t *count)
{
	size_t lo = 0, hi = n, end;

	/* The first entry whose MAC is not below @mac. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(all[mid].mac, mac, 6) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < n && !memcmp(all[end].mac, mac, 6); end++)
		;
	*count = end - lo;
	return lo;
}

bool ifn_resolved_text(const struct ifn_maps *m, __u64 hash, char buf[IFN_DNS_NAME_MAX])
{
	struct ifn_dns_name nm;

	if (bpf_map_lookup_elem(m->dns_names, &hash, &nm)) {
		buf[0] = '\0';
		return false;
	}
	memcpy(buf, nm.name, IFN_DNS_NAME_MAX);
	buf[IFN_DNS_NAME_MAX - 1] = '\0';
	return true;
}

bool ifn_resolved_rule_admits(const struct ifn_maps *m, __u64 key, __u64 hash, const char *name,
			      bool wild)
{
	__u64 want = ifn_dns_rule_hash(key, name);
	struct ifn_dns_name nm;
	unsigned int i;

	if (!wild)
		return want == hash;
	if (bpf_map_lookup_elem(m->dns_names, &hash, &nm))
		return false;
	/* suffix[i] holds the last i + 1 labels; "*.S" needs a label more than S. */
	for (i = 0; i < IFN_DNS_SUFFIXES && i + 1 < nm.labels; i++)
		if (nm.suffix[i] == want)
			return true;
	return false;
}
