// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flood.c - traffic for the flood tests (tests/integration/test_flood*.sh).
 *
 *   ifn_flood mac IFACE COUNT [SEED]
 *       COUNT live frames on IFACE (AF_PACKET, sendmmsg), each from a new
 *       random unicast source MAC: a MAC flood as a switch would see one.
 *       They are addressed to no host, so the gateway's stack drops them
 *       after XDP has seen them.
 *   ifn_flood events PROG_PIN IFACE COUNT NDEV [PORTS]
 *       COUNT frames through the pinned program (BPF_PROG_TEST_RUN, as if
 *       received on IFACE: run it in IFACE's namespace) from NDEV devices,
 *       each datagram to a port of its own (PORTS of them, cycling), so
 *       that every frame is a new flow: with the devices in monitor mode,
 *       as many VIOLATION events as the per-device limit lets through.
 *
 * Both print what they sent and how long it took, measured here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define FRAME_LEN 60
#define BATCH 256

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

/* An Ethernet + IPv4 + UDP frame, padded to the minimum frame size. */
static void udp_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint32_t saddr,
		      uint32_t daddr, uint16_t sport, uint16_t dport)
{
	uint8_t *ip = f + 14, *udp = f + 34;

	memset(f, 0, FRAME_LEN);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 28; /* total length: 20 + 8 */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[5] = 8;
}

static int flood_mac(const char *ifname, unsigned long count, uint64_t seed)
{
	static const uint8_t nobody[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x99 };
	static uint8_t frames[BATCH][FRAME_LEN];
	struct sockaddr_ll sll = { 0 };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long sent = 0, failed = 0;
	double t0, t;
	int fd, i;

	rng ^= seed * 0x2545f4914f6cdd1dULL;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("ifn_flood: socket");
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	if (!sll.sll_ifindex) {
		fprintf(stderr, "ifn_flood: no interface %s\n", ifname);
		close(fd);
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = FRAME_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	t0 = now_s();
	while (sent < count) {
		int n = count - sent < BATCH ? (int)(count - sent) : BATCH, done;

		for (i = 0; i < n; i++) {
			uint64_t r = next();
			uint8_t src[6];

			memcpy(src, &r, 6);
			src[0] = (uint8_t)((src[0] & 0xfc) | 0x02); /* unicast, local */
			udp_frame(frames[i], nobody, src, htonl(0x0a420000 | (uint32_t)(r >> 48)),
				  htonl(0x0a420001), 40000, 9);
		}
		done = sendmmsg(fd, msgs, (unsigned int)n, 0);
		if (done < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				/* The queue is full: wait for it, the frame is not lost. */
				usleep(50);
				continue;
			}
			perror("ifn_flood: sendmmsg");
			failed++;
			break;
		}
		sent += (unsigned long)done;
	}
	t = now_s() - t0;
	printf("mac flood: sent %lu frames from random source MACs on %s in %.2f s (%.0f frames/s)\n",
	       sent, ifname, t, t > 0 ? (double)sent / t : 0.0);
	close(fd);
	return failed ? 1 : 0;
}

static int flood_events(const char *pin, const char *ifname, unsigned long count, unsigned int ndev,
			unsigned int ports)
{
	static const uint8_t gw[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
	struct xdp_md ctx = { 0 };
	uint8_t f[FRAME_LEN];
	unsigned long i, pass = 0, drop = 0;
	double t0, t;
	int fd;

	fd = bpf_obj_get(pin);
	if (fd < 0) {
		fprintf(stderr, "ifn_flood: %s: %s\n", pin, strerror(errno));
		return 1;
	}
	ctx.ingress_ifindex = if_nametoindex(ifname);
	if (!ctx.ingress_ifindex) {
		fprintf(stderr, "ifn_flood: no interface %s (run in its namespace)\n", ifname);
		close(fd);
		return 1;
	}
	if (!ndev || !ports) {
		close(fd);
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < count; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = FRAME_LEN,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
		unsigned int dev = (unsigned int)(i % ndev);
		uint8_t src[6] = { 0x02, 0xee, 0, 0, (uint8_t)(dev >> 8), (uint8_t)dev };

		udp_frame(f, gw, src, htonl(0x0a430000 | dev), htonl(0x0a440001), 40000,
			  (uint16_t)(1024 + (i / ndev) % ports));
		ctx.data_end = FRAME_LEN;
		if (bpf_prog_test_run_opts(fd, &o)) {
			fprintf(stderr, "ifn_flood: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			close(fd);
			return 1;
		}
		if (o.retval == XDP_PASS)
			pass++;
		else
			drop++;
	}
	t = now_s() - t0;
	printf("event flood: %lu frames from %u devices, %u ports each, in %.2f s (%.0f frames/s); "
	       "%lu passed, %lu dropped\n",
	       count, ndev, ports, t, t > 0 ? (double)count / t : 0.0, pass, drop);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "mac"))
		return flood_mac(argv[2], strtoul(argv[3], NULL, 0),
				 argc > 4 ? strtoull(argv[4], NULL, 0) : 1);
	if (argc >= 6 && !strcmp(argv[1], "events"))
		return flood_events(argv[2], argv[3], strtoul(argv[4], NULL, 0),
				    (unsigned int)strtoul(argv[5], NULL, 0),
				    argc > 6 ? (unsigned int)strtoul(argv[6], NULL, 0) : 64);
	fprintf(stderr, "usage: ifn_flood mac IFACE COUNT [SEED]\n"
			"       ifn_flood events PROG_PIN IFACE COUNT NDEV [PORTS]\n");
	return 2;
}
