/*
 * test_api: the HTTP-independent API layer without a database: routing
 * (404, 405 + Allow, 403 by principal kind, listener separation), RFC 9457
 * problem documents, whoami, and the Prometheus rendering of metrics.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "api/api.h"
#include "api/metrics.h"
#include "tests/unit/testlib.h"

static struct app app;

static void
setup(void)
{
	memset(&app, 0, sizeof(app));
	app.version = "test";
	app.started_at = time(NULL) - 5;
	app.metrics = metrics_new();
	pthread_rwlock_init(&app.keys_lock, NULL);
}

static void
teardown(void)
{
	metrics_free(app.metrics);
	pthread_rwlock_destroy(&app.keys_lock);
}

/* Dispatch and parse the JSON body. */
static const char *run_role = "viewer";	/* operators' role in run() */

static json_t *
run(enum listener l, const char *method, const char *path, enum principal_kind kind,
    struct api_resp *resp)
{
	struct api_req req;
	json_error_t je;

	memset(&req, 0, sizeof(req));
	memset(resp, 0, sizeof(*resp));
	req.app = &app;
	req.listener = l;
	req.method = method;
	req.path = path;
	req.principal.kind = kind;
	req.principal.id = 7;
	strcpy(req.principal.name, "terminal-131016-01");
	strcpy(req.principal.municipality_code, "131016");
	strcpy(req.principal.municipality_name, "千代田区");
	strcpy(req.principal.prefecture, "東京都");
	strcpy(req.principal.cert_sha256, "ab");
	if (kind == PRINCIPAL_OPERATOR)
		snprintf(req.principal.role, sizeof(req.principal.role), "%s", run_role);
	strcpy(req.request_id, "0123456789abcdef");
	api_dispatch(&req, resp);
	return json_loadb(resp->body, resp->body_len, 0, &je);
}

static const char *
header(const struct api_resp *r, const char *name)
{
	int i;

	for (i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

START_TEST(test_unknown_path_404_problem)
{
	struct api_resp r;
	json_t *j = run(LISTENER_API, "GET", "/v1/nope", PRINCIPAL_TERMINAL, &r);

	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.content_type, "application/problem+json");
	ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "urn:jpkid:problem:not-found");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 404);
	ck_assert_str_eq(r.route, "unmatched");
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_wrong_method_405_allow)
{
	struct api_resp r;
	json_t *j = run(LISTENER_API, "DELETE", "/v1/whoami", PRINCIPAL_TERMINAL, &r);

	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(header(&r, "Allow"), "GET");
	ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Method Not Allowed");
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_r1_terminal_route_403_for_feed)
{
	struct api_resp r;
	json_t *j = run(LISTENER_API, "GET", "/v1/municipality", PRINCIPAL_REGISTER_FEED, &r);

	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.route, "municipality");
	ck_assert_str_eq(json_string_value(json_object_get(j, "detail")),
	    "a register_feed may not call GET /v1/municipality");
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_api_routes_not_on_status_listener)
{
	struct api_resp r;
	json_t *j = run(LISTENER_STATUS, "GET", "/v1/whoami", PRINCIPAL_NONE, &r);

	ck_assert_int_eq(r.status, 404);
	json_decref(j);
	api_resp_free(&r);
	j = run(LISTENER_API, "GET", "/healthz", PRINCIPAL_TERMINAL, &r);
	ck_assert_int_eq(r.status, 404);
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_whoami_terminal)
{
	struct api_resp r;
	json_t *j = run(LISTENER_API, "GET", "/v1/whoami", PRINCIPAL_TERMINAL, &r);
	json_t *m = json_object_get(j, "municipality");

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "application/json");
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "terminal");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), 7);
	ck_assert_str_eq(json_string_value(json_object_get(m, "code")), "131016");
	ck_assert_str_eq(json_string_value(json_object_get(m, "name")), "千代田区");
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

