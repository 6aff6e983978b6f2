/*
 * policy: the rules of docs/rules.md that decide issuance (R1-R21), as pure
 * functions. Each rule lives in exactly one function here and is tested in
 * tests/unit/test_policy.c without a database. Callers (api/) gather the
 * facts from the database into the structures below, pass "now" in, and
 * turn a refusal into a problem document naming its rule.
 *
 * A check returns 0 when the rule is satisfied, or -1 with *r filled (rule
 * id, problem slug, human detail, the request/register fields at fault).
 * Nothing here allocates: strings in the inputs are borrowed, outputs are
 * fixed buffers.
 */
#ifndef JPKI_POLICY_H
#define JPKI_POLICY_H

#include <stddef.h>
#include <time.h>

#include "ca/jpdate.h"

enum policy_type { POLICY_SIGN = 0, POLICY_AUTH = 1 };
#define POLICY_NTYPES		2
#define POLICY_TYPE_BIT(t)	(1u << (t))

enum policy_applicant {
	POLICY_SELF,			/* 本人 */
	POLICY_LEGAL_REP,		/* 法定代理人 */
	POLICY_PROXY			/* 任意代理人 (voluntary proxy) */
};

/* pin_reset: R16/R16a PIN reset at the counter (types are the card's keys). */
enum policy_procedure { POLICY_ISSUE, POLICY_RENEW, POLICY_PIN_RESET };

#define POLICY_MAX_FIELDS	8

struct policy_refusal {
	const char	*rule;		/* "R4"; static */
	const char	*slug;		/* problem type slug, e.g. "sign-age"; static */
	char		 detail[512];	/* for the clerk; never a secret */
	const char	*fields[POLICY_MAX_FIELDS];	/* static field names at fault */
	int		 nfields;
	int		 status;	/* HTTP status of the problem; 0: 422 */
};

/* The basic four (plus capacity-free name parts) as in the register or on a card. */
struct policy_four {
	const char	*family_name;
	const char	*given_name;		/* "" when none */
	const char	*former_surname;	/* NULL when none (旧氏) */
	const char	*alias;			/* NULL when none (通称) */
	struct jpdate	 birth;
	char		 sex;			/* '1', '2', '9' */
	const char	*address;
};

struct policy_resident {
	const char	*municipality_code;
	const char	*status;		/* "registered", "removed", "deceased" */
	struct policy_four four;
	int		 adult_ward;
	/* R20 substitute forms; NULL when the register has none. */
	const char	*family_name_substitute;
	const char	*given_name_substitute;
	const char	*address_substitute;
};

struct policy_card {
	int		 present;		/* 0: the resident has no card on record */
	const char	*card_number;
	int		 juki;			/* a Juki card (R17) */
	const char	*status;		/* "active", "lost", ... */
	struct jpdate	 issued_on, expires_on;
	struct policy_four four;		/* recorded on the card (R3) */
	/* R18: the resident held an earlier My Number card (this one re-issued). */
	int		 reissued;
	/* R18: certificates ever issued on this card (any status). */
	int		 certs_issued_on_card;
};

/* The resident's latest certificate of one type that is not revoked. */
struct policy_cert {
	int		 present;
	time_t		 not_before, not_after;
};

struct policy_fees {		/* R18; amounts are configuration */
	int	reissue_yen;		/* per certificate, card re-issued: 200 */
	int	reissue_both_yen;	/* both at once, card re-issued: 200 in all */
	int	waived;			/* the municipality waives fees */
};

/* Everything the rules need to know about one resident at one instant. */
struct policy_ctx {
	time_t				 now;
	const char			*terminal_municipality;
	const struct policy_resident	*resident;
	const struct policy_card	*card;
	struct policy_cert		 latest[POLICY_NTYPES];
	struct policy_fees		 fees;
	/* notAfter of the issuing CA of each type (policy_ca_life); 0: no cap. */
	time_t				 ca_not_after[POLICY_NTYPES];
};

enum policy_renewal {
	POLICY_NEW,		/* no unrevoked certificate of the type: ordinary issuance */
	POLICY_RENEW_WINDOW,	/* R8: valid, within 3 months of notAfter: 6th birthday */
	POLICY_RENEW_EXPIRED,	/* R8: expired (not revoked): ordinary issuance, free */
	POLICY_REISSUE_EARLY	/* R8: valid, before the window: new issuance revoking it (R9) */
};

