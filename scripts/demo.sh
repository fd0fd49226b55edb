#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# demo.sh - `make demo`: iotfence on a lab gateway learns four IoT devices,
# enforces their fingerprints, follows one device whose cloud service moves to
# a new address (a new DNS answer), and stops another when it turns into a
# Mirai-like bot, while the others keep working. Run as root; about a minute
# and a half once built.
#
# It installs what is missing (scripts/deps.sh), builds (make), brings up the
# lab (scripts/lab.sh), attaches iotfence to the gateway's LAN ports, lets the
# devices learn, and once they enforce, infects one device. Everything it
# shows is read from iotfence and from the lab's counters during the run.
# Everything it made is removed at the end, whatever happens.
#
# Environment:
#   BUILD=dir         build directory (default build)
#   IFN_BIN=path      use this iotfence binary and do not build
#   DEMO_SKIP_DEPS=1  do not run scripts/deps.sh
#   DEMO_LEARN=N      learning window in seconds (default 25)
#   DEMO_BOT=NAME     the device that gets infected (default camera)
#   DEMO_KEEP=1       keep the lab and iotfence running at the end
#   DEMO_LAB_ID=ID    the lab's name (default demo + a random suffix)
#   DEMO_PAUSE=1      wait for Enter between the acts
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# shellcheck source=scripts/lab/addrs.sh disable=SC1091
. "$ROOT/scripts/lab/addrs.sh"

BUILD=${BUILD:-build}
LEARN=${DEMO_LEARN:-25}
# The device whose cloud service moves to a new address while it enforces.
MOVER=thermostat
BOT=${DEMO_BOT:-camera}
KEEP=${DEMO_KEEP:-0}
export LAB_ID=${DEMO_LAB_ID:-demo$(printf '%04x' $((RANDOM % 65536)))}
export LAB_PIN_DIR=/sys/fs/bpf/iotfence-$LAB_ID
export LAB_TTL=600
LAB="$ROOT/scripts/lab.sh"
RUN=/run/iotfence-lab/$LAB_ID
STARTED=$SECONDS

case "$LEARN" in
'' | *[!0-9]*) echo "demo: DEMO_LEARN is a number of seconds" >&2; exit 2 ;;
esac
if [ "$LEARN" -lt 10 ] || [ "$LEARN" -gt 600 ]; then
	echo "demo: DEMO_LEARN: 10 to 600 seconds" >&2
	exit 2
