#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Install everything that building, testing, the demo and the benchmarks need,
# from the distribution's archive. Idempotent: when everything is there it
# only checks, and changes nothing.
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev libpcap-dev
	# MUD files (iotfence mud import|export)
	libjansson-dev
	# tests (Check, sanitizers and libFuzzer runtimes, static analysis)
	check libclang-rt-14-dev valgrind cppcheck clang-tidy clang-format
	# network tests, lab and demo
	iproute2 iputils-ping netcat-openbsd socat tcpdump tshark jq procps util-linux
	# the lab's DNS server (the dnsmasq binary only: no system service) and its client
	dnsmasq-base bind9-dnsutils
	# CLI tests: capsh (dropping capabilities), man (rendering iotfence.8)
	libcap2-bin man-db
	# vendor names
	ieee-data
	# benchmark peers
	xdp-tools nftables linux-perf
)

# Extras: --cross, the arm64 cross build and its smoke test under qemu-user
# (make cross-arm64); --fresh-check, debootstrap (make fresh-check).
CROSS_ARCH=arm64
CROSS_PKGS=(gcc-aarch64-linux-gnu "libc6-dev:$CROSS_ARCH" "linux-libc-dev:$CROSS_ARCH"
	"libbpf-dev:$CROSS_ARCH" "libelf-dev:$CROSS_ARCH" "zlib1g-dev:$CROSS_ARCH"
	"libpcap-dev:$CROSS_ARCH" "libjansson-dev:$CROSS_ARCH" qemu-user binutils)
cross=0
for a in "$@"; do
	case "$a" in
	--cross) cross=1 PKGS+=("${CROSS_PKGS[@]}") ;;
	--fresh-check) PKGS+=(debootstrap git) ;;
	-h | --help)
		echo "usage: scripts/deps.sh [--cross] [--fresh-check]"
		exit 0
		;;
	*)
		echo "deps.sh: unknown option '$a' (see scripts/deps.sh --help)" >&2
		exit 2
		;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it installs packages with apt-get)" >&2
	exit 1
fi

# The :arm64 packages exist for apt only once dpkg knows the architecture.
if [ $cross -eq 1 ] && ! dpkg --print-foreign-architectures | grep -qx "$CROSS_ARCH"; then
	dpkg --add-architecture "$CROSS_ARCH"
fi

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture: keep the safe default.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# BPF programs and maps are pinned on a bpffs.
if ! mountpoint -q /sys/fs/bpf || [ "$(stat -f -c %T /sys/fs/bpf)" != "bpf_fs" ]; then
	mount -t bpf bpf /sys/fs/bpf
fi
echo "deps.sh: all dependencies present"
