-- 0016_grants_indexes (issue 15): the runtime role's rights as data, and
-- the indexes an issuance maintains.
--
-- (A principal cache kept coherent by NOTIFY triggers on the principal
-- tables was built and measured in this issue, +6% issuances/s, and not
-- kept: a notification reaches jpkid after the change's COMMIT has
-- returned, so on a busy machine a terminal moved or disabled could still
-- be served its old registration on its next request; R1 and the disable
-- must take effect at once. See NEWS.)

-- Part 1: the runtime role's rights as data. 0013 and 0015 each replaced
-- jpki_grant_runtime() with a copy of the whole list; from here the list
-- is the table runtime_grants, and a later migration that needs a right
-- changes a row (then calls jpki_grant_runtime for the jpkid role, as
-- below). The rights are those 0015 granted.
CREATE TABLE runtime_grants (
	tbl			text PRIMARY KEY,
	privs			text NOT NULL
);
COMMENT ON TABLE runtime_grants IS
	'What jpki_grant_runtime(role) grants jpkid''s PostgreSQL role, per table or view';
INSERT INTO runtime_grants (tbl, privs) VALUES
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
		('crl_parts',			'SELECT, INSERT'),
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
		('schema_migrations',		'SELECT'),
		-- this list (every table is readable by jpkid: tests/api/grants.sh)
		('runtime_grants',		'SELECT');

CREATE OR REPLACE FUNCTION jpki_grant_runtime(p_role regrole) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	g	record;
BEGIN
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %s', p_role);
	EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %s', p_role);
	EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM %s', p_role);
	FOR g IN SELECT tbl, privs FROM runtime_grants ORDER BY tbl LOOP
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

DO $$
BEGIN
	IF to_regrole('jpkid') IS NOT NULL THEN
		PERFORM jpki_grant_runtime('jpkid');
	END IF;
END
$$;

-- Part 2: indexes an issuance maintains (issue 15: each certificate row is
-- inserted once and, when superseded, updated once without HOT, through
-- every index of certificates; two audit rows go through every index of
-- audit_log). audit_log_object_idx (object) duplicates 0006's
-- audit_log_object_seq_idx (object, seq), same predicate: dropped. The
-- resident and card indexes keep their names and lead with the same column
-- and take the type (and the resident's the issue order) too, so
-- Q_CARD_FACTS reads the newest SIGN / AUTH of a resident as the first
-- entry of a range and counts a card's certificates of one type in the
-- index (tests/unit/test_plans.c checks they are used).
DROP INDEX audit_log_object_idx;
DROP INDEX certificates_resident_idx;
CREATE INDEX certificates_resident_idx ON certificates (resident_code, type, issued_at DESC, serial DESC);
DROP INDEX certificates_card_idx;
CREATE INDEX certificates_card_idx ON certificates (card_number, type);
