/*
 * test_crl_publish: the daemon's CRL publication path (api/status/crls.c
 * crl_publish_due) against a throwaway database, for a CRL large enough
 * for crl_parts (R24, R26; migration 0015): the parts are whole
 * 8,000-octet rows but the last, the next publication lists the same
 * entries, a small CRL stays inline in crls.der, and a failure while the
 * parts are stored leaves nothing (the previous CRL is still the one
 * served). Every CRL is put back together the way Q_CRL_DER does, parsed,
 * and its signature verified with the CA certificate devca_init made.
 * Needs JPKID_TEST_DB (exit 77 without).
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "api/api.h"
#include "api/status/crls.h"
#include "ca/devca.h"
#include "ca/keyring.h"
#include "common/log.h"
#include "db/migrate.h"
#include "db/store.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testlib.h"

#define NREV	8000	/* about 440 KB of entries: above CRL_INLINE_MAX (256 KiB) */

static char	 dir[64];
static char	*ci;
static struct keyring *keys;
static time_t	 t_now;

static void
setup(void)
{
	struct devca_opts o;
	struct keyring_spec s[4];
	char paths[8][128], err[512], name[64];
	const char *names[4] = { "sign-ca", "auth-ca", "sign-ocsp", "auth-ocsp" };
	PGconn *conn;
	int i, n;

	log_set_level(LOG_LVL_WARN);
	snprintf(dir, sizeof(dir), "/tmp/jpkid-crlpub.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	ck_assert_msg(devca_init(&o, err, sizeof(err)) == 0, "devca_init: %s", err);
	memset(s, 0, sizeof(s));
	for (i = 0; i < 4; i++) {
		snprintf(paths[2 * i], sizeof(paths[0]), "%s/%s.crt", dir, names[i]);
		snprintf(paths[2 * i + 1], sizeof(paths[0]), "%s/%s.key", dir, names[i]);
		s[i].cert = paths[2 * i];
		s[i].key = paths[2 * i + 1];
	}
	ck_assert_msg(keyring_load(&s[0], &s[1], &s[2], &s[3], NULL, &keys, err,
	    sizeof(err)) == 0, "keyring_load: %s", err);
	snprintf(name, sizeof(name), "jpkid_test_%ld_crlpub", (long)getpid());
	ci = fresh_db(testlib_db(), name);
	conn = connect_or_fail(ci);
	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	must(conn, "INSERT INTO municipalities (code, prefecture, name) VALUES"
	    " ('131016', '東京都', '千代田区'), ('141003', '神奈川県', '横浜市')");
	/*
	 * NREV SIGN revocations of 131016 (16-octet serials, the six R26
	 * reasons in turn, an invalidity date on every third), and 3 of
	 * 141003; without certificate rows (the builder reads revocations only).
	 */
	must(conn, "BEGIN; SET LOCAL session_replication_role = replica;"
	    " INSERT INTO revocations (issuer, serial, crl_shard, revoked_at, reason,"
	    "  invalidity_date, not_after)"
	    " SELECT 'sign', '\\x3a'::bytea || substring(sha256(int4send(i)) FROM 1 FOR 15),"
	    "  CASE WHEN i <= 3 THEN '141003' ELSE '131016' END,"
	    "  now() - i * interval '1 minute',"
	    "  (ARRAY['unspecified','keyCompromise','cACompromise','affiliationChanged',"
	    "   'superseded','cessationOfOperation'])[i % 6 + 1],"
	    "  CASE WHEN i % 3 = 0 THEN now() - interval '2 days' END,"
	    "  now() + interval '5 years'"
	    " FROM generate_series(1, 8003) AS i; COMMIT");
	PQfinish(conn);
	t_now = time(NULL);
}

static void
teardown(void)
{
	char sql[160];
	PGconn *admin = PQconnectdb(testlib_db());

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS jpkid_test_%ld_crlpub WITH (FORCE)",
	    (long)getpid());
	PQclear(PQexec(admin, sql));
	PQfinish(admin);
	free(ci);
	keyring_free(keys);
	testlib_rm_tree(dir);
}

/* Publish every due shard at now, as the job does. */
static int
publish(time_t now, long *published)
{
	struct app app;
	int rc;

	memset(&app, 0, sizeof(app));
	app.keys = keys;
	ck_assert_ptr_nonnull(app.store = store_open(ci, 2, 0));
	pthread_rwlock_init(&app.keys_lock, NULL);
	app.borrow_timeout_ms = 10000;
	app.status.crl_publish_hours = 24;
	app.status.crl_next_update_hours = 48;
	app.issuance.status_url = (char *)"http://127.0.0.1:8080";
	rc = crl_publish_due(&app, now, published);
	store_close(app.store);
	pthread_rwlock_destroy(&app.keys_lock);
	return rc;
}

/*
 * The SIGN CRL number of shard as served (Q_CRL_DER: crls.der, else the
 * parts in seq order), checked against der_bytes and entries, parsed and
 * verified; *nparts its crl_parts rows. Caller frees.
 */
