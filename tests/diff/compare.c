// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * compare.c - what the differential run compares (see compare.h): after
 * every frame the XDP action, the events, the device's record and
 * counters and the global counters; after a frame to a device what the
 * egress program noted and recorded; at the end of an episode every table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "devices.h"

#include "compare.h"

void cmp_fail(struct cmp *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->bad)
		c->n = 0;
	c->bad = true;
	if (c->n >= sizeof(c->what) - 2)
		return;
	va_start(ap, fmt);
	c->n += vsnprintf(c->what + c->n, sizeof(c->what) - c->n, fmt, ap);
	va_end(ap);
	if (c->n < sizeof(c->what) - 1)
		c->what[c->n++] = '\n';
	c->what[c->n < sizeof(c->what) ? c->n : sizeof(c->what) - 1] = '\0';
}

void cmp_events(struct cmp *c, struct inst *in, const struct mdl_result *r, __u64 now)
{
	unsigned int i, n = in->nev < r->nev ? in->nev : r->nev;
	char a[40], b[40];

	if (in->nev != r->nev) {
		char pl[256] = "", ml[256] = "";
		size_t pn = 0, mn = 0;

		for (i = 0; i < in->nev && pn < 200; i++)
			pn += snprintf(pl + pn, sizeof(pl) - pn, " %s",
				       mdl_event_name(in->ev[i].type));
		for (i = 0; i < r->nev && mn < 200; i++)
			mn += snprintf(ml + mn, sizeof(ml) - mn, " %s",
				       mdl_event_name(r->ev[i].type));
		cmp_fail(c, "events: program [%s ], model [%s ]", pl, ml);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct ifn_event *p = &in->ev[i], *m = &r->ev[i];
		char name[64];

		snprintf(name, sizeof(name), "event %u (%s)", i, mdl_event_name(m->type));
		CMP_U(c, name, p->type, m->type);
		if (p->type != m->type)
			continue;
		if (memcmp(p->mac, m->mac, 6))
			cmp_fail(c, "%s mac: program %s, model %s", name, fmt_mac(p->mac, a),
				 fmt_mac(m->mac, b));
		CMP_U(c, "event time", p->time_ns, now);
		CMP_U(c, "event ifindex", p->ifindex, m->ifindex);
		if (m->type != IFN_EV_TABLE_FULL)
			CMP_U(c, "event mode", p->mode, m->mode);
		switch (m->type) {
		case IFN_EV_VIOLATION:
		case IFN_EV_SCAN:
		case IFN_EV_AUTO_QUARANTINE:
		case IFN_EV_RATE_EXCEEDED:
		case IFN_EV_FINGERPRINT_CAP:
			if (memcmp(&p->flow, &m->flow, sizeof(p->flow))) {
				char hp[64], hm[64];

				hex(hp, (const __u8 *)&p->flow, sizeof(p->flow));
				hex(hm, (const __u8 *)&m->flow, sizeof(m->flow));
				cmp_fail(c, "%s flow key: program %s, model %s", name, hp, hm);
			}
			if (m->type == IFN_EV_SCAN || m->type == IFN_EV_FINGERPRINT_CAP)
				CMP_U(c, "event value", p->value, m->value);
			break;
		case IFN_EV_PROBED:
			CMP_U(c, "PROBED ports", p->value, m->value);
			CMP_U(c, "PROBED devices", p->count2, m->count2);
			/* fall through */
		case IFN_EV_DNS_SPOOFED:
			if (memcmp(p->addr, m->addr, 16) ||
			    (m->type == IFN_EV_DNS_SPOOFED &&
			     memcmp(p->other_mac, m->other_mac, 6))) {
				char hp[40], hm[40];

				hex(hp, p->addr, 16);
				hex(hm, m->addr, 16);
				cmp_fail(c, "%s: program addr %s mac %s, model addr %s mac %s",
					 name, hp, fmt_mac(p->other_mac, a), hm,
					 fmt_mac(m->other_mac, b));
			}
			break;
		case IFN_EV_IP_CHANGE:
		case IFN_EV_IP_CONFLICT:
			if (memcmp(p->addr, m->addr, 16) ||
			    (m->type == IFN_EV_IP_CHANGE && memcmp(p->old_addr, m->old_addr, 16)) ||
			    (m->type == IFN_EV_IP_CONFLICT &&
			     memcmp(p->other_mac, m->other_mac, 6))) {
				char hp[80], hm[80];

				hex(hp, p->addr, 16);
				hex(hm, m->addr, 16);
				cmp_fail(c, "%s addresses differ: program addr %s, model addr %s",
					 name, hp, hm);
			}
			break;
		default:
			break;
		}
	}
}

