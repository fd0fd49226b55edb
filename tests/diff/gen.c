// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "gen.h"

/* Captures */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_one(struct captures *c, const char *path, size_t *cap)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, errbuf);

	if (!p) {
		fprintf(stderr, "diff: %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		pcap_close(p);
		return 0;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (h->caplen < 14 || h->caplen > GEN_MAX_FRAME)
			continue;
		if (c->n == *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			c->f = realloc(c->f, *cap * sizeof(*c->f));
			if (!c->f)
				goto oom;
		}
		c->f[c->n].len = h->caplen;
		c->f[c->n].data = malloc(h->caplen);
		if (!c->f[c->n].data)
			goto oom;
		memcpy(c->f[c->n].data, data, h->caplen);
		c->n++;
	}
	pcap_close(p);
	c->files++;
	return 0;
oom:
	fprintf(stderr, "diff: out of memory reading %s\n", path);
	exit(2);
}

int captures_load(struct captures *c, const char *dir)
{
	struct dirent **ents = NULL;
	char **names = NULL, path[4096];
	size_t cap = 0, nn = 0, i;
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	(void)ents;
	memset(c, 0, sizeof(*c));
	if (!d) {
		fprintf(stderr, "diff: cannot open the captures in %s\n", dir);
		return -1;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if ((l > 5 && !strcmp(e->d_name + l - 5, ".pcap")) ||
		    (l > 7 && !strcmp(e->d_name + l - 7, ".pcapng"))) {
			char **nn2 = realloc(names, (nn + 1) * sizeof(*names));

			if (!nn2)
				break;
			names = nn2;
			names[nn++] = strdup(e->d_name);
		}
	}
	closedir(d);
	/* Sorted, so that a seed means the same frames on every machine. */
	if (names)
		qsort(names, nn, sizeof(*names), name_cmp);
	for (i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (load_one(c, path, &cap))
			err = -1;
		free(names[i]);
	}
	free(names);
	if (!err && !c->n) {
		fprintf(stderr, "diff: no Ethernet frames in %s\n", dir);
		err = -1;
	}
	return err;
}

void captures_free(struct captures *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->f[i].data);
	free(c->f);
	memset(c, 0, sizeof(*c));
}

/* Episode */

static const __u16 service_ports[] = {
	0,    1,    7,	   22,	  23,	 53,	67,    68,    80,    123,   443,  546,
	547,  554,  1023,  1024,  1883,	 1900,	2048,  2323,  3478,  4096,  5353, 8080,
	8883, 9999, 19704, 32100, 32767, 32768, 49152, 50000, 60000, 65535,
};

static void rand_bytes(struct rng *r, __u8 *p, size_t n)
{
	while (n--)
		*p++ = (__u8)rng_next(r);
}

static void rand_unicast_mac(struct rng *r, __u8 mac[6])
{
	rand_bytes(r, mac, 6);
	mac[0] = (__u8)((mac[0] & 0xfc) | 0x02); /* locally administered, unicast */
}

