// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy_parse.c - policy files to struct ifn_policy and back. Parsing goes
 * on after an error, so that `policy check` lists every error at once.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"
#include "devices.h"
#include "file.h"
#include "format.h"
#include "grow.h"
#include "parse.h"
#include "policy_parse.h"
#include "settings.h"

#define POL_MAX_WORDS 16
#define POL_MAX_FILE (256UL * 1024 * 1024)

struct pctx {
	struct ifn_policy *p;
	ifn_pol_err_fn err;
	void *ctx;
	unsigned int line, nerr;
	long cur; /* index of the device being declared; -1 none; -2 a bad one */
	size_t cap_set, cap_if, cap_dev;
	bool oom;
};

static void perr(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct pctx *c, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->nerr++;
	if (c->err)
		c->err(c->ctx, c->line, msg);
}

/* Room for item @n of @p; NULL (and *oom) when out of memory. */
static void *grow(void *p, size_t n, size_t *cap, size_t size, bool *oom)
{
	if (ifn_grow(&p, cap, n + 1, size, 8)) {
		*oom = true;
		return NULL;
	}
	return p;
}

bool ifn_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > IFN_NAME_MAX || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

static bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 15)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '/' || *s == ':')
			return false;
	return true;
}

int ifn_parse_rfc3339(const char *s, __u64 *wall_ns)
{
	int Y, M, D, h, m, sec, n = 0;
	__u64 frac = 0, scale = 100000000ULL;
	struct tm tm = {};
	time_t t;

	/* Field widths bound every number: none can overflow an int. */
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", /* NOLINT(cert-err34-c) */
		   &Y, &M, &D, &h, &m, &sec, &n) != 6 ||
	    n != 19)
		return -EINVAL;
	s += n;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (strcmp(s, "Z") || Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 ||
	    sec > 60)
		return -EINVAL;
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* 31 February; and past 2554, nanoseconds no longer fit 64 bits. */
	if (t < 0 || tm.tm_mday != D || (__u64)t >= ~0ULL / 1000000000ULL)
		return -EINVAL;
	*wall_ns = (__u64)t * 1000000000ULL + frac;
	return 0;
}

static struct ifn_pol_dev *cur_dev(struct pctx *c)
{
	return c->cur >= 0 ? &c->p->devs[c->cur] : NULL;
}

static long find_dev(struct pctx *c, const __u8 mac[6])
{
	size_t i;

	for (i = 0; i < c->p->n_devs; i++)
		if (!memcmp(c->p->devs[i].mac, mac, 6))
			return i;
	return -1;
}

static long new_dev(struct pctx *c, const char *word)
{
	struct ifn_pol_dev *d;
	__u8 mac[6];
	long prev;

	if (ifn_parse_mac(word, mac)) {
		perr(c, "'%s' is not a MAC address (like 00:11:22:aa:bb:cc)", word);
		return -2;
	}
	if (!ifn_mac_is_device(mac)) {
		perr(c, "%s is not a device MAC (broadcast, multicast and zero never are)", word);
		return -2;
	}
	prev = find_dev(c, mac);
	if (prev >= 0) {
		perr(c, "device %s is already declared at line %u", word, c->p->devs[prev].line);
		return -2;
	}
	d = grow(c->p->devs, c->p->n_devs, &c->cap_dev, sizeof(*d), &c->oom);
	if (!d)
		return -2;
	c->p->devs = d;
	d = &c->p->devs[c->p->n_devs];
	memset(d, 0, sizeof(*d));
	memcpy(d->mac, mac, 6);
	d->line = c->line;
	return c->p->n_devs++;
}

