// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy.c - a parsed policy against the running state: what a load would
 * change, and the change itself, all or nothing, make before break; and the
 * running state as a policy (show, save). The rules of ownership are in
 * iotfence.8, POLICY FILES:
 *
 *  - a device the file names is the file's: its manual and policy rules
 *    become the file's allow lines, its rate and name the file's; its mode
 *    changes only when the file states one (and never out of quarantine);
 *    its learned and generalised entries stay unless 'learned-flows
 *    replace' says the file lists all of them;
 *  - a device the file does not name keeps everything but rules an earlier
 *    policy gave it (origin policy), which go: the file is the whole policy.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "errors.h"
#include "format.h"
#include "grow.h"
#include "policy.h"
#include "policy_names.h"
#include "policy_parse.h"
#include "rules.h"
#include "settings.h"

/* ---- the running state ---- */

struct cur_state {
	struct ifn_config cfg;
	__u32 *if_keys;
	struct ifn_iface *if_vals;
	long n_ifaces;
	struct ifn_mac_key *dev_keys;
	struct ifn_device *dev_vals;
	long n_devs;
	struct ifn_rule *rules; /* sorted by ifn_rule_cmp: by MAC first */
	size_t n_rules;
	struct ifn_mactab names;
};

static void cur_free(struct cur_state *s)
{
	free(s->if_keys);
	free(s->if_vals);
	free(s->dev_keys);
	free(s->dev_vals);
	free(s->rules);
	ifn_mactab_free(&s->names);
	memset(s, 0, sizeof(*s));
}

static int cmp_mac_key(const void *a, const void *b)
{
	return memcmp(a, b, 6);
}

static int cur_read(const struct ifn_maps *m, struct cur_state *s)
{
	long i;
	int err;

	memset(s, 0, sizeof(*s));
	err = ifn_config_read(m, &s->cfg);
	if (err)
		return err;
	s->n_ifaces = ifn_map_dump(m->ifaces, sizeof(__u32), sizeof(struct ifn_iface),
				   (void **)&s->if_keys, (void **)&s->if_vals);
	if (s->n_ifaces < 0)
		return s->n_ifaces;
	/* Shown and saved once a name, so that what is saved loads again. */
	s->n_ifaces = ifn_ifaces_dedupe(s->if_keys, s->if_vals, s->n_ifaces);
	s->n_devs = ifn_devices_records(m, &s->dev_keys, &s->dev_vals);
	if (s->n_devs < 0)
		return s->n_devs;
	/* Sort the records with their keys, by MAC, for lookups. */
	{
		struct {
			struct ifn_mac_key k;
			struct ifn_device d;
		} *pairs = calloc(s->n_devs ? s->n_devs : 1, sizeof(*pairs));

		if (!pairs)
			return -ENOMEM;
		for (i = 0; i < s->n_devs; i++) {
			pairs[i].k = s->dev_keys[i];
			pairs[i].d = s->dev_vals[i];
		}
		qsort(pairs, s->n_devs, sizeof(*pairs), cmp_mac_key);
		for (i = 0; i < s->n_devs; i++) {
			s->dev_keys[i] = pairs[i].k;
			s->dev_vals[i] = pairs[i].d;
		}
		free(pairs);
	}
	err = ifn_rules_read(m, NULL, &s->rules, &s->n_rules);
	if (err)
		return err;
	err = ifn_mactab_load(&s->names, &ifn_names_kind, NULL);
	return err;
}

static const struct ifn_device *cur_dev(const struct cur_state *s, const __u8 mac[6])
{
	const struct ifn_mac_key *k;
	struct ifn_mac_key key = {};

	if (!s->n_devs)
		return NULL;
	memcpy(key.mac, mac, 6);
	k = bsearch(&key, s->dev_keys, s->n_devs, sizeof(key), cmp_mac_key);
	return k ? &s->dev_vals[k - s->dev_keys] : NULL;
}

static const struct ifn_rule *cur_rule(const struct cur_state *s, const struct ifn_rule *r)
{
	return s->n_rules ? bsearch(r, s->rules, s->n_rules, sizeof(*r), ifn_rule_cmp) : NULL;
}

/* A deadline that has passed is the next mode already (as the datapath will see it). */
static void effective(struct ifn_device *d, __u64 now)
{
	__u64 until = ifn_mw_until(d->mode_word);

	if (until && now >= until)
		d->mode_word = ifn_mode_word(d->mode_after, d->mode_after, 0);
}

/* ---- the state as a policy (show, save) ---- */

