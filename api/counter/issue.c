/*
 * issue: POST /v1/applications/{id}/certificates {type, csr}: a certificate
 * for a ready application (docs/foundation.md "API"; Boulder's order):
 *
 *  1. parse the CSR: RSA-2048, e=65537, not weak (R22), signature verifies
 *     (proof of possession); its subject is ignored;
 *  2. take a fresh serial, recorded (committed) before anything is signed
 *     with it: serials are reserved a block at a time in their own
 *     transaction (issue_serial_take), so most issuances reserve none;
 *  3. one transaction: Idempotency-Key, R19 gate, the application (locked),
 *     then issue_in_tx() (api/counter/issue.h; POST /v1/applications with
 *     "certificates" calls it in the application's own transaction): the
 *     resident (locked: two terminals at once are serialized, R9), the
 *     rules again at this instant (ca/policy.c), build the profile, sign with
 *     the throwaway key, lint, sign for real (ca/profile.c), then one
 *     statement (Q_CERT_RECORD): mark an expired predecessor expired (R8),
 *     revoke a valid one as superseded (R9), insert the certificate,
 *     update the application, audit; store the response for replays,
 *     COMMIT;
 *  4. only then answer 201 with the certificate and its chain.
 */
#include <config.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "api/counter/applications.h"
#include "api/counter/issue.h"
#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/status/crls.h"
#include "api/idem.h"
#include "ca/csr.h"
#include "ca/policy_key.h"
#include "ca/profile.h"
#include "ca/serial.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"

#define CSR_MAX		8192	/* DER bytes; an RSA-2048 CSR is about 700 */
#define SERIAL_TRIES	3
#define SERIAL_BLOCK	32	/* serials reserved per round trip (issue 15) */


/* Strict base64 (whitespace allowed) into out; -1 when malformed or too long. */
static int
b64_decode(const char *in, unsigned char *out, size_t outcap, size_t *outlen)
{
	char *clean;
	size_t n = 0, i, pad = 0;
	int len;

	if ((clean = malloc(strlen(in) + 1)) == NULL)
		return -1;
	for (i = 0; in[i] != '\0'; i++)
		if (!isspace((unsigned char)in[i]))
			clean[n++] = in[i];
	clean[n] = '\0';
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > outcap) {
		free(clean);
		return -1;
	}
	if (clean[n - 1] == '=')
		pad++;
	if (clean[n - 2] == '=')
		pad++;
	len = EVP_DecodeBlock(out, (unsigned char *)clean, (int)n);
	free(clean);
	if (len < 0 || (size_t)len < pad)
		return -1;
	*outlen = (size_t)len - pad;
	return 0;
}

/* PEM of a DER certificate (RFC 7468), without decoding it again. */
static char *
der_pem(const unsigned char *der, size_t len)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char tail[] = "-----END CERTIFICATE-----\n";
	size_t lines = (len + 47) / 48, cap = sizeof(head) + sizeof(tail) + lines * 66 + 1, o, i;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	o = strlen(head);
	memcpy(out, head, o);
	for (i = 0; i < len; i += 48) {
		size_t n = len - i < 48 ? len - i : 48;

		o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, der + i, (int)n);
		out[o++] = '\n';
	}
	memcpy(out + o, tail, sizeof(tail));
	return out;
}

/* PEM of a certificate object (the issuing CA, for the chain). */
static char *
pem_of(X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	char *out = len > 0 ? der_pem(der, (size_t)len) : NULL;

	OPENSSL_free(der);
	return out;
}

/*
 * Step 2: serials recorded (committed) before any is used, SERIAL_BLOCK
 * at a time (issue 15: the reservation was a round trip, a transaction
 * and a WAL flush of its own per issuance). The pool belongs to one store
 * (one database) and one issuer per type; a serial leaves it exactly once.
 * After a crash or a stop the serials still in the pool stay reserved and
 * are never used, as a serial reserved before a failed issuance always did.
 */
static struct {
	pthread_mutex_t	 mtx;
	const struct store *st;
	int		 n[POLICY_NTYPES];
	unsigned char	 s[POLICY_NTYPES][SERIAL_BLOCK][SERIAL_MAX];
	size_t		 len[POLICY_NTYPES][SERIAL_BLOCK];
} serial_pool = { .mtx = PTHREAD_MUTEX_INITIALIZER };

