/*
 * jpkictl migrate / enroll: the database side of the command line.
 *
 *   jpkictl migrate (--db CONNINFO | -c jpkid.conf)
 *   jpkictl enroll (--db CONNINFO | -c jpkid.conf) --kind KIND --name NAME
 *       [--municipality CODE] [--window CODE] CERT.pem
 *   jpkictl enroll (--db ... ) --manifest DIR/manifest.txt
 *
 * enroll registers a client certificate by the SHA-256 of its DER: terminals
 * (with their municipality, R1), register feeds, relying parties and
 * operators. Re-enrolling the same certificate updates the row (idempotent).
 */
#include <config.h>

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "ca/keyring.h"
#include "common/util.h"
#include "daemon/config.h"
#include "db/migrate.h"
#include "tools/jpkictl.h"

/* --db wins; else the [database] conninfo of -c FILE. Returns malloc'd string. */
static char *
conninfo_from(const char *db, const char *conf)
{
	struct config *c;
	char err[1024], *s;

	if (db != NULL)
		return strdup(db);
	if (conf == NULL) {
		fprintf(stderr, "jpkictl: give --db CONNINFO or -c jpkid.conf\n");
		return NULL;
	}
	if ((c = config_load(conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "jpkictl: %s\n", err);
		return NULL;
	}
	s = strdup(c->conninfo);
	config_free(c);
	return s;
}

static PGconn *
connect_db(const char *db, const char *conf)
{
	char *ci = conninfo_from(db, conf);
	PGconn *pg;

	if (ci == NULL)
		return NULL;
	pg = PQconnectdb(ci);
	free(ci);
	if (PQstatus(pg) != CONNECTION_OK) {
		/* PQerrorMessage does not include the password. */
		fprintf(stderr, "jpkictl: cannot connect: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

int
jpkictl_migrate_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *conf = NULL;
	char err[1024];
	PGconn *pg;
	int ch, n;

	while ((ch = getopt_long(argc, argv, "d:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		default:
			fprintf(stderr, "usage: jpkictl migrate (--db CONNINFO | -c jpkid.conf)\n");
			return 2;
		}
	}
	if ((pg = connect_db(db, conf)) == NULL)
		return 1;
	n = migrate_apply(pg, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "jpkictl: migrate: %s\n", err);
		PQfinish(pg);
		return 1;
	}
	printf("applied %d migration(s); schema version %d\n", n,
	    migrate_current(pg, err, sizeof(err)));
	PQfinish(pg);
	return 0;
}

static int
cert_sha256(const char *path, unsigned char md[SHA256_DIGEST_LENGTH])
{
	char err[512];
	unsigned char *der = NULL;
	X509 *x;
	int len;

	if ((x = keyring_read_cert(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "jpkictl: %s\n", err);
		return -1;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		fprintf(stderr, "jpkictl: %s: cannot encode certificate\n", path);
		X509_free(x);
		return -1;
	}
	SHA256(der, (size_t)len, md);
	OPENSSL_free(der);
	X509_free(x);
	return 0;
}

/*
 * Per principal kind: how to register a new certificate and how to refresh
 * a registered one. $1 name, $2 cert_sha256 (binary), $3 municipality,
 * $4 window code (terminals only). A certificate belongs to exactly one
 * principal (the schema's principal_cert_unique trigger), so enroll looks it
 * up first: same kind -> update in place (idempotent), other kind -> refuse.
 */
static const struct {
	const char	*kind;
	int		 nparams;
	const char	*insert;
	const char	*update;
} enroll_sql[] = {
	{ "terminal", 4,
	  "INSERT INTO terminals (name, cert_sha256, municipality_code, window_code) "
	  "VALUES ($1, $2, $3, $4)",
	  "UPDATE terminals SET name = $1, municipality_code = $3, window_code = $4, "
	  "enabled = true WHERE cert_sha256 = $2" },
	{ "register_feed", 2,
	  "INSERT INTO register_feeds (name, cert_sha256) VALUES ($1, $2)",
	  "UPDATE register_feeds SET name = $1, enabled = true WHERE cert_sha256 = $2" },
	{ "relying_party", 2,
	  "INSERT INTO relying_parties (name, cert_sha256) VALUES ($1, $2)",
	  "UPDATE relying_parties SET name = $1, enabled = true WHERE cert_sha256 = $2" },
	{ "operator", 2,
	  "INSERT INTO operators (username, role, cert_sha256) VALUES ($1, 'admin', $2)",
	  "UPDATE operators SET username = $1, enabled = true WHERE cert_sha256 = $2" },
	{ "kiosk", 2,
	  "INSERT INTO kiosks (name, cert_sha256) VALUES ($1, $2)",
	  "UPDATE kiosks SET name = $1, auth_pin_reset = false, enabled = true "
	  "WHERE cert_sha256 = $2" },
	/* R16a: a kiosk that also resets AUTH PINs (principal kind "kiosk"). */
	{ "kiosk_auth", 2,
	  "INSERT INTO kiosks (name, cert_sha256, auth_pin_reset) VALUES ($1, $2, true)",
	  "UPDATE kiosks SET name = $1, auth_pin_reset = true, enabled = true "
	  "WHERE cert_sha256 = $2" },
};

/* One certificate; kind as in the principals view. */
static int
enroll_one(PGconn *pg, const char *kind, const char *name, const char *muni,
    const char *window, const char *path)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *vals[4], *sql;
	int lens[4] = { 0, SHA256_DIGEST_LENGTH, 0, 0 }, fmts[4] = { 0, 1, 0, 0 };
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	PGresult *res = NULL;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof(enroll_sql) / sizeof(enroll_sql[0]); i++)
		if (strcmp(enroll_sql[i].kind, kind) == 0)
			break;
	if (i == sizeof(enroll_sql) / sizeof(enroll_sql[0])) {
		fprintf(stderr, "jpkictl: unknown kind '%s' (terminal, register_feed, "
		    "relying_party, operator, kiosk, kiosk_auth)\n", kind);
		return -1;
	}
	if (!strcmp(kind, "terminal") && muni == NULL) {
		fprintf(stderr, "jpkictl: a terminal needs --municipality (R1)\n");
		return -1;
	}
	if (cert_sha256(path, md) != 0)
		return -1;
	vals[0] = name;
	vals[1] = (const char *)md;
	vals[2] = muni;
	vals[3] = window;
	res = PQexecParams(pg, "SELECT kind FROM principals WHERE cert_sha256 = $1", 1,
	    NULL, vals + 1, lens + 1, fmts + 1, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "jpkictl: enroll %s: %s", path, PQerrorMessage(pg));
		goto out;
	}
	sql = enroll_sql[i].insert;
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), strcmp(kind, "kiosk_auth") == 0 ? "kiosk" :
		    kind) != 0) {
			fprintf(stderr, "jpkictl: enroll %s: already registered as a %s\n",
			    path, PQgetvalue(res, 0, 0));
			goto out;
		}
		sql = enroll_sql[i].update;
	}
	PQclear(res);
	res = PQexecParams(pg, sql, enroll_sql[i].nparams, NULL, vals, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "jpkictl: enroll %s: %s", path, PQerrorMessage(pg));
		goto out;
	}
	util_hex(md, sizeof(md), hex);
	printf("%s %s %s %s%s%s\n", sql == enroll_sql[i].insert ? "enrolled" : "updated",
	    kind, name, hex, muni ? " municipality " : "", muni ? muni : "");
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* manifest.txt lines: kind certfile municipality-or-dash sha256 */
static int
enroll_manifest(PGconn *pg, const char *manifest)
{
	FILE *f;
	char line[1024], kind[64], file[512], muni[16], sha[80], name[600], path[2048];
	char *dircopy, *dir;
	int rc = 0, lineno = 0;

	if ((f = fopen(manifest, "r")) == NULL) {
		fprintf(stderr, "jpkictl: %s: cannot open\n", manifest);
		return -1;
	}
	dircopy = strdup(manifest);
	dir = dirname(dircopy);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%63s %511s %15s %79s", kind, file, muni, sha) != 4) {
			fprintf(stderr, "jpkictl: %s:%d: bad line\n", manifest, lineno);
			rc = -1;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		snprintf(name, sizeof(name), "%s", file);
		if (strrchr(name, '.') != NULL)
			*strrchr(name, '.') = '\0';
		if (enroll_one(pg, kind, name, strcmp(muni, "-") ? muni : NULL, "01", path) != 0)
			rc = -1;
	}
	fclose(f);
	free(dircopy);
	return rc;
}

