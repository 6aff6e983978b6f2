/*
 * jpkictl operator: the accounts of the operator console.
 *
 *   jpkictl operator add NAME --role viewer|officer|admin [--display-name D]
 *       [--password-file F]
 *   jpkictl operator passwd NAME [--password-file F]
 *   jpkictl operator disable NAME | enable NAME | unlock NAME | totp NAME
 *   jpkictl operator list
 *
 * Every command takes -c jpkid.conf (conninfo and the [operators] Argon2id
 * parameters) or --db CONNINFO (default parameters). Without
 * --password-file the password is asked twice on the terminal, not echoed;
 * it is never printed. Each change is one transaction with its audit_log
 * row (actor "jpkictl:<login name>"). passwd, disable and totp end the
 * operator's sessions.
 */
#include <config.h>

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "ca/password.h"
#include "ca/totp.h"
#include "common/clock.h"
#include "common/util.h"
#include "daemon/config.h"
#include "tools/jpkictl.h"

struct opctx {
	PGconn			*pg;
	struct password_params	 params;
	char			 actor[160];
};

static int
usage(void)
{
	fprintf(stderr,
	    "usage: jpkictl operator COMMAND (-c jpkid.conf | --db CONNINFO) ...\n"
	    "  add NAME --role viewer|officer|admin [--display-name D] [--password-file F]\n"
	    "  passwd NAME [--password-file F]   new password; ends the operator's sessions\n"
	    "  disable NAME                      refuse logins; ends the operator's sessions\n"
	    "  enable NAME\n"
	    "  unlock NAME                       clear failed logins and a lock\n"
	    "  totp NAME                         new second factor: prints the otpauth:// URI once\n"
	    "  list\n"
	    "Without --password-file the password is asked twice on the terminal.\n");
	return 2;
}

/* -c FILE or --db: connection and Argon2id parameters. 0, or -1 (said why). */
static int
ctx_open(struct opctx *x, const char *db, const char *conf)
{
	struct config *c = NULL;
	struct passwd *pw;
	const char *login;
	char err[1024];

	x->params.memory_kib = 65536;
	x->params.iterations = 3;
	x->params.parallelism = 1;
	if (db == NULL && conf == NULL) {
		fprintf(stderr, "jpkictl: give --db CONNINFO or -c jpkid.conf\n");
		return -1;
	}
	if (conf != NULL) {
		if ((c = config_load(conf, err, sizeof(err))) == NULL) {
			fprintf(stderr, "jpkictl: %s\n", err);
			return -1;
		}
		x->params.memory_kib = (unsigned)c->argon2_memory_kib;
		x->params.iterations = (unsigned)c->argon2_iterations;
		x->params.parallelism = (unsigned)c->argon2_parallelism;
	}
	x->pg = PQconnectdb(db != NULL ? db : c->conninfo);
	config_free(c);
	if (PQstatus(x->pg) != CONNECTION_OK) {
		/* PQerrorMessage does not include the password. */
		fprintf(stderr, "jpkictl: cannot connect: %s", PQerrorMessage(x->pg));
		PQfinish(x->pg);
		x->pg = NULL;
		return -1;
	}
	pw = getpwuid(getuid());
	login = pw != NULL ? pw->pw_name : getenv("USER");
	snprintf(x->actor, sizeof(x->actor), "jpkictl:%s", login != NULL ? login : "unknown");
	return 0;
}

