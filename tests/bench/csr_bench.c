/*
 * csr_bench: CPU per CSR of the CA code, stage by stage, without a
 * database or a daemon (issue 15): CSR parse + verify, R22's weak-key
 * checks one by one (ca/policy_key.c), building, linting and signing the
 * certificate (ca/profile.c). Not run by check.sh; build it with
 * `make -C _build tests/bench/csr_bench`.
 *
 * usage: csr_bench [ITERATIONS [REPEATS]]   (defaults 200 and 5)
 *
 * Each stage runs ITERATIONS times over 4 holder keys and their CSRs, and
 * that REPEATS times; one line per stage: the median and the minimum over
 * the repeats of the time per operation, in microseconds of CPU time
 * (CLOCK_PROCESS_CPUTIME_ID: the machine is shared, wall time is noise).
 */
#include <config.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/csr.h"
#include "ca/lint.h"
#include "ca/policy_key.h"
#include "ca/profile.h"
#include "ca/signer.h"
#include "ca/x509ext.h"

#define NKEYS		4
#define MAXREP		64
#define T_2020		((time_t)1577836800)
#define T_2045		((time_t)2366841600)
#define T_ISSUE		((time_t)1795221000)
#define T_NOT_AFTER	((time_t)1953039599)

static const unsigned char serial[] = { 0x3a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };

struct fx {
	EVP_PKEY		*holder[NKEYS], *ca_key, *lint_key;
	BIGNUM			*n[NKEYS];
	unsigned char		*csr[NKEYS], *cert[NKEYS];
	size_t			 csr_len[NKEYS], cert_len[NKEYS];
	X509			*ca;
	struct signer		*signer;
	struct profile_req	 req[NKEYS];
};

static struct fx fx;
static X509_REQ *parsed_req[NKEYS];
static X509 *parsed_cert[NKEYS];
static volatile int sink;

static void
die(const char *what)
{
	fprintf(stderr, "csr_bench: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static X509 *
make_ca(EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509_NAME *n = x509_name_r23(R23_OU_SIGN, NULL);

	if (x == NULL || n == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_set_subject_name(x, n) != 1 || X509_set_issuer_name(x, n) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), T_2020) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), T_2045) == NULL ||
	    X509_set_pubkey(x, k) != 1 || x509_ext_basic_constraints(x, 1) != 0 ||
	    x509_ext_key_usage(x, KUBIT_KEY_CERT_SIGN, KUBIT_CRL_SIGN, -1) != 0 ||
	    x509_ext_ski(x) != 0 || X509_sign(x, k, EVP_sha256()) <= 0)
		die("CA certificate");
	X509_NAME_free(n);
	return x;
}

static void
req_init(struct profile_req *r, EVP_PKEY *holder)
{
	memset(r, 0, sizeof(*r));
	r->type = PROFILE_SIGN;
	r->serial = serial;
	r->serial_len = sizeof(serial);
	r->not_before = T_ISSUE;
	r->not_after = T_NOT_AFTER;
	r->subject_key = holder;
	r->issuer = fx.ca;
	r->subject_cn = "2026112109300000001131016";
	r->prefecture = "東京都";
	r->municipality = "千代田区";
	r->name = "山田　花子";
	r->name_map = "00000";
	r->sex = "2";
	r->birth = "319800102";
	r->address = "東京都千代田区千代田１－１";
	r->address_map = "0000000000000";
	r->policy_oid = R24_POLICY_SIGN;
	r->crl_url = "http://localhost:8080/crl/sign/131016.crl";
	r->ocsp_url = "http://localhost:8080/ocsp/sign";
	r->ca_issuers_url = "http://localhost:8080/ca/sign-ca.crt";
}

