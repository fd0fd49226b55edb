#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# lab.sh - a home network in network namespaces: a gateway, IoT devices that
# talk like real ones, and a cloud that answers them. Nothing leaves the lab.
#
#   scripts/lab.sh up                  build the lab and start the traffic
#   scripts/lab.sh status [--json]     topology, XDP, traffic counters
#   scripts/lab.sh counters [--json]   each device's exchanges: ok / failed
#   scripts/lab.sh attach [OPTS]       iotfence attach on every gateway port
#   scripts/lab.sh ifn ARGS...         run iotfence on the lab's gateway
#   scripts/lab.sh exec NODE CMD...    run a command in gw, cloud or a device
#   scripts/lab.sh infect DEVICE       turn DEVICE into a Mirai-like bot
#   scripts/lab.sh dns [NAME ADDR]     the names the lab's DNS answers; move NAME to ADDR
#   scripts/lab.sh down                stop everything, remove everything
#
# Topology (defaults; `status` prints the real one):
#
#   camera  192.168.77.10 eth0 --- lan-camera -+
#   plug    192.168.77.11 eth0 --- lan-plug   -+- br-lan 192.168.77.1   gateway
#   thermo. 192.168.77.12 eth0 --- lan-thermostat                       (routes)
#   hub     192.168.77.13 eth0 --- lan-hub    -+         wan0 198.18.0.1/30
#                                                               |
#              cloud  eth0 198.18.0.2/30, services on lo in 198.18.0.0/15,
#                     DNS (dnsmasq) on 198.18.53.53
#
# The devices resolve their cloud's names (dig, at the cloud's dnsmasq) before
# they connect. Their queries and its answers go through the gateway, as a
# home router forwards DNS: iotfence's egress program on each lan-* port
# reads every answer before the device gets it.
# The gateway's LAN is a bridge of ports, as on a home router. iotfence is
# attached to every gateway-side port (lan-*), not to the bridge: XDP on a
# bridge master only runs for frames the bridge delivers up to the gateway
# itself, so a device talking to another device on the LAN would never be
# seen; on the ports, every frame a device sends is seen first. All ports
# share one iotfence state (one device table, one set of fingerprints).
#
# Environment:
#   LAB_ID       name of this lab (default "lab"; [a-z0-9], at most 8), so that
#                several labs and tests run side by side: namespaces are
#                ifl-ID-gw, ifl-ID-cloud, ifl-ID-DEVICE
#   LAB_DEVICES  devices, by kind: camera plug thermostat hub; a digit makes
#                another of the same kind ("camera plug camera2"); default
#                "camera plug thermostat hub"
#   LAB_TTL      seconds the traffic loops and servers live at most (1800)
#   LAB_PERIOD   seconds between two cycles of a device's exchanges (2)
#   LAB_PIN_DIR  iotfence pin directory (default /sys/fs/bpf/iotfence-lab-ID).
#                It must be empty or absent at `up`, and `down` removes it: the
#                lab never touches a gateway's existing state.
#   IFN_BIN      the iotfence binary (default: BUILD/iotfence, BUILD=build)
#   LAB_BOT_TARGETS, LAB_BOT_FLOOD
#                `infect`: addresses the bot scans (96) and datagrams it
#                floods (20000); see scripts/lab/mirai.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LABDIR="$HERE/lab"
# shellcheck source=scripts/lab/addrs.sh disable=SC1091
. "$LABDIR/addrs.sh"

LAB_ID=${LAB_ID:-lab}
RUN_ROOT=/run/iotfence-lab
RUN="$RUN_ROOT/$LAB_ID"
IFN=${IFN_BIN:-$ROOT/${BUILD:-build}/iotfence}

die() {
	echo "lab.sh: $*" >&2
	exit 1
}
usage() {
	sed -n '/^#   scripts/s/^#   /usage: /p' "$0" >&2
	exit 2
}

case $LAB_ID in
*[!a-z0-9]* | "") die "LAB_ID '$LAB_ID': use 1 to 8 characters a-z, 0-9" ;;
esac
[ "${#LAB_ID}" -le 8 ] || die "LAB_ID '$LAB_ID': at most 8 characters"

