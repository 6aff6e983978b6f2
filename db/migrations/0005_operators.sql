-- 0005_operators (issue 11, sessions): operator second factor, login
-- throttling per account and per address, session bookkeeping.

-- TOTP (RFC 6238): the raw 20-byte secret (NULL: no second factor enrolled)
-- and the last 30 s step accepted, so a code is never accepted twice.
-- locked_until / next_login_at: lockout and growing delay after failures.
ALTER TABLE operators
	ADD COLUMN totp_secret bytea
		CONSTRAINT operators_totp_secret_check CHECK (octet_length(totp_secret) = 20),
	ADD COLUMN totp_last_step bigint NOT NULL DEFAULT -1,
	ADD COLUMN locked_until timestamptz,
	ADD COLUMN next_login_at timestamptz,
	ADD COLUMN password_changed_at timestamptz;

-- Failed logins per client address, whatever username they tried.
CREATE TABLE login_addresses (
	address			text PRIMARY KEY,
	failures		int NOT NULL DEFAULT 0
				CONSTRAINT login_addresses_failures_check CHECK (failures >= 0),
	next_login_at		timestamptz,
	locked_until		timestamptz,
	last_failure_at		timestamptz
);

-- Where a session was opened from (audit and a future "your sessions" list).
ALTER TABLE operator_sessions ADD COLUMN remote text;
