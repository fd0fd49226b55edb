/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * defaults.h - the agent's defaults and bounds, in one place: the command
 * line, the policy parser and the daemon's configuration read the same
 * numbers, so that a value one of them accepts the others accept too.
 * (What the datapath needs as well, map sizes and the scan and event
 * defaults, is in iotfence.h.)
 */
#ifndef IFN_DEFAULTS_H
#define IFN_DEFAULTS_H

#define IFN_NS_PER_SEC 1000000000ULL

/* How long a new device learns before it enforces (attach, new-devices learn). */
#define IFN_LEARN_DEFAULT_NS (24ULL * 3600 * IFN_NS_PER_SEC)

/*
 * The longest duration anywhere (--for, --learn-for, 'for', learn-for):
 * deadlines are CLOCK_MONOTONIC + duration in a __u64, and ten years is far
 * beyond any sensible window and far from overflowing.
 */
#define IFN_DURATION_MAX_NS (3650ULL * 86400 * IFN_NS_PER_SEC)
#define IFN_DURATION_MAX_TEXT "3650d"

/*
 * Bounds of the settings (settings.c) that a snapshot's config line is
 * held to as well (snapshot_fmt.c). The scan sketch has 512 bits: counts
 * far above a quarter of that saturate. A week of DNS TTL floor: no answer
 * is worth more, and a longer floor only keeps stale addresses open.
 */
#define IFN_SCAN_THRESHOLD_MAX 128
#define IFN_FINGERPRINT_CAP_MAX 1000000
#define IFN_EVENT_LIMIT_MAX 255
#define IFN_DNS_MIN_TTL_MAX (7ULL * 24 * 3600 * IFN_NS_PER_SEC)

/* The highest rate (pps or bps): tokens are kept in 1e-9 units in a __u64. */
#define IFN_RATE_MAX 18000000000ULL

/* Map sizes that attach --max-* and the daemon's max-* accept. */
#define IFN_MAP_SIZE_MIN 16
#define IFN_MAP_SIZE_MAX 16777216

/* The daemon's intervals; a shorter one than the minimum is refused (0: never). */
#define IFN_CONF_METRICS_INTERVAL_NS (15ULL * IFN_NS_PER_SEC)
#define IFN_CONF_SNAPSHOT_INTERVAL_NS (300ULL * IFN_NS_PER_SEC)
#define IFN_CONF_INTERVAL_MIN_NS IFN_NS_PER_SEC

/* replay --learn-for: a capture is minutes long, not days. */
#define IFN_REPLAY_LEARN_DEFAULT_NS (10ULL * 60 * IFN_NS_PER_SEC)

#endif /* IFN_DEFAULTS_H */
