/*
 * audit: one append-only audit_log row per mutation and per read of a
 * resident's personal data, written in the caller's transaction (so an
 * audited change and its audit row commit together). detail never holds a
 * secret (PIN, answer code, token, key) and, for personal data, names the
 * fields rather than copying their values.
 */
#ifndef JPKI_AUDIT_H
#define JPKI_AUDIT_H

#include <jansson.h>

#include "api/api.h"
#include "db/store.h"

/*
 * actor is "<kind>:<id>" of req->principal; object like "resident:13101600001".
 * detail may be NULL (stolen otherwise); request_id is added to it.
 * 0, or -1 with err.
 */
int	audit_write(struct store_conn *, const struct api_req *, const char *action,
	    const char *object, json_t *detail, struct store_err *err);
/*
 * The detail as audit_write stores it (request_id added; detail may be
 * NULL, stolen otherwise), for a statement that writes its audit row
 * itself (Q_CERT_RECORD). Never NULL; free() it.
 */
char	*audit_detail_json(const struct api_req *, json_t *detail);
/* Same, in its own short transaction (for refusals that roll back the main one). */
int	audit_write_now(struct app *, const struct api_req *, const char *action,
	    const char *object, json_t *detail);

#endif
