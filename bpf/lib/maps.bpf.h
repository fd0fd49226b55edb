/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.bpf.h - every map of iotfence, declared once.
 *
 * All maps but replay's (below) are pinned by name so that enforcement
 * and counters outlive the agent and `bpftool map dump pinned
 * /sys/fs/bpf/iotfence/<name>` prints fields by name (BTF). Sizes are
 * defaults: the agent resizes before the first load.
 */
#ifndef IFN_MAPS_BPF_H
#define IFN_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "iotfence.h"

/*
 * Device records by slot: mode, fingerprint summary, buckets, sketch. An
 * mmap()able array, so that the agent changes fields in place (see
 * struct ifn_device) and the datapath's lookup is inlined.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IFN_MAX_DEVICES_DEFAULT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ifn_device);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_devices SEC(".maps");

/*
 * Recent MAC -> slot answers, per CPU (struct ifn_dev_cache). Not state:
 * not pinned, and a new program starts with an empty one.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ifn_dev_cache);
} ifn_dev_cache SEC(".maps");

/* MAC -> slot: the one hash lookup a known device's frame needs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IFN_MAX_DEVICES_DEFAULT);
	__type(key, struct ifn_mac_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_dev_index SEC(".maps");

/* Per-CPU counters of each device, indexed by ifn_device.slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IFN_MAX_DEVICES_DEFAULT);
	__type(key, __u32);
	__type(value, struct ifn_dev_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_dev_stats SEC(".maps");

/*
 * Unused stats slots. The agent fills it at creation and returns a slot
 * (zeroed) when it forgets a device; an empty queue is a full table, which
 * is how a MAC flood is kept from evicting known devices.
 */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, IFN_MAX_DEVICES_DEFAULT);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_free_slots SEC(".maps");

/* Fingerprints: exact flows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IFN_MAX_FLOWS_DEFAULT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ifn_flow_key);
	__type(value, struct ifn_flow_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_flows SEC(".maps");

/* Fingerprints: peer-prefix rules on one port. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IFN_MAX_RULES_DEFAULT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ifn_rule_port_key);
	__type(value, struct ifn_rule_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_rules_port SEC(".maps");

/* Fingerprints: peer-prefix rules on any port of a protocol. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IFN_MAX_RULES_DEFAULT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ifn_rule_any_key);
	__type(value, struct ifn_rule_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_rules_any SEC(".maps");

/* First fragments that passed, so that their later fragments may follow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IFN_MAX_FRAGS);
	__type(key, struct ifn_frag_key);
	__type(value, struct ifn_frag_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_frags SEC(".maps");

/* Which device owns which source address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IFN_MAX_IP_OWNERS_DEFAULT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ifn_ip_key);
	__type(value, struct ifn_ip_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_ip_owners SEC(".maps");

/* Interfaces iotfence is attached to: ifindex -> defaults for new devices. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IFN_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct ifn_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_ifaces SEC(".maps");

/* Run-time settings, one element. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ifn_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_config SEC(".maps");

/* Global per-CPU counters, one element. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ifn_global_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IFN_EVENTS_BYTES_DEFAULT);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_events SEC(".maps");

/*
 * Inbound attempts the gateway delivered to each device, noted on egress
 * (bpf/lib/inbound.bpf.h): a frame of the device that answers one of them
 * is an answer, not a flow of its own. An LRU: a flood of attempts evicts
 * old notes, never a fingerprint.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IFN_MAX_INBOUND_DEFAULT);
	__type(key, struct ifn_in_key);
	__type(value, struct ifn_in_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_inbound SEC(".maps");

/*
 * The last note written per slot (struct ifn_in_recent). Pinned with
 * ifn_inbound, which it describes: a new program that reuses the notes
 * reuses their cache. One array for all CPUs, not per CPU: a note another
 * CPU rewrote (a SYN after a non-SYN) must not look fresh here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IFN_IN_RECENT_SLOTS);
	__type(key, __u32);
	__type(value, struct ifn_in_recent);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_in_recent SEC(".maps");

/* Distinct ports each (device, prober) pair tried, for PROBED. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IFN_MAX_PROBES);
	__type(key, struct ifn_probe_key);
	__type(value, struct ifn_probe_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_probes SEC(".maps");

/* Distinct devices each prober tried (key: its address). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IFN_MAX_PROBES);
	__type(key, struct ifn_ip_key);
	__type(value, struct ifn_prober_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_probers SEC(".maps");

/*
 * The gateway's LAN prefixes (the attached interfaces' own), which count
 * as local-networks besides the fixed private and link-local ranges.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IFN_MAX_LAN_NETS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ifn_lan_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_lan_nets SEC(".maps");

/*
 * What each device resolved: (device, address) -> names and expiries
 * (struct ifn_dns_val), written by the egress program before the answer
 * leaves, read by the XDP program. LRU: what frames keep using stays.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IFN_MAX_DNS_DEFAULT);
	__type(key, struct ifn_dns_key);
	__type(value, struct ifn_dns_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_dns SEC(".maps");

/* The names of ifn_dns by hash, with their suffixes' hashes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IFN_MAX_DNS_NAMES_DEFAULT);
	__type(key, __u64);
	__type(value, struct ifn_dns_name);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_dns_names SEC(".maps");

/* Fingerprints: rules on names the device resolved (struct ifn_name_rule_key). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IFN_MAX_NAME_RULES_DEFAULT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ifn_name_rule_key);
	__type(value, struct ifn_name_rule_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_name_rules SEC(".maps");

/* The egress program's counters, one element. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ifn_dns_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ifn_dns_stats SEC(".maps");

/*
 * Offline replay's own maps, used only by ifn_replay_batch. Not pinned:
 * they are no gateway state, and a replay never goes near a gateway's
 * pins. The loader creates them only for a replay.
 *
 * The frames (struct ifn_replay_frame), which the agent writes and reads
 * in place; the replay sizes it to its batches, one slot is a placeholder.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ifn_replay_frame);
} ifn_replay SEC(".maps");

/* ifn_replay_batch itself, in slot 0: how it goes on to the next frame. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ifn_replay_next SEC(".maps");

/*
 * Flows whose last frame from the device the program dropped: the peer
 * never got it, so the capture's frames back to the device on that flow
 * are ones a gateway would never have delivered (ifn_replay_egress).
 */
struct ifn_replay_cut_key {
	__u8 mac[6]; /* the device */
	__u8 proto;
	__u8 pad;
	__u16 dev_port; /* the device's side (0 for ICMP) */
	__u16 peer_port;
	__u8 peer[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ifn_replay_cut_key);
	__type(value, __u8);
} ifn_replay_cut SEC(".maps");

#endif /* IFN_MAPS_BPF_H */
