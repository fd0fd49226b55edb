// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * snapshot_fmt.c - the snapshot's text (snapshot_gz.c wraps it). One table per
 * kind of line drives both the writer and the reader, so that what is
 * written is exactly what is read back.
 *
 *   iotfence-snapshot 1
 *   saved time=NS
 *   config flags=1 scan-threshold=16 ...
 *   device mac=02:00:00:00:00:01 iface=eth0 mode=enforce ...
 *   flow mac=... family=4 proto=6 port=443 dir=client peer=::ffff:52.1.2.3 ...
 *   end ifaces=1 devices=1 flows=1 rules=0 owners=1
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "format.h"
#include "grow.h"
#include "parse.h"
#include "dnsname.h"
#include "snapshot_fmt.h"

#define SNAP_LINE_MAX 4096

enum ftype {
	F_U8,
	F_U16,
	F_U32,
	F_U64,
	F_MODE,
	F_DIR,
	F_ORIGIN,
	F_MAC,
	F_IP4,
	F_IP6,
	F_IFNAME,
	F_VERDICTS,
	F_REASONS,
	F_PLEN_PORT,
	F_PLEN_ANY,
	F_DNSNAME, /* a checked DNS name, without a wildcard's "*." */
};

struct fdesc {
	const char *key;
	enum ftype t;
	/* Files from before the field may lack it: the reader's value stands. */
	bool optional;
	size_t off;
	__u64 min, max; /* integers only; max 0: the type's maximum */
};

#define FD(k, ty, s, f)                                      \
	{                                                    \
		.key = (k), .t = (ty), .off = offsetof(s, f) \
	}
#define FR(k, ty, s, f, lo, hi)                                                        \
	{                                                                              \
		.key = (k), .t = (ty), .off = offsetof(s, f), .min = (lo), .max = (hi) \
	}

static const struct fdesc saved_f[] = {
	FD("time", F_U64, struct ifn_snap, saved_ns),
};

static const struct fdesc config_f[] = {
	FR("flags", F_U32, struct ifn_config, flags, 0,
	   IFN_CFG_F_AUTO_QUARANTINE | IFN_CFG_F_ANSWERS_DROP),
	FR("scan-threshold", F_U32, struct ifn_config, scan_threshold, 1, IFN_SCAN_THRESHOLD_MAX),
	FR("scan-window", F_U64, struct ifn_config, scan_window_ns, IFN_NS_PER_SEC, 0),
	FR("fingerprint-cap", F_U32, struct ifn_config, fingerprint_cap, 1,
	   IFN_FINGERPRINT_CAP_MAX),
	FR("event-limit", F_U32, struct ifn_config, event_limit, 0, IFN_EVENT_LIMIT_MAX),
	FR("unknown-verdict", F_U8, struct ifn_config, unknown_verdict, 0, IFN_VERDICT_DROP),
	FD("default-mode", F_MODE, struct ifn_config, default_mode),
	FD("learn", F_U64, struct ifn_config, learn_ns),
	{ .key = "dns-min-ttl",
	  .t = F_U64,
	  .off = offsetof(struct ifn_config, dns_min_ttl_ns),
	  .max = IFN_DNS_MIN_TTL_MAX,
	  .optional = true },
	{ .key = "answer-memory",
	  .t = F_U8,
	  .off = offsetof(struct ifn_config, answer_s),
	  .optional = true },
};

static const struct fdesc global_f[] = {
	FD("frames", F_U64, struct ifn_global_stats, frames),
	FD("bytes", F_U64, struct ifn_global_stats, bytes),
	FD("verdicts", F_VERDICTS, struct ifn_global_stats, verdict),
	FD("reasons", F_REASONS, struct ifn_global_stats, reason),
	FD("new-devices", F_U64, struct ifn_global_stats, new_devices),
	FD("table-full", F_U64, struct ifn_global_stats, table_full),
	FD("events-sent", F_U64, struct ifn_global_stats, events_sent),
	FD("events-lost", F_U64, struct ifn_global_stats, events_lost),
	FD("flows-full", F_U64, struct ifn_global_stats, flows_full),
};

