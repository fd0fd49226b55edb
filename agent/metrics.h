/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * metrics.h - Prometheus text-format metrics for node_exporter's textfile
 * collector (iotfence.8, METRICS). Collecting reads the maps; formatting is
 * pure, so that tests can check the exposition format itself.
 */
#ifndef IFN_METRICS_H
#define IFN_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "iotfence.h"
#include "state.h"

struct ifn_oui_db;

struct ifn_metrics_dev {
	char mac[18];
	char vendor[64];
	char ifname[16];
	const char *mode;
	__u64 packets, bytes, dropped, alerts, suppressed;
	__u32 flows;
	__u32 name_rules;
};

struct ifn_metrics_map {
	const char *name;
	long entries; /* -errno when it could not be counted */
	__u32 max;
};

/* What the daemon knows that the maps do not. */
struct ifn_daemon_stats {
	__u64 start_wall_ns;
	__u64 events[IFN_EV_MAX]; /* records handled, by type */
	__u64 output_dropped; /* event lines stdout could not take */
	__u64 snapshot_ok_wall_ns; /* last good snapshot, 0: none yet */
	__u64 snapshot_failures;
	__u64 reloads, reload_failures;
};

struct ifn_metrics {
	struct ifn_metrics_dev *devs;
	size_t ndevs;
	struct ifn_global_stats gs;
	struct ifn_dns_stats ds; /* the egress program's DNS answers */
	struct ifn_metrics_map maps[8];
	size_t nmaps;
	const struct ifn_daemon_stats *daemon; /* may be NULL */
};

/* Read everything from the maps. Free with ifn_metrics_free(). */
int ifn_metrics_collect(const struct ifn_maps *m, const struct ifn_oui_db *oui,
			struct ifn_metrics *mx);
void ifn_metrics_free(struct ifn_metrics *mx);

/* The exposition text. */
void ifn_metrics_format(FILE *f, const struct ifn_metrics *mx);

/*
 * Write to a temporary file next to @path and rename it over @path, so the
 * collector never reads half a file. Returns 0 or -errno.
 */
int ifn_metrics_write_file(const char *path, const struct ifn_metrics *mx);

#endif /* IFN_METRICS_H */
