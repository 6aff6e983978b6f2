/*
 * test_signer: ca/signer (PEM and PKCS#11 backends), ca/pkcs11_uri and
 * ca/devca.
 *
 * The PKCS#11 cases run against SoftHSM2 in a throwaway token directory;
 * they need SOFTHSM2_UTIL and SOFTHSM2_MODULE (set by `make check`) and are
 * left out, alone, when either is empty.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* RSA_get0_d: prove the key stays on the token */

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/devca.h"
#include "ca/signer.h"
#include "ca/signer_int.h"
#include "tests/unit/testlib.h"

#define R23_SIGN_ONELINE "/C=JP/O=JPKI/OU=JPKI for digital signature" \
	"/OU=Japan Agency for Local Authority Information Systems"
#define R23_AUTH_ONELINE "/C=JP/O=JPKI/OU=JPKI for user authentication" \
	"/OU=Japan Agency for Local Authority Information Systems"

static char	 pem_dir[64];		/* PEM fixtures */
static char	 p11_dir[64];		/* SoftHSM2 token dir + twin key */
static char	 devca_dir[80];		/* devca_init output (a subdir) */
static char	 p11_uri[512];		/* URI of the imported key, no PIN */
static EVP_PKEY	*p11_twin;		/* the PEM twin of the token key */

/* --- helpers ------------------------------------------------------------ */

static void
mk_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/jpkid-test-XXXXXX");
	if (mkdtemp(buf) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

/* Write pkey as PKCS#8 PEM to path with mode (exact: umask undone). */
static void
write_key(const char *path, EVP_PKEY *pkey, mode_t mode)
{
	FILE	*fp;
	int	 fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL,
	    NULL), 1);
	ck_assert_int_eq(fclose(fp), 0);
}

static EVP_PKEY *
genkey(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	ck_assert_ptr_nonnull(k);
	return k;
}

/* A minimal self-issued certificate for pub, signed by s. */
static X509 *
cert_for(EVP_PKEY *pub, struct signer *s)
{
	X509		*x;
	X509_NAME	*n;

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_ptr_nonnull(n = X509_NAME_new());
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"test", -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pub);
	X509_NAME_free(n);
	if (s != NULL)
		ck_assert_int_eq(signer_sign_x509(s, x), 0);
	return x;
}

static X509 *
load_cert(const char *dir, const char *name)
{
	char	 path[256];
	FILE	*fp;
	X509	*x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ck_assert_msg(x != NULL, "%s: not a PEM certificate", path);
	return x;
}

static int
verify_data(EVP_PKEY *pub, const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t len)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	int		 ok;

	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Sign a small CRL with s; caller frees. */
static X509_CRL *
crl_signed_by(struct signer *s)
{
	X509_CRL	*crl;
	X509_NAME	*n;
	ASN1_TIME	*t;

	ck_assert_ptr_nonnull(crl = X509_CRL_new());
	ck_assert_ptr_nonnull(n = X509_NAME_new());
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"crl test", -1, -1, 0);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, n);
	t = ASN1_TIME_set(NULL, time(NULL));
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_free(t);
	X509_NAME_free(n);
	ck_assert_int_eq(signer_sign_crl(s, crl), 0);
	return crl;
}

/*
 * An OCSP basic response signed by s with responder cert (whose key is
 * verify_with): OCSP_basic_verify checks the signature (OCSP_NOVERIFY
 * skips only the chain).
 */
static void
check_ocsp(struct signer *s, X509 *cert, EVP_PKEY *verify_with)
{
	OCSP_BASICRESP	*bs;
	STACK_OF(X509)	*certs;
	X509_STORE	*st;

	ck_assert_ptr_nonnull(bs = OCSP_BASICRESP_new());
	ck_assert_int_eq(signer_sign_ocsp(s, bs, cert, NULL, 0), 0);
	certs = sk_X509_new_null();
	sk_X509_push(certs, cert);
	st = X509_STORE_new();
	ck_assert_int_eq(OCSP_basic_verify(bs, certs, st, OCSP_NOVERIFY), 1);
	ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), verify_with), 1);
	X509_STORE_free(st);
	sk_X509_free(certs);
	OCSP_BASICRESP_free(bs);
}

/* --- PEM backend -------------------------------------------------------- */

static void
pem_setup(void)
{
	mk_tmpdir(pem_dir, sizeof(pem_dir));
}

static void
pem_teardown(void)
{
	testlib_rm_tree(pem_dir);
}

