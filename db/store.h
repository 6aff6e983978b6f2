/*
 * store: a fixed pool of libpq connections with prepared statements.
 *
 * Every connection prepares every statement of the one table in
 * db/queries.c right after it connects, and again after each reconnect.
 * Errors are classified by SQLSTATE so callers decide by class, never by
 * message text. Connection strings are never logged (they may hold a
 * password).
 *
 * Threading: a struct store_conn is used by one thread at a time, between
 * store_borrow() and store_release(). The pool itself is thread-safe.
 */
#ifndef JPKI_STORE_H
#define JPKI_STORE_H

#include <stddef.h>
#include <libpq-fe.h>

#include "db/queries.h"

enum store_status {
	STORE_OK = 0,
	STORE_RETRY,		/* 40001 serialization / 40P01 deadlock: rerun the transaction */
	STORE_CONN,		/* class 08, 57P01-57P03, or no connection: reconnect */
	STORE_UNIQUE,		/* 23505 unique_violation (constraint name in err) */
	STORE_CONSTRAINT,	/* other class 23: check, foreign key, not null */
	STORE_DATA,		/* class 22: bad data (invalid text, out of range) */
	STORE_TIMEOUT,		/* 57014 query_canceled (statement_timeout) or pool wait timed out */
	STORE_ERROR		/* anything else: a bug or an operator problem */
};

struct store_err {
	enum store_status status;
	char	sqlstate[6];
	char	constraint[64];	/* for STORE_UNIQUE / STORE_CONSTRAINT, when known */
	char	message[256];	/* server's primary message; safe to log, never returned to clients */
};

struct store;
struct store_conn;

struct store_stats {
	int	size;		/* connections in the pool */
	int	in_use;		/* borrowed now */
	int	connected;	/* currently with a healthy PGconn */
	unsigned long long borrows;	/* total successful borrows */
	unsigned long long waits_timed_out;
	unsigned long long reconnects;
};

/*
 * Create a pool of size connections to conninfo. Connecting is lazy and
 * retried: store_open succeeds even when PostgreSQL is down (jpkid must
 * start and report not-ready). Returns NULL only on allocation failure.
 * statement_timeout_ms > 0 is set on every connection.
 */
struct store	*store_open(const char *conninfo, int size, int statement_timeout_ms);
void		 store_close(struct store *);

/*
 * Borrow a connection, waiting up to wait_ms. On return the connection is
 * connected and its statements are prepared (reconnecting transparently if
 * it was broken), or NULL with err->status STORE_TIMEOUT (pool exhausted) or
 * STORE_CONN (PostgreSQL unreachable).
 */
struct store_conn *store_borrow(struct store *, int wait_ms, struct store_err *err);
/* Give it back. A connection left inside a transaction is rolled back. */
void		 store_release(struct store_conn *);

/*
 * Run prepared statement q with n text/binary parameters (formats may be
 * NULL for all-text; lengths needed only for binary). On success returns
 * the PGresult (caller PQclear()s it) and err->status == STORE_OK. On failure
 * returns NULL with err filled; a STORE_CONN failure marks the connection
 * for reconnect at its next borrow (or immediately, when not in a
 * transaction, retrying the statement once: the transparent reconnect).
 * Result format: text.
 */
PGresult	*store_exec(struct store_conn *, enum query_id q, int n,
		    const char *const *values, const int *lengths, const int *formats,
		    struct store_err *err);
/* Same, result in binary format (for DER columns). */
PGresult	*store_exec_bin(struct store_conn *, enum query_id q, int n,
		    const char *const *values, const int *lengths, const int *formats,
		    struct store_err *err);
/* Run a literal SQL command with no parameters (BEGIN, COMMIT, migrations). */
int		 store_command(struct store_conn *, const char *sql, struct store_err *err);

int		 store_begin(struct store_conn *, struct store_err *);	/* BEGIN ISOLATION LEVEL READ COMMITTED */
int		 store_begin_serializable(struct store_conn *, struct store_err *);
int		 store_commit(struct store_conn *, struct store_err *);
void		 store_rollback(struct store_conn *);

/*
 * Run fn inside one transaction, retrying the whole transaction up to
 * 3 times on STORE_RETRY, and on STORE_CONN when the failure happened
 * before COMMIT was sent. fn returns 0 to commit, -1 to roll back (with err
 * filled when it is a database failure). Returns 0 after a commit.
 */
typedef int (*store_tx_fn)(struct store_conn *, void *arg, struct store_err *err);
int		 store_tx(struct store *, int wait_ms, int serializable, store_tx_fn fn, void *arg,
		    struct store_err *err);

/* The raw connection, for code that must (migrations, LISTEN). */
PGconn		*store_pgconn(struct store_conn *);
/* Cheap liveness check used by /readyz: borrow, SELECT 1, release. */
int		 store_ping(struct store *, int wait_ms, struct store_err *err);
void		 store_get_stats(struct store *, struct store_stats *);
/*
 * 1 when a statement failed with SQLSTATE 53100 (disk_full: PostgreSQL could
 * not extend a file) less than within_s seconds ago. /readyz reports it.
 */
int		 store_disk_full(struct store *, int within_s);

/* Classify a failed PGresult (NULL: connection-level failure). */
void		 store_classify(PGconn *, const PGresult *, struct store_err *);
const char	*store_status_name(enum store_status);

#endif