int ifn_policy_from_state(const struct ifn_maps *m, struct ifn_policy *p)
{
	struct cur_state s;
	__u64 now = ifn_now_mono();
	size_t i, r;
	int err;

	memset(p, 0, sizeof(*p));
	err = cur_read(m, &s);
	if (err)
		goto out;
	for (i = 0; ifn_setting_names[i]; i++)
		;
	p->settings = calloc(i ? i : 1, sizeof(*p->settings));
	p->ifaces = calloc(s.n_ifaces ? s.n_ifaces : 1, sizeof(*p->ifaces));
	p->devs = calloc(s.n_devs ? s.n_devs : 1, sizeof(*p->devs));
	if (!p->settings || !p->ifaces || !p->devs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; ifn_setting_names[i]; i++) {
		struct ifn_pol_setting *st = &p->settings[p->n_settings++];

		snprintf(st->key, sizeof(st->key), "%s", ifn_setting_names[i]);
		ifn_setting_format(&s.cfg, ifn_setting_names[i], st->value, sizeof(st->value));
	}
	p->newdev.set = true;
	p->newdev.mode = s.cfg.default_mode;
	p->newdev.learn_ns = s.cfg.learn_ns;
	for (i = 0; i < (size_t)s.n_ifaces; i++) {
		struct ifn_pol_iface *it = &p->ifaces[p->n_ifaces];

		snprintf(it->name, sizeof(it->name), "%.15s", s.if_vals[i].name);
		if (!it->name[0])
			continue;
		it->nd.set = true;
		it->nd.mode = s.if_vals[i].default_mode;
		it->nd.learn_ns = s.if_vals[i].learn_ns;
		p->n_ifaces++;
	}
	for (i = 0; i + 1 < p->n_ifaces; i++) {
		size_t j;

		for (j = i + 1; j < p->n_ifaces; j++) {
			if (strcmp(p->ifaces[i].name, p->ifaces[j].name) > 0) {
				struct ifn_pol_iface t = p->ifaces[i];

				p->ifaces[i] = p->ifaces[j];
				p->ifaces[j] = t;
			}
		}
	}
	for (i = 0, r = 0; i < (size_t)s.n_devs; i++) {
		struct ifn_pol_dev *d = &p->devs[p->n_devs++];
		struct ifn_device dev = s.dev_vals[i];
		const char *name;
		size_t first;

		memcpy(d->mac, s.dev_keys[i].mac, 6);
		name = ifn_mactab_get(&s.names, d->mac);
		if (name)
			snprintf(d->name, sizeof(d->name), "%s", name);
		effective(&dev, now);
		d->mode.set = true;
		d->mode.mode = dev.mode;
		d->mode.then = dev.mode_after;
		if (ifn_mw_until(dev.mode_word)) {
			d->mode.deadline = IFN_POL_UNTIL;
			d->mode.until_wall_ns = ifn_mono_to_wall(ifn_mw_until(dev.mode_word));
		}
		d->rate.set = dev.rate_pps || dev.rate_bps;
		d->rate.pps = dev.rate_pps;
		d->rate.bps = dev.rate_bps;
		d->rate.burst_pkts = dev.burst_pkts;
		d->rate.burst_bytes = dev.burst_bytes;
		/* Rules are sorted by MAC, as the devices are. */
		while (r < s.n_rules && memcmp(s.rules[r].mac, d->mac, 6) < 0)
			r++;
		first = r;
		while (r < s.n_rules && !memcmp(s.rules[r].mac, d->mac, 6))
			r++;
		if (r > first) {
			d->rules = calloc(r - first, sizeof(*d->rules));
			if (!d->rules) {
				err = -ENOMEM;
				goto out;
			}
			for (; first < r; first++) {
				struct ifn_rule *rr = &d->rules[d->n_rules++].r;

				*rr = s.rules[first];
				/* `iotfence allow` and policies both write allow lines. */
				if (rr->origin == IFN_ORIGIN_MANUAL)
					rr->origin = IFN_ORIGIN_POLICY;
			}
			d->cap_rules = d->n_rules;
		}
	}
out:
	cur_free(&s);
	if (err)
		ifn_policy_free(p);
	return err;
}

/* ---- a policy against the state: the plan ---- */

enum act {
	A_SETTING,
	A_IFACE,
	A_CREATE,
	A_RULE_ADD,
	A_RULE_ADOPT,
	A_DEVICE, /* mode, rate */
	A_NAME,
	A_RULE_REMOVE,
	A_KEEP, /* reported only */
};

struct step {
	enum act a;
	__u8 mac[6];
	struct ifn_rule rule; /* new (ADD, ADOPT) or old (REMOVE) */
	struct ifn_rule old; /* ADOPT: as it was */
	const struct ifn_pol_dev *pd;
	struct ifn_pol_mode mode; /* DEVICE: the mode to set */
	bool mode_change, rate_change;
	__u32 ifindex; /* IFACE */
	struct ifn_iface ifc, ifc_old;
	size_t text; /* the report line: its offset in plan.text, +1; 0: none */
	bool unnamed; /* REMOVE: of a device the file does not name */
};

struct plan {
	struct step *v;
	size_t n, cap;
	struct ifn_config cfg_new;
	bool cfg_change;
	struct ifn_mactab names_new;
	bool names_change;
	unsigned int added, removed, changed;
	size_t new_exact, new_port, new_any, new_name, new_devs;
	/* The report lines, one after the other: a million-rule plan stays small. */
	char *text;
	size_t text_len, text_cap;
	bool nomem; /* a line could not be kept */
};

#define STEP_TEXT_MAX 256

/* Set a step's report line. Out of memory: it has none, and the plan fails. */
static __attribute__((format(printf, 3, 4))) void step_printf(struct plan *pl, struct step *x,
							      const char *fmt, ...)
{
	char buf[STEP_TEXT_MAX];
	va_list ap;
	size_t l;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l = strlen(buf) + 1;
	if (ifn_grow((void **)&pl->text, &pl->text_cap, pl->text_len + l, 1, 4096)) {
		pl->nomem = true;
		return;
	}
	memcpy(pl->text + pl->text_len, buf, l);
	x->text = pl->text_len + 1;
	pl->text_len += l;
}

