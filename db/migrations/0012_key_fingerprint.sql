-- 0012: R22 (Decision) one key, one holder, one type.
--
-- certificates.key_sha256 = SHA-256 of the certificate's
-- SubjectPublicKeyInfo DER (the same bytes ca/policy_key.c hashes from a
-- CSR's key: OpenSSL writes the key's own encoding into the certificate).
-- With e fixed at 65537 (R22), equal fingerprints <=> equal moduli, so this
-- column is also the "modulus shared with an earlier certificate" test: no
-- separate modulus hash is needed.
--
-- api/counter/issue.c refuses a CSR whose key has any certificate here
-- (another resident, the other type, or an earlier certificate of the same
-- type: a card makes a new key pair for every issuance); it takes
-- pg_advisory_xact_lock on the fingerprint first, so two issuances of one
-- key are serialized and the second sees the first's row. The index below
-- is not UNIQUE because databases from before this migration may already
-- hold one key in several certificates (issue 13); those stay as they are
-- and still block the key for every new issuance.

-- The SPKI of a DER certificate, or NULL when der is not one (the walk
-- checks every length against the bytes it has; it never raises).
CREATE FUNCTION der_certificate_spki(der bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	n	int := octet_length(der);
	pos	int := 0;	-- 0-based offset of the current TLV
	tag	int;
	hdr	int;
	len	int;
	lb	int;
	i	int;
	step	int := 0;
BEGIN
	-- step 0: Certificate SEQUENCE, 1: tbsCertificate SEQUENCE (enter both);
	-- then [0] version (optional), serial, signature, issuer, validity,
	-- subject (skip), subjectPublicKeyInfo (return).
	LOOP
		IF pos + 2 > n THEN
			RETURN NULL;
		END IF;
		tag := get_byte(der, pos);
		lb := get_byte(der, pos + 1);
		IF lb < 128 THEN
			hdr := 2;
			len := lb;
		ELSE
			lb := lb - 128;
			IF lb = 0 OR lb > 3 OR pos + 2 + lb > n THEN
				RETURN NULL;
			END IF;
			len := 0;
			FOR i IN 0 .. lb - 1 LOOP
				len := len * 256 + get_byte(der, pos + 2 + i);
			END LOOP;
			hdr := 2 + lb;
		END IF;
		IF pos + hdr + len > n THEN
			RETURN NULL;
		END IF;
		IF step < 2 THEN
			IF tag <> 48 THEN	-- SEQUENCE
				RETURN NULL;
			END IF;
			pos := pos + hdr;
			step := step + 1;
		ELSIF step = 2 AND tag = 160 THEN	-- [0] version
			pos := pos + hdr + len;
		ELSIF step < 7 THEN
			pos := pos + hdr + len;
			step := step + 1;
		ELSE
			IF tag <> 48 THEN
				RETURN NULL;
			END IF;
			RETURN substring(der FROM pos + 1 FOR hdr + len);
		END IF;
	END LOOP;
END
$$;

ALTER TABLE certificates ADD COLUMN key_sha256 bytea
	CONSTRAINT certificates_key_sha256_check CHECK (octet_length(key_sha256) = 32);

-- Backfill from the stored DER (rows whose der is not a certificate stay NULL).
-- certificates_guard() does not list key_sha256, so this UPDATE is allowed;
-- the stats triggers fire only on status, revoked_at and reason.
UPDATE certificates SET key_sha256 = sha256(der_certificate_spki(der))
	WHERE key_sha256 IS NULL AND der_certificate_spki(der) IS NOT NULL;

CREATE INDEX certificates_key_idx ON certificates (key_sha256) WHERE key_sha256 IS NOT NULL;

-- Every insert gets the fingerprint of its DER, and a fingerprint that
-- contradicts the DER is refused; once set it never changes.
CREATE FUNCTION certificates_key_fingerprint() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	fp	bytea := sha256(der_certificate_spki(NEW.der));
BEGIN
	IF TG_OP = 'UPDATE' THEN
		IF OLD.key_sha256 IS NOT NULL AND
		    NEW.key_sha256 IS DISTINCT FROM OLD.key_sha256 THEN
			RAISE EXCEPTION 'a certificate''s key fingerprint is immutable (R22)'
			    USING ERRCODE = 'check_violation',
			    CONSTRAINT = 'certificates_key_immutable';
		END IF;
		RETURN NEW;
	END IF;
	IF NEW.key_sha256 IS NULL THEN
		NEW.key_sha256 := fp;
	ELSIF fp IS NOT NULL AND NEW.key_sha256 <> fp THEN
		RAISE EXCEPTION 'key_sha256 is not the fingerprint of the certificate''s key (R22)'
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'certificates_key_matches_der';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER certificates_key_fingerprint BEFORE INSERT OR UPDATE OF key_sha256
	ON certificates FOR EACH ROW EXECUTE FUNCTION certificates_key_fingerprint();
