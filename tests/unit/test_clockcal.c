// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The jiffy calibration (clockcal.c) against a simulated kernel clock: a
 * jiffies grid and a coarse-clock grid of their own phases, ticks that run
 * late by a little and now and then by several ticks (a catch-up), and a
 * CPU that is idle while the calibration sleeps (NO_HZ: no tick, then a
 * catch-up on waking). It must never take a wrong HZ: the datapath's clock
 * would run fast or slow for the life of the state.
 */
#include <errno.h>

#include "clockcal.h"
#include "unit.h"

#define MS 1000000ULL

struct sim {
	__u64 t; /* CLOCK_MONOTONIC */
	__u64 tick;
	__u64 pj, pc; /* phases of the jiffies and coarse grids */
	__u64 j0; /* jiffies at pj */
	__u64 jif, coarse;
	__u64 due; /* when the next tick's handler runs */
	__u64 lat_max, hiccup_max, read_ns;
	unsigned int hiccup_pct;
	unsigned int rng;
	int nohz; /* sleeping leaves the CPU idle: no ticks */
	int stuck; /* jiffies never move */
	int fail_after; /* reads before one fails (-1: never) */
	int reads;
};

static unsigned int sim_rand(struct sim *s)
{
	s->rng = s->rng * 1103515245u + 12345u;
	return s->rng >> 8;
}

static void sim_update(struct sim *s, __u64 u)
{
	if (s->stuck)
		return;
	s->jif = s->j0 + (u - s->pj) / s->tick;
	s->coarse = s->pc + (u - s->pc) / s->tick * s->tick;
}

/* The next tick on the grid after the current jiffy, run late by some. */
static void sim_schedule(struct sim *s)
{
	__u64 lat = s->lat_max ? sim_rand(s) % s->lat_max : 0;

	if (s->hiccup_max && sim_rand(s) % 100 < s->hiccup_pct)
		lat += sim_rand(s) % s->hiccup_max;
	s->due = s->pj + (s->jif - s->j0 + 1) * s->tick + lat;
}

static void sim_ticks(struct sim *s)
{
	while (!s->stuck && s->due <= s->t) {
		sim_update(s, s->due);
		sim_schedule(s);
	}
}

static int sim_read(void *ctx, struct ifn_clock_sample *smp)
{
	struct sim *s = ctx;

	if (s->fail_after >= 0 && s->reads++ >= s->fail_after)
		return -EPERM;
	s->t += s->read_ns;
	sim_ticks(s);
	smp->jiffies = s->jif;
	smp->coarse_ns = s->coarse;
	return 0;
}

static void sim_pause(void *ctx, __u64 ns)
{
	struct sim *s = ctx;

	s->t += ns;
	if (s->nohz) {
		sim_update(s, s->t); /* the catch-up when the CPU wakes */
		sim_schedule(s);
	} else {
		sim_ticks(s);
	}
}

static __u64 sim_now(void *ctx)
{
	return ((struct sim *)ctx)->t;
}

static void sim_init(struct sim *s, unsigned int hz, unsigned int seed)
{
	*s = (struct sim){ .tick = 1000000000ULL / hz, .rng = seed, .fail_after = -1 };
	s->pj = 7000 * 1000000000ULL + sim_rand(s) % s->tick;
	s->pc = s->pj - s->tick + sim_rand(s) % s->tick;
	s->j0 = 4294667296ULL + sim_rand(s) % 100000; /* near INITIAL_JIFFIES */
	s->t = s->pj + 1000 * s->tick + sim_rand(s) % s->tick;
	s->read_ns = 3000;
	sim_update(s, s->t);
	sim_schedule(s);
}

static struct ifn_clock_ops sim_ops(struct sim *s)
{
	return (struct ifn_clock_ops){ sim_read, sim_pause, sim_now, s };
}

static const unsigned int hzs[] = { 100, 250, 300, 1000 };

/*
 * Runs @n seeds of one condition at each HZ; counts the right answers and
 * the fallbacks, and fails on any wrong one. Where a length is taken, the
 * agent's clock (CLOCK_MONOTONIC plus the offset) is never behind the
 * datapath's (jiffies * len), and ahead by less than two ticks.
 */
