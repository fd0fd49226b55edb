#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Replay's clock (issue 15, item 8): a pcap record's seconds are an unsigned
# 32-bit field, so a capture of 2100 is reported as 2100 (it was 2548, from
# a sign wrap at 2^31), and the largest stamp, 0xffffffff (2106), runs on a
# sane clock: the device learns, as in any capture, instead of every frame
# coming after the end of time. Captures dated 1970 end learning in 1970.
# A failed replay --json prints a JSON error object. No network: replay
# runs offline.
. "$(dirname "$0")/lib.sh"
it_init replay-clock

D=$IOTFENCE_STATE_DIR

le32() { # a number as 4 little-endian bytes (printf escapes)
	local v=$1
	printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((v & 255)) $((v >> 8 & 255)) \
		$((v >> 16 & 255)) $((v >> 24 & 255))
}
# pcap FILE SECONDS...: one ARP request from 02:aa:00:00:00:01 per stamp.
pcap() {
	local out=$1 ts frame
	shift
	frame='\xff\xff\xff\xff\xff\xff\x02\xaa\x00\x00\x00\x01\x08\x06'
	frame+='\x00\x01\x08\x00\x06\x04\x00\x01\x02\xaa\x00\x00\x00\x01\x0a\x00\x00\x02'
	frame+='\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x01'
	frame+='\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	{
		printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00'
		printf '\xff\xff\x00\x00\x01\x00\x00\x00'
		for ts in "$@"; do
			printf "$(le32 "$ts")\\x00\\x00\\x00\\x00\\x3c\\x00\\x00\\x00\\x3c\\x00\\x00\\x00"
			printf "$frame"
		done
	} >"$out"
}

pcap "$D/y2100.pcap" 4102444800 4102444801 4102444802
pcap "$D/max.pcap" 4294967295 4294967295 4294967295

check "replay of a capture from 2100" sh -c "'$IFN' replay --json '$D/y2100.pcap' >'$D/a.json'"
check_eq "its first frame is dated 2100" "2100-01-01T00:00:00.000Z" \
	"$(jq -r '.captures[0].first' "$D/a.json")"
check_eq "its last frame too" "2100-01-01T00:00:02.000Z" "$(jq -r '.captures[0].last' "$D/a.json")"

check "replay of a capture stamped 0xffffffff" sh -c "'$IFN' replay --json '$D/max.pcap' >'$D/b.json'"
check_eq "dated 2106" "2106-02-07T06:28:15.000Z" "$(jq -r '.captures[0].first' "$D/b.json")"
check_eq "the device learns from its frames, as in any capture" 3 \
	"$(jq -r '.totals.learning.packets' "$D/b.json")"

# Devices without a clock stamp their frames from 1970: learning there ends
# in 1970, not never (a time of 0 was taken for "none").
pcap "$D/l1970.pcap" 0 0 0
pcap "$D/r1970.pcap" 5 6 7
check "replay of captures dated 1970, learning on the first" \
	sh -c "'$IFN' replay --json --learn '$D/l1970.pcap' '$D/r1970.pcap' >'$D/c.json'"
check_eq "learning ended with the learning capture, at the first second of 1970" \
	"1970-01-01T00:00:00.000Z" "$(jq -r '.devices[0].learning_ended' "$D/c.json")"
check_eq "and that capture is dated" "1970-01-01T00:00:00.000Z 1970-01-01T00:00:00.000Z" \
	"$(jq -r '.captures[0] | "\(.first) \(.last)"' "$D/c.json")"
check_eq "the device enforced on the rest" "3 3" \
	"$(jq -r '.devices[0] | "\(.learning.packets) \(.enforcing.packets)"' "$D/c.json")"

"$IFN" replay --json "$D/missing.pcap" >"$D/err.json" 2>/dev/null
check_eq "a failed replay --json exits 1" 1 "$?"
check_eq "and prints a JSON error object saying why" "1 true" \
	"$(jq -r '"\(.exit) \(.error | test("missing.pcap: No such file"))"' "$D/err.json" 2>&1)"

it_done
