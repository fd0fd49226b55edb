#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Privileges: what iotfence leaves on disk is root's alone, whatever the
# umask it was started with (pins and directories 0700, pinned objects and
# state files 0600, all owned by root), and a user without the capabilities
# gets one clear line naming the missing one, with nothing changed.
. "$(dirname "$0")/lib.sh"
it_init priv
it_lab 1

# The state directory must be the agent's own creation, not the test's.
PARENT=$IOTFENCE_STATE_DIR
export IOTFENCE_STATE_DIR=$PARENT/state
MIN_PINS=$IOTFENCE_PIN_DIR-min
trap 'IOTFENCE_PIN_DIR=$MIN_PINS "$IFN" detach --all --purge >/dev/null 2>&1; rm -rf "$MIN_PINS"
	it_teardown; rm -rf "$PARENT"' EXIT
chmod 0755 "$PARENT" # nobody must be able to reach the state to try it
GWNS=/run/netns/$(ns_name gw)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --)
# Root without some capabilities: from the bounding and inheritable sets.
drop() { # CAPS COMMAND...: run as root without CAPS (setpriv names, comma list)
	local caps=$1
	shift
	setpriv --inh-caps="$caps" --bounding-set="$caps" -- "$@"
}

# modes DIR: "MODE OWNER PATH" for everything under DIR, DIR included.
modes() { find "$1" -printf '%m %u %p\n' | sort -k3; }
# bad_modes DIR: what has group or other bits, or is not root's.
bad_modes() { find "$1" \( -perm /077 -o ! -user root \) -printf '%m %u %p\n'; }

# A permissive umask: the agent must not depend on the caller's.
umask 000

check "attach works with umask 000" nsenter --net="$GWNS" "$IFN" attach lan1
in_ns dev1 ping -c 3 -i 0.2 -W 1 10.91.9.2 >/dev/null 2>&1
check "the pin directory exists" test -d "$IOTFENCE_PIN_DIR"
check_eq "pin directory mode" "700 root" "$(stat -c '%a %U' "$IOTFENCE_PIN_DIR")"
check_eq "links directory mode" "700 root" "$(stat -c '%a %U' "$IOTFENCE_PIN_DIR/links")"
check_eq "nothing pinned has group or other bits, everything is root's" "" \
	"$(bad_modes "$IOTFENCE_PIN_DIR")"
echo "       pins:"
modes "$IOTFENCE_PIN_DIR" | sed 's/^/         /' | head -20
check "every pinned map, the program and the link are 0600" \
	sh -c "! find '$IOTFENCE_PIN_DIR' -type f ! -perm 0600 | grep -q ."

# --- state files: the daemon writes them (snapshot, metrics, names) -------
cat >"$PARENT/iotfence.conf" <<EOF
interface lan1
snapshot-interval 1s
metrics-interval 1s
EOF
cat >"$PARENT/policy" <<EOF
device $(mac_of dev1 eth0) camera
EOF
nsenter --net="$GWNS" "$IFN" policy load "$PARENT/policy" >/dev/null 2>&1
nsenter --net="$GWNS" "$IFN" run --config "$PARENT/iotfence.conf" \
	>"$PARENT/run.out" 2>"$PARENT/run.err" &
DPID=$!
IT_PIDS+=("$DPID")
check "the daemon saves its state" it_wait 10 test -s "$IOTFENCE_STATE_DIR/state.gz"
it_wait 5 sh -c "ls '$IOTFENCE_STATE_DIR' | grep -q prom"
kill -TERM "$DPID"
it_wait 5 sh -c "! kill -0 $DPID"
check_eq "state directory mode" "700 root" "$(stat -c '%a %U' "$IOTFENCE_STATE_DIR")"
echo "       state:"
modes "$IOTFENCE_STATE_DIR" | sed 's/^/         /'
# The metrics file is for node_exporter's user to read (iotfence.8, METRICS):
# readable, and written by root only.
check "the metrics file was written" test -f "$IOTFENCE_STATE_DIR/iotfence.prom"
check_eq "metrics file mode" "644 root" "$(stat -c '%a %U' "$IOTFENCE_STATE_DIR/iotfence.prom")"
check_eq "no state file has group or other bits, everything is root's" "" \
	"$(bad_modes "$IOTFENCE_STATE_DIR" | grep -v '/iotfence.prom$')"
check "the names file of the policy is there" test -f "$IOTFENCE_STATE_DIR/names"
umask 022

