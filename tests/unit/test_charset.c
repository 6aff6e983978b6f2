/*
 * test_charset: docs/rules.md R20 (ca/charset.c): which characters glibc's
 * EUC-JP table puts in JIS X 0208 / JIS X 0212, strict UTF-8, the list of
 * characters at fault, and use from many threads at once.
 *
 * Findings recorded here (glibc 2.36, Debian 12): U+9AD9 髙 (hashigo-daka)
 * and U+FA11 﨑 (tatsu-saki) are NOT in glibc's EUC-JP (both are IBM/NEC
 * extensions of CP932, not JIS X 0208/0212), so they need a substitute
 * form; U+9DD7 鷗 and U+FF5E ～ are JIS X 0212 (0x8F xx xx); U+00A5 ¥ and
 * U+203E ‾ come out as the single bytes 0x5C/0x7E and are refused; the tag
 * characters U+E0000-U+E007F convert to nothing and are refused.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/charset.h"
#include "tests/unit/testlib.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* R20: one row per string; bad is the expected list of characters at fault. */
static const struct {
	const char	*what;
	const char	*s;
	int		 rc;
	const char	*bad;
} r20_rows[] = {
	{ "kanji level 1", "山田太郎", 1, "" },
	{ "kanji level 2 (槇)", "槇原", 1, "" },
	{ "U+9AD9 髙 not in glibc EUC-JP", "髙橋", 0, "髙" },
	{ "U+20BB7 𠮷 (outside the BMP)", "𠮷野家", 0, "𠮷" },
	{ "U+FA11 﨑 not in glibc EUC-JP", "山﨑", 0, "﨑" },
	{ "U+5D0E 崎 (JIS X 0208)", "山崎", 1, "" },
	{ "U+9DD7 鷗 (JIS X 0212)", "森鷗外", 1, "" },
	{ "U+4E28 丨 (JIS X 0212)", "丨", 1, "" },
	{ "U+FF71 half-width katakana", "\xef\xbd\xb1", 0, "\xef\xbd\xb1" },
	{ "half-width katakana word", "ﾔﾏﾀﾞ", 0, "ﾔﾏﾀﾞ" },
	{ "U+301C wave dash", "〜", 1, "" },
	{ "U+FF5E full-width tilde (JIS X 0212)", "～", 1, "" },
	{ "U+3000 ideographic space", "山田　太郎", 1, "" },
	{ "full-width kana and digits", "ヤマダ　１２３", 1, "" },
	{ "U+2212 minus sign", "−", 1, "" },
	{ "U+FF0D full-width hyphen-minus", "－", 0, "－" },
	{ "U+2460 circled one", "①", 0, "①" },
	{ "Latin", "Smith John", 1, "" },
	{ "printable ASCII edges", " ~", 1, "" },
	{ "tab", "\t", 0, "\t" },
	{ "newline", "a\nb", 0, "\n" },
	{ "DEL", "\x7f", 0, "\x7f" },
	{ "U+0085 C1 control", "\xc2\x85", 0, "\xc2\x85" },
	{ "U+00A5 yen sign (to 0x5C)", "¥", 0, "¥" },
	{ "U+203E overline (to 0x7E)", "‾", 0, "‾" },
	{ "U+E0041 tag (to nothing)", "a\xf3\xa0\x81\x81", 0, "\xf3\xa0\x81\x81" },
	{ "U+00E9 é (JIS X 0212 has accented Latin)", "Beyoncé", 1, "" },
	{ "U+20AC euro sign", "5€", 0, "€" },
	{ "U+0301 combining acute", "Beyonce\xcc\x81", 0, "\xcc\x81" },
	{ "each once, first appearance order", "髙𠮷髙山﨑𠮷", 0, "髙𠮷﨑" },
	{ "empty", "", 1, "" },
	{ "overlong /", "\xc0\xaf", -1, "" },
	{ "overlong 3-byte", "\xe0\x80\xaf", -1, "" },
	{ "overlong 4-byte", "\xf0\x80\x80\xaf", -1, "" },
	{ "surrogate", "\xed\xa0\x80", -1, "" },
	{ "beyond U+10FFFF", "\xf4\x90\x80\x80", -1, "" },
	{ "truncated", "\xe5\xb1", -1, "" },
	{ "lone continuation", "a\x80", -1, "" },
	{ "0xFF", "\xff", -1, "" },
};

