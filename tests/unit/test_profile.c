/*
 * test_profile: ca/profile (the SIGN and AUTH certificates, R22-R25),
 * ca/lint, ca/csr and ca/serial.
 *
 * A throwaway SIGN CA and AUTH CA (RSA-2048, self-signed, R23 names, SKI)
 * are made once in main(); their keys go to a temporary directory and are
 * opened through the PEM signer, so issuance takes the daemon's path.
 *
 * PROFILE_OUT=<dir>: test_interop_export also writes the two CA
 * certificates, issued SIGN/AUTH certificates and their .expect files
 * there, for tests/interop/issued.sh.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/csr.h"
#include "ca/lint.h"
#include "ca/profile.h"
#include "ca/serial.h"
#include "ca/signer.h"
#include "ca/signer_int.h"
#include "ca/x509ext.h"
#include "tests/unit/testlib.h"

/* Literal instants (date -u -d ... +%s). */
#define T_2020_01_01		((time_t)1577836800)	/* CA notBefore */
#define T_2045_01_01		((time_t)2366841600)	/* CA notAfter */
#define T_ISSUE			((time_t)1795221000)	/* 2026-11-21 00:30:00 UTC */
#define T_NOT_AFTER		((time_t)1953039599)	/* 2031-11-21 14:59:59 UTC */
#define T_2050_01_01		((time_t)2524608000)

#define NAME_JA		"山田　花子"			/* 5 characters, 15 bytes */
#define ADDRESS_JA	"東京都千代田区千代田１－１"	/* 13 characters */
#define SIGN_CN		"2026112109300000001131016"	/* R23: timestamp, seq, window */
#define AUTH_CN		"A1B2C3D4E5F60718293A4B5C"

static char		 tmp_dir[64];
static EVP_PKEY		*sign_ca_key, *auth_ca_key, *holder_sign, *holder_auth;
static EVP_PKEY		*key_1024, *key_e3, *key_ec, *lint_key;
static X509		*sign_ca, *auth_ca;
static struct signer	*sign_signer, *auth_signer;

static const unsigned char serial_a[] = { 0x3a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };

/* --- fixtures ----------------------------------------------------------- */

static EVP_PKEY *
rsa_key(int bits, unsigned long e)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*k = NULL;
	BIGNUM		*bn;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    (bn = BN_new()) == NULL)
		abort();
	if (EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) != 1 ||
	    BN_set_word(bn, e) != 1 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn) != 1 ||
	    EVP_PKEY_keygen(ctx, &k) != 1)
		abort();
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* A self-signed issuing CA as devca makes them (R23 name, SKI). */
static X509 *
make_ca(EVP_PKEY *k, const char *ou)
{
	X509		*x;
	X509_NAME	*n;

	if ((x = X509_new()) == NULL || (n = x509_name_r23(ou, NULL)) == NULL)
		abort();
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_set_subject_name(x, n) != 1 || X509_set_issuer_name(x, n) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), T_2020_01_01) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), T_2045_01_01) == NULL ||
	    X509_set_pubkey(x, k) != 1 || x509_ext_basic_constraints(x, 1) != 0 ||
	    x509_ext_key_usage(x, KUBIT_KEY_CERT_SIGN, KUBIT_CRL_SIGN, -1) != 0 ||
	    x509_ext_ski(x) != 0 || X509_sign(x, k, EVP_sha256()) <= 0)
		abort();
	X509_NAME_free(n);
	return x;
}

static struct signer *
open_signer(EVP_PKEY *k, const char *name)
{
	struct signer	*s;
	char		 path[128], err[256];
	FILE		*fp;
	int		 fd;

	/* 0600: the PEM signer refuses a key others could read. */
	snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL ||
	    PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(fp) != 0)
		abort();
	if (signer_open(path, NULL, &s, err, sizeof(err)) == -1) {
		fprintf(stderr, "signer_open: %s\n", err);
		abort();
	}
	return s;
}

static void
fixtures_init(void)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/jpkid-profile-XXXXXX");
	if (mkdtemp(tmp_dir) == NULL)
		abort();
	sign_ca_key = rsa_key(2048, RSA_F4);
	auth_ca_key = rsa_key(2048, RSA_F4);
	holder_sign = rsa_key(2048, RSA_F4);
	holder_auth = rsa_key(2048, RSA_F4);
	key_1024 = rsa_key(1024, RSA_F4);
	key_e3 = rsa_key(2048, 3);
	if ((key_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (lint_key = profile_lint_key_new()) == NULL)
		abort();
	sign_ca = make_ca(sign_ca_key, R23_OU_SIGN);
	auth_ca = make_ca(auth_ca_key, R23_OU_AUTH);
	sign_signer = open_signer(sign_ca_key, "sign-ca.key");
	auth_signer = open_signer(auth_ca_key, "auth-ca.key");
}

static void
fixtures_free(void)
{
	signer_free(sign_signer);
	signer_free(auth_signer);
	X509_free(sign_ca);
	X509_free(auth_ca);
	EVP_PKEY_free(sign_ca_key);
	EVP_PKEY_free(auth_ca_key);
	EVP_PKEY_free(holder_sign);
	EVP_PKEY_free(holder_auth);
	EVP_PKEY_free(key_1024);
	EVP_PKEY_free(key_e3);
	EVP_PKEY_free(key_ec);
	EVP_PKEY_free(lint_key);
	testlib_rm_tree(tmp_dir);
}

/* A valid SIGN request (R23-R25 values as policy_r20_cert_names gives them). */
static void
req_sign(struct profile_req *r)
{
	memset(r, 0, sizeof(*r));
	r->type = PROFILE_SIGN;
	r->serial = serial_a;
	r->serial_len = sizeof(serial_a);
	r->not_before = T_ISSUE;
	r->not_after = T_NOT_AFTER;
	r->subject_key = holder_sign;
	r->issuer = sign_ca;
	r->subject_cn = SIGN_CN;
	r->prefecture = "東京都";
	r->municipality = "千代田区";
	r->name = NAME_JA;
	r->name_map = "00000";
	r->sex = "2";
	r->birth = "319800102";
	r->address = ADDRESS_JA;
	r->address_map = "0000000000000";
	r->policy_oid = R24_POLICY_SIGN;
	r->crl_url = "http://localhost:8080/crl/sign/131016.crl";
	r->ocsp_url = "http://localhost:8080/ocsp/sign";
	r->ca_issuers_url = "http://localhost:8080/ca/sign-ca.crt";
}

static void
req_auth(struct profile_req *r)
{
	memset(r, 0, sizeof(*r));
	r->type = PROFILE_AUTH;
	r->serial = serial_a;
	r->serial_len = sizeof(serial_a);
	r->not_before = T_ISSUE;
	r->not_after = T_NOT_AFTER;
	r->subject_key = holder_auth;
	r->issuer = auth_ca;
	r->subject_cn = AUTH_CN;
	r->prefecture = "東京都";
	r->municipality = "千代田区";
	r->policy_oid = R24_POLICY_AUTH;
	r->crl_url = "http://localhost:8080/crl/auth/131016.crl";
	r->ocsp_url = "http://localhost:8080/ocsp/auth";
	r->ca_issuers_url = "http://localhost:8080/ca/auth-ca.crt";
}

static struct signer *
signer_for(const struct profile_req *r)
{
	return r->type == PROFILE_SIGN ? sign_signer : auth_signer;
}

/* Issue r and parse the DER back (strictly); fails the test on error. */
static X509 *
issue_ok(const struct profile_req *r)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	size_t			 len = 0;
	int			 lf = -1;
	char			 err[512] = "";
	X509			*x;

	ck_assert_msg(profile_issue(r, signer_for(r), lint_key, &der, &len, &lf,
	    err, sizeof(err)) == 0, "profile_issue: %s", err);
	ck_assert_int_eq(lf, 0);
	ck_assert_ptr_nonnull(der);
	p = der;
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)len));
	ck_assert_ptr_eq(p, der + len);
	OPENSSL_free(der);
	return x;
}

