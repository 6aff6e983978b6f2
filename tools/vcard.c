/*
 * vcard: the virtual JPKI card (see tools/vcard.h for the contract).
 *
 * The card file is one JSON object:
 *
 *	{"format":"jpki-vcard/1","card_number":"...",
 *	 "anchors":["<base64 DER>",...],		personalization anchors
 *	 "used_authorizations":["<uuid>",...],		R16a one-time ids
 *	 "sign":<key>,"auth":<key>}
 *	<key> = {"key":"<PKCS#8 PEM>"|null,"pin":<pin>|null,"tries":N,
 *		 "cert":"<base64 DER>"|null,"ca":"<base64 DER>"|null,
 *		 "pending":{"key":"<PEM>","pin":<pin>}|null}
 *	<pin> = {"salt":"<base64>","iter":N,"hash":"<base64>"}
 *
 * The private keys live in the file (mode 0600) and nowhere else: no
 * function hands them out. Every change goes through vcard_file_save(), which
 * writes the whole file atomically; an operation reports success only
 * after its change is on disk.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ca/pinreset.h"
#include "tools/vcard_int.h"

static const char *const key_upper[2] = { "SIGN", "AUTH" };

static int
fail(struct vcard *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct vcard *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* --- names and R15 ------------------------------------------------------------ */

const char *
vcard_key_name(enum vcard_key k)
{
	return k == VCARD_AUTH ? "auth" : "sign";
}

int
vcard_key_parse(const char *s, enum vcard_key *k)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "sign") == 0)
		*k = VCARD_SIGN;
	else if (strcasecmp(s, "auth") == 0)
		*k = VCARD_AUTH;
	else
		return -1;
	return 0;
}

int
vcard_max_tries(enum vcard_key k)
{
	return k == VCARD_AUTH ? 3 : 5;		/* R16 */
}

static int
valid_key(enum vcard_key k)
{
	return k == VCARD_SIGN || k == VCARD_AUTH;
}

