/*
 * test_policy: the issuance rules of docs/rules.md (ca/policy.c), without a
 * database. Table-driven: each row is one case with its expected outcome
 * written out. Instants are literal epoch seconds (computed with
 * `TZ=Asia/Tokyo date -d '...' +%s` or `date -u -d '...' +%s`); the
 * comment beside each gives it in JST.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/policy.h"
#include "tests/unit/testlib.h"

#define D(y, m, d)	((struct jpdate){ (y), (m), (d) })
#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* Instants used throughout (JST). */
#define T_1120_1000	((time_t)1795136400)	/* 2026-11-20 10:00:00 JST */
#define T_1120_2359	((time_t)1795186799)	/* 2026-11-20 23:59:59 JST = 14:59:59 UTC */
#define T_1121_0000	((time_t)1795186800)	/* 2026-11-21 00:00:00 JST = 11-20 15:00:00 UTC */
#define T_1121_1000	((time_t)1795222800)	/* 2026-11-21 10:00:00 JST */
#define T_1122_1000	((time_t)1795309200)	/* 2026-11-22 10:00:00 JST */
#define END_20311121	((time_t)1953039599)	/* 2031-11-21 23:59:59 JST */
#define END_20301121	((time_t)1921503599)
#define END_20321121	((time_t)1984661999)
#define END_20351121	((time_t)2079269999)
#define END_20361121	((time_t)2110892399)
#define END_20371121	((time_t)2142428399)
#define END_20290331	((time_t)1869663599)
#define END_20280510	((time_t)1841583599)
#define END_20310228	((time_t)1930057199)
#define END_20320229	((time_t)1961679599)
#define END_20310531	((time_t)1938005999)

/* ---- fixtures: an adult registered in 131016 with a matching active card ---- */

static const struct policy_four four_base = {
	"山田", "太郎", NULL, NULL, { 1990, 11, 21 }, '1', "東京都千代田区千代田1-1"
};

struct fixture {
	struct policy_resident	res;
	struct policy_card	card;
	struct policy_ctx	ctx;
};

static void
fixture_init(struct fixture *f, time_t now)
{
	memset(f, 0, sizeof(*f));
	f->res.municipality_code = "131016";
	f->res.status = "registered";
	f->res.four = four_base;
	f->card.present = 1;
	f->card.card_number = "C0000001";
	f->card.status = "active";
	f->card.issued_on = D(2025, 4, 1);
	f->card.expires_on = D(2040, 1, 1);
	f->card.four = four_base;
	f->ctx.now = now;
	f->ctx.terminal_municipality = "131016";
	f->ctx.resident = &f->res;
	f->ctx.card = &f->card;
	f->ctx.fees.reissue_yen = 200;
	f->ctx.fees.reissue_both_yen = 200;
}

/* Set birth on both register and card (they must match, R3). */
static void
fixture_birth(struct fixture *f, struct jpdate birth)
{
	f->res.four.birth = birth;
	f->card.four.birth = birth;
}

/*
 * rc must be 0 when rule is NULL; else -1 with that rule and slug. Uses a
 * macro so a failure points at the caller's line.
 */
#define assert_outcome(rc, r, want_rule, want_slug) do {				\
	if ((want_rule) == NULL)							\
		ck_assert_msg((rc) == 0, "refused %s %s: %s", (r).rule, (r).slug,	\
		    (r).detail);							\
	else {										\
		ck_assert_msg((rc) == -1, "not refused, want %s %s", (want_rule),	\
		    (want_slug));							\
		ck_assert_str_eq((r).rule, (want_rule));				\
		ck_assert_str_eq((r).slug, (want_slug));				\
	}										\
} while (0)

/* The refusal names exactly the fields in want (NULL-terminated). */
static void
assert_fields(const struct policy_refusal *r, const char *const *want)
{
	int i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(i < r->nfields, "field %s missing (%d fields)", want[i], r->nfields);
		ck_assert_str_eq(r->fields[i], want[i]);
	}
	ck_assert_int_eq(r->nfields, i);
}

/* ---- names ---- */

START_TEST(test_policy_names)
{
	enum policy_type t;
	enum policy_applicant a;
	enum policy_procedure p;
	enum policy_authority au;

	ck_assert_str_eq(policy_type_name(POLICY_SIGN), "sign");
	ck_assert_str_eq(policy_type_name(POLICY_AUTH), "auth");
	ck_assert_int_eq(policy_type_parse("sign", &t), 0);
	ck_assert_int_eq(t, POLICY_SIGN);
	ck_assert_int_eq(policy_type_parse("auth", &t), 0);
	ck_assert_int_eq(t, POLICY_AUTH);
	ck_assert_int_eq(policy_type_parse("SIGN", &t), -1);
	ck_assert_int_eq(policy_type_parse("", &t), -1);
	ck_assert_int_eq(policy_type_parse(NULL, &t), -1);

	ck_assert_str_eq(policy_applicant_name(POLICY_SELF), "self");
	ck_assert_str_eq(policy_applicant_name(POLICY_LEGAL_REP), "legal_representative");
	ck_assert_str_eq(policy_applicant_name(POLICY_PROXY), "voluntary_proxy");
	ck_assert_int_eq(policy_applicant_parse("voluntary_proxy", &a), 0);
	ck_assert_int_eq(a, POLICY_PROXY);
	ck_assert_int_eq(policy_applicant_parse("legal_representative", &a), 0);
	ck_assert_int_eq(a, POLICY_LEGAL_REP);
	ck_assert_int_eq(policy_applicant_parse("self", &a), 0);
	ck_assert_int_eq(a, POLICY_SELF);
	ck_assert_int_eq(policy_applicant_parse("proxy", &a), -1);

	ck_assert_str_eq(policy_procedure_name(POLICY_ISSUE), "issue");
	ck_assert_str_eq(policy_procedure_name(POLICY_RENEW), "renew");
	ck_assert_int_eq(policy_procedure_parse("renew", &p), 0);
	ck_assert_int_eq(p, POLICY_RENEW);
	ck_assert_int_eq(policy_procedure_parse("issue", &p), 0);
	ck_assert_int_eq(p, POLICY_ISSUE);
	ck_assert_int_eq(policy_procedure_parse("renewal", &p), -1);

	ck_assert_str_eq(policy_renewal_name(POLICY_NEW), "new");
	ck_assert_str_eq(policy_renewal_name(POLICY_RENEW_WINDOW), "renewal");
	ck_assert_str_eq(policy_renewal_name(POLICY_RENEW_EXPIRED), "renewal_after_expiry");
	ck_assert_str_eq(policy_renewal_name(POLICY_REISSUE_EARLY), "reissue");

	ck_assert_int_eq(policy_authority_parse("none", &au), 0);
	ck_assert_int_eq(au, POLICY_AUTHORITY_NONE);
	ck_assert_int_eq(policy_authority_parse("family_register", &au), 0);
	ck_assert_int_eq(au, POLICY_AUTHORITY_FAMILY_REGISTER);
	ck_assert_int_eq(policy_authority_parse("guardianship", &au), 0);
	ck_assert_int_eq(au, POLICY_AUTHORITY_GUARDIANSHIP);
	ck_assert_int_eq(policy_authority_parse("same_household", &au), 0);
	ck_assert_int_eq(au, POLICY_AUTHORITY_SAME_HOUSEHOLD);
	ck_assert_int_eq(policy_authority_parse("koseki", &au), -1);
}
END_TEST

/* ---- R1 ---- */

static const struct {
	const char	*status, *muni;
	const char	*slug;		/* NULL: allowed */
} r1_rows[] = {
	{ "registered", "131016", NULL },
	{ "removed", "131016", "not-registered" },
	{ "deceased", "131016", "not-registered" },
	{ "registered", "271004", "other-municipality" },
	/* Another municipality's resident: nothing about their status leaks. */
	{ "removed", "271004", "other-municipality" },
};

START_TEST(test_r1_registered_here)
{
	struct fixture f;
	struct policy_refusal r;
	int rc;

	fixture_init(&f, T_1121_1000);
	f.res.status = r1_rows[_i].status;
	f.res.municipality_code = r1_rows[_i].muni;
	rc = policy_r1_registered_here(&f.res, "131016", &r);
	assert_outcome(rc, r, r1_rows[_i].slug == NULL ? NULL : "R1", r1_rows[_i].slug);
}
END_TEST

/* ---- R2 / R17 ---- */

static const struct {
	const char	*what;
	int		 present, juki;
	const char	*status;
	struct jpdate	 expires_on;
	time_t		 now;
	const char	*rule, *slug;
} r2_rows[] = {
	{ "active, valid", 1, 0, "active", { 2035, 1, 1 }, T_1121_1000, NULL, NULL },
	{ "no card", 0, 0, "active", { 2035, 1, 1 }, T_1121_1000, "R2", "no-card" },
	{ "lost", 1, 0, "lost", { 2035, 1, 1 }, T_1121_1000, "R2", "card-not-active" },
	{ "suspended", 1, 0, "suspended", { 2035, 1, 1 }, T_1121_1000, "R2", "card-not-active" },
	{ "expired yesterday", 1, 0, "active", { 2026, 11, 20 }, T_1121_1000, "R2", "card-expired" },
	{ "expires today", 1, 0, "active", { 2026, 11, 21 }, T_1121_1000, NULL, NULL },
	/* JST boundary: 14:59:59 UTC is still the expiry date in Japan. */
	{ "expiry day, 23:59:59 JST", 1, 0, "active", { 2026, 11, 20 }, T_1120_2359, NULL, NULL },
	{ "day after, 00:00:00 JST", 1, 0, "active", { 2026, 11, 20 }, T_1121_0000, "R2",
	    "card-expired" },
	/* R17: the cutoff second 2015-12-22 17:00:00 JST. */
	{ "Juki, 1 s before cutoff", 1, 1, "active", { 2016, 1, 1 }, 1450771199, "R2",
	    "not-mynumber-card" },
	{ "Juki, at cutoff", 1, 1, "active", { 2016, 1, 1 }, 1450771200, "R17", "juki-card" },
	{ "Juki, now", 1, 1, "active", { 2035, 1, 1 }, T_1121_1000, "R17", "juki-card" },
};

START_TEST(test_r2_valid_card)
{
	struct fixture f;
	struct policy_refusal r;
	int rc;

	fixture_init(&f, r2_rows[_i].now);
	f.card.present = r2_rows[_i].present;
	f.card.juki = r2_rows[_i].juki;
	f.card.status = r2_rows[_i].status;
	f.card.expires_on = r2_rows[_i].expires_on;
	rc = policy_r2_valid_card(&f.card, r2_rows[_i].now, &r);
	ck_assert_msg(r2_rows[_i].rule != NULL || rc == 0, "%s: refused %s %s", r2_rows[_i].what,
	    r.rule, r.slug);
	assert_outcome(rc, r, r2_rows[_i].rule, r2_rows[_i].slug);
	if (rc != 0) {
		ck_assert_int_eq(r.nfields, 1);
		ck_assert_str_eq(r.fields[0], "card_number");
	}
}
END_TEST

