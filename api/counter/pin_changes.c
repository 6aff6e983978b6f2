/*
 * pin_changes: POST /v1/cards/{card_number}/pin-changes (R16a). A PIN
 * change with the current PIN happens on the card only (portal, client
 * software, kiosk); jpkid is told and records it: one audit row, with the
 * Idempotency-Key response, in one transaction. A terminal sees only its
 * municipality's cards (R1: 404 as for a missing card, audited).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/idem.h"
#include "api/counter/pin_resets.h"

struct change {
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*card_number;
	enum policy_type key;
	int		 scope_denied;
	char		 resident[12];
};

static int
change_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct change *p = arg;
	struct api_req *req = p->req;
	struct api_resp *resp = p->resp;
	const char *v[1] = { p->card_number };
	PGresult *res;
	int rc = -1;

	api_resp_free(resp);
	switch (idem_begin(c, req, NULL, resp, err)) {
	case IDEM_DBERR:
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	if ((res = store_exec(c, Q_PIN_CARD_GET, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		snprintf(p->resident, sizeof(p->resident), "%s", PQgetvalue(res, 0, 1));
	/* R1: a terminal sees only its municipality's cards (404 like a missing one). */
	if (PQntuples(res) != 1 || (req->principal.kind == PRINCIPAL_TERMINAL &&
	    strcmp(PQgetvalue(res, 0, 5), req->principal.municipality_code) != 0)) {
		p->scope_denied = PQntuples(res) == 1;
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no card %s here", p->card_number);
		goto out;
	}
	/* R16a: a PIN change is card-local and only reported: audit it. */
	if (audit_write(c, req, "pin.change", p->resident, json_pack("{s:s, s:s, s:s}",
	    "card_number", p->card_number, "key_type", policy_type_name(p->key), "rule", "R16a"),
	    err) != 0)
		goto out;
	api_text(resp, 204, "application/json", NULL, 0);
	if (idem_finish(c, req, resp, err) != 0)
		goto out;
	rc = 0;
out:
	PQclear(res);
	return rc;
}

void
api_pin_change(struct api_req *req, struct api_resp *resp)
{
	struct change p;
	json_t *body, *fields, *v;
	const char *key, *kt;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.req = req;
	p.resp = resp;
	p.card_number = req->params[0];
	fields = json_object();
	json_object_foreach(body, key, v)
		if (strcmp(key, "key_type") != 0)
			json_object_set_new(fields, key, json_string("unknown field"));
	kt = json_string_value(json_object_get(body, "key_type"));
	if (kt == NULL || policy_type_parse(kt, &p.key) != 0)
		json_object_set_new(fields, "key_type", json_string("sign or auth"));
	if (!pin_reset_card_number_ok(p.card_number)) {
		json_decref(fields);
		json_decref(body);
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such card");
		return;
	}
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the request has invalid fields");
		json_decref(body);
		return;
	}
	json_decref(fields);
	app_run_tx(req, resp, change_tx, &p, p.resident, &p.scope_denied);
	json_decref(body);
}
