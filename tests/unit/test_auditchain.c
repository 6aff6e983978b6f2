/*
 * test_auditchain: the audit chain of ca/auditchain.c. Fixed vectors for
 * the encoding and the chain (computed independently, with Python's
 * hashlib and struct, from the definition in docs/operators.md), the
 * checkpoint message and signature, and verification over rows: an edited,
 * deleted, reordered or inserted row, a forged checkpoint and a truncated
 * tail are each reported with the first bad seq.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca/auditchain.h"
#include "common/util.h"
#include "tests/unit/testlib.h"

static const struct auditchain_row row_a = { 1, 1764633600000000LL, "operator:3",
	"certificate.revoke", "certificate:0a1b", "{\"request_id\": \"abc\"}" };
static const struct auditchain_row row_b = { 2, -1, "system", "crl.publish", NULL, "{}" };

static const char enc_a[] =
    "0000000000000001000644ecc6e300000000000a6f70657261746f723a33000000126365727469666963"
    "6174652e7265766f6b65010000001063657274696669636174653a30613162000000157b227265717565"
    "73745f6964223a2022616263227d";
static const char enc_b[] =
    "0000000000000002ffffffffffffffff0000000673797374656d0000000b63726c2e7075626c69736800"
    "000000027b7d";
static const char h1_hex[] = "0d87e1189e9fa4e039099403c9a4aac399b53b69fadb22ebae0843d8d39360bd";
static const char h2_hex[] = "6369bcdd723e326c51b9237967fb57c18e7e82ab45b17e23a4cafa27a591a002";
static const char cp_hex[] =
    "6a706b69642d61756469742d63702d763100000000000000020000000000000002000644ecca768700"
    "6369bcdd723e326c51b9237967fb57c18e7e82ab45b17e23a4cafa27a591a002";

static char *
hex(const unsigned char *b, size_t n)
{
	char *s = malloc(2 * n + 1);

	util_hex(b, n, s);
	return s;
}

START_TEST(test_encoding_fixed_vectors)
{
	unsigned char *e;
	size_t n;
	char *s;

	ck_assert_int_eq(auditchain_encode(&row_a, &e, &n), 0);
	s = hex(e, n);
	ck_assert_str_eq(s, enc_a);
	free(s);
	free(e);
	/* NULL object: the flag byte 0 and no string; negative at: two's complement. */
	ck_assert_int_eq(auditchain_encode(&row_b, &e, &n), 0);
	s = hex(e, n);
	ck_assert_str_eq(s, enc_b);
	free(s);
	free(e);
}
END_TEST

START_TEST(test_null_object_differs_from_empty)
{
	struct auditchain_row r = row_b;
	unsigned char h0[32], ha[32], hb[32];

	auditchain_genesis(h0);
	ck_assert_int_eq(auditchain_step(h0, &r, ha), 0);
	r.object = "";
	ck_assert_int_eq(auditchain_step(h0, &r, hb), 0);
	ck_assert(memcmp(ha, hb, 32) != 0);
}
END_TEST

START_TEST(test_field_boundaries_matter)
{
	struct auditchain_row r1 = row_a, r2 = row_a;
	unsigned char h0[32], ha[32], hb[32];

	/* Same concatenation, other split: the length prefixes tell them apart. */
	r1.actor = "ab";
	r1.action = "c";
	r2.actor = "a";
	r2.action = "bc";
	auditchain_genesis(h0);
	ck_assert_int_eq(auditchain_step(h0, &r1, ha), 0);
	ck_assert_int_eq(auditchain_step(h0, &r2, hb), 0);
	ck_assert(memcmp(ha, hb, 32) != 0);
}
END_TEST

START_TEST(test_chain_fixed_vectors)
{
	unsigned char h[32];
	char *s;
	int i;

	auditchain_genesis(h);
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(h[i], 0);
	ck_assert_int_eq(auditchain_step(h, &row_a, h), 0);
	s = hex(h, 32);
	ck_assert_str_eq(s, h1_hex);
	free(s);
	ck_assert_int_eq(auditchain_step(h, &row_b, h), 0);
	s = hex(h, 32);
	ck_assert_str_eq(s, h2_hex);
	free(s);
}
END_TEST

START_TEST(test_checkpoint_message_fixed_vector)
{
	unsigned char h[32], msg[AUDITCHAIN_CP_MSG_LEN];
	char *s;

	ck_assert_int_eq(AUDITCHAIN_CP_MSG_LEN, 73);
	auditchain_genesis(h);
	auditchain_step(h, &row_a, h);
	auditchain_step(h, &row_b, h);
	auditchain_cp_message(2, 2, 1764633660000000LL, h, msg);
	s = hex(msg, sizeof(msg));
	ck_assert_str_eq(s, cp_hex);
	free(s);
}
END_TEST

/* ---------------------------------------------------------------- verification */

#define NROWS 6

