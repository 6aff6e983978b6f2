# R18 fees and what a counter visit gains (issue 14), sourced by tests/api/run.sh.
#
# A jpkid of its own: its own database (jpkid_fees), issuing CAs made by
# `jpkictl init` with the test clock at 2022-01-30 (terminals and TLS keep
# the harness's $ca), and a test clock read from a file ($fe/clock).
#
#  - R18: a card whose previous My Number card was lost (or replaced after
#    damage) is re-issued: its first AUTH costs 200 yen, and so does a SIGN
#    applied for after that AUTH; both at once: 200 in all. A new card after
#    the old one simply expired, or was returned, is free; so is the first
#    card.
#  - R7/R8: both certificates issued 2022-03-01 end 2027-02-21; on
#    2026-11-21 (the first day of the window) SIGN alone would end with the
#    old AUTH (capped_by auth): the resident view says so (together_with_auth:
#    2032-02-21 with AUTH renewed too) and warns (renewal-gains-nothing, R7);
#    the SIGN-only renewal is still filed, with the warning in its plan.

fe=$work/fees
mkdir -p "$fe"
fe_clock=$fe/clock
FE_T0=1646096400	# 2022-03-01 10:00 JST
FE_T1=1795222800	# 2026-11-21 10:00 JST (Saturday)
echo "$FE_T0" > "$fe_clock"
jpki_pg_createdb "$pg" jpkid_fees
fe_ci="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid_fees"
JPKID_TEST_CLOCK=$((FE_T0 - 30 * 86400)) "$jpkictl" init --dir "$fe/ca" --days 5000 \
	> "$fe/init.out" 2>&1
fe_api=$(jpki_free_port $((api_port + 300 + RANDOM % 200)))
fe_stp=$(jpki_free_port $((fe_api + 1)))
jpki_write_config "$fe/jpkid.conf" "$ca" "$fe_ci" "$fe_api" "$fe_stp"
sed -i "s#= $ca/\(sign-ca\|auth-ca\|sign-ocsp\|auth-ocsp\|pinreset\)#= $fe/ca/\1#" "$fe/jpkid.conf"
JPKID_TEST_CLOCK=@$fe_clock start_jpkid "$fe/jpkid.conf" "$fe/jpkid.log"
fe_pid=$JPKID_PID
FAPI=https://127.0.0.1:$fe_api
expect test_fees_daemon_ready wait_ready "http://127.0.0.1:$fe_stp" 30
jpki_psql "$pg" jpkid_fees -q -f "$top/deploy/demo/municipalities.sql" >/dev/null
"$jpkictl" enroll --db "$fe_ci" --manifest "$ca/manifest.txt" > "$fe/enroll.out" 2>&1

