// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * inventory.c - `devices` and `device MAC`: what is on the network, what it
 * did, and what its fingerprint allows; `status`: the interfaces, the
 * program and how full the maps are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "devices.h"
#include "devnames.h"
#include "errors.h"
#include "format.h"
#include "lifecycle.h"
#include "mud_url.h"
#include "oui.h"
#include "output.h"
#include "rules.h"
#include "state.h"

/*
 * A duration for a table: the largest unit and the next one, if any
 * ("23h59m", "3d", "45s"). Tables are for reading at a glance; JSON has
 * the exact times.
 */
static char *fmt_coarse(__u64 ns, char *buf, size_t len)
{
	static const struct {
		const char *suffix;
		__u64 ns;
	} units[] = {
		{ "d", 86400000000000ULL },
		{ "h", 3600000000000ULL },
		{ "m", 60000000000ULL },
		{ "s", 1000000000ULL },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		__u64 v = ns / units[i].ns, w;

		if (!v)
			continue;
		w = i + 1 < sizeof(units) / sizeof(units[0]) ?
			    (ns % units[i].ns) / units[i + 1].ns :
			    0;
		if (w)
			snprintf(buf, len, "%llu%s%llu%s", (unsigned long long)v, units[i].suffix,
				 (unsigned long long)w, units[i + 1].suffix);
		else
			snprintf(buf, len, "%llu%s", (unsigned long long)v, units[i].suffix);
		return buf;
	}
	snprintf(buf, len, "0s");
	return buf;
}

static char *fmt_ago(__u64 mono, __u64 now, char *buf, size_t len)
{
	char d[32];

	if (!mono) {
		snprintf(buf, len, "never");
		return buf;
	}
	if (mono + 1000000000ULL > now) {
		snprintf(buf, len, "just now");
		return buf;
	}
	snprintf(buf, len, "%s ago", fmt_coarse(now - mono, d, sizeof(d)));
	return buf;
}

static char *fmt_mode(const struct ifn_device *d, __u64 now, char *buf, size_t len)
{
	char left[32];

	if (ifn_mw_until(d->mode_word) > now)
		snprintf(buf, len, "%s (%s left)", ifn_mode_name(d->mode),
			 fmt_coarse(ifn_mw_until(d->mode_word) - now, left, sizeof(left)));
	else
		snprintf(buf, len, "%s", ifn_mode_name(d->mode));
	return buf;
}

/* At most @chars characters of @s, never cutting a UTF-8 sequence. */
static char *clip(const char *s, size_t chars, char *buf, size_t len)
{
	size_t i = 0, n = 0;

	while (s[i] && i + 1 < len) {
		size_t j = i + 1;

		while (((unsigned char)s[j] & 0xc0) == 0x80)
			j++;
		if (n == chars || j >= len)
			break;
		n++;
		i = j;
	}
	memcpy(buf, s, i);
	buf[i] = '\0';
	return buf;
}

/*
 * Interface names by ifindex, looked up once per listing: a lookup costs
 * a syscall or three, and 100,000 devices share a handful of interfaces.
 */
struct ifname_cache {
	__u32 ifindex[IFN_MAX_IFACES];
	char name[IFN_MAX_IFACES][16];
	int n;
};

static const char *cached_ifname(struct ifname_cache *nc, int ifaces_fd, __u32 ifindex)
{
	static char overflow[16];
	int i;

	if (!ifindex)
		return NULL; /* created by the agent, not seen on an interface yet */
	for (i = 0; i < nc->n; i++)
		if (nc->ifindex[i] == ifindex)
			return nc->name[i];
	if (nc->n == IFN_MAX_IFACES)
		return ifn_ifname(ifaces_fd, ifindex, overflow);
	nc->ifindex[nc->n] = ifindex;
	return ifn_ifname(ifaces_fd, ifindex, nc->name[nc->n++]);
}

/* Under the table: the MUD URLs the devices announced (DHCP), if any. */
static void mud_url_lines(const struct ifn_mactab *u, const struct ifn_dev_view *v, size_t n)
{
	char mac[IFN_MAC_STRLEN];
	bool head = false;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *url = ifn_mactab_get(u, v[i].mac);

		if (!url)
			continue;
		if (!head)
			printf("\nMAC                MUD URL\n");
		head = true;
		printf("%-18s %s\n", ifn_fmt_mac(v[i].mac, mac), url);
	}
}

