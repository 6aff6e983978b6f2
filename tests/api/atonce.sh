# Issue at once (issue 15): POST /v1/applications with "certificates", the
# application and its certificates in one transaction on the main daemon
# ($API, real clock). Sourced by tests/api/run.sh; residents 1310169770x
# (千代田区) and 1410039770x (横浜市中区).

at_apply() {	# at_apply CODE TYPES-JSON CERTS-JSON [APPLICANT-JSON [curl args...]]
	local code=$1 types=$2 certs=$3 applicant=${4:-'{"kind":"self"}'}
	shift 3
	[ $# -gt 0 ] && shift
	call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json' \
		--data-binary "{\"resident_code\":\"$code\",\"procedure\":\"issue\",\"types\":$types,\"applicant\":$applicant,\"evidence\":$ST_EV,\"certificates\":$certs}" "$@"
}
at_apps() { st_db "SELECT count(*) FROM applications WHERE resident_code = '$1'"; }
at_certs() { st_db "SELECT count(*) FROM certificates WHERE resident_code = '$1'"; }
for r in 13101697701 13101697702 13101697703 13101697704 13101697705 13101697706 \
	13101697707 13101697708 13101697709; do
	st_resident "$r" 131016
done
st_resident 14100397701 141003

# One AUTH certificate with its application: 201 after both are committed.
new_csr at_csr1
at_key1=$NEW_CSR_KEY
at_apply 13101697701 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr1\"}]"
at_id=$(st_jv .id)
at_serial=$(st_jv .certificates.0.serial)
expect test_atonce_auth_issued_with_its_application eval '[ "$STATUS" = 201 ] &&
	conforms POST /v1/applications && jq_eq .state completed &&
	jq_eq .certificates.0.type auth && jq_eq .certificates.0.application.state completed &&
	jq_eq .certificates.0.application.id "$at_id" && [ -n "$at_serial" ] &&
	[ "$(st_db "SELECT state FROM applications WHERE id = '"'$at_id'"'")" = completed ] &&
	[ "$(st_db "SELECT count(*) FROM certificates WHERE application_id = '"'$at_id'"'
	    AND serial = decode('"'$at_serial'"', '"'hex'"') AND status = '"'valid'"'")" = 1 ]'
expect test_atonce_audited_as_application_and_issuance eval \
	'[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'application.create'"' AND object = '"'13101697701'"'")" = 1 ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'certificate.issue'"' AND detail->>'"'application'"' = '"'$at_id'"'")" = 1 ]'
# The certificate is the one the key asked for, and it verifies (openssl).
st_jv .certificates.0.certificate > "$work/atonce-auth.pem"
st_jv .certificates.0.chain > "$work/atonce-auth-ca.pem"
expect test_atonce_certificate_verifies_in_openssl_and_holds_the_csr_key eval \
	'openssl verify -CAfile "$work/atonce-auth-ca.pem" "$work/atonce-auth.pem" >/dev/null 2>&1 &&
	[ "$(openssl x509 -in "$work/atonce-auth.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" = \
	  "$(openssl pkey -in "$at_key1" -pubout -outform DER | sha256sum)" ]'

# Both types, listed SIGN first: issued AUTH first (R7), SIGN capped by it.
new_csr at_csr_s
new_csr at_csr_a
at_apply 13101697702 '["sign","auth"]' "[{\"type\":\"sign\",\"csr\":\"$at_csr_s\"},{\"type\":\"auth\",\"csr\":\"$at_csr_a\"}]"
st_jv .certificates.1.certificate > "$work/atonce-sign.pem"
st_jv .certificates.1.chain > "$work/atonce-sign-ca.pem"
expect test_atonce_both_auth_first_r7 eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .state completed && jq_eq .certificates.0.type auth && jq_eq .certificates.1.type sign &&
	jq_eq .certificates.0.application.state ready && jq_eq .certificates.1.application.state completed &&
	[ "$(st_db "SELECT count(*) FROM certificates WHERE resident_code = '"'13101697702'"' AND status = '"'valid'"'")" = 2 ] &&
	openssl verify -CAfile "$work/atonce-sign-ca.pem" "$work/atonce-sign.pem" >/dev/null 2>&1'
expect test_atonce_sign_not_after_within_auth_r7 eval \
	'[ "$(st_db "SELECT bool_and(s.not_after <= a.not_after) FROM certificates s, certificates a
	    WHERE s.resident_code = '"'13101697702'"' AND a.resident_code = s.resident_code
	    AND s.type = '"'sign'"' AND a.type = '"'auth'"'")" = t ]'

# A subset: the application stays ready for the other type's certificate POST.
new_csr at_csr3
at_apply 13101697703 '["auth","sign"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr3\"}]"
at_id3=$(st_jv .id)
expect test_atonce_subset_leaves_the_application_ready eval '[ "$STATUS" = 201 ] &&
	conforms POST /v1/applications && jq_eq .state ready && [ "$(st_jv .certificates.1)" = "" ]'
new_csr at_csr3s
call POST "$API/v1/applications/$at_id3/certificates" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"type\":\"sign\",\"csr\":\"$at_csr3s\"}"
expect test_atonce_subset_rest_issued_by_the_certificate_post eval '[ "$STATUS" = 201 ] &&
	jq_eq .type sign && jq_eq .application.state completed'

