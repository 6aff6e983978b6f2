/*
 * jpkid: the central certificate authority daemon.
 *
 *   jpkid -c /etc/jpkid/jpkid.conf [-t]     (jpkid(8), jpkid.conf(5))
 *
 * Start: read the config, load the four key pairs (fatal if any fails),
 * open the database pool (PostgreSQL may still be down: jpkid starts and
 * reports not ready), apply pending migrations, open or inherit (systemd
 * socket activation) the listeners, tell systemd READY=1.
 * SIGHUP: re-read the config and re-open the keys; the new keyring replaces
 * the old only when every pair loads. SIGTERM/SIGINT: stop accepting, let
 * requests in flight finish (up to [daemon] drain_timeout), free everything.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "api/dashboard/static.h"
#include "api/metrics.h"
#include "api/status/ocsp_cache.h"
#include "api/status/rp.h"
#include "api/status/rp.h"	/* relying parties */
#include "api/status/ocsp_cache.h"	/* OCSP */
#include "ca/keyring.h"
#include "ca/profile.h"
#include "common/clock.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/http.h"
#include "daemon/jobs.h"
#include "daemon/sd.h"
#include "db/migrate.h"
#include "db/store.h"

/* -h/--help: the usage on stdout, exit 0; a usage error: on stderr, exit 2. */
static void
usage(FILE *f)
{
	fprintf(f, "usage: jpkid -c FILE [-t]\n"
	    "       jpkid -h | --help | -V | --version\n"
	    "  -c FILE   configuration file (jpkid.conf(5), deploy/jpkid.conf.example)\n"
	    "  -t        check the configuration and keys, then exit\n"
	    "  -h        print this help\n"
	    "  -V        print the version\n"
	    "SIGHUP reloads the keys and log level, SIGTERM drains and stops (jpkid(8)).\n");
	exit(f == stdout ? 0 : 2);
}

