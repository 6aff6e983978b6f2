/*
 * test_notice: R21 expiry notice cutoff and due check, R19 suspension
 * windows (ca/policy_notice.c), and the [notices] configuration keys.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/jpdate.h"
#include "ca/policy.h"
#include "daemon/config.h"
#include "tests/unit/testlib.h"

/* d H:M:S JST as an instant. */
static time_t
jst(const char *d, int h, int m, int s)
{
	struct jpdate day;

	ck_assert_int_eq(jpdate_parse(d, &day), 0);
	return jpdate_start_of_day(day) + h * 3600 + m * 60 + s;
}

static const char *
fmt_cutoff(time_t t, char *buf, size_t len)
{
	struct jpdate d = jpdate_from_time(t);

	return jpdate_format(d, buf, len);
}

/* now (JST), lead months -> cutoff date (its end of day, JST). */
static const struct {
	const char	*now;
	int		 h;
	int		 lead;
	const char	*cutoff;
} cutoffs[] = {
	{ "2026-11-21", 10, 3, "2027-02-21" },
	{ "2026-11-28", 10, 3, "2027-02-28" },
	{ "2026-11-29", 10, 3, "2027-02-28" },	/* clamped */
	{ "2026-11-30", 10, 3, "2027-02-28" },	/* last day -> last day */
	{ "2026-12-31", 10, 3, "2027-03-31" },
	{ "2026-10-31", 10, 3, "2027-01-31" },
	{ "2026-09-30", 10, 3, "2026-12-31" },	/* last day of a 30-day month */
	{ "2027-02-28", 10, 3, "2027-05-31" },	/* last day of a common February */
	{ "2028-02-28", 10, 3, "2028-05-28" },	/* not the last day in a leap year */
	{ "2028-02-29", 10, 3, "2028-05-31" },
	{ "2026-11-30", 0, 3, "2027-02-28" },	/* 00:00 JST = 2026-11-29 15:00 UTC */
	{ "2026-11-30", 23, 3, "2027-02-28" },
	{ "2026-01-31", 10, 1, "2026-02-28" },
	{ "2026-11-15", 10, 12, "2027-11-15" },
};

START_TEST(test_r21_cutoff_table)
{
	char buf[16];
	time_t now = jst(cutoffs[_i].now, cutoffs[_i].h, 0, 0), c;
	struct jpdate want;

	c = policy_r21_notice_cutoff(now, cutoffs[_i].lead);
	ck_assert_msg(strcmp(fmt_cutoff(c, buf, sizeof(buf)), cutoffs[_i].cutoff) == 0,
	    "row %d: %s +%d months: got %s, want %s", _i, cutoffs[_i].now, cutoffs[_i].lead,
	    buf, cutoffs[_i].cutoff);
	ck_assert_int_eq(jpdate_parse(cutoffs[_i].cutoff, &want), 0);
	ck_assert_int_eq((long long)c, (long long)jpdate_end_of_day(want));	/* 23:59:59 JST */
}
END_TEST

START_TEST(test_r21_cutoff_is_end_of_day_utc)
{
	/* 2027-02-21 23:59:59 JST = 14:59:59 UTC. */
	ck_assert_int_eq((long long)policy_r21_notice_cutoff(jst("2026-11-21", 10, 0, 0), 3),
	    1803221999LL);
}
END_TEST

START_TEST(test_r21_due)
{
	time_t now = jst("2026-11-21", 10, 0, 0);

	/* A certificate ending at the end of the cutoff day: due; a second later: not. */
	ck_assert_int_eq(policy_r21_notice_due(0, jst("2027-02-21", 23, 59, 59), now, 3), 1);
	ck_assert_int_eq(policy_r21_notice_due(0, jst("2027-02-22", 0, 0, 0), now, 3), 0);
	ck_assert_int_eq(policy_r21_notice_due(0, jst("2026-12-01", 23, 59, 59), now, 3), 1);
	/* Revoked: never. */
	ck_assert_int_eq(policy_r21_notice_due(1, jst("2026-12-01", 23, 59, 59), now, 3), 0);
	/* Already expired: no notice. */
	ck_assert_int_eq(policy_r21_notice_due(0, now - 1, now, 3), 0);
	ck_assert_int_eq(policy_r21_notice_due(0, now, now, 3), 1);
	/* Another lead time. */
	ck_assert_int_eq(policy_r21_notice_due(0, jst("2027-02-21", 23, 59, 59), now, 2), 0);
	ck_assert_int_eq(policy_r21_notice_due(0, jst("2027-01-21", 23, 59, 59), now, 2), 1);
}
END_TEST

/*
 * With lead 3, a certificate is due a notice on exactly the days its R8
 * renewal window is open (and it is still valid): every day of 2026-2028,
 * every notAfter between 80 and 100 days later.
 */