/* MODE [for DUR | until TIME] [then MODE] */
static void parse_mode(struct pctx *c, char **w, int n, struct ifn_pol_mode *pm)
{
	int i = 1, mode;

	memset(pm, 0, sizeof(*pm));
	pm->line = c->line;
	pm->then = IFN_MODE_ENFORCE;
	if (n < 1) {
		perr(c, "missing mode (learn, monitor, enforce, quarantine or trust)");
		return;
	}
	mode = ifn_parse_mode(w[0]);
	if (mode < 0) {
		perr(c, "'%s' is not a mode (learn, monitor, enforce, quarantine or trust)", w[0]);
		return;
	}
	pm->mode = mode;
	if (i < n && !strcmp(w[i], "for")) {
		if (i + 1 >= n || ifn_parse_duration(w[i + 1], &pm->for_ns) || !pm->for_ns ||
		    pm->for_ns > IFN_DURATION_MAX_NS) {
			perr(c, "'for' needs a duration above 0 and at most " IFN_DURATION_MAX_TEXT
				" (like 90s, 10m, "
				"24h)");
			return;
		}
		pm->deadline = IFN_POL_FOR;
		i += 2;
	} else if (i < n && !strcmp(w[i], "until")) {
		if (i + 1 >= n || ifn_parse_rfc3339(w[i + 1], &pm->until_wall_ns)) {
			perr(c, "'until' needs a UTC time like 2026-11-22T04:15:37Z");
			return;
		}
		pm->deadline = IFN_POL_UNTIL;
		i += 2;
	}
	if (i < n && !strcmp(w[i], "then")) {
		if (pm->deadline == IFN_POL_NO_DEADLINE) {
			perr(c, "'then' needs 'for DUR' or 'until TIME' before it");
			return;
		}
		mode = i + 1 < n ? ifn_parse_mode(w[i + 1]) : -EINVAL;
		if (mode < 0) {
			perr(c, "'then' needs a mode");
			return;
		}
		pm->then = mode;
		i += 2;
	}
	if (i < n) {
		perr(c, "unexpected '%s' (mode MODE [for DUR | until TIME] [then MODE])", w[i]);
		return;
	}
	pm->set = true;
}

static void parse_rate(struct pctx *c, char **w, int n, struct ifn_pol_rate *pr)
{
	struct ifn_device scratch = {};
	int i, e;

	memset(pr, 0, sizeof(*pr));
	pr->line = c->line;
	if (n == 1 && !strcmp(w[0], "none")) {
		pr->set = true;
		return;
	}
	if (n == 0 || n % 2) {
		perr(c, "rate needs pairs: [pps N] [bps N] [burst-packets N] [burst-bytes N], "
			"or 'none'");
		return;
	}
	for (i = 0; i < n; i += 2) {
		__u64 *dst, v;

		if (!strcmp(w[i], "pps"))
			dst = &pr->pps;
		else if (!strcmp(w[i], "bps"))
			dst = &pr->bps;
		else if (!strcmp(w[i], "burst-packets"))
			dst = &pr->burst_pkts;
		else if (!strcmp(w[i], "burst-bytes"))
			dst = &pr->burst_bytes;
		else {
			perr(c, "unknown rate key '%s' (pps, bps, burst-packets, burst-bytes)",
			     w[i]);
			return;
		}
		if (ifn_parse_count(w[i + 1], &v)) {
			perr(c, "%s: '%s' is not a number (like 100, 10k, 1M)", w[i], w[i + 1]);
			return;
		}
		*dst = v;
	}
	e = ifn_device_apply_rate(&scratch, pr->pps, pr->bps, pr->burst_pkts, pr->burst_bytes);
	if (e == -EINVAL) {
		perr(c, "a burst may be at most one second's worth of its rate");
		return;
	}
	if (e) {
		perr(c, "rate too high (at most 18G)");
		return;
	}
	pr->set = true;
}

static void add_rule(struct pctx *c, struct ifn_pol_dev *d, char **w, int n, bool learned)
{
	char err[IFN_ERRLEN];
	struct ifn_pol_rule *pr;
	struct ifn_rule r;

	if (ifn_rule_parse_args(n, w, &r, err, sizeof(err))) {
		perr(c, "%s", err);
		return;
	}
	if (!d)
		return;
	memcpy(r.mac, d->mac, 6);
	if (!learned)
		r.origin = IFN_ORIGIN_POLICY;
	else
		r.origin = ifn_rule_kind(&r) == IFN_RULE_EXACT ? IFN_ORIGIN_LEARNED :
								 IFN_ORIGIN_GENERALISED;
	pr = grow(d->rules, d->n_rules, &d->cap_rules, sizeof(*pr), &c->oom);
	if (!pr)
		return;
	d->rules = pr;
	d->rules[d->n_rules].r = r;
	d->rules[d->n_rules].line = c->line;
	d->n_rules++;
}

