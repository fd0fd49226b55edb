#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `iotfence replay` on the real captures of tests/captures (SOURCES.md):
#
#  - False drops. Each sentinel_ device learns on one setup and is replayed
#    on the other (then the other way round); the nku_ plug learns on the
#    first 10 minutes of its hour-long capture, and on its setup and idle
#    captures before its on/off/remote/voice ones. The bound: a device's
#    drops after learning are exactly its frames of flows it never used
#    while learning, counted by an independent model of iotfence.8 (FLOWS
#    AND FINGERPRINTS) over tshark's dissection. An exact fingerprint cannot
#    pass those (the peer, port or direction is unknown to it) and must not
#    drop any other: a drop beyond them is a learnt flow dropped. The model
#    may differ from the datapath by max(2 frames, 1%) in corners it does
#    not copy (IPv6 extension headers, fragments). Generalisation only
#    widens fingerprints, so it may only lower the drops.
#  - Attacks. A known device that sweeps the LAN (slips_test12) is flagged
#    SCAN and quarantined by the program; the Mirai bot of
#    id2t_mirai_botnet.pcap, enforcing a benign fingerprint, has all of its
#    brute-force frames dropped as violations.
#  - The gateway of each capture is recognised and left out.
#
# Every figure is printed, in a table, as measured in this run.
# shellcheck disable=SC2016 # jq's and awk's $, not the shell's
# shellcheck source=tests/integration/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
it_init replay

