/*
 * test_r10: R10 end to end in the database. A register change made
 * straight in SQL (UPDATE residents) is queued by residents_register_change()
 * (db/migrations/0001_schema.sql, 0010_r10_substitutes.sql) and applied by
 * the daemon's register-change sweep (api/feed/sweep.c, Q_FEED_REGISTER_APPLY):
 * each column a SIGN certificate carries (R25: name incl. former surname,
 * alias and the R20 substitute forms; birth date; sex; address; and the
 * municipality, named in the SIGN subject, R23), changed alone, revokes the
 * valid SIGN (affiliationChanged) and keeps the AUTH; a column SIGN does not
 * carry revokes nothing. Also what the sweep must not touch: a SIGN past
 * notAfter, one issued after the change, a resident another transaction
 * holds; and R12 (removal, death: both types, cessationOfOperation).
 *
 * Needs PostgreSQL: JPKID_TEST_DB is the conninfo of a database where the
 * user may CREATE DATABASE; without it the suite skips (exit 77). The suite
 * works in its own database jpkid_test_<pid>_r10, migrated by the unchecked
 * setup and dropped at the end; each test has its own resident.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <libpq-fe.h>

#include "api/api.h"
#include "api/feed/sweep.h"
#include "db/migrate.h"
#include "db/store.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testlib.h"

static long run_pid;		/* the runner's pid, inherited by forked tests */
static char *db_ci;		/* the suite's migrated database */

/* Unchecked setup (runs once, in the runner). */
static void
setup_db(void)
{
	char name[64], err[512];
	PGconn *conn;
	int n;

	snprintf(name, sizeof(name), "jpkid_test_%ld_r10", run_pid);
	db_ci = fresh_db(testlib_db(), name);
	conn = connect_or_fail(db_ci);
	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	must(conn, "INSERT INTO municipalities (code, prefecture, name) VALUES"
	    " ('131016', '東京都', '千代田区'), ('141003', '神奈川県', '横浜市')");
	PQfinish(conn);
}

static void
teardown_db(void)
{
	char sql[128];
	PGconn *admin;

	free(db_ci);
	db_ci = NULL;
	if ((admin = PQconnectdb(testlib_db())) == NULL || PQstatus(admin) != CONNECTION_OK) {
		PQfinish(admin);
		return;
	}
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS jpkid_test_%ld_r10 WITH (FORCE)",
	    run_pid);
	PQclear(PQexec(admin, sql));
	PQfinish(admin);
}

/*
 * Resident 131016810NN with every name form set (so each can change
 * alone), a card, and a valid SIGN (serial 1NN0) and AUTH (serial 2NN0),
 * issued now and valid until 2030 (the sweep runs on the real clock; the
 * SIGN until sign_not_after, SQL, with fixture_at).
 */
static void
fixture_at(PGconn *conn, int nn, const char *sign_not_after)
{
	char sql[4096];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO residents (resident_code, municipality_code, family_name, given_name,"
	    "  family_name_kana, given_name_kana, former_surname, alias,"
	    "  family_name_substitute, given_name_substitute, address_substitute,"
	    "  birth_date, sex, address)"
	    "  VALUES ('131016810%02d', '131016', '髙橋', '太郎', 'タカハシ', 'タロウ',"
	    "  '佐藤', 'ジョン', '高橋', '太朗', '東京都千代田区千代田一丁目一番',"
	    "  '1980-04-01', '1', '東京都千代田区千代田一丁目1番');"
	    "INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on,"
	    "  card_family_name, card_given_name, card_former_surname, card_alias,"
	    "  card_birth_date, card_sex, card_address)"
	    "  VALUES ('1310168100%02d', '131016810%02d', 'mynumber', '2024-01-10',"
	    "  '2034-04-01', '髙橋', '太郎', '佐藤', 'ジョン', '1980-04-01', '1',"
	    "  '東京都千代田区千代田一丁目1番');"
	    "INSERT INTO serials (serial, issuer) VALUES ('\\x1%02d0', 'sign'),"
	    "  ('\\x2%02d0', 'auth');"
	    "INSERT INTO certificates (issuer, serial, type, resident_code, card_number,"
	    "  subject, not_before, not_after, crl_shard, der) VALUES"
	    "  ('sign', '\\x1%02d0', 'sign', '131016810%02d', '1310168100%02d', 'CN=s',"
	    "  now() - interval '1 day', %s, '131016', '\\x3000'),"
	    "  ('auth', '\\x2%02d0', 'auth', '131016810%02d', '1310168100%02d', 'CN=a',"
	    "  now() - interval '1 day', '2030-03-31T14:59:59Z', '131016', '\\x3000')",
	    nn, nn, nn, nn, nn, nn, nn, nn, sign_not_after, nn, nn, nn);
	must(conn, sql);
}

