# Revocation (R26), card events (R11) and the register sweep (R10/R12 for
# changes made straight in SQL). Sourced by tests/api/run.sh against its
# main jpkid ($API, real clock), after tests/api/lib_issue.sh. Resident
# codes 131016700NN (千代田区, terminal $term_a) and 141003700NN (横浜市中区,
# terminal $term_b); cards "9" + code.

rv_actor() {	# the audit actor of terminal MUNI
	echo "terminal:$(st_db "SELECT id FROM terminals WHERE municipality_code = '$1' ORDER BY id LIMIT 1")"
}
rv_revoke() {	# rv_revoke SERIAL WHO JSON [curl args...]
	local serial=$1 who=$2 data=$3
	shift 3
	# shellcheck disable=SC2046
	call POST "$API/v1/certificates/$serial/revoke" $(tls "$who") \
		-H 'Content-Type: application/json' --data-binary "$data" "$@"
}
rv_get() {	# rv_get SERIAL WHO
	# shellcheck disable=SC2046
	call GET "$API/v1/certificates/$1" $(tls "$2")
}
rv_event() {	# rv_event CARD WHO JSON [curl args...]
	local card=$1 who=$2 data=$3
	shift 3
	# shellcheck disable=SC2046
	call POST "$API/v1/cards/$card/events" $(tls "$who") \
		-H 'Content-Type: application/json' --data-binary "$data" "$@"
}
rv_cert() {	# status:reason:invalidity (epoch) of a certificate in the database
	st_db "SELECT status || ':' || coalesce(reason, '') || ':' ||
	    coalesce(extract(epoch FROM invalidity_date)::bigint::text, '')
	    FROM certificates WHERE serial = decode('$1', 'hex')"
}
rv_audit() {	# rv_audit ACTION OBJECT: actor of the latest such audit row
	st_db "SELECT actor FROM audit_log WHERE action = '$1' AND object = '$2'
	    ORDER BY seq DESC LIMIT 1"
}
rv_wait_status() {	# rv_wait_status SERIAL WANT SECONDS: poll the database
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(rv_cert "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "# $1: $(rv_cert "$1"), want $2" >&2
	return 1
}
rv_role() { st_db "UPDATE operators SET role = '$1'" >/dev/null; }

RV_A=13101670001	# 131016, both types
RV_B=14100370001	# 141003, both types
RV_X=13101670003	# 131016, an expired certificate made in SQL
RV_L=13101670004	# card lost
RV_R=13101670005	# card re-issued
RV_T=13101670006	# card returned
RV_S=13101670007	# R10 by SQL
RV_D=13101670008	# R12 by SQL
RV_UNKNOWN=00ff00ff00ff00ff00ff00ff00ff00ff
TA_ACTOR=$(rv_actor 131016)

st_resident $RV_A 131016 && st_issue $RV_A
A_SIGN=$ST_SIGN A_AUTH=$ST_AUTH
st_resident $RV_B 141003 && st_issue $RV_B
B_SIGN=$ST_SIGN B_AUTH=$ST_AUTH
expect test_revocation_setup_issued_both eval '[ -n "$A_SIGN" ] && [ -n "$A_AUTH" ] && [ -n "$B_SIGN" ] && [ -n "$B_AUTH" ]'

# ---------------------------------------------------------------- GET /v1/certificates/{serial}
rv_get "$A_AUTH" "$term_a"
expect test_certificate_get_own_municipality_200 eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/certificates/$A_AUTH && jq_eq .serial "$A_AUTH" && jq_eq .type auth &&
	jq_eq .status valid && jq_eq .revoked_at null && jq_eq .reason null &&
	jq_eq .resident_code $RV_A && jq_eq .card_number 9$RV_A && jq_eq .municipality_code 131016 &&
	jq_eq .crl_url "$ST/crl/auth/131016.crl" && jq_eq .ocsp_url "$ST/ocsp"'
expect test_certificate_get_pem_is_the_issued_certificate eval '
	[ "$(st_jv .certificate | openssl x509 -outform DER | sha256sum)" = "$(openssl x509 -in "$work/st/$A_AUTH.pem" -outform DER | sha256sum)" ]'
expect test_certificate_get_audited test "$(rv_audit certificate.read "certificate:$A_AUTH")" = "$TA_ACTOR"
rv_get "$(echo "$A_SIGN" | tr a-f A-F)" "$term_a"
expect test_certificate_get_uppercase_serial_200 eval '[ "$STATUS" = 200 ] && jq_eq .serial "$A_SIGN" && jq_eq .type sign'

rv_get "$B_SIGN" "$term_a"
cp "$work/body" "$work/rv_other.body"
rv_get "$RV_UNKNOWN" "$term_a"
expect test_r1_certificate_get_other_municipality_404_same_as_unknown eval 'is_problem 404 &&
	conforms GET /v1/certificates/$RV_UNKNOWN && cmp -s "$work/body" "$work/rv_other.body"'
expect test_r1_certificate_get_other_municipality_audited \
	test "$(rv_audit certificate.scope_denied "certificate:$B_SIGN")" = "$TA_ACTOR"
rv_get "$B_SIGN" "$term_b"
expect test_certificate_get_each_terminal_its_own_200 eval '[ "$STATUS" = 200 ] && jq_eq .municipality_code 141003'
rv_get "$B_SIGN" operator
expect test_certificate_get_operator_any_municipality_200 eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/certificates/$B_SIGN && jq_eq .serial "$B_SIGN"'
rv_get xyz0 "$term_a"
expect test_certificate_get_malformed_serial_400 eval 'is_problem 400 && conforms GET /v1/certificates/xyz0 &&
	jq_eq .fields.serial "2 to 40 hex digits (whole bytes)"'
rv_get abc "$term_a"
expect test_certificate_get_odd_length_serial_400 is_problem 400
rv_get "$A_SIGN" feed
expect test_certificate_get_register_feed_403 eval 'is_problem 403 && conforms GET /v1/certificates/$A_SIGN'

# ---------------------------------------------------------------- POST .../revoke: refusals
rv_revoke "$A_SIGN" "$term_a" '{"reason":"cACompromise"}'
expect test_r26_terminal_ca_compromise_422 eval 'is_problem 422 &&
	conforms POST /v1/certificates/$A_SIGN/revoke && jq_eq .rule R26 &&
	jq_eq .type urn:jpkid:problem:reason-not-allowed && jq_eq .fields.reason reason-not-allowed &&
	[ "$(rv_cert "$A_SIGN")" = "valid::" ]'
rv_revoke "$A_SIGN" operator '{"reason":"certificateHold"}'
expect test_r26_certificate_hold_never_422 eval 'is_problem 422 && jq_eq .rule R26 &&
	jq_eq .type urn:jpkid:problem:reason-never-used && [ "$(rv_cert "$A_SIGN")" = "valid::" ]'
rv_revoke "$A_SIGN" "$term_a" '{"reason":"removeFromCRL"}'
expect test_r26_remove_from_crl_never_422 eval 'is_problem 422 && jq_eq .rule R26'
rv_revoke "$A_SIGN" "$term_a" '{"reason":"privilegeWithdrawn"}'
expect test_r26_reason_not_in_use_422 eval 'is_problem 422 && jq_eq .rule R26 &&
	jq_eq .type urn:jpkid:problem:reason-unknown'
rv_revoke "$A_SIGN" "$term_a" '{"reason":"keyCompromise","why":"x"}'
expect test_revoke_unknown_field_422 eval 'is_problem 422 && jq_eq .fields.why "unknown field" &&
	[ "$(rv_cert "$A_SIGN")" = "valid::" ]'
rv_revoke "$A_SIGN" "$term_a" '{}'
expect test_revoke_reason_required_422 eval 'is_problem 422 && jq_eq .fields.reason required'
rv_revoke "$A_SIGN" "$term_a" '{"reason":"keyCompromise","invalidity_date":"yesterday"}'
expect test_revoke_invalidity_date_not_rfc3339_422 eval 'is_problem 422 && jq_eq .type urn:jpkid:problem:invalid-field'
rv_revoke "$A_SIGN" "$term_a" "{\"reason\":\"keyCompromise\",\"invalidity_date\":\"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\"}"
expect test_r26_invalidity_date_in_future_422 eval 'is_problem 422 && jq_eq .rule R26 &&
	jq_eq .fields.invalidity_date invalidity-date'
rv_revoke "$A_SIGN" "$term_a" '{"reason":"keyCompromise","invalidity_date":"2020-01-01T00:00:00+09:00"}'
expect test_r26_invalidity_date_before_not_before_422 eval 'is_problem 422 && jq_eq .rule R26 &&
	[ "$(rv_cert "$A_SIGN")" = "valid::" ]'
rv_revoke "$A_SIGN" "$term_a" 'not json'
expect test_revoke_body_not_json_400 is_problem 400
rv_revoke zz "$term_a" '{"reason":"keyCompromise"}'
expect test_revoke_malformed_serial_400 eval 'is_problem 400 && conforms POST /v1/certificates/zz/revoke'
rv_revoke "$A_SIGN" feed '{"reason":"keyCompromise"}'
expect test_revoke_register_feed_403 eval 'is_problem 403 && conforms POST /v1/certificates/$A_SIGN/revoke'
rv_role viewer
rv_revoke "$A_SIGN" operator '{"reason":"keyCompromise"}'
expect test_revoke_operator_viewer_403 eval 'is_problem 403 && [ "$(rv_cert "$A_SIGN")" = "valid::" ]'
rv_get "$A_SIGN" operator
expect test_certificate_get_operator_viewer_200 eval '[ "$STATUS" = 200 ]'
rv_role admin

# R1: another municipality's certificate is "not found", exactly as an unknown one.
rv_revoke "$B_SIGN" "$term_a" '{"reason":"unspecified"}'
cp "$work/body" "$work/rv_other.body"
rv_revoke "$RV_UNKNOWN" "$term_a" '{"reason":"unspecified"}'
expect test_r1_revoke_other_municipality_404_same_as_unknown eval 'is_problem 404 &&
	conforms POST /v1/certificates/$RV_UNKNOWN/revoke && cmp -s "$work/body" "$work/rv_other.body" &&
	[ "$(rv_cert "$B_SIGN")" = "valid::" ] &&
	[ "$(rv_audit certificate.scope_denied "certificate:$B_SIGN")" = "$TA_ACTOR" ]'

# ---------------------------------------------------------------- POST .../revoke: success
rv_get "$A_SIGN" "$term_a"
A_NB=$(st_jv .not_before)
A_NB_EPOCH=$(date -u -d "$A_NB" +%s)
RV_KEY=rv-$RANDOM$RANDOM
rv_revoke "$A_SIGN" "$term_a" "{\"reason\":\"keyCompromise\",\"invalidity_date\":\"$A_NB\",\"comment\":\"窓口で申出\"}" \
	-H "Idempotency-Key: $RV_KEY"
cp "$work/body" "$work/rv_first.body"
expect test_r26_terminal_revokes_key_compromise_200 eval '[ "$STATUS" = 200 ] &&
	conforms POST /v1/certificates/$A_SIGN/revoke && jq_eq .serial "$A_SIGN" &&
	jq_eq .status revoked && jq_eq .reason keyCompromise && jq_eq .invalidity_date "$A_NB" &&
	[ -n "$(st_jv .revoked_at)" ] && [ "$(rv_cert "$A_SIGN")" = "revoked:keyCompromise:$A_NB_EPOCH" ]'
expect test_revoke_writes_revocations_row test "$(st_db "SELECT reason || ':' || crl_shard FROM revocations
	WHERE serial = decode('$A_SIGN', 'hex')")" = keyCompromise:131016
expect test_revoke_audited_with_reason test "$(st_db "SELECT actor || ',' || (detail->>'reason') || ',' ||
	(detail->>'comment') FROM audit_log WHERE action = 'certificate.revoke'
	AND object = 'certificate:$A_SIGN'")" = "$TA_ACTOR,keyCompromise,窓口で申出"
expect test_revoke_leaves_the_other_type_valid test "$(rv_cert "$A_AUTH")" = "valid::"
rv_revoke "$A_SIGN" "$term_a" "{\"reason\":\"keyCompromise\",\"invalidity_date\":\"$A_NB\",\"comment\":\"窓口で申出\"}" \
	-H "Idempotency-Key: $RV_KEY"
expect test_revoke_idempotent_replay_same_body eval '[ "$STATUS" = 200 ] &&
	[ "$(header Idempotent-Replayed)" = true ] && cmp -s "$work/body" "$work/rv_first.body" &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '"'certificate.revoke'"' AND object = '"'certificate:$A_SIGN'"'")" = 1 ]'
