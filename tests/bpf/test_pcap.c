// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Real captures through the real program, in learn mode: every frame of a
 * capture goes through BPF_PROG_TEST_RUN in order, the virtual clock set to
 * its timestamp, and the flows learned for one device must be exactly the
 * flows that tshark's view of the same capture implies.
 *
 * The expected set is computed here, independently of the BPF code: tshark
 * dissects (its own parser, reassembly off), and expected_flows() applies
 * the rules of iotfence.8 (FLOWS AND FINGERPRINTS, DATAPATH 7 for what is
 * baseline) to its fields, one frame at a time, in capture order, because
 * "match either key, else learn the preferred one" depends on what was
 * learned before. A difference between the two sets is a bug in one of
 * them, or a man page that does not say what the program does.
 *
 * The captures live outside the repository: $IFN_PCAPS, by default
 * tests/captures (SOURCES.md there says where each comes from).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "format.h"
#include "harness.h"
#include "parse.h"
#include "pcapfile.h"

struct capture {
	const char *file;
	const char *mac; /* the device whose fingerprint is compared */
	/*
	 * Flows whose direction is plain from the protocol (DNS and NTP as a
	 * client, SSDP answers and a served port as a server): the heuristic
	 * must get these right on real traffic, not only agree with itself.
	 */
	const char *sensible[6];
};

static const struct capture captures[] = {
	/* TLS client (no SYN in the capture), multicast UDP 19704, SSDP, DNS */
	{ "nku_xiaodu_plug_setup.pcap",
	  "f4:21:ae:9e:8f:cb",
	  { "tcp/443 112.34.112.167", "udp/53 192.168.1.1", "udp/1900 239.255.255.250",
	    "udp/19704 239.255.0.100" } },
	/* EAPOL, DHCP, mDNS and SSDP with equal ports, NTP, DNS, IGMP, an IP change */
	{ "sentinel_D-LinkCam_Setup-C-3-STA.pcap",
	  "b0:c5:54:25:5b:0e",
	  { "udp/53 10.10.10.1", "udp/123 54.86.11.193", "udp/5353 224.0.0.251",
	    "udp/1900 239.255.255.250", "tcp/443 52.17.248.50" } },
	/*
	 * UDP P2P to a phone and to P2P servers on 32100, a LAN search on
	 * 32108: both ports lie in 1024-32767, so the heuristic's last rule
	 * takes the destination port (printed below).
	 */
	{ "monitr_yi_camera_sample.pcap", "b0:d5:9d:b9:f0:b4", { NULL } },
	/* the infected victim: serves telnet, talks to its C2 on 23, HTTP flood SYNs */
	{ "id2t_mirai_botnet.pcap",
	  "02:42:ac:14:00:05",
	  { "tcp/23 172.20.0.1 server", "tcp/23 49.182.192.4 server", "tcp/23 42.123.199.32",
	    "tcp/80 49.193.198.24" } },
	/* HTTP server and client, SSDP answers from 1900, IPv6 mDNS and MLDv2, ICMP errors */
	{ "sentinel_HueBridge_Setup-C-1-STA.pcap",
	  "00:17:88:24:76:ff",
	  { "tcp/80 10.10.10.30 server", "udp/1900 10.10.10.30 server", "udp/123 45.127.112.2",
	    "udp/53 10.10.10.1", "udp/5353 ff02::fb", "tcp/80 130.211.93.93" } },
	/*
	 * 30 idle minutes of a P2P camera: a new random source port in
	 * 10000-32767 for each session to three servers' 32100: client flows
	 * of 32100, the same for every session (see the count printed).
	 */
	{ "nku_xiaobai_Y2camera_idle_local.pcap", "78:df:72:24:69:4d", { NULL } },
};
#define NCAPTURES ((int)(sizeof(captures) / sizeof(captures[0])))

static const char *pcap_dir(void)
{
	const char *d = getenv("IFN_PCAPS");

	return d && *d ? d : "tests/captures";
}

/* --- The expected set, from tshark's fields --- */

enum {
	F_SRC,
	F_ETYPE,
	F_ELEN,
	F_IPVER,
	F_IPHL,
	F_IPLEN,
	F_IPDST,
	F_IPPROTO,
	F_FRAGOFF,
	F_V6DST,
	F_V6PLEN,
	F_V6NXT,
	F_V6FRAGOFF,
	F_PROTOS,
	F_TSPORT,
	F_TDPORT,
	F_TFLAGS,
	F_USPORT,
	F_UDPORT,
	F_ICMP,
	F_ICMP6,
	F_CAPLEN,
	F_MALFORMED,
	F_N,
};

