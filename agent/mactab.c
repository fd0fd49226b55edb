// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* mactab.c - a MAC -> text table in a file of the state directory. */
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
#include "file.h"
#include "format.h"
#include "grow.h"
#include "mactab.h"
#include "parse.h"
#include "state.h"

const char *ifn_mactab_path(const struct ifn_mactab_kind *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ifn_state_dir(), k->file);
	return buf;
}

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(((const struct ifn_mactab_entry *)a)->mac,
		      ((const struct ifn_mactab_entry *)b)->mac, 6);
}

void ifn_mactab_free(struct ifn_mactab *t)
{
	const struct ifn_mactab_kind *k = t->kind;

	free(t->v);
	memset(t, 0, sizeof(*t));
	t->kind = k;
}

static struct ifn_mactab_entry *find(const struct ifn_mactab *t, const __u8 mac[6])
{
	struct ifn_mactab_entry key;

	if (!t->n)
		return NULL;
	memcpy(key.mac, mac, 6);
	return bsearch(&key, t->v, t->n, sizeof(*t->v), cmp_entry);
}

const char *ifn_mactab_get(const struct ifn_mactab *t, const __u8 mac[6])
{
	const struct ifn_mactab_entry *e = find(t, mac);

	return e ? e->text : NULL;
}

int ifn_mactab_set(struct ifn_mactab *t, const __u8 mac[6], const char *text)
{
	struct ifn_mactab_entry *e = find(t, mac);

	if (!text || !*text) {
		if (!e)
			return 0;
		memmove(e, e + 1, (t->n - (size_t)(e - t->v) - 1) * sizeof(*e));
		t->n--;
		return 1;
	}
	if (strlen(text) > IFN_MACTAB_TEXT_MAX || (t->kind && !t->kind->valid(text)))
		return -EINVAL;
	if (e && !strcmp(e->text, text))
		return 0;
	if (!e) {
		if (ifn_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v), 16))
			return -ENOMEM;
		e = &t->v[t->n++];
		memcpy(e->mac, mac, 6);
	}
	snprintf(e->text, sizeof(e->text), "%s", text);
	qsort(t->v, t->n, sizeof(*t->v), cmp_entry);
	return 1;
}

int ifn_mactab_load(struct ifn_mactab *t, const struct ifn_mactab_kind *k, const char *path)
{
	char line[IFN_MACTAB_TEXT_MAX + 64], pb[PATH_MAX];
	unsigned int lineno = 0;
	FILE *f;
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->kind = k;
	if (!path)
		path = ifn_mactab_path(k, pb, sizeof(pb));
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (err >= 0 && fgets(line, sizeof(line), f)) {
		char mac_s[32], text[IFN_MACTAB_TEXT_MAX + 2], extra[2];
		__u8 mac[6];

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%31s %256s %1s", mac_s, text, extra) != 2 ||
		    ifn_parse_mac(mac_s, mac) || strlen(text) > IFN_MACTAB_TEXT_MAX ||
		    !k->valid(text)) {
			ifn_warn("%s:%u: not '%s'; skipped", path, lineno, k->line);
			continue;
		}
		err = ifn_mactab_set(t, mac, text);
	}
	fclose(f);
	if (err < 0) {
		ifn_mactab_free(t);
		return err;
	}
	return 0;
}

static void fill(FILE *f, const void *arg)
{
	const struct ifn_mactab *t = arg;
	char mb[IFN_MAC_STRLEN];
	size_t i;

	fprintf(f, "# %s\n", t->kind->header);
	for (i = 0; i < t->n; i++)
		fprintf(f, "%s %s\n", ifn_fmt_mac(t->v[i].mac, mb), t->v[i].text);
}

int ifn_mactab_prepare(const struct ifn_mactab *t, const char *path, char *tmp, size_t len)
{
	char dirbuf[PATH_MAX], pb[PATH_MAX];

	if (!path)
		path = ifn_mactab_path(t->kind, pb, sizeof(pb));
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	if (mkdir(dirname(dirbuf), 0700) && errno != EEXIST)
		return -errno;
	return ifn_file_prepare(path, t->kind->file, t->kind->mode, fill, t, tmp, len);
}

int ifn_mactab_commit(const struct ifn_mactab *t, const char *tmp, const char *path)
{
	char pb[PATH_MAX];

	return ifn_file_commit(tmp, path ? path : ifn_mactab_path(t->kind, pb, sizeof(pb)));
}

void ifn_mactab_abort(const char *tmp)
{
	unlink(tmp);
}

int ifn_mactab_save(const struct ifn_mactab *t, const char *path)
{
	char tmp[PATH_MAX + 16];
	int err = ifn_mactab_prepare(t, path, tmp, sizeof(tmp));

	return err ? err : ifn_mactab_commit(t, tmp, path);
}
