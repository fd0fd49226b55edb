// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy.c - a parsed policy against the running state: the change a load
 * makes, all or nothing, make before break (what it would change, the plan,
 * is policy_plan.c's); and the running state as a policy (show, save). The
 * rules of ownership, which the plan follows, are in iotfence.8, POLICY FILES:
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "errors.h"
#include "format.h"
#include "policy.h"
#include "policy_names.h"
#include "policy_parse.h"
#include "policy_plan.h"
#include "rules.h"
#include "settings.h"

/* ---- the state as a policy (show, save) ---- */

int ifn_policy_from_state(const struct ifn_maps *m, struct ifn_policy *p)
{
	struct pol_cur s;
	__u64 now = ifn_now_mono();
	size_t i, r;
	int err;

	memset(p, 0, sizeof(*p));
	err = pol_cur_read(m, &s);
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
		pol_effective(&dev, now);
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
	pol_cur_free(&s);
	if (err)
		ifn_policy_free(p);
	return err;
}

/* ---- applying the plan, with its undo ---- */

static __u32 default_ifindex(const struct pol_cur *s)
{
	/* With one interface a new device surely lives there; otherwise unknown. */
	return s->n_ifaces == 1 ? s->if_keys[0] : 0;
}

static int apply_device(const struct ifn_maps *m, const struct pol_step *x, __u64 now,
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

		pol_effective(&want, now);
		if (want.mode == IFN_MODE_QUARANTINE && x->mode.mode != IFN_MODE_QUARANTINE &&
		    old->mode != IFN_MODE_QUARANTINE)
			break;
		pol_set_mode(&want, &x->mode, now);
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
static void rollback(const struct ifn_maps *m, struct pol_step *const *run, size_t upto,
		     const struct ifn_device *olds, const struct ifn_config *cfg_old, bool cfg_done)
{
	size_t i = upto;

	while (i-- > 0) {
		struct pol_step *x = run[i];

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

static int step_rank(enum pol_act a)
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
static int apply_create(const struct ifn_maps *m, const struct pol_step *x, __u32 ifindex,
			__u64 now)
{
	struct ifn_device d = {};
	int err;

	pol_set_mode(&d, &x->mode, now);
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
static size_t apply_rule_run(const struct ifn_maps *m, struct pol_step *const *run, size_t nrun,
			     size_t i, int *err)
{
	enum pol_act a = run[i]->a;
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

static int apply_plan(const struct ifn_maps *m, struct pol_plan *pl, const struct pol_cur *s,
		      const char *path)
{
	char tmp[PATH_MAX + 16], mb[IFN_MAC_STRLEN], rb[IFN_RULE_STRLEN];
	struct ifn_device *olds;
	__u64 now = ifn_now_mono();
	bool cfg_done = false;
	size_t i, k = 0;
	sigset_t defer, saved;
	struct pol_step **run;
	int err = 0, rank;

	/* Touched only for devices: calloc's fresh pages cost nothing unused. */
	olds = calloc(pl->n ? pl->n : 1, sizeof(*olds));
	/* The report keeps the plan's order; the steps run in this one. */
	run = calloc(pl->n ? pl->n : 1, sizeof(struct pol_step *));
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
		struct pol_step *x = run[i];
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
	char line[POL_STEP_TEXT_MAX];
	struct pol_plan pl = {};
	struct pol_cur s;
	__u64 now = ifn_now_mono();
	size_t i;
	int err;

	err = pol_cur_read(m, &s);
	if (err) {
		fprintf(stderr, "%s: cannot read the running state: %s\n", path, ifn_strerror(err));
		pol_cur_free(&s);
		return err;
	}
	err = pol_plan_make(m, p, &s, path, now, &pl);
	if (err) {
		if (err == -ENOMEM)
			fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (!dry_run)
		err = apply_plan(m, &pl, &s, path);
	if (!err && report) {
		for (i = 0; i < pl.n; i++) {
			const char *t = pol_step_text(&pl, &pl.v[i], line, sizeof(line));

			if (t)
				fprintf(report, "%s%s\n", dry_run ? "would have " : "", t);
		}
		fprintf(report, "%s: %u added, %u removed, %u changed%s\n", path, pl.added,
			pl.removed, pl.changed, dry_run ? " (dry run: nothing was changed)" : "");
	}
out:
	pol_plan_free(&pl);
	pol_cur_free(&s);
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
