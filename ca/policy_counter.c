/*
 * policy, at the counter: the Juki card cutoff (R17), fees (R18), what a
 * visit gains (R7 with AUTH in the same visit, R8 renewals that gain
 * nothing), suspensions and counter hours (R19), and the characters and values of a
 * SIGN certificate (R20, R25). See policy.h; the refusal helpers are in
 * policy_int.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/charset.h"
#include "ca/jpdate.h"
#include "ca/policy.h"
#include "ca/policy_int.h"

/* Address in a SIGN certificate: at most 200 characters (R25 .5). */
#define R25_ADDRESS_MAX		200

/* R25 .1 separators, UTF-8: U+3000 IDEOGRAPHIC SPACE, U+FF08/U+FF09 full-width parentheses. */
#define IDEOGRAPHIC_SPACE	"\xe3\x80\x80"
#define FW_LPAREN		"\xef\xbc\x88"
#define FW_RPAREN		"\xef\xbc\x89"

/* ---- Money, time, characters ---- */

int
policy_r17_juki(int juki, time_t now, struct policy_refusal *r)
{
	if (juki && now >= POLICY_R17_JUKI_CUTOFF) {
		policy_int_refuse(r, "R17", "juki-card",
		    "no issuance or renewal on a Juki card after 2015-12-22 17:00 JST");
		policy_int_refuse_field(r, "card_number");
		return -1;
	}
	return 0;
}

/* R18: see policy.h. Statuses as in cards.status (lost covers stolen, R11). */
int
policy_r18_reissued_card(const struct policy_card *card)
{
	static const char *const replaced[] = { "lost", "suspended", "reissued" };
	size_t i;

	if (card == NULL || !card->present || card->previous_status == NULL)
		return 0;
	for (i = 0; i < sizeof(replaced) / sizeof(replaced[0]); i++)
		if (strcmp(card->previous_status, replaced[i]) == 0)
			return 1;
	return 0;
}

/*
 * R18: type t of an eligible plan is payable on a re-issued card when no
 * certificate of t was issued on this card yet and the plan is not a
 * renewal: new, an early re-issue (R8), or "after expiry" of an older
 * certificate while the newest one was revoked (with the old card).
 */
static int
r18_payable(const struct policy_plan *p, const struct policy_card *card, enum policy_type t)
{
	if (!p->eligible || !policy_r18_reissued_card(card) || card->certs_on_card[t] != 0)
		return 0;
	switch (p->renewal) {
	case POLICY_NEW:
	case POLICY_REISSUE_EARLY:
		return 1;
	case POLICY_RENEW_EXPIRED:
		return card->newest_revoked[t];
	case POLICY_RENEW_WINDOW:
		return 0;
	}
	return 0;
}

/*
 * R18. One payable type costs reissue_yen; two cost reissue_both_yen in
 * all, with the whole amount on AUTH (issued first, R7) and 0 on SIGN, so
 * the per-type fees always add up to the total. Others cost 0.
 */
int
policy_r18_fee(unsigned mask, struct policy_plan plans[POLICY_NTYPES],
    const struct policy_card *card, const struct policy_fees *fees)
{
	static const enum policy_type order[POLICY_NTYPES] = { POLICY_AUTH, POLICY_SIGN };
	int payable[POLICY_NTYPES] = { 0, 0 };
	int i, npay = 0, total = 0, first = 1;
	enum policy_type t;

	for (i = 0; i < POLICY_NTYPES; i++) {
		t = order[i];
		if (!(mask & POLICY_TYPE_BIT(t)))
			continue;
		plans[t].fee_yen = 0;
		if (fees == NULL || fees->waived || card == NULL)
			continue;
		if ((payable[t] = r18_payable(&plans[t], card, t)) != 0)
			npay++;
	}
	for (i = 0; i < POLICY_NTYPES; i++) {
		t = order[i];
		if (!payable[t])
			continue;
		if (npay == 1)
			plans[t].fee_yen = fees->reissue_yen;
		else {
			plans[t].fee_yen = first ? fees->reissue_both_yen : 0;
			first = 0;
		}
		total += plans[t].fee_yen;
	}
	return total;
}

/* ---- What a visit gains (R7, R8) ---- */

