#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Generalisation: on a live gateway, a device that learned one service on
# several peers gets a prefix rule, shown before and after, and a peer it
# never used in that prefix then passes; a dry run changes nothing. On the
# real captures (learn one part, enforce on another), generalisation with
# the default thresholds lowers false drops: the figures are printed.
. "$(dirname "$0")/lib.sh"
it_init policy-generalise
it_lab 1

D=$IOTFENCE_STATE_DIR
mac=$(mac_of dev1 eth0)
PCAPS=${IFN_PCAPS:-$(cd "$(dirname "$0")/.." && pwd)/captures}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MEASURE=${IFN_BUILD:-$ROOT/build}/tests/gen_measure
for a in 10.91.9.3 10.91.9.4 10.91.9.5 10.91.200.1; do
	in_ns srv ip addr add "$a/32" dev eth0
done
in_ns gw ip route add 10.91.200.1/32 via "$IT_SRV"

# --- live: learn three peers of one service, generalise, enforce ------------------
check "attach, learning" ns_ifn gw attach lan1 --new-devices learn --learn-for 0
for a in "$IT_SRV" 10.91.9.3 10.91.9.4; do
	in_ns dev1 ping -c1 -W1 "$a" >/dev/null
done
ifn enforce "$mac" >/dev/null
check_fails "before: a fourth peer of the same service is dropped" in_ns dev1 ping -c1 -W1 10.91.9.5
ifn policy show >"$D/show.0"
ifn policy generalise "$mac" --dry-run >"$D/dry.out"
check "dry run: shows the flows before" grep -qx "  before: learned icmp/8 10.91.9.3" "$D/dry.out"
check "dry run: and the rule after" grep -qx "  after:  learned icmp/8 10.91.0.0/16" "$D/dry.out"
check "dry run: changes nothing" sh -c "'$IFN' policy show | diff -q - '$D/show.0'"
ifn policy generalise "$mac" >"$D/gen.out"
cat "$D/gen.out" | sed 's/^/  ..   /'
check "generalise: 3 learned flows become 1 rule" \
	grep -q "^$mac: 3 of 3 learned flows -> 1 rule; 0 learned flows stay" "$D/gen.out"
check "the rule is in the fingerprint" \
	sh -c "'$IFN' policy show | grep -qx \"$(printf '\tlearned icmp/8 10.91.0.0/16')\""
check_eq "the exact flows it covers are gone" 0 "$(ifn device "$mac" --json | jq .flows)"
check "after: the fourth peer passes" in_ns dev1 ping -c1 -W1 10.91.9.5
check "after: a peer in the prefix passes" in_ns dev1 ping -c1 -W1 10.91.200.1
d0=$(ifn device "$mac" --json | jq .dropped)
in_ns dev1 bash -c 'printf x >/dev/udp/10.91.9.3/9999' 2>/dev/null
check_eq "after: another service to the same peers is still dropped" $((d0 + 1)) \
	"$(ifn device "$mac" --json | jq .dropped)"
check "a second run makes nothing new" \
	sh -c "'$IFN' policy generalise '$mac' | grep -q 'nothing to generalise'"
check_error "an unknown device" "unknown device" ifn policy generalise 02:00:00:00:00:99
check_error "a bad threshold" "generalise-prefix-v4: '40'" \
	ifn policy generalise "$mac" --prefix-v4 40

# --- the captures: false drops without and with generalisation ----------------------
if [ ! -d "$PCAPS" ] || ! ls "$PCAPS"/sentinel_*_Setup-*.pcap >/dev/null 2>&1; then
	echo "  ..   no captures at $PCAPS: the measurement is skipped"
else
	check "the measurement runs" sh -c "'$ROOT/tests/tools/gen_sweep.sh' '${IFN_BUILD:-$ROOT/build}' \
		'$PCAPS' >'$D/sweep.out' 2>&1"
	grep -E '^(pair nku|total)' "$D/sweep.out" | sed 's/^/  ..   /'
	read -r rep base with < <(awk '/^total:/ { gsub(/[,()%]/, ""); print $3, $5, $9 }' \
		"$D/sweep.out")
	check "pairs were replayed" test "${rep:-0}" -gt 10000
	check "without generalisation, learning one setup drops frames of the other" \
		test "${base:-0}" -gt 0
	check "generalisation lowers false drops by a third or more" \
		test "$((${with:-1} * 3))" -le "$((${base:-0} * 2))"
	check "the nku plug's long capture: fewer false drops too" \
		sh -c "grep '^pair nku' '$D/sweep.out' | awk '{ gsub(/,/, \"\"); exit !(\$(NF - 2) < \$(NF - 4)) }'"
fi

it_done
