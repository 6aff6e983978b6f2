/*
 * test_migrate: db/migrate.c and the schema of db/migrations/0001_schema.sql.
 *
 * Needs PostgreSQL: JPKID_TEST_DB is the conninfo of a database where the
 * user may CREATE DATABASE; without it the suite skips (exit 77). Every
 * test works in its own fresh database jpkid_test_<pid>_<tag>, created from
 * template0 and dropped (WITH (FORCE)) by the suite's teardown, so reruns
 * and parallel runs do not see each other.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <libpq-fe.h>
#include <openssl/sha.h>

#include "db/migrate.h"
#include "db/store.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testlib.h"

static long run_pid;		/* the runner's pid, inherited by forked tests */

/* Create jpkid_test_<pid>_<tag> (empty) and return its conninfo. */
static char *
tag_db(const char *tag)
{
	char name[64];

	snprintf(name, sizeof(name), "jpkid_test_%ld_%s", run_pid, tag);
	return fresh_db(testlib_db(), name);
}

/* Fresh database with the schema applied; returns a connection to it. */
static PGconn *
migrated_db(const char *tag)
{
	char err[512], *ci = tag_db(tag);
	PGconn *conn = connect_or_fail(ci);
	int n;

	free(ci);
	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	return conn;
}

/* Unchecked teardown (runs in the runner): drop every database of this run. */
static void
drop_test_dbs(void)
{
	char sql[256];
	PGconn *admin;
	PGresult *res;
	int i;

	if ((admin = PQconnectdb(testlib_db())) == NULL || PQstatus(admin) != CONNECTION_OK) {
		PQfinish(admin);
		return;
	}
	snprintf(sql, sizeof(sql), "SELECT datname FROM pg_database "
	    "WHERE datname LIKE 'jpkid\\_test\\_%ld\\_%%'", run_pid);
	res = PQexec(admin, sql);
	for (i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		    PQgetvalue(res, i, 0));
		PQclear(PQexec(admin, sql));
	}
	PQclear(res);
	PQfinish(admin);
}

static char *shared_ci;	/* migrated once by the unchecked setup */

/* Unchecked setup (runs in the runner): one migrated database to share. */
static void
setup_shared(void)
{
	PGconn *conn = migrated_db("shared");

	shared_ci = conninfo_with_db(testlib_db(), PQdb(conn));
	PQfinish(conn);
}

static void
teardown_all(void)
{
	drop_test_dbs();
	free(shared_ci);
	shared_ci = NULL;
}

/* A municipality, a resident, its card and a terminal. */
static const char fixture_sql[] =
	"INSERT INTO municipalities (code, prefecture, name)"
	"  VALUES ('131016', '東京都', '千代田区');"
	"INSERT INTO residents (resident_code, municipality_code, family_name, given_name,"
	"  family_name_kana, given_name_kana, birth_date, sex, address)"
	"  VALUES ('12345678901', '131016', '山田', '太郎', 'ヤマダ', 'タロウ',"
	"  '1980-04-01', '1', '東京都千代田区千代田一丁目1番');"
	"INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on,"
	"  card_family_name, card_given_name, card_birth_date, card_sex, card_address)"
	"  VALUES ('123456789012', '12345678901', 'mynumber', '2024-01-10', '2034-04-01',"
	"  '山田', '太郎', '1980-04-01', '1', '東京都千代田区千代田一丁目1番');"
	"INSERT INTO terminals (name, municipality_code, window_code, cert_sha256)"
	"  VALUES ('千代田区 窓口1', '131016', '01', sha256('terminal-1'));";

