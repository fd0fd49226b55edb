#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_cli_traffic.sh - the CLI against real traffic: a gateway namespace
# with iotfence on its two LAN veths, two device namespaces and a server
# reached through the gateway. Learning, enforce, quarantine (ARP and DHCP
# still pass), rules added and removed by hand, rate limits, a second
# interface on the same pinned state, detach, an interface whose namespace
# vanished, and SIGKILL of running agents (events --follow, the daemon) in
# the middle of traffic.
. "$(dirname "$0")/lib.sh"
it_init cli-traffic
D=$IOTFENCE_STATE_DIR
TO=0.6 # seconds a blocked TCP connect or UDP datagram is given

it_lab 2
MAC1=00:17:88:aa:00:01 # a Philips OUI: vendor names come from ieee-data
MAC2=b8:27:eb:aa:00:02 # Raspberry Pi Foundation
in_ns dev1 ip link set eth0 address $MAC1
in_ns dev2 ip link set eth0 address $MAC2

bg_ns srv socat TCP-LISTEN:8080,fork,reuseaddr EXEC:cat
bg_ns srv socat TCP-LISTEN:9090,fork,reuseaddr EXEC:cat
for p in 67 5683 5684; do
	bg_ns srv socat -u UDP-RECV:$p,reuseaddr OPEN:$D/udp$p,creat,append
done
it_wait 3 in_ns srv ss -ltn sport = :9090 | grep -q 9090

# A TCP exchange through the gateway: the server echoes a token back. One
# that must pass is given time for a SYN retransmit (a frame can be lost
# while XDP is attached or detached); one that must not gets $TO.
tcp_try() { # NS PORT CONNECT-TIMEOUT
	local tok="t$RANDOM$RANDOM" out
	out=$(echo "$tok" | in_ns "$1" timeout 5 socat -T1 - \
		"TCP:$IT_SRV:$2,connect-timeout=$3" 2>/dev/null)
	[ "$out" = "$tok" ]
}
tcp_ok() { tcp_try "$1" "$2" 2.5; }
tcp_blocked() { ! tcp_try "$1" "$2" $TO; }
# One UDP datagram, from SPORT if given; the server appends it to a file.
udp_send() { # NS PORT TOKEN [SPORT]
	echo "$3" | in_ns "$1" socat -u - "UDP:$IT_SRV:$2${4:+,sourceport=$4}"
}
udp_arrives() { it_wait 2 grep -q "$2" "$D/udp$1"; } # PORT TOKEN
udp_lost() { sleep $TO; ! grep -q "$2" "$D/udp$1"; }
ping_ok() { in_ns "$1" ping -c1 -W1 "$2" || in_ns "$1" ping -c1 -W1 "$2"; } # NS DST
ping_fails() { ! in_ns "$1" ping -c1 -W$TO "$2"; }
dev() { ifn device "$1" --json | jq -r "$2"; } # MAC JQ-FILTER
devs() { ifn devices --json | jq -r "$1"; }
has_xdp() { ip -n "$(ns_name gw)" link show "$1" | grep -q "prog/xdp"; }

echo "# attach: one pinned state for two interfaces"
check "attach lan1 (new devices learn)" ns_ifn gw attach lan1
check "lan1 runs iotfence" has_xdp lan1
map_id() { bpftool map show pinned "$IOTFENCE_PIN_DIR/$1" | awk -F: 'NR==1 {print $1}'; }
DEV_MAP=$(map_id ifn_devices)
FLOW_MAP=$(map_id ifn_flows)
check "attach lan2 (new devices enforce)" ns_ifn gw attach lan2 --new-devices enforce
check_eq "the second attach reuses the pinned device map" "$DEV_MAP" "$(map_id ifn_devices)"
check_eq "and the pinned flow map" "$FLOW_MAP" "$(map_id ifn_flows)"
ifn status --json >$D/status.json
check_eq "status: two interfaces" 2 "$(jq '.interfaces | length' $D/status.json)"
PROG=$(jq '.program_id' $D/status.json)
check "status: a program id" test "$PROG" -gt 0
check_eq "both interfaces run the one program" "$PROG $PROG" \
	"$(jq -r '[.interfaces[].program_id] | join(" ")' $D/status.json)"
