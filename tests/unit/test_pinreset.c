/*
 * test_pinreset: ca/pinreset (R16a): the kiosk challenge message and proof,
 * the PIN reset authorization JWS (build, strict parse, trust, expiry).
 *
 * A throwaway AUTH CA and PIN reset authority are made once per process
 * (unchecked fixture); "now" is the fixed T0 so certificate validity is
 * deterministic.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/pinreset.h"
#include "ca/signer.h"
#include "tests/unit/testlib.h"

#define T0	((time_t)1767225600)	/* 2026-01-01T00:00:00Z */
#define DAY	((time_t)86400)
#define UUID1	"5b0e4c1a-9f43-4d3e-8a61-2f0c3b7d9e10"

static char		 dir[64];
static EVP_PKEY		*ca_key, *ca2_key, *auth_key;
static X509		*ca, *ca_twin, *ca_other;	/* twin: same name, other key */
static X509		*authority, *noeku, *wrongeku, *expired_auth;
static struct signer	*auth_signer;

/* --- fixture ---------------------------------------------------------------- */

static X509_NAME *
name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(n);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val));
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for pub named cn, issued by (issuer_name, issuer_key), valid [nb, na). */
static X509 *
mkcert(EVP_PKEY *pub, const char *cn, const char *issuer_cn, EVP_PKEY *issuer_key,
    time_t nb, time_t na, int is_ca, const char *eku)
{
	X509		*x;
	X509_NAME	*s, *i;

	ck_assert_ptr_nonnull(x = X509_new());
	s = name(cn);
	i = name(issuer_cn);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(nb & 0xffff) + (is_ca ? 1 : 2));
	X509_set_subject_name(x, s);
	X509_set_issuer_name(x, i);
	ck_assert_ptr_nonnull(X509_time_adj(X509_getm_notBefore(x), 0, &nb));
	ck_assert_ptr_nonnull(X509_time_adj(X509_getm_notAfter(x), 0, &na));
	X509_set_pubkey(x, pub);
	add_ext(x, NULL, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (eku != NULL)
		add_ext(x, NULL, NID_ext_key_usage, eku);
	ck_assert_int_gt(X509_sign(x, issuer_key, EVP_sha256()), 0);
	X509_NAME_free(s);
	X509_NAME_free(i);
	return x;
}

static void
setup(void)
{
	char	 path[128], err[256];
	FILE	*fp;
	int	 fd;

	snprintf(dir, sizeof(dir), "/tmp/jpkid-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	ck_assert_ptr_nonnull(ca2_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	ck_assert_ptr_nonnull(auth_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	ca = mkcert(ca_key, "Test AUTH CA", "Test AUTH CA", ca_key, T0 - 365 * DAY,
	    T0 + 3650 * DAY, 1, NULL);
	ca_twin = mkcert(ca2_key, "Test AUTH CA", "Test AUTH CA", ca2_key, T0 - 365 * DAY,
	    T0 + 3650 * DAY, 1, NULL);
	ca_other = mkcert(ca2_key, "Other CA", "Other CA", ca2_key, T0 - 365 * DAY,
	    T0 + 3650 * DAY, 1, NULL);
	authority = mkcert(auth_key, "PIN reset authority", "Test AUTH CA", ca_key,
	    T0 - DAY, T0 + 365 * DAY, 0, PINRESET_EKU_OID);
	noeku = mkcert(auth_key, "PIN reset authority", "Test AUTH CA", ca_key,
	    T0 - DAY, T0 + 365 * DAY, 0, NULL);
	wrongeku = mkcert(auth_key, "PIN reset authority", "Test AUTH CA", ca_key,
	    T0 - DAY, T0 + 365 * DAY, 0, "clientAuth");
	expired_auth = mkcert(auth_key, "PIN reset authority", "Test AUTH CA", ca_key,
	    T0 - 30 * DAY, T0 - DAY, 0, PINRESET_EKU_OID);

	snprintf(path, sizeof(path), "%s/authority.key", dir);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), -1);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(fp, auth_key, NULL, NULL, 0, NULL, NULL), 1);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_msg(signer_open(path, NULL, &auth_signer, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	rmdir(dir);
}

static void
teardown(void)
{
	signer_free(auth_signer);
	X509_free(ca);
	X509_free(ca_twin);
	X509_free(ca_other);
	X509_free(authority);
	X509_free(noeku);
	X509_free(wrongeku);
	X509_free(expired_auth);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ca2_key);
	EVP_PKEY_free(auth_key);
}

