#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# peers.sh - set the peers iotfence is compared with on an interface in a
# network namespace, with their own tools, as an operator would:
#
#   peers.sh xdpf-load NS IF POLICY RULES   xdp-filter, rules from a file
#   peers.sh nft-load NS FILE               an nftables ruleset (nft -f)
#   peers.sh nft-unload NS TABLE            remove a netdev table
#
# RULES lines: "ether MAC src|dst", "port N src|dst tcp|udp", "ip ADDR src|dst".
#
# `ip netns exec` gives every call its own mount namespace, and xdp-filter
# keeps its state in bpffs: so loading, adding rules and reading the status
# back happen in one shell, on a bpffs mounted inside it. When that shell
# ends its bpffs goes, but the program stays attached with its maps, which
# is all a benchmark needs. Without freplace in the kernel, libxdp attaches
# xdp-filter as a single program, without its dispatcher.
set -euo pipefail

cmd=${1:-}
case "$cmd" in
xdpf-load)
	ns=$2 ifname=$3 policy=$4 rules=$5
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$ns" env IFB_IF="$ifname" IFB_POLICY="$policy" IFB_RULES="$rules" sh -c '
		set -e
		mount -t bpf bpf /sys/fs/bpf
		xdp-filter load -m native -p "$IFB_POLICY" -f ethernet,ipv4,tcp "$IFB_IF"
		while read -r kind a b c; do
			case "$kind" in
			ether) xdp-filter ether "$a" -m "$b" ;;
			port) xdp-filter port "$a" -m "$b" -p "$c" ;;
			ip) xdp-filter ip "$a" -m "$b" ;;
			"" | "#"*) ;;
			*) echo "peers.sh: bad rule: $kind" >&2; exit 1 ;;
			esac
		done <"$IFB_RULES"
		xdp-filter status
	'
	;;
nft-load)
	ip netns exec "$2" nft -f "$3"
	;;
nft-unload)
	ip netns exec "$2" nft delete table netdev "$3"
	;;
*)
	echo "usage: peers.sh xdpf-load|nft-load|nft-unload ..." >&2
	exit 2
	;;
esac
