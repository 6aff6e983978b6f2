/*
 * Fuzz the OCSP response builder (ca/ocsp.c ocsp_resp_build) with fuzzed
 * serials, statuses, dates, reasons, validity and nonces: a response it
 * builds must parse back with one SingleResponse per CertID. Signed by the
 * SIGN OCSP responder of a throwaway hierarchy made once.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>

#include "ca/keyring.h"
#include "ca/ocsp.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IDS	4

static struct keyring *kr;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_quiet_logs();
	kr = fuzz_keyring();
	return 0;
}

static time_t
fuzz_time(struct fdp *f, int wild)
{
	unsigned long long v = fdp_u64(f);

	if (wild && (fdp_u8(f) & 1))
		return (time_t)(long long)v;
	return (time_t)(1700000000LL + (long long)(v % (200LL * 365 * 86400)) - 100LL * 365 * 86400);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = { data, size };
	OCSP_CERTID *ids[MAX_IDS] = { NULL };
	struct ocsp_status st[MAX_IDS];
	OCSP_REQUEST *nreq = NULL;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	ASN1_INTEGER *sn;
	BIGNUM *bn;
	X509 *issuer;
	const unsigned char *s, *q;
	unsigned char *der = NULL;
	size_t sl, len;
	time_t now;
	int i, n, validity;

	n = 1 + (int)(fdp_u8(&f) % MAX_IDS);
	for (i = 0; i < n; i++) {
		issuer = (fdp_u8(&f) & 1) ? kr->auth_ca.cert : kr->sign_ca.cert;
		s = fdp_bytes(&f, 24, &sl);
		bn = BN_bin2bn(s, (int)sl, NULL);
		if (fdp_u8(&f) & 1)
			BN_set_negative(bn, 1);
		sn = BN_to_ASN1_INTEGER(bn, NULL);
		ids[i] = OCSP_cert_id_new((fdp_u8(&f) & 1) ? EVP_sha256() : EVP_sha1(),
		    X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), sn);
		BN_free(bn);
		ASN1_INTEGER_free(sn);
		if (ids[i] == NULL)
			abort();
		memset(&st[i], 0, sizeof(st[i]));
		st[i].status = (int)(signed char)fdp_u8(&f) % 4;
		st[i].revoked_at = fuzz_time(&f, 1);
		st[i].reason = (int)(signed char)fdp_u8(&f);
		st[i].invalidity = (fdp_u8(&f) & 1) ? fuzz_time(&f, 1) : 0;
	}
	now = fuzz_time(&f, 0);
	validity = (int)(unsigned)fdp_u64(&f);
	if (fdp_u8(&f) & 1) {
		s = fdp_bytes(&f, 40, &sl);
		nreq = OCSP_REQUEST_new();
		/* No bytes: a random 16-octet nonce (with val, OpenSSL would read 16 of it). */
		if (nreq == NULL || OCSP_request_add1_nonce(nreq,
		    sl == 0 ? NULL : (unsigned char *)(uintptr_t)s, sl == 0 ? -1 : (int)sl) != 1)
			abort();
	}
	if (ocsp_resp_build(ids, st, n, nreq, now, validity, kr->sign_ocsp.cert,
	    kr->sign_ocsp.key, &der, &len) == 0) {
		q = der;
		if ((r = d2i_OCSP_RESPONSE(NULL, &q, (long)len)) == NULL || q != der + len ||
		    (bs = OCSP_response_get1_basic(r)) == NULL)
			__builtin_trap();	/* the builder made DER OpenSSL cannot read */
		if (OCSP_resp_count(bs) != n)
			__builtin_trap();
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(r);
	}
	free(der);
	OCSP_REQUEST_free(nreq);
	for (i = 0; i < n; i++)
		OCSP_CERTID_free(ids[i]);
	return 0;
}
