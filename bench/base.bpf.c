// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * base.bpf.c - the yardsticks iotfence is measured against, and the helpers
 * that let BPF_PROG_TEST_RUN time paths that must differ on every packet.
 *
 * bench_drop and bench_pass are the floor of any XDP program. bench_count
 * is the least a per-device policer has to do: one per-CPU hash lookup by
 * source MAC and an increment, so iotfence's own cost can be read as a
 * multiple of "find the device and count it".
 *
 * BPF_PROG_TEST_RUN repeats one frame, so a learning insert or a new device
 * would insert once and then hit. The mutators give each repetition its own
 * frame: they rewrite the field that makes the flow (or the device) new and
 * tail-call the program under test, so a run of N repetitions makes N real
 * inserts. The same mutator tail-calling bench_drop measures what the
 * mutation and the tail call cost, to subtract.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bench_drop(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_DROP;
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

struct bench_mac_key {
	__u8 mac[6];
	__u8 pad[2];
};

/* Sized by the driver before load, to hold as many MACs as iotfence does. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct bench_mac_key);
	__type(value, __u64);
} bench_counts SEC(".maps");

SEC("xdp")
int bench_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bench_mac_key k = {};
	__u64 one = 1, *v;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(k.mac, eth->h_source, ETH_ALEN);
	v = bpf_map_lookup_elem(&bench_counts, &k);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&bench_counts, &k, &one, BPF_NOEXIST);
	return XDP_DROP;
}

/* Slot 0: the program the mutators hand each rewritten frame to. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_next SEC(".maps");

/* Sequence numbers: test runs are on one CPU, so plain increments do. */
__u32 bench_peer_seq = 0;
__u32 bench_src_seq = 0;
/* Bases of the rewritten addresses (host order), set by the driver. */
__u32 bench_peer_base = 0;
__u32 bench_src_base = 0;

/* Untagged IPv4 frames only: the driver builds them so. */
static __always_inline struct iphdr *bench_ipv4(struct xdp_md *ctx, struct ethhdr **ethp)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > end)
		return NULL;
	*ethp = eth;
	return iph;
}

/* A new peer on every repetition: a learning device meets a new flow. */
SEC("xdp")
int bench_mut_peer(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *iph = bench_ipv4(ctx, &eth);

	if (!iph)
		return XDP_ABORTED;
	iph->daddr = bpf_htonl(bench_peer_base + bench_peer_seq++);
	bpf_tail_call(ctx, &bench_next, 0);
	return XDP_ABORTED;
}

/* A new MAC and address on every repetition: a MAC/IP flood. */
SEC("xdp")
int bench_mut_src(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *iph = bench_ipv4(ctx, &eth);
	__u32 n;

	if (!iph)
		return XDP_ABORTED;
	n = bench_src_seq++;
	eth->h_source[3] = (__u8)(n >> 16);
	eth->h_source[4] = (__u8)(n >> 8);
	eth->h_source[5] = (__u8)n;
	iph->saddr = bpf_htonl(bench_src_base + n);
	bpf_tail_call(ctx, &bench_next, 0);
	return XDP_ABORTED;
}

/* The floor of a tc program: what the egress program is measured against. */
SEC("tc")
int bench_tc_pass(struct __sk_buff *skb __attribute__((unused)))
{
	return -1; /* TC_ACT_UNSPEC, as iotfence_egress returns */
}

/*
 * A new source port on every repetition: the same flow (a SYN's key is its
 * destination port), but a miss of the per-CPU decision cache, so that the
 * fingerprint lookups themselves are timed.
 */
__u32 bench_sport_seq = 0;

SEC("xdp")
int bench_mut_sport(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *iph = bench_ipv4(ctx, &eth);
	__u8 *tcp = (__u8 *)(iph + 1);
	void *end = (void *)(long)ctx->data_end;
	__u16 sp;

	if (!iph || (void *)(tcp + 20) > end)
		return XDP_ABORTED;
	sp = 20000 + (bench_sport_seq++ & 0x3fff);
	tcp[0] = sp >> 8;
	tcp[1] = sp & 0xff;
	bpf_tail_call(ctx, &bench_next, 0);
	return XDP_ABORTED;
}

/*
 * As bench_mut_sport, and the destination port alternates between 443 and
 * 8443: two flows in turn, so that a memo of one flow (ifn_dns_val's
 * admitted, the last flow a name admitted) never serves the next frame.
 */
SEC("xdp")
int bench_mut_ports(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *iph = bench_ipv4(ctx, &eth);
	__u8 *tcp = (__u8 *)(iph + 1);
	void *end = (void *)(long)ctx->data_end;
	__u32 n;
	__u16 sp, dp;

	if (!iph || (void *)(tcp + 20) > end)
		return XDP_ABORTED;
	n = bench_sport_seq++;
	sp = 20000 + (n & 0x3fff);
	dp = n & 1 ? 8443 : 443;
	tcp[0] = sp >> 8;
	tcp[1] = sp & 0xff;
	tcp[2] = dp >> 8;
	tcp[3] = dp & 0xff;
	bpf_tail_call(ctx, &bench_next, 0);
	return XDP_ABORTED;
}
