/*
 * problem: the one place where errors become RFC 9457 problem documents,
 * and the small response helpers every handler uses.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/log.h"
#include "common/util.h"

void
api_resp_free(struct api_resp *r)
{
	int i;

	free(r->body);
	r->body = NULL;
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	r->nheaders = 0;
}

void
api_add_header(struct api_resp *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *v;

	if (r->nheaders >= API_MAX_HEADERS)
		abort();	/* a handler bug, not bad input */
	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		v = NULL;
	va_end(ap);
	if (v == NULL)
		return;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = v;
	r->nheaders++;
}

void
api_text(struct api_resp *r, int status, const char *ctype, char *body, size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = len;
}

static void
set_json(struct api_resp *r, int status, const char *ctype, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (s == NULL) {
		/* Only on allocation failure: still answer something valid. */
		s = strdup("{\"title\":\"Internal Server Error\",\"status\":500}");
		status = 500;
		ctype = "application/problem+json";
	}
	api_text(r, status, ctype, s, s != NULL ? strlen(s) : 0);
}

void
api_json(struct api_resp *r, int status, json_t *body)
{
	set_json(r, status, "application/json", body);
}

/* The problem document api_problem() sends (detail already formatted). */
static json_t *
problem_doc(struct api_resp *r, int status, const char *type, const char *title,
    const char *rule, json_t *fields, const char *detail)
{
	json_t *p;
	char typ[128], d[1024];

	snprintf(typ, sizeof(typ), "urn:jpkid:problem:%s", type);
	/*
	 * The detail may quote client bytes (a JSON parser's error text, a
	 * path) or be cut mid-character: json_pack refuses invalid UTF-8,
	 * which would abort here (found by tests/fuzz/fuzz_api_body).
	 */
	snprintf(d, sizeof(d), "%s", detail);
	util_utf8_scrub(d);
	p = json_pack("{s:s, s:s, s:i, s:s}", "type", typ, "title", title,
	    "status", status, "detail", d);
	if (p == NULL)
		abort();
	if (rule != NULL)
		json_object_set_new(p, "rule", json_string(rule));
	if (fields != NULL)
		json_object_set_new(p, "fields", fields);
	r->rule = rule;
	r->problem = type;
	return p;
}

void
api_problem(struct api_resp *r, int status, const char *type, const char *title,
    const char *rule, json_t *fields, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	set_json(r, status, "application/problem+json",
	    problem_doc(r, status, type, title, rule, fields, detail));
}

/* ---- operators (issue 11) ---- */
void
api_forbidden_role(struct api_req *req, struct api_resp *r, const char *min_role)
{
	char detail[256];
	json_t *p;

	if (req->principal.kind == PRINCIPAL_OPERATOR)
		snprintf(detail, sizeof(detail), "%s %s needs an operator with role %s or"
		    " higher; this operator is a %s", req->method, req->path, min_role,
		    req->principal.role);
	else
		snprintf(detail, sizeof(detail), "%s %s needs an operator with role %s or"
		    " higher", req->method, req->path, min_role);
	p = problem_doc(r, 403, "forbidden", "Forbidden", NULL, NULL, detail);
	json_object_set_new(p, "required_role", json_string(min_role));
	set_json(r, 403, "application/problem+json", p);
}
/* ---- end operators ---- */

void
api_db_unavailable(struct api_req *req, struct api_resp *r, const struct store_err *err)
{
	log_kv(LOG_LVL_ERR, "database unavailable", "request_id", req->request_id,
	    "status", store_status_name(err->status), "sqlstate", err->sqlstate,
	    (char *)NULL);
	if (strcmp(err->sqlstate, "53100") == 0)
		/* disk_full: nothing was committed (docs/reliability.md) */
		api_problem(r, 503, "unavailable", "Service Unavailable", NULL, NULL,
		    "the database is out of disk space; nothing was changed, try again later");
	else
		api_problem(r, 503, "unavailable", "Service Unavailable", NULL, NULL,
		    "the database is not reachable; try again");
	api_add_header(r, "Retry-After", "5");
}

PGresult *
api_read(struct api_req *req, struct api_resp *resp, enum query_id q, int n,
    const char *const *v)
{
	struct store_conn *c;
	struct store_err err;
	PGresult *res;

	memset(&err, 0, sizeof(err));
	if ((c = store_borrow(req->app->store, req->app->borrow_timeout_ms, &err)) == NULL) {
		api_db_unavailable(req, resp, &err);
		return NULL;
	}
	if ((res = store_exec(c, q, n, v, NULL, NULL, &err)) == NULL)
		api_db_unavailable(req, resp, &err);
	store_release(c);
	return res;
}
