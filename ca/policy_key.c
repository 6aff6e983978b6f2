/*
 * policy_key: see policy_key.h. R22 (Decision): weak RSA keys are refused
 * at CSR time, before anything is signed.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

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

/* R22: one key, one fingerprint: SHA-256 of the SPKI DER OpenSSL encodes. */
int
policy_key_fingerprint(EVP_PKEY *pk, unsigned char fp[POLICY_KEY_FP_LEN])
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	int len, rc = -1;

	if (pk == NULL || (len = i2d_PUBKEY(pk, &der)) <= 0)
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

/* The product of every prime below POLICY_KEY_TRIAL_LIMIT, made once. */
static BIGNUM *small_primorial;
static pthread_once_t small_primorial_once = PTHREAD_ONCE_INIT;

static void
small_primorial_make(void)
{
	static unsigned char composite[POLICY_KEY_TRIAL_LIMIT];
	BIGNUM *p = BN_new();
	unsigned long i, j;

	if (p == NULL || !BN_one(p))
		goto fail;
	for (i = 2; i < POLICY_KEY_TRIAL_LIMIT; i++) {
		if (composite[i])
			continue;
		for (j = i * i; j < POLICY_KEY_TRIAL_LIMIT; j += i)
			composite[j] = 1;
		if (!BN_mul_word(p, (BN_ULONG)i))
			goto fail;
	}
	small_primorial = p;
	return;
fail:
	BN_free(p);
}

/*
 * R22: a prime factor below limit. For the usual limit, one gcd with the
 * product of those primes (about 0.1 ms for RSA-2048, where dividing by
 * each odd number took 30 ms or more); only when it is not 1 is the factor
 * looked for by division, in g. Other limits: plain trial division.
 */
int
policy_key_small_factor(const BIGNUM *n, unsigned long limit, unsigned long *factor)
{
	BN_CTX *ctx;
	BIGNUM *g;
	int rc = -1;

	if (n == NULL || BN_is_negative(n) || BN_is_zero(n))
		return -1;
	if (limit != POLICY_KEY_TRIAL_LIMIT)
		return trial_divide(n, limit, factor);
	pthread_once(&small_primorial_once, small_primorial_make);
	if (small_primorial == NULL || (ctx = BN_CTX_new()) == NULL)
		return -1;
	BN_CTX_start(ctx);
	/* gcd(n, P) = gcd(n, P mod n): BN_gcd is constant-time in the larger size */
	if ((g = BN_CTX_get(ctx)) == NULL || !BN_mod(g, small_primorial, n, ctx) ||
	    !BN_gcd(g, n, g, ctx))
		goto out;
	if (BN_is_one(g))
		rc = 0;
	else if (BN_cmp(g, n) == 0 && BN_num_bits(n) <= 16)
		rc = 0;		/* n is itself a small prime */
	else
		rc = trial_divide(n, limit, factor);
out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return rc;
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
 * R22: Fermat: with a = ceil(sqrt(n)), n = a^2 - b^2 = (a - b)(a + b) for
 * some step a, a+1, ... when p and q are close. steps tries.
 */
int
policy_key_fermat(const BIGNUM *n, int steps)
{
	BN_CTX *ctx;
	BIGNUM *a, *b2, *b, *t;
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
	if (BN_cmp(t, n) < 0 && !BN_add_word(a, 1))
		goto out;
	for (i = 0; i < steps; i++) {
		if (!BN_sqr(t, a, ctx) || !BN_sub(b2, t, n) || bn_isqrt(b, b2, ctx) != 0 ||
		    !BN_sqr(t, b, ctx))
			goto out;
		if (BN_cmp(t, b2) == 0) {
			/* a - b = 1 would be the trivial n = 1 * n: not a factorization */
			if (!BN_sub(t, a, b))
				goto out;
			rc = !BN_is_one(t);
			goto out;
		}
		if (!BN_add_word(a, 1))
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
