/*
 * csr: see csr.h. Order of the checks: DER first (a request we cannot
 * read has no key to speak of), then the key (R22: a refusal the clerk
 * can act on), then the proof of possession.
 */
#include <config.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/csr.h"
#include "ca/policy_key.h"
#include "common/util.h"

#define CSR_RSA_BITS	2048	/* R22 */
#define CSR_RSA_E	65537	/* R22 */

/*
 * R22: RSA (rsaEncryption, not RSA-PSS), exactly 2048 bits, e = 65537,
 * and not weak (ca/policy_key.c).
 */
static int
csr_key_ok(EVP_PKEY *pk, char *err, size_t errlen)
{
	BIGNUM	*e = NULL;
	int	 rc = -1;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		util_errf(err, errlen, "the key must be RSA (rsaEncryption), "
		    "not %s", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		goto out;
	}
	if (EVP_PKEY_get_bits(pk) != CSR_RSA_BITS) {
		util_errf(err, errlen, "the RSA key must have %d bits, not %d",
		    CSR_RSA_BITS, EVP_PKEY_get_bits(pk));
		goto out;
	}
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
	    !BN_is_word(e, CSR_RSA_E)) {
		util_errf(err, errlen, "the RSA public exponent must be %d",
		    CSR_RSA_E);
		goto out;
	}
	/* R22 (Decision): no weak keys (ROCA, small factors, close primes). */
	if (policy_key_weak(pk, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	BN_free(e);
	return rc;
}

int
csr_parse(const unsigned char *der, size_t len, EVP_PKEY **key, const char **rule,
    char *err, size_t errlen)
{
	const unsigned char	*p = der;
	X509_REQ		*req = NULL;
	EVP_PKEY		*pk;
	int			 rc = -1;

	*key = NULL;
	*rule = NULL;
	if (der == NULL || len == 0 || len > LONG_MAX) {
		util_errf(err, errlen, "CSR: empty");
		goto out;
	}
	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL) {
		util_errf(err, errlen, "CSR: not a DER PKCS#10 request");
		goto out;
	}
	if (p != der + len) {
		util_errf(err, errlen, "CSR: %zu trailing bytes after the request",
		    len - (size_t)(p - der));
		goto out;
	}
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL) {
		util_errf(err, errlen, "CSR: unreadable public key");
		goto out;
	}
	/* err without the rule id: callers print "<rule>: <err>". */
	if (csr_key_ok(pk, err, errlen) == -1) {
		*rule = "R22";
		goto out;
	}
	if (X509_REQ_verify(req, pk) != 1) {
		util_errf(err, errlen, "CSR signature does not verify (proof of "
		    "possession)");
		goto out;
	}
	if (EVP_PKEY_up_ref(pk) != 1) {
		util_errf(err, errlen, "CSR: out of memory");
		goto out;
	}
	*key = pk;
	rc = 0;
out:
	ERR_clear_error();
	X509_REQ_free(req);
	return rc;
}