START_TEST(test_r2_not_active_names_status)
{
	struct fixture f;
	struct policy_refusal r;

	fixture_init(&f, T_1121_1000);
	ck_assert_int_eq(policy_r2_valid_card(NULL, T_1121_1000, &r), -1);
	ck_assert_str_eq(r.slug, "no-card");
	f.card.status = "returned";
	ck_assert_int_eq(policy_r2_valid_card(&f.card, T_1121_1000, &r), -1);
	ck_assert_ptr_nonnull(strstr(r.detail, "returned"));
}
END_TEST

static const struct {
	int	 juki;
	time_t	 now;
	int	 rc;
} r17_rows[] = {
	{ 1, 1450771199, 0 },	/* 2015-12-22 16:59:59 JST */
	{ 1, 1450771200, -1 },	/* 2015-12-22 17:00:00 JST */
	{ 1, 1450771201, -1 },
	{ 0, 1450771200, 0 },	/* a My Number card */
	{ 0, T_1121_1000, 0 },
};

START_TEST(test_r17_juki_cutoff)
{
	struct policy_refusal r;
	int rc = policy_r17_juki(r17_rows[_i].juki, r17_rows[_i].now, &r);

	ck_assert_int_eq(rc, r17_rows[_i].rc);
	if (rc != 0) {
		ck_assert_str_eq(r.rule, "R17");
		ck_assert_str_eq(r.slug, "juki-card");
	}
}
END_TEST

/* ---- R3 ---- */

static const struct {
	const char	*what;
	struct policy_four card;	/* the register is four_base */
	const char	*fields[8];	/* empty: matches */
} r3_rows[] = {
	{ "same", { "山田", "太郎", NULL, NULL, { 1990, 11, 21 }, '1', "東京都千代田区千代田1-1" },
	    { NULL } },
	{ "family name", { "山本", "太郎", NULL, NULL, { 1990, 11, 21 }, '1',
	    "東京都千代田区千代田1-1" }, { "family_name", NULL } },
	{ "former surname added", { "山田", "太郎", "鈴木", NULL, { 1990, 11, 21 }, '1',
	    "東京都千代田区千代田1-1" }, { "former_surname", NULL } },
	{ "alias added", { "山田", "太郎", NULL, "ヤマダ", { 1990, 11, 21 }, '1',
	    "東京都千代田区千代田1-1" }, { "alias", NULL } },
	{ "sex", { "山田", "太郎", NULL, NULL, { 1990, 11, 21 }, '2', "東京都千代田区千代田1-1" },
	    { "sex", NULL } },
	{ "moved and birth", { "山田", "太郎", NULL, NULL, { 1990, 11, 20 }, '1',
	    "大阪府大阪市北区1-1" }, { "birth_date", "address", NULL } },
	{ "everything", { "山本", "次郎", "鈴木", "ヤマ", { 1991, 1, 1 }, '9', "札幌" },
	    { "family_name", "given_name", "former_surname", "alias", "birth_date", "sex",
	    "address", NULL } },
};

START_TEST(test_r3_card_mismatch_fields)
{
	struct fixture f;
	struct policy_refusal r;
	int rc;

	fixture_init(&f, T_1121_1000);
	f.card.four = r3_rows[_i].card;
	rc = policy_r3_card_matches(&f.res, &f.card, &r);
	if (r3_rows[_i].fields[0] == NULL) {
		ck_assert_msg(rc == 0, "%s: refused", r3_rows[_i].what);
		return;
	}
	assert_outcome(rc, r, "R3", "card-mismatch");
	assert_fields(&r, r3_rows[_i].fields);
}
END_TEST

/* The register's former surname on both sides: NULL == NULL, "鈴木" == "鈴木". */
START_TEST(test_r3_former_surname_on_both)
{
	struct fixture f;
	struct policy_refusal r;

	fixture_init(&f, T_1121_1000);
	f.res.four.former_surname = "鈴木";
	f.card.four.former_surname = "鈴木";
	ck_assert_int_eq(policy_r3_card_matches(&f.res, &f.card, &r), 0);
	f.card.four.former_surname = NULL;
	ck_assert_int_eq(policy_r3_card_matches(&f.res, &f.card, &r), -1);
	ck_assert_str_eq(r.fields[0], "former_surname");
}
END_TEST

/* ---- R4 / R5 ---- */

static const struct {
	const char	*what;
	struct jpdate	 birth;
	int		 ward;
	time_t		 now;
	const char	*slug;
} r4_rows[] = {
	{ "day before 15th birthday", { 2011, 11, 21 }, 0, T_1120_1000, "sign-under-15" },
	{ "15th birthday", { 2011, 11, 21 }, 0, T_1121_1000, NULL },
	{ "day after", { 2011, 11, 21 }, 0, T_1122_1000, NULL },
	/* JST: 2026-11-20 14:59:59 UTC is still the 20th in Japan. */
	{ "eve, 23:59:59 JST", { 2011, 11, 21 }, 0, T_1120_2359, "sign-under-15" },
	{ "birthday, 00:00:00 JST", { 2011, 11, 21 }, 0, T_1121_0000, NULL },
	/* 29 Feb birth: 15 on 1 March of a common year (R5, legal rule). */
	{ "29 Feb, on 28 Feb 2027", { 2012, 2, 29 }, 0, 1803776400, "sign-under-15" },
	{ "29 Feb, on 1 Mar 2027", { 2012, 2, 29 }, 0, 1803862800, NULL },
	{ "adult ward", { 1990, 11, 21 }, 1, T_1121_1000, "sign-adult-ward" },
	{ "adult", { 1990, 11, 21 }, 0, T_1121_1000, NULL },
};

START_TEST(test_r4_sign_age_and_capacity)
{
	struct fixture f;
	struct policy_refusal r;
	int rc;

	fixture_init(&f, r4_rows[_i].now);
	fixture_birth(&f, r4_rows[_i].birth);
	f.res.adult_ward = r4_rows[_i].ward;
	rc = policy_r4_sign_allowed(&f.res, r4_rows[_i].now, &r);
	ck_assert_msg(r4_rows[_i].slug != NULL || rc == 0, "%s: refused", r4_rows[_i].what);
	assert_outcome(rc, r, r4_rows[_i].slug == NULL ? NULL : "R4", r4_rows[_i].slug);
}
END_TEST

/* R4/R5 through policy_plan: AUTH has no age limit, SIGN from the 15th birthday. */
static const struct {
	time_t	 now;
	int	 sign_eligible;
	time_t	 auth_not_after;
} r5_plan_rows[] = {
	{ T_1120_1000, 0, 1921503599 },		/* 14: 5th birthday after 11-20 = 2030-11-21 */
	{ T_1121_1000, 1, 1953039599 },		/* 15 today: birthday today not counted: 2031 */
	{ T_1122_1000, 1, 1953039599 },
};

START_TEST(test_r5_plan_15th_birthday)
{
	struct fixture f;
	struct policy_plan p;

	fixture_init(&f, r5_plan_rows[_i].now);
	fixture_birth(&f, D(2011, 11, 21));
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, POLICY_ISSUE, 0, &p), 0);
	ck_assert_int_eq(p.not_after, r5_plan_rows[_i].auth_not_after);
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_ISSUE, 0, &p),
	    r5_plan_rows[_i].sign_eligible ? 0 : -1);
	ck_assert_int_eq(p.eligible, r5_plan_rows[_i].sign_eligible);
	if (!p.eligible) {
		ck_assert_str_eq(p.refusal.rule, "R4");
		ck_assert_str_eq(p.refusal.slug, "sign-under-15");
	} else
		ck_assert_int_eq(p.not_after, r5_plan_rows[_i].auth_not_after);
}
END_TEST

/* ---- R6 ---- */

static const struct {
	const char	*what;
	struct jpdate	 birth;
	time_t		 now;
	int		 n;
	struct jpdate	 card_expires;
	time_t		 want;
	const char	*capped_by;
} r6_rows[] = {
	/* Decision: a birthday on the issuance date does not count (2031, not 2030). */
	{ "birthday on issuance day", { 1990, 11, 21 }, T_1121_1000, 5, { 2040, 1, 1 },
	    END_20311121, "birthday" },
	{ "day before birthday", { 1990, 11, 21 }, T_1120_1000, 5, { 2040, 1, 1 },
	    END_20301121, "birthday" },
	{ "day after birthday", { 1990, 11, 21 }, T_1122_1000, 5, { 2040, 1, 1 },
	    END_20311121, "birthday" },
	/* The JST date decides: 14:59:59 UTC vs 15:00:00 UTC. */
	{ "23:59:59 JST eve", { 1990, 11, 21 }, T_1120_2359, 5, { 2040, 1, 1 },
	    END_20301121, "birthday" },
	{ "00:00:00 JST birthday", { 1990, 11, 21 }, T_1121_0000, 5, { 2040, 1, 1 },
	    END_20311121, "birthday" },
	{ "6th birthday (R8)", { 1990, 11, 21 }, T_1121_1000, 6, { 2040, 1, 1 },
	    END_20321121, "birthday" },
	{ "card expires first", { 1990, 11, 21 }, T_1121_1000, 5, { 2029, 3, 31 },
	    END_20290331, "card" },
	{ "card expires on the birthday", { 1990, 11, 21 }, T_1121_1000, 5, { 2031, 11, 21 },
	    END_20311121, "birthday" },
	/* 29 Feb births: 28 Feb in a common year, 29 Feb in a leap year. */
	{ "29 Feb, ends in common year", { 2000, 2, 29 }, 1772326800 /* 2026-03-01 10:00 */, 5,
	    { 2040, 1, 1 }, END_20310228, "birthday" },
	{ "29 Feb, ends in leap year", { 2000, 2, 29 }, 1772326800, 6, { 2040, 1, 1 },
	    END_20320229, "birthday" },
	{ "29 Feb, issued on 28 Feb (its birthday)", { 2000, 2, 29 },
	    1803776400 /* 2027-02-28 10:00 */, 5, { 2040, 1, 1 }, END_20320229, "birthday" },
};

START_TEST(test_r6_auth_not_after)
{
	const char *by = NULL;
	time_t t = policy_r6_auth_not_after(r6_rows[_i].birth, r6_rows[_i].now, r6_rows[_i].n,
	    r6_rows[_i].card_expires, &by);

	ck_assert_msg(t == r6_rows[_i].want, "%s: %lld, want %lld", r6_rows[_i].what,
	    (long long)t, (long long)r6_rows[_i].want);
	ck_assert_str_eq(by, r6_rows[_i].capped_by);
}
END_TEST

/* ---- R7 ---- */