time_t
policy_int_sign_with_auth(const struct policy_ctx *ctx, enum policy_procedure proc)
{
	struct policy_plan auth, sign;

	if (policy_plan(ctx, POLICY_AUTH, proc, 0, &auth) != 0 || !auth.eligible)
		return 0;
	if (policy_plan(ctx, POLICY_SIGN, proc, auth.not_after, &sign) != 0 || !sign.eligible)
		return 0;
	return sign.not_after;
}

/* "2027-02-21", the JST date of t. */
static const char *
jst_day(time_t t, char *buf, size_t len)
{
	return jpdate_format(jpdate_from_time(t), buf, len);
}

int
policy_r8_gains_nothing(const struct policy_ctx *ctx, enum policy_type t,
    struct policy_plan *p, time_t with_auth)
{
	const struct policy_cert *cur = &ctx->latest[t];
	const char *by = p->capped_by != NULL ? p->capped_by : "birthday", *rule, *why;
	struct policy_warning *w;
	char end[16], old[16], more[16];
	size_t n;

	if (!p->eligible || !cur->present || cur->not_after < ctx->now ||
	    p->not_after > cur->not_after || p->nwarnings >= POLICY_MAX_WARNINGS)
		return 0;
	if (strcmp(by, "auth") == 0) {
		rule = "R7";
		why = "capped by the valid AUTH certificate";
	} else if (strcmp(by, "card") == 0) {
		rule = t == POLICY_AUTH ? "R6" : "R7";
		why = "capped by the card's expiry: only a new card extends it";
	} else if (strcmp(by, "ca") == 0) {
		rule = t == POLICY_AUTH ? "R6" : "R7";
		why = "capped by the issuing CA's end";
	} else {
		rule = "R8";
		why = p->renewal == POLICY_REISSUE_EARLY ? "before the renewal window, counted to "
		    "the 5th birthday" : "the birthday counted ends no later";
	}
	w = &p->warnings[p->nwarnings++];
	w->rule = rule;
	w->slug = "renewal-gains-nothing";
	n = (size_t)snprintf(w->detail, sizeof(w->detail), "%s issued now would end %s (JST), "
	    "not after the current %s certificate (%s): %s", t == POLICY_AUTH ? "AUTH" : "SIGN",
	    jst_day(p->not_after, end, sizeof(end)), t == POLICY_AUTH ? "AUTH" : "SIGN",
	    jst_day(cur->not_after, old, sizeof(old)), why);
	if (t == POLICY_SIGN && strcmp(by, "auth") == 0 && with_auth > p->not_after &&
	    n < sizeof(w->detail))
		snprintf(w->detail + n, sizeof(w->detail) - n,
		    "; with AUTH renewed in the same visit SIGN ends %s",
		    jst_day(with_auth, more, sizeof(more)));
	return 1;
}

void
policy_int_warn(const struct policy_ctx *ctx, unsigned mask, enum policy_procedure proc,
    struct policy_plan plans[POLICY_NTYPES])
{
	time_t with_auth;
	int t;

	for (t = POLICY_NTYPES - 1; t >= 0; t--) {	/* AUTH first, as planned */
		if (!(mask & POLICY_TYPE_BIT(t)) || !plans[t].eligible)
			continue;
		with_auth = 0;
		if (t == POLICY_SIGN && !(mask & POLICY_TYPE_BIT(POLICY_AUTH)))
			with_auth = policy_int_sign_with_auth(ctx, proc);
		policy_r8_gains_nothing(ctx, (enum policy_type)t, &plans[t], with_auth);
	}
}

int
policy_plan_eligibility(const struct policy_ctx *ctx, enum policy_type t,
    struct policy_plan *out)
{
	struct policy_plan plans[POLICY_NTYPES], both[POLICY_NTYPES];
	int rc;

	rc = policy_plan_application(ctx, POLICY_TYPE_BIT(t), POLICY_ISSUE, plans);
	*out = plans[t];
	if (rc != 0 || t != POLICY_SIGN)
		return rc;
	if (policy_plan_application(ctx, POLICY_TYPE_BIT(POLICY_SIGN) |
	    POLICY_TYPE_BIT(POLICY_AUTH), POLICY_ISSUE, both) == 0 &&
	    both[POLICY_SIGN].not_after != out->not_after) {
		out->with_auth_not_after = both[POLICY_SIGN].not_after;
		out->with_auth_capped_by = both[POLICY_SIGN].capped_by;
	}
	return 0;
}

