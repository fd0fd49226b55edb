/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud_xlat.h - a MUD file into policy statements, and the mapping file of
 * what its abstractions stand for on this gateway (mud_xlat.c).
 */
#ifndef IFN_MUD_XLAT_H
#define IFN_MUD_XLAT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "mud.h"
#include "mud_url.h"

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

#endif /* IFN_MUD_XLAT_H */
