#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# device.sh - the traffic loop of one lab device, run inside its namespace by
# scripts/lab.sh. It mimics the peers and ports of a real device seen in
# tests/captures (see PROFILES below) and records every exchange it makes,
# so that the demo and the tests can tell whether a device still works.
#
#   device.sh KIND COUNTERS_FILE TTL_SECONDS PERIOD_SECONDS
#
# KIND is camera, plug, thermostat or hub. The loop runs a cycle of
# exchanges every PERIOD seconds and stops after TTL seconds, or at once when
# COUNTERS_FILE.stop exists, or on SIGTERM.
#
# Exchanges are request/response ("echo": the cloud servers of
# scripts/lab/cloud.sh send the request back, and success means the answer
# came back) or one-way announcements ("send": multicast SSDP, mDNS and vendor
# discovery, which a gateway never answers; counted when the send succeeds).
#
# COUNTERS_FILE, rewritten atomically after every cycle:
#   # device KIND
#   cycles N
#   updated EPOCH_SECONDS
#   NAME echo|send PROTO/PORT PEER OK FAIL
# PEER is a DNS name for the services a device resolves first ("dns" counts
# the resolutions: answered with an address, or not), an address otherwise.
#
# PROFILES (the lab's cloud lives in 198.18.0.0/15, RFC 2544 benchmarking
# space, which is never routed on the Internet; each lab peer stands for one
# real peer of the capture):
#   camera      nku_xiaobai_Y2camera_idle_remote.pcap, monitr_yi_camera_sample:
#               TLS 443 to its cloud, UDP 32100 P2P to three relay servers from
#               random source ports, ICMP echo to two public resolvers (a
#               connectivity check), DNS.
#   plug        nku_xiaodu_plug.pcap: TLS 443 to two cloud addresses, HTTP 80,
#               DNS, NTP, SSDP 1900 to 239.255.255.250 from port 10333, vendor
#               discovery UDP 19704 to 239.255.0.100 from port 26803.
#   thermostat  sentinel_MAXGateway_* (eQ-3 MAX! heating cube): NTP from source
#               port 1024, DNS from source port 1025; plus the MQTT over TLS
#               (8883) and HTTPS of today's cloud thermostats.
#   hub         sentinel_D-LinkHomeHub_*: HTTP 80 and TLS 443 to several cloud
#               addresses, NTP, DNS, mDNS 5353, SSDP 1900; MQTT 1883; and TCP
#               connections opened from low source ports (3000-4999) as the
#               Belkin WeMo Link hub does (sentinel_WeMoLink_*).
set -euo pipefail

