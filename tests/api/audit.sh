# Section "audit" of tests/api/run.sh: the tamper-evident audit trail
# (docs/operators.md). On the main jpkid (which has the [audit] key of
# jpkictl init): rows are sealed within seconds, the first checkpoint is
# written and journalled, GET /v1/audit filters and pages, GET
# /v1/audit/verify and `jpkictl audit verify` pass; a second jpkid with
# [audit] seal_interval = 1 writes a checkpoint a second while both share
# the sealing (advisory lock). Tampering runs on copies of the database
# (pg_dump into jpkid_t*), as the PostgreSQL superuser with the triggers
# off; each copy must fail verification naming the seq, the untouched one
# must pass. The R1 refusal of issuance on another municipality's
# application is audited.

au_db() { jpki_psql "$pg" "${2:-jpkid}" -tAc "$1"; }
au_wait() {	# au_wait SECONDS SQL [DB]: until SQL answers t
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(au_db "$2" "${3:-jpkid}")" = t ] && return 0
		sleep 0.1
	done
	return 1
}
au_get() { call GET "$API$1" $(tls operator); }
au_n() { $PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$work/body"; }

# Earlier sections refuse issuances too (scope, keys): count this section's
# rows only, from a whole second after the last of theirs.
sleep 1
au_t0=$(au_db "SELECT to_char(date_trunc('second', now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
# Some activity: an issuance (application + certificates) at 131016.
st_resident 13101688801 131016
st_issue 13101688801 '["auth"]'
expect test_audit_setup_issuance_audited eval '[ -n "$ST_AUTH" ] && [ "$(au_db "SELECT count(*) > 0 FROM audit_log WHERE action LIKE '"'"'certificate.%'"'"'")" = t ]'

# R1: terminal 131016 asks to issue on an application of 141003.
st_resident 14100377001 141003
call POST "$API/v1/applications" $(tls "$term_b") -H 'Content-Type: application/json' \
	--data-binary "{\"resident_code\":\"14100377001\",\"procedure\":\"issue\",\"types\":[\"auth\"],\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV}"
au_app=$(st_jv .id)
call POST "$API/v1/applications/$au_app/certificates" $(tls "$term_a") -H 'Content-Type: application/json' \
	--data-binary "{\"type\":\"auth\",\"csr\":\"$ST_CSR\"}"
au_r1_rid=$(header X-Request-Id)
expect test_r1_issue_on_other_municipality_application_404 eval 'is_problem 404 && conforms POST /v1/applications/$au_app/certificates'
expect test_r1_issue_refusal_audited eval '[ "$(au_db "SELECT count(*) FROM audit_log WHERE action = '"'"'certificate.issue_refused'"'"' AND at >= '"'"'$au_t0'"'"'
	AND object = '"'"'application:$au_app'"'"' AND detail->>'"'"'rule'"'"' = '"'"'R1'"'"'
	AND detail->>'"'"'terminal_municipality'"'"' = '"'"'131016'"'"' AND detail->>'"'"'application_municipality'"'"' = '"'"'141003'"'"'
	AND detail->>'"'"'request_id'"'"' = '"'"'$au_r1_rid'"'"'")" = 1 ]'
new_csr au_csr
call POST "$API/v1/applications/$au_app/certificates" $(tls "$term_b") -H 'Content-Type: application/json' \
	--data-binary "{\"type\":\"auth\",\"csr\":\"$au_csr\"}"
expect test_r1_own_municipality_still_issues eval '[ "$STATUS" = 201 ] && [ "$(au_db "SELECT count(*) FROM audit_log WHERE action = '"'"'certificate.issue_refused'"'"' AND at >= '"'"'$au_t0'"'"'")" = 1 ]'
call POST "$API/v1/applications/00000000-0000-4000-8000-000000000000/certificates" $(tls "$term_a") \
	-H 'Content-Type: application/json' --data-binary "{\"type\":\"auth\",\"csr\":\"$ST_CSR\"}"
expect test_r1_unknown_application_404_not_audited_as_r1 eval 'is_problem 404 && [ "$(au_db "SELECT count(*) FROM audit_log WHERE action = '"'"'certificate.issue_refused'"'"' AND at >= '"'"'$au_t0'"'"'")" = 1 ]'

# Sealing and the first checkpoint.
expect test_audit_rows_sealed_within_seconds au_wait 10 "SELECT count(*) = 0 FROM audit_log WHERE sealed_hash IS NULL"
expect test_audit_chain_positions_contiguous eval '[ "$(au_db "SELECT count(*) = max(chain_pos) AND min(chain_pos) = 1 FROM audit_log WHERE chain_pos IS NOT NULL")" = t ]'
expect test_audit_sealed_row_cannot_be_changed eval '! au_db "UPDATE audit_log SET detail = '"'"'{}'"'"' WHERE chain_pos = 1" 2>"$work/au.err" && grep -q "append-only" "$work/au.err"'
expect test_audit_sealed_row_cannot_be_resealed eval '! au_db "UPDATE audit_log SET chain_pos = chain_pos + 1000000 WHERE chain_pos = 1" 2>/dev/null'
expect test_audit_checkpoint_written au_wait 10 "SELECT count(*) > 0 FROM audit_checkpoints"
au_cp_seq=$(au_db "SELECT seq FROM audit_checkpoints ORDER BY chain_pos LIMIT 1")
au_cp_hash=$(au_db "SELECT encode(hash, 'hex') FROM audit_checkpoints ORDER BY chain_pos LIMIT 1")
# The base tests of run.sh run more instances on the same database: any may have sealed it.
expect test_audit_checkpoint_journal_line eval 'find "$work" -name "*.log" -exec cat {} + | grep "audit checkpoint" | grep "seq=$au_cp_seq" | grep -q "hash=$au_cp_hash"'
expect test_audit_checkpoint_signer_is_audit_cert eval '[ "$(au_db "SELECT encode(signer_sha256, '"'"'hex'"'"') FROM audit_checkpoints LIMIT 1")" = "$(openssl x509 -in "$ca/audit.crt" -outform DER | sha256sum | cut -d" " -f1)" ]'
expect test_audit_checkpoint_cannot_be_changed eval '! au_db "DELETE FROM audit_checkpoints" 2>/dev/null'

# GET /v1/audit
au_get "/v1/audit?action=certificate.issue_refused&from=$au_t0"
expect test_audit_list_filter_action eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit && jq_eq .items.0.object "application:$au_app" &&
	jq_eq .items.0.request_id "$au_r1_rid" && jq_eq .items.0.detail.rule R1 && jq_eq .items.0.actor "$(au_db "SELECT actor FROM audit_log WHERE action = '"'"'certificate.issue_refused'"'"' AND at >= '"'"'$au_t0'"'"'")" && jq_eq .next_cursor null && [ "$(au_n)" = 1 ]'
au_get "/v1/audit?request_id=$au_r1_rid"
expect test_audit_list_filter_request_id eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit && jq_eq .items.0.action certificate.issue_refused && [ "$(au_n)" = 1 ]'
au_get "/v1/audit?object=application:$au_app"
expect test_audit_list_filter_object eval '[ "$STATUS" = 200 ] && [ "$($PY -c "import json;d=json.load(open(\"$work/body\"));print(all(i[\"object\"]==\"application:$au_app\" for i in d[\"items\"]) and len(d[\"items\"])>=1)")" = True ]'
au_actor=$(au_db "SELECT actor FROM audit_log WHERE action = 'certificate.issue_refused' AND at >= '$au_t0'")
au_get "/v1/audit?actor=$au_actor&action=certificate.issue_refused&from=$au_t0"
expect test_audit_list_filter_actor_and_action eval '[ "$STATUS" = 200 ] && jq_eq .items.0.actor "$au_actor" && [ "$(au_n)" = 1 ]'
au_get "/v1/audit?from=2099-01-01T00:00:00Z"
expect test_audit_list_from_future_empty eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit && jq_eq .items "[]" && jq_eq .next_cursor null'
au_get "/v1/audit?to=2000-01-01T00:00:00Z"
expect test_audit_list_to_past_empty eval '[ "$STATUS" = 200 ] && jq_eq .items "[]"'
au_get "/v1/audit?from=2000-01-01T00:00:00%2B09:00&to=2099-01-01T00:00:00Z&limit=1"
expect test_audit_list_time_range eval '[ "$STATUS" = 200 ] && [ "$(st_jv .items.0.seq)" -ge 1 ]'
au_get "/v1/audit?limit=2"
au_p1=$(cat "$work/body")
au_cur=$(st_jv .next_cursor)
expect test_audit_list_page_one eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit && [ -n "$au_cur" ] && [ "$(st_jv .items.0.seq)" -gt "$(st_jv .items.1.seq)" ] && [ "$(au_n)" = 2 ]'
au_last1=$(st_jv .items.1.seq)
au_get "/v1/audit?limit=2&cursor=$au_cur"
expect test_audit_list_page_two_older_no_overlap eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit && [ "$(st_jv .items.0.seq)" -lt "$au_last1" ]'
au_get "/v1/audit?limit=500"
expect test_audit_list_sealed_flags eval '[ "$STATUS" = 200 ] && [ "$($PY -c "import json;d=json.load(open(\"$work/body\"));print(any(i[\"sealed\"] for i in d[\"items\"]))")" = True ]'
au_get "/v1/audit?from=yesterday"
expect test_audit_list_bad_from_400 eval 'is_problem 400 && conforms GET /v1/audit && jq_eq .fields.from "an RFC 3339 date-time"'
au_get "/v1/audit?limit=0"
expect test_audit_list_bad_limit_400 eval 'is_problem 400 && jq_eq .fields.limit "an integer from 1 to 500"'
au_get "/v1/audit?cursor=bm90LWEtc2Vx"
expect test_audit_list_bad_cursor_400 eval 'is_problem 400 && jq_eq .fields.cursor "the next_cursor of a previous page"'
expect test_audit_read_is_audited eval '[ "$(au_db "SELECT count(*) > 0 FROM audit_log WHERE action = '"'"'audit.read'"'"' AND detail->'"'"'filters'"'"'->>'"'"'action'"'"' = '"'"'certificate.issue_refused'"'"'")" = t ]'
call GET "$API/v1/audit" $(tls "$term_a")
expect test_audit_list_terminal_403 eval 'is_problem 403 && conforms GET /v1/audit'
au_op="cert_sha256 = decode('$(openssl x509 -in "$ca/operator.crt" -outform DER | sha256sum | cut -d" " -f1)', 'hex')"
au_role=$(au_db "SELECT role FROM operators WHERE $au_op")
au_db "UPDATE operators SET role = 'viewer' WHERE $au_op" >/dev/null
au_get "/v1/audit?limit=1"
expect test_audit_list_viewer_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit'
au_get "/v1/audit/verify"
expect test_audit_verify_viewer_200_ok eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit/verify && jq_eq .ok true && jq_eq .first_bad_seq null &&
	jq_eq .reason null && jq_eq .signatures_checked true && [ "$(st_jv .rows_checked)" -ge 5 ] && [ "$(st_jv .checkpoints_checked)" -ge 1 ] && [ -n "$(st_jv .last_checkpoint.at)" ]'
au_db "UPDATE operators SET role = '$au_role' WHERE $au_op" >/dev/null
au_get "/v1/audit/verify?from=3"
expect test_audit_verify_from_200_ok eval '[ "$STATUS" = 200 ] && conforms GET /v1/audit/verify && jq_eq .ok true'
au_get "/v1/audit/verify?from=x"
expect test_audit_verify_bad_from_400 eval 'is_problem 400 && conforms GET /v1/audit/verify && [ -n "$(st_jv .fields.from)" ]'
call GET "$API/v1/audit/verify" $(tls "$term_a")
expect test_audit_verify_terminal_403 eval 'is_problem 403 && conforms GET /v1/audit/verify'

expect test_jpkictl_audit_verify_config_ok eval '"$jpkictl" audit verify -c "$conf" > "$work/au.out" 2>&1 && grep -q "^audit chain OK: [0-9]* rows, sealed through seq [0-9]*, [1-9][0-9]* checkpoints" "$work/au.out"'
expect test_jpkictl_audit_verify_usage_2 eval '"$jpkictl" audit verify --db "$conninfo" >/dev/null 2>&1; [ $? = 2 ]'

# A second instance with a checkpoint a second: both seal, one at a time.
au_api=$(jpki_free_port $((console_port + 20)))
au_st=$(jpki_free_port $((au_api + 1)))
jpki_write_config "$work/au.conf" "$ca" "$conninfo" "$au_api" "$au_st"
printf 'seal_interval = 1\n' >> "$work/au.conf"
start_jpkid "$work/au.conf" "$work/jpkid-au.log"
au_pid=$JPKID_PID
wait_ready "http://127.0.0.1:$au_st" 20
au_n0=$(au_db "SELECT count(*) FROM audit_checkpoints")
for i in 1 2 3; do au_get "/v1/audit?limit=1"; sleep 1.2; done
expect test_audit_checkpoint_every_interval au_wait 10 "SELECT count(*) >= $au_n0 + 2 FROM audit_checkpoints"
expect test_audit_interval_checkpoints_journalled eval '[ "$(grep -c "msg=\"audit checkpoint\" seq=" "$work/jpkid-au.log")" -ge 1 ]'
expect test_audit_two_instances_one_chain eval 'au_wait 10 "SELECT count(*) = 0 FROM audit_log WHERE sealed_hash IS NULL" && [ "$(au_db "SELECT count(*) = max(chain_pos) FROM audit_log")" = t ] && "$jpkictl" audit verify -c "$conf" >/dev/null 2>&1'
kill -TERM "$au_pid"
wait "$au_pid" 2>/dev/null

# Without an [audit] key: rows are still chained, no checkpoints (own
# database). 12000 rows: the sealer and the verifier each take several
# batches of 5000.
jpki_psql "$pg" postgres -c "CREATE DATABASE jpkid_nokey OWNER jpkid" >/dev/null
au_napi=$(jpki_free_port $((au_st + 1)))
au_nst=$(jpki_free_port $((au_napi + 1)))
jpki_write_config "$work/au-nokey.conf" "$ca" "host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid_nokey" "$au_napi" "$au_nst"
sed -i '/^\[audit\]$/,$d' "$work/au-nokey.conf"
start_jpkid "$work/au-nokey.conf" "$work/jpkid-nokey.log"
au_npid=$JPKID_PID
wait_ready "http://127.0.0.1:$au_nst" 20
au_db "INSERT INTO audit_log (actor, action, object) SELECT 'operator:1', 'test.row', 'n' || g FROM generate_series(1, 12000) g" jpkid_nokey >/dev/null
expect test_audit_without_key_rows_still_sealed au_wait 30 "SELECT count(*) >= 12000 AND max(chain_pos) = count(*) AND count(sealed_hash) = count(*) FROM audit_log" jpkid_nokey
expect test_audit_without_key_no_checkpoints eval 'sleep 2; [ "$(au_db "SELECT count(*) FROM audit_checkpoints" jpkid_nokey)" = 0 ]'
# The hazard of 0006: a long transaction commits a row with a lower seq after
# a higher one was sealed; it joins the chain at its end.
( au_db "BEGIN; INSERT INTO audit_log (actor, action) VALUES ('operator:1', 'late.row'); SELECT pg_sleep(5); COMMIT" jpkid_nokey >/dev/null ) &
au_late=$!
sleep 1
au_db "INSERT INTO audit_log (actor, action) VALUES ('operator:1', 'early.row')" jpkid_nokey >/dev/null
au_wait 10 "SELECT count(*) = 1 FROM audit_log WHERE action = 'early.row' AND sealed_hash IS NOT NULL" jpkid_nokey
wait "$au_late"
expect test_audit_late_commit_joins_the_chain_end au_wait 10 "SELECT l.seq < e.seq AND l.chain_pos > e.chain_pos FROM audit_log l, audit_log e
	WHERE l.action = 'late.row' AND e.action = 'early.row' AND l.sealed_hash IS NOT NULL" jpkid_nokey
expect test_audit_without_key_verify_ok_signatures_not_checked eval '"$jpkictl" audit verify -c "$work/au-nokey.conf" > "$work/au.out" 2>&1 && grep -q "^audit chain OK: $(au_db "SELECT count(*) FROM audit_log" jpkid_nokey) rows, sealed through seq [0-9]*, 0 checkpoints (signatures not checked)" "$work/au.out"'
kill -TERM "$au_npid"
wait "$au_npid" 2>/dev/null

# Tampering, each on its own copy of the database.
au_wait 10 "SELECT count(*) = 0 FROM audit_log WHERE sealed_hash IS NULL"
"$PGBIN/pg_dump" -h "$pg" -p "$(cat "$pg/port")" -U postgres jpkid > "$work/au.dump"
au_copy() {	# au_copy NAME: a fresh database NAME from the dump
	jpki_psql "$pg" postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null &&
	jpki_psql "$pg" "$1" -f "$work/au.dump" >/dev/null 2>&1
	au_db "ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_checkpoints DISABLE TRIGGER USER" "$1" >/dev/null
}
au_verify() {	# au_verify DB [args]: jpkictl audit verify --db; sets AU_RC, output in $work/au.out
	local db=$1
	shift
	"$jpkictl" audit verify --db "host=$pg port=$(cat "$pg/port") user=postgres dbname=$db" \
		--cert "$ca/audit.crt" "$@" > "$work/au.out" 2>&1
	AU_RC=$?
}
au_seq_at() { au_db "SELECT seq FROM audit_log WHERE chain_pos = $1" "$2"; }

au_copy jpkid_t0
au_verify jpkid_t0
expect test_audit_tamper_untouched_copy_passes eval '[ $AU_RC = 0 ] && grep -q "^audit chain OK" "$work/au.out"'

au_copy jpkid_t1
au_bad=$(au_seq_at 3 jpkid_t1)
au_db "UPDATE audit_log SET detail = detail || '{\"tampered\": true}' WHERE chain_pos = 3" jpkid_t1 >/dev/null
au_verify jpkid_t1
expect test_audit_tamper_updated_row_names_its_seq eval '[ $AU_RC = 1 ] && grep -q "^audit chain BROKEN at seq $au_bad: row does not match its seal" "$work/au.out"'
au_verify jpkid_t1 --from "$(au_seq_at 4 jpkid_t1)"
expect test_audit_tamper_verify_from_after_the_edit_passes eval '[ $AU_RC = 0 ]'

au_copy jpkid_t2
au_next=$(au_seq_at 4 jpkid_t2)
au_db "DELETE FROM audit_log WHERE chain_pos = 3" jpkid_t2 >/dev/null
au_verify jpkid_t2
expect test_audit_tamper_deleted_row_names_the_next_seq eval '[ $AU_RC = 1 ] && grep -q "^audit chain BROKEN at seq $au_next: chain position 3 is missing" "$work/au.out"'

au_copy jpkid_t3
au_cp=$(au_db "SELECT chain_pos || ' ' || seq FROM audit_checkpoints ORDER BY chain_pos DESC LIMIT 1" jpkid_t3)
au_db "DELETE FROM audit_log WHERE chain_pos >= ${au_cp% *}" jpkid_t3 >/dev/null
au_verify jpkid_t3
expect test_audit_tamper_truncated_tail_exits_1 eval '[ $AU_RC = 1 ] && grep -q "^audit chain BROKEN at seq ${au_cp#* }: .*gone" "$work/au.out" || { cat "$work/au.out" >&2; false; }'

au_copy jpkid_t4
au_s2=$(au_seq_at 2 jpkid_t4)
au_db "UPDATE audit_log a SET at = b.at, actor = b.actor, action = b.action, object = b.object, detail = b.detail
	FROM (SELECT chain_pos, at, actor, action, object, detail FROM audit_log WHERE chain_pos IN (2, 3)) b
	WHERE a.chain_pos IN (2, 3) AND b.chain_pos = 5 - a.chain_pos" jpkid_t4 >/dev/null
au_verify jpkid_t4
expect test_audit_tamper_swapped_rows_exit_1 eval '[ $AU_RC = 1 ] && grep -q "^audit chain BROKEN at seq $au_s2: row does not match" "$work/au.out"'

au_copy jpkid_t5
au_cps=$(au_db "SELECT seq FROM audit_checkpoints ORDER BY chain_pos LIMIT 1" jpkid_t5)
au_db "UPDATE audit_checkpoints SET signature = set_byte(signature, 20, get_byte(signature, 20) # 1)
	WHERE chain_pos = (SELECT min(chain_pos) FROM audit_checkpoints)" jpkid_t5 >/dev/null
au_verify jpkid_t5
expect test_audit_tamper_forged_checkpoint_signature_exit_1 eval '[ $AU_RC = 1 ] && grep -q "^audit chain BROKEN at seq $au_cps: checkpoint signature does not verify" "$work/au.out"'

au_copy jpkid_t6
au_db "INSERT INTO audit_log (seq, actor, action, detail, chain_pos, sealed_hash)
	SELECT 900000, 'operator:1', 'forged', '{}', max(chain_pos) + 1, sha256('x') FROM audit_log" jpkid_t6 >/dev/null
au_verify jpkid_t6
expect test_audit_tamper_inserted_sealed_row_exit_1 eval '[ $AU_RC = 1 ] && grep -q "^audit chain BROKEN at seq 900000" "$work/au.out"'

au_copy jpkid_t7
au_cpr=$(au_db "SELECT seq FROM audit_checkpoints ORDER BY chain_pos LIMIT 1" jpkid_t7)
au_db "UPDATE audit_checkpoints SET hash = sha256('y') WHERE chain_pos = (SELECT min(chain_pos) FROM audit_checkpoints)" jpkid_t7 >/dev/null
au_verify jpkid_t7
expect test_audit_tamper_rewritten_checkpoint_hash_exit_1 eval '[ $AU_RC = 1 ] && grep -q "^audit chain BROKEN at seq $au_cpr: checkpoint hash" "$work/au.out"'
for i in t0 t1 t2 t3 t4 t5 t6 t7 nokey; do jpki_psql "$pg" postgres -c "DROP DATABASE IF EXISTS jpkid_$i" >/dev/null 2>&1; done
