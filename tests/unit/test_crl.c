/*
 * test_crl: ca/crl (CRLs of one issuer and shard, R24, R26, RFC 5280 5).
 *
 * A throwaway SIGN CA (RSA-2048, self-signed, R23 name, SKI) signs through
 * the PEM signer, as the daemon does. Every CRL is parsed back with
 * d2i_X509_CRL and its signature verified with the CA key; the IDP is
 * compared byte for byte with the cRLDistributionPoints of a certificate
 * ca/profile.c builds for the same shard.
 *
 * With JPKID_TEST_DB (a PostgreSQL conninfo), the crls_monotonic trigger
 * as migration 0011 left it, in SQL against a throwaway database.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/crl.h"
#include "ca/profile.h"
#include "ca/signer.h"
#include "ca/x509ext.h"
#include "db/migrate.h"
#include "db/queries.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testlib.h"

#define T_2020_01_01	((time_t)1577836800)
#define T_2045_01_01	((time_t)2366841600)
#define T_THIS		((time_t)1795221000)	/* 2026-11-21 00:30:00 UTC */
#define T_NEXT		((time_t)1795393800)	/* 2026-11-23 00:30:00 UTC (+48 h) */
#define T_REVOKED	((time_t)1795200000)	/* 2026-11-20 18:40:00 UTC */
#define T_INVALID	((time_t)1795132800)	/* 2026-11-20 00:00:00 UTC */
#define T_2050_01_01	((time_t)2524608000)
#define CRL_URL		"http://localhost:8080/crl/sign/131016.crl"

static char		 tmp_dir[64];
static EVP_PKEY		*ca_key, *holder_key;
static X509		*ca;
static struct signer	*ca_signer;

static const unsigned char serial16[] = { 0x3a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
/* 20 octets, the RFC 5280 maximum. */
static const unsigned char serial20[] = { 0x7f, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99,
	0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, 0x01, 0x02, 0x03, 0x04 };
/* Top bit set: DER needs a leading zero octet; given with one here. */
static const unsigned char serial_hi[] = { 0x00, 0x80, 0x00, 0x00, 0x01 };

static EVP_PKEY *
rsa_key(int bits)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);

	if (k == NULL)
		abort();
	return k;
}

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

static void
fixtures_init(void)
{
	char path[128], err[256];
	FILE *fp;
	int fd;

	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/jpkid-crl-XXXXXX");
	if (mkdtemp(tmp_dir) == NULL)
		abort();
	ca_key = rsa_key(2048);
	holder_key = rsa_key(2048);
	ca = make_ca(ca_key, R23_OU_SIGN);
	snprintf(path, sizeof(path), "%s/ca.key", tmp_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL ||
	    PEM_write_PrivateKey(fp, ca_key, NULL, NULL, 0, NULL, NULL) != 1 || fclose(fp) != 0)
		abort();
	if (signer_open(path, NULL, &ca_signer, err, sizeof(err)) != 0) {
		fprintf(stderr, "signer_open: %s\n", err);
		abort();
	}
	snprintf(path, sizeof(path), "%s/ca.pem", tmp_dir);
	if ((fp = fopen(path, "w")) == NULL || PEM_write_X509(fp, ca) != 1 || fclose(fp) != 0)
		abort();
}

static void
fixtures_free(void)
{
	signer_free(ca_signer);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(holder_key);
	testlib_rm_tree(tmp_dir);
}

static void
params(struct crl_params *p, long long number)
{
	memset(p, 0, sizeof(*p));
	p->type = PROFILE_SIGN;
	p->issuer = ca;
	p->prefecture = "東京都";
	p->municipality = "千代田区";
	p->crl_url = CRL_URL;
	p->number = number;
	p->this_update = T_THIS;
	p->next_update = T_NEXT;
}

