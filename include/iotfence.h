/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * iotfence.h - the one header that the XDP program and the agent share.
 *
 * Everything that crosses the user/kernel boundary is defined here: map
 * names, key and value layouts, enums and limits. Only <linux/types.h>
 * types are used so that the same bytes mean the same thing on both sides;
 * every struct has explicit padding and a size assertion, because a silent
 * layout change would make an old agent misread a newer program's maps.
 *
 * Byte order: IP addresses are kept in network order, as they appear on the
 * wire (IPv4 addresses as IPv4-mapped IPv6, ::ffff:a.b.c.d, in every key, so
 * one trie serves both families). Ports, ethertypes and every counter are in
 * host order, so that `bpftool map dump` prints them as the numbers a human
 * expects.
 */
#ifndef IOTFENCE_H
#define IOTFENCE_H

#include <linux/types.h>

#define IFN_ABI_VERSION 4

/* Pin layout under the bpffs root (default /sys/fs/bpf/iotfence). */
#define IFN_PIN_ROOT_DEFAULT "/sys/fs/bpf/iotfence"
#define IFN_PIN_PROG "prog"
#define IFN_PIN_PROG_EGRESS "prog_egress"
#define IFN_PIN_LINKS "links"

/*
 * Every map, by its identifier in bpf/lib/ *.bpf.h, which is also its name
 * and pin file name: the one list of them. The agent names a map as
 * IFN_MAP(ifn_flows), the identifier's own spelling as a string, which does
 * not compile for a map not listed here or a name past 15 characters
 * (BPF_OBJ_NAME_LEN); the program does not compile for a listed map it does
 * not declare (iotfence.bpf.c). Never pinned: ifn_dev_cache (a cache),
 * ifn_dns_scratch (the egress parser's per-CPU working memory),
 * ifn_name_scratch (where learning builds a name rule's text), ifn_replay
 * and ifn_replay_next (offline replay's frames and program chain).
 */
/* clang-format off */
#define IFN_MAPS(X)                                                                         \
	X(ifn_devices) X(ifn_dev_index) X(ifn_dev_cache) X(ifn_dev_stats) X(ifn_free_slots) \
	X(ifn_flows) X(ifn_rules_port) X(ifn_rules_any) X(ifn_frags) X(ifn_ip_owners)       \
	X(ifn_ifaces) X(ifn_config) X(ifn_stats) X(ifn_events) X(ifn_inbound)               \
	X(ifn_in_recent) X(ifn_probes) X(ifn_probers) X(ifn_lan_nets) X(ifn_dns)           \
	X(ifn_dns_names) X(ifn_dns_stats) X(ifn_name_rules) X(ifn_dns_scratch)             \
	X(ifn_name_scratch) X(ifn_replay) X(ifn_replay_next)
/* clang-format on */

#define IFN_MAP_ID(id) IFN_MAP_ID_##id,
enum ifn_map_id { IFN_MAPS(IFN_MAP_ID) IFN_MAP_ID_COUNT };
#undef IFN_MAP_ID

/* A listed map's name, as a constant string. */
#define IFN_MAP(id) (&#id[0 * sizeof(char[IFN_MAP_ID_##id >= 0 && sizeof(#id) <= 16 ? 1 : -1])])

/* Default capacities; the agent may resize maps before the first load. */
#define IFN_MAX_DEVICES_DEFAULT 16384
#define IFN_MAX_FLOWS_DEFAULT 1048576
#define IFN_MAX_RULES_DEFAULT 65536
#define IFN_MAX_FRAGS 8192
#define IFN_MAX_IP_OWNERS_DEFAULT 65536
#define IFN_MAX_IFACES 64
#define IFN_EVENTS_BYTES_DEFAULT (256 * 1024)
/* Inbound attempts remembered (ifn_inbound), all devices together. */
#define IFN_MAX_INBOUND_DEFAULT 65536
/* (device, prober) pairs and probers followed for PROBED. */
#define IFN_MAX_PROBES 8192
/* The gateway's own LAN prefixes (ifn_lan_nets). */
#define IFN_MAX_LAN_NETS 256
#define IFN_MAX_DNS_DEFAULT 65536
#define IFN_MAX_DNS_NAMES_DEFAULT 16384
#define IFN_MAX_NAME_RULES_DEFAULT 16384

/* Parser limits: frames beyond them are dropped with a reason, never skipped. */
#define IFN_MAX_VLAN_TAGS 2
#define IFN_MAX_IPV6_EXT_HDRS 8

/* Device modes (docs/DESIGN.md, Datapath 4). */
enum ifn_mode {
	IFN_MODE_LEARN = 0,
	IFN_MODE_MONITOR = 1,
	IFN_MODE_ENFORCE = 2,
	IFN_MODE_QUARANTINE = 3,
	IFN_MODE_TRUST = 4,
	IFN_MODE_MAX,
};

/*
 * What the program decided for one frame. ALERT is a frame that enforce
 * would have dropped but that passed because the device is in monitor mode.
 */
enum ifn_verdict {
	IFN_VERDICT_PASS = 0,
	IFN_VERDICT_DROP = 1,
	IFN_VERDICT_ALERT = 2,
	IFN_VERDICT_MAX,
};

/*
 * Why a frame was (or, in monitor mode, would have been) dropped. Codes are
 * stable: they index counter arrays that the agent reads and that snapshots
 * carry, so new reasons are only ever appended.
 */