/* The extension with nid, asserting there is exactly one. */
static X509_EXTENSION *
ext_of(X509 *x, int nid)
{
	int i;

	ck_assert_int_ge(i = X509_get_ext_by_NID(x, nid, -1), 0);
	ck_assert_int_eq(X509_get_ext_by_NID(x, nid, i), -1);
	return X509_get_ext(x, i);
}

/* Name as RFC 2253 with UTF-8 kept (last RDN first). */
static void
name_str(const X509_NAME *n, char *buf, size_t len)
{
	BIO	*b = BIO_new(BIO_s_mem());
	int	 k;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_ge(X509_NAME_print_ex(b, n, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB), 0);
	k = BIO_read(b, buf, (int)len - 1);
	buf[k > 0 ? k : 0] = '\0';
	BIO_free(b);
}

/* Entry i of n is nid, of ASN.1 type, with value v. */
static void
assert_ava(const X509_NAME *n, int i, int nid, int type, const char *v)
{
	const X509_NAME_ENTRY	*ne = X509_NAME_get_entry(n, i);
	const ASN1_STRING	*d;

	ck_assert_ptr_nonnull(ne);
	d = X509_NAME_ENTRY_get_data(ne);
	ck_assert_int_eq(OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne)), nid);
	ck_assert_int_eq(ASN1_STRING_type(d), type);
	ck_assert_int_eq(ASN1_STRING_length(d), (int)strlen(v));
	ck_assert_mem_eq(ASN1_STRING_get0_data(d), v, strlen(v));
}

static void
assert_uri(const GENERAL_NAME *gn, const char *uri)
{
	ck_assert_int_eq(gn->type, GEN_URI);
	ck_assert_int_eq(ASN1_STRING_length(gn->d.uniformResourceIdentifier),
	    (int)strlen(uri));
	ck_assert_mem_eq(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
	    uri, strlen(uri));
}

/* The extnValue bytes. */
static void
assert_ext_der(X509_EXTENSION *e, const unsigned char *want, size_t len)
{
	const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);

	ck_assert_int_eq(ASN1_STRING_length(os), (int)len);
	ck_assert_mem_eq(ASN1_STRING_get0_data(os), want, len);
}

/*
 * Was the CA signer used? signer_sign_x509() brackets the signature with
 * its lock (ca/signer.c). Point the lock at an error-checking mutex this
 * thread already holds: the signer's lock call fails (EDEADLK, ignored)
 * and its unlock releases our mutex, so our own unlock afterwards fails
 * (EPERM) exactly when the signer signed.
 */
struct probe {
	pthread_mutex_t	 m;
	pthread_mutex_t	*saved;
};

static void
probe_arm(struct signer *s, struct probe *p)
{
	pthread_mutexattr_t a;

	ck_assert_int_eq(pthread_mutexattr_init(&a), 0);
	ck_assert_int_eq(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
	ck_assert_int_eq(pthread_mutex_init(&p->m, &a), 0);
	pthread_mutexattr_destroy(&a);
	ck_assert_int_eq(pthread_mutex_lock(&p->m), 0);
	p->saved = s->lock;
	s->lock = &p->m;
}

static int
probe_signed(struct signer *s, struct probe *p)
{
	int r = pthread_mutex_unlock(&p->m);

	s->lock = p->saved;
	pthread_mutex_destroy(&p->m);
	return r != 0;
}

/*
 * profile_issue must refuse r by rule: -1, *lint_failed, no DER, err
 * starting with rule (e.g. "R25:"), and the CA signer never called.
 */
static void
assert_lint_refusal(const struct profile_req *r, const char *rule, const char *part)
{
	struct signer	*s = signer_for(r);
	struct probe	 pr;
	unsigned char	*der = (unsigned char *)"x";
	size_t		 len = 99;
	int		 lf = 0, rc;
	char		 err[512] = "";

	probe_arm(s, &pr);
	rc = profile_issue(r, s, lint_key, &der, &len, &lf, err, sizeof(err));
	ck_assert_msg(!probe_signed(s, &pr), "the CA signed although the lint "
	    "refused (%s)", err);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(lf, 1);
	ck_assert_ptr_null(der);
	ck_assert_uint_eq(len, 0);
	ck_assert_msg(strncmp(err, rule, strlen(rule)) == 0 && err[strlen(rule)] == ':',
	    "err \"%s\" does not start with %s:", err, rule);
	if (part != NULL)
		ck_assert_msg(strstr(err, part) != NULL, "err \"%s\" lacks \"%s\"",
		    err, part);
}

/* Sign x with the lint key and lint it against r: the message, or NULL when clean. */
static const char *
lint_of(X509 *x, const struct profile_req *r, char *err, size_t len)
{
	ck_assert_int_gt(X509_sign(x, lint_key, EVP_sha256()), 0);
	return lint_cert(x, r, err, len) == 0 ? NULL : err;
}

/* --- profile: SIGN and AUTH as issued ------------------------------------ */

START_TEST(test_r22_sign_issue_roundtrip)
{
	struct profile_req	 r;
	X509			*x;
	const ASN1_INTEGER	*sn;
	unsigned char		*d = NULL;

	req_sign(&r);
	x = issue_ok(&r);
	ck_assert_int_eq(X509_get_version(x), X509_VERSION_3);
	ck_assert_int_eq(X509_verify(x, sign_ca_key), 1);
	ck_assert_int_ne(X509_verify(x, auth_ca_key), 1);
	ERR_clear_error();
	/* R22: sha256WithRSAEncryption. */
	ck_assert_int_eq(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	/* Serial: 02 10 3a 01 ... 0f. */
	sn = X509_get0_serialNumber(x);
	ck_assert_int_eq(i2d_ASN1_INTEGER(sn, &d), 18);
	ck_assert_int_eq(d[0], 0x02);
	ck_assert_int_eq(d[1], 0x10);
	ck_assert_mem_eq(d + 2, serial_a, sizeof(serial_a));
	OPENSSL_free(d);
	/* R23: issuer is the CA's subject. */
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(sign_ca)), 0);
	/* The linted certificate is what lint_cert accepts as issued. */
	{
		char err[256];

		ck_assert_msg(lint_cert(x, &r, err, sizeof(err)) == 0, "%s", err);
	}
	X509_free(x);
}
END_TEST

START_TEST(test_r22_auth_issue_roundtrip)
{
	struct profile_req	 r;
	X509			*x;
	char			 err[256];

	req_auth(&r);
	x = issue_ok(&r);
	ck_assert_int_eq(X509_get_version(x), X509_VERSION_3);
	ck_assert_int_eq(X509_verify(x, auth_ca_key), 1);
	ck_assert_int_eq(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(auth_ca)), 0);
	ck_assert_msg(lint_cert(x, &r, err, sizeof(err)) == 0, "%s", err);
	X509_free(x);
}
END_TEST

/* R22 / R6 / R7: validity is the request's, as UTCTime. */
START_TEST(test_r22_validity_utctime_literal)
{
	struct profile_req	 r;
	X509			*x;
	const ASN1_TIME		*nb, *na;

	req_sign(&r);
	x = issue_ok(&r);
	nb = X509_get0_notBefore(x);
	na = X509_get0_notAfter(x);
	ck_assert_int_eq(ASN1_STRING_type(nb), V_ASN1_UTCTIME);
	ck_assert_int_eq(ASN1_STRING_type(na), V_ASN1_UTCTIME);
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(nb), "261121003000Z");
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(na), "311121145959Z");
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(na, 1953039599), 0);
	X509_free(x);
}
END_TEST

