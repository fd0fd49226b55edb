#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lib.sh - a small frame for integration tests in network namespaces.
#
# Each test gets unique namespace names, its own pin directory and state
# directory (so tests never touch a real gateway's state, and may run side by
# side), bounded traffic, and a teardown that runs on every exit.
#
#   . "$(dirname "$0")/lib.sh"
#   it_init attach                      # name of the test
#   it_ns gw; it_ns dev1                # namespaces ifn-<id>-gw ...
#   it_link gw eth0 10.99.0.1/24 dev1 eth0 10.99.0.2/24
#   gw_ifn attach eth0                  # iotfence inside the gw namespace
#   check "ping passes" in_ns dev1 ping -c1 -W1 10.99.0.1
#   it_done                             # prints the summary, sets the exit code

set -uo pipefail

IFN=${IFN_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/iotfence}
IT_NAME=""
IT_ID=""
IT_NS=()
IT_CHECKS=0
IT_FAILS=0
IT_PIDS=()
IFN_ANY=""
IFN_ANY_DIR=""

it_init() {
	IT_NAME=$1
	IT_ID="$(printf '%x' $$)$(printf '%02x' $((RANDOM % 256)))"
	export IOTFENCE_PIN_DIR="/sys/fs/bpf/ifn-it-$IT_ID"
	export IOTFENCE_STATE_DIR="/tmp/ifn-it-state-$IT_ID"
	mkdir -p "$IOTFENCE_STATE_DIR"
	trap it_teardown EXIT
	trap 'exit 130' INT TERM
	[ -x "$IFN" ] || { echo "missing $IFN: build first" >&2; exit 1; }
	# A copy of the binary that another user can reach: the clone may lie
	# under a directory only root may enter (/root is 0700), and a test of
	# what `nobody` sees must test the program, not where the clone lies.
	IFN_ANY_DIR=$(mktemp -d "/tmp/ifn-it-bin-$IT_ID.XXXXXX")
	chmod 0755 "$IFN_ANY_DIR"
	IFN_ANY=$IFN_ANY_DIR/iotfence
	install -m 0755 "$IFN" "$IFN_ANY"
}

ns_name() { echo "ifn-$IT_ID-$1"; }

it_ns() {
	local n
	n=$(ns_name "$1")
	ip netns add "$n" || { echo "cannot create netns $n" >&2; exit 1; }
	IT_NS+=("$n")
	ip -n "$n" link set lo up
}

# it_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair, addresses, up.
it_link() {
	local a b
	a=$(ns_name "$1")
	b=$(ns_name "$4")
	ip link add "$2" netns "$a" type veth peer name "$5" netns "$b"
	[ -n "$3" ] && ip -n "$a" addr add "$3" dev "$2"
	[ -n "$6" ] && ip -n "$b" addr add "$6" dev "$5"
	# A neighbour answered once is not probed again for the test's life: the
	# kernel's unicast ARP confirmation 5 s later is a frame no test sent.
	ip netns exec "$a" sysctl -qw "net.ipv4.neigh.$2.delay_first_probe_time=3600"
	ip netns exec "$b" sysctl -qw "net.ipv4.neigh.$5.delay_first_probe_time=3600"
	ip -n "$a" link set "$2" up
	ip -n "$b" link set "$5" up
}

# Run a command in a namespace (traffic generators, servers).
in_ns() {
	local n
	n=$(ns_name "$1")
	shift
	ip netns exec "$n" "$@"
}

# Run iotfence in a namespace's network stack but the host's mount
# namespace, so that its pins land in the host bpffs and outlive the call
# (ip netns exec would give it a private /sys).
ns_ifn() {
	local n
	n=$(ns_name "$1")
	shift
	nsenter --net="/run/netns/$n" "$IFN" "$@"
}

ifn() { "$IFN" "$@"; }

# Start a background process in a namespace; killed at teardown.
bg_ns() {
	local n
	n=$(ns_name "$1")
	shift
	ip netns exec "$n" "$@" &
	IT_PIDS+=($!)
}

mac_of() { # NS IF
	ip -n "$(ns_name "$1")" link show "$2" | awk '/link\/ether/ {print $2}'
}

check() { # description command...
	local desc=$1
	shift
	IT_CHECKS=$((IT_CHECKS + 1))
	if "$@" >/tmp/ifn-it-out.$$ 2>&1; then
		echo "  ok   $desc"
	else
		IT_FAILS=$((IT_FAILS + 1))
		echo "  FAIL $desc"
		sed 's/^/       | /' /tmp/ifn-it-out.$$ | tail -20
	fi
	rm -f /tmp/ifn-it-out.$$
}

check_fails() { # description command... (must exit non-zero)
	local desc=$1
	shift
	IT_CHECKS=$((IT_CHECKS + 1))
	if "$@" >/tmp/ifn-it-out.$$ 2>&1; then
		IT_FAILS=$((IT_FAILS + 1))
		echo "  FAIL $desc (succeeded, expected a failure)"
		sed 's/^/       | /' /tmp/ifn-it-out.$$ | tail -20
	else
		echo "  ok   $desc"
	fi
	rm -f /tmp/ifn-it-out.$$
}

