/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * snapshot_data.h - the snapshot as data: the whole state in lists, each
 * sorted, as a save captures it and a restore writes it (snapshot_maps.h);
 * its text is snapshot_fmt.h's. Pure code: no maps, no files.
 *
 * Every time in a snapshot is wall-clock nanoseconds (CLOCK_REALTIME): the
 * datapath's monotonic clock restarts at a reboot, the wall clock does not.
 */
#ifndef IFN_SNAPSHOT_DATA_H
#define IFN_SNAPSHOT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "iotfence.h"

struct ifn_snap_iface {
	__u32 ifindex; /* at save time: a restore goes by name */
	char name[16];
	struct ifn_iface ifc; /* learn_ns is a duration: no clock */
};

struct ifn_snap_dev {
	__u8 mac[6];
	char ifname[16]; /* "" if the interface was unknown */
	/* The mode, the mode after it, and its deadline (wall, 0: none). */
	__u8 mode;
	__u8 mode_after;
	__u64 until_ns;
	/*
	 * The record with a wall time in created_ns. Only what survives a
	 * restart is kept: flags, addresses, rate limits. Buckets, scan state
	 * and event limits start afresh; the mode is in the fields above.
	 */
	struct ifn_device dev;
	struct ifn_dev_stats st; /* summed over CPUs, wall first/last seen */
};

struct ifn_snap_flow {
	struct ifn_flow_key k;
	struct ifn_flow_val v; /* added_ns: wall */
};

struct ifn_snap_rule {
	bool any; /* ifn_rules_any, else ifn_rules_port */
	struct ifn_rule_port_key pk; /* when !any */
	struct ifn_rule_any_key ak; /* when any */
	struct ifn_rule_val v; /* added_ns: wall */
};

/*
 * A rule on a name. The file holds the text: the hash (k.name) is the
 * state's own (ifn_config.dns_key) and is made again by the restore.
 */
struct ifn_snap_name {
	struct ifn_name_rule_key k; /* k.name unused */
	struct ifn_name_rule_val v; /* added_ns: wall */
};

struct ifn_snap_owner {
	struct ifn_ip_key k;
	struct ifn_ip_owner o; /* since_ns: wall */
};

struct ifn_snap {
	unsigned int version;
	__u64 saved_ns; /* wall */
	struct ifn_config cfg;
	struct ifn_global_stats gs; /* summed; table_full_event_ns 0 */
	struct ifn_snap_iface *ifaces;
	size_t n_ifaces;
	struct ifn_snap_dev *devs;
	size_t n_devs;
	struct ifn_snap_flow *flows;
	size_t n_flows;
	struct ifn_snap_rule *rules;
	size_t n_rules;
	struct ifn_snap_owner *owners;
	size_t n_owners;
	struct ifn_snap_name *names;
	size_t n_names;
};

void ifn_snap_free(struct ifn_snap *s);

/* Sort every list (the order of the text, so that snapshots diff well). */
void ifn_snap_sort(struct ifn_snap *s);
/* A device of a sorted snapshot, or NULL. */
const struct ifn_snap_dev *ifn_snap_find_dev(const struct ifn_snap *s, const __u8 mac[6]);

/*
 * Sort @s and check its lists as a whole: no item twice, every flow, rule
 * and address of a listed device. On error writes what is wrong to err and
 * returns -EBADMSG.
 */
int ifn_snap_check_lists(struct ifn_snap *s, char *err, size_t errlen);

#endif /* IFN_SNAPSHOT_DATA_H */