/* R20 + R25: the name and address values a SIGN certificate carries. */
struct policy_cert_names {
	char	name[1024];		/* R25 .1 */
	char	name_map[512];		/* R25 .2: '0'/'1' per character of name */
	char	address[1024];		/* R25 .5 */
	char	address_map[256];	/* R25 .6 */
	char	sex[2];			/* R25 .3 */
	char	birth[10];		/* R25 .4 "E"+YYYYMMDD */
};

/* What issuing one type now would mean. */
struct policy_plan {
	int			 eligible;
	struct policy_refusal	 refusal;	/* when !eligible */
	enum policy_renewal	 renewal;
	struct jpdate		 window_opens;	/* R8, when latest present */
	time_t			 not_before;	/* = now */
	time_t			 not_after;	/* R6/R7 (with caps) */
	int			 birthday_n;	/* 5 or 6: which birthday counted */
	const char		*capped_by;	/* NULL, "birthday", "card", "auth", "ca" */
	int			 supersedes;	/* R9: a valid certificate would be revoked */
	int			 fee_yen;	/* R18, this type alone */
	/* SIGN, when eligible: what the certificate carries (R20/R25), as checked. */
	struct policy_cert_names names;
};

/* "sign"/"auth", "self"/"legal_representative"/"voluntary_proxy", "issue"/"renew"/"pin_reset". */
const char	*policy_type_name(enum policy_type);
int		 policy_type_parse(const char *, enum policy_type *);
const char	*policy_applicant_name(enum policy_applicant);
int		 policy_applicant_parse(const char *, enum policy_applicant *);
const char	*policy_procedure_name(enum policy_procedure);
int		 policy_procedure_parse(const char *, enum policy_procedure *);
const char	*policy_renewal_name(enum policy_renewal);	/* "new", "renewal", "renewal_after_expiry", "reissue" */

/* ---- Who may get a certificate ---- */

/* R1: registered (status) in the terminal's municipality. */
int	policy_r1_registered_here(const struct policy_resident *, const char *terminal_muni,
	    struct policy_refusal *r);
/* R2 (and R17 for a Juki card): an active My Number card not past expires_on (JST date of now). */
int	policy_r2_valid_card(const struct policy_card *, time_t now, struct policy_refusal *r);
/* R3: the card's basic four equal the register's; fields names the differing ones ("family_name", ...). */
int	policy_r3_card_matches(const struct policy_resident *, const struct policy_card *,
	    struct policy_refusal *r);
/* R4 (with R5 age): SIGN refused under 15 on the JST date of now, or for an adult ward. */
int	policy_r4_sign_allowed(const struct policy_resident *, time_t now, struct policy_refusal *r);

/* ---- Validity ---- */

/*
 * R6: AUTH notAfter for issuance at now: end of the n-th birthday strictly
 * after the JST date of now (n = 5, or 6 for a renewal in the window, R8),
 * capped at the end of card_expires. *capped_by: "birthday" or "card".
 */
time_t	policy_r6_auth_not_after(struct jpdate birth, time_t now, int n, struct jpdate card_expires,
	    const char **capped_by);
/* R7: SIGN: as R6, also capped by auth_not_after when nonzero ("auth"). */
time_t	policy_r7_sign_not_after(struct jpdate birth, time_t now, int n, struct jpdate card_expires,
	    time_t auth_not_after, const char **capped_by);
/*
 * R6/R7 and the issuing CA's life: no certificate outlives its CA (the
 * lint would refuse it at the last step). When *not_after (as R6/R7 made
 * it) is after ca_not_after: capped to ca_not_after (*capped_by = "ca",
 * returns 1) when the CA still has at least POLICY_CA_MIN_MONTHS left,
 * i.e. the JST date of now is before the capped certificate's R8 renewal
 * window (3 calendar months before its notAfter date) opens; otherwise
 * refused (-1, r: 409 ca-rollover-required, rule R6 for AUTH, R7 for
 * SIGN): a certificate renewable the day it is issued would cost the
 * resident a second visit at once, so the CA must be rolled over first.
 * 0 (unchanged) when the certificate ends within the CA's life or
 * ca_not_after is 0.
 */
