// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gen.bpf.c - the frame generator of the end-to-end benchmark, run with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on one end of a veth
 * pair. Live-frames mode copies the template frame into each page of its
 * page pool once and then recycles the pages, so whatever the program
 * writes stays; rewriting every variable field on every run therefore gives
 * each frame its own device and flow, drawn from the mix (mix.h), at no
 * cost but this program's. XDP_TX makes the test run transmit the frame on
 * the interface it was given, i.e. into the veth peer.
 *
 * Template (from the driver): Ethernet, IPv4 (20 bytes), TCP (20 bytes),
 * padding to MIX_FRAME_LEN; destination MAC the receiver's own.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "mix.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the driver between runs (the .bss is memory-mapped). */
__u32 gen_allowed_permille = 0;
__u32 gen_seed = 0;
__u64 gen_seq = 0;
/* What was sent, by kind: the driver checks the mix it asked for. */
__u64 gen_sent_allowed = 0;
__u64 gen_sent_scan = 0;

static __always_inline __u16 gen_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1);
	__u32 h, h2, dev, peer, src;
	__u16 dport, *w;
	__u32 sum = 0;
	__u8 flags;
	int i;

	if ((void *)(th + 1) > end)
		return XDP_ABORTED;

	h = mix_hash((__u32)gen_seq++ ^ gen_seed);
	h2 = mix_hash(h);
	if (h % 1000 < gen_allowed_permille) {
		__u32 flow = (h2 >> 8) % MIX_FLOWS;

		/* Clean devices carry the fingerprinted traffic. */
		dev = MIX_COMPROMISED + (h2 >> 16) % (MIX_DEVICES - MIX_COMPROMISED);
		peer = mix_peer(dev, flow);
		dport = mix_port(flow);
		flags = 0x10; /* ACK: a connection under way */
		gen_sent_allowed++;
	} else {
		dev = (h2 >> 16) % MIX_COMPROMISED;
		/* Random addresses outside 10/8, as a scanner picks them. */
		peer = (h2 | 0x40000000U) & 0x7fffffffU;
		dport = (h2 & 1) ? MIX_SCAN_PORT_B : MIX_SCAN_PORT_A;
		flags = 0x02; /* SYN */
		gen_sent_scan++;
	}
	src = mix_src_ip(dev);

	mix_mac(dev, eth->h_source);
	iph->saddr = bpf_htonl(src);
	iph->daddr = bpf_htonl(peer);
	th->source = bpf_htons(32768 + (h & 0x7fff));
	th->dest = bpf_htons(dport);
	((__u8 *)th)[13] = flags;

	/* The receivers' kernel stack checks the IPv4 header checksum. */
	iph->check = 0;
	w = (__u16 *)iph;
#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	iph->check = gen_csum_fold(sum);
	return XDP_TX;
}
