/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * htab.h - a small open-addressing hash table with fixed-size keys and
 * values, for the reference model's sets and maps. Userspace only; it has
 * nothing to do with BPF maps, on purpose: the model must not share code
 * with the program it checks.
 */
#ifndef IFN_DIFF_HTAB_H
#define IFN_DIFF_HTAB_H

#include <stdbool.h>
#include <stddef.h>

struct htab {
	size_t ksz, vsz; /* key and value sizes in bytes */
	size_t cap; /* slots, a power of two */
	size_t used; /* live entries */
	size_t tomb; /* deleted slots not yet reused */
	unsigned char *state; /* 0 empty, 1 live, 2 deleted */
	unsigned char *keys;
	unsigned char *vals;
};

void htab_init(struct htab *h, size_t ksz, size_t vsz);
void htab_free(struct htab *h);
void htab_clear(struct htab *h);
/* Pointer to the value of @key, or NULL. */
void *htab_get(const struct htab *h, const void *key);
/* Insert or overwrite; returns the value slot (copied from @val if given). */
void *htab_put(struct htab *h, const void *key, const void *val);
bool htab_del(struct htab *h, const void *key);
static inline size_t htab_count(const struct htab *h)
{
	return h->used;
}

/* Iterate: for (i = 0; htab_next(h, &i, &k, &v);) ... */
bool htab_next(const struct htab *h, size_t *it, const void **key, void **val);

#endif /* IFN_DIFF_HTAB_H */
