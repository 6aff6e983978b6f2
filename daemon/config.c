/*
 * config: see config.h. Table-driven: each key names its type, target and
 * bounds, so validation and documentation stay in one place.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "daemon/config.h"

/* ---- dashboard ---- */
/* [console] defaults: Makefile.am passes $(pkgdatadir)/dashboard. */
#ifndef JPKID_DASHBOARD_DIR
#define JPKID_DASHBOARD_DIR	"/usr/local/share/jpkid/dashboard"
#endif
#define JPKID_CHARTJS		"/usr/share/javascript/chart.js/chart.min.js"	/* libjs-chart.js */
/* ---- end dashboard ---- */

enum ktype { K_STR, K_INT, K_BOOL, K_LEVEL, K_SIZE };

struct kdef {
	const char	*section;
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	long long	 min, max;
	int		 is_path;
};

#define O(f) offsetof(struct config, f)
static const struct kdef keys[] = {
	{ "daemon", "log_level", K_LEVEL, O(log_level), 0, 0, 0 },
	{ "daemon", "threads", K_INT, O(threads), 1, 256, 0 },
	{ "daemon", "drain_timeout", K_INT, O(drain_timeout_s), 0, 3600, 0 },
	{ "daemon", "migrate", K_BOOL, O(migrate), 0, 1, 0 },
	{ "api", "listen", K_STR, O(api_listen), 0, 0, 0 },
	{ "api", "tls_cert", K_STR, O(tls_cert), 0, 0, 1 },
	{ "api", "tls_key", K_STR, O(tls_key), 0, 0, 1 },
	{ "api", "client_ca", K_STR, O(client_ca), 0, 0, 1 },
	{ "api", "tls_priorities", K_STR, O(tls_priorities), 0, 0, 0 },
	{ "api", "connection_limit", K_INT, O(connection_limit), 1, 100000, 0 },
	{ "api", "per_ip_connection_limit", K_INT, O(per_ip_connection_limit), 0, 100000, 0 },
	{ "api", "connection_memory_limit", K_INT, O(connection_memory_limit), 8192, 16777216, 0 },
	{ "api", "connection_timeout", K_INT, O(connection_timeout_s), 1, 3600, 0 },
	{ "api", "max_body", K_SIZE, O(max_body), 1024, 1073741824LL, 0 },
	{ "api", "import_max_body", K_SIZE, O(import_max_body), 1024, 68719476736LL, 0 },
	/* ---- network ---- */
	{ "api", "head_timeout", K_INT, O(head_timeout_s), 0, 3600, 0 },
	{ "api", "min_body_rate", K_INT, O(min_body_rate), 0, 1073741824LL, 0 },
	{ "api", "body_rate_window", K_INT, O(body_rate_window_s), 1, 3600, 0 },
	{ "status", "connection_limit", K_INT, O(status_connection_limit), 1, 100000, 0 },
	{ "status", "per_ip_connection_limit", K_INT, O(status_per_ip_connection_limit), 0, 100000, 0 },
	{ "console", "connection_limit", K_INT, O(console_connection_limit), 1, 100000, 0 },
	{ "console", "per_ip_connection_limit", K_INT, O(console_per_ip_connection_limit), 0, 100000, 0 },
	/* ---- end network ---- */
	{ "status", "listen", K_STR, O(status_listen), 0, 0, 0 },
	{ "status", "require_relying_party", K_BOOL, O(require_relying_party), 0, 1, 0 },
	{ "crl", "publish_hours", K_INT, O(crl_publish_hours), 1, 168, 0 },
	{ "crl", "next_update_hours", K_INT, O(crl_next_update_hours), 2, 744, 0 },
	{ "crl", "check_interval", K_INT, O(crl_check_interval_s), 1, 86400, 0 },
	{ "ocsp", "validity", K_INT, O(ocsp_validity_s), 60, 604800, 0 },
	{ "ocsp", "cache_entries", K_INT, O(ocsp_cache_entries), 16, 100000000, 0 },
	{ "jobs", "register_sweep_interval", K_INT, O(register_sweep_interval_s), 1, 3600, 0 },
	{ "jobs", "usage_flush_interval", K_INT, O(usage_flush_interval_s), 1, 3600, 0 },
	{ "database", "conninfo", K_STR, O(conninfo), 0, 0, 0 },
	{ "database", "pool_size", K_INT, O(pool_size), 1, 512, 0 },
	{ "database", "statement_timeout_ms", K_INT, O(statement_timeout_ms), 0, 3600000, 0 },
	{ "database", "borrow_timeout_ms", K_INT, O(borrow_timeout_ms), 1, 600000, 0 },
#define KEYPAIR(sec, f) \
	{ sec, "cert", K_STR, O(f.cert), 0, 0, 1 }, \
	{ sec, "key", K_STR, O(f.key), 0, 0, 2 }, \
	{ sec, "pin_file", K_STR, O(f.pin_file), 0, 0, 1 }
	KEYPAIR("ca.sign", ca_sign),
	KEYPAIR("ca.auth", ca_auth),
	KEYPAIR("ocsp.sign", ocsp_sign),
	KEYPAIR("ocsp.auth", ocsp_auth),
#undef KEYPAIR
	{ "issuance", "status_url", K_STR, O(status_url), 0, 0, 0 },
	{ "issuance", "sign_policy_oid", K_STR, O(sign_policy_oid), 0, 0, 0 },
	{ "issuance", "auth_policy_oid", K_STR, O(auth_policy_oid), 0, 0, 0 },
	{ "issuance", "inquiry_days", K_INT, O(inquiry_days), 1, 365, 0 },
	{ "issuance", "fee_reissue_yen", K_INT, O(fee_reissue_yen), 0, 100000, 0 },
	{ "issuance", "fee_reissue_both_yen", K_INT, O(fee_reissue_both_yen), 0, 100000, 0 },
	{ "issuance", "fees_waived", K_BOOL, O(fees_waived), 0, 1, 0 },
	{ "issuance", "answer_key", K_STR, O(answer_key), 0, 0, 1 },	/* R13, issue 13 */
	/* ---- pin resets ---- */
	{ "pinreset", "cert", K_STR, O(pinreset.cert), 0, 0, 1 },
	{ "pinreset", "key", K_STR, O(pinreset.key), 0, 0, 2 },
	{ "pinreset", "pin_file", K_STR, O(pinreset.pin_file), 0, 0, 1 },
	{ "pinreset", "authorization_ttl", K_INT, O(pinreset_authorization_ttl_s), 30, 3600, 0 },
	{ "pinreset", "challenge_ttl", K_INT, O(pinreset_challenge_ttl_s), 10, 600, 0 },
	/* ---- end pin resets ---- */
	/* ---- suspensions notices ---- */
	{ "notices", "lead_months", K_INT, O(notice_lead_months), 1, 12, 0 },
	{ "notices", "interval", K_INT, O(notice_interval_s), 1, 604800, 0 },
	{ "notices", "enabled", K_BOOL, O(notices_enabled), 0, 1, 0 },
	/* ---- end suspensions notices ---- */
	/* ---- operators (issue 11) ---- */
	{ "console", "listen", K_STR, O(console_listen), 0, 0, 0 },
	{ "console", "origin", K_STR, O(console_origin), 0, 0, 0 },
	{ "console", "session_idle", K_INT, O(session_idle_s), 60, 86400, 0 },
	{ "console", "session_absolute", K_INT, O(session_absolute_s), 300, 604800, 0 },
	{ "operators", "argon2_memory_kib", K_INT, O(argon2_memory_kib), 8, 4194304, 0 },
	{ "operators", "argon2_iterations", K_INT, O(argon2_iterations), 1, 100, 0 },
	{ "operators", "argon2_parallelism", K_INT, O(argon2_parallelism), 1, 64, 0 },
	{ "operators", "totp_for_viewers", K_BOOL, O(totp_for_viewers), 0, 1, 0 },
	{ "operators", "lock_after", K_INT, O(login_lock_after), 1, 1000, 0 },
	{ "operators", "lock_seconds", K_INT, O(login_lock_s), 1, 604800, 0 },
	{ "operators", "address_lock_after", K_INT, O(login_address_lock_after), 1, 100000, 0 },
	{ "operators", "delay_ms", K_INT, O(login_delay_ms), 0, 60000, 0 },
	{ "audit", "cert", K_STR, O(audit_key.cert), 0, 0, 1 },
	{ "audit", "key", K_STR, O(audit_key.key), 0, 0, 2 },
	{ "audit", "pin_file", K_STR, O(audit_key.pin_file), 0, 0, 1 },
	{ "audit", "seal_interval", K_INT, O(audit_seal_interval_s), 1, 86400, 0 },
	{ "audit", "journal", K_BOOL, O(audit_journal), 0, 1, 0 },
	{ "stats", "fold_interval", K_INT, O(stats_fold_interval_s), 1, 3600, 0 },
	/* ---- end operators ---- */
	/* ---- dashboard ---- */
	{ "console", "dashboard_dir", K_STR, O(dashboard_dir), 0, 0, 1 },
	{ "console", "chartjs", K_STR, O(chartjs), 0, 0, 1 },
	/* ---- end dashboard ---- */
};
#undef O

