# CRLs (R24, R26): POST /v1/crls/publish, GET /v1/crls, GET /crl/{type}/{file}
# on both listeners, GET /ca/{file}, and real clients reading what we
# publish (openssl crl / verify -crl_check, NSS crlutil). Sourced by
# tests/api/run.sh against its main jpkid ($API, $ST, real clock), after
# tests/api/lib_issue.sh. Residents 1310166000N (千代田区) and 1410036000N
# (横浜市). The revoke API belongs to another section: revocations here are
# written straight in SQL (the certificates_revoked trigger fills
# revocations, as for every path).

cl_db() { jpki_psql "$pg" jpkid -tAc "$1"; }
# cl_publish [BODY]: POST /v1/crls/publish as the operator, waiting out a
# scheduled publication that holds the lock (409).
cl_publish() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		# shellcheck disable=SC2046
		call POST "$API/v1/crls/publish" $(tls operator) -H 'Content-Type: application/json' \
			--data-binary "${1:-}"
		[ "$STATUS" = 409 ] || return 0
		sleep 1
	done
}
cl_get() {	# cl_get TYPE MUNI [curl args]: GET the CRL from the status listener into $work/crl.der
	local t=$1 m=$2
	shift 2
	call GET "$ST/crl/$t/$m.crl" "$@"
	cp "$work/body" "$work/crl.der"
}
cl_etag_number() { header ETag | sed 's/.*-\([0-9]*\)"$/\1/'; }	# number from the last ETag
cl_text() { openssl crl -inform DER -in "$work/crl.der" -noout -text 2>&1; }
cl_gmt() { date -u -d "@$1" '+%b %e %H:%M:%S %Y GMT'; }	# openssl's time format

