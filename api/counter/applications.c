/*
 * applications: a clerk's application at the counter (docs/foundation.md "API"):
 *
 *	POST /v1/applications				issue, renew or pin_reset, types, applicant, evidence
 *	POST /v1/applications/{id}/inquiry-answer	voluntary proxy, second visit (R13)
 *
 * Self and legal representative applications are "ready" at once (same
 * day); a voluntary proxy's is "awaiting_inquiry" with an inquiry form
 * addressed to the resident's registered address, whose one-time answer
 * code appears only in the 201 that creates it (for printing on the form):
 * the database keeps an HMAC of it under a key it never holds
 * (ca/answercode.h), and an Idempotency-Key replay returns the stored
 * response, which never held the code.
 *
 * Each handler is one transaction (store_tx): facts, rules (ca/policy.c),
 * rows, audit, stored idempotent response, COMMIT, then the answer.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/counter/applications.h"
#include "api/counter/issue.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/idem.h"
#include "api/counter/pin_resets.h"
#include "ca/charset.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"

#define MAX_DOCS	8

int
app_id_ok(const char *s)
{
	int i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static void
field_err(json_t *fields, const char *name, const char *msg)
{
	if (json_object_get(fields, name) == NULL)
		json_object_set_new(fields, name, json_string(msg));
}

int
app_parse_evidence(json_t *ev, struct app_evidence *out, json_t *fields)
{
	json_t *docs, *d, *v;
	const char *key;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->ev.docs = out->docs;
	out->ev.authority = POLICY_AUTHORITY_NONE;
	if (ev == NULL || !json_is_object(ev)) {
		field_err(fields, "evidence", "required: an object with documents");
		return -1;
	}
	json_object_foreach(ev, key, v)
		if (strcmp(key, "documents") != 0 && strcmp(key, "authority") != 0)
			field_err(fields, "evidence", "unknown member");
	if ((v = json_object_get(ev, "authority")) != NULL && !json_is_null(v) &&
	    (!json_is_string(v) ||
	    policy_authority_parse(json_string_value(v), &out->ev.authority) != 0))
		field_err(fields, "evidence.authority",
		    "one of none, family_register, guardianship, same_household");
	docs = json_object_get(ev, "documents");
	if (!json_is_array(docs) || json_array_size(docs) > MAX_DOCS) {
		field_err(fields, "evidence.documents", "an array of at most 8 documents");
		return -1;
	}
	json_array_foreach(docs, i, d) {
		struct policy_doc *pd = &out->docs[out->ev.ndocs];
		const char *holder = json_string_value(json_object_get(d, "holder"));
		json_t *ex = json_object_get(d, "expired"), *cp = json_object_get(d, "copy");

		pd->kind = json_string_value(json_object_get(d, "kind"));
		if (!json_is_object(d) || pd->kind == NULL || holder == NULL ||
		    (strcmp(holder, "resident") != 0 && strcmp(holder, "applicant") != 0) ||
		    (ex != NULL && !json_is_boolean(ex)) || (cp != NULL && !json_is_boolean(cp))) {
			field_err(fields, "evidence.documents",
			    "each {kind, holder: resident|applicant, expired?, copy?}");
			return -1;
		}
		pd->holder = strcmp(holder, "resident") == 0 ?
		    POLICY_HOLDER_RESIDENT : POLICY_HOLDER_APPLICANT;
		pd->expired = json_is_true(ex);
		pd->copy = json_is_true(cp);
		out->ev.ndocs++;
	}
	return json_object_size(fields) > 0 ? -1 : 0;
}

/* The evidence as recorded (R14: "records it"): kinds and flags, no numbers. */
static json_t *
evidence_record(const struct app_evidence *e)
{
	static const char *const auth[] = { "none", "family_register", "guardianship",
	    "same_household" };
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < e->ev.ndocs; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}",
		    "kind", e->docs[i].kind,
		    "holder", e->docs[i].holder == POLICY_HOLDER_RESIDENT ? "resident" : "applicant",
		    "expired", e->docs[i].expired, "copy", e->docs[i].copy));
	return json_pack("{s:o, s:s}", "documents", a, "authority", auth[e->ev.authority]);
}

