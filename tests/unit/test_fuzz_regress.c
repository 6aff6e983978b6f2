/*
 * test_fuzz_regress: what the libFuzzer harnesses (tests/fuzz) found, as
 * plain inputs: each test is one crashing or wrong-output input, byte for
 * byte, with the answer it must get instead. No database.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api/api.h"
#include "ca/crl.h"
#include "common/util.h"
#include "tests/unit/testlib.h"

static struct app app;

static void
setup(void)
{
	memset(&app, 0, sizeof(app));
	app.version = "test";
	pthread_rwlock_init(&app.keys_lock, NULL);
}

static void
teardown(void)
{
	pthread_rwlock_destroy(&app.keys_lock);
}

static const char *
hdr_json(void *hctx, const char *name)
{
	(void)hctx;
	return strcasecmp(name, "Content-Type") == 0 ? "application/json" : NULL;
}

/* A terminal's POST with body (len bytes, NUL-terminated as daemon/http.c buffers it). */
static json_t *
post(const char *path, const unsigned char *body, size_t len, struct api_resp *resp)
{
	struct api_req req;
	json_error_t je;
	char *b = malloc(len + 1);

	memcpy(b, body, len);
	b[len] = '\0';
	memset(&req, 0, sizeof(req));
	memset(resp, 0, sizeof(*resp));
	req.app = &app;
	req.listener = LISTENER_API;
	req.method = "POST";
	req.path = path;
	req.body = b;
	req.body_len = len;
	req.header = hdr_json;	/* JSON routes need application/json */
	req.principal.kind = PRINCIPAL_TERMINAL;
	req.principal.id = 7;
	strcpy(req.principal.municipality_code, "131016");
	strcpy(req.request_id, "0123456789abcdef");
	api_dispatch(&req, resp);
	free(b);
	return json_loadb(resp->body, resp->body_len, 0, &je);
}

/*
 * fuzz_api_body crash: jansson's error text quotes the bytes it read, here
 * a backslash and the first byte of a three-byte character; the problem
 * detail was then invalid UTF-8, json_pack refused it and problem_doc()
 * aborted: any client could stop jpkid with one request.
 */
START_TEST(test_json_error_quoting_partial_utf8_is_a_400)
{
	static const unsigned char body[] = {	/* {"name": "\勤kgepTvesin"} cut after 0xe5 */
		0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x5c, 0xe5,
		0x8b, 0xa4, 0x6b, 0x67, 0x65, 0x70, 0x54, 0x76, 0x65, 0x73, 0x69, 0x6e,
		0x22, 0x7d,
	};
	struct api_resp r;
	json_t *j = post("/v1/applications", body, sizeof(body), &r);

	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
	    "urn:jpkid:problem:invalid-json");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "detail")),
	    "invalid escape"));
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

/* The same for a detail cut at 1023 bytes in the middle of a character. */
START_TEST(test_problem_detail_cut_mid_character_is_sent)
{
	struct api_resp r;
	char detail[1201];
	json_t *j;
	json_error_t je;
	int i;

	for (i = 0; i < 400; i++)
		memcpy(detail + 3 * i, "漢", 3);	/* after "x": byte 1023 is inside a character */
	detail[1200] = '\0';
	memset(&r, 0, sizeof(r));
	api_problem(&r, 422, "invalid-field", "Unprocessable Content", NULL, NULL, "x%s", detail);
	ck_assert_int_eq(r.status, 422);
	ck_assert_ptr_nonnull(j = json_loadb(r.body, r.body_len, 0, &je));
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(j, "detail"))), 1023);
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_utf8_scrub)
{
	char s[64];

	strcpy(s, "ok 漢字 \xc3\xa9");
	ck_assert_str_eq(util_utf8_scrub(s), "ok 漢字 \xc3\xa9");
	strcpy(s, "\\\xe5\x8b");				/* truncated */
	ck_assert_str_eq(util_utf8_scrub(s), "\\??");
	strcpy(s, "a\xc0\xaf" "b");				/* overlong '/' */
	ck_assert_str_eq(util_utf8_scrub(s), "a??b");
	strcpy(s, "\xed\xa0\x80|\xf4\x90\x80\x80|\xff");	/* surrogate, > U+10FFFF, 0xff */
	ck_assert_str_eq(util_utf8_scrub(s), "???|????|?");
}
END_TEST

/* A throwaway CA certificate with a subjectKeyIdentifier (the CRL's AKI). */
static X509 *
ca_cert(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"fuzz CA", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, k, EVP_sha256());
	EVP_PKEY_free(k);
	return x;
}

/*
 * fuzz_crl: a revocation time 2^32 years after 2026-01-01 was encoded as
 * 1930-01-01 (civil()'s year truncated to int), and INT64_MIN overflowed
 * (-s, UBSan). Both are outside 0000-9999 and must be refused.
 */
START_TEST(test_crl_time_outside_years_0_9999_refused)
{
	static const unsigned char serial[] = { 0x7a, 0x01, 0x51 };
	struct crl_params p;
	struct crl_entry e;
	struct crl_builder *b;
	char err[256];
	X509 *ca = ca_cert();

	memset(&p, 0, sizeof(p));
	p.type = PROFILE_SIGN;
	p.issuer = ca;
	p.prefecture = "東京都";
	p.municipality = "千代田区";
	p.crl_url = "http://status.example.jp";
	p.number = 1;
	p.this_update = 1767225600;	/* 2026-01-01 */
	p.next_update = 1767225600 + 86400;
	ck_assert_ptr_nonnull(b = crl_builder_new(&p, err, sizeof(err)));
	memset(&e, 0, sizeof(e));
	e.serial = serial;
	e.serial_len = sizeof(serial);
	e.reason = CRL_REASON_KEY_COMPROMISE;
	e.revoked_at = (time_t)INT64_C(135536075539200000);	/* 2026 + 10737418 * 400 years */
	ck_assert_int_eq(crl_builder_add(b, &e), -1);
	e.revoked_at = (time_t)INT64_MIN;
	ck_assert_int_eq(crl_builder_add(b, &e), -1);
	e.revoked_at = (time_t)INT64_C(253402300800);	/* 10000-01-01 */
	ck_assert_int_eq(crl_builder_add(b, &e), -1);
	e.revoked_at = (time_t)INT64_C(253402300799);	/* 9999-12-31T23:59:59Z: still fine */
	ck_assert_int_eq(crl_builder_add(b, &e), 0);
	e.revoked_at = 1767225600;
	e.has_invalidity = 1;
	e.invalidity = (time_t)INT64_C(135536075539200000);
	ck_assert_int_eq(crl_builder_add(b, &e), -1);
	ck_assert_uint_eq(crl_builder_count(b), 1);
	crl_builder_free(b);
	p.this_update = (time_t)INT64_C(135536075539200000);
	p.next_update = p.this_update + 86400;
	ck_assert_ptr_null(crl_builder_new(&p, err, sizeof(err)));
	X509_free(ca);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("found");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_json_error_quoting_partial_utf8_is_a_400);
	tcase_add_test(tc, test_problem_detail_cut_mid_character_is_sent);
	tcase_add_test(tc, test_utf8_scrub);
	tcase_add_test(tc, test_crl_time_outside_years_0_9999_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(suite());
}
