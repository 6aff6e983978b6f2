-- 0001_schema: the whole data model of DESIGN.md "Data", PostgreSQL 15.
--
-- Applied by db/migrate.c inside one transaction (no BEGIN/COMMIT here);
-- schema_migrations is created by migrate.c itself. A released migration is
-- never edited: change the schema with 0002_..., 0003_...
--
-- Conventions:
--  * A CHECK, FOREIGN KEY or UNIQUE makes every state the rules forbid
--    impossible to store, whichever path (API, jpkictl, plain SQL) writes it.
--    The constraint names are part of the contract: store.c reports them
--    (struct store_err.constraint) and callers may match on them.
--  * Secrets are never stored, only their SHA-256 (tokens, answer codes,
--    CSRF tokens) or an Argon2id encoding (operator passwords).
--  * Client certificates are registered by the SHA-256 of their DER.
--  * Timestamps are timestamptz; calendar dates (birth, card expiry) are date
--    and mean Japanese calendar days (RULES.md, R5-R8).

---------------------------------------------------------------------------
-- Shared helpers
---------------------------------------------------------------------------

-- Keep updated_at current on every UPDATE of a row that has one.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;

---------------------------------------------------------------------------
-- Register side (owned by the resident-register feed)
---------------------------------------------------------------------------

-- Local governments. code is the 6-digit local government code (with its
-- check digit). Each municipality is also one CRL shard per type (R24).
CREATE TABLE municipalities (
	code			char(6) PRIMARY KEY
				CONSTRAINT municipalities_code_check CHECK (code ~ '^[0-9]{6}$'),
	prefecture		text NOT NULL
				CONSTRAINT municipalities_prefecture_check
				CHECK (char_length(prefecture) BETWEEN 1 AND 16),
	name			text NOT NULL
				CONSTRAINT municipalities_name_check
				CHECK (char_length(name) BETWEEN 1 AND 64),
	-- CRL publication (DESIGN "CRLs"; R26: J-LIS publishes daily).
	crl_publish_hours	int NOT NULL DEFAULT 24
				CONSTRAINT municipalities_crl_publish_hours_check
				CHECK (crl_publish_hours BETWEEN 1 AND 168),
	crl_next_update_hours	int NOT NULL DEFAULT 48
				CONSTRAINT municipalities_crl_next_update_hours_check
				CHECK (crl_next_update_hours BETWEEN 1 AND 744),
	-- R19: counter opening hours, enforced only when hours_enforced.
	hours_enforced		boolean NOT NULL DEFAULT false,
	opens			time,
	closes			time,
	-- ISO day of week numbers as extract(isodow): 1 = Monday ... 7 = Sunday.
	closed_weekdays		int[] NOT NULL DEFAULT '{6,7}'
				CONSTRAINT municipalities_closed_weekdays_check
				CHECK (closed_weekdays <@ '{1,2,3,4,5,6,7}'::int[]),
	-- R19: 29 Dec - 3 Jan.
	year_end_closed		boolean NOT NULL DEFAULT true,
	-- Extra closed days of this municipality (national ones: holidays).
	closed_dates		date[] NOT NULL DEFAULT '{}',
	-- R18: "several municipalities waive fees for now".
	fees_waived		boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT municipalities_hours_check CHECK (
	    (opens IS NULL) = (closes IS NULL) AND (opens IS NULL OR opens < closes)),
	CONSTRAINT municipalities_hours_enforced_check CHECK (
	    NOT hours_enforced OR opens IS NOT NULL),
	CONSTRAINT municipalities_crl_window_check CHECK (
	    crl_next_update_hours > crl_publish_hours)
);
CREATE TRIGGER municipalities_updated_at BEFORE UPDATE ON municipalities
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- National holidays (R19), for every municipality that enforces hours.
CREATE TABLE holidays (
	day			date PRIMARY KEY,
	name			text NOT NULL
);