START_TEST(test_r21_matches_r8_window)
{
	struct jpdate day, end, d;
	struct policy_cert latest;
	time_t now;
	int k, due, window;

	ck_assert_int_eq(jpdate_parse("2026-01-01", &day), 0);
	ck_assert_int_eq(jpdate_parse("2028-12-31", &end), 0);
	for (; jpdate_cmp(day, end) <= 0; day = jpdate_add_days(day, 1)) {
		now = jpdate_start_of_day(day) + 10 * 3600;
		for (k = 80; k <= 100; k++) {
			d = jpdate_add_days(day, k);
			memset(&latest, 0, sizeof(latest));
			latest.present = 1;
			latest.not_before = now - 86400 * 365;
			latest.not_after = jpdate_end_of_day(d);
			due = policy_r21_notice_due(0, latest.not_after, now, 3);
			window = policy_r8_renewal(&latest, now, NULL) == POLICY_RENEW_WINDOW;
			if (due != window) {
				char a[16], b[16];

				ck_abort_msg("on %s, notAfter %s: due %d, R8 window %d",
				    jpdate_format(day, a, sizeof(a)), jpdate_format(d, b, sizeof(b)),
				    due, window);
			}
		}
	}
}
END_TEST

START_TEST(test_r19_window)
{
	struct policy_refusal r;
	time_t now = jst("2026-11-21", 10, 0, 0);

	ck_assert_int_eq(policy_r19_window_ok(now - 60, now + 600, now, &r), 0);
	ck_assert_int_eq(policy_r19_window_ok(now + 86400, now + 2 * 86400, now, &r), 0);
	ck_assert_int_eq(policy_r19_window_ok(now, now + 14 * 86400, now, &r), 0);

	ck_assert_int_eq(policy_r19_window_ok(now + 600, now + 600, now, &r), -1);
	ck_assert_str_eq(r.rule, "R19");
	ck_assert_str_eq(r.fields[0], "ends_at");
	ck_assert_int_eq(policy_r19_window_ok(now - 600, now, now, &r), -1);	/* over */
	ck_assert_str_eq(r.fields[0], "ends_at");
	ck_assert_int_eq(policy_r19_window_ok(now, now + 14 * 86400 + 1, now, &r), -1);
	ck_assert_str_eq(r.slug, "invalid-suspension");
	ck_assert_int_eq(policy_r19_window_ok(now + 367 * 86400, now + 368 * 86400, now, &r), -1);
	ck_assert_str_eq(r.fields[0], "starts_at");
}
END_TEST

static const char *base =
    "[api]\nlisten = 127.0.0.1:8443\ntls_cert = /a\ntls_key = /b\nclient_ca = /c\n"
    "[status]\nlisten = 127.0.0.1:8080\n"
    "[database]\nconninfo = dbname=jpkid\n"
    "[ca.sign]\ncert = /s.crt\nkey = /s.key\n[ca.auth]\ncert = /a.crt\nkey = /a.key\n"
    "[ocsp.sign]\ncert = /so.crt\nkey = /so.key\n[ocsp.auth]\ncert = /ao.crt\nkey = /ao.key\n";

static struct config *
load_with(const char *extra, char *err, size_t errlen)
{
	char path[] = "/tmp/jpkid-test-notice.XXXXXX";
	struct config *c;
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(base, f);
	fputs(extra, f);
	fclose(f);
	c = config_load(path, err, errlen);
	unlink(path);
	return c;
}

START_TEST(test_config_notice_defaults)
{
	char err[512];
	struct config *c = load_with("", err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->notice_lead_months, 3);	/* R21 Decision */
	ck_assert_int_eq(c->notice_lead_months, POLICY_R21_LEAD_MONTHS);
	ck_assert_int_eq(c->notice_interval_s, 3600);
	ck_assert_int_eq(c->notices_enabled, 1);
	config_free(c);
}
END_TEST

START_TEST(test_config_notice_keys)
{
	char err[512];
	struct config *c = load_with("[notices]\nlead_months = 2\ninterval = 600\nenabled = false\n",
	    err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->notice_lead_months, 2);
	ck_assert_int_eq(c->notice_interval_s, 600);
	ck_assert_int_eq(c->notices_enabled, 0);
	config_free(c);
	c = load_with("[notices]\nlead_months = 13\n", err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "[notices] lead_months must be an integer from 1 to 12") != NULL,
	    "%s", err);
	c = load_with("[notices]\nlead_months = 0\n", err, sizeof(err));
	ck_assert_ptr_null(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("notice");
	TCase *tc = tcase_create("r21");

	tcase_add_loop_test(tc, test_r21_cutoff_table, 0, (int)(sizeof(cutoffs) / sizeof(cutoffs[0])));
	tcase_add_test(tc, test_r21_cutoff_is_end_of_day_utc);
	tcase_add_test(tc, test_r21_due);
	tcase_add_test(tc, test_r21_matches_r8_window);
	tcase_add_test(tc, test_r19_window);
	tcase_add_test(tc, test_config_notice_defaults);
	tcase_add_test(tc, test_config_notice_keys);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