struct parse {
	struct config	*cfg;
	char		*dir;	/* directory of the config file, for relative paths */
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static void
set_defaults(struct config *c)
{
	c->log_level = LOG_LVL_INFO;
	c->threads = 8;
	c->drain_timeout_s = 10;
	c->migrate = 1;
	c->connection_limit = 512;
	c->per_ip_connection_limit = 64;
	c->connection_memory_limit = 65536;
	c->connection_timeout_s = 30;
	c->max_body = 1048576;
	c->import_max_body = 536870912;
	/* ---- network ---- */
	c->head_timeout_s = 10;
	c->min_body_rate = 1024;
	c->body_rate_window_s = 10;
	c->status_connection_limit = 4096;	/* every relying party in the country asks here */
	c->status_per_ip_connection_limit = 256;	/* relying parties behind one NAT */
	c->console_connection_limit = 128;
	c->console_per_ip_connection_limit = 32;
	/* ---- end network ---- */
	c->pool_size = 8;
	c->statement_timeout_ms = 10000;
	c->borrow_timeout_ms = 2000;
	c->inquiry_days = 30;		/* R13 Decision */
	c->crl_publish_hours = 24;	/* R26: J-LIS publishes daily */
	c->crl_next_update_hours = 48;
	c->crl_check_interval_s = 60;
	c->ocsp_validity_s = 3600;
	c->ocsp_cache_entries = 100000;	/* ~1.6 KB each: ~160 MB at most */
	c->register_sweep_interval_s = 5;
	c->usage_flush_interval_s = 10;
	c->fee_reissue_yen = 200;	/* R18 */
	c->fee_reissue_both_yen = 200;
	/* ---- pin resets ---- */
	c->pinreset_authorization_ttl_s = 300;	/* R16a: short-lived */
	c->pinreset_challenge_ttl_s = 120;
	/* ---- end pin resets ---- */
	/* ---- suspensions notices ---- */
	c->notice_lead_months = 3;	/* R21 Decision */
	c->notice_interval_s = 3600;
	c->notices_enabled = 1;
	/* ---- end suspensions notices ---- */
	/* ---- operators (issue 11) ---- */
	c->session_idle_s = 900;
	c->session_absolute_s = 28800;
	c->argon2_memory_kib = 65536;	/* RFC 9106 second recommendation: m=64 MiB, t=3, p=1 */
	c->argon2_iterations = 3;
	c->argon2_parallelism = 1;
	c->login_lock_after = 5;
	c->login_lock_s = 900;
	c->login_address_lock_after = 20;
	c->login_delay_ms = 500;
	c->audit_seal_interval_s = 60;
	c->audit_journal = 1;
	c->stats_fold_interval_s = 5;
	/* ---- end operators ---- */
}

/*
 * A relative path is taken relative to the config file. is_path 2 means
 * "key spec": a pkcs11: URI is left as it is.
 */
static char *
resolve(const struct parse *p, const char *v, int is_path)
{
	char *out;

	if (is_path == 2 && strncmp(v, "pkcs11:", 7) == 0)
		return strdup(v);
	if (is_path == 2 && strncmp(v, "file:", 5) == 0)
		v += 5;
	if (v[0] == '/' || p->dir == NULL)
		return strdup(v);
	if (asprintf(&out, "%s/%s", p->dir, v) < 0)
		return NULL;
	return out;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/*
 * inih handler (Debian's inih passes no line number: returning 0 makes
 * ini_parse_file return the line, and config_load prefixes it).
 */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct kdef *k = NULL;
	char *base = (char *)p->cfg, *end;
	long long n;
	size_t i;

	if (p->failed)
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) {
			k = &keys[i];
			break;
		}
	if (k == NULL) {
		snprintf(p->err, p->errlen, "unknown key '%s' in [%s]", name, section);
		goto fail;
	}
	switch (k->type) {
	case K_STR: {
		char **dst = (char **)(base + k->off);

		free(*dst);
		*dst = k->is_path ? resolve(p, value, k->is_path) : strdup(value);
		if (*dst == NULL) {
			snprintf(p->err, p->errlen, "out of memory");
			goto fail;
		}
		break;
	}
	case K_INT:
	case K_SIZE:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < k->min || n > k->max) {
			snprintf(p->err, p->errlen,
			    "[%s] %s must be an integer from %lld to %lld, not '%s'",
			    section, name, k->min, k->max, value);
			goto fail;
		}
		if (k->type == K_INT)
			*(int *)(base + k->off) = (int)n;
		else
			*(size_t *)(base + k->off) = (size_t)n;
		break;
	case K_BOOL:
		if (parse_bool(value, (int *)(base + k->off)) != 0) {
			snprintf(p->err, p->errlen,
			    "[%s] %s must be true or false, not '%s'", section, name, value);
			goto fail;
		}
		break;
	case K_LEVEL:
		if (log_parse_level(value, (enum log_level *)(base + k->off)) != 0) {
			snprintf(p->err, p->errlen,
			    "[%s] %s must be error, warn, info or debug, not '%s'",
			    section, name, value);
			goto fail;
		}
		break;
	}
	return 1;