rv_revoke "$A_SIGN" "$term_a" '{"reason":"keyCompromise"}' -H "Idempotency-Key: $RV_KEY"
expect test_revoke_idempotency_key_other_body_422 is_problem 422
rv_revoke "$A_SIGN" operator '{"reason":"unspecified"}'
expect test_r26_second_revoke_409_names_the_first eval 'is_problem 409 &&
	conforms POST /v1/certificates/$A_SIGN/revoke && jq_eq .type urn:jpkid:problem:already-revoked &&
	st_jv .detail | grep -q "(keyCompromise)" &&
	[ "$(st_db "SELECT count(*) FROM revocations WHERE serial = decode('"'$A_SIGN'"', '"'hex'"')")" = 1 ] &&
	[ "$(rv_cert "$A_SIGN")" = "revoked:keyCompromise:$A_NB_EPOCH" ]'
rv_get "$A_SIGN" "$term_a"
expect test_certificate_get_shows_revocation eval '[ "$STATUS" = 200 ] && jq_eq .status revoked &&
	jq_eq .reason keyCompromise && jq_eq .invalidity_date "$A_NB"'

rv_revoke "$B_AUTH" operator '{"reason":"cACompromise"}'
expect test_r26_operator_ca_compromise_any_municipality_200 eval '[ "$STATUS" = 200 ] &&
	jq_eq .reason cACompromise && jq_eq .invalidity_date null && [ "$(rv_cert "$B_AUTH")" = "revoked:cACompromise:" ] &&
	st_db "SELECT actor FROM audit_log WHERE action = '"'certificate.revoke'"' AND object = '"'certificate:$B_AUTH'"'" | grep -q "^operator:"'
