/*
 * revoke: one certificate, read and revoked (docs/foundation.md "API", R26).
 *
 *	GET  /v1/certificates/{serial}		terminal (own municipality), operator viewer+
 *	POST /v1/certificates/{serial}/revoke	terminal (own municipality), operator officer+
 *
 * {serial} is the hex serial issuance returned (either case). A terminal
 * sees only certificates of residents of its own municipality (R1): any
 * other serial gets the very 404 an unknown serial gets, and the attempt
 * is audited. Reading names a resident, so it is audited too.
 *
 * A revocation is one transaction: Idempotency-Key, the certificate row
 * locked, refused when already revoked (409, never twice) or expired (409),
 * the reason checked for the caller (R26), the invalidity date checked
 * against notBefore, the UPDATE (the certificates_revoked() trigger writes
 * revocations and notifies jpkid_revocation, so OCSP changes at once), the
 * audit row, the stored response. Decision: revocation is not stopped by a
 * service suspension or counter hours (R19): a compromised key must be
 * revocable at any time.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/status/crls.h"
#include "api/idem.h"
#include "api/revocation/revoke.h"
#include "ca/charset.h"
#include "ca/policy.h"
#include "common/clock.h"
#include "common/log.h"


/* Columns of Q_REV_CERT_GET / Q_REV_CERT_LOCK. */
enum { C_ISSUER, C_SERIAL, C_TYPE, C_STATUS, C_REVOKED_AT, C_REASON, C_INVALIDITY,
	C_NOT_BEFORE, C_NOT_AFTER, C_RESIDENT, C_CARD, C_SHARD, C_MUNI, C_DER64 };

struct rev {
	struct api_req	*req;
	struct api_resp	*resp;
	time_t		 now;
	char		 serial[41];	/* lowercase hex */
	char		 object[56];	/* "certificate:<serial>" */
	/* revoke only */
	enum policy_reason reason;
	int		 has_invalidity;
	time_t		 invalidity;
	const char	*comment;	/* NULL when none; borrowed from the body */
	/* out */
	int		 scope_denied;
};

/*
 * The serial of the path: 2 to 40 hex digits, an even number (whole
 * bytes, as issuance shows them). 0 with out lowercase, or -1.
 */
static int
serial_parse(const char *in, char out[41])
{
	size_t i, n = strlen(in);

	if (n < 2 || n > 40 || n % 2 != 0)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = in[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return -1;
		out[i] = ch;
	}
	out[n] = '\0';
	return 0;
}

/* PEM (RFC 7468) from PostgreSQL's base64 (lines of 76): re-wrapped at 64. */
static char *
pem_from_b64(const char *b64)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----\n",
	    tail[] = "-----END CERTIFICATE-----\n";
	size_t n = strlen(b64), off, col = 0;
	char *out;

	if ((out = malloc(sizeof(head) + n + n / 64 + 2 + sizeof(tail))) == NULL)
		abort();
	memcpy(out, head, sizeof(head) - 1);
	off = sizeof(head) - 1;
	for (; *b64 != '\0'; b64++) {
		if (*b64 == '\n' || *b64 == '\r')
			continue;
		out[off++] = *b64;
		if (++col == 64) {
			out[off++] = '\n';
			col = 0;
		}
	}
	if (col != 0)
		out[off++] = '\n';
	memcpy(out + off, tail, sizeof(tail));
	return out;
}

static json_t *
epoch_json(const PGresult *res, int c)
{
	char buf[24];

	if (PQgetisnull(res, 0, c))
		return json_null();
	return json_string(counter_rfc3339((time_t)strtoll(PQgetvalue(res, 0, c), NULL, 10),
	    buf, sizeof(buf)));
}

/* The status shown: a valid certificate past its notAfter is expired. */
static const char *
shown_status(const PGresult *res, time_t now)
{
	const char *st = PQgetvalue(res, 0, C_STATUS);

	if (strcmp(st, "valid") == 0 && strtoll(PQgetvalue(res, 0, C_NOT_AFTER), NULL, 10) <= now)
		return "expired";
	return st;
}

