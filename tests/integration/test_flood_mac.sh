#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# MAC flood: a million live frames, each from a new random source MAC, into
# a gateway whose device table holds 1024. Known devices keep their records
# and their enforcement; the table fills and stays full without evicting
# anyone; the frames that find it full are counted and dropped; events stay
# limited; the daemon reading them keeps a flat memory.
. "$(dirname "$0")/lib.sh"
it_init flood-mac
it_lab 2

FLOOD=${IFN_BUILD:-$(dirname "$IFN")}/tests/ifn_flood
FRAMES=${FLOOD_FRAMES:-1000000}
MAXDEV=1024
D=$IOTFENCE_STATE_DIR
GWNS=/run/netns/$(ns_name gw)
mac1=$(mac_of dev1 eth0)
mac2=$(mac_of dev2 eth0)
[ -x "$FLOOD" ] || { echo "missing $FLOOD: make tools" >&2; exit 1; }

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
counter() { ifn status --json | jq -r ".counters.$1"; }
# The enforced device's record: what a flood must not change.
record() { ifn device "$mac1" --json | jq -c '{mode, flows, fingerprint}'; }
# UDP to the server on PORT from dev1 (one datagram, no reply needed).
udp_from_dev1() { in_ns dev1 bash -c "echo x >/dev/udp/$IT_SRV/$1" 2>/dev/null; }

check "attach lan1 with a table of $MAXDEV devices" \
	ns_ifn gw attach lan1 --new-devices learn --learn-for 0 --max-devices $MAXDEV
check "attach lan2" ns_ifn gw attach lan2 --new-devices learn --learn-for 0
in_ns dev1 ping -c 2 -i 0.2 -W 1 "$IT_SRV" >/dev/null
udp_from_dev1 5000
in_ns dev2 ping -c 2 -i 0.2 -W 1 "$IT_SRV" >/dev/null
check "dev1 enforces what it learnt" ifn enforce "$mac1"
before=$(record)
check "dev1's allowed flow passes before the flood" in_ns dev1 ping -c 1 -W 1 "$IT_SRV"
drops0=$(ifn device "$mac1" --json | jq .dropped)
udp_from_dev1 7777
check_eq "dev1's flow outside the fingerprint is dropped before the flood" \
	$((drops0 + 1)) "$(ifn device "$mac1" --json | jq .dropped)"

# The daemon reads the events during the flood.
printf 'interface lan1\ninterface lan2\nmetrics-interval 1s\nmetrics-file %s/m.prom\n' "$D" \
	>"$D/iotfence.conf"
nsenter --net="$GWNS" "$IFN" run --config "$D/iotfence.conf" >"$D/events" 2>"$D/daemon.err" &
DPID=$!
IT_PIDS+=("$DPID")
check "the daemon runs" it_wait 10 grep -q "running" "$D/daemon.err"
sleep 1
rss0=$(rss "$DPID")
frames0=$(counter frames)
full0=$(counter table_full)
new0=$(counter new_devices)
sent0=$(counter events_sent)
pk0=$(($(ifn device "$mac1" --json | jq .packets) + $(ifn device "$mac2" --json | jq .packets)))
lost0=$(counter events_lost)

# In two halves: the first fills the table and warms the daemon up (its
# metrics list every device), the second shows whether memory follows the
# number of frames.
start=$(date +%s%N)
out=$(in_ns dev2 "$FLOOD" mac eth0 $((FRAMES / 2)) "$$")
rc=$?
echo "       $out"
sleep 2
rssm=$(rss "$DPID")
out=$(in_ns dev2 "$FLOOD" mac eth0 $((FRAMES - FRAMES / 2)) "$$$$")
rc=$((rc + $?))
elapsed=$((($(date +%s%N) - start) / 1000000000 - 2))
echo "       $out"
check_eq "the flood ran" 0 "$rc"
sleep 2 # the daemon reads what is left; metrics once more
rss1=$(rss "$DPID")

frames=$(($(counter frames) - frames0))
full=$(($(counter table_full) - full0))
new=$(($(counter new_devices) - new0))
sent=$(($(counter events_sent) - sent0))
lost=$(($(counter events_lost) - lost0))
# Frames of the two known devices (ARP, the lab's own) are not the flood's.
known=$(($(ifn device "$mac1" --json | jq .packets) + $(ifn device "$mac2" --json | jq .packets) - pk0))
ndev=$(ifn devices --json | jq length)
nfull_ev=$(grep -c '"type":"TABLE_FULL"' "$D/events")
nnew_ev=$(grep -c '"type":"NEW_DEVICE"' "$D/events")
lines=$(wc -l <"$D/events")
echo "       datapath: $frames frames in ${elapsed}s; $new new devices, $full found the table" \
	"full; events sent $sent, not sent $lost; daemon: $lines lines ($nnew_ev NEW_DEVICE," \
	"$nfull_ev TABLE_FULL); RSS ${rss0} kB before, ${rssm} kB half way, ${rss1} kB after"

check_eq "the device table is full, nobody evicted" $MAXDEV "$ndev"
# How many frames a veth queue drops depends on the machine's load, which this
# test does not judge; the flood must still be many times the table's size,
# and the accounting below is exact for every frame the datapath saw.
check "the datapath saw the flood (at least half of the frames)" \
	test "$frames" -ge $((FRAMES / 2))
check_eq "new devices filled the table exactly" $((MAXDEV - 2)) "$new"
check_eq "every other frame is counted as finding the table full" $((frames - new - known)) "$full"
check_eq "... and as the reason device_table_full" "$full" \
	"$(ifn status --json | jq '.counters.drop_reasons.device_table_full // 0')"
check_eq "dev1's record is unchanged" "$before" "$(record)"
check "dev1's allowed flow still passes" in_ns dev1 ping -c 1 -W 1 "$IT_SRV"
drops0=$(ifn device "$mac1" --json | jq .dropped)
udp_from_dev1 7777
check_eq "dev1's flow outside the fingerprint is still dropped" \
	$((drops0 + 1)) "$(ifn device "$mac1" --json | jq .dropped)"
check "dev2 is still known" ifn device "$mac2"
# Events: NEW_DEVICE once per device (the two known ones were in the ring
# when the daemon started), TABLE_FULL at most once a second per CPU.
check "NEW_DEVICE events: one per new device at most" test "$nnew_ev" -le $((new + 2))
check "TABLE_FULL events: at most one a second per CPU" \
	test "$nfull_ev" -le $((($elapsed + 3) * $(nproc)))
check "events sent are few (limited), not one per frame" test "$sent" -le $((MAXDEV + 100))
check "the daemon is alive" kill -0 "$DPID"
check "the daemon's memory is bounded (grew < 4 MiB in all: $rss0 -> $rss1 kB)" \
	test $((rss1 - rss0)) -lt 4096
check "the daemon's memory is flat over the second half ($rssm -> $rss1 kB, < 256 KiB)" \
	test $((rss1 - rssm)) -lt 256

it_done
