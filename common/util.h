#ifndef JPKI_UTIL_H
#define JPKI_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Constant-time comparison of secrets; returns 1 when equal. */
int	util_ct_equal(const void *, const void *, size_t);
/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void	util_hex(const uint8_t *, size_t, char *out);
/* Random hex id of nbytes random bytes (CSPRNG) into out (2*nbytes+1). */
int	util_random_hex(size_t nbytes, char *out);
/* Read a whole file; returns malloc'd buffer (NUL-terminated) or NULL. */
char	*util_read_file(const char *path, size_t *len);
/* Strip trailing whitespace/newlines in place; returns s. */
char	*util_rstrip(char *s);
/*
 * Make s valid UTF-8 in place, as jansson requires of every string: each
 * byte that does not begin a well-formed sequence (overlong, surrogate,
 * above U+10FFFF, truncated) becomes '?'. For text that quotes client
 * bytes, e.g. a JSON parser's error message or a truncated detail. Returns s.
 */
char	*util_utf8_scrub(char *s);
/* printf into err (errlen bytes); nothing when err is NULL or errlen 0. */
void	util_errf(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The value of one hex digit (either case), or -1. */
int	util_hexval(int c);

#endif
