/*
 * operators_admin: the operator API of operator accounts.
 *
 *	GET   /v1/operators		admin; ?role= &enabled= (paged by id)
 *	POST  /v1/operators		admin; {username, role, display_name?, password}
 *	GET   /v1/operators/{id}	admin
 *	PATCH /v1/operators/{id}	admin; {role?, enabled?, display_name?}
 *	POST  /v1/operators/{id}/totp	admin; a new TOTP secret, shown once
 *
 * Passwords are checked with password_weakness() and kept only as their
 * Argon2id encoding ([operators] argon2_* parameters); the clear text is
 * wiped from the parsed body before it is freed and is never logged or
 * audited. Disabling an operator or replacing the second factor ends the
 * operator's sessions in the same transaction. No change may leave zero
 * enabled admins (409): such changes are serialized by one advisory lock.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/idem.h"
#include "api/operators/mgmt.h"
#include "ca/password.h"
#include "ca/totp.h"
#include "common/clock.h"
#include "common/log.h"

struct opchange {
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*id;		/* patch, totp */
	const char	*username, *display_name, *role;
	int		 enabled;	/* -1: keep */
	char		 hash[256];	/* create: Argon2id encoding */
	unsigned char	 secret[TOTP_SECRET_LEN];	/* totp */
	char		 account[80];	/* totp: the username, for the URI */
	json_t		*changed;
	int		 replayed;
};

/* OP_COLS: id, username, display_name, role, enabled, totp, password, cert, last_login, locked_until, created, last_seen. */
static json_t *
op_json(const PGresult *res, int row)
{
	json_t *o = json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10),
	    "username", PQgetvalue(res, row, 1),
	    "display_name", mgmt_str(res, row, 2),
	    "role", PQgetvalue(res, row, 3),
	    "enabled", mgmt_bool(res, row, 4),
	    "second_factor", mgmt_bool(res, row, 5),
	    "has_password", mgmt_bool(res, row, 6),
	    "has_certificate", mgmt_bool(res, row, 7),
	    "last_login_at", mgmt_time(res, row, 8),
	    "locked_until", mgmt_time(res, row, 9),
	    "created_at", mgmt_time(res, row, 10),
	    "last_seen_at", mgmt_time(res, row, 11));

	if (o == NULL)
		abort();
	return o;
}

static int
role_ok(const char *s)
{
	return s != NULL && api_role_rank(s) > 0;
}

static int
username_ok(const char *s)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n;

	if (s == NULL || s[0] == '\0' || strchr(first, s[0]) == NULL)
		return 0;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-");
	return s[n] == '\0' && n <= 64;
}

/* The password member, wiped in place (jansson owns the buffer) once hashed or refused. */
static void
wipe_password(json_t *body)
{
	json_t *v = json_object_get(body, "password");

	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
}

static json_t *
audit_detail(const struct opchange *ch)
{
	json_t *d = json_object();

	if (ch->username != NULL)
		json_object_set_new(d, "username", json_string(ch->username));
	if (ch->role != NULL)
		json_object_set_new(d, "role", json_string(ch->role));
	if (ch->display_name != NULL)
		json_object_set_new(d, "display_name", json_string(ch->display_name));
	if (ch->enabled >= 0)
		json_object_set_new(d, "enabled", json_boolean(ch->enabled));
	if (ch->changed != NULL)
		json_object_set(d, "changed", ch->changed);
	return d;
}

/* ---------------------------------------------------------------- create */

static int
create_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct opchange *ch = arg;
	char now[24], object[48];
	const char *v[5];
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
	v[0] = ch->username;
	v[1] = ch->display_name;
	v[2] = ch->role;
	v[3] = ch->hash;
	v[4] = now;
	if ((res = store_exec(c, Q_MGMT_OP_INSERT, 5, v, NULL, NULL, err)) == NULL) {
		if (err->status == STORE_UNIQUE) {
			api_problem(ch->resp, 409, "already-exists", "Conflict", NULL,
			    json_pack("{s:s}", "username", "taken"),
			    "an operator named %s exists already", ch->username);
			err->status = STORE_OK;
		}
		return -1;
	}
	snprintf(object, sizeof(object), "operator:%s", PQgetvalue(res, 0, 0));
	api_json(ch->resp, 201, op_json(res, 0));
	api_add_header(ch->resp, "Location", "/v1/operators/%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (audit_write(c, ch->req, "operator.create", object, audit_detail(ch), err) != 0)
		return -1;
	return idem_finish(c, ch->req, ch->resp, err);
}

