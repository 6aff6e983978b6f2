/*
 * x509ext: see x509ext.h.
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/x509ext.h"

int
x509_name_add(X509_NAME *n, int nid, int type, const char *v)
{
	return X509_NAME_add_entry_by_NID(n, nid, type,
	    (const unsigned char *)v, -1, -1, 0) == 1 ? 0 : -1;
}

/*
 * R23: C=JP, O=JPKI, OU=<ou>, OU=Japan Agency for Local Authority
 * Information Systems (the issuing CAs: cn NULL). The OCSP responders add
 * a CN so that their subject differs from the issuer's. Decision: every attribute as PrintableString (all
 * values are in its repertoire, as in the J-LIS certificates of the era),
 * so the DER of the name is fixed and byte-for-byte comparable.
 */
X509_NAME *
x509_name_r23(const char *ou, const char *cn)
{
	X509_NAME *n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (x509_name_add(n, NID_countryName, V_ASN1_PRINTABLESTRING, "JP") == -1 ||
	    x509_name_add(n, NID_organizationName, V_ASN1_PRINTABLESTRING,
	    R23_O) == -1 ||
	    x509_name_add(n, NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
	    ou) == -1 ||
	    x509_name_add(n, NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
	    R23_OU_JLIS) == -1 ||
	    (cn != NULL && x509_name_add(n, NID_commonName, V_ASN1_PRINTABLESTRING,
	    cn) == -1)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

int
x509_ext_add(X509 *x, int nid, int crit, void *value)
{
	return X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) == 1 ?
	    0 : -1;
}

int
x509_ext_basic_constraints(X509 *x, int ca)
{
	BASIC_CONSTRAINTS	*bc;
	int			 rc;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		return -1;
	bc->ca = ca ? 0xff : 0;
	rc = x509_ext_add(x, NID_basic_constraints, 1, bc);
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* bits: KUBIT_* bit numbers, terminated by -1. Always critical. */
int
x509_ext_key_usage(X509 *x, ...)
{
	ASN1_BIT_STRING	*ku;
	va_list		 ap;
	int		 bit, rc = -1;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return -1;
	va_start(ap, x);
	while ((bit = va_arg(ap, int)) != -1)
		if (ASN1_BIT_STRING_set_bit(ku, bit, 1) != 1)
			goto out;
	rc = x509_ext_add(x, NID_key_usage, 1, ku);
out:
	va_end(ap);
	ASN1_BIT_STRING_free(ku);
	return rc;
}

/* One extended key usage (non-critical). */
int
x509_ext_eku(X509 *x, int nid)
{
	EXTENDED_KEY_USAGE	*eku;
	ASN1_OBJECT		*obj;
	int			 rc = -1;

	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return -1;
	if ((obj = OBJ_nid2obj(nid)) == NULL ||
	    sk_ASN1_OBJECT_push(eku, obj) <= 0)
		goto out;
	rc = x509_ext_add(x, NID_ext_key_usage, 0, eku);
out:
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

/* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING. */
ASN1_OCTET_STRING *
x509_key_id(X509 *x)
{
	ASN1_OCTET_STRING	*os;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 len;

	if (X509_pubkey_digest(x, EVP_sha1(), md, &len) != 1)
		return NULL;
	if ((os = ASN1_OCTET_STRING_new()) == NULL)
		return NULL;
	if (ASN1_OCTET_STRING_set(os, md, (int)len) != 1) {
		ASN1_OCTET_STRING_free(os);
		return NULL;
	}
	return os;
}

int
x509_ext_ski(X509 *x)
{
	ASN1_OCTET_STRING	*os;
	int			 rc;

	if ((os = x509_key_id(x)) == NULL)
		return -1;
	rc = x509_ext_add(x, NID_subject_key_identifier, 0, os);
	ASN1_OCTET_STRING_free(os);
	return rc;
}

int
x509_ext_aki(X509 *x, X509 *issuer)
{
	AUTHORITY_KEYID	*akid;
	int		 rc = -1;

	if ((akid = AUTHORITY_KEYID_new()) == NULL)
		return -1;
	if ((akid->keyid = x509_key_id(issuer)) != NULL)
		rc = x509_ext_add(x, NID_authority_key_identifier, 0, akid);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/* id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): value NULL, non-critical. */
int
x509_ext_ocsp_nocheck(X509 *x)
{
	ASN1_NULL	*n;
	int		 rc;

	if ((n = ASN1_NULL_new()) == NULL)
		return -1;
	rc = x509_ext_add(x, NID_id_pkix_OCSP_noCheck, 0, n);
	ASN1_NULL_free(n);
	return rc;
}

int
x509_gn_push(GENERAL_NAMES *gns, int type, const unsigned char *v, int len)
{
	GENERAL_NAME		*gn;
	ASN1_STRING		*s;

	s = type == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
	if (s == NULL)
		return -1;
	if (ASN1_STRING_set(s, v, len) != 1 || (gn = GENERAL_NAME_new()) == NULL) {
		ASN1_STRING_free(s);
		return -1;
	}
	GENERAL_NAME_set0_value(gn, type, s);
	if (sk_GENERAL_NAME_push(gns, gn) <= 0) {
		GENERAL_NAME_free(gn);
		return -1;
	}
	return 0;
}