-- Residents of the basic resident register. The "basic four information"
-- (names incl. former surname and alias, birth date, sex, address) are what
-- a SIGN certificate carries (R25); changing them revokes SIGN (R10).
CREATE TABLE residents (
	resident_code		char(11) PRIMARY KEY
				CONSTRAINT residents_resident_code_check
				CHECK (resident_code ~ '^[0-9]{11}$'),
	municipality_code	char(6) NOT NULL REFERENCES municipalities (code),
	family_name		text NOT NULL
				CONSTRAINT residents_family_name_check
				CHECK (char_length(family_name) BETWEEN 1 AND 64),
	-- Some foreign residents have a single name: given_name may be empty.
	given_name		text NOT NULL DEFAULT ''
				CONSTRAINT residents_given_name_check
				CHECK (char_length(given_name) <= 64),
	family_name_kana	text
				CONSTRAINT residents_family_name_kana_check
				CHECK (char_length(family_name_kana) BETWEEN 1 AND 128),
	given_name_kana		text
				CONSTRAINT residents_given_name_kana_check
				CHECK (char_length(given_name_kana) <= 128),
	-- 旧氏 (registered former surname) and 通称 (alias of a foreign resident).
	former_surname		text
				CONSTRAINT residents_former_surname_check
				CHECK (char_length(former_surname) BETWEEN 1 AND 64),
	alias			text
				CONSTRAINT residents_alias_check
				CHECK (char_length(alias) BETWEEN 1 AND 128),
	-- R20: the register's substitute forms (代替文字 or kana), used in a
	-- certificate when the original is not representable in JIS X 0208/0212.
	family_name_substitute	text
				CONSTRAINT residents_family_name_substitute_check
				CHECK (char_length(family_name_substitute) BETWEEN 1 AND 64),
	given_name_substitute	text
				CONSTRAINT residents_given_name_substitute_check
				CHECK (char_length(given_name_substitute) <= 64),
	address_substitute	text
				CONSTRAINT residents_address_substitute_check
				CHECK (char_length(address_substitute) BETWEEN 1 AND 200),
	birth_date		date NOT NULL
				CONSTRAINT residents_birth_date_check
				CHECK (birth_date >= DATE '1868-01-01'),
	-- JIS X 0303: 1 male, 2 female, 9 not applicable (R25 .3).
	sex			char(1) NOT NULL
				CONSTRAINT residents_sex_check CHECK (sex IN ('1', '2', '9')),
	-- R25 .5: at most 200 characters, no postcode.
	address			text NOT NULL
				CONSTRAINT residents_address_check
				CHECK (char_length(address) BETWEEN 1 AND 200),
	adult_ward		boolean NOT NULL DEFAULT false,		-- R4, R13
	status			text NOT NULL DEFAULT 'registered'
				CONSTRAINT residents_status_check
				CHECK (status IN ('registered', 'removed', 'deceased')),	-- R1, R12
	-- Bumped by residents_register_change() on every real change; the
	-- optimistic-concurrency token of PUT /v1/residents.
	version			bigint NOT NULL DEFAULT 1,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX residents_municipality_idx ON residents (municipality_code);

-- Cards. A My Number card number is 12 digits; Juki card numbers are kept
-- only so that requests naming one can be refused (R2, R17).
CREATE TABLE cards (
	card_number		text PRIMARY KEY,
	resident_code		char(11) NOT NULL REFERENCES residents (resident_code),
	kind			text NOT NULL
				CONSTRAINT cards_kind_check CHECK (kind IN ('mynumber', 'juki')),
	issued_on		date NOT NULL,
	expires_on		date NOT NULL,
	status			text NOT NULL DEFAULT 'active'
				CONSTRAINT cards_status_check
				CHECK (status IN ('active', 'lost', 'suspended', 'returned',
				    'reissued', 'expired')),	-- R11
	-- The basic four as recorded on the card surface / chip (R3).
	card_family_name	text NOT NULL
				CONSTRAINT cards_card_family_name_check
				CHECK (char_length(card_family_name) BETWEEN 1 AND 64),
	card_given_name		text NOT NULL DEFAULT ''
				CONSTRAINT cards_card_given_name_check
				CHECK (char_length(card_given_name) <= 64),
	card_former_surname	text
				CONSTRAINT cards_card_former_surname_check
				CHECK (char_length(card_former_surname) BETWEEN 1 AND 64),
	card_alias		text
				CONSTRAINT cards_card_alias_check
				CHECK (char_length(card_alias) BETWEEN 1 AND 128),
	card_birth_date		date NOT NULL,
	card_sex		char(1) NOT NULL
				CONSTRAINT cards_card_sex_check CHECK (card_sex IN ('1', '2', '9')),
	card_address		text NOT NULL
				CONSTRAINT cards_card_address_check
				CHECK (char_length(card_address) BETWEEN 1 AND 200),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT cards_number_check CHECK (
	    (kind = 'mynumber' AND card_number ~ '^[0-9]{12}$') OR
	    (kind = 'juki' AND card_number ~ '^[0-9A-Z]{1,16}$')),
	CONSTRAINT cards_validity_check CHECK (expires_on > issued_on),
	-- Target of the composite FK from certificates: a certificate's card
	-- belongs to the certificate's resident.
	CONSTRAINT cards_card_resident_key UNIQUE (card_number, resident_code)
);
CREATE INDEX cards_resident_idx ON cards (resident_code);
-- A resident holds at most one active My Number card (a new card replaces
-- the old one, whose status becomes reissued/returned first; R2, R11).
CREATE UNIQUE INDEX cards_one_active_mynumber ON cards (resident_code)
	WHERE status = 'active' AND kind = 'mynumber';
CREATE TRIGGER cards_updated_at BEFORE UPDATE ON cards
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- R10/R12 queue. Filled by the trigger below whether a change arrives
-- through the API or straight in SQL; the daemon's register-change sweep
-- (LISTEN jpkid_register_change, plus a periodic scan of the pending
-- index) revokes what the rules say and sets processed_at.
CREATE TABLE register_changes (
	id			bigserial PRIMARY KEY,
	resident_code		char(11) NOT NULL REFERENCES residents (resident_code),
	-- basic_four: R10 (revoke SIGN, affiliationChanged);
	-- removed/deceased: R12 (revoke both, cessationOfOperation).
	kind			text NOT NULL
				CONSTRAINT register_changes_kind_check
				CHECK (kind IN ('basic_four', 'removed', 'deceased')),
	fields			text[] NOT NULL,
	version			bigint NOT NULL,	-- residents.version after the change
	changed_at		timestamptz NOT NULL DEFAULT now(),
	processed_at		timestamptz,
	CONSTRAINT register_changes_fields_check CHECK (cardinality(fields) > 0)
);
CREATE INDEX register_changes_pending_idx ON register_changes (id)
	WHERE processed_at IS NULL;
CREATE INDEX register_changes_resident_idx ON register_changes (resident_code);

-- R10, R12. BEFORE UPDATE so that version/updated_at land in the same row
-- write. A change of any basic-four column (municipality_code too: the
-- SIGN subject names the municipality, R23) queues one basic_four row
-- naming the columns; a status change to removed/deceased queues one row
-- of that kind. Either notifies jpkid_register_change with the resident
-- code (delivered at COMMIT, dropped on ROLLBACK, like the queue row).
CREATE FUNCTION residents_register_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	f text[] := '{}';
	queued boolean := false;
BEGIN
	IF NEW.resident_code IS DISTINCT FROM OLD.resident_code THEN
		RAISE EXCEPTION 'resident_code % is immutable', OLD.resident_code
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'residents_resident_code_immutable';
	END IF;
	IF NEW IS NOT DISTINCT FROM OLD THEN
		RETURN NEW;		-- no-op update: no version bump, nothing queued
	END IF;
	IF NEW.family_name IS DISTINCT FROM OLD.family_name THEN
		f := f || 'family_name'::text;
	END IF;
	IF NEW.given_name IS DISTINCT FROM OLD.given_name THEN
		f := f || 'given_name'::text;
	END IF;
	IF NEW.former_surname IS DISTINCT FROM OLD.former_surname THEN
		f := f || 'former_surname'::text;
	END IF;
	IF NEW.alias IS DISTINCT FROM OLD.alias THEN
		f := f || 'alias'::text;
	END IF;
	IF NEW.birth_date IS DISTINCT FROM OLD.birth_date THEN
		f := f || 'birth_date'::text;
	END IF;
	IF NEW.sex IS DISTINCT FROM OLD.sex THEN
		f := f || 'sex'::text;
	END IF;
	IF NEW.address IS DISTINCT FROM OLD.address THEN
		f := f || 'address'::text;
	END IF;
	IF NEW.municipality_code IS DISTINCT FROM OLD.municipality_code THEN
		f := f || 'municipality_code'::text;
	END IF;

	NEW.version := OLD.version + 1;
	NEW.updated_at := now();

	IF cardinality(f) > 0 THEN
		INSERT INTO register_changes (resident_code, kind, fields, version)
		    VALUES (NEW.resident_code, 'basic_four', f, NEW.version);
		queued := true;
	END IF;
	IF NEW.status IS DISTINCT FROM OLD.status AND
	    NEW.status IN ('removed', 'deceased') THEN
		INSERT INTO register_changes (resident_code, kind, fields, version)
		    VALUES (NEW.resident_code, NEW.status, '{status}', NEW.version);
		queued := true;
	END IF;
	IF queued THEN
		PERFORM pg_notify('jpkid_register_change', NEW.resident_code);
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER residents_register_change BEFORE UPDATE ON residents
	FOR EACH ROW EXECUTE FUNCTION residents_register_change();

---------------------------------------------------------------------------
-- Principals: who calls the API. Every client certificate is registered by
-- the SHA-256 of its DER in exactly one of these tables (enforced across
-- tables by principal_cert_unique()).
---------------------------------------------------------------------------

-- Counter terminals; each belongs to one municipality (R1).
CREATE TABLE terminals (
	id			bigserial PRIMARY KEY,
	name			text NOT NULL
				CONSTRAINT terminals_name_check
				CHECK (char_length(name) BETWEEN 1 AND 128),
	municipality_code	char(6) NOT NULL REFERENCES municipalities (code),
	-- Window code appended to the SIGN subject CN (R23).
	window_code		text
				CONSTRAINT terminals_window_code_check
				CHECK (window_code ~ '^[0-9A-Za-z]{1,16}$'),
	cert_sha256		bytea NOT NULL
				CONSTRAINT terminals_cert_sha256_key UNIQUE
				CONSTRAINT terminals_cert_sha256_check
				CHECK (octet_length(cert_sha256) = 32),
	enabled			boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT now(),
	-- Target of the composite FK from applications (R1).
	CONSTRAINT terminals_id_municipality_key UNIQUE (id, municipality_code)
);
CREATE INDEX terminals_municipality_idx ON terminals (municipality_code);

-- The resident-register feed.
CREATE TABLE register_feeds (
	id			bigserial PRIMARY KEY,
	name			text NOT NULL
				CONSTRAINT register_feeds_name_check
				CHECK (char_length(name) BETWEEN 1 AND 128),
	cert_sha256		bytea NOT NULL
				CONSTRAINT register_feeds_cert_sha256_key UNIQUE
				CONSTRAINT register_feeds_cert_sha256_check
				CHECK (octet_length(cert_sha256) = 32),
	enabled			boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT now()
);

-- Convenience-store kiosks (R16a PIN resets).
CREATE TABLE kiosks (
	id			bigserial PRIMARY KEY,
	name			text NOT NULL
				CONSTRAINT kiosks_name_check
				CHECK (char_length(name) BETWEEN 1 AND 128),
	cert_sha256		bytea NOT NULL
				CONSTRAINT kiosks_cert_sha256_key UNIQUE
				CONSTRAINT kiosks_cert_sha256_check
				CHECK (octet_length(cert_sha256) = 32),
	-- R16a: AUTH PIN reset only at kiosks that support it.
	auth_pin_reset		boolean NOT NULL DEFAULT false,
	enabled			boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT now()
);

-- Registered verifiers (署名検証者 / 利用者証明検証者, R26): by client
-- certificate, by bearer token (its SHA-256), or both.
CREATE TABLE relying_parties (
	id			bigserial PRIMARY KEY,
	name			text NOT NULL
				CONSTRAINT relying_parties_name_check
				CHECK (char_length(name) BETWEEN 1 AND 128),
	cert_sha256		bytea
				CONSTRAINT relying_parties_cert_sha256_key UNIQUE
				CONSTRAINT relying_parties_cert_sha256_check
				CHECK (octet_length(cert_sha256) = 32),
	token_hash		bytea
				CONSTRAINT relying_parties_token_hash_key UNIQUE
				CONSTRAINT relying_parties_token_hash_check
				CHECK (octet_length(token_hash) = 32),
	-- Which status data it may query: sign, auth or both.
	types			text[] NOT NULL DEFAULT '{sign,auth}'
				CONSTRAINT relying_parties_types_check
				CHECK (cardinality(types) >= 1 AND types <@ '{sign,auth}'::text[]),
	enabled			boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT relying_parties_credential_check CHECK (
	    cert_sha256 IS NOT NULL OR token_hash IS NOT NULL)
);

-- Status checks per relying party and day, for billing (DESIGN).
CREATE TABLE relying_party_usage (
	relying_party_id	bigint NOT NULL REFERENCES relying_parties (id) ON DELETE CASCADE,
	day			date NOT NULL,
	issuer			text NOT NULL
				CONSTRAINT relying_party_usage_issuer_check
				CHECK (issuer IN ('sign', 'auth')),
	checks			bigint NOT NULL DEFAULT 0
				CONSTRAINT relying_party_usage_checks_check CHECK (checks >= 0),
	PRIMARY KEY (relying_party_id, day, issuer)
);

-- Dashboard operators: password (Argon2id) and/or client certificate.
CREATE TABLE operators (
	id			bigserial PRIMARY KEY,
	username		text NOT NULL
				CONSTRAINT operators_username_key UNIQUE
				CONSTRAINT operators_username_check
				CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
	display_name		text
				CONSTRAINT operators_display_name_check
				CHECK (char_length(display_name) BETWEEN 1 AND 128),
	password_hash		text
				CONSTRAINT operators_password_hash_check
				CHECK (password_hash LIKE '$argon2id$%'),
	role			text NOT NULL
				CONSTRAINT operators_role_check
				CHECK (role IN ('viewer', 'officer', 'admin')),
	cert_sha256		bytea
				CONSTRAINT operators_cert_sha256_key UNIQUE
				CONSTRAINT operators_cert_sha256_check
				CHECK (octet_length(cert_sha256) = 32),
	enabled			boolean NOT NULL DEFAULT true,
	failed_logins		int NOT NULL DEFAULT 0
				CONSTRAINT operators_failed_logins_check CHECK (failed_logins >= 0),
	last_login_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT operators_credential_check CHECK (
	    NOT enabled OR password_hash IS NOT NULL OR cert_sha256 IS NOT NULL)
);

-- Dashboard sessions; the cookie and the CSRF token are only hashed here.
CREATE TABLE operator_sessions (
	token_hash		bytea PRIMARY KEY
				CONSTRAINT operator_sessions_token_hash_check
				CHECK (octet_length(token_hash) = 32),
	operator_id		bigint NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
	csrf_hash		bytea NOT NULL
				CONSTRAINT operator_sessions_csrf_hash_check
				CHECK (octet_length(csrf_hash) = 32),
	created_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL,
	last_seen_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT operator_sessions_expiry_check CHECK (expires_at > created_at)
);
CREATE INDEX operator_sessions_operator_idx ON operator_sessions (operator_id);
CREATE INDEX operator_sessions_expires_idx ON operator_sessions (expires_at);

-- One view over every principal kind. Queries filter on cert_sha256, which
-- PostgreSQL pushes into each branch (each uses its UNIQUE index).
CREATE VIEW principals (kind, id, name, municipality_code, cert_sha256, enabled) AS
	SELECT 'terminal'::text, t.id, t.name, t.municipality_code, t.cert_sha256, t.enabled
	    FROM terminals t
	UNION ALL
	SELECT 'register_feed'::text, f.id, f.name, NULL::char(6), f.cert_sha256, f.enabled
	    FROM register_feeds f
	UNION ALL
	SELECT 'kiosk'::text, k.id, k.name, NULL::char(6), k.cert_sha256, k.enabled
	    FROM kiosks k
	UNION ALL
	SELECT 'relying_party'::text, r.id, r.name, NULL::char(6), r.cert_sha256, r.enabled
	    FROM relying_parties r
	UNION ALL
	SELECT 'operator'::text, o.id, o.username, NULL::char(6), o.cert_sha256, o.enabled
	    FROM operators o;

-- One certificate, one principal: a cert_sha256 may appear in only one
-- principal table. The transaction-level advisory lock serializes writers so
-- two concurrent inserts into different tables cannot both pass the check.
CREATE FUNCTION principal_cert_unique() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	other text;
BEGIN
	IF NEW.cert_sha256 IS NULL THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.cert_sha256 IS NOT DISTINCT FROM OLD.cert_sha256 THEN
		RETURN NEW;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('jpkid.principal_cert'));
	SELECT p.kind INTO other FROM principals p
	    WHERE p.cert_sha256 = NEW.cert_sha256
	      AND NOT (p.kind = TG_ARGV[0] AND p.id = NEW.id)
	    LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'certificate already registered to a % principal', other
		    USING ERRCODE = 'unique_violation',
		    CONSTRAINT = 'principals_cert_sha256_unique';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER terminals_cert_unique BEFORE INSERT OR UPDATE OF cert_sha256 ON terminals
	FOR EACH ROW EXECUTE FUNCTION principal_cert_unique('terminal');
