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

struct ifn_opt_help {
	const char *opt;
	const char *desc;
};

/* Command flags */
#define IFN_CMD_PRIV (1U << 0) /* needs CAP_BPF and CAP_NET_ADMIN */
#define IFN_CMD_LISTS (1U << 1) /* takes --json */

struct ifn_cmd {
	const char *name;
	const char *args; /* synopsis after the name */
	const char *summary; /* one line */
	const struct ifn_opt_help *opts; /* { NULL } terminated, or NULL */
	const char *details; /* a paragraph, or NULL */
	int (*run)(const struct ifn_cmd *cmd, int argc, char **argv);
	unsigned int flags;
};

/* The table, in main.c. */
extern const struct ifn_cmd ifn_cmds[];
extern const unsigned int ifn_ncmds;

/* Set by --json anywhere on the command line. */
extern bool ifn_json_output;

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

/* Interface name for an ifindex: the attached list first, then the kernel. */
const char *ifn_ifname(int ifaces_fd, __u32 ifindex, char buf[16]);

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
