/*
 * principals_admin: the operator API of the three certificate-enrolled
 * principal kinds, one implementation for all of them:
 *
 *	GET   /v1/terminals		viewer; ?municipality= &enabled= (paged by id)
 *	POST  /v1/terminals		admin; {name, municipality_code, window_code?, certificate}
 *	GET   /v1/terminals/{id}	viewer
 *	PATCH /v1/terminals/{id}	admin; {enabled?, name?, window_code?}
 *
 * and the same for /v1/register-feeds ({name, certificate}) and /v1/kiosks
 * ({name, certificate, auth_pin_reset?}). A principal is known by the
 * SHA-256 of its certificate's DER; the certificate must chain to the
 * client CA bundle the API listener trusts ([api] client_ca), checked here
 * so that enrolment never registers a certificate TLS would refuse. The
 * principal_cert_unique trigger keeps a certificate to one principal (409).
 * Disabling takes effect on the next request: api/auth.c reads enabled on
 * every request. Every change is one transaction with its audit row.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/idem.h"
#include "api/operators/mgmt.h"
#include "common/clock.h"
#include "common/util.h"

/* One principal kind: its queries and which optional columns it has. */
struct pkind {
	const char	*kind;		/* audit object prefix and action ("terminal") */
	const char	*what;		/* for 404 details */
	const char	*path;		/* Location prefix */
	enum query_id	 q_list, q_get, q_insert, q_update;
	int		 municipality, window, pin;
};

static const struct pkind K_TERMINAL = { "terminal", "terminal", "/v1/terminals",
	Q_MGMT_TERM_LIST, Q_MGMT_TERM_GET, Q_MGMT_TERM_INSERT, Q_MGMT_TERM_UPDATE, 1, 1, 0 };
static const struct pkind K_FEED = { "register_feed", "register feed", "/v1/register-feeds",
	Q_MGMT_FEED_LIST, Q_MGMT_FEED_GET, Q_MGMT_FEED_INSERT, Q_MGMT_FEED_UPDATE, 0, 0, 0 };
static const struct pkind K_KIOSK = { "kiosk", "kiosk", "/v1/kiosks",
	Q_MGMT_KIOSK_LIST, Q_MGMT_KIOSK_GET, Q_MGMT_KIOSK_INSERT, Q_MGMT_KIOSK_UPDATE, 0, 0, 1 };

/* [api] client_ca, set once at start (api_admin_set_client_ca). */
static char *client_ca_path;

void
api_admin_set_client_ca(const char *path)
{
	free(client_ca_path);
	client_ca_path = path != NULL ? strdup(path) : NULL;
}

/* What a create or patch carries into its transaction. */
struct pchange {
	const struct pkind *k;
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*id;		/* patch */
	const char	*name, *municipality;
	const char	*window;	/* value when set_window */
	int		 set_window;
	int		 enabled, pin;	/* -1: keep / not given */
	unsigned char	 cert_sha256[SHA256_DIGEST_LENGTH];
	json_t		*changed;	/* patch: names of the fields given (audit) */
	int		 replayed;
};

/* ---------------------------------------------------------------- representation */

/* PA_* columns: id, name, municipality, window_code, auth_pin_reset, cert, enabled, created, last_seen. */
static json_t *
item_json_k(const struct pkind *k, const PGresult *res, int row)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:b, s:o, s:o}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10),
	    "name", PQgetvalue(res, row, 1),
	    "cert_sha256", PQgetvalue(res, row, 5),
	    "enabled", strcmp(PQgetvalue(res, row, 6), "true") == 0,
	    "created_at", mgmt_time(res, row, 7),
	    "last_seen_at", mgmt_time(res, row, 8));

	if (o == NULL)
		abort();
	if (k->municipality)
		json_object_set_new(o, "municipality", mgmt_str(res, row, 2));
	if (k->window)
		json_object_set_new(o, "window_code", mgmt_str(res, row, 3));
	if (k->pin)
		json_object_set_new(o, "auth_pin_reset", mgmt_bool(res, row, 4));
	return o;
}

/*
 * mgmt_page_json() takes a row function without context: the kind of a
 * row shows in its columns (terminals always have a municipality, kiosks
 * always auth_pin_reset, feeds neither).
 */
static json_t *
item_json_any(const PGresult *res, int row)
{
	const struct pkind *k = !PQgetisnull(res, row, 2) ? &K_TERMINAL :
	    !PQgetisnull(res, row, 4) ? &K_KIOSK : &K_FEED;

	return item_json_k(k, res, row);
}

