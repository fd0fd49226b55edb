#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# State across a reboot: `iotfence run` saves state.gz on exit; the pins are
# deleted and the interfaces made again (new ifindexes, as after a reboot);
# `run` again restores devices, modes, rules, names and counters, and
# enforces as before. A damaged newest snapshot falls back to the previous
# one; a newer format is refused with a clear message and the state starts
# empty.
. "$(dirname "$0")/lib.sh"
it_init snapshot-reboot
it_lab 2

D=$IOTFENCE_STATE_DIR
CONF=$D/iotfence.conf
# A state directory that does not exist yet: the first save makes it, 0700.
export IOTFENCE_STATE_DIR=$D/var
S=$IOTFENCE_STATE_DIR
SRV=$IT_SRV
GWNS=/run/netns/$(ns_name gw)
mac1=$(mac_of dev1 eth0)
mac2=$(mac_of dev2 eth0)
DPID=""

start() {
	: >"$D/err"
	nsenter --net="$GWNS" "$IFN" run --config "$CONF" >"$D/out" 2>"$D/err" &
	DPID=$!
	IT_PIDS+=($DPID)
	it_wait 10 grep -q "running:" "$D/err"
}
stop() {
	kill -TERM "$DPID"
	it_wait 5 sh -c "! kill -0 $DPID 2>/dev/null"
	wait "$DPID"
}
# What a reboot leaves: no pins, no XDP, and lan1 made again with a new ifindex.
reboot() {
	local idx
	"$IFN" detach --all --purge >/dev/null || return 1
	idx=$(ip -n "$(ns_name gw)" -o link show lan1 | cut -d: -f1)
	ip -n "$(ns_name gw)" link del lan1
	it_link gw lan1 10.91.1.1/24 dev1 eth0 ""
	in_ns dev1 ip link set eth0 down
	in_ns dev1 ip link set eth0 address "$mac1"
	in_ns dev1 ip addr add 10.91.1.2/24 dev eth0
	in_ns dev1 ip link set eth0 up
	in_ns dev1 ip route add default via 10.91.1.1
	[ "$(ip -n "$(ns_name gw)" -o link show lan1 | cut -d: -f1)" != "$idx" ]
}
pings() { in_ns "$1" ping -c1 -W1 "$2" >/dev/null 2>&1; }
field() { ifn device "$1" --json | jq -r ".$2"; }

printf 'interface lan1 new-devices learn learn-for 0\ninterface lan2 new-devices learn learn-for 0\n' \
	>"$CONF"
cat >"$D/lab.pol" <<EOF
set scan-threshold 40
device $mac1 front-camera
	mode enforce
	rate pps 1000 bps 1M
	allow icmp/8 $SRV
	allow tcp 10.91.9.0/24
	allow udp/123 any
EOF

check "the daemon starts" start
in_ns dev1 ping -c1 -W1 "$SRV" >/dev/null
in_ns dev2 ping -c3 -i0.2 -W1 "$SRV" >/dev/null
check "a policy for one device" ifn policy load "$D/lab.pol"
check "the other device learned, then enforces" ifn enforce "$mac2"
check "the policy's echo passes" pings dev1 "$SRV"
check_fails "an echo outside the policy is dropped" pings dev1 10.91.1.1
check "the learned echo passes" pings dev2 "$SRV"
check_fails "an echo the other device never learned is dropped" pings dev2 10.91.2.1
ifn policy show >"$D/show.before"
pk1=$(field "$mac1" packets)
dr1=$(field "$mac1" dropped)
pk2=$(field "$mac2" packets)

check "SIGTERM: the daemon saves and exits" stop
check "state.gz is gzip that zcat reads, with its format version" \
	sh -c "zcat '$S/state.gz' | head -1 | grep -qx 'iotfence-snapshot 1'"
check_eq "state.gz is private (0600)" 600 "$(stat -c %a "$S/state.gz")"
check_eq "so is its directory, made by the save (0700)" 700 "$(stat -c %a "$S")"
check "it lists both devices" sh -c "zcat '$S/state.gz' | grep -c '^device ' | grep -qx 2"

# --- the reboot ------------------------------------------------------------------
check "reboot: pins gone, lan1 made again with a new ifindex" reboot
check "nothing pinned" test ! -e "$IOTFENCE_PIN_DIR"
check "run on nothing pinned" start
check "it says what it restored" grep -q "^restored 2 devices, .* from $S/state.gz (saved " "$D/err"
ifn policy show >"$D/show.after"
check "the same policy show: settings, modes, rates, rules, names" \
	diff -u "$D/show.before" "$D/show.after"
check_eq "the device is on lan1 again (by name, not ifindex)" lan1 "$(field "$mac1" interface)"
check "the policy's echo passes" pings dev1 "$SRV"
check_fails "an echo outside the policy is still dropped" pings dev1 10.91.1.1
check "the learned echo passes" pings dev2 "$SRV"
check_fails "an echo the other device never learned is still dropped" pings dev2 10.91.2.1
check "the counters went on from where they were" \
	test "$(field "$mac1" packets)" -ge $((pk1 + 2)) -a "$(field "$mac1" dropped)" -ge $((dr1 + 1)) \
	-a "$(field "$mac2" packets)" -ge $((pk2 + 2))
check "SIGTERM again: saved again" stop
check "the previous good snapshot is kept" sh -c "zcat '$S/state.prev.gz' | grep -q '^device '"

# --- a damaged newest snapshot: the previous one --------------------------------
size=$(stat -c %s "$S/state.gz")
truncate -s $((size / 2)) "$S/state.gz"
ifn detach --all --purge >/dev/null
check "run with a truncated state.gz" start
check "it says why the newest was refused and which it used" \
	grep -q "$S/state.gz: truncated .*; restored the previous snapshot $S/state.prev.gz instead" \
	"$D/err"
check "and restored it" grep -q "^restored 2 devices, .* from $S/state.prev.gz" "$D/err"
check_eq "enforcement is back" enforce "$(field "$mac1" mode)"
check_fails "an echo outside the policy is dropped" pings dev1 10.91.1.1
stop

# --- a newer format: refused, empty state, the daemon runs -------------------------
printf 'iotfence-snapshot 9\nsaved time=1\n' | gzip -c >"$S/state.gz"
rm -f "$S/state.prev.gz"
ifn detach --all --purge >/dev/null
check "run with a snapshot of a newer format" start
check "it is refused with a clear message" \
	grep -q "cannot restore the saved state: $S/state.gz: written by a newer iotfence (snapshot format 9; this one reads format 1)" \
	"$D/err"
check_eq "the state starts empty" 0 "$(ifn devices --json | jq length)"
check "the file is left as it was, for a newer iotfence" \
	sh -c "zcat '$S/state.gz' | head -1 | grep -qx 'iotfence-snapshot 9'"
check "SIGTERM: saved" stop
check "the refused file was moved aside, not lost" \
	sh -c "zcat '$S/state.refused.gz' | head -1 | grep -qx 'iotfence-snapshot 9'"

it_done