check_eq "status: attach modes" "native native" \
	"$(jq -r '[.interfaces[].attach_mode] | join(" ")' $D/status.json)"
check_eq "status: default modes per interface" "learn enforce" \
	"$(jq -r '[.interfaces[].new_devices] | join(" ")' $D/status.json)"
check "kernel agrees on the program id" \
	sh -c "ip -n $(ns_name gw) link show lan2 | grep -q 'prog/xdp id $PROG'"
out=$(ns_ifn gw attach lan2)
check_eq "attaching again is idempotent" "lan2: already attached; new devices: enforce" "$out"
check_eq "and keeps the settings not given" enforce \
	"$(ifn status --json | jq -r '.interfaces[] | select(.name == "lan2") | .new_devices')"
check_eq "and the program" "$PROG" "$(ifn status --json | jq '.program_id')"

echo "# learning: real flows, counted per device"
check "ping while learning" in_ns dev1 ping -c3 -i0.2 -W1 $IT_SRV
check "TCP 8080 while learning" tcp_ok dev1 8080
check "TCP 8080 again" tcp_ok dev1 8080
for i in 1 2 3; do udp_send dev1 5683 "learn-$i"; done
check "UDP 5683 while learning" udp_arrives 5683 learn-3
check_eq "one device so far" "$MAC1" "$(devs '.[].mac')"
check_eq "its vendor, from ieee-data's oui.txt" "Philips Lighting BV" "$(dev $MAC1 .vendor)"
check_eq "without the registry the vendor is unknown" unknown \
	"$(IOTFENCE_OUI_FILE=/nonexistent/oui.txt "$IFN" device $MAC1 --json | jq -r .vendor)"
check_eq "its interface" lan1 "$(dev $MAC1 .interface)"
check_eq "its address" 10.91.1.2 "$(dev $MAC1 .ipv4)"
check_eq "its mode" learn "$(dev $MAC1 .mode)"
check_eq "learning ends in enforce" enforce "$(dev $MAC1 .mode_after)"
check "packets counted (3 pings, 2 TCP exchanges, 3 datagrams)" \
	test "$(dev $MAC1 .packets)" -ge 15
check "bytes counted" test "$(dev $MAC1 .bytes)" -ge 1000
check_eq "nothing dropped while learning" 0 "$(dev $MAC1 .dropped)"
check_eq "three flows learned" 3 "$(dev $MAC1 .flows)"
check_eq "the fingerprint" "icmp/8 10.91.9.2,tcp/8080 10.91.9.2,udp/5683 10.91.9.2" \
	"$(dev $MAC1 '[.fingerprint[].rule] | sort | join(",")')"
check "RFC 3339 UTC first_seen" \
	sh -c "'$IFN' device $MAC1 --json | jq -r .first_seen | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'"
# No DNS answer went to this device through the gateway: says so (encrypted DNS hint).
check "device: resolved nothing we saw" sh -c "'$IFN' device $MAC1 | grep -q '^resolved   nothing we saw'"
check_eq "devices --json: its names, none" '{"rules":[],"resolved":[]}' \
	"$(devs ".[] | select(.mac == \"$MAC1\") | .names" | jq -c .)"
check_eq "device --json: its names, none" '{"rules":[],"resolved":[]}' "$(dev $MAC1 .names | jq -c .)"
check "MACs in any notation: 0017.88aa.0001" ifn device 0017.88aa.0001
check "MACs in any notation: 00-17-88-AA-00-01" ifn device 00-17-88-AA-00-01
check "the table names the device" \
	sh -c "'$IFN' devices | grep -Eq '^$MAC1 +lan1 +Philips Lighting BV +learn \(23h59m left\) +10\.91\.1\.2 '"

