// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config.c - the daemon's configuration file: parsed and checked in full
 * before anything is applied, every error as FILE:LINE: message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "errors.h"
#include "defaults.h"
#include "file.h"
#include "format.h"
#include "parse.h"
#include "settings.h"
#include "state.h"

/* A configuration is a few lines; more is not one. */
#define CONF_MAX_FILE (1024UL * 1024)

#define MAX_WORDS 16

void ifn_conf_defaults(struct ifn_daemon_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->metrics_interval_ns = IFN_CONF_METRICS_INTERVAL_NS;
	c->snapshot_interval_ns = IFN_CONF_SNAPSHOT_INTERVAL_NS;
	c->syslog = true;
	c->events_stdout = true;
	ifn_gen_defaults(&c->gen);
}

struct pctx {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int bad(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct pctx *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -EINVAL;
}

static int parse_bool(struct pctx *p, const char *key, const char *v, bool *out)
{
	if (!strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return bad(p, "%s: '%s' is not on or off", key, v);
	return 0;
}

static int parse_dur(struct pctx *p, const char *key, const char *v, __u64 min_ns, __u64 *out)
{
	char mb[32];

	if (ifn_parse_duration(v, out))
		return bad(p, "%s: '%s' is not a duration (90s, 10m, 1h)", key, v);
	if (*out && *out < min_ns)
		return bad(p, "%s: %s is too short (0 or at least %s)", key, v,
			   ifn_fmt_duration(min_ns, mb, sizeof(mb)));
	return 0;
}

static int parse_size(struct pctx *p, const char *key, const char *v, __u32 *out)
{
	__u64 n;

	if (ifn_parse_count(v, &n) || n < IFN_MAP_SIZE_MIN || n > IFN_MAP_SIZE_MAX)
		return bad(p, "%s: '%s' is not a count from %d to %d", key, v, IFN_MAP_SIZE_MIN,
			   IFN_MAP_SIZE_MAX);
	*out = n;
	return 0;
}

static int parse_path(struct pctx *p, const char *key, const char *v, char *out, size_t len)
{
	if (v[0] != '/')
		return bad(p, "%s: '%s' is not an absolute path", key, v);
	if (strlen(v) >= len)
		return bad(p, "%s: path too long", key);
	snprintf(out, len, "%s", v);
	return 0;
}

/* interface IFACE [mode native|generic] [new-devices MODE] [learn-for DUR] */
static int parse_iface(struct pctx *p, struct ifn_daemon_conf *c, char **w, int n)
{
	struct ifn_conf_iface *f;
	int i, mode;

	if (n < 2)
		return bad(p, "interface: missing the interface name");
	if (strlen(w[1]) >= sizeof(f->name) || strchr(w[1], '/'))
		return bad(p, "interface: '%s' is not an interface name", w[1]);
	if (ifn_conf_find_iface(c, w[1]))
		return bad(p, "interface %s: listed twice (first on line %u)", w[1],
			   ifn_conf_find_iface(c, w[1])->line);
	if (c->n_ifaces >= IFN_MAX_IFACES)
		return bad(p, "interface: more than %d interfaces", IFN_MAX_IFACES);
	f = &c->ifaces[c->n_ifaces];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", w[1]);
	f->mode = IFN_ATTACH_AUTO;
	f->new_devices = IFN_MODE_LEARN;
	f->learn_ns = IFN_LEARN_DEFAULT_NS;
	f->line = p->line;
	for (i = 2; i < n; i += 2) {
		if (i + 1 >= n)
			return bad(p, "interface %s: '%s' needs a value", f->name, w[i]);
		if (!strcmp(w[i], "mode")) {
			if (!strcmp(w[i + 1], "native"))
				f->mode = IFN_ATTACH_NATIVE;
			else if (!strcmp(w[i + 1], "generic"))
				f->mode = IFN_ATTACH_GENERIC;
			else
				return bad(p, "interface %s: mode '%s' is not native or generic",
					   f->name, w[i + 1]);
		} else if (!strcmp(w[i], "new-devices")) {
			mode = ifn_parse_mode(w[i + 1]);
			if (mode < 0)
				return bad(p, "interface %s: new-devices '%s' is not a mode",
					   f->name, w[i + 1]);
			f->new_devices = mode;
			f->have_new_devices = true;
		} else if (!strcmp(w[i], "learn-for")) {
			if (ifn_parse_duration(w[i + 1], &f->learn_ns))
				return bad(p, "interface %s: learn-for '%s' is not a duration",
					   f->name, w[i + 1]);
			if (f->learn_ns > IFN_DURATION_MAX_NS)
				return bad(
					p,
					"interface %s: learn-for '%s' is too long (at most " IFN_DURATION_MAX_TEXT
					")",
					f->name, w[i + 1]);
			f->have_learn = true;
		} else {
			return bad(p,
				   "interface %s: unknown option '%s' (mode, new-devices, "
				   "learn-for)",
				   f->name, w[i]);
		}
	}
	c->n_ifaces++;
	return 0;
}

static bool is_setting(const char *key)
{
	int i;

	for (i = 0; ifn_setting_names[i]; i++)
		if (!strcmp(ifn_setting_names[i], key))
			return true;
	return false;
}

static int parse_setting(struct pctx *p, struct ifn_daemon_conf *c, const char *key,
			 const char *value)
{
	struct ifn_conf_setting *s = NULL;
	struct ifn_config scratch;
	char e[IFN_ERRLEN];
	unsigned int i;

	/* Checked now against a scratch copy; applied over what is pinned. */
	ifn_config_defaults(&scratch);
	if (ifn_setting_apply(&scratch, key, value, e, sizeof(e)))
		return bad(p, "%s", e);
	if (strlen(value) >= sizeof(s->value))
		return bad(p, "%s: value too long", key);
	for (i = 0; i < c->n_settings; i++)
		if (!strcmp(c->settings[i].key, key))
			return bad(p, "%s: set twice (first on line %u)", key, c->settings[i].line);
	if (c->n_settings >= IFN_CONF_MAX_SETTINGS)
		return bad(p, "too many settings");
	s = &c->settings[c->n_settings++];
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->value, sizeof(s->value), "%s", value);
	s->line = p->line;
	return 0;
}

static bool is_gen_opt(const char *key)
{
	int i;

	for (i = 0; ifn_gen_opt_names[i]; i++)
		if (!strcmp(ifn_gen_opt_names[i], key))
			return true;
	return false;
}

static int parse_line(struct pctx *p, struct ifn_daemon_conf *c, char *line)
{
	char *w[MAX_WORDS], *save = NULL, *tok;
	const char *k;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_WORDS)
			return bad(p, "too many words");
		w[n++] = tok;
	}
	if (!n)
		return 0;
	k = w[0];
	if (!strcmp(k, "interface"))
		return parse_iface(p, c, w, n);
	if (n == 1)
		return bad(p, "%s: missing value", k);
	if (n > 2)
		return bad(p, "%s: one value expected, got '%s ...'", k, w[2]);
	if (is_setting(k))
		return parse_setting(p, c, k, w[1]);
	if (is_gen_opt(k)) {
		char e[IFN_ERRLEN];

		if (ifn_gen_opt_apply(&c->gen, k, w[1], e, sizeof(e)))
			return bad(p, "%s", e);
		return 0;
	}
	if (!strcmp(k, "generalise"))
		return parse_bool(p, k, w[1], &c->generalise);
	if (!strcmp(k, "policy"))
		return parse_path(p, k, w[1], c->policy, sizeof(c->policy));
	if (!strcmp(k, "mud-dir"))
		return parse_path(p, k, w[1], c->mud_dir, sizeof(c->mud_dir));
	if (!strcmp(k, "metrics-file"))
		return parse_path(p, k, w[1], c->metrics_file, sizeof(c->metrics_file));
	if (!strcmp(k, "metrics-interval"))
		return parse_dur(p, k, w[1], IFN_CONF_INTERVAL_MIN_NS, &c->metrics_interval_ns);
	if (!strcmp(k, "snapshot-interval"))
		return parse_dur(p, k, w[1], IFN_CONF_INTERVAL_MIN_NS, &c->snapshot_interval_ns);
	if (!strcmp(k, "syslog"))
		return parse_bool(p, k, w[1], &c->syslog);
	if (!strcmp(k, "events-stdout"))
		return parse_bool(p, k, w[1], &c->events_stdout);
	if (!strcmp(k, "detach-on-exit"))
		return parse_bool(p, k, w[1], &c->detach_on_exit);
	if (!strcmp(k, "max-devices"))
		return parse_size(p, k, w[1], &c->max_devices);
	if (!strcmp(k, "max-flows"))
		return parse_size(p, k, w[1], &c->max_flows);
	if (!strcmp(k, "max-rules"))
		return parse_size(p, k, w[1], &c->max_rules);
	return bad(p, "unknown key '%s' (see iotfence.8, DAEMON)", k);
}