void gen_episode(struct gen_ctx *g, struct rng *rng, const struct captures *caps, unsigned int ndev)
{
	unsigned int i;

	memset(g, 0, sizeof(*g));
	g->rng = rng;
	g->caps = caps;
	g->ndev = ndev > GEN_MAX_DEVS ? GEN_MAX_DEVS : ndev;
	for (i = 0; i < g->ndev; i++) {
		/* Some devices are real ones from the captures. */
		if (caps && caps->n && rng_pct(rng, 30)) {
			const struct cap_frame *f = &caps->f[rng_below(rng, caps->n)];

			memcpy(g->dev_mac[i], f->data + 6, 6);
			if ((g->dev_mac[i][0] & 1) || !memcmp(g->dev_mac[i], "\0\0\0\0\0\0", 6))
				rand_unicast_mac(rng, g->dev_mac[i]);
		} else {
			rand_unicast_mac(rng, g->dev_mac[i]);
		}
		g->dev_ip4[i][0] = 192;
		g->dev_ip4[i][1] = 168;
		g->dev_ip4[i][2] = 1;
		g->dev_ip4[i][3] = (__u8)(10 + i);
		g->dev_ll6[i][0] = 0xfe;
		g->dev_ll6[i][1] = 0x80;
		rand_bytes(rng, g->dev_ll6[i] + 8, 8);
		g->dev_gl6[i][0] = 0x20;
		g->dev_gl6[i][1] = 0x01;
		g->dev_gl6[i][2] = 0x0d;
		g->dev_gl6[i][3] = 0xb8;
		g->dev_gl6[i][15] = (__u8)(i + 1);
	}
	g->npeer4 = 2 + (unsigned int)rng_below(rng, GEN_MAX_PEERS - 1);
	for (i = 0; i < g->npeer4; i++) {
		/* Peers share prefixes, so that prefix rules match some. */
		static const __u8 nets[][3] = {
			{ 52, 94, 1 }, { 52, 94, 2 }, { 10, 0, 0 }, { 192, 168, 1 }, { 8, 8, 8 }
		};
		const __u8 *n = nets[rng_below(rng, 5)];

		memcpy(g->peer4[i], n, 3);
		g->peer4[i][3] = (__u8)rng_below(rng, 8) + 1;
	}
	g->npeer6 = 1 + (unsigned int)rng_below(rng, GEN_MAX_PEERS - 1);
	for (i = 0; i < g->npeer6; i++) {
		memset(g->peer6[i], 0, 16);
		if (rng_pct(rng, 70)) {
			g->peer6[i][0] = 0x26;
			g->peer6[i][1] = 0x06;
			g->peer6[i][7] = (__u8)rng_below(rng, 3);
			g->peer6[i][15] = (__u8)rng_below(rng, 8) + 1;
		} else {
			g->peer6[i][0] = 0xfe;
			g->peer6[i][1] = 0x80;
			g->peer6[i][15] = (__u8)rng_below(rng, 8) + 1;
		}
	}
	rand_unicast_mac(rng, g->gw_mac);
	g->nports = 2 + (unsigned int)rng_below(rng, 14);
	for (i = 0; i < g->nports; i++)
		g->ports[i] =
			rng_pct(rng, 85) ?
				service_ports[rng_below(rng, sizeof(service_ports) /
								     sizeof(service_ports[0]))] :
				(__u16)rng_next(rng);
}

/* Crafted frames */

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, (__u16)(v >> 16));
	put16(p + 2, (__u16)v);
}

struct craft {
	size_t l3, l4; /* offsets, for targeted damage */
	bool ipv4, ipv6, tcp;
	size_t ext_at[10]; /* IPv6 extension headers' offsets */
	unsigned int next;
};

static __u16 pick_port(struct gen_ctx *g)
{
	if (rng_pct(g->rng, 75))
		return g->ports[rng_below(g->rng, g->nports)];
	return rng_pct(g->rng, 50) ? (__u16)(32768 + rng_below(g->rng, 4)) :
				     (__u16)rng_next(g->rng);
}