static X509_CRL *
served(PGconn *conn, const char *shard, long number, long *nparts)
{
	char sql[600];
	PGresult *res;
	size_t len;
	unsigned char *der;
	const unsigned char *p;
	X509_CRL *crl;
	long entries, der_bytes;

	snprintf(sql, sizeof(sql), "SELECT coalesce(c.der, (SELECT string_agg(bytes, ''::bytea"
	    " ORDER BY seq) FROM crl_parts p WHERE p.issuer = c.issuer AND p.shard = c.shard"
	    " AND p.number = c.number)), coalesce(c.der_bytes, octet_length(c.der)), c.entries,"
	    " (SELECT count(*) FROM crl_parts p WHERE p.issuer = c.issuer AND p.shard = c.shard"
	    " AND p.number = c.number) FROM crls c WHERE issuer = 'sign' AND shard = '%s'"
	    " AND number = %ld", shard, number);
	res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 1);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	    "no CRL %s #%ld: %s", shard, number, PQresultErrorMessage(res));
	len = (size_t)PQgetlength(res, 0, 0);
	der_bytes = (long)be64toh(*(const uint64_t *)(const void *)PQgetvalue(res, 0, 1));
	entries = (long)be32toh(*(const uint32_t *)(const void *)PQgetvalue(res, 0, 2));
	*nparts = (long)be64toh(*(const uint64_t *)(const void *)PQgetvalue(res, 0, 3));
	ck_assert_int_eq((long)len, der_bytes);
	der = malloc(len);
	memcpy(der, PQgetvalue(res, 0, 0), len);
	PQclear(res);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(crl);
	ck_assert_ptr_eq(p, der + len);	/* nothing after it */
	free(der);
	ck_assert_int_eq(X509_CRL_verify(crl, X509_get0_pubkey(keys->sign_ca.cert)), 1);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), entries);
	return crl;
}

static long
crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	long v = ASN1_INTEGER_get(n);

	ASN1_INTEGER_free(n);
	return v;
}

/*
 * The large shard's CRL goes to crl_parts (der NULL): whole 8,000-octet
 * parts but the last, put together it verifies and lists every
 * revocation; the small shard's stays inline.
 */
START_TEST(test_r24_large_crl_in_parts_verifies)
{
	PGconn *conn = connect_or_fail(ci);
	X509_CRL *crl;
	long published = 0, nparts;

	ck_assert_int_eq(publish(t_now, &published), 0);
	ck_assert_int_eq(published, 4);	/* sign, auth x 131016, 141003 */
	crl = served(conn, "131016", 1, &nparts);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), NREV);
	ck_assert_int_eq(crl_number(crl), 1);
	ck_assert_int_gt(nparts, 40);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM crls WHERE issuer = 'sign'"
	    " AND shard = '131016' AND der IS NULL"), 1);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM crl_parts WHERE issuer = 'sign'"
	    " AND shard = '131016' AND octet_length(bytes) = 8000"), nparts - 1);
	ck_assert_int_eq(scalar(conn, "SELECT max(seq) + 1 FROM crl_parts WHERE issuer = 'sign'"
	    " AND shard = '131016'"), nparts);
	X509_CRL_free(crl);
	crl = served(conn, "141003", 1, &nparts);
	ck_assert_int_eq(nparts, 0);	/* inline: crls.der */
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
	X509_CRL_free(crl);
	PQfinish(conn);
}
END_TEST

/* The next publication: number 2, the same entries (every 997th looked up). */
START_TEST(test_r24_next_large_crl_same_entries)
{
	PGconn *conn = connect_or_fail(ci);
	X509_CRL *a, *b;
	long published = 0, na, nb;
	int i;

	ck_assert_int_eq(publish(t_now + 25 * 3600, &published), 0);
	ck_assert_int_eq(published, 4);
	a = served(conn, "131016", 1, &na);
	b = served(conn, "131016", 2, &nb);
	ck_assert_int_eq(crl_number(b), 2);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(b)), NREV);
	for (i = 0; i < NREV; i += 997) {
		X509_REVOKED *r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(a), i), *found = NULL;

		ck_assert_int_eq(X509_CRL_get0_by_serial(b, &found,
		    X509_REVOKED_get0_serialNumber(r)), 1);
	}
	ck_assert_int_eq(nb, na);
	X509_CRL_free(a);
	X509_CRL_free(b);
	PQfinish(conn);
}
END_TEST

/*
 * A failure while the parts are stored (here a constraint this test adds
 * refuses part 20) rolls the whole CRL back: no row, no parts of that
 * number; the previous one is still complete, and the next attempt
 * publishes the next number.
 */
START_TEST(test_r26_failed_parts_leave_nothing)
{
	PGconn *conn = connect_or_fail(ci);
	X509_CRL *crl;
	long published = 0, nparts;

	must(conn, "ALTER TABLE crl_parts ADD CONSTRAINT test_few_parts CHECK (seq < 20) NOT VALID");
	ck_assert_int_eq(publish(t_now + 50 * 3600, &published), -1);
	must(conn, "ALTER TABLE crl_parts DROP CONSTRAINT test_few_parts");
	ck_assert_int_eq(scalar(conn, "SELECT max(number) FROM crls WHERE issuer = 'sign'"
	    " AND shard = '131016'"), 2);
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM crl_parts WHERE number > 2"), 0);
	crl = served(conn, "131016", 2, &nparts);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), NREV);
	X509_CRL_free(crl);
	ck_assert_int_eq(publish(t_now + 51 * 3600, &published), 0);
	crl = served(conn, "131016", 3, &nparts);
	ck_assert_int_eq(crl_number(crl), 3);
	X509_CRL_free(crl);
	PQfinish(conn);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl_publish");
	TCase *tc = tcase_create("publish");

	if (testlib_db() == NULL) {
		fprintf(stderr, "JPKID_TEST_DB not set: skipped\n");
		return 77;
	}
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_r24_large_crl_in_parts_verifies);
	tcase_add_test(tc, test_r24_next_large_crl_same_entries);
	tcase_add_test(tc, test_r26_failed_parts_leave_nothing);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
