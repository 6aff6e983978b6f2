/*
 * pinreset: the R16a kiosk proof and PIN reset authorization formats (see
 * ca/pinreset.h for the wire contract). Parsing is strict: a token is
 * refused unless every byte is where the contract puts it.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/pinreset.h"
#include "common/util.h"

#define TOKEN_MAX	16384	/* a token is ~2 KiB; anything far larger is refused unread */

static const char b64url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* --- base64 ---------------------------------------------------------------- */

/* Encode len bytes; url: base64url without padding, else standard with padding. */
static char *
b64_encode(const unsigned char *in, size_t len, int url)
{
	const char	*a = url ? b64url_alpha : b64_alpha;
	char		*out, *p;
	size_t		 i;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i + 2 < len; i += 3) {
		*p++ = a[in[i] >> 2];
		*p++ = a[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = a[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*p++ = a[in[i + 2] & 63];
	}
	if (len - i == 1) {
		*p++ = a[in[i] >> 2];
		*p++ = a[(in[i] & 3) << 4];
		if (!url) {
			*p++ = '=';
			*p++ = '=';
		}
	} else if (len - i == 2) {
		*p++ = a[in[i] >> 2];
		*p++ = a[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = a[(in[i + 1] & 15) << 2];
		if (!url)
			*p++ = '=';
	}
	*p = '\0';
	return out;
}

static int
b64_val(char c, int url)
{
	const char *a = url ? b64url_alpha : b64_alpha;
	const char *p;

	if (c == '\0' || (p = strchr(a, c)) == NULL)
		return -1;
	return (int)(p - a);
}

/*
 * Strict decode of inlen characters: only the alphabet, padding exactly as
 * required (standard) or absent (url), and no non-zero bits left over (so
 * every byte string has one encoding). malloc'd result, or NULL.
 */
static unsigned char *
b64_decode(const char *in, size_t inlen, int url, size_t *outlen)
{
	unsigned char	*out;
	size_t		 n, i, o = 0;
	unsigned	 acc = 0;
	int		 bits = 0, v;

	n = inlen;
	if (!url) {
		if (n % 4 != 0)
			return NULL;
		if (n > 0 && in[n - 1] == '=')
			n--;
		if (n > 0 && in[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return NULL;
	if ((out = malloc(n * 3 / 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((v = b64_val(in[i], url)) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)		/* non-canonical trailing bits */
		goto bad;
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

/* --- small validators ------------------------------------------------------ */

static int
valid_card_number(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 16)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

static int
valid_key_type(const char *s)
{
	return s != NULL && (strcmp(s, "sign") == 0 || strcmp(s, "auth") == 0);
}

static int
valid_channel(const char *s)
{
	return s != NULL && (strcmp(s, "counter") == 0 || strcmp(s, "kiosk") == 0);
}

/* 8-4-4-4-12 hex digits (either case). */
static int
valid_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

static int
valid_claims(const struct pinreset_claims *c)
{
	return valid_uuid(c->id) && valid_card_number(c->card_number) &&
	    valid_key_type(c->key_type) && valid_channel(c->channel) &&
	    c->iat > 0 && c->exp > c->iat;
}

/* --- kiosk proof ----------------------------------------------------------- */

int
pinreset_challenge_message(const char *card_number, const char *key_type,
    const char *challenge, char *buf, size_t buflen)
{
	int n;

	if (!valid_card_number(card_number) || !valid_key_type(key_type) ||
	    challenge == NULL || *challenge == '\0' || strchr(challenge, '\n') != NULL ||
	    buf == NULL || buflen == 0)
		return -1;
	n = snprintf(buf, buflen, "jpki-pin-reset-challenge/1\n%s\n%s\n%s",
	    card_number, key_type, challenge);
	if (n < 0 || (size_t)n >= buflen) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}

static int
verify_rs256(EVP_PKEY *pk, const unsigned char *msg, size_t msglen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx;
	int		 ok = 0;

	if (pk == NULL || !EVP_PKEY_is_a(pk, "RSA") || msg == NULL || sig == NULL ||
	    siglen == 0)
		return 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, msg, msglen) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

int
pinreset_verify_signature(X509 *cert, const unsigned char *msg, size_t msglen,
    const unsigned char *sig, size_t siglen)
{
	if (cert == NULL)
		return 0;
	return verify_rs256(X509_get0_pubkey(cert), msg, msglen, sig, siglen);
}

int
pinreset_new_challenge(char *out, size_t outlen)
{
	unsigned char	 raw[PINRESET_CHALLENGE_BYTES];
	char		*s;

	if (out == NULL || outlen < PINRESET_CHALLENGE_LEN + 1)
		return -1;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	if ((s = b64_encode(raw, sizeof(raw), 1)) == NULL)
		return -1;
	memcpy(out, s, PINRESET_CHALLENGE_LEN + 1);
	free(s);
	return 0;
}

/* --- authorization --------------------------------------------------------- */

/* base64url of a compact JSON dump of v (malloc'd), or NULL. */
static char *
json_b64url(json_t *v)
{
	char	*js, *out;

	if (v == NULL)
		return NULL;
	if ((js = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return NULL;
	out = b64_encode((const unsigned char *)js, strlen(js), 1);
	free(js);
	return out;
}

int
pinreset_authz_build(struct signer *key, X509 *authority, const struct pinreset_claims *c,
    char **out)
{
	json_t		*hdr = NULL, *pl = NULL;
	unsigned char	*der = NULL, *sig = NULL;
	char		*x5c = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL, *input = NULL;
	char		*tok = NULL;
	size_t		 siglen = 0, n;
	int		 derlen, rc = -1;

	if (key == NULL || authority == NULL || c == NULL || out == NULL)
		return -1;
	*out = NULL;
	if (!valid_claims(c) || signer_matches_cert(key, authority) != 1)
		return -1;
	if ((derlen = i2d_X509(authority, &der)) <= 0)
		goto out;
	if ((x5c = b64_encode(der, (size_t)derlen, 0)) == NULL)
		goto out;
	hdr = json_pack("{s:s, s:s, s:[s]}", "alg", "RS256", "typ", "jpki-pin-reset",
	    "x5c", x5c);
	pl = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "id", c->id,
	    "card_number", c->card_number, "key_type", c->key_type,
	    "channel", c->channel, "iat", (json_int_t)c->iat, "exp", (json_int_t)c->exp);
	if ((h64 = json_b64url(hdr)) == NULL || (p64 = json_b64url(pl)) == NULL)
		goto out;
	n = strlen(h64) + 1 + strlen(p64);
	if ((input = malloc(n + 1)) == NULL)
		goto out;
	snprintf(input, n + 1, "%s.%s", h64, p64);
	if (signer_sign(key, EVP_sha256(), (const unsigned char *)input, n, &sig,
	    &siglen) != 0)
		goto out;
	if ((s64 = b64_encode(sig, siglen, 1)) == NULL)
		goto out;
	if ((tok = malloc(n + 1 + strlen(s64) + 1)) == NULL)
		goto out;
	snprintf(tok, n + 1 + strlen(s64) + 1, "%s.%s", input, s64);
	*out = tok;
	rc = 0;
out:
	json_decref(hdr);
	json_decref(pl);
	OPENSSL_free(der);
	OPENSSL_free(sig);
	free(x5c);
	free(h64);
	free(p64);
	free(s64);
	free(input);
	return rc;
}

/* Decode one base64url segment and parse it as a JSON object (no duplicate keys). */
static json_t *
segment_json(const char *s, size_t len)
{
	unsigned char	*raw;
	size_t		 rawlen;
	json_t		*v;
	json_error_t	 je;

	if (len == 0 || (raw = b64_decode(s, len, 1, &rawlen)) == NULL)
		return NULL;
	v = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, &je);
	free(raw);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* The one certificate of the header (x5c with exactly one entry), or NULL. */
static X509 *
header_cert(json_t *hdr, char *err, size_t errlen)
{
	json_t			*alg, *typ, *x5c, *c0;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	const char		*s;
	size_t			 derlen;
	X509			*x = NULL;

	alg = json_object_get(hdr, "alg");
	typ = json_object_get(hdr, "typ");
	x5c = json_object_get(hdr, "x5c");
	if (json_object_size(hdr) != 3 || alg == NULL || typ == NULL || x5c == NULL) {
		util_errf(err, errlen, "header must have exactly alg, typ and x5c");
		return NULL;
	}
	if (!json_is_string(alg) || strcmp(json_string_value(alg), "RS256") != 0) {
		util_errf(err, errlen, "header alg is not RS256");
		return NULL;
	}
	if (!json_is_string(typ) || strcmp(json_string_value(typ), "jpki-pin-reset") != 0) {
		util_errf(err, errlen, "header typ is not jpki-pin-reset");
		return NULL;
	}
	if (!json_is_array(x5c) || json_array_size(x5c) != 1 ||
	    !json_is_string(c0 = json_array_get(x5c, 0))) {
		util_errf(err, errlen, "header x5c must hold exactly one certificate");
		return NULL;
	}
	s = json_string_value(c0);
	if ((der = b64_decode(s, strlen(s), 0, &derlen)) == NULL || derlen == 0 ||
	    derlen > TOKEN_MAX) {
		util_errf(err, errlen, "header x5c is not base64");
		goto out;
	}
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)derlen)) == NULL ||
	    (size_t)(p - der) != derlen) {
		X509_free(x);
		x = NULL;
		util_errf(err, errlen, "header x5c is not one DER certificate");
	}
out:
	free(der);
	return x;
}

static int
copy_str(json_t *o, const char *name, char *dst, size_t dstlen)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v) || json_string_length(v) >= dstlen ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
payload_claims(json_t *pl, struct pinreset_claims *c, char *err, size_t errlen)
{
	json_t *iat, *exp;

	memset(c, 0, sizeof(*c));
	iat = json_object_get(pl, "iat");
	exp = json_object_get(pl, "exp");
	if (json_object_size(pl) != 6 || copy_str(pl, "id", c->id, sizeof(c->id)) != 0 ||
	    copy_str(pl, "card_number", c->card_number, sizeof(c->card_number)) != 0 ||
	    copy_str(pl, "key_type", c->key_type, sizeof(c->key_type)) != 0 ||
	    copy_str(pl, "channel", c->channel, sizeof(c->channel)) != 0 ||
	    !json_is_integer(iat) || !json_is_integer(exp)) {
		util_errf(err, errlen, "payload must have exactly id, card_number, key_type, "
		    "channel (strings), iat and exp (integers)");
		return -1;
	}
	c->iat = (time_t)json_integer_value(iat);
	c->exp = (time_t)json_integer_value(exp);
	if (!valid_uuid(c->id)) {
		util_errf(err, errlen, "payload id is not a uuid");
		return -1;
	}
	if (!valid_card_number(c->card_number)) {
		util_errf(err, errlen, "payload card_number is malformed");
		return -1;
	}
	if (!valid_key_type(c->key_type)) {
		util_errf(err, errlen, "payload key_type is not sign or auth");
		return -1;
	}
	if (!valid_channel(c->channel)) {
		util_errf(err, errlen, "payload channel is not counter or kiosk");
		return -1;
	}
	if (c->iat <= 0 || c->exp <= c->iat) {
		util_errf(err, errlen, "payload iat/exp are not a time span");
		return -1;
	}
	return 0;
}

/* 1 when cert carries the PIN reset EKU. */
static int
has_eku(X509 *cert)
{
	EXTENDED_KEY_USAGE	*eku;
	ASN1_OBJECT		*want;
	int			 i, crit = 0, found = 0;

	if ((want = OBJ_txt2obj(PINRESET_EKU_OID, 1)) == NULL)
		return 0;
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
	if (eku != NULL) {
		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
			if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0)
				found = 1;
		EXTENDED_KEY_USAGE_free(eku);
	}
	ASN1_OBJECT_free(want);
	return found;
}

/* 1 when one of the anchors issued cert (name match and signature). */
static int
anchored(X509 *cert, X509 *const *anchors, size_t nanchors)
{
	size_t	 i;
	EVP_PKEY *pk;

	for (i = 0; i < nanchors; i++) {
		if (anchors[i] == NULL)
			continue;
		if (X509_NAME_cmp(X509_get_issuer_name(cert),
		    X509_get_subject_name(anchors[i])) != 0)
			continue;
		if ((pk = X509_get0_pubkey(anchors[i])) != NULL && X509_verify(cert, pk) == 1)
			return 1;
	}
	return 0;
}

enum pinreset_result
pinreset_authz_verify(const char *token, X509 *const *anchors, size_t nanchors, time_t now,
    struct pinreset_claims *out, char *err, size_t errlen)
{
	struct pinreset_claims	 c;
	const char		*d1, *d2;
	json_t			*hdr = NULL, *pl = NULL;
	X509			*cert = NULL;
	unsigned char		*sig = NULL;
	size_t			 len, siglen;
	time_t			 t = now;
	enum pinreset_result	 rc = PINRESET_INVALID;

	util_errf(err, errlen, "invalid authorization");
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (token == NULL || (len = strnlen(token, TOKEN_MAX + 1)) > TOKEN_MAX) {
		util_errf(err, errlen, "authorization missing or too long");
		return PINRESET_INVALID;
	}
	if ((d1 = strchr(token, '.')) == NULL || (d2 = strchr(d1 + 1, '.')) == NULL ||
	    strchr(d2 + 1, '.') != NULL) {
		util_errf(err, errlen, "authorization is not three dot-separated segments");
		return PINRESET_INVALID;
	}
	if ((hdr = segment_json(token, (size_t)(d1 - token))) == NULL) {
		util_errf(err, errlen, "header is not base64url JSON object");
		goto out;
	}
	if ((pl = segment_json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL) {
		util_errf(err, errlen, "payload is not base64url JSON object");
		goto out;
	}
	if (token + len == d2 + 1 ||
	    (sig = b64_decode(d2 + 1, (size_t)(token + len - d2 - 1), 1, &siglen)) == NULL) {
		util_errf(err, errlen, "signature is not base64url");
		goto out;
	}
	if ((cert = header_cert(hdr, err, errlen)) == NULL)
		goto out;
	if (payload_claims(pl, &c, err, errlen) != 0)
		goto out;
	if (!anchored(cert, anchors, nanchors)) {
		util_errf(err, errlen, "authority certificate is not issued by a trusted CA");
		goto out;
	}
	if (!has_eku(cert)) {
		util_errf(err, errlen, "authority certificate lacks the PIN reset EKU");
		goto out;
	}
	if (X509_cmp_time(X509_get0_notBefore(cert), &t) != -1 ||
	    X509_cmp_time(X509_get0_notAfter(cert), &t) != 1) {
		util_errf(err, errlen, "authority certificate is not valid now");
		goto out;
	}
	if (!verify_rs256(X509_get0_pubkey(cert), (const unsigned char *)token,
	    (size_t)(d2 - token), sig, siglen)) {
		util_errf(err, errlen, "signature does not verify");
		goto out;
	}
	if (out != NULL)
		*out = c;
	if (c.exp <= now) {
		util_errf(err, errlen, "authorization expired");
		rc = PINRESET_EXPIRED;
		goto out;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = PINRESET_OK;
out:
	json_decref(hdr);
	json_decref(pl);
	X509_free(cert);
	free(sig);
	return rc;
}
