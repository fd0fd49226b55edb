// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * replay_report.c - what a replay did, per device and in total, as text or
 * as one JSON object (iotfence.8, REPLAY): read from the run's private
 * maps and from what the workers counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "errors.h"
#include "events.h"
#include "format.h"
#include "oui.h"
#include "output.h"
#include "replay_report.h"
#include "rules.h"
#include "state.h"

/* Human output lists this many events; --json lists them all. */
#define RP_TEXT_EVENTS 40

struct rp_devrep {
	struct ifn_dev_view v;
	struct rp_dev *d; /* NULL: declared (policy) and never seen */
	__u32 prefix_rules, any_rules;
	__u64 violations;
};

struct rp_report {
	struct rp_devrep *devs;
	size_t ndevs;
	struct ifn_global_stats gs;
	struct rp_count learn, after;
	struct rp_egress to; /* what the gateway sent the devices */
	__u64 dns_spoofed;
	__u64 violations;
	__u32 ev[IFN_EV_MAX];
	__u64 frames_read, oversized, runt, bad_length, not_ethernet, cut, truncated_files,
		skipped_files, nodev_run, nodev_dropped;
	__u64 no_record, no_record_dropped; /* frames of MACs the table had no room for */
	struct ifn_oui_db *oui;
};

static double rate(__u64 part, __u64 whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

static int devrep_cmp(const void *a, const void *b)
{
	return memcmp(((const struct rp_devrep *)a)->v.mac, ((const struct rp_devrep *)b)->v.mac,
		      6);
}

static int build_report(struct rp_run *R, struct rp_report *rep)
{
	struct ifn_dev_view *v;
	struct ifn_rule *rules = NULL;
	size_t n, nrules = 0, i;
	unsigned int t;
	int err;

	memset(rep, 0, sizeof(*rep));
	err = ifn_devices_read(&R->maps, &v, &n);
	if (!err)
		err = ifn_rules_read(&R->maps, NULL, &rules, &nrules);
	if (!err)
		err = ifn_global_stats_read(&R->maps, &rep->gs);
	if (err) {
		ifn_err("replay: cannot read the results: %s", ifn_strerror(err));
		free(v);
		return err;
	}
	rep->devs = calloc(n ? n : 1, sizeof(*rep->devs));
	if (!rep->devs) {
		free(v);
		free(rules);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct rp_devrep *r = &rep->devs[rep->ndevs++];
		struct ifn_device *d = &r->v.dev;
		__u32 m = rp_scan_find(&R->scan, v[i].mac);

		r->v = v[i];
		/* The mode at the end of the capture, not at the end of the run. */
		if (ifn_mw_until(d->mode_word) && R->end_vts >= ifn_mw_until(d->mode_word))
			d->mode_word = ifn_mode_word(d->mode_after, d->mode_after, 0);
		r->d = m != RP_NODEV ? &R->devs[m] : NULL;
		r->violations = r->v.st.reason[IFN_REASON_NOT_IN_FINGERPRINT] +
				r->v.st.reason[IFN_REASON_FRAGMENT];
		rep->violations += r->violations;
		if (r->d) {
			struct rp_count *a = r->d->ph, *b = r->d->ph + 1;

			rep->learn.packets += a->packets;
			rep->learn.bytes += a->bytes;
			rep->learn.passed += a->passed;
			rep->learn.dropped += a->dropped;
			rep->learn.by_name += a->by_name;
			rep->after.packets += b->packets;
			rep->after.bytes += b->bytes;
			rep->after.passed += b->passed;
			rep->after.dropped += b->dropped;
			rep->after.by_name += b->by_name;
			rep->to.frames += r->d->to.frames;
			rep->to.dns_answers += r->d->to.dns_answers;
			rep->to.dns_used += r->d->to.dns_used;
			rep->to.not_delivered += r->d->to.not_delivered;
			rep->dns_spoofed += r->d->dns_spoofed_sent;
			for (t = 0; t < IFN_EV_MAX; t++)
				rep->ev[t] += r->d->ev[t];
		}
	}
	for (i = 0; i < nrules; i++) {
		struct rp_devrep key = { 0 }, *r;

		memcpy(key.v.mac, rules[i].mac, 6);
		r = bsearch(&key, rep->devs, rep->ndevs, sizeof(*r), devrep_cmp);
		if (!r)
			continue;
		if (ifn_rule_kind(&rules[i]) == IFN_RULE_PORT_PREFIX)
			r->prefix_rules++;
		else if (ifn_rule_kind(&rules[i]) == IFN_RULE_ANY_PORT)
			r->any_rules++;
	}
	for (i = 0; i < R->in.ncaps; i++) {
		const struct rp_capture *c = &R->in.caps[i];

		rep->frames_read += c->frames;
		rep->oversized += c->oversized;
		rep->runt += c->runt;
		rep->bad_length += c->bad_length;
		rep->not_ethernet += c->not_ethernet;
		rep->cut += c->cut;
		rep->truncated_files += c->status == RP_CAP_TRUNCATED;
		rep->skipped_files += c->status == RP_CAP_SKIPPED;
	}
	for (i = 0; i < R->nworkers; i++) {
		rep->nodev_run += R->w[i].nodev_run;
		rep->nodev_dropped += R->w[i].nodev_dropped;
	}
	for (i = 0; R->devs && i < R->scan.nmacs; i++) {
		const struct rp_dev *d = &R->devs[i];
		struct rp_devrep key = { 0 };

		memcpy(key.v.mac, R->scan.macs[i].mac, 6);
		if (!d->started || bsearch(&key, rep->devs, rep->ndevs, sizeof(key), devrep_cmp))
			continue;
		rep->no_record += d->ph[0].packets + d->ph[1].packets;
		rep->no_record_dropped += d->ph[0].dropped + d->ph[1].dropped;
	}
	rep->oui = ifn_oui_load(NULL);
	free(v);
	free(rules);
	return 0;
}

static void count_json(struct ifn_json *j, const char *key, const struct rp_count *c, bool after)
{
	ifn_json_obj_open(j, key);
	ifn_json_u64(j, "packets", c->packets);
	ifn_json_u64(j, "bytes", c->bytes);
	ifn_json_u64(j, "passed", c->passed);
	ifn_json_u64(j, "dropped", c->dropped);
	ifn_json_u64(j, "passed_by_name", c->by_name);
	if (after)
		ifn_json_double(j, "drop_rate", rate(c->dropped, c->packets));
	ifn_json_obj_close(j);
}

/*
 * What the gateway's frames to a device did in the egress stage: DNS
 * answers believed, and those that recorded an address (--no-names: none
 * is read); and answers the device itself sent another, ignored.
 */
static void egress_json(struct ifn_json *j, const struct rp_egress *e, __u64 spoofed_sent)
{
	ifn_json_obj_open(j, "from_gateway");
	ifn_json_u64(j, "frames", e->frames);
	ifn_json_u64(j, "dns_answers", e->dns_answers);
	ifn_json_u64(j, "dns_answers_used", e->dns_used);
	ifn_json_u64(j, "not_delivered", e->not_delivered);
	ifn_json_obj_close(j);
	ifn_json_u64(j, "dns_answers_spoofed", spoofed_sent);
}

static void event_counts_json(struct ifn_json *j, const __u32 *ev)
{
	unsigned int t;

	ifn_json_obj_open(j, "events");
	for (t = 0; t < IFN_EV_MAX; t++)
		if (ev[t])
			ifn_json_u64(j, ifn_event_name(t), ev[t]);
	ifn_json_obj_close(j);
}

static const char *phase_name(enum rp_phase p)
{
	return p == RP_PHASE_LEARN ? "learn" : "replay";
}

static const char *status_name(enum rp_cap_status s)
{
	switch (s) {
	case RP_CAP_OK:
		return "ok";
	case RP_CAP_TRUNCATED:
		return "truncated";
	case RP_CAP_SKIPPED:
		return "skipped";
	}
	return "?";
}

/*
 * A capture time, null when there is none: 0 is a time here, the first
 * second of 1970, where devices without a clock stamp their frames.
 */
static void capture_time_json(struct ifn_json *j, const char *key, bool known, __u64 ts)
{
	char buf[IFN_TIME_STRLEN];

	if (known)
		ifn_json_str(j, key, ifn_fmt_time(ts, buf));
	else
		ifn_json_null(j, key);
}

static double speed(const struct rp_run *R)
{
	return R->run_ns ? (double)R->frames_run * 1e9 / (double)R->run_ns : 0.0;
}

static void print_json(struct rp_run *R, struct rp_report *rep)
{
	struct ifn_json j;
	char buf[160];
	size_t i;
	unsigned int t;

	ifn_json_init(&j, stdout);
	ifn_json_obj_open(&j, NULL);

	ifn_json_obj_open(&j, "learning");
	ifn_json_str(&j, "how", R->policy ? "policy" : R->learn_files ? "captures" : "window");
	ifn_json_str(&j, "window", ifn_fmt_duration(R->learn_ns, buf, sizeof(buf)));
	ifn_json_str(&j, "policy", R->policy);
	ifn_json_bool(&j, "generalise", R->gen);
	ifn_json_bool(&j, "names", !R->no_names);
	ifn_json_str(&j, "interface", R->ifname);
	ifn_json_obj_close(&j);

	ifn_json_arr_open(&j, "captures");
	for (i = 0; i < R->in.ncaps; i++) {
		const struct rp_capture *c = &R->in.caps[i];

		ifn_json_obj_open(&j, NULL);
		ifn_json_str(&j, "file", c->path);
		ifn_json_str(&j, "role", phase_name(c->phase));
		ifn_json_str(&j, "format", c->format);
		ifn_json_str(&j, "link_type", c->linktype_name[0] ? c->linktype_name : NULL);
		ifn_json_str(&j, "status", status_name(c->status));
		ifn_json_str(&j, "error", c->error[0] ? c->error : NULL);
		if (c->status == RP_CAP_TRUNCATED) {
			ifn_json_u64(&j, "stopped_at_frame", c->frames + 1);
			ifn_json_i64(&j, "stopped_at_byte", c->stop_offset);
		} else {
			ifn_json_null(&j, "stopped_at_frame");
			ifn_json_null(&j, "stopped_at_byte");
		}
		ifn_json_u64(&j, "frames", c->frames);
		ifn_json_u64(&j, "bytes", c->bytes);
		ifn_json_u64(&j, "cut", c->cut);
		ifn_json_u64(&j, "oversized", c->oversized);
		ifn_json_u64(&j, "runt", c->runt);
		ifn_json_u64(&j, "bad_length", c->bad_length);
		ifn_json_u64(&j, "not_ethernet", c->not_ethernet);
		capture_time_json(&j, "first", c->frames, c->first_ts);
		capture_time_json(&j, "last", c->frames, c->last_ts);
		ifn_json_obj_close(&j);
	}
	ifn_json_arr_close(&j);

	ifn_json_arr_open(&j, "gateways");
	for (i = 0; i < R->scan.nmacs; i++) {
		const struct rp_mac *m = &R->scan.macs[i];

		if (!m->gateway)
			continue;
		ifn_json_obj_open(&j, NULL);
		ifn_json_str(&j, "mac", ifn_fmt_mac(m->mac, buf));
		ifn_json_str(&j, "vendor", ifn_oui_vendor(rep->oui, m->mac));
		ifn_json_str(&j, "source", m->gw_given ? "option" : "guess");
		rp_gateway_evidence(m, !m->gw_given, buf, sizeof(buf));
		ifn_json_str(&j, "evidence", buf);
		ifn_json_u64(&j, "frames", m->frames);
		ifn_json_u64(&j, "bytes", m->bytes);
		ifn_json_obj_close(&j);
	}
	ifn_json_arr_close(&j);

	ifn_json_arr_open(&j, "devices");
	for (i = 0; i < rep->ndevs; i++) {
		const struct rp_devrep *r = &rep->devs[i];
		static const struct rp_count zero;

		ifn_json_obj_open(&j, NULL);
		ifn_device_json_fields(&j, &r->v, ifn_oui_vendor(rep->oui, r->v.mac), R->ifname);
		ifn_json_u64(&j, "prefix_rules", r->prefix_rules);
		ifn_json_u64(&j, "any_port_rules", r->any_rules);
		if (r->d && r->d->generalised)
			ifn_json_u64(&j, "generalised_rules", r->d->gen_rules);
		else
			ifn_json_null(&j, "generalised_rules");
		capture_time_json(&j, "learning_ended", r->d && r->d->learn_ended,
				  r->d ? r->d->learn_end : 0);
		count_json(&j, "learning", r->d ? &r->d->ph[0] : &zero, false);
		count_json(&j, "enforcing", r->d ? &r->d->ph[1] : &zero, true);
		egress_json(&j, r->d ? &r->d->to : &(const struct rp_egress){ 0 },
			    r->d ? r->d->dns_spoofed_sent : 0);
		ifn_json_u64(&j, "violations", r->violations);
		ifn_json_obj_open(&j, "reasons");
		for (t = 1; t < IFN_REASON_MAX; t++)
			if (r->v.st.reason[t])
				ifn_json_u64(&j, ifn_reason_name(t), r->v.st.reason[t]);
		ifn_json_obj_close(&j);
		event_counts_json(&j, r->d ? r->d->ev : (const __u32[IFN_EV_MAX]){ 0 });
		ifn_json_u64(&j, "events_suppressed", r->v.st.events_suppressed);
		ifn_json_obj_close(&j);
	}
	ifn_json_arr_close(&j);

	ifn_json_arr_open(&j, "events");
	for (i = 0; i < R->nevents; i++)
		ifn_event_json(&j, &R->events[i].e, R->ifname);
	ifn_json_arr_close(&j);

	ifn_json_obj_open(&j, "totals");
	ifn_json_u64(&j, "captures", R->in.ncaps);
	ifn_json_u64(&j, "frames", rep->frames_read);
	ifn_json_u64(&j, "run", R->frames_run);
	ifn_json_u64(&j, "gateway", R->scan.gateway_frames);
	ifn_json_u64(&j, "gateway_to_devices", R->scan.egress_frames);
	ifn_json_u64(&j, "no_device", rep->nodev_run);
	ifn_json_u64(&j, "no_record", rep->no_record);
	ifn_json_u64(&j, "oversized", rep->oversized);
	ifn_json_u64(&j, "runt", rep->runt);
	ifn_json_u64(&j, "bad_length", rep->bad_length);
	ifn_json_u64(&j, "not_ethernet", rep->not_ethernet);
	ifn_json_u64(&j, "cut", rep->cut);
	ifn_json_u64(&j, "skipped_captures", rep->skipped_files);
	ifn_json_u64(&j, "truncated_captures", rep->truncated_files);
	ifn_json_u64(&j, "devices", rep->ndevs);
	count_json(&j, "learning", &rep->learn, false);
	count_json(&j, "enforcing", &rep->after, true);
	egress_json(&j, &rep->to, rep->dns_spoofed);
	ifn_json_u64(&j, "violations", rep->violations);
	event_counts_json(&j, rep->ev);
	ifn_json_u64(&j, "events_lost", rep->gs.events_lost);
	ifn_json_obj_close(&j);

	ifn_json_obj_open(&j, "speed");
	ifn_json_u64(&j, "frames", R->frames_run);
	ifn_json_double(&j, "seconds", (double)R->run_ns / 1e9);
	ifn_json_double(&j, "frames_per_second", speed(R));
	ifn_json_u64(&j, "workers", R->nworkers);
	ifn_json_u64(&j, "ordered_frames", R->scan.sync_points);
	ifn_json_obj_close(&j);

	ifn_json_obj_close(&j);
	fputc('\n', stdout);
}

static char *pct(__u64 part, __u64 whole, char *buf, size_t len)
{
	if (!whole)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f%%", 100.0 * rate(part, whole));
	return buf;
}

/* "SCAN 1, AUTO_QUARANTINE 1": the anomalies, not the routine events. */
static char *event_summary(const __u32 *ev, char *buf, size_t len)
{
	static const unsigned int shown[] = { IFN_EV_SCAN,	    IFN_EV_AUTO_QUARANTINE,
					      IFN_EV_RATE_EXCEEDED, IFN_EV_FINGERPRINT_CAP,
					      IFN_EV_IP_CHANGE,	    IFN_EV_IP_CONFLICT,
					      IFN_EV_TABLE_FULL };
	size_t o = 0, i;

	buf[0] = 0;
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]) && o < len; i++)
		if (ev[shown[i]])
			o += snprintf(buf + o, len - o, "%s%s %u", o ? ", " : "",
				      ifn_event_name(shown[i]), ev[shown[i]]);
	if (!o)
		snprintf(buf, len, "-");
	return buf;
}