json_t *
app_plan_json(const struct policy_plan *p, const char *supersedes_serial)
{
	char nb[24], na[24], day[11];
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:i, s:i}", "renewal", policy_renewal_name(p->renewal),
	    "not_before", counter_rfc3339(p->not_before, nb, sizeof(nb)),
	    "not_after", counter_rfc3339(p->not_after, na, sizeof(na)),
	    "birthday", p->birthday_n, "fee_yen", p->fee_yen);
	json_object_set_new(o, "capped_by", p->capped_by ? json_string(p->capped_by) : json_null());
	json_object_set_new(o, "supersedes", p->supersedes && supersedes_serial != NULL &&
	    supersedes_serial[0] != '\0' ? json_string(supersedes_serial) : json_null());
	json_object_set_new(o, "renewal_window_opens", p->window_opens.y != 0 ?
	    json_string(jpdate_format(p->window_opens, day, sizeof(day))) : json_null());
	json_object_set_new(o, "warnings", app_warnings_json(p));
	return o;
}

json_t *
app_warnings_json(const struct policy_plan *p)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < p->nwarnings; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "slug", p->warnings[i].slug,
		    "rule", p->warnings[i].rule, "detail", p->warnings[i].detail));
	return a;
}

/* ------------------------------------------------------------------ create */

struct create {
	struct api_req		*req;
	struct api_resp		*resp;
	time_t			 now;
	/* request */
	const char		*resident_code, *card_number;
	enum policy_procedure	 procedure;
	unsigned		 mask;
	enum policy_applicant	 applicant;
	json_t			*applicant_json;
	int			 delegation;
	struct app_evidence	 ev;
	/* "certificates": issued at once, in this order (AUTH first, R7) */
	json_t			*certs;		/* borrowed from the body */
	struct issue		 issues[POLICY_NTYPES];
	int			 nissue;
	/* outcome */
	char			 code[ANSWER_CODE_BUF];	/* the answer code, only for the 201 */
	int			 scope_denied;		/* R1: audit after the transaction */
};

/*
 * "certificates": [{type, csr}] (issue at once): one or two distinct types,
 * each applied for; the CSRs are parsed later (parse_cert_csrs), once
 * every field is known to be well formed. Kept in issue order, AUTH first.
 */
static void
parse_certs(struct create *cr, json_t *certs, json_t *fields)
{
	json_t *c, *v;
	const char *key;
	size_t i;
	enum policy_type t;
	unsigned seen = 0;

	if (certs == NULL)
		return;
	if (!json_is_array(certs) || json_array_size(certs) < 1 || json_array_size(certs) > 2) {
		field_err(fields, "certificates", "an array of one or two {type, csr}");
		return;
	}
	json_array_foreach(certs, i, c) {
		int bad = !json_is_object(c);

		if (!bad)
			json_object_foreach(c, key, v)
				if (strcmp(key, "type") && strcmp(key, "csr"))
					bad = 1;
		if (bad || json_string_value(json_object_get(c, "csr")) == NULL ||
		    policy_type_parse(json_string_value(json_object_get(c, "type")), &t) != 0 ||
		    (seen & POLICY_TYPE_BIT(t))) {
			field_err(fields, "certificates", "an array of one or two {type, csr}, "
			    "the types distinct");
			return;
		}
		seen |= POLICY_TYPE_BIT(t);
	}
	cr->certs = certs;
}

