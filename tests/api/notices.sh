# R21: expiry notices (POST /v1/notices/run, GET /v1/notices, the job).
# Sourced by tests/api/run.sh. Certificates are issued on the main jpkid
# (real clock, lib_issue.sh); two more jpkid on the same database read
# their clock from a file moved years ahead, so some of those certificates
# fall within the 3-month lead time. Resident codes 131016820NN and
# 141003820NN. Other sections' certificates may be due too: the checks
# look at this section's serials.

nt_db() { jpki_psql "$pg" jpkid -tAc "$1"; }
nt_jst() { date -d "$1 +0900" +%s; }
nt_clock=$work/nt-clock
nt_set_clock() { nt_jst "$1" > "$nt_clock"; }
nt_notices() {	# nt_notices SERIAL: notices listing the certificate
	nt_db "SELECT count(*) FROM notices WHERE serial = decode('$1', 'hex')"
}
nt_run() {	# nt_run API [curl args...]: POST /v1/notices/run as the operator
	local api=$1
	shift
	# shellcheck disable=SC2046
	call POST "$api/v1/notices/run" $(tls operator) "$@"
}
nt_get() {	# nt_get WHO QUERY [curl args...]
	local who=$1 q=$2
	shift 2
	# shellcheck disable=SC2046
	call GET "$NAPI/v1/notices$q" $(tls "$who") "$@"
}
nt_batches() { nt_db "SELECT count(*) FROM notice_batches"; }

# Births put the 5th birthday after today (notAfter, R6/R7) in 2030-12 and 2031.
st_resident 13101682001 131016 1980-12-10
st_resident 13101682002 131016 1980-12-20
st_resident 14100382001 141003 1980-12-15
st_resident 13101682003 131016 1980-06-10
st_resident 13101682004 131016 1980-09-10
st_issue 13101682001; N1_SIGN=$ST_SIGN N1_AUTH=$ST_AUTH
st_issue 13101682002; N2_SIGN=$ST_SIGN N2_AUTH=$ST_AUTH
st_issue 14100382001; N3_SIGN=$ST_SIGN N3_AUTH=$ST_AUTH
st_issue 13101682003; N4_SIGN=$ST_SIGN N4_AUTH=$ST_AUTH
st_issue 13101682004 '["auth"]'; N5_AUTH=$ST_AUTH
# shellcheck disable=SC2046
call POST "$API/v1/certificates/$N2_SIGN/revoke" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary '{"reason":"unspecified"}'
expect test_r21_setup_certificates eval '[ -n "$N1_SIGN" ] && [ -n "$N3_AUTH" ] && [ -n "$N5_AUTH" ] &&
	[ "$(nt_db "SELECT to_char(not_after AT TIME ZONE '"'Asia/Tokyo'"', '"'YYYY-MM-DD'"') FROM certificates WHERE serial = decode('"'$N1_SIGN'"', '"'hex'"')")" = 2030-12-10 ] &&
	[ "$(nt_db "SELECT status FROM certificates WHERE serial = decode('"'$N2_SIGN'"', '"'hex'"')")" = revoked ]'

nt_set_clock "2030-09-25 10:00"		# cutoff 2030-12-25 23:59:59 JST
nt_start() {	# nt_start CONF-EXTRA LOG PORT-OFFSET: a test-clock jpkid; sets NT_PID, NT_API, NT_ST
	local p s
	p=$(jpki_free_port $((api_port + $3)))
	s=$(jpki_free_port $((p + 1)))
	jpki_write_config "$work/nt-$3.conf" "$ca" "$conninfo" "$p" "$s"
	printf '\n[notices]\n%b' "$1" >> "$work/nt-$3.conf"
	JPKID_TEST_CLOCK=@$nt_clock start_jpkid "$work/nt-$3.conf" "$2"
	NT_PID=$JPKID_PID NT_API=https://127.0.0.1:$p NT_ST=http://127.0.0.1:$s
}
nt_start 'enabled = false\n' "$work/jpkid-nt1.log" 50
nt1_pid=$NT_PID NAPI=$NT_API
expect test_r21_notice_daemon_ready wait_ready "$NT_ST" 20
nt_start 'enabled = false\n' "$work/jpkid-nt2.log" 60
nt2_pid=$NT_PID NAPI2=$NT_API
expect test_r21_second_notice_daemon_ready wait_ready "$NT_ST" 20

