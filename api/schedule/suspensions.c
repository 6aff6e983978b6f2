/*
 * suspensions: R19 service suspensions (一時停止, e.g. maintenance) that
 * operators schedule. During one, the counter routes answer 503 with
 * Retry-After (api/counter/counter.c counter_gate); OCSP, CRLs, the register feed
 * and revocation keep working (docs/revocation.md).
 *
 *	GET    /v1/suspensions		viewer; current and future (?all=true: all)
 *				or a terminal (the schedule municipal pages publish):
 *				current and future only (all=true: 403), no created_by
 *	POST   /v1/suspensions		officer; {starts_at, ends_at, reason} -> 201
 *	DELETE /v1/suspensions/{id}	officer; cancel -> 200 (409 when cancelled or over)
 *
 * Every change is one transaction with its audit row; POST honours
 * Idempotency-Key. created_by is the operator's audit actor ("operator:3").
 * A suspension lasts at most 14 days and starts within 366 days
 * (ca/policy.h POLICY_R19_*); the reason is 1 to 500 characters.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/idem.h"
#include "ca/charset.h"
#include "ca/policy.h"
#include "common/clock.h"
#include "common/log.h"

#define REASON_MAX	500	/* suspensions_reason_check */

struct susp_op {
	struct api_req	*req;
	struct api_resp	*resp;
	time_t		 now;
	time_t		 starts, ends;
	const char	*reason;
	const char	*id;		/* cancel */
	char		 new_id[24];	/* create: the id, for Location (not on a replay) */
};

static time_t
epoch(const PGresult *res, int row, int col)
{
	return (time_t)strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/*
 * One row of Q_SUSP_* (SUSP_COLS) as the API shows it, with its state at
 * now; created_by (an operator's id) only when operator.
 */
static json_t *
susp_json(const PGresult *res, int row, time_t now, int operator)
{
	char b1[32], b2[32], b3[32], b4[32];
	time_t starts = epoch(res, row, 1), ends = epoch(res, row, 2);
	int cancelled = !PQgetisnull(res, row, 6);
	const char *state;
	json_t *o;

	state = cancelled ? "cancelled" : now < starts ? "scheduled" : now < ends ? "active" :
	    "over";
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10),
	    "starts_at", counter_rfc3339(starts, b1, sizeof(b1)),
	    "ends_at", counter_rfc3339(ends, b2, sizeof(b2)),
	    "reason", PQgetvalue(res, row, 3),
	    "created_by", PQgetvalue(res, row, 4),
	    "created_at", counter_rfc3339(epoch(res, row, 5), b3, sizeof(b3)),
	    "cancelled_at", cancelled ? json_string(counter_rfc3339(epoch(res, row, 6), b4,
	    sizeof(b4))) : json_null(),
	    "state", state);
	if (o == NULL)
		abort();
	if (!operator)
		json_object_del(o, "created_by");
	return o;
}

/* A suspension id of the path: 1..18 digits, no leading zero. */
static int
id_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 18 && s[n] == '\0' && s[0] != '0';
}

static void
run_tx(struct api_req *req, struct api_resp *resp, store_tx_fn fn, void *arg)
{
	struct store_err err;

	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, fn, arg, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
}

/* ---------------------------------------------------------------- list */

void
api_suspension_list(struct api_req *req, struct api_resp *resp)
{
	const char *all = req->query != NULL ? req->query(req->hctx, "all") : NULL;
	char nowbuf[24];
	const char *v[2];
	time_t now = clock_now();
	PGresult *res;
	json_t *a;
	int i, terminal = req->principal.kind == PRINCIPAL_TERMINAL;

	/* Terminals read the published schedule (R19); the history stays the operators'. */
	if (all != NULL && strcmp(all, "true") != 0 && strcmp(all, "false") != 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL,
		    json_pack("{s:s}", "all", "true or false"), "all must be true or false");
		return;
	}
	if (terminal && all != NULL && strcmp(all, "true") == 0) {
		api_problem(resp, 403, "forbidden", "Forbidden", NULL, NULL,
		    "all=true (past and cancelled suspensions) is for operators; a terminal "
		    "sees the current and future ones");
		return;
	}
	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)now);
	v[0] = nowbuf;
	v[1] = all != NULL && strcmp(all, "true") == 0 ? "true" : "false";
	if ((res = api_read(req, resp, Q_SUSP_LIST, 2, v)) == NULL)
		return;
	a = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(a, susp_json(res, i, now, !terminal));
	PQclear(res);
	api_json(resp, 200, json_pack("{s:o}", "suspensions", a));
}

/* ---------------------------------------------------------------- create */