static const char *stmt_of(__u8 origin);

/*
 * A step's report line. A policy of a million rules makes a million rule
 * steps: theirs are formatted here, as they are printed, not kept.
 */
static const char *step_text(const struct plan *pl, const struct step *x, char *buf, size_t len)
{
	char mb[IFN_MAC_STRLEN], rb[IFN_RULE_STRLEN];

	if (x->text)
		return pl->text + x->text - 1;
	switch (x->a) {
	case A_RULE_ADD:
		snprintf(buf, len, "added %s %s %s", ifn_fmt_mac(x->mac, mb),
			 stmt_of(x->rule.origin), ifn_rule_format(&x->rule, rb, sizeof(rb)));
		return buf;
	case A_RULE_ADOPT:
		snprintf(buf, len, "changed %s %s %s: was %s", ifn_fmt_mac(x->mac, mb),
			 stmt_of(x->rule.origin), ifn_rule_format(&x->rule, rb, sizeof(rb)),
			 ifn_origin_name(x->old.origin));
		return buf;
	case A_RULE_REMOVE:
		snprintf(buf, len, "removed %s %s %s%s", ifn_fmt_mac(x->rule.mac, mb),
			 stmt_of(x->rule.origin), ifn_rule_format(&x->rule, rb, sizeof(rb)),
			 x->unnamed ? " (a policy rule of a device the file does not name)" : "");
		return buf;
	default:
		return NULL;
	}
}

static struct step *push(struct plan *pl, enum act a)
{
	struct step *s;

	if (ifn_grow((void **)&pl->v, &pl->cap, pl->n + 1, sizeof(*pl->v), 64))
		return NULL;
	s = &pl->v[pl->n++];
	memset(s, 0, sizeof(*s));
	s->a = a;
	return s;
}

static void plan_free(struct plan *pl)
{
	free(pl->v);
	free(pl->text);
	ifn_mactab_free(&pl->names_new);
	memset(pl, 0, sizeof(*pl));
}

static bool learned_origin(__u8 o)
{
	return o == IFN_ORIGIN_LEARNED || o == IFN_ORIGIN_GENERALISED;
}

static const char *stmt_of(__u8 origin)
{
	return learned_origin(origin) ? "learned" : "allow";
}

static void mode_text(char *buf, size_t len, __u8 mode, __u64 until_wall, __u8 then)
{
	char tb[IFN_TIME_STRLEN];

	if (until_wall)
		snprintf(buf, len, "%s until %s then %s", ifn_mode_name(mode),
			 ifn_fmt_time(until_wall, tb), ifn_mode_name(then));
	else
		snprintf(buf, len, "%s", ifn_mode_name(mode));
}

/*
 * Does the device's mode already say what the file says? A timed mode is
 * also met by the device having gone on to its 'then' mode, so that a
 * reload does not restart a learning window that has ended.
 */
static bool mode_met(const struct ifn_pol_mode *pm, const struct ifn_device *eff, __u64 now)
{
	switch (pm->deadline) {
	case IFN_POL_NO_DEADLINE:
		return eff->mode == pm->mode && !ifn_mw_until(eff->mode_word);
	case IFN_POL_FOR:
		return (eff->mode == pm->mode && ifn_mw_until(eff->mode_word) &&
			eff->mode_after == pm->then) ||
		       (eff->mode == pm->then && !ifn_mw_until(eff->mode_word));
	case IFN_POL_UNTIL: {
		__u64 want = ifn_wall_to_mono(pm->until_wall_ns);
		__u64 d;

		if (want <= now)
			return eff->mode == pm->then && !ifn_mw_until(eff->mode_word);
		d = ifn_mw_until(eff->mode_word) > want ? ifn_mw_until(eff->mode_word) - want :
							  want - ifn_mw_until(eff->mode_word);
		return eff->mode == pm->mode && ifn_mw_until(eff->mode_word) && d < 1000000000ULL &&
		       eff->mode_after == pm->then;
	}
	}
	return false;
}

/* Apply a policy mode to a record. */
static void set_mode(struct ifn_device *d, const struct ifn_pol_mode *pm, __u64 now)
{
	switch (pm->deadline) {
	case IFN_POL_NO_DEADLINE:
		ifn_device_apply_mode(d, pm->mode, 0, 0, now);
		break;
	case IFN_POL_FOR:
		ifn_device_apply_mode(d, pm->mode, pm->for_ns, 0, now);
		d->mode_word = ifn_mode_word(pm->mode, pm->then, ifn_mw_until(d->mode_word));
		break;
	case IFN_POL_UNTIL: {
		__u64 until = ifn_wall_to_mono(pm->until_wall_ns);

		if (until <= now) {
			ifn_device_apply_mode(d, pm->then, 0, 0, now);
		} else {
			ifn_device_apply_mode(d, pm->mode, until - now, 0, now);
			d->mode_word = ifn_mode_word(pm->mode, pm->then, until);
		}
		break;
	}
	}
}

struct perr_ctx {
	const char *path;
	unsigned int n;
};

