/*
 * audit_log: the operator's view of the audit trail (docs/operators.md).
 *
 *	GET /v1/audit		viewer; filters actor, action, object, request_id,
 *				from, to (RFC 3339); newest first by seq; paged
 *	GET /v1/audit/verify	viewer; recompute the chain and check the
 *				checkpoints (api/operators/audit_verify.c, as jpkictl)
 *
 * Reading the trail is itself audited (action audit.read, the filters in
 * detail): the trail names which residents were looked up, by whom.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/audit.h"
#include "api/operators/audit_verify.h"
#include "api/paging.h"
#include "ca/policy.h"
#include "common/log.h"

#define FILTER_MAX	200

static const char *
qparam(struct api_req *req, const char *name)
{
	return req->query != NULL ? req->query(req->hctx, name) : NULL;
}

static int
digits(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= max && s[n] == '\0';
}

static json_t *
entry_json(const PGresult *res, int i)
{
	json_t *detail = json_loads(PQgetvalue(res, i, 6), 0, NULL), *o;

	if (detail == NULL)
		detail = json_object();	/* jsonb text always parses; never reached */
	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:b}",
	    "seq", (json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10),
	    "at", PQgetvalue(res, i, 2),
	    "actor", PQgetvalue(res, i, 3),
	    "action", PQgetvalue(res, i, 4),
	    "object", PQgetisnull(res, i, 5) ? json_null() : json_string(PQgetvalue(res, i, 5)),
	    "request_id", PQgetisnull(res, i, 7) ? json_null() :
	    json_string(PQgetvalue(res, i, 7)),
	    "detail", detail,
	    "sealed", strcmp(PQgetvalue(res, i, 8), "true") == 0);
	if (o == NULL)
		abort();
	return o;
}

void
api_audit_list(struct api_req *req, struct api_resp *resp)
{
	static const char *const names[4] = { "actor", "action", "object", "request_id" };
	const char *v[8];
	char from[24], to[24], lim[16], last[24];
	struct api_page pg;
	json_t *fields = json_object(), *items, *filters;
	PGresult *res;
	time_t t = 0;
	int i, n;

	for (i = 0; i < 4; i++) {
		v[i] = qparam(req, names[i]);
		if (v[i] != NULL && (*v[i] == '\0' || strlen(v[i]) > FILTER_MAX))
			json_object_set_new(fields, names[i], json_string("1 to 200 characters"));
	}
	v[4] = v[5] = v[6] = NULL;
	if ((v[4] = qparam(req, "from")) != NULL) {
		if (policy_rfc3339_parse(v[4], &t) != 0)
			json_object_set_new(fields, "from", json_string("an RFC 3339 date-time"));
		snprintf(from, sizeof(from), "%lld", (long long)t);
		v[4] = from;
	}
	if ((v[5] = qparam(req, "to")) != NULL) {
		if (policy_rfc3339_parse(v[5], &t) != 0)
			json_object_set_new(fields, "to", json_string("an RFC 3339 date-time"));
		snprintf(to, sizeof(to), "%lld", (long long)t);
		v[5] = to;
	}
	if (json_object_size(fields) > 0) {
		api_problem(resp, 400, "invalid-query", "Bad Request", NULL, fields,
		    "the query has invalid parameters");
		return;
	}
	json_decref(fields);
	if (api_page_parse(req, resp, &pg) != 0)
		return;
	if (pg.has_after) {
		if (!digits(pg.after, 18)) {
			api_problem(resp, 400, "invalid-query", "Bad Request", NULL,
			    json_pack("{s:s}", "cursor", "the next_cursor of a previous page"),
			    "cursor is not one this server handed out");
			return;
		}
		v[6] = pg.after;
	}
	v[7] = api_page_limit_plus_one(&pg, lim, sizeof(lim));
	if ((res = api_read(req, resp, Q_AUDIT_LIST, 8, v)) == NULL)
		return;
	items = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < pg.limit; i++)
		json_array_append_new(items, entry_json(res, i));
	last[0] = '\0';
	if (n > pg.limit)
		snprintf(last, sizeof(last), "%s", PQgetvalue(res, pg.limit - 1, 0));
	PQclear(res);
	api_json(resp, 200, api_page_body(items, last[0] != '\0' ? last : NULL));
	filters = json_object();
	for (i = 0; i < 4; i++)
		if (v[i] != NULL)
			json_object_set_new(filters, names[i], json_string(v[i]));
	if (qparam(req, "from") != NULL)
		json_object_set_new(filters, "from", json_string(qparam(req, "from")));
	if (qparam(req, "to") != NULL)
		json_object_set_new(filters, "to", json_string(qparam(req, "to")));
	(void)audit_write_now(req->app, req, "audit.read", NULL,
	    json_pack("{s:o, s:i}", "filters", filters, "entries", n > pg.limit ? pg.limit : n));
}

