/*
 * test_ocsp: ca/ocsp.c (strict request parsing, issuer identification,
 * signed responses) against a development hierarchy (ca/devca.c), and the
 * response cache of api/status/ocsp_cache.c (no database).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "api/status/ocsp_cache.h"
#include "ca/devca.h"
#include "ca/keyring.h"
#include "ca/ocsp.h"
#include "testlib.h"

static char		 dir[64], cadir[80];
static struct keyring	*kr;
static struct ocsp_ids	 ids;
static X509		*foreign;

static void
setup(void)
{
	struct devca_opts o;
	struct keyring_spec s[4];
	static const char *const stem[4] = { "sign-ca", "auth-ca", "sign-ocsp", "auth-ocsp" };
	char cert[4][128], key[4][128], err[512];
	EVP_PKEY *pk;
	int i;

	snprintf(dir, sizeof(dir), "/tmp/jpkid-ocsp-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	memset(&o, 0, sizeof(o));
	o.dir = cadir;
	if (devca_init(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "devca_init: %s\n", err);
		abort();
	}
	for (i = 0; i < 4; i++) {
		snprintf(cert[i], sizeof(cert[i]), "%s/%s.crt", cadir, stem[i]);
		snprintf(key[i], sizeof(key[i]), "%s/%s.key", cadir, stem[i]);
		s[i].cert = cert[i];
		s[i].key = key[i];
		s[i].pin_file = NULL;
	}
	if (keyring_load(&s[0], &s[1], &s[2], &s[3], NULL, &kr, err, sizeof(err)) != 0 ||
	    ocsp_ids_init(&ids, kr->sign_ca.cert, kr->auth_ca.cert) != 0) {
		fprintf(stderr, "keyring: %s\n", err);
		abort();
	}
	/* A foreign CA with the same name as our SIGN CA but another key. */
	pk = EVP_RSA_gen(2048);
	foreign = X509_new();
	X509_set_version(foreign, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(foreign), 1);
	X509_set_subject_name(foreign, X509_get_subject_name(kr->sign_ca.cert));
	X509_set_issuer_name(foreign, X509_get_subject_name(kr->sign_ca.cert));
	X509_gmtime_adj(X509_getm_notBefore(foreign), 0);
	X509_gmtime_adj(X509_getm_notAfter(foreign), 86400);
	X509_set_pubkey(foreign, pk);
	X509_sign(foreign, pk, EVP_sha256());
	EVP_PKEY_free(pk);
}

static void
teardown(void)
{
	keyring_free(kr);
	X509_free(foreign);
	testlib_rm_tree(dir);
}

/* A CertID for serial (hex) under issuer with md. */
static OCSP_CERTID *
certid(X509 *issuer, const EVP_MD *md, const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn;
	OCSP_CERTID *id;

	ck_assert_int_gt(BN_hex2bn(&bn, hex), 0);
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	id = OCSP_cert_id_new(md, X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer),
	    sn);
	ck_assert_ptr_nonnull(id);
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	return id;
}

/* DER of a request for the given CertIDs (taken), with a nonce if asked. */
static unsigned char *
request(OCSP_CERTID **idv, int n, int nonce, int *len)
{
	OCSP_REQUEST *r = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	int i;

	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(OCSP_request_add0_id(r, idv[i]));
	if (nonce)
		ck_assert_int_eq(OCSP_request_add1_nonce(r, NULL, 16), 1);
	*len = i2d_OCSP_REQUEST(r, &der);
	ck_assert_int_gt(*len, 0);
	OCSP_REQUEST_free(r);
	return der;
}

static unsigned char *
one_request(X509 *issuer, const EVP_MD *md, const char *hex, int nonce, int *len)
{
	OCSP_CERTID *id = certid(issuer, md, hex);

	return request(&id, 1, nonce, len);
}