START_TEST(test_pem_sign_verify)
{
	static const unsigned char	 msg[] = "R22 sha256WithRSAEncryption";
	struct signer			*s = NULL;
	EVP_PKEY			*k = genkey();
	X509				*x;
	X509_CRL			*crl;
	unsigned char			*sig = NULL;
	size_t				 siglen = 0;
	char				 path[128], err[256];

	snprintf(path, sizeof(path), "%s/ca.key", pem_dir);
	write_key(path, k, 0600);
	ck_assert_msg(signer_open(path, NULL, &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(signer_backend(s), "pem");
	x = cert_for(signer_public_key(s), s);
	ck_assert_int_eq(X509_verify(x, k), 1);
	ck_assert_int_eq(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	ck_assert_int_eq(signer_sign(s, EVP_sha256(), msg, sizeof(msg), &sig,
	    &siglen), 0);
	ck_assert_int_eq(verify_data(X509_get0_pubkey(x), sig, siglen, msg,
	    sizeof(msg)), 1);
	ck_assert_int_eq(verify_data(X509_get0_pubkey(x), sig, siglen, msg,
	    sizeof(msg) - 1), 0);
	crl = crl_signed_by(s);
	ck_assert_int_eq(X509_CRL_verify(crl, k), 1);
	check_ocsp(s, x, k);
	/* file: prefix is the same key. */
	signer_free(s);
	snprintf(err, sizeof(err), "file:%s", path);
	ck_assert_int_eq(signer_open(err, NULL, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(signer_matches_cert(s, x), 1);
	OPENSSL_free(sig);
	X509_CRL_free(crl);
	X509_free(x);
	signer_free(s);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_pem_public_key_has_no_private_part)
{
	struct signer	*s = NULL;
	EVP_PKEY	*k = genkey();
	BIGNUM		*d = NULL;
	char		 path[128], err[256];

	snprintf(path, sizeof(path), "%s/ca.key", pem_dir);
	write_key(path, k, 0400);
	ck_assert_msg(signer_open(path, NULL, &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(EVP_PKEY_eq(signer_public_key(s), k), 1);
	ck_assert_int_eq(EVP_PKEY_get_bn_param(signer_public_key(s), "d", &d), 0);
	BN_free(d);
	ERR_clear_error();
	signer_free(s);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_pem_refuses_group_readable_key)
{
	static const mode_t	 modes[] = { 0644, 0640, 0604, 0660 };
	struct signer		*s = (struct signer *)1;
	EVP_PKEY		*k = genkey();
	char			 path[128], err[512], want[16];
	size_t			 i;

	snprintf(path, sizeof(path), "%s/loose.key", pem_dir);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_key(path, k, modes[i]);
		err[0] = '\0';
		ck_assert_int_eq(signer_open(path, NULL, &s, err, sizeof(err)),
		    -1);
		ck_assert_ptr_null(s);
		snprintf(want, sizeof(want), "%04o", (unsigned)modes[i]);
		ck_assert_msg(strstr(err, want) != NULL &&
		    strstr(err, path) != NULL && strstr(err, "group or "
		    "others") != NULL, "unclear error: %s", err);
	}
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_pem_missing_file_names_path)
{
	struct signer	*s = NULL;
	char		 path[128], err[512];

	snprintf(path, sizeof(path), "%s/no-such.key", pem_dir);
	ck_assert_int_eq(signer_open(path, NULL, &s, err, sizeof(err)), -1);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, path) != NULL, "path missing: %s", err);
	ck_assert_int_eq(signer_open("", NULL, &s, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_pem_not_a_key)
{
	struct signer	*s = NULL;
	char		 path[128], err[512];
	int		 fd;

	snprintf(path, sizeof(path), "%s/junk.key", pem_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(write(fd, "hello\n", 6), 6);
	close(fd);
	ck_assert_int_eq(signer_open(path, NULL, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
}
END_TEST

START_TEST(test_pem_matches_cert)
{
	struct signer	*s = NULL;
	EVP_PKEY	*k = genkey(), *other = genkey();
	X509		*mine, *theirs;
	char		 path[128], err[256];

	snprintf(path, sizeof(path), "%s/ca.key", pem_dir);
	write_key(path, k, 0600);
	ck_assert_int_eq(signer_open(path, NULL, &s, err, sizeof(err)), 0);
	mine = cert_for(k, s);
	theirs = cert_for(other, s);
	ck_assert_int_eq(signer_matches_cert(s, mine), 1);
	ck_assert_int_eq(signer_matches_cert(s, theirs), 0);
	ck_assert_int_eq(signer_matches_cert(s, NULL), 0);
	X509_free(mine);
	X509_free(theirs);
	signer_free(s);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}
END_TEST

/* --- pkcs11_uri --------------------------------------------------------- */

static const struct uri_case {
	const char	*name;
	const char	*uri;
	int		 ok;
	const char	*token, *object, *module, *pin_value, *pin_source;
	const char	*type;
	const char	*id;		/* expected id bytes */
	size_t		 idlen;
	const char	*err;		/* substring of the error */
	const char	*not_in_err;	/* must not leak into the error */
} uri_cases[] = {
	{ "valid", "pkcs11:token=jpkid;object=sign-ca;id=%01;type=private"
	    "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234", 1,
	    "jpkid", "sign-ca", "/usr/lib/softhsm/libsofthsm2.so", "1234",
	    NULL, "private", "\x01", 1, NULL, NULL },
	{ "percent-encoded", "pkcs11:token=My%20Token;object=a%3bb;"
	    "id=%01%00%FF?pin-source=file:%2Fetc%2Fpin", 1,
	    "My Token", "a;b", NULL, NULL, "file:/etc/pin", NULL,
	    "\x01\x00\xff", 3, NULL, NULL },
	{ "token only", "pkcs11:token=t", 1, "t", NULL, NULL, NULL, NULL,
	    NULL, NULL, 0, NULL, NULL },
	{ "scheme case", "PKCS11:token=t;", 1, "t", NULL, NULL, NULL, NULL,
	    NULL, NULL, 0, NULL, NULL },
	{ "duplicate", "pkcs11:token=a;object=x;token=b", 0, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, 0, "duplicate attribute \"token\"", NULL },
	{ "duplicate query", "pkcs11:token=a?pin-value=1&pin-value=1", 0,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
	    "duplicate attribute \"pin-value\"", NULL },
	{ "unknown", "pkcs11:token=a;slot-id=3", 0, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0, "unsupported path attribute \"slot-id\"",
	    NULL },
	{ "unknown query", "pkcs11:token=a?pin-file=/x", 0, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, 0,
	    "unsupported query attribute \"pin-file\"", NULL },
	{ "query attr in path", "pkcs11:token=a;module-path=/x.so", 0, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, 0,
	    "unsupported path attribute \"module-path\"", NULL },
	{ "missing token", "pkcs11:object=sign-ca?module-path=/x.so", 0,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, "token= is required",
	    NULL },
	{ "not a pkcs11 URI", "file:/etc/key.pem", 0, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0, "pkcs11:", NULL },
	{ "truncated escape", "pkcs11:token=a%2", 0, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0, "\"token\" has a bad percent escape", NULL },
	{ "bad hex escape", "pkcs11:token=a;id=%zz", 0, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0, "\"id\" has a bad percent escape", NULL },
	{ "bad pin escape, PIN not echoed", "pkcs11:token=a?pin-value=s3cr%g7",
	    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, "\"pin-value\"",
	    "s3cr" },
	{ "raw space", "pkcs11:token=My Token", 0, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0, "must be escaped", NULL },
	{ "NUL in label", "pkcs11:token=a%00b", 0, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0, "NUL", NULL },
	{ "empty id", "pkcs11:token=a;id=", 0, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, 0, "\"id\" is empty", NULL },
	{ "no value", "pkcs11:token", 0, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, 0, "\"token\" has no value", NULL },
	{ "bad type", "pkcs11:token=a;type=secret", 0, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, 0, "type=secret", NULL },
	{ "pin twice", "pkcs11:token=a?pin-value=99&pin-source=/p", 0, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, 0, "not both", NULL },
};

static void
str_or_null_eq(const char *what, const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: want NULL, got %s", what, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
		    "%s: want %s, got %s", what, want, got ? got : "NULL");
}

START_TEST(test_pkcs11_uri_table)
{
	const struct uri_case	*c = &uri_cases[_i];
	struct pkcs11_uri	 u;
	char			 err[512];
	int			 rc;

	err[0] = '\0';
	rc = pkcs11_uri_parse(c->uri, &u, err, sizeof(err));
	ck_assert_msg(rc == (c->ok ? 0 : -1), "%s: rc %d (%s)", c->name, rc,
	    err);
	if (!c->ok) {
		ck_assert_msg(strstr(err, c->err) != NULL,
		    "%s: error \"%s\" lacks \"%s\"", c->name, err, c->err);
		if (c->not_in_err != NULL)
			ck_assert_msg(strstr(err, c->not_in_err) == NULL,
			    "%s: error leaks a secret: %s", c->name, err);
		ck_assert_ptr_null(u.token);
		ck_assert_ptr_null(u.id);
		return;
	}
	str_or_null_eq("token", u.token, c->token);
	str_or_null_eq("object", u.object, c->object);
	str_or_null_eq("module-path", u.module_path, c->module);
	str_or_null_eq("pin-value", u.pin_value, c->pin_value);
	str_or_null_eq("pin-source", u.pin_source, c->pin_source);
	str_or_null_eq("type", u.type, c->type);
	ck_assert_uint_eq(u.idlen, c->idlen);
	if (c->idlen > 0)
		ck_assert_int_eq(memcmp(u.id, c->id, c->idlen), 0);
	pkcs11_uri_free(&u);
	pkcs11_uri_free(NULL);
}
END_TEST

/* --- PKCS#11 backend (SoftHSM2) ------------------------------------------ */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "test_signer: failed (%d): %s\n", rc, cmd);
	return rc;
}

/*
 * Once per test case: a private SoftHSM2 config and token directory, a
 * token "jpkid-test" (user PIN 1234), and an RSA key imported from a PEM
 * twin as object "ca", id 01.
 */
static void
p11_setup(void)
{
	char	 path[256], cmd[1024];
	FILE	*fp;

	mk_tmpdir(p11_dir, sizeof(p11_dir));
	snprintf(path, sizeof(path), "%s/tokens", p11_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/softhsm2.conf", p11_dir);
	fp = fopen(path, "w");
	fprintf(fp, "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", p11_dir);
	fclose(fp);
	setenv("SOFTHSM2_CONF", path, 1);

	snprintf(cmd, sizeof(cmd), "'%s' --init-token --free --label "
	    "jpkid-test --pin 1234 --so-pin 5678 >/dev/null",
	    env("SOFTHSM2_UTIL"));
	if (run(cmd) != 0)
		abort();
	p11_twin = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	snprintf(path, sizeof(path), "%s/key.pk8", p11_dir);
	fp = fopen(path, "w");
	PEM_write_PrivateKey(fp, p11_twin, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "'%s' --import '%s' --token jpkid-test "
	    "--label ca --id 01 --pin 1234 >/dev/null", env("SOFTHSM2_UTIL"),
	    path);
	if (run(cmd) != 0)
		abort();
	unlink(path);	/* from here on the key lives on the token only */
	snprintf(path, sizeof(path), "%s/pin", p11_dir);
	fp = fopen(path, "w");
	fprintf(fp, "1234\n");
	fclose(fp);
	chmod(path, 0600);
	snprintf(p11_uri, sizeof(p11_uri), "pkcs11:token=jpkid-test;object=ca;"
	    "id=%%01?module-path=%s", env("SOFTHSM2_MODULE"));
}

static void
p11_teardown(void)
{
	EVP_PKEY_free(p11_twin);
	p11_twin = NULL;
	testlib_rm_tree(p11_dir);
}

START_TEST(test_p11_sign_verify_with_twin)
{
	static const unsigned char	 msg[] = "signed on the token";
	struct signer			*s = NULL;
	X509				*x;
	X509_CRL			*crl;
	unsigned char			*sig = NULL;
	size_t				 siglen = 0;
	char				 err[512];

	ck_assert_msg(signer_open(p11_uri, "1234", &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(signer_backend(s), "pkcs11");
	ck_assert_int_eq(EVP_PKEY_eq(signer_public_key(s), p11_twin), 1);
	/*
	 * The signing key in this process is libp11's handle: its RSA has
	 * libp11's method and no private exponent, so a signature that the
	 * twin's public key accepts was made by the token (C_Sign).
	 */
	{
		const RSA *rsa = EVP_PKEY_get0_RSA(s->key);

		ck_assert_ptr_nonnull(rsa);
		ck_assert_ptr_null(RSA_get0_d(rsa));
		ck_assert_ptr_ne(RSA_get_method(rsa), RSA_get_default_method());
	}
	crl = crl_signed_by(s);
	ck_assert_int_eq(X509_CRL_verify(crl, p11_twin), 1);
	x = cert_for(signer_public_key(s), s);
	ck_assert_int_eq(X509_verify(x, p11_twin), 1);
	ck_assert_int_eq(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	ck_assert_int_eq(signer_matches_cert(s, x), 1);
	ck_assert_int_eq(signer_sign(s, EVP_sha256(), msg, sizeof(msg), &sig,
	    &siglen), 0);
	ck_assert_int_eq(verify_data(p11_twin, sig, siglen, msg, sizeof(msg)), 1);
	check_ocsp(s, x, p11_twin);
	OPENSSL_free(sig);
	X509_CRL_free(crl);
	X509_free(x);
	signer_free(s);
}
END_TEST

START_TEST(test_p11_pin_from_uri)
{
	struct signer	*s = NULL;
	X509_CRL	*crl;
	char		 uri[768], err[512];

	snprintf(uri, sizeof(uri), "%s&pin-source=file:%s/pin", p11_uri,
	    p11_dir);
	ck_assert_msg(signer_open(uri, NULL, &s, err, sizeof(err)) == 0, "%s",
	    err);
	crl = crl_signed_by(s);
	ck_assert_int_eq(X509_CRL_verify(crl, p11_twin), 1);
	X509_CRL_free(crl);
	signer_free(s);
	/* pin-value, and the id alone selects the key. */
	snprintf(uri, sizeof(uri), "pkcs11:token=jpkid-test;id=%%01?"
	    "module-path=%s&pin-value=1234", env("SOFTHSM2_MODULE"));
	ck_assert_msg(signer_open(uri, NULL, &s, err, sizeof(err)) == 0, "%s",
	    err);
	signer_free(s);
	/* No PIN at all. */
	ck_assert_int_eq(signer_open(p11_uri, NULL, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "requires a PIN") != NULL, "%s", err);
}
END_TEST

START_TEST(test_p11_wrong_pin)
{
	struct signer	*s = NULL, *good = NULL;
	char		 err[512];

	err[0] = '\0';
	ck_assert_int_eq(signer_open(p11_uri, "98765", &s, err, sizeof(err)),
	    -1);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "jpkid-test") != NULL &&
	    strstr(err, "login") != NULL, "unclear: %s", err);
	ck_assert_msg(strstr(err, "98765") == NULL, "PIN in error: %s", err);
	/* Also when another signer of the process is already logged in. */
	ck_assert_int_eq(signer_open(p11_uri, "1234", &good, err, sizeof(err)),
	    0);
	ck_assert_int_eq(signer_open(p11_uri, "98765", &s, err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "98765") == NULL, "PIN in error: %s", err);
	signer_free(good);
}
END_TEST

START_TEST(test_p11_unknown_token_and_key)
{
	struct signer	*s = NULL;
	char		 uri[768], err[512];

	snprintf(uri, sizeof(uri), "pkcs11:token=no-such-token;object=ca?"
	    "module-path=%s", env("SOFTHSM2_MODULE"));
	ck_assert_int_eq(signer_open(uri, "1234", &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "\"no-such-token\"") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "1234") == NULL, "PIN in error: %s", err);
	snprintf(uri, sizeof(uri), "pkcs11:token=jpkid-test;object=other?"
	    "module-path=%s", env("SOFTHSM2_MODULE"));
	ck_assert_int_eq(signer_open(uri, "1234", &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "object=other") != NULL, "%s", err);
	snprintf(uri, sizeof(uri), "pkcs11:token=jpkid-test;object=ca;id=%%02?"
	    "module-path=%s", env("SOFTHSM2_MODULE"));
	ck_assert_int_eq(signer_open(uri, "1234", &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "id=%02") != NULL, "%s", err);
	ck_assert_int_eq(signer_open("pkcs11:token=jpkid-test;object=ca", "1234",
	    &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "module-path") != NULL, "%s", err);
	snprintf(uri, sizeof(uri), "pkcs11:token=jpkid-test;object=ca?"
	    "module-path=%s/nope.so", p11_dir);
	ck_assert_int_eq(signer_open(uri, "1234", &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "nope.so") != NULL, "%s", err);
}
END_TEST

/* Closing one signer must not finalize the module under another. */
START_TEST(test_p11_shared_module)
{
	struct signer	*a = NULL, *b = NULL;
	X509_CRL	*crl;
	char		 err[512];

	ck_assert_int_eq(signer_open(p11_uri, "1234", &a, err, sizeof(err)), 0);
	ck_assert_int_eq(signer_open(p11_uri, "1234", &b, err, sizeof(err)), 0);
	signer_free(a);
	crl = crl_signed_by(b);
	ck_assert_int_eq(X509_CRL_verify(crl, p11_twin), 1);
	X509_CRL_free(crl);
	signer_free(b);
	/* And the module can be loaded again after the last one went. */
	ck_assert_int_eq(signer_open(p11_uri, "1234", &a, err, sizeof(err)), 0);
	signer_free(a);
}
END_TEST

START_TEST(test_p11_devca_sign_key_on_token)
{
	struct devca_opts	 o;
	char			 dir[128], path[256], uri[768], err[512], line[1024];
	X509			*ca;
	FILE			*fp;
	struct stat		 st;

	snprintf(dir, sizeof(dir), "%s/devca", p11_dir);
	snprintf(uri, sizeof(uri), "%s&pin-value=1234", p11_uri);
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.sign_key = uri;
	ck_assert_msg(devca_init(&o, err, sizeof(err)) == 0, "%s", err);
	ca = load_cert(dir, "sign-ca.crt");
	ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(ca), p11_twin), 1);
	ck_assert_int_eq(X509_verify(ca, p11_twin), 1);
	snprintf(path, sizeof(path), "%s/sign-ca.key", dir);
	ck_assert_int_eq(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/sign-ca.keyspec", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	fclose(fp);
	ck_assert_msg(strstr(line, "pkcs11:token=jpkid-test") != NULL, "%s",
	    line);
	ck_assert_msg(strstr(line, "pin-value") == NULL &&
	    strstr(line, "1234") == NULL, "PIN written: %s", line);
	X509_free(ca);
	/* Wrong PIN: refused, and nothing left behind. */
	snprintf(dir, sizeof(dir), "%s/devca2", p11_dir);
	o.dir = dir;
	o.sign_key = p11_uri;
	o.pin = "0000";
	ck_assert_int_eq(devca_init(&o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "0000") == NULL, "PIN in error: %s", err);
	ck_assert_int_eq(stat(dir, &st), -1);
}
END_TEST

/* --- devca -------------------------------------------------------------- */

static void
devca_setup(void)
{
	struct devca_opts	o;
	char			err[512];

	mk_tmpdir(pem_dir, sizeof(pem_dir));
	snprintf(devca_dir, sizeof(devca_dir), "%s/ca", pem_dir);
	memset(&o, 0, sizeof(o));
	o.dir = devca_dir;
	if (devca_init(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "devca_init: %s\n", err);
		abort();
	}
}

static void
devca_teardown(void)
{
	testlib_rm_tree(pem_dir);
}

START_TEST(test_devca_files_and_modes)
{
	static const char *const keys[] = {
		"sign-ca.key", "auth-ca.key", "sign-ocsp.key", "auth-ocsp.key",
		"client-ca.key", "server.key", "terminal-131016.key",
		"terminal-141003.key", "feed.key", "rp.key", "operator.key", NULL
	};
	struct stat	 st;
	char		 path[256], crt[64];
	size_t		 i, n;

	ck_assert_int_eq(stat(devca_dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	for (i = 0; keys[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", devca_dir, keys[i]);
		ck_assert_msg(stat(path, &st) == 0, "missing %s", path);
		ck_assert_msg((st.st_mode & 0777) == 0600, "%s mode %o", path,
		    (unsigned)(st.st_mode & 0777));
		n = strlen(keys[i]) - 4;
		snprintf(crt, sizeof(crt), "%.*s.crt", (int)n, keys[i]);
		snprintf(path, sizeof(path), "%s/%s", devca_dir, crt);
		ck_assert_msg(stat(path, &st) == 0, "missing %s", path);
		ck_assert_msg((st.st_mode & 077) != 0 &&
		    (st.st_mode & 0222 & ~0200) == 0, "%s mode %o", path,
		    (unsigned)(st.st_mode & 0777));
	}
	snprintf(path, sizeof(path), "%s/manifest.txt", devca_dir);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/sign-ca.keyspec", devca_dir);
	ck_assert_int_eq(stat(path, &st), -1);
}
END_TEST

/* R23: the issuing CA names, attribute by attribute and in DER. */
static void
check_r23(const char *file, const char *ou, const char *oneline)
{
	static const int	 nids[] = { NID_countryName,
	    NID_organizationName, NID_organizationalUnitName,
	    NID_organizationalUnitName };
	const char		*vals[] = { "JP", "JPKI", ou,
	    "Japan Agency for Local Authority Information Systems" };
	X509			*x = load_cert(devca_dir, file);
	X509_NAME		*subj = X509_get_subject_name(x);
	X509_NAME		*want;
	const unsigned char	*der, *wder;
	size_t			 len, wlen;
	char			 buf[512];
	int			 i;

	ck_assert_str_eq(X509_NAME_oneline(subj, buf, sizeof(buf)), oneline);
	ck_assert_int_eq(X509_NAME_entry_count(subj), 4);
	want = X509_NAME_new();
	for (i = 0; i < 4; i++) {
		X509_NAME_ENTRY	*e = X509_NAME_get_entry(subj, i);
		ASN1_STRING	*v = X509_NAME_ENTRY_get_data(e);

		ck_assert_int_eq(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)),
		    nids[i]);
		ck_assert_int_eq(X509_NAME_ENTRY_set(e), i);	/* one per RDN */
		ck_assert_int_eq(ASN1_STRING_type(v), V_ASN1_PRINTABLESTRING);
		ck_assert_int_eq(ASN1_STRING_length(v), (int)strlen(vals[i]));
		ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(v), vals[i],
		    strlen(vals[i])), 0);
		X509_NAME_add_entry_by_NID(want, nids[i], V_ASN1_PRINTABLESTRING,
		    (const unsigned char *)vals[i], -1, -1, 0);
	}
	ck_assert_int_eq(X509_NAME_get0_der(subj, &der, &len), 1);
	ck_assert_int_eq(X509_NAME_get0_der(want, &wder, &wlen), 1);
	ck_assert_uint_eq(len, wlen);
	ck_assert_int_eq(memcmp(der, wder, len), 0);
	/* Self-signed: issuer is the same name, and the signature checks. */
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x), subj), 0);
	ck_assert_int_eq(X509_verify(x, X509_get0_pubkey(x)), 1);
	X509_NAME_free(want);
	X509_free(x);
}

START_TEST(test_devca_r23_names)
{
	check_r23("sign-ca.crt", "JPKI for digital signature", R23_SIGN_ONELINE);
	check_r23("auth-ca.crt", "JPKI for user authentication",
	    R23_AUTH_ONELINE);
}
END_TEST

/* R22 and the CA profile: extensions, serial, UTCTime, sha256WithRSA. */
START_TEST(test_devca_ca_profile)
{
	static const char *const cas[] = { "sign-ca.crt", "auth-ca.crt",
	    "client-ca.crt", NULL };
	size_t i;

	for (i = 0; cas[i] != NULL; i++) {
		X509			*x = load_cert(devca_dir, cas[i]);
		const ASN1_INTEGER	*sn = X509_get0_serialNumber(x);
		int			 crit = -1;
		BASIC_CONSTRAINTS	*bc;

		ck_assert_int_eq(X509_get_signature_nid(x),
		    NID_sha256WithRSAEncryption);
		ck_assert_int_eq(X509_get_version(x), X509_VERSION_3);
		ck_assert_int_eq(ASN1_STRING_type(X509_get0_notBefore(x)),
		    V_ASN1_UTCTIME);
		ck_assert_int_eq(ASN1_STRING_type(X509_get0_notAfter(x)),
		    V_ASN1_UTCTIME);
		ck_assert_int_eq(ASN1_STRING_type(sn), V_ASN1_INTEGER);
		ck_assert_int_le(ASN1_STRING_length(sn), 16);
		ck_assert_int_ge(ASN1_STRING_length(sn), 8);
		bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
		ck_assert_ptr_nonnull(bc);
		ck_assert_int_eq(crit, 1);
		ck_assert_int_ne(bc->ca, 0);
		BASIC_CONSTRAINTS_free(bc);
		ck_assert_int_eq(X509_check_ca(x), 1);
		ck_assert_int_eq(X509_get_key_usage(x),
		    KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		ck_assert_int_eq(X509_EXTENSION_get_critical(X509_get_ext(x,
		    X509_get_ext_by_NID(x, NID_key_usage, -1))), 1);
		ck_assert_ptr_nonnull(X509_get0_subject_key_id(x));
		ck_assert_int_eq(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 2048);
		X509_free(x);
	}
}
END_TEST

/* Explicit trust (docs/foundation.md "C"): a store of one anchor file only. */
static int
verify_with(const char *anchor, const char *leaf, int purpose)
{
	X509		*ca = load_cert(devca_dir, anchor);
	X509		*x = load_cert(devca_dir, leaf);
	X509_STORE	*st = X509_STORE_new();
	X509_STORE_CTX	*ctx = X509_STORE_CTX_new();
	int		 ok;

	X509_STORE_add_cert(st, ca);
	X509_STORE_set_flags(st, X509_V_FLAG_X509_STRICT);
	X509_STORE_CTX_init(ctx, st, x, NULL);
	if (purpose != 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	X509_free(x);
	X509_free(ca);
	return ok;
}

START_TEST(test_devca_ocsp_responders)
{
	static const char *const pairs[][2] = {
		{ "sign-ocsp.crt", "sign-ca.crt" },
		{ "auth-ocsp.crt", "auth-ca.crt" },
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		X509	*x = load_cert(devca_dir, pairs[i][0]);
		X509	*ca = load_cert(devca_dir, pairs[i][1]);
		int	 crit = -1;
		void	*nocheck;

		ck_assert_int_ne(X509_get_extension_flags(x) & EXFLAG_XKUSAGE, 0);
		ck_assert_int_eq(X509_get_extended_key_usage(x), XKU_OCSP_SIGN);
		nocheck = X509_get_ext_d2i(x, NID_id_pkix_OCSP_noCheck, &crit,
		    NULL);
		ck_assert_ptr_nonnull(nocheck);
		ASN1_NULL_free(nocheck);
		ck_assert_int_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
		ck_assert_int_eq(X509_check_ca(x), 0);
		ck_assert_int_eq(X509_check_issued(ca, x), X509_V_OK);
		ck_assert_int_ne(X509_NAME_cmp(X509_get_subject_name(x),
		    X509_get_subject_name(ca)), 0);
		ck_assert_int_eq(ASN1_OCTET_STRING_cmp(
		    X509_get0_authority_key_id(x), X509_get0_subject_key_id(ca)),
		    0);
		ck_assert_int_eq(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 2048);
		ck_assert_msg(verify_with(pairs[i][1], pairs[i][0],
		    X509_PURPOSE_OCSP_HELPER), "%s", pairs[i][0]);
		X509_free(x);
		X509_free(ca);
	}
	/* The SIGN responder is not valid under the AUTH CA. */
	ck_assert_int_eq(verify_with("auth-ca.crt", "sign-ocsp.crt", 0), 0);
}
END_TEST

START_TEST(test_devca_client_certs_verify)
{
	ck_assert(verify_with("client-ca.crt", "terminal-131016.crt",
	    X509_PURPOSE_SSL_CLIENT));
	ck_assert(verify_with("client-ca.crt", "terminal-141003.crt",
	    X509_PURPOSE_SSL_CLIENT));
	ck_assert(verify_with("client-ca.crt", "feed.crt",
	    X509_PURPOSE_SSL_CLIENT));
	ck_assert(verify_with("client-ca.crt", "server.crt",
	    X509_PURPOSE_SSL_SERVER));
	/* Client certificates are not server certificates, nor JPKI ones. */
	ck_assert(!verify_with("client-ca.crt", "terminal-131016.crt",
	    X509_PURPOSE_SSL_SERVER));
	ck_assert(!verify_with("sign-ca.crt", "terminal-131016.crt", 0));
}
END_TEST

START_TEST(test_devca_terminal_subject_and_server_san)
{
	X509		*x = load_cert(devca_dir, "terminal-131016.crt");
	X509		*srv;
	char		 buf[256];

	ck_assert_str_eq(X509_NAME_oneline(X509_get_subject_name(x), buf,
	    sizeof(buf)), "/C=JP/O=131016/OU=terminal/CN=terminal-131016-01");
	ck_assert_int_eq(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	X509_free(x);
	srv = load_cert(devca_dir, "server.crt");
	ck_assert_int_eq(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
	ck_assert_int_eq(X509_check_ip_asc(srv, "::1", 0), 1);
	ck_assert_int_eq(X509_check_host(srv, "example.org", 0, 0, NULL), 0);
	X509_free(srv);
}
END_TEST

START_TEST(test_devca_manifest)
{
	static const char *const want[][3] = {
		{ "terminal", "terminal-131016.crt", "131016" },
		{ "terminal", "terminal-141003.crt", "141003" },
		{ "register_feed", "feed.crt", "-" },
		{ "relying_party", "rp.crt", "-" },
		{ "operator", "operator.crt", "-" },
		{ "kiosk", "kiosk.crt", "-" },		/* R16a: SIGN resets only */
		{ "kiosk_auth", "kiosk-auth.crt", "-" },	/* R16a: AUTH resets too */
	};
	char		 path[256], kind[32], file[64], muni[16], hex[80], mine[80];
	unsigned char	 md[32];
	unsigned int	 mdlen, j;
	FILE		*fp;
	X509		*x;
	size_t		 i;

	snprintf(path, sizeof(path), "%s/manifest.txt", devca_dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(fscanf(fp, "%31s %63s %15s %79s", kind, file,
		    muni, hex), 4);
		ck_assert_str_eq(kind, want[i][0]);
		ck_assert_str_eq(file, want[i][1]);
		ck_assert_str_eq(muni, want[i][2]);
		x = load_cert(devca_dir, file);
		X509_digest(x, EVP_sha256(), md, &mdlen);
		for (j = 0; j < mdlen; j++)
			snprintf(mine + 2 * j, 3, "%02x", md[j]);
		ck_assert_str_eq(hex, mine);
		X509_free(x);
	}
	ck_assert_int_eq(fscanf(fp, "%31s", kind), EOF);
	fclose(fp);
}
END_TEST

START_TEST(test_devca_refuses_second_init)
{
	struct devca_opts	 o;
	X509			*before, *after;
	char			 err[512];

	before = load_cert(devca_dir, "sign-ca.crt");
	memset(&o, 0, sizeof(o));
	o.dir = devca_dir;
	ck_assert_int_eq(devca_init(&o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "sign-ca.crt") != NULL &&
	    strstr(err, "already exists") != NULL, "%s", err);
	after = load_cert(devca_dir, "sign-ca.crt");
	ck_assert_int_eq(X509_cmp(before, after), 0);
	X509_free(after);
	/* With force: a new hierarchy replaces the old one. */
	o.force = 1;
	ck_assert_msg(devca_init(&o, err, sizeof(err)) == 0, "%s", err);
	after = load_cert(devca_dir, "sign-ca.crt");
	ck_assert_int_ne(X509_cmp(before, after), 0);
	X509_free(after);
	X509_free(before);
}
END_TEST

START_TEST(test_devca_bad_options)
{
	struct devca_opts	 o;
	struct stat		 st;
	char			 dir[128], err[512];

	snprintf(dir, sizeof(dir), "%s/bad", pem_dir);
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.bits = 1024;
	ck_assert_int_eq(devca_init(&o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "R22") != NULL, "%s", err);
	o.bits = 0;
	o.municipalities[0] = "13101";
	ck_assert_int_eq(devca_init(&o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "13101") != NULL, "%s", err);
	/* A missing sign key: error names it, and nothing is left behind. */
	o.municipalities[0] = NULL;
	o.sign_key = "/nonexistent/sign.pem";
	ck_assert_int_eq(devca_init(&o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/nonexistent/sign.pem") != NULL, "%s", err);
	ck_assert_int_eq(stat(dir, &st), -1);
	o.dir = NULL;
	ck_assert_int_eq(devca_init(&o, err, sizeof(err)), -1);
}
END_TEST

static Suite *
signer_suite(void)
{
	Suite	*s = suite_create("signer");
	TCase	*tc;

	tc = tcase_create("pem");
	tcase_add_checked_fixture(tc, pem_setup, pem_teardown);
	tcase_add_test(tc, test_pem_sign_verify);
	tcase_add_test(tc, test_pem_public_key_has_no_private_part);
	tcase_add_test(tc, test_pem_refuses_group_readable_key);
	tcase_add_test(tc, test_pem_missing_file_names_path);
	tcase_add_test(tc, test_pem_not_a_key);
	tcase_add_test(tc, test_pem_matches_cert);
	suite_add_tcase(s, tc);

	tc = tcase_create("pkcs11_uri");
	tcase_add_loop_test(tc, test_pkcs11_uri_table, 0,
	    (int)(sizeof(uri_cases) / sizeof(uri_cases[0])));
	suite_add_tcase(s, tc);

	if (env("SOFTHSM2_UTIL") != NULL && env("SOFTHSM2_MODULE") != NULL) {
		tc = tcase_create("pkcs11");
		tcase_set_timeout(tc, 60);
		tcase_add_unchecked_fixture(tc, p11_setup, p11_teardown);
		tcase_add_test(tc, test_p11_sign_verify_with_twin);
		tcase_add_test(tc, test_p11_pin_from_uri);
		tcase_add_test(tc, test_p11_wrong_pin);
		tcase_add_test(tc, test_p11_unknown_token_and_key);
		tcase_add_test(tc, test_p11_shared_module);
		tcase_add_test(tc, test_p11_devca_sign_key_on_token);
		suite_add_tcase(s, tc);
	} else
		fprintf(stderr, "test_signer: SOFTHSM2_UTIL or SOFTHSM2_MODULE "
		    "unset: skipping the PKCS#11 cases\n");

	tc = tcase_create("devca");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, devca_setup, devca_teardown);
	tcase_add_test(tc, test_devca_files_and_modes);
	tcase_add_test(tc, test_devca_r23_names);
	tcase_add_test(tc, test_devca_ca_profile);
	tcase_add_test(tc, test_devca_ocsp_responders);
	tcase_add_test(tc, test_devca_client_certs_verify);
	tcase_add_test(tc, test_devca_terminal_subject_and_server_san);
	tcase_add_test(tc, test_devca_manifest);
	tcase_add_test(tc, test_devca_bad_options);
	tcase_add_test(tc, test_devca_refuses_second_init);	/* last: it regenerates */
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(signer_suite());
}
