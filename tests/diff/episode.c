// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * episode.c - what happens in an episode besides frames (see episode.h):
 * random settings, interface defaults and LAN prefixes, operator actions
 * made through the agent's own functions and mirrored in the model, and
 * the clock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "dnsname.h"
#include "rules.h"

#include "episode.h"

void logring_add(struct logring *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->line[l->pos++ % LOG_LINES], sizeof(l->line[0]), fmt, ap);
	va_end(ap);
}

void logring_print(const struct logring *l, const char *indent)
{
	unsigned int i;

	for (i = 0; i < LOG_LINES; i++) {
		const char *s = l->line[(l->pos + i) % LOG_LINES];

		if (*s)
			printf("%s%s\n", indent, s);
	}
}

static __u64 pick_dur(struct rng *r)
{
	switch (rng_below(r, 4)) {
	case 0:
		return (1 + rng_below(r, 5)) * NS_PER_S;
	case 1:
		return rng_below(r, 30 * NS_PER_S) + 1;
	case 2:
		return (1 + rng_below(r, 300)) * NS_PER_S / 10;
	default:
		return (10 + rng_below(r, 60)) * NS_PER_S;
	}
}

static void random_settings(struct episode *e)
{
	struct mdl *m = &e->in->model;
	struct rng *r = &e->rng;
	struct ifn_config *c = &m->cfg;
	static const __u32 caps[] = { 1, 2, 3, 5, 8, 20, 40, 512 };

	/*
	 * A state's own key for names (the program never sees a constant),
	 * drawn once per state: rules on names are keyed with it.
	 */
	if (!c->dns_key)
		c->dns_key = rng_next(r) | 1;
	if (rng_pct(r, 70)) {
		/*
		 * Long enough that an address outlives its answer only by
		 * use now and then: the decision cache refreshes a name's use
		 * every ~30 s (DESIGN), which the page does not time.
		 */
		static const __u64 ttls[] = { 3600, 7200, 604800 };

		c->dns_min_ttl_ns = ttls[rng_below(r, 3)] * NS_PER_S;
		c->scan_threshold = 1 + (__u32)rng_below(r, rng_pct(r, 30) ? 6 : 128);
		c->scan_window_ns = (1 + rng_below(r, 20)) * NS_PER_S;
		if (rng_pct(r, 30))
			c->flags &= ~IFN_CFG_F_AUTO_QUARANTINE;
		c->fingerprint_cap = caps[rng_below(r, sizeof(caps) / sizeof(caps[0]))];
		c->event_limit = rng_pct(r, 80) ? 1 + (__u32)rng_below(r, 10) :
						  (__u32)rng_below(r, 256);
		c->unknown_verdict = rng_pct(r, 30) ? IFN_VERDICT_PASS : IFN_VERDICT_DROP;
		c->default_mode = (__u8)rng_below(r, IFN_MODE_MAX);
		c->learn_ns = rng_pct(r, 50) ? 0 : pick_dur(r);
		if (rng_pct(r, 30))
			c->flags |= IFN_CFG_F_ANSWERS_DROP;
		else
			c->flags &= ~IFN_CFG_F_ANSWERS_DROP;
		c->answer_s = rng_pct(r, 50) ? IFN_ANSWER_S_DEFAULT : (__u8)(1 + rng_below(r, 40));
	}
	if (ifn_config_write(&e->in->m, c))
		die("cannot write the settings");
}

/* The gateway's own LAN prefixes (what attach records): for local-networks. */
static void random_lan_nets(struct episode *e)
{
	static const __u8 nets[][17] = {
		/* plen over the mapped space, then the address */
		{ 120, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 52, 94, 1, 0 },
		{ 112, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 8, 8, 0, 0 },
		{ 64, 0x26, 0x06, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		{ 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 52, 94, 2, 3 },
	};
	struct mdl *m = &e->in->model;
	unsigned int i;

	m->nlan = 0;
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct ifn_lan_key k = { .prefixlen = nets[i][0] };
		__u32 idx = 1;

		if (!rng_pct(&e->rng, 30))
			continue;
		memcpy(k.addr, nets[i] + 1, 16);
		if (bpf_map_update_elem(e->in->m.lan_nets, &k, &idx, BPF_ANY))
			die("cannot write ifn_lan_nets");
		memcpy(m->lan[m->nlan].addr, k.addr, 16);
		m->lan[m->nlan++].plen = (__u8)k.prefixlen;
	}
}

