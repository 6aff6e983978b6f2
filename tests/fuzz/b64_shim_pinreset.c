/* b64_shims.h: the decoder of ca/pinreset.c. */
#include "ca/pinreset.c"
#include "tests/fuzz/b64_shims.h"

unsigned char *
shim_b64_pinreset(const char *in, size_t inlen, int url, size_t *outlen)
{
	return b64_decode(in, inlen, url, outlen);
}
