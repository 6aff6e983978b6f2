/*
 * policy_key: see policy_key.h. R22 (Decision): weak RSA keys are refused
 * at CSR time, before anything is signed.
 */
#include <config.h>

#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/policy_key.h"
#include "common/util.h"

/*
 * R22, ROCA: the primes of the published detector (crocs-muni/roca,
 * detect.py, RocaFingerprinter.primes). Its "prints" are, for each prime
 * p, the bit set {r : r = 65537^k mod p}; policy_key_roca_residue_ok()
 * computes that set instead of carrying 38 integers of up to 168 bits, and
 * tests/unit/test_policy_key.c checks it against the published values.
 */
const unsigned policy_key_roca_primes[POLICY_KEY_ROCA_PRIMES] = {
	3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
	79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157,
	163, 167
};

#define ROCA_GENERATOR	65537u

/* i2d of an INTEGER for bn; the length, or -1. */
static int
der_integer(const BIGNUM *bn, unsigned char **pp)
{
	ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
	int len = ai != NULL ? i2d_ASN1_INTEGER(ai, pp) : -1;

	ASN1_INTEGER_free(ai);
	return len;
}

int
policy_key_rsa_public_der(EVP_PKEY *pk, unsigned char **out)
{
	BIGNUM *n = NULL, *e = NULL;
	unsigned char *buf = NULL, *p;
	int ln, le, total, rc = -1;

	*out = NULL;
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
	    (ln = der_integer(n, NULL)) <= 0 || (le = der_integer(e, NULL)) <= 0 ||
	    (total = ASN1_object_size(1, ln + le, V_ASN1_SEQUENCE)) <= 0 ||
	    (buf = OPENSSL_malloc((size_t)total)) == NULL)
		goto out;
	p = buf;
	ASN1_put_object(&p, 1, ln + le, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	if (der_integer(n, &p) != ln || der_integer(e, &p) != le || p != buf + total)
		goto out;
	*out = buf;
	buf = NULL;
	rc = total;
out:
	OPENSSL_free(buf);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return rc;
}

/*
 * i2d of pk's SubjectPublicKeyInfo. For RSA: rsaEncryption with NULL
 * parameters around policy_key_rsa_public_der(), the bytes i2d_PUBKEY
 * gives (DER has one encoding) without OpenSSL 3's encoder lookup, which
 * cost more per issuance than the RSA signature (issue 15).
 */
static int
spki_der(EVP_PKEY *pk, unsigned char **out)
{
	X509_PUBKEY *xp;
	unsigned char *bits = NULL;
	int len, rc;

	*out = NULL;
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		return i2d_PUBKEY(pk, out);
	if ((len = policy_key_rsa_public_der(pk, &bits)) <= 0 ||
	    (xp = X509_PUBKEY_new()) == NULL) {
		OPENSSL_free(bits);
		return -1;
	}
	if (!X509_PUBKEY_set0_param(xp, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_NULL,
	    NULL, bits, len)) {
		OPENSSL_free(bits);
		X509_PUBKEY_free(xp);
		return -1;
	}
	rc = i2d_X509_PUBKEY(xp, out);
	X509_PUBKEY_free(xp);
	return rc;
}

/* R22: one key, one fingerprint: SHA-256 of the SPKI DER (canonical, as i2d_PUBKEY). */
int
policy_key_fingerprint(EVP_PKEY *pk, unsigned char fp[POLICY_KEY_FP_LEN])
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	int len, rc = -1;

	if (pk == NULL || (len = spki_der(pk, &der)) <= 0)
		goto out;
	if (EVP_Digest(der, (size_t)len, fp, &n, EVP_sha256(), NULL) == 1 &&
	    n == POLICY_KEY_FP_LEN)
		rc = 0;
out:
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}

/* R22, ROCA: is r in <65537 mod p>? (p is small: walk the cycle.) */
int
policy_key_roca_residue_ok(unsigned p, unsigned r)
{
	unsigned g, x = 1;

	if (p < 3 || r >= p)
		return 0;
	g = ROCA_GENERATOR % p;
	do {
		if (x == r)
			return 1;
		x = x * g % p;
	} while (x != 1);
	return 0;
}

/* R22: the ROCA "moduli" fingerprint (every residue in the subgroup). */
int
policy_key_roca(const BIGNUM *n)
{
	size_t i;

	if (n == NULL || BN_is_negative(n) || BN_is_zero(n))
		return -1;
	for (i = 0; i < POLICY_KEY_ROCA_PRIMES; i++) {
		BN_ULONG r = BN_mod_word(n, policy_key_roca_primes[i]);

		if (r == (BN_ULONG)-1)
			return -1;
		if (!policy_key_roca_residue_ok(policy_key_roca_primes[i], (unsigned)r))
			return 0;
	}
	return 1;
}

