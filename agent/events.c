// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * events.c - datapath events as JSON objects and text lines, and
 * `iotfence events` (the ring's reader is evstream.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "errors.h"
#include "events.h"
#include "evstream.h"
#include "format.h"
#include "resolved.h"
#include "rules.h"
#include "state.h"

static ifn_name_text_fn name_text;
static void *name_ctx;

void ifn_events_name_source(ifn_name_text_fn fn, void *ctx)
{
	name_text = fn;
	name_ctx = ctx;
}

static bool text_from_maps(void *ctx, __u64 hash, char buf[IFN_DNS_NAME_MAX])
{
	return ifn_resolved_text(ctx, hash, buf);
}

void ifn_events_names_from_maps(const struct ifn_maps *m)
{
	ifn_events_name_source(text_from_maps, (void *)m);
}

/* The names of a VIOLATION: texts known (into @txt), returns their count; *unknown the rest. */
static unsigned int event_names(const struct ifn_event *e, char txt[][IFN_DNS_NAME_MAX],
				unsigned int *unknown)
{
	unsigned int i, n = 0;

	*unknown = 0;
	/* No source (an offline reader): nothing to say about names. */
	if (!name_text)
		return 0;
	for (i = 0; i < sizeof(e->names) / sizeof(e->names[0]); i++) {
		__u64 h;

		memcpy(&h, e->names[i], sizeof(h));
		if (!h)
			continue;
		if (name_text(name_ctx, h, txt[n]) && txt[n][0])
			n++;
		else
			(*unknown)++;
	}
	return n;
}

/* Events that concern one flow of the device (ifn_ev_flow in the datapath). */
static bool has_flow(unsigned int type)
{
	switch (type) {
	case IFN_EV_VIOLATION:
	case IFN_EV_SCAN:
	case IFN_EV_AUTO_QUARANTINE:
	case IFN_EV_RATE_EXCEEDED:
	case IFN_EV_FINGERPRINT_CAP:
		return true;
	}
	return false;
}

/* TABLE_FULL has no device record, EVENTS_LOST no device at all. */
static bool has_mode(unsigned int type)
{
	return type != IFN_EV_TABLE_FULL && type != IFN_EV_EVENTS_LOST && type < IFN_EV_MAX;
}

static const char *family_name(__u8 family)
{
	switch (family) {
	case IFN_FAMILY_L2:
		return "l2";
	case IFN_FAMILY_LAN:
		return "local-networks";
	case IFN_FAMILY_IPV4:
		return "ipv4";
	case IFN_FAMILY_IPV6:
		return "ipv6";
	}
	return "unknown";
}

/* The flow in the words of `iotfence allow`, so it can be pasted there. */
static char *flow_rule(const struct ifn_flow_key *k, char *buf, size_t len)
{
	struct ifn_rule r;

	ifn_rule_from_flow(&r, k, NULL);
	return ifn_rule_format(&r, buf, len);
}

static void flow_json(struct ifn_json *j, const struct ifn_flow_key *k)
{
	char addr[IFN_ADDR_STRLEN], rule[IFN_RULE_STRLEN], pb[8];

	ifn_json_obj_open(j, "flow");
	ifn_json_str(j, "family", family_name(k->family));
	if (k->family == IFN_FAMILY_L2) {
		ifn_json_null(j, "proto");
		ifn_json_u64(j, "ethertype", k->port);
		ifn_json_null(j, "peer");
	} else {
		ifn_json_str(j, "proto", ifn_proto_name(k->proto, pb));
		ifn_json_u64(j, "port", k->port);
		ifn_json_str(j, "dir", ifn_dir_name(k->dir));
		ifn_json_str(j, "peer", ifn_fmt_addr(k->peer, addr));
	}
	ifn_json_str(j, "rule", flow_rule(k, rule, sizeof(rule)));
	ifn_json_obj_close(j);
}

void ifn_event_json(struct ifn_json *j, const struct ifn_event *e, const char *ifname)
{
	char mac[IFN_MAC_STRLEN], addr[IFN_ADDR_STRLEN];

	ifn_json_obj_open(j, NULL);
	ifn_json_time(j, "time", ifn_mono_to_wall(e->time_ns));
	ifn_json_str(j, "type", ifn_event_name(e->type));
	ifn_json_str(j, "mac", e->type == IFN_EV_EVENTS_LOST ? NULL : ifn_fmt_mac(e->mac, mac));
	ifn_json_str(j, "interface", e->ifindex ? ifname : NULL);
	ifn_json_str(j, "mode", has_mode(e->type) ? ifn_mode_name(e->mode) : NULL);
	if (has_flow(e->type))
		flow_json(j, &e->flow);
	else
		ifn_json_null(j, "flow");

	switch (e->type) {
	case IFN_EV_LEARNING_DONE:
	case IFN_EV_FINGERPRINT_CAP:
		ifn_json_u64(j, "flows", e->value);
		break;
	case IFN_EV_SCAN:
	case IFN_EV_AUTO_QUARANTINE:
		ifn_json_u64(j, "distinct_flows", e->value);
		break;
	case IFN_EV_IP_CHANGE:
		ifn_json_str(j, "address", ifn_fmt_addr(e->addr, addr));
		ifn_json_str(j, "old_address", ifn_fmt_addr(e->old_addr, addr));
		break;
	case IFN_EV_IP_CONFLICT:
	case IFN_EV_DNS_SPOOFED:
		ifn_json_str(j, "address", ifn_fmt_addr(e->addr, addr));
		ifn_json_str(j, "owner", ifn_fmt_mac(e->other_mac, mac));
		break;
	case IFN_EV_PROBED:
		ifn_json_str(j, "prober", ifn_fmt_addr(e->addr, addr));
		ifn_json_u64(j, "ports", e->value);
		ifn_json_u64(j, "devices", e->count2);
		break;
	case IFN_EV_EVENTS_LOST:
		ifn_json_u64(j, "lost", e->value);
		break;
	case IFN_EV_VIOLATION: {
		char txt[IFN_DNS_NAMES_PER_ADDR][IFN_DNS_NAME_MAX];
		unsigned int unknown, n = event_names(e, txt, &unknown), i;

		ifn_json_arr_open(j, "names");
		for (i = 0; i < n; i++)
			ifn_json_str(j, NULL, txt[i]);
		ifn_json_arr_close(j);
		if (unknown)
			ifn_json_u64(j, "names_unknown", unknown);
		break;
	}
	}
	ifn_json_obj_close(j);
}

void ifn_event_text(char *buf, size_t len, const struct ifn_event *e, const char *ifname)
{
	char t[IFN_TIME_STRLEN], mac[IFN_MAC_STRLEN], a[IFN_ADDR_STRLEN], b[IFN_ADDR_STRLEN];
	char rule[IFN_RULE_STRLEN], head[160];
	const char *tn = ifn_event_name(e->type);
	__u64 wall = ifn_mono_to_wall(e->time_ns);

	if (!len)
		return;
	snprintf(head, sizeof(head), "%s %-15s %s %s %s", wall ? ifn_fmt_time(wall, t) : "-", tn,
		 e->type == IFN_EV_EVENTS_LOST ? "-" : ifn_fmt_mac(e->mac, mac),
		 e->ifindex && ifname ? ifname : "-",
		 has_mode(e->type) ? ifn_mode_name(e->mode) : "-");

	switch (e->type) {
	case IFN_EV_NEW_DEVICE:
		snprintf(buf, len, "%s", head);
		break;
	case IFN_EV_LEARNING_DONE:
		snprintf(buf, len, "%s learnt %u flows", head, e->value);
		break;
	case IFN_EV_SCAN:
	case IFN_EV_AUTO_QUARANTINE:
		snprintf(buf, len, "%s %s (%u distinct flows outside the fingerprint)", head,
			 flow_rule(&e->flow, rule, sizeof(rule)), e->value);
		break;
	case IFN_EV_FINGERPRINT_CAP:
		snprintf(buf, len, "%s %s (cap of %u flows reached; learning stopped)", head,
			 flow_rule(&e->flow, rule, sizeof(rule)), e->value);
		break;
	case IFN_EV_VIOLATION: {
		char txt[IFN_DNS_NAMES_PER_ADDR][IFN_DNS_NAME_MAX], names[320] = "";
		unsigned int unknown, n = event_names(e, txt, &unknown), i;
		size_t o = 0;

		for (i = 0; i < n && o < sizeof(names); i++)
			o += snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "", txt[i]);
		if (unknown && o < sizeof(names))
			snprintf(names + o, sizeof(names) - o, "%s%u name%s no longer known",
				 n ? " and " : "", unknown, unknown == 1 ? "" : "s");
		snprintf(buf, len, "%s %s%s%s%s", head, flow_rule(&e->flow, rule, sizeof(rule)),
			 names[0] ? " (resolved from " : "", names, names[0] ? ")" : "");
		break;
	}
	case IFN_EV_RATE_EXCEEDED:
		snprintf(buf, len, "%s %s", head, flow_rule(&e->flow, rule, sizeof(rule)));
		break;
	case IFN_EV_IP_CHANGE:
		snprintf(buf, len, "%s %s (was %s)", head, ifn_fmt_addr(e->addr, a),
			 ifn_fmt_addr(e->old_addr, b));
		break;
	case IFN_EV_IP_CONFLICT:
		snprintf(buf, len, "%s %s (held by %s)", head, ifn_fmt_addr(e->addr, a),
			 ifn_fmt_mac(e->other_mac, mac));
		break;
	case IFN_EV_TABLE_FULL:
		snprintf(buf, len,
			 "%s device table full: this device gets the unknown-devices verdict",
			 head);
		break;
	case IFN_EV_DNS_SPOOFED:
		snprintf(buf, len, "%s DNS answer from %s (%s), a LAN device: ignored", head,
			 ifn_fmt_addr(e->addr, a), ifn_fmt_mac(e->other_mac, mac));
		break;
	case IFN_EV_PROBED:
		snprintf(buf, len, "%s by %s (%u distinct ports of this device, %u device%s)", head,
			 ifn_fmt_addr(e->addr, a), e->value, e->count2, e->count2 == 1 ? "" : "s");
		break;
	case IFN_EV_EVENTS_LOST:
		snprintf(buf, len, "%s %u events not reported (limited or ring full)", head,
			 e->value);
		break;
	default:
		snprintf(buf, len, "%s value %u", head, e->value);
	}
}

