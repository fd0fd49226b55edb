/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * output.h - the two shapes of output: compact JSON (one document, or one
 * line per record for streams) and aligned human tables.
 */
#ifndef IFN_OUTPUT_H
#define IFN_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define IFN_JSON_MAX_DEPTH 16

struct ifn_json {
	FILE *f;
	int depth;
	bool comma[IFN_JSON_MAX_DEPTH];
};

void ifn_json_init(struct ifn_json *j, FILE *f);
/* @key is NULL at the top level and inside arrays. */
void ifn_json_obj_open(struct ifn_json *j, const char *key);
void ifn_json_obj_close(struct ifn_json *j);
void ifn_json_arr_open(struct ifn_json *j, const char *key);
void ifn_json_arr_close(struct ifn_json *j);
/* A NULL @val prints null. */
void ifn_json_str(struct ifn_json *j, const char *key, const char *val);
void ifn_json_u64(struct ifn_json *j, const char *key, __u64 val);
void ifn_json_i64(struct ifn_json *j, const char *key, long long val);
void ifn_json_double(struct ifn_json *j, const char *key, double val);
void ifn_json_bool(struct ifn_json *j, const char *key, bool val);
void ifn_json_null(struct ifn_json *j, const char *key);
/* RFC 3339 time, or null for 0. */
void ifn_json_time(struct ifn_json *j, const char *key, __u64 wall_ns);

/*
 * Table: headers starting with '>' are right-aligned (numbers); the '>' is
 * not printed.
 */
struct ifn_table {
	size_t ncols;
	const char *const *headers;
	char **cells;
	size_t nrows;
	size_t cap;
};

void ifn_table_init(struct ifn_table *t, size_t ncols, const char *const *headers);
/* Adds a row of ncols strings (copied). Returns -ENOMEM on failure. */
int ifn_table_add(struct ifn_table *t, const char *const *row);
void ifn_table_print(const struct ifn_table *t, FILE *f);
void ifn_table_free(struct ifn_table *t);

/* Characters (UTF-8 code points) that @s takes in a table cell. */
size_t ifn_text_width(const char *s);

/* "1234567" -> "1.2M": for human tables only. */
char *ifn_fmt_count(__u64 v, char *buf, size_t len);

#endif /* IFN_OUTPUT_H */
