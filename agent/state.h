/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * state.h - access to iotfence's maps, whether pinned (a live gateway: the
 * source of truth, shared by every command) or private to one process
 * (replay, tests). Also the environment around them: privileges, bpffs,
 * the command lock and the clocks.
 */
#ifndef IFN_STATE_H
#define IFN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "iotfence.h"

struct ifn_maps {
	int devices;
	int dev_index;
	int dev_stats;
	int free_slots;
	int flows;
	int rules_port;
	int rules_any;
	int frags;
	int ip_owners;
	int ifaces;
	int config;
	int stats;
	int events;
	int inbound; /* notes of the egress program (answers) */
	int in_recent; /* the last write of each note slot (a cache of inbound) */
	int probes;
	int probers;
	int lan_nets; /* the gateway's LAN prefixes (local-networks) */
	int dns;
	int dns_names;
	int dns_stats;
	int name_rules;
	/*
	 * The device records, mmap()ed: read and changed in place (see
	 * struct ifn_device), max_devices of them, indexed by slot.
	 */
	struct ifn_device *dev_mem;
	size_t dev_mem_len;
	__u32 max_devices;
	__u32 max_flows;
	__u32 max_rules;
	int ncpus; /* possible CPUs: the width of per-CPU values */
	bool owned; /* the fds are ours to close */
};

/* One row per map: its name and where its fd lives in struct ifn_maps. */
struct ifn_map_desc {
	const char *name;
	size_t fd_off;
};
extern const struct ifn_map_desc ifn_map_descs[];
extern const size_t ifn_map_count;

static inline int *ifn_map_fd(struct ifn_maps *m, const struct ifn_map_desc *d)
{
	return (int *)((char *)m + d->fd_off);
}

/* $IOTFENCE_PIN_DIR, or /sys/fs/bpf/iotfence. */
const char *ifn_pin_dir(void);
/* $IOTFENCE_STATE_DIR, or /var/lib/iotfence. */
const char *ifn_state_dir(void);

/*
 * A restore in progress. Before a load that makes new pinned state, a
 * directory of this name is made in the pin directory (bpffs holds no
 * files); it is removed once the snapshot is restored (or found missing or
 * refused). Pinned state that still has it was never fully restored: a
 * kill (an OOM) stopped the restore. That state is never saved over a
 * snapshot, and the next attach or run throws it away and restores again.
 * It lives in the bpffs, so a reboot clears it with the pins.
 */
#define IFN_PIN_RESTORING "restoring"
int ifn_restore_mark(void);
void ifn_restore_done(void);
bool ifn_restore_pending(void);

/*
 * Checks CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN); prints one line
 * naming what is missing and returns -EPERM.
 */
int ifn_check_privileges(void);
/*
 * ifn_strerror() for an error opening or locking the pin directory: a
 * permission error of a process that has the capabilities is said to be
 * the directory's (its owner and mode), not a lack of root.
 */
const char *ifn_pin_strerror(int err);

/*
 * Make sure the bpffs that holds the pin directory is mounted. With
 * @mount_it, mount it at /sys/fs/bpf when it is not; otherwise say how.
 */
int ifn_bpffs_ensure(bool mount_it);

/*
 * Open the pinned maps. When nothing is pinned, prints that iotfence is not
 * attached and returns -ENOENT. Checks that the pins were made by an agent
 * of this ABI version.
 */
int ifn_maps_open_pinned(struct ifn_maps *m);
/* Same, silent, for callers that handle -ENOENT themselves. */
int ifn_maps_try_open_pinned(struct ifn_maps *m);
void ifn_maps_close(struct ifn_maps *m);
/* Fill max_* and ncpus from the kernel's view of the maps, and map the
 * device records.
 */
int ifn_maps_fill_info(struct ifn_maps *m);

/*
 * The live record of a MAC: a pointer into the mmap()ed array, read and
 * changed in place. NULL if the device is unknown.
 */
struct ifn_device *ifn_device_rec(const struct ifn_maps *m, const __u8 mac[6]);

/*
 * Serialise commands that change state. Returns an fd to keep open for the
 * duration, or -errno. @create makes the pin directory first.
 */
int ifn_lock(bool create);
void ifn_unlock(int fd);

/* Interface name for an ifindex: the attached list first, then the kernel. */
const char *ifn_ifname(int ifaces_fd, __u32 ifindex, char buf[16]);

/*
 * What a command that changes state does first: the lock, then the pinned
 * maps; prints what went wrong. Nothing pinned: -ENOENT ("not attached").
 * ifn_maps_close_locked undoes both.
 */
int ifn_maps_open_locked(struct ifn_maps *m, int *lock);
void ifn_maps_close_locked(struct ifn_maps *m, int lock);

/*
 * Now on the datapath's clock: CLOCK_MONOTONIC plus the offset measured
 * when the program was loaded (ifn_config.clock_offset_ns). Every
 * timestamp in the maps (created_ns, mode_until_ns, ...) is on this clock.
 */
__u64 ifn_now_mono(void);
/* Set by the loader and when pinned maps are opened. */
void ifn_clock_set_offset(__s64 offset);
/* CLOCK_MONOTONIC itself, in ns (what the offset is measured against). */
__u64 ifn_now_mono_raw(void);
/* CLOCK_REALTIME in ns. */
__u64 ifn_now_wall(void);
/* Datapath time to wall time and back; identity under a virtual clock. */
__u64 ifn_mono_to_wall(__u64 mono);
__u64 ifn_wall_to_mono(__u64 wall);
/* Replay: datapath times are capture (wall) times. */
void ifn_clock_set_virtual(bool on);
bool ifn_clock_is_virtual(void);

void ifn_config_defaults(struct ifn_config *c);
int ifn_config_read(const struct ifn_maps *m, struct ifn_config *c);
int ifn_config_write(const struct ifn_maps *m, const struct ifn_config *c);

/* Sum the per-CPU global counters. */
/* The egress program's counters, summed over CPUs. */
int ifn_dns_stats_read(const struct ifn_maps *m, struct ifn_dns_stats *sum);
int ifn_global_stats_read(const struct ifn_maps *m, struct ifn_global_stats *sum);

/*
 * New maps: give every stats slot to the free queue and write the default
 * settings. Called once, right after the maps are created.
 */
int ifn_state_init(const struct ifn_maps *m, const struct ifn_config *cfg);

/*
 * Empty every table as the loader leaves them (tests, tools): no device,
 * flow, rule, fragment, address or interface; every slot free, counters
 * zero. Settings stay as they are.
 */
int ifn_state_reset(const struct ifn_maps *m);

/*
 * Read a whole map with batch operations. Allocates *keys and *values
 * (value_size per entry, times ncpus for per-CPU maps); returns the number
 * of entries or -errno.
 */
long ifn_map_dump(int fd, __u32 key_size, __u32 value_size, void **keys, void **values);

/*
 * Entries of the interfaces map (@keys ifindexes, @vals) with one per name:
 * an interface deleted and made again (a new ifindex) may have left its old
 * entry. The entry kept is the one whose ifindex has that name now, else
 * the newest ifindex. Compacts both arrays in place; returns the new count.
 */
long ifn_ifaces_dedupe(__u32 *keys, struct ifn_iface *vals, long n);

/* Count a map's entries (batch). */
long ifn_map_entries(int fd, __u32 key_size, __u32 value_size);

#endif /* IFN_STATE_H */
