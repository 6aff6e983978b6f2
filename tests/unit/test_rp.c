/*
 * test_rp: api/status/rp.c, the relying-party gate and check counters (api/status/rp.h).
 *
 * The gate's decisions that need no database run always. The suite part
 * that needs PostgreSQL (JPKID_TEST_DB; skipped without it) works in its
 * own migrated database jpkid_test_<pid>_rp: the token lookup and its
 * cache, and the counters' promise: counted concurrently while flushed
 * repeatedly, every check reaches relying_party_usage exactly once, and a
 * failed flush keeps the counts for the next one.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <check.h>
#include <libpq-fe.h>

#include "api/status/rp.h"
#include "db/migrate.h"
#include "db/store.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testlib.h"

#define TOKEN_OK	"tok-valid-0123456789abcdefghijklmnopqrstuv"

static char *rp_ci;		/* migrated database, or NULL */

static const char *
hdr(void *hctx, const char *name)
{
	return strcasecmp(name, "Authorization") == 0 ? hctx : NULL;
}

static void
req_init(struct api_req *req, struct app *app, enum listener l, const char *authz)
{
	memset(req, 0, sizeof(*req));
	req->app = app;
	req->listener = l;
	req->header = hdr;
	req->hctx = (void *)authz;
}

/* ---------------------------------------------------------------- no database */

START_TEST(types_parse)
{
	ck_assert_uint_eq(rp_types_parse("sign"), RP_TYPE_SIGN);
	ck_assert_uint_eq(rp_types_parse("auth"), RP_TYPE_AUTH);
	ck_assert_uint_eq(rp_types_parse("sign,auth"), RP_TYPE_SIGN | RP_TYPE_AUTH);
	ck_assert_uint_eq(rp_types_parse("auth,sign"), RP_TYPE_SIGN | RP_TYPE_AUTH);
	ck_assert_uint_eq(rp_types_parse(""), 0);
	ck_assert_uint_eq(rp_types_parse("signs"), 0);
	ck_assert_uint_eq(rp_types_parse("sign,walk"), 0);
}
END_TEST

/*
 * Decisions taken before any look-up: the store is NULL, so reaching the
 * database would crash the test.
 */
START_TEST(gate_without_lookup)
{
	struct app app;
	struct api_req req;
	long long id = -1;
	unsigned types = 0;

	memset(&app, 0, sizeof(app));
	/* Open mode, no token: anonymous, everything. */
	req_init(&req, &app, LISTENER_STATUS, NULL);
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, 0);
	ck_assert_uint_eq(types, RP_TYPE_SIGN | RP_TYPE_AUTH);
	/* R26 switch on: no token, a malformed one, another scheme. */
	app.status.require_relying_party = 1;
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);
	ck_assert_uint_eq(types, 0);
	req_init(&req, &app, LISTENER_STATUS, "Bearer not/base64url");
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);
	req_init(&req, &app, LISTENER_STATUS, "Bearer ");
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);
	req_init(&req, &app, LISTENER_STATUS, "Basic " TOKEN_OK);
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);
	/* API listener: an operator sees everything, a terminal is nobody. */
	req_init(&req, &app, LISTENER_API, NULL);
	req.principal.kind = PRINCIPAL_OPERATOR;
	req.principal.id = 7;
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, 0);
	ck_assert_uint_eq(types, RP_TYPE_SIGN | RP_TYPE_AUTH);
	req.principal.kind = PRINCIPAL_TERMINAL;
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);
	app.status.require_relying_party = 0;
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, 0);
}
END_TEST

START_TEST(refuse_answers)
{
	struct api_resp resp;

	memset(&resp, 0, sizeof(resp));
	rp_refuse(&resp, RP_GATE_UNAUTHENTICATED);
	ck_assert_int_eq(resp.status, 401);
	ck_assert_str_eq(resp.rule, "R26");
	ck_assert_int_eq(resp.nheaders, 1);
	ck_assert_str_eq(resp.headers[0].name, "WWW-Authenticate");
	ck_assert_str_eq(resp.headers[0].value, "Bearer realm=\"jpkid\"");
	api_resp_free(&resp);
	memset(&resp, 0, sizeof(resp));
	rp_refuse(&resp, RP_GATE_UNAVAILABLE);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_str_eq(resp.headers[0].name, "Retry-After");
	api_resp_free(&resp);
}
END_TEST

