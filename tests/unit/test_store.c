/*
 * test_store: db/store.c, the libpq pool (db/store.h has the contract).
 *
 * Needs PostgreSQL: JPKID_TEST_DB is the conninfo of a database where the
 * user may CREATE DATABASE and pg_terminate_backend its own sessions;
 * without it the suite skips (exit 77). The suite works in two databases of
 * its own, jpkid_test_<pid>_store (migrated) and jpkid_test_<pid>_empty
 * (no schema), created by the unchecked setup and dropped at the end.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static char *store_ci;		/* migrated database */
static char *empty_ci;		/* database without the schema */

static char *
create_db(PGconn *admin, const char *tag)
{
	char name[64], sql[128];

	snprintf(name, sizeof(name), "jpkid_test_%ld_%s", run_pid, tag);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	must(admin, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", name);
	must(admin, sql);
	return conninfo_with_db(testlib_db(), name);
}

/* Unchecked setup (runs once, in the runner). */
static void
setup_dbs(void)
{
	char err[512];
	PGconn *admin = connect_or_fail(testlib_db()), *conn;
	int n;

	store_ci = create_db(admin, "store");
	empty_ci = create_db(admin, "empty");
	PQfinish(admin);

	conn = connect_or_fail(store_ci);
	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	must(conn, "CREATE TABLE tx_probe (id int PRIMARY KEY, attempt int NOT NULL)");
	must(conn, "INSERT INTO municipalities (code, prefecture, name)"
	    " VALUES ('131016', '東京都', '千代田区')");
	PQfinish(conn);
}

static void
teardown_dbs(void)
{
	char sql[256];
	PGconn *admin;
	PGresult *res;
	int i;

	free(store_ci);
	free(empty_ci);
	store_ci = empty_ci = NULL;
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

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct store_conn *
borrow_ok(struct store *st)
{
	struct store_err err;
	struct store_conn *c = store_borrow(st, 2000, &err);

	ck_assert_msg(c != NULL, "borrow: %s %s", store_status_name(err.status), err.message);
	ck_assert_int_eq(err.status, STORE_OK);
	return c;
}

/* Run Q_PING on c and insist on "1". */
static void
ping_ok(struct store_conn *c)
{
	struct store_err err;
	PGresult *res = store_exec(c, Q_PING, 0, NULL, NULL, NULL, &err);

	ck_assert_msg(res != NULL, "Q_PING: %s %s", store_status_name(err.status), err.message);
	ck_assert_int_eq(err.status, STORE_OK);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "1");
	PQclear(res);
}

/*
 * Pool of 2: two borrows succeed, the third times out after the wait (not
 * before, not much after) with STORE_TIMEOUT; a release makes room again.
 */
START_TEST(test_pool_exhausted_times_out)
{
	struct store *st = store_open(store_ci, 2, 0);
	struct store_conn *a, *b, *c;
	struct store_stats ss;
	struct store_err err;
	long t0, dt;

	ck_assert_ptr_nonnull(st);
	a = borrow_ok(st);
	b = borrow_ok(st);
	ck_assert_ptr_ne(a, b);

	t0 = now_ms();
	c = store_borrow(st, 300, &err);
	dt = now_ms() - t0;
	ck_assert_ptr_null(c);
	ck_assert_int_eq(err.status, STORE_TIMEOUT);
	ck_assert_msg(dt >= 295 && dt < 1500, "waited %ld ms for a 300 ms wait", dt);

	/* wait 0: no waiting at all. */
	t0 = now_ms();
	ck_assert_ptr_null(store_borrow(st, 0, &err));
	ck_assert_int_eq(err.status, STORE_TIMEOUT);
	ck_assert_int_lt(now_ms() - t0, 100);

	store_get_stats(st, &ss);
	ck_assert_int_eq(ss.size, 2);
	ck_assert_int_eq(ss.in_use, 2);
	ck_assert_int_eq(ss.connected, 2);
	ck_assert_uint_eq(ss.borrows, 2);
	ck_assert_uint_eq(ss.waits_timed_out, 2);
	ck_assert_uint_eq(ss.reconnects, 0);

	store_release(b);
	c = borrow_ok(st);
	ck_assert_ptr_eq(c, b);		/* the same slot, already connected */
	store_release(a);
	store_release(c);
	store_get_stats(st, &ss);
	ck_assert_int_eq(ss.in_use, 0);
	ck_assert_uint_eq(ss.borrows, 3);
	store_close(st);
}
END_TEST

struct waiter {
	struct store	*st;
	struct store_conn *c;
	struct store_err err;
	long		 waited_ms;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	long t0 = now_ms();

	w->c = store_borrow(w->st, 5000, &w->err);
	w->waited_ms = now_ms() - t0;
	if (w->c != NULL)
		store_release(w->c);
	return NULL;
}

/* A waiting borrower is woken by a release, well before its deadline. */
START_TEST(test_pool_release_wakes_waiter)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct waiter w = { .st = st };
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, waiter_main, &w), 0);
	sleep_ms(200);
	store_release(c);
	pthread_join(th, NULL);
	ck_assert_ptr_nonnull(w.c);
	ck_assert_int_eq(w.err.status, STORE_OK);
	ck_assert_msg(w.waited_ms >= 150 && w.waited_ms < 2000, "waited %ld ms", w.waited_ms);
	store_close(st);
}
END_TEST

