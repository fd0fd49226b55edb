// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * MUD (RFC 8520): the validator, the translator's statements (which the
 * policy parser need not accept yet: names and local-networks come with
 * other work), export -> translate round trips, the mapping file, the
 * URL table, and the DHCP option parser on crafted and malformed frames.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "format.h"
#include "mud.h"
#include "mud_export.h"
#include "mud_url.h"
#include "mud_xlat.h"
#include "policy_names.h"
#include "parse.h"
#include "rules.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct errs {
	unsigned int n;
	char path[8][IFN_MUD_PATH_MAX];
	char msg[8][400];
};

static void keep(void *ctx, const char *path, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 8) {
		snprintf(e->path[e->n], sizeof(e->path[0]), "%s", path);
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	}
	e->n++;
}

#define HEAD                                                                                           \
	"{ \"ietf-mud:mud\": { \"mud-version\": 1, \"mud-url\": \"https://lighting.example.com/lb\", " \
	"\"last-update\": \"2019-01-28T11:20:51+01:00\", \"cache-validity\": 48, "                     \
	"\"is-supported\": true, \"systeminfo\": \"The BMS Example Light Bulb\", "

/* One ACL of one ACE, from (fr) or to (to) the device. */
static char *one_ace(const char *type, bool from, const char *matches, const char *action)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 HEAD
		 "\"%s-device-policy\": { \"access-lists\": { \"access-list\": [ { \"name\": "
		 "\"a\" } ] } } }, \"ietf-access-control-list:acls\": { \"acl\": [ { \"name\": "
		 "\"a\", \"type\": \"%s\", \"aces\": { \"ace\": [ { \"name\": \"e0\", "
		 "\"matches\": %s, \"actions\": { \"forwarding\": \"%s\" } } ] } } ] } }",
		 from ? "from" : "to", type, matches, action);
	return buf;
}

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);

	ck_assert_msg(j, "bad test JSON: %s at %d:%d", je.text, je.line, je.column);
	return j;
}

/* Translate with no defaults; *e gets the refusals. */
static int xlat(const char *text, const struct ifn_mud_opts *o0, struct ifn_mud_xlat *x,
		struct errs *e)
{
	struct ifn_mud_opts o = o0 ? *o0 : (struct ifn_mud_opts){};
	json_t *j = load(text);
	int rc;

	memset(e, 0, sizeof(*e));
	o.no_defaults = o0 ? o0->no_defaults : true;
	ck_assert_uint_eq(ifn_mud_validate(j, keep, e), 0);
	rc = ifn_mud_translate(j, &o, x, keep, e);
	json_decref(j);
	return rc;
}

static const char rfc_example[] = HEAD
	"\"from-device-policy\": { \"access-lists\": { \"access-list\": [ { \"name\": "
	"\"mud-76100-v6fr\" } ] } }, \"to-device-policy\": { \"access-lists\": { "
	"\"access-list\": [ { \"name\": \"mud-76100-v6to\" } ] } } }, "
	"\"ietf-access-control-list:acls\": { \"acl\": [ "
	"{ \"name\": \"mud-76100-v6to\", \"type\": \"ipv6-acl-type\", \"aces\": { \"ace\": [ { "
	"\"name\": \"cl0-todev\", \"matches\": { \"ipv6\": { \"ietf-acldns:src-dnsname\": "
	"\"test.example.com\", \"protocol\": 6 }, \"tcp\": { \"ietf-mud:direction-initiated\": "
	"\"from-device\", \"source-port\": { \"operator\": \"eq\", \"port\": 443 } } }, "
	"\"actions\": { \"forwarding\": \"accept\" } } ] } }, "
	"{ \"name\": \"mud-76100-v6fr\", \"type\": \"ipv6-acl-type\", \"aces\": { \"ace\": [ { "
	"\"name\": \"cl0-frdev\", \"matches\": { \"ipv6\": { \"ietf-acldns:dst-dnsname\": "
	"\"test.example.com\", \"protocol\": 6 }, \"tcp\": { \"ietf-mud:direction-initiated\": "
	"\"from-device\", \"destination-port\": { \"operator\": \"eq\", \"port\": 443 } } }, "
	"\"actions\": { \"forwarding\": \"accept\" } } ] } } ] } }";

/* The names of the DNS issue's grammar; both directions are one rule. */
START_TEST(rfc_example_names)
{
	struct ifn_mud_opts o = { .no_defaults = false };
	struct ifn_mud_xlat x;
	struct errs e;

	ck_assert_int_eq(xlat(rfc_example, &o, &x, &e), 0);
	ck_assert_uint_eq(x.n, 4);
	ck_assert_str_eq(x.v[0].text, "tcp/443 name test.example.com");
	ck_assert_str_eq(x.v[0].path, "/ietf-access-control-list:acls/acl[name='mud-76100-v6fr']"
				      "/aces/ace[name='cl0-frdev']");
	ck_assert_str_eq(x.v[1].text, "udp/53 any");
	ck_assert_str_eq(x.v[2].text, "tcp/53 any");
	ck_assert_str_eq(x.v[3].text, "udp/123 any");
	ck_assert_str_eq(x.v[3].path, "");
	ck_assert_str_eq(x.url, "https://lighting.example.com/lb");
	ifn_mud_xlat_free(&x);
}
END_TEST

