// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * replay_pcapng.c - pcapng blocks read by iotfence itself. libpcap reads a
 * pcapng file only while every interface has the link type of the first,
 * and stops at the first interface of another: a capture with an Ethernet
 * interface and, say, a Wi-Fi monitor or a raw IP one lost every frame
 * from there on. Here each frame carries its interface's link type, and
 * the caller keeps the Ethernet ones.
 *
 * Blocks read: section headers (byte order; interfaces start again),
 * interface descriptions (link type, snap length, if_tsresol,
 * if_tsoffset), enhanced, simple and obsolete packet blocks. Every other
 * block is skipped by its length.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "replay_pcapng.h"

#define NSEC_PER_SEC 1000000000ULL

#define BT_SHB 0x0a0d0d0aU
#define BT_IDB 1U
#define BT_PB 2U /* obsolete packet block */
#define BT_SPB 3U
#define BT_EPB 6U
#define BOM 0x1a2b3c4dU

#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

struct ng_iface {
	__u32 linktype;
	__u32 snaplen;
	__u64 units; /* time units per second */
	__s64 offset_s; /* if_tsoffset */
};

struct ng {
	FILE *f;
	bool swap;
	bool in_section;
	struct ng_iface *ifs;
	size_t nifs, ifs_cap;
	__u8 *buf;
	size_t buf_cap;
	__u64 last_ts; /* of the frame before: simple packet blocks have no time */
};

static __u32 get32(const struct ng *g, const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return g->swap ? __builtin_bswap32(v) : v;
}

static __u16 get16(const struct ng *g, const __u8 *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return g->swap ? __builtin_bswap16(v) : v;
}

static __u64 get64(const struct ng *g, const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, 8);
	return g->swap ? __builtin_bswap64(v) : v;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return 1;
}

/* if_tsresol, if_tsoffset; a resolution finer than 1e-19 or 2^-63 s is damage. */
static int idb_options(struct ng *g, struct ng_iface *ifc, const __u8 *p, size_t len)
{
	while (len >= 4) {
		__u16 code = get16(g, p), olen = get16(g, p + 2);
		size_t padded = ((size_t)olen + 3) & ~(size_t)3;

		if (!code)
			break;
		if (padded > len - 4)
			return -1;
		if (code == OPT_IF_TSRESOL && olen >= 1) {
			__u8 r = p[4];
			unsigned int e = r & 0x7f, i;

			if (r & 0x80) {
				if (e > 63)
					return -1;
				ifc->units = 1ULL << e;
			} else {
				if (e > 19)
					return -1;
				for (ifc->units = 1, i = 0; i < e; i++)
					ifc->units *= 10;
			}
		} else if (code == OPT_IF_TSOFFSET && olen >= 8) {
			ifc->offset_s = (__s64)get64(g, p + 4);
		}
		p += 4 + padded;
		len -= 4 + padded;
	}
	return 0;
}

/* A stamp of @units per second to ns since the epoch, saturating. */
static __u64 stamp_ns(const struct ng_iface *ifc, __u64 ts)
{
	unsigned __int128 ns = (unsigned __int128)(ts / ifc->units) * NSEC_PER_SEC +
			       (unsigned __int128)(ts % ifc->units) * NSEC_PER_SEC / ifc->units;
	__s64 off = ifc->offset_s;

	if (off >= 0)
		ns += (unsigned __int128)off * NSEC_PER_SEC;
	else if (ns > (unsigned __int128)(-(off + 1)) * NSEC_PER_SEC + NSEC_PER_SEC)
		ns -= ((unsigned __int128)(-(off + 1)) + 1) * NSEC_PER_SEC;
	else
		ns = 0;
	return ns > ~0ULL ? ~0ULL : (__u64)ns;
}

/* Read exactly @n bytes; 1 with @err set on a short read. */
static int read_exact(struct ng *g, void *p, size_t n, char *err, size_t errlen)
{
	if (fread(p, 1, n, g->f) == n)
		return 0;
	return fail(err, errlen,
		    ferror(g->f) ? "read error" : "the file ends inside a block (cut short)");
}