# shellcheck disable=SC2046
call POST "$NAPI/v1/notices/run" $(tls "$term_a")
expect test_r21_terminal_cannot_run_403 eval 'is_problem 403 && conforms POST /v1/notices/run'
nt_db "UPDATE operators SET role = 'viewer'" >/dev/null
nt_run "$NAPI"
expect test_r21_viewer_cannot_run_403 eval 'is_problem 403 && [ "$(nt_notices "$N1_SIGN")" = 0 ]'
nt_db "UPDATE operators SET role = 'admin'" >/dev/null

before=$(nt_batches)
nt_run "$NAPI" -H 'Idempotency-Key: nt-run-1'
cp "$work/body" "$work/nt-run1.json"
expect test_r21_run_creates_batches eval '[ "$STATUS" = 200 ] && conforms POST /v1/notices/run &&
	$PY -c "import json,sys; b=json.load(open(sys.argv[1]))[\"batches\"]; m=[x[\"municipality_code\"] for x in b]; sys.exit(0 if \"131016\" in m and \"141003\" in m and len(m) == len(set(m)) and all(x[\"expiring_before\"] == \"2030-12-25T14:59:59Z\" for x in b) else 1)" "$work/body" &&
	[ "$(nt_batches)" = $((before + $($PY -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"batches\"]))" "$work/body"))) ]'
expect test_r21_each_due_certificate_listed_once eval 'for s in $N1_SIGN $N1_AUTH $N2_AUTH $N3_SIGN $N3_AUTH; do [ "$(nt_notices $s)" = 1 ] || exit 1; done'
expect test_r21_revoked_certificate_never_listed eval '[ "$(nt_notices "$N2_SIGN")" = 0 ]'
expect test_r21_not_yet_due_not_listed eval '[ "$(nt_notices "$N4_SIGN")" = 0 ] && [ "$(nt_notices "$N4_AUTH")" = 0 ] && [ "$(nt_notices "$N5_AUTH")" = 0 ]'
expect test_r21_other_municipality_separate_batch eval '[ "$(nt_db "SELECT count(DISTINCT batch_id) FROM notices WHERE serial IN (decode('"'$N1_SIGN'"', '"'hex'"'), decode('"'$N3_SIGN'"', '"'hex'"'))")" = 2 ] &&
	[ "$(nt_db "SELECT municipality_code FROM notices WHERE serial = decode('"'$N3_SIGN'"', '"'hex'"')")" = 141003 ]'
expect test_r21_batches_audited eval '[ "$(nt_db "SELECT count(*) FROM audit_log WHERE action = '"'notices.batch'"' AND actor LIKE '"'operator:%'"'")" -ge 2 ]'
nt_run "$NAPI" -H 'Idempotency-Key: nt-run-1'
expect test_r21_run_idempotency_key_replays eval '[ "$STATUS" = 200 ] && [ "$(header Idempotent-Replayed)" = true ] && cmp -s "$work/body" "$work/nt-run1.json"'
n_batches=$(nt_batches)
n_notices=$(nt_db "SELECT count(*) FROM notices")
nt_run "$NAPI"
expect test_r21_run_again_no_new_batch_no_duplicate eval '[ "$STATUS" = 200 ] && jq_eq .batches "[]" && [ "$(nt_batches)" = "$n_batches" ] &&
	[ "$(nt_db "SELECT count(*) FROM notices")" = "$n_notices" ] &&
	[ "$(nt_db "SELECT count(*) FROM notice_batches b WHERE NOT EXISTS (SELECT 1 FROM notices n WHERE n.batch_id = b.id)")" = 0 ]'

# ---------------------------------------------------------------- listing
nt_get operator '?municipality=131016'
cp "$work/body" "$work/nt-list.json"
expect test_r21_list_json eval '[ "$STATUS" = 200 ] && conforms GET /v1/notices && jq_eq .municipality_code 131016 &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1])); n={x[\"serial\"]: x for x in d[\"notices\"]}; x=n[sys.argv[2]]; sys.exit(0 if x[\"name\"] == \"試験\u3000太郎\" and x[\"resident_code\"] == \"13101682001\" and x[\"type\"] == \"sign\" and x[\"not_after\"] == \"2030-12-10T14:59:59Z\" and sys.argv[3] in n and sys.argv[4] not in n and sys.argv[5] not in n and len(n) == len(d[\"notices\"]) and sum(b[\"count\"] for b in d[\"batches\"]) == len(d[\"notices\"]) else 1)" "$work/body" "$N1_SIGN" "$N2_AUTH" "$N2_SIGN" "$N3_SIGN"'
expect test_r21_list_read_audited eval '[ "$(nt_db "SELECT count(*) FROM audit_log WHERE action = '"'notices.read'"' AND object = '"'municipality:131016'"'")" -ge 1 ]'
nt_get operator '?municipality=131016' -H 'Accept: text/csv'
cp "$work/body" "$work/nt-list.csv"
expect test_r21_csv_parses_and_matches_json eval '[ "$STATUS" = 200 ] && conforms GET /v1/notices && [ "${CTYPE%%;*}" = text/csv ] &&
	$PY -c "