/* ---------------------------------------------------------------- certificate */

/*
 * One PEM certificate that chains to the client CA -> SHA-256 of its DER.
 * 0; -1 with fields["certificate"]; -2 when the bundle cannot be read.
 */
static int
check_certificate(json_t *v, unsigned char *md, json_t *fields)
{
	const char *pem = json_string_value(v);
	X509 *x = NULL, *extra = NULL;
	X509_STORE *st = NULL;
	X509_STORE_CTX *ctx = NULL;
	unsigned char *der = NULL;
	char msg[160];
	BIO *b = NULL;
	int len, rc = -1;

	if (pem == NULL || (b = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		json_object_set_new(fields, "certificate", json_string("one PEM certificate"));
		goto out;
	}
	if ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		json_object_set_new(fields, "certificate",
		    json_string("exactly one certificate (the principal's own)"));
		goto out;
	}
	if (client_ca_path == NULL || (st = X509_STORE_new()) == NULL ||
	    X509_STORE_load_file(st, client_ca_path) != 1 ||
	    (ctx = X509_STORE_CTX_new()) == NULL || X509_STORE_CTX_init(ctx, st, x, NULL) != 1) {
		rc = -2;
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), clock_now());
	if (X509_verify_cert(ctx) != 1) {
		snprintf(msg, sizeof(msg), "not a client certificate of the client CA (%s)",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		json_object_set_new(fields, "certificate", json_string(msg));
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		json_object_set_new(fields, "certificate", json_string("not encodable as DER"));
		goto out;
	}
	SHA256(der, (size_t)len, md);
	rc = 0;
out:
	OPENSSL_free(der);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	X509_free(extra);
	X509_free(x);
	BIO_free(b);
	return rc;
}

/* ---------------------------------------------------------------- input */

static int
window_ok(const char *s)
{
	size_t n = strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

	return n >= 1 && n <= 16 && s[n] == '\0';
}

static void
check_window(json_t *body, struct pchange *ch, json_t *fields)
{
	json_t *v = json_object_get(body, "window_code");

	if (v == NULL)
		return;
	ch->set_window = 1;
	if (json_is_null(v))
		ch->window = NULL;
	else if (json_is_string(v) && window_ok(json_string_value(v)))
		ch->window = json_string_value(v);
	else
		json_object_set_new(fields, "window_code",
		    json_string("1 to 16 letters and digits, or null"));
}

static int
muni_ok(const char *s)
{
	return s != NULL && strlen(s) == 6 && strspn(s, "0123456789") == 6;
}

/* ---------------------------------------------------------------- transactions */

static json_t *
audit_detail(const struct pchange *ch)
{
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	json_t *d = json_object();

	if (ch->name != NULL)
		json_object_set_new(d, "name", json_string(ch->name));
	if (ch->municipality != NULL)
		json_object_set_new(d, "municipality_code", json_string(ch->municipality));
	if (ch->set_window)
		json_object_set_new(d, "window_code",
		    ch->window != NULL ? json_string(ch->window) : json_null());
	if (ch->enabled >= 0)
		json_object_set_new(d, "enabled", json_boolean(ch->enabled));
	if (ch->pin >= 0)
		json_object_set_new(d, "auth_pin_reset", json_boolean(ch->pin));
	if (ch->id == NULL) {
		util_hex(ch->cert_sha256, sizeof(ch->cert_sha256), hex);
		json_object_set_new(d, "cert_sha256", json_string(hex));
	}
	if (ch->changed != NULL)
		json_object_set(d, "changed", ch->changed);
	return d;
}

