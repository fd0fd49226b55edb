#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A Mirai-like telnet scan from one device of the lab: SYNs to 23 and 2323
# of 30 addresses of the lab's server subnet (60 probes, each given up after
# a second). The datapath quarantines the scanner on the frame that takes it
# past the scan threshold, `iotfence events --json` shows SCAN then
# AUTO_QUARANTINE for it, and a benign device on the same gateway keeps its
# service before and after, with nothing of the kind reported for it.
. "$(dirname "$0")/lib.sh"
it_init events-scan
it_lab 2

SRV=$IT_SRV
bg_ns srv socat -T2 TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo ok'
it_wait 5 in_ns srv sh -c 'ss -ltn | grep -q ":8080 "'

ns_ifn gw attach lan1 --new-devices learn --learn-for 0 >/dev/null
ns_ifn gw attach lan2 --new-devices learn --learn-for 0 >/dev/null
BENIGN=$(mac_of dev1 eth0)
SCANNER=$(mac_of dev2 eth0)
T=$(ifn settings --json | jq -r .scan_threshold)

service() { # NS: the device's own service works
	in_ns "$1" ping -c1 -W1 "$SRV" >/dev/null &&
		[ "$(in_ns "$1" nc -w2 "$SRV" 8080 </dev/null)" = ok ]
}

# Both devices learn their service, then enforce it.
check "benign device learns its service" service dev1
check "scanner learns its service" service dev2
check "enforce all devices" ifn enforce all
check "benign service works in enforce" service dev1
check "scanner's service works in enforce, before the scan" service dev2

EV=$IOTFENCE_STATE_DIR/events.json
"$IFN" events --json --follow >"$EV" 2>"$EV.err" &
IT_PIDS+=($!)
EVPID=$!
sleep 0.3

# The scan: bounded (60 SYNs plus retransmissions, 2 s), to lab addresses only.
in_ns dev2 bash -c '
	for i in $(seq 11 40); do
		nc -z -w1 10.91.9.$i 23 2323 2>/dev/null &
	done
	wait' || true

it_wait 5 sh -c "grep -q AUTO_QUARANTINE '$EV'"
dev_json() { ifn device "$1" --json; }
check_eq "scanner is quarantined" quarantine "$(dev_json "$SCANNER" | jq -r .mode)"
check_eq "benign device still enforces" enforce "$(dev_json "$BENIGN" | jq -r .mode)"
check "benign service works after the scan" service dev1
check_fails "scanner's own service is cut off" service dev2
# Quarantine keeps baseline traffic: the scanner still resolves its gateway.
in_ns dev2 ip neigh flush dev eth0
in_ns dev2 ping -c1 -W1 10.91.2.1 >/dev/null 2>&1
check "quarantined scanner still gets ARP answers" \
	sh -c "ip -n $(ns_name dev2) neigh show 10.91.2.1 | grep -q lladdr"
check "scanner's later probes meet quarantine" \
	test "$(dev_json "$SCANNER" | jq -r '.drop_reasons.quarantine // 0')" -gt 0

# Within the threshold: the datapath acted on the (T+1)th distinct flow.
NIF=$(dev_json "$SCANNER" | jq -r '.drop_reasons.not_in_fingerprint // 0')
echo "  ..   scanner: $NIF probe frames dropped as not_in_fingerprint before quarantine (threshold $T)"
check "no more than T+1 distinct probes (+ sketch collisions) before quarantine" \
	test "$NIF" -le $((T + 4))

kill "$EVPID" 2>/dev/null
wait "$EVPID" 2>/dev/null
check "events --follow ends cleanly on SIGTERM" test ! -s "$EV.err"
check "every line of events --json is one JSON object" \
	test "$(jq -c . "$EV" | wc -l)" -eq "$(wc -l <"$EV")" -a "$(jq -s 'all(type == "object")' "$EV")" = true

line_of() { # TYPE MAC: first line number
	jq -r --arg t "$1" --arg m "$2" 'select(.type == $t and .mac == $m) | input_line_number' "$EV" |
		head -1
}
SCAN_LINE=$(line_of SCAN "$SCANNER")
AQ_LINE=$(line_of AUTO_QUARANTINE "$SCANNER")
check "SCAN reported for the scanner" test -n "$SCAN_LINE"
check "AUTO_QUARANTINE reported for the scanner" test -n "$AQ_LINE"
check "SCAN comes before AUTO_QUARANTINE" test "${SCAN_LINE:-0}" -lt "${AQ_LINE:-0}"
check_eq "SCAN counts T+1 distinct flows" $((T + 1)) \
	"$(jq -r --arg m "$SCANNER" 'select(.type == "SCAN" and .mac == $m) | .distinct_flows' "$EV")"
check "SCAN names a telnet probe of the lab subnet" \
	jq -se --arg m "$SCANNER" 'map(select(.type == "SCAN" and .mac == $m)) | length == 1 and
		all(.flow.proto == "tcp" and (.flow.port == 23 or .flow.port == 2323) and
		    (.flow.peer | startswith("10.91.9.")) and .interface == "lan2")' "$EV"
check_eq "AUTO_QUARANTINE leaves the scanner in quarantine" quarantine \
	"$(jq -r --arg m "$SCANNER" 'select(.type == "AUTO_QUARANTINE" and .mac == $m) | .mode' "$EV")"
check_eq "nothing of the kind for the benign device" 0 \
	"$(jq -r --arg m "$BENIGN" 'select(.mac == $m and (.type == "SCAN" or
		.type == "AUTO_QUARANTINE" or .type == "VIOLATION")) | .type' "$EV" | wc -l)"
check "the scanner's probes were reported as VIOLATION" \
	jq -se --arg m "$SCANNER" 'any(.[]; .type == "VIOLATION" and .mac == $m)' "$EV"

it_done
