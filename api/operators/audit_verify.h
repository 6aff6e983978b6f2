/*
 * audit_verify: recompute the audit chain from the database and check every
 * checkpoint (ca/auditchain.h), with the public key only. One code path for
 * `jpkictl audit verify` and GET /v1/audit/verify.
 */
#ifndef JPKI_AUDIT_VERIFY_H
#define JPKI_AUDIT_VERIFY_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "ca/auditchain.h"

struct audit_verify_result {
	struct auditchain_verify v;	/* ok = !v.broken; rows, checkpoints, first_bad_seq, reason */
	long long	sealed_through;	/* seq of the last row verified, -1: none */
	long long	unsealed;	/* rows the sealer has not reached yet (not checked) */
	int		signatures;	/* checkpoint signatures were checked (pub given) */
};

/*
 * Verify from the chain position of the first sealed row with seq >=
 * from_seq (from_seq < 0: from the start) in one REPEATABLE READ READ ONLY
 * transaction on pg (which must not be inside a transaction). pub NULL:
 * checkpoints are checked against the chain but their signatures are not.
 * Returns 0 with *out filled (good or broken), or -1 with err on a database
 * failure.
 */
int	audit_verify_run(PGconn *pg, EVP_PKEY *pub, long long from_seq,
	    struct audit_verify_result *out, char *err, size_t errlen);

/* The result as GET /v1/audit/verify answers it (api/operators/audit_log.c). */
json_t	*audit_verify_json(const struct audit_verify_result *);

#endif
