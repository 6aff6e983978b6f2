# The OCSP responder (POST /ocsp, RFC 5019 GET /ocsp/{base64}) with real
# clients: openssl ocsp and GnuTLS ocsptool. Sourced by tests/api/run.sh
# against its main jpkid ($ST status listener, $API, CA in $ca). Resident
# codes 131016500NN (千代田区) and 141003500NN (横浜市中区).

od=$work/ocsp
mkdir -p "$od"
# oq ISSUER-STEM [openssl ocsp args...]: ask $ST/ocsp; output in $od/out.
oq() {
	local is=$1
	shift
	openssl ocsp -issuer "$ca/$is-ca.crt" -url "$ST/ocsp" -CAfile "$ca/$is-ca.crt" \
		-resp_text "$@" > "$od/out" 2>&1
}
# ocsp_status: the responseStatus byte of the DER in $work/body (hex), "" if none.
ocsp_status() { xxd -p "$work/body" | tr -d '\n'; }
# b64url FILE: RFC 5019 GET path text of a DER request, percent-encoded.
b64url() { base64 -w0 "$1" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g'; }

st_resident 13101650001 131016
st_resident 13101650002 131016
st_resident 14100350001 141003
st_issue 13101650001; A_SIGN=$ST_SIGN A_AUTH=$ST_AUTH
st_issue 13101650002 '["sign"]'; B_SIGN=$ST_SIGN
st_issue 14100350001 '["sign"]'; C_SIGN=$ST_SIGN
pem() { echo "$work/st/$1.pem"; }
expect test_ocsp_setup_issued_certificates eval '[ -n "$A_SIGN" ] && [ -n "$A_AUTH" ] && [ -n "$B_SIGN" ] && [ -n "$C_SIGN" ]'

# --- good, verified against the CA (delegated responder, nocheck) -----------
oq sign -cert "$(pem "$A_SIGN")"
expect test_ocsp_openssl_sign_good eval 'grep -q "Response verify OK" "$od/out" && grep -q "$(pem "$A_SIGN"): good" "$od/out"'
expect test_ocsp_responder_id_by_key_and_cert_included eval 'grep -q "Responder Id: [0-9A-F]\{40\}" "$od/out" && grep -q "OCSP Signing" "$od/out"'
# Issue 13: an anonymous caller's nonce is ignored (RFC 5019): the cached response, verified.
expect test_ocsp_anonymous_nonce_ignored_response_verifies eval 'grep -q "WARNING: no nonce in response" "$od/out" && ! grep -q "OCSP Nonce" "$od/out"'
oq auth -cert "$(pem "$A_AUTH")"
expect test_ocsp_openssl_auth_good eval 'grep -q "Response verify OK" "$od/out" && grep -q "$(pem "$A_AUTH"): good" "$od/out"'
oq sign -cert "$(pem "$A_SIGN")" -cert "$(pem "$B_SIGN")" -cert "$(pem "$C_SIGN")"
expect test_ocsp_several_certids_one_response eval 'grep -q "Response verify OK" "$od/out" && [ "$(grep -c "\.pem: good$" "$od/out")" = 3 ]'
oq sign -serial 0x0123456789abcdef
expect test_ocsp_never_issued_serial_unknown eval 'grep -q "Response verify OK" "$od/out" && grep -q "0x0123456789abcdef: unknown" "$od/out"'
oq sign -sha256 -cert "$(pem "$A_SIGN")"
expect test_ocsp_sha256_certid_good eval 'grep -q "Response verify OK" "$od/out" && grep -q ": good" "$od/out" && grep -q "Hash Algorithm: sha256" "$od/out"'

# --- unauthorized: a foreign issuer, mixed issuers --------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$od/foreign.key" -subj "/CN=Foreign CA" \
	-days 2 -out "$od/foreign.crt" 2>/dev/null
openssl ocsp -issuer "$od/foreign.crt" -serial 0x01 -url "$ST/ocsp" > "$od/out" 2>&1
expect test_ocsp_foreign_issuer_unauthorized grep -q "Responder Error: unauthorized (6)" "$od/out"
openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" -issuer "$ca/auth-ca.crt" \
	-cert "$(pem "$A_AUTH")" -url "$ST/ocsp" > "$od/out" 2>&1
expect test_ocsp_mixed_issuers_unauthorized grep -q "Responder Error: unauthorized (6)" "$od/out"

# --- GnuTLS ocsptool ----------------------------------------------------------
if command -v ocsptool >/dev/null; then
	ocsptool --ask="$ST/ocsp" --load-issuer "$ca/sign-ca.crt" --load-cert "$(pem "$B_SIGN")" \
		--load-signer "$ca/sign-ocsp.crt" > "$od/gnutls" 2>&1
	expect test_ocsp_gnutls_ocsptool_good eval 'grep -q "Certificate Status: good" "$od/gnutls" && grep -q "Verifying OCSP Response: Success" "$od/gnutls"'
fi

# --- RFC 5019 GET, cached -----------------------------------------------------
openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$(pem "$B_SIGN")" -no_nonce -reqout "$od/b.req" >/dev/null 2>&1
call GET "$ST/ocsp/$(b64url "$od/b.req")"
cp "$work/body" "$od/get1.der"; etag1=$(header ETag); cc=$(header Cache-Control)
maxage=$(echo "$cc" | sed -n 's/.*max-age=\([0-9]*\).*/\1/p')
nu=$(openssl ocsp -respin "$od/get1.der" -resp_text -noverify 2>/dev/null | sed -n 's/^ *Next Update: //p' | head -1)
# max-age is taken at the server, left a moment later here: allow 2 s.
left=$(( $(date -d "$nu" +%s) - $(date +%s) ))
expect test_ocsp_get_good_with_rfc5019_headers eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/ocsp-response ] && conforms GET /ocsp/x &&
	openssl ocsp -respin "$od/get1.der" -issuer "$ca/sign-ca.crt" -cert "$(pem "$B_SIGN")" -CAfile "$ca/sign-ca.crt" 2>&1 | grep -q ": good" &&
	[ -n "$(header Last-Modified)" ] && [ -n "$(header Expires)" ] && [ -n "$etag1" ] &&
	[ -n "$maxage" ] && [ "$maxage" -le $((left + 2)) ] && [ "$maxage" -gt 0 ] &&
	echo "$cc" | grep -q "public, no-transform, must-revalidate"'
