/*
 * profile_issue: profile_issue() and its lint key (see profile.h). The
 * certificate ca/profile.c builds is issued the Boulder way: a throwaway
 * signature, the lint over the structure (the key read from its encoded
 * SPKI), the real signature on that same certificate, a byte-for-byte
 * comparison of its TBSCertificate with the linted bytes, and the CA
 * signature verified.
 */
#include <config.h>

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/lint.h"
#include "ca/profile.h"
#include "ca/profile_int.h"
#include "ca/signer.h"

#define PF_LINT_BITS	512	/* the throwaway key: only the TBS matters */

EVP_PKEY *
profile_lint_key_new(void)
{
	/* EVP_PKEY_Q_keygen "RSA": e = 65537. */
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)PF_LINT_BITS);
}

/* DER of x's TBSCertificate as it stands (re-encoded); -1 on failure. */
static int
pf_tbs(X509 *x, unsigned char **out)
{
	*out = NULL;
	return i2d_re_X509_tbs(x, out);
}

/*
 * Sign x with the lint key (which sets both signature AlgorithmIdentifiers
 * as the CA's signature will) and lint the structure built (issue 15:
 * parsing the DER back cost an OSSL_DECODER context per certificate in
 * OpenSSL 3.0, about 200 us, and found nothing the structure does not
 * say: i2d and d2i of our own DER agree). *tbs is the linted
 * TBSCertificate as it encodes now (NULL on failure, p->rule set when the
 * lint refused); profile_issue checks the CA signs exactly those octets.
 */
static int
pf_lint(struct pf *p, X509 *x, EVP_PKEY *lint_key, unsigned char **tbs, int *ntbs)
{
	*tbs = NULL;
	if (X509_sign(x, lint_key, EVP_sha256()) <= 0) {
		pf_ossl(p, "signature with the lint key");
		return -1;
	}
	if (lint_cert(x, p->req, p->err, p->errlen) == -1) {
		p->rule = 1;
		return -1;
	}
	if ((*ntbs = pf_tbs(x, tbs)) <= 0) {
		pf_ossl(p, "TBS encoding");
		return -1;
	}
	return 0;
}

int
profile_issue(const struct profile_req *req, struct signer *ca, EVP_PKEY *lint_key,
    unsigned char **der, size_t *derlen, int *lint_failed, char *err, size_t errlen)
{
	struct pf	 p;
	X509		*x = NULL;
	unsigned char	*tbs_lint = NULL, *tbs_real = NULL, *out = NULL;
	int		 nlint, nreal, len, rc = -1;

	memset(&p, 0, sizeof(p));
	p.req = req;
	p.err = err;
	p.errlen = errlen;
	*der = NULL;
	*derlen = 0;
	*lint_failed = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (ca == NULL || lint_key == NULL) {
		pf_err(&p, "profile: no CA signer or lint key");
		goto out;
	}
	if ((x = pf_build(&p, 1)) == NULL)
		goto out;
	if (pf_lint(&p, x, lint_key, &tbs_lint, &nlint) != 0)
		goto out;
	/* Linted and fine; from here on only the CA may touch it. */
	if (!signer_matches_cert(ca, req->issuer)) {
		pf_err(&p, "profile: the CA signer's key is not the issuing CA "
		    "certificate's key");
		goto out;
	}
	if (signer_sign_x509(ca, x) == -1) {
		pf_ossl(&p, "CA signature");
		goto out;
	}
	if ((nreal = pf_tbs(x, &tbs_real)) <= 0) {
		pf_ossl(&p, "TBS encoding");
		goto out;
	}
	if (nreal != nlint || memcmp(tbs_lint, tbs_real, (size_t)nlint) != 0) {
		pf_err(&p, "profile: the signed TBSCertificate differs from the "
		    "linted one (signature algorithm of the CA key?)");
		goto out;
	}
	/* An HSM or key fault must not leave the CA unnoticed. */
	if (X509_verify(x, X509_get0_pubkey(req->issuer)) != 1) {
		pf_ossl(&p, "verifying the CA signature");
		goto out;
	}
	if ((len = i2d_X509(x, &out)) <= 0) {
		pf_ossl(&p, "DER encoding");
		goto out;
	}
	*der = out;
	*derlen = (size_t)len;
	out = NULL;
	rc = 0;
out:
	if (rc == -1 && p.rule)
		*lint_failed = 1;
	OPENSSL_free(out);
	OPENSSL_free(tbs_real);
	OPENSSL_free(tbs_lint);
	X509_free(x);
	return rc;
}