/* Nothing is counted for nobody (id 0) or an unknown issuer; nothing to flush. */
START_TEST(count_ignores_nobody)
{
	struct app app;

	memset(&app, 0, sizeof(app));
	ck_assert_ptr_nonnull(app.rp_usage = rp_usage_new());
	rp_count(&app, 0, "sign", 5);
	rp_count(&app, 3, "ocsp", 5);
	rp_count(&app, 3, NULL, 5);
	/* store is NULL: a flush that had anything to write would crash. */
	ck_assert_int_eq(rp_usage_flush(&app), 0);
	rp_usage_free(app.rp_usage);
	rp_usage_free(NULL);
}
END_TEST

/* ---------------------------------------------------------------- database */

static long long
db_value(const char *sql)
{
	PGconn *conn = connect_or_fail(rp_ci);
	PGresult *res = PQexec(conn, sql);
	long long v;

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	v = PQgetisnull(res, 0, 0) ? -1 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(conn);
	return v;
}

static void
db_must(const char *sql)
{
	PGconn *conn = connect_or_fail(rp_ci);

	must(conn, sql);
	PQfinish(conn);
}

START_TEST(gate_token_lookup_and_cache)
{
	struct app app;
	struct api_req req;
	long long id, rp;
	unsigned types;
	char sql[512];

	memset(&app, 0, sizeof(app));
	ck_assert_ptr_nonnull(app.store = store_open(rp_ci, 1, 0));
	app.borrow_timeout_ms = 2000;
	ck_assert_ptr_nonnull(app.rp_usage = rp_usage_new());
	app.status.require_relying_party = 1;
	db_must("INSERT INTO relying_parties (name, types, token_hash)"
	    " VALUES ('gate', '{sign}', sha256('" TOKEN_OK "'))");
	rp = db_value("SELECT id FROM relying_parties WHERE name = 'gate'");

	req_init(&req, &app, LISTENER_STATUS, "Bearer " TOKEN_OK);
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, rp);
	ck_assert_uint_eq(types, RP_TYPE_SIGN);	/* its registration, with the switch */
	req_init(&req, &app, LISTENER_STATUS, "bearer  " TOKEN_OK);	/* scheme is case-insensitive */
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, rp);
	req_init(&req, &app, LISTENER_STATUS, "Bearer " TOKEN_OK "x");
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);

	/* Disabled behind the cache's back: still known until invalidated. */
	snprintf(sql, sizeof(sql), "UPDATE relying_parties SET enabled = false WHERE id = %lld", rp);
	db_must(sql);
	req_init(&req, &app, LISTENER_STATUS, "Bearer " TOKEN_OK);
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	rp_gate_invalidate(&app);
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);
	/* Without the switch a disabled relying party is just anonymous. */
	app.status.require_relying_party = 0;
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, 0);
	/* Enabled again: open mode identifies it but lets it see both types. */
	snprintf(sql, sizeof(sql), "UPDATE relying_parties SET enabled = true WHERE id = %lld", rp);
	db_must(sql);
	usleep((RP_GATE_TTL_MS + 200) * 1000);		/* the negative answer expires */
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, rp);
	ck_assert_uint_eq(types, RP_TYPE_SIGN | RP_TYPE_AUTH);

	/* A relying party by client certificate on the API listener. */
	app.status.require_relying_party = 1;
	rp_gate_invalidate(&app);
	req_init(&req, &app, LISTENER_API, NULL);
	req.principal.kind = PRINCIPAL_RELYING_PARTY;
	req.principal.id = rp;
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_OK);
	ck_assert_int_eq(id, rp);
	ck_assert_uint_eq(types, RP_TYPE_SIGN);
	req.principal.id = rp + 1000;
	ck_assert_int_eq(rp_gate(&req, &id, &types), RP_GATE_UNAUTHENTICATED);

	rp_usage_free(app.rp_usage);
	store_close(app.store);
}
END_TEST

#define COUNTERS	4
#define PER_THREAD	20000

struct counting {
	struct app	*app;
	long long	 rp[2];
	int		 done;
};

static void *
count_thread(void *arg)
{
	struct counting *ct = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		rp_count(ct->app, ct->rp[i % 2], i % 3 == 0 ? "auth" : "sign", 1);
	return NULL;
}

