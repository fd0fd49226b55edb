// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "defaults.h"
#include "format.h"
#include "output.h"
#include "parse.h"
#include "settings.h"

const char *const ifn_setting_names[] = {
	"scan-threshold",  "scan-window", "auto-quarantine", "fingerprint-cap", "event-limit",
	"unknown-devices", "dns-min-ttl", "answers",	     "answer-memory",	NULL,
};

/* A week: no answer is worth more, and a longer floor only keeps stale addresses open. */
#define IFN_DNS_MIN_TTL_MAX (7ULL * 24 * 3600 * 1000000000ULL)

/* The sketch has 512 bits: counts far above a quarter of that saturate. */
#define IFN_SCAN_THRESHOLD_MAX 128

static int bad(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a, b);
	return -EINVAL;
}

int ifn_setting_apply(struct ifn_config *cfg, const char *key, const char *value, char *err,
		      size_t errlen)
{
	__u64 v;

	if (!strcmp(key, "scan-threshold")) {
		if (ifn_parse_count(value, &v) || v < 1 || v > IFN_SCAN_THRESHOLD_MAX)
			return bad(err, errlen, "%s: '%s' is not a count from 1 to 128", key,
				   value);
		cfg->scan_threshold = v;
	} else if (!strcmp(key, "scan-window")) {
		if (ifn_parse_duration(value, &v) || v < 1000000000ULL || v > IFN_DURATION_MAX_NS)
			return bad(err, errlen,
				   "%s: '%s' is not a duration from 1s to " IFN_DURATION_MAX_TEXT,
				   key, value);
		cfg->scan_window_ns = v;
	} else if (!strcmp(key, "auto-quarantine")) {
		if (!strcasecmp(value, "on") || !strcasecmp(value, "yes") || !strcmp(value, "1"))
			cfg->flags |= IFN_CFG_F_AUTO_QUARANTINE;
		else if (!strcasecmp(value, "off") || !strcasecmp(value, "no") ||
			 !strcmp(value, "0"))
			cfg->flags &= ~IFN_CFG_F_AUTO_QUARANTINE;
		else
			return bad(err, errlen, "%s: '%s' is not on or off", key, value);
	} else if (!strcmp(key, "fingerprint-cap")) {
		if (ifn_parse_count(value, &v) || v < 1 || v > 1000000)
			return bad(err, errlen, "%s: '%s' is not a count from 1 to 1000000", key,
				   value);
		cfg->fingerprint_cap = v;
	} else if (!strcmp(key, "event-limit")) {
		if (ifn_parse_count(value, &v) || v > 255)
			return bad(err, errlen, "%s: '%s' is not a count from 0 to 255", key,
				   value);
		cfg->event_limit = v;
	} else if (!strcmp(key, "unknown-devices")) {
		if (!strcasecmp(value, "pass"))
			cfg->unknown_verdict = IFN_VERDICT_PASS;
		else if (!strcasecmp(value, "drop"))
			cfg->unknown_verdict = IFN_VERDICT_DROP;
		else
			return bad(err, errlen, "%s: '%s' is not pass or drop", key, value);
	} else if (!strcmp(key, "answers")) {
		if (!strcasecmp(value, "pass"))
			cfg->flags &= ~IFN_CFG_F_ANSWERS_DROP;
		else if (!strcasecmp(value, "drop"))
			cfg->flags |= IFN_CFG_F_ANSWERS_DROP;
		else
			return bad(err, errlen, "%s: '%s' is not pass or drop", key, value);
	} else if (!strcmp(key, "answer-memory")) {
		/* Whole seconds, as the datapath keeps them (one byte). */
		if (ifn_parse_duration(value, &v) || v < 1000000000ULL || v > 255 * 1000000000ULL ||
		    v % 1000000000ULL)
			return bad(err, errlen,
				   "%s: '%s' is not a whole number of seconds, 1s to 255s", key,
				   value);
		cfg->answer_s = v / 1000000000ULL;
	} else if (!strcmp(key, "dns-min-ttl")) {
		if (ifn_parse_duration(value, &v) || v > IFN_DNS_MIN_TTL_MAX)
			return bad(err, errlen, "%s: '%s' is not a duration from 0 to 7d", key,
				   value);
		cfg->dns_min_ttl_ns = v;
	} else {
		return bad(err, errlen, "unknown setting '%s'%s", key,
			   " (scan-threshold, scan-window, auto-quarantine, fingerprint-cap, "
			   "event-limit, unknown-devices, dns-min-ttl, answers, answer-memory)");
	}
	return 0;
}

