/*
 * policy, revocation: the reasons in use and who may use them (R26), the
 * invalidity-date rule, and what a card event does to the card and its
 * certificates (R11). Pure functions, see policy.h; tested in
 * tests/unit/test_revoke.c.
 */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ca/jpdate.h"
#include "ca/policy.h"
#include "ca/policy_int.h"

/* ---- R26: reasons ---- */

static const struct {
	enum policy_reason	 reason;
	const char		*name;
} reasons[] = {
	{ POLICY_REASON_UNSPECIFIED, "unspecified" },
	{ POLICY_REASON_KEY_COMPROMISE, "keyCompromise" },
	{ POLICY_REASON_CA_COMPROMISE, "cACompromise" },
	{ POLICY_REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ POLICY_REASON_SUPERSEDED, "superseded" },
	{ POLICY_REASON_CESSATION, "cessationOfOperation" },
};
#define NREASONS	(sizeof(reasons) / sizeof(reasons[0]))

const char *
policy_reason_name(enum policy_reason r)
{
	size_t i;

	for (i = 0; i < NREASONS; i++)
		if (reasons[i].reason == r)
			return reasons[i].name;
	abort();	/* not a reason in use: a bug */
}

int
policy_reason_parse(const char *s, enum policy_reason *out)
{
	size_t i;

	for (i = 0; s != NULL && i < NREASONS; i++)
		if (strcmp(s, reasons[i].name) == 0) {
			*out = reasons[i].reason;
			return 0;
		}
	return -1;
}

int
policy_reason_code(enum policy_reason r)
{
	return (int)r;	/* the enum values are the RFC 5280 codes */
}

int
policy_r26_reason(const char *name, enum policy_revoker who, enum policy_reason *out,
    struct policy_refusal *r)
{
	enum policy_reason reason;

	if (name != NULL && (strcmp(name, "certificateHold") == 0 ||
	    strcmp(name, "removeFromCRL") == 0)) {
		policy_int_refuse(r, "R26", "reason-never-used",
		    "R26: %s is never used; a revocation is final", name);
		policy_int_refuse_field(r, "reason");
		return -1;
	}
	if (policy_reason_parse(name, &reason) != 0) {
		policy_int_refuse(r, "R26", "reason-unknown",
		    "R26: the reason must be one of unspecified, keyCompromise, cACompromise,"
		    " affiliationChanged, superseded, cessationOfOperation");
		policy_int_refuse_field(r, "reason");
		return -1;
	}
	/* A CA compromise is declared by the CA's operators, never at a counter. */
	if (reason == POLICY_REASON_CA_COMPROMISE && who != POLICY_BY_OPERATOR) {
		policy_int_refuse(r, "R26", "reason-not-allowed",
		    "R26: only an operator may revoke with cACompromise");
		policy_int_refuse_field(r, "reason");
		return -1;
	}
	*out = reason;
	return 0;
}

int
policy_r26_invalidity(time_t inv, time_t now, time_t not_before, const char *field,
    struct policy_refusal *r)
{
	if (inv > now) {
		policy_int_refuse(r, "R26", "invalidity-date",
		    "R26: the invalidity date may not be in the future");
		policy_int_refuse_field(r, field);
		return -1;
	}
	if (inv < not_before) {
		policy_int_refuse(r, "R26", "invalidity-date",
		    "R26: the invalidity date may not be before the certificate's notBefore");
		policy_int_refuse_field(r, field);
		return -1;
	}
	return 0;
}

/* ---- R11: card events ---- */

static const char *const event_names[POLICY_NEVENTS] = {
	"lost", "stolen", "suspended", "returned", "reissued"
};

/*
 * Per event: the card's new status, the reason, whether the time it
 * occurred is the invalidity date, and the statuses it may come from.
 */
