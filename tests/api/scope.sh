# R1 scope of applications and PIN reset authorizations (issue 13, items 7
# and 8), sourced by tests/api/run.sh. A terminal naming another
# municipality's application (inquiry answer, issuance, PIN reset), or its
# own old application or authorization after the resident moved away, gets
# the 404 of an unknown id, body for body, and changes nothing:
# applications, inquiries, certificates, PIN reset authorizations and the
# terminals' audit rows are compared before and after (the R1 refusal
# itself is audited, and counted apart). A jpkid with a test clock
# ($sc/clock, for the proxy's second visit) and the harness's CA.
# Residents 131016760NN (千代田区, $term_a); 141003 is $term_b's.

sc=$work/scope
mkdir -p "$sc"
sc_clock=$sc/clock
SC_T0=$(date +%s)
echo "$SC_T0" > "$sc_clock"
sapi_port=$(jpki_free_port $((api_port + 60)))
sst_port=$(jpki_free_port $((sapi_port + 1)))
sconf=$sc/jpkid.conf
jpki_write_config "$sconf" "$ca" "$conninfo" "$sapi_port" "$sst_port"
JPKID_TEST_CLOCK=@$sc_clock start_jpkid "$sconf" "$sc/jpkid.log"
sc_pid=$JPKID_PID
SAPI=https://127.0.0.1:$sapi_port
expect test_scope_daemon_ready eval 'wait_ready "http://127.0.0.1:$sst_port" 20 && grep -q "^answer_key = $ca/answer.key" "$sconf"'

SC_UNKNOWN=00000000-0000-4000-8000-000000000000
SC_SELF='{"documents":[{"kind":"mynumber_card","holder":"resident"}]}'
SC_SELF2='{"documents":[{"kind":"mynumber_card","holder":"resident"},{"kind":"health_insurance_card","holder":"resident"}]}'
SC_PROXY='{"documents":[{"kind":"passport","holder":"applicant"}]}'
sc_post() {	# sc_post WHO PATH JSON [curl args...]
	local who=$1 path=$2 data=$3
	shift 3
	call POST "$SAPI$path" $(tls "$who") -H 'Content-Type: application/json' \
		--data-binary "$data" "$@"
}
sc_apply() {	# sc_apply CODE PROCEDURE TYPES KIND EVIDENCE: sets SC_APP (and SC_CODE for a proxy)
	local name=''
	[ "$4" != self ] && name=',"name":"代理 人","relationship":"知人"'
	sc_post "$term_a" /v1/applications "{\"resident_code\":\"$1\",\"procedure\":\"$2\",\"types\":$3,\"applicant\":{\"kind\":\"$4\"$name},\"evidence\":$5}"
	SC_APP=$(st_jv .id)
	SC_CODE=$(st_jv .inquiry.answer_code)
}
sc_csr() {	# sc_csr NAME: a fresh holder key (one key, one holder, one type: R22)
	openssl req -new -newkey rsa:2048 -nodes -keyout "$sc/$1.key" -subj "/CN=ignored" \
		-outform DER -out "$sc/$1.csr" 2>/dev/null
	base64 -w0 "$sc/$1.csr"
}
sc_auth() {	# sc_auth CODE: an AUTH certificate for CODE (self, $term_a)
	sc_apply "$1" issue '["auth"]' self "$SC_SELF"
	sc_post "$term_a" "/v1/applications/$SC_APP/certificates" "{\"type\":\"auth\",\"csr\":\"$(sc_csr "$1")\"}"
	[ "$STATUS" = 201 ] || { echo "# sc_auth $1: $STATUS $(head -c 300 "$work/body")" >&2; return 1; }
}
# What a refused request must leave alone: rows of the tables it could
# write, and the terminals' audit rows other than R1 refusals.
sc_snap() {
	st_db "SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM (
	    SELECT a::text x FROM applications a
	    UNION ALL SELECT i::text FROM inquiries i
	    UNION ALL SELECT c::text FROM certificates c
	    UNION ALL SELECT z::text FROM pin_reset_authorizations z
	    UNION ALL SELECT l.seq || ' ' || l.action FROM audit_log l
	      WHERE l.actor LIKE 'terminal:%'
	      AND l.action NOT IN ('resident.scope_denied', 'certificate.issue_refused',
	        'application.read_refused')) s"
}
sc_denials() { st_db "SELECT count(*) FROM audit_log WHERE action IN ('resident.scope_denied', 'certificate.issue_refused') AND detail->>'rule' = 'R1'"; }
# sc_as_unknown WHO PATH JSON ID: POST PATH and JSON with @ replaced by
# ID, then by an unknown id: both 404 and the bodies equal once the ids
# are blanked. The last response is the one for ID.
sc_as_unknown() {
	local who=$1 path=$2 data=$3 id=$4 unk
	sc_post "$who" "${path//@/$SC_UNKNOWN}" "${data//@/$SC_UNKNOWN}"
	unk="$STATUS $(sed "s/$SC_UNKNOWN/ID/g" "$work/body")"
	sc_post "$who" "${path//@/$id}" "${data//@/$id}"
	[ "$STATUS $(sed "s/$id/ID/g" "$work/body")" = "$unk" ] && [ "$STATUS" = 404 ] &&
		is_problem 404 || { echo "# unknown id: $unk" >&2; false; }
}