int
vcard_pin_format(enum vcard_key k, const char *pin, char *norm, size_t normlen,
    char *msg, size_t msglen)
{
	static const char auth_msg[] = "the AUTH PIN is exactly 4 digits";
	static const char sign_msg[] = "the SIGN PIN is 6 to 16 characters of A-Z and 0-9 "
	    "with at least one letter and one digit";
	char	buf[PIN_MAX + 1];
	size_t	n, i;
	int	letters = 0, digits = 0;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (!valid_key(k) || pin == NULL) {
		vcard_seterr(msg, msglen, "no PIN given");
		return VCARD_E_PIN_FORMAT;
	}
	n = strnlen(pin, PIN_MAX + 1);
	if (k == VCARD_AUTH) {		/* R15: exactly 4 digits */
		if (n != 4)
			goto bad;
		for (i = 0; i < n; i++)
			if (pin[i] < '0' || pin[i] > '9')
				goto bad;
		memcpy(buf, pin, n);
	} else {			/* R15: 6-16 of A-Z0-9, a letter and a digit */
		if (n < 6 || n > 16)
			goto bad;
		for (i = 0; i < n; i++) {
			char ch = pin[i];

			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');	/* folded */
			if (ch >= 'A' && ch <= 'Z')
				letters++;
			else if (ch >= '0' && ch <= '9')
				digits++;
			else
				goto bad;
			buf[i] = ch;
		}
		if (letters == 0 || digits == 0)
			goto bad;
	}
	buf[n] = '\0';
	if (norm != NULL) {
		if (normlen < n + 1) {
			OPENSSL_cleanse(buf, sizeof(buf));
			vcard_seterr(msg, msglen, "PIN buffer too small");
			return VCARD_E_PIN_FORMAT;
		}
		memcpy(norm, buf, n + 1);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return VCARD_OK;
bad:
	OPENSSL_cleanse(buf, sizeof(buf));
	vcard_seterr(msg, msglen, "%s", k == VCARD_AUTH ? auth_msg : sign_msg);
	return VCARD_E_PIN_FORMAT;
}

/* --- PINs ------------------------------------------------------------------------ */

static int
pin_hash(const struct vpin *p, const char *norm, unsigned char out[PIN_HASH])
{
	return PKCS5_PBKDF2_HMAC(norm, (int)strlen(norm), p->salt, PIN_SALT, p->iter,
	    EVP_sha256(), PIN_HASH, out) == 1 ? 0 : -1;
}

/* Set p from a normalized PIN. 0 or -1. */
static int
pin_set(struct vpin *p, const char *norm)
{
	p->iter = PIN_ITER;
	if (RAND_bytes(p->salt, PIN_SALT) != 1 || pin_hash(p, norm, p->hash) != 0)
		return -1;
	p->set = 1;
	return 0;
}

/* 1 match, 0 no match, -1 error. */
static int
pin_match(const struct vpin *p, const char *norm)
{
	unsigned char	h[PIN_HASH];
	int		eq;

	if (!p->set)
		return 0;
	if (pin_hash(p, norm, h) != 0)
		return -1;
	eq = CRYPTO_memcmp(h, p->hash, PIN_HASH) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	return eq;
}

/* --- issuance ------------------------------------------------------------------------ */

int
vcard_keygen(struct vcard *c, enum vcard_key k, const char *pin)
{
	struct vkey	*vk;
	EVP_PKEY	*old, *nk;
	struct vpin	 oldpin;
	char		 norm[PIN_MAX + 1];
	int		 rc;

	if (!valid_key(k))
		return fail(c, VCARD_E_FORMAT, "unknown key type");
	vk = &c->k[k];
	if ((rc = vcard_pin_format(k, pin, norm, sizeof(norm), c->err, sizeof(c->err))) != 0)
		return rc;
	if ((nk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) == NULL) {
		OPENSSL_cleanse(norm, sizeof(norm));
		return fail(c, VCARD_E_CRYPTO, "key generation failed");
	}
	old = vk->pend;
	oldpin = vk->pend_pin;
	vk->pend = nk;
	rc = pin_set(&vk->pend_pin, norm) != 0 ? fail(c, VCARD_E_CRYPTO, "PIN hashing failed") :
	    vcard_file_save(c);
	OPENSSL_cleanse(norm, sizeof(norm));
	if (rc != VCARD_OK) {
		vk->pend = old;
		vk->pend_pin = oldpin;
		EVP_PKEY_free(nk);
		return rc;
	}
	EVP_PKEY_free(old);
	return VCARD_OK;
}

int
vcard_csr(struct vcard *c, enum vcard_key k, unsigned char **der, size_t *len)
{
	X509_REQ	*req = NULL;
	X509_NAME	*n = NULL;
	unsigned char	*p = NULL;
	int		 l, rc = VCARD_E_CRYPTO;

	*der = NULL;
	*len = 0;
	if (!valid_key(k))
		return fail(c, VCARD_E_FORMAT, "unknown key type");
	if (c->k[k].pend == NULL)
		return fail(c, VCARD_E_NO_PENDING, "no %s key has been generated for a request",
		    key_upper[k]);
	if ((req = X509_REQ_new()) == NULL || (n = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)c->card_number, -1, -1, 0) != 1 ||
	    X509_REQ_set_version(req, 0) != 1 || X509_REQ_set_subject_name(req, n) != 1 ||
	    X509_REQ_set_pubkey(req, c->k[k].pend) != 1 ||
	    X509_REQ_sign(req, c->k[k].pend, EVP_sha256()) <= 0 ||
	    (l = i2d_X509_REQ(req, &p)) <= 0) {
		fail(c, VCARD_E_CRYPTO, "cannot make the certificate request");
		goto out;
	}
	if ((*der = malloc((size_t)l)) == NULL) {
		fail(c, VCARD_E_CRYPTO, "out of memory");
		goto out;
	}
	memcpy(*der, p, (size_t)l);
	*len = (size_t)l;
	rc = VCARD_OK;
out:
	OPENSSL_free(p);
	X509_NAME_free(n);
	X509_REQ_free(req);
	return rc;
}

static X509 *
parse_der(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	X509			*x;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL && (size_t)(p - der) != len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int
vcard_install(struct vcard *c, enum vcard_key k, const unsigned char *cert, size_t certlen,
    const unsigned char *ca, size_t calen)
{
	struct vkey	 old, *vk;
	X509		*x = NULL, *cx = NULL;
	unsigned char	*cd = NULL, *cad = NULL;
	int		 rc;

	if (!valid_key(k))
		return fail(c, VCARD_E_FORMAT, "unknown key type");
	vk = &c->k[k];
	if (vk->pend == NULL)
		return fail(c, VCARD_E_NO_PENDING, "no %s key is waiting for a certificate",
		    key_upper[k]);
	if ((x = parse_der(cert, certlen)) == NULL)
		return fail(c, VCARD_E_FORMAT, "the %s certificate is not DER", key_upper[k]);
	if (ca != NULL && (cx = parse_der(ca, calen)) == NULL) {
		rc = fail(c, VCARD_E_FORMAT, "the CA certificate is not DER");
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(x), vk->pend) != 1) {
		rc = fail(c, VCARD_E_CERT_MISMATCH, "the certificate is not for the card's "
		    "pending %s key", key_upper[k]);
		goto out;
	}
	if (cx != NULL && X509_verify(x, X509_get0_pubkey(cx)) != 1) {
		rc = fail(c, VCARD_E_CERT_MISMATCH, "the CA certificate did not issue the %s "
		    "certificate", key_upper[k]);
		goto out;
	}
	if ((cd = malloc(certlen)) == NULL || (ca != NULL && (cad = malloc(calen)) == NULL)) {
		rc = fail(c, VCARD_E_IO, "out of memory");
		goto out;
	}
	memcpy(cd, cert, certlen);
	if (cad != NULL)
		memcpy(cad, ca, calen);
	old = *vk;
	vk->key = vk->pend;
	vk->pin = vk->pend_pin;
	vk->pend = NULL;
	memset(&vk->pend_pin, 0, sizeof(vk->pend_pin));
	vk->tries = vcard_max_tries(k);
	vk->cert = cd;
	vk->certlen = certlen;
	vk->ca = cad;
	vk->calen = cad != NULL ? calen : 0;
	if ((rc = vcard_file_save(c)) != VCARD_OK) {
		*vk = old;		/* nothing changed on disk: undo in memory */
		goto out;
	}
	cd = old.cert;
	cad = old.ca;
	EVP_PKEY_free(old.key);
out:
	free(cd);
	free(cad);
	X509_free(x);
	X509_free(cx);
	return rc;
}

