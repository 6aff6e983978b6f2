/*
 * test_session: the pure pieces of the console session (api/operators/session.h):
 * base64url, token shape, the CSRF derivation (checked against openssl
 * dgst -hmac), the jpkid_session cookie parser, the Origin rule and the
 * login/session body. No database.
 */
#include <string.h>
#include <strings.h>

#include "api/operators/session.h"
#include "tests/unit/testlib.h"

static const char *hdr_cookie, *hdr_origin, *hdr_host, *hdr_csrf;

static const char *
fake_header(void *hctx, const char *name)
{
	(void)hctx;
	if (strcasecmp(name, "Cookie") == 0)
		return hdr_cookie;
	if (strcasecmp(name, "Origin") == 0)
		return hdr_origin;
	if (strcasecmp(name, "Host") == 0)
		return hdr_host;
	if (strcasecmp(name, "X-CSRF-Token") == 0)
		return hdr_csrf;
	return NULL;
}

static struct app app;
static struct api_req req;

static void
setup(void)
{
	memset(&app, 0, sizeof(app));
	memset(&req, 0, sizeof(req));
	req.app = &app;
	req.header = fake_header;
	hdr_cookie = hdr_origin = hdr_host = hdr_csrf = NULL;
}

#define TOK43	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

START_TEST(test_b64url_rfc4648_vectors)
{
	char out[16];

	session_b64url((const unsigned char *)"", 0, out);
	ck_assert_str_eq(out, "");
	session_b64url((const unsigned char *)"f", 1, out);
	ck_assert_str_eq(out, "Zg");
	session_b64url((const unsigned char *)"fo", 2, out);
	ck_assert_str_eq(out, "Zm8");
	session_b64url((const unsigned char *)"foo", 3, out);
	ck_assert_str_eq(out, "Zm9v");
	session_b64url((const unsigned char *)"foobar", 6, out);
	ck_assert_str_eq(out, "Zm9vYmFy");
	/* The URL-safe alphabet: 0xfb 0xff is "+/8" in plain base64. */
	session_b64url((const unsigned char *)"\xfb\xff", 2, out);
	ck_assert_str_eq(out, "-_8");
}
END_TEST

START_TEST(test_new_token_shape)
{
	char a[SESSION_B64_LEN], b[SESSION_B64_LEN];

	ck_assert_int_eq(session_new_token(a), 0);
	ck_assert_int_eq(session_new_token(b), 0);
	ck_assert_uint_eq(strlen(a), 43);
	ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_csrf_is_hmac_of_token)
{
	char csrf[SESSION_B64_LEN], other[SESSION_B64_LEN];

	/* echo -n "jpkid csrf v1" | openssl dgst -sha256 -hmac TOK43 -binary | basenc --base64url */
	session_csrf(TOK43, csrf);
	ck_assert_str_eq(csrf, "PyciUsbUKY3GQecgueNt7KqWRuVfJwDPeIvNv5zO0iw");
	session_csrf("BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", other);
	ck_assert_str_ne(csrf, other);
}
END_TEST

START_TEST(test_sha256_hex)
{
	char h[65];

	session_sha256_hex("abc", h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_cookie_parsing)
{
	char buf[SESSION_B64_LEN + 1];

	setup();
	ck_assert_ptr_null(session_cookie(&req, buf, sizeof(buf)));
	hdr_cookie = "jpkid_session=" TOK43;
	ck_assert_str_eq(session_cookie(&req, buf, sizeof(buf)), TOK43);
	hdr_cookie = "theme=dark; jpkid_session=" TOK43 "; lang=ja";
	ck_assert_str_eq(session_cookie(&req, buf, sizeof(buf)), TOK43);
	hdr_cookie = "xjpkid_session=" TOK43;
	ck_assert_ptr_null(session_cookie(&req, buf, sizeof(buf)));
	hdr_cookie = "jpkid_session=short";
	ck_assert_ptr_null(session_cookie(&req, buf, sizeof(buf)));
	hdr_cookie = "jpkid_session=" TOK43 "A";
	ck_assert_ptr_null(session_cookie(&req, buf, sizeof(buf)));
	hdr_cookie = "jpkid_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'";
	ck_assert_ptr_null(session_cookie(&req, buf, sizeof(buf)));
	hdr_cookie = "jpkid_session=";
	ck_assert_ptr_null(session_cookie(&req, buf, sizeof(buf)));
	hdr_cookie = "jpkid_session=" TOK43;
	ck_assert_ptr_null(session_cookie(&req, buf, 20));	/* buffer too small */
}
END_TEST

START_TEST(test_origin_rule)
{
	setup();
	ck_assert_int_eq(session_origin_ok(&req), 0);	/* no Origin */
	hdr_host = "console.example:8444";
	hdr_origin = "https://console.example:8444";
	ck_assert_int_eq(session_origin_ok(&req), 1);
	hdr_origin = "http://console.example:8444";
	ck_assert_int_eq(session_origin_ok(&req), 0);
	hdr_origin = "https://evil.example";
	ck_assert_int_eq(session_origin_ok(&req), 0);
	hdr_host = NULL;
	hdr_origin = "https://console.example:8444";
	ck_assert_int_eq(session_origin_ok(&req), 0);
	/* [console] origin wins over Host. */
	app.operators.console_origin = "https://ops.example";
	hdr_host = "console.example:8444";
	ck_assert_int_eq(session_origin_ok(&req), 0);
	hdr_origin = "https://ops.example";
	ck_assert_int_eq(session_origin_ok(&req), 1);
}
END_TEST

START_TEST(test_body_shape)
{
	json_t *b = session_body(7, "alice", "", "officer", "csrf", (time_t)1767225600, 900);
	char *s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);

	ck_assert_str_eq(s, "{\"csrf_token\":\"csrf\",\"expires_at\":\"2026-01-01T00:00:00Z\","
	    "\"idle_timeout_seconds\":900,\"operator\":{\"id\":7,\"role\":\"officer\","
	    "\"username\":\"alice\"}}");
	free(s);
	json_decref(b);
	b = session_body(7, "alice", "Alice", "officer", "csrf", (time_t)1767225600, 900);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "operator"),
	    "display_name")), "Alice");
	json_decref(b);
}
END_TEST

START_TEST(test_set_cookie_header)
{
	struct api_resp r;

	memset(&r, 0, sizeof(r));
	session_set_cookie(&r, TOK43, 28800);
	session_set_cookie(&r, NULL, 0);
	ck_assert_int_eq(r.nheaders, 2);
	ck_assert_str_eq(r.headers[0].value, "jpkid_session=" TOK43
	    "; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=28800");
	ck_assert_str_eq(r.headers[1].value,
	    "jpkid_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
	api_resp_free(&r);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite	*s = suite_create("session");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_b64url_rfc4648_vectors);
	tcase_add_test(tc, test_new_token_shape);
	tcase_add_test(tc, test_csrf_is_hmac_of_token);
	tcase_add_test(tc, test_sha256_hex);
	tcase_add_test(tc, test_cookie_parsing);
	tcase_add_test(tc, test_origin_rule);
	tcase_add_test(tc, test_body_shape);
	tcase_add_test(tc, test_set_cookie_header);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(session_suite());
}
