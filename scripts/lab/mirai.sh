#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# mirai.sh - turn a lab device into a Mirai-like bot, run inside the device's
# namespace by `scripts/lab.sh infect DEVICE`. Bounded in packets and time,
# and aimed only at lab addresses.
#
#   mirai.sh RESULT_FILE [SCAN_TARGETS] [FLOOD_DATAGRAMS]
#
# 1. Telnet scan, as Mirai's scanner does it: SCAN_TARGETS (default 96)
#    addresses, each probed on TCP 23, one in ten on 2323. Targets are the
#    device's LAN neighbours (lateral movement) and random addresses of the
#    lab's cloud range (198.18.0.0/15). Mirai sends raw SYNs; this bot makes
#    connect() attempts with nc -z (one SYN and, when it is not answered, a
#    retransmission within the 1 s timeout), 32 in parallel.
# 2. A UDP flood ("udpplain") of FLOOD_DATAGRAMS (default 20000) 512-byte
#    datagrams at one victim address of the lab's cloud, port 9 where
#    nothing listens, as fast as socat sends them, for at most 20 s.
#
# RESULT_FILE gets "key value" lines as the phases end: scan_started,
# scan_probes, scan_connected, scan_ended, flood_started, flood_bytes,
# flood_frames_tx (the device's eth0 tx counter over the flood, which also
# counts the few frames of the device's own loop meanwhile), flood_ended,
# finished. Times are epoch seconds.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: mirai.sh RESULT_FILE [SCAN_TARGETS] [FLOOD_DATAGRAMS]" >&2
	exit 2
fi
OUT=$1
TARGETS=${2:-96}
FLOOD=${3:-20000}
case "$TARGETS$FLOOD" in
*[!0-9]*)
	echo "mirai.sh: SCAN_TARGETS and FLOOD_DATAGRAMS are numbers" >&2
	exit 2
	;;
esac
[ "$TARGETS" -le 1024 ] || { echo "mirai.sh: at most 1024 scan targets" >&2; exit 2; }
[ "$FLOOD" -le 1000000 ] || { echo "mirai.sh: at most 1000000 datagrams" >&2; exit 2; }

# shellcheck source=scripts/lab/addrs.sh disable=SC1091
. "$(dirname "$0")/addrs.sh"

VICTIM=$FLOOD_VICTIM
IFACE=eth0

note() { echo "$1 $2" >>"$OUT"; }
tx_packets() { cat "/sys/class/net/$IFACE/statistics/tx_packets"; }

: >"$OUT"
me=$(ip -4 -o addr show dev "$IFACE" | awk '{split($4, a, "/"); print a[1]}')

# Phase 1: the telnet scan.
targets=("$LAN_GW")
for ((i = 10; i < 10 + LAB_MAX_DEVICES; i++)); do
	[ "${#targets[@]}" -lt $((TARGETS / 4)) ] || break
	[ "$LAN_PREFIX.$i" = "$me" ] || targets+=("$LAN_PREFIX.$i")
done
while [ "${#targets[@]}" -lt "$TARGETS" ]; do
	# 198.18.0.0/15: the second octet is 18 or 19.
	targets+=("198.$((18 + RANDOM % 2)).$((RANDOM % 256)).$((1 + RANDOM % 254))")
done

note scan_started "$(date +%s)"
probes=0
connected=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < ${#targets[@]}; i++)); do
	port=23
	[ $((i % 10)) -ne 9 ] || port=2323
	(nc -z -n -w 1 "${targets[$i]}" "$port" >/dev/null 2>&1 && touch "$tmp/$i") &
	probes=$((probes + 1))
	if [ $((probes % 32)) -eq 0 ]; then
		wait
	fi
done
wait
connected=$(find "$tmp" -type f | wc -l)
note scan_probes "$probes"
note scan_connected "$connected"
note scan_ended "$(date +%s)"

# Phase 2: the flood.
note flood_started "$(date +%s)"
before=$(tx_packets)
head -c $((FLOOD * 512)) /dev/zero |
	timeout 20 socat -b 512 -u - "UDP4-SENDTO:$VICTIM:9" 2>/dev/null || true
after=$(tx_packets)
note flood_bytes $((FLOOD * 512))
note flood_frames_tx $((after - before))
note flood_ended "$(date +%s)"
note finished "$(date +%s)"