/* The role column of the router: a viewer may read, not revoke; 403 names the role. */
START_TEST(test_operator_role_checked_by_the_router)
{
	struct api_resp r;
	json_t *j;

	run_role = "viewer";
	j = run(LISTENER_API, "POST", "/v1/crls/publish", PRINCIPAL_OPERATOR, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(json_string_value(json_object_get(j, "required_role")), "officer");
	json_decref(j);
	api_resp_free(&r);
	j = run(LISTENER_API, "POST", "/v1/relying-parties", PRINCIPAL_OPERATOR, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(json_string_value(json_object_get(j, "required_role")), "admin");
	json_decref(j);
	api_resp_free(&r);
	run_role = "";	/* an operator row without a known role may do nothing */
	j = run(LISTENER_API, "GET", "/v1/whoami", PRINCIPAL_OPERATOR, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(json_string_value(json_object_get(j, "required_role")), "viewer");
	json_decref(j);
	api_resp_free(&r);
	run_role = "viewer";
}
END_TEST

/* The console listener has no terminal, feed, kiosk or relying-party route. */
START_TEST(test_console_listener_has_no_terminal_routes)
{
	struct api_resp r;
	json_t *j = run(LISTENER_CONSOLE, "GET", "/v1/municipality", PRINCIPAL_OPERATOR, &r);

	ck_assert_int_eq(r.status, 404);
	json_decref(j);
	api_resp_free(&r);
	j = run(LISTENER_CONSOLE, "POST", "/ocsp", PRINCIPAL_OPERATOR, &r);
	ck_assert_int_eq(r.status, 404);
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_whoami_operator_has_no_municipality)
{
	struct api_resp r;
	json_t *j = run(LISTENER_API, "GET", "/v1/whoami", PRINCIPAL_OPERATOR, &r);

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "operator");
	ck_assert_ptr_null(json_object_get(j, "municipality"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "role")), "viewer");
	ck_assert_str_eq(json_string_value(json_object_get(j, "authenticated_by")), "certificate");
	ck_assert_str_eq(json_string_value(json_object_get(j, "certificate_sha256")), "ab");
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

static int auth_calls;

static int
deny(struct api_req *req, struct api_resp *resp)
{
	auth_calls++;
	api_problem(resp, 401, "unauthenticated", "Unauthorized", NULL, NULL, "no");
	return -1;
}

/* Authentication comes before 404/405/403, and failures keep their route label. */
START_TEST(test_every_api_request_authenticated_first)
{
	struct api_req req;
	struct api_resp r;
	const char *paths[] = { "/v1/whoami", "/v1/nope", "/v1/municipality" };
	const char *labels[] = { "whoami", "unmatched", "municipality" };
	int i;

	auth_calls = 0;
	for (i = 0; i < 3; i++) {
		memset(&req, 0, sizeof(req));
		memset(&r, 0, sizeof(r));
		req.app = &app;
		req.listener = LISTENER_API;
		req.method = "GET";
		req.path = paths[i];
		req.authenticate = deny;
		api_dispatch(&req, &r);
		ck_assert_int_eq(r.status, 401);
		ck_assert_str_eq(r.route, labels[i]);
		api_resp_free(&r);
	}
	ck_assert_int_eq(auth_calls, 3);
}
END_TEST

/* ---- requests (issue 13) ---- */
static int
allow_terminal(struct api_req *req, struct api_resp *resp)
{
	(void)resp;
	auth_calls++;
	req->principal.kind = PRINCIPAL_TERMINAL;
	strcpy(req->principal.municipality_code, "131016");
	return 0;
}

/* The head's check: a refused caller is answered before the body; an admitted one once. */
START_TEST(test_authenticate_early_once_then_dispatch)
{
	struct api_req req;
	struct api_resp r;

	auth_calls = 0;
	memset(&req, 0, sizeof(req));
	memset(&r, 0, sizeof(r));
	req.app = &app;
	req.listener = LISTENER_API;
	req.method = "POST";
	req.path = "/v1/applications";
	req.authenticate = deny;
	ck_assert_int_eq(api_authenticate_early(&req, &r), -1);
	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(r.route, "application_create");
	ck_assert_int_eq(req.route_principals, PRINCIPAL_TERMINAL);
	ck_assert_int_eq(req.route_mutates, 1);
	api_resp_free(&r);

	memset(&r, 0, sizeof(r));
	req.authenticate = allow_terminal;
	req.method = "GET";
	req.path = "/v1/municipality/x";
	ck_assert_int_eq(api_authenticate_early(&req, &r), 0);
	ck_assert_ptr_null(req.authenticate);
	api_dispatch(&req, &r);		/* 404: no second authentication */
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(auth_calls, 2);
	api_resp_free(&r);
}
END_TEST

static const char *test_ctype;

static const char *
ctype_lookup(void *hctx, const char *name)
{
	(void)hctx;
	return strcmp(name, "Content-Type") == 0 ? test_ctype : NULL;
}

/* A JSON route's body must be application/json; OCSP keeps its own type. */
START_TEST(test_json_route_body_needs_application_json_415)
{
	const char *bad[] = { "text/plain", NULL, "application/jsonx", "application/x-ndjson" };
	struct api_req req;
	struct api_resp r;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&req, 0, sizeof(req));
		memset(&r, 0, sizeof(r));
		req.app = &app;
		req.listener = LISTENER_API;
		req.method = "POST";
		req.path = "/v1/applications";
		req.principal.kind = PRINCIPAL_TERMINAL;
		req.header = ctype_lookup;
		req.body = "{}";
		req.body_len = 2;
		test_ctype = bad[i];
		api_dispatch(&req, &r);
		ck_assert_int_eq(r.status, 415);
		j = json_loadb(r.body, r.body_len, 0, NULL);
		ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
		    "urn:jpkid:problem:unsupported-media-type");
		ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "fields"),
		    "Content-Type")), "must be application/json");
		json_decref(j);
		api_resp_free(&r);
	}
	/* POST /ocsp judges its own media type (application/ocsp-request). */
	memset(&req, 0, sizeof(req));
	memset(&r, 0, sizeof(r));
	req.app = &app;
	req.listener = LISTENER_STATUS;
	req.method = "POST";
	req.path = "/ocsp";
	req.header = ctype_lookup;
	req.body = "x";
	req.body_len = 1;
	test_ctype = "application/json";
	api_dispatch(&req, &r);
	ck_assert_int_eq(r.status, 415);
	ck_assert_ptr_nonnull(strstr(r.body, "ocsp-request"));
	api_resp_free(&r);
}
END_TEST

