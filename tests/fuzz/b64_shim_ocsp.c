/* b64_shims.h: the decoder of api/status/status_ocsp.c. */
#include "api/status/status_ocsp.c"
#include "tests/fuzz/b64_shims.h"

long
shim_b64_ocsp(const char *s, size_t n, unsigned char *out, size_t outcap)
{
	return b64_decode(s, n, out, outcap);
}
