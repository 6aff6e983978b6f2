/*
 * audit_verify: see audit_verify.h. Rows and checkpoints are read in
 * batches by keyset (chain_pos), so memory stays bounded however long the
 * log, and merged in chain order: a checkpoint is checked right after the
 * row at its position. The SQL is plain libpq rather than db/queries.c
 * because jpkictl runs it on a bare connection without the pool. ORDER BY
 * names the table's column (a.chain_pos): a bare name would sort by the
 * ::text output column of the same name.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/operators/audit_verify.h"

#define ROW_BATCH	"5000"
#define CP_BATCH	"1000"

/* at as microseconds since the epoch: extract(epoch) is numeric, so exact. */
#define AT_US(col)	"(extract(epoch FROM " col ") * 1000000)::bigint::text"

static const char q_start[] =
    "SELECT chain_pos::text FROM audit_log a WHERE a.seq >= $1::bigint AND a.chain_pos IS NOT NULL"
    " ORDER BY a.seq LIMIT 1";
static const char q_prev[] =
    "SELECT encode(sealed_hash, 'hex') FROM audit_log WHERE chain_pos = $1::bigint - 1";
static const char q_rows[] =
    "SELECT chain_pos::text, seq::text, " AT_US("at") ", actor, action, object, detail::text,"
    " encode(sealed_hash, 'hex') FROM audit_log a WHERE a.chain_pos >= $1::bigint"
    " ORDER BY a.chain_pos LIMIT " ROW_BATCH;
static const char q_cps[] =
    "SELECT chain_pos::text, seq::text, " AT_US("at") ", encode(hash, 'hex'),"
    " encode(signature, 'hex') FROM audit_checkpoints c WHERE c.chain_pos >= $1::bigint"
    " ORDER BY c.chain_pos LIMIT " CP_BATCH;
/* The sealer sets the two together; one without the other is tampering. */
static const char q_half[] =
    "SELECT min(seq)::text FROM audit_log WHERE (chain_pos IS NULL) <> (sealed_hash IS NULL)";
static const char q_unsealed[] =
    "SELECT count(*)::text FROM audit_log WHERE sealed_hash IS NULL";

struct walk {
	PGconn		*pg;
	char		*err;
	size_t		 errlen;
	PGresult	*cps;		/* current checkpoint batch */
	int		 cp_i;
	long long	 cp_next;	/* chain_pos to fetch the next batch from */
	int		 cp_done;
	unsigned char	 cp_hash[AUDITCHAIN_HASH_LEN];
	unsigned char	*cp_sig;
	struct auditchain_cp cp;
};

