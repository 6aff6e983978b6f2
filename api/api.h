/*
 * api: HTTP handlers over ca/ and db/, independent of libmicrohttpd. The
 * daemon (daemon/http.c) turns each HTTP request into a struct api_req,
 * calls api_dispatch(), and sends the struct api_resp back.
 *
 * Errors become RFC 9457 problem documents in exactly one place
 * (api/problem.c); handlers call api_problem() and return.
 *
 * api/ holds what every route shares (router, auth, problems, idempotency,
 * audit rows, paging, metrics, health); the resources live in one folder
 * per concept: counter/, feed/, revocation/, status/, schedule/, operators/.
 */
#ifndef JPKI_API_H
#define JPKI_API_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include <openssl/evp.h>

#include "ca/answercode.h"
#include "ca/keyring.h"
#include "db/store.h"

struct metrics;
struct api_resp;

/* Which listener a request came in on. */
enum listener {
	LISTENER_API = 1,	/* HTTPS, client certificate on every request */
	LISTENER_STATUS = 2,	/* plain HTTP: OCSP, CRLs, CA certificates, health */
	LISTENER_CONSOLE = 4,	/* HTTPS, operator session cookie + CSRF token, no client certificate */
};

enum principal_kind {
	PRINCIPAL_NONE = 0,
	PRINCIPAL_TERMINAL = 1 << 0,
	PRINCIPAL_REGISTER_FEED = 1 << 1,
	PRINCIPAL_RELYING_PARTY = 1 << 2,
	PRINCIPAL_OPERATOR = 1 << 3,
	PRINCIPAL_KIOSK = 1 << 4,	/* convenience-store kiosk (R16a) */
};
#define PRINCIPAL_ANY (PRINCIPAL_TERMINAL | PRINCIPAL_REGISTER_FEED | \
	PRINCIPAL_RELYING_PARTY | PRINCIPAL_OPERATOR | PRINCIPAL_KIOSK)

struct principal {
	enum principal_kind kind;
	long long	id;
	char		name[128];
	char		municipality_code[8];	/* terminals only (R1) */
	char		municipality_name[64];
	char		prefecture[32];
	char		cert_sha256[65];	/* hex, for logs and audit */
	char		role[16];	/* operators: viewer, officer or admin; else "" */
	/* ---- operators (issue 11) ---- */
	int		via_session;	/* operator authenticated by a console session, not a certificate */
	char		session_id[17];	/* hex prefix of the session token's hash, for logs and audit */
	/* ---- end operators ---- */
};

/* ---- operators (issue 11) ---- */
/* [console] [operators] [audit] settings (daemon/config.h), fixed at start. */
struct operator_cfg {
	char	*console_origin;	/* allowed Origin; NULL: "https://" + the Host header */
	int	 session_idle_s, session_absolute_s;
	int	 argon2_memory_kib, argon2_iterations, argon2_parallelism;
	int	 totp_for_viewers;
	int	 lock_after, lock_s, address_lock_after, delay_ms;
	int	 audit_seal_interval_s, audit_journal;
};
/* ---- end operators ---- */

/* [issuance] settings (daemon/config.h), fixed at start (owned copies). */
struct issuance_cfg {
	char	*status_url;		/* R24 URLs: <status_url>/crl/..., /ocsp, /ca/... */
	char	*sign_policy_oid, *auth_policy_oid;
	int	 inquiry_days;		/* R13 */
	int	 fee_reissue_yen, fee_reissue_both_yen, fees_waived;	/* R18 */
	struct answer_key answer_key;	/* R13 answer codes ([issuance] answer_key; .set 0: none) */
};

/* [status] [crl] [ocsp] settings (daemon/config.h), fixed at start. */
struct status_cfg {
	int	 require_relying_party;	/* R26: status data only for registered RPs */
	int	 crl_publish_hours;	/* default publication interval (R26: daily) */
	int	 crl_next_update_hours;	/* nextUpdate - thisUpdate */
	int	 ocsp_validity_s;	/* nextUpdate - thisUpdate of OCSP responses */
	int	 ocsp_cache_entries;
};