/* Reserve serial hex (e.g. "01") and insert a valid certificate of type. */
static PGresult *
insert_cert(PGconn *conn, const char *type, const char *hex)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO serials (serial, issuer) VALUES ('\\x%s', '%s');"
	    "INSERT INTO certificates (issuer, serial, type, resident_code, card_number,"
	    "  subject, not_before, not_after, crl_shard, der)"
	    "  VALUES ('%s', '\\x%s', '%s', '12345678901', '123456789012', 'CN=test',"
	    "  '2025-06-02T01:00:00Z', '2030-03-31T14:59:59Z', '131016', '\\x3000')",
	    hex, type, type, hex, type);
	return PQexec(conn, sql);
}

/*
 * Empty database: nothing applied, then every migration applied and the
 * data model's tables and the principals view exist.
 */
START_TEST(test_apply_creates_schema)
{
	static const char *const tables[] = {
		"municipalities", "holidays", "residents", "cards", "register_changes",
		"terminals", "register_feeds", "kiosks", "relying_parties", "operators",
		"operator_sessions", "applications", "inquiries", "pin_reset_authorizations",
		"serials", "certificates", "revocations", "crls", "crl_parts", "suspensions",
		"notice_batches", "notices", "audit_log", "idempotency", "schema_migrations",
		"pin_reset_challenges",
	};
	char err[512], sql[256], *ci = tag_db("create");
	PGconn *conn = connect_or_fail(ci);
	size_t i;
	int n;

	ck_assert_int_eq(migrate_current(conn, err, sizeof(err)), 0);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM information_schema.tables"
	    " WHERE table_schema = 'public'"), 0);

	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	/* 0001_schema ... 0004_pin_resets; issue 11: 0005_operators, 0006_audit_seal,
	 * 0007_stats, 0008_management; issue 13: 0009_idempotency_secrets,
	 * 0010_r10_substitutes, 0011_crl_clock, 0012_key_fingerprint; issue 14:
	 * 0013_runtime_grants; issue 15: 0015_crl_parts (0014 is another branch's),
	 * 0016_grants_indexes */
	ck_assert_int_eq(n, 15);
	ck_assert_int_eq(migrate_current(conn, err, sizeof(err)),
	    migrations[migrations_count - 1].version);

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM information_schema.tables"
		    " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
		    " AND table_name = '%s'", tables[i]);
		ck_assert_msg(scalar(conn, sql) == 1, "table %s missing", tables[i]);
	}
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM information_schema.views"
	    " WHERE table_schema = 'public' AND table_name = 'principals'"), 1);
	/* The migration ran in a transaction and left the session idle. */
	ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
	PQfinish(conn);
	free(ci);
}
END_TEST

/* A second run applies nothing and records each migration exactly once. */
START_TEST(test_apply_twice_is_noop)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char err[512];
	PGconn *conn = migrated_db("twice");
	PGresult *res;

	ck_assert_int_eq(migrate_apply(conn, err, sizeof(err)), 0);
	ck_assert_int_eq(migrate_apply(conn, err, sizeof(err)), 0);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM schema_migrations"),
	    (long)migrations_count);

	/* The recorded checksum is SHA-256 of the embedded text. */
	res = PQexecParams(conn, "SELECT name, sha256 FROM schema_migrations"
	    " WHERE version = 1", 0, NULL, NULL, NULL, NULL, 1);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_int_eq(PQgetlength(res, 0, 0), (int)strlen("0001_schema"));
	ck_assert(memcmp(PQgetvalue(res, 0, 0), "0001_schema", 11) == 0);
	SHA256((const unsigned char *)migrations[0].sql, migrations[0].len, md);
	ck_assert_int_eq(PQgetlength(res, 0, 1), SHA256_DIGEST_LENGTH);
	ck_assert(memcmp(PQgetvalue(res, 0, 1), md, sizeof(md)) == 0);
	PQclear(res);
	PQfinish(conn);
}
END_TEST

