/*
 * rp: relying parties at the status routes (R26: J-LIS serves revocation
 * data only to registered verifiers) and their check counters (billing).
 *
 * The OCSP and CRL handlers call rp_gate() first and rp_count() once they
 * know what was checked. Neither touches the database on the hot path.
 */
#ifndef JPKI_RP_H
#define JPKI_RP_H

#include "api/api.h"

#define RP_TYPE_SIGN	1u
#define RP_TYPE_AUTH	2u

enum rp_gate_result {
	RP_GATE_OK = 0,		/* proceed; *rp_id is 0 for an anonymous caller */
	RP_GATE_UNAUTHENTICATED = -1,	/* a relying party is required and none was shown */
	RP_GATE_UNAVAILABLE = -2,	/* the database is needed and does not answer */
};

/*
 * Who is asking: on the API listener the principal (a relying party by its
 * client certificate, or an operator); on the status listener the Bearer
 * token, required when [status] require_relying_party is set. *types is the
 * mask of RP_TYPE_* the caller may query (both for anonymous callers and
 * operators).
 */
enum rp_gate_result rp_gate(struct api_req *, long long *rp_id, unsigned *types);
/* Count n status checks of issuer ("sign" or "auth") for rp_id (0: nobody). */
void	rp_count(struct app *, long long rp_id, const char *issuer, unsigned n);

struct rp_usage	*rp_usage_new(void);
void		 rp_usage_free(struct rp_usage *);
/*
 * Write the counters to relying_party_usage (one transaction). The counts
 * written are subtracted from memory only after COMMIT, and flushes are
 * serialized, so a check is never lost nor counted twice (except when the
 * connection breaks during COMMIT itself: then the counts stay in memory
 * and are written again). 0 or -1 (the counts stay for the next flush).
 */
int		 rp_usage_flush(struct app *);

/*
 * Answer a caller the gate refused (RP_GATE_UNAUTHENTICATED) on an HTTP
 * route such as /crl: 401 problem (R26) with WWW-Authenticate: Bearer.
 * RP_GATE_UNAVAILABLE: 503 with Retry-After. OCSP answers with its own
 * "unauthorized" status instead.
 */
void		 rp_refuse(struct api_resp *, enum rp_gate_result);
/* Forget the gate's cached relying parties (after a change through the API). */
void		 rp_gate_invalidate(struct app *);
/* "sign,auth" -> RP_TYPE_* mask; 0 when empty or unknown. */
unsigned	 rp_types_parse(const char *csv);
/* How long (ms) a gate decision may be cached: a disabled RP is refused after at most this. */
#define RP_GATE_TTL_MS	2000

/* ---- operators: stats ---- */
/*
 * Run read(arg) (a read of relying_party_usage) with flushes held off, and
 * add to pending[0] (sign) and pending[1] (auth) the checks counted in
 * memory for JST days day_from <= day < day_to and not flushed yet: the two
 * together count every check once. Returns read's result.
 */
int		 rp_usage_read_pending(struct app *, long day_from, long day_to,
		    int (*read)(void *arg), void *arg, unsigned long long pending[2]);
/* ---- end operators: stats ---- */

#endif
