/*
 * status_ocsp: the OCSP responder, POST /ocsp and RFC 5019 GET
 * /ocsp/{base64}, on the status listener (open unless [status]
 * require_relying_party) and on the API listener (relying parties and
 * operators by client certificate).
 *
 * Answers (RFC 6960 A.1: clients read the OCSP status, so every OCSP-level
 * outcome is HTTP 200 application/ocsp-response):
 *   malformedRequest  undecodable, truncated, trailing bytes, BER, bad
 *                     base64, too many CertIDs, an unknown critical extension
 *   unauthorized      a CertID of another issuer, a request mixing our two
 *                     issuers (one delegated responder cannot sign for both),
 *                     a relying party required and none shown, or one not
 *                     registered for that certificate type (R26)
 *   tryLater          the database does not answer (cache hits still served)
 *   internalError     signing failed
 *   successful        per CertID: revoked (time, reason), good (issued and
 *                     not revoked; an expired certificate stays good: OCSP
 *                     says whether it was revoked, validity is the client's
 *                     check), unknown (never issued by that issuer)
 * HTTP-level errors (problem+json): POST with another Content-Type 415, a
 * POST body over OCSP_MAX_REQUEST 413.
 *
 * Anonymous callers (status listener, no relying party's token; issue 13,
 * docs/ocsp.md): their nonce is ignored (RFC 5019 lets a responder answer
 * with a pre-produced response, without the nonce), and a single CertID is looked up in
 * the cache by the CertID itself after a miss on the request bytes, so
 * neither nonces nor re-encodings cost a signature. A response that will
 * not be cached (an unknown serial, several CertIDs) is signed for them only
 * within ocsp_budget_take(); beyond it the answer is tryLater (unsigned).
 * Unknown serials are never cached (random serials would evict the known
 * ones). Registered relying parties and operators get nonces echoed and no
 * budget (they are known and counted, R26).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/ocsp.h>

#include "api/api.h"
#include "api/status/ocsp_cache.h"
#include "api/status/rp.h"
#include "ca/crl.h"
#include "ca/ocsp.h"
#include "common/clock.h"
#include "common/log.h"

#define OCSP_CTYPE	"application/ocsp-response"

static void
reply_der(struct api_resp *resp, unsigned char *der, size_t len)
{
	api_text(resp, 200, OCSP_CTYPE, (char *)der, len);
}

/* An unsuccessful OCSP response (never cached by HTTP caches). */
static void
reply_status(struct api_req *req, struct api_resp *resp, int status)
{
	const unsigned char *der;
	size_t len;
	char *copy;

	der = ocsp_resp_error(status, &len);
	if ((copy = malloc(len)) == NULL) {
		api_problem(resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "out of memory");
		return;
	}
	memcpy(copy, der, len);
	api_text(resp, 200, OCSP_CTYPE, copy, len);
	resp->problem = OCSP_response_status_str(status);
	if (req->listener == LISTENER_STATUS)
		api_add_header(resp, "Cache-Control", "no-store");
}

/*
 * RFC 5019 6.2 caching headers of a response without a nonce, on the status
 * listener (the API listener answers Cache-Control: no-store to everything).
 */
static void
cache_headers(struct api_req *req, struct api_resp *resp, time_t now, time_t this_update,
    time_t next_update, const char *etag)
{
	char d[40];
	long long age = (long long)(next_update - now);

	if (req->listener != LISTENER_STATUS)
		return;
	api_http_date(this_update, d, sizeof(d));
	api_add_header(resp, "Last-Modified", "%s", d);
	api_http_date(next_update, d, sizeof(d));
	api_add_header(resp, "Expires", "%s", d);
	api_add_header(resp, "Cache-Control", "max-age=%lld, public, no-transform, must-revalidate",
	    age > 0 ? age : 0);
	if (etag != NULL && etag[0] != '\0')
		api_add_header(resp, "ETag", "%s", etag);
}

/*
 * RFC 5019 A.1 base64 (standard alphabet, '-' '_' accepted too), padding
 * optional but exact when present. Returns the length, or -1.
 */
static long
b64_decode(const char *s, size_t n, unsigned char *out, size_t outcap)
{
	unsigned long acc = 0;
	size_t i, bits = 0, o = 0, pad = 0;
	int v;
	char ch;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad > 0 && (n + pad) % 4 != 0)
		return -1;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		ch = s[i];
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+' || ch == '-')
			v = 62;
		else if (ch == '/' || ch == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1ul << bits) - 1;
		}
	}
	if (acc != 0)		/* non-zero leftover bits: not canonical base64 */
		return -1;
	return (long)o;
}

