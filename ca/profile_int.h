/*
 * profile_int: what ca/profile.c (building) shares with ca/profile_issue.c
 * (issuing). Not for other callers: they use ca/profile.h.
 */
#ifndef JPKI_PROFILE_INT_H
#define JPKI_PROFILE_INT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "ca/profile.h"

/* One build or issue: where errors go, and whether one was a rule's. */
struct pf {
	const struct profile_req	*req;
	char				*err;
	size_t				 errlen;
	int				 rule;	/* the error names a rule (R22-R25) */
};

/* The error message (nothing when p has no buffer). */
void	pf_err(struct pf *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failed OpenSSL step, with OpenSSL's reason when it gave one. */
void	pf_ossl(struct pf *p, const char *what);
/*
 * The certificate of p->req, unsigned. fast (issuing): an RSA key's SPKI
 * is written from n and e instead of by OpenSSL's encoder. NULL with the
 * error in p (p->rule when a rule refused).
 */
X509	*pf_build(struct pf *p, int fast);

#endif