START_TEST(test_parse_sign_sha1_serial_as_stored)
{
	struct ocsp_req r;
	unsigned char *der;
	int len;

	der = one_request(kr->sign_ca.cert, EVP_sha1(), "0123456789ABCDEF", 0, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), 0);
	ck_assert_int_eq(r.nids, 1);
	ck_assert_int_eq(r.has_nonce, 0);
	ck_assert_int_eq(r.ids[0].issuer, OCSP_ISSUER_SIGN);
	ck_assert_uint_eq(r.ids[0].serial_len, 8);
	ck_assert_mem_eq(r.ids[0].serial, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	ck_assert_int_eq(ocsp_req_issuer(&r), OCSP_ISSUER_SIGN);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_parse_auth_sha256_top_bit_serial_gets_leading_zero)
{
	struct ocsp_req r;
	unsigned char *der;
	int len;

	der = one_request(kr->auth_ca.cert, EVP_sha256(), "80", 1, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), 0);
	ck_assert_int_eq(r.ids[0].issuer, OCSP_ISSUER_AUTH);
	ck_assert_int_eq(r.has_nonce, 1);
	ck_assert_uint_eq(r.ids[0].serial_len, 2);	/* DER content octets 00 80 */
	ck_assert_mem_eq(r.ids[0].serial, "\x00\x80", 2);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_foreign_key_same_name_is_foreign)
{
	struct ocsp_req r;
	unsigned char *der;
	int len;

	der = one_request(foreign, EVP_sha1(), "01", 0, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), 0);
	ck_assert_int_eq(r.ids[0].issuer, OCSP_ISSUER_FOREIGN);
	ck_assert_int_eq(ocsp_req_issuer(&r), OCSP_ISSUER_FOREIGN);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_unsupported_hash_is_foreign)
{
	struct ocsp_req r;
	unsigned char *der;
	int len;

	der = one_request(kr->sign_ca.cert, EVP_sha384(), "01", 0, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), 0);
	ck_assert_int_eq(r.ids[0].issuer, OCSP_ISSUER_FOREIGN);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_mixed_issuers_unauthorized)
{
	OCSP_CERTID *idv[2];
	struct ocsp_req r;
	unsigned char *der;
	int len;

	idv[0] = certid(kr->sign_ca.cert, EVP_sha1(), "01");
	idv[1] = certid(kr->auth_ca.cert, EVP_sha1(), "02");
	der = request(idv, 2, 0, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), 0);
	ck_assert_int_eq(r.nids, 2);
	ck_assert_int_eq(r.ids[0].issuer, OCSP_ISSUER_SIGN);
	ck_assert_int_eq(r.ids[1].issuer, OCSP_ISSUER_AUTH);
	ck_assert_int_eq(ocsp_req_issuer(&r), OCSP_ISSUER_FOREIGN);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_too_many_certids_malformed)
{
	OCSP_CERTID *idv[OCSP_MAX_IDS + 1];
	struct ocsp_req r;
	unsigned char *der;
	int i, len;

	for (i = 0; i <= OCSP_MAX_IDS; i++)
		idv[i] = certid(kr->sign_ca.cert, EVP_sha1(), "01");
	der = request(idv, OCSP_MAX_IDS + 1, 0, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), -1);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_negative_and_long_serials_not_ours)
{
	ASN1_INTEGER *neg = ASN1_INTEGER_new();
	OCSP_CERTID *id;
	struct ocsp_req r;
	unsigned char *der;
	int len;

	ASN1_INTEGER_set(neg, -5);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(kr->sign_ca.cert),
	    X509_get0_pubkey_bitstr(kr->sign_ca.cert), neg);
	der = request(&id, 1, 0, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), 0);
	ck_assert_uint_eq(r.ids[0].serial_len, 0);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
	ASN1_INTEGER_free(neg);

	/* 21 octets: longer than RFC 5280 allows, never one of ours. */
	der = one_request(kr->sign_ca.cert, EVP_sha1(),
	    "0102030405060708090A0B0C0D0E0F101112131415", 0, &len);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), 0);
	ck_assert_uint_eq(r.ids[0].serial_len, 0);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
}
END_TEST

