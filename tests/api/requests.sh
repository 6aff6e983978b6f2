# Hostile requests (issue 13, item 2 and the TLS findings of item 7): every
# refusal is problem+json with X-Request-Id where libmicrohttpd lets us
# (docs/http-errors.md says where it does not), a request-target with a
# control byte or %00 is a 400, JSON routes need application/json (415), an
# HTTP/1.1 request without Host is a 400, client certificates are checked
# on the request head (before any of the body is read) and must carry
# extendedKeyUsage clientAuth, and the TLS server takes no SHA-1 signature.
# Sourced by tests/api/run.sh against its main jpkid ($API, $ST, $CON).

rq_rid() { local r; r=$(header X-Request-Id); [ ${#r} = 16 ] || { echo "# X-Request-Id '$r'" >&2; return 1; }; }
cat > "$work/rq_raw.py" <<'PYEOF'
import socket, sys
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(data)
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError:
    pass
sys.stdout.buffer.write(out)
PYEOF
# rq_raw PORT FORMAT: send printf FORMAT as raw bytes to 127.0.0.1:PORT; the
# answer (headers and body) in $work/body, STATUS its status code.
rq_raw() {
	# shellcheck disable=SC2059
	printf "$2" | $PY "$work/rq_raw.py" "$1" > "$work/body"
	STATUS=$(head -n1 "$work/body" | cut -d' ' -f2)
}
rq_raw_hdr() { sed -n '/^\r$/q;p' "$work/body" | grep -i "^$1:" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
rq_raw_body() { sed '1,/^\r$/d' "$work/body" > "$work/rawbody"; }
st_port=${ST##*:}
api_port_=${API##*:}

# ---------------------------------------------------------------- request-target
st_resident 13101677001 131016
# shellcheck disable=SC2046
call GET "$API/v1/residents/13101677001" $(tls "$term_a")
rq_plain=$STATUS
# shellcheck disable=SC2046
call GET "$API/v1/residents/13101677001%00" $(tls "$term_a")
expect test_nul_in_resident_path_400_problem_with_request_id eval '[ "$rq_plain" = 200 ] &&
	is_problem 400 && rq_rid && jq_eq .type urn:jpkid:problem:invalid-path && jq_eq .fields.path "must not contain control characters (%00-%1F, %7F), encoded or not" &&
	conforms GET /v1/residents/13101677001%00'
call GET "$ST/crl/sign/131016.crl%00.txt"
expect test_nul_in_crl_path_400_problem eval 'is_problem 400 && rq_rid && jq_eq .type urn:jpkid:problem:invalid-path && conforms GET /crl/sign/131016.crl%00.txt'
call GET "$ST/ca/sign.crt"
rq_plain=$STATUS
call GET "$ST/ca/sign.crt%00"
expect test_nul_in_ca_certificate_path_400_problem eval '[ "$rq_plain" = 200 ] && is_problem 400 && rq_rid && conforms GET /ca/sign.crt%00'
call GET "$ST/ca/sign.crt%01"
expect test_control_byte_01_in_path_400 eval 'is_problem 400 && rq_rid && jq_eq .type urn:jpkid:problem:invalid-path'
call GET "$ST/ca/sign.crt%0a"
expect test_newline_0a_in_path_400 eval 'is_problem 400 && rq_rid && jq_eq .type urn:jpkid:problem:invalid-path'
call GET "$ST/ca/sign.crt%7F"
expect test_del_7f_in_path_400 eval 'is_problem 400 && jq_eq .type urn:jpkid:problem:invalid-path'
call GET "$ST/healthz?x=%00"
expect test_nul_in_query_400 eval 'is_problem 400 && rq_rid && jq_eq .type urn:jpkid:problem:invalid-query && jq_eq .fields.query "must not contain control characters (%00-%1F, %7F), encoded or not"'
call GET "$ST/ca/sign.crt%zz"
expect test_bad_percent_escape_400 eval 'is_problem 400 && jq_eq .fields.path "a % must be followed by two hexadecimal digits"'
call GET "$ST/ca/%ff%fe.crt"
expect test_path_not_utf8_400 eval 'is_problem 400 && jq_eq .fields.path "must be UTF-8 once percent-decoded"'
# A raw control byte in the request line (curl would encode it).
rq_raw "$st_port" 'GET /ca/sign.crt\001 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
rq_raw_body
expect test_raw_control_byte_in_target_400 eval '[ "$STATUS" = 400 ] && [ -n "$(rq_raw_hdr X-Request-Id)" ] && grep -q invalid-path "$work/rawbody"'

# ---------------------------------------------------------------- Content-Type of JSON routes
rq_app='{"resident_code":"13101677001","procedure":"issue","types":["auth"],"applicant":{"kind":"self"},"evidence":'"$ST_EV"'}'
# shellcheck disable=SC2046
call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type: text/plain' --data-binary "$rq_app"
expect test_json_route_text_plain_415 eval 'is_problem 415 && rq_rid && jq_eq .type urn:jpkid:problem:unsupported-media-type &&
	jq_eq .fields.Content-Type "must be application/json" && conforms POST /v1/applications &&
	[ "$(st_db "SELECT count(*) FROM applications WHERE resident_code = '"'"'13101677001'"'"'")" = 0 ]'
# shellcheck disable=SC2046
call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type:' --data-binary "$rq_app"
expect test_json_route_without_content_type_415 eval 'is_problem 415 && conforms POST /v1/applications'
# shellcheck disable=SC2046
call PUT "$API/v1/residents/13101677002" $(tls feed) -H 'Content-Type: application/x-www-form-urlencoded' --data-binary '{}'
expect test_json_put_route_form_415 eval 'is_problem 415 && conforms PUT /v1/residents/13101677002'
# Parameters are allowed (the body is then the handler's to judge: 422
# here); a look-alike type is not.
# shellcheck disable=SC2046
call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type: Application/JSON; charset=utf-8' --data-binary '{}'
rq_param=$STATUS
# shellcheck disable=SC2046
call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json-patch+json' --data-binary '{}'
expect test_json_route_charset_parameter_accepted_lookalike_415 eval '[ "$rq_param" = 422 ] && is_problem 415'
call POST "$CON/v1/session" --cacert "$ca/client-ca.crt" -H "Origin: $CON" -H 'Content-Type: text/plain' \
	--data-binary '{"username":"nobody","password":"x"}'
expect test_console_login_text_plain_415 eval 'is_problem 415 && rq_rid && conforms POST /v1/session'

# ---------------------------------------------------------------- Host
call GET "$ST/healthz" -H 'Host:'
expect test_http11_without_host_400 eval 'is_problem 400 && rq_rid && jq_eq .type urn:jpkid:problem:invalid-host && jq_eq .fields.Host "exactly one, not empty" && conforms GET /healthz'
rq_raw "$st_port" 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n'
expect test_two_host_headers_400 eval '[ "$STATUS" = 400 ] && [ -n "$(rq_raw_hdr X-Request-Id)" ]'
rq_raw "$st_port" 'GET /healthz HTTP/1.0\r\n\r\n'
rq_http10=$STATUS
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(tls "$term_a") -H 'Host:'
expect test_api_without_host_400_and_http10_may_omit_it eval 'is_problem 400 && [ "$rq_http10" = 200 ]'

# ---------------------------------------------------------------- client certificates
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt" --cert "$ca/client-ca.crt" --key "$ca/client-ca.key"
# Its keyUsage (keyCertSign, cRLSign) cannot sign a CertificateVerify:
# GnuTLS ends the handshake (no %COMPAT, docs/http-errors.md); no HTTP
# answer, nothing served, and the listener keeps serving.
expect test_client_ca_certificate_as_client_certificate_refused_in_handshake eval '[ "$CURLRC" != 0 ] && [ "$STATUS" = 000 ]'
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt" --cert "$ca/$term_a.crt" --key "$ca/$term_a.key"
expect test_api_listener_serves_after_refused_handshake eval '[ "$STATUS" = 200 ]'
# A terminal certificate from our client CA, enrolled, but without extendedKeyUsage.
openssl req -new -newkey rsa:2048 -nodes -keyout "$work/noeku.key" -out "$work/noeku.csr" \
	-subj "/C=JP/O=131016/OU=terminal/CN=terminal-131016-noeku" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' > "$work/noeku.cnf"
openssl x509 -req -in "$work/noeku.csr" -CA "$ca/client-ca.crt" -CAkey "$ca/client-ca.key" \
	-CAcreateserial -days 30 -extfile "$work/noeku.cnf" -out "$work/noeku.crt" 2>/dev/null
"$jpkictl" enroll --db "$conninfo" --kind terminal --name terminal-131016-noeku --municipality 131016 \
	"$work/noeku.crt" > "$work/noeku.out" 2>&1
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt" --cert "$work/noeku.crt" --key "$work/noeku.key"
expect test_enrolled_client_certificate_without_eku_401 eval 'grep -q "terminal" "$work/noeku.out" && is_problem 401 && rq_rid &&
	grep -q "reason=\"certificate has no extendedKeyUsage clientAuth\"" "$work/jpkid.log"'
# An enrolled certificate with clientAuth but a keyUsage without digitalSignature.
printf 'keyUsage=critical,keyEncipherment\nextendedKeyUsage=clientAuth\n' > "$work/nods.cnf"
openssl x509 -req -in "$work/noeku.csr" -CA "$ca/client-ca.crt" -CAkey "$ca/client-ca.key" \
	-CAcreateserial -days 30 -extfile "$work/nods.cnf" -out "$work/nods.crt" 2>/dev/null
"$jpkictl" enroll --db "$conninfo" --kind terminal --name terminal-131016-nods --municipality 131016 \
	"$work/nods.crt" > "$work/nods.out" 2>&1
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt" --cert "$work/nods.crt" --key "$work/noeku.key"
expect test_client_certificate_without_digital_signature_refused_in_handshake eval '[ "$CURLRC" != 0 ] && [ "$STATUS" = 000 ]'

# TLS 1.2: the CertificateRequest offers no SHA-1, and a client that can only
# sign with SHA-1 gets no answer.
echo | timeout 10 openssl s_client -trace -tls1_2 -connect "127.0.0.1:$api_port_" -CAfile "$ca/client-ca.crt" \
	> "$work/trace.txt" 2>&1
sed -n '/CertificateRequest/,/certificate_authorities/p' "$work/trace.txt" > "$work/certreq.txt"
expect test_tls12_certificate_request_offers_no_sha1 eval 'grep -q rsa_pss_rsae_sha256 "$work/certreq.txt" && ! grep -qi "sha1" "$work/certreq.txt"'
printf 'GET /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' | timeout 10 openssl s_client -quiet -tls1_2 \
	-cipher 'DEFAULT@SECLEVEL=0' -client_sigalgs RSA+SHA1 -connect "127.0.0.1:$api_port_" -CAfile "$ca/client-ca.crt" \
	-cert "$ca/$term_a.crt" -key "$ca/$term_a.key" > "$work/sha1.out" 2>/dev/null
expect test_tls12_client_sha1_signature_refused eval '! grep -q "^HTTP/1.1 200" "$work/sha1.out"'

# ---------------------------------------------------------------- authentication before the body
head -c 1048576 /dev/zero | tr '\0' x > "$work/mb"
rq_upload() {	# rq_upload URL [curl args]: POST 1 MB with Expect: 100-continue; RQ_SENT = bytes sent
	local out
	out=$(curl -sS --max-time 20 -o "$work/body" -D "$work/hdrs" -w '%{http_code} %{size_upload} %{content_type}' \
		-X POST -H 'Expect: 100-continue' -H 'Content-Type: application/json' --expect100-timeout 10 \
		--data-binary @"$work/mb" "$@" 2>"$work/curl.err")
	read -r STATUS RQ_SENT CTYPE <<< "$out"
}
rq_upload "$API/v1/applications" --cacert "$ca/client-ca.crt"
expect test_api_no_client_certificate_1mb_body_refused_before_upload eval 'is_problem 401 && rq_rid &&
	[ "$RQ_SENT" -lt 65536 ] && ! grep -q "^HTTP/1.1 100" "$work/hdrs"'
rq_upload "$API/v1/applications" --cacert "$ca/client-ca.crt" --cert "$work/stranger.crt" --key "$work/stranger.key"
expect test_api_unregistered_certificate_1mb_body_refused_before_upload eval 'is_problem 401 && [ "$RQ_SENT" -lt 65536 ]'
rq_upload "$CON/v1/terminals" --cacert "$ca/client-ca.crt" -H "Origin: $CON"
expect test_console_no_session_1mb_body_refused_before_upload eval 'is_problem 401 && rq_rid && [ "$RQ_SENT" -lt 65536 ]'

# ---------------------------------------------------------------- head limits (docs/http-errors.md)
rq_long=$(head -c 10000 /dev/zero | tr '\0' a)
call GET "$ST/healthz?pad=$rq_long"
expect test_long_target_414_problem eval 'is_problem 414 && rq_rid && jq_eq .type urn:jpkid:problem:uri-too-long'
call GET "$ST/healthz" -H "X-Pad: $(head -c 20000 /dev/zero | tr '\0' a)"
expect test_large_headers_431_problem eval 'is_problem 431 && rq_rid && jq_eq .type urn:jpkid:problem:headers-too-large'
# Past libmicrohttpd's buffer ([api] connection_memory_limit, 64 KiB here) and
# for versions it does not speak, it answers itself: HTML, no X-Request-Id.
rq_huge=$(head -c 100000 /dev/zero | tr '\0' a)
call GET "$ST/healthz?pad=$rq_huge"
expect test_target_past_buffer_414_by_libmicrohttpd eval '[ "$STATUS" = 414 ] && [ -z "$(header X-Request-Id)" ]'
call GET "$ST/healthz" -H "X-Pad: $rq_huge"
expect test_headers_past_buffer_431_by_libmicrohttpd eval '[ "$STATUS" = 431 ] && [ -z "$(header X-Request-Id)" ]'
rq_raw "$st_port" 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'
expect test_http_9_9_505_by_libmicrohttpd eval '[ "$STATUS" = 505 ] && [ -z "$(rq_raw_hdr X-Request-Id)" ]'
call GET "$ST/healthz"
expect test_status_listener_still_answers_after_refusals eval '[ "$STATUS" = 200 ]'
