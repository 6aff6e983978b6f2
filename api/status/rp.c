/*
 * rp: the relying-party gate of the status routes (R26) and the per-check
 * counters behind GET /v1/relying-parties/{id}/usage (billing).
 *
 * Both sit on the OCSP hot path, so neither touches the database per
 * request:
 *
 *  - the gate caches "token hash -> (id, types, enabled)" (and "relying
 *    party id -> (types, enabled)" for client certificates on the API
 *    listener) in a direct-mapped table for RP_GATE_TTL_MS, negative
 *    answers included; a miss costs one indexed SELECT.
 *  - the counters live in striped hash tables keyed by (relying party, JST
 *    day, issuer); rp_count() takes one stripe's mutex for an increment.
 *    rp_usage_flush() snapshots them, adds the snapshot to
 *    relying_party_usage in one transaction and subtracts it after COMMIT.
 *
 * Both live in struct rp_usage (app->rp_usage); without one (a test
 * harness) the gate asks the database every time and nothing is counted.
 */
#include <config.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "api/status/rp.h"
#include "ca/jpdate.h"
#include "common/clock.h"
#include "common/log.h"

#define STRIPES		16		/* counter and cache lock stripes */
#define CACHE_SLOTS	4096		/* power of 2 */
#define TOKEN_MAX	128		/* longer Authorization values are malformed */

enum { ISSUER_SIGN = 0, ISSUER_AUTH = 1 };

struct counter {
	long long	 id;		/* 0: empty slot */
	long		 day;		/* JST days since 1970-01-01 */
	int		 issuer;
	unsigned long long n;
};

struct stripe {
	pthread_mutex_t	 mu;
	struct counter	*slots;		/* open addressing, linear probing */
	size_t		 cap, used;	/* cap: 0 or a power of 2 */
};

enum cache_kind { CK_EMPTY = 0, CK_TOKEN, CK_ID };

struct cache_entry {
	unsigned char	 key[SHA256_DIGEST_LENGTH];
	unsigned char	 kind;		/* enum cache_kind */
	unsigned char	 found, enabled;
	unsigned	 types;
	long long	 id;
	uint64_t	 expires_ms;	/* clock_mono_ms() */
};

struct rp_usage {
	struct stripe		 stripes[STRIPES];
	pthread_mutex_t		 flush_mu;	/* one flush at a time */
	pthread_mutex_t		 cache_mu[STRIPES];
	struct cache_entry	 cache[CACHE_SLOTS];
};

/* ---------------------------------------------------------------- helpers */

unsigned
rp_types_parse(const char *csv)
{
	unsigned t = 0;
	const char *p = csv;
	size_t n;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n == 4 && strncmp(p, "sign", 4) == 0)
			t |= RP_TYPE_SIGN;
		else if (n == 4 && strncmp(p, "auth", 4) == 0)
			t |= RP_TYPE_AUTH;
		else
			return 0;
		p += n;
		if (*p == ',')
			p++;
	}
	return t;
}

void
rp_refuse(struct api_resp *resp, enum rp_gate_result r)
{
	if (r == RP_GATE_UNAVAILABLE) {
		api_problem(resp, 503, "unavailable", "Service Unavailable", NULL, NULL,
		    "the relying-party register cannot be read now");
		api_add_header(resp, "Retry-After", "5");
		return;
	}
	api_problem(resp, 401, "relying-party-required", "Unauthorized", "R26", NULL,
	    "revocation data is served only to registered relying parties: "
	    "send Authorization: Bearer <token>");
	api_add_header(resp, "WWW-Authenticate", "Bearer realm=\"jpkid\"");
	resp->rule = "R26";
}

/* ---------------------------------------------------------------- gate cache */

static size_t
cache_slot(enum cache_kind kind, const unsigned char *key)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));	/* a SHA-256, or an id: mix either */
	h ^= (uint64_t)kind * 0x9e3779b97f4a7c15ull;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)(h & (CACHE_SLOTS - 1));
}

