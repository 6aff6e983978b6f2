/*
 * test_jpdate: JST calendar arithmetic (ca/jpdate.c) for docs/rules.md R5-R8 and
 * R25 .4. Table-driven: each row is one case with its expected outcome
 * written out; instants are literal epoch seconds computed with
 * `date -u -d '...' +%s`.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/jpdate.h"
#include "tests/unit/testlib.h"

#define D(y, m, d)	((struct jpdate){ (y), (m), (d) })
#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static void
assert_date(struct jpdate got, struct jpdate want, const char *what)
{
	char g[16], w[16];

	ck_assert_msg(jpdate_cmp(got, want) == 0, "%s: got %s, want %s", what,
	    jpdate_format(got, g, sizeof(g)), jpdate_format(want, w, sizeof(w)));
}

/* ---- parse / format ---- */

static const struct {
	const char	*s;
	int		 rc;
	struct jpdate	 want;
} parse_rows[] = {
	{ "2026-02-01", 0, { 2026, 2, 1 } },
	{ "2024-02-29", 0, { 2024, 2, 29 } },		/* leap year */
	{ "2000-02-29", 0, { 2000, 2, 29 } },		/* 400-year leap */
	{ "0001-01-01", 0, { 1, 1, 1 } },
	{ "9999-12-31", 0, { 9999, 12, 31 } },
	{ "2026-2-1", -1, { 0, 0, 0 } },		/* not zero-padded */
	{ "2026-02-30", -1, { 0, 0, 0 } },		/* no such day */
	{ "2026-02-01x", -1, { 0, 0, 0 } },		/* trailing garbage */
	{ "2025-02-29", -1, { 0, 0, 0 } },		/* common year */
	{ "1900-02-29", -1, { 0, 0, 0 } },		/* century, not leap */
	{ "2026-13-01", -1, { 0, 0, 0 } },
	{ "2026-00-10", -1, { 0, 0, 0 } },
	{ "2026-01-00", -1, { 0, 0, 0 } },
	{ "0000-01-01", -1, { 0, 0, 0 } },
	{ "2026/02/01", -1, { 0, 0, 0 } },
	{ " 2026-02-1", -1, { 0, 0, 0 } },
	{ "2026-02-+1", -1, { 0, 0, 0 } },
	{ "", -1, { 0, 0, 0 } },
	{ NULL, -1, { 0, 0, 0 } },
};

START_TEST(test_jpdate_parse)
{
	struct jpdate out = { 7, 7, 7 };
	int rc = jpdate_parse(parse_rows[_i].s, &out);

	ck_assert_msg(rc == parse_rows[_i].rc, "row %d \"%s\": rc %d", _i,
	    parse_rows[_i].s != NULL ? parse_rows[_i].s : "(null)", rc);
	if (rc == 0)
		assert_date(out, parse_rows[_i].want, parse_rows[_i].s);
	else	/* out untouched on failure */
		assert_date(out, D(7, 7, 7), "untouched");
}
END_TEST

START_TEST(test_jpdate_format)
{
	char buf[11];

	ck_assert_str_eq(jpdate_format(D(2026, 2, 1), buf, sizeof(buf)), "2026-02-01");
	ck_assert_str_eq(jpdate_format(D(1, 1, 1), buf, sizeof(buf)), "0001-01-01");
	ck_assert_str_eq(jpdate_format(D(9999, 12, 31), buf, sizeof(buf)), "9999-12-31");
}
END_TEST

START_TEST(test_jpdate_valid_and_leap)
{
	ck_assert_int_eq(jpdate_is_leap(2024), 1);
	ck_assert_int_eq(jpdate_is_leap(2026), 0);
	ck_assert_int_eq(jpdate_is_leap(1900), 0);
	ck_assert_int_eq(jpdate_is_leap(2000), 1);
	ck_assert_int_eq(jpdate_days_in_month(2026, 2), 28);
	ck_assert_int_eq(jpdate_days_in_month(2028, 2), 29);
	ck_assert_int_eq(jpdate_days_in_month(2026, 4), 30);
	ck_assert_int_eq(jpdate_days_in_month(2026, 12), 31);
	ck_assert_int_eq(jpdate_valid(D(2026, 4, 31)), 0);
	ck_assert_int_eq(jpdate_valid(D(10000, 1, 1)), 0);
	ck_assert_int_eq(jpdate_valid(D(2026, 4, 30)), 1);
}
END_TEST

/* ---- days, instants, JST ---- */