/* Number of advisory locks this session holds. */
static long
advisory_locks_held(PGconn *conn)
{
	return scalar(conn, "SELECT count(*) FROM pg_locks"
	    " WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
}

/*
 * An applied migration whose recorded checksum differs from the embedded
 * text stops the run, naming it; the advisory lock is released anyway.
 */
START_TEST(test_tampered_checksum_refused)
{
	char err[512];
	PGconn *conn = migrated_db("tamper");

	must(conn, "UPDATE schema_migrations SET sha256 = sha256('edited'::bytea)"
	    " WHERE version = 1");
	err[0] = '\0';
	ck_assert_int_eq(migrate_apply(conn, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "0001_schema") != NULL, "err: %s", err);
	ck_assert_msg(strstr(err, "checksum") != NULL, "err: %s", err);
	ck_assert_int_eq(advisory_locks_held(conn), 0);
	ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
	PQfinish(conn);
}
END_TEST

/* A database migrated by a newer jpkid (unknown version) is refused. */
START_TEST(test_newer_database_refused)
{
	char err[512];
	PGconn *conn = migrated_db("newer");

	must(conn, "INSERT INTO schema_migrations (version, name, sha256)"
	    " VALUES (9999, '9999_future', sha256('x'::bytea))");
	ck_assert_int_eq(migrate_apply(conn, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "9999") != NULL, "err: %s", err);
	ck_assert_int_eq(advisory_locks_held(conn), 0);
	PQfinish(conn);
}
END_TEST

/*
 * A migration that fails (here: a table it creates already exists) is
 * rolled back whole, not recorded, reported with its name, and
 * the lock is released.
 */
START_TEST(test_failed_migration_rolls_back)
{
	char err[512], *ci = tag_db("fails");
	PGconn *conn = connect_or_fail(ci);

	must(conn, "CREATE TABLE audit_log (x int)");
	ck_assert_int_eq(migrate_apply(conn, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "migration 0001_schema", 21) == 0, "err: %s", err);
	ck_assert_msg(strstr(err, "audit_log") != NULL, "err: %s", err);
	ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
	ck_assert_int_eq(advisory_locks_held(conn), 0);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM schema_migrations"), 0);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM information_schema.tables"
	    " WHERE table_schema = 'public' AND table_name = 'municipalities'"), 0);
	ck_assert_int_eq(migrate_current(conn, err, sizeof(err)), 0);

	/* Fixed by the operator: the next run applies it. */
	must(conn, "DROP TABLE audit_log");
	ck_assert_int_eq(migrate_apply(conn, err, sizeof(err)), (int)migrations_count);
	PQfinish(conn);
	free(ci);
}
END_TEST

static void *
unlock_later(void *arg)
{
	PGconn *holder = arg;
	struct timespec ts = { 0, 400 * 1000000L };

	nanosleep(&ts, NULL);
	PQclear(PQexec(holder, "SELECT pg_advisory_unlock_all()"));
	return NULL;
}

/*
 * A pool connection has a short statement_timeout (the daemon's): waiting
 * 400 ms for another migrator's lock must not trip it, and the session's
 * timeout is back afterwards.
 */
START_TEST(test_lock_wait_ignores_statement_timeout)
{
	char err[512], sql[96], *ci = tag_db("timeout");
	PGconn *conn = connect_or_fail(ci), *holder = connect_or_fail(ci);
	PGresult *res;
	pthread_t th;
	int n;

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%ld)", (long)MIGRATE_LOCK_KEY);
	must(holder, sql);
	must(conn, "SET statement_timeout = '150ms'");
	ck_assert_int_eq(pthread_create(&th, NULL, unlock_later, holder), 0);
	n = migrate_apply(conn, err, sizeof(err));
	pthread_join(th, NULL);
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	res = PQexec(conn, "SHOW statement_timeout");
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "150ms");
	PQclear(res);
	PQfinish(holder);
	PQfinish(conn);
	free(ci);
}
END_TEST

#define NMIGRATORS 4

struct migrator {
	const char		*conninfo;
	pthread_barrier_t	*start;
	int			 applied;
	char			 err[512];
};

