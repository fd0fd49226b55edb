// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * metrics.c - the Prometheus text exposition of iotfence's counters, for
 * node_exporter's textfile collector. Counters are labelled by MAC only: a
 * device's mode, vendor and interface go on a separate info series, so
 * that a mode change does not start new counter series.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "devices.h"
#include "format.h"
#include "metrics.h"
#include "oui.h"

static __u32 max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

/*
 * Entries of a map by walking its keys: no buffer the size of the map. A
 * key deleted under the walk makes it start over, so the count is capped at
 * the map's size rather than trusted to end by itself.
 */
static long count_keys(int fd)
{
	__u8 a[64], b[64], *cur = a, *next = b, *t;
	long n = 0, max = max_entries(fd);
	int err;

	for (err = bpf_map_get_next_key(fd, NULL, cur); !err && n <= max;
	     err = bpf_map_get_next_key(fd, cur, next)) {
		if (n++) {
			t = cur;
			cur = next;
			next = t;
		}
	}
	if (n > max)
		return max;
	return errno == ENOENT ? n : -errno;
}

int ifn_metrics_collect(const struct ifn_maps *m, const struct ifn_oui_db *oui,
			struct ifn_metrics *mx)
{
	struct ifn_dev_view *v = NULL;
	__u64 flows = 0, name_rules = 0;
	size_t n = 0, i;
	int err;

	memset(mx, 0, sizeof(*mx));
	err = ifn_global_stats_read(m, &mx->gs);
	if (!err)
		err = ifn_dns_stats_read(m, &mx->ds);
	if (!err)
		err = ifn_devices_read(m, &v, &n);
	if (err)
		return err;
	mx->devs = calloc(n ? n : 1, sizeof(*mx->devs));
	if (!mx->devs) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ifn_metrics_dev *d = &mx->devs[i];

		ifn_fmt_mac(v[i].mac, d->mac);
		snprintf(d->vendor, sizeof(d->vendor), "%s",
			 oui ? ifn_oui_vendor(oui, v[i].mac) : "unknown");
		ifn_ifname(m->ifaces, v[i].dev.ifindex, d->ifname);
		d->mode = ifn_mode_name(v[i].dev.mode);
		d->packets = v[i].st.packets;
		d->bytes = v[i].st.bytes;
		d->dropped = ifn_dev_dropped(&v[i].st);
		d->alerts = v[i].st.verdict[IFN_VERDICT_ALERT];
		d->suppressed = v[i].st.events_suppressed;
		d->flows = v[i].dev.flow_count;
		d->name_rules = v[i].dev.name_rules;
		flows += v[i].dev.flow_count;
		name_rules += v[i].dev.name_rules;
	}
	mx->ndevs = n;
	free(v);

	/* The devices' own flow counts add up to ifn_flows, without a walk of
	 * a map that may hold a million entries.
	 */
	mx->maps[0] = (struct ifn_metrics_map){ "devices", (long)n, m->max_devices };
	mx->maps[1] = (struct ifn_metrics_map){ "flows", (long)flows, m->max_flows };
	mx->maps[2] = (struct ifn_metrics_map){ "port_rules", count_keys(m->rules_port),
						max_entries(m->rules_port) };
	mx->maps[3] = (struct ifn_metrics_map){ "any_port_rules", count_keys(m->rules_any),
						max_entries(m->rules_any) };
	mx->maps[4] = (struct ifn_metrics_map){ "ip_owners", count_keys(m->ip_owners),
						max_entries(m->ip_owners) };
	/* LRU tables of what the devices resolved: full is normal, and counted. */
	mx->maps[5] = (struct ifn_metrics_map){ "dns", count_keys(m->dns), max_entries(m->dns) };
	mx->maps[6] = (struct ifn_metrics_map){ "dns_names", count_keys(m->dns_names),
						max_entries(m->dns_names) };
	mx->maps[7] = (struct ifn_metrics_map){ "name_rules", (long)name_rules,
						max_entries(m->name_rules) };
	mx->nmaps = 8;
	return 0;
}

