/*
 * pin_resets: R16a PIN reset authorizations (docs/foundation.md "API"; wire formats in
 * ca/pinreset.h):
 *
 *	GET  /v1/pin-resets/challenge?card_number=&key_type=	kiosk: a fresh challenge
 *	POST /v1/pin-resets				counter (application) or kiosk (proof)
 *	POST /v1/pin-resets/{id}/complete		the card accepted it: mark used
 *
 * (POST /v1/cards/{card_number}/pin-changes is in api/pin_changes.c.)
 *
 * The daemon never sees a PIN. It decides whether the card may accept a
 * new one and says so with a one-time authorization (a JWS signed by the
 * PIN reset authority, bound to card and key, valid a few minutes),
 * recorded by its SHA-256 (never the token) and audited in the same
 * transaction as the state change and the stored Idempotency-Key
 * response, which is stored without the token: a replay signs the same
 * claims again (RS256 is deterministic, so it is the same token, checked
 * against the recorded SHA-256), and no copy of a live authorization rests
 * in the database. Counter resets go through counter_gate() (R19 suspensions and
 * hours); kiosks only through suspensions (kiosk hours are not the
 * counter's).
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/idem.h"
#include "api/counter/pin_resets.h"
#include "ca/pinreset.h"
#include "common/clock.h"
#include "common/log.h"

#define SIG_MAX		1024	/* bytes of a kiosk proof signature (RSA-2048: 256) */

struct pr {
	struct api_req	*req;
	struct api_resp	*resp;
	time_t		 now;
	/* request */
	const char	*channel, *application_id, *card_number, *challenge, *signature;
	enum policy_type key;
	const char	*id;		/* complete: the authorization */
	/* outcome, audited after a refused transaction (kiosk proofs) */
	const char	*refused_slug;
	char		 refused_object[16];
	int		 scope_denied;
	char		 resident[12];
};

/* ------------------------------------------------------------ helpers */

int
pin_reset_card_number_ok(const char *s)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

static void
nowtext(time_t t, char *buf, size_t len)
{
	snprintf(buf, len, "%lld", (long long)t);
}

/* 503 "pin-reset-not-configured" unless [pinreset] is loaded. 0 when it is. */
static int
require_authority(struct api_req *req, struct api_resp *resp)
{
	int ok;

	pthread_rwlock_rdlock(&req->app->keys_lock);
	ok = req->app->keys != NULL && req->app->keys->pinreset.key != NULL;
	pthread_rwlock_unlock(&req->app->keys_lock);
	if (ok)
		return 0;
	api_problem(resp, 503, "pin-reset-not-configured", "Service Unavailable", NULL, NULL,
	    "this jpkid has no PIN reset authority ([pinreset] in jpkid.conf)");
	return -1;
}

/* R19 for kiosks: suspensions only. 0 open, 1 refused (resp), -1 err. */
static int
kiosk_gate(struct store_conn *c, struct api_req *req, time_t now, struct api_resp *resp,
    struct store_err *err)
{
	char nowbuf[24], buf[24];
	const char *v[1] = { nowbuf };
	PGresult *res;
	long long until;

