/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * model.h - a reference model of iotfence's datapath: parsing, devices,
 * fingerprints, modes, scan detection, rate limits, events and counters.
 *
 * It is written from iotfence.8 (FLOWS AND FINGERPRINTS, DATAPATH, MODES,
 * EVENTS, RATE LIMITS, SETTINGS) and docs/DESIGN.md, and shares nothing with the
 * BPF program but include/iotfence.h (the layouts both sides agree on).
 * Where the page leaves a choice open the model takes the most natural
 * reading and says so in a comment marked READING, so that a disagreement
 * with the program can be traced to a sentence of the page or to its
 * silence.
 *
 * The model is deterministic but for one point: scan detection counts
 * distinct violating flows with a 512-bit sketch whose hash the page does
 * not define. The model keeps the exact set of distinct flows and asks an
 * oracle (the program's count after the frame) whether a flow it knows to
 * be new set a new bit; it then checks what a sketch can do: a flow seen
 * before in the window never counts again, a new flow counts once or (on a
 * collision) not at all, and the first flow of an empty sketch always
 * counts. Everything downstream (SCAN, auto-quarantine) follows from the
 * validated count, so one collision does not desynchronise the run.
 */
#ifndef IFN_DIFF_MODEL_H
#define IFN_DIFF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "iotfence.h"
#include "htab.h"

#define NS_PER_S 1000000000ULL
#define MDL_MAX_EVENTS 16
#define MDL_MAX_RULES 4096

/* The result of parsing one frame (DATAPATH 1). */
struct mdl_pkt {
	__u8 reason; /* parse error, IFN_REASON_NONE if well formed */
	bool have_mac;
	__u8 src_mac[6];
	__u16 ethertype; /* after the VLAN tags */
	__u8 vlans;
	bool arp, eapol, ipv4, ipv6, l2; /* l2: any other ethertype */
	__u8 saddr[16], daddr[16]; /* IPv4-mapped for IPv4 and ARP */
	bool have_saddr;
	__u8 proto;
	bool later_frag; /* a fragment other than the first */
	bool first_frag; /* offset 0 with more fragments to come */
	__u32 frag_id;
	__u8 frag_proto; /* IPv4 protocol; IPv6: the fragment header's next */
	bool have_l4;
	__u16 sport, dport;
	__u8 tcp_flags;
	__u8 icmp_type, icmp_code;
	/*
	 * An ICMP or ICMPv6 error with a quote of an IP header and the 8
	 * bytes of its ports (FLOWS, ICMP): the quoted packet.
	 */
	bool icmp_error, have_quote;
	__u8 q_saddr[16], q_daddr[16];
	__u8 q_proto, q_tcp_flags, q_type, q_code;
	bool q_has_flags;
	/* The egress parse: the L4 header's offset and the IP payload's length. */
	size_t e_l4;
	unsigned int e_iplen;
	__u16 q_sport, q_dport;
};

/* What a first fragment that passed leaves for the later ones. */
struct mdl_frag {
	__u8 mac[6];
	bool baseline; /* the packet is baseline traffic (DHCP) */
};

struct mdl_rule {
	bool used;
	bool any_port; /* a port-any rule (ifn_rules_any), or a range */
	bool lan; /* local-networks: any LAN peer (an exact flow of family LAN) */
	bool is_name; /* a rule on a name (NAMES) */
	bool wild; /* ... on every name under @name */
	__u8 mac[6];
	__u8 dir, proto;
	__u16 port;
	__u16 port_hi; /* a range port..port_hi (any_port set); 0: none */
	__u8 peer[16];
	__u8 plen; /* bits of peer, 0..128 */
	char name[IFN_DNS_NAME_MAX]; /* lower case */
};

struct mdl_stats {
	__u64 packets, bytes;
	__u64 verdict[4];
	__u64 reason[IFN_REASON_MAX];
	__u64 first_seen_ns, last_seen_ns;
	__u64 events_suppressed;
};

struct mdl_device {
	bool used;
	__u8 mac[6];
	__u32 ifindex;
	__u8 mode, mode_after, flags;
	__u32 flow_count;
	__u32 name_rules; /* entries in ifn_name_rules */
	__u64 mode_until_ns, created_ns;
	__u8 ipv4[4], ipv6_ll[16], ipv6[16];
	__u64 rate_pps, rate_bps, burst_pkts, burst_bytes;
	__u64 tokens_pkts, tokens_bytes, tokens_ns;
	__u64 scan_window_ns;
	__u32 scan_count;
	__u32 scan_gen; /* identifies the window in the exact set */
	__u32 scan_exact; /* distinct flows in the window, exactly */
	__u32 ev_limit[IFN_EV_MAX];
	struct mdl_stats st;
};

struct mdl_global {
	__u64 frames, bytes;
	__u64 verdict[4];
	__u64 reason[IFN_REASON_MAX];
	__u64 new_devices, table_full, events_sent, events_lost;
	__u64 table_full_event_ns;
	__u64 flows_full;
};

struct mdl_iface {
	bool present;
	__u8 default_mode;
	__u64 learn_ns;
};

/*
 * The oracle for the sketch: the program's scan_count of @mac after the
 * frame. Returns false when the device has no record there.
 */
typedef bool (*mdl_scan_oracle)(void *ctx, const __u8 mac[6], __u32 *count);

struct mdl_result {
	int xdp; /* XDP_PASS or XDP_DROP */
	__u8 verdict, reason;
	bool has_dev; /* a device's counters moved */
	__u8 mac[6];
	bool learned; /* the frame added @learned_key */
	struct ifn_flow_key learned_key;
	unsigned int nev;
	struct ifn_event ev[MDL_MAX_EVENTS];
	const char *why; /* what decided a pass in step 9, for traces */
	/* The oracle's answer did not fit a sketch: text for the report. */
	char oracle_error[160];
};

/* PROBED (ANSWERS): distinct ports a prober tried on a device in a window. */
struct mdl_probe {
	__u64 window_ns;
	__u32 count; /* as the program's sketch counted (the oracle) */
	__u32 gen; /* identifies the window in the exact set */
	bool reported;
};

/* A prober: distinct devices it tried in its window. */
struct mdl_prober {
	__u64 window_ns;
	__u32 count;
	__u32 gen;
};

/*
 * The oracle for the egress sketches: the program's counts after the frame
 * for (device, prober) and for the prober. False when it has no entry.
 */
typedef bool (*mdl_probe_oracle)(void *ctx, const struct ifn_probe_key *k, __u32 *ports,
				 __u32 *devices);

/* What the egress program did with a frame to a device. */
struct mdl_eresult {
	bool noted; /* an inbound attempt: @note written */
	struct ifn_in_key note;
	bool probe; /* the attempt counted for PROBED: @probe_key */
	unsigned int ndns; /* addresses the answer recorded: dns_keys */
	struct ifn_dns_key dns_keys[IFN_DNS_MAX_RECORDS];
	struct ifn_probe_key probe_key;
	unsigned int nev;
	struct ifn_event ev[MDL_MAX_EVENTS];
	char oracle_error[160];
};

/*
 * What the oracle revealed of a sketch: the new items it counted, those
 * that set no new bit (collisions), and how many of those chance gives.
 */
struct mdl_tally {
	__u64 items, collisions;
	double expected;
};

struct mdl {
	__u32 max_devices, max_flows;
	struct ifn_config cfg;
	struct mdl_iface lo; /* ifindex 1, where test frames arrive */
	__u32 ndev;
	struct mdl_device *dev; /* max_devices slots */
	struct htab dev_index; /* mac[6] -> __u32 index into dev */
	struct htab flows; /* ifn_flow_key -> __u8 origin */
	struct htab scan_seen; /* gen, flow key -> nothing */
	__u32 scan_gens; /* windows handed out: a window's id is never reused */
	struct htab frags; /* ifn_frag_key -> struct mdl_frag */
	struct htab owners; /* addr[16] -> mac[6] */
	struct mdl_rule rules[MDL_MAX_RULES];
	unsigned int nrules; /* rules[] beyond this were never used */
	/* The gateway's LAN prefixes (ifn_lan_nets), over the mapped space. */
	unsigned int nlan;
	struct {
		__u8 addr[16];
		__u8 plen;
	} lan[8];
	struct mdl_global g;
	/* NAMES: what the devices resolved, and the egress program's counters. */
	struct htab dns; /* ifn_dns_key -> ifn_dns_val */
	struct htab dns_names; /* hash -> ifn_dns_name */
	struct ifn_dns_stats dst;
	/* ANSWERS: the egress program's notes and probes. */
	struct htab inbound; /* ifn_in_key -> ifn_in_val */
	struct htab probes; /* ifn_probe_key -> mdl_probe */
	struct htab probers; /* peer[16] -> mdl_prober */
	struct htab probe_seen; /* gen, port -> nothing */
	struct htab prober_seen; /* gen, mac -> nothing */
	__u32 probe_gens;
	__u64 name_passes, names_learned; /* for the run's report */
	/* The sketches as the oracle revealed them: for the collision report. */
	struct mdl_tally probe_tally, scan_tally;
};

void mdl_init(struct mdl *m, __u32 max_devices, __u32 max_flows);
void mdl_free(struct mdl *m);
/* Empty every table, default settings, loopback in @mode for @learn_ns. */
void mdl_reset(struct mdl *m);

/* Parse a frame; pure. */
void mdl_parse(const __u8 *f, size_t len, struct mdl_pkt *p);

/* Run one frame at time @now. */
void mdl_step(struct mdl *m, const __u8 *f, size_t len, __u64 now, mdl_scan_oracle oracle,
	      void *octx, struct mdl_result *r);

/*
 * Run one frame to a device through the egress program at @now; it came
 * into the gateway on @ingress_ifindex (0: the gateway's own).
 */
void mdl_egress(struct mdl *m, const __u8 *f, size_t len, __u64 now, __u32 ingress_ifindex,
		mdl_probe_oracle oracle, void *octx, struct mdl_eresult *r);

struct mdl_device *mdl_device(struct mdl *m, const __u8 mac[6]);

/* Operator actions, as the CLI makes them (iotfence.8 COMMANDS). */
void mdl_op_mode(struct mdl *m, const __u8 mac[6], __u8 mode, __u64 for_ns, __u64 now);
void mdl_op_rate(struct mdl *m, const __u8 mac[6], __u64 pps, __u64 bps, __u64 burst_pkts,
		 __u64 burst_bytes);
/* Rules: exact (plen 128, or L2), port-prefix, port-any. */
int mdl_op_rule_add(struct mdl *m, const struct mdl_rule *r, bool l2);
int mdl_op_rule_del(struct mdl *m, const struct mdl_rule *r, bool l2);
void mdl_op_forget(struct mdl *m, const __u8 mac[6]);

/* The flow key of a rule of kind exact. */
void mdl_rule_flow_key(const struct mdl_rule *r, bool l2, struct ifn_flow_key *k);

const char *mdl_reason_name(unsigned int r);
const char *mdl_event_name(unsigned int t);
const char *mdl_mode_name(unsigned int m);

#endif /* IFN_DIFF_MODEL_H */