ns() { echo "ifl-$LAB_ID-$1"; }
in_ns() { # NODE CMD...
	local n
	n=$(ns "$1")
	shift
	ip netns exec "$n" "$@"
}

# The lab's settings: chosen at `up`, read back by every other command.
load_env() {
	[ -f "$RUN/env" ] || return 1
	# shellcheck source=/dev/null
	. "$RUN/env"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "run as root: the lab makes network namespaces"
}

need_tools() {
	local t missing=()
	for t in ip socat nc ping nsenter timeout dnsmasq dig; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ "${#missing[@]}" -eq 0 ] || die "missing ${missing[*]}: run scripts/deps.sh"
}

# iotfence in the gateway's network stack but the host's mount namespace, so
# that its pins land in the host's bpffs (ip netns exec would remount /sys).
ifn_gw() {
	[ -x "$IFN" ] || die "no iotfence binary at $IFN: run make (or set IFN_BIN)"
	IOTFENCE_PIN_DIR=$LAB_PIN_DIR IOTFENCE_STATE_DIR=$LAB_STATE_DIR \
		nsenter --net="/run/netns/$(ns gw)" "$IFN" "$@"
}
# The same as the last thing lab.sh does: iotfence takes this process's pid,
# so that whoever started `lab.sh ifn events --follow` can stop it by its pid.
exec_ifn_gw() {
	[ -x "$IFN" ] || die "no iotfence binary at $IFN: run make (or set IFN_BIN)"
	IOTFENCE_PIN_DIR=$LAB_PIN_DIR IOTFENCE_STATE_DIR=$LAB_STATE_DIR \
		exec nsenter --net="/run/netns/$(ns gw)" "$IFN" "$@"
}

# Start a bounded background process in a namespace; its pid is recorded.
start_bg() { # NODE NAME CMD...
	local node=$1 name=$2
	shift 2
	in_ns "$node" "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/pids/$name"
}

lab_namespaces() {
	ip netns list 2>/dev/null | awk -v p="ifl-$LAB_ID-" 'index($1, p) == 1 {print $1}'
}

