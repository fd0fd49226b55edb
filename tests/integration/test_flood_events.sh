#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Event flood: devices in monitor mode that each open a new flow per frame
# make a VIOLATION per frame, far more than the ring holds. While the reader
# is stopped the ring saturates: with every device under its per-device
# limit, what is not sent is what the full ring refused, and every event is
# either sent or counted as lost, to the unit. Once the reader goes on
# it prints every event that was sent and reports the lost ones as
# EVENTS_LOST, to the same total; its memory stays flat. Then the same with
# `iotfence events --follow` reading while the flood runs.
. "$(dirname "$0")/lib.sh"
it_init flood-events
it_lab 1

FLOOD=${IFN_BUILD:-$(dirname "$IFN")}/tests/ifn_flood
FRAMES=${FLOOD_EVENT_FRAMES:-200000}
NDEV=200
D=$IOTFENCE_STATE_DIR
GWNS=/run/netns/$(ns_name gw)
[ -x "$FLOOD" ] || { echo "missing $FLOOD: make tools" >&2; exit 1; }

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
counter() { ifn status --json | jq -r ".counters.$1"; }
suppressed() { ifn devices --json | jq '[.[].events_suppressed] | add // 0'; }
flood() { # FRAMES: from the NDEV devices, through the pinned program
	nsenter --net="$GWNS" "$FLOOD" events "$IOTFENCE_PIN_DIR/prog" lan1 "$1" $NDEV 64
}
lost_reported() { # FILE: the sum of the EVENTS_LOST reports in it
	jq -s '[.[] | select(.type == "EVENTS_LOST") | .lost] | add // 0' "$1"
}

check "attach lan1, new devices in monitor" \
	ns_ifn gw attach lan1 --new-devices monitor --learn-for 0
# As many events per device as the settings allow, one scan window for all.
check "settings: event-limit 255, scan-window 60s" \
	ifn settings event-limit 255 scan-window 60s
printf 'interface lan1\nmetrics-interval 1s\nmetrics-file %s/m.prom\n' "$D" >"$D/iotfence.conf"
nsenter --net="$GWNS" "$IFN" run --config "$D/iotfence.conf" >"$D/events" 2>"$D/daemon.err" &
DPID=$!
IT_PIDS+=("$DPID")
check "the daemon runs" it_wait 10 grep -q "running" "$D/daemon.err"
sleep 1
rss0=$(rss "$DPID")
sent0=$(counter events_sent)
lost0=$(counter events_lost)

# --- the reader stopped: the ring saturates --------------------------------
# 200 frames a device: with NEW_DEVICE and SCAN, 202 events each, under the
# limit of 255 a second, so the limit refuses nothing and the ring does.
FRAMES1=$((NDEV * 200))
kill -STOP "$DPID"
out=$(flood "$FRAMES1")
check_eq "the flood ran" 0 $?
echo "       $out"
sent=$(($(counter events_sent) - sent0))
lost=$(($(counter events_lost) - lost0))
supp=$(suppressed)
# Every frame is a VIOLATION; each device also made NEW_DEVICE and one SCAN.
tried=$((FRAMES1 + 2 * NDEV))
echo "       events: $tried made, $sent sent, $lost not sent (the ring was full);" \
	"devices count $supp not sent"
check_eq "every event is sent or counted as lost" "$tried" $((sent + lost))
check "the full ring is counted (events_lost > 0 with no device over its limit)" \
	test "$lost" -gt 0
check_eq "... and per device (events_suppressed)" "$lost" "$supp"
check "the ring took no more than it holds (256 KiB of 104-byte records)" \
	test "$sent" -le $((256 * 1024 / 104))

kill -CONT "$DPID"
total_sent=$(counter events_sent)
total_lost=$(counter events_lost)
# The daemon prints every event that was sent, then what was lost.
check "the daemon catches up: every sent event is printed" \
	it_wait 20 sh -c "test \$(grep -vc '\"EVENTS_LOST\"' '$D/events') -ge $total_sent"
check_eq "... and not one more" "$total_sent" "$(grep -vc '"EVENTS_LOST"' "$D/events")"
check "the daemon reports every lost event as EVENTS_LOST" \
	it_wait 5 sh -c "test \$(jq -s '[.[] | select(.type == \"EVENTS_LOST\") | .lost] | add // 0' '$D/events') -eq $total_lost"
echo "       EVENTS_LOST reported: $(lost_reported "$D/events") of $total_lost"
rss1=$(rss "$DPID")
check "the daemon's memory is flat (grew < 2 MiB: $rss0 -> $rss1 kB)" test $((rss1 - rss0)) -lt 2048
check "the daemon is alive" kill -0 "$DPID"
kill -TERM "$DPID"
it_wait 5 sh -c "! kill -0 $DPID"

# --- iotfence events --follow reading while the flood runs -----------------
"$IFN" events --follow --json >"$D/follow" 2>"$D/follow.err" &
FPID=$!
IT_PIDS+=("$FPID")
sleep 1
rss0=$(rss "$FPID")
sent0=$(counter events_sent)
lost0=$(counter events_lost)
ifn devices --json | jq -r '.[].mac' | while read -r m; do ifn forget "$m" >/dev/null; done
out=$(flood "$FRAMES")
echo "       $out"
sent=$(($(counter events_sent) - sent0))
lost=$(($(counter events_lost) - lost0))
tried=$((FRAMES + 2 * NDEV))
echo "       events: $tried made, $sent sent, $lost not sent (limit or ring) while a reader read"
check_eq "every event is sent or counted as lost" "$tried" $((sent + lost))
total_sent=$(counter events_sent)
total_lost=$(counter events_lost)
check "events --follow prints every event sent meanwhile" \
	it_wait 20 sh -c "test \$(grep -vc '\"EVENTS_LOST\"' '$D/follow') -ge $sent"
check "events --follow reports every lost event" \
	it_wait 5 sh -c "test \$(jq -s '[.[] | select(.type == \"EVENTS_LOST\") | .lost] | add // 0' '$D/follow') -eq $total_lost"
rss1=$(rss "$FPID")
check "events --follow's memory is flat (grew < 2 MiB: $rss0 -> $rss1 kB)" \
	test $((rss1 - rss0)) -lt 2048
echo "       events --follow: $(grep -vc '"EVENTS_LOST"' "$D/follow") events," \
	"$(lost_reported "$D/follow") reported lost; RSS $rss0 -> $rss1 kB"
kill "$FPID"

it_done