static const struct fdesc iface_f[] = {
	FD("name", F_IFNAME, struct ifn_snap_iface, name),
	FR("ifindex", F_U32, struct ifn_snap_iface, ifindex, 1, 0),
	FD("default-mode", F_MODE, struct ifn_snap_iface, ifc.default_mode),
	FR("attach", F_U8, struct ifn_snap_iface, ifc.attach_mode, 0, 2),
	FD("learn", F_U64, struct ifn_snap_iface, ifc.learn_ns),
};

static const struct fdesc device_f[] = {
	FD("mac", F_MAC, struct ifn_snap_dev, mac),
	FD("iface", F_IFNAME, struct ifn_snap_dev, ifname),
	FD("ifindex", F_U32, struct ifn_snap_dev, dev.ifindex),
	FD("mode", F_MODE, struct ifn_snap_dev, mode),
	FD("mode-after", F_MODE, struct ifn_snap_dev, mode_after),
	FD("until", F_U64, struct ifn_snap_dev, until_ns),
	FR("flags", F_U32, struct ifn_snap_dev, dev.flags, 0, 15),
	FD("created", F_U64, struct ifn_snap_dev, dev.created_ns),
	FD("ipv4", F_IP4, struct ifn_snap_dev, dev.ipv4),
	FD("ipv6", F_IP6, struct ifn_snap_dev, dev.ipv6),
	FD("ipv6-ll", F_IP6, struct ifn_snap_dev, dev.ipv6_ll),
	FR("pps", F_U64, struct ifn_snap_dev, dev.rate_pps, 0, IFN_RATE_MAX),
	FR("bps", F_U64, struct ifn_snap_dev, dev.rate_bps, 0, IFN_RATE_MAX),
	FR("burst-packets", F_U64, struct ifn_snap_dev, dev.burst_pkts, 0, IFN_RATE_MAX),
	FR("burst-bytes", F_U64, struct ifn_snap_dev, dev.burst_bytes, 0, IFN_RATE_MAX),
	FD("packets", F_U64, struct ifn_snap_dev, st.packets),
	FD("bytes", F_U64, struct ifn_snap_dev, st.bytes),
	FD("verdicts", F_VERDICTS, struct ifn_snap_dev, st.verdict),
	FD("reasons", F_REASONS, struct ifn_snap_dev, st.reason),
	FD("first", F_U64, struct ifn_snap_dev, st.first_seen_ns),
	FD("last", F_U64, struct ifn_snap_dev, st.last_seen_ns),
	FD("suppressed", F_U64, struct ifn_snap_dev, st.events_suppressed),
};

static const struct fdesc flow_f[] = {
	FD("mac", F_MAC, struct ifn_snap_flow, k.mac),
	FD("family", F_U8, struct ifn_snap_flow, k.family),
	FD("proto", F_U8, struct ifn_snap_flow, k.proto),
	FD("port", F_U16, struct ifn_snap_flow, k.port),
	FD("dir", F_DIR, struct ifn_snap_flow, k.dir),
	FD("peer", F_IP6, struct ifn_snap_flow, k.peer),
	FD("origin", F_ORIGIN, struct ifn_snap_flow, v.origin),
	FD("added", F_U64, struct ifn_snap_flow, v.added_ns),
};

static const struct fdesc rule_port_f[] = {
	FD("mac", F_MAC, struct ifn_snap_rule, pk.mac),
	FD("proto", F_U8, struct ifn_snap_rule, pk.proto),
	FD("port", F_U16, struct ifn_snap_rule, pk.port),
	FD("dir", F_DIR, struct ifn_snap_rule, pk.dir),
	FD("peer", F_IP6, struct ifn_snap_rule, pk.peer),
	FD("plen", F_PLEN_PORT, struct ifn_snap_rule, pk.prefixlen),
	FD("origin", F_ORIGIN, struct ifn_snap_rule, v.origin),
	FD("added", F_U64, struct ifn_snap_rule, v.added_ns),
};

