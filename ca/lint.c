/*
 * lint: see lint.h. Written independently of ca/profile.c on purpose: the
 * expected values come from the request and RULES.md, never from the
 * builder's helpers, and the extensions are walked and decoded here
 * (rpki-client style: strict DER, no trailing bytes, no duplicates, no
 * unknown extension, critical or not).
 *
 * Every message starts with the rule it enforces ("R24: ..."); where the
 * rule rests on RFC 5280 the section is named after it.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/lint.h"
#include "ca/profile.h"

#define LINT_RSA_BITS		2048	/* R22 */
#define LINT_RSA_E		65537	/* R22 */
#define LINT_ADDRESS_MAX	200	/* R25 .5: characters */
#define LINT_SERIAL_MAX		20	/* RFC 5280 4.1.2.2 */

struct lint {
	X509				*cert;
	const struct profile_req	*req;
	int				 sign;	/* req->type == PROFILE_SIGN */
	char				*err;
	size_t				 errlen;
};

static int
lint_fail(struct lint *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Always returns -1, for `return lint_fail(...)`. */
static int
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

/*
 * Code points in s[0..n) when it is valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF, and here no U+0000);
 * -1 otherwise.
 */
static long
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

/* 1 when the ASN1_STRING holds exactly the bytes of v. */
static int
lint_str_eq(const ASN1_STRING *s, const char *v)
{
	size_t n = strlen(v);

	return s != NULL && (size_t)ASN1_STRING_length(s) == n &&
	    memcmp(ASN1_STRING_get0_data(s), v, n) == 0;
}

/* A URI GeneralName equal to uri (ASCII, as IA5String must be). */
static int
lint_uri_eq(const GENERAL_NAME *gn, const char *uri)
{
	const ASN1_STRING	*s;
	int			 i;

	if (gn == NULL || gn->type != GEN_URI || uri == NULL || *uri == '\0')
		return 0;
	s = gn->d.uniformResourceIdentifier;
	for (i = 0; i < ASN1_STRING_length(s); i++)
		if (ASN1_STRING_get0_data(s)[i] & 0x80)
			return 0;
	return lint_str_eq(s, uri);
}

/* --- names -------------------------------------------------------------- */

struct lint_ava {
	int		 nid;
	int		 type;		/* V_ASN1_PRINTABLESTRING / V_ASN1_UTF8STRING */
	const char	*value;
};

/*
 * n is exactly exp: same count, one attribute per RDN, each of the given
 * type (valid in it) with exactly the given bytes.
 */
static int
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

/* R22: the requested key, RSA (rsaEncryption) 2048 bits, e = 65537. */
static int
lint_key(struct lint *l)
{
	EVP_PKEY	*pk = X509_get0_pubkey(l->cert);
	BIGNUM		*e = NULL;
	int		 ok;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		return lint_fail(l, "R22: subject key must be RSA (rsaEncryption)");
	if (EVP_PKEY_get_bits(pk) != LINT_RSA_BITS)
		return lint_fail(l, "R22: subject key must be RSA-%d, not %d bits",
		    LINT_RSA_BITS, EVP_PKEY_get_bits(pk));
	ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
	    BN_is_word(e, LINT_RSA_E);
	BN_free(e);
	if (!ok)
		return lint_fail(l, "R22: subject key exponent must be %d",
		    LINT_RSA_E);
	if (l->req->subject_key == NULL || EVP_PKEY_eq(pk, l->req->subject_key) != 1)
		return lint_fail(l, "R22: subject key is not the requested key");
	return 0;
}

/* --- extensions --------------------------------------------------------- */

enum lint_ext { LE_KU, LE_CP, LE_IAN, LE_SAN, LE_CRLDP, LE_AIA, LE_AKI, LE_SKI,
	LE_N };

static const struct {
	int		 nid;
	const char	*name;
} lint_exts[LE_N] = {
	[LE_KU] = { NID_key_usage, "keyUsage" },
	[LE_CP] = { NID_certificate_policies, "certificatePolicies" },
	[LE_IAN] = { NID_issuer_alt_name, "issuerAltName" },
	[LE_SAN] = { NID_subject_alt_name, "subjectAltName" },
	[LE_CRLDP] = { NID_crl_distribution_points, "cRLDistributionPoints" },
	[LE_AIA] = { NID_info_access, "authorityInfoAccess" },
	[LE_AKI] = { NID_authority_key_identifier, "authorityKeyIdentifier" },
	[LE_SKI] = { NID_subject_key_identifier, "subjectKeyIdentifier" },
};

/* R24: the set and order of the extensions (SIGN adds the R25 SAN). */
static const enum lint_ext lint_order_sign[] = {
	LE_KU, LE_CP, LE_IAN, LE_SAN, LE_CRLDP, LE_AIA, LE_AKI, LE_SKI
};
static const enum lint_ext lint_order_auth[] = {
	LE_KU, LE_CP, LE_IAN, LE_CRLDP, LE_AIA, LE_AKI, LE_SKI
};

static int
lint_ext_index(int nid)
{
	int i;

	for (i = 0; i < LE_N; i++)
		if (lint_exts[i].nid == nid)
			return i;
	return -1;
}

/*
 * Decode the extnValue as it: strict (no trailing bytes) and DER (encoding
 * the result again gives the same bytes). NULL when either fails.
 */
static void *
lint_decode(X509_EXTENSION *ext, const ASN1_ITEM *it)
{
	const ASN1_OCTET_STRING	*os = X509_EXTENSION_get_data(ext);
	const unsigned char	*p = ASN1_STRING_get0_data(os);
	const unsigned char	*start = p;
	unsigned char		*re = NULL;
	void			*v;
	int			 len = ASN1_STRING_length(os), n;

	if ((v = ASN1_item_d2i(NULL, &p, len, it)) == NULL)
		goto fail;
	if (p != start + len)
		goto fail;
	n = ASN1_item_i2d(v, &re, it);
	if (n != len || memcmp(re, start, (size_t)len) != 0)
		goto fail;
	OPENSSL_free(re);
	return v;
fail:
	ERR_clear_error();
	OPENSSL_free(re);
	ASN1_item_free(v, it);
	return NULL;
}

/*
 * keyUsage: the whole extnValue, byte for byte (DER of a named bit list
 * has no trailing zero bits, X.690 11.2.2): SIGN digitalSignature (0) +
 * nonRepudiation (1) = 03 02 06 C0; AUTH digitalSignature = 03 02 07 80.
 */
static int
lint_ku(struct lint *l, X509_EXTENSION *ext)
{
	static const unsigned char	sign[] = { 0x03, 0x02, 0x06, 0xc0 };
	static const unsigned char	auth[] = { 0x03, 0x02, 0x07, 0x80 };
	const ASN1_OCTET_STRING		*os = X509_EXTENSION_get_data(ext);
	const unsigned char		*want = l->sign ? sign : auth;

	if (ASN1_STRING_length(os) != 4 ||
	    memcmp(ASN1_STRING_get0_data(os), want, 4) != 0)
		return lint_fail(l, "R24: keyUsage must be %s", l->sign ?
		    "digitalSignature and nonRepudiation only" :
		    "digitalSignature only");
	return 0;
}

/* certificatePolicies: exactly the configured policy, no qualifiers. */
static int
lint_cp(struct lint *l, X509_EXTENSION *ext)
{
	CERTIFICATEPOLICIES	*cp;
	POLICYINFO		*pi;
	ASN1_OBJECT		*want = NULL;
	int			 rc = -1;

	if ((cp = lint_decode(ext, ASN1_ITEM_rptr(CERTIFICATEPOLICIES))) == NULL)
		return lint_fail(l, "R24: certificatePolicies is not DER");
	if (l->req->policy_oid == NULL ||
	    (want = OBJ_txt2obj(l->req->policy_oid, 1)) == NULL) {
		ERR_clear_error();
		lint_fail(l, "R24: no valid certificatePolicies OID in the request");
		goto out;
	}
	if (sk_POLICYINFO_num(cp) != 1) {
		lint_fail(l, "R24: certificatePolicies must hold one policy, not %d",
		    sk_POLICYINFO_num(cp));
		goto out;
	}
	pi = sk_POLICYINFO_value(cp, 0);
	if (OBJ_cmp(pi->policyid, want) != 0) {
		lint_fail(l, "R24: certificatePolicies must be %s",
		    l->req->policy_oid);
		goto out;
	}
	if (pi->qualifiers != NULL) {
		lint_fail(l, "R24: certificatePolicies without qualifiers");
		goto out;
	}
	rc = 0;
out:
	ASN1_OBJECT_free(want);
	CERTIFICATEPOLICIES_free(cp);
	return rc;
}

/* issuerAltName: one directoryName C=JP, O=公的個人認証サービス. */
static int
lint_ian(struct lint *l, X509_EXTENSION *ext)
{
	static const struct lint_ava	 ian[] = {
		{ NID_countryName, V_ASN1_PRINTABLESTRING, "JP" },
		{ NID_organizationName, V_ASN1_UTF8STRING, R24_IAN_O },
	};
	GENERAL_NAMES			*gns;
	GENERAL_NAME			*gn;
	int				 rc = -1;

	if ((gns = lint_decode(ext, ASN1_ITEM_rptr(GENERAL_NAMES))) == NULL)
		return lint_fail(l, "R24: issuerAltName is not DER");
	if (sk_GENERAL_NAME_num(gns) != 1 ||
	    (gn = sk_GENERAL_NAME_value(gns, 0))->type != GEN_DIRNAME) {
		lint_fail(l, "R24: issuerAltName must be one directoryName");
		goto out;
	}
	rc = lint_name(l, "R24", "issuerAltName", gn->d.directoryName, ian, 2);
out:
	GENERAL_NAMES_free(gns);
	return rc;
}

/* R25: a substitute map has one '0' or '1' per character of its value. */
static int
lint_map(struct lint *l, const char *what, const char *value, const char *map)
{
	long	n;
	size_t	i;

	n = lint_utf8_count((const unsigned char *)value, strlen(value));
	if (n < 0)
		return lint_fail(l, "R25: %s is not valid UTF-8", what);
	if (strlen(map) != (size_t)n)
		return lint_fail(l, "R25: the %s map must have one '0'/'1' per "
		    "character (%ld characters, map of %zu)", what, n, strlen(map));
	for (i = 0; map[i] != '\0'; i++)
		if (map[i] != '0' && map[i] != '1')
			return lint_fail(l, "R25: the %s map may hold only '0' and "
			    "'1'", what);
	return 0;
}

/* R25 .4: E + YYYYMMDD, E in 0..5 (^[0-5][0-9]{8}$). */
static int
lint_birth_ok(const char *b)
{
	size_t i;

	if (strlen(b) != 9 || b[0] < '0' || b[0] > '5')
		return 0;
	for (i = 1; i < 9; i++)
		if (b[i] < '0' || b[i] > '9')
			return 0;
	return 1;
}

/* The R25 values themselves (they equal the certificate's by now). */
static int
lint_basic_four(struct lint *l)
{
	const struct profile_req	*r = l->req;
	long				 n;

	if (*r->name == '\0')
		return lint_fail(l, "R25: the name must not be empty");
	if (lint_map(l, "name", r->name, r->name_map) == -1)
		return -1;
	if (strcmp(r->sex, "1") != 0 && strcmp(r->sex, "2") != 0 &&
	    strcmp(r->sex, "9") != 0)
		return lint_fail(l, "R25: sex must be 1, 2 or 9 (JIS X 0303)");
	if (!lint_birth_ok(r->birth))
		return lint_fail(l, "R25: date of birth must be an era digit 0-5 "
		    "and YYYYMMDD");
	n = lint_utf8_count((const unsigned char *)r->address, strlen(r->address));
	if (n < 0)
		return lint_fail(l, "R25: address is not valid UTF-8");
	if (n > LINT_ADDRESS_MAX)
		return lint_fail(l, "R25: address must have at most %d characters, "
		    "not %ld", LINT_ADDRESS_MAX, n);
	return lint_map(l, "address", r->address, r->address_map);
}

/* SIGN subjectAltName: the six R25 otherNames in order, UTF8String = req. */
static int
lint_san(struct lint *l, X509_EXTENSION *ext)
{
	const struct profile_req	*r = l->req;
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
	GENERAL_NAMES			*gns;
	GENERAL_NAME			*gn;
	OTHERNAME			*o;
	ASN1_OBJECT			*want = NULL;
	const ASN1_STRING		*s;
	int				 i, rc = -1;

	if ((gns = lint_decode(ext, ASN1_ITEM_rptr(GENERAL_NAMES))) == NULL)
		return lint_fail(l, "R25: subjectAltName is not DER");
	if (sk_GENERAL_NAME_num(gns) != 6) {
		lint_fail(l, "R25: subjectAltName must hold the six otherNames, "
		    "not %d names", sk_GENERAL_NAME_num(gns));
		goto out;
	}
	for (i = 0; i < 6; i++) {
		ASN1_OBJECT_free(want);
		if ((want = OBJ_txt2obj(on[i].oid, 1)) == NULL)
			goto out;
		if (on[i].v == NULL) {
			lint_fail(l, "R25: no %s in the request", on[i].what);
			goto out;
		}
		gn = sk_GENERAL_NAME_value(gns, i);
		if (gn->type != GEN_OTHERNAME ||
		    OBJ_cmp((o = gn->d.otherName)->type_id, want) != 0) {
			lint_fail(l, "R25: subjectAltName name %d must be the %s "
			    "otherName %s", i + 1, on[i].what, on[i].oid);
			goto out;
		}
		if (o->value == NULL || o->value->type != V_ASN1_UTF8STRING) {
			lint_fail(l, "R25: the %s must be a UTF8String", on[i].what);
			goto out;
		}
		s = o->value->value.utf8string;
		if (lint_utf8_count(ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s)) < 0) {
			lint_fail(l, "R25: the %s is not valid UTF-8", on[i].what);
			goto out;
		}
		if (!lint_str_eq(s, on[i].v)) {
			lint_fail(l, "R25: the %s differs from the request",
			    on[i].what);
			goto out;
		}
	}
	rc = lint_basic_four(l);
out:
	ASN1_OBJECT_free(want);
	GENERAL_NAMES_free(gns);
	return rc;
}