call GET "$ST/ocsp/$(base64 -w0 "$od/b.req")"
expect test_ocsp_get_unencoded_path_served_from_cache eval '[ "$STATUS" = 200 ] && cmp -s "$work/body" "$od/get1.der" && [ "$(header ETag)" = "$etag1" ]'
call GET "$ST/ocsp/$(b64url "$od/b.req")"
expect test_ocsp_get_repeated_same_cached_response eval '[ "$STATUS" = 200 ] && cmp -s "$work/body" "$od/get1.der" && [ "$(header ETag)" = "$etag1" ]'
oq sign -cert "$(pem "$B_SIGN")" -no_nonce
expect test_ocsp_post_without_nonce_good eval 'grep -q ": good" "$od/out" && ! grep -q "OCSP Nonce" "$od/out"'

# --- malformed and HTTP-level errors -------------------------------------------
openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" -reqout "$od/a.req" >/dev/null 2>&1
head -c 30 "$od/a.req" > "$od/trunc.req"
call POST "$ST/ocsp" -H 'Content-Type: application/ocsp-request' --data-binary @"$od/trunc.req"
expect test_ocsp_truncated_der_malformed eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/ocsp-response ] && [ "$(ocsp_status)" = 30030a0101 ] && conforms POST /ocsp'
{ cat "$od/a.req"; printf '\0'; } > "$od/trail.req"
call POST "$ST/ocsp" -H 'Content-Type: application/ocsp-request' --data-binary @"$od/trail.req"
expect test_ocsp_trailing_bytes_malformed eval '[ "$STATUS" = 200 ] && [ "$(ocsp_status)" = 30030a0101 ]'
call POST "$ST/ocsp" -H 'Content-Type: application/ocsp-request' --data-binary 'hello, responder'
expect test_ocsp_garbage_malformed eval '[ "$STATUS" = 200 ] && [ "$(ocsp_status)" = 30030a0101 ]'
call POST "$ST/ocsp" -H 'Content-Type: application/ocsp-request'
expect test_ocsp_empty_body_malformed eval '[ "$STATUS" = 200 ] && [ "$(ocsp_status)" = 30030a0101 ]'
call GET "$ST/ocsp/not*base64!"
expect test_ocsp_get_bad_base64_malformed eval '[ "$STATUS" = 200 ] && [ "$(ocsp_status)" = 30030a0101 ] && [ "$(header Cache-Control)" = no-store ]'
call GET "$ST/ocsp/$(head -c 30 "$od/a.req" | base64 -w0 | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')"
expect test_ocsp_get_truncated_malformed eval '[ "$STATUS" = 200 ] && [ "$(ocsp_status)" = 30030a0101 ]'
head -c 20000 /dev/zero > "$od/huge.req"
call POST "$ST/ocsp" -H 'Content-Type: application/ocsp-request' --data-binary @"$od/huge.req"
expect test_ocsp_huge_body_413 eval 'is_problem 413 && conforms POST /ocsp'
call POST "$ST/ocsp" -H 'Content-Type: application/json' --data-binary @"$od/a.req"
expect test_ocsp_wrong_content_type_415 eval 'is_problem 415 && conforms POST /ocsp'
call POST "$ST/ocsp" --data-binary @"$od/a.req"
expect test_ocsp_form_content_type_415 is_problem 415

