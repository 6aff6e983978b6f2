/*
 * totp: see totp.h. liboath computes the codes; the comparison is ours
 * (constant time, one step at a time, replay refused).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ca/totp.h"
#include "common/util.h"

static int
init_once(void)
{
	static int done;

	/* oath_init() only sets up its crypto backend; idempotent. */
	if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		if (oath_init() != OATH_OK)
			return -1;
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

int
totp_new_secret(unsigned char secret[TOTP_SECRET_LEN])
{
	return RAND_bytes(secret, TOTP_SECRET_LEN) == 1 ? 0 : -1;
}

int
totp_code(const unsigned char *secret, size_t len, time_t now, char *out)
{
	if (init_once() != 0 || now < 0)
		return -1;
	return oath_totp_generate2((const char *)secret, len, now, TOTP_STEP_S,
	    OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS, 0, out) == OATH_OK ? 0 : -1;
}

int
totp_verify(const unsigned char *secret, size_t len, time_t now, int window,
    const char *code, int64_t *last_step)
{
	char want[TOTP_DIGITS + 1];
	int64_t step = (int64_t)now / TOTP_STEP_S, s, matched = -1;
	int ok = 0;

	if (code == NULL || strlen(code) != TOTP_DIGITS ||
	    strspn(code, "0123456789") != TOTP_DIGITS || window < 0 || window > 10)
		return 0;
	/* Every candidate step is computed and compared: no early exit. */
	for (s = step - window; s <= step + window; s++) {
		if (s < 0 || totp_code(secret, len, (time_t)(s * TOTP_STEP_S), want) != 0)
			continue;
		if (util_ct_equal(want, code, TOTP_DIGITS) && s > *last_step && matched < 0) {
			matched = s;
			ok = 1;
		}
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (ok)
		*last_step = matched;
	return ok;
}

int
totp_base32(const unsigned char *secret, size_t len, char *out, size_t outlen)
{
	char *b32 = NULL, *eq;
	size_t n = 0;

	if (init_once() != 0 ||
	    oath_base32_encode((const char *)secret, len, &b32, &n) != OATH_OK)
		return -1;
	if ((eq = strchr(b32, '=')) != NULL)	/* authenticator apps want no padding */
		*eq = '\0';
	n = strlen(b32);
	if (n + 1 > outlen) {
		free(b32);
		return -1;
	}
	memcpy(out, b32, n + 1);
	OPENSSL_cleanse(b32, n);
	free(b32);
	return 0;
}

/* Percent-encode s (RFC 3986 unreserved kept) onto out at *pos. */
static int
pct(const char *s, char *out, size_t outlen, size_t *pos)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (*pos + 2 > outlen)
				return -1;
			out[(*pos)++] = (char)c;
		} else {
			if (*pos + 4 > outlen)
				return -1;
			out[(*pos)++] = '%';
			out[(*pos)++] = hex[c >> 4];
			out[(*pos)++] = hex[c & 15];
		}
	}
	out[*pos] = '\0';
	return 0;
}

int
totp_uri(const unsigned char *secret, size_t len, const char *issuer, const char *account,
    char *out, size_t outlen)
{
	char b32[128];
	size_t pos = 0;
	int n;

	if (totp_base32(secret, len, b32, sizeof(b32)) != 0)
		return -1;
	n = snprintf(out, outlen, "otpauth://totp/");
	if (n < 0 || (size_t)n >= outlen)
		goto fail;
	pos = (size_t)n;
	if (pct(issuer, out, outlen, &pos) != 0 || pos + 4 > outlen)
		goto fail;
	memcpy(out + pos, "%3A", 4);	/* "issuer:account", the colon encoded */
	pos += 3;
	if (pct(account, out, outlen, &pos) != 0)
		goto fail;
	n = snprintf(out + pos, outlen - pos, "?secret=%s&issuer=", b32);
	if (n < 0 || (size_t)n >= outlen - pos)
		goto fail;
	pos += (size_t)n;
	if (pct(issuer, out, outlen, &pos) != 0)
		goto fail;
	n = snprintf(out + pos, outlen - pos, "&algorithm=SHA1&digits=%d&period=%d",
	    TOTP_DIGITS, TOTP_STEP_S);
	if (n < 0 || (size_t)n >= outlen - pos)
		goto fail;
	OPENSSL_cleanse(b32, sizeof(b32));
	return 0;
fail:
	OPENSSL_cleanse(b32, sizeof(b32));
	return -1;
}