import csv, io, json, sys
raw = open(sys.argv[1], \"rb\").read()
assert raw.endswith(b\"\\r\\n\")
rows = list(csv.DictReader(io.StringIO(raw.decode(\"utf-8\"), newline=\"\")))
js = json.load(open(sys.argv[2]))[\"notices\"]
want = [{k: str(v) for k, v in x.items()} for x in js]
sys.exit(0 if rows == want and len(rows) > 0 else 1)" "$work/nt-list.csv" "$work/nt-list.json"'
nt_get operator '?municipality=131016&format=csv'
expect test_r21_csv_by_format_parameter eval '[ "$STATUS" = 200 ] && cmp -s "$work/body" "$work/nt-list.csv"'
nt_get "$term_a" ''
expect test_r21_terminal_reads_own_municipality eval '[ "$STATUS" = 200 ] && conforms GET /v1/notices && jq_eq .municipality_code 131016 && cmp -s "$work/body" "$work/nt-list.json"'
nt_get "$term_a" '?municipality=141003'
expect test_r1_terminal_of_another_municipality_403 eval 'is_problem 403 && conforms GET /v1/notices && jq_eq .rule R1 &&
	[ "$(nt_db "SELECT count(*) FROM audit_log WHERE action = '"'notices.scope_denied'"' AND object = '"'municipality:141003'"'")" -ge 1 ]'
nt_get "$term_b" ''
B141=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['batches'][-1]['id'])" "$work/body" 2>/dev/null)
expect test_r21_second_municipality_lists_its_batch eval '[ "$STATUS" = 200 ] && jq_eq .municipality_code 141003 &&
	$PY -c "import json,sys; s=[x[\"serial\"] for x in json.load(open(sys.argv[1]))[\"notices\"]]; sys.exit(0 if sys.argv[2] in s and sys.argv[3] in s and sys.argv[4] not in s else 1)" "$work/body" "$N3_SIGN" "$N3_AUTH" "$N1_SIGN"'
nt_get operator "?municipality=141003&batch=$B141"
expect test_r21_list_one_batch eval '[ "$STATUS" = 200 ] && conforms GET /v1/notices && jq_eq .batches.0.id "$B141" &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d[\"batches\"]) == 1 and all(x[\"batch_id\"] == $B141 for x in d[\"notices\"]) else 1)" "$work/body"'
nt_get operator "?municipality=131016&batch=$B141"
expect test_r21_batch_of_another_municipality_404 eval 'is_problem 404 && conforms GET /v1/notices'
nt_get operator ''
expect test_r21_operator_needs_municipality_422 eval 'is_problem 422 && conforms GET /v1/notices && [ -n "$(st_jv .fields.municipality)" ]'
nt_get operator '?municipality=999999'
expect test_r21_unknown_municipality_404 eval 'is_problem 404 && conforms GET /v1/notices'
# shellcheck disable=SC2046
call GET "$NAPI/v1/notices?municipality=131016" $(tls feed)
expect test_r21_register_feed_cannot_list_403 eval 'is_problem 403 && conforms GET /v1/notices'

# R1: 13101682001 moves to 141003 (new name and address there). Its notices stay
# 131016's, listed without name and address: never 141003's current register data.
nt_db "UPDATE residents SET municipality_code = '141003', family_name = '転出', given_name = '花子',
	address = '神奈川県横浜市中区港町九丁目9番' WHERE resident_code = '13101682001'" >/dev/null
nt_moved_ok() {	# nt_moved_ok FILE json|csv: the moved holder's rows carry no name/address
	! grep -q -e '転出' -e '花子' -e '港町九丁目' "$1" && $PY -c "
import csv, io, json, sys
raw = open(sys.argv[1], encoding=\"utf-8\", newline=\"\").read()
rows = json.loads(raw)[\"notices\"] if sys.argv[2] == \"json\" else list(csv.DictReader(io.StringIO(raw)))
gone = None if sys.argv[2] == \"json\" else \"\"
moved = [x for x in rows if x[\"resident_code\"] == \"13101682001\"]
here = [x for x in rows if x[\"resident_code\"] == \"13101682002\"]
ok = sorted(x[\"serial\"] for x in moved) == sorted([sys.argv[3], sys.argv[4]]) and \
	all(x[\"name\"] == gone and x[\"address\"] == gone for x in moved) and \
	len(here) > 0 and all(x[\"name\"] == \"試験\u3000太郎\" and x[\"address\"] for x in here)
sys.exit(0 if ok else 1)" "$1" "$2" "$N1_SIGN" "$N1_AUTH"
}
nt_get operator '?municipality=131016'
expect test_r1_notices_json_moved_holder_no_register_data eval '[ "$STATUS" = 200 ] && conforms GET /v1/notices &&
	nt_moved_ok "$work/body" json'
nt_get "$term_a" '?format=csv'
expect test_r1_notices_csv_moved_holder_no_register_data eval '[ "$STATUS" = 200 ] && conforms GET /v1/notices &&
	[ "${CTYPE%%;*}" = text/csv ] && nt_moved_ok "$work/body" csv'
nt_get "$term_b" ''
expect test_r1_notices_new_municipality_not_given_old_notices eval '[ "$STATUS" = 200 ] &&
	! grep -q -e "$N1_SIGN" -e "$N1_AUTH" "$work/body"'

# ---------------------------------------------------------------- two jpkid at once
nt_set_clock "2031-04-01 10:00"		# cutoff 2031-07-01: 13101682003's certificates
before=$(nt_batches)
# shellcheck disable=SC2046
curl -sS --max-time 20 -o "$work/nt-a.json" -w '%{http_code}' -X POST $(tls operator) "$NAPI/v1/notices/run" > "$work/nt-a.status" &
nt_a=$!
# shellcheck disable=SC2046
curl -sS --max-time 20 -o "$work/nt-b.json" -w '%{http_code}' -X POST $(tls operator) "$NAPI2/v1/notices/run" > "$work/nt-b.status" &
nt_b=$!
wait $nt_a $nt_b
expect test_r21_two_instances_at_once_list_each_certificate_once eval '[ "$(cat "$work/nt-a.status")" = 200 ] && [ "$(cat "$work/nt-b.status")" = 200 ] &&
	[ "$(nt_notices "$N4_SIGN")" = 1 ] && [ "$(nt_notices "$N4_AUTH")" = 1 ] &&
	[ "$(nt_db "SELECT count(*) FROM notice_batches b WHERE NOT EXISTS (SELECT 1 FROM notices n WHERE n.batch_id = b.id)")" = 0 ] &&
	[ "$(nt_batches)" = $((before + $($PY -c "import json,sys; print(sum(len(json.load(open(f))[\"batches\"]) for f in sys.argv[1:]))" "$work/nt-a.json" "$work/nt-b.json"))) ] &&
	[ "$(nt_db "SELECT count(*) FROM (SELECT issuer, serial FROM notices GROUP BY 1, 2 HAVING count(*) > 1) d")" = 0 ]'
expect test_r21_earlier_notices_unchanged eval '[ "$(nt_notices "$N1_SIGN")" = 1 ] && [ "$(nt_notices "$N5_AUTH")" = 0 ]'

# ---------------------------------------------------------------- the background job
kill -TERM "$nt2_pid"
wait "$nt2_pid"
nt_set_clock "2031-07-01 10:00"		# cutoff 2031-10-01: 13101682004's AUTH
nt_start 'enabled = true\ninterval = 1\nlead_months = 3\n' "$work/jpkid-nt3.log" 60
nt3_pid=$NT_PID
wait_ready "$NT_ST" 20
for _ in $(seq 50); do [ "$(nt_notices "$N5_AUTH")" = 1 ] && break; sleep 0.2; done
expect test_r21_job_writes_due_batch eval '[ "$(nt_notices "$N5_AUTH")" = 1 ] &&
	[ "$(nt_db "SELECT count(*) FROM audit_log WHERE action = '"'notices.batch'"' AND actor = '"'system:notices'"'")" -ge 1 ]'
sleep 1.5
expect test_r21_job_runs_again_without_duplicates eval '[ "$(nt_notices "$N5_AUTH")" = 1 ] &&
	[ "$(nt_db "SELECT count(*) FROM notice_batches b WHERE NOT EXISTS (SELECT 1 FROM notices n WHERE n.batch_id = b.id)")" = 0 ]'
kill -TERM "$nt3_pid" "$nt1_pid"
wait "$nt3_pid" "$nt1_pid"
