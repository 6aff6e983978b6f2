/*
 * sweep: see sweep.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "api/feed/feed.h"
#include "api/feed/sweep.h"
#include "common/log.h"

#define SWEEP_ACTOR	"system:register-sweep"

struct batch {
	time_t	 now;
	int	 residents;	/* locked in this batch */
	long	 revoked;	/* certificates revoked in this batch */
	json_t	*list;		/* {serial, type, reason} of this batch */
};

static int
batch_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct batch *b = arg;
	char limit[16], *codes = NULL, *js = NULL;
	const char *v[2];
	PGresult *res = NULL;
	size_t len, off;
	int i, rc = -1;

	/* store_tx may run this more than once. */
	b->residents = 0;
	b->revoked = 0;
	json_array_clear(b->list);

	snprintf(limit, sizeof(limit), "%d", SWEEP_BATCH);
	v[0] = limit;
	if ((res = store_exec(c, Q_SWEEP_PENDING, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if ((b->residents = PQntuples(res)) == 0) {
		rc = 0;
		goto out;
	}
	/* A PostgreSQL array literal of 11-digit codes: "{c1,c2,...}". */
	len = (size_t)b->residents * 12 + 2;
	if ((codes = malloc(len)) == NULL)
		abort();
	off = 0;
	codes[off++] = '{';
	for (i = 0; i < b->residents; i++)
		off += (size_t)snprintf(codes + off, len - off, "%s%s", i ? "," : "",
		    PQgetvalue(res, i, 0));
	snprintf(codes + off, len - off, "}");
	PQclear(res);
	res = NULL;

	if (feed_apply_register_changes(c, codes, b->now, b->list, &b->revoked, err) != 0)
		goto out;
	if (b->revoked > 0) {
		if ((js = json_dumps(b->list, JSON_COMPACT)) == NULL)
			abort();
		v[0] = SWEEP_ACTOR;
		v[1] = js;
		if ((res = store_exec(c, Q_SWEEP_AUDIT, 2, v, NULL, NULL, err)) == NULL)
			goto out;
	}
	rc = 0;
out:
	PQclear(res);
	free(codes);
	free(js);
	return rc;
}

int
sweep_register_changes(struct app *app, time_t now, long *revoked)
{
	struct batch b;
	struct store_err err;
	long total = 0;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	b.now = now;
	if ((b.list = json_array()) == NULL)
		abort();
	for (;;) {
		memset(&err, 0, sizeof(err));
		if (store_tx(app->store, app->borrow_timeout_ms, 0, batch_tx, &b, &err) != 0) {
			log_kv(LOG_LVL_WARN, "register sweep: batch failed",
			    "status", store_status_name(err.status), "sqlstate", err.sqlstate,
			    (char *)NULL);
			rc = -1;
			break;
		}
		total += b.revoked;
		/*
		 * Fewer than a full batch: nothing else is pending, or what is
		 * is locked by others (who apply it, or whose commit notifies).
		 */
		if (b.residents < SWEEP_BATCH)
			break;
	}
	json_decref(b.list);
	if (revoked != NULL)
		*revoked = total;
	return rc;
}
