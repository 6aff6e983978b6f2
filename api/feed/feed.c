/*
 * feed: the resident-register feed's single-object calls, and the steps they
 * share (api/feed/feed_int.h).
 *
 *	PUT /v1/residents/{resident_code}	upsert a resident; R10/R12 (here)
 *	PUT /v1/cards/{card_number}		upsert a card; R11 (api/feed/cards.c)
 *
 * Both validate every field before touching the database and answer all
 * field errors at once (422 invalid-field, "fields"). Each runs in one
 * transaction (store_tx): lock the current row, upsert, apply the
 * revocation rules to what changed, write the audit row. PUT is idempotent
 * by nature (the same body twice changes nothing the second time), so no
 * Idempotency-Key. The validation of a resident object is shared with
 * POST /v1/residents:import (api/feed/import.c) through api/feed.h.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/audit.h"
#include "api/feed/feed_int.h"
#include "ca/charset.h"
#include "ca/policy.h"
#include "common/clock.h"
#include "common/log.h"

/* ---------------------------------------------------------------- shared steps */

int
feed_apply_register_changes(struct store_conn *c, const char *codes, time_t now,
    json_t *revoked, long *count, struct store_err *err)
{
	char at[24];
	const char *v[2] = { codes, at };
	PGresult *res;
	int i;

	snprintf(at, sizeof(at), "%lld", (long long)now);
	if ((res = store_exec(c, Q_FEED_REGISTER_APPLY, 2, v, NULL, NULL, err)) == NULL)
		return -1;
	for (i = 0; revoked != NULL && i < PQntuples(res); i++)
		json_array_append_new(revoked, json_pack("{s:s, s:s, s:s}",
		    "serial", PQgetvalue(res, i, 1), "type", PQgetvalue(res, i, 2),
		    "reason", PQgetvalue(res, i, 3)));
	if (count != NULL)
		*count = PQntuples(res);
	PQclear(res);
	return 0;
}

/* The body as a JSON object, or NULL with resp set (400 invalid-json). */
json_t *
feed_body_object(struct api_req *req, struct api_resp *resp)
{
	json_error_t je;
	json_t *o;

	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		api_problem(resp, 400, "invalid-json", "Bad Request", NULL, NULL,
		    "the body is not valid JSON: %s (line %d, column %d)", je.text, je.line,
		    je.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		api_problem(resp, 400, "invalid-json", "Bad Request", NULL, NULL,
		    "the body must be a JSON object");
		return NULL;
	}
	return o;
}

void
feed_invalid_fields(struct api_resp *resp, json_t *errors)
{
	size_t n = json_object_size(errors);

	api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, errors,
	    "%zu field%s invalid", n, n == 1 ? " is" : "s are");
}

/*
 * A transaction that failed for a database reason: 503 when trying again
 * may help (connection, timeout, serialization), 409 when the database
 * refused the data itself (a constraint the validation does not mirror,
 * e.g. a row changed or deleted concurrently).
 */
void
feed_tx_failed(struct api_req *req, struct api_resp *resp, const struct store_err *err)
{
	if (err->status == STORE_CONSTRAINT || err->status == STORE_UNIQUE ||
	    err->status == STORE_DATA) {
		log_kv(LOG_LVL_WARN, "register feed: database refused the change",
		    "request_id", req->request_id, "sqlstate", err->sqlstate,
		    "constraint", err->constraint[0] ? err->constraint : "-", (char *)NULL);
		api_problem(resp, 409, "conflict", "Conflict", NULL, NULL,
		    "the register refused the change (%s); it may have changed meanwhile",
		    err->constraint[0] ? err->constraint : err->sqlstate);
		return;
	}
	api_db_unavailable(req, resp, err);
}

/* Names of the fields of row (but skip) whose value differs from old's. */
json_t *
feed_changed_fields(json_t *row, json_t *old, const char *skip, int created)
{
	json_t *out = json_array(), *v;
	const char *key;

	json_object_foreach(row, key, v) {
		if (strcmp(key, skip) == 0)
			continue;
		if (created ? !json_is_null(v) : !json_equal(v, json_object_get(old, key)))
			json_array_append_new(out, json_string(key));
	}
	return out;
}

json_t *
feed_serials_of(json_t *revoked)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(revoked, i, v)
		json_array_append(out, json_object_get(v, "serial"));
	return out;
}

/* ---------------------------------------------------------------- PUT /v1/residents */

/*
 * If-Match: "<version>" (or *). 1 when it matches the current version
 * (cur < 0: no resident yet), 0 otherwise; an unparsable value never
 * matches.
 */
static int
if_match_ok(const char *h, long long cur)
{
	char *end;
	long long v;

	if (strcmp(h, "*") == 0)
		return cur >= 0;
	if (h[0] != '"' || h[1] < '0' || h[1] > '9')
		return 0;
	errno = 0;
	v = strtoll(h + 1, &end, 10);
	return errno == 0 && strcmp(end, "\"") == 0 && cur >= 0 && v == cur;
}

struct resident_tx {
	struct api_req	*req;
	const char	*code;
	json_t		*row;		/* normalized, validated */
	const char	*if_match;	/* header or NULL */
	time_t		 now;
	/* out */
	int		 refusal;	/* 0, 412 or 422 */
	long long	 version;	/* after the call; current one for a 412 (-1: none) */
	int		 created;
	json_t		*changed;	/* array of field names */
	json_t		*revoked;	/* array of {serial, type, reason} */
};

