/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * events.h - datapath events as text lines and JSON objects, shared by
 * `iotfence events`, the daemon and replay.
 */
#ifndef IFN_EVENTS_H
#define IFN_EVENTS_H

#include <stdio.h>

#include "iotfence.h"
#include "output.h"

/*
 * One event as one JSON object (a line of its own at the top level):
 * {"time":RFC3339,"type":"SCAN","mac":..,"interface":..,"mode":..,
 *  "flow":{...}|null, plus type-specific members}. @ifname may be NULL.
 * Times in events are datapath times; they are converted with
 * ifn_mono_to_wall() (the identity under replay's virtual clock).
 */
void ifn_event_json(struct ifn_json *j, const struct ifn_event *e, const char *ifname);

/* One event as one human line, without a trailing newline. */
void ifn_event_text(char *buf, size_t len, const struct ifn_event *e, const char *ifname);

#endif /* IFN_EVENTS_H */
