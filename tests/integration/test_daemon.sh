#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `iotfence run`: a bad configuration changes nothing; the daemon attaches
# what its configuration names, writes events as JSON lines to stdout and
# syslog and metrics to a file, holds no link, reloads on SIGHUP (and
# refuses a bad file without changing anything), saves the state and leaves
# enforcement attached on SIGTERM, restores the saved state when nothing is
# pinned, detaches with --detach-on-exit, and stays responsive with bounded
# memory when nobody reads its output.
. "$(dirname "$0")/lib.sh"
it_init daemon
it_lab 2

D=$IOTFENCE_STATE_DIR
CONF=$D/iotfence.conf
SRV=$IT_SRV
GWNS=/run/netns/$(ns_name gw)
DPID=""

# A syslog for the daemon alone: /dev/log in a mount namespace of its own
# points at a socket of the test's (the host has no syslog to look at).
socat -u UNIX-RECV:"$D/log" OPEN:"$D/syslog.txt",creat,append &
IT_PIDS+=($!)
it_wait 5 test -S "$D/log"

# start [ARGS...]: the daemon in the gateway's network namespace.
start() {
	: >"$D/out"
	: >"$D/err"
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 tmpfs /dev &&
		mknod -m 666 /dev/null c 1 3 && ln -s "$1" /dev/log && shift &&
		exec nsenter --net="$0" "$@"' "$GWNS" "$D/log" "$IFN" run --config "$CONF" "$@" \
		>"$D/out" 2>"$D/err" &
	DPID=$!
	IT_PIDS+=($DPID)
	it_wait 10 grep -q "running:" "$D/err"
}
# stop SIGNAL: the daemon must exit by itself, 0, within 5 seconds.
stop() {
	local i
	kill -"$1" "$DPID"
	for i in $(seq 50); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$DPID" 2>/dev/null && wait "$DPID"
}
xdp_on() { ip -n "$(ns_name gw)" link show "$1" | grep -q 'prog/xdp'; }
metric() { # NAME{LABELS}: its value in the metrics file
	awk -v k="$1" '$1 == k { print $2 }' "$D/iotfence.prom"
}
mac1=$(mac_of dev1 eth0)
mac2=$(mac_of dev2 eth0)

# --- bad configurations change nothing --------------------------------------
printf 'interface lan1\nscan-threshold 9999\n' >"$CONF"
check_error "a bad setting is refused with FILE:LINE" "^iotfence: $CONF:2: scan-threshold" \
	nsenter --net="$GWNS" "$IFN" run --config "$CONF"
printf '# lab\ninterface lan1\ninterface nosuch0\n' >"$CONF"
check_error "a missing interface is refused with FILE:LINE" \
	"^iotfence: $CONF:3: no such interface 'nosuch0'" nsenter --net="$GWNS" "$IFN" run --config "$CONF"
check_error "a missing file is refused" "^iotfence: $D/none.conf: No such file or directory$" \
	"$IFN" run --config "$D/none.conf"
check "nothing was pinned by the refused starts" test ! -e "$IOTFENCE_PIN_DIR"

# --- run: attach, events, metrics ------------------------------------------
cat >"$CONF" <<EOF
# the lab gateway
interface lan1 new-devices learn learn-for 0
metrics-interval 1s
snapshot-interval 1s
scan-threshold 20
EOF
check "the daemon starts" start
check "lan1 is attached" xdp_on lan1
check_eq "settings from the file are applied" 20 "$(ifn settings --json | jq .scan_threshold)"
check "the daemon holds no link (the pins own the attachment)" \
	sh -c "! ls -l /proc/$DPID/fd | grep -q bpf-link"

in_ns dev1 ping -c2 -i0.2 -W1 "$SRV" >/dev/null
it_wait 5 grep -q NEW_DEVICE "$D/out"
check "NEW_DEVICE for the device on stdout, as JSON" \
	jq -se --arg m "$mac1" 'any(.[]; .type == "NEW_DEVICE" and .mac == $m and
		.interface == "lan1" and .mode == "learn")' "$D/out"