/* 1 and *out when a fresh entry for (kind, key) is cached. */
static int
cache_get(struct rp_usage *u, enum cache_kind kind, const unsigned char *key,
    struct cache_entry *out)
{
	size_t i = cache_slot(kind, key);
	pthread_mutex_t *mu = &u->cache_mu[i % STRIPES];
	int hit;

	pthread_mutex_lock(mu);
	hit = u->cache[i].kind == kind &&
	    memcmp(u->cache[i].key, key, SHA256_DIGEST_LENGTH) == 0 &&
	    u->cache[i].expires_ms > clock_mono_ms();
	if (hit)
		*out = u->cache[i];
	pthread_mutex_unlock(mu);
	return hit;
}

static void
cache_put(struct rp_usage *u, const struct cache_entry *e)
{
	size_t i = cache_slot(e->kind, e->key);
	pthread_mutex_t *mu = &u->cache_mu[i % STRIPES];

	pthread_mutex_lock(mu);
	u->cache[i] = *e;
	u->cache[i].expires_ms = clock_mono_ms() + RP_GATE_TTL_MS;
	pthread_mutex_unlock(mu);
}

void
rp_gate_invalidate(struct app *app)
{
	struct rp_usage *u = app->rp_usage;
	size_t s, i;

	if (u == NULL)
		return;
	for (s = 0; s < STRIPES; s++) {
		pthread_mutex_lock(&u->cache_mu[s]);
		for (i = s; i < CACHE_SLOTS; i += STRIPES)
			u->cache[i].kind = CK_EMPTY;
		pthread_mutex_unlock(&u->cache_mu[s]);
	}
}

/*
 * Look (kind, key) up: cache, else database. 0 with *e filled (e->found 0
 * for no such relying party), -1 when the database does not answer.
 */
static int
rp_lookup(struct app *app, enum cache_kind kind, const unsigned char *key,
    struct cache_entry *e)
{
	struct store_conn *c;
	struct store_err err;
	PGresult *res;
	char idbuf[24];
	const char *v[1];
	int len[1] = { SHA256_DIGEST_LENGTH }, fmt[1] = { 1 };
	long long id;

	if (app->rp_usage != NULL && cache_get(app->rp_usage, kind, key, e))
		return 0;
	memset(e, 0, sizeof(*e));
	e->kind = (unsigned char)kind;
	memcpy(e->key, key, SHA256_DIGEST_LENGTH);
	if ((c = store_borrow(app->store, app->borrow_timeout_ms, &err)) == NULL)
		return -1;
	if (kind == CK_TOKEN) {
		v[0] = (const char *)key;
		res = store_exec(c, Q_RP_BY_TOKEN, 1, v, len, fmt, &err);
	} else {
		memcpy(&id, key, sizeof(id));
		snprintf(idbuf, sizeof(idbuf), "%lld", id);
		v[0] = idbuf;
		res = store_exec(c, Q_RP_GET, 1, v, NULL, NULL, &err);
	}
	store_release(c);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		e->found = 1;
		e->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		/* Q_RP_BY_TOKEN: id, types, enabled; Q_RP_GET: id, name, types, enabled, ... */
		e->types = rp_types_parse(PQgetvalue(res, 0, kind == CK_TOKEN ? 1 : 2));
		e->enabled = strcmp(PQgetvalue(res, 0, kind == CK_TOKEN ? 2 : 3), "true") == 0;
	}
	PQclear(res);
	if (app->rp_usage != NULL)
		cache_put(app->rp_usage, e);
	return 0;
}

/* The token of "Authorization: Bearer <token>" (base64url), or NULL. */
static const char *
bearer_token(struct api_req *req)
{
	const char *h, *t;
	size_t n;

	if (req->header == NULL || (h = req->header(req->hctx, "Authorization")) == NULL)
		return NULL;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	for (t = h + 7; *t == ' '; t++)
		;
	n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	if (n == 0 || n > TOKEN_MAX || t[n] != '\0')
		return NULL;
	return t;
}

