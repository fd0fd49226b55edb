/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * config.h - the daemon's configuration file (iotfence.8, DAEMON).
 *
 * One setting per line, "key value...", words separated by blanks, '#'
 * starts a comment. Parsing is pure (no maps, no interfaces looked up), so
 * that a file is checked completely before the daemon changes anything,
 * and every error names FILE:LINE.
 */
#ifndef IFN_CONFIG_H
#define IFN_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "generalise.h"
#include "iotfence.h"
#include "lifecycle.h"

#define IFN_CONF_DEFAULT_PATH "/etc/iotfence/iotfence.conf"
#define IFN_CONF_METRICS_FILE "iotfence.prom" /* in the state directory */
#define IFN_CONF_MAX_SETTINGS 16

struct ifn_conf_iface {
	char name[16];
	enum ifn_attach_mode mode;
	bool have_new_devices, have_learn;
	__u8 new_devices; /* enum ifn_mode */
	__u64 learn_ns;
	unsigned int line;
};

/* A run-time setting (settings.h), applied over what is pinned. */
struct ifn_conf_setting {
	char key[24];
	char value[64];
	unsigned int line;
};

struct ifn_daemon_conf {
	char path[PATH_MAX];
	struct ifn_conf_iface ifaces[IFN_MAX_IFACES];
	unsigned int n_ifaces;
	struct ifn_conf_setting settings[IFN_CONF_MAX_SETTINGS];
	unsigned int n_settings;
	char metrics_file[PATH_MAX]; /* empty: in the state directory */
	__u64 metrics_interval_ns; /* 0: no metrics */
	__u64 snapshot_interval_ns; /* 0: only when the daemon exits */
	bool syslog; /* events to syslog too */
	bool events_stdout; /* events as JSON lines on stdout */
	bool detach_on_exit;
	__u32 max_devices, max_flows, max_rules; /* 0: defaults */
	char policy[PATH_MAX]; /* a policy file to load, "": none */
	char mud_dir[PATH_MAX]; /* MUD profiles by URL (iotfence.8, MUD), "": none */
	bool generalise; /* generalise a device whose learning ends */
	struct ifn_gen_opts gen;
};

/*
 * The defaults: no interface, no policy, no generalisation, metrics every
 * 15s, a snapshot every 5m, events to stdout and syslog.
 */
void ifn_conf_defaults(struct ifn_daemon_conf *c);

/*
 * Parse a whole configuration from @f, named @name in messages. On error
 * writes "NAME:LINE: what is wrong" to err and returns -EINVAL; @c is then
 * unspecified (parse into a scratch copy).
 */
int ifn_conf_parse(FILE *f, const char *name, struct ifn_daemon_conf *c, char *err, size_t errlen);

/* Open and parse @path; a missing or unreadable file is an error too. */
int ifn_conf_load(const char *path, struct ifn_daemon_conf *c, char *err, size_t errlen);

/* The interface entry named @name, or NULL. */
const struct ifn_conf_iface *ifn_conf_find_iface(const struct ifn_daemon_conf *c, const char *name);

/* Where metrics go: metrics_file, or the state directory's iotfence.prom. */
const char *ifn_conf_metrics_path(const struct ifn_daemon_conf *c, char *buf, size_t len);

#endif /* IFN_CONFIG_H */