/* Trial division of n by 2 and every odd d < limit (the first hit is prime). */
static int
trial_divide(const BIGNUM *n, unsigned long limit, unsigned long *factor)
{
	unsigned long d;

	for (d = 2; d < limit; d = d == 2 ? 3 : d + 2) {
		BN_ULONG r;

		if (BN_is_word(n, d))
			return 0;	/* n itself is that small prime: no smaller factor */
		if ((r = BN_mod_word(n, (BN_ULONG)d)) == (BN_ULONG)-1)
			return -1;
		if (r == 0) {
			if (factor != NULL)
				*factor = d;
			return 1;
		}
	}
	return 0;
}

/*
 * The primes below POLICY_KEY_TRIAL_LIMIT, multiplied into chunks of at
 * most SMALL_CHUNK_BITS bits (about 47 chunks for 2^16), made once
 * (pthread_once) and only read afterwards: safe from any thread.
 */
#define SMALL_CHUNK_BITS	2040
#define SMALL_CHUNKS_MAX	64

static BIGNUM *small_chunk[SMALL_CHUNKS_MAX];
static int small_chunks;
static pthread_once_t small_chunk_once = PTHREAD_ONCE_INIT;

static void
small_chunks_free(void)
{
	while (small_chunks > 0)
		BN_free(small_chunk[--small_chunks]);
}

static void
small_chunk_make(void)
{
	static unsigned char composite[POLICY_KEY_TRIAL_LIMIT];
	BIGNUM *c = NULL;
	unsigned long i, j;

	for (i = 2; i < POLICY_KEY_TRIAL_LIMIT; i++) {
		if (composite[i])
			continue;
		for (j = i * i; j < POLICY_KEY_TRIAL_LIMIT; j += i)
			composite[j] = 1;
		/* a prime < 2^16 adds at most 16 bits */
		if (c != NULL && BN_num_bits(c) + 16 > SMALL_CHUNK_BITS) {
			if (small_chunks == SMALL_CHUNKS_MAX)
				goto fail;
			small_chunk[small_chunks++] = c;
			c = NULL;
		}
		if ((c == NULL && ((c = BN_new()) == NULL || !BN_one(c))) ||
		    !BN_mul_word(c, (BN_ULONG)i))
			goto fail;
	}
	if (c != NULL && small_chunks < SMALL_CHUNKS_MAX) {
		small_chunk[small_chunks++] = c;
		return;
	}
fail:
	BN_free(c);
	small_chunks_free();
}

#define LEHMER_BITS	31	/* leading digits: every product fits int64_t */

/* a = |A| * x - |B| * y up to sign, i.e. |A x + B y| for A, B of opposite signs. */
static int
lehmer_comb(BIGNUM *r, int64_t A, const BIGNUM *x, int64_t B, const BIGNUM *y,
    BIGNUM *tmp)
{
	if (BN_copy(r, x) == NULL || BN_copy(tmp, y) == NULL ||
	    !BN_mul_word(r, (BN_ULONG)(A < 0 ? -A : A)) ||
	    !BN_mul_word(tmp, (BN_ULONG)(B < 0 ? -B : B)))
		return 0;
	if ((A < 0) == (B < 0))
		return BN_add(r, r, tmp);
	if (!BN_sub(r, r, tmp))
		return 0;
	BN_set_negative(r, 0);
	return 1;
}

/*
 * gcd(a, b) into a (a, b >= 0, both overwritten), Lehmer's algorithm
 * (Knuth, TAOCP 2, 4.5.2, Algorithm L): the quotients of Euclid's
 * algorithm on the leading 31 bits, applied to the full numbers in one
 * step when both bounds agree, a plain division step when they do not.
 * Every step is unimodular, so the gcd is exact. Variable time (n is
 * public). 0 or -1.
 */
