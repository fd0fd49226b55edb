#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The state directory and its snapshots are root's alone (issue 15, item 7).
# A snapshot in a directory anyone may write, one anyone may write, or one
# another user owns could have been planted (a MAC in trust): it is not
# restored, with one line saying why. A save into a directory of ours that
# is open to others makes it 0700 again.
. "$(dirname "$0")/lib.sh"
it_init state-dir
it_ns_quiet gw
it_ns_quiet dev1
it_link gw lan1 10.95.0.1/24 dev1 eth0 10.95.0.2/24

D=$IOTFENCE_STATE_DIR
GWNS=/run/netns/$(ns_name gw)
M=02:dd:00:00:00:07
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
# restore_ok: after a reboot, does the first attach restore M?
reboot_attach() {
	"$IFN" detach --all --purge >/dev/null 2>&1
	nsenter --net="$GWNS" "$IFN" attach lan1 >"$D/a.out" 2>"$D/a.err"
}
known() { "$IFN" device "$M" >/dev/null 2>&1; }

printf 'interface lan1\n' >"$D/conf"
printf 'device %s\n\tmode trust\n' "$M" >"$D/p.pol"
chmod 700 "$D"
check "the daemon starts" start
check "a policy trusts M" ifn policy load "$D/p.pol"
check "the daemon saves on SIGTERM" stop
reboot_attach
check "a private state directory is restored from" known

chmod 777 "$D"
reboot_attach
check_eq "a directory anyone may write: nothing restored" "" "$(known && echo restored)"
check "and one line says why" grep -q "writable by anyone (mode 0777).*none is restored" "$D/a.err"
sed 's/^/       | /' "$D/a.err"

chmod 700 "$D"
chmod 666 "$D/state.gz"
reboot_attach
check_eq "a snapshot anyone may write: nothing restored" "" "$(known && echo restored)"
check "and one line says why" grep -q "state.gz is writable by anyone (mode 0666)" "$D/a.err"

chmod 600 "$D/state.gz"
chown nobody "$D/state.gz"
reboot_attach
check_eq "a snapshot another user owns: nothing restored" "" "$(known && echo restored)"
check "and one line says why" grep -q "state.gz is owned by uid $(id -u nobody)" "$D/a.err"

chown root "$D/state.gz"
chmod 755 "$D"
reboot_attach
check "a directory only root writes (0755) is restored from" known

# A save makes a directory of ours that others may write 0700 again.
chmod 777 "$D"
check "the daemon starts" start
check "and saves on SIGTERM" stop
check_eq "the state directory is 0700 again" 700 "$(stat -c %a "$D")"
check "the daemon said so" grep -q "was mode 0777: made 0700" "$D/err"

it_done
