// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for the policy parser. Beyond "no crash, no leak, no
 * undefined behaviour" (ASan/UBSan), it checks a property: whatever parses
 * is written as a policy that parses again and is written the same way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_parse.h"

static char *write_str(const struct ifn_policy *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	ifn_policy_write(p, f);
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ifn_policy p, q;
	size_t la, lb;
	char *a, *b;

	if (ifn_policy_parse((const char *)data, size, &p, NULL, NULL))
		return 0;
	a = write_str(&p, &la);
	if (ifn_policy_parse(a, la, &q, NULL, NULL)) {
		fprintf(stderr, "a written policy does not parse:\n%s\n", a);
		abort();
	}
	b = write_str(&q, &lb);
	if (la != lb || memcmp(a, b, la)) {
		fprintf(stderr, "written twice, two texts:\n%s\n---\n%s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	ifn_policy_free(&p);
	ifn_policy_free(&q);
	return 0;
}
