/*
 * residents: GET /v1/residents/{resident_code} for counter terminals: the
 * resident, cards, certificates, and per type what issuing now would mean
 * (eligible or the refusing rule, validity, renewal window, fee), all
 * decided by ca/policy.c. Every read is audited (personal data).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "common/clock.h"

static json_t *
str_or_null(const PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? json_null() : json_string(PQgetvalue(r, row, c));
}

static json_t *
time_or_null(const PGresult *r, int row, int c)
{
	char buf[24];

	if (PQgetisnull(r, row, c))
		return json_null();
	return json_string(counter_rfc3339((time_t)strtoll(PQgetvalue(r, row, c), NULL, 10),
	    buf, sizeof(buf)));
}

static json_t *
resident_json(const struct counter_facts *f)
{
	const PGresult *r = f->res_resident;
	static const struct { const char *name; int col; } cols[] = {
		{ "resident_code", 0 }, { "municipality_code", 1 }, { "family_name", 2 },
		{ "given_name", 3 }, { "family_name_kana", 4 }, { "given_name_kana", 5 },
		{ "former_surname", 6 }, { "alias", 7 }, { "family_name_substitute", 8 },
		{ "given_name_substitute", 9 }, { "address_substitute", 10 },
		{ "birth_date", 11 }, { "sex", 12 }, { "address", 13 }, { "status", 15 },
	};
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		json_object_set_new(o, cols[i].name, str_or_null(r, 0, cols[i].col));
	json_object_set_new(o, "adult_ward", json_boolean(f->resident.adult_ward));
	json_object_set_new(o, "version", json_integer(f->version));
	json_object_set_new(o, "age", json_integer(jpdate_age(f->resident.four.birth,
	    jpdate_from_time(f->ctx.now))));
	json_object_set_new(o, "municipality", json_pack("{s:s, s:s}",
	    "name", f->municipality_name, "prefecture", f->prefecture));
	return o;
}

static json_t *
cards_json(const PGresult *r)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}",
		    "card_number", PQgetvalue(r, i, 0), "kind", PQgetvalue(r, i, 1),
		    "issued_on", PQgetvalue(r, i, 2), "expires_on", PQgetvalue(r, i, 3),
		    "status", PQgetvalue(r, i, 4)));
	return a;
}

static json_t *
certs_json(const PGresult *r)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s}",
		    "serial", PQgetvalue(r, i, 0), "type", PQgetvalue(r, i, 1),
		    "status", PQgetvalue(r, i, 2), "not_before", time_or_null(r, i, 3),
		    "not_after", time_or_null(r, i, 4), "revoked_at", time_or_null(r, i, 5),
		    "reason", str_or_null(r, i, 6), "card_number", PQgetvalue(r, i, 7)));
	return a;
}

/* What issuing type t now would mean, for the clerk. */
static json_t *
eligibility_json(const struct counter_facts *f, enum policy_type t)
{
	struct policy_plan plans[POLICY_NTYPES];
	struct policy_plan *p = &plans[t];
	struct policy_refusal r;
	json_t *o, *kinds;
	static const enum policy_applicant applicants[] = {
		POLICY_SELF, POLICY_LEGAL_REP, POLICY_PROXY
	};
	size_t i;

	memset(plans, 0, sizeof(plans));
	if (policy_plan(&f->ctx, t, POLICY_ISSUE, 0, p) != 0 || !p->eligible)
		return json_pack("{s:b, s:o}", "eligible", 0, "refusal",
		    counter_refusal_json(&p->refusal));
	policy_r18_fee(POLICY_TYPE_BIT(t), plans, &f->card, &f->ctx.fees);
	o = app_plan_json(p, f->latest_serial[t]);	/* the plan, as in an application */
	json_object_set_new(o, "eligible", json_true());
	kinds = json_array();
	for (i = 0; i < sizeof(applicants) / sizeof(applicants[0]); i++)
		if (policy_r13_applicant(applicants[i], &f->resident, f->ctx.now, p->supersedes,
		    1, &r) == 0)
			json_array_append_new(kinds,
			    json_string(policy_applicant_name(applicants[i])));
	json_object_set_new(o, "applicant_kinds", kinds);
	return o;
}

void
api_resident_get(struct api_req *req, struct api_resp *resp)
{
	const char *code = req->params[0];
	const char *v[1] = { code };
	struct counter_facts f;
	struct store_conn *c;
	struct store_err err;
	PGresult *cards = NULL, *certs = NULL;
	time_t now = clock_now();
	json_t *o;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((c = store_borrow(req->app->store, req->app->borrow_timeout_ms, &err)) == NULL)
		goto unavailable;
	if ((rc = counter_gate(c, req, now, resp, &err)) != 0)
		goto done;
	if ((rc = counter_load(c, req, code, NULL, 0, now, &f, resp, &err)) != 0)
		goto done;
	if ((cards = store_exec(c, Q_CARDS_OF_RESIDENT, 1, v, NULL, NULL, &err)) == NULL ||
	    (certs = store_exec(c, Q_CERTS_OF_RESIDENT, 1, v, NULL, NULL, &err)) == NULL) {
		rc = -1;
		goto done;
	}
	/* Personal data is read: audit before answering (R1; docs/foundation.md). */
	if (audit_write(c, req, "resident.read", code, NULL, &err) != 0) {
		rc = -1;
		goto done;
	}
	o = json_pack("{s:o, s:o, s:o, s:{s:o, s:o}}", "resident", resident_json(&f),
	    "cards", cards_json(cards), "certificates", certs_json(certs),
	    "eligibility", "sign", eligibility_json(&f, POLICY_SIGN),
	    "auth", eligibility_json(&f, POLICY_AUTH));
	api_json(resp, 200, o);
done:
	PQclear(cards);
	PQclear(certs);
	counter_facts_free(&f);
	store_release(c);
	if (f.scope_denied)
		counter_audit_denied(req, code);
	if (rc < 0)
		goto unavailable;
	return;
unavailable:
	api_db_unavailable(req, resp, &err);
}
