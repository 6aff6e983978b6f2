/*
 * crl: see crl.h. The CertificateList is assembled in one buffer:
 *
 *	[reserve][entry][entry]...[crlExtensions][signatureAlgorithm][signature]
 *
 * The reserve in front holds, once the entries' length is known, the
 * headers whose lengths depend on it (CertificateList, TBSCertList,
 * revokedCertificates) and the fixed TBS prefix (version, signature,
 * issuer, thisUpdate, nextUpdate), written right-aligned against the first
 * entry; so the entries are written once and never copied, and the TBS the
 * signer hashes is one contiguous span.
 */
#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/crl.h"
#include "ca/policy.h"
#include "common/util.h"

/* AlgorithmIdentifier sha256WithRSAEncryption, NULL parameters (R22). */
static const unsigned char alg_sha256_rsa[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
	0x05, 0x00
};
/* Extension OIDs of CRL entries, as full DER (tag, length, value). */
static const unsigned char oid_reason[] = { 0x06, 0x03, 0x55, 0x1d, 0x15 };	/* 2.5.29.21 */
static const unsigned char oid_invalidity[] = { 0x06, 0x03, 0x55, 0x1d, 0x18 };	/* 2.5.29.24 */

#define HDR_MAX		6	/* tag + 0x84 + 4 length octets */
#define ENTRY_MAX	128	/* one entry at most: 23 + 19 + 2 + 14 + 28 + 2 */

struct crl_builder {
	unsigned char	*buf;
	size_t		 cap, len;	/* bytes used, from buf[0] */
	size_t		 reserve;	/* where the first entry starts */
	unsigned char	*prefix;	/* version .. nextUpdate */
	size_t		 prefix_len;
	unsigned char	*exts;		/* [0] EXPLICIT Extensions */
	size_t		 exts_len;
	size_t		 count;
	int		 finished;
};

/* R26: the reason names and codes are ca/policy_revoke.c's one table. */
int
crl_reason_code(const char *name)
{
	enum policy_reason r;

	return policy_reason_parse(name, &r) == 0 ? policy_reason_code(r) : -1;
}

const char *
crl_reason_name(int code)
{
	if (code < POLICY_REASON_UNSPECIFIED || code > POLICY_REASON_CESSATION)
		return NULL;
	return policy_reason_name((enum policy_reason)code);
}

/*
 * R26, RFC 5280 5.1.2.4/5.1.2.5: thisUpdate is now and nothing later (the
 * later of now and the last thisUpdate kept a future date after a backward
 * step, and every relying party refused it as not yet valid).
 */
int
crl_next_times(time_t now, time_t last_this, int next_hours, time_t *this_update,
    time_t *next_update, time_t *step_back)
{
	if (next_hours < 1)
		return -1;
	*this_update = now;
	*next_update = now + (time_t)next_hours * 3600;
	*step_back = last_this > now ? last_this - now : 0;
	return 0;
}

/* --- DER by hand ---------------------------------------------------------- */

/* Octets of a tag + definite length header for n content octets. */
static size_t
hdr_len(size_t n)
{
	if (n < 0x80)
		return 2;
	if (n <= 0xff)
		return 3;
	if (n <= 0xffff)
		return 4;
	if (n <= 0xffffff)
		return 5;
	return 6;
}

/* Write a tag + length header at p; returns its length. */
static size_t
put_hdr(unsigned char *p, unsigned char tag, size_t n)
{
	size_t h = hdr_len(n), i;

	p[0] = tag;
	if (h == 2) {
		p[1] = (unsigned char)n;
		return 2;
	}
	p[1] = (unsigned char)(0x80 | (h - 2));
	for (i = h - 1; i >= 2; i--) {
		p[i] = (unsigned char)(n & 0xff);
		n >>= 8;
	}
	return h;
}

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm; no locks, no tz). */
static void
civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468, era, yoe, doy, mp, yy;
	unsigned doe;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static unsigned char *
put2(unsigned char *p, int v)
{
	p[0] = (unsigned char)('0' + v / 10 % 10);
	p[1] = (unsigned char)('0' + v % 10);
	return p + 2;
}