static void
fixture(PGconn *conn, int nn)
{
	fixture_at(conn, nn, "'2030-03-31T14:59:59Z'");
}

/* The register-change sweep as the daemon runs it; returns the count revoked. */
static long
sweep(void)
{
	struct app app;
	long revoked = -1;

	memset(&app, 0, sizeof(app));
	app.store = store_open(db_ci, 1, 10000);
	app.borrow_timeout_ms = 5000;
	ck_assert_ptr_nonnull(app.store);
	ck_assert_int_eq(sweep_register_changes(&app, time(NULL), &revoked), 0);
	store_close(app.store);
	return revoked;
}

/* "status reason" of the certificate with serial hex, e.g. "revoked affiliationChanged". */
static void
cert_state(PGconn *conn, const char *hex, char *out, size_t len)
{
	char sql[256];
	PGresult *res;

	snprintf(sql, sizeof(sql), "SELECT status || ' ' || coalesce(reason, '-')"
	    " FROM certificates WHERE serial = '\\x%s'", hex);
	res = PQexec(conn, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	    "%s: %s", sql, PQresultErrorMessage(res));
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/*
 * One column changed alone (set): what the trigger must queue (fields,
 * NULL: nothing) and so whether the SIGN goes.
 */
static const struct change {
	const char *name;
	const char *set;
	const char *fields;
} changes[] = {
	{ "family_name", "family_name = '鈴木'", "{family_name}" },
	{ "given_name", "given_name = '次郎'", "{given_name}" },
	{ "former_surname", "former_surname = '田中'", "{former_surname}" },
	{ "former_surname dropped", "former_surname = NULL", "{former_surname}" },
	{ "alias", "alias = 'ジャック'", "{alias}" },
	{ "alias dropped", "alias = NULL", "{alias}" },
	{ "birth_date", "birth_date = '1980-04-02'", "{birth_date}" },
	{ "sex", "sex = '2'", "{sex}" },
	{ "address", "address = '東京都千代田区永田町一丁目7番'", "{address}" },
	{ "municipality (a move)", "municipality_code = '141003'", "{municipality_code}" },
	/* R20: what a SIGN carries in place of a non-representable original. */
	{ "family_name_substitute", "family_name_substitute = '高𫝆'",
	    "{family_name_substitute}" },
	{ "family_name_substitute dropped", "family_name_substitute = NULL",
	    "{family_name_substitute}" },
	{ "given_name_substitute", "given_name_substitute = '太郎'",
	    "{given_name_substitute}" },
	{ "given_name_substitute dropped", "given_name_substitute = NULL",
	    "{given_name_substitute}" },
	{ "address_substitute", "address_substitute = '東京都千代田区千代田一丁目二番'",
	    "{address_substitute}" },
	{ "address_substitute dropped", "address_substitute = NULL", "{address_substitute}" },
	/* Not in a SIGN certificate: nothing queued, nothing revoked. */
	{ "family_name_kana", "family_name_kana = 'タカバシ'", NULL },
	{ "given_name_kana", "given_name_kana = 'タロー'", NULL },
	{ "both kana", "family_name_kana = 'タカバシ', given_name_kana = NULL", NULL },
	{ "no-op", "address = address, alias = alias", NULL },
};

/*
 * R10: each basic-four column (R25) changed alone in SQL revokes the SIGN
 * (affiliationChanged, audited with rule R10) and keeps the AUTH; kana and
 * no-op updates revoke nothing.
 */
START_TEST(test_r10_one_column_changed_alone)
{
	const struct change *ch = &changes[_i];
	PGconn *conn = connect_or_fail(db_ci);
	char sql[512], sign[8], auth[8], st[64];
	PGresult *res;
	long n;

	fixture(conn, _i);
	snprintf(sign, sizeof(sign), "1%02d0", _i);
	snprintf(auth, sizeof(auth), "2%02d0", _i);
	snprintf(sql, sizeof(sql), "UPDATE residents SET %s WHERE resident_code = '131016810%02d'",
	    ch->set, _i);
	must(conn, sql);

	snprintf(sql, sizeof(sql), "SELECT kind, fields FROM register_changes"
	    " WHERE resident_code = '131016810%02d'", _i);
	res = PQexec(conn, sql);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	if (ch->fields == NULL)
		ck_assert_msg(PQntuples(res) == 0, "%s: queued %s", ch->name,
		    PQntuples(res) ? PQgetvalue(res, 0, 1) : "");
	else {
		ck_assert_msg(PQntuples(res) == 1, "%s: %d rows queued", ch->name, PQntuples(res));
		ck_assert_str_eq(PQgetvalue(res, 0, 0), "basic_four");
		ck_assert_str_eq(PQgetvalue(res, 0, 1), ch->fields);
	}
	PQclear(res);

	n = sweep();
	ck_assert_msg(n == (ch->fields != NULL ? 1 : 0), "%s: sweep revoked %ld", ch->name, n);
	cert_state(conn, sign, st, sizeof(st));
	ck_assert_msg(strcmp(st, ch->fields != NULL ? "revoked affiliationChanged" :
	    "valid -") == 0, "%s: SIGN %s", ch->name, st);
	cert_state(conn, auth, st, sizeof(st));
	ck_assert_msg(strcmp(st, "valid -") == 0, "%s: AUTH %s", ch->name, st);
	if (ch->fields != NULL) {
		/* On the CRL's source table and audited under R10. */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM revocations"
		    " WHERE serial = '\\x%s' AND reason = 'affiliationChanged'", sign);
		ck_assert_int_eq(scalar(conn, sql), 1);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_log"
		    " WHERE action = 'certificate.revoke' AND object = 'certificate:%s'"
		    " AND detail->>'rule' = 'R10' AND detail->>'reason' = 'affiliationChanged'",
		    sign);
		ck_assert_int_eq(scalar(conn, sql), 1);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM register_changes"
	    " WHERE resident_code = '131016810%02d' AND processed_at IS NULL", _i);
	ck_assert_int_eq(scalar(conn, sql), 0);
	PQfinish(conn);
}
END_TEST

