#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An interface deleted and made again (a new ifindex) and attached again is
# listed once (issue 15, item 3): in `policy show|save` (and the saved file
# loads), in the daemon's snapshot (and it restores), and its devices follow
# it. A name the state files cannot hold (a byte that is not printable
# ASCII) is refused by attach with one line, rather than saved into a
# snapshot no restore accepts.
. "$(dirname "$0")/lib.sh"
it_init iface-recreate
it_ns_quiet gw
it_ns_quiet dev1
it_link gw lan1 10.93.0.1/24 dev1 eth0 10.93.0.2/24

D=$IOTFENCE_STATE_DIR
GWNS=/run/netns/$(ns_name gw)
mac1=$(mac_of dev1 eth0)
DPID=""

start() {
	: >"$D/err"
	nsenter --net="$GWNS" "$IFN" run --config "$D/conf" >"$D/out" 2>"$D/err" &
	DPID=$!
	IT_PIDS+=($DPID)
	it_wait 20 grep -q "running:" "$D/err"
}
stop() {
	kill -TERM "$DPID"
	it_wait 20 sh -c "! kill -0 $DPID 2>/dev/null"
	wait "$DPID"
}
iface_of() { ifn device "$mac1" --json | jq -r .interface; }

check "attach lan1" ns_ifn gw attach lan1 --new-devices learn --learn-for 0
check "dev1 is seen" it_wait 10 in_ns dev1 ping -c1 -W1 10.93.0.1
check_eq "dev1 is on lan1" lan1 "$(iface_of)"
old=$(ip -n "$(ns_name gw)" -o link show lan1 | cut -d: -f1)
ip -n "$(ns_name gw)" link del lan1
it_link gw lan1 10.93.0.1/24 dev1 eth0 10.93.0.2/24
new=$(ip -n "$(ns_name gw)" -o link show lan1 | cut -d: -f1)
check "lan1 is made again with a new ifindex ($old -> $new)" test "$old" != "$new"
check "attach lan1 again" ns_ifn gw attach lan1 --new-devices learn --learn-for 0

ifn policy show >"$D/show"
check_eq "policy show lists lan1 once" 1 "$(grep -c '^interface lan1 ' "$D/show")"
check "policy save" ifn policy save "$D/saved.pol"
check_eq "the saved file lists lan1 once" 1 "$(grep -c '^interface lan1 ' "$D/saved.pol")"
check "the saved file checks" ifn policy check "$D/saved.pol"
check "and loads" ifn policy load "$D/saved.pol"
check_eq "dev1's interface is still lan1" lan1 "$(iface_of)"
check_eq "status lists lan1 once" 1 "$(ifn status --json | jq '[.interfaces[] | select(.name == "lan1")] | length')"

# The daemon's snapshot lists it once and restores.
printf 'interface lan1 new-devices learn learn-for 0\n' >"$D/conf"
check "the daemon starts" start
check "and saves on SIGTERM" stop
check_eq "state.gz lists lan1 once" 1 "$(zcat "$D/state.gz" | grep -c '^iface name=lan1 ')"
check "detach --all --purge (a reboot)" ifn detach --all --purge
nsenter --net="$GWNS" "$IFN" attach lan1 >"$D/attach.out" 2>"$D/attach.err"
check "the next attach restores the snapshot" grep -q "^restored " "$D/attach.out"
check_eq "with no complaint" "" "$(cat "$D/attach.err")"
check "dev1 is known again" ifn device "$mac1"

# A name with a byte that is not printable ASCII: refused in one line.
bad=$'v\xff0'
if ip -n "$(ns_name gw)" link add "$bad" type veth peer name vpeer0 2>/dev/null; then
	check_error "attach refuses a name the state files cannot hold" \
		"v.x..0.*printable ASCII" ns_ifn gw attach "$bad"
	check_eq "and lists nothing new" 1 "$(ifn status --json | jq '.interfaces | length')"
else
	echo "       (this kernel refuses the name: nothing to check)"
fi

it_done
