// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The Prometheus text exposition the daemon writes (iotfence.8, METRICS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "unit.h"

static char *format(const struct ifn_metrics *mx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ifn_metrics_format(f, mx);
	fclose(f);
	return buf;
}

static void has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	ck_abort_msg("no line '%s' in:\n%s", line, text);
}

static void sample(struct ifn_metrics *mx, struct ifn_metrics_dev *devs,
		   struct ifn_daemon_stats *ds)
{
	memset(mx, 0, sizeof(*mx));
	memset(devs, 0, 2 * sizeof(*devs));
	snprintf(devs[0].mac, sizeof(devs[0].mac), "02:00:00:00:00:01");
	snprintf(devs[0].vendor, sizeof(devs[0].vendor), "Acme \"Smart\" Plugs\\EU");
	snprintf(devs[0].ifname, sizeof(devs[0].ifname), "lan0");
	devs[0].mode = "enforce";
	devs[0].packets = 1234;
	devs[0].bytes = 98765;
	devs[0].dropped = 17;
	devs[0].alerts = 0;
	devs[0].suppressed = 3;
	devs[0].flows = 9;
	snprintf(devs[1].mac, sizeof(devs[1].mac), "02:00:00:00:00:02");
	snprintf(devs[1].vendor, sizeof(devs[1].vendor), "unknown");
	snprintf(devs[1].ifname, sizeof(devs[1].ifname), "lan1");
	devs[1].mode = "quarantine";
	devs[1].packets = 18446744073709551615ULL;
	mx->devs = devs;
	mx->ndevs = 2;
	mx->gs.frames = 5000;
	mx->gs.verdict[IFN_VERDICT_DROP] = 40;
	mx->gs.reason[IFN_REASON_QUARANTINE] = 23;
	mx->gs.events_sent = 77;
	mx->gs.events_lost = 1000000;
	mx->maps[0] = (struct ifn_metrics_map){ "devices", 2, 16384 };
	mx->maps[1] = (struct ifn_metrics_map){ "flows", -5, 1048576 }; /* could not count */
	mx->nmaps = 2;
	if (ds) {
		memset(ds, 0, sizeof(*ds));
		ds->start_wall_ns = 1700000000500000000ULL;
		ds->events[IFN_EV_SCAN] = 2;
		ds->events[IFN_EV_EVENTS_LOST] = 4;
		ds->output_dropped = 11;
		mx->daemon = ds;
	}
}

START_TEST(exposition)
{
	struct ifn_metrics_dev devs[2];
	struct ifn_daemon_stats ds;
	struct ifn_metrics mx;
	char *t, *line, *save = NULL, family[128] = "";

	sample(&mx, devs, &ds);
	t = format(&mx);
	has_line(t, "iotfence_device_info{mac=\"02:00:00:00:00:01\",vendor=\"Acme \\\"Smart\\\" "
		    "Plugs\\\\EU\",interface=\"lan0\",mode=\"enforce\"} 1");
	has_line(t, "iotfence_device_packets_total{mac=\"02:00:00:00:00:01\"} 1234");
	has_line(t,
		 "iotfence_device_packets_total{mac=\"02:00:00:00:00:02\"} 18446744073709551615");
	has_line(t, "iotfence_device_bytes_total{mac=\"02:00:00:00:00:01\"} 98765");
	has_line(t, "iotfence_device_dropped_total{mac=\"02:00:00:00:00:01\"} 17");
	has_line(t, "iotfence_device_events_suppressed_total{mac=\"02:00:00:00:00:01\"} 3");
	has_line(t, "iotfence_device_flows{mac=\"02:00:00:00:00:01\"} 9");
	has_line(t, "# TYPE iotfence_device_packets_total counter");
	has_line(t, "# TYPE iotfence_device_flows gauge");
	has_line(t, "iotfence_frames_total 5000");
	has_line(t, "iotfence_verdicts_total{verdict=\"drop\"} 40");
	has_line(t, "iotfence_drop_reasons_total{reason=\"quarantine\"} 23");
	has_line(t, "iotfence_events_lost_total 1000000");
	has_line(t, "iotfence_map_entries{map=\"devices\"} 2");
	has_line(t, "iotfence_map_capacity{map=\"flows\"} 1048576");
	has_line(t, "iotfence_map_fill_ratio{map=\"devices\"} 0.00012207");
	ck_assert_ptr_null(strstr(t, "iotfence_map_entries{map=\"flows\"}"));
	has_line(t, "iotfence_events_total{type=\"SCAN\"} 2");
	has_line(t, "iotfence_events_total{type=\"NEW_DEVICE\"} 0");
	has_line(t, "iotfence_events_total{type=\"EVENTS_LOST\"} 4");
	has_line(t, "iotfence_daemon_output_dropped_total 11");
	has_line(t, "iotfence_daemon_start_time_seconds 1700000000.500");
	has_line(t, "iotfence_snapshot_last_success_timestamp_seconds 0.000");

	/* Each family: HELP, TYPE, then its own samples only. */
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", family);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			ck_assert(!strncmp(line + 7, family, strlen(family)));
			continue;
		}
		ck_assert_msg(!strncmp(line, family, strlen(family)) &&
				      (line[strlen(family)] == ' ' || line[strlen(family)] == '{'),
			      "sample '%s' outside its family '%s'", line, family);
	}
	free(t);
}
END_TEST

