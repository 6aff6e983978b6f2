/*
 * jobs: the LISTEN thread and the scheduler thread (see jobs.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "api/api.h"
#include "api/status/crls.h"
#include "api/schedule/notices.h"	/* ---- suspensions notices ---- */
#include "api/status/ocsp_cache.h"
#include "api/status/rp.h"
#include "api/feed/sweep.h"
#include "common/clock.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/jobs.h"

struct jobs {
	struct app	*app;
	char		*conninfo;
	int		 sweep_interval_s, crl_interval_s, flush_interval_s;
	/* ---- suspensions notices ---- */
	int		 notice_interval_s, notices_enabled, notice_lead_months;
	/* ---- end suspensions notices ---- */
	/* ---- operators: audit ---- */
	int		 audit_seal_every_s;	/* how often the sealer runs */
	/* ---- end operators: audit ---- */

	/* ---- operators: stats ---- */
	int		 stats_fold_interval_s;
	/* ---- end operators: stats ---- */
	int		 stop;		/* guarded by mu */
	int		 wake[2];	/* self-pipe: wakes the listener's poll() */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* wakes the scheduler */
	pthread_t	 listener, scheduler;
	int		 have_listener, have_scheduler;
};

static int
stopping(struct jobs *j)
{
	int s;

	pthread_mutex_lock(&j->mu);
	s = j->stop;
	pthread_mutex_unlock(&j->mu);
	return s;
}

static int
schema_ready(struct jobs *j)
{
	return __atomic_load_n(&j->app->schema_ready, __ATOMIC_ACQUIRE);
}

/* R10, R12: apply every pending register change. */
static void
sweep(struct jobs *j)
{
	long revoked = 0;

	if (sweep_register_changes(j->app, clock_now(), &revoked) != 0)
		log_warn("register sweep failed; retried in %d s", j->sweep_interval_s);
	else if (revoked > 0)
		log_info("register sweep: %ld certificate(s) revoked (R10/R12)", revoked);
}

/* ---------------------------------------------------------------- listener */

static PGconn *
listen_connect(struct jobs *j)
{
	PGconn *pg = PQconnectdb(j->conninfo);
	PGresult *res;

	if (PQstatus(pg) != CONNECTION_OK) {
		PQfinish(pg);
		return NULL;
	}
	res = PQexec(pg, "LISTEN jpkid_revocation; LISTEN jpkid_register_change");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warn("jobs: LISTEN failed: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(pg);
		return NULL;
	}
	PQclear(res);
	return pg;
}

/*
 * Wait up to ms for the connection or the wake pipe. Returns 1 when the
 * connection has input, 0 otherwise.
 */
