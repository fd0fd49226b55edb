// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>

#include "dnsans.h"

void dns_put(struct dns_msg *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

void dns_put8(struct dns_msg *m, __u8 v)
{
	dns_put(m, &v, 1);
}

void dns_put16(struct dns_msg *m, __u16 v)
{
	dns_put8(m, v >> 8);
	dns_put8(m, v & 0xff);
}

void dns_put32(struct dns_msg *m, __u32 v)
{
	dns_put16(m, v >> 16);
	dns_put16(m, v & 0xffff);
}

void dns_hdr(struct dns_msg *m, __u16 flags, __u16 qd, __u16 an)
{
	m->n = 0;
	dns_put16(m, 0x1234);
	dns_put16(m, flags);
	dns_put16(m, qd);
	dns_put16(m, an);
	dns_put16(m, 0);
	dns_put16(m, 0);
}

void dns_name(struct dns_msg *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		dns_put8(m, l);
		dns_put(m, s, l);
		s += l + (dot ? 1 : 0);
	}
	dns_put8(m, 0);
}

void dns_question(struct dns_msg *m, const char *qname, __u16 type)
{
	dns_name(m, qname);
	dns_put16(m, type);
	dns_put16(m, 1);
}

static void rr_addr(struct dns_msg *m, __u32 ttl, const char *ip, bool v6)
{
	__u8 a[16];

	ck_assert_int_eq(inet_pton(v6 ? AF_INET6 : AF_INET, ip, a), 1);
	dns_put16(m, 0xc00c);
	dns_put16(m, v6 ? 28 : 1);
	dns_put16(m, 1);
	dns_put32(m, ttl);
	dns_put16(m, v6 ? 16 : 4);
	dns_put(m, a, v6 ? 16 : 4);
}

void dns_rr_a(struct dns_msg *m, __u32 ttl, const char *ip)
{
	rr_addr(m, ttl, ip, false);
}

void dns_rr_aaaa(struct dns_msg *m, __u32 ttl, const char *ip)
{
	rr_addr(m, ttl, ip, true);
}

void dns_answer(struct dns_msg *m, const char *qname, __u32 ttl, const char *ip)
{
	bool v6 = strchr(ip, ':') != NULL;

	dns_hdr(m, DNS_ANSWER, 1, 1);
	dns_question(m, qname, v6 ? 28 : 1);
	rr_addr(m, ttl, ip, v6);
}

void dns_frame_build(struct dns_frame *f, enum dns_shape sh, const char *src_mac,
		     const char *dst_mac, __u16 dport, const struct dns_msg *m)
{
	bool v6 = sh == DNS_UDP6 || sh == DNS_UDP6_EXT || sh == DNS_TCP6;
	bool tcp = sh == DNS_TCP4 || sh == DNS_TCP6;
	struct frame_spec fs = {
		.src_mac = src_mac,
		.dst_mac = dst_mac,
		.vlans = sh == DNS_UDP4_VLAN1 ? 1 :
			 sh == DNS_UDP4_VLAN2 ? 2 :
						0,
		.src_ip = v6 ? "fd00::1" : "192.168.1.1",
		.dst_ip = v6 ? "fd00::10" : "192.168.1.10",
		.proto = tcp ? 6 : 17,
		.sport = 53,
		.dport = dport,
		.tcp_flags = FR_PSH | FR_ACK,
		.ipv6_ext = { 0, 60 },
		.ipv6_ext_n = sh == DNS_UDP6_EXT ? 2 : 0,
	};
	/* Over TCP the message follows its length (RFC 1035 4.2.2). */
	static __u8 seg[2 + sizeof(m->b)];

	if (tcp) {
		seg[0] = m->n >> 8;
		seg[1] = m->n & 0xff;
		memcpy(seg + 2, m->b, m->n);
		fs.payload = 2 + m->n;
		fs.payload_data = seg;
	} else {
		fs.payload = m->n;
		fs.payload_data = m->b;
	}
	f->n = frame_build(&fs, f->b, sizeof(f->b));
	ck_assert_uint_gt(f->n, 0);
}

void th_dns_answer(struct th *t, const char *mac, const char *qname, __u32 ttl, const char *ip)
{
	static struct dns_frame f;
	struct dns_msg m;

	dns_answer(&m, qname, ttl, ip);
	dns_frame_build(&f, strchr(ip, ':') ? DNS_UDP6 : DNS_UDP4, "02:00:00:00:00:fe", mac, 40000,
			&m);
	th_egress(t, f.b, f.n, 0);
}