static const struct {
	const char	*what;
	struct jpdate	 card_expires;
	time_t		 auth_not_after;
	time_t		 want;
	const char	*capped_by;
} r7_rows[] = {
	/* Born 1990-11-21, issued 2026-11-21 10:00 JST: the 5th birthday is 2031-11-21. */
	{ "no AUTH", { 2040, 1, 1 }, 0, END_20311121, "birthday" },
	{ "AUTH ends first", { 2040, 1, 1 }, END_20280510, END_20280510, "auth" },
	{ "AUTH ends later", { 2040, 1, 1 }, END_20321121, END_20311121, "birthday" },
	{ "AUTH ends on the birthday", { 2040, 1, 1 }, END_20311121, END_20311121, "birthday" },
	{ "card first, AUTH later", { 2029, 3, 31 }, END_20301121, END_20290331, "card" },
	{ "AUTH before card", { 2029, 3, 31 }, END_20280510, END_20280510, "auth" },
};

START_TEST(test_r7_sign_not_after)
{
	const char *by = NULL;
	time_t t = policy_r7_sign_not_after(D(1990, 11, 21), T_1121_1000, 5,
	    r7_rows[_i].card_expires, r7_rows[_i].auth_not_after, &by);

	ck_assert_msg(t == r7_rows[_i].want, "%s: %lld", r7_rows[_i].what, (long long)t);
	ck_assert_str_eq(by, r7_rows[_i].capped_by);
}
END_TEST

/* R7 through policy_plan: a SIGN added later takes the valid AUTH's remaining period. */
START_TEST(test_r7_plan_sign_capped_by_current_auth)
{
	struct fixture f;
	struct policy_plan p;

	fixture_init(&f, T_1121_1000);
	f.ctx.latest[POLICY_AUTH].present = 1;
	f.ctx.latest[POLICY_AUTH].not_before = 1715000000;
	f.ctx.latest[POLICY_AUTH].not_after = END_20280510;
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_ISSUE, 0, &p), 0);
	ck_assert_int_eq(p.not_after, END_20280510);
	ck_assert_str_eq(p.capped_by, "auth");
	ck_assert_int_eq(p.supersedes, 0);
	ck_assert_int_eq(p.renewal, POLICY_NEW);

	/* An expired AUTH caps nothing. */
	f.ctx.latest[POLICY_AUTH].not_after = T_1121_1000 - 1;
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_ISSUE, 0, &p), 0);
	ck_assert_int_eq(p.not_after, END_20311121);
	ck_assert_str_eq(p.capped_by, "birthday");

	/* An explicit auth_cap wins over the latest AUTH. */
	f.ctx.latest[POLICY_AUTH].not_after = END_20280510;
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_ISSUE, END_20290331, &p), 0);
	ck_assert_int_eq(p.not_after, END_20290331);
	ck_assert_str_eq(p.capped_by, "auth");

	/* The card caps SIGN too. */
	f.card.expires_on = D(2027, 3, 31);
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_ISSUE, 0, &p), 0);
	ck_assert_int_eq(p.not_after, 1806505199);	/* 2027-03-31 23:59:59 JST */
	ck_assert_str_eq(p.capped_by, "card");
}
END_TEST

/* ---- R8 ---- */

static const struct {
	const char		*what;
	int			 present;
	time_t			 not_after;
	time_t			 now;
	enum policy_renewal	 want;
	struct jpdate		 opens;
} r8_rows[] = {
	{ "nothing on record", 0, 0, T_1121_1000, POLICY_NEW, { 0, 0, 0 } },
	/* notAfter 2031-11-21 23:59:59 JST: the window opens 2031-08-21. */
	{ "exactly 3 months before", 1, END_20311121, 1945004400 /* 2031-08-21 00:00:00 */,
	    POLICY_RENEW_WINDOW, { 2031, 8, 21 } },
	{ "one second earlier", 1, END_20311121, 1945004399 /* 2031-08-20 23:59:59 */,
	    POLICY_REISSUE_EARLY, { 2031, 8, 21 } },
	{ "one day earlier", 1, END_20311121, 1944954000 /* 2031-08-20 10:00 */,
	    POLICY_REISSUE_EARLY, { 2031, 8, 21 } },
	{ "on the notAfter day", 1, END_20311121, 1952989200 /* 2031-11-21 10:00 */,
	    POLICY_RENEW_WINDOW, { 2031, 8, 21 } },
	{ "the notAfter second", 1, END_20311121, END_20311121, POLICY_RENEW_WINDOW,
	    { 2031, 8, 21 } },
	{ "one second after", 1, END_20311121, END_20311121 + 1, POLICY_RENEW_EXPIRED,
	    { 2031, 8, 21 } },
	{ "long after expiry", 1, END_20311121, 1957309200 /* 2032-01-10 10:00 */,
	    POLICY_RENEW_EXPIRED, { 2031, 8, 21 } },
	/* Month clamping: notAfter 2031-05-31 -> the window opens 2031-02-28. */
	{ "clamped, first day", 1, END_20310531, 1930006800 /* 2031-02-28 10:00 */,
	    POLICY_RENEW_WINDOW, { 2031, 2, 28 } },
	{ "clamped, day before", 1, END_20310531, 1929920400 /* 2031-02-27 10:00 */,
	    POLICY_REISSUE_EARLY, { 2031, 2, 28 } },
};

START_TEST(test_r8_renewal_kind)
{
	struct policy_cert c = { r8_rows[_i].present, 0, r8_rows[_i].not_after };
	struct jpdate opens = { 0, 0, 0 };
	enum policy_renewal k = policy_r8_renewal(&c, r8_rows[_i].now, &opens);

	ck_assert_msg(k == r8_rows[_i].want, "%s: %s, want %s", r8_rows[_i].what,
	    policy_renewal_name(k), policy_renewal_name(r8_rows[_i].want));
	ck_assert_msg(jpdate_cmp(opens, r8_rows[_i].opens) == 0, "%s: opens %d-%d-%d",
	    r8_rows[_i].what, opens.y, opens.m, opens.d);
}
END_TEST

/*
 * R8 through policy_plan: AUTH of a resident born 1990-11-21 ending
 * 2031-11-21 23:59:59 JST, card valid to 2040: in the window the 6th
 * birthday after the renewal date counts, otherwise the 5th.
 */
static const struct {
	const char		*what;
	time_t			 now;
	enum policy_renewal	 renewal;
	int			 n;
	time_t			 not_after;
	int			 supersedes;
} r8_plan_rows[] = {
	{ "window opens (2031-08-21)", 1945040400, POLICY_RENEW_WINDOW, 6, END_20361121, 1 },
	{ "one day earlier (2031-08-20)", 1944954000, POLICY_REISSUE_EARLY, 5, END_20351121, 1 },
	/* On the notAfter day (a birthday, not counted): 6th after is 2037. */
	{ "notAfter day (2031-11-21)", 1952989200, POLICY_RENEW_WINDOW, 6, END_20371121, 1 },
	{ "after expiry (2031-11-22)", 1953075600, POLICY_RENEW_EXPIRED, 5, END_20361121, 0 },
};

START_TEST(test_r8_plan_renewal_birthday)
{
	struct fixture f;
	struct policy_plan p;
	int proc;

	for (proc = POLICY_ISSUE; proc <= POLICY_RENEW; proc++) {
		fixture_init(&f, r8_plan_rows[_i].now);
		f.ctx.latest[POLICY_AUTH].present = 1;
		f.ctx.latest[POLICY_AUTH].not_before = 1795222800;
		f.ctx.latest[POLICY_AUTH].not_after = END_20311121;
		ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, (enum policy_procedure)proc, 0,
		    &p), 0);
		ck_assert_int_eq(p.eligible, 1);
		ck_assert_msg(p.renewal == r8_plan_rows[_i].renewal, "%s: %s",
		    r8_plan_rows[_i].what, policy_renewal_name(p.renewal));
		ck_assert_int_eq(p.birthday_n, r8_plan_rows[_i].n);
		ck_assert_msg(p.not_after == r8_plan_rows[_i].not_after, "%s: %lld",
		    r8_plan_rows[_i].what, (long long)p.not_after);
		ck_assert_str_eq(p.capped_by, "birthday");
		ck_assert_int_eq(p.supersedes, r8_plan_rows[_i].supersedes);
		ck_assert_int_eq(p.not_before, r8_plan_rows[_i].now);
		ck_assert(jpdate_cmp(p.window_opens, D(2031, 8, 21)) == 0);
		ck_assert_int_eq(p.fee_yen, 0);
	}
}
END_TEST

START_TEST(test_r8_nothing_to_renew)
{
	struct fixture f;
	struct policy_plan p;

	fixture_init(&f, T_1121_1000);
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, POLICY_RENEW, 0, &p), -1);
	ck_assert_int_eq(p.eligible, 0);
	ck_assert_str_eq(p.refusal.rule, "R8");
	ck_assert_str_eq(p.refusal.slug, "nothing-to-renew");
	/* The same as an issuance is fine. */
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, POLICY_ISSUE, 0, &p), 0);
	ck_assert_int_eq(p.renewal, POLICY_NEW);
	ck_assert_int_eq(p.not_after, END_20311121);
	ck_assert_int_eq(p.birthday_n, 5);
	/* An AUTH on record does not make a SIGN renewable. */
	f.ctx.latest[POLICY_AUTH].present = 1;
	f.ctx.latest[POLICY_AUTH].not_after = END_20311121;
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.slug, "nothing-to-renew");
}
END_TEST

/* ---- policy_plan rule order ---- */

START_TEST(test_r1_plan_rule_order)
{
	struct fixture f;
	struct policy_plan p;

	/* Everything wrong: R1 first. */
	fixture_init(&f, T_1121_1000);
	f.res.status = "removed";
	f.card.present = 0;
	f.card.four.family_name = "山本";
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R1");
	/* Then R2 (R17 for a Juki card) before R3. */
	f.res.status = "registered";
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R2");
	f.card.present = 1;
	f.card.juki = 1;
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R17");
	/* Then R3 before R4. */
	f.card.juki = 0;
	fixture_birth(&f, D(2011, 11, 22));	/* 14 */
	f.card.four.family_name = "山本";
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R3");
	/* Then R4 (SIGN only) before R8. */
	f.card.four.family_name = "山田";
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R4");
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R8");
	/* Then R8 before R20. */
	fixture_birth(&f, D(1990, 11, 21));
	f.res.four.family_name = "𠮷田";
	f.card.four.family_name = "𠮷田";
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_RENEW, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R8");
	/* R20 for SIGN only. */
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_SIGN, POLICY_ISSUE, 0, &p), -1);
	ck_assert_str_eq(p.refusal.rule, "R20");
	ck_assert_str_eq(p.refusal.slug, "unrepresentable");
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, POLICY_ISSUE, 0, &p), 0);
	ck_assert_int_eq(p.eligible, 1);
}
END_TEST

/* ---- R13 ---- */