CREATE TRIGGER register_feeds_cert_unique BEFORE INSERT OR UPDATE OF cert_sha256 ON register_feeds
	FOR EACH ROW EXECUTE FUNCTION principal_cert_unique('register_feed');
CREATE TRIGGER kiosks_cert_unique BEFORE INSERT OR UPDATE OF cert_sha256 ON kiosks
	FOR EACH ROW EXECUTE FUNCTION principal_cert_unique('kiosk');
CREATE TRIGGER relying_parties_cert_unique BEFORE INSERT OR UPDATE OF cert_sha256 ON relying_parties
	FOR EACH ROW EXECUTE FUNCTION principal_cert_unique('relying_party');
CREATE TRIGGER operators_cert_unique BEFORE INSERT OR UPDATE OF cert_sha256 ON operators
	FOR EACH ROW EXECUTE FUNCTION principal_cert_unique('operator');

---------------------------------------------------------------------------
-- CA side
---------------------------------------------------------------------------

-- Counter applications (DESIGN: POST /v1/applications).
CREATE TABLE applications (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	municipality_code	char(6) NOT NULL REFERENCES municipalities (code),
	resident_code		char(11) NOT NULL REFERENCES residents (resident_code),
	terminal_id		bigint NOT NULL,
	card_number		text REFERENCES cards (card_number),
	procedure		text NOT NULL
				CONSTRAINT applications_procedure_check
				CHECK (procedure IN ('issue', 'renew', 'revoke', 'pin_reset')),
	-- Certificate types (issue, renew, revoke) or keys (pin_reset).
	types			text[] NOT NULL
				CONSTRAINT applications_types_check
				CHECK (cardinality(types) BETWEEN 1 AND 2 AND
				    types <@ '{sign,auth}'::text[] AND
				    (cardinality(types) = 1 OR types[1] <> types[2])),
	applicant_kind		text NOT NULL
				CONSTRAINT applications_applicant_kind_check
				CHECK (applicant_kind IN ('self', 'legal_representative',
				    'voluntary_proxy')),	-- R13
	applicant		jsonb NOT NULL DEFAULT '{}'
				CONSTRAINT applications_applicant_check
				CHECK (jsonb_typeof(applicant) = 'object'),
	-- R13: a voluntary proxy may replace a valid certificate only when
	-- the delegation covers revocation.
	delegation_covers_revocation boolean NOT NULL DEFAULT false,
	-- R14: what the terminal declared it checked.
	evidence		jsonb NOT NULL DEFAULT '{}'
				CONSTRAINT applications_evidence_check
				CHECK (jsonb_typeof(evidence) = 'object'),
	plan			jsonb,
	state			text NOT NULL DEFAULT 'planned'
				CONSTRAINT applications_state_check
				CHECK (state IN ('planned', 'awaiting_inquiry', 'ready',
				    'completed', 'cancelled', 'expired')),
	fee_yen			int NOT NULL DEFAULT 0
				CONSTRAINT applications_fee_yen_check CHECK (fee_yen >= 0),	-- R18
	idempotency_key		text
				CONSTRAINT applications_idempotency_key_check
				CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	completed_at		timestamptz,
	-- R1: the terminal belongs to the municipality the application is in.
	CONSTRAINT applications_terminal_fkey FOREIGN KEY (terminal_id, municipality_code)
	    REFERENCES terminals (id, municipality_code),
	-- R13: only a voluntary proxy goes through the inquiry (two visits).
	CONSTRAINT applications_inquiry_check CHECK (
	    state <> 'awaiting_inquiry' OR applicant_kind = 'voluntary_proxy'),
	CONSTRAINT applications_completed_check CHECK (
	    (state = 'completed') = (completed_at IS NOT NULL)),
	CONSTRAINT applications_idempotency_key UNIQUE (terminal_id, idempotency_key)
);
CREATE INDEX applications_resident_idx ON applications (resident_code);
CREATE INDEX applications_open_idx ON applications (created_at)
	WHERE state IN ('planned', 'awaiting_inquiry', 'ready');