enum ifn_reason {
	IFN_REASON_NONE = 0,
	IFN_REASON_ETH_TRUNC = 1, /* shorter than an Ethernet header */
	IFN_REASON_BAD_SRC_MAC = 2, /* broadcast, multicast or zero source */
	IFN_REASON_VLAN_TRUNC = 3,
	IFN_REASON_VLAN_DEPTH = 4, /* more than IFN_MAX_VLAN_TAGS tags */
	IFN_REASON_ARP_TRUNC = 5,
	IFN_REASON_IPV4_TRUNC = 6,
	IFN_REASON_IPV4_BAD_HDR = 7, /* version, IHL or total length wrong */
	IFN_REASON_IPV6_TRUNC = 8,
	IFN_REASON_IPV6_BAD_HDR = 9, /* version wrong */
	IFN_REASON_IPV6_EXT_LIMIT = 10, /* extension chain too long */
	IFN_REASON_L4_TRUNC = 11, /* TCP/UDP/ICMP header cut short */
	IFN_REASON_TCP_BAD_HDR = 12, /* data offset below 5 */
	IFN_REASON_TABLE_FULL = 13, /* unknown device, device table full */
	IFN_REASON_NOT_IN_FINGERPRINT = 14,
	IFN_REASON_QUARANTINE = 15,
	IFN_REASON_RATE_LIMIT = 16,
	IFN_REASON_FRAGMENT = 17, /* later fragment of no allowed packet */
	IFN_REASON_ANSWER = 18, /* answer to an inbound attempt, `answers drop` */
	IFN_REASON_COUNT, /* one past the last reason */
	/*
	 * The size of every counter array by reason (map values, snapshots,
	 * the agent's tables): from IFN_REASON_COUNT up, reserved slots, so
	 * that a new reason changes no layout.
	 */
	IFN_REASON_MAX = 20,
};
_Static_assert(IFN_REASON_COUNT <= IFN_REASON_MAX, "a reason past the counter arrays");

/* Reasons below this one mean the frame itself is malformed. */
#define IFN_REASON_FIRST_POLICY IFN_REASON_TABLE_FULL

enum ifn_event_type {
	IFN_EV_NEW_DEVICE = 0,
	IFN_EV_LEARNING_DONE = 1,
	IFN_EV_VIOLATION = 2,
	IFN_EV_SCAN = 3,
	IFN_EV_AUTO_QUARANTINE = 4,
	IFN_EV_RATE_EXCEEDED = 5,
	IFN_EV_FINGERPRINT_CAP = 6,
	IFN_EV_IP_CHANGE = 7,
	IFN_EV_IP_CONFLICT = 8,
	IFN_EV_TABLE_FULL = 9,
	IFN_EV_EVENTS_LOST = 10, /* made by the agent from the lost counter */
	IFN_EV_DNS_SPOOFED = 11, /* a DNS answer to a device from a LAN device */
	IFN_EV_PROBED = 12, /* the device is probed by someone else: the victim */
	IFN_EV_COUNT, /* one past the last event type */
	/*
	 * The size of every array by event type (ifn_device.ev_limit, the
	 * agent's counters): from IFN_EV_COUNT up, reserved slots, so that a
	 * new event type changes no record's layout.
	 */
	IFN_EV_MAX = 14,
};
_Static_assert(IFN_EV_COUNT <= IFN_EV_MAX, "an event type past the arrays by type");

/* Address family of a flow. L2 flows are non-IP ethertypes. */
enum ifn_family {
	IFN_FAMILY_L2 = 1,
	/*
	 * Only in ifn_flows keys of `local-networks` rules (peer zero): the
	 * flow with any LAN peer, looked up for a peer on the LAN.
	 */
	IFN_FAMILY_LAN = 2,
	IFN_FAMILY_IPV4 = 4,
	IFN_FAMILY_IPV6 = 6,
};

/*
 * Direction of a flow, seen from the device. CLIENT: the device talks to
 * PORT on the peer. SERVER: the device answers the peer from its own PORT.
 */
enum ifn_dir {
	IFN_DIR_CLIENT = 0,
	IFN_DIR_SERVER = 1,
};

/* Where a fingerprint entry came from (ifn_flow_val.origin). */
enum ifn_origin {
	IFN_ORIGIN_LEARNED = 0,
	IFN_ORIGIN_MANUAL = 1,
	IFN_ORIGIN_POLICY = 2,
	IFN_ORIGIN_GENERALISED = 3,
};

/* ifn_device.flags */
#define IFN_DEV_F_PORT_RULES (1U << 0) /* has entries in ifn_rules_port */
#define IFN_DEV_F_ANY_RULES (1U << 1) /* has entries in ifn_rules_any */
#define IFN_DEV_F_RATE_LIMIT (1U << 2) /* police with the token buckets */
#define IFN_DEV_F_LEARN_CAPPED (1U << 3) /* learning stopped at the flow cap */
#define IFN_DEV_F_NAME_RULES (1U << 4) /* has entries in ifn_name_rules */
#define IFN_DEV_F_LAN_RULES (1U << 5) /* has local-networks flows */

/* ifn_config.flags */
#define IFN_CFG_F_AUTO_QUARANTINE (1U << 0)
/* Enforce drops answers outside the fingerprint (`answers drop`). */
#define IFN_CFG_F_ANSWERS_DROP (1U << 1)

/* Keys are MAC addresses padded to 8 bytes. */
struct ifn_mac_key {
	__u8 mac[6];
	__u8 pad[2];
};

/*
 * The mode word of a device: its mode, the mode that follows, and the
 * deadline, in one 64-bit word. The datapath (a deadline passing, a scan,
 * the fingerprint cap) and the agent (an operator's command) both change a
 * mode with one compare-and-swap of this word, so neither can lose the
 * other's change. The deadline is kept in units of 2^16 ns (65.5 us),
 * rounded up: a mode never ends early.
 */
