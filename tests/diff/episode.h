/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * episode.h - one episode of the differential run: its instance, its
 * random generator and clock, and what happens in it besides frames
 * (settings, interface defaults, LAN prefixes, operator actions).
 */
#ifndef IFN_DIFF_EPISODE_H
#define IFN_DIFF_EPISODE_H

#include <linux/types.h>

#include "gen.h"
#include "inst.h"

#define LOG_LINES 12

/* The last LOG_LINES lines of something, for a mismatch's report. */
struct logring {
	char line[LOG_LINES][240];
	unsigned int pos;
};

struct episode {
	struct inst *in;
	struct rng rng;
	struct gen_ctx g;
	__u64 seed, index, now;
	unsigned int frame_no;
	char before[400];
	struct logring ops, frames;
};

void logring_add(struct logring *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Oldest first, one line each after @indent. */
void logring_print(const struct logring *l, const char *indent);

/* The state an episode starts from: settings, interface, LAN prefixes. */
void random_state(struct episode *e);
/* Now and then, between frames: what an operator does, through the agent. */
void operator_action(struct episode *e);
/* The clock moves on, now and then onto a deadline. */
void advance(struct episode *e);

#endif /* IFN_DIFF_EPISODE_H */
