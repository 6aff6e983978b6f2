/*
 * crl_serve: GET /crl/{type}/{file} ("<municipality code>.crl"), on the
 * status listener and, for relying parties and operators, on the API
 * listener: the latest committed CRL of the shard in DER, with ETag
 * "<issuer>-<shard>-<number>", Last-Modified = thisUpdate and (status
 * listener) Cache-Control max-age up to the next scheduled publication,
 * never past nextUpdate. While a new CRL is being built the previous row
 * is what this reads (R26: the old one is served meanwhile).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/status/crls.h"
#include "api/status/rp.h"
#include "common/clock.h"

/* A binary bigint (Q_CRL_DER's second column). */
static int64_t
be64(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

void
api_crl_get(struct api_req *req, struct api_resp *resp)
{
	struct app *app = req->app;
	const char *issuer = req->params[0], *file = req->params[1], *inm, *ims;
	char shard[8], ph[16], num[24], etag[192], lm[40];
	const char *v[3];
	struct store_conn *c;
	struct store_err err;
	PGresult *res;
	long long number;
	time_t this_update, next_update, now = clock_now(), due;
	long max_age;
	long long rp_id;
	unsigned types;
	enum rp_gate_result g;
	int notmod = 0;

	if (!crls_issuer_ok(issuer) || strlen(file) != 10 || strcmp(file + 6, ".crl") != 0) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "CRLs are /crl/sign|auth/<municipality code>.crl");
		return;
	}
	memcpy(shard, file, 6);
	shard[6] = '\0';
	if (!crls_code_ok(shard)) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "CRLs are /crl/sign|auth/<municipality code>.crl");
		return;
	}
	/* R26: revocation data only for registered relying parties (when required). */
	if ((g = rp_gate(req, &rp_id, &types)) != RP_GATE_OK) {
		rp_refuse(resp, g);
		return;
	}
	if ((types & (strcmp(issuer, "sign") == 0 ? RP_TYPE_SIGN : RP_TYPE_AUTH)) == 0) {
		api_problem(resp, 403, "forbidden", "Forbidden", "R26", NULL,
		    "this relying party is not registered for %s certificates", issuer);
		return;
	}
	memset(&err, 0, sizeof(err));
	if ((c = store_borrow(app->store, app->borrow_timeout_ms, &err)) == NULL) {
		api_db_unavailable(req, resp, &err);
		return;
	}
	snprintf(ph, sizeof(ph), "%d", app->status.crl_publish_hours);
	v[0] = issuer;
	v[1] = shard;
	v[2] = ph;
	if ((res = store_exec(c, Q_CRL_META, 3, v, NULL, NULL, &err)) == NULL)
		goto dberr;
	number = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 1), NULL, 10) : 0;
	if (number == 0) {
		if (PQntuples(res) != 1)
			api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
			    "no municipality %s", shard);
		else
			api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
			    "no %s CRL of %s has been published yet", issuer, shard);
		PQclear(res);
		store_release(c);
		return;
	}
	this_update = (time_t)strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	next_update = (time_t)strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	due = this_update + (time_t)atoi(PQgetvalue(res, 0, 4)) * 3600;
	PQclear(res);
	/* Cacheable until the next scheduled publication, never past nextUpdate. */
	if (due > next_update)
		due = next_update;
	max_age = due > now ? (long)(due - now) : 0;
	if (this_update > now)
		max_age = 0;	/* the clock went back: a newer CRL is due at once (R26) */
	snprintf(etag, sizeof(etag), "\"%s-%s-%lld\"", issuer, shard, number);
	api_http_date(this_update, lm, sizeof(lm));
	inm = req->header(req->hctx, "If-None-Match");
	ims = req->header(req->hctx, "If-Modified-Since");
	if (inm != NULL)
		notmod = api_etag_match(inm, etag);	/* RFC 9110 13.1.3: INM wins */
	else if (ims != NULL) {
		time_t t = api_http_date_parse(ims);

		notmod = t != (time_t)-1 && this_update <= t;
	}
	if (notmod) {
		store_release(c);
		api_text(resp, 304, NULL, NULL, 0);
	} else {
		snprintf(num, sizeof(num), "%lld", number);
		v[2] = num;
		res = store_exec_bin(c, Q_CRL_DER, 3, v, NULL, NULL, &err);
		store_release(c);
		if (res == NULL)
			goto dberr_released;
		/*
		 * Not possible: CRL rows are never deleted, and its crl_parts (0015)
		 * are committed with it; the parts' total must be der_bytes.
		 */
		if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || PQgetlength(res, 0, 1) != 8 ||
		    be64(PQgetvalue(res, 0, 1)) != (int64_t)PQgetlength(res, 0, 0)) {
			PQclear(res);
			api_problem(resp, 503, "unavailable", "Service Unavailable", NULL, NULL,
			    "the CRL changed while it was read; try again");
			api_add_header(resp, "Retry-After", "1");
			return;
		}
		{
			size_t len = (size_t)PQgetlength(res, 0, 0);
			char *der = malloc(len > 0 ? len : 1);

			if (der == NULL)
				abort();
			memcpy(der, PQgetvalue(res, 0, 0), len);
			api_text(resp, 200, "application/pkix-crl", der, len);
		}
		PQclear(res);
	}
	api_add_header(resp, "ETag", "%s", etag);
	api_add_header(resp, "Last-Modified", "%s", lm);
	/* The API listener sends Cache-Control: no-store itself (daemon/http.c). */
	if (req->listener == LISTENER_STATUS)
		api_add_header(resp, "Cache-Control", "public, max-age=%ld", max_age);
	rp_count(app, rp_id, issuer, 1);
	return;
dberr:
	store_release(c);
dberr_released:
	api_db_unavailable(req, resp, &err);
}
