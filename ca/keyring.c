/*
 * keyring: see keyring.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/keyring.h"
#include "ca/pinreset.h"

X509 *
keyring_read_cert(const char *path, char *err, size_t errlen)
{
	FILE *f;
	X509 *x;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open certificate", path);
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		snprintf(err, errlen, "%s: not a PEM certificate", path);
	return x;
}

static int
load_pair(const char *what, const struct keyring_spec *s, struct keypair *kp,
    char *err, size_t errlen)
{
	char sub[512], pinbuf[256], *pin = NULL;
	int rc = -1;

	if ((kp->cert = keyring_read_cert(s->cert, sub, sizeof(sub))) == NULL) {
		snprintf(err, errlen, "%s: %s", what, sub);
		goto out;
	}
	if (s->pin_file != NULL && *s->pin_file != '\0') {
		if (signer_read_pin(s->pin_file, pinbuf, sizeof(pinbuf), sub,
		    sizeof(sub)) != 0) {
			snprintf(err, errlen, "%s: %s", what, sub);
			goto out;
		}
		pin = pinbuf;
	}
	if (signer_open(s->key, pin, &kp->key, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen, "%s: %s", what, sub);
		goto out;
	}
	if (signer_matches_cert(kp->key, kp->cert) != 1) {
		snprintf(err, errlen, "%s: key does not match certificate %s", what, s->cert);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(pinbuf, sizeof(pinbuf));
	return rc;
}

/* An issuing CA must be a CA; its responder must be issued by it. */
static int
check_pair(const char *what, const struct keypair *ca, const struct keypair *ocsp,
    char *err, size_t errlen)
{
	EVP_PKEY *capub = X509_get0_pubkey(ca->cert);

	if (X509_check_ca(ca->cert) < 1) {
		snprintf(err, errlen, "%s CA certificate is not a CA certificate", what);
		return -1;
	}
	if (capub == NULL || X509_verify(ocsp->cert, capub) != 1 ||
	    X509_check_issued(ca->cert, ocsp->cert) != X509_V_OK) {
		ERR_clear_error();
		snprintf(err, errlen, "%s OCSP responder certificate is not issued by the %s CA",
		    what, what);
		return -1;
	}
	if ((X509_get_extended_key_usage(ocsp->cert) & XKU_OCSP_SIGN) == 0) {
		snprintf(err, errlen, "%s OCSP responder certificate lacks id-kp-OCSPSigning", what);
		return -1;
	}
	return 0;
}

/*
 * R16a: the PIN reset authority is a delegated end-entity certificate of
 * the AUTH CA (cards trust that CA) with EKU PINRESET_EKU_OID and
 * digitalSignature; anything else would make cards reject its tokens.
 */
static int
check_pinreset(const struct keypair *ca, const struct keypair *pr, char *err, size_t errlen)
{
	EVP_PKEY *capub = X509_get0_pubkey(ca->cert);
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *want;
	int i, found = 0;

	if (capub == NULL || X509_verify(pr->cert, capub) != 1 ||
	    X509_check_issued(ca->cert, pr->cert) != X509_V_OK) {
		ERR_clear_error();
		snprintf(err, errlen, "pinreset certificate is not issued by the AUTH CA");
		return -1;
	}
	if (X509_check_ca(pr->cert) != 0) {
		snprintf(err, errlen, "pinreset certificate must not be a CA certificate");
		return -1;
	}
	if ((X509_get_key_usage(pr->cert) & KU_DIGITAL_SIGNATURE) == 0) {
		snprintf(err, errlen, "pinreset certificate lacks keyUsage digitalSignature");
		return -1;
	}
	eku = X509_get_ext_d2i(pr->cert, NID_ext_key_usage, NULL, NULL);
	want = OBJ_txt2obj(PINRESET_EKU_OID, 1);
	for (i = 0; eku != NULL && want != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0)
			found = 1;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_OBJECT_free(want);
	ERR_clear_error();
	if (!found) {
		snprintf(err, errlen, "pinreset certificate lacks the PIN reset EKU %s",
		    PINRESET_EKU_OID);
		return -1;
	}
	return 0;
}

int
keyring_load(const struct keyring_spec *sign_ca, const struct keyring_spec *auth_ca,
    const struct keyring_spec *sign_ocsp, const struct keyring_spec *auth_ocsp,
    const struct keyring_spec *pinreset, struct keyring **out, char *err, size_t errlen)
{
	struct keyring *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_pair("ca.sign", sign_ca, &kr->sign_ca, err, errlen) != 0 ||
	    load_pair("ca.auth", auth_ca, &kr->auth_ca, err, errlen) != 0 ||
	    load_pair("ocsp.sign", sign_ocsp, &kr->sign_ocsp, err, errlen) != 0 ||
	    load_pair("ocsp.auth", auth_ocsp, &kr->auth_ocsp, err, errlen) != 0 ||
	    check_pair("SIGN", &kr->sign_ca, &kr->sign_ocsp, err, errlen) != 0 ||
	    check_pair("AUTH", &kr->auth_ca, &kr->auth_ocsp, err, errlen) != 0) {
		keyring_free(kr);
		return -1;
	}
	if (pinreset != NULL && pinreset->cert != NULL && *pinreset->cert != '\0' &&
	    (load_pair("pinreset", pinreset, &kr->pinreset, err, errlen) != 0 ||
	    check_pinreset(&kr->auth_ca, &kr->pinreset, err, errlen) != 0)) {
		keyring_free(kr);
		return -1;
	}
	*out = kr;
	return 0;
}

int
keyring_load_audit(struct keyring *kr, const struct keyring_spec *audit, char *err, size_t errlen)
{
	unsigned int n = 0;

	if (load_pair("audit", audit, &kr->audit, err, errlen) != 0)
		return -1;
	if (X509_check_ca(kr->audit.cert) != 0) {
		snprintf(err, errlen, "audit certificate must not be a CA certificate");
		return -1;
	}
	if ((X509_get_key_usage(kr->audit.cert) & KU_DIGITAL_SIGNATURE) == 0) {
		snprintf(err, errlen, "audit certificate lacks keyUsage digitalSignature");
		return -1;
	}
	if (X509_digest(kr->audit.cert, EVP_sha256(), kr->audit_sha256, &n) != 1 ||
	    n != sizeof(kr->audit_sha256)) {
		ERR_clear_error();
		snprintf(err, errlen, "audit certificate: cannot hash it");
		return -1;
	}
	return 0;
}

static void
free_pair(struct keypair *kp)
{
	X509_free(kp->cert);
	signer_free(kp->key);
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	free_pair(&kr->sign_ca);
	free_pair(&kr->auth_ca);
	free_pair(&kr->sign_ocsp);
	free_pair(&kr->auth_ocsp);
	free_pair(&kr->pinreset);
	free_pair(&kr->audit);
	free(kr);
}
