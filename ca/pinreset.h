/*
 * pinreset: the two wire formats of R16a PIN resets, shared by jpkid (which
 * issues authorizations and checks kiosk proofs) and the virtual card in
 * tools/ (which signs proofs and accepts authorizations). Pure OpenSSL: no
 * SQL, no HTTP.
 *
 * 1. Kiosk proof. jpkid hands a kiosk a fresh challenge (32 random bytes,
 *    base64url without padding) bound to a card and the key whose PIN is to
 *    be reset. The card signs, with its OTHER key after that key's PIN is
 *    verified, the message built by pinreset_challenge_message():
 *
 *	"jpki-pin-reset-challenge/1\n" card_number "\n" key_type "\n" challenge
 *
 *    (key_type is the key being reset, "sign" or "auth"), RSASSA-PKCS1-v1_5
 *    with SHA-256. The domain prefix keeps the proof from being mistaken for
 *    any other signature the key makes.
 *
 * 2. Authorization. jpkid's answer is a JWS compact serialization (RFC
 *    7515), RS256, signed by the PIN reset authority: a delegated
 *    certificate issued by the AUTH issuing CA with extended key usage
 *    PINRESET_EKU_OID, carried in the header's x5c:
 *
 *	header	{"alg":"RS256","typ":"jpki-pin-reset","x5c":["<base64 DER>"]}
 *	payload	{"id":"<uuid>","card_number":"...","key_type":"sign"|"auth",
 *		 "channel":"counter"|"kiosk","iat":<epoch>,"exp":<epoch>}
 *
 *    The card accepts it when the signature verifies with x5c[0], x5c[0]
 *    is signed by a CA certificate the card holds, carries the EKU, is
 *    within its validity, and now < exp; then it checks card_number,
 *    key_type and that it never used id before (one-time).
 */
#ifndef JPKI_PINRESET_H
#define JPKI_PINRESET_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "ca/signer.h"

/* id-kp for "jpkid PIN reset authorization" (a UUID OID, X.667: no registration). */
#define PINRESET_EKU_OID	"2.25.98714405201932460530618134916077397736"
#define PINRESET_CHALLENGE_BYTES 32
#define PINRESET_CHALLENGE_LEN	43	/* base64url of 32 bytes, no padding */

struct pinreset_claims {
	char	id[37];			/* uuid */
	char	card_number[17];
	char	key_type[5];		/* "sign" | "auth": the key whose PIN is reset */
	char	channel[8];		/* "counter" | "kiosk" */
	time_t	iat, exp;
};

enum pinreset_result {
	PINRESET_OK = 0,
	PINRESET_INVALID = -1,		/* malformed, bad signature, untrusted or wrong-purpose signer */
	PINRESET_EXPIRED = -2		/* well formed and trusted, but now >= exp */
};

/*
 * The message a card signs for a kiosk challenge. Returns its length (no
 * NUL counted; buf is NUL-terminated), or -1 when buf is too small or an
 * argument is malformed (key_type not sign/auth, empty card number).
 */
int	pinreset_challenge_message(const char *card_number, const char *key_type,
	    const char *challenge, char *buf, size_t buflen);
/* 1 when sig (RSASSA-PKCS1-v1_5, SHA-256) over msg verifies with the certificate's key. */
int	pinreset_verify_signature(X509 *cert, const unsigned char *msg, size_t msglen,
	    const unsigned char *sig, size_t siglen);
/* A fresh challenge: 32 random bytes, base64url, NUL-terminated (out >= 44). 0 or -1. */
int	pinreset_new_challenge(char *out, size_t outlen);

/*
 * Build the authorization token (malloc'd, NUL-terminated) signed with key,
 * whose certificate is authority. 0 and *out, or -1.
 */
int	pinreset_authz_build(struct signer *key, X509 *authority, const struct pinreset_claims *,
	    char **out);
/*
 * Verify a token against trust anchors (CA certificates) at now. Returns
 * PINRESET_OK and *out, PINRESET_EXPIRED (out filled) or PINRESET_INVALID,
 * with a reason in err (never key material).
 */
enum pinreset_result pinreset_authz_verify(const char *token, X509 *const *anchors,
	    size_t nanchors, time_t now, struct pinreset_claims *out, char *err, size_t errlen);

#endif
