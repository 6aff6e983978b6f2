/*
 * csr: the holder's PKCS#10 request. Only its public key and proof of
 * possession matter: the subject and attributes are ignored (the profile
 * decides everything, R23-R25).
 */
#ifndef JPKI_CSR_H
#define JPKI_CSR_H

#include <stddef.h>
#include <openssl/evp.h>

/*
 * Parse DER (strict: no trailing bytes), require an RSA-2048 key with
 * e = 65537 that is not weak (R22, ca/policy_key.h) and a signature that verifies with it (proof of
 * possession). Returns 0 and *key (caller EVP_PKEY_free()s), or -1 with
 * err and *rule ("R22" for the key, NULL for malformed DER or a bad
 * signature).
 */
int	csr_parse(const unsigned char *der, size_t len, EVP_PKEY **key, const char **rule,
	    char *err, size_t errlen);

#endif
