#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Messages of issue 15: every missing capability named at once (CAP_PERFMON
# was left out); version --json is JSON; a state.gz that is a directory is
# called one; a daemon whose last save fails exits non-zero; capabilities
# without access to the pin directory say so. Bad input is
# echoed bounded and with control bytes escaped (a terminal escape in an
# argument or a policy line), and a file of garbage gives the first 100
# errors and a count, not one line per bad line.
. "$(dirname "$0")/lib.sh"
it_init messages
it_ns_quiet gw
it_ns_quiet dev1
it_link gw lan1 10.97.0.1/24 dev1 eth0 10.97.0.2/24

D=$IOTFENCE_STATE_DIR
GWNS=/run/netns/$(ns_name gw)
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

check_error "nobody: every missing capability, CAP_PERFMON too" \
	"^iotfence: missing capabilities CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN" \
	"${NOBODY[@]}" "$IFN" status
check_eq "version --json is JSON with the version and the ABI" true \
	"$(ifn version --json | jq '(.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")) and (.abi | type == "number")')"

check_error "a terminal escape in an argument is escaped" "'\\\\x1b\\[31mx' is not a MAC address" \
	"$IFN" enforce $'\x1b[31mx'
"$IFN" enforce "$(head -c 100000 /dev/zero | tr '\0' a)" 2>"$D/long.err"
check "at most a line's worth of it (1 KB)" test "$(wc -c <"$D/long.err")" -le 1100
printf 'device 02:aa:00:00:00:01 \x1b[31mred\n' >"$D/esc.pol"
"$IFN" policy check "$D/esc.pol" 2>"$D/esc.err"
check "a terminal escape in a policy line is escaped" grep -qF 'not a device name' "$D/esc.err"
check_eq "no escape byte reaches the terminal" 0 "$(grep -c $'\x1b' "$D/esc.err")"
for i in $(seq 1 500); do echo "bogus line $i"; done >"$D/garbage.pol"
"$IFN" policy check "$D/garbage.pol" 2>"$D/garbage.err"
check_eq "500 bad lines: the first 100 errors, a count of the rest, the total" 102 \
	"$(wc -l <"$D/garbage.err")"
check "the count of those not shown" grep -q "garbage.pol: 400 more errors not shown" "$D/garbage.err"
check "and the total" grep -q "garbage.pol: 500 errors" "$D/garbage.err"

mkdir "$D/state.gz"
nsenter --net="$GWNS" "$IFN" attach lan1 >"$D/out" 2>"$D/err"
check "a state.gz that is a directory is called one" \
	grep -q "state.gz: a directory, not a regular file" "$D/err"
sed 's/^/       | /' "$D/err"
rmdir "$D/state.gz"

# With the capabilities but not the pin directory's owner: that is what is
# said, not "needs root" (issue 15).
CAPS=(--inh-caps=+bpf,+perfmon,+net_admin --ambient-caps=+bpf,+perfmon,+net_admin)
for cmd in status "enforce 02:aa:00:00:00:01"; do
	# shellcheck disable=SC2086 # the words of a command line
	check_error "nobody with the capabilities: $cmd" \
		"permission denied: this process \(uid [0-9]+\) has the capabilities, but no access to the pin directory \(owner uid 0, mode 0700\)" \
		"${NOBODY[@]}" "${CAPS[@]}" "$IFN_ANY" $cmd
done

# A file that is not read is no file of errors: no "0 errors" with exit 1.
mkfifo "$D/fifo.pol"
"$IFN" policy check "$D/fifo.pol" >"$D/out" 2>"$D/err"
check_eq "policy check of a FIFO: exit 1" 1 "$?"
check_eq "with one line saying why, and no count of errors" "1 0" \
	"$(wc -l <"$D/err") $(grep -c ' errors\?$' "$D/err")"

# The last save fails (the state directory is another user's): exit 1.
printf 'interface lan1\n' >"$D/conf"
nsenter --net="$GWNS" "$IFN" run --config "$D/conf" >"$D/out" 2>"$D/err" &
DPID=$!
IT_PIDS+=($DPID)
check "the daemon runs" it_wait 20 grep -q "running:" "$D/err"
chown nobody "$D"
kill -TERM "$DPID"
it_wait 20 sh -c "! kill -0 $DPID 2>/dev/null"
wait "$DPID"
check_eq "a daemon whose last save fails exits 1" 1 "$?"
check "after a line that says why" grep -q "not saving the state: .* is owned by uid" "$D/err"
chown root "$D"

it_done
