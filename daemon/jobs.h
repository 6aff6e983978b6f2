/*
 * jobs: the background work of one jpkid (docs/foundation.md "Runtime").
 *
 * Two threads, started after the listeners and stopped before the pool:
 *
 *  - the listener holds its own PostgreSQL connection (not a pool one) with
 *    LISTEN jpkid_revocation and jpkid_register_change. A revocation
 *    notification re-signs that certificate's cached OCSP response at once
 *    (the 1-second target of issue 4); a register change runs the R10/R12
 *    sweep. Register changes are also swept every [jobs]
 *    register_sweep_interval, and after every (re)connection, when
 *    notifications may have been missed (the OCSP cache is then cleared).
 *  - the scheduler publishes due CRLs every [crl] check_interval (one
 *    instance at a time, by advisory lock: api/status/crls.c) and writes the
 *    relying-party check counters every [jobs] usage_flush_interval.
 *
 * Nothing runs before the schema is migrated (app->schema_ready).
 */
#ifndef JPKI_JOBS_H
#define JPKI_JOBS_H

#include <stddef.h>

struct app;
struct config;
struct jobs;

/* Start both threads. NULL with err on failure (out of memory, threads). */
struct jobs	*jobs_start(struct app *, const struct config *, char *err, size_t errlen);
/*
 * Stop and join both threads (a CRL being built is finished first). The
 * last relying-party counts are written by main() after the listeners
 * stop. Accepts NULL.
 */
void		 jobs_stop(struct jobs *);

#endif
