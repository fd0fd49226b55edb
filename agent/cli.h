/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cli.h - the command table and what every command shares: the global
 * --json switch, exit codes, and argument helpers that print one clear line
 * on bad input.
 */
#ifndef IFN_CLI_H
#define IFN_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/* Exit codes. */
#define IFN_EXIT_OK 0
#define IFN_EXIT_FAIL 1 /* the command could not do its work */
#define IFN_EXIT_USAGE 2 /* bad command line */

/*
 * One row per option of a command (xdp-tools' DEFINE_OPTION does the same):
 * `iotfence CMD -h`, the man page and the getopt_long array (ifn_getopt)
 * are all made from it, so that they cannot drift apart.
 */
struct ifn_opt {
	const char *name; /* without the dashes */
	const char *arg; /* the value's name in help (DUR, FILE); NULL: takes no value */
	int val; /* what ifn_getopt returns for it; 0: main takes it (--json) */
	bool short_too; /* -val is the same option */
	const char *subs; /* the subcommands that take it ("import export"); NULL: all */
	const char *help;
};

/* clang-format off */
#define IFN_OPT(n, a, v, h) { .name = (n), .arg = (a), .val = (v), .help = (h) }
/* Taken by these subcommands only ("load generalise"). */
#define IFN_OPT_FOR(s, n, a, v, h) { .name = (n), .arg = (a), .val = (v), .subs = (s), .help = (h) }
#define IFN_OPT_END { .name = NULL }
/* clang-format on */

/* Command flags */
#define IFN_CMD_PRIV (1U << 0) /* needs CAP_BPF and CAP_NET_ADMIN */
#define IFN_CMD_JSON (1U << 1) /* takes --json (main takes it out of argv) */

struct ifn_cmd {
	const char *name;
	const char *args; /* synopsis after the name */
	const char *summary; /* one line */
	const struct ifn_opt *opts; /* IFN_OPT_END terminated, or NULL */
	const char *details; /* a paragraph, or NULL */
	int (*run)(const struct ifn_cmd *cmd, int argc, char **argv);
	unsigned int flags;
};

/* The table, in main.c. */
extern const struct ifn_cmd ifn_cmds[];
extern const unsigned int ifn_ncmds;

/* Set by --json anywhere on the command line. */
extern bool ifn_json_output;

/* "--name ARG", as help shows an option. */
const char *ifn_opt_text(const struct ifn_opt *o, char *buf, size_t len);

/*
 * getopt_long over the command's own rows, those of subcommand @sub (NULL:
 * the command has none), with opterr off: returns a row's val, '?' on an
 * unknown option or a missing value (then ifn_opt_error), -1 at the end.
 * Set optind = 1 before the first call.
 */
int ifn_getopt(const struct ifn_cmd *c, const char *sub, int argc, char **argv);

/* Print "usage: iotfence NAME ARGS" and options for a command. */
void ifn_cmd_help(const struct ifn_cmd *c, FILE *f);
/* One line on stderr: the error, then "see 'iotfence NAME -h'". */
int ifn_usage_error(const struct ifn_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * After getopt_long returned '?' (with opterr = 0): "option '--x' needs a
 * value" or "unknown option '--x'". Returns IFN_EXIT_USAGE.
 */
int ifn_opt_error(const struct ifn_cmd *c, char **argv);

/* Parse a MAC argument; prints the error and returns -EINVAL. */
int ifn_arg_mac(const struct ifn_cmd *c, const char *s, __u8 mac[6]);
/* Parse a duration argument (for --for, --learn-for). */
int ifn_arg_duration(const struct ifn_cmd *c, const char *opt, const char *s, __u64 *ns);
/* Parse a count argument (--pps 100, --bps 1M). */
int ifn_arg_count(const struct ifn_cmd *c, const char *opt, const char *s, __u64 *v);

/* Command handlers, one file per concern. */
int ifn_cmd_attach(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_detach(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_status(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_devices(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_device(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_mode(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_allow(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_forget(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_rate(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_settings(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_policy(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_events(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_run(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_replay(const struct ifn_cmd *c, int argc, char **argv);
int ifn_cmd_mud(const struct ifn_cmd *c, int argc, char **argv);

#endif /* IFN_CLI_H */
