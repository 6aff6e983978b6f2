/*
 * principal_cache: see principal_cache.h. One mutex over an open-addressed
 * table of 2^k slots (at least twice max_entries): a request holds it for
 * one probe sequence and a copy of about 400 bytes, far less than the
 * query it replaces.
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/principal_cache.h"

struct slot {
	int		 used;
	unsigned char	 md[32];
	struct principal p;
};

struct principal_cache {
	pthread_mutex_t	 mu;
	struct slot	*slots;
	size_t		 nslots, n, max;
	atomic_ulong	 epoch;
	atomic_int	 live;
};

/* Process-wide, for /metrics (api/metrics.c has no app). */
static atomic_ullong lookups_hit, lookups_miss;

struct principal_cache *
principal_cache_new(size_t max_entries)
{
	struct principal_cache *c;
	size_t ns;

	if (max_entries < 1)
		max_entries = 1;
	for (ns = 16; ns < 2 * max_entries; ns <<= 1)
		;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->slots = calloc(ns, sizeof(*c->slots))) == NULL) {
		free(c);
		return NULL;
	}
	c->nslots = ns;
	c->max = max_entries;
	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->epoch, 1);
	atomic_init(&c->live, 1);
	return c;
}

void
principal_cache_free(struct principal_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->slots);
	free(c);
}

/* Under mu. */
static void
empty(struct principal_cache *c)
{
	memset(c->slots, 0, c->nslots * sizeof(*c->slots));
	c->n = 0;
}

void
principal_cache_clear(struct principal_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	atomic_fetch_add(&c->epoch, 1);
	empty(c);
	pthread_mutex_unlock(&c->mu);
}

void
principal_cache_set_live(struct principal_cache *c, int live)
{
	if (c == NULL)
		return;
	atomic_store(&c->live, live ? 1 : 0);
	principal_cache_clear(c);
}

unsigned long
principal_cache_epoch(struct principal_cache *c)
{
	return c != NULL ? atomic_load(&c->epoch) : 0;
}

/* The md is a SHA-256: its first octets are as good a hash as any. */
static size_t
first_slot(const struct principal_cache *c, const unsigned char md[32])
{
	uint64_t h;

	memcpy(&h, md, sizeof(h));
	return (size_t)h & (c->nslots - 1);
}

/* Under mu: md's slot, or the free slot where it would go. */
static struct slot *
probe(struct principal_cache *c, const unsigned char md[32])
{
	size_t i = first_slot(c, md);

	while (c->slots[i].used && memcmp(c->slots[i].md, md, 32) != 0)
		i = (i + 1) & (c->nslots - 1);
	return &c->slots[i];
}

int
principal_cache_get(struct principal_cache *c, const unsigned char md[32], struct principal *out)
{
	struct slot *s;
	int found = 0;

	if (c == NULL)
		return 0;
	if (atomic_load(&c->live)) {
		pthread_mutex_lock(&c->mu);
		s = probe(c, md);
		if (s->used) {
			*out = s->p;
			found = 1;
		}
		pthread_mutex_unlock(&c->mu);
	}
	atomic_fetch_add(found ? &lookups_hit : &lookups_miss, 1);
	return found;
}

void
principal_cache_put(struct principal_cache *c, unsigned long epoch, const unsigned char md[32],
    const struct principal *p)
{
	struct slot *s;

	if (c == NULL || p->kind == PRINCIPAL_NONE || p->via_session)
		return;
	pthread_mutex_lock(&c->mu);
	/* A change (or a lost listener) since the caller's lookup: keep nothing. */
	if (atomic_load(&c->epoch) == epoch && atomic_load(&c->live)) {
		s = probe(c, md);
		if (!s->used && c->n >= c->max) {
			empty(c);	/* rare: more certificates than configured */
			s = probe(c, md);
		}
		if (!s->used)
			c->n++;
		s->used = 1;
		memcpy(s->md, md, 32);
		s->p = *p;
	}
	pthread_mutex_unlock(&c->mu);
}

void
principal_cache_lookups(unsigned long long *hits, unsigned long long *misses)
{
	*hits = atomic_load(&lookups_hit);
	*misses = atomic_load(&lookups_miss);
}