echo "# enforce: learned flows pass, the rest is dropped"
check "enforce $MAC1" ns_ifn gw enforce $MAC1
check "learned ping passes" ping_ok dev1 $IT_SRV
check "learned TCP 8080 passes" tcp_ok dev1 8080
udp_send dev1 5683 enforce-1
check "learned UDP 5683 passes" udp_arrives 5683 enforce-1
check "unlearned TCP 9090 is dropped" tcp_blocked dev1 9090
drop0=$(dev $MAC1 .dropped)
nif0=$(dev $MAC1 '.drop_reasons.not_in_fingerprint')
for i in 1 2 3; do udp_send dev1 5684 "blocked-$i"; done
check "unlearned UDP 5684 is dropped" udp_lost 5684 blocked-
check_eq "exactly three more drops" $((drop0 + 3)) "$(dev $MAC1 .dropped)"
check_eq "counted as not_in_fingerprint" $((nif0 + 3)) \
	"$(dev $MAC1 '.drop_reasons.not_in_fingerprint')"
check "a gateway address it never used is dropped too" ping_fails dev1 10.91.1.1

echo "# a device born in enforce: rules by hand"
check "dev2 starts with nothing allowed" ping_fails dev2 $IT_SRV
check "dev2 TCP 8080 dropped" tcp_blocked dev2 8080
check_eq "dev2 recorded in enforce" enforce "$(dev $MAC2 .mode)"
check_eq "dev2 vendor" "Raspberry Pi Foundation" "$(dev $MAC2 .vendor)"
check_eq "dev2 on lan2" lan2 "$(dev $MAC2 .interface)"
check "allow tcp/8080 to the server" ns_ifn gw allow $MAC2 tcp/8080 $IT_SRV
check "dev2 TCP 8080 now passes" tcp_ok dev2 8080
check "dev2 TCP 9090 still dropped" tcp_blocked dev2 9090
check "allow icmp/8 to a prefix" ns_ifn gw allow $MAC2 icmp/8 10.91.9.0/24
check "dev2 ping passes by the prefix rule" ping_ok dev2 $IT_SRV
check_eq "dev2 fingerprint" "icmp/8 10.91.9.0/24 prefix manual,tcp/8080 10.91.9.2 exact manual" \
	"$(dev $MAC2 '[.fingerprint[] | "\(.rule) \(.kind) \(.origin)"] | sort | join(",")')"
check_eq "dev2 has prefix rules" true "$(dev $MAC2 .port_rules)"
check "forget the TCP rule" ns_ifn gw forget $MAC2 tcp/8080 $IT_SRV
check "dev2 TCP 8080 dropped again" tcp_blocked dev2 8080
check "dev2 ping still passes" ping_ok dev2 $IT_SRV

echo "# quarantine: everything but ARP and DHCP is cut"
check "quarantine $MAC1" ns_ifn gw quarantine $MAC1
check "ping is dropped" ping_fails dev1 $IT_SRV
check "TCP 8080 is dropped" tcp_blocked dev1 8080
q0=$(dev $MAC1 '.drop_reasons.quarantine')
check "counted as quarantine" test "$q0" -ge 2
in_ns dev1 ip neigh flush dev eth0
ping_fails dev1 10.91.1.1 >/dev/null
check "ARP still resolves the gateway" \
	sh -c "ip -n $(ns_name dev1) neigh show 10.91.1.1 dev eth0 | grep -q lladdr"
udp_send dev1 67 dhcp-shaped 68
check "a DHCP-client-shaped datagram (UDP 68 -> 67) passes" udp_arrives 67 dhcp-shaped
udp_send dev1 67 not-dhcp 6800
check "UDP 6800 -> 67 does not" udp_lost 67 not-dhcp
check "enforce again" ns_ifn gw enforce $MAC1
check "the fingerprint survived quarantine" tcp_ok dev1 8080
check "temporary quarantine" ns_ifn gw quarantine $MAC1 --for 1s
check_eq "...returns to enforce" enforce "$(dev $MAC1 .mode_after)"
check "ping dropped during it" ping_fails dev1 $IT_SRV
sleep 1
check "ping passes once it is over" ping_ok dev1 $IT_SRV
check_eq "back in enforce" enforce "$(dev $MAC1 .mode)"