void cmp_device(struct cmp *c, struct inst *in, const struct mdl_device *md,
		const struct ifn_device *pd, const char *who)
{
	struct ifn_dev_stats ps;
	char name[96];
	unsigned int i;

	snprintf(name, sizeof(name), "%s mode", who);
	CMP_U(c, name, pd->mode, md->mode);
	snprintf(name, sizeof(name), "%s mode_until_ns", who);
	CMP_U(c, name, ifn_mw_until(pd->mode_word), md->mode_until_ns);
	if (md->mode_until_ns) {
		snprintf(name, sizeof(name), "%s mode_after", who);
		CMP_U(c, name, pd->mode_after, md->mode_after);
	}
	snprintf(name, sizeof(name), "%s flags", who);
	CMP_U(c, name, pd->flags, md->flags);
	snprintf(name, sizeof(name), "%s flow_count", who);
	CMP_U(c, name, pd->flow_count, md->flow_count);
	snprintf(name, sizeof(name), "%s name_rules", who);
	CMP_U(c, name, pd->name_rules, md->name_rules);
	snprintf(name, sizeof(name), "%s created_ns", who);
	CMP_U(c, name, pd->created_ns, md->created_ns);
	snprintf(name, sizeof(name), "%s ifindex", who);
	CMP_U(c, name, pd->ifindex, md->ifindex);
	if (memcmp(pd->ipv4, md->ipv4, 4) || memcmp(pd->ipv6, md->ipv6, 16) ||
	    memcmp(pd->ipv6_ll, md->ipv6_ll, 16)) {
		char h1[40], h2[40], h3[40], h4[40], h5[40], h6[40];

		hex(h1, pd->ipv4, 4);
		hex(h2, md->ipv4, 4);
		hex(h3, pd->ipv6_ll, 16);
		hex(h4, md->ipv6_ll, 16);
		hex(h5, pd->ipv6, 16);
		hex(h6, md->ipv6, 16);
		cmp_fail(c,
			 "%s addresses: program ipv4 %s ll %s ipv6 %s, model ipv4 %s ll %s ipv6 %s",
			 who, h1, h3, h5, h2, h4, h6);
	}
	snprintf(name, sizeof(name), "%s scan_count", who);
	CMP_U(c, name, pd->scan_count, md->scan_count);
	snprintf(name, sizeof(name), "%s scan_window_ns", who);
	CMP_U(c, name, pd->scan_window_ns, md->scan_window_ns);
	if (md->flags & IFN_DEV_F_RATE_LIMIT) {
		snprintf(name, sizeof(name), "%s tokens_pkts", who);
		CMP_U(c, name, pd->tokens_pkts, md->tokens_pkts);
		snprintf(name, sizeof(name), "%s tokens_bytes", who);
		CMP_U(c, name, pd->tokens_bytes, md->tokens_bytes);
	}
	for (i = 0; i < IFN_EV_MAX; i++) {
		snprintf(name, sizeof(name), "%s ev_limit[%s]", who, mdl_event_name(i));
		CMP_U(c, name, pd->ev_limit[i], md->ev_limit[i]);
	}

	prog_dev_stats(in, pd->slot, &ps);
	snprintf(name, sizeof(name), "%s packets", who);
	CMP_U(c, name, ps.packets, md->st.packets);
	snprintf(name, sizeof(name), "%s bytes", who);
	CMP_U(c, name, ps.bytes, md->st.bytes);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%s verdict[%u]", who, i);
		CMP_U(c, name, ps.verdict[i], md->st.verdict[i]);
	}
	for (i = 0; i < IFN_REASON_MAX; i++) {
		snprintf(name, sizeof(name), "%s reason[%s]", who, mdl_reason_name(i));
		CMP_U(c, name, ps.reason[i], md->st.reason[i]);
	}
	snprintf(name, sizeof(name), "%s events_suppressed", who);
	CMP_U(c, name, ps.events_suppressed, md->st.events_suppressed);
	snprintf(name, sizeof(name), "%s first_seen_ns", who);
	CMP_U(c, name, ps.first_seen_ns, md->st.first_seen_ns);
	snprintf(name, sizeof(name), "%s last_seen_ns", who);
	CMP_U(c, name, ps.last_seen_ns, md->st.last_seen_ns);
}

