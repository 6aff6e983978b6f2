/*
 * policy internals: the refusal helpers shared by ca/policy.c (eligibility,
 * validity, renewal, planning), ca/policy_applicant.c (R13, R14) and
 * ca/policy_counter.c (R17-R20). Defined in ca/policy.c unless said. Not for use
 * outside ca/policy*.c.
 */
#ifndef JPKI_POLICY_INT_H
#define JPKI_POLICY_INT_H

#include "ca/policy.h"

/* Fill *r (when not NULL) with rule, slug and detail; no fields yet. */
void	policy_int_refuse(struct policy_refusal *r, const char *rule, const char *slug,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Name a field at fault (static string); ignored beyond POLICY_MAX_FIELDS. */
void	policy_int_refuse_field(struct policy_refusal *r, const char *field);
/* Append to r->detail (when r is not NULL), truncating. */
void	policy_int_detail_append(struct policy_refusal *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * SIGN's notAfter when AUTH is planned first in the same visit (R7), or 0
 * when either is not eligible (ca/policy_counter.c).
 */
time_t	policy_int_sign_with_auth(const struct policy_ctx *, enum policy_procedure);
/* policy_r8_gains_nothing for each eligible plan in mask (ca/policy_counter.c). */
void	policy_int_warn(const struct policy_ctx *, unsigned mask, enum policy_procedure,
	    struct policy_plan plans[POLICY_NTYPES]);
/* 1 when both are non-NULL and equal; NULL equals nothing. */
int	policy_int_streq(const char *a, const char *b);

#endif
