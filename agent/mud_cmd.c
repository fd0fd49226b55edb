// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mud_cmd.c - `iotfence mud import|export`. Import makes policy text of a
 * MUD file, parses it with the policy parser and loads it with the policy
 * loader (all or nothing, new rules before old ones go); export writes a
 * device's fingerprint as a MUD file. iotfence.8, MUD.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "devices.h"
#include "errors.h"
#include "format.h"
#include "mud.h"
#include "mud_cmd.h"
#include "mud_export.h"
#include "mud_url.h"
#include "mud_xlat.h"
#include "parse.h"
#include "policy.h"
#include "policy_parse.h"
#include "rules.h"
#include "state.h"

static void print_err(void *ctx, const char *path, const char *msg)
{
	fprintf(stderr, "%s: %s: %s\n", (const char *)ctx, path, msg);
}

/* Line -> statement, to name the JSON node of a line the parser refuses. */
struct text_map {
	const struct ifn_mud_xlat *x;
	const char *file;
	size_t first_line; /* the line of statement 0 of each device block */
	size_t block; /* lines per device block */
	size_t head; /* lines before the first block */
};

static void parse_err(void *ctx, unsigned int line, const char *msg)
{
	const struct text_map *tm = ctx;
	size_t i;

	if (line > tm->head && tm->block) {
		i = (line - tm->head - 1) % tm->block;
		if (i >= 1 && i - 1 < tm->x->n) {
			const struct ifn_mud_stmt *s = &tm->x->v[i - 1];

			fprintf(stderr, "%s: %s: 'allow %s': the policy grammar refuses it: %s\n",
				tm->file, s->path[0] ? s->path : "(the DNS and NTP default)",
				s->text, msg);
			return;
		}
	}
	fprintf(stderr, "%s: policy line %u: %s\n", tm->file, line, msg);
}

