/*
 * policy: see policy.h. One function per rule of docs/rules.md; every refusal
 * carries its rule id. Dates are JST calendar dates (jpdate).
 *
 * This file: the refusal helpers shared through policy_int.h, the names
 * of the enums, who may get a certificate (R1-R5), validity (R6, R7),
 * renewal (R8) and the plan of an application (R9). Applicants and
 * evidence (R13, R14) are in policy_applicant.c; the Juki card, fees,
 * suspensions, counter hours and certificate values (R17-R20, R25) in
 * policy_counter.c.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ca/jpdate.h"
#include "ca/policy.h"
#include "ca/policy_int.h"

/* ---- Refusals (shared: policy_int.h) ---- */

void
policy_int_refuse(struct policy_refusal *r, const char *rule, const char *slug,
    const char *fmt, ...)
{
	va_list ap;

	if (r == NULL)
		return;
	memset(r, 0, sizeof(*r));
	r->rule = rule;
	r->slug = slug;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

void
policy_int_refuse_field(struct policy_refusal *r, const char *field)
{
	if (r != NULL && r->nfields < POLICY_MAX_FIELDS)
		r->fields[r->nfields++] = field;
}

void
policy_int_detail_append(struct policy_refusal *r, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (r == NULL)
		return;
	used = strlen(r->detail);
	if (used + 1 >= sizeof(r->detail))
		return;
	va_start(ap, fmt);
	vsnprintf(r->detail + used, sizeof(r->detail) - used, fmt, ap);
	va_end(ap);
}

int
policy_int_streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Optional strings (former surname, alias): NULL and "" both mean none. */
static int
opt_eq(const char *a, const char *b)
{
	if (a == NULL)
		a = "";
	if (b == NULL)
		b = "";
	return strcmp(a, b) == 0;
}

/*
 * R8/R9: a certificate is valid at now up to and including its notAfter
 * second (X.509 validity is inclusive).
 */
static int
cert_valid_at(const struct policy_cert *c, time_t now)
{
	return c != NULL && c->present && c->not_after >= now;
}

/* ---- Names ---- */

const char *
policy_type_name(enum policy_type t)
{
	switch (t) {
	case POLICY_SIGN:
		return "sign";
	case POLICY_AUTH:
		return "auth";
	}
	return "unknown";
}

int
policy_type_parse(const char *s, enum policy_type *out)
{
	if (policy_int_streq(s, "sign"))
		*out = POLICY_SIGN;
	else if (policy_int_streq(s, "auth"))
		*out = POLICY_AUTH;
	else
		return -1;
	return 0;
}

const char *
policy_applicant_name(enum policy_applicant a)
{
	switch (a) {
	case POLICY_SELF:
		return "self";
	case POLICY_LEGAL_REP:
		return "legal_representative";
	case POLICY_PROXY:
		return "voluntary_proxy";
	}
	return "unknown";
}

int
policy_applicant_parse(const char *s, enum policy_applicant *out)
{
	if (policy_int_streq(s, "self"))
		*out = POLICY_SELF;
	else if (policy_int_streq(s, "legal_representative"))
		*out = POLICY_LEGAL_REP;
	else if (policy_int_streq(s, "voluntary_proxy"))
		*out = POLICY_PROXY;
	else
		return -1;
	return 0;
}

const char *
policy_procedure_name(enum policy_procedure p)
{
	switch (p) {
	case POLICY_ISSUE:
		return "issue";
	case POLICY_RENEW:
		return "renew";
	case POLICY_PIN_RESET:
		return "pin_reset";
	}
	return "unknown";
}

int
policy_procedure_parse(const char *s, enum policy_procedure *out)
{
	if (policy_int_streq(s, "issue"))
		*out = POLICY_ISSUE;
	else if (policy_int_streq(s, "renew"))
		*out = POLICY_RENEW;
	else if (policy_int_streq(s, "pin_reset"))
		*out = POLICY_PIN_RESET;
	else
		return -1;
	return 0;
}

const char *
policy_renewal_name(enum policy_renewal k)
{
	switch (k) {
	case POLICY_NEW:
		return "new";
	case POLICY_RENEW_WINDOW:
		return "renewal";
	case POLICY_RENEW_EXPIRED:
		return "renewal_after_expiry";
	case POLICY_REISSUE_EARLY:
		return "reissue";
	}
	return "unknown";
}

/* ---- Who may get a certificate ---- */

/*
 * R1. The municipality is checked first: a terminal learns nothing about
 * the status of another municipality's resident (403, audited by api/).
 */
int
policy_r1_registered_here(const struct policy_resident *res, const char *terminal_muni,
    struct policy_refusal *r)
{
	if (!policy_int_streq(res->municipality_code, terminal_muni)) {
		policy_int_refuse(r, "R1", "other-municipality",
		    "the resident is not registered in this terminal's municipality");
		return -1;
	}
	if (!policy_int_streq(res->status, "registered")) {
		policy_int_refuse(r, "R1", "not-registered",
		    "the resident's register status is \"%s\", not \"registered\"",
		    res->status != NULL ? res->status : "");
		policy_int_refuse_field(r, "status");
		return -1;
	}
	return 0;
}

/*
 * R2, and R17 for a Juki card: from the R17 cutoff on a Juki card is an
 * R17 refusal; before it the card is still not a My Number card (R2).
 */
int
policy_r2_valid_card(const struct policy_card *card, time_t now, struct policy_refusal *r)
{
	char buf[16];

	if (card == NULL || !card->present) {
		policy_int_refuse(r, "R2", "no-card", "the resident holds no card on record");
		policy_int_refuse_field(r, "card_number");
		return -1;
	}
	if (card->juki) {
		if (policy_r17_juki(1, now, r) != 0)
			return -1;
		policy_int_refuse(r, "R2", "not-mynumber-card",
		    "the card is a Juki card, not a My Number card");
		policy_int_refuse_field(r, "card_number");
		return -1;
	}
	if (!policy_int_streq(card->status, "active")) {
		policy_int_refuse(r, "R2", "card-not-active", "the card is \"%s\", not \"active\"",
		    card->status != NULL ? card->status : "");
		policy_int_refuse_field(r, "card_number");
		return -1;
	}
	if (jpdate_cmp(card->expires_on, jpdate_from_time(now)) < 0) {
		policy_int_refuse(r, "R2", "card-expired", "the card expired on %s",
		    jpdate_format(card->expires_on, buf, sizeof(buf)));
		policy_int_refuse_field(r, "card_number");
		return -1;
	}
	return 0;
}

/* R3: every differing basic-four field is named, in register order. */
int
policy_r3_card_matches(const struct policy_resident *res, const struct policy_card *card,
    struct policy_refusal *r)
{
	const struct policy_four *a = &res->four, *b = &card->four;
	const char *diff[POLICY_MAX_FIELDS];
	int i, n = 0;

	if (!opt_eq(a->family_name, b->family_name))
		diff[n++] = "family_name";
	if (!opt_eq(a->given_name, b->given_name))
		diff[n++] = "given_name";
	if (!opt_eq(a->former_surname, b->former_surname))
		diff[n++] = "former_surname";
	if (!opt_eq(a->alias, b->alias))
		diff[n++] = "alias";
	if (jpdate_cmp(a->birth, b->birth) != 0)
		diff[n++] = "birth_date";
	if (a->sex != b->sex)
		diff[n++] = "sex";
	if (!opt_eq(a->address, b->address))
		diff[n++] = "address";
	if (n == 0)
		return 0;
	policy_int_refuse(r, "R3", "card-mismatch",
	    "the card surface differs from the register in:");
	for (i = 0; i < n; i++) {
		policy_int_detail_append(r, "%s %s", i == 0 ? "" : ",", diff[i]);
		policy_int_refuse_field(r, diff[i]);
	}
	policy_int_detail_append(r, "; update the card surface first");
	return -1;
}

/* R4 with R5's age on the JST date of now. */
int
policy_r4_sign_allowed(const struct policy_resident *res, time_t now, struct policy_refusal *r)
{
	int age = jpdate_age(res->four.birth, jpdate_from_time(now));

	if (age < 15) {
		policy_int_refuse(r, "R4", "sign-under-15",
		    "no SIGN certificate under 15 (age %d on the issuance date)", age);
		policy_int_refuse_field(r, "birth_date");
		return -1;
	}
	if (res->adult_ward) {
		policy_int_refuse(r, "R4", "sign-adult-ward",
		    "no SIGN certificate for an adult ward");
		policy_int_refuse_field(r, "adult_ward");
		return -1;
	}
	return 0;
}

/* ---- Validity ---- */

/* R6: ties between the birthday and the card go to "birthday". */
time_t
policy_r6_auth_not_after(struct jpdate birth, time_t now, int n, struct jpdate card_expires,
    const char **capped_by)
{
	time_t t, cap;
	const char *by = "birthday";

	t = jpdate_end_of_day(jpdate_nth_birthday_after(birth, jpdate_from_time(now), n));
	cap = jpdate_end_of_day(card_expires);
	if (cap < t) {
		t = cap;
		by = "card";
	}
	if (capped_by != NULL)
		*capped_by = by;
	return t;
}

/* R7: R6, then the valid AUTH's notAfter when it is earlier still. */
time_t
policy_r7_sign_not_after(struct jpdate birth, time_t now, int n, struct jpdate card_expires,
    time_t auth_not_after, const char **capped_by)
{
	const char *by;
	time_t t;

	t = policy_r6_auth_not_after(birth, now, n, card_expires, &by);
	if (auth_not_after != 0 && auth_not_after < t) {
		t = auth_not_after;
		by = "auth";
	}
	if (capped_by != NULL)
		*capped_by = by;
	return t;
}

/* The CA's life: see policy.h. Ties (ending with the CA) are not a cap. */
int
policy_ca_life(enum policy_type t, time_t now, time_t ca_not_after, time_t *not_after,
    const char **capped_by, struct policy_refusal *r)
{
	struct jpdate end, opens;

	if (ca_not_after == 0 || *not_after <= ca_not_after)
		return 0;
	end = jpdate_from_time(ca_not_after);
	opens = jpdate_add_months(end, -POLICY_CA_MIN_MONTHS);
	if (ca_not_after <= now || jpdate_cmp(jpdate_from_time(now), opens) >= 0) {
		policy_int_refuse(r, t == POLICY_AUTH ? "R6" : "R7", "ca-rollover-required",
		    "the issuing %s CA ends %04d-%02d-%02d (JST), less than %d months from now:"
		    " a certificate issued now could not outlive it and would be due for"
		    " renewal at once; the CA must be rolled over before issuing",
		    t == POLICY_AUTH ? "AUTH" : "SIGN", end.y, end.m, end.d,
		    POLICY_CA_MIN_MONTHS);
		if (r != NULL)
			r->status = 409;
		return -1;
	}
	*not_after = ca_not_after;
	if (capped_by != NULL)
		*capped_by = "ca";
	return 1;
}

/*
 * R8: the window opens 3 calendar months before the JST date of notAfter
 * (clamped to the month's end) and includes that whole day.
 */
enum policy_renewal
policy_r8_renewal(const struct policy_cert *latest, time_t now, struct jpdate *window_opens)
{
	struct jpdate opens;

	if (latest == NULL || !latest->present)
		return POLICY_NEW;
	opens = jpdate_add_months(jpdate_from_time(latest->not_after), -3);
	if (window_opens != NULL)
		*window_opens = opens;
	if (!cert_valid_at(latest, now))
		return POLICY_RENEW_EXPIRED;
	if (jpdate_cmp(jpdate_from_time(now), opens) >= 0)
		return POLICY_RENEW_WINDOW;
	return POLICY_REISSUE_EARLY;
}

/* ---- Putting it together ---- */

/* The refusal of a plan, copied out; returns -1. */
static int
plan_refused(struct policy_plan *out, const struct policy_refusal *r)
{
	out->eligible = 0;
	out->refusal = *r;
	return -1;
}

int
policy_plan(const struct policy_ctx *ctx, enum policy_type t, enum policy_procedure proc,
    time_t auth_cap, struct policy_plan *out)
{
	const struct policy_resident *res = ctx->resident;
	const struct policy_cert *latest = &ctx->latest[t];
	struct policy_refusal r;
	time_t cap;
	int n;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (policy_r1_registered_here(res, ctx->terminal_municipality, &r) != 0)
		return plan_refused(out, &r);
	if (policy_r2_valid_card(ctx->card, ctx->now, &r) != 0)	/* R17 inside */
		return plan_refused(out, &r);
	if (policy_r3_card_matches(res, ctx->card, &r) != 0)
		return plan_refused(out, &r);
	if (t == POLICY_SIGN && policy_r4_sign_allowed(res, ctx->now, &r) != 0)
		return plan_refused(out, &r);
	out->renewal = policy_r8_renewal(latest, ctx->now, &out->window_opens);
	if (proc == POLICY_RENEW && !latest->present) {
		policy_int_refuse(&r, "R8", "nothing-to-renew",
		    "the resident has no %s certificate to renew", policy_type_name(t));
		policy_int_refuse_field(&r, "procedure");
		return plan_refused(out, &r);
	}
	if (t == POLICY_SIGN && policy_r20_cert_names(res, &out->names, &r) != 0)
		return plan_refused(out, &r);

	n = out->renewal == POLICY_RENEW_WINDOW ? 6 : 5;
	if (t == POLICY_AUTH)
		out->not_after = policy_r6_auth_not_after(res->four.birth, ctx->now, n,
		    ctx->card->expires_on, &out->capped_by);
	else {
		cap = auth_cap;
		if (cap == 0 && cert_valid_at(&ctx->latest[POLICY_AUTH], ctx->now))
			cap = ctx->latest[POLICY_AUTH].not_after;
		out->not_after = policy_r7_sign_not_after(res->four.birth, ctx->now, n,
		    ctx->card->expires_on, cap, &out->capped_by);
	}
	if (policy_ca_life(t, ctx->now, ctx->ca_not_after[t], &out->not_after, &out->capped_by,
	    &r) < 0) {
		out->not_after = 0;
		out->capped_by = NULL;
		return plan_refused(out, &r);
	}
	out->eligible = 1;
	out->not_before = ctx->now;
	out->birthday_n = n;
	out->supersedes = cert_valid_at(latest, ctx->now);
	out->fee_yen = 0;
	return 0;
}

/*
 * Plans for types not in mask are zeroed (not eligible). A mask naming no
 * type, or bits beyond the two types, is not an application: -1.
 */
int
policy_plan_application(const struct policy_ctx *ctx, unsigned mask, enum policy_procedure proc,
    struct policy_plan plans[POLICY_NTYPES])
{
	const unsigned all = POLICY_TYPE_BIT(POLICY_SIGN) | POLICY_TYPE_BIT(POLICY_AUTH);
	time_t auth_cap = 0;
	int rc = 0;

	memset(plans, 0, sizeof(plans[0]) * POLICY_NTYPES);
	if (mask == 0 || (mask & ~all) != 0)
		return -1;
	if (mask & POLICY_TYPE_BIT(POLICY_AUTH)) {
		if (policy_plan(ctx, POLICY_AUTH, proc, 0, &plans[POLICY_AUTH]) != 0)
			rc = -1;
		else
			auth_cap = plans[POLICY_AUTH].not_after;
	}
	if (mask & POLICY_TYPE_BIT(POLICY_SIGN)) {
		if (policy_plan(ctx, POLICY_SIGN, proc, auth_cap, &plans[POLICY_SIGN]) != 0)
			rc = -1;
	}
	policy_r18_fee(mask, plans, ctx->card, &ctx->fees);
	/* R7/R8: a renewal that would not extend a certificate is warned about. */
	policy_int_warn(ctx, mask, proc, plans);
	return rc;
}
