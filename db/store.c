/*
 * store: a fixed pool of libpq connections (db/store.h has the contract).
 *
 * The pool is an array of slots guarded by one mutex and one condition
 * variable (CLOCK_MONOTONIC, so wall-clock steps do not stretch waits).
 * Connecting happens outside the mutex, in the borrowing thread, and is
 * lazy: store_open never touches the network, a slot connects on its first
 * borrow, and a broken slot reconnects on its next borrow.
 *
 * Prepared statements: every statement of queries[] is prepared right after
 * each (re)connect. A statement that fails to prepare for a reason other
 * than the connection (typically: the schema is not migrated yet, when
 * jpkid borrows a connection to run the migrations) is prepared again on
 * its first use, so a pool opened before migrating works after it.
 *
 * BEGIN is lazy (issue 15): store_begin only notes it, and it goes to the
 * server in one round trip with the transaction's first prepared statement
 * (libpq pipeline mode: BEGIN, the statement, one sync). A COMMIT of a
 * transaction that ran nothing sends nothing; a literal statement or
 * store_pgconn sends the BEGIN first, on its own.
 *
 * Connection strings are never logged; libpq's own connection error
 * messages name the host or socket, never the password.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "db/store.h"

/* Seconds; a connect_timeout in the conninfo overrides it. */
#define STORE_CONNECT_TIMEOUT	"3"
/* store_tx: retries after the first attempt. */
#define STORE_TX_RETRIES	3

struct store_conn {
	struct store	*st;
	PGconn		*pg;		/* NULL until the first connect */
	int		 in_use;	/* st->mtx */
	int		 healthy;	/* st->mtx; for store_get_stats only */
	int		 broken;	/* owner: reconnect at the next borrow */
	/* owner: store_begin's BEGIN, not sent yet: it goes with the first statement */
	const char	*begin_pending;
	unsigned char	 prepared[Q__COUNT];	/* owner */
};

struct store {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	char		*conninfo;
	int		 size;
	int		 stmt_timeout_ms;
	int		 down;		/* mtx: last connect failed (log once) */
	struct store_conn *conns;
	unsigned long long borrows;
	unsigned long long waits_timed_out;
	unsigned long long reconnects;
	long long	 disk_full_at;	/* atomic: time() of the last 53100, 0 if none */
};

static void
err_clear(struct store_err *err)
{
	memset(err, 0, sizeof(*err));
	err->status = STORE_OK;
}

static void
err_set(struct store_err *err, enum store_status status, const char *sqlstate,
    const char *msg)
{
	err_clear(err);
	err->status = status;
	if (sqlstate != NULL)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

/* Strip libpq's trailing newline(s) so the message fits one log line. */
static void
msg_trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static enum store_status
status_of_sqlstate(const char *s)
{
	if (!strcmp(s, "40001") || !strcmp(s, "40P01"))
		return STORE_RETRY;
	if (!strncmp(s, "08", 2) || !strcmp(s, "57P01") || !strcmp(s, "57P02") ||
	    !strcmp(s, "57P03"))
		return STORE_CONN;
	if (!strcmp(s, "23505"))
		return STORE_UNIQUE;
	if (!strncmp(s, "23", 2))
		return STORE_CONSTRAINT;
	if (!strncmp(s, "22", 2))
		return STORE_DATA;
	if (!strcmp(s, "57014"))
		return STORE_TIMEOUT;
	return STORE_ERROR;
}

void
store_classify(PGconn *pg, const PGresult *res, struct store_err *err)
{
	const char *state = NULL, *msg = NULL, *cons = NULL;

	err_clear(err);
	if (res != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
		case PGRES_COPY_IN:
		case PGRES_COPY_OUT:
		case PGRES_SINGLE_TUPLE:
			return;		/* not a failure */
		default:
			break;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		cons = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
		if (msg == NULL || *msg == '\0')
			msg = PQresultErrorMessage(res);
	}
	if ((msg == NULL || *msg == '\0') && pg != NULL)
		msg = PQerrorMessage(pg);
	if (msg == NULL || *msg == '\0')
		msg = pg == NULL ? "no connection" : "unknown error";
	snprintf(err->message, sizeof(err->message), "%s", msg);
	msg_trim(err->message);
	if (cons != NULL)
		snprintf(err->constraint, sizeof(err->constraint), "%s", cons);

	if (state != NULL && strlen(state) == 5) {
		memcpy(err->sqlstate, state, 5);
		err->sqlstate[5] = '\0';
		err->status = status_of_sqlstate(err->sqlstate);
	} else if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		/* libpq's own failure: the server went away or never answered. */
		err->status = STORE_CONN;
	} else
		err->status = STORE_ERROR;
}

