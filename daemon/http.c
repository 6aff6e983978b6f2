/*
 * http: see http.h.
 *
 * Each listener runs a libmicrohttpd thread pool ([daemon] threads); a
 * handler may block on a database connection borrowed from the pool for up
 * to [database] borrow_timeout_ms, so the pool is sized with the database
 * pool in mind. Limits (connections, per-IP, memory, timeout, body size) are
 * explicit, never the library defaults. Connection limits, the head deadline
 * and the minimum body rate are daemon/conns.c's (docs/network.md); a
 * Content-Length above the route's limit is refused at the first callback.
 *
 * Request bodies are buffered whole (up to [api] max_body) and handed to
 * api_dispatch() at the end, except for streaming routes (api.h, struct
 * api_stream; POST /v1/residents:import). For those, the first callback
 * (headers in, no body read yet) resolves the route, checks Content-Length
 * against [api] import_max_body (413), and has the router authenticate,
 * authorize and open the handler's stream; any refusal is queued right
 * there, so libmicrohttpd answers without reading the body (and without
 * "100 Continue"). Then every piece of the body goes from the upload
 * callback straight to the stream (chunked bodies too, counted against the
 * same limit), the final callback asks the stream for the answer, and the
 * completion callback frees the stream whatever happened (a client that
 * goes away mid-upload rolls the import back). The stream's work runs on
 * the connection's worker thread, between reads.
 *
 * Every request is judged on its head first (on_request's first call,
 * before any of the body is read or "100 Continue" sent): the raw
 * request-target (on_uri, api_target_check), head limits below
 * libmicrohttpd's own, Host, and then the caller (client certificate or
 * console session: api_authenticate_early); a refusal there is answered at
 * once and the body is never read. What libmicrohttpd refuses before
 * calling us is listed in docs/http-errors.md.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "api/metrics.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/conns.h"
#include "daemon/http.h"

/*
 * Default GnuTLS priorities: TLS 1.2 and 1.3 only, no legacy ciphers, no
 * SHA-1 signatures (neither in our handshake nor offered for the client's
 * CertificateVerify).
 */
#define DEFAULT_PRIORITIES \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:" \
	"+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-RSA:" \
	"+ECDHE-ECDSA:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:%SERVER_PRECEDENCE"
/*
 * No %COMPAT on any listener, although it would let a handshake with a
 * client certificate whose keyUsage lacks digitalSignature (the client CA's
 * own certificate, say) complete so that it could be answered with a 401:
 * it also drops TLS 1.2's extended master secret and tolerates malformed
 * records. GnuTLS ends such a handshake itself; api_client_cert_problem()
 * still checks keyUsage, extendedKeyUsage and basicConstraints for the
 * certificates GnuTLS lets through. docs/http-errors.md.
 */

/*
 * Our own limits on the request head, below what libmicrohttpd's buffer
 * ([api] connection_memory_limit) holds, so that a long URL or large
 * headers get our problem+json 414/431 (docs/http-errors.md); past the
 * buffer, libmicrohttpd answers with its own HTML.
 */
#define HEAD_MAX_TARGET		8192	/* request-target bytes, as sent */
#define HEAD_MAX_HEADERS	16384	/* sum of name + value + 4 per header */

struct listener_ctx {
	struct http_server	*srv;
	enum listener		 kind;
	struct MHD_Daemon	*d;
	struct conns		*conns;	/* head deadline, body rate, limits (conns.h) */
};

struct http_server {
	struct app		*app;
	size_t			 max_body;
	size_t			 stream_max_body;	/* streaming routes ([api] import_max_body) */
	struct listener_ctx	 api, status, console;	/* console.d NULL: not configured */
	char			*tls_cert, *tls_key, *client_ca;	/* PEM text, kept for MHD */
};

/*
 * Per-request state, from the URI callback (on_uri) or the first callback
 * to the completion callback.
 */
