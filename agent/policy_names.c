// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy_names.c - device names in $IOTFENCE_STATE_DIR/names. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "format.h"
#include "grow.h"
#include "parse.h"
#include "policy_names.h"
#include "state.h"

const char *ifn_names_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/names", ifn_state_dir());
	return path;
}

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(((const struct ifn_name_entry *)a)->mac,
		      ((const struct ifn_name_entry *)b)->mac, 6);
}

void ifn_names_free(struct ifn_names *n)
{
	free(n->v);
	memset(n, 0, sizeof(*n));
}

static struct ifn_name_entry *find(const struct ifn_names *n, const __u8 mac[6])
{
	struct ifn_name_entry key;

	if (!n->n)
		return NULL;
	memcpy(key.mac, mac, 6);
	return bsearch(&key, n->v, n->n, sizeof(*n->v), cmp_entry);
}

const char *ifn_names_get(const struct ifn_names *n, const __u8 mac[6])
{
	const struct ifn_name_entry *e = find(n, mac);

	return e ? e->name : NULL;
}

int ifn_names_set(struct ifn_names *n, const __u8 mac[6], const char *name)
{
	struct ifn_name_entry *e = find(n, mac);

	if (!name || !*name) {
		if (e) {
			memmove(e, e + 1, (n->n - (e - n->v) - 1) * sizeof(*e));
			n->n--;
		}
		return 0;
	}
	if (!e) {
		if (ifn_grow((void **)&n->v, &n->cap, n->n + 1, sizeof(*n->v), 16))
			return -ENOMEM;
		e = &n->v[n->n++];
		memcpy(e->mac, mac, 6);
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	qsort(n->v, n->n, sizeof(*n->v), cmp_entry);
	return 0;
}

int ifn_names_load(struct ifn_names *n, const char *path)
{
	char line[256];
	unsigned int lineno = 0;
	FILE *f;
	int err = 0;

	memset(n, 0, sizeof(*n));
	if (!path)
		path = ifn_names_path();
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		char mac_s[32], name[IFN_NAME_MAX + 2], extra[2];
		__u8 mac[6];
		int k;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		k = sscanf(line, "%31s %49s %1s", mac_s, name, extra);
		if (k != 2 || ifn_parse_mac(mac_s, mac) || !ifn_name_valid(name)) {
			ifn_warn("%s:%u: not 'MAC NAME'; skipped", path, lineno);
			continue;
		}
		err = ifn_names_set(n, mac, name);
	}
	fclose(f);
	if (err)
		ifn_names_free(n);
	return err;
}

int ifn_names_prepare(const struct ifn_names *n, const char *path, char *tmp, size_t len)
{
	char dirbuf[PATH_MAX], mb[IFN_MAC_STRLEN];
	const char *dir;
	size_t i;
	FILE *f;
	int fd, err = 0;

	if (!path)
		path = ifn_names_path();
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	dir = dirname(dirbuf);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	snprintf(tmp, len, "%s/.names.XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	fprintf(f, "# device names, set by policy files (iotfence.8, POLICY FILES)\n");
	for (i = 0; i < n->n; i++)
		fprintf(f, "%s %s\n", ifn_fmt_mac(n->v[i].mac, mb), n->v[i].name);
	if (fflush(f) || fchmod(fd, 0600) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int ifn_names_commit(const char *tmp, const char *path)
{
	if (!path)
		path = ifn_names_path();
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

void ifn_names_abort(const char *tmp)
{
	unlink(tmp);
}

int ifn_names_save(const struct ifn_names *n, const char *path)
{
	char tmp[PATH_MAX + 16];
	int err = ifn_names_prepare(n, path, tmp, sizeof(tmp));

	return err ? err : ifn_names_commit(tmp, path);
}