int ifn_conf_parse(FILE *f, const char *name, struct ifn_daemon_conf *c, char *err, size_t errlen)
{
	struct pctx p = { .name = name, .err = err, .errlen = errlen };
	char buf[1024];
	int rc;

	ifn_conf_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", name);
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);
		char *hash;

		p.line++;
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n' && !feof(f))
			return bad(&p, "line longer than %zu characters", sizeof(buf) - 2);
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		rc = parse_line(&p, c, buf);
		if (rc)
			return rc;
	}
	if (ferror(f)) {
		p.line++;
		return bad(&p, "read error");
	}
	return 0;
}

int ifn_conf_load(const char *path, struct ifn_daemon_conf *c, char *err, size_t errlen)
{
	char why[160], *buf;
	size_t len;
	FILE *f;
	int rc;

	/* Never blocks (a FIFO is refused, the daemon's loop goes on), never half a file. */
	rc = ifn_file_read(path, CONF_MAX_FILE, &buf, &len, why, sizeof(why));
	if (rc) {
		/* A file, not a map: the system's words. */
		snprintf(err, errlen, "%s: %s", path, why);
		return rc;
	}
	f = fmemopen(buf, len ? len : 1, "r");
	if (!f) {
		rc = -errno;
		free(buf);
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!len)
		fgetc(f); /* fmemopen wants a size: an empty file reads as one */
	rc = ifn_conf_parse(f, path, c, err, errlen);
	fclose(f);
	free(buf);
	return rc;
}

const struct ifn_conf_iface *ifn_conf_find_iface(const struct ifn_daemon_conf *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_ifaces; i++)
		if (!strcmp(c->ifaces[i].name, name))
			return &c->ifaces[i];
	return NULL;
}

const char *ifn_conf_metrics_path(const struct ifn_daemon_conf *c, char *buf, size_t len)
{
	if (c->metrics_file[0])
		snprintf(buf, len, "%s", c->metrics_file);
	else
		snprintf(buf, len, "%s/%s", ifn_state_dir(), IFN_CONF_METRICS_FILE);
	return buf;
}