static void *
migrator_main(void *arg)
{
	struct migrator *m = arg;
	PGconn *conn = PQconnectdb(m->conninfo);

	pthread_barrier_wait(m->start);
	if (PQstatus(conn) != CONNECTION_OK) {
		m->applied = -2;
		snprintf(m->err, sizeof(m->err), "%s", PQerrorMessage(conn));
	} else
		m->applied = migrate_apply(conn, m->err, sizeof(m->err));
	PQfinish(conn);
	return NULL;
}

/*
 * Several jpkid starting at once: all succeed, the schema is applied once
 * (the advisory lock serializes them; the others find nothing pending).
 */
START_TEST(test_concurrent_apply_once)
{
	struct migrator m[NMIGRATORS];
	pthread_t th[NMIGRATORS];
	pthread_barrier_t start;
	char *ci = tag_db("concurrent");
	PGconn *conn;
	int i, total = 0;

	pthread_barrier_init(&start, NULL, NMIGRATORS);
	for (i = 0; i < NMIGRATORS; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].conninfo = ci;
		m[i].start = &start;
		ck_assert_int_eq(pthread_create(&th[i], NULL, migrator_main, &m[i]), 0);
	}
	for (i = 0; i < NMIGRATORS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < NMIGRATORS; i++) {
		ck_assert_msg(m[i].applied >= 0, "migrator %d: %d %s", i, m[i].applied,
		    m[i].err);
		total += m[i].applied;
	}
	ck_assert_int_eq(total, (int)migrations_count);

	conn = connect_or_fail(ci);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM schema_migrations"),
	    (long)migrations_count);
	PQfinish(conn);
	free(ci);
}
END_TEST

/*
 * Table of states the schema makes impossible: each row runs in its own
 * transaction on the shared database (fixture, then the row's statements,
 * then ROLLBACK) and names the classification store_classify must give the
 * failing statement.
 */