static int
bn_gcd_lehmer(BIGNUM *a0, BIGNUM *b0, BN_CTX *ctx)
{
	BIGNUM *a = a0, *b = b0, *t, *w, *tmp, *x;
	int rc = -1;

	BN_CTX_start(ctx);
	t = BN_CTX_get(ctx);
	w = BN_CTX_get(ctx);
	if ((tmp = BN_CTX_get(ctx)) == NULL)
		goto out;
	for (;;) {
		int64_t A = 1, B = 0, C = 0, D = 1, xh, yh, q, T;
		int shift;

		if (BN_cmp(a, b) < 0) {
			x = a;
			a = b;
			b = x;
		}
		if (BN_is_zero(b))
			break;
		if ((shift = BN_num_bits(a) - LEHMER_BITS) <= 0) {
			if (!BN_mod(t, a, b, ctx) || BN_copy(a, t) == NULL)
				goto out;
			continue;
		}
		if (!BN_rshift(t, a, shift) || !BN_rshift(w, b, shift))
			goto out;
		xh = (int64_t)BN_get_word(t);
		yh = (int64_t)BN_get_word(w);
		while (yh + C > 0 && yh + D > 0) {
			q = (xh + A) / (yh + C);
			if (q != (xh + B) / (yh + D))
				break;
			T = A - q * C;
			A = C;
			C = T;
			T = B - q * D;
			B = D;
			D = T;
			T = xh - q * yh;
			xh = yh;
			yh = T;
		}
		if (B == 0) {
			if (!BN_mod(t, a, b, ctx) || BN_copy(a, t) == NULL)
				goto out;
			continue;
		}
		if (!lehmer_comb(t, A, a, B, b, tmp) || !lehmer_comb(w, C, a, D, b, tmp) ||
		    BN_copy(a, t) == NULL || BN_copy(b, w) == NULL)
			goto out;
	}
	rc = a == a0 || BN_copy(a0, a) != NULL ? 0 : -1;
out:
	BN_CTX_end(ctx);
	return rc;
}

/*
 * gcd(n, product of the chunks) == 1? For odd n longer than a chunk: the
 * chunks multiplied together mod n in Montgomery form (the factors R^-1
 * it adds are powers of 2, prime to odd n, so the gcd is the same), then
 * Lehmer's gcd (variable time: n is public). 1 coprime, 0 not, -1.
 */
static int
small_coprime(const BIGNUM *n, BN_CTX *ctx)
{
	BN_MONT_CTX *mont = NULL;
	BIGNUM *acc, *a, *b;
	int i, rc = -1;

	BN_CTX_start(ctx);
	acc = BN_CTX_get(ctx);
	a = BN_CTX_get(ctx);
	if ((b = BN_CTX_get(ctx)) == NULL || (mont = BN_MONT_CTX_new()) == NULL ||
	    !BN_MONT_CTX_set(mont, n, ctx) || BN_copy(acc, small_chunk[0]) == NULL)
		goto out;
	for (i = 1; i < small_chunks; i++)
		if (!BN_mod_mul_montgomery(acc, acc, small_chunk[i], mont, ctx))
			goto out;
	if (BN_copy(a, n) == NULL || BN_copy(b, acc) == NULL || bn_gcd_lehmer(a, b, ctx) != 0)
		goto out;
	rc = BN_is_one(a);
out:
	BN_MONT_CTX_free(mont);
	BN_CTX_end(ctx);
	return rc;
}

/*
 * R22: a prime factor below limit. For the usual limit and an odd n of
 * more than SMALL_CHUNK_BITS bits (every RSA-2048 modulus): one gcd of n
 * with the product of those primes (small_coprime, about 0.1 ms, where
 * dividing by each odd number took 30 ms or more); only when it is not 1
 * is the factor looked for by trial division. Other limits, even or
 * shorter n: plain trial division (the answer is the same, only slower).
 */
int
policy_key_small_factor(const BIGNUM *n, unsigned long limit, unsigned long *factor)
{
	BN_CTX *ctx;
	int rc;

	if (n == NULL || BN_is_negative(n) || BN_is_zero(n))
		return -1;
	if (limit != POLICY_KEY_TRIAL_LIMIT || !BN_is_odd(n) ||
	    BN_num_bits(n) <= SMALL_CHUNK_BITS)
		return trial_divide(n, limit, factor);
	pthread_once(&small_chunk_once, small_chunk_make);
	if (small_chunks == 0 || (ctx = BN_CTX_new()) == NULL)
		return -1;
	rc = small_coprime(n, ctx);
	BN_CTX_free(ctx);
	if (rc == 1)
		return 0;
	return rc == 0 ? trial_divide(n, limit, factor) : -1;
}

/* floor(sqrt(x)) into r, by Newton's method; 0 or -1. */
static int
bn_isqrt(BIGNUM *r, const BIGNUM *x, BN_CTX *ctx)
{
	BIGNUM *y, *z;
	int rc = -1;

	BN_CTX_start(ctx);
	y = BN_CTX_get(ctx);
	z = BN_CTX_get(ctx);
	if (z == NULL)
		goto out;
	if (BN_is_zero(x)) {
		BN_zero(r);
		rc = 0;
		goto out;
	}
	/* y = 2^ceil(bits/2) >= sqrt(x): the iteration decreases to floor. */
	if (!BN_set_word(y, 0) || !BN_set_bit(y, (BN_num_bits(x) + 1) / 2))
		goto out;
	for (;;) {
		if (!BN_div(z, NULL, x, y, ctx) || !BN_add(z, z, y) || !BN_rshift1(z, z))
			goto out;
		if (BN_cmp(z, y) >= 0)
			break;
		if (!BN_copy(y, z))
			goto out;
	}
	rc = BN_copy(r, y) != NULL ? 0 : -1;
out:
	BN_CTX_end(ctx);
	return rc;
}

