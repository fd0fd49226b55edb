/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy.h - policy files: defaults, devices, allow rules and quarantines in
 * a readable, diffable text format (iotfence.8, POLICY FILES).
 */
#ifndef IFN_POLICY_H
#define IFN_POLICY_H

#include <stdbool.h>
#include <stdio.h>

#include "policy_parse.h"
#include "state.h"

/*
 * Validate @path; with !@dry_run apply it all or nothing: new rules are
 * installed before old ones are removed, so a flow allowed before and after
 * is never dropped in between. What was added, removed and changed goes to
 * @report (may be NULL). Errors are printed as FILE:LINE: message; nothing
 * changes on error. Returns 0 or -errno (-EINVAL for a bad file).
 */
int ifn_policy_load_file(const struct ifn_maps *m, const char *path, bool dry_run, FILE *report);

/* The steps behind ifn_policy_load_file, for the commands, the daemon and tests. */

/*
 * Check @p against the running state (interfaces attached, room in the
 * maps) and, unless @dry_run, apply it all or nothing: settings, then new
 * devices and new rules, then modes and rates, then removals, then names.
 * Errors go to stderr as "PATH:LINE: message" or "PATH: message"; what was
 * (or, with @dry_run, would have been) added, removed and changed goes to
 * @report. Returns 0 or -errno.
 */
int ifn_policy_apply(const struct ifn_maps *m, const struct ifn_policy *p, const char *path,
		     bool dry_run, FILE *report);

/* The running state as a policy: all settings, interfaces and devices. */
int ifn_policy_from_state(const struct ifn_maps *m, struct ifn_policy *p);

#endif /* IFN_POLICY_H */
