#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# cross-smoke.sh - is a cross build what it claims to be, and does it run?
#
#   scripts/cross-smoke.sh BUILD TRIPLET      (after make cross-arm64)
#
# The agent must be an ELF for TRIPLET's machine and the BPF object eBPF.
# Then the agent runs under qemu-user (scripts/deps.sh --cross installs it)
# the commands that need no kernel: help, version, and `policy check` of a
# good and a bad file; each must print exactly what the native build prints.
# qemu-user cannot pass bpf() through, so nothing here loads the program;
# on a real arm64 gateway `make test` runs everything natively.
set -uo pipefail
BUILD=${1:?usage: cross-smoke.sh BUILD TRIPLET}
TRIPLET=${2:?usage: cross-smoke.sh BUILD TRIPLET}
cd "$(dirname "$0")/.." || exit 1
NATIVE=${NATIVE_BIN:-build/iotfence}

fails=0
checks=0
check() {
	local desc=$1
	shift
	checks=$((checks + 1))
	if "$@" >/dev/null 2>&1; then
		echo "  ok   $desc"
	else
		echo "  FAIL $desc"
		fails=$((fails + 1))
	fi
}

case "$TRIPLET" in
aarch64-*) machine=AArch64 qemu=qemu-aarch64 ;;
*)
	echo "cross-smoke: no machine known for $TRIPLET" >&2
	exit 1
	;;
esac

check "$BUILD/iotfence is an ELF for $machine" \
	sh -c "readelf -h '$BUILD/iotfence' | grep -q 'Machine:.*$machine'"
check "$BUILD/iotfence.bpf.o is eBPF" \
	sh -c "readelf -h '$BUILD/iotfence.bpf.o' | grep -q 'Machine:.*Linux BPF'"

if ! command -v "$qemu" >/dev/null; then
	echo "cross-smoke: $qemu not found: run scripts/deps.sh --cross" >&2
	exit 1
fi
[ -x "$NATIVE" ] || { echo "cross-smoke: $NATIVE missing: make all first" >&2; exit 1; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/good.pol" <<'EOF'
set scan-threshold 24
new-devices learn learn-for 24h
device 24:0a:c4:12:34:56 front-camera
	mode enforce
	rate pps 200 bps 1M
	allow tcp/443 52.94.0.0/16
	allow udp/123 any
	allow tcp/554 192.168.1.0/24 server
quarantine 02:42:ac:14:00:05
EOF
printf 'device 24:0a:c4:12:34:5\n\tallow tcp/99999 any\n' >"$T/bad.pol"

# same DESC ARGS...: the arm64 agent under qemu prints what the native one
# prints, on both streams, with the same exit status.
same() {
	local desc=$1
	shift
	"$NATIVE" "$@" >"$T/n.out" 2>"$T/n.err"
	echo "exit $?" >>"$T/n.out"
	"$qemu" "$BUILD/iotfence" "$@" >"$T/c.out" 2>"$T/c.err"
	echo "exit $?" >>"$T/c.out"
	check "$desc" sh -c "cmp -s '$T/n.out' '$T/c.out' && cmp -s '$T/n.err' '$T/c.err'"
}
same "help" help
same "version" version
same "policy check: a good file" policy check "$T/good.pol"
same "policy check: a bad file (errors name FILE:LINE)" policy check "$T/bad.pol"
check "...it did run: its first error names the line" grep -q "bad.pol:1: " "$T/c.err"
same "replay -h" replay -h
same "an unknown command" frobnicate

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