CREATE TRIGGER applications_updated_at BEFORE UPDATE ON applications
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- R13 inquiry forms (照会書兼回答書). The answer code itself is never stored.
CREATE TABLE inquiries (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	application_id		uuid NOT NULL REFERENCES applications (id),
	addressee		text NOT NULL
				CONSTRAINT inquiries_addressee_check
				CHECK (char_length(addressee) BETWEEN 1 AND 200),
	address			text NOT NULL
				CONSTRAINT inquiries_address_check
				CHECK (char_length(address) BETWEEN 1 AND 200),
	answer_hash		bytea NOT NULL
				CONSTRAINT inquiries_answer_hash_check
				CHECK (octet_length(answer_hash) BETWEEN 32 AND 128),
	created_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL,
	wrong_attempts		int NOT NULL DEFAULT 0
				CONSTRAINT inquiries_wrong_attempts_check
				CHECK (wrong_attempts BETWEEN 0 AND 5),
	state			text NOT NULL DEFAULT 'open'
				CONSTRAINT inquiries_state_check
				CHECK (state IN ('open', 'answered', 'void', 'expired')),
	answered_at		timestamptz,
	CONSTRAINT inquiries_expiry_check CHECK (expires_at > created_at),
	-- R13: at most 5 wrong answer codes, then the inquiry is void.
	CONSTRAINT inquiries_attempts_void_check CHECK (wrong_attempts < 5 OR state = 'void'),
	CONSTRAINT inquiries_answered_check CHECK ((state = 'answered') = (answered_at IS NOT NULL))
);
CREATE UNIQUE INDEX inquiries_one_open ON inquiries (application_id) WHERE state = 'open';
CREATE INDEX inquiries_application_idx ON inquiries (application_id);

