/*
 * crls: CRL publication (one series per issuer and municipality, R24/R26)
 * and the CRL routes: GET /crl/{type}/{file} (status and API listeners),
 * POST /v1/crls/publish and GET /v1/crls (operators).
 *
 * Publication runs under one PostgreSQL session advisory lock
 * (CRL_LOCK_KEY), so of several jpkid on one database one publishes at a
 * time. Each CRL is one transaction: read the shard's revocations, build
 * and sign (ca/crl.c), INSERT INTO crls with number = last + 1, audit. The
 * previous CRL is a row of its own and stays served until the new row
 * commits.
 */
#ifndef JPKI_API_CRLS_H
#define JPKI_API_CRLS_H

#include <time.h>

#include "api/api.h"

/* pg_try_advisory_lock key of CRL publication ("jpkicrl" in ASCII). */
#define CRL_LOCK_KEY	"29959954163266156"

/*
 * The jobs thread's entry point (every [crl] check_interval): publish the
 * CRL of every (issuer, municipality) that is due at now (none published
 * yet, or last thisUpdate + publish hours <= now; the municipality's
 * crl_publish_hours, else [crl] publish_hours). Another instance holding
 * the lock: returns 0 with *published 0. Returns 0 with *published the
 * number of CRLs committed, or -1 (database or signing failure; what was
 * committed stays, the rest is due again next time).
 */
int	crl_publish_due(struct app *, time_t now, long *published);

/*
 * R24: the HTTP URI of a shard's CRL: written into certificates (api/counter/issue.c)
 * and their IDP, shown by GET /v1/certificates, served by api/crl_serve.c.
 */
void	crl_url(const struct app *, const char *issuer, const char *shard, char *buf,
	    size_t len);

/* 1 for "sign" or "auth"; 1 for a 6-digit municipality code. */
int	crls_issuer_ok(const char *);
int	crls_code_ok(const char *);

#endif