void ifn_metrics_free(struct ifn_metrics *mx)
{
	free(mx->devs);
	mx->devs = NULL;
	mx->ndevs = 0;
}

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help, __u64 v)
{
	head(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

enum dev_field { F_PACKETS, F_BYTES, F_DROPPED, F_ALERTS, F_SUPPRESSED, F_FLOWS, F_NAME_RULES };

static __u64 dev_value(const struct ifn_metrics_dev *d, enum dev_field fl)
{
	switch (fl) {
	case F_PACKETS:
		return d->packets;
	case F_BYTES:
		return d->bytes;
	case F_DROPPED:
		return d->dropped;
	case F_ALERTS:
		return d->alerts;
	case F_SUPPRESSED:
		return d->suppressed;
	case F_FLOWS:
		return d->flows;
	case F_NAME_RULES:
		return d->name_rules;
	}
	return 0;
}

void ifn_metrics_format(FILE *f, const struct ifn_metrics *mx)
{
	static const struct {
		const char *name, *type, *help;
		enum dev_field field;
	} dev_series[] = {
		{ "iotfence_device_packets_total", "counter", "Frames from the device.",
		  F_PACKETS },
		{ "iotfence_device_bytes_total", "counter", "Bytes from the device.", F_BYTES },
		{ "iotfence_device_dropped_total", "counter", "Frames of the device dropped.",
		  F_DROPPED },
		{ "iotfence_device_alerts_total", "counter",
		  "Frames of the device that enforce would have dropped (monitor mode).",
		  F_ALERTS },
		{ "iotfence_device_events_suppressed_total", "counter",
		  "Events of the device not sent (limited or ring full).", F_SUPPRESSED },
		{ "iotfence_device_flows", "gauge", "Exact flows in the device's fingerprint.",
		  F_FLOWS },
		{ "iotfence_device_name_rules", "gauge",
		  "Rules on names in the device's fingerprint (learned or written).",
		  F_NAME_RULES },
	};
	const struct ifn_global_stats *gs = &mx->gs;
	size_t i, k;
	int r;

	head(f, "iotfence_device_info", "gauge",
	     "A device: its vendor, the interface it was first seen on and its mode.");
	for (i = 0; i < mx->ndevs; i++) {
		const struct ifn_metrics_dev *d = &mx->devs[i];

		fputs("iotfence_device_info{mac=", f);
		label(f, d->mac);
		fputs(",vendor=", f);
		label(f, d->vendor);
		fputs(",interface=", f);
		label(f, d->ifname);
		fputs(",mode=", f);
		label(f, d->mode);
		fputs("} 1\n", f);
	}
	for (k = 0; k < sizeof(dev_series) / sizeof(dev_series[0]); k++) {
		head(f, dev_series[k].name, dev_series[k].type, dev_series[k].help);
		for (i = 0; i < mx->ndevs; i++)
			fprintf(f, "%s{mac=\"%s\"} %llu\n", dev_series[k].name, mx->devs[i].mac,
				(unsigned long long)dev_value(&mx->devs[i], dev_series[k].field));
	}

	one(f, "iotfence_frames_total", "counter", "Frames seen on every interface.", gs->frames);
	one(f, "iotfence_bytes_total", "counter", "Bytes seen on every interface.", gs->bytes);
	head(f, "iotfence_verdicts_total", "counter", "Frames by verdict.");
	for (r = 0; r < IFN_VERDICT_MAX; r++)
		fprintf(f, "iotfence_verdicts_total{verdict=\"%s\"} %llu\n", ifn_verdict_name(r),
			(unsigned long long)gs->verdict[r]);
	head(f, "iotfence_drop_reasons_total", "counter", "Frames dropped (or alerted) by reason.");
	for (r = 1; r < IFN_REASON_MAX; r++) {
		const char *name = ifn_reason_name(r);

		if (strcmp(name, "unknown"))
			fprintf(f, "iotfence_drop_reasons_total{reason=\"%s\"} %llu\n", name,
				(unsigned long long)gs->reason[r]);
	}
	one(f, "iotfence_new_devices_total", "counter", "Devices created by the datapath.",
	    gs->new_devices);
	one(f, "iotfence_table_full_total", "counter",
	    "Frames of unknown devices that found the device table full.", gs->table_full);
	one(f, "iotfence_flows_full_total", "counter",
	    "Flows a learning device could not add: the flow table was full.", gs->flows_full);
	one(f, "iotfence_events_sent_total", "counter", "Events the datapath put in the ring.",
	    gs->events_sent);
	one(f, "iotfence_events_lost_total", "counter",
	    "Events the datapath did not send (limited per device and type, or ring full).",
	    gs->events_lost);

	one(f, "iotfence_dns_answers_total", "counter",
	    "DNS answers to known devices from a trusted side (the egress program).",
	    mx->ds.answers);
	one(f, "iotfence_dns_answers_used_total", "counter",
	    "DNS answers that recorded at least one address for the device.", mx->ds.used);
	one(f, "iotfence_dns_records_total", "counter", "Addresses recorded from DNS answers.",
	    mx->ds.records);
	one(f, "iotfence_dns_spoofed_total", "counter",
	    "DNS answers to a device from a LAN device: ignored (DNS_SPOOFED).", mx->ds.spoofed);
	one(f, "iotfence_dns_too_big_total", "counter",
	    "DNS answers not read: over 2048 bytes, or not in the frame.", mx->ds.too_big);
	head(f, "iotfence_dns_malformed_total", "counter",
	     "DNS answers refused as malformed (nothing recorded), by reason.");
	for (r = 1; r < IFN_DNS_BAD_MAX; r++)
		if (ifn_dns_bad_name(r))
			fprintf(f, "iotfence_dns_malformed_total{reason=\"%s\"} %llu\n",
				ifn_dns_bad_name(r), (unsigned long long)mx->ds.malformed[r]);

	head(f, "iotfence_map_entries", "gauge", "Entries in a map.");
	for (i = 0; i < mx->nmaps; i++)
		if (mx->maps[i].entries >= 0)
			fprintf(f, "iotfence_map_entries{map=\"%s\"} %ld\n", mx->maps[i].name,
				mx->maps[i].entries);
	head(f, "iotfence_map_capacity", "gauge", "Entries a map can hold.");
	for (i = 0; i < mx->nmaps; i++)
		fprintf(f, "iotfence_map_capacity{map=\"%s\"} %u\n", mx->maps[i].name,
			mx->maps[i].max);
	head(f, "iotfence_map_fill_ratio", "gauge", "Entries over capacity, 0 to 1.");
	for (i = 0; i < mx->nmaps; i++)
		if (mx->maps[i].entries >= 0 && mx->maps[i].max)
			fprintf(f, "iotfence_map_fill_ratio{map=\"%s\"} %.6g\n", mx->maps[i].name,
				(double)mx->maps[i].entries / mx->maps[i].max);

	if (!mx->daemon)
		return;
	head(f, "iotfence_events_total", "counter",
	     "Events the daemon has handled since it started, by type (EVENTS_LOST: records).");
	for (r = 0; r < IFN_EV_MAX; r++) {
		const char *name = ifn_event_name(r);

		if (strcmp(name, "UNKNOWN"))
			fprintf(f, "iotfence_events_total{type=\"%s\"} %llu\n", name,
				(unsigned long long)mx->daemon->events[r]);
	}
	one(f, "iotfence_daemon_output_dropped_total", "counter",
	    "Event lines standard output could not take without blocking.",
	    mx->daemon->output_dropped);
	one(f, "iotfence_daemon_reloads_total", "counter", "Configuration reloads (SIGHUP).",
	    mx->daemon->reloads);
	one(f, "iotfence_daemon_reload_failures_total", "counter",
	    "Reloads refused (bad configuration) or that failed part-way.",
	    mx->daemon->reload_failures);
	one(f, "iotfence_snapshot_failures_total", "counter", "State snapshots that failed.",
	    mx->daemon->snapshot_failures);
	head(f, "iotfence_snapshot_last_success_timestamp_seconds", "gauge",
	     "When the state was last saved (Unix time).");
	fprintf(f, "iotfence_snapshot_last_success_timestamp_seconds %.3f\n",
		mx->daemon->snapshot_ok_wall_ns / 1e9);
	head(f, "iotfence_daemon_start_time_seconds", "gauge",
	     "When the daemon started (Unix time).");
	fprintf(f, "iotfence_daemon_start_time_seconds %.3f\n", mx->daemon->start_wall_ns / 1e9);
}

int ifn_metrics_write_file(const char *path, const struct ifn_metrics *mx)
{
	char tmp[4200];
	FILE *f;
	int err = 0, fd;

	/* node_exporter reads *.prom only: the temporary name is never read. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/*
	 * The mode is not the umask's: node_exporter's user reads the file,
	 * nobody but root writes it. The textfile directory may belong to that
	 * user, so no symlink left at the temporary name is followed.
	 */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fchmod(fd, 0644) ? NULL : fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	ifn_metrics_format(f, mx);
	if (fflush(f) || ferror(f))
		err = -errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
