-- 0004_pin_resets: what R16a PIN resets (issue 5) need beyond 0001-0003.

-- 1. Kiosk challenges (GET /v1/pin-resets/challenge): a fresh random value
--    bound to the kiosk that asked, the card and the key whose PIN is to be
--    reset; one use (used_at), short-lived (expires_at). The challenge text
--    is not a secret (the card signs it in the open), but only its
--    SHA-256 is needed to find it again, so only that is kept.
CREATE TABLE pin_reset_challenges (
	id			bigserial PRIMARY KEY,
	challenge_hash		bytea NOT NULL
				CONSTRAINT pin_reset_challenges_hash_key UNIQUE
				CONSTRAINT pin_reset_challenges_hash_check
				CHECK (octet_length(challenge_hash) = 32),
	kiosk_id		bigint NOT NULL REFERENCES kiosks (id),
	card_number		text NOT NULL REFERENCES cards (card_number),
	key_type		text NOT NULL
				CONSTRAINT pin_reset_challenges_key_type_check
				CHECK (key_type IN ('sign', 'auth')),
	created_at		timestamptz NOT NULL,
	expires_at		timestamptz NOT NULL,
	used_at			timestamptz,
	CONSTRAINT pin_reset_challenges_expiry_check CHECK (expires_at > created_at)
);
CREATE INDEX pin_reset_challenges_expires_idx ON pin_reset_challenges (expires_at);

-- 2. Authorizations: the times come from jpkid's clock (test clocks), so
--    created_at has no default that could contradict expires_at; the kiosk
--    challenge an authorization consumed is linked for the audit trail.
ALTER TABLE pin_reset_authorizations ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE pin_reset_authorizations ADD COLUMN challenge_id bigint
	REFERENCES pin_reset_challenges (id)
	CONSTRAINT pin_reset_authorizations_challenge_key UNIQUE;
-- R16a: the reply is one authorization per kiosk challenge, and a counter
-- application authorizes each of its keys once.
CREATE UNIQUE INDEX pin_reset_authorizations_app_key ON pin_reset_authorizations
	(application_id, key_type) WHERE application_id IS NOT NULL;