rv_revoke "$B_SIGN" "$term_b" '{"reason":"unspecified"}'
expect test_r12_voluntary_revocation_unspecified_200 eval '[ "$STATUS" = 200 ] && jq_eq .reason unspecified &&
	[ "$(rv_cert "$B_SIGN")" = "revoked:unspecified:" ]'

# An expired certificate (made in SQL): shown expired, not revocable.
st_resident $RV_X 131016
RV_XS=7e57$(printf '%08x' $RANDOM)
st_db "INSERT INTO serials (serial, issuer) VALUES ('\\x$RV_XS', 'auth');
	INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,
	    not_before, not_after, crl_shard, der, issued_at)
	VALUES ('auth', '\\x$RV_XS', 'auth', '$RV_X', '9$RV_X', 'CN=expired', now() - interval '6 years',
	    now() - interval '1 day', '131016', '\\x3000', now() - interval '6 years')" >/dev/null
rv_get "$RV_XS" "$term_a"
expect test_certificate_get_past_not_after_shows_expired eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/certificates/$RV_XS && jq_eq .status expired && jq_eq .revoked_at null'
rv_revoke "$RV_XS" "$term_a" '{"reason":"keyCompromise"}'
expect test_revoke_expired_409 eval 'is_problem 409 && jq_eq .type urn:jpkid:problem:expired &&
	[ "$(rv_cert "$RV_XS")" = "valid::" ]'