/* "status reason" of the SIGN and the AUTH of fixture nn. */
static void
states(PGconn *conn, int nn, char *sign, char *auth, size_t len)
{
	char hex[8];

	snprintf(hex, sizeof(hex), "1%02d0", nn);
	cert_state(conn, hex, sign, len);
	snprintf(hex, sizeof(hex), "2%02d0", nn);
	cert_state(conn, hex, auth, len);
}

/*
 * R10 with R6/R7: a SIGN already past notAfter (not yet marked expired)
 * ended by itself: a later change leaves it alone.
 */
START_TEST(test_r10_sign_past_not_after_left_alone)
{
	PGconn *conn = connect_or_fail(db_ci);
	char s[64], a[64];

	fixture_at(conn, 40, "now() - interval '1 hour'");
	must(conn, "UPDATE residents SET address = '東京都千代田区永田町一丁目7番'"
	    " WHERE resident_code = '13101681040'");
	ck_assert_int_eq(sweep(), 0);
	states(conn, 40, s, a, sizeof(s));
	ck_assert_str_eq(s, "valid -");
	ck_assert_str_eq(a, "valid -");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM register_changes"
	    " WHERE resident_code = '13101681040' AND processed_at IS NULL"), 0);
	PQfinish(conn);
}
END_TEST

/*
 * R10: a change only revokes what was issued before it. A SIGN issued
 * (from the changed data) after the change was queued, but before the
 * sweep applied it, stays valid.
 */
