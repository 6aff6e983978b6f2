# A client certificate is verified once per TLS connection (issue 15: the
# chain and the certificate's own checks are cached on the connection,
# daemon/http.c), but the principal's registration is read on every
# request: disabling, re-keying or moving a terminal takes effect on the
# very next request of a connection that stays open. Each test below keeps
# one kept-alive connection (python http.client, no reconnection allowed:
# every answer names the connection's local port) and changes the row with
# psql between two requests, as jpkictl or another jpkid instance would; a
# PATCH by an operator through this jpkid is the same UPDATE.
# Sourced by tests/api/run.sh against its main jpkid ($API, $ca, $term_b).

cat > "$work/ac_conn.py" <<'PYEOF'
import http.client, ssl, subprocess, sys
port, ca, cert, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.load_cert_chain(cert, key)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
c.auto_open = 0          # never reconnect: a closed connection is an error
c.connect()
n = 0
for step in sys.argv[6:]:
    kind, arg = step.split(":", 1)
    if kind == "SH":
        subprocess.run(arg, shell=True, check=True, stdout=subprocess.DEVNULL)
        continue
    try:
        lport = c.sock.getsockname()[1]
        c.request(kind, arg)
        r = c.getresponse()
        body = r.read()
    except Exception as e:
        print("error %s" % type(e).__name__)
        continue
    n += 1
    open("%s.%d" % (out, n), "wb").write(body)
    print(r.status, lport, r.getheader("Content-Type", ""))
PYEOF

# ac_run CERT STEPS...: one connection with client certificate CERT (file
# stem in $ca); one line per GET in $work/ac_out ("STATUS LOCALPORT TYPE"),
# bodies in $work/ac_body.N.
ac_run() {
	local cert=$1
	shift
	$PY "$work/ac_conn.py" "$api_port" "$ca/client-ca.crt" "$ca/$cert.crt" "$ca/$cert.key" \
		"$work/ac_body" "$@" > "$work/ac_out" 2> "$work/ac_err"
}
# ac_same_conn N: N answers, all on one connection (one local port).
ac_same_conn() {
	[ "$(wc -l < "$work/ac_out")" = "$1" ] && ! grep -q '^error' "$work/ac_out" &&
		[ "$(awk '{ print $2 }' "$work/ac_out" | sort -u | wc -l)" = 1 ] ||
		{ echo "# answers: $(tr '\n' ';' < "$work/ac_out") $(tail -n1 "$work/ac_err")" >&2; return 1; }
}
ac_status() { sed -n "${1}p" "$work/ac_out" | cut -d' ' -f1; }	# ac_status N
ac_jv() {	# ac_jv N PATH: a JSON value of answer N
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."): d=d[k]
print(d)' "$work/ac_body.$1" "$2" 2>/dev/null
}
# ac_unauth N: answer N is the 401 of a disabled or unknown registration.
ac_unauth() {
	[ "$(ac_status "$1")" = 401 ] && sed -n "${1}p" "$work/ac_out" | grep -q 'application/problem+json' &&
		oacheck --schema Problem "$work/ac_body.$1" >&2 &&
		[ "$(ac_jv "$1" .type)" = urn:jpkid:problem:unauthenticated ] &&
		[ "$(ac_jv "$1" .detail)" = "the client certificate is not registered or is disabled" ] ||
		{ echo "# answer $1: $(sed -n "${1}p" "$work/ac_out") $(cat "$work/ac_body.$1")" >&2; return 1; }
}
ac_psql() { echo "SH:psql -X -v ON_ERROR_STOP=1 -h $pg -p $(cat "$pg/port") -U postgres -d jpkid -qtAc \"$1\""; }

ac_id=$(jpki_psql "$pg" jpkid -tAc "SELECT id FROM terminals WHERE municipality_code = '141003' ORDER BY id LIMIT 1")

