#!/usr/bin/env bash
# Issuance benchmark (docs/foundation.md "Targets"): certificates
# through the API, CSR to committed certificate, against the raw RSA-2048
# signing rate of `openssl speed -multi $(nproc) rsa2048` in the same run.
#
# usage: tests/bench/issuance.sh BUILDDIR [SECONDS]
#
# A throwaway PostgreSQL cluster, a development CA (jpkictl init), the
# enrolled terminals (as tests/api/run.sh), NRES adult residents of 131016
# with active My Number cards, a pool of holder keys + CSRs (below). jpkid runs once per
# setting "THREADS:POOL" ([daemon] threads, [database] pool_size); the
# client (tests/bench/issuance_client, one keep-alive TLS connection per
# thread, 2 x nproc threads) issues AUTH certificates for SECONDS each, each
# setting on a fresh copy of the database (the same 64 residents collect
# ~100 superseded certificates each per run; carrying them over would slow
# the later settings down). The best setting is reported against openssl
# speed, which runs after the client (never at the same time).
#
# Per setting also: CPU in cores of jpkid, PostgreSQL and the client (from
# /proc and getrusage) and per issuance, p50/p99 latency (the client times
# every request), the pool occupancy (/metrics), and per issuance (warm-up
# included: the counters cover the whole client run) the statements jpkid
# sends (pg_stat_statements, top level: one round trip each unless
# pipelined) and those run inside PostgreSQL for them (nested: triggers,
# foreign-key checks), transactions (pg_stat_database xact_commit), WAL
# flushes and writes (pg_stat_wal wal_sync, wal_write; the whole cluster),
# the five costliest statements by total time, the six costliest functions
# and triggers (track_functions); and the consistency checks:
# every serial the client received is in the database and nothing else is,
# one certificate.issue audit row each, and R9 (each resident has exactly
# one valid AUTH, all others superseded).
#
# Holder keys: since issue 13 a key is certified once (R22, 409
# key-in-use), so every issuance sends a CSR of its own key. The keys are
# made before anything is timed and kept across runs in $JPKI_KEYPOOL
# (default BUILDDIR/tests/keypool, shared with tests/api/lib_issue.sh: the
# same N.key files; N.csr beside them is the base64 DER CSR). Every setting
# starts from the same empty database, so each setting uses keys 1..K again.
# A setting needs rate x SECONDS + 3 x client threads (warm-up) keys: the
# default JPKI_BENCH_KEYS = 200 x SECONDS + 3 x threads covers 200/s (2,012
# for 10 s; the 0.25 target on this 2-core machine is ~220-450/s: raise it
# then); a run that uses them up stops early and says so (its rate still
# counts issued / elapsed). Making a key takes ~0.1-0.7 s of a CPU, once.
#
# JPKI_BENCH_PRELOAD=N (e.g. 1000000): after the settings, N certificates of
# other residents are loaded (preload_db below: INSERT ... SELECT
# generate_series, the triggers' work done in bulk and the foreign keys
# verified, then VACUUM ANALYZE; 267-280 s for 1M rows on the busy 2-core
# machine, ~2 GB), the best setting runs on it and then once more on the
# empty database; the rate is printed beside the empty rates with the ratio
# (goal: within 10%), with the plan of latest_certs there.
#
# Environment:
#   JPKI_BENCH_SETTINGS	  "THREADS:POOL ..." (default: nproc-based, see below)
#   JPKI_BENCH_CLIENTS	  client threads (default 2 x nproc)
#   JPKI_BENCH_RESIDENTS  residents (default 64)
#   JPKI_BENCH_LOG_LEVEL  jpkid [daemon] log_level (default info, as deployed)
#   JPKI_BENCH_KEYS	  holder keys in the pool (default 200 x SECONDS + 3 x threads)
#   JPKI_KEYPOOL	  where they are kept (default BUILDDIR/tests/keypool)
#   JPKI_BENCH_PRELOAD	  certificates to preload for the million-row mode (default 0: off)
#   JPKI_BENCH_TOP	  costliest statements listed per setting (default 5)
#   JPKI_BENCH_QLEN	  characters of each statement's text shown (default 110)
#   JPKI_BENCH_PRELOAD_DER  bytes of the placeholder DER of a preloaded row (default 1200,
#			  about a real AUTH certificate)
#   JPKI_BENCH_ATONCE	  1 (default): an issuance is one POST /v1/applications with
#			  "certificates" (the application and its certificate in one
#			  transaction, issue 15); 0: the two POSTs (application, then
#			  certificate), as before 2026-12-04
#   JPKI_BENCH_FLOOR	  1 (default): after the settings, SECONDS of GET /v1/whoami with
#			  the best setting (the fixed CPU cost of one API call, an
#			  issuance makes two), printed beside the target's CPU budget; 0 skips
#
# Reported, not asserted (the ratio is printed, not checked): "1 passed,
# 0 failed" when it ran, the API answered without errors and the database
# holds exactly what the client received; "0 passed, 1 failed" otherwise.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: issuance.sh BUILDDIR [SECONDS]}" && pwd)
seconds=${2:-10}
jpkid=$build/jpkid
jpkictl=$build/jpkictl
client=$build/tests/bench/issuance_client
ncpu=$(nproc)
nclients=${JPKI_BENCH_CLIENTS:-$((2 * ncpu))}
nres=${JPKI_BENCH_RESIDENTS:-64}
settings=${JPKI_BENCH_SETTINGS:-"$((2 * ncpu)):$((2 * ncpu)) $((4 * ncpu)):$((2 * ncpu)) $((4 * ncpu)):$((4 * ncpu))"}
log_level=${JPKI_BENCH_LOG_LEVEL:-info}
nkeys=${JPKI_BENCH_KEYS:-$((200 * seconds + 3 * nclients))}
keypool=${JPKI_KEYPOOL:-$build/tests/keypool}
preload=${JPKI_BENCH_PRELOAD:-0}
preload_der=${JPKI_BENCH_PRELOAD_DER:-1200}