/* Hostile inputs: every row must be refused (malformedRequest). */
START_TEST(test_malformed_inputs)
{
	struct ocsp_req r;
	unsigned char *der, *buf;
	int len;

	der = one_request(kr->sign_ca.cert, EVP_sha1(), "01", 1, &len);
	buf = malloc((size_t)len + 8);
	ck_assert_ptr_nonnull(buf);

	ck_assert_int_eq(ocsp_req_parse(der, 0, &ids, &r), -1);		/* empty */
	ocsp_req_clear(&r);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len - 1, &ids, &r), -1);	/* truncated */
	ocsp_req_clear(&r);
	ck_assert_int_eq(ocsp_req_parse(der, 10, &ids, &r), -1);	/* truncated */
	ocsp_req_clear(&r);
	memcpy(buf, der, (size_t)len);
	buf[len] = 0;
	ck_assert_int_eq(ocsp_req_parse(buf, (size_t)len + 1, &ids, &r), -1);	/* trailing */
	ocsp_req_clear(&r);
	ck_assert_int_eq(ocsp_req_parse((const unsigned char *)"hello, responder", 16, &ids,
	    &r), -1);							/* garbage */
	ocsp_req_clear(&r);
	ck_assert_int_eq(ocsp_req_parse(der, OCSP_MAX_REQUEST + 1, &ids, &r), -1);	/* size */
	ocsp_req_clear(&r);
	/* BER: the outer length in long form (81 xx) instead of short. */
	ck_assert_int_lt(der[1], 0x80);
	buf[0] = 0x30;
	buf[1] = 0x81;
	buf[2] = der[1];
	memcpy(buf + 3, der + 2, (size_t)len - 2);
	ck_assert_int_eq(ocsp_req_parse(buf, (size_t)len + 1, &ids, &r), -1);
	ocsp_req_clear(&r);
	free(buf);
	OPENSSL_free(der);
}
END_TEST

/* tbsRequest with an explicit version: v1 accepted, v2 refused. */
START_TEST(test_explicit_version)
{
	struct ocsp_req r;
	unsigned char *der, buf[512];
	int len, v;

	der = one_request(kr->sign_ca.cert, EVP_sha1(), "01", 0, &len);
	/* 30 L1 30 L2 <content>: short lengths for this small request */
	ck_assert_int_lt(der[1], 0x80);
	ck_assert_int_eq(der[2], 0x30);
	ck_assert_int_lt(der[3], 0x80 - 5);
	for (v = 0; v <= 1; v++) {
		buf[0] = 0x30;
		buf[1] = (unsigned char)(der[1] + 5);
		buf[2] = 0x30;
		buf[3] = (unsigned char)(der[3] + 5);
		memcpy(buf + 4, "\xa0\x03\x02\x01", 4);
		buf[8] = (unsigned char)v;
		memcpy(buf + 9, der + 4, (size_t)len - 4);
		ck_assert_int_eq(ocsp_req_parse(buf, (size_t)len + 5, &ids, &r), v == 0 ? 0 : -1);
		ocsp_req_clear(&r);
	}
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_unknown_critical_extension_malformed)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;
	struct ocsp_req r;
	unsigned char *der = NULL;
	int len;

	OCSP_request_add0_id(req, certid(kr->sign_ca.cert, EVP_sha1(), "01"));
	ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x05\x00", 2);
	ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_serviceLocator, 1, os);
	ck_assert_ptr_nonnull(ext);
	OCSP_REQUEST_add_ext(req, ext, -1);
	len = i2d_OCSP_REQUEST(req, &der);
	ck_assert_int_eq(ocsp_req_parse(der, (size_t)len, &ids, &r), -1);
	ocsp_req_clear(&r);
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	OCSP_REQUEST_free(req);
}
END_TEST

/* Verify a response like a relying party (ocspcheck's order). */
static OCSP_BASICRESP *
verified(const unsigned char *der, size_t len, X509 *ca)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs;
	X509_STORE *st = X509_STORE_new();

	ck_assert_ptr_nonnull(resp);
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	ck_assert_ptr_nonnull(bs);
	X509_STORE_add_cert(st, ca);
	ck_assert_int_eq(OCSP_basic_verify(bs, NULL, st, 0), 1);
	X509_STORE_free(st);
	OCSP_RESPONSE_free(resp);
	return bs;
}

