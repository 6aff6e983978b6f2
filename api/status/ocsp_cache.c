/*
 * ocsp_cache: see ocsp_cache.h.
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "api/status/ocsp_cache.h"
#include "ca/serial.h"
#include "common/clock.h"
#include "common/log.h"

#define NSHARDS	16

struct entry {
	struct entry	*knext, *snext;		/* key / serial hash chains */
	uint64_t	 khash, shash;
	unsigned	 slot;			/* index in shard->slots */
	int		 ref;			/* clock: used since the hand passed */
	enum ocsp_issuer issuer;
	unsigned char	 serial[OCSP_SERIAL_MAX + 1];
	size_t		 serial_len;
	time_t		 this_update, next_update;
	char		 etag[20];
	unsigned char	*key, *certid, *der;	/* one allocation: key | certid | der */
	size_t		 keylen, certid_len, len;
};

struct shard {
	pthread_mutex_t	 lock;
	struct entry	**kbuckets, **sbuckets;
	size_t		 nbuckets;		/* power of two */
	struct entry	**slots;		/* every entry, for the clock hand */
	size_t		 cap, n, hand;
};

struct ocsp_cache {
	struct shard	 shards[NSHARDS];
	uint64_t	 seed;
	atomic_ulong	 epoch;
	atomic_int	 live;			/* 0: bypassed (ocsp_cache_set_live) */
	pthread_mutex_t	 ids_lock;		/* guards ids, ids_for */
	X509		*ids_for[OCSP_NISSUERS];	/* referenced: pointers stay unique */
	struct ocsp_ids	 ids;
};

static uint64_t
hash(uint64_t seed, const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static uint64_t
serial_hash(uint64_t seed, enum ocsp_issuer is, const unsigned char *s, size_t len)
{
	return hash(seed, s, len) + (uint64_t)is;
}

struct ocsp_cache *
ocsp_cache_new(size_t max_entries)
{
	struct ocsp_cache *c;
	size_t i, cap, nb;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	cap = max_entries / NSHARDS;
	if (cap < 1)
		cap = 1;
	for (nb = 16; nb < cap; nb <<= 1)
		;
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1)
		c->seed = (uint64_t)clock_mono_us();
	pthread_mutex_init(&c->ids_lock, NULL);
	atomic_init(&c->epoch, 1);
	atomic_init(&c->live, 1);
	for (i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];

		pthread_mutex_init(&sh->lock, NULL);
		sh->cap = cap;
		sh->nbuckets = nb;
		sh->kbuckets = calloc(nb, sizeof(*sh->kbuckets));
		sh->sbuckets = calloc(nb, sizeof(*sh->sbuckets));
		sh->slots = calloc(cap, sizeof(*sh->slots));
		if (sh->kbuckets == NULL || sh->sbuckets == NULL || sh->slots == NULL) {
			ocsp_cache_free(c);
			return NULL;
		}
	}
	return c;
}

static void
entry_free(struct entry *e)
{
	if (e != NULL)
		free(e->key);
	free(e);
}

