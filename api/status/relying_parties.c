/*
 * relying_parties: the operator API of registered verifiers (R26: J-LIS
 * gives revocation data only to 署名検証者 / 利用者証明検証者, once charged
 * per check).
 *
 *	POST  /v1/relying-parties		admin; 201 (+ the token, once)
 *	GET   /v1/relying-parties		viewer
 *	GET   /v1/relying-parties/{id}		viewer
 *	PATCH /v1/relying-parties/{id}		admin; name, types, enabled, rotate_token
 *	GET   /v1/relying-parties/{id}/usage	viewer; checks per JST day and type
 *
 * A relying party is known by a client certificate (SHA-256 of its DER, for
 * the API listener) and/or a bearer token (for the status listener). The
 * token is 32 random bytes in base64url, returned only by the response that
 * creates or rotates it; the database keeps SHA-256 of the token text, and
 * the Idempotency-Key copy of a creating response leaves it out (a replay
 * answers without the token). Every change is one transaction with its
 * audit row, which names the fields changed but never holds a token.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/idem.h"
#include "api/operators/mgmt.h"
#include "api/status/rp.h"
#include "ca/charset.h"
#include "ca/jpdate.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"

#define TOKEN_BYTES	32
#define TOKEN_LEN	43	/* base64url of 32 bytes, no padding */
#define USAGE_MAX_DAYS	366

/* What a create or patch carries into its transaction. */
struct rp_change {
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*id;			/* patch */
	const char	*name;			/* NULL: keep (patch) */
	char		 types[16];		/* "sign,auth"; "": keep (patch) */
	int		 enabled;		/* -1: keep */
	int		 has_cert;
	unsigned char	 cert_sha256[SHA256_DIGEST_LENGTH];
	int		 new_token;
	char		 token[TOKEN_LEN + 1];
	unsigned char	 token_hash[SHA256_DIGEST_LENGTH];
	json_t		*changed;		/* patch: names of the fields changed (audit) */
	int		 replayed;
};

/* ---------------------------------------------------------------- representation */

static json_t *
types_json(const char *csv)
{
	json_t *a = json_array();
	unsigned t = rp_types_parse(csv);

	if (t & RP_TYPE_SIGN)
		json_array_append_new(a, json_string("sign"));
	if (t & RP_TYPE_AUTH)
		json_array_append_new(a, json_string("auth"));
	return a;
}

/* One row of Q_RP_* (RP_COLS of db/queries.c) as the API shows it. */
static json_t *
rp_json(const PGresult *res, int row)
{
	char ts[32];
	json_t *o;

	o = json_pack("{s:I, s:s, s:o, s:b, s:o, s:b, s:s}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10),
	    "name", PQgetvalue(res, row, 1),
	    "types", types_json(PQgetvalue(res, row, 2)),
	    "enabled", strcmp(PQgetvalue(res, row, 3), "true") == 0,
	    "certificate_sha256", PQgetisnull(res, row, 4) ? json_null() :
	    json_string(PQgetvalue(res, row, 4)),
	    "has_token", strcmp(PQgetvalue(res, row, 5), "true") == 0,
	    "created_at", counter_rfc3339((time_t)strtoll(PQgetvalue(res, row, 6), NULL, 10),
	    ts, sizeof(ts)));
	if (o == NULL)
		abort();
	/* Reads (Q_MGMT_RP_PAGE, Q_MGMT_RP_GET) also say when it last authenticated. */
	if (PQnfields(res) > 7)
		json_object_set_new(o, "last_seen_at", mgmt_time(res, row, 7));
	return o;
}

/* A relying-party id of the path: digits, 1..18 of them. */
static int
id_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 18 && s[n] == '\0' && s[0] != '0';
}

static void
not_found(struct api_resp *resp)
{
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such relying party");
}

/* ---------------------------------------------------------------- input */