/* Build, sign, parse back, verify the signature. The caller X509_CRL_free()s. */
static X509_CRL *
build(const struct crl_params *p, const struct crl_entry *e, size_t n, unsigned char **derp,
    size_t *derlenp)
{
	struct crl_builder *b;
	const unsigned char *der, *q;
	size_t len, i;
	char err[256];
	X509_CRL *crl;

	b = crl_builder_new(p, err, sizeof(err));
	ck_assert_msg(b != NULL, "crl_builder_new: %s", err);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(crl_builder_add(b, &e[i]), 0);
	ck_assert_uint_eq(crl_builder_count(b), n);
	ck_assert_msg(crl_builder_finish(b, ca_signer, &der, &len, err, sizeof(err)) == 0,
	    "finish: %s", err);
	q = der;
	crl = d2i_X509_CRL(NULL, &q, (long)len);
	ck_assert_ptr_nonnull(crl);
	ck_assert_msg(q == der + len, "trailing bytes after the CRL");
	ck_assert_int_eq(X509_CRL_verify(crl, ca_key), 1);
	if (derp != NULL) {
		*derp = malloc(len);
		memcpy(*derp, der, len);
		*derlenp = len;
	}
	crl_builder_free(b);
	return crl;
}

static time_t
asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

static const X509_REVOKED *
find(X509_CRL *crl, const unsigned char *serial, size_t len)
{
	STACK_OF(X509_REVOKED) *rs = X509_CRL_get_REVOKED(crl);
	BIGNUM *want = BN_bin2bn(serial, (int)len, NULL), *got;
	const X509_REVOKED *hit = NULL;
	int i;

	for (i = 0; rs != NULL && i < sk_X509_REVOKED_num(rs) && hit == NULL; i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(rs, i);

		got = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
		if (BN_cmp(got, want) == 0)
			hit = r;
		BN_free(got);
	}
	BN_free(want);
	return hit;
}

/* reasonCode of an entry, -1 when absent. */
static int
entry_reason(const X509_REVOKED *r)
{
	ASN1_ENUMERATED *e;
	int crit = -1;
	long v;

	e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
	if (e == NULL)
		return -1;
	v = ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	ck_assert_int_eq(crit, 0);
	return (int)v;
}