/*
 * cRLDistributionPoints: one point, fullName = directoryName C=JP, O=JPKI,
 * OU=<type OU>, OU=CRL Distribution Points, OU=<prefecture>,
 * CN=<municipality>, then the URI; no reasons, no cRLIssuer.
 */
static int
lint_crldp(struct lint *l, X509_EXTENSION *ext)
{
	const struct profile_req	*r = l->req;
	const struct lint_ava		 dn[] = {
		{ NID_countryName, V_ASN1_PRINTABLESTRING, "JP" },
		{ NID_organizationName, V_ASN1_PRINTABLESTRING, "JPKI" },
		{ NID_organizationalUnitName, V_ASN1_PRINTABLESTRING, l->sign ?
		    "JPKI for digital signature" : "JPKI for user authentication" },
		{ NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
		    "CRL Distribution Points" },
		{ NID_organizationalUnitName, V_ASN1_UTF8STRING, r->prefecture },
		{ NID_commonName, V_ASN1_UTF8STRING, r->municipality },
	};
	CRL_DIST_POINTS			*dps;
	DIST_POINT			*dp;
	GENERAL_NAMES			*full;
	GENERAL_NAME			*gn;
	int				 rc = -1;

	if ((dps = lint_decode(ext, ASN1_ITEM_rptr(CRL_DIST_POINTS))) == NULL)
		return lint_fail(l, "R24: cRLDistributionPoints is not DER");
	if (sk_DIST_POINT_num(dps) != 1) {
		lint_fail(l, "R24: one CRL distribution point, not %d",
		    sk_DIST_POINT_num(dps));
		goto out;
	}
	dp = sk_DIST_POINT_value(dps, 0);
	if (dp->reasons != NULL || dp->CRLissuer != NULL ||
	    dp->distpoint == NULL || dp->distpoint->type != 0) {
		lint_fail(l, "R24: the CRL distribution point must be a fullName "
		    "alone (no reasons, no cRLIssuer)");
		goto out;
	}
	full = dp->distpoint->name.fullname;
	if (sk_GENERAL_NAME_num(full) != 2 ||
	    (gn = sk_GENERAL_NAME_value(full, 0))->type != GEN_DIRNAME) {
		lint_fail(l, "R24: the CRL distribution point must be a "
		    "directoryName and a URI");
		goto out;
	}
	if (lint_name(l, "R24", "CRL distribution point directoryName",
	    gn->d.directoryName, dn, 6) == -1)
		goto out;
	if (!lint_uri_eq(sk_GENERAL_NAME_value(full, 1), r->crl_url)) {
		lint_fail(l, "R24: the CRL distribution point URI must be the "
		    "configured CRL URL");
		goto out;
	}
	rc = 0;
out:
	CRL_DIST_POINTS_free(dps);
	return rc;
}

