// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The snapshot file format without maps: text and gzip round trips, and
 * every way a file can be bad (empty, truncated, flipped bytes, bad magic,
 * newer version, inconsistent lines) is refused with a reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "parse.h"
#include "settings.h"
#include "snapshot_fmt.h"
#include "snapshot_gz.h"
#include "unit.h"

static void mac(__u8 m[6], const char *s)
{
	ck_assert_int_eq(ifn_parse_mac(s, m), 0);
}

static void ip(__u8 a[16], const char *s)
{
	ck_assert_int_eq(ifn_parse_ip(s, a, NULL), 0);
}

/* A small state with one of everything. */
static void sample(struct ifn_snap *s)
{
	struct ifn_snap_dev *d;
	struct ifn_snap_flow *f;
	struct ifn_snap_rule *r;
	int i;

	memset(s, 0, sizeof(*s));
	s->version = 1;
	s->saved_ns = 1763784937123456789ULL;
	s->cfg.abi_version = IFN_ABI_VERSION;
	s->cfg.flags = IFN_CFG_F_AUTO_QUARANTINE;
	s->cfg.scan_threshold = 16;
	s->cfg.fingerprint_cap = 512;
	s->cfg.scan_window_ns = 10000000000ULL;
	s->cfg.event_limit = 8;
	s->cfg.unknown_verdict = IFN_VERDICT_DROP;
	s->cfg.default_mode = IFN_MODE_MONITOR;
	s->cfg.learn_ns = 3600000000000ULL;
	s->gs.frames = 1000;
	s->gs.bytes = 123456;
	s->gs.verdict[IFN_VERDICT_DROP] = 7;
	s->gs.reason[IFN_REASON_NOT_IN_FINGERPRINT] = 7;

	s->n_ifaces = 1;
	s->ifaces = calloc(1, sizeof(*s->ifaces));
	s->ifaces[0].ifindex = 3;
	strcpy(s->ifaces[0].name, "eth0");
	s->ifaces[0].ifc.default_mode = IFN_MODE_LEARN;
	s->ifaces[0].ifc.attach_mode = 1;
	s->ifaces[0].ifc.learn_ns = 86400000000000ULL;

	s->n_devs = 2;
	s->devs = calloc(2, sizeof(*s->devs));
	for (i = 0; i < 2; i++) {
		d = &s->devs[i];
		mac(d->mac, i ? "02:00:00:00:00:02" : "02:00:00:00:00:01");
		strcpy(d->ifname, "eth0");
		d->dev.ifindex = 3;
		d->dev.created_ns = 1763784000000000000ULL + i;
		d->st.packets = 100 + i;
		d->st.bytes = 10000;
		d->st.verdict[IFN_VERDICT_PASS] = 99;
		d->st.verdict[IFN_VERDICT_DROP] = 1 + i;
		d->st.reason[IFN_REASON_NOT_IN_FINGERPRINT] = 1 + i;
		d->st.first_seen_ns = 1763784000000000000ULL;
		d->st.last_seen_ns = 1763784900000000000ULL;
	}
	s->devs[0].mode = IFN_MODE_LEARN;
	s->devs[0].mode_after = IFN_MODE_ENFORCE;
	s->devs[0].until_ns = 1763871337000000000ULL;
	s->devs[0].dev.ipv4[0] = 192;
	s->devs[0].dev.ipv4[1] = 168;
	s->devs[0].dev.ipv4[3] = 10;
	ip(s->devs[0].dev.ipv6_ll, "fe80::1");
	s->devs[1].mode = IFN_MODE_ENFORCE;
	s->devs[1].dev.rate_pps = 100;
	s->devs[1].dev.burst_pkts = 50;
	s->devs[1].dev.flags = IFN_DEV_F_RATE_LIMIT;

	s->n_flows = 2;
	s->flows = calloc(2, sizeof(*s->flows));
	f = &s->flows[0];
	mac(f->k.mac, "02:00:00:00:00:01");
	f->k.family = IFN_FAMILY_IPV4;
	f->k.proto = 6;
	f->k.port = 443;
	ip(f->k.peer, "52.1.2.3");
	f->v.added_ns = 1763784000000000001ULL;
	f = &s->flows[1];
	mac(f->k.mac, "02:00:00:00:00:01");
	f->k.family = IFN_FAMILY_L2;
	f->k.port = 0x88cc;
	f->v.origin = IFN_ORIGIN_MANUAL;

	s->n_rules = 2;
	s->rules = calloc(2, sizeof(*s->rules));
	r = &s->rules[0];
	mac(r->pk.mac, "02:00:00:00:00:02");
	r->pk.proto = 17;
	r->pk.port = 123;
	r->pk.prefixlen = IFN_RULE_PORT_FIXED_BITS; /* any */
	r->v.origin = IFN_ORIGIN_POLICY;
	r = &s->rules[1];
	r->any = true;
	mac(r->ak.mac, "02:00:00:00:00:02");
	r->ak.proto = 6;
	r->ak.dir = IFN_DIR_SERVER;
	ip(r->ak.peer, "10.0.0.0");
	r->ak.prefixlen = IFN_RULE_ANY_FIXED_BITS + 104;
	r->v.origin = IFN_ORIGIN_GENERALISED;

	s->n_owners = 1;
	s->owners = calloc(1, sizeof(*s->owners));
	ip(s->owners[0].k.addr, "192.168.0.10");
	mac(s->owners[0].o.mac, "02:00:00:00:00:01");
	s->owners[0].o.since_ns = 1763784000000000000ULL;
	ifn_snap_sort(s);
}