-- R16a: one-time, short-lived PIN reset authorizations bound to card and key.
CREATE TABLE pin_reset_authorizations (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	card_number		text NOT NULL REFERENCES cards (card_number),
	key_type		text NOT NULL
				CONSTRAINT pin_reset_authorizations_key_type_check
				CHECK (key_type IN ('sign', 'auth')),
	channel			text NOT NULL
				CONSTRAINT pin_reset_authorizations_channel_check
				CHECK (channel IN ('counter', 'kiosk')),
	application_id		uuid REFERENCES applications (id),
	kiosk_id		bigint REFERENCES kiosks (id),
	token_hash		bytea NOT NULL
				CONSTRAINT pin_reset_authorizations_token_hash_key UNIQUE
				CONSTRAINT pin_reset_authorizations_token_hash_check
				CHECK (octet_length(token_hash) = 32),
	created_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL,
	used_at			timestamptz,
	CONSTRAINT pin_reset_authorizations_expiry_check CHECK (expires_at > created_at),
	CONSTRAINT pin_reset_authorizations_used_check CHECK (used_at IS NULL OR used_at <= expires_at),
	CONSTRAINT pin_reset_authorizations_channel_ref_check CHECK (
	    (channel = 'counter' AND application_id IS NOT NULL) OR
	    (channel = 'kiosk' AND kiosk_id IS NOT NULL))
);
CREATE INDEX pin_reset_authorizations_card_idx ON pin_reset_authorizations (card_number);