enum rp_gate_result
rp_gate(struct api_req *req, long long *rp_id, unsigned *types)
{
	struct app *app = req->app;
	int required = app->status.require_relying_party;
	unsigned char key[SHA256_DIGEST_LENGTH];
	struct cache_entry e;
	const char *token;

	*rp_id = 0;
	*types = RP_TYPE_SIGN | RP_TYPE_AUTH;
	memset(key, 0, sizeof(key));
	/*
	 * An operator (API listener by certificate, or the console's session:
	 * the dashboard's CRL download) is never a relying party to count.
	 */
	if (req->listener != LISTENER_STATUS && req->principal.kind == PRINCIPAL_OPERATOR)
		return RP_GATE_OK;
	if (req->listener == LISTENER_API) {
		if (req->principal.kind != PRINCIPAL_RELYING_PARTY)
			goto anonymous;
		memcpy(key, &req->principal.id, sizeof(req->principal.id));
		if (rp_lookup(app, CK_ID, key, &e) != 0)
			goto unavailable;
	} else {
		if ((token = bearer_token(req)) == NULL)
			goto anonymous;
		SHA256((const unsigned char *)token, strlen(token), key);
		if (rp_lookup(app, CK_TOKEN, key, &e) != 0)
			goto unavailable;
	}
	if (!e.found || !e.enabled)
		goto anonymous;
	*rp_id = e.id;
	/* Open mode: everyone may ask about everything; a known RP is still counted. */
	if (required)
		*types = e.types;
	return RP_GATE_OK;
unavailable:
	if (!required)
		return RP_GATE_OK;	/* open mode keeps serving, uncounted */
	*types = 0;
	return RP_GATE_UNAVAILABLE;
anonymous:
	if (!required)
		return RP_GATE_OK;
	*types = 0;
	return RP_GATE_UNAUTHENTICATED;
}

/* ---------------------------------------------------------------- counters */

static uint64_t
counter_hash(long long id, long day, int issuer)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)day << 1 | (uint64_t)issuer) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return h;
}

