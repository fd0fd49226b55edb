#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Run the libFuzzer harnesses briefly (CI) or longer (by hand):
#   tests/fuzz/run.sh BUILD [SECONDS-EACH]
# Seeds and dictionaries are in tests/fuzz/; what a run finds new goes to
# BUILD/fuzz/corpus-*, crashes to BUILD/fuzz/ (never into the tree).
set -uo pipefail
BUILD=${1:-build}
SECS=${2:-10}
cd "$(dirname "$0")/../.."
# libFuzzer's own leak check covers each input; ASan's at exit would count
# libFuzzer's allocations too.
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The harnesses run at once (each is one process; they take the machine's
# CPUs for SECS, not three times SECS); their reports print in order.
fuzz_one() { # HARNESS -> its report line(s); exit status: found something
	local h=$1 bin=$BUILD/fuzz/fuzz_$1 out=$BUILD/fuzz/corpus-$1 log=$BUILD/fuzz/fuzz_$1.log r runs cov
	if [ ! -x "$bin" ]; then
		echo "fuzz_$h: $bin missing (make BUILD=$BUILD tools)"
		return 1
	fi
	mkdir -p "$out"
	"$bin" "$out" "tests/fuzz/corpus/$h" -dict="tests/fuzz/$h.dict" \
		-max_total_time="$SECS" -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$BUILD/fuzz/" -print_final_stats=1 >"$log" 2>&1
	r=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ $r -eq 0 ]; then
		echo "fuzz_$h: ${runs:-?} inputs in ${SECS}s, ${cov:-cov: ?}, corpus $(ls "$out" | wc -l): no crash, leak or undefined behaviour"
		return 0
	fi
	echo "fuzz_$h: FAILED (exit $r); the input is in $BUILD/fuzz/, the log in $log:"
	grep -E 'ERROR|SUMMARY|written|abort|runtime error' "$log" | head -10
	return 1
}

REPORTS=$(mktemp -d)
trap 'rm -rf "$REPORTS"' EXIT
pids=()
for h in policy snapshot mud; do
	fuzz_one "$h" >"$REPORTS/$h" 2>&1 &
	pids+=("$h:$!")
done
rc=0
for p in "${pids[@]}"; do
	wait "${p#*:}" || rc=1
	cat "$REPORTS/${p%%:*}"
done
exit $rc
