#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Regenerate the COMMANDS section of the man page from the command table:
#   scripts/gen-man.sh build/iotfence agent/iotfence.8
# With --check, only report whether the page is in step (exit 1 if not).
set -euo pipefail
check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
bin=$1
page=$2
gen=$(mktemp)
out=$(mktemp)
trap 'rm -f "$gen" "$out"' EXIT
"$bin" help --man >"$gen"
awk -v gen="$gen" '
	/^\.\\" BEGIN GENERATED COMMANDS/ { while ((getline l < gen) > 0) print l; skip = 1; next }
	/^\.\\" END GENERATED COMMANDS/ { skip = 0; next }
	!skip { print }
' "$page" >"$out"
if [ "$check" = 1 ]; then
	if ! cmp -s "$out" "$page"; then
		echo "$page is not in step with '$bin help': run 'make man'" >&2
		diff -u "$page" "$out" | head -40 >&2
		exit 1
	fi
	exit 0
fi
cp "$out" "$page"
