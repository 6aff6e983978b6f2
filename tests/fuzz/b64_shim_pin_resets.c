/* b64_shims.h: the decoder of api/counter/pin_resets.c. */
#include "api/counter/pin_resets.c"
#include "tests/fuzz/b64_shims.h"

int
shim_b64_pin_resets(const char *s, unsigned char *out, size_t outlen)
{
	return b64_decode(s, out, outlen);
}
