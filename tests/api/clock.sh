# Clock safety and the issuing CA's life (issue 13), sourced by tests/api/run.sh.
#
# A jpkid of its own: its own database (jpkid_clock), its own development CA
# made by `jpkictl init --days 400` (so an AUTH's five years outlive the
# issuing CA), and a test clock read from a file ($ck/clock: "+N" seconds
# from the real clock), with the CRL scheduler looking every second.
#
#  - R6/R7 and the CA's life: the resident view, the application and the
#    certificate all say capped_by "ca" with the CA's notAfter (openssl
#    x509 reads it); with the clock moved to 60 days before the CA's end,
#    the view refuses (ca-rollover-required), the application and the
#    issuance are 409 problems, never the lint's 500.
#  - R26 clock steps: real time, a day ahead, back again: at each step a
#    CRL is published (POST /v1/crls/publish), its number goes up, the
#    served CRL verifies with `openssl crl -verify` and `openssl verify
#    -crl_check` against the CA certificate and is current (at the
#    instance's now: -attime a day ahead; real time after the step back,
#    where main kept tomorrow's thisUpdate: "CRL is not yet valid"); the
#    step back is logged as a warning. An OCSP GET for the same certificate
#    (`openssl ocsp -respin`) is current at each step: the response cached
#    "tomorrow" is not served once the clock is back (that certificate
#    ends with its card, within the CA: issued on main too). Then the same step
#    with no POST at all: the scheduler republishes at once.

ck=$work/ck
mkdir -p "$ck"
ck_clock=$ck/clock
echo +0 > "$ck_clock"
ck_ca=$ck/ca
jpki_pg_createdb "$pg" jpkid_clock
ck_ci="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid_clock"
"$jpkictl" init --dir "$ck_ca" --days 400 > "$ck/init.out" 2>&1
ck_api=$(jpki_free_port $((api_port + 60 + RANDOM % 200)))
ck_stp=$(jpki_free_port $((ck_api + 1)))
jpki_write_config "$ck/jpkid.conf" "$ck_ca" "$ck_ci" "$ck_api" "$ck_stp"
printf '\n[crl]\ncheck_interval = 1\n' >> "$ck/jpkid.conf"
JPKID_TEST_CLOCK=@$ck_clock start_jpkid "$ck/jpkid.conf" "$ck/jpkid.log"
ck_pid=$JPKID_PID
CAPI=https://127.0.0.1:$ck_api
CST=http://127.0.0.1:$ck_stp
expect test_clock_daemon_ready wait_ready "$CST" 30
jpki_psql "$pg" jpkid_clock -q -f "$top/deploy/demo/municipalities.sql" >/dev/null
"$jpkictl" enroll --db "$ck_ci" --manifest "$ck_ca/manifest.txt" > "$ck/enroll.out" 2>&1

ck_tls() { echo --cacert "$ck_ca/client-ca.crt" --cert "$ck_ca/$1.crt" --key "$ck_ca/$1.key"; }
ck_db() { jpki_psql "$pg" jpkid_clock -tAc "$1"; }
ck_post() {	# ck_post PATH JSON [WHO]
	# shellcheck disable=SC2046
	call POST "$CAPI$1" $(ck_tls "${3:-terminal-131016}") -H 'Content-Type: application/json' \
		--data-binary "$2"
}
ck_epoch() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }
ck_rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
ck_resident() {	# CODE [CARD-DAYS]: a resident of 千代田区 born 1980-04-01, an active card
	ck_db "INSERT INTO residents (resident_code, municipality_code, family_name, given_name,
	    birth_date, sex, address) VALUES ('$1', '131016', '時計', '太郎', '1980-04-01', '1',
	    '東京都千代田区一番町${1: -1}番');
	  INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on,
	    card_family_name, card_given_name, card_birth_date, card_sex, card_address)
	    SELECT '9' || '$1', '$1', 'mynumber', current_date - 30, current_date + ${2:-3650},
	    family_name, given_name, birth_date, sex, address FROM residents
	    WHERE resident_code = '$1'" >/dev/null
}
ck_apply() {	# CODE TYPES-JSON: sets CK_APP
	ck_post /v1/applications "{\"resident_code\":\"$1\",\"procedure\":\"issue\",\"types\":$2,\"applicant\":{\"kind\":\"self\"},\"evidence\":{\"documents\":[{\"kind\":\"mynumber_card\",\"holder\":\"resident\"}]}}"
	CK_APP=$(st_jv .id)
}
ck_issue() {	# R22: a new key for every certificate
	local csr
	new_csr csr
	ck_post "/v1/applications/$1/certificates" "{\"type\":\"$2\",\"csr\":\"$csr\"}"
}

