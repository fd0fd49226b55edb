// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy_cmd.c - `iotfence policy check|load|save|show|generalise`. Only
 * check works without privileges: it reads the file and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "devices.h"
#include "errors.h"
#include "file.h"
#include "format.h"
#include "generalise.h"
#include "parse.h"
#include "policy.h"
#include "policy_parse.h"
#include "state.h"

static int cmd_check(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_policy p;
	unsigned int nerr;
	size_t i, rules = 0;
	int err;

	if (argc != 2)
		return ifn_usage_error(c, argc < 2 ? "check needs a FILE" : "too many arguments");
	err = ifn_policy_parse_file(argv[1], &p, &nerr);
	/* The count of errors in the file's lines; a file not read has said why. */
	if (err == -EINVAL && nerr) {
		fprintf(stderr, "%s: %u error%s\n", argv[1], nerr, nerr == 1 ? "" : "s");
		return IFN_EXIT_FAIL;
	}
	if (err)
		return IFN_EXIT_FAIL;
	for (i = 0; i < p.n_devs; i++)
		rules += p.devs[i].n_rules;
	printf("%s: ok (%zu setting%s, %zu interface%s, %zu device%s, %zu rule%s)\n", argv[1],
	       p.n_settings, p.n_settings == 1 ? "" : "s", p.n_ifaces, p.n_ifaces == 1 ? "" : "s",
	       p.n_devs, p.n_devs == 1 ? "" : "s", rules, rules == 1 ? "" : "s");
	ifn_policy_free(&p);
	return IFN_EXIT_OK;
}

static int cmd_load(const struct ifn_cmd *c, int argc, char **argv)
{
	bool dry_run = false;
	const char *path = NULL;
	struct ifn_policy p;
	struct ifn_maps m;
	int i, lock, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return ifn_usage_error(c, "unknown option '%s'", argv[i]);
		else if (path)
			return ifn_usage_error(c, "too many arguments");
		else
			path = argv[i];
	}
	if (!path)
		return ifn_usage_error(c, "load needs a FILE");
	/* The file first: a bad one needs neither privileges nor state. */
	err = ifn_policy_parse_file(path, &p, NULL);
	if (err)
		return IFN_EXIT_FAIL;
	if (ifn_check_privileges() || ifn_maps_open_locked(&m, &lock)) {
		ifn_policy_free(&p);
		return IFN_EXIT_FAIL;
	}
	err = ifn_policy_apply(&m, &p, path, dry_run, stdout);
	ifn_maps_close_locked(&m, lock);
	ifn_policy_free(&p);
	return err ? IFN_EXIT_FAIL : IFN_EXIT_OK;
}

static void fill_policy(FILE *f, const void *p)
{
	ifn_policy_write(p, f);
}

/* Temp file next to @path, then rename: a reader never sees half a policy. */
static int write_atomic(const char *path, const struct ifn_policy *p)
{
	char tmp[PATH_MAX + 16];
	mode_t um = umask(0);
	int err;

	umask(um);
	err = ifn_file_prepare(path, "policy", 0644 & ~um, fill_policy, p, tmp, sizeof(tmp));
	return err ? err : ifn_file_commit(tmp, path);
}