# ---------------------------------------------------------------- fixtures
st_resident 13101660001 131016 && st_issue 13101660001
CL_REV_SIGN=$ST_SIGN CL_REV_AUTH=$ST_AUTH
st_resident 13101660002 131016 && st_issue 13101660002
CL_GOOD_SIGN=$ST_SIGN CL_GOOD_AUTH=$ST_AUTH
st_resident 14100360001 141003 && st_issue 14100360001 '["auth","sign"]'
CL_YOKO_SIGN=$ST_SIGN
expect test_crl_fixtures_issued eval '[ -n "$CL_REV_SIGN" ] && [ -n "$CL_GOOD_SIGN" ] && [ -n "$CL_YOKO_SIGN" ] && [ -n "$CL_REV_AUTH" ]'
# Invalidity: an hour after issuance (certificates may not predate it), whole seconds.
cl_inv=$(cl_db "SELECT extract(epoch FROM date_trunc('second', not_before) + interval '1 hour')::bigint
    FROM certificates WHERE serial = decode('$CL_REV_SIGN', 'hex')")
cl_db "UPDATE certificates SET status = 'revoked', revoked_at = now(), reason = 'keyCompromise',
    invalidity_date = to_timestamp($cl_inv) WHERE serial = decode('$CL_REV_SIGN', 'hex');
  UPDATE certificates SET status = 'revoked', revoked_at = now(), reason = 'unspecified'
    WHERE serial = decode('$CL_REV_AUTH', 'hex');
  UPDATE certificates SET status = 'revoked', revoked_at = now(), reason = 'superseded'
    WHERE serial = decode('$CL_YOKO_SIGN', 'hex')" >/dev/null
cl_n=$(cl_db "SELECT count(*) FROM revocations WHERE serial IN (decode('$CL_REV_SIGN', 'hex'),
    decode('$CL_REV_AUTH', 'hex'), decode('$CL_YOKO_SIGN', 'hex'))")
expect test_crl_revocations_queued eval '[ "$cl_n" = 3 ]'

# ---------------------------------------------------------------- publish on demand
cl_prev=$(cl_db "SELECT coalesce(max(number), 0) FROM crls WHERE issuer = 'sign' AND shard = '131016'")
cl_publish '{"municipality_code":"131016"}'
expect test_crl_publish_one_municipality_200 eval '[ "$STATUS" = 200 ] && conforms POST /v1/crls/publish && jq_eq .published.0.issuer sign && jq_eq .published.0.municipality_code 131016 && jq_eq .published.1.issuer auth && [ "$(st_jv .published.2)" = "" ]'
cl_n1=$(st_jv .published.0.number)
cl_this=$(st_jv .published.0.this_update)
cl_next=$(st_jv .published.0.next_update)
cl_size=$(st_jv .published.0.size_bytes)
expect test_crl_number_follows_the_last eval '[ "$cl_n1" = $((cl_prev + 1)) ]'
expect test_crl_next_update_48h_after_this_update eval '[ $(( $(date -d "$cl_next" +%s) - $(date -d "$cl_this" +%s) )) = 172800 ]'
expect test_crl_publish_reply_url_and_entries eval 'jq_eq .published.0.url "$ST/crl/sign/131016.crl" && [ "$(st_jv .published.0.entries)" -ge 1 ]'
cl_n=$(cl_db "SELECT count(*) FROM audit_log WHERE action = 'crl.publish' AND actor LIKE 'operator:%'
    AND object = '131016' AND detail->'published'->0->>'number' = '$cl_n1'")
expect test_crl_publish_audited eval '[ "$cl_n" = 1 ]'
cl_n=$(cl_db "SELECT entries FROM crls WHERE issuer = 'sign' AND shard = '131016' AND number = $cl_n1")
expect test_crl_row_stored eval '[ "$cl_n" = "$(st_jv .published.0.entries)" ]'

# ---------------------------------------------------------------- serving
cl_get sign 131016
expect test_crl_get_200_der eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/pkix-crl ] && conforms GET /crl/sign/131016.crl'
# size_bytes (issue 12, the console shows it): the DER's length, as served.
expect test_crl_publish_size_bytes_is_der_length eval '[ -n "$cl_size" ] && [ "$cl_size" -gt 0 ] && [ "$cl_size" = "$(stat -c %s "$work/crl.der")" ]'
expect test_crl_get_etag_names_issuer_shard_number eval '[ "$(header ETag)" = "\"sign-131016-$cl_n1\"" ]'
cl_lm=$(header Last-Modified)
expect test_crl_last_modified_is_this_update eval '[ "$(date -d "$cl_lm" +%s)" = "$(date -d "$cl_this" +%s)" ]'
cl_cc=$(header Cache-Control)
cl_age=${cl_cc##*max-age=}
expect test_crl_cache_control_until_next_publication eval '[[ "$cl_cc" == "public, max-age="* ]] && [ "$cl_age" -gt 86000 ] && [ "$cl_age" -le 86400 ]'
cl_text > "$work/crl.txt"
expect test_crl_openssl_shows_number eval 'grep -A1 "X509v3 CRL Number" "$work/crl.txt" | grep -q "^ *$cl_n1$"'
expect test_r24_crl_idp_critical_only_user_certs eval 'grep -q "X509v3 Issuing Distribution Point: critical" "$work/crl.txt" && grep -q "Only User Certificates" "$work/crl.txt" && grep -q "URI:$ST/crl/sign/131016.crl" "$work/crl.txt" && grep -q "DirName:.*CRL Distribution Points" "$work/crl.txt"'
expect test_r26_crl_entry_key_compromise_with_invalidity_date eval 'grep -A8 "Serial Number: ${CL_REV_SIGN^^}" "$work/crl.txt" > "$work/crl.entry" && grep -q "Key Compromise" "$work/crl.entry" && grep -A1 "Invalidity Date" "$work/crl.entry" | grep -q "$(cl_gmt "$cl_inv")"'
expect test_crl_lists_neither_good_nor_other_shard eval '! grep -q "${CL_GOOD_SIGN^^}" "$work/crl.txt" && ! grep -q "${CL_YOKO_SIGN^^}" "$work/crl.txt"'
expect test_crl_openssl_verifies_signature eval 'openssl crl -inform DER -in "$work/crl.der" -CAfile "$ca/sign-ca.crt" -noout 2>&1 | grep -q "verify OK"'

openssl crl -inform DER -in "$work/crl.der" -out "$work/crl.pem" 2>/dev/null
openssl verify -crl_check -CAfile "$ca/sign-ca.crt" -CRLfile "$work/crl.pem" "$work/st/$CL_REV_SIGN.pem" > "$work/verify.out" 2>&1
cl_rc=$?
expect test_openssl_verify_crl_check_revoked eval '[ $cl_rc != 0 ] && grep -q "certificate revoked" "$work/verify.out"'
openssl verify -crl_check -CAfile "$ca/sign-ca.crt" -CRLfile "$work/crl.pem" "$work/st/$CL_GOOD_SIGN.pem" > "$work/verify.out" 2>&1
cl_rc=$?
expect test_openssl_verify_crl_check_good_same_shard eval '[ $cl_rc = 0 ] && grep -q ": OK" "$work/verify.out"'
# The 横浜市 certificate names another distribution point: the IDP puts this
# CRL out of its scope, and OpenSSL says so.
openssl verify -crl_check -CAfile "$ca/sign-ca.crt" -CRLfile "$work/crl.pem" "$work/st/$CL_YOKO_SIGN.pem" > "$work/verify.out" 2>&1
cl_rc=$?
expect test_r24_crl_of_another_shard_not_in_scope eval '[ $cl_rc != 0 ] && grep -q "different CRL scope" "$work/verify.out"'

cl_get auth 131016
cl_text > "$work/crl-auth.txt"
expect test_r26_auth_crl_unspecified_has_no_reason_code eval '[ "$STATUS" = 200 ] && grep -q "Serial Number: ${CL_REV_AUTH^^}" "$work/crl-auth.txt" && ! awk -v s="Serial Number: ${CL_REV_AUTH^^}" '"'"'$0 ~ s {on = 1; next} /Serial Number:|Signature Algorithm/ {on = 0} on'"'"' "$work/crl-auth.txt" | grep -q "CRL Reason Code" && openssl crl -inform DER -in "$work/crl.der" -CAfile "$ca/auth-ca.crt" -noout 2>&1 | grep -q "verify OK"'
openssl crl -inform DER -in "$work/crl.der" -out "$work/crl-auth.pem" 2>/dev/null
openssl verify -crl_check -CAfile "$ca/auth-ca.crt" -CRLfile "$work/crl-auth.pem" "$work/st/$CL_GOOD_AUTH.pem" > "$work/verify.out" 2>&1
cl_rc=$?
expect test_openssl_verify_auth_crl_good eval '[ $cl_rc = 0 ]'

# NSS: it does not implement issuingDistributionPoint and refuses every CRL
# that carries it critical (RFC 5280 5.2.5 requires critical, and lets a
# client that cannot process it treat the CRL as unusable). We keep the IDP
# critical: the test pins that NSS decodes the CRL (a malformed one is
# SEC_ERROR_CRL_INVALID) and refuses it for exactly that reason. NSS checks
# critical extensions before the signature, so this says nothing about the
# signature; openssl above verifies it.
cl_get sign 131016
cl_nss=$work/nss
mkdir -p "$cl_nss"
certutil -N -d "sql:$cl_nss" --empty-password >/dev/null 2>&1
certutil -A -d "sql:$cl_nss" -n jpki-sign -t "CT,C,C" -a -i "$ca/sign-ca.crt" >/dev/null 2>&1
crlutil -I -d "sql:$cl_nss" -i "$work/crl.der" > "$work/crlutil.out" 2>&1
cl_rc=$?
expect test_nss_crlutil_refuses_only_for_the_critical_idp eval '[ $cl_rc != 0 ] && grep -q SEC_ERROR_CRL_UNKNOWN_CRITICAL_EXTENSION "$work/crlutil.out"'
head -c 300 "$work/crl.der" > "$work/crl-trunc.der"
crlutil -I -d "sql:$cl_nss" -i "$work/crl-trunc.der" > "$work/crlutil2.out" 2>&1
expect test_nss_crlutil_malformed_is_another_error eval 'grep -q SEC_ERROR_CRL_INVALID "$work/crlutil2.out"'
crlutil -L -d "sql:$cl_nss" > "$work/crlutil.out" 2>&1
expect test_nss_crlutil_lists_nothing_after_refusal eval '! grep -q "JPKI for digital signature" "$work/crlutil.out"'

# Conditional requests.
cl_get sign 131016 -H "If-None-Match: \"sign-131016-$cl_n1\""
expect test_crl_if_none_match_304 eval '[ "$STATUS" = 304 ] && [ ! -s "$work/body" ] && conforms GET /crl/sign/131016.crl && [ "$(header ETag)" = "\"sign-131016-$cl_n1\"" ]'
cl_get sign 131016 -H 'If-None-Match: "sign-131016-0", "other"'
expect test_crl_if_none_match_other_etag_200 eval '[ "$STATUS" = 200 ] && [ -s "$work/body" ]'
cl_get sign 131016 -H "If-Modified-Since: $cl_lm"
expect test_crl_if_modified_since_304 eval '[ "$STATUS" = 304 ]'
cl_get sign 131016 -H "If-Modified-Since: $(date -u -d "$cl_this - 1 day" '+%a, %d %b %Y %H:%M:%S GMT')"
expect test_crl_if_modified_since_older_200 eval '[ "$STATUS" = 200 ] && [ -s "$work/body" ]'

# Numbers strictly increase; the newest is served.
cl_publish '{"issuer":"sign","municipality_code":"131016"}'
cl_n2=$(st_jv .published.0.number)
expect test_crl_number_strictly_increases eval '[ "$STATUS" = 200 ] && [ "$cl_n2" -gt "$cl_n1" ] && [ "$(st_jv .published.1)" = "" ]'
cl_get sign 131016 -H "If-None-Match: \"sign-131016-$cl_n1\""
expect test_crl_new_number_served_old_etag_200 eval '[ "$STATUS" = 200 ] && [ "$(cl_etag_number)" = "$cl_n2" ] && cl_text | grep -A1 "X509v3 CRL Number" | grep -q "^ *$cl_n2$"'
cl_db "INSERT INTO crls (issuer, shard, number, this_update, next_update, der)
    VALUES ('sign', '131016', $cl_n1, now(), now() + interval '1 day', '\\x00')" >/dev/null 2>"$work/mono.err"
cl_rc=$?
expect test_crl_monotonic_trigger_refuses_old_number eval '[ $cl_rc != 0 ] && grep -q "does not follow" "$work/mono.err"'

# Idempotency-Key: the retry gets the first answer, no third CRL.
# shellcheck disable=SC2046
call POST "$API/v1/crls/publish" $(tls operator) -H 'Idempotency-Key: cl-idem-1' \
	-H 'Content-Type: application/json' --data-binary '{"issuer":"auth","municipality_code":"141003"}'
cl_i1=$(st_jv .published.0.number)
# shellcheck disable=SC2046
call POST "$API/v1/crls/publish" $(tls operator) -H 'Idempotency-Key: cl-idem-1' \
	-H 'Content-Type: application/json' --data-binary '{"issuer":"auth","municipality_code":"141003"}'
cl_n=$(cl_db "SELECT max(number) FROM crls WHERE issuer = 'auth' AND shard = '141003'")
expect test_crl_publish_idempotency_key_replays eval '[ "$STATUS" = 200 ] && [ -n "$cl_i1" ] && jq_eq .published.0.number "$cl_i1" && [ "$cl_n" = "$cl_i1" ]'

# The previous CRL is served while a new one is built: hold the revocations
# table so the publication blocks, read the CRL meanwhile.
(jpki_psql "$pg" jpkid -c "BEGIN; LOCK TABLE revocations IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null 2>&1) &
cl_locker=$!
pids+=("$cl_locker")
sleep 0.5
# shellcheck disable=SC2046
curl -sS --max-time 20 -o "$work/pub-blocked.body" -w '%{http_code}' -X POST $(tls operator) \
	-H 'Content-Type: application/json' --data-binary '{"issuer":"sign","municipality_code":"131016"}' \
	"$API/v1/crls/publish" > "$work/pub-blocked.status" 2>/dev/null &
cl_pub=$!
pids+=("$cl_pub")
sleep 0.7
cl_t0=$(date +%s%N)
cl_get sign 131016
cl_ms=$(( ($(date +%s%N) - cl_t0) / 1000000 ))
expect test_r26_previous_crl_served_during_publication eval '[ "$STATUS" = 200 ] && [ "$(cl_etag_number)" = "$cl_n2" ] && [ "$cl_ms" -lt 1000 ]'
# shellcheck disable=SC2046
call POST "$API/v1/crls/publish" $(tls operator) -H 'Content-Type: application/json' --data-binary '{}'
expect test_crl_publish_while_publishing_409 eval 'is_problem 409 && conforms POST /v1/crls/publish && jq_eq .type urn:jpkid:problem:publication-in-progress && [ "$(header Retry-After)" = 5 ]'
wait "$cl_pub"
wait "$cl_locker"
cl_get sign 131016
expect test_crl_blocked_publication_completes_after eval '[ "$(cat "$work/pub-blocked.status")" = 200 ] && [ "$(cl_etag_number)" -gt "$cl_n2" ]'

# Entries of expired certificates are dropped (RFC 5280 5.1.2.6).
cl_db "UPDATE revocations SET not_after = now() - interval '1 day'
    WHERE serial = decode('$CL_YOKO_SIGN', 'hex')" >/dev/null
cl_publish '{"issuer":"sign","municipality_code":"141003"}'
cl_get sign 141003
expect test_crl_drops_expired_certificates eval '[ "$STATUS" = 200 ] && ! cl_text | grep -q "${CL_YOKO_SIGN^^}"'

# Every issuer and municipality at once; the listing shows the latest of each.
cl_publish ''
cl_all=$(st_jv .published | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect test_crl_publish_all_shards eval '[ "$STATUS" = 200 ] && conforms POST /v1/crls/publish && [ "$cl_all" = "$(( 2 * $(cl_db "SELECT count(*) FROM municipalities") ))" ]'
# shellcheck disable=SC2046
call GET "$API/v1/crls" $(tls operator)
cl_list=$($PY -c 'import json,sys
d = json.load(open(sys.argv[1]))["crls"]
print(len(d), len({(c["issuer"], c["municipality_code"]) for c in d}),
    [c["number"] for c in d if c["issuer"] == "sign" and c["municipality_code"] == "131016"][0])' "$work/body" 2>/dev/null)
cl_n=$(cl_db "SELECT max(number) FROM crls WHERE issuer = 'sign' AND shard = '131016'")
expect test_crls_list_latest_per_shard eval '[ "$STATUS" = 200 ] && conforms GET /v1/crls && [ "$cl_list" = "$cl_all $cl_all $cl_n" ]'
cl_sizes=$($PY -c 'import json,sys
d = json.load(open(sys.argv[1]))["crls"]
print(" ".join("%s:%s:%s" % (c["issuer"], c["municipality_code"], c["size_bytes"]) for c in sorted(d, key=lambda c: (c["issuer"], c["municipality_code"]))))' "$work/body" 2>/dev/null)
cl_dbsizes=$(cl_db "SELECT string_agg(issuer || ':' || shard || ':' || octet_length(der), ' ' ORDER BY issuer, shard)
    FROM (SELECT DISTINCT ON (issuer, shard) issuer, shard, der FROM crls ORDER BY issuer, shard, number DESC) l")
expect test_crls_list_size_bytes_of_the_latest_der eval '[ -n "$cl_sizes" ] && [ "$cl_sizes" = "$cl_dbsizes" ]'
# The latest is by number, not by its text: after CRL 9 comes 10 (found in review of issue 11).
while [ "$(cl_db "SELECT max(number) FROM crls WHERE issuer = 'auth' AND shard = '141003'")" -lt 11 ]; do
	cl_publish '{"issuer":"auth","municipality_code":"141003"}'
	[ "$STATUS" = 200 ] || break
done
# shellcheck disable=SC2046
call GET "$API/v1/crls" $(tls operator)
cl_latest=$($PY -c 'import json,sys
d = json.load(open(sys.argv[1]))["crls"]
print([c["number"] for c in d if c["issuer"] == "auth" and c["municipality_code"] == "141003"][0])' "$work/body" 2>/dev/null)
expect test_crls_list_latest_number_past_nine eval '[ "$cl_latest" = "$(cl_db "SELECT max(number) FROM crls WHERE issuer = '"'auth'"' AND shard = '"'141003'"'")" ] && [ "$cl_latest" -ge 11 ]'

# ---------------------------------------------------------------- refusals
cl_db "UPDATE operators SET role = 'viewer'" >/dev/null
cl_publish '{}'
expect test_crl_publish_viewer_403 eval 'is_problem 403 && conforms POST /v1/crls/publish'
# shellcheck disable=SC2046
call GET "$API/v1/crls" $(tls operator)
expect test_crls_list_viewer_200 eval '[ "$STATUS" = 200 ]'
cl_db "UPDATE operators SET role = 'admin'" >/dev/null
# shellcheck disable=SC2046
call POST "$API/v1/crls/publish" $(tls "$term_a") -H 'Content-Type: application/json' --data-binary '{}'
expect test_crl_publish_terminal_403 eval 'is_problem 403'
cl_publish '{"issuer":"both","extra":1}'
expect test_crl_publish_bad_fields_422 eval 'is_problem 422 && conforms POST /v1/crls/publish && jq_eq .fields.issuer "sign or auth" && jq_eq .fields.extra "unknown field"'
cl_publish '{"municipality_code":"999999"}'
expect test_crl_publish_unknown_municipality_404 eval 'is_problem 404 && conforms POST /v1/crls/publish'
cl_publish '[1'
expect test_crl_publish_bad_json_400 eval 'is_problem 400'

cl_get sign 999999
expect test_crl_unknown_municipality_404 eval 'is_problem 404 && conforms GET /crl/sign/999999.crl'
cl_db "INSERT INTO municipalities (code, prefecture, name) VALUES ('999001', '試験県', '試験村')
    ON CONFLICT DO NOTHING" >/dev/null
cl_get auth 999001
expect test_crl_not_yet_published_404 eval 'is_problem 404 && grep -q "published yet" "$work/body"'
cl_db "DELETE FROM municipalities WHERE code = '999001' AND NOT EXISTS (SELECT 1 FROM crls WHERE shard = '999001')" >/dev/null
for p in /crl/sign/13101.crl /crl/sign/131016.pem /crl/both/131016.crl /crl/sign/abcdef.crl; do
	call GET "$ST$p"
	expect "test_crl_bad_path_404${p//[\/.]/_}" is_problem 404
done
call POST "$ST/crl/sign/131016.crl" --data-binary x
expect test_crl_post_405 eval 'is_problem 405 && [ "$(header Allow)" = GET ]'

# ---------------------------------------------------------------- API listener
# shellcheck disable=SC2046
call GET "$API/crl/sign/131016.crl" $(tls rp)
expect test_crl_api_listener_relying_party_200 eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/pkix-crl ] && openssl crl -inform DER -in "$work/body" -noout 2>/dev/null && [ -n "$(header ETag)" ]'
# shellcheck disable=SC2046
call GET "$API/crl/auth/131016.crl" $(tls operator)
expect test_crl_api_listener_operator_200 eval '[ "$STATUS" = 200 ]'
# shellcheck disable=SC2046
call GET "$API/crl/sign/131016.crl" $(tls "$term_a")
expect test_crl_api_listener_terminal_403 eval 'is_problem 403'

# ---------------------------------------------------------------- CA certificates
call GET "$ST/ca/sign.crt"
openssl x509 -in "$ca/sign-ca.crt" -outform DER -out "$work/sign-ca.der"
expect test_ca_sign_crt_is_the_sign_ca_der eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/pkix-cert ] && conforms GET /ca/sign.crt && cmp -s "$work/body" "$work/sign-ca.der" && [ "$(header Cache-Control)" = "public, max-age=86400" ]'
cl_caetag=$(header ETag)
call GET "$ST/ca/sign.crt" -H "If-None-Match: $cl_caetag"
expect test_ca_crt_if_none_match_304 eval '[ "$STATUS" = 304 ] && conforms GET /ca/sign.crt'
call GET "$ST/ca/auth.crt"
openssl x509 -in "$ca/auth-ca.crt" -outform DER -out "$work/auth-ca.der"
expect test_ca_auth_crt_is_the_auth_ca_der eval '[ "$STATUS" = 200 ] && cmp -s "$work/body" "$work/auth-ca.der" && [ "$(header ETag)" != "$cl_caetag" ]'
call GET "$ST/ca/root.crt"
expect test_ca_unknown_file_404 eval 'is_problem 404 && conforms GET /ca/root.crt'
# The caIssuers URL in an issued certificate leads to its CA.
cl_aia=$(openssl x509 -in "$work/st/$CL_GOOD_SIGN.pem" -noout -ext authorityInfoAccess | sed -n 's/.*CA Issuers - URI:\(.*\)/\1/p')
call GET "$cl_aia"
expect test_ca_issuers_url_serves_the_issuer eval '[ "$STATUS" = 200 ] && openssl verify -partial_chain -trusted <(openssl x509 -inform DER -in "$work/body") "$work/st/$CL_GOOD_SIGN.pem" >/dev/null 2>&1'