/* Unlink e from its shard (locked) and free it. */
static void
shard_remove(struct shard *sh, struct entry *e)
{
	struct entry **pp;

	for (pp = &sh->kbuckets[e->khash & (sh->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->knext)
		if (*pp == e) {
			*pp = e->knext;
			break;
		}
	for (pp = &sh->sbuckets[e->shash & (sh->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->snext)
		if (*pp == e) {
			*pp = e->snext;
			break;
		}
	sh->n--;
	if (e->slot != sh->n) {
		sh->slots[e->slot] = sh->slots[sh->n];
		sh->slots[e->slot]->slot = e->slot;
	}
	sh->slots[sh->n] = NULL;
	if (sh->hand >= sh->n)
		sh->hand = 0;
	entry_free(e);
}

static void
shard_clear(struct shard *sh)
{
	while (sh->n > 0)
		shard_remove(sh, sh->slots[sh->n - 1]);
	sh->hand = 0;
}

void
ocsp_cache_free(struct ocsp_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];

		if (sh->slots != NULL)
			shard_clear(sh);
		free(sh->kbuckets);
		free(sh->sbuckets);
		free(sh->slots);
		if (sh->cap != 0)
			pthread_mutex_destroy(&sh->lock);
	}
	for (i = 0; i < OCSP_NISSUERS; i++)
		X509_free(c->ids_for[i]);
	pthread_mutex_destroy(&c->ids_lock);
	free(c);
}

void
ocsp_cache_clear(struct ocsp_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	atomic_fetch_add(&c->epoch, 1);
	for (i = 0; i < NSHARDS; i++) {
		pthread_mutex_lock(&c->shards[i].lock);
		shard_clear(&c->shards[i]);
		pthread_mutex_unlock(&c->shards[i].lock);
	}
}

void
ocsp_cache_set_live(struct ocsp_cache *c, int live)
{
	if (c == NULL)
		return;
	/* Off first, then the clear: a put racing with this finds either. */
	atomic_store(&c->live, live ? 1 : 0);
	ocsp_cache_clear(c);
}

int
ocsp_cache_live(struct ocsp_cache *c)
{
	return c != NULL && atomic_load(&c->live);
}

void
ocsp_etag(const unsigned char *der, size_t len, char etag[20])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t i;

	etag[0] = '\0';
	if (EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL) != 1)
		return;
	etag[0] = '"';
	for (i = 0; i < 8; i++)
		snprintf(etag + 1 + 2 * i, 3, "%02x", md[i]);
	etag[17] = '"';
	etag[18] = '\0';
}

unsigned long
ocsp_cache_epoch(struct ocsp_cache *c)
{
	return c != NULL ? atomic_load(&c->epoch) : 0;
}

static struct entry *
find(struct shard *sh, uint64_t h, const void *key, size_t keylen)
{
	struct entry *e;

	for (e = sh->kbuckets[h & (sh->nbuckets - 1)]; e != NULL; e = e->knext)
		if (e->khash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	return NULL;
}

int
ocsp_cache_get(struct ocsp_cache *c, const void *key, size_t keylen, time_t now,
    time_t max_age, struct ocsp_hit *hit)
{
	struct shard *sh;
	struct entry *e;
	uint64_t h;
	int found = 0;

	memset(hit, 0, sizeof(*hit));
	if (c == NULL || !atomic_load(&c->live))
		return 0;
	h = hash(c->seed, key, keylen);
	sh = &c->shards[h % NSHARDS];
	pthread_mutex_lock(&sh->lock);
	e = find(sh, h, key, keylen);
	if (e != NULL && now - e->this_update < max_age && now >= e->this_update &&
	    now < e->next_update && (hit->der = malloc(e->len)) != NULL) {
		memcpy(hit->der, e->der, e->len);
		hit->len = e->len;
		hit->issuer = e->issuer;
		hit->this_update = e->this_update;
		hit->next_update = e->next_update;
		memcpy(hit->etag, e->etag, sizeof(hit->etag));
		e->ref = 1;
		found = 1;
	}
	pthread_mutex_unlock(&sh->lock);
	ocsp_cache_note_lookup(found);	/* ---- operators: stats ---- */
	return found;
}

/* Make room for one more entry (locked): second-chance clock. */
static void
evict_one(struct shard *sh)
{
	struct entry *e;

	for (;;) {
		if (sh->hand >= sh->n)
			sh->hand = 0;
		e = sh->slots[sh->hand];
		if (!e->ref) {
			shard_remove(sh, e);
			return;
		}
		e->ref = 0;
		sh->hand++;
	}
}

void
ocsp_cache_put(struct ocsp_cache *c, unsigned long epoch, const void *key, size_t keylen,
    enum ocsp_issuer issuer, const unsigned char *serial, size_t serial_len,
    const unsigned char *certid, size_t certid_len, const unsigned char *der, size_t len,
    time_t this_update, time_t next_update)
{
	struct shard *sh;
	struct entry *e, *old;
	size_t b;

	if (c == NULL || serial_len == 0 || serial_len > sizeof(e->serial) ||
	    !atomic_load(&c->live))
		return;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->key = malloc(keylen + certid_len + len)) == NULL) {
		free(e);
		return;
	}
	memcpy(e->key, key, keylen);
	e->certid = e->key + keylen;
	memcpy(e->certid, certid, certid_len);
	e->der = e->certid + certid_len;
	memcpy(e->der, der, len);
	e->keylen = keylen;
	e->certid_len = certid_len;
	e->len = len;
	e->issuer = issuer;
	memcpy(e->serial, serial, serial_len);
	e->serial_len = serial_len;
	e->this_update = this_update;
	e->next_update = next_update;
	ocsp_etag(der, len, e->etag);
	e->khash = hash(c->seed, key, keylen);
	e->shash = serial_hash(c->seed, issuer, serial, serial_len);

	sh = &c->shards[e->khash % NSHARDS];
	pthread_mutex_lock(&sh->lock);
	/* A revocation or clear since the caller's database read: keep nothing. */
	if (atomic_load(&c->epoch) != epoch || !atomic_load(&c->live)) {
		pthread_mutex_unlock(&sh->lock);
		entry_free(e);
		return;
	}
	if ((old = find(sh, e->khash, key, keylen)) != NULL)
		shard_remove(sh, old);
	if (sh->n >= sh->cap)
		evict_one(sh);
	b = e->khash & (sh->nbuckets - 1);
	e->knext = sh->kbuckets[b];
	sh->kbuckets[b] = e;
	b = e->shash & (sh->nbuckets - 1);
	e->snext = sh->sbuckets[b];
	sh->sbuckets[b] = e;
	e->slot = (unsigned)sh->n;
	sh->slots[sh->n++] = e;
	pthread_mutex_unlock(&sh->lock);
}

