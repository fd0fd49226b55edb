// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * main.c - the command table and dispatch. The table is the one source of
 * `iotfence help`, `iotfence CMD -h` and the COMMANDS section of iotfence.8
 * (`iotfence help --man` prints it; a test keeps the page in step).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "errors.h"
#include "format.h"
#include "loader.h"
#include "parse.h"
#include "state.h"

#ifndef IFN_VERSION
#define IFN_VERSION "0.1.0"
#endif

static const struct ifn_opt attach_opts[] = {
	IFN_OPT("mode", "native|generic", 'm',
		"XDP attach mode. Default: native, falling back to generic (with a warning) when "
		"the driver has no XDP support."),
	IFN_OPT("new-devices", "MODE", 'n',
		"Mode of devices first seen on this interface: learn (default), monitor, enforce, "
		"quarantine or trust."),
	IFN_OPT("learn-for", "DUR", 'l',
		"How long a new device learns before it enforces by itself. Default 24h; 0 learns "
		"until told otherwise."),
	IFN_OPT("max-devices", "N", 'D',
		"Device table size, fixed when the state is first created (16384)."),
	IFN_OPT("max-flows", "N", 'F',
		"Exact fingerprint entries, all devices together (1048576)."),
	IFN_OPT("max-rules", "N", 'R', "Prefix and port-any rules, per kind (65536)."),
	IFN_OPT_END,
};

static const struct ifn_opt detach_opts[] = {
	IFN_OPT("all", NULL, 'a', "Detach from every interface."),
	IFN_OPT("purge", NULL, 'p',
		"With --all: also remove the pinned state (devices, fingerprints, counters)."),
	IFN_OPT_END,
};

static const struct ifn_opt json_opt[] = {
	IFN_OPT("json", NULL, 0, "Print JSON instead of a table."),
	IFN_OPT_END,
};

static const struct ifn_opt mode_opts[] = {
	IFN_OPT("for", "DUR", 'f',
		"Only for this long (90s, 10m, 24h), then back to the current mode (a learning "
		"device goes to enforce); over another temporary mode, back to the mode that one "
		"returns to, so a temporary mode never becomes permanent. For learn: the learning "
		"window (default: the interface's --learn-for)."),
	IFN_OPT_END,
};

static const struct ifn_opt rate_opts[] = {
	IFN_OPT("pps", "N", 'p',
		"Packets per second (k, M, G suffixes: powers of 1000); 0: no limit."),
	IFN_OPT("bps", "N", 'b', "Bytes (not bits) per second; 0: no limit."),
	IFN_OPT("burst-packets", "N", 'P',
		"Bucket depth in packets (default and maximum: one second's worth)."),
	IFN_OPT("burst-bytes", "N", 'B',
		"Bucket depth in bytes (default and maximum: one second's worth)."),
	IFN_OPT_END,
};

static const struct ifn_opt policy_opts[] = {
	IFN_OPT_FOR("load generalise", "dry-run", NULL, 'n',
		    "load, generalise: print what would change, change nothing."),
	IFN_OPT_FOR(
		"generalise", "peers", "N", 'p',
		"generalise: a port with N peers or more becomes prefix rules (default 2; 0: never)."),
	IFN_OPT_FOR(
		"generalise", "ports", "N", 'P',
		"generalise: a peer with N ports or more becomes a port-any rule (default 4; 0: never)."),
	IFN_OPT_FOR("generalise", "prefix-v4", "N", '4',
		    "generalise: widest IPv4 prefix (default 16; 0: all of IPv4)."),
	IFN_OPT_FOR("generalise", "prefix-v6", "N", '6',
		    "generalise: widest IPv6 prefix (default 32; 0: any)."),
	IFN_OPT_END,
};

static const struct ifn_opt events_opts[] = {
	{ .name = "follow",
	  .val = 'f',
	  .short_too = true,
	  .help = "Keep reading new events until interrupted." },
	IFN_OPT("json", NULL, 0, "One JSON object per line."),
	IFN_OPT_END,
};

static const struct ifn_opt run_opts[] = {
	IFN_OPT("config", "FILE", 'c',
		"Daemon configuration (default /etc/iotfence/iotfence.conf)."),
	IFN_OPT("detach-on-exit", NULL, 'd',
		"Detach from the interfaces on SIGTERM (default: stay attached)."),
	IFN_OPT_END,
};

