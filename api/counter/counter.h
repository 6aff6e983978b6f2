/*
 * counter: what the counter handlers (api/counter/residents.c, api/counter/applications.c,
 * api/counter/issue.c) share: loading one resident's facts from the database into
 * the structures of ca/policy.h, the R1 scope check, the R19 gate, and the
 * conversion of a policy refusal into a problem document.
 *
 * Handlers stay thin: gather facts here, decide in ca/policy.c, write in
 * one transaction, answer.
 */
#ifndef JPKI_COUNTER_H
#define JPKI_COUNTER_H

#include <time.h>

#include <jansson.h>

#include "api/api.h"
#include "ca/policy.h"
#include "db/store.h"

struct counter_facts {
	PGresult		*res_resident, *res_card, *res_latest;
	struct policy_resident	 resident;
	struct policy_card	 card;
	struct policy_ctx	 ctx;
	const char		*municipality_name, *prefecture;
	long long		 version;
	char			 latest_serial[POLICY_NTYPES][41];	/* hex, "" when none */
	int			 scope_denied;	/* R1: another municipality's resident */
};

enum counter_load_flags {
	COUNTER_LOCK = 1 << 0,	/* SELECT ... FOR UPDATE the resident (issuance) */
};

/*
 * Load resident code (and card card_number, or the resident's active My
 * Number card when NULL) as seen by the calling terminal at now.
 * Returns 0 with f filled; 1 when the resident is not visible to this
 * terminal (resp set: 404; f->scope_denied when it is another
 * municipality's resident, R1); -1 on a database failure (err set). Free
 * f with counter_facts_free() in every case.
 */
int	counter_load(struct store_conn *, struct api_req *, const char *resident_code,
	    const char *card_number, int flags, time_t now, struct counter_facts *f,
	    struct api_resp *resp, struct store_err *err);
/* Frees the results; keeps scope_denied for counter_audit_denied(). */
void	counter_facts_free(struct counter_facts *);
/*
 * R1: audit a look-up of another municipality's resident (scope_denied),
 * in its own short transaction: call after releasing the connection.
 */
void	counter_audit_denied(struct api_req *, const char *code);

/*
 * R19: 503 with Retry-After during a suspension; 422 outside the
 * municipality's counter hours when it enforces them. 0 when open, 1 with
 * resp set, -1 on a database failure.
 */
int	counter_gate(struct store_conn *, struct api_req *, time_t now, struct api_resp *resp,
	    struct store_err *err);

/* 1 for an 11-digit resident code. */
int	counter_resident_code_ok(const char *);

/* A policy refusal as a problem naming its rule and fields: 422, or r->status (409: the CA must be rolled over, policy_ca_life). */
void	counter_refuse(struct api_req *, struct api_resp *, const struct policy_refusal *);
/* The refusal as a JSON object {rule, slug, detail, fields?} for listings. */
json_t	*counter_refusal_json(const struct policy_refusal *);

/* "2026-11-21T10:00:00Z" (RFC 3339 UTC) into buf (at least 21 bytes). */
char	*counter_rfc3339(time_t, char *buf, size_t len);

#endif
