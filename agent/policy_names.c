// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy_names.c - device names in $IOTFENCE_STATE_DIR/names. */
#include <limits.h>

#include "policy_names.h"
#include "policy_parse.h"

_Static_assert(IFN_NAME_MAX <= IFN_MACTAB_TEXT_MAX, "a name fits a MAC table's text");

const struct ifn_mactab_kind ifn_names_kind = {
	.file = "names",
	.line = "MAC NAME",
	.header = "device names, set by policy files (iotfence.8, POLICY FILES)",
	.valid = ifn_name_valid,
	.mode = 0600,
};

const char *ifn_names_path(void)
{
	static char path[PATH_MAX];

	return ifn_mactab_path(&ifn_names_kind, path, sizeof(path));
}
