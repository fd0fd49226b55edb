// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `iotfence status`: what is attached, how full the maps are, the counters. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "egress.h"
#include "errors.h"
#include "format.h"
#include "lifecycle.h"
#include "output.h"
#include "state.h"

struct fill {
	const char *name;
	long entries;
	__u32 max;
};

static __u32 max_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

int ifn_cmd_status(const struct ifn_cmd *c, int argc, char **argv)
{
	static const char *const iface_hdr[] = { "INTERFACE", ">IFINDEX", "XDP",
						 ">PROG",     ">EGRESS",  "NEW DEVICES" };
	static const char *const fill_hdr[] = { "MAP", ">ENTRIES", ">MAX", ">FILL" };
	struct ifn_global_stats gs;
	struct ifn_dns_stats ds;
	struct ifn_config cfg;
	struct ifn_maps m;
	char(*names)[16] = NULL;
	char buf[64];
	struct fill fills[7];
	__u64 malformed = 0, dns_bad = 0;
	int n = 0, i, err;
	__u32 prog_id = 0;

	if (argc > 1)
		return ifn_usage_error(c, "unexpected '%s'", argv[1]);
	if (ifn_bpffs_ensure(false) || ifn_maps_open_pinned(&m))
		return IFN_EXIT_FAIL;
	err = ifn_attached_list(&names, &n);
	if (!err)
		err = ifn_global_stats_read(&m, &gs);
	if (!err)
		err = ifn_config_read(&m, &cfg);
	if (!err)
		err = ifn_dns_stats_read(&m, &ds);
	if (err) {
		ifn_err("cannot read the state: %s", ifn_strerror(err));
		ifn_maps_close(&m);
		free(names);
		return IFN_EXIT_FAIL;
	}
	fills[0] = (struct fill){
		"devices", ifn_map_entries(m.dev_index, sizeof(struct ifn_mac_key), sizeof(__u32)),
		m.max_devices
	};
	fills[1] = (struct fill){ "flows",
				  ifn_map_entries(m.flows, sizeof(struct ifn_flow_key),
						  sizeof(struct ifn_flow_val)),
				  m.max_flows };
	fills[2] = (struct fill){ "port_rules",
				  ifn_map_entries(m.rules_port, sizeof(struct ifn_rule_port_key),
						  sizeof(struct ifn_rule_val)),
				  m.max_rules };
	fills[3] = (struct fill){ "any_port_rules",
				  ifn_map_entries(m.rules_any, sizeof(struct ifn_rule_any_key),
						  sizeof(struct ifn_rule_val)),
				  max_of(m.rules_any) };
	fills[4] = (struct fill){ "ip_owners",
				  ifn_map_entries(m.ip_owners, sizeof(struct ifn_ip_key),
						  sizeof(struct ifn_ip_owner)),
				  max_of(m.ip_owners) };
	fills[5] = (struct fill){ "dns",
				  ifn_map_entries(m.dns, sizeof(struct ifn_dns_key),
						  sizeof(struct ifn_dns_val)),
				  max_of(m.dns) };
	fills[6] = (struct fill){ "dns_names",
				  ifn_map_entries(m.dns_names, sizeof(__u64),
						  sizeof(struct ifn_dns_name)),
				  max_of(m.dns_names) };
	for (i = IFN_REASON_ETH_TRUNC; i < IFN_REASON_FIRST_POLICY; i++)
		malformed += gs.reason[i];
	for (i = 1; i < IFN_DNS_BAD_MAX; i++)
		dns_bad += ds.malformed[i];
	prog_id = ifn_prog_pinned_id();

	if (ifn_json_output) {
		struct ifn_json j;

		ifn_json_init(&j, stdout);
		ifn_json_obj_open(&j, NULL);
		ifn_json_str(&j, "pin_dir", ifn_pin_dir());
		ifn_json_u64(&j, "program_id", prog_id);
		ifn_json_arr_open(&j, "interfaces");
		for (i = 0; i < n; i++) {
			struct ifn_iface ifc = {};
			__u32 lprog = 0;
			int ifindex;

			ifindex = ifn_link_ifindex(names[i], &lprog);
			ifn_json_obj_open(&j, NULL);
			ifn_json_str(&j, "name", names[i]);
			ifn_json_i64(&j, "ifindex", ifindex > 0 ? ifindex : 0);
			if (ifindex > 0 && !bpf_map_lookup_elem(m.ifaces, &ifindex, &ifc)) {
				ifn_json_str(&j, "attach_mode",
					     ifc.attach_mode == IFN_ATTACH_GENERIC ? "generic" :
										     "native");
				ifn_json_str(&j, "new_devices", ifn_mode_name(ifc.default_mode));
				/* null: new devices learn until told otherwise */
				ifn_json_str(&j, "learn_for",
					     ifc.learn_ns ? ifn_fmt_duration(ifc.learn_ns, buf,
									     sizeof(buf)) :
							    NULL);
			} else {
				ifn_json_str(&j, "attach_mode",
					     ifindex > 0 ? "unknown" : "defunct");
			}
			ifn_json_u64(&j, "program_id", lprog);
			{
				__u32 eprog = 0;

				if (ifindex > 0)
					ifn_egress_query(ifindex, &eprog);
				ifn_json_u64(&j, "egress_program_id", eprog);
			}
			ifn_json_obj_close(&j);
		}
		ifn_json_arr_close(&j);
		ifn_json_obj_open(&j, "maps");
		for (i = 0; i < 7; i++) {
			ifn_json_obj_open(&j, fills[i].name);
			ifn_json_i64(&j, "entries", fills[i].entries);
			ifn_json_u64(&j, "max", fills[i].max);
			ifn_json_obj_close(&j);
		}
		ifn_json_obj_close(&j);
		ifn_json_obj_open(&j, "counters");
		ifn_json_u64(&j, "frames", gs.frames);
		ifn_json_u64(&j, "bytes", gs.bytes);
		ifn_json_u64(&j, "passed", gs.verdict[IFN_VERDICT_PASS]);
		ifn_json_u64(&j, "dropped", gs.verdict[IFN_VERDICT_DROP]);
		ifn_json_u64(&j, "alerts", gs.verdict[IFN_VERDICT_ALERT]);
		ifn_json_u64(&j, "malformed", malformed);
		ifn_json_u64(&j, "bad_source_mac", gs.reason[IFN_REASON_BAD_SRC_MAC]);
		ifn_json_u64(&j, "new_devices", gs.new_devices);
		ifn_json_u64(&j, "table_full", gs.table_full);
		ifn_json_u64(&j, "flows_full", gs.flows_full);
		ifn_json_u64(&j, "events_sent", gs.events_sent);
		ifn_json_u64(&j, "events_lost", gs.events_lost);
		ifn_json_obj_open(&j, "drop_reasons");
		for (i = 1; i < IFN_REASON_MAX; i++)
			if (gs.reason[i])
				ifn_json_u64(&j, ifn_reason_name(i), gs.reason[i]);
		ifn_json_obj_close(&j);
		ifn_json_obj_close(&j);
		ifn_json_obj_open(&j, "dns");
		ifn_json_u64(&j, "answers", ds.answers);
		ifn_json_u64(&j, "used", ds.used);
		ifn_json_u64(&j, "records", ds.records);
		ifn_json_u64(&j, "malformed", dns_bad);
		ifn_json_u64(&j, "spoofed", ds.spoofed);
		ifn_json_u64(&j, "no_device", ds.no_device);
		ifn_json_u64(&j, "too_big", ds.too_big);
		ifn_json_u64(&j, "too_many_answers", ds.too_many);
		ifn_json_u64(&j, "tcp_partial", ds.tcp_partial);
		ifn_json_u64(&j, "ignored", ds.ignored);
		ifn_json_u64(&j, "names_displaced", ds.names_displaced);
		ifn_json_u64(&j, "records_dropped", ds.records_dropped);
		ifn_json_u64(&j, "write_failed", ds.write_failed);
		ifn_json_obj_open(&j, "malformed_reasons");
		for (i = 1; i < IFN_DNS_BAD_MAX; i++)
			if (ds.malformed[i] && ifn_dns_bad_name(i))
				ifn_json_u64(&j, ifn_dns_bad_name(i), ds.malformed[i]);
		ifn_json_obj_close(&j);
		ifn_json_obj_close(&j);
		ifn_json_obj_close(&j);
	} else {
		struct ifn_table t;

		if (prog_id)
			printf("program: id %u, state pinned at %s\n\n", prog_id, ifn_pin_dir());
		else
			printf("program: not loaded (no interface attached), state pinned at %s\n\n",
			       ifn_pin_dir());
		ifn_table_init(&t, 6, iface_hdr);
		for (i = 0; i < n; i++) {
			struct ifn_iface ifc = {};
			char idx[16], pid[16], eid[16], nd[48];
			const char *row[6];
			__u32 lprog = 0, eprog = 0;
			int ifindex;

			ifindex = ifn_link_ifindex(names[i], &lprog);
			snprintf(idx, sizeof(idx), "%d", ifindex > 0 ? ifindex : 0);
			snprintf(pid, sizeof(pid), "%u", lprog);
			if (ifindex > 0 && !ifn_egress_query(ifindex, &eprog))
				snprintf(eid, sizeof(eid), "%u", eprog);
			else
				snprintf(eid, sizeof(eid), "-");
			row[0] = names[i];
			row[1] = idx;
			row[3] = pid;
			row[4] = eid;
			if (ifindex > 0 && !bpf_map_lookup_elem(m.ifaces, &ifindex, &ifc)) {
				row[2] = ifc.attach_mode == IFN_ATTACH_GENERIC ? "generic" :
										 "native";
				row[5] = ifn_fmt_new_devices(ifc.default_mode, ifc.learn_ns, nd,
							     sizeof(nd));
			} else {
				row[2] = ifindex > 0 ? "?" : "defunct";
				row[5] = "-";
			}
			ifn_table_add(&t, row);
		}
		if (n)
			ifn_table_print(&t, stdout);
		else
			printf("no interface attached\n");
		ifn_table_free(&t);

		printf("\n");
		ifn_table_init(&t, 4, fill_hdr);
		for (i = 0; i < 7; i++) {
			char e[24], mx[24], pct[16];
			const char *row[4] = { fills[i].name, e, mx, pct };

			snprintf(e, sizeof(e), "%ld", fills[i].entries);
			snprintf(mx, sizeof(mx), "%u", fills[i].max);
			snprintf(pct, sizeof(pct), "%.1f%%",
				 fills[i].max ? 100.0 * fills[i].entries / fills[i].max : 0.0);
			ifn_table_add(&t, row);
		}
		ifn_table_print(&t, stdout);
		ifn_table_free(&t);

		printf("\nframes %llu (passed %llu, dropped %llu, alerts %llu)\n",
		       (unsigned long long)gs.frames,
		       (unsigned long long)gs.verdict[IFN_VERDICT_PASS],
		       (unsigned long long)gs.verdict[IFN_VERDICT_DROP],
		       (unsigned long long)gs.verdict[IFN_VERDICT_ALERT]);
		printf("malformed %llu, bad source MAC %llu, table full %llu, flows full %llu, "
		       "events lost %llu\n",
		       (unsigned long long)malformed,
		       (unsigned long long)gs.reason[IFN_REASON_BAD_SRC_MAC],
		       (unsigned long long)gs.table_full, (unsigned long long)gs.flows_full,
		       (unsigned long long)gs.events_lost);
		printf("dns answers %llu (used %llu, malformed %llu, spoofed %llu, too big %llu), "
		       "addresses recorded %llu\n",
		       (unsigned long long)ds.answers, (unsigned long long)ds.used,
		       (unsigned long long)dns_bad, (unsigned long long)ds.spoofed,
		       (unsigned long long)ds.too_big, (unsigned long long)ds.records);
	}
	ifn_maps_close(&m);
	free(names);
	return IFN_EXIT_OK;
}