/* authorityInfoAccess: id-ad-ocsp URI, then id-ad-caIssuers URI. */
static int
lint_aia(struct lint *l, X509_EXTENSION *ext)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ocsp, *ca;
	int			 rc = -1;

	if ((aia = lint_decode(ext, ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS))) == NULL)
		return lint_fail(l, "R24: authorityInfoAccess is not DER");
	if (sk_ACCESS_DESCRIPTION_num(aia) != 2) {
		lint_fail(l, "R24: authorityInfoAccess must hold OCSP and "
		    "caIssuers, not %d entries", sk_ACCESS_DESCRIPTION_num(aia));
		goto out;
	}
	ocsp = sk_ACCESS_DESCRIPTION_value(aia, 0);
	ca = sk_ACCESS_DESCRIPTION_value(aia, 1);
	if (OBJ_obj2nid(ocsp->method) != NID_ad_OCSP ||
	    !lint_uri_eq(ocsp->location, l->req->ocsp_url)) {
		lint_fail(l, "R24: authorityInfoAccess must start with id-ad-ocsp "
		    "and the configured OCSP URL");
		goto out;
	}
	if (OBJ_obj2nid(ca->method) != NID_ad_ca_issuers ||
	    !lint_uri_eq(ca->location, l->req->ca_issuers_url)) {
		lint_fail(l, "R24: authorityInfoAccess must end with "
		    "id-ad-caIssuers and the configured URL");
		goto out;
	}
	rc = 0;