int
ocsp_cache_ids(struct app *app, struct ocsp_ids *ids)
{
	struct ocsp_cache *c = app->ocsp_cache;
	X509 *ca[OCSP_NISSUERS] = { app->keys->sign_ca.cert, app->keys->auth_ca.cert };
	int i, had, rc = 0;

	if (c == NULL)
		return ocsp_ids_init(ids, ca[0], ca[1]);
	pthread_mutex_lock(&c->ids_lock);
	if (c->ids_for[0] != ca[0] || c->ids_for[1] != ca[1]) {
		/* A new keyring (SIGHUP): new hashes, and no response of the old keys. */
		had = c->ids_for[0] != NULL;
		if ((rc = ocsp_ids_init(&c->ids, ca[0], ca[1])) == 0) {
			for (i = 0; i < OCSP_NISSUERS; i++) {
				X509_free(c->ids_for[i]);
				X509_up_ref(ca[i]);
				c->ids_for[i] = ca[i];
			}
			if (had)
				ocsp_cache_clear(c);
		}
	}
	if (rc == 0)
		*ids = c->ids;
	pthread_mutex_unlock(&c->ids_lock);
	return rc;
}

/* One (key, certid) of a revoked serial, to sign again. */
struct resign {
	unsigned char	*key, *certid;
	size_t		 keylen, certid_len;
};

