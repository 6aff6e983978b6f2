/*
 * pin_resets: what api/counter/applications.c needs from the PIN reset handlers
 * (api/counter/pin_resets.c) for "procedure": "pin_reset" applications (R16a).
 */
#ifndef JPKI_PIN_RESETS_H
#define JPKI_PIN_RESETS_H

#include "api/counter/counter.h"
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

#endif