P=${IFN_PCAPS:-$(cd "$(dirname "$0")/.." && pwd)/captures}
[ -r "$P/SOURCES.md" ] || { echo "no captures in $P (set IFN_PCAPS)" >&2; exit 1; }
for t in tshark mergecap tcpdump jq; do
	command -v $t >/dev/null || { echo "test_replay.sh needs $t (scripts/deps.sh)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/ifn-replay-XXXXXX)
trap 'rm -rf "$T"; it_teardown' EXIT

# --- a model of the fingerprint (iotfence.8, FLOWS AND FINGERPRINTS) ---------
# flowlines FILE: "time mac baseline key [other-key]" a frame, where key is the
# flow learning adds and other-key the second one a frame may match. Frames
# longer than one XDP buffer (3520 bytes with 4 KiB pages) are not run
# (iotfence.8, REPLAY), so they are not here either.
XDP_MAX=3520
flowlines() {
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields \
		-E occurrence=f -e frame.time_epoch -e eth.src -e eth.type -e eth.len \
		-e ip.dst -e ipv6.dst -e ip.proto -e ipv6.nxt -e tcp.srcport -e tcp.dstport \
		-e tcp.flags.syn -e tcp.flags.ack -e udp.srcport -e udp.dstport -e icmp.type \
		-e icmpv6.type -e frame.len -e tcp.flags.reset 2>/dev/null |
		awk -F'\t' -v max=$XDP_MAX '
	$17 > max { next }
	function svc(p) { # UDP rule 3: discovery and IoT services
		return p == 1900 || p == 3478 || p == 3702 || p == 5353 || p == 5355 ||
			p == 5683 || p == 5684
	}
	function client(sp, dp) { # the UDP rule: is the service the destination port?
		if (sp == dp) return 1
		if (dp < 1024 || sp < 1024) return dp < sp
		if (svc(dp) != svc(sp)) return svc(dp)
		if ((dp >= 32768) != (sp >= 32768)) return sp >= 32768
		return 1
	}
	{
		peer = $5 != "" ? $5 : $6
		base = $3 == "0x0806" || $3 == "0x888e" || ($13 == 68 && $14 == 67) ||
			($13 == 546 && $14 == 547) || $16 == 131 || $16 == 132 || $16 == 133 ||
			$16 == 135 || $16 == 136 || $16 == 143
		k1 = ""; k2 = ""
		if (peer == "") {
			k1 = "ether/" ($3 != "" ? $3 : "len" $4)
		} else if ($15 != "" || $16 != "") {
			v4 = $15 != ""; ty = v4 ? $15 : $16
			k1 = ty == (v4 ? 0 : 129) ? "icmp/" (v4 ? 8 : 128) "/" peer "/s" : "icmp/" ty "/" peer "/c"
		} else if ($9 != "" || $13 != "") {
			pr = $9 != "" ? "tcp" : "udp"
			sp = ($9 != "" ? $9 : $13) + 0; dp = ($9 != "" ? $10 : $14) + 0
			if (pr == "tcp" && $11 == 1)
				k1 = $12 == 1 ? "tcp/" sp "/" peer "/s" : "tcp/" dp "/" peer "/c"
			else if (pr == "udp" && sp == dp)
				k1 = "udp/" dp "/" peer "/c"
			else if (client(sp, dp)) {
				k1 = pr "/" dp "/" peer "/c"; k2 = pr "/" sp "/" peer "/s"
			} else {
				k1 = pr "/" sp "/" peer "/s"; k2 = pr "/" dp "/" peer "/c"
			}
		} else {
			k1 = "ip" ($7 != "" ? $7 : $8) "/0/" peer "/c"
		}
		# A reset passes a learning device and is never learnt.
		print $1, $2, base, ($18 == 1 ? 1 : 0), k1, k2
	}'
}

# model: "L|R flowline" lines in, "mac frames-after-learning unseen" out. A
# frame of phase L learns (when no key of it is known, and it is no reset); a
# frame of phase R is counted, and is unseen when no key of it is known.
# Baseline passes and is never learnt.
model() {
	awk '{ known = (($3 " " $6) in fp) || ($7 != "" && (($3 " " $7) in fp)) }
	     $1 == "L" { if (!$4 && !$5 && !known) fp[$3 " " $6] = 1; next }
	     { n[$3]++; if (!$4 && !known) u[$3]++ }
	     END { for (m in n) print m, n[m], u[m] + 0 }'
}

# The same for one capture where each device learns for W seconds from its
# own first frame (--learn-for).
model_window() { # FLOWLINES W
	awk -v w="$2" '!($2 in t0) { t0[$2] = $1 }
		{ print ($1 < t0[$2] + w ? "L" : "R"), $0 }' "$1" | model
}

# --- the runs and the table --------------------------------------------------
# Five runs of each case: exact (--no-names --set answers=drop: address
# fingerprints, answers to attempts the gateway delivered dropped too, which
# is what the model counts), plain (--no-names: answers pass, the default),
# names (the default: the egress code reads the gateway's DNS answers), nosib
# (names and --generalise without sibling names: generalise-siblings off)
# and gen (names and --generalise).
TABLE=$T/table
printf '%-34s %-22s %5s %5s %4s %5s | %5s %7s | %5s %7s | %5s | %5s %7s | %4s %4s\n' \
	"device (MAC)" "learn -> replay" "enf" "model" "quar" "exact" "plain" "rate" "names" "rate" \
	"nosib" "gen" "rate" "answ" "dns" >"$TABLE"

# evaluate NAME LABEL PREFIX MODEL: checks for each device that enforced.
# Exact drops beyond the unseen flows may only be quarantine drops: the
# device's own scan detection (SCAN, AUTO_QUARANTINE) is not in the model.
# Answers passing, names, generalisation and sibling names only admit more:
# each may only lower the drops.
evaluate() {
	local name=$1 label=$2 pre=$3 mod=$4 mac enf drop q frames unseen pdrop ndrop sdrop gdrop ans dns tol qs
	jq -r '.devices[] | select(.enforcing.packets > 0) |
		"\(.mac) \(.enforcing.packets) \(.enforcing.dropped) \(.reasons.quarantine // 0) \(.reasons.answer // 0)"' \
		"$pre.exact.json" | sort >"$T/d"
	jq -r '.devices[] | "\(.mac) \(.enforcing.dropped)"' "$pre.plain.json" | sort >"$T/p"
	jq -r '.devices[] | "\(.mac) \(.enforcing.dropped) \(.from_gateway.dns_answers)"' \
		"$pre.names.json" | sort >"$T/n"
	jq -r '.devices[] | "\(.mac) \(.enforcing.dropped)"' "$pre.nosib.json" | sort >"$T/s"
	jq -r '.devices[] | "\(.mac) \(.enforcing.dropped)"' "$pre.gen.json" | sort >"$T/g"
	sort "$mod" | join "$T/d" - | join - "$T/p" | join - "$T/n" | join - "$T/s" |
		join - "$T/g" >"$T/j"
	check "$label: every enforcing device is in the model" \
		test "$(wc -l <"$T/j")" = "$(wc -l <"$T/d")"
	while read -r mac enf drop q ans frames unseen pdrop ndrop dns sdrop gdrop; do
		tol=$((enf / 100 > 2 ? enf / 100 : 2))
		qs=""
		[ "$q" -gt 0 ] && qs=" + $q quarantined by its own SCAN"
		check_eq "$label $mac: frames after learning as the model splits them" "$frames" "$enf"
		check "$label $mac ${NAMES[$mac]:-}: drops $drop = unseen flows $unseen$qs (+$tol)" \
			test "$drop" -ge "$unseen" -a "$drop" -le $((unseen + q + tol))
		check "$label $mac: passing answers, drops $pdrop <= $drop" test "$pdrop" -le "$drop"
		check "$label $mac: with names, drops $ndrop <= $pdrop" test "$ndrop" -le "$pdrop"
		check "$label $mac: generalised without sibling names, drops $sdrop <= $ndrop" \
			test "$sdrop" -le "$ndrop"
		check "$label $mac: generalised drops $gdrop <= $sdrop" test "$gdrop" -le "$sdrop"
		awk -v n="${NAMES[$mac]:-$name} $mac" -v l="$label" -v e="$enf" -v d="$drop" \
			-v u="$unseen" -v q="$q" -v p="$pdrop" -v nd="$ndrop" -v g="$gdrop" \
			-v a="$ans" -v s="$dns" -v sd="$sdrop" 'BEGIN {
			printf "%-34s %-22s %5d %5d %4d %5d | %5d %6.2f%% | %5d %6.2f%% | %5d | %5d %6.2f%% | %4d %4d\n",
				n, l, e, u, q, d, p, 100 * p / e, nd, 100 * nd / e, sd, g, 100 * g / e, a, s }' \
			>>"$TABLE"
	done <"$T/j"
}