struct request {
	uint64_t	 start_us;
	int		 started;	/* on_request has seen the head */
	size_t		 target_len;	/* raw request-target, as sent */
	const char	*target_bad;	/* api_target_check(): "path", "query" or NULL */
	const char	*target_why;
	char		*body;
	size_t		 len, cap;
	int		 too_big;
	/* Streaming routes: req lives here from the first callback to the last. */
	int		 streaming;
	struct api_stream *stream;	/* NULL when refused before the body */
	unsigned long long streamed;	/* body bytes received */
	int		 stopped;	/* stream said stop, or too big: drop the rest */
	int		 answered;
	struct api_req	 req;
	struct api_resp	 resp;
	char		 remote[INET6_ADDRSTRLEN];
};

int
http_listen_socket(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[16];
	int p, fd = -1, one = 1, rc;

	if (config_split_listen(addr, host, sizeof(host), &p) != 0) {
		snprintf(err, errlen, "bad listen address '%s'", addr);
		return -1;
	}
	snprintf(port, sizeof(port), "%d", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
http_socket_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

static const char *
header_lookup(void *hctx, const char *name)
{
	return MHD_lookup_connection_value(hctx, MHD_HEADER_KIND, name);
}

static const char *
query_lookup(void *hctx, const char *name)
{
	return MHD_lookup_connection_value(hctx, MHD_GET_ARGUMENT_KIND, name);
}

static void
peer_address(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, len, "-");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, len);
}

/* The certificate's notAfter (real time), or 0 when GnuTLS cannot read it. */
static time_t
peer_not_after(const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	time_t t = 0;

	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS)
		t = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return t == (time_t)-1 ? 0 : t;
}

/*
 * Verify the peer's certificate chain against the client-CA bundle (the
 * trust libmicrohttpd was given) for the TLS client purpose, and map it to
 * a principal. libmicrohttpd only *requests* a certificate, so a handshake
 * without one succeeds: this check is what enforces it, on every request
 * (on its head: on_request). Returns 0, or -1 with resp set to 401/503.
 *
 * The chain and api_client_cert_problem() are checked once per connection
 * (issue 15: 14% of jpkid's CPU on kept-alive connections): the
 * connection's api_auth_cache remembers the SHA-256 of the certificate that
 * passed, so a request presenting another one (after a renegotiation)
 * is verified again, as is every request API_AUTH_REVERIFY_S after the
 * verification or once the certificate has expired. A refusal is never
 * cached. The registration (api_authenticate) is read on every request.
 */
static int
authenticate(struct api_req *req, struct api_resp *resp)
{
	struct MHD_Connection *conn = req->conn;
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	const gnutls_datum_t *peers;
	unsigned int status = 0, npeers = 0;
	const char *why = NULL;
	gnutls_datum_t pretty = { NULL, 0 };
	unsigned char md[32];
	time_t now;
	int rc;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || (s = ci->tls_session) == NULL) {
		why = "no TLS session";
		goto fail;
	}
	peers = gnutls_certificate_get_peers(s, &npeers);
	if (peers == NULL || npeers == 0) {
		why = "no client certificate";
		goto fail;
	}
	req->auth_cache = conns_auth_cache(conn);
	SHA256(peers[0].data, peers[0].size, md);
	now = time(NULL);
	if (api_auth_cache_verified(req->auth_cache, md, now))
		return api_authenticate(req, peers[0].data, peers[0].size, resp);
	rc = gnutls_certificate_verify_peers(s, &purpose, 1, &status);
	if (rc != GNUTLS_E_SUCCESS) {
		why = gnutls_strerror(rc);
		goto fail;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &pretty, 0) == 0)
			why = (const char *)pretty.data;
		else
			why = "certificate not trusted";
		goto fail;
	}
	if ((why = api_client_cert_problem(peers[0].data, peers[0].size)) != NULL)
		goto fail;
	api_auth_cache_store(req->auth_cache, md, now, peer_not_after(&peers[0]));
	return api_authenticate(req, peers[0].data, peers[0].size, resp);