static const struct {
	const char		*what;
	enum policy_applicant	 a;
	struct jpdate		 birth;
	int			 ward, supersedes, covers;
	const char		*slug;		/* NULL: allowed (now: 2026-11-21 10:00 JST) */
} r13_rows[] = {
	{ "self, adult", POLICY_SELF, { 1990, 11, 21 }, 0, 0, 0, NULL },
	{ "self, 14", POLICY_SELF, { 2011, 11, 22 }, 0, 0, 0, "legal-representative-required" },
	{ "self, 15 today", POLICY_SELF, { 2011, 11, 21 }, 0, 0, 0, NULL },
	{ "self, adult ward", POLICY_SELF, { 1990, 11, 21 }, 1, 0, 0,
	    "legal-representative-required" },
	{ "self, superseding", POLICY_SELF, { 1990, 11, 21 }, 0, 1, 0, NULL },
	{ "legal rep, 14", POLICY_LEGAL_REP, { 2011, 11, 22 }, 0, 0, 0, NULL },
	{ "legal rep, 16", POLICY_LEGAL_REP, { 2010, 1, 1 }, 0, 0, 0, NULL },
	{ "legal rep, 17 (18 tomorrow)", POLICY_LEGAL_REP, { 2008, 11, 22 }, 0, 0, 0, NULL },
	{ "legal rep, 18 today", POLICY_LEGAL_REP, { 2008, 11, 21 }, 0, 0, 0,
	    "legal-representative-not-allowed" },
	{ "legal rep, adult", POLICY_LEGAL_REP, { 1990, 11, 21 }, 0, 0, 0,
	    "legal-representative-not-allowed" },
	{ "legal rep, adult ward", POLICY_LEGAL_REP, { 1990, 11, 21 }, 1, 0, 0, NULL },
	{ "proxy, 14", POLICY_PROXY, { 2011, 11, 22 }, 0, 0, 0, "proxy-not-allowed" },
	{ "proxy, adult ward", POLICY_PROXY, { 1990, 11, 21 }, 1, 0, 0, "proxy-not-allowed" },
	{ "proxy, 15 today", POLICY_PROXY, { 2011, 11, 21 }, 0, 0, 0, NULL },
	{ "proxy, adult", POLICY_PROXY, { 1990, 11, 21 }, 0, 0, 0, NULL },
	{ "proxy, superseding without revocation", POLICY_PROXY, { 1990, 11, 21 }, 0, 1, 0,
	    "delegation-lacks-revocation" },
	{ "proxy, superseding with revocation", POLICY_PROXY, { 1990, 11, 21 }, 0, 1, 1, NULL },
};

START_TEST(test_r13_applicant)
{
	struct fixture f;
	struct policy_refusal r;
	int rc;

	fixture_init(&f, T_1121_1000);
	fixture_birth(&f, r13_rows[_i].birth);
	f.res.adult_ward = r13_rows[_i].ward;
	rc = policy_r13_applicant(r13_rows[_i].a, &f.res, T_1121_1000, r13_rows[_i].supersedes,
	    r13_rows[_i].covers, &r);
	ck_assert_msg(r13_rows[_i].slug != NULL || rc == 0, "%s: refused %s", r13_rows[_i].what,
	    r.slug);
	assert_outcome(rc, r, r13_rows[_i].slug == NULL ? NULL : "R13", r13_rows[_i].slug);
}
END_TEST

static const struct {
	time_t	 created;
	int	 days;
	time_t	 want;
} r13_expiry_rows[] = {
	{ T_1121_1000, 30, 1797865199 },	/* end of 2026-12-21 JST */
	{ 1795188600, 30, 1797865199 },		/* 2026-11-21 00:30 JST (11-20 15:30 UTC) */
	{ 1795185000, 30, 1797778799 },		/* 2026-11-20 23:30 JST: end of 2026-12-20 */
	{ T_1121_1000, 0, 1795273199 },		/* end of the same day */
};

START_TEST(test_r13_inquiry_expires)
{
	ck_assert_int_eq(policy_r13_inquiry_expires(r13_expiry_rows[_i].created,
	    r13_expiry_rows[_i].days), r13_expiry_rows[_i].want);
}
END_TEST

static const struct {
	time_t	 filed, now;
	int	 rc;
} r13_visit_rows[] = {
	{ T_1121_1000, 1795244400, -1 },	/* 2026-11-21 16:00 JST: same day */
	{ T_1121_1000, 1795273199, -1 },	/* 2026-11-21 23:59:59 JST */
	{ T_1121_1000, 1795273200, 0 },		/* 2026-11-22 00:00:00 JST */
	{ T_1121_1000, 1795305600, 0 },		/* 2026-11-22 09:00 JST: next day */
	{ T_1121_1000, T_1121_1000 - 86400, -1 },	/* before filing */
	{ 1795186799, 1795186800, 0 },		/* 23:59:59 JST filed, 00:00:00 JST next day */
};

START_TEST(test_r13_second_visit_never_same_day)
{
	struct policy_refusal r;
	int rc = policy_r13_second_visit(r13_visit_rows[_i].filed, r13_visit_rows[_i].now, &r);

	ck_assert_int_eq(rc, r13_visit_rows[_i].rc);
	if (rc != 0) {
		ck_assert_str_eq(r.rule, "R13");
		ck_assert_str_eq(r.slug, "same-day");
	}
}
END_TEST

#define INQ_EXP	((time_t)1797865199)	/* end of 2026-12-21 JST */

static const struct {
	const char		*state;
	int			 wrong;
	time_t			 now;
	int			 match;
	enum policy_answer	 want;
} r13_answer_rows[] = {
	{ "open", 0, T_1122_1000, 1, POLICY_ANSWER_OK },
	{ "open", 0, T_1122_1000, 0, POLICY_ANSWER_WRONG },	/* 1st wrong */
	{ "open", 3, T_1122_1000, 0, POLICY_ANSWER_WRONG },	/* 4th wrong */
	{ "open", 4, T_1122_1000, 0, POLICY_ANSWER_VOID },	/* 5th wrong: void */
	{ "open", 4, T_1122_1000, 1, POLICY_ANSWER_OK },	/* right on the last try */
	{ "open", 5, T_1122_1000, 1, POLICY_ANSWER_VOID },	/* attempts used up */
	{ "open", 0, INQ_EXP, 1, POLICY_ANSWER_OK },		/* the last second */
	{ "open", 0, INQ_EXP + 1, 1, POLICY_ANSWER_EXPIRED },	/* expired */
	{ "open", 4, INQ_EXP + 1, 0, POLICY_ANSWER_EXPIRED },	/* expiry before the code */
	{ "void", 0, T_1122_1000, 1, POLICY_ANSWER_VOID },
	{ "answered", 0, T_1122_1000, 1, POLICY_ANSWER_VOID },	/* one-time */
	{ "expired", 0, T_1122_1000, 1, POLICY_ANSWER_EXPIRED },
	{ NULL, 0, T_1122_1000, 1, POLICY_ANSWER_VOID },
};

START_TEST(test_r13_answer)
{
	enum policy_answer got = policy_r13_answer(r13_answer_rows[_i].state,
	    r13_answer_rows[_i].wrong, INQ_EXP, r13_answer_rows[_i].now, r13_answer_rows[_i].match);

	ck_assert_int_eq(got, r13_answer_rows[_i].want);
}
END_TEST

/* ---- R14 ---- */

#define DOC(kind, holder, expired, copy) { (kind), POLICY_HOLDER_ ## holder, (expired), (copy) }

static const struct {
	const char		*what;
	enum policy_applicant	 a;
	struct policy_doc	 docs[3];
	size_t			 ndocs;
	enum policy_authority	 authority;
	const char		*slug;		/* NULL: sufficient */
	const char		*fields[3];
} r14_rows[] = {
	{ "self, card", POLICY_SELF, { DOC("mynumber_card", RESIDENT, 0, 0) }, 1,
	    POLICY_AUTHORITY_NONE, NULL, { NULL } },
	{ "self, expired card", POLICY_SELF, { DOC("mynumber_card", RESIDENT, 1, 0) }, 1,
	    POLICY_AUTHORITY_NONE, "insufficient-evidence", { "evidence.documents", NULL } },
	{ "self, copy of card", POLICY_SELF, { DOC("mynumber_card", RESIDENT, 0, 1) }, 1,
	    POLICY_AUTHORITY_NONE, "insufficient-evidence", { "evidence.documents", NULL } },
	{ "self, licence only", POLICY_SELF, { DOC("drivers_licence", RESIDENT, 0, 0) }, 1,
	    POLICY_AUTHORITY_NONE, "insufficient-evidence", { "evidence.documents", NULL } },
	{ "self, nothing", POLICY_SELF, { DOC(NULL, RESIDENT, 0, 0) }, 0,
	    POLICY_AUTHORITY_NONE, "insufficient-evidence", { "evidence.documents", NULL } },
	{ "unknown kind", POLICY_SELF, { DOC("library_card", RESIDENT, 0, 0) }, 1,
	    POLICY_AUTHORITY_NONE, "unknown-document", { "evidence.documents", NULL } },
	{ "unknown kind beside a card", POLICY_SELF, { DOC("mynumber_card", RESIDENT, 0, 0),
	    DOC("library_card", RESIDENT, 0, 0) }, 2, POLICY_AUTHORITY_NONE, "unknown-document",
	    { "evidence.documents", NULL } },
	{ "legal rep, passport + family register", POLICY_LEGAL_REP,
	    { DOC("passport", APPLICANT, 0, 0) }, 1, POLICY_AUTHORITY_FAMILY_REGISTER, NULL,
	    { NULL } },
	{ "legal rep, passport + guardianship", POLICY_LEGAL_REP,
	    { DOC("passport", APPLICANT, 0, 0) }, 1, POLICY_AUTHORITY_GUARDIANSHIP, NULL,
	    { NULL } },
	{ "legal rep, same household", POLICY_LEGAL_REP,
	    { DOC("drivers_licence", APPLICANT, 0, 0) }, 1, POLICY_AUTHORITY_SAME_HOUSEHOLD,
	    NULL, { NULL } },
	{ "legal rep without authority", POLICY_LEGAL_REP,
	    { DOC("passport", APPLICANT, 0, 0) }, 1, POLICY_AUTHORITY_NONE,
	    "insufficient-evidence", { "evidence.authority", NULL } },
	{ "legal rep, list B only", POLICY_LEGAL_REP,
	    { DOC("health_insurance_card", APPLICANT, 0, 0) }, 1,
	    POLICY_AUTHORITY_FAMILY_REGISTER, "insufficient-evidence",
	    { "evidence.documents", NULL } },
	{ "legal rep, the resident's ID", POLICY_LEGAL_REP,
	    { DOC("mynumber_card", RESIDENT, 0, 0) }, 1, POLICY_AUTHORITY_FAMILY_REGISTER,
	    "insufficient-evidence", { "evidence.documents", NULL } },
	{ "legal rep, nothing", POLICY_LEGAL_REP, { DOC(NULL, APPLICANT, 0, 0) }, 0,
	    POLICY_AUTHORITY_NONE, "insufficient-evidence",
	    { "evidence.documents", "evidence.authority", NULL } },
	{ "proxy, licence", POLICY_PROXY, { DOC("drivers_licence", APPLICANT, 0, 0) }, 1,
	    POLICY_AUTHORITY_NONE, NULL, { NULL } },
	{ "proxy, expired licence", POLICY_PROXY, { DOC("drivers_licence", APPLICANT, 1, 0) }, 1,
	    POLICY_AUTHORITY_NONE, "insufficient-evidence", { "evidence.documents", NULL } },
	{ "proxy, two of list B", POLICY_PROXY, { DOC("health_insurance_card", APPLICANT, 0, 0),
	    DOC("pension_book", APPLICANT, 0, 0) }, 2, POLICY_AUTHORITY_NONE,
	    "insufficient-evidence", { "evidence.documents", NULL } },
	{ "proxy, a copy and a passport", POLICY_PROXY, { DOC("residence_card", APPLICANT, 0, 1),
	    DOC("passport", APPLICANT, 0, 0) }, 2, POLICY_AUTHORITY_NONE, NULL, { NULL } },
};