#define POLICY_CA_MIN_MONTHS	3	/* = the R8 renewal window */
int	policy_ca_life(enum policy_type t, time_t now, time_t ca_not_after, time_t *not_after,
	    const char **capped_by, struct policy_refusal *r);
/*
 * R8: classify issuing a type now, given its latest unrevoked certificate.
 * *window_opens is set when latest->present. Renewal procedure with no
 * certificate of the type on record is refused (R8) by policy_plan().
 */
enum policy_renewal policy_r8_renewal(const struct policy_cert *latest, time_t now,
	    struct jpdate *window_opens);

/* ---- Applicants and evidence ---- */

/*
 * R13: the applicant kind fits the resident: a legal representative is
 * required under 15 (R5 age on the JST date of now) or for an adult ward,
 * and allowed for any minor (under 18) or ward; a voluntary proxy is not
 * allowed for those under 15 or wards; a voluntary proxy replacing a
 * valid certificate (supersedes) needs delegation_covers_revocation.
 */
int	policy_r13_applicant(enum policy_applicant, const struct policy_resident *, time_t now,
	    int supersedes, int delegation_covers_revocation, struct policy_refusal *r);
/* R13: the inquiry expires at the end of the JST day created + days. */
time_t	policy_r13_inquiry_expires(time_t created, int days);
/* R13: never same-day: visit 2 must fall on a later JST date than visit 1. */
int	policy_r13_second_visit(time_t filed, time_t now, struct policy_refusal *r);
#define POLICY_R13_MAX_WRONG	5
enum policy_answer {
	POLICY_ANSWER_OK,	/* code matches: proceed */
	POLICY_ANSWER_WRONG,	/* wrong code, attempts left: wrong_attempts + 1 */
	POLICY_ANSWER_VOID,	/* wrong code that used the last attempt, or already void: void */
	POLICY_ANSWER_EXPIRED	/* past expires_at (checked before the code) */
};
/*
 * R13: outcome of entering an answer code. state is the inquiry state
 * ("open", "answered", "void", "expired"); code_matches was computed in
 * constant time by the caller. Not "open": VOID (void/answered) or EXPIRED.
 */
enum policy_answer policy_r13_answer(const char *state, int wrong_attempts, time_t expires_at,
	    time_t now, int code_matches);

/* R14 document lists. */
enum policy_doc_list { POLICY_DOC_UNKNOWN = 0, POLICY_DOC_A, POLICY_DOC_B };
/*
 * R14: the list of a document kind: A = "mynumber_card", "juki_card_photo",
 * "drivers_licence", "driving_history_certificate", "passport",
 * "residence_card", "special_permanent_resident_certificate",
 * "disability_handbook"; B = "health_insurance_card", "pension_book",
 * "pension_certificate", "student_id", "employee_id_photo"... (see policy.c).
 */
enum policy_doc_list policy_doc_list(const char *kind);

enum policy_holder { POLICY_HOLDER_RESIDENT, POLICY_HOLDER_APPLICANT };
struct policy_doc {
	const char		*kind;
	enum policy_holder	 holder;	/* whose document */
	int			 expired;	/* never counts */
	int			 copy;		/* never counts */
};
/* Proof of a legal representative's authority (R13/R14). */
enum policy_authority {
	POLICY_AUTHORITY_NONE,
	POLICY_AUTHORITY_FAMILY_REGISTER,	/* 戸籍謄本 */
	POLICY_AUTHORITY_GUARDIANSHIP,		/* 登記事項証明書 */
	POLICY_AUTHORITY_SAME_HOUSEHOLD		/* omitted: same household, same municipality */
};
int	policy_authority_parse(const char *, enum policy_authority *);
struct policy_evidence {
	const struct policy_doc	*docs;
	size_t			 ndocs;
	enum policy_authority	 authority;
};
/*
 * R14 for certificate issuance: self: the resident's My Number card;
 * legal representative: the representative's own list-A document plus
 * proof of authority (or same household); voluntary proxy: one list-A
 * document of the proxy. Expired documents and copies never count.
 * Unknown kinds are refused naming field "evidence.documents".
 */
