/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * clockcal.h - the length of a jiffy, measured once per loaded state: the
 * datapath reads time as jiffies * jiffy_ns (one cheap helper), and every
 * deadline the agent writes (learning windows, temporary modes, DNS
 * lifetimes, rate buckets) is in that base. A wrong length makes every
 * deadline run fast or slow for the life of the state, so a length is
 * taken only when one kernel HZ alone fits every reading; otherwise the
 * datapath uses the coarse clock instead (slower, never wrong).
 */
#ifndef IFN_CLOCKCAL_H
#define IFN_CLOCKCAL_H

#include <linux/types.h>

/* Both clocks, read together by the kernel (the probe program). */
struct ifn_clock_sample {
	__u64 jiffies;
	__u64 coarse_ns; /* CLOCK_MONOTONIC_COARSE */
};

/* How the calibration reads the kernel's clocks and lets time pass. */
struct ifn_clock_ops {
	int (*read)(void *ctx, struct ifn_clock_sample *s); /* 0 or -errno */
	void (*pause)(void *ctx, __u64 ns);
	__u64 (*now)(void *ctx); /* CLOCK_MONOTONIC: the bound on waiting for a tick */
	void *ctx;
};

/*
 * On success (0), *jiffy_ns is 1e9/HZ of the running kernel, or 0 when it
 * could not be told for certain (the coarse clock is then the base), and
 * *offset is how far jiffies * jiffy_ns runs ahead of CLOCK_MONOTONIC.
 * A failing read returns its -errno. Takes 60 to 80 ms.
 */
int ifn_clock_calibrate(const struct ifn_clock_ops *ops, __u64 *jiffy_ns, __s64 *offset);

#endif /* IFN_CLOCKCAL_H */