static void run_cond(unsigned int n, __u64 lat, unsigned int hic_pct, unsigned int hic_ticks,
		     int nohz, int coarse_lag, unsigned int *right, unsigned int *fallback)
{
	for (unsigned int h = 0; h < sizeof(hzs) / sizeof(hzs[0]); h++) {
		for (unsigned int seed = 1; seed <= n; seed++) {
			struct ifn_clock_ops ops;
			struct sim s;
			__u64 len;
			__s64 off, err;

			sim_init(&s, hzs[h], seed * 7919 + hzs[h]);
			s.lat_max = lat;
			s.hiccup_pct = hic_pct;
			s.hiccup_max = hic_ticks * s.tick;
			s.nohz = nohz;
			if (coarse_lag) /* the coarse grid just after the tick: often a tick behind */
				s.pc = s.pj - s.tick + lat / 2;
			ops = sim_ops(&s);

			ck_assert_int_eq(ifn_clock_calibrate(&ops, &len, &off), 0);
			if (!len) {
				(*fallback)++;
				continue;
			}
			ck_assert_msg(len == s.tick, "HZ %u, seed %u: took a jiffy of %llu ns",
				      hzs[h], seed, (unsigned long long)len);
			(*right)++;
			err = (__s64)(s.jif * len) - off - (__s64)s.t;
			ck_assert_msg(err > -2 * (__s64)s.tick && err <= 0,
				      "HZ %u, seed %u: the clocks are %lld ns apart", hzs[h], seed,
				      (long long)err);
		}
	}
}

START_TEST(quiet_machine_takes_hz)
{
	unsigned int right = 0, fallback = 0;

	run_cond(50, 50000, 0, 0, 0, 0, &right, &fallback);
	run_cond(50, 50000, 0, 0, 1, 0, &right, &fallback);
	ck_assert_uint_eq(fallback, 0);
	ck_assert_uint_eq(right, 2 * 50 * 4);
}
END_TEST

/* Idle catch-ups, late ticks and a lagging coarse grid: never a wrong HZ. */
START_TEST(busy_machine_never_takes_a_wrong_hz)
{
	unsigned int right = 0, fallback = 0;

	run_cond(150, 200000, 5, 3, 1, 0, &right, &fallback);
	run_cond(150, 200000, 5, 3, 0, 1, &right, &fallback);
	run_cond(150, 200000, 20, 2, 1, 1, &right, &fallback);
	/* And mostly still finds it: the coarse clock is the slower base. */
	ck_assert_uint_ge(right, (right + fallback) * 9 / 10);
}
END_TEST

START_TEST(still_jiffies_fall_back_to_coarse)
{
	struct ifn_clock_ops ops;
	struct sim s;
	__u64 len = 1;
	__s64 off = 1;

	sim_init(&s, 250, 3);
	s.stuck = 1;
	ops = sim_ops(&s);

	ck_assert_int_eq(ifn_clock_calibrate(&ops, &len, &off), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(off, 0);
}
END_TEST

START_TEST(a_failing_read_is_the_error)
{
	struct ifn_clock_ops ops;
	struct sim s;
	__u64 len = 1;
	__s64 off = 1;

	for (int after = 0; after < 3000; after += 997) {
		sim_init(&s, 250, 5);
		s.fail_after = after;
		ops = sim_ops(&s);

		ck_assert_int_eq(ifn_clock_calibrate(&ops, &len, &off), -EPERM);
		ck_assert_uint_eq(len, 0);
	}
}
END_TEST

UNIT_SUITE(clockcal_suite)
static Suite *clockcal_suite(void)
{
	Suite *s = suite_create("clockcal");
	TCase *tc = tcase_create("calibrate");

	tcase_add_test(tc, quiet_machine_takes_hz);
	tcase_add_test(tc, busy_machine_never_takes_a_wrong_hz);
	tcase_add_test(tc, still_jiffies_fall_back_to_coarse);
	tcase_add_test(tc, a_failing_read_is_the_error);
	suite_add_tcase(s, tc);
	return s;
}
