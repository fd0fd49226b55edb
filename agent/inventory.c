// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * inventory.c - `devices` and `device MAC`: what is on the network, what it
 * did, and what its fingerprint allows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "devices.h"
#include "errors.h"
#include "format.h"
#include "oui.h"
#include "output.h"
#include "rules.h"
#include "state.h"

static char *fmt_ago(__u64 mono, __u64 now, char *buf, size_t len)
{
	char d[32];

	if (!mono) {
		snprintf(buf, len, "never");
		return buf;
	}
	if (mono >= now) {
		snprintf(buf, len, "now");
		return buf;
	}
	/* Whole seconds read better in a table. */
	ifn_fmt_duration((now - mono) / 1000000000ULL * 1000000000ULL, d, sizeof(d));
	snprintf(buf, len, "%s ago", d);
	return buf;
}

static char *fmt_mode(const struct ifn_device *d, __u64 now, char *buf, size_t len)
{
	char left[32];

	if (d->mode_until_ns > now) {
		ifn_fmt_duration((d->mode_until_ns - now) / 1000000000ULL * 1000000000ULL, left,
				 sizeof(left));
		snprintf(buf, len, "%s (%s left)", ifn_mode_name(d->mode), left);
	} else {
		snprintf(buf, len, "%s", ifn_mode_name(d->mode));
	}
	return buf;
}

int ifn_cmd_devices(const struct ifn_cmd *c, int argc, char **argv)
{
	static const char *const hdr[] = { "MAC",     "VENDOR",	  "MODE",   "IPV4",
					   ">PACKETS", ">BYTES",  ">DROPPED", ">FLOWS",
					   "LAST SEEN" };
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

	if (ifn_json_output) {
		struct ifn_json j;

		ifn_json_init(&j, stdout);
		ifn_json_arr_open(&j, NULL);
		for (i = 0; i < n; i++) {
			char ifn[16];

			ifn_device_json(&j, &v[i], ifn_oui_vendor(oui, v[i].mac),
					ifn_ifname(m.ifaces, v[i].dev.ifindex, ifn));
		}
		ifn_json_arr_close(&j);
	} else if (!n) {
		printf("no devices seen yet\n");
	} else {
		__u64 now = ifn_now_mono();
		struct ifn_table t;

		ifn_table_init(&t, 9, hdr);
		for (i = 0; i < n; i++) {
			char mac[IFN_MAC_STRLEN], vend[24], mode[48], v4[INET_ADDRSTRLEN], pk[16],
				by[16], dr[16], fl[16], seen[40];
			const char *ip = ifn_device_ipv4(&v[i].dev, v4, sizeof(v4));
			const char *row[9] = { mac, vend, mode, ip ? ip : "-", pk, by, dr, fl, seen };

			ifn_fmt_mac(v[i].mac, mac);
			snprintf(vend, sizeof(vend), "%.22s", ifn_oui_vendor(oui, v[i].mac));
			fmt_mode(&v[i].dev, now, mode, sizeof(mode));
			ifn_fmt_count(v[i].st.packets, pk, sizeof(pk));
			ifn_fmt_count(v[i].st.bytes, by, sizeof(by));
			ifn_fmt_count(ifn_dev_dropped(&v[i].st), dr, sizeof(dr));
			snprintf(fl, sizeof(fl), "%u", v[i].dev.flow_count);
			fmt_ago(v[i].st.last_seen_ns, now, seen, sizeof(seen));
			ifn_table_add(&t, row);
		}
		ifn_table_print(&t, stdout);
		ifn_table_free(&t);
	}
	ifn_oui_free(oui);
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
	ifn_json_str(j, "peer", r->l2 ? NULL : ifn_fmt_cidr(r->peer, r->plen, peer));
	ifn_json_str(j, "dir", ifn_dir_name(r->dir));
	ifn_json_str(j, "origin", ifn_origin_name(r->origin));
	ifn_json_time(j, "added", ifn_mono_to_wall(r->added_ns));
	ifn_json_obj_close(j);
}

int ifn_cmd_device(const struct ifn_cmd *c, int argc, char **argv)
{
	static const char *const hdr[] = { "RULE", "KIND", "ORIGIN", "ADDED" };
	struct ifn_oui_db *oui;
	struct ifn_dev_view v;
	struct ifn_rule *rules;
	struct ifn_maps m;
	char ifn[16], mac[IFN_MAC_STRLEN];
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
	ifn_ifname(m.ifaces, v.dev.ifindex, ifn);

	if (ifn_json_output) {
		struct ifn_json j;

		/* The device object, with its fingerprint added. */
		ifn_json_init(&j, stdout);
		ifn_json_obj_open(&j, NULL);
		ifn_device_json_fields(&j, &v, ifn_oui_vendor(oui, v.mac), ifn);
		ifn_json_arr_open(&j, "fingerprint");
		for (i = 0; i < n; i++)
			rule_json(&j, &rules[i]);
		ifn_json_arr_close(&j);
		ifn_json_obj_close(&j);
	} else {
		__u64 now = ifn_now_mono();
		char v4[INET_ADDRSTRLEN], v6[2][48], mode[48], seen[40], t[IFN_TIME_STRLEN];
		const char *ip = ifn_device_ipv4(&v.dev, v4, sizeof(v4));
		struct ifn_table tab;
		int n6 = ifn_device_ipv6(&v.dev, v6), k;

		printf("device     %s\n", ifn_fmt_mac(v.mac, mac));
		printf("vendor     %s\n", ifn_oui_vendor(oui, v.mac));
		printf("interface  %s\n", ifn);
		printf("mode       %s%s%s\n", fmt_mode(&v.dev, now, mode, sizeof(mode)),
		       v.dev.mode_until_ns ? ", then " : "",
		       v.dev.mode_until_ns ? ifn_mode_name(v.dev.mode_after) : "");
		printf("ipv4       %s\n", ip ? ip : "-");
		for (k = 0; k < n6; k++)
			printf("ipv6       %s\n", v6[k]);
		printf("first seen %s\n", ifn_fmt_time(ifn_mono_to_wall(v.dev.created_ns), t));
		printf("last seen  %s\n", fmt_ago(v.st.last_seen_ns, now, seen, sizeof(seen)));
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
			printf("rate       %llu pps, %llu bytes/s\n",
			       (unsigned long long)v.dev.rate_pps,
			       (unsigned long long)v.dev.rate_bps);
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
	}
	ifn_oui_free(oui);
	free(rules);
	ifn_maps_close(&m);
	return IFN_EXIT_OK;
}
