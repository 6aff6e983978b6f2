/*
 * jpkictl init: create the development CA hierarchy (ca/devca.h).
 *
 *   jpkictl init --dir D [--bits 2048|3072|4096] [--days N]
 *       [--sign-key SPEC] [--auth-key SPEC] [--pin-file F]
 *       [--municipality CODE]... [--force]
 *
 * SPEC is a PEM key path or a pkcs11: URI (ca/signer.h); the PIN for a
 * token comes from --pin-file (first line) or from the URI's pin-source.
 * Exit status: 0 done, 1 failed, 2 usage.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/answercode.h"
#include "ca/devca.h"
#include "ca/signer.h"
#include "common/clock.h"
#include "tools/jpkictl.h"

#define PIN_MAX	256

static void
init_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: jpkictl init --dir D [--bits 2048|3072|4096] [--days N]\n"
	    "           [--sign-key SPEC] [--auth-key SPEC] [--pin-file F]\n"
	    "           [--municipality CODE]... [--force]\n"
	    "\n"
	    "Creates in D (mode 0700) the SIGN and AUTH issuing CAs, their OCSP\n"
	    "responder certificates, a client CA with a TLS server certificate,\n"
	    "terminal, register feed, relying party and operator client\n"
	    "certificates, an audit checkpoint signer (audit.crt/audit.key), the\n"
	    "answer-code key of inquiry forms (answer.key, R13) and\n"
	    "manifest.txt. SPEC: a PEM key file or a pkcs11: URI\n"
	    "for an existing issuing CA key (the key stays where it is).\n"
	    "  --municipality CODE  6-digit code of a sample terminal (twice at most;\n"
	    "                       default 131016 and 141003)\n"
	    "  --force              replace an existing hierarchy in D\n");
}

static int
parse_int(const char *opt, const char *s, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > INT_MAX) {
		fprintf(stderr, "jpkictl init: %s: not a positive number: %s\n",
		    opt, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
jpkictl_init_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir",		required_argument,	NULL, 'd' },
		{ "bits",		required_argument,	NULL, 'b' },
		{ "days",		required_argument,	NULL, 'n' },
		{ "sign-key",		required_argument,	NULL, 's' },
		{ "auth-key",		required_argument,	NULL, 'a' },
		{ "pin-file",		required_argument,	NULL, 'p' },
		{ "municipality",	required_argument,	NULL, 'm' },
		{ "force",		no_argument,		NULL, 'f' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	struct devca_opts	 o;
	const char		*pin_file = NULL;
	char			 pin[PIN_MAX], err[1024], keypath[PATH_MAX];
	size_t			 nmuni = 0;
	int			 ch, rc = 2;

	memset(&o, 0, sizeof(o));
	o.now = clock_now();	/* a test-clock build can date a hierarchy for tests */
	pin[0] = '\0';
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:b:n:s:a:p:m:fh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.dir = optarg;
			break;
		case 'b':
			if (parse_int("--bits", optarg, &o.bits) == -1)
				goto out;
			break;
		case 'n':
			if (parse_int("--days", optarg, &o.days) == -1)
				goto out;
			break;
		case 's':
			o.sign_key = optarg;
			break;
		case 'a':
			o.auth_key = optarg;
			break;
		case 'p':
			pin_file = optarg;
			break;
		case 'm':
			if (nmuni == 2) {
				fprintf(stderr, "jpkictl init: at most two "
				    "--municipality\n");
				goto out;
			}
			o.municipalities[nmuni++] = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'h':
			init_usage(stdout);
			rc = 0;
			goto out;
		default:
			init_usage(stderr);
			goto out;
		}
	}
	if (optind != argc || o.dir == NULL) {
		fprintf(stderr, "jpkictl init: %s\n", o.dir == NULL ?
		    "--dir is required" : "unexpected argument");
		init_usage(stderr);
		goto out;
	}
	if (o.bits != 0 && o.bits != 2048 && o.bits != 3072 && o.bits != 4096) {
		fprintf(stderr, "jpkictl init: --bits must be 2048, 3072 or "
		    "4096\n");
		goto out;
	}
	/* One given municipality replaces the first default only. */
	if (nmuni == 1 && strcmp(o.municipalities[0], "141003") == 0)
		o.municipalities[1] = "131016";
	rc = 1;
	if (pin_file != NULL) {
		if (signer_read_pin(pin_file, pin, sizeof(pin), err, sizeof(err)) == -1) {
			fprintf(stderr, "jpkictl init: --pin-file: %s\n", err);
			goto out;
		}
		o.pin = pin;
	}
	if (devca_init(&o, err, sizeof(err)) == -1) {
		fprintf(stderr, "jpkictl init: %s\n", err);
		goto out;
	}
	/* R13: the answer-code key ([issuance] answer_key; ca/answercode.h). */
	snprintf(keypath, sizeof(keypath), "%s/answer.key", o.dir);
	if (answer_key_create(keypath, o.force, err, sizeof(err)) == -1) {
		fprintf(stderr, "jpkictl init: %s\n", err);
		goto out;
	}
	printf("jpkictl init: development hierarchy created in %s "
	    "(see %s/manifest.txt)\n", o.dir, o.dir);
	rc = 0;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return rc;
}
