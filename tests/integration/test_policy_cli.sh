#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `iotfence policy`: check needs no privileges and lists every error as
# FILE:LINE; load is all or nothing and follows the ownership rules of
# iotfence.8 (POLICY FILES); --dry-run changes nothing; a reload never
# releases a quarantined device; save, then load into empty state, gives
# the same show.
. "$(dirname "$0")/lib.sh"
it_init policy-cli
it_lab 2

D=$IOTFENCE_STATE_DIR
SRV=$IT_SRV
mac1=$(mac_of dev1 eth0)
mac2=$(mac_of dev2 eth0)
chmod 0755 "$D"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
show_dev() { # MAC: that device's lines of `policy show`
	ifn policy show | awk -v m="$1" '/^device/ { d = ($2 == m) } d'
}
show_has() { # LINE: a whole line of `policy show`
	ifn policy show | grep -qxF "$1"
}
iface_nd() { # IFACE: its new-device defaults
	ifn status --json | jq -r --arg i "$1" '.interfaces[] | select(.name == $i) |
		.new_devices + " for " + .learn_for'
}
# What a policy changes (counters move with any frame, so they are left out).
policy_state() {
	local m
	ifn policy show
	for m in ifn_flows ifn_rules_port ifn_rules_any ifn_ifaces ifn_config; do
		bpftool map dump pinned "$IOTFENCE_PIN_DIR/$m"
	done
	cat "$D/names"
}
check_state_same() { # DESCRIPTION FILE
	check "$1" sh -c "diff -u '$2' - <<'EOS'
$(policy_state 2>&1)
EOS"
}
has_line() { # MAC LINE
	show_dev "$1" | grep -qxF "$(printf '\t%s' "$2")"
}

# --- check: no privileges, every error ---------------------------------------
cat >"$D/good.pol" <<EOF
# a good policy
set scan-threshold 24
new-devices learn learn-for 2h
interface lan1 new-devices learn learn-for 1h

device $mac1 camera   # the front door
	mode enforce
	rate pps 200 bps 1M
	allow tcp/443 52.94.0.0/16
	allow udp/123 any
	allow tcp 10.91.9.0/24
	allow icmp/8 $SRV
	allow ether/0x88cc
EOF
cat >"$D/bad.pol" <<EOF
set scan-threshold 500
allow udp/53 any
device $mac1
	allow tcp/70000 1.2.3.4
	allow tcp/443 10.0.0.1/8
	mode hibernate
device 01:00:5e:00:00:01
device $mac1
quarantine 02:00:00:00:00:09 for soon
EOF
chmod 0644 "$D/good.pol" "$D/bad.pol"
check "check: a good file, as an unprivileged user" as_nobody "$IFN_ANY" policy check "$D/good.pol"
as_nobody "$IFN_ANY" policy check "$D/bad.pol" >"$D/check.out" 2>"$D/check.err"
check_eq "check: a bad file fails" 1 $?
check_eq "check: every error, one line each, in line order" \
	"1 2 4 5 6 7 8 9" "$(sed -n "s|^$D/bad.pol:\([0-9]*\): .*|\1|p" "$D/check.err" | xargs)"
check "check: the reason is given" grep -q "^$D/bad.pol:5: '10.0.0.1/8': host bits set" "$D/check.err"
check "check: and the count" grep -q "^$D/bad.pol: 8 errors$" "$D/check.err"
check_error "check: a missing file" "^$D/none.pol: cannot read: " ifn policy check "$D/none.pol"
check_error "show needs privileges, and says which" "CAP_BPF|CAP_NET_ADMIN" \
	as_nobody "$IFN_ANY" policy show
check_error "load without state: not attached" "not attached" ifn policy load "$D/good.pol"
check_error "load of a bad file: its errors, before anything else" "^$D/bad.pol:" \
	sh -c "'$IFN' policy load '$D/bad.pol' 2>&1 >/dev/null | head -1 >&2; exit 1"

# --- load: the file owns the devices it names ---------------------------------
check "attach lan1" ns_ifn gw attach lan1 --learn-for 0
check "attach lan2" ns_ifn gw attach lan2 --learn-for 0
in_ns dev1 ping -c2 -i0.2 -W1 "$SRV" >/dev/null
in_ns dev2 ping -c2 -i0.2 -W1 "$SRV" >/dev/null
check "both devices learned the echo" sh -c "'$IFN' device $mac1 --json | jq -e '.flows >= 1' && \
	'$IFN' device $mac2 --json | jq -e '.flows >= 1'" 
flows2=$(ifn device "$mac2" --json | jq .flows)
check "a manual rule" ifn allow "$mac1" tcp/22 10.91.9.2

ifn policy load "$D/good.pol" >"$D/load.out" 2>&1
cat "$D/load.out" | sed "s/^/  ..   /"
check_eq "load: succeeds" 0 $?
check "load: reports the rules it added" grep -qx "added $mac1 allow tcp/443 52.94.0.0/16" "$D/load.out"
check "load: reports the manual rule it removed" grep -qx "removed $mac1 allow tcp/22 10.91.9.2" "$D/load.out"
check "load: reports the learned flow it adopted" grep -q "^changed $mac1 allow icmp/8 $SRV: was learned" "$D/load.out"
check "load: reports settings and modes it changed" \
	sh -c "grep -q '^changed setting scan-threshold: 16 -> 24' '$D/load.out' && \
	grep -q '^changed $mac1 mode learn -> enforce; rate' '$D/load.out'"
