/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * policy_names.h - device names: a MAC table (mactab.h) in
 * $IOTFENCE_STATE_DIR/names, "MAC NAME" lines. Policy files set them;
 * anything that lists devices may show them.
 */
#ifndef IFN_POLICY_NAMES_H
#define IFN_POLICY_NAMES_H

#include "mactab.h"

extern const struct ifn_mactab_kind ifn_names_kind;

/* $IOTFENCE_STATE_DIR/names. */
const char *ifn_names_path(void);

#endif /* IFN_POLICY_NAMES_H */
