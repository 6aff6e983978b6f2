/*
 * devca: the development hierarchy that `jpkictl init --dir D` creates.
 *
 * In D (created 0700 if missing; keys 0600, certificates 0644):
 *   sign-ca.key sign-ca.crt       self-signed SIGN issuing CA (docs/rules.md R23 name:
 *                                 C=JP, O=JPKI, OU=JPKI for digital signature,
 *                                 OU=Japan Agency for Local Authority Information Systems)
 *   auth-ca.key auth-ca.crt       self-signed AUTH issuing CA (OU=JPKI for user authentication)
 *   sign-ocsp.key sign-ocsp.crt   OCSP responder for SIGN (id-kp-OCSPSigning, ocsp-nocheck)
 *   auth-ocsp.key auth-ocsp.crt   OCSP responder for AUTH
 *   client-ca.key client-ca.crt   CA for terminals, register feeds, relying parties, operators
 *   server.key server.crt         TLS server certificate for the API listener (issued by client CA;
 *                                 SAN DNS:localhost, IP:127.0.0.1, IP:::1)
 *   terminal-<code>.key/.crt      one terminal per sample municipality (two municipalities)
 *   feed.key feed.crt             the register feed
 *   rp.key rp.crt                 a relying party
 *   operator.key operator.crt     an operator
 *   pinreset.key pinreset.crt     R16a PIN reset authority (issued by the AUTH CA;
 *                                 digitalSignature, EKU PINRESET_EKU_OID, 1 year)
 *   kiosk.key kiosk.crt           a convenience-store kiosk (SIGN PIN resets only)
 *   kiosk-auth.key kiosk-auth.crt a kiosk that also resets AUTH PINs (manifest kind kiosk_auth)
 *   audit.key audit.crt           audit checkpoint signer (issued by the client CA;
 *                                 digitalSignature; [audit] cert/key, docs/operators.md)
 *   manifest.txt                  one line per client certificate: kind file municipality sha256
 *
 * Running init on a directory that already has sign-ca.crt refuses (unless
 * force): an existing CA is never overwritten by accident.
 */
#ifndef JPKI_DEVCA_H
#define JPKI_DEVCA_H

#include <stddef.h>
#include <time.h>

struct devca_opts {
	const char	*dir;
	int		 bits;		/* issuing CA RSA size: 2048 (default), 3072 or 4096 */
	int		 days;		/* CA validity in days; default 3650 */
	const char	*sign_key;	/* optional existing key spec (PEM path or pkcs11: URI) for the SIGN CA */
	const char	*auth_key;	/* same for AUTH CA */
	const char	*pin;		/* PIN for pkcs11 keys, or NULL */
	const char	*municipalities[2];	/* sample terminal municipality codes; default 131016, 141003 */
	int		 force;
	time_t		 now;		/* "now" of the hierarchy; 0: the real clock */
};

/* Returns 0, or -1 with a message in err. */
int	devca_init(const struct devca_opts *, char *err, size_t errlen);

#endif
