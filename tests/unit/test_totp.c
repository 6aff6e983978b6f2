/*
 * test_totp: ca/totp (RFC 6238 through liboath): the Appendix B SHA-1
 * vectors as 6-digit codes (the 8-digit value mod 10^6), the window, replay
 * refusal, malformed codes, base32 of the RFC secret and the otpauth:// URI.
 */
#include <stdint.h>
#include <string.h>

#include "ca/totp.h"
#include "tests/unit/testlib.h"

/* RFC 6238 Appendix B: the SHA-1 seed is the ASCII "12345678901234567890". */
static const unsigned char rfc_secret[] = "12345678901234567890";
#define RFC_LEN	20

static const struct {
	time_t		 t;
	const char	*code;	/* 8-digit value of the RFC mod 10^6 */
} vectors[] = {
	{ 59, "287082" },		/* 94287082 */
	{ 1111111109, "081804" },	/* 07081804 */
	{ 1111111111, "050471" },	/* 14050471 */
	{ 1234567890, "005924" },	/* 89005924 */
	{ 2000000000, "279037" },	/* 69279037 */
	{ 20000000000LL, "353130" },	/* 65353130 */
};

START_TEST(test_rfc6238_vectors)
{
	char out[TOTP_DIGITS + 1];

	ck_assert_int_eq(totp_code(rfc_secret, RFC_LEN, vectors[_i].t, out), 0);
	ck_assert_str_eq(out, vectors[_i].code);
}
END_TEST

START_TEST(test_rfc6238_vectors_verify)
{
	int64_t last = -1;

	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, vectors[_i].t, 0, vectors[_i].code,
	    &last), 1);
	ck_assert_int_eq(last, (int64_t)vectors[_i].t / 30);
}
END_TEST

START_TEST(test_window_one_step_either_side)
{
	int64_t last = -1;
	time_t t = 1111111109;	/* step 37037036 */

	/* The code of step s is accepted at s-1 and s+1 with window 1, not 2 away. */
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t - 30, 1, "081804", &last), 1);
	last = -1;
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t + 30, 1, "081804", &last), 1);
	last = -1;
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t + 60, 1, "081804", &last), 0);
	ck_assert_int_eq(last, -1);
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t - 60, 1, "081804", &last), 0);
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t + 30, 0, "081804", &last), 0);
}
END_TEST

START_TEST(test_replay_refused)
{
	int64_t last = -1;
	time_t t = 1111111109;
	char next[TOTP_DIGITS + 1];

	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t, 1, "081804", &last), 1);
	ck_assert_int_eq(last, 37037036);
	/* The same code again, also a few seconds later in the same or next step. */
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t, 1, "081804", &last), 0);
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t + 20, 1, "081804", &last), 0);
	ck_assert_int_eq(last, 37037036);
	/* An older step is refused too; the next step's code is fine. */
	ck_assert_int_eq(totp_code(rfc_secret, RFC_LEN, t + 30, next), 0);
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t + 30, 1, next, &last), 1);
	ck_assert_int_eq(last, 37037037);
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, t + 30, 1, "081804", &last), 0);
}
END_TEST

START_TEST(test_malformed_codes_refused)
{
	static const char *const bad[] = { "", "28708", "2870820", "28708a", " 87082",
	    "287 82", "+87082", "-87082" };
	int64_t last = -1;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(totp_verify(rfc_secret, RFC_LEN, 59, 1, bad[i], &last) == 0,
		    "'%s'", bad[i]);
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, 59, 1, NULL, &last), 0);
	ck_assert_int_eq(totp_verify(rfc_secret, RFC_LEN, 59, 11, "287082", &last), 0);
	ck_assert_int_eq(last, -1);
}
END_TEST

START_TEST(test_base32_of_rfc_secret)
{
	char out[64], small[32];

	ck_assert_int_eq(totp_base32(rfc_secret, RFC_LEN, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	ck_assert_int_eq(totp_base32(rfc_secret, RFC_LEN, small, sizeof(small)), -1);
	/* No padding for lengths that would need it. */
	ck_assert_int_eq(totp_base32((const unsigned char *)"f", 1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "MY");
}
END_TEST

START_TEST(test_uri_format)
{
	char uri[256];

	ck_assert_int_eq(totp_uri(rfc_secret, RFC_LEN, "jpkid", "alice", uri, sizeof(uri)), 0);
	ck_assert_str_eq(uri, "otpauth://totp/jpkid%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	    "&issuer=jpkid&algorithm=SHA1&digits=6&period=30");
	ck_assert_int_eq(totp_uri(rfc_secret, RFC_LEN, "jp kid", "a&b:c", uri, sizeof(uri)), 0);
	ck_assert_str_eq(uri, "otpauth://totp/jp%20kid%3Aa%26b%3Ac?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=jp%20kid&algorithm=SHA1&digits=6&period=30");
	ck_assert_int_eq(totp_uri(rfc_secret, RFC_LEN, "jpkid", "alice", uri, 40), -1);
}
END_TEST

START_TEST(test_new_secrets_differ)
{
	unsigned char a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];

	ck_assert_int_eq(totp_new_secret(a), 0);
	ck_assert_int_eq(totp_new_secret(b), 0);
	ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
}
END_TEST

static Suite *
totp_suite(void)
{
	Suite	*s = suite_create("totp");
	TCase	*tc = tcase_create("core");
	int	 n = (int)(sizeof(vectors) / sizeof(vectors[0]));

	tcase_add_loop_test(tc, test_rfc6238_vectors, 0, n);
	tcase_add_loop_test(tc, test_rfc6238_vectors_verify, 0, n);
	tcase_add_test(tc, test_window_one_step_either_side);
	tcase_add_test(tc, test_replay_refused);
	tcase_add_test(tc, test_malformed_codes_refused);
	tcase_add_test(tc, test_base32_of_rfc_secret);
	tcase_add_test(tc, test_uri_format);
	tcase_add_test(tc, test_new_secrets_differ);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(totp_suite());
}