static int
resident_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct resident_tx *t = arg;
	const char *v[1];
	char codes[16], object[32];
	json_t *old = NULL, *arr;
	json_error_t je;
	PGresult *res = NULL;
	char *js;
	int rc = -1;

	/* store_tx may run this more than once. */
	t->refusal = 0;
	t->created = 0;
	t->version = -1;
	json_decref(t->changed);
	t->changed = NULL;
	json_array_clear(t->revoked);

	v[0] = json_string_value(json_object_get(t->row, "municipality_code"));
	if ((res = store_exec(c, Q_MUNICIPALITY_GET, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		t->refusal = 422;
		goto out;
	}
	PQclear(res);

	v[0] = t->code;
	if ((res = store_exec(c, Q_FEED_RESIDENT_LOCK, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		t->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if ((old = json_loads(PQgetvalue(res, 0, 1), 0, &je)) == NULL)
			abort();	/* PostgreSQL's own JSON */
	}
	PQclear(res);
	res = NULL;
	if (t->if_match != NULL && !if_match_ok(t->if_match, t->version)) {
		t->refusal = 412;
		goto out;
	}
	t->created = old == NULL;
	t->changed = feed_changed_fields(t->row, old, "resident_code", t->created);

	if ((arr = json_pack("[O]", t->row)) == NULL || (js = json_dumps(arr, JSON_COMPACT)) == NULL)
		abort();
	json_decref(arr);
	v[0] = js;
	res = store_exec(c, Q_FEED_RESIDENTS_UPSERT, 1, v, NULL, NULL, err);
	free(js);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		long long nv = strtoll(PQgetvalue(res, 0, 1), NULL, 10);

		if (t->created != (nv == 1))
			goto race;
		t->version = nv;
	} else if (t->created)
		goto race;
	else if (json_array_size(t->changed) != 0) {
		/* Our comparison and the statement's disagree: a bug, not input. */
		log_err("feed: resident %s: changed_fields and the upsert disagree", t->code);
		err->status = STORE_ERROR;
		goto out;
	}

	/* R10, R12: whatever this change (or an earlier one) queued. */
	snprintf(codes, sizeof(codes), "{%s}", t->code);
	if (feed_apply_register_changes(c, codes, t->now, t->revoked, NULL, err) != 0)
		goto out;

	if (t->created || json_array_size(t->changed) != 0 || json_array_size(t->revoked) != 0) {
		snprintf(object, sizeof(object), "resident:%s", t->code);
		if (audit_write(c, t->req, "resident.upsert", object,
		    json_pack("{s:b, s:I, s:O, s:o}", "created", t->created,
		    "version", (json_int_t)t->version, "changed_fields", t->changed,
		    "revoked", feed_serials_of(t->revoked)), err) != 0)
			goto out;
	}
	rc = 0;
	goto out;
race:
	/*
	 * The resident was inserted by a concurrent transaction after our
	 * lock found nothing: run again, now against that row.
	 */
	err->status = STORE_RETRY;
	snprintf(err->sqlstate, sizeof(err->sqlstate), "40001");
out:
	PQclear(res);
	json_decref(old);
	return rc;
}

void
api_feed_resident_put(struct api_req *req, struct api_resp *resp)
{
	struct resident_tx t;
	struct store_err err;
	json_t *obj, *errors;

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.code = req->params[0];
	t.now = clock_now();
	if ((obj = feed_body_object(req, resp)) == NULL)
		return;
	errors = json_object();
	t.row = feed_resident_row(obj, t.code, jpdate_from_time(t.now), errors);
	json_decref(obj);
	if (t.row == NULL) {
		feed_invalid_fields(resp, errors);
		return;
	}
	json_decref(errors);
	t.if_match = req->header != NULL ? req->header(req->hctx, "If-Match") : NULL;
	t.revoked = json_array();

	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, resident_tx, &t,
	    &err) != 0) {
		if (t.refusal == 422)
			feed_invalid_fields(resp, json_pack("{s:s}", "municipality_code",
			    "unknown municipality"));
		else if (t.refusal == 412) {
			if (t.version < 0)
				api_problem(resp, 412, "precondition-failed", "Precondition Failed",
				    NULL, NULL, "If-Match: resident %s does not exist", t.code);
			else {
				api_problem(resp, 412, "precondition-failed", "Precondition Failed",
				    NULL, NULL, "If-Match: resident %s is at version %lld",
				    t.code, t.version);
				api_add_header(resp, "ETag", "\"%lld\"", t.version);
			}
		} else
			feed_tx_failed(req, resp, &err);
		goto out;
	}
	api_json(resp, t.created ? 201 : 200, json_pack("{s:s, s:O, s:I, s:b, s:O, s:O}",
	    "resident_code", t.code,
	    "municipality_code", json_object_get(t.row, "municipality_code"),
	    "version", (json_int_t)t.version, "created", t.created,
	    "changed_fields", t.changed, "revoked", t.revoked));
	api_add_header(resp, "ETag", "\"%lld\"", t.version);
out:
	json_decref(t.row);
	json_decref(t.changed);
	json_decref(t.revoked);
}

