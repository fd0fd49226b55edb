#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A policy reload never drops a flow that both the old and the new policy
# allow: a flood ping from an enforced device runs while three policies,
# which allow the ping by different rules (exact, prefix, port-any), are
# loaded in turn; every echo request sent is answered. Packets are counted
# exactly (ping's own counts, and the device's counters).
. "$(dirname "$0")/lib.sh"
it_init policy-reload
it_lab 1

D=$IOTFENCE_STATE_DIR
SRV=$IT_SRV
mac=$(mac_of dev1 eth0)
COUNT=${IFN_RELOAD_PINGS:-20000}
RELOADS=${IFN_RELOADS:-30}
MAX_ROUNDS=20

# Three policies; each allows the echo to $SRV, none by the same rule.
cat >"$D/a.pol" <<EOF
device $mac lab-device
	mode enforce
	allow icmp/8 $SRV
	allow tcp/443 52.94.1.7
EOF
cat >"$D/b.pol" <<EOF
set scan-threshold 32
device $mac lab-device
	mode enforce
	allow icmp/8 10.91.9.0/24
	allow udp/123 any
EOF
cat >"$D/c.pol" <<EOF
device $mac lab-device-2
	mode enforce
	allow icmp 10.91.9.0/28
	allow tcp/8883 2001:db8::/32
EOF

check "attach" ns_ifn gw attach lan1 --new-devices enforce
check "policy a loads" ifn policy load "$D/a.pol"
check "the echo the policy allows passes" in_ns dev1 ping -c2 -i0.2 -W1 "$SRV"
check_fails "an echo no policy allows is dropped" in_ns dev1 ping -c1 -W1 10.91.1.1
check "b loads: the exact rule goes, a prefix rule comes" \
	sh -c "'$IFN' policy load '$D/b.pol' | grep -q 'removed $mac allow icmp/8 $SRV'"
check "c loads: a port-any rule comes" \
	sh -c "'$IFN' policy load '$D/c.pol' | grep -q 'added $mac allow icmp 10.91.9.0/28'"
check_eq "c: the device has exactly c's rules" "allow tcp/8883 2001:db8::/32,allow icmp 10.91.9.0/28" \
	"$(ifn policy show | awk '/^device/ { d = ($2 == m) } d && /^\t(allow|learned)/ \
		{ sub(/^\t/, ""); printf "%s%s", s, $0; s = "," }' m="$mac")"

dropped0=$(ifn device "$mac" --json | jq .dropped)
packets0=$(ifn device "$mac" --json | jq .packets)

# The flood, and reloads while it runs. A round is COUNT flood pings; rounds
# follow each other until RELOADS loads have happened during them (counted,
# not timed: a slow machine only takes more rounds, up to MAX_ROUNDS).
loads=0
failed=0
sent=0
received=0
rounds=0
while [ $loads -lt "$RELOADS" ] && [ $rounds -lt "$MAX_ROUNDS" ]; do
	in_ns dev1 ping -f -q -c "$COUNT" -w 120 "$SRV" >"$D/ping.out" 2>&1 &
	PING=$!
	IT_PIDS+=($PING)
	while kill -0 "$PING" 2>/dev/null && [ $loads -lt 600 ]; do
		for p in a b c; do
			"$IFN" policy load "$D/$p.pol" >/dev/null 2>>"$D/load.err" || failed=$((failed + 1))
			loads=$((loads + 1))
		done
	done
	wait "$PING"
	rounds=$((rounds + 1))
	sent=$((sent + $(awk '/packets transmitted/ { print $1 }' "$D/ping.out")))
	received=$((received + $(awk '/packets transmitted/ { print $4 }' "$D/ping.out")))
done
echo "  ..   $loads policy loads while $sent echo requests were sent ($rounds rounds), $received answered"

check_eq "every load succeeded" 0 "$failed"
check "$RELOADS reloads happened during the flood (at most $MAX_ROUNDS rounds)" \
	test "$loads" -ge "$RELOADS"
# With -w, ping -c counts answers: it sends until COUNT came back.
check "all $rounds x $COUNT echo requests were sent" test "$sent" -ge $((rounds * COUNT))
check_eq "zero lost: every request was answered" "$sent" "$received"
check_eq "the device's drop counter did not move" "$dropped0" \
	"$(ifn device "$mac" --json | jq .dropped)"
check "the device counted every request" \
	test "$(ifn device "$mac" --json | jq .packets)" -ge $((packets0 + sent))
check_eq "the device's flows: the last policy's rules only" 0 \
	"$(ifn device "$mac" --json | jq .flows)"
check "the name of the last policy is recorded" grep -q "^$mac lab-device-2$" "$D/names"
check_fails "an echo no policy allows is still dropped" in_ns dev1 ping -c1 -W1 10.91.1.1

it_done