#define IFN_DEADLINE_SHIFT 16

static inline __u64 ifn_mode_word(__u8 mode, __u8 after, __u64 until_ns)
{
	__u64 d = until_ns ? (until_ns + (1ULL << IFN_DEADLINE_SHIFT) - 1) >> IFN_DEADLINE_SHIFT :
			     0;

	return (__u64)mode | (__u64)after << 8 | d << IFN_DEADLINE_SHIFT;
}

static inline __u8 ifn_mw_mode(__u64 w)
{
	return w & 0xff;
}

static inline __u8 ifn_mw_after(__u64 w)
{
	return (w >> 8) & 0xff;
}

/* The deadline in datapath ns, 0 for none. */
static inline __u64 ifn_mw_until(__u64 w)
{
	return (w >> IFN_DEADLINE_SHIFT) << IFN_DEADLINE_SHIFT;
}

/* ifn_device.exact_peers: 256 bits. */
#define IFN_EXACT_PEER_WORDS 4

/*
 * One device, in slot `slot` of the ifn_devices array; ifn_dev_index maps
 * its MAC to the slot. The array is mmap()able so that the agent changes a
 * field in place (mode word, flags and counts with atomic operations) and
 * never writes back a whole record over what the datapath changed since it
 * was read. Fields are owned by one side unless said otherwise: the agent
 * owns rates, rule counts and fp_gen; the datapath owns addresses, tokens,
 * scan state and event limits (the agent resets them when it changes the
 * mode).
 */
struct ifn_device {
	__u8 mac[6];
	__u8 in_use; /* the slot holds a device */
	__u8 pad0;
	__u32 slot;
	__u32 ifindex; /* interface the device was first seen on */
	union {
		/*
		 * Made by ifn_mode_word(), read by ifn_mw_*(): the deadline
		 * only by ifn_mw_until(), which gives it in ns (the word
		 * holds it in units of 2^16 ns). mode and mode_after are the
		 * same bytes as ifn_mw_mode() and ifn_mw_after() read, for
		 * reading a copy; changes go through the whole word (CAS).
		 */
		__u64 mode_word;
		struct {
			__u64 mode : 8; /* enum ifn_mode */
			__u64 mode_after : 8; /* mode to take at the deadline */
			__u64 : 48;
		};
	};
	__u32 flags; /* IFN_DEV_F_*: atomic or/and on both sides */
	__u32 flow_count; /* exact flows in the fingerprint: atomic add */
	__u32 fp_gen; /* bumped whenever the fingerprint changes */
	__u32 port_rules; /* entries in ifn_rules_port */
	__u32 any_rules; /* entries in ifn_rules_any */
	__u32 name_rules; /* entries in ifn_name_rules */
	__u32 lan_rules; /* local-networks flows (counted in flow_count too) */
	__u32 pad4;
	/*
	 * The peers the device may have exact flows to, a one-hash filter
	 * (ifn_exact_peers_add): every writer of ifn_flows sets a peer's bit
	 * before the flow goes in, and no one clears one while the device
	 * lives, so a clear bit means no exact flow to that peer and the
	 * datapath skips the lookup. A frame to a new address of a named
	 * cloud pays for its name, not for an exact flow that is not there.
	 */
	__u64 exact_peers[IFN_EXACT_PEER_WORDS];
	__u64 created_ns;
	__u8 ipv4[4]; /* last source IPv4, network order */
	__u32 pad1;
	__u8 ipv6_ll[16]; /* last link-local source IPv6 */
	__u8 ipv6[16]; /* last global/ULA source IPv6 */
	/* Policing: tokens in units of 1e-9 packet or byte. */
	__u64 rate_pps;
	__u64 rate_bps; /* bytes per second */
	__u64 burst_pkts;
	__u64 burst_bytes;
	__u64 tokens_pkts;
	__u64 tokens_bytes;
	__u64 tokens_ns;
	/* Scan detection: distinct out-of-fingerprint flows in a window. */
	__u64 scan_window_ns;
	__u32 scan_count;
	__u32 pad2;
	__u64 scan_sketch[8]; /* 512-bit linear-counting sketch */
	/*
	 * Event limiting, one word per type: (period << 8) | sent, where a
	 * period is 2^30 ns (~1.07 s). One word so that a reset is one store.
	 */
	__u32 ev_limit[IFN_EV_MAX];
};

/*
 * The last fingerprint decision of a device on one CPU: the frame fields it
 * depends on and its outcome. Valid while fp_gen equals the device's, so a
 * repeated flow skips the flow lookup, allowed or not.
 */
struct ifn_fp_cache {
	__u8 peer[16];
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 proto;
	__u8 tcp_class; /* 1 SYN, 2 SYN-ACK, 0 any other frame */
	__u8 allowed; /* 0 empty, 1 allowed, 2 not allowed */
	__u32 gen;
	__u32 scan_hash; /* ifn_flow_hash() of a violating flow; 0: not yet */
};

/*
 * A per-CPU cache of recent MAC -> slot answers, direct-mapped: a device
 * that keeps sending (a camera's stream, a flood) is found without the
 * hash lookup. An entry is only a hint: the record it names must carry
 * the MAC and be in use, so a forgotten or reused slot is a miss.
 */
#define IFN_DEV_CACHE_ENTRIES 256

struct ifn_dev_cache_entry {
	__u8 mac[6];
	__u8 valid;
	__u8 pad;
	__u32 slot;
};

