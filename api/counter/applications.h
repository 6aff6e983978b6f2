/*
 * applications: shared by the application handlers (api/counter/applications.c,
 * api/counter/inquiry.c, api/counter/issue.c).
 */
#ifndef JPKI_APPLICATIONS_H
#define JPKI_APPLICATIONS_H

#include <jansson.h>

#include "api/api.h"
#include "ca/policy.h"
#include "db/store.h"

struct app_evidence {
	struct policy_doc	docs[8];
	struct policy_evidence	ev;	/* ev.docs points into docs (borrowed strings) */
};

/* 1 for a canonical UUID (the application id in a path). */
int	app_id_ok(const char *);
/*
 * R14 declaration {documents: [{kind, holder, expired, copy}], authority}.
 * Strings are borrowed from ev. 0, or -1 with messages added to fields.
 */
int	app_parse_evidence(json_t *ev, struct app_evidence *out, json_t *fields);
/*
 * A plan (ca/policy.h) as JSON, warnings included; supersedes_serial names
 * the certificate R9 revokes.
 */
json_t	*app_plan_json(const struct policy_plan *, const char *supersedes_serial);
/* The plan's warnings: [{slug, rule, detail}] (R7/R8: a renewal that gains nothing). */
json_t	*app_warnings_json(const struct policy_plan *);
/* The body as a JSON object, or NULL with a 400 in resp. */
json_t	*app_parse_body(struct api_req *, struct api_resp *);
/*
 * Application id as the calling terminal's municipality sees it, locked
 * (Q_APP_LOCK then Q_APP_GET; binary: binary-format results): filed there,
 * for a resident still registered there (R1). NULL with resp set to 404
 * when there is none there, or with err set on a database failure.
 */
PGresult *app_load(struct store_conn *, struct api_req *, const char *id, int binary,
	    struct api_resp *resp, struct store_err *err);
/* R1: set by app_load_scoped() when the id names an application it may not see. */
struct app_scope {
	int	denied;
	char	resident[12];	/* its resident (audited: counter_audit_denied) */
};
/* app_load(), and scope (may be NULL) filled on a 404 (api/counter/applications.c). */
PGresult *app_load_scoped(struct store_conn *, struct api_req *, const char *id, int binary,
	    struct app_scope *scope, struct api_resp *resp, struct store_err *err);
/*
 * Run fn as one transaction: resp is what fn set, or 503 on a database
 * failure; *scope_denied (when set by fn) is audited afterwards (R1).
 */
void	app_run_tx(struct api_req *, struct api_resp *, store_tx_fn fn, void *arg,
	    const char *resident_code, const int *scope_denied);

#endif
