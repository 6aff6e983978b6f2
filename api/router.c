/*
 * router: the table of routes. A route names its listener(s), method,
 * path pattern ({name} matches one non-empty segment), the principal kinds
 * it admits, and its handler. The router resolves the route, has the HTTP
 * layer authenticate every API request (req->authenticate), then checks the
 * principal kind (403 otherwise), answers 405 with Allow for a known path
 * with another method, and 404 otherwise. A streaming route (streaming[])
 * is resolved, authenticated and opened by the HTTP layer before its body
 * is read (api_route_streams, api_stream_open). A JSON route's non-empty
 * body must be declared application/json (415). The request-target itself
 * is checked before any of this (api_target_check: control bytes, bad
 * escapes, a path that is not UTF-8 are a 400; docs/http-errors.md).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "ca/charset.h"
#include "common/util.h"

/* The API and the console listener: every operator route is on both. */
#define LISTENER_OPS (LISTENER_API | LISTENER_CONSOLE)
/* Health and readiness: the status listener, and the console for the dashboard. */
#define LISTENER_PROBES (LISTENER_STATUS | LISTENER_CONSOLE)

struct route {
	int			 listeners;	/* mask of enum listener */
	const char		*method;
	const char		*pattern;
	int			 principals;	/* mask of enum principal_kind; 0 = no principal needed */
	/*
	 * The least operator role (viewer < officer < admin) an operator
	 * needs for this route; NULL where no operator may call it. This column
	 * is the one place operator roles are checked (a 403 names the role).
	 */
	const char		*min_role;
	void			(*handler)(struct api_req *, struct api_resp *);
	const char		*name;		/* metrics label */
};