/* A fresh token and its hash into ch. 0, or -1 (no randomness). */
static int
token_new(struct rp_change *ch)
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[TOKEN_BYTES + 1];
	size_t i, o = 0;

	if (RAND_bytes(raw, TOKEN_BYTES) != 1)
		return -1;
	raw[TOKEN_BYTES] = 0;
	for (i = 0; i < TOKEN_BYTES; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    (i + 2 < TOKEN_BYTES ? raw[i + 2] : 0);

		ch->token[o++] = b64url[v >> 18 & 63];
		ch->token[o++] = b64url[v >> 12 & 63];
		if (o < TOKEN_LEN)
			ch->token[o++] = b64url[v >> 6 & 63];
		if (o < TOKEN_LEN)
			ch->token[o++] = b64url[v & 63];
	}
	ch->token[TOKEN_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	/* The gate hashes the token text as sent (api/status/rp.c). */
	SHA256((const unsigned char *)ch->token, TOKEN_LEN, ch->token_hash);
	ch->new_token = 1;
	return 0;
}

static void
check_name(json_t *v, struct rp_change *ch, json_t *fields)
{
	const char *s = json_string_value(v);
	long n;

	if (s == NULL || (n = charset_utf8_len(s)) < 1 || n > 128) {
		json_object_set_new(fields, "name", json_string("a string of 1 to 128 characters"));
		return;
	}
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			json_object_set_new(fields, "name",
			    json_string("must not contain control characters"));
			return;
		}
	ch->name = json_string_value(v);
}

static void
check_types(json_t *v, struct rp_change *ch, json_t *fields)
{
	unsigned t = 0, bit;
	size_t i;
	json_t *e;
	const char *s;

	if (!json_is_array(v) || json_array_size(v) == 0)
		goto bad;
	json_array_foreach(v, i, e) {
		if ((s = json_string_value(e)) == NULL)
			goto bad;
		bit = strcmp(s, "sign") == 0 ? RP_TYPE_SIGN : strcmp(s, "auth") == 0 ?
		    RP_TYPE_AUTH : 0;
		if (bit == 0 || (t & bit) != 0)
			goto bad;
		t |= bit;
	}
	snprintf(ch->types, sizeof(ch->types), "%s",
	    t == (RP_TYPE_SIGN | RP_TYPE_AUTH) ? "sign,auth" : t == RP_TYPE_SIGN ? "sign" : "auth");
	return;
bad:
	json_object_set_new(fields, "types",
	    json_string("a non-empty array of distinct \"sign\" and \"auth\""));
}

/* One PEM certificate -> SHA-256 of its DER. */
static void
check_certificate(json_t *v, struct rp_change *ch, json_t *fields)
{
	const char *pem = json_string_value(v);
	unsigned char *der = NULL;
	X509 *x = NULL, *extra = NULL;
	BIO *b = NULL;
	int len;

	if (pem == NULL || (b = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		json_object_set_new(fields, "certificate", json_string("one PEM certificate"));
		goto out;
	}
	if ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		json_object_set_new(fields, "certificate",
		    json_string("exactly one certificate (the relying party's own)"));
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		json_object_set_new(fields, "certificate", json_string("not encodable as DER"));
		goto out;
	}
	SHA256(der, (size_t)len, ch->cert_sha256);
	ch->has_cert = 1;
out:
	OPENSSL_free(der);
	X509_free(extra);
	X509_free(x);
	BIO_free(b);
}

static int
check_bool(json_t *body, const char *name, json_t *fields, int *out)
{
	json_t *v = json_object_get(body, name);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		json_object_set_new(fields, name, json_string("true or false"));
		return 0;
	}
	*out = json_is_true(v);
	return 1;
}

/* Unknown members of body -> fields. */
static void
check_known(json_t *body, const char *const *known, json_t *fields)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(body, key, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL)
			json_object_set_new(fields, key, json_string("unknown field"));
	}
}

/* ---------------------------------------------------------------- transactions */

static void
run_tx(struct api_req *req, struct api_resp *resp, store_tx_fn fn, void *arg)
{
	struct store_err err;

	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, fn, arg, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
}

/* A STORE_UNIQUE on the certificate becomes a 409 (the transaction rolls back). */
static int
cert_conflict(struct api_resp *resp, struct store_err *err)
{
	if (err->status != STORE_UNIQUE)
		return 0;
	api_problem(resp, 409, "already-registered", "Conflict", NULL,
	    json_pack("{s:s}", "certificate", "already registered to a principal"),
	    "this certificate is already registered (%s)", err->constraint);
	err->status = STORE_OK;
	return 1;
}

