/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud.h - RFC 8520 Manufacturer Usage Descriptions (iotfence.8, MUD).
 *
 * Import turns a MUD file into policy-file statements and runs them through
 * the policy parser and loader, so that what a MUD file can say is exactly
 * what the policy grammar can say: a peer kind the grammar gains (DNS
 * names, local-networks) is imported the day the grammar has it, and until
 * then the parser's refusal is reported with the JSON path of the ACE.
 * Export writes a device's fingerprint as a MUD file. Here: the bounds of a
 * MUD file, and reading and checking one; the translation is mud_xlat.h's,
 * the export mud_export.h's, URLs mud_url.h's.
 *
 * Pure code but for the files named: no maps, so that the translator and
 * the DHCP option parser can be unit-tested.
 */
#ifndef IFN_MUD_H
#define IFN_MUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include <jansson.h>

#define IFN_MUD_PATH_MAX 320
#define IFN_MUD_STMT_MAX 300
/* The widest port range import turns into one rule per port. */
#define IFN_MUD_RANGE_MAX 32
/*
 * Bounds of what a MUD file may be (RFC 8520's files are a few KiB, ten
 * levels deep): past them it is refused with the path of the node.
 */
#define IFN_MUD_FILE_MAX (1U << 20)
#define IFN_MUD_DEPTH_MAX 16
#define IFN_MUD_STRING_MAX 1024
#define IFN_MUD_MEMBERS_MAX 4096 /* of one object or array */
#define IFN_MUD_RULES_MAX 4096 /* statements one file translates to */

/* One statement: an allow rule's words, and the JSON node it came from. */
struct ifn_mud_stmt {
	char text[IFN_MUD_STMT_MAX]; /* "tcp/443 name a.example.com" */
	char path[IFN_MUD_PATH_MAX]; /* "" for the DNS/NTP default */
};

/* Called for each refusal: the JSON path of the node and the reason. */
typedef void (*ifn_mud_err_fn)(void *ctx, const char *path, const char *msg);

/*
 * Read a MUD file with jansson: errors name the file with line:column.
 * Returns the root (to json_decref) or NULL after printing the error.
 */
json_t *ifn_mud_load(const char *path);

/*
 * Check @root against the structure of RFC 8520's YANG modules (ietf-mud,
 * ietf-access-control-list as MUD uses it, ietf-acldns): required nodes,
 * types, ranges, references from the policies to the ACLs. Each problem
 * goes to @err with its path. Returns the number of problems.
 */
unsigned int ifn_mud_validate(json_t *root, ifn_mud_err_fn err, void *ctx);

#endif /* IFN_MUD_H */
