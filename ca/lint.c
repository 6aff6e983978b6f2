/*
 * lint: see lint.h. Written independently of ca/profile.c on purpose: the
 * expected values come from the request and docs/rules.md, never from the
 * builder's helpers, and the extensions are walked and decoded here
 * (rpki-client style: strict DER, no trailing bytes, no duplicates, no
 * unknown extension, critical or not).
 *
 * Every message starts with the rule it enforces ("R24: ..."); where the
 * rule rests on RFC 5280 the section is named after it.
 *
 * This file: the entry point lint_cert(), the string and name checks
 * shared through lint_int.h, and the TBSCertificate fields (version,
 * serial, signature algorithm, issuer, validity, subject, key). The
 * extensions, SIGN's R25 otherNames among them, are in lint_ext.c.
 */
/* d2i_RSAPublicKey: the key as encoded, without OpenSSL 3.0's decoder (lint_key) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ca/lint.h"
#include "ca/lint_int.h"
#include "ca/profile.h"

#define LINT_RSA_BITS		2048	/* R22 */
#define LINT_RSA_E		65537	/* R22 */
#define LINT_SERIAL_MAX		20	/* RFC 5280 4.1.2.2 */

int
lint_fail(struct lint *l, const char *fmt, ...)
{
	va_list ap;

	if (l->err != NULL && l->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(l->err, l->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* --- strings ------------------------------------------------------------ */

long
lint_utf8_count(const unsigned char *s, size_t n)
{
	size_t	i = 0, k, more;
	long	count = 0;
	unsigned char lo, hi, c;

	while (i < n) {
		c = s[i];
		lo = 0x80;
		hi = 0xbf;
		if (c == 0x00)
			return -1;
		else if (c < 0x80)
			more = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* > U+10FFFF */
		} else
			return -1;
		if (n - i - 1 < more)
			return -1;
		for (k = 1; k <= more; k++) {
			c = s[i + k];
			if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf))
				return -1;
		}
		i += more + 1;
		count++;
	}
	return count;
}

/* X.680 41.4 PrintableString repertoire. */
static int
lint_printable(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr(" '()+,-./:=?", s[i]) != NULL) ||
		    s[i] == '\0')
			return 0;
	return 1;
}

int
lint_str_eq(const ASN1_STRING *s, const char *v)
{
	size_t n = strlen(v);

	return s != NULL && (size_t)ASN1_STRING_length(s) == n &&
	    memcmp(ASN1_STRING_get0_data(s), v, n) == 0;
}

/* --- names -------------------------------------------------------------- */

int
lint_name(struct lint *l, const char *rule, const char *what, const X509_NAME *n,
    const struct lint_ava *exp, int nexp)
{
	const X509_NAME_ENTRY	*ne;
	const ASN1_STRING	*d;
	const unsigned char	*b;
	size_t			 len;
	int			 i;

	if (n == NULL)
		return lint_fail(l, "%s: %s missing", rule, what);
	if (X509_NAME_entry_count(n) != nexp)
		return lint_fail(l, "%s: %s must have %d attributes, not %d", rule,
		    what, nexp, X509_NAME_entry_count(n));
	for (i = 0; i < nexp; i++) {
		ne = X509_NAME_get_entry(n, i);
		d = X509_NAME_ENTRY_get_data(ne);
		if (exp[i].value == NULL)
			return lint_fail(l, "%s: %s: no value for %s in the request",
			    rule, what, OBJ_nid2sn(exp[i].nid));
		if (X509_NAME_ENTRY_set(ne) != i)
			return lint_fail(l, "%s: %s: one attribute per RDN", rule,
			    what);
		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne)) != exp[i].nid)
			return lint_fail(l, "%s: %s: attribute %d must be %s", rule,
			    what, i + 1, OBJ_nid2sn(exp[i].nid));
		if (ASN1_STRING_type(d) != exp[i].type)
			return lint_fail(l, "%s: %s: %s must be a %s", rule, what,
			    OBJ_nid2sn(exp[i].nid), ASN1_tag2str(exp[i].type));
		b = ASN1_STRING_get0_data(d);
		len = (size_t)ASN1_STRING_length(d);
		if (exp[i].type == V_ASN1_PRINTABLESTRING && !lint_printable(b, len))
			return lint_fail(l, "%s: %s: %s is not a valid PrintableString",
			    rule, what, OBJ_nid2sn(exp[i].nid));
		if (exp[i].type == V_ASN1_UTF8STRING && lint_utf8_count(b, len) < 0)
			return lint_fail(l, "%s: %s: %s is not valid UTF-8", rule,
			    what, OBJ_nid2sn(exp[i].nid));
		if (len == 0 || !lint_str_eq(d, exp[i].value))
			return lint_fail(l, "%s: %s: %s differs from the request",
			    rule, what, OBJ_nid2sn(exp[i].nid));
	}
	return 0;
}