/* The certificate resource (openapi.yaml Certificate) of row 0. */
static json_t *
cert_json(const struct app *app, const PGresult *res, time_t now)
{
	const char *type = PQgetvalue(res, 0, C_TYPE), *shard = PQgetvalue(res, 0, C_SHARD);
	char url[512];
	char *pem = pem_from_b64(PQgetvalue(res, 0, C_DER64));
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:s}",
	    "serial", PQgetvalue(res, 0, C_SERIAL), "type", type,
	    "status", shown_status(res, now),
	    "not_before", epoch_json(res, C_NOT_BEFORE),
	    "not_after", epoch_json(res, C_NOT_AFTER),
	    "revoked_at", epoch_json(res, C_REVOKED_AT),
	    "reason", PQgetisnull(res, 0, C_REASON) ? json_null() :
	    json_string(PQgetvalue(res, 0, C_REASON)),
	    "invalidity_date", epoch_json(res, C_INVALIDITY),
	    "resident_code", PQgetvalue(res, 0, C_RESIDENT),
	    "card_number", PQgetvalue(res, 0, C_CARD),
	    "municipality_code", shard, "certificate", pem);
	free(pem);
	if (o == NULL)
		abort();
	crl_url(app, type, shard, url, sizeof(url));
	json_object_set_new(o, "crl_url", json_string(url));
	snprintf(url, sizeof(url), "%s/ocsp", app->issuance.status_url);
	json_object_set_new(o, "ocsp_url", json_string(url));
	return o;
}

/*
 * The one answer for "no such certificate", whatever the reason (unknown,
 * or another municipality's: R1, no oracle).
 */
static void
not_found(struct api_resp *resp)
{
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such certificate");
}

/*
 * Load the certificate (locked when q is Q_REV_CERT_LOCK) as the caller
 * may see it. Returns the result, or NULL with resp set (404; scope_denied
 * when it is another municipality's, R1) or err set (database).
 */
