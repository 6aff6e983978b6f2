/*
 * test_mgmt: the management API's pure parts, without a database: path
 * ids, query filters, keyset pages by id (limit + 1 rows -> items and
 * next_cursor, the cursor read back), body checks, and the router's role
 * column for the management routes (403 naming admin before any handler).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "api/api.h"
#include "api/metrics.h"
#include "api/operators/mgmt.h"
#include "api/paging.h"
#include "tests/unit/testlib.h"

/* Query parameters of a fake request: "name=value" pairs. */
static const char *const *query_pairs;

static const char *
fake_query(void *hctx, const char *name)
{
	size_t n = strlen(name);
	int i;

	(void)hctx;
	for (i = 0; query_pairs != NULL && query_pairs[i] != NULL; i++)
		if (strncmp(query_pairs[i], name, n) == 0 && query_pairs[i][n] == '=')
			return query_pairs[i] + n + 1;
	return NULL;
}

static void
req_with(struct api_req *req, const char *const *pairs)
{
	memset(req, 0, sizeof(*req));
	query_pairs = pairs;
	req->query = fake_query;
	strcpy(req->request_id, "0123456789abcdef");
}

/* A text result with one column "id" and the given rows. */
static PGresult *
ids_result(const char *const *ids)
{
	PGresAttDesc att = { "id", 0, 0, 0, 25, -1, -1 };
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	int i;

	ck_assert(res != NULL && PQsetResultAttrs(res, 1, &att));
	for (i = 0; ids[i] != NULL; i++)
		ck_assert(PQsetvalue(res, i, 0, (char *)ids[i], (int)strlen(ids[i])));
	return res;
}

static json_t *
id_json(const PGresult *res, int row)
{
	return json_pack("{s:s}", "id", PQgetvalue(res, row, 0));
}

START_TEST(test_id_ok)
{
	ck_assert(mgmt_id_ok("1"));
	ck_assert(mgmt_id_ok("999999999999999999"));
	ck_assert(!mgmt_id_ok("0"));
	ck_assert(!mgmt_id_ok("012"));
	ck_assert(!mgmt_id_ok("1000000000000000000"));	/* 19 digits */
	ck_assert(!mgmt_id_ok("12a"));
	ck_assert(!mgmt_id_ok(""));
	ck_assert(!mgmt_id_ok("-1"));
}
END_TEST

START_TEST(test_page_has_next_cursor_when_one_more_row)
{
	static const char *const rows[] = { "3", "5", "8", NULL };
	struct api_page pg = { .limit = 2 };
	PGresult *res = ids_result(rows);
	json_t *body = mgmt_page_json(res, &pg, id_json);
	char want[16];

	ck_assert_int_eq(json_array_size(json_object_get(body, "items")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(body, "items"), 1), "id")), "5");
	ck_assert_int_eq(api_cursor_encode("5", want, sizeof(want)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(body, "next_cursor")), want);
	json_decref(body);
	pg.limit = 3;
	body = mgmt_page_json(res, &pg, id_json);
	ck_assert_int_eq(json_array_size(json_object_get(body, "items")), 3);
	ck_assert(json_is_null(json_object_get(body, "next_cursor")));
	json_decref(body);
	PQclear(res);
}
END_TEST

START_TEST(test_cursor_by_id_round_trip)
{
	char cur[16], buf[32];
	const char *pairs[3] = { "limit=2", NULL, NULL }, *after;
	static char cpair[40];
	struct api_req req;
	struct api_resp resp;
	struct api_page pg;

	ck_assert_int_eq(api_cursor_encode("42", cur, sizeof(cur)), 0);
	snprintf(cpair, sizeof(cpair), "cursor=%s", cur);
	pairs[1] = cpair;
	req_with(&req, pairs);
	memset(&resp, 0, sizeof(resp));
	ck_assert_int_eq(mgmt_page_by_id(&req, &resp, &pg, buf, sizeof(buf), &after), 0);
	ck_assert_int_eq(pg.limit, 2);
	ck_assert_str_eq(after, "42");
	api_resp_free(&resp);
}
END_TEST

START_TEST(test_cursor_not_an_id_400_naming_cursor)
{
	char cur[32], buf[32];
	static char cpair[40];
	const char *pairs[2] = { NULL, NULL }, *after;
	struct api_req req;
	struct api_resp resp;
	struct api_page pg;
	json_t *j;

	ck_assert_int_eq(api_cursor_encode("2026-01-01|ab", cur, sizeof(cur)), 0);
	snprintf(cpair, sizeof(cpair), "cursor=%s", cur);
	pairs[0] = cpair;
	req_with(&req, pairs);
	memset(&resp, 0, sizeof(resp));
	ck_assert_int_eq(mgmt_page_by_id(&req, &resp, &pg, buf, sizeof(buf), &after), -1);
	ck_assert_int_eq(resp.status, 400);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	ck_assert(json_object_get(json_object_get(j, "fields"), "cursor") != NULL);
	json_decref(j);
	api_resp_free(&resp);
}
END_TEST

