/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * oui.h - vendor names from the IEEE OUI registry that Debian's ieee-data
 * package installs, read at run time so that it stays as current as the
 * package.
 */
#ifndef IFN_OUI_H
#define IFN_OUI_H

#include <linux/types.h>

#define IFN_OUI_FILE_DEFAULT "/usr/share/ieee-data/oui.txt"

struct ifn_oui_db;

/*
 * Load the registry from @path, or from $IOTFENCE_OUI_FILE or the default
 * when @path is NULL. A missing or unreadable file gives an empty registry
 * (every vendor is then "unknown"), never an error: vendor names are a
 * convenience. Returns NULL only when out of memory.
 */
struct ifn_oui_db *ifn_oui_load(const char *path);

/*
 * The vendor of a MAC: the registry's name, "locally administered" for
 * MACs with the U/L bit set (randomised phone MACs, containers), or
 * "unknown".
 */
const char *ifn_oui_vendor(const struct ifn_oui_db *db, const __u8 mac[6]);

/* Entries loaded. */
unsigned long ifn_oui_size(const struct ifn_oui_db *db);

void ifn_oui_free(struct ifn_oui_db *db);

#endif /* IFN_OUI_H */