fail:
	log_kv(LOG_LVL_WARN, "client certificate rejected", "request_id", req->request_id,
	    "remote", req->remote, "reason", why, (char *)NULL);
	api_problem(resp, 401, "unauthenticated", "Unauthorized", NULL, NULL,
	    "a valid client certificate issued by the jpkid client CA is required");
	gnutls_free(pretty.data);
	return -1;
}

static int
has_header(const struct api_resp *resp, const char *name)
{
	int i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return 1;
	return 0;
}

static const char *
listener_name(enum listener l)
{
	return l == LISTENER_API ? "api" : l == LISTENER_CONSOLE ? "console" : "status";
}

/* ---- dashboard ---- */
/* Content-Security-Policy of every console response (docs/operators.md). */
#define CONSOLE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
/* ---- end dashboard ---- */

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct api_req *req, struct api_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	int i;

	r = MHD_create_response_from_buffer(resp->body_len, resp->body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	resp->body = NULL;	/* now libmicrohttpd's */
	if (resp->content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	MHD_add_response_header(r, "X-Request-Id", req->request_id);
	if (req->listener != LISTENER_STATUS && !has_header(resp, "Cache-Control")) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	if (req->listener != LISTENER_STATUS)
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* ---- dashboard ---- */
	if (req->listener == LISTENER_CONSOLE) {
		/* The console is a browser's: only its own scripts, styles, fetches. */
		MHD_add_response_header(r, "Content-Security-Policy", CONSOLE_CSP);
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	}
	/* ---- end dashboard ---- */
	for (i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
log_request(struct api_req *req, struct api_resp *resp, uint64_t us)
{
	char status[8], ms[32], pid[32];

	snprintf(status, sizeof(status), "%d", resp->status);
	snprintf(ms, sizeof(ms), "%.3f", (double)us / 1000.0);
	snprintf(pid, sizeof(pid), "%lld", req->principal.id);
	log_kv(resp->status >= 500 ? LOG_LVL_WARN : LOG_LVL_INFO, "request",
	    "request_id", req->request_id,
	    "listener", listener_name(req->listener),
	    "remote", req->remote, "method", req->method, "path", req->path,
	    "route", resp->route, "status", status, "ms", ms,
	    "principal", api_principal_kind_name(req->principal.kind),
	    "principal_id", req->principal.kind ? pid : "-",
	    "municipality", req->principal.municipality_code[0] ?
	    req->principal.municipality_code : "-",
	    "problem", resp->problem ? resp->problem : "-",
	    "rule", resp->rule ? resp->rule : "-", (char *)NULL);
}

/* The api_req of a request, as every route sees it. */
static void
req_init(struct listener_ctx *lc, struct MHD_Connection *conn, const char *url,
    const char *method, struct request *rq)
{
	struct api_req *req = &rq->req;

	memset(req, 0, sizeof(*req));
	memset(&rq->resp, 0, sizeof(rq->resp));
	rq->resp.route = "unmatched";
	req->app = lc->srv->app;
	req->listener = lc->kind;
	req->method = method;
	req->path = url;
	req->header = header_lookup;
	req->query = query_lookup;
	req->hctx = conn;
	req->body = "";
	peer_address(conn, rq->remote, sizeof(rq->remote));
	req->remote = rq->remote;
	if (util_random_hex(8, req->request_id) != 0)
		snprintf(req->request_id, sizeof(req->request_id), "-");
	if (lc->kind == LISTENER_API) {
		req->authenticate = authenticate;
		req->conn = conn;
	} else if (lc->kind == LISTENER_CONSOLE) {
		req->authenticate = api_session_authenticate;	/* cookie, CSRF, Origin */
		req->conn = conn;
	}
}

/* Log, count and queue rq->resp. */
static enum MHD_Result
answer(struct MHD_Connection *conn, struct request *rq)
{
	enum MHD_Result ret;
	uint64_t us;

	us = clock_mono_us() - rq->start_us;
	metrics_observe(rq->req.app->metrics, rq->resp.route, rq->resp.status, us);
	log_request(&rq->req, &rq->resp, us);
	ret = send_response(conn, &rq->req, &rq->resp);
	api_resp_free(&rq->resp);
	rq->answered = 1;
	return ret;
}

static void
too_large(struct api_resp *resp, size_t limit)
{
	api_problem(resp, 413, "body-too-large", "Content Too Large", NULL, NULL,
	    "the request body exceeds %zu bytes", limit);
}

/*
 * First callback of a streaming route (headers in, nothing of the body
 * read): 413 on Content-Length, else authenticate and open the stream. A
 * refusal is answered at once; libmicrohttpd then reads no body.
 */
static enum MHD_Result
stream_start(struct listener_ctx *lc, struct MHD_Connection *conn, struct request *rq,
    const char *cl)
{
	rq->streaming = 1;
	if (cl != NULL && strtoull(cl, NULL, 10) > lc->srv->stream_max_body) {
		too_large(&rq->resp, lc->srv->stream_max_body);
		return answer(conn, rq);
	}
	if ((rq->stream = api_stream_open(&rq->req, &rq->resp)) == NULL)
		return answer(conn, rq);
	return MHD_YES;
}

/* A piece of a streaming route's body: straight to the stream. */
static void
stream_data(struct listener_ctx *lc, struct request *rq, const char *buf, size_t len)
{
	rq->streamed += len;
	if (rq->stopped)
		return;
	if (rq->streamed > lc->srv->stream_max_body) {	/* chunked, or a lying Content-Length */
		rq->stopped = rq->too_big = 1;
		return;
	}
	if (rq->stream->data(rq->stream, buf, len) != 0)
		rq->stopped = 1;
}

/*
 * libmicrohttpd's URI callback: the request line is in, the target still
 * as sent (before percent-decoding truncates it at a %00). Its return
 * value is the request's *con_cls.
 */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request *rq;

	(void)cls;
	(void)conn;
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->start_us = clock_mono_us();
	if (uri != NULL) {
		rq->target_len = strlen(uri);
		rq->target_bad = api_target_check(uri, &rq->target_why);
	}
	return rq;
}

struct head_count {
	size_t		 bytes;
	int		 hosts;
	const char	*host;
};

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct head_count *hc = cls;

	(void)kind;
	hc->bytes += strlen(key) + (value != NULL ? strlen(value) : 0) + 4;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		hc->hosts++;
		hc->host = value;
	}
	return MHD_YES;
}