struct ocsp_cache;		/* api/status/ocsp_cache.h */
struct rp_usage;		/* api/status/rp.h */
struct dashboard;		/* api/dashboard/static.h */

/* Shared state of one running jpkid. */
struct app {
	struct store		*store;
	int			 borrow_timeout_ms;
	pthread_rwlock_t	 keys_lock;	/* guards keys: read to use, write to swap */
	struct keyring		*keys;
	struct metrics		*metrics;
	int			 schema_ready;	/* migrations applied (atomic access) */
	time_t			 started_at;
	const char		*version;
	struct issuance_cfg	 issuance;
	struct status_cfg	 status;
	struct ocsp_cache	*ocsp_cache;	/* signed OCSP responses (api/status/ocsp_cache.h) */
	struct rp_usage		*rp_usage;	/* relying-party check counters (api/status/rp.h) */
	EVP_PKEY		*lint_key;	/* throwaway key of ca/profile.h */
	/* ---- pin resets ---- */
	int			 pinreset_authorization_ttl_s;	/* R16a, [pinreset] */
	int			 pinreset_challenge_ttl_s;
	/* ---- end pin resets ---- */
	/* ---- suspensions notices ---- */
	int			 notice_lead_months;	/* [notices] lead_months (R21); 0: 3 */
	/* ---- end suspensions notices ---- */
	/* ---- operators (issue 11) ---- */
	struct operator_cfg	 operators;
	EVP_PKEY		*audit_pub;	/* public key of the audit checkpoint signer, or NULL */
	/* ---- end operators ---- */
	/* ---- dashboard ---- */
	struct dashboard	*dashboard;	/* the dashboard's files, or NULL: not installed */
	/* ---- end dashboard ---- */
};

#define API_MAX_PARAMS	4
#define API_MAX_HEADERS	8

struct api_req {
	struct app	*app;
	enum listener	 listener;
	const char	*method;
	const char	*path;		/* without the query string */
	/* Header lookup (case-insensitive), provided by the HTTP layer. */
	const char	*(*header)(void *hctx, const char *name);
	/* Query-string parameter lookup (decoded), provided by the HTTP layer. */
	const char	*(*query)(void *hctx, const char *name);
	void		*hctx;
	const char	*body;
	size_t		 body_len;
	const char	*remote;	/* peer address, for logs */
	/*
	 * Set by the HTTP layer on the API listener: verifies the client
	 * certificate and fills principal, or sets resp (401/503) and returns
	 * -1. The router calls it for every API request, matched or not, after
	 * resolving the route (so metrics label failures by route).
	 */
	int		(*authenticate)(struct api_req *, struct api_resp *);
	void		*conn;		/* HTTP layer's connection, for authenticate */
	/* The connection's auth cache (API listener; NULL: none, e.g. table full). */
	struct api_auth_cache *auth_cache;
	/*
	 * Set by the router before authenticate: the matched route's principal
	 * mask (0: the route needs no principal, e.g. POST /v1/session; -1: no
	 * route matched) and whether its method changes state.
	 */
	int		 route_principals;
	int		 route_mutates;
	char		 request_id[33];
	struct principal principal;
	/* {name} segments of the matched route, in order. */
	char		 params[API_MAX_PARAMS][128];
	int		 nparams;
};

struct api_header {
	const char	*name;
	char		*value;		/* owned */
};

struct api_resp {
	int		 status;
	char		*body;		/* owned, malloc'd */
	size_t		 body_len;
	const char	*content_type;
	struct api_header headers[API_MAX_HEADERS];
	int		 nheaders;
	const char	*route;		/* route name for metrics/logs ("unmatched" if none) */
	const char	*rule;		/* rule id of a policy refusal, for the log line */
	const char	*problem;	/* problem type slug, for the log line */
};

/* Route one request; always fills resp. */
void	api_dispatch(struct api_req *, struct api_resp *);
/*
 * On the request head, before any of the body is read: resolve the route
 * (route_principals, route_mutates, resp->route) and call req->authenticate.
 * 0 (req->authenticate is then NULL: api_dispatch() does not call it
 * again), or -1 with resp filled (401, 403, 503): answer without the body.
 */