# ---------------------------------------------------------------- POST /v1/cards/{card_number}/events
st_resident $RV_L 131016 && st_issue $RV_L
L_SIGN=$ST_SIGN L_AUTH=$ST_AUTH
sleep 1
L_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
L_AT_EPOCH=$(date -u -d "$L_AT" +%s)
RV_KEY=rv-ev-$RANDOM$RANDOM
rv_event 9$RV_L "$term_a" "{\"event\":\"lost\",\"occurred_at\":\"$L_AT\",\"comment\":\"駅で紛失\"}" \
	-H "Idempotency-Key: $RV_KEY"
cp "$work/body" "$work/rv_first.body"
expect test_r11_lost_card_revokes_both_key_compromise_201 eval '[ "$STATUS" = 201 ] &&
	conforms POST /v1/cards/9$RV_L/events && jq_eq .card_number 9$RV_L && jq_eq .event lost &&
	jq_eq .status lost && jq_eq .previous_status active && jq_eq .occurred_at "$L_AT" &&
	jq_eq .revoked "[{\"serial\": \"$L_SIGN\", \"type\": \"sign\", \"reason\": \"keyCompromise\"}, {\"serial\": \"$L_AUTH\", \"type\": \"auth\", \"reason\": \"keyCompromise\"}]"'
expect test_r11_lost_invalidity_date_is_occurred_at eval '
	[ "$(rv_cert "$L_SIGN")" = "revoked:keyCompromise:$L_AT_EPOCH" ] &&
	[ "$(rv_cert "$L_AUTH")" = "revoked:keyCompromise:$L_AT_EPOCH" ] &&
	[ "$(st_db "SELECT count(*) FROM revocations WHERE serial IN (decode('"'$L_SIGN'"', '"'hex'"'), decode('"'$L_AUTH'"', '"'hex'"'))")" = 2 ]'
