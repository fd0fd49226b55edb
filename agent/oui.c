// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "oui.h"
#include "parse.h"

struct oui_entry {
	__u32 oui;
	__u32 name_off;
};

struct ifn_oui_db {
	struct oui_entry *e;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
};

static int entry_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct oui_entry *)a)->oui, y = ((const struct oui_entry *)b)->oui;

	return x < y ? -1 : x > y;
}

static int add(struct ifn_oui_db *db, __u32 oui, const char *name)
{
	size_t len = strlen(name) + 1;

	if (ifn_grow((void **)&db->e, &db->cap, db->n + 1, sizeof(*db->e), 4096) ||
	    ifn_grow((void **)&db->names, &db->names_cap, db->names_len + len, 1, 65536))
		return -ENOMEM;
	memcpy(db->names + db->names_len, name, len);
	db->e[db->n].oui = oui;
	db->e[db->n].name_off = db->names_len;
	db->n++;
	db->names_len += len;
	return 0;
}

struct ifn_oui_db *ifn_oui_load(const char *path)
{
	struct ifn_oui_db *db = calloc(1, sizeof(*db));
	char line[512], vendor[256];
	FILE *f;

	if (!db)
		return NULL;
	if (!path)
		path = getenv("IOTFENCE_OUI_FILE");
	if (!path || !*path)
		path = IFN_OUI_FILE_DEFAULT;
	f = fopen(path, "re");
	if (!f)
		return db;
	while (fgets(line, sizeof(line), f)) {
		__u32 oui;

		if (ifn_parse_oui_line(line, &oui, vendor, sizeof(vendor)))
			continue;
		if (add(db, oui, vendor)) {
			fclose(f);
			ifn_oui_free(db);
			return NULL;
		}
	}
	fclose(f);
	if (db->n)
		qsort(db->e, db->n, sizeof(*db->e), entry_cmp);
	return db;
}

const char *ifn_oui_vendor(const struct ifn_oui_db *db, const __u8 mac[6])
{
	struct oui_entry key = { .oui = (__u32)mac[0] << 16 | mac[1] << 8 | mac[2] };
	const struct oui_entry *e;

	if (mac[0] & 0x02)
		return "locally administered";
	if (!db || !db->n)
		return "unknown";
	e = bsearch(&key, db->e, db->n, sizeof(*db->e), entry_cmp);
	return e ? db->names + e->name_off : "unknown";
}

unsigned long ifn_oui_size(const struct ifn_oui_db *db)
{
	return db ? db->n : 0;
}

void ifn_oui_free(struct ifn_oui_db *db)
{
	if (!db)
		return;
	free(db->e);
	free(db->names);
	free(db);
}
