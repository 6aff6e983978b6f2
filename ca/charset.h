/*
 * charset: docs/rules.md R20. Names and addresses put in a certificate must be
 * representable in JIS X 0208 (non-kanji, level 1 and 2 kanji) plus JIS X
 * 0212 (supplementary kanji). Printable ASCII (U+0020-U+007E) counts as
 * representable (JIS X 0201 Roman, the G0 set of EUC-JP); JIS X 0201
 * half-width katakana, control characters and everything else do not.
 *
 * Implementation: glibc iconv to EUC-JP, one character at a time, keeping
 * only ASCII, two-byte (0208) and 0x8F three-byte (0212) encodings. Pure
 * and thread-safe (each call opens its own iconv descriptor, or uses a
 * per-thread one).
 */
#ifndef JPKI_CHARSET_H
#define JPKI_CHARSET_H

#include <stddef.h>

/*
 * Validate s as UTF-8 (no overlongs, no surrogates, no NUL) and count its
 * characters (code points). Returns the count, or -1 when s is not valid
 * UTF-8.
 */
long	charset_utf8_len(const char *s);

/*
 * R20: 1 when every character of the UTF-8 string s is representable, 0
 * when not (and bad, when not NULL, receives the offending characters,
 * each once, in order of first appearance, as UTF-8, NUL-terminated and
 * truncated at a character boundary to badlen), -1 when s is not valid
 * UTF-8.
 */
int	charset_r20_representable(const char *s, char *bad, size_t badlen);

#endif