/* A reserved serial of this store and type into is; 0, or -1 when the pool is empty. */
static int
pool_pop(struct issue *is)
{
	int t = (int)is->type, rc = -1;

	pthread_mutex_lock(&serial_pool.mtx);
	if (serial_pool.st != is->req->app->store) {
		memset(serial_pool.n, 0, sizeof(serial_pool.n));
		serial_pool.st = is->req->app->store;
	}
	if (serial_pool.n[t] > 0) {
		serial_pool.n[t]--;
		is->serial_len = serial_pool.len[t][serial_pool.n[t]];
		memcpy(is->serial, serial_pool.s[t][serial_pool.n[t]], is->serial_len);
		OPENSSL_cleanse(serial_pool.s[t][serial_pool.n[t]], SERIAL_MAX);
		rc = 0;
	}
	pthread_mutex_unlock(&serial_pool.mtx);
	return rc;
}

/* Reserve a block; the first serial goes to is, the others to the pool. */
static int
pool_fill(struct issue *is, struct store_err *err)
{
	struct store_conn *c;
	unsigned char s[SERIAL_MAX];
	size_t len, i;
	char list[SERIAL_BLOCK * (2 * SERIAL_MAX + 1)], *p;
	const char *v[2];
	PGresult *res = NULL;
	int t = (int)is->type, tries, row, got = 0;

	if ((c = store_borrow(is->req->app->store, is->req->app->borrow_timeout_ms, err)) == NULL)
		return -1;
	for (tries = 0; tries < SERIAL_TRIES && !got; tries++) {
		p = list;
		for (i = 0; i < SERIAL_BLOCK; i++) {
			if (serial_new(s, &len) != 0)
				goto out;
			if (i > 0)
				*p++ = ',';
			serial_hex(s, len, p, sizeof(list) - (size_t)(p - list));
			p += 2 * len;
		}
		v[0] = list;
		v[1] = policy_type_name(is->type);
		if ((res = store_exec(c, Q_SERIAL_RESERVE, 2, v, NULL, NULL, err)) == NULL)
			goto out;
		pthread_mutex_lock(&serial_pool.mtx);
		for (row = 0; row < PQntuples(res); row++) {
			if (serial_parse_hex(PQgetvalue(res, row, 0), s, &len) != 0)
				continue;	/* cannot happen: we drew it */
			if (!got) {
				memcpy(is->serial, s, len);
				is->serial_len = len;
				got = 1;
			} else if (serial_pool.st == is->req->app->store &&
			    serial_pool.n[t] < SERIAL_BLOCK) {
				memcpy(serial_pool.s[t][serial_pool.n[t]], s, len);
				serial_pool.len[t][serial_pool.n[t]++] = len;
			}	/* else: reserved and never used */
		}
		pthread_mutex_unlock(&serial_pool.mtx);
		PQclear(res);
		res = NULL;
	}
out:
	PQclear(res);
	store_release(c);
	return got ? 0 : -1;
}

int
issue_serial_take(struct issue *is, struct store_err *err)
{
	if (pool_pop(is) != 0 && pool_fill(is, err) != 0)
		return -1;
	serial_hex(is->serial, is->serial_len, is->serial_hex, sizeof(is->serial_hex));
	return 0;
}