static PGresult *
load(struct store_conn *c, struct rev *rv, enum query_id q, struct store_err *err)
{
	const char *v[1] = { rv->serial };
	PGresult *res;

	if ((res = store_exec(c, q, 1, v, NULL, NULL, err)) == NULL)
		return NULL;
	if (PQntuples(res) != 1) {
		not_found(rv->resp);
		PQclear(res);
		return NULL;
	}
	if (rv->req->principal.kind == PRINCIPAL_TERMINAL &&
	    strcmp(PQgetvalue(res, 0, C_MUNI), rv->req->principal.municipality_code) != 0) {
		rv->scope_denied = 1;
		log_kv(LOG_LVL_WARN, "R1: terminal asked for another municipality's certificate",
		    "request_id", rv->req->request_id, "rule", "R1", (char *)NULL);
		not_found(rv->resp);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Run fn as one transaction; 503 on a database failure; audit an R1 denial after. */
static void
run_tx(struct rev *rv, store_tx_fn fn)
{
	struct store_err err;

	memset(&err, 0, sizeof(err));
	if (store_tx(rv->req->app->store, rv->req->app->borrow_timeout_ms, 0, fn, rv, &err) != 0 &&
	    (err.status != STORE_OK || rv->resp->status == 0))
		api_db_unavailable(rv->req, rv->resp, &err);
	if (rv->scope_denied)
		audit_write_now(rv->req->app, rv->req, "certificate.scope_denied", rv->object,
		    json_pack("{s:s, s:s}", "rule", "R1", "terminal_municipality",
		    rv->req->principal.municipality_code));
}

/* Common start of both handlers: the serial. 0, or -1 with resp set (roles: api/router.c). */
static int
rev_init(struct rev *rv, struct api_req *req, struct api_resp *resp)
{
	memset(rv, 0, sizeof(*rv));
	rv->req = req;
	rv->resp = resp;
	rv->now = clock_now();
	if (serial_parse(req->params[0], rv->serial) != 0) {
		api_problem(resp, 400, "invalid-serial", "Bad Request", NULL,
		    json_pack("{s:s}", "serial", "2 to 40 hex digits (whole bytes)"),
		    "the serial in the path is not a hex certificate serial");
		return -1;
	}
	snprintf(rv->object, sizeof(rv->object), "certificate:%s", rv->serial);
	return 0;
}

/* ---------------------------------------------------------------- GET */

static int
get_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct rev *rv = arg;
	PGresult *res;

	api_resp_free(rv->resp);
	rv->scope_denied = 0;
	if ((res = load(c, rv, Q_REV_CERT_GET, err)) == NULL)
		return -1;
	if (audit_write(c, rv->req, "certificate.read", rv->object,
	    json_pack("{s:s}", "resident_code", PQgetvalue(res, 0, C_RESIDENT)), err) != 0) {
		PQclear(res);
		return -1;
	}
	api_json(rv->resp, 200, cert_json(rv->req->app, res, rv->now));
	PQclear(res);
	return 0;
}

void
api_certificate_get(struct api_req *req, struct api_resp *resp)
{
	struct rev rv;

	if (rev_init(&rv, req, resp) != 0)
		return;
	run_tx(&rv, get_tx);
}

/* ---------------------------------------------------------------- revoke */

int
revoke_body_time(json_t *body, const char *key, time_t *out, json_t *fields)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || policy_rfc3339_parse(json_string_value(v), out) != 0) {
		json_object_set_new(fields, key,
		    json_string("an RFC 3339 date-time, e.g. 2026-11-21T10:00:00+09:00"));
		return -1;
	}
	return 1;
}

const char *
revoke_body_comment(json_t *body, json_t *fields)
{
	json_t *v = json_object_get(body, "comment");
	size_t n;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || (n = charset_utf8_len(json_string_value(v))) < 1 ||
	    n > REVOKE_COMMENT_MAX) {
		json_object_set_new(fields, "comment",
		    json_string("a string of 1 to 500 characters"));
		return NULL;
	}
	return json_string_value(v);
}