static const struct bad_row {
	const char		*what;
	const char		*sql;
	enum store_status	 status;
	const char		*sqlstate;
	const char		*constraint;
} bad_rows[] = {
	{ "resident sex 3 (JIS X 0303 has 1, 2, 9; R25)",
	  "INSERT INTO residents (resident_code, municipality_code, family_name, birth_date,"
	  " sex, address) VALUES ('12345678902', '131016', '佐藤', '1990-01-01', '3', '千代田')",
	  STORE_CONSTRAINT, "23514", "residents_sex_check" },
	{ "resident code of 10 digits",
	  "INSERT INTO residents (resident_code, municipality_code, family_name, birth_date,"
	  " sex, address) VALUES ('1234567890', '131016', '佐藤', '1990-01-01', '2', '千代田')",
	  STORE_CONSTRAINT, "23514", "residents_resident_code_check" },
	{ "address of 201 characters (R25 .5: at most 200)",
	  "INSERT INTO residents (resident_code, municipality_code, family_name, birth_date,"
	  " sex, address) VALUES ('12345678902', '131016', '佐藤', '1990-01-01', '2',"
	  " repeat('あ', 201))",
	  STORE_CONSTRAINT, "23514", "residents_address_check" },
	{ "resident of an unknown municipality",
	  "INSERT INTO residents (resident_code, municipality_code, family_name, birth_date,"
	  " sex, address) VALUES ('12345678902', '999999', '佐藤', '1990-01-01', '2', '千代田')",
	  STORE_CONSTRAINT, "23503", "residents_municipality_code_fkey" },
	{ "municipality code with letters",
	  "INSERT INTO municipalities (code, prefecture, name) VALUES ('13101A', '東京都', 'x')",
	  STORE_CONSTRAINT, "23514", "municipalities_code_check" },
	{ "My Number card number of 11 digits",
	  "INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on,"
	  " card_family_name, card_birth_date, card_sex, card_address) VALUES ('12345678901',"
	  " '12345678901', 'mynumber', '2024-01-10', '2034-04-01', '山田', '1980-04-01', '1', 'x')",
	  STORE_CONSTRAINT, "23514", "cards_number_check" },
	{ "second active My Number card (R2)",
	  "INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on,"
	  " card_family_name, card_birth_date, card_sex, card_address) VALUES ('123456789013',"
	  " '12345678901', 'mynumber', '2025-01-10', '2035-04-01', '山田', '1980-04-01', '1', 'x')",
	  STORE_UNIQUE, "23505", "cards_one_active_mynumber" },
	{ "certificateHold (R26: never used)",
	  "INSERT INTO serials (serial, issuer) VALUES ('\\x05', 'auth');"
	  "INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,"
	  " not_before, not_after, status, revoked_at, reason, crl_shard, der) VALUES ('auth',"
	  " '\\x05', 'auth', '12345678901', '123456789012', 'CN=x', '2025-01-01Z', '2026-01-01Z',"
	  " 'revoked', now(), 'certificateHold', '131016', '\\x3000')",
	  STORE_CONSTRAINT, "23514", "certificates_reason_check" },
	{ "revoked certificate without a reason",
	  "INSERT INTO serials (serial, issuer) VALUES ('\\x05', 'auth');"
	  "INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,"
	  " not_before, not_after, status, revoked_at, crl_shard, der) VALUES ('auth',"
	  " '\\x05', 'auth', '12345678901', '123456789012', 'CN=x', '2025-01-01Z', '2026-01-01Z',"
	  " 'revoked', now(), '131016', '\\x3000')",
	  STORE_CONSTRAINT, "23514", "certificates_revocation_check" },
	{ "notAfter before notBefore",
	  "INSERT INTO serials (serial, issuer) VALUES ('\\x05', 'auth');"
	  "INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,"
	  " not_before, not_after, crl_shard, der) VALUES ('auth', '\\x05', 'auth',"
	  " '12345678901', '123456789012', 'CN=x', '2026-01-01Z', '2025-01-01Z', '131016',"
	  " '\\x3000')",
	  STORE_CONSTRAINT, "23514", "certificates_validity_check" },
	{ "certificate with an unreserved serial",
	  "INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,"
	  " not_before, not_after, crl_shard, der) VALUES ('auth', '\\x06', 'auth',"
	  " '12345678901', '123456789012', 'CN=x', '2025-01-01Z', '2026-01-01Z', '131016',"
	  " '\\x3000')",
	  STORE_CONSTRAINT, "23503", "certificates_serial_fkey" },
	{ "negative serial (RFC 5280 4.1.2.2)",
	  "INSERT INTO serials (serial, issuer) VALUES ('\\x80', 'sign')",
	  STORE_CONSTRAINT, "23514", "serials_serial_check" },
	{ "non-minimal serial encoding",
	  "INSERT INTO serials (serial, issuer) VALUES ('\\x0001', 'sign')",
	  STORE_CONSTRAINT, "23514", "serials_serial_check" },
	{ "serial of 21 octets",
	  "INSERT INTO serials (serial, issuer) VALUES ('\\x0102030405060708090a0b0c0d0e0f"
	  "101112131415', 'sign')",
	  STORE_CONSTRAINT, "23514", "serials_serial_check" },
	{ "terminal certificate registered again as a relying party",
	  "INSERT INTO relying_parties (name, cert_sha256) VALUES ('rp', sha256('terminal-1'))",
	  STORE_UNIQUE, "23505", "principals_cert_sha256_unique" },
	{ "application of a terminal of another municipality (R1)",
	  "INSERT INTO municipalities (code, prefecture, name) VALUES ('271004', '大阪府', '大阪市');"
	  "INSERT INTO applications (municipality_code, resident_code, terminal_id, procedure,"
	  " types, applicant_kind) SELECT '271004', '12345678901', id, 'issue', '{sign}', 'self'"
	  " FROM terminals",
	  STORE_CONSTRAINT, "23503", "applications_terminal_fkey" },
	{ "self applicant awaiting an inquiry (R13: proxies only)",
	  "INSERT INTO applications (municipality_code, resident_code, terminal_id, procedure,"
	  " types, applicant_kind, state) SELECT '131016', '12345678901', id, 'issue', '{sign}',"
	  " 'self', 'awaiting_inquiry' FROM terminals",
	  STORE_CONSTRAINT, "23514", "applications_inquiry_check" },
	{ "application types with a duplicate",
	  "INSERT INTO applications (municipality_code, resident_code, terminal_id, procedure,"
	  " types, applicant_kind) SELECT '131016', '12345678901', id, 'issue', '{sign,sign}',"
	  " 'self' FROM terminals",
	  STORE_CONSTRAINT, "23514", "applications_types_check" },
	{ "negative fee (R18)",
	  "INSERT INTO applications (municipality_code, resident_code, terminal_id, procedure,"
	  " types, applicant_kind, fee_yen) SELECT '131016', '12345678901', id, 'issue', '{sign}',"
	  " 'self', -200 FROM terminals",
	  STORE_CONSTRAINT, "23514", "applications_fee_yen_check" },
	{ "operator password that is not Argon2id",
	  "INSERT INTO operators (username, password_hash, role) VALUES ('alice', 'plain', 'admin')",
	  STORE_CONSTRAINT, "23514", "operators_password_hash_check" },
	{ "CRL with nextUpdate before thisUpdate",
	  "INSERT INTO crls (issuer, shard, number, this_update, next_update, der) VALUES"
	  " ('sign', '131016', 1, '2025-06-02Z', '2025-06-01Z', '\\x30')",
	  STORE_CONSTRAINT, "23514", "crls_update_check" },
	{ "CRL number going back (RFC 5280 5.2.3)",
	  "INSERT INTO crls (issuer, shard, number, this_update, next_update, der) VALUES"
	  " ('sign', '131016', 2, '2025-06-01Z', '2025-06-03Z', '\\x30');"
	  "INSERT INTO crls (issuer, shard, number, this_update, next_update, der) VALUES"
	  " ('sign', '131016', 2, '2025-06-02Z', '2025-06-04Z', '\\x30')",
	  STORE_CONSTRAINT, "23514", "crls_number_increases" },
	{ "audit_log row deleted",
	  "INSERT INTO audit_log (actor, action) VALUES ('operator:1', 'login');"
	  "DELETE FROM audit_log",
	  STORE_CONSTRAINT, "23514", "audit_log_append_only" },
	{ "audit_log row edited",
	  "INSERT INTO audit_log (actor, action) VALUES ('operator:1', 'login');"
	  "UPDATE audit_log SET action = 'nothing'",
	  STORE_CONSTRAINT, "23514", "audit_log_append_only" },
	{ "resident code changed",
	  "UPDATE residents SET resident_code = '12345678902'",
	  STORE_CONSTRAINT, "23514", "residents_resident_code_immutable" },
};