static const struct ifn_opt replay_opts[] = {
	IFN_OPT("learn-for", "DUR", 'f',
		"Each device learns for DUR from its first frame, then enforces, as on a live gateway "
		"(default 10m; 0: it learns throughout). With --learn: the window of devices first "
		"seen in the replayed captures."),
	IFN_OPT("learn", "CAPTURE", 'l',
		"Learn on this capture (repeatable), with no deadline; then every device enforces and "
		"the other captures are replayed."),
	IFN_OPT("policy", "FILE", 'p', "Evaluate this policy instead of learning."),
	IFN_OPT("gateway", "MAC|none", 'g',
		"The gateway's MAC (repeatable): its frames are never a device's, as on a live "
		"gateway's LAN interface; those to a device run through the egress program's code. "
		"Default: a guess (iotfence.8, REPLAY); none: no gateway."),
	IFN_OPT("generalise", NULL, 'G',
		"At the end of each device's learning, turn its learned flows into prefix and "
		"port-any rules (iotfence.8, GENERALISATION), as the daemon does with generalise on."),
	IFN_OPT("set", "KEY=VALUE", 's',
		"A run-time setting, as 'iotfence settings KEY=VALUE' sets it on a gateway, "
		"or a generalisation setting (generalise-peers, -ports, -prefix-v4, -prefix-v6, "
		"-p2p, -lan, -siblings: iotfence.8, GENERALISATION) for --generalise "
		"(repeatable; a policy's settings lines come after)."),
	IFN_OPT("no-names", NULL, 'N',
		"Leave the DNS answers the gateway sends the devices unread, so that no address is "
		"known by name: fingerprints as without names, to measure what names change. "
		"Default: the egress program reads them, as on a live gateway."),
	IFN_OPT("interface", "NAME", 'i',
		"The interface the captures were taken on, for the policy's lines about it (default: "
		"the policy's only interface, else 'replay')."),
	IFN_OPT("workers", "N", 'w',
		"Threads that run frames (default: one per CPU, at most 8, for 200000 frames or more "
		"of which fewer than 1 in 100 must run in order; else 1). The results do not depend "
		"on it."),
	IFN_OPT("json", NULL, 0, "One JSON document (iotfence.8, REPLAY)."),
	IFN_OPT_END,
};

static const struct ifn_opt mud_opts[] = {
	IFN_OPT_FOR("import", "device", "MAC", 'd', "import: the device the profile is for."),
	IFN_OPT_FOR("import export", "url", "URL", 'u',
		    "import: the devices that announced this MUD URL (default: the file's mud-url). "
		    "export: the mud-url to write (default: the one the device announced)."),
	IFN_OPT_FOR(
		"import", "map", "FILE", 'm',
		"import: what my-controller, controller, manufacturer, same-manufacturer and model "
		"stand for here (iotfence.8, MUD)."),
	IFN_OPT_FOR("import", "no-defaults", NULL, 'N',
		    "import: leave out the DNS and NTP rules a MUD manager adds."),
	IFN_OPT_FOR("import", "dry-run", NULL, 'n',
		    "import: print the statements and what would change, change nothing."),
	IFN_OPT_FOR("import", "print", NULL, 'p',
		    "import: print the statements and check them with the policy parser; needs no "
		    "state and no privileges."),
	IFN_OPT_END,
};