START_TEST(test_build_good_revoked_unknown_verified)
{
	OCSP_CERTID *idv[3];
	struct ocsp_status st[3] = {
		{ V_OCSP_CERTSTATUS_GOOD, 0, -1, 0 },
		{ V_OCSP_CERTSTATUS_REVOKED, 1700000000, 1, 1699990000 },	/* keyCompromise */
		{ V_OCSP_CERTSTATUS_UNKNOWN, 0, -1, 0 },
	};
	OCSP_BASICRESP *bs;
	OCSP_SINGLERESP *sr;
	ASN1_GENERALIZEDTIME *rev, *tu, *nu;
	const ASN1_OCTET_STRING *rid_key = NULL;
	const X509_NAME *rid_name = NULL;
	ASN1_GENERALIZEDTIME *inv;
	unsigned char *der;
	size_t len;
	time_t now = time(NULL);
	int status, reason, i;

	idv[0] = certid(kr->sign_ca.cert, EVP_sha1(), "01");
	idv[1] = certid(kr->sign_ca.cert, EVP_sha1(), "02");
	idv[2] = certid(kr->sign_ca.cert, EVP_sha256(), "03");
	ck_assert_int_eq(ocsp_resp_build(idv, st, 3, NULL, now, 3600, kr->sign_ocsp.cert,
	    kr->sign_ocsp.key, &der, &len), 0);
	bs = verified(der, len, kr->sign_ca.cert);
	ck_assert_int_eq(OCSP_resp_count(bs), 3);
	/* responderID byKey; the responder certificate included */
	ck_assert_int_eq(OCSP_resp_get0_id(bs, &rid_key, &rid_name), 1);
	ck_assert_ptr_nonnull(rid_key);
	ck_assert_ptr_null(rid_name);
	ck_assert_int_eq(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0),
	    kr->sign_ocsp.cert), 0);
	/* producedAt from our clock */
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(OCSP_resp_get0_produced_at(bs), now), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(OCSP_resp_find_status(bs, idv[i], &status, &reason, &rev, &tu,
		    &nu), 1);
		ck_assert_int_eq(status, st[i].status);
		ck_assert_int_eq(OCSP_check_validity(tu, nu, 0, -1), 1);
		ck_assert_int_eq(ASN1_TIME_cmp_time_t(tu, now), 0);
		ck_assert_int_eq(ASN1_TIME_cmp_time_t(nu, now + 3600), 0);
	}
	ck_assert_int_eq(OCSP_resp_find_status(bs, idv[1], &status, &reason, &rev, NULL, NULL), 1);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(rev, 1700000000), 0);
	sr = OCSP_resp_get0(bs, OCSP_resp_find(bs, idv[1], -1));
	inv = OCSP_SINGLERESP_get1_ext_d2i(sr, NID_invalidity_date, NULL, NULL);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(inv, 1699990000), 0);
	ASN1_GENERALIZEDTIME_free(inv);
	ck_assert_int_eq(OCSP_BASICRESP_get_ext_count(bs), 0);	/* no nonce asked */
	OCSP_BASICRESP_free(bs);
	free(der);
	for (i = 0; i < 3; i++)
		OCSP_CERTID_free(idv[i]);
}
END_TEST

START_TEST(test_build_unspecified_has_no_reason_and_nonce_echoed)
{
	struct ocsp_status st = { V_OCSP_CERTSTATUS_REVOKED, 1700000000, 0, 0 };
	OCSP_CERTID *id = certid(kr->auth_ca.cert, EVP_sha1(), "42");
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_BASICRESP *bs;
	unsigned char *der;
	size_t len;
	int status, reason;

	OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
	OCSP_request_add1_nonce(req, NULL, 16);
	ck_assert_int_eq(ocsp_resp_build(&id, &st, 1, req, time(NULL), 60, kr->auth_ocsp.cert,
	    kr->auth_ocsp.key, &der, &len), 0);
	bs = verified(der, len, kr->auth_ca.cert);
	ck_assert_int_eq(OCSP_check_nonce(req, bs), 1);
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, NULL, NULL, NULL), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, -1);	/* RFC 5280 5.3.1: absent rather than unspecified */
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	free(der);
}
END_TEST