-- Serial numbers, recorded (committed) before anything is signed with them
-- (Boulder), so that a serial is never used twice even when issuance dies
-- between signing and storing. serial holds the DER INTEGER content octets:
-- positive, minimal, at most 20 octets (RFC 5280 4.1.2.2); the exact bytes
-- of an OCSP CertID serialNumber, so lookups are plain equality. Unique
-- across both issuers: GET /v1/certificates/{serial} names no issuer.
CREATE TABLE serials (
	serial			bytea PRIMARY KEY
				CONSTRAINT serials_serial_check CHECK (
				    octet_length(serial) BETWEEN 1 AND 20 AND
				    get_byte(serial, 0) < 128 AND
				    serial <> '\x00'::bytea AND
				    NOT (octet_length(serial) > 1 AND get_byte(serial, 0) = 0 AND
				        get_byte(serial, 1) < 128)),
	issuer			text NOT NULL
				CONSTRAINT serials_issuer_check CHECK (issuer IN ('sign', 'auth')),
	reserved_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT serials_issuer_serial_key UNIQUE (issuer, serial)
);

-- Issued certificates. One CA per type (R22): issuer = type.
CREATE TABLE certificates (
	issuer			text NOT NULL
				CONSTRAINT certificates_issuer_check CHECK (issuer IN ('sign', 'auth')),
	serial			bytea NOT NULL
				CONSTRAINT certificates_serial_check
				CHECK (octet_length(serial) BETWEEN 1 AND 20),
	type			text NOT NULL
				CONSTRAINT certificates_type_check CHECK (type IN ('sign', 'auth')),
	resident_code		char(11) NOT NULL REFERENCES residents (resident_code),
	card_number		text NOT NULL,
	subject			text NOT NULL,
	not_before		timestamptz NOT NULL,
	not_after		timestamptz NOT NULL,
	status			text NOT NULL DEFAULT 'valid'
				CONSTRAINT certificates_status_check
				CHECK (status IN ('valid', 'revoked')),
	revoked_at		timestamptz,
	-- R26: the reasons in use; certificateHold is never used (nor removeFromCRL).
	reason			text
				CONSTRAINT certificates_reason_check
				CHECK (reason IN ('unspecified', 'keyCompromise', 'cACompromise',
				    'affiliationChanged', 'superseded', 'cessationOfOperation')),
	invalidity_date		timestamptz,
	-- CRL shard fixed at issuance and written into the certificate (R24).
	crl_shard		char(6) NOT NULL REFERENCES municipalities (code),
	der			bytea NOT NULL
				CONSTRAINT certificates_der_check CHECK (octet_length(der) > 0),
	application_id		uuid REFERENCES applications (id),
	issued_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (issuer, serial),
	CONSTRAINT certificates_serial_key UNIQUE (serial),
	CONSTRAINT certificates_serial_fkey FOREIGN KEY (issuer, serial)
	    REFERENCES serials (issuer, serial),
	-- The card is the resident's own.
	CONSTRAINT certificates_card_fkey FOREIGN KEY (card_number, resident_code)
	    REFERENCES cards (card_number, resident_code),
	CONSTRAINT certificates_issuer_type_check CHECK (issuer = type),
	CONSTRAINT certificates_validity_check CHECK (not_after > not_before),
	CONSTRAINT certificates_revocation_check CHECK (
	    (status = 'valid' AND revoked_at IS NULL AND reason IS NULL AND
	        invalidity_date IS NULL) OR
	    (status = 'revoked' AND revoked_at IS NOT NULL AND reason IS NOT NULL))
);
-- R9: one valid certificate per type per resident.
CREATE UNIQUE INDEX certificates_one_valid_per_type ON certificates (resident_code, type)
	WHERE status = 'valid';