/* One line from fd's terminal without echo, into buf (newline stripped). */
static int
ask(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int ok;

	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return -1;
	ok = fgets(buf, (int)len, stdin) != NULL;
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/*
 * The new password into buf: the first line of file, or asked twice on the
 * terminal. Weak ones are refused with the reason. 0, or -1 (said why).
 */
static int
read_password(const char *file, char *buf, size_t len)
{
	char again[PASSWORD_MAX_LEN + 2], *s;
	const char *weak;
	size_t n;

	if (file != NULL) {
		if ((s = util_read_file(file, &n)) == NULL) {
			fprintf(stderr, "jpkictl: %s: cannot read\n", file);
			return -1;
		}
		s[strcspn(s, "\r\n")] = '\0';	/* the first line is the password */
		if (strlen(s) >= len) {
			OPENSSL_cleanse(s, n);
			free(s);
			fprintf(stderr, "jpkictl: %s: the password is too long\n", file);
			return -1;
		}
		memcpy(buf, s, strlen(s) + 1);
		OPENSSL_cleanse(s, n);
		free(s);
	} else {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, "jpkictl: stdin is not a terminal: give --password-file F\n");
			return -1;
		}
		if (ask("New password: ", buf, len) != 0 ||
		    ask("Again: ", again, sizeof(again)) != 0) {
			fprintf(stderr, "jpkictl: no password read\n");
			return -1;
		}
		n = strlen(buf);
		if (n != strlen(again) || !util_ct_equal(buf, again, n)) {
			OPENSSL_cleanse(again, sizeof(again));
			fprintf(stderr, "jpkictl: the two passwords differ\n");
			return -1;
		}
		OPENSSL_cleanse(again, sizeof(again));
	}
	if ((weak = password_weakness(buf)) != NULL) {
		fprintf(stderr, "jpkictl: password refused: %s\n", weak);
		return -1;
	}
	return 0;
}