/* Status of one certificate from the database. 0, or -1 (database unavailable). */
static int
lookup(struct store_conn *c, enum ocsp_issuer is, const unsigned char *serial,
    size_t serial_len, struct ocsp_status *st)
{
	struct store_err err;
	const char *v[2] = { ocsp_issuer_name(is), (const char *)serial };
	int l[2] = { 0, (int)serial_len }, f[2] = { 0, 1 };
	PGresult *res;
	const char *status;

	memset(st, 0, sizeof(*st));
	st->status = V_OCSP_CERTSTATUS_UNKNOWN;
	st->reason = -1;
	if (serial_len == 0)
		return 0;		/* cannot be ours */
	if ((res = store_exec(c, Q_OCSP_CERT_STATUS, 2, v, l, f, &err)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		status = PQgetvalue(res, 0, 0);
		if (strcmp(status, "revoked") == 0) {
			st->status = V_OCSP_CERTSTATUS_REVOKED;
			st->revoked_at = (time_t)strtoll(PQgetvalue(res, 0, 1), NULL, 10);
			st->reason = crl_reason_code(PQgetvalue(res, 0, 2));
			if (!PQgetisnull(res, 0, 3))
				st->invalidity = (time_t)strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		} else
			st->status = V_OCSP_CERTSTATUS_GOOD;	/* valid or expired */
	}
	PQclear(res);
	return 0;
}

/* Sign with the delegated responder of is. 0 or -1. */
static int
sign(struct app *app, enum ocsp_issuer is, OCSP_CERTID *const *ids,
    const struct ocsp_status *st, int n, OCSP_REQUEST *nonce_req, time_t now,
    unsigned char **der, size_t *len)
{
	struct keypair *kp;
	int rc;

	pthread_rwlock_rdlock(&app->keys_lock);
	kp = is == OCSP_ISSUER_SIGN ? &app->keys->sign_ocsp : &app->keys->auth_ocsp;
	rc = ocsp_resp_build(ids, st, n, nonce_req, now, app->status.ocsp_validity_s,
	    kp->cert, kp->key, der, len);
	pthread_rwlock_unlock(&app->keys_lock);
	return rc;
}

int
ocsp_sign_one(struct app *app, enum ocsp_issuer is, OCSP_CERTID *cid,
    const unsigned char *serial, size_t serial_len, time_t now, unsigned char **der,
    size_t *len)
{
	struct store_conn *c;
	struct store_err err;
	struct ocsp_status st;
	int rc;

	if ((c = store_borrow(app->store, app->borrow_timeout_ms, &err)) == NULL)
		return -1;
	rc = lookup(c, is, serial, serial_len, &st);
	store_release(c);
	if (rc != 0)
		return -1;
	return sign(app, is, &cid, &st, 1, NULL, now, der, len) == 0 ? 0 : -2;
}

/*
 * Answer one OCSP request. key/keylen: its cache key (GET path or POST
 * body, tagged); der/len: the request DER (POST), or NULL with b64: the
 * GET path text, decoded only on a cache miss.
 */
static void
answer(struct api_req *req, struct api_resp *resp, const char *key, size_t keylen,
    const unsigned char *der, size_t len, const char *b64)
{
	struct app *app = req->app;
	struct ocsp_req or;
	struct ocsp_ids ids;
	struct ocsp_hit hit;
	struct ocsp_status st[OCSP_MAX_IDS];
	OCSP_CERTID *cids[OCSP_MAX_IDS];
	struct store_conn *c = NULL;
	struct store_err err;
	enum rp_gate_result g;
	enum ocsp_issuer is;
	unsigned char *out = NULL, *cidder = NULL, *dec = NULL, *ckey = NULL;
	unsigned long epoch;
	char etag[20];
	unsigned types;
	long long rp;
	size_t outlen, ckeylen = 0;
	time_t now = clock_now();
	int i, cidlen = 0, anon, nonce, cacheable;
	long dl;

	memset(&or, 0, sizeof(or));
	if ((g = rp_gate(req, &rp, &types)) != RP_GATE_OK) {
		reply_status(req, resp, g == RP_GATE_UNAVAILABLE ?
		    OCSP_RESPONSE_STATUS_TRYLATER : OCSP_RESPONSE_STATUS_UNAUTHORIZED);
		resp->rule = g == RP_GATE_UNAVAILABLE ? NULL : "R26";
		return;
	}
	/* The hot path: one hash lookup, no parsing, no database. */
	if (ocsp_cache_get(app->ocsp_cache, key, keylen, now,
	    app->status.ocsp_validity_s / 2, &hit)) {
		if ((types & (hit.issuer == OCSP_ISSUER_SIGN ? RP_TYPE_SIGN : RP_TYPE_AUTH)) == 0) {
			free(hit.der);
			reply_status(req, resp, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
			resp->rule = "R26";
			return;
		}
		rp_count(app, rp, ocsp_issuer_name(hit.issuer), 1);
		reply_der(resp, hit.der, hit.len);
		cache_headers(req, resp, now, hit.this_update, hit.next_update, hit.etag);
		return;
	}

	epoch = ocsp_cache_epoch(app->ocsp_cache);
	pthread_rwlock_rdlock(&app->keys_lock);
	i = ocsp_cache_ids(app, &ids);
	pthread_rwlock_unlock(&app->keys_lock);
	if (i != 0) {
		reply_status(req, resp, OCSP_RESPONSE_STATUS_INTERNALERROR);
		return;
	}
	if (der == NULL && b64 != NULL && (dec = malloc(OCSP_MAX_REQUEST)) != NULL &&
	    (dl = b64_decode(b64, strlen(b64), dec, OCSP_MAX_REQUEST)) > 0) {
		der = dec;
		len = (size_t)dl;
	}
	if (der == NULL || ocsp_req_parse(der, len, &ids, &or) != 0) {
		reply_status(req, resp, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		goto out;
	}
	is = ocsp_req_issuer(&or);
	if (is == OCSP_ISSUER_FOREIGN ||
	    (types & (is == OCSP_ISSUER_SIGN ? RP_TYPE_SIGN : RP_TYPE_AUTH)) == 0) {
		reply_status(req, resp, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
		if (is != OCSP_ISSUER_FOREIGN)
			resp->rule = "R26";
		goto out;
	}
	rp_count(app, rp, ocsp_issuer_name(is), (unsigned)or.nids);
	/* Issue 13: anonymous = the status listener without a relying party. */
	anon = rp == 0 && req->listener == LISTENER_STATUS;
	nonce = or.has_nonce && !anon;
	if (or.has_nonce && anon)
		ocsp_note(OCSP_EV_NONCE_IGNORED);
	/* One CertID, no nonce echoed: the cache by CertID ('C' + its DER). */
	if (or.nids == 1 && !nonce && (cidlen = i2d_OCSP_CERTID(or.ids[0].certid, &cidder)) > 0 &&
	    (ckey = malloc((size_t)cidlen + 1)) != NULL) {
		ckey[0] = 'C';
		memcpy(ckey + 1, cidder, (size_t)cidlen);
		ckeylen = (size_t)cidlen + 1;
		if (ocsp_cache_get(app->ocsp_cache, ckey, ckeylen, now,
		    app->status.ocsp_validity_s / 2, &hit)) {
			ocsp_note(OCSP_EV_CANONICAL_HIT);
			reply_der(resp, hit.der, hit.len);
			cache_headers(req, resp, now, hit.this_update, hit.next_update, hit.etag);
			goto out;
		}
	}
	if ((c = store_borrow(app->store, app->borrow_timeout_ms, &err)) == NULL) {
		reply_status(req, resp, OCSP_RESPONSE_STATUS_TRYLATER);
		goto out;
	}
	for (i = 0; i < or.nids; i++) {
		cids[i] = or.ids[i].certid;
		if (lookup(c, is, or.ids[i].serial, or.ids[i].serial_len, &st[i]) != 0) {
			log_kv(LOG_LVL_WARN, "OCSP status lookup failed", "request_id",
			    req->request_id, (char *)NULL);
			reply_status(req, resp, OCSP_RESPONSE_STATUS_TRYLATER);
			goto out;
		}
	}
	store_release(c);
	c = NULL;
	cacheable = or.nids == 1 && !nonce && st[0].status != V_OCSP_CERTSTATUS_UNKNOWN &&
	    ckey != NULL;
	if (anon && !cacheable && !ocsp_budget_take(req->remote)) {
		log_kv(LOG_LVL_DEBUG, "OCSP signature budget spent: tryLater", "request_id",
		    req->request_id, (char *)NULL);
		reply_status(req, resp, OCSP_RESPONSE_STATUS_TRYLATER);
		api_add_header(resp, "Retry-After", "%d", 60 / OCSP_BUDGET_ADDR_PER_MIN + 1);
		goto out;
	}
	if (sign(app, is, cids, st, or.nids, nonce ? or.req : NULL, now, &out,
	    &outlen) != 0) {
		log_kv(LOG_LVL_ERR, "OCSP response signing failed", "request_id",
		    req->request_id, "issuer", ocsp_issuer_name(is), (char *)NULL);
		reply_status(req, resp, OCSP_RESPONSE_STATUS_INTERNALERROR);
		goto out;
	}
	if (cacheable && app->ocsp_cache != NULL) {
		/* A nonce'd request's bytes never come again: only its CertID key. */
		if (!or.has_nonce)
			ocsp_cache_put(app->ocsp_cache, epoch, key, keylen, is, or.ids[0].serial,
			    or.ids[0].serial_len, cidder, (size_t)cidlen, out, outlen, now,
			    now + app->status.ocsp_validity_s);
		ocsp_cache_put(app->ocsp_cache, epoch, ckey, ckeylen, is, or.ids[0].serial,
		    or.ids[0].serial_len, cidder, (size_t)cidlen, out, outlen, now,
		    now + app->status.ocsp_validity_s);
	}
	ocsp_note(nonce ? OCSP_EV_SIGNED_NONCE : cacheable ? OCSP_EV_SIGNED_CACHED :
	    OCSP_EV_SIGNED_UNCACHED);
	if (!nonce)
		ocsp_etag(out, outlen, etag);
	reply_der(resp, out, outlen);
	if (nonce) {
		if (req->listener == LISTENER_STATUS)
			api_add_header(resp, "Cache-Control", "no-store");
	} else
		cache_headers(req, resp, now, now, now + app->status.ocsp_validity_s, etag);
out:
	if (c != NULL)
		store_release(c);
	OPENSSL_free(cidder);
	free(ckey);
	free(dec);
	ocsp_req_clear(&or);
}

/* 1 when the media type (before any parameter) is t, case-insensitively. */
static int
media_type_is(const char *ct, const char *t)
{
	size_t n = strlen(t);

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return strncasecmp(ct, t, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

void
api_ocsp_post(struct api_req *req, struct api_resp *resp)
{
	char *key;

	if (!media_type_is(req->header(req->hctx, "Content-Type"), "application/ocsp-request")) {
		api_problem(resp, 415, "unsupported-media-type", "Unsupported Media Type", NULL,
		    NULL, "an OCSP request is sent as application/ocsp-request (RFC 6960 A.1)");
		return;
	}
	if (req->body_len > OCSP_MAX_REQUEST) {
		api_problem(resp, 413, "body-too-large", "Content Too Large", NULL, NULL,
		    "an OCSP request is at most %d bytes", OCSP_MAX_REQUEST);
		return;
	}
	/* Cache key: 'P' + the body (a GET key starts with 'G'). */
	if ((key = malloc(req->body_len + 1)) == NULL) {
		reply_status(req, resp, OCSP_RESPONSE_STATUS_INTERNALERROR);
		return;
	}
	key[0] = 'P';
	memcpy(key + 1, req->body, req->body_len);
	answer(req, resp, key, req->body_len + 1, (const unsigned char *)req->body,
	    req->body_len, NULL);
	free(key);
}

void
api_ocsp_get(struct api_req *req, struct api_resp *resp)
{
	static const char prefix[] = "/ocsp/";
	const char *text;
	char key[2 * OCSP_MAX_REQUEST];
	size_t n;

	if (strncmp(req->path, prefix, sizeof(prefix) - 1) != 0)
		abort();	/* the router matched /ocsp/{request*} */
	text = req->path + sizeof(prefix) - 1;
	n = strlen(text);
	if (n + 1 > sizeof(key)) {
		reply_status(req, resp, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		return;
	}
	/* Cache key: 'G' + the path text (percent-decoded by the HTTP layer). */
	key[0] = 'G';
	memcpy(key + 1, text, n);
	answer(req, resp, key, n + 1, NULL, 0, text);
}
