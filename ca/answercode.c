/*
 * answercode: see answercode.h (R13).
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ca/answercode.h"
#include "common/util.h"

/* Crockford's base32: no I, L, O, U. */
#define CODE_ALPHABET	"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define V1_DOMAIN	"jpki-answer-code/1"
#define ID_DOMAIN	"jpki-answer-key-id/1"

void
answer_key_set(struct answer_key *out, const unsigned char *key)
{
	unsigned char d[SHA256_DIGEST_LENGTH], buf[sizeof(ID_DOMAIN) - 1 + ANSWER_KEY_LEN];

	memcpy(out->key, key, ANSWER_KEY_LEN);
	memcpy(buf, ID_DOMAIN, sizeof(ID_DOMAIN) - 1);
	memcpy(buf + sizeof(ID_DOMAIN) - 1, key, ANSWER_KEY_LEN);
	SHA256(buf, sizeof(buf), d);
	memcpy(out->id, d, sizeof(out->id));
	out->set = 1;
	OPENSSL_cleanse(buf, sizeof(buf));
}

int
answer_key_load(const char *path, struct answer_key *out, char *err, size_t errlen)
{
	unsigned char key[ANSWER_KEY_LEN];
	char buf[2 * ANSWER_KEY_LEN + 4];
	struct stat st;
	ssize_t n;
	size_t len, i;
	int fd, rc = -1;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: cannot open the answer key: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: the answer key is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: answer key file has mode %04o: it must not be "
		    "accessible by group or others (chmod 600 it)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	len = n > 0 ? (size_t)n : 0;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (n < 0 || len != 2 * ANSWER_KEY_LEN) {
		snprintf(err, errlen, "%s: the answer key must be %d hex digits", path,
		    2 * ANSWER_KEY_LEN);
		goto out;
	}
	for (i = 0; i < ANSWER_KEY_LEN; i++) {
		int hi = util_hexval((unsigned char)buf[2 * i]), lo = util_hexval((unsigned char)buf[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "%s: the answer key must be %d hex digits", path,
			    2 * ANSWER_KEY_LEN);
			goto out;
		}
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	answer_key_set(out, key);
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

int
answer_key_create(const char *path, int replace, char *err, size_t errlen)
{
	unsigned char key[ANSWER_KEY_LEN];
	char hex[2 * ANSWER_KEY_LEN + 2];
	size_t i;
	int fd, rc = -1;

	if (RAND_bytes(key, sizeof(key)) != 1) {
		snprintf(err, errlen, "%s: no randomness for the answer key", path);
		return -1;
	}
	for (i = 0; i < ANSWER_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * ANSWER_KEY_LEN] = '\n';
	if (replace && unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, hex, 2 * ANSWER_KEY_LEN + 1) != 2 * ANSWER_KEY_LEN + 1) {
		snprintf(err, errlen, "%s: write failed", path);
		close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

/* Case, spaces and the dash do not matter; Crockford: O=0, I=L=1. Length of norm. */
static size_t
normalize(const char *code, char norm[ANSWER_CODE_LEN + 1])
{
	size_t i, n = 0;

	for (i = 0; code[i] != '\0' && n < ANSWER_CODE_LEN; i++) {
		int ch = toupper((unsigned char)code[i]);

		if (ch == '-' || ch == ' ')
			continue;
		if (ch == 'O')
			ch = '0';
		else if (ch == 'I' || ch == 'L')
			ch = '1';
		norm[n++] = (char)ch;
	}
	norm[n] = '\0';
	return n;
}

int
answer_code_hash(const struct answer_key *k, const char *code, const unsigned char *salt,
    unsigned char *hash, size_t *hashlen)
{
	unsigned char buf[sizeof(V1_DOMAIN) + ANSWER_SALT_LEN + ANSWER_CODE_LEN];
	char norm[ANSWER_CODE_LEN + 1];
	unsigned int mlen = 0;
	size_t n, off;

	if (k == NULL || !k->set)
		return -1;
	n = normalize(code, norm);
	memcpy(buf, V1_DOMAIN, sizeof(V1_DOMAIN));	/* with its NUL */
	off = sizeof(V1_DOMAIN);
	memcpy(buf + off, salt, ANSWER_SALT_LEN);
	off += ANSWER_SALT_LEN;
	memcpy(buf + off, norm, n);
	off += n;
	hash[0] = 0x01;
	memcpy(hash + 1, k->id, sizeof(k->id));
	if (HMAC(EVP_sha256(), k->key, ANSWER_KEY_LEN, buf, off, hash + 5, &mlen) == NULL ||
	    mlen != SHA256_DIGEST_LENGTH)
		abort();	/* HMAC-SHA-256 cannot fail: a broken invariant */
	*hashlen = ANSWER_HASH_V1_LEN;
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(norm, sizeof(norm));
	return 0;
}

int
answer_code_new(const struct answer_key *k, char *code, unsigned char *salt,
    unsigned char *hash, size_t *hashlen)
{
	unsigned char rnd[ANSWER_CODE_LEN];
	int i, j;

	if (k == NULL || !k->set || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    RAND_bytes(salt, ANSWER_SALT_LEN) != 1)
		return -1;
	for (i = 0, j = 0; i < ANSWER_CODE_LEN; i++) {
		if (i == 4)
			code[j++] = '-';
		code[j++] = CODE_ALPHABET[rnd[i] & 31];
	}
	code[j] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return answer_code_hash(k, code, salt, hash, hashlen);
}

enum answer_check
answer_code_check(const struct answer_key *k, const char *code, const unsigned char *salt,
    size_t saltlen, const unsigned char *stored, size_t storedlen)
{
	unsigned char h[ANSWER_HASH_MAX], buf[ANSWER_SALT_LEN + ANSWER_CODE_LEN];
	char norm[ANSWER_CODE_LEN + 1];
	size_t hl = 0, n;
	int eq;

	if (saltlen != ANSWER_SALT_LEN)
		return ANSWER_UNREADABLE;
	if (storedlen == ANSWER_HASH_LEGACY_LEN) {
		/* Before v1: SHA-256(salt || code), kept verifiable until it expires. */
		n = normalize(code, norm);
		memcpy(buf, salt, ANSWER_SALT_LEN);
		memcpy(buf + ANSWER_SALT_LEN, norm, n);
		SHA256(buf, ANSWER_SALT_LEN + n, h);
		eq = CRYPTO_memcmp(h, stored, SHA256_DIGEST_LENGTH) == 0;
		OPENSSL_cleanse(buf, sizeof(buf));
		OPENSSL_cleanse(norm, sizeof(norm));
		return eq ? ANSWER_MATCH : ANSWER_NO_MATCH;
	}
	if (storedlen != ANSWER_HASH_V1_LEN || stored[0] != 0x01)
		return ANSWER_UNREADABLE;
	if (k == NULL || !k->set || CRYPTO_memcmp(stored + 1, k->id, sizeof(k->id)) != 0)
		return ANSWER_OTHER_KEY;
	if (answer_code_hash(k, code, salt, h, &hl) != 0)
		return ANSWER_OTHER_KEY;
	eq = CRYPTO_memcmp(h, stored, ANSWER_HASH_V1_LEN) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	return eq ? ANSWER_MATCH : ANSWER_NO_MATCH;
}
