# The resident-register feed (PUT /v1/residents, PUT /v1/cards,
# POST /v1/residents:import) and the revocations it triggers (R10, R11,
# R12). Sourced by tests/api/run.sh against its main jpkid ($API,
# $main_pid). Resident codes 131016770NN (千代田区); the 100,000-resident
# import uses 5NNNNNNNNNN.

fdb() { jpki_psql "$pg" jpkid -tAc "$1"; }
# fjv PATH: a value of the last JSON body ("" when absent).
fjv() {
	$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    d = d[int(k)] if isinstance(d, list) else d.get(k) if isinstance(d, dict) else None
print("" if d is None else (d if isinstance(d, str) else json.dumps(d)))' "$work/body" "$1" 2>/dev/null
}
# rjson [OVERRIDES-JSON]: a valid resident body; a member "__absent__" drops the key.
RBASE='{"municipality_code":"131016","family_name":"試験","given_name":"太郎",
 "family_name_kana":"シケン","given_name_kana":"タロウ","birth_date":"1980-01-02",
 "sex":"1","address":"東京都千代田区千代田１丁目１番１号"}'
rjson() {
	$PY -c 'import json,sys
d=json.loads(sys.argv[1]); o=json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
for k,v in o.items():
    if v == "__absent__": d.pop(k, None)
    else: d[k] = v
print(json.dumps(d, ensure_ascii=False))' "$RBASE" "$@"
}
CBASE='{"resident_code":"13101677001","kind":"mynumber","issued_on":"2024-04-01",
 "expires_on":"2034-04-01","family_name":"試験","given_name":"太郎","birth_date":"1980-01-02",
 "sex":"1","address":"東京都千代田区千代田１丁目１番１号"}'
cjson() { RBASE=$CBASE rjson "$@"; }
# put_resident CODE JSON [curl args...]; put_card NUMBER JSON [curl args...]
put_resident() {
	local code=$1 data=$2
	shift 2
	# shellcheck disable=SC2046
	call PUT "$API/v1/residents/$code" $(tls feed) -H 'Content-Type: application/json' \
		--data-binary "$data" "$@"
}
put_card() {
	local number=$1 data=$2
	shift 2
	# shellcheck disable=SC2046
	call PUT "$API/v1/cards/$number" $(tls feed) -H 'Content-Type: application/json' \
		--data-binary "$data" "$@"
}
# feed_import FILE [curl args...]: POST the file as NDJSON, streamed (-T).
feed_import() {
	local file=$1
	shift
	# shellcheck disable=SC2046
	call POST "$API/v1/residents:import" $(tls feed) -H 'Content-Type: application/x-ndjson' \
		-T "$file" "$@"
}
# mkcert SERIAL-HEX TYPE RESIDENT CARD [ISSUED-AT-SQL]: a certificate straight in SQL.
mkcert() {
	jpki_psql "$pg" jpkid -q -c "INSERT INTO serials (serial, issuer) VALUES ('\\x$1', '$2');
	INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,
	    not_before, not_after, crl_shard, der, issued_at)
	VALUES ('$2', '\\x$1', '$2', '$3', '$4', 'CN=feed test', now() - interval '1 day',
	    now() + interval '1 year', '131016', '\\x3000', ${5:-now() - interval '1 day'})"
}
cert_status() { fdb "SELECT status || ':' || coalesce(reason, '') FROM certificates WHERE serial = '\\x$1'"; }
# field_is FIELD MESSAGE-SUBSTRING: the last problem's fields.FIELD contains it.
field_is() {
	$PY -c 'import json,sys
f=json.load(open(sys.argv[1])).get("fields") or {}
assert sys.argv[3] in f.get(sys.argv[2], ""), f' "$work/body" "$1" "$2" 2>/dev/null ||
		{ echo "# fields: $(cat "$work/body")" >&2; return 1; }
}
# imp_err INDEX FIELD MESSAGE-SUBSTRING: errors[INDEX].fields.FIELD of an import 422.
imp_err() {
	$PY -c 'import json,sys
f=json.load(open(sys.argv[1]))["errors"][int(sys.argv[2])]["fields"]
assert sys.argv[4] in f.get(sys.argv[3], ""), f' "$work/body" "$1" "$2" "$3" 2>/dev/null ||
		{ echo "# errors: $(head -c 2000 "$work/body")" >&2; return 1; }
}
nfields() { $PY -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("fields") or {}))' "$work/body"; }

