/*
 * policy, applicants and evidence: who may apply for the resident (R13,
 * with R5 ages), the voluntary proxy's inquiry and second visit (R13), and
 * the identity documents and authority that suffice (R14). See policy.h;
 * the refusal helpers are in policy_int.h.
 */
#include <config.h>

#include <string.h>

#include "ca/jpdate.h"
#include "ca/policy.h"
#include "ca/policy_int.h"

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
			policy_int_refuse(r, "R13", "legal-representative-required",
			    "a resident under 15 or an adult ward applies through a legal "
			    "representative");
			policy_int_refuse_field(r, "applicant.kind");
			return -1;
		}
		return 0;
	case POLICY_LEGAL_REP:
		if (age >= 18 && !res->adult_ward) {
			policy_int_refuse(r, "R13", "legal-representative-not-allowed",
			    "the resident is an adult (age %d) and not a ward: no legal "
			    "representative", age);
			policy_int_refuse_field(r, "applicant.kind");
			return -1;
		}
		return 0;
	case POLICY_PROXY:
		if (needs_rep) {
			policy_int_refuse(r, "R13", "proxy-not-allowed",
			    "no voluntary proxy for a resident under 15 or an adult ward");
			policy_int_refuse_field(r, "applicant.kind");
			return -1;
		}
		if (supersedes && !delegation_covers_revocation) {
			policy_int_refuse(r, "R13", "delegation-lacks-revocation",
			    "replacing a valid certificate (R9) needs a delegation that covers "
			    "revocation");
			policy_int_refuse_field(r, "delegation_covers_revocation");
			return -1;
		}
		return 0;
	}
	policy_int_refuse(r, "R13", "unknown-applicant", "unknown applicant kind");
	policy_int_refuse_field(r, "applicant.kind");
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
		policy_int_refuse(r, "R13", "same-day",
		    "a voluntary proxy's application filed on %s "
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
	if (policy_int_streq(state, "expired"))
		return POLICY_ANSWER_EXPIRED;
	if (!policy_int_streq(state, "open"))
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
	if (policy_int_streq(s, "none"))
		*out = POLICY_AUTHORITY_NONE;
	else if (policy_int_streq(s, "family_register"))
		*out = POLICY_AUTHORITY_FAMILY_REGISTER;
	else if (policy_int_streq(s, "guardianship"))
		*out = POLICY_AUTHORITY_GUARDIANSHIP;
	else if (policy_int_streq(s, "same_household"))
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
			policy_int_refuse(r, "R14", "unknown-document",
			    "unknown document kind \"%.100s\"", d->kind != NULL ? d->kind : "");
			policy_int_refuse_field(r, "evidence.documents");
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
	policy_int_refuse(r, "R14", "insufficient-evidence", "identity evidence is insufficient:");
	if (!have_doc) {
		switch (a) {
		case POLICY_SELF:
			policy_int_detail_append(r,
			    " the resident's own My Number card (not expired, "
			    "not a copy) is required");
			break;
		default:
			policy_int_detail_append(r,
			    " the %s's own photo ID of list A (not expired, not a "
			    "copy) is required", a == POLICY_LEGAL_REP ? "legal representative" :
			    "voluntary proxy");
			break;
		}
		policy_int_refuse_field(r, "evidence.documents");
	}
	if (need_auth) {
		policy_int_detail_append(r,
		    "%s proof of the legal representative's authority (family "
		    "register or guardianship registry certificate, or same household) is "
		    "required", have_doc ? "" : ";");
		policy_int_refuse_field(r, "evidence.authority");
	}
	return -1;
}