const struct ifn_cmd ifn_cmds[] = {
	{ "attach", "IFACE [--mode native|generic] [--new-devices MODE] [--learn-for DUR]",
	  "Load iotfence (once) and attach it to a LAN interface.", attach_opts,
	  "The program and its maps are pinned under /sys/fs/bpf/iotfence, so that every "
	  "interface shares one state and enforcement does not depend on a running agent. "
	  "Attaching again to an interface that is attached is harmless: it changes the "
	  "settings given and keeps the others. When nothing is pinned and a saved state "
	  "exists, it is restored. An interface deleted and made again (a new ifindex) takes "
	  "the place of the old one, with its devices: it is listed and saved once. A name "
	  "that is not printable ASCII is refused (the state files could not hold it). An "
	  "interface without Ethernet (lo, tun, wireguard) is refused: devices are known by "
	  "the source MAC of the Ethernet header. A bridge master is attached with a warning "
	  "naming its ports: it misses what they switch between themselves.",
	  ifn_cmd_attach, IFN_CMD_PRIV },
	{ "detach", "IFACE | --all [--purge]", "Detach iotfence from an interface.", detach_opts,
	  "Other interfaces keep running. The state stays pinned unless --purge is given. An "
	  "interface that no longer exists (its namespace was deleted) is detached by its "
	  "name.",
	  ifn_cmd_detach, IFN_CMD_PRIV },
	{ "status", "[--json]", "Interfaces, program, map fill levels and global counters.",
	  json_opt, NULL, ifn_cmd_status, IFN_CMD_PRIV | IFN_CMD_JSON },
	{ "devices", "[--json]",
	  "The device inventory: MAC, vendor, mode, addresses, counters, first and last seen.",
	  json_opt,
	  "The table is sorted by MAC. With --json: an array of objects with mac, vendor, "
	  "interface, mode, mode_until, mode_after, ipv4, ipv6, packets, bytes, dropped, "
	  "alerts, first_seen, last_seen (RFC 3339 UTC), flows, rate, drop_reasons, mud_url "
	  "(the MUD URL the device announced in DHCP, or null; the text lists them under the "
	  "table) and names: {rules: its name rules, resolved: [{name, addresses, live}], the "
	  "names it got DNS answers for}.",
	  ifn_cmd_devices, IFN_CMD_PRIV | IFN_CMD_JSON },
	{ "device", "MAC [--json]", "One device with its fingerprint.", json_opt,
	  "Then the names it resolved, each with its addresses, live (a name rule would admit "
	  "them now) or lapsed; \"resolved nothing we saw\" for a device that got no DNS "
	  "answer through the gateway (encrypted DNS cannot be read). With --json: the object "
	  "of devices --json with its fingerprint.",
	  ifn_cmd_device, IFN_CMD_PRIV | IFN_CMD_JSON },
	{ "learn", "MAC|all [--for DUR]", "Learn: pass, and add every new flow to the fingerprint.",
	  mode_opts, "Learning ends by itself at the deadline, and the device then enforces.",
	  ifn_cmd_mode, IFN_CMD_PRIV },
	{ "monitor", "MAC|all [--for DUR]", "Monitor: pass, and report what enforce would drop.",
	  mode_opts, NULL, ifn_cmd_mode, IFN_CMD_PRIV },
	{ "enforce", "MAC|all [--for DUR]", "Enforce: drop flows outside the fingerprint.",
	  mode_opts, NULL, ifn_cmd_mode, IFN_CMD_PRIV },
	{ "quarantine", "MAC|all [--for DUR]",
	  "Quarantine: drop everything but ARP, DHCP, IPv6 neighbour discovery and EAPOL.",
	  mode_opts, NULL, ifn_cmd_mode, IFN_CMD_PRIV },
	{ "trust", "MAC|all [--for DUR]", "Trust: pass everything, count only.", mode_opts, NULL,
	  ifn_cmd_mode, IFN_CMD_PRIV },
	{ "allow", "MAC PROTO[/PORT] PEER[/PREFIX]|name NAME [server]",
	  "Add a rule to a device's fingerprint.", NULL,
	  "PROTO is tcp, udp, icmp, icmpv6, another protocol name or number, or ether/TYPE. "
	  "Without /PORT any port of PROTO matches; PEER is an address, a prefix or 'any'. "
	  "'name NAME' (with a port) matches the addresses the device got from DNS answers "
	  "for NAME, or for any name under example.com with '*.example.com'. "
	  "'server' means the device serves PORT to PEER; the default is that it connects "
	  "to PORT on PEER. For icmp the port is the message type (icmp/8: echo). Examples: "
	  "'allow 00:17:88:01:02:03 tcp/443 52.94.1.7', '... udp/123 any', "
	  "'... tcp/554 192.168.1.0/24 server'.",
	  ifn_cmd_allow, IFN_CMD_PRIV },
	{ "forget", "MAC [PROTO[/PORT] PEER[/PREFIX] [server]]",
	  "Remove one rule, or the whole device (record, fingerprint, counters).", NULL,
	  "A rule is written as 'iotfence device MAC' lists it. A forgotten device that is "
	  "still on the network is seen again as a new one, in its interface's default mode.",
	  ifn_cmd_forget, IFN_CMD_PRIV },
	{ "rate", "MAC [--pps N] [--bps N]", "Police a device with token buckets.", rate_opts,
	  "Give --pps, --bps or both; a limit not given stays as it is, and 0 removes one. "
	  "Only frames the fingerprint allows take tokens.",
	  ifn_cmd_rate, IFN_CMD_PRIV },
	{ "settings", "[KEY VALUE]... [--json]",
	  "Show or change run-time settings (scan detection, learning cap, events).", json_opt,
	  "Keys: scan-threshold N, scan-window DUR, auto-quarantine on|off, fingerprint-cap N, "
	  "event-limit N, unknown-devices pass|drop (the verdict when the device table is "
	  "full), dns-min-ttl DUR (how long at least an address a DNS answer gave stays "
	  "admitted), answers pass|drop (enforce's verdict for a device's answer to someone "
	  "else's attempt that the fingerprint lacks; never a VIOLATION or a scan), "
	  "answer-memory DUR (how long an inbound attempt is remembered, 1s to 255s).",
	  ifn_cmd_settings, IFN_CMD_PRIV | IFN_CMD_JSON },
	{ "policy", "check FILE | load FILE [--dry-run] | save FILE | show | generalise MAC|all",
	  "Policy files: validate, apply, write, print; generalise learned flows.", policy_opts,
	  "check validates a file and changes nothing (no privileges needed); it lists every "
	  "error as FILE:LINE: message. load applies a file all or nothing, new rules before "
	  "old ones go, and prints what it added, removed and changed. save writes the running "
	  "state as a policy file, show prints it; loading a saved file into empty state gives "
	  "the same show. generalise turns a device's learned flows into prefix and port-any "
	  "rules and shows them before and after. See iotfence.8, POLICY FILES and "
	  "GENERALISATION.",
	  ifn_cmd_policy, 0 },
	{ "events", "[--follow] [--json]", "Anomalies as text lines or JSON lines.", events_opts,
	  "Without --follow: the events in the ring now, then exit. Events the datapath could "
	  "not send (limited per device and type, or the ring was full) are reported as "
	  "EVENTS_LOST; the first report counts all since iotfence was loaded. The ring has one "
	  "reader: while 'iotfence run' runs, read its output instead. See iotfence.8, EVENTS.",
	  ifn_cmd_events, IFN_CMD_PRIV | IFN_CMD_JSON },
	{ "run", "[--config FILE] [--detach-on-exit]",
	  "The daemon: attach, restore, report events and metrics, save state.", run_opts,
	  "Runs in the foreground. Events go to stdout as JSON lines and to syslog; metrics to "
	  "a file for node_exporter; the state to the state directory, periodically and on exit. "
	  "SIGHUP re-reads FILE; SIGTERM leaves enforcement attached. See iotfence.8, DAEMON.",
	  ifn_cmd_run, IFN_CMD_PRIV },
	{ "replay",
	  "[--learn-for DUR | --learn CAPTURE...] [--policy FILE [--interface NAME]] "
	  "[--generalise] [--no-names] [--set KEY=VALUE]... [--gateway MAC|none] [--workers N] CAPTURE... [--json]",
	  "Run captured frames through the real program, offline, with private maps.", replay_opts,
	  "Captures (pcap or pcapng, any number, merged in time order) are read into memory, "
	  "then each Ethernet frame runs through the XDP program with BPF_PROG_TEST_RUN, its "
	  "clock set to the frame's capture time; the gateway's frames to a device run through "
	  "the egress program's code (DNS answers, inbound attempts) instead. Reports per device what learning made and what "
	  "enforcement would have passed and dropped. Never touches a live gateway's state.",
	  ifn_cmd_replay, IFN_CMD_PRIV | IFN_CMD_JSON },
	{ "mud",
	  "import FILE [--device MAC | --url URL] [--map FILE] [--no-defaults] [--dry-run | "
	  "--print] | export MAC [--url URL]",
	  "MUD files (RFC 8520): import a profile as policy, export a fingerprint.", mud_opts,
	  "import translates the MUD file's ACLs into policy statements (allow lines, each "
	  "with the JSON path it came from) for the devices given with --device, or for those "
	  "whose announced MUD URL (DHCP option 161 or 112) is --url or the file's mud-url, "
	  "then loads them as 'policy load' does: all or nothing, new rules before old ones go; "
	  "the devices' manual and policy rules become the file's, their learned entries stay, "
	  "other devices are not touched. A node it cannot translate, or a statement the policy "
	  "parser refuses, fails the import with the file, the JSON path and the reason. "
	  "export writes the device's fingerprint as a MUD file on standard output. See "
	  "iotfence.8, MUD.",
	  ifn_cmd_mud, 0 },
};
const unsigned int ifn_ncmds = sizeof(ifn_cmds) / sizeof(ifn_cmds[0]);