START_TEST(test_schema_refuses_bad_state)
{
	const struct bad_row *r = &bad_rows[_i];
	struct store_err err;
	PGconn *conn = connect_or_fail(shared_ci);
	PGresult *res;

	must(conn, "BEGIN");
	must(conn, fixture_sql);
	res = PQexec(conn, r->sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_FATAL_ERROR, "%s: accepted", r->what);
	store_classify(conn, res, &err);
	PQclear(res);
	ck_assert_msg(err.status == r->status, "%s: status %s (%s %s)", r->what,
	    store_status_name(err.status), err.sqlstate, err.message);
	ck_assert_msg(strcmp(err.sqlstate, r->sqlstate) == 0, "%s: sqlstate %s", r->what,
	    err.sqlstate);
	ck_assert_msg(strcmp(err.constraint, r->constraint) == 0, "%s: constraint %s (%s)",
	    r->what, err.constraint, err.message);
	must(conn, "ROLLBACK");
	PQfinish(conn);
}
END_TEST

/*
 * R9: one valid certificate per type per resident. A second valid SIGN is
 * refused naming the partial index; another type is fine; once the first
 * is revoked (superseded) the second goes in, the revocation lands in
 * revocations for the CRL, and it is final (R26).
 */
START_TEST(test_r9_one_valid_certificate_per_type)
{
	struct store_err err;
	PGconn *conn = migrated_db("r9");
	PGresult *res;

	must(conn, fixture_sql);
	res = insert_cert(conn, "sign", "01");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);

	res = insert_cert(conn, "sign", "02");
	store_classify(conn, res, &err);
	PQclear(res);
	ck_assert_int_eq(err.status, STORE_UNIQUE);
	ck_assert_str_eq(err.sqlstate, "23505");
	ck_assert_str_eq(err.constraint, "certificates_one_valid_per_type");

	res = insert_cert(conn, "auth", "03");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);

	must(conn, "UPDATE certificates SET status = 'revoked', revoked_at = now(),"
	    " reason = 'superseded' WHERE serial = '\\x01'");
	res = insert_cert(conn, "sign", "02");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM certificates"
	    " WHERE resident_code = '12345678901' AND type = 'sign' AND status = 'valid'"), 1);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM revocations WHERE issuer = 'sign'"
	    " AND serial = '\\x01' AND crl_shard = '131016' AND reason = 'superseded'"), 1);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM revocations"), 1);

	res = PQexec(conn, "UPDATE certificates SET status = 'valid', revoked_at = NULL,"
	    " reason = NULL WHERE serial = '\\x01'");
	store_classify(conn, res, &err);
	PQclear(res);
	ck_assert_int_eq(err.status, STORE_CONSTRAINT);
	ck_assert_str_eq(err.constraint, "certificates_revocation_final");
	PQfinish(conn);
}
END_TEST

