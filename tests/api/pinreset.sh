# PIN resets (R14, R16, R16a; issue 5), sourced by tests/api/run.sh.
# A jpkid on the same database runs with a test clock read from a file
# ($pr_clock) and its own development CA (dated before the clock, with the
# PIN reset authority pinreset.crt), so the tests can move time: the proxy's
# second visit, an expired challenge, an expired authorization.
# Residents 131016780NN (千代田区, terminal $term_a); the holder's card keys
# are RSA key pairs made for each certificate ($pr/CODE.TYPE.key, by
# pr_issue: R22, one key per holder and type), so a kiosk proof can be
# signed with openssl like a card would.

pr=$work/pr
mkdir -p "$pr"
pr_clock=$pr/clock
pr_set_clock() { echo "$1" > "$pr_clock"; PR_NOW=$1; }
PR_T0=1795222800	# 2026-11-21 10:00 JST
pr_set_clock $PR_T0
pca=$pr/ca
JPKID_TEST_CLOCK=$((PR_T0 - 30 * 86400)) "$jpkictl" init --dir "$pca" >/dev/null
papi_port=$(jpki_free_port $((api_port + 40)))
pst_port=$(jpki_free_port $((papi_port + 1)))
pconf=$pr/jpkid.conf
jpki_write_config "$pconf" "$ca" "$conninfo" "$papi_port" "$pst_port"
sed -i "s#= $ca/\(sign-ca\|auth-ca\|sign-ocsp\|auth-ocsp\|pinreset\)#= $pca/\1#" "$pconf"
JPKID_TEST_CLOCK=@$pr_clock start_jpkid "$pconf" "$pr/jpkid.log"
pr_pid=$JPKID_PID
PAPI=https://127.0.0.1:$papi_port
expect test_pinreset_daemon_ready_with_authority eval 'wait_ready "http://127.0.0.1:$pst_port" 20 &&
	grep -q "^\[pinreset\]" "$pconf" && grep -q "^cert = $pca/pinreset.crt" "$pconf"'

for k in sign auth; do
	openssl req -new -newkey rsa:2048 -nodes -keyout "$pr/$k.key" -subj "/CN=ignored" \
		-outform DER -out "$pr/$k.csr" 2>/dev/null
done
PR_SIGN_CSR=$(base64 -w0 "$pr/sign.csr")
PR_AUTH_CSR=$(base64 -w0 "$pr/auth.csr")
PR_SELF='{"documents":[{"kind":"mynumber_card","holder":"resident"},{"kind":"health_insurance_card","holder":"resident"}]}'
PR_REP='{"documents":[{"kind":"drivers_licence","holder":"applicant"}],"authority":"family_register"}'
PR_PROXY='{"documents":[{"kind":"passport","holder":"applicant"},{"kind":"pension_book","holder":"applicant"}]}'

