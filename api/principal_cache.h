/*
 * principal_cache: the principal of a registered client certificate, kept
 * in memory by the certificate's SHA-256 (issue 15: the principals lookup
 * was a query and a pool borrow on every request).
 *
 * Coherence is the OCSP cache's (api/status/ocsp_cache.h): migration 0016
 * notifies jpkid_principal_change on every change the principals view can
 * show (enabled, cert_sha256, name, role, municipality, a row added or
 * removed), and the jobs thread drops the whole cache on it; from start-up
 * until LISTEN is in place, and from a lost LISTEN connection until it is
 * back, the cache is bypassed (every request reads the database). A
 * lookup that raced with a change is never stored: put takes the epoch
 * read before the query. Only registered, enabled principals are kept
 * (a refusal is read again every time). Bounded: when full it is emptied.
 * Thread-safe.
 */
#ifndef JPKI_PRINCIPAL_CACHE_H
#define JPKI_PRINCIPAL_CACHE_H

#include <stddef.h>

#include "api/api.h"

struct principal_cache;

/* A new cache (live) for at most max_entries certificates; NULL when out of memory. */
struct principal_cache	*principal_cache_new(size_t max_entries);
/* Accepts NULL. */
void			 principal_cache_free(struct principal_cache *);
/* Drop everything (NOTIFY jpkid_principal_change). Accepts NULL. */
void			 principal_cache_clear(struct principal_cache *);
/* 0: bypass and drop (no listener); 1: use again, dropped once more. Accepts NULL. */
void			 principal_cache_set_live(struct principal_cache *, int live);
/* The epoch, read before the database lookup whose answer is put. */
unsigned long		 principal_cache_epoch(struct principal_cache *);
/* 1 and *out (the principal's fields, cert_sha256 included) when md is cached; else 0. */
int			 principal_cache_get(struct principal_cache *, const unsigned char md[32],
			    struct principal *out);
/* Keep p for md unless the epoch moved on since the lookup (or not live). */
void			 principal_cache_put(struct principal_cache *, unsigned long epoch,
			    const unsigned char md[32], const struct principal *p);
/* Lookups answered from memory and those that went to the database, since start (all caches). */
void			 principal_cache_lookups(unsigned long long *hits, unsigned long long *misses);

#endif