START_TEST(test_r14_evidence)
{
	struct policy_evidence ev = { r14_rows[_i].docs, r14_rows[_i].ndocs,
	    r14_rows[_i].authority };
	struct policy_refusal r;
	int rc = policy_r14_evidence(r14_rows[_i].a, &ev, &r);

	ck_assert_msg(r14_rows[_i].slug != NULL || rc == 0, "%s: refused %s: %s",
	    r14_rows[_i].what, r.slug, r.detail);
	assert_outcome(rc, r, r14_rows[_i].slug == NULL ? NULL : "R14", r14_rows[_i].slug);
	if (rc != 0)
		assert_fields(&r, r14_rows[_i].fields);
}
END_TEST

START_TEST(test_r14_doc_lists)
{
	ck_assert_int_eq(policy_doc_list("mynumber_card"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("juki_card_photo"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("drivers_licence"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("driving_history_certificate"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("passport"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("residence_card"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("special_permanent_resident_certificate"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("disability_handbook"), POLICY_DOC_A);
	ck_assert_int_eq(policy_doc_list("health_insurance_card"), POLICY_DOC_B);
	ck_assert_int_eq(policy_doc_list("pension_book"), POLICY_DOC_B);
	ck_assert_int_eq(policy_doc_list("student_id"), POLICY_DOC_B);
	ck_assert_int_eq(policy_doc_list("Passport"), POLICY_DOC_UNKNOWN);
	ck_assert_int_eq(policy_doc_list(""), POLICY_DOC_UNKNOWN);
	ck_assert_int_eq(policy_doc_list(NULL), POLICY_DOC_UNKNOWN);
}
END_TEST

/* ---- R18 ---- */

static const struct {
	const char		*what;
	unsigned		 mask;
	enum policy_renewal	 sign, auth;
	int			 reissued, certs_on_card, waived;
	int			 total, fee_sign, fee_auth;
} r18_rows[] = {
	{ "first card, both", 3, POLICY_NEW, POLICY_NEW, 0, 0, 0, 0, 0, 0 },
	{ "later issuance, SIGN", 1, POLICY_NEW, POLICY_NEW, 0, 1, 0, 0, 0, 0 },
	{ "renewal in window", 3, POLICY_RENEW_WINDOW, POLICY_RENEW_WINDOW, 0, 2, 0, 0, 0, 0 },
	{ "renewal after expiry", 3, POLICY_RENEW_EXPIRED, POLICY_RENEW_EXPIRED, 0, 2, 0, 0, 0, 0 },
	{ "re-issued card, AUTH only", 2, POLICY_NEW, POLICY_NEW, 1, 0, 0, 200, 0, 200 },
	{ "re-issued card, SIGN only", 1, POLICY_NEW, POLICY_NEW, 1, 0, 0, 200, 200, 0 },
	{ "re-issued card, both: 200 in all", 3, POLICY_NEW, POLICY_NEW, 1, 0, 0, 200, 0, 200 },
	{ "re-issued card, early re-issue", 2, POLICY_NEW, POLICY_REISSUE_EARLY, 1, 0, 0, 200, 0,
	    200 },
	{ "re-issued card, renewal is free", 3, POLICY_RENEW_WINDOW, POLICY_NEW, 1, 0, 0, 200, 0,
	    200 },
	{ "re-issued card, after expiry is free", 3, POLICY_RENEW_EXPIRED, POLICY_RENEW_EXPIRED,
	    1, 0, 0, 0, 0, 0 },
	{ "re-issued card, second visit", 1, POLICY_NEW, POLICY_NEW, 1, 1, 0, 0, 0, 0 },
	{ "re-issued card, waived", 3, POLICY_NEW, POLICY_NEW, 1, 0, 1, 0, 0, 0 },
};

START_TEST(test_r18_fee_table)
{
	struct policy_plan plans[POLICY_NTYPES];
	struct policy_card card;
	struct policy_fees fees = { 200, 200, r18_rows[_i].waived };
	int total;

	memset(plans, 0, sizeof(plans));
	memset(&card, 0, sizeof(card));
	card.present = 1;
	card.reissued = r18_rows[_i].reissued;
	card.certs_issued_on_card = r18_rows[_i].certs_on_card;
	plans[POLICY_SIGN].eligible = plans[POLICY_AUTH].eligible = 1;
	plans[POLICY_SIGN].renewal = r18_rows[_i].sign;
	plans[POLICY_AUTH].renewal = r18_rows[_i].auth;
	plans[POLICY_SIGN].fee_yen = plans[POLICY_AUTH].fee_yen = -1;
	total = policy_r18_fee(r18_rows[_i].mask, plans, &card, &fees);
	ck_assert_msg(total == r18_rows[_i].total, "%s: %d", r18_rows[_i].what, total);
	if (r18_rows[_i].mask & POLICY_TYPE_BIT(POLICY_SIGN))
		ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, r18_rows[_i].fee_sign);
	else	/* untouched */
		ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, -1);
	if (r18_rows[_i].mask & POLICY_TYPE_BIT(POLICY_AUTH))
		ck_assert_int_eq(plans[POLICY_AUTH].fee_yen, r18_rows[_i].fee_auth);
	else
		ck_assert_int_eq(plans[POLICY_AUTH].fee_yen, -1);
}
END_TEST

/* Amounts are configuration: 300 per certificate, 500 for both (all on AUTH). */
START_TEST(test_r18_configured_amounts)
{
	struct policy_plan plans[POLICY_NTYPES];
	struct policy_card card = { .present = 1, .reissued = 1 };
	struct policy_fees fees = { 300, 500, 0 };

	memset(plans, 0, sizeof(plans));
	plans[POLICY_SIGN].eligible = plans[POLICY_AUTH].eligible = 1;
	ck_assert_int_eq(policy_r18_fee(1, plans, &card, &fees), 300);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, 300);
	ck_assert_int_eq(policy_r18_fee(3, plans, &card, &fees), 500);
	ck_assert_int_eq(plans[POLICY_AUTH].fee_yen, 500);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, 0);
	/* An ineligible plan costs nothing; the other is then charged alone. */
	plans[POLICY_SIGN].eligible = 0;
	ck_assert_int_eq(policy_r18_fee(3, plans, &card, &fees), 300);
	ck_assert_int_eq(plans[POLICY_AUTH].fee_yen, 300);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, 0);
}
END_TEST

/* ---- R19 ---- */

/* Two overlapping suspensions on 2026-11-21: 10:00-12:00 and 11:00-14:00 JST. */
static const struct policy_window r19_windows[] = {
	{ 1795222800, 1795230000 },
	{ 1795226400, 1795237200 },
};

static const struct {
	time_t	 now;
	int	 suspended;
	time_t	 until;
} r19_susp_rows[] = {
	{ 1795222799, 0, 0 },		/* 09:59:59 JST */
	{ 1795222800, 1, 1795230000 },	/* 10:00:00: the first starts */
	{ 1795226400, 1, 1795237200 },	/* 11:00: both: the later end */
	{ 1795230000, 1, 1795237200 },	/* 12:00: the first has ended */
	{ 1795237199, 1, 1795237200 },
	{ 1795237200, 0, 0 },		/* 14:00: [starts, ends) */
};

START_TEST(test_r19_suspension_windows)
{
	time_t until = 0;
	int s = policy_r19_suspended(r19_susp_rows[_i].now, r19_windows, NROWS(r19_windows),
	    &until);

	ck_assert_int_eq(s, r19_susp_rows[_i].suspended);
	ck_assert_int_eq(until, r19_susp_rows[_i].until);
	ck_assert_int_eq(policy_r19_suspended(r19_susp_rows[_i].now, NULL, 0, &until), 0);
}
END_TEST

/* 08:30-17:15 JST, closed Saturday and Sunday, year end, and 2026-11-23 (a holiday). */
static const struct jpdate r19_closed[] = { { 2026, 11, 23 } };

static const struct {
	const char	*what;
	time_t		 now;
	int		 open;
} r19_hours_rows[] = {
	{ "Tuesday 10:00", 1795482000, 1 },		/* 2026-11-24 */
	{ "Saturday 10:00", T_1121_1000, 0 },		/* 2026-11-21 */
	{ "holiday Monday 10:00", 1795395600, 0 },	/* 2026-11-23 */
	{ "28 Dec (Monday)", 1798419600, 1 },
	{ "29 Dec (Tuesday)", 1798506000, 0 },
	{ "3 Jan 2028 (Monday)", 1830474000, 0 },
	{ "4 Jan 2028 (Tuesday)", 1830560400, 1 },
	{ "4 Jan 2027 (Monday)", 1799024400, 1 },
	{ "before opening 08:29:59", 1795476599, 0 },
	{ "opening 08:30:00", 1795476600, 1 },
	{ "17:14:59", 1795508099, 1 },
	{ "closing minute 17:15:00", 1795508100, 0 },
};

START_TEST(test_r19_counter_hours)
{
	struct policy_hours h = {
		1, 8 * 60 + 30, 17 * 60 + 15,
		(1u << 6) | (1u << 7), 1, r19_closed, NROWS(r19_closed)
	};
	struct policy_refusal r;
	int rc = policy_r19_counter_open(r19_hours_rows[_i].now, &h, &r);

	ck_assert_msg(rc == (r19_hours_rows[_i].open ? 0 : -1), "%s: rc %d",
	    r19_hours_rows[_i].what, rc);
	if (rc != 0) {
		ck_assert_str_eq(r.rule, "R19");
		ck_assert_str_eq(r.slug, "counter-closed");
	}
	/* Not enforced: always open. */
	h.enforced = 0;
	ck_assert_int_eq(policy_r19_counter_open(r19_hours_rows[_i].now, &h, &r), 0);
}
END_TEST

/* ---- R20 / R25 ---- */

static const struct {
	const char	*what;
	const char	*family, *given, *former, *alias, *address;
	const char	*family_sub, *given_sub, *address_sub;
	const char	*name, *name_map, *addr, *addr_map;	/* NULL name: refused */
	const char	*fields[4];
	const char	*detail;			/* substring of the refusal */
} r20_rows[] = {
	{ "plain", "山田", "太郎", NULL, NULL, "東京都千代田区千代田1-1", NULL, NULL, NULL,
	    "山田　太郎", "00000", "東京都千代田区千代田1-1", "0000000000000", { NULL }, NULL },
	{ "no given name", "山田", "", NULL, NULL, "東京都千代田区千代田1-1", NULL, NULL, NULL,
	    "山田", "00", "東京都千代田区千代田1-1", "0000000000000", { NULL }, NULL },
	{ "family substitute", "髙橋", "一郎", NULL, NULL, "東京都千代田区千代田1-1", "高橋",
	    NULL, NULL, "高橋　一郎", "11000", "東京都千代田区千代田1-1", "0000000000000",
	    { NULL }, NULL },
	{ "substitute unused when representable", "高橋", "一郎", NULL, NULL, "東京都",
	    "タカハシ", NULL, NULL, "高橋　一郎", "00000", "東京都", "000", { NULL }, NULL },
	{ "given substitute", "山田", "𠮷子", NULL, NULL, "東京都", NULL, "吉子", NULL,
	    "山田　吉子", "00011", "東京都", "000", { NULL }, NULL },
	{ "former surname", "山田", "花子", "鈴木", NULL, "東京都", NULL, NULL, NULL,
	    "山田　花子（鈴木）", "000000000", "東京都", "000", { NULL }, NULL },
	{ "alias", "SMITH", "JOHN", NULL, "山田太郎", "東京都", NULL, NULL, NULL,
	    "SMITH　JOHN（山田太郎）", "0000000000000000", "東京都", "000", { NULL }, NULL },
	{ "former surname and alias", "山田", "花子", "鈴木", "花", "東京都", NULL, NULL, NULL,
	    "山田　花子（鈴木）（花）", "000000000000", "東京都", "000", { NULL }, NULL },
	{ "substitute, no given, former", "髙橋", "", "鈴木", NULL, "東京都", "高橋", NULL, NULL,
	    "高橋（鈴木）", "110000", "東京都", "000", { NULL }, NULL },
	{ "address substitute", "山田", "太郎", NULL, NULL, "東京都千代田区髙田1-1", NULL, NULL,
	    "東京都千代田区高田1-1", "山田　太郎", "00000", "東京都千代田区高田1-1",
	    "111111111111", { NULL }, NULL },
	{ "family, no substitute", "𠮷田", "太郎", NULL, NULL, "東京都", NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, { "family_name", NULL }, "U+20BB7" },
	{ "family, substitute not representable", "𠮷田", "太郎", NULL, NULL, "東京都", "𠮷田",
	    NULL, NULL, NULL, NULL, NULL, NULL, { "family_name", NULL }, "U+20BB7" },
	{ "former surname (no substitute form)", "山田", "太郎", "髙木", NULL, "東京都", NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, { "former_surname", NULL }, "U+9AD9" },
	{ "alias", "山田", "太郎", NULL, "山﨑", "東京都", NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, { "alias", NULL }, "U+FA11" },
	{ "family and address", "𠮷田", "太郎", NULL, NULL, "東京都髙田", NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, { "family_name", "address", NULL }, "U+9AD9" },
	{ "control character", "山田", "太\t郎", NULL, NULL, "東京都", NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, { "given_name", NULL }, "U+0009" },
	{ "half-width kana", "ﾔﾏﾀﾞ", "太郎", NULL, NULL, "東京都", NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, { "family_name", NULL }, "U+FF94" },
};

START_TEST(test_r20_cert_names)
{
	struct fixture f;
	struct policy_cert_names out;
	struct policy_refusal r;
	int rc;

	fixture_init(&f, T_1121_1000);
	f.res.four.family_name = r20_rows[_i].family;
	f.res.four.given_name = r20_rows[_i].given;
	f.res.four.former_surname = r20_rows[_i].former;
	f.res.four.alias = r20_rows[_i].alias;
	f.res.four.address = r20_rows[_i].address;
	f.res.family_name_substitute = r20_rows[_i].family_sub;
	f.res.given_name_substitute = r20_rows[_i].given_sub;
	f.res.address_substitute = r20_rows[_i].address_sub;
	rc = policy_r20_cert_names(&f.res, &out, &r);
	if (r20_rows[_i].name != NULL) {
		ck_assert_msg(rc == 0, "%s: refused %s: %s", r20_rows[_i].what, r.slug, r.detail);
		ck_assert_str_eq(out.name, r20_rows[_i].name);
		ck_assert_str_eq(out.name_map, r20_rows[_i].name_map);
		ck_assert_str_eq(out.address, r20_rows[_i].addr);
		ck_assert_str_eq(out.address_map, r20_rows[_i].addr_map);
		ck_assert_str_eq(out.sex, "1");
		ck_assert_str_eq(out.birth, "419901121");
		return;
	}
	assert_outcome(rc, r, "R20", "unrepresentable");
	assert_fields(&r, r20_rows[_i].fields);
	ck_assert_msg(strstr(r.detail, r20_rows[_i].detail) != NULL, "%s: detail \"%s\"",
	    r20_rows[_i].what, r.detail);
}
END_TEST

/* R25: at most 200 characters of address (counted in characters, not bytes). */
START_TEST(test_r25_address_length)
{
	struct fixture f;
	struct policy_cert_names out;
	struct policy_refusal r;
	char addr[1024];
	int i;

	fixture_init(&f, T_1121_1000);
	addr[0] = '\0';
	for (i = 0; i < 200; i++)
		strcat(addr, "東");
	f.res.four.address = addr;
	ck_assert_int_eq(policy_r20_cert_names(&f.res, &out, &r), 0);
	ck_assert_int_eq(strlen(out.address_map), 200);
	strcat(addr, "京");
	ck_assert_int_eq(policy_r20_cert_names(&f.res, &out, &r), -1);
	ck_assert_str_eq(r.rule, "R25");
	ck_assert_str_eq(r.slug, "address-too-long");
	ck_assert_str_eq(r.fields[0], "address");
	/* A too-long address with a substitute of 200 characters: the substitute counts. */
	f.res.four.address = "𠮷";
	f.res.address_substitute = addr;
	ck_assert_int_eq(policy_r20_cert_names(&f.res, &out, &r), -1);
	ck_assert_str_eq(r.slug, "address-too-long");
}
END_TEST

START_TEST(test_r25_sex_and_birth)
{
	struct fixture f;
	struct policy_cert_names out;
	struct policy_refusal r;

	fixture_init(&f, T_1121_1000);
	f.res.four.sex = '2';
	f.res.four.birth = D(2019, 5, 1);
	ck_assert_int_eq(policy_r20_cert_names(&f.res, &out, &r), 0);
	ck_assert_str_eq(out.sex, "2");
	ck_assert_str_eq(out.birth, "520190501");
	f.res.four.sex = '9';
	f.res.four.birth = D(1989, 1, 7);
	ck_assert_int_eq(policy_r20_cert_names(&f.res, &out, &r), 0);
	ck_assert_str_eq(out.sex, "9");
	ck_assert_str_eq(out.birth, "319890107");
	f.res.four.sex = 'M';
	ck_assert_int_eq(policy_r20_cert_names(&f.res, &out, &r), -1);
	ck_assert_str_eq(r.rule, "R25");
	ck_assert_str_eq(r.fields[0], "sex");
}
END_TEST

/* ---- policy_plan_application ---- */

START_TEST(test_r7_application_auth_caps_sign)
{
	struct fixture f;
	struct policy_plan plans[POLICY_NTYPES];

	/*
	 * 2031-08-21: SIGN in its renewal window (6th birthday: 2036-11-21),
	 * AUTH new (5th: 2035-11-21): AUTH is planned first and caps SIGN.
	 */
	fixture_init(&f, 1945040400);
	f.ctx.latest[POLICY_SIGN].present = 1;
	f.ctx.latest[POLICY_SIGN].not_after = END_20311121;
	ck_assert_int_eq(policy_plan_application(&f.ctx, 3, POLICY_ISSUE, plans), 0);
	ck_assert_int_eq(plans[POLICY_AUTH].eligible, 1);
	ck_assert_int_eq(plans[POLICY_AUTH].renewal, POLICY_NEW);
	ck_assert_int_eq(plans[POLICY_AUTH].not_after, END_20351121);
	ck_assert_int_eq(plans[POLICY_SIGN].eligible, 1);
	ck_assert_int_eq(plans[POLICY_SIGN].renewal, POLICY_RENEW_WINDOW);
	ck_assert_int_eq(plans[POLICY_SIGN].birthday_n, 6);
	ck_assert_int_eq(plans[POLICY_SIGN].not_after, END_20351121);
	ck_assert_str_eq(plans[POLICY_SIGN].capped_by, "auth");
	ck_assert_int_eq(plans[POLICY_SIGN].supersedes, 1);
	/* SIGN alone: nothing caps it. */
	ck_assert_int_eq(policy_plan_application(&f.ctx, 1, POLICY_RENEW, plans), 0);
	ck_assert_int_eq(plans[POLICY_SIGN].not_after, END_20361121);
	ck_assert_int_eq(plans[POLICY_AUTH].eligible, 0);	/* not requested: zeroed */
}
END_TEST

START_TEST(test_r4_application_one_type_refused)
{
	struct fixture f;
	struct policy_plan plans[POLICY_NTYPES];

	fixture_init(&f, T_1120_1000);
	fixture_birth(&f, D(2011, 11, 21));
	ck_assert_int_eq(policy_plan_application(&f.ctx, 3, POLICY_ISSUE, plans), -1);
	ck_assert_int_eq(plans[POLICY_AUTH].eligible, 1);
	ck_assert_int_eq(plans[POLICY_SIGN].eligible, 0);
	ck_assert_str_eq(plans[POLICY_SIGN].refusal.rule, "R4");
	ck_assert_int_eq(policy_plan_application(&f.ctx, 2, POLICY_ISSUE, plans), 0);
	ck_assert_int_eq(policy_plan_application(&f.ctx, 0, POLICY_ISSUE, plans), -1);
	ck_assert_int_eq(policy_plan_application(&f.ctx, 4, POLICY_ISSUE, plans), -1);
}
END_TEST

START_TEST(test_r18_application_fees)
{
	struct fixture f;
	struct policy_plan plans[POLICY_NTYPES];

	fixture_init(&f, T_1121_1000);
	f.card.reissued = 1;
	ck_assert_int_eq(policy_plan_application(&f.ctx, 3, POLICY_ISSUE, plans), 0);
	ck_assert_int_eq(plans[POLICY_AUTH].fee_yen + plans[POLICY_SIGN].fee_yen, 200);
	ck_assert_int_eq(plans[POLICY_AUTH].fee_yen, 200);
	ck_assert_int_eq(policy_plan_application(&f.ctx, 1, POLICY_ISSUE, plans), 0);
	ck_assert_int_eq(plans[POLICY_SIGN].fee_yen, 200);
	f.ctx.fees.waived = 1;
	ck_assert_int_eq(policy_plan_application(&f.ctx, 3, POLICY_ISSUE, plans), 0);
	ck_assert_int_eq(plans[POLICY_AUTH].fee_yen + plans[POLICY_SIGN].fee_yen, 0);
	/* policy_plan alone leaves the fee 0. */
	f.ctx.fees.waived = 0;
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, POLICY_ISSUE, 0, &plans[0]), 0);
	ck_assert_int_eq(plans[0].fee_yen, 0);
}
END_TEST