static json_t *
audit_detail(const struct rp_change *ch)
{
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	json_t *d = json_object();

	if (ch->name != NULL)
		json_object_set_new(d, "name", json_string(ch->name));
	if (ch->types[0] != '\0')
		json_object_set_new(d, "types", types_json(ch->types));
	if (ch->enabled >= 0)
		json_object_set_new(d, "enabled", json_boolean(ch->enabled));
	if (ch->has_cert) {
		util_hex(ch->cert_sha256, sizeof(ch->cert_sha256), hex);
		json_object_set_new(d, "certificate_sha256", json_string(hex));
	}
	/* That a token was set, never the token or its hash. */
	json_object_set_new(d, "token_issued", json_boolean(ch->new_token));
	if (ch->changed != NULL)
		json_object_set(d, "changed", ch->changed);
	return d;
}

static int
create_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct rp_change *ch = arg;
	char now[24], object[48];
	const char *v[5];
	int len[5] = { 0, 0, SHA256_DIGEST_LENGTH, SHA256_DIGEST_LENGTH, 0 };
	int fmt[5] = { 0, 0, 1, 1, 0 };
	PGresult *res;

	ch->replayed = 0;
	switch (idem_begin(c, ch->req, NULL, ch->resp, err)) {
	case IDEM_REPLAY:
		ch->replayed = 1;
		/* FALLTHROUGH */
	case IDEM_DBERR:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	snprintf(now, sizeof(now), "%lld", (long long)clock_now());
	v[0] = ch->name;
	v[1] = ch->types;
	v[2] = ch->has_cert ? (const char *)ch->cert_sha256 : NULL;
	v[3] = ch->new_token ? (const char *)ch->token_hash : NULL;
	v[4] = now;
	if ((res = store_exec(c, Q_RP_INSERT, 5, v, len, fmt, err)) == NULL) {
		cert_conflict(ch->resp, err);
		return -1;
	}
	snprintf(object, sizeof(object), "relying_party:%s", PQgetvalue(res, 0, 0));
	api_json(ch->resp, 201, rp_json(res, 0));	/* without the token: what idem stores */
	PQclear(res);
	if (audit_write(c, ch->req, "relying_party.create", object, audit_detail(ch), err) != 0)
		return -1;
	return idem_finish(c, ch->req, ch->resp, err);
}

/* After COMMIT: add the token to the answer (never to what was stored). */
static void
answer_with_token(struct rp_change *ch)
{
	json_error_t je;
	json_t *o;

	if (ch->resp->status < 200 || ch->resp->status > 299 || ch->replayed)
		return;
	if ((o = json_loadb(ch->resp->body, ch->resp->body_len, 0, &je)) == NULL)
		abort();	/* we wrote it */
	api_add_header(ch->resp, "Location", "/v1/relying-parties/%lld",
	    (long long)json_integer_value(json_object_get(o, "id")));
	if (ch->new_token)
		json_object_set_new(o, "token", json_string(ch->token));
	api_json(ch->resp, ch->resp->status, o);
}

void
api_rp_create(struct api_req *req, struct api_resp *resp)
{
	static const char *const known[] = { "name", "types", "certificate", "token", NULL };
	struct rp_change ch;
	json_t *body, *fields;
	int want_token = 0;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&ch, 0, sizeof(ch));
	ch.req = req;
	ch.resp = resp;
	ch.enabled = -1;
	fields = json_object();
	check_known(body, known, fields);
	check_name(json_object_get(body, "name"), &ch, fields);
	check_types(json_object_get(body, "types"), &ch, fields);
	if (json_object_get(body, "certificate") != NULL &&
	    !json_is_null(json_object_get(body, "certificate")))
		check_certificate(json_object_get(body, "certificate"), &ch, fields);
	(void)check_bool(body, "token", fields, &want_token);
	if (json_object_size(fields) == 0 && !ch.has_cert && !want_token)
		json_object_set_new(fields, "token",
		    json_string("a relying party needs a certificate, a token (true) or both"));
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the relying party has invalid fields");
		goto out;
	}
	json_decref(fields);
	if (want_token && token_new(&ch) != 0) {
		api_problem(resp, 500, "no-randomness", "Internal Server Error", NULL, NULL,
		    "no random bytes for a token");
		goto out;
	}
	run_tx(req, resp, create_tx, &ch);
	answer_with_token(&ch);
	if (resp->status == 201 && !ch.replayed)
		log_kv(LOG_LVL_INFO, "relying party registered", "request_id", req->request_id,
		    "name", ch.name, "types", ch.types, (char *)NULL);