/*
 * RFC 5280 4.1.2.5 / 5.1.2.4: UTCTime YYMMDDHHMMSSZ for 1950-2049,
 * GeneralizedTime YYYYMMDDHHMMSSZ otherwise or when gen is set (the
 * invalidityDate is always GeneralizedTime, 5.3.2). Returns octets written
 * (15 or 17), or 0 for a year outside 0-9999.
 */
static size_t
put_time(unsigned char *p, time_t t, int gen)
{
	int64_t s = (int64_t)t, days, sec;
	int y, m, d;
	unsigned char *q;

	/*
	 * 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, checked before any
	 * arithmetic: -s overflowed for INT64_MIN, and civil()'s year was
	 * truncated to int, so a time 2^32 years away became a date in range
	 * (both found by tests/fuzz/fuzz_crl).
	 */
	if (s < INT64_C(-62167219200) || s > INT64_C(253402300799))
		return 0;
	days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	sec = s - days * 86400;
	civil(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return 0;
	if (!gen && y >= 1950 && y <= 2049) {
		p[0] = V_ASN1_UTCTIME;
		p[1] = 13;
		q = put2(p + 2, y % 100);
	} else {
		p[0] = V_ASN1_GENERALIZEDTIME;
		p[1] = 15;
		q = put2(put2(p + 2, y / 100), y % 100);
	}
	q = put2(q, m);
	q = put2(q, d);
	q = put2(q, (int)(sec / 3600));
	q = put2(q, (int)(sec / 60 % 60));
	q = put2(q, (int)(sec % 60));
	*q++ = 'Z';
	return (size_t)(q - p);
}

static int
grow(struct crl_builder *b, size_t more)
{
	unsigned char *n;
	size_t cap;

	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap;
	while (cap < b->len + more)
		cap = cap < (1u << 20) ? cap * 4 : cap * 2;
	if ((n = realloc(b->buf, cap)) == NULL)
		return -1;
	b->buf = n;
	b->cap = cap;
	return 0;
}

static int
append(struct crl_builder *b, const unsigned char *p, size_t n)
{
	if (grow(b, n) != 0)
		return -1;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

/* --- the small parts, by OpenSSL ---------------------------------------- */

/*
 * crlExtensions: authorityKeyIdentifier (the CA's SKI as written, else the
 * SHA-1 of its key), cRLNumber, issuingDistributionPoint (critical).
 */
static int
build_exts(struct crl_builder *b, const struct crl_params *p, char *err, size_t errlen)
{
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	AUTHORITY_KEYID			*akid = NULL;
	ASN1_INTEGER			*num = NULL;
	ISSUING_DIST_POINT		*idp = NULL;
	GENERAL_NAMES			*gns = NULL;
	const ASN1_OCTET_STRING		*ski;
	unsigned char			 md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int			 mdlen;
	int				 n, rc = -1;

	if ((akid = AUTHORITY_KEYID_new()) == NULL)
		goto ossl;
	if ((ski = X509_get0_subject_key_id(p->issuer)) != NULL) {
		if ((akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL)
			goto ossl;
	} else {
		ERR_clear_error();
		if (X509_pubkey_digest(p->issuer, EVP_sha1(), md, &mdlen) != 1 ||
		    (akid->keyid = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(akid->keyid, md, (int)mdlen) != 1)
			goto ossl;
	}
	if ((num = ASN1_INTEGER_new()) == NULL || ASN1_INTEGER_set_int64(num, p->number) != 1)
		goto ossl;
	if ((gns = profile_crldp_names(p->type, p->prefecture, p->municipality,
	    p->crl_url)) == NULL) {
		util_errf(err, errlen, "R24: the shard needs prefecture, municipality and CRL URL");
		goto out;
	}
	if ((idp = ISSUING_DIST_POINT_new()) == NULL ||
	    (idp->distpoint = DIST_POINT_NAME_new()) == NULL)
		goto ossl;
	idp->distpoint->type = 0;	/* fullName */
	idp->distpoint->name.fullname = gns;
	gns = NULL;
	idp->onlyuser = 0xff;		/* onlyContainsUserCerts TRUE */
	if (X509V3_add1_i2d(&exts, NID_authority_key_identifier, akid, 0,
	    X509V3_ADD_APPEND) != 1 ||
	    X509V3_add1_i2d(&exts, NID_crl_number, num, 0, X509V3_ADD_APPEND) != 1 ||
	    X509V3_add1_i2d(&exts, NID_issuing_distribution_point, idp, 1,
	    X509V3_ADD_APPEND) != 1)
		goto ossl;
	if ((n = i2d_X509_EXTENSIONS(exts, &der)) <= 0)
		goto ossl;
	if ((b->exts = malloc((size_t)n + HDR_MAX)) == NULL)
		goto ossl;
	b->exts_len = put_hdr(b->exts, 0xa0, (size_t)n);	/* [0] EXPLICIT */
	memcpy(b->exts + b->exts_len, der, (size_t)n);
	b->exts_len += (size_t)n;
	rc = 0;
	goto out;
ossl:
	util_errf(err, errlen, "crlExtensions: OpenSSL failure");
out:
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	ISSUING_DIST_POINT_free(idp);
	GENERAL_NAMES_free(gns);
	return rc;
}

/* version v2, signature, issuer, thisUpdate, nextUpdate. */
static int
build_prefix(struct crl_builder *b, const struct crl_params *p, char *err, size_t errlen)
{
	unsigned char *name = NULL, *q;
	int n;
	size_t t1, t2;

	if ((n = i2d_X509_NAME(X509_get_subject_name(p->issuer), &name)) <= 0) {
		util_errf(err, errlen, "issuer name: OpenSSL failure");
		return -1;
	}
	if ((b->prefix = malloc(3 + sizeof(alg_sha256_rsa) + (size_t)n + 2 * 17)) == NULL) {
		OPENSSL_free(name);
		util_errf(err, errlen, "out of memory");
		return -1;
	}
	q = b->prefix;
	*q++ = V_ASN1_INTEGER;	/* version v2(1) */
	*q++ = 1;
	*q++ = 1;
	memcpy(q, alg_sha256_rsa, sizeof(alg_sha256_rsa));
	q += sizeof(alg_sha256_rsa);
	memcpy(q, name, (size_t)n);
	q += n;
	OPENSSL_free(name);
	if ((t1 = put_time(q, p->this_update, 0)) == 0 ||
	    (t2 = put_time(q + t1, p->next_update, 0)) == 0) {
		util_errf(err, errlen, "thisUpdate/nextUpdate out of range");
		return -1;
	}
	b->prefix_len = (size_t)(q - b->prefix) + t1 + t2;
	return 0;
}

struct crl_builder *
crl_builder_new(const struct crl_params *p, char *err, size_t errlen)
{
	struct crl_builder *b;

	if (p->issuer == NULL || p->number <= 0 || p->next_update <= p->this_update) {
		util_errf(err, errlen, "CRL needs an issuer, a number > 0 and nextUpdate > thisUpdate");
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		util_errf(err, errlen, "out of memory");
		return NULL;
	}
	if (build_prefix(b, p, err, errlen) != 0 || build_exts(b, p, err, errlen) != 0)
		goto fail;
	b->reserve = 3 * HDR_MAX + b->prefix_len;
	b->cap = 4096;
	if ((b->buf = malloc(b->cap)) == NULL) {
		util_errf(err, errlen, "out of memory");
		goto fail;
	}
	b->len = b->reserve;
	return b;
fail:
	crl_builder_free(b);
	return NULL;
}

int
crl_builder_add(struct crl_builder *b, const struct crl_entry *e)
{
	const unsigned char *s = e->serial;
	size_t sl = e->serial_len, n, body, ext = 0, tl;
	unsigned char tmp[ENTRY_MAX], *q;
	unsigned char tbuf[17], ibuf[17];
	size_t il = 0;

	if (b->finished)
		return -1;
	while (sl > 0 && s[0] == 0) {
		s++;
		sl--;
	}
	if (sl == 0 || sl > 20)
		return -1;	/* RFC 5280 4.1.2.2: positive, at most 20 octets */
	if (e->reason < CRL_REASON_UNSPECIFIED || e->reason > CRL_REASON_CESSATION)
		return -1;	/* R26: no other reason is used */
	if ((tl = put_time(tbuf, e->revoked_at, 0)) == 0)
		return -1;
	if (e->has_invalidity && (il = put_time(ibuf, e->invalidity, 1)) == 0)
		return -1;
	/* crlEntryExtensions content: reasonCode 12 octets, invalidityDate 26. */
	if (e->reason != CRL_REASON_UNSPECIFIED)
		ext += 2 + sizeof(oid_reason) + 2 + 3;
	if (e->has_invalidity)
		ext += 2 + sizeof(oid_invalidity) + 2 + il;
	n = (s[0] & 0x80) ? sl + 1 : sl;	/* INTEGER content */
	body = 2 + n + tl + (ext ? 2 + ext : 0);
	q = tmp;
	q += put_hdr(q, 0x30, body);
	*q++ = V_ASN1_INTEGER;
	*q++ = (unsigned char)n;
	if (n > sl)
		*q++ = 0;
	memcpy(q, s, sl);
	q += sl;
	memcpy(q, tbuf, tl);
	q += tl;
	if (ext) {
		q += put_hdr(q, 0x30, ext);
		if (e->reason != CRL_REASON_UNSPECIFIED) {
			*q++ = 0x30;
			*q++ = (unsigned char)(sizeof(oid_reason) + 5);
			memcpy(q, oid_reason, sizeof(oid_reason));
			q += sizeof(oid_reason);
			*q++ = V_ASN1_OCTET_STRING;
			*q++ = 3;
			*q++ = V_ASN1_ENUMERATED;
			*q++ = 1;
			*q++ = (unsigned char)e->reason;
		}
		if (e->has_invalidity) {
			*q++ = 0x30;
			*q++ = (unsigned char)(sizeof(oid_invalidity) + 2 + il);
			memcpy(q, oid_invalidity, sizeof(oid_invalidity));
			q += sizeof(oid_invalidity);
			*q++ = V_ASN1_OCTET_STRING;
			*q++ = (unsigned char)il;
			memcpy(q, ibuf, il);
			q += il;
		}
	}
	if (append(b, tmp, (size_t)(q - tmp)) != 0)
		return -1;
	b->count++;
	return 0;
}

size_t
crl_builder_count(const struct crl_builder *b)
{
	return b->count;
}

int
crl_builder_finish(struct crl_builder *b, struct signer *ca, const unsigned char **der,
    size_t *len, char *err, size_t errlen)
{
	size_t entries = b->len - b->reserve, start = b->reserve, tbs_start, tbs_len, h;
	unsigned char *sig = NULL;
	size_t siglen = 0;

	if (b->finished) {
		util_errf(err, errlen, "CRL already finished");
		return -1;
	}
	b->finished = 1;
	if (append(b, b->exts, b->exts_len) != 0) {
		util_errf(err, errlen, "out of memory");
		return -1;
	}
	/* RFC 5280 5.1.2.6: no revoked certificates -> the list is absent. */
	if (entries > 0) {
		h = hdr_len(entries);
		start -= h;
		put_hdr(b->buf + start, 0x30, entries);
	}
	start -= b->prefix_len;
	memcpy(b->buf + start, b->prefix, b->prefix_len);
	h = hdr_len(b->len - start);
	tbs_start = start - h;
	put_hdr(b->buf + tbs_start, 0x30, b->len - start);
	tbs_len = b->len - tbs_start;
	if (signer_sign(ca, EVP_sha256(), b->buf + tbs_start, tbs_len, &sig, &siglen) != 0) {
		util_errf(err, errlen, "the CA could not sign the CRL");
		return -1;
	}
	if (grow(b, sizeof(alg_sha256_rsa) + HDR_MAX + 1 + siglen) != 0) {
		OPENSSL_free(sig);
		util_errf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(b->buf + b->len, alg_sha256_rsa, sizeof(alg_sha256_rsa));
	b->len += sizeof(alg_sha256_rsa);
	b->len += put_hdr(b->buf + b->len, V_ASN1_BIT_STRING, siglen + 1);
	b->buf[b->len++] = 0;	/* no unused bits */
	memcpy(b->buf + b->len, sig, siglen);
	b->len += siglen;
	OPENSSL_free(sig);
	h = hdr_len(b->len - tbs_start);
	start = tbs_start - h;
	put_hdr(b->buf + start, 0x30, b->len - tbs_start);
	*der = b->buf + start;
	*len = b->len - start;
	return 0;
}

void
crl_builder_free(struct crl_builder *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b->prefix);
	free(b->exts);
	free(b);
}