const char *
store_status_name(enum store_status s)
{
	switch (s) {
	case STORE_OK:		return "ok";
	case STORE_RETRY:	return "retry";
	case STORE_CONN:	return "connection";
	case STORE_UNIQUE:	return "unique";
	case STORE_CONSTRAINT:	return "constraint";
	case STORE_DATA:	return "data";
	case STORE_TIMEOUT:	return "timeout";
	case STORE_ERROR:	return "error";
	}
	return "error";
}

static int
result_ok(const PGresult *res)
{
	ExecStatusType s;

	if (res == NULL)
		return 0;
	s = PQresultStatus(res);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/*
 * Prepare statement q on c. Returns 0, or -1 with err filled (STORE_CONN
 * when the connection failed, which also marks it broken).
 */
static int
prepare_one(struct store_conn *c, enum query_id q, struct store_err *err)
{
	PGresult *res;
	int rc = -1;

	res = PQprepare(c->pg, queries[q].name, queries[q].sql, queries[q].nparams, NULL);
	if (result_ok(res)) {
		c->prepared[q] = 1;
		rc = 0;
		goto out;
	}
	store_classify(c->pg, res, err);
	if (err->status == STORE_CONN)
		c->broken = 1;
out:
	PQclear(res);
	return rc;
}

/*
 * Prepare everything after a connect. A statement that fails for another
 * reason than the connection is left for prepare-on-first-use (see the top
 * of this file). Returns -1 only for a connection failure.
 */
static int
prepare_all(struct store_conn *c, struct store_err *err)
{
	struct store_err perr;
	int q;

	for (q = 0; q < Q__COUNT; q++) {
		if (prepare_one(c, (enum query_id)q, &perr) == 0)
			continue;
		if (perr.status == STORE_CONN) {
			*err = perr;
			return -1;
		}
		log_debug("store: statement %s not prepared yet (sqlstate %s): %s",
		    queries[q].name, perr.sqlstate, perr.message);
	}
	return 0;
}

/* Server notices go to our log, not to libpq's default stderr printer. */
static void
notice_to_log(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	(void)arg;
	if (msg == NULL)
		return;
	if (sev != NULL && strcmp(sev, "WARNING") == 0)
		log_warn("store: server warning: %s", msg);
	else
		log_debug("store: server %s: %s", sev != NULL ? sev : "notice", msg);
}

/* Connection failures are logged once per outage, not once per attempt. */
static void
note_connect(struct store *st, int ok, const struct store_err *err)
{
	int was_down;

	pthread_mutex_lock(&st->mtx);
	was_down = st->down;
	st->down = !ok;
	pthread_mutex_unlock(&st->mtx);
	if (!ok && !was_down)
		log_warn("store: cannot connect to PostgreSQL: %s", err->message);
	else if (ok && was_down)
		log_info("store: connected to PostgreSQL again");
}

/*
 * (Re)connect c: drop the old PGconn, connect, set the session up and
 * prepare the statements. Returns 0 or -1 with err filled (STORE_CONN for
 * anything on the way to a usable session, STORE_ERROR for out of memory).
 */
static int
conn_connect(struct store_conn *c, int counts_as_reconnect, struct store_err *err)
{
	struct store *st = c->st;
	/*
	 * Later keywords override earlier ones, and dbname is expanded as a
	 * whole conninfo string or URI: the defaults come first so the
	 * operator's conninfo can override them.
	 */
	const char *const kw[] = { "connect_timeout", "fallback_application_name",
	    "dbname", NULL };
	const char *const val[] = { STORE_CONNECT_TIMEOUT, "jpkid", st->conninfo, NULL };
	char sql[64];
	PGresult *res = NULL;
	int rc = -1;

	if (c->pg != NULL)
		PQfinish(c->pg);
	memset(c->prepared, 0, sizeof(c->prepared));
	c->broken = 1;
	if ((c->pg = PQconnectdbParams(kw, val, 1)) == NULL) {
		err_set(err, STORE_ERROR, NULL, "out of memory");
		goto out;
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		store_classify(c->pg, NULL, err);
		err->status = STORE_CONN;
		goto out;
	}
	PQsetNoticeReceiver(c->pg, notice_to_log, NULL);
	if (st->stmt_timeout_ms > 0) {
		snprintf(sql, sizeof(sql), "SET statement_timeout = %d", st->stmt_timeout_ms);
		res = PQexec(c->pg, sql);
		if (!result_ok(res)) {
			store_classify(c->pg, res, err);
			if (err->status != STORE_ERROR)
				err->status = STORE_CONN;
			goto out;
		}
	}
	if (prepare_all(c, err) != 0)
		goto out;
	c->broken = 0;
	rc = 0;
out:
	PQclear(res);
	if (rc != 0 && c->pg != NULL) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	note_connect(st, rc == 0, err);
	if (rc == 0 && counts_as_reconnect) {
		pthread_mutex_lock(&st->mtx);
		st->reconnects++;
		pthread_mutex_unlock(&st->mtx);
	}
	return rc;
}

/* Make a borrowed c usable: first connect, or reconnect when broken. */
static int
conn_ensure(struct store_conn *c, struct store_err *err)
{
	if (c->pg == NULL)
		return conn_connect(c, 0, err);
	if (c->broken || PQstatus(c->pg) != CONNECTION_OK)
		return conn_connect(c, 1, err);
	return 0;
}

struct store *
store_open(const char *conninfo, int size, int statement_timeout_ms)
{
	struct store *st;
	pthread_condattr_t ca;
	int i;

	if (size < 1)
		size = 1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->conns = calloc((size_t)size, sizeof(*st->conns))) == NULL ||
	    (st->conninfo = strdup(conninfo != NULL ? conninfo : "")) == NULL) {
		free(st->conns);
		free(st);
		return NULL;
	}
	st->size = size;
	st->stmt_timeout_ms = statement_timeout_ms;
	for (i = 0; i < size; i++)
		st->conns[i].st = st;
	pthread_mutex_init(&st->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cv, &ca);
	pthread_condattr_destroy(&ca);
	return st;
}