replay() { "$IFN" replay --json "$@"; }
# runs PREFIX ARGS...: the four runs of one case (above).
runs() {
	local pre=$1
	shift
	replay --no-names --set answers=drop "$@" >"$pre.exact.json"
	replay --no-names "$@" >"$pre.plain.json"
	replay "$@" >"$pre.names.json"
	replay --generalise --set generalise-siblings=off "$@" >"$pre.nosib.json"
	replay --generalise "$@" >"$pre.gen.json"
}

# Sentinel: the alphabetically first setup of each device learns, the other is
# replayed, all devices in one run (they are distinct MACs; the Hue bridge and
# the D-Link hub appear in two devices' files, the phone in three).
declare -A NAMES
A=() B=()
for d in $(printf '%s\n' "$P"/sentinel_*_Setup-*.pcap | sed 's/.*sentinel_//; s/_Setup.*//' |
	sort -u); do
	f=("$P"/sentinel_"$d"_Setup-*.pcap)
	A+=("${f[0]}")
	B+=("${f[1]}")
	# The device is its capture's busiest MAC; others are its companions (a phone).
	n=0
	for m in $(tcpdump -nn -e -r "${f[0]}" 2>/dev/null | awk '{ print $2 }' |
		grep -v 00:b5:6d:06:08:ba | sort | uniq -c | sort -rn | awk '{ print $2 }'); do
		if [ $n = 0 ]; then
			NAMES[$m]=${NAMES[$m]:+${NAMES[$m]}+}$d
		elif [ -z "${NAMES[$m]:-}" ] || [ "${NAMES[$m]%(companion)}" != "${NAMES[$m]}" ]; then
			NAMES[$m]="${d}(companion)"
		fi
		n=1
	done
done
NAMES[38:0b:40:ef:85:41]="phone(Hue,D-Link hub)" # SOURCES.md
mergecap -F pcap -w "$T/A.pcap" "${A[@]}" && mergecap -F pcap -w "$T/B.pcap" "${B[@]}"
flowlines "$T/A.pcap" >"$T/A.fl"
flowlines "$T/B.pcap" >"$T/B.fl"
learn_args() { local f; for f in "$@"; do printf -- '--learn\n%s\n' "$f"; done; }
mapfile -t LA < <(learn_args "${A[@]}")
mapfile -t LB < <(learn_args "${B[@]}")

runs "$T/ab" "${LA[@]}" "${B[@]}"
{ sed 's/^/L /' "$T/A.fl"; sed 's/^/R /' "$T/B.fl"; } | model >"$T/ab.model"
check_eq "sentinel: the gateway is recognised" "00:b5:6d:06:08:ba guess" \
	"$(jq -r '.gateways[] | "\(.mac) \(.source)"' "$T/ab.names.json")"
check_eq "sentinel: ${#A[@]} devices' setups replayed" "${#A[@]}" \
	"$(jq '[.captures[] | select(.role == "replay")] | length' "$T/ab.names.json")"