struct fixture {
	struct auditchain_row	rows[NROWS];
	long long		pos[NROWS];
	unsigned char		seal[NROWS][32];
	char			detail[NROWS][32];
	EVP_PKEY		*key;
	unsigned char		*sig;
	size_t			 siglen;
	struct auditchain_cp	 cp;	/* at the 4th row (chain_pos 4) */
};

static void
fixture_make(struct fixture *f)
{
	unsigned char h[32], msg[AUDITCHAIN_CP_MSG_LEN];
	EVP_MD_CTX *ctx;
	int i;

	memset(f, 0, sizeof(*f));
	auditchain_genesis(h);
	for (i = 0; i < NROWS; i++) {
		snprintf(f->detail[i], sizeof(f->detail[i]), "{\"n\": %d}", i);
		/* seq 1, 2, 5, 3, 7, 8: a late commit (3) and a gap (4, 6) are normal. */
		f->rows[i].seq = (long long[]){ 1, 2, 5, 3, 7, 8 }[i];
		f->rows[i].at_us = 1764633600000000LL + i;
		f->rows[i].actor = "operator:1";
		f->rows[i].action = "test.row";
		f->rows[i].object = i % 2 ? NULL : "resident:13101600001";
		f->rows[i].detail = f->detail[i];
		f->pos[i] = i + 1;
		auditchain_step(h, &f->rows[i], h);
		memcpy(f->seal[i], h, 32);
	}
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(f->key);
	f->cp.chain_pos = 4;
	f->cp.seq = f->rows[3].seq;
	f->cp.at_us = 1764633660000000LL;
	memcpy(f->cp.hash, f->seal[3], 32);
	auditchain_cp_message(f->cp.chain_pos, f->cp.seq, f->cp.at_us, f->cp.hash, msg);
	ctx = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, f->key), 1);
	ck_assert_int_eq(EVP_DigestSign(ctx, NULL, &f->siglen, msg, sizeof(msg)), 1);
	f->sig = malloc(f->siglen);
	ck_assert_int_eq(EVP_DigestSign(ctx, f->sig, &f->siglen, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(ctx);
	f->cp.sig = f->sig;
	f->cp.siglen = f->siglen;
}

static void
fixture_free(struct fixture *f)
{
	EVP_PKEY_free(f->key);
	free(f->sig);
}

/*
 * Feed rows [0, n) but skip index skip (-1: none), then the checkpoint
 * after the row at or past its position, as api/operators/audit_verify.c does.
 */
static struct auditchain_verify
run(struct fixture *f, int n, int skip, const struct auditchain_cp *cp, EVP_PKEY *pub)
{
	struct auditchain_verify v;
	unsigned char g[32];
	int i, cp_done = 0;

	auditchain_genesis(g);
	auditchain_verify_init(&v, g, 1, pub);
	for (i = 0; i < n; i++) {
		if (i == skip)
			continue;
		auditchain_verify_row(&v, f->pos[i], &f->rows[i], f->seal[i], 32);
		if (cp != NULL && !cp_done && f->pos[i] >= cp->chain_pos) {
			auditchain_verify_cp(&v, cp);
			cp_done = 1;
		}
	}
	if (cp != NULL && !cp_done)
		auditchain_verify_cp_orphan(&v, cp);
	return v;
}

START_TEST(test_verify_good_chain)
{
	struct fixture f;
	struct auditchain_verify v;

	fixture_make(&f);
	v = run(&f, NROWS, -1, &f.cp, f.key);
	ck_assert_int_eq(v.broken, 0);
	ck_assert_int_eq(v.rows, NROWS);
	ck_assert_int_eq(v.checkpoints, 1);
	ck_assert_int_eq(v.last_cp_seq, 3);
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_edited_row_names_its_seq)
{
	struct fixture f;
	struct auditchain_verify v;

	fixture_make(&f);
	f.rows[2].detail = "{\"n\": 99}";
	v = run(&f, NROWS, -1, &f.cp, f.key);
	ck_assert_int_eq(v.broken, 1);
	ck_assert_int_eq(v.first_bad_seq, 5);
	ck_assert_int_eq(v.rows, 2);
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_edited_time_and_actor)
{
	struct fixture f;
	struct auditchain_verify v;

	fixture_make(&f);
	f.rows[1].at_us += 1;
	v = run(&f, NROWS, -1, NULL, NULL);
	ck_assert_int_eq(v.first_bad_seq, 2);
	fixture_free(&f);
	fixture_make(&f);
	f.rows[4].actor = "operator:2";
	v = run(&f, NROWS, -1, NULL, NULL);
	ck_assert_int_eq(v.first_bad_seq, 7);
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_deleted_row_names_the_next_seq)
{
	struct fixture f;
	struct auditchain_verify v;

	fixture_make(&f);
	v = run(&f, NROWS, 1, &f.cp, f.key);	/* seq 2 deleted */
	ck_assert_int_eq(v.broken, 1);
	ck_assert_int_eq(v.first_bad_seq, 5);
	ck_assert_ptr_nonnull(strstr(v.reason, "missing"));
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_reordered_rows)
{
	struct fixture f;
	struct auditchain_verify v;
	struct auditchain_row t;

	fixture_make(&f);
	t = f.rows[1];
	f.rows[1] = f.rows[2];
	f.rows[2] = t;
	v = run(&f, NROWS, -1, &f.cp, f.key);
	ck_assert_int_eq(v.broken, 1);
	ck_assert_int_eq(v.first_bad_seq, 5);	/* what now sits at chain position 2 */
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_inserted_row)
{
	struct fixture f;
	struct auditchain_verify v;
	unsigned char g[32];
	struct auditchain_row extra = { 4, 1764633600000009LL, "operator:9", "forged", NULL, "{}" };

	fixture_make(&f);
	/* A row slipped in at chain position 3 with a made-up seal; the rest renumbered. */
	auditchain_genesis(g);
	auditchain_verify_init(&v, g, 1, NULL);
	ck_assert_int_eq(auditchain_verify_row(&v, 1, &f.rows[0], f.seal[0], 32), 0);
	ck_assert_int_eq(auditchain_verify_row(&v, 2, &f.rows[1], f.seal[1], 32), 0);
	ck_assert_int_eq(auditchain_verify_row(&v, 3, &extra, f.seal[2], 32), -1);
	ck_assert_int_eq(v.first_bad_seq, 4);
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_forged_checkpoint_signature)
{
	struct fixture f;
	struct auditchain_verify v;
	struct auditchain_cp cp;
	unsigned char bad[256];

	fixture_make(&f);
	cp = f.cp;
	memcpy(bad, f.sig, f.siglen);
	bad[f.siglen / 2] ^= 0x01;
	cp.sig = bad;
	v = run(&f, NROWS, -1, &cp, f.key);
	ck_assert_int_eq(v.broken, 1);
	ck_assert_int_eq(v.first_bad_seq, 3);
	ck_assert_ptr_nonnull(strstr(v.reason, "signature"));
	/* Without a public key the signature is not checked, the hash still is. */
	v = run(&f, NROWS, -1, &cp, NULL);
	ck_assert_int_eq(v.broken, 0);
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_checkpoint_with_other_hash)
{
	struct fixture f;
	struct auditchain_verify v;
	struct auditchain_cp cp;

	fixture_make(&f);
	cp = f.cp;
	cp.hash[0] ^= 1;
	v = run(&f, NROWS, -1, &cp, NULL);
	ck_assert_int_eq(v.broken, 1);
	ck_assert_int_eq(v.first_bad_seq, 3);
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_truncated_tail)
{
	struct fixture f;
	struct auditchain_verify v;

	fixture_make(&f);
	/* Rows from chain position 4 on deleted: the checkpoint names a row that is gone. */
	v = run(&f, 3, -1, &f.cp, f.key);
	ck_assert_int_eq(v.broken, 1);
	ck_assert_int_eq(v.first_bad_seq, 3);
	ck_assert_ptr_nonnull(strstr(v.reason, "gone"));
	fixture_free(&f);
}
END_TEST

START_TEST(test_verify_rewritten_tail_after_checkpoint_passes_chain)
{
	struct fixture f;
	struct auditchain_verify v;

	/* Documented limit: rows after the last checkpoint, resealed whole, pass. */
	fixture_make(&f);
	v = run(&f, 5, -1, &f.cp, f.key);
	ck_assert_int_eq(v.broken, 0);
	ck_assert_int_eq(v.rows, 5);
	fixture_free(&f);
}
END_TEST

static Suite *
auditchain_suite(void)
{
	Suite *s = suite_create("auditchain");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_encoding_fixed_vectors);
	tcase_add_test(tc, test_null_object_differs_from_empty);
	tcase_add_test(tc, test_field_boundaries_matter);
	tcase_add_test(tc, test_chain_fixed_vectors);
	tcase_add_test(tc, test_checkpoint_message_fixed_vector);
	tcase_add_test(tc, test_verify_good_chain);
	tcase_add_test(tc, test_verify_edited_row_names_its_seq);
	tcase_add_test(tc, test_verify_edited_time_and_actor);
	tcase_add_test(tc, test_verify_deleted_row_names_the_next_seq);
	tcase_add_test(tc, test_verify_reordered_rows);
	tcase_add_test(tc, test_verify_inserted_row);
	tcase_add_test(tc, test_verify_forged_checkpoint_signature);
	tcase_add_test(tc, test_verify_checkpoint_with_other_hash);
	tcase_add_test(tc, test_verify_truncated_tail);
	tcase_add_test(tc, test_verify_rewritten_tail_after_checkpoint_passes_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	return testlib_run(auditchain_suite());
}