/* R19: windows are [starts, ends); overlapping ones: the latest end. */
int
policy_r19_suspended(time_t now, const struct policy_window *w, size_t n, time_t *until)
{
	size_t i;
	int active = 0;
	time_t end = 0;

	for (i = 0; w != NULL && i < n; i++) {
		if (w[i].starts <= now && now < w[i].ends) {
			if (!active || w[i].ends > end)
				end = w[i].ends;
			active = 1;
		}
	}
	if (active && until != NULL)
		*until = end;
	return active;
}

/*
 * R19: closed on a closed ISO weekday, 29 Dec - 3 Jan when year_end_closed,
 * any listed date, and outside [opens_min, closes_min) JST.
 */
int
policy_r19_counter_open(time_t now, const struct policy_hours *h, struct policy_refusal *r)
{
	struct jpdate day;
	char buf[16];
	long min;
	size_t i;
	int dow;

	if (h == NULL || !h->enforced)
		return 0;
	day = jpdate_from_time(now);
	min = (long)((now - jpdate_start_of_day(day)) / 60);
	dow = jpdate_isodow(day);
	jpdate_format(day, buf, sizeof(buf));
	if (h->closed_weekdays & (1u << dow)) {
		policy_int_refuse(r, "R19", "counter-closed",
		    "the counter is closed on %s (ISO weekday %d)", buf, dow);
		return -1;
	}
	if (h->year_end_closed && ((day.m == 12 && day.d >= 29) || (day.m == 1 && day.d <= 3))) {
		policy_int_refuse(r, "R19", "counter-closed",
		    "the counter is closed for the year end (29 December - 3 January): %s", buf);
		return -1;
	}
	for (i = 0; h->closed != NULL && i < h->nclosed; i++) {
		if (jpdate_cmp(h->closed[i], day) == 0) {
			policy_int_refuse(r, "R19", "counter-closed",
			    "the counter is closed on %s", buf);
			return -1;
		}
	}
	if (min < h->opens_min || min >= h->closes_min) {
		policy_int_refuse(r, "R19", "counter-closed",
		    "the counter is open %02d:%02d-%02d:%02d JST",
		    h->opens_min / 60, h->opens_min % 60, h->closes_min / 60, h->closes_min % 60);
		return -1;
	}
	return 0;
}

/* ---- R20/R25 certificate values ---- */

/* Optional strings (former surname, alias): NULL and "" both mean none. */
static int
opt_present(const char *s)
{
	return s != NULL && *s != '\0';
}

/* Output under construction: a UTF-8 value and its substitute map. */
struct composer {
	char	*val;
	size_t	 vallen, vused;
	char	*map;
	size_t	 maplen, mused;
	int	 overflow;
};

/* Append UTF-8 s (ncp code points) with mark ('0' or '1') per code point. */
static void
compose(struct composer *c, const char *s, char mark)
{
	long ncp = charset_utf8_len(s), i;
	size_t n = strlen(s);

	if (ncp < 0 || c->vused + n + 1 > c->vallen ||
	    c->mused + (size_t)ncp + 1 > c->maplen) {
		c->overflow = 1;
		return;
	}
	memcpy(c->val + c->vused, s, n);
	c->vused += n;
	c->val[c->vused] = '\0';
	for (i = 0; i < ncp; i++)
		c->map[c->mused++] = mark;
	c->map[c->mused] = '\0';
}

/* Append "U+XXXX" for each character of UTF-8 bad to r->detail. */
static void
detail_codepoints(struct policy_refusal *r, const char *bad)
{
	const unsigned char *p = (const unsigned char *)bad;
	unsigned long cp;
	int i, n;

	while (*p != 0) {
		/* bad holds valid UTF-8 from charset_r20_representable() */
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if (*p < 0xE0) {
			cp = *p & 0x1F;
			n = 2;
		} else if (*p < 0xF0) {
			cp = *p & 0x0F;
			n = 3;
		} else {
			cp = *p & 0x07;
			n = 4;
		}
		for (i = 1; i < n; i++)
			cp = (cp << 6) | (p[i] & 0x3F);
		policy_int_detail_append(r, " U+%04lX", cp);
		p += n;
	}
}

/*
 * R20 for one part: *use = s when representable, else its substitute when
 * there is one and it is representable (*subst = 1). Otherwise -1, with
 * the field and its characters at fault (as U+XXXX, never raw: control
 * characters do not belong in a problem document) added to r.
 */