echo "# rate limits"
check "rate $MAC1 --pps 5" ns_ifn gw rate $MAC1 --pps 5
check_eq "shown in the inventory" 5 "$(dev $MAC1 .rate.pps)"
out=$(in_ns dev1 ping -c 30 -i 0.01 -W 1 -q $IT_SRV | awk '/received/ {print $4}')
check "a 100 pps ping is cut to about the burst ($out of 30 replies)" test "${out:-0}" -le 15
check "counted as rate_limit" test "$(dev $MAC1 '.drop_reasons.rate_limit')" -ge 10
check "rate $MAC1 --pps 0 removes it" ns_ifn gw rate $MAC1 --pps 0
check_eq "no rate in the inventory" null "$(dev $MAC1 .rate)"

echo "# status and bpftool"
# From the gateway's namespace: the egress filters are found by ifindex there.
ns_ifn gw status >$D/status.txt
check "status lists both interfaces" grep -Eq '^lan1 +[0-9]+ +native +'"$PROG"' +[1-9][0-9]* +learn for 1d$' $D/status.txt
check "status: lan2" grep -Eq '^lan2 +[0-9]+ +native +'"$PROG"' +[1-9][0-9]* +enforce$' $D/status.txt
EPROG=$(ns_ifn gw status --json | jq '.interfaces[0].egress_program_id')
check "status: the egress program on each interface, one program" \
	jq -e --argjson e "$EPROG" '[.interfaces[].egress_program_id] == [$e, $e] and $e > 0 and $e != .program_id' \
	<(ns_ifn gw status --json)
check "bpftool net shows the egress filter" \
	sh -c "ip netns exec $(ns_name gw) bpftool net show dev lan1 | grep -q 'lan1.*clsact/egress iotfence_egress.* id $EPROG'"
check "status: the program" grep -q "^program: id $PROG, state pinned at $IOTFENCE_PIN_DIR" $D/status.txt
check "status: device table fill" grep -Eq '^devices +2 +16384 +0\.0%$' $D/status.txt
check "status: global counters" grep -Eq '^frames [1-9][0-9]* \(passed [0-9]+, dropped [1-9][0-9]*, alerts 0\)$' $D/status.txt
check "status: malformed, table full, events lost" \
	grep -Eq '^malformed 0, bad source MAC 0, table full 0, flows full 0, events lost [0-9]+$' $D/status.txt
ifn status --json >$D/status.json
check_eq "status --json: device entries" 2 "$(jq .maps.devices.entries $D/status.json)"
check_eq "status --json: flows (3 learned + 1 manual)" "3 1" \
	"$(jq -r '"\(.maps.flows.entries) \(.maps.port_rules.entries)"' $D/status.json)"
check "status --json: frames = passed + dropped + alerts" \
	jq -e '.counters | .frames == .passed + .dropped + .alerts' $D/status.json
check "status --json: counters named" \
	jq -e '.counters | has("malformed") and has("table_full") and has("events_lost")' $D/status.json
bpftool map dump pinned "$IOTFENCE_PIN_DIR/ifn_devices" >$D/bpftool.txt 2>&1
check "bpftool map dump shows the record's field names" \
	sh -c "grep -q '\"mode\": 0x2,' $D/bpftool.txt && grep -q '\"flow_count\": 3,' $D/bpftool.txt && grep -q '\"ipv4\": \[10,91,1,2' $D/bpftool.txt"
check "every listing takes --json" sh -c "'$IFN' devices --json | jq -e 'length == 2' && \
	$IFN device $MAC2 --json | jq -e .fingerprint && $IFN status --json | jq -e .maps && \
	$IFN settings --json | jq -e .scan_threshold"

