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
jpki_write_config "$var/jpkid.conf" "$var/ca" "$conninfo" "$api_port" "$status_port"

term=$(ls "$var"/ca/terminal-*.crt | head -n1)
term=${term%.crt}
cat <<INFO

  jpkid is starting.
    API (HTTPS, client certificate): https://127.0.0.1:$api_port/v1/
    status (HTTP: health, metrics):  http://127.0.0.1:$status_port/readyz
    OCSP (relying parties):          http://127.0.0.1:$status_port/ocsp
    CRLs (per type, municipality):   http://127.0.0.1:$status_port/crl/sign/131016.crl
    CA certificates:                 http://127.0.0.1:$status_port/ca/sign.crt  .../ca/auth.crt
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

  Ctrl-C stops jpkid and PostgreSQL.

INFO
"$jpkid" -c "$var/jpkid.conf" &
jpkid_pid=$!
wait "$jpkid_pid" || true
jpkid_pid=
