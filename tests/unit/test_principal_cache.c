/*
 * test_principal_cache: api/principal_cache.c (issue 15), no database:
 * a put is found by its certificate hash only, a clear or a lost listener
 * (set_live 0) drops everything, a put whose lookup raced with a change
 * (an older epoch) keeps nothing, the bound empties instead of growing,
 * and threads hammering it see only whole entries.
 */
#include <config.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/principal_cache.h"

static void
md_of(int i, unsigned char md[32])
{
	memset(md, 0, 32);
	md[0] = (unsigned char)i;
	md[1] = (unsigned char)(i >> 8);
	md[31] = 0x5a;
}

static struct principal
terminal(long long id, const char *muni)
{
	struct principal p;

	memset(&p, 0, sizeof(p));
	p.kind = PRINCIPAL_TERMINAL;
	p.id = id;
	snprintf(p.name, sizeof(p.name), "窓口%lld", id);
	snprintf(p.municipality_code, sizeof(p.municipality_code), "%s", muni);
	snprintf(p.cert_sha256, sizeof(p.cert_sha256), "%064lld", id);
	return p;
}

START_TEST(test_principal_cache_put_get_by_certificate_hash)
{
	struct principal_cache *c = principal_cache_new(16);
	struct principal p = terminal(7, "131016"), out;
	unsigned char md[32], other[32];

	md_of(1, md);
	md_of(2, other);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 0);
	principal_cache_put(c, principal_cache_epoch(c), md, &p);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 1);
	ck_assert_int_eq(out.kind, PRINCIPAL_TERMINAL);
	ck_assert_int_eq(out.id, 7);
	ck_assert_str_eq(out.municipality_code, "131016");
	ck_assert_str_eq(out.name, "窓口7");
	ck_assert_int_eq(principal_cache_get(c, other, &out), 0);
	/* a refusal (no kind) and a console session are never kept */
	p.kind = PRINCIPAL_NONE;
	principal_cache_put(c, principal_cache_epoch(c), other, &p);
	ck_assert_int_eq(principal_cache_get(c, other, &out), 0);
	p = terminal(8, "131016");
	p.via_session = 1;
	principal_cache_put(c, principal_cache_epoch(c), other, &p);
	ck_assert_int_eq(principal_cache_get(c, other, &out), 0);
	principal_cache_free(c);
}
END_TEST

/* A terminal disabled or moved between the lookup and the put: nothing stays. */
START_TEST(test_principal_cache_change_during_lookup_keeps_nothing)
{
	struct principal_cache *c = principal_cache_new(16);
	struct principal p = terminal(7, "131016"), out;
	unsigned char md[32];
	unsigned long e;

	md_of(1, md);
	e = principal_cache_epoch(c);
	principal_cache_clear(c);	/* NOTIFY jpkid_principal_change */
	principal_cache_put(c, e, md, &p);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 0);
	principal_cache_put(c, principal_cache_epoch(c), md, &p);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 1);
	principal_cache_clear(c);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 0);
	principal_cache_free(c);
}
END_TEST

START_TEST(test_principal_cache_not_live_bypassed_and_empty_when_back)
{
	struct principal_cache *c = principal_cache_new(16);
	struct principal p = terminal(7, "131016"), out;
	unsigned char md[32];

	md_of(1, md);
	principal_cache_put(c, principal_cache_epoch(c), md, &p);
	principal_cache_set_live(c, 0);	/* the LISTEN connection is lost */
	ck_assert_int_eq(principal_cache_get(c, md, &out), 0);
	principal_cache_put(c, principal_cache_epoch(c), md, &p);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 0);
	principal_cache_set_live(c, 1);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 0);	/* nothing from before */
	principal_cache_put(c, principal_cache_epoch(c), md, &p);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 1);
	principal_cache_set_live(NULL, 1);	/* NULL accepted everywhere */
	principal_cache_clear(NULL);
	ck_assert_int_eq(principal_cache_get(NULL, md, &out), 0);
	principal_cache_put(NULL, 1, md, &p);
	principal_cache_free(NULL);
	principal_cache_free(c);
}
END_TEST

START_TEST(test_principal_cache_bounded_replaces_and_counts)
{
	struct principal_cache *c = principal_cache_new(4);
	struct principal p, out;
	unsigned char md[32];
	unsigned long long h0, m0, h1, m1;
	int i, found = 0;

	principal_cache_lookups(&h0, &m0);
	for (i = 0; i < 100; i++) {
		md_of(i, md);
		p = terminal(i, "131016");
		principal_cache_put(c, principal_cache_epoch(c), md, &p);
	}
	for (i = 0; i < 100; i++) {
		md_of(i, md);
		if (principal_cache_get(c, md, &out)) {
			ck_assert_int_eq(out.id, i);
			found++;
		}
	}
	ck_assert_int_ge(found, 1);
	ck_assert_int_le(found, 4);
	md_of(99, md);	/* the last one put is there; again: replaced, not added */
	p = terminal(99, "141003");
	principal_cache_put(c, principal_cache_epoch(c), md, &p);
	ck_assert_int_eq(principal_cache_get(c, md, &out), 1);
	ck_assert_str_eq(out.municipality_code, "141003");
	principal_cache_lookups(&h1, &m1);
	ck_assert_uint_eq(h1 - h0, (unsigned long long)found + 1);
	ck_assert_uint_eq(m1 - m0, 100 - (unsigned long long)found);
	principal_cache_free(c);
}
END_TEST

struct hammer {
	struct principal_cache *c;
	int seed, torn;
};

static void *
hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct principal p, out;
	unsigned char md[32];
	int i, k;

	for (i = 0; i < 20000; i++) {
		k = (i * 7 + h->seed) % 64;
		md_of(k, md);
		if (i % 3 == 0) {
			p = terminal(k, "131016");
			principal_cache_put(h->c, principal_cache_epoch(h->c), md, &p);
		} else if (principal_cache_get(h->c, md, &out) &&
		    (out.id != k || strcmp(out.cert_sha256, terminal(k, "131016").cert_sha256) != 0))
			h->torn++;
		if (h->seed == 0 && i % 500 == 0)
			principal_cache_clear(h->c);
	}
	return NULL;
}

START_TEST(test_principal_cache_threads_see_whole_entries)
{
	struct principal_cache *c = principal_cache_new(32);
	struct hammer h[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		h[i].c = c;
		h[i].seed = i;
		h[i].torn = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(h[i].torn, 0);
	}
	principal_cache_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("principal_cache");
	TCase *tc = tcase_create("cache");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_principal_cache_put_get_by_certificate_hash);
	tcase_add_test(tc, test_principal_cache_change_during_lookup_keeps_nothing);
	tcase_add_test(tc, test_principal_cache_not_live_bypassed_and_empty_when_back);
	tcase_add_test(tc, test_principal_cache_bounded_replaces_and_counts);
	tcase_add_test(tc, test_principal_cache_threads_see_whole_entries);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