# --- the API listener: relying parties and operators only ----------------------
call POST "$API/ocsp" $(tls operator) -H 'Content-Type: application/ocsp-request' --data-binary @"$od/a.req"
expect test_ocsp_api_listener_operator_answered eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/ocsp-response ] &&
	openssl ocsp -respin "$work/body" -no_nonce -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" -CAfile "$ca/sign-ca.crt" 2>&1 | grep -q ": good"'
call POST "$API/ocsp" $(tls "$term_a") -H 'Content-Type: application/ocsp-request' --data-binary @"$od/a.req"
expect test_ocsp_api_listener_terminal_403 is_problem 403

# --- revocation: visible within 1 s (NOTIFY -> re-signed cache entry) -----------
st_db "UPDATE certificates SET status = 'revoked', revoked_at = now(), reason = 'keyCompromise',
	invalidity_date = now() - interval '1 day' WHERE serial = decode('$B_SIGN', 'hex')" >/dev/null
sleep 1
oq sign -cert "$(pem "$B_SIGN")"
expect test_ocsp_revoked_with_reason_within_1s eval 'grep -q "Response verify OK" "$od/out" && grep -q "$(pem "$B_SIGN"): revoked" "$od/out" && grep -q "Reason: keyCompromise" "$od/out" && grep -q "Invalidity Date" "$od/out"'
# Needs the jobs thread (LISTEN jpkid_revocation -> ocsp_on_revocation).
if grep -q jobs_start "$top/daemon/main.c"; then
	call GET "$ST/ocsp/$(b64url "$od/b.req")"
	expect test_ocsp_cached_get_revoked_within_1s eval '[ "$STATUS" = 200 ] && [ "$(header ETag)" != "$etag1" ] &&
		openssl ocsp -respin "$work/body" -issuer "$ca/sign-ca.crt" -cert "$(pem "$B_SIGN")" -CAfile "$ca/sign-ca.crt" 2>&1 | grep -q ": revoked"'
	# ocsptool sends no nonce: its answer comes from the cache as well.
	if command -v ocsptool >/dev/null; then
		ocsptool --ask="$ST/ocsp" --load-issuer "$ca/sign-ca.crt" --load-cert "$(pem "$B_SIGN")" \
			--load-signer "$ca/sign-ocsp.crt" > "$od/gnutls" 2>&1
		expect test_ocsp_gnutls_ocsptool_revoked eval 'grep -q "Certificate Status: revoked" "$od/gnutls" && grep -q "Verifying OCSP Response: Success" "$od/gnutls"'
	fi
