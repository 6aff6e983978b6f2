/*
 * serial: certificate serial numbers (docs/foundation.md: 16 bytes from the CSPRNG, top
 * bit cleared), kept as the DER INTEGER content octets: positive and
 * minimal (leading zero octets dropped), as db/migrations stores them.
 */
#ifndef JPKI_SERIAL_H
#define JPKI_SERIAL_H

#include <stddef.h>

#define SERIAL_MAX	20

/* Draw a new serial into out (SERIAL_MAX bytes); 0 and *len, or -1 (RNG failure). */
int	serial_new(unsigned char *out, size_t *len);
/* Lower-case hex of a serial into buf (2*len+1 bytes). */
char	*serial_hex(const unsigned char *s, size_t len, char *buf, size_t buflen);
/*
 * 1 when s is a serial as stored: DER INTEGER content octets of a positive
 * integer, minimal (no redundant leading 0x00), 1..SERIAL_MAX octets; else 0.
 */
int	serial_valid(const unsigned char *s, size_t len);
/* Parse hex (even length, 2..40 digits, minimal positive encoding): 0 and out/len, or -1. */
int	serial_parse_hex(const char *hex, unsigned char *out, size_t *len);

/*
 * The serial of an X.509 certificate or CertID as stored: OpenSSL keeps an
 * INTEGER's magnitude, the stored form is its DER content octets (a 0x00 sign
 * octet before a magnitude whose top bit is set). 0 and out/len (SERIAL_MAX
 * bytes), or -1 when it is no valid serial (negative, zero, too long).
 * sn is an ASN1_INTEGER (void here: no OpenSSL in this header).
 */
int	serial_of_integer(const void *sn, unsigned char *out, size_t *len);

#endif