static const struct {
	struct jpdate	 d;
	long		 days;
	int		 isodow;
} day_rows[] = {
	{ { 1970, 1, 1 }, 0, 4 },		/* Thursday */
	{ { 1969, 12, 31 }, -1, 3 },
	{ { 2000, 1, 1 }, 10957, 6 },
	{ { 2000, 3, 1 }, 11017, 3 },
	{ { 2026, 11, 21 }, 20778, 6 },		/* Saturday */
	{ { 2026, 11, 23 }, 20780, 1 },
	{ { 2027, 1, 3 }, 20821, 7 },
	{ { 1, 1, 1 }, -719162, 1 },
	{ { 9999, 12, 31 }, 2932896, 5 },
};

START_TEST(test_jpdate_days)
{
	struct jpdate d = day_rows[_i].d;

	ck_assert_int_eq(jpdate_to_days(d), day_rows[_i].days);
	assert_date(jpdate_from_days(day_rows[_i].days), d, "from_days");
	ck_assert_int_eq(jpdate_isodow(d), day_rows[_i].isodow);
}
END_TEST

/* Every day from 1868 to 2100 round-trips and follows the previous one. */
START_TEST(test_jpdate_days_roundtrip)
{
	struct jpdate d = D(1868, 1, 1), next;
	long n = jpdate_to_days(d);

	while (d.y <= 2100) {
		ck_assert(jpdate_valid(d));
		ck_assert_int_eq(jpdate_to_days(d), n);
		next = jpdate_from_days(n + 1);
		if (d.d < jpdate_days_in_month(d.y, d.m))
			ck_assert(next.y == d.y && next.m == d.m && next.d == d.d + 1);
		else if (d.m < 12)
			ck_assert(next.y == d.y && next.m == d.m + 1 && next.d == 1);
		else
			ck_assert(next.y == d.y + 1 && next.m == 1 && next.d == 1);
		d = next;
		n++;
	}
}
END_TEST

/* JST boundary: 14:59:59 UTC is still the same JST date, 15:00:00 UTC the next. */
static const struct {
	time_t		 t;
	struct jpdate	 jst;
} jst_rows[] = {
	{ 1795186799, { 2026, 11, 20 } },	/* 2026-11-20 14:59:59 UTC = 23:59:59 JST */
	{ 1795186800, { 2026, 11, 21 } },	/* 2026-11-20 15:00:00 UTC = 11-21 00:00 JST */
	{ 1795273199, { 2026, 11, 21 } },	/* 2026-11-21 14:59:59 UTC */
	{ 0, { 1970, 1, 1 } },			/* 09:00 JST */
	{ -1, { 1970, 1, 1 } },
	{ -32401, { 1969, 12, 31 } },		/* 1969-12-31 14:59:59 UTC */
	{ -32400, { 1970, 1, 1 } },		/* 1969-12-31 15:00:00 UTC */
	{ 1450771200, { 2015, 12, 22 } },	/* R17 cutoff, 17:00 JST */
};

START_TEST(test_r6_jst_date_of_instant)
{
	assert_date(jpdate_from_time(jst_rows[_i].t), jst_rows[_i].jst, "from_time");
}
END_TEST

START_TEST(test_r6_end_of_day)
{
	/* End of 2026-11-21 = 2026-11-21 14:59:59 UTC; start = 2026-11-20 15:00:00 UTC. */
	ck_assert_int_eq(jpdate_start_of_day(D(2026, 11, 21)), 1795186800);
	ck_assert_int_eq(jpdate_end_of_day(D(2026, 11, 21)), 1795273199);
	ck_assert_int_eq(jpdate_end_of_day(D(2031, 11, 21)), 1953039599);
	ck_assert_int_eq(jpdate_end_of_day(D(2031, 2, 28)), 1930057199);
	ck_assert_int_eq(jpdate_end_of_day(D(2032, 2, 29)), 1961679599);
	ck_assert_int_eq(jpdate_start_of_day(D(1970, 1, 1)), -32400);
	ck_assert_int_eq(jpdate_end_of_day(D(1969, 12, 31)), -32401);
}
END_TEST

/* ---- days and months ---- */

static const struct {
	struct jpdate	 a;
	int		 n;
	struct jpdate	 want;
} add_day_rows[] = {
	{ { 2026, 2, 28 }, 1, { 2026, 3, 1 } },
	{ { 2028, 2, 28 }, 1, { 2028, 2, 29 } },
	{ { 2026, 12, 31 }, 1, { 2027, 1, 1 } },
	{ { 2027, 1, 1 }, -1, { 2026, 12, 31 } },
	{ { 2026, 11, 21 }, 30, { 2026, 12, 21 } },
	{ { 2026, 1, 1 }, 365, { 2027, 1, 1 } },
	{ { 2028, 1, 1 }, 365, { 2028, 12, 31 } },
};

START_TEST(test_jpdate_add_days)
{
	assert_date(jpdate_add_days(add_day_rows[_i].a, add_day_rows[_i].n),
	    add_day_rows[_i].want, "add_days");
}
END_TEST