static void help_all(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: %s COMMAND [ARGS] [--json] [-h]\n\n", ifn_progname);
	fprintf(f, "Per-device fingerprinting and XDP enforcement for IoT gateways.\n\n");
	fprintf(f, "commands:\n");
	for (i = 0; i < ifn_ncmds; i++)
		fprintf(f, "  %-11s %s\n", ifn_cmds[i].name, ifn_cmds[i].summary);
	fprintf(f, "  %-11s %s\n", "help", "This list, or one command's help.");
	fprintf(f, "  %-11s %s\n", "version", "Print the version (--json: as JSON).");
	fprintf(f,
		"\nRun '%s COMMAND -h' for a command's arguments; 'man 8 iotfence' for "
		"more.\n",
		ifn_progname);
}

/*
 * roff needs backslashes and dashes escaped, and a control character (. or ')
 * at the start of a line made harmless, or the text would be a request.
 */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

static void help_man(FILE *f)
{
	const struct ifn_opt *o;
	unsigned int i;

	fprintf(f, ".\\\" BEGIN GENERATED COMMANDS (iotfence help --man)\n");
	for (i = 0; i < ifn_ncmds; i++) {
		const struct ifn_cmd *c = &ifn_cmds[i];

		fprintf(f, ".TP\n\\fBiotfence %s\\fR ", c->name);
		roff(f, c->args);
		fprintf(f, "\n.br\n");
		roff(f, c->summary);
		fputc('\n', f);
		if (c->details) {
			fprintf(f, ".IP\n");
			roff(f, c->details);
			fputc('\n', f);
		}
		if (c->opts) {
			for (o = c->opts; o->name; o++) {
				char text[64];

				fprintf(f, ".RS\n.TP\n.B ");
				roff(f, ifn_opt_text(o, text, sizeof(text)));
				fputc('\n', f);
				roff(f, o->help);
				fprintf(f, "\n.RE\n");
			}
		}
	}
	fprintf(f, ".\\\" END GENERATED COMMANDS\n");
}