CREATE INDEX certificates_resident_idx ON certificates (resident_code);
CREATE INDEX certificates_card_idx ON certificates (card_number);		-- R11
CREATE INDEX certificates_expiry_idx ON certificates (not_after) WHERE status = 'valid';	-- R21

-- Revocation data: the narrow copy CRL building scans (issuer, shard).
-- Written only by certificates_revoked(); INCLUDE makes CRL building an
-- index-only scan.
CREATE TABLE revocations (
	issuer			text NOT NULL,
	serial			bytea NOT NULL,
	crl_shard		char(6) NOT NULL,
	revoked_at		timestamptz NOT NULL,
	reason			text NOT NULL,
	invalidity_date		timestamptz,
	not_after		timestamptz NOT NULL,	-- CRL entries may be dropped after it
	PRIMARY KEY (issuer, serial),
	CONSTRAINT revocations_certificate_fkey FOREIGN KEY (issuer, serial)
	    REFERENCES certificates (issuer, serial)
);
CREATE INDEX revocations_shard_idx ON revocations (issuer, crl_shard)
	INCLUDE (serial, revoked_at, reason, invalidity_date, not_after);

-- A certificate is issued once and revoked at most once: the DER and
-- everything it says are immutable, and revocation is final (R26: no
-- certificateHold, so no way back to valid).
CREATE FUNCTION certificates_guard() RETURNS trigger
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
	RETURN NEW;
END
$$;
CREATE TRIGGER certificates_guard BEFORE UPDATE ON certificates
	FOR EACH ROW EXECUTE FUNCTION certificates_guard();

-- Every revocation, however it is written, lands in revocations in the same
-- transaction and notifies jpkid_revocation ("<issuer>:<hex serial>") so
-- OCSP responses are re-signed within a second (DESIGN "OCSP").
CREATE FUNCTION certificates_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status = 'revoked' AND (TG_OP = 'INSERT' OR OLD.status <> 'revoked') THEN
		INSERT INTO revocations (issuer, serial, crl_shard, revoked_at, reason,
		    invalidity_date, not_after)
		    VALUES (NEW.issuer, NEW.serial, NEW.crl_shard, NEW.revoked_at, NEW.reason,
		    NEW.invalidity_date, NEW.not_after);
		PERFORM pg_notify('jpkid_revocation', NEW.issuer || ':' || encode(NEW.serial, 'hex'));
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER certificates_revoked AFTER INSERT OR UPDATE OF status ON certificates
	FOR EACH ROW EXECUTE FUNCTION certificates_revoked();

-- Sequence for the 5-digit part of the SIGN subject CN (R23).
CREATE SEQUENCE sign_subject_seq MINVALUE 0 MAXVALUE 99999 START 0 CYCLE;