START_TEST(test_build_with_other_issuers_responder_does_not_verify)
{
	struct ocsp_status st = { V_OCSP_CERTSTATUS_GOOD, 0, -1, 0 };
	OCSP_CERTID *id = certid(kr->sign_ca.cert, EVP_sha1(), "42");
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	X509_STORE *xs = X509_STORE_new();
	const unsigned char *p;
	unsigned char *der;
	size_t len;

	ck_assert_int_eq(ocsp_resp_build(&id, &st, 1, NULL, time(NULL), 60, kr->auth_ocsp.cert,
	    kr->auth_ocsp.key, &der, &len), 0);
	p = der;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	bs = OCSP_response_get1_basic(resp);
	X509_STORE_add_cert(xs, kr->sign_ca.cert);
	ck_assert_int_ne(OCSP_basic_verify(bs, NULL, xs, 0), 1);
	X509_STORE_free(xs);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_CERTID_free(id);
	free(der);
}
END_TEST

START_TEST(test_error_responses)
{
	static const int rows[] = { OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
	    OCSP_RESPONSE_STATUS_INTERNALERROR, OCSP_RESPONSE_STATUS_TRYLATER,
	    OCSP_RESPONSE_STATUS_UNAUTHORIZED };
	const unsigned char *der, *p;
	OCSP_RESPONSE *resp;
	size_t i, len;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p = der = ocsp_resp_error(rows[i], &len);
		resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		ck_assert_ptr_nonnull(resp);
		ck_assert_ptr_eq(p, der + len);
		ck_assert_int_eq(OCSP_response_status(resp), rows[i]);
		ck_assert_ptr_null(OCSP_response_get1_basic(resp));
		OCSP_RESPONSE_free(resp);
	}
}
END_TEST

/* --- api/status/ocsp_cache.c ------------------------------------------------------ */

static void
put(struct ocsp_cache *c, unsigned long epoch, const char *key, const char *serial,
    time_t tu)
{
	ocsp_cache_put(c, epoch, key, strlen(key), OCSP_ISSUER_SIGN,
	    (const unsigned char *)serial, strlen(serial), (const unsigned char *)"cid", 3,
	    (const unsigned char *)key, strlen(key), tu, tu + 3600);
}

START_TEST(test_cache_hit_copy_and_staleness)
{
	struct ocsp_cache *c = ocsp_cache_new(64);
	struct ocsp_hit h;

	put(c, ocsp_cache_epoch(c), "Gabc", "\x01", 1000);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 1);
	ck_assert_uint_eq(h.len, 4);
	ck_assert_mem_eq(h.der, "Gabc", 4);
	ck_assert_int_eq(h.issuer, OCSP_ISSUER_SIGN);
	ck_assert_int_eq(h.this_update, 1000);
	ck_assert_int_eq(h.next_update, 4600);
	ck_assert_int_eq(strlen(h.etag), 18);
	free(h.der);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabd", 4, 1000, 1800, &h), 0);
	ck_assert_int_eq(ocsp_cache_get(c, "Gab", 3, 1000, 1800, &h), 0);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 2799, 1800, &h), 1);	/* < validity/2 */
	free(h.der);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 2800, 1800, &h), 0);	/* re-sign */
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 999, 1800, &h), 0);	/* clock went back */
	ocsp_cache_free(c);
}
END_TEST

START_TEST(test_cache_epoch_guards_put_and_clear_empties)
{
	struct ocsp_cache *c = ocsp_cache_new(64);
	struct ocsp_hit h;
	unsigned long e = ocsp_cache_epoch(c);

	ocsp_cache_clear(c);	/* e.g. a revocation between the read and the put */
	put(c, e, "Gabc", "\x01", 1000);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 0);
	put(c, ocsp_cache_epoch(c), "Gabc", "\x01", 1000);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 1);
	free(h.der);
	ocsp_cache_clear(c);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 0);
	ocsp_cache_free(c);
}
END_TEST

