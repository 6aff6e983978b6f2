#!/usr/bin/env bash
# CRL benchmark (docs/foundation.md "Targets": a 1,000,000-entry shard from
# PostgreSQL to signed DER in at most 2 s), beside `openssl ca -gencrl` over
# an index.txt of the same entries with the same CA key.
#
# usage: tests/bench/crl.sh BUILDDIR [ENTRIES]
#
# A throwaway PostgreSQL cluster migrated by jpkictl, a development CA
# (jpkictl init), one municipality, and ENTRIES (default 1,000,000) rows in
# revocations for the SIGN shard 131016: random-looking 16-byte serials,
# the six R26 reasons in turn, an invalidity date on every third. The
# revocations -> certificates foreign key is dropped in this database only
# (the CRL builder reads nothing but revocations). tests/bench/crl_bench
# then runs the daemon's own publication path (crl_publish_due: advisory
# lock, COPY BINARY, ca/crl.c, signature, INSERT INTO crls, COPY of the
# DER into crl_parts) three times; the best run and the median are
# reported, each with its split from the daemon's "CRL built" log line. openssl ca -gencrl runs after it (never at the same time) on an
# index.txt exported from the same rows.
#
# JPKI_BENCH_BUSY=N runs N CPU-bound processes (openssl speed sha256)
# beside the timed part: the "machine busy" case of issue 15 (N = nproc
# keeps every core busy).
#
# Reported, not asserted: "1 passed, 0 failed" when both ran and both CRLs
# list ENTRIES certificates (and ours verifies); the 2 s target and the ratio
# are printed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: crl.sh BUILDDIR [ENTRIES]}" && pwd)
n=${2:-1000000}
busy=${JPKI_BENCH_BUSY:-0}
case $busy in '' | *[!0-9]*) echo "JPKI_BENCH_BUSY: a number of CPU burners" >&2; exit 2 ;; esac
case $n in '' | *[!0-9]* | 0) echo "usage: crl.sh BUILDDIR [ENTRIES>0]" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/jpkid-crlbench.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
ca=$work/ca
failed=0
cleanup() {
	jpki_pg_stop "$pg"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
	echo "# FAILED: $*"
	echo "0 passed, 1 failed"
	exit 1
}
ms_now() { date +%s%N | cut -c1-13; }

(cd "$build" && flock /tmp/jpkid-build.lock make -s tests/bench/crl_bench jpkictl) >/dev/null ||
	fail "building tests/bench/crl_bench"
jpki_pg_init "$pg" && jpki_pg_start "$pg" || fail "PostgreSQL"
jpki_pg_createdb "$pg" jpkid
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
"$build/jpkictl" migrate --db "$conninfo" > "$work/migrate.out" 2>&1 || fail "jpkictl migrate: $(cat "$work/migrate.out")"
"$build/jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 || fail "jpkictl init"

echo "# loading $n revocations into one shard"
t0=$(ms_now)
jpki_psql "$pg" jpkid -q > "$work/load.out" 2>&1 <<SQL || fail "loading: $(cat "$work/load.out")"
INSERT INTO municipalities (code, prefecture, name) VALUES ('131016', '東京都', '千代田区');
ALTER TABLE revocations DROP CONSTRAINT revocations_certificate_fkey;
INSERT INTO revocations (issuer, serial, crl_shard, revoked_at, reason, invalidity_date, not_after)
SELECT 'sign',
    decode('7a' || substr(md5(i::text), 1, 14) || lpad(to_hex(i), 16, '0'), 'hex'),
    '131016',
    now() - make_interval(secs => i),
    (ARRAY['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged',
        'superseded', 'cessationOfOperation'])[1 + i % 6],
    CASE WHEN i % 3 = 0 THEN date_trunc('second', now()) - make_interval(days => 1, secs => i) END,
    now() + interval '3 years'
FROM generate_series(1, $n) AS i;
VACUUM ANALYZE revocations;
SQL
echo "# loaded in $(( $(ms_now) - t0 )) ms"

# --- busy machine (JPKI_BENCH_BUSY=N): N CPU-bound processes at our
# priority for the whole timed part, ours and openssl's alike.
burners=()
stop_burners() { local p; for p in "${burners[@]}"; do kill "$p" 2>/dev/null; done; burners=(); }
trap 'stop_burners; cleanup' EXIT
if [ "$busy" -gt 0 ]; then
	for ((i = 0; i < busy; i++)); do
		openssl speed -seconds 200 sha256 >/dev/null 2>&1 &	# 6 sizes x 200 s: outlasts the bench
		burners+=($!)
	done
	echo "# busy: $busy CPU burners (openssl speed sha256) running beside the timed part"
