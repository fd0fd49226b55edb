// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <net/if.h>

#include "lan.h"

/* Bits set in a netmask (contiguous, as the kernel keeps them). */
static unsigned int mask_bits(const __u8 *m, size_t n)
{
	unsigned int bits = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bits += __builtin_popcount(m[i]);
	return bits;
}

int ifn_lan_note_iface(const struct ifn_maps *m, const char *ifname)
{
	struct ifaddrs *ifa, *a;
	unsigned int idx = if_nametoindex(ifname);
	int n = 0, err = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (a = ifa; a; a = a->ifa_next) {
		struct ifn_lan_key k = {};
		unsigned int i, bits;

		if (!a->ifa_addr || !a->ifa_netmask || strcmp(a->ifa_name, ifname))
			continue;
		if (a->ifa_addr->sa_family == AF_INET) {
			const __u8 *ad =
				(const __u8 *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr;
			const __u8 *nm =
				(const __u8 *)&((struct sockaddr_in *)a->ifa_netmask)->sin_addr;

			bits = mask_bits(nm, 4);
			k.addr[10] = 0xff;
			k.addr[11] = 0xff;
			for (i = 0; i < 4; i++)
				k.addr[12 + i] = ad[i] & nm[i];
			k.prefixlen = 96 + bits;
		} else if (a->ifa_addr->sa_family == AF_INET6) {
			const __u8 *ad = ((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr.s6_addr;
			const __u8 *nm = ((struct sockaddr_in6 *)a->ifa_netmask)->sin6_addr.s6_addr;

			/* Link-local is LAN already, wherever it is. */
			if (ad[0] == 0xfe && (ad[1] & 0xc0) == 0x80)
				continue;
			bits = mask_bits(nm, 16);
			for (i = 0; i < 16; i++)
				k.addr[i] = ad[i] & nm[i];
			k.prefixlen = bits;
		} else {
			continue;
		}
		/* A host route (/32, /128) or the whole Internet is no LAN. */
		if (k.prefixlen == 128 || k.prefixlen == 96 || k.prefixlen == 0)
			continue;
		if (bpf_map_update_elem(m->lan_nets, &k, &idx, BPF_ANY)) {
			err = -errno;
			break;
		}
		n++;
	}
	freeifaddrs(ifa);
	return err ? err : n;
}
