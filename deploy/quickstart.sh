#!/usr/bin/env bash
# Quickstart: install, build, start a private PostgreSQL under ./var/pg, create a
# development CA (once), load demo data, and run jpkid in the foreground.
# Run again to reuse what exists. Ctrl-C stops jpkid and the cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. deploy/lib.sh

var=$top/var
build=$top/_build
jpki_install_packages
jpki_build "$top" "$build"
jpkid=$build/jpkid
jpkictl=$build/jpkictl

mkdir -p "$var"
chmod 0755 "$var"
jpki_log "PostgreSQL cluster in $var/pg"
jpki_pg_init "$var/pg"
jpki_pg_start "$var/pg"
cleanup() {
	[ -n "${jpkid_pid:-}" ] && kill -TERM "$jpkid_pid" 2>/dev/null && wait "$jpkid_pid" 2>/dev/null
	jpki_log "stopping PostgreSQL"
	jpki_pg_stop "$var/pg"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
jpki_pg_createdb "$var/pg" jpkid
conninfo="host=$var/pg port=$(cat "$var/pg/port") user=postgres dbname=jpkid"

jpki_log "migrations"
"$jpkictl" migrate --db "$conninfo"

if [ ! -f "$var/ca/sign-ca.crt" ]; then
	jpki_log "development CA hierarchy in $var/ca"
	"$jpkictl" init --dir "$var/ca"
elif [ ! -f "$var/ca/pinreset.crt" ]; then
	# A dev CA made before PIN resets existed: jpkid runs, but without the
	# PIN reset authority and the kiosk certificates (R16a).
	jpki_log "note: $var/ca predates PIN resets (no pinreset.crt, kiosk.crt);" \
	    "remove $var/ca (and $var/pg for a clean register) to get them"
fi

jpki_log "demo data and client certificates"
jpki_psql "$var/pg" jpkid -q -f deploy/demo/municipalities.sql
# About 1,000 synthetic residents with cards (deploy/demo/README.md); idempotent.
/usr/bin/python3 deploy/demo/residents.py | jpki_psql "$var/pg" jpkid -q >/dev/null
"$jpkictl" enroll --db "$conninfo" --manifest "$var/ca/manifest.txt" >/dev/null

api_port=$(jpki_free_port 8443)
status_port=$(jpki_free_port 8080)
[ "$status_port" = "$api_port" ] && status_port=$(jpki_free_port $((api_port + 1)))
console_port=$(jpki_free_port 8444)
for p in "$api_port" "$status_port"; do
	[ "$console_port" = "$p" ] && console_port=$(jpki_free_port $((console_port + 1)))
done
jpki_write_config "$var/jpkid.conf" "$var/ca" "$conninfo" "$api_port" "$status_port" "$console_port"

# A demo admin for the console (docs/operators.md): a random password and a
# TOTP secret, printed once, at the run that creates the account.
admin_info="  Console admin: 'admin' exists already (its password was printed when it was
  made; a new one: $jpkictl operator passwd admin -c $var/jpkid.conf)."
if [ "$(jpki_psql "$var/pg" jpkid -tAc "SELECT count(*) FROM operators WHERE username = 'admin'")" = 0 ]; then
	jpki_log "demo console admin"
	admin_pw="$(openssl rand -base64 18 | tr '+/' '-_')-9a"
	pwfile=$(mktemp)
	printf '%s\n' "$admin_pw" > "$pwfile"
	"$jpkictl" operator add admin --role admin --display-name 'Demo admin' \
	    --password-file "$pwfile" -c "$var/jpkid.conf" >/dev/null
	rm -f "$pwfile"
	admin_uri=$("$jpkictl" operator totp admin -c "$var/jpkid.conf" 2>/dev/null)
	admin_secret=$(printf '%s\n' "$admin_uri" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
	admin_info="  Console admin (shown only now; keep it):
    username: admin
    password: $admin_pw
    TOTP:     $admin_uri
              (secret $admin_secret; a code now: oathtool --totp -b $admin_secret)"
fi

term=$(ls "$var"/ca/terminal-*.crt | head -n1)
term=${term%.crt}
cat <<INFO

  jpkid is starting.
    API (HTTPS, client certificate): https://127.0.0.1:$api_port/v1/
    status (HTTP: health, metrics):  http://127.0.0.1:$status_port/readyz
    OCSP (relying parties):          http://127.0.0.1:$status_port/ocsp
    CRLs (per type, municipality):   http://127.0.0.1:$status_port/crl/sign/131016.crl
    CA certificates:                 http://127.0.0.1:$status_port/ca/sign.crt  .../ca/auth.crt
    operator dashboard (browser):    https://127.0.0.1:$console_port/dashboard/  (log in as admin; TLS: trust $var/ca/client-ca.crt)
    console API (operator session):  https://127.0.0.1:$console_port/v1/  (POST /v1/session)
    configuration:                   $var/jpkid.conf
    credentials (terminals, register feed, relying party, operator, kiosks):
                                     $var/ca/  (list: $var/ca/manifest.txt)
    PostgreSQL:                      psql -h $var/pg -p $(cat "$var/pg/port") -U postgres jpkid

  Try, from another shell:
    curl --cacert $var/ca/client-ca.crt --cert $term.crt --key $term.key \\
         https://127.0.0.1:$api_port/v1/whoami
    curl --cacert $var/ca/client-ca.crt --cert $term.crt --key $term.key \\
         https://127.0.0.1:$api_port/v1/residents/13101600001
    curl http://127.0.0.1:$status_port/readyz
  Revocation status of a certificate you issued (saved as cert.pem):
    curl -s http://127.0.0.1:$status_port/ca/sign.crt | openssl x509 -inform DER -out sign-ca.crt
    openssl ocsp -issuer sign-ca.crt -cert cert.pem -CAfile sign-ca.crt \\
         -url http://127.0.0.1:$status_port/ocsp
  A clerk's whole issuance (self, legal representative, voluntary proxy,
  renewal), step by step with curl:
    deploy/demo/walkthrough.sh $var https://127.0.0.1:$api_port
  A day at the counter with jpki-terminal and virtual cards (README):
    deploy/demo/counter_day.sh $var https://127.0.0.1:$api_port http://127.0.0.1:$status_port

$admin_info
  Log in to the console with curl (docs/operators.md):
    curl --cacert $var/ca/client-ca.crt -c cookies -H 'Origin: https://127.0.0.1:$console_port' \\
         -H 'Content-Type: application/json' \\
         -d '{"username":"admin","password":"...","totp":"123456"}' https://127.0.0.1:$console_port/v1/session
    curl --cacert $var/ca/client-ca.crt -b cookies https://127.0.0.1:$console_port/v1/session

  Ctrl-C stops jpkid and PostgreSQL.

INFO
"$jpkid" -c "$var/jpkid.conf" &
jpkid_pid=$!
wait "$jpkid_pid" || true
jpkid_pid=