static size_t put_l4(struct gen_ctx *g, __u8 proto, bool v6, __u8 *p, size_t room)
{
	struct rng *r = g->rng;
	__u16 sp = pick_port(g), dp = pick_port(g);

	switch (proto) {
	case 6: {
		static const __u8 flags[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14,
					      0x00, 0x03, 0x06, 0x02, 0x12, 0x10, 0x01 };
		size_t opt = rng_pct(r, 20) ? 4 * rng_below(r, 4) : 0;

		if (room < 20 + opt)
			return 0;
		memset(p, 0, 20 + opt);
		/* Servers answer from a service port to an ephemeral one. */
		if (rng_pct(r, 30)) {
			__u16 t = sp;

			sp = dp;
			dp = t;
		}
		put16(p, sp);
		put16(p + 2, dp);
		put32(p + 4, (__u32)rng_next(r));
		p[12] = (__u8)(((20 + opt) / 4) << 4);
		p[13] = rng_pct(r, 90) ? flags[rng_below(r, sizeof(flags))] : (__u8)rng_next(r);
		put16(p + 14, 65535);
		return 20 + opt;
	}
	case 17: {
		static const __u16 pairs[][2] = { { 68, 67 },	  { 67, 68 },	  { 546, 547 },
						  { 547, 546 },	  { 123, 123 },	  { 1900, 1900 },
						  { 5353, 5353 }, { 40000, 53 },  { 53, 40000 },
						  { 2048, 4096 }, { 4096, 2048 }, { 33000, 1024 } };

		if (room < 8)
			return 0;
		if (rng_pct(r, 35)) {
			const __u16 *pp = pairs[rng_below(r, sizeof(pairs) / sizeof(pairs[0]))];

			sp = pp[0];
			dp = pp[1];
		}
		put16(p, sp);
		put16(p + 2, dp);
		put16(p + 4, 8);
		put16(p + 6, 0);
		return 8;
	}
	case 1:
	case 58: {
		static const __u8 t4[] = { 8, 0, 3, 11, 5, 13, 14, 8, 0 };
		static const __u8 t6[] = { 128, 129, 133, 134, 135, 136, 137, 130,
					   131, 132, 143, 1,   3,   128, 135, 136 };

		if (room < 8)
			return 0;
		memset(p, 0, 8);
		if (proto == 58 || (v6 && rng_pct(r, 80)))
			p[0] = t6[rng_below(r, sizeof(t6))];
		else
			p[0] = t4[rng_below(r, sizeof(t4))];
		if (rng_pct(r, 5))
			p[0] = (__u8)rng_next(r);
		return 8;
	}
	default:
		return 0;
	}
}

static __u8 pick_proto(struct rng *r, bool v6)
{
	static const __u8 other[] = { 2, 47, 50, 132, 0, 255, 59, 41, 4 };
	unsigned int x = (unsigned int)rng_below(r, 100);

	if (x < 40)
		return 6;
	if (x < 75)
		return 17;
	if (x < 90)
		return v6 ? 58 : 1;
	if (x < 93)
		return v6 ? 1 : 58;
	return other[rng_below(r, sizeof(other))];
}

static void pick_src_ip(struct gen_ctx *g, unsigned int di, bool v6, __u8 *out)
{
	struct rng *r = g->rng;
	unsigned int x = (unsigned int)rng_below(r, 100);
	unsigned int other = g->ndev ? (unsigned int)rng_below(r, g->ndev) : 0;

	if (!v6) {
		if (x < 75)
			memcpy(out, g->dev_ip4[di], 4);
		else if (x < 85)
			memset(out, 0, 4);
		else if (x < 93)
			memcpy(out, g->dev_ip4[other], 4);
		else if (x < 97) {
			memcpy(out, g->dev_ip4[di], 4);
			out[3] = (__u8)(out[3] + 100); /* a new address: IP_CHANGE */
		} else
			rand_bytes(r, out, 4);
		return;
	}
	if (x < 45)
		memcpy(out, g->dev_ll6[di], 16);
	else if (x < 80)
		memcpy(out, g->dev_gl6[di], 16);
	else if (x < 86)
		memset(out, 0, 16);
	else if (x < 94)
		memcpy(out, rng_pct(r, 50) ? g->dev_ll6[other] : g->dev_gl6[other], 16);
	else if (x < 96) {
		memcpy(out, g->dev_gl6[di], 16);
		out[14] = 0x77;
	} else if (x < 98) {
		/* An IPv4-mapped source, another device's address. */
		memset(out, 0, 10);
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, g->dev_ip4[other], 4);
	} else if (x < 99) {
		static const __u8 odd[][16] = { { [15] = 1 },
						{ 0xff, 0x02, [15] = 1 },
						{ 0xfe, 0x80 } };

		memcpy(out, odd[rng_below(r, 3)], 16);
	} else
		rand_bytes(r, out, 16);
}

