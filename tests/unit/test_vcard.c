/*
 * test_vcard: the virtual card (tools/vcard): R15 PIN formats, R16 retry
 * counters, two-phase issuance, signing after a PIN, R16a PIN change and
 * reset with a jpkid authorization, atomic card file writes.
 *
 * A throwaway AUTH CA and PIN reset authority are made once (unchecked
 * fixture); each test works on its own card file in a fresh directory.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/csr.h"
#include "ca/pinreset.h"
#include "ca/signer.h"
#include "tests/unit/testlib.h"
#include "tools/vcard.h"

#define CARD	"123456789012"
#define NOW	((time_t)1767225600)	/* 2026-01-01T00:00:00Z */
#define DAY	((time_t)86400)

static EVP_PKEY		*ca_key, *rogue_key, *authority_key;
static X509		*ca, *rogue, *authority, *rogue_authority;
static struct signer	*authority_signer;
static char		 fixdir[64], anchors_pem[128];
static char		 dir[64], path[128];

/* --- fixture ------------------------------------------------------------------ */

static X509 *
mkcert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int is_ca,
    const char *eku)
{
	X509		*x;
	X509_NAME	*n;
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;
	time_t		 nb = NOW - 30 * DAY, na = NOW + 3650 * DAY;
	static long	 serial = 1;

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_ptr_nonnull(n = X509_NAME_new());
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_time_adj(X509_getm_notBefore(x), 0, &nb);
	X509_time_adj(X509_getm_notAfter(x), 0, &na);
	X509_set_pubkey(x, pub);
	X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (eku != NULL) {
		e = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	ck_assert_int_gt(X509_sign(x, issuer_key, EVP_sha256()), 0);
	X509_NAME_free(n);
	return x;
}

static void
setup(void)
{
	char	 kpath[128], err[256];
	FILE	*fp;

	snprintf(fixdir, sizeof(fixdir), "/tmp/jpkid-vcard-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fixdir));
	ck_assert_ptr_nonnull(ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	ck_assert_ptr_nonnull(rogue_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	ck_assert_ptr_nonnull(authority_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048));
	ca = mkcert(ca_key, "Test AUTH CA", NULL, ca_key, 1, NULL);
	rogue = mkcert(rogue_key, "Test AUTH CA", NULL, rogue_key, 1, NULL);
	authority = mkcert(authority_key, "PIN reset authority", ca, ca_key, 0,
	    PINRESET_EKU_OID);
	rogue_authority = mkcert(authority_key, "PIN reset authority", rogue, rogue_key, 0,
	    PINRESET_EKU_OID);
	snprintf(kpath, sizeof(kpath), "%s/authority.key", fixdir);
	ck_assert_ptr_nonnull(fp = fdopen(open(kpath, O_WRONLY | O_CREAT | O_EXCL, 0600), "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(fp, authority_key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	ck_assert_msg(signer_open(kpath, NULL, &authority_signer, err, sizeof(err)) == 0,
	    "%s", err);
	unlink(kpath);
	snprintf(anchors_pem, sizeof(anchors_pem), "%s/anchors.pem", fixdir);
	ck_assert_ptr_nonnull(fp = fopen(anchors_pem, "w"));
	ck_assert_int_eq(PEM_write_X509(fp, ca), 1);
	fclose(fp);
}

static void
teardown(void)
{
	unlink(anchors_pem);
	rmdir(fixdir);
	signer_free(authority_signer);
	X509_free(ca);
	X509_free(rogue);
	X509_free(authority);
	X509_free(rogue_authority);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rogue_key);
	EVP_PKEY_free(authority_key);
}

static void
card_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jpkid-vcard-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/card.json", dir);
}

static void
card_dir_done(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[400];

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* --- helpers -------------------------------------------------------------------- */

/* Issue a certificate for the public key of the card's CSR (as jpkid would). */
static unsigned char *
issue_for_csr(const unsigned char *csr, size_t csrlen, size_t *len)
{
	EVP_PKEY	*pub = NULL;
	const char	*rule = NULL;
	char		 err[256];
	X509		*x;
	unsigned char	*der = NULL;
	int		 l;

	ck_assert_msg(csr_parse(csr, csrlen, &pub, &rule, err, sizeof(err)) == 0, "%s", err);
	x = mkcert(pub, "holder", ca, ca_key, 0, NULL);
	ck_assert_int_gt(l = i2d_X509(x, &der), 0);
	*len = (size_t)l;
	X509_free(x);
	EVP_PKEY_free(pub);
	return der;
}

static unsigned char *
ca_der(size_t *len)
{
	unsigned char	*der = NULL;
	int		 l;

	ck_assert_int_gt(l = i2d_X509(ca, &der), 0);
	*len = (size_t)l;
	return der;
}

/* keygen + csr + install of k with pin; with_ca: hand the CA certificate over too. */
static void
issue(struct vcard *c, enum vcard_key k, const char *pin, int with_ca)
{
	unsigned char	*csr = NULL, *cert, *cad = NULL;
	size_t		 csrlen = 0, certlen, calen = 0;

	ck_assert_int_eq(vcard_keygen(c, k, pin), VCARD_OK);
	ck_assert_int_eq(vcard_csr(c, k, &csr, &csrlen), VCARD_OK);
	cert = issue_for_csr(csr, csrlen, &certlen);
	if (with_ca)
		cad = ca_der(&calen);
	ck_assert_msg(vcard_install(c, k, cert, certlen, cad, calen) == VCARD_OK, "%s",
	    vcard_last_error(c));
	free(csr);
	OPENSSL_free(cert);
	OPENSSL_free(cad);
}

/* A fresh card at path with both keys issued: SIGN "ABC123", AUTH "1234". */
static struct vcard *
issued_card(void)
{
	struct vcard	*c = NULL;
	char		 err[256];

	card_dir();
	ck_assert_msg(vcard_create(path, CARD, NULL, &c, err, sizeof(err)) == VCARD_OK, "%s",
	    err);
	issue(c, VCARD_SIGN, "abc123", 1);
	issue(c, VCARD_AUTH, "1234", 1);
	return c;
}

static char *
authz(X509 *cert, const char *id, const char *card, const char *kt, time_t iat)
{
	struct pinreset_claims	 cl;
	char			*tok = NULL;

	memset(&cl, 0, sizeof(cl));
	snprintf(cl.id, sizeof(cl.id), "%s", id);
	snprintf(cl.card_number, sizeof(cl.card_number), "%s", card);
	snprintf(cl.key_type, sizeof(cl.key_type), "%s", kt);
	snprintf(cl.channel, sizeof(cl.channel), "kiosk");
	cl.iat = iat;
	cl.exp = iat + 300;
	ck_assert_int_eq(pinreset_authz_build(authority_signer, cert, &cl, &tok), 0);
	return tok;
}

static int
reopen_tries(enum vcard_key k)
{
	struct vcard	*c2 = NULL;
	char		 err[256];
	int		 t;

	ck_assert_msg(vcard_open(path, &c2, err, sizeof(err)) == VCARD_OK, "%s", err);
	t = vcard_tries_left(c2, k);
	vcard_close(c2);
	return t;
}

#define ID1 "0f8fad5b-d9cb-469f-a165-70867728950e"
#define ID2 "7c9e6679-7425-40de-944b-e07fc1f90ae7"

/* --- R15 ------------------------------------------------------------------------- */

static const struct {
	enum vcard_key	 k;
	const char	*pin, *norm;	/* norm NULL: refused */
} r15_rows[] = {
	{ VCARD_AUTH, "1234", "1234" },
	{ VCARD_AUTH, "0000", "0000" },
	{ VCARD_AUTH, "123", NULL },
	{ VCARD_AUTH, "12345", NULL },
	{ VCARD_AUTH, "12a4", NULL },
	{ VCARD_AUTH, "", NULL },
	{ VCARD_AUTH, " 1234", NULL },
	{ VCARD_AUTH, "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94", NULL }, /* fullwidth */
	{ VCARD_SIGN, "ABC123", "ABC123" },
	{ VCARD_SIGN, "abc123", "ABC123" },
	{ VCARD_SIGN, "aBc1234567890XyZ", "ABC1234567890XYZ" },	/* 16 */
	{ VCARD_SIGN, "A1B2C", NULL },				/* 5 */
	{ VCARD_SIGN, "ABC1234567890XYZW", NULL },		/* 17 */
	{ VCARD_SIGN, "ABCDEF", NULL },				/* no digit */
	{ VCARD_SIGN, "123456", NULL },				/* no letter */
	{ VCARD_SIGN, "ABC 123", NULL },
	{ VCARD_SIGN, "ABC-123", NULL },
	{ VCARD_SIGN, "ÄBC123", NULL },
};

START_TEST(test_r15_pin_formats)
{
	char	norm[32], msg[160];
	int	rc;

	memset(norm, 0, sizeof(norm));
	rc = vcard_pin_format(r15_rows[_i].k, r15_rows[_i].pin, norm, sizeof(norm), msg,
	    sizeof(msg));
	if (r15_rows[_i].norm != NULL) {
		ck_assert_msg(rc == VCARD_OK, "row %d refused: %s", _i, msg);
		ck_assert_str_eq(norm, r15_rows[_i].norm);
	} else {
		ck_assert_msg(rc == VCARD_E_PIN_FORMAT, "row %d accepted", _i);
		ck_assert_str_eq(msg, r15_rows[_i].k == VCARD_AUTH ?
		    "the AUTH PIN is exactly 4 digits" :
		    "the SIGN PIN is 6 to 16 characters of A-Z and 0-9 with at least one "
		    "letter and one digit");
	}
}
END_TEST

START_TEST(test_r15_sign_pin_folded)
{
	struct vcard *c = issued_card();		/* SIGN PIN set as "abc123" */

	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "ABC123"), VCARD_OK);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "aBc123"), VCARD_OK);
	/* a badly formed PIN is refused before the card counts it */
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "abc"), VCARD_E_PIN_FORMAT);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), 5);
	ck_assert_int_eq(vcard_keygen(c, VCARD_AUTH, "12345"), VCARD_E_PIN_FORMAT);
	ck_assert_str_eq(vcard_last_error(c), "the AUTH PIN is exactly 4 digits");
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_key_names)
{
	enum vcard_key k = VCARD_AUTH;

	ck_assert_str_eq(vcard_key_name(VCARD_SIGN), "sign");
	ck_assert_str_eq(vcard_key_name(VCARD_AUTH), "auth");
	ck_assert_int_eq(vcard_key_parse("sign", &k), 0);
	ck_assert_int_eq(k, VCARD_SIGN);
	ck_assert_int_eq(vcard_key_parse("auth", &k), 0);
	ck_assert_int_eq(k, VCARD_AUTH);
	ck_assert_int_eq(vcard_key_parse("both", &k), -1);
	ck_assert_int_eq(vcard_max_tries(VCARD_SIGN), 5);	/* R16 */
	ck_assert_int_eq(vcard_max_tries(VCARD_AUTH), 3);
}
END_TEST