static int
create_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct pchange *ch = arg;
	const struct pkind *k = ch->k;
	char now[24], object[64], action[48];
	const char *v[5];
	int len[5] = { 0 }, fmt[5] = { 0 }, n;
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
	n = 0;
	v[n++] = ch->name;
	if (k->municipality) {
		v[n++] = ch->municipality;
		v[n++] = ch->window;
	}
	if (k->pin)
		v[n++] = ch->pin > 0 ? "true" : "false";
	len[n] = SHA256_DIGEST_LENGTH;
	fmt[n] = 1;
	v[n++] = (const char *)ch->cert_sha256;
	v[n++] = now;
	if ((res = store_exec(c, k->q_insert, n, v, len, fmt, err)) == NULL) {
		if (err->status == STORE_UNIQUE) {
			api_problem(ch->resp, 409, "already-registered", "Conflict", NULL,
			    json_pack("{s:s}", "certificate", "already registered to a principal"),
			    "this certificate is already registered (%s)", err->constraint);
			err->status = STORE_OK;
		}
		return -1;
	}
	if (PQntuples(res) != 1) {	/* terminals: no such municipality */
		PQclear(res);
		mgmt_invalid(ch->resp, json_pack("{s:s}", "municipality_code", "no such municipality"),
		    "the terminal has invalid fields");
		return -1;
	}
	snprintf(object, sizeof(object), "%s:%s", k->kind, PQgetvalue(res, 0, 0));
	api_json(ch->resp, 201, item_json_k(k, res, 0));
	api_add_header(ch->resp, "Location", "%s/%s", k->path, PQgetvalue(res, 0, 0));
	PQclear(res);
	snprintf(action, sizeof(action), "%s.create", k->kind);
	if (audit_write(c, ch->req, action, object, audit_detail(ch), err) != 0)
		return -1;
	return idem_finish(c, ch->req, ch->resp, err);
}

static void
pa_create(const struct pkind *k, struct api_req *req, struct api_resp *resp)
{
	static const char *const kt[] = { "name", "municipality_code", "window_code",
	    "certificate", NULL };
	static const char *const kf[] = { "name", "certificate", NULL };
	static const char *const kk[] = { "name", "certificate", "auth_pin_reset", NULL };
	struct pchange ch;
	json_t *body, *fields;
	int rc;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&ch, 0, sizeof(ch));
	ch.k = k;
	ch.req = req;
	ch.resp = resp;
	ch.enabled = -1;
	ch.pin = -1;
	fields = json_object();
	mgmt_check_known(body, k->municipality ? kt : k->pin ? kk : kf, fields);
	ch.name = mgmt_check_text(body, "name", 128, fields);
	if (k->municipality) {
		ch.municipality = json_string_value(json_object_get(body, "municipality_code"));
		if (!muni_ok(ch.municipality))
			json_object_set_new(fields, "municipality_code", json_string("6 digits"));
		check_window(body, &ch, fields);
	}
	if (k->pin) {
		ch.pin = 0;
		(void)mgmt_check_bool(body, "auth_pin_reset", fields, &ch.pin);
	}
	if ((rc = check_certificate(json_object_get(body, "certificate"), ch.cert_sha256,
	    fields)) == -2) {
		json_decref(fields);
		api_problem(resp, 500, "client-ca-unreadable", "Internal Server Error", NULL, NULL,
		    "the client CA bundle ([api] client_ca) cannot be read");
		goto out;
	}
	if (json_object_size(fields) > 0) {
		mgmt_invalid(resp, fields, "the principal has invalid fields");
		goto out;
	}
	json_decref(fields);
	mgmt_run_tx(req, resp, create_tx, &ch);
out:
	json_decref(body);
}

static int
patch_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct pchange *ch = arg;
	const struct pkind *k = ch->k;
	char object[64], action[48];
	const char *v[5];
	int n = 0;
	PGresult *res;

	v[n++] = ch->id;
	v[n++] = ch->name;
	v[n++] = ch->enabled < 0 ? NULL : ch->enabled ? "true" : "false";
	if (k->window) {
		v[n++] = ch->set_window ? "true" : "false";
		v[n++] = ch->window;
	}
	if (k->pin)
		v[n++] = ch->pin < 0 ? NULL : ch->pin ? "true" : "false";
	if ((res = store_exec(c, k->q_update, n, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		mgmt_not_found(ch->resp, k->what);
		return -1;
	}
	api_json(ch->resp, 200, item_json_k(k, res, 0));
	PQclear(res);
	snprintf(object, sizeof(object), "%s:%s", k->kind, ch->id);
	snprintf(action, sizeof(action), "%s.update", k->kind);
	return audit_write(c, ch->req, action, object, audit_detail(ch), err);
}

static void
pa_patch(const struct pkind *k, struct api_req *req, struct api_resp *resp)
{
	static const char *const kt[] = { "name", "enabled", "window_code", NULL };
	static const char *const kf[] = { "name", "enabled", NULL };
	static const char *const kk[] = { "name", "enabled", "auth_pin_reset", NULL };
	struct pchange ch;
	json_t *body, *fields, *v;
	const char *key;

	if (!mgmt_id_ok(req->params[0])) {
		mgmt_not_found(resp, k->what);
		return;
	}
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&ch, 0, sizeof(ch));
	ch.k = k;
	ch.req = req;
	ch.resp = resp;
	ch.id = req->params[0];
	ch.enabled = -1;
	ch.pin = -1;
	fields = json_object();
	mgmt_check_known(body, k->window ? kt : k->pin ? kk : kf, fields);
	if (json_object_get(body, "name") != NULL)
		ch.name = mgmt_check_text(body, "name", 128, fields);
	(void)mgmt_check_bool(body, "enabled", fields, &ch.enabled);
	if (k->window)
		check_window(body, &ch, fields);
	if (k->pin)
		(void)mgmt_check_bool(body, "auth_pin_reset", fields, &ch.pin);
	if (json_object_size(fields) == 0 && json_object_size(body) == 0)
		json_object_set_new(fields, "enabled", json_string("nothing to change"));
	if (json_object_size(fields) > 0) {
		mgmt_invalid(resp, fields, "the change has invalid fields");
		goto out;
	}
	json_decref(fields);
	ch.changed = json_array();
	json_object_foreach(body, key, v)
		json_array_append_new(ch.changed, json_string(key));
	mgmt_run_tx(req, resp, patch_tx, &ch);
out:
	json_decref(ch.changed);
	json_decref(body);
}

