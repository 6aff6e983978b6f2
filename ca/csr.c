/*
 * csr: see csr.h. Order of the checks: DER first (a request we cannot
 * read has no key to speak of), then the key (R22: a refusal the clerk
 * can act on), then the proof of possession.
 *
 * Issue 15: the request is walked with ASN1_get_object and the key read
 * with d2i_RSAPublicKey into a legacy RSA EVP_PKEY, not d2i_X509_REQ. In
 * OpenSSL 3.0 (Debian 12) d2i_X509_REQ decodes the key through an
 * OSSL_DECODER context built for every call (~200 us here); this takes
 * about 2 us (measured on the 2-core bench machine, 2026-12-04). A legacy
 * key also keeps X509_set_pubkey cheap (4 us; a provider key runs an
 * OSSL_ENCODER, 500-700 us), though ca/profile.c writes the SPKI from n
 * and e and does not call it on the issuance path. The RSA_ and
 * EVP_PKEY_assign_RSA calls are deprecated in 3.0, hence
 * OPENSSL_SUPPRESS_DEPRECATED in this file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <config.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ca/csr.h"
#include "ca/policy_key.h"
#include "common/util.h"

#define CSR_RSA_BITS	2048	/* R22 */
#define CSR_RSA_E	65537	/* R22 */

/*
 * R22: exactly 2048 bits, e = 65537, and not weak (ca/policy_key.c). The
 * key is RSA: csr_parse refuses any other algorithm (RSA-PSS too) before
 * it reads one.
 */
