/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * gen.h - frames for the differential run: crafted from a description of
 * every layer the datapath parses, mutated from real captures, or random.
 * All choices come from one seeded generator, so an episode replays
 * exactly from its seed.
 */
#ifndef IFN_DIFF_GEN_H
#define IFN_DIFF_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define GEN_MAX_FRAME 1600
#define GEN_MAX_DEVS 24
#define GEN_MAX_PEERS 12

struct rng {
	__u64 s;
};

static inline __u64 rng_next(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

/* Uniform in [0, n); n > 0. */
static inline __u64 rng_below(struct rng *r, __u64 n)
{
	return rng_next(r) % n;
}

/* True with probability pct/100. */
static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

static inline void rng_seed(struct rng *r, __u64 seed)
{
	r->s = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (!r->s)
		r->s = 1;
	rng_next(r);
}

/* One captured frame. */
struct cap_frame {
	__u32 len;
	__u8 *data;
};

struct captures {
	struct cap_frame *f;
	size_t n;
	size_t files;
};

/* Read every capture in @dir (libpcap, Ethernet only). */
int captures_load(struct captures *c, const char *dir);
void captures_free(struct captures *c);

/* What an episode's frames are made of. */
struct gen_ctx {
	struct rng *rng;
	const struct captures *caps;
	unsigned int ndev;
	__u8 dev_mac[GEN_MAX_DEVS][6];
	__u8 dev_ip4[GEN_MAX_DEVS][4]; /* the address each device mostly uses */
	__u8 dev_ll6[GEN_MAX_DEVS][16];
	__u8 dev_gl6[GEN_MAX_DEVS][16];
	unsigned int npeer4, npeer6;
	__u8 peer4[GEN_MAX_PEERS][4];
	__u8 peer6[GEN_MAX_PEERS][16];
	__u16 ports[16]; /* this episode's service ports */
	unsigned int nports;
	/* Inbound attempts sent to devices, for frames that answer them. */
	__u8 gw_mac[6];
	unsigned int natt, att_pos;
	struct gen_att {
		unsigned int dev;
		bool v6;
		__u8 peer[16]; /* IPv4 in the first 4 bytes */
		__u8 proto, flags, type, code;
		__u16 sport, dport; /* as the attempt had them */
	} att[16];
	/* Captured frames are replayed in runs, so that real flows repeat. */
	size_t cap_pos;
	unsigned int cap_run;
	unsigned int cap_dev;
};

/* Choose devices, peers and ports for an episode. */
void gen_episode(struct gen_ctx *g, struct rng *rng, const struct captures *caps,
		 unsigned int ndev);

enum gen_kind {
	GEN_CRAFTED,
	GEN_MUTATED,
	GEN_RANDOM,
	GEN_ANSWER, /* a device answers an inbound attempt (gen_in.c) */
	GEN_KINDS,
};

/* One frame into buf (GEN_MAX_FRAME bytes); returns its length (may be < 14). */
size_t gen_frame(struct gen_ctx *g, enum gen_kind kind, __u8 *buf);

/*
 * gen_in.c: a frame the gateway delivers to a device (an inbound attempt,
 * from beyond, from the gateway or from another device) and the port it
 * came in on (0: the gateway itself; 1: the attached test interface);
 * and a frame of a device that answers one of them.
 */
size_t gen_inbound(struct gen_ctx *g, __u8 *buf, __u32 *ingress);
size_t gen_answer(struct gen_ctx *g, __u8 *buf);
/* A DNS answer to a device (well formed, damaged, or forged by a LAN device). */
size_t gen_dns(struct gen_ctx *g, __u8 *buf, __u32 *ingress);

#endif /* IFN_DIFF_GEN_H */