fi

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' R=$'\e[31m' G=$'\e[32m' Y=$'\e[33m' N=$'\e[0m'
	TTY=1
else
	B="" D="" R="" G="" Y="" N=""
	TTY=0
fi

STEP=0
STEPS=9
step() {
	STEP=$((STEP + 1))
	if [ "${DEMO_PAUSE:-0}" = 1 ] && [ "$STEP" -gt 3 ] && [ -t 0 ]; then
		read -r -p "${D}(press Enter for the next step)${N}" _
	fi
	printf '\n%s[%d/%d] %s%s  %s(%ds)%s\n' "$B" "$STEP" "$STEPS" "$1" "$N" "$D" \
		$((SECONDS - STARTED)) "$N"
}
say() { printf '      %s\n' "$@"; }
indent() { sed 's/^/      /'; }
fail() {
	printf '\n%sdemo: %s%s\n' "$R" "$*" "$N" >&2
	exit 1
}

# Wait for a background command, showing that it is alive.
wait_for() { # PID LABEL LOG
	local pid=$1 label=$2 log=$3 t=0
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$TTY" = 1 ]; then
			printf '\r      %s ... %ds ' "$label" "$t"
		elif [ $((t % 10)) -eq 0 ]; then
			printf '      %s ... %ds\n' "$label" "$t"
		fi
		sleep 1
		t=$((t + 1))
	done
	[ "$TTY" = 1 ] && printf '\r\e[K'
	if ! wait "$pid"; then
		printf '      %s: failed; the end of %s:\n' "$label" "$log"
		tail -20 "$log" | indent
		return 1
	fi
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "${TCPDUMP_PID:-}" ]; then
		kill "$TCPDUMP_PID" 2>/dev/null || true
		wait "$TCPDUMP_PID" 2>/dev/null || true
	fi
	if [ -n "${EVENTS_PID:-}" ]; then
		kill "$EVENTS_PID" 2>/dev/null || true
		wait "$EVENTS_PID" 2>/dev/null || true
	fi
	if [ "$KEEP" = 1 ] && [ -d "$RUN" ]; then
		printf '\n%sThe lab is still running (DEMO_KEEP=1); its traffic stops after %ss.%s\n' \
			"$B" "$LAB_TTL" "$N"
		say "LAB_ID=$LAB_ID IFN_BIN=$IFN scripts/lab.sh status" \
			"LAB_ID=$LAB_ID IFN_BIN=$IFN scripts/lab.sh ifn devices" \
			"LAB_ID=$LAB_ID IFN_BIN=$IFN scripts/lab.sh ifn events" \
			"bpftool map dump pinned $LAB_PIN_DIR/ifn_devices" \
			"tear it down: LAB_ID=$LAB_ID IFN_BIN=$IFN scripts/lab.sh down"
	elif [ -d "$RUN" ] || ip netns list 2>/dev/null | grep -q "^ifl-$LAB_ID-"; then
		printf '\n%sTeardown%s\n' "$B" "$N"
		IFN_BIN=${IFN:-} "$LAB" down 2>&1 | indent || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (sudo make demo): it installs packages, loads an XDP program and makes network namespaces" >&2
	exit 1
fi

cat <<EOF
${B}iotfence demo: an IoT gateway that learns its devices, and stops the one that turns bad${N}

A lab home network is built from network namespaces: a gateway with a
camera, a smart plug, a thermostat and a hub behind it, and a "cloud" that
answers them. Each device talks like its real counterpart in public
captures (IoT Sentinel, NKU, Mon(IoT)r). iotfence's XDP program sits on the
gateway's LAN ports.
It learns what each device does for ${LEARN}s, then lets only that through.
The devices resolve their clouds' names at the lab's DNS server first; while
they enforce, the ${MOVER}'s cloud moves to a new address.
Then the $BOT is infected by a Mirai-like bot: a telnet scan, then a flood.
Nothing leaves this machine: the lab has no route out.
EOF

step "Dependencies (scripts/deps.sh)"
if [ "${DEMO_SKIP_DEPS:-0}" = 1 ]; then
	say "skipped (DEMO_SKIP_DEPS=1)"
else
	DEPS_LOG=$(mktemp /tmp/iotfence-demo-deps.XXXXXX)
	scripts/deps.sh >"$DEPS_LOG" 2>&1 &
	wait_for $! "checking and installing packages" "$DEPS_LOG" || fail "scripts/deps.sh failed"
	tail -1 "$DEPS_LOG" | indent
	rm -f "$DEPS_LOG"
fi

step "Build"
if [ -n "${IFN_BIN:-}" ]; then
	IFN=$IFN_BIN
	say "using $IFN (IFN_BIN)"
else
	BUILD_LOG=$(mktemp /tmp/iotfence-demo-build.XXXXXX)
	make --no-print-directory BUILD="$BUILD" all >"$BUILD_LOG" 2>&1 &
	wait_for $! "make BUILD=$BUILD all" "$BUILD_LOG" || fail "the build failed"
	rm -f "$BUILD_LOG"
	IFN="$ROOT/$BUILD/iotfence"
	say "built $IFN"
fi
[ -x "$IFN" ] || fail "no iotfence binary at $IFN"
export IFN_BIN=$IFN
ifn() { "$LAB" ifn "$@"; }

step "The lab: a gateway, four IoT devices and a cloud"
"$LAB" up >/dev/null
DEMO_TMP=$RUN/demo
mkdir -p "$DEMO_TMP"
"$LAB" status --json >"$DEMO_TMP/lab.json"
declare -A MAC_OF
while read -r name mac; do
	MAC_OF[$name]=$mac
done < <(jq -r '.devices[] | "\(.name) \(.mac)"' "$DEMO_TMP/lab.json")
[ -n "${MAC_OF[$BOT]:-}" ] || fail "DEMO_BOT=$BOT is not a lab device"
[ -n "${MAC_OF[$MOVER]:-}" ] || fail "the lab has no $MOVER"
BENIGN=()
for d in $(jq -r '.devices[].name' "$DEMO_TMP/lab.json"); do
	[ "$d" = "$BOT" ] || BENIGN+=("$d")
done
jq -r '.devices[] | "\(.name)\t\(.ipv4)\t\(.mac)\t\(.gateway_port)"' "$DEMO_TMP/lab.json" |
	while IFS=$'\t' read -r d ip mac port; do
		printf '      %-11s %-14s %s  eth0 ==== %-15s --+\n' "$d" "$ip" "$mac" "$port"
	done
cat <<EOF | indent
                                                                   |
           gateway $(jq -r .gateway "$DEMO_TMP/lab.json"): bridge br-lan 192.168.77.1 (the LAN),
           routes to the cloud 198.18.0.0/15 over wan0; no default route
                                                                   |
           cloud $(jq -r .cloud "$DEMO_TMP/lab.json"): HTTPS 443, HTTP 80, MQTT 1883/8883,
           DNS 53 (dnsmasq), NTP 123, P2P relays 32100 on ${#CLOUD_ADDRS[@]} addresses
EOF
say "" "Every device already talks to its cloud (no iotfence yet); its first round:"
printf '      %-11s %-46s %s\n' DEVICE "CLOUD SERVICES (ANSWERED / ASKED)" "LAN ANNOUNCEMENTS"
"$LAB" counters --json | jq -r '.[] |
	[.services[] | select(.kind == "echo")] as $e |
	"\(.device)\t\($e | map(.proto) | unique | join(" ")) (\($e | map(select(.ok > 0)) | length)/\($e | length))\t\([.services[] | select(.kind == "send") | .proto] | unique | join(" "))"' |
	while IFS=$'\t' read -r d svc ann; do
		printf '      %-11s %-46s %s\n' "$d" "$svc" "${ann:--}"
	done

step "Attach iotfence to the gateway's LAN ports"
say "XDP runs on each bridge port (lan-*), where every frame of a device arrives" \
	"first; all ports share one state pinned at $LAB_PIN_DIR." \
	"New devices learn for ${LEARN}s, then enforce by themselves."
"$LAB" attach --new-devices learn --learn-for "${LEARN}s" | indent
EVENTS=$RUN/events.jsonl
"$LAB" ifn events --follow --json >"$EVENTS" 2>"$DEMO_TMP/events.err" &
EVENTS_PID=$!
sleep 0.3
if ! kill -0 "$EVENTS_PID" 2>/dev/null; then
	say "${R}warning: 'iotfence events --follow' stopped: $(head -1 "$DEMO_TMP/events.err")${N}" \
		"${R}the scan alert will be missing from this run${N}"
fi
say "" "ip link shows the program on each port:"
for d in "${!MAC_OF[@]}"; do
	"$LAB" exec gw ip link show dev "lan-$d" |
		awk -v p="lan-$d" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i ~ /^xdp/) m = $i}
			/prog\/xdp/ {printf "%-15s %-10s %s %s %s %s %s\n", p, m, $1, $2, $3, $4, $5}'
done | sort | indent
say "" "Scan detection (iotfence settings):"
ifn settings | grep -E '^(scan|auto)' | indent

# Events of the run, one line each, with the lab's names for the devices.
render_events() { # jq filter on the events
	jq -r --argjson names "$(jq '[.devices[] | {key: .mac, value: .name}] | from_entries' "$DEMO_TMP/lab.json")" "
		select($1) |
		\"\(.time[11:19])  \(.type | . + \" \" * (16 - length))\(\$names[.mac] // .mac // \"-\")  \" +
		(if .flow then .flow.rule else \"\" end) +
		(if .distinct_flows then \"  (\(.distinct_flows) distinct flows outside the fingerprint)\" else \"\" end) +
		(if .type == \"LEARNING_DONE\" then \"learnt \(.flows) flows\" else \"\" end) +
		\"  -> mode \(.mode // \"-\")\"" "$EVENTS"
}
step "Learning (${LEARN}s): each device's flows become its fingerprint"
# The attach above started every device's window (a device's starts with its
# first frame, a moment later).
learn_end=$((SECONDS + LEARN))
deadline=$((learn_end + 15))
say "Learned flows per device, as the window runs (iotfence devices --json):"
while :; do
	ifn devices --json >"$DEMO_TMP/devices.json"
	line=$(jq -r --argjson order "$(jq '[.devices[] | {name, mac}]' "$DEMO_TMP/lab.json")" '
		. as $devs | [$order[] | . as $o | $devs[] | select(.mac == $o.mac) |
		"\($o.name) \(.flows)" + (if .mode == "learn" then "" else " (\(.mode))" end)] |
		join(", ")' "$DEMO_TMP/devices.json")
	nlearn=$(jq '[.[] | select(.mode == "learn")] | length' "$DEMO_TMP/devices.json")
	ndev=$(jq 'length' "$DEMO_TMP/devices.json")
	[ -n "$line" ] || line="waiting for the devices' first frames"
	left=$((learn_end - SECONDS))
	if [ "$left" -gt 0 ]; then left="${left}s left"; else left="window over"; fi
	if [ "$TTY" = 1 ]; then
		printf '\r\e[K      %-12s %s' "$left" "$line"
	else
		printf '      %-12s %s\n' "$left" "$line"
	fi
	[ "$ndev" -ge "${#MAC_OF[@]}" ] && [ "$nlearn" -eq 0 ] && break
	[ "$SECONDS" -lt "$deadline" ] || fail "learning did not end by itself within $((LEARN + 15))s"
	sleep $((TTY == 1 ? 1 : 5))
done
[ "$TTY" = 1 ] && printf '\n'
say "Learning is over: every device now enforces its fingerprint."
# The datapath switches a device, and reports it, on its first frame after
# the deadline: give every device a moment to send one.
for ((t = 0; t < 50; t++)); do
	[ "$(jq -s '[.[] | select(.type == "LEARNING_DONE")] | length' "$EVENTS")" -ge "${#MAC_OF[@]}" ] && break
	sleep 0.2
done
render_events '.type == "LEARNING_DONE"' | indent
say "" "iotfence devices:"
ifn devices | indent
say "" "The ${BOT}'s fingerprint (iotfence device ${MAC_OF[$BOT]}):"
ifn device "${MAC_OF[$BOT]}" | sed -n '/^fingerprint/,$p' | indent

# Sums of a device's answered and unanswered exchanges, from the lab.
snapshot() { "$LAB" counters --json >"$1"; }
# Per benign device: ok and failed between two snapshots (all services).
delta_table() { # BEFORE AFTER
	jq -r -n --slurpfile a "$1" --slurpfile b "$2" '
		($a[0] | map({key: .device, value: (.services | map({key: .service, value: .}) | from_entries)}) | from_entries) as $A |
		$b[0][] | .device as $d |
		[.services[] | select(.kind == "echo") |
		 {s: .service, ok: (.ok - ($A[$d][.service].ok // 0)), f: (.failed - ($A[$d][.service].failed // 0))}] as $x |
		"\($d)\t\($x | length)\t\([$x[] | select(.ok > 0)] | length)\t\([$x[].ok] | add)\t\([$x[].f] | add)\t\([$x[] | select(.ok == 0) | .s] | join(","))"'
}

step "Enforcing: the devices keep working, and the ${MOVER}'s cloud moves"
MOVER_MAC=${MAC_OF[$MOVER]}
MOVER_IP=$(jq -r --arg d "$MOVER" '.devices[] | select(.name == $d) | .ipv4' "$DEMO_TMP/lab.json")
ifn device "$MOVER_MAC" --json >"$DEMO_TMP/mover.json"
# It learned the name of its MQTT endpoint with the address: the DNS answer
# it got just before it connected named that address.
if jq -e '[.fingerprint[] | select(.kind == "name" and .port == 8883)] | length > 0' \
	"$DEMO_TMP/mover.json" >/dev/null; then
	say "The $MOVER learned the name of its MQTT endpoint, not only its address:"
else
	say "${R}The $MOVER learned no name for its MQTT endpoint: its move will be dropped.${N}"
fi
jq -r '.fingerprint[] | select(.port == 8883) | "\(.rule)  (\(.kind), \(.origin))"' \
	"$DEMO_TMP/mover.json" | indent
# The mover's frames, both ways, seen on its gateway port while it is
# watched; bounded in frames and time.
ip netns exec "ifl-$LAB_ID-gw" timeout 30 tcpdump -q -n -U -i "lan-$MOVER" -c 5000 \
	-w "$DEMO_TMP/mover.pcap" "ether host $MOVER_MAC" 2>"$DEMO_TMP/tcpdump.err" &
TCPDUMP_PID=$!
for ((t = 0; t < 50; t++)); do
	grep -q "listening on" "$DEMO_TMP/tcpdump.err" 2>/dev/null && break
	sleep 0.1
done
say "" "Its MQTT endpoint $THERMO_MQTT_NAME moves from $THERMO_MQTT" \
	"to $THERMO_MQTT_NEXT: the lab's DNS server (dnsmasq) answers the new address from now on."
"$LAB" dns "$THERMO_MQTT_NAME" "$THERMO_MQTT_NEXT" >/dev/null
snapshot "$DEMO_TMP/c-enforce.json"
for ((t = 8; t > 0; t--)); do
	[ "$TTY" = 1 ] && printf '\r      watching the devices for %ds ' "$t"
	sleep 1
done
[ "$TTY" = 1 ] && printf '\r\e[K'
snapshot "$DEMO_TMP/c-before.json"
kill "$TCPDUMP_PID" 2>/dev/null || true
wait "$TCPDUMP_PID" 2>/dev/null || true
TCPDUMP_PID=""
printf '      %-11s %-26s %9s %9s\n' DEVICE "SERVICES ANSWERED" EXCHANGES FAILED
delta_table "$DEMO_TMP/c-enforce.json" "$DEMO_TMP/c-before.json" |
	while IFS=$'\t' read -r d n nok ok f _; do
		printf '      %-11s %-26s %9s %9s\n' "$d" "$nok of $n" "$ok" "$f"
	done
ifn devices --json >"$DEMO_TMP/devices.json"
say "" "Frames iotfence dropped so far: $(jq '[.[].dropped] | add' "$DEMO_TMP/devices.json")"

# What the move changed, measured: the mover's frames to the new address
# (the capture), and what an address-only fingerprint would have done with
# them: the same policy without its name rules, run by iotfence replay over
# the same frames through the real program.
to_next=$(tcpdump -n -r "$DEMO_TMP/mover.pcap" "src host $MOVER_IP and dst host $THERMO_MQTT_NEXT" 2>/dev/null | wc -l)
mover_frames=$(tcpdump -n -r "$DEMO_TMP/mover.pcap" "ether src $MOVER_MAC" 2>/dev/null | wc -l)
mover_dropped=$(jq -r --arg m "$MOVER_MAC" '.[] | select(.mac == $m) | .dropped' "$DEMO_TMP/devices.json")
ifn policy save "$DEMO_TMP/policy" >/dev/null
grep -v ' name ' "$DEMO_TMP/policy" >"$DEMO_TMP/policy-addresses"
GW_MAC=$("$LAB" exec gw cat /sys/class/net/br-lan/address)
"$IFN" replay --policy "$DEMO_TMP/policy-addresses" --interface "lan-$MOVER" --gateway "$GW_MAC" \
	"$DEMO_TMP/mover.pcap" --json >"$DEMO_TMP/replay.json" 2>"$DEMO_TMP/replay.err" || true
addr_only_dropped=$(jq -r --arg m "$MOVER_MAC" '[.devices[] | select(.mac == $m) | .dropped] | add // "?"' \
	"$DEMO_TMP/replay.json" 2>/dev/null || echo "?")
say "" "The $MOVER followed its cloud: $to_next of its $mover_frames frames in these seconds went to" \
	"$THERMO_MQTT_NEXT, a new address its fingerprint holds no address rule for; iotfence" \
	"dropped $mover_dropped of its frames since it was first seen."
say "An address-only fingerprint (the same policy without its name rules, replayed" \
	"over those frames by iotfence replay) would have dropped $addr_only_dropped of them."

step "The $BOT is infected: a Mirai-like telnet scan, then a UDP flood"
say "The bot probes TCP 23 (and 2323) on ~96 lab addresses: its LAN neighbours" \
	"and random addresses of the cloud range, as Mirai looks for more victims;" \
	"then it floods a cloud address with 20000 UDP datagrams."
# The cloud's UDP counters: datagrams received, and those to a closed port.
# shellcheck disable=SC2016 # awk's fields, not the shell's
snmp_udp() { "$LAB" exec cloud awk '/^Udp:/ && $2 ~ /^[0-9]/ {print $2, $3; exit}' /proc/net/snmp; }
read -r cloud_in0 cloud_noport0 < <(snmp_udp)
ifn device "${MAC_OF[$BOT]}" --json >"$DEMO_TMP/bot0.json"
"$LAB" infect "$BOT" | indent
BOTRES=$RUN/bot-$BOT
deadline=$((SECONDS + 60))
last=""
while :; do
	ifn device "${MAC_OF[$BOT]}" --json >"$DEMO_TMP/bot.json"
	phase=scanning
	grep -q '^flood_started' "$BOTRES" 2>/dev/null && phase=flooding
	grep -q '^finished' "$BOTRES" 2>/dev/null && phase=finished
	now=$(jq -r --arg p "$phase" '"bot \($p): mode \(.mode), frames \(.packets), dropped \(.dropped)"' "$DEMO_TMP/bot.json")
	if [ "$now" != "$last" ]; then
		printf '      %3ds  %s\n' $((SECONDS - STARTED)) "$now"
		last=$now
	fi
	[ "$phase" = finished ] && break
	[ "$SECONDS" -lt "$deadline" ] || fail "the bot did not finish within 60s"
	sleep 1
done
read -r cloud_in1 cloud_noport1 < <(snmp_udp)
snapshot "$DEMO_TMP/c-quarantined.json"
sleep 1 # the last events reach the follower

mac=${MAC_OF[$BOT]}
nviol=$(jq -s --arg m "$mac" '[.[] | select(.mac == $m and .type == "VIOLATION")] | length' "$EVENTS")
say "" "What iotfence reported (iotfence events --json, as they came):"
render_events ".mac == \"$mac\" and .type == \"VIOLATION\"" | head -5 | indent
nlost=$(jq -s '[.[] | select(.type == "EVENTS_LOST") | .lost] | add // 0' "$EVENTS")
if [ "$nviol" -gt 5 ]; then
	say "  ... $((nviol - 5)) more VIOLATION events; $nlost more were only counted (EVENTS_LOST):" \
		"  the datapath sends at most event-limit events per device, type and second."
fi
render_events ".mac == \"$mac\" and (.type == \"SCAN\" or .type == \"AUTO_QUARANTINE\")" |
	sed "s/^/${Y}/; s/\$/${N}/" | indent
say "" "The bot as iotfence sees it now (iotfence device $mac):"
ifn device "$mac" | sed -n '1,/^$/p' | grep -E '^(device|mode|packets|verdicts|  )' | indent

sent=$(awk '$1 == "flood_frames_tx" {print $2}' "$BOTRES")
drop0=$(jq '.dropped' "$DEMO_TMP/bot0.json")
drop1=$(jq '.dropped' "$DEMO_TMP/bot.json")
say "" "Each VIOLATION is a frame outside the ${BOT}'s fingerprint, dropped by enforce." \
	"At the threshold of distinct such flows within the window, the XDP program raised" \
	"SCAN and quarantined the $BOT on that very frame: from then on it drops" \
	"everything the $BOT sends but ARP, DHCP and IPv6 neighbour discovery."
say "" "The flood: the ${BOT}'s eth0 sent $sent frames during the flood; since the attack" \
	"began iotfence dropped $((drop1 - drop0)) of its frames in XDP, before the gateway's" \
	"stack saw them. The flood's victim (port 9, closed) got $((cloud_noport1 - cloud_noport0)) datagrams;" \
	"meanwhile the cloud received $((cloud_in1 - cloud_in0 - cloud_noport1 + cloud_noport0)) UDP datagrams from the other devices (DNS, NTP)."

step "The other devices kept working"
for ((t = 8; t > 0; t--)); do
	[ "$TTY" = 1 ] && printf '\r      watching the devices for %ds more ' "$t"
	sleep 1
done
[ "$TTY" = 1 ] && printf '\r\e[K'
snapshot "$DEMO_TMP/c-after.json"
say "Exchanges with the cloud from the start of the attack until now, and the frames" \
	"iotfence dropped of each device since it was first seen:"
printf '      %-11s %-11s %-20s %9s %7s %8s\n' DEVICE MODE "SERVICES ANSWERED" EXCHANGES FAILED DROPPED
ifn devices --json >"$DEMO_TMP/devices.json"
ok_all=1
timeouts=0
while IFS=$'\t' read -r d n nok ok f missing; do
	mode=$(jq -r --arg m "${MAC_OF[$d]}" '.[] | select(.mac == $m) | .mode' "$DEMO_TMP/devices.json")
	dropped=$(jq -r --arg m "${MAC_OF[$d]}" '.[] | select(.mac == $m) | .dropped' "$DEMO_TMP/devices.json")
	color=$G
	if [ "$d" = "$BOT" ]; then
		color=$Y
	elif [ "$nok" != "$n" ] || [ "$mode" != enforce ] || [ "$dropped" != 0 ]; then
		color=$R
		ok_all=0
	elif [ "$f" != 0 ]; then
		timeouts=$((timeouts + f))
	fi
	printf '      %s%-11s %-11s %-20s %9s %7s %8s%s\n' "$color" "$d" "$mode" "$nok of $n" "$ok" "$f" \
		"$dropped" "$N"
	[ -z "$missing" ] || [ "$d" = "$BOT" ] || say "  $d: no answer from $missing"
done < <(delta_table "$DEMO_TMP/c-before.json" "$DEMO_TMP/c-after.json" | grep -v "^$BOT	"
	delta_table "$DEMO_TMP/c-quarantined.json" "$DEMO_TMP/c-after.json" | grep "^$BOT	")
say "(the $BOT: since its quarantine)"

step "Outcome"
bot_mode=$(jq -r --arg m "$mac" '.[] | select(.mac == $m) | .mode' "$DEMO_TMP/devices.json")
nscan=$(jq -s --arg m "$mac" '[.[] | select(.mac == $m and .type == "SCAN")] | length' "$EVENTS")
nquar=$(jq -s --arg m "$mac" '[.[] | select(.mac == $m and .type == "AUTO_QUARANTINE")] | length' "$EVENTS")
good=1
if [ "$bot_mode" = quarantine ]; then
	say "${G}The $BOT ($mac) is quarantined: the XDP program itself cut it off on the frame that crossed the scan threshold.${N}"
else
	say "${R}The $BOT is in mode '$bot_mode', not quarantine.${N}"
	good=0
fi
if [ "$nscan" -ge 1 ] && [ "$nquar" -ge 1 ]; then
	say "${G}iotfence reported the scan (SCAN) and the quarantine (AUTO_QUARANTINE).${N}"
else
	say "${R}Missing events: SCAN $nscan, AUTO_QUARANTINE $nquar.${N}"
	good=0
fi
if [ "$to_next" -gt 0 ] && [ "$mover_dropped" = 0 ]; then
	say "${G}The $MOVER followed its cloud to a new address ($to_next frames) with none of its frames dropped;${N}" \
		"${G}an address-only fingerprint would have dropped $addr_only_dropped of them.${N}"
else
	say "${R}The $MOVER did not follow its cloud: $to_next frames to $THERMO_MQTT_NEXT, $mover_dropped dropped.${N}"
	good=0
fi
if [ "$ok_all" = 1 ]; then
	say "${G}${#BENIGN[@]} other devices (${BENIGN[*]}) kept every cloud service answering; iotfence dropped none of their frames.${N}"
	[ "$timeouts" = 0 ] ||
		say "($timeouts exchanges timed out without any frame dropped by iotfence: a busy machine)"
else
	say "${R}Some benign device lost service (see above).${N}"
	good=0
fi
say "" "Quarantine lasts until an operator acts: once the $BOT is cleaned," \
	"'iotfence enforce $mac' puts it back under its fingerprint."
say "Demo time: $((SECONDS - STARTED))s."
[ "$good" = 1 ] || fail "the demo did not reach its expected outcome"
