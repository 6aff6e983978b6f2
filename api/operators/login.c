/*
 * login: POST /v1/session on the console listener (username, password and,
 * where needed, a TOTP code -> a session cookie and its CSRF token).
 *
 * One transaction per attempt: the client address's row and the operator's
 * row are locked (FOR UPDATE), the throttle is checked before anything
 * else, and the outcome (counters, lock, TOTP step, session) commits
 * together with its audit row. Every kind of wrong credential gets the same
 * 401 ("login-failed"); an unknown username costs a verify against a dummy
 * hash, so neither the answer nor its timing tells which part was wrong.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/operators/session.h"
#include "ca/password.h"
#include "ca/totp.h"
#include "common/clock.h"
#include "common/log.h"

enum outcome {
	LOGIN_OK,
	LOGIN_FAILED,		/* 401, counted */
	LOGIN_NO_FACTOR,	/* 401 after a right password: no TOTP enrolled, not counted */
	LOGIN_THROTTLED,	/* 429: too early after a failure, or the address is locked */
	LOGIN_LOCKED,		/* 423: the account is locked */
};

struct login {
	struct api_req	*req;
	const char	*username, *password, *code;
	time_t		 now;
	enum outcome	 outcome;
	double		 retry_at;	/* THROTTLED, LOCKED: epoch seconds */
	/* LOGIN_OK */
	long long	 id;
	char		 display_name[160], role[16];
	char		 token[SESSION_B64_LEN], csrf[SESSION_B64_LEN];
};

/* A timestamp column as epoch seconds (extract(epoch ...)); 0 when NULL. */
static double
epoch_col(PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? 0 : strtod(PQgetvalue(res, 0, col), NULL);
}

/* The delay after the n-th failure in a row: delay_ms * 2^(n-1), at most lock_s. */
static double
delay_s(const struct operator_cfg *o, int n)
{
	double d = o->delay_ms / 1000.0;

	while (--n > 0 && d < o->lock_s)
		d *= 2;
	return d < o->lock_s ? d : o->lock_s;
}

static int
hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex text of Q_SESS_OPERATOR_LOCK's totp_secret into out; its length or -1. */
static int
unhex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = strlen(s), i;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

static int
audit_fail(struct store_conn *c, struct login *l, long long id, const char *action,
    const char *reason, int failures, struct store_err *err)
{
	char object[48];

	if (id > 0)
		snprintf(object, sizeof(object), "operator:%lld", id);
	else
		snprintf(object, sizeof(object), "operator:unknown");
	/* The username as typed is kept (never the password or the code). */
	return audit_write(c, l->req, action, object, json_pack("{s:s, s:s, s:s, s:i}",
	    "username", l->username, "reason", reason, "remote", l->req->remote,
	    "failures", failures), err);
}

/* Count one failure for the address and, when known, the account. */
static int
record_failure(struct store_conn *c, struct login *l, long long id, int failed, int afailed,
    const char *reason, struct store_err *err)
{
	const struct operator_cfg *o = &l->req->app->operators;
	char sid[24], sf[16], snext[32], slock[32], snow[24], object[300];
	const char *v[5];
	PGresult *res;
	int locked = 0;

	snprintf(snow, sizeof(snow), "%lld", (long long)l->now);
	if (id > 0) {
		failed++;
		snprintf(snext, sizeof(snext), "%.3f", (double)l->now + delay_s(o, failed));
		if (failed >= o->lock_after) {
			/* The lock is the penalty: the count starts again after it. */
			locked = failed;
			failed = 0;
			snprintf(slock, sizeof(slock), "%lld", (long long)l->now + o->lock_s);
			snprintf(snext, sizeof(snext), "%s", slock);
		}
		snprintf(sid, sizeof(sid), "%lld", id);
		snprintf(sf, sizeof(sf), "%d", failed);
		v[0] = sid;
		v[1] = sf;
		v[2] = snext;
		v[3] = locked ? slock : NULL;
		if ((res = store_exec(c, Q_SESS_OPERATOR_FAIL, 4, v, NULL, NULL, err)) == NULL)
			return -1;
		PQclear(res);
	}
	if (audit_fail(c, l, id, "session.login_failed", reason, locked ? locked : failed, err) != 0)
		return -1;
	if (locked && audit_fail(c, l, id, "session.locked", "account", locked, err) != 0)
		return -1;
	afailed++;
	locked = 0;
	snprintf(snext, sizeof(snext), "%.3f", (double)l->now + delay_s(o, afailed));
	if (afailed >= o->address_lock_after) {
		locked = afailed;
		afailed = 0;
		snprintf(slock, sizeof(slock), "%lld", (long long)l->now + o->lock_s);
		snprintf(snext, sizeof(snext), "%s", slock);
	}
	snprintf(sf, sizeof(sf), "%d", afailed);
	v[0] = l->req->remote;
	v[1] = sf;
	v[2] = snext;
	v[3] = locked ? slock : NULL;
	v[4] = snow;
	if ((res = store_exec(c, Q_SESS_ADDRESS_FAIL, 5, v, NULL, NULL, err)) == NULL)
		return -1;
	PQclear(res);
	if (locked) {
		snprintf(object, sizeof(object), "address:%s", l->req->remote);
		if (audit_write(c, l->req, "session.locked", object, json_pack("{s:s, s:i}",
		    "reason", "address", "failures", locked), err) != 0)
			return -1;
	}
	l->outcome = LOGIN_FAILED;
	return 0;
}