static void assert_same(const struct ifn_snap *a, const struct ifn_snap *b)
{
	size_t i;

	ck_assert_uint_eq(a->saved_ns, b->saved_ns);
	ck_assert(!memcmp(&a->cfg, &b->cfg, sizeof(a->cfg)));
	ck_assert(!memcmp(&a->gs, &b->gs, sizeof(a->gs)));
	ck_assert_uint_eq(a->n_ifaces, b->n_ifaces);
	ck_assert_uint_eq(a->n_devs, b->n_devs);
	ck_assert_uint_eq(a->n_flows, b->n_flows);
	ck_assert_uint_eq(a->n_rules, b->n_rules);
	ck_assert_uint_eq(a->n_owners, b->n_owners);
	for (i = 0; i < a->n_ifaces; i++)
		ck_assert(!memcmp(&a->ifaces[i], &b->ifaces[i], sizeof(a->ifaces[i])));
	for (i = 0; i < a->n_devs; i++)
		ck_assert_msg(!memcmp(&a->devs[i], &b->devs[i], sizeof(a->devs[i])), "device %zu",
			      i);
	for (i = 0; i < a->n_flows; i++)
		ck_assert(!memcmp(&a->flows[i], &b->flows[i], sizeof(a->flows[i])));
	for (i = 0; i < a->n_rules; i++)
		ck_assert(!memcmp(&a->rules[i], &b->rules[i], sizeof(a->rules[i])));
	for (i = 0; i < a->n_owners; i++)
		ck_assert(!memcmp(&a->owners[i], &b->owners[i], sizeof(a->owners[i])));
}

static void sample_gz(void **gz, size_t *glen, char **text, size_t *tlen)
{
	struct ifn_snap s;

	sample(&s);
	ck_assert_int_eq(ifn_snap_write_text(&s, text, tlen), 0);
	ck_assert_int_eq(ifn_snap_gzip(*text, *tlen, gz, glen), 0);
	ifn_snap_free(&s);
}

START_TEST(text_round_trip)
{
	struct ifn_snap a, b;
	char *text, err[256];
	size_t len;

	sample(&a);
	ck_assert_int_eq(ifn_snap_write_text(&a, &text, &len), 0);
	ck_assert_msg(ifn_snap_parse_text(text, len, &b, err, sizeof(err)) == 0, "%s", err);
	assert_same(&a, &b);
	ck_assert_ptr_nonnull(strstr(text, "flow mac=02:00:00:00:00:01 family=4 proto=6 port=443 "
					   "dir=client peer=::ffff:52.1.2.3 origin=learned"));
	ifn_snap_free(&a);
	ifn_snap_free(&b);
	free(text);
}
END_TEST

START_TEST(gzip_round_trip)
{
	struct ifn_snap a, b;
	char *text, err[256];
	size_t tlen, glen;
	void *gz;

	sample_gz(&gz, &glen, &text, &tlen);
	ck_assert_msg(ifn_snap_decode(gz, glen, IFN_SNAP_MAX_TEXT, &b, err, sizeof(err)) == 0, "%s",
		      err);
	sample(&a);
	assert_same(&a, &b);
	ifn_snap_free(&a);
	ifn_snap_free(&b);
	free(gz);
	free(text);
}
END_TEST

