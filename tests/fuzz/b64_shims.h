/*
 * The base64 decoders of jpkid are file-local (static) helpers; each shim
 * (b64_shim_*.c) #includes one source file and exports its decoder to
 * fuzz_base64.c. A shim defines every external symbol of its file, so the
 * library's copy of that object is not linked in as well.
 */
#ifndef JPKI_B64_SHIMS_H
#define JPKI_B64_SHIMS_H

#include <stddef.h>

/* api/status/status_ocsp.c: RFC 5019 GET path; length or -1. */
long		 shim_b64_ocsp(const char *s, size_t n, unsigned char *out, size_t outcap);
/* api/counter/issue.c: the CSR of POST .../certificates; 0 or -1. */
int		 shim_b64_issue(const char *in, unsigned char *out, size_t outcap, size_t *outlen);
/* api/counter/pin_resets.c: the kiosk's signature; length or -1. */
int		 shim_b64_pin_resets(const char *s, unsigned char *out, size_t outlen);
/* ca/pinreset.c: the authorization token's segments; malloc'd or NULL. */
unsigned char	*shim_b64_pinreset(const char *in, size_t inlen, int url, size_t *outlen);
/* tools/vcard_file.c: the card file's DER and PIN fields; malloc'd or NULL. */
unsigned char	*shim_b64_vcard(const char *s, size_t *len);

#endif
