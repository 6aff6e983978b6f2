/*
 * policy, PIN resets: R14's evidence for a PIN reset in person and the
 * R16a reset channels (counter application, kiosk proof with the other
 * key, one-time short-lived authorizations). See policy.h ("pin resets").
 * The daemon never sees a PIN: these rules decide whether jpkid may
 * authorize the card to accept a new one.
 */
#include <config.h>

#include <string.h>

#include "ca/jpdate.h"
#include "ca/policy.h"
#include "ca/policy_int.h"

/* R14: a document counts when it is neither expired nor a copy. */
static int
counts(const struct policy_doc *d)
{
	return !d->expired && !d->copy;
}

/*
 * R14 "PIN reset in person: the card + one more of A or B"; "voluntary
 * proxy: two incl. one photo (A) for a PIN reset"; a legal representative
 * as for issuance (policy_r14_evidence). The resident's card is the
 * document the reset is for: it must be there and count.
 */
int
policy_r14_pin_reset_evidence(enum policy_applicant a, const struct policy_evidence *ev,
    struct policy_refusal *r)
{
	const struct policy_doc *d;
	size_t i, ndocs = ev != NULL && ev->docs != NULL ? ev->ndocs : 0;
	int card = 0, other = 0, list_a = 0, total = 0;

	for (i = 0; i < ndocs; i++)
		if (policy_doc_list(ev->docs[i].kind) == POLICY_DOC_UNKNOWN) {
			policy_int_refuse(r, "R14", "unknown-document",
			    "unknown document kind \"%.100s\"",
			    ev->docs[i].kind != NULL ? ev->docs[i].kind : "");
			policy_int_refuse_field(r, "evidence.documents");
			return -1;
		}
	if (a == POLICY_LEGAL_REP)
		return policy_r14_evidence(a, ev, r);
	for (i = 0; i < ndocs; i++) {
		d = &ev->docs[i];
		if (!counts(d))
			continue;
		if (a == POLICY_SELF && d->holder == POLICY_HOLDER_RESIDENT) {
			if (!card && strcmp(d->kind, "mynumber_card") == 0)
				card = 1;
			else
				other = 1;
		} else if (a == POLICY_PROXY && d->holder == POLICY_HOLDER_APPLICANT) {
			total++;
			if (policy_doc_list(d->kind) == POLICY_DOC_A)
				list_a = 1;
		}
	}
	if (a == POLICY_SELF && card && other)
		return 0;
	if (a == POLICY_PROXY && total >= 2 && list_a)
		return 0;
	policy_int_refuse(r, "R14", "insufficient-evidence",
	    "identity evidence is insufficient for a PIN reset:");
	if (a == POLICY_SELF && !card)
		policy_int_detail_append(r, " the resident's own My Number card and one more "
		    "list A or B document of the resident (not expired, not copies) are required");
	else if (a == POLICY_SELF)
		policy_int_detail_append(r, " besides the My Number card, one more list A or B "
		    "document of the resident (not expired, not a copy) is required");
	else
		policy_int_detail_append(r, " two documents of the voluntary proxy, at least "
		    "one a photo ID of list A (not expired, not copies), are required "
		    "(%d counting, %s of list A)", total, list_a ? "one" : "none");
	policy_int_refuse_field(r, "evidence.documents");
	return -1;
}

int
policy_r16a_cert_valid(const struct policy_card_cert *c, time_t now)
{
	return c != NULL && c->present && policy_int_streq(c->status, "valid") &&
	    c->not_after >= now;
}

/* Why a card's certificate is not valid, for the clerk. */
static const char *
why_invalid(const struct policy_card_cert *c)
{
	if (c == NULL || !c->present)
		return "does not exist";
	if (policy_int_streq(c->status, "revoked"))
		return "is revoked";
	return "has expired";
}

int
policy_r16a_counter_reset(const struct policy_ctx *ctx, unsigned mask,
    const struct policy_card_cert certs[POLICY_NTYPES], struct policy_refusal *r)
{
	const unsigned all = POLICY_TYPE_BIT(POLICY_SIGN) | POLICY_TYPE_BIT(POLICY_AUTH);
	int t;

	if (mask == 0 || (mask & ~all) != 0) {
		policy_int_refuse(r, "R16a", "invalid-types", "one or both of sign, auth");
		policy_int_refuse_field(r, "types");
		return -1;
	}
	if (policy_r1_registered_here(ctx->resident, ctx->terminal_municipality, r) != 0 ||
	    policy_r2_valid_card(ctx->card, ctx->now, r) != 0)
		return -1;
	for (t = 0; t < POLICY_NTYPES; t++) {
		if ((mask & POLICY_TYPE_BIT(t)) == 0 || policy_r16a_cert_valid(&certs[t], ctx->now))
			continue;
		policy_int_refuse(r, "R16a", "no-certificate",
		    "the card's %s certificate %s: there is no valid %s key whose PIN could "
		    "be reset", t == POLICY_SIGN ? "SIGN" : "AUTH", why_invalid(&certs[t]),
		    policy_type_name(t));
		policy_int_refuse_field(r, "types");
		return -1;
	}
	return 0;
}

enum policy_type
policy_r16a_proof_type(enum policy_type t)
{
	return t == POLICY_SIGN ? POLICY_AUTH : POLICY_SIGN;
}

int
policy_r16a_kiosk_reset(enum policy_type t, int kiosk_auth_pin_reset,
    const struct policy_card *card, const struct policy_card_cert *proof, time_t now,
    struct policy_refusal *r)
{
	enum policy_type pt = policy_r16a_proof_type(t);

	if (t == POLICY_AUTH && !kiosk_auth_pin_reset) {
		policy_int_refuse(r, "R16a", "kiosk-no-auth-reset",
		    "this kiosk does not support AUTH PIN resets; the holder goes to a kiosk "
		    "that does, or to the counter");
		policy_int_refuse_field(r, "key_type");
		return -1;
	}
	if (policy_r2_valid_card(card, now, r) != 0)
		return -1;
	if (!policy_r16a_cert_valid(proof, now)) {
		policy_int_refuse(r, "R16a", "proof-certificate-invalid",
		    "a %s PIN reset at a kiosk is proven with the %s key, and the card's %s "
		    "certificate %s; reset the PIN at the counter",
		    t == POLICY_SIGN ? "SIGN" : "AUTH", pt == POLICY_SIGN ? "SIGN" : "AUTH",
		    pt == POLICY_SIGN ? "SIGN" : "AUTH", why_invalid(proof));
		policy_int_refuse_field(r, "signature");
		return -1;
	}
	return 0;
}

int
policy_r16a_challenge(int used, time_t expires_at, time_t now, struct policy_refusal *r)
{
	if (used) {
		policy_int_refuse(r, "R16a", "challenge-used",
		    "the challenge was used already; ask for a fresh one");
		policy_int_refuse_field(r, "challenge");
		return -1;
	}
	if (now > expires_at) {
		policy_int_refuse(r, "R16a", "challenge-expired",
		    "the challenge has expired; ask for a fresh one");
		policy_int_refuse_field(r, "challenge");
		return -1;
	}
	return 0;
}

int
policy_r16a_complete(int used, time_t expires_at, time_t now, struct policy_refusal *r)
{
	if (used) {
		policy_int_refuse(r, "R16a", "authorization-used",
		    "the authorization was used already (one-time)");
		return -1;
	}
	if (now > expires_at) {
		policy_int_refuse(r, "R16a", "authorization-expired",
		    "the authorization has expired; a new one is needed");
		return -1;
	}
	return 0;
}