int	policy_r14_evidence(enum policy_applicant, const struct policy_evidence *,
	    struct policy_refusal *r);

/* ---- Money, time, characters ---- */

/* R17: 2015-12-22 17:00:00 JST, the end of issuance on Juki cards. */
#define POLICY_R17_JUKI_CUTOFF	((time_t)1450771200)
/* R17: issuance on a Juki card is refused at and after the cutoff. */
int	policy_r17_juki(int juki, time_t now, struct policy_refusal *r);

/*
 * R18: fee of one application issuing the types in mask with the given
 * plans (plans[t] used when mask has t): renewals (in the window or after
 * expiry) are free; issuance on a re-issued card before any certificate
 * was issued on it costs reissue_yen per certificate, reissue_both_yen in
 * all when both are issued at once; everything else (with a first card,
 * later issuance) is free; waived makes every fee 0. Also fills
 * plans[t].fee_yen.
 */
int	policy_r18_fee(unsigned mask, struct policy_plan plans[POLICY_NTYPES],
	    const struct policy_card *, const struct policy_fees *);

struct policy_window { time_t starts, ends; };	/* [starts, ends) */
/* R19: 1 and *until = end of the active suspension, or 0. */
int	policy_r19_suspended(time_t now, const struct policy_window *w, size_t n, time_t *until);
struct policy_hours {
	int			 enforced;	/* off: always open */
	int			 opens_min, closes_min;	/* minutes after JST midnight, [opens, closes) */
	unsigned		 closed_weekdays;	/* bit d set: ISO weekday d closed */
	int			 year_end_closed;	/* 29 Dec - 3 Jan */
	const struct jpdate	*closed;		/* holidays and the municipality's own days */
	size_t			 nclosed;
};
/* R19: the counter is open at now (JST), when enforced. */
int	policy_r19_counter_open(time_t now, const struct policy_hours *, struct policy_refusal *r);

/*
 * R20/R25: compose the certificate values. name = family + U+3000 + given
 * (no space when given is empty), then "（" former surname "）" and
 * "（" alias "）" when registered. Each part (family, given, former,
 * alias, address) is used as is when representable (R20); otherwise its
 * substitute form (family/given/address only) when the register has one
 * and it is representable, with '1' in the map for each of its
 * characters; otherwise refused naming the field and the characters at
 * fault. Address longer than 200 characters: refused (R25).
 */
int	policy_r20_cert_names(const struct policy_resident *, struct policy_cert_names *out,
	    struct policy_refusal *r);

/* ---- Putting it together ---- */

/*
 * Plan issuing type t now, by rule order: R1, R17/R2, R3, R4 (SIGN), R8
 * (renew with nothing on record), R20 (SIGN), then validity R6/R7 with
 * R8's birthday count, capped by the issuing CA's notAfter or refused
 * (409) when the CA ends too soon (policy_ca_life). auth_cap: the notAfter SIGN must not pass (R7)
 * beyond the current valid AUTH, e.g. the AUTH planned in the same
 * application; 0 to take it from ctx->latest[POLICY_AUTH] when that one is
 * valid at now. fee_yen is left 0 (see policy_r18_fee).
 */
int	policy_plan(const struct policy_ctx *, enum policy_type t, enum policy_procedure,
	    time_t auth_cap, struct policy_plan *out);
/*
 * Plan an application for the types in mask: AUTH first, then SIGN capped
 * by the planned AUTH (R7), then fees (R18). Returns 0 when every type
 * requested is eligible, -1 otherwise (plans[t].eligible says which).
 */
int	policy_plan_application(const struct policy_ctx *, unsigned mask, enum policy_procedure,
	    struct policy_plan plans[POLICY_NTYPES]);

/* ---- revocation (ca/policy_revoke.c: R11, R26) ---- */

/*
 * R26: the reasons in use, with their RFC 5280 CRLReason codes.
 * certificateHold (6) and removeFromCRL (8) are never used; neither is
 * privilegeWithdrawn (9) or aACompromise (10).
 */
enum policy_reason {
	POLICY_REASON_UNSPECIFIED = 0,
	POLICY_REASON_KEY_COMPROMISE = 1,
	POLICY_REASON_CA_COMPROMISE = 2,
	POLICY_REASON_AFFILIATION_CHANGED = 3,
	POLICY_REASON_SUPERSEDED = 4,
	POLICY_REASON_CESSATION = 5
};