static void pick_dst_ip(struct gen_ctx *g, bool v6, __u8 *out)
{
	struct rng *r = g->rng;

	if (!v6) {
		if (rng_pct(r, 88))
			memcpy(out, g->peer4[rng_below(r, g->npeer4)], 4);
		else if (rng_pct(r, 50))
			memset(out, 0xff, 4);
		else {
			static const __u8 mc[4] = { 239, 255, 255, 250 };

			memcpy(out, mc, 4);
		}
		return;
	}
	if (rng_pct(r, 85)) {
		memcpy(out, g->peer6[rng_below(r, g->npeer6)], 16);
	} else {
		static const __u8 mc[16] = { 0xff, 0x02, [15] = 0x01 };

		memcpy(out, mc, 16);
		if (rng_pct(r, 50))
			out[15] = 0x16; /* MLDv2 routers */
	}
}

static size_t craft_ipv4(struct gen_ctx *g, unsigned int di, __u8 *b, size_t off, struct craft *c)
{
	struct rng *r = g->rng;
	size_t opts = rng_pct(r, 10) ? 4 * (1 + rng_below(r, 10)) : 0;
	size_t hl = 20 + opts, l4 = 0, pay;
	__u8 proto = pick_proto(r, false);
	__u16 frag = 0;
	__u8 *ip = b + off;

	c->ipv4 = true;
	c->l3 = off;
	memset(ip, 0, hl);
	ip[0] = (__u8)(0x40 | (hl / 4));
	put16(ip + 4, (__u16)(rng_pct(r, 70) ? rng_below(r, 4) : rng_next(r)));
	ip[8] = 64;
	ip[9] = proto;
	pick_src_ip(g, di, false, ip + 12);
	pick_dst_ip(g, false, ip + 16);
	if (opts)
		ip[20] = 1; /* NOPs */
	if (rng_pct(r, 12)) {
		if (rng_pct(r, 50))
			frag = 0x2000; /* first fragment */
		else
			frag = (__u16)((rng_pct(r, 50) ? 0x2000 : 0) | (1 + rng_below(r, 200)));
	}
	put16(ip + 6, frag);
	c->l4 = off + hl;
	if (!(frag & 0x1fff))
		l4 = put_l4(g, proto, false, b + off + hl, GEN_MAX_FRAME - off - hl);
	c->tcp = proto == 6 && l4;
	pay = rng_pct(r, 60) ? rng_below(r, 64) : rng_below(r, 600);
	if (off + hl + l4 + pay > GEN_MAX_FRAME - 64)
		pay = 0;
	rand_bytes(r, b + off + hl + l4, pay);
	put16(ip + 2, (__u16)(hl + l4 + pay));
	return off + hl + l4 + pay;
}