# ---------------------------------------------------------------- R6/R7: the CA's life
ck_auth_end=$(ck_epoch "$ck_ca/auth-ca.crt")
ck_sign_end=$(ck_epoch "$ck_ca/sign-ca.crt")
ck_resident 13101670001
ck_resident 13101670002
# shellcheck disable=SC2046
call GET "$CAPI/v1/residents/13101670001" $(ck_tls terminal-131016)
expect test_r6_resident_view_caps_auth_at_the_ca eval '[ "$STATUS" = 200 ] && conforms GET /v1/residents/13101670001 &&
	jq_eq .eligibility.auth.eligible true && jq_eq .eligibility.auth.capped_by ca &&
	jq_eq .eligibility.auth.not_after "$(ck_rfc "$ck_auth_end")" &&
	jq_eq .eligibility.sign.capped_by ca && jq_eq .eligibility.sign.not_after "$(ck_rfc "$ck_sign_end")"'
ck_apply 13101670001 '["auth","sign"]'
expect test_r6_application_plan_capped_by_ca eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .plan.auth.capped_by ca && jq_eq .plan.auth.not_after "$(ck_rfc "$ck_auth_end")"'
ck_app1=$CK_APP
ck_issue "$ck_app1" auth
st_jv .certificate > "$ck/auth.pem"
expect test_r6_issued_auth_ends_with_its_ca eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications/x/certificates &&
	jq_eq .capped_by ca && [ "$(ck_epoch "$ck/auth.pem")" = "$ck_auth_end" ] &&
	openssl verify -CAfile "$ck_ca/auth-ca.crt" "$ck/auth.pem" >/dev/null 2>&1'
ck_issue "$ck_app1" sign
st_jv .certificate > "$ck/sign.pem"
expect test_r7_issued_sign_within_its_ca eval '[ "$STATUS" = 201 ] && [ "$(ck_epoch "$ck/sign.pem")" -le "$ck_sign_end" ] &&
	[ "$(ck_epoch "$ck/sign.pem")" -le "$ck_auth_end" ] && openssl verify -CAfile "$ck_ca/sign-ca.crt" "$ck/sign.pem" >/dev/null 2>&1'
# Filed now, issued after the clock has moved (below).
ck_apply 13101670002 '["auth"]'
ck_app2=$CK_APP
expect test_r6_second_application_ready eval '[ "$STATUS" = 201 ] && jq_eq .state ready'
# The certificate of the clock steps: its card ends within the CA's life
# (capped_by card), so it is issued without any cap by the CA.
ck_resident 13101670003 200
ck_apply 13101670003 '["auth"]'
ck_issue "$CK_APP" auth
st_jv .certificate > "$ck/leaf.pem"
expect test_r26_clock_fixture_issued eval '[ "$STATUS" = 201 ] && jq_eq .capped_by card'