struct one_case {
	const char *type;
	bool from;
	const char *matches;
	const char *stmt; /* NULL: refused */
	const char *path_end; /* refused: how the path ends */
	const char *msg_part; /* refused: part of the reason */
};

static const struct one_case cases[] = {
	/* Direction: the port of the side that serves; TCP says who initiates. */
	{ "ipv4-acl-type", true,
	  "{ \"ipv4\": { \"protocol\": 6, \"destination-ipv4-network\": \"52.94.0.0/16\" }, "
	  "\"tcp\": { \"destination-port\": { \"operator\": \"eq\", \"port\": 443 }, "
	  "\"ietf-mud:direction-initiated\": \"from-device\" } }",
	  "tcp/443 52.94.0.0/16", NULL, NULL },
	{ "ipv4-acl-type", false,
	  "{ \"ipv4\": { \"protocol\": 6, \"source-ipv4-network\": \"10.0.0.0/8\" }, "
	  "\"tcp\": { \"destination-port\": { \"port\": 554 }, "
	  "\"ietf-mud:direction-initiated\": \"to-device\" } }",
	  "tcp/554 10.0.0.0/8 server", NULL, NULL },
	{ "ipv4-acl-type", true,
	  "{ \"ipv4\": { \"protocol\": 6 }, \"tcp\": { \"source-port\": { \"port\": 80 } } }",
	  "tcp/80 any server", NULL, NULL },
	{ "ipv4-acl-type", false, "{ \"udp\": { \"source-port\": { \"port\": 123 } } }",
	  "udp/123 any", NULL, NULL },
	{ "ipv6-acl-type", true,
	  "{ \"ipv6\": { \"protocol\": 17, \"destination-ipv6-network\": \"2001:db8::/32\" } }",
	  "udp 2001:db8::/32", NULL, NULL },
	{ "ipv4-acl-type", true,
	  "{ \"ipv4\": { \"protocol\": 6 }, \"tcp\": { \"ietf-mud:direction-initiated\": "
	  "\"to-device\" } }",
	  "tcp any server", NULL, NULL },
	/* ICMP: the type; from the device it asks, to it it answers. */
	{ "ipv4-acl-type", true,
	  "{ \"ipv4\": { \"protocol\": 1, \"destination-ipv4-network\": \"192.168.1.1/32\" }, "
	  "\"icmp\": { \"type\": 8 } }",
	  "icmp/8 192.168.1.1/32", NULL, NULL },
	{ "ipv6-acl-type", false, "{ \"icmp\": { \"type\": 128 } }", "icmpv6/128 any server", NULL,
	  NULL },
	/* A range of one port is that port. */
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"lower-port\": 8883, \"upper-port\": 8883 } } }",
	  "tcp/8883 any", NULL, NULL },
	/* A range of every port is any port; lte and gte are ranges. */
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"lower-port\": 0, \"upper-port\": 65535 } } }",
	  "tcp any", NULL, NULL },
	{ "ipv4-acl-type", true,
	  "{ \"udp\": { \"destination-port\": { \"operator\": \"lte\", \"port\": 65535 } } }",
	  "udp any", NULL, NULL },
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"port\": 443 }, \"source-port\": "
	  "{ \"operator\": \"gte\", \"port\": 1 } } }",
	  "tcp/443 any", NULL, NULL },
	/* The answers issue's peer word. */
	{ "ipv4-acl-type", true,
	  "{ \"ietf-mud:mud\": { \"local-networks\": [ null ] }, \"ipv4\": { \"protocol\": 17 }, "
	  "\"udp\": { \"destination-port\": { \"operator\": \"eq\", \"port\": 5683 } } }",
	  "udp/5683 local-networks", NULL, NULL },
	{ "ipv4-acl-type", false,
	  "{ \"ietf-mud:mud\": { \"local-networks\": [ null ] }, \"ipv4\": { \"protocol\": 6 }, "
	  "\"tcp\": { \"destination-port\": { \"port\": 9999 }, "
	  "\"ietf-mud:direction-initiated\": \"to-device\" } }",
	  "tcp/9999 local-networks server", NULL, NULL },
	{ "ipv4-acl-type", true,
	  "{ \"ipv4\": { \"protocol\": 6, \"ietf-acldns:dst-dnsname\": \"a3k7.iot.example.com\" }, "
	  "\"tcp\": { \"destination-port\": { \"port\": 8883 } } }",
	  "tcp/8883 name a3k7.iot.example.com", NULL, NULL },

	/* Refusals, each with the node's path. */
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"lower-port\": 8000, \"upper-port\": 8080 } } }",
	  NULL, "/matches/tcp/destination-port", "port range 8000-8080" },
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"operator\": \"gte\", \"port\": 1024 } } }", NULL,
	  "/matches/tcp/destination-port", "port range 1024-65535" },
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"operator\": \"neq\", \"port\": 23 } } }", NULL,
	  "/matches/tcp/destination-port", "operator 'neq'" },
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"port\": 443 }, \"source-port\": "
	  "{ \"operator\": \"gte\", \"port\": 1024 } } }",
	  NULL, "/matches/tcp/source-port", "a wider rule would allow more" },
	{ "ipv4-acl-type", true,
	  "{ \"udp\": { \"destination-port\": { \"port\": 53 }, \"source-port\": { \"port\": 53 } "
	  "} }",
	  NULL, "/matches/udp", "both a source and a destination port" },
	{ "ipv4-acl-type", true,
	  "{ \"tcp\": { \"destination-port\": { \"port\": 443 }, \"ietf-mud:direction-initiated\": "
	  "\"to-device\" } }",
	  NULL, "/matches/tcp/ietf-mud:direction-initiated", "to-device with the peer's port" },
	{ "ipv4-acl-type", true, "{ \"ipv4\": { \"protocol\": 6, \"dscp\": 10 } }", NULL,
	  "/matches/ipv4/dscp", "not supported" },
	{ "ipv4-acl-type", true, "{ \"eth\": { \"ethertype\": 2048 } }", NULL, "/matches/eth",
	  "not supported" },
	{ "ipv4-acl-type", true, "{ \"ipv4\": { \"protocol\": 47 } }", NULL,
	  "/matches/ipv4/protocol", "protocol 47" },
	{ "ipv4-acl-type", true, "{ \"ipv4\": { \"destination-ipv4-network\": \"1.2.3.4/32\" } }",
	  NULL, "/matches", "no protocol" },
	{ "ipv4-acl-type", true,
	  "{ \"ipv4\": { \"protocol\": 6, \"source-ipv4-network\": \"10.0.0.5/32\" } }", NULL,
	  "/matches/ipv4/source-ipv4-network", "the device's own side" },
	{ "ipv4-acl-type", true, "{ \"ipv6\": { \"protocol\": 6 } }", NULL, "/matches/ipv6",
	  "an ipv6 match in an ipv4 acl" },
	{ "ipv4-acl-type", true,
	  "{ \"ipv4\": { \"protocol\": 17 }, \"tcp\": { \"destination-port\": { \"port\": 1 } } }",
	  NULL, "/matches/tcp", "a tcp match with protocol 17" },
	{ "ipv4-acl-type", true, "{ \"ipv4\": { \"protocol\": 1 }, \"icmp\": { \"code\": 0 } }",
	  NULL, "/matches/icmp/code", "not supported" },
	{ "ipv4-acl-type", true,
	  "{ \"ietf-mud:mud\": { \"my-controller\": [ null ] }, \"udp\": { \"destination-port\": "
	  "{ \"port\": 5684 } } }",
	  NULL, "/matches/ietf-mud:mud/my-controller", "no peer for my-controller" },
	{ "ipv4-acl-type", true,
	  "{ \"ietf-mud:mud\": { \"manufacturer\": \"other.example.com\" }, \"udp\": {} }", NULL,
	  "/matches/ietf-mud:mud/manufacturer", "no peer for manufacturer 'other.example.com'" },
	{ "eth-acl-type", true, "{ \"eth\": {} }", NULL, "/acl[name='a']/type", "eth-acl-type" },
};

