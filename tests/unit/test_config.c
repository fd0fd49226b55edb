// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's configuration file: what it reads, and every way it refuses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "defaults.h"
#include "unit.h"

static int parse(const char *text, struct ifn_daemon_conf *c, char *err, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	ck_assert_ptr_nonnull(f);
	err[0] = '\0';
	rc = ifn_conf_parse(f, "test.conf", c, err, len);
	fclose(f);
	return rc;
}

START_TEST(conf_full)
{
	static const char text[] = "# a gateway\n"
				   "\n"
				   "interface lan0\n"
				   "interface lan1 mode generic new-devices enforce   # IoT VLAN\n"
				   "\tinterface lan2 learn-for 7d new-devices learn mode native\n"
				   "scan-threshold 24\n"
				   "scan-window 30s\n"
				   "auto-quarantine off\n"
				   "metrics-file /var/lib/prometheus/node-exporter/iotfence.prom\n"
				   "metrics-interval 30s\n"
				   "snapshot-interval 1h\n"
				   "syslog off\n"
				   "events-stdout no\n"
				   "detach-on-exit yes\n"
				   "max-devices 4096\n"
				   "max-flows 1M\n"
				   "max-rules 64k\n"
				   "policy /etc/iotfence/policy.conf\n"
				   "generalise on\n"
				   "generalise-peers 5\n"
				   "generalise-prefix-v4 20\n";
	struct ifn_daemon_conf c;
	const struct ifn_conf_iface *f;
	char err[256], buf[PATH_MAX];

	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.n_ifaces, 3);

	f = ifn_conf_find_iface(&c, "lan0");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->mode, IFN_ATTACH_AUTO);
	ck_assert(!f->have_new_devices && !f->have_learn);
	ck_assert_uint_eq(f->new_devices, IFN_MODE_LEARN);
	ck_assert_uint_eq(f->learn_ns, IFN_LEARN_DEFAULT_NS);
	ck_assert_uint_eq(f->line, 3);

	f = ifn_conf_find_iface(&c, "lan1");
	ck_assert_int_eq(f->mode, IFN_ATTACH_GENERIC);
	ck_assert(f->have_new_devices && !f->have_learn);
	ck_assert_uint_eq(f->new_devices, IFN_MODE_ENFORCE);

	f = ifn_conf_find_iface(&c, "lan2");
	ck_assert_int_eq(f->mode, IFN_ATTACH_NATIVE);
	ck_assert(f->have_new_devices && f->have_learn);
	ck_assert_uint_eq(f->learn_ns, 7ULL * 86400 * 1000000000ULL);
	ck_assert_ptr_null(ifn_conf_find_iface(&c, "lan3"));

	ck_assert_uint_eq(c.n_settings, 3);
	ck_assert_str_eq(c.settings[0].key, "scan-threshold");
	ck_assert_str_eq(c.settings[0].value, "24");
	ck_assert_uint_eq(c.settings[0].line, 6);
	ck_assert_str_eq(c.settings[2].key, "auto-quarantine");
	ck_assert_str_eq(c.settings[2].value, "off");

	ck_assert_str_eq(ifn_conf_metrics_path(&c, buf, sizeof(buf)),
			 "/var/lib/prometheus/node-exporter/iotfence.prom");
	ck_assert_uint_eq(c.metrics_interval_ns, 30ULL * 1000000000ULL);
	ck_assert_uint_eq(c.snapshot_interval_ns, 3600ULL * 1000000000ULL);
	ck_assert(!c.syslog && !c.events_stdout && c.detach_on_exit);
	ck_assert_uint_eq(c.max_devices, 4096);
	ck_assert_uint_eq(c.max_flows, 1000000);
	ck_assert_uint_eq(c.max_rules, 64000);
	ck_assert_str_eq(c.path, "test.conf");
	ck_assert_str_eq(c.policy, "/etc/iotfence/policy.conf");
	ck_assert(c.generalise);
	ck_assert_uint_eq(c.gen.peers_per_port, 5);
	ck_assert_uint_eq(c.gen.prefix_v4, 20);
}
END_TEST