/* --- issuance -------------------------------------------------------------------- */

START_TEST(test_create_refuses_existing_and_is_0600)
{
	struct vcard	*c = NULL, *c2 = (struct vcard *)1;
	struct stat	 st;
	char		 err[256];

	card_dir();
	ck_assert_int_eq(vcard_create(path, CARD, NULL, &c, err, sizeof(err)), VCARD_OK);
	ck_assert_str_eq(vcard_card_number(c), CARD);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(vcard_create(path, CARD, NULL, &c2, err, sizeof(err)), VCARD_E_EXISTS);
	ck_assert_ptr_null(c2);
	ck_assert_int_eq(vcard_create("/nonexistent-dir/card.json", CARD, NULL, &c2, err,
	    sizeof(err)), VCARD_E_IO);
	ck_assert_int_eq(vcard_create(path, "12-34", NULL, &c2, err, sizeof(err)),
	    VCARD_E_FORMAT);
	/* empty card: no keys */
	ck_assert_ptr_null(vcard_cert(c, VCARD_SIGN, NULL));
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "1234"), VCARD_E_NO_KEY);
	{
		unsigned char	*csr = (unsigned char *)1;
		size_t		 csrlen = 1;

		ck_assert_int_eq(vcard_csr(c, VCARD_AUTH, &csr, &csrlen), VCARD_E_NO_PENDING);
		ck_assert_ptr_null(csr);
		ck_assert_uint_eq(csrlen, 0);
	}
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_r22_issue_two_phase)
{
	struct vcard		*c = issued_card(), *c2 = NULL;
	const unsigned char	*cert, *p;
	unsigned char		*csr = NULL, *cert2;
	size_t			 len, len2, csrlen;
	char			 err[256];
	X509			*x;

	ck_assert_ptr_nonnull(cert = vcard_cert(c, VCARD_AUTH, &len));
	ck_assert_int_eq(vcard_tries_left(c, VCARD_AUTH), 3);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), 5);
	/* renewal: a refused request (cert for another key) keeps the current key */
	ck_assert_int_eq(vcard_keygen(c, VCARD_AUTH, "5678"), VCARD_OK);
	ck_assert_int_eq(vcard_csr(c, VCARD_AUTH, &csr, &csrlen), VCARD_OK);
	cert2 = issue_for_csr(csr, csrlen, &len2);
	ck_assert_int_eq(vcard_install(c, VCARD_SIGN, cert2, len2, NULL, 0),
	    VCARD_E_NO_PENDING);
	{
		size_t slen;
		const unsigned char *scert = vcard_cert(c, VCARD_SIGN, &slen);

		ck_assert_int_eq(vcard_install(c, VCARD_AUTH, scert, slen, NULL, 0),
		    VCARD_E_CERT_MISMATCH);
		/* a CA certificate that did not issue it */
		ck_assert_int_eq(vcard_install(c, VCARD_AUTH, cert2, len2, cert, len),
		    VCARD_E_CERT_MISMATCH);
	}
	ck_assert_int_eq(vcard_install(c, VCARD_AUTH, (const unsigned char *)"xx", 2, NULL, 0),
	    VCARD_E_FORMAT);
	/* the old PIN and certificate still work before the install */
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "1234"), VCARD_OK);
	ck_assert_int_eq(memcmp(vcard_cert(c, VCARD_AUTH, NULL), cert, len), 0);
	ck_assert_int_eq(vcard_install(c, VCARD_AUTH, cert2, len2, NULL, 0), VCARD_OK);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "5678"), VCARD_OK);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "1234"), VCARD_E_PIN_WRONG);
	/* survives a reopen */
	ck_assert_msg(vcard_open(path, &c2, err, sizeof(err)) == VCARD_OK, "%s", err);
	ck_assert_ptr_nonnull(vcard_cert(c2, VCARD_AUTH, &len));
	ck_assert_int_eq(len, len2);
	ck_assert_int_eq(memcmp(vcard_cert(c2, VCARD_AUTH, NULL), cert2, len2), 0);
	ck_assert_int_eq(vcard_tries_left(c2, VCARD_AUTH), 2);
	p = vcard_cert(c2, VCARD_AUTH, &len);
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)len));
	X509_free(x);
	ck_assert_int_eq(vcard_install(c2, VCARD_AUTH, cert2, len2, NULL, 0),
	    VCARD_E_NO_PENDING);
	vcard_close(c2);
	free(csr);
	OPENSSL_free(cert2);
	vcard_close(c);
	card_dir_done();
}
END_TEST

