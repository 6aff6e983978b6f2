/*
 * migrate: apply db/migrations/NNNN_*.sql (embedded at build time) in order.
 * Under a session advisory lock (so several jpkid/jpkictl can start at once),
 * each pending migration runs in its own transaction together with its row
 * in schema_migrations(version, name, sha256, applied_at). An applied
 * migration whose embedded text no longer matches its recorded sha256 stops
 * the run: a released migration is never edited, only followed by a new one.
 */
#ifndef JPKI_MIGRATE_H
#define JPKI_MIGRATE_H

#include <stddef.h>
#include <libpq-fe.h>

struct migration {
	int		 version;
	const char	*name;	/* "0001_schema" */
	const char	*sql;
	size_t		 len;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* Advisory lock key used while migrating (pg_advisory_lock). */
#define MIGRATE_LOCK_KEY 0x6a706b6964L	/* "jpkid" */

/*
 * Apply pending migrations on conn (not inside a transaction). Returns the
 * number applied (>= 0), or -1 with a message in err.
 */
int	migrate_apply(PGconn *conn, char *err, size_t errlen);
/* Highest applied version, 0 for an empty database, -1 on error. */
int	migrate_current(PGconn *conn, char *err, size_t errlen);

#endif
