/*
 * inquiry: POST /v1/applications/{id}/inquiry-answer, the voluntary
 * proxy's second visit (R13): the answer code from the sealed form, and
 * the proxy's identity evidence again (R14). Never the same day as the
 * first visit; at most 5 wrong codes, then the inquiry is void; past its
 * expiry it is expired. A wrong code is counted and committed even though
 * the answer is a refusal, and so is that refusal under its Idempotency-Key
 * (a retry replays it, it is not counted again). Concurrent answers queue
 * on the application's lock (app_load_scoped) and the count is written
 * compare-and-set, so each wrong code counts once against the limit. The
 * code is checked against a keyed hash (ca/answercode.h) in constant time
 * and never logged, stored or echoed. R1: only the municipality where the
 * resident is registered now, and only for its own applications.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/idem.h"
#include "common/clock.h"
#include "ca/answercode.h"

struct answer {
	struct api_req		*req;
	struct api_resp		*resp;
	time_t			 now;
	const char		*id;
	const char		*code;
	struct app_evidence	 ev;
	struct app_scope	 scope;		/* R1 denial, audited after the transaction */
};

static int
answer_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct answer *a = arg;
	struct api_req *req = a->req;
	struct api_resp *resp = a->resp;
	struct policy_refusal r;
	const char *v[6];
	char wrong[8], nowbuf[24], old_attempts[8], old_state[16];
	enum answer_check chk;
	PGresult *res = NULL, *up = NULL;
	enum policy_answer outcome;
	int matches, attempts, rc = -1;
	const char *istate, *outcome_name, *app_state = NULL, *inq_state;
	time_t filed, expires;

	api_resp_free(resp);
	switch (idem_begin(c, req, NULL, resp, err)) {
	case IDEM_DBERR:
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	if (counter_gate(c, req, a->now, resp, err) != 0)
		return -1;
	if ((res = app_load_scoped(c, req, a->id, 1, &a->scope, resp, err)) == NULL)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 10), "awaiting_inquiry") != 0 || PQgetisnull(res, 0, 14)) {
		api_problem(resp, 409, "wrong-state", "Conflict", "R13", NULL,
		    "the application is %s, not awaiting an inquiry answer",
		    PQgetvalue(res, 0, 10));
		goto out;
	}
	filed = (time_t)strtoll(PQgetvalue(res, 0, 13), NULL, 10);
	/* R13: never same-day; and the proxy shows ID again (R14). */
	if (policy_r13_second_visit(filed, a->now, &r) != 0 ||
	    (strcmp(PQgetvalue(res, 0, 3), "pin_reset") == 0 ?	/* R14: two documents */
	    policy_r14_pin_reset_evidence(POLICY_PROXY, &a->ev.ev, &r) :
	    policy_r14_evidence(POLICY_PROXY, &a->ev.ev, &r)) != 0) {
		counter_refuse(req, resp, &r);
		goto out;
	}
	istate = PQgetvalue(res, 0, 21);
	attempts = atoi(PQgetvalue(res, 0, 20));
	expires = (time_t)strtoll(PQgetvalue(res, 0, 19), NULL, 10);
	snprintf(old_attempts, sizeof(old_attempts), "%d", attempts);
	snprintf(old_state, sizeof(old_state), "%s", istate);
	chk = answer_code_check(&req->app->issuance.answer_key, a->code,
	    (const unsigned char *)PQgetvalue(res, 0, 18), (size_t)PQgetlength(res, 0, 18),
	    (const unsigned char *)PQgetvalue(res, 0, 17), (size_t)PQgetlength(res, 0, 17));
	if (chk == ANSWER_OTHER_KEY || chk == ANSWER_UNREADABLE) {
		/* Neither right nor wrong: nothing is counted (R13). */
		api_problem(resp, 503, "answer-key-not-configured", "Service Unavailable", "R13",
		    NULL, "this inquiry's answer code was made under an answer-code key this "
		    "jpkid does not hold ([issuance] answer_key)");
		goto out;
	}
	matches = chk == ANSWER_MATCH;
	outcome = policy_r13_answer(istate, attempts, expires, a->now, matches);
	switch (outcome) {
	case POLICY_ANSWER_OK:
		inq_state = "answered";
		app_state = "ready";
		outcome_name = "answered";
		break;
	case POLICY_ANSWER_WRONG:
		attempts++;
		inq_state = "open";
		outcome_name = "wrong_code";
		break;
	case POLICY_ANSWER_VOID:
		attempts = POLICY_R13_MAX_WRONG;
		inq_state = "void";
		app_state = "cancelled";
		outcome_name = "void";
		break;
	case POLICY_ANSWER_EXPIRED:
	default:
		inq_state = "expired";
		app_state = "expired";
		outcome_name = "expired";
		break;
	}
	snprintf(wrong, sizeof(wrong), "%d", attempts);
	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)a->now);
	{
		char inq_id[40];

		snprintf(inq_id, sizeof(inq_id), "%s", PQgetvalue(res, 0, 14));
		v[0] = inq_id;
		v[1] = wrong;
		v[2] = inq_state;
		v[3] = nowbuf;
		v[4] = old_attempts;
		v[5] = old_state;
		if ((up = store_exec(c, Q_INQUIRY_UPDATE, 6, v, NULL, NULL, err)) == NULL)
			goto out;
		if (PQntuples(up) != 1) {
			/* Changed since read (cannot happen under the lock): run again. */
			PQclear(up);
			err->status = STORE_RETRY;
			snprintf(err->sqlstate, sizeof(err->sqlstate), "40001");
			goto out;
		}
		PQclear(up);
		if (app_state != NULL) {
			v[0] = a->id;
			v[1] = app_state;
			if ((up = store_exec(c, Q_APP_SET_STATE, 2, v, NULL, NULL, err)) == NULL)
				goto out;
			PQclear(up);
		}
	}
	if (audit_write(c, req, "inquiry.answer", PQgetvalue(res, 0, 1),
	    json_pack("{s:s, s:s, s:i}", "application", a->id, "outcome", outcome_name,
	    "wrong_attempts", attempts), err) != 0)
		goto out;
	switch (outcome) {
	case POLICY_ANSWER_OK:
		api_json(resp, 200, json_pack("{s:s, s:s, s:s}", "id", a->id, "state", "ready",
		    "resident_code", PQgetvalue(res, 0, 1)));
		if (idem_finish(c, req, resp, err) != 0)
			goto out;
		break;
	case POLICY_ANSWER_WRONG:
		api_problem(resp, 422, "wrong-answer-code", "Refused by rule", "R13",
		    json_pack("{s:s}", "answer_code", "does not match"),
		    "R13: the answer code does not match; %d attempt(s) left",
		    POLICY_R13_MAX_WRONG - attempts);
		resp->rule = "R13";
		break;
	case POLICY_ANSWER_VOID:
		api_problem(resp, 422, "inquiry-void", "Refused by rule", "R13", NULL,
		    "R13: the inquiry is void (%d wrong answer codes); file a new application",
		    POLICY_R13_MAX_WRONG);
		resp->rule = "R13";
		break;
	default:
		api_problem(resp, 422, "inquiry-expired", "Refused by rule", "R13", NULL,
		    "R13: the inquiry expired; file a new application");
		resp->rule = "R13";
		break;
	}
	/* Committed with its state change: a retry with the key replays it. */
	if (outcome != POLICY_ANSWER_OK && idem_finish_refusal(c, req, resp, err) != 0)
		goto out;
	rc = 0;		/* commit: a wrong code counts even though it is refused */
out:
	PQclear(res);
	return rc;
}

void
api_inquiry_answer(struct api_req *req, struct api_resp *resp)
{
	struct answer a;
	json_t *body, *fields, *v;
	const char *key;

	if (!app_id_ok(req->params[0])) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such application");
		return;
	}
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&a, 0, sizeof(a));
	a.req = req;
	a.resp = resp;
	a.now = clock_now();
	a.id = req->params[0];
	fields = json_object();
	json_object_foreach(body, key, v)
		if (strcmp(key, "answer_code") != 0 && strcmp(key, "evidence") != 0)
			json_object_set_new(fields, key, json_string("unknown field"));
	a.code = json_string_value(json_object_get(body, "answer_code"));
	if (a.code == NULL || strlen(a.code) < 8 || strlen(a.code) > 16)
		json_object_set_new(fields, "answer_code", json_string("the code on the form"));
	app_parse_evidence(json_object_get(body, "evidence"), &a.ev, fields);
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the answer has invalid fields");
		json_decref(body);
		return;
	}
	json_decref(fields);
	app_run_tx(req, resp, answer_tx, &a, a.scope.resident, &a.scope.denied);
	json_decref(body);
}
