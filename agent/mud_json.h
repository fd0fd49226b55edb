/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud_json.h - what the MUD validator (mud.c), translator (mud_xlat.c) and
 * exporter (mud_export.c) share: the names of the two top containers, and
 * the JSON paths that name a node in every error.
 */
#ifndef IFN_MUD_JSON_H
#define IFN_MUD_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "mud.h"

#define MUD_ROOT "ietf-mud:mud"
#define ACLS_ROOT "ietf-access-control-list:acls"

/* Refusals counted, and each handed to the caller's function. */
struct verr {
	ifn_mud_err_fn fn;
	void *ctx;
	unsigned int n;
};

void mud_report(struct verr *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * @base/@key, as the YANG JSON encoding names nodes; @out may be @base.
 * A path too long for the buffer is cut: it is only ever printed.
 */
void mud_sub(char *out, const char *base, const char *key);
/* A list entry by its key when it has one (acl[name='x']), else by index. */
void mud_entry(char *out, const char *base, const char *list, json_t *e, size_t i);
/* "an object", "a string", ... for messages. */
const char *mud_jtype(json_t *j);

#endif /* IFN_MUD_JSON_H */