static const struct fdesc rule_any_f[] = {
	FD("mac", F_MAC, struct ifn_snap_rule, ak.mac),
	FD("proto", F_U8, struct ifn_snap_rule, ak.proto),
	FD("dir", F_DIR, struct ifn_snap_rule, ak.dir),
	FD("peer", F_IP6, struct ifn_snap_rule, ak.peer),
	FD("plen", F_PLEN_ANY, struct ifn_snap_rule, ak.prefixlen),
	{ .key = "port-lo",
	  .t = F_U16,
	  .off = offsetof(struct ifn_snap_rule, v.port_lo),
	  .optional = true },
	{ .key = "port-hi",
	  .t = F_U16,
	  .off = offsetof(struct ifn_snap_rule, v.port_hi),
	  .optional = true },
	FD("origin", F_ORIGIN, struct ifn_snap_rule, v.origin),
	FD("added", F_U64, struct ifn_snap_rule, v.added_ns),
};

static const struct fdesc name_f[] = {
	FD("mac", F_MAC, struct ifn_snap_name, k.mac),
	FD("proto", F_U8, struct ifn_snap_name, k.proto),
	FR("port", F_U16, struct ifn_snap_name, k.port, 1, 0),
	FD("dir", F_DIR, struct ifn_snap_name, k.dir),
	FR("wild", F_U8, struct ifn_snap_name, k.wild, 0, 1),
	FD("name", F_DNSNAME, struct ifn_snap_name, v.name),
	FD("origin", F_ORIGIN, struct ifn_snap_name, v.origin),
	FD("added", F_U64, struct ifn_snap_name, v.added_ns),
};

static const struct fdesc owner_f[] = {
	FD("addr", F_IP6, struct ifn_snap_owner, k.addr),
	FD("mac", F_MAC, struct ifn_snap_owner, o.mac),
	FD("since", F_U64, struct ifn_snap_owner, o.since_ns),
};

struct snap_counts {
	__u64 ifaces, devices, flows, rules, owners, names;
};

static const struct fdesc end_f[] = {
	FD("ifaces", F_U64, struct snap_counts, ifaces),
	FD("devices", F_U64, struct snap_counts, devices),
	FD("flows", F_U64, struct snap_counts, flows),
	FD("rules", F_U64, struct snap_counts, rules),
	FD("owners", F_U64, struct snap_counts, owners),
	/* Snapshots from before rules on names have none. */
	{ .key = "names", .t = F_U64, .off = offsetof(struct snap_counts, names), .optional = true },
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- writing ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		if (ifn_grow((void **)&b->p, &b->cap, b->len + (size_t)n + 1, 1, 65536)) {
			b->oom = true;
			return;
		}
	}
}