expect test_r11_card_status_lost test "$(st_db "SELECT status FROM cards WHERE card_number = '9$RV_L'")" = lost
expect test_r11_card_event_recorded test "$(st_db "SELECT event || ',' || status_before || ',' || status_after || ',' ||
	reported_by || ',' || cardinality(revoked_serials) || ',' || comment FROM card_events
	WHERE card_number = '9$RV_L'")" = "lost,active,lost,$TA_ACTOR,2,駅で紛失"
expect test_r11_card_event_audited test "$(st_db "SELECT actor || ',' || (detail->>'event') || ',' ||
	jsonb_array_length(detail->'revoked') FROM audit_log WHERE action = 'card.event'
	AND object = 'card:9$RV_L'")" = "$TA_ACTOR,lost,2"
rv_event 9$RV_L "$term_a" "{\"event\":\"lost\",\"occurred_at\":\"$L_AT\",\"comment\":\"駅で紛失\"}" \
	-H "Idempotency-Key: $RV_KEY"
expect test_r11_card_event_idempotent_replay eval '[ "$STATUS" = 201 ] &&
	[ "$(header Idempotent-Replayed)" = true ] && cmp -s "$work/body" "$work/rv_first.body" &&
	[ "$(st_db "SELECT count(*) FROM card_events WHERE card_number = '"'9$RV_L'"'")" = 1 ]'
rv_event 9$RV_L "$term_a" '{"event":"stolen"}'
expect test_r11_lost_card_reported_stolen_409 eval 'is_problem 409 &&
	conforms POST /v1/cards/9$RV_L/events && jq_eq .rule R11 && jq_eq .fields.event "not allowed for this card"'
rv_event 9$RV_L feed '{"event":"reissued"}'
expect test_r11_lost_card_then_reissued_201_nothing_left_to_revoke eval '[ "$STATUS" = 201 ] &&
	jq_eq .status reissued && jq_eq .previous_status lost && jq_eq .revoked "[]"'

st_resident $RV_R 131016 && st_issue $RV_R
R_SIGN=$ST_SIGN R_AUTH=$ST_AUTH
rv_event 9$RV_R feed '{"event":"reissued"}'
expect test_r11_reissued_card_revokes_both_superseded_201 eval '[ "$STATUS" = 201 ] &&
	conforms POST /v1/cards/9$RV_R/events && jq_eq .status reissued &&
	jq_eq .revoked.0.reason superseded && jq_eq .revoked.1.reason superseded &&
	[ "$(rv_cert "$R_SIGN")" = "revoked:superseded:" ] && [ "$(rv_cert "$R_AUTH")" = "revoked:superseded:" ] &&
	[ "$(st_db "SELECT reported_by FROM card_events WHERE card_number = '"'9$RV_R'"'")" = "register_feed:$(st_db "SELECT id FROM register_feeds ORDER BY id LIMIT 1")" ]'
rv_event 9$RV_R "$term_a" '{"event":"returned"}'
expect test_r11_event_on_reissued_card_409 eval 'is_problem 409 && jq_eq .rule R11'

st_resident $RV_T 131016 && st_issue $RV_T
T_SIGN=$ST_SIGN T_AUTH=$ST_AUTH
rv_event 9$RV_T operator '{"event":"returned"}'
expect test_r11_returned_card_cessation_of_operation_201 eval '[ "$STATUS" = 201 ] &&
	jq_eq .status returned && [ "$(rv_cert "$T_SIGN")" = "revoked:cessationOfOperation:" ] &&
	[ "$(rv_cert "$T_AUTH")" = "revoked:cessationOfOperation:" ]'
rv_event 9$RV_T "$term_a" '{"event":"lost"}'
expect test_r11_event_on_returned_card_409 eval 'is_problem 409 && jq_eq .rule R11 &&
	[ "$(st_db "SELECT status FROM cards WHERE card_number = '"'9$RV_T'"'")" = returned ]'

