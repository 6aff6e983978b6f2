/*
 * application_get: GET /v1/applications/{id}, for the terminal that filed
 * it (any terminal of the same municipality) and for operators (viewer).
 *
 * The application as stored (api/counter/applications.c): its plan, the evidence
 * the terminal declared under R14, its state, and what happened since: the
 * inquiries (R13: state and times, never the answer code nor its hash) and
 * the certificates issued for it (serials). A terminal asking for another
 * municipality's application, or for one of its own whose resident has
 * since moved away, gets the same 404 as for an unknown id (R1: it learns
 * nothing), and that refusal is audited. Every answer is an
 * audited read of personal data, written in the transaction that read it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/operators/mgmt.h"

struct appread {
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*id;
};

/* A jsonb column as JSON (null when NULL or, never expected, unparsable). */
static json_t *
json_col(const PGresult *res, int row, int col)
{
	json_t *j;

	if (PQgetisnull(res, row, col))
		return json_null();
	j = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);
	return j != NULL ? j : json_null();
}

static json_t *
csv_array(const char *csv)
{
	json_t *a = json_array();
	char buf[64], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", csv);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(tok));
	return a;
}

static void
unknown(struct api_resp *resp, const char *id)
{
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no application %s", id);
}

static int
read_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct appread *a = arg;
	struct api_req *req = a->req;
	const char *v[1] = { a->id };
	PGresult *res, *inq = NULL, *certs = NULL;
	json_t *o, *ai, *ac;
	char object[64];
	int i;

	if ((res = store_exec(c, Q_MGMT_APP_GET, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	snprintf(object, sizeof(object), "application:%s", a->id);
	if (PQntuples(res) != 1) {
		PQclear(res);
		unknown(a->resp, a->id);
		return -1;
	}
	if (req->principal.kind == PRINCIPAL_TERMINAL &&
	    (strcmp(PQgetvalue(res, 0, 1), req->principal.municipality_code) != 0 ||
	    strcmp(PQgetvalue(res, 0, 18), req->principal.municipality_code) != 0)) {
		/* R1: answered exactly like an unknown id; the attempt is recorded. */
		PQclear(res);
		unknown(a->resp, a->id);
		return audit_write(c, req, "application.read_refused", object,
		    json_pack("{s:s, s:s}", "rule", "R1", "municipality_code",
		    req->principal.municipality_code), err) != 0 ? -1 : 0;
	}
	if ((inq = store_exec(c, Q_MGMT_APP_INQUIRIES, 1, v, NULL, NULL, err)) == NULL ||
	    (certs = store_exec(c, Q_MGMT_APP_CERTS, 1, v, NULL, NULL, err)) == NULL) {
		PQclear(inq);
		PQclear(res);
		return -1;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:o, s:b, s:o, s:o, s:I,"
	    " s:o, s:I, s:o, s:o, s:o}",
	    "id", PQgetvalue(res, 0, 0),
	    "municipality", PQgetvalue(res, 0, 1),
	    "state", PQgetvalue(res, 0, 11),
	    "resident_code", PQgetvalue(res, 0, 2),
	    "card_number", mgmt_str(res, 0, 3),
	    "procedure", PQgetvalue(res, 0, 4),
	    "types", csv_array(PQgetvalue(res, 0, 5)),
	    "applicant_kind", PQgetvalue(res, 0, 6),
	    "applicant", json_col(res, 0, 7),
	    "delegation_covers_revocation", strcmp(PQgetvalue(res, 0, 8), "true") == 0,
	    "evidence", json_col(res, 0, 9),
	    "plan", json_col(res, 0, 10),
	    "fee_yen", (json_int_t)strtoll(PQgetvalue(res, 0, 12), NULL, 10),
	    "issued_types", csv_array(PQgetvalue(res, 0, 13)),
	    "terminal_id", (json_int_t)strtoll(PQgetvalue(res, 0, 14), NULL, 10),
	    "created_at", mgmt_time(res, 0, 15),
	    "updated_at", mgmt_time(res, 0, 16),
	    "completed_at", mgmt_time(res, 0, 17));
	if (o == NULL)
		abort();
	ai = json_array();
	for (i = 0; i < PQntuples(inq); i++)
		json_array_append_new(ai, json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}",
		    "id", PQgetvalue(inq, i, 0), "state", PQgetvalue(inq, i, 1),
		    "wrong_attempts", (json_int_t)strtoll(PQgetvalue(inq, i, 2), NULL, 10),
		    "created_at", mgmt_time(inq, i, 3), "expires_at", mgmt_time(inq, i, 4),
		    "answered_at", mgmt_time(inq, i, 5)));
	ac = json_array();
	for (i = 0; i < PQntuples(certs); i++)
		json_array_append_new(ac, json_pack("{s:s, s:s, s:s, s:o, s:o}",
		    "serial", PQgetvalue(certs, i, 0), "type", PQgetvalue(certs, i, 1),
		    "status", PQgetvalue(certs, i, 2), "issued_at", mgmt_time(certs, i, 3),
		    "not_after", mgmt_time(certs, i, 4)));
	json_object_set_new(o, "inquiries", ai);
	json_object_set_new(o, "certificates", ac);
	PQclear(certs);
	PQclear(inq);
	PQclear(res);
	api_json(a->resp, 200, o);
	/* Names the parts read, not their values. */
	return audit_write(c, req, "application.read", object,
	    json_pack("{s:[s,s,s,s]}", "fields", "applicant", "evidence", "plan", "certificates"),
	    err);
}

void
api_application_get(struct api_req *req, struct api_resp *resp)
{
	struct appread a = { req, resp, req->params[0] };

	if (!app_id_ok(req->params[0])) {
		unknown(resp, req->params[0]);
		return;
	}
	mgmt_run_tx(req, resp, read_tx, &a);
}