static int
load_keys(const struct config *cfg, struct keyring **out, char *err, size_t errlen)
{
#define SPEC(k) { cfg->k.cert, cfg->k.key, cfg->k.pin_file }
	struct keyring_spec sc = SPEC(ca_sign), ac = SPEC(ca_auth),
	    so = SPEC(ocsp_sign), ao = SPEC(ocsp_auth), pr = SPEC(pinreset),
	    au = SPEC(audit_key);
#undef SPEC
	/* [pinreset] is optional (R16a routes answer 503 without it). */
	if (keyring_load(&sc, &ac, &so, &ao, cfg->pinreset.cert != NULL ? &pr : NULL, out,
	    err, errlen) != 0)
		return -1;
	/* [audit] is optional: without it the chain is sealed but not checkpointed. */
	if (cfg->audit_key.cert != NULL && keyring_load_audit(*out, &au, err, errlen) != 0) {
		keyring_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Apply pending migrations once the database answers. 0 when done. */
static int
try_migrate(struct app *app)
{
	struct store_conn *c;
	struct store_err err;
	char msg[512];
	int n;

	if ((c = store_borrow(app->store, 1000, &err)) == NULL)
		return -1;
	n = migrate_apply(store_pgconn(c), msg, sizeof(msg));
	store_release(c);
	if (n < 0) {
		log_err("migrations failed: %s", msg);
		return -1;
	}
	if (n > 0)
		log_info("applied %d migration(s)", n);
	__atomic_store_n(&app->schema_ready, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Warn about settings that only a restart changes. */
static void
warn_restart(const struct config *o, const struct config *n)
{
#define DIFF(f) ((o->f == NULL) != (n->f == NULL) || (o->f && strcmp(o->f, n->f)))
	if (DIFF(api_listen) || DIFF(status_listen) || DIFF(console_listen) || DIFF(tls_cert) ||
	    DIFF(tls_key) ||
	    DIFF(client_ca) || DIFF(tls_priorities) || DIFF(conninfo) ||
	    o->pool_size != n->pool_size || o->threads != n->threads)
		log_warn("reload: listener, TLS and database settings change only on restart");
#undef DIFF
}

static void
reload(struct app *app, struct config **cfgp)
{
	struct config *ncfg;
	struct keyring *nk, *old;
	char err[1024];

	sd_reloading();
	log_info("SIGHUP: reloading %s", (*cfgp)->path);
	if ((ncfg = config_load((*cfgp)->path, err, sizeof(err))) == NULL) {
		log_err("reload failed, keeping the running configuration: %s", err);
		goto out;
	}
	if (load_keys(ncfg, &nk, err, sizeof(err)) != 0) {
		log_err("reload failed, keeping the running keys: %s", err);
		config_free(ncfg);
		goto out;
	}
	warn_restart(*cfgp, ncfg);
	pthread_rwlock_wrlock(&app->keys_lock);
	old = app->keys;
	app->keys = nk;
	pthread_rwlock_unlock(&app->keys_lock);
	keyring_free(old);
	log_set_level(ncfg->log_level);
	config_free(*cfgp);
	*cfgp = ncfg;
	log_info("reload complete");
out:
	sd_ready("serving");
}

/* ---- operators (issue 11) ---- */
static int
operator_cfg_set(struct operator_cfg *o, const struct config *cfg)
{
	o->console_origin = NULL;
	if (cfg->console_origin != NULL && (o->console_origin = strdup(cfg->console_origin)) == NULL)
		return -1;
	o->session_idle_s = cfg->session_idle_s;
	o->session_absolute_s = cfg->session_absolute_s;
	o->argon2_memory_kib = cfg->argon2_memory_kib;
	o->argon2_iterations = cfg->argon2_iterations;
	o->argon2_parallelism = cfg->argon2_parallelism;
	o->totp_for_viewers = cfg->totp_for_viewers;
	o->lock_after = cfg->login_lock_after;
	o->lock_s = cfg->login_lock_s;
	o->address_lock_after = cfg->login_address_lock_after;
	o->delay_ms = cfg->login_delay_ms;
	o->audit_seal_interval_s = cfg->audit_seal_interval_s;
	o->audit_journal = cfg->audit_journal;
	return 0;
}
/* ---- end operators ---- */

static int
open_listeners(const struct config *cfg, int *api_fd, int *status_fd, int *console_fd)
{
	char err[512];

	if (sd_sockets(api_fd, status_fd, console_fd) < 0)
		log_warn("cannot read systemd sockets");
	/* ---- operators (issue 11) ---- */
	if (cfg->console_listen == NULL && *console_fd >= 0) {
		log_warn("a console socket was passed but [console] listen is not set: closing it");
		close(*console_fd);
		*console_fd = -1;
	} else if (cfg->console_listen != NULL && *console_fd < 0) {
		if (strcmp(cfg->console_listen, "systemd") == 0) {
			log_err("[console] listen = systemd but no socket was passed");
			return -1;
		}
		if ((*console_fd = http_listen_socket(cfg->console_listen, err, sizeof(err))) < 0) {
			log_err("console listener: %s", err);
			return -1;
		}
	}
	/* ---- end operators ---- */
	if (*api_fd < 0) {
		if (strcmp(cfg->api_listen, "systemd") == 0) {
			log_err("[api] listen = systemd but no socket was passed");
			return -1;
		}
		if ((*api_fd = http_listen_socket(cfg->api_listen, err, sizeof(err))) < 0) {
			log_err("API listener: %s", err);
			return -1;
		}
	}
	if (*status_fd < 0) {
		if (strcmp(cfg->status_listen, "systemd") == 0) {
			log_err("[status] listen = systemd but no socket was passed");
			return -1;
		}
		if ((*status_fd = http_listen_socket(cfg->status_listen, err, sizeof(err))) < 0) {
			log_err("status listener: %s", err);
			return -1;
		}
	}
	return 0;
}

static void
drain(struct http_server *srv, int timeout_s)
{
	uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_s * 1000u;
	unsigned int n;

	sd_stopping();
	http_quiesce(srv);
	while ((n = http_connections(srv)) > 0 && clock_mono_ms() < deadline) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (n > 0)
		log_warn("drain timeout: closing %u connection(s)", n);
}

int
main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct app app;
	struct http_server *srv = NULL;
	struct jobs *jobs = NULL;
	const char *path = NULL;
	sigset_t set;
	char err[1024], status[256];
	int ch, check_only = 0, api_fd = -1, status_fd = -1, console_fd = -1, rc = 1, sig;
	uint64_t wd_us, last_ping = 0;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};

	while ((ch = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'V':
			printf("jpkid %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			break;
		default:
			usage(stderr);
		}
	}
	if (path == NULL || optind != argc)
		usage(stderr);

	memset(&app, 0, sizeof(app));
	pthread_rwlock_init(&app.keys_lock, NULL);
	app.version = PACKAGE_VERSION;
	app.started_at = time(NULL);

	/*
	 * Signals are taken synchronously by the main thread only. Reset the
	 * dispositions first: an ignored signal (inherited from a shell that
	 * started us in the background) would be discarded, not queued.
	 */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((cfg = config_load(path, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		goto out;
	}
	log_set_level(cfg->log_level);
	if (load_keys(cfg, &app.keys, err, sizeof(err)) != 0) {
		log_err("keys: %s", err);
		goto out;
	}
	/* R13 answer codes: keyed (ca/answercode.h); fixed at start like [issuance]. */
	if (cfg->answer_key != NULL && answer_key_load(cfg->answer_key,
	    &app.issuance.answer_key, err, sizeof(err)) != 0) {
		log_err("keys: [issuance] answer_key: %s", err);
		goto out;
	}
	if (cfg->answer_key == NULL)
		log_warn("no [issuance] answer_key: voluntary proxy applications are refused "
		    "(503 answer-key-not-configured) until one is configured (jpkictl init makes "
		    "answer.key)");
	if (check_only) {
		printf("%s: configuration and keys OK\n", path);
		rc = 0;
		goto out;
	}
	if ((app.metrics = metrics_new()) == NULL ||
	    (app.store = store_open(cfg->conninfo, cfg->pool_size,
	    cfg->statement_timeout_ms)) == NULL) {
		log_err("out of memory");
		goto out;
	}
	app.borrow_timeout_ms = cfg->borrow_timeout_ms;
	api_admin_set_client_ca(cfg->client_ca);	/* operators: management (enrolment) */
	if ((app.issuance.status_url = strdup(cfg->status_url)) == NULL ||
	    (app.issuance.sign_policy_oid = strdup(cfg->sign_policy_oid)) == NULL ||
	    (app.issuance.auth_policy_oid = strdup(cfg->auth_policy_oid)) == NULL ||
	    (app.lint_key = profile_lint_key_new()) == NULL) {
		log_err("out of memory (issuance settings, lint key)");
		goto out;
	}
	app.issuance.inquiry_days = cfg->inquiry_days;
	app.issuance.fee_reissue_yen = cfg->fee_reissue_yen;
	app.issuance.fee_reissue_both_yen = cfg->fee_reissue_both_yen;
	app.issuance.fees_waived = cfg->fees_waived;
	app.notice_lead_months = cfg->notice_lead_months;	/* R21 */
	/* ---- pin resets ---- */
	app.pinreset_authorization_ttl_s = cfg->pinreset_authorization_ttl_s;
	app.pinreset_challenge_ttl_s = cfg->pinreset_challenge_ttl_s;
	/* ---- end pin resets ---- */
	/* ---- operators (issue 11) ---- */
	if (operator_cfg_set(&app.operators, cfg) != 0) {
		log_err("out of memory (operator settings)");
		goto out;
	}
	/*
	 * GET /v1/audit/verify checks checkpoints with the public key only, the
	 * one of the start (a new [audit] key takes a restart to be verified).
	 */
	if (app.keys->audit.cert != NULL)
		app.audit_pub = X509_get_pubkey(app.keys->audit.cert);
	/* ---- end operators ---- */
	app.status.require_relying_party = cfg->require_relying_party;
	app.status.crl_publish_hours = cfg->crl_publish_hours;
	app.status.crl_next_update_hours = cfg->crl_next_update_hours;
	app.status.ocsp_validity_s = cfg->ocsp_validity_s;
	app.status.ocsp_cache_entries = cfg->ocsp_cache_entries;
	/* ---- relying parties ---- */
	if ((app.rp_usage = rp_usage_new()) == NULL) {
		log_err("out of memory (relying-party counters)");
		goto out;
	}
	/* ---- end relying parties ---- */
	/* ---- OCSP ---- */
	if ((app.ocsp_cache = ocsp_cache_new((size_t)app.status.ocsp_cache_entries)) == NULL) {
		log_err("out of memory (OCSP response cache)");
		goto out;
	}
	/* Bypassed until the jobs thread listens for revocations (ocsp_cache.h). */
	ocsp_cache_set_live(app.ocsp_cache, 0);
	/* ---- end OCSP ---- */
	/* ---- dashboard ---- */
	if (cfg->console_listen != NULL) {
		int missing, chart_missing;

		app.dashboard = dashboard_load(cfg->dashboard_dir, cfg->chartjs, &missing,
		    &chart_missing, err, sizeof(err));
		if (app.dashboard == NULL && !missing) {
			log_err("[console] dashboard_dir: %s", err);
			goto out;
		}
		if (app.dashboard == NULL)
			log_warn("dashboard not installed, /dashboard/ answers 404: %s", err);
		else if (chart_missing)
			log_warn("[console] chartjs %s not found: the dashboard is served"
			    " without %s", cfg->chartjs, DASHBOARD_CHARTJS_PATH);
	}
	/* ---- end dashboard ---- */
	if (!cfg->migrate)
		app.schema_ready = 1;
	else if (try_migrate(&app) != 0)
		log_warn("database not reachable yet: migrations will be retried");
	if (open_listeners(cfg, &api_fd, &status_fd, &console_fd) != 0)
		goto out;
	snprintf(status, sizeof(status), "serving: api port %d (https), status port %d (http)",
	    http_socket_port(api_fd), http_socket_port(status_fd));
	if (console_fd >= 0)
		snprintf(status + strlen(status), sizeof(status) - strlen(status),
		    ", console port %d (https)", http_socket_port(console_fd));
	if ((srv = http_start(&app, cfg, api_fd, status_fd, console_fd, err,
	    sizeof(err))) == NULL) {
		log_err("%s", err);
		goto out;
	}
	if ((jobs = jobs_start(&app, cfg, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		goto out;
	}
	log_info("jpkid %s %s", PACKAGE_VERSION, status);
	sd_ready(status);

	wd_us = sd_watchdog_usec();
	for (;;) {
		struct timespec to = { 1, 0 };
		uint64_t now = clock_mono_us();

		if (wd_us > 0 && now - last_ping >= wd_us / 2) {
			sd_watchdog_ping();
			last_ping = now;
		}
		if (!__atomic_load_n(&app.schema_ready, __ATOMIC_ACQUIRE))
			try_migrate(&app);
		if (wd_us > 0 && wd_us / 4 < 1000000u) {
			to.tv_sec = 0;
			to.tv_nsec = (long)(wd_us / 4) * 1000;
		}
		sig = sigtimedwait(&set, NULL, &to);
		if (sig < 0)
			continue;	/* EAGAIN (timeout) or EINTR */
		if (sig == SIGHUP) {
			reload(&app, &cfg);
			continue;
		}
		log_info("signal %d: draining and stopping", sig);
		break;
	}
	drain(srv, cfg->drain_timeout_s);
	rc = 0;
out:
	jobs_stop(jobs);
	http_stop(srv);
	/* ---- relying parties ---- */
	/* After the listeners (and the jobs) stopped: the last counts, then free. */
	if (app.rp_usage != NULL && app.store != NULL && rp_usage_flush(&app) != 0)
		log_warn("relying-party check counts not written at exit");
	rp_usage_free(app.rp_usage);
	/* ---- end relying parties ---- */
	dashboard_free(app.dashboard);	/* dashboard; after the listeners stopped */
	ocsp_cache_free(app.ocsp_cache);	/* OCSP; after the listeners and jobs stopped */
	store_close(app.store);
	api_admin_set_client_ca(NULL);	/* operators: management */
	keyring_free(app.keys);
	metrics_free(app.metrics);
	free(app.issuance.status_url);
	free(app.issuance.sign_policy_oid);
	free(app.issuance.auth_policy_oid);
	OPENSSL_cleanse(&app.issuance.answer_key, sizeof(app.issuance.answer_key));
	free(app.operators.console_origin);
	EVP_PKEY_free(app.audit_pub);
	EVP_PKEY_free(app.lint_key);
	config_free(cfg);
	pthread_rwlock_destroy(&app.keys_lock);
	if (rc == 0 && !check_only)
		log_info("stopped");
	return rc;
}