/* R8 month arithmetic: clamp to the last day of the target month. */
static const struct {
	struct jpdate	 a;
	int		 n;
	struct jpdate	 want;
} add_month_rows[] = {
	{ { 2031, 5, 31 }, -3, { 2031, 2, 28 } },	/* clamped, common year */
	{ { 2032, 5, 31 }, -3, { 2032, 2, 29 } },	/* clamped, leap year */
	{ { 2026, 5, 31 }, -3, { 2026, 2, 28 } },	/* the header's example */
	{ { 2031, 11, 21 }, -3, { 2031, 8, 21 } },
	{ { 2031, 2, 28 }, -3, { 2030, 11, 28 } },	/* across a year */
	{ { 2031, 1, 15 }, -1, { 2030, 12, 15 } },
	{ { 2031, 7, 31 }, -3, { 2031, 4, 30 } },	/* 30-day month */
	{ { 2026, 1, 31 }, 1, { 2026, 2, 28 } },
	{ { 2026, 12, 31 }, 2, { 2027, 2, 28 } },
	{ { 2026, 11, 30 }, -12, { 2025, 11, 30 } },
	{ { 2026, 11, 30 }, -35, { 2023, 12, 30 } },
	{ { 2026, 11, 30 }, 0, { 2026, 11, 30 } },
};

START_TEST(test_r8_add_months)
{
	assert_date(jpdate_add_months(add_month_rows[_i].a, add_month_rows[_i].n),
	    add_month_rows[_i].want, "add_months");
}
END_TEST

/* ---- R5 age ---- */

static const struct {
	struct jpdate	 birth, on;
	int		 age;
} age_rows[] = {
	{ { 2011, 11, 21 }, { 2026, 11, 20 }, 14 },	/* the day before the 15th birthday */
	{ { 2011, 11, 21 }, { 2026, 11, 21 }, 15 },	/* the 15th birthday */
	{ { 2011, 11, 21 }, { 2026, 11, 22 }, 15 },	/* the day after */
	{ { 2011, 11, 21 }, { 2011, 11, 21 }, 0 },	/* born today */
	{ { 2011, 11, 21 }, { 2011, 11, 20 }, -1 },	/* not born yet */
	{ { 2011, 11, 21 }, { 2012, 11, 20 }, 0 },
	{ { 2008, 2, 29 }, { 2026, 2, 28 }, 17 },	/* 29 Feb, common year: not yet */
	{ { 2008, 2, 29 }, { 2026, 3, 1 }, 18 },	/* ... 1 March (legal rule) */
	{ { 2008, 2, 29 }, { 2028, 2, 28 }, 19 },	/* leap year: not yet on 28 Feb */
	{ { 2008, 2, 29 }, { 2028, 2, 29 }, 20 },	/* ... 29 Feb */
	{ { 2012, 2, 29 }, { 2027, 2, 28 }, 14 },	/* 15 on 2027-03-01 */
	{ { 2012, 2, 29 }, { 2027, 3, 1 }, 15 },
	{ { 1990, 12, 31 }, { 2026, 1, 1 }, 35 },
};

START_TEST(test_r5_age)
{
	ck_assert_msg(jpdate_age(age_rows[_i].birth, age_rows[_i].on) == age_rows[_i].age,
	    "row %d: age %d, want %d", _i, jpdate_age(age_rows[_i].birth, age_rows[_i].on),
	    age_rows[_i].age);
}
END_TEST

START_TEST(test_r5_anniversary_29_february)
{
	assert_date(jpdate_anniversary(D(2008, 2, 29), 2026, JPDATE_FOR_AGE), D(2026, 3, 1), "age");
	assert_date(jpdate_anniversary(D(2008, 2, 29), 2026, JPDATE_FOR_VALIDITY), D(2026, 2, 28),
	    "validity");
	assert_date(jpdate_anniversary(D(2008, 2, 29), 2028, JPDATE_FOR_AGE), D(2028, 2, 29), "leap");
	assert_date(jpdate_anniversary(D(2008, 2, 29), 2028, JPDATE_FOR_VALIDITY), D(2028, 2, 29),
	    "leap");
	assert_date(jpdate_anniversary(D(2008, 2, 28), 2026, JPDATE_FOR_AGE), D(2026, 2, 28), "28");
	assert_date(jpdate_anniversary(D(1990, 11, 21), 2031, JPDATE_FOR_VALIDITY), D(2031, 11, 21),
	    "plain");
}
END_TEST

/* ---- R6 / R8 birthdays ---- */

