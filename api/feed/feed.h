/*
 * feed: the resident-register feed (api/feed/feed.c: PUT /v1/residents/{code},
 * PUT /v1/cards/{number}; api/feed/import.c: POST /v1/residents:import). What
 * the two files share: validation of a resident object and the R10/R12
 * revocation step, so that a PUT and an import line accept exactly the
 * same input and revoke exactly the same certificates.
 */
#ifndef JPKI_FEED_H
#define JPKI_FEED_H

#include <jansson.h>

#include "api/api.h"
#include "ca/jpdate.h"
#include "db/store.h"

/* Batch size of POST /v1/residents:import (rows per upsert statement). */
#define FEED_IMPORT_BATCH	1000

/* 1 when s is exactly n ASCII digits. */
int	feed_digits(const char *s, size_t n);
/*
 * 1 when s is 1 to 16 of 0-9 and A-Z: a Juki card number, and the syntax
 * every card number has (a My Number card's 12 digits are one case).
 */
int	feed_card_number_ok(const char *s);

/*
 * Validate one resident object (the body of PUT /v1/residents/{code}, or
 * one import line). code is the resident code from the path, or NULL when
 * it comes from the object itself ("resident_code", import). Every problem
 * goes into errors as field -> message (nothing stops at the first one).
 * municipality existence is not checked here (it needs the database).
 *
 * Returns a new normalized row (every column of residents the feed writes,
 * absent optional ones as null, defaults applied, "resident_code" set) when
 * nothing was added to errors; NULL otherwise. today is the JST date that
 * birth dates may not be after.
 */
json_t	*feed_resident_row(json_t *obj, const char *code, struct jpdate today, json_t *errors);

/*
 * R10/R12 for the residents in codes (a PostgreSQL array literal of
 * resident codes, "{...}"): process their unprocessed register_changes in
 * the caller's transaction (Q_FEED_REGISTER_APPLY). When revoked is not
 * NULL, {serial, type, reason} objects are appended to it; *count (may be
 * NULL) gets the number revoked. 0, or -1 with err.
 */
int	feed_apply_register_changes(struct store_conn *, const char *codes, time_t now,
	    json_t *revoked, long *count, struct store_err *err);

#endif