/* A small range is a rule per port, for each peer; port 0 is no port. */
START_TEST(port_ranges)
{
	static const char *const want[] = { "udp/1 any",    "udp/2 any",    "udp/3 any",
					    "tcp/8883 any", "tcp/8884 any", "tcp/8885 any" };
	struct ifn_mud_xlat x;
	struct errs e;
	size_t i;

	ck_assert_int_eq(xlat(one_ace("ipv4-acl-type", true,
				      "{ \"udp\": { \"destination-port\": { \"operator\": "
				      "\"lte\", \"port\": 3 } } }",
				      "accept"),
			      NULL, &x, &e),
			 0);
	ck_assert_uint_eq(x.n, 3);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(x.v[i].text, want[i]);
	ifn_mud_xlat_free(&x);
	ck_assert_int_eq(xlat(one_ace("ipv4-acl-type", true,
				      "{ \"tcp\": { \"destination-port\": { \"lower-port\": "
				      "8883, \"upper-port\": 8885 } } }",
				      "accept"),
			      NULL, &x, &e),
			 0);
	ck_assert_uint_eq(x.n, 3);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(x.v[i].text, want[3 + i]);
	ifn_mud_xlat_free(&x);
}
END_TEST

/* Bounds: each refused with the node's path, before any structure is looked at. */
START_TEST(bounds)
{
	char *text = NULL, path[64];
	size_t len, i;
	struct ifn_mud_xlat x;
	struct errs e = { 0 };
	json_t *j;
	FILE *f;

	/* Nested 20 deep under an unknown member. */
	f = open_memstream(&text, &len);
	fprintf(f, "{ \"x\": ");
	for (i = 0; i < 20; i++)
		fprintf(f, "{ \"a\": ");
	fprintf(f, "1");
	for (i = 0; i < 21; i++)
		fprintf(f, " }");
	fclose(f);
	j = load(text);
	ck_assert_uint_eq(ifn_mud_validate(j, keep, &e), 1);
	ck_assert_str_eq(e.path[0], "/x/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a");
	ck_assert_msg(strstr(e.msg[0], "deeper than 16"), "%s", e.msg[0]);
	json_decref(j);
	free(text);

	/* A string of 2000 bytes. */
	text = calloc(1, 4096);
	snprintf(text, 4096, "%s\"documentation\": \"%02000d\" } }", HEAD, 0);
	memset(&e, 0, sizeof(e));
	j = load(text);
	ck_assert_uint_eq(ifn_mud_validate(j, keep, &e), 1);
	ck_assert_str_eq(e.path[0], "/ietf-mud:mud/documentation");
	ck_assert_msg(strstr(e.msg[0], "2000 bytes"), "%s", e.msg[0]);
	json_decref(j);
	free(text);

	/* 2 x 2100 ACEs of a port each: more rules than a profile has. */
	f = open_memstream(&text, &len);
	fprintf(f, HEAD "\"from-device-policy\": { \"access-lists\": { \"access-list\": [ "
			"{ \"name\": \"a\" }, { \"name\": \"b\" } ] } } }, "
			"\"ietf-access-control-list:acls\": { \"acl\": [ ");
	for (i = 0; i < 4200; i++) {
		if (i % 2100 == 0)
			fprintf(f,
				"%s{ \"name\": \"%c\", \"type\": \"ipv4-acl-type\", \"aces\": "
				"{ \"ace\": [ ",
				i ? " ] } }, " : "", i ? 'b' : 'a');
		fprintf(f,
			"%s{ \"name\": \"e%zu\", \"matches\": { \"tcp\": { "
			"\"destination-port\": { \"port\": %zu } } }, \"actions\": "
			"{ \"forwarding\": \"accept\" } }",
			i % 2100 ? ", " : "", i, i + 1);
	}
	fprintf(f, " ] } } ] } }");
	fclose(f);
	ck_assert_int_eq(xlat(text, NULL, &x, &e), 1);
	ck_assert_msg(strstr(e.msg[0], "more than 4096 rules"), "%s", e.msg[0]);
	ck_assert_msg(strstr(e.path[0], "ace[name='e4096']"), "%s", e.path[0]);
	ifn_mud_xlat_free(&x);
	free(text);

	/* A FIFO is refused without blocking; a file past 1 MiB unread. */
	snprintf(path, sizeof(path), "/tmp/ifn-mud-fifo-%d", (int)getpid());
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(ifn_mud_load(path));
	unlink(path);
	snprintf(path, sizeof(path), "/tmp/ifn-mud-big-%d", (int)getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), IFN_MUD_FILE_MAX + 1), 0);
	fclose(f);
	ck_assert_ptr_null(ifn_mud_load(path));
	unlink(path);
}
END_TEST

