/*
 * serial: see serial.h. A serial is kept as the content octets of its DER
 * INTEGER, the form db/migrations stores and ca/profile.c writes; every
 * function here keeps it positive and minimal (X.690 8.3.2), so that the
 * bytes we store are the bytes in the certificate.
 */
#include <config.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/asn1.h>
#include <openssl/rand.h>

#include "ca/serial.h"

#define SERIAL_RANDOM	16	/* docs/foundation.md: 16 bytes from the CSPRNG */

int
serial_valid(const unsigned char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len > SERIAL_MAX)
		return 0;
	if (s[0] & 0x80)
		return 0;		/* negative */
	if (len > 1 && s[0] == 0x00 && (s[1] & 0x80) == 0)
		return 0;		/* redundant leading zero octet */
	for (i = 0; i < len; i++)
		if (s[i] != 0)
			return 1;
	return 0;			/* zero: RFC 5280 4.1.2.2 wants positive */
}

int
serial_new(unsigned char *out, size_t *len)
{
	unsigned char	buf[SERIAL_RANDOM];
	size_t		i, tries;
	int		rc = -1;

	/*
	 * Top bit cleared: positive. Leading zero octets are dropped while
	 * the next octet's top bit is clear (X.690 8.3.2: a 0x00 before an
	 * octet >= 0x80 is the sign, not padding). All zero (probability
	 * 2^-127) draws again.
	 */
	for (tries = 0; tries < 8; tries++) {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			goto out;
		buf[0] &= 0x7f;
		for (i = 0; i + 1 < sizeof(buf) && buf[i] == 0 &&
		    (buf[i + 1] & 0x80) == 0; i++)
			continue;
		if (!serial_valid(buf + i, sizeof(buf) - i))
			continue;
		*len = sizeof(buf) - i;
		memcpy(out, buf + i, *len);
		rc = 0;
		goto out;
	}
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

char *
serial_hex(const unsigned char *s, size_t len, char *buf, size_t buflen)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	if (buflen == 0)
		return buf;
	if (buflen < 2 * len + 1)
		len = (buflen - 1) / 2;
	for (i = 0; i < len; i++) {
		buf[2 * i] = hex[s[i] >> 4];
		buf[2 * i + 1] = hex[s[i] & 0x0f];
	}
	buf[2 * len] = '\0';
	return buf;
}

static int
serial_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
serial_parse_hex(const char *hex, unsigned char *out, size_t *len)
{
	unsigned char	buf[SERIAL_MAX];
	size_t		n, i;
	int		hi, lo;

	if (hex == NULL)
		return -1;
	n = strlen(hex);
	if (n < 2 || n > 2 * SERIAL_MAX || n % 2 != 0)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = serial_nibble(hex[2 * i])) == -1 ||
		    (lo = serial_nibble(hex[2 * i + 1])) == -1)
			return -1;
		buf[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!serial_valid(buf, n / 2))
		return -1;
	memcpy(out, buf, n / 2);
	*len = n / 2;
	return 0;
}

int
serial_of_integer(const void *v, unsigned char *out, size_t *len)
{
	const ASN1_INTEGER	*sn = v;
	const unsigned char	*m;
	size_t			 n, off;

	if (sn == NULL || ASN1_STRING_type(sn) != V_ASN1_INTEGER ||
	    ASN1_STRING_length(sn) < 1)
		return -1;
	m = ASN1_STRING_get0_data(sn);
	n = (size_t)ASN1_STRING_length(sn);
	off = (m[0] & 0x80) ? 1 : 0;
	if (n + off > SERIAL_MAX)
		return -1;
	out[0] = 0x00;
	memcpy(out + off, m, n);
	if (!serial_valid(out, n + off))
		return -1;
	*len = n + off;
	return 0;
}
