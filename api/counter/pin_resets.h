/*
 * pin_resets: what api/counter/applications.c needs from the PIN reset handlers
 * (api/counter/pin_resets.c) for "procedure": "pin_reset" applications (R16a).
 */
#ifndef JPKI_PIN_RESETS_H
#define JPKI_PIN_RESETS_H

#include <jansson.h>

#include "api/api.h"
#include "api/counter/counter.h"
#include "ca/pinreset.h"
#include "ca/policy.h"
#include "db/store.h"

/*
 * R16a for a counter PIN reset of the keys in mask, with the facts of
 * counter_load(): R1, R2 and a valid certificate of each key on the card.
 * 0 when allowed, 1 refused (*r), -1 database failure (err).
 */
int	pin_reset_counter_check(struct store_conn *, const struct counter_facts *, unsigned mask,
	    struct policy_refusal *r, struct store_err *err);

/* 1 for a card number as the schema allows (1-16 of 0-9, A-Z). */
int	pin_reset_card_number_ok(const char *);

/* ---- tokens (api/counter/pin_reset_token.c, issue 13) ---- */
/* The 201 body of an authorization; token NULL: as stored for a replay. */
json_t	*pin_reset_authz_json(const struct pinreset_claims *, const char *token);
/* Sign the claims with the PIN reset authority: 0 and *token (malloc'd), or -1. */
int	pin_reset_authz_sign(struct app *, const struct pinreset_claims *, char **token);
/* Wipe and free a token (NULL is fine). */
void	pin_reset_token_free(char *token);
/*
 * An Idempotency-Key replay (resp as idem_begin() set it): a stored 201
 * without a token gets the token signed again, or a 409 when the authority
 * changed since. 0 (resp set), or -1 with err.
 */
int	pin_reset_replay(struct store_conn *, struct api_req *, struct api_resp *resp,
	    struct store_err *err);

#endif