START_TEST(one)
{
	const struct one_case *c = &cases[_i];
	struct ifn_mud_xlat x;
	struct errs e;
	int rc = xlat(one_ace(c->type, c->from, c->matches, "accept"), NULL, &x, &e);

	if (c->stmt) {
		ck_assert_msg(rc == 0, "case %d refused: %s: %s", _i, e.path[0], e.msg[0]);
		ck_assert_uint_eq(x.n, 1);
		ck_assert_str_eq(x.v[0].text, c->stmt);
		ck_assert_str_eq(
			x.v[0].path,
			"/ietf-access-control-list:acls/acl[name='a']/aces/ace[name='e0']");
	} else {
		size_t lp = strlen(e.path[0]), le = strlen(c->path_end);

		ck_assert_msg(rc > 0, "case %d accepted", _i);
		ck_assert_msg(lp >= le && !strcmp(e.path[0] + lp - le, c->path_end),
			      "case %d: path %s", _i, e.path[0]);
		ck_assert_msg(strstr(e.msg[0], c->msg_part), "case %d: %s", _i, e.msg[0]);
	}
	ifn_mud_xlat_free(&x);
}
END_TEST

START_TEST(refused_actions_and_extensions)
{
	struct ifn_mud_xlat x;
	struct errs e;
	json_t *j;

	ck_assert_int_gt(
		xlat(one_ace("ipv4-acl-type", true, "{ \"udp\": {} }", "drop"), NULL, &x, &e), 0);
	ck_assert_str_eq(e.path[0], "/ietf-access-control-list:acls/acl[name='a']/aces/"
				    "ace[name='e0']/actions/forwarding");
	ifn_mud_xlat_free(&x);

	j = load(HEAD "\"extensions\": [ \"ol\" ] } }");
	memset(&e, 0, sizeof(e));
	ck_assert_uint_eq(ifn_mud_validate(j, keep, &e), 0);
	ck_assert_int_eq(ifn_mud_translate(j, NULL, &x, keep, &e), 1);
	ck_assert_str_eq(e.path[0], "/ietf-mud:mud/extensions[0]");
	ifn_mud_xlat_free(&x);
	json_decref(j);
}
END_TEST

