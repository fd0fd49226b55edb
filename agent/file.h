/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * file.h - reading the files an operator names (policies, the daemon's
 * configuration, captures, snapshots) without ever blocking on them and
 * without taking a file caught half-written for a whole one.
 */
#ifndef IFN_FILE_H
#define IFN_FILE_H

#include <stddef.h>
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

#endif /* IFN_FILE_H */
