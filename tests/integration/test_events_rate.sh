#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A device that floods its one allowed flow is policed to its rate: the
# rate delivered past the gateway, measured at the receiver, is compared
# with the limit, in packets/s and then in bytes/s. Every frame over the
# rate is either a RATE_EXCEEDED event or counted as suppressed, and
# `iotfence events` reports the suppressed ones as EVENTS_LOST, exactly as
# many as the datapath counted. Floods are bounded by count (and so by
# time), and go to the lab's server only.
. "$(dirname "$0")/lib.sh"
it_init events-rate
it_lab 1

SRV=$IT_SRV
bg_ns srv socat -u UDP-RECV:9 /dev/null
it_wait 5 in_ns srv sh -c 'ss -lun | grep -q ":9 "'
ns_ifn gw attach lan1 --new-devices learn --learn-for 0 >/dev/null
MAC=$(mac_of dev1 eth0)

# Learn the flow with one datagram, then enforce it.
in_ns dev1 bash -c "printf x >/dev/udp/$SRV/9"
it_wait 5 sh -c "[ \"\$('$IFN' device $MAC --json | jq .flows)\" -ge 1 ]"
check "enforce the flooder" ifn enforce "$MAC"

rx() { in_ns srv cat /sys/class/net/eth0/statistics/rx_packets; }
dev() { ifn device "$MAC" --json | jq -r "$1"; }
now_ns() { date +%s%N; }

# flood N PAYLOAD_BYTES: N datagrams as fast as one shell can write them;
# prints "sent_frames seconds".
flood() {
	local t0 t1
	t0=$(now_ns)
	in_ns dev1 bash -c "
		p=\$(head -c $2 /dev/zero | tr '\\0' x)
		exec 3>/dev/udp/$SRV/9
		for ((i = 0; i < $1; i++)); do printf '%s' \"\$p\" >&3; done" 2>/dev/null
	t1=$(now_ns)
	echo "$1 $(((t1 - t0) / 1000))"
}

# measure LABEL LIMIT UNIT BURST N PAYLOAD FRAME_BYTES
measure() {
	local label=$1 limit=$2 unit=$3 burst=$4 n=$5 payload=$6 fbytes=$7
	local rx0 pass0 rl0 out sent us rx1 got rate offered
	rx0=$(rx)
	pass0=$(dev .packets)
	rl0=$(dev '.drop_reasons.rate_limit // 0')
	out=$(flood "$n" "$payload")
	read -r sent us <<<"$out"
	sleep 0.2
	rx1=$(rx)
	got=$((rx1 - rx0))
	if [ "$unit" = pps ]; then
		rate=$(((got - burst) * 1000000 / us))
		offered=$((sent * 1000000 / us))
	else
		rate=$(((got * fbytes - burst) * 1000000 / us))
		offered=$((sent * fbytes * 1000000 / us))
	fi
	echo "  ..   $label: offered $offered $unit for $((us / 1000)) ms; $got of $sent frames" \
		"delivered: $rate $unit after the burst of $burst, limit $limit" \
		"($((rate * 100 / limit))%)"
	# The delivered rate says something about the limit only while the
	# flood stays well above it; how fast a shell floods is the machine's
	# speed, which this test does not judge: a slow flood measures nothing.
	if [ "$offered" -ge $((limit * 4)) ]; then
		check "$label: delivered rate within 10% of the limit" \
			test "$rate" -ge $((limit * 90 / 100)) -a "$rate" -le $((limit * 110 / 100))
	else
		echo "  --   $label: the flood offered less than 4x the limit on this machine:" \
			"the delivered rate is not judged (the exact counts below are)"
	fi
	check_eq "$label: every frame not delivered was dropped for its rate" "$((sent - got))" \
		"$(($(dev '.drop_reasons.rate_limit // 0') - rl0))"
	check "$label: the device's counters saw the whole flood" \
		test $(($(dev .packets) - pass0)) -ge "$sent"
}

# Packets/s: 100000 small datagrams against 2000 pps (burst 200).
check "police 2000 packets/s" ifn rate "$MAC" --pps 2000 --bps 0 --burst-packets 200
measure "packets/s" 2000 pps 200 100000 1 0

# Bytes/s: 1000-byte datagrams (1042-byte frames) against 200 kB/s.
check "police 200000 bytes/s" ifn rate "$MAC" --pps 0 --bps 200000 --burst-bytes 20000
measure "bytes/s" 200000 B/s 20000 40000 1000 1042

# Every frame over the rate: an event or a suppressed one, nothing else.
EV=$IOTFENCE_STATE_DIR/events.json
check "events --json reads the ring" sh -c "'$IFN' events --json >'$EV'"
RL=$(dev '.drop_reasons.rate_limit // 0')
SUP=$(dev .events_suppressed)
NEV=$(jq -s --arg m "$MAC" 'map(select(.type == "RATE_EXCEEDED" and .mac == $m)) | length' "$EV")
echo "  ..   $RL frames over the rate: $NEV RATE_EXCEEDED events, $SUP suppressed"
check "RATE_EXCEEDED events were sent, and limited" test "$NEV" -ge 1 -a "$NEV" -lt 100
check_eq "events + suppressed = frames over the rate" "$RL" $((NEV + SUP))
check "RATE_EXCEEDED carries the policed flow" \
	jq -se --arg m "$MAC" --arg s "$SRV" 'map(select(.type == "RATE_EXCEEDED" and .mac == $m)) |
		all(.flow.proto == "udp" and .flow.port == 9 and .flow.peer == $s)' "$EV"
LOST=$(ifn status --json | jq .counters.events_lost)
check_eq "EVENTS_LOST reports what the datapath counted" "$LOST" \
	"$(jq -s 'map(select(.type == "EVENTS_LOST") | .lost) | add' "$EV")"
check "EVENTS_LOST comes last, with no device" \
	jq -se 'last | .type == "EVENTS_LOST" and .mac == null and .flow == null' "$EV"

it_done