/* MODE [learn-for DUR] */
static void parse_newdev(struct pctx *c, char **w, int n, struct ifn_pol_newdev *nd)
{
	int mode;

	memset(nd, 0, sizeof(*nd));
	nd->line = c->line;
	if (n < 1 || (mode = ifn_parse_mode(w[0])) < 0) {
		perr(c, "new-devices needs a mode (learn, monitor, enforce, quarantine or trust)");
		return;
	}
	nd->mode = mode;
	nd->learn_ns = mode == IFN_MODE_LEARN ? IFN_LEARN_DEFAULT_NS : 0;
	if (n >= 2 && !strcmp(w[1], "learn-for")) {
		if (n < 3 || ifn_parse_duration(w[2], &nd->learn_ns) ||
		    nd->learn_ns > IFN_DURATION_MAX_NS) {
			perr(c, "learn-for needs a duration of at most " IFN_DURATION_MAX_TEXT
				" (like 24h; 0 learns until "
				"told otherwise)");
			return;
		}
		if (n > 3) {
			perr(c, "unexpected '%s' after new-devices MODE [learn-for DUR]", w[3]);
			return;
		}
	} else if (n > 1) {
		perr(c, "unexpected '%s' after new-devices MODE [learn-for DUR]", w[1]);
		return;
	}
	nd->set = true;
}

static void stmt_set(struct pctx *c, char **w, int n)
{
	struct ifn_config scratch;
	struct ifn_pol_setting *s;
	char err[IFN_ERRLEN];
	size_t i;

	if (n != 3) {
		perr(c, "set needs a key and a value: set KEY VALUE");
		return;
	}
	ifn_config_defaults(&scratch);
	if (ifn_setting_apply(&scratch, w[1], w[2], err, sizeof(err))) {
		perr(c, "%s", err);
		return;
	}
	for (i = 0; i < c->p->n_settings; i++) {
		if (!strcmp(c->p->settings[i].key, w[1])) {
			perr(c, "setting %s is already set at line %u", w[1],
			     c->p->settings[i].line);
			return;
		}
	}
	if (strlen(w[2]) >= sizeof(s->value)) {
		perr(c, "value of %s too long", w[1]);
		return;
	}
	s = grow(c->p->settings, c->p->n_settings, &c->cap_set, sizeof(*s), &c->oom);
	if (!s)
		return;
	c->p->settings = s;
	s = &c->p->settings[c->p->n_settings++];
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", w[1]); /* a known key: short */
	snprintf(s->value, sizeof(s->value), "%s", w[2]);
	s->line = c->line;
}

static void stmt_interface(struct pctx *c, char **w, int n)
{
	struct ifn_pol_iface *it;
	struct ifn_pol_newdev nd;
	size_t i;

	if (n < 3 || strcmp(w[2], "new-devices")) {
		perr(c, "interface IFACE new-devices MODE [learn-for DUR]");
		return;
	}
	if (!ifname_valid(w[1])) {
		perr(c, "'%s' is not an interface name", w[1]);
		return;
	}
	parse_newdev(c, w + 3, n - 3, &nd);
	if (!nd.set)
		return;
	for (i = 0; i < c->p->n_ifaces; i++) {
		if (!strcmp(c->p->ifaces[i].name, w[1])) {
			perr(c, "interface %s is already given at line %u", w[1],
			     c->p->ifaces[i].nd.line);
			return;
		}
	}
	it = grow(c->p->ifaces, c->p->n_ifaces, &c->cap_if, sizeof(*it), &c->oom);
	if (!it)
		return;
	c->p->ifaces = it;
	it = &c->p->ifaces[c->p->n_ifaces++];
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", w[1]);
	it->nd = nd;
}