/*
 * Contract: every connection has been released. Closing a pool with a
 * borrowed connection is a bug in the caller (its thread would use freed
 * memory), so it aborts.
 */
void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < st->size; i++) {
		if (st->conns[i].in_use) {
			log_err("store: store_close with a borrowed connection");
			abort();
		}
		if (st->conns[i].pg != NULL)
			PQfinish(st->conns[i].pg);
	}
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mtx);
	/* The conninfo may hold a password: do not leave it in freed memory. */
	explicit_bzero(st->conninfo, strlen(st->conninfo));
	free(st->conninfo);
	free(st->conns);
	free(st);
}

/* A free slot, preferring one that is already connected. st->mtx held. */
static struct store_conn *
pick_free(struct store *st)
{
	struct store_conn *fallback = NULL;
	int i;

	for (i = 0; i < st->size; i++) {
		if (st->conns[i].in_use)
			continue;
		if (st->conns[i].healthy)
			return &st->conns[i];
		if (fallback == NULL)
			fallback = &st->conns[i];
	}
	return fallback;
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * wait_ms < 0 waits without limit; 0 does not wait. The connect (when the
 * slot needs one) happens after the wait, bounded by connect_timeout.
 */
struct store_conn *
store_borrow(struct store *st, int wait_ms, struct store_err *err)
{
	struct store_err dummy;
	struct store_conn *c = NULL;
	struct timespec deadline;
	int rc = 0;

	if (err == NULL)
		err = &dummy;
	err_clear(err);
	if (wait_ms > 0)
		deadline_after(&deadline, wait_ms);

	pthread_mutex_lock(&st->mtx);
	while ((c = pick_free(st)) == NULL && rc != ETIMEDOUT) {
		if (wait_ms == 0)
			rc = ETIMEDOUT;
		else if (wait_ms < 0)
			pthread_cond_wait(&st->cv, &st->mtx);
		else
			rc = pthread_cond_timedwait(&st->cv, &st->mtx, &deadline);
	}
	if (c == NULL) {
		st->waits_timed_out++;
		pthread_mutex_unlock(&st->mtx);
		err_set(err, STORE_TIMEOUT, NULL, "no database connection free in the pool");
		return NULL;
	}
	c->in_use = 1;
	pthread_mutex_unlock(&st->mtx);
	c->begin_pending = NULL;

	rc = conn_ensure(c, err);

	pthread_mutex_lock(&st->mtx);
	if (rc != 0) {
		c->in_use = 0;
		c->healthy = 0;
		pthread_cond_signal(&st->cv);
		c = NULL;
	} else {
		c->healthy = 1;
		st->borrows++;
	}
	pthread_mutex_unlock(&st->mtx);
	return c;
}

void
store_release(struct store_conn *c)
{
	struct store *st;
	PGresult *res;

	if (c == NULL)
		return;
	st = c->st;
	c->begin_pending = NULL;	/* a transaction that never reached the server */
	if (c->pg != NULL && !c->broken) {
		switch (PQtransactionStatus(c->pg)) {
		case PQTRANS_IDLE:
			break;
		case PQTRANS_INTRANS:
		case PQTRANS_INERROR:
			log_debug("store: connection released inside a transaction: rolling back");
			res = PQexec(c->pg, "ROLLBACK");
			if (!result_ok(res))
				c->broken = 1;
			PQclear(res);
			break;
		default:	/* ACTIVE (a result not consumed) or UNKNOWN */
			c->broken = 1;
			break;
		}
		if (PQstatus(c->pg) != CONNECTION_OK)
			c->broken = 1;
	}
	pthread_mutex_lock(&st->mtx);
	c->in_use = 0;
	c->healthy = c->pg != NULL && !c->broken;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mtx);
}

