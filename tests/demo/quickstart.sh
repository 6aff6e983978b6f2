#!/usr/bin/env bash
# deploy/quickstart.sh as a newcomer runs it, on a built tree: ports given by
# JPKI_API_PORT, JPKI_STATUS_PORT, JPKI_CONSOLE_PORT and JPKI_PG_PORT, the
# output piped through tee, jpkid connected as the PostgreSQL role jpkid, and
# a Ctrl-C (SIGINT to the whole process group, as a terminal sends it, so tee
# dies too) that stops jpkid and the cluster and frees the ports. Then a run
# stopped by kill -TERM of the script, and given ports that are busy, refused
# with the variable's name.
#
# usage: tests/demo/quickstart.sh BUILDDIR      (BUILDDIR holds jpkid, jpkictl; run as root)
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
# shellcheck disable=SC2016,SC2034  # conditions are eval'd strings
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: quickstart.sh BUILDDIR}" && pwd)

work=$(mktemp -d /tmp/jpkid-qs.XXXXXX)
chmod 0755 "$work"
var=$work/var
passed=0
failed=0
qs_pgid=
blocker=

cleanup() {
	[ -n "$qs_pgid" ] && kill -KILL -- "-$qs_pgid" 2>/dev/null
	[ -n "$blocker" ] && kill -KILL "$blocker" 2>/dev/null
	jpki_pg_stop "$var/pg"
	if [ "$failed" -gt 0 ]; then
		echo "# quickstart output (last 30 lines):"
		tail -n 30 "$work/qs.log" 2>/dev/null | sed 's/^/# /'
	fi
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1${2:+: $2}"; failed=$((failed + 1)); }
expect() {	# expect NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}
# within SECONDS COMMAND...: the command succeeds within SECONDS.
within() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Four free ports away from the defaults (and from other runs).
base=$((30000 + RANDOM % 20000))
api=$(jpki_free_port "$base")
st=$(jpki_free_port $((api + 1)))
con=$(jpki_free_port $((st + 1)))
pgp=$(jpki_free_port $((con + 1)))
qs_env=(JPKI_BUILD="$build" JPKI_VAR="$var" JPKI_API_PORT="$api" JPKI_STATUS_PORT="$st"
	JPKI_CONSOLE_PORT="$con" JPKI_PG_PORT="$pgp")

# start_piped: quickstart | tee in a process group of its own (a terminal's
# foreground job); sets qs_pgid (= the script's pid, the job's first process).
start_piped() {
	set -m
	env "${qs_env[@]}" "$top/deploy/quickstart.sh" 2>&1 | tee "$work/qs.log" >/dev/null &
	set +m
	qs_pgid=$(jobs -p %+)
}
jpkid_running() { pgrep -f -- "-c $var/jpkid.conf" >/dev/null; }
pg_running() { [ -e "$var/pg/data/postmaster.pid" ] || pgrep -f -- "-D $var/pg/data" >/dev/null; }
all_stopped() {
	! jpkid_running && ! pg_running && ! jpki_port_busy "$api" && ! jpki_port_busy "$st" &&
	    ! jpki_port_busy "$con" && ! jpki_port_busy "$pgp" && ! kill -0 "$qs_pgid" 2>/dev/null
}
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$st/readyz")" = 200 ]; }

# ---------------------------------------------------------------- piped run, Ctrl-C
start_piped
within 100 grep -q 'jpkid is starting' "$work/qs.log"
expect test_quickstart_prints_the_given_ports eval 'grep -qF "https://127.0.0.1:$api/v1/" "$work/qs.log" &&
    grep -qF "http://127.0.0.1:$st/readyz" "$work/qs.log" &&
    grep -qF "https://127.0.0.1:$con/dashboard/" "$work/qs.log" &&
    grep -qF -- "-p $pgp -U postgres jpkid" "$work/qs.log"'