static void sb_u64s(struct sbuf *b, const __u64 *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		sb_printf(b, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
}

static void write_field(struct sbuf *b, const struct fdesc *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	char buf[INET6_ADDRSTRLEN];

	sb_printf(b, " %s=", f->key);
	switch (f->t) {
	case F_U8:
		sb_printf(b, "%u", *(const __u8 *)p);
		break;
	case F_U16:
		sb_printf(b, "%u", *(const __u16 *)p);
		break;
	case F_U32:
		sb_printf(b, "%u", *(const __u32 *)p);
		break;
	case F_U64:
		sb_printf(b, "%llu", (unsigned long long)*(const __u64 *)p);
		break;
	case F_MODE:
		sb_printf(b, "%s", ifn_mode_name(*(const __u8 *)p));
		break;
	case F_DIR:
		sb_printf(b, "%s", ifn_dir_name(*(const __u8 *)p));
		break;
	case F_ORIGIN:
		sb_printf(b, "%s", ifn_origin_name(*(const __u8 *)p));
		break;
	case F_MAC: {
		char m[IFN_MAC_STRLEN];

		sb_printf(b, "%s", ifn_fmt_mac((const __u8 *)p, m));
		break;
	}
	case F_IP4:
		sb_printf(b, "%s", inet_ntop(AF_INET, p, buf, sizeof(buf)));
		break;
	case F_IP6:
		sb_printf(b, "%s", inet_ntop(AF_INET6, p, buf, sizeof(buf)));
		break;
	case F_IFNAME:
		sb_printf(b, "%.15s", *p ? p : "-");
		break;
	case F_DNSNAME:
		sb_printf(b, "%.*s", IFN_DNS_NAME_MAX - 1, p);
		break;
	case F_VERDICTS:
		sb_u64s(b, (const __u64 *)p, 4);
		break;
	case F_REASONS:
		sb_u64s(b, (const __u64 *)p, IFN_REASON_MAX);
		break;
	case F_PLEN_PORT:
		sb_printf(b, "%u", *(const __u32 *)p - IFN_RULE_PORT_FIXED_BITS);
		break;
	case F_PLEN_ANY:
		sb_printf(b, "%u", *(const __u32 *)p - IFN_RULE_ANY_FIXED_BITS);
		break;
	}
}

static void write_line(struct sbuf *b, const char *kind, const struct fdesc *f, size_t nf,
		       const void *base)
{
	size_t i;

	sb_printf(b, "%s", kind);
	for (i = 0; i < nf; i++)
		write_field(b, &f[i], base);
	sb_printf(b, "\n");
}

/* The longest value a field of type @t is written as. */
static size_t value_max(enum ftype t)
{
	switch (t) {
	case F_VERDICTS:
		return 4 * 21; /* 20 digits and a comma each */
	case F_REASONS:
		return IFN_REASON_MAX * 21;
	case F_IP6:
		return INET6_ADDRSTRLEN;
	case F_IFNAME:
		return 15;
	case F_DNSNAME:
		return IFN_DNS_NAME_MAX - 1;
	default:
		return 20; /* a __u64, a MAC, a mode, origin or direction name */
	}
}

/* The longest line of a kind, from its field table. */
static size_t line_max(const char *kind, const struct fdesc *f, size_t nf)
{
	size_t n = strlen(kind) + 1, i;

	for (i = 0; i < nf; i++)
		n += 2 + strlen(f[i].key) + value_max(f[i].t);
	return n;
}

size_t ifn_snap_text_bound(__u32 devs, __u32 flows, __u32 rules, __u32 owners)
{
	size_t rule = line_max("rule-port", rule_port_f, NF(rule_port_f));
	size_t any = line_max("rule-any", rule_any_f, NF(rule_any_f));
	size_t n = 4096; /* the magic line and the comment */

	n += line_max("saved", saved_f, NF(saved_f)) + line_max("config", config_f, NF(config_f)) +
	     line_max("global", global_f, NF(global_f)) + line_max("end", end_f, NF(end_f));
	n += (size_t)IFN_MAX_IFACES * line_max("iface", iface_f, NF(iface_f));
	n += (size_t)devs * line_max("device", device_f, NF(device_f));
	n += (size_t)flows * line_max("flow", flow_f, NF(flow_f));
	n += (size_t)rules * (rule + any); /* two tries of @rules each */
	n += (size_t)owners * line_max("owner", owner_f, NF(owner_f));
	n += (size_t)IFN_MAX_NAME_RULES_DEFAULT * line_max("rule-name", name_f, NF(name_f));
	return n;
}

int ifn_snap_write_text(const struct ifn_snap *s, char **out, size_t *len)
{
	struct snap_counts c = { s->n_ifaces, s->n_devs,   s->n_flows,
				 s->n_rules,  s->n_owners, s->n_names };
	char tb[IFN_TIME_STRLEN];
	struct sbuf b = {};
	size_t i;

	sb_printf(&b, "%s %d\n", IFN_SNAP_MAGIC, IFN_SNAP_VERSION);
	sb_printf(&b, "# iotfence state saved %s; times are wall-clock nanoseconds\n",
		  ifn_fmt_time(s->saved_ns, tb));
	write_line(&b, "saved", saved_f, NF(saved_f), s);
	write_line(&b, "config", config_f, NF(config_f), &s->cfg);
	write_line(&b, "global", global_f, NF(global_f), &s->gs);
	for (i = 0; i < s->n_ifaces; i++)
		write_line(&b, "iface", iface_f, NF(iface_f), &s->ifaces[i]);
	for (i = 0; i < s->n_devs; i++)
		write_line(&b, "device", device_f, NF(device_f), &s->devs[i]);
	for (i = 0; i < s->n_flows; i++)
		write_line(&b, "flow", flow_f, NF(flow_f), &s->flows[i]);
	for (i = 0; i < s->n_rules; i++) {
		if (s->rules[i].any)
			write_line(&b, "rule-any", rule_any_f, NF(rule_any_f), &s->rules[i]);
		else
			write_line(&b, "rule-port", rule_port_f, NF(rule_port_f), &s->rules[i]);
	}
	for (i = 0; i < s->n_owners; i++)
		write_line(&b, "owner", owner_f, NF(owner_f), &s->owners[i]);
	for (i = 0; i < s->n_names; i++)
		write_line(&b, "rule-name", name_f, NF(name_f), &s->names[i]);
	write_line(&b, "end", end_f, NF(end_f), &c);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* ---- reading ---- */

struct perr {
	char *buf;
	size_t len;
	unsigned long line;
};

static int fail(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct perr *e, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->buf && e->len) {
		if (e->line)
			snprintf(e->buf, e->len, "line %lu: %s", e->line, msg);
		else
			snprintf(e->buf, e->len, "%s", msg);
	}
	return -EBADMSG;
}

/* Strict decimal: digits only, no sign, no overflow. */
static int parse_u64(const char *s, __u64 *v)
{
	__u64 r = 0;

	if (!*s)
		return -EINVAL;
	if (s[0] == '0' && s[1])
		return -EINVAL; /* one spelling per number */
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (r > (~0ULL - (*s - '0')) / 10)
			return -ERANGE;
		r = r * 10 + (*s - '0');
	}
	*v = r;
	return 0;
}