case $seconds in '' | *[!0-9]* | 0) echo "usage: issuance.sh BUILDDIR [SECONDS>0]" >&2; exit 2 ;; esac
case $nres in '' | *[!0-9]* | 0) echo "JPKI_BENCH_RESIDENTS: 1..99999" >&2; exit 2 ;; esac
[ "$nres" -le 99999 ] || { echo "JPKI_BENCH_RESIDENTS: 1..99999" >&2; exit 2; }
case $nkeys in '' | *[!0-9]* | 0) echo "JPKI_BENCH_KEYS: a positive integer" >&2; exit 2 ;; esac
case $preload in '' | *[!0-9]*) echo "JPKI_BENCH_PRELOAD: a number of certificates" >&2; exit 2 ;; esac
case $preload_der in '' | *[!0-9]* | 0) echo "JPKI_BENCH_PRELOAD_DER: bytes > 0" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/jpkid-bench.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
ca=$work/ca
pids=()
failed=0

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	jpki_pg_stop "$pg"
	if [ "$failed" -gt 0 ]; then
		for p in "$work"/jpkid-*.log; do
			[ -f "$p" ] || continue
			echo "# $(basename "$p") (last 20 lines):"
			tail -n 20 "$p" | sed 's/^/# /'
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {	# fail MESSAGE: the benchmark could not run
	echo "# FAILED: $*"
	failed=1
	echo "0 passed, 1 failed"
	exit 1
}
note() { echo "# $*"; }

