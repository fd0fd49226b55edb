// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * snapshot.c - the whole state to $IOTFENCE_STATE_DIR/state.gz and back
 * (iotfence.8, STATE): the files, their checks and the fallback to the
 * previous good one. Reading the maps into a struct ifn_snap and writing
 * one into empty maps are snapshot_maps.c's; the file format is
 * snapshot_fmt.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "errors.h"
#include "file.h"
#include "format.h"
#include "snapshot.h"
#include "snapshot_fmt.h"
#include "snapshot_gz.h"
#include "snapshot_maps.h"

/* Compressed files above this are not read at all. */
#define SNAP_MAX_FILE (512UL * 1024 * 1024)

const char *ifn_snapshot_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/state.gz", ifn_state_dir());
	return path;
}

char *ifn_snapshot_prev_path(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (n > 3 && !strcmp(path + n - 3, ".gz"))
		snprintf(buf, len, "%.*s.prev.gz", (int)(n - 3), path);
	else
		snprintf(buf, len, "%s.prev", path);
	return buf;
}

char *ifn_snapshot_refused_path(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (n > 3 && !strcmp(path + n - 3, ".gz"))
		snprintf(buf, len, "%.*s.refused.gz", (int)(n - 3), path);
	else
		snprintf(buf, len, "%s.refused", path);
	return buf;
}

/* ---- files ---- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Read and check a snapshot file, at most @max bytes of text; nothing else. */
static int snapshot_read_max(const char *path, size_t max, struct ifn_snap *s, char *err,
			     size_t errlen)
{
	char why[160], *buf;
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	/* Never blocks, never half a file; a directory or FIFO is named as such. */
	rc = ifn_file_read(path, SNAP_MAX_FILE, &buf, &len, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "%s", rc == -ENOENT ? "no such file" : why);
		return rc;
	}
	rc = ifn_snap_decode(buf, len, max, s, err, errlen);
	free(buf);
	return rc;
}

int ifn_snapshot_read(const char *path, struct ifn_snap *s, char *err, size_t errlen)
{
	return snapshot_read_max(path, IFN_SNAP_MAX_TEXT, s, err, errlen);
}

/*
 * A snapshot to go into @m: its text can be no longer than a snapshot of
 * maps this large, so a file that decompresses to more is refused there,
 * before it takes more memory than the state ever could.
 */