/* ---- the issuing CA's life (policy_ca_life, R6/R7) ---- */

#define END_20270221	((time_t)1803221999)	/* 3 months after 2026-11-21 */
#define END_20270222	((time_t)1803308399)

static const struct {
	enum policy_type	 type;
	time_t			 now, ca, in;
	int			 rc;
	time_t			 out;
	const char		*what;		/* capped_by, or the refusal's rule */
} ca_rows[] = {
	/* No CA known, or the certificate ends within the CA's life (a tie too): unchanged. */
	{ POLICY_AUTH, T_1121_1000, 0, END_20311121, 0, END_20311121, NULL },
	{ POLICY_AUTH, T_1121_1000, END_20351121, END_20311121, 0, END_20311121, NULL },
	{ POLICY_AUTH, T_1121_1000, END_20311121, END_20311121, 0, END_20311121, NULL },
	/* The CA ends first with years left: capped at its notAfter. */
	{ POLICY_AUTH, T_1121_1000, END_20280510, END_20311121, 1, END_20280510, "ca" },
	{ POLICY_SIGN, T_1121_1000, END_20290331, END_20311121, 1, END_20290331, "ca" },
	/* The day after 3 months: still capped (not yet in its own renewal window). */
	{ POLICY_AUTH, T_1121_1000, END_20270222, END_20311121, 1, END_20270222, "ca" },
	/* Exactly 3 months, less, expired: refused, the CA must be rolled over. */
	{ POLICY_AUTH, T_1121_1000, END_20270221, END_20311121, -1, END_20311121, "R6" },
	{ POLICY_SIGN, T_1121_1000, END_20270221, END_20311121, -1, END_20311121, "R7" },
	{ POLICY_AUTH, T_1121_1000, T_1121_1000 + 86400, END_20311121, -1, END_20311121, "R6" },
	{ POLICY_SIGN, T_1121_1000, T_1121_1000 - 1, END_20311121, -1, END_20311121, "R7" },
	/* A card ending before the CA's near end: nothing to cap, nothing refused. */
	{ POLICY_AUTH, T_1121_1000, END_20270221, T_1121_1000 + 86400, 0,
	  T_1121_1000 + 86400, NULL },
};

