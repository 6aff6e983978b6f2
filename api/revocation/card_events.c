/*
 * card_events: POST /v1/cards/{card_number}/events (R11).
 *
 * A card reported lost, stolen, suspended, returned or re-issued, by a
 * terminal of the card holder's municipality, the register feed, or an
 * operator (officer+). Body {"event", "occurred_at"?, "comment"?}.
 *
 * One transaction: Idempotency-Key, the card row locked, the event checked
 * against the card's status (ca/policy_revoke.c: 409 R11 when the card is
 * returned, re-issued or expired, or the event repeats its status), the
 * card's new status, every valid certificate on the card revoked with the
 * R11 reason (lost/stolen: invalidity date = occurred_at when given), the
 * card_events row, the audit row, the stored response. 201.
 *
 * Decisions: occurred_at defaults to now, and only an occurred_at the
 * reporter gave becomes an invalidity date (without one, the revocation
 * time says all we know). It may not be in the future nor before the
 * card was issued. Like revocation, card events are not stopped by R19
 * (a lost card must be stoppable at any hour).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/idem.h"
#include "api/feed/feed.h"
#include "api/revocation/revoke.h"
#include "ca/jpdate.h"
#include "ca/policy.h"
#include "common/clock.h"
#include "common/log.h"


struct ev {
	struct api_req		*req;
	struct api_resp		*resp;
	time_t			 now;
	const char		*number;
	char			 object[144];	/* "card:<number>" */
	enum policy_card_event	 event;
	time_t			 occurred;
	int			 occurred_given;
	const char		*comment;
	/* out */
	int			 scope_denied;
};

static void
not_found(struct api_resp *resp)
{
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such card");
}

/* Validate the body into e. 0, or -1 with resp set (422). */
static int
event_body(struct ev *e, json_t *body)
{
	json_t *fields = json_object(), *v;
	const char *key;

	json_object_foreach(body, key, v)
		if (strcmp(key, "event") != 0 && strcmp(key, "occurred_at") != 0 &&
		    strcmp(key, "comment") != 0)
			json_object_set_new(fields, key, json_string("unknown field"));
	v = json_object_get(body, "event");
	if (v == NULL)
		json_object_set_new(fields, "event", json_string("required"));
	else if (policy_card_event_parse(json_string_value(v), &e->event) != 0)
		json_object_set_new(fields, "event",
		    json_string("must be one of lost, stolen, suspended, returned, reissued"));
	e->occurred = e->now;
	if (revoke_body_time(body, "occurred_at", &e->occurred, fields) == 1) {
		if (e->occurred > e->now)
			json_object_set_new(fields, "occurred_at",
			    json_string("must not be in the future"));
		else
			e->occurred_given = 1;
	}
	e->comment = revoke_body_comment(body, fields);
	if (json_object_size(fields) > 0) {
		api_problem(e->resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the request has invalid fields");
		return -1;
	}
	json_decref(fields);
	return 0;
}

/* "{a,b}" of the serials in revoked (hex, no quoting needed). */
static char *
serials_literal(json_t *revoked)
{
	size_t i, len = 3 + 41 * json_array_size(revoked), off = 0;
	char *out = malloc(len);
	json_t *o;

	if (out == NULL)
		abort();
	out[off++] = '{';
	json_array_foreach(revoked, i, o)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? "," : "",
		    json_string_value(json_object_get(o, "serial")));
	snprintf(out + off, len - off, "}");
	return out;
}