	if (req->principal.kind != PRINCIPAL_KIOSK)
		return counter_gate(c, req, now, resp, err);
	nowtext(now, nowbuf, sizeof(nowbuf));
	if ((res = store_exec(c, Q_PIN_SUSPENDED, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return 0;
	}
	until = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	api_problem(resp, 503, "suspended", "Service Suspended", "R19", NULL,
	    "PIN resets are suspended until %s: %s",
	    counter_rfc3339((time_t)until, buf, sizeof(buf)), PQgetvalue(res, 0, 1));
	api_add_header(resp, "Retry-After", "%lld",
	    until - (long long)now > 0 ? until - (long long)now : 1);
	PQclear(res);
	return 1;
}

/* A policy refusal answered with status (409 for state conflicts, else 422). */
static void
refuse(struct api_req *req, struct api_resp *resp, int status, const struct policy_refusal *r)
{
	json_t *fields = NULL;
	int i;

	if (status == 422) {
		counter_refuse(req, resp, r);
		return;
	}
	if (r->nfields > 0) {
		fields = json_object();
		for (i = 0; i < r->nfields; i++)
			json_object_set_new(fields, r->fields[i], json_string(r->slug));
	}
	api_problem(resp, status, r->slug, "Conflict", r->rule, fields, "%s: %s", r->rule,
	    r->detail);
	resp->rule = r->rule;
	log_kv(LOG_LVL_INFO, "refused", "request_id", req->request_id, "rule", r->rule,
	    "slug", r->slug, (char *)NULL);
}

/* The card's latest certificate per type (Q_PIN_CARD_CERTS, binary result). */
static PGresult *
card_certs(struct store_conn *c, const char *card, struct policy_card_cert certs[POLICY_NTYPES],
    struct store_err *err)
{
	const char *v[1] = { card };
	PGresult *res;
	enum policy_type t;
	int i;

	memset(certs, 0, sizeof(certs[0]) * POLICY_NTYPES);
	if ((res = store_exec_bin(c, Q_PIN_CARD_CERTS, 1, v, NULL, NULL, err)) == NULL)
		return NULL;
	for (i = 0; i < PQntuples(res); i++) {
		if (policy_type_parse(PQgetvalue(res, i, 0), &t) != 0)
			continue;
		certs[t].present = 1;
		certs[t].status = PQgetvalue(res, i, 1);
		certs[t].not_after = (time_t)strtoll(PQgetvalue(res, i, 2), NULL, 10);
	}
	return res;
}

int
pin_reset_counter_check(struct store_conn *c, const struct counter_facts *f, unsigned mask,
    struct policy_refusal *r, struct store_err *err)
{
	struct policy_card_cert certs[POLICY_NTYPES];
	PGresult *res = NULL;
	int rc;

	memset(certs, 0, sizeof(certs));
	if (f->card.present && (res = card_certs(c, f->card.card_number, certs, err)) == NULL)
		return -1;
	rc = policy_r16a_counter_reset(&f->ctx, mask, certs, r) == 0 ? 0 : 1;
	PQclear(res);
	return rc;
}

/* A random (version 4) UUID. */
static int
new_uuid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
	    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/*
 * Sign and record an authorization for card/key through channel (with
 * application or kiosk/challenge), audit it and answer 201. The token is
 * returned to the client only; the database keeps its SHA-256.
 */
static int
authorize(struct store_conn *c, struct pr *p, const char *resident, const char *application,
    const char *kiosk, const char *challenge_id, struct store_err *err)
{
	struct api_req *req = p->req;
	struct app *app = req->app;
	struct pinreset_claims cl;
	unsigned char th[SHA256_DIGEST_LENGTH];
	char nowbuf[24], expbuf[24], tbuf[24];
	const char *v[10], *kname = policy_type_name(p->key);
	int l[10], fm[10], rc = -1, k;
	char *token = NULL;
	PGresult *res;
	json_t *o;
	struct api_resp stored;

	memset(&cl, 0, sizeof(cl));
	if (new_uuid(cl.id) != 0) {
		api_problem(p->resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "no randomness");
		return -1;
	}
	snprintf(cl.card_number, sizeof(cl.card_number), "%s", p->card_number);
	snprintf(cl.key_type, sizeof(cl.key_type), "%s", kname);
	snprintf(cl.channel, sizeof(cl.channel), "%s", p->channel);
	cl.iat = p->now;
	cl.exp = p->now + app->pinreset_authorization_ttl_s;
	if ((k = pin_reset_authz_sign(app, &cl, &token)) != 0) {
		api_problem(p->resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "the authorization could not be signed");
		return -1;
	}
	SHA256((const unsigned char *)token, strlen(token), th);
	nowtext(p->now, nowbuf, sizeof(nowbuf));
	nowtext(cl.exp, expbuf, sizeof(expbuf));
	memset(l, 0, sizeof(l));
	memset(fm, 0, sizeof(fm));
	v[0] = cl.id;
	v[1] = p->card_number;
	v[2] = kname;
	v[3] = p->channel;
	v[4] = application;
	v[5] = kiosk;
	v[6] = (const char *)th;
	l[6] = sizeof(th);
	fm[6] = 1;
	v[7] = nowbuf;
	v[8] = expbuf;
	v[9] = challenge_id;
	if ((res = store_exec(c, Q_PIN_AUTHZ_INSERT, 10, v, l, fm, err)) == NULL)
		goto out;
	PQclear(res);
	if (application != NULL) {
		/* The application completes when every key it names is authorized. */
		v[0] = application;
		v[1] = kname;
		v[2] = nowbuf;
		if ((res = store_exec(c, Q_APP_ISSUED, 3, v, NULL, NULL, err)) == NULL)
			goto out;
		PQclear(res);
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "authorization", cl.id, "card_number",
	    p->card_number, "key_type", kname, "channel", p->channel, "expires_at",
	    counter_rfc3339(cl.exp, tbuf, sizeof(tbuf)));
	if (application != NULL)
		json_object_set_new(o, "application", json_string(application));
	if (challenge_id != NULL)
		json_object_set_new(o, "challenge", json_string(challenge_id));
	if (audit_write(c, req, "pin_reset.authorize", resident, o, err) != 0)	/* no token */
		goto out;
	/*
	 * Stored for an Idempotency-Key replay without the token: the replay
	 * signs the same claims again (replay_authorization()).
	 */
	memset(&stored, 0, sizeof(stored));
	api_json(&stored, 201, pin_reset_authz_json(&cl, NULL));
	k = idem_finish(c, req, &stored, err);
	api_resp_free(&stored);
	if (k != 0)
		goto out;
	api_json(p->resp, 201, pin_reset_authz_json(&cl, token));
	log_kv(LOG_LVL_INFO, "R16a: PIN reset authorized", "request_id", req->request_id,
	    "authorization", cl.id, "channel", p->channel, "key_type", kname, (char *)NULL);
	rc = 0;
out:
	pin_reset_token_free(token);
	return rc;
}

/* ------------------------------------------------------------ challenge */

static int
challenge_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct pr *p = arg;
	struct api_req *req = p->req;
	struct api_resp *resp = p->resp;
	struct policy_refusal r;
	unsigned char h[SHA256_DIGEST_LENGTH];
	char ch[PINRESET_CHALLENGE_LEN + 8], kid[24], nowbuf[24], expbuf[24], tbuf[24];
	const char *v[6];
	int l[6] = { SHA256_DIGEST_LENGTH, 0, 0, 0, 0, 0 }, fm[6] = { 1, 0, 0, 0, 0, 0 };
	PGresult *res = NULL;
	int rc = -1;
	time_t exp = p->now + req->app->pinreset_challenge_ttl_s;

	api_resp_free(resp);
	if (kiosk_gate(c, req, p->now, resp, err) != 0)
		return -1;
	v[0] = p->card_number;
	if ((res = store_exec(c, Q_PIN_CARD_GET, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no card %s",
		    p->card_number);
		goto out;
	}
	PQclear(res);
	snprintf(kid, sizeof(kid), "%lld", req->principal.id);
	v[0] = kid;
	if ((res = store_exec(c, Q_PIN_KIOSK_GET, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (policy_r16a_kiosk_reset(p->key, PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "true") == 0, NULL, NULL, p->now, &r) != 0 &&
	    strcmp(r.slug, "kiosk-no-auth-reset") == 0) {
		counter_refuse(req, resp, &r);	/* the rest is checked with the proof */
		goto out;
	}
	if (pinreset_new_challenge(ch, sizeof(ch)) != 0) {
		api_problem(resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "no randomness");
		goto out;
	}
	SHA256((const unsigned char *)ch, strlen(ch), h);
	nowtext(p->now, nowbuf, sizeof(nowbuf));
	nowtext(exp, expbuf, sizeof(expbuf));
	v[0] = (const char *)h;
	v[1] = kid;
	v[2] = p->card_number;
	v[3] = policy_type_name(p->key);
	v[4] = nowbuf;
	v[5] = expbuf;
	PQclear(res);
	if ((res = store_exec(c, Q_PIN_CHALLENGE_INSERT, 6, v, l, fm, err)) == NULL)
		return -1;
	api_json(resp, 200, json_pack("{s:s, s:s, s:s, s:s}", "challenge", ch,
	    "card_number", p->card_number, "key_type", policy_type_name(p->key),
	    "expires_at", counter_rfc3339(exp, tbuf, sizeof(tbuf))));
	rc = 0;
out:
	PQclear(res);
	return rc;
}

void
api_pin_reset_challenge(struct api_req *req, struct api_resp *resp)
{
	struct pr p;
	json_t *fields = json_object();
	const char *kt = req->query(req->hctx, "key_type");

	memset(&p, 0, sizeof(p));
	p.req = req;
	p.resp = resp;
	p.now = clock_now();
	p.card_number = req->query(req->hctx, "card_number");
	if (!pin_reset_card_number_ok(p.card_number))
		json_object_set_new(fields, "card_number", json_string("a card number"));
	if (kt == NULL || policy_type_parse(kt, &p.key) != 0)
		json_object_set_new(fields, "key_type", json_string("sign or auth"));
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the query has invalid parameters");
		return;
	}
	json_decref(fields);
	if (require_authority(req, resp) != 0)
		return;
	app_run_tx(req, resp, challenge_tx, &p, NULL, NULL);
}

/* ------------------------------------------------------------ create */

/* Counter: a ready pin_reset application of this municipality naming the key. */
static int
counter_tx(struct store_conn *c, struct pr *p, struct store_err *err)
{
	struct api_req *req = p->req;
	struct api_resp *resp = p->resp;
	struct counter_facts f;
	struct policy_refusal r;
	const char *kname = policy_type_name(p->key), *st;
	char card[20], types[16], done[16];
	struct app_scope scope;
	PGresult *res;
	int rc = -1, k;

	memset(&f, 0, sizeof(f));
	if (counter_gate(c, req, p->now, resp, err) != 0)
		return -1;
	if ((res = app_load_scoped(c, req, p->application_id, 0, &scope, resp, err)) == NULL) {
		/* R1: another municipality's application, or its resident moved away. */
		if (scope.denied) {
			p->scope_denied = 1;
			snprintf(p->resident, sizeof(p->resident), "%s", scope.resident);
		}
		return -1;
	}
	snprintf(p->resident, sizeof(p->resident), "%s", PQgetvalue(res, 0, 1));
	snprintf(card, sizeof(card), "%s", PQgetvalue(res, 0, 2));
	snprintf(types, sizeof(types), "%s", PQgetvalue(res, 0, 4));
	snprintf(done, sizeof(done), "%s", PQgetvalue(res, 0, 12));
	st = PQgetvalue(res, 0, 10);
	if (strcmp(PQgetvalue(res, 0, 3), "pin_reset") != 0) {
		api_problem(resp, 409, "wrong-procedure", "Conflict", "R16a", NULL,
		    "application %s is not a PIN reset application", p->application_id);
		goto out;
	}
	if (strcmp(st, "ready") != 0) {
		api_problem(resp, 409, "wrong-state", "Conflict",
		    strcmp(st, "awaiting_inquiry") == 0 ? "R13" : NULL, NULL,
		    "the application is %s%s", st, strcmp(st, "awaiting_inquiry") == 0 ?
		    ": the inquiry answer comes first (R13)" : "");
		goto out;
	}
	if (strstr(types, kname) == NULL) {
		api_problem(resp, 409, "type-not-applied", "Conflict", NULL,
		    json_pack("{s:s}", "key_type", "not in this application"),
		    "the application is for %s", types);
		goto out;
	}
	if (strstr(done, kname) != NULL) {
		api_problem(resp, 409, "already-authorized", "Conflict", "R16a",
		    json_pack("{s:s}", "key_type", "already authorized for this application"),
		    "R16a: the %s PIN reset of this application was authorized already", kname);
		goto out;
	}
	PQclear(res);
	res = NULL;
	/* R16a again, now: the card still active, its certificate still valid. */
	if (counter_load(c, req, p->resident, card[0] ? card : NULL, COUNTER_LOCK, p->now, &f,
	    resp, err) != 0) {
		p->scope_denied = f.scope_denied;
		goto out;
	}
	if ((k = pin_reset_counter_check(c, &f, POLICY_TYPE_BIT(p->key), &r, err)) != 0) {
		if (k > 0)
			counter_refuse(req, resp, &r);
		goto out;
	}
	p->card_number = f.card.card_number;
	rc = authorize(c, p, p->resident, p->application_id, NULL, NULL, err);
out:
	PQclear(res);
	counter_facts_free(&f);
	return rc;
}

/* base64 (standard or URL-safe, padding optional) into out; length or -1. */
static int
b64_decode(const char *s, unsigned char *out, size_t outlen)
{
	size_t n = strlen(s), i, pad = 0;
	char *buf;
	int len;

	if (n == 0 || n > 4 * (outlen / 3) || (buf = malloc(n + 4)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4 != 0)
		buf[i++] = '=';
	buf[i] = '\0';
	for (pad = 0; i > 0 && buf[i - 1 - pad] == '=' && pad < 2; pad++)
		;
	len = EVP_DecodeBlock(out, (unsigned char *)buf, (int)i);
	free(buf);
	if (len < (int)pad)
		return -1;
	return len - (int)pad;
}

/* Kiosk: a fresh challenge of this kiosk, signed by the card's other, valid key. */
static int
kiosk_tx(struct store_conn *c, struct pr *p, struct store_err *err)
{
	struct api_req *req = p->req;
	struct api_resp *resp = p->resp;
	struct policy_refusal r;
	struct policy_card card;
	struct policy_card_cert certs[POLICY_NTYPES];
	enum policy_type pt = policy_r16a_proof_type(p->key);
	unsigned char h[SHA256_DIGEST_LENGTH], sig[SIG_MAX];
	const unsigned char *der;
	char msg[256], kid[24], chid[24], nowbuf[24];
	const char *v[2];
	int l[1] = { SHA256_DIGEST_LENGTH }, fm[1] = { 1 }, rc = -1, siglen, mlen, i, row = -1;
	PGresult *res = NULL, *cres = NULL, *certres = NULL;
	X509 *proof = NULL;

	if (kiosk_gate(c, req, p->now, resp, err) != 0)
		return -1;
	snprintf(kid, sizeof(kid), "%lld", req->principal.id);
	SHA256((const unsigned char *)p->challenge, strlen(p->challenge), h);
	v[0] = (const char *)h;
	if ((res = store_exec(c, Q_PIN_CHALLENGE_LOCK, 1, v, l, fm, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		api_problem(resp, 422, "unknown-challenge", "Refused by rule", "R16a",
		    json_pack("{s:s}", "challenge", "unknown-challenge"),
		    "R16a: no such challenge; ask for a fresh one");
		resp->rule = "R16a";
		goto out;
	}
	/* Bound to the kiosk that asked, the card and the key being reset. */
	if (strcmp(PQgetvalue(res, 0, 1), kid) != 0 ||
	    strcmp(PQgetvalue(res, 0, 2), p->card_number) != 0 ||
	    strcmp(PQgetvalue(res, 0, 3), policy_type_name(p->key)) != 0) {
		api_problem(resp, 422, "challenge-mismatch", "Refused by rule", "R16a",
		    json_pack("{s:s}", "challenge", "challenge-mismatch"),
		    "R16a: the challenge was issued for another kiosk, card or key");
		resp->rule = "R16a";
		goto out;
	}
	if (policy_r16a_challenge(strcmp(PQgetvalue(res, 0, 5), "true") == 0,
	    (time_t)strtoll(PQgetvalue(res, 0, 4), NULL, 10), p->now, &r) != 0) {
		refuse(req, resp, 409, &r);
		goto out;
	}
	snprintf(chid, sizeof(chid), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	v[0] = kid;
	if ((res = store_exec(c, Q_PIN_KIOSK_GET, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	v[0] = p->card_number;
	if ((cres = store_exec(c, Q_PIN_CARD_GET, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	memset(&card, 0, sizeof(card));
	if (PQntuples(cres) == 1) {
		card.present = 1;
		card.card_number = PQgetvalue(cres, 0, 0);
		card.juki = strcmp(PQgetvalue(cres, 0, 2), "juki") == 0;
		card.status = PQgetvalue(cres, 0, 3);
		if (jpdate_parse(PQgetvalue(cres, 0, 4), &card.expires_on) != 0)
			memset(&card.expires_on, 0, sizeof(card.expires_on));
		snprintf(p->resident, sizeof(p->resident), "%s", PQgetvalue(cres, 0, 1));
	}
	if ((certres = card_certs(c, p->card_number, certs, err)) == NULL)
		goto out;
	if (policy_r16a_kiosk_reset(p->key, PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "true") == 0, &card, &certs[pt], p->now, &r) != 0) {
		counter_refuse(req, resp, &r);
		p->refused_slug = r.slug;
		goto out;
	}
	for (i = 0; i < PQntuples(certres); i++)
		if (strcmp(PQgetvalue(certres, i, 0), policy_type_name(pt)) == 0)
			row = i;
	der = (const unsigned char *)PQgetvalue(certres, row, 4);
	if ((proof = d2i_X509(NULL, &der, PQgetlength(certres, row, 4))) == NULL ||
	    (mlen = pinreset_challenge_message(p->card_number, policy_type_name(p->key),
	    p->challenge, msg, sizeof(msg))) < 0 ||
	    (siglen = b64_decode(p->signature, sig, sizeof(sig))) < 0 ||
	    pinreset_verify_signature(proof, (unsigned char *)msg, (size_t)mlen, sig,
	    (size_t)siglen) != 1) {
		api_problem(resp, 422, "bad-proof", "Refused by rule", "R16a",
		    json_pack("{s:s}", "signature", "bad-proof"),
		    "R16a: the signature over the challenge does not verify with the card's %s "
		    "certificate", pt == POLICY_SIGN ? "SIGN" : "AUTH");
		resp->rule = "R16a";
		p->refused_slug = "bad-proof";
		goto out;
	}
	/* One use: consumed with the authorization, in this transaction. */
	nowtext(p->now, nowbuf, sizeof(nowbuf));
	v[0] = chid;
	v[1] = nowbuf;
	PQclear(res);
	if ((res = store_exec(c, Q_PIN_CHALLENGE_USE, 2, v, NULL, NULL, err)) == NULL)
		goto out;
	rc = authorize(c, p, p->resident, NULL, kid, chid, err);
out:
	X509_free(proof);
	PQclear(res);
	PQclear(cres);
	PQclear(certres);
	return rc;
}

static int
create_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct pr *p = arg;

	api_resp_free(p->resp);
	p->refused_slug = NULL;
	p->scope_denied = 0;
	switch (idem_begin(c, p->req, NULL, p->resp, err)) {
	case IDEM_REPLAY:
		/* The token is not stored: sign it again (then roll back). */
		(void)pin_reset_replay(c, p->req, p->resp, err);	/* err set on a failure: 503 */
		return -1;
	case IDEM_DBERR:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	return strcmp(p->channel, "kiosk") == 0 ? kiosk_tx(c, p, err) : counter_tx(c, p, err);
}

void
api_pin_reset_create(struct api_req *req, struct api_resp *resp)
{
	struct pr p;
	json_t *body, *fields, *v;
	const char *key, *kt;
	int kiosk = req->principal.kind == PRINCIPAL_KIOSK;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.req = req;
	p.resp = resp;
	p.now = clock_now();
	fields = json_object();
	p.channel = json_string_value(json_object_get(body, "channel"));
	if (p.channel == NULL || (strcmp(p.channel, "counter") && strcmp(p.channel, "kiosk")))
		json_object_set_new(fields, "channel", json_string("counter or kiosk"));
	else if (strcmp(p.channel, kiosk ? "kiosk" : "counter") != 0)
		json_object_set_new(fields, "channel", json_string(kiosk ?
		    "a kiosk uses the kiosk channel" : "a terminal uses the counter channel"));
	kt = json_string_value(json_object_get(body, "key_type"));
	if (kt == NULL || policy_type_parse(kt, &p.key) != 0)
		json_object_set_new(fields, "key_type", json_string("sign or auth"));
	json_object_foreach(body, key, v) {
		int known = !strcmp(key, "channel") || !strcmp(key, "key_type") ||
		    (!kiosk && !strcmp(key, "application_id")) ||
		    (kiosk && (!strcmp(key, "card_number") || !strcmp(key, "challenge") ||
		    !strcmp(key, "signature")));

		if (!known)
			json_object_set_new(fields, key, json_string("unknown field"));
	}
	if (!kiosk) {
		p.application_id = json_string_value(json_object_get(body, "application_id"));
		if (p.application_id == NULL || !app_id_ok(p.application_id))
			json_object_set_new(fields, "application_id", json_string("a uuid"));
	} else {
		p.card_number = json_string_value(json_object_get(body, "card_number"));
		p.challenge = json_string_value(json_object_get(body, "challenge"));
		p.signature = json_string_value(json_object_get(body, "signature"));
		if (!pin_reset_card_number_ok(p.card_number))
			json_object_set_new(fields, "card_number", json_string("a card number"));
		if (p.challenge == NULL || strlen(p.challenge) != PINRESET_CHALLENGE_LEN)
			json_object_set_new(fields, "challenge",
			    json_string("the 43-character challenge"));
		if (p.signature == NULL || strlen(p.signature) < 16 ||
		    strlen(p.signature) > 4 * SIG_MAX / 3)
			json_object_set_new(fields, "signature", json_string("base64"));
	}
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the request has invalid fields");
		json_decref(body);
		return;
	}
	json_decref(fields);
	if (require_authority(req, resp) == 0) {
		app_run_tx(req, resp, create_tx, &p, p.resident, &p.scope_denied);
		/* R16a: failed kiosk proofs are audited (the transaction rolled back). */
		if (p.refused_slug != NULL)
			audit_write_now(req->app, req, "pin_reset.refused",
			    p.resident[0] ? p.resident : p.card_number,
			    json_pack("{s:s, s:s, s:s, s:s}", "rule", "R16a", "slug",
			    p.refused_slug, "card_number", p.card_number, "key_type",
			    policy_type_name(p.key)));
	}
	json_decref(body);
}

/* ------------------------------------------------------------ complete */

static int
complete_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct pr *p = arg;
	struct api_req *req = p->req;
	struct api_resp *resp = p->resp;
	struct policy_refusal r;
	const char *v[2];
	char nowbuf[24], kid[24], e[24], u[24];
	PGresult *res = NULL, *up;
	int rc = -1, mine;
	time_t exp;

	api_resp_free(resp);
	switch (idem_begin(c, req, NULL, resp, err)) {
	case IDEM_DBERR:
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	v[0] = p->id;
	if ((res = store_exec(c, Q_PIN_AUTHZ_LOCK, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	snprintf(kid, sizeof(kid), "%lld", req->principal.id);
	/*
	 * Only the channel that obtained it: the kiosk, or the terminals of the
	 * municipality whose application it was and where the resident is
	 * registered now (R1: after a move, the old municipality gets the 404
	 * of an unknown id).
	 */
	mine = PQntuples(res) == 1 && (req->principal.kind == PRINCIPAL_KIOSK ?
	    strcmp(PQgetvalue(res, 0, 3), "kiosk") == 0 && strcmp(PQgetvalue(res, 0, 5), kid) == 0 :
	    strcmp(PQgetvalue(res, 0, 3), "counter") == 0 && !PQgetisnull(res, 0, 8) &&
	    strcmp(PQgetvalue(res, 0, 8), req->principal.municipality_code) == 0 &&
	    strcmp(PQgetvalue(res, 0, 10), req->principal.municipality_code) == 0);
	if (!mine) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no PIN reset authorization %s for this %s", p->id,
		    api_principal_kind_name(req->principal.kind));
		goto out;
	}
	exp = (time_t)strtoll(PQgetvalue(res, 0, 6), NULL, 10);
	if (policy_r16a_complete(!PQgetisnull(res, 0, 7), exp, p->now, &r) != 0) {
		refuse(req, resp, 409, &r);
		goto out;
	}
	nowtext(p->now, nowbuf, sizeof(nowbuf));
	v[1] = nowbuf;
	if ((up = store_exec(c, Q_PIN_AUTHZ_USE, 2, v, NULL, NULL, err)) == NULL)
		goto out;
	PQclear(up);
	if (audit_write(c, req, "pin_reset.complete", PQgetvalue(res, 0, 9),
	    json_pack("{s:s, s:s, s:s, s:s}", "authorization", p->id, "card_number",
	    PQgetvalue(res, 0, 1), "key_type", PQgetvalue(res, 0, 2), "channel",
	    PQgetvalue(res, 0, 3)), err) != 0)
		goto out;
	api_json(resp, 200, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", p->id,
	    "card_number", PQgetvalue(res, 0, 1), "key_type", PQgetvalue(res, 0, 2),
	    "channel", PQgetvalue(res, 0, 3), "expires_at", counter_rfc3339(exp, e, sizeof(e)),
	    "used_at", counter_rfc3339(p->now, u, sizeof(u))));
	if (idem_finish(c, req, resp, err) != 0)
		goto out;
	rc = 0;
out:
	PQclear(res);
	return rc;
}

void
api_pin_reset_complete(struct api_req *req, struct api_resp *resp)
{
	struct pr p;

	if (!app_id_ok(req->params[0])) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "no such authorization");
		return;
	}
	if (require_authority(req, resp) != 0)
		return;
	memset(&p, 0, sizeof(p));
	p.req = req;
	p.resp = resp;
	p.now = clock_now();
	p.id = req->params[0];
	app_run_tx(req, resp, complete_tx, &p, NULL, NULL);
}
