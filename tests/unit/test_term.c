/*
 * test_term: jpki-terminal's text helpers (tools/term_fmt.c, term_plan.c):
 * instants in JST (fixed UTC+9) with "JST" in English and the Japanese era
 * in Japanese, the daemon's status words in Japanese, the local format
 * checks (resident code, card number), and a plan's warnings and
 * together_with_auth lines from canned JSON (absent members tolerated).
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/testlib.h"
#include "tools/term.h"

START_TEST(test_time_utc_to_jst_en)
{
	static const struct {
		const char	*in, *want;
	} rows[] = {
		{ "2026-11-21T01:00:00Z", "2026-11-21 10:00 JST" },
		{ "2026-12-03T15:30:00Z", "2026-12-04 00:30 JST" },	/* the JST day is the next */
		{ "2031-11-21T14:59:59Z", "2031-11-21 23:59:59 JST" },	/* R6 end of day */
		{ "2026-12-31T15:00:00.123Z", "2027-01-01 00:00 JST" },
		{ "2026-11-21T01:00:00+00:00", "2026-11-21 10:00 JST" },
		{ "2026-11-21", "2026-11-21" },				/* not an instant: as given */
		{ "garbage", "garbage" },
		{ "", "" },
	};
	char b[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_str_eq(term_fmt_time(rows[i].in, 0, b, sizeof(b)), rows[i].want);
}
END_TEST

