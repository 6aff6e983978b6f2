#!/usr/bin/env bash
# Browser tests of the operator console (dashboard/): a throwaway PostgreSQL
# cluster, a development CA, demo register data, certificates issued through
# the API with curl, operators of every role with TOTP secrets, and jpkid
# serving the source tree's dashboard/ on its console listener. Debian's
# chromium is driven headless by playwright-core (npm, no browser download):
# tests/browser/t_*.mjs, run by suite.mjs.
#
# usage: tests/browser/run.sh BUILDDIR [OUTDIR]
# OUTDIR (default BUILDDIR/browser) keeps the screenshots (screens/*-ja.png,
# *-en.png) and the jpkid log. Prints "ok - NAME" / "not ok - NAME" per test
# and "N passed, N failed" last. BR_ONLY=regex runs matching tests only.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: run.sh BUILDDIR [OUTDIR]}" && pwd)
out=${2:-$build/browser}
jpkid=$build/jpkid
jpkictl=$build/jpkictl
PY=/usr/bin/python3

work=$(mktemp -d /tmp/jpkid-browser.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
ca=$work/ca
passed=0
failed=0
pids=()
rm -rf "$out"
mkdir -p "$out"

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	jpki_pg_stop "$pg"
	cp "$work/jpkid.log" "$out/jpkid.log" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
setup_failed() {
	echo "not ok - setup_$1${2:+: $2}"
	[ -f "$work/jpkid.log" ] && tail -n 20 "$work/jpkid.log" | sed 's/^/# /'
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
}

# The npm part: playwright-core only (package-lock.json), from the npm registry.
if [ ! -d "$top/tests/browser/node_modules/playwright-core" ]; then
	(cd "$top/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) > "$work/npm.out" 2>&1 ||
		{ cat "$work/npm.out"; setup_failed npm_ci; }
fi
[ -x /usr/bin/chromium ] || setup_failed chromium "/usr/bin/chromium is not installed (apt-get install chromium)"

# The same helpers as tests/api/run.sh, for tests/api/lib_issue.sh.
call() {
	local method=$1 url=$2 o
	shift 2
	: > "$work/body"
	o=$(curl -sS --max-time 15 -o "$work/body" -D "$work/hdrs" \
		-w '%{http_code} %{content_type}' -X "$method" "$@" "$url" 2>"$work/curl.err")
	STATUS=${o%% *}
}
tls() { echo --cacert "$ca/client-ca.crt" --cert "$ca/$1.crt" --key "$ca/$1.key"; }

jpki_pg_init "$pg" && jpki_pg_start "$pg" || setup_failed postgresql
jpki_pg_createdb "$pg" jpkid
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
"$jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 || { cat "$work/init.out"; setup_failed jpkictl_init; }
term_a=$(basename "$(ls "$ca"/terminal-131016.crt)" .crt)
term_b=$(basename "$(ls "$ca"/terminal-141003.crt)" .crt)
# A random base: several runs at once (helpers, CI neighbours) must not meet.
# 40000-49999: clear of the API suites (28443+, lane B 56443+), the fault
# suite (30443+) and the PostgreSQL clusters (54330-56329).
api_port=$(jpki_free_port $((40000 + RANDOM % 10000)))
status_port=$(jpki_free_port $((api_port + 1)))
console_port=$(jpki_free_port $((status_port + 1)))
conf=$work/jpkid.conf
jpki_write_config "$conf" "$ca" "$conninfo" "$api_port" "$status_port" "$console_port"
# Cheap Argon2id; every test logs in from 127.0.0.1, so no growing delay
# after failures and a higher address lock (both are tested in tests/api).
printf '\n[operators]\nargon2_memory_kib = 1024\nargon2_iterations = 1\naddress_lock_after = 500\ndelay_ms = 0\n' >> "$conf"
API=https://127.0.0.1:$api_port
ST=http://127.0.0.1:$status_port
CON=https://127.0.0.1:$console_port

"$jpkid" -c "$conf" >> "$work/jpkid.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 300; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200 ] && break
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200 ] || setup_failed jpkid_ready

# Register data: the demo municipalities and residents, the manifest's principals.
jpki_psql "$pg" jpkid -q -f "$top/deploy/demo/municipalities.sql" >/dev/null
$PY "$top/deploy/demo/residents.py" | jpki_psql "$pg" jpkid -q >/dev/null
"$jpkictl" enroll --db "$conninfo" --manifest "$ca/manifest.txt" > "$work/enroll.out" 2>&1 ||
	{ cat "$work/enroll.out"; setup_failed enroll; }

# Certificates through the API (both types, two municipalities), one revoked.
. "$top/tests/api/lib_issue.sh"
mkdir -p "$work/certs"
for code in 13101690001 13101690002 13101690003 14100390001 14100390002; do
	st_resident "$code" "${code:0:6}"
	st_issue "$code" || setup_failed issue "$code"
	cp "$work/st/$ST_SIGN.pem" "$work/certs/$code-sign.pem"
	cp "$work/st/$ST_AUTH.pem" "$work/certs/$code-auth.pem"
	printf '%s %s %s\n' "$code" "$ST_SIGN" "$ST_AUTH" >> "$work/certs/index.txt"
done
call POST "$API/v1/crls/publish" $(tls operator) -H 'Content-Type: application/json' --data-binary '{}'
[ "$STATUS" = 200 ] || setup_failed crl_publish "$STATUS"

# Operators of every role, one password, TOTP secrets for the tests.
printf 'browser-test-password-1\n' > "$work/pw"
secrets="{"
for u in br-view:viewer br-off:officer br-adm:admin br-off2:officer br-view2:viewer br-lock:viewer; do
	"$jpkictl" operator add "${u%%:*}" --role "${u#*:}" --display-name "Test ${u%%:*}" \
		--password-file "$work/pw" -c "$conf" > /dev/null 2>&1 || setup_failed operator_add "$u"
	"$jpkictl" operator totp "${u%%:*}" -c "$conf" > "$work/totp.uri" 2>/dev/null || setup_failed operator_totp "$u"
	s=$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' "$work/totp.uri")
	secrets="$secrets\"${u%%:*}\":\"$s\","
done
secrets="${secrets%,}}"

export BR_CON=$CON BR_ST=$ST BR_API=$API BR_CA=$ca BR_WORK=$work BR_OUT=$out BR_PG=$pg \
	BR_TOP=$top BR_PASSWORD=browser-test-password-1 BR_JPKICTL=$jpkictl BR_CONF=$conf \
	BR_SECRETS=$secrets BR_CERTS=$work/certs BR_CONNINFO=$conninfo
node "$top/tests/browser/suite.mjs"
rc=$?
exit $rc
