// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * frames.c - the few frame shapes the benchmarks send: Ethernet, an
 * optional 802.1Q tag, IPv4 or IPv6, TCP, zero padding to a fixed length.
 * Kept apart from the tests' frame builder so that the benchmark does not
 * change when the tests' fixtures do.
 */
#include <arpa/inet.h>
#include <string.h>

#include "bench.h"

void ifb_ip4(__u8 dst[16], __u32 host_order)
{
	__u32 be = htonl(host_order);

	memset(dst, 0, 16);
	memcpy(dst, &be, 4);
}

static __u16 csum16(const __u8 *p, size_t len)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

size_t ifb_frame_build(const struct ifb_frame *f, __u8 *buf, size_t cap)
{
	size_t len = f->len ? f->len : 64, off = 0, l3, l4len = 20;
	size_t need = 14 + (f->vlan ? 4 : 0) + (f->v6 ? 40 : 20) + l4len;

	/* 64 bytes unless the headers need more (IPv6: 74). */
	if (len < need)
		len = need;
	if (len > cap)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, f->dst_mac, 6);
	memcpy(buf + 6, f->src_mac, 6);
	off = 12;
	if (f->vlan) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, 42); /* VID 42 */
		off += 4;
	}
	put16(buf + off, f->v6 ? 0x86dd : 0x0800);
	off += 2;
	l3 = off;
	if (f->v6) {
		if (len < l3 + 40 + l4len)
			return 0;
		buf[l3] = 0x60;
		put16(buf + l3 + 4, (__u16)(len - l3 - 40));
		buf[l3 + 6] = f->proto;
		buf[l3 + 7] = 64;
		memcpy(buf + l3 + 8, f->src, 16);
		memcpy(buf + l3 + 24, f->dst, 16);
		off = l3 + 40;
	} else {
		if (len < l3 + 20 + l4len)
			return 0;
		buf[l3] = 0x45;
		put16(buf + l3 + 2, (__u16)(len - l3));
		put16(buf + l3 + 4, 0x1234);
		put16(buf + l3 + 6, 0x4000); /* DF */
		buf[l3 + 8] = 64;
		buf[l3 + 9] = f->proto;
		memcpy(buf + l3 + 12, f->src, 4);
		memcpy(buf + l3 + 16, f->dst, 4);
		put16(buf + l3 + 10, csum16(buf + l3, 20));
		off = l3 + 20;
	}
	put16(buf + off, f->sport);
	put16(buf + off + 2, f->dport);
	put16(buf + off + 4, 0x0102);
	buf[off + 12] = 5 << 4; /* data offset */
	buf[off + 13] = f->tcp_flags;
	put16(buf + off + 14, 0xffff); /* window */
	return len;
}
