#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# How much generalisation lowers false drops on the real captures
# (iotfence.8, GENERALISATION): every IoT Sentinel device learns on one of
# its two setup captures and enforces on the other (both ways round), and
# the nku plug learns on the first 15 minutes of its 68-minute capture and
# enforces on the rest. Each --try PEERS/PORTS/V4/V6 is measured against no
# generalisation (default: the agent's defaults). One line per pair, then
# the sums.
#   tests/tools/gen_sweep.sh BUILD [PCAP_DIR] [--try P/P/V4/V6]...
set -uo pipefail
BUILD=${1:-build}
PCAPS=${2:-$(cd "$(dirname "$0")/.." && pwd)/captures}
shift $(($# < 2 ? $# : 2))
M=$BUILD/tests/gen_measure
[ -x "$M" ] || { echo "gen_sweep: $M missing (make BUILD=$BUILD tools)" >&2; exit 1; }
ls "$PCAPS"/sentinel_*_Setup-*.pcap >/dev/null 2>&1 || {
	echo "gen_sweep: no captures in $PCAPS" >&2
	exit 2
}

pairs=()
for dev in $(ls "$PCAPS"/sentinel_*_Setup-*.pcap | sed 's|.*/sentinel_\(.*\)_Setup-.*|\1|' | sort -u); do
	files=("$PCAPS"/sentinel_"$dev"_Setup-*.pcap)
	[ ${#files[@]} -eq 2 ] || continue
	pairs+=(--learn "${files[0]}" --replay "${files[1]}" --learn "${files[1]}" --replay "${files[0]}")
done
[ -e "$PCAPS/nku_xiaodu_plug.pcap" ] && pairs+=(--split 900 "$PCAPS/nku_xiaodu_plug.pcap")
# The gateways of the two datasets (SOURCES.md): their frames are not a device's.
exec "$M" --quiet "$@" --gateway 00:b5:6d:06:08:ba --gateway c8:bf:4c:77:a0:3a "${pairs[@]}"
