#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# scan-stats.sh - the figures behind the scan-detection defaults (iotfence.8,
# SETTINGS), measured on the real captures in tests/captures.
#
# Every frame a device sends is turned into the flow key the datapath would
# count (bpf/lib/flowkey.bpf.h: direction from TCP flags or the UDP port
# heuristic, ICMP type as the port, baseline traffic and later fragments
# left out), then, per device:
#   flows      distinct flows in the whole capture
#   maxW       the most distinct flows in any W-second window (sliding, so
#              at least what the datapath's fixed windows can ever see)
#   newW       the same for flows outside a fingerprint learnt on another
#              capture of the same device (what a benign device in enforce
#              would count towards SCAN)
#   SYNs       connection attempts (TCP SYN without ACK)
#   SYN1s      the most of them in any 1-second window
#   SYN/s      their mean rate from the first to the last one
#
#   scripts/scan-stats.sh [PCAP_DIR]      (needs tshark)
set -euo pipefail

DIR=${1:-$(cd "$(dirname "$0")/.." && pwd)/tests/captures}
WINDOWS="1 2 5 10 30 60"
# Gateways and other non-devices of the captures (SOURCES.md).
GATEWAYS="00:b5:6d:06:08:ba c8:bf:4c:77:a0:3a"

command -v tshark >/dev/null || { echo "scan-stats.sh: needs tshark" >&2; exit 1; }
[ -d "$DIR" ] || { echo "scan-stats.sh: no capture directory $DIR" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# One line per frame that the datapath would look up in a fingerprint:
#   time mac key alt syn
# where alt is the second candidate key or "-", and syn is 1 for a TCP SYN
# without ACK.
keys() { # PCAP [SKIP_SECONDS_FROM [UNTIL]]
	tshark -r "$1" -n -T fields -E occurrence=f -E separator=/t \
		-e frame.time_epoch -e eth.src -e eth.type -e ip.dst -e ip.proto \
		-e ip.frag_offset -e ipv6.dst -e ipv6.nxt -e tcp.flags -e tcp.srcport \
		-e tcp.dstport -e udp.srcport -e udp.dstport -e icmp.type -e icmpv6.type \
		-e ipv6.fraghdr.offset 2>/dev/null |
		awk -F'\t' -v gws="$GATEWAYS" '
	function client(sp, dp) {
		if (sp == dp) return 1
		if ((dp < 1024) != (sp < 1024)) return dp < 1024
		if ((dp >= 32768) != (sp >= 32768)) return sp >= 32768
		return dp < sp
	}
	# mawk has no strtonum() or and(): hex by hand.
	function hex(s,   i, v) {
		s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	# Two candidate keys: the preferred one is counted (and learnt), the
	# other one also matches a fingerprint (ifn_cand_pair).
	function pair(sp, dp) {
		if (client(sp, dp)) { port = dp; dir = "c"; alt = "/" sp "/s" }
		else { port = sp; dir = "s"; alt = "/" dp "/c" }
	}
	BEGIN { n = split(gws, g, " "); for (i = 1; i <= n; i++) gw[g[i]] = 1 }
	{
		t = $1; mac = $2; et = $3
		sub(/.*,/, "", et)	# the ethertype after any VLAN tags
		if (mac in gw) next
		if (hex(substr(mac, 2, 1)) % 2) next	# group bit: not a device
		if (et == "0x0806" || et == "0x888e") next	# ARP, EAPOL: baseline
		syn = 0; alt = ""
		if (et == "0x0800") { fam = 4; dst = $4; proto = $5; if ($6 + 0 > 0) next }
		else if (et == "0x86dd") {
			fam = 6; dst = $7; proto = $8
			if ($16 != "" && $16 + 0 > 0) next
			if ($10 != "") proto = 6
			else if ($12 != "") proto = 17
			else if ($15 != "") proto = 58
		} else { print t, mac, "l2/" et, "-", 0; next }
		if (proto == 6 && $10 != "") {
			sp = $10 + 0; dp = $11 + 0; fl = hex($9)
			sa = int(fl / 2) % 2 + 2 * (int(fl / 16) % 2)	# SYN, ACK
			if (sa == 1) { port = dp; dir = "c"; syn = 1 }
			else if (sa == 3) { port = sp; dir = "s" }
			else pair(sp, dp)
		} else if (proto == 17 && $12 != "") {
			sp = $12 + 0; dp = $13 + 0
			if (fam == 4 && sp == 68 && dp == 67) next
			if (fam == 6 && sp == 546 && dp == 547) next
			if (sp == dp) { port = dp; dir = "c" } else pair(sp, dp)
		} else if (proto == 1 && $14 != "") {
			port = $14 + 0; dir = "c"
			if (port == 0) { port = 8; dir = "s" }
		} else if (proto == 58 && $15 != "") {
			port = $15 + 0; dir = "c"
			if (port == 131 || port == 132 || port == 133 || port == 135 ||
			    port == 136 || port == 143) next
			if (port == 129) { port = 128; dir = "s" }
		} else { port = 0; dir = "c" }
		base = fam "/" dst "/" proto
		print t, mac, base "/" port "/" dir, alt == "" ? "-" : base alt, syn
	}' | sort -k2,2 -k1,1n
}

# Per device: flows, max distinct flows in each window, SYN rates. With a
# fingerprint file ("mac key" lines), frames it allows (by either candidate
# key, as the datapath checks) are left out.
stats() { # KEYS [FINGERPRINT]
	awk -v wins="$WINDOWS" -v fpf="${2:-}" '
	function flush(   i, w, l, r, cnt, best, rate) {
		if (dev == "") return
		line = sprintf("%-17s %6d %5d", dev, n, nflows)
		for (i = 1; i <= nw; i++) {
			w = win[i]; delete c; cnt = 0; best = 0; l = 1
			for (r = 1; r <= n; r++) {
				if (!ok[r] && c[key[r]]++ == 0) cnt++
				while (tm[l] <= tm[r] - w) {
					if (!ok[l] && --c[key[l]] == 0) cnt--
					l++
				}
				if (cnt > best) best = cnt
			}
			line = line sprintf(" %5d", best)
		}
		best = 0; l = 1
		for (r = 1; r <= nsyn; r++) {
			while (st[l] <= st[r] - 1) l++
			if (r - l + 1 > best) best = r - l + 1
		}
		rate = nsyn > 1 && st[nsyn] > st[1] ? sprintf("%.1f", (nsyn - 1) / (st[nsyn] - st[1])) : "-"
		print line sprintf(" %6d %6d %7s", nsyn, best, rate)
	}
	BEGIN {
		nw = split(wins, win, " ")
		if (fpf != "") while ((getline l < fpf) > 0) { split(l, a, " "); fp[a[1] " " a[2]] = 1 }
	}
	$2 != dev { flush(); dev = $2; n = 0; nflows = 0; nsyn = 0; delete seen }
	{
		n++; tm[n] = $1; key[n] = $3
		ok[n] = ((dev " " $3) in fp) || ($4 != "-" && (dev " " $4) in fp)
		if (!ok[n] && !($3 in seen)) { seen[$3] = 1; nflows++ }
		if ($5 == 1) st[++nsyn] = $1
	}
	END { flush() }' "$1"
}

# What a device learns from a capture: a frame that neither of its keys
# allows adds its preferred key (ifn_learn).
learn() { # KEYS
	awk '{ d = $2 " "; if (!((d $3) in fp) && !($4 != "-" && (d $4) in fp)) { fp[d $3] = 1; print d $3 } }' "$1"
}

header() {
	local w
	printf '%-17s %6s %5s' "device" "frames" "flows"
	for w in $WINDOWS; do printf ' %5s' "${1}${w}s"; done
	printf ' %6s %6s %7s\n' "SYNs" "SYN1s" "SYN/s"
}

echo "# Distinct flows per device and window (${WINDOWS// /, } s windows, sliding)"
for f in "$DIR"/*.pcap "$DIR"/*.pcapng; do
	b=$(basename "$f")
	case $b in debgopacket_*) continue ;; esac # parser fixtures, not devices
	keys "$f" >"$TMP/$b.keys"
	echo "## $b"
	header max
	stats "$TMP/$b.keys"
done

echo
echo "# Flows outside a fingerprint learnt on another capture of the same device"
pair() { # LEARN TEST...
	local learn=$1 t
	shift
	learn "$TMP/$learn.keys" >"$TMP/fp"
	for t in "$@"; do
		echo "## learn $learn, enforce $t"
		echo "$learn $t" >>"$TMP/pairlist"
		header new
		stats "$TMP/$t.keys" "$TMP/fp" | tee -a "$TMP/pairs"
	done
}
: >"$TMP/pairs"
: >"$TMP/pairlist"
for a in "$DIR"/sentinel_*-STA.pcap; do
	a=$(basename "$a")
	dev=${a%%_Setup-*}
	for b in "$DIR"/"$dev"_Setup-*-STA.pcap; do
		b=$(basename "$b")
		[ "$a" != "$b" ] && pair "$a" "$b"
	done
done
# The Xiaodu plug learns on its 68-minute capture, the Y2 camera on 30
# minutes of idling; each then meets the rest of its life cycle.
others() { # LEARN PREFIX
	local f out=()
	for f in "$DIR/$2"_*.pcap; do
		f=$(basename "$f")
		[ "$f" != "$1" ] && out+=("$f")
	done
	pair "$1" "${out[@]}"
}
others nku_xiaodu_plug.pcap nku_xiaodu_plug
others nku_xiaobai_Y2camera_idle_local.pcap nku_xiaobai_Y2camera

# What the defaults in include/iotfence.h make of the benign pairs.
HDR=$(cd "$(dirname "$0")/.." && pwd)/include/iotfence.h
T=$(awk '/define IFN_SCAN_THRESHOLD_DEFAULT/ { print $3 }' "$HDR")
W=$(awk '/define IFN_SCAN_WINDOW_NS_DEFAULT/ { gsub(/[^0-9 ]/, " ", $0); split($0, a, " "); print a[1] }' "$HDR")
echo
echo "# Summary of $(wc -l <"$TMP/pairs") cases (a device in a capture) from $(grep -c . "$TMP/pairlist") learn/enforce pairs of captures"
i=4
for w in $WINDOWS; do
	sort -k$i,${i}n "$TMP/pairs" | awk -v w="$w" -v col="$i" -v t="$T" -v win="$W" '
		{ v[NR] = $col; if ($col > t) over++ }
		END {
			printf "new flows in %2ss: max %d, next %d, median %d", w, v[NR], v[NR - 1], v[int((NR + 1) / 2)]
			if (w == win) printf "; above the default threshold %d: %d case(s)", t, over
			printf "\n"
		}'
	i=$((i + 1))
done
