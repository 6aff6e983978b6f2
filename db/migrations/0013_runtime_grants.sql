-- 0013 (issue 14): the rights of the role jpkid runs as, in one place.
--
-- Migrations and set-up (jpkictl migrate, schema changes, demo loads) run as
-- the schema owner; jpkid itself connects as a login role with exactly what
-- its statements need (db/queries.c, the triggers and functions they fire):
-- SELECT/INSERT/UPDATE per table, DELETE only where the code deletes, USAGE
-- on the sequences, EXECUTE on the functions it calls. No DDL (it owns
-- nothing and has no CREATE on the schema), no TRUNCATE, no REFERENCES or
-- TRIGGER.
--
-- The audit tables stay append-only for it: audit_log gets INSERT and an
-- UPDATE of chain_pos and sealed_hash only (the sealer, api/operators/
-- audit_seal.c; audit_log_append_only lets that UPDATE through once per row
-- and refuses every other), audit_checkpoints INSERT only; no DELETE on
-- either.
--
-- jpki_grant_runtime(ROLE) applies the list (revoking first, so it also
-- takes away what the list no longer names); this migration calls it for a
-- role named jpkid when there is one. For another role name, or a role made
-- after migrating: SELECT jpki_grant_runtime('name') as the owner. A later
-- migration that adds a table, or a function jpkid calls, replaces this
-- function with the new list and calls it again (tests/api/grants.sh fails
-- on a table jpkid has no grant on).
CREATE FUNCTION jpki_grant_runtime(p_role regrole) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	g	record;
BEGIN
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %s', p_role);
	EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %s', p_role);
	EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM %s', p_role);
	FOR g IN SELECT * FROM (VALUES
		-- reference data
		('municipalities',		'SELECT, UPDATE'),	-- R9 counter hours
		('holidays',			'SELECT, INSERT, UPDATE, DELETE'),
		-- register and cards (feed, counter)
		('residents',			'SELECT, INSERT, UPDATE'),
		('register_changes',		'SELECT, INSERT, UPDATE'),	-- trigger inserts, sweep marks
		('cards',			'SELECT, INSERT, UPDATE'),
		('card_events',			'SELECT, INSERT'),
		-- principals (enrolment, admin API, last_seen_at)
		('terminals',			'SELECT, INSERT, UPDATE'),
		('register_feeds',		'SELECT, INSERT, UPDATE'),
		('kiosks',			'SELECT, INSERT, UPDATE'),
		('relying_parties',		'SELECT, INSERT, UPDATE'),
		('relying_party_usage',		'SELECT, INSERT, UPDATE'),
		('operators',			'SELECT, INSERT, UPDATE'),
		('operator_sessions',		'SELECT, INSERT, UPDATE, DELETE'),	-- logout, expiry
		('login_addresses',		'SELECT, INSERT, UPDATE, DELETE'),
		('principals',			'SELECT'),	-- view
		-- applications and issuance
		('applications',		'SELECT, INSERT, UPDATE'),
		('inquiries',			'SELECT, INSERT, UPDATE'),
		('pin_reset_challenges',	'SELECT, INSERT, UPDATE'),
		('pin_reset_authorizations',	'SELECT, INSERT, UPDATE'),
		('serials',			'SELECT, INSERT'),
		('certificates',		'SELECT, INSERT, UPDATE'),
		('revocations',			'SELECT, INSERT'),	-- certificates_revoked trigger
		('crls',			'SELECT, INSERT'),
		('suspensions',			'SELECT, INSERT, UPDATE'),
		('notice_batches',		'SELECT, INSERT'),
		('notices',			'SELECT, INSERT'),
		('idempotency',			'SELECT, INSERT, UPDATE'),
		-- audit: append-only
		('audit_log',			'SELECT, INSERT, UPDATE (chain_pos, sealed_hash)'),
		('audit_checkpoints',		'SELECT, INSERT'),
		-- statistics (triggers append deltas, stats_fold folds them)
		('stats_deltas',		'SELECT, INSERT, DELETE'),
		('stats_counts',		'SELECT, INSERT, UPDATE'),
		('stats_expiry',		'SELECT, INSERT, UPDATE, DELETE'),
		('stats_daily',			'SELECT, INSERT, UPDATE, DELETE'),
		('stats_state',			'SELECT, UPDATE'),
		-- jpkid checks the schema version at start (db/migrate.c)
		('schema_migrations',		'SELECT')
	) AS t (tbl, privs) LOOP
		EXECUTE format('GRANT %s ON TABLE %I TO %s', g.privs, g.tbl, p_role);
	END LOOP;
	-- bigserial ids of the tables above and sign_subject_seq (R23).
	EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %s', p_role);
	-- Called by its statements or by the functions and triggers they run.
	EXECUTE format('GRANT EXECUTE ON FUNCTION stats_fold(timestamptz),'
	    ' stats_report(timestamptz, text, text, int), stats_compact_point(timestamptz),'
	    ' stats_daily_point(timestamptz), der_certificate_spki(bytea) TO %s', p_role);
END
$$;

-- Functions run for their callers only when granted (PostgreSQL grants
-- EXECUTE to PUBLIC by default; trigger functions need no EXECUTE to fire).
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;

DO $$
BEGIN
	IF to_regrole('jpkid') IS NOT NULL THEN
		PERFORM jpki_grant_runtime('jpkid');
	END IF;
END
$$;