static const char *const tshark_fields[F_N] = {
	[F_SRC] = "eth.src",
	[F_ETYPE] = "eth.type",
	[F_ELEN] = "eth.len",
	[F_IPVER] = "ip.version",
	[F_IPHL] = "ip.hdr_len",
	[F_IPLEN] = "ip.len",
	[F_IPDST] = "ip.dst",
	[F_IPPROTO] = "ip.proto",
	[F_FRAGOFF] = "ip.frag_offset",
	[F_V6DST] = "ipv6.dst",
	[F_V6PLEN] = "ipv6.plen",
	[F_V6NXT] = "ipv6.nxt",
	[F_V6FRAGOFF] = "ipv6.fraghdr.offset",
	[F_PROTOS] = "frame.protocols",
	[F_TSPORT] = "tcp.srcport",
	[F_TDPORT] = "tcp.dstport",
	[F_TFLAGS] = "tcp.flags",
	[F_USPORT] = "udp.srcport",
	[F_UDPORT] = "udp.dstport",
	[F_ICMP] = "icmp.type",
	[F_ICMP6] = "icmpv6.type",
	[F_CAPLEN] = "frame.cap_len",
	[F_MALFORMED] = "_ws.malformed",
};

struct flowset {
	struct ifn_flow_key *k;
	size_t n, cap;
};

static bool set_has(const struct flowset *s, const struct ifn_flow_key *k)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(&s->k[i], k, sizeof(*k)))
			return true;
	return false;
}

static void set_add(struct flowset *s, const struct ifn_flow_key *k)
{
	if (set_has(s, k))
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->k = realloc(s->k, s->cap * sizeof(*s->k));
		ck_assert_ptr_nonnull(s->k);
	}
	s->k[s->n++] = *k;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ifn_flow_key));
}

static unsigned long num(const char *s)
{
	return strtoul(s, NULL, 0);
}

/* iotfence.8, FLOWS AND FINGERPRINTS, UDP rule 3's list. */
static bool udp_known_service(unsigned long port)
{
	static const unsigned long ports[] = { 1900, 3478, 3702, 5353, 5355, 5683, 5684 };
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (ports[i] == port)
			return true;
	return false;
}

/*
 * iotfence.8, FLOWS AND FINGERPRINTS, UDP: 1. equal ports: client; 2. a port
 * below 1024: the lower port is the service; 3. one port a known discovery
 * or IoT service and the other not: that one; 4. one port in 32768-65535 and
 * the other not: the other one; 5. otherwise the destination port.
 */
static bool udp_rule_client(unsigned long sport, unsigned long dport)
{
	bool s_eph = sport >= 32768, d_eph = dport >= 32768;
	bool s_svc = udp_known_service(sport), d_svc = udp_known_service(dport);

	if (sport == dport)
		return true;
	if (sport < 1024 || dport < 1024)
		return dport < sport;
	if (s_svc != d_svc)
		return d_svc;
	if (s_eph != d_eph)
		return s_eph;
	return true;
}

/*
 * Learn one frame by the man page: @n candidate keys, the preferred first;
 * a frame matches if any candidate is known, and otherwise the preferred
 * one is learned.
 */
static void learn(struct flowset *s, struct ifn_flow_key *cand, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (set_has(s, &cand[i]))
			return;
	set_add(s, &cand[0]);
}

/* Two candidates from ports: the device's service or the peer's, preferred first. */
static int port_pair(struct ifn_flow_key *c, unsigned long sport, unsigned long dport,
		     bool client_first)
{
	c[1] = c[0];
	c[client_first ? 0 : 1].port = dport;
	c[client_first ? 0 : 1].dir = IFN_DIR_CLIENT;
	c[client_first ? 1 : 0].port = sport;
	c[client_first ? 1 : 0].dir = IFN_DIR_SERVER;
	return 2;
}

/*
 * The protocol layer that follows the outer IPv6 header and its extension
 * headers in tshark's frame.protocols ("eth:ethertype:ipv6:ipv6.hopopts:
 * icmpv6"): the first, so that the headers quoted in an ICMPv6 error are
 * not taken for the frame's.
 */
static const char *ipv6_upper(const char *protos)
{
	static char tok[32];
	const char *p = strstr(protos, ":ipv6");
	size_t n;

	if (!p)
		return "";
	p += 5;
	while (!strncmp(p, ":ipv6.", 6))
		p = strchr(p + 1, ':') ? strchr(p + 1, ':') : p + strlen(p);
	if (*p != ':')
		return "";
	p++;
	n = strcspn(p, ":");
	if (n >= sizeof(tok))
		n = sizeof(tok) - 1;
	memcpy(tok, p, n);
	tok[n] = '\0';
	return tok;
}