void
ocsp_on_revocation(struct app *app, const char *payload)
{
	struct ocsp_cache *c = app->ocsp_cache;
	struct resign *todo = NULL, *t;
	size_t ntodo = 0, cap = 0, i, j, slen;
	unsigned char serial[OCSP_SERIAL_MAX + 1], *der = NULL;
	const char *colon;
	enum ocsp_issuer is;
	unsigned long epoch;
	uint64_t sh_hash;
	size_t len = 0;
	time_t now;

	if (c == NULL || payload == NULL || (colon = strchr(payload, ':')) == NULL)
		goto bad;
	if ((size_t)(colon - payload) == 4 && strncmp(payload, "sign", 4) == 0)
		is = OCSP_ISSUER_SIGN;
	else if ((size_t)(colon - payload) == 4 && strncmp(payload, "auth", 4) == 0)
		is = OCSP_ISSUER_AUTH;
	else
		goto bad;
	if (strlen(colon + 1) > 2 * OCSP_SERIAL_MAX ||
	    serial_parse_hex(colon + 1, serial, &slen) != 0 || slen > OCSP_SERIAL_MAX)
		goto bad;

	/* New epoch first: a miss reading the old status cannot store it now. */
	atomic_fetch_add(&c->epoch, 1);
	sh_hash = serial_hash(c->seed, is, serial, slen);
	for (i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		struct entry *e, *next;

		pthread_mutex_lock(&sh->lock);
		for (e = sh->sbuckets[sh_hash & (sh->nbuckets - 1)]; e != NULL; e = next) {
			next = e->snext;
			if (e->shash != sh_hash || e->issuer != is || e->serial_len != slen ||
			    memcmp(e->serial, serial, slen) != 0)
				continue;
			if (ntodo == cap) {
				size_t ncap = cap ? cap * 2 : 4;

				if ((t = realloc(todo, ncap * sizeof(*t))) == NULL)
					goto unlock;	/* dropped, not re-signed: fine */
				todo = t;
				cap = ncap;
			}
			t = &todo[ntodo];
			if ((t->key = malloc(e->keylen + e->certid_len)) != NULL) {
				memcpy(t->key, e->key, e->keylen);
				t->certid = t->key + e->keylen;
				memcpy(t->certid, e->certid, e->certid_len);
				t->keylen = e->keylen;
				t->certid_len = e->certid_len;
				ntodo++;
			}
unlock:
			shard_remove(sh, e);
		}
		pthread_mutex_unlock(&sh->lock);
	}

	/* Sign each distinct CertID once and store it under all its keys. */
	epoch = ocsp_cache_epoch(c);
	now = clock_now();
	for (i = 0; i < ntodo; i++) {
		const unsigned char *p = todo[i].certid;
		OCSP_CERTID *cid;

		if (todo[i].key == NULL)
			continue;
		if ((cid = d2i_OCSP_CERTID(NULL, &p, (long)todo[i].certid_len)) == NULL ||
		    ocsp_sign_one(app, is, cid, serial, slen, now, &der, &len) != 0) {
			OCSP_CERTID_free(cid);
			continue;
		}
		OCSP_CERTID_free(cid);
		for (j = i; j < ntodo; j++) {
			if (todo[j].key == NULL || todo[j].certid_len != todo[i].certid_len ||
			    memcmp(todo[j].certid, todo[i].certid, todo[i].certid_len) != 0)
				continue;
			ocsp_cache_put(c, epoch, todo[j].key, todo[j].keylen, is, serial, slen,
			    todo[j].certid, todo[j].certid_len, der, len, now,
			    now + app->status.ocsp_validity_s);
			if (j != i) {
				free(todo[j].key);
				todo[j].key = NULL;
			}
		}
		free(der);
		der = NULL;
	}
	for (i = 0; i < ntodo; i++)
		free(todo[i].key);
	free(todo);
	log_kv(LOG_LVL_INFO, "OCSP responses re-signed after a revocation", "serial",
	    colon + 1, "issuer", ocsp_issuer_name(is), (char *)NULL);
	return;
bad:
	if (c != NULL)
		log_kv(LOG_LVL_WARN, "bad jpkid_revocation payload ignored", "payload",
		    payload != NULL ? payload : "-", (char *)NULL);
}
/* ---- operators: stats ---- */
/* Process-wide (one cache per jpkid): GET /v1/stats reports the hit ratio. */
static atomic_ullong lookups_hit, lookups_missed;

void
ocsp_cache_note_lookup(int hit)
{
	atomic_fetch_add_explicit(hit ? &lookups_hit : &lookups_missed, 1, memory_order_relaxed);
}

void
ocsp_cache_lookups(unsigned long long *hits, unsigned long long *misses)
{
	*hits = atomic_load_explicit(&lookups_hit, memory_order_relaxed);
	*misses = atomic_load_explicit(&lookups_missed, memory_order_relaxed);
}
/* ---- end operators: stats ---- */
/* ---- issue 13: anonymous OCSP, signature budget ---- */
/*
 * Process-wide token buckets (one jpkid, one status listener): a global
 * one and one per peer address (OCSP_BUDGET_SLOTS slots by address hash;
 * two addresses sharing a slot share its budget, which only errs towards
 * refusing). Time is the monotonic clock, so a clock step changes nothing.
 */
struct budget_slot {
	uint64_t	 addr;		/* hash of the address; 0: free */
	double		 tokens;
	int64_t		 last_us;
};

