/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * inst.h - one instance of the real program for the differential run
 * (BPF_PROG_TEST_RUN on private maps, the virtual clock) beside its
 * reference model, and the few helpers every file of the driver uses.
 */
#ifndef IFN_DIFF_INST_H
#define IFN_DIFF_INST_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "loader.h"
#include "state.h"

#include "model.h"

#define MAX_EV 512

struct inst {
	const char *name;
	struct iotfence *skel;
	struct ifn_maps m;
	int prog_fd, egress_fd;
	__u64 *now;
	struct ring_buffer *rb;
	struct mdl model;
	__u32 max_devices, max_flows;
	/* events of the current frame */
	struct ifn_event ev[MAX_EV];
	unsigned int nev, ev_overflow;
	/* the program's record of the current frame's device */
	bool have_rec;
	struct ifn_device rec;
	void *percpu; /* scratch for per-CPU reads */
	/* The egress counters, summed over episodes (the maps are emptied). */
	__u64 dns_answers, dns_used, dns_bad, dns_spoofed;
	size_t stride;
};

/* Prints "diff: ..." and exits 2: the run cannot go on. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* @b holds 18 bytes. */
const char *fmt_mac(const __u8 *m, char *b);
/* @out holds 2 * @n + 1 bytes. */
void hex(char *out, const __u8 *p, size_t n);

void inst_load(struct inst *in, const char *name, __u32 max_devices, __u32 max_flows);
void inst_unload(struct inst *in);
/* Empty maps, as a fresh state: every slot free, default settings. */
void inst_reset(struct inst *in);
/* The model's interface settings (ifindex 1) into the program's. */
void set_iface(struct inst *in);

/* One frame through the XDP program: its action; the events in in->ev. */
int run_frame(struct inst *in, const __u8 *f, size_t len);
/*
 * One frame to a device through the egress program, that came into the
 * gateway on @ingress: false if it did not let the frame go on unchanged.
 */
bool run_egress(struct inst *in, const __u8 *f, size_t len, __u32 ingress, bool *refused);

/* The oracles the model asks (mdl_probe_oracle, mdl_scan_oracle); @ctx an inst. */
bool probe_oracle(void *ctx, const struct ifn_probe_key *k, __u32 *ports, __u32 *devices);
bool oracle(void *ctx, const __u8 mac[6], __u32 *count);

/* The program's state: a device, its counters, the global counters. */
bool prog_device(struct inst *in, const __u8 mac[6], struct ifn_device *d);
void prog_dev_stats(struct inst *in, __u32 slot, struct ifn_dev_stats *s);
void prog_global(struct inst *in, struct ifn_global_stats *g);
/* The entries of a map (an LRU map's too). */
long map_count(int fd, __u32 ksz, __u32 vsz);

#endif /* IFN_DIFF_INST_H */