/* Send a pending BEGIN on its own. 0, or -1 with err (the connection is then marked broken). */
static int
begin_flush(struct store_conn *c, struct store_err *err)
{
	PGresult *res;
	int rc = 0;

	if (c->begin_pending == NULL)
		return 0;
	res = PQexec(c->pg, c->begin_pending);
	c->begin_pending = NULL;
	if (!result_ok(res)) {
		store_classify(c->pg, res, err);
		if (err->status == STORE_CONN)
			c->broken = 1;
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* The raw connection; a pending BEGIN is sent first (its caller runs inside the transaction). */
PGconn *
store_pgconn(struct store_conn *c)
{
	struct store_err err;

	if (c->begin_pending != NULL && c->pg != NULL && !c->broken)
		(void)begin_flush(c, &err);	/* a failure shows in the caller's next statement */
	return c->pg;
}

/*
 * The pending BEGIN and prepared statement q in one round trip (pipeline
 * mode). Returns the statement's result (or the BEGIN's when the BEGIN
 * failed, or NULL when libpq could not send) for run_once to judge; the
 * pending BEGIN is cleared when the server ran it.
 */
static PGresult *
exec_with_begin(struct store_conn *c, int q, int n, const char *const *values,
    const int *lengths, const int *formats, int resfmt)
{
	PGresult *r, *got[2] = { NULL, NULL };
	int i, sync = 0;

	if (!PQenterPipelineMode(c->pg))
		return NULL;
	if (PQsendQueryParams(c->pg, c->begin_pending, 0, NULL, NULL, NULL, NULL, 0) &&
	    PQsendQueryPrepared(c->pg, queries[q].name, n, values, lengths, formats, resfmt) &&
	    PQpipelineSync(c->pg)) {
		for (i = 0; i < 2; i++)
			while ((r = PQgetResult(c->pg)) != NULL) {
				if (got[i] == NULL)
					got[i] = r;
				else
					PQclear(r);
			}
		if ((r = PQgetResult(c->pg)) != NULL) {
			sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
			PQclear(r);
		}
	}
	if (!PQexitPipelineMode(c->pg) || !sync)
		c->broken = 1;	/* the session's state is unknown: reconnect */
	if (got[0] != NULL && PQresultStatus(got[0]) == PGRES_COMMAND_OK) {
		c->begin_pending = NULL;
		PQclear(got[0]);
		return got[1];
	}
	PQclear(got[1]);
	return got[0];	/* the BEGIN failed (or NULL: nothing came back) */
}

/*
 * One attempt of a statement (prepared q, or literal sql when q < 0).
 * Returns the successful result, or NULL with err filled.
 */
static PGresult *
run_once(struct store_conn *c, int q, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    int resfmt, struct store_err *err)
{
	PGresult *res;

	if (q >= 0 && !c->prepared[q] && prepare_one(c, (enum query_id)q, err) != 0)
		return NULL;
	if (q >= 0 && c->begin_pending != NULL)
		res = exec_with_begin(c, q, n, values, lengths, formats, resfmt);
	else if (q >= 0)
		res = PQexecPrepared(c->pg, queries[q].name, n, values, lengths, formats,
		    resfmt);
	else
		res = PQexec(c->pg, sql);
	if (result_ok(res)) {
		err_clear(err);
		return res;
	}
	store_classify(c->pg, res, err);
	/* 53100 disk_full: remembered for /readyz (store_disk_full) */
	if (strcmp(err->sqlstate, "53100") == 0)
		__atomic_store_n(&c->st->disk_full_at, (long long)time(NULL), __ATOMIC_RELAXED);
	PQclear(res);
	return NULL;
}

/*
 * The transparent reconnect. A connection failure outside a transaction
 * (the connection was idle before the call, so the statement ran, if at
 * all, in its own implicit transaction that the server rolled back when
 * the session died) reconnects and runs the statement once more. Inside a
 * transaction the work so far is lost: the caller gets STORE_CONN and the
 * connection reconnects at its next borrow (store_tx reruns the whole
 * transaction). Contract for callers: a statement run outside a
 * transaction may run twice if the connection dies between the server's
 * commit and its reply; make such statements idempotent (ON CONFLICT, a
 * unique key) when that matters.
 */
static PGresult *
run(struct store_conn *c, int q, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    int resfmt, struct store_err *err)
{
	struct store_err rerr;
	const char *pending = c->begin_pending;
	PGresult *res;
	int idle;

	if (c->pg == NULL || c->broken) {
		err_set(err, STORE_CONN, NULL,
		    "connection lost earlier; release it and borrow again");
		return NULL;
	}
	if (q < 0 && pending != NULL) {
		if (strcmp(sql, "COMMIT") == 0) {	/* the transaction ran nothing */
			c->begin_pending = NULL;
			err_clear(err);
			return PQmakeEmptyPGresult(c->pg, PGRES_COMMAND_OK);
		}
		if (begin_flush(c, err) != 0)
			return NULL;
		pending = NULL;
	}
	/* A pending BEGIN: nothing of the transaction reached the server yet. */
	idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	if ((res = run_once(c, q, sql, n, values, lengths, formats, resfmt, err)) != NULL)
		return res;
	if (err->status != STORE_CONN)
		return NULL;
	c->broken = 1;
	if (!idle)
		return NULL;
	log_info("store: connection lost (%s), reconnecting", err->message);
	if (conn_connect(c, 1, &rerr) != 0) {
		*err = rerr;
		return NULL;
	}
	c->begin_pending = pending;	/* the server rolled back whatever it had begun */
	if ((res = run_once(c, q, sql, n, values, lengths, formats, resfmt, err)) == NULL &&
	    err->status == STORE_CONN)
		c->broken = 1;
	return res;
}

static PGresult *
exec_prepared(struct store_conn *c, enum query_id q, int n,
    const char *const *values, const int *lengths, const int *formats,
    int resfmt, struct store_err *err)
{
	struct store_err dummy;
	char msg[128];

	if (err == NULL)
		err = &dummy;
	if ((int)q < 0 || q >= Q__COUNT) {
		err_set(err, STORE_ERROR, NULL, "no such statement");
		return NULL;
	}
	if (n != queries[q].nparams) {
		snprintf(msg, sizeof(msg), "statement %s takes %d parameters, got %d",
		    queries[q].name, queries[q].nparams, n);
		err_set(err, STORE_ERROR, NULL, msg);
		return NULL;
	}
	return run(c, (int)q, NULL, n, values, lengths, formats, resfmt, err);
}

PGresult *
store_exec(struct store_conn *c, enum query_id q, int n,
    const char *const *values, const int *lengths, const int *formats,
    struct store_err *err)
{
	return exec_prepared(c, q, n, values, lengths, formats, 0, err);
}

PGresult *
store_exec_bin(struct store_conn *c, enum query_id q, int n,
    const char *const *values, const int *lengths, const int *formats,
    struct store_err *err)
{
	return exec_prepared(c, q, n, values, lengths, formats, 1, err);
}

int
store_command(struct store_conn *c, const char *sql, struct store_err *err)
{
	struct store_err dummy;
	PGresult *res;

	if (err == NULL)
		err = &dummy;
	if ((res = run(c, -1, sql, 0, NULL, NULL, NULL, 0, err)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Lazy (see the top of this file): noted here, sent with the first statement. */
static int
begin_lazy(struct store_conn *c, const char *sql, struct store_err *err)
{
	struct store_err dummy;

	if (err == NULL)
		err = &dummy;
	if (c->pg == NULL || c->broken || c->begin_pending != NULL ||
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return store_command(c, sql, err);	/* as before: the server says what it is */
	c->begin_pending = sql;
	err_clear(err);
	return 0;
}

int
store_begin(struct store_conn *c, struct store_err *err)
{
	return begin_lazy(c, "BEGIN ISOLATION LEVEL READ COMMITTED", err);
}

int
store_begin_serializable(struct store_conn *c, struct store_err *err)
{
	return begin_lazy(c, "BEGIN ISOLATION LEVEL SERIALIZABLE", err);
}

/*
 * COMMIT of a transaction that already failed "succeeds" with the command
 * tag ROLLBACK: report that as the failure it is. A connection failure
 * during COMMIT leaves the outcome unknown (STORE_CONN); never retried.
 */
int
store_commit(struct store_conn *c, struct store_err *err)
{
	struct store_err dummy;
	PGresult *res;
	int rc = -1;

	if (err == NULL)
		err = &dummy;
	if ((res = run(c, -1, "COMMIT", 0, NULL, NULL, NULL, 0, err)) == NULL)
		goto out;
	if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		err_set(err, STORE_ERROR, "25P02",
		    "transaction had failed; COMMIT rolled it back");
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

void
store_rollback(struct store_conn *c)
{
	PGresult *res;

	c->begin_pending = NULL;
	if (c->pg == NULL || c->broken ||
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		return;
	res = PQexec(c->pg, "ROLLBACK");
	if (!result_ok(res))
		c->broken = 1;
	PQclear(res);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
store_tx(struct store *st, int wait_ms, int serializable, store_tx_fn fn, void *arg,
    struct store_err *err)
{
	struct store_err dummy;
	struct store_conn *c;
	int attempt, rc;

	if (err == NULL)
		err = &dummy;
	for (attempt = 0; attempt <= STORE_TX_RETRIES; attempt++) {
		if (attempt > 0)
			sleep_ms(10 * attempt);
		if ((c = store_borrow(st, wait_ms, err)) == NULL)
			return -1;
		rc = serializable ? store_begin_serializable(c, err) : store_begin(c, err);
		if (rc == 0) {
			err_clear(err);
			if ((rc = fn(c, arg, err)) != 0)
				store_rollback(c);
			else if ((rc = store_commit(c, err)) == 0) {
				store_release(c);
				return 0;
			} else if (err->status == STORE_CONN) {
				/* COMMIT was sent: the outcome is unknown. */
				store_release(c);
				return -1;
			}
		}
		store_release(c);
		if (err->status != STORE_RETRY && err->status != STORE_CONN)
			return -1;
		log_debug("store: transaction attempt %d failed (%s %s), retrying",
		    attempt + 1, store_status_name(err->status), err->sqlstate);
	}
	return -1;
}

int
store_ping(struct store *st, int wait_ms, struct store_err *err)
{
	struct store_err dummy;
	struct store_conn *c;
	PGresult *res;
	int rc = -1;

	if (err == NULL)
		err = &dummy;
	if ((c = store_borrow(st, wait_ms, err)) == NULL)
		return -1;
	if ((res = store_exec(c, Q_PING, 0, NULL, NULL, NULL, err)) != NULL) {
		if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "1") == 0)
			rc = 0;
		else
			err_set(err, STORE_ERROR, NULL, "unexpected answer to SELECT 1");
		PQclear(res);
	}
	store_release(c);
	return rc;
}

int
store_disk_full(struct store *st, int within_s)
{
	long long at = __atomic_load_n(&st->disk_full_at, __ATOMIC_RELAXED);

	return at != 0 && (long long)time(NULL) - at < within_s;
}

void
store_get_stats(struct store *st, struct store_stats *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&st->mtx);
	s->size = st->size;
	for (i = 0; i < st->size; i++) {
		s->in_use += st->conns[i].in_use;
		s->connected += st->conns[i].healthy;
	}
	s->borrows = st->borrows;
	s->waits_timed_out = st->waits_timed_out;
	s->reconnects = st->reconnects;
	pthread_mutex_unlock(&st->mtx);
}
