/*
 * session: the console listener's authentication (api.h,
 * api_session_authenticate), GET and DELETE /v1/session, and the token
 * helpers of session.h. The login itself is api/login.c.
 *
 * Every check of a session is one UPDATE ... RETURNING (Q_SESS_TOUCH): the
 * row exists, its operator is enabled, the absolute and the idle timeout
 * have not passed; last_seen_at moves to now. A disabled operator's or an
 * expired session is deleted on its next use.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/operators/session.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"

static const char CSRF_LABEL[] = "jpkid csrf v1";

void
session_b64url(const unsigned char *in, size_t len, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;

		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
	}
	out[o] = '\0';
}

void
session_sha256_hex(const char *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	util_hex(md, sizeof(md), out);
}

int
session_new_token(char out[SESSION_B64_LEN])
{
	unsigned char raw[SESSION_TOKEN_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	session_b64url(raw, sizeof(raw), out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

void
session_csrf(const char *token, char out[SESSION_B64_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), token, (int)strlen(token), (const unsigned char *)CSRF_LABEL,
	    sizeof(CSRF_LABEL) - 1, mac, &n) == NULL || n != SHA256_DIGEST_LENGTH)
		abort();	/* SHA-256 HMAC cannot fail short of memory */
	session_b64url(mac, n, out);
	OPENSSL_cleanse(mac, sizeof(mac));
}

const char *
session_cookie(const struct api_req *req, char *buf, size_t len)
{
	const char *h = req->header != NULL ? req->header(req->hctx, "Cookie") : NULL;
	const char *p, *v;
	size_t n, nl = sizeof(SESSION_COOKIE) - 1;

	for (p = h; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, SESSION_COOKIE, nl) == 0 && p[nl] == '=') {
			v = p + nl + 1;
			n = strcspn(v, "; ");
			/* Our tokens are 43 base64url characters; anything else is not one. */
			if (n != SESSION_B64_LEN - 1 || n >= len ||
			    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-_") < n)
				return NULL;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		p += strcspn(p, ";");
	}
	return NULL;
}

int
session_origin_ok(const struct api_req *req)
{
	const char *origin = req->header(req->hctx, "Origin");
	const char *want = req->app->operators.console_origin, *host;
	char buf[300];

	if (origin == NULL)
		return 0;
	if (want == NULL) {
		host = req->header(req->hctx, "Host");
		if (host == NULL || snprintf(buf, sizeof(buf), "https://%s", host) >= (int)sizeof(buf))
			return 0;
		want = buf;
	}
	return strcmp(origin, want) == 0;
}

json_t *
session_body(long long id, const char *username, const char *display_name, const char *role,
    const char *csrf, time_t expires_at, int idle_s)
{
	char exp[32];
	struct tm tm;

	gmtime_r(&expires_at, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:{s:I, s:s, s:s*, s:s}, s:s, s:s, s:i}",
	    "operator", "id", (json_int_t)id, "username", username,
	    "display_name", display_name[0] != '\0' ? display_name : NULL, "role", role,
	    "csrf_token", csrf, "expires_at", exp, "idle_timeout_seconds", idle_s);
}

void
session_set_cookie(struct api_resp *resp, const char *token, int max_age)
{
	api_add_header(resp, "Set-Cookie",
	    SESSION_COOKIE "=%s; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=%d",
	    token != NULL ? token : "", token != NULL ? max_age : 0);
}

/*
 * The session of req's cookie, touched: a row of Q_SESS_TOUCH, or NULL with
 * resp set (401 unknown or expired, the expired row deleted; 503).
 */
static PGresult *
session_touch(struct api_req *req, struct api_resp *resp, char hash[65])
{
	char tok[SESSION_B64_LEN + 1], nowbuf[24], idle[16];
	const char *v[3];
	PGresult *res;
	int expired;

	if (session_cookie(req, tok, sizeof(tok)) == NULL) {
		api_problem(resp, 401, "unauthenticated", "Unauthorized", NULL, NULL,
		    "log in first (POST /v1/session)");
		return NULL;
	}
	session_sha256_hex(tok, hash);
	OPENSSL_cleanse(tok, sizeof(tok));
	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)clock_now());
	snprintf(idle, sizeof(idle), "%d", req->app->operators.session_idle_s);
	v[0] = hash;
	v[1] = nowbuf;
	v[2] = idle;
	if ((res = api_read(req, resp, Q_SESS_TOUCH, 3, v)) == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		return res;
	PQclear(res);
	/* Not live: an expired session, or its operator was disabled. It ends here. */
	if ((res = api_read(req, resp, Q_SESS_DROP, 1, v)) == NULL)
		return NULL;
	expired = PQntuples(res) == 1;
	PQclear(res);
	if (expired)
		api_problem(resp, 401, "session-expired", "Unauthorized", NULL, NULL,
		    "the session has ended; log in again (POST /v1/session)");
	else
		api_problem(resp, 401, "unauthenticated", "Unauthorized", NULL, NULL,
		    "log in first (POST /v1/session)");
	return NULL;
}

