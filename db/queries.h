/*
 * queries: the one table of prepared statements. Every pool connection
 * prepares all of them (store.c). Add a statement by adding an id here and
 * a row in queries.c, in the same order.
 */
#ifndef JPKI_QUERIES_H
#define JPKI_QUERIES_H

enum query_id {
	Q_PING,			/* SELECT 1 */
	Q_PRINCIPAL_BY_CERT,	/* $1 bytea sha256 -> kind, id, name, municipality_code, municipality_name, prefecture, role */
	Q_MUNICIPALITY_GET,	/* $1 code -> code, prefecture, name */
	/* shared: idempotency and audit (api/idem.c, api/audit.c) */
	Q_IDEM_INSERT,		/* $1 principal, $2 key, $3 hash -> 1 row when new */
	Q_IDEM_GET,		/* $1 principal, $2 key -> request_hash, status, content_type, response */
	Q_IDEM_STORE,		/* $1 principal, $2 key, $3 status, $4 content_type, $5 response */
	Q_AUDIT_INSERT,		/* $1 actor, $2 action, $3 object, $4 detail jsonb */
	/* register feed (api/feed/feed.c, api/feed/import.c) */
	Q_FEED_MUNICIPALITY_CODES,	/* -> every municipality code, ordered */
	Q_FEED_RESIDENT_LOCK,	/* $1 code -> version, current columns as JSON; FOR UPDATE */
	Q_FEED_RESIDENTS_UPSERT,	/* $1 JSON array of rows -> resident_code, version of rows written */
	Q_FEED_REGISTER_APPLY,	/* $1 char(11)[] codes, $2 now (epoch) -> revoked: code, serial, type, reason (R10, R12) */
	Q_FEED_RESIDENT_EXISTS,	/* $1 code -> 1 row when the resident exists (FOR KEY SHARE) */
	Q_FEED_CARD_LOCK,	/* $1 card_number -> current columns as JSON; FOR UPDATE */
	Q_FEED_CARD_INSERT,	/* $1 JSON row -> card_number when inserted (nothing on conflict) */
	Q_FEED_CARD_UPDATE,	/* $1 JSON row -> card_number when something changed */
	Q_FEED_CARD_REVOKE,	/* $1 card_number, $2 reason, $3 now (epoch) -> revoked: serial, type, reason (R11) */
	/* end register feed */
	/* counter (api/counter/residents.c, api/counter/applications.c, api/counter/issue.c) */
	Q_RESIDENT_GET,		/* $1 code -> resident columns + municipality (see queries.c) */
	Q_RESIDENT_LOCK,	/* same, FOR UPDATE: serializes issuance per resident (R9) */
	Q_CARDS_OF_RESIDENT,	/* $1 code -> card rows, active first */
	Q_CARD_FACTS,		/* $1 card_number (NULL: current), $2 resident -> card row + R18 facts */
	Q_CERTS_OF_RESIDENT,	/* $1 code -> certificates, newest first */
	Q_LATEST_CERTS,		/* $1 code -> latest unrevoked certificate per type */
	Q_COUNTER_GATE,		/* $1 now, $2 municipality -> R19 suspension end, reasons, hours */
	Q_APP_INSERT,		/* see queries.c */
	Q_INQUIRY_INSERT,
	Q_APP_LOCK,		/* $1 id, $2 municipality -> 1 row when here (R1), FOR UPDATE */
	Q_APP_GET,		/* $1 id, $2 municipality -> application + open inquiry, FOR UPDATE */
	Q_APP_SCOPE,		/* $1 id -> resident_code (an R1 denial: the application exists) */
	Q_INQUIRY_UPDATE,	/* $1 inquiry id, $2 wrong_attempts, $3 state, $4 now, $5/$6 as read -> 1 row */
	Q_APP_SET_STATE,	/* $1 id, $2 state */
	Q_SERIAL_RESERVE,	/* $1 hex serials "a,b,...", $2 issuer -> the hex serials reserved */
	Q_SIGN_SEQ,		/* $1 terminal id -> 5-digit sequence, window code (R23 CN) */
	Q_CERT_RECORD,		/* R8, R9, certificate, application, audit: see queries.c */
	Q_KEY_LOCK,		/* $1 key sha256 (binary): R22, serializes issuances of one key */
	Q_KEY_HOLDER,		/* $1 key sha256 (binary), $2 resident, $3 type -> first certificate with it (R22) */
	Q_APP_ISSUED,		/* $1 id, $2 type -> state */
	/* end counter */
	/* ---- relying parties (api/status/relying_parties.c, api/status/rp.c) ---- */
	Q_RP_INSERT,		/* $1 name, $2 types "sign,auth", $3 cert sha256, $4 token hash (binary, NULL), $5 now -> RP row */
	Q_RP_LIST,		/* -> RP rows, by id */
	Q_RP_GET,		/* $1 id -> RP row */
	Q_RP_UPDATE,		/* $1 id, $2 name, $3 types, $4 enabled, $5 token hash (each NULL: keep) -> RP row */
	Q_RP_BY_TOKEN,		/* $1 token hash (binary) -> id, types, enabled */
	Q_RP_USAGE_ADD,		/* $1 bigint[] ids, $2 date[] days, $3 text[] issuers, $4 bigint[] checks */
	Q_RP_USAGE_GET,		/* $1 id, $2 from, $3 to -> day, issuer, checks */
	/* ---- end relying parties ---- */
	/* ---- revocation (api/revocation/revoke.c, api/revocation/card_events.c, api/feed/sweep.c) ---- */
	Q_REV_CERT_GET,		/* $1 serial hex -> certificate + resident's municipality (see queries.c) */
	Q_REV_CERT_LOCK,	/* same, FOR UPDATE of the certificate */
	Q_REV_CERT_REVOKE,	/* $1 serial hex, $2 now, $3 reason, $4 invalidity (epoch or NULL) -> 1 row */
	Q_CARD_EV_LOCK,		/* $1 card_number -> resident_code, status, municipality, issued_on; FOR UPDATE */
	Q_CARD_EV_SET_STATUS,	/* $1 card_number, $2 status */
	Q_CARD_EV_REVOKE,	/* $1 card_number, $2 reason, $3 now, $4 invalidity (epoch or NULL) -> serial, type, reason */
	Q_CARD_EV_INSERT,	/* $1 card, $2 event, $3 status before, $4 after, $5 occurred, $6 actor, $7 comment, $8 text[] serials, $9 now -> id */
	Q_SWEEP_PENDING,	/* $1 limit -> resident codes with pending register_changes, locked (SKIP LOCKED) */
	Q_SWEEP_AUDIT,		/* $1 actor, $2 JSON array of {serial, type, reason} -> one audit row each */
	/* ---- end revocation ---- */
	/* ---- OCSP (api/status/status_ocsp.c) ---- */
	Q_OCSP_CERT_STATUS,	/* $1 issuer, $2 serial (binary) -> status, revoked_at, reason, invalidity_date (epoch) */
	/* ---- end OCSP ---- */
	/* ---- CRLs (api/status/crls.c) ---- */
	Q_CRL_TRY_LOCK,		/* $1 advisory lock key -> t when obtained (session lock) */
	Q_CRL_UNLOCK,		/* $1 advisory lock key */
	Q_CRL_TARGETS,		/* $1 now, $2/$3 default publish/next hours, $4 issuer, $5 municipality (NULL: all), $6 force -> shards to publish */
	Q_CRL_INSERT,		/* $1 issuer, $2 shard, $3 number, $4 this, $5 next (epoch), $6 entries, $7 der (binary) */
	Q_CRL_META,		/* $1 issuer, $2 shard, $3 default publish hours -> municipality row + latest CRL (or NULLs) */
	Q_CRL_DER,		/* $1 issuer, $2 shard, $3 number -> der (binary result) */
	Q_CRL_LIST,		/* -> latest CRL per (issuer, shard): issuer, shard, number, this, next, entries, DER length */
	/* ---- end CRLs ---- */
	/* ---- pin resets ---- */
	Q_PIN_CARD_GET,		/* $1 card_number -> card + resident's municipality (see queries.c) */
	Q_PIN_CARD_CERTS,	/* $1 card_number -> latest certificate per type (the valid one on an issued_at tie): type, status, not_after, serial hex, der */
	Q_PIN_KIOSK_GET,	/* $1 kiosk id -> auth_pin_reset */
	Q_PIN_SUSPENDED,	/* $1 now -> end of the active suspension (NULL when none), reasons (R19) */
	Q_PIN_CHALLENGE_INSERT,	/* $1 hash (binary), $2 kiosk, $3 card, $4 key_type, $5 now, $6 expires */
	Q_PIN_CHALLENGE_LOCK,	/* $1 hash (binary) -> id, kiosk, card, key_type, expires, used; FOR UPDATE */
	Q_PIN_CHALLENGE_USE,	/* $1 id, $2 now */
	Q_PIN_AUTHZ_INSERT,	/* $1 id, $2 card, $3 key_type, $4 channel, $5 application, $6 kiosk, $7 token hash (binary), $8 now, $9 expires, $10 challenge */
	Q_PIN_AUTHZ_LOCK,	/* $1 id -> authorization + application's municipality; FOR UPDATE */
	Q_PIN_AUTHZ_USE,	/* $1 id, $2 now */
	Q_PIN_AUTHZ_CLAIMS,	/* $1 id -> card, key_type, channel, iat, exp, token hash, application, challenge */
	/* ---- end pin resets ---- */
	/* ---- suspensions notices (api/schedule/suspensions.c, api/schedule/hours.c, api/schedule/notices.c) ---- */
	Q_SUSP_LIST,		/* $1 now, $2 all (bool) -> suspension rows (SUSP_COLS), by starts_at */
	Q_SUSP_INSERT,		/* $1 starts, $2 ends (epoch), $3 reason, $4 created_by, $5 now -> row */
	Q_SUSP_LOCK,		/* $1 id -> row, FOR UPDATE */
	Q_SUSP_CANCEL,		/* $1 id, $2 now -> row */
	Q_HOURS_GET,		/* $1 code -> hours row (HOURS_COLS) */
	Q_HOURS_PUT,		/* $1 code, $2 enforced, $3 opens, $4 closes, $5 int[] weekdays, $6 year_end, $7 date[] -> row */
	Q_HOLIDAY_LIST,		/* $1 year or NULL -> day, name */
	Q_HOLIDAY_PUT,		/* $1 day, $2 name -> day, name, created (bool) */
	Q_HOLIDAY_DELETE,	/* $1 day -> day when deleted */
	Q_NOTICE_XACT_LOCK,	/* $1 advisory lock key: pg_advisory_xact_lock (blocks) */
	Q_NOTICE_DUE_MUNIS,	/* $1 now, $2 cutoff (epoch) -> municipality codes with certificates due (R21) */
	Q_NOTICE_BATCH,		/* $1 municipality, $2 now, $3 cutoff -> batch id, created, expiring_before, count (no row: none due) */
	Q_NOTICE_BATCHES,	/* $1 municipality, $2 batch id or NULL -> id, created, expiring_before, count */
	Q_NOTICE_LIST,		/* $1 municipality, $2 batch id or NULL -> batch, type, serial, not_after, resident, name, address */
	/* ---- end suspensions notices ---- */
	/* ---- operators: sessions ---- */
	/* api/operators/login.c, api/operators/session.c: times are epoch seconds of clock_now(), hashes hex */
	Q_SESS_OPERATOR_LOCK,	/* $1 username -> id, username, display_name, role, password_hash, enabled, totp_secret hex, totp_last_step, failed_logins, locked_until, next_login_at (epoch); FOR UPDATE */
	Q_SESS_OPERATOR_FAIL,	/* $1 id, $2 failed_logins, $3 next_login_at, $4 locked_until or NULL */
	Q_SESS_OPERATOR_OK,	/* $1 id, $2 now, $3 totp_last_step */
	Q_SESS_ADDRESS_LOCK,	/* $1 address -> failures, next_login_at, locked_until (epoch); FOR UPDATE */
	Q_SESS_ADDRESS_FAIL,	/* $1 address, $2 failures, $3 next_login_at, $4 locked_until or NULL, $5 now */
	Q_SESS_ADDRESS_RESET,	/* $1 address */
	Q_SESS_INSERT,		/* $1 token hash, $2 operator, $3 csrf hash, $4 now, $5 expires_at, $6 remote */
	Q_SESS_TOUCH,		/* $1 token hash, $2 now, $3 idle s -> id, username, display_name, role, csrf hash, expires_at */
	Q_SESS_DROP,		/* $1 token hash -> operator_id of the row deleted */
	/* ---- end operators: sessions ---- */

