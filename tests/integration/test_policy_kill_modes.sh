#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An interrupted `policy load` never leaves a device more open than both the
# old and the new policy (issue 15, item 1). A policy of many devices the
# maps do not know yet is loaded and stopped at random points: by SIGKILL,
# each device is then absent or in its new mode (never in trust, which lets
# everything pass); TERM, HUP and INT wait until the load is done, so it is
# then complete or never started. Then back and forth between a policy that
# quarantines every device and one that enforces: after every kill each
# device is in one of the two, never in anything more open.
. "$(dirname "$0")/lib.sh"
it_init policy-kill-modes
it_lab 1

D=$IOTFENCE_STATE_DIR
NDEV=${KILL_MODE_DEVICES:-3000}
ROUNDS=${KILL_MODE_ROUNDS:-6}

# policy MODE: NDEV devices in MODE, two rules each.
policy() {
	awk -v n="$NDEV" -v mode="$1" 'BEGIN {
		print "new-devices learn learn-for 0"
		for (k = 1; k <= n; k++) {
			printf "device 02:dd:00:00:%02x:%02x\n\tmode %s\n", int(k / 256), k % 256, mode
			printf "\tallow tcp/%d 10.77.0.%d\n\tallow udp/53 10.78.0.1\n", 1000 + k, k % 250 + 1
		}
	}'
}
# modes: "MODE COUNT" of the devices the policies name, one line each.
modes() {
	ifn devices --json | jq -r '.[] | select(.mac | startswith("02:dd:")) | .mode' |
		sort | uniq -c | awk '{ print $2, $1 }'
}
# kill_load SIG POLICY DELAY_MS: start a load, send SIG after DELAY_MS, wait.
kill_load() {
	"$IFN" policy load "$D/$2.pol" >/dev/null 2>&1 &
	local lp=$!
	sleep "$(printf '%d.%03d' $(($3 / 1000)) $(($3 % 1000)))"
	kill -"$1" "$lp" 2>/dev/null
	wait "$lp" 2>/dev/null
}

check "attach lan1" ns_ifn gw attach lan1 --new-devices learn --learn-for 0
policy enforce >"$D/enforce.pol"
policy quarantine >"$D/quarantine.pol"
printf 'new-devices learn learn-for 0\n' >"$D/empty.pol"

# How long a whole load of new devices takes, to kill within it.
start=$(date +%s%N)
check "a full load of $NDEV new devices" ifn policy load "$D/enforce.pol"
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "every device enforces" "enforce $NDEV" "$(modes)"
echo "       a full load takes ${ms} ms"

# forget_all: back to no device (a fresh pinned state), so that the next
# load creates them all.
forget_all() {
	"$IFN" detach --all --purge >/dev/null 2>&1 &&
		ns_ifn gw attach lan1 --new-devices learn --learn-for 0 >/dev/null 2>&1 &&
		[ -z "$(modes)" ]
}

# Devices created by a load that is killed: absent or in their mode.
for sig in KILL TERM HUP INT; do
	bad=0 complete=0 partial=0 none=0
	for r in $(seq 1 "$ROUNDS"); do
		check "no device of the policy is known (round $r, $sig)" forget_all
		kill_load "$sig" enforce $((RANDOM % (ms + 10)))
		now=$(modes)
		case "$now" in
		"") none=$((none + 1)) ;;
		"enforce $NDEV") complete=$((complete + 1)) ;;
		enforce*) partial=$((partial + 1)) ;;
		*)
			bad=$((bad + 1))
			echo "       round $r: $(echo "$now" | tr '\n' ' ')"
			;;
		esac
	done
	echo "       SIG$sig: $complete complete, $partial part-way, $none not started"
	check_eq "SIG$sig: no device left in a mode other than its policy's" 0 "$bad"
	if [ "$sig" != KILL ]; then
		check_eq "SIG$sig waits for the load: never part-way" 0 "$partial"
	fi
done

# Between two policies: quarantine <-> enforce, killed at random points.
check "load the enforce policy" ifn policy load "$D/enforce.pol"
bad=0
next=quarantine
for r in $(seq 1 $((ROUNDS * 2))); do
	sig=KILL
	[ $((r % 2)) -eq 0 ] && sig=TERM
	kill_load "$sig" "$next" $((RANDOM % (ms + 10)))
	if modes | grep -Ev '^(enforce|quarantine) ' >"$D/open"; then
		bad=$((bad + 1))
		echo "       round $r (SIG$sig): $(tr '\n' ' ' <"$D/open")"
	fi
	[ "$next" = quarantine ] && next=enforce || next=quarantine
done
check_eq "between quarantine and enforce, no device ever more open" 0 "$bad"
check "the next load completes" ifn policy load "$D/quarantine.pol"
check_eq "and leaves every device in quarantine" "quarantine $NDEV" "$(modes)"

it_done