int
api_session_authenticate(struct api_req *req, struct api_resp *resp)
{
	struct principal *p = &req->principal;
	char hash[65], csrf_hash[65];
	const char *csrf;
	PGresult *res;
	int ok;

	if (req->route_principals == 0) {
		/* The login: no session yet, but a cross-site form may not post it. */
		if (req->route_mutates && !session_origin_ok(req)) {
			api_problem(resp, 403, "csrf", "Forbidden", NULL, NULL,
			    "Origin does not match the console");
			return -1;
		}
		return 0;
	}
	/* Unknown routes too: without a session the console reveals nothing. */
	if ((res = session_touch(req, resp, hash)) == NULL)
		return -1;
	memset(p, 0, sizeof(*p));
	p->kind = PRINCIPAL_OPERATOR;
	p->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(p->name, sizeof(p->name), "%s", PQgetvalue(res, 0, 1));
	snprintf(p->role, sizeof(p->role), "%s", PQgetvalue(res, 0, 3));
	p->via_session = 1;
	memcpy(p->session_id, hash, sizeof(p->session_id) - 1);
	p->session_id[sizeof(p->session_id) - 1] = '\0';
	if (!req->route_mutates) {
		PQclear(res);
		return 0;
	}
	csrf = req->header(req->hctx, "X-CSRF-Token");
	ok = 0;
	if (csrf != NULL) {
		session_sha256_hex(csrf, csrf_hash);
		ok = strlen(PQgetvalue(res, 0, 4)) == 64 &&
		    util_ct_equal(csrf_hash, PQgetvalue(res, 0, 4), 64);
	}
	PQclear(res);
	if (!ok) {
		api_problem(resp, 403, "csrf", "Forbidden", NULL, NULL,
		    "a state-changing request needs the session's X-CSRF-Token");
		return -1;
	}
	if (!session_origin_ok(req)) {
		api_problem(resp, 403, "csrf", "Forbidden", NULL, NULL,
		    "Origin does not match the console");
		return -1;
	}
	return 0;
}

void
api_session_get(struct api_req *req, struct api_resp *resp)
{
	char hash[65], tok[SESSION_B64_LEN + 1], csrf[SESSION_B64_LEN];
	PGresult *res;

	if ((res = session_touch(req, resp, hash)) == NULL)
		return;
	/* session_touch found the cookie, so it is there and well formed. */
	(void)session_cookie(req, tok, sizeof(tok));
	session_csrf(tok, csrf);
	OPENSSL_cleanse(tok, sizeof(tok));
	api_json(resp, 200, session_body(strtoll(PQgetvalue(res, 0, 0), NULL, 10),
	    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), csrf,
	    (time_t)strtoll(PQgetvalue(res, 0, 5), NULL, 10),
	    req->app->operators.session_idle_s));
	OPENSSL_cleanse(csrf, sizeof(csrf));
	PQclear(res);
}

struct logout {
	struct api_req	*req;
	char		 hash[65];
	int		 found;
};

static int
logout_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct logout *l = arg;
	const char *v[1] = { l->hash };
	char object[48];
	PGresult *res;

	if ((res = store_exec(c, Q_SESS_DROP, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	l->found = PQntuples(res) == 1;
	PQclear(res);
	if (!l->found)
		return 0;
	snprintf(object, sizeof(object), "operator:%lld", l->req->principal.id);
	return audit_write(c, l->req, "session.delete", object,
	    json_pack("{s:s}", "session_id", l->req->principal.session_id), err);
}

void
api_session_delete(struct api_req *req, struct api_resp *resp)
{
	char tok[SESSION_B64_LEN + 1];
	struct logout l;
	struct store_err err;

	memset(&l, 0, sizeof(l));
	l.req = req;
	if (session_cookie(req, tok, sizeof(tok)) == NULL) {
		api_problem(resp, 401, "unauthenticated", "Unauthorized", NULL, NULL,
		    "log in first (POST /v1/session)");
		return;
	}
	session_sha256_hex(tok, l.hash);
	OPENSSL_cleanse(tok, sizeof(tok));
	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, logout_tx, &l, &err) != 0) {
		api_db_unavailable(req, resp, &err);
		return;
	}
	api_text(resp, 204, NULL, NULL, 0);
	session_set_cookie(resp, NULL, 0);
}
