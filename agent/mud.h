/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud.h - RFC 8520 Manufacturer Usage Descriptions (iotfence.8, MUD).
 *
 * Import turns a MUD file into policy-file statements and runs them through
 * the policy parser and loader, so that what a MUD file can say is exactly
 * what the policy grammar can say: a peer kind the grammar gains (DNS
 * names, local-networks) is imported the day the grammar has it, and until
 * then the parser's refusal is reported with the JSON path of the ACE.
 * Export writes a device's fingerprint as a MUD file.
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

#include "mactab.h"
#include "rules.h"

#define IFN_MUD_URL_MAX 255 /* DHCPv4 option 161 holds at most 255 bytes */
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
 * What the ietf-mud abstractions stand for on this gateway (iotfence.8,
 * MUD): each entry maps one abstraction (and its key, for controller,
 * manufacturer and model) to a peer as the policy grammar writes it.
 */
enum ifn_mud_abstr {
	IFN_MUD_MY_CONTROLLER,
	IFN_MUD_CONTROLLER,
	IFN_MUD_MANUFACTURER,
	IFN_MUD_SAME_MANUFACTURER,
	IFN_MUD_MODEL,
};

struct ifn_mud_map_entry {
	enum ifn_mud_abstr kind;
	char key[IFN_MUD_URL_MAX + 1]; /* controller URI, authority or model URL */
	char peer[IFN_MUD_URL_MAX + 8]; /* "192.168.1.10", "name ctl.example.com" */
};

struct ifn_mud_opts {
	bool no_defaults; /* leave out the DNS and NTP default */
	const struct ifn_mud_map_entry *map;
	size_t n_map;
};

struct ifn_mud_xlat {
	char url[IFN_MUD_URL_MAX + 1]; /* the file's mud-url */
	char systeminfo[64];
	struct ifn_mud_stmt *v;
	size_t n, cap;
};

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

/*
 * Translate a (valid) MUD file into allow statements, deduplicated, in
 * file order, then the default. Each refusal goes to @err. Returns 0, the
 * number of refusals, or -ENOMEM. @x is to be freed with ifn_mud_xlat_free.
 */
int ifn_mud_translate(json_t *root, const struct ifn_mud_opts *o, struct ifn_mud_xlat *x,
		      ifn_mud_err_fn err, void *ctx);
void ifn_mud_xlat_free(struct ifn_mud_xlat *x);

/*
 * Read a mapping file (iotfence.8, MUD): "my-controller PEER",
 * "controller URI PEER", "manufacturer AUTHORITY PEER",
 * "same-manufacturer PEER", "model URL PEER"; '#' comments. Errors are
 * printed as FILE:LINE: message. Returns 0, -EINVAL or -errno.
 */
int ifn_mud_map_load(const char *path, struct ifn_mud_map_entry **out, size_t *n);

/*
 * A device's rules as a MUD file (RFC 8520): one ACL per family and
 * direction, two ACEs per TCP/UDP rule (from and to the device), one per
 * ICMP rule. Rules without an IP peer (ether/...) are counted in *skipped
 * and left out. @url is the mud-url, @now_wall_ns the last-update.
 */
json_t *ifn_mud_export(const struct ifn_rule *rules, size_t n, const char *url,
		       const char *systeminfo, __u64 now_wall_ns, size_t *skipped);

/* The authority of an https URL ("lighting.example.com"), or -EINVAL. */
int ifn_mud_url_authority(const char *url, char *buf, size_t len);
/* An https:// URL of printable ASCII without blanks, at most 255 bytes. */
bool ifn_mud_url_valid(const char *url);

/*
 * The file name in a mud-dir for a MUD URL: the URL without "https://",
 * each '/' and every byte outside [A-Za-z0-9._-] as '_', ".json" appended
 * unless it ends so. "https://a.example.com/x/y.json" -> "a.example.com_x_y.json".
 */
int ifn_mud_url_filename(const char *url, char *buf, size_t len);

/*
 * The MUD URL a DHCP client frame carries: an Ethernet frame (one 802.1Q
 * tag allowed) with IPv4 UDP 68 -> 67 and BOOTP option 161, or IPv6 UDP
 * 546 -> 547 and DHCPv6 option 112 (RFC 8520, sections 10 and 11). Every
 * length is checked against the frame. Returns 0 with the source MAC and
 * the URL, -ENOENT for DHCP without the option or not DHCP at all, or
 * -EINVAL for a malformed packet or URL.
 */
int ifn_dhcp_mud_url(const __u8 *frame, size_t len, __u8 mac[6], char *url, size_t urlsz);

/* MAC -> MUD URL: a MAC table (mactab.h) in $IOTFENCE_STATE_DIR/mud-urls, "MAC URL" lines. */
extern const struct ifn_mactab_kind ifn_mud_urls_kind;
const char *ifn_mud_urls_path(void);

#endif /* IFN_MUD_H */
