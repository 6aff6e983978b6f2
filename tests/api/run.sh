#!/usr/bin/env bash
# API test harness: a throwaway PostgreSQL cluster, a development CA made by
# jpkictl init, and jpkid, called with curl and real TLS clients. Every
# response of a documented route is checked against openapi.yaml.
#
# usage: tests/api/run.sh BUILDDIR
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
# JPKI_ASAN=1: the build is sanitized (skip valgrind).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: run.sh BUILDDIR}" && pwd)
jpkid=$build/jpkid
jpkictl=$build/jpkictl
spec=$top/openapi.yaml
PY=/usr/bin/python3

work=$(mktemp -d /tmp/jpkid-api.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
ca=$work/ca
passed=0
failed=0
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	jpki_pg_stop "$pg"
	if [ "$failed" -gt 0 ]; then
		echo "# jpkid log (last 40 lines):"
		tail -n 40 "$work/jpkid.log" 2>/dev/null | sed 's/^/# /'
	fi
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1${2:+: $2}"
	failed=$((failed + 1))
	[ -s "$work/body" ] && echo "# last body ($STATUS): $(head -c 600 "$work/body")"
	return 0
}
# expect NAME CONDITION-COMMAND... : pass when the command succeeds.
expect() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}

# call METHOD URL [curl args...]: sets STATUS, CTYPE; body in $work/body,
# headers in $work/hdrs. CURLRC is curl's exit code (TLS failures).
call() {
	local method=$1 url=$2 out
	shift 2
	: > "$work/body"
	: > "$work/hdrs"
	out=$(curl -sS --max-time 15 -o "$work/body" -D "$work/hdrs" \
		-w '%{http_code} %{content_type}' -X "$method" "$@" "$url" 2>"$work/curl.err")
	CURLRC=$?
	STATUS=${out%% *}
	CTYPE=${out#* }
}
# One oacheck.py for the whole suite (--serve: a check is a line out, a line
# back), so the spec and jsonschema load once, not once per response. The
# lock file is opened anew per check: concurrent callers (background jobs)
# take turns. If the server is gone, each check runs its own oacheck.py.
coproc OACHECK { exec $PY "$top/tests/api/oacheck.py" "$spec" --serve 2>&1; }
oacheck_pid=$OACHECK_PID
pids+=("$oacheck_pid")
exec {oac_in}>&"${OACHECK[1]}" {oac_out}<&"${OACHECK[0]}"
oacheck() {	# oacheck ARGS... (as oacheck.py's after SPEC): prints why and fails
	local ans lock
	if kill -0 "$oacheck_pid" 2>/dev/null; then
		exec {lock}>"$work/oacheck.lock"
		flock "$lock"
		(IFS=$'\t'; printf '%s\n' "$*") >&"$oac_in" 2>/dev/null &&
			read -r -t 120 ans <&"$oac_out" ||
			kill "$oacheck_pid" 2>/dev/null	# no answer: never read a late one
		exec {lock}>&-
		case $ans in
		ok) return 0 ;;
		"fail "*) echo "${ans#fail }"; return 1 ;;
		esac
	fi
	$PY "$top/tests/api/oacheck.py" "$spec" "$@"
}
# conforms: the last response matches openapi.yaml for its method/path.
conforms() {
	local method=$1 path=$2 msg
	if ! msg=$(oacheck "$method" "$path" "$STATUS" "$CTYPE" "$work/body" 2>&1); then
		echo "# contract: $msg" >&2
		return 1
	fi
}
is_problem() {	# STATUS [RULE]
	[ "$STATUS" = "$1" ] || { echo "# status $STATUS, want $1" >&2; return 1; }
	[ "${CTYPE%%;*}" = application/problem+json ] || { echo "# content type $CTYPE" >&2; return 1; }
	oacheck --schema Problem "$work/body" >&2 || return 1
	jq_eq .status "$1"
}
# jq_eq PATH VALUE on the last JSON body (python, no jq dependency).
jq_eq() {
	local got
	got=$($PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    d = d[int(k)] if isinstance(d, list) else d.get(k) if isinstance(d, dict) else None
print(json.dumps(d) if not isinstance(d, str) else d)' "$work/body" "$1" 2>/dev/null)
	[ "$got" = "$2" ] || { echo "# $1 = '$got', want '$2'" >&2; return 1; }
}
header() { grep -i "^$1:" "$work/hdrs" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }

tls() {	# curl arguments for a client certificate NAME (file stem in $ca)
	echo --cacert "$ca/client-ca.crt" --cert "$ca/$1.crt" --key "$ca/$1.key"
}

# ---------------------------------------------------------------- set-up
jpki_pg_init "$pg" && jpki_pg_start "$pg" || { not_ok setup_postgresql; echo "$passed passed, $failed failed"; exit 1; }
jpki_pg_createdb "$pg" jpkid
# jpkid (and jpkictl with its configuration) connects as the role jpkid with
# the rights of 0013_runtime_grants.sql only, so every section below also
# proves those rights are enough; the migrations and the test's own psql run
# as the superuser.
conninfo=$(jpki_pg_conninfo "$pg" jpkid jpkid)
owner_conninfo=$(jpki_pg_conninfo "$pg" jpkid postgres)
"$jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 || { cat "$work/init.out"; not_ok setup_jpkictl_init; echo "$passed passed, $failed failed"; exit 1; }
term_a=$(basename "$(ls "$ca"/terminal-131016.crt)" .crt)
term_b=$(basename "$(ls "$ca"/terminal-141003.crt)" .crt)
api_port=$(jpki_free_port "${JPKI_TEST_PORT_BASE:-28443}")	# check.sh runs two suites at once
status_port=$(jpki_free_port $((api_port + 1)))
console_port=$(jpki_free_port $((status_port + 1)))
conf=$work/jpkid.conf
jpki_write_config "$conf" "$ca" "$conninfo" "$api_port" "$status_port" "$console_port"
# Operator passwords: cheap Argon2id in tests (the defaults are tested in console.sh).
printf '\n[operators]\nargon2_memory_kib = 1024\nargon2_iterations = 1\n' >> "$conf"
API=https://127.0.0.1:$api_port
ST=http://127.0.0.1:$status_port
CON=https://127.0.0.1:$console_port

start_jpkid() {	# start_jpkid CONF LOG: background jpkid, sets JPKID_PID
	"$jpkid" -c "$1" >>"$2" 2>&1 &
	JPKID_PID=$!
	pids+=("$JPKID_PID")
}
wait_ready() {	# wait_ready URL SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# The owner migrates; jpkid, as the role jpkid, only checks the schema at
# start (applying migrations by jpkid itself: the late instance below).
"$jpkictl" migrate --db "$owner_conninfo" > "$work/migrate.out" 2>&1
expect test_migrations_applied_by_the_owner \
	test "$(jpki_psql "$pg" jpkid -tAc 'SELECT count(*) > 0 FROM schema_migrations')" = t
start_jpkid "$conf" "$work/jpkid.log"
main_pid=$JPKID_PID
expect test_jpkid_starts_and_becomes_ready wait_ready "$ST" 30
db_users() {	# the users connected to the database jpkid, but this psql
	jpki_psql "$pg" postgres -tAc "SELECT string_agg(DISTINCT usename::text, ',')
	    FROM pg_stat_activity WHERE datname = 'jpkid' AND backend_type = 'client backend'
	    AND pid <> pg_backend_pid()"
}
expect test_jpkid_connects_as_role_jpkid_not_superuser test "$(db_users)" = jpkid
jpki_psql "$pg" jpkid -f "$top/deploy/demo/municipalities.sql"
"$jpkictl" enroll --db "$conninfo" --manifest "$ca/manifest.txt" > "$work/enroll.out" 2>&1
expect test_enroll_manifest_registers_the_principals \
	test "$(jpki_psql "$pg" jpkid -tAc 'SELECT count(*) FROM principals')" = "$(grep -vc '^#' "$ca/manifest.txt")"
"$jpkictl" enroll --db "$conninfo" --manifest "$ca/manifest.txt" > "$work/enroll2.out" 2>&1
rc_prev=$?
expect test_enroll_again_is_idempotent eval '[ $rc_prev = 0 ] && grep -q "^updated terminal" "$work/enroll2.out" && [ "$(jpki_psql "$pg" jpkid -tAc "SELECT count(*) FROM principals")" = "$(grep -vc "^#" "$ca/manifest.txt")" ]'
expect test_enroll_refuses_certificate_of_another_kind eval '! "$jpkictl" enroll --db "$conninfo" --kind terminal --name x --municipality 131016 "$ca/feed.crt" 2>"$work/enroll3.err" && grep -q "already registered as a register_feed" "$work/enroll3.err"'

# ---------------------------------------------------------------- status listener
call GET "$ST/healthz"
expect test_healthz_200 eval '[ "$STATUS" = 200 ] && conforms GET /healthz && jq_eq .status ok'
call GET "$ST/readyz"
expect test_readyz_200_when_ready eval '[ "$STATUS" = 200 ] && conforms GET /readyz && jq_eq .ready true && jq_eq .checks.database ok && jq_eq .checks.keys ok'
call GET "$ST/metrics"
expect test_metrics_prometheus_text eval '[ "$STATUS" = 200 ] && conforms GET /metrics && grep -q "^jpkid_db_pool_connections 4$" "$work/body" && grep -q "jpkid_http_request_duration_seconds_bucket{route=\"readyz\"" "$work/body"'
call GET "$ST/v1/whoami"
expect test_api_route_not_on_status_listener_404 is_problem 404

# ---------------------------------------------------------------- client certificates
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt"
expect test_no_client_certificate_401 eval 'is_problem 401 && conforms GET /v1/whoami && grep -q "client certificate rejected" "$work/jpkid.log"'

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/foreign.key" -out "$work/foreign.crt" \
	-days 30 -subj "/C=JP/O=Not jpkid/CN=intruder" -addext extendedKeyUsage=clientAuth 2>/dev/null
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt" --cert "$work/foreign.crt" --key "$work/foreign.key"
expect test_certificate_from_another_ca_rejected eval '[ "$CURLRC" != 0 ] || is_problem 401'

# A chain-valid certificate from our client CA that was never enrolled.
openssl req -new -newkey rsa:2048 -nodes -keyout "$work/stranger.key" -out "$work/stranger.csr" \
	-subj "/C=JP/O=131016/OU=terminal/CN=terminal-131016-99" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > "$work/ext.cnf"
openssl x509 -req -in "$work/stranger.csr" -CA "$ca/client-ca.crt" -CAkey "$ca/client-ca.key" \
	-CAcreateserial -days 30 -extfile "$work/ext.cnf" -out "$work/stranger.crt" 2>/dev/null
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt" --cert "$work/stranger.crt" --key "$work/stranger.key"
expect test_unregistered_certificate_401 eval 'is_problem 401 && grep -q "client certificate not registered" "$work/jpkid.log"'

# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(tls "$term_a")
expect test_terminal_route_200_for_terminal eval '[ "$STATUS" = 200 ] && conforms GET /v1/municipality && jq_eq .code 131016 && jq_eq .name 千代田区 && jq_eq .prefecture 東京都'
expect test_request_id_header_and_log_line eval 'rid=$(header X-Request-Id); [ ${#rid} = 16 ] && grep -q "request_id=$rid.*status=200" "$work/jpkid.log"'
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(tls "$term_b")
expect test_r1_each_terminal_sees_its_own_municipality eval '[ "$STATUS" = 200 ] && jq_eq .code 141003'
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(tls "$term_a")
expect test_whoami_terminal eval '[ "$STATUS" = 200 ] && conforms GET /v1/whoami && jq_eq .kind terminal && jq_eq .municipality.code 131016'
for who in feed:register_feed rp:relying_party operator:operator; do
	# shellcheck disable=SC2046
	call GET "$API/v1/whoami" $(tls "${who%%:*}")
	expect "test_whoami_${who#*:}" eval '[ "$STATUS" = 200 ] && conforms GET /v1/whoami && jq_eq .kind "${who#*:}"'
done
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(tls feed)
expect test_register_feed_on_terminal_route_403 eval 'is_problem 403 && conforms GET /v1/municipality'
# shellcheck disable=SC2046
call GET "$API/v1/nothing-here" $(tls "$term_a")
expect test_unknown_route_404_problem is_problem 404
# shellcheck disable=SC2046
call POST "$API/v1/municipality" $(tls "$term_a") -d '{}'
expect test_wrong_method_405_with_allow eval 'is_problem 405 && [ "$(header Allow)" = GET ]'
head -c 1100000 /dev/zero > "$work/big"
# shellcheck disable=SC2046
call POST "$API/v1/whoami" $(tls "$term_a") --data-binary @"$work/big" -H 'Content-Type: application/octet-stream'
expect test_body_over_max_body_413 is_problem 413

jpki_psql "$pg" jpkid -c "UPDATE terminals SET enabled = false WHERE municipality_code = '141003'"
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(tls "$term_b")
expect test_disabled_terminal_401_immediately is_problem 401
jpki_psql "$pg" jpkid -c "UPDATE terminals SET enabled = true WHERE municipality_code = '141003'"

# TLS: 1.2 and 1.3 only.
expect test_tls12_handshake_ok eval 'echo | openssl s_client -connect 127.0.0.1:$api_port -tls1_2 -CAfile "$ca/client-ca.crt" -verify_return_error >/dev/null 2>&1'
expect test_tls11_refused eval '! echo | openssl s_client -connect 127.0.0.1:$api_port -tls1_1 -cipher DEFAULT@SECLEVEL=0 >/dev/null 2>&1'
expect test_gnutls_cli_with_client_cert eval 'echo | gnutls-cli --x509cafile "$ca/client-ca.crt" --x509certfile "$ca/$term_a.crt" --x509keyfile "$ca/$term_a.key" -p $api_port 127.0.0.1 >/dev/null 2>&1'

call GET "$ST/metrics"
expect test_metrics_count_requests_by_route_and_status eval 'grep -q "^jpkid_http_requests_total{route=\"whoami\",status=\"401\"} [1-9]" "$work/body" && grep -q "^jpkid_http_requests_total{route=\"municipality\",status=\"200\"} 2$" "$work/body"'

# ---------------------------------------------------------------- database outage
jpki_pg_stop "$pg"
call GET "$ST/readyz"
expect test_readyz_503_while_postgresql_down eval 'conforms GET /readyz && [ "$STATUS" = 503 ] && jq_eq .ready false && jq_eq .checks.database unreachable'
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(tls "$term_a")
expect test_api_503_problem_while_postgresql_down eval 'is_problem 503 && [ "$(header Retry-After)" = 5 ]'
call GET "$ST/healthz"
expect test_healthz_200_while_postgresql_down eval '[ "$STATUS" = 200 ]'
jpki_pg_start "$pg"
expect test_readyz_true_again_after_postgresql_returns wait_ready "$ST" 20
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(tls "$term_a")
expect test_api_works_again_without_restart eval '[ "$STATUS" = 200 ] && jq_eq .code 131016 && kill -0 $main_pid'

# ---------------------------------------------------------------- config and reload
expect test_config_check_flag_ok eval '"$jpkid" -t -c "$conf" | grep -q "configuration and keys OK"'
sed 's/^threads = 4$/threads = many/' "$conf" > "$work/bad.conf"
expect test_config_bad_value_names_line eval '! "$jpkid" -t -c "$work/bad.conf" 2>"$work/bad.err" && grep -q "bad.conf:4: \[daemon\] threads must be an integer" "$work/bad.err"'
: > "$work/empty.pin"
sed "s#^key = $ca/sign-ca.key#key = $ca/sign-ca.key\npin_file = $work/empty.pin#" "$conf" > "$work/pin.conf"
expect test_config_empty_pin_file_refused eval '! "$jpkid" -t -c "$work/pin.conf" 2>"$work/pin.err" && grep -q "keys: ca.sign: PIN file $work/empty.pin is empty" "$work/pin.err"'
kill -HUP "$main_pid"
sleep 0.5
expect test_sighup_reload_keeps_serving eval 'grep -q "reload complete" "$work/jpkid.log" && wait_ready "$ST" 5'
cp "$conf" "$conf.good"
sed -i "s#^key = $ca/sign-ca.key#key = $ca/auth-ca.key#" "$conf"
kill -HUP "$main_pid"
sleep 0.5
expect test_sighup_mismatched_key_keeps_old_keys eval 'grep -q "reload failed, keeping the running keys: ca.sign: key does not match certificate" "$work/jpkid.log" && wait_ready "$ST" 5'
cp "$conf.good" "$conf"

# ---------------------------------------------------------------- systemd
notify_conf=$work/notify.conf
napi=$(jpki_free_port $((status_port + 1)))
nst=$(jpki_free_port $((napi + 1)))
jpki_write_config "$notify_conf" "$ca" "$conninfo" "$napi" "$nst"
$PY - "$work/notify.sock" "$work/notify.out" <<'PYEOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(1.0)
end = time.time() + 30
with open(sys.argv[2], "a") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode() + "\n--\n"); out.flush()
        except socket.timeout:
            pass
PYEOF
pids+=($!)
sleep 0.3
(
	export NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=400000 WATCHDOG_PID=$BASHPID
	exec "$jpkid" -c "$notify_conf" >>"$work/notify-jpkid.log" 2>&1
) &
npid=$!
pids+=("$npid")
wait_ready "http://127.0.0.1:$nst" 20
sleep 1
expect test_sd_notify_ready eval 'grep -q "^READY=1" "$work/notify.out"'
expect test_sd_notify_watchdog_pings eval '[ "$(grep -c "^WATCHDOG=1" "$work/notify.out")" -ge 2 ]'
kill -TERM "$npid"
wait "$npid"
rc_prev=$?
expect test_sd_notify_stopping_and_clean_exit eval '[ $rc_prev = 0 ] && grep -q "^STOPPING=1" "$work/notify.out"'

sa_conf=$work/sa.conf
# A random offset: other runs on the machine pick ports the same way.
sapi=$(jpki_free_port $((nst + 1 + RANDOM % 400)))
sst=$(jpki_free_port $((sapi + 1)))
scon=$(jpki_free_port $((sst + 1)))
jpki_write_config "$sa_conf" "$ca" "$conninfo" 1 1 1
sed -i 's/^listen = .*/listen = systemd/' "$sa_conf"
# With a socket-activated status listener, the URL written into
# certificates cannot be derived from it: [issuance] status_url is required.
printf '\n[issuance]\nstatus_url = http://127.0.0.1:%s\n' "$sst" >> "$sa_conf"
systemd-socket-activate -l "127.0.0.1:$sapi" -l "127.0.0.1:$sst" -l "127.0.0.1:$scon" \
	--fdname=api:status:console "$jpkid" -c "$sa_conf" >>"$work/sa-jpkid.log" 2>&1 &
sapid=$!
pids+=("$sapid")
sleep 0.3
# shellcheck disable=SC2046
expect test_socket_activation_status_listener wait_ready "http://127.0.0.1:$sst" 20
call GET "https://127.0.0.1:$sapi/v1/whoami" $(tls "$term_a")
expect test_socket_activation_api_listener eval '[ "$STATUS" = 200 ] && jq_eq .kind terminal'
# The console socket: a login with a bad body is answered without a database
# write (a failed login would delay the console tests' logins from 127.0.0.1).
call POST "https://127.0.0.1:$scon/v1/session" --cacert "$ca/client-ca.crt" -H "Origin: https://127.0.0.1:$scon" \
	-H 'Content-Type: application/json' --data-binary '{"username":""}'
expect test_socket_activation_console_listener eval 'is_problem 422 && jq_eq .fields.username "a string of 1 to 64 characters"'
kill -TERM "$sapid"
wait "$sapid"
rc_prev=$?
expect test_socket_activation_clean_exit eval '[ $rc_prev = 0 ]'

# ---------------------------------------------------------------- sections
# Resource sections in their own files, sharing this harness (helpers,
# $API, $ST, $ca, $pg, $conninfo, $term_a/$term_b, $work).
# JPKI_API_SECTIONS="revocation ocsp" runs only those (development).
. "$top/tests/api/lib_issue.sh"
# authcache moves terminal-141003 to another municipality and back: it runs
# before any section files an application through that terminal (the
# applications_terminal_fkey of R1 then pins the terminal's municipality).
for section in ${JPKI_API_SECTIONS:-feed authcache issuance atonce scope keys revocation crl ocsp clock fees rp pinreset suspensions notices console dashboard audit stats operators requests attack grants}; do
	[ -f "$top/tests/api/$section.sh" ] && . "$top/tests/api/$section.sh"
done

# ---------------------------------------------------------------- contract
sed -n 's/^\t{ LISTENER_[A-Z_|]*, "\([A-Z]*\)", "\([^"]*\)".*/\1 \2/p' "$top/api/router.c" > "$work/routes"
expect test_openapi_documents_exactly_the_router_routes eval '[ -s "$work/routes" ] && oacheck --routes "$work/routes"'

# ---------------------------------------------------------------- start while PostgreSQL is down
jpki_psql "$pg" postgres -c "CREATE DATABASE jpkid_late OWNER jpkid"
late_conf=$work/late.conf
lapi=$(jpki_free_port $((sst + 1)))
lst=$(jpki_free_port $((lapi + 1)))
jpki_write_config "$late_conf" "$ca" "host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid_late" "$lapi" "$lst"
jpki_pg_stop "$pg"
start_jpkid "$late_conf" "$work/late-jpkid.log"
late_pid=$JPKID_PID
sleep 1
call GET "http://127.0.0.1:$lst/readyz"
expect test_starts_with_postgresql_down_not_ready eval '[ "$STATUS" = 503 ] && jq_eq .checks.database unreachable && jq_eq .checks.schema "migrations pending" && jq_eq .checks.keys ok'
jpki_pg_start "$pg"
expect test_migrates_and_becomes_ready_when_postgresql_comes wait_ready "http://127.0.0.1:$lst" 20
expect test_late_migrations_recorded \
	test "$(jpki_psql "$pg" jpkid_late -tAc 'SELECT count(*) > 0 FROM schema_migrations')" = t
kill -TERM "$late_pid"
wait "$late_pid"
rc_prev=$?
expect test_late_instance_clean_exit eval '[ $rc_prev = 0 ]'

# ---------------------------------------------------------------- shutdown
# A request still uploading when SIGTERM arrives is answered before exit.
head -c 300000 /dev/zero > "$work/slow"
# shellcheck disable=SC2046
curl -sS --max-time 20 -o "$work/slow.body" -w '%{http_code}' -X POST --limit-rate 150K \
	$(tls "$term_a") --data-binary @"$work/slow" "$API/v1/municipality" > "$work/slow.status" 2>"$work/slow.err" &
slow_pid=$!
sleep 0.7
kill -TERM "$main_pid"
wait "$slow_pid"
expect test_sigterm_lets_request_in_flight_finish eval '[ "$(cat "$work/slow.status")" = 405 ]'
wait "$main_pid"
rc=$?
expect test_sigterm_drains_and_exits_0 eval '[ $rc = 0 ] && grep -q "msg=stopped" "$work/jpkid.log"'
call GET "$ST/healthz"
expect test_listeners_closed_after_stop eval '[ "$CURLRC" != 0 ]'

if [ "${JPKI_ASAN:-0}" != 1 ] && command -v valgrind >/dev/null; then
	vg_conf=$work/vg.conf
	vapi=$(jpki_free_port $((lst + 1)))
	vst=$(jpki_free_port $((vapi + 1)))
	vcon=$(jpki_free_port $((vst + 1)))
	jpki_write_config "$vg_conf" "$ca" "$conninfo" "$vapi" "$vst" "$vcon"
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		--log-file="$work/valgrind.log" "$jpkid" -c "$vg_conf" >>"$work/vg-jpkid.log" 2>&1 &
	vpid=$!
	pids+=("$vpid")
	wait_ready "http://127.0.0.1:$vst" 60
	call GET "https://127.0.0.1:$vapi/v1/municipality" $(tls "$term_a")
	call GET "https://127.0.0.1:$vapi/v1/whoami" --cacert "$ca/client-ca.crt"
	call GET "http://127.0.0.1:$vst/metrics"
	call GET "https://127.0.0.1:$vcon/dashboard/" --cacert "$ca/client-ca.crt"	# dashboard: loaded, freed
	vasset=$(sed -n 's#.*"\(/dashboard/a/[0-9a-f]*/app\.css\)".*#\1#p' "$work/body" | head -n1)
	call GET "https://127.0.0.1:$vcon${vasset:-/dashboard/}" --cacert "$ca/client-ca.crt"
	kill -HUP "$vpid"; sleep 1
	kill -TERM "$vpid"
	wait "$vpid"
	vrc=$?
	expect test_valgrind_clean_shutdown eval '[ $vrc = 0 ] || { cat "$work/valgrind.log" | head -40 >&2; false; }'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