#define HAMMER_THREADS	8
#define HAMMER_ROUNDS	100

struct hammer {
	struct store	*st;
	int		 failures;
};

static void *
hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct store_err err;
	struct store_conn *c;
	PGresult *res;
	int i;

	for (i = 0; i < HAMMER_ROUNDS; i++) {
		if ((c = store_borrow(h->st, 10000, &err)) == NULL) {
			h->failures++;
			continue;
		}
		if ((res = store_exec(c, Q_PING, 0, NULL, NULL, NULL, &err)) == NULL)
			h->failures++;
		PQclear(res);
		store_release(c);
	}
	return NULL;
}

/* Many threads over a small pool: every borrow succeeds, counters add up. */
START_TEST(test_pool_many_threads)
{
	struct store *st = store_open(store_ci, 3, 0);
	struct hammer h[HAMMER_THREADS];
	pthread_t th[HAMMER_THREADS];
	struct store_stats ss;
	int i;

	for (i = 0; i < HAMMER_THREADS; i++) {
		h[i].st = st;
		h[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer_main, &h[i]), 0);
	}
	for (i = 0; i < HAMMER_THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(h[i].failures, 0);
	}
	store_get_stats(st, &ss);
	ck_assert_uint_eq(ss.borrows, HAMMER_THREADS * HAMMER_ROUNDS);
	ck_assert_int_eq(ss.in_use, 0);
	ck_assert_int_le(ss.connected, 3);
	store_close(st);
}
END_TEST

/* store_ping and Q_PING; store_open connects lazily. */
START_TEST(test_ping_and_exec)
{
	struct store *st = store_open(store_ci, 2, 0);
	struct store_stats ss;
	struct store_err err;
	struct store_conn *c;

	store_get_stats(st, &ss);
	ck_assert_int_eq(ss.connected, 0);	/* lazy */
	ck_assert_int_eq(store_ping(st, 1000, &err), 0);
	ck_assert_int_eq(err.status, STORE_OK);
	store_get_stats(st, &ss);
	ck_assert_int_eq(ss.connected, 1);
	ck_assert_int_eq(ss.in_use, 0);

	c = borrow_ok(st);
	ping_ok(c);
	ck_assert_int_eq(PQtransactionStatus(store_pgconn(c)), PQTRANS_IDLE);
	store_release(c);
	store_close(st);
}
END_TEST

