/*
 * stats: the figures of GET /v1/stats and the job that keeps their rollups
 * (db/migrations/0007_stats.sql).
 *
 * Triggers on certificates append row images to stats_deltas; stats_fold()
 * (SQL) folds them into small rollup tables, one instance at a time under
 * the transaction advisory lock STATS_LOCK_KEY. A request reads the rollups
 * and the deltas not folded yet in one snapshot, so it never counts
 * certificates and is exact whenever it runs; folding only keeps it fast.
 */
#ifndef JPKI_STATS_H
#define JPKI_STATS_H

/* pg_try_advisory_xact_lock key of the fold ("jpkistat" in ASCII); also in 0007_stats.sql. */
#define STATS_LOCK_KEY	7669748266064699764LL

/* stats_fold_run(): declared in api/api.h, for daemon/jobs.c. */

#endif