/* Success: counters reset, TOTP step kept, a new session, audited. */
static int
record_success(struct store_conn *c, struct login *l, long long last_step, struct store_err *err)
{
	struct api_req *req = l->req;
	char sid[24], snow[24], sexp[24], sstep[24], th[65], ch[65], object[48];
	const char *v[6];
	PGresult *res;

	snprintf(sid, sizeof(sid), "%lld", l->id);
	snprintf(snow, sizeof(snow), "%lld", (long long)l->now);
	snprintf(sstep, sizeof(sstep), "%lld", last_step);
	v[0] = sid;
	v[1] = snow;
	v[2] = sstep;
	if ((res = store_exec(c, Q_SESS_OPERATOR_OK, 3, v, NULL, NULL, err)) == NULL)
		return -1;
	PQclear(res);
	v[0] = req->remote;
	if ((res = store_exec(c, Q_SESS_ADDRESS_RESET, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	PQclear(res);
	if (session_new_token(l->token) != 0) {
		snprintf(err->message, sizeof(err->message), "no entropy for a session token");
		err->status = STORE_ERROR;
		return -1;
	}
	session_csrf(l->token, l->csrf);
	session_sha256_hex(l->token, th);
	session_sha256_hex(l->csrf, ch);
	snprintf(sexp, sizeof(sexp), "%lld",
	    (long long)l->now + req->app->operators.session_absolute_s);
	v[0] = th;
	v[1] = sid;
	v[2] = ch;
	v[3] = snow;
	v[4] = sexp;
	v[5] = req->remote;
	if ((res = store_exec(c, Q_SESS_INSERT, 6, v, NULL, NULL, err)) == NULL)
		return -1;
	PQclear(res);
	/* From here on the request acts as the operator (the audit actor). */
	req->principal.kind = PRINCIPAL_OPERATOR;
	req->principal.id = l->id;
	req->principal.via_session = 1;
	snprintf(req->principal.name, sizeof(req->principal.name), "%s", l->username);
	snprintf(req->principal.role, sizeof(req->principal.role), "%s", l->role);
	memcpy(req->principal.session_id, th, 16);
	req->principal.session_id[16] = '\0';
	snprintf(object, sizeof(object), "operator:%lld", l->id);
	if (audit_write(c, req, "session.create", object, json_pack("{s:s, s:s}",
	    "session_id", req->principal.session_id, "remote", req->remote), err) != 0)
		return -1;
	l->outcome = LOGIN_OK;
	return 0;
}

static int
login_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct login *l = arg;
	const struct operator_cfg *o = &l->req->app->operators;
	unsigned char secret[64];
	const char *v[1];
	PGresult *res;
	double a_next = 0, a_lock = 0, next, lock;
	int afailed = 0, failed, enabled, pw_ok, need_totp, slen, rc;
	long long id = 0;
	int64_t last_step;

	l->outcome = LOGIN_FAILED;
	v[0] = l->req->remote;
	if ((res = store_exec(c, Q_SESS_ADDRESS_LOCK, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		afailed = atoi(PQgetvalue(res, 0, 0));
		a_next = epoch_col(res, 1);
		a_lock = epoch_col(res, 2);
	}
	PQclear(res);
	/* Too early: answered without looking at the credentials at all. */
	if (a_lock > l->now || a_next > l->now) {
		l->outcome = LOGIN_THROTTLED;
		l->retry_at = a_lock > a_next ? a_lock : a_next;
		return 0;
	}
	v[0] = l->username;
	if ((res = store_exec(c, Q_SESS_OPERATOR_LOCK, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		(void)password_verify(password_dummy_hash(), l->password);
		return record_failure(c, l, 0, 0, afailed, "unknown username", err);
	}
	id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	lock = epoch_col(res, 9);
	next = epoch_col(res, 10);
	if (lock > l->now || next > l->now) {
		l->outcome = lock > l->now ? LOGIN_LOCKED : LOGIN_THROTTLED;
		l->retry_at = lock > l->now ? lock : next;
		PQclear(res);
		return 0;
	}
	failed = atoi(PQgetvalue(res, 0, 8));
	enabled = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	pw_ok = !PQgetisnull(res, 0, 4) && password_verify(PQgetvalue(res, 0, 4), l->password);
	if (!pw_ok || !enabled) {
		PQclear(res);
		return record_failure(c, l, id, failed, afailed,
		    !pw_ok ? "password" : "account disabled", err);
	}
	l->id = id;
	snprintf(l->display_name, sizeof(l->display_name), "%s", PQgetvalue(res, 0, 2));
	snprintf(l->role, sizeof(l->role), "%s", PQgetvalue(res, 0, 3));
	slen = PQgetisnull(res, 0, 6) ? 0 : unhex(PQgetvalue(res, 0, 6), secret, sizeof(secret));
	last_step = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
	PQclear(res);
	/* An enrolled second factor is always asked for, whatever the role. */
	need_totp = strcmp(l->role, "viewer") != 0 || o->totp_for_viewers || slen > 0;
	if (need_totp && slen <= 0) {
		l->outcome = LOGIN_NO_FACTOR;
		return audit_fail(c, l, id, "session.login_failed", "no second factor enrolled",
		    failed, err);
	}
	if (need_totp && !totp_verify(secret, (size_t)slen, l->now, 1, l->code, &last_step)) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return record_failure(c, l, id, failed, afailed, "totp", err);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	rc = record_success(c, l, (long long)last_step, err);
	return rc;
}

/* A string member of 1 to max bytes, or NULL with fields set. */
static const char *
member(json_t *body, const char *name, size_t max, int optional, json_t *fields)
{
	json_t *v = json_object_get(body, name);
	char msg[64];

	if (v == NULL && optional)
		return NULL;
	if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > max) {
		snprintf(msg, sizeof(msg), "a string of 1 to %zu characters", max);
		json_object_set_new(fields, name, json_string(msg));
		return NULL;
	}
	return json_string_value(v);
}

void
api_session_create(struct api_req *req, struct api_resp *resp)
{
	static const char *const known[] = { "username", "password", "totp", NULL };
	struct login l;
	struct store_err err;
	json_t *body, *fields, *v;
	const char *key;
	size_t i;
	int retry;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&l, 0, sizeof(l));
	l.req = req;
	l.now = clock_now();
	fields = json_object();
	json_object_foreach(body, key, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL)
			json_object_set_new(fields, key, json_string("unknown field"));
	}
	l.username = member(body, "username", 64, 0, fields);
	l.password = member(body, "password", PASSWORD_MAX_LEN, 0, fields);
	l.code = member(body, "totp", 16, 1, fields);
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the login has invalid fields");
		json_decref(body);
		return;
	}
	json_decref(fields);
	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, login_tx, &l, &err) != 0) {
		json_decref(body);
		api_db_unavailable(req, resp, &err);
		return;
	}
	/* username, password and code point into body: the secrets are wiped first. */
	OPENSSL_cleanse((char *)l.password, strlen(l.password));
	if (l.code != NULL)
		OPENSSL_cleanse((char *)l.code, strlen(l.code));
	json_decref(body);
	switch (l.outcome) {
	case LOGIN_OK:
		api_json(resp, 201, session_body(l.id, req->principal.name, l.display_name, l.role, l.csrf, l.now + req->app->operators.session_absolute_s,
		    req->app->operators.session_idle_s));
		session_set_cookie(resp, l.token, req->app->operators.session_absolute_s);
		break;
	case LOGIN_NO_FACTOR:
		api_problem(resp, 401, "login-failed", "Unauthorized", NULL, NULL,
		    "this account needs a second factor and has none enrolled: ask an admin "
		    "(jpkictl operator totp)");
		break;
	case LOGIN_THROTTLED:
	case LOGIN_LOCKED:
		/* Whole seconds, rounded up. */
		retry = (int)(l.retry_at - (double)l.now);
		if ((double)retry < l.retry_at - (double)l.now)
			retry++;
		if (retry < 1)
			retry = 1;
		if (l.outcome == LOGIN_LOCKED)
			api_problem(resp, 423, "account-locked", "Locked", NULL, NULL,
			    "too many failed logins: the account is locked; try again later or "
			    "ask an admin (jpkictl operator unlock)");
		else
			api_problem(resp, 429, "login-throttled", "Too Many Requests", NULL, NULL,
			    "too soon after a failed login; wait before trying again");
		api_add_header(resp, "Retry-After", "%d", retry);
		break;
	default:
		api_problem(resp, 401, "login-failed", "Unauthorized", NULL, NULL,
		    "wrong username, password or second factor");
		break;
	}
	OPENSSL_cleanse(l.token, sizeof(l.token));
	OPENSSL_cleanse(l.csrf, sizeof(l.csrf));
}