/* Q_PRINCIPAL_BY_CERT with $1 binary; returns kind, id, name, municipality. */
START_TEST(test_principal_by_cert)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *vals[1] = { (const char *)md };
	const int lens[1] = { SHA256_DIGEST_LENGTH }, fmts[1] = { 1 };
	const char *code[1] = { "131016" };
	struct store *st = store_open(store_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct store_err err;
	PGresult *res;
	char id[32];

	ck_assert_int_eq(store_command(c,
	    "INSERT INTO terminals (name, municipality_code, window_code, cert_sha256)"
	    " VALUES ('千代田区 窓口1', '131016', '01', sha256('store-terminal-1'));"
	    "INSERT INTO terminals (name, municipality_code, cert_sha256, enabled)"
	    " VALUES ('千代田区 窓口2', '131016', sha256('store-terminal-2'), false);"
	    "INSERT INTO relying_parties (name, cert_sha256)"
	    " VALUES ('e-Tax', sha256('store-rp-1'))", &err), 0);
	res = PQexec(store_pgconn(c), "SELECT id FROM terminals"
	    " WHERE cert_sha256 = sha256('store-terminal-1')");
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	SHA256((const unsigned char *)"store-terminal-1", 16, md);
	res = store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err);
	ck_assert_msg(res != NULL, "%s", err.message);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_int_eq(PQnfields(res), 7);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "terminal");
	ck_assert_str_eq(PQgetvalue(res, 0, 1), id);
	ck_assert_str_eq(PQgetvalue(res, 0, 2), "千代田区 窓口1");
	ck_assert_str_eq(PQgetvalue(res, 0, 3), "131016");
	ck_assert_str_eq(PQgetvalue(res, 0, 4), "千代田区");
	ck_assert_str_eq(PQgetvalue(res, 0, 5), "東京都");
	ck_assert(PQgetisnull(res, 0, 6));	/* role: operators only */
	PQclear(res);

	/* An operator's role reaches the principal (migration 0003). */
	ck_assert_int_eq(store_command(c,
	    "INSERT INTO operators (username, role, cert_sha256)"
	    " VALUES ('store-officer', 'officer', sha256('store-operator-1'))", &err), 0);
	SHA256((const unsigned char *)"store-operator-1", 16, md);
	res = store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "operator");
	ck_assert_str_eq(PQgetvalue(res, 0, 6), "officer");
	PQclear(res);

	/* A disabled terminal is nobody. */
	SHA256((const unsigned char *)"store-terminal-2", 16, md);
	res = store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err);
	ck_assert_int_eq(PQntuples(res), 0);
	PQclear(res);

	/* A relying party has no municipality. */
	SHA256((const unsigned char *)"store-rp-1", 10, md);
	res = store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "relying_party");
	ck_assert_str_eq(PQgetvalue(res, 0, 2), "e-Tax");
	ck_assert(PQgetisnull(res, 0, 3));
	ck_assert(PQgetisnull(res, 0, 4));
	PQclear(res);

	/* Unknown certificate. */
	SHA256((const unsigned char *)"unknown", 7, md);
	res = store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err);
	ck_assert_int_eq(PQntuples(res), 0);
	PQclear(res);

	res = store_exec(c, Q_MUNICIPALITY_GET, 1, code, NULL, NULL, &err);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "131016");
	ck_assert_str_eq(PQgetvalue(res, 0, 1), "東京都");
	ck_assert_str_eq(PQgetvalue(res, 0, 2), "千代田区");
	PQclear(res);

	/* A wrong parameter count is the caller's bug, caught before the server. */
	ck_assert_ptr_null(store_exec(c, Q_MUNICIPALITY_GET, 0, NULL, NULL, NULL, &err));
	ck_assert_int_eq(err.status, STORE_ERROR);
	store_release(c);
	store_close(st);
}
END_TEST