START_TEST(test_r22_validity_2050_refused)
{
	struct profile_req r;

	req_sign(&r);
	r.not_after = T_2050_01_01;
	assert_lint_refusal(&r, "R22", "UTCTime");
	r.not_after = T_2050_01_01 - 1;	/* 2049-12-31 23:59:59: UTCTime, but past the CA */
	assert_lint_refusal(&r, "R7", "inside the issuing CA");
	req_auth(&r);
	r.not_before = T_2020_01_01 - 1;	/* before the CA */
	assert_lint_refusal(&r, "R6", "inside the issuing CA");
	req_auth(&r);
	r.not_before = r.not_after;
	assert_lint_refusal(&r, "R6", "before notAfter");
}
END_TEST

START_TEST(test_r23_sign_subject)
{
	struct profile_req	 r;
	X509			*x;
	const X509_NAME		*n;
	char			 s[512];

	req_sign(&r);
	x = issue_ok(&r);
	n = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_entry_count(n), 4);
	assert_ava(n, 0, NID_countryName, V_ASN1_PRINTABLESTRING, "JP");
	assert_ava(n, 1, NID_localityName, V_ASN1_UTF8STRING, "東京都");
	assert_ava(n, 2, NID_localityName, V_ASN1_UTF8STRING, "千代田区");
	assert_ava(n, 3, NID_commonName, V_ASN1_PRINTABLESTRING, SIGN_CN);
	name_str(n, s, sizeof(s));
	ck_assert_str_eq(s, "CN=" SIGN_CN ",L=千代田区,L=東京都,C=JP");
	X509_free(x);
}
END_TEST

START_TEST(test_r23_auth_subject_c_cn_only)
{
	struct profile_req	 r;
	X509			*x;
	const X509_NAME		*n;
	char			 s[256];

	req_auth(&r);
	x = issue_ok(&r);
	n = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_entry_count(n), 2);
	assert_ava(n, 0, NID_countryName, V_ASN1_PRINTABLESTRING, "JP");
	assert_ava(n, 1, NID_commonName, V_ASN1_PRINTABLESTRING, AUTH_CN);
	name_str(n, s, sizeof(s));
	ck_assert_str_eq(s, "CN=" AUTH_CN ",C=JP");
	/* No personal data anywhere: no SAN. */
	ck_assert_int_eq(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	X509_free(x);
}
END_TEST

/* R24: the exact extension list, in order; no basicConstraints, no EKU. */
START_TEST(test_r24_extension_order)
{
	static const int	 sign[] = { NID_key_usage, NID_certificate_policies,
		NID_issuer_alt_name, NID_subject_alt_name,
		NID_crl_distribution_points, NID_info_access,
		NID_authority_key_identifier, NID_subject_key_identifier };
	static const int	 auth[] = { NID_key_usage, NID_certificate_policies,
		NID_issuer_alt_name, NID_crl_distribution_points, NID_info_access,
		NID_authority_key_identifier, NID_subject_key_identifier };
	struct profile_req	 r;
	X509			*x;
	int			 i;

	req_sign(&r);
	x = issue_ok(&r);
	ck_assert_int_eq(X509_get_ext_count(x), 8);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(
		    X509_get_ext(x, i))), sign[i]);
	ck_assert_int_eq(X509_get_ext_by_NID(x, NID_basic_constraints, -1), -1);
	ck_assert_int_eq(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
	X509_free(x);
	req_auth(&r);
	x = issue_ok(&r);
	ck_assert_int_eq(X509_get_ext_count(x), 7);
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(
		    X509_get_ext(x, i))), auth[i]);
	ck_assert_int_eq(X509_get_ext_by_NID(x, NID_basic_constraints, -1), -1);
	ck_assert_int_eq(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
	X509_free(x);
}
END_TEST

START_TEST(test_r24_key_usage)
{
	static const unsigned char	sign[] = { 0x03, 0x02, 0x06, 0xc0 };
	static const unsigned char	auth[] = { 0x03, 0x02, 0x07, 0x80 };
	struct profile_req		r;
	X509				*x;
	X509_EXTENSION			*e;

	req_sign(&r);
	x = issue_ok(&r);
	e = ext_of(x, NID_key_usage);
	ck_assert_int_eq(X509_EXTENSION_get_critical(e), 1);
	assert_ext_der(e, sign, sizeof(sign));
	ck_assert_uint_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	X509_free(x);
	req_auth(&r);
	x = issue_ok(&r);
	e = ext_of(x, NID_key_usage);
	ck_assert_int_eq(X509_EXTENSION_get_critical(e), 1);
	assert_ext_der(e, auth, sizeof(auth));
	ck_assert_uint_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	X509_free(x);
}
END_TEST

/* R24: certificatePolicies, critical on SIGN only. */
START_TEST(test_r24_policies)
{
	/* 30 0f 30 0d 06 0b 2a 83 08 8c 9b 55 08 05 01 01 14: SEQ { SEQ { OID } } */
	static const unsigned char	sign[] = { 0x30, 0x0f, 0x30, 0x0d, 0x06, 0x0b,
		0x2a, 0x83, 0x08, 0x8c, 0x9b, 0x55, 0x08, 0x05, 0x01, 0x01, 0x14 };
	static const unsigned char	auth[] = { 0x30, 0x0f, 0x30, 0x0d, 0x06, 0x0b,
		0x2a, 0x83, 0x08, 0x8c, 0x9b, 0x55, 0x08, 0x05, 0x01, 0x03, 0x1e };
	struct profile_req		r;
	X509				*x;
	X509_EXTENSION			*e;
	CERTIFICATEPOLICIES		*cp;
	char				 oid[64];

	req_sign(&r);
	x = issue_ok(&r);
	e = ext_of(x, NID_certificate_policies);
	ck_assert_int_eq(X509_EXTENSION_get_critical(e), 1);
	assert_ext_der(e, sign, sizeof(sign));
	ck_assert_ptr_nonnull(cp = X509V3_EXT_d2i(e));
	ck_assert_int_eq(sk_POLICYINFO_num(cp), 1);
	OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(cp, 0)->policyid, 1);
	ck_assert_str_eq(oid, "1.2.392.200149.8.5.1.1.20");
	ck_assert_ptr_null(sk_POLICYINFO_value(cp, 0)->qualifiers);
	CERTIFICATEPOLICIES_free(cp);
	X509_free(x);

	req_auth(&r);
	x = issue_ok(&r);
	e = ext_of(x, NID_certificate_policies);
	ck_assert_int_eq(X509_EXTENSION_get_critical(e), 0);
	assert_ext_der(e, auth, sizeof(auth));
	X509_free(x);

	/* Configurable: a test deployment's own arc. */
	req_auth(&r);
	r.policy_oid = "1.3.6.1.4.1.55555.1.3";
	x = issue_ok(&r);
	ck_assert_ptr_nonnull(cp = X509V3_EXT_d2i(ext_of(x, NID_certificate_policies)));
	OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(cp, 0)->policyid, 1);
	ck_assert_str_eq(oid, "1.3.6.1.4.1.55555.1.3");
	CERTIFICATEPOLICIES_free(cp);
	X509_free(x);
}
END_TEST

/* R24: issuerAltName DirName C=JP, O=公的個人認証サービス. */
START_TEST(test_r24_issuer_alt_name)
{
	struct profile_req	 r;
	X509			*x;
	X509_EXTENSION		*e;
	GENERAL_NAMES		*gns;
	GENERAL_NAME		*gn;
	char			 s[256];

	req_sign(&r);
	x = issue_ok(&r);
	e = ext_of(x, NID_issuer_alt_name);
	ck_assert_int_eq(X509_EXTENSION_get_critical(e), 0);
	ck_assert_ptr_nonnull(gns = X509V3_EXT_d2i(e));
	ck_assert_int_eq(sk_GENERAL_NAME_num(gns), 1);
	gn = sk_GENERAL_NAME_value(gns, 0);
	ck_assert_int_eq(gn->type, GEN_DIRNAME);
	ck_assert_int_eq(X509_NAME_entry_count(gn->d.directoryName), 2);
	assert_ava(gn->d.directoryName, 0, NID_countryName, V_ASN1_PRINTABLESTRING, "JP");
	assert_ava(gn->d.directoryName, 1, NID_organizationName, V_ASN1_UTF8STRING,
	    "公的個人認証サービス");
	name_str(gn->d.directoryName, s, sizeof(s));
	ck_assert_str_eq(s, "O=公的個人認証サービス,C=JP");
	GENERAL_NAMES_free(gns);
	X509_free(x);
}
END_TEST