/* --- R16 ------------------------------------------------------------------------- */

START_TEST(test_r16_auth_locks_after_3)
{
	struct vcard *c = issued_card();

	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "0000"), VCARD_E_PIN_WRONG);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_AUTH), 2);
	ck_assert_str_eq(vcard_last_error(c), "wrong AUTH PIN; 2 tries left (R16)");
	ck_assert_int_eq(reopen_tries(VCARD_AUTH), 2);		/* on disk before the answer */
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "0000"), VCARD_E_PIN_WRONG);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "0000"), VCARD_E_LOCKED);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_AUTH), 0);
	/* locked: even the right PIN is refused, and nothing signs */
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "1234"), VCARD_E_LOCKED);
	ck_assert_int_eq(reopen_tries(VCARD_AUTH), 0);
	/* the other key is independent */
	ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), 5);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "ABC123"), VCARD_OK);
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_r16_sign_locks_after_5)
{
	struct vcard	*c = issued_card();
	int		 i;

	for (i = 4; i >= 1; i--) {
		ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "WRONG1"), VCARD_E_PIN_WRONG);
		ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), i);
	}
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "WRONG1"), VCARD_E_LOCKED);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "ABC123"), VCARD_E_LOCKED);
	ck_assert_int_eq(reopen_tries(VCARD_SIGN), 0);
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_r16_correct_pin_resets_counter)
{
	struct vcard *c = issued_card();

	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "9999"), VCARD_E_PIN_WRONG);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "9999"), VCARD_E_PIN_WRONG);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_AUTH), 1);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "1234"), VCARD_OK);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_AUTH), 3);
	ck_assert_int_eq(reopen_tries(VCARD_AUTH), 3);
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_r16_signs_only_after_correct_pin)
{
	struct vcard		*c = issued_card();
	static const unsigned char msg[] = "jpki-pin-reset-challenge/1\n" CARD "\nsign\nxyz";
	unsigned char		*sig = (unsigned char *)1;
	size_t			 siglen = 1, len;
	const unsigned char	*der, *p;
	X509			*x;

	ck_assert_int_eq(vcard_sign(c, VCARD_AUTH, "4321", msg, sizeof(msg) - 1, &sig,
	    &siglen), VCARD_E_PIN_WRONG);
	ck_assert_ptr_null(sig);
	ck_assert_uint_eq(siglen, 0);
	ck_assert_int_eq(vcard_sign(c, VCARD_AUTH, "1234", msg, sizeof(msg) - 1, &sig,
	    &siglen), VCARD_OK);
	ck_assert_uint_eq(siglen, 256);
	p = der = vcard_cert(c, VCARD_AUTH, &len);
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)len));
	ck_assert_int_eq(pinreset_verify_signature(x, msg, sizeof(msg) - 1, sig, siglen), 1);
	X509_free(x);
	/* the SIGN certificate's key did not make it */
	p = der = vcard_cert(c, VCARD_SIGN, &len);
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)len));
	ck_assert_int_eq(pinreset_verify_signature(x, msg, sizeof(msg) - 1, sig, siglen), 0);
	X509_free(x);
	free(sig);
	vcard_close(c);
	card_dir_done();
}
END_TEST