# Compare two values with a description.
check_eq() { # description expected actual
	IT_CHECKS=$((IT_CHECKS + 1))
	if [ "$2" = "$3" ]; then
		echo "  ok   $1"
	else
		IT_FAILS=$((IT_FAILS + 1))
		echo "  FAIL $1: expected '$2', got '$3'"
	fi
}

# check_error DESC REGEX COMMAND...: the command must fail with exactly one
# line on stderr, matching REGEX (grep -E), the way every iotfence error is.
check_error() {
	local desc=$1 re=$2 rc lines
	shift 2
	IT_CHECKS=$((IT_CHECKS + 1))
	"$@" >/tmp/ifn-it-out.$$ 2>/tmp/ifn-it-err.$$
	rc=$?
	lines=$(wc -l </tmp/ifn-it-err.$$)
	if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -Eq -- "$re" /tmp/ifn-it-err.$$; then
		echo "  ok   $desc (exit $rc): $(cat /tmp/ifn-it-err.$$)"
	else
		IT_FAILS=$((IT_FAILS + 1))
		echo "  FAIL $desc: exit $rc, $lines line(s) on stderr, expected one matching '$re'"
		sed 's/^/       | /' /tmp/ifn-it-err.$$ /tmp/ifn-it-out.$$ | tail -20
	fi
	rm -f /tmp/ifn-it-out.$$ /tmp/ifn-it-err.$$
}

# it_wait SECONDS COMMAND...: poll (every 0.1 s) until the command succeeds.
it_wait() {
	local tries=$(($1 * 10))
	shift
	while [ $tries -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# it_ns_quiet NAME: a namespace whose interfaces send nothing by themselves
# (no IPv6: no DAD, router solicitations or MLD reports), so that counters
# and maps change only with the traffic a test makes. Call before it_link.
it_ns_quiet() {
	it_ns "$1"
	in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# it_lab [NDEV]: a gateway namespace "gw" routing between NDEV (default 2)
# device namespaces dev1..devN and a server namespace "srv", with no route
# out of the lab and no IPv6 (quiet counters):
#   devK eth0 10.91.K.2/24 -- gw lanK 10.91.K.1/24     (default route via gw)
#   srv  eth0 10.91.9.2/24 -- gw wan  10.91.9.1/24     (10.91.0.0/16 via gw)
# iotfence is not attached: tests do that on gw's lanK.
IT_SRV=10.91.9.2
it_lab() {
	local n=${1:-2} k
	it_ns_quiet gw
	it_ns_quiet srv
	it_link gw wan 10.91.9.1/24 srv eth0 $IT_SRV/24
	in_ns srv ip route add 10.91.0.0/16 via 10.91.9.1
	for k in $(seq 1 "$n"); do
		it_ns_quiet "dev$k"
		it_link gw "lan$k" "10.91.$k.1/24" "dev$k" eth0 "10.91.$k.2/24"
		in_ns "dev$k" ip route add default via "10.91.$k.1"
	done
	in_ns gw sysctl -qw net.ipv4.ip_forward=1
}

# it_maps_dump FILE: every pinned map a command could change, as bpftool
# prints it, to compare before and after a command that must change nothing.
it_maps_dump() {
	local m
	for m in ifn_devices ifn_dev_stats ifn_flows ifn_rules_port ifn_rules_any \
		ifn_ip_owners ifn_ifaces ifn_config ifn_stats ifn_dns ifn_dns_names; do
		echo "== $m"
		bpftool map dump pinned "$IOTFENCE_PIN_DIR/$m" 2>&1
	done >"$1"
	# The free slot queue cannot be dumped; its fill level is what matters.
	echo "== links" >>"$1"
	ls "$IOTFENCE_PIN_DIR" "$IOTFENCE_PIN_DIR/links" >>"$1" 2>&1
}

# check_maps_same DESC BEFORE: the pinned maps are as it_maps_dump saw them.
check_maps_same() {
	local now=/tmp/ifn-it-maps.$$
	it_maps_dump "$now"
	IT_CHECKS=$((IT_CHECKS + 1))
	if cmp -s "$2" "$now"; then
		echo "  ok   $1"
	else
		IT_FAILS=$((IT_FAILS + 1))
		echo "  FAIL $1: the pinned maps changed"
		diff "$2" "$now" | head -20 | sed 's/^/       | /'
	fi
	rm -f "$now"
}

it_teardown() {
	local p n
	for p in "${IT_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$IT_ID" ] && [ -d "$IOTFENCE_PIN_DIR" ]; then
		"$IFN" detach --all --purge >/dev/null 2>&1 || rm -rf "$IOTFENCE_PIN_DIR"
	fi
	for n in "${IT_NS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$IT_ID" ] && rm -rf "$IOTFENCE_STATE_DIR"
	[ -n "${IFN_ANY_DIR:-}" ] && rm -rf "$IFN_ANY_DIR"
}

it_done() {
	local pct=100
	[ "$IT_CHECKS" -gt 0 ] && pct=$(((IT_CHECKS - IT_FAILS) * 100 / IT_CHECKS))
	echo "${pct}%: Checks: $IT_CHECKS, Failures: $IT_FAILS ($IT_NAME)"
	[ "$IT_FAILS" -eq 0 ] && [ "$IT_CHECKS" -gt 0 ]
	exit $?
}