START_TEST(test_r6_r7_ca_life_caps_or_refuses)
{
	struct policy_refusal r;
	const char *by = "birthday";
	time_t na = ca_rows[_i].in;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = policy_ca_life(ca_rows[_i].type, ca_rows[_i].now, ca_rows[_i].ca, &na, &by, &r);
	ck_assert_int_eq(rc, ca_rows[_i].rc);
	ck_assert_int_eq((long long)na, (long long)ca_rows[_i].out);
	if (rc == 1)
		ck_assert_str_eq(by, "ca");
	else
		ck_assert_str_eq(by, "birthday");
	if (rc < 0) {
		ck_assert_str_eq(r.rule, ca_rows[_i].what);
		ck_assert_str_eq(r.slug, "ca-rollover-required");
		ck_assert_int_eq(r.status, 409);
		if (ca_rows[_i].ca == END_20270221)
			ck_assert_ptr_nonnull(strstr(r.detail, "2027-02-21"));
	}
}
END_TEST

START_TEST(test_r6_r7_plan_capped_by_ca)
{
	struct fixture f;
	struct policy_plan plans[POLICY_NTYPES];

	/* Born 1990-11-21, on 2026-11-21: R6 would give 2031-11-21. */
	fixture_init(&f, T_1121_1000);
	f.ctx.ca_not_after[POLICY_AUTH] = END_20280510;
	f.ctx.ca_not_after[POLICY_SIGN] = END_20290331;
	ck_assert_int_eq(policy_plan_application(&f.ctx, 3, POLICY_ISSUE, plans), 0);
	ck_assert_int_eq((long long)plans[POLICY_AUTH].not_after, (long long)END_20280510);
	ck_assert_str_eq(plans[POLICY_AUTH].capped_by, "ca");
	/* SIGN: the AUTH (itself capped by its CA) comes first (R7). */
	ck_assert_int_eq((long long)plans[POLICY_SIGN].not_after, (long long)END_20280510);
	ck_assert_str_eq(plans[POLICY_SIGN].capped_by, "auth");
	/* SIGN alone: its own CA. */
	ck_assert_int_eq(policy_plan_application(&f.ctx, 1, POLICY_ISSUE, plans), 0);
	ck_assert_int_eq((long long)plans[POLICY_SIGN].not_after, (long long)END_20290331);
	ck_assert_str_eq(plans[POLICY_SIGN].capped_by, "ca");
	/* The AUTH CA ends in 3 months: AUTH refused (409), SIGN alone still fine. */
	f.ctx.ca_not_after[POLICY_AUTH] = END_20270221;
	ck_assert_int_eq(policy_plan_application(&f.ctx, 3, POLICY_ISSUE, plans), -1);
	ck_assert_int_eq(plans[POLICY_AUTH].eligible, 0);
	ck_assert_str_eq(plans[POLICY_AUTH].refusal.rule, "R6");
	ck_assert_str_eq(plans[POLICY_AUTH].refusal.slug, "ca-rollover-required");
	ck_assert_int_eq(plans[POLICY_AUTH].refusal.status, 409);
	ck_assert_int_eq(policy_plan_application(&f.ctx, 1, POLICY_ISSUE, plans), 0);
	/* Other refusals keep their 422 (status 0). */
	f.res.status = "removed";
	ck_assert_int_eq(policy_plan(&f.ctx, POLICY_AUTH, POLICY_ISSUE, 0, &plans[0]), -1);
	ck_assert_str_eq(plans[0].refusal.rule, "R1");
	ck_assert_int_eq(plans[0].refusal.status, 0);
}
END_TEST

/* ---- pin resets ---- */
#define NOREF	((const char *)NULL)	/* assert_outcome: not refused */
/* R14 for a PIN reset: each row one declaration and its outcome. */
static const struct {
	enum policy_applicant	 a;
	struct policy_doc	 docs[3];
	size_t			 ndocs;
	enum policy_authority	 authority;
	const char		*rule, *slug;
} r14_pin_rows[] = {
	/* self: card + one more A or B of the resident */
	{ POLICY_SELF, { { "mynumber_card", POLICY_HOLDER_RESIDENT, 0, 0 },
	    { "health_insurance_card", POLICY_HOLDER_RESIDENT, 0, 0 } }, 2, 0, NULL, NULL },
	{ POLICY_SELF, { { "mynumber_card", POLICY_HOLDER_RESIDENT, 0, 0 },
	    { "passport", POLICY_HOLDER_RESIDENT, 0, 0 } }, 2, 0, NULL, NULL },
	/* the card alone is not enough (issuance would be) */
	{ POLICY_SELF, { { "mynumber_card", POLICY_HOLDER_RESIDENT, 0, 0 } }, 1, 0,
	    "R14", "insufficient-evidence" },
	/* a copy or an expired second document never counts */
	{ POLICY_SELF, { { "mynumber_card", POLICY_HOLDER_RESIDENT, 0, 0 },
	    { "pension_book", POLICY_HOLDER_RESIDENT, 0, 1 } }, 2, 0, "R14", "insufficient-evidence" },
	{ POLICY_SELF, { { "mynumber_card", POLICY_HOLDER_RESIDENT, 0, 0 },
	    { "drivers_licence", POLICY_HOLDER_RESIDENT, 1, 0 } }, 2, 0, "R14", "insufficient-evidence" },
	/* an expired card does not count either */
	{ POLICY_SELF, { { "mynumber_card", POLICY_HOLDER_RESIDENT, 1, 0 },
	    { "passport", POLICY_HOLDER_RESIDENT, 0, 0 } }, 2, 0, "R14", "insufficient-evidence" },
	/* without the card: two other documents are not enough */
	{ POLICY_SELF, { { "passport", POLICY_HOLDER_RESIDENT, 0, 0 },
	    { "health_insurance_card", POLICY_HOLDER_RESIDENT, 0, 0 } }, 2, 0,
	    "R14", "insufficient-evidence" },
	/* someone else's document does not count for the resident */
	{ POLICY_SELF, { { "mynumber_card", POLICY_HOLDER_RESIDENT, 0, 0 },
	    { "passport", POLICY_HOLDER_APPLICANT, 0, 0 } }, 2, 0, "R14", "insufficient-evidence" },
	/* legal representative: as for issuance */
	{ POLICY_LEGAL_REP, { { "drivers_licence", POLICY_HOLDER_APPLICANT, 0, 0 } }, 1,
	    POLICY_AUTHORITY_FAMILY_REGISTER, NULL, NULL },
	{ POLICY_LEGAL_REP, { { "drivers_licence", POLICY_HOLDER_APPLICANT, 0, 0 } }, 1,
	    POLICY_AUTHORITY_NONE, "R14", "insufficient-evidence" },
	/* voluntary proxy: two of the proxy, at least one A */
	{ POLICY_PROXY, { { "passport", POLICY_HOLDER_APPLICANT, 0, 0 },
	    { "health_insurance_card", POLICY_HOLDER_APPLICANT, 0, 0 } }, 2, 0, NULL, NULL },
	{ POLICY_PROXY, { { "passport", POLICY_HOLDER_APPLICANT, 0, 0 } }, 1, 0,
	    "R14", "insufficient-evidence" },
	{ POLICY_PROXY, { { "pension_book", POLICY_HOLDER_APPLICANT, 0, 0 },
	    { "health_insurance_card", POLICY_HOLDER_APPLICANT, 0, 0 } }, 2, 0,
	    "R14", "insufficient-evidence" },
	{ POLICY_PROXY, { { "passport", POLICY_HOLDER_APPLICANT, 0, 0 },
	    { "health_insurance_card", POLICY_HOLDER_APPLICANT, 0, 1 } }, 2, 0,
	    "R14", "insufficient-evidence" },
	{ POLICY_PROXY, { { "passport", POLICY_HOLDER_APPLICANT, 0, 0 },
	    { "library_card", POLICY_HOLDER_APPLICANT, 0, 0 } }, 2, 0, "R14", "unknown-document" },
};