# ---------------------------------------------------------------- PUT /v1/residents
R1=13101677001
put_resident $R1 "$(rjson)"
expect test_feed_resident_put_creates_201 eval '[ "$STATUS" = 201 ] &&
	conforms PUT /v1/residents/$R1 && jq_eq .created true && jq_eq .version 1 &&
	jq_eq .municipality_code 131016 && jq_eq .revoked "[]" && [ "$(header ETag)" = "\"1\"" ] &&
	[ "$(fdb "SELECT family_name || given_name || sex || birth_date FROM residents WHERE resident_code = '"'$R1'"'")" = 試験太郎11980-01-02 ]'
put_resident $R1 "$(rjson)"
expect test_feed_resident_put_same_body_unchanged_200 eval '[ "$STATUS" = 200 ] &&
	conforms PUT /v1/residents/$R1 && jq_eq .created false && jq_eq .version 1 &&
	jq_eq .changed_fields "[]"'
put_resident $R1 "$(rjson '{"given_name_kana":"タロー","adult_ward":true}')"
expect test_feed_resident_put_update_lists_changed_fields eval '[ "$STATUS" = 200 ] &&
	conforms PUT /v1/residents/$R1 && jq_eq .version 2 &&
	jq_eq .changed_fields "[\"given_name_kana\", \"adult_ward\"]" && [ "$(header ETag)" = "\"2\"" ]'
expect test_feed_resident_update_not_basic_four_queues_nothing \
	test "$(fdb "SELECT count(*) FROM register_changes WHERE resident_code = '$R1'")" = 0
