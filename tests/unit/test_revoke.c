/*
 * test_revoke: the revocation rules of docs/rules.md (ca/policy_revoke.c): R26
 * reasons and who may use them, the invalidity-date rule, R11 card events
 * and the card statuses they may come from, and the RFC 3339 parser.
 * Table-driven; instants are literal epoch seconds (`date -u -d ... +%s`).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/policy.h"
#include "tests/unit/testlib.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

#define T_1121_1000	((time_t)1795222800)	/* 2026-11-21 10:00:00 JST = 01:00:00 UTC */

/* ---- R26: reasons ---- */

static const struct {
	const char		*name;
	enum policy_revoker	 who;
	int			 ok;
	int			 code;		/* RFC 5280 CRLReason when ok */
	const char		*slug;		/* when refused */
} r26_rows[] = {
	{ "unspecified", POLICY_BY_TERMINAL, 1, 0, NULL },
	{ "keyCompromise", POLICY_BY_TERMINAL, 1, 1, NULL },
	{ "cACompromise", POLICY_BY_TERMINAL, 0, 0, "reason-not-allowed" },
	{ "cACompromise", POLICY_BY_OPERATOR, 1, 2, NULL },
	{ "affiliationChanged", POLICY_BY_TERMINAL, 1, 3, NULL },
	{ "superseded", POLICY_BY_TERMINAL, 1, 4, NULL },
	{ "cessationOfOperation", POLICY_BY_TERMINAL, 1, 5, NULL },
	{ "cessationOfOperation", POLICY_BY_OPERATOR, 1, 5, NULL },
	{ "certificateHold", POLICY_BY_TERMINAL, 0, 0, "reason-never-used" },
	{ "certificateHold", POLICY_BY_OPERATOR, 0, 0, "reason-never-used" },
	{ "removeFromCRL", POLICY_BY_OPERATOR, 0, 0, "reason-never-used" },
	{ "privilegeWithdrawn", POLICY_BY_OPERATOR, 0, 0, "reason-unknown" },
	{ "aACompromise", POLICY_BY_OPERATOR, 0, 0, "reason-unknown" },
	{ "KeyCompromise", POLICY_BY_TERMINAL, 0, 0, "reason-unknown" },	/* case matters */
	{ "", POLICY_BY_TERMINAL, 0, 0, "reason-unknown" },
	{ NULL, POLICY_BY_OPERATOR, 0, 0, "reason-unknown" },
};

START_TEST(test_r26_reason)
{
	struct policy_refusal r;
	enum policy_reason reason = POLICY_REASON_UNSPECIFIED;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = policy_r26_reason(r26_rows[_i].name, r26_rows[_i].who, &reason, &r);
	if (r26_rows[_i].ok) {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(policy_reason_code(reason), r26_rows[_i].code);
		ck_assert_str_eq(policy_reason_name(reason), r26_rows[_i].name);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(r.rule, "R26");
		ck_assert_str_eq(r.slug, r26_rows[_i].slug);
		ck_assert_int_eq(r.nfields, 1);
		ck_assert_str_eq(r.fields[0], "reason");
	}
}
END_TEST

START_TEST(test_r26_reason_names_round_trip)
{
	static const char *const names[] = { "unspecified", "keyCompromise", "cACompromise",
		"affiliationChanged", "superseded", "cessationOfOperation" };
	enum policy_reason reason;
	int i;

	for (i = 0; i < NROWS(names); i++) {
		ck_assert_int_eq(policy_reason_parse(names[i], &reason), 0);
		ck_assert_int_eq(policy_reason_code(reason), i);
		ck_assert_str_eq(policy_reason_name(reason), names[i]);
	}
	ck_assert_int_eq(policy_reason_parse("certificateHold", &reason), -1);
	ck_assert_int_eq(policy_reason_parse(NULL, &reason), -1);
}
END_TEST

/* ---- R26: invalidity date ---- */