wait_ready() {	# wait_ready URL SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}
start_jpkid() {	# start_jpkid CONF LOG: background jpkid, sets JPKID_PID
	"$jpkid" -c "$1" >>"$2" 2>&1 &
	JPKID_PID=$!
	pids+=("$JPKID_PID")
}
stop_jpkid() {	# stop_jpkid PID: SIGTERM and wait
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
db() { jpki_psql "$pg" jpkid -tAc "$1"; }

# CPU seconds (user+system) of a process, and of the cluster's postgres
# processes (the postmaster and its children).
cpu_of() {	# cpu_of PID...
	local p sum=0 f
	for p in "$@"; do
		f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- $f
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}
pg_pids() {
	local pm
	pm=$(head -n1 "$pg/data/postmaster.pid")
	echo "$pm" "$(pgrep -P "$pm" | tr '\n' ' ')"
}
cpu_total() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }	# busy, idle+iowait

[ -x "$jpkid" ] && [ -x "$jpkictl" ] || fail "no $jpkid or $jpkictl: build first"
if [ ! -x "$client" ] || [ "$top/tests/bench/issuance_client.c" -nt "$client" ]; then
	make -C "$build" -s tests/bench/issuance_client >/dev/null || fail "cannot build $client"
fi
command -v openssl >/dev/null || fail "no openssl"

# ---------------------------------------------------------------- set-up (as tests/api/run.sh)
jpki_pg_init "$pg" || fail "cannot set up PostgreSQL"
# This throwaway cluster only: statement statistics, nested ones included;
# room for the preload's WAL without checkpoints in the middle of it (a
# 10 s run writes far less than either limit).
cat >> "$pg/data/postgresql.conf" <<CONF
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.max = 1000
track_functions = all
max_wal_size = 6GB
checkpoint_timeout = 30min
CONF
jpki_pg_start "$pg" || fail "cannot start PostgreSQL"
jpki_pg_createdb "$pg" jpkid >/dev/null
jpki_psql "$pg" postgres -q -c "CREATE EXTENSION pg_stat_statements" >/dev/null ||
	fail "CREATE EXTENSION pg_stat_statements"
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
"$jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 || { cat "$work/init.out"; fail "jpkictl init"; }
term=$(basename "$(ls "$ca"/terminal-131016.crt)" .crt)
api_port=$(jpki_free_port 29443)
status_port=$(jpki_free_port $((api_port + 1)))
API=https://127.0.0.1:$api_port
ST=http://127.0.0.1:$status_port

write_conf() {	# write_conf FILE THREADS POOL
	jpki_write_config "$1" "$ca" "$conninfo" "$api_port" "$status_port"
	sed -i -e "s/^threads = .*/threads = $2/" -e "s/^pool_size = .*/pool_size = $3/" \
		-e "s/^log_level = .*/log_level = $log_level/" "$1"
}

# First start: jpkid applies the migrations.
write_conf "$work/jpkid.conf" 4 4
start_jpkid "$work/jpkid.conf" "$work/jpkid-setup.log"
wait_ready "$ST" 30 || fail "jpkid did not become ready"
jpki_psql "$pg" jpkid -q -f "$top/deploy/demo/municipalities.sql" >/dev/null || fail "municipalities"
"$jpkictl" enroll --db "$conninfo" --manifest "$ca/manifest.txt" > "$work/enroll.out" 2>&1 ||
	{ cat "$work/enroll.out"; fail "jpkictl enroll"; }
stop_jpkid "$JPKID_PID"

# Residents 13101600001.. (the only residents here): adults of 千代田区, each with an active My Number
# card whose recorded four equal the register (R1-R3 pass, AUTH only).
jpki_psql "$pg" jpkid -q >/dev/null <<SQL || fail "resident fixtures"
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
db "SELECT resident_code FROM residents ORDER BY 1" \
	> "$work/residents" || fail "resident list"
[ "$(wc -l < "$work/residents")" = "$nres" ] || fail "expected $nres residents"

# The key pool (see the header): keys 1..nkeys, the missing ones made in
# parallel (one openssl per CPU), each with its CSR (the subject is ignored,
# the key is the card's). Keys as tests/api/lib_issue.sh makes them.
mkdir -p "$keypool" || fail "cannot create $keypool"
missing=0
for ((i = 1; i <= nkeys; i++)); do [ -s "$keypool/$i.csr" ] || missing=$((missing + 1)); done
if [ "$missing" -gt 0 ]; then
	note "key pool $keypool: making $missing of $nkeys keys (once; kept for later runs)"
	kt0=$(date +%s)
	for ((i = 1; i <= nkeys; i++)); do [ -s "$keypool/$i.csr" ] || echo "$i"; done |
		xargs -P "$ncpu" -I{} sh -c '
		k=$1/$2.key
		[ -s "$k" ] || { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$k.$$" 2>/dev/null && mv "$k.$$" "$k"; } || exit 1
		openssl req -new -key "$k" -subj /CN=ignored -outform DER 2>/dev/null |
			base64 -w0 > "$1/$2.csr.$$" && [ -s "$1/$2.csr.$$" ] &&
			echo >> "$1/$2.csr.$$" && mv "$1/$2.csr.$$" "$1/$2.csr"' sh "$keypool" {} ||
		fail "cannot make the holder keys"
	note "key pool: $missing keys in $(($(date +%s) - kt0)) s"
fi
for ((i = 1; i <= nkeys; i++)); do echo "$keypool/$i.csr"; done | xargs cat > "$work/csrs" ||
	fail "key pool"
[ "$(wc -l < "$work/csrs")" = "$nkeys" ] || fail "key pool: expected $nkeys CSRs"

# Every setting starts from this state: a copy of the database.
jpki_psql "$pg" postgres -q -c "CREATE DATABASE jpkid_seed TEMPLATE jpkid" || fail "seed database"
reset_db() {	# reset_db [TEMPLATE]
	jpki_psql "$pg" postgres -q -c "DROP DATABASE jpkid" -c \
		"CREATE DATABASE jpkid TEMPLATE ${1:-jpkid_seed} OWNER jpkid STRATEGY FILE_COPY" >/dev/null
}
pgc() { jpki_psql "$pg" postgres -tAc "$1"; }	# cluster-wide views, not counted in jpkid

# preload_db N: database jpkid_big = the seed + N certificates of R = 2N/5
# other residents (codes 5000..., cards 5000..., four municipalities), with
# the serials they reference. Row triggers and foreign-key checks would take
# minutes for a million rows (a busy 2-core machine: > 4 min), so the rows
# go in with session_replication_role = replica (CHECK constraints still
# apply) and what the triggers would have done is then done in bulk and
# verified: the revocations rows of certificates_revoked() (its pg_notify has
# no listener while jpkid is down), stats_rebuild() for the stats triggers,
# key_sha256 given (certificates_key_fingerprint() accepts it: der is no
# certificate), and every foreign key checked by anti-joins. The mix, a steady state
# five years in (a card's certificates renewed once):
#   slot 0, every resident: AUTH, valid; 1 in 20 revoked keyCompromise (lost card)
#   slot 1, every resident: SIGN, valid; 1 in 25 revoked affiliationChanged (R10)
#   slot 2, the first N/5 residents: their earlier AUTH, revoked superseded
# i.e. ~76% valid, 20% superseded, 4% revoked otherwise. Serials are 8 octets
# 7f..., never the bench's 16 random octets; key_sha256 = SHA-256 of
# "preload" || c, never a real key's; der is a placeholder of
# JPKI_BENCH_PRELOAD_DER bytes (not a certificate, so the fingerprint
# trigger accepts the given key_sha256), application_id NULL.
preload_db() {
	local n=$1 r=$(( ($1 * 2 + 4) / 5 ))
	jpki_psql "$pg" postgres -q -c "CREATE DATABASE jpkid_big TEMPLATE jpkid_seed" >/dev/null || return 1
	jpki_psql "$pg" jpkid_big -q -v ON_ERROR_STOP=1 >/dev/null <<SQL || return 1
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO residents (resident_code, municipality_code, family_name, given_name,
    birth_date, sex, address)
SELECT '5' || lpad(i::text, 10, '0'), (ARRAY['131016','131041','141003','141305'])[i % 4 + 1],
    '負荷', '花子', DATE '1940-01-01' + (i * 37) % 25000, CASE WHEN i % 2 = 0 THEN '2' ELSE '1' END,
    '東京都千代田区千代田２丁目' || i || '番'
FROM generate_series(1, $r) AS i;
INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on, status,
    card_family_name, card_given_name, card_former_surname, card_birth_date, card_sex,
    card_address)
SELECT '5' || r.resident_code, r.resident_code, 'mynumber',
    current_date - 1000, current_date + 2650, 'active',
    r.family_name, r.given_name, r.former_surname, r.birth_date, r.sex, r.address
FROM residents r WHERE r.resident_code LIKE '5%';
CREATE TEMP TABLE pre AS
SELECT c, (c - 1) % $r + 1 AS i, (c - 1) / $r AS slot,
    '\x7f'::bytea || substring(int8send(c) FROM 2) AS serial
FROM generate_series(1, $n) AS c;
INSERT INTO serials (serial, issuer, reserved_at)
SELECT serial, CASE WHEN slot = 1 THEN 'sign' ELSE 'auth' END, now() - interval '1 day' FROM pre;
INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,
    not_before, not_after, status, revoked_at, reason, crl_shard, der, issued_at, key_sha256)
SELECT t.type, p.serial, t.type, '5' || lpad(p.i::text, 10, '0'),
    '55' || lpad(p.i::text, 10, '0'), 'CN=preload ' || p.c, t.at, t.at + interval '5 years',
    t.status, CASE WHEN t.status = 'revoked' THEN t.rev END,
    CASE WHEN t.status = 'revoked' THEN t.reason END,
    (ARRAY['131016','131041','141003','141305'])[p.i % 4 + 1],
    decode(repeat('00', $preload_der), 'hex'), t.at,
    sha256(convert_to('preload' || p.c, 'UTF8'))
FROM pre p, LATERAL (SELECT
    CASE WHEN p.slot = 1 THEN 'sign' ELSE 'auth' END AS type,
    now() - (p.i % 1500) * interval '1 day' - CASE WHEN p.slot = 2 THEN interval '4 years'
        ELSE interval '0' END AS at,
    now() - (p.i % 1500) * interval '1 day' AS rev,
    CASE WHEN p.slot = 2 OR (p.slot = 0 AND p.i % 20 = 0) OR (p.slot = 1 AND p.i % 25 = 0)
        THEN 'revoked' ELSE 'valid' END AS status,
    CASE p.slot WHEN 0 THEN 'keyCompromise' WHEN 1 THEN 'affiliationChanged'
        ELSE 'superseded' END AS reason) AS t;
INSERT INTO revocations (issuer, serial, crl_shard, revoked_at, reason, invalidity_date, not_after)
SELECT issuer, serial, crl_shard, revoked_at, reason, invalidity_date, not_after
FROM certificates WHERE status = 'revoked' AND resident_code LIKE '5%';
SET LOCAL session_replication_role = origin;
DO \$\$ BEGIN
	IF EXISTS (SELECT 1 FROM certificates c LEFT JOIN serials s USING (issuer, serial)
	        WHERE s.serial IS NULL) OR
	    EXISTS (SELECT 1 FROM certificates c LEFT JOIN cards k USING (card_number, resident_code)
	        WHERE k.card_number IS NULL) OR
	    EXISTS (SELECT 1 FROM certificates c LEFT JOIN municipalities m ON m.code = c.crl_shard
	        WHERE m.code IS NULL) OR
	    EXISTS (SELECT 1 FROM cards k LEFT JOIN residents r USING (resident_code)
	        WHERE r.resident_code IS NULL) OR
	    EXISTS (SELECT 1 FROM residents r LEFT JOIN municipalities m ON m.code = r.municipality_code
	        WHERE m.code IS NULL) OR
	    EXISTS (SELECT 1 FROM certificates c LEFT JOIN revocations v USING (issuer, serial)
	        WHERE (c.status = 'revoked') <> (v.serial IS NOT NULL)) OR
	    EXISTS (SELECT resident_code, type FROM certificates WHERE status = 'valid'
	        GROUP BY 1, 2 HAVING count(*) > 1) THEN
		RAISE EXCEPTION 'preload: a foreign key, R9 or a revocations row does not hold';
	END IF;
END \$\$;
SELECT stats_rebuild(now());
COMMIT;
VACUUM ANALYZE;
SQL
}