/* The slot of key in s (an empty one when absent); s->cap > 0. */
static struct counter *
stripe_find(struct stripe *s, long long id, long day, int issuer, uint64_t h)
{
	size_t i = (size_t)(h >> 4) & (s->cap - 1);

	while (s->slots[i].id != 0 &&
	    (s->slots[i].id != id || s->slots[i].day != day || s->slots[i].issuer != issuer))
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

/* Rehash the non-zero counters of s into cap slots. 0, or -1 (s unchanged). */
static int
stripe_rehash(struct stripe *s, size_t cap)
{
	struct counter *old = s->slots, *slot;
	size_t oldcap = s->cap, i;

	if ((s->slots = calloc(cap, sizeof(*s->slots))) == NULL) {
		s->slots = old;
		return -1;
	}
	s->cap = cap;
	s->used = 0;
	for (i = 0; i < oldcap; i++) {
		if (old[i].id == 0 || old[i].n == 0)
			continue;
		slot = stripe_find(s, old[i].id, old[i].day, old[i].issuer,
		    counter_hash(old[i].id, old[i].day, old[i].issuer));
		*slot = old[i];
		s->used++;
	}
	free(old);
	return 0;
}

void
rp_count(struct app *app, long long rp_id, const char *issuer, unsigned n)
{
	struct rp_usage *u = app->rp_usage;
	struct counter *c;
	struct stripe *s;
	long day;
	int iss;
	uint64_t h;

	if (u == NULL || rp_id <= 0 || n == 0 || issuer == NULL)
		return;
	if (strcmp(issuer, "sign") == 0)
		iss = ISSUER_SIGN;
	else if (strcmp(issuer, "auth") == 0)
		iss = ISSUER_AUTH;
	else
		return;
	day = jpdate_to_days(jpdate_from_time(clock_now()));
	h = counter_hash(rp_id, day, iss);
	s = &u->stripes[h % STRIPES];
	pthread_mutex_lock(&s->mu);
	if ((s->used + 1) * 2 > s->cap &&
	    stripe_rehash(s, s->cap == 0 ? 64 : s->cap * 2) != 0) {
		pthread_mutex_unlock(&s->mu);
		log_warn("relying-party counter: out of memory, %u check(s) not counted", n);
		return;
	}
	c = stripe_find(s, rp_id, day, iss, h);
	if (c->id == 0) {
		c->id = rp_id;
		c->day = day;
		c->issuer = iss;
		c->n = 0;
		s->used++;
	}
	c->n += n;
	pthread_mutex_unlock(&s->mu);
}

struct rp_usage *
rp_usage_new(void)
{
	struct rp_usage *u;
	int i;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	for (i = 0; i < STRIPES; i++) {
		pthread_mutex_init(&u->stripes[i].mu, NULL);
		pthread_mutex_init(&u->cache_mu[i], NULL);
	}
	pthread_mutex_init(&u->flush_mu, NULL);
	return u;
}

void
rp_usage_free(struct rp_usage *u)
{
	int i;

	if (u == NULL)
		return;
	for (i = 0; i < STRIPES; i++) {
		free(u->stripes[i].slots);
		pthread_mutex_destroy(&u->stripes[i].mu);
		pthread_mutex_destroy(&u->cache_mu[i]);
	}
	pthread_mutex_destroy(&u->flush_mu);
	free(u);
}

/* A growing string. */
struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_add(struct sbuf *b, const char *str)
{
	size_t n = strlen(str);
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap + n + 1) * 2;

		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, str, n + 1);
	b->len += n;
}

struct snapshot {
	struct counter	*v;
	size_t		 len;
};

static int
usage_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	const struct snapshot *snap = arg;
	struct sbuf a[4];
	const char *v[4];
	char buf[32];
	PGresult *res;
	size_t i, k;
	int rc = -1;

	memset(a, 0, sizeof(a));
	for (k = 0; k < 4; k++)
		sb_add(&a[k], "{");
	for (i = 0; i < snap->len; i++) {
		const struct counter *x = &snap->v[i];

		for (k = 0; k < 4 && i > 0; k++)
			sb_add(&a[k], ",");
		snprintf(buf, sizeof(buf), "%lld", x->id);
		sb_add(&a[0], buf);
		sb_add(&a[1], jpdate_format(jpdate_from_days(x->day), buf, sizeof(buf)));
		sb_add(&a[2], x->issuer == ISSUER_SIGN ? "sign" : "auth");
		snprintf(buf, sizeof(buf), "%llu", x->n);
		sb_add(&a[3], buf);
	}
	for (k = 0; k < 4; k++) {
		sb_add(&a[k], "}");
		if (a[k].oom) {
			snprintf(err->message, sizeof(err->message), "out of memory");
			err->status = STORE_ERROR;
			goto out;
		}
		v[k] = a[k].s;
	}
	if ((res = store_exec(c, Q_RP_USAGE_ADD, 4, v, NULL, NULL, err)) == NULL)
		goto out;
	PQclear(res);
	rc = 0;
out:
	for (k = 0; k < 4; k++)
		free(a[k].s);
	return rc;
}