/* Classification by SQLSTATE: each row a forced failure and its class. */
static const struct class_row {
	const char		*sql;
	enum store_status	 status;
	const char		*sqlstate;
	const char		*constraint;
} class_rows[] = {
	{ "SELECT 1/0", STORE_DATA, "22012", "" },
	{ "SELECT 'x'::int", STORE_DATA, "22P02", "" },
	{ "INSERT INTO municipalities (code, prefecture, name)"
	  " VALUES ('131016', '東京都', '千代田区')", STORE_UNIQUE, "23505", "municipalities_pkey" },
	{ "INSERT INTO municipalities (code, prefecture, name)"
	  " VALUES ('1310', '東京都', '千代田区')", STORE_CONSTRAINT, "23514",
	  "municipalities_code_check" },
	{ "INSERT INTO terminals (name, municipality_code, cert_sha256)"
	  " VALUES ('x', '999999', sha256('x'))", STORE_CONSTRAINT, "23503",
	  "terminals_municipality_code_fkey" },
	{ "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40001'; END $$",
	  STORE_RETRY, "40001", "" },
	{ "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40P01'; END $$",
	  STORE_RETRY, "40P01", "" },
	{ "SELECT pg_sleep(5)", STORE_TIMEOUT, "57014", "" },	/* statement_timeout 200 ms */
	{ "SELEC 1", STORE_ERROR, "42601", "" },
	{ "SELECT * FROM no_such_table", STORE_ERROR, "42P01", "" },
};

START_TEST(test_classify_sqlstate)
{
	const struct class_row *r = &class_rows[_i];
	struct store *st = store_open(store_ci, 1, 200);
	struct store_conn *c = borrow_ok(st);
	struct store_err err;

	ck_assert_int_eq(store_command(c, r->sql, &err), -1);
	ck_assert_msg(err.status == r->status, "%s: %s (%s %s)", r->sql,
	    store_status_name(err.status), err.sqlstate, err.message);
	ck_assert_str_eq(err.sqlstate, r->sqlstate);
	ck_assert_str_eq(err.constraint, r->constraint);
	ck_assert_str_ne(err.message, "");
	/* Not a connection failure: same session, still usable. */
	ping_ok(c);
	store_release(c);
	store_close(st);
}
END_TEST

/*
 * 53100 disk_full is remembered for /readyz (docs/reliability.md): the
 * pool reports it for the given number of seconds after the failure.
 */
START_TEST(test_disk_full_remembered)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct store_err err;

	ck_assert_int_eq(store_disk_full(st, 10), 0);
	ck_assert_int_eq(store_command(c, "DO $$ BEGIN RAISE EXCEPTION 'forced' USING"
	    " ERRCODE = '53100'; END $$", &err), -1);
	ck_assert_str_eq(err.sqlstate, "53100");
	ck_assert_int_eq(store_disk_full(st, 10), 1);
	ck_assert_int_eq(store_disk_full(st, 0), 0);
	ping_ok(c);	/* the session is still usable */
	store_release(c);
	store_close(st);
}
END_TEST

/* Terminate c's backend from another session and wait until it is gone. */
static void
kill_backend(struct store_conn *c)
{
	PGconn *admin = connect_or_fail(store_ci);
	char sql[128];
	int pid = PQbackendPID(store_pgconn(c)), i;

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)::int", pid);
	ck_assert_int_eq(scalar(admin, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
	for (i = 0; i < 100 && scalar(admin, sql) != 0; i++)
		sleep_ms(20);
	ck_assert_int_eq(scalar(admin, sql), 0);
	PQfinish(admin);
}

/*
 * Outside a transaction a dead session is replaced transparently: the next
 * store_exec reconnects, re-prepares and succeeds, and stats count it.
 */
START_TEST(test_reconnect_outside_tx)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct store_stats before, after;
	int pid = PQbackendPID(store_pgconn(c));

	ping_ok(c);
	store_get_stats(st, &before);
	kill_backend(c);
	ping_ok(c);				/* transparent */
	ck_assert_int_ne(PQbackendPID(store_pgconn(c)), pid);
	store_get_stats(st, &after);
	ck_assert_uint_eq(after.reconnects, before.reconnects + 1);
	ping_ok(c);				/* prepared again on the new session */
	store_release(c);

	/* Same through store_command. */
	c = borrow_ok(st);
	kill_backend(c);
	ck_assert_int_eq(store_command(c, "SELECT 1", NULL), 0);
	store_get_stats(st, &after);
	ck_assert_uint_eq(after.reconnects, before.reconnects + 2);
	store_release(c);
	store_close(st);
}
END_TEST

