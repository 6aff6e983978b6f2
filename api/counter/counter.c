/*
 * counter: see counter.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "api/audit.h"
#include "api/counter/counter.h"
#include "common/log.h"

static const char *
col(const PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

int
counter_resident_code_ok(const char *s)
{
	int i;

	for (i = 0; i < 11; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[11] == '\0';
}

char *
counter_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void
date_or_zero(const char *s, struct jpdate *d)
{
	if (s == NULL || jpdate_parse(s, d) != 0)
		memset(d, 0, sizeof(*d));
}

static void
fill_resident(struct counter_facts *f)
{
	const PGresult *r = f->res_resident;
	struct policy_resident *p = &f->resident;
	const char *g;

	p->municipality_code = col(r, 0, 1);
	p->four.family_name = col(r, 0, 2);
	p->four.given_name = (g = col(r, 0, 3)) != NULL ? g : "";
	p->four.former_surname = col(r, 0, 6);
	p->four.alias = col(r, 0, 7);
	p->family_name_substitute = col(r, 0, 8);
	p->given_name_substitute = col(r, 0, 9);
	p->address_substitute = col(r, 0, 10);
	date_or_zero(col(r, 0, 11), &p->four.birth);
	p->four.sex = col(r, 0, 12)[0];
	p->four.address = col(r, 0, 13);
	p->adult_ward = strcmp(col(r, 0, 14), "true") == 0;
	p->status = col(r, 0, 15);
	f->version = strtoll(col(r, 0, 16), NULL, 10);
	f->municipality_name = col(r, 0, 17);
	f->prefecture = col(r, 0, 18);
	f->ctx.fees.waived = strcmp(col(r, 0, 19), "true") == 0;	/* R18, per municipality */
}

static void
fill_card(struct counter_facts *f)
{
	const PGresult *r = f->res_card;
	struct policy_card *c = &f->card;
	const char *g;

	c->present = 1;
	c->card_number = col(r, 0, 0);
	c->juki = strcmp(col(r, 0, 1), "juki") == 0;
	date_or_zero(col(r, 0, 2), &c->issued_on);
	date_or_zero(col(r, 0, 3), &c->expires_on);
	c->status = col(r, 0, 4);
	c->four.family_name = col(r, 0, 5);
	c->four.given_name = (g = col(r, 0, 6)) != NULL ? g : "";
	c->four.former_surname = col(r, 0, 7);
	c->four.alias = col(r, 0, 8);
	date_or_zero(col(r, 0, 9), &c->four.birth);
	c->four.sex = col(r, 0, 10)[0];
	c->four.address = col(r, 0, 11);
	c->previous_status = col(r, 0, 12);	/* R18: Q_CARD_FACTS */
	c->certs_on_card[POLICY_SIGN] = atoi(col(r, 0, 13));
	c->certs_on_card[POLICY_AUTH] = atoi(col(r, 0, 14));
	c->newest_revoked[POLICY_SIGN] = strcmp(col(r, 0, 15), "true") == 0;
	c->newest_revoked[POLICY_AUTH] = strcmp(col(r, 0, 16), "true") == 0;
}

static void
fill_latest(struct counter_facts *f)
{
	const PGresult *r = f->res_latest;
	enum policy_type t;
	int i;

	for (i = 0; i < PQntuples(r); i++) {
		if (policy_type_parse(col(r, i, 0), &t) != 0)
			continue;
		f->ctx.latest[t].present = 1;
		f->ctx.latest[t].not_before = (time_t)strtoll(col(r, i, 2), NULL, 10);
		f->ctx.latest[t].not_after = (time_t)strtoll(col(r, i, 3), NULL, 10);
		snprintf(f->latest_serial[t], sizeof(f->latest_serial[t]), "%s", col(r, i, 1));
	}
}

/* The issuing CAs' notAfter, for policy_ca_life (a certificate never outlives its CA). */
static void
fill_ca_life(struct counter_facts *f, struct app *app)
{
	const X509 *ca;
	struct tm tm;
	int t;

	if (app->keys == NULL)
		return;
	pthread_rwlock_rdlock(&app->keys_lock);
	for (t = 0; t < POLICY_NTYPES; t++) {
		ca = t == POLICY_SIGN ? app->keys->sign_ca.cert : app->keys->auth_ca.cert;
		memset(&tm, 0, sizeof(tm));
		if (ca != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(ca), &tm) == 1)
			f->ctx.ca_not_after[t] = timegm(&tm);
	}
	pthread_rwlock_unlock(&app->keys_lock);
}

int
counter_load(struct store_conn *c, struct api_req *req, const char *code,
    const char *card_number, int flags, time_t now, struct counter_facts *f,
    struct api_resp *resp, struct store_err *err)
{
	const char *v[2];
	const char *muni = req->principal.municipality_code;