/* Copy every non-zero counter. 0, or -1 (out of memory). */
static int
usage_snapshot(struct rp_usage *u, struct snapshot *snap)
{
	struct counter *p;
	size_t i, cap = 0;
	int s;

	snap->v = NULL;
	snap->len = 0;
	for (s = 0; s < STRIPES; s++) {
		pthread_mutex_lock(&u->stripes[s].mu);
		for (i = 0; i < u->stripes[s].cap; i++) {
			if (u->stripes[s].slots[i].id == 0 || u->stripes[s].slots[i].n == 0)
				continue;
			if (snap->len == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				if ((p = realloc(snap->v, cap * sizeof(*p))) == NULL) {
					pthread_mutex_unlock(&u->stripes[s].mu);
					free(snap->v);
					snap->v = NULL;
					return -1;
				}
				snap->v = p;
			}
			snap->v[snap->len++] = u->stripes[s].slots[i];
		}
		pthread_mutex_unlock(&u->stripes[s].mu);
	}
	return 0;
}

/* After COMMIT: take the written counts off, and drop counters now at zero. */
static void
usage_subtract(struct rp_usage *u, const struct snapshot *snap)
{
	const struct counter *x;
	struct counter *c;
	struct stripe *st;
	uint64_t h;
	size_t i;
	int s;

	for (i = 0; i < snap->len; i++) {
		x = &snap->v[i];
		h = counter_hash(x->id, x->day, x->issuer);
		st = &u->stripes[h % STRIPES];
		pthread_mutex_lock(&st->mu);
		c = stripe_find(st, x->id, x->day, x->issuer, h);
		if (c->id == 0 || c->n < x->n)
			abort();	/* only flushes (serialized) decrease a counter */
		c->n -= x->n;
		pthread_mutex_unlock(&st->mu);
	}
	for (s = 0; s < STRIPES; s++) {
		st = &u->stripes[s];
		pthread_mutex_lock(&st->mu);
		if (st->cap > 0)
			(void)stripe_rehash(st, st->cap);	/* failure: zeros stay, harmless */
		pthread_mutex_unlock(&st->mu);
	}
}

int
rp_usage_flush(struct app *app)
{
	struct rp_usage *u = app->rp_usage;
	struct snapshot snap;
	struct store_err err;
	int rc = -1;

	if (u == NULL)
		return 0;
	pthread_mutex_lock(&u->flush_mu);
	if (usage_snapshot(u, &snap) != 0) {
		log_warn("relying-party usage flush: out of memory");
		goto out;
	}
	if (snap.len == 0) {
		rc = 0;
		goto out;
	}
	memset(&err, 0, sizeof(err));
	if (store_tx(app->store, app->borrow_timeout_ms, 0, usage_tx, &snap, &err) != 0) {
		log_kv(LOG_LVL_WARN, "relying-party usage flush failed, kept for the next one",
		    "sqlstate", err.sqlstate[0] ? err.sqlstate : "-",
		    "status", store_status_name(err.status), (char *)NULL);
		goto out;
	}
	usage_subtract(u, &snap);
	rc = 0;
out:
	pthread_mutex_unlock(&u->flush_mu);
	free(snap.v);
	return rc;
}
/* ---- operators: stats ---- */
int
rp_usage_read_pending(struct app *app, long day_from, long day_to, int (*read)(void *),
    void *arg, unsigned long long pending[2])
{
	struct rp_usage *u = app->rp_usage;
	const struct counter *c;
	size_t i;
	int s, rc;

	pending[0] = pending[1] = 0;
	if (u == NULL)
		return read(arg);
	/* A flush holds flush_mu from its snapshot until after COMMIT and subtract. */
	pthread_mutex_lock(&u->flush_mu);
	rc = read(arg);
	for (s = 0; s < STRIPES; s++) {
		pthread_mutex_lock(&u->stripes[s].mu);
		for (i = 0; i < u->stripes[s].cap; i++) {
			c = &u->stripes[s].slots[i];
			if (c->id != 0 && c->day >= day_from && c->day < day_to)
				pending[c->issuer == ISSUER_AUTH] += c->n;
		}
		pthread_mutex_unlock(&u->stripes[s].mu);
	}
	pthread_mutex_unlock(&u->flush_mu);
	return rc;
}
/* ---- end operators: stats ---- */