SC_A1=13101676001	# proxy application of 131016: 141003 answers its inquiry
SC_A2=13101676002	# ready application of 131016: 141003 issues on it
SC_A3=13101676003	# PIN reset application of 131016: 141003 authorizes on it
SC_M1=13101676004	# proxy application, then the resident moves to 141003
SC_M2=13101676005	# PIN reset authorized (and another filed), then the move
SC_M3=13101676006	# ready application, then the move
for code in $SC_A1 $SC_A2 $SC_A3 $SC_M1 $SC_M2 $SC_M3; do st_resident $code 131016; done
sc_apply $SC_A1 issue '["auth"]' voluntary_proxy "$SC_PROXY"
A1_APP=$SC_APP A1_CODE=$SC_CODE
sc_apply $SC_A2 issue '["auth"]' self "$SC_SELF"
A2_APP=$SC_APP
sc_auth $SC_A3 && sc_apply $SC_A3 pin_reset '["auth"]' self "$SC_SELF2"
A3_APP=$SC_APP
sc_apply $SC_M1 issue '["auth"]' voluntary_proxy "$SC_PROXY"
M1_APP=$SC_APP M1_CODE=$SC_CODE
sc_auth $SC_M2 && sc_apply $SC_M2 pin_reset '["auth"]' self "$SC_SELF2"
M2_APP=$SC_APP
sc_post "$term_a" /v1/pin-resets "{\"channel\":\"counter\",\"application_id\":\"$M2_APP\",\"key_type\":\"auth\"}"
M2_AUTHZ=$(st_jv .id)
sc_apply $SC_M2 pin_reset '["auth"]' self "$SC_SELF2"
M2_APP2=$SC_APP
sc_apply $SC_M3 issue '["auth"]' self "$SC_SELF"
M3_APP=$SC_APP
expect test_scope_fixtures eval '[ -n "$A1_CODE" ] && [ -n "$A2_APP" ] && [ -n "$A3_APP" ] && [ -n "$M1_CODE" ] &&
	[ -n "$M2_AUTHZ" ] && [ -n "$M2_APP2" ] && [ -n "$M3_APP" ] &&
	[ "$(st_db "SELECT count(*) FROM applications WHERE id IN ('"'"'$A2_APP'"'"', '"'"'$A3_APP'"'"', '"'"'$M2_APP2'"'"', '"'"'$M3_APP'"'"') AND state = '"'"'ready'"'"'")" = 4 ]'
echo $((SC_T0 + 86400)) > "$sc_clock"	# the proxy's second visit: the next day

# ---------------------------------------------------------------- another municipality's application (item 8)
snap=$(sc_snap) den=$(sc_denials)
expect test_r1_other_municipality_answers_inquiry_404_as_unknown sc_as_unknown "$term_b" \
	/v1/applications/@/inquiry-answer "{\"answer_code\":\"$A1_CODE\",\"evidence\":$SC_PROXY}" "$A1_APP"
expect test_r1_other_municipality_wrong_answer_404_as_unknown sc_as_unknown "$term_b" \
	/v1/applications/@/inquiry-answer "{\"answer_code\":\"ZZZZ-ZZZZ\",\"evidence\":$SC_PROXY}" "$A1_APP"
expect test_r1_other_municipality_issues_404_as_unknown sc_as_unknown "$term_b" \
	/v1/applications/@/certificates "{\"type\":\"auth\",\"csr\":\"$(sc_csr b2)\"}" "$A2_APP"
