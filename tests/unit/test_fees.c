/*
 * test_fees: what a counter visit costs and gains, without a database.
 *
 *  - R18 fees (ca/policy_counter.c): one row per case through
 *    policy_plan_application, with the card facts the card-facts query
 *    gives (the previous card's status, certificates on this card, whether
 *    the newest certificate was revoked) and the resident's latest
 *    certificates; the yen of each type and in all.
 *  - R7/R8 (policy_plan_eligibility, policy_r8_gains_nothing): SIGN's end
 *    with AUTH renewed in the same visit, and the warning when a renewal
 *    would not extend the validity.
 *
 * Instants are epoch seconds (`date -u -d '...' +%s`), JST beside them.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/policy.h"
#include "tests/unit/policy_fixture.h"
#include "tests/unit/testlib.h"

#define D(y, m, d)	((struct jpdate){ (y), (m), (d) })
#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

#define T_1121_1000	((time_t)1795222800)	/* 2026-11-21 10:00:00 JST */
#define END_20270221	((time_t)1803221999)	/* 2027-02-21 23:59:59 JST */
#define END_20310221	((time_t)1929452399)
#define END_20320221	((time_t)1960988399)
#define T_20220301	((time_t)1646096400)	/* 2022-03-01 10:00 JST */
#define T_20260101	((time_t)1767225600)	/* 2026-01-01 09:00 JST */

/* An adult (born 1985-02-21) registered in 131016 with a matching active card. */
static const struct policy_four four_base = {
	"山田", "太郎", NULL, NULL, { 1985, 2, 21 }, '1', "東京都千代田区千代田1-1"
};

static void
fixture_init(struct fixture *f, time_t now)
{
	fixture_init_four(f, now, &four_base);
}

/* The resident's latest unrevoked certificate of a type, at 2026-11-21. */
enum latest {
	NONE,		/* none on record (or only revoked ones) */
	WINDOW,		/* valid, ends 2027-02-21: the R8 window is open */
	EARLY,		/* valid, ends 2031-02-21: before the window */
	EXPIRED		/* ended 2026-01-01 */
};

static void
set_latest(struct policy_cert *c, enum latest l)
{
	memset(c, 0, sizeof(*c));
	c->present = l != NONE;
	c->not_before = T_20220301;
	c->not_after = l == WINDOW ? END_20270221 : l == EARLY ? END_20310221 : T_20260101;
}

#define S	(1u << POLICY_SIGN)
#define A	(1u << POLICY_AUTH)

/* ---- R18 ---- */

