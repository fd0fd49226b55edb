// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cli.c - what every command shares: help output and argument checks. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "defaults.h"
#include "errors.h"
#include "parse.h"

bool ifn_json_output;

static void print_wrapped(FILE *f, const char *text, int indent, int width)
{
	int col = indent;
	const char *p = text;

	fprintf(f, "%*s", indent, "");
	while (*p) {
		size_t w = strcspn(p, " ");

		if (col > indent && col + (int)w + 1 > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

const char *ifn_opt_text(const struct ifn_opt *o, char *buf, size_t len)
{
	snprintf(buf, len, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	return buf;
}

static bool opt_for(const struct ifn_opt *o, const char *sub)
{
	const char *p;
	size_t n;

	if (!sub || !o->subs)
		return true;
	n = strlen(sub);
	for (p = o->subs; (p = strstr(p, sub)); p += n)
		if ((p == o->subs || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

#define IFN_MAX_OPTS 16

int ifn_getopt(const struct ifn_cmd *c, const char *sub, int argc, char **argv)
{
	struct option longopts[IFN_MAX_OPTS + 1] = {};
	char shorts[IFN_MAX_OPTS + 1] = "";
	const struct ifn_opt *o;
	size_t n = 0, ns = 0;

	for (o = c->opts; o && o->name && n < IFN_MAX_OPTS; o++) {
		if (!o->val || !opt_for(o, sub))
			continue;
		longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
						 NULL, o->val };
		if (o->short_too)
			shorts[ns++] = (char)o->val;
	}
	opterr = 0;
	return getopt_long(argc, argv, shorts, longopts, NULL);
}

void ifn_cmd_help(const struct ifn_cmd *c, FILE *f)
{
	const struct ifn_opt *o;

	fprintf(f, "usage: %s %s %s\n\n", ifn_progname, c->name, c->args);
	print_wrapped(f, c->summary, 2, 80);
	if (c->details) {
		fputc('\n', f);
		print_wrapped(f, c->details, 2, 80);
	}
	if (c->opts && c->opts[0].name) {
		char text[64];

		fprintf(f, "\noptions:\n");
		for (o = c->opts; o->name; o++) {
			fprintf(f, "  %s\n", ifn_opt_text(o, text, sizeof(text)));
			print_wrapped(f, o->help, 6, 80);
		}
	}
}

int ifn_usage_error(const struct ifn_cmd *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ifn_err("%s: %s (see '%s %s -h')", c->name, msg, ifn_progname, c->name);
	return IFN_EXIT_USAGE;
}

int ifn_arg_mac(const struct ifn_cmd *c, const char *s, __u8 mac[6])
{
	if (!s) {
		ifn_usage_error(c, "missing MAC");
		return -EINVAL;
	}
	if (ifn_parse_mac(s, mac)) {
		ifn_usage_error(c, "'%s' is not a MAC address (like 00:11:22:aa:bb:cc)", s);
		return -EINVAL;
	}
	if (!ifn_mac_is_device(mac)) {
		ifn_usage_error(c,
				"'%s' is not a device MAC (broadcast, multicast and zero are never "
				"a device's source)",
				s);
		return -EINVAL;
	}
	return 0;
}

int ifn_arg_duration(const struct ifn_cmd *c, const char *opt, const char *s, __u64 *ns)
{
	__u64 v;
	int err = ifn_parse_duration(s, &v);

	if (err == -ERANGE || (!err && v > IFN_DURATION_MAX_NS)) {
		ifn_usage_error(c, "%s '%s' is too long (at most " IFN_DURATION_MAX_TEXT ")", opt,
				s);
		return -ERANGE;
	}
	if (err) {
		ifn_usage_error(c, "%s '%s' is not a duration (like 90s, 10m, 24h, 1h30m)", opt, s);
		return -EINVAL;
	}
	*ns = v;
	return 0;
}

int ifn_opt_error(const struct ifn_cmd *c, char **argv)
{
	const char *arg = argv[optind - 1];
	const char *eq = strchr(arg, '=');

	/*
	 * getopt_long sets optopt to a known long option's value when its use
	 * is wrong (missing value, or a value it does not take), 0 otherwise.
	 */
	if (optopt && !strncmp(arg, "--", 2) && eq)
		return ifn_usage_error(c, "option '%.*s' takes no value", (int)(eq - arg), arg);
	if (optopt && !strncmp(arg, "--", 2))
		return ifn_usage_error(c, "option '%s' needs a value", arg);
	return ifn_usage_error(c, "unknown option '%s'", arg);
}

int ifn_arg_count(const struct ifn_cmd *c, const char *opt, const char *s, __u64 *v)
{
	int err = ifn_parse_count(s, v);

	if (err == -ERANGE) {
		ifn_usage_error(c, "%s '%s' is too large", opt, s);
		return err;
	}
	if (err) {
		ifn_usage_error(c, "%s '%s' is not a number (like 100, 10k, 1.5M)", opt, s);
		return -EINVAL;
	}
	return 0;
}