static const struct route routes[] = {
	{ LISTENER_PROBES, "GET", "/healthz", 0,
	    NULL, api_healthz, "healthz" },
	{ LISTENER_PROBES, "GET", "/readyz", 0,
	    NULL, api_readyz, "readyz" },
	{ LISTENER_STATUS, "GET", "/metrics", 0,
	    NULL, api_metrics, "metrics" },
	{ LISTENER_OPS, "GET", "/v1/whoami", PRINCIPAL_ANY,
	    "viewer", api_whoami, "whoami" },
	{ LISTENER_API, "GET", "/v1/municipality", PRINCIPAL_TERMINAL,
	    NULL, api_municipality, "municipality" },
	{ LISTENER_API, "GET", "/v1/residents/{resident_code}", PRINCIPAL_TERMINAL,
	    NULL, api_resident_get, "resident_get" },
	{ LISTENER_API, "POST", "/v1/applications", PRINCIPAL_TERMINAL,
	    NULL, api_application_create, "application_create" },
	{ LISTENER_API, "POST", "/v1/applications/{id}/inquiry-answer", PRINCIPAL_TERMINAL,
	    NULL, api_inquiry_answer, "inquiry_answer" },
	{ LISTENER_API, "POST", "/v1/applications/{id}/certificates", PRINCIPAL_TERMINAL,
	    NULL, api_certificate_issue, "certificate_issue" },
	{ LISTENER_API, "PUT", "/v1/residents/{resident_code}", PRINCIPAL_REGISTER_FEED,
	    NULL, api_feed_resident_put, "resident_put" },
	{ LISTENER_API, "PUT", "/v1/cards/{card_number}", PRINCIPAL_REGISTER_FEED,
	    NULL, api_feed_card_put, "card_put" },
	{ LISTENER_API, "POST", "/v1/residents:import", PRINCIPAL_REGISTER_FEED,
	    NULL, api_import, "residents_import" },
	/* ---- revocation ---- */
	{ LISTENER_OPS, "GET", "/v1/certificates/{serial}", PRINCIPAL_TERMINAL | PRINCIPAL_OPERATOR,
	    "viewer", api_certificate_get, "certificate_get" },
	{ LISTENER_OPS, "POST", "/v1/certificates/{serial}/revoke",
	    PRINCIPAL_TERMINAL | PRINCIPAL_OPERATOR, "officer", api_certificate_revoke, "certificate_revoke" },
	{ LISTENER_OPS, "POST", "/v1/cards/{card_number}/events",
	    PRINCIPAL_TERMINAL | PRINCIPAL_REGISTER_FEED | PRINCIPAL_OPERATOR, "officer", api_card_event, "card_event" },
	/* ---- end revocation ---- */
	/* ---- relying parties ---- */
	{ LISTENER_OPS, "POST", "/v1/relying-parties", PRINCIPAL_OPERATOR,
	    "admin", api_rp_create, "relying_party_create" },
	{ LISTENER_OPS, "GET", "/v1/relying-parties", PRINCIPAL_OPERATOR,
	    "viewer", api_rp_list, "relying_party_list" },
	{ LISTENER_OPS, "GET", "/v1/relying-parties/{id}", PRINCIPAL_OPERATOR,
	    "viewer", api_rp_get, "relying_party_get" },
	{ LISTENER_OPS, "PATCH", "/v1/relying-parties/{id}", PRINCIPAL_OPERATOR,
	    "admin", api_rp_patch, "relying_party_patch" },
	{ LISTENER_OPS, "GET", "/v1/relying-parties/{id}/usage", PRINCIPAL_OPERATOR,
	    "viewer", api_rp_usage, "relying_party_usage" },
	/* ---- end relying parties ---- */
	/* ---- OCSP ---- */
	{ LISTENER_STATUS, "POST", "/ocsp", 0,
	    NULL, api_ocsp_post, "ocsp_post" },
	{ LISTENER_STATUS, "GET", "/ocsp/{request*}", 0,
	    NULL, api_ocsp_get, "ocsp_get" },
	{ LISTENER_API, "POST", "/ocsp", PRINCIPAL_RELYING_PARTY | PRINCIPAL_OPERATOR,
	    "viewer", api_ocsp_post, "ocsp_post" },
	{ LISTENER_API, "GET", "/ocsp/{request*}", PRINCIPAL_RELYING_PARTY | PRINCIPAL_OPERATOR,
	    "viewer", api_ocsp_get, "ocsp_get" },
	/* ---- end OCSP ---- */
	/* ---- CRLs ---- */
	{ LISTENER_STATUS, "GET", "/crl/{type}/{file}", 0,
	    NULL, api_crl_get, "crl_get" },
	{ LISTENER_OPS, "GET", "/crl/{type}/{file}", PRINCIPAL_RELYING_PARTY | PRINCIPAL_OPERATOR,
	    "viewer", api_crl_get, "crl_get" },
	{ LISTENER_STATUS, "GET", "/ca/{file}", 0,
	    NULL, api_ca_cert_get, "ca_cert_get" },
	{ LISTENER_OPS, "POST", "/v1/crls/publish", PRINCIPAL_OPERATOR,
	    "officer", api_crls_publish, "crls_publish" },
	{ LISTENER_OPS, "GET", "/v1/crls", PRINCIPAL_OPERATOR,
	    "viewer", api_crls_list, "crls_list" },
	/* ---- end CRLs ---- */
	/* ---- pin resets ---- */
	{ LISTENER_API, "GET", "/v1/pin-resets/challenge", PRINCIPAL_KIOSK,
	    NULL, api_pin_reset_challenge, "pin_reset_challenge" },
	{ LISTENER_API, "POST", "/v1/pin-resets", PRINCIPAL_TERMINAL | PRINCIPAL_KIOSK,
	    NULL, api_pin_reset_create, "pin_reset_create" },
	{ LISTENER_API, "POST", "/v1/pin-resets/{id}/complete", PRINCIPAL_TERMINAL | PRINCIPAL_KIOSK,
	    NULL, api_pin_reset_complete, "pin_reset_complete" },
	{ LISTENER_API, "POST", "/v1/cards/{card_number}/pin-changes", PRINCIPAL_TERMINAL | PRINCIPAL_KIOSK,
	    NULL, api_pin_change, "pin_change" },
	/* ---- end pin resets ---- */
	/* ---- suspensions notices ---- */
	{ LISTENER_OPS, "GET", "/v1/suspensions", PRINCIPAL_OPERATOR | PRINCIPAL_TERMINAL,
	    "viewer", api_suspension_list, "suspension_list" },
	{ LISTENER_OPS, "POST", "/v1/suspensions", PRINCIPAL_OPERATOR,
	    "officer", api_suspension_create, "suspension_create" },
	{ LISTENER_OPS, "DELETE", "/v1/suspensions/{id}", PRINCIPAL_OPERATOR,
	    "officer", api_suspension_cancel, "suspension_cancel" },
	{ LISTENER_OPS, "GET", "/v1/municipalities/{code}/hours", PRINCIPAL_OPERATOR,
	    "viewer", api_hours_get, "hours_get" },
	{ LISTENER_OPS, "PUT", "/v1/municipalities/{code}/hours", PRINCIPAL_OPERATOR,
	    "officer", api_hours_put, "hours_put" },
	{ LISTENER_OPS, "GET", "/v1/holidays", PRINCIPAL_OPERATOR,
	    "viewer", api_holiday_list, "holiday_list" },
	{ LISTENER_OPS, "PUT", "/v1/holidays/{day}", PRINCIPAL_OPERATOR,
	    "officer", api_holiday_put, "holiday_put" },
	{ LISTENER_OPS, "DELETE", "/v1/holidays/{day}", PRINCIPAL_OPERATOR,
	    "officer", api_holiday_delete, "holiday_delete" },
	{ LISTENER_OPS, "POST", "/v1/notices/run", PRINCIPAL_OPERATOR,
	    "officer", api_notices_run, "notices_run" },
	{ LISTENER_OPS, "GET", "/v1/notices", PRINCIPAL_OPERATOR | PRINCIPAL_TERMINAL,
	    "viewer", api_notices_get, "notices_get" },
	/* ---- end suspensions notices ---- */
	/* ---- operators: sessions ---- */
	{ LISTENER_CONSOLE, "POST", "/v1/session", 0,
	    NULL, api_session_create, "session_create" },
	{ LISTENER_CONSOLE, "GET", "/v1/session", PRINCIPAL_OPERATOR,
	    "viewer", api_session_get, "session_get" },
	{ LISTENER_CONSOLE, "DELETE", "/v1/session", PRINCIPAL_OPERATOR,
	    "viewer", api_session_delete, "session_delete" },
	/* ---- end operators: sessions ---- */

	/* ---- operators: audit ---- */
	{ LISTENER_OPS, "GET", "/v1/audit", PRINCIPAL_OPERATOR,
	    "viewer", api_audit_list, "audit_list" },
	{ LISTENER_OPS, "GET", "/v1/audit/verify", PRINCIPAL_OPERATOR,
	    "viewer", api_audit_verify, "audit_verify" },
	/* ---- end operators: audit ---- */

	/* ---- operators: stats ---- */
	{ LISTENER_OPS, "GET", "/v1/stats", PRINCIPAL_OPERATOR,
	    "viewer", api_stats, "stats" },
	/* ---- end operators: stats ---- */

	/* ---- operators: management ---- */
	{ LISTENER_OPS, "GET", "/v1/terminals", PRINCIPAL_OPERATOR,
	    "viewer", api_terminal_list, "terminal_list" },
	{ LISTENER_OPS, "POST", "/v1/terminals", PRINCIPAL_OPERATOR,
	    "admin", api_terminal_create, "terminal_create" },
	{ LISTENER_OPS, "GET", "/v1/terminals/{id}", PRINCIPAL_OPERATOR,
	    "viewer", api_terminal_get, "terminal_get" },
	{ LISTENER_OPS, "PATCH", "/v1/terminals/{id}", PRINCIPAL_OPERATOR,
	    "admin", api_terminal_patch, "terminal_patch" },
	{ LISTENER_OPS, "GET", "/v1/register-feeds", PRINCIPAL_OPERATOR,
	    "viewer", api_register_feed_list, "register_feed_list" },
	{ LISTENER_OPS, "POST", "/v1/register-feeds", PRINCIPAL_OPERATOR,
	    "admin", api_register_feed_create, "register_feed_create" },
	{ LISTENER_OPS, "GET", "/v1/register-feeds/{id}", PRINCIPAL_OPERATOR,
	    "viewer", api_register_feed_get, "register_feed_get" },
	{ LISTENER_OPS, "PATCH", "/v1/register-feeds/{id}", PRINCIPAL_OPERATOR,
	    "admin", api_register_feed_patch, "register_feed_patch" },
	{ LISTENER_OPS, "GET", "/v1/kiosks", PRINCIPAL_OPERATOR,
	    "viewer", api_kiosk_list, "kiosk_list" },
	{ LISTENER_OPS, "POST", "/v1/kiosks", PRINCIPAL_OPERATOR,
	    "admin", api_kiosk_create, "kiosk_create" },
	{ LISTENER_OPS, "GET", "/v1/kiosks/{id}", PRINCIPAL_OPERATOR,
	    "viewer", api_kiosk_get, "kiosk_get" },
	{ LISTENER_OPS, "PATCH", "/v1/kiosks/{id}", PRINCIPAL_OPERATOR,
	    "admin", api_kiosk_patch, "kiosk_patch" },
	{ LISTENER_OPS, "GET", "/v1/operators", PRINCIPAL_OPERATOR,
	    "admin", api_operator_list, "operator_list" },
	{ LISTENER_OPS, "POST", "/v1/operators", PRINCIPAL_OPERATOR,
	    "admin", api_operator_create, "operator_create" },
	{ LISTENER_OPS, "GET", "/v1/operators/{id}", PRINCIPAL_OPERATOR,
	    "admin", api_operator_get, "operator_get" },
	{ LISTENER_OPS, "PATCH", "/v1/operators/{id}", PRINCIPAL_OPERATOR,
	    "admin", api_operator_patch, "operator_patch" },
	{ LISTENER_OPS, "POST", "/v1/operators/{id}/totp", PRINCIPAL_OPERATOR,
	    "admin", api_operator_totp, "operator_totp" },
	{ LISTENER_OPS, "GET", "/v1/certificates", PRINCIPAL_OPERATOR,
	    "viewer", api_certificate_search, "certificate_search" },
	{ LISTENER_OPS, "GET", "/v1/applications/{id}", PRINCIPAL_TERMINAL | PRINCIPAL_OPERATOR,
	    "viewer", api_application_get, "application_get" },
	/* ---- end operators: management ---- */

	/* ---- dashboard ---- */
	{ LISTENER_CONSOLE, "GET", "/", 0,
	    NULL, api_dashboard_root, "dashboard" },
	{ LISTENER_CONSOLE, "GET", "/dashboard", 0,
	    NULL, api_dashboard_slash, "dashboard" },
	{ LISTENER_CONSOLE, "GET", "/dashboard/", 0,
	    NULL, api_dashboard_index, "dashboard" },
	{ LISTENER_CONSOLE, "GET", "/dashboard/a/{id}/{path*}", 0,
	    NULL, api_dashboard_asset, "dashboard" },
	/* ---- end dashboard ---- */
};

