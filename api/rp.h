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
/* Write the counters to relying_party_usage (one transaction). 0 or -1. */
int		 rp_usage_flush(struct app *);

#endif