/* Wait up to ms for a notification on conn; returns it (PQfreemem) or NULL. */
static PGnotify *
wait_notify(PGconn *conn, int ms)
{
	PGnotify *n;
	struct timeval tv;
	fd_set fds;
	int waited = 0;

	for (;;) {
		PQconsumeInput(conn);
		if ((n = PQnotifies(conn)) != NULL || waited >= ms)
			return n;
		FD_ZERO(&fds);
		FD_SET(PQsocket(conn), &fds);
		tv.tv_sec = 0;
		tv.tv_usec = 50000;
		select(PQsocket(conn) + 1, &fds, NULL, NULL, &tv);
		waited += 50;
	}
}

/*
 * R10/R12 trigger: a basic-four change (here the address) queues one
 * register_changes row naming the field and notifies the daemon; a change
 * of another column (kana) queues nothing but still bumps the version; a
 * no-op update changes nothing; death queues a 'deceased' row.
 */
START_TEST(test_r10_trigger_queues_basic_four_changes)
{
	PGconn *conn = migrated_db("r10"), *listener;
	char *ci;
	PGnotify *n;
	PGresult *res;

	must(conn, fixture_sql);
	ci = conninfo_with_db(testlib_db(), PQdb(conn));
	listener = connect_or_fail(ci);
	free(ci);
	must(listener, "LISTEN jpkid_register_change");
	ck_assert_int_eq(scalar(conn, "SELECT version FROM residents"), 1);

	must(conn, "UPDATE residents SET address = '東京都千代田区永田町一丁目7番'"
	    " WHERE resident_code = '12345678901'");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM register_changes"), 1);
	res = PQexec(conn, "SELECT resident_code, kind, fields, version, processed_at IS NULL"
	    " FROM register_changes");
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "12345678901");
	ck_assert_str_eq(PQgetvalue(res, 0, 1), "basic_four");
	ck_assert_str_eq(PQgetvalue(res, 0, 2), "{address}");
	ck_assert_str_eq(PQgetvalue(res, 0, 3), "2");
	ck_assert_str_eq(PQgetvalue(res, 0, 4), "t");
	PQclear(res);
	ck_assert_int_eq(scalar(conn, "SELECT version FROM residents"), 2);

	n = wait_notify(listener, 2000);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(n->relname, "jpkid_register_change");
	ck_assert_str_eq(n->extra, "12345678901");
	PQfreemem(n);

	/* Not basic four: no queue row, no notification. */
	must(conn, "UPDATE residents SET given_name_kana = 'タロー', adult_ward = false");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM register_changes"), 1);
	ck_assert_int_eq(scalar(conn, "SELECT version FROM residents"), 3);
	/* No-op update: nothing at all. */
	must(conn, "UPDATE residents SET address = address");
	ck_assert_int_eq(scalar(conn, "SELECT version FROM residents"), 3);
	ck_assert_ptr_null(wait_notify(listener, 200));

	/* Two basic-four fields at once: one row naming both. */
	must(conn, "UPDATE residents SET family_name = '鈴木', former_surname = '山田'");
	res = PQexec(conn, "SELECT fields FROM register_changes ORDER BY id DESC LIMIT 1");
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "{family_name,former_surname}");
	PQclear(res);

	/* R12: death. */
	must(conn, "UPDATE residents SET status = 'deceased'");
	res = PQexec(conn, "SELECT kind, fields FROM register_changes ORDER BY id DESC LIMIT 1");
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "deceased");
	ck_assert_str_eq(PQgetvalue(res, 0, 1), "{status}");
	PQclear(res);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM register_changes"), 3);

	/* A rolled-back change leaves no queue row. */
	must(conn, "BEGIN; UPDATE residents SET sex = '2'; ROLLBACK");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM register_changes"), 3);
	PQfinish(listener);
	PQfinish(conn);
}
END_TEST

