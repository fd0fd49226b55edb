#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `iotfence replay` and its input: pcapng; a file cut short (head -c); a
# non-Ethernet file (editcap -T rawip); frames cut by the snap length
# (editcap -s); files that are missing or no captures; bad command lines.
# Never a crash, one line on stderr for each problem. Then what replay must
# not touch (pins, the state directory), that its results do not depend on
# the number of workers, and its speed, measured and printed.
# shellcheck source=tests/integration/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
it_init replay-input

P=${IFN_PCAPS:-$(cd "$(dirname "$0")/.." && pwd)/captures}
[ -r "$P/SOURCES.md" ] || { echo "no captures in $P (set IFN_PCAPS)" >&2; exit 1; }
for t in tshark editcap tcpdump jq; do
	command -v $t >/dev/null || { echo "test_replay_input.sh needs $t (scripts/deps.sh)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/ifn-replay-input-XXXXXX)
trap 'rm -rf "$T"; it_teardown' EXIT

HS_A=$P/sentinel_TP-LinkPlugHS110_Setup-A-6-STA.pcap
HS_C=$P/sentinel_TP-LinkPlugHS110_Setup-C-7-STA.pcap
HUE_A=$P/sentinel_HueBridge_Setup-C-1-STA.pcap
HUE_B=$P/sentinel_HueBridge_Setup-C-11-STA.pcap
PLUG=$P/nku_xiaodu_plug.pcap

replay() { "$IFN" replay --json "$@"; }
# run NAME ARGS...: stdout to $T/NAME.json, stderr to $T/NAME.err, status to $T/NAME.rc
run() {
	local n=$1
	shift
	"$IFN" replay "$@" >"$T/$n.json" 2>"$T/$n.err"
	echo $? >"$T/$n.rc"
}
lines() { wc -l <"$1" | tr -d ' '; }
# What a run found, without what depends on the files' names and formats.
results() { jq -S '{devices, events, gateways, totals: (.totals | del(.captures, .skipped_captures, .truncated_captures, .cut))}' "$1"; }

# --- pcapng --------------------------------------------------------------------
run ng --json "$P/debgopacket_test300.pcapng"
check_eq "pcapng: replayed" 0 "$(cat "$T/ng.rc")"
check_eq "pcapng: told by its magic" pcapng "$(jq -r '.captures[0].format' "$T/ng.json")"
check_eq "pcapng: every frame read" "$(tshark -r "$P/debgopacket_test300.pcapng" 2>/dev/null | wc -l)" \
	"$(jq '.captures[0].frames' "$T/ng.json")"
check_eq "pcapng: every frame run or left out as the gateway's" \
	"$(jq '.totals.frames' "$T/ng.json")" \
	"$(jq '.totals.run + .totals.gateway - .totals.gateway_to_devices' "$T/ng.json")"
# The same frames as pcap and as pcapng give the same results.
editcap -F pcapng "$HS_A" "$T/a.pcapng"
editcap -F pcapng "$HS_C" "$T/c.pcapng"
run pc --learn "$HS_A" "$HS_C" --json
run ng2 --learn "$T/a.pcapng" "$T/c.pcapng" --json
check_eq "pcapng: the converted captures are read as pcapng" "pcapng pcapng" \
	"$(jq -r '[.captures[].format] | join(" ")' "$T/ng2.json")"
check "pcapng: same results as the pcap files" cmp <(results "$T/pc.json") <(results "$T/ng2.json")

# --- a file cut short -------------------------------------------------------------
head -c 100000 "$PLUG" >"$T/cut.pcap"
KEPT=$(tcpdump -nn -r "$T/cut.pcap" 2>/dev/null | wc -l)
run tr --json "$T/cut.pcap"
check_eq "truncated: replayed anyway" 0 "$(cat "$T/tr.rc")"
check_eq "truncated: one line on stderr" 1 "$(lines "$T/tr.err")"
check "truncated: it names the file and where it stopped" \
	grep -q "$T/cut.pcap: stops at frame $((KEPT + 1)) " "$T/tr.err"
check_eq "truncated: status" truncated "$(jq -r '.captures[0].status' "$T/tr.json")"
check_eq "truncated: the frames before the break are kept" "$KEPT" "$(jq '.captures[0].frames' "$T/tr.json")"
check_eq "truncated: and all run but the gateway's" "$KEPT" \
	"$(jq '.totals.run + .totals.gateway - .totals.gateway_to_devices' "$T/tr.json")"
check_eq "truncated: stopped_at_frame" $((KEPT + 1)) "$(jq '.captures[0].stopped_at_frame' "$T/tr.json")"
head -c 10 "$PLUG" >"$T/head.pcap"
run th --json "$T/head.pcap"
check_eq "cut inside the file header: nothing to replay" 1 "$(cat "$T/th.rc")"
check "cut inside the file header: a warning, then why nothing ran" \
	sh -c "grep -q 'head.pcap: unreadable from the start' '$T/th.err' && grep -q 'no Ethernet frame' '$T/th.err'"

# --- not Ethernet -------------------------------------------------------------------
editcap -C 14 -T rawip "$HS_C" "$T/raw.pcap"
run raw --json "$T/raw.pcap"
check_eq "raw IP alone: nothing to replay" 1 "$(cat "$T/raw.rc")"
check "raw IP alone: says the link type is not Ethernet" \
	grep -q "raw.pcap: link type RAW (Raw IP) is not Ethernet: skipped" "$T/raw.err"
run rawmix --json --learn "$HS_A" "$T/raw.pcap" "$HS_C"
check_eq "raw IP with others: replayed" 0 "$(cat "$T/rawmix.rc")"
check_eq "raw IP with others: one line on stderr" 1 "$(lines "$T/rawmix.err")"
check_eq "raw IP with others: the capture is skipped" "skipped RAW" \
	"$(jq -r '.captures[1] | "\(.status) \(.link_type)"' "$T/rawmix.json")"
check_eq "raw IP with others: counted" 1 "$(jq '.totals.skipped_captures' "$T/rawmix.json")"
check "raw IP with others: the other captures' results unchanged" \
	cmp <(results "$T/pc.json") <(results "$T/rawmix.json")

# --- frames cut by the snap length ------------------------------------------------
# Run at their length with the missing bytes as zeros: the verdicts are the
# whole frames' as long as the headers were captured (96 bytes hold Ethernet,
# IPv4 with options and TCP with options).
editcap -s 96 "$HUE_A" "$T/hue_a96.pcap"
editcap -s 96 "$HUE_B" "$T/hue_b96.pcap"
# A DNS answer the snap length cut cannot be read (its records are gone):
# compared without names, where it would not be read either.
run hue --learn "$HUE_A" "$HUE_B" --json --no-names
run hue96 --learn "$T/hue_a96.pcap" "$T/hue_b96.pcap" --json --no-names
run hue96n --learn "$T/hue_a96.pcap" "$T/hue_b96.pcap" --json
check_eq "snap length 96: the gateway's DNS answers are read unless cut" \
	"$(for f in "$HUE_A" "$HUE_B"; do tshark -r "$f" -Y 'udp.srcport == 53 && frame.len <= 96 &&
		eth.src == 00:b5:6d:06:08:ba' 2>/dev/null; done | wc -l)" \
	"$(jq '.totals.from_gateway.dns_answers' "$T/hue96n.json")"
check_eq "snap length 96: no warning" 0 "$(lines "$T/hue96.err")"
check_eq "snap length 96: cut frames counted" \
	"$(for f in "$HUE_A" "$HUE_B"; do tshark -r "$f" -Y 'frame.len > 96' 2>/dev/null; done | wc -l)" \
	"$(jq '.totals.cut' "$T/hue96.json")"
check "snap length 96: cut frames get the whole frames' verdicts and bytes" \
	cmp <(results "$T/hue.json") <(results "$T/hue96.json")

# --- a runt: a record shorter than an Ethernet header --------------------------------
# A 10-byte record among a real capture's frames: counted, never run (no NIC
# hands XDP such a frame, and BPF_PROG_TEST_RUN refuses one), the rest as before.
# shellcheck disable=SC2059 # the format is the bytes
{
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	printf '\xff\xff\x00\x00\x01\x00\x00\x00'
	t=$(tshark -r "$HS_A" -c 1 -T fields -e frame.time_epoch 2>/dev/null | cut -d. -f1)
	printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((t & 255)) $((t >> 8 & 255)) \
		$((t >> 16 & 255)) $((t >> 24 & 255)))"
	printf '\x00\x00\x00\x00\x0a\x00\x00\x00\x0a\x00\x00\x00'
	printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00'
} >"$T/runt1.pcap"
mergecap -F pcap -w "$T/runt.pcap" "$HS_A" "$T/runt1.pcap"
run runt --json "$T/runt.pcap"
run plain --json "$HS_A"
check_eq "runt: replayed" 0 "$(cat "$T/runt.rc")"
check_eq "runt: counted" "1 1" "$(jq -r '"\(.totals.runt) \(.captures[0].runt)"' "$T/runt.json")"
check_eq "runt: read, not run" \
	"$(($(jq .totals.frames "$T/plain.json") + 1)) $(jq .speed.frames "$T/plain.json")" \
	"$(jq -r '"\(.totals.frames) \(.speed.frames)"' "$T/runt.json")"
