// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "defaults.h"
#include "errors.h"
#include "format.h"
#include "output.h"
#include "parse.h"
#include "settings.h"

/*
 * DROP_FLAG: pass or drop, kept as a flag (min) set for drop. SECONDS: a
 * whole number of seconds, kept as such (the datapath's byte), 0 standing
 * for IFN_ANSWER_S_DEFAULT.
 */
enum kind { COUNT, DURATION, FLAG, VERDICT, DROP_FLAG, SECONDS };

/*
 * One row per setting, in display order: its name, its JSON name, what
 * kind of value it takes, the field of struct ifn_config, and the bounds
 * (for FLAG, min is the flag; a duration's are also written out, for the
 * message). Apply, format, the JSON and the list of names are all made
 * from it.
 */
/* clang-format off */
#define IFN_SETTINGS(X)                                                                        \
	X("scan-threshold", "scan_threshold", COUNT, scan_threshold, 1, IFN_SCAN_THRESHOLD_MAX, NULL) \
	X("scan-window", "scan_window_s", DURATION, scan_window_ns, IFN_NS_PER_SEC,              \
	  IFN_DURATION_MAX_NS, "1s to " IFN_DURATION_MAX_TEXT)                                    \
	X("auto-quarantine", "auto_quarantine", FLAG, flags, IFN_CFG_F_AUTO_QUARANTINE, 0, NULL) \
	X("fingerprint-cap", "fingerprint_cap", COUNT, fingerprint_cap, 1, IFN_FINGERPRINT_CAP_MAX, NULL)       \
	X("event-limit", "event_limit", COUNT, event_limit, 0, IFN_EVENT_LIMIT_MAX, NULL)                       \
	X("unknown-devices", "unknown_devices", VERDICT, unknown_verdict, 0, 0, NULL)           \
	X("dns-min-ttl", "dns_min_ttl_s", DURATION, dns_min_ttl_ns, 0, IFN_DNS_MIN_TTL_MAX, "0 to 7d") \
	X("answers", "answers", DROP_FLAG, flags, IFN_CFG_F_ANSWERS_DROP, 0, NULL)             \
	X("answer-memory", "answer_memory_s", SECONDS, answer_s, 1, 255, "1s to 255s")
/* clang-format on */

struct setting {
	const char *name, *json;
	enum kind kind;
	size_t off, size;
	__u64 min, max;
	const char *range; /* a duration's bounds, as the message says them */
};

#define ROW(n, j, k, f, lo, hi, r) \
	{ n, j, k, offsetof(struct ifn_config, f), sizeof(((struct ifn_config *)0)->f), lo, hi, r },
static const struct setting settings[] = { IFN_SETTINGS(ROW) };
#undef ROW
#define NAME(n, j, k, f, lo, hi, r) n,
const char *const ifn_setting_names[] = { IFN_SETTINGS(NAME) NULL };
#undef NAME
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static __u64 get(const struct ifn_config *cfg, const struct setting *s)
{
	const char *p = (const char *)cfg + s->off;

	switch (s->size) {
	case 1:
		return *(const __u8 *)p;
	case 4:
		return *(const __u32 *)p;
	default:
		return *(const __u64 *)p;
	}
}

static void set(struct ifn_config *cfg, const struct setting *s, __u64 v)
{
	char *p = (char *)cfg + s->off;

	switch (s->size) {
	case 1:
		*(__u8 *)p = v;
		break;
	case 4:
		*(__u32 *)p = v;
		break;
	default:
		*(__u64 *)p = v;
	}
}

static const struct setting *find(const char *key)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (!strcmp(settings[i].name, key))
			return &settings[i];
	return NULL;
}