static void random_iface(struct episode *e)
{
	struct mdl *m = &e->in->model;
	struct rng *r = &e->rng;

	m->lo.present = rng_pct(r, 85);
	m->lo.default_mode = rng_pct(r, 55) ? IFN_MODE_LEARN :
			     rng_pct(r, 40) ? IFN_MODE_MONITOR :
					      (__u8)rng_below(r, IFN_MODE_MAX);
	m->lo.learn_ns = rng_pct(r, 40) ? 0 : pick_dur(r);
	set_iface(e->in);
}

void random_state(struct episode *e)
{
	random_settings(e);
	random_iface(e);
	random_lan_nets(e);
}

/* A device the model knows, or NULL. */
static struct mdl_device *pick_device(struct episode *e)
{
	struct mdl *m = &e->in->model;
	unsigned int i, n = 0, want;

	for (i = 0; i < m->max_devices; i++)
		n += m->dev[i].used;
	if (!n)
		return NULL;
	want = (unsigned int)rng_below(&e->rng, n);
	for (i = 0; i < m->max_devices; i++)
		if (m->dev[i].used && !want--)
			return &m->dev[i];
	return NULL;
}

static void random_rule(struct episode *e, const __u8 mac[6], struct mdl_rule *mr, bool *l2)
{
	struct rng *r = &e->rng;
	struct gen_ctx *g = &e->g;
	static const __u8 protos[] = { 6, 17, 1, 58, 6, 17, 47, 2 };
	unsigned int kind = (unsigned int)rng_below(r, 100);

	memset(mr, 0, sizeof(*mr));
	memcpy(mr->mac, mac, 6);
	*l2 = false;
	if (kind < 6) {
		static const __u16 types[] = { 0x88cc, 0x88e1, 0x8899, 0x0842, 0x893a };

		*l2 = true;
		mr->port = types[rng_below(r, 5)];
		mr->plen = 0;
		return;
	}
	mr->proto = protos[rng_below(r, sizeof(protos))];
	mr->dir = rng_pct(r, 30) ? IFN_DIR_SERVER : IFN_DIR_CLIENT;
	mr->port = g->ports[rng_below(r, g->nports)];
	if (mr->proto == 1 || mr->proto == 58)
		mr->port = mr->proto == 1 ? 8 : 128;
	if (rng_pct(r, 60)) {
		mr->peer[10] = 0xff;
		mr->peer[11] = 0xff;
		memcpy(mr->peer + 12, g->peer4[rng_below(r, g->npeer4)], 4);
	} else {
		memcpy(mr->peer, g->peer6[rng_below(r, g->npeer6)], 16);
	}
	if (kind >= 47 && kind < 55 && mr->proto != 1 && mr->proto != 58) {
		/* A name rule: exact, or every name under a suffix. */
		static const char *const names[] = {
			"cdn.example.com",
			"api.example.com",
			"example.com",
			"vendor.net",
			"time.vendor.net",
			"mqtt_1.vendor.net",
			"com",
			"a3k7.iot.eu-west-1.amazonaws.com",
		};

		mr->is_name = true;
		mr->wild = rng_pct(r, 40);
		snprintf(mr->name, sizeof(mr->name), "%s", names[rng_below(r, 8)]);
		memset(mr->peer, 0, 16);
		mr->plen = 0;
		return;
	}
	if (kind < 47 && kind >= 40) {
		/* local-networks: one port or ICMP type, peer zero. */
		mr->lan = true;
		memset(mr->peer, 0, 16);
		mr->plen = 0;
	} else if (kind < 55) {
		mr->plen = 128;
	} else {
		static const __u8 v4p[] = { 0, 96, 104, 112, 120, 124, 128 };
		static const __u8 v6p[] = { 0, 16, 48, 64, 120, 128 };
		unsigned int bits, i;

		mr->any_port = kind >= 80;
		mr->plen = mr->peer[10] == 0xff ? v4p[rng_below(r, sizeof(v4p))] :
						  v6p[rng_below(r, sizeof(v6p))];
		if (mr->any_port && rng_pct(r, 30))
			mr->plen = 0;
		/* Port ranges: TCP, UDP (or SCTP), on a port-any entry. */
		if (mr->any_port && (mr->proto == 6 || mr->proto == 17) && rng_pct(r, 50)) {
			__u16 a = g->ports[rng_below(r, g->nports)], b;

			b = rng_pct(r, 50) ? (__u16)(a + rng_below(r, 2000)) :
					     (__u16)(1024 + rng_below(r, 64512));
			if (b < a) {
				__u16 t = a;

				a = b;
				b = t;
			}
			if (a == 0)
				a = 1;
			mr->port = a;
			mr->port_hi = b > a ? b : (__u16)(a + 1);
			if (mr->port_hi < mr->port) {
				mr->port = 65534;
				mr->port_hi = 65535;
			}
		}
		/* Host bits beyond the prefix are zero, as the CLI writes them. */
		for (i = 0; i < 16; i++) {
			bits = mr->plen > i * 8 ? mr->plen - i * 8 : 0;
			if (bits < 8)
				mr->peer[i] &= (__u8)(0xff00 >> bits);
		}
	}
}