fe_db() { jpki_psql "$pg" jpkid_fees -tAc "$1"; }
# fe_resident CODE BIRTH: a resident of 千代田区; fe_card CODE NUMBER ISSUED EXPIRES STATUS
fe_resident() {
	fe_db "INSERT INTO residents (resident_code, municipality_code, family_name, given_name,
	    birth_date, sex, address) VALUES ('$1', '131016', '手数', '料子', '$2', '2',
	    '東京都千代田区一番町${1: -1}番')" >/dev/null
}
fe_card() {
	fe_db "INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on, status,
	    card_family_name, card_given_name, card_birth_date, card_sex, card_address)
	    SELECT '$2', '$1', 'mynumber', '$3', '$4', '$5', family_name, given_name, birth_date,
	    sex, address FROM residents WHERE resident_code = '$1'" >/dev/null
}
# fe_two_cards CODE BIRTH OLD-STATUS OLD-ISSUED OLD-EXPIRES: the resident, the old card
# (800000 + the code's last 6 digits) and the active new one (900000..., 2026-10-01).
fe_two_cards() {
	fe_resident "$1" "$2"
	fe_card "$1" "800000${1: -6}" "$4" "$5" "$3"
	fe_card "$1" "900000${1: -6}" 2026-10-01 2036-10-01 active
}
fe_view() {	# GET /v1/residents/CODE
	# shellcheck disable=SC2046
	call GET "$FAPI/v1/residents/$1" $(tls "$term_a")
}
fe_apply() {	# CODE PROCEDURE TYPES-JSON: sets FE_APP
	# shellcheck disable=SC2046
	call POST "$FAPI/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json' \
		--data-binary "{\"resident_code\":\"$1\",\"procedure\":\"$2\",\"types\":$3,\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV}"
	FE_APP=$(st_jv .id)
}
fe_issue() {	# APP TYPE (R22: a new key each time)
	local csr
	new_csr csr
	# shellcheck disable=SC2046
	call POST "$FAPI/v1/applications/$1/certificates" $(tls "$term_a") \
		-H 'Content-Type: application/json' --data-binary "{\"type\":\"$2\",\"csr\":\"$csr\"}"
}

# ---------------------------------------------------------------- 2022-03-01: a first card
FR=13101614001		# born 1985-02-21: certificates of 2022 end 2027-02-21
fe_resident $FR 1985-02-21
fe_card $FR 900000014001 2022-01-10 2035-01-10 active
fe_apply $FR issue '["auth","sign"]'
expect test_r18_first_card_free eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .fee_yen 0 && jq_eq .plan.auth.fee_yen 0 && jq_eq .plan.sign.fee_yen 0 &&
	jq_eq .plan.auth.not_after 2027-02-21T14:59:59Z && jq_eq .plan.sign.warnings "[]"'
fe_issue "$FE_APP" auth
fe_r_auth=$STATUS
fe_issue "$FE_APP" sign
expect test_fees_2022_certificates_issued eval '[ "$fe_r_auth" = 201 ] && [ "$STATUS" = 201 ] &&
	jq_eq .not_after 2027-02-21T14:59:59Z'

# ---------------------------------------------------------------- 2026-11-21: the visits
echo "$FE_T1" > "$fe_clock"

# R7/R8: the renewal visit, on the first day of the window.
fe_view $FR
expect test_r7_view_sign_alone_capped_by_old_auth_with_auth_2032 eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/residents/$FR && jq_eq .eligibility.sign.renewal renewal &&
	jq_eq .eligibility.sign.not_after 2027-02-21T14:59:59Z && jq_eq .eligibility.sign.capped_by auth &&
	jq_eq .eligibility.sign.together_with_auth.not_after 2032-02-21T14:59:59Z &&
	jq_eq .eligibility.sign.together_with_auth.capped_by birthday &&
	jq_eq .eligibility.auth.not_after 2032-02-21T14:59:59Z && jq_eq .eligibility.auth.together_with_auth null'
expect test_r7_view_warns_sign_renewal_gains_nothing eval 'jq_eq .eligibility.sign.warnings.0.slug renewal-gains-nothing &&
	jq_eq .eligibility.sign.warnings.0.rule R7 &&
	jq_eq .eligibility.sign.warnings.0.detail "SIGN issued now would end 2027-02-21 (JST), not after the current SIGN certificate (2027-02-21): capped by the valid AUTH certificate; with AUTH renewed in the same visit SIGN ends 2032-02-21" &&
	jq_eq .eligibility.auth.warnings "[]"'
fe_apply $FR renew '["sign"]'
expect test_r7_sign_only_renewal_filed_with_warning eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .plan.sign.not_after 2027-02-21T14:59:59Z && jq_eq .plan.sign.warnings.0.slug renewal-gains-nothing &&
	jq_eq .plan.sign.warnings.0.rule R7 && jq_eq .fee_yen 0'
# shellcheck disable=SC2046
call GET "$FAPI/v1/applications/$FE_APP" $(tls "$term_a")
expect test_r7_application_get_keeps_the_warning eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/applications/$FE_APP && jq_eq .plan.sign.warnings.0.rule R7'
fe_apply $FR renew '["auth","sign"]'
expect test_r7_renewing_both_gains_no_warning eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .plan.sign.not_after 2032-02-21T14:59:59Z && jq_eq .plan.sign.capped_by birthday &&
	jq_eq .plan.sign.warnings "[]" && jq_eq .plan.auth.warnings "[]"'

# R18: the previous card was lost. AUTH first, SIGN at a later application.
FL=13101614002
fe_two_cards $FL 1979-05-05 lost 2019-05-01 2029-05-01
fe_view $FL
expect test_r18_view_lost_card_reissued_200_per_type eval '[ "$STATUS" = 200 ] && conforms GET /v1/residents/$FL &&
	jq_eq .eligibility.auth.fee_yen 200 && jq_eq .eligibility.sign.fee_yen 200'
fe_apply $FL issue '["auth"]'
expect test_r18_lost_card_auth_200 eval '[ "$STATUS" = 201 ] && jq_eq .fee_yen 200 && jq_eq .plan.auth.fee_yen 200'
fe_issue "$FE_APP" auth
fe_r_auth=$STATUS
fe_view $FL
expect test_r18_view_sign_after_auth_on_reissued_card_200 eval '[ "$fe_r_auth" = 201 ] && [ "$STATUS" = 200 ] &&
	conforms GET /v1/residents/$FL && jq_eq .eligibility.sign.fee_yen 200 && jq_eq .eligibility.auth.fee_yen 0'
fe_apply $FL issue '["sign"]'
expect test_r18_sign_applied_after_auth_on_reissued_card_200 eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .fee_yen 200 && jq_eq .plan.sign.fee_yen 200'

# R18: the previous card simply expired: a new card, not a re-issued one.
FE=13101614003
fe_two_cards $FE 1990-06-15 expired 2016-06-15 2026-06-15
fe_view $FE
expect test_r18_view_new_card_after_expiry_free eval '[ "$STATUS" = 200 ] && conforms GET /v1/residents/$FE &&
	jq_eq .eligibility.auth.fee_yen 0 && jq_eq .eligibility.sign.fee_yen 0'
fe_apply $FE issue '["auth","sign"]'
expect test_r18_new_card_after_expiry_application_free eval '[ "$STATUS" = 201 ] && jq_eq .fee_yen 0'

# R18: the previous card was replaced (damaged): both at once, 200 in all, on AUTH.
FD=13101614004
fe_two_cards $FD 1988-08-08 reissued 2018-08-08 2028-08-08
fe_apply $FD issue '["auth","sign"]'
expect test_r18_damaged_card_both_200_in_all eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .fee_yen 200 && jq_eq .plan.auth.fee_yen 200 && jq_eq .plan.sign.fee_yen 0'

# R18 Decision: a card returned (handed back, not replaced), then a new one: free.
FT=13101614005
fe_two_cards $FT 1975-12-01 returned 2017-12-01 2027-12-01
fe_view $FT
expect test_r18_view_new_card_after_return_free eval '[ "$STATUS" = 200 ] &&
	jq_eq .eligibility.auth.fee_yen 0 && jq_eq .eligibility.sign.fee_yen 0'

kill -TERM "$fe_pid" 2>/dev/null
wait "$fe_pid" 2>/dev/null