static PGresult *
q1(struct walk *w, const char *sql, const char *arg)
{
	const char *v[1] = { arg };
	PGresult *res = PQexecParams(w->pg, sql, arg != NULL ? 1 : 0, NULL, v, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(w->err, w->errlen, "database: %s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lower-case hex into out (cap bytes). Decoded length, or -1. */
static long
unhex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = strlen(s), i;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/*
 * The next checkpoint into w->cp. 1: there is one, 0: no more, -1:
 * database failure.
 */
static int
cp_peek(struct walk *w)
{
	char arg[24];
	const char *sig;
	long n;

	if (w->cps != NULL && w->cp_i < PQntuples(w->cps))
		goto have;
	PQclear(w->cps);
	w->cps = NULL;
	if (w->cp_done)
		return 0;
	snprintf(arg, sizeof(arg), "%lld", w->cp_next);
	if ((w->cps = q1(w, q_cps, arg)) == NULL)
		return -1;
	w->cp_i = 0;
	if (PQntuples(w->cps) < atoi(CP_BATCH))
		w->cp_done = 1;
	if (PQntuples(w->cps) == 0)
		return 0;
have:
	memset(&w->cp, 0, sizeof(w->cp));
	w->cp.chain_pos = strtoll(PQgetvalue(w->cps, w->cp_i, 0), NULL, 10);
	w->cp.seq = strtoll(PQgetvalue(w->cps, w->cp_i, 1), NULL, 10);
	w->cp.at_us = strtoll(PQgetvalue(w->cps, w->cp_i, 2), NULL, 10);
	if (unhex(PQgetvalue(w->cps, w->cp_i, 3), w->cp.hash, sizeof(w->cp.hash)) !=
	    AUDITCHAIN_HASH_LEN)
		memset(w->cp.hash, 0, sizeof(w->cp.hash));	/* cannot match: reported */
	sig = PQgetvalue(w->cps, w->cp_i, 4);
	free(w->cp_sig);
	if ((w->cp_sig = malloc(strlen(sig) / 2 + 1)) == NULL) {
		snprintf(w->err, w->errlen, "out of memory");
		return -1;
	}
	n = unhex(sig, w->cp_sig, strlen(sig) / 2 + 1);
	w->cp.sig = w->cp_sig;
	w->cp.siglen = n > 0 ? (size_t)n : 0;
	w->cp_next = w->cp.chain_pos + 1;
	return 1;
}

static void
cp_pop(struct walk *w)
{
	w->cp_i++;
}

/* Feed one batch of rows (and the checkpoints they reach). Rows in the batch, or -1. */
static int
rows_batch(struct walk *w, struct audit_verify_result *out, long long *from)
{
	struct auditchain_row r;
	unsigned char stored[AUDITCHAIN_HASH_LEN];
	char arg[24];
	PGresult *res;
	long long pos;
	long sl;
	int i, n, c;

	snprintf(arg, sizeof(arg), "%lld", *from);
	if ((res = q1(w, q_rows, arg)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n && !out->v.broken; i++) {
		c = 0;
		pos = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		r.seq = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		r.at_us = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		r.actor = PQgetvalue(res, i, 3);
		r.action = PQgetvalue(res, i, 4);
		r.object = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5);
		r.detail = PQgetvalue(res, i, 6);
		sl = PQgetisnull(res, i, 7) ? -1 : unhex(PQgetvalue(res, i, 7), stored, sizeof(stored));
		if (auditchain_verify_row(&out->v, pos, &r, sl < 0 ? NULL : stored,
		    sl < 0 ? 0 : (size_t)sl) == 0)
			out->sealed_through = r.seq;
		while (!out->v.broken && (c = cp_peek(w)) == 1 && w->cp.chain_pos <= pos) {
			auditchain_verify_cp(&out->v, &w->cp);
			cp_pop(w);
		}
		if (c < 0) {
			PQclear(res);
			return -1;
		}
		*from = pos + 1;
	}
	PQclear(res);
	return n;
}

static int
verify_tx(struct walk *w, EVP_PKEY *pub, long long from_seq, struct audit_verify_result *out)
{
	unsigned char prev[AUDITCHAIN_HASH_LEN];
	char arg[24];
	PGresult *res;
	long long start = 1;
	int n, c;

	auditchain_genesis(prev);
	if (from_seq >= 0) {
		snprintf(arg, sizeof(arg), "%lld", from_seq);
		if ((res = q1(w, q_start, arg)) == NULL)
			return -1;
		start = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -1;
		PQclear(res);
		if (start < 0) {	/* nothing sealed from there on */
			auditchain_verify_init(&out->v, prev, 1, pub);
			goto counts;
		}
		if (start > 1) {
			snprintf(arg, sizeof(arg), "%lld", start);
			if ((res = q1(w, q_prev, arg)) == NULL)
				return -1;
			if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) ||
			    unhex(PQgetvalue(res, 0, 0), prev, sizeof(prev)) != AUDITCHAIN_HASH_LEN) {
				PQclear(res);
				auditchain_verify_init(&out->v, prev, start, pub);
				out->v.broken = 1;
				out->v.first_bad_seq = from_seq;
				snprintf(out->v.reason, sizeof(out->v.reason), "the row before chain "
				    "position %lld is gone: cannot start there", start);
				return 0;
			}
			PQclear(res);
		}
	}
	auditchain_verify_init(&out->v, prev, start, pub);
	if ((res = q1(w, q_half, NULL)) == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 0)) {
		out->v.broken = 1;
		out->v.first_bad_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(out->v.reason, sizeof(out->v.reason), "row has only one of chain_pos "
		    "and sealed_hash (the sealer sets both)");
		PQclear(res);
		return 0;
	}
	PQclear(res);
	w->cp_next = start;
	do {
		if ((n = rows_batch(w, out, &start)) < 0)
			return -1;
	} while (n == atoi(ROW_BATCH) && !out->v.broken);
	/* Checkpoints past the last row name rows that are gone. */
	if (!out->v.broken) {
		if ((c = cp_peek(w)) < 0)
			return -1;
		if (c == 1)
			auditchain_verify_cp_orphan(&out->v, &w->cp);
	}
counts:
	if ((res = q1(w, q_unsealed, NULL)) == NULL)
		return -1;
	out->unsealed = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int
audit_verify_run(PGconn *pg, EVP_PKEY *pub, long long from_seq,
    struct audit_verify_result *out, char *err, size_t errlen)
{
	struct walk w;
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	out->sealed_through = -1;
	out->signatures = pub != NULL;
	w.pg = pg;
	w.err = err;
	w.errlen = errlen;
	/* One snapshot: the sealer may go on meanwhile without confusing the walk. */
	if ((res = q1(&w, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL)) == NULL)
		return -1;
	PQclear(res);
	rc = verify_tx(&w, pub, from_seq, out);
	PQclear(w.cps);
	free(w.cp_sig);
	PQclear(PQexec(pg, "ROLLBACK"));
	return rc;
}
