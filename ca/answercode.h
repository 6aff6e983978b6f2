/*
 * answercode: R13 one-time answer codes of inquiry forms.
 *
 * A code is 8 characters of Crockford's base32 (40 bits), printed as
 * XXXX-XXXX. What the database keeps must not let a copy of it (a backup,
 * a replica) recover an open inquiry's code: 2^40 SHA-256 guesses take
 * seconds on one GPU. So the stored value is keyed (Decision, issue 13):
 *
 *	v1	0x01 || key_id[4] || HMAC-SHA-256(key, "jpki-answer-code/1" NUL salt || code)
 *
 * with a 32-byte server key held in a file beside the CA keys ([issuance]
 * answer_key in jpkid.conf, made by `jpkictl init`), never in the
 * database; key_id = the first 4 bytes of SHA-256("jpki-answer-key-id/1" ||
 * key), so a code made under another key is told apart from a wrong code.
 * Rows made before v1 (32 bytes: SHA-256(salt || code)) still verify until
 * their inquiry expires. Comparisons are constant time.
 *
 * (A slow KDF was the alternative: Argon2id at a cost a counter answer can
 * pay still leaves 40 bits within reach of a patient attacker with the
 * database alone, and makes every answer cost the daemon memory and CPU.)
 */
#ifndef JPKI_ANSWERCODE_H
#define JPKI_ANSWERCODE_H

#include <stddef.h>

#define ANSWER_KEY_LEN		32
#define ANSWER_SALT_LEN		16
#define ANSWER_CODE_LEN		8	/* characters, without the dash */
#define ANSWER_CODE_BUF		(ANSWER_CODE_LEN + 2)	/* "XXXX-XXXX" NUL */
#define ANSWER_HASH_V1_LEN	37	/* 1 + 4 + 32 */
#define ANSWER_HASH_LEGACY_LEN	32
#define ANSWER_HASH_MAX		64

struct answer_key {
	int		set;		/* 0: no key configured */
	unsigned char	key[ANSWER_KEY_LEN];
	unsigned char	id[4];
};

enum answer_check {
	ANSWER_MATCH = 1,
	ANSWER_NO_MATCH = 0,
	ANSWER_OTHER_KEY = -1,	/* v1 under a key not loaded here: neither right nor wrong */
	ANSWER_UNREADABLE = -2	/* not a stored form this version knows */
};

/*
 * Read a key file: 64 hex digits (a trailing newline allowed), a regular
 * file not accessible by group or others. 0, or -1 with a reason in err
 * (never key material).
 */
int	answer_key_load(const char *path, struct answer_key *out, char *err, size_t errlen);
/* Set out from 32 raw bytes (tests, answer_key_load). */
void	answer_key_set(struct answer_key *out, const unsigned char *key);
/*
 * Write a fresh random key file (mode 0600; an existing file is an error
 * unless replace). 0, or -1 with err.
 */
int	answer_key_create(const char *path, int replace, char *err, size_t errlen);
/*
 * A fresh code (code: ANSWER_CODE_BUF bytes, "XXXX-XXXX"), a fresh salt and
 * the v1 stored form (hash: ANSWER_HASH_MAX bytes, *hashlen). 0, or -1 (no
 * randomness, or no key).
 */
int	answer_code_new(const struct answer_key *, char *code, unsigned char *salt,
	    unsigned char *hash, size_t *hashlen);
/* The v1 stored form of code under key and salt. 0, or -1 without a key. */
int	answer_code_hash(const struct answer_key *, const char *code, const unsigned char *salt,
	    unsigned char *hash, size_t *hashlen);
/*
 * Does code (case, spaces and the dash do not matter; O=0, I=L=1) match the
 * stored form? key may be unset (then only legacy rows can match).
 */
enum answer_check answer_code_check(const struct answer_key *, const char *code,
	    const unsigned char *salt, size_t saltlen, const unsigned char *stored,
	    size_t storedlen);

#endif