pr_post() {	# pr_post WHO PATH JSON [curl args...]
	local who=$1 path=$2 data=$3
	shift 3
	call POST "$PAPI$path" $(tls "$who") -H 'Content-Type: application/json' \
		--data-binary "$data" "$@"
}
pr_apply() {	# pr_apply CODE PROCEDURE TYPES KIND EVIDENCE: sets PR_APP
	local name=''
	[ "$4" != self ] && name=',"name":"代理 人","relationship":"知人"'
	pr_post "$term_a" /v1/applications "{\"resident_code\":\"$1\",\"procedure\":\"$2\",\"types\":$3,\"applicant\":{\"kind\":\"$4\"$name},\"evidence\":$5}"
	PR_APP=$(st_jv .id)
}
pr_issue() {	# pr_issue CODE TYPE KIND EVIDENCE: a certificate for a new key $pr/CODE.TYPE.key; sets PR_SERIAL
	local csr
	new_csr csr	# R22: one key, one holder, one type
	cp "$NEW_CSR_KEY" "$pr/$1.$2.key"
	pr_apply "$1" issue "[\"$2\"]" "$3" "$4"
	[ "$STATUS" = 201 ] || { echo "# pr_issue apply $1 $2: $STATUS $(head -c 300 "$work/body")" >&2; return 1; }
	pr_post "$term_a" "/v1/applications/$PR_APP/certificates" "{\"type\":\"$2\",\"csr\":\"$csr\"}"
	[ "$STATUS" = 201 ] || { echo "# pr_issue $1 $2: $STATUS $(head -c 300 "$work/body")" >&2; return 1; }
	PR_SERIAL=$(st_jv .serial)
}
pr_reset() {	# pr_reset APP KEY [WHO [curl args...]]: counter channel; sets PR_AUTHZ, PR_JWS
	local app=$1 key=$2 who=${3:-$term_a}
	shift 2
	[ $# -gt 0 ] && shift
	pr_post "$who" /v1/pin-resets "{\"channel\":\"counter\",\"application_id\":\"$app\",\"key_type\":\"$key\"}" "$@"
	PR_AUTHZ=$(st_jv .id)
	PR_JWS=$(st_jv .authorization)
}
pr_challenge() {	# pr_challenge KIOSK CARD KEY: sets PR_CH
	call GET "$PAPI/v1/pin-resets/challenge?card_number=$2&key_type=$3" $(tls "$1")
	PR_CH=$(st_jv .challenge)
}
pr_sig() {	# pr_sig KEYFILE CARD KEY CHALLENGE: base64 signature of the R16a message
	printf 'jpki-pin-reset-challenge/1\n%s\n%s\n%s' "$2" "$3" "$4" |
		openssl dgst -sha256 -sign "$1" | base64 -w0
}
pr_kiosk() {	# pr_kiosk KIOSK CARD KEY CHALLENGE SIGNATURE [curl args...]: sets PR_AUTHZ, PR_JWS
	local who=$1 card=$2 key=$3 ch=$4 sig=$5
	shift 5
	pr_post "$who" /v1/pin-resets "{\"channel\":\"kiosk\",\"card_number\":\"$card\",\"key_type\":\"$key\",\"challenge\":\"$ch\",\"signature\":\"$sig\"}" "$@"
	PR_AUTHZ=$(st_jv .id)
	PR_JWS=$(st_jv .authorization)
}
pr_complete() { pr_post "$1" "/v1/pin-resets/$2/complete" '{}'; }
# pr_jws_ok JWS CARD KEY CHANNEL: the token verifies (RS256) with its x5c
# certificate, which the AUTH CA issued with the PIN reset EKU; claims match.
pr_jws_ok() {
	$PY - "$1" "$pr" "$2" "$3" "$4" <<'PYEOF' || return 1
import base64, json, sys
tok, d, card, key, chan = sys.argv[1:]
def b64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
h, p, s = tok.split(".")
hdr, pl = json.loads(b64(h)), json.loads(b64(p))
assert hdr["alg"] == "RS256" and hdr["typ"] == "jpki-pin-reset", hdr
assert pl["card_number"] == card and pl["key_type"] == key and pl["channel"] == chan, pl
assert pl["exp"] - pl["iat"] == 300, pl
open(d + "/x5c.der", "wb").write(base64.b64decode(hdr["x5c"][0]))
open(d + "/jws.data", "wb").write((h + "." + p).encode())
open(d + "/jws.sig", "wb").write(b64(s))
PYEOF
	openssl x509 -inform DER -in "$pr/x5c.der" -out "$pr/x5c.pem" &&
	openssl x509 -in "$pr/x5c.pem" -noout -pubkey > "$pr/x5c.pub" &&
	openssl dgst -sha256 -verify "$pr/x5c.pub" -signature "$pr/jws.sig" "$pr/jws.data" >/dev/null &&
	openssl verify -CAfile "$pca/auth-ca.crt" "$pr/x5c.pem" >/dev/null &&
	openssl x509 -in "$pr/x5c.pem" -noout -text | grep -q "2.25.98714405201932460530618134916077397736"
}

# ---------------------------------------------------------------- residents and certificates
PR_A=13101678001	# adult: both certificates
PR_C=13101678002	# child (11): AUTH only, legal representative
PR_R=13101678003	# adult whose AUTH certificate gets revoked
PR_N=13101678004	# adult without any certificate
st_resident $PR_A 131016
st_resident $PR_C 131016 2015-01-01
st_resident $PR_R 131016
st_resident $PR_N 131016
st_resident 14100378001 141003
CARD_A=9$PR_A CARD_C=9$PR_C CARD_R=9$PR_R CARD_N=9$PR_N
pr_issue $PR_A auth self "$ST_EV" && A_AUTH=$PR_SERIAL && pr_issue $PR_A sign self "$ST_EV"
expect test_pinreset_fixture_certificates eval '[ "$STATUS" = 201 ] && [ -n "$A_AUTH" ]'
pr_issue $PR_C auth legal_representative "$PR_REP"
pr_issue $PR_R auth self "$ST_EV" && R_AUTH=$PR_SERIAL && pr_issue $PR_R sign self "$ST_EV"

# ---------------------------------------------------------------- counter: self (R14)
pr_apply $PR_A pin_reset '["sign"]' self "$ST_EV"
expect test_r14_pin_reset_card_alone_refused eval 'is_problem 422 && jq_eq .rule R14 &&
	jq_eq .type urn:jpkid:problem:insufficient-evidence && conforms POST /v1/applications'
pr_apply $PR_A pin_reset '["sign"]' self '{"documents":[{"kind":"mynumber_card","holder":"resident"},{"kind":"health_insurance_card","holder":"resident","copy":true}]}'
expect test_r14_pin_reset_copy_never_counts eval 'is_problem 422 && jq_eq .rule R14'
pr_apply $PR_A pin_reset '["sign"]' self '{"documents":[{"kind":"mynumber_card","holder":"resident"},{"kind":"passport","holder":"resident","expired":true}]}'
expect test_r14_pin_reset_expired_document_never_counts eval 'is_problem 422 && jq_eq .rule R14'
pr_apply $PR_N pin_reset '["sign"]' self "$PR_SELF"
expect test_r16a_pin_reset_without_certificate_refused eval 'is_problem 422 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:no-certificate'
pr_apply $PR_A pin_reset '["sign"]' self "$PR_SELF"
APP_A=$PR_APP
expect test_r14_r18_pin_reset_application_self_ready_free eval '[ "$STATUS" = 201 ] &&
	conforms POST /v1/applications && jq_eq .state ready && jq_eq .procedure pin_reset &&
	jq_eq .fee_yen 0 && jq_eq .plan "{}" && jq_eq .card_number $CARD_A'
pr_post "$term_a" "/v1/applications/$APP_A/certificates" "{\"type\":\"sign\",\"csr\":\"$PR_SIGN_CSR\"}"
expect test_r16a_pin_reset_application_issues_no_certificate eval 'is_problem 409 &&
	jq_eq .type urn:jpkid:problem:wrong-procedure && conforms POST /v1/applications/x/certificates'
pr_reset "$APP_A" auth
expect test_r16a_counter_key_not_in_application_409 eval 'is_problem 409 && jq_eq .type urn:jpkid:problem:type-not-applied'
pr_reset "$APP_A" sign "$term_b"
expect test_r1_counter_reset_other_municipality_404 eval 'is_problem 404 && conforms POST /v1/pin-resets'
pr_reset "$APP_A" sign
expect test_r16a_counter_reset_authorized eval '[ "$STATUS" = 201 ] && conforms POST /v1/pin-resets &&
	jq_eq .channel counter && jq_eq .key_type sign && jq_eq .card_number $CARD_A &&
	jq_eq .expires_at "$(date -u -d @$((PR_NOW + 300)) +%Y-%m-%dT%H:%M:%SZ)"'
AUTHZ_A=$PR_AUTHZ JWS_A=$PR_JWS
expect test_r16a_authorization_jws_verifies_against_auth_ca pr_jws_ok "$JWS_A" $CARD_A sign counter
expect test_r16a_authorization_recorded_by_hash_only eval '[ "$(st_db "SELECT encode(token_hash, '"'"'hex'"'"') FROM pin_reset_authorizations WHERE id = '"'"'$AUTHZ_A'"'"'")" = "$(printf %s "$JWS_A" | sha256sum | cut -d" " -f1)" ]'
expect test_r16a_authorization_audited_without_token eval '[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'"'pin_reset.authorize'"'"' AND object = '"'"'$PR_A'"'"' AND detail->>'"'"'authorization'"'"' = '"'"'$AUTHZ_A'"'"'")" = 1 ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE detail::text LIKE '"'"'%${JWS_A:0:40}%'"'"'")" = 0 ] && ! grep -q "${JWS_A:0:40}" "$pr/jpkid.log"'
expect test_r16a_application_completed_when_every_key_authorized \
	test "$(st_db "SELECT state FROM applications WHERE id = '$APP_A'")" = completed