/*
 * Streaming routes (api.h, struct api_stream): the HTTP layer feeds their
 * body as it arrives; handler is the buffered form api_dispatch() runs.
 */
static const struct {
	void			(*handler)(struct api_req *, struct api_resp *);
	api_stream_open_fn	 open;
} streaming[] = {
	{ api_import, api_import_open },
};

/*
 * Match path against pattern, collecting {params}. Returns 1 on a match.
 * The path arrives percent-decoded from libmicrohttpd; a {param} never
 * spans a '/'. A catch-all {name*}, last in a pattern, matches the rest of
 * the path, '/' included (one or more characters: an RFC 5019 base64
 * request); it is not copied into params (it may be longer than one):
 * the handler reads it from req->path after the pattern's fixed prefix.
 */
static int
match(const char *pattern, const char *path, struct api_req *req)
{
	const char *p = pattern, *s = path;
	int n = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			const char *pe = strchr(p, '}'), *se = strchr(s, '/');
			size_t len;

			if (pe == NULL)
				return 0;
			/* ---- OCSP ---- */
			if (pe > p + 1 && pe[-1] == '*' && pe[1] == '\0') {
				req->nparams = n;	/* catch-all: the rest, non-empty here */
				return 1;
			}
			/* ---- end OCSP ---- */
			len = se != NULL ? (size_t)(se - s) : strlen(s);
			if (len == 0 || len >= sizeof(req->params[0]) || n >= API_MAX_PARAMS)
				return 0;
			memcpy(req->params[n], s, len);
			req->params[n][len] = '\0';
			n++;
			p = pe + 1;
			s += len;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	req->nparams = n;
	return 1;
}