const unsigned char *
vcard_cert(const struct vcard *c, enum vcard_key k, size_t *len)
{
	if (!valid_key(k) || c->k[k].cert == NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = c->k[k].certlen;
	return c->k[k].cert;
}

int
vcard_tries_left(const struct vcard *c, enum vcard_key k)
{
	return valid_key(k) ? c->k[k].tries : 0;
}

/* --- PIN use --------------------------------------------------------------------------- */

/*
 * R16: check pin against k's PIN. A PIN of the wrong format is refused
 * without touching the counter (the terminal refuses it before the card
 * sees it). A wrong PIN costs one try, written before the answer; the try
 * that reaches 0 answers VCARD_E_LOCKED. A right PIN refills the counter.
 */
static int
check_pin(struct vcard *c, enum vcard_key k, const char *pin)
{
	struct vkey	*vk;
	char		 norm[PIN_MAX + 1];
	int		 m, rc;

	if (!valid_key(k))
		return fail(c, VCARD_E_FORMAT, "unknown key type");
	vk = &c->k[k];
	if (vk->key == NULL)
		return fail(c, VCARD_E_NO_KEY, "the card holds no %s key", key_upper[k]);
	if (vk->tries <= 0)
		return fail(c, VCARD_E_LOCKED, "the %s PIN is locked; it must be reset "
		    "(R16)", key_upper[k]);
	if ((rc = vcard_pin_format(k, pin, norm, sizeof(norm), c->err, sizeof(c->err))) != 0)
		return rc;
	m = pin_match(&vk->pin, norm);
	OPENSSL_cleanse(norm, sizeof(norm));
	if (m < 0)
		return fail(c, VCARD_E_CRYPTO, "PIN check failed");
	if (m == 1) {
		if (vk->tries != vcard_max_tries(k)) {
			vk->tries = vcard_max_tries(k);
			if ((rc = vcard_file_save(c)) != VCARD_OK)
				return rc;
		}
		return VCARD_OK;
	}
	vk->tries--;
	if ((rc = vcard_file_save(c)) != VCARD_OK)
		return rc;		/* the memory copy keeps the lower count */
	if (vk->tries == 0)
		return fail(c, VCARD_E_LOCKED, "wrong %s PIN; the %s PIN is now locked (R16)",
		    key_upper[k], key_upper[k]);
	return fail(c, VCARD_E_PIN_WRONG, "wrong %s PIN; %d %s left (R16)", key_upper[k],
	    vk->tries, vk->tries == 1 ? "try" : "tries");
}

int
vcard_verify_pin(struct vcard *c, enum vcard_key k, const char *pin)
{
	return check_pin(c, k, pin);
}

int
vcard_sign(struct vcard *c, enum vcard_key k, const char *pin, const unsigned char *data,
    size_t len, unsigned char **sig, size_t *siglen)
{
	EVP_MD_CTX	*ctx;
	int		 rc;

	*sig = NULL;
	*siglen = 0;
	if ((rc = check_pin(c, k, pin)) != VCARD_OK)
		return rc;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return fail(c, VCARD_E_CRYPTO, "out of memory");
	rc = VCARD_E_CRYPTO;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, c->k[k].key) == 1 &&
	    EVP_DigestSign(ctx, NULL, siglen, data, len) == 1 &&
	    (*sig = malloc(*siglen)) != NULL &&
	    EVP_DigestSign(ctx, *sig, siglen, data, len) == 1)
		rc = VCARD_OK;
	EVP_MD_CTX_free(ctx);
	if (rc != VCARD_OK) {
		free(*sig);
		*sig = NULL;
		*siglen = 0;
		return fail(c, rc, "signing failed");
	}
	return VCARD_OK;
}