expect test_r1_other_municipality_pin_reset_404_as_unknown sc_as_unknown "$term_b" \
	/v1/pin-resets '{"channel":"counter","application_id":"@","key_type":"auth"}' "$A3_APP"
expect test_r1_other_municipality_changes_nothing_and_is_audited eval '[ "$(sc_snap)" = "$snap" ] &&
	[ "$(sc_denials)" = $((den + 4)) ] &&
	[ "$(st_db "SELECT state || '"'"' '"'"' || wrong_attempts FROM inquiries WHERE application_id = '"'"'$A1_APP'"'"'")" = "open 0" ]'
# The owner still can: nothing was used up.
sc_post "$term_a" "/v1/applications/$A1_APP/inquiry-answer" "{\"answer_code\":\"$A1_CODE\",\"evidence\":$SC_PROXY}"
expect test_r1_own_municipality_answers_after_foreign_attempts eval '[ "$STATUS" = 200 ] && jq_eq .state ready'

# ---------------------------------------------------------------- after a move (item 7)
st_db "UPDATE residents SET municipality_code = '141003', address = '神奈川県横浜市中区山下町' || right(resident_code, 3) || '番'
    WHERE resident_code IN ('$SC_M1', '$SC_M2', '$SC_M3')" >/dev/null
for i in $(seq 1 100); do	# the register change job (R10) has run
	[ "$(st_db "SELECT count(*) FROM register_changes WHERE processed_at IS NULL")" = 0 ] && break
	sleep 0.1
done
snap=$(sc_snap) den=$(sc_denials)
expect test_r1_inquiry_answer_after_move_404_as_unknown sc_as_unknown "$term_a" \
	/v1/applications/@/inquiry-answer "{\"answer_code\":\"$M1_CODE\",\"evidence\":$SC_PROXY}" "$M1_APP"
expect test_r1_new_municipality_cannot_answer_old_inquiry sc_as_unknown "$term_b" \
	/v1/applications/@/inquiry-answer "{\"answer_code\":\"$M1_CODE\",\"evidence\":$SC_PROXY}" "$M1_APP"
echo $((SC_T0 + 120)) > "$sc_clock"	# back: $M2_AUTHZ (300 s) unexpired
expect test_r1_pin_reset_complete_after_move_404_as_unknown sc_as_unknown "$term_a" \
	/v1/pin-resets/@/complete '{}' "$M2_AUTHZ"
expect test_r1_pin_reset_after_move_404_as_unknown sc_as_unknown "$term_a" \
	/v1/pin-resets '{"channel":"counter","application_id":"@","key_type":"auth"}' "$M2_APP2"
expect test_r1_issue_after_move_404_as_unknown sc_as_unknown "$term_a" \
	/v1/applications/@/certificates "{\"type\":\"auth\",\"csr\":\"$(sc_csr m3)\"}" "$M3_APP"
call GET "$SAPI/v1/applications/$SC_UNKNOWN" $(tls "$term_a")
unk_get="$STATUS $(sed "s/$SC_UNKNOWN/ID/g" "$work/body")"
call GET "$SAPI/v1/applications/$M3_APP" $(tls "$term_a")
expect test_r1_application_read_after_move_404_as_unknown eval 'is_problem 404 && conforms GET /v1/applications/x &&
	[ "$STATUS $(sed "s/$M3_APP/ID/g" "$work/body")" = "$unk_get" ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'"'application.read_refused'"'"' AND object = '"'"'application:$M3_APP'"'"'")" = 1 ]'
expect test_r1_after_move_changes_nothing_and_is_audited eval '[ "$(sc_snap)" = "$snap" ] &&
	[ "$(sc_denials)" = $((den + 4)) ] &&
	[ "$(st_db "SELECT state || '"'"' '"'"' || wrong_attempts FROM inquiries WHERE application_id = '"'"'$M1_APP'"'"'")" = "open 0" ] &&
	[ "$(st_db "SELECT used_at IS NULL FROM pin_reset_authorizations WHERE id = '"'"'$M2_AUTHZ'"'"'")" = t ]'

