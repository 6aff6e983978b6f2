/*
 * migrate: apply the embedded db/migrations in order (db/migrate.h).
 *
 * One run:
 *   pg_advisory_lock(MIGRATE_LOCK_KEY)        session lock: one migrator at a time
 *   CREATE TABLE IF NOT EXISTS schema_migrations
 *   check every applied row against the embedded table (sha256, name)
 *   for each pending migration: BEGIN; its SQL; INSERT schema_migrations; COMMIT
 *   pg_advisory_unlock(MIGRATE_LOCK_KEY)      also after an error
 * A second jpkid starting at the same time waits on the lock, then finds
 * nothing pending. Refusals name the migration ("0001_schema: ...").
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "db/migrate.h"

#define LOCK_KEY_STR_LEN 24

static const char create_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version int PRIMARY KEY,"
	" name text NOT NULL,"
	" sha256 bytea NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* libpq messages end in a newline; keep one line. */
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
}

/* The server's message for a failed result, or libpq's. */
static const char *
pgmsg(PGconn *conn, const PGresult *res)
{
	const char *m = NULL;

	if (res != NULL)
		m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (m == NULL || *m == '\0')
		m = PQerrorMessage(conn);
	return m;
}

static int
ok(const PGresult *res)
{
	return res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK);
}