struct ifn_dev_cache {
	struct ifn_dev_cache_entry e[IFN_DEV_CACHE_ENTRIES];
};

/* Per-CPU counters of one device (and its fingerprint cache). */
struct ifn_dev_stats {
	/* What every frame writes, together in the first cache line. */
	__u64 packets;
	__u64 bytes;
	__u64 last_seen_ns;
	__u64 first_seen_ns;
	__u64 verdict[4]; /* by enum ifn_verdict; [3] unused */
	__u64 reason[IFN_REASON_MAX]; /* by enum ifn_reason */
	__u64 events_suppressed;
	__u64 pad;
	struct ifn_fp_cache cache;
};

/*
 * A fingerprint entry (exact) in ifn_flows. For L2 flows `port` holds the
 * ethertype and `peer` is zero. For ICMP, `port` holds the request type
 * (an echo reply is the server side of type 8, or 128 for ICMPv6).
 */
struct ifn_flow_key {
	__u8 mac[6];
	__u8 family; /* enum ifn_family */
	__u8 proto; /* IP protocol, 0 for L2 */
	__u16 port; /* service port, host order */
	__u8 dir; /* enum ifn_dir */
	__u8 pad;
	__u8 peer[16]; /* IPv6 or IPv4-mapped, network order */
};

struct ifn_flow_val {
	__u64 added_ns;
	__u8 origin; /* enum ifn_origin */
	__u8 pad[7];
};

/*
 * Prefix rules with a port (ifn_rules_port). prefixlen counts bits from mac
 * on; a full match is IFN_RULE_PORT_BITS. A peer prefix /n adds n bits.
 */
struct ifn_rule_port_key {
	__u32 prefixlen;
	__u8 mac[6];
	__u8 dir;
	__u8 proto;
	__u16 port;
	__u8 peer[16];
	__u8 pad[2];
};
#define IFN_RULE_PORT_FIXED_BITS ((6 + 1 + 1 + 2) * 8)
#define IFN_RULE_PORT_BITS (IFN_RULE_PORT_FIXED_BITS + 128)

/* Port-any rules (ifn_rules_any): any port of PROTO on a peer prefix. */
struct ifn_rule_any_key {
	__u32 prefixlen;
	__u8 mac[6];
	__u8 dir;
	__u8 proto;
	__u8 peer[16];
};
#define IFN_RULE_ANY_FIXED_BITS ((6 + 1 + 1) * 8)
#define IFN_RULE_ANY_BITS (IFN_RULE_ANY_FIXED_BITS + 128)

/*
 * A port-any rule (ifn_rules_any) may hold a range of ports instead:
 * port_hi 0 is every port, else port_lo..port_hi. plen is the entry's own
 * peer prefix length, so that a range that does not hold the port can
 * look once more at the next shorter prefix.
 */
struct ifn_rule_val {
	__u64 added_ns;
	__u8 origin;
	__u8 plen; /* bits of peer, 0-128 */
	__u16 port_lo;
	__u16 port_hi; /* 0: any port */
	__u8 pad[2];
};

/* Non-first fragments pass only if the first fragment of the packet did. */
struct ifn_frag_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 id; /* IPv4 id (16 bits) or IPv6 fragment id */
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

struct ifn_frag_val {
	__u8 mac[6]; /* the device whose first fragment passed */
	__u8 baseline; /* it was baseline traffic: so are the later fragments */
	__u8 pad;
};

/* Which device owns an IP address (spoofing detection). */
struct ifn_ip_key {
	__u8 addr[16]; /* IPv6 or IPv4-mapped */
};

struct ifn_ip_owner {
	__u8 mac[6];
	__u8 pad[2];
	__u64 since_ns;
};

/* Per-interface settings, keyed by ifindex. */
struct ifn_iface {
	__u8 default_mode; /* mode of a new device */
	__u8 attach_mode; /* 1 native, 2 generic (XDP_ATTACHED_*) */
	__u8 pad[6];
	__u64 learn_ns; /* learning window of a new device */
	char name[16];
};

/* Run-time settings: element 0 of ifn_config. */
struct ifn_config {
	__u32 abi_version;
	__u32 flags; /* IFN_CFG_F_* */
	__u32 scan_threshold; /* distinct violating flows per window */
	__u32 fingerprint_cap; /* flows a device may learn */
	__u64 scan_window_ns;
	__u32 event_limit; /* events per device, type and second */
	__u8 unknown_verdict; /* IFN_VERDICT_PASS or _DROP when table full */
	__u8 default_mode; /* for an interface missing from ifn_ifaces */
	__u8 answer_s; /* answer memory in seconds; 0: IFN_ANSWER_S_DEFAULT */
	__u8 pad;
	__u64 learn_ns; /* likewise, its learning window (0: no deadline) */
	/*
	 * The datapath's clock is jiffies * jiffy_ns (a helper call that
	 * costs a tenth of the coarse clock's); it runs clock_offset_ns
	 * ahead of CLOCK_MONOTONIC. Measured by the loader for this boot.
	 */
	__u64 jiffy_ns;
	__s64 clock_offset_ns;
	/*
	 * Names are hashed with this key (ifn_name_hash_*), drawn at random
	 * when the state is made: one that a device cannot predict, so that
	 * it cannot make a name it resolves collide with one a fingerprint
	 * holds; and it places the inbound notes' cache slots (ifn_in_recent).
	 * Belongs to this boot, like the clock: never in a snapshot.
	 */
	__u64 dns_key;
	/* An address a name gave stays admitted at least this long. */
	__u64 dns_min_ttl_ns;
};

