// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dhcp_mud - send one DHCP client message that carries a MUD URL, as a
 * device announces it (RFC 8520 sections 10 and 11), for the integration
 * tests (python3 is not on every test machine):
 *
 *   dhcp_mud IFACE URL [--v6]
 *
 * IPv4: a DHCPDISCOVER from 0.0.0.0:68 to 255.255.255.255:67 with option
 * 161; --v6: a DHCPv6 Solicit from fe80::1:546 to ff02::1:2:547 with
 * option 112. The frame is written whole on a packet socket, from IFACE's
 * MAC, so that no address or route is needed.
 */
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The ones' complement sum of RFC 1071, folded. */
static unsigned int sum16(const unsigned char *p, size_t n, unsigned int s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (unsigned int)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (unsigned int)p[n - 1] << 8;
	return s;
}

static unsigned int fold(unsigned int s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

int main(int argc, char **argv)
{
	unsigned char f[1500] = { 0 }, mac[6];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	struct ifreq ifr = { 0 };
	size_t n, l, ip = 14;
	bool v6 = argc == 4 && !strcmp(argv[3], "--v6");
	int fd;

	if ((argc != 3 && !v6) || strlen(argv[2]) > 255 || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: dhcp_mud IFACE URL [--v6]\n");
		return 2;
	}
	l = strlen(argv[2]);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("dhcp_mud: socket");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		perror("dhcp_mud: SIOCGIFHWADDR");
		return 1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memcpy(f + 6, mac, 6);
	if (!v6) {
		size_t udp = ip + 20, b = udp + 8, o = b + 240;

		memset(f, 0xff, 6);
		put16(f + 12, ETH_P_IP);
		f[o++] = 53; /* discover */
		f[o++] = 1;
		f[o++] = 1;
		f[o++] = 161;
		f[o++] = (unsigned char)l;
		memcpy(f + o, argv[2], l);
		o += l;
		f[o++] = 255;
		n = o;
		f[ip] = 0x45;
		put16(f + ip + 2, n - ip);
		f[ip + 8] = 64;
		f[ip + 9] = 17;
		memset(f + ip + 16, 0xff, 4);
		put16(f + ip + 10, fold(sum16(f + ip, 20, 0)));
		put16(f + udp, 68);
		put16(f + udp + 2, 67);
		put16(f + udp + 4, n - udp);
		f[b] = 1;
		f[b + 1] = 1;
		f[b + 2] = 6;
		f[b + 4] = 0x5a; /* xid */
		memcpy(f + b + 28, mac, 6);
		memcpy(f + b + 236, "\x63\x82\x53\x63", 4);
		/* UDP checksum 0: none, as IPv4 allows. */
	} else {
		size_t udp = ip + 40, d = udp + 8, o = d + 4;
		unsigned int s;

		memcpy(f, "\x33\x33\x00\x01\x00\x02", 6);
		put16(f + 12, ETH_P_IPV6);
		f[d] = 1; /* Solicit */
		f[d + 1] = 0x5a;
		put16(f + o, 112);
		put16(f + o + 2, l);
		memcpy(f + o + 4, argv[2], l);
		o += 4 + l;
		n = o;
		f[ip] = 0x60;
		put16(f + ip + 4, n - udp);
		f[ip + 6] = 17;
		f[ip + 7] = 1;
		f[ip + 8] = 0xfe; /* fe80::1 */
		f[ip + 9] = 0x80;
		f[ip + 23] = 1;
		memcpy(f + ip + 24, "\xff\x02\0\0\0\0\0\0\0\0\0\0\0\x01\0\x02", 16);
		put16(f + udp, 546);
		put16(f + udp + 2, 547);
		put16(f + udp + 4, n - udp);
		/* IPv6 UDP needs its checksum: pseudo-header, then the datagram. */
		s = sum16(f + ip + 8, 32, 0);
		s += n - udp;
		s += 17;
		s = fold(sum16(f + udp, n - udp, s));
		put16(f + udp + 6, s ? s : 0xffff);
	}
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	memcpy(sll.sll_addr, f, 6);
	if (sendto(fd, f, n, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)n) {
		perror("dhcp_mud: sendto");
		return 1;
	}
	close(fd);
	return 0;
}
