/*
 * paging: one way for every operator list route to page (issue 11).
 *
 *   GET /v1/things?limit=50&cursor=...   ->   {"items": [...], "next_cursor": "..." | null}
 *
 * limit is 1-500 (default 50). cursor is opaque to clients: the base64url
 * of the sort key of the last item of the previous page, which the handler
 * chooses (audit: "seq"; certificates: "issued_at|serial"). A handler asks
 * the database for limit + 1 rows in a stable order (the sort key is
 * unique), returns limit of them, and passes the key of the last one
 * returned when there was one more.
 */
#ifndef JPKI_PAGING_H
#define JPKI_PAGING_H

#include <jansson.h>

#include "api/api.h"

#define API_PAGE_DEFAULT	50
#define API_PAGE_MAX		500

struct api_page {
	int	limit;
	int	has_after;	/* a cursor was given */
	char	after[192];	/* the decoded sort key (NUL-terminated, no NUL inside) */
};

/* Read limit and cursor. 0, or -1 with resp set to 400 naming the field. */
int	api_page_parse(struct api_req *, struct api_resp *, struct api_page *);
/* The limit as text, plus one (the query's LIMIT), into buf. */
const char *api_page_limit_plus_one(const struct api_page *, char *buf, size_t len);
/*
 * The envelope {"items": items, "next_cursor": ...}; steals items.
 * next_key NULL: this is the last page.
 */
json_t	*api_page_body(json_t *items, const char *next_key);
/* base64url of key into out (no padding). 0, or -1 when out is too small. */
int	 api_cursor_encode(const char *key, char *out, size_t outlen);

#endif
