/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * model_rules.h - the reference model's fingerprints (model_rules.c), for
 * the model's other files; the operator's rule actions are in model.h.
 */
#ifndef IFN_DIFF_MODEL_RULES_H
#define IFN_DIFF_MODEL_RULES_H

#include <stdbool.h>
#include <linux/types.h>

#include "model.h"

/*
 * The frame's primary key (what learning adds, what a VIOLATION names) and,
 * for frames that may match either way, the other candidate. Returns
 * whether there is an alternative.
 */
bool frame_keys(const struct mdl_pkt *p, struct ifn_flow_key *k1, struct ifn_flow_key *k2);
/* An exact flow, a rule or a local-networks entry holds the key. */
bool in_fingerprint(const struct mdl *m, const struct ifn_flow_key *k);
/* An ICMP error about a flow the fingerprint holds (FLOWS, ICMP). */
bool quote_allowed(const struct mdl *m, const struct mdl_pkt *p);

/*
 * The slot of a rule with @r's key (*@same set), or else the first free
 * slot; MDL_MAX_RULES when every slot is taken.
 */
unsigned int rule_slot(const struct mdl *m, const struct mdl_rule *r, bool *same);
/* @r into slot @i, one rule_slot found free. */
void rule_put(struct mdl *m, unsigned int i, const struct mdl_rule *r);

#endif /* IFN_DIFF_MODEL_RULES_H */