START_TEST(test_media_type_is)
{
	ck_assert_int_eq(api_media_type_is("application/json", "application/json"), 1);
	ck_assert_int_eq(api_media_type_is("Application/JSON", "application/json"), 1);
	ck_assert_int_eq(api_media_type_is(" application/json ; charset=utf-8", "application/json"), 1);
	ck_assert_int_eq(api_media_type_is("application/json;charset=UTF-8", "application/json"), 1);
	ck_assert_int_eq(api_media_type_is(NULL, "application/json"), 0);
	ck_assert_int_eq(api_media_type_is("", "application/json"), 0);
	ck_assert_int_eq(api_media_type_is("text/plain", "application/json"), 0);
	ck_assert_int_eq(api_media_type_is("application/json-seq", "application/json"), 0);
	ck_assert_int_eq(api_media_type_is("application/problem+json", "application/json"), 0);
}
END_TEST

/* %00 and other control bytes would truncate or change the decoded path. */
START_TEST(test_target_check_refuses_control_bytes_and_bad_escapes)
{
	static const struct { const char *target, *part; } bad[] = {
		{ "/v1/residents/13101600001%00", "path" },
		{ "/crl/sign/131016.crl%00.txt", "path" },
		{ "/ca/sign.crt%00", "path" },
		{ "/ca/sign.crt%01", "path" },
		{ "/ca/sign.crt%0a", "path" },
		{ "/ca/sign.crt%0D", "path" },
		{ "/ca/sign.crt%1f", "path" },
		{ "/ca/sign.crt%7F", "path" },
		{ "/ca/sign.crt\001", "path" },
		{ "/ca/sign.crt\177", "path" },
		{ "/ca/sign crt", "path" },
		{ "/ca/sign.crt%", "path" },
		{ "/ca/sign.crt%4", "path" },
		{ "/ca/sign.crt%zz", "path" },
		{ "/ca/%ff.crt", "path" },
		{ "/ca/%c0%af.crt", "path" },		/* overlong '/' */
		{ "/ca/%ed%a0%80.crt", "path" },	/* a surrogate */
		{ "/ca/\xff.crt", "path" },
		{ "/healthz?x=%00", "query" },
		{ "/healthz?x=%0a", "query" },
		{ "/healthz?x=%", "query" },
		{ "/healthz?x=\t", "query" },
	};
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *part = api_target_check(bad[i].target, &why);

		ck_assert_msg(part != NULL && strcmp(part, bad[i].part) == 0, "%s: %s",
		    bad[i].target, part != NULL ? part : "accepted");
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_str_eq((api_target_check("/x%00", &why), why),
	    "must not contain control characters (%00-%1F, %7F), encoded or not");
}
END_TEST

