/*
 * notices: R21 expiry notice batches (see notices.h).
 *
 * A batch is written by one statement (Q_NOTICE_BATCH: the batch row only
 * when something is due, then its notices) after the transaction advisory
 * lock; its audit row commits with it. GET /v1/notices lists names and
 * addresses, a read of personal data: it is audited (fields named, not
 * copied) in the same transaction as the read.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/status/crls.h"
#include "api/idem.h"
#include "api/schedule/notices.h"
#include "ca/policy.h"
#include "common/clock.h"
#include "common/log.h"

struct run {
	struct api_req	*req;		/* NULL: the jobs thread */
	struct api_resp	*resp;
	time_t		 now, cutoff;
	const char	*muni;		/* the job: one municipality per transaction */
	json_t		*batches;	/* created, in order */
	size_t		 mark;		/* the job: batches before this transaction */
};

static int
lead_months(const struct app *app)
{
	return app->notice_lead_months > 0 ? app->notice_lead_months : POLICY_R21_LEAD_MONTHS;
}

static time_t
epoch(const PGresult *res, int row, int col)
{
	return (time_t)strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static json_t *
batch_json(const PGresult *res, int row, const char *muni)
{
	char b1[32], b2[32];
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10),
	    "municipality_code", muni,
	    "created_at", counter_rfc3339(epoch(res, row, 1), b1, sizeof(b1)),
	    "expiring_before", counter_rfc3339(epoch(res, row, 2), b2, sizeof(b2)),
	    "count", (json_int_t)strtoll(PQgetvalue(res, row, 3), NULL, 10));

	if (o == NULL)
		abort();
	return o;
}

/* ---------------------------------------------------------------- writing batches */