struct model_stats {
	unsigned long frames; /* of the device */
	unsigned long baseline;
	unsigned long later_frags;
};

/*
 * One frame of the device, as tshark saw it. Returns false for a frame the
 * model cannot place (VLAN, an IPv6 protocol behind extension headers that
 * tshark does not name, a malformed frame): the test then fails rather
 * than guess.
 */
static bool model_frame(char **f, const __u8 mac[6], struct flowset *s, struct model_stats *ms)
{
	struct ifn_flow_key c[2];
	unsigned long etype, proto, sport = 0, dport = 0;
	const char *l4 = NULL;
	bool v6;
	int n = 1;

	memset(c, 0, sizeof(c));
	memcpy(c[0].mac, mac, 6);
	ms->frames++;
	if (*f[F_MALFORMED])
		return false;
	if (!*f[F_ETYPE]) {
		/* 802.3: a length, not an ethertype; one flow whatever the length. */
		if (!*f[F_ELEN])
			return false;
		c[0].family = IFN_FAMILY_L2;
		c[0].port = 0x0001;
		learn(s, c, 1);
		return true;
	}
	etype = num(f[F_ETYPE]);
	if (etype == 0x8100 || etype == 0x88a8 || etype == 0x9100)
		return false;
	if (etype == 0x0806 || etype == 0x888e) {
		ms->baseline++;
		return true;
	}
	if (etype != 0x0800 && etype != 0x86dd) {
		c[0].family = IFN_FAMILY_L2;
		c[0].port = etype;
		learn(s, c, 1);
		return true;
	}

	v6 = etype == 0x86dd;
	if (!v6) {
		/* DATAPATH 1: a total length beyond the frame is truncation. */
		if (num(f[F_IPVER]) != 4 || num(f[F_IPHL]) < 20 ||
		    num(f[F_IPLEN]) > num(f[F_CAPLEN]) - 14)
			return false;
		if (num(f[F_FRAGOFF])) {
			ms->later_frags++; /* never learned from */
			return true;
		}
		c[0].family = IFN_FAMILY_IPV4;
		c[0].peer[10] = c[0].peer[11] = 0xff;
		if (inet_pton(AF_INET, f[F_IPDST], &c[0].peer[12]) != 1)
			return false;
		proto = num(f[F_IPPROTO]);
	} else {
		if (40 + num(f[F_V6PLEN]) > num(f[F_CAPLEN]) - 14)
			return false;
		if (*f[F_V6FRAGOFF] && num(f[F_V6FRAGOFF])) {
			ms->later_frags++;
			return true;
		}
		c[0].family = IFN_FAMILY_IPV6;
		if (inet_pton(AF_INET6, f[F_V6DST], c[0].peer) != 1)
			return false;
		/* The layer after IPv6 and its extension headers, by tshark's name. */
		l4 = ipv6_upper(f[F_PROTOS]);
		if (!strcmp(l4, "tcp"))
			proto = 6;
		else if (!strcmp(l4, "udp"))
			proto = 17;
		else if (!strcmp(l4, "icmpv6"))
			proto = 58;
		else if (!strchr(f[F_PROTOS], '.')) /* no extension header: the next header */
			proto = num(f[F_V6NXT]);
		else
			return false;
		l4 = NULL;
	}
	c[0].proto = proto;

	switch (proto) {
	case 6:
		l4 = "tcp";
		sport = num(f[F_TSPORT]);
		dport = num(f[F_TDPORT]);
		break;
	case 17:
		l4 = "udp";
		sport = num(f[F_USPORT]);
		dport = num(f[F_UDPORT]);
		break;
	}
	if (l4 && !*f[proto == 6 ? F_TSPORT : F_USPORT])
		return false; /* a first fragment tshark did not dissect */

	switch (proto) {
	case 6: {
		unsigned long fl = num(f[F_TFLAGS]) & 0x12;

		/* TCP: "A reset (RST) passes while a device learns but is never learned." */
		if (num(f[F_TFLAGS]) & 0x04)
			return true;

		if (fl == 0x02) { /* SYN: a client flow on the destination port */
			c[0].port = dport;
		} else if (fl == 0x12) { /* SYN-ACK: the server side */
			c[0].port = sport;
			c[0].dir = IFN_DIR_SERVER;
		} else { /* later frames: either key; learned by the UDP rule */
			n = port_pair(c, sport, dport, udp_rule_client(sport, dport));
		}
		break;
	}
	case 17:
		if (!v6 && sport == 68 && dport == 67) {
			ms->baseline++;
			return true;
		}
		if (v6 && sport == 546 && dport == 547) {
			ms->baseline++;
			return true;
		}
		n = port_pair(c, sport, dport, udp_rule_client(sport, dport));
		break;
	case 1:
	case 58: {
		unsigned long type = num(f[proto == 1 ? F_ICMP : F_ICMP6]);

		if (!*f[proto == 1 ? F_ICMP : F_ICMP6])
			return false;
		if (proto == 58 && (type == 131 || type == 132 || type == 133 || type == 135 ||
				    type == 136 || type == 143)) {
			ms->baseline++;
			return true;
		}
		if (type == (proto == 1 ? 0UL : 129UL)) { /* echo reply */
			c[0].port = proto == 1 ? 8 : 128;
			c[0].dir = IFN_DIR_SERVER;
		} else {
			c[0].port = type;
		}
		break;
	}
	default: /* other protocols: one client flow, port 0 */
		break;
	}
	learn(s, c, n);
	return true;
}

