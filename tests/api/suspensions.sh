# R19: service suspensions (/v1/suspensions) and counter hours
# (/v1/municipalities/{code}/hours, /v1/holidays). Sourced by
# tests/api/run.sh. Suspensions are checked on the main jpkid (real clock):
# counter routes answer 503 with Retry-After while OCSP, CRLs, the register
# feed and revocation keep working. Hours are checked on a second jpkid
# whose clock is read from a file (a Saturday, a holiday, the year end,
# before opening). Resident codes 131016810NN and 141003810NN.

sp_db() { jpki_psql "$pg" jpkid -tAc "$1"; }
sp_iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
sp_jst() { date -d "$1 +0900" +%s; }	# "2026-11-24 10:00" (JST) -> epoch
sp_post() {	# sp_post JSON [curl args...]: POST /v1/suspensions as the operator
	local data=$1
	shift
	# shellcheck disable=SC2046
	call POST "$API/v1/suspensions" $(tls operator) -H 'Content-Type: application/json' \
		--data-binary "$data" "$@"
}
sp_role() { sp_db "UPDATE operators SET role = '$1'" >/dev/null; }
sp_apply() {	# sp_apply API CODE: a self application for both types (terminal A)
	# shellcheck disable=SC2046
	call POST "$1/v1/applications" $(tls "$term_a") -H 'Content-Type: application/json' \
		--data-binary "{\"resident_code\":\"$2\",\"procedure\":\"issue\",\"types\":[\"auth\",\"sign\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV}"
}
# Retry-After within 2 s of the seconds until END (epoch).
sp_retry_after_near() {
	local ra want
	ra=$(header Retry-After)
	want=$(($1 - $(date +%s)))
	if [ -n "$ra" ] && [ $((ra - want)) -le 2 ] && [ $((want - ra)) -le 2 ]; then
		return 0
	fi
	echo "# Retry-After '$ra', want about $want" >&2
	return 1
}

st_resident 13101681001 131016
st_resident 13101681002 131016
st_resident 13101681003 131016
st_resident 14100381001 141003
st_issue 13101681002
SP_SIGN=${ST_SIGN:-} SP_AUTH=${ST_AUTH:-}
sp_apply "$API" 13101681003
SP_APP=$(st_jv .id)
expect test_r19_setup_application_before_suspension eval '[ "$STATUS" = 201 ] && [ -n "$SP_APP" ] && [ -n "$SP_SIGN" ]'

# ---------------------------------------------------------------- operator API
sp_role viewer
sp_post "{\"starts_at\":\"$(sp_iso $(($(date +%s) - 60)))\",\"ends_at\":\"$(sp_iso $(($(date +%s) + 900)))\",\"reason\":\"viewer\"}"
expect test_r19_viewer_cannot_create_suspension_403 eval 'is_problem 403 && conforms POST /v1/suspensions &&
	[ "$(sp_db "SELECT count(*) FROM suspensions WHERE reason = '"'viewer'"'")" = 0 ]'
# shellcheck disable=SC2046
call GET "$API/v1/suspensions" $(tls operator)
expect test_r19_viewer_lists_suspensions_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/suspensions'
sp_role admin
# Terminals read the schedule, never write it.
# shellcheck disable=SC2046
call POST "$API/v1/suspensions" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"starts_at\":\"$(sp_iso $(($(date +%s) + 60)))\",\"ends_at\":\"$(sp_iso $(($(date +%s) + 900)))\",\"reason\":\"terminal\"}"
expect test_r19_terminal_cannot_create_suspension_403 eval 'is_problem 403 && conforms POST /v1/suspensions &&
	[ "$(sp_db "SELECT count(*) FROM suspensions WHERE reason = '"'terminal'"'")" = 0 ]'

