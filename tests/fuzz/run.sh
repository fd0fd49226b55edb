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

rc=0
for h in policy snapshot mud; do
	bin=$BUILD/fuzz/fuzz_$h
	out=$BUILD/fuzz/corpus-$h
	log=$BUILD/fuzz/fuzz_$h.log
	if [ ! -x "$bin" ]; then
		echo "fuzz_$h: $bin missing (make BUILD=$BUILD tools)" >&2
		rc=1
		continue
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
	else
		echo "fuzz_$h: FAILED (exit $r); the input is in $BUILD/fuzz/, the log in $log:"
		grep -E 'ERROR|SUMMARY|written|abort|runtime error' "$log" | head -10
		rc=1
	fi
done
exit $rc