static void state_err(struct perr_ctx *pe, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void state_err(struct perr_ctx *pe, unsigned int line, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s:%u: %s\n", pe->path, line, msg);
	pe->n++;
}

static int plan_settings(const struct ifn_policy *p, const struct cur_state *s, struct plan *pl)
{
	char before[64], after[64];
	size_t i;

	pl->cfg_new = s->cfg;
	for (i = 0; i < p->n_settings; i++) {
		const struct ifn_pol_setting *st = &p->settings[i];
		struct step *x;

		/* Checked by the parser already. */
		ifn_setting_format(&pl->cfg_new, st->key, before, sizeof(before));
		if (ifn_setting_apply(&pl->cfg_new, st->key, st->value, NULL, 0))
			return -EINVAL;
		ifn_setting_format(&pl->cfg_new, st->key, after, sizeof(after));
		if (!strcmp(before, after))
			continue;
		x = push(pl, A_SETTING);
		if (!x)
			return -ENOMEM;
		step_printf(pl, x, "changed setting %s: %s -> %s", st->key, before, after);
		pl->changed++;
	}
	if (p->newdev.set && (pl->cfg_new.default_mode != p->newdev.mode ||
			      pl->cfg_new.learn_ns != p->newdev.learn_ns)) {
		struct step *x = push(pl, A_SETTING);
		char d1[32], d2[32];

		if (!x)
			return -ENOMEM;
		step_printf(pl, x,
			    "changed new-devices (fallback): %s learn-for %s -> %s learn-for %s",
			    ifn_mode_name(pl->cfg_new.default_mode),
			    ifn_fmt_duration(pl->cfg_new.learn_ns, d1, sizeof(d1)),
			    ifn_mode_name(p->newdev.mode),
			    ifn_fmt_duration(p->newdev.learn_ns, d2, sizeof(d2)));
		pl->cfg_new.default_mode = p->newdev.mode;
		pl->cfg_new.learn_ns = p->newdev.learn_ns;
		pl->changed++;
	}
	pl->cfg_change = memcmp(&pl->cfg_new, &s->cfg, sizeof(s->cfg)) != 0;
	return 0;
}

static int plan_ifaces(const struct ifn_policy *p, const struct cur_state *s, struct plan *pl,
		       struct perr_ctx *pe)
{
	size_t i;
	long k;

	for (i = 0; i < p->n_ifaces; i++) {
		for (k = 0; k < s->n_ifaces; k++)
			if (!strncmp(s->if_vals[k].name, p->ifaces[i].name, 16))
				break;
		if (k == s->n_ifaces)
			state_err(pe, p->ifaces[i].nd.line,
				  "interface %s is not attached (attach it first)",
				  p->ifaces[i].name);
	}
	for (k = 0; k < s->n_ifaces; k++) {
		const struct ifn_pol_newdev *nd = p->newdev.set ? &p->newdev : NULL;
		struct ifn_iface want = s->if_vals[k];
		char d1[32], d2[32];
		struct step *x;

		for (i = 0; i < p->n_ifaces; i++)
			if (!strncmp(s->if_vals[k].name, p->ifaces[i].name, 16))
				nd = &p->ifaces[i].nd;
		if (!nd)
			continue;
		want.default_mode = nd->mode;
		want.learn_ns = nd->learn_ns;
		if (want.default_mode == s->if_vals[k].default_mode &&
		    want.learn_ns == s->if_vals[k].learn_ns)
			continue;
		x = push(pl, A_IFACE);
		if (!x)
			return -ENOMEM;
		x->ifindex = s->if_keys[k];
		x->ifc = want;
		x->ifc_old = s->if_vals[k];
		step_printf(
			pl, x,
			"changed interface %.15s new-devices: %s learn-for %s -> %s learn-for %s",
			s->if_vals[k].name, ifn_mode_name(s->if_vals[k].default_mode),
			ifn_fmt_duration(s->if_vals[k].learn_ns, d1, sizeof(d1)),
			ifn_mode_name(want.default_mode),
			ifn_fmt_duration(want.learn_ns, d2, sizeof(d2)));
		pl->changed++;
	}
	return 0;
}

static void count_new(struct plan *pl, const struct ifn_rule *r)
{
	switch (ifn_rule_kind(r)) {
	case IFN_RULE_EXACT:
		pl->new_exact++;
		break;
	case IFN_RULE_PORT_PREFIX:
		pl->new_port++;
		break;
	case IFN_RULE_ANY_PORT:
		pl->new_any++;
		break;
	case IFN_RULE_NAME:
		pl->new_name++;
		break;
	}
}

static int plan_device(const struct ifn_pol_dev *pd, const struct cur_state *s, struct plan *pl,
		       __u64 now)
{
	char mb[IFN_MAC_STRLEN], t1[96], t2[96];
	const struct ifn_device *cur = cur_dev(s, pd->mac);
	const char *old_name = ifn_mactab_get(&s->names, pd->mac);
	struct ifn_device eff = {}, want;
	struct ifn_pol_mode pm = pd->mode;
	bool mode_change = false, rate_change;
	struct step *x;
	size_t i;

	ifn_fmt_mac(pd->mac, mb);
	if (!cur) {
		x = push(pl, A_CREATE);
		if (!x)
			return -ENOMEM;
		memcpy(x->mac, pd->mac, 6);
		x->pd = pd;
		step_printf(pl, x, "added device %s%s%s", mb, pd->name[0] ? " " : "", pd->name);
		pl->added++;
		pl->new_devs++;
		/* A device the file declares without a mode enforces its rules. */
		if (!pm.set) {
			pm.set = true;
			pm.mode = IFN_MODE_ENFORCE;
		}
		/*
		 * Created in its mode and rate (apply_create()), before its
		 * rules: until they are in it is closer than the file says,
		 * never more open, whenever the load stops.
		 */
		x->mode = pm;
	} else {
		eff = *cur;
		effective(&eff, now);
	}

	/* Rules the file has that the device lacks, or has from another origin. */
	for (i = 0; i < pd->n_rules; i++) {
		const struct ifn_rule *fr = &pd->rules[i].r;
		const struct ifn_rule *cr = cur ? cur_rule(s, fr) : NULL;

		if (cr && cr->origin == fr->origin)
			continue;
		x = push(pl, cr ? A_RULE_ADOPT : A_RULE_ADD);
		if (!x)
			return -ENOMEM;
		memcpy(x->mac, pd->mac, 6);
		x->rule = *fr;
		/* Their report lines are made as they are printed (step_text()). */
		if (cr) {
			x->old = *cr;
			x->rule.added_ns = cr->added_ns;
			pl->changed++;
		} else {
			pl->added++;
			count_new(pl, fr);
		}
	}

	/* Mode and rate. */
	want = eff;
	if (pm.set && !mode_met(&pm, &eff, now)) {
		if (cur && eff.mode == IFN_MODE_QUARANTINE && pm.mode != IFN_MODE_QUARANTINE) {
			/* A reload never releases a quarantined device: an operator does. */
			x = push(pl, A_KEEP);
			if (!x)
				return -ENOMEM;
			step_printf(pl, x,
				    "kept %s in quarantine (the file says %s; release it with "
				    "'iotfence %s %s')",
				    mb, ifn_mode_name(pm.mode), ifn_mode_name(pm.mode), mb);
		} else {
			mode_change = true;
			set_mode(&want, &pm, now);
		}
	}
	/* Checked by the parser: cannot fail. */
	ifn_device_apply_rate(&want, pd->rate.pps, pd->rate.bps, pd->rate.burst_pkts,
			      pd->rate.burst_bytes);
	rate_change = want.rate_pps != eff.rate_pps || want.rate_bps != eff.rate_bps ||
		      want.burst_pkts != eff.burst_pkts || want.burst_bytes != eff.burst_bytes;
	if (cur && (mode_change || rate_change)) {
		x = push(pl, A_DEVICE);
		if (!x)
			return -ENOMEM;
		memcpy(x->mac, pd->mac, 6);
		x->pd = pd;
		x->mode = pm;
		x->mode_change = mode_change;
		x->rate_change = rate_change;
		{
			char line[STEP_TEXT_MAX];
			size_t l = 0;

			mode_text(t1, sizeof(t1), eff.mode,
				  ifn_mw_until(eff.mode_word) ?
					  ifn_mono_to_wall(ifn_mw_until(eff.mode_word)) :
					  0,
				  eff.mode_after);
			mode_text(t2, sizeof(t2), want.mode,
				  ifn_mw_until(want.mode_word) ?
					  ifn_mono_to_wall(ifn_mw_until(want.mode_word)) :
					  0,
				  want.mode_after);
			l = snprintf(line, sizeof(line), "changed %s", mb);
			if (mode_change)
				l += snprintf(line + l, sizeof(line) - l, " mode %s -> %s", t1, t2);
			if (rate_change && l < sizeof(line))
				snprintf(line + l, sizeof(line) - l,
					 "%s rate pps %llu bps %llu -> pps %llu bps %llu",
					 mode_change ? ";" : "", (unsigned long long)eff.rate_pps,
					 (unsigned long long)eff.rate_bps,
					 (unsigned long long)want.rate_pps,
					 (unsigned long long)want.rate_bps);
			step_printf(pl, x, "%s", line);
			pl->changed++;
		}
	}

	/* Name. */
	if (strcmp(old_name ? old_name : "", pd->name)) {
		x = push(pl, A_NAME);
		if (!x)
			return -ENOMEM;
		memcpy(x->mac, pd->mac, 6);
		if (cur)
			step_printf(pl, x, "changed %s name: %s -> %s", mb,
				    old_name ? old_name : "(none)",
				    pd->name[0] ? pd->name : "(none)");
		if (cur)
			pl->changed++;
		if (ifn_mactab_set(&pl->names_new, pd->mac, pd->name) < 0)
			return -ENOMEM;
		pl->names_change = true;
	}
	return 0;
}

static int plan_removals(const struct ifn_policy *p, const struct cur_state *s, struct plan *pl)
{
	size_t i;

	for (i = 0; i < s->n_rules; i++) {
		const struct ifn_rule *cr = &s->rules[i];
		const struct ifn_pol_dev *pd = ifn_policy_find(p, cr->mac);
		bool go;
		struct step *x;

		if (pd) {
			bool listed = pd->n_rules && bsearch(cr, pd->rules, pd->n_rules,
							     sizeof(*pd->rules), ifn_rule_cmp);

			go = !listed && (!learned_origin(cr->origin) || pd->replace_learned);
		} else {
			go = cr->origin == IFN_ORIGIN_POLICY;
		}
		if (!go)
			continue;
		x = push(pl, A_RULE_REMOVE);
		if (!x)
			return -ENOMEM;
		memcpy(x->mac, cr->mac, 6);
		x->rule = *cr;
		x->unnamed = !pd;
		pl->removed++;
	}
	return 0;
}

static int check_room(const struct ifn_maps *m, const struct cur_state *s, const struct plan *pl,
		      const char *path)
{
	size_t exact = 0, port = 0, any = 0, names = 0, i;

	for (i = 0; i < s->n_rules; i++) {
		switch (ifn_rule_kind(&s->rules[i])) {
		case IFN_RULE_EXACT:
			exact++;
			break;
		case IFN_RULE_PORT_PREFIX:
			port++;
			break;
		case IFN_RULE_ANY_PORT:
			any++;
			break;
		case IFN_RULE_NAME:
			names++;
			break;
		}
	}
	/* Checked before any change: new rules go in before old ones go. */
	if (s->n_devs + pl->new_devs > m->max_devices) {
		fprintf(stderr, "%s: %zu new devices do not fit the device table (%ld of %u)\n",
			path, pl->new_devs, s->n_devs, m->max_devices);
		return -E2BIG;
	}
	if (exact + pl->new_exact > m->max_flows) {
		fprintf(stderr, "%s: %zu new exact rules do not fit %s (%zu of %u)\n", path,
			pl->new_exact, IFN_MAP(ifn_flows), exact, m->max_flows);
		return -E2BIG;
	}
	if (port + pl->new_port > m->max_rules || any + pl->new_any > m->max_rules) {
		fprintf(stderr,
			"%s: %zu prefix and %zu port-any rules do not fit the rule tries (%u each)\n",
			path, pl->new_port, pl->new_any, m->max_rules);
		return -E2BIG;
	}
	if (names + pl->new_name > IFN_MAX_NAME_RULES_DEFAULT) {
		fprintf(stderr, "%s: %zu new name rules do not fit %s (%zu of %u)\n", path,
			pl->new_name, IFN_MAP(ifn_name_rules), names,
			(unsigned int)IFN_MAX_NAME_RULES_DEFAULT);
		return -E2BIG;
	}
	return 0;
}

/* ---- applying the plan, with its undo ---- */

static __u32 default_ifindex(const struct cur_state *s)
{
	/* With one interface a new device surely lives there; otherwise unknown. */
	return s->n_ifaces == 1 ? s->if_keys[0] : 0;
}

static int apply_device(const struct ifn_maps *m, const struct step *x, __u64 now,
			struct ifn_device *old)
{
	struct ifn_device d;
	int err;

	err = ifn_device_get(m, x->mac, &d);
	if (err)
		return err;
	*old = d;
	/*
	 * The mode by compare-and-swap against the word just read: if the
	 * datapath changes it meanwhile (a scan quarantined the device), the
	 * change is computed again from what it is now, and a quarantine the
	 * datapath imposed is kept, as plan_device keeps one it saw.
	 */
	while (x->mode_change) {
		struct ifn_device want = d;

		effective(&want, now);
		if (want.mode == IFN_MODE_QUARANTINE && x->mode.mode != IFN_MODE_QUARANTINE &&
		    old->mode != IFN_MODE_QUARANTINE)
			break;
		set_mode(&want, &x->mode, now);
		err = ifn_device_cas_mode(m, x->mac, d.mode_word, want.mode_word, now);
		if (err != -EAGAIN)
			break;
		err = ifn_device_get(m, x->mac, &d);
		if (err)
			return err;
	}
	if (err)
		return err;
	if (x->rate_change || x->mode_change) {
		err = ifn_device_apply_rate(&d, x->pd->rate.pps, x->pd->rate.bps,
					    x->pd->rate.burst_pkts, x->pd->rate.burst_bytes);
		if (err)
			return err;
	}
	return ifn_device_put(m, x->mac, &d);
}

/* Put back what a record's mode and rate were, keeping what the datapath changed since. */
static void restore_device(const struct ifn_maps *m, const __u8 mac[6],
			   const struct ifn_device *old)
{
	struct ifn_device d;

	if (ifn_device_get(m, mac, &d))
		return;
	ifn_device_cas_mode(m, mac, d.mode_word, old->mode_word, ifn_now_mono());
	d.rate_pps = old->rate_pps;
	d.rate_bps = old->rate_bps;
	d.burst_pkts = old->burst_pkts;
	d.burst_bytes = old->burst_bytes;
	d.tokens_pkts = old->tokens_pkts;
	d.tokens_bytes = old->tokens_bytes;
	d.flags = (d.flags & ~IFN_DEV_F_RATE_LIMIT) | (old->flags & IFN_DEV_F_RATE_LIMIT);
	ifn_device_put(m, mac, &d);
}

/* Undo the first @upto steps of @run, the plan's steps in the order they ran. */
static void rollback(const struct ifn_maps *m, struct step *const *run, size_t upto,
		     const struct ifn_device *olds, const struct ifn_config *cfg_old, bool cfg_done)
{
	size_t i = upto;

	while (i-- > 0) {
		struct step *x = run[i];

		switch (x->a) {
		case A_RULE_REMOVE:
			ifn_rule_install(m, &x->rule);
			break;
		case A_DEVICE:
			restore_device(m, x->mac, &olds[i]);
			break;
		case A_RULE_ADOPT:
			ifn_rule_install(m, &x->old);
			break;
		case A_RULE_ADD:
			ifn_rule_remove(m, &x->rule);
			break;
		case A_CREATE:
			ifn_device_forget(m, x->mac);
			break;
		case A_IFACE:
			bpf_map_update_elem(m->ifaces, &x->ifindex, &x->ifc_old, BPF_ANY);
			break;
		default:
			break;
		}
	}
	if (cfg_done)
		ifn_config_write(m, cfg_old);
}

static int step_rank(enum act a)
{
	/*
	 * Make before break: new devices, then new rules, then modes, then
	 * removals. A new device is created in its final mode and rate (its
	 * rules need its record), never in a more open one until its rules
	 * are in. A kill between any two writes leaves each device in its
	 * old mode or its new one, with the rules both policies share and at
	 * most those of either: never a device more open than both.
	 */
	switch (a) {
	case A_SETTING:
	case A_IFACE:
		return 0;
	case A_CREATE:
		return 1;
	case A_RULE_ADD:
		return 2;
	case A_RULE_ADOPT:
		return 3;
	case A_DEVICE:
		return 4;
	case A_RULE_REMOVE:
		return 5;
	default:
		return 6;
	}
}

#define RANK_MAX 6

/* A device the file declares and the maps lack, published in its mode and rate. */
static int apply_create(const struct ifn_maps *m, const struct step *x, __u32 ifindex, __u64 now)
{
	struct ifn_device d = {};
	int err;

	set_mode(&d, &x->mode, now);
	/* Checked by the parser: cannot fail. */
	err = ifn_device_apply_rate(&d, x->pd->rate.pps, x->pd->rate.bps, x->pd->rate.burst_pkts,
				    x->pd->rate.burst_bytes);
	if (err)
		return err;
	return ifn_device_create_as(m, x->mac, &d, ifindex);
}

/*
 * The run of steps from @i on that are all @a's rules, in one call: batch
 * writes of the exact flows (rules.h). The plan was made from the maps as
 * read under the command lock, so an added rule is known absent and an
 * adopted one known present. Returns the steps done (*err 0) or, on error,
 * the steps from @i that are in effect and are to be undone.
 */
static size_t apply_rule_run(const struct ifn_maps *m, struct step *const *run, size_t nrun,
			     size_t i, int *err)
{
	enum act a = run[i]->a;
	struct ifn_rule *rules;
	size_t n = 0, done = 0;
	long rc;

	/* The step at @i is one of them: n >= 1. */
	do
		n++;
	while (i + n < nrun && run[i + n]->a == a);
	rules = malloc(n * sizeof(*rules));
	if (!rules) {
		*err = -ENOMEM;
		return 0;
	}
	for (size_t j = 0; j < n; j++)
		rules[j] = run[i + j]->rule;
	if (a == A_RULE_REMOVE)
		rc = ifn_rules_remove_many(m, rules, n, &done); /* gone already: skipped */
	else
		rc = ifn_rules_install_many(
			m, rules, n, a == A_RULE_ADD ? IFN_RULES_ABSENT : IFN_RULES_PRESENT, &done);
	free(rules);
	*err = rc < 0 ? (int)rc : 0;
	return *err ? done : n;
}

static int apply_plan(const struct ifn_maps *m, struct plan *pl, const struct cur_state *s,
		      const char *path)
{
	char tmp[PATH_MAX + 16], mb[IFN_MAC_STRLEN], rb[IFN_RULE_STRLEN];
	struct ifn_device *olds;
	__u64 now = ifn_now_mono();
	bool cfg_done = false;
	size_t i, k = 0;
	sigset_t defer, saved;
	struct step **run;
	int err = 0, rank;

	/* Touched only for devices: calloc's fresh pages cost nothing unused. */
	olds = calloc(pl->n ? pl->n : 1, sizeof(*olds));
	/* The report keeps the plan's order; the steps run in this one. */
	run = calloc(pl->n ? pl->n : 1, sizeof(struct step *));
	if (!olds || !run) {
		free(olds);
		free(run);
		return -ENOMEM;
	}
	for (rank = 0; rank <= RANK_MAX; rank++)
		for (i = 0; i < pl->n; i++)
			if (step_rank(pl->v[i].a) == rank)
				run[k++] = &pl->v[i];
	/*
	 * TERM, HUP (a dropped SSH session), INT and QUIT wait until the
	 * writes are done or undone: the load then ends as a whole. Only a
	 * SIGKILL stops it half-way, and the order of the steps covers that.
	 */
	sigemptyset(&defer);
	sigaddset(&defer, SIGTERM);
	sigaddset(&defer, SIGHUP);
	sigaddset(&defer, SIGINT);
	sigaddset(&defer, SIGQUIT);
	sigprocmask(SIG_BLOCK, &defer, &saved);

	if (pl->names_change) {
		err = ifn_mactab_prepare(&pl->names_new, NULL, tmp, sizeof(tmp));
		if (err) {
			fprintf(stderr, "%s: cannot write %s: %s\n", path, ifn_names_path(),
				ifn_strerror(err));
			goto out;
		}
	}
	if (pl->cfg_change) {
		err = ifn_config_write(m, &pl->cfg_new);
		if (err)
			goto fail;
		cfg_done = true;
	}
	for (i = 0; i < pl->n; i++) {
		struct step *x = run[i];
		size_t ran;

		switch (x->a) {
		case A_IFACE:
			err = bpf_map_update_elem(m->ifaces, &x->ifindex, &x->ifc, BPF_EXIST) ?
				      -errno :
				      0;
			break;
		case A_CREATE:
			err = apply_create(m, x, default_ifindex(s), now);
			break;
		case A_RULE_ADD:
		case A_RULE_ADOPT:
		case A_RULE_REMOVE:
			ran = apply_rule_run(m, run, pl->n, i, &err);
			if (!err) {
				i += ran - 1;
				break;
			}
			/* Undo the run's rules in effect, then the steps before it. */
			x = run[i + ran < pl->n ? i + ran : i];
			i += ran;
			break;
		case A_DEVICE:
			err = apply_device(m, x, now, &olds[i]);
			break;
		default:
			break;
		}
		if (err) {
			fprintf(stderr,
				"%s: cannot apply the policy at %s %s: %s; nothing was changed\n",
				path, ifn_fmt_mac(x->mac, mb),
				x->a == A_RULE_ADD || x->a == A_RULE_REMOVE ||
						x->a == A_RULE_ADOPT ?
					ifn_rule_format(&x->rule, rb, sizeof(rb)) :
					"",
				ifn_strerror(err));
			rollback(m, run, i, olds, &s->cfg, cfg_done);
			if (pl->names_change)
				ifn_mactab_abort(tmp);
			goto out;
		}
	}
	if (pl->names_change) {
		err = ifn_mactab_commit(&pl->names_new, tmp, NULL);
		if (err) {
			fprintf(stderr, "%s: cannot write %s: %s; nothing was changed\n", path,
				ifn_names_path(), ifn_strerror(err));
			rollback(m, run, pl->n, olds, &s->cfg, cfg_done);
		}
	}
	goto out;
fail:
	fprintf(stderr, "%s: cannot change the settings: %s\n", path, ifn_strerror(err));
	if (pl->names_change)
		ifn_mactab_abort(tmp);
out:
	sigprocmask(SIG_SETMASK, &saved, NULL);
	free(run);
	free(olds);
	return err;
}

int ifn_policy_apply(const struct ifn_maps *m, const struct ifn_policy *p, const char *path,
		     bool dry_run, FILE *report)
{
	struct perr_ctx pe = { path, 0 };
	char line[STEP_TEXT_MAX];
	struct plan pl = {};
	struct cur_state s;
	__u64 now = ifn_now_mono();
	size_t i, steps;
	int err;

	err = cur_read(m, &s);
	if (err) {
		fprintf(stderr, "%s: cannot read the running state: %s\n", path, ifn_strerror(err));
		cur_free(&s);
		return err;
	}
	/*
	 * Room for the steps at most (each rule of the file and of the maps
	 * once, a few per device and setting): a million-rule plan is made
	 * without copying it over and over.
	 */
	steps = s.n_rules + p->n_settings + p->n_ifaces + 64;
	for (i = 0; i < p->n_devs; i++)
		steps += p->devs[i].n_rules + 4;
	pl.v = malloc(steps * sizeof(*pl.v));
	if (pl.v)
		pl.cap = steps;
	/* The names the file does not own stay as they are. */
	pl.names_new.kind = &ifn_names_kind;
	for (i = 0; !err && i < s.names.n; i++)
		if (ifn_mactab_set(&pl.names_new, s.names.v[i].mac, s.names.v[i].text) < 0)
			err = -ENOMEM;
	if (!err)
		err = plan_settings(p, &s, &pl);
	if (!err)
		err = plan_ifaces(p, &s, &pl, &pe);
	for (i = 0; !err && i < p->n_devs; i++)
		err = plan_device(&p->devs[i], &s, &pl, now);
	if (!err)
		err = plan_removals(p, &s, &pl);
	if (!err && pl.nomem)
		err = -ENOMEM;
	if (!err && pe.n)
		err = -EINVAL;
	if (!err)
		err = check_room(m, &s, &pl, path);
	if (err) {
		if (err == -ENOMEM)
			fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (!dry_run)
		err = apply_plan(m, &pl, &s, path);
	if (!err && report) {
		for (i = 0; i < pl.n; i++) {
			const char *t = step_text(&pl, &pl.v[i], line, sizeof(line));

			if (t)
				fprintf(report, "%s%s\n", dry_run ? "would have " : "", t);
		}
		fprintf(report, "%s: %u added, %u removed, %u changed%s\n", path, pl.added,
			pl.removed, pl.changed, dry_run ? " (dry run: nothing was changed)" : "");
	}
out:
	plan_free(&pl);
	cur_free(&s);
	return err;
}

int ifn_policy_load_file(const struct ifn_maps *m, const char *path, bool dry_run, FILE *report)
{
	struct ifn_policy p;
	int err;

	err = ifn_policy_parse_file(path, &p, NULL);
	if (err)
		return err;
	if (m)
		err = ifn_policy_apply(m, &p, path, dry_run, report);
	ifn_policy_free(&p);
	return err;
}