static const struct {
	const char		*what;
	const char		*previous;	/* previous card's status, NULL: first card */
	int			 on_card_sign, on_card_auth;	/* certificates on this card */
	int			 revoked_sign, revoked_auth;	/* newest of the type revoked */
	enum latest		 sign, auth;
	unsigned		 mask;
	enum policy_procedure	 proc;
	int			 waived;
	int			 total, fee_sign, fee_auth;
} r18_rows[] = {
	{ "first card, both", NULL, 0, 0, 0, 0, NONE, NONE, S | A, POLICY_ISSUE, 0, 0, 0, 0 },
	{ "first card, SIGN after the AUTH", NULL, 0, 1, 0, 0, NONE, EARLY, S, POLICY_ISSUE, 0,
	    0, 0, 0 },
	{ "renewal in the window", NULL, 1, 1, 0, 0, WINDOW, WINDOW, S | A, POLICY_RENEW, 0,
	    0, 0, 0 },
	{ "renewal after expiry", NULL, 1, 1, 0, 0, EXPIRED, EXPIRED, S | A, POLICY_RENEW, 0,
	    0, 0, 0 },
	{ "card expired, then a new card: both", "expired", 0, 0, 0, 0, EXPIRED, EXPIRED, S | A,
	    POLICY_ISSUE, 0, 0, 0, 0 },
	{ "card expired, then a new card: AUTH", "expired", 0, 0, 0, 0, NONE, NONE, A,
	    POLICY_ISSUE, 0, 0, 0, 0 },
	{ "card returned, then a new card", "returned", 0, 0, 1, 1, NONE, NONE, S | A,
	    POLICY_ISSUE, 0, 0, 0, 0 },
	{ "lost card re-issued: both, 200 in all", "lost", 0, 0, 1, 1, NONE, NONE, S | A,
	    POLICY_ISSUE, 0, 200, 0, 200 },
	{ "lost card re-issued: AUTH alone", "lost", 0, 0, 1, 1, NONE, NONE, A, POLICY_ISSUE, 0,
	    200, 0, 200 },
	{ "lost card re-issued: SIGN alone", "lost", 0, 0, 1, 1, NONE, NONE, S, POLICY_ISSUE, 0,
	    200, 200, 0 },
	{ "lost card re-issued: SIGN applied for after the AUTH", "lost", 0, 1, 1, 0, NONE, EARLY,
	    S, POLICY_ISSUE, 0, 200, 200, 0 },
	{ "lost card re-issued: a second AUTH on it is free", "lost", 0, 1, 1, 0, NONE, EARLY, A,
	    POLICY_ISSUE, 0, 0, 0, 0 },
	{ "lost card re-issued: both already on it", "lost", 1, 1, 0, 0, EARLY, EARLY, S | A,
	    POLICY_ISSUE, 0, 0, 0, 0 },
	{ "damaged card re-issued: both", "reissued", 0, 0, 1, 1, NONE, NONE, S | A,
	    POLICY_ISSUE, 0, 200, 0, 200 },
	{ "damaged card re-issued: SIGN alone", "reissued", 0, 0, 1, 1, NONE, NONE, S,
	    POLICY_ISSUE, 0, 200, 200, 0 },
	{ "suspended card re-issued: both", "suspended", 0, 0, 1, 1, NONE, NONE, S | A,
	    POLICY_ISSUE, 0, 200, 0, 200 },
	{ "re-issued card: an AUTH in its window is a free renewal", "lost", 0, 0, 1, 0, NONE,
	    WINDOW, S | A, POLICY_ISSUE, 0, 200, 200, 0 },
	{ "re-issued card: an older expired one, the newest revoked with the card", "lost", 0, 0,
	    1, 1, EXPIRED, EXPIRED, S | A, POLICY_ISSUE, 0, 200, 0, 200 },
	{ "re-issued card: renewal after the newest expired", "lost", 0, 0, 0, 0, EXPIRED,
	    EXPIRED, S | A, POLICY_RENEW, 0, 0, 0, 0 },
	{ "re-issued card, waived", "lost", 0, 0, 1, 1, NONE, NONE, S | A, POLICY_ISSUE, 1,
	    0, 0, 0 },
};

START_TEST(test_r18_fee_per_case)
{
	struct fixture f;
	struct policy_plan plans[POLICY_NTYPES];
	int rc, total;

	fixture_init(&f, T_1121_1000);
	f.card.previous_status = r18_rows[_i].previous;
	f.card.certs_on_card[POLICY_SIGN] = r18_rows[_i].on_card_sign;
	f.card.certs_on_card[POLICY_AUTH] = r18_rows[_i].on_card_auth;
	f.card.newest_revoked[POLICY_SIGN] = r18_rows[_i].revoked_sign;
	f.card.newest_revoked[POLICY_AUTH] = r18_rows[_i].revoked_auth;
	f.ctx.fees.waived = r18_rows[_i].waived;
	set_latest(&f.ctx.latest[POLICY_SIGN], r18_rows[_i].sign);
	set_latest(&f.ctx.latest[POLICY_AUTH], r18_rows[_i].auth);
	rc = policy_plan_application(&f.ctx, r18_rows[_i].mask, r18_rows[_i].proc, plans);
	ck_assert_msg(rc == 0, "%s: not eligible", r18_rows[_i].what);
	total = policy_r18_fee(r18_rows[_i].mask, plans, &f.card, &f.ctx.fees);
	ck_assert_msg(total == r18_rows[_i].total, "%s: %d yen in all, want %d",
	    r18_rows[_i].what, total, r18_rows[_i].total);
	ck_assert_msg(plans[POLICY_SIGN].fee_yen == r18_rows[_i].fee_sign, "%s: SIGN %d yen",
	    r18_rows[_i].what, plans[POLICY_SIGN].fee_yen);
	ck_assert_msg(plans[POLICY_AUTH].fee_yen == r18_rows[_i].fee_auth, "%s: AUTH %d yen",
	    r18_rows[_i].what, plans[POLICY_AUTH].fee_yen);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen + plans[POLICY_AUTH].fee_yen, total);
}
END_TEST

