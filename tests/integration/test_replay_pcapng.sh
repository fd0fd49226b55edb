#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Replay's own pcapng reader (issue 15, item 8): a pcapng with an Ethernet
# interface and a raw IP one, their frames interleaved, replays every
# Ethernet frame and skips and counts the others (libpcap stopped at the
# first raw IP frame and replayed nothing); it gives the results of the
# Ethernet frames alone. A pcapng cut short keeps the frames before the
# break. A record captured longer than it was on the wire is counted and
# not run (it was run uncounted). No network: replay runs offline.
# shellcheck source=tests/integration/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
it_init replay-pcapng

P=${IFN_PCAPS:-$(cd "$(dirname "$0")/.." && pwd)/captures}
for t in tshark editcap mergecap jq; do
	command -v $t >/dev/null || { echo "test_replay_pcapng.sh needs $t (scripts/deps.sh)" >&2; exit 1; }
done
T=$IOTFENCE_STATE_DIR
HS_A=$P/sentinel_TP-LinkPlugHS110_Setup-A-6-STA.pcap
HS_C=$P/sentinel_TP-LinkPlugHS110_Setup-C-7-STA.pcap
# What a run found, without what depends on the files' names and formats.
results() { jq -S '{devices, events, gateways, totals: (.totals | del(.captures, .skipped_captures, .truncated_captures, .cut, .not_ethernet))}' "$1"; }
run() { # NAME ARGS...: stdout to $T/NAME.json, stderr to $T/NAME.err, status to $T/NAME.rc
	local n=$1
	shift
	"$IFN" replay --json "$@" >"$T/$n.json" 2>"$T/$n.err"
	echo $? >"$T/$n.rc"
}

# --- Ethernet and raw IP interfaces in one pcapng ---------------------------------
editcap -C 14 -T rawip "$HS_C" "$T/raw.pcapng"
mergecap -F pcapng -w "$T/mix.pcapng" "$HS_A" "$T/raw.pcapng"
ETH=$(tshark -r "$T/mix.pcapng" -Y 'frame.interface_id == 0' 2>/dev/null | wc -l)
RAW=$(tshark -r "$T/mix.pcapng" -Y 'frame.interface_id == 1' 2>/dev/null | wc -l)
FIRST_RAW=$(tshark -r "$T/mix.pcapng" -T fields -e frame.number -Y 'frame.interface_id == 1' 2>/dev/null | head -1)
check "the mixed capture interleaves them (a raw IP frame before the last Ethernet one)" \
	test "$FIRST_RAW" -lt $((ETH + RAW)) -a "$ETH" -gt 0 -a "$RAW" -gt 0
run mix "$T/mix.pcapng"
run eth "$HS_A"
check_eq "mixed pcapng: replayed" 0 "$(cat "$T/mix.rc")"
check_eq "mixed pcapng: every Ethernet frame read" "$ETH" "$(jq '.captures[0].frames' "$T/mix.json")"
check_eq "mixed pcapng: every raw IP frame skipped and counted" "$RAW $RAW" \
	"$(jq -r '"\(.captures[0].not_ethernet) \(.totals.not_ethernet)"' "$T/mix.json")"
check_eq "mixed pcapng: status ok, link type Ethernet" "ok EN10MB" \
	"$(jq -r '.captures[0] | "\(.status) \(.link_type)"' "$T/mix.json")"
check_eq "mixed pcapng: one line on stderr" 1 "$(wc -l <"$T/mix.err")"
check "mixed pcapng: it names the link type skipped and the count" \
	grep -q "mix.pcapng: $RAW frames skipped: their interface's link type RAW (Raw IP) is not Ethernet; the $ETH Ethernet frames are replayed" "$T/mix.err"
check "mixed pcapng: the results of the Ethernet capture alone" \
	cmp <(results "$T/eth.json") <(results "$T/mix.json")
run raw "$T/raw.pcapng"
check_eq "raw IP pcapng alone: nothing to replay" 1 "$(cat "$T/raw.rc")"
check "raw IP pcapng alone: skipped, as a pcap of that link type" \
	grep -q "raw.pcapng: link type RAW (Raw IP) is not Ethernet: skipped" "$T/raw.err"