# check_db SERIALS: what the client received against the database (the
# bench's residents 131016xxxxx only: preloaded rows are not the client's);
# prints a line and returns 1 when they differ or R9 does not hold.
check_db() {
	local serials=$1 received distinct in_db missing bad_r9 used superseded audit rc=0
	received=$(wc -l < "$serials")
	distinct=$(sort -u "$serials" | wc -l)
	in_db=$(db "SELECT count(*) FROM certificates WHERE resident_code LIKE '131016%'")
	missing=$(jpki_psql "$pg" jpkid -tA <<SQL
CREATE TEMP TABLE got (serial text);
\copy got FROM '$serials'
SELECT count(*) FROM got g LEFT JOIN certificates c ON c.serial = decode(g.serial, 'hex')
WHERE c.serial IS NULL;
SQL
)
	# R9: a resident who got certificates has exactly one valid AUTH.
	read -r used bad_r9 < <(db "SELECT count(*), count(*) FILTER (WHERE valid <> 1) FROM
	    (SELECT resident_code, count(*) FILTER (WHERE status = 'valid') AS valid
	     FROM certificates WHERE type = 'auth' AND resident_code LIKE '131016%'
	     GROUP BY resident_code) AS r" | tr '|' ' ')
	superseded=$(db "SELECT count(*) FROM certificates WHERE status = 'revoked' AND
	    reason = 'superseded' AND resident_code LIKE '131016%'")
	audit=$(db "SELECT count(*) FROM audit_log WHERE action = 'certificate.issue'")
	echo "consistency: client received $received certificates ($distinct distinct serials), database holds $in_db, received but missing from the database: $missing; certificate.issue audit rows: $audit"
	echo "consistency: R9: residents with certificates $used, of which without exactly one valid AUTH: $bad_r9; superseded $superseded (expected $((in_db - used)))"
	[ "$received" = "$distinct" ] && [ "$received" = "$in_db" ] && [ "$missing" = 0 ] &&
		[ "$audit" = "$in_db" ] || { echo "# the database does not hold exactly what the client received"; rc=1; }
	[ "$bad_r9" = 0 ] && [ "$superseded" = "$((in_db - used))" ] || { echo "# R9 violated"; rc=1; }
	return $rc
}

# ---------------------------------------------------------------- issuance, per setting
best_rate=0
best=""
best_tag=""
best_out=""
api_errors=0
db_errors=0
note "machine: $ncpu CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
atonce_flag=
if [ "${JPKI_BENCH_ATONCE:-1}" = 1 ]; then
	atonce_flag=--at-once
	note "issuance: one POST /v1/applications with \"certificates\" (at once; JPKI_BENCH_ATONCE=0: two POSTs)"
else
	note "issuance: POST /v1/applications, then POST /v1/applications/{id}/certificates"
fi
note "client: $nclients threads, $nres residents, ${seconds}s per setting, database reset before each; jpkid log_level=$log_level"
# run_setting N THREADS:POOL TEMPLATE: one timed run on a fresh copy of
# TEMPLATE; sets rate (empty when none) and tag, prints the figures.
run_setting() {
	local n=$1 s=$2 template=$3 th pool conf log jp sampler crc t0 t1 j0 j1 p0 p1 busy0 idle0 \
		busy1 idle1 ccpu total x0 x1 w0 w1 i
	local -a pgp
	th=${s%%:*}
	pool=${s#*:}
	case $th:$pool in *[!0-9:]* | :* | *: | *:*:*) fail "setting $s: want THREADS:POOL" ;; esac
	tag=$n-$th-$pool
	conf=$work/jpkid-$tag.conf
	log=$work/jpkid-$tag.log
	write_conf "$conf" "$th" "$pool"
	reset_db "$template" || fail "database reset"
	: > "$work/serials-$tag"
	start_jpkid "$conf" "$log"
	jp=$JPKID_PID
	wait_ready "$ST" 30 || fail "jpkid ($s) did not become ready"

	# Pool occupancy, sampled once a second while the client runs (a curl
	# process each time: more often would take CPU from the benchmark).
	(
		while :; do
			curl -s "$ST/metrics" | awk '/^jpkid_db_pool_in_use / { print $2 }'
			sleep 1
		done
	) > "$work/inuse-$tag" 2>/dev/null &
	sampler=$!
	pids+=("$sampler")
	pgc "SELECT pg_stat_statements_reset()" >/dev/null
	x0=$(pgc "SELECT xact_commit FROM pg_stat_database WHERE datname = 'jpkid'")
	w0=$(pgc "SELECT wal_sync || ' ' || wal_write FROM pg_stat_wal")
	read -r busy0 idle0 < <(cpu_total)
	j0=$(cpu_of "$jp")
	read -ra pgp < <(pg_pids)
	p0=$(cpu_of "${pgp[@]}")
	t0=$(date +%s.%N)
	"$client" --url "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$term.crt" \
		--key "$ca/$term.key" --csrs "$work/csrs" --residents "$work/residents" \
		--threads "$nclients" --seconds "$seconds" --serials "$work/serials-$tag" $atonce_flag \
		> "$work/client-$tag.out" 2> "$work/client-$tag.err"
	crc=$?
	t1=$(date +%s.%N)
	j1=$(cpu_of "$jp")
	read -ra pgp < <(pg_pids)
	p1=$(cpu_of "${pgp[@]}")
	read -r busy1 idle1 < <(cpu_total)
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	curl -s "$ST/metrics" > "$work/metrics-$tag"
	stop_jpkid "$jp"
	# Backends report their counters when they exit: wait for them.
	for ((i = 0; i < 50; i++)); do
		[ "$(pgc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'jpkid'")" = 0 ] && break
		sleep 0.1
	done
	x1=$(pgc "SELECT xact_commit FROM pg_stat_database WHERE datname = 'jpkid'")
	w1=$(pgc "SELECT wal_sync || ' ' || wal_write FROM pg_stat_wal")
	pgc "SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0),
	    coalesce(sum(calls) FILTER (WHERE toplevel AND query ~* '^(BEGIN|START|COMMIT|END)'), 0),
	    coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)
	    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	    WHERE d.datname = 'jpkid'" > "$work/pgss-$tag"
	pgc "SELECT round(total_exec_time::numeric, 1), calls,
	    round(mean_exec_time::numeric, 3), toplevel,
	    left(regexp_replace(query, '\s+', ' ', 'g'), ${JPKI_BENCH_QLEN:-110})
	    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	    WHERE d.datname = 'jpkid' ORDER BY total_exec_time DESC LIMIT ${JPKI_BENCH_TOP:-5}" > "$work/top-$tag"
	# The statements jpkid sends that read or write certificates (the
	# million-row mode compares their means with the empty database's).
	pgc "SELECT calls, round(mean_exec_time::numeric, 3),
	    left(regexp_replace(query, '\s+', ' ', 'g'), ${JPKI_BENCH_QLEN:-110})
	    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	    WHERE d.datname = 'jpkid' AND toplevel AND query ~ 'certificates'
	    ORDER BY mean_exec_time DESC" > "$work/certq-$tag"

	sed 's/^/  /' "$work/client-$tag.out"
	if [ "$crc" != 0 ]; then
		sed 's/^/  # /' "$work/client-$tag.err"
		grep -q '^issuance:' "$work/client-$tag.out" || fail "client failed for $s"
		api_errors=1
	fi
	grep -q 'the pool ran out' "$work/client-$tag.out" &&
		echo "  # WARNING: the key pool ran out: the window was cut short; raise JPKI_BENCH_KEYS"
	rate=$(sed -n 's/^issuance: .* = \([0-9.]*\)\/s .*/\1/p' "$work/client-$tag.out")
	ccpu=$(sed -n 's/.*client CPU \([0-9.]*\) s user + \([0-9.]*\) s system.*/\1 \2/p' \
		"$work/client-$tag.out" | awk '{ print $1 + $2 }')
	awk -v t0="$t0" -v t1="$t1" -v j="$((j1 - j0))" -v p="$((p1 - p0))" -v c="${ccpu:-0}" \
		-v b="$((busy1 - busy0))" -v i="$((idle1 - idle0))" -v hz="$(getconf CLK_TCK)" \
		-v s="$s" -v r="${rate:-0}" 'BEGIN {
		w = t1 - t0; j /= hz; p /= hz; b /= hz; i /= hz
		other = b - j - p - c; if (other < 0) other = 0
		printf "  [threads:pool %s] CPU in cores over %.1fs: jpkid %.2f, postgres %.2f, client %.2f, other %.2f; machine busy %.0f%%\n",
		    s, w, j / w, p / w, c / w, other / w, ((b + i) > 0 ? 100 * b / (b + i) : 0)
		if (r > 0)
			printf "  [threads:pool %s] CPU ms per issuance: jpkid %.2f, postgres %.2f, client %.2f\n",
			    s, 1000 * j / w / r, 1000 * p / w / r, 1000 * c / w / r
		if (other / w > 0.3)
			printf "  # WARNING: other processes took %.2f cores during this run: its rate is disturbed\n", other / w }' |
		tee "$work/cpu-$tag"
	awk -v s="$s" '{ n++; t += $1; if ($1 > m) m = $1 } END {
		if (n) printf "  [threads:pool %s] pool in use: mean %.1f, max %d (%d samples)\n", s, t / n, m, n }' \
		"$work/inuse-$tag"
	grep -E '^jpkid_db_pool_wait_timeouts_total [1-9]|^jpkid_http_requests_total\{route="(application_create|certificate_issue)"' \
		"$work/metrics-$tag" | grep -v 'status="201"' | sed "s/^/  [threads:pool $s] /"
	awk -v s="$s" '/^jpkid_http_request_duration_seconds_(sum|count)\{route="(application_create|certificate_issue)"/ {
		split($1, a, "\""); k = a[2]; if ($1 ~ /_sum/) sum[k] = $2; else cnt[k] = $2 }
		END { for (k in cnt) if (cnt[k] > 0) printf "  [threads:pool %s] server time %s: mean %.1f ms over %d\n", s, k, 1000 * sum[k] / cnt[k], cnt[k] }' \
		"$work/metrics-$tag"
	# Per issuance, warm-up included (the counters cover the whole client run).
	total=$(sed -n 's/^issued_total: \([0-9]*\) .*/\1/p' "$work/client-$tag.out")
	read -r w1s w1w <<<"$w1"
	read -r w0s w0w <<<"$w0"
	IFS='|' read -r st_top st_bc st_nested < "$work/pgss-$tag"
	awk -v s="$s" -v n="${total:-0}" -v top="$st_top" -v bc="$st_bc" -v nest="$st_nested" \
		-v x="$((x1 - x0))" -v ws="$((w1s - w0s))" -v ww="$((w1w - w0w))" 'BEGIN {
		if (n > 0) printf "  [threads:pool %s] per issuance (%d, warm-up included): statements sent %.1f (BEGIN/COMMIT %.1f), nested in PostgreSQL %.1f, transactions %.2f, WAL flushes %.2f (wal_sync), WAL writes %.2f\n",
		    s, n, top / n, bc / n, nest / n, x / n, ws / n, ww / n }'
	echo "  [threads:pool $s] costliest statements (total ms | calls | mean ms | top level | query):"
	sed 's/^/      /' "$work/top-$tag"
	echo "  [threads:pool $s] statements on certificates (calls | mean ms | query):"
	sed 's/^/      /' "$work/certq-$tag"
	# Triggers and SQL functions (track_functions = all; a fresh database
	# per setting, so the counters are this run's), by their own time.
	db "SELECT round(self_time::numeric, 1) || '|' || calls || '|' ||
	    round((self_time / greatest(calls, 1))::numeric, 3) || '|' || funcname
	    FROM pg_stat_user_functions ORDER BY self_time DESC LIMIT 6" > "$work/funcs-$tag"
	echo "  [threads:pool $s] functions and triggers (self ms | calls | mean ms | function):"
	sed 's/^/      /' "$work/funcs-$tag"
	check_db "$work/serials-$tag" > "$work/check-$tag" || db_errors=1
	sed "s/^/  [threads:pool $s] /" "$work/check-$tag"
}