# Refusals before anything is written.
new_csr at_csr4
at_apply 13101697704 '["auth","sign"]' "[{\"type\":\"sign\",\"csr\":\"$at_csr4\"}]"
expect test_atonce_sign_without_auth_refused_r7_nothing_written eval 'is_problem 409 && jq_eq .rule R7 &&
	jq_eq .type urn:jpkid:problem:auth-first && conforms POST /v1/applications &&
	[ "$(at_apps 13101697704)" = 0 ]'
at_apply 13101697704 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr4\"}]" \
	'{"kind":"voluntary_proxy","name":"代理 人","relationship":"知人"}'
expect test_atonce_voluntary_proxy_refused_r13_nothing_written eval 'is_problem 409 && jq_eq .rule R13 &&
	jq_eq .type urn:jpkid:problem:wrong-state && [ "$(at_apps 13101697704)" = 0 ]'
at_apply 13101697704 '["auth"]' "[{\"type\":\"sign\",\"csr\":\"$at_csr4\"}]"
expect test_atonce_type_not_applied_for_422 eval 'is_problem 422 &&
	jq_eq .fields.certificates "each type must be in types" && [ "$(at_apps 13101697704)" = 0 ]'
for bad in '"x"' '[]' "[{\"type\":\"auth\",\"csr\":\"$at_csr4\"},{\"type\":\"auth\",\"csr\":\"$at_csr4\"}]" \
	"[{\"type\":\"auth\",\"csr\":\"$at_csr4\",\"extra\":1}]" '[{"type":"auth","csr":"@@@"}]'; do
	at_apply 13101697704 '["auth"]' "$bad"
	[ "$STATUS" = 422 ] || break
done
expect test_atonce_malformed_certificates_422 eval 'is_problem 422 && [ "$(at_apps 13101697704)" = 0 ]'
call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"resident_code\":\"13101697704\",\"procedure\":\"pin_reset\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV,\"certificates\":[{\"type\":\"auth\",\"csr\":\"$at_csr4\"}]}"
expect test_atonce_pin_reset_issues_no_certificate_422 eval 'is_problem 422 &&
	jq_eq .fields.certificates "a PIN reset issues no certificate (R16a)" && [ "$(at_apps 13101697704)" = 0 ]'
openssl req -new -newkey rsa:1024 -nodes -keyout "$work/atonce-weak.key" -subj /CN=weak \
	-outform DER -out "$work/atonce-weak.csr" 2>/dev/null
at_apply 13101697704 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$(base64 -w0 "$work/atonce-weak.csr")\"}]"
expect test_atonce_weak_key_refused_r22_nothing_written eval 'is_problem 422 && jq_eq .rule R22 &&
	jq_eq .type urn:jpkid:problem:csr-key && conforms POST /v1/applications &&
	grep -q "certificates.auth.csr" "$work/body" && [ "$(at_apps 13101697704)" = 0 ]'

# Refused inside the transaction: the application is rolled back with it.
at_apply 13101697705 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr1\"}]"
expect test_atonce_key_in_use_r22_rolls_the_application_back eval 'is_problem 409 && jq_eq .rule R22 &&
	jq_eq .type urn:jpkid:problem:key-in-use && conforms POST /v1/applications &&
	[ "$(at_apps 13101697705)" = 0 ] && [ "$(at_certs 13101697705)" = 0 ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE object = '"'13101697705'"'")" = 0 ]'
# R1: another municipality's resident is the 404 of an unknown one; nothing written.
new_csr at_csr6
at_apply 14100397701 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr6\"}]"
expect test_atonce_r1_other_municipality_404_nothing_written eval 'is_problem 404 &&
	[ "$(at_apps 14100397701)" = 0 ] && [ "$(at_certs 14100397701)" = 0 ]'
# The key refused above was never certified: it is issued once it is someone's first.
at_apply 13101697706 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr6\"}]"
expect test_atonce_key_of_a_refused_request_issues_later eval '[ "$STATUS" = 201 ] && jq_eq .state completed'

# Idempotency-Key: the retry replays the first 201, certificates included.
new_csr at_csr7
at_apply 13101697707 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr7\"}]" '' -H 'Idempotency-Key: atonce-7'
at_s7=$(st_jv .certificates.0.serial)
at_apply 13101697707 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr7\"}]" '' -H 'Idempotency-Key: atonce-7'
expect test_atonce_idempotent_replay_same_certificate eval '[ "$STATUS" = 201 ] &&
	[ "$(header Idempotent-Replayed)" = true ] && jq_eq .certificates.0.serial "$at_s7" &&
	[ "$(at_apps 13101697707)" = 1 ] && [ "$(at_certs 13101697707)" = 1 ]'

# R9: issuing at once over a valid AUTH supersedes it in the same transaction.
new_csr at_csr8
at_apply 13101697708 '["auth"]' "[{\"type\":\"auth\",\"csr\":\"$at_csr8\"}]"
at_old=$(st_jv .certificates.0.serial)
new_csr at_csr8b
call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"resident_code\":\"13101697708\",\"procedure\":\"renew\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV,\"certificates\":[{\"type\":\"auth\",\"csr\":\"$at_csr8b\"}]}"
expect test_atonce_renewal_supersedes_r9 eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .certificates.0.superseded.0 "$at_old" &&
	[ "$(st_db "SELECT status || '"'/'"' || reason FROM certificates WHERE serial = decode('"'$at_old'"', '"'hex'"')")" = revoked/superseded ]'