# --- timestamps: if_tsresol (nanoseconds) and the default microseconds ---------------
NG=$P/debgopacket_test300.pcapng
run ns "$NG"
E=$(tshark -r "$NG" -c 1 -T fields -e frame.time_epoch 2>/dev/null)
check_eq "nanosecond pcapng: its times (if_tsresol 9)" \
	"$(date -u -d "@${E%.*}" +%Y-%m-%dT%H:%M:%S).${E#*.}" \
	"$(jq -r '.captures[0].first' "$T/ns.json" | sed 's/Z$//')$(echo "${E#*.}" | cut -c4-)"
editcap -F pcapng "$HS_A" "$T/us.pcapng"
run us "$T/us.pcapng"
check_eq "microsecond pcapng: the pcap's times" "$(jq -c '[.captures[0].first, .captures[0].last]' "$T/eth.json")" \
	"$(jq -c '[.captures[0].first, .captures[0].last]' "$T/us.json")"

# --- a pcapng cut short ------------------------------------------------------------
# Two thirds of it: past the raw IP frames, which come first (older), into the Ethernet ones.
head -c $(($(stat -c %s "$T/mix.pcapng") * 2 / 3)) "$T/mix.pcapng" >"$T/cut.pcapng"
KEPT=$(tshark -r "$T/cut.pcapng" -Y 'frame.interface_id == 0' 2>/dev/null | wc -l)
run cut "$T/cut.pcapng"
check_eq "cut pcapng: replayed" 0 "$(cat "$T/cut.rc")"
check "cut pcapng: some Ethernet frames before the break" test "$KEPT" -gt 0
check_eq "cut pcapng: truncated, the Ethernet frames before the break kept" "truncated $KEPT" \
	"$(jq -r '.captures[0] | "\(.status) \(.frames)"' "$T/cut.json")"
check "cut pcapng: a warning naming where it stops" grep -q "cut.pcapng: stops at frame $((KEPT + 1)) (byte [0-9]*): the file ends inside a block" "$T/cut.err"
head -c 20 "$T/mix.pcapng" >"$T/head.pcapng"
run head "$T/head.pcapng"
check "pcapng cut in its first block: unreadable from the start" \
	grep -q "head.pcapng: unreadable from the start" "$T/head.err"

# --- a record captured longer than it was on the wire --------------------------------
# shellcheck disable=SC2059 # the format is the bytes
{
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	printf '\xff\xff\x00\x00\x01\x00\x00\x00'
	# 1.7e9 s, caplen 60, len 42: an ARP request padded past its length
	printf '\x00\xa5\x54\x65\x00\x00\x00\x00\x3c\x00\x00\x00\x2a\x00\x00\x00'
	printf '\xff\xff\xff\xff\xff\xff\x02\xaa\x00\x00\x00\x01\x08\x06'
	printf '\x00\x01\x08\x00\x06\x04\x00\x01\x02\xaa\x00\x00\x00\x01\x0a\x00\x00\x02'
	printf '\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x01'
	printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
} >"$T/long1.pcap"
mergecap -F pcap -w "$T/long.pcap" "$HS_A" "$T/long1.pcap"
run long "$T/long.pcap"
check_eq "caplen above len: replayed" 0 "$(cat "$T/long.rc")"
check_eq "caplen above len: counted" "1 1" \
	"$(jq -r '"\(.captures[0].bad_length) \(.totals.bad_length)"' "$T/long.json")"
check_eq "caplen above len: read, not run" \
	"$(($(jq .totals.frames "$T/eth.json") + 1)) $(jq .speed.frames "$T/eth.json")" \
	"$(jq -r '"\(.totals.frames) \(.speed.frames)"' "$T/long.json")"
check "caplen above len: the other frames' results unchanged" \
	cmp <(jq 'del(.totals.bad_length, .totals.frames)' "$T/eth.json" | results /dev/stdin) \
	<(jq 'del(.totals.bad_length, .totals.frames)' "$T/long.json" | results /dev/stdin)

it_done