static int cmd_save_show(const struct ifn_cmd *c, int argc, char **argv, bool save)
{
	struct ifn_policy p;
	struct ifn_maps m;
	int lock, err;

	if (save && argc != 2)
		return ifn_usage_error(c, argc < 2 ? "save needs a FILE" : "too many arguments");
	if (!save && argc != 1)
		return ifn_usage_error(c, "show takes no arguments (save FILE writes a file)");
	if (ifn_check_privileges() || ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	err = ifn_policy_from_state(&m, &p);
	ifn_maps_close_locked(&m, lock);
	if (err) {
		ifn_err("cannot read the running state: %s", ifn_strerror(err));
		return IFN_EXIT_FAIL;
	}
	if (save) {
		err = write_atomic(argv[1], &p);
		if (err)
			ifn_err("cannot write %s: %s", argv[1], ifn_strerror(err));
		else
			printf("saved the policy of %zu device%s to %s\n", p.n_devs,
			       p.n_devs == 1 ? "" : "s", argv[1]);
	} else {
		ifn_policy_write(&p, stdout);
		if (fflush(stdout))
			err = -errno;
	}
	ifn_policy_free(&p);
	return err ? IFN_EXIT_FAIL : IFN_EXIT_OK;
}

static int cmd_generalise(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_gen_opts o;
	struct ifn_dev_view *v = NULL;
	bool dry_run = false, all = false;
	char err[IFN_ERRLEN];
	struct ifn_maps m;
	size_t n = 0, i;
	__u8 mac[6];
	int opt, lock, rc = 0, made = 0;

	ifn_gen_defaults(&o);
	optind = 1;
	while ((opt = ifn_getopt(c, "generalise", argc, argv)) != -1) {
		const char *key = opt == 'p' ? "generalise-peers" :
				  opt == 'P' ? "generalise-ports" :
				  opt == '4' ? "generalise-prefix-v4" :
					       "generalise-prefix-v6";

		if (opt == 'n') {
			dry_run = true;
			continue;
		}
		if (opt == '?')
			return ifn_usage_error(c, "unknown option '%s'", argv[optind - 1]);
		if (ifn_gen_opt_apply(&o, key, optarg, err, sizeof(err)))
			return ifn_usage_error(c, "%s", err);
	}
	if (optind != argc - 1)
		return ifn_usage_error(c, optind >= argc ? "generalise needs a MAC (or 'all')" :
							   "too many arguments");
	if (!strcasecmp(argv[optind], "all"))
		all = true;
	else if (ifn_arg_mac(c, argv[optind], mac))
		return IFN_EXIT_USAGE;
	if (ifn_check_privileges() || ifn_maps_open_locked(&m, &lock))
		return IFN_EXIT_FAIL;
	if (all) {
		rc = ifn_devices_read(&m, &v, &n);
	} else {
		v = calloc(1, sizeof(*v));
		n = 1;
		rc = v ? ifn_device_read(&m, mac, v) : -ENOMEM;
		if (rc == -ENOENT) {
			char mb[IFN_MAC_STRLEN];

			ifn_err("unknown device %s (see 'iotfence devices')", ifn_fmt_mac(mac, mb));
			free(v);
			ifn_maps_close_locked(&m, lock);
			return IFN_EXIT_FAIL;
		}
	}
	for (i = 0; !rc && i < n; i++) {
		int r = dry_run ? ifn_generalise_preview(&m, v[i].mac, &o, stdout) :
				  ifn_generalise(&m, v[i].mac, &o, stdout);

		if (r < 0)
			rc = r;
		else
			made += r;
	}
	ifn_maps_close_locked(&m, lock);
	free(v);
	if (rc) {
		ifn_err("cannot generalise: %s", ifn_strerror(rc));
		return IFN_EXIT_FAIL;
	}
	printf("%d rule%s %s\n", made, made == 1 ? "" : "s",
	       dry_run ? "would be made (dry run: nothing was changed)" : "made");
	return IFN_EXIT_OK;
}

int ifn_cmd_policy(const struct ifn_cmd *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return ifn_usage_error(c, "missing check, load, save, show or generalise");
	if (!strcmp(sub, "check"))
		return cmd_check(c, argc - 1, argv + 1);
	if (!strcmp(sub, "load"))
		return cmd_load(c, argc - 1, argv + 1);
	if (!strcmp(sub, "save"))
		return cmd_save_show(c, argc - 1, argv + 1, true);
	if (!strcmp(sub, "show"))
		return cmd_save_show(c, argc - 1, argv + 1, false);
	if (!strcmp(sub, "generalise") || !strcmp(sub, "generalize"))
		return cmd_generalise(c, argc - 1, argv + 1);
	return ifn_usage_error(c, "unknown subcommand '%s' (check, load, save, show, generalise)",
			       sub);
}
