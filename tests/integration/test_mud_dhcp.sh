#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# MUD URLs from DHCP (iotfence.8, MUD): the daemon reads option 161
# (DHCPv4) and 112 (DHCPv6) from a device's request on an attached
# interface, records MAC -> URL in the state directory, reports a MUD_URL
# event line, shows it in `devices` and `device` (text and JSON), and
# applies the profile mud-dir holds for the URL; a URL without a profile
# changes nothing but the record. A reload loads the site policy and the
# profiles at once (make before break).
. "$(dirname "$0")/lib.sh"
it_init mud-dhcp
it_lab 2

D=$IOTFENCE_STATE_DIR
CONF=$D/iotfence.conf
SRV=$IT_SRV
GWNS=/run/netns/$(ns_name gw)
SEND=${IFN_BUILD:-$(dirname "$IFN")}/tests/dhcp_mud
DPID=""
mac1=$(mac_of dev1 eth0)
mac2=$(mac_of dev2 eth0)
URL1=https://lighting.example.com/lightbulb2000
URL2=https://sensors.example.com/v2/probe.json
[ -x "$SEND" ] || { echo "missing $SEND: make tools" >&2; exit 1; }

mkdir -p "$D/mud"
# The profile for URL1, where mud-dir's naming puts it.
cat >"$D/mud/lighting.example.com_lightbulb2000.json" <<EOM
{ "ietf-mud:mud": { "mud-version": 1, "mud-url": "$URL1",
    "last-update": "2026-01-01T00:00:00Z", "cache-validity": 48, "is-supported": true,
    "from-device-policy": { "access-lists": { "access-list": [ { "name": "fr" } ] } } },
  "ietf-access-control-list:acls": { "acl": [ { "name": "fr", "type": "ipv4-acl-type",
    "aces": { "ace": [ { "name": "ping-srv", "matches": {
      "ipv4": { "protocol": 1, "destination-ipv4-network": "$SRV/32" }, "icmp": { "type": 8 } },
      "actions": { "forwarding": "accept" } } ] } } ] } }
EOM
# A site policy that names neither device: loaded alone on a reload, it
# would take the profiles' rules away until they were applied again.
printf 'set event-limit 8\n' >"$D/site.pol"
printf 'interface lan1 new-devices enforce\ninterface lan2 new-devices enforce\nmud-dir %s\npolicy %s\nsyslog off\nmetrics-interval 0\n' \
	"$D/mud" "$D/site.pol" >"$CONF"

nsenter --net="$GWNS" "$IFN" run --config "$CONF" >"$D/out" 2>"$D/err" &
DPID=$!
IT_PIDS+=($DPID)
it_wait 10 grep -q "running:" "$D/err"
check "the daemon runs" kill -0 "$DPID"

# A device that sends nothing is not known yet: a frame makes it one.
in_ns dev1 ping -c1 -W1 "$SRV" >/dev/null
in_ns dev2 ping -c1 -W1 "$SRV" >/dev/null
check_fails "dev1 enforces with an empty fingerprint: its echo is dropped" \
	in_ns dev1 ping -c1 -W1 "$SRV"

check "dev1 sends a DHCPDISCOVER with option 161" in_ns dev1 "$SEND" eth0 "$URL1"
it_wait 5 grep -q "applied the MUD profile" "$D/err"
check "the MUD_URL event line" sh -c "grep '\"type\":\"MUD_URL\"' '$D/out' |
	jq -e --arg m '$mac1' --arg u '$URL1' 'select(.mac == \$m) | .url == \$u and .interface == \"lan1\"'"
check "the record in the state directory" grep -qxF "$mac1 $URL1" "$D/mud-urls"
check "the profile was applied" grep -q "applied the MUD profile $D/mud/lighting.example.com_lightbulb2000.json to $mac1" "$D/err"
check "dev1: the profile's echo passes" in_ns dev1 ping -c1 -W1 "$SRV"
check_fails "dev1: what the profile does not allow is dropped" in_ns dev1 ping -c1 -W1 10.91.1.1
check "devices --json shows the URL" sh -c \
	"'$IFN' devices --json | jq -e --arg m '$mac1' --arg u '$URL1' '.[] | select(.mac == \$m) | .mud_url == \$u'"
check "device --json shows the URL" sh -c \
	"'$IFN' device '$mac1' --json | jq -e --arg u '$URL1' '.mud_url == \$u'"
check "device shows the URL" sh -c "'$IFN' device '$mac1' | grep -qxF 'mud url    $URL1'"
check "devices lists the URL under the table" sh -c "'$IFN' devices | grep -qE '^$mac1 +$URL1\$'"
check "a device without a URL: null" sh -c \
	"'$IFN' devices --json | jq -e --arg m '$mac2' '.[] | select(.mac == \$m) | .mud_url == null'"

n=$(grep -c '"MUD_URL"' "$D/out")
check "the same URL again (a renewal) is no new event" in_ns dev1 "$SEND" eth0 "$URL1"
sleep 0.5
check_eq "one MUD_URL event" "$n" "$(grep -c '"MUD_URL"' "$D/out")"

check "dev2 sends a DHCPv6 Solicit with option 112" in_ns dev2 "$SEND" eth0 "$URL2" --v6
it_wait 5 grep -q "no MUD profile for $URL2" "$D/err"
check "dev2: the event and the record" sh -c "grep -q '\"url\":\"$URL2\"' '$D/out' &&
	grep -qxF '$mac2 $URL2' '$D/mud-urls'"
check "dev2: no profile, so no rule" sh -c "'$IFN' device '$mac2' --json | jq -e '.fingerprint | length == 0'"
check "dev2: the log says there is no profile" grep -q "no MUD profile for $URL2 ($mac2) in $D/mud" "$D/err"

check "a URL that is not https is ignored" in_ns dev2 "$SEND" eth0 "http://plain.example.com/x"
sleep 0.5
check_fails "... not recorded" grep -q plain.example.com "$D/mud-urls"

# A profile added to mud-dir takes effect with a reload.
sed "s|$URL1|$URL2|" "$D/mud/lighting.example.com_lightbulb2000.json" >"$D/mud/sensors.example.com_v2_probe.json"
check_fails "dev2: before the reload its echo is dropped" in_ns dev2 ping -c1 -W1 "$SRV"
added() { "$IFN" device "$mac1" --json | jq -c '[.fingerprint[] | {peer, port, origin, added}]'; }
before=$(added)
sleep 0.2
kill -HUP "$DPID"
it_wait 10 grep -q "applied the MUD profile $D/mud/sensors.example.com_v2_probe.json to $mac2" "$D/err"
check "SIGHUP: the new profile is applied to dev2" \
	grep -q "applied the MUD profile $D/mud/sensors.example.com_v2_probe.json to $mac2" "$D/err"
check "dev2: the profile's echo passes" in_ns dev2 ping -c1 -W1 "$SRV"
# Make before break: the reload loads the policy and the profiles at once.
# Loaded alone, the policy took dev1's profile rule away and the profile
# put it back after: a new rule, added at the reload.
check "SIGHUP: dev1 had its profile's rule" test "$before" != "[]"
check_eq "SIGHUP: dev1's profile rule was never removed (the same rule, added before)" \
	"$before" "$(added)"
check "dev1: the profile's echo still passes" in_ns dev1 ping -c1 -W1 "$SRV"

kill -TERM "$DPID"
for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "the daemon exits on SIGTERM" sh -c "! kill -0 $DPID 2>/dev/null"
it_done
