-- 0003_revocation: what revocation, CRLs, OCSP and relying parties (issue 4)
-- need beyond 0002.

-- 1. Operator roles reach the principal lookup (api/auth.c): viewer,
--    officer (revoke, publish), admin (relying parties). Columns may only be
--    appended to a view.
CREATE OR REPLACE VIEW principals (kind, id, name, municipality_code, cert_sha256, enabled,
    role) AS
	SELECT 'terminal'::text, t.id, t.name, t.municipality_code, t.cert_sha256, t.enabled,
	    NULL::text
	    FROM terminals t
	UNION ALL
	SELECT 'register_feed'::text, f.id, f.name, NULL::char(6), f.cert_sha256, f.enabled,
	    NULL::text
	    FROM register_feeds f
	UNION ALL
	SELECT 'kiosk'::text, k.id, k.name, NULL::char(6), k.cert_sha256, k.enabled, NULL::text
	    FROM kiosks k
	UNION ALL
	SELECT 'relying_party'::text, r.id, r.name, NULL::char(6), r.cert_sha256, r.enabled,
	    NULL::text
	    FROM relying_parties r
	UNION ALL
	SELECT 'operator'::text, o.id, o.username, NULL::char(6), o.cert_sha256, o.enabled,
	    o.role
	    FROM operators o;

-- 2. CRL schedule: the [crl] settings of jpkid.conf are the defaults; a
--    municipality's columns override them only when set (NULL = config).
ALTER TABLE municipalities ALTER COLUMN crl_publish_hours DROP NOT NULL,
	ALTER COLUMN crl_publish_hours DROP DEFAULT,
	ALTER COLUMN crl_next_update_hours DROP NOT NULL,
	ALTER COLUMN crl_next_update_hours DROP DEFAULT;
UPDATE municipalities SET crl_publish_hours = NULL, crl_next_update_hours = NULL
	WHERE crl_publish_hours = 24 AND crl_next_update_hours = 48;

-- ---- revocation API, card events, register sweep (api/revoke.c, api/card_events.c, api/sweep.c) ----
-- R11: card events reported through POST /v1/cards/{card_number}/events,
-- with the card status they moved from and to and the certificates they
-- revoked (in the same transaction). Append-only by use.
CREATE TABLE card_events (
	id			bigserial PRIMARY KEY,
	card_number		text NOT NULL REFERENCES cards (card_number),
	event			text NOT NULL
				CONSTRAINT card_events_event_check
				CHECK (event IN ('lost', 'stolen', 'suspended', 'returned', 'reissued')),
	status_before		text NOT NULL,
	status_after		text NOT NULL,
	occurred_at		timestamptz NOT NULL,
	reported_by		text NOT NULL,		-- actor, as in audit_log
	comment			text
				CONSTRAINT card_events_comment_check
				CHECK (char_length(comment) <= 500),
	revoked_serials		bytea[] NOT NULL DEFAULT '{}',
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX card_events_card_idx ON card_events (card_number);
-- ---- end revocation ----

-- ---- CRLs (api/crls.c) ----
-- A CRL is mostly random serial numbers: compressing it (TOAST pglz) costs
-- time on every publication and saves next to nothing. Stored out of line,
-- uncompressed.
ALTER TABLE crls ALTER COLUMN der SET STORAGE EXTERNAL;
-- ---- end CRLs ----

-- ---- OCSP (api/status_ocsp.c) ----
-- ---- end OCSP ----

-- ---- relying parties (api/relying_parties.c, api/rp.c) ----
-- ---- end relying parties ----