audit=$(fdb "SELECT detail->'created', detail->'version', detail->'changed_fields',
	detail::text LIKE '%タロ%' FROM audit_log WHERE action = 'resident.upsert'
	AND object = 'resident:$R1' ORDER BY seq")
expect test_feed_audit_names_fields_never_values test "$audit" = 'true|1|["municipality_code", "family_name", "given_name", "family_name_kana", "given_name_kana", "birth_date", "sex", "address", "adult_ward", "status"]|f
false|2|["given_name_kana", "adult_ward"]|f'
put_resident $R1 "$(rjson '{"given_name_kana":"タロウ","adult_ward":true}')" -H 'If-Match: "1"'
expect test_feed_if_match_stale_version_412 eval 'is_problem 412 && conforms PUT /v1/residents/$R1 &&
	[ "$(header ETag)" = "\"2\"" ] && [ "$(fdb "SELECT version FROM residents WHERE resident_code = '"'$R1'"'")" = 2 ]'
put_resident $R1 "$(rjson '{"given_name_kana":"タロウ","adult_ward":true}')" -H 'If-Match: "2"'
expect test_feed_if_match_current_version_200 eval '[ "$STATUS" = 200 ] && jq_eq .version 3 &&
	jq_eq .changed_fields "[\"given_name_kana\"]"'
put_resident 13101677002 "$(rjson)" -H 'If-Match: "1"'
expect test_feed_if_match_missing_resident_412 eval 'is_problem 412 &&
	[ "$(fdb "SELECT count(*) FROM residents WHERE resident_code = '"'13101677002'"'")" = 0 ]'
put_resident $R1 "$(rjson '{"given_name_kana":"タロウ","adult_ward":true}')" -H 'If-Match: *'
expect test_feed_if_match_star_existing_200 eval '[ "$STATUS" = 200 ] && jq_eq .version 3'
# shellcheck disable=SC2046
call PUT "$API/v1/residents/$R1" $(tls "$term_a") -H 'Content-Type: application/json' --data-binary "$(rjson)"
expect test_feed_resident_put_terminal_403 eval 'is_problem 403 && conforms PUT /v1/residents/$R1'
put_resident $R1 '{"family_name":'
expect test_feed_body_not_json_400 eval 'is_problem 400 && jq_eq .type urn:jpkid:problem:invalid-json &&
	conforms PUT /v1/residents/$R1'
put_resident $R1 '[1,2]'
expect test_feed_body_not_object_400 eval 'is_problem 400 && jq_eq .type urn:jpkid:problem:invalid-json'
put_resident $R1 "$(printf '{"municipality_code":"131016","family_name":"\xff\xfe","birth_date":"1980-01-02","sex":"1","address":"x"}')"
expect test_feed_body_invalid_utf8_400 is_problem 400
put_resident $R1 "$(rjson '{"family_name":"a","family_name":"b"}' | sed 's/"family_name": "b"/"family_name": "b", "family_name": "c"/')"
expect test_feed_body_duplicate_key_400 is_problem 400

# Every field, one at a time: FIELD OVERRIDE-JSON MESSAGE-SUBSTRING.
long65=$(printf 'あ%.0s' $(seq 65))
long129=$(printf 'あ%.0s' $(seq 129))
long201=$(printf 'あ%.0s' $(seq 201))
while IFS='|' read -r name field over msg; do
	[ -z "$name" ] && continue
	put_resident $R1 "$(rjson "$over")"
	expect "test_feed_invalid_$name" eval 'is_problem 422 && jq_eq .type urn:jpkid:problem:invalid-field &&
		conforms PUT /v1/residents/$R1 && field_is "$field" "$msg" && [ "$(nfields)" = 1 ]'
done <<EOF
municipality_code_format|municipality_code|{"municipality_code":"13101"}|must be 6 digits
municipality_code_type|municipality_code|{"municipality_code":131016}|must be a string
municipality_code_missing|municipality_code|{"municipality_code":"__absent__"}|required
family_name_empty|family_name|{"family_name":""}|must be 1 to 64 characters
family_name_too_long|family_name|{"family_name":"$long65"}|must be 1 to 64 characters
family_name_null|family_name|{"family_name":null}|required
family_name_control|family_name|{"family_name":"試\\u0007験"}|control characters
given_name_too_long|given_name|{"given_name":"$long65"}|at most 64 characters
given_name_type|given_name|{"given_name":["太郎"]}|must be a string
family_name_kana_empty|family_name_kana|{"family_name_kana":""}|must be 1 to 128 characters
given_name_kana_too_long|given_name_kana|{"given_name_kana":"$long129"}|at most 128 characters
former_surname_empty|former_surname|{"former_surname":""}|must be 1 to 64 characters
alias_too_long|alias|{"alias":"$long129"}|must be 1 to 128 characters
family_name_substitute_r20|family_name_substitute|{"family_name_substitute":"𠮷田"}|(R20): 𠮷
given_name_substitute_too_long|given_name_substitute|{"given_name_substitute":"$long65"}|at most 64 characters
address_substitute_too_long|address_substitute|{"address_substitute":"$long201"}|must be 1 to 200 characters
birth_date_not_a_date|birth_date|{"birth_date":"1980-02-30"}|must be a date YYYY-MM-DD
birth_date_format|birth_date|{"birth_date":"19800102"}|must be a date YYYY-MM-DD
birth_date_before_meiji|birth_date|{"birth_date":"1867-12-31"}|before 1868-01-01
birth_date_future|birth_date|{"birth_date":"2999-01-01"}|in the future
sex_value|sex|{"sex":"3"}|must be one of 1, 2, 9
sex_type|sex|{"sex":1}|must be a string
address_empty|address|{"address":""}|must be 1 to 200 characters
address_too_long|address|{"address":"$long201"}|must be 1 to 200 characters
address_newline|address|{"address":"東京都\\n千代田区"}|control characters
adult_ward_type|adult_ward|{"adult_ward":"yes"}|must be true or false
status_value|status|{"status":"dead"}|must be one of registered, removed, deceased
unknown_key|nickname|{"nickname":"タロちゃん"}|unknown field
resident_code_mismatch|resident_code|{"resident_code":"13101677999"}|does not match the path
EOF
put_resident 1310167 "$(rjson)"
expect test_feed_invalid_resident_code_in_path eval 'is_problem 422 && conforms PUT /v1/residents/1310167 &&
	field_is resident_code "must be 11 digits"'
put_resident $R1 "$(rjson '{"sex":"0","birth_date":"tomorrow","extra":1,"family_name":""}')"
expect test_feed_invalid_many_fields_at_once eval 'is_problem 422 && [ "$(nfields)" = 4 ] &&
	field_is sex "one of" && field_is birth_date "YYYY-MM-DD" && field_is extra "unknown field" &&
	field_is family_name "1 to 64"'
put_resident $R1 "$(rjson '{"municipality_code":"999999"}')"
expect test_feed_unknown_municipality_422 eval 'is_problem 422 && conforms PUT /v1/residents/$R1 &&
	field_is municipality_code "unknown municipality"'
long64=$(printf '𠀋%.0s' $(seq 64))	# 64 characters, 256 bytes
put_resident 13101677003 "$(rjson "{\"family_name\":\"$long64\",\"resident_code\":\"13101677003\",\"given_name\":null,\"status\":\"removed\"}")"
expect test_feed_lengths_count_characters_not_bytes eval '[ "$STATUS" = 201 ] &&
	[ "$(fdb "SELECT char_length(family_name) || given_name || status FROM residents WHERE resident_code = '"'13101677003'"'")" = 64removed ]'

# ---------------------------------------------------------------- PUT /v1/cards
C1=770000000001
put_card $C1 "$(cjson)"
expect test_feed_card_put_creates_201 eval '[ "$STATUS" = 201 ] && conforms PUT /v1/cards/$C1 &&
	jq_eq .created true && jq_eq .status active && jq_eq .kind mynumber && jq_eq .resident_code $R1 &&
	jq_eq .expires_on 2034-04-01 && jq_eq .revoked "[]"'
put_card $C1 "$(cjson)"
expect test_feed_card_put_same_body_unchanged_200 eval '[ "$STATUS" = 200 ] && conforms PUT /v1/cards/$C1 &&
	jq_eq .created false'
expect test_feed_card_audited test "$(fdb "SELECT count(*) FROM audit_log WHERE action = 'card.upsert' AND object = 'card:$C1'")" = 1
put_card 770000000002 "$(cjson)"
expect test_r2_second_active_mynumber_card_409 eval 'is_problem 409 && conforms PUT /v1/cards/770000000002 &&
	jq_eq .rule R2 && field_is status "active My Number card" &&
	[ "$(fdb "SELECT count(*) FROM cards WHERE card_number = '"'770000000002'"'")" = 0 ]'
put_card $C1 "$(cjson '{"resident_code":"13101677003"}')"
expect test_feed_card_cannot_change_resident_409 eval 'is_problem 409 && conforms PUT /v1/cards/$C1 &&
	field_is resident_code "another resident"'
put_card 770000000003 "$(cjson '{"resident_code":"13101677099"}')"
expect test_feed_card_unknown_resident_422 eval 'is_problem 422 && conforms PUT /v1/cards/770000000003 &&
	field_is resident_code "unknown resident"'
put_card 77000 "$(cjson)"
expect test_feed_card_mynumber_number_is_12_digits eval 'is_problem 422 && field_is card_number "12 digits"'
put_card JK77A1 "$(cjson '{"kind":"juki","resident_code":"13101677003","status":"expired"}')"
expect test_feed_card_juki_number_201 eval '[ "$STATUS" = 201 ] && jq_eq .kind juki && jq_eq .status expired'
put_card jk77a1 "$(cjson '{"kind":"juki"}')"
expect test_feed_card_juki_number_uppercase_only eval 'is_problem 422 && field_is card_number "0-9 and A-Z"'
put_card 770000000004 "$(cjson '{"expires_on":"2024-04-01","status":"gone","kind":"card","sex":"x","given_name":1}')"
expect test_feed_card_invalid_fields_at_once eval 'is_problem 422 && [ "$(nfields)" = 5 ] &&
	field_is expires_on "after issued_on" && field_is status "one of" && field_is kind "one of" &&
	field_is sex "one of" && field_is given_name "string"'
put_card $C1 "$(cjson '{"extra":true}')"
expect test_feed_card_unknown_field_422 eval 'is_problem 422 && field_is extra "unknown field"'
# shellcheck disable=SC2046
call PUT "$API/v1/cards/$C1" $(tls "$term_a") -H 'Content-Type: application/json' --data-binary "$(cjson)"
expect test_feed_card_put_terminal_403 eval 'is_problem 403 && conforms PUT /v1/cards/$C1'

# ---------------------------------------------------------------- R10, R12 through PUT
# A resident with a card and a valid SIGN and AUTH certificate (straight in SQL).
R10=13101677010
put_resident $R10 "$(rjson)"
put_card 770000000010 "$(cjson "{\"resident_code\":\"$R10\"}")"
mkcert 7a0101 sign $R10 770000000010
mkcert 7a0102 auth $R10 770000000010
put_resident $R10 "$(rjson '{"address":"東京都千代田区九段南１丁目２番１号"}')"
expect test_r10_address_change_revokes_sign eval '[ "$STATUS" = 200 ] && conforms PUT /v1/residents/$R10 &&
	jq_eq .changed_fields "[\"address\"]" && jq_eq .revoked.0.serial 7a0101 &&
	jq_eq .revoked.0.type sign && jq_eq .revoked.0.reason affiliationChanged &&
	jq_eq .revoked "[{\"serial\": \"7a0101\", \"type\": \"sign\", \"reason\": \"affiliationChanged\"}]"'
expect test_r10_sign_revoked_auth_untouched eval '[ "$(cert_status 7a0101)" = revoked:affiliationChanged ] &&
	[ "$(cert_status 7a0102)" = valid: ]'
expect test_r10_revocations_row_written \
	test "$(fdb "SELECT reason FROM revocations WHERE serial = '\\x7a0101' AND issuer = 'sign' AND crl_shard = '131016'")" = affiliationChanged
expect test_r10_register_change_processed eval '[ "$(fdb "SELECT kind || array_to_string(fields, '"','"') || (processed_at IS NOT NULL) FROM register_changes WHERE resident_code = '"'$R10'"'")" = basic_fouraddresstrue ]'
expect test_r10_audit_lists_revoked_serial \
	test "$(fdb "SELECT detail->'revoked' FROM audit_log WHERE object = 'resident:$R10' AND detail->>'version' = '2'")" = '["7a0101"]'

# A change made straight in SQL is queued by the trigger and applied by the
# register-change sweep of the job thread (issue 4) within moments; the next
# PUT then finds nothing left to do.
mkcert 7a0103 sign $R10 770000000010 "now() - interval '1 hour'"
fdb "UPDATE residents SET family_name = '改姓' WHERE resident_code = '$R10'" >/dev/null
for _ in $(seq 1 30); do [ "$(cert_status 7a0103)" = revoked:affiliationChanged ] && break; sleep 0.1; done
expect test_r10_sql_change_applied_by_the_sweep eval '[ "$(cert_status 7a0103)" = revoked:affiliationChanged ] &&
	[ "$(fdb "SELECT kind || array_to_string(fields, '"','"') || (processed_at IS NOT NULL) FROM register_changes
	    WHERE resident_code = '"'$R10'"' ORDER BY id DESC LIMIT 1")" = basic_fourfamily_nametrue ]'
put_resident $R10 "$(rjson '{"address":"東京都千代田区九段南１丁目２番１号","family_name":"改姓"}')"
expect test_r10_next_put_after_sweep_has_nothing_left eval '[ "$STATUS" = 200 ] && jq_eq .changed_fields "[]" &&
	jq_eq .revoked "[]" &&
	[ "$(fdb "SELECT count(*) FROM register_changes WHERE resident_code = '"'$R10'"' AND processed_at IS NULL")" = 0 ]'
# A queued change revokes only what was issued before it.
R11=13101677011
put_resident $R11 "$(rjson)"
put_card 770000000011 "$(cjson "{\"resident_code\":\"$R11\"}")"
fdb "UPDATE residents SET sex = '9' WHERE resident_code = '$R11'" >/dev/null
mkcert 7a0111 sign $R11 770000000011 "now()"
put_resident $R11 "$(rjson '{"sex":"9"}')"
expect test_r10_queued_change_spares_later_certificate eval '[ "$STATUS" = 200 ] && jq_eq .revoked "[]" &&
	[ "$(cert_status 7a0111)" = valid: ] &&
	[ "$(fdb "SELECT count(*) FROM register_changes WHERE resident_code = '"'$R11'"' AND processed_at IS NULL")" = 0 ]'

R12=13101677012
put_resident $R12 "$(rjson)"
put_card 770000000012 "$(cjson "{\"resident_code\":\"$R12\"}")"
mkcert 7a0121 sign $R12 770000000012
mkcert 7a0122 auth $R12 770000000012
put_resident $R12 "$(rjson '{"status":"deceased","address":"東京都千代田区内幸町１丁目"}')"
expect test_r12_deceased_revokes_both eval '[ "$STATUS" = 200 ] && conforms PUT /v1/residents/$R12 &&
	jq_eq .revoked "[{\"serial\": \"7a0121\", \"type\": \"sign\", \"reason\": \"cessationOfOperation\"}, {\"serial\": \"7a0122\", \"type\": \"auth\", \"reason\": \"cessationOfOperation\"}]" &&
	[ "$(cert_status 7a0121)" = revoked:cessationOfOperation ] &&
	[ "$(cert_status 7a0122)" = revoked:cessationOfOperation ]'

# ---------------------------------------------------------------- R11 through PUT /v1/cards
R13=13101677013
put_resident $R13 "$(rjson)"
put_card 770000000013 "$(cjson "{\"resident_code\":\"$R13\"}")"
mkcert 7a0131 sign $R13 770000000013
mkcert 7a0132 auth $R13 770000000013
put_card 770000000013 "$(cjson "{\"resident_code\":\"$R13\",\"status\":\"lost\"}")"
expect test_r11_lost_card_revokes_both_key_compromise eval '[ "$STATUS" = 200 ] &&
	conforms PUT /v1/cards/770000000013 && jq_eq .status lost &&
	jq_eq .revoked "[{\"serial\": \"7a0131\", \"type\": \"sign\", \"reason\": \"keyCompromise\"}, {\"serial\": \"7a0132\", \"type\": \"auth\", \"reason\": \"keyCompromise\"}]" &&
	[ "$(cert_status 7a0131)" = revoked:keyCompromise ] && [ "$(cert_status 7a0132)" = revoked:keyCompromise ]'
R14=13101677014
put_resident $R14 "$(rjson)"
put_card 770000000014 "$(cjson "{\"resident_code\":\"$R14\"}")"
mkcert 7a0141 auth $R14 770000000014
put_card 770000000014 "$(cjson "{\"resident_code\":\"$R14\",\"status\":\"reissued\"}")"
expect test_r11_reissued_card_superseded eval '[ "$STATUS" = 200 ] &&
	jq_eq .revoked.0.reason superseded && [ "$(cert_status 7a0141)" = revoked:superseded ]'
put_card 770000000015 "$(cjson "{\"resident_code\":\"$R14\"}")"
expect test_r2_new_active_card_after_reissue_201 eval '[ "$STATUS" = 201 ] && jq_eq .revoked "[]"'

# ---------------------------------------------------------------- POST /v1/residents:import
imp=$work/import
mkdir -p "$imp"
# R15 has a valid SIGN certificate; its line changes the address (R10).
R15=13101677015
put_resident $R15 "$(rjson)"
put_card 770000000016 "$(cjson "{\"resident_code\":\"$R15\"}")"
mkcert 7a0151 sign $R15 770000000016
{
	rjson '{"resident_code":"13101677101"}'
	rjson '{"resident_code":"13101677102","family_name":"輸入","adult_ward":true}'
	echo
	rjson "{\"resident_code\":\"$R1\",\"given_name_kana\":\"タロウ\",\"adult_ward\":true}"
	printf '%s' "$(rjson "{\"resident_code\":\"$R15\",\"address\":\"東京都千代田区神田１丁目\"}")"
} > "$imp/small.ndjson"
feed_import "$imp/small.ndjson"
expect test_feed_import_small_file eval '[ "$STATUS" = 200 ] && conforms POST /v1/residents:import &&
	jq_eq .received 4 && jq_eq .created 2 && jq_eq .updated 1 && jq_eq .unchanged 1 &&
	jq_eq .revoked_count 1 && [ "$(cert_status 7a0151)" = revoked:affiliationChanged ] &&
	[ "$(fdb "SELECT family_name || adult_ward FROM residents WHERE resident_code = '"'13101677102'"'")" = 輸入true ]'
expect test_feed_import_audited_with_counts_only test "$(fdb "SELECT concat_ws(',', detail->>'received',
	detail->>'created', detail->>'updated', detail->>'unchanged', detail->>'revoked_count', object)
	FROM audit_log WHERE action = 'resident.import' ORDER BY seq DESC LIMIT 1")" = 4,2,1,1,1,residents
feed_import "$imp/small.ndjson"
expect test_feed_import_again_is_unchanged eval '[ "$STATUS" = 200 ] && jq_eq .created 0 &&
	jq_eq .updated 0 && jq_eq .unchanged 4 && jq_eq .revoked_count 0 &&
	[ "$(fdb "SELECT version FROM residents WHERE resident_code = '"'13101677101'"'")" = 1 ]'
{
	rjson '{"resident_code":"13101677103","address":"東京都千代田区一番町１番"}'
	rjson '{"resident_code":"13101677103","address":"東京都千代田区二番町２番"}'
} > "$imp/twice.ndjson"
feed_import "$imp/twice.ndjson"
expect test_feed_import_lines_apply_in_order_later_wins eval '[ "$STATUS" = 200 ] &&
	jq_eq .received 2 && jq_eq .created 1 && jq_eq .updated 1 &&
	[ "$(fdb "SELECT address || version FROM residents WHERE resident_code = '"'13101677103'"'")" = 東京都千代田区二番町２番2 ]'
{
	rjson '{"resident_code":"13101677201"}'
	rjson '{"resident_code":"13101677202","family_name":"a","family_name":"b"}' | sed 's/^{/{"x": 1 /'
	rjson '{"resident_code":"13101677203"}'
	rjson '{"resident_code":"13101677204","sex":"3","birth_date":"1980-13-01"}'
	rjson '{"resident_code":"13101677205"}'
	rjson '{"resident_code":"13101677206","municipality_code":"999999"}'
	echo '[]'
	rjson '{"resident_code":"1310167720"}'
} > "$imp/bad.ndjson"
before=$(fdb "SELECT count(*) FROM residents")
feed_import "$imp/bad.ndjson"
expect test_feed_import_bad_lines_422_nothing_written eval '[ "$STATUS" = 422 ] &&
	conforms POST /v1/residents:import && jq_eq .type urn:jpkid:problem:invalid-import &&
	jq_eq .error_count 5 && jq_eq .errors.0.line 2 && imp_err 0 line "not valid JSON" &&
	jq_eq .errors.1.line 4 && jq_eq .errors.1.resident_code 13101677204 &&
	jq_eq .errors.1.fields "{\"birth_date\": \"must be a date YYYY-MM-DD\", \"sex\": \"must be one of 1, 2, 9\"}" &&
	jq_eq .errors.2.line 6 && jq_eq .errors.2.fields.municipality_code "unknown municipality" &&
	jq_eq .errors.3.line 7 && jq_eq .errors.3.fields.line "must be a JSON object" &&
	jq_eq .errors.4.line 8 && jq_eq .errors.4.fields.resident_code "must be 11 digits" &&
	[ "$(fdb "SELECT count(*) FROM residents")" = "$before" ] &&
	[ "$(fdb "SELECT count(*) FROM residents WHERE resident_code LIKE '"'131016772%'"'")" = 0 ]'
{
	rjson '{"resident_code":"13101677301"}'
	$PY -c 'print("{\"resident_code\":\"13101677302\",\"address\":\"" + "x" * 70000 + "\"}")'
	rjson '{"resident_code":"13101677303"}'
} > "$imp/long.ndjson"
feed_import "$imp/long.ndjson"
expect test_feed_import_line_over_64k_422_with_line_number eval '[ "$STATUS" = 422 ] &&
	conforms POST /v1/residents:import && jq_eq .error_count 1 && jq_eq .errors.0.line 2 &&
	jq_eq .errors.0.fields.line "longer than 65536 bytes" &&
	[ "$(fdb "SELECT count(*) FROM residents WHERE resident_code LIKE '"'131016773%'"'")" = 0 ]'
# shellcheck disable=SC2046
call POST "$API/v1/residents:import" $(tls feed) -H 'Content-Type: application/json' -T "$imp/small.ndjson"
expect test_feed_import_needs_ndjson_415 eval 'is_problem 415 && conforms POST /v1/residents:import'
# shellcheck disable=SC2046
call POST "$API/v1/residents:import" $(tls "$term_a") -H 'Content-Type: application/x-ndjson' -T "$imp/small.ndjson"
expect test_feed_import_terminal_403 eval 'is_problem 403 && conforms POST /v1/residents:import'
call POST "$API/v1/residents:import" --cacert "$ca/client-ca.crt" -H 'Content-Type: application/x-ndjson' -T "$imp/small.ndjson"
expect test_feed_import_without_certificate_401 eval 'is_problem 401 && conforms POST /v1/residents:import'
# shellcheck disable=SC2046
call GET "$API/v1/residents:import" $(tls feed)
expect test_feed_import_get_405 eval 'is_problem 405 && [ "$(header Allow)" = POST ]'

# Idempotency-Key: the same body again replays the stored response.
{
	rjson '{"resident_code":"13101677401"}'
	rjson '{"resident_code":"13101677402"}'
} > "$imp/idem.ndjson"
feed_import "$imp/idem.ndjson" -H 'Idempotency-Key: feed-import-1'
cp "$work/body" "$imp/idem.first"
expect test_feed_import_with_idempotency_key_200 eval '[ "$STATUS" = 200 ] && jq_eq .created 2'
imports=$(fdb "SELECT count(*) FROM audit_log WHERE action = 'resident.import'")
feed_import "$imp/idem.ndjson" -H 'Idempotency-Key: feed-import-1'
expect test_feed_import_idempotent_retry_replays eval '[ "$STATUS" = 200 ] && conforms POST /v1/residents:import &&
	cmp -s "$work/body" "$imp/idem.first" && [ "$(header Idempotent-Replayed)" = true ] &&
	[ "$(fdb "SELECT count(*) FROM audit_log WHERE action = '"'resident.import'"'")" = "$imports" ]'
feed_import "$imp/small.ndjson" -H 'Idempotency-Key: feed-import-1'
expect test_feed_import_key_reused_for_other_body_422 eval 'is_problem 422 &&
	conforms POST /v1/residents:import && jq_eq .type urn:jpkid:problem:idempotency-key-reused'

# 413: a declared Content-Length over [api] import_max_body is refused
# before anything is read (the default limit, 512 MiB, declared but not sent).
# shellcheck disable=SC2046
call POST "$API/v1/residents:import" $(tls feed) -H 'Content-Type: application/x-ndjson' \
	-H 'Content-Length: 600000000' --data-binary @"$imp/small.ndjson"
expect test_feed_import_declared_length_over_limit_413 eval 'is_problem 413 &&
	conforms POST /v1/residents:import && jq_eq .detail "the request body exceeds 536870912 bytes"'
# A second jpkid with a 2 KiB limit: the same for a real body, and for a
# chunked one (no Content-Length: counted as it streams).
lim_conf=$work/limit.conf
lim_api=$(jpki_free_port $((api_port + 40)))
lim_st=$(jpki_free_port $((lim_api + 1)))
jpki_write_config "$lim_conf" "$ca" "$conninfo" "$lim_api" "$lim_st"
sed -i 's/^\[api\]$/[api]\nimport_max_body = 2048/' "$lim_conf"
start_jpkid "$lim_conf" "$work/limit-jpkid.log"
lim_pid=$JPKID_PID
wait_ready "http://127.0.0.1:$lim_st" 20
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do rjson "{\"resident_code\":\"131016775$(printf %02d $i)\"}"; done > "$imp/over.ndjson"
# shellcheck disable=SC2046
call POST "https://127.0.0.1:$lim_api/v1/residents:import" $(tls feed) \
	-H 'Content-Type: application/x-ndjson' -T "$imp/over.ndjson"
expect test_feed_import_body_over_limit_413 eval 'is_problem 413 && jq_eq .detail "the request body exceeds 2048 bytes"'
# shellcheck disable=SC2046
call POST "https://127.0.0.1:$lim_api/v1/residents:import" $(tls feed) \
	-H 'Content-Type: application/x-ndjson' -H 'Transfer-Encoding: chunked' -T "$imp/over.ndjson"
expect test_feed_import_chunked_over_limit_413 eval 'is_problem 413 &&
	[ "$(fdb "SELECT count(*) FROM residents WHERE resident_code LIKE '"'131016775%'"'")" = 0 ]'
# shellcheck disable=SC2046
call POST "https://127.0.0.1:$lim_api/v1/residents:import" $(tls feed) \
	-H 'Content-Type: application/x-ndjson' -H 'Transfer-Encoding: chunked' -T "$imp/idem.ndjson"
expect test_feed_import_chunked_under_limit_200 eval '[ "$STATUS" = 200 ] && jq_eq .unchanged 2'
kill -TERM "$lim_pid"
wait "$lim_pid"
lim_rc=$?
expect test_feed_limit_instance_clean_exit eval '[ $lim_rc = 0 ]'

# A client that goes away mid-upload: rolled back, connection back in the pool.
$PY -c 'import json
for i in range(20000):
    print(json.dumps({"resident_code": "6%010d" % i, "municipality_code": "131016",
        "family_name": "中断", "birth_date": "1990-01-01", "sex": "2", "address": "東京都千代田区"}))' > "$imp/abort.ndjson"
# shellcheck disable=SC2046
curl -sS -o /dev/null --max-time 1 --limit-rate 300K $(tls feed) -H 'Content-Type: application/x-ndjson' \
	-X POST -T "$imp/abort.ndjson" "$API/v1/residents:import" 2>/dev/null
sleep 1
call GET "$ST/metrics"
expect test_feed_import_client_abort_rolls_back eval 'grep -q "^jpkid_db_pool_in_use 0$" "$work/body" &&
	[ "$(fdb "SELECT count(*) FROM residents WHERE resident_code LIKE '"'6%'"'")" = 0 ] &&
	grep -q "request ended before an answer.*route=residents_import" "$work/jpkid.log"'

# 100,000 residents in one call: streamed, bounded memory, well under a minute.
$PY -c 'import json
for i in range(100000):
    print(json.dumps({"resident_code": "5%010d" % i, "municipality_code": ("131016", "131041", "141003", "141305")[i % 4],
        "family_name": "大量", "given_name": "試験%d" % i, "family_name_kana": "タイリョウ",
        "given_name_kana": "シケン", "birth_date": "%04d-%02d-%02d" % (1930 + i % 90, 1 + i % 12, 1 + i % 28),
        "sex": "129"[i % 3], "address": "東京都千代田区千代田１丁目%d番" % i, "adult_ward": i % 97 == 0},
        ensure_ascii=False))' > "$imp/100k.ndjson"
hwm_before=$(awk '/^VmHWM/ { print $2 }' "/proc/$main_pid/status")
t0=$(date +%s%N)
feed_import "$imp/100k.ndjson" --max-time 600
t1=$(date +%s%N)
hwm_after=$(awk '/^VmHWM/ { print $2 }' "/proc/$main_pid/status")
import_ms=$(((t1 - t0) / 1000000))
import_s=$((import_ms / 1000)).$(printf %03d $((import_ms % 1000)))
echo "# 100k import: $(stat -c %s "$imp/100k.ndjson") bytes in ${import_s}s; jpkid VmHWM ${hwm_before} kB -> ${hwm_after} kB"
limit_s=60
[ "${JPKI_ASAN:-0}" = 1 ] && limit_s=300
expect test_feed_import_100k_residents eval '[ "$STATUS" = 200 ] && conforms POST /v1/residents:import &&
	jq_eq .received 100000 && jq_eq .created 100000 &&
	[ "$(fdb "SELECT count(*) FROM residents WHERE resident_code LIKE '"'5%'"'")" = 100000 ]'
expect test_feed_import_100k_under_time_limit eval '[ "$import_ms" -lt $((limit_s * 1000)) ]'
# Peak RSS may grow by less than 100 MB (ASan keeps up to 256 MB of freed
# memory in quarantine: there the number says nothing).
if [ "${JPKI_ASAN:-0}" != 1 ]; then
	expect test_feed_import_100k_memory_bounded eval '[ $((hwm_after - hwm_before)) -lt 102400 ]'
fi
rm -f "$imp/100k.ndjson" "$imp/abort.ndjson"
