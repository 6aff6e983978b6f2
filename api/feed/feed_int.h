/*
 * feed_int: what the register feed's files share inside api/feed/ (feed.c,
 * cards.c, feed_fields.c). Not for other folders: they use api/feed/feed.h.
 */
#ifndef JPKI_FEED_INT_H
#define JPKI_FEED_INT_H

#include "api/feed/feed.h"

/* feed_fields.c: the validated card row (card_number from the path), or NULL with errors. */
json_t	*feed_card_row(json_t *obj, const char *number, struct jpdate today, json_t *errors);

/* feed.c: shared steps of PUT /v1/residents and PUT /v1/cards. */
/* The body as a JSON object, or NULL with resp set (400 invalid-json). */
json_t	*feed_body_object(struct api_req *, struct api_resp *);
/* 422 invalid-field with errors (stolen) as "fields". */
void	 feed_invalid_fields(struct api_resp *, json_t *errors);
/* 409 when the database refused the data itself, else 503. */
void	 feed_tx_failed(struct api_req *, struct api_resp *, const struct store_err *);
/* Names of the fields of row (but skip) whose value differs from old's. */
json_t	*feed_changed_fields(json_t *row, json_t *old, const char *skip, int created);
/* The serials of a revoked array ([{serial, type, reason}]). */
json_t	*feed_serials_of(json_t *revoked);

#endif
