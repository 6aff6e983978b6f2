/*
 * profile: the SIGN and AUTH end-entity certificates exactly as docs/rules.md
 * R22-R25, built from structures (never config strings, docs/foundation.md "C"), and
 * issued Boulder's way: build the TBS, sign it with a throwaway lint key,
 * run ca/lint.c over the result, and only then sign for real through the
 * signer interface; the real certificate's TBS must equal the linted one
 * byte for byte.
 */
#ifndef JPKI_PROFILE_H
#define JPKI_PROFILE_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/signer.h"

enum profile_type { PROFILE_SIGN = 0, PROFILE_AUTH = 1 };	/* = enum policy_type */

/* R25: the otherName OIDs of the SIGN subjectAltName, under 1.2.392.200149.8.5.5. */
#define R25_OID_NAME		"1.2.392.200149.8.5.5.1"
#define R25_OID_NAME_MAP	"1.2.392.200149.8.5.5.2"
#define R25_OID_SEX		"1.2.392.200149.8.5.5.3"
#define R25_OID_BIRTH		"1.2.392.200149.8.5.5.4"
#define R25_OID_ADDRESS		"1.2.392.200149.8.5.5.5"
#define R25_OID_ADDRESS_MAP	"1.2.392.200149.8.5.5.6"
/* R24 defaults (configurable). */
#define R24_POLICY_SIGN		"1.2.392.200149.8.5.1.1.20"
#define R24_POLICY_AUTH		"1.2.392.200149.8.5.1.3.30"
/* R24: issuerAltName DirName C=JP, O=公的個人認証サービス. */
#define R24_IAN_O		"公的個人認証サービス"
#define R24_CRLDP_OU		"CRL Distribution Points"

struct profile_req {
	enum profile_type	 type;
	/* DER INTEGER content octets: positive, minimal, 1..20 bytes (ca/serial.h). */
	const unsigned char	*serial;
	size_t			 serial_len;
	time_t			 not_before, not_after;	/* R6/R7, from ca/policy.c */
	EVP_PKEY		*subject_key;	/* holder's RSA-2048 key (from the CSR) */
	X509			*issuer;	/* issuing CA certificate of this type */
	/*
	 * R23: SIGN: C=JP, L=prefecture, L=municipality, CN=subject_cn;
	 * AUTH: C=JP, CN=subject_cn. prefecture/municipality also name the
	 * CRL distribution point directoryName (R24) for both types.
	 */
	const char		*subject_cn;
	const char		*prefecture;
	const char		*municipality;
	/* R25, SIGN only (NULL for AUTH): UTF-8 values from policy_r20_cert_names(). */
	const char		*name, *name_map, *sex, *birth, *address, *address_map;
	/* Configuration (R24). */
	const char		*policy_oid;	/* certificatePolicies OID */
	const char		*crl_url;	/* HTTP URI of this certificate's CRL */
	const char		*ocsp_url;	/* AIA id-ad-ocsp */
	const char		*ca_issuers_url;	/* AIA id-ad-caIssuers */
};

/*
 * Build the unsigned certificate for req. NULL with err on failure (bad
 * input, OpenSSL failure). The caller X509_free()s.
 */
X509	*profile_build(const struct profile_req *, char *err, size_t errlen);

/*
 * R24: the fullName of the CRL distribution point of one shard (type,
 * municipality): directoryName C=JP, O=JPKI, OU=<type OU>, OU=CRL
 * Distribution Points, OU=<prefecture>, CN=<municipality>, then the HTTP
 * URI crl_url. Certificates (cRLDistributionPoints) and their CRL
 * (issuingDistributionPoint, ca/crl.c) use this one function, so the two
 * are byte-identical. NULL on a missing value or allocation failure; the
 * caller GENERAL_NAMES_free()s.
 */
GENERAL_NAMES *profile_crldp_names(enum profile_type, const char *prefecture,
	    const char *municipality, const char *crl_url);

/*
 * The throwaway lint key: an RSA key of its own (512 bits: the signature
 * is thrown away, only the TBS bytes matter, and they do not depend on the
 * key; 50 us a signature against 141 us for 1024 bits). Create once per
 * process; EVP_PKEY_free() it at exit.
 */
EVP_PKEY *profile_lint_key_new(void);

/*
 * Issue: build, sign with lint_key, lint the structure (lint_cert,
 * ca/lint.h), sign the same certificate with ca through
 * signer_sign_x509(), check its TBS is the linted bytes and the CA
 * signature verifies. Returns 0 with *der / *derlen (OPENSSL_malloc'd;
 * caller OPENSSL_free()s), or -1 with err; a
 * lint failure sets *lint_failed = 1 and err starts with the rule id
 * ("R24: ..."). Nothing is signed by ca when a lint fails.
 */
int	 profile_issue(const struct profile_req *, struct signer *ca, EVP_PKEY *lint_key,
	    unsigned char **der, size_t *derlen, int *lint_failed, char *err, size_t errlen);

#endif