/*
 * The role column: an operator needs at least the route's min_role. 1 when
 * allowed, else 0 with resp set to 403 naming the role.
 */
static int
role_allows(const struct route *r, struct api_req *req, struct api_resp *resp)
{
	if (req->principal.kind != PRINCIPAL_OPERATOR)
		return 1;
	if (r->min_role != NULL &&
	    api_role_rank(req->principal.role) >= api_role_rank(r->min_role))
		return 1;
	api_forbidden_role(req, resp, r->min_role != NULL ? r->min_role : "admin");
	return 0;
}

/*
 * The route of req (listener, method, path), or NULL; allow (may be NULL)
 * collects the methods of the routes matching the path with another method.
 * Sets resp->route, req->route_principals and req->route_mutates.
 */
static const struct route *
resolve(struct api_req *req, struct api_resp *resp, char *allow, size_t allowlen)
{
	const struct route *r, *found = NULL;
	size_t i;

	resp->route = "unmatched";
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		r = &routes[i];
		if ((r->listeners & req->listener) == 0 || !match(r->pattern, req->path, req))
			continue;
		if (strcmp(r->method, req->method) == 0) {
			found = r;
			resp->route = r->name;
			break;
		}
		if (allow != NULL && strstr(allow, r->method) == NULL)
			snprintf(allow + strlen(allow), allowlen - strlen(allow),
			    "%s%s", allow[0] ? ", " : "", r->method);
	}
	req->route_principals = found != NULL ? found->principals : -1;
	req->route_mutates = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
	return found;
}