static int
parse_create(struct create *cr, json_t *body, json_t *fields)
{
	json_t *types, *v, *ap;
	const char *key, *s;
	size_t i;

	json_object_foreach(body, key, v)
		if (strcmp(key, "resident_code") && strcmp(key, "card_number") &&
		    strcmp(key, "procedure") && strcmp(key, "types") && strcmp(key, "applicant") &&
		    strcmp(key, "delegation_covers_revocation") && strcmp(key, "evidence") &&
		    strcmp(key, "certificates"))
			field_err(fields, key, "unknown field");
	cr->resident_code = json_string_value(json_object_get(body, "resident_code"));
	if (cr->resident_code == NULL || !counter_resident_code_ok(cr->resident_code))
		field_err(fields, "resident_code", "11 digits");
	v = json_object_get(body, "card_number");
	if (v != NULL && !json_is_null(v)) {
		cr->card_number = json_string_value(v);
		if (cr->card_number == NULL || strlen(cr->card_number) == 0 ||
		    strlen(cr->card_number) > 16)
			field_err(fields, "card_number", "a card number (1-16 characters)");
	}
	s = json_string_value(json_object_get(body, "procedure"));
	if (s == NULL || policy_procedure_parse(s, &cr->procedure) != 0)
		field_err(fields, "procedure", "issue, renew or pin_reset");
	types = json_object_get(body, "types");
	if (!json_is_array(types) || json_array_size(types) < 1 || json_array_size(types) > 2)
		field_err(fields, "types", "an array of one or two of sign, auth");
	else
		json_array_foreach(types, i, v) {
			enum policy_type t;

			if (!json_is_string(v) || policy_type_parse(json_string_value(v), &t) != 0 ||
			    (cr->mask & POLICY_TYPE_BIT(t)))
				field_err(fields, "types", "an array of one or two of sign, auth");
			else
				cr->mask |= POLICY_TYPE_BIT(t);
		}
	ap = json_object_get(body, "applicant");
	s = json_string_value(json_object_get(ap, "kind"));
	if (!json_is_object(ap) || s == NULL || policy_applicant_parse(s, &cr->applicant) != 0)
		field_err(fields, "applicant.kind", "self, legal_representative or voluntary_proxy");
	else {
		json_object_foreach(ap, key, v) {
			if (strcmp(key, "kind") && strcmp(key, "name") && strcmp(key, "relationship"))
				field_err(fields, "applicant", "members: kind, name, relationship");
			else if (!json_is_string(v) || json_string_length(v) > 128 ||
			    (strcmp(key, "kind") && charset_utf8_len(json_string_value(v)) < 0))
				field_err(fields, "applicant", "strings of at most 128 bytes");
		}
		if (cr->applicant != POLICY_SELF && json_string_value(
		    json_object_get(ap, "name")) == NULL)
			field_err(fields, "applicant.name", "required for a representative or proxy");
		cr->applicant_json = ap;
	}
	v = json_object_get(body, "delegation_covers_revocation");
	if (v != NULL && !json_is_boolean(v))
		field_err(fields, "delegation_covers_revocation", "true or false");
	cr->delegation = json_is_true(v);
	app_parse_evidence(json_object_get(body, "evidence"), &cr->ev, fields);
	parse_certs(cr, json_object_get(body, "certificates"), fields);
	return json_object_size(fields) > 0 ? -1 : 0;
}

/*
 * "certificates": each one issued in this transaction as the certificate
 * POST would (api/counter/issue.c issue_in_tx), AUTH first; f are the
 * facts create_tx loaded with the resident locked, current for the first
 * one. The application's state and the certificates go into o. 0, or -1
 * with cr->resp (a refusal) or err set: the caller rolls back.
 */
static int
issue_at_once(struct store_conn *c, struct create *cr, struct counter_facts *f,
    const char *app_id, json_t *o, struct store_err *err)
{
	struct issue_app a;
	json_t *list = json_array(), *cert = NULL;
	char id[40];
	int k;

	snprintf(id, sizeof(id), "%s", app_id);
	memset(&a, 0, sizeof(a));
	a.resident = cr->resident_code;
	a.card = f->card.present ? f->card.card_number : NULL;
	a.procedure = cr->procedure;
	a.applicant = cr->applicant;
	a.delegation = cr->delegation;
	json_object_set_new(o, "certificates", list);
	for (k = 0; k < cr->nissue; k++) {
		struct issue *is = &cr->issues[k];

		is->id = id;
		if ((cert = issue_in_tx(c, is, &a, k == 0 ? f : NULL, err)) == NULL)
			return -1;
		json_array_append_new(list, cert);
		log_kv(LOG_LVL_INFO, "certificate issued", "request_id", cr->req->request_id,
		    "type", policy_type_name(is->type), "serial", is->serial_hex,
		    "application", id, (char *)NULL);
	}
	json_object_set(o, "state", json_object_get(json_object_get(cert, "application"),
	    "state"));
	return 0;
}