START_TEST(test_r26_reason_names_and_codes)
{
	static const struct { const char *name; int code; } rows[] = {
		{ "unspecified", 0 }, { "keyCompromise", 1 }, { "cACompromise", 2 },
		{ "affiliationChanged", 3 }, { "superseded", 4 },
		{ "cessationOfOperation", 5 },
		{ "certificateHold", -1 },	/* R26: never used */
		{ "removeFromCRL", -1 }, { "KeyCompromise", -1 }, { "", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(crl_reason_code(rows[i].name), rows[i].code);
		if (rows[i].code >= 0)
			ck_assert_str_eq(crl_reason_name(rows[i].code), rows[i].name);
	}
	ck_assert_int_eq(crl_reason_code(NULL), -1);
	ck_assert_ptr_null(crl_reason_name(6));
	ck_assert_ptr_null(crl_reason_name(-1));
}
END_TEST

START_TEST(test_r24_crl_fields_and_entries)
{
	struct crl_params p;
	struct crl_entry e[4];
	X509_CRL *crl;
	ASN1_INTEGER *num;
	const X509_REVOKED *r;
	ASN1_GENERALIZEDTIME *inv;
	AUTHORITY_KEYID *akid;
	int crit;

	params(&p, 42);
	memset(e, 0, sizeof(e));
	e[0].serial = serial16;
	e[0].serial_len = sizeof(serial16);
	e[0].revoked_at = T_REVOKED;
	e[0].reason = CRL_REASON_KEY_COMPROMISE;
	e[0].has_invalidity = 1;
	e[0].invalidity = T_INVALID;
	e[1].serial = serial20;
	e[1].serial_len = sizeof(serial20);
	e[1].revoked_at = T_REVOKED + 1;
	e[1].reason = CRL_REASON_UNSPECIFIED;
	e[2].serial = serial_hi;
	e[2].serial_len = sizeof(serial_hi);
	e[2].revoked_at = T_REVOKED + 2;
	e[2].reason = CRL_REASON_AFFILIATION_CHANGED;
	e[3].serial = serial_hi + 1;	/* the same number without its zero octet */
	e[3].serial_len = sizeof(serial_hi) - 1;
	e[3].revoked_at = T_REVOKED + 3;
	e[3].reason = CRL_REASON_CESSATION;
	crl = build(&p, e, 4, NULL, NULL);

	ck_assert_int_eq(X509_CRL_get_version(crl), 1);	/* v2 */
	ck_assert_int_eq(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)), 0);
	ck_assert_int_eq(X509_CRL_get_signature_nid(crl), NID_sha256WithRSAEncryption);
	ck_assert_int_eq(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)), V_ASN1_UTCTIME);
	ck_assert_int_eq(asn1_time_t(X509_CRL_get0_lastUpdate(crl)), T_THIS);
	ck_assert_int_eq(asn1_time_t(X509_CRL_get0_nextUpdate(crl)), T_NEXT);

	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	ck_assert_ptr_nonnull(num);
	ck_assert_int_eq(ASN1_INTEGER_get(num), 42);
	ck_assert_int_eq(crit, 0);
	ASN1_INTEGER_free(num);

	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	ck_assert_ptr_nonnull(akid);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(ca)), 0);
	AUTHORITY_KEYID_free(akid);
	/* Extension order: AKI, cRLNumber, IDP. */
	ck_assert_int_eq(X509_CRL_get_ext_count(crl), 3);
	ck_assert_int_eq(X509_CRL_get_ext_by_NID(crl, NID_authority_key_identifier, -1), 0);
	ck_assert_int_eq(X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1), 1);
	ck_assert_int_eq(X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1), 2);

	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 4);
	/* Entries stay in the order given. */
	ck_assert_ptr_eq(find(crl, serial16, sizeof(serial16)),
	    sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0));
	r = find(crl, serial16, sizeof(serial16));
	ck_assert_int_eq(asn1_time_t(X509_REVOKED_get0_revocationDate(r)), T_REVOKED);
	ck_assert_int_eq(entry_reason(r), CRL_REASON_KEY_COMPROMISE);
	inv = X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, NULL);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(ASN1_STRING_type(inv), V_ASN1_GENERALIZEDTIME);
	ck_assert_int_eq(asn1_time_t(inv), T_INVALID);
	ck_assert_int_eq(crit, 0);
	ASN1_GENERALIZEDTIME_free(inv);

	/* RFC 5280 5.3.1: unspecified -> no reasonCode, and no invalidityDate given. */
	r = find(crl, serial20, sizeof(serial20));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(ASN1_STRING_length(X509_REVOKED_get0_serialNumber(r)), 20);
	ck_assert_int_eq(entry_reason(r), -1);
	ck_assert_int_eq(X509_REVOKED_get_ext_count(r), 0);

	r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 2);
	ck_assert_ptr_eq(r, find(crl, serial_hi, sizeof(serial_hi)));
	ck_assert_int_eq(entry_reason(r), CRL_REASON_AFFILIATION_CHANGED);
	ck_assert_int_eq(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)), 0x80000001L);
	r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 3);
	ck_assert_int_eq(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)), 0x80000001L);
	ck_assert_int_eq(entry_reason(r), CRL_REASON_CESSATION);
	X509_CRL_free(crl);
}
END_TEST