START_TEST(test_target_check_accepts_ordinary_targets)
{
	static const char *const good[] = {
		"/v1/residents/13101600001", "/crl/sign/131016.crl", "/ca/sign.crt", "/",
		"/ocsp/MFYwVKADAgEAME0wSzBJMAkGBSsOAwIaBQAEFA%2Bx%2F%3D%3D",
		"/v1/certificates?name=%E5%8D%83%E4%BB%A3&limit=5", "/ca/%E5%8D%83.crt",
		"/ca/\xe5\x8d\x83.crt", "/v1/audit?from=2026-11-21T00:00:00Z&x=a+b",
		"/healthz?", "/healthz?a=%2F%3F%25",
	};
	const char *why = "x";
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *part = api_target_check(good[i], &why);

		ck_assert_msg(part == NULL, "%s refused: %s %s", good[i], part, why);
		ck_assert_ptr_null(why);
	}
}
END_TEST
static void
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e;

	if (value == NULL)
		return;
	e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A self-signed certificate with these extensions (NULL: absent) as DER. */
static int
make_cert(const char *eku, const char *ku, const char *bc, unsigned char **der)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX ctx;
	int len;

	ck_assert_ptr_nonnull(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"terminal-131016-99", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	add_ext(x, &ctx, NID_ext_key_usage, eku);
	add_ext(x, &ctx, NID_key_usage, ku);
	add_ext(x, &ctx, NID_basic_constraints, bc);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	*der = NULL;
	len = i2d_X509(x, der);
	ck_assert_int_gt(len, 0);
	X509_free(x);
	EVP_PKEY_free(k);
	return len;
}

/* The client certificate's own checks: EKU clientAuth, digitalSignature, not a CA. */
START_TEST(test_client_cert_needs_eku_client_auth_and_no_ca)
{
	static const struct { const char *eku, *ku, *bc, *why; } c[] = {
		{ "clientAuth", "critical,digitalSignature,keyEncipherment", "critical,CA:FALSE", NULL },
		{ "clientAuth", NULL, NULL, NULL },
		{ "serverAuth,clientAuth", "digitalSignature", NULL, NULL },
		{ NULL, "critical,digitalSignature", NULL, "certificate has no extendedKeyUsage clientAuth" },
		{ "serverAuth", "digitalSignature", NULL, "certificate has no extendedKeyUsage clientAuth" },
		{ "clientAuth", "critical,keyEncipherment", NULL, "certificate keyUsage lacks digitalSignature" },
		{ "clientAuth", "critical,keyCertSign,cRLSign", "critical,CA:TRUE",
		  "certificate keyUsage lacks digitalSignature" },
		{ "clientAuth", "digitalSignature", "critical,CA:TRUE", "certificate is a CA certificate" },
	};
	const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	unsigned char *der;
	const char *why;
	size_t i;
	int len;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		len = make_cert(c[i].eku, c[i].ku, c[i].bc, &der);
		why = api_client_cert_problem(der, (size_t)len);
		if (c[i].why == NULL)
			ck_assert_msg(why == NULL, "case %zu: %s", i, why);
		else
			ck_assert_msg(why != NULL && strcmp(why, c[i].why) == 0, "case %zu: %s", i,
			    why != NULL ? why : "accepted");
		ck_assert_str_eq(api_client_cert_problem(der, (size_t)len - 1) ?
		    api_client_cert_problem(der, (size_t)len - 1) : "", "certificate not parsable");
		OPENSSL_free(der);
	}
	ck_assert_str_eq(api_client_cert_problem(junk, sizeof(junk)), "certificate not parsable");
}
END_TEST
/* ---- end requests ---- */