static const struct {
	const char		*status;
	enum policy_reason	 reason;
	int			 invalidity;
	const char *const	 from[3];
} r11[POLICY_NEVENTS] = {
	[POLICY_EVENT_LOST] = { "lost", POLICY_REASON_KEY_COMPROMISE, 1,
	    { "active", "suspended", NULL } },
	[POLICY_EVENT_STOLEN] = { "lost", POLICY_REASON_KEY_COMPROMISE, 1,
	    { "active", "suspended", NULL } },
	[POLICY_EVENT_SUSPENDED] = { "suspended", POLICY_REASON_KEY_COMPROMISE, 0,
	    { "active", NULL, NULL } },
	[POLICY_EVENT_RETURNED] = { "returned", POLICY_REASON_CESSATION, 0,
	    { "active", "lost", "suspended" } },
	[POLICY_EVENT_REISSUED] = { "reissued", POLICY_REASON_SUPERSEDED, 0,
	    { "active", "lost", "suspended" } },
};

const char *
policy_card_event_name(enum policy_card_event e)
{
	if ((unsigned)e >= POLICY_NEVENTS)
		abort();
	return event_names[e];
}

int
policy_card_event_parse(const char *s, enum policy_card_event *out)
{
	int i;

	for (i = 0; s != NULL && i < POLICY_NEVENTS; i++)
		if (strcmp(s, event_names[i]) == 0) {
			*out = (enum policy_card_event)i;
			return 0;
		}
	return -1;
}

int
policy_r11_card_event(enum policy_card_event e, const char *card_status,
    struct policy_r11 *out, struct policy_refusal *r)
{
	int i;

	if ((unsigned)e >= POLICY_NEVENTS)
		abort();
	for (i = 0; i < 3 && r11[e].from[i] != NULL; i++)
		if (policy_int_streq(card_status, r11[e].from[i])) {
			out->status = r11[e].status;
			out->reason = r11[e].reason;
			out->both_types = 1;
			out->invalidity_from_occurred = r11[e].invalidity;
			return 0;
		}
	if (policy_int_streq(card_status, "returned") || policy_int_streq(card_status, "reissued") ||
	    policy_int_streq(card_status, "expired"))
		policy_int_refuse(r, "R11", "card-event-not-allowed",
		    "R11: the card is %s; nothing more can happen to it", card_status);
	else
		policy_int_refuse(r, "R11", "card-event-not-allowed",
		    "R11: a card that is %s cannot be reported %s",
		    card_status != NULL ? card_status : "unknown", event_names[e]);
	policy_int_refuse_field(r, "event");
	return -1;
}

const char *
policy_r11_status_reason(const char *status)
{
	if (policy_int_streq(status, "lost") || policy_int_streq(status, "suspended"))
		return policy_reason_name(POLICY_REASON_KEY_COMPROMISE);
	if (policy_int_streq(status, "returned"))
		return policy_reason_name(POLICY_REASON_CESSATION);
	if (policy_int_streq(status, "reissued"))
		return policy_reason_name(POLICY_REASON_SUPERSEDED);
	return NULL;
}

/* ---- RFC 3339 ---- */

/* n digits at s into *v; -1 when not all digits. */
static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
policy_rfc3339_parse(const char *s, time_t *out)
{
	struct jpdate d;
	int hh, mm, ss, oh = 0, om = 0, sign = 0;
	const char *p;

	if (s == NULL || strlen(s) < 20)
		return -1;
	if (digits(s, 4, &d.y) || s[4] != '-' || digits(s + 5, 2, &d.m) || s[7] != '-' ||
	    digits(s + 8, 2, &d.d) || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &hh) || s[13] != ':' || digits(s + 14, 2, &mm) ||
	    s[16] != ':' || digits(s + 17, 2, &ss))
		return -1;
	if (!jpdate_valid(d) || hh > 23 || mm > 59 || ss > 59)	/* no leap seconds */
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -1;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 && !digits(p + 1, 2, &oh) &&
	    p[3] == ':' && !digits(p + 4, 2, &om) && oh <= 23 && om <= 59)
		sign = *p == '+' ? 1 : -1;
	else
		return -1;
	*out = (time_t)jpdate_to_days(d) * 86400 + hh * 3600 + mm * 60 + ss -
	    sign * (oh * 3600 + om * 60);
	return 0;
}
