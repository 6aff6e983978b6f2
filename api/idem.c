/*
 * idem: Idempotency-Key (see idem.h for the protocol). The stored response
 * is the exact bytes of the first one; a replay adds the header
 * "Idempotent-Replayed: true".
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "api/idem.h"
#include "common/util.h"

#define IDEM_KEY_MAX	255

void
idem_request_hash(const struct api_req *req, const char *body, size_t len, unsigned char *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;

	if (c == NULL || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, req->method, strlen(req->method) + 1) ||
	    !EVP_DigestUpdate(c, req->path, strlen(req->path) + 1) ||
	    (len > 0 && !EVP_DigestUpdate(c, body, len)) ||
	    !EVP_DigestFinal_ex(c, out, &n))
		abort();	/* SHA-256 cannot fail: a broken invariant */
	EVP_MD_CTX_free(c);
}

static int
key_ok(const char *k)
{
	size_t n = strlen(k), i;

	if (n == 0 || n > IDEM_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return 0;
	return 1;
}

enum idem_result
idem_begin(struct store_conn *c, struct api_req *req, const unsigned char *request_hash,
    struct api_resp *resp, struct store_err *err)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char pid[64];
	const char *key = req->header != NULL ? req->header(req->hctx, "Idempotency-Key") : NULL;
	const char *v[3];
	int l[3] = { 0, 0, SHA256_DIGEST_LENGTH }, f[3] = { 0, 0, 1 };
	PGresult *res = NULL;
	enum idem_result rc = IDEM_DBERR;

	if (key == NULL)
		return IDEM_NONE;
	if (!key_ok(key)) {
		api_problem(resp, 400, "invalid-request", "Bad Request", NULL,
		    json_pack("{s:s}", "Idempotency-Key",
		    "1 to 255 printable ASCII characters without spaces"),
		    "the Idempotency-Key header is malformed");
		return IDEM_REFUSED;
	}
	if (request_hash == NULL) {
		idem_request_hash(req, req->body, req->body_len, h);
		request_hash = h;
	}
	v[0] = api_principal_id(req, pid, sizeof(pid));
	v[1] = key;
	v[2] = (const char *)request_hash;
	if ((res = store_exec(c, Q_IDEM_INSERT, 3, v, l, f, err)) == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		rc = IDEM_NEW;
		goto out;
	}
	PQclear(res);
	if ((res = store_exec_bin(c, Q_IDEM_GET, 2, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		/* The holder rolled back between our INSERT and SELECT: retry the transaction. */
		err->status = STORE_RETRY;
		snprintf(err->sqlstate, sizeof(err->sqlstate), "40001");
		goto out;
	}
	if (PQgetlength(res, 0, 0) != SHA256_DIGEST_LENGTH ||
	    !util_ct_equal(PQgetvalue(res, 0, 0), request_hash, SHA256_DIGEST_LENGTH)) {
		api_problem(resp, 422, "idempotency-key-reused", "Unprocessable Content", NULL,
		    json_pack("{s:s}", "Idempotency-Key", "already used for another request"),
		    "this Idempotency-Key was used for a different request");
		rc = IDEM_REFUSED;
		goto out;
	}
	if (PQgetisnull(res, 0, 1)) {
		/* Cannot happen: the row is written with its response in one transaction. */
		err->status = STORE_RETRY;
		snprintf(err->sqlstate, sizeof(err->sqlstate), "40001");
		goto out;
	}
	{
		size_t n = (size_t)PQgetlength(res, 0, 3);
		char *body = malloc(n + 1);
		char ctype[128];

		if (body == NULL)
			abort();
		memcpy(body, PQgetvalue(res, 0, 3), n);
		body[n] = '\0';
		snprintf(ctype, sizeof(ctype), "%.*s", PQgetlength(res, 0, 2),
		    PQgetvalue(res, 0, 2));
		api_text(resp, atoi(PQgetvalue(res, 0, 1)),
		    strncmp(ctype, "application/problem+json", 24) == 0 ?
		    "application/problem+json" : "application/json", body, n);
		api_add_header(resp, "Idempotent-Replayed", "true");
	}
	rc = IDEM_REPLAY;
out:
	PQclear(res);
	return rc;
}

static int
store_resp(struct store_conn *c, struct api_req *req, const struct api_resp *resp, int any,
    struct store_err *err)
{
	char pid[64], status[8];
	const char *key = req->header != NULL ? req->header(req->hctx, "Idempotency-Key") : NULL;
	const char *v[5];
	int l[5] = { 0, 0, 0, 0, 0 }, f[5] = { 0, 0, 0, 0, 1 };
	PGresult *res;

	if (key == NULL || (!any && (resp->status < 200 || resp->status > 299)))
		return 0;
	api_principal_id(req, pid, sizeof(pid));
	snprintf(status, sizeof(status), "%d", resp->status);
	v[0] = pid;
	v[1] = key;
	v[2] = status;
	v[3] = resp->content_type != NULL ? resp->content_type : "application/json";
	v[4] = resp->body != NULL ? resp->body : "";
	l[4] = (int)resp->body_len;
	if ((res = store_exec(c, Q_IDEM_STORE, 5, v, l, f, err)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
idem_finish(struct store_conn *c, struct api_req *req, const struct api_resp *resp,
    struct store_err *err)
{
	return store_resp(c, req, resp, 0, err);
}

int
idem_finish_refusal(struct store_conn *c, struct api_req *req, const struct api_resp *resp,
    struct store_err *err)
{
	return store_resp(c, req, resp, 1, err);
}
