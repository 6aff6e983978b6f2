/*
 * stats: GET /v1/stats[?municipality=CODE] (viewer) and the fold job; see
 * stats.h. The database part comes whole from stats_report() (one
 * statement, one snapshot); this file adds what only this process knows:
 * OCSP and CRL requests and the OCSP cache hit ratio since start, and the
 * relying-party checks counted in memory but not flushed yet.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/status/crls.h"
#include "api/metrics.h"
#include "api/paging.h"
#include "api/status/ocsp_cache.h"
#include "api/status/rp.h"
#include "api/operators/stats.h"
#include "ca/jpdate.h"
#include "common/clock.h"
#include "common/log.h"

static void
rfc3339(time_t t, char buf[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct report_read {
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*v[4];		/* now (epoch), municipality or NULL, page after, page size */
	PGresult	*res;
};

/* Under rp_usage_read_pending: flushes wait, so memory and table agree. */
static int
report_read(void *arg)
{
	struct report_read *r = arg;

	r->res = api_read(r->req, r->resp, Q_STATS_REPORT, 4, r->v);
	return r->res != NULL ? 0 : -1;
}

static json_t *
status_requests(struct app *app)
{
	unsigned long long ocsp = 0, crl = 0, hits, misses;
	char since[21];

	if (app->metrics != NULL) {
		ocsp = metrics_route_total(app->metrics, "ocsp_get") +
		    metrics_route_total(app->metrics, "ocsp_post");
		crl = metrics_route_total(app->metrics, "crl_get");
	}
	ocsp_cache_lookups(&hits, &misses);
	rfc3339(app->started_at, since);
	return json_pack("{s:s, s:I, s:I, s:{s:I, s:I, s:o}}",
	    "since", since,
	    "ocsp", (json_int_t)ocsp,
	    "crl", (json_int_t)crl,
	    "ocsp_cache", "hits", (json_int_t)hits, "misses", (json_int_t)misses,
	    "hit_ratio", hits + misses == 0 ? json_null() :
		json_real((double)hits / (double)(hits + misses)));
}

/* Add the unflushed checks of this month to the database's figures. */
static void
add_pending(json_t *body, const unsigned long long pending[2])
{
	json_t *rp = json_object_get(body, "relying_party_checks");
	json_int_t sign, auth;

	if (rp == NULL)
		return;
	sign = json_integer_value(json_object_get(rp, "sign")) + (json_int_t)pending[0];
	auth = json_integer_value(json_object_get(rp, "auth")) + (json_int_t)pending[1];
	json_object_set_new(rp, "sign", json_integer(sign));
	json_object_set_new(rp, "auth", json_integer(auth));
	json_object_set_new(rp, "total", json_integer(sign + auth));
	json_object_set_new(rp, "unflushed", json_integer((json_int_t)(pending[0] + pending[1])));
}

/*
 * 200 with body plus "municipalities": the database's array text as it is.
 * Nationally it is ~1,741 entries (~250 KB): parsing and re-encoding it
 * with jansson cost ~25 ms a request, a quarter of the 100 ms budget. body
 * is encoded with a placeholder whose encoding cannot occur elsewhere
 * (a control character is always escaped), and the array replaces it.
 */
static void
splice_municipalities(struct api_resp *resp, json_t *body, const char *munis, size_t mlen)
{
	static const char mark[] = "\"\\u0001municipalities\\u0001\"";
	char *head, *at, *out;
	size_t hlen, pre, marklen = sizeof(mark) - 1;

	json_object_set_new(body, "municipalities", json_string("\001municipalities\001"));
	head = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (head == NULL || (at = strstr(head, mark)) == NULL ||
	    (out = malloc((hlen = strlen(head)) - marklen + mlen + 1)) == NULL) {
		free(head);
		api_problem(resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "the statistics could not be encoded");
		return;
	}
	pre = (size_t)(at - head);
	memcpy(out, head, pre);
	memcpy(out + pre, munis, mlen);
	memcpy(out + pre + mlen, at + marklen, hlen - pre - marklen + 1);
	free(head);
	api_text(resp, 200, "application/json", out, hlen - marklen + mlen);
}

