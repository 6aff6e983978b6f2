/*
 * signer: the generic half. Picks a backend from the spec, owns the mutex,
 * and does the X.509 / CRL / OCSP signing with the backend's EVP_PKEY.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/signer.h"
#include "ca/signer_int.h"

/* Order matters: the PEM backend accepts anything that is not a URI. */
static const struct signer_ops *const signer_backends[] = {
	&signer_pkcs11_ops,
	&signer_pem_ops,
	NULL
};

int
signer_open(const char *spec, const char *pin, struct signer **out,
    char *err, size_t errlen)
{
	struct signer	*s = NULL;
	size_t		 i;
	int		 rc = -1;

	*out = NULL;
	if (spec == NULL || *spec == '\0') {
		signer_err(err, errlen, "signer: empty key specification");
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		signer_err(err, errlen, "signer: out of memory");
		goto out;
	}
	if (pthread_mutex_init(&s->own_lock, NULL) != 0) {
		free(s);
		s = NULL;
		signer_err(err, errlen, "signer: cannot create mutex");
		goto out;
	}
	s->lock = &s->own_lock;
	for (i = 0; signer_backends[i] != NULL; i++)
		if (signer_backends[i]->accepts(spec))
			break;
	if (signer_backends[i] == NULL) {
		signer_err(err, errlen, "signer: no backend for this key "
		    "specification");
		goto out;
	}
	s->ops = signer_backends[i];
	if (s->ops->open(s, spec, pin, err, errlen) == -1)
		goto out;
	if (s->key == NULL || s->pub == NULL) {
		signer_err(err, errlen, "signer: %s backend opened no key",
		    s->ops->name);
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	signer_free(s);
	return rc;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL)
		s->ops->close(s);
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->pub);
	pthread_mutex_destroy(&s->own_lock);
	free(s);
}

const char *
signer_backend(const struct signer *s)
{
	return s->ops->name;
}

EVP_PKEY *
signer_public_key(struct signer *s)
{
	return s->pub;
}

int
signer_matches_cert(struct signer *s, X509 *cert)
{
	EVP_PKEY *cpub;

	if (cert == NULL || (cpub = X509_get0_pubkey(cert)) == NULL)
		return 0;
	return EVP_PKEY_eq(s->pub, cpub) == 1;
}

int
signer_set_public(struct signer *s, EVP_PKEY *from)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	int			 len;

	/*
	 * Round-trip through SubjectPublicKeyInfo: the result holds no private
	 * part and no backend (engine / RSA_METHOD) reference, so callers can
	 * put it into certificates and compare it freely.
	 */
	if ((len = i2d_PUBKEY(from, &der)) <= 0)
		return -1;
	p = der;
	s->pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	return s->pub == NULL ? -1 : 0;
}

int
signer_evp_sign(struct signer *s, const EVP_MD *md, const unsigned char *data,
    size_t len, unsigned char **sig, size_t *siglen)
{
	EVP_MD_CTX	*ctx = NULL;
	unsigned char	*buf = NULL;
	size_t		 n = 0;
	int		 rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, md, NULL, s->key) != 1)
		goto out;
	if (EVP_DigestSign(ctx, NULL, &n, data, len) != 1)
		goto out;
	if ((buf = OPENSSL_malloc(n)) == NULL)
		goto out;
	if (EVP_DigestSign(ctx, buf, &n, data, len) != 1)
		goto out;
	*sig = buf;
	*siglen = n;
	buf = NULL;
	rc = 0;
out:
	OPENSSL_free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
signer_sign(struct signer *s, const EVP_MD *md, const unsigned char *data,
    size_t len, unsigned char **sig, size_t *siglen)
{
	int rc;

	*sig = NULL;
	*siglen = 0;
	pthread_mutex_lock(s->lock);
	rc = s->ops->sign(s, md, data, len, sig, siglen);
	pthread_mutex_unlock(s->lock);
	return rc;
}

/* R22: every certificate, CRL and OCSP response is sha256WithRSAEncryption. */
int
signer_sign_x509(struct signer *s, X509 *x)
{
	int ok;

	pthread_mutex_lock(s->lock);
	ok = X509_sign(x, s->key, EVP_sha256()) > 0;
	pthread_mutex_unlock(s->lock);
	return ok ? 0 : -1;
}

int
signer_sign_crl(struct signer *s, X509_CRL *crl)
{
	int ok;

	pthread_mutex_lock(s->lock);
	ok = X509_CRL_sign(crl, s->key, EVP_sha256()) > 0;
	pthread_mutex_unlock(s->lock);
	return ok ? 0 : -1;
}

int
signer_sign_ocsp(struct signer *s, OCSP_BASICRESP *bs, X509 *signer_cert,
    STACK_OF(X509) *certs, unsigned long flags)
{
	int ok;

	pthread_mutex_lock(s->lock);
	ok = OCSP_basic_sign(bs, signer_cert, s->key, EVP_sha256(), certs,
	    flags) == 1;
	pthread_mutex_unlock(s->lock);
	return ok ? 0 : -1;
}