/*
 * Inside a transaction the work is lost: STORE_CONN, no silent retry (that
 * would run the rest of the transaction in autocommit); the connection is
 * replaced at its next borrow.
 */
START_TEST(test_no_transparent_retry_inside_tx)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct store_stats before, after;
	struct store_err err;

	store_get_stats(st, &before);
	ck_assert_int_eq(store_begin(c, &err), 0);
	kill_backend(c);
	ck_assert_ptr_null(store_exec(c, Q_PING, 0, NULL, NULL, NULL, &err));
	ck_assert_int_eq(err.status, STORE_CONN);
	ck_assert_int_eq(store_command(c, "INSERT INTO tx_probe VALUES (500, 1)", &err), -1);
	ck_assert_int_eq(err.status, STORE_CONN);
	ck_assert_int_eq(store_commit(c, &err), -1);
	ck_assert_int_eq(err.status, STORE_CONN);
	store_release(c);

	c = borrow_ok(st);			/* reconnects here */
	ping_ok(c);
	store_get_stats(st, &after);
	ck_assert_uint_eq(after.reconnects, before.reconnects + 1);
	ck_assert_int_eq(scalar(store_pgconn(c),
	    "SELECT count(*) FROM tx_probe WHERE id = 500"), 0);
	store_release(c);
	store_close(st);
}
END_TEST

/* PostgreSQL unreachable: open succeeds, ping and borrow fail fast with STORE_CONN. */
START_TEST(test_database_down)
{
	struct store *st = store_open("host=/nonexistent/jpkid-test user=nobody dbname=x", 2, 0);
	struct store_stats ss;
	struct store_err err;
	long t0;

	ck_assert_ptr_nonnull(st);
	t0 = now_ms();
	ck_assert_int_eq(store_ping(st, 500, &err), -1);
	ck_assert_int_eq(err.status, STORE_CONN);
	ck_assert_ptr_null(store_borrow(st, 500, &err));
	ck_assert_int_eq(err.status, STORE_CONN);
	ck_assert_int_lt(now_ms() - t0, 4000);
	store_get_stats(st, &ss);
	ck_assert_int_eq(ss.connected, 0);
	ck_assert_int_eq(ss.in_use, 0);		/* failed borrows give the slot back */
	ck_assert_uint_eq(ss.borrows, 0);
	ck_assert_uint_eq(ss.waits_timed_out, 0);
	store_close(st);
}
END_TEST

struct txarg {
	int		 calls;
	int		 fail_times;	/* first n calls fail with sqlstate */
	const char	*sqlstate;
	int		 id;
	int		 rollback;	/* after the insert, return -1 (no db error) */
};

static int
tx_fn(struct store_conn *c, void *arg, struct store_err *err)
{
	struct txarg *a = arg;
	char sql[160];

	a->calls++;
	if (a->calls <= a->fail_times) {
		snprintf(sql, sizeof(sql), "DO $$ BEGIN RAISE EXCEPTION 'forced'"
		    " USING ERRCODE = '%s'; END $$", a->sqlstate);
		return store_command(c, sql, err);
	}
	snprintf(sql, sizeof(sql), "INSERT INTO tx_probe (id, attempt) VALUES (%d, %d)",
	    a->id, a->calls);
	if (store_command(c, sql, err) != 0)
		return -1;
	return a->rollback ? -1 : 0;
}

static long
probe_attempt(int id)
{
	PGconn *conn = connect_or_fail(store_ci);
	char sql[96];
	long v;

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(attempt), 0) FROM tx_probe"
	    " WHERE id = %d", id);
	v = scalar(conn, sql);
	PQfinish(conn);
	return v;
}

/*
 * store_tx reruns the whole transaction after a serialization failure or a
 * deadlock and commits the second attempt; the first left nothing behind.
 */
