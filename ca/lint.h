/*
 * lint: our own checks of a SIGN/AUTH certificate against docs/rules.md
 * R22-R25 and the request it was built from (RFC 5280 where the rules are
 * silent). Run on the certificate signed with the throwaway key before
 * the real signature (ca/profile.c); also usable on any issued DER.
 */
#ifndef JPKI_LINT_H
#define JPKI_LINT_H

#include <stddef.h>
#include <openssl/x509.h>

#include "ca/profile.h"

/*
 * 0 when cert is exactly what req describes; -1 with err naming the first
 * failure and its rule ("R24: keyUsage must be critical"). Checks: v3;
 * serial; sha256WithRSAEncryption inside and out; issuer equal to the CA's
 * subject; UTCTime validity equal to req, inside the CA's validity;
 * subject exactly R23 (AUTH: C and CN only, no personal data); RSA-2048
 * e=65537 key (R22); exactly the R24 extension set, no duplicates, right
 * criticality and values; AKI = CA SKI; SKI = key id; SIGN SAN with the
 * six R25 otherNames in order as UTF8String equal to req, maps one
 * '0'/'1' per character, address at most 200 characters; AUTH no SAN.
 */
int	lint_cert(X509 *cert, const struct profile_req *req, char *err, size_t errlen);

#endif
