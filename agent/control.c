// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * control.c - an operator's changes to devices and settings: modes, rules,
 * rate limits. Every command validates all of its input before it touches
 * a map, and changes nothing on error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "defaults.h"
#include "devices.h"
#include "errors.h"
#include "format.h"
#include "output.h"
#include "parse.h"
#include "rules.h"
#include "settings.h"
#include "state.h"

static int unknown_device(const __u8 mac[6])
{
	char buf[IFN_MAC_STRLEN];

	ifn_err("unknown device %s (see 'iotfence devices')", ifn_fmt_mac(mac, buf));
	return IFN_EXIT_FAIL;
}

/* The learning window of the interface a device was seen on. */
static __u64 learn_window(const struct ifn_maps *m, const struct ifn_device *d)
{
	struct ifn_config cfg;
	struct ifn_iface ifc;

	if (!bpf_map_lookup_elem(m->ifaces, &d->ifindex, &ifc))
		return ifc.learn_ns;
	/* As the datapath does for an interface it has no settings for. */
	if (!ifn_config_read(m, &cfg))
		return cfg.learn_ns;
	return IFN_LEARN_DEFAULT_NS;
}

int ifn_cmd_mode(const struct ifn_cmd *c, int argc, char **argv)
{
	int mode = ifn_parse_mode(c->name);
	__u64 for_ns = 0, now;
	bool all = false;
	struct ifn_maps m;
	char buf[IFN_MAC_STRLEN], dur[32];
	__u8 mac[6];
	int opt, lock, err;

	optind = 1;
	while ((opt = ifn_getopt(c, NULL, argc, argv)) != -1) {
		if (opt != 'f')
			return ifn_opt_error(c, argv);
		if (ifn_arg_duration(c, "--for", optarg, &for_ns))
			return IFN_EXIT_USAGE;
		if (!for_ns)
			return ifn_usage_error(c, "--for must be longer than 0s");
	}
	if (optind != argc - 1)
		return ifn_usage_error(c, optind >= argc ? "missing MAC (or 'all')" :
							   "too many arguments");
	if (!strcasecmp(argv[optind], "all"))
		all = true;
	else if (ifn_arg_mac(c, argv[optind], mac))
		return IFN_EXIT_USAGE;
	if (ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	now = ifn_now_mono();

	if (!all) {
		struct ifn_device d;

		err = ifn_device_get(&m, mac, &d);
		if (err == -ENOENT) {
			ifn_maps_close_locked(&m, lock);
			return unknown_device(mac);
		}
		if (!err)
			err = ifn_device_set_mode(&m, mac, mode, for_ns, learn_window(&m, &d), now,
						  &d);
		if (err) {
			ifn_err("cannot change %s: %s", argv[optind], ifn_strerror(err));
		} else {
			__u64 until = ifn_mw_until(d.mode_word);

			printf("%s: %s", ifn_fmt_mac(mac, buf), ifn_mode_name(mode));
			if (until)
				printf(" for %s, then %s",
				       ifn_fmt_duration(until > now ? until - now : 0, dur,
							sizeof(dur)),
				       ifn_mode_name(ifn_mw_after(d.mode_word)));
			printf("\n");
		}
	} else {
		__u32 last_if = 0, slot;
		__u64 last_ns = 0;
		long n = 0;

		/* In place, device by device: no record is written back whole. */
		err = 0;
		for (slot = 0; slot < m.max_devices && !err; slot++) {
			struct ifn_device *rec = &m.dev_mem[slot];

			if (!rec->in_use)
				continue;
			/* Devices come in runs from one interface: look its window up once. */
			if (mode == IFN_MODE_LEARN && (!n || rec->ifindex != last_if)) {
				last_if = rec->ifindex;
				last_ns = learn_window(&m, rec);
			}
			err = ifn_device_rec_set_mode(rec, mode, for_ns, last_ns, now);
			n++;
		}
		if (err)
			ifn_err("cannot change the devices: %s", ifn_strerror(err));
		else
			printf("%ld device%s: %s\n", n, n == 1 ? "" : "s", ifn_mode_name(mode));
	}
	ifn_maps_close_locked(&m, lock);
	return err ? IFN_EXIT_FAIL : IFN_EXIT_OK;
}

static int rule_error(int err, const struct ifn_maps *m, const struct ifn_rule *r)
{
	/* A full hash says E2BIG, a full trie ENOSPC. */
	if (err == -E2BIG || err == -ENOMEM || err == -ENOSPC) {
		enum ifn_rule_kind k = ifn_rule_kind(r);

		ifn_err("fingerprint table full (%s holds %u entries): forget unused rules or "
			"devices (the size is set by the first attach, --max-%s)",
			k == IFN_RULE_EXACT	  ? IFN_MAP(ifn_flows) :
			k == IFN_RULE_PORT_PREFIX ? IFN_MAP(ifn_rules_port) :
			k == IFN_RULE_NAME	  ? IFN_MAP(ifn_name_rules) :
						    IFN_MAP(ifn_rules_any),
			k == IFN_RULE_EXACT ? m->max_flows : m->max_rules,
			k == IFN_RULE_EXACT ? "flows" : "rules");
	} else {
		ifn_err("cannot change the fingerprint: %s", ifn_strerror(err));
	}
	return IFN_EXIT_FAIL;
}

int ifn_cmd_allow(const struct ifn_cmd *c, int argc, char **argv)
{
	char err[IFN_ERRLEN], rb[IFN_RULE_STRLEN], mb[IFN_MAC_STRLEN];
	struct ifn_device d;
	struct ifn_rule r;
	struct ifn_maps m;
	__u8 mac[6];
	int lock, e;

	if (argc < 2)
		return ifn_usage_error(c, "missing MAC");
	if (ifn_arg_mac(c, argv[1], mac))
		return IFN_EXIT_USAGE;
	if (argc < 3)
		return ifn_usage_error(c, "missing PROTO[/PORT] PEER[/PREFIX]");
	if (ifn_rule_parse_args(argc - 2, argv + 2, &r, err, sizeof(err)))
		return ifn_usage_error(c, "%s", err);
	memcpy(r.mac, mac, 6);
	r.origin = IFN_ORIGIN_MANUAL;
	if (ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	if (ifn_device_get(&m, mac, &d) == -ENOENT) {
		ifn_maps_close_locked(&m, lock);
		return unknown_device(mac);
	}
	e = ifn_rule_install(&m, &r);
	ifn_maps_close_locked(&m, lock);
	if (e)
		return rule_error(e, &m, &r);
	printf("%s: allow %s\n", ifn_fmt_mac(mac, mb), ifn_rule_format(&r, rb, sizeof(rb)));
	return IFN_EXIT_OK;
}

int ifn_cmd_forget(const struct ifn_cmd *c, int argc, char **argv)
{
	char err[IFN_ERRLEN], rb[IFN_RULE_STRLEN], mb[IFN_MAC_STRLEN];
	struct ifn_device d;
	struct ifn_rule r;
	struct ifn_maps m;
	__u8 mac[6];
	int lock, e;

	if (argc < 2)
		return ifn_usage_error(c, "missing MAC");
	if (ifn_arg_mac(c, argv[1], mac))
		return IFN_EXIT_USAGE;
	if (argc > 2) {
		if (ifn_rule_parse_args(argc - 2, argv + 2, &r, err, sizeof(err)))
			return ifn_usage_error(c, "%s", err);
		memcpy(r.mac, mac, 6);
	}
	if (ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	if (ifn_device_get(&m, mac, &d) == -ENOENT) {
		ifn_maps_close_locked(&m, lock);
		return unknown_device(mac);
	}
	ifn_fmt_mac(mac, mb);
	if (argc > 2) {
		e = ifn_rule_remove(&m, &r);
		if (e == -ENOENT)
			ifn_err("%s has no rule '%s' (see 'iotfence device %s')", mb,
				ifn_rule_format(&r, rb, sizeof(rb)), mb);
		else if (e)
			ifn_err("cannot remove the rule: %s", ifn_strerror(e));
		else
			printf("%s: forgot %s\n", mb, ifn_rule_format(&r, rb, sizeof(rb)));
	} else {
		e = ifn_device_forget(&m, mac);
		if (e)
			ifn_err("cannot forget %s: %s", mb, ifn_strerror(e));
		else
			printf("%s: forgotten (record, fingerprint and counters)\n", mb);
	}
	ifn_maps_close_locked(&m, lock);
	return e ? IFN_EXIT_FAIL : IFN_EXIT_OK;
}

int ifn_cmd_rate(const struct ifn_cmd *c, int argc, char **argv)
{
	__u64 pps = 0, bps = 0, bp = 0, bb = 0;
	bool have_pps = false, have_bps = false;
	char mb[IFN_MAC_STRLEN], rb[160];
	struct ifn_device d;
	struct ifn_maps m;
	__u8 mac[6];
	int opt, lock, err;

	optind = 1;
	while ((opt = ifn_getopt(c, NULL, argc, argv)) != -1) {
		switch (opt) {
		case 'p':
			if (ifn_arg_count(c, "--pps", optarg, &pps))
				return IFN_EXIT_USAGE;
			have_pps = true;
			break;
		case 'b':
			if (ifn_arg_count(c, "--bps", optarg, &bps))
				return IFN_EXIT_USAGE;
			have_bps = true;
			break;
		case 'P':
			if (ifn_arg_count(c, "--burst-packets", optarg, &bp))
				return IFN_EXIT_USAGE;
			break;
		case 'B':
			if (ifn_arg_count(c, "--burst-bytes", optarg, &bb))
				return IFN_EXIT_USAGE;
			break;
		default:
			return ifn_opt_error(c, argv);
		}
	}
	if (optind != argc - 1)
		return ifn_usage_error(c, optind >= argc ? "missing MAC" : "too many arguments");
	if (!have_pps && !have_bps)
		return ifn_usage_error(c, "give --pps, --bps or both (0 removes a limit)");
	if (ifn_arg_mac(c, argv[optind], mac))
		return IFN_EXIT_USAGE;
	if (ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	err = ifn_device_get(&m, mac, &d);
	if (err == -ENOENT) {
		ifn_maps_close_locked(&m, lock);
		return unknown_device(mac);
	}
	if (!err) {
		if (!have_pps)
			pps = d.rate_pps;
		if (!have_bps)
			bps = d.rate_bps;
		err = ifn_device_apply_rate(&d, pps, bps, bp, bb);
		if (err == -EINVAL) {
			ifn_maps_close_locked(&m, lock);
			return ifn_usage_error(c, "a burst may be at most one second's worth "
						  "(--pps/--bps)");
		}
		if (err == -ERANGE) {
			ifn_maps_close_locked(&m, lock);
			return ifn_usage_error(c, "rate too high (at most 18G)");
		}
		err = ifn_device_put(&m, mac, &d);
	}
	ifn_maps_close_locked(&m, lock);
	if (err) {
		ifn_err("cannot set the rate of %s: %s", argv[optind], ifn_strerror(err));
		return IFN_EXIT_FAIL;
	}
	printf("%s: %s\n", ifn_fmt_mac(mac, mb),
	       ifn_fmt_rate(d.rate_pps, d.rate_bps, d.burst_pkts, d.burst_bytes, rb, sizeof(rb)));
	return IFN_EXIT_OK;
}

int ifn_cmd_settings(const struct ifn_cmd *c, int argc, char **argv)
{
	char err[IFN_ERRLEN];
	struct ifn_config cfg;
	struct ifn_maps m;
	int i, lock, e;

	if ((argc - 1) % 2)
		return ifn_usage_error(c, "'%s' needs a value", argv[argc - 1]);
	if (ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	e = ifn_config_read(&m, &cfg);
	for (i = 1; !e && i + 1 < argc; i += 2) {
		if (ifn_setting_apply(&cfg, argv[i], argv[i + 1], err, sizeof(err))) {
			ifn_maps_close_locked(&m, lock);
			return ifn_usage_error(c, "%s", err);
		}
	}
	if (!e && argc > 1)
		e = ifn_config_write(&m, &cfg);
	ifn_maps_close_locked(&m, lock);
	if (e) {
		ifn_err("cannot access the settings: %s", ifn_strerror(e));
		return IFN_EXIT_FAIL;
	}
	ifn_settings_print(&cfg, stdout, ifn_json_output);
	return IFN_EXIT_OK;
}
