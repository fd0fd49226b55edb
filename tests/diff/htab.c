// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p) {
		fprintf(stderr, "diff: out of memory\n");
		exit(2);
	}
	return p;
}

/* FNV-1a: keys are short and the table only needs a fair spread. */
static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static void alloc_slots(struct htab *h, size_t cap)
{
	h->cap = cap;
	h->used = 0;
	h->tomb = 0;
	h->state = xcalloc(cap, 1);
	h->keys = xcalloc(cap, h->ksz);
	h->vals = xcalloc(cap, h->vsz);
}

void htab_init(struct htab *h, size_t ksz, size_t vsz)
{
	memset(h, 0, sizeof(*h));
	h->ksz = ksz;
	h->vsz = vsz;
	alloc_slots(h, 64);
}

void htab_free(struct htab *h)
{
	free(h->state);
	free(h->keys);
	free(h->vals);
	memset(h, 0, sizeof(*h));
}

void htab_clear(struct htab *h)
{
	memset(h->state, 0, h->cap);
	h->used = 0;
	h->tomb = 0;
}

static size_t find(const struct htab *h, const void *key, bool *found)
{
	size_t mask = h->cap - 1, i = hash(key, h->ksz) & mask, first_free = SIZE_MAX;

	for (;;) {
		if (h->state[i] == 0) {
			*found = false;
			return first_free != SIZE_MAX ? first_free : i;
		}
		if (h->state[i] == 2) {
			if (first_free == SIZE_MAX)
				first_free = i;
		} else if (!memcmp(h->keys + i * h->ksz, key, h->ksz)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

void *htab_get(const struct htab *h, const void *key)
{
	bool found;
	size_t i = find(h, key, &found);

	return found ? h->vals + i * h->vsz : NULL;
}

static void grow(struct htab *h)
{
	struct htab old = *h;
	size_t i;

	alloc_slots(h, (old.used + 1) * 4 > old.cap ? old.cap * 2 : old.cap);
	for (i = 0; i < old.cap; i++)
		if (old.state[i] == 1)
			htab_put(h, old.keys + i * old.ksz, old.vals + i * old.vsz);
	free(old.state);
	free(old.keys);
	free(old.vals);
}

void *htab_put(struct htab *h, const void *key, const void *val)
{
	bool found;
	size_t i;

	if ((h->used + h->tomb + 1) * 2 > h->cap)
		grow(h);
	i = find(h, key, &found);
	if (!found) {
		if (h->state[i] == 2)
			h->tomb--;
		h->state[i] = 1;
		memcpy(h->keys + i * h->ksz, key, h->ksz);
		memset(h->vals + i * h->vsz, 0, h->vsz);
		h->used++;
	}
	if (val)
		memcpy(h->vals + i * h->vsz, val, h->vsz);
	return h->vals + i * h->vsz;
}

bool htab_del(struct htab *h, const void *key)
{
	bool found;
	size_t i = find(h, key, &found);

	if (!found)
		return false;
	h->state[i] = 2;
	h->used--;
	h->tomb++;
	return true;
}

bool htab_next(const struct htab *h, size_t *it, const void **key, void **val)
{
	while (*it < h->cap) {
		size_t i = (*it)++;

		if (h->state[i] == 1) {
			if (key)
				*key = h->keys + i * h->ksz;
			if (val)
				*val = h->vals + i * h->vsz;
			return true;
		}
	}
	return false;
}