/* Global per-CPU counters: element 0 of ifn_stats. */
struct ifn_global_stats {
	__u64 frames;
	__u64 bytes;
	__u64 verdict[4];
	__u64 reason[IFN_REASON_MAX];
	__u64 new_devices;
	__u64 table_full;
	__u64 events_sent;
	__u64 events_lost;
	__u64 table_full_event_ns; /* last TABLE_FULL event from this CPU */
	__u64 flows_full; /* a learned flow found ifn_flows full */
};

/* A ring buffer record. */
struct ifn_event {
	__u64 time_ns;
	__u8 mac[6];
	__u8 type; /* enum ifn_event_type */
	__u8 mode; /* device mode after the event */
	__u32 ifindex;
	__u32 value; /* type-specific: scan count, flow count, ... */
	struct ifn_flow_key flow; /* VIOLATION, SCAN, FINGERPRINT_CAP, RATE */
	union {
		struct {
			__u8 addr[16]; /* IP_CHANGE, IP_CONFLICT: the address */
			__u8 old_addr[16]; /* IP_CHANGE: the address it replaces */
		};
		/*
		 * VIOLATION: the names (hashes, native order; 0: none) the
		 * device got the peer from in DNS answers (ifn_dns), live or
		 * not, when the frame came; the agent reads their text in
		 * ifn_dns_names. Bytes: they sit at offset 52.
		 */
		__u8 names[4][8];
	};
	__u8 other_mac[6]; /* IP_CONFLICT: the device that holds it */
	__u16 count2; /* PROBED: devices the prober tried */
	__u8 pad[4];
};

/*
 * What the devices resolved: the egress program (bpf/lib/dns.bpf.h) reads
 * every DNS answer the gateway delivers to a device and records, before the
 * frame leaves, each address of the answer for that device, with the
 * question's name (hashed: ifn_name_hash_*) and its expiry. Several names
 * may give one address (CDNs): each keeps its own slot, up to
 * IFN_DNS_NAMES_PER_ADDR, the one that expires first giving way to a new
 * one. An LRU map: an entry that frames keep using stays.
 */
#define IFN_DNS_NAMES_PER_ADDR 4
/* Label suffixes hashed per name: a wildcard *.S matches if S has at most this many labels. */
#define IFN_DNS_SUFFIXES 10
/* A name's text (at most 253 characters) and its NUL. */
#define IFN_DNS_NAME_MAX 256
/* DNS messages longer than this are not read (counted as too_big). */
#define IFN_DNS_MSG_MAX 2048
/* Address records of one answer that are recorded; more are counted. */
#define IFN_DNS_MAX_RECORDS 16
/* Answer records one answer may have; more: not read (counted). */
#define IFN_DNS_MAX_ANSWERS 64

struct ifn_dns_key {
	__u8 mac[6]; /* the device that received the answer */
	__u8 pad[2];
	__u8 addr[16]; /* an address the answer gave, IPv6 or IPv4-mapped */
};

struct ifn_dns_val {
	__u64 name[IFN_DNS_NAMES_PER_ADDR]; /* full-name hashes; 0: free */
	__u64 expires_ns[IFN_DNS_NAMES_PER_ADDR]; /* TTL, at least dns-min-ttl */
	__u64 last_used_ns; /* the last frame that passed by one of the names */
	/*
	 * The last flow a name admitted (ifn_dns_admit_memo): its device's
	 * fp_gen, its (port, proto, dir) and slot + 1; 0: none. Valid while
	 * fp_gen stays (a rule taken away moves it), the slot is live and
	 * for IFN_NAME_MEMO_NS after admitted_ns, so the next frames of that
	 * flow past the decision cache skip the name rules' lookups. One word:
	 * read and written whole. The egress program clears it when it gives
	 * the slot to another name.
	 */
	__u64 admitted;
	__u64 admitted_ns; /* when the rules last admitted it */
};

/*
 * How long a memo serves before the rules are asked again: whatever could
 * leave it standing wrongly (an agent killed between taking a rule away and
 * moving fp_gen, fp_gen coming round after 2^32 moves, a name's suffixes
 * evicted from ifn_dns_names) lasts at most this long. One full lookup per
 * named flow a second costs nothing measurable.
 */
#define IFN_NAME_MEMO_NS 1000000000ULL

/* ifn_dns_names: full-name hash -> the name, and the hashes of its suffixes. */
struct ifn_dns_name {
	/* suffix[i]: hash of the last i + 1 labels ("com", "example.com", ...). */
	__u64 suffix[IFN_DNS_SUFFIXES];
	__u8 labels;
	__u8 len; /* of the text */
	__u8 pad[6];
	char name[IFN_DNS_NAME_MAX]; /* lower case, no trailing dot, NUL-padded */
};

/*
 * Why an answer was not read (ifn_dns_stats.malformed[]). Codes are stable:
 * new ones are appended. A malformed answer writes nothing.
 */
