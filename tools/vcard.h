/*
 * vcard: a file-backed model of the JPKI application of a My Number card,
 * for the reference terminal client (tools/jpki_terminal*.c) and tests.
 *
 * The card holds, per key (SIGN, AUTH): an RSA-2048 key pair generated on
 * the card (no function returns or exports a private key), the PIN (stored
 * as a salted PBKDF2-HMAC-SHA256 hash, compared in constant time), the
 * retry counter (R16: 5 tries for SIGN, 3 for AUTH; the counter is written
 * to the file before a wrong-PIN answer is returned; 0 = locked; a correct
 * PIN resets it), the issued certificate and its CA certificate. It signs
 * only after a correct PIN, and resets a PIN only with a valid, unused
 * authorization from jpkid (ca/pinreset.h), remembering the ids it used.
 *
 * Issuance is two-phase so a refused request never costs the card its
 * current key: vcard_keygen() makes a pending key (with the new PIN),
 * vcard_csr() signs a PKCS#10 request with it (the proof of possession),
 * vcard_install() installs the certificate only when its public key is the
 * pending key's, making the pending key current.
 *
 * Every change is written atomically: a temporary file in the same
 * directory, fsync, rename over the card file, fsync of the directory; a
 * process dying mid-write leaves the old card or the new one, never a torn
 * file. The file is mode 0600.
 *
 * Functions return VCARD_OK (0) or a negative enum vcard_err, with a
 * readable English message in the card's last-error buffer
 * (vcard_last_error), which never contains a PIN or key material.
 */
#ifndef JPKI_VCARD_H
#define JPKI_VCARD_H

#include <stddef.h>
#include <time.h>

enum vcard_key { VCARD_SIGN = 0, VCARD_AUTH = 1 };

enum vcard_err {
	VCARD_OK = 0,
	VCARD_E_IO = -1,		/* file could not be read or written */
	VCARD_E_FORMAT = -2,		/* not a card file / corrupt */
	VCARD_E_PIN_FORMAT = -3,	/* R15: the new or given PIN has the wrong format */
	VCARD_E_PIN_WRONG = -4,		/* R16: wrong PIN; tries left in vcard_tries_left() */
	VCARD_E_LOCKED = -5,		/* R16: the key is locked (0 tries left) */
	VCARD_E_NO_KEY = -6,		/* no current key of that type */
	VCARD_E_NO_PENDING = -7,	/* vcard_csr/install without vcard_keygen */
	VCARD_E_CERT_MISMATCH = -8,	/* certificate is not for the pending key */
	VCARD_E_AUTHZ_INVALID = -9,	/* authorization malformed, untrusted or badly signed */
	VCARD_E_AUTHZ_EXPIRED = -10,	/* authorization past its exp */
	VCARD_E_AUTHZ_OTHER = -11,	/* authorization for another card or key */
	VCARD_E_AUTHZ_USED = -12,	/* authorization already used on this card */
	VCARD_E_CRYPTO = -13,		/* OpenSSL failure */
	VCARD_E_EXISTS = -14		/* vcard_create: the file already exists */
};

struct vcard;

/* "sign"/"auth" and back. */
const char	*vcard_key_name(enum vcard_key);
int		 vcard_key_parse(const char *, enum vcard_key *);
/* R16: the retry limit of a key (5 SIGN, 3 AUTH). */
int		 vcard_max_tries(enum vcard_key);

/*
 * R15: check a PIN's format and normalize it into norm (SIGN: lowercase
 * folded to uppercase). VCARD_OK, or VCARD_E_PIN_FORMAT with a message in
 * msg such as "the AUTH PIN is exactly 4 digits" / "the SIGN PIN is 6 to
 * 16 characters of A-Z and 0-9 with at least one letter and one digit".
 */
int	vcard_pin_format(enum vcard_key, const char *pin, char *norm, size_t normlen,
	    char *msg, size_t msglen);

/*
 * A new, empty card (no keys) for card_number, written to path (refused
 * with VCARD_E_EXISTS when path exists). anchors_pem: optional file of
 * CA certificates the card trusts for authorizations beyond those it
 * receives with its certificates (NULL: none).
 */
int	vcard_create(const char *path, const char *card_number, const char *anchors_pem,
	    struct vcard **out, char *err, size_t errlen);
int	vcard_open(const char *path, struct vcard **out, char *err, size_t errlen);
void	vcard_close(struct vcard *);	/* accepts NULL */
const char *vcard_last_error(const struct vcard *);
const char *vcard_card_number(const struct vcard *);

/* Generate a pending RSA-2048 key for k whose PIN will be pin (R15-checked). */
int	vcard_keygen(struct vcard *, enum vcard_key k, const char *pin);
/* PKCS#10 CSR (DER, malloc'd) signed with the pending key of k; subject CN=<card number>. */
int	vcard_csr(struct vcard *, enum vcard_key k, unsigned char **der, size_t *len);
/*
 * Install the issued certificate (DER) and its CA certificate (DER, may
 * be NULL) for k: the pending key becomes current with its PIN and a full
 * retry counter; the old key and certificate are discarded.
 */
int	vcard_install(struct vcard *, enum vcard_key k, const unsigned char *cert, size_t certlen,
	    const unsigned char *ca, size_t calen);

/* The current certificate of k (DER, borrowed; NULL when none). */
const unsigned char *vcard_cert(const struct vcard *, enum vcard_key k, size_t *len);
/* R16: tries left for k (0 = locked). */
int	vcard_tries_left(const struct vcard *, enum vcard_key k);

/* Check the PIN of k (R16 counter as described above). */
int	vcard_verify_pin(struct vcard *, enum vcard_key k, const char *pin);
/* Sign data (RSASSA-PKCS1-v1_5, SHA-256) with k after a correct PIN; *sig malloc'd. */
int	vcard_sign(struct vcard *, enum vcard_key k, const char *pin, const unsigned char *data,
	    size_t len, unsigned char **sig, size_t *siglen);
/* PIN change with the current PIN (card-local, R16a); refused when locked. */
int	vcard_change_pin(struct vcard *, enum vcard_key k, const char *old_pin, const char *new_pin);
/*
 * PIN reset (初期化, R16/R16a): accept only a valid authorization
 * (ca/pinreset.h) for this card and k, unexpired at now, never used here
 * before; then set new_pin, refill the retry counter (unlocking the key)
 * and remember the authorization id. The certificate is unchanged.
 */
int	vcard_reset_pin(struct vcard *, enum vcard_key k, const char *authorization,
	    const char *new_pin, time_t now);

#endif
