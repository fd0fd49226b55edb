/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * widen.h - whether a learned name may stand for its numbered siblings:
 * r0801.dch.dlink.com learned, r0802.dch.dlink.com used next week, one rule
 * *.dch.dlink.com for both (iotfence.8, GENERALISATION). Pure: text in,
 * decision out; generalise.c makes the rules.
 */
#ifndef IFN_WIDEN_H
#define IFN_WIDEN_H

#include <stdbool.h>

/* Why a learned name was widened to *.parent, or why not. */
enum ifn_widen {
	IFN_WIDEN_NONE = 0, /* its leftmost label is no number and it has no sibling */
	IFN_WIDEN_NUMBERED, /* widened: its leftmost label holds a digit */
	IFN_WIDEN_SIBLINGS, /* widened: another learned name differs in that label only */
	IFN_WIDEN_SHORT, /* not: the parent is a registered domain, or shorter */
	IFN_WIDEN_SHARED, /* not: the parent is in a shared zone (ifn_widen_shared) */
	IFN_WIDEN_DEEP, /* not: the parent has more labels than the datapath hashes */
	IFN_WIDEN_ODD, /* not: a label a policy file cannot hold */
};

/* Labels the parent needs at least (dch.dlink.com: 3; dlink.com or *.com never). */
#define IFN_WIDEN_MIN_LABELS 3

/*
 * Decide for a learned name (lower case, no trailing dot, as the datapath
 * records it) whose leftmost label @sibling says another learned name on
 * the same protocol, port and direction differs in (and in nothing else).
 * On IFN_WIDEN_NUMBERED or IFN_WIDEN_SIBLINGS *parent points into @name,
 * past the leftmost label and its dot; otherwise it is NULL.
 */
enum ifn_widen ifn_widen_name(const char *name, bool sibling, const char **parent);

/* Is the leftmost label of @name a number or counter (holds a digit; no IDN "xn--")? */
bool ifn_widen_numbered(const char *name);

/*
 * Zones where anyone may hold a name (clouds' customer zones, CDNs,
 * dynamic DNS), NULL-terminated: the one list, iotfence.8 prints it.
 */
extern const char *const ifn_widen_shared_zones[];

/*
 * The shared zone that @name is, lies under or holds (an entry of
 * ifn_widen_shared_zones), or NULL.
 */
const char *ifn_widen_shared(const char *name);

/* The decision in words, for the generaliser's report. */
const char *ifn_widen_str(enum ifn_widen w);

#endif /* IFN_WIDEN_H */