check "stdout carries JSON lines only" test "$(jq -c . "$D/out" | wc -l)" -eq "$(wc -l <"$D/out")"
it_wait 5 grep -q NEW_DEVICE "$D/syslog.txt"
check "the same event in syslog, at info priority, from iotfence[pid]" \
	grep -Eq "^<30>.*iotfence\[[0-9]+\]: \{.*\"type\":\"NEW_DEVICE\",\"mac\":\"$mac1\"" "$D/syslog.txt"

it_wait 5 sh -c "grep -q 'iotfence_device_packets_total{mac=\"$mac1\"}' '$D/iotfence.prom'"
check "metrics: the device's packets" test "$(metric "iotfence_device_packets_total{mac=\"$mac1\"}")" -ge 2
check "metrics: the device's info" grep -q "^iotfence_device_info{mac=\"$mac1\",.*interface=\"lan1\",mode=\"learn\"} 1$" "$D/iotfence.prom"
check "metrics: events by type" test "$(metric 'iotfence_events_total{type="NEW_DEVICE"}')" -ge 1
check "metrics: map fill" grep -q '^iotfence_map_fill_ratio{map="devices"} ' "$D/iotfence.prom"
check "metrics: DNS answers read" grep -q '^iotfence_dns_answers_total [0-9]' "$D/iotfence.prom"
check "metrics: DNS malformed by reason" grep -q '^iotfence_dns_malformed_total{reason="pointer_loop"} [0-9]' "$D/iotfence.prom"
check "metrics: name tables' fill" sh -c "grep -q '^iotfence_map_capacity{map=\"dns\"} [1-9]' '$D/iotfence.prom' && grep -q '^iotfence_map_entries{map=\"name_rules\"} [0-9]' '$D/iotfence.prom'"
check "metrics: every sample line is name{labels} value" \
	sh -c "! grep -v '^#' '$D/iotfence.prom' | grep -Evq '^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$'"
check "metrics: every family has HELP and TYPE" \
	test "$(grep -c '^# HELP' "$D/iotfence.prom")" -eq "$(grep -c '^# TYPE' "$D/iotfence.prom")"
check "metrics: written by rename, no temporary left" \
	sh -c "! ls '$D' | grep -q '\.tmp$'"
check "the state is saved periodically, while running" it_wait 5 test -s "$D/state.gz"
check "metrics: the last snapshot's time" it_wait 5 sh -c "[ \"\$(awk '/^iotfence_snapshot_last_success/ { print int(\$2) }' '$D/iotfence.prom')\" -gt 0 ]"

# --- EVENTS_LOST while running ------------------------------------------------
ifn enforce "$mac1" >/dev/null
in_ns dev1 bash -c "exec 3>/dev/udp/$SRV/7; for ((i = 0; i < 3000; i++)); do printf x >&3; done" \
	2>/dev/null
lost_sum() { jq -s 'map(select(.type == "EVENTS_LOST") | .lost) | add // 0' "$D/out"; }
# The daemon looks at the counter every second: wait for it to catch up.
it_wait 5 sh -c "[ \"\$(jq -s 'map(select(.type == \"EVENTS_LOST\") | .lost) | add // 0' '$D/out')\" = \
	\"\$('$IFN' status --json | jq .counters.events_lost)\" ]"
check "the flood lost events" test "$(ifn status --json | jq .counters.events_lost)" -gt 2900
check_eq "EVENTS_LOST on stdout adds up to the datapath's count" \
	"$(ifn status --json | jq .counters.events_lost)" "$(lost_sum)"

# --- SIGHUP -----------------------------------------------------------------
cp "$CONF" "$D/good.conf"
printf 'interface lan1 new-devices learn learn-for 0\ninterface lan2 new-devices enforce\n' >"$CONF"
printf 'metrics-interval 1s\nscan-threshold 24\n' >>"$CONF"
kill -HUP "$DPID"
check "SIGHUP: lan2 is attached" it_wait 5 xdp_on lan2
check "SIGHUP: the new setting applies" \
	it_wait 5 sh -c "[ \"\$('$IFN' settings --json | jq .scan_threshold)\" = 24 ]"
check_eq "SIGHUP: lan2's new devices enforce" enforce \
	"$(ifn status --json | jq -r '.interfaces[] | select(.name == "lan2") | .new_devices')"