/* R24: one CRL per municipality and type: directoryName, then the URI. */
START_TEST(test_r24_crl_distribution_point)
{
	struct profile_req	 r;
	X509			*x;
	X509_EXTENSION		*e;
	CRL_DIST_POINTS		*dps;
	DIST_POINT		*dp;
	GENERAL_NAMES		*full;
	GENERAL_NAME		*gn;
	const X509_NAME		*n;
	char			 s[512];
	int			 t;

	for (t = 0; t < 2; t++) {
		if (t == 0)
			req_sign(&r);
		else
			req_auth(&r);
		x = issue_ok(&r);
		e = ext_of(x, NID_crl_distribution_points);
		ck_assert_int_eq(X509_EXTENSION_get_critical(e), 0);
		ck_assert_ptr_nonnull(dps = X509V3_EXT_d2i(e));
		ck_assert_int_eq(sk_DIST_POINT_num(dps), 1);
		dp = sk_DIST_POINT_value(dps, 0);
		ck_assert_ptr_null(dp->reasons);
		ck_assert_ptr_null(dp->CRLissuer);
		ck_assert_int_eq(dp->distpoint->type, 0);
		full = dp->distpoint->name.fullname;
		ck_assert_int_eq(sk_GENERAL_NAME_num(full), 2);
		gn = sk_GENERAL_NAME_value(full, 0);
		ck_assert_int_eq(gn->type, GEN_DIRNAME);
		n = gn->d.directoryName;
		ck_assert_int_eq(X509_NAME_entry_count(n), 6);
		assert_ava(n, 0, NID_countryName, V_ASN1_PRINTABLESTRING, "JP");
		assert_ava(n, 1, NID_organizationName, V_ASN1_PRINTABLESTRING, "JPKI");
		assert_ava(n, 2, NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
		    t == 0 ? "JPKI for digital signature" : "JPKI for user authentication");
		assert_ava(n, 3, NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
		    "CRL Distribution Points");
		assert_ava(n, 4, NID_organizationalUnitName, V_ASN1_UTF8STRING, "東京都");
		assert_ava(n, 5, NID_commonName, V_ASN1_UTF8STRING, "千代田区");
		name_str(n, s, sizeof(s));
		ck_assert_str_eq(s, t == 0 ?
		    "CN=千代田区,OU=東京都,OU=CRL Distribution Points,"
		    "OU=JPKI for digital signature,O=JPKI,C=JP" :
		    "CN=千代田区,OU=東京都,OU=CRL Distribution Points,"
		    "OU=JPKI for user authentication,O=JPKI,C=JP");
		assert_uri(sk_GENERAL_NAME_value(full, 1), t == 0 ?
		    "http://localhost:8080/crl/sign/131016.crl" :
		    "http://localhost:8080/crl/auth/131016.crl");
		CRL_DIST_POINTS_free(dps);
		X509_free(x);
	}
}
END_TEST

START_TEST(test_r24_authority_info_access)
{
	struct profile_req	 r;
	X509			*x;
	X509_EXTENSION		*e;
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad;

	req_sign(&r);
	x = issue_ok(&r);
	e = ext_of(x, NID_info_access);
	ck_assert_int_eq(X509_EXTENSION_get_critical(e), 0);
	ck_assert_ptr_nonnull(aia = X509V3_EXT_d2i(e));
	ck_assert_int_eq(sk_ACCESS_DESCRIPTION_num(aia), 2);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	ck_assert_int_eq(OBJ_obj2nid(ad->method), NID_ad_OCSP);
	assert_uri(ad->location, "http://localhost:8080/ocsp/sign");
	ad = sk_ACCESS_DESCRIPTION_value(aia, 1);
	ck_assert_int_eq(OBJ_obj2nid(ad->method), NID_ad_ca_issuers);
	assert_uri(ad->location, "http://localhost:8080/ca/sign-ca.crt");
	AUTHORITY_INFO_ACCESS_free(aia);
	X509_free(x);
}
END_TEST

START_TEST(test_r24_aki_ski)
{
	struct profile_req	 r;
	X509			*x;
	const ASN1_OCTET_STRING	*ca_ski, *ski;
	AUTHORITY_KEYID		*akid;
	unsigned char		 md[20];
	unsigned int		 mdlen;

	req_sign(&r);
	x = issue_ok(&r);
	ck_assert_int_eq(X509_EXTENSION_get_critical(
	    ext_of(x, NID_authority_key_identifier)), 0);
	ck_assert_ptr_nonnull(akid = X509V3_EXT_d2i(ext_of(x,
	    NID_authority_key_identifier)));
	ck_assert_ptr_nonnull(ca_ski = X509_get0_subject_key_id(sign_ca));
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(akid->keyid, ca_ski), 0);
	ck_assert_ptr_null(akid->issuer);
	ck_assert_ptr_null(akid->serial);
	AUTHORITY_KEYID_free(akid);
	/* SKI: SHA-1 of the holder's subjectPublicKey. */
	ck_assert_int_eq(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
	ck_assert_uint_eq(mdlen, 20);
	ck_assert_ptr_nonnull(ski = X509_get0_subject_key_id(x));
	ck_assert_int_eq(ASN1_STRING_length(ski), 20);
	ck_assert_mem_eq(ASN1_STRING_get0_data(ski), md, 20);
	X509_free(x);
}
END_TEST

/*
 * RFC 5280 4.2.1.1: the AKI is the CA's SKI as written in the CA
 * certificate, even when that is not the SHA-1 key id (method 2, or an
 * HSM vendor's own).
 */
START_TEST(test_r24_aki_is_ca_ski_as_written)
{
	static const unsigned char	 own[8] = { 0x4a, 0x50, 0x4b, 0x49, 0x00,
		0x00, 0x00, 0x01 };
	struct profile_req		 r;
	X509				*ca, *x;
	X509_NAME			*n;
	ASN1_OCTET_STRING		*os;
	AUTHORITY_KEYID			*akid;

	/* The SIGN CA key under a second certificate whose SKI is 8 octets. */
	ck_assert_ptr_nonnull(ca = X509_new());
	ck_assert_ptr_nonnull(n = x509_name_r23(R23_OU_SIGN, NULL));
	ck_assert_int_eq(X509_set_version(ca, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(ca), 2), 1);
	ck_assert_int_eq(X509_set_subject_name(ca, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(ca, n), 1);
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(ca), T_2020_01_01));
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(ca), T_2045_01_01));
	ck_assert_int_eq(X509_set_pubkey(ca, sign_ca_key), 1);
	ck_assert_int_eq(x509_ext_basic_constraints(ca, 1), 0);
	ck_assert_ptr_nonnull(os = ASN1_OCTET_STRING_new());
	ck_assert_int_eq(ASN1_OCTET_STRING_set(os, own, sizeof(own)), 1);
	ck_assert_int_eq(x509_ext_add(ca, NID_subject_key_identifier, 0, os), 0);
	ck_assert_int_gt(X509_sign(ca, sign_ca_key, EVP_sha256()), 0);
	req_sign(&r);
	r.issuer = ca;
	x = issue_ok(&r);
	ck_assert_ptr_nonnull(akid = X509V3_EXT_d2i(ext_of(x,
	    NID_authority_key_identifier)));
	ck_assert_int_eq(ASN1_STRING_length(akid->keyid), 8);
	ck_assert_mem_eq(ASN1_STRING_get0_data(akid->keyid), own, 8);
	AUTHORITY_KEYID_free(akid);
	ASN1_OCTET_STRING_free(os);
	X509_NAME_free(n);
	X509_free(x);
	X509_free(ca);
}
END_TEST