/* The IDP names the shard exactly as the certificates' CRLDP does (R24). */
START_TEST(test_r24_idp_critical_equals_certificate_crldp)
{
	struct crl_params p;
	struct profile_req r;
	X509_CRL *crl;
	X509 *cert;
	ISSUING_DIST_POINT *idp;
	CRL_DIST_POINTS *dps;
	unsigned char *a = NULL, *b = NULL;
	int al, bl, crit, i;
	char err[256];
	X509_EXTENSION *ext;

	params(&p, 1);
	crl = build(&p, NULL, 0, NULL, NULL);
	i = X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1);
	ck_assert_int_ge(i, 0);
	ext = X509_CRL_get_ext(crl, i);
	ck_assert_int_eq(X509_EXTENSION_get_critical(ext), 1);
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	ck_assert_ptr_nonnull(idp);
	ck_assert_int_eq(crit, 1);
	ck_assert_int_ne(idp->onlyuser, 0);
	ck_assert_int_eq(idp->onlyCA, 0);
	ck_assert_int_eq(idp->indirectCRL, 0);
	ck_assert_ptr_null(idp->onlysomereasons);
	ck_assert_int_eq(idp->distpoint->type, 0);

	memset(&r, 0, sizeof(r));
	r.type = PROFILE_SIGN;
	r.serial = serial16;
	r.serial_len = sizeof(serial16);
	r.not_before = T_THIS;
	r.not_after = T_NEXT + 86400 * 365;
	r.subject_key = holder_key;
	r.issuer = ca;
	r.subject_cn = "2026112109300000001131016";
	r.prefecture = "東京都";
	r.municipality = "千代田区";
	r.name = "山田　花子";
	r.name_map = "00000";
	r.sex = "2";
	r.birth = "319800102";
	r.address = "東京都千代田区千代田１－１";
	r.address_map = "0000000000000";
	r.policy_oid = R24_POLICY_SIGN;
	r.crl_url = CRL_URL;
	r.ocsp_url = "http://localhost:8080/ocsp";
	r.ca_issuers_url = "http://localhost:8080/ca/sign.crt";
	cert = profile_build(&r, err, sizeof(err));
	ck_assert_msg(cert != NULL, "profile_build: %s", err);
	dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	ck_assert_ptr_nonnull(dps);
	al = i2d_GENERAL_NAMES(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname, &a);
	bl = i2d_GENERAL_NAMES(idp->distpoint->name.fullname, &b);
	ck_assert_int_gt(al, 0);
	ck_assert_int_eq(al, bl);
	ck_assert_int_eq(memcmp(a, b, (size_t)al), 0);
	ck_assert_int_eq(sk_GENERAL_NAME_num(idp->distpoint->name.fullname), 2);
	ck_assert_int_eq(sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0)->type,
	    GEN_DIRNAME);
	ck_assert_int_eq(sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 1)->type,
	    GEN_URI);

	/* A CRL of another shard does not match. */
	OPENSSL_free(b);
	b = NULL;
	ISSUING_DIST_POINT_free(idp);
	X509_CRL_free(crl);
	p.municipality = "新宿区";
	crl = build(&p, NULL, 0, NULL, NULL);
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL, NULL);
	bl = i2d_GENERAL_NAMES(idp->distpoint->name.fullname, &b);
	ck_assert(al != bl || memcmp(a, b, (size_t)al) != 0);

	OPENSSL_free(a);
	OPENSSL_free(b);
	CRL_DIST_POINTS_free(dps);
	ISSUING_DIST_POINT_free(idp);
	X509_free(cert);
	X509_CRL_free(crl);
}
END_TEST

/* RFC 5280 5.1.2.6: no entries -> revokedCertificates absent. */
START_TEST(test_empty_crl)
{
	struct crl_params p;
	X509_CRL *crl;
	unsigned char *der;
	size_t len;

	params(&p, 7);
	crl = build(&p, NULL, 0, &der, &len);
	ck_assert(X509_CRL_get_REVOKED(crl) == NULL ||
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) == 0);
	/* OpenSSL's own encoding of the parsed CRL is ours, byte for byte. */
	{
		unsigned char *re = NULL;
		int rl = i2d_X509_CRL(crl, &re);

		ck_assert_int_eq(rl, (int)len);
		ck_assert_int_eq(memcmp(re, der, len), 0);
		OPENSSL_free(re);
	}
	free(der);
	X509_CRL_free(crl);
}
END_TEST

/* RFC 5280 5.1.2.4: GeneralizedTime from 2050 on. */
START_TEST(test_time_2050_generalized)
{
	struct crl_params p;
	struct crl_entry e;
	X509_CRL *crl;

	params(&p, 9);
	p.this_update = T_2050_01_01 - 3600;
	p.next_update = T_2050_01_01 + 86400;
	memset(&e, 0, sizeof(e));
	e.serial = serial16;
	e.serial_len = sizeof(serial16);
	e.revoked_at = T_2050_01_01 + 60;
	e.reason = CRL_REASON_SUPERSEDED;
	crl = build(&p, &e, 1, NULL, NULL);
	ck_assert_int_eq(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)), V_ASN1_UTCTIME);
	ck_assert_int_eq(ASN1_STRING_type(X509_CRL_get0_nextUpdate(crl)), V_ASN1_GENERALIZEDTIME);
	ck_assert_int_eq(asn1_time_t(X509_CRL_get0_nextUpdate(crl)), T_2050_01_01 + 86400);
	ck_assert_int_eq(asn1_time_t(X509_REVOKED_get0_revocationDate(
	    sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0))), T_2050_01_01 + 60);
	X509_CRL_free(crl);
}
END_TEST

