/*
 * metrics: Prometheus text exposition of request counts by route and
 * status, a latency histogram by route, and gauges of the database pool.
 * All functions are thread-safe.
 */
#ifndef JPKI_METRICS_H
#define JPKI_METRICS_H

#include <stdint.h>

#include "db/store.h"

struct metrics;

struct metrics	*metrics_new(void);
void		 metrics_free(struct metrics *);
/* route: a static string (route name); latency in microseconds. */
void		 metrics_observe(struct metrics *, const char *route, int status,
		    uint64_t latency_us);
/* Render the exposition text (malloc'd) including pool gauges. */
char		*metrics_render(struct metrics *, struct store *, size_t *len);

/* ---- operators: stats ---- */
/* Requests answered on route (a route name, any status) since start. */
unsigned long long metrics_route_total(struct metrics *, const char *route);
/* ---- end operators: stats ---- */

#endif