int
vcard_change_pin(struct vcard *c, enum vcard_key k, const char *old_pin, const char *new_pin)
{
	struct vpin	 old;
	char		 norm[PIN_MAX + 1];
	int		 rc;

	if (!valid_key(k))
		return fail(c, VCARD_E_FORMAT, "unknown key type");
	if (c->k[k].key != NULL && c->k[k].tries <= 0)
		return fail(c, VCARD_E_LOCKED, "the %s PIN is locked; it must be reset (R16)",
		    key_upper[k]);
	if ((rc = vcard_pin_format(k, new_pin, norm, sizeof(norm), c->err,
	    sizeof(c->err))) != VCARD_OK)
		return rc;
	if ((rc = check_pin(c, k, old_pin)) != VCARD_OK) {
		OPENSSL_cleanse(norm, sizeof(norm));
		return rc;
	}
	old = c->k[k].pin;
	rc = pin_set(&c->k[k].pin, norm) != 0 ? fail(c, VCARD_E_CRYPTO, "PIN hashing failed") :
	    vcard_file_save(c);
	OPENSSL_cleanse(norm, sizeof(norm));
	if (rc != VCARD_OK) {
		c->k[k].pin = old;
		return rc;
	}
	return VCARD_OK;
}

int
vcard_reset_pin(struct vcard *c, enum vcard_key k, const char *authorization,
    const char *new_pin, time_t now)
{
	struct pinreset_claims	 cl;
	struct vpin		 oldpin;
	X509			*anchors[MAX_ANCHORS + 4];
	char			 norm[PIN_MAX + 1], why[160], (*used)[37];
	size_t			 n = 0, i;
	int			 j, oldtries, rc;
	enum pinreset_result	 pr;

	if (!valid_key(k))
		return fail(c, VCARD_E_FORMAT, "unknown key type");
	if (c->k[k].key == NULL)
		return fail(c, VCARD_E_NO_KEY, "the card holds no %s key", key_upper[k]);
	if ((rc = vcard_pin_format(k, new_pin, norm, sizeof(norm), c->err,
	    sizeof(c->err))) != VCARD_OK)
		return rc;
	/* the card's anchors: CA certificates received with its certificates, and its own */
	for (j = 0; j < 2; j++)
		if (c->k[j].ca != NULL && (anchors[n] = parse_der(c->k[j].ca,
		    c->k[j].calen)) != NULL)
			n++;
	for (i = 0; i < c->nanchors; i++)
		anchors[n++] = c->anchors[i];
	pr = pinreset_authz_verify(authorization, anchors, n, now, &cl, why, sizeof(why));
	for (i = 0; i < n - c->nanchors; i++)
		X509_free(anchors[i]);
	if (pr == PINRESET_EXPIRED)
		rc = fail(c, VCARD_E_AUTHZ_EXPIRED, "the reset authorization has expired (R16a)");
	else if (pr != PINRESET_OK)
		rc = fail(c, VCARD_E_AUTHZ_INVALID, "the reset authorization is not valid: %s",
		    why);
	else if (strcmp(cl.card_number, c->card_number) != 0)
		rc = fail(c, VCARD_E_AUTHZ_OTHER, "the reset authorization is for another card");
	else if (strcmp(cl.key_type, vcard_key_name(k)) != 0)
		rc = fail(c, VCARD_E_AUTHZ_OTHER, "the reset authorization is for the %s PIN, "
		    "not the %s PIN", k == VCARD_SIGN ? "AUTH" : "SIGN", key_upper[k]);
	for (i = 0; rc == VCARD_OK && i < c->nused; i++)
		if (strcasecmp(c->used[i], cl.id) == 0)
			rc = fail(c, VCARD_E_AUTHZ_USED, "the reset authorization was already "
			    "used on this card (R16a)");
	if (rc != VCARD_OK) {
		OPENSSL_cleanse(norm, sizeof(norm));
		return rc;
	}
	if ((used = realloc(c->used, (c->nused + 1) * sizeof(*c->used))) == NULL) {
		OPENSSL_cleanse(norm, sizeof(norm));
		return fail(c, VCARD_E_IO, "out of memory");
	}
	c->used = used;
	memcpy(c->used[c->nused++], cl.id, sizeof(cl.id));
	oldpin = c->k[k].pin;
	oldtries = c->k[k].tries;
	c->k[k].tries = vcard_max_tries(k);
	rc = pin_set(&c->k[k].pin, norm) != 0 ? fail(c, VCARD_E_CRYPTO, "PIN hashing failed") :
	    vcard_file_save(c);
	OPENSSL_cleanse(norm, sizeof(norm));
	if (rc != VCARD_OK) {
		c->k[k].pin = oldpin;
		c->k[k].tries = oldtries;
		c->nused--;
		return rc;
	}
	return VCARD_OK;
}