out:
	OPENSSL_cleanse(ch.token, sizeof(ch.token));
	json_decref(body);
}

static int
patch_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct rp_change *ch = arg;
	char object[48];
	const char *v[5];
	int len[5] = { 0, 0, 0, 0, SHA256_DIGEST_LENGTH }, fmt[5] = { 0, 0, 0, 0, 1 };
	PGresult *res;

	v[0] = ch->id;
	v[1] = ch->name;
	v[2] = ch->types[0] != '\0' ? ch->types : NULL;
	v[3] = ch->enabled < 0 ? NULL : ch->enabled ? "true" : "false";
	v[4] = ch->new_token ? (const char *)ch->token_hash : NULL;
	if ((res = store_exec(c, Q_RP_UPDATE, 5, v, len, fmt, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		not_found(ch->resp);
		return -1;
	}
	api_json(ch->resp, 200, rp_json(res, 0));
	PQclear(res);
	snprintf(object, sizeof(object), "relying_party:%s", ch->id);
	return audit_write(c, ch->req, "relying_party.update", object, audit_detail(ch), err);
}

void
api_rp_patch(struct api_req *req, struct api_resp *resp)
{
	static const char *const known[] = { "name", "types", "enabled", "rotate_token", NULL };
	struct rp_change ch;
	json_t *body, *fields;
	int rotate = 0;
	const char *key;
	json_t *v;

	if (!id_ok(req->params[0])) {
		not_found(resp);
		return;
	}
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&ch, 0, sizeof(ch));
	ch.req = req;
	ch.resp = resp;
	ch.id = req->params[0];
	ch.enabled = -1;
	fields = json_object();
	check_known(body, known, fields);
	if (json_object_get(body, "name") != NULL)
		check_name(json_object_get(body, "name"), &ch, fields);
	if (json_object_get(body, "types") != NULL)
		check_types(json_object_get(body, "types"), &ch, fields);
	(void)check_bool(body, "enabled", fields, &ch.enabled);
	(void)check_bool(body, "rotate_token", fields, &rotate);
	if (json_object_size(fields) == 0 && json_object_size(body) == 0)
		json_object_set_new(fields, "name",
		    json_string("nothing to change: name, types, enabled or rotate_token"));
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the change has invalid fields");
		goto out;
	}
	json_decref(fields);
	if (rotate && token_new(&ch) != 0) {
		api_problem(resp, 500, "no-randomness", "Internal Server Error", NULL, NULL,
		    "no random bytes for a token");
		goto out;
	}
	ch.changed = json_array();
	json_object_foreach(body, key, v)
		json_array_append_new(ch.changed, json_string(key));
	run_tx(req, resp, patch_tx, &ch);
	if (resp->status == 200) {
		rp_gate_invalidate(req->app);	/* this instance: at once; others: RP_GATE_TTL_MS */
		if (ch.new_token) {
			json_t *o = json_loadb(resp->body, resp->body_len, 0, NULL);

			if (o == NULL)
				abort();	/* we wrote it */
			json_object_set_new(o, "token", json_string(ch.token));
			api_json(resp, 200, o);
		}
	}
out:
	OPENSSL_cleanse(ch.token, sizeof(ch.token));
	json_decref(ch.changed);
	json_decref(body);
}

/* ---------------------------------------------------------------- reads */