pr_reset "$APP_A" sign
expect test_r16a_counter_second_authorization_409 eval 'is_problem 409'
pr_complete "$term_b" "$AUTHZ_A"
expect test_r1_complete_by_other_municipality_404 eval 'is_problem 404 && conforms POST /v1/pin-resets/x/complete'
pr_complete "$term_a" "$AUTHZ_A"
expect test_r16a_complete_marks_used eval '[ "$STATUS" = 200 ] && conforms POST /v1/pin-resets/x/complete &&
	jq_eq .id $AUTHZ_A && jq_eq .used_at "$(date -u -d @$PR_NOW +%Y-%m-%dT%H:%M:%SZ)" &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'"'pin_reset.complete'"'"' AND detail->>'"'"'authorization'"'"' = '"'"'$AUTHZ_A'"'"'")" = 1 ]'
pr_complete "$term_a" "$AUTHZ_A"
expect test_r16a_complete_twice_authorization_used_409 eval 'is_problem 409 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:authorization-used && conforms POST /v1/pin-resets/x/complete'

# ---------------------------------------------------------------- counter: legal representative, both keys
pr_apply $PR_C pin_reset '["sign"]' legal_representative "$PR_REP"
expect test_r16a_child_sign_reset_refused_no_certificate eval 'is_problem 422 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:no-certificate'
pr_apply $PR_C pin_reset '["auth"]' self "$PR_SELF"
expect test_r13_child_pin_reset_needs_legal_representative eval 'is_problem 422 && jq_eq .rule R13'
pr_apply $PR_C pin_reset '["auth"]' legal_representative '{"documents":[{"kind":"drivers_licence","holder":"applicant"}]}'
expect test_r14_legal_representative_without_authority_refused eval 'is_problem 422 && jq_eq .rule R14'
pr_apply $PR_C pin_reset '["auth"]' legal_representative "$PR_REP"
APP_C=$PR_APP
pr_reset "$APP_C" auth
expect test_r16a_counter_reset_legal_representative eval '[ "$STATUS" = 201 ] && jq_eq .key_type auth &&
	pr_jws_ok "$PR_JWS" $CARD_C auth counter'
