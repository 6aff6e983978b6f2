/*
 * policy: see policy.h. One function per rule of RULES.md; every refusal
 * carries its rule id. Dates are JST calendar dates (jpdate).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/charset.h"
#include "ca/jpdate.h"
#include "ca/policy.h"

/* Address in a SIGN certificate: at most 200 characters (R25 .5). */
#define R25_ADDRESS_MAX		200

/* R25 .1 separators, UTF-8: U+3000 IDEOGRAPHIC SPACE, U+FF08/U+FF09 full-width parentheses. */
#define IDEOGRAPHIC_SPACE	"\xe3\x80\x80"
#define FW_LPAREN		"\xef\xbc\x88"
#define FW_RPAREN		"\xef\xbc\x89"

/* ---- Refusals ---- */

static void refuse(struct policy_refusal *, const char *, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Fill *r (when not NULL) with rule, slug and detail; no fields yet. */
static void
refuse(struct policy_refusal *r, const char *rule, const char *slug, const char *fmt, ...)
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

/* Name a field at fault (static string); ignored beyond POLICY_MAX_FIELDS. */
static void
refuse_field(struct policy_refusal *r, const char *field)
{
	if (r != NULL && r->nfields < POLICY_MAX_FIELDS)
		r->fields[r->nfields++] = field;
}

/* Append to r->detail, truncating. */
static void detail_append(struct policy_refusal *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
detail_append(struct policy_refusal *r, const char *fmt, ...)
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

static int
streq(const char *a, const char *b)
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

static int
opt_present(const char *s)
{
	return s != NULL && *s != '\0';
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
	if (streq(s, "sign"))
		*out = POLICY_SIGN;
	else if (streq(s, "auth"))
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
	if (streq(s, "self"))
		*out = POLICY_SELF;
	else if (streq(s, "legal_representative"))
		*out = POLICY_LEGAL_REP;
	else if (streq(s, "voluntary_proxy"))
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
	}
	return "unknown";
}

int
policy_procedure_parse(const char *s, enum policy_procedure *out)
{
	if (streq(s, "issue"))
		*out = POLICY_ISSUE;
	else if (streq(s, "renew"))
		*out = POLICY_RENEW;
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
	if (!streq(res->municipality_code, terminal_muni)) {
		refuse(r, "R1", "other-municipality",
		    "the resident is not registered in this terminal's municipality");
		return -1;
	}
	if (!streq(res->status, "registered")) {
		refuse(r, "R1", "not-registered", "the resident's register status is \"%s\", "
		    "not \"registered\"", res->status != NULL ? res->status : "");
		refuse_field(r, "status");
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
		refuse(r, "R2", "no-card", "the resident holds no card on record");
		refuse_field(r, "card_number");
		return -1;
	}
	if (card->juki) {
		if (policy_r17_juki(1, now, r) != 0)
			return -1;
		refuse(r, "R2", "not-mynumber-card",
		    "the card is a Juki card, not a My Number card");
		refuse_field(r, "card_number");
		return -1;
	}
	if (!streq(card->status, "active")) {
		refuse(r, "R2", "card-not-active", "the card is \"%s\", not \"active\"",
		    card->status != NULL ? card->status : "");
		refuse_field(r, "card_number");
		return -1;
	}
	if (jpdate_cmp(card->expires_on, jpdate_from_time(now)) < 0) {
		refuse(r, "R2", "card-expired", "the card expired on %s",
		    jpdate_format(card->expires_on, buf, sizeof(buf)));
		refuse_field(r, "card_number");
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
	refuse(r, "R3", "card-mismatch", "the card surface differs from the register in:");
	for (i = 0; i < n; i++) {
		detail_append(r, "%s %s", i == 0 ? "" : ",", diff[i]);
		refuse_field(r, diff[i]);
	}
	detail_append(r, "; update the card surface first");
	return -1;
}

/* R4 with R5's age on the JST date of now. */
int
policy_r4_sign_allowed(const struct policy_resident *res, time_t now, struct policy_refusal *r)
{
	int age = jpdate_age(res->four.birth, jpdate_from_time(now));

	if (age < 15) {
		refuse(r, "R4", "sign-under-15",
		    "no SIGN certificate under 15 (age %d on the issuance date)", age);
		refuse_field(r, "birth_date");
		return -1;
	}
	if (res->adult_ward) {
		refuse(r, "R4", "sign-adult-ward", "no SIGN certificate for an adult ward");
		refuse_field(r, "adult_ward");
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

/* ---- Applicants and evidence ---- */

/*
 * R13 with R5 ages: under 15 or ward: legal representative only; 15-17:
 * self or legal representative (or voluntary proxy); adults: self or
 * voluntary proxy.
 */
int
policy_r13_applicant(enum policy_applicant a, const struct policy_resident *res, time_t now,
    int supersedes, int delegation_covers_revocation, struct policy_refusal *r)
{
	int age = jpdate_age(res->four.birth, jpdate_from_time(now));
	int needs_rep = age < 15 || res->adult_ward;

	switch (a) {
	case POLICY_SELF:
		if (needs_rep) {
			refuse(r, "R13", "legal-representative-required",
			    "a resident under 15 or an adult ward applies through a legal "
			    "representative");
			refuse_field(r, "applicant.kind");
			return -1;
		}
		return 0;
	case POLICY_LEGAL_REP:
		if (age >= 18 && !res->adult_ward) {
			refuse(r, "R13", "legal-representative-not-allowed",
			    "the resident is an adult (age %d) and not a ward: no legal "
			    "representative", age);
			refuse_field(r, "applicant.kind");
			return -1;
		}
		return 0;
	case POLICY_PROXY:
		if (needs_rep) {
			refuse(r, "R13", "proxy-not-allowed",
			    "no voluntary proxy for a resident under 15 or an adult ward");
			refuse_field(r, "applicant.kind");
			return -1;
		}
		if (supersedes && !delegation_covers_revocation) {
			refuse(r, "R13", "delegation-lacks-revocation",
			    "replacing a valid certificate (R9) needs a delegation that covers "
			    "revocation");
			refuse_field(r, "delegation_covers_revocation");
			return -1;
		}
		return 0;
	}
	refuse(r, "R13", "unknown-applicant", "unknown applicant kind");
	refuse_field(r, "applicant.kind");
	return -1;
}

time_t
policy_r13_inquiry_expires(time_t created, int days)
{
	return jpdate_end_of_day(jpdate_add_days(jpdate_from_time(created), days));
}

int
policy_r13_second_visit(time_t filed, time_t now, struct policy_refusal *r)
{
	char buf[16];
	struct jpdate d = jpdate_from_time(filed);

	if (jpdate_cmp(jpdate_from_time(now), d) <= 0) {
		refuse(r, "R13", "same-day", "a voluntary proxy's application filed on %s "
		    "completes on a later day, never the same day",
		    jpdate_format(d, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

/*
 * R13: an inquiry is good up to and including its expires_at second;
 * expiry is checked before the code, so a late right code is EXPIRED.
 */
enum policy_answer
policy_r13_answer(const char *state, int wrong_attempts, time_t expires_at, time_t now,
    int code_matches)
{
	if (streq(state, "expired"))
		return POLICY_ANSWER_EXPIRED;
	if (!streq(state, "open"))
		return POLICY_ANSWER_VOID;
	if (now > expires_at)
		return POLICY_ANSWER_EXPIRED;
	if (wrong_attempts >= POLICY_R13_MAX_WRONG)
		return POLICY_ANSWER_VOID;
	if (code_matches)
		return POLICY_ANSWER_OK;
	if (wrong_attempts + 1 >= POLICY_R13_MAX_WRONG)
		return POLICY_ANSWER_VOID;
	return POLICY_ANSWER_WRONG;
}

/* R14 list A: photo ID issued by a public office. */
static const char *const docs_a[] = {
	"mynumber_card",
	"juki_card_photo",
	"drivers_licence",
	"driving_history_certificate",
	"passport",
	"residence_card",
	"special_permanent_resident_certificate",
	"disability_handbook",
};

/* R14 list B: other official documents. */
static const char *const docs_b[] = {
	"health_insurance_card",
	"pension_book",
	"pension_certificate",
	"student_id",
	"employee_id_photo",
	"juki_card",			/* a Juki card without photo */
	"nursing_care_insurance_card",
};

enum policy_doc_list
policy_doc_list(const char *kind)
{
	size_t i;

	if (kind == NULL)
		return POLICY_DOC_UNKNOWN;
	for (i = 0; i < sizeof(docs_a) / sizeof(docs_a[0]); i++)
		if (strcmp(kind, docs_a[i]) == 0)
			return POLICY_DOC_A;
	for (i = 0; i < sizeof(docs_b) / sizeof(docs_b[0]); i++)
		if (strcmp(kind, docs_b[i]) == 0)
			return POLICY_DOC_B;
	return POLICY_DOC_UNKNOWN;
}

int
policy_authority_parse(const char *s, enum policy_authority *out)
{
	if (streq(s, "none"))
		*out = POLICY_AUTHORITY_NONE;
	else if (streq(s, "family_register"))
		*out = POLICY_AUTHORITY_FAMILY_REGISTER;
	else if (streq(s, "guardianship"))
		*out = POLICY_AUTHORITY_GUARDIANSHIP;
	else if (streq(s, "same_household"))
		*out = POLICY_AUTHORITY_SAME_HOUSEHOLD;
	else
		return -1;
	return 0;
}

/* R14: a document counts when it is neither expired nor a copy. */
static int
doc_counts(const struct policy_doc *d)
{
	return !d->expired && !d->copy;
}

/*
 * R14. Unknown kinds are refused before anything else (the declaration is
 * recorded, so it must be one we understand). Sufficient:
 *   self:      a counting "mynumber_card" of the resident;
 *   legal rep: a counting list-A document of the applicant, and authority
 *              other than NONE (SAME_HOUSEHOLD stands for omitted proof);
 *   proxy:     a counting list-A document of the applicant.
 */
int
policy_r14_evidence(enum policy_applicant a, const struct policy_evidence *ev,
    struct policy_refusal *r)
{
	const struct policy_doc *d;
	enum policy_authority authority = POLICY_AUTHORITY_NONE;
	size_t i, ndocs = 0;
	int have_doc = 0, need_auth = 0;

	if (ev != NULL) {
		ndocs = ev->docs != NULL ? ev->ndocs : 0;
		authority = ev->authority;
	}
	for (i = 0; i < ndocs; i++) {
		d = &ev->docs[i];
		if (policy_doc_list(d->kind) == POLICY_DOC_UNKNOWN) {
			refuse(r, "R14", "unknown-document", "unknown document kind \"%.100s\"",
			    d->kind != NULL ? d->kind : "");
			refuse_field(r, "evidence.documents");
			return -1;
		}
	}
	for (i = 0; i < ndocs; i++) {
		d = &ev->docs[i];
		if (!doc_counts(d))
			continue;
		switch (a) {
		case POLICY_SELF:
			if (d->holder == POLICY_HOLDER_RESIDENT &&
			    strcmp(d->kind, "mynumber_card") == 0)
				have_doc = 1;
			break;
		case POLICY_LEGAL_REP:
		case POLICY_PROXY:
			if (d->holder == POLICY_HOLDER_APPLICANT &&
			    policy_doc_list(d->kind) == POLICY_DOC_A)
				have_doc = 1;
			break;
		}
	}
	if (a == POLICY_LEGAL_REP && authority == POLICY_AUTHORITY_NONE)
		need_auth = 1;
	if (have_doc && !need_auth)
		return 0;
	refuse(r, "R14", "insufficient-evidence", "identity evidence is insufficient:");
	if (!have_doc) {
		switch (a) {
		case POLICY_SELF:
			detail_append(r, " the resident's own My Number card (not expired, "
			    "not a copy) is required");
			break;
		default:
			detail_append(r, " the %s's own photo ID of list A (not expired, not a "
			    "copy) is required", a == POLICY_LEGAL_REP ? "legal representative" :
			    "voluntary proxy");
			break;
		}
		refuse_field(r, "evidence.documents");
	}
	if (need_auth) {
		detail_append(r, "%s proof of the legal representative's authority (family "
		    "register or guardianship registry certificate, or same household) is "
		    "required", have_doc ? "" : ";");
		refuse_field(r, "evidence.authority");
	}
	return -1;
}

/* ---- Money, time, characters ---- */

int
policy_r17_juki(int juki, time_t now, struct policy_refusal *r)
{
	if (juki && now >= POLICY_R17_JUKI_CUTOFF) {
		refuse(r, "R17", "juki-card", "no issuance or renewal on a Juki card after "
		    "2015-12-22 17:00 JST");
		refuse_field(r, "card_number");
		return -1;
	}
	return 0;
}

/*
 * R18. Payable: an eligible plan of kind NEW or REISSUE_EARLY on a
 * re-issued card with no certificate issued on it yet. One payable type
 * costs reissue_yen; two cost reissue_both_yen in all, split with the
 * whole amount on AUTH (issued first, R7) and 0 on SIGN, so the per-type
 * fees always add up to the total. Ineligible plans cost 0.
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
		if (fees == NULL || fees->waived || card == NULL || !plans[t].eligible)
			continue;
		if (!card->reissued || card->certs_issued_on_card != 0)
			continue;
		if (plans[t].renewal != POLICY_NEW && plans[t].renewal != POLICY_REISSUE_EARLY)
			continue;
		payable[t] = 1;
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
		refuse(r, "R19", "counter-closed", "the counter is closed on %s (ISO weekday %d)",
		    buf, dow);
		return -1;
	}
	if (h->year_end_closed && ((day.m == 12 && day.d >= 29) || (day.m == 1 && day.d <= 3))) {
		refuse(r, "R19", "counter-closed", "the counter is closed for the year end "
		    "(29 December - 3 January): %s", buf);
		return -1;
	}
	for (i = 0; h->closed != NULL && i < h->nclosed; i++) {
		if (jpdate_cmp(h->closed[i], day) == 0) {
			refuse(r, "R19", "counter-closed", "the counter is closed on %s", buf);
			return -1;
		}
	}
	if (min < h->opens_min || min >= h->closes_min) {
		refuse(r, "R19", "counter-closed", "the counter is open %02d:%02d-%02d:%02d JST",
		    h->opens_min / 60, h->opens_min % 60, h->closes_min / 60, h->closes_min % 60);
		return -1;
	}
	return 0;
}

/* ---- R20/R25 certificate values ---- */

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
		detail_append(r, " U+%04lX", cp);
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
			refuse(r, "R20", "unrepresentable", "not representable in JIS X 0208/0212 "
			    "and no usable substitute form:");
		detail_append(r, "%s %s:", *nbad == 0 ? "" : ";", field);
		if (rc < 0)
			detail_append(r, " not valid UTF-8");
		else
			detail_codepoints(r, bad);
		if (substitute != NULL)
			detail_append(r, " (substitute form not representable either)");
		refuse_field(r, field);
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
		refuse(r, "R25", "name-too-long", "the name does not fit a certificate");
		refuse_field(r, "family_name");
		return -1;
	}

	if ((alen = charset_utf8_len(address)) > R25_ADDRESS_MAX) {
		refuse(r, "R25", "address-too-long", "the address has %ld characters; "
		    "a certificate holds at most %d", alen, R25_ADDRESS_MAX);
		refuse_field(r, "address");
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
		refuse(r, "R25", "invalid-sex", "sex must be 1, 2 or 9 (JIS X 0303)");
		refuse_field(r, "sex");
		return -1;
	}
	out->sex[0] = f->sex;
	out->sex[1] = '\0';
	if (!jpdate_valid(f->birth)) {
		refuse(r, "R25", "invalid-birth-date", "the date of birth is not a valid date");
		refuse_field(r, "birth_date");
		return -1;
	}
	jpdate_r25_birth(f->birth, out->birth, sizeof(out->birth));
	return 0;
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
	struct policy_cert_names names;
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
		refuse(&r, "R8", "nothing-to-renew", "the resident has no %s certificate to renew",
		    policy_type_name(t));
		refuse_field(&r, "procedure");
		return plan_refused(out, &r);
	}
	if (t == POLICY_SIGN && policy_r20_cert_names(res, &names, &r) != 0)
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
	return rc;
}
