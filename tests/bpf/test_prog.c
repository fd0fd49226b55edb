// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The program as the kernel sees it: it loads with nothing for libbpf to
 * warn about, and its verifier statistics and sizes are measured and
 * printed on every run (issue 2: no compiler or verifier warnings).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "iotfence.skel.h"

static char warnings[4096];
static size_t nwarn;

static int record_warnings(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && nwarn < sizeof(warnings) - 1)
		nwarn += vsnprintf(warnings + nwarn, sizeof(warnings) - nwarn, fmt, ap);
	if (nwarn >= sizeof(warnings))
		nwarn = sizeof(warnings) - 1;
	return 0;
}

START_TEST(loads_clean_and_reports_size)
{
	static char log[1 << 16];
	struct bpf_prog_info info;
	struct iotfence *skel;
	struct bpf_map *map;
	__u32 len = sizeof(info);
	unsigned long processed = 0;
	const char *p;
	int err;

	/* A fresh load, with private maps (no pin path: nothing under bpffs). */
	libbpf_set_print(record_warnings);
	skel = iotfence__open();
	ck_assert_ptr_nonnull(skel);
	bpf_object__for_each_map(map, skel->obj) bpf_map__set_pin_path(map, NULL);
	/* Level 4 (BPF_LOG_STATS): the verifier's totals, not its trace. */
	ck_assert_int_eq(bpf_program__set_log_level(skel->progs.iotfence_xdp, 4), 0);
	ck_assert_int_eq(bpf_program__set_log_buf(skel->progs.iotfence_xdp, log, sizeof(log)), 0);
	err = iotfence__load(skel);
	ck_assert_msg(!err, "load failed: %d\n%s", err, log);
	ck_assert_msg(nwarn == 0, "libbpf warned while loading:\n%s", warnings);

	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(
		bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.iotfence_xdp), &info, &len), 0);
	p = strstr(log, "processed ");
	ck_assert_msg(p, "no statistics in the verifier log:\n%s", log);
	processed = strtoul(p + strlen("processed "), NULL, 10);
	ck_assert_uint_gt(info.verified_insns, 0);
	ck_assert_uint_eq(info.verified_insns, processed);
	ck_assert_uint_gt(info.xlated_prog_len, 0);
	printf("iotfence_xdp: verifier processed %u insns; xlated %u bytes (%u insns); jited %u "
	       "bytes; verifier: %.*s\n",
	       info.verified_insns, info.xlated_prog_len, info.xlated_prog_len / 8,
	       info.jited_prog_len, (int)strcspn(p, "\n"), p);
	/* The egress program: verified with the same object, its own totals. */
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	ck_assert_int_eq(bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.iotfence_egress), &info,
						&len),
			 0);
	ck_assert_uint_gt(info.verified_insns, 0);
	printf("iotfence_egress: verifier processed %u insns; xlated %u bytes (%u insns); jited "
	       "%u bytes\n",
	       info.verified_insns, info.xlated_prog_len, info.xlated_prog_len / 8,
	       info.jited_prog_len);
	fflush(stdout);
	iotfence__destroy(skel);
}
END_TEST

TH_SUITE(prog_suite)
static Suite *prog_suite(void)
{
	Suite *s = suite_create("datapath-program");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, loads_clean_and_reports_size);
	suite_add_tcase(s, tc);
	return s;
}
