-- 0002_issuance: what issuance (issue 3) needs beyond 0001.
--
-- 1. Certificate status 'expired'. R8: a renewal after expiry is an
--    ordinary issuance; the expired certificate is not revoked (it must not
--    appear on a CRL, R26), but it has to leave the "one valid certificate
--    per type" index (R9). Issuance marks it expired in the same
--    transaction. An expired certificate never changes again.
ALTER TABLE certificates DROP CONSTRAINT certificates_status_check;
ALTER TABLE certificates ADD CONSTRAINT certificates_status_check
	CHECK (status IN ('valid', 'revoked', 'expired'));
ALTER TABLE certificates DROP CONSTRAINT certificates_revocation_check;
ALTER TABLE certificates ADD CONSTRAINT certificates_revocation_check CHECK (
	(status IN ('valid', 'expired') AND revoked_at IS NULL AND reason IS NULL AND
	    invalidity_date IS NULL) OR
	(status = 'revoked' AND revoked_at IS NOT NULL AND reason IS NOT NULL));

CREATE OR REPLACE FUNCTION certificates_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.issuer IS DISTINCT FROM OLD.issuer OR NEW.serial IS DISTINCT FROM OLD.serial OR
	    NEW.type IS DISTINCT FROM OLD.type OR
	    NEW.resident_code IS DISTINCT FROM OLD.resident_code OR
	    NEW.card_number IS DISTINCT FROM OLD.card_number OR
	    NEW.subject IS DISTINCT FROM OLD.subject OR
	    NEW.not_before IS DISTINCT FROM OLD.not_before OR
	    NEW.not_after IS DISTINCT FROM OLD.not_after OR
	    NEW.crl_shard IS DISTINCT FROM OLD.crl_shard OR
	    NEW.der IS DISTINCT FROM OLD.der OR
	    NEW.issued_at IS DISTINCT FROM OLD.issued_at THEN
		RAISE EXCEPTION 'certificate contents are immutable'
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'certificates_immutable';
	END IF;
	IF OLD.status = 'revoked' AND (NEW.status IS DISTINCT FROM OLD.status OR
	    NEW.revoked_at IS DISTINCT FROM OLD.revoked_at OR
	    NEW.reason IS DISTINCT FROM OLD.reason) THEN
		RAISE EXCEPTION 'revocation is final (R26)'
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'certificates_revocation_final';
	END IF;
	IF OLD.status = 'expired' AND NEW.status IS DISTINCT FROM OLD.status THEN
		RAISE EXCEPTION 'an expired certificate stays expired'
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'certificates_expiry_final';
	END IF;
	RETURN NEW;
END
$$;

-- 2. Applications: the certificates issued so far for each type requested,
--    and the answer-code salt of the inquiry (R13; the code itself is never
--    stored, only SHA-256(salt || code)).
ALTER TABLE applications ADD COLUMN issued_types text[] NOT NULL DEFAULT '{}'
	CONSTRAINT applications_issued_types_check CHECK (issued_types <@ types);
ALTER TABLE inquiries ADD COLUMN answer_salt bytea NOT NULL DEFAULT '\x00'::bytea;

-- 3. The latest unrevoked certificate of a resident per type (R8 renewal
--    classification and GET /v1/residents): served by this index.
CREATE INDEX certificates_resident_type_idx ON certificates (resident_code, type, not_after DESC)
	WHERE status <> 'revoked';
