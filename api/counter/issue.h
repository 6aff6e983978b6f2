/*
 * issue: one certificate of an application (api/counter/issue.c), shared by
 * POST /v1/applications/{id}/certificates and by POST /v1/applications
 * with "certificates" (the application and its certificates in one
 * transaction, api/counter/applications.c; issue 15).
 */
#ifndef JPKI_ISSUE_H
#define JPKI_ISSUE_H

#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "api/api.h"
#include "api/counter/counter.h"
#include "ca/policy.h"
#include "ca/policy_key.h"
#include "ca/serial.h"
#include "db/store.h"

/* One certificate to issue: what is known before the transaction. */
struct issue {
	struct api_req		*req;
	struct api_resp		*resp;
	time_t			 now;
	const char		*id;		/* the application */
	enum policy_type	 type;
	EVP_PKEY		*key;
	unsigned char		 key_fp[POLICY_KEY_FP_LEN];	/* R22 */
	unsigned char		 serial[SERIAL_MAX];
	size_t			 serial_len;
	char			 serial_hex[2 * SERIAL_MAX + 1];
	int			 scope_denied;
	char			 resident_code[12];
	/* R1: the application is another municipality's; audited after the rollback */
	char			 foreign_municipality[8];
};

/* The application's row as the issuance needs it. */
struct issue_app {
	const char		*resident;	/* 11 digits */
	const char		*card;		/* "" or NULL: the resident's current card */
	enum policy_procedure	 procedure;
	enum policy_applicant	 applicant;
	int			 delegation;
};

/*
 * The CSR (base64 of DER PKCS#10) into is->key and is->key_fp (RSA-2048,
 * e=65537, R22 weak-key checks, proof of possession). 0; 1 with a message
 * added to fields under name (the caller answers 422 invalid-field); -1
 * with a 422 problem in is->resp (refused by a rule, resp->rule set) or a
 * 500 (no fingerprint).
 */
int	issue_parse_csr(struct issue *is, const char *csr, json_t *fields, const char *name);
/* A serial reserved (committed) for is->type, before anything is signed: 0, or -1 (err). */
int	issue_serial_take(struct issue *is, struct store_err *err);
/*
 * Inside the caller's transaction, with the application locked and ready:
 * the rules again at is->now (the resident locked; f when the caller has
 * just loaded the facts with COUNTER_LOCK at is->now, else NULL and they
 * are loaded here), R22 key unused, build, lint, sign, and record
 * (Q_CERT_RECORD: R8, R9, the certificate, the application, the audit
 * row). Returns the certificate as the 201 body of the certificate POST,
 * or NULL with is->resp set (a refusal) or err set (a database failure).
 */
json_t	*issue_in_tx(struct store_conn *, struct issue *is, const struct issue_app *a,
	    struct counter_facts *f, struct store_err *err);
/* What issue_parse_csr() allocated. */
void	issue_free(struct issue *is);

#endif