static int
create_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct create *cr = arg;
	struct api_req *req = cr->req;
	struct api_resp *resp = cr->resp;
	struct counter_facts f;
	struct policy_plan plans[POLICY_NTYPES];
	struct policy_refusal r;
	unsigned char salt[ANSWER_SALT_LEN], hash[ANSWER_HASH_MAX];
	size_t hashlen = 0;
	char nowbuf[24], fee[16], tid[24], expbuf[24], addressee[300], tbuf[24];
	const char *v[17];
	int l[17], fm[17];
	json_t *plan = NULL, *types = NULL, *o = NULL, *inq = NULL;
	char *plan_s = NULL, *types_s = NULL, *app_s = NULL, *ev_s = NULL, *detail = NULL;
	char actor[160];
	PGresult *res = NULL;
	struct api_resp stored;
	int rc = -1, supersedes = 0, t;
	enum idem_result ir;
	time_t expires = 0;

	api_resp_free(resp);
	memset(&f, 0, sizeof(f));
	memset(&stored, 0, sizeof(stored));
	cr->code[0] = '\0';
	if ((ir = idem_begin(c, req, NULL, resp, err)) == IDEM_DBERR)
		return -1;
	if (ir == IDEM_REPLAY || ir == IDEM_REFUSED)
		return -1;	/* nothing to change: roll back and send resp */
	if (counter_gate(c, req, cr->now, resp, err) != 0)
		return -1;	/* refused (resp) or database failure (err) */
	if (counter_load(c, req, cr->resident_code, cr->card_number, COUNTER_LOCK, cr->now,
	    &f, resp, err) != 0) {
		cr->scope_denied = f.scope_denied;
		goto out;
	}
	if (cr->card_number != NULL && !f.card.present) {
		struct policy_refusal nc = { .rule = "R2", .slug = "no-card", .nfields = 1,
		    .fields = { "card_number" } };

		snprintf(nc.detail, sizeof(nc.detail), "card %s is not this resident's",
		    cr->card_number);
		counter_refuse(req, resp, &nc);
		goto out;
	}
	memset(plans, 0, sizeof(plans));
	if (cr->procedure == POLICY_PIN_RESET) {
		/* R16a: no certificate is planned; the card must hold a valid one per key. */
		if ((t = pin_reset_counter_check(c, &f, cr->mask, &r, err)) < 0)
			goto out;
		if (t > 0) {
			counter_refuse(req, resp, &r);
			goto out;
		}
	} else if (policy_plan_application(&f.ctx, cr->mask, cr->procedure, plans) != 0) {
		for (t = 0; t < POLICY_NTYPES; t++)
			if ((cr->mask & POLICY_TYPE_BIT(t)) && !plans[t].eligible) {
				counter_refuse(req, resp, &plans[t].refusal);
				break;
			}
		goto out;
	}
	for (t = 0; t < POLICY_NTYPES; t++)
		if ((cr->mask & POLICY_TYPE_BIT(t)) && plans[t].supersedes)
			supersedes = 1;
	if (policy_r13_applicant(cr->applicant, &f.resident, cr->now, supersedes, cr->delegation,
	    &r) != 0 || (cr->procedure == POLICY_PIN_RESET ?
	    policy_r14_pin_reset_evidence(cr->applicant, &cr->ev.ev, &r) :
	    policy_r14_evidence(cr->applicant, &cr->ev.ev, &r)) != 0) {
		counter_refuse(req, resp, &r);
		goto out;
	}

	plan = json_object();
	types = json_array();
	for (t = POLICY_NTYPES - 1; t >= 0; t--)	/* AUTH first (R7) */
		if (cr->mask & POLICY_TYPE_BIT(t)) {
			if (cr->procedure != POLICY_PIN_RESET)	/* a PIN reset plans no certificate */
				json_object_set_new(plan, policy_type_name(t),
				    app_plan_json(&plans[t], f.latest_serial[t]));
			json_array_append_new(types, json_string(policy_type_name(t)));
		}
	plan_s = json_dumps(plan, JSON_COMPACT);
	types_s = json_dumps(types, JSON_COMPACT);
	app_s = json_dumps(cr->applicant_json, JSON_COMPACT);
	{
		json_t *er = evidence_record(&cr->ev);

		ev_s = json_dumps(er, JSON_COMPACT);
		json_decref(er);
	}
	if (plan_s == NULL || types_s == NULL || app_s == NULL || ev_s == NULL)
		abort();
	/* text[] literal from the JSON array: ["auth","sign"] -> {auth,sign} */
	types_s[0] = '{';
	types_s[strlen(types_s) - 1] = '}';
	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)cr->now);
	/* R18: a PIN reset is free. */
	snprintf(fee, sizeof(fee), "%d", cr->procedure == POLICY_PIN_RESET ? 0 :
	    policy_r18_fee(cr->mask, plans, &f.card, &f.ctx.fees));
	snprintf(tid, sizeof(tid), "%lld", req->principal.id);
	memset(l, 0, sizeof(l));
	memset(fm, 0, sizeof(fm));
	v[0] = req->principal.municipality_code;
	v[1] = cr->resident_code;
	v[2] = tid;
	v[3] = f.card.present ? f.card.card_number : NULL;
	v[4] = policy_procedure_name(cr->procedure);
	v[5] = types_s;
	v[6] = policy_applicant_name(cr->applicant);
	v[7] = app_s;
	v[8] = cr->delegation ? "true" : "false";
	v[9] = ev_s;
	v[10] = plan_s;
	v[11] = cr->applicant == POLICY_PROXY ? "awaiting_inquiry" : "ready";
	v[12] = fee;
	v[13] = req->header(req->hctx, "Idempotency-Key");
	v[14] = nowbuf;
	/* The audit row goes in with the application (Q_APP_INSERT adds its id). */
	v[15] = api_principal_id(req, actor, sizeof(actor));
	detail = audit_detail_json(req, json_pack("{s:s, s:O, s:s, s:i, s:s, s:o}",
	    "procedure", policy_procedure_name(cr->procedure), "types", types,
	    "applicant_kind", policy_applicant_name(cr->applicant), "fee_yen", atoi(fee),
	    "state", v[11], "evidence", evidence_record(&cr->ev)));
	v[16] = detail;
	if ((res = store_exec(c, Q_APP_INSERT, 17, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		/* cannot happen: the audit row has no constraint */
		snprintf(err->message, sizeof(err->message), "app_insert: no row");
		err->status = STORE_ERROR;
		goto out;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:i, s:O, s:s}",
	    "id", PQgetvalue(res, 0, 0), "state", v[11], "resident_code", cr->resident_code,
	    "procedure", v[4], "types", types, "applicant_kind", v[6], "fee_yen", atoi(fee),
	    "plan", plan, "created_at", counter_rfc3339(cr->now, tbuf, sizeof(tbuf)));
	json_object_set_new(o, "card_number", f.card.present ?
	    json_string(f.card.card_number) : json_null());
	/* Issue at once (proxies never: api_application_create refused them, R13). */
	if (cr->nissue > 0 && issue_at_once(c, cr, &f, PQgetvalue(res, 0, 0), o, err) != 0)
		goto out;

	if (cr->applicant == POLICY_PROXY) {
		/* R13: the inquiry form goes to the registered address, never elsewhere. */
		char app_id[40];

		snprintf(app_id, sizeof(app_id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		res = NULL;
		if (answer_code_new(&req->app->issuance.answer_key, cr->code, salt, hash,
		    &hashlen) != 0) {
			api_problem(resp, 500, "internal", "Internal Server Error", NULL, NULL,
			    "no randomness");
			goto out;
		}
		snprintf(addressee, sizeof(addressee), "%s%s%s", f.resident.four.family_name,
		    f.resident.four.given_name[0] ? "\xe3\x80\x80" : "", f.resident.four.given_name);
		expires = policy_r13_inquiry_expires(cr->now, req->app->issuance.inquiry_days);
		snprintf(expbuf, sizeof(expbuf), "%lld", (long long)expires);
		v[0] = app_id;
		v[1] = addressee;
		v[2] = f.resident.four.address;
		v[3] = (const char *)hash;
		l[3] = (int)hashlen;
		fm[3] = 1;
		v[4] = (const char *)salt;
		l[4] = sizeof(salt);
		fm[4] = 1;
		v[5] = nowbuf;
		v[6] = expbuf;
		if ((res = store_exec(c, Q_INQUIRY_INSERT, 7, v, l, fm, err)) == NULL)
			goto out;
		inq = json_pack("{s:s, s:s, s:s, s:s}", "id", PQgetvalue(res, 0, 0),
		    "addressee", addressee, "address", f.resident.four.address,
		    "expires_at", counter_rfc3339(expires, tbuf, sizeof(tbuf)));
		json_object_set_new(o, "inquiry", inq);
	}
	/* Stored for replays: without the answer code (never stored anywhere). */
	api_json(&stored, 201, json_incref(o));
	if (idem_finish(c, req, &stored, err) != 0)
		goto out;
	if (inq != NULL)
		json_object_set_new(inq, "answer_code", json_string(cr->code));
	api_json(resp, 201, o);
	o = NULL;
	rc = 0;
out:
	if (cr->code[0] != '\0')
		OPENSSL_cleanse(cr->code, sizeof(cr->code));
	api_resp_free(&stored);
	json_decref(o);
	json_decref(plan);
	json_decref(types);
	free(plan_s);
	free(types_s);
	free(app_s);
	free(ev_s);
	free(detail);
	PQclear(res);
	counter_facts_free(&f);
	return rc;
}

/*
 * Run fn as one transaction for req: resp is what fn set (committed or
 * refused), or 503 on a database failure. R1 denials are audited after
 * the transaction, in their own (counter_audit_denied).
 */
void
app_run_tx(struct api_req *req, struct api_resp *resp, store_tx_fn fn, void *arg,
    const char *resident_code, const int *scope_denied)
{
	struct store_err err;

	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, fn, arg, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
	if (scope_denied != NULL && *scope_denied)
		counter_audit_denied(req, resident_code);
}

/*
 * R1, R13: the application as this terminal may see it, locked. The lock
 * is taken by its own statement (Q_APP_LOCK) before Q_APP_GET reads the
 * application and its inquiry in a fresh snapshot: concurrent answers to
 * one inquiry queue on the lock and each reads the count the previous one
 * committed. Not here (unknown id, another municipality's application, or
 * a resident who has since moved away): the same 404, and scope (when
 * given) says whether it was an R1 denial to audit.
 */
PGresult *
app_load_scoped(struct store_conn *c, struct api_req *req, const char *id, int binary,
    struct app_scope *scope, struct api_resp *resp, struct store_err *err)
{
	const char *v[2] = { id, req->principal.municipality_code };
	PGresult *res, *lk;
	int here;

	if (scope != NULL)
		memset(scope, 0, sizeof(*scope));
	if ((lk = store_exec(c, Q_APP_LOCK, 2, v, NULL, NULL, err)) == NULL)
		return NULL;
	here = PQntuples(lk) == 1;
	PQclear(lk);
	res = NULL;
	if (here && (res = binary ? store_exec_bin(c, Q_APP_GET, 2, v, NULL, NULL, err) :
	    store_exec(c, Q_APP_GET, 2, v, NULL, NULL, err)) == NULL)
		return NULL;
	if (res != NULL && PQntuples(res) == 1)
		return res;
	PQclear(res);
	if (scope != NULL) {
		if ((lk = store_exec(c, Q_APP_SCOPE, 1, v, NULL, NULL, err)) == NULL)
			return NULL;
		if (PQntuples(lk) == 1) {
			scope->denied = 1;
			snprintf(scope->resident, sizeof(scope->resident), "%s",
			    PQgetvalue(lk, 0, 0));
			log_kv(LOG_LVL_WARN, "R1: terminal named another municipality's "
			    "application", "request_id", req->request_id, "rule", "R1",
			    (char *)NULL);
		}
		PQclear(lk);
	}
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
	    "no application %s at this municipality", id);
	return NULL;
}

PGresult *
app_load(struct store_conn *c, struct api_req *req, const char *id, int binary,
    struct api_resp *resp, struct store_err *err)
{
	return app_load_scoped(c, req, id, binary, NULL, resp, err);
}

json_t *
app_parse_body(struct api_req *req, struct api_resp *resp)
{
	json_error_t je;
	json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);

	if (body == NULL || !json_is_object(body)) {
		json_decref(body);
		api_problem(resp, 400, "invalid-json", "Bad Request", NULL, NULL,
		    "the body must be a JSON object (%s)", body == NULL ? je.text : "not an object");
		return NULL;
	}
	return body;
}

