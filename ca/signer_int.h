/*
 * signer internals: the backend operations table (as Redis' ConnectionType)
 * and the RFC 7512 PKCS#11 URI parser. Not for use outside ca/signer*.c,
 * ca/pkcs11_uri.c and their unit tests.
 */
#ifndef JPKI_SIGNER_INT_H
#define JPKI_SIGNER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <openssl/evp.h>

struct signer;

/*
 * One backend. open() fills s->key (the private key handle used for
 * signing; for PKCS#11 it carries no private material, only a reference to
 * the token object) and s->pub (a plain public key), and may set s->priv.
 * On failure it writes a message to err (never a PIN or key material) and
 * leaves whatever it allocated for close() to release. close() accepts a
 * partly opened signer.
 */
struct signer_ops {
	const char	*name;
	/* 1 when this backend handles spec. */
	int		(*accepts)(const char *spec);
	int		(*open)(struct signer *, const char *spec, const char *pin,
			    char *err, size_t errlen);
	void		(*close)(struct signer *);
	/* Raw signature over data (digest computed with md); caller holds *lock. */
	int		(*sign)(struct signer *, const EVP_MD *, const unsigned char *,
			    size_t, unsigned char **, size_t *);
};

struct signer {
	const struct signer_ops	*ops;
	EVP_PKEY		*key;	/* signing handle */
	EVP_PKEY		*pub;	/* public key only, provider-native */
	/*
	 * The signer's mutex. PEM: own_lock. PKCS#11: the lock of the shared
	 * module context, because libp11 sessions of one module are not safe
	 * to use from two threads at once and two signers may share a token.
	 */
	pthread_mutex_t		*lock;
	pthread_mutex_t		 own_lock;
	void			*priv;
};

extern const struct signer_ops signer_pem_ops;
extern const struct signer_ops signer_pkcs11_ops;

/* Shared by backends: EVP_DigestSign with s->key. */
int	signer_evp_sign(struct signer *, const EVP_MD *, const unsigned char *,
	    size_t, unsigned char **, size_t *);
/* Sets s->pub to a provider-native public-only copy of from. 0 or -1. */
int	signer_set_public(struct signer *, EVP_PKEY *from);
/* printf into err: util_errf (common/util.h). */
#include "common/util.h"
#define signer_err util_errf

/*
 * RFC 7512 PKCS#11 URI, restricted to what the signer uses:
 *   path attributes  token, object, id, type
 *   query attributes module-path, pin-value, pin-source
 * Values are percent-decoded. Any other attribute, a repeated attribute, a
 * bad percent escape or a missing token= is an error. Text values may not
 * contain NUL after decoding; id is raw bytes.
 */
struct pkcs11_uri {
	char		*token;
	char		*object;
	unsigned char	*id;
	size_t		 idlen;
	char		*type;		/* private, public, cert, secret-key or data */
	char		*module_path;
	char		*pin_value;	/* secret: wiped on free, never printed */
	char		*pin_source;	/* "file:/path" or "/path" */
};

/*
 * Parse uri into *out (zeroed first). Returns 0, or -1 with a message in
 * err that names the attribute at fault but never quotes a pin-value.
 * On -1, *out holds nothing that needs freeing.
 */
int	pkcs11_uri_parse(const char *uri, struct pkcs11_uri *out, char *err,
	    size_t errlen);
/* Frees the members (wiping pin_value) and zeroes *u. Accepts NULL. */
void	pkcs11_uri_free(struct pkcs11_uri *u);

#endif
