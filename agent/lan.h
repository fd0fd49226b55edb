/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lan.h - the gateway's own LAN prefixes, which local-networks rules
 * count as LAN besides the fixed private and link-local ranges
 * (iotfence.8, FLOWS).
 */
#ifndef IFN_LAN_H
#define IFN_LAN_H

#include "state.h"

/*
 * Put the prefixes of @ifname's addresses in ifn_lan_nets. Returns the
 * number added or -errno; a prefix that is missing only narrows what
 * local-networks allows, so the caller warns and goes on.
 */
int ifn_lan_note_iface(const struct ifn_maps *m, const char *ifname);

#endif /* IFN_LAN_H */