	/* ---- operators: audit ---- */
	/* sealing (api/operators/audit_seal.c), reading (api/operators/audit_log.c), R1 (api/counter/issue.c) */
	Q_AUDIT_SEAL_LOCK,	/* -> 't' when this instance holds the sealing lock (xact) */
	Q_AUDIT_SEAL_TIP,	/* -> chain_pos, seq, hex hash of the chain's last row (0 rows: empty) */
	Q_AUDIT_SEAL_BATCH,	/* $1 limit -> seq, at_us, actor, action, object, detail of unsealed rows */
	Q_AUDIT_SEAL_SET,	/* $1 bigint[] seq, $2 bigint[] chain_pos, $3 text[] hex hash */
	Q_AUDIT_CP_LAST,	/* -> chain_pos, at_us of the last checkpoint */
	Q_AUDIT_CP_INSERT,	/* $1 pos, $2 seq, $3 hex hash, $4 at_us, $5 hex sig, $6 hex signer sha256 */
	Q_AUDIT_LIST,		/* $1 actor $2 action $3 object $4 request_id $5 from $6 to $7 before seq $8 limit */
	Q_AUDIT_APP_MUNICIPALITY,	/* $1 application id -> municipality_code (R1 refusal audit) */
	/* ---- end operators: audit ---- */