printf 'interface lan1\nscan-window 0s\n' >"$CONF"
kill -HUP "$DPID"
check "SIGHUP with a bad file: refused with FILE:LINE" \
	it_wait 5 grep -q "reload refused, configuration unchanged: $CONF:2: scan-window" "$D/err"
check "SIGHUP with a bad file: the daemon runs on" kill -0 "$DPID"
check "SIGHUP with a bad file: lan2 stays attached" xdp_on lan2
check_eq "SIGHUP with a bad file: settings unchanged" 24 "$(ifn settings --json | jq .scan_threshold)"

printf 'interface lan1 new-devices learn learn-for 0\nmetrics-interval 1s\n' >"$CONF"
kill -HUP "$DPID"
check "SIGHUP: an interface no longer named is detached" \
	it_wait 5 sh -c "! ip -n $(ns_name gw) link show lan2 | grep -q prog/xdp"
check "SIGHUP: the one still named stays attached" xdp_on lan1

# --- SIGTERM leaves enforcement attached --------------------------------------
# (the reload above went back to a snapshot every 5 minutes)
M0=$(stat -c %y "$D/state.gz")
check "SIGTERM: the daemon exits 0" stop TERM
check "SIGTERM: lan1 stays attached" xdp_on lan1
check "SIGTERM: the link stays pinned" test -e "$IOTFENCE_PIN_DIR/links/lan1"
check "SIGTERM: the state is saved on the way out" test "$(stat -c %y "$D/state.gz")" != "$M0"
check "SIGTERM: enforcement goes on (the enforced device's new flow is dropped)" \
	sh -c "! ip netns exec $(ns_name dev1) ping -c1 -W1 10.91.1.1 >/dev/null"
check "SIGTERM: says enforcement stays" grep -q "enforcement stays attached" "$D/err"

# --- a fresh start restores the saved state -----------------------------------
ifn detach --all --purge >/dev/null
check "purged: nothing pinned" test ! -e "$IOTFENCE_PIN_DIR"
check "the daemon starts on nothing pinned" start
check "it says what it restored" grep -q "^restored .* device" "$D/err"
check_eq "the enforced device is back, enforcing" enforce \
	"$(ifn device "$mac1" --json | jq -r .mode)"
check "the device learnt before is back with its flows" \
	test "$(ifn device "$mac1" --json | jq .flows)" -ge 1

# --- nobody reads stdout: the daemon drops lines, not memory ------------------
stop TERM
mkfifo "$D/fifo"
sleep 30 <"$D/fifo" &
IT_PIDS+=($!)
SLEEPER=$!
printf 'interface lan1\nmetrics-interval 1s\nevent-limit 255\nauto-quarantine off\n' >"$CONF"
unshare -m --propagation private sh -c '
	mount -t tmpfs -o mode=755 tmpfs /dev && mknod -m 666 /dev/null c 1 3 &&
	exec nsenter --net="$0" "$@"' "$GWNS" "$IFN" run --config "$CONF" >"$D/fifo" 2>"$D/err" &
DPID=$!
IT_PIDS+=($DPID)
it_wait 10 grep -q "running:" "$D/err"
sleep 1.2
RSS0=$(awk '/VmRSS/ { print $2 }' "/proc/$DPID/status")
# Three rounds of 6400 violating datagrams, a limiting period apart:
# 255 events a round, more than a pipe holds.
for r in 1 2 3; do
	in_ns dev1 bash -c "for p in \$(seq 1000 1063); do exec 3>/dev/udp/$SRV/\$p
		for ((i = 0; i < 100; i++)); do printf x >&3; done; done" 2>/dev/null
	sleep 1.1
done
sleep 0.5
RSS1=$(awk '/VmRSS/ { print $2 }' "/proc/$DPID/status")
HWM=$(awk '/VmHWM/ { print $2 }' "/proc/$DPID/status")
DROPPED=$(metric iotfence_daemon_output_dropped_total)
HANDLED=$(awk '/^iotfence_events_total/ { s += $2 } END { print s }' "$D/iotfence.prom")
echo "  ..   daemon RSS ${RSS0} kB before, ${RSS1} kB after $HANDLED events" \
	"($DROPPED lines stdout could not take), peak ${HWM} kB"