fail:
	p->failed = 1;
	return 0;
}

int
config_split_listen(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long v;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int
require(const struct config *c, const char *v, const char *sec, const char *key,
    char *err, size_t errlen)
{
	if (v != NULL && *v != '\0')
		return 0;
	snprintf(err, errlen, "%s: [%s] %s is required", c->path, sec, key);
	return -1;
}

static int
check_listen(const struct config *c, const char *v, const char *sec, char *err,
    size_t errlen)
{
	char host[256];
	int port;

	if (!strcmp(v, "systemd") || config_split_listen(v, host, sizeof(host), &port) == 0)
		return 0;
	snprintf(err, errlen, "%s: [%s] listen must be host:port, [v6]:port or systemd, not '%s'",
	    c->path, sec, v);
	return -1;
}

/* A dotted OID of at least two arcs, digits only (R24 policy OIDs). */
static int
check_oid(const struct config *c, const char *v, const char *key, char *err, size_t errlen)
{
	const char *p;
	int arcs = 1, digits = 0;

	for (p = v; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && digits > 0) {
			arcs++;
			digits = 0;
		} else
			break;
	}
	if (*p == '\0' && digits > 0 && arcs >= 2)
		return 0;
	snprintf(err, errlen, "%s: [issuance] %s: '%s' is not an OID", c->path, key, v);
	return -1;
}