int	api_authenticate_early(struct api_req *, struct api_resp *);
/*
 * The raw request-target (path and query, still percent-encoded): NULL
 * when acceptable, else the part that is not ("path" or "query") with *why
 * saying what is wrong: a control byte or NUL (raw or %00-%1F, %7F: they
 * would truncate or change the decoded path), a space, a '%' without two
 * hex digits, a decoded path that is not UTF-8. Pure.
 */
const char *api_target_check(const char *target, const char **why);
/* 1 when a Content-Type value is type (case-insensitive), parameters allowed. Pure. */
int	api_media_type_is(const char *value, const char *type);

/*
 * Streaming request bodies (routes listed in streaming[] of api/router.c:
 * POST /v1/residents:import). The HTTP layer resolves such a route
 * as soon as the request headers are in (api_route_streams), applies its own
 * body limit, and calls api_stream_open(), which authenticates, authorizes
 * and opens the handler's stream, all before any of the body is read. The
 * body then goes to data() piece by piece as it arrives (never buffered
 * whole), finish() answers, free() releases. req stays valid and unchanged
 * (req->body empty) from api_stream_open() until free().
 */
struct api_stream {
	/*
	 * The next len bytes of the body, in order. 0: go on. -1: the handler
	 * knows its answer already; the rest of the body is read and dropped,
	 * and finish() is still called.
	 */
	int	(*data)(struct api_stream *, const char *buf, size_t len);
	/* The whole body has arrived: fill resp. Called at most once. */
	void	(*finish)(struct api_stream *, struct api_resp *);
	/* Called exactly once, last, also when the client went away first. */
	void	(*free)(struct api_stream *);
};
/* A streaming route's handler: its stream, or NULL with resp filled. */
typedef struct api_stream *(*api_stream_open_fn)(struct api_req *, struct api_resp *);
/*
 * 1 when req (listener, method, path) names a streaming route; then
 * req->params and resp->route are set. No authentication yet.
 */
int	api_route_streams(struct api_req *, struct api_resp *);
/*
 * After api_route_streams() said 1: authenticate (req->authenticate),
 * check the principal kind and open the handler's stream. NULL with resp
 * filled (401, 403, 415, 503, ...) means: answer now, do not read the body.
 */
struct api_stream *api_stream_open(struct api_req *, struct api_resp *);
/*
 * The buffered form of a streaming route, for api_dispatch(): req->body is
 * the one piece of data.
 */
void	api_stream_buffered(api_stream_open_fn, struct api_req *, struct api_resp *);
/* HTTP dates and validators (api/conditional.c). */
/* t as an RFC 9110 IMF-fixdate ("Sat, 21 Nov 2026 01:00:00 GMT") into buf. */
char	*api_http_date(time_t t, char *buf, size_t len);
/* An IMF-fixdate as Unix time, or -1. */
time_t	 api_http_date_parse(const char *);
/* 1 when an If-None-Match list names etag (weak comparison, RFC 9110 13.1.2) or is "*". */
int	 api_etag_match(const char *if_none_match, const char *etag);

/* Free what resp owns. */
void	api_resp_free(struct api_resp *);