now=$(date +%s)
sp_post "{\"starts_at\":\"$(sp_iso $((now + 600)))\",\"ends_at\":\"$(sp_iso $((now + 300)))\",\"reason\":\"backwards\"}"
expect test_r19_ends_before_starts_422 eval 'is_problem 422 && conforms POST /v1/suspensions && jq_eq .rule R19 && jq_eq .fields.ends_at "a suspension must end after it starts"'
sp_post "{\"starts_at\":\"$(sp_iso $((now - 7200)))\",\"ends_at\":\"$(sp_iso $((now - 3600)))\",\"reason\":\"past\"}"
expect test_r19_ends_in_the_past_422 eval 'is_problem 422 && jq_eq .rule R19 && jq_eq .fields.ends_at "a suspension must end in the future"'
sp_post "{\"starts_at\":\"$(sp_iso "$now")\",\"ends_at\":\"$(sp_iso $((now + 15 * 86400)))\",\"reason\":\"too long\"}"
expect test_r19_longer_than_14_days_422 eval 'is_problem 422 && jq_eq .rule R19 && jq_eq .type urn:jpkid:problem:invalid-suspension'
sp_post "{\"starts_at\":\"tomorrow\",\"ends_at\":\"$(sp_iso $((now + 600)))\",\"reason\":\"\",\"colour\":1}"
expect test_r19_invalid_fields_422 eval 'is_problem 422 && jq_eq .type urn:jpkid:problem:invalid-field &&
	jq_eq .fields.reason "a string of 1 to 500 characters" && jq_eq .fields.colour "unknown field" &&
	[ -n "$(st_jv .fields.starts_at)" ]'
sp_post "{\"starts_at\":\"$(sp_iso "$now")\",\"ends_at\":\"$(sp_iso $((now + 600)))\",\"reason\":\"$(printf 'x%.0s' $(seq 501))\"}"
expect test_r19_reason_over_500_characters_422 eval 'is_problem 422 && jq_eq .fields.reason "a string of 1 to 500 characters"'

# A future suspension does not block now.
sp_post "{\"starts_at\":\"$(sp_iso $((now + 3600)))\",\"ends_at\":\"$(sp_iso $((now + 7200)))\",\"reason\":\"later maintenance\"}"
SP_FUTURE=$(st_jv .id)
expect test_r19_future_suspension_201_scheduled eval '[ "$STATUS" = 201 ] && conforms POST /v1/suspensions && jq_eq .state scheduled &&
	[ "$(header Location)" = "/v1/suspensions/$SP_FUTURE" ]'
# shellcheck disable=SC2046
call GET "$API/v1/residents/13101681001" $(tls "$term_a")
expect test_r19_future_suspension_does_not_block_now eval '[ "$STATUS" = 200 ]'

# The suspension covering now.
SP_END=$((now + 900))
SP_BODY="{\"starts_at\":\"$(sp_iso $((now - 60)))\",\"ends_at\":\"$(sp_iso $SP_END)\",\"reason\":\"システム保守\"}"
sp_post "$SP_BODY" -H 'Idempotency-Key: sp-now-1'
SP_ID=$(st_jv .id)
actor=$(sp_db "SELECT 'operator:' || id FROM operators ORDER BY id LIMIT 1")
expect test_r19_suspension_created_201_active eval '[ "$STATUS" = 201 ] && conforms POST /v1/suspensions &&
	jq_eq .state active && jq_eq .reason システム保守 && jq_eq .created_by "$actor" && jq_eq .cancelled_at null &&
	jq_eq .ends_at "$(sp_iso $SP_END)"'
expect test_r19_suspension_create_audited eval '[ "$(sp_db "SELECT actor FROM audit_log WHERE action = '"'suspension.create'"' AND object = '"'suspension:$SP_ID'"'")" = "$actor" ]'
sp_post "$SP_BODY" -H 'Idempotency-Key: sp-now-1'
expect test_r19_suspension_idempotency_key_replays eval '[ "$STATUS" = 201 ] && jq_eq .id "$SP_ID" && [ "$(header Idempotent-Replayed)" = true ] &&
	[ "$(sp_db "SELECT count(*) FROM suspensions WHERE reason = '"'システム保守'"'")" = 1 ]'
# shellcheck disable=SC2046
call GET "$API/v1/suspensions" $(tls operator)
expect test_r19_list_current_and_future eval '[ "$STATUS" = 200 ] && conforms GET /v1/suspensions &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"suspensions\"]; ids=[s[\"id\"] for s in d]; sys.exit(0 if $SP_ID in ids and $SP_FUTURE in ids and all(s[\"state\"] in (\"active\",\"scheduled\") for s in d) else 1)" "$work/body"'

