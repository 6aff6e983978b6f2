#!/usr/bin/env bash
# Issuance benchmark (docs/foundation.md "Targets"): certificates
# through the API, CSR to committed certificate, against the raw RSA-2048
# signing rate of `openssl speed -multi $(nproc) rsa2048` in the same run.
#
# usage: tests/bench/issuance.sh BUILDDIR [SECONDS]
#
# A throwaway PostgreSQL cluster, a development CA (jpkictl init), the
# enrolled terminals (as tests/api/run.sh), NRES adult residents of 131016
# with active My Number cards, one holder key + CSR. jpkid runs once per
# setting "THREADS:POOL" ([daemon] threads, [database] pool_size); the
# client (tests/bench/issuance_client, one keep-alive TLS connection per
# thread, 2 x nproc threads) issues AUTH certificates for SECONDS each, each
# setting on a fresh copy of the database (the same 64 residents collect
# ~100 superseded certificates each per run; carrying them over would slow
# the later settings down). The best setting is reported against openssl
# speed, which runs after the client (never at the same time).
#
# Per setting also: CPU in cores of jpkid, PostgreSQL and the client (from
# /proc and getrusage) and per issuance, the pool occupancy (/metrics), and
# the consistency checks: every serial the client received is in the
# database and nothing else is, one certificate.issue audit row each, and R9
# (each resident has exactly one valid AUTH, all others superseded).
#
# Environment:
#   JPKI_BENCH_SETTINGS	  "THREADS:POOL ..." (default: nproc-based, see below)
#   JPKI_BENCH_CLIENTS	  client threads (default 2 x nproc)
#   JPKI_BENCH_RESIDENTS  residents (default 64)
#   JPKI_BENCH_LOG_LEVEL  jpkid [daemon] log_level (default info, as deployed)
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

case $seconds in '' | *[!0-9]* | 0) echo "usage: issuance.sh BUILDDIR [SECONDS>0]" >&2; exit 2 ;; esac
case $nres in '' | *[!0-9]* | 0) echo "JPKI_BENCH_RESIDENTS: 1..99999" >&2; exit 2 ;; esac
[ "$nres" -le 99999 ] || { echo "JPKI_BENCH_RESIDENTS: 1..99999" >&2; exit 2; }

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
jpki_pg_init "$pg" && jpki_pg_start "$pg" || fail "cannot start PostgreSQL"
jpki_pg_createdb "$pg" jpkid >/dev/null
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

# One holder key and CSR: the subject is ignored, the key is the card's.
openssl req -new -newkey rsa:2048 -nodes -keyout "$work/holder.key" -subj "/CN=bench" \
	-outform DER -out "$work/holder.csr" 2>/dev/null || fail "openssl req"

# Every setting starts from this state: a copy of the database.
jpki_psql "$pg" postgres -q -c "CREATE DATABASE jpkid_seed TEMPLATE jpkid" || fail "seed database"
reset_db() {
	jpki_psql "$pg" postgres -q -c "DROP DATABASE jpkid" -c \
		"CREATE DATABASE jpkid TEMPLATE jpkid_seed OWNER jpkid" >/dev/null
}

# check_db SERIALS: what the client received against the database; prints a
# line and returns 1 when they differ or R9 does not hold.
check_db() {
	local serials=$1 received distinct in_db missing bad_r9 used superseded audit rc=0
	received=$(wc -l < "$serials")
	distinct=$(sort -u "$serials" | wc -l)
	in_db=$(db "SELECT count(*) FROM certificates")
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
	     FROM certificates WHERE type = 'auth' GROUP BY resident_code) AS r" | tr '|' ' ')
	superseded=$(db "SELECT count(*) FROM certificates WHERE status = 'revoked' AND reason = 'superseded'")
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
note "client: $nclients threads, $nres residents, ${seconds}s per setting, database reset before each; jpkid log_level=$log_level"
n=0
for s in $settings; do
	th=${s%%:*}
	pool=${s#*:}
	case $th:$pool in *[!0-9:]* | :* | *: | *:*:*) fail "setting $s: want THREADS:POOL" ;; esac
	n=$((n + 1))
	tag=$n-$th-$pool
	conf=$work/jpkid-$tag.conf
	log=$work/jpkid-$tag.log
	write_conf "$conf" "$th" "$pool"
	reset_db || fail "database reset"
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
	read -r busy0 idle0 < <(cpu_total)
	j0=$(cpu_of "$jp")
	read -ra pgp < <(pg_pids)
	p0=$(cpu_of "${pgp[@]}")
	t0=$(date +%s.%N)
	"$client" --url "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$term.crt" \
		--key "$ca/$term.key" --csr "$work/holder.csr" --residents "$work/residents" \
		--threads "$nclients" --seconds "$seconds" --serials "$work/serials-$tag" \
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

	sed 's/^/  /' "$work/client-$tag.out"
	if [ "$crc" != 0 ]; then
		sed 's/^/  # /' "$work/client-$tag.err"
		grep -q '^issuance:' "$work/client-$tag.out" || fail "client failed for $s"
		api_errors=1
	fi
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
			printf "  # WARNING: other processes took %.2f cores during this run: its rate is disturbed\n", other / w }'
	awk -v s="$s" '{ n++; t += $1; if ($1 > m) m = $1 } END {
		if (n) printf "  [threads:pool %s] pool in use: mean %.1f, max %d (%d samples)\n", s, t / n, m, n }' \
		"$work/inuse-$tag"
	grep -E '^jpkid_db_pool_wait_timeouts_total [1-9]|^jpkid_http_requests_total\{route="(application_create|certificate_issue)"' \
		"$work/metrics-$tag" | grep -v 'status="201"' | sed "s/^/  [threads:pool $s] /"
	awk -v s="$s" '/^jpkid_http_request_duration_seconds_(sum|count)\{route="(application_create|certificate_issue)"/ {
		split($1, a, "\""); k = a[2]; if ($1 ~ /_sum/) sum[k] = $2; else cnt[k] = $2 }
		END { for (k in cnt) if (cnt[k] > 0) printf "  [threads:pool %s] server time %s: mean %.1f ms over %d\n", s, k, 1000 * sum[k] / cnt[k], cnt[k] }' \
		"$work/metrics-$tag"
	if [ -n "$rate" ] && awk -v a="$rate" -v b="$best_rate" 'BEGIN { exit !(a > b) }'; then
		best_rate=$rate
		best=$s
		best_tag=$tag
		best_out=$(head -n2 "$work/client-$tag.out")
	fi
	check_db "$work/serials-$tag" > "$work/check-$tag" || db_errors=1
	sed "s/^/  [threads:pool $s] /" "$work/check-$tag"
done
[ -n "$best" ] || fail "no setting produced a rate"

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
grep -v '^#' "$work/check-$best_tag"

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
