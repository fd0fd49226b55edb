/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * unit.h - Check suites of pure userspace code register themselves, so a
 * new test file needs no edit anywhere else.
 */
#ifndef IFN_TEST_UNIT_H
#define IFN_TEST_UNIT_H

#include <check.h>

typedef Suite *(*unit_suite_fn)(void);
void unit_register(unit_suite_fn fn);

#define UNIT_SUITE(fn)                                               \
	static Suite *fn(void);                                      \
	__attribute__((constructor)) static void register_##fn(void) \
	{                                                            \
		unit_register(fn);                                   \
	}

#endif /* IFN_TEST_UNIT_H */