enum ifn_dns_bad {
	IFN_DNS_OK = 0,
	IFN_DNS_BAD_TRUNC = 1, /* shorter than its header, or than UDP/TCP say */
	IFN_DNS_BAD_QDCOUNT = 2, /* not exactly one question */
	IFN_DNS_BAD_COUNTS = 3, /* more answers than the message can hold */
	IFN_DNS_BAD_LABEL_LONG = 4, /* a label over 63 bytes */
	IFN_DNS_BAD_NAME_LONG = 5, /* a name over 255 bytes */
	IFN_DNS_BAD_PTR_LOOP = 6, /* a pointer not back to an earlier name */
	IFN_DNS_BAD_PTR_RANGE = 7, /* a pointer past the end, or into the header */
	IFN_DNS_BAD_NAME_TRUNC = 8, /* a name runs past the end */
	IFN_DNS_BAD_RR_TRUNC = 9, /* a record's fields or data past the end */
	IFN_DNS_BAD_RDLEN = 10, /* an A record not 4 bytes, an AAAA not 16 */
	IFN_DNS_BAD_CHARS = 11, /* question name bytes no host name has */
	IFN_DNS_BAD_COMPLEX = 12, /* more parse steps than any real answer needs */
	IFN_DNS_BAD_MAX = 16,
};

/* Per-CPU counters of the egress program: element 0 of ifn_dns_stats. */
struct ifn_dns_stats {
	__u64 answers; /* DNS responses to a known device, from a trusted side */
	__u64 used; /* answers that recorded at least one address */
	__u64 records; /* addresses recorded */
	__u64 spoofed; /* answers from a LAN device: ignored, DNS_SPOOFED */
	__u64 no_device; /* answers to a MAC that is no known device */
	__u64 too_big; /* over IFN_DNS_MSG_MAX, or not in the copied frame */
	__u64 tcp_partial; /* a TCP segment that is not one whole message */
	__u64 ignored; /* no error but nothing to record: an error rcode, no address */
	__u64 names_displaced; /* a name gave way on a shared address (see above) */
	__u64 records_dropped; /* address records past IFN_DNS_MAX_RECORDS */
	__u64 write_failed; /* a map update failed */
	__u64 too_many; /* over IFN_DNS_MAX_ANSWERS answer records */
	__u64 malformed[IFN_DNS_BAD_MAX]; /* by enum ifn_dns_bad */
};

/*
 * Rules on names (ifn_name_rules): a frame to an address the device got
 * from a DNS answer for NAME passes if the device has a rule on PROTO/PORT
 * for NAME (wild 0: the whole name's hash) or for a suffix of it (wild 1:
 * "*.SUFFIX", the suffix's hash), one lookup per label suffix.
 */
struct ifn_name_rule_key {
	__u8 mac[6];
	__u8 proto;
	__u8 dir;
	__u16 port;
	__u8 wild;
	__u8 pad[5];
	__u64 name; /* ifn_name_hash_* of the name, or of the suffix */
};

struct ifn_name_rule_val {
	__u64 added_ns;
	__u8 origin;
	__u8 pad[7];
	char name[IFN_DNS_NAME_MAX]; /* the name, or the suffix, as text: for the agent */
};

/*
 * The name hash, the same on both sides: FNV-1a over each label's bytes,
 * labels taken right to left, a murmur3 finaliser after each label so that
 * the value after k labels is the hash of the suffix of k labels. Keyed by
 * ifn_config.dns_key; 0 is never a hash (it marks a free slot).
 */
