#!/usr/bin/env bash
# Fault suite (issue 13, item 6; docs/reliability.md): jpkid and PostgreSQL
# are made to fail under issuance load, and the database is checked against
# what the clients were answered.
#
#  1. Crashes: tests/fault/client.py runs parallel workers, each issuance
#     with its own key and Idempotency-Keys, retried with the same key on any
#     transport error or 5xx until a final answer. Meanwhile jpkid is killed
#     with SIGKILL twice (and restarted) and PostgreSQL is restarted once
#     with `pg_ctl restart -m immediate`. tests/fault/check.py then asserts:
#     every certificate received is in the database with the same DER, no
#     serial repeats (certificates, serials, answers), no key yields two
#     certificates, R9, and nothing is in the database that no client was
#     answered about except answers lost in flight (check.py says how).
#  2. Disk full: the database is moved to a tablespace on a small tmpfs,
#     which is then filled: issuance is answered 503 problem+json (never 500,
#     jpkid stays up), nothing partial is committed, /readyz reports it, and
#     once space returns the same jpkid issues again (the refused
#     Idempotency-Key too).
#
# usage: tests/fault/run.sh BUILDDIR   (as root: PostgreSQL runs as postgres,
#        the small filesystem is a tmpfs mount)
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
# Environment: JPKI_FAULT_ISSUANCES (default 120), JPKI_FAULT_WORKERS (4),
# JPKI_FAULT_KEEP=1 keeps the work directory (logs, dumps) for a look;
# JPKI_FAULT_NO_MOUNT=1 skips scenario 2 where mount(2) is not allowed (a
# container without CAP_SYS_ADMIN); without it a refused mount is a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: run.sh BUILDDIR}" && pwd)
jpkid=$build/jpkid
jpkictl=$build/jpkictl
PY=/usr/bin/python3
here=$top/tests/fault
nissue=${JPKI_FAULT_ISSUANCES:-120}
nworkers=${JPKI_FAULT_WORKERS:-4}
nres=$((nworkers * 4))
nspare=16	# CSRs for scenario 2