out:
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}

/* SHA-1 of x's subjectPublicKey (RFC 5280 4.2.1.2 (1)) into md (20 bytes). */
static int
lint_key_id(X509 *x, unsigned char *md)
{
	unsigned int len;

	return X509_pubkey_digest(x, EVP_sha1(), md, &len) == 1 && len == 20 ?
	    0 : -1;
}

/*
 * authorityKeyIdentifier: keyIdentifier only, equal to the CA's
 * subjectKeyIdentifier (RFC 5280 4.2.1.1), or to the CA key's id when the
 * CA has none.
 */
static int
lint_aki(struct lint *l, X509_EXTENSION *ext)
{
	AUTHORITY_KEYID		*akid;
	const ASN1_OCTET_STRING	*ski;
	unsigned char		 md[20];
	const unsigned char	*want;
	int			 wantlen, rc = -1;

	if ((akid = lint_decode(ext, ASN1_ITEM_rptr(AUTHORITY_KEYID))) == NULL)
		return lint_fail(l, "R24: authorityKeyIdentifier is not DER");
	if ((ski = X509_get0_subject_key_id(l->req->issuer)) != NULL) {
		want = ASN1_STRING_get0_data(ski);
		wantlen = ASN1_STRING_length(ski);
	} else {
		ERR_clear_error();
		if (lint_key_id(l->req->issuer, md) == -1) {
			lint_fail(l, "R24: cannot compute the CA's key id");
			goto out;
		}
		want = md;
		wantlen = (int)sizeof(md);
	}
	if (akid->issuer != NULL || akid->serial != NULL || akid->keyid == NULL ||
	    ASN1_STRING_length(akid->keyid) != wantlen ||
	    memcmp(ASN1_STRING_get0_data(akid->keyid), want, (size_t)wantlen) != 0) {
		lint_fail(l, "R24: authorityKeyIdentifier must be the issuing CA's "
		    "subjectKeyIdentifier alone (RFC 5280 4.2.1.1)");
		goto out;
	}
	rc = 0;
out:
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/* subjectKeyIdentifier: SHA-1 of the subjectPublicKey. */
static int
lint_ski(struct lint *l, X509_EXTENSION *ext)
{
	ASN1_OCTET_STRING	*os;
	unsigned char		 md[20];
	int			 rc = -1;

	if ((os = lint_decode(ext, ASN1_ITEM_rptr(ASN1_OCTET_STRING))) == NULL)
		return lint_fail(l, "R24: subjectKeyIdentifier is not DER");
	if (lint_key_id(l->cert, md) == -1 || ASN1_STRING_length(os) != 20 ||
	    memcmp(ASN1_STRING_get0_data(os), md, 20) != 0) {
		lint_fail(l, "R24: subjectKeyIdentifier must be the SHA-1 of the "
		    "subjectPublicKey (RFC 5280 4.2.1.2)");
		goto out;
	}
	rc = 0;
out:
	ASN1_OCTET_STRING_free(os);
	return rc;
}

static int
lint_ext_value(struct lint *l, enum lint_ext e, X509_EXTENSION *ext)
{
	switch (e) {
	case LE_KU:
		return lint_ku(l, ext);
	case LE_CP:
		return lint_cp(l, ext);
	case LE_IAN:
		return lint_ian(l, ext);
	case LE_SAN:
		return lint_san(l, ext);
	case LE_CRLDP:
		return lint_crldp(l, ext);
	case LE_AIA:
		return lint_aia(l, ext);
	case LE_AKI:
		return lint_aki(l, ext);
	case LE_SKI:
		return lint_ski(l, ext);
	case LE_N:
		break;
	}
	abort();
}

/*
 * R24: walk the extensions: nothing unknown (critical or not), nothing
 * twice, nothing missing, in the profile's order, with the profile's
 * criticality; then each value.
 */
static int
lint_extensions(struct lint *l)
{
	const enum lint_ext	*order = l->sign ? lint_order_sign : lint_order_auth;
	int			 norder = l->sign ? 8 : 7;
	int			 seen[LE_N], want[LE_N];
	X509_EXTENSION		*ext;
	char			 oid[80];
	int			 i, n, e, crit;

	memset(seen, 0, sizeof(seen));
	memset(want, 0, sizeof(want));
	for (i = 0; i < norder; i++)
		want[order[i]] = 1;
	n = X509_get_ext_count(l->cert);
	for (i = 0; i < n; i++) {
		ext = X509_get_ext(l->cert, i);
		e = lint_ext_index(OBJ_obj2nid(X509_EXTENSION_get_object(ext)));
		crit = X509_EXTENSION_get_critical(ext);
		if (e == -1 || !want[e]) {
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 0);
			if (e == LE_SAN)
				return lint_fail(l, "R23: an AUTH certificate carries "
				    "no personal data: no subjectAltName");
			return lint_fail(l, "R24: %s extension %s", crit ?
			    "unknown critical" : "unexpected", oid);
		}
		if (seen[e]++)
			return lint_fail(l, "R24: duplicate extension %s (RFC 5280 "
			    "4.2)", lint_exts[e].name);
	}
	for (i = 0; i < norder; i++)
		if (!seen[order[i]])
			return lint_fail(l, "R24: %s missing", lint_exts[order[i]].name);
	/* Every wanted one exactly once and nothing else: n == norder. */
	for (i = 0; i < norder; i++) {
		ext = X509_get_ext(l->cert, i);
		e = lint_ext_index(OBJ_obj2nid(X509_EXTENSION_get_object(ext)));
		if (e != (int)order[i])
			return lint_fail(l, "R24: extension %d must be %s, not %s",
			    i + 1, lint_exts[order[i]].name, lint_exts[e].name);
		crit = X509_EXTENSION_get_critical(ext);
		if (e == LE_KU && !crit)
			return lint_fail(l, "R24: keyUsage must be critical");
		if (e == LE_CP && crit != l->sign)
			return lint_fail(l, "R24: certificatePolicies must be %s",
			    l->sign ? "critical on SIGN" : "non-critical on AUTH");
		if (e != LE_KU && e != LE_CP && crit)
			return lint_fail(l, "R24: %s must not be critical",
			    lint_exts[e].name);
		if (lint_ext_value(l, (enum lint_ext)e, ext) == -1)
			return -1;
	}
	return 0;
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
