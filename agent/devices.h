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

/* A copy of the record (-ENOENT if unknown). */
int ifn_device_get(const struct ifn_maps *m, const __u8 mac[6], struct ifn_device *dev);

/*
 * Write what the agent owns of @dev into the live record: rate limits and
 * buckets, and the rate and learn-capped flags. The datapath's fields stay
 * as they are now, and so does the mode word: a mode changes through
 * ifn_device_set_mode() or ifn_device_cas_mode(), which cannot lose a
 * change the datapath made meanwhile. -ENOENT if the device is gone.
 */
int ifn_device_put(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_device *dev);

/*
 * An operator's mode change (see ifn_device_apply_mode), applied with a
 * compare-and-swap of the mode word; @out (may be NULL) gets the record
 * after it.
 */
int ifn_device_set_mode(const struct ifn_maps *m, const __u8 mac[6], __u8 mode, __u64 for_ns,
			__u64 learn_ns, __u64 now, struct ifn_device *out);

/* The same on a live record in hand (a walk over all devices). */
int ifn_device_rec_set_mode(struct ifn_device *rec, __u8 mode, __u64 for_ns, __u64 learn_ns,
			    __u64 now);

/*
 * Replace the mode word by @word if it is still @expect (-EAGAIN if not:
 * the datapath or someone else changed it since it was read). Resets the
 * scan state, and the learn-capped flag when the new mode is learn.
 */
int ifn_device_cas_mode(const struct ifn_maps *m, const __u8 mac[6], __u64 expect, __u64 word,
			__u64 now);

/*
 * Publish a whole record in the slot d->slot, which the caller took from
 * the free slots (a restore): the record is written, then the index names
 * it. -EEXIST if the MAC is known.
 */
int ifn_device_insert(const struct ifn_maps *m, const struct ifn_device *d);

/* Sum a stats slot over CPUs. */
int ifn_device_stats(const struct ifn_maps *m, __u32 slot, struct ifn_dev_stats *sum);

/* All devices with their counters, sorted by MAC (batch reads). */
int ifn_devices_read(const struct ifn_maps *m, struct ifn_dev_view **out, size_t *n);
int ifn_device_read(const struct ifn_maps *m, const __u8 mac[6], struct ifn_dev_view *v);
/* Copies of every record and its MAC key, in slot order (no counters). */
long ifn_devices_records(const struct ifn_maps *m, struct ifn_mac_key **keys,
			 struct ifn_device **vals);

/*
 * Create a record from userspace (a device declared in a policy before it
 * is seen): takes a free stats slot. -EEXIST if the device is known,
 * -E2BIG if the table is full.
 */
int ifn_device_create(const struct ifn_maps *m, const __u8 mac[6], __u8 mode, __u32 ifindex);
/*
 * The same, published with the mode word and the rate of @init already in
 * it: a reader (or a kill) never sees the record in another mode first.
 */
int ifn_device_create_as(const struct ifn_maps *m, const __u8 mac[6], const struct ifn_device *init,
			 __u32 ifindex);

/*
 * Forget a device: its rules, its addresses, its record and its counters;
 * the stats slot is zeroed and given back. -ENOENT if unknown.
 */
int ifn_device_forget(const struct ifn_maps *m, const __u8 mac[6]);

/*
 * An operator's mode change, computed on a record in memory (a copy). A
 * deadline already past counts as passed. @for_ns makes the mode temporary
 * (the device then returns to its current mode, or, over another temporary
 * mode, to the mode that one returns to; learn returns to enforce).
 * Learning without @for_ns lasts @learn_ns (0: until changed).
 * Scan state is reset, so a released device starts afresh.
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
/* The JSON object of docs/DESIGN.md (Agent) for one device. */
void ifn_device_json(struct ifn_json *j, const struct ifn_dev_view *v, const char *vendor,
		     const char *ifname);

#endif /* IFN_DEVICES_H */