check "load: the summary line" grep -qx "$D/good.pol: 4 added, 1 removed, 7 changed" "$D/load.out"
check "the named device enforces the file" has_line "$mac1" "mode enforce"
check "its rate is the file's" has_line "$mac1" "rate pps 200 burst-packets 200 bps 1000000 burst-bytes 1000000"
check "its name is the file's" show_has "device $mac1 camera"
check_eq "a device the file does not name keeps its learned flows" "$flows2" \
	"$(ifn device "$mac2" --json | jq .flows)"
check_eq "the interface named takes the file's defaults" "learn for 1h" "$(iface_nd lan1)"
check_eq "the other one takes new-devices" "learn for 2h" "$(iface_nd lan2)"
check "the names file is private" test "$(stat -c %a "$D/names")" = 600
check "the allowed echo passes" in_ns dev1 ping -c1 -W1 "$SRV"
check_fails "an echo the file does not allow is dropped" in_ns dev1 ping -c1 -W1 10.91.1.1
check_eq "a reload of the same file changes nothing" "$D/good.pol: 0 added, 0 removed, 0 changed" \
	"$(ifn policy load "$D/good.pol")"

# A policy rule of a device the new file does not name goes; learned ones stay.
printf 'device %s\n\tallow udp/53 10.91.9.2\n' "$mac2" >"$D/two.pol"
ifn policy load "$D/two.pol" >"$D/two.out"
check "a file naming the other device adds its rule" grep -qx "added $mac2 allow udp/53 10.91.9.2" "$D/two.out"
check "the first device, no longer named, loses its policy rules" grep -qx \
	"removed $mac1 allow tcp/443 52.94.0.0/16 (a policy rule of a device the file does not name)" \
	"$D/two.out"
check_eq "but keeps its mode" enforce "$(ifn device "$mac1" --json | jq -r .mode)"
ifn policy load "$D/good.pol" >"$D/load2.out"
check "back to good: the unnamed device's policy rule is removed" \
	grep -q "^removed $mac2 allow udp/53 10.91.9.2 (a policy rule of a device the file does not name)" \
	"$D/load2.out"
check_eq "and its learned flows are still there" "$flows2" "$(ifn device "$mac2" --json | jq .flows)"

# --- all or nothing, dry run ---------------------------------------------------
policy_state >"$D/state.before" 2>&1
cat >"$D/half.pol" <<EOF
set scan-threshold 99
device $mac1 camera
	mode monitor
	allow tcp/8443 1.2.3.4
interface lan7 new-devices enforce
EOF
check_error "load: an interface that is not attached, with its line" \
	"^$D/half.pol:5: interface lan7 is not attached" ifn policy load "$D/half.pol"
check_state_same "a refused load changes nothing" "$D/state.before"
sed -i '/lan7/d' "$D/half.pol"
ifn policy load --dry-run "$D/half.pol" >"$D/dry.out"
check "dry run: says what it would do" grep -qx "would have added $mac1 allow tcp/8443 1.2.3.4" "$D/dry.out"
check "dry run: and that it did nothing" grep -q "(dry run: nothing was changed)$" "$D/dry.out"
check_state_same "a dry run changes nothing" "$D/state.before"

# --- a reload never releases a quarantined device ------------------------------
check "quarantine the device" ifn quarantine "$mac1"
ifn policy load "$D/good.pol" >"$D/load3.out"
check "reload: keeps it in quarantine and says so" grep -q "^kept $mac1 in quarantine" "$D/load3.out"
check_eq "it is still quarantined" quarantine "$(ifn device "$mac1" --json | jq -r .mode)"
check "the operator releases it" ifn enforce "$mac1"

# --- learned-flows replace -------------------------------------------------------
sed 's/^\tmode enforce$/\tmode enforce\n\tlearned-flows replace/' "$D/good.pol" | \
	grep -v "icmp/8" >"$D/replace.pol"
in_ns dev1 ping -c1 -W1 10.91.1.1 >/dev/null # dropped, but nothing learned: enforced
ifn learn "$mac1" >/dev/null
in_ns dev1 ping -c1 -W1 10.91.1.1 >/dev/null
ifn enforce "$mac1" >/dev/null
check "a learned flow" has_line "$mac1" "learned icmp/8 10.91.1.1"
check "learned-flows replace removes learned flows the file does not list" \
	sh -c "'$IFN' policy load '$D/replace.pol' | grep -qx 'removed $mac1 learned icmp/8 10.91.1.1'"

# --- round trip: save, load into empty state, same show ----------------------------
ifn policy load "$D/good.pol" >/dev/null
ifn rate "$mac2" --pps 50 >/dev/null
ifn learn "$mac2" --for 2h >/dev/null
ifn policy show >"$D/show.before"
check "save" ifn policy save "$D/saved.pol"
check "the saved file checks" ifn policy check "$D/saved.pol"
check "detach and purge" ifn detach --all --purge
ns_ifn gw attach lan1 --learn-for 0 >/dev/null
ns_ifn gw attach lan2 --learn-for 0 >/dev/null
check_eq "empty state: no device" 0 "$(ifn devices --json | jq length)"
check "load the saved file into it" ifn policy load "$D/saved.pol"
ifn policy show >"$D/show.after"
check "the same show" diff -u "$D/show.before" "$D/show.after"
check_eq "loading it again changes nothing" "$D/saved.pol: 0 added, 0 removed, 0 changed" \
	"$(ifn policy load "$D/saved.pol")"

it_done
