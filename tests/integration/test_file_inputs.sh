#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Files an operator names are read without blocking and never by halves
# (issue 15, items 5 and 9). A FIFO as policy, configuration or capture is
# refused at once with one line (it used to block forever); a daemon whose
# policy path became a FIFO reloads (SIGHUP), refuses it and goes on, and
# still stops on SIGTERM. A /proc file is no policy. A policy rewritten in
# place while it is read is refused, never loaded in part.
. "$(dirname "$0")/lib.sh"
it_init file-inputs
it_ns_quiet gw
it_ns_quiet dev1
it_link gw lan1 10.94.0.1/24 dev1 eth0 10.94.0.2/24

D=$IOTFENCE_STATE_DIR
GWNS=/run/netns/$(ns_name gw)
DPID=""
mkfifo "$D/fifo"
# t: the command with a deadline far beyond any read, so that a hang fails
# the check instead of the test (timeout exits 124).
t() { timeout 20 "$@"; }

check "attach lan1" ns_ifn gw attach lan1
check_error "policy check of a FIFO" "fifo: cannot read: a FIFO, not a regular file" \
	t "$IFN" policy check "$D/fifo"
check_error "policy load of a FIFO" "fifo: cannot read: a FIFO, not a regular file" \
	t "$IFN" policy load "$D/fifo"
check_error "policy load of a directory" "cannot read: a directory, not a regular file" \
	t "$IFN" policy load "$D"
check_error "run --config of a FIFO" "a FIFO, not a regular file" \
	t nsenter --net="$GWNS" "$IFN" run --config "$D/fifo"
check_error "replay of a FIFO" "replay: .*fifo: a FIFO, not a regular file" \
	t "$IFN" replay "$D/fifo"
check_error "a /proc file is no policy" "status: cannot read: a file of /proc" \
	t "$IFN" policy check /proc/self/status

# The daemon: its policy path becomes a FIFO, SIGHUP.
printf 'device 02:dd:00:00:00:01\n\tmode enforce\n' >"$D/p.pol"
printf 'interface lan1\npolicy %s\nsnapshot-interval 1s\n' "$D/p.pol" >"$D/conf"
nsenter --net="$GWNS" "$IFN" run --config "$D/conf" >"$D/out" 2>"$D/err" &
DPID=$!
IT_PIDS+=($DPID)
check "the daemon runs" it_wait 20 grep -q "running:" "$D/err"
rm "$D/p.pol"
mkfifo "$D/p.pol"
kill -HUP "$DPID"
check "the reload refuses the FIFO" it_wait 20 grep -q "p.pol: cannot read: a FIFO" "$D/err"
rm -f "$D/state.gz"
check "and the daemon goes on saving" it_wait 20 test -s "$D/state.gz"
kill -TERM "$DPID"
check "SIGTERM stops it" it_wait 20 sh -c "! kill -0 $DPID 2>/dev/null"
kill -KILL "$DPID" 2>/dev/null # one that hangs must not hang the test
wait "$DPID"
check_eq "with exit status 0" 0 "$?"

# A policy rewritten in place (truncated, then written) while it is read:
# every check sees the whole file or refuses it, never a part.
awk 'BEGIN { for (k = 1; k <= 4000; k++)
	printf "device 02:dd:00:00:%02x:%02x\n\tallow tcp/%d 10.77.0.1\n", int(k / 256), k % 256, k }' \
	>"$D/big.src"
cp "$D/big.src" "$D/big.pol"
(while :; do cat "$D/big.src" >"$D/big.pol"; done) &
IT_PIDS+=($!)
whole=0 refused=0 partial=0
for i in $(seq 1 60); do
	"$IFN" policy check "$D/big.pol" >"$D/c.out" 2>"$D/c.err"
	if grep -q "4000 devices, 4000 rules" "$D/c.out"; then
		whole=$((whole + 1))
	elif grep -q "changed while it was read" "$D/c.err" && [ "$(wc -l <"$D/c.err")" -eq 1 ]; then
		refused=$((refused + 1))
	else
		partial=$((partial + 1))
		[ "$partial" -eq 1 ] && head -3 "$D/c.out" "$D/c.err" | sed 's/^/       | /'
	fi
done
echo "       60 checks during rewrites: $whole whole, $refused refused, $partial partial"
check_eq "no check saw part of the file" 0 "$partial"
check "at least one saw the file change and refused it" test "$refused" -gt 0

it_done