START_TEST(no_daemon_part)
{
	struct ifn_metrics_dev devs[2];
	struct ifn_metrics mx;
	char *t;

	sample(&mx, devs, NULL);
	mx.ndevs = 0;
	t = format(&mx);
	ck_assert_ptr_null(strstr(t, "iotfence_events_total"));
	ck_assert_ptr_null(strstr(t, "iotfence_device_info{"));
	has_line(t, "# TYPE iotfence_device_info gauge");
	free(t);
}
END_TEST

/* What the egress program counts of DNS answers, and the name tables' fill. */
START_TEST(dns_series)
{
	struct ifn_metrics_dev devs[2];
	struct ifn_metrics mx;
	char *t;

	sample(&mx, devs, NULL);
	devs[0].name_rules = 3;
	mx.ds.answers = 537;
	mx.ds.used = 420;
	mx.ds.records = 900;
	mx.ds.spoofed = 2;
	mx.ds.too_big = 1;
	mx.ds.malformed[IFN_DNS_BAD_PTR_LOOP] = 7;
	mx.maps[2] = (struct ifn_metrics_map){ "dns", 100, 65536 };
	mx.maps[3] = (struct ifn_metrics_map){ "dns_names", 40, 16384 };
	mx.maps[4] = (struct ifn_metrics_map){ "name_rules", 3, 16384 };
	mx.nmaps = 5;
	t = format(&mx);
	has_line(t, "iotfence_device_name_rules{mac=\"02:00:00:00:00:01\"} 3");
	has_line(t, "iotfence_dns_answers_total 537");
	has_line(t, "iotfence_dns_answers_used_total 420");
	has_line(t, "iotfence_dns_records_total 900");
	has_line(t, "iotfence_dns_spoofed_total 2");
	has_line(t, "iotfence_dns_too_big_total 1");
	has_line(t, "iotfence_dns_malformed_total{reason=\"pointer_loop\"} 7");
	has_line(t, "iotfence_dns_malformed_total{reason=\"label_too_long\"} 0");
	has_line(t, "# TYPE iotfence_dns_malformed_total counter");
	has_line(t, "iotfence_map_entries{map=\"dns\"} 100");
	has_line(t, "iotfence_map_capacity{map=\"dns_names\"} 16384");
	has_line(t, "iotfence_map_fill_ratio{map=\"name_rules\"} 0.000183105");
	free(t);
}
END_TEST

START_TEST(write_file_renames)
{
	struct ifn_metrics_dev devs[2];
	struct ifn_metrics mx;
	char dir[] = "/tmp/ifn-metrics-XXXXXX", path[64], tmp[96];
	FILE *f;
	char buf[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/iotfence.prom", dir);
	sample(&mx, devs, NULL);
	ck_assert_int_eq(ifn_metrics_write_file(path, &mx), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	ck_assert(!strncmp(buf, "# HELP iotfence_device_info ", 28));
	fclose(f);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	ck_assert_int_ne(access(tmp, F_OK), 0);
	/* A directory that is not there: an error, and nothing left behind. */
	ck_assert_int_lt(ifn_metrics_write_file("/nonexistent-dir/iotfence.prom", &mx), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

UNIT_SUITE(metrics_suite)
static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("exposition");

	tcase_add_test(tc, exposition);
	tcase_add_test(tc, no_daemon_part);
	tcase_add_test(tc, dns_series);
	tcase_add_test(tc, write_file_renames);
	suite_add_tcase(s, tc);
	return s;
}