static const struct tx_row {
	const char	*sqlstate;
	int		 fail_times;
	int		 serializable;
	int		 rc;		/* store_tx's result */
	enum store_status status;
	int		 calls;		/* fn calls */
	long		 committed;	/* attempt that committed, 0 = none */
} tx_rows[] = {
	{ "40001", 1, 1, 0, STORE_OK, 2, 2 },		/* serialization failure, retried */
	{ "40P01", 1, 0, 0, STORE_OK, 2, 2 },		/* deadlock, retried */
	{ "40001", 3, 1, 0, STORE_OK, 4, 4 },		/* three retries still allowed */
	{ "40001", 100, 1, -1, STORE_RETRY, 4, 0 },	/* then it gives up */
	{ "23505", 1, 0, -1, STORE_UNIQUE, 1, 0 },	/* not retryable */
	{ "22012", 1, 0, -1, STORE_DATA, 1, 0 },	/* not retryable */
};

START_TEST(test_tx_retry)
{
	const struct tx_row *r = &tx_rows[_i];
	struct store *st = store_open(store_ci, 2, 0);
	struct txarg a = { .fail_times = r->fail_times, .sqlstate = r->sqlstate,
	    .id = 1000 + _i };
	struct store_err err;
	struct store_stats ss;

	ck_assert_int_eq(store_tx(st, 1000, r->serializable, tx_fn, &a, &err), r->rc);
	ck_assert_msg(err.status == r->status, "%s: %s", r->sqlstate,
	    store_status_name(err.status));
	ck_assert_int_eq(a.calls, r->calls);
	ck_assert_int_eq(probe_attempt(a.id), r->committed);
	store_get_stats(st, &ss);
	ck_assert_int_eq(ss.in_use, 0);
	store_close(st);
}
END_TEST

/* fn returning -1 on its own (no database error) rolls back, no retry. */
START_TEST(test_tx_fn_rollback)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct txarg a = { .id = 2000, .rollback = 1 };
	struct store_err err;

	ck_assert_int_eq(store_tx(st, 1000, 0, tx_fn, &a, &err), -1);
	ck_assert_int_eq(err.status, STORE_OK);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(probe_attempt(2000), 0);
	store_close(st);
}
END_TEST

/* A connection released inside a transaction is rolled back. */
START_TEST(test_release_rolls_back)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct store_err err;

	ck_assert_int_eq(store_begin(c, &err), 0);
	ck_assert_int_eq(store_command(c, "INSERT INTO tx_probe VALUES (3000, 1)", &err), 0);
	store_release(c);
	c = borrow_ok(st);
	ck_assert_int_eq(PQtransactionStatus(store_pgconn(c)), PQTRANS_IDLE);
	ck_assert_int_eq(scalar(store_pgconn(c),
	    "SELECT count(*) FROM tx_probe WHERE id = 3000"), 0);
	store_release(c);
	store_close(st);
}
END_TEST

/* First call: the session dies before COMMIT; then as tx_fn. */
static int
tx_fn_lose_session(struct store_conn *c, void *arg, struct store_err *err)
{
	struct txarg *a = arg;

	if (a->calls == 0) {
		a->calls++;
		kill_backend(c);
		return store_command(c, "SELECT 1", err);
	}
	return tx_fn(c, arg, err);
}

/*
 * A connection lost before COMMIT was sent: nothing was committed, so
 * store_tx reruns the whole transaction on a new session, and the second
 * attempt commits (issue 13 mutation pass: no test noticed this retry gone).
 */
START_TEST(test_tx_retry_after_lost_connection)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct txarg a = { .id = 4100 };
	struct store_err err;
	struct store_stats ss;

	ck_assert_int_eq(store_tx(st, 1000, 0, tx_fn_lose_session, &a, &err), 0);
	ck_assert_int_eq(err.status, STORE_OK);
	ck_assert_int_eq(a.calls, 2);
	ck_assert_int_eq(probe_attempt(4100), 2);
	store_get_stats(st, &ss);
	ck_assert_uint_eq(ss.reconnects, 1);
	ck_assert_int_eq(ss.in_use, 0);
	store_close(st);
}
END_TEST

