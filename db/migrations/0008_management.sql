-- 0008_management (issue 11): what the operator management API needs
-- (api/principals_admin.c, api/operators_admin.c, api/cert_search.c).

-- 0. Columns of 0005 (the sessions part) this part's code reads; IF NOT
--    EXISTS so that this file runs before or after 0005 has them.
ALTER TABLE operators ADD COLUMN IF NOT EXISTS totp_secret bytea;
ALTER TABLE operators ADD COLUMN IF NOT EXISTS totp_last_step bigint NOT NULL DEFAULT -1;
ALTER TABLE operators ADD COLUMN IF NOT EXISTS locked_until timestamptz;
ALTER TABLE operators ADD COLUMN IF NOT EXISTS next_login_at timestamptz;
ALTER TABLE operators ADD COLUMN IF NOT EXISTS password_changed_at timestamptz;

-- 1. When a principal last authenticated (api/auth.c writes it at most once
--    a minute per principal): for a screen that shows idle terminals.
ALTER TABLE terminals ADD COLUMN last_seen_at timestamptz;
ALTER TABLE register_feeds ADD COLUMN last_seen_at timestamptz;
ALTER TABLE kiosks ADD COLUMN last_seen_at timestamptz;
ALTER TABLE relying_parties ADD COLUMN last_seen_at timestamptz;
ALTER TABLE operators ADD COLUMN last_seen_at timestamptz;

-- 2. GET /v1/certificates: newest first (issued_at DESC, serial DESC), by
--    municipality (the CRL shard) or alone; resident_code uses
--    certificates_resident_idx, serial the certificates_serial_key.
CREATE INDEX certificates_issued_idx ON certificates (issued_at DESC, serial DESC);
CREATE INDEX certificates_shard_issued_idx ON certificates (crl_shard, issued_at DESC, serial DESC);

-- 3. List filters of the principal screens.
CREATE INDEX operators_role_idx ON operators (role, id);