int rp_pcapng_read(FILE *f, rp_frame_fn fn, void *ctx, char *err, size_t errlen, long *stop)
{
	struct ng g = { .f = f };
	int rc = 0;

	for (;;) {
		__u8 hdr[12];
		__u32 type, total, body;
		size_t got;

		*stop = ftell(f);
		got = fread(hdr, 1, 8, f);
		if (got == 0 && feof(f))
			break; /* the end, between blocks */
		if (got != 8) {
			rc = fail(err, errlen, "the file ends inside a block header (cut short)");
			break;
		}
		memcpy(&type, hdr, 4);
		if (type == BT_SHB) {
			__u32 bom;

			rc = read_exact(&g, hdr + 8, 4, err, errlen);
			if (rc)
				break;
			memcpy(&bom, hdr + 8, 4);
			if (bom != BOM && bom != __builtin_bswap32(BOM)) {
				rc = fail(err, errlen, "a section header with no byte-order magic");
				break;
			}
			g.swap = bom != BOM;
			g.in_section = true;
			g.nifs = 0; /* interfaces are numbered per section */
		} else if (!g.in_section) {
			rc = fail(err, errlen, "a block before the first section header");
			break;
		}
		type = get32(&g, hdr);
		total = get32(&g, hdr + 4);
		/* Bounded as libpcap bounds them: no block allocates more. */
		if (total < 12 || total % 4 || total > RP_PCAPNG_MAX_BLOCK) {
			rc = fail(err, errlen,
				  "a block whose length is not a multiple of 4 from 12 "
				  "bytes to 16 MiB");
			break;
		}
		body = total - 12;
		if (ifn_grow((void **)&g.buf, &g.buf_cap, body + 4 + 4, 1, 65536)) {
			rc = -ENOMEM;
			break;
		}
		if (type == BT_SHB) {
			/* The magic was read already; the rest of the body follows. */
			memcpy(g.buf, hdr + 8, 4);
			rc = read_exact(&g, g.buf + 4, body, err, errlen);
		} else {
			rc = read_exact(&g, g.buf, body + 4, err, errlen);
		}
		if (rc)
			break;
		/* Either way the trailing length is the last word read. */
		if (get32(&g, g.buf + body) != total) {
			rc = fail(err, errlen,
				  "a block whose trailing length differs from its "
				  "leading one");
			break;
		}
		if (type == BT_SHB) {
			if (body < 16 || get16(&g, g.buf + 4) != 1) {
				rc = fail(err, errlen,
					  "a section header of a version other than 1");
				break;
			}
			continue;
		}
		if (type == BT_IDB) {
			struct ng_iface *ifc;

			if (body < 8) {
				rc = fail(err, errlen, "an interface description too short");
				break;
			}
			if (ifn_grow((void **)&g.ifs, &g.ifs_cap, g.nifs + 1, sizeof(*g.ifs), 8)) {
				rc = -ENOMEM;
				break;
			}
			ifc = &g.ifs[g.nifs++];
			ifc->linktype = get16(&g, g.buf);
			ifc->snaplen = get32(&g, g.buf + 4);
			ifc->units = 1000000; /* microseconds unless if_tsresol says */
			ifc->offset_s = 0;
			if (idb_options(&g, ifc, g.buf + 8, body - 8)) {
				rc = fail(err, errlen,
					  "an interface description with a bad option");
				break;
			}
			continue;
		}
		if (type == BT_EPB || type == BT_PB || type == BT_SPB) {
			struct rp_ng_frame fr = { 0 };
			const struct ng_iface *ifc;
			size_t hl = type == BT_SPB ? 4 : 20;
			__u32 id;

			if (body < hl) {
				rc = fail(err, errlen, "a packet block too short for its header");
				break;
			}
			if (type == BT_EPB)
				id = get32(&g, g.buf);
			else if (type == BT_PB)
				id = get16(&g, g.buf);
			else
				id = 0;
			if (id >= g.nifs) {
				rc = fail(err, errlen, "a packet of an interface never described");
				break;
			}
			ifc = &g.ifs[id];
			if (type == BT_SPB) {
				fr.len = get32(&g, g.buf);
				fr.caplen = fr.len;
				if (ifc->snaplen && fr.caplen > ifc->snaplen)
					fr.caplen = ifc->snaplen;
				if (fr.caplen > body - hl)
					fr.caplen = body - hl;
				fr.ts = g.last_ts;
			} else {
				__u64 t = (__u64)get32(&g, g.buf + 4) << 32 | get32(&g, g.buf + 8);

				fr.caplen = get32(&g, g.buf + 12);
				fr.len = get32(&g, g.buf + 16);
				if (fr.caplen > body - hl) {
					rc = fail(err, errlen, "a packet longer than its block");
					break;
				}
				fr.ts = stamp_ns(ifc, t);
				g.last_ts = fr.ts;
			}
			fr.linktype = ifc->linktype;
			fr.data = g.buf + hl;
			rc = fn(ctx, &fr);
			if (rc)
				break;
		}
	}
	free(g.buf);
	free(g.ifs);
	return rc;
}