void
api_stats(struct api_req *req, struct api_resp *resp)
{
	struct report_read r = { req, resp, { NULL, NULL, NULL, NULL }, NULL };
	struct api_page pg;
	char lim[16], cur[300];
	unsigned long long pending[2];
	struct jpdate first;
	json_error_t jerr;
	json_t *body;
	char nowbuf[24], asof[21], gen[21];
	const char *muni = req->query != NULL ? req->query(req->hctx, "municipality") : NULL;
	time_t now = clock_now();

	if (muni != NULL && !crls_code_ok(muni)) {
		api_problem(resp, 400, "invalid-parameter", "Bad Request", NULL,
		    json_pack("{s:s}", "municipality", "a 6-digit local government code"),
		    "municipality must be a 6-digit local government code");
		return;
	}
	/* Nationally the per-municipality list is paged (api/paging.h; by code). */
	if (api_page_parse(req, resp, &pg) != 0)
		return;
	if (pg.has_after && !crls_code_ok(pg.after)) {
		api_problem(resp, 400, "invalid-query", "Bad Request", NULL,
		    json_pack("{s:s}", "cursor", "the municipalities_next_cursor of a previous page"),
		    "cursor is not one this server handed out");
		return;
	}
	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)now);
	snprintf(lim, sizeof(lim), "%d", pg.limit);
	r.v[0] = nowbuf;
	r.v[1] = muni;
	r.v[2] = pg.has_after ? pg.after : NULL;
	r.v[3] = lim;
	/* This JST month, as rp.c's day numbers. */
	first = jpdate_from_time(now);
	first.d = 1;
	(void)rp_usage_read_pending(req->app, jpdate_to_days(first),
	    jpdate_to_days(jpdate_add_months(first, 1)), report_read, &r, pending);
	if (r.res == NULL)
		return;		/* api_read answered (503) */
	if (PQntuples(r.res) != 1 || PQgetisnull(r.res, 0, 0)) {
		PQclear(r.res);
		api_problem(resp, 400, "invalid-parameter", "Bad Request", NULL,
		    json_pack("{s:s}", "municipality", "no such municipality"),
		    "no municipality %s", muni != NULL ? muni : "");
		return;
	}
	body = json_loads(PQgetvalue(r.res, 0, 0), 0, &jerr);
	if (body == NULL || PQgetisnull(r.res, 0, 1)) {
		PQclear(r.res);
		json_decref(body);
		log_warn("stats: stats_report() returned bad JSON: %s", jerr.text);
		api_problem(resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "the statistics could not be read");
		return;
	}
	rfc3339(now, asof);
	rfc3339(clock_now(), gen);
	/* The database figures are exact as of now: rollups + unfolded deltas. */
	json_object_set_new(body, "generated_at", json_string(gen));
	json_object_set_new(body, "as_of", json_string(asof));
	add_pending(body, pending);
	json_object_set_new(body, "status_requests", status_requests(req->app));
	json_object_set_new(body, "municipalities_next_cursor", !PQgetisnull(r.res, 0, 2) &&
	    api_cursor_encode(PQgetvalue(r.res, 0, 2), cur, sizeof(cur)) == 0 ?
	    json_string(cur) : json_null());
	splice_municipalities(resp, body, PQgetvalue(r.res, 0, 1),
	    (size_t)PQgetlength(r.res, 0, 1));
	PQclear(r.res);
}

int
stats_fold_run(struct app *app, time_t now, long long *folded)
{
	struct store_err err;
	struct store_conn *c;
	PGresult *res;
	char nowbuf[24];
	const char *v[1] = { nowbuf };

	*folded = 0;
	memset(&err, 0, sizeof(err));
	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)now);
	if ((c = store_borrow(app->store, app->borrow_timeout_ms, &err)) == NULL)
		return -1;
	/* One statement outside BEGIN: its own transaction, lock included. */
	res = store_exec(c, Q_STATS_FOLD, 1, v, NULL, NULL, &err);
	store_release(c);
	if (res == NULL) {
		log_kv(LOG_LVL_WARN, "stats fold failed", "sqlstate",
		    err.sqlstate[0] ? err.sqlstate : "-", "status", store_status_name(err.status),
		    (char *)NULL);
		return -1;
	}
	if (PQntuples(res) == 1)
		*folded = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}