/*
 * Issue at once, before the transaction: the request's shape against the
 * rules that need no database (not a PIN reset; each type applied for;
 * R7 AUTH first when both are applied for; R13 a voluntary proxy's
 * inquiry first), then each CSR parsed (R22) and a serial reserved for it
 * (committed before anything is signed, as for the certificate POST).
 * 0, or -1 with resp set.
 */
static int
prepare_at_once(struct create *cr, struct api_resp *resp)
{
	struct api_req *req = cr->req;
	json_t *fields, *c, *list[POLICY_NTYPES] = { NULL, NULL };
	struct store_err err;
	enum policy_type t;
	static const enum policy_type order[POLICY_NTYPES] = { POLICY_AUTH, POLICY_SIGN };	/* R7 */
	char name[32];
	size_t i;
	int k;

	fields = json_object();
	json_array_foreach(cr->certs, i, c) {
		(void)policy_type_parse(json_string_value(json_object_get(c, "type")), &t);
		list[t] = c;	/* parse_certs: distinct, known types */
		if (!(cr->mask & POLICY_TYPE_BIT(t)))
			field_err(fields, "certificates", "each type must be in types");
	}
	if (cr->procedure == POLICY_PIN_RESET)
		field_err(fields, "certificates", "a PIN reset issues no certificate (R16a)");
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the application has invalid fields");	/* steals fields */
		return -1;
	}
	if (cr->applicant == POLICY_PROXY) {
		json_decref(fields);
		api_problem(resp, 409, "wrong-state", "Conflict", "R13", NULL,
		    "a voluntary proxy's application waits for the inquiry answer (R13): "
		    "its certificates are issued after it, not at once");
		resp->rule = "R13";
		return -1;
	}
	if ((cr->mask & POLICY_TYPE_BIT(POLICY_AUTH)) && list[POLICY_AUTH] == NULL) {
		json_decref(fields);
		api_problem(resp, 409, "auth-first", "Conflict", "R7",
		    json_pack("{s:s}", "certificates", "issue auth first"),
		    "R7: this application issues both types; the AUTH certificate comes first");
		resp->rule = "R7";
		return -1;
	}
	for (k = 0; k < POLICY_NTYPES; k++) {
		struct issue *is;

		if (list[t = order[k]] == NULL)
			continue;
		is = &cr->issues[cr->nissue++];
		memset(is, 0, sizeof(*is));
		is->req = req;
		is->resp = resp;
		is->now = cr->now;
		is->type = t;
		snprintf(name, sizeof(name), "certificates.%s.csr", policy_type_name(t));
		if (issue_parse_csr(is, json_string_value(json_object_get(list[t], "csr")),
		    fields, name) < 0) {
			json_decref(fields);
			return -1;
		}
	}
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the application has invalid fields");	/* steals fields */
		return -1;
	}
	json_decref(fields);
	for (k = 0; k < cr->nissue; k++) {
		memset(&err, 0, sizeof(err));
		if (issue_serial_take(&cr->issues[k], &err) != 0) {
			api_db_unavailable(req, resp, &err);
			return -1;
		}
	}
	return 0;
}

void
api_application_create(struct api_req *req, struct api_resp *resp)
{
	struct create cr;
	json_t *body, *fields;

	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&cr, 0, sizeof(cr));
	cr.req = req;
	cr.resp = resp;
	cr.now = clock_now();
	fields = json_object();
	if (parse_create(&cr, body, fields) != 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the application has invalid fields");
		json_decref(body);
		return;
	}
	json_decref(fields);
	if (cr.applicant == POLICY_PROXY && !req->app->issuance.answer_key.set) {
		/* R13: never an unkeyed answer code (ca/answercode.h). */
		api_problem(resp, 503, "answer-key-not-configured", "Service Unavailable", "R13",
		    NULL, "this jpkid has no answer-code key ([issuance] answer_key in "
		    "jpkid.conf): voluntary proxy applications cannot be filed");
		json_decref(body);
		return;
	}
	if (cr.certs != NULL && prepare_at_once(&cr, resp) != 0)
		goto out;
	app_run_tx(req, resp, create_tx, &cr, cr.resident_code, &cr.scope_denied);
out:
	for (int k = 0; k < cr.nissue; k++)
		issue_free(&cr.issues[k]);
	json_decref(body);
}