static void stmt_device(struct pctx *c, char **w, int n)
{
	struct ifn_pol_dev *d;

	if (n < 2 || n > 3) {
		perr(c, "device MAC [NAME]");
		c->cur = -2;
		return;
	}
	if (n == 3 && !ifn_name_valid(w[2])) {
		perr(c, "'%s' is not a device name (1 to %d of A-Z a-z 0-9 . _ -)", w[2],
		     IFN_NAME_MAX);
		c->cur = -2;
		return;
	}
	c->cur = new_dev(c, w[1]);
	d = cur_dev(c);
	if (d && n == 3)
		snprintf(d->name, sizeof(d->name), "%s", w[2]);
}

static void stmt_quarantine(struct pctx *c, char **w, int n)
{
	struct ifn_pol_mode pm;
	long idx;
	char *mw[8];
	int i;

	c->cur = -1;
	if (n < 2 || n > 7) {
		perr(c, "quarantine MAC [for DUR | until TIME] [then MODE]");
		return;
	}
	mw[0] = "quarantine";
	for (i = 2; i < n; i++)
		mw[i - 1] = w[i];
	parse_mode(c, mw, n - 1, &pm);
	idx = new_dev(c, w[1]);
	if (idx >= 0 && pm.set)
		c->p->devs[idx].mode = pm;
}

static void stmt_in_device(struct pctx *c, char **w, int n)
{
	struct ifn_pol_dev *d = cur_dev(c);

	if (c->cur == -1) {
		perr(c, "'%s' outside a device (start one with 'device MAC')", w[0]);
		return;
	}
	if (!strcmp(w[0], "mode")) {
		struct ifn_pol_mode pm;

		parse_mode(c, w + 1, n - 1, &pm);
		if (d && d->mode.line && pm.set)
			perr(c, "the mode of this device is already given at line %u",
			     d->mode.line);
		else if (d && pm.set)
			d->mode = pm;
	} else if (!strcmp(w[0], "rate")) {
		struct ifn_pol_rate pr;

		parse_rate(c, w + 1, n - 1, &pr);
		if (d && d->rate.line && pr.set)
			perr(c, "the rate of this device is already given at line %u",
			     d->rate.line);
		else if (d && pr.set)
			d->rate = pr;
	} else if (!strcmp(w[0], "allow") || !strcmp(w[0], "learned")) {
		add_rule(c, d, w + 1, n - 1, w[0][0] == 'l');
	} else if (!strcmp(w[0], "learned-flows")) {
		if (n != 2 || (strcmp(w[1], "keep") && strcmp(w[1], "replace"))) {
			perr(c, "learned-flows keep|replace");
			return;
		}
		if (d && d->replace_line) {
			perr(c, "learned-flows is already given at line %u", d->replace_line);
			return;
		}
		if (d) {
			d->replace_learned = !strcmp(w[1], "replace");
			d->replace_line = c->line;
		}
	}
}

static void statement(struct pctx *c, char **w, int n)
{
	if (!strcmp(w[0], "set")) {
		c->cur = -1;
		stmt_set(c, w, n);
	} else if (!strcmp(w[0], "new-devices")) {
		struct ifn_pol_newdev nd;

		c->cur = -1;
		if (c->p->newdev.set) {
			perr(c, "new-devices is already given at line %u", c->p->newdev.line);
			return;
		}
		parse_newdev(c, w + 1, n - 1, &nd);
		if (nd.set)
			c->p->newdev = nd;
	} else if (!strcmp(w[0], "interface")) {
		c->cur = -1;
		stmt_interface(c, w, n);
	} else if (!strcmp(w[0], "device")) {
		stmt_device(c, w, n);
	} else if (!strcmp(w[0], "quarantine")) {
		stmt_quarantine(c, w, n);
	} else if (!strcmp(w[0], "mode") || !strcmp(w[0], "rate") || !strcmp(w[0], "allow") ||
		   !strcmp(w[0], "learned") || !strcmp(w[0], "learned-flows")) {
		stmt_in_device(c, w, n);
	} else {
		perr(c,
		     "unknown statement '%.40s' (set, new-devices, interface, device, quarantine; "
		     "in a device: mode, rate, allow, learned, learned-flows)",
		     w[0]);
	}
}

static int cmp_pol_dev(const void *a, const void *b)
{
	return memcmp(((const struct ifn_pol_dev *)a)->mac, ((const struct ifn_pol_dev *)b)->mac,
		      6);
}

