/*
 * policy, counter operations: what an operator may schedule as a
 * suspension (R19) and which certificates are due an expiry notice (R21).
 * See policy.h; the refusal helpers are in policy_int.h. The R19 gate
 * itself (suspended now, counter hours) is in ca/policy_counter.c.
 */
#include <config.h>

#include "ca/jpdate.h"
#include "ca/policy.h"
#include "ca/policy_int.h"

time_t
policy_r21_notice_cutoff(time_t now, int lead_months)
{
	struct jpdate today = jpdate_from_time(now), target;

	if (lead_months < 1)
		lead_months = 1;
	target = jpdate_add_months(today, lead_months);
	/*
	 * The last day of a month reaches the last day of the target month:
	 * R8 counts back from notAfter with clamping, so every notAfter
	 * date of the target month has its window open on such a day
	 * (2026-05-31 - 3 months = 2026-02-28).
	 */
	if (today.d == jpdate_days_in_month(today.y, today.m))
		target.d = jpdate_days_in_month(target.y, target.m);
	return jpdate_end_of_day(target);
}

int
policy_r21_notice_due(int revoked, time_t not_after, time_t now, int lead_months)
{
	if (revoked || not_after < now)
		return 0;
	return not_after <= policy_r21_notice_cutoff(now, lead_months);
}

int
policy_r19_window_ok(time_t starts, time_t ends, time_t now, struct policy_refusal *r)
{
	if (ends <= starts) {
		policy_int_refuse(r, "R19", "invalid-suspension",
		    "a suspension must end after it starts");
		policy_int_refuse_field(r, "ends_at");
		return -1;
	}
	if (ends <= now) {
		policy_int_refuse(r, "R19", "invalid-suspension",
		    "a suspension must end in the future");
		policy_int_refuse_field(r, "ends_at");
		return -1;
	}
	if (ends - starts > POLICY_R19_MAX_SUSPENSION_S) {
		policy_int_refuse(r, "R19", "invalid-suspension",
		    "a suspension lasts at most %d days; schedule longer ones in parts",
		    POLICY_R19_MAX_SUSPENSION_S / 86400);
		policy_int_refuse_field(r, "ends_at");
		return -1;
	}
	if (starts - now > POLICY_R19_MAX_AHEAD_S) {
		policy_int_refuse(r, "R19", "invalid-suspension",
		    "a suspension starts at most %d days ahead", POLICY_R19_MAX_AHEAD_S / 86400);
		policy_int_refuse_field(r, "starts_at");
		return -1;
	}
	return 0;
}