void cmp_global(struct cmp *c, struct inst *in)
{
	const struct mdl_global *m = &in->model.g;
	struct ifn_global_stats g;
	char name[64];
	unsigned int i;

	prog_global(in, &g);
	CMP_U(c, "global frames", g.frames, m->frames);
	CMP_U(c, "global bytes", g.bytes, m->bytes);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "global verdict[%u]", i);
		CMP_U(c, name, g.verdict[i], m->verdict[i]);
	}
	for (i = 0; i < IFN_REASON_MAX; i++) {
		snprintf(name, sizeof(name), "global reason[%s]", mdl_reason_name(i));
		CMP_U(c, name, g.reason[i], m->reason[i]);
	}
	CMP_U(c, "global new_devices", g.new_devices, m->new_devices);
	CMP_U(c, "global table_full", g.table_full, m->table_full);
	CMP_U(c, "global events_sent", g.events_sent, m->events_sent);
	CMP_U(c, "global events_lost", g.events_lost, m->events_lost);
	CMP_U(c, "global table_full_event_ns", g.table_full_event_ns, m->table_full_event_ns);
	CMP_U(c, "global flows_full", g.flows_full, m->flows_full);
}

/*
 * The tables at the end of an episode. Each walk reads the keys in the
 * kernel's order; the kernel reads the previous key before it writes the
 * next, so one buffer holds both.
 */

static void cmp_devices(struct cmp *c, struct inst *in)
{
	struct mdl *md = &in->model;
	struct ifn_mac_key k;
	struct ifn_device d;
	unsigned int ndev = 0;
	void *prev;
	char a[40];

	for (prev = NULL; !bpf_map_get_next_key(in->m.dev_index, prev, &k); prev = &k) {
		ndev++;
		if (ifn_device_get(&in->m, k.mac, &d))
			continue;
		if (!mdl_device(md, k.mac)) {
			cmp_fail(c, "device %s is in the program's table only", fmt_mac(k.mac, a));
			continue;
		}
		cmp_device(c, in, mdl_device(md, k.mac), &d, fmt_mac(k.mac, a));
	}
	CMP_U(c, "devices in the table", ndev, md->ndev);
}

/* Fingerprints: every exact flow, learned or not, with its origin. */
static void cmp_flows(struct cmp *c, struct inst *in)
{
	struct mdl *md = &in->model;
	struct ifn_flow_key fk;
	struct ifn_flow_val fv;
	size_t nflows = 0;
	void *prev;

	for (prev = NULL; !bpf_map_get_next_key(in->m.flows, prev, &fk); prev = &fk) {
		const __u8 *origin = htab_get(&md->flows, &fk);

		nflows++;
		if (!origin) {
			char h[64];

			hex(h, (const __u8 *)&fk, sizeof(fk));
			cmp_fail(c, "flow %s is in the program's fingerprint only", h);
		} else if (!bpf_map_lookup_elem(in->m.flows, &fk, &fv) && fv.origin != *origin) {
			cmp_fail(c, "flow origin: program %u, model %u", fv.origin, *origin);
		}
	}
	CMP_U(c, "exact flows", nflows, htab_count(&md->flows));
}

static void cmp_owners(struct cmp *c, struct inst *in)
{
	struct mdl *md = &in->model;
	struct ifn_ip_key ik;
	struct ifn_ip_owner o;
	size_t n = 0;
	void *prev;
	char a[40];

	for (prev = NULL; !bpf_map_get_next_key(in->m.ip_owners, prev, &ik); prev = &ik) {
		const __u8 *mm = htab_get(&md->owners, ik.addr);

		n++;
		if (bpf_map_lookup_elem(in->m.ip_owners, &ik, &o))
			continue;
		if (!mm || memcmp(mm, o.mac, 6)) {
			char h[40];

			hex(h, ik.addr, 16);
			cmp_fail(c, "address owner of %s: program %s, model %s", h,
				 fmt_mac(o.mac, a), mm ? "another" : "none");
		}
	}
	CMP_U(c, "address owners", n, htab_count(&md->owners));
}