static void print_text(struct rp_run *R, struct rp_report *rep)
{
	/* LEARNING: frames while it learned; the rest are after its learning. */
	/* DNS: answers the gateway sent it / that recorded an address; BY-NAME: passed by name. */
	static const char *const hdr[] = { "MAC",	  "VENDOR",   "MODE",	   ">PACKETS",
					   ">BYTES",	  ">FLOWS",   ">LEARNING", ">ENFORCING",
					   ">PASSED",	  ">BY-NAME", ">DROPPED",  ">DROP%",
					   ">VIOLATIONS", ">DNS",     "ANOMALIES" };
	char a[64], b[64], line[512];
	struct ifn_table t;
	size_t i, listed = 0;

	if (R->policy)
		printf("replay: policy %s; frames arrive on %s", R->policy, R->ifname);
	else if (R->learn_files)
		printf("replay: devices learn on the --learn captures, then enforce on the others "
		       "(a device first seen there learns for %s)",
		       ifn_fmt_duration(R->learn_ns, a, sizeof(a)));
	else if (R->learn_ns)
		printf("replay: each device learns for %s from its first frame, then enforces",
		       ifn_fmt_duration(R->learn_ns, a, sizeof(a)));
	else
		printf("replay: devices learn throughout (--learn-for 0)");
	printf("%s\n\n", R->gen ? "; learned flows are generalised when learning ends" : "");

	ifn_table_init(&t, 15, hdr);
	for (i = 0; i < rep->ndevs; i++) {
		const struct rp_devrep *r = &rep->devs[i];
		static const struct rp_dev none;
		const struct rp_dev *d = r->d ? r->d : &none;
		char mac[IFN_MAC_STRLEN], vend[24], pk[24], by[24], fl[24], ln[24], en[24], ps[24],
			dr[24], pc[24], vi[24], an[160], bn[24], dn[48];
		const char *row[15] = { mac, vend, ifn_mode_name(r->v.dev.mode),
					pk,  by,   fl,
					ln,  en,   ps,
					bn,  dr,   pc,
					vi,  dn,   an };

		ifn_fmt_mac(r->v.mac, mac);
		snprintf(vend, sizeof(vend), "%.20s", ifn_oui_vendor(rep->oui, r->v.mac));
		snprintf(pk, sizeof(pk), "%llu", (unsigned long long)r->v.st.packets);
		ifn_fmt_count(r->v.st.bytes, by, sizeof(by));
		if (r->prefix_rules || r->any_rules)
			snprintf(fl, sizeof(fl), "%u+%u", r->v.dev.flow_count,
				 r->prefix_rules + r->any_rules);
		else
			snprintf(fl, sizeof(fl), "%u", r->v.dev.flow_count);
		snprintf(ln, sizeof(ln), "%llu", (unsigned long long)d->ph[0].packets);
		snprintf(en, sizeof(en), "%llu", (unsigned long long)d->ph[1].packets);
		snprintf(ps, sizeof(ps), "%llu", (unsigned long long)d->ph[1].passed);
		snprintf(bn, sizeof(bn), "%llu", (unsigned long long)d->ph[1].by_name);
		snprintf(dr, sizeof(dr), "%llu", (unsigned long long)d->ph[1].dropped);
		snprintf(dn, sizeof(dn), "%llu/%llu", (unsigned long long)d->to.dns_answers,
			 (unsigned long long)d->to.dns_used);
		pct(d->ph[1].dropped, d->ph[1].packets, pc, sizeof(pc));
		snprintf(vi, sizeof(vi), "%llu", (unsigned long long)r->violations);
		event_summary(d->ev, an, sizeof(an));
		ifn_table_add(&t, row);
	}
	if (rep->ndevs)
		ifn_table_print(&t, stdout);
	else
		printf("no devices\n");
	ifn_table_free(&t);

	for (i = 0; i < R->nevents; i++) {
		const struct ifn_event *e = &R->events[i].e;

		if (e->type == IFN_EV_VIOLATION || e->type == IFN_EV_NEW_DEVICE)
			continue;
		if (!listed++)
			printf("\nevents (capture times):\n");
		if (listed > RP_TEXT_EVENTS)
			continue;
		ifn_event_text(line, sizeof(line), e, R->ifname);
		printf("  %s\n", line);
	}
	if (listed > RP_TEXT_EVENTS)
		printf("  ... %zu more (--json lists them all)\n", listed - RP_TEXT_EVENTS);

	printf("\ncaptures:\n");
	for (i = 0; i < R->in.ncaps; i++) {
		const struct rp_capture *c = &R->in.caps[i];

		printf("  %s: %s, %s, %llu frames", c->path, phase_name(c->phase),
		       c->format ? c->format : "?", (unsigned long long)c->frames);
		if (c->frames)
			printf(", %s to %s", ifn_fmt_time(c->first_ts, a),
			       ifn_fmt_time(c->last_ts, b));
		if (c->status == RP_CAP_SKIPPED)
			printf("; skipped: %s", c->error);
		else if (c->status == RP_CAP_TRUNCATED)
			printf("; stops at frame %llu (byte %ld): %s",
			       (unsigned long long)c->frames + 1, c->stop_offset, c->error);
		printf("\n");
	}

	for (i = 0; i < R->scan.nmacs; i++) {
		const struct rp_mac *m = &R->scan.macs[i];

		if (!m->gateway)
			continue;
		rp_gateway_evidence(m, !m->gw_given, line, sizeof(line));
		printf("gateway %s (%s): %llu frames, never a device's; %s\n",
		       ifn_fmt_mac(m->mac, a), ifn_oui_vendor(rep->oui, m->mac),
		       (unsigned long long)m->frames, line);
	}
	if (!R->scan.ngateways)
		printf("gateway: none%s\n",
		       R->scan.guessed ? " found (no MAC routes or answers DHCP)" : "");

	printf("frames: %llu read, %llu run, %llu from the gateway (%llu of them to devices: run "
	       "through the egress program's code only), %llu of no device "
	       "(broadcast/multicast/zero source), %llu oversized (not run), %llu cut by the "
	       "snap length (run zero-padded)\n",
	       (unsigned long long)rep->frames_read, (unsigned long long)R->frames_run,
	       (unsigned long long)R->scan.gateway_frames,
	       (unsigned long long)R->scan.egress_frames, (unsigned long long)rep->nodev_run,
	       (unsigned long long)rep->oversized, (unsigned long long)rep->cut);
	printf("names: %s; DNS answers from the gateway: %llu, %llu of them recorded addresses; "
	       "%llu frames passed by name while enforcing; %llu answers from LAN devices "
	       "ignored\n",
	       R->no_names ? "off (--no-names: answers not read)" : "on",
	       (unsigned long long)rep->to.dns_answers, (unsigned long long)rep->to.dns_used,
	       (unsigned long long)rep->after.by_name, (unsigned long long)rep->dns_spoofed);
	if (rep->runt)
		printf("runts: %llu frames shorter than an Ethernet header (damaged records; not "
		       "run)\n",
		       (unsigned long long)rep->runt);
	if (rep->bad_length)
		printf("bad lengths: %llu records captured longer than they were on the wire "
		       "(damaged records; not run)\n",
		       (unsigned long long)rep->bad_length);
	if (rep->not_ethernet)
		printf("not Ethernet: %llu frames of pcapng interfaces of other link types "
		       "(skipped)\n",
		       (unsigned long long)rep->not_ethernet);
	if (rep->no_record)
		printf("device table full: %llu frames of devices that got no record, %llu of them "
		       "dropped (unknown-devices)\n",
		       (unsigned long long)rep->no_record,
		       (unsigned long long)rep->no_record_dropped);
	printf("totals: %zu devices; learning %llu frames; enforcing %llu frames: %llu passed, "
	       "%llu dropped (%s); %llu violations\n",
	       rep->ndevs, (unsigned long long)rep->learn.packets,
	       (unsigned long long)rep->after.packets, (unsigned long long)rep->after.passed,
	       (unsigned long long)rep->after.dropped,
	       pct(rep->after.dropped, rep->after.packets, a, sizeof(a)),
	       (unsigned long long)rep->violations);
	printf("speed: %.0f frames/s (%llu frames in %.3f ms on %u worker%s; timed: the runs "
	       "of frames already in memory)\n",
	       speed(R), (unsigned long long)R->frames_run, (double)R->run_ns / 1e6, R->nworkers,
	       R->nworkers == 1 ? "" : "s");
}

static void report_free(struct rp_report *rep)
{
	free(rep->devs);
	ifn_oui_free(rep->oui);
}

int rp_report_print(struct rp_run *R, bool json)
{
	struct rp_report rep;
	int err = build_report(R, &rep);

	if (err)
		return err;
	if (json)
		print_json(R, &rep);
	else
		print_text(R, &rep);
	report_free(&rep);
	return 0;
}