char *ifn_mud_policy_text(const struct ifn_mud_xlat *x, const __u8 (*macs)[6], size_t nmacs,
			  const char *file, size_t *len)
{
	char *buf = NULL, mb[IFN_MAC_STRLEN];
	size_t i, d;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	/* One header line, then blocks of 1 + n lines: parse_err counts on it. */
	fprintf(f, "# from %s (%s)\n", file, x->url);
	for (d = 0; d < nmacs; d++) {
		fprintf(f, "device %s\n", ifn_fmt_mac(macs[d], mb));
		for (i = 0; i < x->n; i++)
			fprintf(f, "\tallow %s\t# %s\n", x->v[i].text,
				x->v[i].path[0] ? x->v[i].path : "RFC 8520 default: DNS and NTP");
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int ifn_mud_parse_text(const struct ifn_mud_xlat *x, const char *text, size_t len, const char *file,
		       struct ifn_policy *p)
{
	struct text_map tm = { .x = x, .file = file, .head = 1, .block = x->n + 1 };
	int rc = ifn_policy_parse(text, len, p, parse_err, &tm);

	if (rc > 0)
		return -EINVAL;
	if (rc == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", file);
	return rc;
}

static int cmp_rule_origin(const void *a, const void *b)
{
	return ifn_rule_cmp(a, b);
}

/* A device the state does not have yet, at the end (sorted in later). */
static struct ifn_pol_dev *add_dev(struct ifn_policy *p, const __u8 mac[6])
{
	struct ifn_pol_dev *nd = realloc(p->devs, (p->n_devs + 1) * sizeof(*p->devs));

	if (!nd)
		return NULL;
	p->devs = nd;
	nd = &p->devs[p->n_devs++];
	memset(nd, 0, sizeof(*nd));
	memcpy(nd->mac, mac, 6);
	return nd;
}

int ifn_mud_merge_into(struct ifn_policy *out, const struct ifn_policy *imp)
{
	size_t i, j;

	for (i = 0; i < imp->n_devs; i++) {
		const struct ifn_pol_dev *id = &imp->devs[i];
		struct ifn_pol_dev *d = ifn_policy_find(out, id->mac);
		struct ifn_pol_rule *nr;
		size_t keep = 0;

		if (!d)
			d = add_dev(out, id->mac);
		if (!d) {
			return -ENOMEM;
		}
		nr = calloc(d->n_rules + id->n_rules + 1, sizeof(*nr));
		if (!nr) {
			return -ENOMEM;
		}
		/* Learned entries stay; manual and policy rules are the file's. */
		for (j = 0; j < d->n_rules; j++) {
			__u8 o = d->rules[j].r.origin;

			if (o == IFN_ORIGIN_LEARNED || o == IFN_ORIGIN_GENERALISED)
				nr[keep++] = d->rules[j];
		}
		for (j = 0; j < id->n_rules; j++) {
			size_t k;

			for (k = 0; k < keep; k++)
				if (ifn_rule_same(&nr[k].r, &id->rules[j].r))
					break;
			nr[k] = id->rules[j]; /* a learned one becomes a policy rule */
			if (k == keep)
				keep++;
		}
		free(d->rules);
		d->rules = nr;
		d->n_rules = keep;
		d->cap_rules = keep;
		if (keep > 1)
			qsort(d->rules, keep, sizeof(*d->rules), cmp_rule_origin);
		/* Sorted by MAC, for ifn_policy_find. */
		for (j = out->n_devs - 1;
		     j > 0 && memcmp(out->devs[j].mac, out->devs[j - 1].mac, 6) < 0; j--) {
			struct ifn_pol_dev t = out->devs[j];

			out->devs[j] = out->devs[j - 1];
			out->devs[j - 1] = t;
		}
	}
	return 0;
}

/*
 * The running state as a policy that changes nothing, with the imported
 * devices' allow rules replaced: a device the MUD file does not name must
 * keep every rule, mode and rate it has (a plain policy file would take
 * away the rules an earlier policy gave it).
 */
int ifn_mud_merge(const struct ifn_maps *m, const struct ifn_policy *imp, struct ifn_policy *out)
{
	struct ifn_rule *cur = NULL;
	size_t ncur = 0, i, j;
	int err;

	err = ifn_policy_from_state(m, out);
	if (err)
		return err;
	err = ifn_rules_read(m, NULL, &cur, &ncur);
	if (err)
		goto fail;
	out->n_settings = 0;
	out->n_ifaces = 0;
	out->newdev.set = false;
	for (i = 0; i < out->n_devs; i++) {
		struct ifn_pol_dev *d = &out->devs[i];

		d->mode.set = false;
		/* The rules as they are, with their own origin (from_state says policy). */
		for (j = 0; j < d->n_rules; j++) {
			const struct ifn_rule *c = ncur ? bsearch(&d->rules[j].r, cur, ncur,
								  sizeof(*cur), cmp_rule_origin) :
							  NULL;

			if (c)
				d->rules[j].r.origin = c->origin;
		}
	}
	err = ifn_mud_merge_into(out, imp);
	if (err)
		goto fail;
	free(cur);
	return 0;
fail:
	free(cur);
	ifn_policy_free(out);
	return err;
}

static int map_add(struct ifn_mud_map_entry **map, size_t *n, enum ifn_mud_abstr kind,
		   const char *key, const char *peer)
{
	struct ifn_mud_map_entry *v = realloc(*map, (*n + 1) * sizeof(**map));

	if (!v)
		return -ENOMEM;
	*map = v;
	memset(&v[*n], 0, sizeof(v[*n]));
	v[*n].kind = kind;
	snprintf(v[*n].key, sizeof(v[*n].key), "%s", key);
	snprintf(v[*n].peer, sizeof(v[*n].peer), "%s", peer);
	(*n)++;
	return 0;
}

int ifn_mud_auto_map(const struct ifn_maps *m, struct ifn_mud_map_entry **map, size_t *n)
{
	struct ifn_mactab u;
	size_t i;
	int err = ifn_mactab_load(&u, &ifn_mud_urls_kind, NULL);

	for (i = 0; !err && i < u.n; i++) {
		char auth[IFN_MUD_URL_MAX + 1], ip[48];
		struct ifn_device dev;
		const char *a;

		if (ifn_device_get(m, u.v[i].mac, &dev) ||
		    !(a = ifn_device_ipv4(&dev, ip, sizeof(ip))) ||
		    ifn_mud_url_authority(u.v[i].text, auth, sizeof(auth)))
			continue;
		/* The file's own authority decides same-manufacturer (mud.c). */
		err = map_add(map, n, IFN_MUD_MANUFACTURER, auth, a);
		if (!err)
			err = map_add(map, n, IFN_MUD_SAME_MANUFACTURER, auth, a);
		if (!err)
			err = map_add(map, n, IFN_MUD_MODEL, u.v[i].text, a);
	}
	ifn_mactab_free(&u);
	return err;
}

int ifn_mud_translate_file(const char *file, json_t *root, const struct ifn_mud_opts *o,
			   struct ifn_mud_xlat *x)
{
	unsigned int bad = ifn_mud_validate(root, print_err, (void *)file);
	int rc;

	if (bad) {
		fprintf(stderr, "%s: %u error%s: not a MUD file as RFC 8520 defines it\n", file,
			bad, bad == 1 ? "" : "s");
		return -EINVAL;
	}
	rc = ifn_mud_translate(root, o, x, print_err, (void *)file);
	if (rc > 0) {
		fprintf(stderr, "%s: %d node%s refused: nothing was imported\n", file, rc,
			rc == 1 ? "" : "s");
		ifn_mud_xlat_free(x);
		return -EINVAL;
	}
	if (rc == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", file);
	return rc;
}

int ifn_mud_import_apply(const struct ifn_maps *m, const char *file, const struct ifn_mud_xlat *x,
			 const __u8 (*macs)[6], size_t nmacs, bool dry_run, FILE *report)
{
	struct ifn_policy p, merged;
	size_t len;
	char *text;
	int err;

	text = ifn_mud_policy_text(x, macs, nmacs, file, &len);
	if (!text)
		return -ENOMEM;
	err = ifn_mud_parse_text(x, text, len, file, &p);
	free(text);
	if (err) {
		fprintf(stderr, "%s: nothing was imported\n", file);
		return err;
	}
	err = ifn_mud_merge(m, &p, &merged);
	ifn_policy_free(&p);
	if (err) {
		fprintf(stderr, "%s: cannot read the running state: %s\n", file, ifn_strerror(err));
		return err;
	}
	err = ifn_policy_apply(m, &merged, file, dry_run, report);
	ifn_policy_free(&merged);
	return err;
}

static int devices_by_url(const char *url, __u8 (**macs)[6], size_t *n)
{
	struct ifn_mactab u;
	size_t i;
	int err = ifn_mactab_load(&u, &ifn_mud_urls_kind, NULL);

	*macs = NULL;
	*n = 0;
	if (err)
		return err;
	*macs = calloc(u.n + 1, sizeof(**macs));
	if (!*macs) {
		ifn_mactab_free(&u);
		return -ENOMEM;
	}
	for (i = 0; i < u.n; i++)
		if (!strcmp(u.v[i].text, url))
			memcpy((*macs)[(*n)++], u.v[i].mac, 6);
	ifn_mactab_free(&u);
	return 0;
}

static int cmd_import(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_mud_opts o = {};
	struct ifn_mud_map_entry *map = NULL;
	const char *url = NULL, *map_path = NULL, *file;
	bool dry_run = false, print = false, have_mac = false;
	__u8 mac[6], (*macs)[6] = NULL;
	struct ifn_mud_xlat x;
	size_t nmacs = 0;
	struct ifn_maps m;
	json_t *root;
	int opt, err, lock, rc = IFN_EXIT_FAIL;

	optind = 1;
	while ((opt = ifn_getopt(c, "import", argc, argv)) != -1) {
		switch (opt) {
		case 'd':
			if (ifn_arg_mac(c, optarg, mac))
				return IFN_EXIT_USAGE;
			have_mac = true;
			break;
		case 'u':
			url = optarg;
			break;
		case 'm':
			map_path = optarg;
			break;
		case 'N':
			o.no_defaults = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'p':
			print = true;
			break;
		default:
			return ifn_opt_error(c, argv);
		}
	}
	if (optind != argc - 1)
		return ifn_usage_error(c, optind >= argc ? "import needs a FILE" :
							   "too many arguments");
	if (have_mac && url)
		return ifn_usage_error(c, "--device and --url exclude each other");
	if (url && !ifn_mud_url_valid(url))
		return ifn_usage_error(c, "--url: '%s' is not an https URL", url);
	file = argv[optind];
	if (map_path && ifn_mud_map_load(map_path, &map, &o.n_map))
		return IFN_EXIT_FAIL;
	o.map = map;
	root = ifn_mud_load(file);
	if (!root) {
		free(map);
		return IFN_EXIT_FAIL;
	}
	if (!print && (ifn_check_privileges() || ifn_maps_open_locked(&m, &lock))) {
		json_decref(root);
		free(map);
		return IFN_EXIT_FAIL;
	}
	/* The devices seen with a MUD URL stand for manufacturer, model, same-manufacturer. */
	err = print ? 0 : ifn_mud_auto_map(&m, &map, &o.n_map);
	o.map = map;
	if (!err)
		err = ifn_mud_translate_file(file, root, &o, &x);
	else
		ifn_err("cannot read the devices' MUD URLs: %s", ifn_strerror(err));
	json_decref(root);
	free(map);
	if (err) {
		if (!print)
			ifn_maps_close_locked(&m, lock);
		return IFN_EXIT_FAIL;
	}
	if (print) {
		/* No state needed: the statements, checked by the parser. */
		static const __u8 placeholder[1][6] = { { 0x02, 0, 0, 0, 0, 0x01 } };
		struct ifn_policy p;
		size_t len;
		char *text = ifn_mud_policy_text(
			&x, have_mac ? (const __u8(*)[6]) & mac : placeholder, 1, file, &len);

		if (!text) {
			ifn_mud_xlat_free(&x);
			return IFN_EXIT_FAIL;
		}
		fputs(text, stdout);
		err = ifn_mud_parse_text(&x, text, len, file, &p);
		free(text);
		if (!err)
			ifn_policy_free(&p);
		ifn_mud_xlat_free(&x);
		return err ? IFN_EXIT_FAIL : IFN_EXIT_OK;
	}
	if (have_mac) {
		macs = calloc(1, sizeof(*macs));
		if (macs) {
			memcpy(macs[0], mac, 6);
			nmacs = 1;
		}
		err = macs ? 0 : -ENOMEM;
	} else {
		if (!url)
			url = x.url;
		err = devices_by_url(url, &macs, &nmacs);
		if (!err && !nmacs) {
			ifn_err("no device has announced the MUD URL %s (see 'iotfence devices'; or "
				"give --device MAC)",
				url);
			err = -ENOENT;
		}
	}
	if (err && err != -ENOENT)
		ifn_err("cannot read %s: %s", ifn_mud_urls_path(), ifn_strerror(err));
	if (!err) {
		if (dry_run) {
			size_t len;
			char *text =
				ifn_mud_policy_text(&x, (const __u8(*)[6])macs, nmacs, file, &len);

			if (text)
				fputs(text, stdout);
			free(text);
		}
		err = ifn_mud_import_apply(&m, file, &x, (const __u8(*)[6])macs, nmacs, dry_run,
					   stdout);
		if (!err)
			rc = IFN_EXIT_OK;
	}
	ifn_maps_close_locked(&m, lock);
	free(macs);
	ifn_mud_xlat_free(&x);
	return rc;
}

static void print_verr(void *ctx, const char *path, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "iotfence: export: %s: %s\n", path, msg);
}

static int cmd_export(const struct ifn_cmd *c, int argc, char **argv)
{
	char mb[IFN_MAC_STRLEN], info[64];
	const char *url = NULL;
	struct ifn_mactab u = {};
	struct ifn_dev_view v;
	struct ifn_rule *rules = NULL;
	size_t n = 0, skipped = 0;
	struct ifn_maps m;
	struct timespec ts;
	json_t *doc = NULL;
	__u8 mac[6];
	int opt, lock, err, rc = IFN_EXIT_FAIL;

	optind = 1;
	while ((opt = ifn_getopt(c, "export", argc, argv)) != -1) {
		if (opt != 'u')
			return ifn_opt_error(c, argv);
		url = optarg;
	}
	if (optind != argc - 1)
		return ifn_usage_error(c, optind >= argc ? "export needs a MAC" :
							   "too many arguments");
	if (ifn_arg_mac(c, argv[optind], mac))
		return IFN_EXIT_USAGE;
	if (url && !ifn_mud_url_valid(url))
		return ifn_usage_error(c, "--url: '%s' is not an https URL", url);
	ifn_fmt_mac(mac, mb);
	if (ifn_check_privileges() || ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	err = ifn_device_read(&m, mac, &v);
	if (err == -ENOENT) {
		ifn_err("unknown device %s (see 'iotfence devices')", mb);
		goto out;
	}
	if (!err)
		err = ifn_rules_read(&m, mac, &rules, &n);
	if (!err && !url) {
		err = ifn_mactab_load(&u, &ifn_mud_urls_kind, NULL);
		url = err ? NULL : ifn_mactab_get(&u, mac);
		if (!err && !url) {
			ifn_err("%s has announced no MUD URL: give the file's with --url URL", mb);
			goto out;
		}
	}
	if (err) {
		ifn_err("cannot read %s: %s", mb, ifn_strerror(err));
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(info, sizeof(info), "iotfence fingerprint of %s", mb);
	doc = ifn_mud_export(rules, n, url, info, (__u64)ts.tv_sec * 1000000000ULL, &skipped);
	if (!doc) {
		ifn_err("out of memory");
		goto out;
	}
	/* What we write must be what we would accept. */
	if (ifn_mud_validate(doc, print_verr, NULL)) {
		ifn_err("the MUD file made for %s is not valid (a bug): nothing written", mb);
		goto out;
	}
	if (skipped)
		ifn_warn("%zu rule%s of %s left out: MUD ACLs match IPv4 and IPv6 with TCP, UDP "
			 "and ICMP only, and names without wildcards",
			 skipped, skipped == 1 ? "" : "s", mb);
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ||
	    fputc('\n', stdout) == EOF || fflush(stdout)) {
		ifn_err("cannot write: %s", strerror(errno));
		goto out;
	}
	rc = IFN_EXIT_OK;
out:
	json_decref(doc);
	free(rules);
	ifn_mactab_free(&u);
	ifn_maps_close_locked(&m, lock);
	return rc;
}

int ifn_cmd_mud(const struct ifn_cmd *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return ifn_usage_error(c, "missing import or export");
	if (!strcmp(sub, "import"))
		return cmd_import(c, argc - 1, argv + 1);
	if (!strcmp(sub, "export"))
		return cmd_export(c, argc - 1, argv + 1);
	return ifn_usage_error(c, "unknown subcommand '%s' (import, export)", sub);
}