# Disabled while its connection stays open: the next request on that
# connection is refused (an answer on the request head: libmicrohttpd then
# closes the connection); enabled again, a new connection is served.
ac_run "$term_b" GET:/v1/whoami GET:/v1/municipality \
	"$(ac_psql "UPDATE terminals SET enabled = false WHERE id = $ac_id")" GET:/v1/whoami
expect test_authcache_disabled_terminal_401_on_its_open_connection eval 'ac_same_conn 3 &&
	[ "$(ac_status 1)" = 200 ] && [ "$(ac_jv 1 .kind)" = terminal ] &&
	[ "$(ac_status 2)" = 200 ] && ac_unauth 3'
jpki_psql "$pg" jpkid -qc "UPDATE terminals SET enabled = true WHERE id = $ac_id"
ac_run "$term_b" GET:/v1/whoami
expect test_authcache_reenabled_terminal_200_on_a_new_connection eval 'ac_same_conn 1 &&
	[ "$(ac_status 1)" = 200 ] && [ "$(ac_jv 1 .municipality.code)" = 141003 ]'

# Its registration moved to another certificate (the old one revoked by
# re-keying the terminal): the open connection's certificate is unknown now.
ac_run "$term_b" GET:/v1/municipality \
	"$(ac_psql "UPDATE terminals SET cert_sha256 = sha256(cert_sha256) WHERE id = $ac_id")" \
	GET:/v1/municipality
expect test_authcache_rekeyed_terminal_401_on_its_open_connection eval 'ac_same_conn 2 &&
	[ "$(ac_status 1)" = 200 ] && [ "$(ac_jv 1 .code)" = 141003 ] && ac_unauth 2'
jpki_psql "$pg" jpkid -qc "UPDATE terminals SET cert_sha256 = decode('$(openssl x509 -in "$ca/$term_b.crt" -outform DER | sha256sum | cut -d' ' -f1)', 'hex') WHERE id = $ac_id"

# R1: a terminal moved to another municipality sees the new one on its
# next request, not the one it had when the connection was verified. (Only
# a terminal that has filed no application can move: run.sh runs this
# section before the ones that file through terminal-141003.)
ac_run "$term_b" GET:/v1/municipality \
	"$(ac_psql "UPDATE terminals SET municipality_code = '131016' WHERE id = $ac_id")" \
	GET:/v1/municipality
expect test_authcache_r1_moved_terminal_sees_new_municipality_on_open_connection eval 'ac_same_conn 2 &&
	[ "$(ac_status 1)" = 200 ] && [ "$(ac_jv 1 .code)" = 141003 ] &&
	[ "$(ac_status 2)" = 200 ] && [ "$(ac_jv 2 .code)" = 131016 ]'
jpki_psql "$pg" jpkid -qc "UPDATE terminals SET municipality_code = '141003' WHERE id = $ac_id"

# Back as it was: a fresh connection of the same terminal is served.
ac_run "$term_b" GET:/v1/municipality
expect test_authcache_terminal_restored eval 'ac_same_conn 1 && [ "$(ac_status 1)" = 200 ] && [ "$(ac_jv 1 .code)" = 141003 ]'

# A terminal's principal carries its municipality's name: a rename is seen
# on the open connection's next request.
ac_muni=$(jpki_psql "$pg" jpkid -tAc "SELECT name FROM municipalities WHERE code = '141003'")
ac_run "$term_b" GET:/v1/whoami \
	"$(ac_psql "UPDATE municipalities SET name = name || '（改）' WHERE code = '141003'")" GET:/v1/whoami
expect test_authcache_r1_renamed_municipality_seen_on_open_connection eval 'ac_same_conn 2 &&
	[ "$(ac_jv 1 .municipality.name)" = "$ac_muni" ] &&
	[ "$(ac_jv 2 .municipality.name)" = "${ac_muni}（改）" ]'
jpki_psql "$pg" jpkid -qc "UPDATE municipalities SET name = '$ac_muni' WHERE code = '141003'"