static int parse_u64s(const char *s, __u64 *v, int n)
{
	char tmp[32];
	int i;

	for (i = 0; i < n; i++) {
		size_t l = strcspn(s, ",");

		if (l >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, s, l);
		tmp[l] = '\0';
		if (parse_u64(tmp, &v[i]))
			return -EINVAL;
		s += l;
		if (i < n - 1) {
			if (*s != ',')
				return -EINVAL;
			s++;
		}
	}
	return *s ? -EINVAL : 0;
}

static int name_index(const char *s, const char *(*name)(unsigned int), unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, name(i)))
			return i;
	return -EINVAL;
}

static const char *mode_name(unsigned int i)
{
	return ifn_mode_name(i);
}

static const char *dir_name(unsigned int i)
{
	return ifn_dir_name(i);
}

static const char *origin_name(unsigned int i)
{
	return ifn_origin_name(i);
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 15)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '/' || *s == ':')
			return false;
	return true;
}

static int read_field(const struct fdesc *f, const char *v, void *base)
{
	char *p = (char *)base + f->off;
	__u64 x, max = f->max;
	int i;

	switch (f->t) {
	case F_U8:
	case F_U16:
	case F_U32:
	case F_U64:
		if (!max)
			max = f->t == F_U8  ? 0xff :
			      f->t == F_U16 ? 0xffff :
			      f->t == F_U32 ? 0xffffffffULL :
					      ~0ULL;
		if (parse_u64(v, &x) || x < f->min || x > max)
			return -EINVAL;
		if (f->t == F_U8)
			*(__u8 *)p = x;
		else if (f->t == F_U16)
			*(__u16 *)p = x;
		else if (f->t == F_U32)
			*(__u32 *)p = x;
		else
			*(__u64 *)p = x;
		return 0;
	case F_MODE:
		i = name_index(v, mode_name, IFN_MODE_MAX);
		break;
	case F_DIR:
		i = name_index(v, dir_name, 2);
		break;
	case F_ORIGIN:
		i = name_index(v, origin_name, IFN_ORIGIN_GENERALISED + 1);
		break;
	case F_MAC:
		return ifn_parse_mac(v, (__u8 *)p);
	case F_IP4:
		return inet_pton(AF_INET, v, p) == 1 ? 0 : -EINVAL;
	case F_IP6:
		return inet_pton(AF_INET6, v, p) == 1 ? 0 : -EINVAL;
	case F_DNSNAME: {
		char why[96];
		bool wild;

		/* As a policy would have it: lower case, and the "*." in wild=. */
		if (ifn_dns_name_parse(v, p, &wild, why, sizeof(why)) || wild || strcmp(v, p))
			return -EINVAL;
		return 0;
	}
	case F_IFNAME:
		if (!strcmp(v, "-")) {
			memset(p, 0, 16);
			return 0;
		}
		if (!valid_ifname(v))
			return -EINVAL;
		memset(p, 0, 16);
		memcpy(p, v, strlen(v) + 1); /* at most 15 + NUL: valid_ifname */
		return 0;
	case F_VERDICTS:
		return parse_u64s(v, (__u64 *)p, 4);
	case F_REASONS:
		return parse_u64s(v, (__u64 *)p, IFN_REASON_MAX);
	case F_PLEN_PORT:
	case F_PLEN_ANY:
		if (parse_u64(v, &x) || x > 128)
			return -EINVAL;
		*(__u32 *)p = x + (f->t == F_PLEN_PORT ? IFN_RULE_PORT_FIXED_BITS :
							 IFN_RULE_ANY_FIXED_BITS);
		return 0;
	}
	if (i < 0)
		return -EINVAL;
	*(__u8 *)p = i;
	return 0;
}

