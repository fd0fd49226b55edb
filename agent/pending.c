// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TEMPORARY during development: commands whose issues are in progress. Must be empty before landing. */
#include "cli.h"
#include "errors.h"

static int pending(const struct ifn_cmd *c)
{
	ifn_err("%s: not implemented yet", c->name);
	return IFN_EXIT_FAIL;
}

int ifn_cmd_policy(const struct ifn_cmd *c, int argc, char **argv) { (void)argc; (void)argv; return pending(c); }
