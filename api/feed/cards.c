/*
 * cards: PUT /v1/cards/{card_number}, the register feed's card upsert. The
 * card row is validated first (api/feed/feed_fields.c), then one
 * transaction locks the current row, upserts it, revokes what R11 says a
 * status change revokes, and writes the audit row.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/audit.h"
#include "api/feed/feed_int.h"
#include "ca/policy.h"
#include "common/clock.h"
#include "common/log.h"

struct card_tx {
	struct api_req	*req;
	const char	*number;
	json_t		*row;
	time_t		 now;
	/* out */
	int		 refusal;	/* 0, 409 or 422 */
	json_t		*refusal_fields;
	const char	*refusal_rule;
	int		 created;
	json_t		*changed;
	json_t		*revoked;
};

static void
card_refuse(struct card_tx *t, int status, const char *rule, const char *field,
    const char *msg)
{
	t->refusal = status;
	t->refusal_rule = rule;
	json_decref(t->refusal_fields);
	t->refusal_fields = json_pack("{s:s}", field, msg);
}

static int
card_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct card_tx *t = arg;
	const char *v[3], *status, *reason;
	char object[48], at[24];
	json_t *old = NULL;
	json_error_t je;
	PGresult *res = NULL;
	char *js = NULL;
	int rc = -1, i;

	t->refusal = 0;
	t->created = 0;
	json_decref(t->changed);
	t->changed = NULL;
	json_array_clear(t->revoked);

	v[0] = json_string_value(json_object_get(t->row, "resident_code"));
	if ((res = store_exec(c, Q_FEED_RESIDENT_EXISTS, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		card_refuse(t, 422, NULL, "resident_code", "unknown resident");
		goto out;
	}
	PQclear(res);

	v[0] = t->number;
	if ((res = store_exec(c, Q_FEED_CARD_LOCK, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) == 1 && (old = json_loads(PQgetvalue(res, 0, 0), 0, &je)) == NULL)
		abort();
	PQclear(res);
	res = NULL;
	if (old != NULL && !json_equal(json_object_get(old, "resident_code"),
	    json_object_get(t->row, "resident_code"))) {
		card_refuse(t, 409, NULL, "resident_code",
		    "the card is recorded for another resident; a card never changes hands");
		goto out;
	}
	if (old != NULL && !json_equal(json_object_get(old, "kind"),
	    json_object_get(t->row, "kind"))) {
		card_refuse(t, 409, NULL, "kind", "a card's kind never changes");
		goto out;
	}
	t->created = old == NULL;
	t->changed = feed_changed_fields(t->row, old, "card_number", t->created);

	if ((js = json_dumps(t->row, JSON_COMPACT)) == NULL)
		abort();
	v[0] = js;
	res = store_exec(c, t->created ? Q_FEED_CARD_INSERT : Q_FEED_CARD_UPDATE, 1, v, NULL,
	    NULL, err);
	if (res == NULL) {
		if (err->status == STORE_UNIQUE &&
		    strcmp(err->constraint, "cards_one_active_mynumber") == 0)
			card_refuse(t, 409, "R2", "status",
			    "the resident already holds another active My Number card;"
			    " set that one to reissued or returned first");
		goto out;
	}
	if (t->created && PQntuples(res) != 1) {
		/* Inserted concurrently after our lock found nothing: run again. */
		err->status = STORE_RETRY;
		snprintf(err->sqlstate, sizeof(err->sqlstate), "40001");
		goto out;
	}
	PQclear(res);
	res = NULL;

	/*
	 * R11, on a change of status of an existing card: the reasons of
	 * POST /v1/cards/{card_number}/events (ca/policy_revoke.c).
	 */
	status = json_string_value(json_object_get(t->row, "status"));
	if (old != NULL && (reason = policy_r11_status_reason(status)) != NULL &&
	    !json_equal(json_object_get(old, "status"), json_object_get(t->row, "status"))) {
		snprintf(at, sizeof(at), "%lld", (long long)t->now);
		v[0] = t->number;
		v[1] = reason;
		v[2] = at;
		if ((res = store_exec(c, Q_FEED_CARD_REVOKE, 3, v, NULL, NULL, err)) == NULL)
			goto out;
		for (i = 0; i < PQntuples(res); i++)
			json_array_append_new(t->revoked, json_pack("{s:s, s:s, s:s}",
			    "serial", PQgetvalue(res, i, 0), "type", PQgetvalue(res, i, 1),
			    "reason", PQgetvalue(res, i, 2)));
	}

	if (t->created || json_array_size(t->changed) != 0) {
		snprintf(object, sizeof(object), "card:%s", t->number);
		if (audit_write(c, t->req, "card.upsert", object,
		    json_pack("{s:b, s:O, s:o}", "created", t->created,
		    "changed_fields", t->changed, "revoked", feed_serials_of(t->revoked)), err) != 0)
			goto out;
	}
	rc = 0;
out:
	free(js);
	PQclear(res);
	json_decref(old);
	return rc;
}

void
api_feed_card_put(struct api_req *req, struct api_resp *resp)
{
	struct card_tx t;
	struct store_err err;
	json_t *obj, *errors;

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.number = req->params[0];
	t.now = clock_now();
	if ((obj = feed_body_object(req, resp)) == NULL)
		return;
	errors = json_object();
	t.row = feed_card_row(obj, t.number, jpdate_from_time(t.now), errors);
	json_decref(obj);
	if (t.row == NULL) {
		feed_invalid_fields(resp, errors);
		return;
	}
	json_decref(errors);
	t.revoked = json_array();

	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, card_tx, &t, &err) != 0) {
		if (t.refusal == 422) {
			feed_invalid_fields(resp, t.refusal_fields);
			t.refusal_fields = NULL;
		} else if (t.refusal == 409) {
			api_problem(resp, 409, "conflict", "Conflict", t.refusal_rule,
			    t.refusal_fields, "%s",
			    t.refusal_rule != NULL ? "R2: one active My Number card per resident" :
			    "the card cannot change this way");
			t.refusal_fields = NULL;
		} else
			feed_tx_failed(req, resp, &err);
		goto out;
	}
	api_json(resp, t.created ? 201 : 200, json_pack("{s:s, s:O, s:O, s:O, s:O, s:b, s:O}",
	    "card_number", t.number,
	    "resident_code", json_object_get(t.row, "resident_code"),
	    "kind", json_object_get(t.row, "kind"),
	    "status", json_object_get(t.row, "status"),
	    "expires_on", json_object_get(t.row, "expires_on"),
	    "created", t.created, "revoked", t.revoked));
out:
	json_decref(t.row);
	json_decref(t.changed);
	json_decref(t.revoked);
	json_decref(t.refusal_fields);
}
