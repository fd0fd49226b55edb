#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A temporary mode returns to the mode it replaced that was not temporary
# (issue 15, item 2): a second `trust --for` over a first one must not make
# the first trust permanent, nor a second `monitor --for`.
. "$(dirname "$0")/lib.sh"
it_init temp-modes
it_ns_quiet gw
it_ns_quiet dev1
it_link gw lan1 10.92.0.1/24 dev1 eth0 10.92.0.2/24

D=$IOTFENCE_STATE_DIR
M=02:ee:00:00:00:01
after() { ifn device "$M" --json | jq -r '.mode_after'; }
mode() { ifn device "$M" --json | jq -r '.mode'; }

check "attach lan1" ns_ifn gw attach lan1
printf 'device %s\n\tmode enforce\n' "$M" >"$D/p.pol"
check "a policy declares M in enforce" ifn policy load "$D/p.pol"

for m in trust monitor quarantine; do
	check "enforce M" ifn enforce "$M"
	check "$m M --for 10s" ifn "$m" "$M" --for 10s
	ifn "$m" "$M" --for 2s >"$D/out" 2>&1
	check "$m M --for 2s says it then enforces" grep -q "then enforce" "$D/out"
	check_eq "$m twice: then enforce" enforce "$(after)"
	check_eq "$m twice: $m now" "$m" "$(mode)"
done
enforcing() { [ "$(mode)" = enforce ]; }
check "once the 2s are up, M enforces again" it_wait 20 enforcing
check_eq "and no deadline is left" null "$(after)"

# learn --for over a temporary trust: learning still ends in enforce.
check "trust M --for 10s" ifn trust "$M" --for 10s
check "learn M --for 10s" ifn learn "$M" --for 10s
check_eq "learn over a temporary trust: then enforce" enforce "$(after)"

# Over a temporary monitor started from trust, back to trust.
check "trust M" ifn trust "$M"
check "monitor M --for 10s" ifn monitor "$M" --for 10s
check "monitor M --for 5s" ifn monitor "$M" --for 5s
check_eq "from trust, twice monitor: then trust" trust "$(after)"

it_done
