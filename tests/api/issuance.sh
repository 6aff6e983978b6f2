# Issuance through the counter API (issue 3), sourced by tests/api/run.sh.
# A second jpkid on the same database runs with a test clock read from a
# file ($clock_file), so the tests can move time: the day before/of/after a
# 15th birthday, the voluntary proxy's second visit, the R8 renewal window.
# Fixtures: tests/api/issuance.sql. The certificates issued at the first
# test instant (2026-11-21, valid now) are checked with openssl, GnuTLS
# certtool and NSS certutil (tests/interop/issued.sh); those issued with the
# clock moved into the future are not yet valid for those tools.

iss_failed_before=$failed
jpki_psql "$pg" jpkid -q -f "$top/tests/api/issuance.sql" >/dev/null
clock_file=$work/clock
set_clock() { echo "$1" > "$clock_file"; }
T0=1795222800		# 2026-11-21 10:00 JST (Saturday)
set_clock $T0
iapi_port=$(jpki_free_port $((api_port + 20)))
ist_port=$(jpki_free_port $((iapi_port + 1)))
iconf=$work/jpkid-iss.conf
jpki_write_config "$iconf" "$ca" "$conninfo" "$iapi_port" "$ist_port"
# Issuing CAs dated 30 days before the test clock (a certificate must lie
# inside its CA's validity, R6/R7 lint); terminals keep the harness's client CA.
ica=$work/ca-iss
JPKID_TEST_CLOCK=$((T0 - 30 * 86400)) "$jpkictl" init --dir "$ica" >/dev/null
sed -i "s#= $ca/\(sign-ca\|auth-ca\|sign-ocsp\|auth-ocsp\|pinreset\)#= $ica/\1#" "$iconf"
JPKID_TEST_CLOCK=@$clock_file start_jpkid "$iconf" "$work/jpkid-iss.log"
iss_pid=$JPKID_PID
IAPI=https://127.0.0.1:$iapi_port
expect test_issuance_daemon_ready wait_ready "http://127.0.0.1:$ist_port" 20

# A holder key pair and its CSR, for the idempotency test (issue() takes a
# new key each time it is not given a CSR: R22, one key, one holder, one type).
openssl req -new -newkey rsa:2048 -nodes -keyout "$work/holder.key" -subj "/CN=ignored" \
	-outform DER -out "$work/holder.csr" 2>/dev/null
CSR=$(base64 -w0 "$work/holder.csr")
openssl req -new -newkey rsa:1024 -nodes -keyout "$work/weak.key" -subj "/CN=weak" \
	-outform DER -out "$work/weak.csr" 2>/dev/null
WEAK_CSR=$(base64 -w0 "$work/weak.csr")
issued=$work/issued
mkdir -p "$issued"
cp "$ica/sign-ca.crt" "$ica/auth-ca.crt" "$issued/"

