/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * devices.h - the device table as the agent sees it: records, their summed
 * per-CPU counters, and the changes an operator makes to them.
 */
#ifndef IFN_DEVICES_H
#define IFN_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "iotfence.h"
#include "output.h"
#include "state.h"

struct ifn_dev_view {
	__u8 mac[6];
	__u8 pad[2];
	struct ifn_device dev;
	struct ifn_dev_stats st; /* summed over CPUs; first/last seen: min/max */
};

int ifn_device_get(const struct ifn_maps *m, const __u8 mac[6], struct ifn_device *dev);
/* Replace an existing record (BPF_EXIST): -ENOENT if it is gone. */
int ifn_device_put(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_device *dev);

enum ifn_dev_field_op {
	IFN_DEV_FIELD_FLOWS_INC,
	IFN_DEV_FIELD_FLOWS_DEC,
	IFN_DEV_FIELD_FLAGS_SET,
	IFN_DEV_FIELD_FLAGS_CLEAR,
};
/* Read-modify-write of one field of a record. */
int ifn_device_update_fields(const struct ifn_maps *m, const __u8 mac[6],
			     enum ifn_dev_field_op op, __u32 arg);

/* Sum a stats slot over CPUs. */
int ifn_device_stats(const struct ifn_maps *m, __u32 slot, struct ifn_dev_stats *sum);

/* All devices with their counters, sorted by MAC (batch reads). */
int ifn_devices_read(const struct ifn_maps *m, struct ifn_dev_view **out, size_t *n);
int ifn_device_read(const struct ifn_maps *m, const __u8 mac[6], struct ifn_dev_view *v);

/*
 * Create a record from userspace (a device declared in a policy before it
 * is seen): takes a free stats slot. -EEXIST if the device is known,
 * -E2BIG if the table is full.
 */
int ifn_device_create(const struct ifn_maps *m, const __u8 mac[6], __u8 mode, __u32 ifindex);

/*
 * Forget a device: its rules, its addresses, its record and its counters;
 * the stats slot is zeroed and given back. -ENOENT if unknown.
 */
int ifn_device_forget(const struct ifn_maps *m, const __u8 mac[6]);

/*
 * An operator's mode change, applied to a record in memory. @for_ns makes
 * it temporary (the device then returns to its current mode; a learning
 * device returns to enforce). Learning without @for_ns lasts @learn_ns
 * (0: until changed). Scan state is reset, so a released device starts
 * afresh.
 */
void ifn_device_apply_mode(struct ifn_device *d, __u8 mode, __u64 for_ns, __u64 learn_ns,
			   __u64 now);

/*
 * Set rate limits in a record: 0 means no limit in that dimension. Bursts
 * of 0 default to one second's worth. -EINVAL for a burst above that.
 */
int ifn_device_apply_rate(struct ifn_device *d, __u64 pps, __u64 bps, __u64 burst_pkts,
			  __u64 burst_bytes);

/* IPv4 as text or NULL if none; IPv6 addresses (0, 1 or 2) as text. */
const char *ifn_device_ipv4(const struct ifn_device *d, char *buf, size_t len);
int ifn_device_ipv6(const struct ifn_device *d, char bufs[2][48]);

/* Frames the device lost to policy (drop verdicts). */
static inline __u64 ifn_dev_dropped(const struct ifn_dev_stats *s)
{
	return s->verdict[IFN_VERDICT_DROP];
}

/* The members of a device's JSON object, for callers that add their own. */
void ifn_device_json_fields(struct ifn_json *j, const struct ifn_dev_view *v, const char *vendor,
			    const char *ifname);
/* The JSON object of DESIGN.md (Agent) for one device. */
void ifn_device_json(struct ifn_json *j, const struct ifn_dev_view *v, const char *vendor,
		     const char *ifname);

#endif /* IFN_DEVICES_H */
