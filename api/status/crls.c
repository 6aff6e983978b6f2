/*
 * crls: publication and routes (see crls.h).
 *
 * Revocations are read with COPY ... TO STDOUT (FORMAT binary) and added
 * to the builder row by row as they arrive: no result set of a million
 * rows is ever held, and parsing binary fields costs next to nothing (a
 * 1,000,000-entry shard: tests/bench/crl.sh). A DER above CRL_INLINE_MAX
 * (a 1,000,000-entry CRL is 55 MB) goes into crl_parts by COPY, in the same
 * transaction as its crls row (0015). Serving: api/status/crl_serve.c.
 */
#include <config.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "api/audit.h"
#include "api/counter/counter.h"
#include "api/status/crls.h"
#include "api/idem.h"
#include "api/status/rp.h"
#include "ca/crl.h"
#include "common/clock.h"
#include "common/log.h"

#define PG_EPOCH	946684800LL	/* 2000-01-01T00:00:00Z, PostgreSQL's timestamp zero */
#define CRL_JOB_ACTOR	"system:crl-publisher"
/* A DER longer than this goes into crl_parts (0015) in rows of CRL_PART octets. */
#define CRL_INLINE_MAX	(256 * 1024)
#define CRL_PART	8000

/* One shard to publish: a row of Q_CRL_TARGETS. */
struct target {
	char		 issuer[8], shard[8], prefecture[64], name[128];
	int		 publish_h, next_h;
	long long	 last_number;
	time_t		 last_this;
};

int
crls_issuer_ok(const char *s)
{
	return strcmp(s, "sign") == 0 || strcmp(s, "auth") == 0;
}

int
crls_code_ok(const char *s)
{
	int i;

	for (i = 0; i < 6; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return s[6] == '\0';
}

void
crl_url(const struct app *app, const char *issuer, const char *shard, char *buf, size_t len)
{
	snprintf(buf, len, "%s/crl/%s/%s.crl", app->issuance.status_url, issuer, shard);
}

static int64_t
be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static int32_t
be32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* PostgreSQL binary timestamptz (microseconds since 2000) -> Unix seconds, floored. */
static time_t
pg_time(int64_t us)
{
	int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);

	return (time_t)(s + PG_EPOCH);
}

/*
 * Parse the tuples in one COPY BINARY chunk (the file header, when present,
 * first) and add them to b. 1 at the trailer, 0 to go on, -1 on bad data.
 */
static int
copy_chunk(const unsigned char *p, size_t n, struct crl_builder *b, char *msg, size_t msglen)
{
	static const unsigned char sig[11] = "PGCOPY\n\377\r\n";
	struct crl_entry e;
	char reason[32];
	size_t o = 0;
	int32_t len;
	int16_t nf;

	if (n >= 19 && memcmp(p, sig, 11) == 0) {
		o = 19 + (size_t)be32(p + 15);	/* flags, header extension length */
		if (o > n)
			goto bad;
	}
	while (o + 2 <= n) {
		nf = (int16_t)(p[o] << 8 | p[o + 1]);
		o += 2;
		if (nf == -1)
			return 1;
		if (nf != 4)
			goto bad;
		memset(&e, 0, sizeof(e));
		/* serial bytea */
		if (o + 4 > n || (len = be32(p + o)) < 1 || o + 4 + (size_t)len > n)
			goto bad;
		e.serial = p + o + 4;
		e.serial_len = (size_t)len;
		o += 4 + (size_t)len;
		/* revoked_at timestamptz */
		if (o + 12 > n || be32(p + o) != 8)
			goto bad;
		e.revoked_at = pg_time(be64(p + o + 4));
		o += 12;
		/* reason text */
		if (o + 4 > n || (len = be32(p + o)) < 1 || (size_t)len >= sizeof(reason) ||
		    o + 4 + (size_t)len > n)
			goto bad;
		memcpy(reason, p + o + 4, (size_t)len);
		reason[len] = '\0';
		o += 4 + (size_t)len;
		if ((e.reason = crl_reason_code(reason)) < 0) {
			snprintf(msg, msglen, "R26: reason %s is not used", reason);
			return -1;
		}
		/* invalidity_date timestamptz or NULL */
		if (o + 4 > n)
			goto bad;
		if ((len = be32(p + o)) == -1)
			o += 4;
		else if (len == 8 && o + 12 <= n) {
			e.has_invalidity = 1;
			e.invalidity = pg_time(be64(p + o + 4));
			o += 12;
		} else
			goto bad;
		if (crl_builder_add(b, &e) != 0) {
			snprintf(msg, msglen, "entry refused (serial length %zu)", e.serial_len);
			return -1;
		}
	}
	if (o == n)
		return 0;
bad:
	snprintf(msg, msglen, "unexpected COPY data");
	return -1;
}

