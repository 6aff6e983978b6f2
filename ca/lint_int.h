/*
 * lint internals: the state of one lint run and the helpers shared by
 * ca/lint.c (entry point, strings, names, the TBSCertificate fields) and
 * ca/lint_ext.c (the extensions). Not for use outside ca/lint*.c.
 */
#ifndef JPKI_LINT_INT_H
#define JPKI_LINT_INT_H

#include <stddef.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "ca/profile.h"

struct lint {
	X509				*cert;
	const struct profile_req	*req;
	int				 sign;	/* req->type == PROFILE_SIGN */
	char				*err;
	size_t				 errlen;
};

/* One expected attribute of a name, for lint_name(). */
struct lint_ava {
	int		 nid;
	int		 type;		/* V_ASN1_PRINTABLESTRING / V_ASN1_UTF8STRING */
	const char	*value;
};

/* Always returns -1, for `return lint_fail(...)`. */
int	lint_fail(struct lint *l, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Code points in s[0..n) when it is valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF, and here no U+0000);
 * -1 otherwise.
 */
long	lint_utf8_count(const unsigned char *s, size_t n);
/* 1 when the ASN1_STRING holds exactly the bytes of v. */
int	lint_str_eq(const ASN1_STRING *s, const char *v);
/*
 * n is exactly exp: same count, one attribute per RDN, each of the given
 * type (valid in it) with exactly the given bytes. 0, or -1 via lint_fail
 * with rule and what in the message.
 */
int	lint_name(struct lint *l, const char *rule, const char *what, const X509_NAME *n,
	    const struct lint_ava *exp, int nexp);

/* R24/R25: the extensions of l->cert (lint_ext.c). 0, or -1 via lint_fail. */
int	lint_extensions(struct lint *l);

#endif