/* Run a parameterless statement; -1 with err filled on failure. */
static int
simple(PGconn *conn, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	int rc = 0;

	if (!ok(res)) {
		seterr(err, errlen, "%s: %s", what, pgmsg(conn, res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static int
advisory(PGconn *conn, const char *fn, char *err, size_t errlen)
{
	char key[LOCK_KEY_STR_LEN];
	const char *vals[1] = { key };
	char sql[64];
	PGresult *res;
	int rc = 0;

	snprintf(key, sizeof(key), "%ld", (long)MIGRATE_LOCK_KEY);
	snprintf(sql, sizeof(sql), "SELECT %s($1::bigint)", fn);
	res = PQexecParams(conn, sql, 1, NULL, vals, NULL, NULL, 0);
	if (!ok(res)) {
		seterr(err, errlen, "%s: %s", fn, pgmsg(conn, res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Remember the session's statement_timeout in saved, then disable it. */
static int
timeout_save(PGconn *conn, char *saved, size_t len, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, "SELECT current_setting('statement_timeout')");
	int rc = -1;

	if (!ok(res) || PQntuples(res) != 1) {
		seterr(err, errlen, "reading statement_timeout: %s", pgmsg(conn, res));
		goto out;
	}
	snprintf(saved, len, "%s", PQgetvalue(res, 0, 0));
	rc = simple(conn, "SET statement_timeout = 0", "statement_timeout", err, errlen);
	if (rc != 0)
		saved[0] = '\0';
out:
	PQclear(res);
	return rc;
}

static int
timeout_restore(PGconn *conn, const char *saved, char *err, size_t errlen)
{
	const char *vals[1] = { saved };
	PGresult *res;
	int rc = 0;

	res = PQexecParams(conn, "SELECT set_config('statement_timeout', $1, false)",
	    1, NULL, vals, NULL, NULL, 0);
	if (!ok(res)) {
		seterr(err, errlen, "restoring statement_timeout: %s", pgmsg(conn, res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/*
 * Create schema_migrations when missing. Checked first (we hold the lock, so
 * nobody creates it meanwhile) to keep "already exists" notices out of the log.
 */
static int
ensure_table(PGconn *conn, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NULL");
	int missing, rc = -1;

	if (!ok(res) || PQntuples(res) != 1) {
		seterr(err, errlen, "looking for schema_migrations: %s", pgmsg(conn, res));
		goto out;
	}
	missing = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	rc = missing ? simple(conn, create_table_sql, "creating schema_migrations", err,
	    errlen) : 0;
out:
	PQclear(res);
	return rc;
}

/* 1-based line of a 1-based character position in sql (for error messages). */
static int
line_of(const char *sql, const char *pos)
{
	long p, i;
	int line = 1;

	if (pos == NULL || (p = strtol(pos, NULL, 10)) <= 0)
		return 0;
	/* The position counts characters; counting bytes is close enough for ASCII SQL. */
	for (i = 0; i < p - 1 && sql[i] != '\0'; i++)
		if (sql[i] == '\n')
			line++;
	return line;
}

static const struct migration *
find_embedded(int version)
{
	size_t i;

	for (i = 0; i < migrations_count; i++)
		if (migrations[i].version == version)
			return &migrations[i];
	return NULL;
}

/* Apply m in its own transaction; -1 with err naming m on failure. */
static int
apply_one(PGconn *conn, const struct migration *m, const unsigned char *md,
    char *err, size_t errlen)
{
	char ver[16];
	const char *vals[3] = { ver, m->name, (const char *)md };
	const int lens[3] = { 0, 0, SHA256_DIGEST_LENGTH };
	const int fmts[3] = { 0, 0, 1 };
	PGresult *res = NULL;
	int line, rc = -1;

	if (simple(conn, "BEGIN", m->name, err, errlen) != 0)
		return -1;
	res = PQexec(conn, m->sql);
	if (!ok(res)) {
		line = line_of(m->sql, PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION));
		if (line > 0)
			seterr(err, errlen, "migration %s, line %d: %s", m->name, line,
			    pgmsg(conn, res));
		else
			seterr(err, errlen, "migration %s: %s", m->name, pgmsg(conn, res));
		goto out;
	}
	PQclear(res);
	snprintf(ver, sizeof(ver), "%d", m->version);
	res = PQexecParams(conn,
	    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1::int, $2, $3)",
	    3, NULL, vals, lens, fmts, 0);
	if (!ok(res)) {
		seterr(err, errlen, "migration %s: recording it: %s", m->name, pgmsg(conn, res));
		goto out;
	}
	PQclear(res);
	res = PQexec(conn, "COMMIT");
	if (!ok(res)) {
		seterr(err, errlen, "migration %s: COMMIT: %s", m->name, pgmsg(conn, res));
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	if (rc != 0 && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	return rc;
}

/*
 * Check the applied rows against the embedded table and fill applied[i]
 * for each embedded migration. Refuses: a checksum or name mismatch (a
 * released migration was edited), a version this binary does not know (the
 * database is newer than the program), and a pending migration older than
 * an applied one (it would run out of order).
 */
static int
check_applied(PGconn *conn, unsigned char (*md)[SHA256_DIGEST_LENGTH], int *applied,
    char *err, size_t errlen)
{
	const struct migration *m;
	PGresult *res;
	size_t i;
	int r, version, maxapplied = 0, rc = -1;

	res = PQexecParams(conn,
	    "SELECT version, name, sha256 FROM schema_migrations ORDER BY version",
	    0, NULL, NULL, NULL, NULL, 1);
	if (!ok(res)) {
		seterr(err, errlen, "reading schema_migrations: %s", pgmsg(conn, res));
		goto out;
	}
	for (r = 0; r < PQntuples(res); r++) {
		/* Binary result: int4 in network order, text, bytea raw. */
		const unsigned char *v = (const unsigned char *)PQgetvalue(res, r, 0);
		const char *name = PQgetvalue(res, r, 1);
		int namelen = PQgetlength(res, r, 1);

		version = (int)((unsigned)v[0] << 24 | (unsigned)v[1] << 16 |
		    (unsigned)v[2] << 8 | v[3]);
		if ((m = find_embedded(version)) == NULL) {
			seterr(err, errlen, "schema_migrations has version %d (%.*s), unknown to "
			    "this program: the database is newer than jpkid", version, namelen,
			    name);
			goto out;
		}
		i = (size_t)(m - migrations);
		if ((size_t)namelen != strlen(m->name) || memcmp(name, m->name, namelen) != 0) {
			seterr(err, errlen, "migration %s: applied under the name %.*s", m->name,
			    namelen, name);
			goto out;
		}
		if (PQgetlength(res, r, 2) != SHA256_DIGEST_LENGTH ||
		    memcmp(PQgetvalue(res, r, 2), md[i], SHA256_DIGEST_LENGTH) != 0) {
			seterr(err, errlen, "migration %s: checksum mismatch: the applied text "
			    "differs from the embedded one (released migrations are never edited)",
			    m->name);
			goto out;
		}
		applied[i] = 1;
		if (version > maxapplied)
			maxapplied = version;
	}
	for (i = 0; i < migrations_count; i++) {
		if (!applied[i] && migrations[i].version < maxapplied) {
			seterr(err, errlen, "migration %s: pending but older than the applied "
			    "version %d", migrations[i].name, maxapplied);
			goto out;
		}
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

int
migrate_apply(PGconn *conn, char *err, size_t errlen)
{
	unsigned char (*md)[SHA256_DIGEST_LENGTH] = NULL;
	int *applied = NULL;
	int locked = 0, n = 0, rc = -1;
	size_t i;
	char uerr[256], saved_timeout[64] = "";

	if (PQstatus(conn) != CONNECTION_OK) {
		seterr(err, errlen, "no database connection: %s", PQerrorMessage(conn));
		return -1;
	}
	if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
		seterr(err, errlen, "migrate_apply called inside a transaction");
		return -1;
	}
	for (i = 1; i < migrations_count; i++) {
		if (migrations[i].version <= migrations[i - 1].version) {
			seterr(err, errlen, "embedded migrations out of order at %s",
			    migrations[i].name);
			return -1;
		}
	}
	if (migrations_count > 0 &&
	    ((md = calloc(migrations_count, sizeof(*md))) == NULL ||
	    (applied = calloc(migrations_count, sizeof(*applied))) == NULL)) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < migrations_count; i++)
		SHA256((const unsigned char *)migrations[i].sql, migrations[i].len, md[i]);

	/*
	 * A pool connection carries the daemon's statement_timeout: waiting for
	 * another migrator's lock, or a long migration, must not hit it. The
	 * session's value is restored at the end.
	 */
	if (timeout_save(conn, saved_timeout, sizeof(saved_timeout), err, errlen) != 0)
		goto out;
	if (advisory(conn, "pg_advisory_lock", err, errlen) != 0)
		goto out;
	locked = 1;
	if (ensure_table(conn, err, errlen) != 0)
		goto out;
	if (check_applied(conn, md, applied, err, errlen) != 0)
		goto out;
	for (i = 0; i < migrations_count; i++) {
		if (applied[i])
			continue;
		if (apply_one(conn, &migrations[i], md[i], err, errlen) != 0)
			goto out;
		n++;
	}
	rc = n;
out:
	if (locked && PQstatus(conn) == CONNECTION_OK &&
	    advisory(conn, "pg_advisory_unlock", uerr, sizeof(uerr)) != 0 && rc >= 0) {
		seterr(err, errlen, "%s", uerr);
		rc = -1;
	}
	if (saved_timeout[0] != '\0' && PQstatus(conn) == CONNECTION_OK &&
	    timeout_restore(conn, saved_timeout, uerr, sizeof(uerr)) != 0 && rc >= 0) {
		seterr(err, errlen, "%s", uerr);
		rc = -1;
	}
	free(md);
	free(applied);
	return rc;
}

int
migrate_current(PGconn *conn, char *err, size_t errlen)
{
	PGresult *res;
	int rc = -1;

	res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NULL");
	if (!ok(res) || PQntuples(res) != 1) {
		seterr(err, errlen, "migrate_current: %s", pgmsg(conn, res));
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		rc = 0;
		goto out;
	}
	PQclear(res);
	res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (!ok(res) || PQntuples(res) != 1) {
		seterr(err, errlen, "migrate_current: %s", pgmsg(conn, res));
		goto out;
	}
	rc = atoi(PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	return rc;
}