/*
 * Moduli of the perfect-square filter: 64 * 63 * 65 * 11 (fits a word).
 * A square is a square residue mod each; a number that passes all four
 * is a square with probability about 1/120 for random ones, so the square
 * root is taken in about one step in 120, not in every step.
 */
#define SQ_MOD		2882880u
static const unsigned sq_mods[4] = { 64, 63, 65, 11 };

/* 1 when r = x mod SQ_MOD may be x's residue for a square x, 0 when not. */
static int
sq_residue_ok(unsigned long r)
{
	size_t i;

	for (i = 0; i < sizeof(sq_mods) / sizeof(sq_mods[0]); i++) {
		unsigned m = sq_mods[i], y, v = (unsigned)(r % m);
		int found = 0;

		for (y = 0; y <= m / 2 && !found; y++)
			found = y * y % m == v;
		if (!found)
			return 0;
	}
	return 1;
}

/*
 * R22: Fermat: with a = ceil(sqrt(n)), n = a^2 - b^2 = (a - b)(a + b) for
 * some step a, a+1, ..., a+steps-1 when p and q are close: b2 = a^2 - n is
 * updated by 2a + 1 per step, and its square root taken only when the
 * residues allow a square (the answer is the same as taking it at every
 * step; steps is still the number of a tried).
 */
int
policy_key_fermat(const BIGNUM *n, int steps)
{
	BN_CTX *ctx;
	BIGNUM *a, *b2, *b, *t;
	BN_ULONG r;
	int i, rc = -1;

	if (n == NULL || BN_is_negative(n) || BN_is_zero(n) || (ctx = BN_CTX_new()) == NULL)
		return -1;
	BN_CTX_start(ctx);
	a = BN_CTX_get(ctx);
	b2 = BN_CTX_get(ctx);
	b = BN_CTX_get(ctx);
	t = BN_CTX_get(ctx);
	if (t == NULL || bn_isqrt(a, n, ctx) != 0 || !BN_sqr(t, a, ctx))
		goto out;
	if (BN_cmp(t, n) < 0 && (!BN_add_word(a, 1) || !BN_sqr(t, a, ctx)))
		goto out;
	if (!BN_sub(b2, t, n))
		goto out;
	for (i = 0; i < steps; i++) {
		if ((r = BN_mod_word(b2, SQ_MOD)) == (BN_ULONG)-1)
			goto out;
		if (sq_residue_ok((unsigned long)r)) {
			if (bn_isqrt(b, b2, ctx) != 0 || !BN_sqr(t, b, ctx))
				goto out;
			if (BN_cmp(t, b2) == 0) {
				/* a - b = 1 would be the trivial n = 1 * n: not a factorization */
				if (!BN_sub(t, a, b))
					goto out;
				rc = !BN_is_one(t);
				goto out;
			}
		}
		/* (a + 1)^2 - n = b2 + 2a + 1 */
		if (!BN_lshift1(t, a) || !BN_add_word(t, 1) || !BN_add(b2, b2, t) ||
		    !BN_add_word(a, 1))
			goto out;
	}
	rc = 0;
out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return rc;
}

int
policy_key_weak(EVP_PKEY *pk, char *err, size_t errlen)
{
	BIGNUM *n = NULL;
	unsigned long f = 0;
	int rc = -1, t;

	if (pk == NULL || EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1) {
		util_errf(err, errlen, "the RSA modulus cannot be read");
		goto out;
	}
	if ((t = policy_key_small_factor(n, POLICY_KEY_TRIAL_LIMIT, &f)) != 0) {
		if (t == 1)
			util_errf(err, errlen, "the RSA modulus has a small prime factor (%lu): "
			    "the key is not a product of two large primes", f);
		else
			util_errf(err, errlen, "the RSA modulus cannot be checked");
		goto out;
	}
	if ((t = policy_key_roca(n)) != 0) {
		util_errf(err, errlen, t == 1 ? "the key has the ROCA fingerprint "
		    "(CVE-2017-15361, Infineon RSALib): it can be factored, so the card "
		    "chip must be replaced" : "the RSA modulus cannot be checked");
		goto out;
	}
	if ((t = policy_key_fermat(n, POLICY_KEY_FERMAT_STEPS)) != 0) {
		util_errf(err, errlen, t == 1 ? "the RSA modulus's two primes are so close "
		    "that Fermat's method factors it" : "the RSA modulus cannot be checked");
		goto out;
	}
	rc = 0;
out:
	BN_free(n);
	ERR_clear_error();
	return rc;
}