/* R23: SIGN CN = JST timestamp YYYYMMDDhhmmss + 5-digit sequence + window code. */
static int
subject_cn(struct store_conn *c, struct issue *is, char *cn, size_t len, struct store_err *err)
{
	char tid[24];
	const char *v[1] = { tid };
	PGresult *res;
	time_t jst = is->now + JPDATE_JST_OFFSET;
	struct tm tm;
	unsigned char rnd[10];
	char hex[21];

	if (is->type == POLICY_AUTH) {
		/* R23: AUTH carries no personal data: an opaque random id. */
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -1;
		util_hex(rnd, sizeof(rnd), hex);
		for (char *p = hex; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		snprintf(cn, len, "%s", hex);
		return 0;
	}
	snprintf(tid, sizeof(tid), "%lld", is->req->principal.id);
	if ((res = store_exec(c, Q_SIGN_SEQ, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	gmtime_r(&jst, &tm);
	snprintf(cn, len, "%04d%02d%02d%02d%02d%02d%s%s", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

/*
 * R1: app_load() answered 404. When the application exists at another
 * municipality, remember which: the refusal is audited after the rollback
 * (the terminal still gets the same 404 as for an unknown id).
 */
static int
foreign_app(struct store_conn *c, struct issue *is, struct store_err *err)
{
	const char *v[1] = { is->id };
	PGresult *res;

	if ((res = store_exec(c, Q_AUDIT_APP_MUNICIPALITY, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		snprintf(is->foreign_municipality, sizeof(is->foreign_municipality), "%s",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/*
 * R22 (Decision): one key, one holder, one type. Refuse (409) a key that
 * is in any certificate already: another resident's (named only as
 * such: R1), this resident's other type (an AUTH signature made with the
 * 4-digit PIN would verify under the SIGN certificate), or this type's
 * earlier certificate (a card makes a new key pair for every issuance and
 * renewal, so a repeated key is a terminal or card fault). Q_KEY_LOCK
 * first: a concurrent issuance of the same key waits for this transaction
 * and then finds its row. 0 when the key is new; -1 with resp or err set.
 */
static int
key_unused(struct store_conn *c, struct issue *is, const char *resident,
    struct api_resp *resp, struct store_err *err)
{
	const char *v[3] = { (const char *)is->key_fp, resident, policy_type_name(is->type) };
	int l[3] = { POLICY_KEY_FP_LEN, 0, 0 }, f[3] = { 1, 0, 0 };
	PGresult *res;
	char why[160];

	if ((res = store_exec(c, Q_KEY_LOCK, 1, v, l, f, err)) == NULL)
		return -1;
	PQclear(res);
	if ((res = store_exec(c, Q_KEY_HOLDER, 3, v, l, f, err)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "true") == 0)
		snprintf(why, sizeof(why), "is already certified for another resident");
	else if (strcmp(PQgetvalue(res, 0, 1), policy_type_name(is->type)) != 0)
		snprintf(why, sizeof(why), "is already in this resident's %s certificate %s",
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	else
		snprintf(why, sizeof(why), "is already in this resident's earlier %s "
		    "certificate %s (a card makes a new key pair for every issuance)",
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	api_problem(resp, 409, "key-in-use", "Conflict", "R22",
	    json_pack("{s:s}", "csr", "public key already certified"),
	    "R22: one key, one holder, one type: this public key %s", why);
	resp->rule = "R22";
	PQclear(res);
	return -1;
}

/*
 * POST /v1/applications/{id}/certificates, step 3: the Idempotency-Key, the
 * R19 gate, the application (locked) and its state, then issue_in_tx().
 */
static int
issue_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct issue *is = arg;
	struct api_req *req = is->req;
	struct api_resp *resp = is->resp;
	PGresult *res = NULL;
	const char *tname = policy_type_name(is->type);
	int rc = -1;
	char resident[12], card[20], procedure[16], types[16], issued[16];
	struct issue_app a;
	json_t *o;

	api_resp_free(resp);
	switch (idem_begin(c, req, NULL, resp, err)) {
	case IDEM_DBERR:
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		return -1;
	default:
		break;
	}
	if (counter_gate(c, req, is->now, resp, err) != 0)
		goto out;
	if ((res = app_load(c, req, is->id, 0, resp, err)) == NULL) {
		if (err->status == STORE_OK)
			(void)foreign_app(c, is, err);	/* a failure: err, then 503 */
		goto out;
	}
	memset(&a, 0, sizeof(a));
	snprintf(resident, sizeof(resident), "%s", PQgetvalue(res, 0, 1));
	snprintf(is->resident_code, sizeof(is->resident_code), "%s", resident);
	snprintf(card, sizeof(card), "%s", PQgetvalue(res, 0, 2));
	snprintf(procedure, sizeof(procedure), "%s", PQgetvalue(res, 0, 3));
	snprintf(types, sizeof(types), "%s", PQgetvalue(res, 0, 4));
	snprintf(issued, sizeof(issued), "%s", PQgetvalue(res, 0, 12));
	a.resident = resident;
	a.card = card;
	a.delegation = strcmp(PQgetvalue(res, 0, 7), "true") == 0;
	if (policy_applicant_parse(PQgetvalue(res, 0, 5), &a.applicant) != 0 ||
	    policy_procedure_parse(procedure, &a.procedure) != 0)
		abort();	/* the schema's CHECKs allow nothing else */
	if (a.procedure == POLICY_PIN_RESET) {
		api_problem(resp, 409, "wrong-procedure", "Conflict", "R16a", NULL,
		    "the application is a PIN reset: it issues no certificate (POST "
		    "/v1/pin-resets authorizes the reset)");
		goto out;
	}
	/*
	 * The type before the state: whether a type was applied for never
	 * changes, the state does. A type not in the application is
	 * type-not-applied in every state (after the application completed
	 * too), not a wrong-state that suggests it was merely too late.
	 */
	if (strstr(types, tname) == NULL) {
		api_problem(resp, 409, "type-not-applied", "Conflict", NULL,
		    json_pack("{s:s}", "type", "not in this application"),
		    "the application is for %s", types);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 10), "ready") != 0) {
		const char *st = PQgetvalue(res, 0, 10);

		api_problem(resp, 409, "wrong-state", "Conflict",
		    strcmp(st, "awaiting_inquiry") == 0 ? "R13" : NULL, NULL,
		    "the application is %s%s", st, strcmp(st, "awaiting_inquiry") == 0 ?
		    ": the inquiry answer comes first (R13)" : "");
		goto out;
	}
	if (strstr(issued, tname) != NULL) {
		api_problem(resp, 409, "already-issued", "Conflict", "R9",
		    json_pack("{s:s}", "type", "already issued for this application"),
		    "a %s certificate was already issued for this application", tname);
		goto out;
	}
	/* R7: when both are issued together AUTH comes first and caps SIGN. */
	if (is->type == POLICY_SIGN && strstr(types, "auth") != NULL &&
	    strstr(issued, "auth") == NULL) {
		api_problem(resp, 409, "auth-first", "Conflict", "R7",
		    json_pack("{s:s}", "type", "issue auth first"),
		    "R7: this application issues both types; the AUTH certificate comes first");
		goto out;
	}
	PQclear(res);
	res = NULL;
	if ((o = issue_in_tx(c, is, &a, NULL, err)) == NULL)
		goto out;
	api_json(resp, 201, o);
	if (idem_finish(c, req, resp, err) != 0)
		goto out;
	log_kv(LOG_LVL_INFO, "certificate issued", "request_id", req->request_id,
	    "type", tname, "serial", is->serial_hex, (char *)NULL);
	rc = 0;
out:
	PQclear(res);
	return rc;
}

json_t *
issue_in_tx(struct store_conn *c, struct issue *is, const struct issue_app *a,
    struct counter_facts *given, struct store_err *err)
{
	struct api_req *req = is->req;
	struct api_resp *resp = is->resp;
	struct app *app = req->app;
	struct counter_facts own, *fp = given != NULL ? given : &own;
	struct policy_plan plan;
	struct policy_refusal r;
	struct profile_req pr;
	PGresult *x = NULL;
	const char *tname = policy_type_name(is->type), *v[14];
	int l[14], fm[14], lint_failed = 0;
	char cn[64], crlurl[512], ocsp_url[512], ca_url[512], nowbuf[24], nb[24], na[24],
	    msg[512], nabuf[24];
	unsigned char *der = NULL;
	size_t derlen = 0;
	char *cert_pem = NULL, *chain_pem = NULL;
	X509 *issuer;
	json_t *superseded = NULL, *o = NULL;
	char *detail = NULL, actor[160];
	struct keypair *kp;
	int i;

	memset(&own, 0, sizeof(own));
	snprintf(is->resident_code, sizeof(is->resident_code), "%s", a->resident);
	/* The rules again, now (time has passed since the application). */
	if (given == NULL && counter_load(c, req, a->resident, a->card != NULL && a->card[0] ?
	    a->card : NULL, COUNTER_LOCK, is->now, &own, resp, err) != 0) {
		is->scope_denied = own.scope_denied;
		goto out;
	}
	memset(&plan, 0, sizeof(plan));
	if (policy_plan(&fp->ctx, is->type, a->procedure, 0, &plan) != 0 || !plan.eligible) {
		counter_refuse(req, resp, &plan.refusal);
		goto out;
	}
	if (policy_r13_applicant(a->applicant, &fp->resident, is->now, plan.supersedes,
	    a->delegation, &r) != 0) {
		counter_refuse(req, resp, &r);
		goto out;
	}
	if (key_unused(c, is, a->resident, resp, err) != 0)
		goto out;
	if (subject_cn(c, is, cn, sizeof(cn), err) != 0)
		goto out;

	/* Build, lint, sign (ca/profile.c). */
	crl_url(app, tname, fp->resident.municipality_code, crlurl, sizeof(crlurl));
	snprintf(ocsp_url, sizeof(ocsp_url), "%s/ocsp", app->issuance.status_url);
	snprintf(ca_url, sizeof(ca_url), "%s/ca/%s.crt", app->issuance.status_url, tname);
	memset(&pr, 0, sizeof(pr));
	pr.type = is->type == POLICY_SIGN ? PROFILE_SIGN : PROFILE_AUTH;
	pr.serial = is->serial;
	pr.serial_len = is->serial_len;
	pr.not_before = plan.not_before;
	pr.not_after = plan.not_after;
	pr.subject_key = is->key;
	pr.subject_cn = cn;
	pr.prefecture = fp->prefecture;
	pr.municipality = fp->municipality_name;
	if (is->type == POLICY_SIGN) {
		pr.name = plan.names.name;	/* R20/R25, as policy_plan checked them */
		pr.name_map = plan.names.name_map;
		pr.sex = plan.names.sex;
		pr.birth = plan.names.birth;
		pr.address = plan.names.address;
		pr.address_map = plan.names.address_map;
	}
	pr.policy_oid = is->type == POLICY_SIGN ? app->issuance.sign_policy_oid :
	    app->issuance.auth_policy_oid;
	pr.crl_url = crlurl;
	pr.ocsp_url = ocsp_url;
	pr.ca_issuers_url = ca_url;
	pthread_rwlock_rdlock(&app->keys_lock);
	kp = is->type == POLICY_SIGN ? &app->keys->sign_ca : &app->keys->auth_ca;
	issuer = kp->cert;
	X509_up_ref(issuer);
	pr.issuer = issuer;
	i = profile_issue(&pr, kp->key, app->lint_key, &der, &derlen, &lint_failed, msg,
	    sizeof(msg));
	pthread_rwlock_unlock(&app->keys_lock);
	if (i != 0) {
		log_kv(LOG_LVL_ERR, lint_failed ? "lint refused the certificate" :
		    "certificate signing failed", "request_id", req->request_id,
		    "serial", is->serial_hex, "error", msg, (char *)NULL);
		api_problem(resp, 500, lint_failed ? "lint-failed" : "signing-failed",
		    "Internal Server Error", NULL, NULL, "%s", lint_failed ?
		    "the certificate failed our pre-issuance lints; nothing was issued" :
		    "the CA could not sign; nothing was issued");
		X509_free(issuer);
		goto out;
	}
	chain_pem = pem_of(issuer);
	X509_free(issuer);
	if ((cert_pem = der_pem(der, derlen)) == NULL || chain_pem == NULL)
		abort();	/* out of memory */

	/*
	 * One statement (Q_CERT_RECORD): R8 an expired predecessor leaves the
	 * R9 index, R9 a valid one is revoked as superseded, the certificate,
	 * the application's update and the audit row.
	 */
	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)is->now);
	snprintf(nb, sizeof(nb), "%lld", (long long)plan.not_before);
	snprintf(na, sizeof(na), "%lld", (long long)plan.not_after);
	counter_rfc3339(plan.not_after, nabuf, sizeof(nabuf));
	detail = audit_detail_json(req, json_pack("{s:s, s:s, s:s, s:s, s:s}", "application", is->id,
	    "type", tname, "serial", is->serial_hex, "not_after", nabuf,
	    "renewal", policy_renewal_name(plan.renewal)));
	memset(l, 0, sizeof(l));
	memset(fm, 0, sizeof(fm));
	v[0] = tname;
	v[1] = (const char *)is->serial;
	l[1] = (int)is->serial_len;
	fm[1] = 1;
	v[2] = a->resident;
	v[3] = fp->card.card_number;
	v[4] = cn;
	v[5] = nb;
	v[6] = na;
	v[7] = fp->resident.municipality_code;
	v[8] = (const char *)der;
	l[8] = (int)derlen;
	fm[8] = 1;
	v[9] = is->id;
	v[10] = nowbuf;
	v[11] = (const char *)is->key_fp;
	l[11] = POLICY_KEY_FP_LEN;
	fm[11] = 1;
	v[12] = api_principal_id(req, actor, sizeof(actor));
	v[13] = detail;
	if ((x = store_exec(c, Q_CERT_RECORD, 14, v, l, fm, err)) == NULL)
		goto out;
	if (PQntuples(x) != 1 || (superseded = json_loads(PQgetvalue(x, 0, 0), 0, NULL)) == NULL) {
		/* cannot happen: the application is locked, the audit row has no constraint */
		snprintf(err->message, sizeof(err->message), "cert_record: no row");
		err->status = STORE_ERROR;
		PQclear(x);
		goto out;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:{s:s, s:s}}",
	    "serial", is->serial_hex, "type", tname, "subject", cn,
	    "certificate", cert_pem, "chain", chain_pem,
	    "not_before", counter_rfc3339(plan.not_before, nb, sizeof(nb)),
	    "not_after", nabuf,
	    "renewal", policy_renewal_name(plan.renewal), "superseded", superseded,
	    "application", "id", is->id, "state", PQgetvalue(x, 0, 1));
	PQclear(x);
	json_object_set_new(o, "capped_by", plan.capped_by != NULL ?
	    json_string(plan.capped_by) : json_null());
out:
	counter_facts_free(&own);
	json_decref(superseded);
	OPENSSL_free(der);
	free(cert_pem);
	free(chain_pem);
	free(detail);
	return o;
}

int
issue_parse_csr(struct issue *is, const char *csr, json_t *fields, const char *name)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	const char *rule = NULL;
	char msg[256];
	int rc = 0;

	if (csr == NULL || (der = malloc(CSR_MAX)) == NULL ||
	    b64_decode(csr, der, CSR_MAX, &derlen) != 0) {
		json_object_set_new(fields, name, json_string("base64 of a DER PKCS#10 request"));
		rc = 1;
	} else if (csr_parse(der, derlen, &is->key, &rule, msg, sizeof(msg)) != 0) {
		json_object_set_new(fields, name, json_string(msg));
		rc = 1;
		if (rule != NULL) {
			/* with every field message found so far, as the caller's 422 would */
			api_problem(is->resp, 422, "csr-key", "Refused by rule", rule,
			    json_deep_copy(fields), "%s: %s", rule, msg);	/* steals the copy */
			is->resp->rule = rule;
			rc = -1;
		}
	} else if (policy_key_fingerprint(is->key, is->key_fp) != 0) {
		api_problem(is->resp, 500, "internal", "Internal Server Error", NULL, NULL,
		    "the key fingerprint could not be computed");
		rc = -1;
	}
	free(der);
	return rc;
}

void
issue_free(struct issue *is)
{
	EVP_PKEY_free(is->key);
	is->key = NULL;
}

void
api_certificate_issue(struct api_req *req, struct api_resp *resp)
{
	struct issue is;
	struct store_err err;
	json_t *body, *fields, *v;
	const char *key;

	if (!app_id_ok(req->params[0])) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such application");
		return;
	}
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&is, 0, sizeof(is));
	is.req = req;
	is.resp = resp;
	is.id = req->params[0];
	fields = json_object();
	json_object_foreach(body, key, v)
		if (strcmp(key, "type") != 0 && strcmp(key, "csr") != 0)
			json_object_set_new(fields, key, json_string("unknown field"));
	if (json_string_value(json_object_get(body, "type")) == NULL ||
	    policy_type_parse(json_string_value(json_object_get(body, "type")), &is.type) != 0)
		json_object_set_new(fields, "type", json_string("sign or auth"));
	if (issue_parse_csr(&is, json_string_value(json_object_get(body, "csr")), fields,
	    "csr") < 0)
		goto out;
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the request has invalid fields");	/* steals fields */
		fields = NULL;
		goto out;
	}
	json_decref(fields);
	fields = NULL;
	is.now = clock_now();
	memset(&err, 0, sizeof(err));
	if (issue_serial_take(&is, &err) != 0) {
		api_db_unavailable(req, resp, &err);
		goto out;
	}
	app_run_tx(req, resp, issue_tx, &is, is.resident_code, &is.scope_denied);
	if (is.foreign_municipality[0] != '\0' && resp->status == 404) {
		char object[64];

		log_kv(LOG_LVL_WARN, "R1: terminal asked to issue on another municipality's "
		    "application", "request_id", req->request_id, "rule", "R1", (char *)NULL);
		snprintf(object, sizeof(object), "application:%s", is.id);
		audit_write_now(req->app, req, "certificate.issue_refused", object,
		    json_pack("{s:s, s:s, s:s, s:s}", "rule", "R1", "type",
		    policy_type_name(is.type), "terminal_municipality",
		    req->principal.municipality_code, "application_municipality",
		    is.foreign_municipality));
	}
out:
	json_decref(fields);
	json_decref(body);
	issue_free(&is);
}