check "runt: the other frames' results unchanged" \
	cmp <(jq 'del(.totals.runt, .totals.frames)' "$T/plain.json" | results /dev/stdin) \
	<(jq 'del(.totals.runt, .totals.frames)' "$T/runt.json" | results /dev/stdin)

# --- bad input: one line, nothing run ------------------------------------------------
run missing --json "$T/nonexistent.pcap"
check_eq "missing file: exit 1" 1 "$(cat "$T/missing.rc")"
check_eq "missing file: one line" 1 "$(lines "$T/missing.err")"
check "missing file: named, and why" grep -q "nonexistent.pcap: No such file or directory" "$T/missing.err"
run junk "$P/SOURCES.md"
check_eq "not a capture: exit 1" 1 "$(cat "$T/junk.rc")"
check "not a capture: one line naming it" sh -c \
	"[ \$(wc -l <'$T/junk.err') = 1 ] && grep -q 'SOURCES.md: not a pcap or pcapng capture' '$T/junk.err'"
check_eq "not a capture: nothing printed on stdout" 0 "$(lines "$T/junk.json")"
# The command lines below are split into words: the captures by names
# without spaces, wherever the clone lies.
ln -s "$HS_A" "$T/hs_a.pcap"
ln -s "$HS_C" "$T/hs_c.pcap"
for bad in "--workers 0" "--workers 9" "--gateway 12:34" "--learn-for soon $T/hs_c.pcap" \
	"--learn $T/hs_a.pcap" "--policy x --learn $T/hs_a.pcap $T/hs_c.pcap" \
	"--gateway none --gateway 00:11:22:33:44:55 $T/hs_c.pcap" "--bogus $T/hs_c.pcap" ""; do
	# shellcheck disable=SC2086 # the words of a command line
	run bad $bad
	check_eq "bad command line '$bad': exit 2" 2 "$(cat "$T/bad.rc")"
	check_eq "bad command line '$bad': one line" 1 "$(lines "$T/bad.err")"
