/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * settings.h - the run-time settings (struct ifn_config) by name, shared by
 * `iotfence settings`, policy files and the daemon's configuration.
 */
#ifndef IFN_SETTINGS_H
#define IFN_SETTINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "iotfence.h"

/*
 * Set one setting from text: scan-threshold, scan-window, auto-quarantine,
 * fingerprint-cap, event-limit, unknown-devices. Validates; on error writes
 * the reason to err and leaves cfg unchanged.
 */
int ifn_setting_apply(struct ifn_config *cfg, const char *key, const char *value, char *err,
		      size_t errlen);

/* The names, in display order, NULL-terminated. */
extern const char *const ifn_setting_names[];

/* The value of one setting as text (what ifn_setting_apply reads). */
int ifn_setting_format(const struct ifn_config *cfg, const char *key, char *buf, size_t len);

/* All settings as "key value" lines or one JSON object. */
void ifn_settings_print(const struct ifn_config *cfg, FILE *f, bool json);

#endif /* IFN_SETTINGS_H */