# The gateway's frames to the devices run the egress code: its DNS answers are
# read (and recorded) unless --no-names, the same every time.
tot() { jq -r ".totals.$2" "$T/ab.$1.json"; }
check "sentinel: the gateway's frames to devices run ($(tot names gateway_to_devices))" \
	test "$(tot names gateway_to_devices)" -gt 0
check "sentinel: its DNS answers are read ($(tot names from_gateway.dns_answers)), and used" \
	test "$(tot names from_gateway.dns_answers)" -gt 0 -a "$(tot names from_gateway.dns_answers_used)" -gt 0
check_eq "sentinel: --no-names reads none" 0 "$(tot plain from_gateway.dns_answers)"
check_eq "sentinel: the same answers with --generalise" "$(tot names from_gateway.dns_answers)" \
	"$(tot gen from_gateway.dns_answers)"
check "sentinel: replies to dropped frames are not delivered ($(tot plain from_gateway.not_delivered))" \
	test "$(tot plain from_gateway.not_delivered)" -gt 0
evaluate sentinel "setup 1 -> 2" "$T/ab" "$T/ab.model"
# The generalisation keys are --set keys too, checked before anything is read.
bad_set() {
	local out
	out=$("$IFN" replay --generalise --set generalise-siblings=maybe \
		"$P/nku_xiaodu_plug_setup.pcap" 2>&1) && return 1
	grep -q "generalise-siblings: 'maybe' is not on or off" <<<"$out"
}
check "replay --set generalise-siblings=maybe is refused as not on or off" bad_set
# The D-Link relays are numbered siblings (r0801 learnt, r0802 used after):
# a learnt name widened to *.dch.dlink.com admits the next one.
check "sentinel: sibling names lower the generalised drops ($(tot gen enforcing.dropped) < $(tot nosib enforcing.dropped))" \
	test "$(tot gen enforcing.dropped)" -lt "$(tot nosib enforcing.dropped)"

runs "$T/ba" "${LB[@]}" "${A[@]}"
{ sed 's/^/L /' "$T/B.fl"; sed 's/^/R /' "$T/A.fl"; } | model >"$T/ba.model"
evaluate sentinel "setup 2 -> 1" "$T/ba" "$T/ba.model"

# nku plug, one hour: it learns its first 10 minutes (the default --learn-for).
PLUG=$P/nku_xiaodu_plug.pcap
NAMES[f4:21:ae:9e:8f:cb]=XiaoduPlug
NAMES[78:df:72:24:69:4d]=XiaobaiCam
runs "$T/plug" "$PLUG"
flowlines "$PLUG" | grep -v '^[^ ]* c8:bf:4c:77:a0:3a ' >"$T/plug.fl"
model_window "$T/plug.fl" 600 >"$T/plug.model"
check_eq "nku plug: the gateway is recognised" "c8:bf:4c:77:a0:3a guess" \
	"$(jq -r '.gateways[] | "\(.mac) \(.source)"' "$T/plug.names.json")"
evaluate XiaoduPlug "first 10m of 68m" "$T/plug" "$T/plug.model"

# nku plug and camera: learn on setup and idle captures, replay the others.
for dev in xiaodu_plug xiaobai_Y2camera; do
	L=() R=()
	for f in "$P"/nku_"$dev"_*.pcap; do
		case $f in
		*_setup.pcap | *_idle_*.pcap) L+=("$f") ;;
		*) R+=("$f") ;;
		esac
	done
	mergecap -F pcap -w "$T/L.pcap" "${L[@]}" && mergecap -F pcap -w "$T/R.pcap" "${R[@]}"
	mapfile -t LL < <(learn_args "${L[@]}")
	runs "$T/$dev" "${LL[@]}" "${R[@]}"
	{ flowlines "$T/L.pcap" | sed 's/^/L /'; flowlines "$T/R.pcap" | sed 's/^/R /'; } |
		model >"$T/$dev.model"
	evaluate "$dev" "setup+idle -> ${#R[@]} more" "$T/$dev" "$T/$dev.model"
	check_eq "$dev: frames longer than one XDP buffer are counted, not run" \
		"$(for f in "${L[@]}" "${R[@]}"; do
			tcpdump -nn -r "$f" greater $((XDP_MAX + 1)) 2>/dev/null; done | wc -l)" \
		"$(jq .totals.oversized "$T/$dev.names.json")"
done

