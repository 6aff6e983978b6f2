/*
 * Shared helpers of the libFuzzer harnesses (tests/fuzz/README.md).
 * Everything here runs once, from LLVMFuzzerInitialize.
 */
#ifndef JPKI_FUZZLIB_H
#define JPKI_FUZZLIB_H

#include <stddef.h>

struct keyring;

/*
 * A throwaway development CA hierarchy (ca/devca.h) loaded as a keyring:
 * made once in a temporary directory, which is removed again. Aborts on
 * failure (a harness cannot run without it).
 */
struct keyring	*fuzz_keyring(void);
/* data as a NUL-terminated malloc'd string (embedded NULs end it early). */
char		*fuzz_cstr(const unsigned char *data, size_t size);
/* data written to a fresh temporary file; its path (static buffer). */
const char	*fuzz_file(const unsigned char *data, size_t size);
/* Log errors only (the harnesses' inputs are mostly refused, which logs warnings). */
void		 fuzz_quiet_logs(void);

/* Structured input: values taken from the front of the fuzzer's bytes, 0 past the end. */
struct fdp {
	const unsigned char	*p;
	size_t			 n;
};
unsigned		 fdp_u8(struct fdp *);
unsigned long long	 fdp_u64(struct fdp *);
/* Up to max bytes (the count is taken first); *len set; points into the input. */
const unsigned char	*fdp_bytes(struct fdp *, size_t max, size_t *len);

#endif
