/*
 * idem: Idempotency-Key for every mutating POST (docs/foundation.md "API"). Used inside
 * the handler's own transaction, so the key row, the state change and the
 * stored response commit or roll back together:
 *
 *	BEGIN; idem_begin(); ...change state, build resp...; idem_finish(); COMMIT
 *
 * A second request with the same key blocks in idem_begin() on the key's
 * unique index until the first transaction ends; it then sees the stored
 * response (replay) or, if the first rolled back, proceeds as new. A
 * successful (2xx) response is stored by idem_finish(); a refusal usually
 * changes nothing and rolls back, so a retry is evaluated again. A refusal
 * that commits a state change (R13: a wrong answer code is counted) is
 * stored with idem_finish_refusal(), so a retry replays it instead of
 * finding a key without a response. The key is scoped to the principal.
 */
#ifndef JPKI_IDEM_H
#define JPKI_IDEM_H

#include "api/api.h"
#include "db/store.h"

enum idem_result {
	IDEM_NONE,	/* no Idempotency-Key header: proceed, nothing stored */
	IDEM_NEW,	/* key recorded: proceed, then idem_finish() */
	IDEM_REPLAY,	/* resp holds the stored response: roll back and send it */
	IDEM_REFUSED,	/* resp holds a problem (bad key, key reused for another request) */
	IDEM_DBERR	/* err filled: database failure */
};

/*
 * request_hash: SHA-256 over method, path and body, or NULL to compute it
 * from req->body (streaming handlers pass their own running hash).
 */
enum idem_result idem_begin(struct store_conn *, struct api_req *, const unsigned char *request_hash,
		    struct api_resp *resp, struct store_err *err);
/* Store resp (when 2xx and a key was recorded). 0, or -1 with err. */
int		 idem_finish(struct store_conn *, struct api_req *, const struct api_resp *resp,
		    struct store_err *err);
/* Store resp whatever its status (a committed refusal). 0, or -1 with err. */
int		 idem_finish_refusal(struct store_conn *, struct api_req *,
		    const struct api_resp *resp, struct store_err *err);
/* SHA-256 of method NUL path NUL body, into out[32]. */
void		 idem_request_hash(const struct api_req *, const char *body, size_t len,
		    unsigned char *out);

#endif
