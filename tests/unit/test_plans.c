/*
 * test_plans: the hot queries of an issuance use the index meant for them
 * (issue 15: with a million certificates the planner took
 * certificates_resident_idx and filtered the revoked rows for latest_certs
 * instead of the partial certificates_resident_type_idx).
 *
 * One database jpkid_test_<pid>_plans (JPKID_TEST_DB; skips without it),
 * migrated, with a few thousand certificates in the mix of
 * tests/bench/issuance.sh's preload (per resident a valid AUTH and SIGN, 1 in
 * 20 AUTH / 1 in 25 SIGN revoked, every other resident an earlier AUTH
 * revoked superseded), then ANALYZE. Each statement of db/queries.c is
 * prepared under its own name and EXPLAIN (FORMAT JSON) EXECUTE'd twice: with
 * a custom plan (the first five executions of a jpkid connection) and with
 * the generic plan (what a connection may settle on after them). The plan
 * must scan certificates through the expected index and never sequentially.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "db/migrate.h"
#include "db/queries.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testlib.h"

/*
 * Residents; certificates = 5/2 of them. JPKI_PLANS_RESIDENTS overrides
 * (400000 gives the bench's million rows; minutes, not for check.sh).
 */
#define NRESIDENTS	2000

static char dbname[64];
static char *db_ci;

static const char load_sql[] =
	"INSERT INTO municipalities (code, prefecture, name) VALUES"
	"  ('131016', '東京都', '千代田区'), ('141003', '神奈川県', '横浜市');"
	"INSERT INTO residents (resident_code, municipality_code, family_name, given_name,"
	"  birth_date, sex, address)"
	" SELECT '5' || lpad(i::text, 10, '0'), CASE WHEN i %% 2 = 0 THEN '131016' ELSE '141003' END,"
	"  '試験', '花子', DATE '1950-01-01' + i, '2', '東京都千代田区' || i || '番'"
	" FROM generate_series(1, %d) AS i;"
	"INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on, status,"
	"  card_family_name, card_given_name, card_birth_date, card_sex, card_address)"
	" SELECT '5' || r.resident_code, r.resident_code, 'mynumber', current_date - 1000,"
	"  current_date + 2650, 'active', r.family_name, r.given_name, r.birth_date, r.sex, r.address"
	" FROM residents r;"
	"CREATE TEMP TABLE pre AS SELECT c, (c - 1) %% %d + 1 AS i, (c - 1) / %d AS slot,"
	"  '\\x7f'::bytea || substring(int8send(c) FROM 2) AS serial"
	" FROM generate_series(1, %d) AS c;"
	"INSERT INTO serials (serial, issuer)"
	" SELECT serial, CASE WHEN slot = 1 THEN 'sign' ELSE 'auth' END FROM pre;"
	"INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,"
	"  not_before, not_after, status, revoked_at, reason, crl_shard, der, issued_at, key_sha256)"
	" SELECT t.type, p.serial, t.type, '5' || lpad(p.i::text, 10, '0'),"
	"  '55' || lpad(p.i::text, 10, '0'), 'CN=plan ' || p.c, t.at, t.at + interval '5 years',"
	"  t.status, CASE WHEN t.status = 'revoked' THEN t.rev END,"
	"  CASE WHEN t.status = 'revoked' THEN t.reason END,"
	"  CASE WHEN p.i %% 2 = 0 THEN '131016' ELSE '141003' END,"
	"  decode(repeat('00', 1200), 'hex'), t.at, sha256(convert_to('plan' || p.c, 'UTF8'))"
	" FROM pre p, LATERAL (SELECT CASE WHEN p.slot = 1 THEN 'sign' ELSE 'auth' END AS type,"
	"  now() - (p.i %% 1500) * interval '1 day' - CASE WHEN p.slot = 2"
	"   THEN interval '4 years' ELSE interval '0' END AS at,"
	"  now() - (p.i %% 1500) * interval '1 day' AS rev,"
	"  CASE WHEN p.slot = 2 OR (p.slot = 0 AND p.i %% 20 = 0) OR (p.slot = 1 AND p.i %% 25 = 0)"
	"   THEN 'revoked' ELSE 'valid' END AS status,"
	"  CASE p.slot WHEN 0 THEN 'keyCompromise' WHEN 1 THEN 'affiliationChanged'"
	"   ELSE 'superseded' END AS reason) AS t;"
	"ANALYZE;";

/*
 * The per-issuance statements that read certificates, the arguments of
 * one EXECUTE (resident 50000000002 has all three slots) and the index each
 * must use ("a|b": either). The R9 updates may go through the unique
 * partial index of the valid row or the partial index of the unrevoked
 * ones: both reach the one valid row without reading revoked rows.
 */