	/* ---- operators: stats ---- */
	Q_STATS_REPORT,		/* $1 now (epoch), $2 municipality or NULL, $3 page after (code or NULL), $4 page size -> report JSON without its municipalities, their page (array), the code the next page starts after (NULLs: no such municipality) */
	Q_STATS_FOLD,		/* $1 now (epoch) -> deltas folded, -1 when another instance folds */
	/* ---- end operators: stats ---- */

	/* ---- operators: management ---- */
	/* principals (api/operators/principals_admin.c): PA_COLS of queries.c */
	Q_MGMT_TERM_LIST,	/* $1 after id, $2 enabled, $3 municipality (each NULL: any), $4 limit -> rows by id */
	Q_MGMT_TERM_GET,	/* $1 id -> row */
	Q_MGMT_TERM_INSERT,	/* $1 name, $2 municipality, $3 window_code, $4 cert sha256 (binary), $5 now -> row (none: no such municipality) */
	Q_MGMT_TERM_UPDATE,	/* $1 id, $2 name, $3 enabled, $4 set window (bool), $5 window_code -> row */
	Q_MGMT_FEED_LIST,	/* $1 after id, $2 enabled, $3 limit -> rows by id */
	Q_MGMT_FEED_GET,
	Q_MGMT_FEED_INSERT,	/* $1 name, $2 cert sha256 (binary), $3 now -> row */
	Q_MGMT_FEED_UPDATE,	/* $1 id, $2 name, $3 enabled -> row */
	Q_MGMT_KIOSK_LIST,	/* $1 after id, $2 enabled, $3 limit -> rows by id */
	Q_MGMT_KIOSK_GET,
	Q_MGMT_KIOSK_INSERT,	/* $1 name, $2 auth_pin_reset, $3 cert sha256 (binary), $4 now -> row */
	Q_MGMT_KIOSK_UPDATE,	/* $1 id, $2 name, $3 enabled, $4 auth_pin_reset -> row */
	Q_MGMT_TOUCH,		/* $1 kind, $2 id, $3 now: last_seen_at, at most once a minute (api/auth.c) */
	/* operators (api/operators/operators_admin.c): OP_COLS of queries.c */
	Q_MGMT_OP_LIST,		/* $1 after id, $2 role, $3 enabled (each NULL: any), $4 limit -> rows by id */
	Q_MGMT_OP_GET,		/* $1 id -> row */
	Q_MGMT_OP_INSERT,	/* $1 username, $2 display_name, $3 role, $4 password hash, $5 now -> row */
	Q_MGMT_OP_ADMIN_LOCK,	/* serializes changes that could leave no enabled admin */
	Q_MGMT_OP_UPDATE,	/* $1 id, $2 role, $3 enabled, $4 display_name (each NULL: keep) -> row */
	Q_MGMT_OP_ADMINS,	/* -> count of enabled admins */
	Q_MGMT_OP_END_SESSIONS,	/* $1 operator id */
	Q_MGMT_OP_SET_TOTP,	/* $1 id, $2 secret (binary) -> username */
	/* certificates and applications (api/operators/cert_search.c, api/counter/application_get.c) */
	Q_MGMT_CERT_SEARCH,	/* $1 resident, $2 municipality, $3 type, $4 status, $5 serial hex, $6 after issued_at, $7 after serial hex, $8 limit */
	Q_MGMT_APP_GET,		/* $1 id -> application row + municipality, resident's municipality now */
	Q_MGMT_APP_INQUIRIES,	/* $1 id -> inquiries, oldest first (no answer) */
	Q_MGMT_APP_CERTS,	/* $1 id -> certificates issued for it */
	/* relying parties, paged (api/status/relying_parties.c) */
	Q_MGMT_RP_PAGE,		/* $1 after id, $2 enabled, $3 limit -> RP rows + last_seen_at */
	Q_MGMT_RP_GET,		/* $1 id -> RP row + last_seen_at */
	/* ---- end operators: management ---- */
	Q__COUNT
};

struct query {
	enum query_id	 id;
	const char	*name;	/* prepared statement name */
	const char	*sql;
	int		 nparams;
};

extern const struct query queries[Q__COUNT];

#endif
