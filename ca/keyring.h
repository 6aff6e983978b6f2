/*
 * keyring: the key pairs jpkid signs with: the SIGN and AUTH issuing CAs,
 * their delegated OCSP responders, and (optional) the PIN reset authority
 * of R16a (ca/pinreset.h) and the audit checkpoint signer. Each is a certificate plus a
 * signer (ca/signer.h) whose public key must match it; loading refuses a
 * mismatch, an OCSP certificate not issued by its CA, or an issuing CA
 * certificate that is not a CA. Reloaded whole on SIGHUP: a new keyring is
 * built and swapped in only when every pair loads.
 */
#ifndef JPKI_KEYRING_H
#define JPKI_KEYRING_H

#include <stddef.h>
#include <openssl/x509.h>

#include "ca/signer.h"

struct keypair {
	X509		*cert;
	struct signer	*key;
};

struct keyring {
	struct keypair	sign_ca, auth_ca, sign_ocsp, auth_ocsp;
	/* R16a: issued by the AUTH CA, EKU PINRESET_EKU_OID; cert NULL when not configured. */
	struct keypair	pinreset;
	/* Audit checkpoint signer (api/operators/audit_seal.c); cert NULL when not configured. */
	struct keypair	audit;
	unsigned char	audit_sha256[32];	/* SHA-256 of the audit certificate's DER */
};

struct keyring_spec {		/* paths as in the config file */
	const char *cert, *key, *pin_file;
};

/*
 * Load the four pairs and, when pinreset is not NULL and names a cert, the
 * PIN reset authority (issued by the AUTH CA, EKU PINRESET_EKU_OID,
 * digitalSignature). Returns 0 and *out, or -1 with a message naming the
 * failing pair and file in err (never a PIN or key material).
 */
int	keyring_load(const struct keyring_spec *sign_ca, const struct keyring_spec *auth_ca,
	    const struct keyring_spec *sign_ocsp, const struct keyring_spec *auth_ocsp,
	    const struct keyring_spec *pinreset, struct keyring **out, char *err, size_t errlen);
/*
 * Add the audit checkpoint signer to kr: an end-entity certificate (not a
 * CA) with keyUsage digitalSignature whose key the signer holds (PEM or
 * PKCS#11). 0, or -1 with err (kr unchanged but for kr->audit, which
 * keyring_free releases).
 */
int	keyring_load_audit(struct keyring *kr, const struct keyring_spec *audit,
	    char *err, size_t errlen);
/* Accepts NULL. */
void	keyring_free(struct keyring *);
/* Load one PEM certificate file; NULL with err on failure. */
X509	*keyring_read_cert(const char *path, char *err, size_t errlen);

#endif
