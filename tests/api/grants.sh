# Section "grants" of tests/api/run.sh: the rights of the PostgreSQL role
# jpkid connects as (db/migrations/0013_runtime_grants.sql, deploy/lib.sh
# jpki_pg_createdb). The other sections prove they are enough (the harness's
# jpkid runs as that role); this one proves they are no more: no DDL, no
# TRUNCATE, the audit tables append-only, nothing of the superuser's.

# gr_as_jpkid SQL: run SQL as the role jpkid; output and errors in $work/gr.out.
gr_as_jpkid() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$pg" -p "$(cat "$pg/port")" -U jpkid -d jpkid \
		-tAc "$1" > "$work/gr.out" 2>&1
}
# gr_refused NAME SQL PATTERN: SQL as jpkid fails with an error matching PATTERN.
gr_refused() {
	local name=$1 sql=$2 pat=$3
	if gr_as_jpkid "$sql"; then
		not_ok "$name" "accepted: $sql"
	elif grep -Eq "$pat" "$work/gr.out"; then
		ok "$name"
	else
		not_ok "$name" "$(head -c 300 "$work/gr.out")"
	fi
}
gr_db() { jpki_psql "$pg" jpkid -tAc "$1"; }

expect test_grants_jpkid_role_has_no_superuser_attributes \
	test "$(gr_db "SELECT rolsuper::text || rolcreatedb::text || rolcreaterole::text || rolbypassrls::text
	    FROM pg_roles WHERE rolname = 'jpkid'")" = falsefalsefalsefalse
# (The database jpkid uses; some sections make other databases of their own.)
expect test_grants_jpkid_owns_no_database_and_no_object eval '[ "$(gr_db "SELECT
    (SELECT count(*) FROM pg_database WHERE datname = current_database()
        AND pg_get_userbyid(datdba) = '"'jpkid'"') +
    (SELECT count(*) FROM pg_class WHERE pg_get_userbyid(relowner) = '"'jpkid'"') +
    (SELECT count(*) FROM pg_namespace WHERE pg_get_userbyid(nspowner) = '"'jpkid'"')")" = 0 ]'

# ---- DDL: jpkid owns nothing and may create nothing
gr_refused test_grants_no_create_table "CREATE TABLE gr_probe (a int)" \
	'permission denied for schema public'
gr_refused test_grants_no_create_function \
	"CREATE FUNCTION gr_probe() RETURNS int LANGUAGE sql AS 'SELECT 1'" \
	'permission denied for schema public'
gr_refused test_grants_no_create_schema "CREATE SCHEMA gr_probe" 'permission denied for database'
gr_refused test_grants_no_drop_table "DROP TABLE certificates" 'must be owner of table certificates'
gr_refused test_grants_no_alter_table "ALTER TABLE certificates ADD COLUMN gr_probe int" \
	'must be owner of table certificates'
gr_refused test_grants_no_drop_trigger "DROP TRIGGER audit_log_append_only ON audit_log" \
	'must be owner of (table|relation) audit_log'
gr_refused test_grants_no_truncate "TRUNCATE idempotency" 'permission denied for table idempotency'
gr_refused test_grants_no_truncate_audit_log "TRUNCATE audit_log" 'permission denied for table audit_log'

# ---- audit tables: append-only (the sealer may set the seal once)
gr_refused test_grants_audit_log_no_update_of_content \
	"UPDATE audit_log SET actor = 'gr' WHERE seq = (SELECT max(seq) FROM audit_log)" \
	'permission denied for table audit_log'
gr_refused test_grants_audit_log_no_delete "DELETE FROM audit_log" \
	'permission denied for table audit_log'
gr_refused test_grants_audit_log_sealed_row_not_resealed \
	"UPDATE audit_log SET sealed_hash = '\\x00' WHERE seq = (SELECT min(seq) FROM audit_log WHERE sealed_hash IS NOT NULL)" \
	'audit_log is append-only'
gr_refused test_grants_audit_checkpoints_no_update "UPDATE audit_checkpoints SET at = now()" \
	'permission denied for table audit_checkpoints'
gr_refused test_grants_audit_checkpoints_no_delete "DELETE FROM audit_checkpoints" \
	'permission denied for table audit_checkpoints'

# ---- no DELETE where the code never deletes
gr_refused test_grants_no_delete_certificates "DELETE FROM certificates" \
	'permission denied for table certificates'
gr_refused test_grants_no_delete_residents "DELETE FROM residents" \
	'permission denied for table residents'
