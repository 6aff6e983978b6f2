/*
 * Fuzz the CRL builder (ca/crl.c) with fuzzed numbers, dates, serials and
 * reasons: whatever it accepts must finish into a CRL that OpenSSL parses
 * back with the same number of entries. Signed by the SIGN CA of a
 * throwaway hierarchy made once.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "ca/crl.h"
#include "ca/keyring.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES	8

static struct keyring *kr;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_quiet_logs();
	kr = fuzz_keyring();
	return 0;
}

/*
 * A time near now (most inputs), anything at all, or near a multiple of
 * 2^32 years (where a year truncated to int comes back in range).
 */
static time_t
fuzz_time(struct fdp *f)
{
	unsigned long long v = fdp_u64(f);
	long long k;

	switch (fdp_u8(f) % 4) {
	case 1:
		return (time_t)(long long)v;
	case 2:
		k = (long long)(v >> 56) % 4 - 2;	/* -2..1 */
		return (time_t)(k * (4294967296LL / 400) * 146097 * 86400 +
		    (long long)(v & 0xffffffffffffULL) % (400LL * 365 * 86400));
	default:
		return (time_t)(1700000000LL + (long long)(v % (200LL * 365 * 86400)) -
		    100LL * 365 * 86400);
	}
}

/* 1 when the encoded time a is t (OpenSSL's own conversion), else 0. */
static int
same_time(const ASN1_TIME *a, time_t t)
{
	ASN1_TIME *w = ASN1_TIME_set(NULL, t);
	int r = w != NULL && ASN1_TIME_compare(a, w) == 0;

	ASN1_TIME_free(w);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = { data, size };
	struct crl_params p;
	struct crl_entry e;
	struct crl_builder *b;
	const unsigned char *der, *q;
	size_t len, added = 0, k;
	time_t when[MAX_ENTRIES];
	X509_CRL *crl;
	char err[256];
	int i, n;

	memset(&p, 0, sizeof(p));
	p.type = (fdp_u8(&f) & 1) ? PROFILE_AUTH : PROFILE_SIGN;
	p.issuer = p.type == PROFILE_SIGN ? kr->sign_ca.cert : kr->auth_ca.cert;
	p.prefecture = "東京都";
	p.municipality = (fdp_u8(&f) & 1) ? "千代田区" : NULL;
	p.crl_url = "http://status.example.jp";
	p.number = (long long)fdp_u64(&f);
	p.this_update = fuzz_time(&f);
	p.next_update = fuzz_time(&f);
	if ((b = crl_builder_new(&p, err, sizeof(err))) == NULL)
		return 0;
	n = (int)(fdp_u8(&f) % (MAX_ENTRIES + 1));
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.serial = fdp_bytes(&f, 24, &e.serial_len);
		e.revoked_at = fuzz_time(&f);
		e.reason = (int)(signed char)fdp_u8(&f);
		e.has_invalidity = (int)(fdp_u8(&f) & 1);
		e.invalidity = fuzz_time(&f);
		if (crl_builder_add(b, &e) == 0)
			when[added++] = e.revoked_at;
	}
	if (crl_builder_count(b) != added)
		__builtin_trap();
	if (crl_builder_finish(b, kr->sign_ca.key, &der, &len, err, sizeof(err)) == 0) {
		q = der;
		if ((crl = d2i_X509_CRL(NULL, &q, (long)len)) == NULL || q != der + len)
			__builtin_trap();	/* the builder made DER OpenSSL cannot read */
		i = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));	/* -1: none */
		if ((size_t)(i < 0 ? 0 : i) != added)
			__builtin_trap();
		/* The dates are the ones given (entries in the order added). */
		if (!same_time(X509_CRL_get0_lastUpdate(crl), p.this_update) ||
		    !same_time(X509_CRL_get0_nextUpdate(crl), p.next_update))
			__builtin_trap();
		for (k = 0; k < added; k++)
			if (!same_time(X509_REVOKED_get0_revocationDate(
			    sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), (int)k)), when[k]))
				__builtin_trap();
		X509_CRL_free(crl);
	}
	crl_builder_free(b);
	return 0;
}