/* Paged by id like every operator list (api/paging.h); ?enabled= filters. */
void
api_rp_list(struct api_req *req, struct api_resp *resp)
{
	struct api_page pg;
	char after[32], lim[16];
	const char *v[3];
	PGresult *res;

	if (mgmt_page_by_id(req, resp, &pg, after, sizeof(after), &v[0]) != 0 ||
	    mgmt_query_bool(req, resp, "enabled", &v[1]) != 0)
		return;
	v[2] = api_page_limit_plus_one(&pg, lim, sizeof(lim));
	if ((res = api_read(req, resp, Q_MGMT_RP_PAGE, 3, v)) == NULL)
		return;
	api_json(resp, 200, mgmt_page_json(res, &pg, rp_json));
	PQclear(res);
}

void
api_rp_get(struct api_req *req, struct api_resp *resp)
{
	const char *v[1] = { req->params[0] };
	PGresult *res;

	if (!id_ok(req->params[0])) {
		not_found(resp);
		return;
	}
	res = api_read(req, resp, Q_MGMT_RP_GET, 1, v);	/* with last_seen_at */
	if (res == NULL)
		return;
	if (PQntuples(res) == 1)
		api_json(resp, 200, rp_json(res, 0));
	else
		not_found(resp);
	PQclear(res);
}

/* A query parameter, or NULL. */
static const char *
query_param(struct api_req *req, const char *name)
{
	if (req->query == NULL)
		return NULL;
	return req->query(req->hctx, name);
}

void
api_rp_usage(struct api_req *req, struct api_resp *resp)
{
	struct jpdate from, to, today = jpdate_from_time(clock_now());
	const char *sfrom, *sto, *v[3];
	char bfrom[16], bto[16];
	long long total[2] = { 0, 0 }, n;
	json_t *fields, *days;
	PGresult *res;
	int i;

	if (!id_ok(req->params[0])) {
		not_found(resp);
		return;
	}
	/* Default: this month (JST) so far. */
	from = today;
	from.d = 1;
	to = today;
	fields = json_object();
	if ((sfrom = query_param(req, "from")) != NULL && jpdate_parse(sfrom, &from) != 0)
		json_object_set_new(fields, "from", json_string("a date YYYY-MM-DD"));
	if ((sto = query_param(req, "to")) != NULL && jpdate_parse(sto, &to) != 0)
		json_object_set_new(fields, "to", json_string("a date YYYY-MM-DD"));
	if (json_object_size(fields) == 0 && jpdate_cmp(from, to) > 0)
		json_object_set_new(fields, "to", json_string("must not be before from"));
	if (json_object_size(fields) == 0 &&
	    jpdate_to_days(to) - jpdate_to_days(from) >= USAGE_MAX_DAYS)
		json_object_set_new(fields, "to", json_string("at most 366 days from from"));
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the period is invalid");
		return;
	}
	json_decref(fields);
	/* The counts still in memory belong in the answer. */
	if (rp_usage_flush(req->app) != 0) {
		api_problem(resp, 503, "unavailable", "Service Unavailable", NULL, NULL,
		    "the usage counters cannot be written now");
		api_add_header(resp, "Retry-After", "5");
		return;
	}
	v[0] = req->params[0];
	res = api_read(req, resp, Q_RP_GET, 1, v);
	if (res == NULL)
		return;
	i = PQntuples(res);
	PQclear(res);
	if (i != 1) {
		not_found(resp);
		return;
	}
	v[1] = jpdate_format(from, bfrom, sizeof(bfrom));
	v[2] = jpdate_format(to, bto, sizeof(bto));
	res = api_read(req, resp, Q_RP_USAGE_GET, 3, v);
	if (res == NULL)
		return;
	days = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		n = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		total[strcmp(PQgetvalue(res, i, 1), "sign") == 0 ? 0 : 1] += n;
		json_array_append_new(days, json_pack("{s:s, s:s, s:I}", "day",
		    PQgetvalue(res, i, 0), "type", PQgetvalue(res, i, 1), "checks", (json_int_t)n));
	}
	PQclear(res);
	api_json(resp, 200, json_pack("{s:I, s:s, s:s, s:o, s:{s:I, s:I, s:I}}",
	    "relying_party_id", (json_int_t)strtoll(req->params[0], NULL, 10),
	    "from", bfrom, "to", bto, "days", days,
	    "totals", "sign", (json_int_t)total[0], "auth", (json_int_t)total[1],
	    "all", (json_int_t)(total[0] + total[1])));
}