/* R18: which previous card makes this one re-issued. */
static const struct {
	const char	*previous;
	int		 reissued;
} r18_card_rows[] = {
	{ NULL, 0 }, { "lost", 1 }, { "suspended", 1 }, { "reissued", 1 },
	{ "expired", 0 }, { "returned", 0 }, { "active", 0 },
};

START_TEST(test_r18_reissued_card_by_previous_status)
{
	struct policy_card card = { .present = 1, .previous_status = r18_card_rows[_i].previous };

	ck_assert_int_eq(policy_r18_reissued_card(&card), r18_card_rows[_i].reissued);
	card.present = 0;
	ck_assert_int_eq(policy_r18_reissued_card(&card), 0);
	ck_assert_int_eq(policy_r18_reissued_card(NULL), 0);
}
END_TEST

/* Amounts are configuration: 300 per certificate, 500 for both (all on AUTH). */
START_TEST(test_r18_configured_amounts)
{
	struct policy_plan plans[POLICY_NTYPES];
	struct policy_card card = { .present = 1, .previous_status = "lost" };
	struct policy_fees fees = { 300, 500, 0 };

	memset(plans, 0, sizeof(plans));
	plans[POLICY_SIGN].eligible = plans[POLICY_AUTH].eligible = 1;
	ck_assert_int_eq(policy_r18_fee(S, plans, &card, &fees), 300);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, 300);
	ck_assert_int_eq(policy_r18_fee(S | A, plans, &card, &fees), 500);
	ck_assert_int_eq(plans[POLICY_AUTH].fee_yen, 500);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, 0);
	/* An ineligible plan costs nothing; the other is then charged alone. */
	plans[POLICY_SIGN].eligible = 0;
	ck_assert_int_eq(policy_r18_fee(S | A, plans, &card, &fees), 300);
	ck_assert_int_eq(plans[POLICY_AUTH].fee_yen, 300);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, 0);
	/* Types not in mask are left alone. */
	plans[POLICY_SIGN].fee_yen = -1;
	ck_assert_int_eq(policy_r18_fee(A, plans, &card, &fees), 300);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, -1);
}
END_TEST

/* R18 through the resident view's entry: the SIGN after the AUTH on a lost card's successor. */
START_TEST(test_r18_eligibility_sign_after_auth_on_reissued_card)
{
	struct fixture f;
	struct policy_plan p;

	fixture_init(&f, T_1121_1000);
	f.card.previous_status = "lost";
	f.card.certs_on_card[POLICY_AUTH] = 1;
	set_latest(&f.ctx.latest[POLICY_AUTH], EARLY);
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_SIGN, &p), 0);
	ck_assert_int_eq(p.fee_yen, 200);
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_AUTH, &p), 0);
	ck_assert_int_eq(p.fee_yen, 0);
	f.card.previous_status = "expired";
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_SIGN, &p), 0);
	ck_assert_int_eq(p.fee_yen, 0);
}
END_TEST

/* ---- R7 with AUTH in the same visit, R8 renewals that gain nothing ---- */

/*
 * The issue's case: both certificates end 2027-02-21 (issued 2022-03-01),
 * the visit is 2026-11-21, the first day of the window. SIGN alone ends
 * with the old AUTH (R7); with AUTH renewed too both reach the 6th
 * birthday, 2032-02-21 (R8).
 */
