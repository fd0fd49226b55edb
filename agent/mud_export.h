/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud_export.h - a device's rules as a MUD file (mud_export.c).
 */
#ifndef IFN_MUD_EXPORT_H
#define IFN_MUD_EXPORT_H

#include <stddef.h>
#include <linux/types.h>

#include <jansson.h>

#include "rules.h"

/*
 * A device's rules as a MUD file (RFC 8520): one ACL per family and
 * direction, two ACEs per TCP/UDP rule (from and to the device), one per
 * ICMP rule. Rules without an IP peer (ether/...) are counted in *skipped
 * and left out. @url is the mud-url, @now_wall_ns the last-update.
 */
json_t *ifn_mud_export(const struct ifn_rule *rules, size_t n, const char *url,
		       const char *systeminfo, __u64 now_wall_ns, size_t *skipped);

#endif /* IFN_MUD_EXPORT_H */
