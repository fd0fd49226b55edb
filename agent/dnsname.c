// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int ifn_dns_name_parse(const char *in, char out[IFN_DNS_NAME_MAX], bool *wild, char *err,
		       size_t errlen)
{
	size_t n, i, lab = 0, labels = 1;

	*wild = false;
	if (!strncmp(in, "*.", 2)) {
		*wild = true;
		in += 2;
	}
	n = strlen(in);
	if (n && in[n - 1] == '.')
		n--; /* a fully qualified name's root */
	if (!n) {
		snprintf(err, errlen, "an empty name");
		return -EINVAL;
	}
	if (n > 253) {
		snprintf(err, errlen, "a name of over 253 characters");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c == '.') {
			if (!lab) {
				snprintf(err, errlen, "an empty label in '%.*s'", (int)n, in);
				return -EINVAL;
			}
			lab = 0;
			labels++;
		} else if (name_char(c)) {
			if (++lab > 63) {
				snprintf(err, errlen, "a label of over 63 characters");
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen,
				 "'%c' in a name (letters, digits, '-', '_' and dots; '*.' only "
				 "first)",
				 c >= 0x20 && c < 0x7f ? c : '?');
			return -EINVAL;
		}
		out[i] = c;
	}
	if (!lab) {
		snprintf(err, errlen, "an empty label in '%.*s'", (int)n, in);
		return -EINVAL;
	}
	if (*wild && labels > IFN_DNS_SUFFIXES) {
		snprintf(err, errlen, "a wildcard under %zu labels (at most %d)", labels,
			 IFN_DNS_SUFFIXES);
		return -EINVAL;
	}
	memset(out + n, 0, IFN_DNS_NAME_MAX - n);
	return 0;
}

__u64 ifn_dns_name_hash(__u64 key, const char *name, struct ifn_dns_name *nm)
{
	size_t n = strnlen(name, IFN_DNS_NAME_MAX - 1), end = n, start;
	unsigned int k = 0;
	__u64 h = key;

	memset(nm, 0, sizeof(*nm));
	memcpy(nm->name, name, n);
	nm->len = n;
	/* Labels right to left, each one's bytes left to right (as the datapath). */
	while (end > 0) {
		size_t i;

		start = end;
		while (start > 0 && name[start - 1] != '.')
			start--;
		for (i = start; i < end; i++)
			h = ifn_name_hash_byte(h, (__u8)name[i]);
		h = ifn_name_hash_label(h, end - start);
		if (k < IFN_DNS_SUFFIXES)
			nm->suffix[k] = h;
		k++;
		end = start ? start - 1 : 0;
	}
	nm->labels = k;
	return h;
}

__u64 ifn_dns_rule_hash(__u64 key, const char *name)
{
	struct ifn_dns_name nm;

	return ifn_dns_name_hash(key, name, &nm);
}

/*
 * Interned names: one copy of each text for the life of the process, so
 * that a rule carries a pointer (rules are copied, sorted and compared by
 * the million; a name of 256 bytes in each would be most of their size).
 */
struct intern {
	struct intern *next;
	char s[];
};

#define INTERN_BUCKETS 1024
static struct intern *interned[INTERN_BUCKETS];

/* Replay's workers read and generalise their devices' rules side by side. */
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

const char *ifn_dns_name_intern(const char *name)
{
	size_t n = strlen(name), b = 0, i;
	struct intern *e;

	for (i = 0; i < n; i++)
		b = b * 31 + (unsigned char)name[i];
	b %= INTERN_BUCKETS;
	pthread_mutex_lock(&intern_lock);
	for (e = interned[b]; e; e = e->next)
		if (!strcmp(e->s, name))
			goto out;
	e = malloc(sizeof(*e) + n + 1);
	if (!e)
		goto out;
	memcpy(e->s, name, n + 1);
	e->next = interned[b];
	interned[b] = e;
out:
	pthread_mutex_unlock(&intern_lock);
	return e ? e->s : NULL;
}