static void to_agent_rule(const struct mdl_rule *mr, bool l2, __u64 now, struct ifn_rule *ar)
{
	memset(ar, 0, sizeof(*ar));
	memcpy(ar->mac, mr->mac, 6);
	ar->l2 = l2;
	ar->proto = mr->proto;
	ar->port = mr->port;
	ar->port_any = mr->any_port;
	ar->port_hi = mr->port_hi;
	ar->lan = mr->lan;
	ar->wild = mr->wild;
	if (mr->is_name) {
		ar->name = ifn_dns_name_intern(mr->name);
		if (!ar->name)
			die("out of memory");
		ar->plen = 0;
	}
	ar->dir = mr->dir;
	memcpy(ar->peer, mr->peer, 16);
	ar->plen = mr->plen;
	ar->origin = IFN_ORIGIN_MANUAL;
	ar->added_ns = now;
}

void operator_action(struct episode *e)
{
	struct inst *in = e->in;
	struct mdl *m = &in->model;
	struct rng *r = &e->rng;
	struct mdl_device *md = pick_device(e);
	unsigned int what = (unsigned int)rng_below(r, 100);
	char a[40];

	if (what >= 92) {
		random_settings(e);
		logring_add(
			&e->ops,
			"settings: threshold %u window %llus flags %#x cap %u evlimit %u unknown %u "
			"answer-memory %us dns-min-ttl %llus",
			m->cfg.scan_threshold,
			(unsigned long long)(m->cfg.scan_window_ns / NS_PER_S), m->cfg.flags,
			m->cfg.fingerprint_cap, m->cfg.event_limit, m->cfg.unknown_verdict,
			m->cfg.answer_s, (unsigned long long)(m->cfg.dns_min_ttl_ns / NS_PER_S));
		return;
	}
	if (what >= 88) {
		random_iface(e);
		logring_add(&e->ops, "iface lo: present %d mode %s learn %llums", m->lo.present,
			    mdl_mode_name(m->lo.default_mode),
			    (unsigned long long)(m->lo.learn_ns / 1000000));
		return;
	}
	if (!md)
		return;
	fmt_mac(md->mac, a);
	if (what < 40) {
		__u8 mode = (__u8)rng_below(r, IFN_MODE_MAX);
		__u64 for_ns = rng_pct(r, 40) ? pick_dur(r) : 0;
		__u64 learn_ns = m->lo.present ? m->lo.learn_ns : m->cfg.learn_ns;
		struct ifn_device d;

		if (ifn_device_get(&in->m, md->mac, &d))
			die("device %s missing in the program", a);
		logring_add(
			&e->ops,
			"op: %s %s --for %llums (program %s until %llu then %s; model %s until %llu "
			"then %s)",
			mdl_mode_name(mode), a, (unsigned long long)(for_ns / 1000000),
			mdl_mode_name(d.mode), (unsigned long long)ifn_mw_until(d.mode_word),
			mdl_mode_name(d.mode_after), mdl_mode_name(md->mode),
			(unsigned long long)md->mode_until_ns, mdl_mode_name(md->mode_after));
		if (ifn_device_set_mode(&in->m, md->mac, mode, for_ns, learn_ns, e->now, NULL))
			die("cannot write device %s", a);
		mdl_op_mode(m, md->mac, mode, for_ns, e->now);
	} else if (what < 52) {
		static const __u64 rates[] = { 0, 1, 5, 20, 100, 1000 };
		__u64 pps = rates[rng_below(r, 6)],
		      bps = rng_pct(r, 50) ? 0 : 64 * rates[rng_below(r, 6)];
		__u64 bp = pps && rng_pct(r, 30) ? 1 + rng_below(r, pps) : 0;
		__u64 bb = bps && rng_pct(r, 30) ? 1 + rng_below(r, bps) : 0;
		struct ifn_device d;

		if (ifn_device_get(&in->m, md->mac, &d))
			die("device %s missing in the program", a);
		if (ifn_device_apply_rate(&d, pps, bps, bp, bb))
			die("rate refused");
		if (ifn_device_put(&in->m, md->mac, &d))
			die("cannot write device %s", a);
		mdl_op_rate(m, md->mac, pps, bps, bp, bb);
		logring_add(&e->ops, "op: rate %s pps %llu bps %llu burst %llu/%llu", a,
			    (unsigned long long)pps, (unsigned long long)bps,
			    (unsigned long long)bp, (unsigned long long)bb);
	} else if (what < 78) {
		struct mdl_rule mr;
		struct ifn_rule ar;
		bool l2;
		int err;

		random_rule(e, md->mac, &mr, &l2);
		to_agent_rule(&mr, l2, e->now, &ar);
		err = ifn_rule_install(&in->m, &ar);
		/* A full fingerprint table refuses a rule on both sides. */
		if ((err != 0) != (mdl_op_rule_add(m, &mr, l2) != 0) || (err && err != -E2BIG))
			die("installing a rule: program %s, model disagrees", strerror(-err));
		{
			char t[IFN_RULE_STRLEN];

			logring_add(&e->ops, "op: allow %s %s", a,
				    ifn_rule_format(&ar, t, sizeof(t)));
		}
	} else if (what < 84) {
		/* Remove one of the rules the model holds for the device. */
		unsigned int i;

		for (i = 0; i < m->nrules; i++) {
			struct mdl_rule *mr = &m->rules[i];
			struct ifn_rule ar;

			if (!mr->used || memcmp(mr->mac, md->mac, 6))
				continue;
			{
				struct mdl_rule copy = *mr;

				to_agent_rule(&copy, false, e->now, &ar);
				if (ifn_rule_remove(&in->m, &ar))
					die("cannot remove a rule");
				mdl_op_rule_del(m, &copy, false);
				logring_add(&e->ops, "op: forget rule of %s", a);
			}
			break;
		}
	} else {
		int err = ifn_device_forget(&in->m, md->mac);

		if (err)
			die("cannot forget %s: %s", a, strerror(-err));
		logring_add(&e->ops, "op: forget %s", a);
		mdl_op_forget(m, md->mac);
	}
}

void advance(struct episode *e)
{
	struct rng *r = &e->rng;
	unsigned int x = (unsigned int)rng_below(r, 1000);

	if (x < 700)
		e->now += rng_below(r, 5000000);
	else if (x < 900)
		e->now += rng_below(r, NS_PER_S);
	else if (x < 975)
		e->now += rng_below(r, 30 * NS_PER_S);
	else {
		/* Land on a deadline exactly, or one nanosecond either side. */
		struct mdl_device *d = pick_device(e);
		__u64 at = 0;

		if (d && d->mode_until_ns)
			at = d->mode_until_ns;
		else if (d)
			at = d->scan_window_ns + e->in->model.cfg.scan_window_ns;
		if (at) {
			at += rng_below(r, 3);
			at = at ? at - 1 : at;
		}
		if (at > e->now)
			e->now = at;
		else
			e->now += 1;
	}
}