START_TEST(test_r20_representable)
{
	char bad[64];
	int rc;

	memset(bad, 'x', sizeof(bad));
	rc = charset_r20_representable(r20_rows[_i].s, bad, sizeof(bad));
	ck_assert_msg(rc == r20_rows[_i].rc, "%s: rc %d, want %d", r20_rows[_i].what, rc,
	    r20_rows[_i].rc);
	ck_assert_msg(strcmp(bad, r20_rows[_i].bad) == 0, "%s: bad \"%s\", want \"%s\"",
	    r20_rows[_i].what, bad, r20_rows[_i].bad);
	/* bad is optional */
	ck_assert_int_eq(charset_r20_representable(r20_rows[_i].s, NULL, 0), r20_rows[_i].rc);
}
END_TEST

/* The list of characters at fault is cut at a character boundary, never mid-character. */
START_TEST(test_r20_bad_truncated)
{
	char bad[8];

	/* 髙 (3) + 𠮷 (4) + NUL = 8: both fit. */
	ck_assert_int_eq(charset_r20_representable("髙𠮷﨑", bad, sizeof(bad)), 0);
	ck_assert_str_eq(bad, "髙𠮷");
	/* 7 bytes: 𠮷 does not fit; nothing after it is added either. */
	ck_assert_int_eq(charset_r20_representable("髙𠮷\t", bad, 7), 0);
	ck_assert_str_eq(bad, "髙");
	ck_assert_int_eq(charset_r20_representable("𠮷", bad, 1), 0);
	ck_assert_str_eq(bad, "");
}
END_TEST

static const struct {
	const char	*s;
	long		 len;
} len_rows[] = {
	{ "", 0 },
	{ "abc", 3 },
	{ "山田", 2 },
	{ "a𠮷b", 3 },
	{ "\xc2\x85", 1 },
	{ "\xf4\x8f\xbf\xbf", 1 },	/* U+10FFFF */
	{ "\xc0\x80", -1 },		/* overlong NUL */
	{ "\xc1\xbf", -1 },
	{ "\xed\xbf\xbf", -1 },		/* surrogate U+DFFF */
	{ "\xe5\xb1\xb1\xe5", -1 },	/* truncated at the end */
	{ "\xf8\x88\x80\x80\x80", -1 },	/* 5-byte form */
};

START_TEST(test_r20_utf8_len)
{
	ck_assert_msg(charset_utf8_len(len_rows[_i].s) == len_rows[_i].len, "row %d: %ld", _i,
	    charset_utf8_len(len_rows[_i].s));
}
END_TEST

/* Encode code point cp as UTF-8 into b (at least 5 bytes). */
static void
utf8_put(unsigned long cp, char *b)
{
	unsigned char *u = (unsigned char *)b;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		u[1] = 0;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		u[2] = 0;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		u[3] = 0;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		u[4] = 0;
	}
}

/*
 * R20 "about 13,000 characters": with glibc 2.36 exactly 95 printable
 * ASCII + 6879 JIS X 0208 + 6067 JIS X 0212 = 13041 code points. If a
 * glibc upgrade changes its table this fails: look at what changed before
 * changing the number (it changes which names need substitute forms).
 */
START_TEST(test_r20_repertoire_size)
{
	unsigned long cp;
	long n = 0;
	char b[8];

	for (cp = 1; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		utf8_put(cp, b);
		if (charset_r20_representable(b, NULL, 0) == 1)
			n++;
	}
	ck_assert_int_eq(n, 13041);
}
END_TEST

/* Thread safety: many threads, each with its own answers to check. */
#define NTHREADS	8
#define NROUNDS		2000

static void *
r20_worker(void *arg)
{
	long bad = 0;
	int i, j;
	char buf[64];

	(void)arg;
	for (i = 0; i < NROUNDS; i++) {
		for (j = 0; j < NROWS(r20_rows); j++) {
			if (charset_r20_representable(r20_rows[j].s, buf, sizeof(buf)) !=
			    r20_rows[j].rc || strcmp(buf, r20_rows[j].bad) != 0)
				bad++;
		}
	}
	return (void *)bad;
}

START_TEST(test_r20_threads)
{
	pthread_t th[NTHREADS];
	void *ret;
	int i;

	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, r20_worker, NULL), 0);
	for (i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_msg(ret == NULL, "thread %d: %ld wrong answers", i, (long)ret);
	}
}
END_TEST

static Suite *
charset_suite(void)
{
	Suite *s = suite_create("charset");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_r20_representable, 0, NROWS(r20_rows));
	tcase_add_test(tc, test_r20_bad_truncated);
	tcase_add_loop_test(tc, test_r20_utf8_len, 0, NROWS(len_rows));
	tcase_add_test(tc, test_r20_repertoire_size);
	tcase_add_test(tc, test_r20_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	return testlib_run(charset_suite());
}
