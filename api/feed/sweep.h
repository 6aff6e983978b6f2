/*
 * sweep: R10/R12 for register changes made straight in SQL (docs/foundation.md
 * "Runtime"). The residents_register_change() trigger queues every change
 * of the basic four or of the register status in register_changes and
 * notifies jpkid_register_change; the feed API applies its own changes at
 * once, and this sweep applies everything still pending. The jobs thread
 * (daemon/jobs.c) calls it on every notification and every [jobs]
 * register_sweep_interval.
 */
#ifndef JPKI_SWEEP_H
#define JPKI_SWEEP_H

#include <time.h>

struct app;

/* Residents per transaction. */
#define SWEEP_BATCH	200

/*
 * Apply ALL pending register changes, SWEEP_BATCH residents per
 * transaction, as of now: lock the residents with pending changes (SKIP
 * LOCKED: several jpkid instances may sweep at once, and a resident locked
 * by the feed or by a plain SQL transaction is left to it or to the
 * notification its commit sends), apply their changes with
 * feed_apply_register_changes() (SIGN affiliationChanged for basic_four,
 * both cessationOfOperation for removed/deceased; processed_at set), and
 * write one audit row per revoked certificate (actor
 * "system:register-sweep"), all in the batch's transaction. A change is
 * applied exactly once. *revoked (may be NULL) gets the number of
 * certificates revoked, also when a later batch failed. 0, or -1 after a
 * database failure (logged; what committed before stays).
 */
int	sweep_register_changes(struct app *, time_t now, long *revoked);

#endif
