/* b64_shims.h: the decoder of tools/vcard_file.c. */
#include "tools/vcard_file.c"
#include "tests/fuzz/b64_shims.h"

unsigned char *
shim_b64_vcard(const char *s, size_t *len)
{
	return b64_dec(s, len);
}
