/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench.h - the benchmark driver (ifn-bench): per-packet costs with
 * BPF_PROG_TEST_RUN, end-to-end rates through a veth pair, and the state
 * the agent benchmarks read. Every figure it prints is measured in the same
 * run, and every comparison is a ratio of figures taken side by side.
 */
#ifndef IFB_BENCH_H
#define IFB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/ethtool.h>
#include <linux/types.h>

#define IFB_MAX_SAMPLES 64

/* Repeated measurements of one quantity; robust summaries of them. */
struct ifb_samples {
	double v[IFB_MAX_SAMPLES];
	int n;
};

void ifb_add(struct ifb_samples *s, double v);
double ifb_median(const struct ifb_samples *s);
double ifb_min(const struct ifb_samples *s);
double ifb_max(const struct ifb_samples *s);
/* Half the spread between min and max, relative to the median, in %. */
double ifb_spread_pct(const struct ifb_samples *s);

/* CLOCK_MONOTONIC and the calling thread's CPU time, in ns. */
__u64 ifb_now_ns(void);
__u64 ifb_thread_cpu_ns(void);

/* Pin the calling thread (tid 0) or another thread to one CPU. */
int ifb_pin(int tid, int cpu);
int ifb_ncpus_online(void);

/*
 * Network namespaces by name (/run/netns/NAME). Enter one for the calling
 * thread; ifb_netns_home() returns to the one the process started in.
 */
int ifb_netns_enter(const char *name);
int ifb_netns_home(void);

/*
 * ethtool statistics of an interface, through @sock (a socket made in the
 * interface's namespace), or a new socket in the current one if @sock < 0.
 */
struct ifb_ethstats {
	int n;
	char (*names)[ETH_GSTRING_LEN + 1];
	__u64 *vals;
};
int ifb_ethstats_read(int sock, const char *ifname, struct ifb_ethstats *st);
/* Sum of every counter whose name ends in @suffix (over queues); 0 if none. */
__u64 ifb_ethstats_sum(const struct ifb_ethstats *st, const char *suffix);
void ifb_ethstats_free(struct ifb_ethstats *st);

/* Frames (bench/frames.c). Returns the length. */
struct ifb_frame {
	__u8 src_mac[6];
	__u8 dst_mac[6];
	int vlan; /* one 802.1Q tag */
	int v6;
	__u8 src[16]; /* IPv4 in the first 4 bytes, network order */
	__u8 dst[16];
	__u8 proto;
	__u16 sport, dport;
	__u8 tcp_flags;
	size_t len; /* total; padded with zeros */
};
size_t ifb_frame_build(const struct ifb_frame *f, __u8 *buf, size_t cap);
void ifb_ip4(__u8 dst[16], __u32 host_order);

/* Output: one markdown table, then free text under it. */
struct ifb_out {
	FILE *md; /* the section for bench.md */
	FILE *log; /* details: checks, raw samples */
};

void ifb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void ifb_log(struct ifb_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Suites. argv after the suite's name. */
int ifb_pkt_main(int argc, char **argv);
int ifb_e2e_main(int argc, char **argv);
int ifb_state_main(int argc, char **argv);
int ifb_dns_main(int argc, char **argv);

/* Call @fn for each frame of an Ethernet capture; -1 if it cannot be read. */
long ifb_pcap_each(const char *path, void (*fn)(void *ctx, const __u8 *d, size_t caplen),
		   void *ctx);

#endif /* IFB_BENCH_H */