pr_apply $PR_A pin_reset '["auth","sign"]' self "$PR_SELF"
APP_AB=$PR_APP
pr_reset "$APP_AB" auth
pr_reset "$APP_AB" auth
expect test_r16a_counter_same_key_twice_409 eval 'is_problem 409 && jq_eq .type urn:jpkid:problem:already-authorized'
expect test_r16a_application_open_until_both_keys \
	test "$(st_db "SELECT state FROM applications WHERE id = '$APP_AB'")" = ready
pr_reset "$APP_AB" sign
expect test_r16a_both_keys_complete_the_application eval '[ "$STATUS" = 201 ] &&
	[ "$(st_db "SELECT state FROM applications WHERE id = '"'"'$APP_AB'"'"'")" = completed ]'

# ---------------------------------------------------------------- counter: voluntary proxy, two visits
pr_apply $PR_A pin_reset '["sign"]' voluntary_proxy '{"documents":[{"kind":"passport","holder":"applicant"}]}'
expect test_r14_proxy_pin_reset_needs_two_documents eval 'is_problem 422 && jq_eq .rule R14'
pr_apply $PR_A pin_reset '["sign"]' voluntary_proxy '{"documents":[{"kind":"pension_book","holder":"applicant"},{"kind":"health_insurance_card","holder":"applicant"}]}'
expect test_r14_proxy_pin_reset_needs_a_photo_id eval 'is_problem 422 && jq_eq .rule R14'
pr_apply $PR_A pin_reset '["sign"]' voluntary_proxy "$PR_PROXY"
APP_P=$PR_APP
PR_CODE=$(st_jv .inquiry.answer_code)
expect test_r13_proxy_pin_reset_awaits_inquiry eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .state awaiting_inquiry && [ -n "$PR_CODE" ]'
pr_reset "$APP_P" sign
expect test_r13_proxy_reset_before_inquiry_answer_409 eval 'is_problem 409 && jq_eq .rule R13'
pr_set_clock $((PR_T0 + 86400))
pr_post "$term_a" "/v1/applications/$APP_P/inquiry-answer" "{\"answer_code\":\"$PR_CODE\",\"evidence\":{\"documents\":[{\"kind\":\"passport\",\"holder\":\"applicant\"}]}}"
expect test_r14_proxy_second_visit_needs_two_documents eval 'is_problem 422 && jq_eq .rule R14'
pr_post "$term_a" "/v1/applications/$APP_P/inquiry-answer" "{\"answer_code\":\"$PR_CODE\",\"evidence\":$PR_PROXY}"
expect test_r13_proxy_second_visit_answered eval '[ "$STATUS" = 200 ] && jq_eq .state ready'
pr_reset "$APP_P" sign "$term_a" -H 'Idempotency-Key: pr-counter-1'
expect test_r16a_counter_reset_voluntary_proxy eval '[ "$STATUS" = 201 ] && pr_jws_ok "$PR_JWS" $CARD_A sign counter'
JWS_P=$PR_JWS
cp "$work/body" "$pr/counter-first.body"
pr_reset "$APP_P" sign "$term_a" -H 'Idempotency-Key: pr-counter-1'
expect test_r16a_counter_replay_signs_the_same_token_again eval '[ "$STATUS" = 201 ] &&
	[ "$(header Idempotent-Replayed)" = true ] && [ "$PR_JWS" = "$JWS_P" ] &&
	cmp -s "$work/body" "$pr/counter-first.body" && conforms POST /v1/pin-resets'
