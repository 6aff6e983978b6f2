/* b64_shims.h: the decoder of api/counter/issue.c. */
#include "api/counter/issue.c"
#include "tests/fuzz/b64_shims.h"

int
shim_b64_issue(const char *in, unsigned char *out, size_t outcap, size_t *outlen)
{
	return b64_decode(in, out, outcap, outlen);
}