# kill_mid_traffic NAME PID OUTFILE: with a steady ping running and violating
# datagrams sent, the agent must have reported them; then SIGKILL it and show
# that enforcement and counting go on without it.
kill_mid_traffic() {
	local name=$1 pid=$2 out=$3 tag=${1%% *} p0 d0 i rc pingpid
	in_ns dev1 ping -c 30 -i 0.1 -W 1 -q $IT_SRV >$D/ping-$tag.txt 2>&1 &
	pingpid=$!
	IT_PIDS+=("$pingpid")
	sleep 0.5
	for i in 1 2 3; do udp_send dev1 5684 "$tag-before-$i"; done
	check "$name reports the violations while traffic runs" \
		it_wait 3 grep -q '"type":"VIOLATION"' "$out"
	p0=$(dev $MAC1 .packets)
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	check_eq "$name died of SIGKILL in the middle of traffic" 137 $rc
	check "the $name process is gone" sh -c "! kill -0 $pid 2>/dev/null"
	d0=$(dev $MAC1 .dropped)
	sleep 1
	check "counters keep counting" test "$(dev $MAC1 .packets)" -gt $((p0 + 5))
	for i in 1 2 3; do udp_send dev1 5684 "$tag-after-$i"; done
	check "enforcement goes on: UDP 5684 dropped" udp_lost 5684 "$tag-after-"
	check_eq "and counted" $((d0 + 3)) "$(dev $MAC1 .dropped)"
	check "learned TCP still passes" tcp_ok dev1 8080
	check "unlearned TCP still dropped" tcp_blocked dev1 9090
	wait $pingpid
	check "not one ping lost across the kill" grep -q " 0% packet loss" $D/ping-$tag.txt
	check "the pinned state is whole" ifn status
}

echo "# SIGKILL of a running agent in the middle of traffic: events --follow"
# The binary itself, not the ifn shell function: $! must be the agent's pid.
"$IFN" events --follow --json >$D/events.json 2>$D/events.err &
EVPID=$!
IT_PIDS+=("$EVPID")
kill_mid_traffic "events --follow" $EVPID $D/events.json

echo "# SIGKILL of the daemon (iotfence run) in the middle of traffic"
# The daemon attaches what its configuration names: lan1 as it is.
printf 'interface lan1 new-devices learn learn-for 1d\n' >$D/run.conf
nsenter --net="/run/netns/$(ns_name gw)" "$IFN" run --config $D/run.conf >$D/run.out 2>$D/run.err &
RUNPID=$!
IT_PIDS+=("$RUNPID")
check "the daemon runs" it_wait 10 grep -q "running:" $D/run.err
kill_mid_traffic "run" $RUNPID $D/run.out
check "lan1 stays attached" has_xdp lan1
check "lan2 stays attached" has_xdp lan2

echo "# monitor, trust, and learning that ends by itself"
check "monitor $MAC1" ns_ifn gw monitor $MAC1
a0=$(dev $MAC1 .alerts)
check "monitor passes an unlearned flow" tcp_ok dev1 9090
check "...and counts it as alerts" test "$(dev $MAC1 .alerts)" -gt "$a0"
check "trust $MAC1" ns_ifn gw trust $MAC1
udp_send dev1 5684 trusted
check "trust passes anything" udp_arrives 5684 trusted
check "enforce $MAC1 again" ns_ifn gw enforce $MAC1
check "enforce drops it again" tcp_blocked dev1 9090
out=$(ns_ifn gw learn $MAC2 --for 2s)
check_eq "learn $MAC2 --for 2s" "$MAC2: learn for 2s, then enforce" "$out"
udp_send dev2 5683 learn2
check "dev2 passes UDP 5683 while learning" udp_arrives 5683 learn2
check "and learns it" sh -c "'$IFN' device $MAC2 --json | jq -e '[.fingerprint[].rule] | index(\"udp/5683 $IT_SRV\")'"
sleep 2
udp_send dev2 5683 learned2
check "learning ended by itself: the learned flow passes" udp_arrives 5683 learned2
check_eq "dev2 enforces" enforce "$(dev $MAC2 .mode)"
udp_send dev2 5684 unlearned2
check "and an unlearned one is dropped" udp_lost 5684 unlearned2

