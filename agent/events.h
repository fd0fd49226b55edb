/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * events.h - datapath events as text lines and JSON objects, shared by
 * `iotfence events`, the daemon and replay.
 */
#ifndef IFN_EVENTS_H
#define IFN_EVENTS_H

#include <stdbool.h>
#include <stdio.h>

#include "iotfence.h"
#include "output.h"
#include "state.h"

/*
 * Where the text of a name hash comes from, for the names of a VIOLATION
 * (ifn_event.names): true with the text in @buf, false if unknown.
 */
typedef bool (*ifn_name_text_fn)(void *ctx, __u64 hash, char buf[IFN_DNS_NAME_MAX]);
void ifn_events_name_source(ifn_name_text_fn fn, void *ctx);
/* The source is the state's ifn_dns_names (what every reader of live events uses). */
void ifn_events_names_from_maps(const struct ifn_maps *m);

/*
 * One event as one JSON object (a line of its own at the top level):
 * {"time":RFC3339,"type":"SCAN","mac":..,"interface":..,"mode":..,
 *  "flow":{...}|null, plus type-specific members}. @ifname may be NULL.
 * Times in events are datapath times; they are converted with
 * ifn_mono_to_wall() (the identity under replay's virtual clock).
 */
void ifn_event_json(struct ifn_json *j, const struct ifn_event *e, const char *ifname);

/*
 * A VIOLATION has "names": the texts of the names the device got the peer
 * from (empty when none, or when no source is set), and "names_unknown",
 * how many more there were whose text is gone.
 */

/* One event as one human line, without a trailing newline. */
void ifn_event_text(char *buf, size_t len, const struct ifn_event *e, const char *ifname);

#endif /* IFN_EVENTS_H */