START_TEST(mapping)
{
	const struct ifn_mud_map_entry map[] = {
		{ IFN_MUD_MY_CONTROLLER, "", "192.168.1.10" },
		{ IFN_MUD_MY_CONTROLLER, "", "name ctl.example.com" },
		{ IFN_MUD_CONTROLLER, "urn:ietf:params:mud:gateway", "192.168.1.1" },
		{ IFN_MUD_SAME_MANUFACTURER, "", "192.168.1.0/24" },
		{ IFN_MUD_MANUFACTURER, "other.example.com", "10.1.0.0/16" },
		{ IFN_MUD_MODEL, "https://other.example.com/m1", "10.1.2.3" },
	};
	struct ifn_mud_opts o = { .no_defaults = true, .map = map, .n_map = N(map) };
	struct ifn_mud_xlat x;
	struct errs e;

	ck_assert_int_eq(
		xlat(one_ace("ipv4-acl-type", true,
			     "{ \"ietf-mud:mud\": { \"my-controller\": [ null ] }, \"udp\": "
			     "{ \"destination-port\": { \"port\": 5684 } } }",
			     "accept"),
		     &o, &x, &e),
		0);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_str_eq(x.v[0].text, "udp/5684 192.168.1.10");
	ck_assert_str_eq(x.v[1].text, "udp/5684 name ctl.example.com");
	ifn_mud_xlat_free(&x);
	ck_assert_int_eq(
		xlat(one_ace("ipv4-acl-type", false,
			     "{ \"ietf-mud:mud\": { \"controller\": "
			     "\"urn:ietf:params:mud:gateway\" }, \"udp\": { \"source-port\": "
			     "{ \"port\": 67 } } }",
			     "accept"),
		     &o, &x, &e),
		0);
	ck_assert_str_eq(x.v[0].text, "udp/67 192.168.1.1");
	ifn_mud_xlat_free(&x);
	ck_assert_int_eq(xlat(one_ace("ipv4-acl-type", true,
				      "{ \"ietf-mud:mud\": { \"same-manufacturer\": [ null ] }, "
				      "\"tcp\": {} }",
				      "accept"),
			      &o, &x, &e),
			 0);
	ck_assert_str_eq(x.v[0].text, "tcp 192.168.1.0/24");
	ifn_mud_xlat_free(&x);
	ck_assert_int_eq(xlat(one_ace("ipv4-acl-type", true,
				      "{ \"ietf-mud:mud\": { \"model\": "
				      "\"https://other.example.com/m1\" }, \"tcp\": {} }",
				      "accept"),
			      &o, &x, &e),
			 0);
	ck_assert_str_eq(x.v[0].text, "tcp 10.1.2.3");
	ifn_mud_xlat_free(&x);
}
END_TEST

