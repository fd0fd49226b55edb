/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * harness.h - run the real XDP program on crafted frames with
 * BPF_PROG_TEST_RUN, on private maps and a virtual clock, and read back
 * verdicts, counters and events.
 *
 * Suites register themselves (TH_SUITE below), so a new test file needs no
 * edit anywhere else.
 */
#ifndef IFN_TEST_HARNESS_H
#define IFN_TEST_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "iotfence.h"
#include "state.h"
#include "frames.h"

struct iotfence;
struct ring_buffer;

#define TH_MAX_EVENTS 4096

struct th {
	struct iotfence *skel;
	struct ifn_maps m;
	int prog_fd;
	__u64 *now; /* virtual clock: set before a run */
	struct ring_buffer *rb;
	struct ifn_event ev[TH_MAX_EVENTS];
	unsigned int nev;
	unsigned long ev_overflow;
};

struct th_opts {
	__u32 max_devices; /* 0: a small default (256) */
	__u32 max_flows; /* 0: 16384 */
	bool real_clock; /* bpf_ktime_get_coarse_ns instead of the virtual clock */
};

/*
 * A clean state for one test: the program is loaded once per process (with
 * private maps, never the pins) and every map is emptied here. Loopback
 * (ifindex 1, where BPF_PROG_TEST_RUN frames arrive) gets the default mode
 * learn with no deadline; settings are the defaults. Fails the test on
 * error: these tests need root.
 */
void th_setup(struct th *t, const struct th_opts *o);
void th_teardown(struct th *t);

/* Settings of the interface frames arrive on (ifindex 1). */
void th_iface(struct th *t, __u8 default_mode, __u64 learn_ns);
/* Read-modify-write of the settings. */
struct ifn_config th_config(struct th *t);
void th_set_config(struct th *t, const struct ifn_config *c);

/* Run one frame; returns the XDP action. */
int th_run(struct th *t, const void *data, size_t len);
/* Run one frame repeat times (BPF_PROG_TEST_RUN repeat). */
int th_run_repeat(struct th *t, const void *data, size_t len, __u32 repeat);
/* Build and run. */
int th_send(struct th *t, const struct frame_spec *s);

/*
 * Run the egress (tc) program on a frame the gateway delivers to a device,
 * arrived on @ingress_ifindex (0: the gateway's own). It must return
 * TC_ACT_UNSPEC and leave the frame as it was: it only reads.
 */
void th_egress(struct th *t, const void *data, size_t len, __u32 ingress_ifindex);

/* Drain the ring buffer into t->ev. */
void th_events(struct th *t);
/* Events of a type (for a MAC, or any MAC when NULL) seen so far. */
unsigned int th_count_events(struct th *t, __u32 type, const char *mac);

/* Device record and summed counters; false if unknown. */
bool th_device(struct th *t, const char *mac, struct ifn_device *d, struct ifn_dev_stats *st);
/* Set a device's mode directly (as the agent does). */
void th_set_mode(struct th *t, const char *mac, __u8 mode);
void th_global(struct th *t, struct ifn_global_stats *gs);

/* Install a rule given as text ("tcp/443 1.2.3.4") for a device. */
void th_allow(struct th *t, const char *mac, const char *rule);
/* Number of exact flows in the fingerprint of a device. */
unsigned int th_flow_count(struct th *t, const char *mac);
bool th_has_flow(struct th *t, const char *mac, const char *rule);

/* Run one frame built from @s; *len gets its length. */
int th_send_len(struct th *t, const struct frame_spec *s, size_t *len);

/*
 * Make a device in @mode, as `iotfence MODE MAC` does after a first frame:
 * no deadline, times at the virtual now, its own stats slot.
 */
void th_add_device(struct th *t, const char *mac, __u8 mode);
/* Police a device as `iotfence rate` does (bursts 0: one second's worth). */
void th_set_rate(struct th *t, const char *mac, __u64 pps, __u64 bps, __u64 burst_pkts,
		 __u64 burst_bytes);
/* Is there an exact flow with this raw key (for keys no rule text can name)? */
bool th_has_key(struct th *t, const struct ifn_flow_key *k);

/*
 * Counters before a frame, so that a test can assert what changed and
 * that nothing else did.
 */
struct th_snap {
	struct ifn_global_stats gs;
	struct ifn_dev_stats ds;
	bool known; /* the device had a record */
	unsigned int flows; /* its exact flows */
	unsigned int ev[IFN_EV_MAX]; /* events of every MAC, by type */
};
void th_snap(struct th *t, const char *mac, struct th_snap *s);

/* What one frame should change. */
struct th_expect {
	int xdp; /* XDP_PASS or XDP_DROP */
	__u8 verdict; /* enum ifn_verdict */
	__u8 reason; /* enum ifn_reason; 0: none */
	bool no_device; /* counted for no device (bad source, table full) */
	__u8 new_device; /* 1 when the frame creates the device */
	__u8 table_full; /* 1 when the frame found the table full */
	int flows; /* change in the device's exact flows */
	__u32 events; /* TH_EV bits: exactly one event of each type, none of others */
};
#define TH_EV(type) (1U << (type))

/*
 * Assert the changes since @before for one frame of @len bytes from @mac:
 * the global and the device's packets, bytes, verdicts and reasons (the
 * expected ones by one, every other by zero), new devices, table_full,
 * flows and events. @what names the case in failure messages.
 */
void th_expect_delta(struct th *t, const char *mac, const struct th_snap *before, size_t len,
		     const struct th_expect *e, const char *what);
/* Snapshot, send, assert: one step of a sequence. */
void th_step(struct th *t, const struct frame_spec *s, const struct th_expect *e, const char *what);

/* Suite registration. */
typedef Suite *(*th_suite_fn)(void);
void th_register(th_suite_fn fn);
#define TH_SUITE(fn)                                                 \
	static Suite *fn(void);                                      \
	__attribute__((constructor)) static void register_##fn(void) \
	{                                                            \
		th_register(fn);                                     \
	}

#endif /* IFN_TEST_HARNESS_H */
