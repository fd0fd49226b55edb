/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * devnames.h - a device's names where a user looks (`device`, `devices
 * --json`): its name rules and the names it resolved, with their
 * addresses (iotfence.8, NAMES).
 */
#ifndef IFN_DEVNAMES_H
#define IFN_DEVNAMES_H

#include <stdio.h>
#include <linux/types.h>

#include "iotfence.h"
#include "output.h"
#include "resolved.h"
#include "state.h"

struct ifn_devnames_rule;

/* Every device's names, read once (ifn_dns and ifn_name_rules dumped). */
struct ifn_devnames {
	const struct ifn_maps *m;
	struct ifn_resolved *res; /* sorted by device */
	size_t nres;
	struct ifn_devnames_rule *rules; /* sorted by device */
	size_t nrules;
};

/* Read at @now (datapath clock; 0: now). Returns 0 or -errno. */
int ifn_devnames_load(const struct ifn_maps *m, __u64 now, struct ifn_devnames *dn);
void ifn_devnames_free(struct ifn_devnames *dn);

/*
 * "names": {"rules": ["tcp/443 name a.example.com", ...], "resolved":
 * [{"name": "a.example.com", "addresses": ["52.1.2.3", ...], "live": true},
 * ...]}: each name the device holds an answer for, with its addresses; live
 * when one of them would be admitted by the name now.
 */
void ifn_devnames_json(struct ifn_json *j, const struct ifn_devnames *dn, const __u8 mac[6]);

/*
 * "resolved   NAME  ADDR, ADDR (live)" lines, or "resolved   nothing we
 * saw" with why that matters (encrypted DNS) when the device holds none.
 */
void ifn_devnames_text(FILE *f, const struct ifn_devnames *dn, const __u8 mac[6]);

#endif /* IFN_DEVNAMES_H */