static int
r20_part(const char *field, const char *s, const char *substitute, const char **use,
    int *subst, struct policy_refusal *r, int *nbad)
{
	char bad[256];
	int rc;

	*subst = 0;
	if ((rc = charset_r20_representable(s, bad, sizeof(bad))) == 1) {
		*use = s;
		return 0;
	}
	if (rc < 0 || substitute == NULL ||
	    charset_r20_representable(substitute, NULL, 0) != 1) {
		if (*nbad == 0)
			policy_int_refuse(r, "R20", "unrepresentable",
			    "not representable in JIS X 0208/0212 and no usable substitute form:");
		policy_int_detail_append(r, "%s %s:", *nbad == 0 ? "" : ";", field);
		if (rc < 0)
			policy_int_detail_append(r, " not valid UTF-8");
		else
			detail_codepoints(r, bad);
		if (substitute != NULL)
			policy_int_detail_append(r, " (substitute form not representable either)");
		policy_int_refuse_field(r, field);
		(*nbad)++;
		return -1;
	}
	*use = substitute;
	*subst = 1;
	return 0;
}

int
policy_r20_cert_names(const struct policy_resident *res, struct policy_cert_names *out,
    struct policy_refusal *r)
{
	const struct policy_four *f = &res->four;
	const char *family = NULL, *given = NULL, *former = NULL, *alias = NULL;
	const char *address = NULL;
	const char *given_in = f->given_name != NULL ? f->given_name : "";
	int sfam = 0, sgiv = 0, sfor = 0, sali = 0, sadd = 0, nbad = 0;
	struct composer c;
	long alen;

	memset(out, 0, sizeof(*out));
	r20_part("family_name", f->family_name != NULL ? f->family_name : "",
	    res->family_name_substitute, &family, &sfam, r, &nbad);
	r20_part("given_name", given_in, res->given_name_substitute, &given, &sgiv, r, &nbad);
	if (opt_present(f->former_surname))
		r20_part("former_surname", f->former_surname, NULL, &former, &sfor, r, &nbad);
	if (opt_present(f->alias))
		r20_part("alias", f->alias, NULL, &alias, &sali, r, &nbad);
	r20_part("address", f->address != NULL ? f->address : "", res->address_substitute,
	    &address, &sadd, r, &nbad);
	if (nbad > 0)
		return -1;

	memset(&c, 0, sizeof(c));
	c.val = out->name;
	c.vallen = sizeof(out->name);
	c.map = out->name_map;
	c.maplen = sizeof(out->name_map);
	compose(&c, family, sfam ? '1' : '0');
	if (*given != '\0') {
		compose(&c, IDEOGRAPHIC_SPACE, '0');
		compose(&c, given, sgiv ? '1' : '0');
	}
	if (former != NULL) {
		compose(&c, FW_LPAREN, '0');
		compose(&c, former, '0');
		compose(&c, FW_RPAREN, '0');
	}
	if (alias != NULL) {
		compose(&c, FW_LPAREN, '0');
		compose(&c, alias, '0');
		compose(&c, FW_RPAREN, '0');
	}
	if (c.overflow) {
		policy_int_refuse(r, "R25", "name-too-long",
		    "the name does not fit a certificate");
		policy_int_refuse_field(r, "family_name");
		return -1;
	}

	if ((alen = charset_utf8_len(address)) > R25_ADDRESS_MAX) {
		policy_int_refuse(r, "R25", "address-too-long", "the address has %ld characters; "
		    "a certificate holds at most %d", alen, R25_ADDRESS_MAX);
		policy_int_refuse_field(r, "address");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.val = out->address;
	c.vallen = sizeof(out->address);
	c.map = out->address_map;
	c.maplen = sizeof(out->address_map);
	compose(&c, address, sadd ? '1' : '0');
	if (c.overflow)
		abort();	/* 200 characters always fit */

	if (f->sex != '1' && f->sex != '2' && f->sex != '9') {
		policy_int_refuse(r, "R25", "invalid-sex", "sex must be 1, 2 or 9 (JIS X 0303)");
		policy_int_refuse_field(r, "sex");
		return -1;
	}
	out->sex[0] = f->sex;
	out->sex[1] = '\0';
	if (!jpdate_valid(f->birth)) {
		policy_int_refuse(r, "R25", "invalid-birth-date",
		    "the date of birth is not a valid date");
		policy_int_refuse_field(r, "birth_date");
		return -1;
	}
	jpdate_r25_birth(f->birth, out->birth, sizeof(out->birth));
	return 0;
}
