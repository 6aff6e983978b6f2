/*
 * health: liveness, readiness and metrics on the status listener.
 * /healthz: the process answers. /readyz: PostgreSQL answers a ping, the
 * schema is migrated and the keyring is loaded, and no write failed for lack of
 * disk space in the last DISK_FULL_HOLD_S seconds; a load balancer sends
 * counter traffic only when ready.
 */
#include <config.h>

#include <stdlib.h>

#include "api/api.h"
#include "api/metrics.h"

/*
 * A write refused for lack of disk space (SQLSTATE 53100) makes the instance
 * not ready for this long: SELECT 1 still answers, but nothing can be
 * issued (docs/reliability.md).
 */
#define DISK_FULL_HOLD_S	10

void
api_healthz(struct api_req *req, struct api_resp *resp)
{
	api_json(resp, 200, json_pack("{s:s, s:s, s:I}", "status", "ok",
	    "version", req->app->version,
	    "uptime_seconds", (json_int_t)(time(NULL) - req->app->started_at)));
}

void
api_readyz(struct api_req *req, struct api_resp *resp)
{
	struct store_err err;
	const char *db, *keys, *schema;
	int ready;

	db = store_ping(req->app->store, 500, &err) == 0 ?
	    (store_disk_full(req->app->store, DISK_FULL_HOLD_S) ? "disk full" : "ok") :
	    (err.status == STORE_TIMEOUT ? "pool exhausted" : "unreachable");
	pthread_rwlock_rdlock(&req->app->keys_lock);
	keys = req->app->keys != NULL ? "ok" : "not loaded";
	pthread_rwlock_unlock(&req->app->keys_lock);
	schema = __atomic_load_n(&req->app->schema_ready, __ATOMIC_ACQUIRE) ?
	    "ok" : "migrations pending";
	ready = (db[0] == 'o' && keys[0] == 'o' && schema[0] == 'o');
	api_json(resp, ready ? 200 : 503, json_pack("{s:b, s:{s:s, s:s, s:s}}",
	    "ready", ready, "checks", "database", db, "keys", keys, "schema", schema));
	if (!ready)
		api_add_header(resp, "Retry-After", "5");
}

void
api_metrics(struct api_req *req, struct api_resp *resp)
{
	size_t len;
	char *s = metrics_render(req->app->metrics, req->app->store, &len);

	if (s == NULL) {
		api_problem(resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "cannot render metrics");
		return;
	}
	api_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", s, len);
}