/* Exact DER equality of two names (X509_NAME_cmp would fold case). */
static int
lint_name_der_eq(const X509_NAME *a, const X509_NAME *b)
{
	unsigned char	*da = NULL, *db = NULL;
	int		 na, nb, eq;

	na = i2d_X509_NAME(a, &da);
	nb = i2d_X509_NAME(b, &db);
	eq = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

/* --- the TBSCertificate fields ------------------------------------------ */

static int
lint_version_serial(struct lint *l)
{
	const ASN1_INTEGER	*sn = X509_get0_serialNumber(l->cert);
	const ASN1_BIT_STRING	*iuid, *suid;
	unsigned char		*der = NULL;
	int			 n, rc = -1;

	if (X509_get_version(l->cert) != X509_VERSION_3)
		return lint_fail(l, "R24: the certificate must be v3 (extensions)");
	X509_get0_uids(l->cert, &iuid, &suid);
	if (iuid != NULL || suid != NULL)
		return lint_fail(l, "R22: no unique identifiers (RFC 5280 4.1.2.8)");
	/*
	 * The serial as a DER INTEGER is 02 <len> <content>; the content must
	 * be exactly the request's octets (positive, minimal, <= 20 octets:
	 * RFC 5280 4.1.2.2).
	 */
	if (l->req->serial == NULL || l->req->serial_len == 0 ||
	    l->req->serial_len > LINT_SERIAL_MAX) {
		lint_fail(l, "R22: the request's serial must have 1..%d octets",
		    LINT_SERIAL_MAX);
		goto out;
	}
	if ((n = i2d_ASN1_INTEGER(sn, &der)) < 3 || der[0] != V_ASN1_INTEGER ||
	    (size_t)der[1] != l->req->serial_len || (size_t)n != 2 + l->req->serial_len ||
	    memcmp(der + 2, l->req->serial, l->req->serial_len) != 0) {
		lint_fail(l, "R22: serialNumber differs from the request's serial");
		goto out;
	}
	if (ASN1_STRING_type(sn) != V_ASN1_INTEGER || (der[2] == 0 && n == 3)) {
		lint_fail(l, "R22: serialNumber must be positive (RFC 5280 4.1.2.2)");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

/* sha256WithRSAEncryption with NULL parameters (RFC 4055 5). */
static int
lint_alg_ok(const X509_ALGOR *alg)
{
	const ASN1_OBJECT	*obj;
	const void		*pval;
	int			 ptype;

	if (alg == NULL)
		return 0;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	return OBJ_obj2nid(obj) == NID_sha256WithRSAEncryption &&
	    ptype == V_ASN1_NULL;
}

/* R22: sha256WithRSAEncryption inside (TBS) and out, the same. */
static int
lint_sigalg(struct lint *l)
{
	const ASN1_BIT_STRING	*sig;
	const X509_ALGOR	*outer, *inner;

	X509_get0_signature(&sig, &outer, l->cert);
	inner = X509_get0_tbs_sigalg(l->cert);
	if (!lint_alg_ok(inner))
		return lint_fail(l, "R22: the TBS signature algorithm must be "
		    "sha256WithRSAEncryption");
	if (!lint_alg_ok(outer) || X509_ALGOR_cmp(inner, outer) != 0)
		return lint_fail(l, "R22: the signature algorithm must be "
		    "sha256WithRSAEncryption, equal to the TBS's (RFC 5280 4.1.1.2)");
	return 0;
}

/* R23: the issuer is the issuing CA's subject, byte for byte. */
static int
lint_issuer(struct lint *l)
{
	if (!lint_name_der_eq(X509_get_issuer_name(l->cert),
	    X509_get_subject_name(l->req->issuer)))
		return lint_fail(l, "R23: issuer must be the issuing CA's subject");
	return 0;
}

/* R22: UTCTime YYMMDDHHMMSSZ (RFC 5280 4.1.2.5.1). */
static int
lint_utctime(struct lint *l, const char *what, const ASN1_TIME *t)
{
	const unsigned char *d;

	if (t == NULL || ASN1_STRING_type(t) != V_ASN1_UTCTIME ||
	    ASN1_STRING_length(t) != 13 || ASN1_TIME_check(t) != 1)
		return lint_fail(l, "R22: %s must be a UTCTime", what);
	d = ASN1_STRING_get0_data(t);
	if (d[12] != 'Z')
		return lint_fail(l, "R22: %s must be a UTCTime in Zulu time "
		    "with seconds (RFC 5280 4.1.2.5.1)", what);
	return 0;
}

/* R6 (AUTH) / R7 (SIGN): the validity the policy decided, inside the CA's. */
static int
lint_validity(struct lint *l)
{
	const ASN1_TIME	*nb = X509_get0_notBefore(l->cert);
	const ASN1_TIME	*na = X509_get0_notAfter(l->cert);
	const char	*rule = l->sign ? "R7" : "R6";
	int		 c1, c2;

	if (lint_utctime(l, "notBefore", nb) == -1 ||
	    lint_utctime(l, "notAfter", na) == -1)
		return -1;
	if (ASN1_TIME_cmp_time_t(nb, l->req->not_before) != 0)
		return lint_fail(l, "%s: notBefore differs from the request", rule);
	if (ASN1_TIME_cmp_time_t(na, l->req->not_after) != 0)
		return lint_fail(l, "%s: notAfter differs from the request", rule);
	if (ASN1_TIME_compare(nb, na) != -1)
		return lint_fail(l, "%s: notBefore must be before notAfter", rule);
	/* ASN1_TIME_compare: -1, 0, 1, or -2 on error (a bad CA time fails too). */
	c1 = ASN1_TIME_compare(nb, X509_get0_notBefore(l->req->issuer));
	c2 = ASN1_TIME_compare(na, X509_get0_notAfter(l->req->issuer));
	if (c1 == -2 || c1 == -1 || c2 == -2 || c2 == 1)
		return lint_fail(l, "%s: validity must lie inside the issuing CA's",
		    rule);
	return 0;
}

/* R23: SIGN C, L, L, CN; AUTH C, CN only (no personal data in AUTH). */
static int
lint_subject(struct lint *l)
{
	const struct profile_req	*r = l->req;
	struct lint_ava			 sign[] = {
		{ NID_countryName, V_ASN1_PRINTABLESTRING, "JP" },
		{ NID_localityName, V_ASN1_UTF8STRING, r->prefecture },
		{ NID_localityName, V_ASN1_UTF8STRING, r->municipality },
		{ NID_commonName, V_ASN1_PRINTABLESTRING, r->subject_cn },
	};
	struct lint_ava			 auth[] = {
		{ NID_countryName, V_ASN1_PRINTABLESTRING, "JP" },
		{ NID_commonName, V_ASN1_PRINTABLESTRING, r->subject_cn },
	};

	if (l->sign)
		return lint_name(l, "R23", "SIGN subject",
		    X509_get_subject_name(l->cert), sign, 4);
	return lint_name(l, "R23", "AUTH subject (C and CN only)",
	    X509_get_subject_name(l->cert), auth, 2);
}

/*
 * R22: the SubjectPublicKeyInfo as encoded: rsaEncryption, RSA-2048,
 * e = 65537, and the requested key's n and e. Read from the octets
 * (d2i_RSAPublicKey), so the lint needs no decoded key in the
 * certificate: ca/profile.c writes the SPKI from n and e.
 */
static int
lint_key(struct lint *l)
{
	X509_PUBKEY	*xp = X509_get_X509_PUBKEY(l->cert);
	ASN1_OBJECT	*alg = NULL;
	const unsigned char *bits = NULL, *q;
	const BIGNUM	*n = NULL, *e = NULL;
	BIGNUM		*rn = NULL, *re = NULL;
	RSA		*rsa = NULL;
	int		 blen = 0, rc = -1;

	if (xp == NULL || !X509_PUBKEY_get0_param(&alg, &bits, &blen, NULL, xp) ||
	    OBJ_obj2nid(alg) != NID_rsaEncryption)
		return lint_fail(l, "R22: subject key must be RSA (rsaEncryption)");
	q = bits;
	if ((rsa = d2i_RSAPublicKey(NULL, &q, blen)) == NULL || q != bits + blen) {
		RSA_free(rsa);
		return lint_fail(l, "R22: subject key is not a readable RSAPublicKey");
	}
	RSA_get0_key(rsa, &n, &e, NULL);
	if (BN_num_bits(n) != LINT_RSA_BITS)
		rc = lint_fail(l, "R22: subject key must be RSA-%d, not %d bits",
		    LINT_RSA_BITS, BN_num_bits(n));
	else if (!BN_is_word(e, LINT_RSA_E))
		rc = lint_fail(l, "R22: subject key exponent must be %d", LINT_RSA_E);
	else if (l->req->subject_key == NULL ||
	    EVP_PKEY_get_bn_param(l->req->subject_key, OSSL_PKEY_PARAM_RSA_N, &rn) != 1 ||
	    EVP_PKEY_get_bn_param(l->req->subject_key, OSSL_PKEY_PARAM_RSA_E, &re) != 1 ||
	    BN_cmp(rn, n) != 0 || BN_cmp(re, e) != 0)
		rc = lint_fail(l, "R22: subject key is not the requested key");
	else
		rc = 0;
	BN_free(rn);
	BN_free(re);
	RSA_free(rsa);
	return rc;
}

int
lint_cert(X509 *cert, const struct profile_req *req, char *err, size_t errlen)
{
	struct lint	l;
	int		rc = -1;

	memset(&l, 0, sizeof(l));
	l.cert = cert;
	l.req = req;
	l.err = err;
	l.errlen = errlen;
	if (cert == NULL || req == NULL || req->issuer == NULL) {
		lint_fail(&l, "R22: nothing to lint (no certificate, request or CA)");
		goto out;
	}
	if (req->type != PROFILE_SIGN && req->type != PROFILE_AUTH) {
		lint_fail(&l, "R22: unknown certificate type %d", (int)req->type);
		goto out;
	}
	l.sign = req->type == PROFILE_SIGN;
	if (lint_version_serial(&l) == -1 || lint_sigalg(&l) == -1 ||
	    lint_issuer(&l) == -1 || lint_validity(&l) == -1 ||
	    lint_subject(&l) == -1 || lint_key(&l) == -1 ||
	    lint_extensions(&l) == -1)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	return rc;
}
