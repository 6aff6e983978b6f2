/*
 * jpkictl audit: the audit trail from the command line.
 *
 *   jpkictl audit verify [--from SEQ] (-c jpkid.conf | --db CONNINFO --cert audit.crt)
 *
 * Recomputes the hash chain over audit_log and checks every checkpoint's
 * signature with the audit certificate's public key only (no private key,
 * no running jpkid): the same code as GET /v1/audit/verify
 * (api/operators/audit_verify.c). With -c the connection and [audit] cert come from
 * the config; --cert overrides the latter. Exit status: 0 good, 1 broken
 * (or the database failed), 2 usage.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "api/operators/audit_verify.h"
#include "ca/keyring.h"
#include "daemon/config.h"
#include "tools/jpkictl.h"

static void
audit_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: jpkictl audit verify [--from SEQ] (-c jpkid.conf | --db CONNINFO --cert audit.crt)\n"
	    "\n"
	    "Recomputes the audit chain and checks every checkpoint signature with\n"
	    "the audit certificate's public key. Prints \"audit chain OK: ...\" and\n"
	    "exits 0, or \"audit chain BROKEN at seq S: reason\" and exits 1.\n"
	    "  --from SEQ   start at the first sealed row with seq >= SEQ (its\n"
	    "               predecessor's seal is taken as given)\n");
}

static int
verify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from",	required_argument,	NULL, 'f' },
		{ "db",		required_argument,	NULL, 'd' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "cert",	required_argument,	NULL, 'C' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const char *db = NULL, *conf = NULL, *cert = NULL;
	struct config *cfg = NULL;
	struct audit_verify_result r;
	EVP_PKEY *pub = NULL;
	PGconn *pg = NULL;
	X509 *x = NULL;
	char err[1024], *end;
	long long from = -1;
	int ch, rc = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:d:c:C:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			errno = 0;
			from = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || from < 0) {
				fprintf(stderr, "jpkictl audit verify: --from: not a seq: %s\n", optarg);
				return 2;
			}
			break;
		case 'd':
			db = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'h':
			audit_usage(stdout);
			return 0;
		default:
			audit_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (db == NULL) == (conf == NULL) || (db != NULL && cert == NULL)) {
		fprintf(stderr, "jpkictl audit verify: give -c jpkid.conf, or --db CONNINFO "
		    "with --cert audit.crt\n");
		audit_usage(stderr);
		return 2;
	}
	rc = 1;
	if (conf != NULL) {
		if ((cfg = config_load(conf, err, sizeof(err))) == NULL) {
			fprintf(stderr, "jpkictl audit verify: %s\n", err);
			goto out;
		}
		db = cfg->conninfo;
		if (cert == NULL)
			cert = cfg->audit_key.cert;
	}
	if (cert != NULL) {
		if ((x = keyring_read_cert(cert, err, sizeof(err))) == NULL ||
		    (pub = X509_get_pubkey(x)) == NULL) {
			fprintf(stderr, "jpkictl audit verify: %s\n", x == NULL ? err :
			    "the audit certificate has no usable public key");
			goto out;
		}
	} else
		fprintf(stderr, "jpkictl audit verify: no [audit] cert in %s: checkpoint "
		    "signatures are not checked\n", conf);
	pg = PQconnectdb(db);
	if (PQstatus(pg) != CONNECTION_OK) {
		/* PQerrorMessage does not include the password. */
		fprintf(stderr, "jpkictl audit verify: cannot connect: %s", PQerrorMessage(pg));
		goto out;
	}
	if (audit_verify_run(pg, pub, from, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "jpkictl audit verify: %s", err);
		goto out;
	}
	if (r.v.broken) {
		printf("audit chain BROKEN at seq %lld: %s\n", r.v.first_bad_seq, r.v.reason);
		goto out;
	}
	printf("audit chain OK: %lld rows, sealed through seq %lld, %lld checkpoints%s",
	    r.v.rows, r.sealed_through, r.v.checkpoints,
	    pub == NULL ? " (signatures not checked)" : "");
	if (r.v.last_cp_seq >= 0)
		printf(", last checkpoint at seq %lld", r.v.last_cp_seq);
	if (r.unsealed > 0)
		printf(", %lld rows not sealed yet", r.unsealed);
	printf("\n");
	rc = 0;
out:
	PQfinish(pg);
	EVP_PKEY_free(pub);
	X509_free(x);
	config_free(cfg);
	return rc;
}

int
jpkictl_audit_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify_main(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		audit_usage(stdout);
		return 0;
	}
	audit_usage(stderr);
	return 2;
}