# A terminal lists the same schedule during the suspension (read-only, R19):
# current and future, no created_by; all=true and writes stay the operators'.
# shellcheck disable=SC2046
call GET "$API/v1/suspensions" $(tls "$term_a")
expect test_r19_terminal_lists_schedule_without_created_by eval '[ "$STATUS" = 200 ] && conforms GET /v1/suspensions &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"suspensions\"]; ids=[s[\"id\"] for s in d]; sys.exit(0 if $SP_ID in ids and $SP_FUTURE in ids and all(\"created_by\" not in s and s[\"state\"] in (\"active\",\"scheduled\") for s in d) else 1)" "$work/body"'
# shellcheck disable=SC2046
call GET "$API/v1/suspensions?all=true" $(tls "$term_a")
expect test_r19_terminal_all_true_403 eval 'is_problem 403 && conforms GET /v1/suspensions && jq_eq .type urn:jpkid:problem:forbidden'
# shellcheck disable=SC2046
call DELETE "$API/v1/suspensions/$SP_ID" $(tls "$term_a")
expect test_r19_terminal_cannot_cancel_suspension_403 eval 'is_problem 403 && conforms DELETE /v1/suspensions/$SP_ID &&
	[ "$(sp_db "SELECT cancelled_at IS NULL FROM suspensions WHERE id = $SP_ID")" = t ]'

# Counter routes: 503 + Retry-After (rule R19).
# shellcheck disable=SC2046
call GET "$API/v1/residents/13101681001" $(tls "$term_a")
expect test_r19_resident_lookup_503_retry_after eval 'is_problem 503 && conforms GET /v1/residents/13101681001 && jq_eq .rule R19 && jq_eq .type urn:jpkid:problem:suspended && sp_retry_after_near $SP_END'
sp_apply "$API" 13101681001
expect test_r19_application_503_retry_after eval 'is_problem 503 && conforms POST /v1/applications && jq_eq .rule R19 && sp_retry_after_near $SP_END'
# shellcheck disable=SC2046
call POST "$API/v1/applications/$SP_APP/inquiry-answer" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"answer_code\":\"ABCD-EFGH\",\"evidence\":{\"documents\":[{\"kind\":\"passport\",\"holder\":\"applicant\"}]}}"
expect test_r19_inquiry_answer_503_retry_after eval 'is_problem 503 && conforms POST /v1/applications/x/inquiry-answer && jq_eq .rule R19 && sp_retry_after_near $SP_END'
# shellcheck disable=SC2046
call POST "$API/v1/applications/$SP_APP/certificates" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"type\":\"auth\",\"csr\":\"$ST_CSR\"}"
expect test_r19_certificates_503_retry_after eval 'is_problem 503 && conforms POST /v1/applications/x/certificates && jq_eq .rule R19 && sp_retry_after_near $SP_END &&
	[ "$(sp_db "SELECT count(*) FROM certificates WHERE resident_code = '"'13101681003'"'")" = 0 ]'

# ... while OCSP, CRLs, the register feed and revocation keep working.
openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$work/st/$SP_SIGN.pem" -url "$ST/ocsp" \
	-CAfile "$ca/sign-ca.crt" > "$work/sp-ocsp.out" 2>&1
expect test_r19_ocsp_works_during_suspension grep -q ": good" "$work/sp-ocsp.out"
call GET "$ST/crl/sign/131016.crl"
expect test_r19_crl_served_during_suspension eval '[ "$STATUS" = 200 ] && openssl crl -inform DER -in "$work/body" -noout 2>/dev/null'
# shellcheck disable=SC2046
call PUT "$API/v1/residents/13101681004" $(tls feed) -H 'Content-Type: application/json' --data-binary \
	'{"municipality_code":"131016","family_name":"試験","given_name":"花子","birth_date":"1990-02-03","sex":"2","address":"東京都千代田区一番町４番"}'
expect test_r19_register_feed_works_during_suspension eval '[ "$STATUS" = 201 ] || [ "$STATUS" = 200 ]'
# shellcheck disable=SC2046
call POST "$API/v1/certificates/$SP_AUTH/revoke" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary '{"reason":"unspecified"}'
expect test_r19_revocation_works_during_suspension eval '[ "$STATUS" = 200 ] &&
	[ "$(sp_db "SELECT status FROM certificates WHERE serial = decode('"'$SP_AUTH'"', '"'hex'"')")" = revoked ]'
sleep 1
openssl ocsp -issuer "$ca/auth-ca.crt" -cert "$work/st/$SP_AUTH.pem" -url "$ST/ocsp" \
	-CAfile "$ca/auth-ca.crt" > "$work/sp-ocsp.out" 2>&1
