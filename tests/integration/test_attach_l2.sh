#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# attach takes only interfaces that carry Ethernet (issue 15, item 6): lo and
# an L3 tun device are refused with one line that says why (on lo every local
# ping was dropped as "bad source MAC"; on tun IP header bytes became a
# phantom device). A bridge master is attached with a warning that names
# its ports, since it misses what they switch between themselves.
. "$(dirname "$0")/lib.sh"
it_init attach-l2
it_ns_quiet gw
it_ns_quiet dev1
it_link gw lan1 10.96.0.1/24 dev1 eth0 10.96.0.2/24

check_error "attach lo is refused" "lo carries no Ethernet frames \(a loopback interface\)" \
	ns_ifn gw attach lo
if in_ns gw ip tuntap add mode tun name tun0 2>/dev/null; then
	in_ns gw ip link set tun0 up
	check_error "attach tun0 is refused" "tun0 carries no Ethernet frames \(an IP-only interface" \
		ns_ifn gw attach tun0
else
	echo "       (no tun device here: skipped)"
fi
check_eq "nothing is attached" 0 "$(ifn status --json 2>/dev/null | jq '.interfaces | length' 2>/dev/null || echo 0)"

in_ns gw ip link add br0 type bridge
in_ns gw ip link set lan1 master br0
in_ns gw ip link set br0 up
ns_ifn gw attach br0 >"$IOTFENCE_STATE_DIR/out" 2>"$IOTFENCE_STATE_DIR/err"
check_eq "a bridge master is attached" 0 "$?"
check "with a warning that names its ports" \
	grep -q "warning: br0 is a bridge: .*attach its ports instead (lan1)" "$IOTFENCE_STATE_DIR/err"
sed 's/^/       | /' "$IOTFENCE_STATE_DIR/err"
check "detach br0" ns_ifn gw detach br0
check "its port (a veth: Ethernet) is attached" ns_ifn gw attach lan1

it_done