static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static struct budget_slot budget_global, budget_addr[OCSP_BUDGET_SLOTS];
static atomic_ullong ocsp_signed[3], ocsp_budget_refused, ocsp_nonce_ignored,
    ocsp_canonical_hits;

/* Refill b (rate per second, at most burst) to now; 1 and one token taken, or 0. */
static int
bucket_take(struct budget_slot *b, double rate, double burst, int64_t now_us)
{
	if (b->last_us == 0 || now_us < b->last_us)
		b->tokens = burst;
	else {
		b->tokens += (double)(now_us - b->last_us) / 1e6 * rate;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->last_us = now_us;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

int
ocsp_budget_take(const char *remote)
{
	uint64_t h = hash(0, remote != NULL ? remote : "-", remote != NULL ? strlen(remote) : 1)
	    | 1;
	struct budget_slot *s = &budget_addr[h % OCSP_BUDGET_SLOTS];
	int64_t now = (int64_t)clock_mono_us();
	int ok;

	pthread_mutex_lock(&budget_lock);
	if (s->addr != h) {
		memset(s, 0, sizeof(*s));
		s->addr = h;
	}
	/* The address first: one noisy peer does not spend everyone's budget. */
	ok = bucket_take(s, OCSP_BUDGET_ADDR_PER_MIN / 60.0, OCSP_BUDGET_ADDR_BURST, now) &&
	    bucket_take(&budget_global, OCSP_BUDGET_GLOBAL_PER_S, OCSP_BUDGET_GLOBAL_BURST, now);
	pthread_mutex_unlock(&budget_lock);
	if (!ok)
		atomic_fetch_add_explicit(&ocsp_budget_refused, 1, memory_order_relaxed);
	return ok;
}

void
ocsp_note(enum ocsp_event ev)
{
	atomic_ullong *c = NULL;

	switch (ev) {
	case OCSP_EV_SIGNED_CACHED:	c = &ocsp_signed[0]; break;
	case OCSP_EV_SIGNED_NONCE:	c = &ocsp_signed[1]; break;
	case OCSP_EV_SIGNED_UNCACHED:	c = &ocsp_signed[2]; break;
	case OCSP_EV_NONCE_IGNORED:	c = &ocsp_nonce_ignored; break;
	case OCSP_EV_CANONICAL_HIT:	c = &ocsp_canonical_hits; break;
	}
	if (c != NULL)
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

int
ocsp_metrics_text(char *buf, size_t cap)
{
	return snprintf(buf, cap,
	    "# HELP jpkid_ocsp_signatures_total OCSP responses signed on demand, by what became of them.\n"
	    "# TYPE jpkid_ocsp_signatures_total counter\n"
	    "jpkid_ocsp_signatures_total{kind=\"cached\"} %llu\n"
	    "jpkid_ocsp_signatures_total{kind=\"nonce\"} %llu\n"
	    "jpkid_ocsp_signatures_total{kind=\"uncached\"} %llu\n"
	    "# HELP jpkid_ocsp_budget_refused_total Anonymous OCSP requests answered tryLater "
	    "(signature budget spent).\n"
	    "# TYPE jpkid_ocsp_budget_refused_total counter\n"
	    "jpkid_ocsp_budget_refused_total %llu\n"
	    "# HELP jpkid_ocsp_nonce_ignored_total Anonymous OCSP requests whose nonce was ignored.\n"
	    "# TYPE jpkid_ocsp_nonce_ignored_total counter\n"
	    "jpkid_ocsp_nonce_ignored_total %llu\n"
	    "# HELP jpkid_ocsp_canonical_hits_total OCSP requests served from the cache by their CertID.\n"
	    "# TYPE jpkid_ocsp_canonical_hits_total counter\n"
	    "jpkid_ocsp_canonical_hits_total %llu\n",
	    atomic_load(&ocsp_signed[0]), atomic_load(&ocsp_signed[1]),
	    atomic_load(&ocsp_signed[2]), atomic_load(&ocsp_budget_refused),
	    atomic_load(&ocsp_nonce_ignored), atomic_load(&ocsp_canonical_hits));
}
/* ---- end issue 13 ---- */