echo "# detach"
check "detach lan1" ns_ifn gw detach lan1
check "lan1 runs no XDP program" sh -c "! ip -n $(ns_name gw) link show lan1 | grep -q xdp"
check "nor the egress filter" sh -c "! ip netns exec $(ns_name gw) tc filter show dev lan1 egress | grep -q iotfence"
check "plain forwarding: dev1 TCP 9090 passes" tcp_ok dev1 9090
for i in 1 2; do udp_send dev1 5684 "plain-$i"; done
check "plain forwarding: dev1 UDP 5684 passes" udp_arrives 5684 plain-2
check "lan2 keeps running" has_xdp lan2
check "dev2 still enforced: TCP 9090 dropped" tcp_blocked dev2 9090
check "dev2 still allowed its ping" ping_ok dev2 $IT_SRV
check_eq "status lists lan2 only" lan2 "$(ifn status --json | jq -r '[.interfaces[].name] | join(" ")')"
check_eq "the devices stay in the pinned state" 2 "$(devs length)"
check_error "detach lan1 again" "lan1: not attached" ns_ifn gw detach lan1
check "attach lan1 again" ns_ifn gw attach lan1
check_eq "same program" "$PROG" "$(ifn status --json | jq '.program_id')"
check "dev1 enforced again at once" tcp_blocked dev1 9090
check_eq "and the egress program is back on lan1" "$EPROG" \
	"$(ns_ifn gw status --json | jq '.interfaces[] | select(.name == "lan1") | .egress_program_id')"

echo "# an interface whose namespace vanished"
it_ns_quiet tmp
it_link gw lan9 "" tmp eth0 ""
check "attach lan9 in generic mode" ns_ifn gw attach lan9 --mode generic
check "the kernel runs it as xdpgeneric" sh -c "ip -n $(ns_name gw) link show lan9 | grep -q xdpgeneric"
check_eq "status says generic" generic \
	"$(ifn status --json | jq -r '.interfaces[] | select(.name == "lan9") | .attach_mode')"
check_error "the mode does not change under a running attachment" \
	"lan9 is attached in generic mode; detach it first to change the mode" \
	ns_ifn gw attach lan9 --mode native
ip netns del "$(ns_name tmp)"
it_wait 2 sh -c "! ip -n $(ns_name gw) link show lan9"
check_eq "status calls it defunct" defunct \
	"$(ifn status --json | jq -r '.interfaces[] | select(.name == "lan9") | .attach_mode')"
out=$(ns_ifn gw detach lan9)
check_eq "detach says so" "detached from lan9 (the interface no longer exists)" "$out"
check "its settings are gone from ifn_ifaces" \
	sh -c "! bpftool map dump pinned $IOTFENCE_PIN_DIR/ifn_ifaces | grep -q lan9"
check_eq "status: lan1 and lan2" "lan1 lan2" \
	"$(ifn status --json | jq -r '[.interfaces[].name] | join(" ")')"

echo "# detach --all"
check "detach --all" ns_ifn gw detach --all
check "dev2 plain forwarding" tcp_ok dev2 9090
check "program unpinned, state kept" sh -c "'$IFN' status | grep -q '^program: not loaded'"
check_eq "devices kept" 2 "$(devs length)"
check "forget a whole device" ns_ifn gw forget $MAC2
check_eq "one device left" "$MAC1" "$(devs '[.[].mac] | join(",")')"
check_error "it is unknown now" "unknown device $MAC2" ifn device $MAC2
check "detach --all --purge" ns_ifn gw detach --all --purge
check "the pin directory is gone" test ! -e "$IOTFENCE_PIN_DIR"
check_error "then nothing is attached" "not attached: nothing pinned at" ifn devices

it_done
