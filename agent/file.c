// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "file.h"

static const char *type_name(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a file";
}

int ifn_file_open(const char *path, struct stat *st, char *why, size_t whylen)
{
	struct statfs sf;
	int fd, err, fl;

	if (whylen)
		why[0] = '\0';
	/* O_NONBLOCK: opening a FIFO that no one writes returns at once. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	if (fstat(fd, st)) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		close(fd);
		return err;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "%s, not a regular file", type_name(st->st_mode));
		close(fd);
		return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	}
	/* Their sizes are 0 or 4096 whatever they hold: nothing to read whole. */
	if (!fstatfs(fd, &sf) && (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC)) {
		snprintf(why, whylen, "a file of %s, not a regular file",
			 sf.f_type == PROC_SUPER_MAGIC ? "/proc" : "/sys");
		close(fd);
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * A file changed a moment ago may be caught between two writes of an editor
 * writing in place: one truncated and still empty reads the same before
 * and after, and would load as "everything removed". Such a file is looked
 * at again once it is FILE_SETTLE_NS old; it must not have changed. A file
 * written long before costs nothing.
 */
#define FILE_SETTLE_NS 150000000LL

static bool settled(const char *path, const struct stat *before)
{
	struct timespec now;
	struct stat again;
	long long age;

	if (clock_gettime(CLOCK_REALTIME, &now))
		return true;
	age = (now.tv_sec - before->st_mtim.tv_sec) * 1000000000LL +
	      (now.tv_nsec - before->st_mtim.tv_nsec);
	if (age >= FILE_SETTLE_NS || age < -FILE_SETTLE_NS)
		return true;
	if (age < 0)
		age = 0; /* a clock a little behind the file system's */
	{
		struct timespec d = { 0, FILE_SETTLE_NS - age };

		while (nanosleep(&d, &d) && errno == EINTR)
			;
	}
	return !stat(path, &again) && same_file(before, &again) &&
	       again.st_ctim.tv_sec == before->st_ctim.tv_sec &&
	       again.st_ctim.tv_nsec == before->st_ctim.tv_nsec;
}

int ifn_file_read(const char *path, size_t max, char **out, size_t *len, char *why, size_t whylen)
{
	struct stat before = {}, after, now;
	size_t done = 0;
	char *buf;
	int fd, err = 0;

	*out = NULL;
	*len = 0;
	fd = ifn_file_open(path, &before, why, whylen);
	if (fd < 0)
		return fd;
	if ((size_t)before.st_size > max) {
		snprintf(why, whylen, "too large (%lld bytes; at most %zu)",
			 (long long)before.st_size, max);
		close(fd);
		return -EFBIG;
	}
	buf = malloc(before.st_size + 1);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		close(fd);
		return -ENOMEM;
	}
	/* One byte past the size: a file that grew is seen to have. */
	while (done <= (size_t)before.st_size) {
		ssize_t n = read(fd, buf + done, before.st_size + 1 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			snprintf(why, whylen, "%s", strerror(-err));
			break;
		}
		if (!n)
			break;
		done += n;
		if (done > (size_t)before.st_size)
			break;
	}
	if (!err &&
	    (fstat(fd, &after) || stat(path, &now) || done != (size_t)before.st_size ||
	     !same_file(&before, &after) || !same_file(&before, &now) || !settled(path, &before))) {
		snprintf(why, whylen,
			 "changed while it was read (an editor writing it?): nothing was "
			 "done; try again once it is written");
		err = -EAGAIN;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[done] = '\0';
	*out = buf;
	*len = done;
	return 0;
}

int ifn_file_prepare(const char *path, const char *base, mode_t mode,
		     void (*fill)(FILE *f, const void *arg), const void *arg, char *tmp, size_t len)
{
	char dirbuf[PATH_MAX];
	FILE *f;
	int fd, err = 0;

	if (strlen(path) >= sizeof(dirbuf))
		return -ENAMETOOLONG;
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	if ((size_t)snprintf(tmp, len, "%s/.%s.XXXXXX", dirname(dirbuf), base) >= len)
		return -ENAMETOOLONG;
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
	fill(f, arg);
	if (fflush(f) || fchmod(fd, mode) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int ifn_file_commit(const char *tmp, const char *path)
{
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}