START_TEST(test_bad_input_refused)
{
	struct crl_params p;
	struct crl_builder *b;
	struct crl_entry e;
	static const unsigned char zero[] = { 0x00, 0x00 };
	static const unsigned char s21[21] = { 0x01 };
	char err[256];

	params(&p, 0);
	ck_assert_ptr_null(crl_builder_new(&p, err, sizeof(err)));	/* number 0 */
	params(&p, 1);
	p.next_update = p.this_update;
	ck_assert_ptr_null(crl_builder_new(&p, err, sizeof(err)));
	params(&p, 1);
	p.crl_url = NULL;
	ck_assert_ptr_null(crl_builder_new(&p, err, sizeof(err)));
	ck_assert_msg(strncmp(err, "R24", 3) == 0, "%s", err);

	params(&p, 1);
	b = crl_builder_new(&p, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	memset(&e, 0, sizeof(e));
	e.revoked_at = T_REVOKED;
	e.serial = zero;
	e.serial_len = sizeof(zero);
	ck_assert_int_eq(crl_builder_add(b, &e), -1);	/* serial 0 */
	e.serial = s21;
	e.serial_len = sizeof(s21);
	ck_assert_int_eq(crl_builder_add(b, &e), -1);	/* 21 octets */
	e.serial = serial16;
	e.serial_len = sizeof(serial16);
	e.reason = 6;					/* certificateHold (R26: never) */
	ck_assert_int_eq(crl_builder_add(b, &e), -1);
	ck_assert_uint_eq(crl_builder_count(b), 0);
	crl_builder_free(b);
	crl_builder_free(NULL);
}
END_TEST

/* 100,000 entries: every one parses, the signature verifies. */
START_TEST(test_100k_entries)
{
	struct crl_params p;
	struct crl_entry *e;
	unsigned char (*serials)[16];
	X509_CRL *crl;
	const X509_REVOKED *r;
	size_t i, n = 100000;
	struct timespec t0, t1;
	double ms;

	params(&p, 100);
	e = calloc(n, sizeof(*e));
	serials = calloc(n, 16);
	for (i = 0; i < n; i++) {
		memcpy(serials[i], serial16, 16);
		serials[i][12] = (unsigned char)(i >> 24);
		serials[i][13] = (unsigned char)(i >> 16);
		serials[i][14] = (unsigned char)(i >> 8);
		serials[i][15] = (unsigned char)i;
		e[i].serial = serials[i];
		e[i].serial_len = 16;
		e[i].revoked_at = T_REVOKED - (time_t)i;
		e[i].reason = (int)(i % 6);
		e[i].has_invalidity = i % 2;
		e[i].invalidity = T_INVALID - (time_t)i;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	crl = build(&p, e, n, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	fprintf(stderr, "# 100k entries: build + sign + parse + verify %.0f ms\n", ms);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), (int)n);
	for (i = 0; i < n; i += 9973) {
		r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), (int)i);
		ck_assert_int_eq(asn1_time_t(X509_REVOKED_get0_revocationDate(r)),
		    T_REVOKED - (time_t)i);
		ck_assert_int_eq(entry_reason(r), i % 6 == 0 ? -1 : (int)(i % 6));
		ck_assert_int_eq(X509_REVOKED_get_ext_by_NID(r, NID_invalidity_date, -1) >= 0,
		    (int)(i % 2));
	}
	X509_CRL_free(crl);
	free(e);
	free(serials);
}
END_TEST