START_TEST(map_file)
{
	char path[] = "/tmp/ifn-mud-map-XXXXXX";
	struct ifn_mud_map_entry *m;
	size_t n;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("# site\nmy-controller 192.168.1.10\ncontroller urn:x name ctl.example.com\n"
	      "same-manufacturer local-networks\n",
	      f);
	fclose(f);
	ck_assert_int_eq(ifn_mud_map_load(path, &m, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(m[1].key, "urn:x");
	ck_assert_str_eq(m[1].peer, "name ctl.example.com");
	ck_assert_str_eq(m[2].peer, "local-networks");
	free(m);
	f = fopen(path, "w");
	fputs("controller urn:x\n", f);
	fclose(f);
	ck_assert_int_eq(ifn_mud_map_load(path, &m, &n), -EINVAL);
	f = fopen(path, "w");
	fputs("vendor x 1.2.3.4\n", f);
	fclose(f);
	ck_assert_int_eq(ifn_mud_map_load(path, &m, &n), -EINVAL);
	unlink(path);
}
END_TEST

struct bad_doc {
	const char *json;
	const char *path;
	const char *msg_part;
};

static const struct bad_doc bad_docs[] = {
	{ "{ \"ietf-mud:mud\": { \"mud-version\": 1, \"last-update\": \"2019-01-28T11:20:51Z\", "
	  "\"is-supported\": true } }",
	  "/ietf-mud:mud/mud-url", "missing" },
	{ HEAD "\"mud-version\": 2 } }", NULL, "duplicate" }, /* refused by jansson below */
	{ "{ \"ietf-mud:mud\": { \"mud-version\": \"1\", \"mud-url\": \"https://a.example\", "
	  "\"last-update\": \"2019-01-28T11:20:51Z\", \"is-supported\": true } }",
	  "/ietf-mud:mud/mud-version", "must be an integer" },
	{ "{ \"ietf-mud:mud\": { \"mud-version\": 1, \"mud-url\": \"http://a.example\", "
	  "\"last-update\": \"2019-01-28T11:20:51Z\", \"is-supported\": true } }",
	  "/ietf-mud:mud/mud-url", "not an https URL" },
	{ "{ \"ietf-mud:mud\": { \"mud-version\": 1, \"mud-url\": \"https://a.example\", "
	  "\"last-update\": \"yesterday\", \"is-supported\": true } }",
	  "/ietf-mud:mud/last-update", "not a date-and-time" },
	{ "{ \"ietf-mud:mud\": { \"mud-version\": 1, \"mud-url\": \"https://a.example\", "
	  "\"last-update\": \"2019-01-28T11:20:51Z\", \"is-supported\": true, \"cache-validity\": "
	  "500 } }",
	  "/ietf-mud:mud/cache-validity", "1-168" },
	{ "{ \"ietf-mud:mud\": { \"mud-version\": 1, \"mud-url\": \"https://a.example\", "
	  "\"last-update\": \"2019-01-28T11:20:51Z\", \"is-supported\": true, "
	  "\"from-device-policy\": { \"access-lists\": { \"access-list\": [ { \"name\": \"x\" } ] } "
	  "} }, \"ietf-access-control-list:acls\": { \"acl\": [] } }",
	  "/ietf-mud:mud/from-device-policy/access-lists/access-list[name='x']/name",
	  "no acl named 'x'" },
	{ "{ \"ietf-mud:mud\": { \"mud-version\": 1, \"mud-url\": \"https://a.example\", "
	  "\"last-update\": \"2019-01-28T11:20:51Z\", \"is-supported\": true }, "
	  "\"ietf-access-control-list:acls\": { \"acl\": [ { \"name\": \"a\", \"aces\": { \"ace\": "
	  "[ { \"name\": \"e\", \"matches\": { \"tcp\": { \"destination-port\": { \"port\": 70000 "
	  "} } }, \"actions\": { \"forwarding\": \"accept\" } } ] } } ] } }",
	  "/ietf-access-control-list:acls/acl[name='a']/aces/ace[name='e']/matches/tcp/"
	  "destination-port/port",
	  "0-65535" },
};

START_TEST(validator)
{
	const struct bad_doc *b = &bad_docs[_i];
	json_error_t je;
	struct errs e = {};
	json_t *j;

	if (!b->path) {
		/* A key given twice: which one counts would be a guess. */
		ck_assert_ptr_null(json_loads(b->json, JSON_REJECT_DUPLICATES, &je));
		ck_assert_ptr_nonnull(strstr(je.text, b->msg_part));
		return;
	}
	j = load(b->json);
	ck_assert_uint_gt(ifn_mud_validate(j, keep, &e), 0);
	ck_assert_str_eq(e.path[0], b->path);
	ck_assert_msg(strstr(e.msg[0], b->msg_part), "%s", e.msg[0]);
	json_decref(j);
}
END_TEST

static const char *const rt_rules[] = {
	"tcp/443 52.94.0.0/16",
	"tcp/554 10.91.0.0/16 server",
	"udp/123 any",
	"icmpv6/128 2001:db8::1",
	"udp 2001:db8::/32",
	"icmp/8 10.91.9.2",
	"tcp any server",
	"icmp 192.168.1.1",
	"udp/5353 2001:db8::5 server",
	"icmpv6 any server",
	"tcp/8883 name mqtt.example.com",
	"udp/5683 local-networks",
	"tcp/80 local-networks server",
};

/* Export, validate, translate back: the same rules, once each. */
START_TEST(export_round_trip)
{
	struct ifn_rule in[N(rt_rules) + 2];
	struct ifn_mud_opts o = { .no_defaults = true };
	struct ifn_mud_xlat x;
	struct errs e = {};
	size_t i, k, skipped;
	json_t *doc;
	char *text;

	for (i = 0; i < N(rt_rules); i++)
		ck_assert_int_eq(ifn_rule_parse(rt_rules[i], &in[i], NULL, 0), 0);
	ck_assert_int_eq(ifn_rule_parse("ether/0x88cc", &in[i], NULL, 0), 0);
	/* A wildcard has no MUD form (dst-dnsname is a domain name): left out. */
	ck_assert_int_eq(ifn_rule_parse("tcp/443 name *.example.net", &in[i + 1], NULL, 0), 0);
	doc = ifn_mud_export(in, N(in), "https://example.com/d.json", "test",
			     1764979200ULL * 1000000000ULL, &skipped);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(skipped, 2);
	ck_assert_uint_eq(ifn_mud_validate(doc, keep, &e), 0);
	text = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
	ck_assert_ptr_nonnull(strstr(text, "\"last-update\":\"2025-12-06T00:00:00+00:00\""));
	ck_assert_ptr_nonnull(strstr(text, "\"ietf-acldns:dst-dnsname\":\"mqtt.example.com\""));
	ck_assert_ptr_nonnull(strstr(text, "\"ietf-acldns:src-dnsname\":\"mqtt.example.com\""));
	ck_assert_ptr_nonnull(strstr(text, "\"ietf-mud:mud\":{\"local-networks\":[null]}"));
	ck_assert_ptr_null(strstr(text, "example.net"));
	free(text);
	ck_assert_int_eq(ifn_mud_translate(doc, &o, &x, keep, &e), 0);
	ck_assert_uint_eq(x.n, N(rt_rules));
	for (i = 0; i < N(rt_rules); i++) {
		bool found = false;

		for (k = 0; k < x.n && !found; k++) {
			struct ifn_rule r;

			ck_assert_int_eq(ifn_rule_parse(x.v[k].text, &r, NULL, 0), 0);
			found = ifn_rule_same(&r, &in[i]);
		}
		ck_assert_msg(found, "%s did not come back", rt_rules[i]);
	}
	ifn_mud_xlat_free(&x);
	json_decref(doc);
}
END_TEST

START_TEST(urls)
{
	char b[300];
	struct ifn_mactab u = { .kind = &ifn_mud_urls_kind }, u2;
	char path[] = "/tmp/ifn-mud-urls-XXXXXX";
	__u8 mac[6] = { 0x02, 1, 2, 3, 4, 5 }, mac2[6] = { 0x02, 1, 2, 3, 4, 6 };
	int fd;

	ck_assert(ifn_mud_url_valid("https://a.example.com/x"));
	ck_assert(!ifn_mud_url_valid("http://a.example.com/x"));
	ck_assert(!ifn_mud_url_valid("https://a.example.com/x y"));
	ck_assert(!ifn_mud_url_valid("https:///x"));
	ck_assert_int_eq(ifn_mud_url_authority("https://a.example.com:8443/x", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "a.example.com:8443");
	ck_assert_int_eq(ifn_mud_url_filename("https://a.example.com/x/y.json", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "a.example.com_x_y.json");
	ck_assert_int_eq(ifn_mud_url_filename("https://a.example.com/lb2000?v=2", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "a.example.com_lb2000_v_2.json");
	ck_assert_int_eq(ifn_mud_url_filename("https://../x", b, sizeof(b)), -EINVAL);
	ck_assert_int_eq(ifn_mud_url_filename("https://a.example.com/x", b, 8), -ENAMETOOLONG);

	fd = mkstemp(path);
	close(fd);
	ck_assert_int_eq(ifn_mactab_set(&u, mac2, "https://b.example.com/m"), 1);
	ck_assert_int_eq(ifn_mactab_set(&u, mac, "https://a.example.com/m"), 1);
	ck_assert_int_eq(ifn_mactab_set(&u, mac, "https://a.example.com/m"), 0);
	ck_assert_int_eq(ifn_mactab_save(&u, path), 0);
	ck_assert_int_eq(ifn_mactab_load(&u2, &ifn_mud_urls_kind, path), 0);
	ck_assert_uint_eq(u2.n, 2);
	ck_assert_str_eq(ifn_mactab_get(&u2, mac), "https://a.example.com/m");
	ck_assert_str_eq(ifn_mactab_get(&u2, mac2), "https://b.example.com/m");
	ifn_mactab_free(&u);
	ifn_mactab_free(&u2);
	unlink(path);
}
END_TEST

/* One MAC table module serves both kinds: names refuse what is no name, removal. */
START_TEST(mactab_names)
{
	struct ifn_mactab t = { .kind = &ifn_names_kind }, t2;
	char path[] = "/tmp/ifn-names-XXXXXX";
	__u8 mac[6] = { 0x02, 1, 2, 3, 4, 5 }, mac2[6] = { 0x02, 1, 2, 3, 4, 6 };
	struct stat st;
	FILE *f;
	int fd;

	ck_assert_int_eq(ifn_mactab_set(&t, mac, "cam-1"), 1);
	ck_assert_int_eq(ifn_mactab_set(&t, mac2, "-bad"), -EINVAL);
	ck_assert_int_eq(ifn_mactab_set(&t, mac2, "lamp"), 1);
	ck_assert_int_eq(ifn_mactab_set(&t, mac2, NULL), 1);
	ck_assert_int_eq(ifn_mactab_set(&t, mac2, ""), 0);
	ck_assert_ptr_null(ifn_mactab_get(&t, mac2));
	fd = mkstemp(path);
	close(fd);
	ck_assert_int_eq(ifn_mactab_save(&t, path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* A line of no name, or one with more after it, is skipped. */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "02:01:02:03:04:06 -x\n02:01:02:03:04:07 a b\n");
	fclose(f);
	ck_assert_int_eq(ifn_mactab_load(&t2, &ifn_names_kind, path), 0);
	ck_assert_uint_eq(t2.n, 1);
	ck_assert_str_eq(ifn_mactab_get(&t2, mac), "cam-1");
	ifn_mactab_free(&t);
	ifn_mactab_free(&t2);
	unlink(path);
}
END_TEST

/* ---- DHCP ---- */

static const char url161[] = "https://lighting.example.com/lightbulb2000";

static void put16(__u8 *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* An Ethernet/IPv4/UDP 68->67 DHCPDISCOVER with @opts after the cookie. */
static size_t dhcp4_frame(__u8 *f, const __u8 *opts, size_t olen, bool vlan)
{
	size_t o = 0, ip, udp, bootp;

	memset(f, 0, 1500);
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x11\x22\x33\x44\x55", 6);
	o = 12;
	if (vlan) {
		put16(f + o, 0x8100);
		put16(f + o + 2, 7);
		o += 4;
	}
	put16(f + o, 0x0800);
	ip = o + 2;
	udp = ip + 20;
	bootp = udp + 8;
	f[ip] = 0x45;
	put16(f + ip + 2, 20 + 8 + 240 + olen);
	f[ip + 8] = 64;
	f[ip + 9] = 17;
	put16(f + udp, 68);
	put16(f + udp + 2, 67);
	put16(f + udp + 4, 8 + 240 + olen);
	f[bootp] = 1;
	f[bootp + 1] = 1;
	f[bootp + 2] = 6;
	memcpy(f + bootp + 28, "\x02\x11\x22\x33\x44\x55", 6);
	memcpy(f + bootp + 236, "\x63\x82\x53\x63", 4);
	memcpy(f + bootp + 240, opts, olen);
	return bootp + 240 + olen;
}

static size_t opts161(__u8 *o, const char *url, bool end)
{
	size_t n = 0, l = strlen(url);

	o[n++] = 53; /* DHCP message type: discover */
	o[n++] = 1;
	o[n++] = 1;
	o[n++] = 0; /* a pad */
	o[n++] = 161;
	o[n++] = (__u8)l;
	memcpy(o + n, url, l);
	n += l;
	if (end)
		o[n++] = 255;
	return n;
}

START_TEST(dhcp4_good)
{
	__u8 f[1500], o[300], mac[6];
	char url[IFN_MUD_URL_MAX + 1];
	size_t n = dhcp4_frame(f, o, opts161(o, url161, true), _i);

	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), 0);
	ck_assert_str_eq(url, url161);
	ck_assert_mem_eq(mac, "\x02\x11\x22\x33\x44\x55", 6);
	/* Ethernet padding after the IP packet is not read as options. */
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n + 20, mac, url, sizeof(url)), 0);
}
END_TEST

START_TEST(dhcp4_malformed)
{
	__u8 f[1500], o[300], mac[6];
	char url[IFN_MUD_URL_MAX + 1];
	size_t n, k, ip = 14, udp = 34, bootp = 42;

	/* No option 161. */
	o[0] = 53, o[1] = 1, o[2] = 1, o[3] = 255;
	n = dhcp4_frame(f, o, 4, false);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -ENOENT);
	/* Every truncation of a good frame: a clear answer, no read past it. */
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	for (k = 0; k < n; k++) {
		__u8 *cut = malloc(k ? k : 1);
		int rc;

		memcpy(cut, f, k);
		rc = ifn_dhcp_mud_url(cut, k, mac, url, sizeof(url));
		ck_assert_msg(rc == -EINVAL || rc == -ENOENT, "cut at %zu: %d", k, rc);
		free(cut);
	}
	/* The option's length runs past the packet. */
	n = dhcp4_frame(f, o, opts161(o, url161, false), false);
	f[bootp + 240 + 5] = 200;
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	/* No end option. */
	n = dhcp4_frame(f, o, opts161(o, url161, false), false);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), 0); /* found first */
	o[0] = 53, o[1] = 1, o[2] = 1;
	n = dhcp4_frame(f, o, 3, false);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	/* Not https, a blank, a NUL, empty. */
	n = dhcp4_frame(f, o, opts161(o, "http://a.example.com/x", true), false);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	n = dhcp4_frame(f, o, opts161(o, "https://a.example.com/x y", true), false);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	n = dhcp4_frame(f, o, opts161(o, "https://a.example.com/xy", true), false);
	f[bootp + 240 + 6 + 20] = 0;
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	n = dhcp4_frame(f, o, opts161(o, "", true), false);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	/* The IP total length says more than the frame has. */
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	put16(f + ip + 2, 1400);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	/* The UDP length likewise. */
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	put16(f + udp + 4, 1400);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	/* A server's reply, another port, a fragment, no cookie. */
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	f[bootp] = 2;
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -ENOENT);
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	put16(f + udp + 2, 68);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -ENOENT);
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	f[ip + 6] = 0x20; /* more fragments */
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -ENOENT);
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	f[bootp + 236] = 0;
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	/* An IHL below 5. */
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	f[ip] = 0x44;
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	/* A buffer too small for the URL. */
	n = dhcp4_frame(f, o, opts161(o, url161, true), false);
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, 10), -EINVAL);
}
END_TEST