n=0
for s in $settings; do
	n=$((n + 1))
	run_setting "$n" "$s" jpkid_seed
	if [ -n "$rate" ] && awk -v a="$rate" -v b="$best_rate" 'BEGIN { exit !(a > b) }'; then
		best_rate=$rate
		best=$s
		best_tag=$tag
		best_out=$(head -n3 "$work/client-$tag.out")
	fi
done
[ -n "$best" ] || fail "no setting produced a rate"

# ---------------------------------------------------------------- the million-row mode
if [ "$preload" -gt 0 ]; then
	echo
	note "preload: $preload certificates (database jpkid_big) ..."
	lt0=$(date +%s.%N)
	preload_db "$preload" || fail "preload"
	lt1=$(date +%s.%N)
	jpki_psql "$pg" jpkid_big -tA -c "SELECT count(*), count(*) FILTER (WHERE status = 'valid'),
	    count(*) FILTER (WHERE reason = 'superseded'),
	    count(*) FILTER (WHERE status = 'revoked' AND reason <> 'superseded'),
	    pg_size_pretty(pg_total_relation_size('certificates'))
	    FROM certificates" | awk -F'|' -v t="$(awk -v a="$lt0" -v b="$lt1" 'BEGIN { print b - a }')" '{
		printf "# preload: %d certificates (valid %d, superseded %d, revoked otherwise %d; table %s) in %.1f s (with VACUUM ANALYZE)\n",
		    $1, $2, $3, $4, $5, t }'
	n=$((n + 1))
	echo "preloaded database, setting $best:"
	run_setting "$n" "$best" jpkid_big
	big_rate=${rate:-0}
	# The plan of latest_certs (its text as jpkid prepared it, from
	# pg_stat_statements) for a preloaded resident with all three slots.
	q=$(pgc "SELECT s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	    WHERE d.datname = 'jpkid' AND s.toplevel AND s.query LIKE 'SELECT DISTINCT ON (type)%'
	    LIMIT 1")
	if [ -n "$q" ]; then
		echo "  latest_certs on the preloaded database (custom plan):"
		jpki_psql "$pg" jpkid -tA -c "PREPARE lc AS $q" \
			-c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE lc('50000000002')" |
			sed 's/^/      /'
	fi
	n=$((n + 1))
	echo "empty database again, setting $best:"
	run_setting "$n" "$best" jpkid_seed
	again_rate=${rate:-0}
fi

# ---------------------------------------------------------------- the floor of an API call
# GET /v1/whoami with the best setting and the same client threads: TLS
# record, client certificate, principal lookup (one statement), routing,
# JSON, log line, no write. An issuance is two API calls; their fixed cost
# beside the issuance's CPU says how much of it is the call itself.
floor_ms=""
if [ "${JPKI_BENCH_FLOOR:-1}" = 1 ]; then
	reset_db jpkid_seed || fail "database reset"
	start_jpkid "$work/jpkid-$best_tag.conf" "$work/jpkid-floor.log"
	wait_ready "$ST" 30 || fail "jpkid (floor) did not become ready"
	j0=$(cpu_of "$JPKID_PID")
	read -ra pgp < <(pg_pids)
	p0=$(cpu_of "${pgp[@]}")
	t0=$(date +%s.%N)
	"$client" --get /v1/whoami --url "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$term.crt" \
		--key "$ca/$term.key" --threads "$nclients" --seconds "$seconds" \
		> "$work/client-floor.out" 2> "$work/client-floor.err" || { sed 's/^/  # /' "$work/client-floor.err"; api_errors=1; }
	t1=$(date +%s.%N)
	j1=$(cpu_of "$JPKID_PID")
	read -ra pgp < <(pg_pids)
	p1=$(cpu_of "${pgp[@]}")
	stop_jpkid "$JPKID_PID"
	echo
	echo "floor (setting $best, $nclients client threads):"
	sed 's/^/  /' "$work/client-floor.out"
	frate=$(sed -n 's/^get .* = \([0-9.]*\)\/s .*/\1/p' "$work/client-floor.out")
	fccpu=$(sed -n 's/.*client CPU \([0-9.]*\) s user + \([0-9.]*\) s system.*/\1 \2/p' \
		"$work/client-floor.out" | awk '{ print $1 + $2 }')
	floor_ms=$(awk -v t0="$t0" -v t1="$t1" -v j="$((j1 - j0))" -v p="$((p1 - p0))" \
		-v c="${fccpu:-0}" -v hz="$(getconf CLK_TCK)" -v r="${frate:-0}" 'BEGIN {
		w = t1 - t0; if (r > 0) printf "%.3f %.3f %.3f", 1000 * j / hz / w / r, 1000 * p / hz / w / r, 1000 * c / w / r }')
	[ -n "$floor_ms" ] && awk -v f="$floor_ms" 'BEGIN { split(f, a, " ")
		printf "  CPU ms per GET: jpkid %.2f, postgres %.2f, client %.2f (total %.2f)\n", a[1], a[2], a[3], a[1] + a[2] + a[3] }'