/* Fill @base from the "key=value" words of one line; every key exactly once. */
static int read_fields(struct perr *e, const char *kind, char **words, int nw,
		       const struct fdesc *f, size_t nf, void *base)
{
	bool seen[32] = {};
	size_t i;
	int w;

	for (w = 0; w < nw; w++) {
		char *eq = strchr(words[w], '=');

		if (!eq)
			return fail(e, "%s: '%.40s' is not key=value", kind, words[w]);
		*eq = '\0';
		for (i = 0; i < nf; i++)
			if (!strcmp(words[w], f[i].key))
				break;
		if (i == nf)
			return fail(e, "%s: unknown field '%.40s'", kind, words[w]);
		if (seen[i])
			return fail(e, "%s: field '%s' given twice", kind, f[i].key);
		seen[i] = true;
		if (read_field(&f[i], eq + 1, base))
			return fail(e, "%s: bad value for '%s': '%.60s'", kind, f[i].key, eq + 1);
	}
	for (i = 0; i < nf; i++)
		if (!seen[i] && !f[i].optional)
			return fail(e, "%s: missing field '%s'", kind, f[i].key);
	return 0;
}

/* Room for item @n of @p; NULL (and @p freed) when out of memory. */
static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (ifn_grow(&p, cap, n + 1, size, 16)) {
		free(p);
		return NULL;
	}
	return p;
}

