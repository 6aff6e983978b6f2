/*
 * test_answercode: ca/answercode (R13 answer codes, issue 13): the keyed v1
 * stored form, legacy rows, another key, the key file.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "ca/answercode.h"
#include "tests/unit/testlib.h"

static const unsigned char K1[ANSWER_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const unsigned char K2[ANSWER_KEY_LEN] = { 2, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const unsigned char SALT[ANSWER_SALT_LEN] = { 0xa5, 0x5a, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7 };

START_TEST(test_r13_v1_code_round_trip_and_normalisation)
{
	struct answer_key k;
	unsigned char salt[ANSWER_SALT_LEN], h[ANSWER_HASH_MAX];
	char code[ANSWER_CODE_BUF], low[ANSWER_CODE_BUF];
	size_t hl = 0, i;

	answer_key_set(&k, K1);
	ck_assert_int_eq(answer_code_new(&k, code, salt, h, &hl), 0);
	ck_assert_uint_eq(hl, ANSWER_HASH_V1_LEN);
	ck_assert_int_eq(h[0], 0x01);
	ck_assert_uint_eq(strlen(code), 9);
	ck_assert_int_eq(code[4], '-');
	ck_assert_int_eq(answer_code_check(&k, code, salt, sizeof(salt), h, hl), ANSWER_MATCH);
	for (i = 0; code[i] != '\0'; i++)
		low[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i]);
	low[i] = '\0';
	ck_assert_int_eq(answer_code_check(&k, low, salt, sizeof(salt), h, hl), ANSWER_MATCH);
	ck_assert_int_eq(answer_code_check(&k, "ZZZZ-ZZZZ", salt, sizeof(salt), h, hl),
	    ANSWER_NO_MATCH);
}
END_TEST

START_TEST(test_r13_v1_is_keyed_not_a_plain_hash)
{
	struct answer_key k;
	unsigned char h[ANSWER_HASH_MAX], plain[SHA256_DIGEST_LENGTH], buf[24];
	size_t hl = 0;

	answer_key_set(&k, K1);
	ck_assert_int_eq(answer_code_hash(&k, "0123-4567", SALT, h, &hl), 0);
	/* Crockford: O=0, I=L=1, dash and case ignored. */
	ck_assert_int_eq(answer_code_check(&k, "o123 4567", SALT, sizeof(SALT), h, hl),
	    ANSWER_MATCH);
	ck_assert_int_eq(answer_code_check(&k, "OI23-4567", SALT, sizeof(SALT), h, hl),
	    ANSWER_MATCH);
	ck_assert_int_eq(answer_code_check(&k, "0124-4567", SALT, sizeof(SALT), h, hl),
	    ANSWER_NO_MATCH);
	memcpy(buf, SALT, 16);
	memcpy(buf + 16, "01234567", 8);
	SHA256(buf, sizeof(buf), plain);
	ck_assert(memcmp(h + 5, plain, sizeof(plain)) != 0);
	ck_assert(memmem(h, hl, plain, 8) == NULL);
}
END_TEST

START_TEST(test_r13_code_under_another_key_is_not_counted_wrong)
{
	struct answer_key k1, k2, none;
	unsigned char h[ANSWER_HASH_MAX];
	size_t hl = 0;

	answer_key_set(&k1, K1);
	answer_key_set(&k2, K2);
	memset(&none, 0, sizeof(none));
	ck_assert(memcmp(k1.id, k2.id, sizeof(k1.id)) != 0);
	ck_assert_int_eq(answer_code_hash(&k1, "ABCD-EFGH", SALT, h, &hl), 0);
	ck_assert_int_eq(answer_code_check(&k2, "ABCD-EFGH", SALT, sizeof(SALT), h, hl),
	    ANSWER_OTHER_KEY);
	ck_assert_int_eq(answer_code_check(&none, "ABCD-EFGH", SALT, sizeof(SALT), h, hl),
	    ANSWER_OTHER_KEY);
	ck_assert_int_eq(answer_code_hash(&none, "ABCD-EFGH", SALT, h, &hl), -1);
	h[0] = 0x02;
	ck_assert_int_eq(answer_code_check(&k1, "ABCD-EFGH", SALT, sizeof(SALT), h, hl),
	    ANSWER_UNREADABLE);
}
END_TEST

START_TEST(test_r13_legacy_sha256_rows_still_verify)
{
	struct answer_key none;
	unsigned char buf[24], h[SHA256_DIGEST_LENGTH];

	memset(&none, 0, sizeof(none));
	memcpy(buf, SALT, 16);
	memcpy(buf + 16, "ABCDEFGH", 8);
	SHA256(buf, sizeof(buf), h);
	ck_assert_int_eq(answer_code_check(&none, "abcd-efgh", SALT, sizeof(SALT), h, sizeof(h)),
	    ANSWER_MATCH);
	ck_assert_int_eq(answer_code_check(&none, "ABCD-EFGX", SALT, sizeof(SALT), h, sizeof(h)),
	    ANSWER_NO_MATCH);
	ck_assert_int_eq(answer_code_check(&none, "ABCD-EFGH", SALT, 15, h, sizeof(h)),
	    ANSWER_UNREADABLE);
}
END_TEST

START_TEST(test_r13_key_file_created_loaded_and_checked)
{
	char dir[] = "/tmp/test_answercode.XXXXXX", path[128], err[256];
	struct answer_key a, b;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/answer.key", dir);
	ck_assert_int_eq(answer_key_create(path, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(answer_key_create(path, 0, err, sizeof(err)), -1);	/* exists */
	ck_assert_int_eq(answer_key_load(path, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(a.set, 1);
	ck_assert_int_eq(answer_key_create(path, 1, err, sizeof(err)), 0);	/* replaced */
	ck_assert_int_eq(answer_key_load(path, &b, err, sizeof(err)), 0);
	ck_assert(memcmp(a.key, b.key, ANSWER_KEY_LEN) != 0);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(answer_key_load(path, &a, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "group or others"));
	ck_assert_int_eq(a.set, 0);
	unlink(path);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(write(fd, "abcd\n", 5), 5);
	close(fd);
	ck_assert_int_eq(answer_key_load(path, &a, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "64 hex digits"));
	unlink(path);
	ck_assert_int_eq(answer_key_load(path, &a, err, sizeof(err)), -1);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("answercode");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_r13_v1_code_round_trip_and_normalisation);
	tcase_add_test(tc, test_r13_v1_is_keyed_not_a_plain_hash);
	tcase_add_test(tc, test_r13_code_under_another_key_is_not_counted_wrong);
	tcase_add_test(tc, test_r13_legacy_sha256_rows_still_verify);
	tcase_add_test(tc, test_r13_key_file_created_loaded_and_checked);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