START_TEST(conf_defaults)
{
	struct ifn_daemon_conf c;
	char err[256], buf[PATH_MAX], want[PATH_MAX];

	setenv("IOTFENCE_STATE_DIR", "/tmp/ifn-unit-state", 1);
	ck_assert_int_eq(parse("# nothing but a comment\n\n", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n_ifaces, 0);
	ck_assert_uint_eq(c.n_settings, 0);
	ck_assert_uint_eq(c.metrics_interval_ns, IFN_CONF_METRICS_INTERVAL_NS);
	ck_assert_uint_eq(c.snapshot_interval_ns, IFN_CONF_SNAPSHOT_INTERVAL_NS);
	ck_assert(c.syslog && c.events_stdout && !c.detach_on_exit);
	ck_assert_uint_eq(c.max_devices + c.max_flows + c.max_rules, 0);
	ck_assert_str_eq(c.policy, "");
	ck_assert(!c.generalise);
	{
		struct ifn_gen_opts g;

		ifn_gen_defaults(&g);
		ck_assert(!memcmp(&g, &c.gen, sizeof(g)));
	}
	snprintf(want, sizeof(want), "/tmp/ifn-unit-state/%s", IFN_CONF_METRICS_FILE);
	ck_assert_str_eq(ifn_conf_metrics_path(&c, buf, sizeof(buf)), want);
	/* 0 turns periodic work off. */
	ck_assert_int_eq(parse("metrics-interval 0\nsnapshot-interval 0s\n", &c, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(c.metrics_interval_ns, 0);
	ck_assert_uint_eq(c.snapshot_interval_ns, 0);
	/* The longest learning window there is. */
	ck_assert_int_eq(parse("interface eth8 learn-for 3650d\n", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.ifaces[0].learn_ns, IFN_DURATION_MAX_NS);
	/* No newline at the end of the file. */
	ck_assert_int_eq(parse("interface eth9", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n_ifaces, 1);
	/* Sibling names: on by default, a generalisation key like the others. */
	ck_assert(c.gen.siblings);
	ck_assert_int_eq(parse("generalise on\ngeneralise-siblings off\n", &c, err, sizeof(err)),
			 0);
	ck_assert(c.generalise && !c.gen.siblings);
}
END_TEST

static const struct {
	const char *text;
	const char *err; /* the whole message */
} bad_cases[] = {
	{ "interface\n", "test.conf:1: interface: missing the interface name" },
	{ "\ninterface averyveryverylongname\n",
	  "test.conf:2: interface: 'averyveryverylongname' is not an interface name" },
	{ "interface a/b\n", "test.conf:1: interface: 'a/b' is not an interface name" },
	{ "interface lan0\n# again\ninterface lan0 new-devices enforce\n",
	  "test.conf:3: interface lan0: listed twice (first on line 1)" },
	{ "interface lan0 mode\n", "test.conf:1: interface lan0: 'mode' needs a value" },
	{ "interface lan0 mode fast\n",
	  "test.conf:1: interface lan0: mode 'fast' is not native or generic" },
	{ "interface lan0 new-devices block\n",
	  "test.conf:1: interface lan0: new-devices 'block' is not a mode" },
	{ "interface lan0 learn-for soon\n",
	  "test.conf:1: interface lan0: learn-for 'soon' is not a duration" },
	/* The bound of attach --learn-for and of the policy's learn-for. */
	{ "interface lan0 learn-for 3651d\n",
	  "test.conf:1: interface lan0: learn-for '3651d' is too long (at most 3650d)" },
	{ "interface lan0 vlan 7\n",
	  "test.conf:1: interface lan0: unknown option 'vlan' (mode, new-devices, learn-for)" },
	{ "scan-threshold\n", "test.conf:1: scan-threshold: missing value" },
	{ "scan-threshold 0\n", "test.conf:1: scan-threshold: '0' is not a count from 1 to 128" },
	{ "scan-window 500ms\n",
	  "test.conf:1: scan-window: '500ms' is not a duration from 1s to 3650d" },
	{ "auto-quarantine maybe\n", "test.conf:1: auto-quarantine: 'maybe' is not on or off" },
	{ "scan-threshold 10\nscan-threshold 12\n",
	  "test.conf:2: scan-threshold: set twice (first on line 1)" },
	{ "metrics-file iotfence.prom\n",
	  "test.conf:1: metrics-file: 'iotfence.prom' is not an absolute path" },
	{ "metrics-interval 100ms\n",
	  "test.conf:1: metrics-interval: 100ms is too short (0 or at least 1s)" },
	{ "snapshot-interval 500ms\n",
	  "test.conf:1: snapshot-interval: 500ms is too short (0 or at least 1s)" },
	{ "snapshot-interval often\n",
	  "test.conf:1: snapshot-interval: 'often' is not a duration (90s, 10m, 1h)" },
	{ "syslog maybe\n", "test.conf:1: syslog: 'maybe' is not on or off" },
	{ "max-devices 8\n", "test.conf:1: max-devices: '8' is not a count from 16 to 16777216" },
	{ "syslog on off\n", "test.conf:1: syslog: one value expected, got 'off ...'" },
	{ "listen 0.0.0.0:9100\n", "test.conf:1: unknown key 'listen' (see iotfence.8, DAEMON)" },
	{ "policy policy.conf\n", "test.conf:1: policy: 'policy.conf' is not an absolute path" },
	{ "generalise sometimes\n", "test.conf:1: generalise: 'sometimes' is not on or off" },
	{ "generalise-prefix-v4 33\n",
	  "test.conf:1: generalise-prefix-v4: '33' is not a prefix length from 0 to 32" },
	{ "interface lan0 # ok\nscan-window 10 s\n",
	  "test.conf:2: scan-window: one value expected, got 's ...'" },
};

START_TEST(conf_bad)
{
	struct ifn_daemon_conf c;
	char err[256];

	ck_assert_int_eq(parse(bad_cases[_i].text, &c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, bad_cases[_i].err);
}
END_TEST

START_TEST(conf_long_line)
{
	struct ifn_daemon_conf c;
	char *text = malloc(3000), err[256];

	memset(text, 'x', 2999);
	text[2999] = '\0';
	memcpy(text, "interface lan0\n#", 16);
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "test.conf:2: line longer than 1022 characters");
	free(text);
}
END_TEST

START_TEST(conf_load_missing)
{
	struct ifn_daemon_conf c;
	char err[256];

	ck_assert_int_eq(ifn_conf_load("/nonexistent/iotfence.conf", &c, err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "/nonexistent/iotfence.conf: No such file or directory");
}
END_TEST

UNIT_SUITE(config_suite)
static Suite *config_suite(void)
{
	Suite *s = suite_create("daemon-config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, conf_full);
	tcase_add_test(tc, conf_defaults);
	tcase_add_loop_test(tc, conf_bad, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, conf_long_line);
	tcase_add_test(tc, conf_load_missing);
	suite_add_tcase(s, tc);
	return s;
}
