/*
 * auth: client certificate -> principal. The TLS layer has already
 * verified the chain against the configured client-CA bundle; here the
 * certificate must also be registered (terminals, register_feeds,
 * relying_parties, operators, kiosks tables, by SHA-256 of the DER) and enabled.
 * Registration, not the subject, decides who a caller is: disabling a row
 * takes effect on the next request.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "api/api.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"

const char *
api_principal_kind_name(enum principal_kind k)
{
	switch (k) {
	case PRINCIPAL_TERMINAL:	return "terminal";
	case PRINCIPAL_REGISTER_FEED:	return "register_feed";
	case PRINCIPAL_RELYING_PARTY:	return "relying_party";
	case PRINCIPAL_OPERATOR:	return "operator";
	case PRINCIPAL_KIOSK:		return "kiosk";
	default:			return "anonymous";
	}
}

char *
api_principal_id(const struct api_req *req, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%lld", api_principal_kind_name(req->principal.kind),
	    req->principal.id);
	return buf;
}

int
api_role_rank(const char *role)
{
	if (strcmp(role, "viewer") == 0)
		return 1;
	if (strcmp(role, "officer") == 0)
		return 2;
	if (strcmp(role, "admin") == 0)
		return 3;
	return 0;
}

static enum principal_kind
kind_from_name(const char *s)
{
	if (!strcmp(s, "terminal"))
		return PRINCIPAL_TERMINAL;
	if (!strcmp(s, "register_feed"))
		return PRINCIPAL_REGISTER_FEED;
	if (!strcmp(s, "relying_party"))
		return PRINCIPAL_RELYING_PARTY;
	if (!strcmp(s, "operator"))
		return PRINCIPAL_OPERATOR;
	if (!strcmp(s, "kiosk"))
		return PRINCIPAL_KIOSK;
	return PRINCIPAL_NONE;
}

static void
copy_field(char *dst, size_t len, const PGresult *res, int col)
{
	snprintf(dst, len, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

/*
 * last_seen_at of the principal (0008): one primary-key UPDATE that writes
 * only when the row was last seen a minute ago or more. A failure is
 * logged and otherwise ignored: it must never fail the request.
 */
void
api_principal_touch(struct store_conn *c, const struct api_req *req)
{
	char id[24], now[24];
	const char *v[3];
	struct store_err err;
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", req->principal.id);
	snprintf(now, sizeof(now), "%lld", (long long)clock_now());
	v[0] = api_principal_kind_name(req->principal.kind);
	v[1] = id;
	v[2] = now;
	if ((res = store_exec(c, Q_MGMT_TOUCH, 3, v, NULL, NULL, &err)) == NULL)
		log_kv(LOG_LVL_WARN, "last_seen_at not updated", "request_id", req->request_id,
		    "status", store_status_name(err.status), (char *)NULL);
	PQclear(res);
}

const char *
api_client_cert_problem(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	uint32_t flags;
	const char *why = NULL;

	if (x == NULL || p != der + len) {
		X509_free(x);
		return "certificate not parsable";
	}
	flags = X509_get_extension_flags(x);
	if (flags & EXFLAG_INVALID)
		why = "certificate has invalid extensions";
	else if (!(flags & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT))
		why = "certificate has no extendedKeyUsage clientAuth";
	else if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		why = "certificate keyUsage lacks digitalSignature";
	else if (flags & EXFLAG_CA)
		why = "certificate is a CA certificate";
	X509_free(x);
	return why;
}

int
api_auth_cache_verified(const struct api_auth_cache *ac, const unsigned char md[32], time_t now)
{
	return ac != NULL && ac->verified && memcmp(ac->md, md, sizeof(ac->md)) == 0 &&
	    now < ac->verified_until;
}

void
api_auth_cache_store(struct api_auth_cache *ac, const unsigned char md[32], time_t now,
    time_t not_after)
{
	if (ac == NULL)
		return;
	memcpy(ac->md, md, sizeof(ac->md));
	ac->verified_until = now + API_AUTH_REVERIFY_S;
	if (not_after < ac->verified_until)
		ac->verified_until = not_after;
	ac->verified = 1;
}

int
api_auth_touch_due(const struct api_auth_cache *ac, enum principal_kind kind, long long id,
    time_t now)
{
	return ac == NULL || ac->touched_at == 0 || ac->touched_kind != kind ||
	    ac->touched_id != id || now < ac->touched_at ||
	    now - ac->touched_at >= API_AUTH_TOUCH_S;
}

/*
 * The principal's row is read on every request (enabled, role, municipality
 * as of now); only the last_seen_at touch is skipped within a minute of the
 * connection's previous one.
 */
int
api_authenticate(struct api_req *req, const unsigned char *der, size_t len,
    struct api_resp *resp)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *vals[1] = { (const char *)md };
	const int lens[1] = { SHA256_DIGEST_LENGTH }, fmts[1] = { 1 };
	struct principal *p = &req->principal;
	struct store_conn *c;
	struct store_err err;
	PGresult *res = NULL;
	time_t now;
	int rc = -1;

	SHA256(der, len, md);
	util_hex(md, sizeof(md), p->cert_sha256);
	if ((c = store_borrow(req->app->store, req->app->borrow_timeout_ms, &err)) == NULL)
		goto unavailable;
	res = store_exec(c, Q_PRINCIPAL_BY_CERT, 1, vals, lens, fmts, &err);
	if (res != NULL && PQntuples(res) == 1 &&
	    kind_from_name(PQgetvalue(res, 0, 0)) != PRINCIPAL_NONE) {
		p->kind = kind_from_name(PQgetvalue(res, 0, 0));
		p->id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		now = clock_now();
		if (api_auth_touch_due(req->auth_cache, p->kind, p->id, now)) {
			api_principal_touch(c, req);
			if (req->auth_cache != NULL) {
				req->auth_cache->touched_kind = p->kind;
				req->auth_cache->touched_id = p->id;
				req->auth_cache->touched_at = now;
			}
		}
	}
	store_release(c);
	if (res == NULL)
		goto unavailable;
	if (PQntuples(res) != 1 ||
	    (p->kind = kind_from_name(PQgetvalue(res, 0, 0))) == PRINCIPAL_NONE) {
		log_kv(LOG_LVL_WARN, "client certificate not registered",
		    "request_id", req->request_id, "remote", req->remote,
		    "cert_sha256", p->cert_sha256, (char *)NULL);
		api_problem(resp, 401, "unauthenticated", "Unauthorized", NULL, NULL,
		    "the client certificate is not registered or is disabled");
		goto out;
	}
	p->id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	copy_field(p->name, sizeof(p->name), res, 2);
	copy_field(p->municipality_code, sizeof(p->municipality_code), res, 3);
	copy_field(p->municipality_name, sizeof(p->municipality_name), res, 4);
	copy_field(p->prefecture, sizeof(p->prefecture), res, 5);
	copy_field(p->role, sizeof(p->role), res, 6);
	rc = 0;
	goto out;
unavailable:
	api_db_unavailable(req, resp, &err);
out:
	PQclear(res);
	return rc;
}