START_TEST(counts_exactly_once_while_flushing)
{
	struct app app, bad;
	struct counting ct;
	pthread_t th[COUNTERS];
	long long want_sign, want_auth;
	int i, flushes = 0;

	memset(&app, 0, sizeof(app));
	ck_assert_ptr_nonnull(app.store = store_open(rp_ci, 2, 0));
	app.borrow_timeout_ms = 2000;
	ck_assert_ptr_nonnull(app.rp_usage = rp_usage_new());
	db_must("INSERT INTO relying_parties (name, token_hash) VALUES"
	    " ('count-a', sha256('count-a')), ('count-b', sha256('count-b'))");
	ct.app = &app;
	ct.rp[0] = db_value("SELECT id FROM relying_parties WHERE name = 'count-a'");
	ct.rp[1] = db_value("SELECT id FROM relying_parties WHERE name = 'count-b'");

	/* A flush that fails keeps what it could not write. */
	memset(&bad, 0, sizeof(bad));
	ck_assert_ptr_nonnull(bad.store = store_open("host=/nonexistent/jpkid-test user=x dbname=x",
	    1, 0));
	bad.borrow_timeout_ms = 100;
	bad.rp_usage = app.rp_usage;
	rp_count(&app, ct.rp[0], "sign", 7);
	ck_assert_int_eq(rp_usage_flush(&bad), -1);
	store_close(bad.store);

	for (i = 0; i < COUNTERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, count_thread, &ct), 0);
	for (i = 0; i < 20; i++, flushes++) {
		ck_assert_int_eq(rp_usage_flush(&app), 0);
		usleep(2000);
	}
	for (i = 0; i < COUNTERS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(rp_usage_flush(&app), 0);
	ck_assert_int_eq(rp_usage_flush(&app), 0);	/* nothing left: writes nothing */

	/* Per thread: i % 3 == 0 -> auth (6667 of 20000), the rest sign. */
	want_auth = (long long)COUNTERS * ((PER_THREAD + 2) / 3);
	want_sign = (long long)COUNTERS * PER_THREAD - want_auth + 7;
	ck_assert_int_eq(db_value("SELECT sum(checks) FROM relying_party_usage u"
	    " JOIN relying_parties r ON r.id = u.relying_party_id"
	    " WHERE r.name LIKE 'count-%' AND issuer = 'sign'"), want_sign);
	ck_assert_int_eq(db_value("SELECT sum(checks) FROM relying_party_usage u"
	    " JOIN relying_parties r ON r.id = u.relying_party_id"
	    " WHERE r.name LIKE 'count-%' AND issuer = 'auth'"), want_auth);
	/* One row per (relying party, day, issuer): today (JST) only. */
	ck_assert_int_eq(db_value("SELECT count(*) FROM relying_party_usage u"
	    " JOIN relying_parties r ON r.id = u.relying_party_id WHERE r.name LIKE 'count-%'"), 4);
	rp_usage_free(app.rp_usage);
	store_close(app.store);
}
END_TEST

static long run_pid;

static void
setup_db(void)
{
	char name[64], sql[160], err[512];
	PGconn *admin, *conn;
	int n;

	if (testlib_db() == NULL)
		return;
	admin = connect_or_fail(testlib_db());
	snprintf(name, sizeof(name), "jpkid_test_%ld_rp", run_pid);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	must(admin, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", name);
	must(admin, sql);
	PQfinish(admin);
	rp_ci = conninfo_with_db(testlib_db(), name);
	conn = connect_or_fail(rp_ci);
	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	PQfinish(conn);
}

static void
teardown_db(void)
{
	char sql[160];
	PGconn *admin;

	if (rp_ci == NULL)
		return;
	free(rp_ci);
	rp_ci = NULL;
	if ((admin = PQconnectdb(testlib_db())) != NULL && PQstatus(admin) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS jpkid_test_%ld_rp WITH (FORCE)",
		    run_pid);
		PQclear(PQexec(admin, sql));
	}
	PQfinish(admin);
}

int
main(void)
{
	Suite *s = suite_create("rp");
	TCase *tc = tcase_create("gate");
	int rc;

	run_pid = (long)getpid();
	tcase_add_test(tc, types_parse);
	tcase_add_test(tc, gate_without_lookup);
	tcase_add_test(tc, refuse_answers);
	tcase_add_test(tc, count_ignores_nobody);
	suite_add_tcase(s, tc);
	if (testlib_db() != NULL) {
		tc = tcase_create("database");
		tcase_set_timeout(tc, 60);
		tcase_add_unchecked_fixture(tc, setup_db, teardown_db);
		tcase_add_test(tc, gate_token_lookup_and_cache);
		tcase_add_test(tc, counts_exactly_once_while_flushing);
		suite_add_tcase(s, tc);
	}
	rc = testlib_run(s);
	return rc;
}