/* status_url goes into certificates (R24): an http:// or https:// URL. */
static int
check_url(const struct config *c, const char *v, char *err, size_t errlen)
{
	if ((strncmp(v, "http://", 7) == 0 && v[7] != '\0') ||
	    (strncmp(v, "https://", 8) == 0 && v[8] != '\0'))
		return 0;
	snprintf(err, errlen, "%s: [issuance] status_url: '%s' is not an http(s) URL", c->path, v);
	return -1;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *c;
	struct parse p;
	FILE *f = NULL;
	char *slash;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	set_defaults(c);
	if ((p.dir = strdup(path)) != NULL) {
		if ((slash = strrchr(p.dir, '/')) == p.dir)
			slash[1] = '\0';	/* a file in "/" */
		else if (slash != NULL)
			*slash = '\0';
		else {
			free(p.dir);
			p.dir = NULL;
		}
	}
	p.cfg = c;
	p.err = err;
	p.errlen = errlen;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rc = ini_parse_file(f, handler, &p);
	if (p.failed) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s:%d: %s", path, rc, msg);
		goto fail;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		goto fail;
	}
	if (require(c, c->api_listen, "api", "listen", err, errlen) ||
	    require(c, c->tls_cert, "api", "tls_cert", err, errlen) ||
	    require(c, c->tls_key, "api", "tls_key", err, errlen) ||
	    require(c, c->client_ca, "api", "client_ca", err, errlen) ||
	    require(c, c->status_listen, "status", "listen", err, errlen) ||
	    require(c, c->conninfo, "database", "conninfo", err, errlen) ||
	    require(c, c->ca_sign.cert, "ca.sign", "cert", err, errlen) ||
	    require(c, c->ca_sign.key, "ca.sign", "key", err, errlen) ||
	    require(c, c->ca_auth.cert, "ca.auth", "cert", err, errlen) ||
	    require(c, c->ca_auth.key, "ca.auth", "key", err, errlen) ||
	    require(c, c->ocsp_sign.cert, "ocsp.sign", "cert", err, errlen) ||
	    require(c, c->ocsp_sign.key, "ocsp.sign", "key", err, errlen) ||
	    require(c, c->ocsp_auth.cert, "ocsp.auth", "cert", err, errlen) ||
	    require(c, c->ocsp_auth.key, "ocsp.auth", "key", err, errlen) ||
	    check_listen(c, c->api_listen, "api", err, errlen) ||
	    check_listen(c, c->status_listen, "status", err, errlen) ||
	    (c->console_listen != NULL &&
	    check_listen(c, c->console_listen, "console", err, errlen)))
		goto fail;
	/* ---- operators (issue 11) ---- */
	if ((c->audit_key.cert != NULL || c->audit_key.key != NULL) &&
	    (require(c, c->audit_key.cert, "audit", "cert", err, errlen) ||
	    require(c, c->audit_key.key, "audit", "key", err, errlen)))
		goto fail;
	if (c->session_idle_s > c->session_absolute_s) {
		snprintf(err, errlen, "%s: [console] session_idle (%d) must not exceed"
		    " session_absolute (%d)", c->path, c->session_idle_s, c->session_absolute_s);
		goto fail;
	}
	/* ---- end operators ---- */
	/* ---- pin resets ---- */
	if ((c->pinreset.cert != NULL || c->pinreset.key != NULL) &&
	    (require(c, c->pinreset.cert, "pinreset", "cert", err, errlen) ||
	    require(c, c->pinreset.key, "pinreset", "key", err, errlen)))
		goto fail;
	/* ---- end pin resets ---- */
	if (c->crl_next_update_hours <= c->crl_publish_hours) {
		snprintf(err, errlen, "%s: [crl] next_update_hours (%d) must be greater than"
		    " publish_hours (%d): the next CRL must be out before this one lapses",
		    c->path, c->crl_next_update_hours, c->crl_publish_hours);
		goto fail;
	}
	/* [issuance] defaults that depend on other keys (R24). */
	if (c->status_url == NULL) {
		if (strcmp(c->status_listen, "systemd") == 0) {
			snprintf(err, errlen, "%s: [issuance] status_url is required with"
			    " a socket-activated status listener", c->path);
			goto fail;
		}
		if (asprintf(&c->status_url, "http://%s", c->status_listen) < 0)
			goto fail;
	}
	/* ---- dashboard ---- */
	if ((c->dashboard_dir == NULL &&
	    (c->dashboard_dir = strdup(JPKID_DASHBOARD_DIR)) == NULL) ||
	    (c->chartjs == NULL && (c->chartjs = strdup(JPKID_CHARTJS)) == NULL))
		goto fail;
	/* ---- end dashboard ---- */
	if ((c->sign_policy_oid == NULL &&
	    (c->sign_policy_oid = strdup("1.2.392.200149.8.5.1.1.20")) == NULL) ||
	    (c->auth_policy_oid == NULL &&
	    (c->auth_policy_oid = strdup("1.2.392.200149.8.5.1.3.30")) == NULL))
		goto fail;
	if (check_oid(c, c->sign_policy_oid, "sign_policy_oid", err, errlen) ||
	    check_oid(c, c->auth_policy_oid, "auth_policy_oid", err, errlen) ||
	    check_url(c, c->status_url, err, errlen))
		goto fail;
	{
		size_t n = strlen(c->status_url);

		while (n > 0 && c->status_url[n - 1] == '/')	/* no trailing slash */
			c->status_url[--n] = '\0';
	}
	fclose(f);
	free(p.dir);
	return c;
fail:
	if (f != NULL)
		fclose(f);
	free(p.dir);
	config_free(c);
	return NULL;
}

static void
free_key(struct config_key *k)
{
	free(k->cert);
	free(k->key);
	free(k->pin_file);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->api_listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->client_ca);
	free(c->tls_priorities);
	free(c->status_listen);
	free(c->conninfo);
	free(c->status_url);
	free(c->sign_policy_oid);
	free(c->auth_policy_oid);
	free(c->answer_key);
	free_key(&c->ca_sign);
	free_key(&c->ca_auth);
	free_key(&c->ocsp_sign);
	free_key(&c->ocsp_auth);
	/* ---- pin resets ---- */
	free_key(&c->pinreset);
	/* ---- end pin resets ---- */
	/* ---- operators (issue 11) ---- */
	free(c->console_listen);
	free(c->console_origin);
	free_key(&c->audit_key);
	/* ---- end operators ---- */
	/* ---- dashboard ---- */
	free(c->dashboard_dir);
	free(c->chartjs);
	/* ---- end dashboard ---- */
	free(c);
}