/* `openssl crl` parses it, verifies it against the CA and prints what we put in. */
START_TEST(test_openssl_crl_accepts)
{
	struct crl_params p;
	struct crl_entry e;
	X509_CRL *crl;
	unsigned char *der;
	size_t len;
	char path[160], cmd[2048], out[160];
	FILE *fp;

	params(&p, 5);
	memset(&e, 0, sizeof(e));
	e.serial = serial16;
	e.serial_len = sizeof(serial16);
	e.revoked_at = T_REVOKED;
	e.reason = CRL_REASON_KEY_COMPROMISE;
	e.has_invalidity = 1;
	e.invalidity = T_INVALID;
	crl = build(&p, &e, 1, &der, &len);
	snprintf(path, sizeof(path), "%s/x.crl", tmp_dir);
	snprintf(out, sizeof(out), "%s/x.txt", tmp_dir);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(der, 1, len, fp), len);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "openssl crl -inform DER -in %s -CAfile %s/ca.pem -noout -text"
	    " > %s 2>&1", path, tmp_dir, out);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -q 'verify OK' %s && grep -q 'X509v3 CRL Number: *$' %s"
	    " && grep -A1 'X509v3 CRL Number' %s | grep -q '^ *5$'"
	    " && grep -q 'X509v3 Issuing Distribution Point: critical' %s"
	    " && grep -q 'Only User Certificates' %s"
	    " && grep -q 'Key Compromise' %s && grep -q 'Nov 20 00:00:00 2026 GMT' %s"
	    " && grep -q '3A0102030405060708090A0B0C0D0E0F' %s",
	    out, out, out, out, out, out, out, out);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "sed 's/^/# /' %s >&2", out);
		(void)system(cmd);
		ck_abort_msg("openssl crl output lacks what the CRL says");
	}
	free(der);
	X509_CRL_free(crl);
}
END_TEST

/* ---- R26: times of the next CRL after a clock step (crl_next_times) ---- */

START_TEST(test_r26_this_update_is_now_after_backward_step)
{
	time_t tu, nu, back;

	/* The last CRL was published a day ahead; the clock came back. */
	ck_assert_int_eq(crl_next_times(T_THIS, T_THIS + 86400, 48, &tu, &nu, &back), 0);
	ck_assert_int_eq((long long)tu, (long long)T_THIS);
	ck_assert_int_eq((long long)nu, (long long)T_NEXT);
	ck_assert_int_eq((long long)back, 86400);
	/* Forward or the same second: no step back. */
	ck_assert_int_eq(crl_next_times(T_THIS, T_THIS - 3600, 48, &tu, &nu, &back), 0);
	ck_assert_int_eq((long long)tu, (long long)T_THIS);
	ck_assert_int_eq((long long)back, 0);
	ck_assert_int_eq(crl_next_times(T_THIS, T_THIS, 2, &tu, &nu, &back), 0);
	ck_assert_int_eq((long long)back, 0);
	ck_assert_int_eq((long long)(nu - tu), 7200);
	/* The first CRL of a series. */
	ck_assert_int_eq(crl_next_times(T_THIS, 0, 48, &tu, &nu, &back), 0);
	ck_assert_int_eq((long long)back, 0);
	ck_assert_int_eq(crl_next_times(T_THIS, 0, 0, &tu, &nu, &back), -1);
}
END_TEST

/* ---- crls_monotonic (0011), in SQL: JPKID_TEST_DB ---- */

static char *mono_ci;

static void
mono_setup(void)
{
	char name[64], sql[160], err[512];
	PGconn *admin = connect_or_fail(testlib_db()), *conn;
	int n;

	snprintf(name, sizeof(name), "jpkid_test_%ld_crl", (long)getpid());
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	must(admin, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", name);
	must(admin, sql);
	PQfinish(admin);
	mono_ci = conninfo_with_db(testlib_db(), name);
	conn = connect_or_fail(mono_ci);
	n = migrate_apply(conn, err, sizeof(err));
	ck_assert_msg(n == (int)migrations_count, "migrate_apply: %d %s", n, err);
	must(conn, "INSERT INTO municipalities (code, prefecture, name) VALUES"
	    " ('131016', '東京都', '千代田区'), ('141003', '神奈川県', '横浜市中区')");
	PQfinish(conn);
}

static void
mono_teardown(void)
{
	char sql[160];
	PGconn *admin = PQconnectdb(testlib_db());

	if (PQstatus(admin) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS jpkid_test_%ld_crl WITH (FORCE)",
		    (long)getpid());
		PQclear(PQexec(admin, sql));
	}
	PQfinish(admin);
	free(mono_ci);
	mono_ci = NULL;
}