# R13 for PIN reset inquiries too: 20 wrong answer codes at once, each
# counted once against the limit of 5 (issue 13).
pr_apply $PR_A pin_reset '["sign"]' voluntary_proxy "$PR_PROXY"
APP_PC=$PR_APP
pr_set_clock $((PR_NOW + 86400))
pcp=()
for i in $(seq 1 20); do
	curl -sS -o "$pr/pc$i.body" -w '%{http_code}' --max-time 30 $(tls "$term_a") \
		-H 'Content-Type: application/json' \
		--data-binary "{\"answer_code\":\"ZZZZ-ZZ$((i / 10))$((i % 10))\",\"evidence\":$PR_PROXY}" \
		"$PAPI/v1/applications/$APP_PC/inquiry-answer" > "$pr/pc$i.status" 2>"$pr/pc$i.err" &
	pcp+=($!)
done
wait "${pcp[@]}"
expect test_r13_concurrent_wrong_pin_reset_answers_counted_once_each eval '
	[ "$(for f in "$pr"/pc*.status; do cat "$f"; echo; done | grep -c "^422$")" = 5 ] &&
	[ "$(for f in "$pr"/pc*.status; do cat "$f"; echo; done | grep -c "^409$")" = 15 ] &&
	[ "$(st_db "SELECT state || '"'"' '"'"' || wrong_attempts FROM inquiries WHERE application_id = '"'"'$APP_PC'"'"'")" = "void 5" ] &&
	[ "$(st_db "SELECT state FROM applications WHERE id = '"'"'$APP_PC'"'"'")" = cancelled ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'"'inquiry.answer'"'"' AND detail->>'"'"'application'"'"' = '"'"'$APP_PC'"'"'")" = 5 ] ||
	{ echo "# statuses: $(cat "$pr"/pc*.status)" >&2; false; }'

