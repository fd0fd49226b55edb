/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rules.h - fingerprint entries as one model, whatever map holds them.
 *
 * A rule is written "PROTO[/PORT] PEER[/PREFIX] [server]":
 *   tcp/443 52.94.1.7        exact flow            -> ifn_flows
 *   udp/123 any              a port, any peer      -> ifn_rules_port
 *   tcp/8883 10.0.0.0/8      a port, a prefix      -> ifn_rules_port
 *   tcp 10.0.0.0/8           any port of a proto   -> ifn_rules_any
 *   icmp/8 192.168.1.1       ICMP: the "port" is the request type
 *   ether/0x88cc             a non-IP ethertype    -> ifn_flows
 *   tcp/554 any server       the device serves port 554 (default: client)
 *   tcp/9999 local-networks server   any LAN peer         -> ifn_flows (family LAN)
 *   udp/1024-65535 52.1.2.3  a port range (peer-to-peer) -> ifn_rules_any
 *   tcp/443 name a.example.com   an address the device resolved for the name
 *   tcp/443 name *.example.com   ... for any name under example.com
 *                                                  -> ifn_name_rules
 */
#ifndef IFN_RULES_H
#define IFN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "iotfence.h"
#include "state.h"

enum ifn_rule_kind {
	IFN_RULE_EXACT = 0,
	IFN_RULE_PORT_PREFIX = 1,
	IFN_RULE_ANY_PORT = 2,
	IFN_RULE_NAME = 3,
};

struct ifn_rule {
	__u8 mac[6];
	__u8 l2; /* ethertype rule: port is the ethertype */
	__u8 proto;
	__u16 port;
	__u8 port_any;
	__u8 dir; /* enum ifn_dir */
	__u8 peer[16]; /* IPv6 or IPv4-mapped */
	__u8 plen; /* over the 128-bit mapped space: 128 is one host, 0 any */
	__u8 origin; /* enum ifn_origin */
	__u8 wild; /* name rules: *.name */
	__u8 lan; /* local-networks: any LAN peer (peer zero, plen 0) */
	__u16 port_hi; /* a port range port..port_hi (port_any set); 0: none */
	__u8 pad[2];
	__u64 added_ns; /* datapath clock */
	/* A name rule's name (the suffix of a wildcard), interned: ifn_dns_name_intern(). */
	const char *name;
};

#define IFN_RULE_STRLEN 320

/* A growing list of rules: the one way to push one (free v when done). */
struct ifn_rule_vec {
	struct ifn_rule *v;
	size_t n, cap;
};

int ifn_rule_vec_push(struct ifn_rule_vec *rv, const struct ifn_rule *r);

/* Parse the words of a rule (after the MAC). */
int ifn_rule_parse_args(int argc, char *const *argv, struct ifn_rule *r, char *err, size_t errlen);
/* Parse a rule from one string, words separated by blanks. */
int ifn_rule_parse(const char *text, struct ifn_rule *r, char *err, size_t errlen);
/* The rule's text, as ifn_rule_parse reads it (without the MAC). */
char *ifn_rule_format(const struct ifn_rule *r, char *buf, size_t len);

enum ifn_rule_kind ifn_rule_kind(const struct ifn_rule *r);
/* Same device and same match (origin and time aside). */
bool ifn_rule_same(const struct ifn_rule *a, const struct ifn_rule *b);
/* Total order for sorting: device, kind, proto, port, peer. */
int ifn_rule_cmp(const void *a, const void *b);

void ifn_rule_from_flow(struct ifn_rule *r, const struct ifn_flow_key *k,
			const struct ifn_flow_val *v);
void ifn_rule_to_flow(const struct ifn_rule *r, struct ifn_flow_key *k);

/*
 * Install a rule for a device that exists (-ENOENT otherwise), setting the
 * device's rule flags and flow count. Installing an existing rule updates
 * its origin and is not an error.
 */
int ifn_rule_install(const struct ifn_maps *m, const struct ifn_rule *r);
/* Remove one rule; -ENOENT if it is not there. */
int ifn_rule_remove(const struct ifn_maps *m, const struct ifn_rule *r);

/*
 * What the caller of ifn_rules_install_many knows of its rules, from the
 * maps as it read them holding the command lock (ifn_lock): no other
 * command changes them meanwhile, and the datapath only adds flows, by
 * learning.
 */
#define IFN_RULES_ABSENT (1U << 0) /* none is in the maps */
#define IFN_RULES_PRESENT (1U << 1) /* all are, and only their origin changes */

/*
 * Install @n rules as ifn_rule_install does each. Rules grouped by device,
 * as ifn_rule_cmp sorts them, cost one lookup of the device record per
 * device, and one update of its counters and fp_gen per batch. Every
 * device must exist: -ENOENT, with nothing changed, otherwise.
 *
 * Exact flows that @flags say are absent, of a device that cannot learn
 * while they are written, and those said present (written with their own
 * added_ns, not read first) go in batches, in one system call per 8192.
 * The others, trie rules and any rule when @flags is 0, take one write
 * each, with BPF_NOEXIST; a rule that is there already (or, said present,
 * one that is not) costs two more.
 *
 * Returns the number of rules that were new, or -errno. *done (may be
 * NULL) is the number of rules, from the first, that are installed and
 * counted: all of them on success, on error the ones for the caller to
 * undo.
 */
long ifn_rules_install_many(const struct ifn_maps *m, const struct ifn_rule *rules, size_t n,
			    unsigned int flags, size_t *done);

/*
 * Remove @n rules as ifn_rule_remove does each, with batch deletes of the
 * exact flows and one delete per trie rule; a rule that is not there is
 * skipped, and a device that is gone has no counters to change. Returns the number removed or -errno;
 * *done (may be NULL) as for ifn_rules_install_many.
 */
long ifn_rules_remove_many(const struct ifn_maps *m, const struct ifn_rule *rules, size_t n,
			   size_t *done);

/*
 * Every rule of a device (@mac) or of all devices (@mac NULL), from all
 * three maps, sorted. *out is malloc'd.
 */
int ifn_rules_read(const struct ifn_maps *m, const __u8 *mac, struct ifn_rule **out, size_t *n);

/* Remove every rule of a device. Returns the number removed or -errno. */
long ifn_rules_remove_device(const struct ifn_maps *m, const __u8 mac[6]);

#endif /* IFN_RULES_H */