START_TEST(test_time_jst_with_era_ja)
{
	static const struct {
		const char	*in, *want;
	} rows[] = {
		{ "2026-12-03T03:00:00Z", "令和8年12月3日 12:00" },
		{ "2026-12-02T15:00:00Z", "令和8年12月3日 00:00" },
		{ "2031-11-21T14:59:59Z", "令和13年11月21日 23:59:59" },
		{ "2019-04-30T15:00:00Z", "令和元年5月1日 00:00" },	/* Reiwa from 2019-05-01 JST */
		{ "2019-04-30T14:59:00Z", "平成31年4月30日 23:59" },
	};
	char b[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_str_eq(term_fmt_time(rows[i].in, 1, b, sizeof(b)), rows[i].want);
}
END_TEST

START_TEST(test_date_era_ja)
{
	static const struct {
		const char	*in, *want;
	} rows[] = {
		{ "1980-05-14", "昭和55年5月14日" },
		{ "2032-05-14", "令和14年5月14日" },
		{ "1989-01-07", "昭和64年1月7日" },
		{ "1989-01-08", "平成元年1月8日" },
		{ "1926-12-25", "昭和元年12月25日" },
		{ "1912-07-29", "明治45年7月29日" },
		{ "1912-07-30", "大正元年7月30日" },
		{ "1988-02-29", "昭和63年2月29日" },
		{ "1800-01-01", "1800年1月1日" },	/* before Meiji: Gregorian */
		{ "2026-13-01", "2026-13-01" },		/* not a date: as given */
	};
	char b[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_str_eq(term_fmt_date(rows[i].in, 1, b, sizeof(b)), rows[i].want);
	ck_assert_str_eq(term_fmt_date("1980-05-14", 0, b, sizeof(b)), "1980-05-14");
}
END_TEST

START_TEST(test_status_words_ja)
{
	ck_assert_str_eq(term_word("valid", 1), "有効");
	ck_assert_str_eq(term_word("revoked", 1), "失効");
	ck_assert_str_eq(term_word("expired", 1), "期限切れ");
	ck_assert_str_eq(term_word("superseded", 1), "更新により失効");
	ck_assert_str_eq(term_word("suspended", 1), "一時停止");
	ck_assert_str_eq(term_word("lost", 1), "紛失");
	ck_assert_str_eq(term_word("LOCKED", 1), "ロック中");
	ck_assert_str_eq(term_word("blank", 1), "未発行");
	ck_assert_str_eq(term_word("ready", 1), "発行可能");
	ck_assert_str_eq(term_word("completed", 1), "完了");
	/* English: the daemon's word; unknown words pass through. */
	ck_assert_str_eq(term_word("revoked", 0), "revoked");
	ck_assert_str_eq(term_word("LOCKED", 0), "LOCKED");
	ck_assert_str_eq(term_word("someNewReason", 1), "someNewReason");
	ck_assert_str_eq(term_word(NULL, 1), "");
}
END_TEST

START_TEST(test_format_resident_code_11_digits)
{
	ck_assert_int_eq(term_check_resident_code("13101600001"), 0);
	ck_assert_int_eq(term_check_resident_code("1310160000"), -1);	/* 10 digits */
	ck_assert_int_eq(term_check_resident_code("131016000011"), -1);
	ck_assert_int_eq(term_check_resident_code("1310160000a"), -1);
	ck_assert_int_eq(term_check_resident_code(""), -1);
	ck_assert_int_eq(term_check_resident_code(NULL), -1);
}
END_TEST

START_TEST(test_format_card_number)
{
	ck_assert_int_eq(term_check_card_number("123456789012"), 0);	/* My Number card */
	ck_assert_int_eq(term_check_card_number("J13101600014"), 0);	/* Juki */
	ck_assert_int_eq(term_check_card_number("1234567890123456"), 0);
	ck_assert_int_eq(term_check_card_number("12345678901234567"), -1);	/* 17 */
	ck_assert_int_eq(term_check_card_number("j1310160"), -1);	/* lowercase */
	ck_assert_int_eq(term_check_card_number("1234-5678"), -1);
	ck_assert_int_eq(term_check_card_number(""), -1);
}
END_TEST

/* What term_print_plan writes to stdout for plan (JSON text), in language ja. */
static char *
plan_text(const char *json, int ja)
{
	static char out[4096];
	char path[] = "/tmp/test_term.XXXXXX";
	json_t *p = json_loads(json, 0, NULL);
	int fd = mkstemp(path), saved = dup(1);
	ssize_t n;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	dup2(fd, 1);
	term_ja = ja;
	term_print_plan("sign", p);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	json_decref(p);
	return out;
}

#define PLAN_BASE "\"eligible\": true, \"renewal\": \"renewal\", \"not_after\": \"2027-02-21T14:59:59Z\"," \
	" \"capped_by\": \"auth\", \"supersedes\": null, \"fee_yen\": 0"

START_TEST(test_plan_warnings_and_together_with_auth)
{
	const char *j = "{" PLAN_BASE ", \"warnings\": [{\"slug\": \"no-gain\", \"rule\": \"R8\","
	    " \"detail\": \"renewing SIGN alone does not extend its validity\"}],"
	    " \"together_with_auth\": {\"not_after\": \"2032-02-21T14:59:59Z\", \"capped_by\": \"birthday\"}}";
	const char *s;

	s = plan_text(j, 0);
	ck_assert_msg(strstr(s, "valid until 2027-02-21 23:59:59 JST (renewal, capped by auth)") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "\n    warning: renewing SIGN alone does not extend its validity (R8)\n") != NULL,
	    "%s", s);
	ck_assert_msg(strstr(s, "if AUTH is renewed in the same visit: valid until 2032-02-21 23:59:59 JST"
	    " (capped by birthday)") != NULL, "%s", s);
	s = plan_text(j, 1);
	ck_assert_msg(strstr(s, "有効期限 令和9年2月21日 23:59:59 (更新, 上限 利用者証明用電子証明書)") != NULL,
	    "%s", s);
	ck_assert_msg(strstr(s, "注意: renewing SIGN alone does not extend its validity (R8)") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "利用者証明用と同時に更新した場合の有効期限 令和14年2月21日 23:59:59 (上限 誕生日)")
	    != NULL, "%s", s);
}
END_TEST

START_TEST(test_plan_without_the_new_members)
{
	const char *s;

	/* An older daemon: neither member; or null together_with_auth and no warnings. */
	s = plan_text("{" PLAN_BASE "}", 0);
	ck_assert_msg(strstr(s, "warning") == NULL && strstr(s, "same visit") == NULL, "%s", s);
	ck_assert_int_eq((int)strlen(s) > 0, 1);
	s = plan_text("{" PLAN_BASE ", \"warnings\": [], \"together_with_auth\": null}", 0);
	ck_assert_msg(strchr(s, '\n') == s + strlen(s) - 1, "one line: %s", s);
}
END_TEST

static Suite *
term_suite(void)
{
	Suite *s = suite_create("term");
	TCase *tc = tcase_create("fmt");

	tcase_add_test(tc, test_time_utc_to_jst_en);
	tcase_add_test(tc, test_time_jst_with_era_ja);
	tcase_add_test(tc, test_date_era_ja);
	tcase_add_test(tc, test_status_words_ja);
	tcase_add_test(tc, test_format_resident_code_11_digits);
	tcase_add_test(tc, test_format_card_number);
	tcase_add_test(tc, test_plan_warnings_and_together_with_auth);
	tcase_add_test(tc, test_plan_without_the_new_members);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_run(term_suite());
}
