/*
 * test_password: ca/password (Argon2id encodings through libargon2): round
 * trip, the parameters named in the encoding, wrong passwords, malformed
 * encodings, the weakness rules and the dummy hash of unknown usernames.
 * Most cases use cheap parameters; one uses the defaults (m=64 MiB, t=3).
 */
#include <stdio.h>
#include <string.h>

#include "ca/password.h"
#include "tests/unit/testlib.h"

static const struct password_params cheap = { 1024, 1, 1 };
static const struct password_params defaults = { 65536, 3, 1 };

START_TEST(test_hash_verify_round_trip)
{
	char enc[256];

	ck_assert_int_eq(password_hash(&cheap, "correct horse 42", enc, sizeof(enc)), 0);
	ck_assert_int_eq(strncmp(enc, "$argon2id$v=19$m=1024,t=1,p=1$", 30), 0);
	ck_assert_int_eq(password_verify(enc, "correct horse 42"), 1);
}
END_TEST

START_TEST(test_defaults_named_in_encoding)
{
	char enc[256];

	ck_assert_int_eq(password_hash(&defaults, "correct horse 42", enc, sizeof(enc)), 0);
	ck_assert_int_eq(strncmp(enc, "$argon2id$v=19$m=65536,t=3,p=1$", 31), 0);
	ck_assert_int_eq(password_verify(enc, "correct horse 42"), 1);
	ck_assert_int_eq(password_verify(enc, "correct horse 43"), 0);
}
END_TEST

START_TEST(test_fresh_salt_each_time)
{
	char a[256], b[256];

	ck_assert_int_eq(password_hash(&cheap, "correct horse 42", a, sizeof(a)), 0);
	ck_assert_int_eq(password_hash(&cheap, "correct horse 42", b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_wrong_password_refused)
{
	char enc[256];

	ck_assert_int_eq(password_hash(&cheap, "correct horse 42", enc, sizeof(enc)), 0);
	ck_assert_int_eq(password_verify(enc, "correct horse 4"), 0);
	ck_assert_int_eq(password_verify(enc, ""), 0);
	ck_assert_int_eq(password_verify(enc, "Correct horse 42"), 0);
}
END_TEST

START_TEST(test_malformed_encodings_refused)
{
	static const char *const bad[] = {
		"",
		"plain",
		"$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$Ck0gMHbl4Ay3p2mvfFrhyAKqf5dUE9O0hnz3bRUIx2A",
		"$argon2d$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$Ck0gMHbl4Ay3p2mvfFrhyAKqf5dUE9O0hnz3bRUIx2A",
		"$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA",
		"$argon2id$v=19$m=1024,t=1,p=1$!!!$Ck0gMHbl4Ay3p2mvfFrhyAKqf5dUE9O0hnz3bRUIx2A",
		"$argon2id$v=19$m=x,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$Ck0gMHbl4Ay3p2mvfFrhyAKqf5dUE9O0hnz3bRUIx2A",
		"$argon2id$",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(password_verify(bad[i], "correct horse 42") == 0, "%s", bad[i]);
	ck_assert_int_eq(password_verify(NULL, "correct horse 42"), 0);
}
END_TEST

START_TEST(test_hash_refuses_bad_parameters)
{
	struct password_params p = { 4, 1, 1 };	/* below 8 KiB per lane */
	char enc[256], small[16], big[PASSWORD_MAX_LEN + 2];

	ck_assert_int_eq(password_hash(&p, "correct horse 42", enc, sizeof(enc)), -1);
	p.memory_kib = 1024;
	p.iterations = 0;
	ck_assert_int_eq(password_hash(&p, "correct horse 42", enc, sizeof(enc)), -1);
	ck_assert_int_eq(password_hash(&cheap, "correct horse 42", small, sizeof(small)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(password_hash(&cheap, big, enc, sizeof(enc)), -1);
}
END_TEST

START_TEST(test_weakness_messages)
{
	char big[PASSWORD_MAX_LEN + 2];

	ck_assert_str_eq(password_weakness("Short1"), "a password needs at least 12 characters");
	ck_assert_str_eq(password_weakness("abcdefghijklmnop"),
	    "a password needs two kinds of characters (letters, digits, others)");
	ck_assert_str_eq(password_weakness("123456789012345"),
	    "a password needs two kinds of characters (letters, digits, others)");
	ck_assert_str_eq(password_weakness("correct horse\t42"),
	    "a password may not contain control characters");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '1';
	big[sizeof(big) - 1] = '\0';
	ck_assert_str_eq(password_weakness(big), "a password may have at most 1024 bytes");
	ck_assert_ptr_null(password_weakness("correct horse 42"));
	ck_assert_ptr_null(password_weakness("abcdefghijkL"));
	ck_assert_ptr_null(password_weakness("パスワードは長いです12"));
}
END_TEST

START_TEST(test_dummy_hash_is_a_real_default_encoding)
{
	const char *d = password_dummy_hash();
	char enc[256];

	/* Same shape as a real default hash, so verifying it costs the same. */
	ck_assert_int_eq(password_hash(&defaults, "correct horse 42", enc, sizeof(enc)), 0);
	ck_assert_int_eq(strncmp(d, "$argon2id$v=19$m=65536,t=3,p=1$", 31), 0);
	ck_assert_uint_eq(strlen(d), strlen(enc));
	ck_assert_int_eq(password_verify(d, "correct horse 42"), 0);
	ck_assert_int_eq(password_verify(d, ""), 0);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite	*s = suite_create("password");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hash_verify_round_trip);
	tcase_add_test(tc, test_defaults_named_in_encoding);
	tcase_add_test(tc, test_fresh_salt_each_time);
	tcase_add_test(tc, test_wrong_password_refused);
	tcase_add_test(tc, test_malformed_encodings_refused);
	tcase_add_test(tc, test_hash_refuses_bad_parameters);
	tcase_add_test(tc, test_weakness_messages);
	tcase_add_test(tc, test_dummy_hash_is_a_real_default_encoding);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(password_suite());
}