work=$(mktemp -d /tmp/jpkid-fault.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
ca=$work/ca
small=$work/small
passed=0
failed=0
pids=()
t_start=$(date +%s)

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	jpki_pg_stop "$pg"
	mountpoint -q "$small" && { umount "$small" || umount -l "$small"; }
	if [ "$failed" -gt 0 ]; then
		echo "# jpkid log (last 40 lines):"
		tail -n 40 "$work/jpkid.log" 2>/dev/null | sed 's/^/# /'
		# A cluster that would not start (setup_postgresql, a restart) says why here.
		echo "# PostgreSQL log (last 30 lines):"
		tail -n 30 "$pg/log" 2>/dev/null | sed 's/^/# /'
	fi
	if [ "${JPKI_FAULT_KEEP:-0}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1${2:+: $2}"
	failed=$((failed + 1))
	return 0
}
expect() {	# expect NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}
bail() { not_ok "$1" "${2:-}"; echo "$passed passed, $failed failed"; exit 1; }
db() { jpki_psql "$pg" jpkid -tAc "$1"; }

# call METHOD URL [curl args...]: STATUS, CTYPE; body in $work/body, headers in $work/hdrs.
call() {
	local method=$1 url=$2 out
	shift 2
	: > "$work/body"
	: > "$work/hdrs"
	out=$(curl -sS --max-time 20 -o "$work/body" -D "$work/hdrs" \
		-w '%{http_code} %{content_type}' -X "$method" "$@" "$url" 2>"$work/curl.err")
	STATUS=${out%% *}
	CTYPE=${out#* }
}
jv() {	# jv PATH: a value of the last JSON body
	$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    d = d.get(k) if isinstance(d, dict) else None
print("" if d is None else (d if isinstance(d, str) else json.dumps(d)))' "$work/body" "$1" 2>/dev/null
}

start_jpkid() {
	"$jpkid" -c "$conf" >>"$work/jpkid.log" 2>&1 &
	JPKID_PID=$!
	pids+=("$JPKID_PID")
}
wait_ready() {	# wait_ready SECONDS
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- set-up
# One RSA-2048 key per issuance (R22), only its CSR kept (the private key
# goes to /dev/null): made in the background while the cluster and the CA
# are set up (the slowest part on a small machine), and kept in the build
# directory for the next run (each run has a fresh database).
csrdir=$build/tests/fault/csr
mkdir -p "$csrdir"
for ((i = 1; i <= nissue + nspare; i++)); do
	[ -s "$csrdir/$i.der" ] || echo "$i"
done | xargs -r -P "$(nproc)" -I{} sh -c 'openssl req -new -newkey rsa:2048 -nodes \
	-keyout /dev/null -subj "/CN=fault-{}" -outform DER -out "$1/{}.tmp" 2>/dev/null &&
	mv "$1/{}.tmp" "$1/{}.der"' sh "$csrdir" &
keygen=$!

jpki_pg_init "$pg" && jpki_pg_start "$pg" || bail setup_postgresql
jpki_pg_createdb "$pg" jpkid >/dev/null
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
"$jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 || { cat "$work/init.out"; bail setup_jpkictl_init; }
term=$(basename "$(ls "$ca"/terminal-131016.crt)" .crt)
api_port=$(jpki_free_port $((30443 + RANDOM % 1000)))
status_port=$(jpki_free_port $((api_port + 1)))
conf=$work/jpkid.conf
jpki_write_config "$conf" "$ca" "$conninfo" "$api_port" "$status_port"
API=https://127.0.0.1:$api_port
ST=http://127.0.0.1:$status_port
TLS=(--cacert "$ca/client-ca.crt" --cert "$ca/$term.crt" --key "$ca/$term.key")

start_jpkid
wait_ready 30 || bail setup_jpkid_ready
jpki_psql "$pg" jpkid -q -f "$top/deploy/demo/municipalities.sql" >/dev/null || bail setup_municipalities
"$jpkictl" enroll --db "$conninfo" --manifest "$ca/manifest.txt" > "$work/enroll.out" 2>&1 ||
	{ cat "$work/enroll.out"; bail setup_enroll; }
# Adults of 千代田区 with active My Number cards matching the register (as tests/bench/issuance.sh).
jpki_psql "$pg" jpkid -q >/dev/null <<SQL || bail setup_residents
INSERT INTO residents (resident_code, municipality_code, family_name, given_name,
    birth_date, sex, address)
SELECT '131016' || lpad(i::text, 5, '0'), '131016', '試験', '太郎',
    DATE '1970-01-01' + (i * 97) % 10000, CASE WHEN i % 2 = 0 THEN '2' ELSE '1' END,
    '東京都千代田区千代田１丁目' || i || '番'
FROM generate_series(1, $nres) AS i;
INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on, status,
    card_family_name, card_given_name, card_former_surname, card_birth_date, card_sex,
    card_address)
SELECT '9' || lpad(right(r.resident_code, 5), 11, '0'), r.resident_code, 'mynumber',
    current_date - 365, current_date + 9 * 365, 'active',
    r.family_name, r.given_name, r.former_surname, r.birth_date, r.sex, r.address
FROM residents r;
SQL
db "SELECT resident_code FROM residents ORDER BY 1" > "$work/residents"
wait "$keygen"
for ((i = 1; i <= nissue + nspare; i++)); do echo "$csrdir/$i.der"; done > "$work/csrs.all"
xargs ls < "$work/csrs.all" >/dev/null 2>&1 || bail setup_keys "openssl req failed"
head -n "$nissue" "$work/csrs.all" > "$work/csrs"
tail -n "$nspare" "$work/csrs.all" > "$work/csrs.spare"
echo "# set-up done in $(($(date +%s) - t_start)) s: $nres residents, $nissue CSRs, $nworkers workers"

# ---------------------------------------------------------------- scenario 1: crashes under load
finals() { local n; n=$(grep -c '"ev": "final"' "$work/client.log" 2>/dev/null); echo "${n:-0}"; }
wait_finals() {	# wait_finals N SECONDS: until N issuances were answered (or the client ended)
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(finals)" -ge "$1" ] && return 0
		kill -0 "$client" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
kills=0
jpkid_restarts=0
pg_restarts=0
kill_jpkid() {
	kill -KILL "$JPKID_PID"
	wait "$JPKID_PID" 2>/dev/null
	kills=$((kills + 1))
	echo "# $(date +%s.%N | cut -c1-14) SIGKILL jpkid after $(finals) answers"
	sleep 0.5		# clients see refused connections meanwhile
	start_jpkid
	wait_ready 30 && jpkid_restarts=$((jpkid_restarts + 1))
}
: > "$work/client.log"
$PY "$here/client.py" --url "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$term.crt" \
	--key "$ca/$term.key" --residents "$work/residents" --csrs "$work/csrs" \
	--log "$work/client.log" --workers "$nworkers" --give-up 60 --drop-every 5 \
	> "$work/client.out" 2>&1 &
client=$!
pids+=("$client")
t_load=$(date +%s)
wait_finals $((nissue / 5)) 90 && kill_jpkid
if wait_finals $((nissue * 2 / 5)) 90; then
	echo "# $(date +%s.%N | cut -c1-14) pg_ctl restart -m immediate after $(finals) answers"
	jpki_as_pg "$PGBIN/pg_ctl" -D "$pg/data" -l "$pg/log" -m immediate -w -t 60 restart \
		>/dev/null && pg_restarts=$((pg_restarts + 1))
fi
wait_finals $((nissue * 3 / 5)) 90 && kill_jpkid
wait_finals "$nissue" 150
kill -0 "$client" 2>/dev/null && { sleep 5; kill -TERM "$client" 2>/dev/null; }
wait "$client"
echo "# load: $(finals) answers in $(($(date +%s) - t_load)) s"
[ -s "$work/client.out" ] && sed 's/^/# client: /' "$work/client.out" | head -n 20
expect test_fault_faults_injected eval '[ $kills = 2 ] && [ $jpkid_restarts = 2 ] && [ $pg_restarts = 1 ]'

dump_db() {	# dump_db DIR: the tables check.py compares with the client log
	mkdir -p "$1"
	jpki_psql "$pg" jpkid -tA -F $'\t' -c "SELECT encode(serial, 'hex'), issuer, type,
	    resident_code, status, coalesce(reason, ''), encode(der, 'hex'),
	    coalesce(application_id::text, '') FROM certificates" > "$1/certs" &&
	jpki_psql "$pg" jpkid -tA -F $'\t' -c "SELECT encode(serial, 'hex'), issuer FROM serials" \
		> "$1/serials" &&
	jpki_psql "$pg" jpkid -tA -F $'\t' -c "SELECT key, coalesce(status::text, ''),
	    coalesce(convert_from(response, 'UTF8')::jsonb ->> 'serial', '')
	    FROM idempotency WHERE key LIKE 'fault-%'" > "$1/idem" &&
	jpki_psql "$pg" jpkid -tA -F $'\t' -c "SELECT id, idempotency_key, resident_code, state
	    FROM applications WHERE idempotency_key LIKE 'fault-app-%'" > "$1/apps" &&
	jpki_psql "$pg" jpkid -tA -F $'\t' -c "SELECT detail ->> 'serial' FROM audit_log
	    WHERE action = 'certificate.issue'" > "$1/audit"
}
if dump_db "$work/dump1"; then
	$PY "$here/check.py" "$work/client.log" "$work/dump1" "$kills" "$pg_restarts" > "$work/check1.out" 2>&1
	cat "$work/check1.out"
	grep -q '^ok - \|^not ok - ' "$work/check1.out" || not_ok test_fault_check_ran "$(tail -n 5 "$work/check1.out")"
	passed=$((passed + $(grep -c '^ok - ' "$work/check1.out")))
	failed=$((failed + $(grep -c '^not ok - ' "$work/check1.out")))
	# The checker itself: a database that lost a received certificate, and one
	# with a second certificate for a key (a retry that issued again), fail.
	cp -r "$work/dump1" "$work/lost" && sed -i 1d "$work/lost/certs"
	cp -r "$work/dump1" "$work/dup" &&
		awk -F'\t' -v OFS='\t' 'NR == 1 { print; $1 = "7f" substr($1, 3) } { print }' \
		"$work/dump1/certs" > "$work/dup/certs"
	$PY "$here/check.py" "$work/client.log" "$work/lost" 2 1 > "$work/check-lost.out" 2>&1
	$PY "$here/check.py" "$work/client.log" "$work/dup" 2 1 > "$work/check-dup.out" 2>&1
	expect test_fault_checker_catches_a_lost_and_a_duplicated_certificate eval \
		'grep -q "^not ok - test_fault_every_received_certificate_committed_same_der" "$work/check-lost.out" &&
		 grep -q " lost 1, duplicated 0" "$work/check-lost.out" &&
		 grep -q "^not ok - test_fault_no_key_yields_two_certificates" "$work/check-dup.out" &&
		 grep -q "^not ok - test_fault_no_certificate_without_an_answer_except_in_flight" "$work/check-dup.out" &&
		 grep -q " duplicated [1-9]" "$work/check-dup.out"'
else
	not_ok test_fault_database_dump
fi
expect test_fault_no_500_under_faults eval '! grep -q "\"why\": \"500\"" "$work/client.log"'
expect test_fault_jpkid_serves_after_the_faults wait_ready 10
# The audit chain (sealed by jpkid's job thread, docs/operators.md) survived
# the crashes: every row sealed, the chain and its checkpoints verify.
sealed() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(db "SELECT count(*) FROM audit_log WHERE sealed_hash IS NULL")" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}
expect test_fault_audit_chain_verifies_after_the_faults eval 'sealed &&
	"$jpkictl" audit verify -c "$conf" > "$work/audit.out" 2>&1 && grep -q "^audit chain OK" "$work/audit.out"'
echo "# scenario 1 done in $(($(date +%s) - t_start)) s"

spare() { sed -n "${1}p" "$work/csrs.spare"; }	# spare N: the Nth CSR kept aside
# issue_once RESIDENT TYPE CSR KEY: apply + issue with Idempotency-Keys KEY-app/KEY-cert.
# Sets ISTATUS (the first non-201, or 201), ISTEP (application|certificate).
issue_once() {
	local app
	ISTEP=application
	call POST "$API/v1/applications" "${TLS[@]}" -H 'Content-Type: application/json' \
		-H "Idempotency-Key: $4-app" --data-binary "{\"resident_code\":\"$1\",\"procedure\":\"issue\",\"types\":[\"$2\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":{\"documents\":[{\"kind\":\"mynumber_card\",\"holder\":\"resident\"}]}}"
	ISTATUS=$STATUS
	[ "$STATUS" = 201 ] || return 0
	app=$(jv .id)
	ISTEP=certificate
	call POST "$API/v1/applications/$app/certificates" "${TLS[@]}" -H 'Content-Type: application/json' \
		-H "Idempotency-Key: $4-cert" --data-binary "{\"type\":\"$2\",\"csr\":\"$(base64 -w0 "$3")\"}"
	ISTATUS=$STATUS
}
# ---------------------------------------------------------------- OCSP after a PostgreSQL crash
# A certificate superseded (R9) after `pg_ctl restart -m immediate` is
# answered revoked by the same jpkid: its LISTEN connection came back and
# no stale "good" stays in the OCSP cache.
ocsp_q() {	# ocsp_q PEM: openssl ocsp without nonce (cacheable); output in $work/ocsp.out
	openssl ocsp -issuer "$ca/auth-ca.crt" -cert "$1" -url "$ST/ocsp" -CAfile "$ca/auth-ca.crt" \
		-no_nonce > "$work/ocsp.out" 2>&1
}
issue_retry() {	# issue_retry RESIDENT CSR KEY: issue_once until 201 (10 s at most)
	local i
	for ((i = 0; i < 20; i++)); do
		issue_once "$1" auth "$2" "$3"
		[ "$ISTATUS" = 201 ] && return 0
		sleep 0.5
	done
	return 1
}
ocsp_res=$(sed -n 3p "$work/residents")
if issue_retry "$ocsp_res" "$(spare $((nspare - 1)))" ocsp-1; then
	jv .certificate > "$work/ocsp-1.pem"
	ocsp_q "$work/ocsp-1.pem"
	grep -q ": good" "$work/ocsp.out"
	ocsp_good=$?
	jpki_as_pg "$PGBIN/pg_ctl" -D "$pg/data" -l "$pg/log" -m immediate -w -t 60 restart >/dev/null
	issue_retry "$ocsp_res" "$(spare "$nspare")" ocsp-2
	ocsp_rc=$?
	ocsp_q "$work/ocsp-1.pem"
	expect test_fault_ocsp_superseded_after_postgresql_crash_is_revoked eval '[ $ocsp_good = 0 ] && [ $ocsp_rc = 0 ] && grep -q ": revoked" "$work/ocsp.out" && grep -q "Reason: superseded" "$work/ocsp.out" && kill -0 $JPKID_PID'
else
	not_ok test_fault_ocsp_superseded_after_postgresql_crash_is_revoked "no certificate to ask about"
fi

# ---------------------------------------------------------------- scenario 2: disk full
is_503_problem() {
	[ "$STATUS" = 503 ] && [ "${CTYPE%%;*}" = application/problem+json ] &&
		[ "$(jv .status)" = 503 ] && grep -qi '^Retry-After: ' "$work/hdrs"
}
consistent() {	# no certificate without its serial, audit row and key row; no orphans
	[ "$(db "SELECT count(*) FROM certificates c WHERE NOT EXISTS (SELECT 1 FROM serials s
	    WHERE s.serial = c.serial AND s.issuer = c.issuer) OR (SELECT count(*) FROM audit_log a
	    WHERE a.action = 'certificate.issue' AND a.detail ->> 'serial' = encode(c.serial, 'hex')) <> 1")" = 0 ] &&
	[ "$(db "SELECT count(*) FROM idempotency WHERE status IS NULL OR response IS NULL")" = 0 ] &&
	[ "$(db "SELECT count(*) FROM applications a WHERE a.idempotency_key LIKE 'full-%'
	    AND a.idempotency_key NOT IN (SELECT key FROM idempotency WHERE status = 201)")" = 0 ]
}

mounted=0
if [ "${JPKI_FAULT_NO_MOUNT:-0}" = 1 ]; then
	echo "# scenario 2 skipped: JPKI_FAULT_NO_MOUNT=1"
elif [ "$(id -u)" != 0 ]; then
	not_ok test_fault_disk_full_small_filesystem "not root: cannot mount a tmpfs (JPKI_FAULT_NO_MOUNT=1 skips)"
else
	kill -TERM "$JPKID_PID"
	wait "$JPKID_PID" 2>/dev/null
	dbsize=$(db "SELECT pg_database_size('jpkid')")
	mkdir -p "$small"
	if mount -t tmpfs -o "size=$((dbsize / 1048576 + 16))m,mode=0700" tmpfs "$small" 2>"$work/mount.err"; then
		mounted=1
		chown postgres: "$small"
		jpki_as_pg mkdir "$small/ts"
		jpki_psql "$pg" postgres -q -c "CREATE TABLESPACE small LOCATION '$small/ts'" \
			-c "ALTER DATABASE jpkid SET TABLESPACE small" || mounted=0
	else
		not_ok test_fault_disk_full_small_filesystem "mount -t tmpfs refused: $(cat "$work/mount.err") (JPKI_FAULT_NO_MOUNT=1 skips)"
	fi
fi
if [ "$mounted" = 1 ]; then
	ok test_fault_disk_full_database_on_a_small_filesystem
	start_jpkid
	wait_ready 30 || not_ok test_fault_disk_full_jpkid_ready_on_the_tablespace
	res=$(sed -n 1p "$work/residents")
	issue_once "$res" auth "$(spare 1)" full-before
	expect test_fault_disk_full_issuance_works_before_filling eval '[ "$ISTATUS" = 201 ]'
	certs_before=$(db "SELECT count(*) FROM certificates")
	# Fill it: the data files can no longer grow (ENOSPC, SQLSTATE 53100).
	jpki_as_pg dd if=/dev/zero of="$small/filler" bs=1M 2>/dev/null
	jpki_as_pg dd if=/dev/zero of="$small/filler2" bs=4k 2>/dev/null
	full_key=""
	other=0
	answered201=0
	k=2	# the next unused spare CSR: a refused one is used again, a certified one not
	for i in $(seq 1 60); do
		res=$(sed -n "$((i % nres + 1))p" "$work/residents")
		[ "$k" -lt "$((nspare - 2))" ] || { echo "# disk full: out of spare CSRs"; break; }
		issue_once "$res" auth "$(spare $k)" "full-$i"
		if [ "$ISTATUS" = 201 ]; then
			answered201=$((answered201 + 1))	# still room in a page
			k=$((k + 1))
			continue
		fi
		if is_503_problem; then
			[ -z "$full_key" ] && { full_key=full-$i; full_res=$res; full_csr=$(spare $k); full_step=$ISTEP; k=$((k + 1)); cp "$work/body" "$work/full.body"; }
			[ "$i" -ge 5 ] && [ -n "$full_key" ] && [ $((i % 5)) = 0 ] && break
		else
			other=$((other + 1))
			echo "# disk full: $ISTEP answered $STATUS $CTYPE: $(head -c 300 "$work/body")"
		fi
	done
	echo "# disk full: first 503 at $full_key ($full_step), $answered201 issuances still fitted"
	expect test_fault_disk_full_issuance_503_problem_never_500 eval '[ -n "$full_key" ] && [ $other = 0 ] && kill -0 $JPKID_PID'
	expect test_fault_disk_full_problem_says_disk_full eval 'grep -q "out of disk space" "$work/full.body"'
	expect test_fault_disk_full_logged_with_sqlstate_53100 eval 'grep -q "sqlstate=53100" "$work/jpkid.log"'
	call GET "$ST/readyz"
	expect test_fault_disk_full_readyz_503_database_disk_full eval '[ "$STATUS" = 503 ] && [ "$(jv .checks.database)" = "disk full" ]'
	call GET "$ST/healthz"
	expect test_fault_disk_full_healthz_still_alive eval '[ "$STATUS" = 200 ]'
	expect test_fault_disk_full_no_partial_rows eval 'consistent && [ "$(db "SELECT count(*) FROM certificates")" = $((certs_before + answered201)) ]'
	# Space returns: the same process issues again, the refused key included.
	rm -f "$small/filler" "$small/filler2"
	issue_once "$full_res" auth "$full_csr" "$full_key"
	expect test_fault_disk_full_refused_key_issues_after_space_returns eval '[ "$ISTATUS" = 201 ] && kill -0 $JPKID_PID'
	issue_once "$(sed -n 2p "$work/residents")" auth "$(spare $k)" full-after
	expect test_fault_disk_full_issuance_works_again_without_restart eval '[ "$ISTATUS" = 201 ] && kill -0 $JPKID_PID'
	expect test_fault_disk_full_readyz_ok_again wait_ready 20
	expect test_fault_disk_full_consistent_after_recovery consistent
fi

echo "# fault suite done in $(($(date +%s) - t_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
