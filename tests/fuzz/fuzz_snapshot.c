// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for the snapshot reader: the bytes as a gzip file (what
 * a restore reads) and as the text inside one. Whatever a restore would
 * accept must be written back as text that reads the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_fmt.h"
#include "snapshot_gz.h"

/* Small, so that a fuzzer's gzip bomb is refused quickly. */
#define FUZZ_MAX_TEXT (1024 * 1024)

static void round_trip(struct ifn_snap *s)
{
	struct ifn_snap t;
	char *a, *b, err[256];
	size_t la, lb;

	if (ifn_snap_write_text(s, &a, &la))
		abort();
	if (ifn_snap_parse_text(a, la, &t, err, sizeof(err))) {
		fprintf(stderr, "a written snapshot does not read back: %s\n%s\n", err, a);
		abort();
	}
	if (ifn_snap_write_text(&t, &b, &lb))
		abort();
	if (la != lb || memcmp(a, b, la)) {
		fprintf(stderr, "written twice, two texts:\n%s\n---\n%s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	ifn_snap_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ifn_snap s;
	char err[256];

	if (!ifn_snap_decode(data, size, FUZZ_MAX_TEXT, &s, err, sizeof(err))) {
		round_trip(&s);
		ifn_snap_free(&s);
	}
	if (!ifn_snap_parse_text((const char *)data, size, &s, err, sizeof(err))) {
		round_trip(&s);
		ifn_snap_free(&s);
	}
	return 0;
}
