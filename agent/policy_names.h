/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy_names.h - device names. The datapath's record has no room for a
 * name, and the shared header is not changed for one: names live in
 * $IOTFENCE_STATE_DIR/names, one "MAC NAME" a line, replaced atomically.
 * Policy files set them; anything that lists devices may show them.
 */
#ifndef IFN_POLICY_NAMES_H
#define IFN_POLICY_NAMES_H

#include <stddef.h>
#include <linux/types.h>

#include "policy_parse.h"

struct ifn_name_entry {
	__u8 mac[6];
	char name[IFN_NAME_MAX + 1];
};

struct ifn_names {
	struct ifn_name_entry *v; /* sorted by MAC */
	size_t n, cap;
};

/* $IOTFENCE_STATE_DIR/names. */
const char *ifn_names_path(void);

/*
 * Read @path (NULL: the default). A missing file is an empty list; a line
 * that is not "MAC NAME" is skipped with a warning. Returns 0 or -errno.
 */
int ifn_names_load(struct ifn_names *n, const char *path);
/* The name of a device, or NULL. */
const char *ifn_names_get(const struct ifn_names *n, const __u8 mac[6]);
/* Set (or, with NULL or "", remove) a name. Returns 0 or -ENOMEM. */
int ifn_names_set(struct ifn_names *n, const __u8 mac[6], const char *name);
/*
 * Write to a temp file in the same directory (made 0700 if missing), fsync,
 * rename over @path (NULL: the default). Returns 0 or -errno.
 */
int ifn_names_save(const struct ifn_names *n, const char *path);
/*
 * The same in two steps, for changes that must land with others or not at
 * all: write and fsync @tmp (len >= PATH_MAX), then rename it into place or
 * remove it.
 */
int ifn_names_prepare(const struct ifn_names *n, const char *path, char *tmp, size_t len);
int ifn_names_commit(const char *tmp, const char *path);
void ifn_names_abort(const char *tmp);
void ifn_names_free(struct ifn_names *n);

#endif /* IFN_POLICY_NAMES_H */