void
api_operator_create(struct api_req *req, struct api_resp *resp)
{
	static const char *const known[] = { "username", "role", "display_name", "password", NULL };
	const struct operator_cfg *oc = &req->app->operators;
	struct password_params pp = { (unsigned)oc->argon2_memory_kib,
	    (unsigned)oc->argon2_iterations, (unsigned)oc->argon2_parallelism };
	struct opchange ch;
	json_t *body, *fields;
	const char *pw, *weak;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&ch, 0, sizeof(ch));
	ch.req = req;
	ch.resp = resp;
	ch.enabled = -1;
	fields = json_object();
	mgmt_check_known(body, known, fields);
	ch.username = json_string_value(json_object_get(body, "username"));
	if (!username_ok(ch.username))
		json_object_set_new(fields, "username",
		    json_string("1 to 64 of a-z 0-9 . _ -, starting with a letter or digit"));
	ch.role = json_string_value(json_object_get(body, "role"));
	if (!role_ok(ch.role))
		json_object_set_new(fields, "role", json_string("viewer, officer or admin"));
	if (json_object_get(body, "display_name") != NULL &&
	    !json_is_null(json_object_get(body, "display_name")))
		ch.display_name = mgmt_check_text(body, "display_name", 128, fields);
	pw = json_string_value(json_object_get(body, "password"));
	if (pw == NULL)
		json_object_set_new(fields, "password", json_string("a string"));
	else if (strlen(pw) != json_string_length(json_object_get(body, "password")))
		json_object_set_new(fields, "password", json_string("must not contain NUL"));
	else if ((weak = password_weakness(pw)) != NULL)
		json_object_set_new(fields, "password", json_string(weak));
	if (json_object_size(fields) > 0) {
		wipe_password(body);
		mgmt_invalid(resp, fields, "the operator has invalid fields");
		goto out;
	}
	json_decref(fields);
	if (password_hash(&pp, pw, ch.hash, sizeof(ch.hash)) != 0) {
		wipe_password(body);
		api_problem(resp, 500, "password-hash-failed", "Internal Server Error", NULL, NULL,
		    "the password could not be hashed (check [operators] argon2_*)");
		goto out;
	}
	wipe_password(body);
	mgmt_run_tx(req, resp, create_tx, &ch);
	if (resp->status == 201 && !ch.replayed)
		log_kv(LOG_LVL_INFO, "operator created", "request_id", req->request_id,
		    "username", ch.username, "role", ch.role, (char *)NULL);
out:
	OPENSSL_cleanse(ch.hash, sizeof(ch.hash));
	json_decref(body);
}

/* ---------------------------------------------------------------- patch */

static int
patch_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct opchange *ch = arg;
	const char *v[4];
	char object[48];
	PGresult *res;
	json_t *item;
	long long admins;

	/* Two admins demoting each other at once must not both succeed. */
	if ((res = store_exec(c, Q_MGMT_OP_ADMIN_LOCK, 0, NULL, NULL, NULL, err)) == NULL)
		return -1;
	PQclear(res);
	v[0] = ch->id;
	v[1] = ch->role;
	v[2] = ch->enabled < 0 ? NULL : ch->enabled ? "true" : "false";
	v[3] = ch->display_name;
	if ((res = store_exec(c, Q_MGMT_OP_UPDATE, 4, v, NULL, NULL, err)) == NULL) {
		if (err->status == STORE_CONSTRAINT &&
		    strcmp(err->constraint, "operators_credential_check") == 0) {
			api_problem(ch->resp, 409, "no-credential", "Conflict", NULL,
			    json_pack("{s:s}", "enabled", "the operator has no password nor certificate"),
			    "an operator without a credential cannot be enabled");
			err->status = STORE_OK;
		}
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		mgmt_not_found(ch->resp, "operator");
		return -1;
	}
	item = op_json(res, 0);
	PQclear(res);
	if ((res = store_exec(c, Q_MGMT_OP_ADMINS, 0, NULL, NULL, NULL, err)) == NULL) {
		json_decref(item);
		return -1;
	}
	admins = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (admins == 0) {
		json_decref(item);
		api_problem(ch->resp, 409, "last-admin", "Conflict", NULL,
		    json_pack("{s:s}", ch->enabled == 0 ? "enabled" : "role",
		    "the last enabled admin must stay an enabled admin"),
		    "this change would leave no enabled admin");
		return -1;
	}
	if (ch->enabled == 0) {
		v[0] = ch->id;
		if ((res = store_exec(c, Q_MGMT_OP_END_SESSIONS, 1, v, NULL, NULL, err)) == NULL) {
			json_decref(item);
			return -1;
		}
		PQclear(res);
	}
	api_json(ch->resp, 200, item);
	snprintf(object, sizeof(object), "operator:%s", ch->id);
	return audit_write(c, ch->req, "operator.update", object, audit_detail(ch), err);
}