if [ $# -ne 4 ]; then
	echo "usage: device.sh camera|plug|thermostat|hub COUNTERS_FILE TTL PERIOD" >&2
	exit 2
fi
KIND=$1
OUT=$2
TTL=$3
PERIOD=$4

# Lab addresses, shared with lab.sh (scripts/lab/addrs.sh).
# shellcheck source=scripts/lab/addrs.sh disable=SC1091
. "$(dirname "$0")/addrs.sh"

PAYLOAD="iotfence-lab"
NAMES=()
declare -A S_KIND S_WHAT S_PEER S_OK S_FAIL

# One exchange: NAME KIND PROTO/PORT PEER command...
probe() {
	local name=$1 kind=$2 what=$3 peer=$4
	shift 4
	if [ -z "${S_KIND[$name]+x}" ]; then
		NAMES+=("$name")
		S_KIND[$name]=$kind
		S_WHAT[$name]=$what
		S_PEER[$name]=$peer
		S_OK[$name]=0
		S_FAIL[$name]=0
	fi
	if "$@"; then
		S_OK[$name]=$((S_OK[$name] + 1))
	else
		S_FAIL[$name]=$((S_FAIL[$name] + 1))
	fi
}

# TCP request/response: PEER PORT [SOURCE_PORT]. Bounded by connect-timeout
# (a dropped SYN) and -T (a dropped answer), and by timeout(1) around it all.
tcp_echo() {
	local opts="connect-timeout=2" got
	[ -n "${3:-}" ] && opts+=",sourceport=$3,reuseaddr"
	got=$(printf '%s\n' "$PAYLOAD" | timeout 5 socat -T2 - "TCP4:$1:$2,$opts" 2>/dev/null) ||
		return 1
	[ "$got" = "$PAYLOAD" ]
}

# UDP request/response from an ephemeral port, without a fork: bash's
# /dev/udp connects a socket, so only the peer's answer is read. bash reads
# one byte at a time, which would truncate a datagram: one byte is enough.
udp_echo() {
	local c=""
	exec 3<>"/dev/udp/$1/$2" || return 1
	if printf '%s\n' "$PAYLOAD" >&3 2>/dev/null; then
		read -r -t 1 -n 1 c <&3 || c=""
	fi
	exec 3<&-
	[ "$c" = "${PAYLOAD:0:1}" ]
}

# UDP request/response from a fixed source port: PEER PORT SOURCE_PORT.
udp_echo_from() {
	local got
	got=$(printf '%s\n' "$PAYLOAD" |
		timeout 3 socat -T1 -t0.5 - "UDP4:$1:$2,sourceport=$3,reuseaddr" 2>/dev/null) ||
		return 1
	[ "$got" = "$PAYLOAD" ]
}

# One-way datagram (multicast announcements): GROUP PORT SOURCE_PORT.
udp_send() {
	printf '%s\n' "$PAYLOAD" |
		timeout 3 socat -u - "UDP4-DATAGRAM:$1:$2,sourceport=$3,reuseaddr" 2>/dev/null
}

icmp_echo() {
	ping -n -q -c 1 -W 1 "$1" >/dev/null 2>&1
}

# NAME's address, asked of the lab's DNS server now (dig: one try, 1 s), as
# a device resolves before it connects: RESOLVED[NAME] gets the first
# address of the answer, or nothing. [SOURCE_PORT]: the port the query
# leaves from (the thermostat's resolver uses 1025).
declare -A RESOLVED
resolve() { # NAME [SOURCE_PORT]
	local a from=()
	[ -n "${2:-}" ] && from=(-b "0.0.0.0#$2")
	a=$(timeout 3 dig +short +tries=1 +time=1 "${from[@]}" "@$DNS_ADDR" "$1" A 2>/dev/null |
		awk '/^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$/ {print; exit}')
	RESOLVED[$1]=$a
	[ -n "$a" ]
}

# The exchanges with a named service, at the address it resolved to last.
tcp_echo_name() { # NAME PORT [SOURCE_PORT]
	[ -n "${RESOLVED[$1]:-}" ] && tcp_echo "${RESOLVED[$1]}" "$2" "${3:-}"
}
udp_echo_name() { # NAME PORT [SOURCE_PORT]
	[ -n "${RESOLVED[$1]:-}" ] || return 1
	if [ -n "${3:-}" ]; then
		udp_echo_from "${RESOLVED[$1]}" "$2" "$3"
	else
		udp_echo "${RESOLVED[$1]}" "$2"
	fi
}

# The hub opens its TCP connections from ports 3000-4999, in turn, so that a
# port is used again only long after its TIME_WAIT has ended.
HUB_PORT=3000
hub_port() {
	HUB_PORT=$((HUB_PORT + 1))
	[ "$HUB_PORT" -le 4999 ] || HUB_PORT=3000
}

cycle_camera() {
	probe dns echo udp/53 "$DNS_ADDR" resolve "$CAM_API_NAME"
	probe https echo tcp/443 "$CAM_API_NAME" tcp_echo_name "$CAM_API_NAME" 443
	# Relays and "public resolvers" by address, as the captured cameras
	# use them: the relays' addresses come from the vendor's cloud inside
	# its TLS session, not from DNS.
	probe p2p-relay1 echo udp/32100 "$CAM_P2P1" udp_echo "$CAM_P2P1" 32100
	probe p2p-relay2 echo udp/32100 "$CAM_P2P2" udp_echo "$CAM_P2P2" 32100
	probe p2p-relay3 echo udp/32100 "$CAM_P2P3" udp_echo "$CAM_P2P3" 32100
	probe ping-check1 echo icmp/8 "$PUB_RES1" icmp_echo "$PUB_RES1"
	probe ping-check2 echo icmp/8 "$PUB_RES2" icmp_echo "$PUB_RES2"
}

cycle_plug() {
	probe dns echo udp/53 "$DNS_ADDR" resolve "$PLUG_API1_NAME"
	probe dns echo udp/53 "$DNS_ADDR" resolve "$PLUG_API2_NAME"
	probe https echo tcp/443 "$PLUG_API1_NAME" tcp_echo_name "$PLUG_API1_NAME" 443
	probe https-2 echo tcp/443 "$PLUG_API2_NAME" tcp_echo_name "$PLUG_API2_NAME" 443
	probe http echo tcp/80 "$PLUG_API1_NAME" tcp_echo_name "$PLUG_API1_NAME" 80
	probe dns echo udp/53 "$DNS_ADDR" resolve "$NTP_NAME"
	probe ntp echo udp/123 "$NTP_NAME" udp_echo_name "$NTP_NAME" 123
	probe ssdp send udp/1900 "$SSDP_GROUP" udp_send "$SSDP_GROUP" 1900 10333
	probe discovery send udp/19704 "$PLUG_GROUP" udp_send "$PLUG_GROUP" 19704 26803
}

cycle_thermostat() {
	probe dns echo udp/53 "$DNS_ADDR" resolve "$NTP_NAME" 1025
	probe ntp echo udp/123 "$NTP_NAME" udp_echo_name "$NTP_NAME" 123 1024
	probe dns echo udp/53 "$DNS_ADDR" resolve "$THERMO_MQTT_NAME" 1025
	probe mqtts echo tcp/8883 "$THERMO_MQTT_NAME" tcp_echo_name "$THERMO_MQTT_NAME" 8883
	probe dns echo udp/53 "$DNS_ADDR" resolve "$THERMO_API_NAME" 1025
	probe https echo tcp/443 "$THERMO_API_NAME" tcp_echo_name "$THERMO_API_NAME" 443
}

cycle_hub() {
	probe dns echo udp/53 "$DNS_ADDR" resolve "$HUB_API1_NAME"
	hub_port
	probe http echo tcp/80 "$HUB_API1_NAME" tcp_echo_name "$HUB_API1_NAME" 80 "$HUB_PORT"
	probe dns echo udp/53 "$DNS_ADDR" resolve "$HUB_API2_NAME"
	hub_port
	probe https echo tcp/443 "$HUB_API2_NAME" tcp_echo_name "$HUB_API2_NAME" 443 "$HUB_PORT"
	probe dns echo udp/53 "$DNS_ADDR" resolve "$HUB_API3_NAME"
	hub_port
	probe https-2 echo tcp/443 "$HUB_API3_NAME" tcp_echo_name "$HUB_API3_NAME" 443 "$HUB_PORT"
	hub_port
	probe mqtt echo tcp/1883 "$HUB_API1_NAME" tcp_echo_name "$HUB_API1_NAME" 1883 "$HUB_PORT"
	probe dns echo udp/53 "$DNS_ADDR" resolve "$NTP_NAME"
	probe ntp echo udp/123 "$NTP_NAME" udp_echo_name "$NTP_NAME" 123
	probe mdns send udp/5353 "$MDNS_GROUP" udp_send "$MDNS_GROUP" 5353 5353
	probe ssdp send udp/1900 "$SSDP_GROUP" udp_send "$SSDP_GROUP" 1900 1900
}

case $KIND in
camera | plug | thermostat | hub) ;;
*)
	echo "device.sh: unknown device kind '$KIND' (camera, plug, thermostat, hub)" >&2
	exit 2
	;;
esac

CYCLES=0
write_counters() {
	local n tmp="$OUT.tmp"
	{
		echo "# device $KIND"
		echo "cycles $CYCLES"
		echo "updated $(date +%s)"
		for n in "${NAMES[@]}"; do
			echo "$n ${S_KIND[$n]} ${S_WHAT[$n]} ${S_PEER[$n]} ${S_OK[$n]} ${S_FAIL[$n]}"
		done
	} >"$tmp"
	mv -f "$tmp" "$OUT"
}

trap 'exit 0' TERM INT
end=$((SECONDS + TTL))
while [ "$SECONDS" -lt "$end" ] && [ ! -e "$OUT.stop" ]; do
	"cycle_$KIND"
	CYCLES=$((CYCLES + 1))
	write_counters
	sleep "$PERIOD"
done