static int
wait_input(struct jobs *j, PGconn *pg, int ms)
{
	struct pollfd p[2];
	char buf[16];
	int n = 1;

	p[0].fd = j->wake[0];
	p[0].events = POLLIN;
	p[1].fd = pg != NULL ? PQsocket(pg) : -1;
	p[1].events = POLLIN;
	if (p[1].fd >= 0)
		n = 2;
	if (poll(p, (nfds_t)n, ms) <= 0)
		return 0;
	if (p[0].revents & POLLIN)
		while (read(j->wake[0], buf, sizeof(buf)) > 0)
			;
	return n == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

static void *
listener_main(void *arg)
{
	struct jobs *j = arg;
	PGconn *pg = NULL;
	uint64_t next_sweep = 0, retry_at = 0;

	while (!stopping(j)) {
		PGnotify *n;
		int sweep_now = 0;
		uint64_t now;

		if (!schema_ready(j)) {
			wait_input(j, NULL, 500);
			continue;
		}
		now = clock_mono_ms();
		if (pg == NULL && now >= retry_at) {
			if ((pg = listen_connect(j)) == NULL) {
				retry_at = now + 250;
			} else {
				/* Notifications may have been missed while away. */
				log_info("jobs: listening for revocations and register changes");
				ocsp_cache_set_live(j->app->ocsp_cache, 1);
				sweep_now = 1;
			}
		}
		if (pg != NULL && wait_input(j, pg, sweep_now ? 0 : 250)) {
			if (PQconsumeInput(pg) == 0 || PQstatus(pg) != CONNECTION_OK) {
				log_warn("jobs: lost the LISTEN connection; reconnecting");
				/* Until it is back no revocation reaches the cache: bypass it. */
				ocsp_cache_set_live(j->app->ocsp_cache, 0);
				PQfinish(pg);
				pg = NULL;
				retry_at = clock_mono_ms() + 250;
				continue;
			}
			while ((n = PQnotifies(pg)) != NULL) {
				if (strcmp(n->relname, "jpkid_revocation") == 0)
					ocsp_on_revocation(j->app, n->extra);
				else if (strcmp(n->relname, "jpkid_register_change") == 0)
					sweep_now = 1;
				PQfreemem(n);
			}
		} else if (pg == NULL)
			wait_input(j, NULL, 250);
		now = clock_mono_ms();
		if (sweep_now || now >= next_sweep) {
			sweep(j);
			next_sweep = clock_mono_ms() + (uint64_t)j->sweep_interval_s * 1000u;
		}
	}
	PQfinish(pg);
	return NULL;
}

/* ---------------------------------------------------------------- scheduler */

static void *
scheduler_main(void *arg)
{
	struct jobs *j = arg;
	uint64_t next_crl = 0, next_flush = 0;
	uint64_t next_notice = 0;	/* ---- suspensions notices ---- */
	/* ---- operators: audit ---- */
	uint64_t next_seal = 0;
	/* ---- end operators: audit ---- */

	/* ---- operators: stats ---- */
	uint64_t next_stats_fold = 0;
	/* ---- end operators: stats ---- */

	pthread_mutex_lock(&j->mu);
	while (!j->stop) {
		struct timespec ts;
		uint64_t now = clock_mono_ms();

		if (schema_ready(j)) {
			pthread_mutex_unlock(&j->mu);
			if (now >= next_crl) {
				long published = 0;

				if (crl_publish_due(j->app, clock_now(), &published) != 0)
					log_warn("CRL publication failed; retried in %d s",
					    j->crl_interval_s);
				else if (published > 0)
					log_info("published %ld CRL(s)", published);
				next_crl = clock_mono_ms() + (uint64_t)j->crl_interval_s * 1000u;
			}
			if (now >= next_flush) {
				if (rp_usage_flush(j->app) != 0)
					log_warn("relying-party usage flush failed; kept for the next one");
				next_flush = clock_mono_ms() + (uint64_t)j->flush_interval_s * 1000u;
			}
			/* ---- suspensions notices ---- */
			/* R21: expiry notice batches (one instance at a time: notices.h). */
			if (j->notices_enabled && now >= next_notice) {
				long batches = 0;

				if (notices_run_due(j->app, clock_now(), j->notice_lead_months,
				    &batches) != 0)
					log_warn("R21: notice run failed; retried in %d s",
					    j->notice_interval_s);
				else if (batches > 0)
					log_info("R21: wrote %ld expiry notice batch(es)", batches);
				next_notice = clock_mono_ms() +
				    (uint64_t)j->notice_interval_s * 1000u;
			}
			/* ---- end suspensions notices ---- */
			/* ---- operators: audit ---- */
			/* Seal new audit rows; checkpoints as [audit] seal_interval says. */
			if (now >= next_seal) {
				long sealed = 0;

				if (audit_seal_run(j->app, clock_now(), &sealed) != 0)
					log_warn("audit sealing failed; retried in %d s",
					    j->audit_seal_every_s);
				else if (sealed > 0)
					log_debug("audit: sealed %ld row(s)", sealed);
				next_seal = clock_mono_ms() + (uint64_t)j->audit_seal_every_s * 1000u;
			}
			/* ---- end operators: audit ---- */

			/* ---- operators: stats ---- */
			/* GET /v1/stats rollups (one instance at a time: api/operators/stats.h). */
			if (now >= next_stats_fold) {
				long long folded = 0;

				if (stats_fold_run(j->app, clock_now(), &folded) != 0)
					log_warn("stats fold failed; retried in %d s",
					    j->stats_fold_interval_s);
				next_stats_fold = clock_mono_ms() +
				    (uint64_t)j->stats_fold_interval_s * 1000u;
			}
			/* ---- end operators: stats ---- */
			pthread_mutex_lock(&j->mu);
			if (j->stop)
				break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&j->cv, &j->mu, &ts);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* ---------------------------------------------------------------- start/stop */

struct jobs *
jobs_start(struct app *app, const struct config *cfg, char *err, size_t errlen)
{
	struct jobs *j;

	if ((j = calloc(1, sizeof(*j))) == NULL || (j->conninfo = strdup(cfg->conninfo)) == NULL) {
		snprintf(err, errlen, "jobs: out of memory");
		free(j);
		return NULL;
	}
	j->app = app;
	j->sweep_interval_s = cfg->register_sweep_interval_s;
	j->crl_interval_s = cfg->crl_check_interval_s;
	j->flush_interval_s = cfg->usage_flush_interval_s;
	/* ---- suspensions notices ---- */
	j->notice_interval_s = cfg->notice_interval_s;
	j->notices_enabled = cfg->notices_enabled;
	j->notice_lead_months = cfg->notice_lead_months;
	/* ---- end suspensions notices ---- */
	/* ---- operators: audit ---- */
	j->audit_seal_every_s = AUDIT_SEAL_EVERY_S;
	/* ---- end operators: audit ---- */

	/* ---- operators: stats ---- */
	j->stats_fold_interval_s = cfg->stats_fold_interval_s;
	/* ---- end operators: stats ---- */
	j->wake[0] = j->wake[1] = -1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pipe2(j->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		snprintf(err, errlen, "jobs: pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&j->listener, NULL, listener_main, j) != 0) {
		snprintf(err, errlen, "jobs: cannot start the listener thread");
		goto fail;
	}
	j->have_listener = 1;
	if (pthread_create(&j->scheduler, NULL, scheduler_main, j) != 0) {
		snprintf(err, errlen, "jobs: cannot start the scheduler thread");
		goto fail;
	}
	j->have_scheduler = 1;
	return j;
fail:
	jobs_stop(j);
	return NULL;
}

void
jobs_stop(struct jobs *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	if (j->wake[1] >= 0)
		(void)!write(j->wake[1], "x", 1);
	if (j->have_listener)
		pthread_join(j->listener, NULL);
	if (j->have_scheduler)
		pthread_join(j->scheduler, NULL);
	if (j->wake[0] >= 0)
		close(j->wake[0]);
	if (j->wake[1] >= 0)
		close(j->wake[1]);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j->conninfo);
	free(j);
}
