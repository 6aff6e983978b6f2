/*
 * whoami: who the API thinks the caller is, and (for terminals) the one
 * municipality whose residents it may see (R1).
 */
#include <config.h>

#include <string.h>

#include "api/api.h"

void
api_whoami(struct api_req *req, struct api_resp *resp)
{
	const struct principal *p = &req->principal;
	json_t *o;

	o = json_pack("{s:s, s:I, s:s, s:s}", "kind", api_principal_kind_name(p->kind),
	    "id", (json_int_t)p->id, "name", p->name,
	    "authenticated_by", p->via_session ? "session" : "certificate");
	if (!p->via_session)
		json_object_set_new(o, "certificate_sha256", json_string(p->cert_sha256));
	if (p->kind == PRINCIPAL_OPERATOR)
		json_object_set_new(o, "role", json_string(p->role));
	if (p->kind == PRINCIPAL_TERMINAL)
		json_object_set_new(o, "municipality", json_pack("{s:s, s:s, s:s}",
		    "code", p->municipality_code, "name", p->municipality_name,
		    "prefecture", p->prefecture));
	api_json(resp, 200, o);
}

/* R1: a terminal belongs to exactly one municipality; this is it. */
void
api_municipality(struct api_req *req, struct api_resp *resp)
{
	const char *vals[1] = { req->principal.municipality_code };
	PGresult *res;

	if ((res = api_read(req, resp, Q_MUNICIPALITY_GET, 1, vals)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		api_problem(resp, 404, "not-found", "Not Found", "R1", NULL,
		    "the terminal's municipality %s is not in the register",
		    req->principal.municipality_code);
		return;
	}
	api_json(resp, 200, json_pack("{s:s, s:s, s:s}", "code", PQgetvalue(res, 0, 0),
	    "prefecture", PQgetvalue(res, 0, 1), "name", PQgetvalue(res, 0, 2)));
	PQclear(res);
}