static const struct ifn_cmd *find_cmd(const char *name)
{
	unsigned int i;

	for (i = 0; i < ifn_ncmds; i++)
		if (!strcmp(ifn_cmds[i].name, name))
			return &ifn_cmds[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct ifn_cmd *c;

	if (argc > 1 && !strcmp(argv[1], "--man")) {
		help_man(stdout);
		return IFN_EXIT_OK;
	}
	if (argc > 1) {
		c = find_cmd(argv[1]);
		if (!c) {
			ifn_err("unknown command '%s' (see '%s help')", argv[1], ifn_progname);
			return IFN_EXIT_USAGE;
		}
		ifn_cmd_help(c, stdout);
		return IFN_EXIT_OK;
	}
	help_all(stdout);
	return IFN_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct ifn_cmd *c;
	bool help = false;
	int i, n;

	if (argc < 2) {
		help_all(stderr);
		return IFN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		/* --json on everything that prints, this too. */
		if (argc == 3 && !strcmp(argv[2], "--json")) {
			printf("{\"version\":\"%s\",\"abi\":%d}\n", IFN_VERSION, IFN_ABI_VERSION);
			return IFN_EXIT_OK;
		}
		if (argc > 2) {
			ifn_err("version: unknown argument '%.64s' (only --json)", argv[2]);
			return IFN_EXIT_USAGE;
		}
		printf("iotfence %s (ABI %d)\n", IFN_VERSION, IFN_ABI_VERSION);
		return IFN_EXIT_OK;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		ifn_err("unknown command '%s' (see '%s help')", argv[1], ifn_progname);
		return IFN_EXIT_USAGE;
	}

	/* --json and -h may come anywhere before "--"; take them out here. */
	for (i = n = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--json") && (c->flags & IFN_CMD_JSON))
			ifn_json_output = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			help = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	if (help) {
		ifn_cmd_help(c, stdout);
		return IFN_EXIT_OK;
	}
	ifn_libbpf_logging(getenv("IOTFENCE_DEBUG") != NULL);
	if ((c->flags & IFN_CMD_PRIV) && ifn_check_privileges())
		return IFN_EXIT_FAIL;
	return c->run(c, n - 1, argv + 1);
}