int ifn_cmd_devices(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_mactab urls;
	static const char *const hdr[] = { "MAC",    "IFACE",	   "VENDOR",   "MODE",
					   "IPV4",   ">PACKETS",   ">BYTES",   ">DROPPED",
					   ">FLOWS", "FIRST SEEN", "LAST SEEN" };
	struct ifn_dev_view *v;
	struct ifn_oui_db *oui;
	struct ifn_maps m;
	size_t n, i;
	int err;

	if (argc > 1)
		return ifn_usage_error(c, "unexpected '%s'", argv[1]);
	if (ifn_bpffs_ensure(false) || ifn_maps_open_pinned(&m))
		return IFN_EXIT_FAIL;
	err = ifn_devices_read(&m, &v, &n);
	if (err) {
		ifn_err("cannot read the device table: %s", ifn_strerror(err));
		ifn_maps_close(&m);
		return IFN_EXIT_FAIL;
	}
	oui = ifn_oui_load(NULL);
	/* A missing or unreadable table: no URLs to show, nothing else changes. */
	if (ifn_mactab_load(&urls, &ifn_mud_urls_kind, NULL))
		memset(&urls, 0, sizeof(urls));
	/* Fewer, larger writes for a large table; nothing is printed yet. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	if (ifn_json_output) {
		struct ifname_cache nc = { .n = 0 };
		struct ifn_devnames dn;
		struct ifn_json j;

		err = ifn_devnames_load(&m, 0, &dn);
		if (err)
			ifn_err("cannot read the names the devices resolved: %s",
				ifn_strerror(err));
		ifn_json_init(&j, stdout);
		ifn_json_arr_open(&j, NULL);
		for (i = 0; i < n; i++) {
			ifn_json_obj_open(&j, NULL);
			ifn_device_json_fields(&j, &v[i], ifn_oui_vendor(oui, v[i].mac),
					       cached_ifname(&nc, m.ifaces, v[i].dev.ifindex));
			ifn_json_str(&j, "mud_url", ifn_mactab_get(&urls, v[i].mac));
			if (!err)
				ifn_devnames_json(&j, &dn, v[i].mac);
			ifn_json_obj_close(&j);
		}
		ifn_json_arr_close(&j);
		ifn_devnames_free(&dn);
	} else if (!n) {
		printf("no devices seen yet\n");
	} else {
		struct ifname_cache nc = { .n = 0 };
		__u64 now = ifn_now_mono();
		struct ifn_table t;

		ifn_table_init(&t, 11, hdr);
		for (i = 0; i < n; i++) {
			char mac[IFN_MAC_STRLEN], vend[96], mode[48], v4[INET_ADDRSTRLEN], pk[16],
				by[16], dr[16], fl[16], first[40], seen[40];
			const char *ip = ifn_device_ipv4(&v[i].dev, v4, sizeof(v4));
			const char *ifname = cached_ifname(&nc, m.ifaces, v[i].dev.ifindex);
			const char *row[11] = { mac, ifname, vend, mode,  ip,  pk,
						by,  dr,     fl,   first, seen };

			ifn_fmt_mac(v[i].mac, mac);
			clip(ifn_oui_vendor(oui, v[i].mac), 20, vend, sizeof(vend));
			fmt_mode(&v[i].dev, now, mode, sizeof(mode));
			ifn_fmt_count(v[i].st.packets, pk, sizeof(pk));
			ifn_fmt_count(v[i].st.bytes, by, sizeof(by));
			ifn_fmt_count(ifn_dev_dropped(&v[i].st), dr, sizeof(dr));
			snprintf(fl, sizeof(fl), "%u", v[i].dev.flow_count);
			fmt_ago(v[i].dev.created_ns, now, first, sizeof(first));
			fmt_ago(v[i].st.last_seen_ns, now, seen, sizeof(seen));
			if (ifn_table_add(&t, row)) {
				ifn_err("out of memory");
				break;
			}
		}
		ifn_table_print(&t, stdout);
		ifn_table_free(&t);
		mud_url_lines(&urls, v, n);
	}
	ifn_oui_free(oui);
	ifn_mactab_free(&urls);
	free(v);
	ifn_maps_close(&m);
	return IFN_EXIT_OK;
}

static const char *kind_name(enum ifn_rule_kind k)
{
	switch (k) {
	case IFN_RULE_EXACT:
		return "exact";
	case IFN_RULE_PORT_PREFIX:
		return "prefix";
	case IFN_RULE_ANY_PORT:
		return "any-port";
	case IFN_RULE_NAME:
		return "name";
	}
	return "?";
}

static void rule_json(struct ifn_json *j, const struct ifn_rule *r)
{
	char buf[IFN_RULE_STRLEN], pb[8], peer[IFN_ADDR_STRLEN];

	ifn_json_obj_open(j, NULL);
	ifn_json_str(j, "rule", ifn_rule_format(r, buf, sizeof(buf)));
	ifn_json_str(j, "kind", kind_name(ifn_rule_kind(r)));
	ifn_json_str(j, "proto", r->l2 ? "ether" : ifn_proto_name(r->proto, pb));
	if (r->port_any)
		ifn_json_null(j, "port");
	else
		ifn_json_u64(j, "port", r->port);
	ifn_json_str(j, "peer", r->l2 || r->name ? NULL : ifn_fmt_cidr(r->peer, r->plen, peer));
	if (r->name) {
		char name[IFN_DNS_NAME_MAX + 2];

		snprintf(name, sizeof(name), "%s%s", r->wild ? "*." : "", r->name);
		ifn_json_str(j, "name", name);
	}
	ifn_json_str(j, "dir", ifn_dir_name(r->dir));
	ifn_json_str(j, "origin", ifn_origin_name(r->origin));
	ifn_json_time(j, "added", ifn_mono_to_wall(r->added_ns));
	ifn_json_obj_close(j);
}

int ifn_cmd_device(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_mactab urls;
	static const char *const hdr[] = { "RULE", "KIND", "ORIGIN", "ADDED" };
	struct ifn_oui_db *oui;
	struct ifn_dev_view v;
	struct ifn_devnames dn;
	struct ifn_rule *rules;
	struct ifn_maps m;
	struct ifname_cache nc = { .n = 0 };
	char mac[IFN_MAC_STRLEN];
	const char *ifn;
	size_t n, i;
	__u8 addr[6];
	int err;

	if (argc < 2)
		return ifn_usage_error(c, "missing MAC");
	if (argc > 2)
		return ifn_usage_error(c, "unexpected '%s'", argv[2]);
	if (ifn_arg_mac(c, argv[1], addr))
		return IFN_EXIT_USAGE;
	if (ifn_bpffs_ensure(false) || ifn_maps_open_pinned(&m))
		return IFN_EXIT_FAIL;
	err = ifn_device_read(&m, addr, &v);
	if (err == -ENOENT) {
		ifn_err("unknown device %s (see 'iotfence devices')", ifn_fmt_mac(addr, mac));
		ifn_maps_close(&m);
		return IFN_EXIT_FAIL;
	}
	if (!err)
		err = ifn_rules_read(&m, addr, &rules, &n);
	if (err) {
		ifn_err("cannot read device %s: %s", argv[1], ifn_strerror(err));
		ifn_maps_close(&m);
		return IFN_EXIT_FAIL;
	}
	oui = ifn_oui_load(NULL);
	/* A missing or unreadable table: no URLs to show, nothing else changes. */
	if (ifn_mactab_load(&urls, &ifn_mud_urls_kind, NULL))
		memset(&urls, 0, sizeof(urls));
	ifn = cached_ifname(&nc, m.ifaces, v.dev.ifindex);
	err = ifn_devnames_load(&m, 0, &dn);
	if (err)
		ifn_err("cannot read the names the device resolved: %s", ifn_strerror(err));

	if (ifn_json_output) {
		struct ifn_json j;

		/* The device object, with its fingerprint added. */
		ifn_json_init(&j, stdout);
		ifn_json_obj_open(&j, NULL);
		ifn_device_json_fields(&j, &v, ifn_oui_vendor(oui, v.mac), ifn);
		ifn_json_str(&j, "mud_url", ifn_mactab_get(&urls, v.mac));
		ifn_json_arr_open(&j, "fingerprint");
		for (i = 0; i < n; i++)
			rule_json(&j, &rules[i]);
		ifn_json_arr_close(&j);
		if (!err)
			ifn_devnames_json(&j, &dn, v.mac);
		ifn_json_obj_close(&j);
	} else {
		__u64 now = ifn_now_mono();
		char v4[INET_ADDRSTRLEN], v6[2][48], mode[48], ago[40], t[IFN_TIME_STRLEN],
			rate[160];
		const char *ip = ifn_device_ipv4(&v.dev, v4, sizeof(v4));
		struct ifn_table tab;
		int n6 = ifn_device_ipv6(&v.dev, v6), k;

		printf("device     %s\n", ifn_fmt_mac(v.mac, mac));
		printf("vendor     %s\n", ifn_oui_vendor(oui, v.mac));
		printf("interface  %s\n", ifn ? ifn : "-");
		if (ifn_mactab_get(&urls, v.mac))
			printf("mud url    %s\n", ifn_mactab_get(&urls, v.mac));
		printf("mode       %s%s%s\n", fmt_mode(&v.dev, now, mode, sizeof(mode)),
		       ifn_mw_until(v.dev.mode_word) ? ", then " : "",
		       ifn_mw_until(v.dev.mode_word) ? ifn_mode_name(v.dev.mode_after) : "");
		printf("ipv4       %s\n", ip ? ip : "-");
		for (k = 0; k < n6; k++)
			printf("ipv6       %s\n", v6[k]);
		printf("first seen %s (%s)\n", ifn_fmt_time(ifn_mono_to_wall(v.dev.created_ns), t),
		       fmt_ago(v.dev.created_ns, now, ago, sizeof(ago)));
		if (v.st.last_seen_ns)
			printf("last seen  %s (%s)\n",
			       ifn_fmt_time(ifn_mono_to_wall(v.st.last_seen_ns), t),
			       fmt_ago(v.st.last_seen_ns, now, ago, sizeof(ago)));
		else
			printf("last seen  never\n");
		printf("packets    %llu (%llu bytes)\n", (unsigned long long)v.st.packets,
		       (unsigned long long)v.st.bytes);
		printf("verdicts   passed %llu, dropped %llu, alerts %llu\n",
		       (unsigned long long)v.st.verdict[IFN_VERDICT_PASS],
		       (unsigned long long)v.st.verdict[IFN_VERDICT_DROP],
		       (unsigned long long)v.st.verdict[IFN_VERDICT_ALERT]);
		for (k = 1; k < IFN_REASON_MAX; k++)
			if (v.st.reason[k])
				printf("  %-22s %llu\n", ifn_reason_name(k),
				       (unsigned long long)v.st.reason[k]);
		if (v.dev.flags & IFN_DEV_F_RATE_LIMIT)
			printf("rate       %s\n",
			       ifn_fmt_rate(v.dev.rate_pps, v.dev.rate_bps, v.dev.burst_pkts,
					    v.dev.burst_bytes, rate, sizeof(rate)));
		if (v.dev.flags & IFN_DEV_F_LEARN_CAPPED)
			printf("note       learning stopped at the fingerprint cap\n");
		printf("\nfingerprint: %zu rule%s\n", n, n == 1 ? "" : "s");
		if (n) {
			ifn_table_init(&tab, 4, hdr);
			for (i = 0; i < n; i++) {
				char rb[IFN_RULE_STRLEN], added[40];
				const char *row[4] = { rb, kind_name(ifn_rule_kind(&rules[i])),
						       ifn_origin_name(rules[i].origin), added };

				ifn_rule_format(&rules[i], rb, sizeof(rb));
				fmt_ago(rules[i].added_ns, now, added, sizeof(added));
				ifn_table_add(&tab, row);
			}
			ifn_table_print(&tab, stdout);
			ifn_table_free(&tab);
		}
		if (!err) {
			printf("\n");
			ifn_devnames_text(stdout, &dn, v.mac);
		}
	}
	ifn_devnames_free(&dn);
	ifn_oui_free(oui);
	ifn_mactab_free(&urls);
	free(rules);
	ifn_maps_close(&m);
	return IFN_EXIT_OK;
}

/* ---- iotfence status ---- */