check "an unread stdout: lines are dropped and counted" test "${DROPPED:-0}" -gt 0
check "an unread stdout: memory does not grow (< 512 kB)" test $((RSS1 - RSS0)) -lt 512
check "an unread stdout: SIGTERM still ends the daemon" stop TERM
kill "$SLEEPER" 2>/dev/null

# --- a policy file, and generalisation when learning ends ----------------------
ifn detach --all --purge >/dev/null
rm -f "$D"/state*.gz
printf 'device %s\n  bogus\n' "$mac2" >"$D/bad.pol"
printf 'interface lan2\npolicy %s\n' "$D/bad.pol" >"$CONF"
nsenter --net="$GWNS" "$IFN" run --config "$CONF" >"$D/out" 2>"$D/err"
check_eq "a bad policy: the start is refused" 1 $?
check "a bad policy: its errors name POLICY:LINE" grep -q "^$D/bad.pol:2: " "$D/err"
check "a bad policy: nothing was pinned" test ! -e "$IOTFENCE_PIN_DIR"

printf 'device %s\n  mode enforce\n  allow icmp/8 %s\n' "$mac2" "$SRV" >"$D/policy.conf"
cat >"$CONF" <<EOF
interface lan1 new-devices learn learn-for 3s
interface lan2 new-devices learn
policy $D/policy.conf
generalise on
generalise-peers 3
EOF
check "the daemon starts with a policy" start
check_eq "the policy's device exists, in its mode" enforce "$(ifn device "$mac2" --json | jq -r .mode)"
check "the policy's rule passes" in_ns dev2 ping -c1 -W1 "$SRV"
check_fails "what the policy does not allow is dropped" in_ns dev2 ping -c1 -W1 10.91.2.1
printf '  allow icmp/8 10.91.2.1\n' >>"$D/policy.conf"
kill -HUP "$DPID"
check "SIGHUP reloads the policy" it_wait 5 in_ns dev2 ping -c1 -W1 10.91.2.1

# A device that learns three peers on one port gets a prefix rule for them.
in_ns dev1 bash -c 'for h in 2 3 4; do printf x >/dev/udp/10.91.9.$h/9; done' 2>/dev/null
sleep 3.2
in_ns dev1 bash -c "printf x >/dev/udp/$SRV/9" 2>/dev/null
check "LEARNING_DONE reaches the daemon" it_wait 30 grep -q LEARNING_DONE "$D/out"
check "the daemon generalises the device" it_wait 30 grep -q "generalised $mac1: [1-9]" "$D/err"
check "its fingerprint has a generalised rule" \
	test "$(ifn device "$mac1" --json | jq '[.fingerprint[] | select(.origin == "generalised")] | length')" -ge 1
echo "  ..   $(ifn device "$mac1" --json | jq -c '[.fingerprint[] | .rule + " (" + .origin + ")"]')"
# send DST PORT: one datagram, then how many of the device's frames were dropped
send() {
	local p0
	p0=$(ifn device "$mac1" --json | jq .packets)
	in_ns dev1 bash -c "printf x >/dev/udp/$1/$2" 2>/dev/null
	it_wait 3 sh -c "[ \$('$IFN' device $mac1 --json | jq .packets) -gt $p0 ]"
	ifn device "$mac1" --json | jq .dropped
}
DROP0=$(ifn device "$mac1" --json | jq .dropped)
check_eq "a peer it never met, inside the generalised prefix, passes" "$DROP0" "$(send 10.91.9.77 9)"
check_eq "another port to it is still dropped" $((DROP0 + 1)) "$(send 10.91.9.77 10)"
check_eq "the device enforces" enforce "$(ifn device "$mac1" --json | jq -r .mode)"
check "SIGTERM" stop TERM

# --- --detach-on-exit -----------------------------------------------------------
printf 'interface lan1\n' >"$CONF"
check "the daemon starts with --detach-on-exit" start --detach-on-exit
check "lan1 attached" xdp_on lan1
check "--detach-on-exit: exits 0 on SIGTERM" stop TERM
check "--detach-on-exit: lan1 detached" sh -c "! ip -n $(ns_name gw) link show lan1 | grep -q prog/xdp"
check "--detach-on-exit: no link pinned" test ! -e "$IOTFENCE_PIN_DIR/links/lan1"

it_done
