/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mactab.h - a MAC -> text table kept in a file of the state directory:
 * one "MAC TEXT" a line, sorted by MAC, replaced atomically. The datapath's
 * record has no room for such text, and the shared header is not changed
 * for it. Device names (policy_names.c) and the MUD URLs seen in DHCP
 * (mud_url.c) are two kinds of it.
 */
#ifndef IFN_MACTAB_H
#define IFN_MACTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#define IFN_MACTAB_TEXT_MAX 255 /* the longest text of any kind, without the NUL */

/* What a kind of table is: its file, what a line holds, what a text may be. */
struct ifn_mactab_kind {
	const char *file; /* in $IOTFENCE_STATE_DIR: "names" */
	const char *line; /* a line, for warnings: "MAC NAME" */
	const char *header; /* the comment a written file starts with */
	bool (*valid)(const char *text);
	mode_t mode; /* of a written file */
};

struct ifn_mactab_entry {
	__u8 mac[6];
	char text[IFN_MACTAB_TEXT_MAX + 1];
};

struct ifn_mactab {
	const struct ifn_mactab_kind *kind;
	struct ifn_mactab_entry *v; /* sorted by MAC */
	size_t n, cap;
};

/* $IOTFENCE_STATE_DIR/<file> into @buf. Returns @buf. */
const char *ifn_mactab_path(const struct ifn_mactab_kind *k, char *buf, size_t len);
/*
 * Read @path (NULL: the kind's file). A missing file is an empty table; a
 * line that is not "MAC TEXT" with a valid text is skipped with a warning
 * that names file and line. Returns 0 or -errno (the table then empty).
 */
int ifn_mactab_load(struct ifn_mactab *t, const struct ifn_mactab_kind *k, const char *path);
/* The text of a MAC, or NULL. */
const char *ifn_mactab_get(const struct ifn_mactab *t, const __u8 mac[6]);
/*
 * Set (or, with NULL or "", remove) the text of a MAC. Returns 1 when the
 * table changed, 0 when it already held that, -EINVAL for a text the kind
 * refuses, -ENOMEM.
 */
int ifn_mactab_set(struct ifn_mactab *t, const __u8 mac[6], const char *text);
/*
 * Write to a temp file in the same directory (made 0700 if missing), fsync,
 * rename over @path (NULL: the kind's file). Returns 0 or -errno.
 */
int ifn_mactab_save(const struct ifn_mactab *t, const char *path);
/*
 * The same in two steps, for changes that must land with others or not at
 * all: write and fsync @tmp (len >= PATH_MAX), then rename it into place or
 * remove it.
 */
int ifn_mactab_prepare(const struct ifn_mactab *t, const char *path, char *tmp, size_t len);
int ifn_mactab_commit(const struct ifn_mactab *t, const char *tmp, const char *path);
void ifn_mactab_abort(const char *tmp);
void ifn_mactab_free(struct ifn_mactab *t);

#endif /* IFN_MACTAB_H */
