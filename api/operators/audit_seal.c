/*
 * audit_seal: the sealing job (declared in api.h, so that daemon/jobs.c
 * needs no other header).
 *
 * Rows are chained in the order the sealer reaches them (chain_pos), not
 * by seq: a long transaction may commit a row with a lower seq after
 * higher ones were sealed, and that row then joins the chain at its end
 * instead of breaking it (db/migrations/0006_audit_seal.sql).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "ca/auditchain.h"
#include "common/log.h"
#include "common/util.h"

#define MAX_BATCHES_PER_RUN	20

struct seal {
	struct app	*app;
	time_t		 now;
	int		 leader;	/* this instance got the lock */
	long		 sealed;	/* rows sealed by this transaction */
	/* checkpoint written by this transaction, journalled after COMMIT */
	int		 cp_written;
	long long	 cp_pos, cp_seq;
	char		 cp_hash[2 * AUDITCHAIN_HASH_LEN + 1];
};

/* A growing text buffer for the array literals of Q_AUDIT_SEAL_SET. */
struct buf {
	char	*s;
	size_t	 len, cap;
};

static int
buf_add(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 4096 : b->cap;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL)
			return -1;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
	return 0;
}

static int
hex32(const char *s, unsigned char out[AUDITCHAIN_HASH_LEN])
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * AUDITCHAIN_HASH_LEN)
		return -1;
	for (i = 0; i < AUDITCHAIN_HASH_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static void
set_err(struct store_err *err, const char *msg)
{
	memset(err, 0, sizeof(*err));
	err->status = STORE_ERROR;
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

/* The chain's head: position (0: empty chain), seq and hash. */
static int
chain_tip(struct store_conn *c, long long *pos, long long *seq,
    unsigned char h[AUDITCHAIN_HASH_LEN], struct store_err *err)
{
	PGresult *res;

	if ((res = store_exec(c, Q_AUDIT_SEAL_TIP, 0, NULL, NULL, NULL, err)) == NULL)
		return -1;
	*pos = 0;
	*seq = -1;
	auditchain_genesis(h);
	if (PQntuples(res) == 1) {
		*pos = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		*seq = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		if (hex32(PQgetvalue(res, 0, 2), h) != 0) {
			PQclear(res);
			set_err(err, "audit chain head has a malformed sealed_hash");
			return -1;
		}
	}
	PQclear(res);
	return 0;
}

/* Seal one batch. Rows sealed, or -1. */
static long
seal_batch(struct store_conn *c, struct store_err *err)
{
	unsigned char h[AUDITCHAIN_HASH_LEN];
	char num[32], hex[2 * AUDITCHAIN_HASH_LEN + 1], lim[16];
	const char *v[3];
	struct buf seqs = { 0 }, poss = { 0 }, hashes = { 0 };
	struct auditchain_row r;
	PGresult *res = NULL, *up;
	long long pos, tseq;
	long n = -1;
	int i, rows, ok = 1;

	if (chain_tip(c, &pos, &tseq, h, err) != 0)
		return -1;
	snprintf(lim, sizeof(lim), "%d", AUDIT_SEAL_BATCH);
	v[0] = lim;
	if ((res = store_exec(c, Q_AUDIT_SEAL_BATCH, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if ((rows = PQntuples(res)) == 0) {
		PQclear(res);
		return 0;
	}
	ok = buf_add(&seqs, "{") == 0 && buf_add(&poss, "{") == 0 && buf_add(&hashes, "{") == 0;
	for (i = 0; i < rows && ok; i++) {
		r.seq = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		r.at_us = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		r.actor = PQgetvalue(res, i, 2);
		r.action = PQgetvalue(res, i, 3);
		r.object = PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4);
		r.detail = PQgetvalue(res, i, 5);
		if (auditchain_step(h, &r, h) != 0) {
			ok = 0;
			break;
		}
		pos++;
		util_hex(h, sizeof(h), hex);
		ok = buf_add(&seqs, i ? "," : "") == 0 && buf_add(&seqs, PQgetvalue(res, i, 0)) == 0 &&
		    buf_add(&poss, i ? "," : "") == 0 &&
		    (snprintf(num, sizeof(num), "%lld", pos), buf_add(&poss, num)) == 0 &&
		    buf_add(&hashes, i ? "," : "") == 0 && buf_add(&hashes, hex) == 0;
	}
	ok = ok && buf_add(&seqs, "}") == 0 && buf_add(&poss, "}") == 0 && buf_add(&hashes, "}") == 0;
	if (!ok) {
		set_err(err, "out of memory while sealing");
		goto out;
	}
	v[0] = seqs.s;
	v[1] = poss.s;
	v[2] = hashes.s;
	if ((up = store_exec(c, Q_AUDIT_SEAL_SET, 3, v, NULL, NULL, err)) == NULL)
		goto out;
	/* Only this transaction seals (the lock), so every row must still be unsealed. */
	if (strtol(PQcmdTuples(up), NULL, 10) != rows) {
		PQclear(up);
		set_err(err, "audit rows changed while sealing");
		goto out;
	}
	PQclear(up);
	n = rows;
out:
	PQclear(res);
	free(seqs.s);
	free(poss.s);
	free(hashes.s);
	return n;
}

/*
 * A checkpoint of the chain's head when one is due: no checkpoint yet, or
 * the last one older than [audit] seal_interval, and rows sealed since.
 */
static int
checkpoint(struct store_conn *c, struct seal *s, struct store_err *err)
{
	struct app *app = s->app;
	unsigned char h[AUDITCHAIN_HASH_LEN], msg[AUDITCHAIN_CP_MSG_LEN], *sig = NULL;
	char hex[2 * AUDITCHAIN_HASH_LEN + 1], shex[2 * 32 + 1], p[24], q[24], t[24], *sighex;
	const char *v[6];
	size_t siglen = 0;
	long long pos, seq, last_pos = 0, at_us = (long long)s->now * 1000000;
	PGresult *res;
	int rc = -1, signed_ok;

	if ((res = store_exec(c, Q_AUDIT_CP_LAST, 0, NULL, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		long long last_at = strtoll(PQgetvalue(res, 0, 1), NULL, 10);

		last_pos = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		/*
		 * A last checkpoint "in the future" (another instance's clock
		 * ahead, a test clock) must not stop checkpoints until then.
		 */
		if (last_at <= at_us && at_us - last_at <
		    (long long)app->operators.audit_seal_interval_s * 1000000) {
			PQclear(res);
			return 0;
		}
	}
	PQclear(res);
	if (chain_tip(c, &pos, &seq, h, err) != 0)
		return -1;
	if (pos <= last_pos)
		return 0;	/* nothing new since the last checkpoint */
	auditchain_cp_message(pos, seq, at_us, h, msg);
	pthread_rwlock_rdlock(&app->keys_lock);
	signed_ok = app->keys->audit.key != NULL &&
	    signer_sign(app->keys->audit.key, EVP_sha256(), msg, sizeof(msg), &sig, &siglen) == 0;
	util_hex(app->keys->audit_sha256, 32, shex);
	pthread_rwlock_unlock(&app->keys_lock);
	if (!signed_ok) {
		/*
		 * An unreachable HSM must not stop the chain: seal anyway, and
		 * try the checkpoint again on the next run.
		 */
		log_kv(LOG_LVL_WARN, "audit checkpoint not written: the audit key cannot sign",
		    (char *)NULL);
		return 0;
	}
	if ((sighex = malloc(2 * siglen + 1)) == NULL) {
		OPENSSL_free(sig);
		set_err(err, "out of memory");
		return -1;
	}
	util_hex(sig, siglen, sighex);
	OPENSSL_free(sig);
	util_hex(h, sizeof(h), hex);
	snprintf(p, sizeof(p), "%lld", pos);
	snprintf(q, sizeof(q), "%lld", seq);
	snprintf(t, sizeof(t), "%lld", at_us);
	v[0] = p;
	v[1] = q;
	v[2] = hex;
	v[3] = t;
	v[4] = sighex;
	v[5] = shex;
	if ((res = store_exec(c, Q_AUDIT_CP_INSERT, 6, v, NULL, NULL, err)) != NULL) {
		PQclear(res);
		s->cp_written = 1;
		s->cp_pos = pos;
		s->cp_seq = seq;
		memcpy(s->cp_hash, hex, sizeof(hex));
		rc = 0;
	}
	free(sighex);
	return rc;
}

static int
seal_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct seal *s = arg;
	PGresult *res;
	long n;
	int has_key;

	s->sealed = 0;
	s->cp_written = 0;
	if ((res = store_exec(c, Q_AUDIT_SEAL_LOCK, 0, NULL, NULL, NULL, err)) == NULL)
		return -1;
	s->leader = strcmp(PQgetvalue(res, 0, 0), "true") == 0;
	PQclear(res);
	if (!s->leader)
		return 0;	/* another instance is sealing */
	if ((n = seal_batch(c, err)) < 0)
		return -1;
	s->sealed = n;
	pthread_rwlock_rdlock(&s->app->keys_lock);
	has_key = s->app->keys->audit.key != NULL;
	pthread_rwlock_unlock(&s->app->keys_lock);
	/* Without an [audit] key: still chain, no checkpoints. */
	if (has_key && n < AUDIT_SEAL_BATCH && checkpoint(c, s, err) != 0)
		return -1;
	return 0;
}

int
audit_seal_run(struct app *app, time_t now, long *sealed)
{
	struct seal s;
	struct store_err err;
	char num[24], pos[24];
	int i;

	*sealed = 0;
	memset(&s, 0, sizeof(s));
	s.app = app;
	s.now = now;
	for (i = 0; i < MAX_BATCHES_PER_RUN; i++) {
		memset(&err, 0, sizeof(err));
		if (store_tx(app->store, app->borrow_timeout_ms, 0, seal_tx, &s, &err) != 0) {
			log_kv(LOG_LVL_WARN, "audit sealing failed", "status",
			    store_status_name(err.status), "sqlstate", err.sqlstate,
			    "message", err.message, (char *)NULL);
			return -1;
		}
		*sealed += s.sealed;
		if (s.cp_written) {
			snprintf(num, sizeof(num), "%lld", s.cp_seq);
			snprintf(pos, sizeof(pos), "%lld", s.cp_pos);
			/* [audit] journal: a copy of every checkpoint outside the database. */
			if (app->operators.audit_journal)
				log_kv(LOG_LVL_INFO, "audit checkpoint", "seq", num, "chain_pos", pos,
				    "hash", s.cp_hash, (char *)NULL);
		}
		if (!s.leader || s.sealed < AUDIT_SEAL_BATCH)
			break;
	}
	return 0;
}