/* Inbound notes (ANSWERS): every one, with its time and kind. */
static void cmp_notes(struct cmp *c, struct inst *in)
{
	struct mdl *md = &in->model;
	struct ifn_in_key ik;
	struct ifn_in_val v;
	size_t n = 0;
	void *prev;

	for (prev = NULL; !bpf_map_get_next_key(in->m.inbound, prev, &ik); prev = &ik) {
		const struct ifn_in_val *mv;

		n++;
		if (bpf_map_lookup_elem(in->m.inbound, &ik, &v))
			continue;
		mv = htab_get(&md->inbound, &ik);
		if (!mv || mv->seen_ns != v.seen_ns || mv->syn != v.syn) {
			char h[64];

			hex(h, (const __u8 *)&ik, sizeof(ik));
			cmp_fail(c, "inbound note %s: program seen %llu syn %u, model %s", h,
				 (unsigned long long)v.seen_ns, v.syn, mv ? "another" : "none");
		}
	}
	CMP_U(c, "inbound notes", n, htab_count(&md->inbound));
}

/* What the devices resolved: every address, its names and expiries. */
static void cmp_resolved(struct cmp *c, struct inst *in)
{
	struct mdl *md = &in->model;
	struct ifn_dns_key dk;
	struct ifn_dns_val v;
	size_t n = 0;
	void *prev;
	char a[40];

	for (prev = NULL; !bpf_map_get_next_key(in->m.dns, prev, &dk); prev = &dk) {
		const struct ifn_dns_val *mv;

		n++;
		if (bpf_map_lookup_elem(in->m.dns, &dk, &v))
			continue;
		mv = htab_get(&md->dns, &dk);
		if (!mv || memcmp(mv->name, v.name, sizeof(v.name)) ||
		    memcmp(mv->expires_ns, v.expires_ns, sizeof(v.expires_ns)))
			cmp_fail(c, "ifn_dns entry of %s differs (model %s)", fmt_mac(dk.mac, a),
				 mv ? "has another" : "has none");
	}
	CMP_U(c, "ifn_dns entries", n, htab_count(&md->dns));
	CMP_U(c, "ifn_dns_names entries",
	      map_count(in->m.dns_names, sizeof(__u64), sizeof(struct ifn_dns_name)),
	      htab_count(&md->dns_names));
}

/* Rules on names, learned or written: the same set on both sides. */
static void cmp_name_rules(struct cmp *c, struct inst *in)
{
	struct mdl *md = &in->model;
	struct ifn_name_rule_key nk;
	struct ifn_name_rule_val nv;
	size_t n = 0, mn = 0;
	unsigned int i;
	void *prev;
	char a[40];

	for (prev = NULL; !bpf_map_get_next_key(in->m.name_rules, prev, &nk); prev = &nk) {
		bool found = false;

		n++;
		if (bpf_map_lookup_elem(in->m.name_rules, &nk, &nv))
			continue;
		for (i = 0; i < md->nrules && !found; i++) {
			const struct mdl_rule *r = &md->rules[i];

			found = r->used && r->is_name && !memcmp(r->mac, nk.mac, 6) &&
				r->proto == nk.proto && r->port == nk.port && r->dir == nk.dir &&
				r->wild == nk.wild && !strcmp(r->name, nv.name);
		}
		if (!found)
			cmp_fail(c, "name rule %s of %s is in the program only", nv.name,
				 fmt_mac(nk.mac, a));
	}
	for (i = 0; i < md->nrules; i++)
		mn += md->rules[i].used && md->rules[i].is_name;
	CMP_U(c, "name rules", n, mn);
}

void cmp_tables(struct cmp *c, struct inst *in)
{
	cmp_devices(c, in);
	cmp_flows(c, in);
	cmp_owners(c, in);
	cmp_notes(c, in);
	cmp_resolved(c, in);
	cmp_name_rules(c, in);
}