static int
event_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct ev *e = arg;
	struct api_resp *resp = e->resp;
	struct policy_r11 r11;
	struct policy_refusal r;
	struct jpdate issued;
	PGresult *res = NULL, *x = NULL;
	const char *v[9], *reason;
	char before[16], now[24], occ[24], actor[160], b1[24], *lit = NULL;
	json_t *revoked = json_array(), *serials = json_array(), *o;
	int i, rc = -1;

	api_resp_free(resp);
	e->scope_denied = 0;
	switch (idem_begin(c, e->req, NULL, resp, err)) {
	case IDEM_DBERR:
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		goto out;
	default:
		break;
	}
	v[0] = e->number;
	if ((res = store_exec(c, Q_CARD_EV_LOCK, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		not_found(resp);
		goto out;
	}
	if (e->req->principal.kind == PRINCIPAL_TERMINAL &&
	    strcmp(PQgetvalue(res, 0, 2), e->req->principal.municipality_code) != 0) {
		/* R1: the same 404 as an unknown card; audited after the rollback. */
		e->scope_denied = 1;
		log_kv(LOG_LVL_WARN, "R1: terminal reported another municipality's card",
		    "request_id", e->req->request_id, "rule", "R1", (char *)NULL);
		not_found(resp);
		goto out;
	}
	snprintf(before, sizeof(before), "%s", PQgetvalue(res, 0, 1));
	if (policy_r11_card_event(e->event, before, &r11, &r) != 0) {
		api_problem(resp, 409, r.slug, "Conflict", r.rule,
		    json_pack("{s:s}", "event", "not allowed for this card"), "%s", r.detail);
		resp->rule = r.rule;
		goto out;
	}
	if (e->occurred_given && jpdate_parse(PQgetvalue(res, 0, 3), &issued) == 0 &&
	    e->occurred < jpdate_start_of_day(issued)) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL,
		    json_pack("{s:s}", "occurred_at", "before the card was issued"),
		    "occurred_at is before the card was issued (%s)", PQgetvalue(res, 0, 3));
		goto out;
	}
	reason = policy_reason_name(r11.reason);
	snprintf(now, sizeof(now), "%lld", (long long)e->now);
	snprintf(occ, sizeof(occ), "%lld", (long long)e->occurred);

	v[0] = e->number;
	v[1] = r11.status;
	if ((x = store_exec(c, Q_CARD_EV_SET_STATUS, 2, v, NULL, NULL, err)) == NULL)
		goto out;
	PQclear(x);
	x = NULL;
	v[1] = reason;
	v[2] = now;
	v[3] = r11.invalidity_from_occurred && e->occurred_given ? occ : NULL;
	if ((x = store_exec(c, Q_CARD_EV_REVOKE, 4, v, NULL, NULL, err)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(x); i++) {
		json_array_append_new(revoked, json_pack("{s:s, s:s, s:s}",
		    "serial", PQgetvalue(x, i, 0), "type", PQgetvalue(x, i, 1),
		    "reason", PQgetvalue(x, i, 2)));
		json_array_append_new(serials, json_string(PQgetvalue(x, i, 0)));
	}
	PQclear(x);
	x = NULL;

	lit = serials_literal(revoked);
	v[0] = e->number;
	v[1] = policy_card_event_name(e->event);
	v[2] = before;
	v[3] = r11.status;
	v[4] = occ;
	v[5] = api_principal_id(e->req, actor, sizeof(actor));
	v[6] = e->comment;
	v[7] = lit;
	v[8] = now;
	if ((x = store_exec(c, Q_CARD_EV_INSERT, 9, v, NULL, NULL, err)) == NULL)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "id", PQgetvalue(x, 0, 0),
	    "card_number", e->number, "event", policy_card_event_name(e->event),
	    "status", r11.status, "previous_status", before,
	    "occurred_at", counter_rfc3339(e->occurred, b1, sizeof(b1)), "revoked", revoked);
	if (audit_write(c, e->req, "card.event", e->object,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "event_id", PQgetvalue(x, 0, 0),
	    "event", policy_card_event_name(e->event), "status_before", before,
	    "status_after", r11.status, "occurred_at", b1, "revoked", serials), err) != 0) {
		json_decref(o);
		goto out;
	}
	api_json(resp, 201, o);
	if (idem_finish(c, e->req, resp, err) != 0)
		goto out;
	log_kv(LOG_LVL_INFO, "card event", "request_id", e->req->request_id,
	    "event", policy_card_event_name(e->event), "rule", "R11", (char *)NULL);
	rc = 0;
out:
	PQclear(res);
	PQclear(x);
	free(lit);
	json_decref(revoked);
	json_decref(serials);
	return rc;
}

void
api_card_event(struct api_req *req, struct api_resp *resp)
{
	struct ev e;
	struct store_err err;
	json_t *body;

	memset(&e, 0, sizeof(e));
	e.req = req;
	e.resp = resp;
	e.now = clock_now();
	e.number = req->params[0];
	if (!feed_card_number_ok(e.number)) {
		api_problem(resp, 400, "invalid-card-number", "Bad Request", NULL,
		    json_pack("{s:s}", "card_number", "12 digits, or 1 to 16 of 0-9 and A-Z"),
		    "the card number in the path is malformed");
		return;
	}
	snprintf(e.object, sizeof(e.object), "card:%s", e.number);
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	if (event_body(&e, body) != 0)
		goto out;
	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, event_tx, &e, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
	if (e.scope_denied)
		audit_write_now(req->app, req, "card.scope_denied", e.object,
		    json_pack("{s:s, s:s}", "rule", "R1", "terminal_municipality",
		    req->principal.municipality_code));
out:
	json_decref(body);
}