rv_event 9$RV_B "$term_a" '{"event":"lost"}'
cp "$work/body" "$work/rv_other.body"
rv_event 999999999999 "$term_a" '{"event":"lost"}'
expect test_r1_card_event_other_municipality_404_same_as_unknown eval 'is_problem 404 &&
	conforms POST /v1/cards/999999999999/events && cmp -s "$work/body" "$work/rv_other.body" &&
	[ "$(st_db "SELECT status FROM cards WHERE card_number = '"'9$RV_B'"'")" = active ] &&
	[ "$(rv_audit card.scope_denied "card:9$RV_B")" = "$TA_ACTOR" ]'
rv_event 9$RV_X "$term_a" '{"event":"misplaced"}'
expect test_r11_unknown_event_422 eval 'is_problem 422 && conforms POST /v1/cards/9$RV_X/events &&
	jq_eq .fields.event "must be one of lost, stolen, suspended, returned, reissued"'
rv_event 9$RV_X "$term_a" "{\"event\":\"lost\",\"occurred_at\":\"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\"}"
expect test_r11_occurred_at_in_future_422 eval 'is_problem 422 && jq_eq .fields.occurred_at "must not be in the future" &&
	[ "$(st_db "SELECT status FROM cards WHERE card_number = '"'9$RV_X'"'")" = active ]'
rv_event 9$RV_X "$term_a" '{"event":"lost","occurred_at":"2001-01-01T00:00:00Z"}'
expect test_r11_occurred_at_before_card_issued_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.occurred_at)" ]'
rv_event abc "$term_a" '{"event":"lost"}'
expect test_card_event_malformed_card_number_400 eval 'is_problem 400 && conforms POST /v1/cards/abc/events'
rv_event 9$RV_X rp '{"event":"lost"}'
expect test_card_event_relying_party_403 eval 'is_problem 403 && conforms POST /v1/cards/9$RV_X/events'
rv_role viewer
rv_event 9$RV_X operator '{"event":"suspended"}'
expect test_card_event_operator_viewer_403 is_problem 403
rv_role admin
rv_event 9$RV_X operator '{"event":"suspended"}'
expect test_r11_suspended_card_201 eval '[ "$STATUS" = 201 ] && jq_eq .status suspended &&
	jq_eq .revoked "[]" && [ "$(rv_cert "$RV_XS")" = "valid::" ]'

# ---------------------------------------------------------------- R10/R12 straight in SQL
# The trigger queues the change and notifies; the jobs thread sweeps it
# (api/feed/sweep.c) within a second or two.
st_resident $RV_S 131016 && st_issue $RV_S
S_SIGN=$ST_SIGN S_AUTH=$ST_AUTH
st_db "UPDATE residents SET address = '東京都千代田区丸の内１丁目１番' WHERE resident_code = '$RV_S'" >/dev/null
expect test_r10_sql_address_change_revokes_sign_within_2s eval 'rv_wait_status "$S_SIGN" "revoked:affiliationChanged:" 2 &&
	rv_get "$S_SIGN" operator && jq_eq .status revoked && jq_eq .reason affiliationChanged'
expect test_r10_sql_change_leaves_auth_valid eval 'rv_get "$S_AUTH" operator && jq_eq .status valid'
expect test_r10_sweep_audited_as_system eval '[ "$(rv_audit certificate.revoke "certificate:$S_SIGN")" = system:register-sweep ] &&
	[ "$(st_db "SELECT count(*) FROM register_changes WHERE resident_code = '"'$RV_S'"' AND processed_at IS NULL")" = 0 ]'

st_resident $RV_D 131016 && st_issue $RV_D
D_SIGN=$ST_SIGN D_AUTH=$ST_AUTH
st_db "UPDATE residents SET status = 'deceased' WHERE resident_code = '$RV_D'" >/dev/null
expect test_r12_sql_deceased_revokes_both_within_2s eval 'rv_wait_status "$D_SIGN" "revoked:cessationOfOperation:" 2 &&
	rv_wait_status "$D_AUTH" "revoked:cessationOfOperation:" 1 &&
	rv_get "$D_AUTH" operator && jq_eq .reason cessationOfOperation'
expect test_r12_sweep_applied_once eval '[ "$(st_db "SELECT count(*) FROM audit_log WHERE actor = '"'system:register-sweep'"'
	AND object IN ('"'certificate:$D_SIGN'"', '"'certificate:$D_AUTH'"')")" = 2 ] &&
	[ "$(st_db "SELECT count(*) FROM revocations WHERE serial IN (decode('"'$D_SIGN'"', '"'hex'"'), decode('"'$D_AUTH'"', '"'hex'"'))")" = 2 ]'
