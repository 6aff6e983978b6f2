/* Fuzz RFC 7512 PKCS#11 URI parsing (ca/pkcs11_uri.c): the key specs of the config. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "ca/signer_int.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkcs11_uri u;
	char *s = fuzz_cstr(data, size), err[256];

	if (pkcs11_uri_parse(s, &u, err, sizeof(err)) == 0)
		pkcs11_uri_free(&u);
	else
		pkcs11_uri_free(&u);	/* also after a failure (zeroed or partial) */
	free(s);
	return 0;
}