/* --- R16a change and reset --------------------------------------------------------- */

START_TEST(test_r16a_change_pin)
{
	struct vcard *c = issued_card();

	ck_assert_int_eq(vcard_change_pin(c, VCARD_SIGN, "ABC123", "short"),
	    VCARD_E_PIN_FORMAT);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), 5);
	ck_assert_int_eq(vcard_change_pin(c, VCARD_SIGN, "XYZ999", "NEWPIN9"),
	    VCARD_E_PIN_WRONG);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), 4);
	ck_assert_int_eq(vcard_change_pin(c, VCARD_SIGN, "abc123", "newpin9"), VCARD_OK);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), 5);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "NEWPIN9"), VCARD_OK);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "ABC123"), VCARD_E_PIN_WRONG);
	/* a locked key cannot be changed, only reset */
	while (vcard_verify_pin(c, VCARD_AUTH, "0000") != VCARD_E_LOCKED)
		;
	ck_assert_int_eq(vcard_change_pin(c, VCARD_AUTH, "1234", "5678"), VCARD_E_LOCKED);
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_r16a_reset_unlocks_with_authorization)
{
	struct vcard		*c = issued_card(), *c2 = NULL;
	unsigned char		*before;
	const unsigned char	*after;
	size_t			 len, len2;
	char			*tok = authz(authority, ID1, CARD, "sign", NOW), err[256];

	while (vcard_verify_pin(c, VCARD_SIGN, "WRONG1") != VCARD_E_LOCKED)
		;
	ck_assert_ptr_nonnull(before = malloc(4096));
	after = vcard_cert(c, VCARD_SIGN, &len);
	ck_assert_uint_lt(len, 4096);
	memcpy(before, after, len);
	/* bad new PIN: refused, authorization not spent */
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_SIGN, tok, "12", NOW + 10),
	    VCARD_E_PIN_FORMAT);
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_SIGN, tok, "reset9", NOW + 10), VCARD_OK);
	ck_assert_int_eq(vcard_tries_left(c, VCARD_SIGN), 5);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_SIGN, "RESET9"), VCARD_OK);
	/* R16: the certificate stays */
	after = vcard_cert(c, VCARD_SIGN, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_int_eq(memcmp(before, after, len), 0);
	/* one-time, also after a reopen */
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_SIGN, tok, "AGAIN1", NOW + 20),
	    VCARD_E_AUTHZ_USED);
	ck_assert_msg(vcard_open(path, &c2, err, sizeof(err)) == VCARD_OK, "%s", err);
	ck_assert_int_eq(vcard_reset_pin(c2, VCARD_SIGN, tok, "AGAIN1", NOW + 20),
	    VCARD_E_AUTHZ_USED);
	ck_assert_int_eq(vcard_verify_pin(c2, VCARD_SIGN, "RESET9"), VCARD_OK);
	vcard_close(c2);
	free(before);
	free(tok);
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_r16a_reset_refusals)
{
	struct vcard	*c = issued_card();
	char		*expired = authz(authority, ID1, CARD, "auth", NOW - 600);
	char		*other_card = authz(authority, ID1, "999999999999", "auth", NOW);
	char		*other_key = authz(authority, ID1, CARD, "sign", NOW);
	char		*untrusted = authz(rogue_authority, ID1, CARD, "auth", NOW);
	char		*good = authz(authority, ID2, CARD, "auth", NOW);

	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, expired, "5678", NOW),
	    VCARD_E_AUTHZ_EXPIRED);
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, other_card, "5678", NOW),
	    VCARD_E_AUTHZ_OTHER);
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, other_key, "5678", NOW),
	    VCARD_E_AUTHZ_OTHER);
	ck_assert_str_eq(vcard_last_error(c), "the reset authorization is for the SIGN PIN, "
	    "not the AUTH PIN");
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, untrusted, "5678", NOW),
	    VCARD_E_AUTHZ_INVALID);
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, "not.a.token", "5678", NOW),
	    VCARD_E_AUTHZ_INVALID);
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, NULL, "5678", NOW),
	    VCARD_E_AUTHZ_INVALID);
	/* none of the refusals changed the PIN */
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "1234"), VCARD_OK);
	/* the refused other-card id was not remembered: a good one with ID2 works */
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, good, "5678", NOW), VCARD_OK);
	ck_assert_int_eq(vcard_verify_pin(c, VCARD_AUTH, "5678"), VCARD_OK);
	free(expired);
	free(other_card);
	free(other_key);
	free(untrusted);
	free(good);
	vcard_close(c);
	card_dir_done();
}
END_TEST