static size_t craft_ipv6(struct gen_ctx *g, unsigned int di, __u8 *b, size_t off, struct craft *c)
{
	static const __u8 exts[] = { 0, 43, 60, 51, 135, 44 };
	struct rng *r = g->rng;
	__u8 *ip = b + off;
	__u8 proto = pick_proto(r, true);
	size_t cur = off + 40, l4 = 0, pay;
	unsigned int n = 0, i;
	__u8 *nh = ip + 6;
	bool later = false;

	c->ipv6 = true;
	c->l3 = off;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[7] = 64;
	pick_src_ip(g, di, true, ip + 8);
	pick_dst_ip(g, true, ip + 24);
	if (rng_pct(r, 25)) {
		unsigned int x = (unsigned int)rng_below(r, 100);

		n = x < 70 ? 1 + (unsigned int)rng_below(r, 3) :
		    x < 90 ? 8 + (unsigned int)rng_below(r, 2) :
			     (unsigned int)rng_below(r, 10);
	}
	/* MLD reports carry a hop-by-hop router alert. */
	if (proto == 58 && !n && rng_pct(r, 20))
		n = 1;
	for (i = 0; i < n && cur + 32 < GEN_MAX_FRAME - 64; i++) {
		__u8 t = exts[rng_below(r, sizeof(exts))];
		size_t len;

		if (n == 1 && proto == 58)
			t = 0;
		*nh = t;
		nh = b + cur;
		if (c->next < 10)
			c->ext_at[c->next++] = cur;
		if (t == 44) {
			__u16 fo = 0;

			memset(b + cur, 0, 8);
			if (rng_pct(r, 50))
				fo = (__u16)((1 + rng_below(r, 100)) << 3);
			fo |= rng_pct(r, 60) ? 1 : 0;
			put16(b + cur + 2, fo);
			put32(b + cur + 4, (__u32)rng_below(r, 4));
			len = 8;
			later = later || (fo >> 3);
		} else if (t == 51) {
			memset(b + cur, 0, 24);
			b[cur + 1] = 4; /* (4 + 2) * 4 = 24 bytes */
			len = 24;
		} else {
			len = rng_pct(r, 80) ? 8 : 16;
			memset(b + cur, 0, len);
			b[cur + 1] = (__u8)(len / 8 - 1);
			if (t == 0 && len == 8) {
				b[cur + 2] = 5; /* router alert */
				b[cur + 3] = 2;
			}
		}
		cur += len;
	}
	*nh = proto;
	c->l4 = cur;
	if (!later)
		l4 = put_l4(g, proto, true, b + cur, GEN_MAX_FRAME - cur);
	c->tcp = proto == 6 && l4;
	pay = rng_pct(r, 60) ? rng_below(r, 64) : rng_below(r, 400);
	if (cur + l4 + pay > GEN_MAX_FRAME - 64)
		pay = 0;
	rand_bytes(r, b + cur + l4, pay);
	put16(ip + 4, (__u16)(cur + l4 + pay - off - 40));
	return cur + l4 + pay;
}

/* Damage one field the parser reads, or the length. */
static size_t damage(struct gen_ctx *g, __u8 *b, size_t len, const struct craft *c)
{
	struct rng *r = g->rng;
	unsigned int what = (unsigned int)rng_below(r, 8);

	if (what == 0 || (!c->ipv4 && !c->ipv6))
		return rng_below(r, len + 1); /* cut anywhere */
	if (c->ipv4) {
		__u8 *ip = b + c->l3;

		switch (what) {
		case 1:
			ip[0] = (__u8)((rng_below(r, 16) << 4) | (ip[0] & 15));
			break;
		case 2:
			ip[0] = (__u8)(0x40 | rng_below(r, 16));
			break;
		case 3:
			put16(ip + 2, (__u16)rng_below(r, 2 * (len - c->l3) + 40));
			break;
		case 4:
			if (c->tcp && c->l4 + 13 < len)
				b[c->l4 + 12] = (__u8)(rng_below(r, 16) << 4);
			break;
		case 5:
			return c->l4 + rng_below(r, 24) < len ? c->l4 + rng_below(r, 24) : len;
		default:
			return c->l3 + rng_below(r, 24) < len ? c->l3 + rng_below(r, 24) : len;
		}
		return len;
	}
	switch (what) {
	case 1:
		b[c->l3] = (__u8)(rng_below(r, 16) << 4);
		break;
	case 2:
		put16(b + c->l3 + 4, (__u16)rng_below(r, 2 * (len - c->l3)));
		break;
	case 3:
		if (c->next) {
			size_t at = c->ext_at[rng_below(r, c->next)];

			b[at + 1] = (__u8)rng_next(r);
		}
		break;
	case 4:
		if (c->tcp && c->l4 + 13 < len)
			b[c->l4 + 12] = (__u8)(rng_below(r, 16) << 4);
		break;
	case 5:
		return c->l4 + rng_below(r, 24) < len ? c->l4 + rng_below(r, 24) : len;
	default:
		return c->l3 + rng_below(r, 48) < len ? c->l3 + rng_below(r, 48) : len;
	}
	return len;
}