expect test_r19_ocsp_shows_revocation_during_suspension grep -q ": revoked" "$work/sp-ocsp.out"

# Cancel: the counter works again at once.
# shellcheck disable=SC2046
call DELETE "$API/v1/suspensions/$SP_ID" $(tls operator)
expect test_r19_cancel_200_with_cancelled_at eval '[ "$STATUS" = 200 ] && conforms DELETE /v1/suspensions/$SP_ID && jq_eq .state cancelled && [ -n "$(st_jv .cancelled_at)" ] &&
	[ "$(sp_db "SELECT count(*) FROM audit_log WHERE action = '"'suspension.cancel'"' AND object = '"'suspension:$SP_ID'"'")" = 1 ]'
# shellcheck disable=SC2046
call DELETE "$API/v1/suspensions/$SP_ID" $(tls operator)
expect test_r19_cancel_twice_409 eval 'is_problem 409 && conforms DELETE /v1/suspensions/$SP_ID && jq_eq .type urn:jpkid:problem:suspension-cancelled'
# shellcheck disable=SC2046
call DELETE "$API/v1/suspensions/999999999" $(tls operator)
expect test_r19_cancel_unknown_404 eval 'is_problem 404 && conforms DELETE /v1/suspensions/999999999'
sp_db "INSERT INTO suspensions (starts_at, ends_at, reason, created_by) VALUES (now() - interval '2 hours', now() - interval '1 hour', 'over', 'test')" >/dev/null
SP_OVER=$(sp_db "SELECT id FROM suspensions WHERE reason = 'over'")
# shellcheck disable=SC2046
call DELETE "$API/v1/suspensions/$SP_OVER" $(tls operator)
expect test_r19_cancel_over_409 eval 'is_problem 409 && jq_eq .type urn:jpkid:problem:suspension-over'
sp_role viewer
# shellcheck disable=SC2046
call DELETE "$API/v1/suspensions/$SP_FUTURE" $(tls operator)
expect test_r19_viewer_cannot_cancel_403 eval 'is_problem 403 && conforms DELETE /v1/suspensions/$SP_FUTURE'
sp_role admin
# shellcheck disable=SC2046
call GET "$API/v1/residents/13101681001" $(tls "$term_a")
expect test_r19_counter_works_again_after_cancel eval '[ "$STATUS" = 200 ]'
# shellcheck disable=SC2046
new_csr sp_csr
call POST "$API/v1/applications/$SP_APP/certificates" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"type\":\"auth\",\"csr\":\"$sp_csr\"}"
expect test_r19_issuance_works_again_after_cancel eval '[ "$STATUS" = 201 ]'
# shellcheck disable=SC2046
call GET "$API/v1/suspensions?all=true" $(tls operator)
expect test_r19_list_all_includes_cancelled_and_over eval '[ "$STATUS" = 200 ] && conforms GET /v1/suspensions &&
	$PY -c "import json,sys; d={s[\"id\"]: s[\"state\"] for s in json.load(open(sys.argv[1]))[\"suspensions\"]}; sys.exit(0 if d.get($SP_ID) == \"cancelled\" and d.get($SP_OVER) == \"over\" else 1)" "$work/body"'
# shellcheck disable=SC2046
call GET "$API/v1/suspensions" $(tls operator)
expect test_r19_default_list_hides_cancelled_and_over eval '[ "$STATUS" = 200 ] &&
	$PY -c "import json,sys; ids=[s[\"id\"] for s in json.load(open(sys.argv[1]))[\"suspensions\"]]; sys.exit(0 if $SP_ID not in ids and $SP_OVER not in ids and $SP_FUTURE in ids else 1)" "$work/body"'
# shellcheck disable=SC2046
call DELETE "$API/v1/suspensions/$SP_FUTURE" $(tls operator)

