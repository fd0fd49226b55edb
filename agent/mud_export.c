// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* mud_export.c - a device's fingerprint as an RFC 8520 MUD file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "mud_export.h"
#include "mud_json.h"

/* ---- export ---- */

static json_t *port_obj(int port)
{
	return json_pack("{s:s,s:i}", "operator", "eq", "port", port);
}

/* One ACE of @r as seen @from the device (or to it). */
static json_t *ace_of(const struct ifn_rule *r, bool from, bool v6, const char *name)
{
	bool server = r->dir == IFN_DIR_SERVER;
	json_t *l3 = json_object(), *m = json_object(), *l4;
	char peer[IFN_ADDR_STRLEN];

	if (r->proto != 1 && r->proto != 58)
		json_object_set_new(l3, "protocol", json_integer(r->proto));
	if (r->name) {
		/* RFC 8520 section 13: the peer's name, the side the acl sees it on. */
		json_object_set_new(l3,
				    from ? "ietf-acldns:dst-dnsname" : "ietf-acldns:src-dnsname",
				    json_string(r->name));
	} else if (r->lan) {
		/* RFC 8520 section 8: any peer on the local networks (type empty: [null]). */
		json_object_set_new(m, "ietf-mud:mud", json_pack("{s:[n]}", "local-networks"));
	} else if (r->plen) {
		const char *key =
			from ? (v6 ? "destination-ipv6-network" : "destination-ipv4-network") :
			       (v6 ? "source-ipv6-network" : "source-ipv4-network");
		__u8 plen = v6 ? r->plen : r->plen - 96;

		ifn_fmt_addr(r->peer, peer);
		snprintf(peer + strlen(peer), sizeof(peer) - strlen(peer), "/%u", plen);
		json_object_set_new(l3, key, json_string(peer));
	}
	if (r->proto == 1 || r->proto == 58) {
		json_object_set_new(l3, "protocol", json_integer(r->proto));
		l4 = json_object();
		if (!r->port_any)
			json_object_set_new(l4, "type", json_integer(r->port));
		json_object_set_new(m, v6 ? "ipv6" : "ipv4", l3);
		json_object_set_new(m, "icmp", l4);
	} else {
		l4 = json_object();
		if (!r->port_any) {
			/* The port is the server's: the peer's for a client rule. */
			bool peer_side = !server;
			const char *key = (from == peer_side) ? "destination-port" : "source-port";

			json_object_set_new(l4, key, port_obj(r->port));
		}
		if (r->proto == 6)
			json_object_set_new(l4, "ietf-mud:direction-initiated",
					    json_string(server ? "to-device" : "from-device"));
		json_object_set_new(m, v6 ? "ipv6" : "ipv4", l3);
		json_object_set_new(m, r->proto == 6 ? "tcp" : "udp", l4);
	}
	return json_pack("{s:s,s:o,s:{s:s}}", "name", name, "matches", m, "actions", "forwarding",
			 "accept");
}

json_t *ifn_mud_export(const struct ifn_rule *rules, size_t n, const char *url,
		       const char *systeminfo, __u64 now_wall_ns, size_t *skipped)
{
	static const char *const acl_names[4] = { "iotfence-v4fr", "iotfence-v4to", "iotfence-v6fr",
						  "iotfence-v6to" };
	json_t *aces[4], *root, *acl_list, *fr, *to;
	char tb[40], name[48];
	time_t t = now_wall_ns / 1000000000ULL;
	struct tm tm;
	size_t i, seq = 0;
	int k;

	*skipped = 0;
	for (k = 0; k < 4; k++)
		aces[k] = json_array();
	for (i = 0; i < n; i++) {
		const struct ifn_rule *r = &rules[i];
		bool icmp = r->proto == 1 || r->proto == 58;
		int fam;

		/*
		 * A wildcard has no MUD form: dst-dnsname is an inet:host, a
		 * domain name without "*" (RFC 8520 section 13, RFC 6991).
		 */
		if (r->l2 || (r->proto != 6 && r->proto != 17 && !icmp) || (r->name && r->wild)) {
			(*skipped)++;
			continue;
		}
		/* "any", a name and local-networks belong to both families; ICMPv6 to IPv6 only. */
		for (fam = 0; fam < 2; fam++) {
			bool v6 = fam == 1;

			if (r->plen && (ifn_addr_is_v4(r->peer) == v6))
				continue;
			if ((r->proto == 1 && v6) || (r->proto == 58 && !v6))
				continue;
			seq++;
			/* ICMP: one ACE, on the side that sends the type (see x_ace). */
			if (!icmp || r->dir != IFN_DIR_SERVER) {
				snprintf(name, sizeof(name), "r%zu-frdev", seq);
				json_array_append_new(aces[fam * 2], ace_of(r, true, v6, name));
			}
			if (!icmp || r->dir == IFN_DIR_SERVER) {
				snprintf(name, sizeof(name), "r%zu-todev", seq);
				json_array_append_new(aces[fam * 2 + 1],
						      ace_of(r, false, v6, name));
			}
		}
	}
	gmtime_r(&t, &tm);
	strftime(tb, sizeof(tb), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	acl_list = json_array();
	fr = json_array();
	to = json_array();
	for (k = 0; k < 4; k++) {
		if (!json_array_size(aces[k])) {
			json_decref(aces[k]);
			continue;
		}
		json_array_append_new(acl_list,
				      json_pack("{s:s,s:s,s:{s:o}}", "name", acl_names[k], "type",
						k < 2 ? "ipv4-acl-type" : "ipv6-acl-type", "aces",
						"ace", aces[k]));
		json_array_append_new(k % 2 ? to : fr, json_pack("{s:s}", "name", acl_names[k]));
	}
	root = json_pack("{s:{s:i,s:s,s:s,s:i,s:b,s:s,s:{s:{s:o}},s:{s:{s:o}}},s:{s:o}}", MUD_ROOT,
			 "mud-version", 1, "mud-url", url, "last-update", tb, "cache-validity", 48,
			 "is-supported", 1, "systeminfo", systeminfo, "from-device-policy",
			 "access-lists", "access-list", fr, "to-device-policy", "access-lists",
			 "access-list", to, ACLS_ROOT, "acl", acl_list);
	return root;
}
