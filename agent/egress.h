/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * egress.h - the egress program's place on an interface: a classic tc
 * filter (clsact egress, handle IFN_TC_HANDLE, priority IFN_TC_PRIO) that
 * runs the pinned iotfence_egress. libbpf 1.1 has no tc links: the filter
 * itself outlives the agent, as the pinned XDP link does, and `tc filter
 * show dev IFACE egress` and `bpftool net` show it.
 */
#ifndef IFN_EGRESS_H
#define IFN_EGRESS_H

#include <linux/types.h>

#define IFN_TC_HANDLE 0x1f0e
#define IFN_TC_PRIO 1

/* The pinned egress program (IFN_PIN_PROG_EGRESS), or -errno. */
int ifn_egress_prog_open(void);
/* Attach, or replace what is attached with, the pinned egress program. */
int ifn_egress_attach(int ifindex);
/* Remove our filter; 0 if there was none (or no interface). */
int ifn_egress_detach(int ifindex);
/* The id of the program in our filter: 0 and *prog_id, or -ENOENT. */
int ifn_egress_query(int ifindex, __u32 *prog_id);

#endif /* IFN_EGRESS_H */