	memset(f, 0, sizeof(*f));
	f->ctx.now = now;
	f->ctx.terminal_municipality = muni;
	f->ctx.resident = &f->resident;
	f->ctx.card = &f->card;
	if (!counter_resident_code_ok(code))
		goto not_found;
	v[0] = code;
	f->res_resident = store_exec(c, (flags & COUNTER_LOCK) ? Q_RESIDENT_LOCK : Q_RESIDENT_GET,
	    1, v, NULL, NULL, err);
	if (f->res_resident == NULL)
		return -1;
	if (PQntuples(f->res_resident) != 1)
		goto not_found;
	if (strcmp(PQgetvalue(f->res_resident, 0, 1), muni) != 0) {
		/*
		 * R1: another municipality's resident. Answer exactly as for a
		 * resident that does not exist (no oracle); the caller audits
		 * it once its connection is released (counter_audit_denied).
		 */
		f->scope_denied = 1;
		log_kv(LOG_LVL_WARN, "R1: terminal asked for another municipality's resident",
		    "request_id", req->request_id, "rule", "R1", (char *)NULL);
		goto not_found;
	}
	fill_resident(f);

	/* The card: the one named, or (NULL) the resident's current one. */
	v[0] = card_number;
	v[1] = code;
	if ((f->res_card = store_exec(c, Q_CARD_FACTS, 2, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(f->res_card) == 1)
		fill_card(f);

	v[0] = code;
	if ((f->res_latest = store_exec(c, Q_LATEST_CERTS, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	fill_latest(f);

	f->ctx.fees.reissue_yen = req->app->issuance.fee_reissue_yen;
	f->ctx.fees.reissue_both_yen = req->app->issuance.fee_reissue_both_yen;
	f->ctx.fees.waived |= req->app->issuance.fees_waived;
	fill_ca_life(f, req->app);
	return 0;
not_found:
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
	    "no resident %s is registered in this municipality", code);
	return 1;
}

void
counter_audit_denied(struct api_req *req, const char *code)
{
	audit_write_now(req->app, req, "resident.scope_denied", code,
	    json_pack("{s:s, s:s}", "rule", "R1", "terminal_municipality",
	    req->principal.municipality_code));
}

void
counter_facts_free(struct counter_facts *f)
{
	PQclear(f->res_resident);
	PQclear(f->res_card);
	PQclear(f->res_latest);
	f->res_resident = f->res_card = f->res_latest = NULL;
}

/* Parse "a,b,c" of ISO weekdays into a bit mask. */
static unsigned
weekday_mask(const char *s)
{
	unsigned m = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (*s >= '1' && *s <= '7')
			m |= 1u << (*s - '0');
	return m;
}

int
counter_gate(struct store_conn *c, struct api_req *req, time_t now, struct api_resp *resp,
    struct store_err *err)
{
	char nowbuf[24];
	const char *v[2] = { nowbuf, NULL };
	struct policy_refusal r;
	struct policy_hours h;
	struct jpdate closed[128];
	PGresult *res;
	const char *s;
	size_t n = 0;

	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)now);
	v[1] = req->principal.municipality_code;
	if ((res = store_exec(c, Q_COUNTER_GATE, 2, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		long long until = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		char buf[24];

		api_problem(resp, 503, "suspended", "Service Suspended", "R19", NULL,
		    "counter operations are suspended until %s: %s",
		    counter_rfc3339((time_t)until, buf, sizeof(buf)), PQgetvalue(res, 0, 1));
		api_add_header(resp, "Retry-After", "%lld",
		    until - (long long)now > 0 ? until - (long long)now : 1);
		PQclear(res);
		return 1;
	}
	memset(&h, 0, sizeof(h));
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 2), "true") == 0) {
		h.enforced = 1;
		h.opens_min = atoi(PQgetvalue(res, 0, 3));
		h.closes_min = atoi(PQgetvalue(res, 0, 4));
		h.closed_weekdays = weekday_mask(PQgetvalue(res, 0, 5));
		h.year_end_closed = strcmp(PQgetvalue(res, 0, 6), "true") == 0;
		for (s = PQgetvalue(res, 0, 7); *s != '\0' && n < sizeof(closed) / sizeof(closed[0]);) {
			char d[11];

			snprintf(d, sizeof(d), "%.10s", s);
			if (jpdate_parse(d, &closed[n]) == 0)
				n++;
			s += strlen(d);
			if (*s == ',')
				s++;
		}
		h.closed = closed;
		h.nclosed = n;
	}
	PQclear(res);
	if (policy_r19_counter_open(now, &h, &r) != 0) {
		counter_refuse(req, resp, &r);
		return 1;
	}
	return 0;
}

json_t *
counter_refusal_json(const struct policy_refusal *r)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "rule", r->rule, "slug", r->slug,
	    "detail", r->detail);
	int i;

	if (r->nfields > 0) {
		json_t *a = json_array();

		for (i = 0; i < r->nfields; i++)
			json_array_append_new(a, json_string(r->fields[i]));
		json_object_set_new(o, "fields", a);
	}
	return o;
}

void
counter_refuse(struct api_req *req, struct api_resp *resp, const struct policy_refusal *r)
{
	json_t *fields = NULL;
	int i;

	if (r->nfields > 0) {
		fields = json_object();
		for (i = 0; i < r->nfields; i++)
			json_object_set_new(fields, r->fields[i], json_string(r->slug));
	}
	/* 409: the state of the CA, not the request, is at fault (policy_ca_life). */
	api_problem(resp, r->status != 0 ? r->status : 422, r->slug,
	    r->status == 409 ? "Conflict" : "Refused by rule", r->rule, fields, "%s: %s",
	    r->rule, r->detail);
	resp->rule = r->rule;
	log_kv(LOG_LVL_INFO, "refused", "request_id", req->request_id, "rule", r->rule,
	    "slug", r->slug, (char *)NULL);
}