static json_t *
rfc3339_us(long long us)
{
	char buf[80];
	time_t s = (time_t)(us / 1000000);
	int frac = (int)(us % 1000000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		s--;
	}
	gmtime_r(&s, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return json_string(buf);
}

/* The verification result as GET /v1/audit/verify answers it. */
json_t *
audit_verify_json(const struct audit_verify_result *r)
{
	const struct auditchain_verify *v = &r->v;
	json_t *o;

	o = json_pack("{s:b, s:I, s:o, s:I, s:o, s:I, s:b, s:o, s:o}",
	    "ok", !v->broken,
	    "rows_checked", (json_int_t)v->rows,
	    "sealed_through", r->sealed_through >= 0 ? json_integer(r->sealed_through) : json_null(),
	    "checkpoints_checked", (json_int_t)v->checkpoints,
	    "last_checkpoint", v->last_cp_seq >= 0 ? json_pack("{s:I, s:o}",
	    "seq", (json_int_t)v->last_cp_seq, "at", rfc3339_us(v->last_cp_at_us)) : json_null(),
	    "unsealed_rows", (json_int_t)r->unsealed,
	    "signatures_checked", r->signatures != 0,
	    "first_bad_seq", v->broken ? json_integer(v->first_bad_seq) : json_null(),
	    "reason", v->broken ? json_string(v->reason) : json_null());
	if (o == NULL)
		abort();
	return o;
}

void
api_audit_verify(struct api_req *req, struct api_resp *resp)
{
	const char *f = qparam(req, "from");
	struct audit_verify_result r;
	struct store_conn *c;
	struct store_err err;
	char msg[256];
	long long from = -1;
	int rc;

	if (f != NULL) {
		if (!digits(f, 18)) {
			api_problem(resp, 400, "invalid-query", "Bad Request", NULL,
			    json_pack("{s:s}", "from", "an audit seq (digits)"),
			    "from must be an audit seq");
			return;
		}
		from = strtoll(f, NULL, 10);
	}
	memset(&err, 0, sizeof(err));
	if ((c = store_borrow(req->app->store, req->app->borrow_timeout_ms, &err)) == NULL) {
		api_db_unavailable(req, resp, &err);
		return;
	}
	rc = audit_verify_run(store_pgconn(c), req->app->audit_pub, from, &r, msg, sizeof(msg));
	store_release(c);
	if (rc != 0) {
		log_kv(LOG_LVL_WARN, "audit verify failed", "request_id", req->request_id,
		    "error", msg, (char *)NULL);
		err.status = STORE_CONN;
		api_db_unavailable(req, resp, &err);
		return;
	}
	if (r.v.broken) {
		char seq[24];

		snprintf(seq, sizeof(seq), "%lld", r.v.first_bad_seq);
		log_kv(LOG_LVL_ERR, "audit chain BROKEN", "request_id", req->request_id,
		    "seq", seq, "reason", r.v.reason, (char *)NULL);
	}
	api_json(resp, 200, audit_verify_json(&r));
}
