/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * errors.h - one clear line on stderr for every failure.
 *
 * Functions keep returning -errno; these helpers turn the codes a user can
 * act on into words at the point where the message is printed.
 */
#ifndef IFN_ERRORS_H
#define IFN_ERRORS_H

#include <stddef.h>

/* Print "iotfence: <message>" on stderr. */
void ifn_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "iotfence: warning: <message>" on stderr. */
void ifn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Words for a negative errno in the context of iotfence's maps: -E2BIG is
 * "table full", -ENOENT "not found", and so on. Unknown codes fall back to
 * strerror().
 */
const char *ifn_strerror(int err);

/*
 * For code that reports bad input to its caller instead of printing it:
 * the message into @err (@errlen bytes; nothing if @err is NULL or
 * @errlen 0), and @ret back.
 */
int ifn_errbuf(int ret, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The last line ifn_err() printed, without "iotfence: " ("" if none). */
const char *ifn_last_error(void);

/* The program name used in messages ("iotfence"). */
extern const char *ifn_progname;

#endif /* IFN_ERRORS_H */
