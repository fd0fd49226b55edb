#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_cli_errors.sh - bad input: every mistake gives exactly one line on
# stderr, a non-zero exit (2 for a bad command line, 1 otherwise), and no
# change to any pinned map. Covers unknown MACs, bad CIDRs, ports,
# protocols, durations and counts, missing interfaces, no privileges or
# missing capabilities, no bpffs, and full tables.
. "$(dirname "$0")/lib.sh"
it_init cli-errors
D=$IOTFENCE_STATE_DIR
FILL=${IFN_BUILD:-$(dirname "$IFN")}/tests/ifn_fill

it_lab 2
MAC1=00:17:88:bb:00:01
in_ns dev1 ip link set eth0 address $MAC1
GWNET=/run/netns/$(ns_name gw)

echo "# bpffs: attach mounts it at /sys/fs/bpf (in a private mount namespace)"
cat >$D/mnt.sh <<EOF
while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 9; done
export IOTFENCE_PIN_DIR=/sys/fs/bpf/ifn-mnt-$IT_ID
"$IFN" status >$D/mnt-status.out 2>$D/mnt-status.err
echo \$? >$D/mnt-status.rc
nsenter --net=$GWNET "$IFN" attach lan2 >$D/mnt-attach.out 2>&1
echo \$? >$D/mnt-attach.rc
stat -f -c %T /sys/fs/bpf >$D/mnt-fs
"$IFN" status >$D/mnt-status2.out 2>&1
nsenter --net=$GWNET "$IFN" detach --all --purge >$D/mnt-detach.out 2>&1
echo \$? >$D/mnt-detach.rc
EOF
unshare -m --propagation private bash $D/mnt.sh
check_eq "without bpffs, status fails" 1 "$(cat $D/mnt-status.rc)"
check_eq "...with one line saying how to mount it" \
	"iotfence: no bpffs mounted at /sys/fs/bpf: mount it with 'mount -t bpf bpf /sys/fs/bpf' (iotfence attach does that by itself)" \
	"$(cat $D/mnt-status.err)"
check_eq "attach mounts bpffs and attaches" 0 "$(cat $D/mnt-attach.rc)"
check_eq "bpffs is mounted then" bpf_fs "$(cat $D/mnt-fs)"
check "status works on it" grep -q "^lan2 " $D/mnt-status2.out
check_eq "detach --all --purge there" 0 "$(cat $D/mnt-detach.rc)"
check_eq "the host's bpffs was never touched" bpf_fs "$(stat -f -c %T /sys/fs/bpf)"
check "lan2 is left without XDP" sh -c "! ip -n $(ns_name gw) link show lan2 | grep -q xdp"

echo "# bpffs: a pin directory elsewhere is never mounted over"
NOBPF=/tmp/ifn-nobpf-$IT_ID/pins
for cmd in "status" "devices" "enforce $MAC1" "detach lan1"; do
	# shellcheck disable=SC2086
	check_error "$cmd without bpffs" "^iotfence: $NOBPF is not on a bpffs: mount one there" \
		env IOTFENCE_PIN_DIR=$NOBPF "$IFN" $cmd
done
check_error "attach without bpffs" "^iotfence: $NOBPF is not on a bpffs" \
	env IOTFENCE_PIN_DIR=$NOBPF nsenter --net=$GWNET "$IFN" attach lan1
check "and nothing was created there" test ! -e "$(dirname $NOBPF)"

echo "# a small state to fill up"
check "attach with small tables" ns_ifn gw attach lan1 --max-devices 16 --max-flows 16 --max-rules 16
# Static neighbours: on a slow machine the kernel's ARP probe of the gateway,
# 5s after the ping, would land between a map dump and its comparison.
in_ns dev1 ip neigh replace 10.91.1.1 lladdr "$(mac_of gw lan1)" dev eth0 nud permanent
in_ns gw ip neigh replace 10.91.1.2 lladdr $MAC1 dev lan1 nud permanent
check "dev1 is learned" in_ns dev1 ping -c1 -W1 10.91.1.1
check_eq "one device" 1 "$(ifn devices --json | jq length)"
sleep 0.2
it_maps_dump $D/maps0

