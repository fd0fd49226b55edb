/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mud_dhcp.h - MUD URLs from DHCP for the daemon (iotfence.8, MUD): packet
 * sockets that see DHCP client messages only, the MAC -> URL record, and
 * the profile a mud-dir holds for a URL.
 */
#ifndef IFN_MUD_DHCP_H
#define IFN_MUD_DHCP_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "iotfence.h"
#include "state.h"

struct ifn_policy;

struct ifn_mud_watch {
	int fd[IFN_MAX_IFACES];
	char name[IFN_MAX_IFACES][16];
	unsigned int n;
};

typedef void (*ifn_mud_url_fn)(void *ctx, const __u8 mac[6], const char *url, const char *ifname);

/*
 * One socket per interface, added to @epfd. An interface that cannot be
 * watched is warned about and skipped. Returns the number watched.
 */
unsigned int ifn_mud_watch_open(struct ifn_mud_watch *w, const char (*names)[16], unsigned int n,
				int epfd);
void ifn_mud_watch_close(struct ifn_mud_watch *w, int epfd);
/* If @fd is one of @w's: read what is queued, @fn per URL found; true. */
bool ifn_mud_watch_handle(struct ifn_mud_watch *w, int fd, ifn_mud_url_fn fn, void *ctx);

/* Record @url for @mac in the state directory. 1 changed, 0 same, -errno. */
int ifn_mud_record_url(const __u8 mac[6], const char *url);

/*
 * Import @dir's profile for @url (ifn_mud_url_filename) for @mac, with
 * @dir/mapping if there is one, taking the command lock. @path gets the
 * file's path. 0, -ENOENT (no profile), or -errno (errors printed).
 */
int ifn_mud_dir_apply(const struct ifn_maps *m, const char *dir, const __u8 mac[6], const char *url,
		      FILE *report, char *path, size_t pathlen);

/* Told of each profile ifn_mud_dir_amend() took (@err 0) or could not. */
typedef void (*ifn_mud_amend_fn)(void *ctx, const __u8 mac[6], const char *path, int err);

/*
 * Merge into the policy @p, about to be loaded, the mud-dir profile of
 * every device that announced a MUD URL, as ifn_mud_dir_apply() would
 * after the load: one load of both, so that a reload never leaves such a
 * device without its profile's rules in between (the policy takes its
 * rules away from the devices it does not name). A profile that cannot be
 * read or translated leaves its device as the policy has it. The caller
 * holds the command lock. 0 or -errno.
 */
int ifn_mud_dir_amend(const struct ifn_maps *m, const char *dir, struct ifn_policy *p,
		      ifn_mud_amend_fn fn, void *ctx);

#endif /* IFN_MUD_DHCP_H */