/* Who asks for a revocation (R26: who may use which reason). */
enum policy_revoker { POLICY_BY_TERMINAL, POLICY_BY_OPERATOR };

/* "keyCompromise", ...: the names of RFC 5280 and of certificates.reason. */
const char	*policy_reason_name(enum policy_reason);
/* 0 and *out for one of the six names in use; -1 for anything else. */
int		 policy_reason_parse(const char *, enum policy_reason *);
/* The RFC 5280 CRLReason code (enumerated value) of a reason. */
int		 policy_reason_code(enum policy_reason);
/*
 * R26: may revoker revoke with the reason named? A terminal: every reason
 * in use but cACompromise; an operator: every reason in use. certificateHold,
 * removeFromCRL and unknown names: never. 0 and *out, or -1 with *r
 * (field "reason").
 */
int	policy_r26_reason(const char *name, enum policy_revoker, enum policy_reason *out,
	    struct policy_refusal *r);
/*
 * R26: an invalidity date (RFC 5280 5.3.2: when the key is known or
 * suspected to have been compromised) may not be in the future (after now)
 * nor before the certificate's notBefore. 0, or -1 with *r (field
 * field, static).
 */
int	policy_r26_invalidity(time_t invalidity, time_t now, time_t not_before,
	    const char *field, struct policy_refusal *r);

/* R11: what may happen to a card. */
enum policy_card_event {
	POLICY_EVENT_LOST,
	POLICY_EVENT_STOLEN,
	POLICY_EVENT_SUSPENDED,
	POLICY_EVENT_RETURNED,
	POLICY_EVENT_REISSUED
};
#define POLICY_NEVENTS	5

const char	*policy_card_event_name(enum policy_card_event);
int		 policy_card_event_parse(const char *, enum policy_card_event *);

/* R11: the consequence of one card event. */
struct policy_r11 {
	const char		*status;	/* the card's new status ("lost", ...) */
	enum policy_reason	 reason;	/* for every valid certificate on the card */
	int			 both_types;	/* always 1: R11 revokes SIGN and AUTH */
	/* The time the event occurred is the certificates' invalidity date. */
	int			 invalidity_from_occurred;
};

/*
 * R11: apply event to a card whose status is card_status. lost/stolen ->
 * lost, keyCompromise (invalidity date = when it occurred); suspended ->
 * suspended, keyCompromise; returned -> returned, cessationOfOperation;
 * reissued -> reissued, superseded (Decision: "re-issued" means a new card
 * is made for the holder and new certificates go on it, docs/rules.md R11's
 * superseded case). Allowed from: active (every event); lost (returned,
 * reissued: a lost card is found and handed back, or replaced); suspended
 * (lost, stolen, returned, reissued). Never from returned, reissued or
 * expired (the card is gone: 409) nor an event that repeats the status.
 * 0 and *out, or -1 with *r (slug "card-event-not-allowed", field "event").
 */
int	policy_r11_card_event(enum policy_card_event, const char *card_status,
	    struct policy_r11 *out, struct policy_refusal *r);
/*
 * R11 for a card status set directly (PUT /v1/cards by the register feed):
 * the reason the certificates on the card are revoked with when a card
 * changes to status, or NULL when it revokes nothing (active; expired:
 * they end then anyway, R6/R7). Same reasons as policy_r11_card_event().
 */
const char	*policy_r11_status_reason(const char *status);

/*
 * Strict RFC 3339 date-time "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"
 * ('T'/'Z' in either case; fractions dropped). 0 and *out, or -1.
 */
int	policy_rfc3339_parse(const char *, time_t *out);

/* ---- end revocation ---- */

/* ---- pin resets ---- */
/* ca/policy_pin.c: R14 for a PIN reset, R16a reset channels. */

/*
 * R14 for a PIN reset at the counter: self: the resident's My Number card
 * plus one more list-A or list-B document of the resident; legal
 * representative: as for issuance (own list-A document and proof of
 * authority); voluntary proxy: two documents of the proxy, at least one of
 * list A. Expired documents and copies never count; unknown kinds are
 * refused (field "evidence.documents").
 */
