/*
 * queries: the one table of prepared statements (db/queries.h). Rows are in
 * enum query_id order; store.c prepares every row on every connection.
 * Parameters that carry hashes or DER are sent in binary format.
 */
#include <config.h>

#include "db/queries.h"

const struct query queries[Q__COUNT] = {
	[Q_PING] = { Q_PING, "ping",
	    "SELECT 1", 0 },

	/*
	 * $1: SHA-256 of the client certificate's DER, 32 bytes, binary.
	 * Only enabled principals; municipality columns are NULL for every
	 * kind but terminal. principal_cert_unique() keeps this to one row.
	 */
	[Q_PRINCIPAL_BY_CERT] = { Q_PRINCIPAL_BY_CERT, "principal_by_cert",
	    "SELECT p.kind, p.id::text, p.name, p.municipality_code,"
	    " m.name, m.prefecture, p.role"
	    " FROM principals p"
	    " LEFT JOIN municipalities m ON m.code = p.municipality_code"
	    " WHERE p.cert_sha256 = $1::bytea AND p.enabled", 1 },

	/* $1: 6-digit municipality code. */
	[Q_MUNICIPALITY_GET] = { Q_MUNICIPALITY_GET, "municipality_get",
	    "SELECT code, prefecture, name FROM municipalities"
	    " WHERE code = $1::char(6)", 1 },

	/* ---- shared: idempotency and audit ---- */

	/* Blocks on a concurrent transaction holding the same key (idem.h). */
	[Q_IDEM_INSERT] = { Q_IDEM_INSERT, "idem_insert",
	    "INSERT INTO idempotency (principal, key, request_hash)"
	    " VALUES ($1, $2, $3::bytea) ON CONFLICT (principal, key) DO NOTHING"
	    " RETURNING 1", 3 },
	[Q_IDEM_GET] = { Q_IDEM_GET, "idem_get",
	    "SELECT request_hash, status::text, content_type, response FROM idempotency"
	    " WHERE principal = $1 AND key = $2", 2 },
	[Q_IDEM_STORE] = { Q_IDEM_STORE, "idem_store",
	    "UPDATE idempotency SET status = $3::int, content_type = $4, response = $5::bytea"
	    " WHERE principal = $1 AND key = $2", 5 },
	[Q_AUDIT_INSERT] = { Q_AUDIT_INSERT, "audit_insert",
	    "INSERT INTO audit_log (actor, action, object, detail)"
	    " VALUES ($1, $2, $3, $4::jsonb)", 4 },

	/* ---- register feed ---- */

	[Q_FEED_MUNICIPALITY_CODES] = { Q_FEED_MUNICIPALITY_CODES, "feed_municipality_codes",
	    "SELECT code FROM municipalities ORDER BY code", 0 },
	/*
	 * The columns the feed writes, as JSON with the API's names (dates
	 * "YYYY-MM-DD"), so the caller can compare them with the new row
	 * field by field (changed_fields, audit).
	 */
	[Q_FEED_RESIDENT_LOCK] = { Q_FEED_RESIDENT_LOCK, "feed_resident_lock",
	    "SELECT r.version::text,"
	    " (to_jsonb(r) - 'version' - 'created_at' - 'updated_at')::text"
	    " FROM residents r WHERE r.resident_code = $1::char(11) FOR UPDATE", 1 },
	/*
	 * $1: a JSON array of rows as api/feed/feed.c normalizes them (every column
	 * present, no duplicate resident_code within one array). One statement
	 * for a PUT (an array of one) and for each import batch. A row equal to
	 * the stored one is not written at all (the WHERE), so its version
	 * stays and the trigger queues nothing; a written row comes back with
	 * the version the trigger gave it: 1 = inserted, > 1 = updated (an
	 * update always bumps, since it is a real change).
	 */
#define FEED_RESIDENT_COLS \
	"municipality_code, family_name, given_name, family_name_kana, given_name_kana," \
	" former_surname, alias, family_name_substitute, given_name_substitute," \
	" address_substitute, birth_date, sex, address, adult_ward, status"
	[Q_FEED_RESIDENTS_UPSERT] = { Q_FEED_RESIDENTS_UPSERT, "feed_residents_upsert",
	    "INSERT INTO residents AS r (resident_code, " FEED_RESIDENT_COLS ")"
	    " SELECT resident_code, " FEED_RESIDENT_COLS
	    " FROM json_populate_recordset(NULL::residents, $1::json)"
	    " ON CONFLICT (resident_code) DO UPDATE SET"
	    " (" FEED_RESIDENT_COLS ") = (EXCLUDED.municipality_code, EXCLUDED.family_name,"
	    " EXCLUDED.given_name, EXCLUDED.family_name_kana, EXCLUDED.given_name_kana,"
	    " EXCLUDED.former_surname, EXCLUDED.alias, EXCLUDED.family_name_substitute,"
	    " EXCLUDED.given_name_substitute, EXCLUDED.address_substitute, EXCLUDED.birth_date,"
	    " EXCLUDED.sex, EXCLUDED.address, EXCLUDED.adult_ward, EXCLUDED.status)"
	    " WHERE (r.municipality_code, r.family_name, r.given_name, r.family_name_kana,"
	    " r.given_name_kana, r.former_surname, r.alias, r.family_name_substitute,"
	    " r.given_name_substitute, r.address_substitute, r.birth_date, r.sex, r.address,"
	    " r.adult_ward, r.status) IS DISTINCT FROM"
	    " (EXCLUDED.municipality_code, EXCLUDED.family_name,"
	    " EXCLUDED.given_name, EXCLUDED.family_name_kana, EXCLUDED.given_name_kana,"
	    " EXCLUDED.former_surname, EXCLUDED.alias, EXCLUDED.family_name_substitute,"
	    " EXCLUDED.given_name_substitute, EXCLUDED.address_substitute, EXCLUDED.birth_date,"
	    " EXCLUDED.sex, EXCLUDED.address, EXCLUDED.adult_ward, EXCLUDED.status)"
	    " RETURNING r.resident_code, r.version::text", 1 },
#undef FEED_RESIDENT_COLS
	/*
	 * R10, R12, set-based: process the unprocessed register_changes of the
	 * residents in $1 (queued by residents_register_change(), whether the
	 * change came through the API or straight in SQL; the register-change
	 * sweep can call this with the codes of its pending rows). basic_four
	 * revokes the valid SIGN certificates (affiliationChanged); removed or
	 * deceased revokes both types (cessationOfOperation, which wins when
	 * both are pending). A change only revokes certificates issued before
	 * it: one queued long ago must not revoke a certificate issued later
	 * from the changed data. A change made in this very transaction
	 * (changed_at = now()) predates nothing committed, so it applies to
	 * every certificate (also when the daemon's clock is pinned in tests).
	 * Certificates already past notAfter are left alone (R6/R7: they ended).
	 * $2: now, epoch seconds (the daemon's clock): revoked_at.
	 */
	[Q_FEED_REGISTER_APPLY] = { Q_FEED_REGISTER_APPLY, "feed_register_apply",
	    "WITH ch AS ("
	    "  UPDATE register_changes SET processed_at = now()"
	    "  WHERE processed_at IS NULL AND resident_code = ANY ($1::char(11)[])"
	    "  RETURNING resident_code, kind,"
	    "  CASE WHEN changed_at = now() THEN 'infinity'::timestamptz"
	    "  ELSE changed_at END AS upto),"
	    " per AS ("
	    "  SELECT resident_code,"
	    "  max(upto) FILTER (WHERE kind = 'basic_four') AS four_upto,"
	    "  max(upto) FILTER (WHERE kind <> 'basic_four') AS gone_upto"
	    "  FROM ch GROUP BY resident_code),"
	    " rv AS ("
	    "  UPDATE certificates c SET status = 'revoked',"
	    "  revoked_at = to_timestamp($2::bigint),"
	    "  reason = CASE WHEN c.issued_at <= per.gone_upto THEN 'cessationOfOperation'"
	    "  ELSE 'affiliationChanged' END"
	    "  FROM per"
	    "  WHERE c.resident_code = per.resident_code AND c.status = 'valid'"
	    "  AND c.not_after > to_timestamp($2::bigint)"
	    "  AND (c.issued_at <= per.gone_upto OR"
	    "  (c.type = 'sign' AND c.issued_at <= per.four_upto))"
	    "  RETURNING c.resident_code, c.serial, c.type, c.reason)"
	    " SELECT resident_code, encode(serial, 'hex'), type, reason FROM rv"
	    " ORDER BY resident_code, type DESC, serial", 2 },
	[Q_FEED_RESIDENT_EXISTS] = { Q_FEED_RESIDENT_EXISTS, "feed_resident_exists",
	    "SELECT 1 FROM residents WHERE resident_code = $1::char(11) FOR KEY SHARE", 1 },
	/* Same JSON names as the PUT /v1/cards body (dates "YYYY-MM-DD"). */
	[Q_FEED_CARD_LOCK] = { Q_FEED_CARD_LOCK, "feed_card_lock",
	    "SELECT json_build_object('resident_code', resident_code, 'kind', kind,"
	    " 'issued_on', issued_on, 'expires_on', expires_on, 'status', status,"
	    " 'family_name', card_family_name, 'given_name', card_given_name,"
	    " 'former_surname', card_former_surname, 'alias', card_alias,"
	    " 'birth_date', card_birth_date, 'sex', card_sex, 'address', card_address)::text"
	    " FROM cards WHERE card_number = $1 FOR UPDATE", 1 },
#define FEED_CARD_RECORD \
	" json_to_record($1::json) AS j(card_number text, resident_code char(11), kind text," \
	" issued_on date, expires_on date, status text, family_name text, given_name text," \
	" former_surname text, alias text, birth_date date, sex char(1), address text)"
	/*
	 * ON CONFLICT names card_number only: any other unique violation
	 * (cards_one_active_mynumber, R2) is raised, not swallowed.
	 */
	[Q_FEED_CARD_INSERT] = { Q_FEED_CARD_INSERT, "feed_card_insert",
	    "INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on, status,"
	    " card_family_name, card_given_name, card_former_surname, card_alias,"
	    " card_birth_date, card_sex, card_address)"
	    " SELECT card_number, resident_code, kind, issued_on, expires_on, status,"
	    " family_name, given_name, former_surname, alias, birth_date, sex, address"
	    " FROM" FEED_CARD_RECORD
	    " ON CONFLICT (card_number) DO NOTHING RETURNING card_number", 1 },
	/* resident_code and kind never change (the caller refuses that first). */
	[Q_FEED_CARD_UPDATE] = { Q_FEED_CARD_UPDATE, "feed_card_update",
	    "UPDATE cards c SET (issued_on, expires_on, status, card_family_name,"
	    " card_given_name, card_former_surname, card_alias, card_birth_date, card_sex,"
	    " card_address) = (j.issued_on, j.expires_on, j.status, j.family_name,"
	    " j.given_name, j.former_surname, j.alias, j.birth_date, j.sex, j.address)"
	    " FROM" FEED_CARD_RECORD
	    " WHERE c.card_number = j.card_number AND c.resident_code = j.resident_code"
	    " AND (c.issued_on, c.expires_on, c.status, c.card_family_name, c.card_given_name,"
	    " c.card_former_surname, c.card_alias, c.card_birth_date, c.card_sex,"
	    " c.card_address) IS DISTINCT FROM (j.issued_on, j.expires_on, j.status,"
	    " j.family_name, j.given_name, j.former_surname, j.alias, j.birth_date, j.sex,"
	    " j.address)"
	    " RETURNING c.card_number", 1 },
#undef FEED_CARD_RECORD
	/* R11: every valid certificate on the card, both types. */
	[Q_FEED_CARD_REVOKE] = { Q_FEED_CARD_REVOKE, "feed_card_revoke",
	    "WITH rv AS ("
	    "  UPDATE certificates SET status = 'revoked', revoked_at = to_timestamp($3::bigint),"
	    "  reason = $2"
	    "  WHERE card_number = $1 AND status = 'valid'"
	    "  AND not_after > to_timestamp($3::bigint)"
	    "  RETURNING serial, type, reason)"
	    " SELECT encode(serial, 'hex'), type, reason FROM rv ORDER BY type DESC, serial", 3 },
	/* ---- end register feed ---- */

	/* ---- counter ---- */

#define RESIDENT_COLS \
	"SELECT r.resident_code, r.municipality_code, r.family_name, r.given_name," \
	" r.family_name_kana, r.given_name_kana, r.former_surname, r.alias," \
	" r.family_name_substitute, r.given_name_substitute, r.address_substitute," \
	" r.birth_date::text, r.sex, r.address, r.adult_ward::text, r.status, r.version::text," \
	" m.name, m.prefecture, m.fees_waived::text" \
	" FROM residents r JOIN municipalities m ON m.code = r.municipality_code" \
	" WHERE r.resident_code = $1::char(11)"
	[Q_RESIDENT_GET] = { Q_RESIDENT_GET, "resident_get", RESIDENT_COLS, 1 },
	[Q_RESIDENT_LOCK] = { Q_RESIDENT_LOCK, "resident_lock",
	    RESIDENT_COLS " FOR UPDATE OF r", 1 },
#undef RESIDENT_COLS

#define CARD_COLS \
	"SELECT c.card_number, c.kind, c.issued_on::text, c.expires_on::text, c.status," \
	" c.card_family_name, c.card_given_name, c.card_former_surname, c.card_alias," \
	" c.card_birth_date::text, c.card_sex, c.card_address"
	[Q_CARDS_OF_RESIDENT] = { Q_CARDS_OF_RESIDENT, "cards_of_resident",
	    CARD_COLS " FROM cards c WHERE c.resident_code = $1::char(11)"
	    " ORDER BY (c.status = 'active') DESC, c.issued_on DESC, c.card_number", 1 },
	/*
	 * R18 facts (ca/policy.h struct policy_card) of card $1 of resident $2
	 * (or, $1 NULL, of the resident's current card in one round trip
	 * instead of two, issue 15): the status of the
	 * resident's My Number card issued just before this one (NULL: this
	 * is the first; policy_r18_reissued_card decides what it means),
	 * the SIGN and AUTH certificates ever issued on this card, and
	 * whether the resident's newest SIGN / AUTH certificate (any status)
	 * was revoked.
	 */
	[Q_CARD_FACTS] = { Q_CARD_FACTS, "card_facts",
	    CARD_COLS ","
	    " (SELECT o.status FROM cards o WHERE o.resident_code = c.resident_code"
	    "  AND o.kind = 'mynumber' AND o.card_number <> c.card_number"
	    "  AND (o.issued_on, o.card_number) < (c.issued_on, c.card_number)"
	    "  ORDER BY o.issued_on DESC, o.card_number DESC LIMIT 1),"
	    " (SELECT count(*) FROM certificates x WHERE x.card_number = c.card_number"
	    "  AND x.type = 'sign')::text,"
	    " (SELECT count(*) FROM certificates x WHERE x.card_number = c.card_number"
	    "  AND x.type = 'auth')::text,"
	    " coalesce((SELECT x.status = 'revoked' FROM certificates x"
	    "  WHERE x.resident_code = c.resident_code AND x.type = 'sign'"
	    "  ORDER BY x.issued_at DESC, x.serial DESC LIMIT 1), false)::text,"
	    " coalesce((SELECT x.status = 'revoked' FROM certificates x"
	    "  WHERE x.resident_code = c.resident_code AND x.type = 'auth'"
	    "  ORDER BY x.issued_at DESC, x.serial DESC LIMIT 1), false)::text"
	    " FROM cards c WHERE c.resident_code = $2::char(11) AND c.card_number ="
	    /* $1 NULL: the resident's current card, as Q_CARDS_OF_RESIDENT's first row */
	    "  coalesce($1, (SELECT o.card_number FROM cards o WHERE o.resident_code = $2::char(11)"
	    "  ORDER BY (o.status = 'active') DESC, o.issued_on DESC, o.card_number LIMIT 1))", 2 },
#undef CARD_COLS

	[Q_CERTS_OF_RESIDENT] = { Q_CERTS_OF_RESIDENT, "certs_of_resident",
	    "SELECT encode(serial, 'hex'), type, status,"
	    " extract(epoch FROM not_before)::bigint::text,"
	    " extract(epoch FROM not_after)::bigint::text,"
	    " extract(epoch FROM revoked_at)::bigint::text, reason, card_number,"
	    " application_id::text"
	    " FROM certificates WHERE resident_code = $1::char(11)"
	    " ORDER BY issued_at DESC, serial", 1 },
	/*
	 * Per type (auth, then sign) the unrevoked certificate that ends last:
	 * LIMIT 1 per type in the order of the partial index
	 * certificates_resident_type_idx (its predicate is this status <>
	 * 'revoked'), so the planner reads at most one index entry per type
	 * instead of every certificate of the resident (issue 15: with a
	 * million rows and DISTINCT ON it chose certificates_resident_idx).
	 */
	[Q_LATEST_CERTS] = { Q_LATEST_CERTS, "latest_certs",
	    "SELECT t.type, encode(c.serial, 'hex'),"
	    " extract(epoch FROM c.not_before)::bigint::text,"
	    " extract(epoch FROM c.not_after)::bigint::text"
	    " FROM (VALUES ('auth'), ('sign')) AS t(type)"
	    " CROSS JOIN LATERAL (SELECT x.serial, x.not_before, x.not_after FROM certificates x"
	    "  WHERE x.resident_code = $1::char(11) AND x.type = t.type AND x.status <> 'revoked'"
	    "  ORDER BY x.not_after DESC LIMIT 1) AS c"
	    " ORDER BY t.type", 1 },
	/*
	 * R19 in one round trip: the latest end of an active suspension (NULL
	 * when none) and the municipality's counter hours (minutes after
	 * midnight; closed dates = its own and the national holidays).
	 */
	[Q_COUNTER_GATE] = { Q_COUNTER_GATE, "counter_gate",
	    "SELECT (SELECT extract(epoch FROM max(ends_at))::bigint::text FROM suspensions"
	    "  WHERE cancelled_at IS NULL AND starts_at <= to_timestamp($1::bigint)"
	    "  AND ends_at > to_timestamp($1::bigint)),"
	    " (SELECT string_agg(reason, '; ') FROM suspensions"
	    "  WHERE cancelled_at IS NULL AND starts_at <= to_timestamp($1::bigint)"
	    "  AND ends_at > to_timestamp($1::bigint)),"
	    " m.hours_enforced::text,"
	    " (extract(hour FROM m.opens) * 60 + extract(minute FROM m.opens))::int::text,"
	    " (extract(hour FROM m.closes) * 60 + extract(minute FROM m.closes))::int::text,"
	    " array_to_string(m.closed_weekdays, ','), m.year_end_closed::text,"
	    /* Only today's (JST) closed days: the lists grow every year. */
	    " CASE WHEN m.hours_enforced THEN array_to_string(ARRAY("
	    "  SELECT d FROM unnest(m.closed_dates) d"
	    "  WHERE d = (to_timestamp($1::bigint) AT TIME ZONE 'Asia/Tokyo')::date"
	    "  UNION SELECT day FROM holidays"
	    "  WHERE day = (to_timestamp($1::bigint) AT TIME ZONE 'Asia/Tokyo')::date), ',') END"
	    " FROM municipalities m WHERE m.code = $2::char(6)", 2 },
	/*
	 * The application and its application.create audit row in one
	 * statement (issue 15): $16 actor, $17 audit detail (JSON) without
	 * the application id, which is added here.
	 */
	[Q_APP_INSERT] = { Q_APP_INSERT, "app_insert",
	    "WITH a AS (INSERT INTO applications (municipality_code, resident_code, terminal_id,"
	    " card_number, procedure, types, applicant_kind, applicant,"
	    " delegation_covers_revocation, evidence, plan, state, fee_yen, idempotency_key,"
	    " created_at)"
	    " VALUES ($1::char(6), $2::char(11), $3::bigint, $4, $5, $6::text[], $7, $8::jsonb,"
	    " $9::boolean, $10::jsonb, $11::jsonb, $12, $13::int, $14, to_timestamp($15::bigint))"
	    " RETURNING id),"
	    " au AS (INSERT INTO audit_log (actor, action, object, detail)"
	    "  SELECT $16, 'application.create', $2::char(11)::text,"
	    "  $17::jsonb || jsonb_build_object('application', a.id::text) FROM a RETURNING 1)"
	    " SELECT a.id::text FROM a WHERE (SELECT count(*) FROM au) = 1", 17 },
	[Q_INQUIRY_INSERT] = { Q_INQUIRY_INSERT, "inquiry_insert",
	    "INSERT INTO inquiries (application_id, addressee, address, answer_hash, answer_salt,"
	    " created_at, expires_at)"
	    " VALUES ($1::uuid, $2, $3, $4::bytea, $5::bytea, to_timestamp($6::bigint),"
	    " to_timestamp($7::bigint))"
	    " RETURNING id::text", 7 },
	/*
	 * R1 and R13: lock the application first, in its own statement, so
	 * that Q_APP_GET (a new READ COMMITTED snapshot) reads the inquiry as
	 * the previous holder of the lock left it (a lock taken by Q_APP_GET
	 * itself re-checks the application row only, and would read the
	 * joined inquiry from the snapshot taken before the wait). Only when
	 * the application and its resident are both this municipality's.
	 */
	[Q_APP_LOCK] = { Q_APP_LOCK, "app_lock",
	    "SELECT 1 FROM applications a"
	    " JOIN residents r ON r.resident_code = a.resident_code"
	    "  AND r.municipality_code = $2::char(6)"
	    " WHERE a.id = $1::uuid AND a.municipality_code = $2::char(6)"
	    " FOR UPDATE OF a", 2 },
	[Q_APP_SCOPE] = { Q_APP_SCOPE, "app_scope",
	    "SELECT resident_code::text FROM applications WHERE id = $1::uuid", 1 },
	[Q_APP_GET] = { Q_APP_GET, "app_get",
	    "SELECT a.id::text, a.resident_code, a.card_number, a.procedure,"
	    " array_to_string(a.types, ','), a.applicant_kind, a.applicant::text,"
	    " a.delegation_covers_revocation::text, a.evidence::text, a.plan::text, a.state,"
	    " a.fee_yen::text, array_to_string(a.issued_types, ','),"
	    " extract(epoch FROM a.created_at)::bigint::text,"
	    " i.id::text, i.addressee, i.address, i.answer_hash, i.answer_salt,"
	    " extract(epoch FROM i.expires_at)::bigint::text, i.wrong_attempts::text, i.state,"
	    " extract(epoch FROM i.created_at)::bigint::text"
	    " FROM applications a"
	    " JOIN residents r ON r.resident_code = a.resident_code"
	    "  AND r.municipality_code = $2::char(6)"
	    " LEFT JOIN LATERAL (SELECT * FROM inquiries q WHERE q.application_id = a.id"
	    "  ORDER BY q.created_at DESC LIMIT 1) i ON true"
	    " WHERE a.id = $1::uuid AND a.municipality_code = $2::char(6)"
	    " FOR UPDATE OF a", 2 },
	/* Compare and set: no row when the inquiry changed since it was read (retry). */
	[Q_INQUIRY_UPDATE] = { Q_INQUIRY_UPDATE, "inquiry_update",
	    "UPDATE inquiries SET wrong_attempts = $2::int, state = $3,"
	    " answered_at = CASE WHEN $3 = 'answered' THEN to_timestamp($4::bigint) END"
	    " WHERE id = $1::uuid AND wrong_attempts = $5::int AND state = $6"
	    " RETURNING 1", 6 },
	[Q_APP_SET_STATE] = { Q_APP_SET_STATE, "app_set_state",
	    "UPDATE applications SET state = $2 WHERE id = $1::uuid", 2 },
	/*
	 * Committed on its own before anything is signed with one of them
	 * (Boulder), a block at a time (api/counter/issue.c hands them out):
	 * $1 comma-separated hex serials, $2 issuer. A serial drawn before
	 * (ON CONFLICT: the random draw repeated, or this statement ran again
	 * after a lost reply) is not returned, so never handed out twice; a
	 * reserved serial that is never used stays reserved and unused.
	 */
	[Q_SERIAL_RESERVE] = { Q_SERIAL_RESERVE, "serial_reserve",
	    "INSERT INTO serials (serial, issuer)"
	    " SELECT decode(h, 'hex'), $2 FROM unnest(string_to_array($1, ',')) AS h"
	    " ON CONFLICT DO NOTHING RETURNING encode(serial, 'hex')", 2 },
	/* R23: the 5-digit sequence and the terminal's window code (default: its id). */
	[Q_SIGN_SEQ] = { Q_SIGN_SEQ, "sign_seq",
	    "SELECT lpad(nextval('sign_subject_seq')::text, 5, '0'),"
	    " coalesce((SELECT coalesce(window_code, lpad(id::text, 4, '0')) FROM terminals"
	    "  WHERE id = $1::bigint), '0000')", 1 },
	/*
	 * The issuance's writes in one statement (issue 15: one round trip
	 * instead of five): R8 an expired predecessor leaves the R9 index,
	 * R9 a valid one is revoked as superseded, then (after both: ins reads
	 * prior, so the predecessor is out of certificates_one_valid_per_type
	 * before the new row goes in) the certificate, the application's
	 * issued types and state, and the certificate.issue audit row with
	 * the superseded serials added to its detail.
	 * $1 type (= issuer), $2 serial (binary), $3 resident, $4 card,
	 * $5 subject, $6 not_before, $7 not_after, $8 CRL shard, $9 DER
	 * (binary), $10 application, $11 now, $12 key SHA-256 (binary),
	 * $13 audit actor, $14 audit detail (JSON, without superseded)
	 * -> superseded serials (JSON array), the application's state.
	 */
	[Q_CERT_RECORD] = { Q_CERT_RECORD, "cert_record",
	    "WITH ex AS ("
	    "  UPDATE certificates SET status = 'expired'"
	    "  WHERE resident_code = $3::char(11) AND type = $1 AND status = 'valid'"
	    "  AND not_after <= to_timestamp($11::bigint) RETURNING 1),"
	    " sup AS ("
	    "  UPDATE certificates SET status = 'revoked', revoked_at = to_timestamp($11::bigint),"
	    "  reason = 'superseded'"
	    "  WHERE resident_code = $3::char(11) AND type = $1 AND status = 'valid'"
	    "  AND not_after > to_timestamp($11::bigint) RETURNING encode(serial, 'hex') AS hex),"
	    " prior AS MATERIALIZED (SELECT (SELECT count(*) FROM ex) AS expired,"
	    "  coalesce((SELECT jsonb_agg(hex ORDER BY hex) FROM sup), '[]'::jsonb) AS superseded),"
	    " ins AS ("
	    "  INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,"
	    "  not_before, not_after, crl_shard, der, application_id, issued_at, key_sha256)"
	    "  SELECT $1, $2::bytea, $1, $3::char(11), $4, $5, to_timestamp($6::bigint),"
	    "  to_timestamp($7::bigint), $8::char(6), $9::bytea, $10::uuid,"
	    "  to_timestamp($11::bigint), $12::bytea FROM prior RETURNING 1),"
	    " app AS ("
	    "  UPDATE applications SET issued_types = issued_types || $1::text,"
	    "  state = CASE WHEN cardinality(issued_types) + 1 = cardinality(types)"
	    "   THEN 'completed' ELSE state END,"
	    "  completed_at = CASE WHEN cardinality(issued_types) + 1 = cardinality(types)"
	    "   THEN to_timestamp($11::bigint) END"
	    "  WHERE id = $10::uuid AND (SELECT count(*) FROM ins) = 1 RETURNING state),"
	    " au AS ("
	    "  INSERT INTO audit_log (actor, action, object, detail)"
	    "  SELECT $13, 'certificate.issue', $3, $14::jsonb ||"
	    "  jsonb_build_object('superseded', prior.superseded) FROM prior, app RETURNING 1)"
	    " SELECT prior.superseded::text, app.state FROM prior, app"
	    " WHERE (SELECT count(*) FROM au) = 1", 14 },
	/*
	 * R22 (migration 0012): one key, one holder, one type. The lock (on
	 * the fingerprint's first 32 bits, two-int4 key space, first key
	 * 'JPKI') is its own statement so that Q_KEY_HOLDER's snapshot,
	 * taken after it is granted, sees a concurrent issuance's committed
	 * row (READ COMMITTED).
	 */
	[Q_KEY_LOCK] = { Q_KEY_LOCK, "key_lock",
	    "SELECT pg_advisory_xact_lock(1246776137,"
	    " ('x' || encode(substring($1::bytea FROM 1 FOR 4), 'hex'))::bit(32)::int)", 1 },
	/* Another resident's first, then the other type, then the same type. */
	[Q_KEY_HOLDER] = { Q_KEY_HOLDER, "key_holder",
	    "SELECT (resident_code <> $2::char(11))::text, type, encode(serial, 'hex')"
	    " FROM certificates WHERE key_sha256 = $1::bytea"
	    " ORDER BY resident_code = $2::char(11), type = $3, issued_at LIMIT 1", 3 },
	[Q_APP_ISSUED] = { Q_APP_ISSUED, "app_issued",
	    "UPDATE applications SET issued_types = issued_types || $2::text,"
	    " state = CASE WHEN cardinality(issued_types) + 1 = cardinality(types)"
	    "  THEN 'completed' ELSE state END,"
	    " completed_at = CASE WHEN cardinality(issued_types) + 1 = cardinality(types)"
	    "  THEN to_timestamp($3::bigint) END"
	    " WHERE id = $1::uuid RETURNING state", 3 },
	/* ---- end counter ---- */
	/* ---- relying parties (api/status/relying_parties.c, api/status/rp.c) ---- */
#define RP_COLS " id::text, name, array_to_string(types, ','), enabled::text," \
	    " encode(cert_sha256, 'hex'), (token_hash IS NOT NULL)::text," \
	    " extract(epoch FROM created_at)::bigint::text"
	[Q_RP_INSERT] = { Q_RP_INSERT, "rp_insert",
	    "INSERT INTO relying_parties (name, types, cert_sha256, token_hash, created_at)"
	    " VALUES ($1, string_to_array($2, ','), $3::bytea, $4::bytea, to_timestamp($5::bigint))"
	    " RETURNING" RP_COLS, 5 },
	[Q_RP_LIST] = { Q_RP_LIST, "rp_list",
	    "SELECT" RP_COLS " FROM relying_parties ORDER BY relying_parties.id", 0 },
	[Q_RP_GET] = { Q_RP_GET, "rp_get",
	    "SELECT" RP_COLS " FROM relying_parties WHERE id = $1::bigint", 1 },
	[Q_RP_UPDATE] = { Q_RP_UPDATE, "rp_update",
	    "UPDATE relying_parties SET name = coalesce($2, name),"
	    " types = coalesce(string_to_array($3, ','), types),"
	    " enabled = coalesce($4::boolean, enabled),"
	    " token_hash = coalesce($5::bytea, token_hash)"
	    " WHERE id = $1::bigint RETURNING" RP_COLS, 5 },
	/* The status gate (api/status/rp.c), cached in memory for a few seconds. */
	[Q_RP_BY_TOKEN] = { Q_RP_BY_TOKEN, "rp_by_token",
	    "SELECT id::text, array_to_string(types, ','), enabled::text FROM relying_parties"
	    " WHERE token_hash = $1::bytea", 1 },
	/*
	 * One row per (id, day, issuer) in the arrays (rp_usage_flush); rows of
	 * a relying party deleted meanwhile are dropped, not an error.
	 */
	[Q_RP_USAGE_ADD] = { Q_RP_USAGE_ADD, "rp_usage_add",
	    "INSERT INTO relying_party_usage (relying_party_id, day, issuer, checks)"
	    " SELECT u.id, u.day, u.issuer, u.n"
	    " FROM unnest($1::bigint[], $2::date[], $3::text[], $4::bigint[]) AS u (id, day, issuer, n)"
	    " JOIN relying_parties r ON r.id = u.id"
	    " ON CONFLICT (relying_party_id, day, issuer)"
	    " DO UPDATE SET checks = relying_party_usage.checks + EXCLUDED.checks", 4 },
	[Q_RP_USAGE_GET] = { Q_RP_USAGE_GET, "rp_usage_get",
	    "SELECT day::text, issuer, checks::text FROM relying_party_usage"
	    " WHERE relying_party_id = $1::bigint AND day BETWEEN $2::date AND $3::date"
	    " ORDER BY day, issuer", 3 },
#undef RP_COLS
	/* ---- end relying parties ---- */
	/* ---- revocation (api/revocation/revoke.c, api/revocation/card_events.c, api/feed/sweep.c) ---- */
	/*
	 * One certificate by its hex serial (unique over both issuers):
	 * issuer, serial, type, status, revoked_at, reason, invalidity_date,
	 * not_before, not_after (epoch seconds, NULL when none), resident_code,
	 * card_number, crl_shard, the resident's municipality (R1 scope), DER
	 * as base64.
	 */
#define REV_CERT \
	"SELECT c.issuer, encode(c.serial, 'hex'), c.type, c.status," \
	" extract(epoch FROM c.revoked_at)::bigint::text, c.reason," \
	" extract(epoch FROM c.invalidity_date)::bigint::text," \
	" extract(epoch FROM c.not_before)::bigint::text," \
	" extract(epoch FROM c.not_after)::bigint::text," \
	" c.resident_code, c.card_number, c.crl_shard, r.municipality_code," \
	" encode(c.der, 'base64')" \
	" FROM certificates c JOIN residents r ON r.resident_code = c.resident_code" \
	" WHERE c.serial = decode($1, 'hex')"
	[Q_REV_CERT_GET] = { Q_REV_CERT_GET, "rev_cert_get", REV_CERT, 1 },
	[Q_REV_CERT_LOCK] = { Q_REV_CERT_LOCK, "rev_cert_lock", REV_CERT " FOR UPDATE OF c", 1 },
#undef REV_CERT
	/* The certificates_revoked() trigger writes revocations and NOTIFYs. */
	[Q_REV_CERT_REVOKE] = { Q_REV_CERT_REVOKE, "rev_cert_revoke",
	    "UPDATE certificates SET status = 'revoked', revoked_at = to_timestamp($2::bigint),"
	    " reason = $3, invalidity_date = to_timestamp($4::bigint)"
	    " WHERE serial = decode($1, 'hex') AND status = 'valid' RETURNING 1", 4 },
	[Q_CARD_EV_LOCK] = { Q_CARD_EV_LOCK, "card_ev_lock",
	    "SELECT c.resident_code, c.status, r.municipality_code, c.issued_on::text"
	    " FROM cards c JOIN residents r ON r.resident_code = c.resident_code"
	    " WHERE c.card_number = $1 FOR UPDATE OF c", 1 },
	[Q_CARD_EV_SET_STATUS] = { Q_CARD_EV_SET_STATUS, "card_ev_set_status",
	    "UPDATE cards SET status = $2 WHERE card_number = $1", 2 },
	/*
	 * R11: every valid certificate on the card, both types. The invalidity
	 * date (lost/stolen: when it happened) is never before a certificate's
	 * notBefore: a certificate issued after the loss was compromised from
	 * its start. GREATEST ignores NULLs, hence the CASE.
	 */
	[Q_CARD_EV_REVOKE] = { Q_CARD_EV_REVOKE, "card_ev_revoke",
	    "WITH rv AS ("
	    "  UPDATE certificates SET status = 'revoked', revoked_at = to_timestamp($3::bigint),"
	    "  reason = $2, invalidity_date = CASE WHEN $4::bigint IS NULL THEN NULL"
	    "  ELSE greatest(to_timestamp($4::bigint), not_before) END"
	    "  WHERE card_number = $1 AND status = 'valid'"
	    "  AND not_after > to_timestamp($3::bigint)"
	    "  RETURNING serial, type, reason)"
	    " SELECT encode(serial, 'hex'), type, reason FROM rv ORDER BY type DESC, serial", 4 },
	[Q_CARD_EV_INSERT] = { Q_CARD_EV_INSERT, "card_ev_insert",
	    "INSERT INTO card_events (card_number, event, status_before, status_after,"
	    " occurred_at, reported_by, comment, revoked_serials, created_at)"
	    " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6, $7,"
	    " ARRAY(SELECT decode(s, 'hex') FROM unnest($8::text[]) AS s),"
	    " to_timestamp($9::bigint)) RETURNING id::text", 9 },
	/*
	 * Residents with unprocessed register changes, locked so that the
	 * feed (which locks the resident first), a plain SQL UPDATE of the
	 * resident and other jpkid instances wait or skip: each change is
	 * applied exactly once. NO KEY UPDATE leaves FK checks (KEY SHARE)
	 * alone.
	 */
	[Q_SWEEP_PENDING] = { Q_SWEEP_PENDING, "sweep_pending",
	    "SELECT r.resident_code FROM residents r"
	    " WHERE r.resident_code IN (SELECT ch.resident_code FROM register_changes ch"
	    "  WHERE ch.processed_at IS NULL)"
	    " LIMIT $1::int FOR NO KEY UPDATE OF r SKIP LOCKED", 1 },
	/* One audit row per certificate revoked by the sweep (R10/R12). */
	[Q_SWEEP_AUDIT] = { Q_SWEEP_AUDIT, "sweep_audit",
	    "INSERT INTO audit_log (actor, action, object, detail)"
	    " SELECT $1, 'certificate.revoke', 'certificate:' || j.serial,"
	    " jsonb_build_object('type', j.type, 'reason', j.reason,"
	    " 'rule', CASE WHEN j.reason = 'affiliationChanged' THEN 'R10' ELSE 'R12' END)"
	    " FROM json_to_recordset($2::json) AS j (serial text, type text, reason text)", 2 },
	/* ---- end revocation ---- */
	/* ---- OCSP (api/status/status_ocsp.c) ---- */
	/* One certificate's status; no row: never issued by that issuer (unknown). */
	[Q_OCSP_CERT_STATUS] = { Q_OCSP_CERT_STATUS, "ocsp_cert_status",
	    "SELECT status, extract(epoch FROM revoked_at)::bigint::text, reason,"
	    " extract(epoch FROM invalidity_date)::bigint::text"
	    " FROM certificates WHERE issuer = $1 AND serial = $2::bytea", 2 },
	/* ---- end OCSP ---- */

	/* ---- CRLs ---- */

	[Q_CRL_TRY_LOCK] = { Q_CRL_TRY_LOCK, "crl_try_lock",
	    "SELECT pg_try_advisory_lock($1::bigint)", 1 },
	[Q_CRL_UNLOCK] = { Q_CRL_UNLOCK, "crl_unlock",
	    "SELECT pg_advisory_unlock($1::bigint)", 1 },
	/*
	 * Shards (issuer x municipality) to publish: none published yet, or
	 * the latest thisUpdate + publish hours has come, or that thisUpdate
	 * is after now (the clock went back; or $6 force). The
	 * municipality's own hours, else [crl] config. Columns: issuer, code,
	 * prefecture, name, publish hours, next-update hours, last number (0:
	 * none), last thisUpdate (epoch, 0: none).
	 */
	[Q_CRL_TARGETS] = { Q_CRL_TARGETS, "crl_targets",
	    "SELECT i.issuer, m.code, m.prefecture, m.name,"
	    " coalesce(m.crl_publish_hours, $2::int)::text,"
	    " coalesce(m.crl_next_update_hours, $3::int)::text,"
	    " coalesce(c.number, 0)::text,"
	    " coalesce(extract(epoch FROM c.this_update)::bigint, 0)::text"
	    " FROM municipalities m CROSS JOIN (VALUES ('sign'), ('auth')) AS i (issuer)"
	    " LEFT JOIN LATERAL (SELECT number, this_update FROM crls"
	    "  WHERE crls.issuer = i.issuer AND crls.shard = m.code"
	    "  ORDER BY number DESC LIMIT 1) c ON true"
	    " WHERE ($4::text IS NULL OR i.issuer = $4::text)"
	    " AND ($5::text IS NULL OR m.code = $5::char(6))"
	    " AND ($6::boolean OR c.number IS NULL OR c.this_update"
	    "  + make_interval(hours => coalesce(m.crl_publish_hours, $2::int))"
	    "  <= to_timestamp($1::bigint)"
	    /* R26: a thisUpdate after now (the clock went back): not yet valid anywhere, due */
	    "  OR c.this_update > to_timestamp($1::bigint))"
	    " ORDER BY m.code, i.issuer DESC", 6 },
	/* crls_monotonic() refuses a number that does not increase (thisUpdate may go back, 0011). */
	/* $7 the DER (small), or NULL with $8 its length: the DER in crl_parts (0015). */
	[Q_CRL_INSERT] = { Q_CRL_INSERT, "crl_insert",
	    "INSERT INTO crls (issuer, shard, number, this_update, next_update, entries, der,"
	    " der_bytes) VALUES ($1, $2::char(6), $3::bigint, to_timestamp($4::bigint),"
	    " to_timestamp($5::bigint), $6::int, $7::bytea, $8::bigint)", 8 },
	/*
	 * No row: no such municipality. Else code, then number (0: nothing
	 * published yet), thisUpdate, nextUpdate (epoch), publish hours.
	 */
	[Q_CRL_META] = { Q_CRL_META, "crl_meta",
	    "SELECT m.code, coalesce(c.number, 0)::text,"
	    " coalesce(extract(epoch FROM c.this_update)::bigint, 0)::text,"
	    " coalesce(extract(epoch FROM c.next_update)::bigint, 0)::text,"
	    " coalesce(m.crl_publish_hours, $3::int)::text"
	    " FROM municipalities m"
	    " LEFT JOIN LATERAL (SELECT number, this_update, next_update FROM crls"
	    "  WHERE crls.issuer = $1 AND crls.shard = m.code"
	    "  ORDER BY number DESC LIMIT 1) c ON true"
	    " WHERE m.code = $2::char(6)", 3 },
	/* The DER (crls.der, else its crl_parts in order), then its length (0015). */
	[Q_CRL_DER] = { Q_CRL_DER, "crl_der",
	    "SELECT coalesce(c.der, (SELECT string_agg(p.bytes, ''::bytea ORDER BY p.seq)"
	    "  FROM crl_parts p WHERE p.issuer = c.issuer AND p.shard = c.shard"
	    "  AND p.number = c.number)), coalesce(c.der_bytes, octet_length(c.der))"
	    " FROM crls c WHERE c.issuer = $1 AND c.shard = $2::char(6)"
	    " AND c.number = $3::bigint", 3 },
	[Q_CRL_LIST] = { Q_CRL_LIST, "crl_list",
	    "SELECT DISTINCT ON (issuer, shard) issuer, shard, number::text,"
	    " to_char(this_update AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " to_char(next_update AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " entries::text, coalesce(der_bytes, octet_length(der))::text"
	    " FROM crls ORDER BY issuer DESC, shard, crls.number DESC", 0 },
	/* ---- end CRLs ---- */
	/* ---- pin resets (api/counter/pin_resets.c, R16a) ---- */
	/* Columns: card_number, resident_code, kind, status, expires_on, municipality_code. */
	[Q_PIN_CARD_GET] = { Q_PIN_CARD_GET, "pin_card_get",
	    "SELECT c.card_number, c.resident_code, c.kind, c.status, c.expires_on::text,"
	    " r.municipality_code::text"
	    " FROM cards c JOIN residents r ON r.resident_code = c.resident_code"
	    " WHERE c.card_number = $1", 1 },
	/* Run with store_exec_bin: every column text but der (raw bytes). */
	[Q_PIN_CARD_CERTS] = { Q_PIN_CARD_CERTS, "pin_card_certs",
	    "SELECT DISTINCT ON (type) type, status,"
	    " extract(epoch FROM not_after)::bigint::text, encode(serial, 'hex'), der"
	    " FROM certificates WHERE card_number = $1"
	    " ORDER BY type, issued_at DESC, status = 'valid' DESC, not_after DESC", 1 },
	[Q_PIN_KIOSK_GET] = { Q_PIN_KIOSK_GET, "pin_kiosk_get",
	    "SELECT auth_pin_reset::text FROM kiosks WHERE id = $1::bigint AND enabled", 1 },
	/* R19 as Q_COUNTER_GATE sees suspensions, without a municipality (kiosks). */
	[Q_PIN_SUSPENDED] = { Q_PIN_SUSPENDED, "pin_suspended",
	    "SELECT extract(epoch FROM max(ends_at))::bigint::text, string_agg(reason, '; ')"
	    " FROM suspensions WHERE cancelled_at IS NULL"
	    " AND starts_at <= to_timestamp($1::bigint) AND ends_at > to_timestamp($1::bigint)",
	    1 },
	[Q_PIN_CHALLENGE_INSERT] = { Q_PIN_CHALLENGE_INSERT, "pin_challenge_insert",
	    "INSERT INTO pin_reset_challenges (challenge_hash, kiosk_id, card_number, key_type,"
	    " created_at, expires_at)"
	    " VALUES ($1::bytea, $2::bigint, $3, $4, to_timestamp($5::bigint),"
	    " to_timestamp($6::bigint)) RETURNING id::text", 6 },
	[Q_PIN_CHALLENGE_LOCK] = { Q_PIN_CHALLENGE_LOCK, "pin_challenge_lock",
	    "SELECT id::text, kiosk_id::text, card_number, key_type,"
	    " extract(epoch FROM expires_at)::bigint::text, (used_at IS NOT NULL)::text"
	    " FROM pin_reset_challenges WHERE challenge_hash = $1::bytea FOR UPDATE", 1 },
	[Q_PIN_CHALLENGE_USE] = { Q_PIN_CHALLENGE_USE, "pin_challenge_use",
	    "UPDATE pin_reset_challenges SET used_at = to_timestamp($2::bigint)"
	    " WHERE id = $1::bigint AND used_at IS NULL RETURNING 1", 2 },
	[Q_PIN_AUTHZ_INSERT] = { Q_PIN_AUTHZ_INSERT, "pin_authz_insert",
	    "INSERT INTO pin_reset_authorizations (id, card_number, key_type, channel,"
	    " application_id, kiosk_id, token_hash, created_at, expires_at, challenge_id)"
	    " VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6::bigint, $7::bytea,"
	    " to_timestamp($8::bigint), to_timestamp($9::bigint), $10::bigint)", 10 },
	/*
	 * Columns: id, card_number, key_type, channel, application_id,
	 * kiosk_id, expires (epoch), used_at (epoch or NULL), the
	 * application's municipality (NULL for kiosks), resident_code, the
	 * resident's current municipality (R1).
	 */
	[Q_PIN_AUTHZ_LOCK] = { Q_PIN_AUTHZ_LOCK, "pin_authz_lock",
	    "SELECT z.id::text, z.card_number, z.key_type, z.channel, z.application_id::text,"
	    " z.kiosk_id::text, extract(epoch FROM z.expires_at)::bigint::text,"
	    " extract(epoch FROM z.used_at)::bigint::text, a.municipality_code::text,"
	    " c.resident_code::text, r.municipality_code::text"
	    " FROM pin_reset_authorizations z"
	    " JOIN cards c ON c.card_number = z.card_number"
	    " JOIN residents r ON r.resident_code = c.resident_code"
	    " LEFT JOIN applications a ON a.id = z.application_id"
	    " WHERE z.id = $1::uuid FOR UPDATE OF z", 1 },
	[Q_PIN_AUTHZ_USE] = { Q_PIN_AUTHZ_USE, "pin_authz_use",
	    "UPDATE pin_reset_authorizations SET used_at = to_timestamp($2::bigint)"
	    " WHERE id = $1::uuid AND used_at IS NULL RETURNING 1", 2 },
	/* An Idempotency-Key replay re-signs the token from these (never stored). */
	[Q_PIN_AUTHZ_CLAIMS] = { Q_PIN_AUTHZ_CLAIMS, "pin_authz_claims",
	    "SELECT card_number, key_type, channel,"
	    " extract(epoch FROM created_at)::bigint::text,"
	    " extract(epoch FROM expires_at)::bigint::text, encode(token_hash, 'hex'),"
	    " application_id::text, challenge_id::text"
	    " FROM pin_reset_authorizations WHERE id = $1::uuid", 1 },
	/* ---- end pin resets ---- */
	/* ---- suspensions notices ---- */
	/*
	 * R19 suspensions. Row: id, starts, ends, reason, created_by,
	 * created_at, cancelled_at (epoch; NULL when not cancelled). Without
	 * $2 (all): the current and future ones, not cancelled.
	 */
#define SUSP_COLS "id::text, extract(epoch FROM starts_at)::bigint::text," \
	" extract(epoch FROM ends_at)::bigint::text, reason, created_by," \
	" extract(epoch FROM created_at)::bigint::text," \
	" extract(epoch FROM cancelled_at)::bigint::text"
	[Q_SUSP_LIST] = { Q_SUSP_LIST, "susp_list",
	    "SELECT " SUSP_COLS " FROM suspensions"
	    " WHERE $2::boolean OR (cancelled_at IS NULL AND ends_at > to_timestamp($1::bigint))"
	    " ORDER BY starts_at, id", 2 },
	[Q_SUSP_INSERT] = { Q_SUSP_INSERT, "susp_insert",
	    "INSERT INTO suspensions (starts_at, ends_at, reason, created_by, created_at)"
	    " VALUES (to_timestamp($1::bigint), to_timestamp($2::bigint), $3, $4,"
	    " to_timestamp($5::bigint)) RETURNING " SUSP_COLS, 5 },
	[Q_SUSP_LOCK] = { Q_SUSP_LOCK, "susp_lock",
	    "SELECT " SUSP_COLS " FROM suspensions WHERE id = $1::bigint FOR UPDATE", 1 },
	[Q_SUSP_CANCEL] = { Q_SUSP_CANCEL, "susp_cancel",
	    "UPDATE suspensions SET cancelled_at = to_timestamp($2::bigint)"
	    " WHERE id = $1::bigint RETURNING " SUSP_COLS, 2 },
#undef SUSP_COLS
	/*
	 * R19 counter hours of a municipality. Row: code, enforced, opens,
	 * closes ("HH:MM" or NULL), closed weekdays "6,7", year_end_closed,
	 * closed dates "YYYY-MM-DD,..." (both sorted; "" or NULL when none).
	 */
#define HOURS_COLS "code, hours_enforced::text, to_char(opens, 'HH24:MI')," \
	" to_char(closes, 'HH24:MI')," \
	" (SELECT string_agg(w::text, ',' ORDER BY w) FROM unnest(closed_weekdays) w)," \
	" year_end_closed::text," \
	" (SELECT string_agg(to_char(d, 'YYYY-MM-DD'), ',' ORDER BY d)" \
	"  FROM unnest(closed_dates) d)"
	[Q_HOURS_GET] = { Q_HOURS_GET, "hours_get",
	    "SELECT " HOURS_COLS " FROM municipalities WHERE code = $1::char(6)", 1 },
	[Q_HOURS_PUT] = { Q_HOURS_PUT, "hours_put",
	    "UPDATE municipalities SET hours_enforced = $2::boolean, opens = $3::time,"
	    " closes = $4::time,"
	    " closed_weekdays = ARRAY(SELECT DISTINCT unnest($5::int[]) ORDER BY 1),"
	    " year_end_closed = $6::boolean,"
	    " closed_dates = ARRAY(SELECT DISTINCT unnest($7::date[]) ORDER BY 1)"
	    " WHERE code = $1::char(6) RETURNING " HOURS_COLS, 7 },
#undef HOURS_COLS
	/* National holidays (R19), closed for every municipality enforcing hours. */
	[Q_HOLIDAY_LIST] = { Q_HOLIDAY_LIST, "holiday_list",
	    "SELECT to_char(day, 'YYYY-MM-DD'), name FROM holidays"
	    " WHERE $1::int IS NULL OR extract(year FROM day) = $1::int ORDER BY day", 1 },
	[Q_HOLIDAY_PUT] = { Q_HOLIDAY_PUT, "holiday_put",
	    "INSERT INTO holidays (day, name) VALUES ($1::date, $2)"
	    " ON CONFLICT (day) DO UPDATE SET name = EXCLUDED.name"
	    " RETURNING to_char(day, 'YYYY-MM-DD'), name, (xmax = 0)::text", 2 },
	[Q_HOLIDAY_DELETE] = { Q_HOLIDAY_DELETE, "holiday_delete",
	    "DELETE FROM holidays WHERE day = $1::date RETURNING to_char(day, 'YYYY-MM-DD')", 1 },
	/*
	 * R21 expiry notices. Every batch is written under one transaction
	 * advisory lock (api/schedule/notices.h NOTICE_LOCK_KEY), so two jpkid running
	 * the job at once take turns, and the second sees what the first
	 * committed (READ COMMITTED: a fresh snapshot per statement).
	 */
	[Q_NOTICE_XACT_LOCK] = { Q_NOTICE_XACT_LOCK, "notice_xact_lock",
	    "SELECT pg_advisory_xact_lock($1::bigint)", 1 },
	[Q_NOTICE_DUE_MUNIS] = { Q_NOTICE_DUE_MUNIS, "notice_due_munis",
	    "SELECT DISTINCT r.municipality_code FROM certificates c"
	    " JOIN residents r ON r.resident_code = c.resident_code"
	    " WHERE c.status = 'valid' AND c.not_after >= to_timestamp($1::bigint)"
	    " AND c.not_after <= to_timestamp($2::bigint) AND r.status = 'registered'"
	    " AND NOT EXISTS (SELECT 1 FROM notices n"
	    "  WHERE n.issuer = c.issuer AND n.serial = c.serial)"
	    " ORDER BY 1", 2 },
	/*
	 * One municipality's batch: every valid certificate of its registered
	 * residents with now <= notAfter <= cutoff and no notice yet. No
	 * certificate due: no batch (no row returned).
	 */
	[Q_NOTICE_BATCH] = { Q_NOTICE_BATCH, "notice_batch",
	    "WITH cand AS (SELECT c.issuer, c.serial FROM certificates c"
	    "  JOIN residents r ON r.resident_code = c.resident_code"
	    "  WHERE r.municipality_code = $1::char(6) AND r.status = 'registered'"
	    "  AND c.status = 'valid' AND c.not_after >= to_timestamp($2::bigint)"
	    "  AND c.not_after <= to_timestamp($3::bigint)"
	    "  AND NOT EXISTS (SELECT 1 FROM notices n"
	    "   WHERE n.issuer = c.issuer AND n.serial = c.serial)),"
	    " b AS (INSERT INTO notice_batches (municipality_code, expiring_before, created_at)"
	    "  SELECT $1::char(6), to_timestamp($3::bigint), to_timestamp($2::bigint)"
	    "  WHERE EXISTS (SELECT 1 FROM cand) RETURNING id, created_at, expiring_before),"
	    " ins AS (INSERT INTO notices (issuer, serial, batch_id, municipality_code, created_at)"
	    "  SELECT cand.issuer, cand.serial, b.id, $1::char(6), b.created_at FROM cand CROSS JOIN b"
	    "  ON CONFLICT (issuer, serial) DO NOTHING RETURNING 1)"
	    " SELECT b.id::text, extract(epoch FROM b.created_at)::bigint::text,"
	    " extract(epoch FROM b.expiring_before)::bigint::text,"
	    " (SELECT count(*) FROM ins)::text FROM b", 3 },
	[Q_NOTICE_BATCHES] = { Q_NOTICE_BATCHES, "notice_batches",
	    "SELECT b.id::text, extract(epoch FROM b.created_at)::bigint::text,"
	    " extract(epoch FROM b.expiring_before)::bigint::text,"
	    " (SELECT count(*) FROM notices n WHERE n.batch_id = b.id)::text"
	    " FROM notice_batches b WHERE b.municipality_code = $1::char(6)"
	    " AND ($2::bigint IS NULL OR b.id = $2::bigint) ORDER BY b.id", 2 },
	/*
	 * The register's current name (R25 .1 order) and address of each
	 * holder, while the holder is still in the batch's municipality's
	 * register. R1: a holder who has moved to another municipality is that
	 * municipality's resident now; the notice stays listed, but name and
	 * address are NULL (never the other register's current data).
	 */
	[Q_NOTICE_LIST] = { Q_NOTICE_LIST, "notice_list",
	    "SELECT n.batch_id::text, c.type, encode(c.serial, 'hex'),"
	    " extract(epoch FROM c.not_after)::bigint::text, r.resident_code,"
	    " CASE WHEN r.municipality_code = b.municipality_code THEN"
	    "  r.family_name || CASE WHEN r.given_name <> '' THEN"
	    "  U&'\\3000' || r.given_name ELSE '' END END,"
	    " CASE WHEN r.municipality_code = b.municipality_code THEN r.address END"
	    " FROM notices n JOIN notice_batches b ON b.id = n.batch_id"
	    " JOIN certificates c ON c.issuer = n.issuer AND c.serial = n.serial"
	    " JOIN residents r ON r.resident_code = c.resident_code"
	    " WHERE b.municipality_code = $1::char(6)"
	    " AND ($2::bigint IS NULL OR b.id = $2::bigint)"
	    " ORDER BY n.batch_id, r.resident_code, c.type DESC", 2 },
	/* ---- end suspensions notices ---- */
	/* ---- operators: sessions ---- */
	/*
	 * Login: the operator row is locked for the whole attempt so two
	 * concurrent tries cannot both use one TOTP step or both miss a
	 * failure count.
	 */
	[Q_SESS_OPERATOR_LOCK] = { Q_SESS_OPERATOR_LOCK, "sess_operator_lock",
	    "SELECT id, username, coalesce(display_name, ''), role, password_hash, enabled,"
	    " encode(totp_secret, 'hex'), totp_last_step, failed_logins,"
	    " extract(epoch FROM locked_until), extract(epoch FROM next_login_at)"
	    " FROM operators WHERE username = $1 FOR UPDATE", 1 },
	[Q_SESS_OPERATOR_FAIL] = { Q_SESS_OPERATOR_FAIL, "sess_operator_fail",
	    "UPDATE operators SET failed_logins = $2, next_login_at = to_timestamp($3),"
	    " locked_until = to_timestamp($4) WHERE id = $1", 4 },
	[Q_SESS_OPERATOR_OK] = { Q_SESS_OPERATOR_OK, "sess_operator_ok",
	    "UPDATE operators SET failed_logins = 0, next_login_at = NULL, locked_until = NULL,"
	    " last_login_at = to_timestamp($2), totp_last_step = $3 WHERE id = $1", 3 },
	[Q_SESS_ADDRESS_LOCK] = { Q_SESS_ADDRESS_LOCK, "sess_address_lock",
	    "SELECT failures, extract(epoch FROM next_login_at), extract(epoch FROM locked_until)"
	    " FROM login_addresses WHERE address = $1 FOR UPDATE", 1 },
	[Q_SESS_ADDRESS_FAIL] = { Q_SESS_ADDRESS_FAIL, "sess_address_fail",
	    "INSERT INTO login_addresses (address, failures, next_login_at, locked_until,"
	    " last_failure_at) VALUES ($1, $2, to_timestamp($3), to_timestamp($4), to_timestamp($5))"
	    " ON CONFLICT (address) DO UPDATE SET failures = EXCLUDED.failures,"
	    " next_login_at = EXCLUDED.next_login_at, locked_until = EXCLUDED.locked_until,"
	    " last_failure_at = EXCLUDED.last_failure_at", 5 },
	[Q_SESS_ADDRESS_RESET] = { Q_SESS_ADDRESS_RESET, "sess_address_reset",
	    "DELETE FROM login_addresses WHERE address = $1", 1 },
	[Q_SESS_INSERT] = { Q_SESS_INSERT, "sess_insert",
	    "INSERT INTO operator_sessions (token_hash, operator_id, csrf_hash, created_at,"
	    " expires_at, last_seen_at, remote) VALUES (decode($1, 'hex'), $2, decode($3, 'hex'),"
	    " to_timestamp($4), to_timestamp($5), to_timestamp($4), $6)", 6 },
	/* One statement: the session is live (absolute and idle) and its operator enabled. */
	[Q_SESS_TOUCH] = { Q_SESS_TOUCH, "sess_touch",
	    "WITH s AS (UPDATE operator_sessions s SET last_seen_at = to_timestamp($2)"
	    " FROM operators o"
	    " WHERE s.token_hash = decode($1, 'hex') AND o.id = s.operator_id AND o.enabled"
	    " AND s.expires_at > to_timestamp($2)"
	    " AND s.last_seen_at > to_timestamp($2::bigint - $3::bigint)"
	    " RETURNING o.id, o.username, coalesce(o.display_name, '') AS display_name, o.role,"
	    " encode(s.csrf_hash, 'hex') AS csrf, extract(epoch FROM s.expires_at)::bigint AS exp),"
	    /* the operator's last_seen_at (0008), at most one write a minute */
	    " t AS (UPDATE operators SET last_seen_at = to_timestamp($2)"
	    " WHERE id IN (SELECT id FROM s) AND (last_seen_at IS NULL"
	    " OR last_seen_at < to_timestamp($2::bigint - 60)))"
	    " SELECT id, username, display_name, role, csrf, exp FROM s", 3 },
	[Q_SESS_DROP] = { Q_SESS_DROP, "sess_drop",
	    "DELETE FROM operator_sessions WHERE token_hash = decode($1, 'hex')"
	    " RETURNING operator_id", 1 },
	/* ---- end operators: sessions ---- */

	/* ---- operators: audit ---- */
	/*
	 * One sealer at a time across instances: a transaction-level advisory
	 * lock (released by COMMIT), key 'jpkiaudt'. try: a busy lock means
	 * another instance is sealing right now.
	 */
	[Q_AUDIT_SEAL_LOCK] = { Q_AUDIT_SEAL_LOCK, "audit_seal_lock",
	    "SELECT pg_try_advisory_xact_lock(7678488339081176180)::text", 0 },
	[Q_AUDIT_SEAL_TIP] = { Q_AUDIT_SEAL_TIP, "audit_seal_tip",
	    "SELECT chain_pos::text, seq::text, encode(sealed_hash, 'hex') FROM audit_log a"
	    " WHERE a.chain_pos IS NOT NULL ORDER BY a.chain_pos DESC LIMIT 1", 0 },
	/* In seq order (audit_log_unsealed_idx); at exact to the microsecond (numeric). */
	[Q_AUDIT_SEAL_BATCH] = { Q_AUDIT_SEAL_BATCH, "audit_seal_batch",
	    "SELECT seq::text, (extract(epoch FROM at) * 1000000)::bigint::text, actor, action,"
	    " object, detail::text FROM audit_log a WHERE a.sealed_hash IS NULL"
	    " ORDER BY a.seq LIMIT $1::int", 1 },
	[Q_AUDIT_SEAL_SET] = { Q_AUDIT_SEAL_SET, "audit_seal_set",
	    "UPDATE audit_log a SET chain_pos = u.pos, sealed_hash = decode(u.h, 'hex')"
	    " FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(seq, pos, h)"
	    " WHERE a.seq = u.seq AND a.sealed_hash IS NULL", 3 },
	[Q_AUDIT_CP_LAST] = { Q_AUDIT_CP_LAST, "audit_cp_last",
	    "SELECT chain_pos::text, (extract(epoch FROM at) * 1000000)::bigint::text"
	    " FROM audit_checkpoints c ORDER BY c.chain_pos DESC LIMIT 1", 0 },
	[Q_AUDIT_CP_INSERT] = { Q_AUDIT_CP_INSERT, "audit_cp_insert",
	    "INSERT INTO audit_checkpoints (chain_pos, seq, hash, at, signature, signer_sha256)"
	    " VALUES ($1::bigint, $2::bigint, decode($3, 'hex'),"
	    " 'epoch'::timestamptz + $4::bigint * interval '1 microsecond',"
	    " decode($5, 'hex'), decode($6, 'hex'))", 6 },
	/*
	 * GET /v1/audit: every filter optional (NULL), newest first by seq,
	 * keyset-paged by seq ($7: strictly below). Indexes in 0006.
	 */
	[Q_AUDIT_LIST] = { Q_AUDIT_LIST, "audit_list",
	    "SELECT seq::text, extract(epoch FROM at)::bigint::text,"
	    " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    " actor, action, object, detail::text, detail->>'request_id',"
	    " (sealed_hash IS NOT NULL)::text FROM audit_log a"
	    " WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)"
	    " AND ($3::text IS NULL OR object = $3)"
	    " AND ($4::text IS NULL OR detail->>'request_id' = $4)"
	    " AND ($5::bigint IS NULL OR at >= to_timestamp($5::bigint))"
	    " AND ($6::bigint IS NULL OR at < to_timestamp($6::bigint))"
	    " AND ($7::bigint IS NULL OR seq < $7::bigint)"
	    " ORDER BY a.seq DESC LIMIT $8::int", 8 },
	[Q_AUDIT_APP_MUNICIPALITY] = { Q_AUDIT_APP_MUNICIPALITY, "audit_app_municipality",
	    "SELECT municipality_code FROM applications WHERE id = $1::uuid", 1 },
	/* ---- end operators: audit ---- */

	/* ---- operators: stats ---- */
	/* Rollups + unfolded deltas in one snapshot (0007_stats.sql). */
	[Q_STATS_REPORT] = { Q_STATS_REPORT, "stats_report",
	    "SELECT report, munis, next_muni FROM stats_report(to_timestamp($1::bigint), $2::text,"
	    " $3::text, $4::int)", 4 },
	[Q_STATS_FOLD] = { Q_STATS_FOLD, "stats_fold",
	    "SELECT stats_fold(to_timestamp($1::bigint))", 1 },
	/* ---- end operators: stats ---- */

	/* ---- operators: management ---- */
	/*
	 * Terminals, register feeds, kiosks (api/operators/principals_admin.c): one
	 * column list for the three, NULL where a kind has no such column.
	 */
#define PA_TAIL " encode(cert_sha256, 'hex'), enabled::text," \
	    " extract(epoch FROM created_at)::bigint::text," \
	    " extract(epoch FROM last_seen_at)::bigint::text"
#define PA_TERM " id::text, name, municipality_code::text, window_code, NULL::text," PA_TAIL
#define PA_FEED " id::text, name, NULL::text, NULL::text, NULL::text," PA_TAIL
#define PA_KIOSK " id::text, name, NULL::text, NULL::text, auth_pin_reset::text," PA_TAIL
	[Q_MGMT_TERM_LIST] = { Q_MGMT_TERM_LIST, "mgmt_term_list",
	    "SELECT" PA_TERM " FROM terminals"
	    " WHERE ($1::bigint IS NULL OR id > $1::bigint)"
	    " AND ($2::boolean IS NULL OR enabled = $2::boolean)"
	    " AND ($3::char(6) IS NULL OR municipality_code = $3::char(6))"
	    " ORDER BY terminals.id LIMIT $4::int", 4 },
	[Q_MGMT_TERM_GET] = { Q_MGMT_TERM_GET, "mgmt_term_get",
	    "SELECT" PA_TERM " FROM terminals WHERE id = $1::bigint", 1 },
	/* No row: the municipality does not exist (a 422, not a constraint error). */
	[Q_MGMT_TERM_INSERT] = { Q_MGMT_TERM_INSERT, "mgmt_term_insert",
	    "INSERT INTO terminals (name, municipality_code, window_code, cert_sha256, created_at)"
	    " SELECT $1, m.code, $3, $4::bytea, to_timestamp($5::bigint)"
	    " FROM municipalities m WHERE m.code = $2::char(6)"
	    " RETURNING" PA_TERM, 5 },
	[Q_MGMT_TERM_UPDATE] = { Q_MGMT_TERM_UPDATE, "mgmt_term_update",
	    "UPDATE terminals SET name = coalesce($2, name),"
	    " enabled = coalesce($3::boolean, enabled),"
	    " window_code = CASE WHEN $4::boolean THEN $5 ELSE window_code END"
	    " WHERE id = $1::bigint RETURNING" PA_TERM, 5 },
	[Q_MGMT_FEED_LIST] = { Q_MGMT_FEED_LIST, "mgmt_feed_list",
	    "SELECT" PA_FEED " FROM register_feeds"
	    " WHERE ($1::bigint IS NULL OR id > $1::bigint)"
	    " AND ($2::boolean IS NULL OR enabled = $2::boolean)"
	    " ORDER BY register_feeds.id LIMIT $3::int", 3 },
	[Q_MGMT_FEED_GET] = { Q_MGMT_FEED_GET, "mgmt_feed_get",
	    "SELECT" PA_FEED " FROM register_feeds WHERE id = $1::bigint", 1 },
	[Q_MGMT_FEED_INSERT] = { Q_MGMT_FEED_INSERT, "mgmt_feed_insert",
	    "INSERT INTO register_feeds (name, cert_sha256, created_at)"
	    " VALUES ($1, $2::bytea, to_timestamp($3::bigint)) RETURNING" PA_FEED, 3 },
	[Q_MGMT_FEED_UPDATE] = { Q_MGMT_FEED_UPDATE, "mgmt_feed_update",
	    "UPDATE register_feeds SET name = coalesce($2, name),"
	    " enabled = coalesce($3::boolean, enabled)"
	    " WHERE id = $1::bigint RETURNING" PA_FEED, 3 },
	[Q_MGMT_KIOSK_LIST] = { Q_MGMT_KIOSK_LIST, "mgmt_kiosk_list",
	    "SELECT" PA_KIOSK " FROM kiosks"
	    " WHERE ($1::bigint IS NULL OR id > $1::bigint)"
	    " AND ($2::boolean IS NULL OR enabled = $2::boolean)"
	    " ORDER BY kiosks.id LIMIT $3::int", 3 },
	[Q_MGMT_KIOSK_GET] = { Q_MGMT_KIOSK_GET, "mgmt_kiosk_get",
	    "SELECT" PA_KIOSK " FROM kiosks WHERE id = $1::bigint", 1 },
	[Q_MGMT_KIOSK_INSERT] = { Q_MGMT_KIOSK_INSERT, "mgmt_kiosk_insert",
	    "INSERT INTO kiosks (name, auth_pin_reset, cert_sha256, created_at)"
	    " VALUES ($1, $2::boolean, $3::bytea, to_timestamp($4::bigint)) RETURNING" PA_KIOSK, 4 },
	[Q_MGMT_KIOSK_UPDATE] = { Q_MGMT_KIOSK_UPDATE, "mgmt_kiosk_update",
	    "UPDATE kiosks SET name = coalesce($2, name),"
	    " enabled = coalesce($3::boolean, enabled),"
	    " auth_pin_reset = coalesce($4::boolean, auth_pin_reset)"
	    " WHERE id = $1::bigint RETURNING" PA_KIOSK, 4 },
#undef PA_TERM
#undef PA_FEED
#undef PA_KIOSK
#undef PA_TAIL
	/*
	 * After a successful authentication (api/auth.c): one primary-key
	 * UPDATE of the principal's own table that writes nothing when the
	 * row was seen less than a minute ago (so at most one write a minute).
	 */
#define TOUCH(tbl, kind) "UPDATE " tbl " SET last_seen_at = to_timestamp($3::bigint)" \
	    " WHERE $1 = '" kind "' AND id = $2::bigint AND (last_seen_at IS NULL OR" \
	    " last_seen_at < to_timestamp($3::bigint) - interval '60 seconds')"
	[Q_MGMT_TOUCH] = { Q_MGMT_TOUCH, "mgmt_touch",
	    "WITH t AS (" TOUCH("terminals", "terminal") "),"
	    " f AS (" TOUCH("register_feeds", "register_feed") "),"
	    " k AS (" TOUCH("kiosks", "kiosk") "),"
	    " r AS (" TOUCH("relying_parties", "relying_party") "),"
	    " o AS (" TOUCH("operators", "operator") ")"
	    " SELECT 1", 3 },
#undef TOUCH
	/* Operators (api/operators/operators_admin.c); never the password hash or the TOTP secret. */
#define OP_COLS " id::text, username, display_name, role, enabled::text," \
	    " (totp_secret IS NOT NULL)::text, (password_hash IS NOT NULL)::text," \
	    " (cert_sha256 IS NOT NULL)::text," \
	    " extract(epoch FROM last_login_at)::bigint::text," \
	    " extract(epoch FROM locked_until)::bigint::text," \
	    " extract(epoch FROM created_at)::bigint::text," \
	    " extract(epoch FROM last_seen_at)::bigint::text"
	[Q_MGMT_OP_LIST] = { Q_MGMT_OP_LIST, "mgmt_op_list",
	    "SELECT" OP_COLS " FROM operators"
	    " WHERE ($1::bigint IS NULL OR id > $1::bigint)"
	    " AND ($2::text IS NULL OR role = $2::text)"
	    " AND ($3::boolean IS NULL OR enabled = $3::boolean)"
	    " ORDER BY operators.id LIMIT $4::int", 4 },
	[Q_MGMT_OP_GET] = { Q_MGMT_OP_GET, "mgmt_op_get",
	    "SELECT" OP_COLS " FROM operators WHERE id = $1::bigint", 1 },
	[Q_MGMT_OP_INSERT] = { Q_MGMT_OP_INSERT, "mgmt_op_insert",
	    "INSERT INTO operators (username, display_name, role, password_hash, created_at,"
	    " password_changed_at)"
	    " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), to_timestamp($5::bigint))"
	    " RETURNING" OP_COLS, 5 },
	[Q_MGMT_OP_ADMIN_LOCK] = { Q_MGMT_OP_ADMIN_LOCK, "mgmt_op_admin_lock",
	    "SELECT pg_advisory_xact_lock(hashtext('jpkid.operators.admins'))", 0 },
	[Q_MGMT_OP_UPDATE] = { Q_MGMT_OP_UPDATE, "mgmt_op_update",
	    "UPDATE operators SET role = coalesce($2, role),"
	    " enabled = coalesce($3::boolean, enabled),"
	    " display_name = coalesce($4, display_name)"
	    " WHERE id = $1::bigint RETURNING" OP_COLS, 4 },
	[Q_MGMT_OP_ADMINS] = { Q_MGMT_OP_ADMINS, "mgmt_op_admins",
	    "SELECT count(*)::text FROM operators WHERE role = 'admin' AND enabled", 0 },
	[Q_MGMT_OP_END_SESSIONS] = { Q_MGMT_OP_END_SESSIONS, "mgmt_op_end_sessions",
	    "DELETE FROM operator_sessions WHERE operator_id = $1::bigint", 1 },
	[Q_MGMT_OP_SET_TOTP] = { Q_MGMT_OP_SET_TOTP, "mgmt_op_set_totp",
	    "UPDATE operators SET totp_secret = $2::bytea, totp_last_step = -1"
	    " WHERE id = $1::bigint RETURNING username", 2 },
#undef OP_COLS
	/*
	 * GET /v1/certificates: newest first by (issued_at, serial), keyset
	 * paging from ($6, $7). The issued_at of the cursor is the exact
	 * microsecond text of the previous page's last row.
	 */
	[Q_MGMT_CERT_SEARCH] = { Q_MGMT_CERT_SEARCH, "mgmt_cert_search",
	    "SELECT encode(serial, 'hex'), type, status, resident_code::text, crl_shard::text,"
	    " extract(epoch FROM not_before)::bigint::text,"
	    " extract(epoch FROM not_after)::bigint::text,"
	    " extract(epoch FROM issued_at)::bigint::text,"
	    " extract(epoch FROM revoked_at)::bigint::text, reason, application_id::text,"
	    " to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
	    " FROM certificates"
	    " WHERE ($1::char(11) IS NULL OR resident_code = $1::char(11))"
	    " AND ($2::char(6) IS NULL OR crl_shard = $2::char(6))"
	    " AND ($3::text IS NULL OR type = $3::text)"
	    " AND ($4::text IS NULL OR status = $4::text)"
	    " AND ($5::text IS NULL OR serial = decode($5::text, 'hex'))"
	    " AND ($6::timestamptz IS NULL OR (issued_at, serial) < ($6::timestamptz, decode($7::text, 'hex')))"
	    " ORDER BY issued_at DESC, serial DESC LIMIT $8::int", 8 },
	/* GET /v1/applications/{id}: the municipality is checked by the caller (R1, audited). */
	[Q_MGMT_APP_GET] = { Q_MGMT_APP_GET, "mgmt_app_get",
	    "SELECT a.id::text, a.municipality_code::text, a.resident_code::text, a.card_number,"
	    " a.procedure, array_to_string(a.types, ','), a.applicant_kind, a.applicant::text,"
	    " a.delegation_covers_revocation::text, a.evidence::text, a.plan::text, a.state,"
	    " a.fee_yen::text, array_to_string(a.issued_types, ','), a.terminal_id::text,"
	    " extract(epoch FROM a.created_at)::bigint::text,"
	    " extract(epoch FROM a.updated_at)::bigint::text,"
	    " extract(epoch FROM a.completed_at)::bigint::text,"
	    " (SELECT r.municipality_code::text FROM residents r"
	    "  WHERE r.resident_code = a.resident_code)"	/* R1: where the resident is now */
	    " FROM applications a WHERE a.id = $1::uuid", 1 },
	[Q_MGMT_APP_INQUIRIES] = { Q_MGMT_APP_INQUIRIES, "mgmt_app_inquiries",
	    "SELECT id::text, state, wrong_attempts::text,"
	    " extract(epoch FROM created_at)::bigint::text,"
	    " extract(epoch FROM expires_at)::bigint::text,"
	    " extract(epoch FROM answered_at)::bigint::text"
	    " FROM inquiries WHERE application_id = $1::uuid ORDER BY created_at, id", 1 },
	[Q_MGMT_APP_CERTS] = { Q_MGMT_APP_CERTS, "mgmt_app_certs",
	    "SELECT encode(serial, 'hex'), type, status,"
	    " extract(epoch FROM issued_at)::bigint::text,"
	    " extract(epoch FROM not_after)::bigint::text"
	    " FROM certificates WHERE application_id = $1::uuid ORDER BY issued_at, serial", 1 },
#define RPM_COLS " id::text, name, array_to_string(types, ','), enabled::text," \
	    " encode(cert_sha256, 'hex'), (token_hash IS NOT NULL)::text," \
	    " extract(epoch FROM created_at)::bigint::text," \
	    " extract(epoch FROM last_seen_at)::bigint::text"
	[Q_MGMT_RP_PAGE] = { Q_MGMT_RP_PAGE, "mgmt_rp_page",
	    "SELECT" RPM_COLS " FROM relying_parties"
	    " WHERE ($1::bigint IS NULL OR id > $1::bigint)"
	    " AND ($2::boolean IS NULL OR enabled = $2::boolean)"
	    " ORDER BY relying_parties.id LIMIT $3::int", 3 },
	[Q_MGMT_RP_GET] = { Q_MGMT_RP_GET, "mgmt_rp_get",
	    "SELECT" RPM_COLS " FROM relying_parties WHERE id = $1::bigint", 1 },
#undef RPM_COLS
	/* ---- end operators: management ---- */
};