int
jpkictl_enroll_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "municipality", required_argument, NULL, 'm' },
		{ "window", required_argument, NULL, 'w' },
		{ "manifest", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *conf = NULL, *kind = NULL, *name = NULL, *muni = NULL;
	const char *window = NULL, *manifest = NULL;
	PGconn *pg;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "d:c:k:n:m:w:M:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'c': conf = optarg; break;
		case 'k': kind = optarg; break;
		case 'n': name = optarg; break;
		case 'm': muni = optarg; break;
		case 'w': window = optarg; break;
		case 'M': manifest = optarg; break;
		default:
			goto usage;
		}
	}
	if (manifest == NULL && (kind == NULL || name == NULL || optind != argc - 1))
		goto usage;
	if ((pg = connect_db(db, conf)) == NULL)
		return 1;
	rc = manifest != NULL ? enroll_manifest(pg, manifest) :
	    enroll_one(pg, kind, name, muni, window, argv[optind]);
	PQfinish(pg);
	return rc == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: jpkictl enroll (--db CONNINFO | -c jpkid.conf) --kind KIND "
	    "--name NAME [--municipality CODE] [--window CODE] CERT.pem\n"
	    "       jpkictl enroll (--db CONNINFO | -c jpkid.conf) --manifest DIR/manifest.txt\n"
	    "KIND: terminal, register_feed, relying_party, operator, kiosk,\n"
	    "      kiosk_auth (a kiosk that also resets AUTH PINs, R16a)\n");
	return 2;
}
