-- 0015_crl_parts (issue 15): a large CRL's DER in 8,000-octet rows.
--
-- A 1,000,000-entry shard's CRL is about 55 MB. As one bytea value
-- (crls.der, STORAGE EXTERNAL since 0003: compressing it cost more CPU than
-- it saved, measured with pglz and lz4) PostgreSQL cuts it into ~28,000
-- TOAST chunks of 1,996 octets, each a heap tuple plus a TOAST index entry:
-- about 1.2 s of the publication. The same DER written with COPY into
-- crl_parts (STORAGE PLAIN, no TOAST at all) is ~7,000 rows: about half the
-- time (tests/bench/crl.sh). The parts stay in the database, in the same
-- transaction as the crls row: backups, WAL and replicas carry them like
-- any row, and the previous CRL is served until the new one is committed.
--
-- api/status/crls.c keeps a small DER in crls.der (der_bytes NULL) and puts
-- one above CRL_INLINE_MAX into crl_parts (der NULL, der_bytes its length);
-- Q_CRL_DER reassembles the parts in seq order and api/status/crl_serve.c
-- checks the length against der_bytes.
CREATE TABLE crl_parts (
	issuer			text NOT NULL,
	shard			char(6) NOT NULL,
	number			bigint NOT NULL,
	seq			int NOT NULL
				CONSTRAINT crl_parts_seq_check CHECK (seq >= 0),
	bytes			bytea NOT NULL
				CONSTRAINT crl_parts_bytes_check
				CHECK (octet_length(bytes) BETWEEN 1 AND 8000),
	PRIMARY KEY (issuer, shard, number, seq),
	FOREIGN KEY (issuer, shard, number) REFERENCES crls (issuer, shard, number)
		ON DELETE CASCADE
);
-- A part fits in a heap page (MaxHeapTupleSize 8,160): never TOASTed.
ALTER TABLE crl_parts ALTER COLUMN bytes SET STORAGE PLAIN;

ALTER TABLE crls ALTER COLUMN der DROP NOT NULL;
ALTER TABLE crls ADD COLUMN der_bytes bigint;
-- Exactly one of der and der_bytes (never NULL: a NULL CHECK would pass).
ALTER TABLE crls ADD CONSTRAINT crls_der_where CHECK
	((der IS NULL) <> (der_bytes IS NULL) AND coalesce(der_bytes, 1) > 0);
COMMENT ON COLUMN crls.der_bytes IS
	'NULL: the DER is der; else der is NULL and the DER is this many octets in crl_parts';

-- jpkid inserts and reads crl_parts: the 0013 list with it (0013's comment).
CREATE OR REPLACE FUNCTION jpki_grant_runtime(p_role regrole) RETURNS void
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
		('crl_parts',		'SELECT, INSERT'),
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

DO $$
BEGIN
	IF to_regrole('jpkid') IS NOT NULL THEN
		PERFORM jpki_grant_runtime('jpkid');
	END IF;
END
$$;
