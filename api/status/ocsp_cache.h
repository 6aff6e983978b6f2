/*
 * ocsp_cache: signed OCSP responses in memory (docs/foundation.md "OCSP": pre-signed or
 * signed on demand, cached, re-signed when a status changes).
 *
 * Only single-CertID requests without a nonce are cached. An entry is found
 * by the exact request it answers: 'G' + the RFC 5019 GET path text (after
 * percent-decoding) or 'P' + the POST body's DER, so a hit costs one hash
 * lookup, no database and no DER parsing. Entries are also indexed by
 * (issuer, serial) for revocations. 16 shards, each with its own mutex and
 * a clock (second-chance) eviction over at most max_entries / 16 entries.
 *
 * A miss reads the database and signs; a revocation committed between that
 * read and ocsp_cache_put() must not leave the old status cached: put takes
 * the epoch read by ocsp_cache_epoch() before the database read and drops
 * the entry when a revocation (or a clear) happened since.
 */
#ifndef JPKI_OCSP_CACHE_H
#define JPKI_OCSP_CACHE_H

#include <stddef.h>
#include <time.h>

#include "api/api.h"
#include "ca/ocsp.h"

struct ocsp_cache	*ocsp_cache_new(size_t max_entries);
/* Accepts NULL. */
void			 ocsp_cache_free(struct ocsp_cache *);
/*
 * Drop every entry (the LISTEN connection was lost: revocations may have
 * been missed). Accepts NULL.
 */
void			 ocsp_cache_clear(struct ocsp_cache *);
/*
 * live 0: bypass the cache (every lookup misses, nothing is stored) and
 * drop it; 1: use it again (dropped once more: what was missed while away
 * is gone). The daemon starts it at 0 and the jobs thread turns it on once
 * LISTEN jpkid_revocation is in place, off the moment that connection is
 * lost: a revocation committed while nobody listens is never answered
 * "good" from memory (the gap a reconnect-time clear alone left open: the
 * pool back before the listener, tests/fault/run.sh). A new cache is live
 * (for tests without a listener). Accepts NULL.
 */
void			 ocsp_cache_set_live(struct ocsp_cache *, int live);
int			 ocsp_cache_live(struct ocsp_cache *);
/*
 * NOTIFY jpkid_revocation, payload "<issuer>:<hex serial>": drop that
 * serial's entries and sign them again at once (status from the database),
 * so the next request is served the revoked status from the cache. Called
 * by the jobs thread; a bad payload is logged and ignored.
 */
void			 ocsp_on_revocation(struct app *, const char *payload);

struct ocsp_hit {
	unsigned char	*der;		/* malloc'd copy; the caller owns it */
	size_t		 len;
	enum ocsp_issuer issuer;
	time_t		 this_update, next_update;
	char		 etag[20];	/* "\"<16 hex>\"" */
};

/* The ETag of a response: "\"<16 hex of its SHA-256>\"" into etag[20]. */
void			 ocsp_etag(const unsigned char *der, size_t len, char etag[20]);
/* The current epoch, read before a miss goes to the database. */
unsigned long		 ocsp_cache_epoch(struct ocsp_cache *);
/*
 * Look key up. 1 and *hit when found and signed less than max_age seconds
 * before now (and before its nextUpdate); 0 otherwise.
 */
int			 ocsp_cache_get(struct ocsp_cache *, const void *key, size_t keylen,
			    time_t now, time_t max_age, struct ocsp_hit *hit);
/*
 * Store (or replace) the response for key: certid is the DER of the
 * request's one CertID (kept to sign it again on a revocation). Nothing is
 * stored when epoch is no longer current. Copies everything.
 */
void			 ocsp_cache_put(struct ocsp_cache *, unsigned long epoch,
			    const void *key, size_t keylen, enum ocsp_issuer,
			    const unsigned char *serial, size_t serial_len,
			    const unsigned char *certid, size_t certid_len,
			    const unsigned char *der, size_t len, time_t this_update,
			    time_t next_update);
/*
 * The CertID hashes of the current keyring's CAs, recomputed when the
 * keyring was swapped (the cache is then cleared too). Call with
 * app->keys_lock read-locked; copies into *ids. 0 or -1.
 */
int			 ocsp_cache_ids(struct app *, struct ocsp_ids *ids);

/*
 * Shared with api/status/status_ocsp.c: the status of one certificate and its
 * signed single response. 0; -1 database unavailable; -2 signing failed.
 */
int			 ocsp_sign_one(struct app *, enum ocsp_issuer, OCSP_CERTID *,
			    const unsigned char *serial, size_t serial_len, time_t now,
			    unsigned char **der, size_t *len);

/*
 * ---- issue 13: anonymous OCSP (docs/ocsp.md) ----
 * Anonymous callers (the status listener without a relying party's token)
 * get a fresh signature that will not be cached (an unknown serial, several
 * CertIDs) only within a budget: per peer address OCSP_BUDGET_ADDR_BURST,
 * refilled at OCSP_BUDGET_ADDR_PER_MIN a minute, and globally
 * OCSP_BUDGET_GLOBAL_BURST refilled at OCSP_BUDGET_GLOBAL_PER_S a second.
 * ocsp_budget_take: 1 and one signature spent, or 0 (answer tryLater).
 */
#define OCSP_BUDGET_ADDR_BURST		20
#define OCSP_BUDGET_ADDR_PER_MIN	60
#define OCSP_BUDGET_GLOBAL_BURST	200
#define OCSP_BUDGET_GLOBAL_PER_S	50
#define OCSP_BUDGET_SLOTS		4096
int			 ocsp_budget_take(const char *remote);
enum ocsp_event {
	OCSP_EV_SIGNED_CACHED,		/* signed and cached */
	OCSP_EV_SIGNED_NONCE,		/* signed for a registered caller's nonce */
	OCSP_EV_SIGNED_UNCACHED,	/* signed, not cacheable (unknown, several ids) */
	OCSP_EV_NONCE_IGNORED,		/* an anonymous request's nonce */
	OCSP_EV_CANONICAL_HIT,		/* served from the cache by its CertID */
};
void			 ocsp_note(enum ocsp_event);
/* The counters above as Prometheus text (GET /metrics); snprintf's result. */
int			 ocsp_metrics_text(char *buf, size_t cap);
/* ---- end issue 13 ---- */

/* ---- operators: stats ---- */
/* Lookups in every cache of this process since start: hits and misses. */
void			 ocsp_cache_lookups(unsigned long long *hits, unsigned long long *misses);
/* Count one lookup (ocsp_cache_get). */
void			 ocsp_cache_note_lookup(int hit);
/* ---- end operators: stats ---- */

#endif