int
api_authenticate_early(struct api_req *req, struct api_resp *resp)
{
	if (req->authenticate == NULL)
		return 0;
	(void)resolve(req, resp, NULL, 0);
	if (req->authenticate(req, resp) != 0)
		return -1;
	req->authenticate = NULL;	/* done: api_dispatch() does not ask again */
	return 0;
}

/*
 * Routes whose request body is not JSON: they check their own media type
 * (application/ocsp-request, application/x-ndjson).
 */
static int
body_is_json(const struct route *r)
{
	if (strcmp(r->method, "POST") != 0 && strcmp(r->method, "PUT") != 0 &&
	    strcmp(r->method, "PATCH") != 0)
		return 0;
	return r->handler != api_ocsp_post && r->handler != api_import;
}

int
api_media_type_is(const char *value, const char *type)
{
	size_t n = strlen(type);

	if (value == NULL)
		return 0;
	value += strspn(value, " \t");
	if (strncasecmp(value, type, n) != 0)
		return 0;
	value += n;
	value += strspn(value, " \t");
	return *value == '\0' || *value == ';';
}

const char *
api_target_check(const char *target, const char **why)
{
	const unsigned char *s = (const unsigned char *)target;
	char *path;
	size_t n = 0;
	int query = 0, bad = 0;

	*why = NULL;
	if ((path = malloc(strlen(target) + 1)) == NULL) {
		*why = "out of memory";
		return "path";
	}
	for (; *s != '\0' && !bad; s++) {
		int c = *s;

		if (c == '?' && !query) {
			query = 1;
			continue;
		}
		if (c == '%') {
			int hi = util_hexval(s[1]), lo = hi < 0 ? -1 : util_hexval(s[2]);

			if (hi < 0 || lo < 0) {
				*why = "a % must be followed by two hexadecimal digits";
				bad = 1;
				break;
			}
			c = hi * 16 + lo;
			s += 2;
		} else if (c == ' ') {
			*why = "must not contain spaces";
			bad = 1;
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "must not contain control characters (%00-%1F, %7F), "
			    "encoded or not";
			bad = 1;
			break;
		}
		if (!query)
			path[n++] = (char)c;
	}
	path[n] = '\0';
	if (!bad && charset_utf8_len(path) < 0) {
		*why = "must be UTF-8 once percent-decoded";
		bad = 1;
	}
	free(path);
	return !bad ? NULL : query ? "query" : "path";
}