/* COMMIT of a failed transaction reports the failure (the server says ROLLBACK). */
START_TEST(test_commit_of_failed_tx)
{
	struct store *st = store_open(store_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct store_err err;

	ck_assert_int_eq(store_begin_serializable(c, &err), 0);
	ck_assert_int_eq(store_command(c, "INSERT INTO tx_probe VALUES (4000, 1)", &err), 0);
	ck_assert_int_eq(store_command(c, "SELECT 1/0", &err), -1);
	ck_assert_int_eq(store_command(c, "SELECT 1", &err), -1);
	ck_assert_str_eq(err.sqlstate, "25P02");
	ck_assert_int_eq(store_commit(c, &err), -1);
	ck_assert_int_eq(err.status, STORE_ERROR);
	ck_assert_str_eq(err.sqlstate, "25P02");
	ck_assert_int_eq(PQtransactionStatus(store_pgconn(c)), PQTRANS_IDLE);
	ck_assert_int_eq(scalar(store_pgconn(c),
	    "SELECT count(*) FROM tx_probe WHERE id = 4000"), 0);

	/* store_rollback after a good statement: nothing kept. */
	ck_assert_int_eq(store_begin(c, &err), 0);
	ck_assert_int_eq(store_command(c, "INSERT INTO tx_probe VALUES (4001, 1)", &err), 0);
	store_rollback(c);
	ck_assert_int_eq(scalar(store_pgconn(c),
	    "SELECT count(*) FROM tx_probe WHERE id = 4001"), 0);
	store_release(c);
	store_close(st);
}
END_TEST

/*
 * A pool opened before the schema exists (jpkid migrating at start): the
 * borrow works, a statement on a missing table fails as STORE_ERROR 42P01,
 * and after migrating on that same connection it is prepared on first use.
 */
START_TEST(test_prepare_after_migration)
{
	unsigned char md[SHA256_DIGEST_LENGTH] = { 0 };
	const char *vals[1] = { (const char *)md };
	const int lens[1] = { SHA256_DIGEST_LENGTH }, fmts[1] = { 1 };
	struct store *st = store_open(empty_ci, 1, 0);
	struct store_conn *c = borrow_ok(st);
	struct store_err err;
	PGresult *res;
	char merr[512];

	ping_ok(c);
	ck_assert_ptr_null(store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err));
	ck_assert_int_eq(err.status, STORE_ERROR);
	ck_assert_str_eq(err.sqlstate, "42P01");

	ck_assert_int_eq(migrate_apply(store_pgconn(c), merr, sizeof(merr)),
	    (int)migrations_count);
	res = store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err);
	ck_assert_msg(res != NULL, "%s", err.message);
	ck_assert_int_eq(PQntuples(res), 0);
	PQclear(res);
	store_release(c);
	store_close(st);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup_dbs, teardown_dbs);
	tcase_add_test(tc, test_pool_exhausted_times_out);
	tcase_add_test(tc, test_pool_release_wakes_waiter);
	tcase_add_test(tc, test_pool_many_threads);
	tcase_add_test(tc, test_ping_and_exec);
	tcase_add_test(tc, test_principal_by_cert);
	tcase_add_loop_test(tc, test_classify_sqlstate, 0,
	    (int)(sizeof(class_rows) / sizeof(class_rows[0])));
	tcase_add_test(tc, test_disk_full_remembered);
	tcase_add_test(tc, test_reconnect_outside_tx);
	tcase_add_test(tc, test_no_transparent_retry_inside_tx);
	tcase_add_test(tc, test_database_down);
	tcase_add_loop_test(tc, test_tx_retry, 0, (int)(sizeof(tx_rows) / sizeof(tx_rows[0])));
	tcase_add_test(tc, test_tx_fn_rollback);
	tcase_add_test(tc, test_release_rolls_back);
	tcase_add_test(tc, test_tx_retry_after_lost_connection);
	tcase_add_test(tc, test_commit_of_failed_tx);
	tcase_add_test(tc, test_prepare_after_migration);
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
	return testlib_run(store_suite());
}
