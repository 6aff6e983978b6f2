/*
 * jpdate: calendar dates in Japan (Asia/Tokyo, UTC+9, no DST) and the date
 * arithmetic of docs/rules.md R5-R8: Japanese age reckoning, birthdays counted
 * for validity, end of day in JST, calendar months, and eras (R25 .4).
 *
 * Pure functions: no clock, no locale, no TZ environment. An instant is a
 * time_t (seconds since the epoch, UTC); a date is a struct jpdate.
 */
#ifndef JPKI_JPDATE_H
#define JPKI_JPDATE_H

#include <stddef.h>
#include <time.h>

#define JPDATE_JST_OFFSET	(9 * 3600)	/* UTC+9, no DST */

struct jpdate {
	int	y;	/* 1..9999 */
	int	m;	/* 1..12 */
	int	d;	/* 1..days in month */
};

/* 1 when y-m-d is a real Gregorian date with 1 <= y <= 9999. */
int		jpdate_valid(struct jpdate);
int		jpdate_is_leap(int y);
int		jpdate_days_in_month(int y, int m);
/*
 * Strict "YYYY-MM-DD" (exactly 10 characters, a real date). 0 and *out,
 * or -1 (out untouched).
 */
int		jpdate_parse(const char *s, struct jpdate *out);
/* "YYYY-MM-DD" into buf (at least 11 bytes). Returns buf. */
char		*jpdate_format(struct jpdate, char *buf, size_t len);
/* <0, 0, >0 as a is before, equal to, after b. */
int		jpdate_cmp(struct jpdate a, struct jpdate b);
/* a + n days (n may be negative). */
struct jpdate	jpdate_add_days(struct jpdate a, int n);
/*
 * a + n calendar months (n may be negative); a day that does not exist in
 * the target month is clamped to its last day (2026-05-31 - 3 months =
 * 2026-02-28). R8's "3 calendar months before notAfter".
 */
struct jpdate	jpdate_add_months(struct jpdate a, int n);
/* Days since 1970-01-01 (negative before). */
long		jpdate_to_days(struct jpdate);
struct jpdate	jpdate_from_days(long days);
/* The JST calendar date of instant t. */
struct jpdate	jpdate_from_time(time_t t);
/* D 00:00:00 JST and D 23:59:59 JST as instants ("end of day D", R6). */
time_t		jpdate_start_of_day(struct jpdate d);
time_t		jpdate_end_of_day(struct jpdate d);
/* ISO weekday of d: 1 = Monday ... 7 = Sunday. */
int		jpdate_isodow(struct jpdate d);

/*
 * R5: the anniversary of birth in year y. For a 29 February birth in a
 * common year it is 1 March when reckoning age (JPDATE_FOR_AGE, the legal
 * rule) and 28 February when counting validity ends (JPDATE_FOR_VALIDITY,
 * R6). Every other birth date: the same month and day in year y.
 */
enum jpdate_anniv { JPDATE_FOR_AGE, JPDATE_FOR_VALIDITY };
struct jpdate	jpdate_anniversary(struct jpdate birth, int y, enum jpdate_anniv);
/*
 * R5: age on date on: the number of anniversaries (FOR_AGE) after birth
 * that are on or before on. Born 2011-11-21: 14 on 2026-11-20, 15 on
 * 2026-11-21. -1 when on is before birth.
 */
int		jpdate_age(struct jpdate birth, struct jpdate on);
/*
 * R6/R8: the n-th birthday (FOR_VALIDITY anniversaries) strictly after day:
 * a birthday falling on day itself does not count. n >= 1.
 */
struct jpdate	jpdate_nth_birthday_after(struct jpdate birth, struct jpdate day, int n);

/*
 * R25 .4: the era digit of a date: 1 Meiji (before 1912-07-30), 2 Taisho
 * (from 1912-07-30), 3 Showa (from 1926-12-25), 4 Heisei (from 1989-01-08),
 * 5 Reiwa (from 2019-05-01).
 */
int		jpdate_era(struct jpdate d);
/* R25 .4: "E" + YYYYMMDD (9 characters) into buf (at least 10 bytes). */
char		*jpdate_r25_birth(struct jpdate d, char *buf, size_t len);

#endif
