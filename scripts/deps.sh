#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Install everything that building, testing, the demo and the benchmarks need,
# from the distribution's archive. Idempotent: when everything is there it
# only checks, and changes nothing.
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev libpcap-dev
	# tests (Check, sanitizers and libFuzzer runtimes, static analysis)
	check libclang-rt-14-dev valgrind cppcheck clang-tidy clang-format
	# network tests, lab and demo
	iproute2 iputils-ping netcat-openbsd socat tcpdump tshark jq procps util-linux
	# CLI tests: capsh (dropping capabilities), man (rendering iotfence.8)
	libcap2-bin man-db
	# vendor names
	ieee-data
	# benchmark peers
	xdp-tools nftables linux-perf
)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it installs packages with apt-get)" >&2
	exit 1
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