/*
 * The head's own refusals, before authentication (docs/http-errors.md):
 * 414 target over HEAD_MAX_TARGET, 431 headers over HEAD_MAX_HEADERS, 400
 * for a bad request-target (api_target_check) and for a missing, empty or
 * repeated Host (RFC 9112 3.2; HTTP/1.0 may omit it). 1 with rq->resp set.
 */
static int
head_refused(struct MHD_Connection *conn, const char *version, struct request *rq)
{
	struct head_count hc = { 0, 0, NULL };
	struct api_resp *resp = &rq->resp;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &hc);
	if (rq->target_len > HEAD_MAX_TARGET)
		api_problem(resp, 414, "uri-too-long", "URI Too Long", NULL, NULL,
		    "the request-target exceeds %d bytes", HEAD_MAX_TARGET);
	else if (hc.bytes > HEAD_MAX_HEADERS)
		api_problem(resp, 431, "headers-too-large", "Request Header Fields Too Large",
		    NULL, NULL, "the request headers exceed %d bytes", HEAD_MAX_HEADERS);
	else if (rq->target_bad != NULL)
		api_problem(resp, 400, strcmp(rq->target_bad, "query") == 0 ?
		    "invalid-query" : "invalid-path", "Bad Request", NULL,
		    json_pack("{s:s}", rq->target_bad, rq->target_why),
		    "the request %s %s", rq->target_bad, rq->target_why);
	else if (hc.hosts > 1 || (hc.hosts == 1 && hc.host[0] == '\0') ||
	    (hc.hosts == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0))
		api_problem(resp, 400, "invalid-host", "Bad Request", NULL,
		    json_pack("{s:s}", "Host", "exactly one, not empty"),
		    "an HTTP/1.1 request needs exactly one Host header");
	else
		return 0;
	return 1;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **con_cls)
{
	struct listener_ctx *lc = cls;
	struct request *rq = *con_cls;

	if (rq == NULL) {	/* no URI callback (out of memory there) */
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->start_us = clock_mono_us();
		*con_cls = rq;
	}
	if (!rq->started) {	/* the head is in, none of the body */
		const char *cl;

		rq->started = 1;
		req_init(lc, conn, url, method, rq);
		if (head_refused(conn, version, rq))
			return answer(conn, rq);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (lc->kind == LISTENER_API && api_route_streams(&rq->req, &rq->resp))
			return stream_start(lc, conn, rq, cl);
		/* Who is calling, before a byte of the body is read (or "100 Continue"). */
		if (api_authenticate_early(&rq->req, &rq->resp) != 0)
			return answer(conn, rq);
		if (cl != NULL && strtoull(cl, NULL, 10) > lc->srv->max_body) {
			/* Refused at once (headers in, no body read, no 100 Continue). */
			too_large(&rq->resp, lc->srv->max_body);
			return answer(conn, rq);
		}
		return MHD_YES;
	}
	if (rq->answered) {		/* answered early: nothing more to do */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (rq->streaming) {
			stream_data(lc, rq, upload, *upload_size);
			*upload_size = 0;
			return MHD_YES;
		}
		if (!rq->too_big && rq->len + *upload_size > lc->srv->max_body)
			rq->too_big = 1;
		if (!rq->too_big) {
			if (rq->len + *upload_size + 1 > rq->cap) {
				size_t ncap = (rq->len + *upload_size + 1) * 2;
				char *nb;

				if (ncap > lc->srv->max_body + 1)
					ncap = lc->srv->max_body + 1;
				if ((nb = realloc(rq->body, ncap)) == NULL)
					return MHD_NO;
				rq->body = nb;
				rq->cap = ncap;
			}
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			rq->body[rq->len] = '\0';
		}
		*upload_size = 0;	/* consumed (or discarded, when too big) */
		return MHD_YES;
	}

	/* The whole request is in. */
	if (rq->streaming) {
		if (rq->too_big)
			too_large(&rq->resp, lc->srv->stream_max_body);
		else
			rq->stream->finish(rq->stream, &rq->resp);
		return answer(conn, rq);
	}
	rq->req.body = rq->body != NULL ? rq->body : "";
	rq->req.body_len = rq->len;
	if (rq->too_big)
		too_large(&rq->resp, lc->srv->max_body);
	else
		api_dispatch(&rq->req, &rq->resp);
	return answer(conn, rq);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	if (rq == NULL)
		return;
	if (rq->streaming && !rq->answered)
		log_kv(LOG_LVL_WARN, "request ended before an answer", "request_id",
		    rq->req.request_id, "remote", rq->remote, "path", rq->req.path,
		    "route", rq->resp.route, "reason",
		    toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout" :
		    toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client went away" : "error",
		    (char *)NULL);
	if (rq->stream != NULL)
		rq->stream->free(rq->stream);	/* rolls back what was not committed */
	api_resp_free(&rq->resp);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

/*
 * conns.c sees each request's head arrive, its body pieces and its end:
 * the head deadline and the minimum body rate (docs/network.md).
 */
static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **con_cls)
{
	const struct request *rq = *con_cls;

	/* on_uri made *con_cls already: the first call is the one not started. */
	conns_on_access(conn, rq == NULL || !rq->started, *upload_size);
	return on_request(cls, conn, url, method, version, upload, upload_size, con_cls);
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	conns_on_completed(conn);
	on_completed(cls, conn, con_cls, toe);
}