# ---------------------------------------------------------------- counter hours (test clock)
sp_clock=$work/sp-clock
sp_set_clock() { sp_jst "$1" > "$sp_clock"; }
sp_set_clock "2026-11-24 10:00"		# a Tuesday
sp_port=$(jpki_free_port $((api_port + 40)))
sp_st=$(jpki_free_port $((sp_port + 1)))
jpki_write_config "$work/sp.conf" "$ca" "$conninfo" "$sp_port" "$sp_st"
printf '\n[notices]\nenabled = false\n' >> "$work/sp.conf"
JPKID_TEST_CLOCK=@$sp_clock start_jpkid "$work/sp.conf" "$work/jpkid-sp.log"
sp_pid=$JPKID_PID
SPAPI=https://127.0.0.1:$sp_port
expect test_r19_hours_daemon_ready wait_ready "http://127.0.0.1:$sp_st" 20
sp_resident() {	# sp_resident TERMINAL CODE: GET /v1/residents on the test-clock jpkid
	# shellcheck disable=SC2046
	call GET "$SPAPI/v1/residents/$2" $(tls "$1")
}
sp_hours() {	# sp_hours CODE JSON [WHO]
	# shellcheck disable=SC2046
	call PUT "$API/v1/municipalities/$1/hours" $(tls "${3:-operator}") -H 'Content-Type: application/json' --data-binary "$2"
}

sp_hours 131016 '{"enforced":true,"opens":"08:30","closes":"17:15"}'
expect test_r19_hours_put_200 eval '[ "$STATUS" = 200 ] && conforms PUT /v1/municipalities/131016/hours &&
	jq_eq .enforced true && jq_eq .opens 08:30 && jq_eq .closes 17:15 && jq_eq .closed_weekdays "[6, 7]" &&
	jq_eq .year_end_closed true && jq_eq .closed_dates "[]" &&
	[ "$(sp_db "SELECT count(*) FROM audit_log WHERE action = '"'hours.update'"' AND object = '"'municipality:131016'"'")" -ge 1 ]'
# shellcheck disable=SC2046
call GET "$API/v1/municipalities/131016/hours" $(tls operator)
expect test_r19_hours_get_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/municipalities/131016/hours && jq_eq .opens 08:30 && jq_eq .municipality_code 131016'
sp_hours 131016 '{"enforced":true,"opens":"17:00","closes":"08:30"}'
expect test_r19_hours_closes_before_opens_422 eval 'is_problem 422 && conforms PUT /v1/municipalities/131016/hours && jq_eq .fields.closes "must be after opens"'
sp_hours 131016 '{"enforced":true,"closed_weekdays":[0,8]}'
expect test_r19_hours_invalid_fields_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.opens)" ] && [ -n "$(st_jv .fields.closed_weekdays)" ]'
sp_hours 999999 '{"enforced":false}'
expect test_r19_hours_unknown_municipality_404 eval 'is_problem 404 && conforms PUT /v1/municipalities/999999/hours'
sp_role viewer
sp_hours 131016 '{"enforced":false}'
expect test_r19_viewer_cannot_change_hours_403 eval 'is_problem 403 && conforms PUT /v1/municipalities/131016/hours &&
	[ "$(sp_db "SELECT hours_enforced FROM municipalities WHERE code = '"'131016'"'")" = t ]'
sp_role admin

sp_resident "$term_a" 13101681001
expect test_r19_open_tuesday_10_00 eval '[ "$STATUS" = 200 ]'
sp_set_clock "2026-11-24 08:29"
sp_resident "$term_a" 13101681001
expect test_r19_closed_before_opening eval 'is_problem 422 && conforms GET /v1/residents/13101681001 && jq_eq .rule R19 && jq_eq .type urn:jpkid:problem:counter-closed'
sp_set_clock "2026-11-24 17:15"
sp_resident "$term_a" 13101681001
expect test_r19_closed_at_closing_time eval 'is_problem 422 && jq_eq .rule R19'
sp_set_clock "2026-11-21 10:00"		# a Saturday
sp_resident "$term_a" 13101681001
expect test_r19_closed_on_saturday eval 'is_problem 422 && jq_eq .rule R19 && grep -q "ISO weekday 6" "$work/body"'
sp_resident "$term_b" 14100381001
expect test_r19_other_municipality_unaffected eval '[ "$STATUS" = 200 ]'
sp_apply "$SPAPI" 13101681001
expect test_r19_application_refused_on_saturday eval 'is_problem 422 && conforms POST /v1/applications && jq_eq .rule R19'

