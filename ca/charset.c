/*
 * charset: see charset.h (docs/rules.md R20).
 *
 * Findings with glibc 2.36 "EUC-JP" (tests/unit/test_charset.c records
 * them): every non-ASCII character it encodes as a two-byte (0xA1-0xFE)
 * or 0x8F three-byte sequence converts back to the same code point, so
 * the shape check below is the whole test. Other outcomes it produces,
 * all refused: one byte for U+0080-U+009F (C1 controls), U+00A5 (to 0x5C)
 * and U+203E (to 0x7E); 0x8E xx for half-width katakana (JIS X 0201);
 * nothing at all (zero bytes, success) for the tag characters
 * U+E0000-U+E007F; EILSEQ for the rest (e.g. U+9AD9 髙, U+FA11 﨑, U+20BB7).
 */
#include <config.h>

#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "ca/charset.h"

/*
 * Decode one UTF-8 character at s (strict: shortest form, no surrogates,
 * at most U+10FFFF, not NUL). Returns its length (1-4) and *cp, or 0 when
 * s does not start with a valid character.
 */
static int
utf8_decode(const unsigned char *s, unsigned long *cp)
{
	unsigned long c;
	int n, i;

	if (s[0] == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;		/* continuation byte, C0/C1 overlong lead, > U+10FFFF */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;	/* also stops at the terminating NUL */
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

long
charset_utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	long count = 0;
	int n;

	if (s == NULL)
		return -1;
	while (*p != 0) {
		if ((n = utf8_decode(p, &cp)) == 0)
			return -1;
		p += n;
		count++;
	}
	return count;
}

/*
 * R20: 1 when the one character ch (n bytes of UTF-8, code point cp) is
 * printable ASCII, or glibc EUC-JP encodes it as JIS X 0208 (two bytes
 * 0xA1-0xFE) or JIS X 0212 (0x8F and two bytes 0xA1-0xFE).
 */
static int
char_representable(iconv_t cd, const char *ch, int n, unsigned long cp)
{
	char in[4], out[16];
	char *ip = in, *op = out;
	size_t il = (size_t)n, ol = sizeof(out), len;
	const unsigned char *u = (const unsigned char *)out;

	if (cp < 0x80)
		return cp >= 0x20 && cp <= 0x7E;
	memcpy(in, ch, (size_t)n);
	iconv(cd, NULL, NULL, NULL, NULL);	/* EUC-JP is stateless; reset anyway */
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0)
		return 0;
	len = sizeof(out) - ol;
	if (len == 2)
		return u[0] >= 0xA1 && u[0] <= 0xFE && u[1] >= 0xA1 && u[1] <= 0xFE;
	if (len == 3)
		return u[0] == 0x8F && u[1] >= 0xA1 && u[1] <= 0xFE &&
		    u[2] >= 0xA1 && u[2] <= 0xFE;
	return 0;	/* 0 bytes (tags), 1 byte (C1, U+00A5), 0x8E kana... */
}

/*
 * Append character ch (n bytes) to bad unless it is already there. Returns
 * -1 when it does not fit whole: bad is then full (truncated at a
 * character boundary) and takes nothing more.
 */
static int
bad_add(char *bad, size_t badlen, const char *ch, int n)
{
	const char *p;
	unsigned long cp;
	size_t used;
	int k;

	used = strlen(bad);
	for (p = bad; *p != '\0'; p += k) {
		if ((k = utf8_decode((const unsigned char *)p, &cp)) == 0)
			break;
		if (k == n && memcmp(p, ch, (size_t)n) == 0)
			return 0;
	}
	if (used + (size_t)n + 1 > badlen)
		return -1;
	memcpy(bad + used, ch, (size_t)n);
	bad[used + (size_t)n] = '\0';
	return 0;
}

/*
 * One iconv descriptor per call: iconv_t is not safe to share between
 * threads, and opening one is cheap next to the request it serves.
 */
int
charset_r20_representable(const char *s, char *bad, size_t badlen)
{
	const unsigned char *p;
	iconv_t cd = (iconv_t)-1;
	unsigned long cp;
	int n, rc = -1, collect = 0;

	if (bad != NULL && badlen > 0) {
		bad[0] = '\0';
		collect = 1;
	}
	if (charset_utf8_len(s) < 0)
		goto out;
	/* Fails only when glibc's gconv modules are missing: a broken installation. */
	if ((cd = iconv_open("EUC-JP", "UTF-8")) == (iconv_t)-1)
		abort();
	rc = 1;
	for (p = (const unsigned char *)s; *p != 0; p += n) {
		n = utf8_decode(p, &cp);
		if (!char_representable(cd, (const char *)p, n, cp)) {
			rc = 0;
			if (collect && bad_add(bad, badlen, (const char *)p, n) != 0)
				collect = 0;
		}
	}
out:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return rc;
}