/* --- helpers ----------------------------------------------------------------- */

static struct pinreset_claims
claims(const char *card, const char *kt, const char *ch)
{
	struct pinreset_claims c;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", UUID1);
	snprintf(c.card_number, sizeof(c.card_number), "%s", card);
	snprintf(c.key_type, sizeof(c.key_type), "%s", kt);
	snprintf(c.channel, sizeof(c.channel), "%s", ch);
	c.iat = T0;
	c.exp = T0 + 300;
	return c;
}

static char *
token_with(X509 *cert, const struct pinreset_claims *c)
{
	char *tok = NULL;

	ck_assert_int_eq(pinreset_authz_build(auth_signer, cert, c, &tok), 0);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

static enum pinreset_result
verify1(const char *tok, X509 *anchor, time_t now, struct pinreset_claims *out,
    char *err, size_t errlen)
{
	X509 *a[1] = { anchor };

	return pinreset_authz_verify(tok, a, 1, now, out, err, errlen);
}

static char *
b64url(const unsigned char *in, size_t len)
{
	char	*out = malloc(4 * ((len + 2) / 3) + 1), *p;
	int	 n;

	ck_assert_ptr_nonnull(out);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (p = out; *p != '\0'; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	return out;
}

/* base64 (standard) DER of the authority certificate. */
static char *
authority_x5c(X509 *cert)
{
	unsigned char	*der = NULL;
	char		*out;
	int		 len;

	ck_assert_int_gt(len = i2d_X509(cert, &der), 0);
	ck_assert_ptr_nonnull(out = malloc(4 * ((size_t)len + 2) / 3 + 4));
	EVP_EncodeBlock((unsigned char *)out, der, len);
	OPENSSL_free(der);
	return out;
}

/*
 * A token from raw header and payload JSON text, correctly signed by the
 * authority key, so that a refusal can only come from the text itself.
 * "%X" in hdr is replaced by the authority certificate.
 */
static char *
craft(const char *hdr, const char *pl)
{
	char		*x5c = authority_x5c(authority), *h, *h64, *p64, *s64, *input, *tok;
	const char	*mark;
	unsigned char	*sig = NULL;
	size_t		 siglen = 0, n;

	n = strlen(hdr) + strlen(x5c) + 1;
	ck_assert_ptr_nonnull(h = malloc(n));
	if ((mark = strstr(hdr, "%X")) != NULL)
		snprintf(h, n, "%.*s%s%s", (int)(mark - hdr), hdr, x5c, mark + 2);
	else
		snprintf(h, n, "%s", hdr);
	h64 = b64url((const unsigned char *)h, strlen(h));
	p64 = b64url((const unsigned char *)pl, strlen(pl));
	n = strlen(h64) + strlen(p64) + 2;
	ck_assert_ptr_nonnull(input = malloc(n));
	snprintf(input, n, "%s.%s", h64, p64);
	ck_assert_int_eq(signer_sign(auth_signer, EVP_sha256(), (unsigned char *)input,
	    strlen(input), &sig, &siglen), 0);
	s64 = b64url(sig, siglen);
	n = strlen(input) + strlen(s64) + 2;
	ck_assert_ptr_nonnull(tok = malloc(n));
	snprintf(tok, n, "%s.%s", input, s64);
	OPENSSL_free(sig);
	free(x5c);
	free(h);
	free(h64);
	free(p64);
	free(s64);
	free(input);
	return tok;
}

#define GOOD_HDR "{\"alg\":\"RS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":[\"%X\"]}"
#define GOOD_PL "{\"id\":\"" UUID1 "\",\"card_number\":\"123456789012\"," \
	"\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":1767225600,\"exp\":1767225900}"

/* --- challenge and kiosk proof ---------------------------------------------- */

START_TEST(test_r16a_challenge_message_exact_bytes)
{
	static const char want[] =
	    "jpki-pin-reset-challenge/1\n123456789012\nsign\nAbc-_0123456789";
	char	buf[128];
	int	n;

	n = pinreset_challenge_message("123456789012", "sign", "Abc-_0123456789", buf,
	    sizeof(buf));
	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_int_eq(memcmp(buf, want, sizeof(want)), 0);	/* incl. the NUL */
	n = pinreset_challenge_message("123456789012", "auth", "x", buf, sizeof(buf));
	ck_assert_int_eq(n, 46);
	ck_assert_str_eq(buf, "jpki-pin-reset-challenge/1\n123456789012\nauth\nx");
	/* exactly fitting (n + 1 bytes) works, one byte less does not */
	ck_assert_int_eq(pinreset_challenge_message("123456789012", "auth", "x", buf, 47), 46);
	ck_assert_int_eq(pinreset_challenge_message("123456789012", "auth", "x", buf, 46), -1);
}
END_TEST

START_TEST(test_r16a_challenge_message_refuses_malformed)
{
	char buf[128];

	ck_assert_int_eq(pinreset_challenge_message("", "sign", "x", buf, sizeof(buf)), -1);
	ck_assert_int_eq(pinreset_challenge_message(NULL, "sign", "x", buf, sizeof(buf)), -1);
	ck_assert_int_eq(pinreset_challenge_message("1234", "pin", "x", buf, sizeof(buf)), -1);
	ck_assert_int_eq(pinreset_challenge_message("1234", "SIGN", "x", buf, sizeof(buf)), -1);
	ck_assert_int_eq(pinreset_challenge_message("12\n34", "sign", "x", buf, sizeof(buf)), -1);
	ck_assert_int_eq(pinreset_challenge_message("1234", "sign", "", buf, sizeof(buf)), -1);
	ck_assert_int_eq(pinreset_challenge_message("1234", "sign", "a\nb", buf, sizeof(buf)), -1);
	ck_assert_int_eq(pinreset_challenge_message("12345678901234567", "sign", "x", buf,
	    sizeof(buf)), -1);
}
END_TEST

START_TEST(test_r16a_new_challenge_shape)
{
	char	a[PINRESET_CHALLENGE_LEN + 1], b[PINRESET_CHALLENGE_LEN + 1];
	size_t	i;

	ck_assert_int_eq(pinreset_new_challenge(a, sizeof(a)), 0);
	ck_assert_int_eq(pinreset_new_challenge(b, sizeof(b)), 0);
	ck_assert_uint_eq(strlen(a), 43);
	for (i = 0; i < 43; i++)
		ck_assert_ptr_nonnull(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_", a[i]));
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(pinreset_new_challenge(a, 43), -1);
}
END_TEST

START_TEST(test_r16a_kiosk_proof_verifies_only_exact_message)
{
	char		 msg[128];
	unsigned char	*sig = NULL;
	size_t		 siglen = 0;
	int		 n;

	n = pinreset_challenge_message("123456789012", "sign", "ch", msg, sizeof(msg));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(signer_sign(auth_signer, EVP_sha256(), (unsigned char *)msg,
	    (size_t)n, &sig, &siglen), 0);
	ck_assert_int_eq(pinreset_verify_signature(authority, (unsigned char *)msg,
	    (size_t)n, sig, siglen), 1);
	/* the same proof for the other key type does not verify */
	n = pinreset_challenge_message("123456789012", "auth", "ch", msg, sizeof(msg));
	ck_assert_int_eq(pinreset_verify_signature(authority, (unsigned char *)msg,
	    (size_t)n, sig, siglen), 0);
	/* nor with another certificate's key, nor truncated */
	n = pinreset_challenge_message("123456789012", "sign", "ch", msg, sizeof(msg));
	ck_assert_int_eq(pinreset_verify_signature(ca, (unsigned char *)msg, (size_t)n,
	    sig, siglen), 0);
	ck_assert_int_eq(pinreset_verify_signature(authority, (unsigned char *)msg,
	    (size_t)n, sig, siglen - 1), 0);
	ck_assert_int_eq(pinreset_verify_signature(NULL, (unsigned char *)msg, (size_t)n,
	    sig, siglen), 0);
	OPENSSL_free(sig);
}
END_TEST

/* --- authorization ------------------------------------------------------------ */

/*
 * An Idempotency-Key replay signs the recorded claims again instead of
 * keeping the token (api/counter/pin_resets.c): the same claims and key
 * must give the same bytes (RS256 is deterministic).
 */
START_TEST(test_r16a_authz_build_is_deterministic)
{
	struct pinreset_claims	c = claims("123456789012", "sign", "kiosk");
	char			*a = NULL, *b = NULL;

	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &a), 0);
	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &b), 0);
	ck_assert_str_eq(a, b);
	free(b);
	c.exp++;
	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &b), 0);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_r16a_authz_round_trip)
{
	struct pinreset_claims	c = claims("123456789012", "auth", "counter"), got;
	char			err[256] = "x", *tok = token_with(authority, &c);

	ck_assert_int_eq(verify1(tok, ca, T0 + 10, &got, err, sizeof(err)), PINRESET_OK);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(got.id, UUID1);
	ck_assert_str_eq(got.card_number, "123456789012");
	ck_assert_str_eq(got.key_type, "auth");
	ck_assert_str_eq(got.channel, "counter");
	ck_assert_int_eq(got.iat, T0);
	ck_assert_int_eq(got.exp, T0 + 300);
	/* the header is exactly the contract's */
	ck_assert_int_eq(strncmp(tok, "eyJhbGciOiJSUzI1NiIsInR5cCI6Impwa2ktcGluLXJlc2V0Iiwi",
	    52), 0);
	/* the card's anchors may hold several CAs: the right one is found */
	{
		X509 *two[2] = { ca_other, ca };

		ck_assert_int_eq(pinreset_authz_verify(tok, two, 2, T0, &got, err,
		    sizeof(err)), PINRESET_OK);
	}
	free(tok);
}
END_TEST