/* Split a tab-separated line in place, keeping empty fields. */
static int split_tabs(char *line, char **f, int max)
{
	int n = 0;
	char *p;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max && (p = strsep(&line, "\t")))
		f[n++] = p;
	return n;
}

static void expected_flows(const char *path, const char *mac_text, struct flowset *s,
			   struct model_stats *ms)
{
	char cmd[4096], *line = NULL, *f[F_N];
	size_t len = 0, off;
	unsigned long lineno = 0;
	__u8 mac[6];
	FILE *p;
	int i, rc;

	frame_mac(mac_text, mac);
	off = snprintf(cmd, sizeof(cmd),
		       "tshark -n -r '%s' -o ip.defragment:FALSE -o ipv6.defragment:FALSE "
		       "-T fields -E separator=/t -E occurrence=f",
		       path);
	for (i = 0; i < F_N; i++)
		off += snprintf(cmd + off, sizeof(cmd) - off, " -e %s", tshark_fields[i]);
	snprintf(cmd + off, sizeof(cmd) - off, " 2>/dev/null");
	p = popen(cmd, "r");
	ck_assert_msg(p, "cannot run tshark: %s", strerror(errno));
	while (getline(&line, &len, p) > 0) {
		__u8 src[6];

		lineno++;
		ck_assert_msg(split_tabs(line, f, F_N) == F_N,
			      "%s: tshark line %lu: fields missing", path, lineno);
		if (ifn_parse_mac(f[F_SRC], src) || memcmp(src, mac, 6))
			continue;
		ck_assert_msg(model_frame(f, mac, s, ms),
			      "%s: frame %lu of the device is outside what the model covers", path,
			      lineno);
	}
	free(line);
	rc = pclose(p);
	ck_assert_msg(rc == 0 && lineno > 0, "tshark failed on %s (status %d, %lu lines)", path, rc,
		      lineno);
}

/* --- The program's side --- */

struct replay_stats {
	struct th *t;
	unsigned long frames, pass, drop;
};

static void replay_frame(void *ctx, const __u8 *data, size_t caplen, __u64 ts_ns)
{
	struct replay_stats *rs = ctx;

	/* No capture holds one; the kernel would refuse it (test_seq.c). */
	ck_assert_msg(caplen >= 14, "a frame shorter than Ethernet");
	*rs->t->now = ts_ns;
	rs->frames++;
	if (th_run(rs->t, data, caplen) == XDP_PASS)
		rs->pass++;
	else
		rs->drop++;
}

static void replay(struct th *t, const char *path, struct replay_stats *rs)
{
	char err[512];

	rs->t = t;
	ck_assert_msg(pcapfile_each(path, replay_frame, rs, err, sizeof(err)) > 0, "%s", err);
}

static void learned_flows(struct th *t, const char *mac_text, struct flowset *s)
{
	struct ifn_flow_key k, next;
	void *prev = NULL;
	__u8 mac[6];

	frame_mac(mac_text, mac);
	while (!bpf_map_get_next_key(t->m.flows, prev, &next)) {
		k = next;
		prev = &k;
		if (!memcmp(k.mac, mac, 6))
			set_add(s, &k);
	}
}

static const char *key_text(const struct ifn_flow_key *k, char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN], pb[8];

	if (k->family == IFN_FAMILY_L2) {
		snprintf(buf, len, "ether/0x%04x", k->port);
		return buf;
	}
	if (k->family == IFN_FAMILY_IPV4)
		inet_ntop(AF_INET, k->peer + 12, peer, sizeof(peer));
	else
		inet_ntop(AF_INET6, k->peer, peer, sizeof(peer));
	snprintf(buf, len, "%s/%u %s%s", ifn_proto_name(k->proto, pb), k->port, peer,
		 k->dir == IFN_DIR_SERVER ? " server" : "");
	return buf;
}