START_TEST(empty_file)
{
	struct ifn_snap s;
	char err[256];

	ck_assert_int_eq(ifn_snap_decode("", 0, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
}
END_TEST

START_TEST(empty_gzip)
{
	struct ifn_snap s;
	char err[256];
	size_t glen;
	void *gz;

	ck_assert_int_eq(ifn_snap_gzip("", 0, &gz, &glen), 0);
	ck_assert_int_eq(ifn_snap_decode(gz, glen, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	free(gz);
}
END_TEST

START_TEST(not_gzip)
{
	static const char plain[] = "iotfence-snapshot 1\nend\n";
	struct ifn_snap s;
	char err[256];

	ck_assert_int_eq(ifn_snap_decode(plain, sizeof(plain) - 1, IFN_SNAP_MAX_TEXT, &s, err,
					 sizeof(err)),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "bad magic"));
}
END_TEST

START_TEST(bad_text_magic)
{
	static const char text[] = "some-other-format 1\nend\n";
	struct ifn_snap s;
	char err[256];
	size_t glen;
	void *gz;

	ck_assert_int_eq(ifn_snap_gzip(text, sizeof(text) - 1, &gz, &glen), 0);
	ck_assert_int_eq(ifn_snap_decode(gz, glen, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "not an iotfence snapshot"));
	free(gz);
}
END_TEST

START_TEST(newer_version)
{
	struct ifn_snap s;
	char *text, err[256];
	size_t tlen, glen;
	void *gz, *gz2;

	sample_gz(&gz, &glen, &text, &tlen);
	/* "iotfence-snapshot 1" -> "iotfence-snapshot 2": a format this agent cannot read. */
	text[strlen(IFN_SNAP_MAGIC) + 1] = '2';
	ck_assert_int_eq(ifn_snap_gzip(text, tlen, &gz2, &glen), 0);
	ck_assert_int_eq(ifn_snap_decode(gz2, glen, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	ck_assert_ptr_nonnull(strstr(err, "newer iotfence"));
	free(gz);
	free(gz2);
	free(text);
}
END_TEST

/* Every cut of the file is refused: gzip's trailer holds the length and CRC. */
START_TEST(truncated_everywhere)
{
	struct ifn_snap s;
	char *text, err[256];
	size_t tlen, glen, cut;
	void *gz;

	sample_gz(&gz, &glen, &text, &tlen);
	for (cut = 0; cut < glen; cut++) {
		int rc = ifn_snap_decode(gz, cut, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err));

		ck_assert_msg(rc == -EBADMSG, "cut at %zu of %zu accepted (%d)", cut, glen, rc);
	}
	ck_assert_int_eq(ifn_snap_decode(gz, 20, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);
	free(gz);
	free(text);
}
END_TEST

/*
 * A flipped bit anywhere is refused, or leaves the contents intact: gzip
 * does not check its header's time stamp and OS bytes, and deflate has bits
 * that change nothing (unused code lengths, padding). A damaged file never
 * restores a different state.
 */
START_TEST(flipped_bytes_everywhere)
{
	struct ifn_snap a, s;
	char *text, err[256];
	size_t tlen, glen, i;
	unsigned int refused = 0;
	void *gz;

	sample_gz(&gz, &glen, &text, &tlen);
	sample(&a);
	for (i = 0; i < glen; i++) {
		__u8 *p = (__u8 *)gz + i;
		int rc;

		*p ^= 0x10;
		rc = ifn_snap_decode(gz, glen, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err));
		*p ^= 0x10;
		if (rc) {
			ck_assert_msg(rc == -EBADMSG, "byte %zu: %d", i, rc);
			refused++;
			continue;
		}
		assert_same(&a, &s);
		ifn_snap_free(&s);
	}
	ck_assert_msg(refused * 10 >= glen * 9, "only %u of %zu flips refused", refused, glen);
	ifn_snap_free(&a);
	free(gz);
	free(text);
}
END_TEST

START_TEST(trailing_garbage)
{
	struct ifn_snap s;
	char *text, err[256];
	size_t tlen, glen;
	void *gz;
	char *big;

	sample_gz(&gz, &glen, &text, &tlen);
	big = malloc(glen + 4);
	memcpy(big, gz, glen);
	memcpy(big + glen, "junk", 4);
	ck_assert_int_eq(ifn_snap_decode(big, glen + 4, IFN_SNAP_MAX_TEXT, &s, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_msg(strstr(err, "after the compressed data") != NULL, "%s", err);
	free(big);
	free(gz);
	free(text);
}
END_TEST

START_TEST(too_large)
{
	struct ifn_snap s;
	char *text, err[256];
	size_t tlen, glen;
	void *gz;

	sample_gz(&gz, &glen, &text, &tlen);
	ck_assert_int_eq(ifn_snap_decode(gz, glen, 100, &s, err, sizeof(err)), -EFBIG);
	free(gz);
	free(text);
}
END_TEST

/* Lines that are each wrong in one way; the snapshot around them is good. */
static const struct {
	const char *find, *replace; /* in the sample's text */
	const char *why; /* expected in the message */
} bad_lines[] = {
	{ "device mac=02:00:00:00:00:02", "device mac=02:00:00:00:00:01", "listed twice" },
	{ "device mac=02:00:00:00:00:02", "device mac=03:00:00:00:00:02", "multicast" },
	{ "mode=enforce", "mode=sleep", "bad value for 'mode'" },
	{ " pps=100", "", "missing field 'pps'" },
	{ " pps=100", " pps=100 pps=100", "given twice" },
	{ " pps=100", " pps=100 colour=red", "unknown field" },
	{ "burst-packets=50", "burst-packets=500", "burst" },
	{ "port=443", "port=70000", "bad value for 'port'" },
	{ "port=443", "port=0443", "bad value for 'port'" },
	{ "port=443", "port=-1", "bad value for 'port'" },
	{ "family=4", "family=5", "family" },
	{ "peer=::ffff:52.1.2.3", "peer=2001:db8::1", "not IPv4" },
	{ "peer=::ffff:52.1.2.3", "peer=52.1.2.3.4", "bad value for 'peer'" },
	{ "plen=104", "plen=96", "past its prefix" },
	{ "plen=104", "plen=129", "bad value for 'plen'" },
	{ "origin=policy", "origin=magic", "bad value for 'origin'" },
	{ "flow mac=02:00:00:00:00:01 family=4", "flow mac=02:00:00:00:00:09 family=4",
	  "not listed" },
	{ "owner addr=::ffff:192.168.0.10 mac=02:00:00:00:00:01",
	  "owner addr=::ffff:192.168.0.10 mac=02:00:00:00:00:07", "not listed" },
	{ "end ifaces=1 devices=2", "end ifaces=1 devices=3", "closing counts" },
	{ "scan-threshold=16", "scan-threshold=0", "bad value for 'scan-threshold'" },
	{ "\nsaved ", "\nsafe ", "unknown line kind" },
	{ "\nconfig ", "\n#onfig ", "missing" },
	{ "iface name=eth0", "iface name=eth/0", "bad value for 'name'" },
	{ "reasons=0,0,0", "reasons=0,0", "bad value for 'reasons'" },
	{ "verdicts=99,1,0,0", "verdicts=99,1,0,0,", "bad value for 'verdicts'" },
	{ "ipv4=192.168.0.10", "ipv4=::1", "bad value for 'ipv4'" },
	{ "until=1763871337000000000", "until=99999999999999999999", "bad value for 'until'" },
};

static char *replace_once(const char *text, const char *find, const char *rep)
{
	const char *at = strstr(text, find);
	size_t n;
	char *out;

	ck_assert_msg(at != NULL, "'%s' not in the sample", find);
	n = strlen(text) - strlen(find) + strlen(rep);
	out = malloc(n + 1);
	memcpy(out, text, at - text);
	strcpy(out + (at - text), rep);
	strcat(out, at + strlen(find));
	return out;
}

START_TEST(bad_line)
{
	struct ifn_snap a, s;
	char *text, *bad, err[256];
	size_t len;
	int rc;

	sample(&a);
	ck_assert_int_eq(ifn_snap_write_text(&a, &text, &len), 0);
	bad = replace_once(text, bad_lines[_i].find, bad_lines[_i].replace);
	rc = ifn_snap_parse_text(bad, strlen(bad), &s, err, sizeof(err));
	ck_assert_msg(rc == -EBADMSG, "case %d accepted", _i);
	ck_assert_msg(strstr(err, bad_lines[_i].why) != NULL, "case %d: '%s' lacks '%s'", _i, err,
		      bad_lines[_i].why);
	ck_assert_ptr_null(s.devs);
	free(bad);
	free(text);
	ifn_snap_free(&a);
}
END_TEST

/*
 * A snapshot's config line is held to the bounds `iotfence settings`
 * applies (defaults.h): a value one accepts the other accepts, one past
 * it both refuse.
 */
static const struct {
	const char *key; /* the setting, and the snapshot's field */
	const char *at, *past; /* as a setting */
	const char *at_ns, *past_ns; /* in the snapshot, when not the same text */
} bounds[] = {
	{ "scan-threshold", "128", "129", NULL, NULL },
	{ "fingerprint-cap", "1000000", "1000001", NULL, NULL },
	{ "event-limit", "255", "256", NULL, NULL },
	{ "dns-min-ttl", "7d", "604801s", "604800000000000", "604801000000000" },
};

/* @text with the value of config field @key set to @v. */
static char *with_config(const char *text, const char *key, const char *v)
{
	char find[64], rep[96];
	const char *at, *end;

	snprintf(find, sizeof(find), " %s=", key);
	at = strstr(strstr(text, "\nconfig "), find);
	ck_assert_ptr_nonnull(at);
	end = at + strlen(find) + strspn(at + strlen(find), "0123456789");
	snprintf(find, sizeof(find), "%.*s", (int)(end - at), at);
	snprintf(rep, sizeof(rep), " %s=%s", key, v);
	return replace_once(text, find, rep);
}

START_TEST(config_bounds_as_settings)
{
	const char *at = bounds[_i].at_ns ? bounds[_i].at_ns : bounds[_i].at;
	const char *past = bounds[_i].past_ns ? bounds[_i].past_ns : bounds[_i].past;
	struct ifn_config cfg = {};
	struct ifn_snap a, s;
	char *text, *t2, err[256];
	size_t len;

	ck_assert_int_eq(ifn_setting_apply(&cfg, bounds[_i].key, bounds[_i].at, err, sizeof(err)),
			 0);
	ck_assert_int_ne(ifn_setting_apply(&cfg, bounds[_i].key, bounds[_i].past, err, sizeof(err)),
			 0);
	sample(&a);
	ck_assert_int_eq(ifn_snap_write_text(&a, &text, &len), 0);
	t2 = with_config(text, bounds[_i].key, at);
	ck_assert_msg(ifn_snap_parse_text(t2, strlen(t2), &s, err, sizeof(err)) == 0, "%s=%s: %s",
		      bounds[_i].key, at, err);
	ifn_snap_free(&s);
	free(t2);
	t2 = with_config(text, bounds[_i].key, past);
	ck_assert_msg(ifn_snap_parse_text(t2, strlen(t2), &s, err, sizeof(err)) == -EBADMSG,
		      "%s=%s accepted", bounds[_i].key, past);
	ck_assert_msg(strstr(err, bounds[_i].key) != NULL, "%s", err);
	free(t2);
	free(text);
	ifn_snap_free(&a);
}
END_TEST

START_TEST(line_numbers_and_truncation)
{
	struct ifn_snap a, s;
	char *text, err[256];
	size_t len;
	char *end;

	sample(&a);
	ck_assert_int_eq(ifn_snap_write_text(&a, &text, &len), 0);
	/* Cut the text right before its 'end' line: no closing counts. */
	end = strstr(text, "\nend ");
	ck_assert_int_eq(ifn_snap_parse_text(text, end - text + 1, &s, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);
	/* Cut inside a line. */
	ck_assert_int_eq(ifn_snap_parse_text(text, end - text - 3, &s, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, "cut short") != NULL, "%s", err);
	/* Something after the end. */
	{
		char *more = malloc(len + 16);

		memcpy(more, text, len);
		memcpy(more + len, "flow x=1\n", 9);
		ck_assert_int_eq(ifn_snap_parse_text(more, len + 9, &s, err, sizeof(err)),
				 -EBADMSG);
		ck_assert_msg(strstr(err, "after the closing") != NULL, "%s", err);
		free(more);
	}
	/* An error names its line: the first line is the header. */
	text[0] = 'X';
	ck_assert_int_eq(ifn_snap_parse_text(text, len, &s, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(!strncmp(err, "line 1: ", 8), "%s", err);
	free(text);
	ifn_snap_free(&a);
}
END_TEST

UNIT_SUITE(snapshot_suite)
static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot-format");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, text_round_trip);
	tcase_add_loop_test(tc, config_bounds_as_settings, 0, sizeof(bounds) / sizeof(bounds[0]));
	tcase_add_test(tc, gzip_round_trip);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, empty_gzip);
	tcase_add_test(tc, not_gzip);
	tcase_add_test(tc, bad_text_magic);
	tcase_add_test(tc, newer_version);
	tcase_add_test(tc, truncated_everywhere);
	tcase_add_test(tc, flipped_bytes_everywhere);
	tcase_add_test(tc, trailing_garbage);
	tcase_add_test(tc, too_large);
	tcase_add_loop_test(tc, bad_line, 0, sizeof(bad_lines) / sizeof(bad_lines[0]));
	tcase_add_test(tc, line_numbers_and_truncation);
	suite_add_tcase(s, tc);
	return s;
}