START_TEST(test_r16a_authz_expired)
{
	struct pinreset_claims	c = claims("123456789012", "sign", "kiosk"), got;
	char			err[256], *tok = token_with(authority, &c);

	ck_assert_int_eq(verify1(tok, ca, T0 + 299, &got, err, sizeof(err)), PINRESET_OK);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(verify1(tok, ca, T0 + 300, &got, err, sizeof(err)),
	    PINRESET_EXPIRED);
	ck_assert_str_eq(got.id, UUID1);		/* filled for the caller's message */
	ck_assert_str_eq(err, "authorization expired");
	ck_assert_int_eq(verify1(tok, ca, T0 + 3600, NULL, err, sizeof(err)),
	    PINRESET_EXPIRED);
	free(tok);
}
END_TEST

START_TEST(test_r16a_authz_tampered_payload)
{
	struct pinreset_claims	c1 = claims("123456789012", "sign", "kiosk");
	struct pinreset_claims	c2 = claims("999999999999", "sign", "kiosk");
	char			err[256], *t1 = token_with(authority, &c1);
	char			*t2 = token_with(authority, &c2), *mix;
	const char		*p1 = strchr(t1, '.'), *p2 = strchr(t2, '.');
	size_t			 n;

	/* header of t1, payload of t2 (another card), signature of t1 */
	n = strlen(t1) + strlen(t2) + 1;
	ck_assert_ptr_nonnull(mix = malloc(n));
	snprintf(mix, n, "%.*s.%.*s.%s", (int)(p1 - t1), t1,
	    (int)(strchr(p2 + 1, '.') - p2 - 1), p2 + 1, strrchr(t1, '.') + 1);
	ck_assert_int_eq(verify1(mix, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_str_eq(err, "signature does not verify");
	/* a signature byte flipped */
	mix[strlen(mix) - 3] = mix[strlen(mix) - 3] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify1(mix, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	free(mix);
	free(t1);
	free(t2);
}
END_TEST

START_TEST(test_r16a_authz_wrong_anchor)
{
	struct pinreset_claims	c = claims("123456789012", "sign", "kiosk");
	char			err[256], *tok = token_with(authority, &c);

	/* same subject name, other key: the name alone is not trust */
	ck_assert_int_eq(verify1(tok, ca_twin, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_str_eq(err, "authority certificate is not issued by a trusted CA");
	ck_assert_int_eq(verify1(tok, ca_other, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_int_eq(pinreset_authz_verify(tok, NULL, 0, T0, NULL, err, sizeof(err)),
	    PINRESET_INVALID);
	free(tok);
}
END_TEST

START_TEST(test_r16a_authz_needs_eku)
{
	struct pinreset_claims	c = claims("123456789012", "sign", "kiosk");
	char			err[256], *t1 = token_with(noeku, &c);
	char			*t2 = token_with(wrongeku, &c);

	ck_assert_int_eq(verify1(t1, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_str_eq(err, "authority certificate lacks the PIN reset EKU");
	ck_assert_int_eq(verify1(t2, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_str_eq(err, "authority certificate lacks the PIN reset EKU");
	free(t1);
	free(t2);
}
END_TEST

START_TEST(test_r16a_authz_authority_outside_validity)
{
	struct pinreset_claims	c = claims("123456789012", "sign", "kiosk");
	char			err[256], *t1 = token_with(expired_auth, &c), *t2;

	ck_assert_int_eq(verify1(t1, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_str_eq(err, "authority certificate is not valid now");
	/* before the authority's notBefore (T0 - 1 day), even with a token made for then */
	c.iat = T0 - 2 * DAY;
	c.exp = c.iat + 300;
	t2 = token_with(authority, &c);
	ck_assert_int_eq(verify1(t2, ca, T0 - 2 * DAY + 1, NULL, err, sizeof(err)),
	    PINRESET_INVALID);
	ck_assert_str_eq(err, "authority certificate is not valid now");
	free(t1);
	free(t2);
}
END_TEST

START_TEST(test_r16a_authz_crafted_control_is_valid)
{
	struct pinreset_claims	got;
	char			err[256], *tok = craft(GOOD_HDR, GOOD_PL);

	/* the crafting helper itself makes acceptable tokens: refusals below are real */
	ck_assert_int_eq(verify1(tok, ca, T0, &got, err, sizeof(err)), PINRESET_OK);
	ck_assert_str_eq(got.card_number, "123456789012");
	free(tok);
}
END_TEST

/* Each row: header or payload text that must be refused, and why. */
static const struct {
	const char *hdr, *pl, *err;
} bad_rows[] = {
	{ "{\"alg\":\"HS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":[\"%X\"]}", GOOD_PL,
	    "header alg is not RS256" },
	{ "{\"alg\":\"none\",\"typ\":\"jpki-pin-reset\",\"x5c\":[\"%X\"]}", GOOD_PL,
	    "header alg is not RS256" },
	{ "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"%X\"]}", GOOD_PL,
	    "header typ is not jpki-pin-reset" },
	{ "{\"alg\":\"RS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":[\"%X\",\"%X\"]}", GOOD_PL,
	    "header x5c must hold exactly one certificate" },
	{ "{\"alg\":\"RS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":[]}", GOOD_PL,
	    "header x5c must hold exactly one certificate" },
	{ "{\"alg\":\"RS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":\"%X\"}", GOOD_PL,
	    "header x5c must hold exactly one certificate" },
	{ "{\"alg\":\"RS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":[\"AAAA\"]}", GOOD_PL,
	    "header x5c is not one DER certificate" },
	{ "{\"alg\":\"RS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":[\"%X\"],\"kid\":\"1\"}",
	    GOOD_PL, "header must have exactly alg, typ and x5c" },
	{ "{\"alg\":\"RS256\",\"x5c\":[\"%X\"]}", GOOD_PL,
	    "header must have exactly alg, typ and x5c" },
	{ "{\"alg\":\"RS256\",\"alg\":\"RS256\",\"typ\":\"jpki-pin-reset\",\"x5c\":[\"%X\"]}",
	    GOOD_PL, "header is not base64url JSON object" },
	{ "[\"RS256\"]", GOOD_PL, "header is not base64url JSON object" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":\"123456789012\","
	    "\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":1767225600,\"exp\":1767225900,"
	    "\"x\":1}", "payload must have exactly id, card_number, key_type, channel "
	    "(strings), iat and exp (integers)" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":123456789012,"
	    "\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":1767225600,\"exp\":1767225900}",
	    "payload must have exactly id, card_number, key_type, channel "
	    "(strings), iat and exp (integers)" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":\"123456789012\","
	    "\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":\"1767225600\",\"exp\":1767225900}",
	    "payload must have exactly id, card_number, key_type, channel "
	    "(strings), iat and exp (integers)" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":\"123456789012\","
	    "\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":1767225600,\"exp\":1767225900.0}",
	    "payload must have exactly id, card_number, key_type, channel "
	    "(strings), iat and exp (integers)" },
	{ GOOD_HDR, "{\"id\":\"5b0e4c1a9f434d3e8a612f0c3b7d9e10xxxx\",\"card_number\":"
	    "\"123456789012\",\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":1767225600,"
	    "\"exp\":1767225900}", "payload id is not a uuid" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":\"12 45\","
	    "\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":1767225600,\"exp\":1767225900}",
	    "payload card_number is malformed" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":\"123456789012\","
	    "\"key_type\":\"pin\",\"channel\":\"kiosk\",\"iat\":1767225600,\"exp\":1767225900}",
	    "payload key_type is not sign or auth" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":\"123456789012\","
	    "\"key_type\":\"sign\",\"channel\":\"web\",\"iat\":1767225600,\"exp\":1767225900}",
	    "payload channel is not counter or kiosk" },
	{ GOOD_HDR, "{\"id\":\"" UUID1 "\",\"card_number\":\"123456789012\","
	    "\"key_type\":\"sign\",\"channel\":\"kiosk\",\"iat\":1767225900,\"exp\":1767225600}",
	    "payload iat/exp are not a time span" },
};

START_TEST(test_r16a_authz_strict_parse)
{
	char err[256], *tok = craft(bad_rows[_i].hdr, bad_rows[_i].pl);

	ck_assert_msg(verify1(tok, ca, T0, NULL, err, sizeof(err)) == PINRESET_INVALID,
	    "row %d accepted", _i);
	ck_assert_str_eq(err, bad_rows[_i].err);
	free(tok);
}
END_TEST

START_TEST(test_r16a_authz_garbage)
{
	static const char *const rows[] = {
		"", "abc", "a.b", "a.b.c.d", "..", "...", "eyJ9.eyJ9.", "!!!.eyJ9.AAAA",
		"eyJhbGciOiJSUzI1NiJ9.eyJ9.AAAA", "eyJ9=.eyJ9.AAAA", "\xff\xfe.x.y",
	};
	struct pinreset_claims	 c = claims("123456789012", "sign", "kiosk");
	char			 err[256], *good = token_with(authority, &c), *big, *pad;
	size_t			 i, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(verify1(rows[i], ca, T0, NULL, err, sizeof(err)) ==
		    PINRESET_INVALID, "row %zu accepted", i);
	ck_assert_int_eq(verify1(NULL, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_str_eq(err, "authorization missing or too long");
	/* trailing garbage, padding and whitespace in a valid token */
	n = strlen(good) + 8;
	ck_assert_ptr_nonnull(pad = malloc(n));
	snprintf(pad, n, "%s=", good);
	ck_assert_int_eq(verify1(pad, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	snprintf(pad, n, "%s\n", good);
	ck_assert_int_eq(verify1(pad, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	snprintf(pad, n, " %s", good);
	ck_assert_int_eq(verify1(pad, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	snprintf(pad, n, "%s.", good);
	ck_assert_int_eq(verify1(pad, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	/* an oversized token is refused unread */
	ck_assert_ptr_nonnull(big = malloc(70000));
	memset(big, 'A', 69999);
	big[69999] = '\0';
	big[10] = '.';
	big[20] = '.';
	ck_assert_int_eq(verify1(big, ca, T0, NULL, err, sizeof(err)), PINRESET_INVALID);
	ck_assert_str_eq(err, "authorization missing or too long");
	/* the untouched token still passes (the refusals above are about the bytes) */
	ck_assert_int_eq(verify1(good, ca, T0, NULL, err, sizeof(err)), PINRESET_OK);
	free(big);
	free(pad);
	free(good);
}
END_TEST

START_TEST(test_r16a_authz_build_refuses)
{
	struct pinreset_claims	c = claims("123456789012", "sign", "kiosk");
	char			*tok = (char *)1;

	/* the authority certificate is not the signer's key */
	ck_assert_int_eq(pinreset_authz_build(auth_signer, ca, &c, &tok), -1);
	ck_assert_ptr_null(tok);
	c = claims("123456789012", "both", "kiosk");
	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &tok), -1);
	c = claims("123456789012", "sign", "mail");
	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &tok), -1);
	c = claims("", "sign", "kiosk");
	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &tok), -1);
	c = claims("123456789012", "sign", "kiosk");
	c.exp = c.iat;
	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &tok), -1);
	c = claims("123456789012", "sign", "kiosk");
	c.id[8] = 'x';
	ck_assert_int_eq(pinreset_authz_build(auth_signer, authority, &c, &tok), -1);
	ck_assert_ptr_null(tok);
}
END_TEST

static Suite *
pinreset_suite(void)
{
	Suite	*s = suite_create("pinreset");
	TCase	*tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_r16a_challenge_message_exact_bytes);
	tcase_add_test(tc, test_r16a_challenge_message_refuses_malformed);
	tcase_add_test(tc, test_r16a_new_challenge_shape);
	tcase_add_test(tc, test_r16a_kiosk_proof_verifies_only_exact_message);
	tcase_add_test(tc, test_r16a_authz_round_trip);
	tcase_add_test(tc, test_r16a_authz_build_is_deterministic);
	tcase_add_test(tc, test_r16a_authz_expired);
	tcase_add_test(tc, test_r16a_authz_tampered_payload);
	tcase_add_test(tc, test_r16a_authz_wrong_anchor);
	tcase_add_test(tc, test_r16a_authz_needs_eku);
	tcase_add_test(tc, test_r16a_authz_authority_outside_validity);
	tcase_add_test(tc, test_r16a_authz_crafted_control_is_valid);
	tcase_add_loop_test(tc, test_r16a_authz_strict_parse, 0,
	    (int)(sizeof(bad_rows) / sizeof(bad_rows[0])));
	tcase_add_test(tc, test_r16a_authz_garbage);
	tcase_add_test(tc, test_r16a_authz_build_refuses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(pinreset_suite());
}