echo "# bad command lines (exit 2)"
e2() { # DESC REGEX ARGS...: must exit 2 with one line
	local desc=$1 re=$2
	shift 2
	check_error "$desc" "$re" ns_ifn gw "$@"
	"$IFN" "$@" >/dev/null 2>&1
	check_eq "...exit code 2" 2 $?
}
e2 "unknown command" "unknown command 'frobnicate'" frobnicate
e2 "bad MAC" "'00:17:88:bb:00' is not a MAC address" enforce 00:17:88:bb:00
e2 "bad MAC for device" "'zz:17:88:bb:00:01' is not a MAC" device zz:17:88:bb:00:01
# Never a device's source: refused as such, not "unknown device" (issue 15).
e2 "broadcast MAC" "'ff:ff:ff:ff:ff:ff' is not a device MAC" enforce ff:ff:ff:ff:ff:ff
e2 "multicast MAC" "'01:00:5e:00:00:01' is not a device MAC" allow 01:00:5e:00:00:01 udp/53 any
e2 "zero MAC" "'00:00:00:00:00:00' is not a device MAC" device 00:00:00:00:00:00
e2 "missing MAC" "missing MAC \(or 'all'\)" enforce
e2 "too many arguments" "too many arguments" enforce $MAC1 $MAC1
e2 "unknown option" "unknown option '--bogus'" enforce $MAC1 --bogus
e2 "option without its value" "option '--for' needs a value" enforce $MAC1 --for
e2 "bad duration" "--for '10x' is not a duration" enforce $MAC1 --for 10x
e2 "zero duration" "--for must be longer than 0s" quarantine $MAC1 --for 0
e2 "duration too long" "--for '20000d' is too long" learn $MAC1 --for 20000d
e2 "bad CIDR: host bits" "'10.0.0.1/8': host bits set past the prefix" allow $MAC1 tcp/80 10.0.0.1/8
e2 "bad CIDR: prefix" "'10.0.0.0/33': prefix length out of range" allow $MAC1 tcp/80 10.0.0.0/33
e2 "bad CIDR: address" "'300.1.1.1' is not an IPv4 or IPv6 address" allow $MAC1 tcp/80 300.1.1.1
e2 "bad IPv6 prefix" "'2001:db8::1/32': host bits" allow $MAC1 udp/53 2001:db8::1/32
e2 "port out of range" "'tcp/70000': port out of range \(1-65535\)" allow $MAC1 tcp/70000 any
e2 "port zero" "'udp/0': port out of range" forget $MAC1 udp/0 any
e2 "unknown protocol" "unknown protocol 'foo'" allow $MAC1 foo/80 any
e2 "no ports on gre" "'gre/1': this protocol has no ports" allow $MAC1 gre/1 any
e2 "ICMP type range" "'icmp/300': the ICMP type must be 0-255" allow $MAC1 icmp/300 any
e2 "ethertype of IP" "'ether/0x0800': not a rule" allow $MAC1 ether/0x0800
e2 "missing peer" "missing PEER" allow $MAC1 tcp/80
e2 "trailing word" "unexpected 'sideways'" allow $MAC1 tcp/80 any sideways
e2 "bad count" "--pps 'lots' is not a number" rate $MAC1 --pps lots
e2 "rate without limits" "give --pps, --bps or both" rate $MAC1
e2 "burst above a second's worth" "a burst may be at most one second's worth" \
	rate $MAC1 --pps 10 --burst-packets 20
e2 "attach without IFACE" "missing IFACE" attach
e2 "attach --mode" "--mode must be native or generic" attach lan1 --mode turbo
e2 "attach --new-devices" "--new-devices 'block' is not a mode" attach lan1 --new-devices block
e2 "attach --learn-for" "--learn-for 'forever' is not a duration" attach lan1 --learn-for forever
e2 "attach --max-devices range" "--max-devices must be 16 to 16777216" attach lan1 --max-devices 8
e2 "detach without IFACE" "missing IFACE \(or --all\)" detach
e2 "detach --purge alone" "--purge needs --all" detach lan1 --purge
e2 "status with an argument" "unexpected 'now'" status now
e2 "settings without value" "'scan-threshold' needs a value" settings scan-threshold
e2 "settings out of range" "scan-threshold: '0' is not a count from 1 to 128" settings scan-threshold 0
e2 "unknown setting" "unknown setting 'colour'" settings colour blue
e2 "--json where nothing lists" "unknown option '--json'" enforce $MAC1 --json
check_maps_same "no map changed" $D/maps0

echo "# bad input the state refuses (exit 1)"
MISSING=00:17:88:bb:00:99
for cmd in "device $MISSING" "enforce $MISSING" "trust $MISSING --for 1m" \
	"allow $MISSING tcp/443 any" "forget $MISSING" "rate $MISSING --pps 1"; do
	# shellcheck disable=SC2086
	check_error "unknown MAC: $cmd" "^iotfence: unknown device $MISSING \(see 'iotfence devices'\)$" \
		ns_ifn gw $cmd
done
check_error "forget a rule it does not have" "$MAC1 has no rule 'tcp/5555 192.0.2.1'" \
	ns_ifn gw forget $MAC1 tcp/5555 192.0.2.1
check_error "missing interface" "^iotfence: no such interface 'nosuch0'$" ns_ifn gw attach nosuch0
check_error "detach of an interface never attached" "lan2: not attached" ns_ifn gw detach lan2
check_error "sizes cannot change while pinned" "--max-devices 1024: the state pinned at .* was made with 16" \
	ns_ifn gw attach lan1 --max-devices 1024
# A second gateway namespace with an interface of the same name (and very
# likely the same ifindex) must not take over the first one's state.
it_ns_quiet gw2
it_ns_quiet dev9
it_link gw2 lan1 "" dev9 eth0 ""
check_error "an interface of another network namespace" \
	"serves interfaces of another network namespace \(lan1\): give this one its own IOTFENCE_PIN_DIR" \
	ns_ifn gw2 attach lan1
