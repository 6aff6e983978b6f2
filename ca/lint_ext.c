/*
 * lint, the extensions: the R24 walk (nothing unknown, nothing twice,
 * nothing missing, the profile's order and criticality), each extension
 * decoded as strict DER and checked against the request (keyUsage,
 * certificatePolicies, issuerAltName, cRLDistributionPoints,
 * authorityInfoAccess, the key identifiers), and SIGN's subjectAltName
 * with the six R25 otherNames. Entered from lint_cert() in lint.c through
 * lint_extensions(); the shared helpers are in lint_int.h.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/lint_int.h"
#include "ca/profile.h"

#define LINT_ADDRESS_MAX	200	/* R25 .5: characters */

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
int
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