static int
create_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct susp_op *op = arg;
	char s[24], e[24], n[24], actor[160], object[48], b1[32], b2[32];
	const char *v[5];
	PGresult *res;

	op->new_id[0] = '\0';
	switch (idem_begin(c, op->req, NULL, op->resp, err)) {
	case IDEM_REPLAY:
	case IDEM_DBERR:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	snprintf(s, sizeof(s), "%lld", (long long)op->starts);
	snprintf(e, sizeof(e), "%lld", (long long)op->ends);
	snprintf(n, sizeof(n), "%lld", (long long)op->now);
	v[0] = s;
	v[1] = e;
	v[2] = op->reason;
	v[3] = api_principal_id(op->req, actor, sizeof(actor));
	v[4] = n;
	if ((res = store_exec(c, Q_SUSP_INSERT, 5, v, NULL, NULL, err)) == NULL)
		return -1;
	snprintf(object, sizeof(object), "suspension:%s", PQgetvalue(res, 0, 0));
	snprintf(op->new_id, sizeof(op->new_id), "%s", PQgetvalue(res, 0, 0));
	api_json(op->resp, 201, susp_json(res, 0, op->now, 1));
	PQclear(res);
	if (audit_write(c, op->req, "suspension.create", object,
	    json_pack("{s:s, s:s, s:s, s:s}", "rule", "R19",
	    "starts_at", counter_rfc3339(op->starts, b1, sizeof(b1)),
	    "ends_at", counter_rfc3339(op->ends, b2, sizeof(b2)), "reason", op->reason),
	    err) != 0)
		return -1;
	return idem_finish(c, op->req, op->resp, err);
}

/* A required RFC 3339 member into *out, or a message in fields. */
static void
check_time(json_t *body, const char *name, time_t *out, json_t *fields)
{
	const char *s = json_string_value(json_object_get(body, name));

	if (s == NULL || policy_rfc3339_parse(s, out) != 0)
		json_object_set_new(fields, name,
		    json_string("an RFC 3339 date-time, e.g. 2026-12-29T22:00:00+09:00"));
}

static void
check_reason(json_t *v, struct susp_op *op, json_t *fields)
{
	const char *s = json_string_value(v), *p;
	long n;

	if (s == NULL || (n = charset_utf8_len(s)) < 1 || n > REASON_MAX) {
		json_object_set_new(fields, "reason", json_string("a string of 1 to 500 characters"));
		return;
	}
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			json_object_set_new(fields, "reason",
			    json_string("must not contain control characters"));
			return;
		}
	op->reason = s;
}

void
api_suspension_create(struct api_req *req, struct api_resp *resp)
{
	static const char *const known[] = { "starts_at", "ends_at", "reason", NULL };
	struct policy_refusal r;
	struct susp_op op;
	json_t *body, *fields, *v;
	const char *key;
	size_t i;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&op, 0, sizeof(op));
	op.req = req;
	op.resp = resp;
	op.now = clock_now();
	fields = json_object();
	json_object_foreach(body, key, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL)
			json_object_set_new(fields, key, json_string("unknown field"));
	}
	check_time(body, "starts_at", &op.starts, fields);
	check_time(body, "ends_at", &op.ends, fields);
	check_reason(json_object_get(body, "reason"), &op, fields);
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the suspension has invalid fields");
		goto out;
	}
	if (policy_r19_window_ok(op.starts, op.ends, op.now, &r) != 0) {
		json_object_set_new(fields, r.fields[0], json_string(r.detail));
		api_problem(resp, 422, r.slug, "Unprocessable Content", r.rule, fields, "%s: %s",
		    r.rule, r.detail);
		resp->rule = r.rule;
		goto out;
	}
	json_decref(fields);
	run_tx(req, resp, create_tx, &op);
	if (resp->status == 201 && op.new_id[0] != '\0') {
		api_add_header(resp, "Location", "/v1/suspensions/%s", op.new_id);
		log_kv(LOG_LVL_INFO, "suspension scheduled", "request_id", req->request_id,
		    "rule", "R19", "suspension", op.new_id, (char *)NULL);
	}
out:
	json_decref(body);
}

/* ---------------------------------------------------------------- cancel */

static int
cancel_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct susp_op *op = arg;
	char n[24], object[48];
	const char *v[2] = { op->id, n };
	PGresult *res;

	if ((res = store_exec(c, Q_SUSP_LOCK, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		api_problem(op->resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no such suspension");
		return -1;
	}
	if (!PQgetisnull(res, 0, 6) || epoch(res, 0, 2) <= op->now) {
		int cancelled = !PQgetisnull(res, 0, 6);

		PQclear(res);
		api_problem(op->resp, 409, cancelled ? "suspension-cancelled" : "suspension-over",
		    "Conflict", "R19", NULL, cancelled ? "the suspension was already cancelled" :
		    "the suspension is over");
		return -1;
	}
	PQclear(res);
	snprintf(n, sizeof(n), "%lld", (long long)op->now);
	if ((res = store_exec(c, Q_SUSP_CANCEL, 2, v, NULL, NULL, err)) == NULL)
		return -1;
	api_json(op->resp, 200, susp_json(res, 0, op->now, 1));
	PQclear(res);
	snprintf(object, sizeof(object), "suspension:%s", op->id);
	return audit_write(c, op->req, "suspension.cancel", object,
	    json_pack("{s:s}", "rule", "R19"), err);
}

void
api_suspension_cancel(struct api_req *req, struct api_resp *resp)
{
	struct susp_op op;

	if (!id_ok(req->params[0])) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such suspension");
		return;
	}
	memset(&op, 0, sizeof(op));
	op.req = req;
	op.resp = resp;
	op.now = clock_now();
	op.id = req->params[0];
	run_tx(req, resp, cancel_tx, &op);
}