void
api_operator_patch(struct api_req *req, struct api_resp *resp)
{
	static const char *const known[] = { "role", "enabled", "display_name", NULL };
	struct opchange ch;
	json_t *body, *fields, *v;
	const char *key;

	if (!mgmt_id_ok(req->params[0])) {
		mgmt_not_found(resp, "operator");
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
	mgmt_check_known(body, known, fields);
	if (json_object_get(body, "role") != NULL &&
	    !role_ok(ch.role = json_string_value(json_object_get(body, "role"))))
		json_object_set_new(fields, "role", json_string("viewer, officer or admin"));
	(void)mgmt_check_bool(body, "enabled", fields, &ch.enabled);
	if (json_object_get(body, "display_name") != NULL)
		ch.display_name = mgmt_check_text(body, "display_name", 128, fields);
	if (json_object_size(fields) == 0 && json_object_size(body) == 0)
		json_object_set_new(fields, "role",
		    json_string("nothing to change: role, enabled or display_name"));
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

/* ---------------------------------------------------------------- second factor */

static int
totp_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct opchange *ch = arg;
	const char *v[2] = { ch->id, (const char *)ch->secret };
	const int len[2] = { 0, TOTP_SECRET_LEN }, fmt[2] = { 0, 1 };
	char object[48];
	PGresult *res;

	if ((res = store_exec(c, Q_MGMT_OP_SET_TOTP, 2, v, len, fmt, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		mgmt_not_found(ch->resp, "operator");
		return -1;
	}
	snprintf(ch->account, sizeof(ch->account), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	/* The old factor stops working at once: so do the sessions it opened. */
	if ((res = store_exec(c, Q_MGMT_OP_END_SESSIONS, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	PQclear(res);
	snprintf(object, sizeof(object), "operator:%s", ch->id);
	/* That a secret was issued, never the secret. */
	return audit_write(c, ch->req, "operator.totp_reset", object,
	    json_pack("{s:b}", "sessions_ended", 1), err);
}

void
api_operator_totp(struct api_req *req, struct api_resp *resp)
{
	struct opchange ch;
	char b32[64], uri[512];

	if (!mgmt_id_ok(req->params[0])) {
		mgmt_not_found(resp, "operator");
		return;
	}
	memset(&ch, 0, sizeof(ch));
	ch.req = req;
	ch.resp = resp;
	ch.id = req->params[0];
	if (totp_new_secret(ch.secret) != 0) {
		api_problem(resp, 500, "no-randomness", "Internal Server Error", NULL, NULL,
		    "no random bytes for a secret");
		return;
	}
	mgmt_run_tx(req, resp, totp_tx, &ch);
	if (resp->status == 0) {
		/* Committed: the one time the secret is shown. */
		if (totp_base32(ch.secret, TOTP_SECRET_LEN, b32, sizeof(b32)) != 0 ||
		    totp_uri(ch.secret, TOTP_SECRET_LEN, "jpkid", ch.account, uri, sizeof(uri)) != 0)
			abort();	/* the buffers are large enough */
		api_json(resp, 201, json_pack("{s:s, s:s}", "otpauth_uri", uri, "secret", b32));
		api_add_header(resp, "Cache-Control", "no-store");
		OPENSSL_cleanse(b32, sizeof(b32));
		OPENSSL_cleanse(uri, sizeof(uri));
	}
	OPENSSL_cleanse(ch.secret, sizeof(ch.secret));
}

/* ---------------------------------------------------------------- reads */

void
api_operator_list(struct api_req *req, struct api_resp *resp)
{
	struct api_page pg;
	char after[32], lim[16];
	const char *v[4];
	PGresult *res;

	if (mgmt_page_by_id(req, resp, &pg, after, sizeof(after), &v[0]) != 0 ||
	    mgmt_query_bool(req, resp, "enabled", &v[2]) != 0)
		return;
	if ((v[1] = mgmt_query(req, "role")) != NULL && !role_ok(v[1])) {
		mgmt_bad_query(resp, "role", "viewer, officer or admin");
		return;
	}
	v[3] = api_page_limit_plus_one(&pg, lim, sizeof(lim));
	if ((res = api_read(req, resp, Q_MGMT_OP_LIST, 4, v)) == NULL)
		return;
	api_json(resp, 200, mgmt_page_json(res, &pg, op_json));
	PQclear(res);
}

void
api_operator_get(struct api_req *req, struct api_resp *resp)
{
	const char *v[1] = { req->params[0] };
	PGresult *res;

	if (!mgmt_id_ok(req->params[0])) {
		mgmt_not_found(resp, "operator");
		return;
	}
	if ((res = api_read(req, resp, Q_MGMT_OP_GET, 1, v)) == NULL)
		return;
	if (PQntuples(res) == 1)
		api_json(resp, 200, op_json(res, 0));
	else
		mgmt_not_found(resp, "operator");
	PQclear(res);
}
