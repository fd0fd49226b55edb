// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TEMPORARY during development: commands whose issues are in progress. Must be empty before landing. */
#include "cli.h"
#include "errors.h"
