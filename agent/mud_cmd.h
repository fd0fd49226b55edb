/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud_cmd.h - the steps of `mud import`, for the command, the daemon (a
 * profile found in mud-dir) and tests.
 */
#ifndef IFN_MUD_CMD_H
#define IFN_MUD_CMD_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "mud_xlat.h"
#include "policy_parse.h"
#include "state.h"

/*
 * The policy text of @x for @nmacs devices: a header line, then per device
 * "device MAC" and one "allow" line per statement, each with its JSON path
 * as a comment. malloc'd; *len its length.
 */
char *ifn_mud_policy_text(const struct ifn_mud_xlat *x, const __u8 (*macs)[6], size_t nmacs,
			  const char *file, size_t *len);

/*
 * Parse that text with the policy parser; a refused line is printed as
 * "FILE: JSON-PATH: 'allow ...': the parser's message". 0, -EINVAL, -ENOMEM.
 */
int ifn_mud_parse_text(const struct ifn_mud_xlat *x, const char *text, size_t len, const char *file,
		       struct ifn_policy *p);

/* Validate and translate, errors printed as "FILE: PATH: message". */
int ifn_mud_translate_file(const char *file, json_t *root, const struct ifn_mud_opts *o,
			   struct ifn_mud_xlat *x);

/*
 * The running state as a policy that changes nothing but the devices of
 * @imp, whose manual and policy rules become @imp's (learned ones stay).
 */
int ifn_mud_merge(const struct ifn_maps *m, const struct ifn_policy *imp, struct ifn_policy *out);

/*
 * Merge @imp's devices into @out as an import does: their learned rules
 * stay, their other rules are @imp's; a device @out lacks is added (mode
 * and rate unset). 0 or -ENOMEM.
 */
int ifn_mud_merge_into(struct ifn_policy *out, const struct ifn_policy *imp);

/*
 * Append to  what the devices that announced a MUD URL stand for:
 * their IPv4 address (as it is now) for manufacturer AUTHORITY, for
 * same-manufacturer when AUTHORITY is the file's, and for model URL.
 * 0 or -errno.
 */
int ifn_mud_auto_map(const struct ifn_maps *m, struct ifn_mud_map_entry **map, size_t *n);

/* Text, parse, merge, ifn_policy_apply: all or nothing. 0 or -errno. */
int ifn_mud_import_apply(const struct ifn_maps *m, const char *file, const struct ifn_mud_xlat *x,
			 const __u8 (*macs)[6], size_t nmacs, bool dry_run, FILE *report);

#endif /* IFN_MUD_CMD_H */