/* Validate the body into rv. 0, or -1 with resp set (422). */
static int
revoke_body(struct rev *rv, json_t *body)
{
	enum policy_revoker who = rv->req->principal.kind == PRINCIPAL_OPERATOR ?
	    POLICY_BY_OPERATOR : POLICY_BY_TERMINAL;
	struct policy_refusal r;
	json_t *fields = json_object(), *v;
	const char *key, *s;

	json_object_foreach(body, key, v)
		if (strcmp(key, "reason") != 0 && strcmp(key, "invalidity_date") != 0 &&
		    strcmp(key, "comment") != 0)
			json_object_set_new(fields, key, json_string("unknown field"));
	v = json_object_get(body, "reason");
	if (v == NULL || !json_is_string(v))
		json_object_set_new(fields, "reason", json_string(v == NULL ? "required" :
		    "must be a string"));
	rv->has_invalidity = revoke_body_time(body, "invalidity_date", &rv->invalidity,
	    fields) == 1;
	rv->comment = revoke_body_comment(body, fields);
	if (json_object_size(fields) > 0) {
		api_problem(rv->resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the request has invalid fields");
		return -1;
	}
	json_decref(fields);
	s = json_string_value(json_object_get(body, "reason"));
	if (policy_r26_reason(s, who, &rv->reason, &r) != 0) {
		counter_refuse(rv->req, rv->resp, &r);
		return -1;
	}
	/* Not in the future: decidable now; notBefore needs the row. */
	if (rv->has_invalidity && policy_r26_invalidity(rv->invalidity, rv->now, 0,
	    "invalidity_date", &r) != 0) {
		counter_refuse(rv->req, rv->resp, &r);
		return -1;
	}
	return 0;
}

static int
revoke_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct rev *rv = arg;
	struct api_resp *resp = rv->resp;
	struct policy_refusal r;
	PGresult *res = NULL, *x = NULL;
	const char *v[4], *reason = policy_reason_name(rv->reason);
	char now[24], inv[24], b1[24], b2[24];
	json_t *detail;
	int rc = -1;

	api_resp_free(resp);
	rv->scope_denied = 0;
	switch (idem_begin(c, rv->req, NULL, resp, err)) {
	case IDEM_DBERR:
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	if ((res = load(c, rv, Q_REV_CERT_LOCK, err)) == NULL)
		goto out;
	if (strcmp(PQgetvalue(res, 0, C_STATUS), "revoked") == 0) {
		/* R26: revocation is final and happens once. */
		api_problem(resp, 409, "already-revoked", "Conflict", NULL, NULL,
		    "the certificate was revoked at %s (%s)",
		    counter_rfc3339((time_t)strtoll(PQgetvalue(res, 0, C_REVOKED_AT), NULL, 10),
		    b1, sizeof(b1)), PQgetvalue(res, 0, C_REASON));
		goto out;
	}
	if (strcmp(shown_status(res, rv->now), "expired") == 0) {
		api_problem(resp, 409, "expired", "Conflict", NULL, NULL,
		    "the certificate expired at %s; there is nothing to revoke",
		    counter_rfc3339((time_t)strtoll(PQgetvalue(res, 0, C_NOT_AFTER), NULL, 10),
		    b1, sizeof(b1)));
		goto out;
	}
	if (rv->has_invalidity && policy_r26_invalidity(rv->invalidity, rv->now,
	    (time_t)strtoll(PQgetvalue(res, 0, C_NOT_BEFORE), NULL, 10), "invalidity_date",
	    &r) != 0) {
		counter_refuse(rv->req, resp, &r);
		goto out;
	}
	snprintf(now, sizeof(now), "%lld", (long long)rv->now);
	snprintf(inv, sizeof(inv), "%lld", (long long)rv->invalidity);
	v[0] = rv->serial;
	v[1] = now;
	v[2] = reason;
	v[3] = rv->has_invalidity ? inv : NULL;
	if ((x = store_exec(c, Q_REV_CERT_REVOKE, 4, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(x) != 1)
		abort();	/* the row is locked and was valid */
	PQclear(x);
	x = NULL;
	v[0] = rv->serial;
	if ((x = store_exec(c, Q_REV_CERT_GET, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	detail = json_pack("{s:s, s:s, s:s, s:o}", "resident_code", PQgetvalue(res, 0, C_RESIDENT),
	    "type", PQgetvalue(res, 0, C_TYPE), "reason", reason,
	    "invalidity_date", rv->has_invalidity ?
	    json_string(counter_rfc3339(rv->invalidity, b2, sizeof(b2))) : json_null());
	if (rv->comment != NULL)
		json_object_set_new(detail, "comment", json_string(rv->comment));
	if (audit_write(c, rv->req, "certificate.revoke", rv->object, detail, err) != 0)
		goto out;
	api_json(resp, 200, cert_json(rv->req->app, x, rv->now));
	if (idem_finish(c, rv->req, resp, err) != 0)
		goto out;
	log_kv(LOG_LVL_INFO, "certificate revoked", "request_id", rv->req->request_id,
	    "serial", rv->serial, "reason", reason, (char *)NULL);
	rc = 0;
out:
	PQclear(res);
	PQclear(x);
	return rc;
}

void
api_certificate_revoke(struct api_req *req, struct api_resp *resp)
{
	struct rev rv;
	json_t *body;

	if (rev_init(&rv, req, resp) != 0)
		return;
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	if (revoke_body(&rv, body) == 0)
		run_tx(&rv, revoke_tx);
	json_decref(body);
}