int ifn_setting_format(const struct ifn_config *cfg, const char *key, char *buf, size_t len)
{
	if (!strcmp(key, "scan-threshold"))
		snprintf(buf, len, "%u", cfg->scan_threshold);
	else if (!strcmp(key, "scan-window"))
		ifn_fmt_duration(cfg->scan_window_ns, buf, len);
	else if (!strcmp(key, "auto-quarantine"))
		snprintf(buf, len, "%s", cfg->flags & IFN_CFG_F_AUTO_QUARANTINE ? "on" : "off");
	else if (!strcmp(key, "fingerprint-cap"))
		snprintf(buf, len, "%u", cfg->fingerprint_cap);
	else if (!strcmp(key, "event-limit"))
		snprintf(buf, len, "%u", cfg->event_limit);
	else if (!strcmp(key, "unknown-devices"))
		snprintf(buf, len, "%s",
			 cfg->unknown_verdict == IFN_VERDICT_PASS ? "pass" : "drop");
	else if (!strcmp(key, "dns-min-ttl"))
		ifn_fmt_duration(cfg->dns_min_ttl_ns, buf, len);
	else if (!strcmp(key, "answers"))
		snprintf(buf, len, "%s", cfg->flags & IFN_CFG_F_ANSWERS_DROP ? "drop" : "pass");
	else if (!strcmp(key, "answer-memory"))
		ifn_fmt_duration((__u64)(cfg->answer_s ? cfg->answer_s : IFN_ANSWER_S_DEFAULT) *
					 1000000000ULL,
				 buf, len);
	else
		return -EINVAL;
	return 0;
}

void ifn_settings_print(const struct ifn_config *cfg, FILE *f, bool json)
{
	struct ifn_json j;
	char buf[64];
	int i;

	if (json) {
		ifn_json_init(&j, f);
		ifn_json_obj_open(&j, NULL);
		ifn_json_u64(&j, "scan_threshold", cfg->scan_threshold);
		ifn_json_u64(&j, "scan_window_s", cfg->scan_window_ns / 1000000000ULL);
		ifn_json_bool(&j, "auto_quarantine", cfg->flags & IFN_CFG_F_AUTO_QUARANTINE);
		ifn_json_u64(&j, "fingerprint_cap", cfg->fingerprint_cap);
		ifn_json_u64(&j, "event_limit", cfg->event_limit);
		ifn_json_str(&j, "unknown_devices",
			     cfg->unknown_verdict == IFN_VERDICT_PASS ? "pass" : "drop");
		ifn_json_u64(&j, "dns_min_ttl_s", cfg->dns_min_ttl_ns / 1000000000ULL);
		ifn_json_str(&j, "answers", cfg->flags & IFN_CFG_F_ANSWERS_DROP ? "drop" : "pass");
		ifn_json_u64(&j, "answer_memory_s",
			     cfg->answer_s ? cfg->answer_s : IFN_ANSWER_S_DEFAULT);
		ifn_json_obj_close(&j);
		return;
	}
	for (i = 0; ifn_setting_names[i]; i++) {
		ifn_setting_format(cfg, ifn_setting_names[i], buf, sizeof(buf));
		fprintf(f, "%-16s %s\n", ifn_setting_names[i], buf);
	}
}