/* Response helpers. They take ownership of/steal their arguments. */
void	api_json(struct api_resp *, int status, json_t *body);	/* steals body */
void	api_text(struct api_resp *, int status, const char *ctype, char *body, size_t len);
void	api_add_header(struct api_resp *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * problem+json (RFC 9457). type is a slug ("unauthenticated") turned into
 * "urn:jpkid:problem:<slug>"; rule may be NULL or a docs/rules.md id ("R4");
 * fields may be NULL or a JSON object of field -> message (stolen).
 */
void	api_problem(struct api_resp *, int status, const char *type, const char *title,
	    const char *rule, json_t *fields, const char *detail_fmt, ...)
	    __attribute__((format(printf, 7, 8)));

/* 503 with Retry-After for a database failure; logs the SQLSTATE, not the message. */
void	api_db_unavailable(struct api_req *, struct api_resp *, const struct store_err *);
/*
 * One read outside a transaction: borrow a connection, run q, give the
 * connection back. The result, or NULL with resp set (api_db_unavailable).
 */
PGresult *api_read(struct api_req *, struct api_resp *, enum query_id q, int n,
	    const char *const *v);

/*
 * What one TLS connection has already established about its client
 * certificate. daemon/conns.c keeps one per connection, zeroed when the
 * connection starts (so a new connection verifies everything again):
 *  - verified: the chain was verified and api_client_cert_problem() passed
 *    for the certificate whose SHA-256 is md, valid until verified_until
 *    (real time, the clock GnuTLS checks validity with: the certificate's
 *    notAfter, at most API_AUTH_REVERIFY_S after the verification);
 *  - the principal last touched (api_principal_touch) and when (clock_now()).
 * Never the principal itself: its registration (enabled, role, municipality)
 * is read on every request, so disabling or re-keying a terminal, operator,
 * ... takes effect on the very next request of an open connection, whoever
 * changed the row (this jpkid, another one, jpkictl, psql).
 */
#define API_AUTH_REVERIFY_S	300
#define API_AUTH_TOUCH_S	60	/* last_seen_at's own granularity (0008) */
struct api_auth_cache {
	int		 verified;
	unsigned char	 md[32];
	time_t		 verified_until;
	enum principal_kind touched_kind;
	long long	 touched_id;
	time_t		 touched_at;
};
/*
 * Whether the certificate of SHA-256 md was already verified on this
 * connection and still is at real time now (then the chain check and
 * api_client_cert_problem() are skipped). Pure; accepts NULL (0).
 */
int	api_auth_cache_verified(const struct api_auth_cache *, const unsigned char md[32],
	    time_t now);
/* Record a successful verification of md at now, the certificate valid until not_after. */
void	api_auth_cache_store(struct api_auth_cache *, const unsigned char md[32], time_t now,
	    time_t not_after);
/*
 * Whether api_authenticate must run api_principal_touch for principal
 * (kind, id) at clock_now() now: always without a cache, for another
 * principal, or API_AUTH_TOUCH_S after the connection's last touch (or
 * when the clock went back). Pure.
 */
int	api_auth_touch_due(const struct api_auth_cache *, enum principal_kind, long long id,
	    time_t now);

/*
 * Map a verified client certificate (DER) to a principal registered in the
 * database by its SHA-256. Returns 0 with req->principal filled, or -1 with
 * resp set (401 unknown/disabled certificate, 503 database unavailable).
 * One query per request; last_seen_at is touched at most once a minute per
 * connection (req->auth_cache).
 */
int	api_authenticate(struct api_req *, const unsigned char *der, size_t len,
	    struct api_resp *resp);

/*
 * What a client certificate (DER) must say beyond its chain: an
 * extendedKeyUsage naming clientAuth (GnuTLS's purpose check lets a
 * certificate without the extension pass), a keyUsage, when present, with
 * digitalSignature (the handshake does not check it: daemon/http.c,
 * API_PRIORITIES), and no CA:TRUE. NULL when fine, else why not. Pure.
 */
const char *api_client_cert_problem(const unsigned char *der, size_t len);
const char *api_principal_kind_name(enum principal_kind);
/* ---- operators (issue 11) ---- */
/* Rank of a role: viewer 1, officer 2, admin 3, anything else 0. */
int	api_role_rank(const char *role);
/* 403 problem+json naming the role needed ("required_role": min_role). */
void	api_forbidden_role(struct api_req *, struct api_resp *, const char *min_role);
/*
 * The console listener's authenticate (api/operators/session.c): the jpkid_session
 * cookie names a live session (idle and absolute timeouts), which fills
 * req->principal as an operator; a state-changing request also needs the
 * session's CSRF token in X-CSRF-Token and a matching Origin (403).
 * Routes with route_principals == 0 need no session.
 */
int	api_session_authenticate(struct api_req *, struct api_resp *);
/* ---- end operators ---- */
/* "<kind>:<id>" of req->principal (audit actor, idempotency scope) into buf. */
char	*api_principal_id(const struct api_req *, char *buf, size_t len);

/* Handlers (one file per resource). */
void	api_healthz(struct api_req *, struct api_resp *);
void	api_readyz(struct api_req *, struct api_resp *);
void	api_metrics(struct api_req *, struct api_resp *);
void	api_whoami(struct api_req *, struct api_resp *);
void	api_municipality(struct api_req *, struct api_resp *);
/* counter: residents.c, applications.c, inquiry.c, issue.c */
void	api_resident_get(struct api_req *, struct api_resp *);
void	api_application_create(struct api_req *, struct api_resp *);
void	api_inquiry_answer(struct api_req *, struct api_resp *);
void	api_certificate_issue(struct api_req *, struct api_resp *);
/* register feed: feed.c, import.c */
void	api_feed_resident_put(struct api_req *, struct api_resp *);
void	api_feed_card_put(struct api_req *, struct api_resp *);
void	api_import(struct api_req *, struct api_resp *);	/* buffered form of: */
struct api_stream *api_import_open(struct api_req *, struct api_resp *);
/* ---- revocation ---- */
/* revocation: revoke.c, card_events.c (R11, R26) */
void	api_certificate_get(struct api_req *, struct api_resp *);
void	api_certificate_revoke(struct api_req *, struct api_resp *);
void	api_card_event(struct api_req *, struct api_resp *);
/* ---- end revocation ---- */
/* ---- relying parties ---- */
/* relying_parties.c (R26; operators) */
void	api_rp_create(struct api_req *, struct api_resp *);
void	api_rp_list(struct api_req *, struct api_resp *);
void	api_rp_get(struct api_req *, struct api_resp *);
void	api_rp_patch(struct api_req *, struct api_resp *);
void	api_rp_usage(struct api_req *, struct api_resp *);
/* ---- end relying parties ---- */
/* ---- OCSP ---- */
/* status_ocsp.c: POST /ocsp, GET /ocsp/{request*} (RFC 6960, RFC 5019) */
void	api_ocsp_post(struct api_req *, struct api_resp *);
void	api_ocsp_get(struct api_req *, struct api_resp *);
/* ---- end OCSP ---- */
/* ---- CRLs ---- */
/* crls.c: GET /crl/{type}/{file}, POST /v1/crls/publish, GET /v1/crls; ca_certs.c: GET /ca/{file} */
void	api_crl_get(struct api_req *, struct api_resp *);
void	api_crls_publish(struct api_req *, struct api_resp *);
void	api_crls_list(struct api_req *, struct api_resp *);
void	api_ca_cert_get(struct api_req *, struct api_resp *);
/* ---- end CRLs ---- */
/* ---- pin resets ---- */
/* pin_resets.c: R16a PIN reset authorizations (terminals, kiosks) */
void	api_pin_reset_challenge(struct api_req *, struct api_resp *);
void	api_pin_reset_create(struct api_req *, struct api_resp *);
void	api_pin_reset_complete(struct api_req *, struct api_resp *);
void	api_pin_change(struct api_req *, struct api_resp *);
/* ---- end pin resets ---- */
/* ---- suspensions notices ---- */
/* suspensions.c, hours.c (R19), notices.c (R21); operators, notices also terminals */
void	api_suspension_list(struct api_req *, struct api_resp *);
void	api_suspension_create(struct api_req *, struct api_resp *);
void	api_suspension_cancel(struct api_req *, struct api_resp *);
void	api_hours_get(struct api_req *, struct api_resp *);
void	api_hours_put(struct api_req *, struct api_resp *);
void	api_holiday_list(struct api_req *, struct api_resp *);
void	api_holiday_put(struct api_req *, struct api_resp *);
void	api_holiday_delete(struct api_req *, struct api_resp *);
void	api_notices_run(struct api_req *, struct api_resp *);
void	api_notices_get(struct api_req *, struct api_resp *);
/* ---- end suspensions notices ---- */
/* ---- operators: sessions ---- */
/* login.c: POST /v1/session; session.c: GET and DELETE /v1/session (console listener) */
void	api_session_create(struct api_req *, struct api_resp *);
void	api_session_get(struct api_req *, struct api_resp *);
void	api_session_delete(struct api_req *, struct api_resp *);
/* ---- end operators: sessions ---- */

/* ---- operators: audit ---- */
/* audit_log.c: GET /v1/audit, GET /v1/audit/verify (viewer) */
void	api_audit_list(struct api_req *, struct api_resp *);
void	api_audit_verify(struct api_req *, struct api_resp *);
/*
 * audit_seal.c, the sealing job (daemon/jobs.c runs it every
 * AUDIT_SEAL_EVERY_S): gives every unsealed audit_log row the next chain
 * position and hash (ca/auditchain.h), AUDIT_SEAL_BATCH rows per
 * transaction, and every [audit] seal_interval (when rows were sealed since
 * the last one) signs a checkpoint of the chain's head with the audit key.
 * One instance seals at a time (advisory lock). *sealed: rows sealed.
 * 0, or -1 on a database or signing failure (logged).
 */
#define AUDIT_SEAL_BATCH	5000
#define AUDIT_SEAL_EVERY_S	2
int	audit_seal_run(struct app *, time_t now, long *sealed);
/* ---- end operators: audit ---- */

/* ---- operators: stats ---- */
/* stats.c: GET /v1/stats (the dashboard's figures; rollups of 0007_stats.sql) */
void	api_stats(struct api_req *, struct api_resp *);
/*
 * The fold job (the scheduler, every [stats] fold_interval): the pending
 * deltas into the rollups, one instance at a time (api/operators/stats.h). 0 with
 * *folded (-1: another instance holds the lock), or -1 (database).
 */
int	stats_fold_run(struct app *, time_t now, long long *folded);
/* ---- end operators: stats ---- */

/* ---- operators: management ---- */
/* principals_admin.c: terminals, register feeds, kiosks (enrol, disable) */
void	api_terminal_list(struct api_req *, struct api_resp *);
void	api_terminal_create(struct api_req *, struct api_resp *);
void	api_terminal_get(struct api_req *, struct api_resp *);
void	api_terminal_patch(struct api_req *, struct api_resp *);
void	api_register_feed_list(struct api_req *, struct api_resp *);
void	api_register_feed_create(struct api_req *, struct api_resp *);
void	api_register_feed_get(struct api_req *, struct api_resp *);
void	api_register_feed_patch(struct api_req *, struct api_resp *);
void	api_kiosk_list(struct api_req *, struct api_resp *);
void	api_kiosk_create(struct api_req *, struct api_resp *);
void	api_kiosk_get(struct api_req *, struct api_resp *);
void	api_kiosk_patch(struct api_req *, struct api_resp *);
/*
 * The [api] client_ca bundle path enrolment checks certificates against
 * (copied; NULL frees it). Called once at start, before the listeners.
 */
void	api_admin_set_client_ca(const char *path);
/* operators_admin.c: operator accounts */
void	api_operator_list(struct api_req *, struct api_resp *);
void	api_operator_create(struct api_req *, struct api_resp *);
void	api_operator_get(struct api_req *, struct api_resp *);
void	api_operator_patch(struct api_req *, struct api_resp *);
void	api_operator_totp(struct api_req *, struct api_resp *);
/* cert_search.c: GET /v1/certificates; application_get.c: GET /v1/applications/{id} */
void	api_certificate_search(struct api_req *, struct api_resp *);
void	api_application_get(struct api_req *, struct api_resp *);
/*
 * auth.c: set last_seen_at of req->principal (kind, id) on c, at most once
 * a minute; never fails the request (a failure is logged). For every
 * successful authentication, certificate or session.
 */
void	api_principal_touch(struct store_conn *, const struct api_req *);
/* ---- end operators: management ---- */

/* ---- dashboard ---- */
/*
 * dashboard/static.c (console listener, no session): GET / (302) and
 * GET /dashboard (301) to /dashboard/; GET /dashboard/ (the page);
 * GET /dashboard/a/{id}/{path*} (the files of set id, immutable).
 */
void	api_dashboard_root(struct api_req *, struct api_resp *);
void	api_dashboard_slash(struct api_req *, struct api_resp *);
void	api_dashboard_index(struct api_req *, struct api_resp *);
void	api_dashboard_asset(struct api_req *, struct api_resp *);
/* ---- end dashboard ---- */

#endif
