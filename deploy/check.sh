#!/usr/bin/env bash
# Build with -Werror and run every test suite against a throwaway PostgreSQL
# cluster. The last line is "N passed, N failed"; exit status is non-zero on
# any failure. Environment: JPKI_SKIP_ASAN=1 skips the sanitizer build
# (and the fuzzers), JPKI_SKIP_FUZZ=1 the fuzzers, JPKI_SKIP_DISTCHECK=1
# skips make distcheck.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. deploy/lib.sh

passed=0
failed=0
failures=""
last_count=$SECONDS
count() {	# count NAME PASSED FAILED (and the seconds since the previous count)
	passed=$((passed + $2))
	failed=$((failed + $3))
	[ "$3" -gt 0 ] && failures="$failures $1"
	printf '%-28s %4d passed, %d failed  (%ds)\n' "$1:" "$2" "$3" $((SECONDS - last_count))
	last_count=$SECONDS
}
finish() {
	echo
	[ -n "$failures" ] && echo "failed suites:$failures"
	disk_report
	echo "check.sh took $((SECONDS / 60)) min $((SECONDS % 60)) s"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

# The least free space seen on /tmp (the suites' clusters and jpkids) and on
# the checkout (the builds), sampled every 2 s: a suite that fails on a nearly
# full disk says so (some machines have had a few hundred MB free).
disk_min=$(mktemp /tmp/jpkid-check-disk.XXXXXX)
(
	lo_tmp="" lo_top=""
	while :; do
		read -r a b < <(df -Pm /tmp "$top" 2>/dev/null | awk 'NR > 1 { printf "%s ", $4 } END { print "" }')
		[ -n "${a:-}" ] && { [ -z "$lo_tmp" ] || [ "$a" -lt "$lo_tmp" ]; } && lo_tmp=$a
		[ -n "${b:-}" ] && { [ -z "$lo_top" ] || [ "$b" -lt "$lo_top" ]; } && lo_top=$b
		echo "$lo_tmp $lo_top" > "$disk_min"
		sleep 2
	done
) > /dev/null 2>&1 &
disk_sampler=$!
disk_report() {
	local a b
	kill "$disk_sampler" 2>/dev/null
	read -r a b < <(tail -n1 "$disk_min" 2>/dev/null)
	[ -n "${a:-}" ] && echo "least free disk during the run: ${a} MB in /tmp, ${b:-?} MB at the checkout"
	rm -f "$disk_min"
}
jpki_install_packages || { count packages 0 1; finish; }
jpki_install_packages "$JPKI_BROWSER_PACKAGES" || { count browser-packages 0 1; finish; }

work=$(mktemp -d /tmp/jpkid-check.XXXXXX)
chmod 0755 "$work"
pgdir=$work/pg
cleanup() {
	kill "$disk_sampler" 2>/dev/null
	rm -f "$disk_min"
	jpki_pg_stop "$pgdir"
	rm -rf "$work"
}
trap cleanup EXIT

build=$top/_build-check
# One pool of holder keys (R22: a new key per certificate) for the plain and
# the sanitizer API suites: each key is made once per check, not once per build.
export JPKI_KEYPOOL=$build/tests/keypool
if jpki_build "$top" "$build" --enable-test-clock CFLAGS="-O2 -g -Werror"; then
	count build 1 0
else
	count build 0 1
	finish
fi

jpki_pg_init "$pgdir" && jpki_pg_start "$pgdir" || { count postgresql 0 1; finish; }
export JPKID_TEST_DB="host=$pgdir port=$(cat "$pgdir/port") user=postgres dbname=postgres"

# Unit suites (Check): count individual checks from each suite's summary line
# "NN%: Checks: C, Failures: F, Errors: E".
unit_suites() {	# NAME BUILDDIR
	local name=$1 dir=$2 p=0 f=0 log c fl er rc
	# each DB suite makes its own database, so they run in parallel
	make -C "$dir" -s -j"$(nproc)" check > "$work/$name.make" 2>&1
	rc=$?
	for log in "$dir"/tests/unit/*.log; do
		[ -f "$log" ] || continue
		if grep -q '^SKIP' "${log%.log}.trs" 2>/dev/null ||
		   grep -q ':test-result: SKIP' "${log%.log}.trs" 2>/dev/null; then
			echo "  skipped: $(basename "$log" .log)"
			f=$((f + 1))	# a skipped suite in check.sh is a failure: tools must be there
			continue
		fi
		read -r c fl er < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log" | tail -n1)
		if [ -z "${c:-}" ]; then
			echo "  no summary (crashed?): $log"; sed 's/^/    /' "$log" | tail -n 20
			f=$((f + 1))
			continue
		fi
		p=$((p + c - fl - er))
		f=$((f + fl + er))
		[ $((fl + er)) -gt 0 ] && grep -E ':(F|E):' "$log" | sed 's/^/    /'
		c=
	done
	# A suite that does not build runs nothing and leaves no log: make's
	# failure is a failure of its own.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  make check failed (exit $rc) with no failed suite:"
		grep -E 'error|Error' "$work/$name.make" | head -n 10 | sed 's/^/    /'
		f=1
	fi
	count "$name" "$p" "$f"
}
unit_suites "unit" "$build"

# Script suites print "ok - ..." / "not ok - ..." and end with "N passed, N failed".
script_suite() {	# NAME COMMAND...
	local name=$1
	shift
	"$@" > "$work/$name.out" 2>&1
	script_suite_from "$name" "$work/$name.out"
}
script_suite_from() {	# NAME OUTPUT-FILE: count a finished suite's output
	local name=$1 out=$2 p f
	read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n1)
	if [ -z "${p:-}" ]; then
		echo "  $name printed no summary:"; tail -n 30 "$out" | sed 's/^/    /'
		count "$name" 0 1
		return
	fi
	# Each failure with the "# ..." diagnostics its suite printed right after it (at most 4).
	awk '/^not ok/ { print; n = 4; next } n > 0 && /^#/ { print; n--; next } { n = 0 }' "$out" |
		cut -c1-400 | sed 's/^/    /'
	[ "$f" -gt 0 ] && { echo "  log: $out (last lines)"; tail -n 25 "$out" | sed 's/^/    /'; cp "$out" "$top/_build-check/$name.out" 2>/dev/null; }
	count "$name" "$p" "$f"
}
# Two lanes on the machine's cores: the sanitizer build and its suites, the
# fuzzers and the Debian package (lane B, in the background) beside the
# plain suites (lane A). Much of a suite's time is waiting (TLS round trips,
# PostgreSQL commits, timeouts), so the lanes fill each other's idle core.
# Lane B's suites take other ports (JPKI_TEST_PORT_BASE) and count into a
# file that is added up at the end; its log is printed then.
lane_b() {
	count() {	# as count, into the lane's file
		printf '%s %s %s %s\n' "$1" "$2" "$3" $((SECONDS - last_count)) >> "$work/lane-b.counts"
		last_count=$SECONDS
	}
	export JPKI_TEST_PORT_BASE=56443	# above the random ranges of the browser and quickstart suites
	if [ "${JPKI_SKIP_ASAN:-0}" != 1 ]; then
		asan=$top/_build-asan
		if jpki_build "$top" "$asan" --enable-test-clock --enable-sanitizers CFLAGS="-O1 -g -Werror"; then
			# libp11/SoftHSM keep global state until exit; their leaks are not ours.
			ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
				unit_suites "unit-asan" "$asan"
			JPKI_ASAN=1 ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
				script_suite api-asan bash tests/api/run.sh "$asan"
			# ---- e2e ----
			ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
				script_suite e2e-asan bash tests/e2e/counter.sh "$asan"
			# ---- end e2e ----
		else
			count asan-build 0 1
		fi
		# ---- fuzz ----
		# libFuzzer harnesses, 15 s each (tests/fuzz/README.md); JPKI_SKIP_FUZZ=1 skips.
		[ "${JPKI_SKIP_FUZZ:-0}" != 1 ] && script_suite fuzz bash tests/fuzz/run.sh 15
		# ---- end fuzz ----
	fi
	script_suite deb bash tests/deb/check.sh "$build"
}
lane_b_count() {	# wait for lane B, print its log, add its counts
	local name p f secs
	wait "$lane_b_pid"
	echo "---- lane B (sanitizers, fuzzers, package) ----"
	cat "$work/lane-b.log"
	while read -r name p f secs; do
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -gt 0 ] && failures="$failures $name"
		printf '%-28s %4d passed, %d failed  (%ds)\n' "$name:" "$p" "$f" "$secs"
	done < "$work/lane-b.counts"
	echo "---- end of lane B ----"
}
: > "$work/lane-b.counts"
lane_b > "$work/lane-b.log" 2>&1 &
lane_b_pid=$!
# ... and stopped with the rest if check.sh is.
trap 'kill $lane_b_pid 2>/dev/null; cleanup' EXIT

script_suite interop-devca bash tests/interop/devca.sh "$build/jpkictl"
script_suite systemd-units bash tests/interop/units.sh
script_suite docs bash tests/docs/check.sh
script_suite man bash tests/man/check.sh "$build"
script_suite demo-data bash tests/demo/check_demo.sh "$build"
script_suite quickstart bash tests/demo/quickstart.sh "$build"
script_suite demo-flows bash tests/demo/demo_flows.sh "$build"
script_suite api bash tests/api/run.sh "$build"
# ---- e2e ----
script_suite e2e bash tests/e2e/counter.sh "$build"
script_suite e2e-terminal bash tests/e2e/terminal.sh "$build"
# ---- end e2e ----
# ---- fault ----
script_suite fault bash tests/fault/run.sh "$build"
# ---- end fault ----

# The console in headless Chromium (tests/browser). It mostly waits (TOTP
# steps, the overview's 10 s refresh), so it runs beside distcheck and
# lane B and is counted at the end. Screenshots: _build-check/browser/screens/.
bash tests/browser/run.sh "$build" "$build/browser" > "$work/browser.out" 2>&1 &
browser_pid=$!

if [ "${JPKI_SKIP_DISTCHECK:-0}" != 1 ]; then
	# The tarball builds, installs and passes its unit suites without a
	# database (the database suites ran above; at -O0 beside lane B they
	# could pass Check's 4 s per-test timeout): a packaging check.
	if env -u JPKID_TEST_DB CK_TIMEOUT_MULTIPLIER=4 make -C "$build" -s distcheck \
		DISTCHECK_CONFIGURE_FLAGS="CFLAGS=-O0" >"$work/distcheck.out" 2>&1; then
		count distcheck 1 0
	else
		grep -E '^(FAIL|ERROR):' "$work/distcheck.out" | sed 's/^/    /'
		tail -n 30 "$work/distcheck.out" | sed 's/^/    /'
		count distcheck 0 1
	fi
fi
wait "$browser_pid"
script_suite_from browser "$work/browser.out"
lane_b_count
finish