# ---------------------------------------------------------------- PIN change (reported)
pr_post "$term_a" "/v1/cards/$CARD_A/pin-changes" '{"key_type":"sign"}'
expect test_r16a_pin_change_reported eval '[ "$STATUS" = 204 ] && conforms POST /v1/cards/x/pin-changes &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'"'pin.change'"'"' AND detail->>'"'"'card_number'"'"' = '"'"'$CARD_A'"'"'")" = 1 ]'
pr_post "$term_b" "/v1/cards/$CARD_A/pin-changes" '{"key_type":"sign"}'
expect test_r1_pin_change_other_municipality_404 eval 'is_problem 404 && conforms POST /v1/cards/x/pin-changes'
pr_post kiosk "/v1/cards/$CARD_A/pin-changes" '{"key_type":"auth"}'
expect test_r16a_pin_change_reported_by_kiosk eval '[ "$STATUS" = 204 ]'
pr_post "$term_a" "/v1/cards/$CARD_A/pin-changes" '{"key_type":"pin"}'
expect test_pin_change_bad_key_type_422 eval 'is_problem 422 && conforms POST /v1/cards/x/pin-changes'

# ---------------------------------------------------------------- kiosk
pr_challenge kiosk $CARD_A sign
CH1=$PR_CH
expect test_r16a_kiosk_challenge eval '[ "$STATUS" = 200 ] && conforms GET /v1/pin-resets/challenge &&
	[ ${#CH1} = 43 ] && jq_eq .card_number $CARD_A && jq_eq .key_type sign &&
	jq_eq .expires_at "$(date -u -d @$((PR_NOW + 120)) +%Y-%m-%dT%H:%M:%SZ)"'
call GET "$PAPI/v1/pin-resets/challenge?card_number=$CARD_A&key_type=sign" $(tls "$term_a")
expect test_kiosk_challenge_forbidden_to_terminals eval 'is_problem 403 && conforms GET /v1/pin-resets/challenge'
call GET "$PAPI/v1/pin-resets/challenge?card_number=999999999999&key_type=sign" $(tls kiosk)
expect test_kiosk_challenge_unknown_card_404 eval 'is_problem 404 && conforms GET /v1/pin-resets/challenge'
pr_kiosk kiosk $CARD_A sign "$CH1" "$(pr_sig "$pr/$PR_A.sign.key" $CARD_A sign "$CH1")"
expect test_r16a_kiosk_sign_reset_with_sign_key_is_bad_proof eval 'is_problem 422 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:bad-proof && conforms POST /v1/pin-resets &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'"'pin_reset.refused'"'"' AND detail->>'"'"'slug'"'"' = '"'"'bad-proof'"'"'")" -ge 1 ]'
pr_kiosk kiosk $CARD_A sign "$CH1" "$(pr_sig "$pr/$PR_A.auth.key" $CARD_A sign "$CH1")" -H 'Idempotency-Key: pr-kiosk-1'
AUTHZ_K=$PR_AUTHZ JWS_K=$PR_JWS
expect test_r16a_kiosk_sign_reset_proven_with_auth_key eval '[ "$STATUS" = 201 ] && conforms POST /v1/pin-resets &&
	jq_eq .channel kiosk && jq_eq .key_type sign && pr_jws_ok "$JWS_K" $CARD_A sign kiosk'
pr_kiosk kiosk $CARD_A sign "$CH1" "$(pr_sig "$pr/$PR_A.auth.key" $CARD_A sign "$CH1")" -H 'Idempotency-Key: pr-kiosk-1'
expect test_kiosk_reset_idempotency_replay_same_authorization eval '[ "$STATUS" = 201 ] &&
	[ "$(header Idempotent-Replayed)" = true ] && [ "$PR_AUTHZ" = "$AUTHZ_K" ]'
expect test_r16a_kiosk_replay_signs_the_same_token_again eval '[ "$PR_JWS" = "$JWS_K" ] &&
	pr_jws_ok "$PR_JWS" $CARD_A sign kiosk && conforms POST /v1/pin-resets'
# No authorization rests in the database: the stored responses hold none
# (a JWS starts eyJhbGciOi, its header {"alg":...}), nor these signatures.
expect test_r16a_idempotency_rows_hold_no_authorization_token eval '
	[ "$(st_db "SELECT count(*) FROM idempotency WHERE position(convert_to('"'"'eyJhbGciOi'"'"', '"'"'UTF8'"'"') in response) > 0")" = 0 ] &&
	[ "$(st_db "SELECT count(*) FROM idempotency WHERE position(convert_to('"'"'${JWS_K##*.}'"'"', '"'"'UTF8'"'"') in response) > 0
	    OR position(convert_to('"'"'${JWS_P##*.}'"'"', '"'"'UTF8'"'"') in response) > 0")" = 0 ] &&
	[ "$(st_db "SELECT count(*) FROM idempotency WHERE key IN ('"'"'pr-kiosk-1'"'"', '"'"'pr-counter-1'"'"') AND status = 201")" = 2 ]'
pr_kiosk kiosk $CARD_A sign "$CH1" "$(pr_sig "$pr/$PR_A.auth.key" $CARD_A sign "$CH1")"
expect test_r16a_kiosk_challenge_reused_409 eval 'is_problem 409 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:challenge-used'
pr_challenge kiosk $CARD_R sign
pr_kiosk kiosk $CARD_A sign "$PR_CH" "$(pr_sig "$pr/$PR_A.auth.key" $CARD_A sign "$PR_CH")"
expect test_r16a_kiosk_challenge_for_another_card_refused eval 'is_problem 422 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:challenge-mismatch'
pr_challenge kiosk $CARD_A sign
pr_kiosk kiosk-auth $CARD_A sign "$PR_CH" "$(pr_sig "$pr/$PR_A.auth.key" $CARD_A sign "$PR_CH")"
expect test_r16a_kiosk_challenge_of_another_kiosk_refused eval 'is_problem 422 &&
	jq_eq .type urn:jpkid:problem:challenge-mismatch'
CH_OLD=$PR_CH
pr_set_clock $((PR_NOW + 121))
pr_kiosk kiosk $CARD_A sign "$CH_OLD" "$(pr_sig "$pr/$PR_A.auth.key" $CARD_A sign "$CH_OLD")"
expect test_r16a_kiosk_challenge_expired_409 eval 'is_problem 409 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:challenge-expired'
pr_challenge kiosk $CARD_A auth
expect test_r16a_auth_reset_at_kiosk_without_support_refused eval 'is_problem 422 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:kiosk-no-auth-reset && conforms GET /v1/pin-resets/challenge'
pr_challenge kiosk-auth $CARD_A auth
pr_kiosk kiosk-auth $CARD_A auth "$PR_CH" "$(pr_sig "$pr/$PR_A.sign.key" $CARD_A auth "$PR_CH")"
AUTHZ_KA=$PR_AUTHZ
expect test_r16a_auth_reset_at_supporting_kiosk_proven_with_sign_key eval '[ "$STATUS" = 201 ] &&
	jq_eq .key_type auth && pr_jws_ok "$PR_JWS" $CARD_A auth kiosk'
pr_complete kiosk "$AUTHZ_KA"
expect test_r16a_complete_by_another_kiosk_404 eval 'is_problem 404'
pr_complete kiosk-auth "$AUTHZ_KA"
expect test_r16a_kiosk_complete eval '[ "$STATUS" = 200 ] && jq_eq .channel kiosk'
pr_set_clock $((PR_NOW + 301))
pr_complete kiosk "$AUTHZ_K"
expect test_r16a_complete_after_expiry_authorization_expired_409 eval 'is_problem 409 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:authorization-expired'

# A revoked AUTH certificate proves nothing (and leaves nothing to reset at the counter).
call POST "$PAPI/v1/certificates/$R_AUTH/revoke" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary '{"reason":"keyCompromise"}'
pr_challenge kiosk $CARD_R sign
pr_kiosk kiosk $CARD_R sign "$PR_CH" "$(pr_sig "$pr/$PR_R.auth.key" $CARD_R sign "$PR_CH")"
expect test_r16a_kiosk_reset_with_revoked_auth_certificate_refused eval 'is_problem 422 && jq_eq .rule R16a &&
	jq_eq .type urn:jpkid:problem:proof-certificate-invalid &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'"'pin_reset.refused'"'"' AND object = '"'"'$PR_R'"'"' AND detail->>'"'"'slug'"'"' = '"'"'proof-certificate-invalid'"'"'")" = 1 ]'