static inline __u64 ifn_name_hash_byte(__u64 h, __u8 c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

static inline __u64 ifn_name_hash_label(__u64 h, __u32 len)
{
	h ^= (__u64)len << 56;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

/*
 * Offline replay (`iotfence replay`, agent/replay_run.c): the agent writes a
 * batch of frames into the slots of ifn_replay (an mmap()ed array), and
 * BPF_PROG_TEST_RUN of ifn_replay_batch runs them through the live
 * program's code, each at its own time, many frames a call, and leaves in
 * each slot what the program did with it.
 *
 * Frame lengths: BPF_PROG_TEST_RUN and bpf_xdp_adjust_tail() keep a frame
 * at least an Ethernet header long, and one XDP buffer (a 4 KiB page less
 * XDP_PACKET_HEADROOM, 256, and the skb_shared_info, 320) holds 3520
 * bytes: a longer frame would be fragments the program does not see.
 */
#define IFN_REPLAY_FRAME_MIN 14
#define IFN_REPLAY_FRAME_MAX 3520

struct ifn_replay_frame {
	__u64 ts_ns; /* the program's clock while it runs (ifn_virtual_now_ns) */
	__u32 len; /* bytes of data that are the frame */
	__u32 verdict; /* out: the XDP action */
	__u32 events; /* out: records it put in the event ring */
	__u8 to_device; /* in: sent to a device by the gateway: the egress stage only */
	__u8 seen; /* out: IFN_REPLAY_SEEN_* */
	__u8 cut; /* in: cut by the snap length: a DNS message in it is not read */
	__u8 pad;
	__u8 data[IFN_REPLAY_FRAME_MAX];
};

/* ifn_replay_frame.seen: what the frame did besides its verdict. */
#define IFN_REPLAY_SEEN_DNS_ANSWER (1U << 0) /* a DNS answer to a device, believed */
#define IFN_REPLAY_SEEN_DNS_USED (1U << 1) /* it recorded at least one address */
#define IFN_REPLAY_SEEN_DNS_SPOOFED (1U << 2) /* a LAN device's answer: ignored */
#define IFN_REPLAY_SEEN_BY_NAME (1U << 3) /* passed by a name rule (or its cached decision) */
/* A gateway's frame back on a flow the device's last frame of was dropped: never sent. */
#define IFN_REPLAY_SEEN_NOT_DELIVERED (1U << 4)

/*
 * Hash of a flow's (peer, protocol, port, direction), for the scan sketch.
 * Shared, so that userspace models and tools compute the same bits.
 */
static inline __u32 ifn_flow_hash_mix(__u32 h, const __u8 *w)
{
	__u32 v;

	/* Native order: both sides are little-endian (x86, arm64, bpfel). */
	__builtin_memcpy(&v, w, 4);
	h ^= v;
	h *= 0x9e3779b1;
	return h ^ (h >> 15);
}

static inline __u32 ifn_flow_hash(const struct ifn_flow_key *k)
{
	__u32 h = ((__u32)k->port << 16) ^ ((__u32)k->proto << 8) ^ k->dir;

	h = ifn_flow_hash_mix(h, k->peer);
	h = ifn_flow_hash_mix(h, k->peer + 4);
	h = ifn_flow_hash_mix(h, k->peer + 8);
	h = ifn_flow_hash_mix(h, k->peer + 12);
	/*
	 * A multiply carries a bit only upwards, so without this final mix
	 * the top byte of the last word (the last octet of an IPv4 peer)
	 * would never reach the low bits the sketch keeps. murmur3's
	 * finaliser spreads every input bit.
	 */
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/*
 * An inbound attempt the gateway delivered to a device (ifn_inbound),
 * noted by the egress program: what a frame of the device may answer.
 * Ports as the attempt had them: peer_port its source, dev_port its
 * destination; for ICMP the type and the code.
 */
struct ifn_in_key {
	__u8 mac[6]; /* the device */
	__u8 proto;
	__u8 pad;
	__u16 peer_port;
	__u16 dev_port;
	__u8 peer[16]; /* IPv6 or IPv4-mapped, network order */
};

struct ifn_in_val {
	__u64 seen_ns;
	__u8 syn; /* the attempt was a TCP SYN (no ACK) */
	__u8 pad[7];
};

/*
 * The last note written to ifn_inbound for each slot of a direct-mapped
 * table (ifn_in_recent, shared by all CPUs): a flow's later frames find
 * their note fresh with an inlined array lookup and a compare instead of
 * the hash lookup, which was most of the egress program's cost on a frame
 * that is no DNS answer. Every write of a note writes its slot too, so a
 * slot that holds the key holds the note's last write.
 */
#define IFN_IN_RECENT_SLOTS 4096

struct ifn_in_recent {
	struct ifn_in_key key; /* key.pad: the note's syn, so that one compare tests both */
	__u8 pad[4];
	__u64 written_ns;
};

/* Which peer probes which device (ifn_probes): distinct ports in a window. */
struct ifn_probe_key {
	__u8 mac[6];
	__u8 pad[2];
	__u8 peer[16];
};

struct ifn_probe_val {
	__u64 window_ns;
	__u64 sketch[4]; /* 256-bit linear-counting sketch of ports */
	__u32 count; /* distinct ports in the window */
	__u32 reported; /* PROBED sent for this window */
};

/* A prober (ifn_probers): distinct devices it tried in a window. */
struct ifn_prober_val {
	__u64 window_ns;
	__u64 sketch; /* 64-bit sketch of device MACs */
	__u32 count;
	__u32 pad;
};

/* The gateway's LAN prefixes, for local-networks (ifn_lan_nets). */
struct ifn_lan_key {
	__u32 prefixlen; /* bits of addr */
	__u8 addr[16];
};

/*
 * Discovery and IoT service ports that devices answer on, above 1024: the
 * UDP heuristic (bpf/lib/flowkey.bpf.h) and the generaliser's peer-to-peer
 * rule (agent/generalise.c) must agree on them.
 */
static inline int ifn_udp_known_service(__u16 port)
{
	switch (port) {
	case 1900: /* SSDP */
	case 3478: /* STUN */
	case 3702: /* WS-Discovery */
	case 5353: /* mDNS */
	case 5355: /* LLMNR */
	case 5683: /* CoAP */
	case 5684: /* CoAP over DTLS */
		return 1;
	}
	return 0;
}

/*
 * The fixed part of local-networks (IPv6 or IPv4-mapped @a): RFC 1918,
 * IPv4 link-local, ULA fc00::/7 and IPv6 link-local fe80::/10. The
 * gateway's own LAN prefixes are in ifn_lan_nets besides.
 */
static inline int ifn_addr_is_lan_fixed(const __u8 *a)
{
	if (!(a[0] | a[1] | a[2] | a[3] | a[4] | a[5] | a[6] | a[7] | a[8] | a[9]) &&
	    a[10] == 0xff && a[11] == 0xff)
		return a[12] == 10 || (a[12] == 172 && (a[13] & 0xf0) == 16) ||
		       (a[12] == 192 && a[13] == 168) || (a[12] == 169 && a[13] == 254);
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

/*
 * The bit of ifn_device.exact_peers that stands for @peer (16 bytes, IPv6
 * or IPv4-mapped): a multiply carries every bit of the folded words up to
 * the top byte, so neighbouring addresses take different bits. Native
 * order, as ifn_flow_hash: both sides are little-endian.
 */
static inline __u32 ifn_exact_peer_bit(const __u8 *peer)
{
	__u32 w0, w1, w2, w3;

	__builtin_memcpy(&w0, peer, 4);
	__builtin_memcpy(&w1, peer + 4, 4);
	__builtin_memcpy(&w2, peer + 8, 4);
	__builtin_memcpy(&w3, peer + 12, 4);
	return ((w0 ^ w1 ^ w2 ^ w3) * 0x9e3779b1U) >> 24;
}

/* Keys that the filter stands for: an IP peer (not L2, not local-networks). */
static inline int ifn_exact_peer_keyed(const struct ifn_flow_key *k)
{
	return k->family == IFN_FAMILY_IPV4 || k->family == IFN_FAMILY_IPV6;
}

/*
 * Before @k goes into ifn_flows: its peer's bit in @peers (a device's
 * exact_peers). Atomic, as the datapath and the agent both set bits; the
 * test first, so that a set bit costs no locked write.
 */
static inline void ifn_exact_peers_add(__u64 *peers, const struct ifn_flow_key *k)
{
	__u32 b;

	if (!ifn_exact_peer_keyed(k))
		return;
	b = ifn_exact_peer_bit(k->peer);
	if (!(peers[(b >> 6) & (IFN_EXACT_PEER_WORDS - 1)] & (1ULL << (b & 63))))
		__sync_fetch_and_or(&peers[(b >> 6) & (IFN_EXACT_PEER_WORDS - 1)],
				    1ULL << (b & 63));
}

/* May @k be in ifn_flows? 0: certainly not (its peer's bit is clear). */
static inline int ifn_exact_peers_may(const __u64 *peers, const struct ifn_flow_key *k)
{
	__u32 b;

	if (!ifn_exact_peer_keyed(k))
		return 1;
	b = ifn_exact_peer_bit(k->peer);
	return (peers[(b >> 6) & (IFN_EXACT_PEER_WORDS - 1)] >> (b & 63)) & 1;
}

/* Defaults of ifn_config (justified in agent/iotfence.8). */
#define IFN_ANSWER_S_DEFAULT 30
#define IFN_SCAN_WINDOW_NS_DEFAULT (10ULL * 1000000000ULL)
#define IFN_SCAN_THRESHOLD_DEFAULT 16
#define IFN_FINGERPRINT_CAP_DEFAULT 512
#define IFN_EVENT_LIMIT_DEFAULT 8
#define IFN_DNS_MIN_TTL_NS_DEFAULT (3600ULL * 1000000000ULL)

_Static_assert(sizeof(struct ifn_mac_key) == 8, "ifn_mac_key layout");
_Static_assert(IFN_EXACT_PEER_WORDS * 64 == 256, "ifn_exact_peer_bit() gives 8 bits");
_Static_assert(sizeof(struct ifn_device) == 328, "ifn_device layout");
_Static_assert(sizeof(struct ifn_fp_cache) == 32, "ifn_fp_cache layout");
_Static_assert(sizeof(struct ifn_dev_cache_entry) == 12, "ifn_dev_cache_entry layout");
_Static_assert(sizeof(struct ifn_dev_cache) == 12 * IFN_DEV_CACHE_ENTRIES, "ifn_dev_cache layout");
_Static_assert(sizeof(struct ifn_dev_stats) == 272, "ifn_dev_stats layout");
_Static_assert(sizeof(struct ifn_flow_key) == 28, "ifn_flow_key layout");
_Static_assert(sizeof(struct ifn_flow_val) == 16, "ifn_flow_val layout");
_Static_assert(sizeof(struct ifn_rule_port_key) == 32, "ifn_rule_port_key layout");
_Static_assert(sizeof(struct ifn_rule_any_key) == 28, "ifn_rule_any_key layout");
_Static_assert(sizeof(struct ifn_rule_val) == 16, "ifn_rule_val layout");
_Static_assert(sizeof(struct ifn_frag_key) == 40, "ifn_frag_key layout");
_Static_assert(sizeof(struct ifn_frag_val) == 8, "ifn_frag_val layout");
_Static_assert(sizeof(struct ifn_ip_key) == 16, "ifn_ip_key layout");
_Static_assert(sizeof(struct ifn_ip_owner) == 16, "ifn_ip_owner layout");
_Static_assert(sizeof(struct ifn_iface) == 32, "ifn_iface layout");
_Static_assert(sizeof(struct ifn_config) == 72, "ifn_config layout");
_Static_assert(sizeof(struct ifn_dns_key) == 24, "ifn_dns_key layout");
_Static_assert(sizeof(struct ifn_dns_val) == 88, "ifn_dns_val layout");
_Static_assert(sizeof(struct ifn_dns_name) == 344, "ifn_dns_name layout");
_Static_assert(sizeof(struct ifn_dns_stats) == 224, "ifn_dns_stats layout");
_Static_assert(sizeof(struct ifn_name_rule_key) == 24, "ifn_name_rule_key layout");
_Static_assert(sizeof(struct ifn_name_rule_val) == 272, "ifn_name_rule_val layout");
_Static_assert(sizeof(struct ifn_global_stats) == 256, "ifn_global_stats layout");
_Static_assert(sizeof(struct ifn_event) == 96, "ifn_event layout");
_Static_assert(sizeof(((struct ifn_event *)0)->names) == IFN_DNS_NAMES_PER_ADDR * sizeof(__u64),
	       "ifn_event.names holds an ifn_dns_val's names");
_Static_assert(sizeof(struct ifn_replay_frame) == 3544, "ifn_replay_frame layout");
_Static_assert(sizeof(struct ifn_in_key) == 28, "ifn_in_key layout");
_Static_assert(sizeof(struct ifn_in_val) == 16, "ifn_in_val layout");
_Static_assert(sizeof(struct ifn_in_recent) == 40, "ifn_in_recent layout");
_Static_assert(sizeof(struct ifn_probe_key) == 24, "ifn_probe_key layout");
_Static_assert(sizeof(struct ifn_probe_val) == 48, "ifn_probe_val layout");
_Static_assert(sizeof(struct ifn_prober_val) == 24, "ifn_prober_val layout");
_Static_assert(sizeof(struct ifn_lan_key) == 20, "ifn_lan_key layout");

#endif /* IOTFENCE_H */