/*
 * While the LISTEN connection is away (set_live 0) the cache holds and
 * answers nothing: a revocation it could not hear about is read from the
 * database; back on, it starts empty (tests/fault/run.sh's race).
 */
START_TEST(test_cache_not_live_bypassed_then_empty_when_back)
{
	struct ocsp_cache *c = ocsp_cache_new(64);
	struct ocsp_hit h;
	unsigned long e;

	ck_assert_int_eq(ocsp_cache_live(c), 1);	/* new: live */
	put(c, ocsp_cache_epoch(c), "Gabc", "\x01", 1000);
	e = ocsp_cache_epoch(c);	/* a miss in flight when the connection goes */
	ocsp_cache_set_live(c, 0);
	ck_assert_int_eq(ocsp_cache_live(c), 0);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 0);
	put(c, ocsp_cache_epoch(c), "Gdef", "\x02", 1000);	/* not stored */
	ocsp_cache_set_live(c, 1);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 0);
	ck_assert_int_eq(ocsp_cache_get(c, "Gdef", 4, 1000, 1800, &h), 0);
	put(c, e, "Gabc", "\x01", 1000);	/* read before the loss: dropped */
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 0);
	put(c, ocsp_cache_epoch(c), "Gabc", "\x01", 1000);
	ck_assert_int_eq(ocsp_cache_get(c, "Gabc", 4, 1000, 1800, &h), 1);
	free(h.der);
	ocsp_cache_set_live(NULL, 0);	/* accepts NULL */
	ck_assert_int_eq(ocsp_cache_live(NULL), 0);
	ocsp_cache_free(c);
}
END_TEST

START_TEST(test_cache_bounded_and_replaces)
{
	struct ocsp_cache *c = ocsp_cache_new(16);	/* one entry per shard */
	struct ocsp_hit h;
	char key[16];
	int i, hits = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "G%d", i);
		put(c, ocsp_cache_epoch(c), key, "\x01", 1000);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "G%d", i);
		if (ocsp_cache_get(c, key, strlen(key), 1000, 1800, &h)) {
			hits++;
			free(h.der);
		}
	}
	ck_assert_int_le(hits, 16);
	ck_assert_int_ge(hits, 1);
	/* the same key again: replaced, not duplicated */
	put(c, ocsp_cache_epoch(c), "G999", "\x02", 2000);
	ck_assert_int_eq(ocsp_cache_get(c, "G999", 4, 2000, 1800, &h), 1);
	ck_assert_int_eq(h.this_update, 2000);
	free(h.der);
	ocsp_cache_free(c);
}
END_TEST

static Suite *
ocsp_suite(void)
{
	Suite *s = suite_create("ocsp");
	TCase *tc = tcase_create("ca");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parse_sign_sha1_serial_as_stored);
	tcase_add_test(tc, test_parse_auth_sha256_top_bit_serial_gets_leading_zero);
	tcase_add_test(tc, test_foreign_key_same_name_is_foreign);
	tcase_add_test(tc, test_unsupported_hash_is_foreign);
	tcase_add_test(tc, test_mixed_issuers_unauthorized);
	tcase_add_test(tc, test_too_many_certids_malformed);
	tcase_add_test(tc, test_negative_and_long_serials_not_ours);
	tcase_add_test(tc, test_malformed_inputs);
	tcase_add_test(tc, test_explicit_version);
	tcase_add_test(tc, test_unknown_critical_extension_malformed);
	tcase_add_test(tc, test_build_good_revoked_unknown_verified);
	tcase_add_test(tc, test_build_unspecified_has_no_reason_and_nonce_echoed);
	tcase_add_test(tc, test_build_with_other_issuers_responder_does_not_verify);
	tcase_add_test(tc, test_error_responses);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_test(tc, test_cache_hit_copy_and_staleness);
	tcase_add_test(tc, test_cache_epoch_guards_put_and_clear_empties);
	tcase_add_test(tc, test_cache_bounded_and_replaces);
	tcase_add_test(tc, test_cache_not_live_bypassed_then_empty_when_back);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(ocsp_suite());
}