/* R25: the six otherNames, in order, [0] EXPLICIT UTF8String. */
START_TEST(test_r25_san_othernames)
{
	static const char *const oids[6] = { "1.2.392.200149.8.5.5.1",
		"1.2.392.200149.8.5.5.2", "1.2.392.200149.8.5.5.3",
		"1.2.392.200149.8.5.5.4", "1.2.392.200149.8.5.5.5",
		"1.2.392.200149.8.5.5.6" };
	static const char *const vals[6] = { "山田　花子", "00000", "2",
		"319800102", "東京都千代田区千代田１－１", "0000000000000" };
	/* GeneralName otherName .3 = "2": A0 11 OID(12) A0 03 0C 01 32. */
	static const unsigned char sex_der[] = { 0xa0, 0x11, 0x06, 0x0a, 0x2a,
		0x83, 0x08, 0x8c, 0x9b, 0x55, 0x08, 0x05, 0x05, 0x03, 0xa0, 0x03,
		0x0c, 0x01, 0x32 };
	struct profile_req	 r;
	X509			*x;
	X509_EXTENSION		*e;
	GENERAL_NAMES		*gns;
	GENERAL_NAME		*gn;
	unsigned char		*d = NULL;
	char			 oid[64];
	int			 i;

	req_sign(&r);
	x = issue_ok(&r);
	e = ext_of(x, NID_subject_alt_name);
	ck_assert_int_eq(X509_EXTENSION_get_critical(e), 0);
	ck_assert_ptr_nonnull(gns = X509V3_EXT_d2i(e));
	ck_assert_int_eq(sk_GENERAL_NAME_num(gns), 6);
	for (i = 0; i < 6; i++) {
		gn = sk_GENERAL_NAME_value(gns, i);
		ck_assert_int_eq(gn->type, GEN_OTHERNAME);
		OBJ_obj2txt(oid, sizeof(oid), gn->d.otherName->type_id, 1);
		ck_assert_str_eq(oid, oids[i]);
		ck_assert_int_eq(gn->d.otherName->value->type, V_ASN1_UTF8STRING);
		ck_assert_int_eq(ASN1_STRING_length(gn->d.otherName->value->value.utf8string),
		    (int)strlen(vals[i]));
		ck_assert_mem_eq(ASN1_STRING_get0_data(
		    gn->d.otherName->value->value.utf8string), vals[i], strlen(vals[i]));
	}
	ck_assert_int_eq(i2d_GENERAL_NAME(sk_GENERAL_NAME_value(gns, 2), &d),
	    (int)sizeof(sex_der));
	ck_assert_mem_eq(d, sex_der, sizeof(sex_der));
	OPENSSL_free(d);
	GENERAL_NAMES_free(gns);
	X509_free(x);
}
END_TEST

/* R25: maps of '1's and an empty map value are written as given. */
START_TEST(test_r25_substitute_maps_and_boundaries)
{
	struct profile_req	 r;
	X509			*x;
	char			 addr[201 * 3 + 1], map[202];
	int			 i;

	req_sign(&r);
	r.name = "髙橋　一郎";
	r.name_map = "10000";
	r.sex = "9";
	r.birth = "000000000";
	x = issue_ok(&r);
	X509_free(x);
	/* R25 .5: 200 characters is the most allowed. */
	for (i = 0; i < 200; i++)
		memcpy(addr + 3 * i, "１", 3);
	addr[600] = '\0';
	memset(map, '0', 200);
	map[200] = '\0';
	r.address = addr;
	r.address_map = map;
	x = issue_ok(&r);
	X509_free(x);
}
END_TEST

/* --- lint refusals through profile_issue (nothing signed) --------------- */

START_TEST(test_r25_lint_name_map_wrong_length)
{
	struct profile_req r;

	req_sign(&r);
	r.name_map = "0000";
	assert_lint_refusal(&r, "R25", "name map");
	/* One per character, not per byte: 15 bytes of UTF-8 are 5 characters. */
	r.name_map = "000000000000000";
	assert_lint_refusal(&r, "R25", "name map");
	r.name_map = "00200";
	assert_lint_refusal(&r, "R25", "only '0' and '1'");
	req_sign(&r);
	r.address_map = "00000000000000";	/* 14 for 13 characters */
	assert_lint_refusal(&r, "R25", "address map");
}
END_TEST

START_TEST(test_r25_lint_address_201_characters)
{
	struct profile_req	r;
	char			addr[201 * 3 + 1], map[202];
	int			i;

	for (i = 0; i < 201; i++)
		memcpy(addr + 3 * i, "１", 3);
	addr[603] = '\0';
	memset(map, '0', 201);
	map[201] = '\0';
	req_sign(&r);
	r.address = addr;
	r.address_map = map;
	assert_lint_refusal(&r, "R25", "at most 200 characters");
}
END_TEST

START_TEST(test_r25_lint_sex_birth_utf8)
{
	struct profile_req r;

	req_sign(&r);
	r.sex = "3";
	assert_lint_refusal(&r, "R25", "sex");
	req_sign(&r);
	r.sex = "";
	assert_lint_refusal(&r, "R25", "sex");
	req_sign(&r);
	r.birth = "619800102";		/* era 6 does not exist (yet) */
	assert_lint_refusal(&r, "R25", "date of birth");
	r.birth = "31980010";
	assert_lint_refusal(&r, "R25", "date of birth");
	r.birth = "3198001020";
	assert_lint_refusal(&r, "R25", "date of birth");
	req_sign(&r);
	r.name = "\xe5\xb1\xb1\xff";	/* not UTF-8 */
	r.name_map = "00";
	assert_lint_refusal(&r, "R25", "UTF-8");
	req_sign(&r);
	r.name = "";
	r.name_map = "";
	assert_lint_refusal(&r, "R25", "name");
	req_sign(&r);
	r.address = NULL;
	assert_lint_refusal(&r, "R25", "address");
}
END_TEST

START_TEST(test_r22_lint_subject_key_1024)
{
	struct profile_req r;

	req_sign(&r);
	r.subject_key = key_1024;
	assert_lint_refusal(&r, "R22", "RSA-2048");
	req_auth(&r);
	r.subject_key = key_e3;
	assert_lint_refusal(&r, "R22", "exponent");
	req_auth(&r);
	r.subject_key = key_ec;
	assert_lint_refusal(&r, "R22", "RSA");
}
END_TEST

START_TEST(test_r24_lint_missing_policy_oid)
{
	struct profile_req r;

	req_sign(&r);
	r.policy_oid = NULL;
	assert_lint_refusal(&r, "R24", "certificatePolicies");
	req_auth(&r);
	r.policy_oid = "";
	assert_lint_refusal(&r, "R24", "certificatePolicies");
	req_auth(&r);
	r.policy_oid = "not.an.oid";
	assert_lint_refusal(&r, "R24", "certificatePolicies");
	req_auth(&r);
	r.ocsp_url = NULL;
	assert_lint_refusal(&r, "R24", "OCSP");
}
END_TEST

START_TEST(test_r23_lint_subject_cn_printable)
{
	struct profile_req r;

	req_auth(&r);
	r.subject_cn = "abc_def";	/* '_' is not in PrintableString */
	assert_lint_refusal(&r, "R23", "PrintableString");
	req_sign(&r);
	r.subject_cn = NULL;
	assert_lint_refusal(&r, "R23", "CN");
}
END_TEST