cmd_up() {
	need_root
	need_tools
	local devs=${LAB_DEVICES:-$LAB_DEVICES_DEFAULT} ttl=${LAB_TTL:-1800} period=${LAB_PERIOD:-2}
	local pin=${LAB_PIN_DIR:-/sys/fs/bpf/iotfence-lab-$LAB_ID} d k i=0
	if [ -e "$RUN" ] || [ -n "$(lab_namespaces)" ]; then
		die "lab '$LAB_ID' is already up (scripts/lab.sh down, or another LAB_ID)"
	fi
	case "$ttl$period" in
	*[!0-9]*) die "LAB_TTL and LAB_PERIOD are whole seconds" ;;
	esac
	if [ "$ttl" -lt 10 ] || [ "$ttl" -gt 86400 ]; then
		die "LAB_TTL: 10 to 86400 seconds"
	fi
	if [ "$period" -lt 1 ] || [ "$period" -gt 60 ]; then
		die "LAB_PERIOD: 1 to 60 seconds"
	fi
	local names=() seen=" "
	for d in $devs; do
		k=$(lab_kind "$d") || die "device '$d': its name starts with camera, plug, thermostat or hub"
		[ "${#d}" -le 11 ] || die "device '$d': at most 11 characters"
		case $d in *[!a-z0-9]*) die "device '$d': use a-z, 0-9" ;; esac
		case $seen in *" $d "*) die "device '$d' is listed twice" ;; esac
		seen+="$d "
		names+=("$d")
	done
	[ "${#names[@]}" -ge 1 ] || die "LAB_DEVICES is empty"
	[ "${#names[@]}" -le "$LAB_MAX_DEVICES" ] || die "at most $LAB_MAX_DEVICES devices"
	if [ -e "$pin" ] && [ -n "$(ls -A "$pin" 2>/dev/null)" ]; then
		die "$pin already holds pinned state: choose another LAB_PIN_DIR or LAB_ID"
	fi

	mkdir -p "$RUN/pids" "$RUN/logs" "$RUN/counters" "$RUN/state" "$RUN/dns"
	# dnsmasq reads its hosts file again after it dropped its privileges.
	chmod 0755 "$RUN_ROOT" "$RUN" "$RUN/dns"
	cat >"$RUN/env" <<-EOF
		LAB_DEVICES_LIST="${names[*]}"
		LAB_PIN_DIR="$pin"
		LAB_STATE_DIR="$RUN/state"
		LAB_TTL_S=$ttl
		LAB_PERIOD_S=$period
		LAB_STARTED=$(date +%s)
	EOF
	load_env
	trap 'echo "lab.sh: up failed; tearing down" >&2; cmd_down >/dev/null 2>&1 || true' ERR

	local gw cloud
	gw=$(ns gw)
	cloud=$(ns cloud)
	ip netns add "$gw"
	ip netns add "$cloud"
	in_ns gw ip link set lo up
	in_ns cloud ip link set lo up
	in_ns gw sysctl -qw net.ipv4.ip_forward=1

	# Gateway: a LAN bridge, and a WAN link to the cloud. No default route
	# anywhere: the gateway routes the LAN and 198.18.0.0/15, nothing else.
	in_ns gw ip link add br-lan type bridge
	in_ns gw ip addr add "$LAN_GW/$LAN_LEN" dev br-lan
	in_ns gw ip link set br-lan up
	ip link add wan0 netns "$gw" type veth peer name eth0 netns "$cloud"
	in_ns gw ip addr add "$WAN_GW/$WAN_LEN" dev wan0
	in_ns cloud ip addr add "$WAN_CLOUD/$WAN_LEN" dev eth0
	in_ns gw ip link set wan0 up
	in_ns cloud ip link set eth0 up
	in_ns gw ip route add "$CLOUD_NET" via "$WAN_CLOUD" dev wan0
	in_ns cloud ip route add "$LAN_PREFIX.0/$LAN_LEN" via "$WAN_GW" dev eth0
	local a
	for a in "${CLOUD_ADDRS[@]}"; do
		in_ns cloud ip addr add "$a/32" dev lo
	done

	for d in "${names[@]}"; do
		k=$(lab_kind "$d")
		ip netns add "$(ns "$d")"
		in_ns "$d" ip link set lo up
		ip link add eth0 netns "$(ns "$d")" address "$(lab_dev_mac "$i" "$k")" type veth \
			peer name "lan-$d" netns "$gw"
		in_ns gw ip link set "lan-$d" master br-lan
		in_ns gw ip link set "lan-$d" up
		in_ns "$d" ip addr add "$(lab_dev_ip "$i")/$LAN_LEN" dev eth0
		in_ns "$d" ip link set eth0 up
		in_ns "$d" ip route add "$CLOUD_NET" via "$LAN_GW" dev eth0
		in_ns "$d" ip route add 224.0.0.0/4 dev eth0
		i=$((i + 1))
	done

	write_hosts
	start_bg cloud cloud timeout "$ttl" bash "$LABDIR/cloud.sh" "$ttl" "$RUN/logs" "$RUN/dns"
	wait_cloud
	for d in "${names[@]}"; do
		start_bg "$d" "device-$d" timeout "$ttl" bash "$LABDIR/device.sh" \
			"$(lab_kind "$d")" "$RUN/counters/$d" "$ttl" "$period"
	done
	trap - ERR
	wait_first_cycle || { cmd_down >/dev/null 2>&1 || true; exit 1; }
	echo "lab '$LAB_ID' is up: ${#names[@]} devices, traffic for at most ${ttl}s"
	echo "  status:   LAB_ID=$LAB_ID scripts/lab.sh status"
	echo "  iotfence: LAB_ID=$LAB_ID scripts/lab.sh attach --new-devices learn --learn-for 30s"
	echo "  teardown: LAB_ID=$LAB_ID scripts/lab.sh down"
}