/* ---- iotfence events ---- */

struct ev_out {
	int ifaces_fd;
	bool json;
};

static volatile sig_atomic_t ev_stop;

static void on_signal(int sig)
{
	(void)sig;
	ev_stop = 1;
}

static int print_event(void *ctx, const struct ifn_event *e)
{
	struct ev_out *o = ctx;
	char ifb[16], line[512];
	const char *ifname = e->ifindex ? ifn_ifname(o->ifaces_fd, e->ifindex, ifb) : NULL;

	if (o->json) {
		struct ifn_json j;

		ifn_json_init(&j, stdout);
		ifn_event_json(&j, e, ifname);
	} else {
		ifn_event_text(line, sizeof(line), e, ifname);
		puts(line);
	}
	/* A reader at the other end of a pipe sees each event as it comes. */
	if (fflush(stdout) || ferror(stdout))
		return -EIO;
	return 0;
}

int ifn_cmd_events(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ev_out o = { .json = ifn_json_output };
	struct sigaction sa = { .sa_handler = on_signal };
	struct ifn_evstream s;
	struct ifn_maps m;
	bool follow = false;
	long n = 0;
	int opt, err;

	optind = 1;
	while ((opt = ifn_getopt(c, NULL, argc, argv)) != -1) {
		if (opt != 'f')
			return ifn_usage_error(c, "unknown option '%s'", argv[optind - 1]);
		follow = true;
	}
	if (optind < argc)
		return ifn_usage_error(c, "unexpected '%s'", argv[optind]);
	if (ifn_bpffs_ensure(false) || ifn_maps_open_pinned(&m))
		return IFN_EXIT_FAIL;
	o.ifaces_fd = m.ifaces;
	ifn_events_names_from_maps(&m);
	/* Losses before this reader started are reported once, up front. */
	err = ifn_evstream_open(&s, &m, print_event, &o, true);
	if (err) {
		ifn_err("cannot read the event ring: %s", ifn_strerror(err));
		ifn_maps_close(&m);
		return IFN_EXIT_FAIL;
	}
	if (follow) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	do {
		n = ifn_evstream_drain(&s);
		if (n < 0 || !follow || ev_stop)
			break;
		{
			struct pollfd p = { .fd = ifn_evstream_fd(&s), .events = POLLIN };

			/* Wake once a second at least, to look at the lost counter. */
			if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
				n = -errno;
				break;
			}
		}
	} while (!ev_stop);
	ifn_evstream_close(&s);
	ifn_maps_close(&m);
	if (n == -EIO)
		return IFN_EXIT_FAIL; /* stdout is gone: nothing to say it on */
	if (n < 0) {
		ifn_err("cannot read the event ring: %s", ifn_strerror(n));
		return IFN_EXIT_FAIL;
	}
	return IFN_EXIT_OK;
}