# National holidays.
# shellcheck disable=SC2046
call PUT "$API/v1/holidays/2026-11-23" $(tls operator) -H 'Content-Type: application/json' --data-binary '{"name":"勤労感謝の日"}'
expect test_r19_holiday_put_201 eval '[ "$STATUS" = 201 ] && conforms PUT /v1/holidays/2026-11-23 && jq_eq .day 2026-11-23 && jq_eq .name 勤労感謝の日'
# shellcheck disable=SC2046
call PUT "$API/v1/holidays/2026-11-23" $(tls operator) -H 'Content-Type: application/json' --data-binary '{"name":"勤労感謝の日"}'
expect test_r19_holiday_put_again_200 eval '[ "$STATUS" = 200 ] && conforms PUT /v1/holidays/2026-11-23'
# shellcheck disable=SC2046
call PUT "$API/v1/holidays/2026-02-30" $(tls operator) -H 'Content-Type: application/json' --data-binary '{"name":"x"}'
expect test_r19_holiday_not_a_date_404 eval 'is_problem 404 && conforms PUT /v1/holidays/2026-02-30'
# shellcheck disable=SC2046
call PUT "$API/v1/holidays/2026-11-03" $(tls operator) -H 'Content-Type: application/json' --data-binary '{"name":""}'
expect test_r19_holiday_empty_name_422 eval 'is_problem 422 && conforms PUT /v1/holidays/2026-11-03'
# shellcheck disable=SC2046
call GET "$API/v1/holidays?year=2026" $(tls operator)
expect test_r19_holiday_list eval '[ "$STATUS" = 200 ] && conforms GET /v1/holidays && jq_eq .holidays.0.day 2026-11-23'
sp_set_clock "2026-11-23 10:00"		# a Monday, Labour Thanksgiving Day
sp_resident "$term_a" 13101681001
expect test_r19_closed_on_national_holiday eval 'is_problem 422 && jq_eq .rule R19 && grep -q "closed on 2026-11-23" "$work/body"'
# shellcheck disable=SC2046
call DELETE "$API/v1/holidays/2026-11-23" $(tls operator)
expect test_r19_holiday_delete_204 eval '[ "$STATUS" = 204 ] && conforms DELETE /v1/holidays/2026-11-23 &&
	[ "$(sp_db "SELECT count(*) FROM audit_log WHERE action = '"'holiday.delete'"'")" -ge 1 ]'
# shellcheck disable=SC2046
call DELETE "$API/v1/holidays/2026-11-23" $(tls operator)
expect test_r19_holiday_delete_again_404 eval 'is_problem 404 && conforms DELETE /v1/holidays/2026-11-23'
sp_resident "$term_a" 13101681001
expect test_r19_open_again_once_the_holiday_is_removed eval '[ "$STATUS" = 200 ]'

# The year end (29 Dec - 3 Jan) and the municipality's own closed days.
sp_set_clock "2026-12-29 10:00"		# a Tuesday
sp_resident "$term_a" 13101681001
expect test_r19_closed_for_the_year_end eval 'is_problem 422 && jq_eq .rule R19 && grep -q "year end" "$work/body"'
sp_set_clock "2027-01-04 10:00"		# a Monday
sp_resident "$term_a" 13101681001
expect test_r19_open_after_the_year_end eval '[ "$STATUS" = 200 ]'
sp_hours 131016 '{"enforced":true,"opens":"08:30","closes":"17:15","closed_weekdays":[7],"year_end_closed":false,"closed_dates":["2027-01-05","2027-01-04"]}'
expect test_r19_hours_closed_dates_sorted eval '[ "$STATUS" = 200 ] && jq_eq .closed_dates "[\"2027-01-04\", \"2027-01-05\"]" && jq_eq .closed_weekdays "[7]"'
sp_resident "$term_a" 13101681001
expect test_r19_closed_on_municipality_closed_date eval 'is_problem 422 && jq_eq .rule R19'
sp_set_clock "2026-12-29 10:00"
sp_resident "$term_a" 13101681001
expect test_r19_year_end_open_when_turned_off eval '[ "$STATUS" = 200 ]'
sp_hours 131016 '{"enforced":false}'
sp_set_clock "2026-11-21 10:00"
sp_resident "$term_a" 13101681001
expect test_r19_hours_not_enforced_open_on_saturday eval '[ "$STATUS" = 200 ] && [ "$(sp_db "SELECT hours_enforced FROM municipalities WHERE code = '"'131016'"'")" = f ]'

kill -TERM "$sp_pid"
wait "$sp_pid"