# ---------------------------------------------------------------- R26: clock steps
ck_publish() {	# POST /v1/crls/publish (the AUTH CRL of 131016), waiting out the scheduler's lock
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ck_post /v1/crls/publish '{"issuer":"auth","municipality_code":"131016"}' operator
		[ "$STATUS" = 409 ] || break
		sleep 1
	done
	CK_NUM=$(st_jv .published.0.number)
	CK_THIS=$(st_jv .published.0.this_update)
	CK_NEXT=$(st_jv .published.0.next_update)
}
ck_crl() {	# GET the AUTH CRL of 131016 into $ck/crl.pem
	call GET "$CST/crl/auth/131016.crl"
	openssl crl -inform DER -in "$work/body" -out "$ck/crl.pem" 2>/dev/null
}
ck_crl_number() { printf '%d' "$(openssl crl -in "$ck/crl.pem" -noout -crlnumber | sed 's/.*=//')"; }	# 0x hex
ck_crl_this() { date -u -d "$(openssl crl -in "$ck/crl.pem" -noout -lastupdate | cut -d= -f2)" +%s; }
ck_crl_sig_ok() { openssl crl -in "$ck/crl.pem" -noout -CAfile "$ck_ca/auth-ca.crt" 2>&1 | grep -q "verify OK"; }
ck_crl_current() {	# [ATTIME]: the certificate verifies against the CA with this CRL
	openssl verify -crl_check ${1:+-attime "$1"} -CAfile "$ck_ca/auth-ca.crt" \
		-CRLfile "$ck/crl.pem" "$ck/leaf.pem" > "$ck/verify.out" 2>&1 ||
		{ sed 's/^/# verify: /' "$ck/verify.out" >&2; return 1; }
}
openssl ocsp -issuer "$ck_ca/auth-ca.crt" -cert "$ck/leaf.pem" -no_nonce -reqout "$ck/ocsp.req" >/dev/null 2>&1
ck_ocsp_url=$CST/ocsp/$(base64 -w0 "$ck/ocsp.req" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
ck_ocsp() {	# OCSP GET; the response in $ck/ocsp.der, openssl's reading in $ck/ocsp.out
	call GET "$ck_ocsp_url"
	cp "$work/body" "$ck/ocsp.der"
	openssl ocsp -respin "$ck/ocsp.der" -issuer "$ck_ca/auth-ca.crt" -cert "$ck/leaf.pem" \
		-CAfile "$ck_ca/auth-ca.crt" -resp_text > "$ck/ocsp.out" 2>&1
}
ck_ocsp_time() {	# "Produced At" or "This Update" of the response, epoch
	date -u -d "$(sed -n "s/^ *$1: //p" "$ck/ocsp.out" | head -1)" +%s
}
ck_ocsp_current() {	# verified, good, and no "Status times invalid" at real time
	grep -q "Response verify OK" "$ck/ocsp.out" && grep -q ": good" "$ck/ocsp.out" &&
		! grep -q "Status times invalid" "$ck/ocsp.out"
}

# Step 0: real time.
ck_publish
ck_n0=$CK_NUM
ck_crl
expect test_r26_crl_at_real_time_verifies_and_is_current eval '[ "$STATUS" = 200 ] &&
	[ "$(ck_crl_number)" = "$ck_n0" ] && ck_crl_sig_ok && ck_crl_current'
ck_ocsp
expect test_r26_ocsp_at_real_time_is_current eval 'ck_ocsp_current'

# Step 1: a day ahead. The CRL and the OCSP response are tomorrow's, current then.
echo +86400 > "$ck_clock"
ck_ahead=$(( $(date +%s) + 86400 ))
ck_publish
ck_n1=$CK_NUM
ck_crl
expect test_r26_crl_a_day_ahead_is_current_then eval '[ "$ck_n1" -gt "$ck_n0" ] && [ "$(ck_crl_number)" = "$ck_n1" ] &&
	[ "$(ck_crl_this)" -ge $((ck_ahead - 5)) ] && ck_crl_sig_ok && ck_crl_current $((ck_ahead + 60))'
ck_ocsp
expect test_r26_ocsp_a_day_ahead_is_tomorrows eval 'grep -q "Response verify OK" "$ck/ocsp.out" &&
	[ "$(ck_ocsp_time "Produced At")" -ge $((ck_ahead - 5)) ]'

# Step 2: back to real time (an NTP step back of a day).
echo +0 > "$ck_clock"
ck_publish
ck_n2=$CK_NUM
ck_back=$(date +%s)
ck_crl
expect test_r26_crl_after_step_back_is_current_now eval '[ "$STATUS" = 200 ] && [ "$ck_n2" -gt "$ck_n1" ] &&
	[ "$(ck_crl_number)" = "$ck_n2" ] && [ "$(ck_crl_this)" -le "$ck_back" ] && ck_crl_sig_ok && ck_crl_current'
expect test_r26_crl_next_update_after_this_update eval '[ $(( $(date -d "$CK_NEXT" +%s) - $(date -d "$CK_THIS" +%s) )) = 172800 ] &&
	[ "$(date -d "$CK_THIS" +%s)" -le "$ck_back" ]'
expect test_r26_step_back_logged_as_warning eval 'grep "clock went back" "$ck/jpkid.log" | grep "level=warn" |
	grep -q "shard=131016 step_s=8[0-9][0-9][0-9][0-9] last_this_update=$(ck_rfc "$ck_ahead" | cut -c1-10)"'
ck_ocsp
expect test_r26_ocsp_after_step_back_not_tomorrows eval 'ck_ocsp_current &&
	[ "$(ck_ocsp_time "Produced At")" -le "$(date +%s)" ] && [ "$(ck_ocsp_time "This Update")" -le "$(date +%s)" ]'

# Step 3: ahead and back again with no POST: the scheduler (every second) publishes.
echo +86400 > "$ck_clock"
for _ in $(seq 1 50); do
	ck_crl
	[ "$(ck_crl_number)" -gt "$ck_n2" ] 2>/dev/null && break
	sleep 0.2
done
ck_n3=$(ck_crl_number)
echo +0 > "$ck_clock"
for _ in $(seq 1 50); do
	ck_crl
	[ "$(ck_crl_number)" -gt "$ck_n3" ] 2>/dev/null && break
	sleep 0.2
done
expect test_r26_scheduler_republishes_after_step_back eval '[ "$ck_n3" -gt "$ck_n2" ] && [ "$(ck_crl_number)" -gt "$ck_n3" ] &&
	ck_crl_sig_ok && ck_crl_current'
ck_n=$(ck_db "SELECT count(*) FROM (SELECT this_update < lag(this_update) OVER (ORDER BY number)
    AS back FROM crls WHERE issuer = 'auth' AND shard = '131016') s WHERE back")
# Stored: numbers up, thisUpdate back twice (steps 2 and 3), what crls_monotonic (0011) allows.
expect test_r26_stored_series_numbers_up_this_update_back eval '[ "$ck_n" -ge 2 ]'

# ---------------------------------------------------------------- R6/R7: the CA ends soon
echo $((ck_auth_end - 60 * 86400)) > "$ck_clock"
# shellcheck disable=SC2046
call GET "$CAPI/v1/residents/13101670002" $(ck_tls terminal-131016)
expect test_r6_resident_view_ca_rollover_required eval '[ "$STATUS" = 200 ] && conforms GET /v1/residents/13101670002 &&
	jq_eq .eligibility.auth.eligible false && jq_eq .eligibility.auth.refusal.rule R6 &&
	jq_eq .eligibility.auth.refusal.slug ca-rollover-required && jq_eq .eligibility.sign.refusal.rule R7'
ck_apply 13101670002 '["auth"]'
expect test_r6_application_409_ca_rollover_required eval 'is_problem 409 && conforms POST /v1/applications &&
	jq_eq .rule R6 && grep -q "ca-rollover-required" "$work/body" && grep -q "rolled over" "$work/body"'
ck_certs_before=$(ck_db "SELECT count(*) FROM certificates WHERE resident_code = '13101670002'")
ck_issue "$ck_app2" auth
expect test_r6_issuance_409_not_lint_500 eval 'is_problem 409 && conforms POST /v1/applications/x/certificates &&
	jq_eq .rule R6 && grep -q "ca-rollover-required" "$work/body" &&
	[ "$(ck_db "SELECT count(*) FROM certificates WHERE resident_code = '"'"'13101670002'"'"'")" = "$ck_certs_before" ] &&
	! grep -q "lint refused" "$ck/jpkid.log"'
echo +0 > "$ck_clock"

kill -TERM "$ck_pid" 2>/dev/null
wait "$ck_pid" 2>/dev/null