START_TEST(test_r16a_reset_with_personalization_anchor)
{
	struct vcard	*c = NULL, *c2 = NULL;
	char		 err[256], *tok = authz(authority, ID1, CARD, "auth", NOW);

	/* without the CA certificate the card has no anchor: refused */
	card_dir();
	ck_assert_int_eq(vcard_create(path, CARD, NULL, &c, err, sizeof(err)), VCARD_OK);
	issue(c, VCARD_AUTH, "1234", 0);
	ck_assert_int_eq(vcard_reset_pin(c, VCARD_AUTH, tok, "5678", NOW),
	    VCARD_E_AUTHZ_INVALID);
	vcard_close(c);
	card_dir_done();
	/* with it as a personalization anchor (persisted): accepted */
	card_dir();
	ck_assert_int_eq(vcard_create(path, CARD, anchors_pem, &c, err, sizeof(err)), VCARD_OK);
	issue(c, VCARD_AUTH, "1234", 0);
	vcard_close(c);
	ck_assert_int_eq(vcard_open(path, &c2, err, sizeof(err)), VCARD_OK);
	ck_assert_int_eq(vcard_reset_pin(c2, VCARD_AUTH, tok, "5678", NOW), VCARD_OK);
	vcard_close(c2);
	ck_assert_int_eq(vcard_create(path, CARD, "/nonexistent.pem", &c, err, sizeof(err)),
	    VCARD_E_IO);
	free(tok);
	card_dir_done();
}
END_TEST