fi

# ---------------------------------------------------------------- the peer
openssl speed -multi "$ncpu" -seconds "$seconds" rsa2048 > "$work/speed.out" 2>&1 ||
	fail "openssl speed"
sign=$(awk '/^rsa 2048 bits / { print $6 }' "$work/speed.out" | tail -n1)
[ -n "$sign" ] || { cat "$work/speed.out"; fail "cannot parse openssl speed output"; }

echo
echo "best setting: [daemon] threads = ${best%%:*}, [database] pool_size = ${best#*:} (client threads $nclients)"
echo "$best_out"
echo "issuance/s: $best_rate"
echo "openssl rsa2048 sign/s (-multi $ncpu): $sign"
awk -v x="$best_rate" -v y="$sign" 'BEGIN { printf "ratio: %.3f (target >= 0.25)\n", x / y }'
# What the target leaves per issuance: ncpu cores / (0.25 x sign/s), beside
# the best setting's CPU and the floor of its API calls (one at once, else two).
if [ -n "$floor_ms" ]; then
	sed -n 's/.*CPU ms per issuance: jpkid \([0-9.]*\), postgres \([0-9.]*\), client \([0-9.]*\).*/\1 \2 \3/p' \
		"$work/cpu-$best_tag" 2>/dev/null | head -n1 > "$work/best-cpu"
	awk -v f="$floor_ms" -v y="$sign" -v n="$ncpu" -v b="$(cat "$work/best-cpu" 2>/dev/null)" \
		-v calls="$([ -n "$atonce_flag" ] && echo 1 || echo 2)" 'BEGIN {
		split(f, a, " "); split(b, c, " ")
		budget = 1000 * n / (0.25 * y); fl = calls * (a[1] + a[2] + a[3])
		printf "CPU budget per issuance at the target: %.2f ms (%d cores / (0.25 x %d sign/s)); the floor of its %d API call(s): %.2f ms (%.0f%% of it)", budget, n, y, calls, fl, 100 * fl / budget
		if (c[1] != "") printf "; the best setting used %.2f ms", c[1] + c[2] + c[3]
		printf "\n" }'
fi
grep -v '^#' "$work/check-$best_tag"
if [ "$preload" -gt 0 ]; then
	awk -v a="$best_rate" -v b="$again_rate" -v p="$big_rate" -v n="$preload" 'BEGIN {
		e = (a + b) / 2
		printf "issuance/s with %d certificates preloaded: %.1f; empty database: %.1f and %.1f (mean %.1f)\n", n, p, a, b, e
		printf "preload ratio: %.3f (goal >= 0.90)\n", (e > 0 ? p / e : 0) }'
fi

ok=1
[ "$api_errors" = 0 ] || { echo "# the API answered with errors (see above)"; ok=0; }
[ "$db_errors" = 0 ] || { echo "# consistency failed for a setting (see above)"; ok=0; }
if [ "$ok" = 1 ]; then
	echo "1 passed, 0 failed"
else
	failed=1
	echo "0 passed, 1 failed"
	exit 1
fi