# ---------------------------------------------------------------- no answer-code key (R13, ca/answercode.h)
# A jpkid without [issuance] answer_key files no voluntary proxy
# application, and an answer to a keyed inquiry counts nothing.
sed '/^answer_key = /d' "$sconf" > "$sc/nokey.conf"
kapi=$(jpki_free_port $((sst_port + 1)))
kst=$(jpki_free_port $((kapi + 1)))
sed -i "s/127.0.0.1:$sapi_port/127.0.0.1:$kapi/; s/127.0.0.1:$sst_port/127.0.0.1:$kst/" "$sc/nokey.conf"
JPKID_TEST_CLOCK=@$sc_clock start_jpkid "$sc/nokey.conf" "$sc/nokey.log"
nk_pid=$JPKID_PID
wait_ready "http://127.0.0.1:$kst" 20
SC_K=13101676007
st_resident $SC_K 131016
call POST "https://127.0.0.1:$kapi/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"resident_code\":\"$SC_K\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"voluntary_proxy\",\"name\":\"代理 人\"},\"evidence\":$SC_PROXY}"
expect test_r13_no_answer_key_no_proxy_application_503 eval 'is_problem 503 && conforms POST /v1/applications &&
	jq_eq .type urn:jpkid:problem:answer-key-not-configured && jq_eq .rule R13 &&
	[ "$(st_db "SELECT count(*) FROM applications WHERE resident_code = '"'"'$SC_K'"'"'")" = 0 ] &&
	grep -q "no \[issuance\] answer_key" "$sc/nokey.log"'
echo "$SC_T0" > "$sc_clock"
sc_apply $SC_K issue '["auth"]' voluntary_proxy "$SC_PROXY"
K_APP=$SC_APP K_CODE=$SC_CODE
echo $((SC_T0 + 86400)) > "$sc_clock"
call POST "https://127.0.0.1:$kapi/v1/applications/$K_APP/inquiry-answer" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"answer_code\":\"$K_CODE\",\"evidence\":$SC_PROXY}"
expect test_r13_answer_without_the_key_503_nothing_counted eval 'is_problem 503 &&
	conforms POST /v1/applications/x/inquiry-answer && jq_eq .type urn:jpkid:problem:answer-key-not-configured &&
	[ "$(st_db "SELECT state || '"'"' '"'"' || wrong_attempts FROM inquiries WHERE application_id = '"'"'$K_APP'"'"'")" = "open 0" ]'
sc_post "$term_a" "/v1/applications/$K_APP/inquiry-answer" "{\"answer_code\":\"$K_CODE\",\"evidence\":$SC_PROXY}"
expect test_r13_answer_with_the_key_still_right eval '[ "$STATUS" = 200 ] && jq_eq .state ready'
kill -TERM "$nk_pid"
wait "$nk_pid" 2>/dev/null

# ---------------------------------------------------------------- migration 0009
# What older versions left in idempotency: a PIN reset token in a stored
# response, a committed refusal's key without a response (run again: the
# migration is idempotent).
st_db "INSERT INTO idempotency (principal, key, request_hash, status, content_type, response) VALUES
    ('kiosk:0', 'mig-0009-token', sha256('a'), 201, 'application/json',
     convert_to('{\"id\":\"x\",\"authorization\":\"eyJhbGciOiJSUzI1NiJ9.e30.c2ln\"}', 'UTF8')),
    ('kiosk:0', 'mig-0009-plain', sha256('b'), 201, 'application/json', convert_to('{\"id\":\"y\"}', 'UTF8')),
    ('terminal:0', 'mig-0009-null', sha256('c'), NULL, NULL, NULL)" >/dev/null
jpki_psql "$pg" jpkid -q -f "$top/db/migrations/0009_idempotency_secrets.sql" >/dev/null
expect test_migration_0009_drops_stored_tokens_and_keys_without_response eval '
	[ "$(st_db "SELECT convert_from(response, '"'"'UTF8'"'"')::jsonb = '"'"'{\"id\":\"x\"}'"'"'::jsonb FROM idempotency WHERE key = '"'"'mig-0009-token'"'"'")" = t ] &&
	[ "$(st_db "SELECT convert_from(response, '"'"'UTF8'"'"') FROM idempotency WHERE key = '"'"'mig-0009-plain'"'"'")" = "{\"id\":\"y\"}" ] &&
	[ "$(st_db "SELECT count(*) FROM idempotency WHERE key = '"'"'mig-0009-null'"'"'")" = 0 ] &&
	[ "$(st_db "SELECT count(*) FROM schema_migrations WHERE version = 9")" = 1 ]'
st_db "DELETE FROM idempotency WHERE key LIKE 'mig-0009-%'" >/dev/null

kill -TERM "$sc_pid"
wait "$sc_pid"
rc_prev=$?
expect test_scope_daemon_clean_exit eval '[ $rc_prev = 0 ]'