/* The connection limits of a listener (per-listener config keys). */
static void
listener_limits(enum listener kind, const struct config *cfg, struct conns_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	if (kind == LISTENER_STATUS) {
		lim->connection_limit = (unsigned int)cfg->status_connection_limit;
		lim->per_address_limit = (unsigned int)cfg->status_per_ip_connection_limit;
	} else if (kind == LISTENER_CONSOLE) {
		lim->connection_limit = (unsigned int)cfg->console_connection_limit;
		lim->per_address_limit = (unsigned int)cfg->console_per_ip_connection_limit;
	} else {
		lim->connection_limit = (unsigned int)cfg->connection_limit;
		lim->per_address_limit = (unsigned int)cfg->per_ip_connection_limit;
	}
	lim->head_timeout_ms = (unsigned int)cfg->head_timeout_s * 1000u;
	lim->min_body_rate = (unsigned int)cfg->min_body_rate;
	lim->body_rate_window_ms = (unsigned int)cfg->body_rate_window_s * 1000u;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	util_rstrip(buf);
	log_kv(LOG_LVL_WARN, "libmicrohttpd", "detail", buf, (char *)NULL);
}

/*
 * tls: 0 plain HTTP (status), 1 HTTPS asking for a client certificate (API),
 * 2 HTTPS without one (console: operators log in with a password and TOTP).
 */