# The names dnsmasq answers, "ADDR NAME" lines: the first addresses
# (addrs.sh), then each move (`dns NAME ADDR`) in $RUN/dns/moves.
write_hosts() {
	local e name addr
	touch "$RUN/dns/moves"
	{
		for e in "${CLOUD_NAMES[@]}"; do
			name=${e% *}
			addr=$(awk -v n="$name" '$1 == n {a = $2} END {print a}' "$RUN/dns/moves")
			echo "${addr:-${e#* }} $name"
		done
	} >"$RUN/dns/hosts.tmp"
	chmod 0644 "$RUN/dns/hosts.tmp"
	mv -f "$RUN/dns/hosts.tmp" "$RUN/dns/hosts"
}

# The cloud's servers listen within a few seconds, or the lab is broken:
# the TCP and UDP echo servers, and dnsmasq on UDP and TCP 53.
wait_cloud() {
	local want=$((${#CLOUD_TCP_PORTS[@]} + ${#CLOUD_UDP_SERVICES[@]} + 2)) n t
	for ((t = 0; t < 50; t++)); do
		n=$(in_ns cloud ss -H -ltun 2>/dev/null | wc -l)
		[ "$n" -ge "$want" ] && return 0
		sleep 0.1
	done
	die "the cloud's servers did not start (see $RUN/logs/)"
}

# Every device completes one cycle with every exchange answered.
wait_first_cycle() {
	local d t bad
	for ((t = 0; t < 150; t++)); do
		bad=""
		for d in $LAB_DEVICES_LIST; do
			[ -s "$RUN/counters/$d" ] || { bad+=" $d(no cycle yet)"; continue; }
			if awk '$2 == "echo" && $6 > 0 {f = 1} END {exit !f}' "$RUN/counters/$d"; then
				bad+=" $d($(awk '$2 == "echo" && $6 > 0 {printf "%s ", $1}' "$RUN/counters/$d")failed)"
			fi
		done
		[ -z "$bad" ] && return 0
		sleep 0.1
	done
	echo "lab.sh: devices not working before iotfence was attached:$bad" >&2
	echo "lab.sh: logs in $RUN/logs/" >&2
	return 1
}

cmd_down() {
	need_root
	local had=0 n p pids t
	if load_env; then
		had=1
		# Detach iotfence before the gateway's ports disappear, so that no
		# pinned link outlives its interface. The pin directory is the
		# lab's own (`up` refuses one that holds state): purge it.
		if [ -d "$LAB_PIN_DIR" ] && [ -x "$IFN" ] && [ -e "/run/netns/$(ns gw)" ]; then
			ifn_gw detach --all --purge >/dev/null 2>&1 || true
		fi
		for n in "$RUN"/counters/*; do
			[ -e "$n" ] && touch "$n.stop"
		done
		for p in "$RUN"/pids/*; do
			if [ -e "$p" ]; then
				kill "$(cat "$p")" 2>/dev/null || true
			fi
		done
	fi
	# Whatever still runs in the lab's namespaces was started by the lab.
	for ((t = 0; t < 30; t++)); do
		pids=""
		for n in $(lab_namespaces); do
			pids+=" $(ip netns pids "$n" 2>/dev/null | tr '\n' ' ')"
		done
		[ -n "${pids// /}" ] || break
		# shellcheck disable=SC2086 # a list of pids
		if [ "$t" -lt 20 ]; then kill $pids 2>/dev/null || true; else kill -9 $pids 2>/dev/null || true; fi
		sleep 0.1
	done
	for n in $(lab_namespaces); do
		had=1
		ip netns del "$n" 2>/dev/null || true
	done
	if [ "$had" = 1 ] && [ -d "${LAB_PIN_DIR:-}" ]; then
		# What detach left (no binary, or it failed): the lab's pins only.
		rm -rf "$LAB_PIN_DIR"
	fi
	wait 2>/dev/null || true
	rm -rf "$RUN"
	rmdir "$RUN_ROOT" 2>/dev/null || true
	if [ "$had" = 1 ]; then
		echo "lab '$LAB_ID' is down"
	else
		echo "lab '$LAB_ID' is not up: nothing to tear down"
	fi
}

require_up() {
	load_env || die "lab '$LAB_ID' is not up (scripts/lab.sh up)"
}

# KEY of a device's counters: ok and fail summed over its "echo" exchanges.
dev_totals() { # DEVICE -> "cycles ok fail"
	local f="$RUN/counters/$1"
	[ -s "$f" ] || { echo "0 0 0"; return; }
	awk '$1 == "cycles" {c = $2} $2 == "echo" {o += $5; x += $6} END {print c + 0, o + 0, x + 0}' "$f"
}

# What `ip link` says is attached to a gateway port: "xdp" (native),
# "xdpgeneric", "xdpoffload", "xdpmulti", or "-", with the program's id.
xdp_of() {
	in_ns gw ip link show dev "$1" 2>/dev/null |
		awk 'NR == 1 {for (i = 1; i <= NF; i++) if ($i ~ /^xdp/) m = $i}
		     /prog\/xdp/ {id = $3}
		     END {print (m == "" ? "-" : m (id == "" ? "" : "/" id))}'
}

mac_of() { # DEVICE -> the MAC of its eth0
	in_ns "$1" cat /sys/class/net/eth0/address 2>/dev/null || echo "-"
}

alive() { # NAME -> yes/no
	local p="$RUN/pids/$1"
	[ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && echo yes || echo no
}

cmd_status() {
	require_up
	local d k i=0 c o x
	if [ "${1:-}" = "--json" ]; then
		{
			local j=0
			for d in $LAB_DEVICES_LIST; do
				k=$(lab_kind "$d")
				read -r c o x < <(dev_totals "$d")
				jq -n --arg name "$d" --arg kind "$k" --arg ns "$(ns "$d")" \
					--arg ip "$(lab_dev_ip "$j")" --arg mac "$(mac_of "$d")" \
					--arg port "lan-$d" --arg xdp "$(xdp_of "lan-$d")" \
					--arg alive "$(alive "device-$d")" \
					--argjson cycles "$c" --argjson ok "$o" --argjson fail "$x" \
					'{name: $name, kind: $kind, namespace: $ns, ipv4: $ip, mac: $mac,
					  gateway_port: $port, xdp: $xdp, loop_running: ($alive == "yes"),
					  cycles: $cycles, ok: $ok, failed: $fail}'
				j=$((j + 1))
			done
		} | jq -s --arg id "$LAB_ID" --arg gw "$(ns gw)" --arg cloud "$(ns cloud)" \
			--arg pin "$LAB_PIN_DIR" --arg state "$LAB_STATE_DIR" \
			--arg servers "$(alive cloud)" \
			'{lab: $id, gateway: $gw, cloud: $cloud, pin_dir: $pin, state_dir: $state,
			  cloud_running: ($servers == "yes"), devices: .}'
		return
	fi
	echo "lab '$LAB_ID' (up since $(date -d "@$LAB_STARTED" '+%H:%M:%S'), traffic for ${LAB_TTL_S}s at most)"
	echo "gateway $(ns gw): br-lan $LAN_GW/$LAN_LEN, wan0 $WAN_GW/$WAN_LEN, routes $CLOUD_NET to the cloud, no default route"
	echo "cloud   $(ns cloud): ${#CLOUD_ADDRS[@]} service addresses in $CLOUD_NET, servers running: $(alive cloud)"
	echo "iotfence pins: $LAB_PIN_DIR ($([ -d "$LAB_PIN_DIR" ] && echo present || echo "not attached"))"
	echo
	printf '%-12s %-11s %-15s %-18s %-16s %-11s %-5s %7s %7s %7s\n' \
		DEVICE KIND IPV4 MAC "GATEWAY PORT" XDP LOOP CYCLES OK FAILED
	for d in $LAB_DEVICES_LIST; do
		k=$(lab_kind "$d")
		read -r c o x < <(dev_totals "$d")
		printf '%-12s %-11s %-15s %-18s %-16s %-11s %-5s %7s %7s %7s\n' "$d" "$k" \
			"$(lab_dev_ip "$i")" "$(mac_of "$d")" "lan-$d" "$(xdp_of "lan-$d")" \
			"$(alive "device-$d")" "$c" "$o" "$x"
		i=$((i + 1))
	done
}

cmd_counters() {
	require_up
	local d f
	if [ "${1:-}" = "--json" ]; then
		for d in $LAB_DEVICES_LIST; do
			f="$RUN/counters/$d"
			[ -s "$f" ] || continue
			awk -v dev="$d" '$1 == "cycles" {c = $2} $1 == "updated" {u = $2}
				NF == 6 {printf "{\"service\":\"%s\",\"kind\":\"%s\",\"proto\":\"%s\",\"peer\":\"%s\",\"ok\":%d,\"failed\":%d}\n",
					$1, $2, $3, $4, $5, $6}
				END {printf "{\"device\":\"%s\",\"cycles\":%d,\"updated\":%d}\n", dev, c, u}' "$f" |
				jq -s '.[-1] + {services: .[:-1]}' ||
				die "cannot read $f"
		done | jq -s '.'
		return
	fi
	printf '%-12s %-12s %-6s %-10s %-44s %6s %6s\n' DEVICE SERVICE KIND PROTO PEER OK FAILED
	for d in $LAB_DEVICES_LIST; do
		f="$RUN/counters/$d"
		[ -s "$f" ] || continue
		awk -v dev="$d" 'NF == 6 {printf "%-12s %-12s %-6s %-10s %-44s %6d %6d\n", dev, $1, $2, $3, $4, $5, $6}' "$f"
	done
}

cmd_attach() {
	require_up
	local d
	for d in $LAB_DEVICES_LIST; do
		ifn_gw attach "lan-$d" "$@"
	done
}

cmd_exec() {
	require_up
	[ $# -ge 2 ] || usage
	local node=$1
	shift
	[ -e "/run/netns/$(ns "$node")" ] || die "no node '$node' (gw, cloud, or a device: $LAB_DEVICES_LIST)"
	in_ns "$node" "$@"
}

cmd_infect() {
	require_up
	[ $# -ge 1 ] || usage
	local d=$1
	case " $LAB_DEVICES_LIST " in
	*" $d "*) ;;
	*) die "no device '$d' (devices: $LAB_DEVICES_LIST)" ;;
	esac
	[ "$(alive "bot-$d")" = no ] || die "$d is already running the bot"
	rm -f "$RUN/bot-$d"
	start_bg "$d" "bot-$d" timeout 120 bash "$LABDIR/mirai.sh" "$RUN/bot-$d" \
		"${LAB_BOT_TARGETS:-96}" "${LAB_BOT_FLOOD:-20000}"
	echo "$d: Mirai-like bot started (telnet scan, then a UDP flood); progress in $RUN/bot-$d"
}

# dns: the names and the addresses the lab's DNS server answers now.
# dns NAME ADDR: NAME's service moves to ADDR (an address of the cloud's
# range, given to the cloud if it has not got it: every TCP service of the
# cloud answers there). The next answer for NAME gives ADDR.
cmd_dns() {
	require_up
	if [ $# -eq 0 ]; then
		awk '{printf "%-44s %s\n", $2, $1}' "$RUN/dns/hosts"
		return
	fi
	[ $# -eq 2 ] || usage
	local name=$1 addr=$2 e known=0 pid
	for e in "${CLOUD_NAMES[@]}"; do
		[ "${e% *}" = "$name" ] && known=1
	done
	[ "$known" = 1 ] || die "no name '$name' in the lab (scripts/lab.sh dns lists them)"
	case $addr in
	198.18.*.* | 198.19.*.*) ;;
	*) die "address '$addr': the lab's cloud is $CLOUD_NET" ;;
	esac
	in_ns cloud ip -4 addr show dev lo | grep -q " $addr/" ||
		in_ns cloud ip addr add "$addr/32" dev lo ||
		die "cannot give $addr to the cloud"
	echo "$name $addr" >>"$RUN/dns/moves"
	write_hosts
	pid=$(cat "$RUN/dns/dnsmasq.pid" 2>/dev/null) || die "the lab's DNS server is not running"
	kill -HUP "$pid" || die "the lab's DNS server (pid $pid) is not running"
	echo "$name now resolves to $addr"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
status) cmd_status "$@" ;;
counters) cmd_counters "$@" ;;
attach) cmd_attach "$@" ;;
ifn)
	require_up
	exec_ifn_gw "$@"
	;;
exec) cmd_exec "$@" ;;
infect) cmd_infect "$@" ;;
dns) cmd_dns "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
