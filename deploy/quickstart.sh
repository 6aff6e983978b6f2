#!/usr/bin/env bash
# Quickstart: install, build, start a private PostgreSQL under ./var/pg, create a
# development CA (once), load demo data, and run jpkid in the foreground.
# Run again to reuse what exists. Ctrl-C (or kill -TERM) stops jpkid and the
# cluster, also with the output piped (deploy/quickstart.sh | tee log).
#
# Ports: JPKI_API_PORT, JPKI_STATUS_PORT, JPKI_CONSOLE_PORT (jpkid) and
# JPKI_PG_PORT (PostgreSQL on 127.0.0.1): a port given is used exactly, and a
# busy one stops the script; without them the first free port from 8443,
# 8080, 8444 and the cluster's own port are taken.
# JPKI_BUILD=DIR: use the jpkid and jpkictl built in DIR (no package check,
# no build). JPKI_VAR=DIR: the state directory (default ./var).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. deploy/lib.sh

var=${JPKI_VAR:-$top/var}
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

# port_env VAR: the port VAR gives, checked (a number, free on 127.0.0.1);
# empty when VAR is unset. A bad or busy port stops the script, naming VAR.
port_env() {
	local name=$1 v=${!1:-}
	[ -z "$v" ] && return 0
	[[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] && [ "$v" -le 65535 ] ||
		die "$name=$v is not a TCP port (1-65535)"
	jpki_port_busy "$v" &&
		die "$name=$v: port $v on 127.0.0.1 is in use; free it or choose another $name"
	echo "$v"
}
# Every given port first, before anything is built or started.
api_port=$(port_env JPKI_API_PORT)
status_port=$(port_env JPKI_STATUS_PORT)
console_port=$(port_env JPKI_CONSOLE_PORT)
pg_port=${JPKI_PG_PORT:-}
if [ -n "$pg_port" ]; then
	[[ $pg_port =~ ^[0-9]+$ ]] && [ "$pg_port" -ge 1 ] && [ "$pg_port" -le 65535 ] ||
		die "JPKI_PG_PORT=$pg_port is not a TCP port (1-65535)"
	# Our own cluster, left running on that very port, is no conflict.
	if ! { [ "$(cat "$var/pg/port" 2>/dev/null)" = "$pg_port" ] &&
	    jpki_as_pg "$PGBIN/pg_ctl" -D "$var/pg/data" status >/dev/null 2>&1; }; then
		jpki_port_busy "$pg_port" &&
			die "JPKI_PG_PORT=$pg_port: port $pg_port on 127.0.0.1 is in use; free it or choose another JPKI_PG_PORT"
	fi
fi
given="$api_port $status_port $console_port $pg_port"
dup=$(printf '%s\n' $given | sort | uniq -d | head -n1)
[ -z "$dup" ] || die "port $dup is given twice (JPKI_API_PORT, JPKI_STATUS_PORT, JPKI_CONSOLE_PORT, JPKI_PG_PORT)"
# next_free START: the first free port from START not given or taken above.
next_free() {
	local p
	p=$(jpki_free_port "$1")
	while [[ " $given " == *" $p "* ]]; do p=$(jpki_free_port $((p + 1))); done
	given="$given $p"
	echo "$p"
}
[ -n "$api_port" ] || api_port=$(next_free 8443)
[ -n "$status_port" ] || status_port=$(next_free 8080)
[ -n "$console_port" ] || console_port=$(next_free 8444)

if [ -n "${JPKI_BUILD:-}" ]; then
	build=$(cd "$JPKI_BUILD" && pwd) || die "JPKI_BUILD=$JPKI_BUILD: no such directory"
	[ -x "$build/jpkid" ] && [ -x "$build/jpkictl" ] ||
		die "JPKI_BUILD=$JPKI_BUILD has no jpkid and jpkictl (build first)"
else
	build=$top/_build
	jpki_install_packages
	jpki_build "$top" "$build"
fi
jpkid=$build/jpkid
jpkictl=$build/jpkictl

# Ctrl-C reaches the whole process group: tee (when piped) dies of it too,
# so from here on a write to stdout or stderr may fail. The cleanup ignores
# SIGPIPE and write errors and always stops jpkid, then the cluster.
pg_started=
cleanup() {
	trap '' PIPE INT TERM
	set +e
	if [ -n "${jpkid_pid:-}" ]; then
		kill -TERM "$jpkid_pid" 2>/dev/null
		wait "$jpkid_pid" 2>/dev/null
	fi
	if [ -n "$pg_started" ]; then
		# SIGPIPE ignored: on a dead pipe the write fails and is skipped.
		jpki_log "stopping PostgreSQL" || true
		jpki_pg_stop "$var/pg"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$var"
chmod 0755 "$var"
jpki_log "PostgreSQL cluster in $var/pg"
jpki_pg_init "$var/pg"
pg_started=1
jpki_pg_start "$var/pg" $pg_port || die "cannot start PostgreSQL in $var/pg${pg_port:+ on JPKI_PG_PORT=$pg_port}"
jpki_pg_createdb "$var/pg" jpkid
# Migrations and set-up as the superuser; jpkid runs as the role jpkid with
# the rights of db/migrations/0013_runtime_grants.sql.
owner_conninfo=$(jpki_pg_conninfo "$var/pg" jpkid postgres)
conninfo=$(jpki_pg_conninfo "$var/pg" jpkid jpkid)

jpki_log "migrations"
"$jpkictl" migrate --db "$owner_conninfo"
jpki_pg_grant "$var/pg" jpkid jpkid

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
"$jpkictl" enroll --db "$owner_conninfo" --manifest "$var/ca/manifest.txt" >/dev/null

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
                                     (jpkid connects as the role jpkid)

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
# jpkid keeps running and drains when the pipe it logs to is gone.
trap '' PIPE
"$jpkid" -c "$var/jpkid.conf" &
jpkid_pid=$!
wait "$jpkid_pid" || true
jpkid_pid=
