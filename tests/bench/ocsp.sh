#!/usr/bin/env bash
# OCSP benchmark (docs/foundation.md "Targets": cached OCSP GET
# at least 80% of nginx serving a static pre-signed response file).
#
# usage: tests/bench/ocsp.sh BUILDDIR [SECONDS]
#
# A throwaway PostgreSQL cluster, a development CA (jpkictl init), jpkid
# with [daemon] threads = nproc, one SIGN certificate inserted in SQL and its
# RFC 5019 GET URL (no nonce: served from jpkid's response cache). The
# response is fetched once into a file that nginx (loopback, own prefix,
# worker_processes = the same nproc, access_log off) serves at the same
# path; `openssl ocsp` as a responder (-index, -multi nproc) is the third
# peer. wrk -t2 -c32 -d SECONDS against each, one after the other (never at
# the same time), prints requests/s and the ratios jpkid/nginx (target >=
# 0.8) and jpkid/openssl.
#
# Packages (Debian 12) beyond JPKI_PACKAGES, installed with apt-get when
# missing: JPKI_BENCH_PACKAGES.
#
# Environment:
#   JPKI_BENCH_THREADS    jpkid [daemon] threads and nginx workers (default nproc)
#   JPKI_BENCH_LOG_LEVELS jpkid [daemon] log_level of each jpkid run (default
#                         "info warn": as deployed, one line per request, and
#                         without the per-request line; the ratio is per run)
#
# Reported, not asserted: "1 passed, 0 failed" when all three peers ran and
# answered the same good status; "0 passed, 1 failed" otherwise.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: ocsp.sh BUILDDIR [SECONDS]}" && pwd)
seconds=${2:-10}
jpkid=$build/jpkid
jpkictl=$build/jpkictl
threads=${JPKI_BENCH_THREADS:-$(nproc)}
log_levels=${JPKI_BENCH_LOG_LEVELS:-info warn}
JPKI_BENCH_PACKAGES="wrk nginx-light"

case $seconds in '' | *[!0-9]* | 0) echo "usage: ocsp.sh BUILDDIR [SECONDS>0]" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/jpkid-bench-ocsp.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
ca=$work/ca
pids=()
ossl_pid=
nginx_pid=
failed=0

gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
stop_pid() {	# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do gone "$1" && return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}
cleanup() {
	local p kids
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	# openssl ocsp -multi: its children outlive the parent; nginx: the
	# master stops its workers.
	if [ -n "$ossl_pid" ]; then
		kids=$(pgrep -P "$ossl_pid")
		for p in "$ossl_pid" $kids; do stop_pid "$p"; done
	fi
	[ -n "$nginx_pid" ] && stop_pid "$nginx_pid"
	jpki_pg_stop "$pg"
	if [ "$failed" -gt 0 ]; then
		for p in "$work"/*.log "$work"/nginx/error.log; do
			[ -f "$p" ] || continue
			echo "# $(basename "$p") (last 20 lines):"
			tail -n 20 "$p" | sed 's/^/# /'
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "# FAILED: $*"
	failed=1
	echo "0 passed, 1 failed"
	exit 1
}
note() { echo "# $*"; }
db() { jpki_psql "$pg" jpkid -tAc "$1"; }
wait_http() {	# wait_http URL SECONDS: any HTTP answer
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" != 000 ] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- packages
missing=""
for p in $JPKI_BENCH_PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || fail "run as root or install:$missing"
	note "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		fail "apt-get install$missing"
	# nginx-light's postinst may start the system nginx (port 80): not ours to keep.
	command -v systemctl >/dev/null && systemctl stop nginx 2>/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$jpkid" ] && [ -x "$jpkictl" ] || fail "no $jpkid or $jpkictl: build first"

# ---------------------------------------------------------------- set-up
jpki_pg_init "$pg" && jpki_pg_start "$pg" || fail "cannot start PostgreSQL"
jpki_pg_createdb "$pg" jpkid >/dev/null
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
"$jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 || { cat "$work/init.out"; fail "jpkictl init"; }
api_port=$(jpki_free_port 30443)
status_port=$(jpki_free_port $((api_port + 1)))
nginx_port=$(jpki_free_port $((api_port + 2)))
ossl_port=$(jpki_free_port $((api_port + 3)))
ST=http://127.0.0.1:$status_port
jpki_write_config "$work/jpkid.conf" "$ca" "$conninfo" "$api_port" "$status_port"
sed -i -e "s/^threads = .*/threads = $threads/" "$work/jpkid.conf"
"$jpkid" -c "$work/jpkid.conf" >> "$work/jpkid.log" 2>&1 &
jpkid_pid=$!
pids+=("$jpkid_pid")
wait_http "$ST/readyz" 30 || fail "jpkid did not start"
for ((i = 0; i < 300; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200 ] && break
	sleep 0.1
done
jpki_psql "$pg" jpkid -q -f "$top/deploy/demo/municipalities.sql" >/dev/null || fail "municipalities"

# One SIGN certificate, inserted (the benchmark measures the status path only).
serial=$(openssl rand -hex 16 | sed 's/^./4/')
jpki_psql "$pg" jpkid -q >/dev/null <<SQL || fail "certificate fixture"
INSERT INTO residents (resident_code, municipality_code, family_name, given_name,
    birth_date, sex, address)
    VALUES ('13101699999', '131016', '試験', '太郎', '1980-04-01', '1', '東京都千代田区一番町1番');
INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on,
    card_family_name, card_given_name, card_birth_date, card_sex, card_address)
    SELECT '913101699999', resident_code, 'mynumber', current_date - 30, current_date + 3650,
    family_name, given_name, birth_date, sex, address FROM residents;
INSERT INTO serials (serial, issuer) VALUES (decode('$serial', 'hex'), 'sign');
INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,
    not_before, not_after, crl_shard, der)
    VALUES ('sign', decode('$serial', 'hex'), 'sign', '13101699999', '913101699999',
    'CN=bench', now() - interval '1 day', now() + interval '1 year', '131016', '\x30'::bytea);
SQL

openssl ocsp -issuer "$ca/sign-ca.crt" -serial "0x$serial" -no_nonce -reqout "$work/req.der" \
	>/dev/null 2>&1 || fail "openssl ocsp -reqout"
b64=$(base64 -w0 "$work/req.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
path=/ocsp/$b64
curl -sf -o "$work/resp.der" "$ST$path" || fail "GET $ST$path"
check_good() {	# check_good FILE: a verified good response for the serial
	openssl ocsp -respin "$1" -issuer "$ca/sign-ca.crt" -serial "0x$serial" -no_nonce \
		-CAfile "$ca/sign-ca.crt" 2>&1 | grep -q ": good"
}
check_good "$work/resp.der" || fail "jpkid's response is not a verified good"

# ---------------------------------------------------------------- nginx
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
cp "$work/resp.der" "$work/nginx/www/resp.der"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes $threads;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $work/nginx/tmp;
	proxy_temp_path $work/nginx/tmp;
	fastcgi_temp_path $work/nginx/tmp;
	uwsgi_temp_path $work/nginx/tmp;
	scgi_temp_path $work/nginx/tmp;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$nginx_port;
		root $work/nginx/www;
		location /ocsp/ {
			default_type application/ocsp-response;
			try_files /resp.der =404;
		}
	}
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>>"$work/nginx/error.log" &
nginx_pid=$!
NG=http://127.0.0.1:$nginx_port
wait_http "$NG/" 10 || fail "nginx does not answer"
curl -sf -o "$work/nginx.der" "$NG$path" && cmp -s "$work/nginx.der" "$work/resp.der" ||
	fail "nginx does not serve the response file at $path"

# ---------------------------------------------------------------- openssl ocsp
printf 'V\t%s\t\t%s\tunknown\t/CN=bench\n' "$(date -u -d '+1 year' +%y%m%d%H%M%SZ)" \
	"$(echo "$serial" | tr a-f A-F)" > "$work/index.txt"
openssl ocsp -index "$work/index.txt" -CA "$ca/sign-ca.crt" -rsigner "$ca/sign-ocsp.crt" \
	-rkey "$ca/sign-ocsp.key" -port "$ossl_port" -nmin 60 -multi "$threads" \
	> "$work/openssl-ocsp.log" 2>&1 &
ossl_pid=$!	# openssl 3.0 -port takes a number: it listens on every address
# Its GET takes the base64 right after the first '/'; HTTP/1.0, no keep-alive.
OS=http://127.0.0.1:$ossl_port
wait_http "$OS/$b64" 10 || fail "openssl ocsp does not answer"
curl -sf -o "$work/openssl.der" "$OS/$b64" && check_good "$work/openssl.der" ||
	fail "openssl ocsp does not answer good by GET"

# ---------------------------------------------------------------- runs
rps() {	# rps NAME URL: wrk, prints requests/s
	local out
	out=$(wrk -t2 -c32 -d"${seconds}s" "$2" 2>&1)
	echo "$out" > "$work/wrk-$1.txt"
	if echo "$out" | grep -q "Non-2xx\|Socket errors"; then
		note "$1: $(echo "$out" | grep "Non-2xx\|Socket errors")"
	fi
	echo "$out" | awk '/^Requests\/sec:/ { print $2 }'
}
note "jpkid threads = nginx workers = openssl -multi = $threads; wrk -t2 -c32 -d${seconds}s"
# jpkid again per log level (the first run set up the database and the file).
kill -TERM "$jpkid_pid"; wait "$jpkid_pid" 2>/dev/null
results=()
for lvl in $log_levels; do
	sed -i -e "s/^log_level = .*/log_level = $lvl/" "$work/jpkid.conf"
	"$jpkid" -c "$work/jpkid.conf" >> "$work/jpkid-$lvl.log" 2>&1 &
	jpkid_pid=$!
	pids+=("$jpkid_pid")
	wait_http "$ST/readyz" 30 || fail "jpkid ($lvl) did not start"
	sleep 1
	curl -sf -o /dev/null "$ST$path" || fail "jpkid ($lvl) does not answer"
	r=$(rps "jpkid-$lvl" "$ST$path")
	[ -n "$r" ] || fail "wrk against jpkid ($lvl) failed"
	results+=("$lvl:$r")
	curl -sf -o "$work/after.der" "$ST$path" && check_good "$work/after.der" ||
		fail "jpkid ($lvl) does not answer good after the run"
	kill -TERM "$jpkid_pid"; wait "$jpkid_pid" 2>/dev/null
done
r_nginx=$(rps nginx "$NG$path")
r_ossl=$(rps openssl "$OS/$b64")
[ -n "$r_nginx" ] && [ -n "$r_ossl" ] || fail "a wrk run failed"
grep -q "level=err" "$work"/jpkid*.log && note "jpkid logged errors"

printf '# %-22s %12s req/s\n' nginx "$r_nginx" "openssl ocsp" "$r_ossl"
for x in "${results[@]}"; do
	lvl=${x%%:*} r=${x#*:}
	awk -v l="$lvl" -v j="$r" -v n="$r_nginx" -v o="$r_ossl" 'BEGIN {
		printf "# %-22s %12s req/s   jpkid/nginx = %.2f (target >= 0.80)   jpkid/openssl = %.2f\n",
		    "jpkid log_level " l, j, j / n, j / o
	}'
done
echo "1 passed, 0 failed"