/* Run sql with text parameters; the result, or NULL (said why, rolled back by the caller). */
static PGresult *
run(struct opctx *x, const char *sql, int n, const char *const *v, ExecStatusType want)
{
	PGresult *res = PQexecParams(x->pg, sql, n, NULL, v, NULL, NULL, 0);

	if (PQresultStatus(res) != want) {
		const char *c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);

		if (c != NULL && strcmp(c, "operators_username_key") == 0)
			fprintf(stderr, "jpkictl: an operator of that name exists\n");
		else if (c != NULL && strcmp(c, "operators_username_check") == 0)
			fprintf(stderr, "jpkictl: a name is 1-64 of a-z 0-9 . _ - "
			    "(starting with a letter or digit)\n");
		else if (c != NULL && strcmp(c, "operators_credential_check") == 0)
			fprintf(stderr, "jpkictl: the operator has neither a password nor a "
			    "certificate: set a password first (jpkictl operator passwd)\n");
		else
			fprintf(stderr, "jpkictl: %s", PQerrorMessage(x->pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

static int
begin(struct opctx *x)
{
	PGresult *res = run(x, "BEGIN", 0, NULL, PGRES_COMMAND_OK);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* The audit row of a change, then COMMIT. 0, or -1 (rolled back). */
static int
audit_commit(struct opctx *x, const char *action, const char *id, json_t *detail)
{
	char object[48], *js;
	const char *v[4];
	PGresult *res;

	snprintf(object, sizeof(object), "operator:%s", id);
	js = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	v[0] = x->actor;
	v[1] = action;
	v[2] = object;
	v[3] = js != NULL ? js : "{}";
	res = run(x, "INSERT INTO audit_log (actor, action, object, detail)"
	    " VALUES ($1, $2, $3, $4::jsonb)", 4, v, PGRES_COMMAND_OK);
	free(js);
	if (res == NULL)
		return -1;
	PQclear(res);
	if ((res = run(x, "COMMIT", 0, NULL, PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/*
 * UPDATE sql ($1 = username, more in v[1..]) RETURNING id inside the open
 * transaction; with end_sessions the operator's sessions go too. The id
 * into id, or -1 (no such operator; said so).
 */
static int
update_one(struct opctx *x, const char *name, const char *sql, int n, const char **v,
    int end_sessions, char id[24])
{
	PGresult *res;

	v[0] = name;
	if ((res = run(x, sql, n, v, PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		fprintf(stderr, "jpkictl: no operator '%s'\n", name);
		PQclear(res);
		return -1;
	}
	snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (end_sessions) {
		const char *w[1] = { id };

		if ((res = run(x, "DELETE FROM operator_sessions WHERE operator_id = $1", 1, w,
		    PGRES_COMMAND_OK)) == NULL)
			return -1;
		PQclear(res);
	}
	return 0;
}

static int
cmd_add(struct opctx *x, const char *name, const char *role, const char *display,
    const char *pwfile)
{
	char pw[PASSWORD_MAX_LEN + 2], hash[256], id[24];
	const char *v[4];
	PGresult *res;
	int rc;

	if (role == NULL || (strcmp(role, "viewer") && strcmp(role, "officer") &&
	    strcmp(role, "admin"))) {
		fprintf(stderr, "jpkictl: --role viewer, officer or admin\n");
		return 2;
	}
	if (read_password(pwfile, pw, sizeof(pw)) != 0)
		return 1;
	rc = password_hash(&x->params, pw, hash, sizeof(hash));
	OPENSSL_cleanse(pw, sizeof(pw));
	if (rc != 0) {
		fprintf(stderr, "jpkictl: cannot hash the password (Argon2id parameters?)\n");
		return 1;
	}
	v[0] = name;
	v[1] = display;
	v[2] = hash;
	v[3] = role;
	if (begin(x) != 0 || (res = run(x, "INSERT INTO operators (username, display_name,"
	    " password_hash, role, password_changed_at) VALUES ($1, $2, $3, $4, now())"
	    " RETURNING id", 4, v, PGRES_TUPLES_OK)) == NULL)
		return 1;
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (audit_commit(x, "operator.create", id, json_pack("{s:s, s:s}", "username", name,
	    "role", role)) != 0)
		return 1;
	printf("created operator %s (id %s, role %s)\n", name, id, role);
	if (strcmp(role, "viewer") != 0)
		printf("an %s logs in with a second factor: jpkictl operator totp %s\n",
		    role, name);
	return 0;
}

static int
cmd_passwd(struct opctx *x, const char *name, const char *pwfile)
{
	char pw[PASSWORD_MAX_LEN + 2], hash[256], id[24];
	const char *v[2];
	int rc;

	if (read_password(pwfile, pw, sizeof(pw)) != 0)
		return 1;
	rc = password_hash(&x->params, pw, hash, sizeof(hash));
	OPENSSL_cleanse(pw, sizeof(pw));
	if (rc != 0) {
		fprintf(stderr, "jpkictl: cannot hash the password (Argon2id parameters?)\n");
		return 1;
	}
	v[1] = hash;
	if (begin(x) != 0 || update_one(x, name, "UPDATE operators SET password_hash = $2,"
	    " password_changed_at = now() WHERE username = $1 RETURNING id", 2, v, 1, id) != 0 ||
	    audit_commit(x, "operator.passwd", id, json_pack("{s:s}", "username", name)) != 0)
		return 1;
	printf("new password for %s; their sessions have ended\n", name);
	return 0;
}

/* disable, enable, unlock: one UPDATE, audited. */
static int
cmd_simple(struct opctx *x, const char *cmd, const char *name)
{
	static const struct {
		const char	*cmd, *sql, *action, *done;
		int		 end_sessions;
	} t[] = {
		{ "disable", "UPDATE operators SET enabled = false WHERE username = $1 RETURNING id",
		  "operator.disable", "disabled", 1 },
		{ "enable", "UPDATE operators SET enabled = true WHERE username = $1 RETURNING id",
		  "operator.enable", "enabled", 0 },
		{ "unlock", "UPDATE operators SET failed_logins = 0, locked_until = NULL,"
		  " next_login_at = NULL WHERE username = $1 RETURNING id",
		  "operator.unlock", "unlocked", 0 },
	};
	const char *v[1];
	char id[24];
	size_t i;

	for (i = 0; strcmp(t[i].cmd, cmd) != 0; i++)
		;
	if (begin(x) != 0 || update_one(x, name, t[i].sql, 1, v, t[i].end_sessions, id) != 0 ||
	    audit_commit(x, t[i].action, id, json_pack("{s:s}", "username", name)) != 0)
		return 1;
	printf("%s %s%s\n", t[i].done, name,
	    t[i].end_sessions ? "; their sessions have ended" : "");
	return 0;
}

static int
cmd_totp(struct opctx *x, const char *name)
{
	unsigned char secret[TOTP_SECRET_LEN];
	char hex[2 * TOTP_SECRET_LEN + 1], uri[512], id[24];
	const char *v[2];
	int rc = 1;

	if (totp_new_secret(secret) != 0 ||
	    totp_uri(secret, sizeof(secret), "jpkid", name, uri, sizeof(uri)) != 0) {
		fprintf(stderr, "jpkictl: cannot make a TOTP secret\n");
		return 1;
	}
	util_hex(secret, sizeof(secret), hex);
	v[1] = hex;
	/* A new secret starts a new step history: the old one's steps mean nothing. */
	if (begin(x) == 0 && update_one(x, name, "UPDATE operators SET totp_secret ="
	    " decode($2, 'hex'), totp_last_step = -1 WHERE username = $1 RETURNING id",
	    2, v, 1, id) == 0 &&
	    audit_commit(x, "operator.totp", id, json_pack("{s:s}", "username", name)) == 0) {
		printf("%s\n", uri);
		fprintf(stderr, "jpkictl: shown once: add it to an authenticator app now; "
		    "%s's sessions have ended\n", name);
		rc = 0;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(uri, sizeof(uri));
	return rc;
}

static int
cmd_list(struct opctx *x)
{
	char now[24];
	const char *v[1] = { now };
	PGresult *res;
	int i;

	snprintf(now, sizeof(now), "%lld", (long long)clock_now());
	if ((res = run(x, "SELECT id, username, role, CASE WHEN enabled THEN 'yes' ELSE 'no' END,"
	    " CASE WHEN totp_secret IS NULL THEN 'no' ELSE 'yes' END,"
	    " coalesce(to_char(last_login_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),"
	    " CASE WHEN locked_until > to_timestamp($1) THEN to_char(locked_until AT TIME ZONE"
	    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') ELSE '-' END"
	    " FROM operators ORDER BY id", 1, v, PGRES_TUPLES_OK)) == NULL)
		return 1;
	printf("%-6s %-24s %-8s %-8s %-6s %-21s %s\n", "ID", "USERNAME", "ROLE", "ENABLED",
	    "TOTP", "LAST_LOGIN", "LOCKED_UNTIL");
	for (i = 0; i < PQntuples(res); i++)
		printf("%-6s %-24s %-8s %-8s %-6s %-21s %s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		    PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6));
	PQclear(res);
	return 0;
}

int
jpkictl_operator_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "role", required_argument, NULL, 'r' },
		{ "display-name", required_argument, NULL, 'D' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const named[] = { "add", "passwd", "disable", "enable", "unlock",
	    "totp", NULL };
	const char *db = NULL, *conf = NULL, *role = NULL, *display = NULL, *pwfile = NULL;
	const char *cmd, *name = NULL;
	struct opctx x;
	size_t i;
	int ch, rc;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	cmd = argv[1];
	optind = 1;
	while ((ch = getopt_long(argc - 1, argv + 1, "d:c:r:D:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'c': conf = optarg; break;
		case 'r': role = optarg; break;
		case 'D': display = optarg; break;
		case 'p': pwfile = optarg; break;
		default:
			return usage();
		}
	}
	for (i = 0; named[i] != NULL && strcmp(named[i], cmd) != 0; i++)
		;
	if (named[i] != NULL) {
		if (optind != argc - 2)
			return usage();
		name = argv[optind + 1];
	} else if (strcmp(cmd, "list") != 0 || optind != argc - 1) {
		if (strcmp(cmd, "list") != 0)
			fprintf(stderr, "jpkictl: unknown operator command '%s'\n", cmd);
		return usage();
	}
	if ((role != NULL || display != NULL) && strcmp(cmd, "add") != 0)
		return usage();
	if (pwfile != NULL && strcmp(cmd, "add") != 0 && strcmp(cmd, "passwd") != 0)
		return usage();
	memset(&x, 0, sizeof(x));
	if (ctx_open(&x, db, conf) != 0)
		return 1;
	if (strcmp(cmd, "add") == 0)
		rc = cmd_add(&x, name, role, display, pwfile);
	else if (strcmp(cmd, "passwd") == 0)
		rc = cmd_passwd(&x, name, pwfile);
	else if (strcmp(cmd, "totp") == 0)
		rc = cmd_totp(&x, name);
	else if (strcmp(cmd, "list") == 0)
		rc = cmd_list(&x);
	else
		rc = cmd_simple(&x, cmd, name);
	PQfinish(x.pg);
	return rc;
}
