/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * compare.h - the program's state against the model's: each difference
 * is one line of a struct cmp, which the driver reports with the frame.
 */
#ifndef IFN_DIFF_COMPARE_H
#define IFN_DIFF_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "inst.h"
#include "model.h"

struct cmp {
	char what[2048];
	size_t n;
	bool bad;
};

void cmp_fail(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CMP_U(c, name, prog, model)                                                \
	do {                                                                       \
		unsigned long long p_ = (prog), m_ = (model);                      \
		if (p_ != m_)                                                      \
			cmp_fail(c, "%s: program %llu, model %llu", name, p_, m_); \
	} while (0)

/* The events of the frame (in->ev) against the model's, at time @now. */
void cmp_events(struct cmp *c, struct inst *in, const struct mdl_result *r, __u64 now);
/* A device's record and counters; @who names it in the report. */
void cmp_device(struct cmp *c, struct inst *in, const struct mdl_device *md,
		const struct ifn_device *pd, const char *who);
void cmp_global(struct cmp *c, struct inst *in);
/*
 * After a frame @f that the program gave @xdp: the action, the events, the
 * sender's record (in->rec), the flow learned, the global counters.
 */
void cmp_frame(struct cmp *c, struct inst *in, const __u8 *f, size_t len, int xdp,
	       const struct mdl_result *r, __u64 now);
/*
 * After a frame @f to a device through the egress program (@same: it let
 * the frame go on unchanged): the events, what an answer recorded, the
 * note, the destination's record, the counters; @count_notes walks the
 * notes to count them.
 */
void cmp_egress(struct cmp *c, struct inst *in, const __u8 *f, bool same,
		const struct mdl_eresult *r, __u64 now, bool count_notes);
/* The whole state, at the end of an episode. */
void cmp_tables(struct cmp *c, struct inst *in);

#endif /* IFN_DIFF_COMPARE_H */
