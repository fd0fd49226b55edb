/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy.h - policy files: defaults, devices, allow rules and quarantines in
 * a readable, diffable text format (iotfence.8, POLICY FILES).
 */
#ifndef IFN_POLICY_H
#define IFN_POLICY_H

#include <stdbool.h>
#include <stdio.h>

#include "state.h"

/*
 * Validate @path; with !@dry_run apply it all or nothing: new rules are
 * installed before old ones are removed, so a flow allowed before and after
 * is never dropped in between. What was added, removed and changed goes to
 * @report (may be NULL). Errors are printed as FILE:LINE: message; nothing
 * changes on error. Returns 0 or -errno (-EINVAL for a bad file).
 */
int ifn_policy_load_file(const struct ifn_maps *m, const char *path, bool dry_run, FILE *report);

#endif /* IFN_POLICY_H */