int	policy_r14_pin_reset_evidence(enum policy_applicant, const struct policy_evidence *,
	    struct policy_refusal *r);

/* A card's latest certificate of one type (any status), for R16a. */
struct policy_card_cert {
	int		 present;
	const char	*status;	/* "valid", "revoked", "expired" */
	time_t		 not_after;
};
/* R16a: 1 when c is valid at now: status valid and not past notAfter. */
int	policy_r16a_cert_valid(const struct policy_card_cert *c, time_t now);
/*
 * R16a for a counter PIN reset application of the keys in mask: R1
 * (registered here), R2 (an active My Number card not past its expiry),
 * and for each key a valid certificate of that type on the card (slug
 * "no-certificate"; a PIN reset keeps the certificate, so there must be
 * one). certs[t] describes the card's latest certificate of type t.
 */
int	policy_r16a_counter_reset(const struct policy_ctx *, unsigned mask,
	    const struct policy_card_cert certs[POLICY_NTYPES], struct policy_refusal *r);
/* R16a: the key that proves a kiosk reset of key t (the other one). */
enum policy_type policy_r16a_proof_type(enum policy_type t);
/*
 * R16a at a kiosk, resetting key t: AUTH only at a kiosk that supports it
 * (slug "kiosk-no-auth-reset"); the card active and not expired (R2); the
 * card's certificate of the other type valid at now (slug
 * "proof-certificate-invalid"). card may be NULL (no such card: R2).
 */
int	policy_r16a_kiosk_reset(enum policy_type t, int kiosk_auth_pin_reset,
	    const struct policy_card *card, const struct policy_card_cert *proof, time_t now,
	    struct policy_refusal *r);
/*
 * R16a: a kiosk challenge is good once, up to and including expires_at:
 * used -> slug "challenge-used", past -> "challenge-expired".
 */
int	policy_r16a_challenge(int used, time_t expires_at, time_t now, struct policy_refusal *r);
/*
 * R16a: completing an authorization: used -> "authorization-used", past
 * expires_at -> "authorization-expired" (a used one is reported as used
 * even after its expiry).
 */
int	policy_r16a_complete(int used, time_t expires_at, time_t now, struct policy_refusal *r);
/* ---- end pin resets ---- */

/* ---- suspensions notices ---- */
/* ca/policy_notice.c: R19 suspension windows, R21 expiry notices. */

/* R21 Decision: notices go out 3 calendar months ahead ([notices] lead_months). */
#define POLICY_R21_LEAD_MONTHS		3
/* R19 Decision: one suspension lasts at most 14 days and starts within 366 days. */
#define POLICY_R19_MAX_SUSPENSION_S	(14 * 86400)
#define POLICY_R19_MAX_AHEAD_S		(366 * 86400)

/*
 * R21: the cutoff of the notices due at now: the end of day (23:59:59
 * JST) of the JST date of now plus lead_months calendar months, clamped to
 * the target month's last day; when now falls on the last day of its
 * month, the last day of the target month. So, with lead_months 3, a
 * certificate whose notAfter is at or before the cutoff is exactly one
 * whose R8 renewal window has opened (policy_r8_renewal counts 3 months
 * back from notAfter, clamped). lead_months >= 1.
 */
time_t	policy_r21_notice_cutoff(time_t now, int lead_months);
/*
 * R21: a certificate is due an expiry notice at now when it is valid (not
 * revoked, notAfter not passed) and notAfter <= the cutoff. "Never twice"
 * is the database's (notices has one row per certificate).
 */
int	policy_r21_notice_due(int revoked, time_t not_after, time_t now, int lead_months);
/*
 * R19: a suspension window an operator may schedule at now: ends after
 * starts (field "ends_at"), ends in the future ("ends_at"), lasts at most
 * POLICY_R19_MAX_SUSPENSION_S ("ends_at"), starts at most
 * POLICY_R19_MAX_AHEAD_S ahead ("starts_at"). 0, or -1 with *r (slug
 * "invalid-suspension").
 */
int	policy_r19_window_ok(time_t starts, time_t ends, time_t now, struct policy_refusal *r);
/* ---- end suspensions notices ---- */

#endif