done
printf 'device 02:42:ac:14:00:03\n\tmode sometimes\n' >"$T/bad.pol"
run badpol --policy "$T/bad.pol" "$P/id2t_mirai_botnet.pcap"
check_eq "bad policy: exit 1" 1 "$(cat "$T/badpol.rc")"
check "bad policy: FILE:LINE" grep -q "bad.pol:2: " "$T/badpol.err"

# --- what replay must not touch ------------------------------------------------------
printf 'device %s plug\n\tmode enforce\n\tallow udp/53 any\n' 50:c7:bf:00:c7:03 >"$T/plug.pol"
before=$(ls -d /tmp/iotfence-replay.* 2>/dev/null)
run pol --json --policy "$T/plug.pol" "$HS_C"
check_eq "policy: replayed" 0 "$(cat "$T/pol.rc")"
check_eq "no pins are made (private maps)" no "$([ -e "$IOTFENCE_PIN_DIR" ] && echo yes || echo no)"
check_eq "the state directory is left alone (names go to a private one)" "" \
	"$(ls -A "$IOTFENCE_STATE_DIR")"
check_eq "replay's private state directory is removed" "$before" \
	"$(ls -d /tmp/iotfence-replay.* 2>/dev/null)"
pk=$(jq '.devices[] | select(.mac == "50:c7:bf:00:c7:03") | .packets' "$T/pol.json")
en=$(jq '.devices[] | select(.mac == "50:c7:bf:00:c7:03") | .enforcing.packets' "$T/pol.json")
check "policy: the plug enforces from its first frame ($en of $pk frames)" \
	test -n "$pk" -a "$pk" = "$en" -a "${pk:-0}" -gt 0

# --- workers ----------------------------------------------------------------------
# All the real captures at once: 60 devices, thousands of ordered frames.
ALL=("$P"/*.pcap*)
for w in 1 2 3; do
	replay --workers $w "${ALL[@]}" >"$T/w$w.json" 2>/dev/null
done
check "workers: the same results on 1 and 2 workers" cmp <(jq -S 'del(.speed)' "$T/w1.json") \
	<(jq -S 'del(.speed)' "$T/w2.json")
check "workers: the same results on 1 and 3 workers" cmp <(jq -S 'del(.speed)' "$T/w1.json") \
	<(jq -S 'del(.speed)' "$T/w3.json")
check_eq "workers: some frames had to wait for all earlier ones" yes \
	"$(jq 'if .speed.ordered_frames > 0 then "yes" else "no" end' -r "$T/w2.json")"

# --- speed ------------------------------------------------------------------------
# Thirty times the nku plug and camera captures and the Mon(IoT)r camera:
# 211500 frames of 4 devices with their own addresses, so the default runs one
# worker per CPU. Timed: the runs of frames already in memory.
BIG=()
for _ in $(seq 30); do
	BIG+=("$PLUG" "$P/nku_xiaobai_Y2camera_speak_local.pcap"
		"$P/nku_xiaobai_Y2camera_idle_local.pcap" "$P/monitr_yi_camera_sample.pcap")
done
replay "${BIG[@]}" >"$T/big.json" 2>/dev/null
replay --workers 1 "${BIG[@]}" >"$T/big1.json" 2>/dev/null
check_eq "speed: every frame run is timed" "$(jq .totals.run "$T/big.json")" \
	"$(jq .speed.frames "$T/big.json")"
check "speed: the same results on the default workers and on one" \
	cmp <(jq -S 'del(.speed)' "$T/big.json") <(jq -S 'del(.speed)' "$T/big1.json")
for f in big big1; do
	jq -r '.speed | "    speed: \(.frames_per_second | floor) frames/s, \(.frames) frames in " +
		"\(.seconds * 1000 | floor) ms on \(.workers) worker(s) (\(.ordered_frames) ordered)"' "$T/$f.json"
done
echo "    load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

it_done