START_TEST(test_bool_filter)
{
	static const char *const t[] = { "enabled=true", NULL };
	static const char *const bad[] = { "enabled=1", NULL };
	struct api_req req;
	struct api_resp resp;
	const char *v;
	json_t *j;

	req_with(&req, t);
	memset(&resp, 0, sizeof(resp));
	ck_assert_int_eq(mgmt_query_bool(&req, &resp, "enabled", &v), 0);
	ck_assert_str_eq(v, "true");
	req_with(&req, NULL);
	ck_assert_int_eq(mgmt_query_bool(&req, &resp, "enabled", &v), 0);
	ck_assert(v == NULL);
	req_with(&req, bad);
	ck_assert_int_eq(mgmt_query_bool(&req, &resp, "enabled", &v), -1);
	ck_assert_int_eq(resp.status, 400);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	ck_assert(json_object_get(json_object_get(j, "fields"), "enabled") != NULL);
	json_decref(j);
	api_resp_free(&resp);
}
END_TEST

START_TEST(test_body_checks)
{
	static const char *const known[] = { "name", "enabled", NULL };
	json_t *body = json_pack("{s:s, s:s, s:i}", "name", "a\tb", "colour", "red", "enabled", 1);
	json_t *fields = json_object();
	int on = -1;

	mgmt_check_known(body, known, fields);
	ck_assert(json_object_get(fields, "colour") != NULL);
	ck_assert(mgmt_check_text(body, "name", 128, fields) == NULL);
	ck_assert(json_object_get(fields, "name") != NULL);
	ck_assert_int_eq(mgmt_check_bool(body, "enabled", fields, &on), -1);
	ck_assert_int_eq(on, -1);
	ck_assert_int_eq(mgmt_check_bool(body, "absent", fields, &on), 0);
	json_object_set_new(body, "name", json_string("千代田区 窓口1"));
	json_object_set_new(body, "enabled", json_false());
	ck_assert_str_eq(mgmt_check_text(body, "name", 128, fields), "千代田区 窓口1");
	ck_assert_int_eq(mgmt_check_bool(body, "enabled", fields, &on), 1);
	ck_assert_int_eq(on, 0);
	json_object_set_new(body, "name", json_string("1234567890"));
	ck_assert(mgmt_check_text(body, "name", 9, fields) == NULL);
	json_decref(fields);
	json_decref(body);
}
END_TEST

/* The management routes: the router refuses a viewer before any handler runs. */
START_TEST(test_management_mutations_need_admin)
{
	static const struct { const char *method, *path; } routes[] = {
		{ "POST", "/v1/terminals" }, { "PATCH", "/v1/terminals/1" },
		{ "POST", "/v1/register-feeds" }, { "PATCH", "/v1/register-feeds/1" },
		{ "POST", "/v1/kiosks" }, { "PATCH", "/v1/kiosks/1" },
		{ "POST", "/v1/operators" }, { "PATCH", "/v1/operators/1" },
		{ "POST", "/v1/operators/1/totp" },
	};
	static const char *const roles[] = { "viewer", "officer" };
	struct app app;
	struct api_req req;
	struct api_resp resp;
	size_t i, k;
	json_t *j;

	memset(&app, 0, sizeof(app));
	app.metrics = metrics_new();
	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			memset(&req, 0, sizeof(req));
			memset(&resp, 0, sizeof(resp));
			req.app = &app;
			req.listener = LISTENER_API;
			req.method = routes[i].method;
			req.path = routes[i].path;
			req.principal.kind = PRINCIPAL_OPERATOR;
			strcpy(req.principal.role, roles[k]);
			api_dispatch(&req, &resp);
			ck_assert_int_eq(resp.status, 403);
			j = json_loadb(resp.body, resp.body_len, 0, NULL);
			ck_assert_str_eq(json_string_value(json_object_get(j, "required_role")), "admin");
			json_decref(j);
			api_resp_free(&resp);
		}
	/* A terminal is not an operator: the kind check, not the role. */
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.app = &app;
	req.listener = LISTENER_API;
	req.method = "GET";
	req.path = "/v1/operators";
	req.principal.kind = PRINCIPAL_TERMINAL;
	api_dispatch(&req, &resp);
	ck_assert_int_eq(resp.status, 403);
	api_resp_free(&resp);
	metrics_free(app.metrics);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mgmt");
	TCase *tc = tcase_create("mgmt");

	tcase_add_test(tc, test_id_ok);
	tcase_add_test(tc, test_page_has_next_cursor_when_one_more_row);
	tcase_add_test(tc, test_cursor_by_id_round_trip);
	tcase_add_test(tc, test_cursor_not_an_id_400_naming_cursor);
	tcase_add_test(tc, test_bool_filter);
	tcase_add_test(tc, test_body_checks);
	tcase_add_test(tc, test_management_mutations_need_admin);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