static int cmp_pol_rule(const void *a, const void *b)
{
	const struct ifn_pol_rule *x = a, *y = b;
	int r = ifn_rule_cmp(&x->r, &y->r);

	return r ? r : (int)x->line - (int)y->line;
}

/*
 * Port-any and port-range rules on one peer prefix share one trie entry:
 * two different ones would have the second replace the first. Sorted by
 * kind, so they are together; few, so pairs are cheap.
 */
static void check_ranges(struct pctx *c, const struct ifn_pol_dev *d)
{
	size_t j, k;

	for (j = 0; j < d->n_rules; j++) {
		const struct ifn_rule *a = &d->rules[j].r;

		if (ifn_rule_kind(a) != IFN_RULE_ANY_PORT)
			continue;
		for (k = j + 1; k < d->n_rules; k++) {
			const struct ifn_rule *b = &d->rules[k].r;
			char ra[IFN_RULE_STRLEN], rb[IFN_RULE_STRLEN];

			if (ifn_rule_kind(b) != IFN_RULE_ANY_PORT)
				break;
			if (a->proto != b->proto || a->dir != b->dir || a->plen != b->plen ||
			    memcmp(a->peer, b->peer, 16) || ifn_rule_same(a, b))
				continue;
			c->line = d->rules[k].line;
			perr(c,
			     "rule '%s' and '%s' (line %u): one port range or 'any port' per "
			     "protocol, peer and direction",
			     ifn_rule_format(b, rb, sizeof(rb)), ifn_rule_format(a, ra, sizeof(ra)),
			     d->rules[j].line);
		}
	}
}

/* What only the whole file shows: a rule given twice in a device. */
static void check_whole(struct pctx *c)
{
	size_t i, j, first;

	for (i = 0; i < c->p->n_devs; i++) {
		struct ifn_pol_dev *d = &c->p->devs[i];

		if (d->n_rules > 1)
			qsort(d->rules, d->n_rules, sizeof(*d->rules), cmp_pol_rule);
		/* Each repeat names the first occurrence (the lowest line: sorted so). */
		for (j = 1, first = 0; j < d->n_rules; j++) {
			if (ifn_rule_same(&d->rules[j].r, &d->rules[j - 1].r)) {
				char rb[IFN_RULE_STRLEN];

				c->line = d->rules[j].line;
				perr(c, "rule '%s' is already given at line %u",
				     ifn_rule_format(&d->rules[j].r, rb, sizeof(rb)),
				     d->rules[first].line);
			} else {
				first = j;
			}
		}
		check_ranges(c, d);
	}
	if (c->p->n_devs > 1)
		qsort(c->p->devs, c->p->n_devs, sizeof(*c->p->devs), cmp_pol_dev);
}

void ifn_policy_free(struct ifn_policy *p)
{
	size_t i;

	for (i = 0; i < p->n_devs; i++)
		free(p->devs[i].rules);
	free(p->devs);
	free(p->settings);
	free(p->ifaces);
	memset(p, 0, sizeof(*p));
}

int ifn_policy_parse(const char *buf, size_t len, struct ifn_policy *p, ifn_pol_err_fn err,
		     void *ctx)
{
	struct pctx c = { .p = p, .err = err, .ctx = ctx, .cur = -1 };
	size_t pos = 0;
	char *line = NULL;
	size_t cap = 0;

	memset(p, 0, sizeof(*p));
	while (pos < len && !c.oom) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char *words[POL_MAX_WORDS], *save = NULL, *w;
		int n = 0;

		c.line++;
		if (!line || l + 1 > cap) {
			char *nb = realloc(line, l + 1);

			if (!nb) {
				c.oom = true;
				break;
			}
			line = nb;
			cap = l + 1;
		}
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		pos += l + (nl ? 1 : 0);
		if (strlen(line) != l) {
			perr(&c, "a NUL byte in the line");
			continue;
		}
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		for (w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			if (w[0] == '#')
				break;
			if (n == POL_MAX_WORDS) {
				perr(&c, "too many words");
				n = -1;
				break;
			}
			words[n++] = w;
		}
		if (n > 0)
			statement(&c, words, n);
	}
	free(line);
	if (!c.oom)
		check_whole(&c);
	if (c.oom) {
		ifn_policy_free(p);
		return -ENOMEM;
	}
	if (c.nerr) {
		ifn_policy_free(p);
		return c.nerr;
	}
	return 0;
}