static const __u8 *pick_src_mac(struct gen_ctx *g, unsigned int *di, __u8 tmp[6])
{
	struct rng *r = g->rng;
	unsigned int x = (unsigned int)rng_below(r, 100);

	*di = g->ndev ? (unsigned int)rng_below(r, g->ndev) : 0;
	if (x < 92 && g->ndev)
		return g->dev_mac[*di];
	if (x < 97) {
		rand_unicast_mac(r, tmp);
		return tmp;
	}
	switch (rng_below(r, 3)) {
	case 0:
		memset(tmp, 0xff, 6);
		break;
	case 1:
		memset(tmp, 0, 6);
		break;
	default:
		rand_bytes(r, tmp, 6);
		tmp[0] |= 1;
	}
	return tmp;
}

static size_t gen_crafted(struct gen_ctx *g, __u8 *b)
{
	static const __u16 tpids[] = { 0x8100, 0x88a8, 0x9100 };
	static const __u16 l2types[] = { 0x88cc, 0x88e1, 0x8899, 0x0842, 0x893a,
					 0x0027, 0x05dc, 0x9000, 0x22f0 };
	static const __u8 gw[6] = { 0x02, 0, 0, 0, 0, 0xfe };
	struct rng *r = g->rng;
	struct craft c = { 0 };
	unsigned int di, vl = 0, i, x;
	__u8 tmp[6];
	size_t off, len;
	const __u8 *src = pick_src_mac(g, &di, tmp);

	memcpy(b, gw, 6);
	memcpy(b + 6, src, 6);
	x = (unsigned int)rng_below(r, 100);
	if (x >= 80)
		vl = x < 92 ? 1 : x < 98 ? 2 : 3;
	off = 12;
	for (i = 0; i < vl; i++) {
		put16(b + off, tpids[rng_below(r, 3)]);
		put16(b + off + 2, (__u16)rng_below(r, 4096));
		off += 4;
	}
	x = (unsigned int)rng_below(r, 100);
	if (x < 45) {
		put16(b + off, 0x0800);
		len = craft_ipv4(g, di, b, off + 2, &c);
	} else if (x < 77) {
		put16(b + off, 0x86dd);
		len = craft_ipv6(g, di, b, off + 2, &c);
	} else if (x < 87) {
		__u8 *a = b + off + 2;

		put16(b + off, 0x0806);
		memset(a, 0, 28);
		put16(a, 1);
		put16(a + 2, 0x0800);
		a[4] = 6;
		a[5] = 4;
		put16(a + 6, (__u16)(1 + rng_below(r, 2)));
		memcpy(a + 8, src, 6);
		pick_src_ip(g, di, false, a + 14);
		memcpy(a + 24, g->peer4[0], 4);
		len = off + 2 + 28;
	} else if (x < 91) {
		put16(b + off, 0x888e);
		len = off + 2 + 4 + rng_below(r, 60);
		rand_bytes(r, b + off + 2, len - off - 2);
	} else {
		put16(b + off, rng_pct(r, 80) ? l2types[rng_below(r, sizeof(l2types) / 2)] :
						(__u16)rng_next(r));
		len = off + 2 + rng_below(r, 80);
		rand_bytes(r, b + off + 2, len - off - 2);
	}
	/* Ethernet padding up to the minimum frame, or a little more. */
	if (rng_pct(r, 30)) {
		size_t to = len < 60 ? 60 : len + rng_below(r, 16);

		rand_bytes(r, b + len, to - len);
		len = to;
	}
	if (rng_pct(r, 12))
		len = damage(g, b, len, &c);
	return len;
}

/* Mutated captures */

