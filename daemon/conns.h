/*
 * conns: connection tracking for one libmicrohttpd listener (docs/network.md).
 *
 * libmicrohttpd's own connection_timeout only closes connections that send
 * nothing at all; a client that trickles one byte every few seconds keeps a
 * connection forever. conns tracks every connection of a listener (through
 * MHD_OPTION_NOTIFY_CONNECTION) and a sweeper thread closes, every 250 ms:
 *   - a connection whose request head is not complete head_timeout after it
 *     was accepted, or after its previous request was answered (kept-alive);
 *   - a connection whose body arrives slower than min_body_rate bytes/s,
 *     measured over each window of body_rate_window seconds.
 * "Closing" is shutdown(fd, SHUT_RDWR) under the table lock: libmicrohttpd
 * sees end-of-file, closes the connection itself and reports it closed (the
 * entry leaves the table before libmicrohttpd closes the fd, so the sweeper
 * never touches a reused fd number).
 *
 * Limits are ours too (MHD_OPTION_ACCEPT_POLICY_CALLBACK): at the
 * per-address limit, a new connection evicts that address's oldest
 * connection that waits for a request head (idle, kept-alive or not yet
 * complete) instead of being refused, so an idle flood cannot lock out a
 * health check from the same address; only an address whose connections
 * are all busy (a request in flight) is refused. The listener's total limit
 * works the same way over all addresses.
 */
#ifndef JPKI_CONNS_H
#define JPKI_CONNS_H

#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct conns_limits {
	unsigned int	 connection_limit;	/* connections in all (>= 1) */
	unsigned int	 per_address_limit;	/* per client address (0 = none) */
	unsigned int	 head_timeout_ms;	/* whole request head (0 = none) */
	unsigned int	 min_body_rate;		/* bytes/s (0 = none) */
	unsigned int	 body_rate_window_ms;	/* rate measured over each window */
};

struct conns;

/* A table for the listener called name (a static string); starts its sweeper. NULL: no memory. */
struct conns	*conns_new(const char *name, const struct conns_limits *);
/* How many connections libmicrohttpd may hold (MHD_OPTION_CONNECTION_LIMIT). */
unsigned int	 conns_capacity(const struct conns *);
/* Stop the sweeper (before MHD_stop_daemon); accepts NULL. */
void		 conns_stop(struct conns *);
/* Free the table (after MHD_stop_daemon); accepts NULL. */
void		 conns_free(struct conns *);

/* libmicrohttpd callbacks; cls is the struct conns. */
enum MHD_Result	 conns_accept_policy(void *cls, const struct sockaddr *, socklen_t);
void		 conns_notify(void *cls, struct MHD_Connection *, void **socket_context,
		    enum MHD_ConnectionNotificationCode);
/*
 * From the access handler, before it runs: first is 1 on a request's first
 * call (the head is complete), upload_size is *upload_size.
 */
void		 conns_on_access(struct MHD_Connection *, int first, size_t upload_size);
/* From the request-completed callback: the connection waits for a head again. */
void		 conns_on_completed(struct MHD_Connection *);
/*
 * The connection's client-certificate cache (api/api.h), zeroed when the
 * connection starts; NULL for a connection the table could not hold. Used
 * only by the thread handling the connection's request.
 */
struct api_auth_cache;
struct api_auth_cache *conns_auth_cache(struct MHD_Connection *);

/*
 * Pure parts, for tests. An entry as the policy sees it. conns_pick_victim:
 * the index of the entry a newcomer from addr evicts, -1 if none may be
 * evicted (all busy), -2 if there is room (no eviction needed).
 */
enum conns_state { CONNS_WAITING, CONNS_BODY, CONNS_BUSY };
struct conns_view {
	const unsigned char	*addr;		/* conns_addr_key() bytes */
	enum conns_state	 state;
	uint64_t		 since_ms;	/* waiting since (WAITING only) */
	int			 cut;		/* already being closed */
};
#define CONNS_ADDR_KEY	17	/* family byte + 16 address bytes */
/* The key of an address (IPv4-mapped IPv6 folded to IPv4, port ignored). */
void		 conns_addr_key(const struct sockaddr *, socklen_t, unsigned char key[CONNS_ADDR_KEY]);
int		 conns_pick_victim(const struct conns_view *, int n, const unsigned char *addr,
		    unsigned int per_address_limit, unsigned int connection_limit);
/*
 * Whether an entry must be closed now (0 keep, 1 head deadline, 2 slow body);
 * may restart the body-rate window (*win_start_ms, *win_bytes).
 */
int		 conns_verdict(enum conns_state, uint64_t since_ms, uint64_t *win_start_ms,
		    unsigned long long *win_bytes, uint64_t now_ms, const struct conns_limits *);

/*
 * Raise RLIMIT_NOFILE's soft limit toward want (never above the hard
 * limit). Returns the soft limit in force afterwards.
 */
unsigned long	 conns_raise_nofile(unsigned long want);

#endif