/* What an answer recorded, and the egress program's counters. */
static void cmp_dns(struct cmp *c, struct inst *in, const struct mdl_eresult *r)
{
	const struct ifn_dns_stats *m = &in->model.dst;
	struct ifn_dns_stats p;
	unsigned int i, j;
	char name[64];

	if (ifn_dns_stats_read(&in->m, &p))
		die("cannot read the egress counters");
	CMP_U(c, "dns answers", p.answers, m->answers);
	CMP_U(c, "dns used", p.used, m->used);
	CMP_U(c, "dns records", p.records, m->records);
	CMP_U(c, "dns spoofed", p.spoofed, m->spoofed);
	CMP_U(c, "dns no_device", p.no_device, m->no_device);
	CMP_U(c, "dns too_big", p.too_big, m->too_big);
	CMP_U(c, "dns tcp_partial", p.tcp_partial, m->tcp_partial);
	CMP_U(c, "dns ignored", p.ignored, m->ignored);
	CMP_U(c, "dns names_displaced", p.names_displaced, m->names_displaced);
	CMP_U(c, "dns records_dropped", p.records_dropped, m->records_dropped);
	CMP_U(c, "dns write_failed", p.write_failed, m->write_failed);
	CMP_U(c, "dns too_many", p.too_many, m->too_many);
	for (i = 0; i < IFN_DNS_BAD_MAX; i++) {
		snprintf(name, sizeof(name), "dns malformed[%u]", i);
		CMP_U(c, name, p.malformed[i], m->malformed[i]);
	}
	for (i = 0; i < r->ndns; i++) {
		const struct ifn_dns_val *mv = htab_get(&in->model.dns, &r->dns_keys[i]);
		struct ifn_dns_val pv;

		if (bpf_map_lookup_elem(in->m.dns, &r->dns_keys[i], &pv)) {
			cmp_fail(c, "an address the answer gave is not in the program's ifn_dns");
			continue;
		}
		for (j = 0; mv && j < IFN_DNS_NAMES_PER_ADDR; j++) {
			snprintf(name, sizeof(name), "ifn_dns name[%u]", j);
			CMP_U(c, name, pv.name[j], mv->name[j]);
			snprintf(name, sizeof(name), "ifn_dns expires_ns[%u]", j);
			CMP_U(c, name, pv.expires_ns[j], mv->expires_ns[j]);
		}
	}
}

void cmp_frame(struct cmp *c, struct inst *in, const __u8 *f, size_t len, int xdp,
	       const struct mdl_result *r, __u64 now)
{
	CMP_U(c, "XDP action", xdp, r->xdp);
	if (r->oracle_error[0])
		cmp_fail(c, "scan sketch: %s", r->oracle_error);
	cmp_events(c, in, r, now);
	if (len >= 12) {
		const struct mdl_device *md = mdl_device(&in->model, f + 6);

		if (!!md != in->have_rec)
			cmp_fail(c, "device record exists: program %d, model %d", in->have_rec,
				 !!md);
		else if (md)
			cmp_device(c, in, md, &in->rec, "device");
	}
	if (r->learned) {
		struct ifn_flow_val v;

		if (bpf_map_lookup_elem(in->m.flows, &r->learned_key, &v)) {
			char h[64];

			hex(h, (const __u8 *)&r->learned_key, sizeof(r->learned_key));
			cmp_fail(c, "learned flow %s missing in the program's fingerprint", h);
		}
	}
	cmp_global(c, in);
}

void cmp_egress(struct cmp *c, struct inst *in, const __u8 *f, bool same,
		const struct mdl_eresult *r, __u64 now, bool count_notes)
{
	struct mdl_result mr;
	struct mdl_device *md;
	struct ifn_device pd;

	if (!same)
		cmp_fail(c, "the egress program dropped or changed the frame");
	if (r->oracle_error[0])
		cmp_fail(c, "probe sketch: %s", r->oracle_error);
	memset(&mr, 0, sizeof(mr));
	mr.nev = r->nev;
	memcpy(mr.ev, r->ev, sizeof(r->ev));
	cmp_events(c, in, &mr, now);
	cmp_dns(c, in, r);
	if (r->noted) {
		struct ifn_in_val v;

		if (bpf_map_lookup_elem(in->m.inbound, &r->note, &v))
			cmp_fail(c, "inbound note missing in the program's ifn_inbound");
		else {
			const struct ifn_in_val *mv = htab_get(&in->model.inbound, &r->note);

			CMP_U(c, "note seen_ns", v.seen_ns, now);
			CMP_U(c, "note syn", v.syn, mv ? mv->syn : 255);
		}
	}
	if (count_notes)
		CMP_U(c, "inbound notes",
		      map_count(in->m.inbound, sizeof(struct ifn_in_key),
				sizeof(struct ifn_in_val)),
		      htab_count(&in->model.inbound));
	md = mdl_device(&in->model, f);
	if (md) {
		if (!prog_device(in, f, &pd))
			cmp_fail(c, "the destination device is missing in the program");
		else
			cmp_device(c, in, md, &pd, "destination device");
	}
	cmp_global(c, in);
}
