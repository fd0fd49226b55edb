#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# cloud.sh - the lab's "Internet" services, run inside the cloud namespace by
# scripts/lab.sh: tiny echo servers (socat) for HTTP 80, HTTPS 443, MQTT 1883
# and MQTT over TLS 8883 on every cloud address, and for NTP 123 and the
# camera's P2P relays (UDP 32100) on their own addresses; a real DNS server
# (dnsmasq, from the distribution) on $DNS_ADDR that answers the devices'
# names. ICMP echo is answered by the kernel.
#
#   cloud.sh TTL_SECONDS LOG_DIR DNS_DIR
#
# DNS_DIR holds dnsmasq's own files, nothing of the system's: its
# configuration, pid file, lease file (unused: no DHCP), log of the queries,
# and the hosts file it answers from (lab.sh writes it, and rewrites it to
# move a name: dnsmasq reads it again on SIGHUP). dnsmasq runs in the
# foreground as this script's child, not as a service.
#
# The servers echo what they receive: the lab checks that a device's
# exchange went through, not the application protocol (the XDP datapath
# looks at headers only). Every server lives at most TTL seconds; SIGTERM
# stops them all. Each connection or datagram is served by a child with an
# idle timeout of a few seconds, so nothing lingers.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: cloud.sh TTL LOG_DIR DNS_DIR" >&2
	exit 2
fi
TTL=$1
LOGS=$2
DNS_DIR=$3

# shellcheck source=scripts/lab/addrs.sh disable=SC1091
. "$(dirname "$0")/addrs.sh"

PIDS=()
stop() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	exit 0
}
trap stop TERM INT

for port in "${CLOUD_TCP_PORTS[@]}"; do
	timeout "$TTL" socat -T3 "TCP4-LISTEN:$port,fork,reuseaddr,backlog=128" PIPE \
		2>>"$LOGS/cloud-tcp-$port.log" &
	PIDS+=($!)
done
for svc in "${CLOUD_UDP_SERVICES[@]}"; do
	addr=${svc%:*}
	port=${svc##*:}
	timeout "$TTL" socat -T1 "UDP4-RECVFROM:$port,bind=$addr,fork" PIPE \
		2>>"$LOGS/cloud-udp-$addr-$port.log" &
	PIDS+=($!)
done

# Authoritative for the lab's names only: no upstream servers, no
# /etc/hosts, no /etc/resolv.conf, no system configuration file. The hosts
# file gives TTL 0 unless --local-ttl says otherwise (addrs.sh, DNS_TTL).
cat >"$DNS_DIR/dnsmasq.conf" <<EOF
no-resolv
no-hosts
no-poll
addn-hosts=$DNS_DIR/hosts
listen-address=$DNS_ADDR
bind-interfaces
local-ttl=$DNS_TTL
pid-file=$DNS_DIR/dnsmasq.pid
dhcp-leasefile=$DNS_DIR/leases
log-facility=$DNS_DIR/queries.log
log-queries
EOF
timeout "$TTL" dnsmasq --keep-in-foreground --conf-file="$DNS_DIR/dnsmasq.conf" \
	2>>"$LOGS/cloud-dns.log" &
PIDS+=($!)

# Wait for all: if one server dies, the others keep serving.
wait
