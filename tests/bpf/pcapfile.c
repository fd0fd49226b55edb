// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>

#include <pcap/pcap.h>

#include "pcapfile.h"

long pcapfile_each(const char *path, pcapfile_fn fn, void *ctx, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	long n = 0;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!pc) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		snprintf(err, errlen, "%s: link type %d, not Ethernet", path, pcap_datalink(pc));
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		/* Opened at nanosecond precision: tv_usec holds nanoseconds. */
		fn(ctx, data, h->caplen, (__u64)h->ts.tv_sec * 1000000000ULL + h->ts.tv_usec);
		n++;
	}
	if (rc != PCAP_ERROR_BREAK) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
		n = -1;
	}
	pcap_close(pc);
	return n;
}
