// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * main.c - ifn-bench SUITE [options]: the benchmark driver that
 * scripts/bench.sh runs. Suites:
 *   pkt    per-packet cost with BPF_PROG_TEST_RUN at several scales
 *   e2e    end-to-end packet rate through a veth pair (LIVE_FRAMES generator)
 *   state  pinned state for the agent benchmarks (devices, rules)
 *   dns    what names cost: the egress program, DNS answers, XDP by name
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} suites[] = {
		{ "pkt", ifb_pkt_main },
		{ "e2e", ifb_e2e_main },
		{ "state", ifb_state_main },
		{ "dns", ifb_dns_main },
	};

	if (argc < 2) {
		fprintf(stderr, "usage: ifn-bench pkt|e2e|state|dns [options]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (!strcmp(argv[1], suites[i].name))
			return suites[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ifn-bench: unknown suite '%s'\n", argv[1]);
	return 2;
}
