// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * capread.c - the frames of a capture, for the names benchmark. Apart,
 * because libpcap's classic-BPF header and the kernel's cannot be in one
 * file.
 */
#include <pcap/pcap.h>

#include "bench.h"

long ifb_pcap_each(const char *path, void (*fn)(void *ctx, const __u8 *d, size_t caplen), void *ctx)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	long n = 0;
	pcap_t *p = pcap_open_offline(path, err);

	if (!p)
		return -1;
	if (pcap_datalink(p) == DLT_EN10MB)
		for (; pcap_next_ex(p, &h, &d) == 1; n++)
			fn(ctx, d, h->caplen);
	pcap_close(p);
	return n;
}