struct file_msg {
	unsigned int line, seq;
	char *msg;
};

struct file_err {
	const char *path;
	struct file_msg *v;
	size_t n, cap;
};

static void keep_file_err(void *ctx, unsigned int line, const char *msg)
{
	struct file_err *fe = ctx;
	char *m = strdup(msg);

	if (!m || ifn_grow((void **)&fe->v, &fe->cap, fe->n + 1, sizeof(*fe->v), 16)) {
		/* Out of memory: say it now rather than lose it. */
		fprintf(stderr, "%s:%u: %s\n", fe->path, line, msg);
		free(m);
		return;
	}
	fe->v[fe->n].line = line;
	fe->v[fe->n].seq = fe->n;
	fe->v[fe->n].msg = m;
	fe->n++;
}

static int cmp_err(const void *a, const void *b)
{
	const struct file_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* At most this many errors are printed: 10 MB of garbage is not 140,000 lines. */
#define FILE_ERRS_SHOWN 100
/* And at most this many bytes of a message, which may echo the input. */
#define FILE_ERR_MSG_MAX 240

/*
 * A message with what it echoes of the file made harmless: control bytes
 * (a terminal escape) as \xHH, and cut at FILE_ERR_MSG_MAX bytes.
 */
static const char *err_escaped(const char *m, char *buf, size_t len)
{
	size_t o = 0;

	for (; *m && o + 8 < len; m++) {
		unsigned char c = (unsigned char)*m;

		if (c < 0x20 || c == 0x7f)
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = c;
	}
	if (*m)
		o += snprintf(buf + o, len - o, "...");
	buf[o] = '\0';
	return buf;
}

/* In line order, one a line, FILE:LINE: as compilers print them. */
static void print_file_errs(struct file_err *fe)
{
	char buf[FILE_ERR_MSG_MAX + 16];
	size_t i;

	if (fe->n) /* qsort's array must not be NULL, even empty */
		qsort(fe->v, fe->n, sizeof(*fe->v), cmp_err);
	for (i = 0; i < fe->n; i++) {
		if (i >= FILE_ERRS_SHOWN)
			;
		else if (fe->v[i].line)
			fprintf(stderr, "%s:%u: %s\n", fe->path, fe->v[i].line,
				err_escaped(fe->v[i].msg, buf, sizeof(buf)));
		else
			fprintf(stderr, "%s: %s\n", fe->path,
				err_escaped(fe->v[i].msg, buf, sizeof(buf)));
		free(fe->v[i].msg);
	}
	if (fe->n > FILE_ERRS_SHOWN)
		fprintf(stderr, "%s: %zu more errors not shown (the first %d are)\n", fe->path,
			fe->n - FILE_ERRS_SHOWN, FILE_ERRS_SHOWN);
	free(fe->v);
	fe->v = NULL;
	fe->n = fe->cap = 0;
}

int ifn_policy_parse_file(const char *path, struct ifn_policy *p, unsigned int *nerr)
{
	struct file_err fe = { .path = path };
	char *buf, why[160];
	size_t done = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if (nerr)
		*nerr = 0;
	/*
	 * Never blocks (a FIFO is refused before it is read), and a file that
	 * changed while it was read is refused: half a file loaded would
	 * remove every rule of the other half.
	 */
	rc = ifn_file_read(path, POL_MAX_FILE, &buf, &done, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "%s: %s%s\n", path,
			rc == -EFBIG  ? "too large for a policy file: " :
			rc == -ENOMEM ? "" :
					"cannot read: ",
			why);
		return rc;
	}
	rc = ifn_policy_parse(buf, done, p, keep_file_err, &fe);
	free(buf);
	print_file_errs(&fe);
	if (rc > 0) {
		if (nerr)
			*nerr = rc;
		return -EINVAL;
	}
	if (rc == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", path);
	return rc;
}

struct ifn_pol_dev *ifn_policy_find(const struct ifn_policy *p, const __u8 mac[6])
{
	struct ifn_pol_dev key = { 0 };

	if (!p->n_devs)
		return NULL;
	memcpy(key.mac, mac, 6);
	return bsearch(&key, p->devs, p->n_devs, sizeof(*p->devs), cmp_pol_dev);
}

/* ---- writing ---- */

static void write_newdev(FILE *f, const struct ifn_pol_newdev *nd)
{
	char dur[32];

	fprintf(f, "new-devices %s", ifn_mode_name(nd->mode));
	if (nd->mode == IFN_MODE_LEARN || nd->learn_ns)
		fprintf(f, " learn-for %s", ifn_fmt_duration(nd->learn_ns, dur, sizeof(dur)));
	fputc('\n', f);
}

/* Whole seconds, rounded: a deadline read back is the one written. */
static void write_time(FILE *f, __u64 wall_ns)
{
	time_t t = (wall_ns + 500000000ULL) / 1000000000ULL;
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, f);
}