pr_apply $PR_R pin_reset '["auth"]' self "$PR_SELF"
expect test_r16a_counter_reset_of_revoked_key_refused eval 'is_problem 422 && jq_eq .type urn:jpkid:problem:no-certificate'

# ---------------------------------------------------------------- R19 and configuration
st_db "INSERT INTO suspensions (starts_at, ends_at, reason, created_by) VALUES
	(to_timestamp($PR_NOW - 60), to_timestamp($PR_NOW + 600), 'pin reset test', 'test')" >/dev/null
pr_challenge kiosk $CARD_A sign
expect test_r19_kiosk_refused_during_suspension eval 'is_problem 503 && jq_eq .rule R19 &&
	[ "$(header Retry-After)" = 600 ] && conforms GET /v1/pin-resets/challenge'
pr_apply $PR_A pin_reset '["sign"]' self "$PR_SELF"
expect test_r19_counter_pin_reset_refused_during_suspension eval 'is_problem 503 && jq_eq .rule R19'
st_db "UPDATE suspensions SET cancelled_at = now() WHERE reason = 'pin reset test'" >/dev/null

sed '/^\[pinreset\]/,$d' "$pconf" > "$pr/nopin.conf"
napi=$(jpki_free_port $((pst_port + 1)))
nst=$(jpki_free_port $((napi + 1)))
sed -i "s/127.0.0.1:$papi_port/127.0.0.1:$napi/; s/127.0.0.1:$pst_port/127.0.0.1:$nst/" "$pr/nopin.conf"
start_jpkid "$pr/nopin.conf" "$pr/nopin.log"
np_pid=$JPKID_PID
wait_ready "http://127.0.0.1:$nst" 20
call GET "https://127.0.0.1:$napi/v1/pin-resets/challenge?card_number=$CARD_A&key_type=sign" $(tls kiosk)
expect test_r16a_without_authority_503_not_configured eval 'is_problem 503 &&
	jq_eq .type urn:jpkid:problem:pin-reset-not-configured && conforms GET /v1/pin-resets/challenge'
