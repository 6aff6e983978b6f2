/*
 * audit: audit_log rows (see audit.h). The actor is the principal,
 * "<kind>:<id>"; the request id ties a row to the request's log line.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "api/audit.h"
#include "common/log.h"

char *
audit_detail_json(const struct api_req *req, json_t *detail)
{
	char *js;

	if (detail == NULL)
		detail = json_object();
	json_object_set_new(detail, "request_id", json_string(req->request_id));
	js = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	if (js == NULL)
		abort();
	return js;
}

int
audit_write(struct store_conn *c, const struct api_req *req, const char *action,
    const char *object, json_t *detail, struct store_err *err)
{
	char actor[160], *js = audit_detail_json(req, detail);
	const char *v[4];
	PGresult *res;

	v[0] = api_principal_id(req, actor, sizeof(actor));
	v[1] = action;
	v[2] = object;
	v[3] = js;
	res = store_exec(c, Q_AUDIT_INSERT, 4, v, NULL, NULL, err);
	free(js);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

struct audit_now {
	const struct api_req	*req;
	const char		*action, *object;
	json_t			*detail;
};

static int
audit_now_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct audit_now *a = arg;

	json_incref(a->detail);
	return audit_write(c, a->req, a->action, a->object, a->detail, err);
}

int
audit_write_now(struct app *app, const struct api_req *req, const char *action,
    const char *object, json_t *detail)
{
	struct audit_now a = { req, action, object, detail != NULL ? detail : json_object() };
	struct store_err err;
	int rc;

	rc = store_tx(app->store, app->borrow_timeout_ms, 0, audit_now_tx, &a, &err);
	if (rc != 0)
		log_kv(LOG_LVL_ERR, "audit write failed", "request_id", req->request_id,
		    "action", action, "status", store_status_name(err.status), (char *)NULL);
	json_decref(a.detail);
	return rc;
}