static bool addr_host_bits_zero(const __u8 a[16], unsigned int plen)
{
	unsigned int i;

	for (i = plen; i < 128; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int check_device(struct perr *e, const struct ifn_snap_dev *d)
{
	const struct ifn_device *v = &d->dev;

	if (!ifn_mac_is_device(d->mac))
		return fail(e, "device: %s is a multicast or zero MAC", "mac");
	if ((v->rate_pps ? v->burst_pkts > v->rate_pps : v->burst_pkts != 0) ||
	    (v->rate_bps ? v->burst_bytes > v->rate_bps : v->burst_bytes != 0))
		return fail(e, "device: a burst is above its rate, or set without one");
	return 0;
}

static int check_flow(struct perr *e, const struct ifn_snap_flow *f)
{
	const struct ifn_flow_key *k = &f->k;

	switch (k->family) {
	case IFN_FAMILY_L2:
		/* 0x0001: the datapath's flow of 802.3 frames (iotfence.8, FLOWS). */
		if (k->proto || k->dir || !ifn_addr_is_zero(k->peer) ||
		    (k->port < 0x600 && k->port != 0x0001))
			return fail(e,
				    "flow: an ethertype flow with a protocol, direction or peer");
		break;
	case IFN_FAMILY_IPV4:
		if (!ifn_addr_is_v4(k->peer))
			return fail(e, "flow: an IPv4 flow to a peer that is not IPv4");
		break;
	case IFN_FAMILY_IPV6:
		break;
	case IFN_FAMILY_LAN:
		if (!ifn_addr_is_zero(k->peer) || !k->proto)
			return fail(e, "flow: a local-networks flow (family 2) with a peer "
				       "or without a protocol");
		break;
	default:
		return fail(e, "flow: family must be 1 (ethertype), 2 (local-networks), 4 or 6");
	}
	return 0;
}

static int check_rule(struct perr *e, const struct ifn_snap_rule *r)
{
	const __u8 *peer = r->any ? r->ak.peer : r->pk.peer;
	unsigned int plen = r->any ? r->ak.prefixlen - IFN_RULE_ANY_FIXED_BITS :
				     r->pk.prefixlen - IFN_RULE_PORT_FIXED_BITS;

	if (!addr_host_bits_zero(peer, plen))
		return fail(e, "%s: peer has bits set past its prefix",
			    r->any ? "rule-any" : "rule-port");
	if (r->v.port_hi ? !r->v.port_lo || r->v.port_lo >= r->v.port_hi : r->v.port_lo != 0)
		return fail(e, "rule-any: a port range is 1 <= port-lo < port-hi");
	return 0;
}

/* What cannot be checked line by line: the counts, then the lists as a whole. */
static int check_whole(struct perr *e, struct ifn_snap *s, const struct snap_counts *c)
{
	e->line = 0;
	if (c->ifaces != s->n_ifaces || c->devices != s->n_devs || c->flows != s->n_flows ||
	    c->rules != s->n_rules || c->owners != s->n_owners || c->names != s->n_names)
		return fail(e, "the closing counts do not match the lines (lines are missing)");
	return ifn_snap_check_lists(s, e->buf, e->len);
}

#define PUSH(arr, n, cap, item)                                   \
	do {                                                      \
		(arr) = grow((arr), (n), &(cap), sizeof(*(arr))); \
		if (!(arr)) {                                     \
			(n) = 0;                                  \
			err = -ENOMEM;                            \
			goto out;                                 \
		}                                                 \
		(arr)[(n)++] = (item);                            \
	} while (0)

int ifn_snap_parse_text(const char *buf, size_t len, struct ifn_snap *s, char *errbuf,
			size_t errlen)
{
	struct perr e = { errbuf, errlen, 0 };
	size_t cap_if = 0, cap_dev = 0, cap_fl = 0, cap_ru = 0, cap_ow = 0, cap_nm = 0;
	bool have_header = false, have_saved = false, have_config = false, have_global = false;
	bool have_end = false;
	struct snap_counts counts = {};
	char line[SNAP_LINE_MAX];
	size_t pos = 0;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!len)
		return fail(&e, "empty snapshot");
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char *words[64], *save = NULL, *w;
		int nw = 0;

		e.line++;
		if (!nl) {
			err = fail(&e, "the last line is cut short (truncated)");
			goto out;
		}
		if (l >= sizeof(line)) {
			err = fail(&e, "line too long");
			goto out;
		}
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (strlen(line) != l) {
			err = fail(&e, "a NUL byte in the text");
			goto out;
		}
		if (have_end) {
			err = fail(&e, "text after the closing 'end' line");
			goto out;
		}
		if (!have_header) {
			__u64 ver;
			char *sp = strchr(line, ' ');

			if (!sp || (size_t)(sp - line) != strlen(IFN_SNAP_MAGIC) ||
			    memcmp(line, IFN_SNAP_MAGIC, sp - line)) {
				err = fail(&e, "not an iotfence snapshot (bad magic)");
				goto out;
			}
			if (parse_u64(sp + 1, &ver) || !ver) {
				err = fail(&e, "bad format version '%.20s'", sp + 1);
				goto out;
			}
			if (ver > IFN_SNAP_VERSION) {
				e.line = 0;
				fail(&e,
				     "written by a newer iotfence (snapshot format %llu; this one "
				     "reads format %d)",
				     (unsigned long long)ver, IFN_SNAP_VERSION);
				err = -EPROTONOSUPPORT;
				goto out;
			}
			s->version = ver;
			have_header = true;
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		for (w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			if (nw == 64) {
				err = fail(&e, "too many fields");
				goto out;
			}
			words[nw++] = w;
		}
		if (!nw)
			continue;
#define FIELDS(tab, base) read_fields(&e, words[0], words + 1, nw - 1, tab, NF(tab), base)
		if (!strcmp(words[0], "saved")) {
			if (have_saved) {
				err = fail(&e, "'saved' given twice");
				goto out;
			}
			have_saved = true;
			err = FIELDS(saved_f, s);
		} else if (!strcmp(words[0], "config")) {
			if (have_config) {
				err = fail(&e, "'config' given twice");
				goto out;
			}
			have_config = true;
			/* Settings newer than the file keep their defaults. */
			s->cfg.dns_min_ttl_ns = IFN_DNS_MIN_TTL_NS_DEFAULT;
			err = FIELDS(config_f, &s->cfg);
		} else if (!strcmp(words[0], "global")) {
			if (have_global) {
				err = fail(&e, "'global' given twice");
				goto out;
			}
			have_global = true;
			err = FIELDS(global_f, &s->gs);
		} else if (!strcmp(words[0], "iface")) {
			struct ifn_snap_iface it = {};

			if (s->n_ifaces >= IFN_MAX_IFACES) {
				err = fail(&e, "more than %d interfaces", IFN_MAX_IFACES);
				goto out;
			}
			err = FIELDS(iface_f, &it);
			if (!err && !it.name[0])
				err = fail(&e, "iface: a name is required");
			if (!err)
				PUSH(s->ifaces, s->n_ifaces, cap_if, it);
		} else if (!strcmp(words[0], "device")) {
			struct ifn_snap_dev d = {};

			err = FIELDS(device_f, &d);
			if (!err)
				err = check_device(&e, &d);
			if (!err)
				PUSH(s->devs, s->n_devs, cap_dev, d);
		} else if (!strcmp(words[0], "flow")) {
			struct ifn_snap_flow f = {};

			err = FIELDS(flow_f, &f);
			if (!err)
				err = check_flow(&e, &f);
			if (!err)
				PUSH(s->flows, s->n_flows, cap_fl, f);
		} else if (!strcmp(words[0], "rule-port") || !strcmp(words[0], "rule-any")) {
			struct ifn_snap_rule r = {};

			r.any = words[0][5] == 'a';
			if (r.any)
				err = FIELDS(rule_any_f, &r);
			else
				err = FIELDS(rule_port_f, &r);
			if (!err)
				err = check_rule(&e, &r);
			if (!err)
				PUSH(s->rules, s->n_rules, cap_ru, r);
		} else if (!strcmp(words[0], "rule-name")) {
			struct ifn_snap_name r = {};

			err = FIELDS(name_f, &r);
			if (!err && !ifn_mac_is_device(r.k.mac))
				err = fail(&e, "rule-name: not a device MAC");
			if (!err)
				PUSH(s->names, s->n_names, cap_nm, r);
		} else if (!strcmp(words[0], "owner")) {
			struct ifn_snap_owner o = {};

			err = FIELDS(owner_f, &o);
			if (!err && !ifn_mac_is_device(o.o.mac))
				err = fail(&e, "owner: a multicast or zero MAC");
			if (!err)
				PUSH(s->owners, s->n_owners, cap_ow, o);
		} else if (!strcmp(words[0], "end")) {
			have_end = true;
			err = FIELDS(end_f, &counts);
		} else {
			err = fail(&e, "unknown line kind '%.40s'", words[0]);
		}
#undef FIELDS
		if (err)
			goto out;
	}
	e.line = 0;
	if (!have_header)
		err = fail(&e, "empty snapshot");
	else if (!have_end)
		err = fail(&e, "no closing 'end' line (truncated)");
	else if (!have_saved || !have_config || !have_global)
		err = fail(&e, "a 'saved', 'config' or 'global' line is missing");
	else
		err = check_whole(&e, s, &counts);
out:
	if (err == -ENOMEM)
		fail(&e, "out of memory");
	if (err)
		ifn_snap_free(s);
	else
		s->cfg.abi_version = IFN_ABI_VERSION;
	return err;
}
