/*
 * profile: see profile.h. The certificate is built from structures only
 * (docs/foundation.md "C": never X509V3_EXT_conf_nid or config strings), in the order
 * R22-R25 give; ca/profile_issue.c issues what pf_build makes.
 *
 * Building refuses what it cannot write correctly (a missing value, an
 * OID that does not parse, a date past UTCTime); those refusals carry
 * their rule id and count as lint failures in profile_issue(). Everything
 * else (lengths, maps, key sizes, ...) is the lint's to judge.
 *
 * Thread safety: no static state; the lint key is only read (EVP_PKEY
 * signing with a shared key is safe in OpenSSL 3) and the CA signer takes
 * its own lock.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/policy_key.h"
#include "ca/profile.h"
#include "ca/profile_int.h"
#include "ca/serial.h"
#include "ca/x509ext.h"

void
pf_err(struct pf *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

/* A refusal by rule: fmt starts with the rule id ("R24: ..."). */
static void
pf_rule(struct pf *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pf_rule(struct pf *p, const char *fmt, ...)
{
	va_list ap;

	p->rule = 1;
	if (p->err == NULL || p->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

void
pf_ossl(struct pf *p, const char *what)
{
	const char *why = ERR_reason_error_string(ERR_peek_last_error());

	pf_err(p, "profile: %s failed%s%s", what, why != NULL ? ": " : "",
	    why != NULL ? why : "");
	ERR_clear_error();
}

/* --- building blocks ---------------------------------------------------- */

/* A dotted OID (numeric form only: no name lookups). NULL if it does not parse. */
static ASN1_OBJECT *
pf_oid(const char *oid)
{
	if (oid == NULL || *oid == '\0')
		return NULL;
	return OBJ_txt2obj(oid, 1);
}

/* GeneralName uniformResourceIdentifier (IA5String). */
static GENERAL_NAME *
pf_gn_uri(const char *uri)
{
	GENERAL_NAME	*gn;
	ASN1_IA5STRING	*s;

	if ((s = ASN1_IA5STRING_new()) == NULL)
		return NULL;
	if (ASN1_STRING_set(s, uri, (int)strlen(uri)) != 1 ||
	    (gn = GENERAL_NAME_new()) == NULL) {
		ASN1_IA5STRING_free(s);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, s);
	return gn;
}

/* Push GeneralName directoryName n (taken over, also on failure). */
static int
pf_push_dirname(GENERAL_NAMES *gns, X509_NAME *n)
{
	GENERAL_NAME *gn;

	if (n == NULL)
		return -1;
	if ((gn = GENERAL_NAME_new()) == NULL) {
		X509_NAME_free(n);
		return -1;
	}
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, n);
	if (sk_GENERAL_NAME_push(gns, gn) <= 0) {
		GENERAL_NAME_free(gn);
		return -1;
	}
	return 0;
}

static int
pf_push_uri(GENERAL_NAMES *gns, const char *uri)
{
	GENERAL_NAME *gn;

	if ((gn = pf_gn_uri(uri)) == NULL)
		return -1;
	if (sk_GENERAL_NAME_push(gns, gn) <= 0) {
		GENERAL_NAME_free(gn);
		return -1;
	}
	return 0;
}

/*
 * R25: otherName { type-id oid, value [0] EXPLICIT UTF8String v }; the
 * [0] EXPLICIT is OpenSSL's OTHERNAME template, the UTF8String is ours.
 */
static int
pf_push_othername(GENERAL_NAMES *gns, const char *oid, const char *v)
{
	ASN1_OBJECT	*obj = NULL;
	ASN1_UTF8STRING	*s = NULL;
	ASN1_TYPE	*val = NULL;
	GENERAL_NAME	*gn = NULL;
	int		 rc = -1;

	if ((obj = pf_oid(oid)) == NULL || (s = ASN1_UTF8STRING_new()) == NULL ||
	    ASN1_STRING_set(s, v, (int)strlen(v)) != 1 ||
	    (val = ASN1_TYPE_new()) == NULL)
		goto out;
	ASN1_TYPE_set(val, V_ASN1_UTF8STRING, s);
	s = NULL;
	if ((gn = GENERAL_NAME_new()) == NULL ||
	    GENERAL_NAME_set0_othername(gn, obj, val) != 1)
		goto out;
	obj = NULL;
	val = NULL;
	if (sk_GENERAL_NAME_push(gns, gn) <= 0)
		goto out;
	gn = NULL;
	rc = 0;
out:
	GENERAL_NAME_free(gn);
	ASN1_TYPE_free(val);
	ASN1_UTF8STRING_free(s);
	ASN1_OBJECT_free(obj);
	return rc;
}

/* --- the TBSCertificate fields ------------------------------------------ */

static int
pf_serial(struct pf *p, X509 *x)
{
	const struct profile_req	*r = p->req;
	BIGNUM				*bn = NULL;
	ASN1_INTEGER			*ai = NULL;
	int				 rc = -1;

	if (!serial_valid(r->serial, r->serial_len)) {
		pf_err(p, "profile: serial is not a positive, minimal INTEGER of "
		    "1..%d octets", SERIAL_MAX);
		goto out;
	}
	/* The content octets are the big-endian magnitude (top bit clear). */
	if ((bn = BN_bin2bn(r->serial, (int)r->serial_len, NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, ai) != 1) {
		pf_ossl(p, "serial number");
		goto out;
	}
	rc = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

/*
 * R22: validity as UTCTime, i.e. years 1950..2049 (RFC 5280 4.1.2.5);
 * ASN1_TIME_set() picks UTCTime exactly for those, and we refuse the rest
 * rather than write a GeneralizedTime.
 */
static ASN1_TIME *
pf_utctime(struct pf *p, const char *what, time_t t)
{
	struct tm	 tm;
	ASN1_TIME	*at;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1950 ||
	    tm.tm_year + 1900 >= 2050) {
		pf_rule(p, "R22: %s %lld is outside UTCTime (years 1950-2049)",
		    what, (long long)t);
		return NULL;
	}
	if ((at = ASN1_TIME_set(NULL, t)) == NULL) {
		pf_ossl(p, what);
		return NULL;
	}
	if (ASN1_STRING_type(at) != V_ASN1_UTCTIME)
		abort();	/* ASN1_TIME_set broke its contract */
	return at;
}

static int
pf_validity(struct pf *p, X509 *x)
{
	ASN1_TIME	*nb = NULL, *na = NULL;
	int		 rc = -1;

	if ((nb = pf_utctime(p, "notBefore", p->req->not_before)) == NULL ||
	    (na = pf_utctime(p, "notAfter", p->req->not_after)) == NULL)
		goto out;
	if (X509_set1_notBefore(x, nb) != 1 || X509_set1_notAfter(x, na) != 1) {
		pf_ossl(p, "validity");
		goto out;
	}
	rc = 0;
out:
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	return rc;
}

/*
 * R23: SIGN C=JP, L=prefecture, L=municipality, CN; AUTH C=JP, CN. C and
 * CN as PrintableString (CN is digits and letters), L as UTF8String.
 */
static int
pf_subject(struct pf *p, X509 *x)
{
	const struct profile_req	*r = p->req;
	X509_NAME			*n = NULL;
	int				 rc = -1;

	if (r->subject_cn == NULL || *r->subject_cn == '\0') {
		pf_rule(p, "R23: no subject CN");
		goto out;
	}
	if (r->type == PROFILE_SIGN && (r->prefecture == NULL ||
	    r->municipality == NULL)) {
		pf_rule(p, "R23: SIGN subject needs the prefecture and municipality");
		goto out;
	}
	if ((n = X509_NAME_new()) == NULL ||
	    x509_name_add(n, NID_countryName, V_ASN1_PRINTABLESTRING, "JP") == -1)
		goto fail;
	if (r->type == PROFILE_SIGN &&
	    (x509_name_add(n, NID_localityName, V_ASN1_UTF8STRING,
	    r->prefecture) == -1 ||
	    x509_name_add(n, NID_localityName, V_ASN1_UTF8STRING,
	    r->municipality) == -1))
		goto fail;
	if (x509_name_add(n, NID_commonName, V_ASN1_PRINTABLESTRING,
	    r->subject_cn) == -1 || X509_set_subject_name(x, n) != 1)
		goto fail;
	rc = 0;
	goto out;
fail:
	pf_ossl(p, "subject name");
out:
	X509_NAME_free(n);
	return rc;
}

/* --- the extensions (R24, R25), in certificate order -------------------- */

/* 1. keyUsage, critical: SIGN digitalSignature + nonRepudiation; AUTH digitalSignature. */
static int
pf_ext_key_usage(struct pf *p, X509 *x)
{
	int rc;

	if (p->req->type == PROFILE_SIGN)
		rc = x509_ext_key_usage(x, KUBIT_DIGITAL_SIGNATURE,
		    KUBIT_NON_REPUDIATION, -1);
	else
		rc = x509_ext_key_usage(x, KUBIT_DIGITAL_SIGNATURE, -1);
	if (rc == -1)
		pf_ossl(p, "keyUsage");
	return rc;
}

/* 2. certificatePolicies: one policy, no qualifiers; critical on SIGN only. */
static int
pf_ext_policies(struct pf *p, X509 *x)
{
	CERTIFICATEPOLICIES	*cp = NULL;
	POLICYINFO		*pi = NULL;
	ASN1_OBJECT		*obj;
	int			 rc = -1;

	if ((obj = pf_oid(p->req->policy_oid)) == NULL) {
		ERR_clear_error();
		pf_rule(p, "R24: certificatePolicies OID \"%s\" is missing or not "
		    "a dotted OID", p->req->policy_oid != NULL ?
		    p->req->policy_oid : "");
		goto out;
	}
	if ((cp = sk_POLICYINFO_new_null()) == NULL ||
	    (pi = POLICYINFO_new()) == NULL) {
		ASN1_OBJECT_free(obj);
		goto fail;
	}
	ASN1_OBJECT_free(pi->policyid);
	pi->policyid = obj;
	if (sk_POLICYINFO_push(cp, pi) <= 0)
		goto fail;
	pi = NULL;
	if (x509_ext_add(x, NID_certificate_policies,
	    p->req->type == PROFILE_SIGN, cp) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	pf_ossl(p, "certificatePolicies");
out:
	POLICYINFO_free(pi);
	CERTIFICATEPOLICIES_free(cp);
	return rc;
}

/* R24 IAN: C=JP (PrintableString), O=公的個人認証サービス (UTF8String). */
static X509_NAME *
pf_ian_name(void)
{
	X509_NAME *n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (x509_name_add(n, NID_countryName, V_ASN1_PRINTABLESTRING, "JP") == -1 ||
	    x509_name_add(n, NID_organizationName, V_ASN1_UTF8STRING,
	    R24_IAN_O) == -1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* 3. issuerAltName, non-critical: one directoryName. */
static int
pf_ext_ian(struct pf *p, X509 *x)
{
	GENERAL_NAMES	*gns;
	int		 rc = -1;

	if ((gns = GENERAL_NAMES_new()) == NULL)
		goto out;
	if (pf_push_dirname(gns, pf_ian_name()) == -1 ||
	    x509_ext_add(x, NID_issuer_alt_name, 0, gns) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		pf_ossl(p, "issuerAltName");
	GENERAL_NAMES_free(gns);
	return rc;
}

/* 4. subjectAltName (SIGN only), non-critical: the six R25 otherNames in order. */
static int
pf_ext_san(struct pf *p, X509 *x)
{
	const struct profile_req	*r = p->req;
	const struct {
		const char	*oid, *what, *v;
	} on[] = {
		{ R25_OID_NAME, "name", r->name },
		{ R25_OID_NAME_MAP, "name map", r->name_map },
		{ R25_OID_SEX, "sex", r->sex },
		{ R25_OID_BIRTH, "date of birth", r->birth },
		{ R25_OID_ADDRESS, "address", r->address },
		{ R25_OID_ADDRESS_MAP, "address map", r->address_map },
	};
	GENERAL_NAMES			*gns = NULL;
	size_t				 i;
	int				 rc = -1;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (on[i].v == NULL) {
			pf_rule(p, "R25: SIGN certificate without %s", on[i].what);
			goto out;
		}
	if ((gns = GENERAL_NAMES_new()) == NULL)
		goto fail;
	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (pf_push_othername(gns, on[i].oid, on[i].v) == -1)
			goto fail;
	if (x509_ext_add(x, NID_subject_alt_name, 0, gns) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	pf_ossl(p, "subjectAltName");
out:
	GENERAL_NAMES_free(gns);
	return rc;
}

/*
 * R24 CRL distribution point directoryName (one CRL per municipality and
 * type): C=JP, O=JPKI, OU=<type OU>, OU=CRL Distribution Points,
 * OU=<prefecture>, CN=<municipality>. ASCII values as PrintableString (as
 * x509_name_r23), the Japanese ones as UTF8String.
 */
static X509_NAME *
pf_crldp_name(enum profile_type type, const char *prefecture, const char *municipality)
{
	X509_NAME *n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (x509_name_add(n, NID_countryName, V_ASN1_PRINTABLESTRING, "JP") == -1 ||
	    x509_name_add(n, NID_organizationName, V_ASN1_PRINTABLESTRING,
	    R23_O) == -1 ||
	    x509_name_add(n, NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
	    type == PROFILE_SIGN ? R23_OU_SIGN : R23_OU_AUTH) == -1 ||
	    x509_name_add(n, NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
	    R24_CRLDP_OU) == -1 ||
	    x509_name_add(n, NID_organizationalUnitName, V_ASN1_UTF8STRING,
	    prefecture) == -1 ||
	    x509_name_add(n, NID_commonName, V_ASN1_UTF8STRING,
	    municipality) == -1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

GENERAL_NAMES *
profile_crldp_names(enum profile_type type, const char *prefecture, const char *municipality,
    const char *crl_url)
{
	GENERAL_NAMES *gns;

	if (prefecture == NULL || municipality == NULL || crl_url == NULL || *crl_url == '\0')
		return NULL;
	if ((gns = GENERAL_NAMES_new()) == NULL)
		return NULL;
	if (pf_push_dirname(gns, pf_crldp_name(type, prefecture, municipality)) == -1 ||
	    pf_push_uri(gns, crl_url) == -1) {
		GENERAL_NAMES_free(gns);
		return NULL;
	}
	return gns;
}

/* 5. cRLDistributionPoints, non-critical: one point, fullName = dirName + URI. */
static int
pf_ext_crldp(struct pf *p, X509 *x)
{
	const struct profile_req	*r = p->req;
	CRL_DIST_POINTS			*dps = NULL;
	DIST_POINT			*dp = NULL;
	GENERAL_NAMES			*gns = NULL;
	int				 rc = -1;

	if (r->prefecture == NULL || r->municipality == NULL) {
		pf_rule(p, "R24: CRL distribution point needs the prefecture "
		    "and municipality");
		goto out;
	}
	if (r->crl_url == NULL || *r->crl_url == '\0') {
		pf_rule(p, "R24: no CRL URL configured");
		goto out;
	}
	if ((gns = profile_crldp_names(r->type, r->prefecture, r->municipality,
	    r->crl_url)) == NULL)
		goto fail;
	if ((dps = sk_DIST_POINT_new_null()) == NULL ||
	    (dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL)
		goto fail;
	dp->distpoint->type = 0;	/* fullName */
	dp->distpoint->name.fullname = gns;
	gns = NULL;
	if (sk_DIST_POINT_push(dps, dp) <= 0)
		goto fail;
	dp = NULL;
	if (x509_ext_add(x, NID_crl_distribution_points, 0, dps) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	pf_ossl(p, "cRLDistributionPoints");
out:
	GENERAL_NAMES_free(gns);
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(dps);
	return rc;
}

static int
pf_aia_push(AUTHORITY_INFO_ACCESS *aia, int method, const char *uri)
{
	ACCESS_DESCRIPTION	*ad;
	GENERAL_NAME		*gn;

	if ((gn = pf_gn_uri(uri)) == NULL)
		return -1;
	if ((ad = ACCESS_DESCRIPTION_new()) == NULL) {
		GENERAL_NAME_free(gn);
		return -1;
	}
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(method);
	GENERAL_NAME_free(ad->location);
	ad->location = gn;
	if (sk_ACCESS_DESCRIPTION_push(aia, ad) <= 0) {
		ACCESS_DESCRIPTION_free(ad);
		return -1;
	}
	return 0;
}

/* 6. authorityInfoAccess, non-critical: id-ad-ocsp, then id-ad-caIssuers. */
static int
pf_ext_aia(struct pf *p, X509 *x)
{
	const struct profile_req	*r = p->req;
	AUTHORITY_INFO_ACCESS		*aia = NULL;
	int				 rc = -1;

	if (r->ocsp_url == NULL || *r->ocsp_url == '\0' ||
	    r->ca_issuers_url == NULL || *r->ca_issuers_url == '\0') {
		pf_rule(p, "R24: no OCSP or caIssuers URL configured");
		goto out;
	}
	if ((aia = sk_ACCESS_DESCRIPTION_new_null()) == NULL ||
	    pf_aia_push(aia, NID_ad_OCSP, r->ocsp_url) == -1 ||
	    pf_aia_push(aia, NID_ad_ca_issuers, r->ca_issuers_url) == -1 ||
	    x509_ext_add(x, NID_info_access, 0, aia) == -1) {
		pf_ossl(p, "authorityInfoAccess");
		goto out;
	}
	rc = 0;
out:
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}

/*
 * 7. authorityKeyIdentifier = the CA certificate's subjectKeyIdentifier as
 * it stands in the CA certificate (RFC 5280 4.2.1.1), so that a CA whose
 * SKI was computed another way still chains; x509_ext_aki() (the key id
 * recomputed) only when the CA has no SKI.
 */
static int
pf_ext_aki(struct pf *p, X509 *x)
{
	const ASN1_OCTET_STRING	*ski;
	AUTHORITY_KEYID		*akid = NULL;
	int			 rc = -1;

	if ((ski = X509_get0_subject_key_id(p->req->issuer)) == NULL) {
		ERR_clear_error();
		rc = x509_ext_aki(x, p->req->issuer);
		goto out;
	}
	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL)
		goto out;
	rc = x509_ext_add(x, NID_authority_key_identifier, 0, akid);
out:
	if (rc == -1)
		pf_ossl(p, "authorityKeyIdentifier");
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/* 8. subjectKeyIdentifier: SHA-1 of the subjectPublicKey. */
static int
pf_ext_ski(struct pf *p, X509 *x)
{
	if (x509_ext_ski(x) == -1) {
		pf_ossl(p, "subjectKeyIdentifier");
		return -1;
	}
	return 0;
}

/*
 * R22: the holder's key into x. For issuing (fast) an RSA key's SPKI is
 * written from n and e (policy_key_rsa_public_der): X509_set_pubkey
 * would run OpenSSL 3's encoder and decode the key once more (issue 15),
 * and the lint reads the key from those SPKI octets (ca/lint.c lint_key).
 */
static int
pf_pubkey(X509 *x, EVP_PKEY *key, int fast)
{
	unsigned char	*bits = NULL;
	int		 len;

	if (!fast || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		return X509_set_pubkey(x, key) == 1 ? 0 : -1;
	if ((len = policy_key_rsa_public_der(key, &bits)) <= 0 ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_nid2obj(NID_rsaEncryption),
	    V_ASN1_NULL, NULL, bits, len)) {
		OPENSSL_free(bits);
		return -1;
	}
	return 0;
}

X509 *
pf_build(struct pf *p, int fast)
{
	const struct profile_req	*r = p->req;
	X509				*x = NULL;

	if (r == NULL || r->issuer == NULL || r->subject_key == NULL) {
		pf_err(p, "profile: request without issuer or subject key");
		goto fail;
	}
	if (r->type != PROFILE_SIGN && r->type != PROFILE_AUTH) {
		pf_err(p, "profile: unknown certificate type %d", (int)r->type);
		goto fail;
	}
	if ((x = X509_new()) == NULL) {
		pf_ossl(p, "X509_new");
		goto fail;
	}
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(r->issuer)) != 1 ||
	    pf_pubkey(x, r->subject_key, fast) != 0) {
		pf_ossl(p, "certificate fields");
		goto fail;
	}
	if (pf_serial(p, x) == -1 || pf_validity(p, x) == -1 ||
	    pf_subject(p, x) == -1)
		goto fail;
	if (pf_ext_key_usage(p, x) == -1 || pf_ext_policies(p, x) == -1 ||
	    pf_ext_ian(p, x) == -1 ||
	    (r->type == PROFILE_SIGN && pf_ext_san(p, x) == -1) ||
	    pf_ext_crldp(p, x) == -1 || pf_ext_aia(p, x) == -1 ||
	    pf_ext_aki(p, x) == -1 || pf_ext_ski(p, x) == -1)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

X509 *
profile_build(const struct profile_req *req, char *err, size_t errlen)
{
	struct pf p;

	memset(&p, 0, sizeof(p));
	p.req = req;
	p.err = err;
	p.errlen = errlen;
	return pf_build(&p, 0);
}
