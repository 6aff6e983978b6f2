/*
 * password: see password.h.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <argon2.h>
#include <openssl/rand.h>

#include "ca/password.h"

#define SALT_LEN	16
#define HASH_LEN	32

int
password_hash(const struct password_params *p, const char *pw, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN];
	size_t pwlen = strlen(pw);

	if (pwlen > PASSWORD_MAX_LEN || p->memory_kib < 8 * p->parallelism ||
	    p->iterations < 1 || p->parallelism < 1 ||
	    argon2_encodedlen(p->iterations, p->memory_kib, p->parallelism, SALT_LEN,
	    HASH_LEN, Argon2_id) > outlen)
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	if (argon2id_hash_encoded(p->iterations, p->memory_kib, p->parallelism, pw, pwlen,
	    salt, sizeof(salt), HASH_LEN, out, outlen) != ARGON2_OK)
		return -1;
	return 0;
}

int
password_verify(const char *encoded, const char *pw)
{
	size_t pwlen = strlen(pw);

	if (encoded == NULL || pwlen > PASSWORD_MAX_LEN ||
	    strncmp(encoded, "$argon2id$", 10) != 0)
		return 0;
	/* argon2id_verify compares the hashes in constant time. */
	return argon2id_verify(encoded, pw, pwlen) == ARGON2_OK;
}

const char *
password_weakness(const char *pw)
{
	size_t n = strlen(pw), i, classes = 0;
	int lower = 0, upper = 0, digit = 0, other = 0;

	if (n < PASSWORD_MIN_LEN)
		return "a password needs at least 12 characters";
	if (n > PASSWORD_MAX_LEN)
		return "a password may have at most 1024 bytes";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c < 0x20 || c == 0x7f)
			return "a password may not contain control characters";
		if (c >= 'a' && c <= 'z')
			lower = 1;
		else if (c >= 'A' && c <= 'Z')
			upper = 1;
		else if (c >= '0' && c <= '9')
			digit = 1;
		else
			other = 1;
	}
	classes = (size_t)(lower + upper + digit + other);
	if (classes < 2)
		return "a password needs two kinds of characters (letters, digits, others)";
	return NULL;
}

/*
 * Hash of a password nobody knows, with the default parameters, so that a
 * login for an unknown username costs as much as one for a real account.
 */
const char *
password_dummy_hash(void)
{
	return "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA"
	    "$Ck0gMHbl4Ay3p2mvfFrhyAKqf5dUE9O0hnz3bRUIx2A";
}