kill -TERM "$np_pid"
wait "$np_pid" 2>/dev/null
sed "s#^cert = $pca/pinreset.crt#cert = $pca/auth-ocsp.crt#; s#^key = $pca/pinreset.key#key = $pca/auth-ocsp.key#" "$pconf" > "$pr/wrong.conf"
expect test_keyring_refuses_pinreset_certificate_without_eku eval '! "$jpkid" -t -c "$pr/wrong.conf" 2>"$pr/wrong.err" &&
	grep -q "pinreset certificate lacks the PIN reset EKU" "$pr/wrong.err"'
sed "s#^cert = $pca/pinreset.crt#cert = $ca/pinreset.crt#; s#^key = $pca/pinreset.key#key = $ca/pinreset.key#" "$pconf" > "$pr/other.conf"
expect test_keyring_refuses_pinreset_certificate_of_another_ca eval '! "$jpkid" -t -c "$pr/other.conf" 2>"$pr/other.err" &&
	grep -q "pinreset certificate is not issued by the AUTH CA" "$pr/other.err"'
expect test_keyring_loads_pinreset_authority eval '"$jpkid" -t -c "$pconf" | grep -q "configuration and keys OK"'

kill -TERM "$pr_pid"
wait "$pr_pid"
rc_prev=$?
expect test_pinreset_daemon_clean_exit eval '[ $rc_prev = 0 ]'