static const struct {
	const char	*name;
	time_t		 inv, now, not_before;
	int		 ok;
} inv_rows[] = {
	{ "now itself", T_1121_1000, T_1121_1000, T_1121_1000 - 86400, 1 },
	{ "one second in the future", T_1121_1000 + 1, T_1121_1000, T_1121_1000 - 86400, 0 },
	{ "at notBefore", T_1121_1000 - 86400, T_1121_1000, T_1121_1000 - 86400, 1 },
	{ "one second before notBefore", T_1121_1000 - 86401, T_1121_1000,
	    T_1121_1000 - 86400, 0 },
	{ "between", T_1121_1000 - 3600, T_1121_1000, T_1121_1000 - 86400, 1 },
};

START_TEST(test_r26_invalidity_date)
{
	struct policy_refusal r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = policy_r26_invalidity(inv_rows[_i].inv, inv_rows[_i].now, inv_rows[_i].not_before,
	    "invalidity_date", &r);
	ck_assert_msg(rc == (inv_rows[_i].ok ? 0 : -1), "%s", inv_rows[_i].name);
	if (!inv_rows[_i].ok) {
		ck_assert_str_eq(r.rule, "R26");
		ck_assert_str_eq(r.slug, "invalidity-date");
		ck_assert_str_eq(r.fields[0], "invalidity_date");
	}
}
END_TEST

/* ---- R11: card events ---- */

static const struct {
	const char	*event;
	const char	*from;
	int		 ok;
	const char	*status;	/* when ok */
	const char	*reason;
	int		 invalidity;
} r11_rows[] = {
	{ "lost", "active", 1, "lost", "keyCompromise", 1 },
	{ "stolen", "active", 1, "lost", "keyCompromise", 1 },
	{ "suspended", "active", 1, "suspended", "keyCompromise", 0 },
	{ "returned", "active", 1, "returned", "cessationOfOperation", 0 },
	{ "reissued", "active", 1, "reissued", "superseded", 0 },
	/* after a loss: found and handed back, or replaced */
	{ "returned", "lost", 1, "returned", "cessationOfOperation", 0 },
	{ "reissued", "lost", 1, "reissued", "superseded", 0 },
	{ "lost", "lost", 0, NULL, NULL, 0 },
	{ "stolen", "lost", 0, NULL, NULL, 0 },
	{ "suspended", "lost", 0, NULL, NULL, 0 },
	/* a suspended card may still be lost, returned, replaced */
	{ "lost", "suspended", 1, "lost", "keyCompromise", 1 },
	{ "stolen", "suspended", 1, "lost", "keyCompromise", 1 },
	{ "returned", "suspended", 1, "returned", "cessationOfOperation", 0 },
	{ "reissued", "suspended", 1, "reissued", "superseded", 0 },
	{ "suspended", "suspended", 0, NULL, NULL, 0 },
	/* the card is gone: nothing more happens to it */
	{ "lost", "returned", 0, NULL, NULL, 0 },
	{ "returned", "returned", 0, NULL, NULL, 0 },
	{ "reissued", "returned", 0, NULL, NULL, 0 },
	{ "lost", "reissued", 0, NULL, NULL, 0 },
	{ "returned", "reissued", 0, NULL, NULL, 0 },
	{ "stolen", "expired", 0, NULL, NULL, 0 },
	{ "reissued", "expired", 0, NULL, NULL, 0 },
};

START_TEST(test_r11_card_event)
{
	enum policy_card_event e;
	struct policy_r11 out;
	struct policy_refusal r;
	int rc;

	memset(&out, 0, sizeof(out));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(policy_card_event_parse(r11_rows[_i].event, &e), 0);
	ck_assert_str_eq(policy_card_event_name(e), r11_rows[_i].event);
	rc = policy_r11_card_event(e, r11_rows[_i].from, &out, &r);
	if (r11_rows[_i].ok) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out.status, r11_rows[_i].status);
		ck_assert_str_eq(policy_reason_name(out.reason), r11_rows[_i].reason);
		ck_assert_int_eq(out.both_types, 1);
		ck_assert_int_eq(out.invalidity_from_occurred, r11_rows[_i].invalidity);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(r.rule, "R11");
		ck_assert_str_eq(r.slug, "card-event-not-allowed");
		ck_assert_str_eq(r.fields[0], "event");
	}
}
END_TEST