fi
st_db "UPDATE certificates SET status = 'revoked', revoked_at = now(), reason = 'unspecified'
	WHERE serial = decode('$C_SIGN', 'hex')" >/dev/null
oq sign -cert "$(pem "$C_SIGN")"
expect test_r26_unspecified_revoked_without_reason_code eval 'grep -q ": revoked" "$od/out" && ! grep -q "Reason:" "$od/out"'

# --- end to end: every way of revoking, seen by openssl ocsp within 1 s -----
# (issue 4 "Done when": the revoke API, a card event and a raw SQL register
# change are visible to openssl ocsp within a second and in the next CRL)
# oq_wait ISSUER PEM PATTERN: ask every 100 ms for up to 1 s until the
# output matches; sets OQ_MS to the milliseconds it took.
oq_wait() {
	local t0 i
	t0=$(date +%s%3N)
	for i in $(seq 1 10); do
		oq "$1" -cert "$2"
		grep -q "$3" "$od/out" && { OQ_MS=$(( $(date +%s%3N) - t0 )); return 0; }
		sleep 0.1
	done
	return 1
}
st_resident 13101650901 131016
st_issue 13101650901; E_SIGN=$ST_SIGN E_AUTH=$ST_AUTH
oq sign -cert "$(pem "$E_SIGN")"
expect test_e2e_ocsp_good_before_revoke grep -q ": good" "$od/out"
call POST "$API/v1/certificates/$E_SIGN/revoke" $(tls "$term_a") \
	-H 'Content-Type: application/json' --data-binary '{"reason":"keyCompromise"}'
rc_prev=$STATUS
expect test_r26_revoke_api_visible_to_openssl_ocsp_within_1s eval '[ "$rc_prev" = 200 ] &&
	oq_wait sign "$(pem "$E_SIGN")" ": revoked" && grep -q "Reason: keyCompromise" "$od/out" &&
	grep -q "Response verify OK" "$od/out"'
echo "# revoke API -> openssl ocsp revoked after ${OQ_MS:-?} ms"
if command -v ocsptool >/dev/null; then
	ocsptool --ask="$ST/ocsp" --load-issuer "$ca/sign-ca.crt" --load-cert "$(pem "$E_SIGN")" \
		--load-signer "$ca/sign-ocsp.crt" > "$od/gt.out" 2>&1
	expect test_r26_revoke_api_visible_to_gnutls_ocsptool eval 'grep -q "Certificate Status: revoked" "$od/gt.out" && grep -q "Verifying OCSP Response: Success" "$od/gt.out"'
fi
oq auth -cert "$(pem "$E_AUTH")"
expect test_r26_revoking_sign_leaves_auth_good grep -q ": good" "$od/out"
# ... and in the next CRL of the shard.
call POST "$API/v1/crls/publish" $(tls operator) -H 'Content-Type: application/json' \
	--data-binary '{"issuer":"sign","municipality_code":"131016"}'
curl -s -o "$od/e2e.crl" "$ST/crl/sign/131016.crl"
openssl crl -inform DER -in "$od/e2e.crl" -out "$od/e2e-crl.pem" 2>/dev/null
openssl verify -crl_check -CAfile "$ca/sign-ca.crt" -CRLfile "$od/e2e-crl.pem" "$(pem "$E_SIGN")" > "$od/v.out" 2>&1
expect test_r26_revoked_certificate_in_the_next_crl eval 'grep -q "certificate revoked" "$od/v.out" &&
	openssl crl -inform DER -in "$od/e2e.crl" -noout -text | grep -qi "Serial Number: ${E_SIGN^^}"'

# R11: a lost card revokes both, keyCompromise, visible in OCSP within 1 s.
st_resident 13101650902 131016
st_issue 13101650902; F_SIGN=$ST_SIGN F_AUTH=$ST_AUTH
call POST "$API/v1/cards/913101650902/events" $(tls "$term_a") \
	-H 'Content-Type: application/json' --data-binary '{"event":"lost"}'
