-- 0016_principal_notify (issue 15), part 1: jpkid keeps the principal of a client
-- certificate in memory (api/principal_cache.c) instead of reading the
-- principals view on every request. Every change that can alter what the
-- view answers for a certificate notifies jpkid_principal_change, and each
-- jpkid's job thread drops its whole cache on it (and bypasses the cache
-- while its LISTEN connection is away), so disabling, re-keying or moving a
-- terminal or operator takes effect on the next request, as before.
--
-- Only the columns the view and its municipality join read: the
-- last_seen_at touch (0008, once a minute per connection), password and
-- TOTP changes notify nothing. Statement-level: a bulk change is one
-- notification, and PostgreSQL folds identical ones within a transaction.
CREATE FUNCTION jpki_notify_principal_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('jpkid_principal_change', TG_TABLE_NAME);
	RETURN NULL;
END;
$$;

CREATE TRIGGER terminals_principal_change
	AFTER INSERT OR DELETE OR UPDATE OF name, municipality_code, cert_sha256, enabled
	ON terminals FOR EACH STATEMENT EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER terminals_principal_truncate
	AFTER TRUNCATE ON terminals FOR EACH STATEMENT
	EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER register_feeds_principal_change
	AFTER INSERT OR DELETE OR UPDATE OF name, cert_sha256, enabled
	ON register_feeds FOR EACH STATEMENT EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER register_feeds_principal_truncate
	AFTER TRUNCATE ON register_feeds FOR EACH STATEMENT
	EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER kiosks_principal_change
	AFTER INSERT OR DELETE OR UPDATE OF name, cert_sha256, enabled
	ON kiosks FOR EACH STATEMENT EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER kiosks_principal_truncate
	AFTER TRUNCATE ON kiosks FOR EACH STATEMENT
	EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER relying_parties_principal_change
	AFTER INSERT OR DELETE OR UPDATE OF name, cert_sha256, enabled
	ON relying_parties FOR EACH STATEMENT EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER relying_parties_principal_truncate
	AFTER TRUNCATE ON relying_parties FOR EACH STATEMENT
	EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER operators_principal_change
	AFTER INSERT OR DELETE OR UPDATE OF username, cert_sha256, enabled, role
	ON operators FOR EACH STATEMENT EXECUTE FUNCTION jpki_notify_principal_change();
CREATE TRIGGER operators_principal_truncate
	AFTER TRUNCATE ON operators FOR EACH STATEMENT
	EXECUTE FUNCTION jpki_notify_principal_change();
-- A terminal's principal carries its municipality's name and prefecture.
CREATE TRIGGER municipalities_principal_change
	AFTER DELETE OR UPDATE OF name, prefecture
	ON municipalities FOR EACH STATEMENT EXECUTE FUNCTION jpki_notify_principal_change();

-- Part 2: the runtime role's rights as data. 0013 and 0015 each replaced
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

-- Part 3: indexes an issuance maintains (issue 15: each certificate row is
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