# jv PATH: a value of the last JSON body ("" when absent).
jv() {
	$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    d = d[int(k)] if isinstance(d, list) else d.get(k) if isinstance(d, dict) else None
print("" if d is None else (d if isinstance(d, str) else json.dumps(d)))' "$work/body" "$1" 2>/dev/null
}
post() {	# post PATH JSON [curl args...] (terminal A)
	local path=$1 data=$2
	shift 2
	call POST "$IAPI$path" $(tls "$term_a") -H 'Content-Type: application/json' \
		--data-binary "$data" "$@"
}
resident() { call GET "$IAPI/v1/residents/$1" $(tls "$term_a"); }
SELF_EV='{"documents":[{"kind":"mynumber_card","holder":"resident"}]}'
PROXY_EV='{"documents":[{"kind":"passport","holder":"applicant"}]}'
REP_EV='{"documents":[{"kind":"drivers_licence","holder":"applicant"}],"authority":"family_register"}'
apply() {	# apply CODE TYPES-JSON [KIND [EVIDENCE [extra json members]]]: sets APP
	local kind=${3:-self} ev=${4:-$SELF_EV} extra=${5:-}
	local name=''
	[ "$kind" != self ] && name=',"name":"代理 人","relationship":"知人"'
	post /v1/applications "{\"resident_code\":\"$1\",\"procedure\":\"issue\",\"types\":$2,\"applicant\":{\"kind\":\"$kind\"$name},\"evidence\":$ev$extra}"
	APP=$(jv .id)
}
issue() {	# issue APP TYPE [CSR [curl args...]]: sets SERIAL; no CSR: a new key's (R22)
	local app=$1 type=$2 csr=${3:-}
	[ -n "$csr" ] || new_csr csr
	shift 2
	[ $# -gt 0 ] && shift
	post "/v1/applications/$app/certificates" "{\"type\":\"$type\",\"csr\":\"$csr\"}" "$@"
	SERIAL=$(jv .serial)
}
save_cert() {	# save_cert NAME TYPE [key=value...]: the last issued certificate for interop
	local name=$1 type=$2
	shift 2
	jv .certificate > "$issued/$name.crt"
	{ echo "type=$type"; for kv in "$@"; do echo "$kv"; done; } > "$issued/$name.expect"
}
db() { jpki_psql "$pg" jpkid -tAc "$1"; }

# ---------------------------------------------------------------- R1-R5 via GET
resident 13101699001
expect test_resident_get_shows_eligibility_and_validity eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/residents/13101699001 && jq_eq .resident.age 46 &&
	jq_eq .eligibility.auth.eligible true && jq_eq .eligibility.auth.renewal new &&
	jq_eq .eligibility.auth.not_after 2031-01-02T14:59:59Z &&
	jq_eq .eligibility.auth.birthday 5 && jq_eq .eligibility.auth.capped_by birthday &&
	jq_eq .eligibility.auth.fee_yen 0 && jq_eq .cards.0.card_number 900000000001'
expect test_resident_read_is_audited \
	test "$(db "SELECT count(*) FROM audit_log WHERE action = 'resident.read' AND object = '13101699001'")" -ge 1
resident 14100399001
expect test_r1_other_municipality_resident_is_404 eval 'is_problem 404 && conforms GET /v1/residents/14100399001'
body_other=$(cat "$work/body")
resident 13101600000
expect test_r1_404_is_identical_for_missing_and_foreign eval '[ "$STATUS" = 404 ] &&
	[ "$(sed s/13101600000/X/ "$work/body")" = "$(echo "$body_other" | sed s/14100399001/X/)" ]'
expect test_r1_foreign_lookup_is_audited \
	test "$(db "SELECT count(*) FROM audit_log WHERE action = 'resident.scope_denied' AND object = '14100399001' AND detail->>'rule' = 'R1'")" = 1
call GET "$IAPI/v1/residents/13101699001" $(tls feed)
expect test_resident_get_forbidden_to_register_feed eval 'is_problem 403'
resident 13101699009
expect test_r1_removed_resident_refused eval '[ "$STATUS" = 200 ] && jq_eq .eligibility.auth.refusal.rule R1'
resident 13101699005
expect test_r2_expired_card_refused eval 'jq_eq .eligibility.auth.refusal.rule R2 && jq_eq .eligibility.auth.refusal.slug card-expired'
resident 13101699006
expect test_r2_lost_card_refused eval 'jq_eq .eligibility.auth.refusal.rule R2 && jq_eq .eligibility.auth.refusal.slug card-not-active'
db "DELETE FROM cards WHERE resident_code = '13101699016'" >/dev/null
resident 13101699016
expect test_r2_no_card_refused eval 'jq_eq .eligibility.auth.refusal.rule R2'
resident 13101699008
expect test_r17_juki_card_refused eval 'jq_eq .eligibility.auth.refusal.rule R17'
resident 13101699007
expect test_r3_card_mismatch_names_fields eval 'jq_eq .eligibility.sign.refusal.rule R3 && jq_eq .eligibility.sign.refusal.fields "[\"address\"]"'
resident 13101699002
expect test_r4_minor_sign_refused_auth_allowed eval 'jq_eq .eligibility.sign.refusal.rule R4 &&
	jq_eq .eligibility.auth.eligible true && jq_eq .eligibility.auth.applicant_kinds "[\"legal_representative\"]"'
resident 13101699004
expect test_r4_adult_ward_sign_refused eval 'jq_eq .eligibility.sign.refusal.rule R4 && jq_eq .eligibility.sign.refusal.slug sign-adult-ward'
set_clock 1795136400	# 2026-11-20: the day before the 15th birthday
resident 13101699003
expect test_r5_day_before_15th_birthday_sign_refused eval 'jq_eq .resident.age 14 && jq_eq .eligibility.sign.refusal.rule R4'
set_clock $T0		# the 15th birthday itself
resident 13101699003
expect test_r5_on_15th_birthday_sign_allowed eval 'jq_eq .resident.age 15 && jq_eq .eligibility.sign.eligible true &&
	jq_eq .eligibility.sign.not_after 2031-11-21T14:59:59Z'
resident 13101699010
expect test_r20_unrepresentable_name_refuses_sign_only eval 'jq_eq .eligibility.sign.refusal.rule R20 &&
	jq_eq .eligibility.sign.refusal.fields "[\"family_name\"]" && jq_eq .eligibility.auth.eligible true'
resident 13101699014
expect test_r18_reissued_card_fee eval 'jq_eq .eligibility.auth.fee_yen 200 && jq_eq .eligibility.sign.fee_yen 200'

# ---------------------------------------------------------------- self issuance, both types
apply 13101699001 '["sign","auth"]'
expect test_application_self_is_ready eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .state ready && jq_eq .fee_yen 0 && jq_eq .plan.auth.not_after 2031-01-02T14:59:59Z'
APP_A=$APP
issue "$APP_A" sign
expect test_r7_auth_before_sign_in_one_application eval 'is_problem 409 && jq_eq .rule R7'
issue "$APP_A" auth "$WEAK_CSR"
expect test_r22_rsa1024_csr_refused eval 'is_problem 422 && jq_eq .rule R22 && conforms POST /v1/applications/x/certificates'
issue "$APP_A" auth "AAAA$CSR"
expect test_csr_garbage_refused_with_field eval 'is_problem 422 && $PY -c "import json,sys; assert \"csr\" in json.load(open(sys.argv[1]))[\"fields\"]" "$work/body"'
issue "$APP_A" auth
AUTH_A=$SERIAL
expect test_issue_auth_201_committed eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications/x/certificates &&
	jq_eq .not_after 2031-01-02T14:59:59Z && jq_eq .application.state ready &&
	[ "$(db "SELECT status FROM certificates WHERE serial = decode('"'"'$AUTH_A'"'"', '"'"'hex'"'"')")" = valid ]'
save_cert self-auth auth
issue "$APP_A" sign
SIGN_A=$SERIAL
expect test_issue_sign_201_completes_application eval '[ "$STATUS" = 201 ] && jq_eq .application.state completed &&
	jq_eq .not_after 2031-01-02T14:59:59Z && jq_eq .type sign'
save_cert self-sign sign "name=山田　太郎" "name_map=00000" "sex=1" "birth=319800102" \
	"address=東京都千代田区千代田１丁目１番１号" "address_map=00000000000000000"
subject=$(openssl x509 -in "$issued/self-sign.crt" -noout -subject -nameopt RFC2253,-esc_msb)
expect test_r23_sign_subject_names_municipality eval 'echo "$subject" | grep -q "L=千代田区,L=東京都,C=JP"'
issue "$APP_A" sign
expect test_issue_again_on_completed_application_409 eval 'is_problem 409'
expect test_application_and_certificates_audited \
	test "$(db "SELECT count(*) FROM audit_log WHERE action = 'certificate.issue' AND object = '13101699001'")" = 2

# ---------------------------------------------------------------- idempotency
post /v1/applications "{\"resident_code\":\"13101699012\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}" -H 'Idempotency-Key: k-12-app'
first_id=$(jv .id)
post /v1/applications "{\"resident_code\":\"13101699012\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}" -H 'Idempotency-Key: k-12-app'
expect test_idempotent_application_retry_same_result eval '[ "$STATUS" = 201 ] && [ "$(jv .id)" = "$first_id" ] &&
	[ "$(header Idempotent-Replayed)" = true ] &&
	[ "$(db "SELECT count(*) FROM applications WHERE resident_code = '"'"'13101699012'"'"'")" = 1 ]'
post /v1/applications "{\"resident_code\":\"13101699012\",\"procedure\":\"issue\",\"types\":[\"sign\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}" -H 'Idempotency-Key: k-12-app'
expect test_idempotency_key_reused_for_other_request_422 eval 'is_problem 422 && jq_eq .type urn:jpkid:problem:idempotency-key-reused'
issue "$first_id" auth "$CSR" -H 'Idempotency-Key: k-12-cert'
first_serial=$SERIAL
issue "$first_id" auth "$CSR" -H 'Idempotency-Key: k-12-cert'
expect test_idempotent_issuance_retry_returns_same_certificate eval '[ "$STATUS" = 201 ] && [ "$SERIAL" = "$first_serial" ] &&
	[ "$(db "SELECT count(*) FROM certificates WHERE resident_code = '"'"'13101699012'"'"'")" = 1 ]'

# ---------------------------------------------------------------- rule refusals on POST
apply 13101699002 '["sign"]' legal_representative "$REP_EV"
expect test_r4_sign_for_minor_refused_on_application eval 'is_problem 422 && jq_eq .rule R4 && conforms POST /v1/applications'
apply 13101699002 '["auth"]'
expect test_r13_minor_needs_legal_representative eval 'is_problem 422 && jq_eq .rule R13'
apply 13101699002 '["auth"]' voluntary_proxy "$PROXY_EV"
expect test_r13_no_voluntary_proxy_for_minor eval 'is_problem 422 && jq_eq .rule R13'
apply 13101699002 '["auth"]' legal_representative '{"documents":[{"kind":"drivers_licence","holder":"applicant"}]}'
expect test_r14_legal_representative_without_authority eval 'is_problem 422 && jq_eq .rule R14'
apply 13101699002 '["auth"]' legal_representative "$REP_EV"
expect test_r13_legal_representative_auth_for_minor eval '[ "$STATUS" = 201 ] && jq_eq .state ready && jq_eq .applicant_kind legal_representative'
issue "$APP" auth
expect test_r6_minor_auth_capped_by_card eval '[ "$STATUS" = 201 ] && jq_eq .not_after 2031-05-05T14:59:59Z'
save_cert minor-auth auth
apply 13101699015 '["auth"]' self '{"documents":[{"kind":"mynumber_card","holder":"resident","expired":true}]}'
expect test_r14_expired_document_never_counts eval 'is_problem 422 && jq_eq .rule R14'
apply 13101699015 '["auth"]' self '{"documents":[{"kind":"mynumber_card","holder":"resident","copy":true}]}'
expect test_r14_copy_never_counts eval 'is_problem 422 && jq_eq .rule R14'
apply 13101699007 '["sign"]'
expect test_r3_refused_on_application eval 'is_problem 422 && jq_eq .rule R3'
apply 13101699008 '["auth"]'
expect test_r17_refused_on_application eval 'is_problem 422 && jq_eq .rule R17'
apply 13101699010 '["sign"]'
expect test_r20_refused_on_application_naming_characters eval 'is_problem 422 && jq_eq .rule R20 && grep -q "U+20BB7" "$work/body"'
post /v1/applications '{"resident_code":"123","procedure":"fly","types":["x"],"applicant":{"kind":"self"},"evidence":{"documents":[]},"extra":1}'
expect test_application_invalid_fields_listed eval 'is_problem 422 && $PY -c "import json,sys
f=json.load(open(sys.argv[1]))[\"fields\"]
assert set([\"resident_code\",\"procedure\",\"types\",\"extra\"]) <= set(f), f" "$work/body"'
post /v1/applications 'not json'
expect test_application_not_json_400 eval 'is_problem 400'
apply 14100399001 '["auth"]'
expect test_r1_application_for_foreign_resident_404 eval 'is_problem 404'

# ---------------------------------------------------------------- substitutes (R20, R25)
apply 13101699011 '["sign","auth"]'
issue "$APP" auth
issue "$APP" sign
expect test_r20_substitute_form_used_in_sign eval '[ "$STATUS" = 201 ]'
save_cert substitute-sign sign "name=吉川　優（高橋）" "name_map=11000000" "sex=2" "birth=419921010" \
	"address=東京都千代田区平河町１丁目１番" "address_map=000000000000000"

# ---------------------------------------------------------------- R18 fee on a re-issued card
apply 13101699014 '["sign","auth"]'
expect test_r18_both_on_reissued_card_200_in_all eval '[ "$STATUS" = 201 ] && jq_eq .fee_yen 200'

# ---------------------------------------------------------------- R19
db "INSERT INTO suspensions (starts_at, ends_at, reason, created_by) VALUES (to_timestamp($T0 - 60), to_timestamp($T0 + 600), 'maintenance', 'test')" >/dev/null
resident 13101699001
expect test_r19_suspension_503_retry_after eval 'is_problem 503 && jq_eq .rule R19 && [ "$(header Retry-After)" = 600 ] && conforms GET /v1/residents/x'
db "UPDATE suspensions SET cancelled_at = now()" >/dev/null
db "UPDATE municipalities SET hours_enforced = true, opens = '08:30', closes = '17:15' WHERE code = '131016'" >/dev/null
resident 13101699001
expect test_r19_closed_on_saturday_when_hours_enforced eval 'is_problem 422 && jq_eq .rule R19'
set_clock 1795482000	# Tuesday 2026-11-24 10:00 JST
resident 13101699001
expect test_r19_open_on_weekday_morning eval '[ "$STATUS" = 200 ]'
db "UPDATE municipalities SET hours_enforced = false WHERE code = '131016'" >/dev/null
set_clock $T0

# ---------------------------------------------------------------- voluntary proxy, two visits (R13)
apply 13101699013 '["sign","auth"]' voluntary_proxy "$PROXY_EV"
expect test_r13_proxy_application_awaits_inquiry eval '[ "$STATUS" = 201 ] && conforms POST /v1/applications &&
	jq_eq .state awaiting_inquiry && jq_eq .inquiry.addressee "吉田　修" &&
	jq_eq .inquiry.address "東京都千代田区二番町２番" && jq_eq .inquiry.expires_at 2026-12-21T14:59:59Z'
PAPP=$APP
CODE=$(jv .inquiry.answer_code)
expect test_r13_answer_code_not_stored_in_clear eval '[ -n "$CODE" ] &&
	[ "$(db "SELECT count(*) FROM idempotency WHERE convert_from(response, '"'"'UTF8'"'"') LIKE '"'"'%$CODE%'"'"'")" = 0 ] &&
	[ "$(db "SELECT count(*) FROM audit_log WHERE detail::text LIKE '"'"'%$CODE%'"'"'")" = 0 ] &&
	! grep -q "$CODE" "$work/jpkid-iss.log"'
issue "$PAPP" auth
expect test_r13_no_issuance_before_inquiry_answer eval 'is_problem 409 && jq_eq .rule R13'
post "/v1/applications/$PAPP/inquiry-answer" "{\"answer_code\":\"$CODE\",\"evidence\":$PROXY_EV}"
expect test_r13_never_same_day eval 'is_problem 422 && jq_eq .rule R13 && conforms POST /v1/applications/x/inquiry-answer'
set_clock 1795309200	# next day
post "/v1/applications/$PAPP/inquiry-answer" "{\"answer_code\":\"ZZZZ-ZZZZ\",\"evidence\":$PROXY_EV}"
expect test_r13_wrong_answer_code_counted eval 'is_problem 422 && jq_eq .rule R13 && grep -q "4 attempt" "$work/body" &&
	[ "$(db "SELECT wrong_attempts FROM inquiries i JOIN applications a ON a.id = i.application_id WHERE a.id = '"'"'$PAPP'"'"'")" = 1 ]'
post "/v1/applications/$PAPP/inquiry-answer" "{\"answer_code\":\"$(echo "$CODE" | tr 'A-Z' 'a-z')\",\"evidence\":$PROXY_EV}"
expect test_r13_right_answer_code_makes_ready eval '[ "$STATUS" = 200 ] && conforms POST /v1/applications/x/inquiry-answer && jq_eq .state ready'
issue "$PAPP" auth
issue "$PAPP" sign
expect test_r13_proxy_issuance_on_second_visit eval '[ "$STATUS" = 201 ] && jq_eq .application.state completed'
# Replacing a valid certificate needs the delegation to cover revocation.
apply 13101699013 '["auth"]' voluntary_proxy "$PROXY_EV"
expect test_r13_proxy_replacing_valid_needs_delegation eval 'is_problem 422 && jq_eq .rule R13 && jq_eq .type urn:jpkid:problem:delegation-lacks-revocation'
apply 13101699013 '["auth"]' voluntary_proxy "$PROXY_EV" ',"delegation_covers_revocation":true'
expect test_r13_proxy_with_delegation_may_replace eval '[ "$STATUS" = 201 ] && jq_eq .state awaiting_inquiry'
VAPP=$APP
set_clock 1795395600	# a day later again
for i in 1 2 3 4 5; do
	post "/v1/applications/$VAPP/inquiry-answer" "{\"answer_code\":\"ZZZZ-ZZZ$i\",\"evidence\":$PROXY_EV}"
done
expect test_r13_fifth_wrong_code_voids_inquiry eval 'is_problem 422 && jq_eq .type urn:jpkid:problem:inquiry-void &&
	[ "$(db "SELECT state FROM inquiries WHERE application_id = '"'"'$VAPP'"'"'")" = void ]'
post "/v1/applications/$VAPP/inquiry-answer" "{\"answer_code\":\"ZZZZ-ZZZZ\",\"evidence\":$PROXY_EV}"
expect test_r13_void_inquiry_accepts_nothing eval 'is_problem 409'
set_clock $T0
apply 13101699017 '["auth"]' voluntary_proxy "$PROXY_EV"
EAPP=$APP
ECODE=$(jv .inquiry.answer_code)
set_clock 1797987600	# 2026-12-23: past the 30 days
post "/v1/applications/$EAPP/inquiry-answer" "{\"answer_code\":\"$ECODE\",\"evidence\":$PROXY_EV}" -H 'Idempotency-Key: k-exp-1'
expect test_r13_expired_inquiry_refused eval 'is_problem 422 && jq_eq .type urn:jpkid:problem:inquiry-expired'
# A committed refusal is stored under its Idempotency-Key: a retry replays it (issue 13).
exp_first=$(cat "$work/body")
post "/v1/applications/$EAPP/inquiry-answer" "{\"answer_code\":\"$ECODE\",\"evidence\":$PROXY_EV}" -H 'Idempotency-Key: k-exp-1'
expect test_r13_expired_refusal_replayed_under_its_idempotency_key eval 'is_problem 422 &&
	jq_eq .type urn:jpkid:problem:inquiry-expired && [ "$(header Idempotent-Replayed)" = true ] &&
	[ "$(cat "$work/body")" = "$exp_first" ]'
set_clock $T0

# ---------------------------------------------------------------- R13 hardening (issue 13)
# 13101699101: 20 wrong answer codes at once. Each is counted once against
# the limit of 5 (the 5th voids the inquiry), the other 15 find the
# application cancelled.
st_resident 13101699101 131016
st_resident 13101699102 131016
st_resident 13101699103 131016
apply 13101699101 '["auth"]' voluntary_proxy "$PROXY_EV"
CAPP=$APP
apply 13101699102 '["auth"]' voluntary_proxy "$PROXY_EV"
KAPP=$APP KCODE=$(jv .inquiry.answer_code)
apply 13101699103 '["auth"]' voluntary_proxy "$PROXY_EV"
LAPP=$APP LCODE=$(jv .inquiry.answer_code)
set_clock $((T0 + 86400))
ccp=()
for i in $(seq 1 20); do
	curl -sS -o "$work/cc$i.body" -w '%{http_code}' --max-time 30 $(tls "$term_a") \
		-H 'Content-Type: application/json' \
		--data-binary "{\"answer_code\":\"ZZZZ-ZZ$((i / 10))$((i % 10))\",\"evidence\":$PROXY_EV}" \
		"$IAPI/v1/applications/$CAPP/inquiry-answer" > "$work/cc$i.status" 2>"$work/cc$i.err" &
	ccp+=($!)
done
wait "${ccp[@]}"
cc_all=$(for f in "$work"/cc*.status; do cat "$f"; echo; done | sort | uniq -c | tr -s ' \n' ' ')
cc_422=$(for f in "$work"/cc*.status; do cat "$f"; echo; done | grep -c '^422$')
cc_409=$(for f in "$work"/cc*.status; do cat "$f"; echo; done | grep -c '^409$')
expect test_r13_concurrent_wrong_answers_counted_once_each eval '[ "$cc_422" = 5 ] && [ "$cc_409" = 15 ] &&
	[ "$(db "SELECT state || '"'"' '"'"' || wrong_attempts FROM inquiries WHERE application_id = '"'"'$CAPP'"'"'")" = "void 5" ] &&
	[ "$(db "SELECT state FROM applications WHERE id = '"'"'$CAPP'"'"'")" = cancelled ] &&
	[ "$(db "SELECT count(*) FROM audit_log WHERE action = '"'"'inquiry.answer'"'"' AND detail->>'"'"'application'"'"' = '"'"'$CAPP'"'"'")" = 5 ] &&
	[ "$(grep -l inquiry-void "$work"/cc*.body | wc -l)" = 1 ] ||
	{ echo "# statuses: $cc_all $(head -c 300 "$work/cc1.err")" >&2; false; }'
# A wrong code under an Idempotency-Key: the retry replays the refusal and is not counted again.
post "/v1/applications/$KAPP/inquiry-answer" "{\"answer_code\":\"ZZZZ-ZZZZ\",\"evidence\":$PROXY_EV}" -H 'Idempotency-Key: k-wrong-1'
wrong_first=$(cat "$work/body")
post "/v1/applications/$KAPP/inquiry-answer" "{\"answer_code\":\"ZZZZ-ZZZZ\",\"evidence\":$PROXY_EV}" -H 'Idempotency-Key: k-wrong-1'
expect test_r13_refused_answer_replayed_under_its_idempotency_key eval 'is_problem 422 &&
	conforms POST /v1/applications/x/inquiry-answer &&
	jq_eq .type urn:jpkid:problem:wrong-answer-code && [ "$(header Idempotent-Replayed)" = true ] &&
	[ "$(cat "$work/body")" = "$wrong_first" ] &&
	[ "$(db "SELECT wrong_attempts FROM inquiries WHERE application_id = '"'"'$KAPP'"'"'")" = 1 ]'
# The code is stored keyed (v1: 0x01, key id, HMAC-SHA-256), not as SHA-256(salt || code).
knorm=$(echo "$KCODE" | tr -d -)
expect test_r13_answer_code_stored_as_keyed_hmac eval '[ -n "$knorm" ] &&
	[ "$(db "SELECT octet_length(answer_hash) || '"'"' '"'"' || get_byte(answer_hash, 0) || '"'"' '"'"' ||
	    (answer_hash = sha256(answer_salt || convert_to('"'"'$knorm'"'"', '"'"'UTF8'"'"')))::text
	    FROM inquiries WHERE application_id = '"'"'$KAPP'"'"'")" = "37 1 false" ]'
post "/v1/applications/$KAPP/inquiry-answer" "{\"answer_code\":\"$KCODE\",\"evidence\":$PROXY_EV}" -H 'Idempotency-Key: k-right-1'
expect test_r13_keyed_code_answers_after_a_wrong_one eval '[ "$STATUS" = 200 ] && jq_eq .state ready'
# A row made before the keyed form (SHA-256(salt || code)) still verifies until it expires.
lnorm=$(echo "$LCODE" | tr -d -)
db "UPDATE inquiries SET answer_hash = sha256(answer_salt || convert_to('$lnorm', 'UTF8')) WHERE application_id = '$LAPP'" >/dev/null
post "/v1/applications/$LAPP/inquiry-answer" "{\"answer_code\":\"ZZZZ-ZZZZ\",\"evidence\":$PROXY_EV}"
post "/v1/applications/$LAPP/inquiry-answer" "{\"answer_code\":\"$LCODE\",\"evidence\":$PROXY_EV}"
expect test_r13_legacy_sha256_answer_row_still_verifies eval '[ "$STATUS" = 200 ] && jq_eq .state ready &&
	[ "$(db "SELECT wrong_attempts FROM inquiries WHERE application_id = '"'"'$LAPP'"'"'")" = 1 ]'
set_clock $T0

# ---------------------------------------------------------------- renewal (R8)
# AUTH_A ends 2031-01-02 (JST); the window opens 2030-10-02.
set_clock 1917046800	# 2030-10-01: one day before the window
resident 13101699001
expect test_r8_day_before_window_is_reissue eval 'jq_eq .eligibility.auth.renewal reissue &&
	jq_eq .eligibility.auth.renewal_window_opens 2030-10-02 && jq_eq .eligibility.auth.birthday 5 &&
	jq_eq .eligibility.auth.not_after 2035-01-02T14:59:59Z && jq_eq .eligibility.auth.supersedes "$AUTH_A"'
set_clock 1917133200	# 2030-10-02: exactly 3 months before
resident 13101699001
expect test_r8_window_opens_three_months_before eval 'jq_eq .eligibility.auth.renewal renewal &&
	jq_eq .eligibility.auth.birthday 6 && jq_eq .eligibility.auth.not_after 2036-01-02T14:59:59Z'
post /v1/applications "{\"resident_code\":\"13101699001\",\"procedure\":\"renew\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}"
RAPP=$(jv .id)
issue "$RAPP" auth
expect test_r8_renewal_in_window_supersedes_r9 eval '[ "$STATUS" = 201 ] && jq_eq .renewal renewal &&
	jq_eq .not_after 2036-01-02T14:59:59Z && jq_eq .superseded "[\"$AUTH_A\"]" &&
	[ "$(db "SELECT status || '"'"' '"'"' || reason FROM certificates WHERE serial = decode('"'"'$AUTH_A'"'"', '"'"'hex'"'"')")" = "revoked superseded" ] &&
	[ "$(db "SELECT count(*) FROM revocations WHERE serial = decode('"'"'$AUTH_A'"'"', '"'"'hex'"'"')")" = 1 ]'
set_clock 1925341200	# 2031-01-05: the SIGN of 2026 has expired
resident 13101699001
expect test_r8_after_expiry_is_ordinary_issuance eval 'jq_eq .eligibility.sign.renewal renewal_after_expiry &&
	jq_eq .eligibility.sign.birthday 5 && jq_eq .eligibility.sign.fee_yen 0 && jq_eq .eligibility.sign.supersedes null'
post /v1/applications "{\"resident_code\":\"13101699001\",\"procedure\":\"renew\",\"types\":[\"sign\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}"
issue "$(jv .id)" sign
expect test_r8_sign_after_expiry_marks_old_expired eval '[ "$STATUS" = 201 ] && jq_eq .renewal renewal_after_expiry &&
	jq_eq .not_after 2036-01-02T14:59:59Z && jq_eq .superseded "[]" &&
	[ "$(db "SELECT status FROM certificates WHERE serial = decode('"'"'$SIGN_A'"'"', '"'"'hex'"'"')")" = expired ]'
# 13101699012 got AUTH on 2026-11-21 (ends 2031-08-08); a SIGN added on
# 2027-09-01 would reach 2032-08-08 but gets the AUTH's remaining period.
set_clock 1819760400	# 2027-09-01 10:00 JST
post /v1/applications "{\"resident_code\":\"13101699012\",\"procedure\":\"issue\",\"types\":[\"sign\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}"
issue "$(jv .id)" sign
expect test_r7_sign_added_later_capped_by_auth eval '[ "$STATUS" = 201 ] && jq_eq .capped_by auth &&
	jq_eq .not_after 2031-08-08T14:59:59Z'
post /v1/applications "{\"resident_code\":\"13101699015\",\"procedure\":\"renew\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}"
expect test_r8_renew_with_nothing_to_renew_refused eval 'is_problem 422 && jq_eq .rule R8'
set_clock $T0

# ---------------------------------------------------------------- two terminals at once (R9)
# A second terminal of the same municipality, enrolled like any other.
openssl req -new -newkey rsa:2048 -nodes -keyout "$ca/terminal2.key" -subj "/CN=terminal 2/O=131016" \
	-out "$work/t2.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$work/t2.ext"
openssl x509 -req -in "$work/t2.csr" -CA "$ca/client-ca.crt" -CAkey "$ca/client-ca.key" \
	-CAcreateserial -days 30 -extfile "$work/t2.ext" -out "$ca/terminal2.crt" 2>/dev/null
"$jpkictl" enroll --db "$conninfo" --kind terminal --name "terminal 2" --municipality 131016 \
	"$ca/terminal2.crt" >/dev/null 2>&1
db "INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on, card_family_name, card_given_name, card_birth_date, card_sex, card_address) SELECT '900000000016', resident_code, 'mynumber', '2023-11-11', '2033-11-11', family_name, given_name, birth_date, sex, address FROM residents WHERE resident_code = '13101699016'" >/dev/null
apply 13101699016 '["auth"]'
C1=$APP
call POST "$IAPI/v1/applications" $(tls terminal2) -H 'Content-Type: application/json' \
	--data-binary "{\"resident_code\":\"13101699016\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$SELF_EV}"
C2=$(jv .id)
new_csr c1_csr
new_csr c2_csr
curl -sS -o "$work/c1.body" -w '%{http_code}' $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"type\":\"auth\",\"csr\":\"$c1_csr\"}" "$IAPI/v1/applications/$C1/certificates" > "$work/c1.status" &
cp1=$!
curl -sS -o "$work/c2.body" -w '%{http_code}' $(tls terminal2) -H 'Content-Type: application/json' \
	--data-binary "{\"type\":\"auth\",\"csr\":\"$c2_csr\"}" "$IAPI/v1/applications/$C2/certificates" > "$work/c2.status" &
cp2=$!
wait "$cp1" "$cp2"
expect test_r9_two_terminals_at_once_one_valid_certificate eval '[ "$(cat "$work/c1.status")" = 201 ] &&
	[ "$(cat "$work/c2.status")" = 201 ] &&
	[ "$(db "SELECT count(*) FROM certificates WHERE resident_code = '"'"'13101699016'"'"' AND type = '"'"'auth'"'"' AND status = '"'"'valid'"'"'")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM certificates WHERE resident_code = '"'"'13101699016'"'"' AND status = '"'"'revoked'"'"' AND reason = '"'"'superseded'"'"'")" = 1 ]'

# ---------------------------------------------------------------- interop: real clients
if [ -x "$top/tests/interop/issued.sh" ] || [ -f "$top/tests/interop/issued.sh" ]; then
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "interop_${line#ok - }" ;;
		"not ok - "*) not_ok "interop_${line#not ok - }" ;;
		esac
	done < <(bash "$top/tests/interop/issued.sh" "$issued" 2>&1)
else
	not_ok test_interop_script_present
fi

# ---------------------------------------------------------------- round trips (issue 15)
# Statements and transactions of jpkid per POST /v1/applications and per POST
# .../certificates, counted in the server log (log_statement = all, jpkid's
# backends only). The least of three issuances: a background task of jpkid
# (the audit sealer, the stats fold: roundtrips.py leaves their transactions
# out) can only add statements to a window, a serial block reservation (one
# issuance in 32) too. With the principal lookup and the last-seen touch of
# the authentication (2 round trips, 2 transactions), for an AUTH
# certificate without an Idempotency-Key. Before issue 15: 11 and 18 round
# trips, 3 and 4 transactions (the serial reservation its own, 3 writing);
# now 8 and 12, 3 and 3 (the touch, which writes at most once a minute,
# and the issuance; BEGIN goes with the first statement; the application
# reads the current card with its R18 facts in one statement).
jpki_psql "$pg" postgres -q -c "ALTER SYSTEM SET log_statement = 'all'" \
	-c "ALTER SYSTEM SET log_line_prefix = '%m [%p] user=%u '" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
rt_app=() rt_iss=()
for i in 1 2 3; do
	rcode=1310169950$i
	st_resident "$rcode" 131016
	off=$(stat -c %s "$pg/log")
	call POST "$API/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json' \
		--data-binary "{\"resident_code\":\"$rcode\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV}"
	[ "$STATUS" = 201 ] || break
	rt_app+=("$($PY "$top/tests/api/roundtrips.py" "$pg/log" "$off" "$work/rt-app-$i")")
	rapp=$(st_jv .id)
	new_csr rcsr
	off=$(stat -c %s "$pg/log")
	call POST "$API/v1/applications/$rapp/certificates" $(tls "$term_a") \
		-H 'Content-Type: application/json' --data-binary "{\"type\":\"auth\",\"csr\":\"$rcsr\"}"
	[ "$STATUS" = 201 ] || break
	rt_iss+=("$($PY "$top/tests/api/roundtrips.py" "$pg/log" "$off" "$work/rt-iss-$i")")
done
jpki_psql "$pg" postgres -q -c "ALTER SYSTEM RESET log_statement" \
	-c "ALTER SYSTEM RESET log_line_prefix" -c "SELECT pg_reload_conf()" >/dev/null
least() { printf '%s\n' "$@" | sort -n -k1,1 -k2,2 | head -n1; }
read -r app_rt app_tx app_wtx <<< "$(least "${rt_app[@]}")"
read -r iss_rt iss_tx iss_wtx <<< "$(least "${rt_iss[@]}")"
if [ -n "${JPKI_RT_LIST:-}" ]; then	# the statements of each window, for a look
	cat "$work"/rt-app-* > "$JPKI_RT_LIST.app"; cat "$work"/rt-iss-* > "$JPKI_RT_LIST.iss"
fi
echo "# figure: POST /v1/applications: $app_rt round trips, $app_tx transactions ($app_wtx writing); POST .../certificates: $iss_rt round trips, $iss_tx transactions ($iss_wtx writing)"
expect test_application_create_round_trips_and_transactions eval \
	'[ "${#rt_app[@]}" = 3 ] && [ "$app_rt" -le 8 ] && [ "$app_tx" -le 3 ]'
expect test_certificate_issue_round_trips_and_one_writing_transaction eval \
	'[ "${#rt_iss[@]}" = 3 ] && [ "$iss_rt" -le 12 ] && [ "$iss_tx" -le 3 ] && [ "$iss_wtx" -le 2 ]'

# ---------------------------------------------------------------- the quickstart walkthrough
# deploy/demo/walkthrough.sh against the main daemon (real clock) and the
# demo register: self (both types), legal representative (SIGN refused
# R4, AUTH issued), renewal outside the window, refusals, proxy visit 1.
/usr/bin/python3 "$top/deploy/demo/residents.py" | jpki_psql "$pg" jpkid -q >/dev/null
bash "$top/deploy/demo/walkthrough.sh" "$work" "$API" > "$work/walk.out" 2>&1
walk_rc=$?
expect test_demo_walkthrough_runs_a_clerks_day eval '[ $walk_rc = 0 ] &&
	[ "$(grep -c -- "^-> 201" "$work/walk.out")" = 8 ] &&
	grep -q "refused by R4" "$work/walk.out" && grep -q -- "-> 404" "$work/walk.out" &&
	grep -q "rule: R13" "$work/walk.out" || { tail -n 30 "$work/walk.out" >&2; false; }'

kill -TERM "$iss_pid"
wait "$iss_pid"
rc_prev=$?
expect test_issuance_daemon_clean_exit eval '[ $rc_prev = 0 ]'
if [ "$failed" -gt "$iss_failed_before" ]; then
	echo "# issuance jpkid log (last 60 lines):"
	grep -v 'msg=request ' "$work/jpkid-iss.log" | tail -n 60 | sed 's/^/# /'
fi