static void write_mode(FILE *f, const struct ifn_pol_mode *m)
{
	char dur[32];

	fprintf(f, "\tmode %s", ifn_mode_name(m->mode));
	if (m->deadline == IFN_POL_FOR)
		fprintf(f, " for %s", ifn_fmt_duration(m->for_ns, dur, sizeof(dur)));
	if (m->deadline == IFN_POL_UNTIL) {
		fputs(" until ", f);
		write_time(f, m->until_wall_ns);
	}
	if (m->deadline != IFN_POL_NO_DEADLINE)
		fprintf(f, " then %s", ifn_mode_name(m->then));
	fputc('\n', f);
}

static void write_rate(FILE *f, const struct ifn_pol_rate *r)
{
	if (!r->pps && !r->bps)
		return;
	fputs("\trate", f);
	if (r->pps)
		fprintf(f, " pps %llu burst-packets %llu", (unsigned long long)r->pps,
			(unsigned long long)r->burst_pkts);
	if (r->bps)
		fprintf(f, " bps %llu burst-bytes %llu", (unsigned long long)r->bps,
			(unsigned long long)r->burst_bytes);
	fputc('\n', f);
}

void ifn_policy_write(const struct ifn_policy *p, FILE *f)
{
	char mb[IFN_MAC_STRLEN], rb[IFN_RULE_STRLEN];
	size_t i, j;
	int pass;

	fprintf(f, "# iotfence policy (iotfence.8, POLICY FILES)\n");
	if (p->n_settings)
		fputc('\n', f);
	for (i = 0; i < p->n_settings; i++)
		fprintf(f, "set %s %s\n", p->settings[i].key, p->settings[i].value);
	if (p->newdev.set || p->n_ifaces)
		fputc('\n', f);
	if (p->newdev.set)
		write_newdev(f, &p->newdev);
	for (i = 0; i < p->n_ifaces; i++) {
		fprintf(f, "interface %s ", p->ifaces[i].name);
		write_newdev(f, &p->ifaces[i].nd);
	}
	for (i = 0; i < p->n_devs; i++) {
		const struct ifn_pol_dev *d = &p->devs[i];

		fprintf(f, "\ndevice %s%s%s\n", ifn_fmt_mac(d->mac, mb), d->name[0] ? " " : "",
			d->name);
		if (d->mode.set)
			write_mode(f, &d->mode);
		write_rate(f, &d->rate);
		if (d->replace_learned)
			fputs("\tlearned-flows replace\n", f);
		/* What the operator allowed first, then what the device showed. */
		for (pass = 0; pass < 2; pass++) {
			for (j = 0; j < d->n_rules; j++) {
				const struct ifn_rule *r = &d->rules[j].r;
				bool learned = r->origin == IFN_ORIGIN_LEARNED ||
					       r->origin == IFN_ORIGIN_GENERALISED;

				if (learned != (pass == 1))
					continue;
				fprintf(f, "\t%s %s\n", learned ? "learned" : "allow",
					ifn_rule_format(r, rb, sizeof(rb)));
			}
		}
	}
}