static struct MHD_Daemon *
start_one(struct listener_ctx *lc, const struct config *cfg, int fd, int tls)
{
	struct http_server *srv = lc->srv;
	struct conns_limits lim;
	/* Single-pointer options take ptr_value (libmicrohttpd's MHD_OptionItem). */
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, cfg->tls_priorities ? cfg->tls_priorities :
		  DEFAULT_PRIORITIES },
		{ tls == 1 ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, srv->client_ca },
		{ MHD_OPTION_END, 0, NULL },
	};

	listener_limits(lc->kind, cfg, &lim);
	if ((lc->conns = conns_new(listener_name(lc->kind), &lim)) == NULL)
		return NULL;
	/*
	 * Epoll with a thread pool: each worker waits on its own epoll set, so a
	 * connection waiting for bytes costs no thread. The limits are conns.c's
	 * (accept policy: eviction of the oldest waiting connection); libmicrohttpd's
	 * own limit only bounds the table, with room for connections being closed.
	 */
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ITC | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0), 0,
	    conns_accept_policy, lc->conns,
	    on_access, lc,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, lc,	/* first, or MHD warns */
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
	    MHD_OPTION_CONNECTION_LIMIT, conns_capacity(lc->conns),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->connection_timeout_s,
	    MHD_OPTION_NOTIFY_CONNECTION, conns_notify, lc->conns,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, lc,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, lc,	/* the raw target: on_uri */
	    MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 4,	/* tls_opts + 4: END only */
	    MHD_OPTION_END);
}

static void
free_tls(struct http_server *srv)
{
	if (srv->tls_key != NULL) {
		OPENSSL_cleanse(srv->tls_key, strlen(srv->tls_key));
		free(srv->tls_key);
	}
	free(srv->tls_cert);
	free(srv->client_ca);
}

/* Enough descriptors for every listener's connections (a soft limit of 1024 is common). */
static void
raise_nofile(const struct config *cfg, int console)
{
	unsigned long want, got;
	char w[24], g[24];

	/* conns.c's capacity per listener (2 x limit + 64) and room for the rest. */
	want = 2ul * (unsigned long)cfg->connection_limit + 2ul *
	    (unsigned long)cfg->status_connection_limit + 256ul + 3ul * 64ul;
	if (console)
		want += 2ul * (unsigned long)cfg->console_connection_limit;
	if ((got = conns_raise_nofile(want)) >= want)
		return;
	snprintf(w, sizeof(w), "%lu", want);
	snprintf(g, sizeof(g), "%lu", got);
	log_kv(LOG_LVL_WARN, "too few file descriptors for the connection limits "
	    "(raise LimitNOFILE)", "want", w, "have", g, (char *)NULL);
}

