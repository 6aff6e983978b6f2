/*
 * test_api: the HTTP-independent API layer without a database: routing
 * (404, 405 + Allow, 403 by principal kind, listener separation), RFC 9457
 * problem documents, whoami, and the Prometheus rendering of metrics.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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
	tcase_add_test(tc, test_healthz);
	tcase_add_test(tc, test_problem_with_rule_and_fields);
	tcase_add_test(tc, test_metrics_render_counts_and_cumulative_buckets);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