rc_prev=$STATUS
expect test_r11_lost_card_visible_to_openssl_ocsp_within_1s eval '[ "$rc_prev" = 201 ] &&
	oq_wait sign "$(pem "$F_SIGN")" ": revoked" && grep -q "Reason: keyCompromise" "$od/out" &&
	oq_wait auth "$(pem "$F_AUTH")" ": revoked" && grep -q "Reason: keyCompromise" "$od/out"'

# R10: a plain SQL UPDATE of the address (no API call at all): SIGN revoked
# affiliationChanged in OCSP within 1 s (trigger -> NOTIFY -> sweep -> NOTIFY
# -> re-signed cache entry); AUTH stays good.
st_resident 13101650903 131016
st_issue 13101650903; G_SIGN=$ST_SIGN G_AUTH=$ST_AUTH
oq sign -cert "$(pem "$G_SIGN")"	# cached as good first
st_db "UPDATE residents SET address = '東京都千代田区永田町１丁目７番１号' WHERE resident_code = '13101650903'" >/dev/null
expect test_r10_sql_address_change_sign_revoked_in_ocsp_within_1s eval \
	'oq_wait sign "$(pem "$G_SIGN")" ": revoked" && grep -q "Reason: affiliationChanged" "$od/out"'
echo "# SQL UPDATE -> openssl ocsp revoked after ${OQ_MS:-?} ms"
oq auth -cert "$(pem "$G_AUTH")"
expect test_r10_sql_address_change_auth_still_good grep -q ": good" "$od/out"
# R12: a death recorded in SQL revokes both, cessationOfOperation.
st_resident 13101650904 131016
st_issue 13101650904; H_SIGN=$ST_SIGN H_AUTH=$ST_AUTH
st_db "UPDATE residents SET status = 'deceased' WHERE resident_code = '13101650904'" >/dev/null
expect test_r12_sql_death_revokes_both_in_ocsp_within_1s eval \
	'oq_wait sign "$(pem "$H_SIGN")" ": revoked" && grep -q "Reason: cessationOfOperation" "$od/out" &&
	oq_wait auth "$(pem "$H_AUTH")" ": revoked" && grep -q "Reason: cessationOfOperation" "$od/out"'