static void print_set(const char *title, const struct flowset *s, const struct flowset *other)
{
	char buf[96];
	size_t i;

	fprintf(stderr, "  %s (%zu):\n", title, s->n);
	for (i = 0; i < s->n; i++)
		fprintf(stderr, "    %s%s\n", key_text(&s->k[i], buf, sizeof(buf)),
			set_has(other, &s->k[i]) ? "" : "   <-- only here");
}

START_TEST(capture_learns_what_tshark_sees)
{
	const struct capture *c = &captures[_i];
	struct flowset want = { 0 }, got = { 0 };
	struct model_stats ms = { 0 };
	struct replay_stats rs = { 0 };
	struct ifn_dev_stats st;
	char path[1024], buf[96];
	struct stat sb;
	struct th t;
	bool same;
	size_t i, servers;

	snprintf(path, sizeof(path), "%s/%s", pcap_dir(), c->file);
	ck_assert_msg(!stat(path, &sb), "%s: %s (set IFN_PCAPS to the captures)", path,
		      strerror(errno));

	th_setup(&t, NULL);
	th_iface(&t, IFN_MODE_LEARN, 0);
	replay(&t, path, &rs);
	learned_flows(&t, c->mac, &got);
	expected_flows(path, c->mac, &want, &ms);
	qsort(got.k, got.n, sizeof(*got.k), key_cmp);
	qsort(want.k, want.n, sizeof(*want.k), key_cmp);

	/* The program saw each of the device's frames, and dropped none. */
	ck_assert_msg(th_device(&t, c->mac, NULL, &st), "%s: %s never became a device", c->file,
		      c->mac);
	ck_assert_msg(st.packets == ms.frames,
		      "%s: the program counted %llu frames of %s, tshark %lu", c->file,
		      (unsigned long long)st.packets, c->mac, ms.frames);
	ck_assert_msg(st.verdict[IFN_VERDICT_DROP] == 0,
		      "%s: %llu frames of %s dropped in learn mode", c->file,
		      (unsigned long long)st.verdict[IFN_VERDICT_DROP], c->mac);
	ck_assert_msg(got.n < IFN_FINGERPRINT_CAP_DEFAULT, "%s: the fingerprint cap was reached",
		      c->file);

	same = got.n == want.n;
	for (i = 0; same && i < got.n; i++)
		same = !memcmp(&got.k[i], &want.k[i], sizeof(got.k[i]));
	if (!same) {
		fprintf(stderr, "%s, device %s:\n", c->file, c->mac);
		print_set("learned by the program", &got, &want);
		print_set("expected from tshark", &want, &got);
	}
	ck_assert_msg(same, "%s: learned %zu flows, tshark's view implies %zu (diff above)",
		      c->file, got.n, want.n);

	for (i = 0; i < 6 && c->sensible[i]; i++)
		ck_assert_msg(th_has_flow(&t, c->mac, c->sensible[i]), "%s: '%s' not learned",
			      c->file, c->sensible[i]);

	/* The measured result, so the direction choices can be read in the log. */
	for (i = 0, servers = 0; i < got.n; i++)
		servers += got.k[i].proto == 17 && got.k[i].dir == IFN_DIR_SERVER;
	printf("pcap %s %s: %lu frames (%lu passed), %lu of the device (%lu baseline, %lu later "
	       "fragments), %zu flows learned = tshark's, %zu of them UDP server flows:",
	       c->file, c->mac, rs.frames, rs.pass, ms.frames, ms.baseline, ms.later_frags, got.n,
	       servers);
	for (i = 0; i < got.n && i < 16; i++)
		printf("%s%s", i ? ", " : " ", key_text(&got.k[i], buf, sizeof(buf)));
	if (got.n > 16)
		printf(", ... (%zu more)", got.n - 16);
	printf("\n");
	fflush(stdout);
	free(got.k);
	free(want.k);
	th_teardown(&t);
}
END_TEST

TH_SUITE(pcap_suite)
static Suite *pcap_suite(void)
{
	Suite *s = suite_create("datapath-pcap");
	TCase *tc = tcase_create("captures");

	/* tshark takes about a second a capture on this machine. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, capture_learns_what_tshark_sees, 0, NCAPTURES);
	suite_add_tcase(s, tc);
	return s;
}
