/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * grow.h - the one way the agent grows a buffer or array: by doubling, so
 * that appending n items costs O(n) in all.
 */
#ifndef IFN_GROW_H
#define IFN_GROW_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

/*
 * Make *p (of *cap items of @elem bytes) hold at least @need items: from
 * @first items, or twice *cap, doubled until it fits. Nothing changes on
 * -ENOMEM.
 */
static inline int ifn_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t n = *cap ? *cap : first;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

#endif /* IFN_GROW_H */