/* --- file --------------------------------------------------------------------------- */

#ifdef JPKID_TEST_CLOCK
START_TEST(test_atomic_write_survives_crash_before_rename)
{
	struct vcard	*c = issued_card(), *c2 = NULL;
	char		 err[256];
	pid_t		 pid;
	int		 st;

	vcard_close(c);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		struct vcard *cc = NULL;

		if (vcard_open(path, &cc, err, sizeof(err)) != VCARD_OK)
			_exit(10);
		setenv("JPKI_VCARD_CRASH_BEFORE_RENAME", "1", 1);
		vcard_verify_pin(cc, VCARD_AUTH, "0000");	/* saves: dies in the write */
		_exit(11);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	/* the previous state, intact */
	ck_assert_msg(vcard_open(path, &c2, err, sizeof(err)) == VCARD_OK, "%s", err);
	ck_assert_int_eq(vcard_tries_left(c2, VCARD_AUTH), 3);
	ck_assert_int_eq(vcard_verify_pin(c2, VCARD_AUTH, "1234"), VCARD_OK);
	ck_assert_ptr_nonnull(vcard_cert(c2, VCARD_SIGN, NULL));
	vcard_close(c2);
	card_dir_done();
}
END_TEST
#endif

START_TEST(test_open_refuses_corrupt_files)
{
	struct vcard	*c = issued_card(), *c2 = NULL;
	char		 err[256], bad[160];
	FILE		*fp;
	struct stat	 st;

	vcard_close(c);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
	ck_assert_int_eq(vcard_open(path, &c2, err, sizeof(err)), VCARD_E_FORMAT);
	ck_assert_ptr_null(c2);
	snprintf(bad, sizeof(bad), "%s/other.json", dir);
	ck_assert_ptr_nonnull(fp = fopen(bad, "w"));
	fputs("{\"format\":\"jpki-vcard/0\",\"card_number\":\"1\",\"anchors\":[],"
	    "\"used_authorizations\":[],\"sign\":null,\"auth\":null}", fp);
	fclose(fp);
	ck_assert_int_eq(vcard_open(bad, &c2, err, sizeof(err)), VCARD_E_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "not a jpki-vcard/1 card file"));
	ck_assert_int_eq(vcard_open("/nonexistent/card.json", &c2, err, sizeof(err)),
	    VCARD_E_IO);
	card_dir_done();
}
END_TEST