static size_t dhcp6_frame(__u8 *f, const char *url, unsigned int type)
{
	size_t ip = 14, udp = 54, d = 62, n, l = strlen(url);

	memset(f, 0, 1500);
	memcpy(f, "\x33\x33\x00\x01\x00\x02", 6);
	memcpy(f + 6, "\x02\x11\x22\x33\x44\x66", 6);
	put16(f + 12, 0x86dd);
	f[ip] = 0x60;
	f[ip + 6] = 17;
	f[ip + 7] = 1;
	f[d] = type;
	f[d + 1] = 0x12; /* transaction id */
	n = d + 4;
	put16(f + n, 8); /* elapsed time */
	put16(f + n + 2, 2);
	n += 6;
	put16(f + n, 112);
	put16(f + n + 2, l);
	memcpy(f + n + 4, url, l);
	n += 4 + l;
	put16(f + ip + 4, n - udp);
	put16(f + udp, 546);
	put16(f + udp + 2, 547);
	put16(f + udp + 4, n - udp);
	return n;
}

START_TEST(dhcp6)
{
	__u8 f[1500], mac[6];
	char url[IFN_MUD_URL_MAX + 1];
	size_t n = dhcp6_frame(f, url161, 1), k;

	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), 0);
	ck_assert_str_eq(url, url161);
	ck_assert_mem_eq(mac, "\x02\x11\x22\x33\x44\x66", 6);
	for (k = 0; k < n; k++) {
		__u8 *cut = malloc(k ? k : 1);
		int rc;

		memcpy(cut, f, k);
		rc = ifn_dhcp_mud_url(cut, k, mac, url, sizeof(url));
		ck_assert_msg(rc == -EINVAL || rc == -ENOENT, "cut at %zu: %d", k, rc);
		free(cut);
	}
	n = dhcp6_frame(f, url161, 7); /* a Reply: the server's */
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -ENOENT);
	n = dhcp6_frame(f, url161, 3);
	put16(f + n - strlen(url161) - 2, 2000); /* option length past the end */
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), -EINVAL);
	n = dhcp6_frame(f, "https://a", 1); /* one option too short to hold a URL */
	ck_assert_int_eq(ifn_dhcp_mud_url(f, n, mac, url, sizeof(url)), 0);
	ck_assert_str_eq(url, "https://a");
}
END_TEST

UNIT_SUITE(mud_suite)
static Suite *mud_suite(void)
{
	Suite *s = suite_create("mud");
	TCase *tc = tcase_create("translate");
	TCase *td = tcase_create("dhcp");

	tcase_add_test(tc, rfc_example_names);
	tcase_add_loop_test(tc, one, 0, N(cases));
	tcase_add_test(tc, port_ranges);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, refused_actions_and_extensions);
	tcase_add_test(tc, mapping);
	tcase_add_test(tc, map_file);
	tcase_add_loop_test(tc, validator, 0, N(bad_docs));
	tcase_add_test(tc, export_round_trip);
	tcase_add_test(tc, urls);
	tcase_add_test(tc, mactab_names);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(td, dhcp4_good, 0, 2);
	tcase_add_test(td, dhcp4_malformed);
	tcase_add_test(td, dhcp6);
	suite_add_tcase(s, td);
	return s;
}