START_TEST(test_r7_sign_renewal_alone_gains_nothing)
{
	struct fixture f;
	struct policy_plan p, plans[POLICY_NTYPES];

	fixture_init(&f, T_1121_1000);
	set_latest(&f.ctx.latest[POLICY_SIGN], WINDOW);
	set_latest(&f.ctx.latest[POLICY_AUTH], WINDOW);

	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_SIGN, &p), 0);
	ck_assert_int_eq(p.renewal, POLICY_RENEW_WINDOW);
	ck_assert_int_eq(p.not_after, END_20270221);
	ck_assert_str_eq(p.capped_by, "auth");
	ck_assert_int_eq(p.with_auth_not_after, END_20320221);
	ck_assert_str_eq(p.with_auth_capped_by, "birthday");
	ck_assert_int_eq(p.nwarnings, 1);
	ck_assert_str_eq(p.warnings[0].rule, "R7");
	ck_assert_str_eq(p.warnings[0].slug, "renewal-gains-nothing");
	ck_assert_str_eq(p.warnings[0].detail, "SIGN issued now would end 2027-02-21 (JST), not "
	    "after the current SIGN certificate (2027-02-21): capped by the valid AUTH "
	    "certificate; with AUTH renewed in the same visit SIGN ends 2032-02-21");

	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_AUTH, &p), 0);
	ck_assert_int_eq(p.not_after, END_20320221);
	ck_assert_int_eq(p.with_auth_not_after, 0);
	ck_assert_int_eq(p.nwarnings, 0);

	/* The application for SIGN alone carries the warning and is still planned. */
	ck_assert_int_eq(policy_plan_application(&f.ctx, S, POLICY_RENEW, plans), 0);
	ck_assert_int_eq(plans[POLICY_SIGN].nwarnings, 1);
	ck_assert_str_eq(plans[POLICY_SIGN].warnings[0].rule, "R7");
	/* Both: SIGN capped by the new AUTH, nothing to warn about. */
	ck_assert_int_eq(policy_plan_application(&f.ctx, S | A, POLICY_RENEW, plans), 0);
	ck_assert_int_eq(plans[POLICY_SIGN].not_after, END_20320221);
	ck_assert_int_eq(plans[POLICY_SIGN].nwarnings, 0);
	ck_assert_int_eq(plans[POLICY_AUTH].nwarnings, 0);
}
END_TEST

/* No certificate yet: SIGN alone and SIGN with AUTH end the same day (null). */
START_TEST(test_r7_with_auth_same_end_is_null)
{
	struct fixture f;
	struct policy_plan p;

	fixture_init(&f, T_1121_1000);
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_SIGN, &p), 0);
	ck_assert_int_eq(p.not_after, END_20310221);
	ck_assert_int_eq(p.with_auth_not_after, 0);
	ck_assert_ptr_null(p.with_auth_capped_by);
	ck_assert_int_eq(p.nwarnings, 0);
}
END_TEST

/*
 * AUTH cannot be issued (its CA ends in 30 days: ca-rollover-required,
 * R6): no with_auth, and the warning names nothing it cannot do.
 */
START_TEST(test_r7_with_auth_needs_auth_eligible)
{
	struct fixture f;
	struct policy_plan p;

	fixture_init(&f, T_1121_1000);
	set_latest(&f.ctx.latest[POLICY_SIGN], WINDOW);
	set_latest(&f.ctx.latest[POLICY_AUTH], WINDOW);
	f.ctx.ca_not_after[POLICY_AUTH] = T_1121_1000 + 30 * 86400;
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_AUTH, &p), -1);
	ck_assert_str_eq(p.refusal.slug, "ca-rollover-required");
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_SIGN, &p), 0);
	ck_assert_int_eq(p.not_after, END_20270221);
	ck_assert_int_eq(p.with_auth_not_after, 0);
	ck_assert_int_eq(p.nwarnings, 1);
	ck_assert_ptr_null(strstr(p.warnings[0].detail, "same visit"));
}
END_TEST