static Suite *
vcard_suite(void)
{
	Suite	*s = suite_create("vcard");
	TCase	*tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_r15_pin_formats, 0,
	    (int)(sizeof(r15_rows) / sizeof(r15_rows[0])));
	tcase_add_test(tc, test_r15_sign_pin_folded);
	tcase_add_test(tc, test_key_names);
	tcase_add_test(tc, test_create_refuses_existing_and_is_0600);
	tcase_add_test(tc, test_r22_issue_two_phase);
	tcase_add_test(tc, test_r16_auth_locks_after_3);
	tcase_add_test(tc, test_r16_sign_locks_after_5);
	tcase_add_test(tc, test_r16_correct_pin_resets_counter);
	tcase_add_test(tc, test_r16_signs_only_after_correct_pin);
	tcase_add_test(tc, test_r16a_change_pin);
	tcase_add_test(tc, test_r16a_reset_unlocks_with_authorization);
	tcase_add_test(tc, test_r16a_reset_refusals);
	tcase_add_test(tc, test_r16a_reset_with_personalization_anchor);
#ifdef JPKID_TEST_CLOCK	/* the crash hook exists only in test-clock builds */
	tcase_add_test(tc, test_atomic_write_survives_crash_before_rename);
#endif
	tcase_add_test(tc, test_open_refuses_corrupt_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(vcard_suite());
}