/*
 * INSERT one CRL row: "" when accepted, else the name of the constraint
 * that refused it (SQLSTATE 23514 asserted). Static buffer.
 */
static const char *
crl_row(PGconn *conn, const char *issuer, const char *shard, int number, const char *this_update,
    const char *next_update)
{
	static char refused[128];
	const char *v[5];
	char num[16];
	PGresult *res;
	const char *c, *st;

	snprintf(num, sizeof(num), "%d", number);
	v[0] = issuer;
	v[1] = shard;
	v[2] = num;
	v[3] = this_update;
	v[4] = next_update;
	res = PQexecParams(conn, "INSERT INTO crls (issuer, shard, number, this_update,"
	    " next_update, der) VALUES ($1, $2, $3::bigint, $4::timestamptz, $5::timestamptz,"
	    " '\\x30')", 5, NULL, v, NULL, NULL, 0);
	refused[0] = '\0';
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
		ck_assert_msg(st != NULL && strcmp(st, "23514") == 0, "%s",
		    PQresultErrorMessage(res));
		snprintf(refused, sizeof(refused), "%s", c != NULL ? c : "?");
	}
	PQclear(res);
	return refused;
}

/* R26 + 0011: after a backward clock step the next CRL's thisUpdate is earlier; allowed. */
START_TEST(test_r26_crls_monotonic_allows_this_update_back)
{
	PGconn *conn = connect_or_fail(mono_ci);

	must(conn, "DELETE FROM crls");
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 1, "2026-11-22T10:00:00Z",
	    "2026-11-24T10:00:00Z"), "");
	/* A day back, number up: accepted (refused before 0011). */
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 2, "2026-11-21T10:00:00Z",
	    "2026-11-23T10:00:00Z"), "");
	/* Even before the first one's thisUpdate, and the same second twice. */
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 3, "2026-11-21T10:00:00Z",
	    "2026-11-23T10:00:00Z"), "");
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM crls WHERE shard = '131016'"), 3);
	PQfinish(conn);
}
END_TEST

/* RFC 5280 5.2.3: the number strictly increases per (issuer, shard), gaps or not. */
START_TEST(test_r26_crls_monotonic_refuses_number_not_increasing)
{
	PGconn *conn = connect_or_fail(mono_ci);

	must(conn, "DELETE FROM crls");
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 1, "2026-11-21T10:00:00Z",
	    "2026-11-23T10:00:00Z"), "");
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 5, "2026-11-22T10:00:00Z",
	    "2026-11-24T10:00:00Z"), "");
	/* 3 was never used (the primary key would take it): the trigger refuses it. */
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 3, "2026-11-23T10:00:00Z",
	    "2026-11-25T10:00:00Z"), "crls_number_increases");
	/* The same number again, with a later thisUpdate: refused. */
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 5, "2026-11-23T10:00:00Z",
	    "2026-11-25T10:00:00Z"), "crls_number_increases");
	/* Each series is its own: the other issuer, the other shard start at 1. */
	ck_assert_str_eq(crl_row(conn, "auth", "131016", 1, "2026-11-20T10:00:00Z",
	    "2026-11-22T10:00:00Z"), "");
	ck_assert_str_eq(crl_row(conn, "sign", "141003", 2, "2026-11-20T10:00:00Z",
	    "2026-11-22T10:00:00Z"), "");
	/* nextUpdate must still follow thisUpdate (RFC 5280 5.1.2.5). */
	ck_assert_str_eq(crl_row(conn, "sign", "131016", 6, "2026-11-23T10:00:00Z",
	    "2026-11-23T10:00:00Z"), "crls_update_check");
	ck_assert_int_eq(scalar(conn, "SELECT max(number) FROM crls"
	    " WHERE issuer = 'sign' AND shard = '131016'"), 5);
	PQfinish(conn);
}
END_TEST

/*
 * 0015: a large CRL's DER lives in crl_parts (der NULL, der_bytes its length);
 * Q_CRL_DER, what GET /crl serves, puts the parts back in seq order, and
 * crls_der_where keeps exactly one of der and der_bytes.
 */
