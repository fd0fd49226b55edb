/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * daemon.h - `iotfence run`: attach what the configuration names, restore
 * the saved state on a fresh start, then report events (JSON lines on
 * stdout and syslog), write metrics, save the state periodically, reload on
 * SIGHUP and leave enforcement attached on SIGTERM (iotfence.8, DAEMON).
 */
#ifndef IFN_DAEMON_H
#define IFN_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "iotfence.h"

struct ifn_daemon_opts {
	const char *config; /* path of the configuration file */
	bool detach_on_exit; /* detach the configured interfaces on SIGTERM */
};

/* Runs until SIGTERM or SIGINT. Returns an exit code (cli.h). */
int ifn_daemon_run(const struct ifn_daemon_opts *o);

/* The syslog priority of an event: how much it asks of an operator. */
int ifn_event_priority(unsigned int type);

/*
 * One event as one JSON line (with its newline) in @buf. Returns the
 * length, or 0 when it does not fit.
 */
size_t ifn_event_json_line(char *buf, size_t len, const struct ifn_event *e, const char *ifname);

#endif /* IFN_DAEMON_H */