/* SIGN in the window while AUTH was renewed early: SIGN alone gains; no warning. */
START_TEST(test_r8_sign_alone_that_gains_is_not_warned)
{
	struct fixture f;
	struct policy_plan p;

	fixture_init(&f, T_1121_1000);
	set_latest(&f.ctx.latest[POLICY_SIGN], WINDOW);
	set_latest(&f.ctx.latest[POLICY_AUTH], EARLY);
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_SIGN, &p), 0);
	ck_assert_int_eq(p.not_after, END_20310221);
	ck_assert_str_eq(p.capped_by, "auth");
	ck_assert_int_eq(p.nwarnings, 0);
	/* AUTH now would be an early re-issue to the same 2031-02-21: R8 says so. */
	ck_assert_int_eq(p.with_auth_not_after, 0);
	ck_assert_int_eq(policy_plan_eligibility(&f.ctx, POLICY_AUTH, &p), 0);
	ck_assert_int_eq(p.renewal, POLICY_REISSUE_EARLY);
	ck_assert_int_eq(p.nwarnings, 1);
	ck_assert_str_eq(p.warnings[0].rule, "R8");
}
END_TEST

/* The card ends 2027-02-21: renewing either gains nothing, by R6 (AUTH) and R7 (SIGN). */
START_TEST(test_r6_r7_renewal_capped_by_card_warns)
{
	struct fixture f;
	struct policy_plan plans[POLICY_NTYPES];

	fixture_init(&f, T_1121_1000);
	f.card.expires_on = D(2027, 2, 21);
	set_latest(&f.ctx.latest[POLICY_SIGN], WINDOW);
	set_latest(&f.ctx.latest[POLICY_AUTH], WINDOW);
	ck_assert_int_eq(policy_plan_application(&f.ctx, S | A, POLICY_RENEW, plans), 0);
	ck_assert_str_eq(plans[POLICY_AUTH].capped_by, "card");
	ck_assert_int_eq(plans[POLICY_AUTH].nwarnings, 1);
	ck_assert_str_eq(plans[POLICY_AUTH].warnings[0].rule, "R6");
	ck_assert_int_eq(plans[POLICY_SIGN].nwarnings, 1);
	ck_assert_str_eq(plans[POLICY_SIGN].warnings[0].rule, "R7");
	ck_assert_ptr_nonnull(strstr(plans[POLICY_SIGN].warnings[0].detail, "new card"));
}
END_TEST

/* An expired certificate is not replaced: renewing it always gains. */
START_TEST(test_r8_after_expiry_never_warns)
{
	struct fixture f;
	struct policy_plan plans[POLICY_NTYPES];

	fixture_init(&f, T_1121_1000);
	set_latest(&f.ctx.latest[POLICY_SIGN], EXPIRED);
	set_latest(&f.ctx.latest[POLICY_AUTH], EXPIRED);
	ck_assert_int_eq(policy_plan_application(&f.ctx, S, POLICY_RENEW, plans), 0);
	ck_assert_int_eq(plans[POLICY_SIGN].nwarnings, 0);
	/* policy_r8_gains_nothing on a refused plan: nothing. */
	plans[POLICY_SIGN].eligible = 0;
	ck_assert_int_eq(policy_r8_gains_nothing(&f.ctx, POLICY_SIGN, &plans[POLICY_SIGN], 0), 0);
}
END_TEST

static Suite *
fees_suite(void)
{
	Suite *s = suite_create("fees");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_r18_fee_per_case, 0, NROWS(r18_rows));
	tcase_add_loop_test(tc, test_r18_reissued_card_by_previous_status, 0,
	    NROWS(r18_card_rows));
	tcase_add_test(tc, test_r18_configured_amounts);
	tcase_add_test(tc, test_r18_eligibility_sign_after_auth_on_reissued_card);
	tcase_add_test(tc, test_r7_sign_renewal_alone_gains_nothing);
	tcase_add_test(tc, test_r7_with_auth_same_end_is_null);
	tcase_add_test(tc, test_r7_with_auth_needs_auth_eligible);
	tcase_add_test(tc, test_r8_sign_alone_that_gains_is_not_warned);
	tcase_add_test(tc, test_r6_r7_renewal_capped_by_card_warns);
	tcase_add_test(tc, test_r8_after_expiry_never_warns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	return testlib_run(fees_suite());
}