/* The audit log may be sealed once, nothing else. */
START_TEST(test_audit_log_sealed_once)
{
	struct store_err err;
	PGconn *conn = migrated_db("audit");
	PGresult *res;

	must(conn, "INSERT INTO audit_log (actor, action, object, detail)"
	    " VALUES ('terminal:1', 'resident.read', 'resident:12345678901', '{\"a\": 1}')");
	must(conn, "UPDATE audit_log SET sealed_hash = sha256('x'::bytea)");
	res = PQexec(conn, "UPDATE audit_log SET sealed_hash = sha256('y'::bytea)");
	store_classify(conn, res, &err);
	PQclear(res);
	ck_assert_int_eq(err.status, STORE_CONSTRAINT);
	ck_assert_str_eq(err.constraint, "audit_log_append_only");
	PQfinish(conn);
}
END_TEST

static Suite *
migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("migrate");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup_shared, teardown_all);
	tcase_add_test(tc, test_apply_creates_schema);
	tcase_add_test(tc, test_apply_twice_is_noop);
	tcase_add_test(tc, test_tampered_checksum_refused);
	tcase_add_test(tc, test_newer_database_refused);
	tcase_add_test(tc, test_failed_migration_rolls_back);
	tcase_add_test(tc, test_concurrent_apply_once);
	tcase_add_test(tc, test_lock_wait_ignores_statement_timeout);
	tcase_add_loop_test(tc, test_schema_refuses_bad_state, 0,
	    (int)(sizeof(bad_rows) / sizeof(bad_rows[0])));
	tcase_add_test(tc, test_r9_one_valid_certificate_per_type);
	tcase_add_test(tc, test_r10_trigger_queues_basic_four_changes);
	tcase_add_test(tc, test_audit_log_sealed_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (testlib_db() == NULL) {
		fprintf(stderr, "JPKID_TEST_DB not set: skipping\n");
		return TEST_SKIP;
	}
	run_pid = (long)getpid();
	return testlib_run(migrate_suite());
}