echo "--- false drops after learning (enf: frames after learning; model: frames of flows"
echo "    unseen while learning; quar: quarantined by its own SCAN; exact: drops of address"
echo "    fingerprints with answers dropped too; plain: --no-names; names: the default;"
echo "    nosib: names and --generalise, generalise-siblings off; gen: names and --generalise;"
echo "    answ: of its frames, answers to attempts the gateway delivered; dns: DNS answers the"
echo "    gateway sent it)"
cat "$TABLE"
for r in plain names nosib gen; do
	jq -r --arg r $r '"--- sentinel 1 -> 2 totals, \($r): \(.totals.enforcing.packets) frames enforced, " +
		"\(.totals.enforcing.dropped) dropped (\(.totals.enforcing.drop_rate * 10000 | round / 100)%)"' \
		"$T/ab.$r.json"
done

# --- attacks -----------------------------------------------------------------
# A known laptop that enforces DNS only, then pings 18 hosts in 1.6 s.
SWEEPER=50:ed:3c:39:bc:d9
printf 'device %s laptop\n\tmode enforce\n\tallow udp/53 any\n' $SWEEPER >"$T/sweep.pol"
replay --policy "$T/sweep.pol" "$P/slips_test12-icmp-portscan.pcap" >"$T/sweep.json"
sw() { jq -r --arg m $SWEEPER "$1" "$T/sweep.json"; }
check_eq "sweep: SCAN, then AUTO_QUARANTINE" "SCAN AUTO_QUARANTINE" \
	"$(sw '[.events[] | select(.mac == $m and (.type == "SCAN" or .type == "AUTO_QUARANTINE")) | .type] | join(" ")')"
check_eq "sweep: the sweeper ends quarantined" quarantine \
	"$(sw '.devices[] | select(.mac == $m) | .mode')"
check "sweep: its later probes are dropped as quarantine" \
	test "$(sw '.devices[] | select(.mac == $m) | .reasons.quarantine // 0')" -gt 0
check "sweep: quarantined at a capture time within the sweep" sh -c "
	t=\$(jq -r --arg m $SWEEPER '.events[] | select(.mac == \$m and .type == \"AUTO_QUARANTINE\") | .time' '$T/sweep.json')
	f=\$(jq -r '.captures[0].first' '$T/sweep.json'); l=\$(jq -r '.captures[0].last' '$T/sweep.json')
	[ \"\$f\" \\< \"\$t\" ] && [ \"\$t\" \\< \"\$l\" ]"
check_eq "sweep: no other device is flagged" "" \
	"$(sw '[.events[] | select(.mac != $m and (.type == "SCAN" or .type == "AUTO_QUARANTINE")) | .mac] | unique | join(" ")')"
sw '.events[] | select(.type == "SCAN" or .type == "AUTO_QUARANTINE") |
	"    \(.time) \(.type) \(.mac) \(.flow.rule) (\(.distinct_flows) flows)"'

# The Mirai bot brute-forces telnet on one victim: one flow, so no SCAN
# (distinct flows), but as a known device with a benign fingerprint every
# frame of it is a violation and dropped.
BOT=02:42:ac:14:00:03
printf 'device %s bot\n\tmode enforce\n\tallow udp/53 172.20.0.1\n\tallow udp/123 any\n' $BOT \
	>"$T/mirai.pol"
replay --policy "$T/mirai.pol" "$P/id2t_mirai_botnet.pcap" >"$T/mirai.json"
mb() { jq -r --arg m $BOT "$1" "$T/mirai.json"; }
BOTN=$(tshark -r "$P/id2t_mirai_botnet.pcap" -Y "eth.src == $BOT" 2>/dev/null | wc -l)
check_eq "mirai: the bot sends $BOTN frames, all run" "$BOTN" \
	"$(mb '.devices[] | select(.mac == $m) | .enforcing.packets')"
check_eq "mirai: all of them are violations" "$BOTN" "$(mb '.devices[] | select(.mac == $m) | .violations')"
check_eq "mirai: all of them are dropped" "$BOTN" \
	"$(mb '.devices[] | select(.mac == $m) | .enforcing.dropped')"
check "mirai: VIOLATION events name telnet to the victim" sh -c \
	"jq -r '.events[] | select(.mac == \"$BOT\" and .type == \"VIOLATION\") | .flow.rule' \
	'$T/mirai.json' | grep -qx 'tcp/23 172.20.0.5'"
check "mirai: the bot is not taken for a gateway" test -z \
	"$(mb '.gateways[] | select(.mac == $m) | .mac')"
mb '"    bot \($m): \(.devices[] | select(.mac == $m) | "\(.violations) violations, \(.enforcing.dropped) of \(.enforcing.packets) frames dropped")"'

it_done