int ifn_setting_apply(struct ifn_config *cfg, const char *key, const char *value, char *err,
		      size_t errlen)
{
	const struct setting *s = find(key);
	__u64 v = 0;
	char names[256] = "";
	size_t i;

	if (!s) {
		for (i = 0; i < NSETTINGS; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", settings[i].name);
		return ifn_errbuf(-EINVAL, err, errlen, "unknown setting '%s' (%s)", key, names);
	}
	switch (s->kind) {
	case COUNT:
		if (ifn_parse_count(value, &v) || v < s->min || v > s->max)
			return ifn_errbuf(-EINVAL, err, errlen,
					  "%s: '%s' is not a count from %llu to %llu", key, value,
					  (unsigned long long)s->min, (unsigned long long)s->max);
		break;
	case DURATION:
		if (ifn_parse_duration(value, &v) || v < s->min || v > s->max)
			return ifn_errbuf(-EINVAL, err, errlen,
					  "%s: '%s' is not a duration from %s", key, value,
					  s->range);
		break;
	case FLAG:
		v = get(cfg, s);
		if (!strcasecmp(value, "on") || !strcasecmp(value, "yes") || !strcmp(value, "1"))
			v |= s->min;
		else if (!strcasecmp(value, "off") || !strcasecmp(value, "no") ||
			 !strcmp(value, "0"))
			v &= ~s->min;
		else
			return ifn_errbuf(-EINVAL, err, errlen, "%s: '%s' is not on or off", key,
					  value);
		break;
	case VERDICT:
		if (!strcasecmp(value, "pass"))
			v = IFN_VERDICT_PASS;
		else if (!strcasecmp(value, "drop"))
			v = IFN_VERDICT_DROP;
		else
			return ifn_errbuf(-EINVAL, err, errlen, "%s: '%s' is not pass or drop", key,
					  value);
		break;
	case DROP_FLAG:
		v = get(cfg, s);
		if (!strcasecmp(value, "pass"))
			v &= ~s->min;
		else if (!strcasecmp(value, "drop"))
			v |= s->min;
		else
			return ifn_errbuf(-EINVAL, err, errlen, "%s: '%s' is not pass or drop", key,
					  value);
		break;
	case SECONDS:
		if (ifn_parse_duration(value, &v) || v % IFN_NS_PER_SEC ||
		    v / IFN_NS_PER_SEC < s->min || v / IFN_NS_PER_SEC > s->max)
			return ifn_errbuf(-EINVAL, err, errlen,
					  "%s: '%s' is not a whole number of seconds, %s", key,
					  value, s->range);
		v /= IFN_NS_PER_SEC;
		break;
	}
	set(cfg, s, v);
	return 0;
}

static void format(const struct ifn_config *cfg, const struct setting *s, char *buf, size_t len)
{
	__u64 v = get(cfg, s);

	switch (s->kind) {
	case COUNT:
		snprintf(buf, len, "%llu", (unsigned long long)v);
		break;
	case DURATION:
		ifn_fmt_duration(v, buf, len);
		break;
	case FLAG:
		snprintf(buf, len, "%s", v & s->min ? "on" : "off");
		break;
	case VERDICT:
		snprintf(buf, len, "%s", v == IFN_VERDICT_PASS ? "pass" : "drop");
		break;
	case DROP_FLAG:
		snprintf(buf, len, "%s", v & s->min ? "drop" : "pass");
		break;
	case SECONDS:
		ifn_fmt_duration((v ? v : IFN_ANSWER_S_DEFAULT) * IFN_NS_PER_SEC, buf, len);
		break;
	}
}

int ifn_setting_format(const struct ifn_config *cfg, const char *key, char *buf, size_t len)
{
	const struct setting *s = find(key);

	if (!s)
		return -EINVAL;
	format(cfg, s, buf, len);
	return 0;
}

void ifn_settings_print(const struct ifn_config *cfg, FILE *f, bool json)
{
	struct ifn_json j;
	char buf[64];
	size_t i;

	if (json) {
		ifn_json_init(&j, f);
		ifn_json_obj_open(&j, NULL);
		for (i = 0; i < NSETTINGS; i++) {
			const struct setting *s = &settings[i];
			__u64 v = get(cfg, s);

			if (s->kind == FLAG)
				ifn_json_bool(&j, s->json, v & s->min);
			else if (s->kind == VERDICT)
				ifn_json_str(&j, s->json, v == IFN_VERDICT_PASS ? "pass" : "drop");
			else if (s->kind == DROP_FLAG)
				ifn_json_str(&j, s->json, v & s->min ? "drop" : "pass");
			else if (s->kind == SECONDS)
				ifn_json_u64(&j, s->json, v ? v : IFN_ANSWER_S_DEFAULT);
			else
				ifn_json_u64(&j, s->json,
					     s->kind == DURATION ? v / IFN_NS_PER_SEC : v);
		}
		ifn_json_obj_close(&j);
		return;
	}
	for (i = 0; i < NSETTINGS; i++) {
		format(cfg, &settings[i], buf, sizeof(buf));
		fprintf(f, "%-16s %s\n", settings[i].name, buf);
	}
}