START_TEST(test_r10_sign_issued_after_the_change_kept)
{
	PGconn *conn = connect_or_fail(db_ci);
	char s[64];

	fixture(conn, 41);
	must(conn, "UPDATE residents SET family_name = '鈴木' WHERE resident_code = '13101681041'");
	/* R9: the new SIGN supersedes the old one, in a later transaction. */
	must(conn, "BEGIN;"
	    "UPDATE certificates SET status = 'revoked', revoked_at = now(), reason = 'superseded'"
	    "  WHERE serial = '\\x1410';"
	    "INSERT INTO serials (serial, issuer) VALUES ('\\x3410', 'sign');"
	    "INSERT INTO certificates (issuer, serial, type, resident_code, card_number,"
	    "  subject, not_before, not_after, crl_shard, der) VALUES ('sign', '\\x3410', 'sign',"
	    "  '13101681041', '131016810041', 'CN=s2', now(), '2030-03-31T14:59:59Z', '131016',"
	    "  '\\x3000');"
	    "COMMIT");
	ck_assert_int_eq(sweep(), 0);
	cert_state(conn, "3410", s, sizeof(s));
	ck_assert_str_eq(s, "valid -");
	cert_state(conn, "2410", s, sizeof(s));
	ck_assert_str_eq(s, "valid -");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM register_changes"
	    " WHERE resident_code = '13101681041' AND processed_at IS NULL"), 0);
	PQfinish(conn);
}
END_TEST

/*
 * R12: death revokes both types (cessationOfOperation, audited under R12);
 * a basic-four change pending beside a removal: cessationOfOperation wins.
 */
START_TEST(test_r12_death_or_removal_revokes_both_cessation)
{
	PGconn *conn = connect_or_fail(db_ci);
	char s[64], a[64];

	fixture(conn, 42);
	fixture(conn, 43);
	must(conn, "UPDATE residents SET status = 'deceased' WHERE resident_code = '13101681042'");
	must(conn, "UPDATE residents SET address = '東京都千代田区永田町一丁目7番'"
	    " WHERE resident_code = '13101681043'");
	must(conn, "UPDATE residents SET status = 'removed' WHERE resident_code = '13101681043'");
	ck_assert_int_eq(sweep(), 4);
	states(conn, 42, s, a, sizeof(s));
	ck_assert_str_eq(s, "revoked cessationOfOperation");
	ck_assert_str_eq(a, "revoked cessationOfOperation");
	states(conn, 43, s, a, sizeof(s));
	ck_assert_str_eq(s, "revoked cessationOfOperation");
	ck_assert_str_eq(a, "revoked cessationOfOperation");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM audit_log"
	    " WHERE action = 'certificate.revoke' AND detail->>'rule' = 'R12'"
	    " AND object IN ('certificate:1420', 'certificate:2420', 'certificate:1430',"
	    " 'certificate:2430')"), 4);
	PQfinish(conn);
}
END_TEST

/*
 * The sweep skips a resident another transaction holds (the feed, a plain
 * UPDATE, another jpkid: FOR NO KEY UPDATE SKIP LOCKED), neither waiting
 * nor applying the change under the writer; it applies it once the writer
 * commits.
 */
START_TEST(test_r10_sweep_skips_a_locked_resident)
{
	PGconn *conn = connect_or_fail(db_ci), *writer = connect_or_fail(db_ci);
	struct timespec t0, t1;
	char s[64], a[64];

	fixture(conn, 44);
	must(conn, "UPDATE residents SET sex = '2' WHERE resident_code = '13101681044'");
	must(writer, "BEGIN; SELECT 1 FROM residents WHERE resident_code = '13101681044' FOR UPDATE");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(sweep(), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 3, "the sweep waited for the lock");
	states(conn, 44, s, a, sizeof(s));
	ck_assert_str_eq(s, "valid -");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM register_changes"
	    " WHERE resident_code = '13101681044' AND processed_at IS NULL"), 1);
	must(writer, "COMMIT");
	ck_assert_int_eq(sweep(), 1);
	states(conn, 44, s, a, sizeof(s));
	ck_assert_str_eq(s, "revoked affiliationChanged");
	ck_assert_str_eq(a, "valid -");
	PQfinish(writer);
	PQfinish(conn);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	if (testlib_db() == NULL) {
		fprintf(stderr, "JPKID_TEST_DB not set: skipping\n");
		return TEST_SKIP;
	}
	run_pid = (long)getpid();
	s = suite_create("r10");
	tc = tcase_create("r10");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup_db, teardown_db);
	tcase_add_loop_test(tc, test_r10_one_column_changed_alone, 0,
	    (int)(sizeof(changes) / sizeof(changes[0])));
	tcase_add_test(tc, test_r10_sign_past_not_after_left_alone);
	tcase_add_test(tc, test_r10_sign_issued_after_the_change_kept);
	tcase_add_test(tc, test_r12_death_or_removal_revokes_both_cessation);
	tcase_add_test(tc, test_r10_sweep_skips_a_locked_resident);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