static int
csr_key_ok(EVP_PKEY *pk, char *err, size_t errlen)
{
	BIGNUM	*e = NULL;
	int	 rc = -1;

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

/*
 * One TLV at *p, not past end: want_tag of want_class, constructed or
 * not; *start its first octet, [*c, *c + *clen) its content; *p past it.
 * -1 when malformed, of another type, or of indefinite length (not DER).
 */
static int
tlv(const unsigned char **p, const unsigned char *end, int want_tag, int want_class,
    int constructed, const unsigned char **start, const unsigned char **c, long *clen)
{
	const unsigned char *s = *p;
	long len;
	int tag, cls, r;

	if (end <= s)
		return -1;
	r = ASN1_get_object(p, &len, &tag, &cls, (long)(end - s));
	if ((r & 0x80) || r == (V_ASN1_CONSTRUCTED | 1) || tag != want_tag ||
	    cls != want_class || ((r & V_ASN1_CONSTRUCTED) != 0) != (constructed != 0))
		return -1;
	*start = s;
	*c = *p;
	*clen = len;
	*p += len;
	return 0;
}

/* An AlgorithmIdentifier's DER [s, end) as X509_ALGOR (plain ASN.1: no decoder); NULL if not exactly one. */
static X509_ALGOR *
algor(const unsigned char *s, const unsigned char *end)
{
	const unsigned char *q = s;
	X509_ALGOR *a = d2i_X509_ALGOR(NULL, &q, (long)(end - s));

	if (a != NULL && q != end) {
		X509_ALGOR_free(a);
		a = NULL;
	}
	return a;
}

/*
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm,
 * signature BIT STRING }; CertificationRequestInfo ::= SEQUENCE { version INTEGER (0),
 * subject Name, subjectPKInfo SubjectPublicKeyInfo, attributes [0] IMPLICIT SET OF }
 * (RFC 2986). The subject and attributes are skipped, not read.
 */
int
csr_parse(const unsigned char *der, size_t len, EVP_PKEY **key, const char **rule,
    char *err, size_t errlen)
{
	const unsigned char	*p = der, *end, *s, *c, *q, *qend, *cri, *cri_end, *r, *rend;
	const unsigned char	*alg_s, *key_c, *sig_c, *spki, *spki_end;
	long			 clen, key_len, sig_len;
	X509_ALGOR		*kalg = NULL, *salg = NULL;
	RSA			*rsa = NULL;
	EVP_PKEY		*pk = NULL;
	EVP_MD_CTX		*mctx = NULL;
	const EVP_MD		*md;
	int			 rc = -1, knid, mdnid, pknid;

	*key = NULL;
	*rule = NULL;
	if (der == NULL || len == 0 || len > LONG_MAX) {
		util_errf(err, errlen, "CSR: empty");
		goto out;
	}
	end = der + len;
	if (tlv(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &s, &c, &clen) != 0)
		goto malformed;
	if (p != end) {
		util_errf(err, errlen, "CSR: %zu trailing bytes after the request",
		    len - (size_t)(p - der));
		goto out;
	}
	q = c;
	qend = c + clen;
	/* certificationRequestInfo: the signed octets */
	if (tlv(&q, qend, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &cri, &r, &clen) != 0)
		goto malformed;
	cri_end = q;
	rend = r + clen;
	if (tlv(&r, rend, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, 0, &s, &c, &clen) != 0 ||
	    clen != 1 || c[0] != 0)
		goto malformed;		/* version 0 (v1) */
	if (tlv(&r, rend, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &s, &c, &clen) != 0)
		goto malformed;		/* subject: ignored (R23) */
	if (tlv(&r, rend, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &spki, &c, &clen) != 0)
		goto malformed;
	spki_end = r;
	if (tlv(&r, rend, 0, V_ASN1_CONTEXT_SPECIFIC, 1, &s, &c, &clen) != 0 || r != rend)
		goto malformed;		/* attributes: ignored */
	/* subjectPKInfo: algorithm, subjectPublicKey */
	q = spki;
	if (tlv(&q, spki_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &s, &c, &clen) != 0)
		goto malformed;
	r = c;
	rend = c + clen;
	if (tlv(&r, rend, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &alg_s, &c, &clen) != 0 ||
	    (kalg = algor(alg_s, r)) == NULL ||
	    tlv(&r, rend, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL, 0, &s, &key_c, &key_len) != 0 ||
	    r != rend || key_len < 1 || key_c[0] != 0)
		goto malformed;
	/* R22 (err without the rule id: callers print "<rule>: <err>") */
	knid = OBJ_obj2nid(kalg->algorithm);
	if (knid == NID_undef) {
		util_errf(err, errlen, "CSR: unreadable public key");
		goto out;
	}
	if (knid != NID_rsaEncryption) {
		util_errf(err, errlen, "the key must be RSA (rsaEncryption), not %s",
		    OBJ_nid2sn(knid));
		*rule = "R22";
		goto out;
	}
	s = key_c + 1;
	if ((rsa = d2i_RSAPublicKey(NULL, &s, key_len - 1)) == NULL || s != key_c + key_len) {
		util_errf(err, errlen, "CSR: unreadable public key");
		goto out;
	}
	if ((pk = EVP_PKEY_new()) == NULL || EVP_PKEY_assign_RSA(pk, rsa) != 1) {
		util_errf(err, errlen, "CSR: out of memory");
		goto out;
	}
	rsa = NULL;	/* pk's now */
	if (csr_key_ok(pk, err, errlen) == -1) {
		*rule = "R22";
		goto out;
	}
	/* signatureAlgorithm, signature: RSA PKCS#1 v1.5 with SHA-1 or SHA-2 */
	q = cri_end;
	if (tlv(&q, qend, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &alg_s, &c, &clen) != 0 ||
	    (salg = algor(alg_s, q)) == NULL ||
	    tlv(&q, qend, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL, 0, &s, &sig_c, &sig_len) != 0 ||
	    q != qend || sig_len < 1 || sig_c[0] != 0)
		goto malformed;
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(salg->algorithm), &mdnid, &pknid) ||
	    pknid != NID_rsaEncryption || (mdnid != NID_sha1 && mdnid != NID_sha224 &&
	    mdnid != NID_sha256 && mdnid != NID_sha384 && mdnid != NID_sha512) ||
	    (md = EVP_get_digestbynid(mdnid)) == NULL || (mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, md, NULL, pk) != 1 ||
	    EVP_DigestVerify(mctx, sig_c + 1, (size_t)sig_len - 1, cri,
	    (size_t)(cri_end - cri)) != 1) {
		util_errf(err, errlen, "CSR signature does not verify (proof of "
		    "possession)");
		goto out;
	}
	*key = pk;
	pk = NULL;
	rc = 0;
	goto out;
malformed:
	util_errf(err, errlen, "CSR: not a DER PKCS#10 request");
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	X509_ALGOR_free(kalg);
	X509_ALGOR_free(salg);
	RSA_free(rsa);
	EVP_PKEY_free(pk);
	return rc;
}
