/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* replay_report.h - what a replay did, as text or JSON (iotfence.8, REPLAY). */
#ifndef IFN_REPLAY_REPORT_H
#define IFN_REPLAY_REPORT_H

#include <stdbool.h>

#include "replay_run.h"

/* Read the results of run @R from its maps and print them; -errno, said. */
int rp_report_print(struct rp_run *R, bool json);

#endif /* IFN_REPLAY_REPORT_H */
