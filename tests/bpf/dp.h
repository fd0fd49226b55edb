/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dp.h - names shared by the datapath tests, so that a frame or an
 * expectation reads the same in the table and in the sequences.
 */
#ifndef IFN_TEST_DP_H
#define IFN_TEST_DP_H

#include "harness.h"

/*
 * A row or step says how its frame differs from a named one by overriding
 * fields after the macro ({ TCP4(...), .dst_ip = ... }): that is the point
 * of the macros, so GCC's -Woverride-init (from -Wextra) is off here.
 */
#pragma GCC diagnostic ignored "-Woverride-init"

#define DEV "02:00:00:00:00:01"
#define DEV2 "02:00:00:00:00:02"
#define DEV_IP "192.168.1.10"
#define PEER "52.1.2.3"
#define DEV6 "2001:db8::10"
#define PEER6 "2001:db8:1::1"
#define LL6 "fe80::10"

#define L IFN_MODE_LEARN
#define M IFN_MODE_MONITOR
#define E IFN_MODE_ENFORCE
#define Q IFN_MODE_QUARANTINE
#define T IFN_MODE_TRUST

/* Frames */
#define TCP4(sp, dp, fl) \
	.src_ip = DEV_IP, .dst_ip = PEER, .proto = 6, .sport = sp, .dport = dp, .tcp_flags = fl
#define TCP6(sp, dp, fl) \
	.src_ip = DEV6, .dst_ip = PEER6, .proto = 6, .sport = sp, .dport = dp, .tcp_flags = fl
#define UDP4(sp, dp) .src_ip = DEV_IP, .dst_ip = PEER, .proto = 17, .sport = sp, .dport = dp
#define UDP6(sp, dp) .src_ip = DEV6, .dst_ip = PEER6, .proto = 17, .sport = sp, .dport = dp
#define ICMP4(type) .src_ip = DEV_IP, .dst_ip = PEER, .proto = 1, .icmp_type = type
#define ICMP6(src, dst, type) .src_ip = src, .dst_ip = dst, .proto = 58, .icmp_type = type
#define SYN FR_SYN
#define SYNACK (FR_SYN | FR_ACK)
#define ACK FR_ACK
#define PSHACK (FR_PSH | FR_ACK)

/* Expectations */
#define PASS .xdp = XDP_PASS, .verdict = IFN_VERDICT_PASS
#define DROP(r) .xdp = XDP_DROP, .verdict = IFN_VERDICT_DROP, .reason = IFN_REASON_##r
#define ALERT(r) .xdp = XDP_PASS, .verdict = IFN_VERDICT_ALERT, .reason = IFN_REASON_##r
#define EV(x) TH_EV(IFN_EV_##x)
#define VIOL .events = EV(VIOLATION)

/* An expectation in place, for th_step(): EXPECT(DROP(QUARANTINE)). */
#define EXPECT(...) (&(const struct th_expect){ __VA_ARGS__ })
/* A frame spec in place. */
#define FRAME(...) (&(const struct frame_spec){ __VA_ARGS__ })

#endif /* IFN_TEST_DP_H */