/* The probe itself: it does see a signature by the CA. */
START_TEST(test_probe_sees_ca_signature)
{
	struct profile_req	 r;
	struct probe		 pr;
	unsigned char		*der = NULL;
	size_t			 len = 0;
	int			 lf = 0;
	char			 err[256];

	req_auth(&r);
	probe_arm(auth_signer, &pr);
	ck_assert_int_eq(profile_issue(&r, auth_signer, lint_key, &der, &len, &lf,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(probe_signed(auth_signer, &pr), 1);
	OPENSSL_free(der);
}
END_TEST

/* Not a rule failure: wrong CA signer, bad serial. lint_failed stays 0. */
START_TEST(test_issue_non_rule_errors)
{
	static const unsigned char	zero[] = { 0x00 }, neg[] = { 0x80 },
					pad[] = { 0x00, 0x01 };
	struct profile_req		r;
	unsigned char			*der = NULL;
	size_t				 len = 0;
	int				 lf = 7;
	char				 err[256] = "";

	req_auth(&r);
	ck_assert_int_eq(profile_issue(&r, sign_signer, lint_key, &der, &len, &lf,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(lf, 0);
	ck_assert_ptr_null(der);
	ck_assert_ptr_nonnull(strstr(err, "not the issuing CA"));
	r.serial = zero;
	r.serial_len = 1;
	ck_assert_int_eq(profile_issue(&r, auth_signer, lint_key, &der, &len, &lf,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(lf, 0);
	r.serial = neg;
	ck_assert_int_eq(profile_issue(&r, auth_signer, lint_key, &der, &len, &lf,
	    err, sizeof(err)), -1);
	r.serial = pad;
	r.serial_len = 2;
	ck_assert_int_eq(profile_issue(&r, auth_signer, lint_key, &der, &len, &lf,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "serial"));
	ck_assert_ptr_null(der);
}
END_TEST

/* --- lint on certificates the profile would not build ------------------- */

START_TEST(test_r24_lint_extension_walk)
{
	struct profile_req	 r;
	X509			*x;
	X509_EXTENSION		*e;
	ASN1_BIT_STRING		*ku;
	GENERAL_NAMES		*gns;
	char			 err[256];
	const char		*m;

	/* Clean as built. */
	req_sign(&r);
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	ck_assert_ptr_null(lint_of(x, &r, err, sizeof(err)));
	/* + basicConstraints: unexpected, and critical: unknown critical. */
	ck_assert_int_eq(x509_ext_basic_constraints(x, 0), 0);
	ck_assert_ptr_nonnull(m = lint_of(x, &r, err, sizeof(err)));
	ck_assert_str_eq(m, "R24: unknown critical extension X509v3 Basic Constraints");
	X509_free(x);

	/* + EKU (non-critical). */
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	ck_assert_int_eq(x509_ext_eku(x, NID_client_auth), 0);
	ck_assert_ptr_nonnull(m = lint_of(x, &r, err, sizeof(err)));
	ck_assert_str_eq(m, "R24: unexpected extension X509v3 Extended Key Usage");
	X509_free(x);

	/* A second subjectKeyIdentifier. */
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	ck_assert_ptr_nonnull(e = X509_EXTENSION_dup(ext_of(x,
	    NID_subject_key_identifier)));
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ck_assert_ptr_nonnull(m = lint_of(x, &r, err, sizeof(err)));
	ck_assert_str_eq(m, "R24: duplicate extension subjectKeyIdentifier (RFC 5280 4.2)");
	X509_free(x);

	/* keyUsage not critical. */
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	X509_EXTENSION_free(X509_delete_ext(x, 0));
	ck_assert_ptr_nonnull(ku = ASN1_BIT_STRING_new());
	ASN1_BIT_STRING_set_bit(ku, 0, 1);
	ASN1_BIT_STRING_set_bit(ku, 1, 1);
	ck_assert_ptr_nonnull(e = X509V3_EXT_i2d(NID_key_usage, 0, ku));
	ck_assert_int_eq(X509_add_ext(x, e, 0), 1);
	X509_EXTENSION_free(e);
	ASN1_BIT_STRING_free(ku);
	ck_assert_ptr_nonnull(m = lint_of(x, &r, err, sizeof(err)));
	ck_assert_str_eq(m, "R24: keyUsage must be critical");
	X509_free(x);

	/* Extensions out of order: SKI moved first. */
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	ck_assert_ptr_nonnull(e = X509_delete_ext(x, 7));
	ck_assert_int_eq(X509_add_ext(x, e, 0), 1);
	X509_EXTENSION_free(e);
	ck_assert_ptr_nonnull(m = lint_of(x, &r, err, sizeof(err)));
	ck_assert_str_eq(m, "R24: extension 1 must be keyUsage, not subjectKeyIdentifier");
	X509_free(x);

	/* AIA missing. */
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	X509_EXTENSION_free(X509_delete_ext(x, 5));
	ck_assert_ptr_nonnull(m = lint_of(x, &r, err, sizeof(err)));
	ck_assert_str_eq(m, "R24: authorityInfoAccess missing");
	X509_free(x);

	/* AUTH with a subjectAltName: personal data. */
	req_auth(&r);
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	ck_assert_ptr_nonnull(gns = GENERAL_NAMES_new());
	ck_assert_int_eq(x509_gn_push(gns, GEN_DNS, (const unsigned char *)"a.example", 9), 0);
	ck_assert_int_eq(x509_ext_add(x, NID_subject_alt_name, 0, gns), 0);
	GENERAL_NAMES_free(gns);
	ck_assert_ptr_nonnull(m = lint_of(x, &r, err, sizeof(err)));
	ck_assert_int_eq(strncmp(m, "R23: ", 5), 0);
	X509_free(x);
}
END_TEST

/* Lint compares with the request: a certificate for other values fails. */
START_TEST(test_lint_against_request)
{
	struct profile_req	 r, other;
	X509			*x;
	char			 err[256];
	const char		*m;

	req_sign(&r);
	ck_assert_ptr_nonnull(x = profile_build(&r, err, sizeof(err)));
	ck_assert_ptr_null(lint_of(x, &r, err, sizeof(err)));
	other = r;
	other.address = "東京都千代田区千代田１－２";
	ck_assert_ptr_nonnull(m = lint_of(x, &other, err, sizeof(err)));
	ck_assert_str_eq(m, "R25: the address differs from the request");
	other = r;
	other.not_after = T_NOT_AFTER - 1;
	ck_assert_ptr_nonnull(m = lint_of(x, &other, err, sizeof(err)));
	ck_assert_str_eq(m, "R7: notAfter differs from the request");
	other = r;
	other.subject_key = holder_auth;
	ck_assert_ptr_nonnull(m = lint_of(x, &other, err, sizeof(err)));
	ck_assert_str_eq(m, "R22: subject key is not the requested key");
	other = r;
	other.issuer = auth_ca;
	ck_assert_ptr_nonnull(m = lint_of(x, &other, err, sizeof(err)));
	ck_assert_str_eq(m, "R23: issuer must be the issuing CA's subject");
	other = r;
	other.crl_url = "http://localhost:8080/crl/sign/141003.crl";
	ck_assert_ptr_nonnull(m = lint_of(x, &other, err, sizeof(err)));
	ck_assert_int_eq(strncmp(m, "R24: the CRL distribution point URI", 35), 0);
	/* A SHA-1 signature: R22. */
	ck_assert_int_gt(X509_sign(x, lint_key, EVP_sha1()), 0);
	ck_assert_int_eq(lint_cert(x, &r, err, sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, "R22: ", 5), 0);
	X509_free(x);
}
END_TEST

/* profile_issue is called from many daemon threads with one lint key. */
#define MT_THREADS	4
#define MT_EACH		3

static void *
mt_issue(void *arg)
{
	struct profile_req	 r;
	unsigned char		 serial[SERIAL_MAX], *der;
	size_t			 slen, len;
	int			 i, lf, *fails = arg;
	char			 err[256];

	for (i = 0; i < MT_EACH; i++) {
		if (i % 2)
			req_auth(&r);
		else
			req_sign(&r);
		if (serial_new(serial, &slen) == -1) {
			(*fails)++;
			continue;
		}
		r.serial = serial;
		r.serial_len = slen;
		der = NULL;
		if (profile_issue(&r, signer_for(&r), lint_key, &der, &len, &lf,
		    err, sizeof(err)) == -1)
			(*fails)++;
		OPENSSL_free(der);
	}
	return NULL;
}

START_TEST(test_issue_threads)
{
	pthread_t	t[MT_THREADS];
	int		fails[MT_THREADS], i;

	for (i = 0; i < MT_THREADS; i++) {
		fails[i] = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, mt_issue, &fails[i]), 0);
	}
	for (i = 0; i < MT_THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(fails[i], 0);
	}
}
END_TEST

/* --- csr ---------------------------------------------------------------- */

static unsigned char *
make_csr(EVP_PKEY *k, size_t *len)
{
	X509_REQ	*req;
	X509_NAME	*n;
	unsigned char	*der = NULL;
	int		 l;

	ck_assert_ptr_nonnull(req = X509_REQ_new());
	ck_assert_ptr_nonnull(n = X509_NAME_new());
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"ignored", -1, -1, 0), 1);
	ck_assert_int_eq(X509_REQ_set_subject_name(req, n), 1);
	ck_assert_int_eq(X509_REQ_set_pubkey(req, k), 1);
	ck_assert_int_gt(X509_REQ_sign(req, k, EVP_sha256()), 0);
	ck_assert_int_gt(l = i2d_X509_REQ(req, &der), 0);
	*len = (size_t)l;
	X509_NAME_free(n);
	X509_REQ_free(req);
	return der;
}

START_TEST(test_csr_rsa2048_parses)
{
	unsigned char	*der;
	size_t		 len;
	EVP_PKEY	*k = NULL;
	const char	*rule = "x";
	char		 err[256];

	der = make_csr(holder_sign, &len);
	ck_assert_msg(csr_parse(der, len, &k, &rule, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_null(rule);
	ck_assert_int_eq(EVP_PKEY_eq(k, holder_sign), 1);
	EVP_PKEY_free(k);
	OPENSSL_free(der);
}
END_TEST

static void
csr_refused(EVP_PKEY *key, const char *want_rule, const char *part)
{
	unsigned char	*der;
	size_t		 len;
	EVP_PKEY	*k = (EVP_PKEY *)1;
	const char	*rule = "x";
	char		 err[256] = "";

	der = make_csr(key, &len);
	ck_assert_int_eq(csr_parse(der, len, &k, &rule, err, sizeof(err)), -1);
	ck_assert_ptr_null(k);
	ck_assert_str_eq(rule, want_rule);
	ck_assert_msg(strstr(err, part) != NULL, "\"%s\" lacks \"%s\"", err, part);
	OPENSSL_free(der);
}

START_TEST(test_r22_csr_rsa1024)
{
	csr_refused(key_1024, "R22", "2048 bits, not 1024");
}
END_TEST

START_TEST(test_r22_csr_e3)
{
	csr_refused(key_e3, "R22", "exponent must be 65537");
}
END_TEST

START_TEST(test_r22_csr_ec_p256)
{
	csr_refused(key_ec, "R22", "must be RSA");
}
END_TEST

START_TEST(test_csr_bad_signature)
{
	unsigned char	*der;
	size_t		 len;
	EVP_PKEY	*k = NULL;
	const char	*rule = "x";
	char		 err[256] = "";

	der = make_csr(holder_sign, &len);
	der[len - 1] ^= 0x01;		/* the last signature octet */
	ck_assert_int_eq(csr_parse(der, len, &k, &rule, err, sizeof(err)), -1);
	ck_assert_ptr_null(k);
	ck_assert_ptr_null(rule);
	ck_assert_str_eq(err, "CSR signature does not verify (proof of possession)");
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_csr_trailing_and_garbage)
{
	unsigned char	*der, *longer;
	size_t		 len;
	EVP_PKEY	*k = NULL;
	const char	*rule = "x";
	char		 err[256] = "";

	der = make_csr(holder_sign, &len);
	ck_assert_ptr_nonnull(longer = malloc(len + 1));
	memcpy(longer, der, len);
	longer[len] = 0x00;
	ck_assert_int_eq(csr_parse(longer, len + 1, &k, &rule, err, sizeof(err)), -1);
	ck_assert_ptr_null(k);
	ck_assert_ptr_null(rule);
	ck_assert_str_eq(err, "CSR: 1 trailing bytes after the request");
	/* Truncated. */
	rule = "x";
	ck_assert_int_eq(csr_parse(der, len - 1, &k, &rule, err, sizeof(err)), -1);
	ck_assert_ptr_null(rule);
	/* Not DER at all / empty. */
	ck_assert_int_eq(csr_parse((const unsigned char *)"hello", 5, &k, &rule,
	    err, sizeof(err)), -1);
	ck_assert_ptr_null(rule);
	ck_assert_int_eq(csr_parse(der, 0, &k, &rule, err, sizeof(err)), -1);
	free(longer);
	OPENSSL_free(der);
}
END_TEST

/* --- serial ------------------------------------------------------------- */

START_TEST(test_serial_new_positive_minimal)
{
	unsigned char	s[SERIAL_MAX], prev[SERIAL_MAX];
	size_t		len, prevlen = 0;
	int		i, same = 0;

	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(serial_new(s, &len), 0);
		ck_assert_uint_ge(len, 1);
		ck_assert_uint_le(len, 16);
		ck_assert_int_eq(s[0] & 0x80, 0);	/* positive */
		/* minimal: a leading 00 only before an octet >= 0x80 */
		if (s[0] == 0x00) {
			ck_assert_uint_ge(len, 2);
			ck_assert_int_ne(s[1] & 0x80, 0);
		}
		ck_assert_int_eq(serial_valid(s, len), 1);
		if (len == prevlen && memcmp(s, prev, len) == 0)
			same++;
		memcpy(prev, s, len);
		prevlen = len;
	}
	ck_assert_int_eq(same, 0);
}
END_TEST

/*
 * jpki-terminal named a certificate 0x00f1... by OpenSSL's magnitude, f1...,
 * while jpkid names it 00f1...: the card showed another serial than the API.
 */
START_TEST(test_serial_of_integer_keeps_the_sign_octet)
{
	static const unsigned char	 der_hi[] = { 0x02, 0x03, 0x00, 0xf1, 0x1e };
	static const unsigned char	 der_lo[] = { 0x02, 0x02, 0x7f, 0x01 };
	static const unsigned char	 der_neg[] = { 0x02, 0x01, 0xf1 };
	const unsigned char		*p;
	ASN1_INTEGER			*sn;
	unsigned char			 out[SERIAL_MAX];
	char				 hex[2 * SERIAL_MAX + 1];
	size_t				 len;

	p = der_hi;
	ck_assert_ptr_nonnull(sn = d2i_ASN1_INTEGER(NULL, &p, sizeof(der_hi)));
	ck_assert_int_eq(serial_of_integer(sn, out, &len), 0);
	ck_assert_str_eq(serial_hex(out, len, hex, sizeof(hex)), "00f11e");
	ASN1_INTEGER_free(sn);
	p = der_lo;
	ck_assert_ptr_nonnull(sn = d2i_ASN1_INTEGER(NULL, &p, sizeof(der_lo)));
	ck_assert_int_eq(serial_of_integer(sn, out, &len), 0);
	ck_assert_str_eq(serial_hex(out, len, hex, sizeof(hex)), "7f01");
	ASN1_INTEGER_free(sn);
	p = der_neg;	/* negative: no serial */
	ck_assert_ptr_nonnull(sn = d2i_ASN1_INTEGER(NULL, &p, sizeof(der_neg)));
	ck_assert_int_eq(serial_of_integer(sn, out, &len), -1);
	ASN1_INTEGER_free(sn);
}
END_TEST

START_TEST(test_serial_hex_roundtrip)
{
	static const unsigned char	ab[] = { 0x7f, 0xab, 0x00, 0xcd };
	unsigned char			s[SERIAL_MAX], back[SERIAL_MAX];
	char				hex[2 * SERIAL_MAX + 1];
	size_t				len, blen;
	int				i;

	ck_assert_str_eq(serial_hex(ab, sizeof(ab), hex, sizeof(hex)), "7fab00cd");
	ck_assert_int_eq(serial_parse_hex("7FAB00CD", back, &blen), 0);
	ck_assert_uint_eq(blen, 4);
	ck_assert_mem_eq(back, ab, 4);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(serial_new(s, &len), 0);
		serial_hex(s, len, hex, sizeof(hex));
		ck_assert_uint_eq(strlen(hex), 2 * len);
		ck_assert_int_eq(serial_parse_hex(hex, back, &blen), 0);
		ck_assert_uint_eq(blen, len);
		ck_assert_mem_eq(back, s, len);
	}
	/* 0x80 needs its 00 pad: minimal, accepted. */
	ck_assert_int_eq(serial_parse_hex("0080", back, &blen), 0);
	ck_assert_uint_eq(blen, 2);
	ck_assert_int_eq(serial_parse_hex("01", back, &blen), 0);
	ck_assert_uint_eq(blen, 1);
	ck_assert_int_eq(back[0], 1);
	/* 40 digits: the most (RFC 5280 4.1.2.2: 20 octets). */
	ck_assert_int_eq(serial_parse_hex("7fffffffffffffffffffffffffffffffffffffff",
	    back, &blen), 0);
	ck_assert_uint_eq(blen, 20);
}
END_TEST

START_TEST(test_serial_parse_rejects)
{
	static const char *const bad[] = {
		"", "0", "00", "0000", "80", "ff", "0001", "007f", "123", "7", "zz",
		"0g", "7f ", " 7f", "-1", "0x7f",
		"7fffffffffffffffffffffffffffffffffffffffff",	/* 42 digits */
		NULL
	};
	unsigned char	out[SERIAL_MAX];
	size_t		len = 0;
	int		i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(serial_parse_hex(bad[i], out, &len) == -1,
		    "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(serial_parse_hex(NULL, out, &len), -1);
}
END_TEST

/* --- interop export (PROFILE_OUT) --------------------------------------- */

static void
out_pem(const char *dir, const char *name, X509 *x)
{
	char	 path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg((fp = fopen(path, "w")) != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(PEM_write_X509(fp, x), 1);
	ck_assert_int_eq(fclose(fp), 0);
}

static void
out_expect(const char *dir, const char *name, const struct profile_req *r)
{
	char	 path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg((fp = fopen(path, "w")) != NULL, "%s: %s", path, strerror(errno));
	if (r->type == PROFILE_AUTH)
		fprintf(fp, "type=auth\n");
	else
		fprintf(fp, "type=sign\nname=%s\nname_map=%s\nsex=%s\nbirth=%s\n"
		    "address=%s\naddress_map=%s\n", r->name, r->name_map, r->sex,
		    r->birth, r->address, r->address_map);
	ck_assert_int_eq(fclose(fp), 0);
}

/*
 * Issued certificates for tests/interop/issued.sh. notBefore is an hour
 * ago (real clients check against their own clock), notAfter the literal.
 */
START_TEST(test_interop_export)
{
	const char		*dir = getenv("PROFILE_OUT");
	unsigned char		 s[SERIAL_MAX];
	size_t			 slen;
	struct profile_req	 r;
	X509			*x;

	if (dir == NULL || *dir == '\0')
		return;
	ck_assert_msg(mkdir(dir, 0755) == 0 || errno == EEXIST, "%s: %s", dir,
	    strerror(errno));
	out_pem(dir, "sign-ca.crt", sign_ca);
	out_pem(dir, "auth-ca.crt", auth_ca);

	req_sign(&r);
	ck_assert_int_eq(serial_new(s, &slen), 0);
	r.serial = s;
	r.serial_len = slen;
	r.not_before = time(NULL) - 3600;
	x = issue_ok(&r);
	out_pem(dir, "sign-yamada.crt", x);
	out_expect(dir, "sign-yamada.expect", &r);
	X509_free(x);

	/* A substitute character in both maps, sex 1, era Heisei. */
	req_sign(&r);
	ck_assert_int_eq(serial_new(s, &slen), 0);
	r.serial = s;
	r.serial_len = slen;
	r.not_before = time(NULL) - 3600;
	r.name = "髙橋　一郎";
	r.name_map = "10000";
	r.sex = "1";
	r.birth = "420010203";
	r.address = "大阪府大阪市北区中之島１丁目３番２０号";
	r.address_map = "0000000000000000000";
	r.prefecture = "大阪府";
	r.municipality = "大阪市";
	x = issue_ok(&r);
	out_pem(dir, "sign-takahashi.crt", x);
	out_expect(dir, "sign-takahashi.expect", &r);
	X509_free(x);

	req_auth(&r);
	ck_assert_int_eq(serial_new(s, &slen), 0);
	r.serial = s;
	r.serial_len = slen;
	r.not_before = time(NULL) - 3600;
	x = issue_ok(&r);
	out_pem(dir, "auth-yamada.crt", x);
	out_expect(dir, "auth-yamada.expect", &r);
	X509_free(x);
}
END_TEST

static Suite *
profile_suite(void)
{
	Suite	*s = suite_create("profile");
	TCase	*tc;

	tc = tcase_create("profile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_r22_sign_issue_roundtrip);
	tcase_add_test(tc, test_r22_auth_issue_roundtrip);
	tcase_add_test(tc, test_r22_validity_utctime_literal);
	tcase_add_test(tc, test_r22_validity_2050_refused);
	tcase_add_test(tc, test_r23_sign_subject);
	tcase_add_test(tc, test_r23_auth_subject_c_cn_only);
	tcase_add_test(tc, test_r24_extension_order);
	tcase_add_test(tc, test_r24_key_usage);
	tcase_add_test(tc, test_r24_policies);
	tcase_add_test(tc, test_r24_issuer_alt_name);
	tcase_add_test(tc, test_r24_crl_distribution_point);
	tcase_add_test(tc, test_r24_authority_info_access);
	tcase_add_test(tc, test_r24_aki_ski);
	tcase_add_test(tc, test_r24_aki_is_ca_ski_as_written);
	tcase_add_test(tc, test_r25_san_othernames);
	tcase_add_test(tc, test_r25_substitute_maps_and_boundaries);
	tcase_add_test(tc, test_issue_threads);
	tcase_add_test(tc, test_interop_export);
	suite_add_tcase(s, tc);

	tc = tcase_create("lint");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_r25_lint_name_map_wrong_length);
	tcase_add_test(tc, test_r25_lint_address_201_characters);
	tcase_add_test(tc, test_r25_lint_sex_birth_utf8);
	tcase_add_test(tc, test_r22_lint_subject_key_1024);
	tcase_add_test(tc, test_r24_lint_missing_policy_oid);
	tcase_add_test(tc, test_r23_lint_subject_cn_printable);
	tcase_add_test(tc, test_probe_sees_ca_signature);
	tcase_add_test(tc, test_issue_non_rule_errors);
	tcase_add_test(tc, test_r24_lint_extension_walk);
	tcase_add_test(tc, test_lint_against_request);
	suite_add_tcase(s, tc);

	tc = tcase_create("csr");
	tcase_add_test(tc, test_csr_rsa2048_parses);
	tcase_add_test(tc, test_r22_csr_rsa1024);
	tcase_add_test(tc, test_r22_csr_e3);
	tcase_add_test(tc, test_r22_csr_ec_p256);
	tcase_add_test(tc, test_csr_bad_signature);
	tcase_add_test(tc, test_csr_trailing_and_garbage);
	suite_add_tcase(s, tc);

	tc = tcase_create("serial");
	tcase_add_test(tc, test_serial_new_positive_minimal);
	tcase_add_test(tc, test_serial_hex_roundtrip);
	tcase_add_test(tc, test_serial_of_integer_keeps_the_sign_octet);
	tcase_add_test(tc, test_serial_parse_rejects);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	fixtures_init();
	rc = testlib_run(profile_suite());
	fixtures_free();
	return rc;
}
