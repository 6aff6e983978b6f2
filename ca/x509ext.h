/*
 * x509ext: building blocks for certificates, as structures (never config
 * strings, docs/foundation.md "C"): the R23 names and the extensions the issuing CAs,
 * OCSP responders and (later) the SIGN/AUTH profiles share. Each returns 0
 * (or a new object) on success, -1 (or NULL) on failure with the OpenSSL
 * error queue set.
 */
#ifndef JPKI_X509EXT_H
#define JPKI_X509EXT_H

#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* docs/rules.md R23: the issuing CA names. */
#define R23_O		"JPKI"
#define R23_OU_SIGN	"JPKI for digital signature"
#define R23_OU_AUTH	"JPKI for user authentication"
#define R23_OU_JLIS	"Japan Agency for Local Authority Information Systems"

/* keyUsage bit numbers (RFC 5280 4.2.1.3). */
#define KUBIT_DIGITAL_SIGNATURE	0
#define KUBIT_NON_REPUDIATION	1
#define KUBIT_KEY_ENCIPHERMENT	2
#define KUBIT_KEY_CERT_SIGN	5
#define KUBIT_CRL_SIGN		6

/* Append one attribute (type: V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING...). */
int		 x509_name_add(X509_NAME *n, int nid, int type, const char *v);
/* R23 issuer name for ou (R23_OU_SIGN / R23_OU_AUTH), plus CN when not NULL. */
X509_NAME	*x509_name_r23(const char *ou, const char *cn);
/* Add an extension from its internal structure (i2d'd by OpenSSL). */
int		 x509_ext_add(X509 *x, int nid, int crit, void *value);
/* basicConstraints, critical; cA true or false. */
int		 x509_ext_basic_constraints(X509 *x, int ca);
/* keyUsage, critical: KUBIT_* bit numbers terminated by -1. */
int		 x509_ext_key_usage(X509 *x, ...);
/* extendedKeyUsage with one purpose (non-critical). */
int		 x509_ext_eku(X509 *x, int nid);
/* RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey; caller frees. */
ASN1_OCTET_STRING *x509_key_id(X509 *x);
int		 x509_ext_ski(X509 *x);
/* authorityKeyIdentifier = issuer's subjectKeyIdentifier (or its key id). */
int		 x509_ext_aki(X509 *x, X509 *issuer);
/* id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1). */
int		 x509_ext_ocsp_nocheck(X509 *x);
/* Push a GENERAL_NAME of type (GEN_DNS, GEN_IPADD...) with value v. */
int		 x509_gn_push(GENERAL_NAMES *gns, int type, const unsigned char *v, int len);

#endif
