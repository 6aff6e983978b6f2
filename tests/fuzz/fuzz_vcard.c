/* Fuzz the virtual card file (tools/vcard_file.c): JSON with PEM keys, DER certificates, PIN hashes. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "tools/vcard.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcard *c = NULL;
	char err[512];
	size_t len;
	int k;

	if (vcard_open(fuzz_file(data, size), &c, err, sizeof(err)) == 0) {
		(void)vcard_card_number(c);
		for (k = VCARD_SIGN; k <= VCARD_AUTH; k++) {
			(void)vcard_cert(c, (enum vcard_key)k, &len);
			(void)vcard_tries_left(c, (enum vcard_key)k);
		}
	}
	vcard_close(c);
	return 0;
}
