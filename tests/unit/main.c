// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>

#include "unit.h"

#define UNIT_MAX_SUITES 64

static unit_suite_fn suites[UNIT_MAX_SUITES];
static int nsuites;

void unit_register(unit_suite_fn fn)
{
	if (nsuites < UNIT_MAX_SUITES)
		suites[nsuites++] = fn;
}

int main(void)
{
	SRunner *sr;
	int i, failed;

	if (!nsuites) {
		fprintf(stderr, "no test suites registered\n");
		return 1;
	}
	sr = srunner_create(suites[0]());
	for (i = 1; i < nsuites; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