-- Published CRLs, one series per (issuer, municipality) (R24). The previous
-- CRL is served until the next one is committed.
CREATE TABLE crls (
	issuer			text NOT NULL
				CONSTRAINT crls_issuer_check CHECK (issuer IN ('sign', 'auth')),
	shard			char(6) NOT NULL REFERENCES municipalities (code),
	number			bigint NOT NULL
				CONSTRAINT crls_number_check CHECK (number > 0),
	this_update		timestamptz NOT NULL,
	next_update		timestamptz NOT NULL,
	entries			int NOT NULL DEFAULT 0
				CONSTRAINT crls_entries_check CHECK (entries >= 0),
	der			bytea NOT NULL
				CONSTRAINT crls_der_check CHECK (octet_length(der) > 0),
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (issuer, shard, number),
	CONSTRAINT crls_update_check CHECK (next_update > this_update)
);

-- CRL numbers strictly increase per (issuer, shard) (RFC 5280 5.2.3), and
-- thisUpdate never goes back.
CREATE FUNCTION crls_monotonic() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	last record;
BEGIN
	SELECT number, this_update INTO last FROM crls
	    WHERE issuer = NEW.issuer AND shard = NEW.shard
	    ORDER BY number DESC LIMIT 1;
	IF FOUND AND (NEW.number <= last.number OR NEW.this_update < last.this_update) THEN
		RAISE EXCEPTION 'CRL % % number % does not follow %', NEW.issuer, NEW.shard,
		    NEW.number, last.number
		    USING ERRCODE = 'check_violation', CONSTRAINT = 'crls_number_increases';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER crls_monotonic BEFORE INSERT ON crls
	FOR EACH ROW EXECUTE FUNCTION crls_monotonic();

-- R19: scheduled service suspensions (counter operations get 503).
CREATE TABLE suspensions (
	id			bigserial PRIMARY KEY,
	starts_at		timestamptz NOT NULL,
	ends_at			timestamptz NOT NULL,
	reason			text NOT NULL
				CONSTRAINT suspensions_reason_check
				CHECK (char_length(reason) BETWEEN 1 AND 500),
	created_by		text NOT NULL,		-- actor, as in audit_log
	created_at		timestamptz NOT NULL DEFAULT now(),
	cancelled_at		timestamptz,
	CONSTRAINT suspensions_window_check CHECK (ends_at > starts_at)
);
CREATE INDEX suspensions_ends_idx ON suspensions (ends_at) WHERE cancelled_at IS NULL;

-- R21: expiry notice batches, per municipality.
CREATE TABLE notice_batches (
	id			bigserial PRIMARY KEY,
	municipality_code	char(6) NOT NULL REFERENCES municipalities (code),
	expiring_before		timestamptz NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notice_batches_municipality_idx ON notice_batches (municipality_code);

-- R21: a certificate is listed in exactly one notice.
CREATE TABLE notices (
	id			bigserial PRIMARY KEY,
	issuer			text NOT NULL,
	serial			bytea NOT NULL,
	batch_id		bigint NOT NULL REFERENCES notice_batches (id),
	municipality_code	char(6) NOT NULL REFERENCES municipalities (code),
	created_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT notices_certificate_key UNIQUE (issuer, serial),
	CONSTRAINT notices_certificate_fkey FOREIGN KEY (issuer, serial)
	    REFERENCES certificates (issuer, serial)
);
CREATE INDEX notices_batch_idx ON notices (batch_id);

-- Audit trail: append-only. sealed_hash is set once by the sealing job
-- (hash chain); nothing else may change or delete a row.
CREATE TABLE audit_log (
	seq			bigserial PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT now(),
	actor			text NOT NULL,
	action			text NOT NULL,
	object			text,
	detail			jsonb NOT NULL DEFAULT '{}',
	sealed_hash		bytea
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_object_idx ON audit_log (object) WHERE object IS NOT NULL;
CREATE INDEX audit_log_unsealed_idx ON audit_log (seq) WHERE sealed_hash IS NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.sealed_hash IS NULL AND NEW.sealed_hash IS NOT NULL AND
	    NEW.seq = OLD.seq AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND
	    NEW.action = OLD.action AND NEW.object IS NOT DISTINCT FROM OLD.object AND
	    NEW.detail = OLD.detail THEN
		RETURN NEW;	-- sealing
	END IF;
	RAISE EXCEPTION 'audit_log is append-only'
	    USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_log_append_only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Idempotency-Key store for every mutating POST: a retry with the same key
-- and request returns the stored response, never a second certificate.
-- status NULL: the first request is still running (or died; its transaction
-- rolled back with it, since the row is written in the same transaction).
CREATE TABLE idempotency (
	principal		text NOT NULL,		-- "<kind>:<id>"
	key			text NOT NULL
				CONSTRAINT idempotency_key_check
				CHECK (char_length(key) BETWEEN 1 AND 255),
	request_hash		bytea NOT NULL
				CONSTRAINT idempotency_request_hash_check
				CHECK (octet_length(request_hash) = 32),
	status			int
				CONSTRAINT idempotency_status_check CHECK (status BETWEEN 100 AND 599),
	content_type		text,
	response		bytea,		-- exact bytes of the first response
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (principal, key),
	CONSTRAINT idempotency_response_check CHECK ((status IS NULL) = (response IS NULL))
);
CREATE INDEX idempotency_created_idx ON idempotency (created_at);