/* ---------------------------------------------------------------- reads */

static void
pa_list(const struct pkind *k, struct api_req *req, struct api_resp *resp)
{
	struct api_page pg;
	char after[32], lim[16];
	const char *v[4], *enabled, *muni = NULL;
	PGresult *res;
	int n = 0;

	if (mgmt_page_by_id(req, resp, &pg, after, sizeof(after), &v[0]) != 0 ||
	    mgmt_query_bool(req, resp, "enabled", &enabled) != 0)
		return;
	if (k->municipality && (muni = mgmt_query(req, "municipality")) != NULL && !muni_ok(muni)) {
		mgmt_bad_query(resp, "municipality", "a municipality code (6 digits)");
		return;
	}
	n = 1;
	v[n++] = enabled;
	if (k->municipality)
		v[n++] = muni;
	v[n++] = api_page_limit_plus_one(&pg, lim, sizeof(lim));
	if ((res = api_read(req, resp, k->q_list, n, v)) == NULL)
		return;
	api_json(resp, 200, mgmt_page_json(res, &pg, item_json_any));
	PQclear(res);
}

static void
pa_get(const struct pkind *k, struct api_req *req, struct api_resp *resp)
{
	const char *v[1] = { req->params[0] };
	PGresult *res;

	if (!mgmt_id_ok(req->params[0])) {
		mgmt_not_found(resp, k->what);
		return;
	}
	if ((res = api_read(req, resp, k->q_get, 1, v)) == NULL)
		return;
	if (PQntuples(res) == 1)
		api_json(resp, 200, item_json_k(k, res, 0));
	else
		mgmt_not_found(resp, k->what);
	PQclear(res);
}

/* ---------------------------------------------------------------- routes */

void api_terminal_list(struct api_req *q, struct api_resp *r) { pa_list(&K_TERMINAL, q, r); }
void api_terminal_create(struct api_req *q, struct api_resp *r) { pa_create(&K_TERMINAL, q, r); }
void api_terminal_get(struct api_req *q, struct api_resp *r) { pa_get(&K_TERMINAL, q, r); }
void api_terminal_patch(struct api_req *q, struct api_resp *r) { pa_patch(&K_TERMINAL, q, r); }
void api_register_feed_list(struct api_req *q, struct api_resp *r) { pa_list(&K_FEED, q, r); }
void api_register_feed_create(struct api_req *q, struct api_resp *r) { pa_create(&K_FEED, q, r); }
void api_register_feed_get(struct api_req *q, struct api_resp *r) { pa_get(&K_FEED, q, r); }
void api_register_feed_patch(struct api_req *q, struct api_resp *r) { pa_patch(&K_FEED, q, r); }
void api_kiosk_list(struct api_req *q, struct api_resp *r) { pa_list(&K_KIOSK, q, r); }
void api_kiosk_create(struct api_req *q, struct api_resp *r) { pa_create(&K_KIOSK, q, r); }
void api_kiosk_get(struct api_req *q, struct api_resp *r) { pa_get(&K_KIOSK, q, r); }
void api_kiosk_patch(struct api_req *q, struct api_resp *r) { pa_patch(&K_KIOSK, q, r); }