void
api_dispatch(struct api_req *req, struct api_resp *resp)
{
	char allow[64] = "";
	const struct route *found;
	const char *ct;

	found = resolve(req, resp, allow, sizeof(allow));
	/*
	 * Every API request is authenticated, even one for a missing route
	 * (the HTTP layer usually did it already, on the request head:
	 * api_authenticate_early() leaves req->authenticate NULL).
	 */
	if (req->authenticate != NULL && req->authenticate(req, resp) != 0)
		return;
	if (found == NULL && allow[0] != '\0') {
		api_problem(resp, 405, "method-not-allowed", "Method Not Allowed", NULL, NULL,
		    "%s is not allowed here", req->method);
		api_add_header(resp, "Allow", "%s", allow);
		return;
	}
	if (found == NULL) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such resource");
		return;
	}
	if (found->principals != 0 && (found->principals & req->principal.kind) == 0) {
		api_problem(resp, 403, "forbidden", "Forbidden", NULL, NULL,
		    "a %s may not call %s %s",
		    api_principal_kind_name(req->principal.kind), found->method, found->pattern);
		return;
	}
	if (!role_allows(found, req, resp))
		return;
	/* A JSON body must say so; an empty one is the handler's to judge. */
	ct = req->header != NULL ? req->header(req->hctx, "Content-Type") : NULL;
	if (body_is_json(found) && req->body_len > 0 &&
	    !api_media_type_is(ct, "application/json")) {
		api_problem(resp, 415, "unsupported-media-type", "Unsupported Media Type", NULL,
		    json_pack("{s:s}", "Content-Type", "must be application/json"),
		    "the body of %s %s must be application/json, not %s", found->method,
		    found->pattern, ct != NULL ? ct : "undeclared");
		return;
	}
	found->handler(req, resp);
}

void
api_stream_buffered(api_stream_open_fn open, struct api_req *req, struct api_resp *resp)
{
	struct api_stream *s;

	if ((s = open(req, resp)) == NULL)
		return;
	if (req->body_len > 0)
		(void)s->data(s, req->body, req->body_len);	/* -1: finish() answers */
	s->finish(s, resp);
	s->free(s);
}

/* The route matching req exactly (listener, method, path), or NULL. */
static const struct route *
route_exact(struct api_req *req)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if ((routes[i].listeners & req->listener) != 0 &&
		    strcmp(routes[i].method, req->method) == 0 &&
		    match(routes[i].pattern, req->path, req))
			return &routes[i];
	return NULL;
}

/* The open function of a streaming route, or NULL. */
static api_stream_open_fn
stream_open_of(const struct route *r)
{
	size_t i;

	for (i = 0; r != NULL && i < sizeof(streaming) / sizeof(streaming[0]); i++)
		if (streaming[i].handler == r->handler)
			return streaming[i].open;
	return NULL;
}

int
api_route_streams(struct api_req *req, struct api_resp *resp)
{
	const struct route *r = route_exact(req);

	if (stream_open_of(r) == NULL)
		return 0;
	resp->route = r->name;
	return 1;
}

struct api_stream *
api_stream_open(struct api_req *req, struct api_resp *resp)
{
	const struct route *r = route_exact(req);
	api_stream_open_fn open = stream_open_of(r);

	if (open == NULL)
		abort();	/* the caller asked api_route_streams() first */
	resp->route = r->name;
	req->route_principals = r->principals;
	req->route_mutates = 1;
	if (req->authenticate != NULL && req->authenticate(req, resp) != 0)
		return NULL;
	if (r->principals != 0 && (r->principals & req->principal.kind) == 0) {
		api_problem(resp, 403, "forbidden", "Forbidden", NULL, NULL,
		    "a %s may not call %s %s",
		    api_principal_kind_name(req->principal.kind), r->method, r->pattern);
		return NULL;
	}
	if (!role_allows(r, req, resp))
		return NULL;
	return open(req, resp);
}
