#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A restore is all or nothing (issue 15, item 4). The state of many devices
# is saved by the daemon; the pins are removed (a reboot) and the first
# attach, which restores it, is killed at random points. The daemon started
# next must find the whole state again, and its saves must never replace
# state.gz or state.prev.gz with the half-restored state. A snapshot that
# decompresses to more than the maps could ever hold is refused with a
# clear line, before it takes the memory.
. "$(dirname "$0")/lib.sh"
it_init restore-kill
it_lab 1

D=$IOTFENCE_STATE_DIR
CONF=$D/iotfence.conf
GWNS=/run/netns/$(ns_name gw)
NDEV=${RESTORE_KILL_DEVICES:-3000}
ROUNDS=${RESTORE_KILL_ROUNDS:-6}
DPID=""

start() {
	: >"$D/err"
	nsenter --net="$GWNS" "$IFN" run --config "$CONF" >"$D/out" 2>"$D/err" &
	DPID=$!
	IT_PIDS+=($DPID)
	it_wait 30 grep -q "running:" "$D/err"
}
stop() {
	kill -TERM "$DPID"
	it_wait 30 sh -c "! kill -0 $DPID 2>/dev/null"
	wait "$DPID"
}
# Devices in a snapshot file (its "device" lines).
in_file() { zcat "$1" 2>/dev/null | grep -c '^device '; }
pinned() { ifn devices --json | jq 'map(select(.mac | startswith("02:dd:"))) | length'; }

printf 'interface lan1 new-devices learn learn-for 0\n' >"$CONF"
awk -v n="$NDEV" 'BEGIN {
	for (k = 1; k <= n; k++) {
		printf "device 02:dd:00:00:%02x:%02x\n\tmode enforce\n", int(k / 256), k % 256
		printf "\tallow tcp/%d 10.77.0.%d\n\tallow udp/53 10.78.0.1\n", 1000 + k, k % 250 + 1
	}
}' >"$D/big.pol"

check "the daemon starts" start
check "a policy of $NDEV devices" ifn policy load "$D/big.pol"
check "SIGTERM: the daemon saves and exits" stop
check "the daemon starts again" start
check "and saves again on SIGTERM" stop
check_eq "state.gz holds every device" "$NDEV" "$(in_file "$D/state.gz")"
check_eq "state.prev.gz too" "$NDEV" "$(in_file "$D/state.prev.gz")"

# How long a restoring attach takes, to kill within it.
check "detach --all --purge (a reboot)" ifn detach --all --purge
start_ns=$(date +%s%N)
check "a first attach restores the state" ns_ifn gw attach lan1
ms=$((($(date +%s%N) - start_ns) / 1000000))
check_eq "every device restored" "$NDEV" "$(pinned)"
echo "       a restoring attach takes ${ms} ms"

bad=0
for r in $(seq 1 "$ROUNDS"); do
	"$IFN" detach --all --purge >/dev/null 2>&1
	delay=$((RANDOM % (ms + 20)))
	nsenter --net="$GWNS" "$IFN" attach lan1 >/dev/null 2>&1 &
	ap=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$ap" 2>/dev/null
	wait "$ap" 2>/dev/null
	# The daemon comes up on whatever the kill left, saves on exit.
	if ! start || ! stop; then
		bad=$((bad + 1))
		echo "       round $r: the daemon did not start and stop: $(tail -3 "$D/err")"
		continue
	fi
	now=$(pinned) f=$(in_file "$D/state.gz") p=$(in_file "$D/state.prev.gz")
	if [ "$now" != "$NDEV" ] || [ "$f" != "$NDEV" ] || [ "$p" != "$NDEV" ]; then
		bad=$((bad + 1))
		echo "       round $r (kill after ${delay} ms): $now devices pinned," \
			"$f in state.gz, $p in state.prev.gz"
	fi
done
check_eq "after every killed restore, the whole state is back and both files are whole" 0 "$bad"

# An empty state saved twice does not push out a good snapshot.
check "detach --all --purge" ifn detach --all --purge
mkdir -p "$D/aside" && mv "$D"/state*.gz "$D/aside/"
cp "$D/aside/state.gz" "$D/state.prev.gz"
check "the daemon starts with no state.gz (the previous one is restored)" start
check "and stops" stop
check "detach --all --purge" ifn detach --all --purge
rm -f "$D/state.gz"
# The snapshot restored: forget every device, save, twice.
check "the daemon starts" start
ifn devices --json | jq -r '.[].mac' | while read -r mac; do "$IFN" forget "$mac" >/dev/null; done
check "an empty state is saved" stop
check "the daemon starts" start
check "an empty state is saved again" stop
check_eq "state.gz is empty" 0 "$(in_file "$D/state.gz")"
check_eq "state.prev.gz still holds the good snapshot" "$NDEV" "$(in_file "$D/state.prev.gz")"

# A gzip bomb: 64 MB of zeros, for maps that could hold far less text.
check "detach --all --purge" ifn detach --all --purge
rm -f "$D"/state*.gz
head -c 64M /dev/zero | gzip -1 >"$D/state.gz"
nsenter --net="$GWNS" "$IFN" attach lan1 --max-devices 64 --max-flows 1024 --max-rules 64 \
	>"$D/bomb.out" 2>"$D/bomb.err"
check "the attach goes on with an empty state" ifn status
check "and says the snapshot is larger than the maps could hold" \
	grep -q "once decompressed: more than a snapshot of 64 devices, 1024 flows and 64 rules" \
	"$D/bomb.err"
cat "$D/bomb.err" | sed 's/^/       | /'

it_done
