/*
 * auditchain: see auditchain.h. The encoding is length-prefixed so that no
 * two different rows encode alike (a field cannot borrow bytes from its
 * neighbour), and fixed-width big-endian so that any language can redo it.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ca/auditchain.h"
#include "common/util.h"

void
auditchain_genesis(unsigned char h[AUDITCHAIN_HASH_LEN])
{
	memset(h, 0, AUDITCHAIN_HASH_LEN);
}

static unsigned char *
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	return p + 8;
}

static unsigned char *
put_str(unsigned char *p, const char *s, size_t n)
{
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	memcpy(p + 4, s, n);
	return p + 4 + n;
}

int
auditchain_encode(const struct auditchain_row *r, unsigned char **out, size_t *len)
{
	size_t na, nc, no = 0, nd, total;
	unsigned char *buf, *p;

	*out = NULL;
	*len = 0;
	if (r->actor == NULL || r->action == NULL || r->detail == NULL)
		return -1;
	na = strlen(r->actor);
	nc = strlen(r->action);
	nd = strlen(r->detail);
	if (r->object != NULL)
		no = strlen(r->object);
	if (na > UINT32_MAX || nc > UINT32_MAX || no > UINT32_MAX || nd > UINT32_MAX)
		return -1;
	total = 8 + 8 + 4 + na + 4 + nc + 1 + (r->object != NULL ? 4 + no : 0) + 4 + nd;
	if ((buf = malloc(total)) == NULL)
		return -1;
	p = put_u64(buf, (uint64_t)r->seq);
	p = put_u64(p, (uint64_t)r->at_us);	/* two's complement: before 1970 stays exact */
	p = put_str(p, r->actor, na);
	p = put_str(p, r->action, nc);
	*p++ = r->object != NULL ? 1 : 0;
	if (r->object != NULL)
		p = put_str(p, r->object, no);
	p = put_str(p, r->detail, nd);
	*out = buf;
	*len = (size_t)(p - buf);
	return 0;
}

int
auditchain_step(const unsigned char prev[AUDITCHAIN_HASH_LEN], const struct auditchain_row *r,
    unsigned char out[AUDITCHAIN_HASH_LEN])
{
	unsigned char *enc, md[SHA256_DIGEST_LENGTH];
	size_t len;
	EVP_MD_CTX *ctx;
	int ok;

	if (auditchain_encode(r, &enc, &len) != 0)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		free(enc);
		return -1;
	}
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, prev, AUDITCHAIN_HASH_LEN) == 1 &&
	    EVP_DigestUpdate(ctx, enc, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	free(enc);
	if (!ok)
		return -1;
	memcpy(out, md, AUDITCHAIN_HASH_LEN);
	return 0;
}

void
auditchain_cp_message(long long chain_pos, long long seq, long long at_us,
    const unsigned char hash[AUDITCHAIN_HASH_LEN], unsigned char out[AUDITCHAIN_CP_MSG_LEN])
{
	unsigned char *p = out;

	memcpy(p, AUDITCHAIN_CP_TAG, 17);
	p = put_u64(p + 17, (uint64_t)chain_pos);
	p = put_u64(p, (uint64_t)seq);
	p = put_u64(p, (uint64_t)at_us);
	memcpy(p, hash, AUDITCHAIN_HASH_LEN);
}

int
auditchain_cp_verify_sig(EVP_PKEY *pub, const struct auditchain_cp *cp)
{
	unsigned char msg[AUDITCHAIN_CP_MSG_LEN];
	EVP_MD_CTX *ctx;
	int ok;

	if (pub == NULL || cp->sig == NULL || cp->siglen == 0)
		return 0;
	auditchain_cp_message(cp->chain_pos, cp->seq, cp->at_us, cp->hash, msg);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(ctx, cp->sig, cp->siglen, msg, sizeof(msg)) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* ---------------------------------------------------------------- verification */

static int
broken(struct auditchain_verify *v, long long seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
broken(struct auditchain_verify *v, long long seq, const char *fmt, ...)
{
	va_list ap;

	v->broken = 1;
	v->first_bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	return -1;
}

void
auditchain_verify_init(struct auditchain_verify *v, const unsigned char prev[AUDITCHAIN_HASH_LEN],
    long long first_pos, EVP_PKEY *pub)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->prev, prev, AUDITCHAIN_HASH_LEN);
	v->next_pos = first_pos;
	v->last_seq = -1;
	v->pub = pub;
	v->last_cp_seq = v->last_cp_at_us = -1;
	v->first_bad_seq = -1;
}

int
auditchain_verify_row(struct auditchain_verify *v, long long chain_pos,
    const struct auditchain_row *r, const unsigned char *stored, size_t stored_len)
{
	unsigned char h[AUDITCHAIN_HASH_LEN];

	if (v->broken)
		return -1;
	/* Only the sealer writes chain positions, 1, 2, 3 ... without a gap. */
	if (chain_pos != v->next_pos)
		return broken(v, r->seq, chain_pos > v->next_pos ?
		    "chain position %lld is missing before this row (a row was deleted)" :
		    "chain position %lld repeats", chain_pos > v->next_pos ? v->next_pos : chain_pos);
	if (stored == NULL || stored_len != AUDITCHAIN_HASH_LEN)
		return broken(v, r->seq, "sealed row without a valid sealed_hash");
	if (auditchain_step(v->prev, r, h) != 0)
		return broken(v, r->seq, "cannot hash the row (out of memory)");
	if (!util_ct_equal(h, stored, AUDITCHAIN_HASH_LEN))
		return broken(v, r->seq, "row does not match its seal (edited, reordered, "
		    "inserted or a predecessor deleted)");
	memcpy(v->prev, h, AUDITCHAIN_HASH_LEN);
	v->next_pos++;
	v->last_seq = r->seq;
	v->rows++;
	return 0;
}

int
auditchain_verify_cp(struct auditchain_verify *v, const struct auditchain_cp *cp)
{
	if (v->broken)
		return -1;
	/* Fed after the row at or past cp->chain_pos: it must be the last one fed. */
	if (cp->chain_pos != v->next_pos - 1)
		return broken(v, cp->seq, "checkpoint at chain position %lld names a row that "
		    "is gone", cp->chain_pos);
	if (cp->seq != v->last_seq)
		return broken(v, cp->seq, "checkpoint at chain position %lld names seq %lld, "
		    "the chain has seq %lld there", cp->chain_pos, cp->seq, v->last_seq);
	if (!util_ct_equal(cp->hash, v->prev, AUDITCHAIN_HASH_LEN))
		return broken(v, cp->seq, "checkpoint hash does not match the chain (rows "
		    "rewritten)");
	if (v->pub != NULL && !auditchain_cp_verify_sig(v->pub, cp))
		return broken(v, cp->seq, "checkpoint signature does not verify with the audit "
		    "key (forged checkpoint)");
	v->checkpoints++;
	v->last_cp_seq = cp->seq;
	v->last_cp_at_us = cp->at_us;
	return 0;
}

int
auditchain_verify_cp_orphan(struct auditchain_verify *v, const struct auditchain_cp *cp)
{
	if (v->broken)
		return -1;
	return broken(v, cp->seq, "checkpoint at chain position %lld names seq %lld, which "
	    "is gone (the tail was deleted)", cp->chain_pos, cp->seq);
}