fi

# --- ours: the daemon's path, three runs
"$build/tests/bench/crl_bench" "$conninfo" "$ca" 3 > "$work/ours.out" 2> "$work/ours.log" ||
	fail "crl_bench: $(tail -n 5 "$work/ours.log")"
sed 's/^/# jpkid: /' "$work/ours.out"
best=$(sed -n 's/^run [0-9]*: \([0-9]*\) ms.*/\1/p' "$work/ours.out" | sort -n | head -n1)
median=$(sed -n 's/^run [0-9]*: \([0-9]*\) ms.*/\1/p' "$work/ours.out" | sort -n | sed -n 2p)
grep 'msg="CRL built" issuer=sign' "$work/ours.log" | sed 's/.*entries=/# jpkid sign shard: entries=/'
# The DER as GET /crl serves it: crls.der, or its crl_parts in order (0015).
jpki_psql "$pg" jpkid -tAc "SELECT encode(coalesce(c.der, (SELECT string_agg(p.bytes, ''::bytea
    ORDER BY p.seq) FROM crl_parts p WHERE (p.issuer, p.shard, p.number) = (c.issuer, c.shard, c.number))),
    'hex') FROM crls c WHERE c.issuer = 'sign' ORDER BY c.number DESC LIMIT 1" | xxd -r -p > "$work/ours.der"
ours_entries=$(jpki_psql "$pg" jpkid -tAc "SELECT entries FROM crls WHERE issuer = 'sign' ORDER BY number DESC LIMIT 1")
openssl crl -inform DER -in "$work/ours.der" -CAfile "$ca/sign-ca.crt" -noout > "$work/ours.verify" 2>&1
ours_ok=$(grep -c "verify OK" "$work/ours.verify")

# --- openssl ca -gencrl over the same entries
echo "# exporting index.txt"
jpki_psql "$pg" jpkid -tAc "SELECT 'R' || E'\t' || to_char(not_after AT TIME ZONE 'UTC', 'YYMMDDHH24MISS') || 'Z'
    || E'\t' || to_char(revoked_at AT TIME ZONE 'UTC', 'YYMMDDHH24MISS') || 'Z'
    || CASE reason WHEN 'unspecified' THEN '' WHEN 'cACompromise' THEN ',CACompromise'
       ELSE ',' || reason END
    || E'\t' || upper(encode(serial, 'hex')) || E'\tunknown\t/CN=x'
    FROM revocations WHERE issuer = 'sign' AND crl_shard = '131016'" > "$work/index.txt"
echo "unique_subject = no" > "$work/index.txt.attr"
echo 01 > "$work/crlnumber"
cat > "$work/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $work/index.txt
crlnumber = $work/crlnumber
default_md = sha256
default_crl_hours = 48
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF
t0=$(ms_now)
openssl ca -config "$work/ca.cnf" -gencrl -keyfile "$ca/sign-ca.key" -cert "$ca/sign-ca.crt" \
	-out "$work/openssl.pem" > "$work/openssl.out" 2>&1 || fail "openssl ca -gencrl: $(tail -n 3 "$work/openssl.out")"
ossl=$(( $(ms_now) - t0 ))
stop_burners
ossl_entries=$(openssl crl -in "$work/openssl.pem" -noout -text | grep -c "Serial Number:")

echo "# ours:    $best ms (median of 3: $median ms) for $ours_entries entries ($(stat -c %s "$work/ours.der") bytes DER), signature ${ours_ok/1/verifies}"
echo "# openssl: $ossl ms for $ossl_entries entries (openssl ca -gencrl, index.txt already exported)"
echo "# ratio:   openssl / ours = $(awk "BEGIN { printf \"%.1f\", $ossl / ($best > 0 ? $best : 1) }")"
if [ "$best" -le 2000 ]; then
	echo "# target:  <= 2000 ms: met"
else
	echo "# target:  <= 2000 ms: NOT met"
fi
if [ "$ours_entries" = "$n" ] && [ "$ossl_entries" = "$n" ] && [ "$ours_ok" = 1 ]; then
	echo "1 passed, 0 failed"
else
	echo "# entries: ours $ours_entries, openssl $ossl_entries, want $n"
	failed=1
	echo "0 passed, 1 failed"
fi
exit $failed
