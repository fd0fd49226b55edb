// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* snapshot_gz.c - a snapshot's text in one gzip member, and back, checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "snapshot_gz.h"

int ifn_snap_gzip(const void *in, size_t len, void **out, size_t *outlen)
{
	z_stream zs = {};
	uLong bound;
	void *buf;
	int ret;

	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, len) + 64;
	buf = malloc(bound);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.next_out = buf;
	zs.avail_out = bound;
	/* avail_in is 32 bits: feed in pieces. */
	do {
		size_t done = zs.total_in;
		size_t chunk = len - done > 1U << 30 ? 1U << 30 : len - done;

		zs.avail_in = chunk;
		ret = deflate(&zs, done + chunk == len ? Z_FINISH : Z_NO_FLUSH);
	} while (ret == Z_OK);
	if (ret != Z_STREAM_END) {
		deflateEnd(&zs);
		free(buf);
		return -EIO;
	}
	*outlen = zs.total_out;
	*out = buf;
	deflateEnd(&zs);
	return 0;
}

int ifn_snap_gunzip(const void *in, size_t len, size_t max, char **out, size_t *outlen, char *err,
		    size_t errlen)
{
	const unsigned char *p = in;
	z_stream zs = {};
	size_t cap = 0;
	char *buf = NULL;
	int ret, rc = 0;

	*out = NULL;
	*outlen = 0;
	if (!len) {
		snprintf(err, errlen, "empty file (0 bytes)");
		return -EBADMSG;
	}
	if (len < 2 || p[0] != 0x1f || p[1] != 0x8b) {
		snprintf(err, errlen, "not a gzip file (bad magic)");
		return -EBADMSG;
	}
	if (len > 0xffffffffUL) {
		snprintf(err, errlen, "file too large");
		return -EFBIG;
	}
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	do {
		if (zs.total_out + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : (len < 65536 ? 65536 : len * 4);
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap) {
				snprintf(err, errlen, "larger than %zu bytes once decompressed",
					 max);
				rc = -EFBIG;
				break;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		zs.next_out = (Bytef *)buf + zs.total_out;
		zs.avail_out = cap - 1 - zs.total_out;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_DATA_ERROR) {
			snprintf(err, errlen, "corrupt (%s)",
				 zs.msg && !strcmp(zs.msg, "incorrect data check") ?
					 "checksum mismatch" :
				 zs.msg && !strcmp(zs.msg, "incorrect length check") ?
					 "length mismatch" :
				 zs.msg ? zs.msg :
					  "bad compressed data");
			rc = -EBADMSG;
			break;
		}
		if (ret == Z_MEM_ERROR) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			break;
		}
		if (ret == Z_BUF_ERROR && !zs.avail_in && zs.avail_out) {
			snprintf(err, errlen, "truncated (the compressed data ends early)");
			rc = -EBADMSG;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			snprintf(err, errlen, "corrupt (zlib error %d)", ret);
			rc = -EBADMSG;
			break;
		}
	} while (1);
	if (!rc && zs.avail_in) {
		snprintf(err, errlen, "corrupt (%u bytes after the compressed data)", zs.avail_in);
		rc = -EBADMSG;
	}
	if (rc) {
		inflateEnd(&zs);
		free(buf);
		return rc;
	}
	buf[zs.total_out] = '\0';
	*out = buf;
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return 0;
}

int ifn_snap_decode(const void *in, size_t len, size_t max, struct ifn_snap *s, char *err,
		    size_t errlen)
{
	size_t tlen;
	char *text;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = ifn_snap_gunzip(in, len, max, &text, &tlen, err, errlen);
	if (rc)
		return rc;
	rc = ifn_snap_parse_text(text, tlen, s, err, errlen);
	free(text);
	return rc;
}
