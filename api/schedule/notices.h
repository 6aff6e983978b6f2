/*
 * notices: R21 expiry notices (有効期限通知書). A certificate that is valid,
 * belongs to a registered resident and expires on or before the cutoff
 * (ca/policy.h policy_r21_notice_cutoff: lead_months calendar months
 * ahead, end of day JST) gets exactly one notice, in one batch of its
 * holder's municipality.
 *
 *	the jobs thread	every [notices] interval: notices_run_due()
 *	POST /v1/notices/run	operators (officer): the same, now, for every municipality
 *	GET  /v1/notices	operators (any role), or a terminal for its own
 *				municipality (R1): batches and notices, JSON or CSV
 *
 * Each municipality's batch is one transaction: the batch row, its notices
 * and its audit row. Every batch is written under one PostgreSQL
 * transaction advisory lock (NOTICE_LOCK_KEY), so two jpkid running at
 * once take turns and never list a certificate twice (the UNIQUE (issuer,
 * serial) of notices is the last guard) nor leave an empty batch.
 */
#ifndef JPKI_API_NOTICES_H
#define JPKI_API_NOTICES_H

#include <time.h>

#include "api/api.h"

/* pg_advisory_xact_lock key of notice batches ("jpkintc" in ASCII). */
#define NOTICE_LOCK_KEY		"29959954163987555"
/* The audit actor of the job. */
#define NOTICE_JOB_ACTOR	"system:notices"

/*
 * The jobs thread's entry point: write the batches due at now with
 * lead_months (R21). 0 with *batches the number of batches committed
 * (0: nothing due), or -1 on a database failure (what was committed stays;
 * the rest is due again next time).
 */
int	notices_run_due(struct app *, time_t now, int lead_months, long *batches);

#endif