static int snapshot_read_for(const struct ifn_maps *m, const char *path, struct ifn_snap *s,
			     char *err, size_t errlen)
{
	size_t max = ifn_snap_text_bound(m->max_devices, m->max_flows, m->max_rules,
					 IFN_MAX_IP_OWNERS_DEFAULT);
	int rc;

	if (max > IFN_SNAP_MAX_TEXT)
		max = IFN_SNAP_MAX_TEXT;
	rc = snapshot_read_max(path, max, s, err, errlen);
	if (rc == -EFBIG && !strncmp(err, "larger than", 11))
		snprintf(err, errlen,
			 "larger than %zu bytes once decompressed: more than a snapshot of "
			 "%u devices, %u flows and %u rules can be",
			 max, m->max_devices, m->max_flows, m->max_rules);
	return rc;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/*
 * Keep the snapshot being replaced as the previous one, but only if it is
 * good: a corrupt file must never push out the last good one.
 */
static void keep_previous(const struct ifn_maps *m, const char *path, const char *dir)
{
	char prev[PATH_MAX], tmp[PATH_MAX + 32], err[256];
	struct ifn_snap s;
	bool empty;

	if (access(path, F_OK))
		return;
	if (snapshot_read_for(m, path, &s, err, sizeof(err))) {
		/*
		 * Not lost either: a newer iotfence's file, or evidence of what
		 * went wrong, is moved aside.
		 */
		ifn_snapshot_refused_path(path, prev, sizeof(prev));
		ifn_warn("%s is not a good snapshot (%s): moved to %s; the previous one stays",
			 path, err, rename(path, prev) ? "(nowhere: cannot rename)" : prev);
		return;
	}
	empty = !s.n_devs && !s.n_flows && !s.n_rules;
	ifn_snap_free(&s);
	ifn_snapshot_prev_path(path, prev, sizeof(prev));
	/*
	 * An empty state never pushes out a good one: saved twice, it would
	 * replace both files. The previous snapshot stays while it holds
	 * something and the one being replaced holds nothing.
	 */
	if (empty && !snapshot_read_for(m, prev, &s, err, sizeof(err))) {
		bool keep = s.n_devs || s.n_flows || s.n_rules;

		ifn_snap_free(&s);
		if (keep)
			return;
	}
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", prev, (int)getpid());
	unlink(tmp);
	/* A hard link keeps @path in place until the new one replaces it. */
	if (!link(path, tmp)) {
		if (rename(tmp, prev))
			unlink(tmp);
	} else {
		/* Best effort: without a previous copy the new one still lands. */
		(void)rename(path, prev);
	}
	(void)dir;
}

/*
 * Is @path (the state directory, or a snapshot in it) ours alone, as sshd
 * wants its files? Owned by us (or root) and writable by no one else: a
 * snapshot that another user could have planted would put their MAC in
 * trust at the next restore. 0 if so or if it does not exist; otherwise
 * -EPERM with *why saying what is wrong.
 */
static int check_private(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, whylen, "%s is owned by uid %u, not by uid %u or root", path,
			 (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whylen, "%s is writable by %s (mode %04o)", path,
			 st.st_mode & S_IWOTH ? "anyone" : "its group",
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* The state directory, then the snapshot (the previous one: when it is read). */
static int check_state_files(const char *path, char *why, size_t whylen)
{
	char dirbuf[PATH_MAX];
	int err;

	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	err = check_private(dirname(dirbuf), why, whylen);
	if (!err)
		err = check_private(path, why, whylen);
	return err;
}

int ifn_snapshot_save(const struct ifn_maps *m, const char *path)
{
	char dirbuf[PATH_MAX], tmp[PATH_MAX];
	struct ifn_snap s;
	size_t tlen, glen;
	char *text = NULL;
	void *gz = NULL;
	const char *dir;
	int fd, err;

	if (!path)
		path = ifn_snapshot_path();
	if (strlen(path) >= sizeof(dirbuf) - 16)
		return -ENAMETOOLONG;
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	dir = dirname(dirbuf);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	{
		char why[PATH_MAX + 64];
		struct stat st;

		/* Ours but open to others: made 0700, as the man page says it is. */
		if (!stat(dir, &st) && st.st_uid == geteuid() && (st.st_mode & 077)) {
			if (chmod(dir, 0700))
				return -errno;
			ifn_warn("%s was mode %04o: made 0700", dir,
				 (unsigned int)(st.st_mode & 07777));
		}
		err = check_private(dir, why, sizeof(why));
		if (err) {
			ifn_err("not saving the state: %s", why);
			return err;
		}
	}
	/* Half-restored state is not the gateway's: it never replaces a snapshot. */
	if (ifn_restore_pending())
		return -EINPROGRESS;

	err = ifn_snapshot_capture(m, &s);
	if (err)
		return err;
	err = ifn_snap_write_text(&s, &text, &tlen);
	ifn_snap_free(&s);
	if (err)
		return err;
	err = ifn_snap_gzip(text, tlen, &gz, &glen);
	free(text);
	if (err)
		return err;

	snprintf(tmp, sizeof(tmp), "%s/.state.XXXXXX", dir);
	fd = mkstemp(tmp); /* 0600 */
	if (fd < 0) {
		err = -errno;
		free(gz);
		return err;
	}
	err = write_all(fd, gz, glen);
	free(gz);
	if (!err && fchmod(fd, 0600))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	keep_previous(m, path, dir);
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return fsync_dir(dir);
}

static void fill_info(struct ifn_snapshot_info *info, const char *path, const struct ifn_snap *s)
{
	if (!info)
		return;
	snprintf(info->path, sizeof(info->path), "%s", path);
	info->saved_ns = s->saved_ns;
	info->devices = s->n_devs;
	info->flows = s->n_flows;
	info->rules = s->n_rules;
	info->owners = s->n_owners;
	info->ifaces = s->n_ifaces;
}

int ifn_snapshot_restore_info(const struct ifn_maps *m, const char *path,
			      struct ifn_snapshot_info *info, char *err, size_t errlen)
{
	char prev[PATH_MAX], e1[512], e2[512];
	struct ifn_snap s;
	int rc, rc2;

	if (!path)
		path = ifn_snapshot_path();
	if (info)
		memset(info, 0, sizeof(*info));
	if (errlen)
		err[0] = '\0';
	ifn_snapshot_prev_path(path, prev, sizeof(prev));

	rc = check_state_files(path, e1, sizeof(e1));
	if (rc) {
		snprintf(err, errlen,
			 "%s: a snapshot there could be anyone's, so none is restored "
			 "('chmod 700' the directory, 'chmod 600' and 'chown' its files, after "
			 "checking them)",
			 e1);
		return rc;
	}
	rc = snapshot_read_for(m, path, &s, e1, sizeof(e1));
	if (!rc) {
		rc = ifn_snapshot_apply(m, &s, err, errlen);
		fill_info(info, path, &s);
		ifn_snap_free(&s);
		return rc;
	}
	rc2 = check_private(prev, e2, sizeof(e2));
	if (!rc2)
		rc2 = snapshot_read_for(m, prev, &s, e2, sizeof(e2));
	if (rc2) {
		if (rc == -ENOENT && rc2 == -ENOENT)
			return -ENOENT;
		if (rc2 == -ENOENT)
			snprintf(err, errlen, "%s: %s; no previous snapshot to fall back to", path,
				 e1);
		else
			snprintf(err, errlen, "%s: %s; the previous one, %s: %s", path, e1, prev,
				 e2);
		return rc != -ENOENT ? rc : rc2;
	}
	rc2 = ifn_snapshot_apply(m, &s, err, errlen);
	fill_info(info, prev, &s);
	ifn_snap_free(&s);
	if (rc2)
		return rc2;
	if (info)
		info->fallback = true;
	snprintf(err, errlen, "%s: %s; restored the previous snapshot %s instead", path, e1, prev);
	return 0;
}

int ifn_snapshot_restore(const struct ifn_maps *m, const char *path, char *err, size_t errlen)
{
	return ifn_snapshot_restore_info(m, path, NULL, err, errlen);
}

int ifn_snapshot_restore_report(const struct ifn_maps *m)
{
	struct ifn_snapshot_info info;
	char err[1200], tb[IFN_TIME_STRLEN];
	int rc;

	rc = ifn_snapshot_restore_info(m, NULL, &info, err, sizeof(err));
	if (rc == -ENOENT)
		return rc;
	if (rc) {
		ifn_err("cannot restore the saved state: %s; starting with empty state", err);
		return rc;
	}
	if (info.fallback)
		ifn_warn("%s", err);
	printf("restored %zu device%s, %zu flow%s and %zu rule%s from %s (saved %s)\n",
	       info.devices, info.devices == 1 ? "" : "s", info.flows, info.flows == 1 ? "" : "s",
	       info.rules, info.rules == 1 ? "" : "s", info.path, ifn_fmt_time(info.saved_ns, tb));
	return 0;
}

int ifn_snapshot_iface(const struct ifn_maps *m, const char *ifname, struct ifn_iface *ifc)
{
	__u32 ifindex = if_nametoindex(ifname);

	if (!ifindex || bpf_map_lookup_elem(m->ifaces, &ifindex, ifc))
		return -ENOENT;
	return 0;
}