START_TEST(test_r11_event_names)
{
	enum policy_card_event e;

	ck_assert_int_eq(policy_card_event_parse("expired", &e), -1);
	ck_assert_int_eq(policy_card_event_parse("active", &e), -1);
	ck_assert_int_eq(policy_card_event_parse("Lost", &e), -1);
	ck_assert_int_eq(policy_card_event_parse(NULL, &e), -1);
}
END_TEST

/* PUT /v1/cards sets a status directly: the same reasons as the events. */
static const struct {
	const char	*status;
	const char	*reason;	/* NULL: revokes nothing */
} r11_status_rows[] = {
	{ "active", NULL },
	{ "lost", "keyCompromise" },
	{ "suspended", "keyCompromise" },
	{ "returned", "cessationOfOperation" },
	{ "reissued", "superseded" },
	{ "expired", NULL },
};

START_TEST(test_r11_status_reason)
{
	const char *got = policy_r11_status_reason(r11_status_rows[_i].status);

	if (r11_status_rows[_i].reason == NULL)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, r11_status_rows[_i].reason);
}
END_TEST

/* ---- RFC 3339 ---- */

static const struct {
	const char	*s;
	int		 ok;
	time_t		 t;
} rfc3339_rows[] = {
	{ "2026-11-21T01:00:00Z", 1, 1795222800 },
	{ "2026-11-21T10:00:00+09:00", 1, 1795222800 },
	{ "2026-11-21t01:00:00z", 1, 1795222800 },
	{ "2026-11-21T01:00:00.123456Z", 1, 1795222800 },
	{ "2026-11-20T23:30:00-05:30", 1, 1795237200 },
	{ "1970-01-01T00:00:00Z", 1, 0 },
	{ "2024-02-29T23:59:59Z", 1, 1709251199 },
	{ "2023-02-29T00:00:00Z", 0, 0 },	/* no such day */
	{ "2026-11-21T24:00:00Z", 0, 0 },
	{ "2026-11-21T10:60:00Z", 0, 0 },
	{ "2026-11-21T10:00:60Z", 0, 0 },	/* no leap seconds */
	{ "2026-11-21 01:00:00Z", 0, 0 },
	{ "2026-11-21T01:00:00", 0, 0 },	/* offset required */
	{ "2026-11-21T01:00:00+0900", 0, 0 },
	{ "2026-11-21T01:00:00.Z", 0, 0 },
	{ "2026-11-21T01:00:00Zjunk", 0, 0 },
	{ "2026-11-21", 0, 0 },
	{ "", 0, 0 },
};

START_TEST(test_rfc3339_parse)
{
	time_t t = -1;
	int rc = policy_rfc3339_parse(rfc3339_rows[_i].s, &t);

	ck_assert_msg(rc == (rfc3339_rows[_i].ok ? 0 : -1), "%s", rfc3339_rows[_i].s);
	if (rfc3339_rows[_i].ok)
		ck_assert_msg(t == rfc3339_rows[_i].t, "%s: %lld", rfc3339_rows[_i].s,
		    (long long)t);
}
END_TEST

static Suite *
revoke_suite(void)
{
	Suite *s = suite_create("revoke");
	TCase *tc = tcase_create("rules");

	tcase_add_loop_test(tc, test_r26_reason, 0, NROWS(r26_rows));
	tcase_add_test(tc, test_r26_reason_names_round_trip);
	tcase_add_loop_test(tc, test_r26_invalidity_date, 0, NROWS(inv_rows));
	tcase_add_loop_test(tc, test_r11_card_event, 0, NROWS(r11_rows));
	tcase_add_test(tc, test_r11_event_names);
	tcase_add_loop_test(tc, test_r11_status_reason, 0, NROWS(r11_status_rows));
	tcase_add_loop_test(tc, test_rfc3339_parse, 0, NROWS(rfc3339_rows));
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	return testlib_run(revoke_suite());
}