check "gw2's lan1 got no XDP program" sh -c "! ip -n $(ns_name gw2) link show lan1 | grep -q xdp"
check "gw's lan1 still has it" sh -c "ip -n $(ns_name gw) link show lan1 | grep -q xdp"
check_maps_same "no map changed" $D/maps0

echo "# privileges"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
MISSING_ALL="missing capabilities CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN \(or CAP_SYS_ADMIN for CAP_BPF and CAP_PERFMON\)"
check_error "not root: status" "^iotfence: $MISSING_ALL: run as root$" \
	"${NOBODY[@]}" "$IFN_ANY" status
check_error "not root: enforce" "$MISSING_ALL" \
	"${NOBODY[@]}" "$IFN_ANY" enforce $MAC1
check_error "not root: attach" "$MISSING_ALL" \
	nsenter --net=$GWNET "${NOBODY[@]}" "$IFN_ANY" attach lan2
check "not root: help still works" "${NOBODY[@]}" "$IFN_ANY" help
check "not root: -h still works" "${NOBODY[@]}" "$IFN_ANY" devices -h
check "not root: version still works" "${NOBODY[@]}" "$IFN_ANY" version
check_error "root without CAP_NET_ADMIN" "^iotfence: missing capability CAP_NET_ADMIN: run as root$" \
	setpriv --bounding-set=-net_admin --inh-caps=-net_admin "$IFN" enforce $MAC1
check_error "root without CAP_BPF and CAP_SYS_ADMIN" \
	"^iotfence: missing capability CAP_BPF \(or CAP_SYS_ADMIN for CAP_BPF and CAP_PERFMON\): run as root$" \
	capsh --drop=cap_bpf,cap_sys_admin -- -c "exec '$IFN' devices"
check_error "runuser as nobody" "missing capabilities" runuser -u nobody -- "$IFN_ANY" devices
check_maps_same "no map changed" $D/maps0

echo "# a full device table"
check "fill it from userspace (15 more devices)" "$FILL" 15
check_eq "status: 16 of 16" "16 16" "$(ifn status --json | jq -r '"\(.maps.devices.entries) \(.maps.devices.max)"')"
check "devices lists a full table" sh -c "'$IFN' devices --json | jq -e 'length == 16'"
check "status shows 100%" sh -c "'$IFN' status | grep -Eq '^devices +16 +16 +100\.0%$'"
check "attach lan2" ns_ifn gw attach lan2
check "a new device gets no record: dropped" sh -c "! ip netns exec $(ns_name dev2) ping -c1 -W1 10.91.2.1"
check "counted as table full" sh -c "'$IFN' status --json | jq -e '.counters.table_full > 0'"
check "and in the status text" sh -c "'$IFN' status | grep -Eq 'table full [1-9]'"
check "settings unknown-devices pass" ns_ifn gw settings unknown-devices pass
# Its ARP was dropped just before: the first echo may wait for the
# neighbour entry to be resolved again, so allow a few.
check "then it passes, still without a record" \
	ip netns exec "$(ns_name dev2)" ping -c3 -i0.3 -W2 10.91.2.1
check_eq "still 16 devices, none evicted" 16 "$(ifn devices --json | jq length)"
check "the first device is still there" ifn device $MAC1
check "settings unknown-devices drop" ns_ifn gw settings unknown-devices drop

echo "# a full flow table (--max-flows 16)"
have=$(ifn status --json | jq .maps.flows.entries)
for p in $(seq 1 $((16 - have))); do
	ns_ifn gw allow $MAC1 tcp/$p 192.0.2.1 >/dev/null || break
done
check_eq "flows: 16 of 16" 16 "$(ifn status --json | jq .maps.flows.entries)"
it_maps_dump $D/maps1
check_error "one more exact rule" \
	"^iotfence: fingerprint table full \(ifn_flows holds 16 entries\): forget unused rules or devices" \
	ns_ifn gw allow $MAC1 tcp/999 192.0.2.1
check_maps_same "no map changed (the device's flow count neither)" $D/maps1

echo "# a full rule trie (--max-rules 16)"
n=0
while [ $n -lt 40 ] && ns_ifn gw allow $MAC1 udp/$((1000 + n)) 198.51.100.0/24 >/dev/null 2>&1; do
	n=$((n + 1))
done
check "prefix rules fill up ($n fitted)" test $n -ge 1 -a $n -le 16
it_maps_dump $D/maps2
check_error "one more prefix rule" "^iotfence: fingerprint table full \(ifn_rules_port holds 16 entries\)" \
	ns_ifn gw allow $MAC1 udp/2000 198.51.100.0/24
check_maps_same "no map changed" $D/maps2
check "forget one rule makes room" ns_ifn gw forget $MAC1 udp/1000 198.51.100.0/24
check "and the rule fits" ns_ifn gw allow $MAC1 udp/2000 198.51.100.0/24

it_done
