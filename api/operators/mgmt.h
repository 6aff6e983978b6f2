/*
 * mgmt: small pieces the operator management handlers share
 * (api/operators/principals_admin.c, api/operators/operators_admin.c, api/operators/cert_search.c,
 * api/counter/application_get.c, api/status/relying_parties.c): path ids, query filters,
 * keyset pages by id, timestamps, body checks, one transaction.
 */
#ifndef JPKI_MGMT_H
#define JPKI_MGMT_H

#include <jansson.h>
#include <libpq-fe.h>

#include "api/api.h"
#include "api/paging.h"
#include "db/store.h"

/* 1 for a positive decimal id of at most 18 digits, no leading zero. */
int	 mgmt_id_ok(const char *);
/* 404 problem+json "no such <what>". */
void	 mgmt_not_found(struct api_resp *, const char *what);
/* A query parameter, or NULL. */
const char *mgmt_query(struct api_req *, const char *name);
/*
 * A boolean filter ?name=true|false into *out ("true"/"false"), or NULL
 * when absent. 0, or -1 with resp set to 400 naming the field.
 */
int	 mgmt_query_bool(struct api_req *, struct api_resp *, const char *name, const char **out);
/* 400 problem naming a query parameter (fields: name -> msg). */
void	 mgmt_bad_query(struct api_resp *, const char *name, const char *msg);
/*
 * Limit and cursor of a list sorted by id: *after is the id after which the
 * page starts (buf, a decimal), or NULL. 0, or -1 with resp set (400).
 */
int	 mgmt_page_by_id(struct api_req *, struct api_resp *, struct api_page *pg,
	    char *buf, size_t len, const char **after);
/*
 * The envelope of one page of res (at most pg->limit + 1 rows, column 0
 * the id): the first limit rows through row(), next_cursor the id of the
 * last one when there was one more.
 */
json_t	*mgmt_page_json(const PGresult *, const struct api_page *,
	    json_t *(*row)(const PGresult *, int));
/* Column col as an RFC 3339 time (epoch seconds text), or null when NULL. */
json_t	*mgmt_time(const PGresult *, int row, int col);
/* Column col ("true"/"false") as a JSON boolean, or null when NULL. */
json_t	*mgmt_bool(const PGresult *, int row, int col);
/* Column col as a string, or null when NULL. */
json_t	*mgmt_str(const PGresult *, int row, int col);
/* Members of body not in known (NULL-terminated) -> fields "unknown field". */
void	 mgmt_check_known(json_t *body, const char *const *known, json_t *fields);
/* A display string of 1..max characters without control characters, or NULL with fields[name]. */
const char *mgmt_check_text(json_t *body, const char *name, long max, json_t *fields);
/* A boolean member: 1 set *out, 0 absent, -1 wrong type (fields[name]). */
int	 mgmt_check_bool(json_t *body, const char *name, json_t *fields, int *out);
/* 422 invalid-field with fields (stolen). */
void	 mgmt_invalid(struct api_resp *, json_t *fields, const char *detail);
/* store_tx(fn) answering 503 for a database failure fn did not answer itself. */
void	 mgmt_run_tx(struct api_req *, struct api_resp *, store_tx_fn fn, void *arg);

#endif