/*
 * Add the shard's revocations to b. RFC 5280 5.1.2.6 lets an entry go once
 * the certificate has expired; we drop entries whose certificate's
 * notAfter is not after thisUpdate (R6/R7 ends them; an expired
 * certificate is invalid without a CRL), which keeps shards from growing
 * without end. Runs in the caller's transaction.
 */
static int
fetch_entries(struct store_conn *c, const struct target *t, time_t this_update,
    struct crl_builder *b, char *msg, size_t msglen, struct store_err *err)
{
	PGconn *pg = store_pgconn(c);
	PGresult *res;
	char sql[512], *buf = NULL;
	int n, done = 0, bad = 0, ok = 1;

	/* issuer and shard were checked (issuer_ok, code_ok): safe to interpolate. */
	if (!crls_issuer_ok(t->issuer) || !crls_code_ok(t->shard))
		abort();
	snprintf(sql, sizeof(sql),
	    "COPY (SELECT serial, revoked_at, reason, invalidity_date FROM revocations"
	    " WHERE issuer = '%s' AND crl_shard = '%s' AND not_after > to_timestamp(%lld))"
	    " TO STDOUT (FORMAT binary)", t->issuer, t->shard, (long long)this_update);
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		store_classify(pg, res, err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	while ((n = PQgetCopyData(pg, &buf, 0)) > 0) {
		if (!done && !bad) {
			int r = copy_chunk((unsigned char *)buf, (size_t)n, b, msg, msglen);

			if (r == 1)
				done = 1;
			else if (r < 0)
				bad = 1;	/* drain the rest, then fail */
		}
		PQfreemem(buf);
	}
	while ((res = PQgetResult(pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
			store_classify(pg, res, err);
			ok = 0;
		}
		PQclear(res);
	}
	if (n == -2 && ok) {
		store_classify(pg, NULL, err);
		ok = 0;
	}
	if (!ok)
		return -1;
	if (bad || !done) {
		err->status = STORE_ERROR;
		err->sqlstate[0] = '\0';
		snprintf(err->message, sizeof(err->message), "%s",
		    bad ? msg : "COPY ended without its trailer");
		return -1;
	}
	return 0;
}

static unsigned char *
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

/*
 * The DER of a large CRL into crl_parts (0015), CRL_PART octets a row, by
 * COPY FROM STDIN (FORMAT binary): no TOAST chunking, about half the time of
 * one 55 MB bytea (tests/bench/crl.sh). Runs in the caller's transaction,
 * after the crls row the parts refer to.
 */
static int
parts_copy(struct store_conn *c, const struct target *t, long long number,
    const unsigned char *der, size_t len, struct store_err *err)
{
	static const unsigned char head[19] = {	/* signature, flags, extension length */
		'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
	};
	static const unsigned char trailer[2] = { 0xff, 0xff };
	PGconn *pg = store_pgconn(c);
	PGresult *res;
	unsigned char row[64], *q;
	size_t il = strlen(t->issuer), o, k;
	uint32_t seq = 0;
	int ok = 1;

	res = PQexec(pg, "COPY crl_parts (issuer, shard, number, seq, bytes) FROM STDIN"
	    " (FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		store_classify(pg, res, err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	ok = PQputCopyData(pg, (const char *)head, sizeof(head)) == 1;
	for (o = 0; ok && o < len; o += k, seq++) {
		k = len - o < CRL_PART ? len - o : CRL_PART;
		q = row;
		*q++ = 0;
		*q++ = 5;	/* fields */
		q = put_be32(q, (uint32_t)il);
		memcpy(q, t->issuer, il);
		q += il;
		q = put_be32(q, 6);
		memcpy(q, t->shard, 6);
		q += 6;
		q = put_be32(q, 8);
		q = put_be32(q, (uint32_t)((unsigned long long)number >> 32));
		q = put_be32(q, (uint32_t)number);
		q = put_be32(q, 4);
		q = put_be32(q, seq);
		q = put_be32(q, (uint32_t)k);
		ok = PQputCopyData(pg, (const char *)row, (int)(q - row)) == 1 &&
		    PQputCopyData(pg, (const char *)der + o, (int)k) == 1;
	}
	if (ok)
		ok = PQputCopyData(pg, (const char *)trailer, sizeof(trailer)) == 1;
	if (PQputCopyEnd(pg, ok ? NULL : "jpkid: sending the CRL parts failed") != 1)
		ok = 0;
	while ((res = PQgetResult(pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
			store_classify(pg, res, err);
			ok = -1;
		}
		PQclear(res);
	}
	if (ok == 0)
		store_classify(pg, NULL, err);
	return ok == 1 ? 0 : -1;
}

/* The shards to publish (Q_CRL_TARGETS) into a malloc'd array. */
static int
targets_load(struct store_conn *c, struct app *app, time_t now, const char *issuer,
    const char *muni, int force, struct target **out, int *count, struct store_err *err)
{
	char nowbuf[24], ph[16], nh[16];
	const char *v[6];
	PGresult *res;
	struct target *t;
	int i, n;

	snprintf(nowbuf, sizeof(nowbuf), "%lld", (long long)now);
	snprintf(ph, sizeof(ph), "%d", app->status.crl_publish_hours);
	snprintf(nh, sizeof(nh), "%d", app->status.crl_next_update_hours);
	v[0] = nowbuf;
	v[1] = ph;
	v[2] = nh;
	v[3] = issuer;
	v[4] = muni;
	v[5] = force ? "true" : "false";
	if ((res = store_exec(c, Q_CRL_TARGETS, 6, v, NULL, NULL, err)) == NULL)
		return -1;
	n = PQntuples(res);
	if ((t = calloc((size_t)n + 1, sizeof(*t))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		snprintf(t[i].issuer, sizeof(t[i].issuer), "%s", PQgetvalue(res, i, 0));
		snprintf(t[i].shard, sizeof(t[i].shard), "%s", PQgetvalue(res, i, 1));
		snprintf(t[i].prefecture, sizeof(t[i].prefecture), "%s", PQgetvalue(res, i, 2));
		snprintf(t[i].name, sizeof(t[i].name), "%s", PQgetvalue(res, i, 3));
		t[i].publish_h = atoi(PQgetvalue(res, i, 4));
		t[i].next_h = atoi(PQgetvalue(res, i, 5));
		t[i].last_number = strtoll(PQgetvalue(res, i, 6), NULL, 10);
		t[i].last_this = (time_t)strtoll(PQgetvalue(res, i, 7), NULL, 10);
	}
	PQclear(res);
	*out = t;
	*count = n;
	return 0;
}

/* The JSON of a published CRL (POST /v1/crls/publish, GET /v1/crls, audit); size_bytes is the DER's length. */
static json_t *
crl_json(const struct app *app, const char *issuer, const char *shard, long long number,
    const char *this_update, const char *next_update, long long entries, long long size_bytes)
{
	char url[512];

	crl_url(app, issuer, shard, url, sizeof(url));
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s}", "issuer", issuer,
	    "municipality_code", shard, "number", (json_int_t)number,
	    "this_update", this_update, "next_update", next_update,
	    "entries", (json_int_t)entries, "size_bytes", (json_int_t)size_bytes, "url", url);
}

/*
 * Publish one shard inside the caller's transaction: number = last + 1,
 * thisUpdate = now, never later, even when the clock went back since the
 * last one (R26, crl_next_times: a warning, and the number still goes up;
 * crls_monotonic insists on the number only), read,
 * build, sign, INSERT. On 0, *out is the CRL's JSON. -1 with err (a
 * signing failure is STORE_ERROR with its message).
 */
static int
publish_one(struct store_conn *c, struct app *app, const struct target *t, time_t now,
    json_t **out, struct store_err *err)
{
	struct crl_params p;
	struct crl_builder *b = NULL;
	struct keypair *kp;
	X509 *cert = NULL;
	const unsigned char *der;
	size_t derlen;
	char url[512], msg[256] = "", num[24], tu[24], nu[24], cnt[24], tus[24], nus[24];
	char dlen[24];
	const char *v[8];
	int l[8] = { 0 }, f[8] = { 0 }, rc = -1, same, parts;
	time_t back;
	uint64_t t0 = clock_mono_us(), t1, t2, t3;
	PGresult *res;

	memset(&p, 0, sizeof(p));
	p.type = strcmp(t->issuer, "sign") == 0 ? PROFILE_SIGN : PROFILE_AUTH;
	p.number = t->last_number + 1;
	if (crl_next_times(now, t->last_this, t->next_h, &p.this_update, &p.next_update,
	    &back) != 0) {
		snprintf(msg, sizeof(msg), "next_update_hours %d", t->next_h);
		goto fail;
	}
	if (back > 0) {
		/* R26: the clock went back (an NTP step): publish at now all the same. */
		char step[24], last[24];

		snprintf(step, sizeof(step), "%lld", (long long)back);
		log_kv(LOG_LVL_WARN, "clock went back: CRL thisUpdate earlier than the last one",
		    "issuer", t->issuer, "shard", t->shard, "step_s", step,
		    "last_this_update", counter_rfc3339(t->last_this, last, sizeof(last)),
		    (char *)NULL);
	}
	crl_url(app, t->issuer, t->shard, url, sizeof(url));
	p.prefecture = t->prefecture;
	p.municipality = t->name;
	p.crl_url = url;
	pthread_rwlock_rdlock(&app->keys_lock);
	kp = p.type == PROFILE_SIGN ? &app->keys->sign_ca : &app->keys->auth_ca;
	cert = kp->cert;
	X509_up_ref(cert);
	pthread_rwlock_unlock(&app->keys_lock);
	p.issuer = cert;
	if ((b = crl_builder_new(&p, msg, sizeof(msg))) == NULL)
		goto fail;
	if (fetch_entries(c, t, p.this_update, b, msg, sizeof(msg), err) != 0)
		goto out;
	t1 = clock_mono_us();
	/* Sign with the key of the certificate the CRL names (a SIGHUP may have swapped it). */
	pthread_rwlock_rdlock(&app->keys_lock);
	kp = p.type == PROFILE_SIGN ? &app->keys->sign_ca : &app->keys->auth_ca;
	same = X509_cmp(kp->cert, cert) == 0;
	if (same)
		rc = crl_builder_finish(b, kp->key, &der, &derlen, msg, sizeof(msg));
	pthread_rwlock_unlock(&app->keys_lock);
	if (!same) {
		snprintf(msg, sizeof(msg), "the CA certificate changed during publication");
		goto fail;
	}
	if (rc != 0)
		goto fail;
	rc = -1;
	t2 = clock_mono_us();
	snprintf(num, sizeof(num), "%lld", p.number);
	snprintf(tu, sizeof(tu), "%lld", (long long)p.this_update);
	snprintf(nu, sizeof(nu), "%lld", (long long)p.next_update);
	snprintf(cnt, sizeof(cnt), "%zu", crl_builder_count(b));
	v[0] = t->issuer;
	v[1] = t->shard;
	v[2] = num;
	v[3] = tu;
	v[4] = nu;
	v[5] = cnt;
	snprintf(dlen, sizeof(dlen), "%zu", derlen);
	parts = derlen > CRL_INLINE_MAX;
	v[6] = parts ? NULL : (const char *)der;
	l[6] = parts ? 0 : (int)derlen;
	f[6] = 1;
	v[7] = parts ? dlen : NULL;
	if ((res = store_exec(c, Q_CRL_INSERT, 8, v, l, f, err)) == NULL)
		goto out;
	PQclear(res);
	if (parts && parts_copy(c, t, p.number, der, derlen, err) != 0)
		goto out;
	t3 = clock_mono_us();
	{
		char ms_fetch[32], ms_sign[32], ms_insert[32], bytes[24];

		snprintf(ms_fetch, sizeof(ms_fetch), "%.1f", (double)(t1 - t0) / 1000.0);
		snprintf(ms_sign, sizeof(ms_sign), "%.1f", (double)(t2 - t1) / 1000.0);
		snprintf(ms_insert, sizeof(ms_insert), "%.1f", (double)(t3 - t2) / 1000.0);
		snprintf(bytes, sizeof(bytes), "%zu", derlen);
		log_kv(LOG_LVL_INFO, "CRL built", "issuer", t->issuer, "shard", t->shard,
		    "number", num, "entries", cnt, "bytes", bytes, "fetch_build_ms", ms_fetch,
		    "sign_ms", ms_sign, "insert_ms", ms_insert, (char *)NULL);
	}
	*out = crl_json(app, t->issuer, t->shard, p.number,
	    counter_rfc3339(p.this_update, tus, sizeof(tus)),
	    counter_rfc3339(p.next_update, nus, sizeof(nus)), (long long)crl_builder_count(b),
	    (long long)derlen);
	rc = 0;
	goto out;
fail:
	err->status = STORE_ERROR;
	err->sqlstate[0] = '\0';
	snprintf(err->message, sizeof(err->message), "%s", msg);
out:
	if (rc != 0)
		log_kv(LOG_LVL_ERR, "CRL publication failed", "issuer", t->issuer,
		    "shard", t->shard, "status", store_status_name(err->status),
		    "sqlstate", err->sqlstate, "error", err->message[0] ? err->message : "-",
		    (char *)NULL);
	crl_builder_free(b);
	X509_free(cert);
	return rc;
}

/* The advisory lock on c: 1 obtained, 0 held elsewhere, -1 database failure. */
static int
lock_try(struct store_conn *c, struct store_err *err)
{
	const char *v[1] = { CRL_LOCK_KEY };
	PGresult *res;
	int got;

	if ((res = store_exec(c, Q_CRL_TRY_LOCK, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	got = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return got;
}

static void
lock_release(struct store_conn *c)
{
	const char *v[1] = { CRL_LOCK_KEY };
	struct store_err err;
	PGresult *res;

	/* On failure the session (and with it the lock) is gone or goes with the reconnect. */
	if ((res = store_exec(c, Q_CRL_UNLOCK, 1, v, NULL, NULL, &err)) != NULL)
		PQclear(res);
}

/* One job publication: the CRL and its audit row in one transaction. */
static int
job_one(struct store_conn *c, struct app *app, const struct target *t, time_t now,
    struct store_err *err)
{
	json_t *o = NULL;
	const char *v[4];
	char object[32], *js;
	PGresult *res;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (store_begin(c, err) != 0)
			return -1;
		if (publish_one(c, app, t, now, &o, err) == 0) {
			js = json_dumps(o, JSON_COMPACT);
			json_decref(o);
			if (js == NULL)
				abort();
			snprintf(object, sizeof(object), "crl:%s:%s", t->issuer, t->shard);
			v[0] = CRL_JOB_ACTOR;
			v[1] = "crl.publish";
			v[2] = object;
			v[3] = js;
			res = store_exec(c, Q_AUDIT_INSERT, 4, v, NULL, NULL, err);
			free(js);
			if (res != NULL) {
				PQclear(res);
				if (store_commit(c, err) == 0)
					return 0;
				if (err->status == STORE_RETRY)
					continue;
				return -1;
			}
		}
		store_rollback(c);
		if (err->status != STORE_RETRY)
			return -1;
	}
	return -1;
}

int
crl_publish_due(struct app *app, time_t now, long *published)
{
	struct store_conn *c;
	struct store_err err;
	struct target *t = NULL;
	int n = 0, i, rc = -1;

	*published = 0;
	memset(&err, 0, sizeof(err));
	if ((c = store_borrow(app->store, app->borrow_timeout_ms, &err)) == NULL)
		return -1;
	switch (lock_try(c, &err)) {
	case 1:
		break;
	case 0:
		store_release(c);
		return 0;	/* another instance (or an operator's POST) publishes */
	default:
		store_release(c);
		return -1;
	}
	if (targets_load(c, app, now, NULL, NULL, 0, &t, &n, &err) != 0)
		goto out;
	rc = 0;
	for (i = 0; i < n; i++) {
		if (job_one(c, app, &t[i], now, &err) != 0) {
			rc = -1;
			if (err.status == STORE_CONN)
				break;	/* the session and its lock are gone */
			continue;
		}
		(*published)++;
	}
out:
	free(t);
	lock_release(c);
	store_release(c);
	return rc;
}

/* ---------------------------------------------------------------- POST /v1/crls/publish */

struct pub {
	struct api_req	*req;
	struct api_resp	*resp;
	time_t		 now;
	const char	*issuer, *muni;		/* filters, NULL: all */
	int		 failed_signing;
};

static int
pub_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct pub *pb = arg;
	struct api_req *req = pb->req;
	struct api_resp *resp = pb->resp;
	struct target *t = NULL;
	json_t *list = json_array(), *o;
	int n = 0, i, rc = -1;

	api_resp_free(resp);
	resp->status = 0;
	switch (idem_begin(c, req, NULL, resp, err)) {
	case IDEM_DBERR:
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		json_decref(list);
		return -1;
	default:
		break;
	}
	if (targets_load(c, req->app, pb->now, pb->issuer, pb->muni, 1, &t, &n, err) != 0)
		goto out;
	if (n == 0) {
		api_problem(resp, 404, "not-found", "Not Found", NULL,
		    json_pack("{s:s}", "municipality_code", "no such municipality"),
		    "no municipality %s", pb->muni != NULL ? pb->muni : "at all");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (publish_one(c, req->app, &t[i], pb->now, &o, err) != 0) {
			if (err->status == STORE_ERROR && err->sqlstate[0] == '\0') {
				/* ca/crl.c or the signer, not the database */
				api_problem(resp, 500, "signing-failed", "Internal Server Error",
				    NULL, NULL, "the CRL of %s %s could not be built or signed;"
				    " nothing was published", t[i].issuer, t[i].shard);
				err->status = STORE_OK;
			}
			goto out;
		}
		json_array_append_new(list, o);
	}
	if (audit_write(c, req, "crl.publish", pb->muni != NULL ? pb->muni : "crls",
	    json_pack("{s:O}", "published", list), err) != 0)
		goto out;
	api_json(resp, 200, json_pack("{s:O}", "published", list));
	if (idem_finish(c, req, resp, err) != 0)
		goto out;
	rc = 0;
out:
	free(t);
	json_decref(list);
	return rc;
}

/* Run pub_tx on c (which holds the lock), retrying serialization failures. */
static void
pub_run(struct store_conn *c, struct pub *pb)
{
	struct store_err err;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		memset(&err, 0, sizeof(err));
		if (store_begin(c, &err) != 0)
			break;
		if (pub_tx(c, pb, &err) != 0) {
			store_rollback(c);
			if (err.status == STORE_RETRY)
				continue;
			if (err.status == STORE_OK && pb->resp->status != 0)
				return;		/* a problem, or a replay */
			break;
		}
		if (store_commit(c, &err) == 0)
			return;
		if (err.status != STORE_RETRY)
			break;
	}
	api_db_unavailable(pb->req, pb->resp, &err);
}

void
api_crls_publish(struct api_req *req, struct api_resp *resp)
{
	struct pub pb;
	struct store_conn *c;
	struct store_err err;
	json_t *body = NULL, *fields, *v;
	const char *key;

	memset(&pb, 0, sizeof(pb));
	pb.req = req;
	pb.resp = resp;
	fields = json_object();
	if (req->body_len > 0) {
		json_error_t je;

		body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
		if (body == NULL || !json_is_object(body)) {
			json_decref(body);
			json_decref(fields);
			api_problem(resp, 400, "invalid-json", "Bad Request", NULL, NULL,
			    "the body must be a JSON object (%s)", body == NULL ? je.text :
			    "not an object");
			return;
		}
		json_object_foreach(body, key, v) {
			if (strcmp(key, "issuer") == 0) {
				if (!json_is_string(v) || !crls_issuer_ok(json_string_value(v)))
					json_object_set_new(fields, key, json_string("sign or auth"));
				else
					pb.issuer = json_string_value(v);
			} else if (strcmp(key, "municipality_code") == 0) {
				if (!json_is_string(v) || !crls_code_ok(json_string_value(v)))
					json_object_set_new(fields, key, json_string("6 digits"));
				else
					pb.muni = json_string_value(v);
			} else
				json_object_set_new(fields, key, json_string("unknown field"));
		}
	}
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the request has invalid fields");
		json_decref(body);
		return;
	}
	json_decref(fields);
	pb.now = clock_now();
	memset(&err, 0, sizeof(err));
	if ((c = store_borrow(req->app->store, req->app->borrow_timeout_ms, &err)) == NULL) {
		api_db_unavailable(req, resp, &err);
		goto out;
	}
	switch (lock_try(c, &err)) {
	case 1:
		pub_run(c, &pb);
		lock_release(c);
		break;
	case 0:
		api_problem(resp, 409, "publication-in-progress", "Conflict", NULL, NULL,
		    "a CRL publication is running (scheduled or another operator's); "
		    "the previous CRLs are served meanwhile");
		api_add_header(resp, "Retry-After", "5");
		break;
	default:
		api_db_unavailable(req, resp, &err);
		break;
	}
	store_release(c);
out:
	json_decref(body);
}

/* ---------------------------------------------------------------- GET /v1/crls */

void
api_crls_list(struct api_req *req, struct api_resp *resp)
{
	struct store_conn *c;
	struct store_err err;
	PGresult *res;
	json_t *list;
	int i;

	memset(&err, 0, sizeof(err));
	if ((c = store_borrow(req->app->store, req->app->borrow_timeout_ms, &err)) == NULL) {
		api_db_unavailable(req, resp, &err);
		return;
	}
	res = store_exec(c, Q_CRL_LIST, 0, NULL, NULL, NULL, &err);
	store_release(c);
	if (res == NULL) {
		api_db_unavailable(req, resp, &err);
		return;
	}
	list = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(list, crl_json(req->app, PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), strtoll(PQgetvalue(res, i, 2), NULL, 10),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		    strtoll(PQgetvalue(res, i, 5), NULL, 10),
		    strtoll(PQgetvalue(res, i, 6), NULL, 10)));
	PQclear(res);
	api_json(resp, 200, json_pack("{s:o}", "crls", list));
}
