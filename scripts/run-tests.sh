#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Run the test suites: unit (Check, ASan/UBSan), datapath (Check +
# BPF_PROG_TEST_RUN) and integration (network namespaces). Needs root.
#   scripts/run-tests.sh [BUILD] [unit|bpf|fuzz|diff|lint|integration|all]
set -uo pipefail

BUILD=${1:-build}
WHICH=${2:-all}
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "run-tests.sh: the tests load BPF programs and make network namespaces: run as root" >&2
	exit 1
fi
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != "bpf_fs" ]; then
	mount -t bpf bpf /sys/fs/bpf
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Check's 4 s default is a speed test on a shared machine (a datapath case
# loads the XDP object, ~2 s of verifier alone): a deadline, generous.
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
export IFN_BIN="$PWD/$BUILD/iotfence"
# The real captures, in the repository (tests/captures), for every suite.
export IFN_PCAPS=${IFN_PCAPS:-$PWD/tests/captures}
export IFN_BUILD="$PWD/$BUILD"

failed=()
summary=()

run() { # name command...
	local name=$1 start rc
	shift
	echo "=== $name"
	start=$(date +%s)
	"$@"
	rc=$?
	summary+=("$(printf '%-28s %s (%ss)' "$name" "$([ $rc -eq 0 ] && echo passed || echo FAILED)" $(($(date +%s) - start)))")
	[ $rc -eq 0 ] || failed+=("$name")
}

# Suites that mostly wait (the demo's lab: a learning window, device cycles
# every 2 s, a few processes) start first and run beside the others, in
# their own namespaces and pin directories like every suite; their output is
# shown at the end of the integration suites. IFN_TEST_SERIAL=1 runs every
# suite in turn.
BESIDE=${IFN_TEST_BESIDE:-test_demo}
[ "${IFN_TEST_SERIAL:-0}" = 1 ] && BESIDE=""
beside=()
if [ "$WHICH" = all ] || [ "$WHICH" = integration ]; then
	tests/integration/reap-stale.sh
	for t in tests/integration/test_*.sh; do
		n=$(basename "$t" .sh)
		case " $BESIDE " in
		*" $n "*) ;;
		*) continue ;;
		esac
		out=$(mktemp "/tmp/ifn-beside-$n.XXXXXX")
		bash "$t" >"$out" 2>&1 &
		beside+=("integration/$n:$!:$out:$(date +%s)")
		echo "=== integration/$n: started, beside the other suites"
	done
fi
# Stopped with the run: a suite's own trap tears its lab down on TERM.
stop_beside() {
	local b n pid
	for b in "${beside[@]}"; do
		IFS=: read -r n pid _ <<<"$b"
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	wait
}
trap 'stop_beside; exit 130' INT TERM

# The unit and datapath suites each keep one CPU busy: with all suites,
# the unit suite runs beside the datapath one (its output shown after it,
# in one piece), unless IFN_TEST_SERIAL=1.
if [ "$WHICH" = all ] && [ "${IFN_TEST_SERIAL:-0}" != 1 ]; then
	unit_out=$(mktemp /tmp/ifn-unit.XXXXXX)
	unit_start=$(date +%s)
	"$BUILD/tests/unit_tests" >"$unit_out" 2>&1 &
	unit_pid=$!
	beside+=("unit:$unit_pid:$unit_out:$unit_start")
	run datapath "$BUILD/tests/bpf_tests"
	wait "$unit_pid"
	rc=$?
	unset 'beside[${#beside[@]}-1]'
	echo "=== unit (ran beside the datapath suite)"
	cat "$unit_out"
	summary=("$(printf '%-28s %s (%ss, beside)' unit "$([ $rc -eq 0 ] && echo passed || echo FAILED)" $(($(stat -c %Y "$unit_out") - unit_start)))" "${summary[@]}")
	rm -f "$unit_out"
	[ $rc -eq 0 ] || failed+=(unit)
else
	if [ "$WHICH" = all ] || [ "$WHICH" = unit ]; then
		run unit "$BUILD/tests/unit_tests"
	fi
	if [ "$WHICH" = all ] || [ "$WHICH" = bpf ]; then
		run datapath "$BUILD/tests/bpf_tests"
	fi
fi
# The policy parser and the snapshot reader under libFuzzer, ASan and UBSan.
if [ "$WHICH" = all ] || [ "$WHICH" = fuzz ]; then
	run fuzz tests/fuzz/run.sh "$BUILD" "${FUZZ_TIME:-10}"
fi
# The reference model against the real program (tests/diff; make diff-long
# for a million frames), and clang-tidy + cppcheck.
if [ "$WHICH" = all ] || [ "$WHICH" = diff ]; then
	run diff "$BUILD/tests/diff_driver" --frames "${DIFF_FRAMES:-100000}" --seed "${DIFF_SEED:-1}"
fi
# With all suites, static analysis (two CPU-minutes, nothing timed) runs
# beside the integration suites, which mostly wait, at the idle scheduling
# class: it takes only the CPU time no suite wants, so the suites' waits
# and rate checks see the machine as if it were not there.
if [ "$WHICH" = all ] && [ "${IFN_TEST_SERIAL:-0}" != 1 ]; then
	lint_out=$(mktemp /tmp/ifn-lint.XXXXXX)
	# Its own process group (setsid): stopping it stops its clang-tidy workers.
	setsid chrt --idle 0 scripts/lint.sh "$BUILD" >"$lint_out" 2>&1 &
	beside+=("lint:$!:$lint_out:$(date +%s)")
	echo "=== lint: started, beside the integration suites (idle scheduling class)"
elif [ "$WHICH" = all ] || [ "$WHICH" = lint ]; then
	run lint scripts/lint.sh "$BUILD"
fi
if [ "$WHICH" = all ] || [ "$WHICH" = integration ]; then
	for t in tests/integration/test_*.sh; do
		[ -e "$t" ] || continue
		n=$(basename "$t" .sh)
		case " $BESIDE " in
		*" $n "*) continue ;;
		esac
		run "integration/$n" bash "$t"
	done
fi
# What ran beside: its output in one piece, its result in the summary.
for b in "${beside[@]}"; do
	IFS=: read -r n pid out start <<<"$b"
	wait "$pid"
	rc=$?
	echo "=== $n (ran beside the other suites)"
	cat "$out"
	# Its time: until its last line of output (its summary).
	secs=$(($(stat -c %Y "$out") - start))
	rm -f "$out"
	summary+=("$(printf '%-28s %s (%ss, beside)' "$n" "$([ $rc -eq 0 ] && echo passed || echo FAILED)" "$secs")")
	[ $rc -eq 0 ] || failed+=("$n")
done
beside=()

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "all test suites passed"
