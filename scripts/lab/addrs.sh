# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# addrs.sh - the lab's addresses, sourced by lab.sh, device.sh, cloud.sh and
# mirai.sh. Every address is inside the lab: the LAN is a private /24 behind
# the gateway, and "the cloud" is 198.18.0.0/15 (RFC 2544 benchmarking
# space, never routed on the Internet), owned by the cloud namespace. No
# namespace of the lab has a default route.

# shellcheck disable=SC2034 # the variables are used by the scripts that source this file

LAN_PREFIX=192.168.77
LAN_GW=$LAN_PREFIX.1
LAN_LEN=24

# Gateway <-> cloud link.
WAN_GW=198.18.0.1
WAN_CLOUD=198.18.0.2
WAN_LEN=30
CLOUD_NET=198.18.0.0/15

# Service addresses, all on the cloud namespace's loopback.
CAM_API=198.18.10.1 # camera vendor cloud (TLS 443)
CAM_P2P1=198.18.10.2 # camera P2P relays (UDP 32100)
CAM_P2P2=198.18.10.3
CAM_P2P3=198.18.10.4
PUB_RES1=198.18.10.8 # "public resolvers" the camera pings
PUB_RES2=198.18.10.9
PLUG_API1=198.18.20.1 # plug vendor cloud (TLS 443, HTTP 80)
PLUG_API2=198.18.20.2
THERMO_MQTT=198.18.30.1 # thermostat MQTT over TLS (8883)
THERMO_API=198.18.30.2 # thermostat HTTPS (443)
HUB_API1=198.18.40.1 # hub HTTP 80, MQTT 1883
HUB_API2=198.18.40.2 # hub TLS 443
HUB_API3=198.18.40.3
DNS_ADDR=198.18.53.53 # DNS (UDP 53)
NTP_ADDR=198.18.123.1 # NTP (UDP 123)
FLOOD_VICTIM=198.18.66.6 # the target of the bot's flood (mirai.sh)
# Where the thermostat's MQTT endpoint moves (`lab.sh dns NAME ADDR`, the
# demo): a rotating cloud address, as AWS IoT and CDN endpoints do.
THERMO_MQTT_NEXT=198.18.31.1
CLOUD_ADDRS=(
	"$CAM_API" "$CAM_P2P1" "$CAM_P2P2" "$CAM_P2P3" "$PUB_RES1" "$PUB_RES2"
	"$PLUG_API1" "$PLUG_API2" "$THERMO_MQTT" "$THERMO_API"
	"$HUB_API1" "$HUB_API2" "$HUB_API3" "$DNS_ADDR" "$NTP_ADDR" "$FLOOD_VICTIM"
	"$THERMO_MQTT_NEXT"
)

# The names the lab's DNS server (dnsmasq on $DNS_ADDR, scripts/lab/cloud.sh)
# answers, and their first addresses. Devices resolve a name before each
# connection, as real ones do, so that a name moved to another address
# (`lab.sh dns`) is followed at once. .example (RFC 2606) is never delegated:
# the names mean nothing outside the lab.
CAM_API_NAME=api.cam-cloud.example
PLUG_API1_NAME=iot.plug-cloud.example
PLUG_API2_NAME=ota.plug-cloud.example
THERMO_MQTT_NAME=a3k7-ats.iot.eu-west-1.thermo-cloud.example
THERMO_API_NAME=api.thermo-cloud.example
HUB_API1_NAME=mq.hub-cloud.example
HUB_API2_NAME=api.hub-cloud.example
HUB_API3_NAME=fw.hub-cloud.example
NTP_NAME=pool.ntp.example
CLOUD_NAMES=(
	"$CAM_API_NAME $CAM_API"
	"$PLUG_API1_NAME $PLUG_API1" "$PLUG_API2_NAME $PLUG_API2"
	"$THERMO_MQTT_NAME $THERMO_MQTT" "$THERMO_API_NAME $THERMO_API"
	"$HUB_API1_NAME $HUB_API1" "$HUB_API2_NAME $HUB_API2" "$HUB_API3_NAME $HUB_API3"
	"$NTP_NAME $NTP_ADDR"
)
# The TTL of its answers: a minute, as cloud endpoints behind rotating
# addresses give (AWS IoT, CDNs). Without --local-ttl dnsmasq answers from
# its hosts file with TTL 0; either way iotfence keeps an answer at least
# dns-min-ttl.
DNS_TTL=60
# Every TCP service of the cloud answers on every cloud address.
CLOUD_TCP_PORTS=(80 443 1883 8883)
# UDP services answer on their own addresses (a UDP answer must come from
# the address that was asked). DNS is dnsmasq's (cloud.sh).
CLOUD_UDP_SERVICES=(
	"$NTP_ADDR:123"
	"$CAM_P2P1:32100" "$CAM_P2P2:32100" "$CAM_P2P3:32100"
)

# Multicast groups the devices announce themselves to (LAN only).
SSDP_GROUP=239.255.255.250
MDNS_GROUP=224.0.0.251
PLUG_GROUP=239.255.0.100

# Device kinds and the OUIs of the captured devices their profiles come
# from (scripts/lab/device.sh), so that the inventory shows those vendors.
# The lab numbers its devices in order: device i (from 0) gets the address
# $LAN_PREFIX.(10+i) and the MAC OUI:1a:b0:(10+i), the same digits.
declare -A KIND_OUI=(
	[camera]=b0:d5:9d # Shenzhen Zowee (Yi cameras)
	[plug]=f4:21:ae # Shanghai Xiaodu
	[thermostat]=00:1a:22 # eQ-3 (MAX! heating)
	[hub]=1c:5f:2b # D-Link
)
LAB_KINDS=(camera plug thermostat hub)
LAB_DEVICES_DEFAULT="camera plug thermostat hub"
LAB_MAX_DEVICES=40

# The kind of a device name: the name without trailing digits (camera2).
lab_kind() {
	local k=${1%%[0-9]*}
	[ -n "${KIND_OUI[$k]+x}" ] || return 1
	echo "$k"
}
lab_dev_ip() { echo "$LAN_PREFIX.$((10 + $1))"; }
lab_dev_mac() { printf '%s:1a:b0:%02d\n' "${KIND_OUI[$2]}" $((10 + $1)); }