static void
fx_init(char *dir)
{
	char path[256], err[256];
	FILE *fp;
	int i, fd, lf;

	if ((fx.ca_key = EVP_RSA_gen(2048)) == NULL ||
	    (fx.lint_key = profile_lint_key_new()) == NULL)
		die("keys");
	fx.ca = make_ca(fx.ca_key);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL ||
	    PEM_write_PrivateKey(fp, fx.ca_key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(fp) != 0)
		die("CA key file");
	if (signer_open(path, NULL, &fx.signer, err, sizeof(err)) == -1)
		die(err);
	unlink(path);
	for (i = 0; i < NKEYS; i++) {
		X509_REQ *q = X509_REQ_new();
		unsigned char *der = NULL;
		int l;

		if ((fx.holder[i] = EVP_RSA_gen(2048)) == NULL || q == NULL ||
		    X509_REQ_set_pubkey(q, fx.holder[i]) != 1 ||
		    X509_REQ_sign(q, fx.holder[i], EVP_sha256()) <= 0 ||
		    (l = i2d_X509_REQ(q, &der)) <= 0 ||
		    EVP_PKEY_get_bn_param(fx.holder[i], OSSL_PKEY_PARAM_RSA_N, &fx.n[i]) != 1)
			die("holder key or CSR");
		X509_REQ_free(q);
		fx.csr[i] = der;
		fx.csr_len[i] = (size_t)l;
		req_init(&fx.req[i], fx.holder[i]);
		if (profile_issue(&fx.req[i], fx.signer, fx.lint_key, &fx.cert[i],
		    &fx.cert_len[i], &lf, err, sizeof(err)) != 0)
			die(err);
	}
}

static void
fx_free(void)
{
	int i;

	for (i = 0; i < NKEYS; i++) {
		EVP_PKEY_free(fx.holder[i]);
		BN_free(fx.n[i]);
		OPENSSL_free(fx.csr[i]);
		OPENSSL_free(fx.cert[i]);
		X509_REQ_free(parsed_req[i]);
		X509_free(parsed_cert[i]);
	}
	signer_free(fx.signer);
	X509_free(fx.ca);
	EVP_PKEY_free(fx.ca_key);
	EVP_PKEY_free(fx.lint_key);
}

/* --- the stages: one operation on key i ---------------------------------- */

static void
st_csr_parse(int i)
{
	EVP_PKEY *k = NULL;
	const char *rule;
	char err[256];

	if (csr_parse(fx.csr[i], fx.csr_len[i], &k, &rule, err, sizeof(err)) != 0)
		die(err);
	EVP_PKEY_free(k);
}

static void
st_d2i_req(int i)
{
	const unsigned char *p = fx.csr[i];
	X509_REQ *q = d2i_X509_REQ(NULL, &p, (long)fx.csr_len[i]);

	if (q == NULL)
		die("d2i_X509_REQ");
	X509_REQ_free(q);
}

static void
st_req_verify(int i)
{
	X509_REQ **q = parsed_req;
	const unsigned char *p = fx.csr[i];

	if (q[i] == NULL && (q[i] = d2i_X509_REQ(NULL, &p, (long)fx.csr_len[i])) == NULL)
		die("d2i_X509_REQ");
	if (X509_REQ_verify(q[i], X509_REQ_get0_pubkey(q[i])) != 1)
		die("X509_REQ_verify");
}

static void
st_small_factor(int i)
{
	sink += policy_key_small_factor(fx.n[i], POLICY_KEY_TRIAL_LIMIT, NULL);
}

static void
st_roca(int i)
{
	sink += policy_key_roca(fx.n[i]);
}

static void
st_fermat(int i)
{
	sink += policy_key_fermat(fx.n[i], POLICY_KEY_FERMAT_STEPS);
}

static void
st_weak(int i)
{
	char err[256];

	if (policy_key_weak(fx.holder[i], err, sizeof(err)) != 0)
		die(err);
}

static void
st_fingerprint(int i)
{
	unsigned char fp[POLICY_KEY_FP_LEN];

	if (policy_key_fingerprint(fx.holder[i], fp) != 0)
		die("policy_key_fingerprint");
}

