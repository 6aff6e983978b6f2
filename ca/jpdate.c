/*
 * jpdate: see jpdate.h. Calendar arithmetic on the proleptic Gregorian
 * calendar with Howard Hinnant's days-from-civil / civil-from-days
 * algorithms (http://howardhinnant.github.io/date_algorithms.html); JST is
 * a fixed UTC+9 offset (docs/rules.md "All dates are calendar dates in Japan").
 * Never localtime(), mktime() or TZ: the host's zone must not matter.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "ca/jpdate.h"

#define SECS_PER_DAY	86400L

/* Floor division and modulo (C division truncates toward zero). */
static long long
floor_div(long long a, long long b)
{
	long long q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static long long
floor_mod(long long a, long long b)
{
	return a - floor_div(a, b) * b;
}

int
jpdate_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m of year y; 0 when m is not 1..12. */
int
jpdate_days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && jpdate_is_leap(y))
		return 29;
	return dim[m - 1];
}

int
jpdate_valid(struct jpdate d)
{
	return d.y >= 1 && d.y <= 9999 && d.m >= 1 && d.m <= 12 &&
	    d.d >= 1 && d.d <= jpdate_days_in_month(d.y, d.m);
}

int
jpdate_parse(const char *s, struct jpdate *out)
{
	struct jpdate d;
	int i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	d.y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	d.m = (s[5] - '0') * 10 + (s[6] - '0');
	d.d = (s[8] - '0') * 10 + (s[9] - '0');
	if (!jpdate_valid(d))
		return -1;
	*out = d;
	return 0;
}

char *
jpdate_format(struct jpdate d, char *buf, size_t len)
{
	snprintf(buf, len, "%04d-%02d-%02d", d.y, d.m, d.d);
	return buf;
}

int
jpdate_cmp(struct jpdate a, struct jpdate b)
{
	if (a.y != b.y)
		return a.y < b.y ? -1 : 1;
	if (a.m != b.m)
		return a.m < b.m ? -1 : 1;
	if (a.d != b.d)
		return a.d < b.d ? -1 : 1;
	return 0;
}

/* Hinnant's days_from_civil: days since 1970-01-01. */
long
jpdate_to_days(struct jpdate a)
{
	long y = a.y - (a.m <= 2);
	long era = (long)floor_div(y, 400);
	long yoe = y - era * 400;				/* [0, 399] */
	long mp = (a.m + 9) % 12;				/* March = 0 */
	long doy = (153 * mp + 2) / 5 + a.d - 1;		/* [0, 365] */
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */

	return era * 146097 + doe - 719468;
}

/* Hinnant's civil_from_days. */
struct jpdate
jpdate_from_days(long days)
{
	struct jpdate r;
	long z = days + 719468;
	long era = (long)floor_div(z, 146097);
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;

	r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.y = (int)(yoe + era * 400 + (r.m <= 2));
	return r;
}

struct jpdate
jpdate_add_days(struct jpdate a, int n)
{
	return jpdate_from_days(jpdate_to_days(a) + n);
}

struct jpdate
jpdate_add_months(struct jpdate a, int n)
{
	struct jpdate r;
	long long mi = (long long)a.y * 12 + (a.m - 1) + n;
	int dim;

	r.y = (int)floor_div(mi, 12);
	r.m = (int)floor_mod(mi, 12) + 1;
	dim = jpdate_days_in_month(r.y, r.m);
	r.d = a.d > dim ? dim : a.d;
	return r;
}

struct jpdate
jpdate_from_time(time_t t)
{
	return jpdate_from_days((long)floor_div((long long)t + JPDATE_JST_OFFSET, SECS_PER_DAY));
}

time_t
jpdate_start_of_day(struct jpdate d)
{
	return (time_t)jpdate_to_days(d) * SECS_PER_DAY - JPDATE_JST_OFFSET;
}

time_t
jpdate_end_of_day(struct jpdate d)
{
	return jpdate_start_of_day(d) + SECS_PER_DAY - 1;
}

/* 1970-01-01 was a Thursday (ISO 4). */
int
jpdate_isodow(struct jpdate d)
{
	return (int)floor_mod((long long)jpdate_to_days(d) + 3, 7) + 1;
}

/* R5: 29 February in a common year is 1 March (age) or 28 February (validity). */
struct jpdate
jpdate_anniversary(struct jpdate birth, int y, enum jpdate_anniv how)
{
	struct jpdate r = { y, birth.m, birth.d };

	if (birth.m == 2 && birth.d == 29 && !jpdate_is_leap(y)) {
		if (how == JPDATE_FOR_AGE) {
			r.m = 3;
			r.d = 1;
		} else
			r.d = 28;
	}
	return r;
}

/* R5: completed years; the age rises at the start of the (FOR_AGE) anniversary. */
int
jpdate_age(struct jpdate birth, struct jpdate on)
{
	int age;

	if (jpdate_cmp(on, birth) < 0)
		return -1;
	age = on.y - birth.y;
	if (jpdate_cmp(jpdate_anniversary(birth, on.y, JPDATE_FOR_AGE), on) > 0)
		age--;
	return age;
}

/*
 * R6/R8: the first birthday strictly after day is in day's year when that
 * year's anniversary is later than day, else in the next year (and never
 * in the birth year itself); the n-th is n - 1 years on.
 */
struct jpdate
jpdate_nth_birthday_after(struct jpdate birth, struct jpdate day, int n)
{
	int y = day.y;

	if (jpdate_cmp(jpdate_anniversary(birth, y, JPDATE_FOR_VALIDITY), day) <= 0)
		y++;
	if (y <= birth.y)
		y = birth.y + 1;
	return jpdate_anniversary(birth, y + n - 1, JPDATE_FOR_VALIDITY);
}

/* R25 .4: era start dates. */
int
jpdate_era(struct jpdate d)
{
	static const struct {
		struct jpdate	from;
		int		era;
	} eras[] = {
		{ { 2019, 5, 1 }, 5 },		/* Reiwa */
		{ { 1989, 1, 8 }, 4 },		/* Heisei */
		{ { 1926, 12, 25 }, 3 },	/* Showa */
		{ { 1912, 7, 30 }, 2 },		/* Taisho */
	};
	size_t i;

	for (i = 0; i < sizeof(eras) / sizeof(eras[0]); i++)
		if (jpdate_cmp(d, eras[i].from) >= 0)
			return eras[i].era;
	return 1;				/* Meiji */
}

char *
jpdate_r25_birth(struct jpdate d, char *buf, size_t len)
{
	snprintf(buf, len, "%d%04d%02d%02d", jpdate_era(d), d.y, d.m, d.d);
	return buf;
}