gr_refused test_grants_no_write_schema_migrations "DELETE FROM schema_migrations" \
	'permission denied for table schema_migrations'
# A published CRL is never changed or deleted (its parts neither).
gr_refused test_grants_crls_not_updatable "UPDATE crls SET entries = entries WHERE false" \
	'permission denied for table crls'
gr_refused test_grants_no_delete_crls "DELETE FROM crls WHERE false" \
	'permission denied for table crls'
gr_refused test_grants_crl_parts_not_updatable "UPDATE crl_parts SET seq = seq WHERE false" \
	'permission denied for table crl_parts'
gr_refused test_grants_runtime_grants_read_only "DELETE FROM runtime_grants" \
	'permission denied for table runtime_grants'
# stats_rebuild empties the statistics: an operator's tool, not jpkid's.
gr_refused test_grants_no_execute_stats_rebuild "SELECT stats_rebuild(now())" \
	'permission denied for function stats_rebuild'

# ---- nothing of the superuser's
gr_refused test_grants_no_pg_authid "SELECT rolpassword FROM pg_authid" \
	'permission denied for table pg_authid'
gr_refused test_grants_no_server_files "SELECT pg_read_file('postgresql.conf')" \
	'permission denied for function pg_read_file'
gr_refused test_grants_no_copy_to_program "COPY (SELECT 1) TO PROGRAM 'true'" \
	'permission denied|must be superuser|pg_execute_server_program'
gr_refused test_grants_no_migrate_as_jpkid \
	"CREATE TABLE IF NOT EXISTS schema_migrations (version int)" \
	'permission denied for schema public'

# ---- and what a request does: every table readable, the writes of an issuance
expect test_grants_every_table_readable_by_jpkid eval '[ -z "$(gr_db "SELECT string_agg(c.relname, '"' '"') FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '"'public'"'
    AND c.relkind IN ('"'r'"', '"'v'"') AND NOT has_table_privilege('"'jpkid'"', c.oid, '"'SELECT'"')")" ]'
expect test_grants_request_writes_as_jpkid gr_as_jpkid "BEGIN;
INSERT INTO idempotency (principal, key, request_hash) VALUES ('terminal:0', 'gr-probe', sha256('gr'));
UPDATE idempotency SET status = 201, content_type = 'application/json', response = '\\x7b7d'
    WHERE principal = 'terminal:0' AND key = 'gr-probe';
INSERT INTO audit_log (actor, action, object) VALUES ('terminal:0', 'gr.probe', 'gr');
SELECT count(*) FROM stats_report(now(), NULL, NULL, 10);
UPDATE terminals SET last_seen_at = now() WHERE id = (SELECT min(id) FROM terminals);
ROLLBACK"
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(tls "$term_a")
expect test_grants_api_request_served_as_jpkid eval '[ "$STATUS" = 200 ] && jq_eq .code 131016 &&
    [ "$(gr_db "SELECT count(*) FROM pg_stat_activity WHERE datname = '"'jpkid'"' AND usename = '"'jpkid'"'")" -ge 1 ]'

# ---- jpkid does not migrate as jpkid: on an unmigrated database it checks,
# is refused (no CREATE), and stays not ready until the owner migrates.
jpki_psql "$pg" postgres -c "CREATE DATABASE jpkid_gr OWNER postgres" >/dev/null
gr_api=$(jpki_free_port $((api_port + 700 + RANDOM % 200)))
gr_st=$(jpki_free_port $((gr_api + 1)))
jpki_write_config "$work/gr.conf" "$ca" "$(jpki_pg_conninfo "$pg" jpkid_gr jpkid)" "$gr_api" "$gr_st"
start_jpkid "$work/gr.conf" "$work/gr-jpkid.log"
gr_pid=$JPKID_PID
sleep 1.5
call GET "http://127.0.0.1:$gr_st/readyz"
expect test_grants_jpkid_role_cannot_migrate_stays_not_ready eval '[ "$STATUS" = 503 ] &&
    jq_eq .checks.schema "migrations pending" && grep -q "permission denied for schema public" "$work/gr-jpkid.log" &&
    [ "$(jpki_psql "$pg" jpkid_gr -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = '"'public'"'")" = 0 ]'
"$jpkictl" migrate --db "$(jpki_pg_conninfo "$pg" jpkid_gr postgres)" > "$work/gr-migrate.out" 2>&1
expect test_grants_owner_migrates_then_jpkid_becomes_ready wait_ready "http://127.0.0.1:$gr_st" 10
kill -TERM "$gr_pid"
wait "$gr_pid"