static size_t gen_mutated(struct gen_ctx *g, __u8 *b)
{
	static const size_t fields[] = { 12, 13, 14, 16, 17, 20, 21, 23, 34, 35,
					 36, 37, 46, 47, 18, 19, 15, 54, 40, 41 };
	static const __u8 vals[] = { 0x00, 0xff, 0x81, 0x86, 0xdd, 0x08, 0x06, 0x45, 0x46,
				     0x4f, 0x60, 0x2c, 0x3b, 0x11, 0x3a, 0x01, 0x20, 0x50 };
	struct rng *r = g->rng;
	const struct cap_frame *f;
	size_t len;
	unsigned int nmut, i;

	if (!g->caps || !g->caps->n)
		return 0;
	/* Runs of consecutive captured frames keep real flows together. */
	if (!g->cap_run) {
		g->cap_pos = rng_below(r, g->caps->n);
		g->cap_run = 1 + (unsigned int)rng_below(r, 40);
		g->cap_dev = g->ndev ? (unsigned int)rng_below(r, g->ndev) : 0;
	}
	g->cap_run--;
	f = &g->caps->f[g->cap_pos];
	g->cap_pos = (g->cap_pos + 1) % g->caps->n;
	len = f->len;
	memcpy(b, f->data, len);
	/* Most frames are given to one of the episode's devices. */
	if (g->ndev && rng_pct(r, 75) && !(b[6] & 1))
		memcpy(b + 6, g->dev_mac[g->cap_dev], 6);
	if (!rng_pct(r, 45))
		return len;
	nmut = 1 + (unsigned int)rng_below(r, 3);
	for (i = 0; i < nmut; i++) {
		switch (rng_below(r, 7)) {
		case 0:
			b[rng_below(r, len)] ^= (__u8)(1 << rng_below(r, 8));
			break;
		case 1:
			b[rng_below(r, len)] = (__u8)rng_next(r);
			break;
		case 2:
			len = rng_below(r, len + 1);
			break;
		case 3: {
			size_t add = rng_below(r, 64);

			if (len + add <= GEN_MAX_FRAME) {
				rand_bytes(r, b + len, add);
				len += add;
			}
			break;
		}
		default: {
			size_t at = fields[rng_below(r, sizeof(fields) / sizeof(fields[0]))];

			if (at < len)
				b[at] = rng_pct(r, 60) ? vals[rng_below(r, sizeof(vals))] :
							 (__u8)rng_next(r);
			break;
		}
		}
		if (!len)
			break;
	}
	return len;
}

/* Random frames */

static size_t gen_random(struct gen_ctx *g, __u8 *b)
{
	static const __u16 types[] = { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8,
				       0x9100, 0x888e, 0x88cc, 0x0000 };
	struct rng *r = g->rng;
	size_t len = rng_pct(r, 90) ? rng_below(r, 160) : rng_below(r, GEN_MAX_FRAME + 1);
	unsigned int di;
	__u8 tmp[6];

	rand_bytes(r, b, len < 14 ? 14 : len);
	if (len >= 12 && rng_pct(r, 80))
		memcpy(b + 6, pick_src_mac(g, &di, tmp), 6);
	if (len >= 14 && rng_pct(r, 75))
		put16(b + 12, types[rng_below(r, sizeof(types) / 2)]);
	/* Inner headers of random frames are often close to valid. */
	if (len >= 15 && rng_pct(r, 40))
		b[14] = rng_pct(r, 50) ? 0x45 : 0x60;
	return len;
}

size_t gen_frame(struct gen_ctx *g, enum gen_kind kind, __u8 *buf)
{
	switch (kind) {
	case GEN_CRAFTED:
		return gen_crafted(g, buf);
	case GEN_MUTATED:
		return gen_mutated(g, buf);
	case GEN_ANSWER: {
		size_t n = gen_answer(g, buf);

		return n ? n : gen_crafted(g, buf);
	}
	default:
		return gen_random(g, buf);
	}
}
