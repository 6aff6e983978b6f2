/*
 * signer: CA signing keys behind one interface, with backends in a table of
 * operations (as Redis' ConnectionType): a PEM file (development) and a
 * PKCS#11 URI through libp11 (production HSMs; SoftHSM2 in tests).
 *
 * The interface is deliberately narrow ("sign these bytes / this TBS with
 * this key") so that it can later move into a separate, sandboxed process.
 * No function here ever logs, returns or writes private key material or a
 * PIN.
 *
 * Key specification strings:
 *   /path/key.pem  or  file:/path/key.pem      PEM private key (PKCS#8 or traditional)
 *   pkcs11:token=T;object=L[;id=%01]?module-path=/usr/lib/softhsm/libsofthsm2.so
 *        [&pin-value=1234 | &pin-source=file:/path]   RFC 7512 URI
 * A PIN given to signer_open() overrides pin-value/pin-source.
 *
 * Thread safety: every signing call takes the signer's own mutex.
 */
#ifndef JPKI_SIGNER_H
#define JPKI_SIGNER_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/ocsp.h>

struct signer;

/*
 * Open the key named by spec. Returns 0 and *out, or -1 with a message in
 * err (which never contains the PIN).
 */
int		 signer_open(const char *spec, const char *pin, struct signer **out,
		    char *err, size_t errlen);
/* Accepts NULL. */
void		 signer_free(struct signer *);
/*
 * Read a PIN from a file ("/path" or "file:/path"): its first line, without
 * the line end, into pin (pinlen bytes). 0, or -1 with err naming the file
 * (never its contents); an empty first line is an error. The caller
 * OPENSSL_cleanse()s pin when done.
 */
int		 signer_read_pin(const char *src, char *pin, size_t pinlen,
		    char *err, size_t errlen);
/* "pem" or "pkcs11". */
const char	*signer_backend(const struct signer *);
/* The public key (borrowed; valid until signer_free). */
EVP_PKEY	*signer_public_key(struct signer *);
/* 1 when cert's public key is this signer's key, 0 if not. */
int		 signer_matches_cert(struct signer *, X509 *cert);

/*
 * Sign data with md (RSA PKCS#1 v1.5 for RSA keys). On success returns 0 and
 * a malloc'd (OPENSSL_malloc) signature the caller OPENSSL_free()s.
 */
int		 signer_sign(struct signer *, const EVP_MD *md, const unsigned char *data,
		    size_t len, unsigned char **sig, size_t *siglen);
/* Sign an X509 / CRL / OCSP basic response in place with sha256. 0 on success. */
int		 signer_sign_x509(struct signer *, X509 *);
int		 signer_sign_crl(struct signer *, X509_CRL *);
int		 signer_sign_ocsp(struct signer *, OCSP_BASICRESP *, X509 *signer_cert,
		    STACK_OF(X509) *certs, unsigned long flags);

#endif
