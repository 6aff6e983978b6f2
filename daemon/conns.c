/*
 * conns: see conns.h.
 *
 * The table is a fixed array of slots (as many as libmicrohttpd may hold,
 * the listener's limit with slack for connections being closed), a free
 * list and a high-water mark; one mutex guards it. The accept policy, the
 * connection notifications and the access hooks run on libmicrohttpd's
 * worker threads, the sweeper on its own thread.
 *
 * The accept policy runs before libmicrohttpd reports the connection
 * started, so two workers accepting from one address at the same moment
 * may both see room: a limit can be passed by at most one connection per
 * worker thread, for as long as those connections live.
 */
#include <config.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "api/api.h"
#include "common/clock.h"
#include "common/log.h"
#include "daemon/conns.h"

#define SWEEP_MS	250
#define LOG_EVERY_MS	1000

struct conn {
	struct conns	*cs;
	int		 fd;
	unsigned int	 slot;
	unsigned char	 key[CONNS_ADDR_KEY];
	uint64_t	 win_start_ms;
	unsigned long long win_bytes;
	struct api_auth_cache auth;	/* the connection's thread only: no lock */
};

struct conns {
	const char		*name;
	struct conns_limits	 lim;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thr;
	int			 running, stop;
	unsigned int		 cap, hw, nfree;
	struct conns_view	*views;		/* cap; views[i].addr NULL: free */
	struct conn		*slots;		/* cap */
	unsigned int		*free_list;	/* nfree indices */
	/* since the last log line */
	unsigned long		 head_cut, rate_cut, evicted, refused;
	uint64_t		 last_log_ms;
};

static uint64_t
now_ms(void)
{
	return clock_mono_us() / 1000u;
}

void
conns_addr_key(const struct sockaddr *sa, socklen_t len, unsigned char key[CONNS_ADDR_KEY])
{
	memset(key, 0, CONNS_ADDR_KEY);
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			key[0] = 4;
			memcpy(key + 1, a->s6_addr + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a->s6_addr, 16);
		}
	} else
		key[0] = 0xff;	/* Unix socket or unknown: one "address" */
}

int
conns_pick_victim(const struct conns_view *v, int n, const unsigned char *addr,
    unsigned int per_address_limit, unsigned int connection_limit)
{
	unsigned int same = 0, total = 0;
	int i, old_same = -1, old_any = -1;

	for (i = 0; i < n; i++) {
		int mine;

		if (v[i].addr == NULL || v[i].cut)
			continue;
		total++;
		mine = memcmp(v[i].addr, addr, CONNS_ADDR_KEY) == 0;
		same += (unsigned int)mine;
		if (v[i].state != CONNS_WAITING)
			continue;
		if (old_any < 0 || v[i].since_ms < v[old_any].since_ms)
			old_any = i;
		if (mine && (old_same < 0 || v[i].since_ms < v[old_same].since_ms))
			old_same = i;
	}
	if (per_address_limit > 0 && same >= per_address_limit)
		return old_same;
	if (total >= connection_limit)
		return old_any;
	return -2;
}

int
conns_verdict(enum conns_state st, uint64_t since_ms, uint64_t *win_start_ms,
    unsigned long long *win_bytes, uint64_t now, const struct conns_limits *lim)
{
	uint64_t el;

	if (st == CONNS_WAITING)
		return lim->head_timeout_ms > 0 && now >= since_ms + lim->head_timeout_ms ? 1 : 0;
	if (st != CONNS_BODY || lim->min_body_rate == 0 || now < *win_start_ms)
		return 0;
	el = now - *win_start_ms;
	if (el < lim->body_rate_window_ms)
		return 0;
	if (*win_bytes * 1000u < (unsigned long long)lim->min_body_rate * el)
		return 2;
	*win_start_ms = now;	/* fast enough over this window: measure the next one */
	*win_bytes = 0;
	return 0;
}

/* Close slot i (under the lock): libmicrohttpd sees EOF and closes it. */
static void
cut(struct conns *cs, unsigned int i)
{
	shutdown(cs->slots[i].fd, SHUT_RDWR);
	cs->views[i].cut = 1;
}

static void
log_counts(struct conns *cs, uint64_t now)
{
	unsigned long h, r, e, f;
	char hb[24], rb[24], eb[24], fb[24];

	if (now < cs->last_log_ms + LOG_EVERY_MS)
		return;
	h = cs->head_cut;
	r = cs->rate_cut;
	e = cs->evicted;
	f = cs->refused;
	if (h + r + e + f == 0)
		return;
	cs->head_cut = cs->rate_cut = cs->evicted = cs->refused = 0;
	cs->last_log_ms = now;
	snprintf(hb, sizeof(hb), "%lu", h);
	snprintf(rb, sizeof(rb), "%lu", r);
	snprintf(eb, sizeof(eb), "%lu", e);
	snprintf(fb, sizeof(fb), "%lu", f);
	/* Logged under the lock: one line a second at most. */
	log_kv(LOG_LVL_WARN, "connections closed", "listener", cs->name,
	    "head_deadline", hb, "slow_body", rb, "evicted", eb, "refused", fb, (char *)NULL);
}

static void
sweep(struct conns *cs)
{
	uint64_t now = now_ms();
	unsigned int i;

	for (i = 0; i < cs->hw; i++) {
		struct conns_view *v = &cs->views[i];
		int why;

		if (v->addr == NULL || v->cut)
			continue;
		why = conns_verdict(v->state, v->since_ms, &cs->slots[i].win_start_ms,
		    &cs->slots[i].win_bytes, now, &cs->lim);
		if (why == 0)
			continue;
		cut(cs, i);
		if (why == 1)
			cs->head_cut++;
		else
			cs->rate_cut++;
	}
	log_counts(cs, now);
}