static const struct {
	struct jpdate	 birth, day;
	int		 n;
	struct jpdate	 want;
} bday_rows[] = {
	/* R6 decision: a birthday on the issuance date does not count. */
	{ { 1990, 11, 21 }, { 2026, 11, 21 }, 5, { 2031, 11, 21 } },
	{ { 1990, 11, 21 }, { 2026, 11, 20 }, 5, { 2030, 11, 21 } },	/* eve: it counts */
	{ { 1990, 11, 21 }, { 2026, 11, 22 }, 5, { 2031, 11, 21 } },
	{ { 1990, 11, 21 }, { 2026, 11, 21 }, 6, { 2032, 11, 21 } },	/* R8 renewal */
	{ { 1990, 11, 21 }, { 2026, 11, 21 }, 1, { 2027, 11, 21 } },
	{ { 1990, 1, 1 }, { 2026, 12, 31 }, 5, { 2031, 1, 1 } },
	/* 29 Feb (R5 decision for validity: 28 Feb in a common year). */
	{ { 2000, 2, 29 }, { 2026, 3, 1 }, 5, { 2031, 2, 28 } },	/* common year end */
	{ { 2000, 2, 29 }, { 2026, 3, 1 }, 6, { 2032, 2, 29 } },	/* leap year end */
	{ { 2000, 2, 29 }, { 2027, 2, 27 }, 1, { 2027, 2, 28 } },
	{ { 2000, 2, 29 }, { 2027, 2, 28 }, 1, { 2028, 2, 29 } },	/* on 28 Feb: not counted */
	{ { 2000, 2, 29 }, { 2028, 2, 29 }, 1, { 2029, 2, 28 } },
	{ { 2000, 2, 29 }, { 2028, 2, 28 }, 1, { 2028, 2, 29 } },
	/* Born on the issuance date (a newborn's card). */
	{ { 2026, 11, 21 }, { 2026, 11, 21 }, 5, { 2031, 11, 21 } },
};

START_TEST(test_r6_nth_birthday_after)
{
	char what[64];

	snprintf(what, sizeof(what), "row %d", _i);
	assert_date(jpdate_nth_birthday_after(bday_rows[_i].birth, bday_rows[_i].day,
	    bday_rows[_i].n), bday_rows[_i].want, what);
}
END_TEST

/* ---- R25 .4 eras ---- */

static const struct {
	struct jpdate	 d;
	int		 era;
	const char	*r25;
} era_rows[] = {
	{ { 1868, 10, 23 }, 1, "118681023" },
	{ { 1912, 7, 29 }, 1, "119120729" },	/* last day of Meiji */
	{ { 1912, 7, 30 }, 2, "219120730" },	/* Taisho */
	{ { 1926, 12, 24 }, 2, "219261224" },
	{ { 1926, 12, 25 }, 3, "319261225" },	/* Showa */
	{ { 1989, 1, 7 }, 3, "319890107" },
	{ { 1989, 1, 8 }, 4, "419890108" },	/* Heisei */
	{ { 1990, 11, 21 }, 4, "419901121" },
	{ { 2019, 4, 30 }, 4, "420190430" },
	{ { 2019, 5, 1 }, 5, "520190501" },	/* Reiwa */
	{ { 2026, 11, 21 }, 5, "520261121" },
};

START_TEST(test_r25_era)
{
	char buf[10];

	ck_assert_int_eq(jpdate_era(era_rows[_i].d), era_rows[_i].era);
	ck_assert_str_eq(jpdate_r25_birth(era_rows[_i].d, buf, sizeof(buf)), era_rows[_i].r25);
}
END_TEST

static Suite *
jpdate_suite(void)
{
	Suite *s = suite_create("jpdate");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_jpdate_parse, 0, NROWS(parse_rows));
	tcase_add_test(tc, test_jpdate_format);
	tcase_add_test(tc, test_jpdate_valid_and_leap);
	tcase_add_loop_test(tc, test_jpdate_days, 0, NROWS(day_rows));
	tcase_add_test(tc, test_jpdate_days_roundtrip);
	tcase_add_loop_test(tc, test_r6_jst_date_of_instant, 0, NROWS(jst_rows));
	tcase_add_test(tc, test_r6_end_of_day);
	tcase_add_loop_test(tc, test_jpdate_add_days, 0, NROWS(add_day_rows));
	tcase_add_loop_test(tc, test_r8_add_months, 0, NROWS(add_month_rows));
	tcase_add_loop_test(tc, test_r5_age, 0, NROWS(age_rows));
	tcase_add_test(tc, test_r5_anniversary_29_february);
	tcase_add_loop_test(tc, test_r6_nth_birthday_after, 0, NROWS(bday_rows));
	tcase_add_loop_test(tc, test_r25_era, 0, NROWS(era_rows));
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	return testlib_run(jpdate_suite());
}
