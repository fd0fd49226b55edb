// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "parse.h"

void frame_mac(const char *s, __u8 mac[6])
{
	if (ifn_parse_mac(s, mac)) {
		fprintf(stderr, "bad MAC literal in test: %s\n", s);
		abort();
	}
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static __u16 csum(const __u8 *p, size_t len)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* L4 header at p; returns its length. */
static size_t build_l4(const struct frame_spec *s, __u8 *p)
{
	switch (s->proto) {
	case 6: {
		__u8 doff = s->tcp_doff ? s->tcp_doff : 5 + s->tcp_opts / 4;

		memset(p, 0, 20);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		p[12] = doff << 4;
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
		memset(p + 20, 1, s->tcp_opts); /* NOP options */
		return 20 + s->tcp_opts;
	}
	case 17:
		memset(p, 0, 8);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, 8 + s->payload);
		return 8;
	case 1:
	case 58:
		memset(p, 0, 8);
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		return 8;
	default:
		return 0;
	}
}

/* An IPv6 extension header of @type at buf + off, chained from *nh; returns its length. */
static size_t put_ext(__u8 *buf, size_t off, __u8 type, __u8 **nh)
{
	**nh = type;
	*nh = buf + off;
	if (type == 51) {
		buf[off + 1] = 1; /* AH: (1 + 2) * 4 = 12 bytes */
		return 12;
	}
	buf[off + 1] = 0; /* (0 + 1) * 8 = 8 bytes; a fragment header is 8 too */
	return 8;
}

size_t frame_build(const struct frame_spec *s, __u8 *buf, size_t cap)
{
	__u8 src[6], dst[6], a4s[4], a4d[4], a6s[16], a6d[16];
	bool v4 = false, v6 = false;
	__u16 et = s->ethertype;
	size_t off = 0, l3, i;
	int t;

	memset(buf, 0, cap);
	frame_mac(s->src_mac ? s->src_mac : "02:00:00:00:00:01", src);
	frame_mac(s->dst_mac ? s->dst_mac : "02:00:00:00:00:fe", dst);
	if (s->src_ip) {
		if (inet_pton(AF_INET, s->src_ip, a4s) == 1 &&
		    inet_pton(AF_INET, s->dst_ip ? s->dst_ip : "0.0.0.0", a4d) == 1)
			v4 = true;
		else if (inet_pton(AF_INET6, s->src_ip, a6s) == 1 &&
			 inet_pton(AF_INET6, s->dst_ip ? s->dst_ip : "::", a6d) == 1)
			v6 = true;
		else
			return 0;
		if (!et)
			et = v4 ? 0x0800 : 0x86dd;
	}
	if (s->arp_op && !et)
		et = 0x0806;

	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	off = 12;
	for (t = 0; t < s->vlans; t++) {
		__u16 tpid = s->vlan_tpid[t];

		if (!tpid)
			tpid = (s->vlans >= 2 && t == 0) ? 0x88a8 : 0x8100;
		put16(buf + off, tpid);
		put16(buf + off + 2, 100 + t);
		off += 4;
	}
	put16(buf + off, et);
	off += 2;
	l3 = off;

	if (et == 0x0806) {
		__u8 spa[4] = { 0 };

		put16(buf + off, 1);
		put16(buf + off + 2, 0x0800);
		buf[off + 4] = 6;
		buf[off + 5] = 4;
		put16(buf + off + 6, s->arp_op ? s->arp_op : 1);
		memcpy(buf + off + 8, src, 6);
		if (s->arp_sender_ip)
			inet_pton(AF_INET, s->arp_sender_ip, spa);
		memcpy(buf + off + 14, spa, 4);
		off += 28;
	} else if (v4) {
		__u8 ihl = s->ipv4_ihl ? s->ipv4_ihl : 5 + s->ipv4_opts / 4;
		size_t hlen = 20 + s->ipv4_opts, l4;
		__u16 fo = s->frag_off & 0x1fff;

		buf[off] = ((s->ip_version ? s->ip_version : 4) << 4) | (ihl & 0xf);
		put16(buf + off + 4, s->frag_id);
		put16(buf + off + 6, fo | (s->more_frags ? 0x2000 : 0));
		buf[off + 8] = 64;
		buf[off + 9] = s->proto;
		memcpy(buf + off + 12, a4s, 4);
		memcpy(buf + off + 16, a4d, 4);
		for (i = 0; i < s->ipv4_opts; i++)
			buf[off + 20 + i] = 1; /* NOP options */
		off += hlen;
		l4 = fo ? 0 : build_l4(s, buf + off);
		if (s->payload_data && off + l4 + s->payload <= cap)
			memcpy(buf + off + l4, s->payload_data, s->payload);
		off += l4 + s->payload;
		put16(buf + l3 + 2, s->ipv4_tot_len ? s->ipv4_tot_len : off - l3);
		put16(buf + l3 + 10, csum(buf + l3, hlen));
	} else if (v6) {
		__u8 *nh = buf + off + 6;
		size_t start = off;

		buf[off] = (s->ip_version ? s->ip_version : 6) << 4;
		buf[off + 7] = 64;
		memcpy(buf + off + 8, a6s, 16);
		memcpy(buf + off + 24, a6d, 16);
		off += 40;
		for (i = 0; i < s->ipv6_ext_n; i++)
			off += put_ext(buf, off, s->ipv6_ext[i], &nh);
		if (s->ipv6_frag) {
			*nh = 44;
			nh = buf + off;
			put16(buf + off + 2, (s->frag_off << 3) | (s->more_frags ? 1 : 0));
			buf[off + 4] = s->frag_id >> 24;
			buf[off + 5] = s->frag_id >> 16;
			buf[off + 6] = s->frag_id >> 8;
			buf[off + 7] = s->frag_id;
			off += 8;
		}
		if (s->ipv6_frag && s->frag_off) {
			/* A later fragment: payload only, behind the same next header. */
			*nh = s->ipv6_ext_post_n ? s->ipv6_ext_post[0] : s->proto;
		} else {
			for (i = 0; i < s->ipv6_ext_post_n; i++)
				off += put_ext(buf, off, s->ipv6_ext_post[i], &nh);
			*nh = s->proto;
			off += build_l4(s, buf + off);
		}
		if (s->payload_data && off + s->payload <= cap)
			memcpy(buf + off, s->payload_data, s->payload);
		off += s->payload;
		put16(buf + start + 4, s->ipv6_plen ? s->ipv6_plen : off - start - 40);
	} else {
		off += s->payload;
	}
	if (s->pad_to > off) {
		if (s->pad_to > cap)
			return 0;
		off = s->pad_to; /* buf was zeroed */
	}
	if (off > cap)
		return 0;
	if (s->truncate && s->truncate < off)
		off = s->truncate;
	return off;
}
