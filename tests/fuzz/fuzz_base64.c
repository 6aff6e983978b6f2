/*
 * Fuzz every base64 decoder of jpkid (b64_shims.h) on the same input: the
 * output must fit the buffer each was given (ASan: exact-size heap
 * buffers) and the reported length must be possible for the input.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/b64_shims.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, n, len;
	unsigned char *out, *r;
	char *s;
	long l;
	int i;

	if (size < 1)
		return 0;
	cap = (size_t)data[0] + 1;	/* output buffer size, 1..256 */
	s = fuzz_cstr(data + 1, size - 1);
	n = strlen(s);
	out = malloc(cap);

	l = shim_b64_ocsp(s, n, out, cap);
	CHECK(l >= -1 && l <= (long)cap && l <= (long)(n * 3 / 4 + 1));

	len = 0;
	if (shim_b64_issue(s, out, cap, &len) == 0)
		CHECK(len <= cap && len <= n * 3 / 4);

	i = shim_b64_pin_resets(s, out, cap);
	CHECK(i >= -1 && i <= (int)cap);

	if ((r = shim_b64_pinreset(s, n, 0, &len)) != NULL)
		CHECK(len <= n * 3 / 4);
	free(r);
	if ((r = shim_b64_pinreset(s, n, 1, &len)) != NULL)
		CHECK(len <= n * 3 / 4);
	free(r);

	if ((r = shim_b64_vcard(s, &len)) != NULL)
		CHECK(len <= n / 4 * 3);
	free(r);

	free(out);
	free(s);
	return 0;
}