static const struct plan_case {
	enum query_id	 q;
	const char	*args;
	const char	*index;
	int		 scans;		/* index scans of certificates at least (0: 1) */
} cases[] = {
	{ Q_LATEST_CERTS, "'50000000002'", "certificates_resident_type_idx", 0 },
	/* R8's expire and R9's supersede, both inside the recording statement. */
	{ Q_CERT_RECORD, "'auth', '\\x01'::bytea, '50000000002', '550000000002', 'CN=plan',"
	    " 1700000000, 1800000000, '131016', '\\x00'::bytea,"
	    " '00000000-0000-0000-0000-000000000000', 1700000000, '\\x02'::bytea,"
	    " 'terminal:1', '{}'",
	    "certificates_one_valid_per_type|certificates_resident_type_idx", 2 },
	{ Q_KEY_HOLDER, "sha256(convert_to('plan2', 'UTF8')), '50000000002', 'auth'",
	    "certificates_key_idx", 0 },
	{ Q_CARD_FACTS, "'550000000002', '50000000002'", "certificates_card_idx", 0 },
	{ Q_CERTS_OF_RESIDENT, "'50000000002'", "certificates_resident_idx", 0 },
};
#define NCASES	((int)(sizeof(cases) / sizeof(cases[0])))

static void
setup(void)
{
	PGconn *conn;
	char err[512], *sql_load;
	const char *env;
	int n, nres;

	snprintf(dbname, sizeof(dbname), "jpkid_test_%ld_plans", (long)getpid());
	db_ci = fresh_db(testlib_db(), dbname);
	conn = connect_or_fail(db_ci);
	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	env = getenv("JPKI_PLANS_RESIDENTS");
	nres = env != NULL && atoi(env) >= 2 ? atoi(env) : NRESIDENTS;
	ck_assert_int_ne(asprintf(&sql_load, load_sql, nres, nres, nres, nres * 5 / 2), -1);
	must(conn, sql_load);
	free(sql_load);
	PQfinish(conn);
}

static void
teardown(void)
{
	PGconn *admin = PQconnectdb(testlib_db());
	char sql[160];

	if (PQstatus(admin) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
		PQclear(PQexec(admin, sql));
	}
	PQfinish(admin);
	free(db_ci);
	db_ci = NULL;
}

/* Whether name is one of the '|'-separated names of list. */
static int
one_of(const char *name, const char *list)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	for (;;) {
		e = strchr(p, '|');
		if ((size_t)((e == NULL ? p + strlen(p) : e) - p) == n && strncmp(p, name, n) == 0)
			return 1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/*
 * Walk a plan node: note whether index (or, when NULL, any index) scans
 * certificates, and whether certificates is read by a sequential scan.
 * Bitmap index scans name no relation: their index name is enough.
 */
static void
walk(json_t *node, const char *index, int *used, int *seq)
{
	const char *type = json_string_value(json_object_get(node, "Node Type"));
	const char *rel = json_string_value(json_object_get(node, "Relation Name"));
	const char *idx = json_string_value(json_object_get(node, "Index Name"));
	json_t *kids = json_object_get(node, "Plans"), *k;
	size_t i;

	if (type != NULL && strcmp(type, "Seq Scan") == 0 && rel != NULL &&
	    strcmp(rel, "certificates") == 0)
		(*seq)++;
	if (idx != NULL && strncmp(idx, "certificates", 12) == 0 &&
	    one_of(idx, index))
		(*used)++;
	json_array_foreach(kids, i, k)
		walk(k, index, used, seq);
}

/* Issue 15 / R9 / R22 / R18: the index of each hot statement, both plan modes. */
START_TEST(test_hot_query_uses_index)
{
	const struct plan_case *c = &cases[_i / 2];
	const char *mode = _i % 2 == 0 ? "force_custom_plan" : "force_generic_plan";
	PGconn *conn = connect_or_fail(db_ci);
	PGresult *res;
	json_t *plan;
	json_error_t jerr;
	char sql[1024];
	int used = 0, seq = 0;

	snprintf(sql, sizeof(sql), "SET plan_cache_mode = %s", mode);
	must(conn, sql);
	res = PQprepare(conn, queries[c->q].name, queries[c->q].sql, queries[c->q].nparams, NULL);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "prepare %s: %s",
	    queries[c->q].name, PQresultErrorMessage(res));
	PQclear(res);
	snprintf(sql, sizeof(sql), "EXPLAIN (FORMAT JSON) EXECUTE %s(%s)", queries[c->q].name,
	    c->args);
	res = PQexec(conn, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1, "%s: %s",
	    sql, PQresultErrorMessage(res));
	plan = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	ck_assert_msg(plan != NULL, "EXPLAIN JSON: %s", jerr.text);
	walk(json_object_get(json_array_get(plan, 0), "Plan"), c->index, &used, &seq);
	ck_assert_msg(used >= (c->scans > 0 ? c->scans : 1) && seq == 0,
	    "%s (%s): expected an index scan on %s, no Seq Scan on certificates; plan: %.2000s",
	    queries[c->q].name, mode, c->index,
	    PQgetvalue(res, 0, 0));
	json_decref(plan);
	PQclear(res);
	PQfinish(conn);
}
END_TEST

static Suite *
plans_suite(void)
{
	Suite *s = suite_create("plans");
	TCase *tc = tcase_create("plans");

	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_hot_query_uses_index, 0, 2 * NCASES);
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
	return testlib_run(plans_suite());
}
