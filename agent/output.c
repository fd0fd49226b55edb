// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "grow.h"
#include "output.h"

void ifn_json_init(struct ifn_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/*
 * Length of the valid UTF-8 sequence at @s, or 0. Overlong forms, surrogates
 * and code points above U+10FFFF are invalid: a JSON parser would reject
 * the whole document for one bad byte in a vendor name or interface alias.
 */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	__u32 cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t ifn_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n;

	while (*p) {
		n = utf8_len(p);
		p += n ? n : 1;
		w++;
	}
	return w;
}

/*
 * The unlocked stdio calls: one thread writes a document, and the locked
 * ones cost a third of the time of `devices --json` at 100,000 devices.
 */
static void put_string(FILE *f, const char *s)
{
	putc_unlocked('"', f);
	while (*s) {
		unsigned char c = *s;
		size_t n;

		/* Most text needs no escape: write it in runs. */
		for (n = 0; s[n] && (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x80 &&
			    s[n] != '"' && s[n] != '\\';
		     n++)
			;
		if (n) {
			fwrite_unlocked(s, 1, n, f);
			s += n;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_len((const unsigned char *)s);
			if (n) {
				fwrite_unlocked(s, 1, n, f);
				s += n;
			} else {
				fputs_unlocked("\\ufffd", f);
				s++;
			}
			continue;
		}
		switch (c) {
		case '"':
			fputs_unlocked("\\\"", f);
			break;
		case '\\':
			fputs_unlocked("\\\\", f);
			break;
		case '\n':
			fputs_unlocked("\\n", f);
			break;
		case '\r':
			fputs_unlocked("\\r", f);
			break;
		case '\t':
			fputs_unlocked("\\t", f);
			break;
		default:
			fprintf(f, "\\u%04x", c);
		}
		s++;
	}
	putc_unlocked('"', f);
}

static void member(struct ifn_json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->comma[j->depth])
			putc_unlocked(',', j->f);
		j->comma[j->depth] = true;
	}
	if (key) {
		put_string(j->f, key);
		putc_unlocked(':', j->f);
	}
}

static void json_open(struct ifn_json *j, const char *key, char c)
{
	member(j, key);
	putc_unlocked(c, j->f);
	if (j->depth < IFN_JSON_MAX_DEPTH - 1)
		j->depth++;
	j->comma[j->depth] = false;
}

static void json_close(struct ifn_json *j, char c)
{
	putc_unlocked(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		putc_unlocked('\n', j->f);
}

void ifn_json_obj_open(struct ifn_json *j, const char *key)
{
	json_open(j, key, '{');
}

void ifn_json_obj_close(struct ifn_json *j)
{
	json_close(j, '}');
}

void ifn_json_arr_open(struct ifn_json *j, const char *key)
{
	json_open(j, key, '[');
}

void ifn_json_arr_close(struct ifn_json *j)
{
	json_close(j, ']');
}

void ifn_json_str(struct ifn_json *j, const char *key, const char *val)
{
	member(j, key);
	if (val)
		put_string(j->f, val);
	else
		fputs_unlocked("null", j->f);
}

void ifn_json_u64(struct ifn_json *j, const char *key, __u64 val)
{
	member(j, key);
	char buf[24], *p = buf + sizeof(buf);

	/* By hand: printf's machinery is the largest cost of a big listing. */
	do {
		*--p = '0' + val % 10;
		val /= 10;
	} while (val);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, j->f);
}

void ifn_json_i64(struct ifn_json *j, const char *key, long long val)
{
	member(j, key);
	fprintf(j->f, "%lld", val);
}

void ifn_json_double(struct ifn_json *j, const char *key, double val)
{
	member(j, key);
	fprintf(j->f, "%.6g", val);
}

void ifn_json_bool(struct ifn_json *j, const char *key, bool val)
{
	member(j, key);
	fputs_unlocked(val ? "true" : "false", j->f);
}

void ifn_json_null(struct ifn_json *j, const char *key)
{
	member(j, key);
	fputs_unlocked("null", j->f);
}

void ifn_json_time(struct ifn_json *j, const char *key, __u64 wall_ns)
{
	char buf[IFN_TIME_STRLEN];

	if (!wall_ns) {
		ifn_json_null(j, key);
		return;
	}
	ifn_json_str(j, key, ifn_fmt_time(wall_ns, buf));
}

void ifn_table_init(struct ifn_table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->headers = headers;
}

int ifn_table_add(struct ifn_table *t, const char *const *row)
{
	size_t i;

	if (ifn_grow((void **)&t->cells, &t->cap, t->nrows + 1, t->ncols * sizeof(*t->cells), 16))
		return -ENOMEM;
	for (i = 0; i < t->ncols; i++) {
		char *c = strdup(row[i] ? row[i] : "-");

		if (!c) {
			while (i--)
				free(t->cells[t->nrows * t->ncols + i]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = c;
	}
	t->nrows++;
	return 0;
}

void ifn_table_print(const struct ifn_table *t, FILE *f)
{
	size_t *width = calloc(t->ncols, sizeof(*width));
	size_t r, c;

	if (!width)
		return;
	for (c = 0; c < t->ncols; c++) {
		const char *h = t->headers[c];

		width[c] = strlen(h[0] == '>' ? h + 1 : h);
		for (r = 0; r < t->nrows; r++) {
			size_t l = ifn_text_width(t->cells[r * t->ncols + c]);

			if (l > width[c])
				width[c] = l;
		}
	}
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *h = t->headers[c];
			bool right = h[0] == '>';
			const char *s = r == 0 ? (right ? h + 1 : h) :
						 t->cells[(r - 1) * t->ncols + c];
			bool last = c + 1 == t->ncols;

			/* Pad by characters, not bytes: vendor names are UTF-8. */
			size_t pad = width[c] - ifn_text_width(s);

			if (right)
				fprintf(f, "%*s%s", (int)pad, "", s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%s%*s", s, (int)pad, "");
			fputs(last ? "\n" : "  ", f);
		}
	}
	free(width);
}

void ifn_table_free(struct ifn_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

char *ifn_fmt_count(__u64 v, char *buf, size_t len)
{
	/*
	 * At most 6 characters: the thresholds sit where one decimal would
	 * round up to 1000.0 of a unit, which then reads as the next unit.
	 */
	if (v < 10000)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else if (v < 999950ULL)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v < 999950000ULL)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (v < 999950000000ULL)
		snprintf(buf, len, "%.1fG", v / 1e9);
	else
		snprintf(buf, len, "%.1fT", v / 1e12);
	return buf;
}
