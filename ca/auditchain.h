/*
 * auditchain: the hash chain over audit_log and its signed checkpoints
 * (docs/operators.md, "The audit trail"). Pure: no database, no clock; the
 * sealer (api/operators/audit_seal.c) and both verifiers (api/operators/audit_verify.c) use it,
 * so they cannot disagree on a byte.
 *
 *   h(genesis) = 32 zero bytes
 *   h(n)       = SHA-256(h(n-1) || enc(row at chain position n))
 *   enc(row)   = u64be(seq) || i64be(at, microseconds since 1970 UTC)
 *                || str(actor) || str(action)
 *                || u8(object present ? 1 : 0) [|| str(object)]
 *                || str(detail, PostgreSQL's jsonb text output)
 *   str(s)     = u32be(byte length) || the UTF-8 bytes
 *
 * A checkpoint signs, with the audit key (SHA-256; RSA PKCS#1 v1.5 or
 * ECDSA), the 73-byte message
 *   "jpkid-audit-cp-v1" (17 ASCII bytes) || u64be(chain_pos) || u64be(seq)
 *   || i64be(at, microseconds) || h(chain_pos) (32 bytes)
 */
#ifndef JPKI_AUDITCHAIN_H
#define JPKI_AUDITCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define AUDITCHAIN_HASH_LEN	32
#define AUDITCHAIN_CP_TAG	"jpkid-audit-cp-v1"
/* tag (17) || u64be chain_pos || u64be seq || i64be at_us || hash (32) */
#define AUDITCHAIN_CP_MSG_LEN	(17 + 8 + 8 + 8 + AUDITCHAIN_HASH_LEN)

struct auditchain_row {
	long long	 seq;
	long long	 at_us;		/* microseconds since the epoch, UTC */
	const char	*actor, *action;
	const char	*object;	/* NULL: SQL NULL */
	const char	*detail;	/* detail::text */
};

struct auditchain_cp {
	long long		 chain_pos, seq, at_us;
	unsigned char		 hash[AUDITCHAIN_HASH_LEN];
	const unsigned char	*sig;
	size_t			 siglen;
};

/* The predecessor of chain position 1. */
void	auditchain_genesis(unsigned char h[AUDITCHAIN_HASH_LEN]);
/* enc(row) into a malloc'd buffer; -1 when out of memory or a field is NULL. */
int	auditchain_encode(const struct auditchain_row *, unsigned char **out, size_t *len);
/* out = SHA-256(prev || enc(row)); out may alias prev. 0 or -1. */
int	auditchain_step(const unsigned char prev[AUDITCHAIN_HASH_LEN],
	    const struct auditchain_row *, unsigned char out[AUDITCHAIN_HASH_LEN]);
/* The message a checkpoint signs. */
void	auditchain_cp_message(long long chain_pos, long long seq, long long at_us,
	    const unsigned char hash[AUDITCHAIN_HASH_LEN], unsigned char out[AUDITCHAIN_CP_MSG_LEN]);
/* 1 when cp's signature verifies with pub (public key only), else 0. */
int	auditchain_cp_verify_sig(EVP_PKEY *pub, const struct auditchain_cp *);

/*
 * Verification over rows in chain order. Feed every sealed row with
 * auditchain_verify_row() in chain_pos order and, after the row at or past
 * a checkpoint's position, the checkpoint with auditchain_verify_cp()
 * (checkpoints in chain_pos order too); then auditchain_verify_cp_orphan() for
 * the checkpoints left over (they name rows that are gone). Each returns 0
 * while the chain is good and -1 once it is broken (first_bad_seq, reason
 * set; later calls change nothing).
 */
struct auditchain_verify {
	unsigned char	 prev[AUDITCHAIN_HASH_LEN];	/* h of the last row fed */
	long long	 next_pos;	/* chain position expected next */
	long long	 last_seq;	/* seq of the last row fed, -1 none */
	EVP_PKEY	*pub;		/* NULL: checkpoint signatures are not checked */
	long long	 rows, checkpoints;
	long long	 last_cp_seq, last_cp_at_us;	/* -1: none checked */
	int		 broken;
	long long	 first_bad_seq;
	char		 reason[200];
};

/*
 * Start at chain position first_pos whose predecessor hash is prev (the
 * genesis for position 1). pub may be NULL.
 */
void	auditchain_verify_init(struct auditchain_verify *, const unsigned char prev[AUDITCHAIN_HASH_LEN],
	    long long first_pos, EVP_PKEY *pub);
/* stored: the row's sealed_hash (NULL when the column is NULL). */
int	auditchain_verify_row(struct auditchain_verify *, long long chain_pos,
	    const struct auditchain_row *, const unsigned char *stored, size_t stored_len);
int	auditchain_verify_cp(struct auditchain_verify *, const struct auditchain_cp *);
/* A checkpoint past the last row: the rows it names were deleted. */
int	auditchain_verify_cp_orphan(struct auditchain_verify *, const struct auditchain_cp *);

#endif
