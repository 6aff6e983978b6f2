/*
 * mgmt: see mgmt.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/counter.h"
#include "api/operators/mgmt.h"
#include "ca/charset.h"

int
mgmt_id_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 18 && s[n] == '\0' && s[0] != '0';
}

void
mgmt_not_found(struct api_resp *resp, const char *what)
{
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such %s", what);
}

const char *
mgmt_query(struct api_req *req, const char *name)
{
	return req->query != NULL ? req->query(req->hctx, name) : NULL;
}

void
mgmt_bad_query(struct api_resp *resp, const char *name, const char *msg)
{
	api_problem(resp, 400, "invalid-query", "Bad Request", NULL,
	    json_pack("{s:s}", name, msg), "query parameter %s: %s", name, msg);
}

int
mgmt_query_bool(struct api_req *req, struct api_resp *resp, const char *name, const char **out)
{
	const char *v = mgmt_query(req, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*out = v[0] == 't' ? "true" : "false";
		return 0;
	}
	mgmt_bad_query(resp, name, "true or false");
	return -1;
}

int
mgmt_page_by_id(struct api_req *req, struct api_resp *resp, struct api_page *pg,
    char *buf, size_t len, const char **after)
{
	*after = NULL;
	if (api_page_parse(req, resp, pg) != 0)
		return -1;
	if (!pg->has_after)
		return 0;
	if (!mgmt_id_ok(pg->after)) {
		mgmt_bad_query(resp, "cursor", "the next_cursor of a previous page");
		return -1;
	}
	snprintf(buf, len, "%s", pg->after);
	*after = buf;
	return 0;
}

json_t *
mgmt_page_json(const PGresult *res, const struct api_page *pg,
    json_t *(*row)(const PGresult *, int))
{
	json_t *items = json_array();
	int n = PQntuples(res), i;

	for (i = 0; i < n && i < pg->limit; i++)
		json_array_append_new(items, row(res, i));
	return api_page_body(items, n > pg->limit ? PQgetvalue(res, pg->limit - 1, 0) : NULL);
}

json_t *
mgmt_time(const PGresult *res, int row, int col)
{
	char ts[32];

	if (PQgetisnull(res, row, col))
		return json_null();
	return json_string(counter_rfc3339((time_t)strtoll(PQgetvalue(res, row, col), NULL, 10),
	    ts, sizeof(ts)));
}

json_t *
mgmt_bool(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_boolean(strcmp(PQgetvalue(res, row, col), "true") == 0);
}

json_t *
mgmt_str(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

void
mgmt_check_known(json_t *body, const char *const *known, json_t *fields)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(body, key, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL)
			json_object_set_new(fields, key, json_string("unknown field"));
	}
}

const char *
mgmt_check_text(json_t *body, const char *name, long max, json_t *fields)
{
	const char *s = json_string_value(json_object_get(body, name)), *p;
	char msg[64];
	long n;

	if (s == NULL || (n = charset_utf8_len(s)) < 1 || n > max) {
		snprintf(msg, sizeof(msg), "a string of 1 to %ld characters", max);
		json_object_set_new(fields, name, json_string(msg));
		return NULL;
	}
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			json_object_set_new(fields, name,
			    json_string("must not contain control characters"));
			return NULL;
		}
	return s;
}

int
mgmt_check_bool(json_t *body, const char *name, json_t *fields, int *out)
{
	json_t *v = json_object_get(body, name);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		json_object_set_new(fields, name, json_string("true or false"));
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

void
mgmt_invalid(struct api_resp *resp, json_t *fields, const char *detail)
{
	api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields, "%s", detail);
}

void
mgmt_run_tx(struct api_req *req, struct api_resp *resp, store_tx_fn fn, void *arg)
{
	struct store_err err;

	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, fn, arg, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
}