static void *
sweeper(void *arg)
{
	struct conns *cs = arg;
	struct timespec ts;

	pthread_mutex_lock(&cs->mu);
	while (!cs->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&cs->cv, &cs->mu, &ts);
		if (!cs->stop)
			sweep(cs);
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

struct conns *
conns_new(const char *name, const struct conns_limits *lim)
{
	struct conns *cs;
	pthread_condattr_t ca;
	unsigned int i;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->name = name;
	cs->lim = *lim;
	if (cs->lim.connection_limit == 0)
		cs->lim.connection_limit = 1;
	/* Room for the limit, plus connections cut but not yet closed. */
	cs->cap = cs->lim.connection_limit * 2 + 64;
	cs->views = calloc(cs->cap, sizeof(*cs->views));
	cs->slots = calloc(cs->cap, sizeof(*cs->slots));
	cs->free_list = calloc(cs->cap, sizeof(*cs->free_list));
	if (cs->views == NULL || cs->slots == NULL || cs->free_list == NULL) {
		free(cs->views);
		free(cs->slots);
		free(cs->free_list);
		free(cs);
		return NULL;
	}
	for (i = 0; i < cs->cap; i++)
		cs->free_list[i] = cs->cap - 1 - i;	/* pop from the end: slot 0 first */
	cs->nfree = cs->cap;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&cs->thr, NULL, sweeper, cs) != 0) {
		conns_free(cs);
		return NULL;
	}
	cs->running = 1;
	return cs;
}

unsigned int
conns_capacity(const struct conns *cs)
{
	return cs->cap;
}

void
conns_stop(struct conns *cs)
{
	if (cs == NULL || !cs->running)
		return;
	pthread_mutex_lock(&cs->mu);
	cs->stop = 1;
	pthread_cond_signal(&cs->cv);
	pthread_mutex_unlock(&cs->mu);
	pthread_join(cs->thr, NULL);
	cs->running = 0;
}

void
conns_free(struct conns *cs)
{
	if (cs == NULL)
		return;
	conns_stop(cs);
	pthread_cond_destroy(&cs->cv);
	pthread_mutex_destroy(&cs->mu);
	free(cs->views);
	free(cs->slots);
	free(cs->free_list);
	free(cs);
}

enum MHD_Result
conns_accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct conns *cs = cls;
	unsigned char key[CONNS_ADDR_KEY];
	int v;

	conns_addr_key(addr, addrlen, key);
	pthread_mutex_lock(&cs->mu);
	v = conns_pick_victim(cs->views, (int)cs->hw, key, cs->lim.per_address_limit,
	    cs->lim.connection_limit);
	if (v >= 0) {
		cut(cs, (unsigned int)v);
		cs->evicted++;
	} else if (v == -1)
		cs->refused++;
	pthread_mutex_unlock(&cs->mu);
	return v == -1 ? MHD_NO : MHD_YES;
}

void
conns_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct conns *cs = cls;
	struct conn *c;
	const union MHD_ConnectionInfo *fi, *ai;
	unsigned int i;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((c = *socket_context) == NULL)
			return;
		pthread_mutex_lock(&cs->mu);
		memset(&cs->views[c->slot], 0, sizeof(cs->views[c->slot]));
		cs->free_list[cs->nfree++] = c->slot;
		while (cs->hw > 0 && cs->views[cs->hw - 1].addr == NULL)
			cs->hw--;
		pthread_mutex_unlock(&cs->mu);
		*socket_context = NULL;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	*socket_context = NULL;
	fi = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	ai = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (fi == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	if (cs->nfree > 0) {
		i = cs->free_list[--cs->nfree];
		c = &cs->slots[i];
		memset(c, 0, sizeof(*c));
		c->cs = cs;
		c->slot = i;
		c->fd = fi->connect_fd;
		conns_addr_key(ai != NULL ? ai->client_addr : NULL,
		    (socklen_t)sizeof(struct sockaddr_in6), c->key);
		cs->views[i].addr = c->key;
		cs->views[i].state = CONNS_WAITING;
		cs->views[i].since_ms = now_ms();
		cs->views[i].cut = 0;
		if (i >= cs->hw)
			cs->hw = i + 1;
		*socket_context = c;
	}
	pthread_mutex_unlock(&cs->mu);
}

static struct conn *
conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

struct api_auth_cache *
conns_auth_cache(struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);

	return c != NULL ? &c->auth : NULL;
}

void
conns_on_access(struct MHD_Connection *mc, int first, size_t upload_size)
{
	struct conn *c = conn_of(mc);
	struct conns_view *v;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->cs->mu);
	v = &c->cs->views[c->slot];
	if (first) {		/* the head is in: the body, if any, is measured from now */
		v->state = CONNS_BODY;
		c->win_start_ms = now_ms();
		c->win_bytes = 0;
	} else if (upload_size > 0)
		c->win_bytes += upload_size;
	else
		v->state = CONNS_BUSY;	/* the whole request is in: answering */
	pthread_mutex_unlock(&c->cs->mu);
}

void
conns_on_completed(struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->cs->mu);
	c->cs->views[c->slot].state = CONNS_WAITING;	/* kept alive: the next head's deadline */
	c->cs->views[c->slot].since_ms = now_ms();
	pthread_mutex_unlock(&c->cs->mu);
}

unsigned long
conns_raise_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
		    (rlim_t)want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 : (unsigned long)rl.rlim_cur;
}