# --- issue 13: anonymous floods cost a bounded number of signatures ------------
# om NAME: the sum of a /metrics counter's series (0 when absent).
om() { curl -s "$ST/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { print s + 0 }'; }
# A registered caller (an operator on the API listener) still gets its nonce echoed.
openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" -reqout "$od/rn.req" >/dev/null 2>&1
call POST "$API/ocsp" $(tls operator) -H 'Content-Type: application/ocsp-request' --data-binary @"$od/rn.req"
# (-reqin: openssl compares the response's nonce with that request's)
openssl ocsp -reqin "$od/rn.req" -respin "$work/body" -CAfile "$ca/sign-ca.crt" -resp_text > "$od/rn.out" 2>&1
expect test_ocsp_registered_caller_nonce_echoed eval 'grep -q "Response verify OK" "$od/rn.out" &&
	grep -q "OCSP Nonce" "$od/rn.out" && ! grep -qi "nonce verify error\|WARNING: no nonce" "$od/rn.out" &&
	grep -q "Cert Status: good" "$od/rn.out"'

# 40 anonymous POSTs for a known serial, each with its own nonce: no new signature.
oq sign -cert "$(pem "$A_SIGN")"	# its CertID is in the cache
for i in $(seq 1 40); do
	openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" -reqout "$od/n$i.req" >/dev/null 2>&1
done
of_sig0=$(om jpkid_ocsp_signatures_total) of_ign0=$(om jpkid_ocsp_nonce_ignored_total)
of_ok=0
for i in $(seq 1 40); do
	curl -s --interface 127.0.0.3 -o "$od/n$i.der" -H 'Content-Type: application/ocsp-request' \
		--data-binary @"$od/n$i.req" "$ST/ocsp"
	openssl ocsp -respin "$od/n$i.der" -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" \
		-CAfile "$ca/sign-ca.crt" > "$od/nv.out" 2>&1 &&
		grep -q "Response verify OK" "$od/nv.out" && grep -q ": good" "$od/nv.out" && of_ok=$((of_ok + 1))
done
of_sig1=$(om jpkid_ocsp_signatures_total) of_ign1=$(om jpkid_ocsp_nonce_ignored_total)
echo "# nonce flood: 40 requests, $((of_sig1 - of_sig0)) signatures, $((of_ign1 - of_ign0)) nonces ignored, $of_ok verified"
expect test_ocsp_nonce_flood_costs_no_signature eval '[ $of_ok = 40 ] && [ $((of_sig1 - of_sig0)) -le 1 ] &&
	[ $((of_ign1 - of_ign0)) = 40 ]'

# 60 anonymous requests for random never-issued serials from one address: at most
# the address's budget is signed, the rest is tryLater (unsigned), nothing is cached,
# and a known serial's cached response is still served as it was.
openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" -no_nonce -reqout "$od/ka.req" >/dev/null 2>&1
call GET "$ST/ocsp/$(b64url "$od/ka.req")"
cp "$work/body" "$od/ka1.der"
for i in $(seq 1 60); do
	openssl ocsp -issuer "$ca/sign-ca.crt" -serial "0x7f$(openssl rand -hex 15)" -no_nonce \
		-reqout "$od/u$i.req" >/dev/null 2>&1
done
of_sig0=$(om jpkid_ocsp_signatures_total) of_ref0=$(om jpkid_ocsp_budget_refused_total)
of_t0=$(date +%s)
of_try=0 of_unknown=0
for i in $(seq 1 60); do
	curl -s --interface 127.0.0.2 -o "$od/u$i.der" -H 'Content-Type: application/ocsp-request' \
		--data-binary @"$od/u$i.req" "$ST/ocsp"
	if [ "$(xxd -p "$od/u$i.der" | tr -d '\n')" = 30030a0103 ]; then
		of_try=$((of_try + 1))
	elif openssl ocsp -respin "$od/u$i.der" -issuer "$ca/sign-ca.crt" -CAfile "$ca/sign-ca.crt" \
		-reqin "$od/u$i.req" -resp_text 2>&1 | grep -q "Cert Status: unknown"; then
		of_unknown=$((of_unknown + 1))
	fi
done
of_secs=$(( $(date +%s) - of_t0 + 1 ))
of_sig1=$(om jpkid_ocsp_signatures_total) of_ref1=$(om jpkid_ocsp_budget_refused_total)
echo "# unknown-serial flood: 60 requests in ${of_secs}s, $((of_sig1 - of_sig0)) signatures, $of_unknown unknown, $of_try tryLater"
# budget: 20 at once, then 1 a second (OCSP_BUDGET_ADDR_BURST, OCSP_BUDGET_ADDR_PER_MIN)
expect test_ocsp_unknown_serial_flood_bounded_signatures_then_trylater eval '[ $((of_sig1 - of_sig0)) -le $((20 + of_secs)) ] &&
	[ $((of_sig1 - of_sig0)) = $of_unknown ] && [ $of_unknown -ge 15 ] && [ $((of_unknown + of_try)) = 60 ] &&
	[ $((of_ref1 - of_ref0)) = $of_try ]'
curl -s --interface 127.0.0.2 -o "$od/ka2.der" "$ST/ocsp/$(b64url "$od/ka.req")"
expect test_ocsp_known_serial_still_cached_after_flood eval 'cmp -s "$od/ka1.der" "$od/ka2.der" &&
	[ "$(om jpkid_ocsp_signatures_total)" = $of_sig1 ] &&
	openssl ocsp -respin "$od/ka2.der" -issuer "$ca/sign-ca.crt" -cert "$(pem "$A_SIGN")" -CAfile "$ca/sign-ca.crt" 2>&1 | grep -q ": good"'