START_TEST(test_healthz)
{
	struct api_resp r;
	json_t *j = run(LISTENER_STATUS, "GET", "/healthz", PRINCIPAL_NONE, &r);

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(j, "version")), "test");
	ck_assert_int_ge(json_integer_value(json_object_get(j, "uptime_seconds")), 5);
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_problem_with_rule_and_fields)
{
	struct api_resp r;
	json_t *j;
	json_error_t je;

	memset(&r, 0, sizeof(r));
	api_problem(&r, 422, "policy-refusal", "Refused by rule", "R4",
	    json_pack("{s:s}", "type", "SIGN needs age 15"), "resident is %d", 14);
	j = json_loadb(r.body, r.body_len, 0, &je);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(r.content_type, "application/problem+json");
	ck_assert_str_eq(json_string_value(json_object_get(j, "rule")), "R4");
	ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), "resident is 14");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "fields"), "type")),
	    "SIGN needs age 15");
	ck_assert_str_eq(r.rule, "R4");
	json_decref(j);
	api_resp_free(&r);
}
END_TEST

START_TEST(test_metrics_render_counts_and_cumulative_buckets)
{
	static const char route[] = "whoami";
	size_t len;
	char *s;

	metrics_observe(app.metrics, route, 200, 800);		/* 0.8 ms */
	metrics_observe(app.metrics, route, 200, 30000);	/* 30 ms */
	metrics_observe(app.metrics, route, 401, 20000000);	/* 20 s: only +Inf */
	s = metrics_render(app.metrics, NULL, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_requests_total{route=\"whoami\",status=\"200\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_requests_total{route=\"whoami\",status=\"401\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_request_duration_seconds_bucket{route=\"whoami\",le=\"0.001\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_request_duration_seconds_bucket{route=\"whoami\",le=\"0.05\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_request_duration_seconds_bucket{route=\"whoami\",le=\"10\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_request_duration_seconds_bucket{route=\"whoami\",le=\"+Inf\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_request_duration_seconds_count{route=\"whoami\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "jpkid_http_request_duration_seconds_sum{route=\"whoami\"} 20.030800\n"));
	free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unknown_path_404_problem);
	tcase_add_test(tc, test_wrong_method_405_allow);
	tcase_add_test(tc, test_r1_terminal_route_403_for_feed);
	tcase_add_test(tc, test_api_routes_not_on_status_listener);
	tcase_add_test(tc, test_whoami_terminal);
	tcase_add_test(tc, test_whoami_operator_has_no_municipality);
	tcase_add_test(tc, test_operator_role_checked_by_the_router);
	tcase_add_test(tc, test_console_listener_has_no_terminal_routes);
	tcase_add_test(tc, test_every_api_request_authenticated_first);
	tcase_add_test(tc, test_authenticate_early_once_then_dispatch);
	tcase_add_test(tc, test_json_route_body_needs_application_json_415);
	tcase_add_test(tc, test_media_type_is);
	tcase_add_test(tc, test_target_check_refuses_control_bytes_and_bad_escapes);
	tcase_add_test(tc, test_target_check_accepts_ordinary_targets);
	tcase_add_test(tc, test_client_cert_needs_eku_client_auth_and_no_ca);
	tcase_add_test(tc, test_healthz);
	tcase_add_test(tc, test_problem_with_rule_and_fields);
	tcase_add_test(tc, test_metrics_render_counts_and_cumulative_buckets);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
