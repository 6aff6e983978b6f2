#!/usr/bin/env bash
# Build the libFuzzer harnesses (build.sh) and run each for SECONDS (default
# 15) with ASan + UBSan, one at a time, from its seed corpus
# (tests/fuzz/corpus/NAME, read only; new inputs go to BUILDDIR). Prints
# "ok - fuzz_NAME: N execs, M exec/s" or "not ok - fuzz_NAME: ... <crash file>"
# per harness and ends with "N passed, N failed". A longer run (e.g.
# run.sh 600) is the soak. Environment: FUZZ_BUILD (default _build-fuzz),
# FUZZ_ONLY="csr config" to run some harnesses only.
# Usage: tests/fuzz/run.sh [SECONDS]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-15}
build=${FUZZ_BUILD:-$top/_build-fuzz}
passed=0
failed=0

mkdir -p "$build"
blog=$build/fuzz-build.log
if ! bash "$top/tests/fuzz/build.sh" "$build" >"$blog" 2>&1; then
	echo "not ok - fuzz build (log: $blog)"
	tail -n 20 "$blog" | sed 's/^/    /'
	echo "0 passed, 1 failed"
	exit 1
fi
out=$build/tests/fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp

names=${FUZZ_ONLY:-$(for f in "$top"/tests/fuzz/fuzz_*.c; do f=${f##*/fuzz_}; echo "${f%.c}"; done)}
for h in $names; do
	bin=$out/fuzz_$h
	seeds=$top/tests/fuzz/corpus/$h
	work=$out/corpus-$h
	log=$out/fuzz_$h.log
	mkdir -p "$work" "$out/crashes"
	args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384
		-print_final_stats=1 -close_fd_mask=2 -artifact_prefix="$out/crashes/$h-")
	[ -f "$top/tests/fuzz/$h.dict" ] && args+=(-dict="$top/tests/fuzz/$h.dict")
	[ -d "$seeds" ] || seeds=
	# -close_fd_mask=2: jpkid's log lines go to /dev/null; libFuzzer and
	# the sanitizers keep reporting on a dup of stderr.
	"$bin" "${args[@]}" "$work" ${seeds:+"$seeds"} >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ] && [ -z "$crash" ]; then
		echo "ok - fuzz_$h: ${execs} execs, ${rate} exec/s"
		passed=$((passed + 1))
	else
		echo "not ok - fuzz_$h: exit $rc, ${execs:-?} execs${crash:+, crash file $crash} (log: $log)"
		grep -m1 -E 'ERROR: |runtime error|SUMMARY' "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