static int
xact_lock(struct store_conn *c, struct store_err *err)
{
	const char *v[1] = { NOTICE_LOCK_KEY };
	PGresult *res;

	if ((res = store_exec(c, Q_NOTICE_XACT_LOCK, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The audit row of one batch: the request's actor, or the job's. */
static int
audit_batch(struct store_conn *c, struct run *r, const char *muni, json_t *b,
    struct store_err *err)
{
	char object[32], *js;
	const char *v[4];
	json_t *d;
	PGresult *res;

	snprintf(object, sizeof(object), "notice_batch:%lld",
	    (long long)json_integer_value(json_object_get(b, "id")));
	d = json_pack("{s:s, s:s, s:O, s:O}", "rule", "R21", "municipality_code", muni,
	    "count", json_object_get(b, "count"),
	    "expiring_before", json_object_get(b, "expiring_before"));
	if (r->req != NULL)
		return audit_write(c, r->req, "notices.batch", object, d, err);
	js = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	if (js == NULL)
		abort();
	v[0] = NOTICE_JOB_ACTOR;
	v[1] = "notices.batch";
	v[2] = object;
	v[3] = js;
	res = store_exec(c, Q_AUDIT_INSERT, 4, v, NULL, NULL, err);
	free(js);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* One municipality's batch, if anything is due; caller holds the lock. */
static int
batch_one(struct store_conn *c, struct run *r, const char *muni, struct store_err *err)
{
	char now[24], cutoff[24];
	const char *v[3] = { muni, now, cutoff };
	PGresult *res;
	json_t *b;

	snprintf(now, sizeof(now), "%lld", (long long)r->now);
	snprintf(cutoff, sizeof(cutoff), "%lld", (long long)r->cutoff);
	if ((res = store_exec(c, Q_NOTICE_BATCH, 3, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	b = batch_json(res, 0, muni);
	PQclear(res);
	if (json_integer_value(json_object_get(b, "count")) == 0) {
		/* Only without the lock (a writer that bypassed it): never an empty batch. */
		json_decref(b);
		err->status = STORE_RETRY;
		snprintf(err->message, sizeof(err->message), "notice batch raced; retried");
		return -1;
	}
	json_array_append_new(r->batches, b);
	return audit_batch(c, r, muni, b, err);
}

/* The municipalities with certificates due (R21), ordered. */
static PGresult *
due_munis(struct store_conn *c, const struct run *r, struct store_err *err)
{
	char now[24], cutoff[24];
	const char *v[2] = { now, cutoff };

	snprintf(now, sizeof(now), "%lld", (long long)r->now);
	snprintf(cutoff, sizeof(cutoff), "%lld", (long long)r->cutoff);
	return store_exec(c, Q_NOTICE_DUE_MUNIS, 2, v, NULL, NULL, err);
}

/* The job: one municipality in one transaction. */
static int
job_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct run *r = arg;

	/* A retried transaction starts over: drop what the failed try added. */
	while (json_array_size(r->batches) > r->mark)
		json_array_remove(r->batches, json_array_size(r->batches) - 1);
	if (xact_lock(c, err) != 0)
		return -1;
	return batch_one(c, r, r->muni, err);
}

int
notices_run_due(struct app *app, time_t now, int months, long *batches)
{
	struct store_conn *c;
	struct store_err err;
	struct run r;
	PGresult *munis;
	int i, rc = 0;

	*batches = 0;
	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	r.now = now;
	r.cutoff = policy_r21_notice_cutoff(now, months > 0 ? months : lead_months(app));
	if ((c = store_borrow(app->store, app->borrow_timeout_ms, &err)) == NULL)
		return -1;
	munis = due_munis(c, &r, &err);
	store_release(c);
	if (munis == NULL)
		return -1;
	r.batches = json_array();
	for (i = 0; i < PQntuples(munis); i++) {
		r.muni = PQgetvalue(munis, i, 0);
		r.mark = json_array_size(r.batches);
		memset(&err, 0, sizeof(err));
		if (store_tx(app->store, app->borrow_timeout_ms, 0, job_tx, &r, &err) != 0) {
			/* Rolled back: what this try appended was not committed. */
			while (json_array_size(r.batches) > r.mark)
				json_array_remove(r.batches, json_array_size(r.batches) - 1);
			log_warn("R21: notice batch of %s failed (%s); due again next run",
			    r.muni, store_status_name(err.status));
			rc = -1;
		}
	}
	*batches = (long)json_array_size(r.batches);
	json_decref(r.batches);
	PQclear(munis);
	return rc;
}

/* POST /v1/notices/run: every municipality in one transaction with the key. */
static int
api_run_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct run *r = arg;
	PGresult *munis;
	int i, rc = 0;

	json_array_clear(r->batches);	/* a retried transaction starts over */
	switch (idem_begin(c, r->req, NULL, r->resp, err)) {
	case IDEM_REPLAY:
	case IDEM_DBERR:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	if (xact_lock(c, err) != 0 || (munis = due_munis(c, r, err)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(munis) && rc == 0; i++)
		rc = batch_one(c, r, PQgetvalue(munis, i, 0), err);
	PQclear(munis);
	if (rc != 0)
		return -1;
	api_json(r->resp, 200, json_pack("{s:O}", "batches", r->batches));
	return idem_finish(c, r->req, r->resp, err);
}

void
api_notices_run(struct api_req *req, struct api_resp *resp)
{
	struct store_err err;
	struct run r;

	if (req->body_len > 0 && strspn(req->body, " \t\r\n") != req->body_len &&
	    !(req->body_len == 2 && memcmp(req->body, "{}", 2) == 0)) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, NULL,
		    "the run takes no parameters: no body, or {}");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.req = req;
	r.resp = resp;
	r.now = clock_now();
	r.cutoff = policy_r21_notice_cutoff(r.now, lead_months(req->app));
	r.batches = json_array();
	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, api_run_tx, &r, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
	if (resp->status == 200 && json_array_size(r.batches) > 0)
		log_kv(LOG_LVL_INFO, "R21: notice batches written", "request_id", req->request_id,
		    "rule", "R21", (char *)NULL);
	json_decref(r.batches);
}

/* ---------------------------------------------------------------- reading */

struct listing {
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*muni;
	const char	*batch;		/* NULL: every batch */
	int		 csv;
};

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
static void
csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
	fputs(last ? "\r\n" : ",", f);
}

static void
answer_csv(struct listing *l, const PGresult *res)
{
	char *buf = NULL, ts[32];
	size_t len = 0;
	FILE *f;
	int i;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	fputs("batch_id,type,serial,not_after,resident_code,name,address\r\n", f);
	for (i = 0; i < PQntuples(res); i++) {
		csv_field(f, PQgetvalue(res, i, 0), 0);
		csv_field(f, PQgetvalue(res, i, 1), 0);
		csv_field(f, PQgetvalue(res, i, 2), 0);
		csv_field(f, counter_rfc3339(epoch(res, i, 3), ts, sizeof(ts)), 0);
		csv_field(f, PQgetvalue(res, i, 4), 0);
		/* Empty name and address (NULL): the holder moved away (R1). */
		csv_field(f, PQgetvalue(res, i, 5), 0);
		csv_field(f, PQgetvalue(res, i, 6), 1);
	}
	if (fclose(f) != 0)
		abort();
	api_text(l->resp, 200, "text/csv; charset=utf-8; header=present", buf, len);
	api_add_header(l->resp, "Content-Disposition",
	    "attachment; filename=\"notices-%s%s%s.csv\"", l->muni, l->batch ? "-" : "",
	    l->batch ? l->batch : "");
}

static void
answer_json(struct listing *l, const PGresult *batches, const PGresult *res)
{
	json_t *b = json_array(), *n = json_array();
	char ts[32];
	int i;

	for (i = 0; i < PQntuples(batches); i++) {
		json_t *o = batch_json(batches, i, l->muni);

		json_object_del(o, "municipality_code");
		json_array_append_new(b, o);
	}
	/* name and address NULL: the holder moved away (R1, Q_NOTICE_LIST). */
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(n, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?}",
		    "batch_id", (json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10),
		    "type", PQgetvalue(res, i, 1), "serial", PQgetvalue(res, i, 2),
		    "not_after", counter_rfc3339(epoch(res, i, 3), ts, sizeof(ts)),
		    "resident_code", PQgetvalue(res, i, 4),
		    "name", PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
		    "address", PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6)));
	api_json(l->resp, 200, json_pack("{s:s, s:o, s:o}", "municipality_code", l->muni,
	    "batches", b, "notices", n));
}

static int
list_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct listing *l = arg;
	const char *v[2] = { l->muni, l->batch };
	PGresult *m, *batches = NULL, *res = NULL;
	char object[32];
	int rc = -1, n;

	if ((m = store_exec(c, Q_MUNICIPALITY_GET, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	n = PQntuples(m);
	PQclear(m);
	if (n != 1) {
		api_problem(l->resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no municipality %s", l->muni);
		return -1;
	}
	if ((batches = store_exec(c, Q_NOTICE_BATCHES, 2, v, NULL, NULL, err)) == NULL)
		goto out;
	if (l->batch != NULL && PQntuples(batches) == 0) {
		api_problem(l->resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no notice batch %s of municipality %s", l->batch, l->muni);
		goto out;
	}
	if ((res = store_exec(c, Q_NOTICE_LIST, 2, v, NULL, NULL, err)) == NULL)
		goto out;
	if (l->csv)
		answer_csv(l, res);
	else
		answer_json(l, batches, res);
	snprintf(object, sizeof(object), "municipality:%s", l->muni);
	rc = audit_write(c, l->req, "notices.read", object,
	    json_pack("{s:s, s:s?, s:s, s:i, s:[s, s, s]}", "rule", "R21", "batch", l->batch,
	    "format", l->csv ? "csv" : "json", "notices", PQntuples(res),
	    "fields", "resident_code", "name", "address"), err);
out:
	PQclear(batches);
	PQclear(res);
	return rc;
}

static const char *
qparam(struct api_req *req, const char *name)
{
	return req->query != NULL ? req->query(req->hctx, name) : NULL;
}

void
api_notices_get(struct api_req *req, struct api_resp *resp)
{
	const char *muni = qparam(req, "municipality"), *batch = qparam(req, "batch");
	const char *format = qparam(req, "format");
	const char *accept = req->header != NULL ? req->header(req->hctx, "Accept") : NULL;
	struct store_err err;
	struct listing l;
	json_t *fields = json_object();
	char object[32];
	size_t n;

	if (req->principal.kind == PRINCIPAL_TERMINAL && muni == NULL)
		muni = req->principal.municipality_code;
	if (muni == NULL || !crls_code_ok(muni))
		json_object_set_new(fields, "municipality", json_string("a 6-digit municipality code"));
	if (batch != NULL && ((n = strspn(batch, "0123456789")) == 0 || n > 18 ||
	    batch[n] != '\0' || batch[0] == '0'))
		json_object_set_new(fields, "batch", json_string("a batch id"));
	if (format != NULL && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		json_object_set_new(fields, "format", json_string("csv or json"));
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "invalid query parameters");
		return;
	}
	if (req->principal.kind == PRINCIPAL_TERMINAL &&
	    strcmp(muni, req->principal.municipality_code) != 0) {
		/* R1: a terminal sees its own municipality's residents only (audited). */
		api_problem(resp, 403, "forbidden", "Forbidden", "R1", NULL,
		    "a terminal of %s may not read the notices of %s",
		    req->principal.municipality_code, muni);
		resp->rule = "R1";
		snprintf(object, sizeof(object), "municipality:%s", muni);
		audit_write_now(req->app, req, "notices.scope_denied",
		    object, json_pack("{s:s, s:s}", "rule", "R1", "terminal_municipality",
		    req->principal.municipality_code));
		goto out;
	}
	memset(&l, 0, sizeof(l));
	l.req = req;
	l.resp = resp;
	l.muni = muni;
	l.batch = batch;
	l.csv = format != NULL ? strcmp(format, "csv") == 0 :
	    accept != NULL && strstr(accept, "text/csv") != NULL;
	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, list_tx, &l, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
out:
	json_decref(fields);
}
