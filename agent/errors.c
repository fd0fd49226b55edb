// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

const char *ifn_progname = "iotfence";

/*
 * A line may echo what an operator gave (an argument, a file's bytes): its
 * control bytes (a terminal escape, a newline) are written as \xHH, so that
 * an error is one line and never drives the terminal.
 */
static const char *escaped(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			o += snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* The last error line, without the program's name: for a JSON error object. */
static char last_err[1100];

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	/* One write per line, so concurrent writers do not interleave. */
	char buf[1024], out[1100];
	int n;

	n = snprintf(buf, sizeof(buf), "%s: %s", ifn_progname, prefix);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	fprintf(stderr, "%s\n", escaped(buf, out, sizeof(out)));
	if (!*prefix)
		snprintf(last_err, sizeof(last_err), "%s", out + strlen(ifn_progname) + 2);
}

const char *ifn_last_error(void)
{
	return last_err;
}

void ifn_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void ifn_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int ifn_errbuf(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

const char *ifn_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case E2BIG:
		return "table full";
	case ENOENT:
		return "not found";
	case EEXIST:
		return "already exists";
	case ENOMEM:
		return "out of memory (or the map is full)";
	case EPERM:
	case EACCES:
		return "permission denied (needs root: CAP_BPF and CAP_NET_ADMIN)";
	case ENODEV:
		return "no such interface";
	case EBUSY:
		return "busy (another XDP program is attached)";
	case EOPNOTSUPP:
		return "not supported by this driver or kernel";
	case EINVAL:
		return "invalid argument";
	case ENOSPC:
		return "no space left";
	case EINPROGRESS:
		return "the pinned state was never fully restored (an interrupted restore)";
	default:
		return strerror(err);
	}
}