struct http_server *
http_start(struct app *app, const struct config *cfg, int api_fd, int status_fd,
    int console_fd, char *err, size_t errlen)
{
	struct http_server *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail_fds;
	}
	srv->app = app;
	srv->max_body = cfg->max_body;
	srv->stream_max_body = cfg->import_max_body;
	if ((srv->tls_cert = util_read_file(cfg->tls_cert, NULL)) == NULL) {
		snprintf(err, errlen, "%s: cannot read TLS certificate", cfg->tls_cert);
		goto fail;
	}
	if ((srv->tls_key = util_read_file(cfg->tls_key, NULL)) == NULL) {
		snprintf(err, errlen, "%s: cannot read TLS key", cfg->tls_key);
		goto fail;
	}
	if ((srv->client_ca = util_read_file(cfg->client_ca, NULL)) == NULL) {
		snprintf(err, errlen, "%s: cannot read client CA bundle", cfg->client_ca);
		goto fail;
	}
	srv->api.srv = srv->status.srv = srv->console.srv = srv;
	srv->api.kind = LISTENER_API;
	srv->status.kind = LISTENER_STATUS;
	srv->console.kind = LISTENER_CONSOLE;
	raise_nofile(cfg, console_fd >= 0);
	if ((srv->api.d = start_one(&srv->api, cfg, api_fd, 1)) == NULL) {
		snprintf(err, errlen, "cannot start the HTTPS API listener "
		    "(check [api] tls_cert, tls_key, client_ca, tls_priorities)");
		goto fail;
	}
	api_fd = -1;
	if ((srv->status.d = start_one(&srv->status, cfg, status_fd, 0)) == NULL) {
		snprintf(err, errlen, "cannot start the status listener");
		goto fail;
	}
	status_fd = -1;
	if (console_fd >= 0 && (srv->console.d = start_one(&srv->console, cfg, console_fd, 2)) == NULL) {
		snprintf(err, errlen, "cannot start the HTTPS console listener");
		goto fail;
	}
	return srv;
fail:
	http_stop(srv);
	srv = NULL;
fail_fds:
	if (api_fd >= 0)
		close(api_fd);
	if (status_fd >= 0)
		close(status_fd);
	if (console_fd >= 0)
		close(console_fd);	/* never started: the last one (fail) or not reached */
	return NULL;
}

void
http_quiesce(struct http_server *srv)
{
	MHD_socket fd;

	if (srv->api.d != NULL && (fd = MHD_quiesce_daemon(srv->api.d)) != MHD_INVALID_SOCKET)
		close(fd);
	if (srv->status.d != NULL &&
	    (fd = MHD_quiesce_daemon(srv->status.d)) != MHD_INVALID_SOCKET)
		close(fd);
	if (srv->console.d != NULL &&
	    (fd = MHD_quiesce_daemon(srv->console.d)) != MHD_INVALID_SOCKET)
		close(fd);
}

static unsigned int
conns(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di;

	if (d == NULL)
		return 0;
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di != NULL ? di->num_connections : 0;
}

unsigned int
http_connections(struct http_server *srv)
{
	return conns(srv->api.d) + conns(srv->status.d) + conns(srv->console.d);
}

void
http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	/* Sweepers first: then only libmicrohttpd touches the sockets. */
	conns_stop(srv->api.conns);
	conns_stop(srv->status.conns);
	conns_stop(srv->console.conns);
	if (srv->api.d != NULL)
		MHD_stop_daemon(srv->api.d);
	if (srv->status.d != NULL)
		MHD_stop_daemon(srv->status.d);
	if (srv->console.d != NULL)
		MHD_stop_daemon(srv->console.d);
	conns_free(srv->api.conns);
	conns_free(srv->status.conns);
	conns_free(srv->console.conns);
	free_tls(srv);
	free(srv);
}
