// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dnsans.h"
#include "iotfence.skel.h"

#define TC_ACT_UNSPEC (-1)

struct dmsg {
	__u8 b[512];
	size_t n;
};

static void put(struct dmsg *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct dmsg *m, __u16 v)
{
	__u8 b[2] = { v >> 8, v & 0xff };

	put(m, b, 2);
}

static void put32(struct dmsg *m, __u32 v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void run_egress(struct th *t, const __u8 *f, size_t n)
{
	static __u8 out[FR_MAX];
	struct __sk_buff ctx = { .ingress_ifindex = 0 };
	LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = f, .data_size_in = n, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	int fd = bpf_program__fd(t->skel->progs.iotfence_egress);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_prog_test_run_opts(fd, &ro), 0);
	ck_assert_int_eq((int)ro.retval, TC_ACT_UNSPEC);
	ck_assert_uint_eq(ro.data_size_out, n);
	ck_assert_msg(!memcmp(out, f, n), "the egress program changed the frame");
}

void th_dns_answer(struct th *t, const char *mac, const char *qname, __u32 ttl, const char *ip)
{
	bool v6 = strchr(ip, ':') != NULL;
	struct frame_spec fs = {
		.src_mac = "02:00:00:00:00:fe",
		.dst_mac = mac,
		.src_ip = v6 ? "fd00::1" : "192.168.1.1",
		.dst_ip = v6 ? "fd00::10" : "192.168.1.10",
		.proto = 17,
		.sport = 53,
		.dport = 40000,
	};
	__u8 addr[16], frame[FR_MAX];
	const char *s = qname;
	struct dmsg m = { .n = 0 };
	size_t n;

	ck_assert_int_eq(inet_pton(v6 ? AF_INET6 : AF_INET, ip, addr), 1);
	/* Header: an answer (QR RD RA), one question, one record. */
	put16(&m, 0x1234);
	put16(&m, 0x8180);
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 0);
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		__u8 lb = l;

		put(&m, &lb, 1);
		put(&m, s, l);
		s += l + (dot ? 1 : 0);
	}
	put(&m, "", 1);
	put16(&m, v6 ? 28 : 1);
	put16(&m, 1);
	/* The record: its owner a pointer to the question. */
	put16(&m, 0xc00c);
	put16(&m, v6 ? 28 : 1);
	put16(&m, 1);
	put32(&m, ttl);
	put16(&m, v6 ? 16 : 4);
	put(&m, addr, v6 ? 16 : 4);
	fs.payload = m.n;
	fs.payload_data = m.b;
	n = frame_build(&fs, frame, sizeof(frame));
	ck_assert_uint_gt(n, 0);
	run_egress(t, frame, n);
}
