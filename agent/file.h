/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * file.h - reading the files an operator names (policies, the daemon's
 * configuration, captures, snapshots) without ever blocking on them and
 * without taking a file caught half-written for a whole one; writing a file
 * that no reader ever sees half of.
 */
#ifndef IFN_FILE_H
#define IFN_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/*
 * Open @path for reading, refusing before any read what is not a regular
 * file (a FIFO would block, a directory or device is no input) and the
 * files of /proc and /sys (their size says nothing of their contents). The
 * open itself never blocks (O_NONBLOCK, cleared on the regular file). On
 * error *why says what the path is ("a FIFO, not a regular file") and the
 * return is -EINVAL (-EISDIR for a directory), or the open's -errno.
 * Returns the descriptor; *st is its stat.
 */
int ifn_file_open(const char *path, struct stat *st, char *why, size_t whylen);

/*
 * The whole of @path (ifn_file_open), at most @max bytes (-EFBIG), NUL
 * terminated, *buf malloc'd. A file that changed while it was read (its
 * size, modification time or inode is not what it was when opened: an
 * editor writing it in place) is refused with -EAGAIN, so that a reader
 * never acts on half a file; one modified less than 150 ms before is
 * looked at again once it is that old (file.c, settled()).
 */
int ifn_file_read(const char *path, size_t max, char **buf, size_t *len, char *why, size_t whylen);

/*
 * The first half of replacing @path: a temp file ".@base.XXXXXX" in its
 * directory gets what @fill writes, mode @mode, and is flushed to disk. Its
 * name is left in @tmp (@len >= PATH_MAX + 16) for ifn_file_commit(), or
 * for unlink() by a caller that changes its mind. On error nothing is left.
 * Returns 0 or -errno.
 */
int ifn_file_prepare(const char *path, const char *base, mode_t mode,
		     void (*fill)(FILE *f, const void *arg), const void *arg, char *tmp,
		     size_t len);
/* The second half: rename @tmp over @path (on error @tmp is removed). Returns 0 or -errno. */
int ifn_file_commit(const char *tmp, const char *path);

#endif /* IFN_FILE_H */
