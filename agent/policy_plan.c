// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy_plan.c - what a policy load would change: the running state read
 * once, and the steps from it to the file, each with its report line.
 * Nothing here writes a map; policy.c applies the steps (the rules of
 * ownership are there and in iotfence.8, POLICY FILES).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "format.h"
#include "grow.h"
#include "policy_names.h"
#include "policy_parse.h"
#include "policy_plan.h"
#include "rules.h"
#include "settings.h"

/* ---- the running state ---- */

void pol_cur_free(struct pol_cur *s)
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

int pol_cur_read(const struct ifn_maps *m, struct pol_cur *s)
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

static const struct ifn_device *cur_dev(const struct pol_cur *s, const __u8 mac[6])
{
	const struct ifn_mac_key *k;
	struct ifn_mac_key key = {};

	if (!s->n_devs)
		return NULL;
	memcpy(key.mac, mac, 6);
	k = bsearch(&key, s->dev_keys, s->n_devs, sizeof(key), cmp_mac_key);
	return k ? &s->dev_vals[k - s->dev_keys] : NULL;
}

static const struct ifn_rule *cur_rule(const struct pol_cur *s, const struct ifn_rule *r)
{
	return s->n_rules ? bsearch(r, s->rules, s->n_rules, sizeof(*r), ifn_rule_cmp) : NULL;
}

/* A deadline that has passed is the next mode already (as the datapath will see it). */
void pol_effective(struct ifn_device *d, __u64 now)
{
	__u64 until = ifn_mw_until(d->mode_word);

	if (until && now >= until)
		d->mode_word = ifn_mode_word(d->mode_after, d->mode_after, 0);
}

/* ---- a policy against the state: the plan ---- */

/* Set a step's report line. Out of memory: it has none, and the plan fails. */
static __attribute__((format(printf, 3, 4))) void
step_printf(struct pol_plan *pl, struct pol_step *x, const char *fmt, ...)
{
	char buf[POL_STEP_TEXT_MAX];
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
const char *pol_step_text(const struct pol_plan *pl, const struct pol_step *x, char *buf,
			  size_t len)
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

static struct pol_step *push(struct pol_plan *pl, enum pol_act a)
{
	struct pol_step *s;

	if (ifn_grow((void **)&pl->v, &pl->cap, pl->n + 1, sizeof(*pl->v), 64))
		return NULL;
	s = &pl->v[pl->n++];
	memset(s, 0, sizeof(*s));
	s->a = a;
	return s;
}

void pol_plan_free(struct pol_plan *pl)
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
void pol_set_mode(struct ifn_device *d, const struct ifn_pol_mode *pm, __u64 now)
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

static int plan_settings(const struct ifn_policy *p, const struct pol_cur *s, struct pol_plan *pl)
{
	char before[64], after[64];
	size_t i;

	pl->cfg_new = s->cfg;
	for (i = 0; i < p->n_settings; i++) {
		const struct ifn_pol_setting *st = &p->settings[i];
		struct pol_step *x;

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
		struct pol_step *x = push(pl, A_SETTING);
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

static int plan_ifaces(const struct ifn_policy *p, const struct pol_cur *s, struct pol_plan *pl,
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
		struct pol_step *x;

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

static void count_new(struct pol_plan *pl, const struct ifn_rule *r)
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

static int plan_device(const struct ifn_pol_dev *pd, const struct pol_cur *s, struct pol_plan *pl,
		       __u64 now)
{
	char mb[IFN_MAC_STRLEN], t1[96], t2[96];
	const struct ifn_device *cur = cur_dev(s, pd->mac);
	const char *old_name = ifn_mactab_get(&s->names, pd->mac);
	struct ifn_device eff = {}, want;
	struct ifn_pol_mode pm = pd->mode;
	bool mode_change = false, rate_change;
	struct pol_step *x;
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
		 * Created in its mode and rate (apply_create(), policy.c), before its
		 * rules: until they are in it is closer than the file says,
		 * never more open, whenever the load stops.
		 */
		x->mode = pm;
	} else {
		eff = *cur;
		pol_effective(&eff, now);
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
		/* Their report lines are made as they are printed (pol_step_text()). */
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
			pol_set_mode(&want, &pm, now);
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
			char line[POL_STEP_TEXT_MAX];
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

static int plan_removals(const struct ifn_policy *p, const struct pol_cur *s, struct pol_plan *pl)
{
	size_t i;

	for (i = 0; i < s->n_rules; i++) {
		const struct ifn_rule *cr = &s->rules[i];
		const struct ifn_pol_dev *pd = ifn_policy_find(p, cr->mac);
		bool go;
		struct pol_step *x;

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

static int check_room(const struct ifn_maps *m, const struct pol_cur *s, const struct pol_plan *pl,
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

int pol_plan_make(const struct ifn_maps *m, const struct ifn_policy *p, const struct pol_cur *s,
		  const char *path, __u64 now, struct pol_plan *pl)
{
	struct perr_ctx pe = { path, 0 };
	size_t i, steps;
	int err = 0;

	memset(pl, 0, sizeof(*pl));
	/*
	 * Room for the steps at most (each rule of the file and of the maps
	 * once, a few per device and setting): a million-rule plan is made
	 * without copying it over and over. Without the room, push() grows.
	 */
	steps = s->n_rules + p->n_settings + p->n_ifaces + 64;
	for (i = 0; i < p->n_devs; i++)
		steps += p->devs[i].n_rules + 4;
	(void)ifn_grow((void **)&pl->v, &pl->cap, steps, sizeof(*pl->v), steps);
	/* The names the file does not own stay as they are. */
	pl->names_new.kind = &ifn_names_kind;
	for (i = 0; !err && i < s->names.n; i++)
		if (ifn_mactab_set(&pl->names_new, s->names.v[i].mac, s->names.v[i].text) < 0)
			err = -ENOMEM;
	if (!err)
		err = plan_settings(p, s, pl);
	if (!err)
		err = plan_ifaces(p, s, pl, &pe);
	for (i = 0; !err && i < p->n_devs; i++)
		err = plan_device(&p->devs[i], s, pl, now);
	if (!err)
		err = plan_removals(p, s, pl);
	if (!err && pl->nomem)
		err = -ENOMEM;
	if (!err && pe.n)
		err = -EINVAL;
	if (!err)
		err = check_room(m, s, pl, path);
	return err;
}
