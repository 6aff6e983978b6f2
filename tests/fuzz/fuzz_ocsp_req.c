/*
 * Fuzz OCSP request parsing (ca/ocsp.c ocsp_req_parse), as
 * api/status/status_ocsp.c feeds it: first byte even, the rest is a POST
 * body (DER); odd, the rest is an RFC 5019 GET path (base64, decoded by
 * status_ocsp.c's decoder, b64_shim_ocsp.c) into an OCSP_MAX_REQUEST buffer.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ca/keyring.h"
#include "ca/ocsp.h"
#include "tests/fuzz/b64_shims.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ocsp_ids ids;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct keyring *kr;

	(void)argc; (void)argv;
	fuzz_quiet_logs();
	kr = fuzz_keyring();
	if (ocsp_ids_init(&ids, kr->sign_ca.cert, kr->auth_ca.cert) != 0)
		abort();
	keyring_free(kr);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocsp_req or;
	unsigned char *dec = NULL;
	const unsigned char *der;
	size_t len;
	char *path;
	long dl;
	int i;

	if (size < 1)
		return 0;
	der = data + 1;
	len = size - 1;
	if (data[0] & 1) {
		path = fuzz_cstr(data + 1, size - 1);
		dec = malloc(OCSP_MAX_REQUEST);
		dl = shim_b64_ocsp(path, strlen(path), dec, OCSP_MAX_REQUEST);
		free(path);
		if (dl <= 0) {
			free(dec);
			return 0;
		}
		der = dec;
		len = (size_t)dl;
	}
	memset(&or, 0, sizeof(or));
	if (ocsp_req_parse(der, len, &ids, &or) == 0) {
		if (or.nids < 1 || or.nids > OCSP_MAX_IDS)
			__builtin_trap();
		for (i = 0; i < or.nids; i++)
			if (or.ids[i].certid == NULL || or.ids[i].serial_len > OCSP_SERIAL_MAX)
				__builtin_trap();
		(void)ocsp_req_issuer(&or);
	}
	ocsp_req_clear(&or);
	free(dec);
	return 0;
}
