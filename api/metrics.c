/*
 * metrics: see metrics.h. Route names are static strings from the router
 * table, so series are keyed by pointer and the table stays small (routes x
 * statuses seen); a full table drops new series rather than grow.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/metrics.h"
#include "api/status/ocsp_cache.h"

#define MAX_COUNTERS	256
#define MAX_ROUTES	128	/* above the distinct route names of api/router.c (about 70) */

static const double buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct counter {
	const char		*route;
	int			 status;
	unsigned long long	 n;
};

struct histogram {
	const char		*route;
	unsigned long long	 le[NBUCKETS];	/* cumulative at render time */
	unsigned long long	 count;
	double			 sum;
};

struct metrics {
	pthread_mutex_t		 mtx;
	struct counter		 counters[MAX_COUNTERS];
	int			 ncounters;
	struct histogram	 hist[MAX_ROUTES];
	int			 nhist;
	unsigned long long	 dropped;
};

struct metrics *
metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m != NULL)
		pthread_mutex_init(&m->mtx, NULL);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mtx);
	free(m);
}

void
metrics_observe(struct metrics *m, const char *route, int status, uint64_t us)
{
	double s = (double)us / 1e6;
	int i;
	size_t b;

	pthread_mutex_lock(&m->mtx);
	for (i = 0; i < m->ncounters; i++)
		if (m->counters[i].route == route && m->counters[i].status == status)
			break;
	if (i == m->ncounters) {
		if (m->ncounters < MAX_COUNTERS) {
			m->counters[i].route = route;
			m->counters[i].status = status;
			m->ncounters++;
		} else
			m->dropped++;
	}
	if (i < m->ncounters)
		m->counters[i].n++;
	for (i = 0; i < m->nhist; i++)
		if (m->hist[i].route == route)
			break;
	if (i == m->nhist && m->nhist < MAX_ROUTES)
		m->hist[m->nhist++].route = route;
	if (i < m->nhist) {
		for (b = 0; b < NBUCKETS; b++)
			if (s <= buckets[b]) {
				m->hist[i].le[b]++;
				break;
			}
		m->hist[i].count++;
		m->hist[i].sum += s;
	}
	pthread_mutex_unlock(&m->mtx);
}

struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *np;

	if (sb->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->oom = 1;
			return;
		}
		if ((size_t)n < sb->cap - sb->len) {
			sb->len += (size_t)n;
			return;
		}
		if ((np = realloc(sb->p, sb->cap * 2 + (size_t)n)) == NULL) {
			sb->oom = 1;
			return;
		}
		sb->p = np;
		sb->cap = sb->cap * 2 + (size_t)n;
	}
}

char *
metrics_render(struct metrics *m, struct store *st, size_t *len)
{
	struct sbuf sb = { malloc(4096), 0, 4096, 0 };
	struct store_stats ss;
	unsigned long long cum;
	int i;
	size_t b;

	if (sb.p == NULL)
		return NULL;
	sb.p[0] = '\0';
	pthread_mutex_lock(&m->mtx);
	sb_printf(&sb, "# HELP jpkid_http_requests_total HTTP requests by route and status.\n"
	    "# TYPE jpkid_http_requests_total counter\n");
	for (i = 0; i < m->ncounters; i++)
		sb_printf(&sb, "jpkid_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
		    m->counters[i].route, m->counters[i].status, m->counters[i].n);
	sb_printf(&sb, "# HELP jpkid_http_request_duration_seconds Request latency by route.\n"
	    "# TYPE jpkid_http_request_duration_seconds histogram\n");
	for (i = 0; i < m->nhist; i++) {
		cum = 0;
		for (b = 0; b < NBUCKETS; b++) {
			cum += m->hist[i].le[b];
			sb_printf(&sb, "jpkid_http_request_duration_seconds_bucket"
			    "{route=\"%s\",le=\"%g\"} %llu\n", m->hist[i].route, buckets[b], cum);
		}
		sb_printf(&sb, "jpkid_http_request_duration_seconds_bucket"
		    "{route=\"%s\",le=\"+Inf\"} %llu\n", m->hist[i].route, m->hist[i].count);
		sb_printf(&sb, "jpkid_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		    m->hist[i].route, m->hist[i].sum);
		sb_printf(&sb, "jpkid_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		    m->hist[i].route, m->hist[i].count);
	}
	sb_printf(&sb, "# HELP jpkid_metrics_dropped_series_total Series not recorded (table full).\n"
	    "# TYPE jpkid_metrics_dropped_series_total counter\n"
	    "jpkid_metrics_dropped_series_total %llu\n", m->dropped);
	pthread_mutex_unlock(&m->mtx);
	{	/* issue 13: OCSP signatures and budget (api/status/ocsp_cache.c) */
		char ob[1536];

		if (ocsp_metrics_text(ob, sizeof(ob)) > 0)
			sb_printf(&sb, "%s", ob);
	}
	if (st != NULL) {
		store_get_stats(st, &ss);
		sb_printf(&sb, "# HELP jpkid_db_pool_connections Connections in the database pool.\n"
		    "# TYPE jpkid_db_pool_connections gauge\n"
		    "jpkid_db_pool_connections %d\n"
		    "# HELP jpkid_db_pool_in_use Connections borrowed now.\n"
		    "# TYPE jpkid_db_pool_in_use gauge\n"
		    "jpkid_db_pool_in_use %d\n"
		    "# HELP jpkid_db_pool_connected Connections with a live session.\n"
		    "# TYPE jpkid_db_pool_connected gauge\n"
		    "jpkid_db_pool_connected %d\n"
		    "# HELP jpkid_db_pool_borrows_total Successful borrows.\n"
		    "# TYPE jpkid_db_pool_borrows_total counter\n"
		    "jpkid_db_pool_borrows_total %llu\n"
		    "# HELP jpkid_db_pool_wait_timeouts_total Borrows that timed out.\n"
		    "# TYPE jpkid_db_pool_wait_timeouts_total counter\n"
		    "jpkid_db_pool_wait_timeouts_total %llu\n"
		    "# HELP jpkid_db_reconnects_total Reconnections to PostgreSQL.\n"
		    "# TYPE jpkid_db_reconnects_total counter\n"
		    "jpkid_db_reconnects_total %llu\n",
		    ss.size, ss.in_use, ss.connected, ss.borrows, ss.waits_timed_out,
		    ss.reconnects);
	}
	if (sb.oom) {
		free(sb.p);
		return NULL;
	}
	*len = sb.len;
	return sb.p;
}
/* ---- operators: stats ---- */
unsigned long long
metrics_route_total(struct metrics *m, const char *route)
{
	unsigned long long n = 0;
	int i;

	pthread_mutex_lock(&m->mtx);
	for (i = 0; i < m->ncounters; i++)
		if (strcmp(m->counters[i].route, route) == 0)
			n += m->counters[i].n;
	pthread_mutex_unlock(&m->mtx);
	return n;
}
/* ---- end operators: stats ---- */