expect test_quickstart_jpkid_ready_on_the_given_status_port within 30 ready
expect test_quickstart_healthz_on_the_given_status_port eval '[ "$(curl -s -o "$work/hz" -w "%{http_code}" "http://127.0.0.1:$st/healthz")" = 200 ] &&
    grep -q "\"status\": *\"ok\"" "$work/hz"'
term=$(ls "$var"/ca/terminal-131016.crt 2>/dev/null)
term=${term%.crt}
expect test_quickstart_api_on_the_given_port eval '[ "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$var/ca/client-ca.crt" \
    --cert "$term.crt" --key "$term.key" "https://127.0.0.1:$api/v1/municipality")" = 200 ]'
expect test_quickstart_console_on_the_given_port eval '[ "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$var/ca/client-ca.crt" \
    "https://127.0.0.1:$con/v1/session")" = 401 ]'
expect test_quickstart_postgresql_on_the_given_port eval '[ "$(cat "$var/pg/port")" = "$pgp" ] &&
    [ "$(PGPASSWORD=$(cat "$var/pg/password") psql -X -h 127.0.0.1 -p "$pgp" -U postgres -d jpkid -tAc "SELECT 1")" = 1 ]'
expect test_quickstart_jpkid_connects_as_role_jpkid eval '[ "$(jpki_psql "$var/pg" jpkid -tAc "SELECT string_agg(DISTINCT usename::text, '"','"')
    FROM pg_stat_activity WHERE datname = '"'jpkid'"' AND backend_type = '"'client backend'"'
    AND pid <> pg_backend_pid()")" = jpkid ]'

# Ctrl-C: SIGINT to the job's process group (the script, tee; jpkid, started
# in the background by the script, ignores it and is stopped by the cleanup).
kill -INT -- "-$qs_pgid"
t0=$SECONDS
expect test_quickstart_ctrl_c_piped_stops_jpkid_and_postgresql_within_20s within 20 all_stopped
echo "# stopped in $((SECONDS - t0)) s"
expect test_quickstart_ctrl_c_piped_tee_died_too eval '! pgrep -f -- "tee $work/qs.log" >/dev/null'
qs_pgid=

# ---------------------------------------------------------------- kill -TERM of the script
start_piped
within 60 grep -q 'jpkid is starting' "$work/qs.log"
expect test_quickstart_second_run_reuses_and_serves within 30 ready
kill -TERM "$qs_pgid"
expect test_quickstart_sigterm_stops_jpkid_and_postgresql_within_20s within 20 all_stopped
qs_pgid=

# ---------------------------------------------------------------- busy ports
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(120)' "$api" &
blocker=$!
within 5 jpki_port_busy "$api"
env "${qs_env[@]}" "$top/deploy/quickstart.sh" > "$work/busy.out" 2>&1
rc=$?
expect test_quickstart_busy_api_port_refused_naming_the_variable eval '[ $rc = 1 ] &&
    grep -qF "JPKI_API_PORT=$api: port $api on 127.0.0.1 is in use" "$work/busy.out" && ! pg_running'
env "${qs_env[@]}" JPKI_API_PORT="$st" JPKI_STATUS_PORT="$api" "$top/deploy/quickstart.sh" > "$work/busy.out" 2>&1
rc=$?
expect test_quickstart_busy_status_port_refused_naming_the_variable eval '[ $rc = 1 ] &&
    grep -qF "JPKI_STATUS_PORT=$api: port $api on 127.0.0.1 is in use" "$work/busy.out" && ! pg_running'
env "${qs_env[@]}" JPKI_API_PORT="$st" JPKI_STATUS_PORT="$con" JPKI_CONSOLE_PORT="$pgp" \
	JPKI_PG_PORT="$api" "$top/deploy/quickstart.sh" > "$work/busy.out" 2>&1
rc=$?
expect test_quickstart_busy_pg_port_refused_naming_the_variable eval '[ $rc = 1 ] &&
    grep -qF "JPKI_PG_PORT=$api: port $api on 127.0.0.1 is in use" "$work/busy.out" && ! pg_running'
kill -KILL "$blocker" 2>/dev/null
wait "$blocker" 2>/dev/null
blocker=

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
