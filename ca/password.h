/*
 * password: operator passwords as Argon2id encodings (libargon2). The
 * encoding ("$argon2id$v=19$m=65536,t=3,p=1$salt$hash") carries its own
 * parameters, so a verify works whatever the config says today.
 */
#ifndef JPKI_PASSWORD_H
#define JPKI_PASSWORD_H

#include <stddef.h>

struct password_params {
	unsigned int	memory_kib;	/* m */
	unsigned int	iterations;	/* t */
	unsigned int	parallelism;	/* p */
};

/* Longest password accepted (bytes) and shortest (characters, UTF-8 bytes). */
#define PASSWORD_MAX_LEN	1024
#define PASSWORD_MIN_LEN	12

/*
 * Hash pw (NUL-terminated) with a fresh 16-byte salt into out as the
 * encoded string. 0, or -1 (bad parameters, out too small, no entropy).
 */
int	password_hash(const struct password_params *, const char *pw, char *out, size_t outlen);
/* 1 when pw matches the encoding, 0 when not (or a malformed encoding). */
int	password_verify(const char *encoded, const char *pw);
/*
 * NULL when pw is acceptable as a new password, else a message
 * ("at least 12 characters", ...).
 */
const char *password_weakness(const char *pw);
/* A hash of a random password, for verifying against when the account does not exist. */
const char *password_dummy_hash(void);

#endif
