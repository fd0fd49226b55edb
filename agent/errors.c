// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

const char *ifn_progname = "iotfence";

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	/* One write per line, so concurrent writers do not interleave. */
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "%s: %s", ifn_progname, prefix);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	fprintf(stderr, "%s\n", buf);
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
