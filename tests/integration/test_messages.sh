#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Messages of issue 15: every missing capability named at once (CAP_PERFMON
# was left out); version --json is JSON; a state.gz that is a directory is
# called one; a daemon whose last save fails exits non-zero.
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

mkdir "$D/state.gz"
nsenter --net="$GWNS" "$IFN" attach lan1 >"$D/out" 2>"$D/err"
check "a state.gz that is a directory is called one" \
	grep -q "state.gz: a directory, not a regular file" "$D/err"
sed 's/^/       | /' "$D/err"
rmdir "$D/state.gz"

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
