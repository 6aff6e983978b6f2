/* Fuzz CSR decoding and checks (ca/csr.c, R22): the DER a terminal sends. */
#include <config.h>

#include <stdint.h>

#include <openssl/evp.h>

#include "ca/csr.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_quiet_logs();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *key = NULL;
	const char *rule = NULL;
	char err[256];

	if (csr_parse(data, size, &key, &rule, err, sizeof(err)) == 0 && key == NULL)
		__builtin_trap();	/* accepted without a key */
	EVP_PKEY_free(key);
	return 0;
}