START_TEST(test_r26_crl_parts_reassembled_in_order)
{
	PGconn *conn = connect_or_fail(mono_ci);
	const char *v[3] = { "sign", "131016", "7" };
	PGresult *res;
	const unsigned char *p;

	must(conn, "DELETE FROM crls");
	must(conn, "INSERT INTO crls (issuer, shard, number, this_update, next_update, der,"
	    " der_bytes) VALUES ('sign', '131016', 7, '2026-11-21T10:00:00Z',"
	    " '2026-11-23T10:00:00Z', NULL, 5)");
	/* Inserted out of order: seq decides. */
	must(conn, "INSERT INTO crl_parts (issuer, shard, number, seq, bytes) VALUES"
	    " ('sign', '131016', 7, 1, '\\x0304'), ('sign', '131016', 7, 2, '\\x05'),"
	    " ('sign', '131016', 7, 0, '\\x3003')");
	res = PQexecParams(conn, queries[Q_CRL_DER].sql, 3, NULL, v, NULL, NULL, 1);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_int_eq(PQgetlength(res, 0, 0), 5);
	p = (const unsigned char *)PQgetvalue(res, 0, 0);
	ck_assert(p[0] == 0x30 && p[1] == 0x03 && p[2] == 0x03 && p[3] == 0x04 && p[4] == 0x05);
	p = (const unsigned char *)PQgetvalue(res, 0, 1);	/* der_bytes, bigint */
	ck_assert_int_eq(PQgetlength(res, 0, 1), 8);
	ck_assert_int_eq(p[7], 5);
	PQclear(res);
	/* Both, or neither: refused. */
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM pg_constraint"
	    " WHERE conname = 'crls_der_where'"), 1);
	res = PQexec(conn, "INSERT INTO crls (issuer, shard, number, this_update, next_update,"
	    " der, der_bytes) VALUES ('sign', '131016', 8, '2026-11-22T10:00:00Z',"
	    " '2026-11-24T10:00:00Z', '\\x30', 1)");
	ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME), "crls_der_where");
	PQclear(res);
	res = PQexec(conn, "INSERT INTO crls (issuer, shard, number, this_update, next_update,"
	    " der) VALUES ('sign', '131016', 8, '2026-11-22T10:00:00Z',"
	    " '2026-11-24T10:00:00Z', NULL)");
	ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME), "crls_der_where");
	PQclear(res);
	/* A part never goes to TOAST (STORAGE PLAIN): 8,000 octets at most. */
	ck_assert_int_eq(scalar(conn, "SELECT count(*) FROM pg_attribute WHERE attrelid ="
	    " 'crl_parts'::regclass AND attname = 'bytes' AND attstorage = 'p'"), 1);
	PQclear(PQexec(conn, "DELETE FROM crls"));
	PQfinish(conn);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl");
	TCase *tc = tcase_create("crl");
	int rc;

	fixtures_init();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_r26_reason_names_and_codes);
	tcase_add_test(tc, test_r24_crl_fields_and_entries);
	tcase_add_test(tc, test_r24_idp_critical_equals_certificate_crldp);
	tcase_add_test(tc, test_empty_crl);
	tcase_add_test(tc, test_time_2050_generalized);
	tcase_add_test(tc, test_bad_input_refused);
	tcase_add_test(tc, test_100k_entries);
	tcase_add_test(tc, test_openssl_crl_accepts);
	tcase_add_test(tc, test_r26_this_update_is_now_after_backward_step);
	suite_add_tcase(s, tc);
	if (testlib_db() != NULL) {
		TCase *db = tcase_create("crls_monotonic");

		tcase_add_unchecked_fixture(db, mono_setup, mono_teardown);
		tcase_set_timeout(db, 60);
		tcase_add_test(db, test_r26_crls_monotonic_allows_this_update_back);
		tcase_add_test(db, test_r26_crls_monotonic_refuses_number_not_increasing);
		tcase_add_test(db, test_r26_crl_parts_reassembled_in_order);
		suite_add_tcase(s, db);
	} else
		fprintf(stderr, "JPKID_TEST_DB not set: crls_monotonic tests skipped\n");
	rc = testlib_run(s);
	fixtures_free();
	return rc;
}
