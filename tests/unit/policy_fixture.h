/*
 * The planning fixture of the policy suites (tests/unit/test_policy.c,
 * tests/unit/test_fees.c): a resident registered in 131016 with the basic
 * four given, a matching active My Number card (2025-04-01 to 2040-01-01),
 * R18 fees 200 / 200 in all, no certificate on record.
 */
#ifndef JPKI_POLICY_FIXTURE_H
#define JPKI_POLICY_FIXTURE_H

#include <string.h>
#include <time.h>

#include "ca/policy.h"

struct fixture {
	struct policy_resident	res;
	struct policy_card	card;
	struct policy_ctx	ctx;
};

static inline void
fixture_init_four(struct fixture *f, time_t now, const struct policy_four *four)
{
	memset(f, 0, sizeof(*f));
	f->res.municipality_code = "131016";
	f->res.status = "registered";
	f->res.four = *four;
	f->card.present = 1;
	f->card.card_number = "C0000001";
	f->card.status = "active";
	f->card.issued_on = (struct jpdate){ 2025, 4, 1 };
	f->card.expires_on = (struct jpdate){ 2040, 1, 1 };
	f->card.four = *four;
	f->ctx.now = now;
	f->ctx.terminal_municipality = "131016";
	f->ctx.resident = &f->res;
	f->ctx.card = &f->card;
	f->ctx.fees.reissue_yen = 200;
	f->ctx.fees.reissue_both_yen = 200;
}

#endif