# --- without privileges: one line naming what is missing ------------------
# State, not counters: the lab's own ARP keeps counting meanwhile.
state_dump() {
	local m
	for m in ifn_devices ifn_flows ifn_rules_port ifn_rules_any ifn_ip_owners ifn_ifaces \
		ifn_config; do
		echo "== $m"
		bpftool map dump pinned "$IOTFENCE_PIN_DIR/$m" 2>&1
	done
	# shellcheck disable=SC2010 # a listing to compare, names are ours
	ls -l "$IOTFENCE_PIN_DIR" "$IOTFENCE_PIN_DIR/links" "$IOTFENCE_STATE_DIR" 2>&1 |
		grep -v 'iotfence.prom'
}
state_dump >"$PARENT/before"
for cmd in "status" "devices" "settings" "events" "learn all" "enforce all" \
	"settings scan-threshold 3" "attach lan1" "detach lan1" "run --config $PARENT/iotfence.conf" \
	"policy load $PARENT/policy" "replay $PARENT/policy"; do
	# shellcheck disable=SC2086 # the words of the command
	check_error "nobody: iotfence $cmd" "^iotfence: .*CAP_BPF.*CAP_NET_ADMIN|^iotfence: .*CAP_NET_ADMIN.*CAP_BPF" \
		"${NOBODY[@]}" "$IFN_ANY" $cmd
done
check_error "without CAP_NET_ADMIN: iotfence status" "^iotfence: missing capability CAP_NET_ADMIN" \
	drop -net_admin "$IFN" status
check_error "without CAP_BPF and CAP_SYS_ADMIN: iotfence learn all" \
	"^iotfence: missing capability CAP_BPF" drop -bpf,-sys_admin "$IFN" learn all
check_error "without CAP_NET_ADMIN: iotfence attach" "^iotfence: missing capability CAP_NET_ADMIN" \
	nsenter --net="$GWNS" setpriv --inh-caps=-net_admin --bounding-set=-net_admin -- \
	"$IFN" attach lan1
check_error "without CAP_PERFMON and CAP_SYS_ADMIN: iotfence attach" \
	"^iotfence: missing capability CAP_PERFMON" \
	nsenter --net="$GWNS" setpriv --inh-caps=-perfmon,-sys_admin \
	--bounding-set=-perfmon,-sys_admin -- "$IFN" attach lan1
check "the refused commands changed nothing" cmp "$PARENT/before" <(state_dump)

# Exactly what the check asks for is enough: CAP_BPF, CAP_PERFMON and
# CAP_NET_ADMIN, nothing else (no CAP_SYS_ADMIN, no CAP_DAC_OVERRIDE), for a
# fresh load and attach on a state of its own.
ip -n "$(ns_name gw)" link add priv0 type veth peer name priv1
ip -n "$(ns_name gw)" link set priv0 up
ip -n "$(ns_name gw)" link set priv1 up
ONLY=$(setpriv --list-caps | grep -vxE 'bpf|perfmon|net_admin' | sed 's/^/-/' | paste -sd,)
check "only CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN: attach (a fresh load)" \
	env IOTFENCE_PIN_DIR="$IOTFENCE_PIN_DIR-min" IOTFENCE_STATE_DIR="$PARENT/min" \
	nsenter --net="$GWNS" setpriv --inh-caps="$ONLY" --bounding-set="$ONLY" -- "$IFN" attach priv0
for cmd in status devices "learn all" settings events; do
	# shellcheck disable=SC2086 # the words of the command
	check "only CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN: iotfence $cmd" \
		env IOTFENCE_PIN_DIR="$IOTFENCE_PIN_DIR-min" IOTFENCE_STATE_DIR="$PARENT/min" \
		setpriv --inh-caps="$ONLY" --bounding-set="$ONLY" -- "$IFN" $cmd
done
check "only CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN: detach --all --purge" \
	env IOTFENCE_PIN_DIR="$IOTFENCE_PIN_DIR-min" IOTFENCE_STATE_DIR="$PARENT/min" \
	nsenter --net="$GWNS" setpriv --inh-caps="$ONLY" --bounding-set="$ONLY" -- "$IFN" detach --all --purge
IOTFENCE_PIN_DIR="$IOTFENCE_PIN_DIR-min" "$IFN" detach --all --purge >/dev/null 2>&1
rm -rf "$IOTFENCE_PIN_DIR-min"

# What needs no privilege works for anybody.
check "nobody: iotfence version" "${NOBODY[@]}" "$IFN_ANY" version
check "nobody: iotfence help" "${NOBODY[@]}" "$IFN_ANY" help
cp "$PARENT/policy" /tmp/ifn-priv-policy.$$ && chmod 0644 /tmp/ifn-priv-policy.$$
check "nobody: iotfence policy check (no privileges needed)" \
	"${NOBODY[@]}" "$IFN_ANY" policy check /tmp/ifn-priv-policy.$$
rm -f /tmp/ifn-priv-policy.$$
# Nobody cannot reach the pins even with a handle on the path.
check_fails "nobody cannot open a pinned map" "${NOBODY[@]}" \
	bpftool map show pinned "$IOTFENCE_PIN_DIR/ifn_devices"

it_done