static void
st_set_pubkey(int i)
{
	X509 *x = X509_new();

	if (x == NULL || X509_set_pubkey(x, fx.holder[i]) != 1)
		die("X509_set_pubkey");
	X509_free(x);
}

static void
st_build(int i)
{
	char err[256];
	X509 *x = profile_build(&fx.req[i], err, sizeof(err));

	if (x == NULL)
		die(err);
	X509_free(x);
}

static void
st_parse_cert(int i)
{
	const unsigned char *p = fx.cert[i];
	X509 *x = d2i_X509(NULL, &p, (long)fx.cert_len[i]);

	if (x == NULL)
		die("d2i_X509");
	X509_free(x);
}

static void
st_lint(int i)
{
	X509 **x = parsed_cert;
	const unsigned char *p = fx.cert[i];
	char err[256];

	if (x[i] == NULL && (x[i] = d2i_X509(NULL, &p, (long)fx.cert_len[i])) == NULL)
		die("d2i_X509");
	if (lint_cert(x[i], &fx.req[i], err, sizeof(err)) != 0)
		die(err);
}

static void
st_ca_sign(int i)
{
	char err[256];
	X509 *x = profile_build(&fx.req[i], err, sizeof(err));

	if (x == NULL || signer_sign_x509(fx.signer, x) != 0)
		die("CA signature");
	X509_free(x);
}

static void
st_issue(int i)
{
	unsigned char *der = NULL;
	size_t len;
	int lf;
	char err[256];

	if (profile_issue(&fx.req[i], fx.signer, fx.lint_key, &der, &len, &lf, err,
	    sizeof(err)) != 0)
		die(err);
	OPENSSL_free(der);
}

static void
st_all(int i)
{
	st_csr_parse(i);
	st_fingerprint(i);
	st_issue(i);
}

static const struct stage {
	const char	*name;
	void		(*fn)(int);
} stages[] = {
	{ "csr_parse (DER + R22 checks + verify)", st_csr_parse },
	{ "  d2i_X509_REQ (decodes the key)", st_d2i_req },
	{ "  X509_REQ_verify", st_req_verify },
	{ "  policy_key_weak (all three)", st_weak },
	{ "    small factor < 2^16", st_small_factor },
	{ "    ROCA fingerprint", st_roca },
	{ "    Fermat", st_fermat },
	{ "policy_key_fingerprint (SPKI SHA-256)", st_fingerprint },
	{ "X509_set_pubkey (fresh X509)", st_set_pubkey },
	{ "profile_build (TBS structure, public API)", st_build },
	{ "profile_build + CA signature", st_ca_sign },
	{ "d2i_X509 of the issued DER", st_parse_cert },
	{ "lint_cert (parsed certificate)", st_lint },
	{ "profile_issue (build+lint+sign+verify)", st_issue },
	{ "csr_parse + fingerprint + profile_issue", st_all },
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/csr_bench-XXXXXX";
	int iters = argc > 1 ? atoi(argv[1]) : 200, reps = argc > 2 ? atoi(argv[2]) : 5;
	size_t s;
	int r, k;

	if (iters < 1 || reps < 1 || reps > MAXREP) {
		fprintf(stderr, "usage: csr_bench [ITERATIONS [REPEATS<=%d]]\n", MAXREP);
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	fx_init(dir);
	rmdir(dir);
	printf("%-42s %10s %10s   (us per operation, %d x %d)\n", "stage", "median",
	    "min", reps, iters);
	for (s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
		double t[MAXREP];

		for (k = 0; k < NKEYS; k++)	/* warm-up */
			stages[s].fn(k);
		for (r = 0; r < reps; r++) {
			double t0 = now_us();

			for (k = 0; k < iters; k++)
				stages[s].fn(k % NKEYS);
			t[r] = (now_us() - t0) / iters;
		}
		qsort(t, (size_t)reps, sizeof(t[0]), cmp_double);
		printf("%-42s %10.1f %10.1f\n", stages[s].name, t[reps / 2], t[0]);
		fflush(stdout);
	}
	fx_free();
	return 0;
}