START_TEST(test_r14_pin_reset_evidence)
{
	struct policy_evidence ev = { r14_pin_rows[_i].docs, r14_pin_rows[_i].ndocs,
	    r14_pin_rows[_i].authority };
	struct policy_refusal r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = policy_r14_pin_reset_evidence(r14_pin_rows[_i].a, &ev, &r);
	assert_outcome(rc, r, r14_pin_rows[_i].rule, r14_pin_rows[_i].slug);
	if (rc != 0)	/* a legal representative may lack only the authority */
		ck_assert_str_eq(r.fields[0], r14_pin_rows[_i].a == POLICY_LEGAL_REP ?
		    "evidence.authority" : "evidence.documents");
}
END_TEST

/* R16a counter: R1, R2, then a valid certificate of each key on the card. */
START_TEST(test_r16a_counter_reset)
{
	struct fixture f;
	struct policy_refusal r;
	struct policy_card_cert certs[POLICY_NTYPES] = {
		{ 1, "valid", END_20311121 }, { 1, "valid", END_20311121 } };
	const unsigned both = POLICY_TYPE_BIT(POLICY_SIGN) | POLICY_TYPE_BIT(POLICY_AUTH);

	fixture_init(&f, T_1121_1000);
	assert_outcome(policy_r16a_counter_reset(&f.ctx, both, certs, &r), r, NOREF, NOREF);
	certs[POLICY_SIGN].status = "revoked";
	assert_outcome(policy_r16a_counter_reset(&f.ctx, both, certs, &r), r, "R16a",
	    "no-certificate");
	ck_assert_msg(strstr(r.detail, "SIGN certificate is revoked") != NULL, "%s", r.detail);
	assert_outcome(policy_r16a_counter_reset(&f.ctx, POLICY_TYPE_BIT(POLICY_AUTH), certs, &r),
	    r, NOREF, NOREF);
	/* expired: valid up to and including notAfter */
	certs[POLICY_AUTH].not_after = T_1121_1000;
	assert_outcome(policy_r16a_counter_reset(&f.ctx, POLICY_TYPE_BIT(POLICY_AUTH), certs, &r),
	    r, NOREF, NOREF);
	certs[POLICY_AUTH].not_after = T_1121_1000 - 1;
	assert_outcome(policy_r16a_counter_reset(&f.ctx, POLICY_TYPE_BIT(POLICY_AUTH), certs, &r),
	    r, "R16a", "no-certificate");
	ck_assert_msg(strstr(r.detail, "has expired") != NULL, "%s", r.detail);
	certs[POLICY_AUTH].present = 0;
	assert_outcome(policy_r16a_counter_reset(&f.ctx, POLICY_TYPE_BIT(POLICY_AUTH), certs, &r),
	    r, "R16a", "no-certificate");
	/* R1 and R2 come first */
	f.card.status = "lost";
	assert_outcome(policy_r16a_counter_reset(&f.ctx, POLICY_TYPE_BIT(POLICY_AUTH), certs, &r),
	    r, "R2", "card-not-active");
	f.res.municipality_code = "141003";
	assert_outcome(policy_r16a_counter_reset(&f.ctx, POLICY_TYPE_BIT(POLICY_AUTH), certs, &r),
	    r, "R1", "other-municipality");
	ck_assert_int_eq(policy_r16a_counter_reset(&f.ctx, 0, certs, &r), -1);
	ck_assert_int_eq(policy_r16a_counter_reset(&f.ctx, 4, certs, &r), -1);
}
END_TEST

/* R16a kiosk: SIGN proven by AUTH and vice versa; AUTH only where supported. */
START_TEST(test_r16a_kiosk_reset)
{
	struct fixture f;
	struct policy_refusal r;
	struct policy_card_cert ok = { 1, "valid", END_20311121 },
	    revoked = { 1, "revoked", END_20311121 }, none = { 0, NULL, 0 },
	    expired = { 1, "valid", T_1121_1000 - 1 };

	fixture_init(&f, T_1121_1000);
	ck_assert_int_eq(policy_r16a_proof_type(POLICY_SIGN), POLICY_AUTH);
	ck_assert_int_eq(policy_r16a_proof_type(POLICY_AUTH), POLICY_SIGN);
	assert_outcome(policy_r16a_kiosk_reset(POLICY_SIGN, 0, &f.card, &ok, T_1121_1000, &r),
	    r, NOREF, NOREF);
	assert_outcome(policy_r16a_kiosk_reset(POLICY_AUTH, 0, &f.card, &ok, T_1121_1000, &r),
	    r, "R16a", "kiosk-no-auth-reset");
	assert_outcome(policy_r16a_kiosk_reset(POLICY_AUTH, 1, &f.card, &ok, T_1121_1000, &r),
	    r, NOREF, NOREF);
	assert_outcome(policy_r16a_kiosk_reset(POLICY_SIGN, 1, &f.card, &revoked, T_1121_1000,
	    &r), r, "R16a", "proof-certificate-invalid");
	ck_assert_msg(strstr(r.detail, "AUTH certificate is revoked") != NULL, "%s", r.detail);
	assert_outcome(policy_r16a_kiosk_reset(POLICY_SIGN, 1, &f.card, &none, T_1121_1000, &r),
	    r, "R16a", "proof-certificate-invalid");
	assert_outcome(policy_r16a_kiosk_reset(POLICY_AUTH, 1, &f.card, &expired, T_1121_1000,
	    &r), r, "R16a", "proof-certificate-invalid");
	ck_assert_msg(strstr(r.detail, "SIGN certificate has expired") != NULL, "%s", r.detail);
	f.card.status = "suspended";
	assert_outcome(policy_r16a_kiosk_reset(POLICY_SIGN, 1, &f.card, &ok, T_1121_1000, &r),
	    r, "R2", "card-not-active");
	assert_outcome(policy_r16a_kiosk_reset(POLICY_SIGN, 1, NULL, &ok, T_1121_1000, &r),
	    r, "R2", "no-card");
}
END_TEST

/* R16a one-time, short-lived: good up to and including expires_at. */
START_TEST(test_r16a_challenge_and_complete)
{
	struct policy_refusal r;

	assert_outcome(policy_r16a_challenge(0, T_1121_1000, T_1121_1000, &r), r, NOREF, NOREF);
	assert_outcome(policy_r16a_challenge(0, T_1121_1000, T_1121_1000 + 1, &r), r, "R16a",
	    "challenge-expired");
	assert_outcome(policy_r16a_challenge(1, T_1121_1000, T_1121_1000 - 60, &r), r, "R16a",
	    "challenge-used");
	assert_outcome(policy_r16a_complete(0, T_1121_1000, T_1121_1000, &r), r, NOREF, NOREF);
	assert_outcome(policy_r16a_complete(0, T_1121_1000, T_1121_1000 + 1, &r), r, "R16a",
	    "authorization-expired");
	assert_outcome(policy_r16a_complete(1, T_1121_1000, T_1121_1000 + 1, &r), r, "R16a",
	    "authorization-used");
}
END_TEST

START_TEST(test_pin_reset_procedure_name)
{
	enum policy_procedure p;

	ck_assert_int_eq(policy_procedure_parse("pin_reset", &p), 0);
	ck_assert_int_eq(p, POLICY_PIN_RESET);
	ck_assert_str_eq(policy_procedure_name(POLICY_PIN_RESET), "pin_reset");
}
END_TEST
/* ---- end pin resets ---- */

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_policy_names);
	tcase_add_loop_test(tc, test_r1_registered_here, 0, NROWS(r1_rows));
	tcase_add_test(tc, test_r1_plan_rule_order);
	tcase_add_loop_test(tc, test_r2_valid_card, 0, NROWS(r2_rows));
	tcase_add_test(tc, test_r2_not_active_names_status);
	tcase_add_loop_test(tc, test_r17_juki_cutoff, 0, NROWS(r17_rows));
	tcase_add_loop_test(tc, test_r3_card_mismatch_fields, 0, NROWS(r3_rows));
	tcase_add_test(tc, test_r3_former_surname_on_both);
	tcase_add_loop_test(tc, test_r4_sign_age_and_capacity, 0, NROWS(r4_rows));
	tcase_add_loop_test(tc, test_r5_plan_15th_birthday, 0, NROWS(r5_plan_rows));
	tcase_add_loop_test(tc, test_r6_auth_not_after, 0, NROWS(r6_rows));
	tcase_add_loop_test(tc, test_r7_sign_not_after, 0, NROWS(r7_rows));
	tcase_add_test(tc, test_r7_plan_sign_capped_by_current_auth);
	tcase_add_loop_test(tc, test_r8_renewal_kind, 0, NROWS(r8_rows));
	tcase_add_loop_test(tc, test_r8_plan_renewal_birthday, 0, NROWS(r8_plan_rows));
	tcase_add_test(tc, test_r8_nothing_to_renew);
	tcase_add_loop_test(tc, test_r13_applicant, 0, NROWS(r13_rows));
	tcase_add_loop_test(tc, test_r13_inquiry_expires, 0, NROWS(r13_expiry_rows));
	tcase_add_loop_test(tc, test_r13_second_visit_never_same_day, 0, NROWS(r13_visit_rows));
	tcase_add_loop_test(tc, test_r13_answer, 0, NROWS(r13_answer_rows));
	tcase_add_loop_test(tc, test_r14_evidence, 0, NROWS(r14_rows));
	tcase_add_test(tc, test_r14_doc_lists);
	tcase_add_loop_test(tc, test_r18_fee_table, 0, NROWS(r18_rows));
	tcase_add_test(tc, test_r18_configured_amounts);
	tcase_add_test(tc, test_r18_application_fees);
	tcase_add_loop_test(tc, test_r19_suspension_windows, 0, NROWS(r19_susp_rows));
	tcase_add_loop_test(tc, test_r19_counter_hours, 0, NROWS(r19_hours_rows));
	tcase_add_loop_test(tc, test_r20_cert_names, 0, NROWS(r20_rows));
	tcase_add_test(tc, test_r25_address_length);
	tcase_add_test(tc, test_r25_sex_and_birth);
	tcase_add_test(tc, test_r7_application_auth_caps_sign);
	tcase_add_test(tc, test_r4_application_one_type_refused);
	tcase_add_loop_test(tc, test_r6_r7_ca_life_caps_or_refuses, 0, NROWS(ca_rows));
	tcase_add_test(tc, test_r6_r7_plan_capped_by_ca);
	/* ---- pin resets ---- */
	tcase_add_loop_test(tc, test_r14_pin_reset_evidence, 0, NROWS(r14_pin_rows));
	tcase_add_test(tc, test_r16a_counter_reset);
	tcase_add_test(tc, test_r16a_kiosk_reset);
	tcase_add_test(tc, test_r16a_challenge_and_complete);
	tcase_add_test(tc, test_pin_reset_procedure_name);
	/* ---- end pin resets ---- */
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	return testlib_run(policy_suite());
}
