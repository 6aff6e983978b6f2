/*
 * Fuzz the JSON request bodies of every route that takes one, through the
 * router (api_dispatch) as daemon/http.c calls it: the first byte picks
 * the route, the rest is the body (NUL-terminated, as the HTTP layer
 * buffers it). The principal is the one the route wants (an admin
 * operator; a terminal of municipality 131016), path parameters are valid,
 * so the body reaches the handler's parser. The database is a pool whose
 * server does not exist: a body that passes its checks ends in 503.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "ca/keyring.h"
#include "common/log.h"
#include "db/store.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define APP_ID	"0c6f1e6a-3b1d-4c5e-9f7a-2d8e4b6a1c3f"

static const struct fuzz_route {
	enum listener		 listener;
	const char		*method, *path;
	enum principal_kind	 kind;
} routes[] = {
	{ LISTENER_API, "POST", "/v1/applications", PRINCIPAL_TERMINAL },
	{ LISTENER_API, "POST", "/v1/applications/" APP_ID "/inquiry-answer", PRINCIPAL_TERMINAL },
	{ LISTENER_API, "POST", "/v1/applications/" APP_ID "/certificates", PRINCIPAL_TERMINAL },
	{ LISTENER_API, "PUT", "/v1/residents/123456789012", PRINCIPAL_REGISTER_FEED },
	{ LISTENER_API, "PUT", "/v1/cards/123456789012", PRINCIPAL_REGISTER_FEED },
	{ LISTENER_API, "POST", "/v1/certificates/0123456789abcdef/revoke", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "POST", "/v1/cards/123456789012/events", PRINCIPAL_REGISTER_FEED },
	{ LISTENER_API, "POST", "/v1/relying-parties", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "PATCH", "/v1/relying-parties/1", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "POST", "/v1/crls/publish", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "POST", "/v1/pin-resets", PRINCIPAL_TERMINAL },
	{ LISTENER_API, "POST", "/v1/pin-resets", PRINCIPAL_KIOSK },
	{ LISTENER_API, "POST", "/v1/pin-resets/" APP_ID "/complete", PRINCIPAL_KIOSK },
	{ LISTENER_API, "POST", "/v1/cards/123456789012/pin-changes", PRINCIPAL_TERMINAL },
	{ LISTENER_API, "POST", "/v1/suspensions", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "PUT", "/v1/municipalities/131016/hours", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "PUT", "/v1/holidays/2026-01-01", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "POST", "/v1/notices/run", PRINCIPAL_OPERATOR },
	{ LISTENER_CONSOLE, "POST", "/v1/session", PRINCIPAL_NONE },
	{ LISTENER_API, "POST", "/v1/terminals", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "PATCH", "/v1/terminals/1", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "POST", "/v1/register-feeds", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "PATCH", "/v1/register-feeds/1", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "POST", "/v1/kiosks", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "PATCH", "/v1/kiosks/1", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "POST", "/v1/operators", PRINCIPAL_OPERATOR },
	{ LISTENER_API, "PATCH", "/v1/operators/1", PRINCIPAL_OPERATOR },
	/* Not here: POST /v1/operators/{id}/totp (no body), POST /v1/residents:import (fuzz_import.c). */
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

static struct app app;
static const struct fuzz_route *cur;
static int debug;

static const char *
header(void *hctx, const char *name)
{
	(void)hctx;
	if (strcasecmp(name, "Content-Type") == 0)
		return strcmp(cur->path, "/v1/residents:import") == 0 ?
		    "application/x-ndjson" : "application/json";
	if (strcasecmp(name, "Host") == 0)
		return "console.example.jp";
	if (strcasecmp(name, "Origin") == 0)
		return "https://console.example.jp";
	return NULL;
}

static const char *
query(void *hctx, const char *name)
{
	(void)hctx; (void)name;
	return NULL;
}

static int
authenticate(struct api_req *req, struct api_resp *resp)
{
	(void)resp;
	req->principal.kind = cur->kind;
	req->principal.id = 1;
	snprintf(req->principal.name, sizeof(req->principal.name), "fuzz");
	snprintf(req->principal.cert_sha256, sizeof(req->principal.cert_sha256), "%064d", 0);
	if (cur->kind == PRINCIPAL_TERMINAL || cur->kind == PRINCIPAL_KIOSK) {
		snprintf(req->principal.municipality_code,
		    sizeof(req->principal.municipality_code), "131016");
		snprintf(req->principal.municipality_name,
		    sizeof(req->principal.municipality_name), "千代田区");
		snprintf(req->principal.prefecture, sizeof(req->principal.prefecture), "東京都");
	}
	if (cur->kind == PRINCIPAL_OPERATOR)
		snprintf(req->principal.role, sizeof(req->principal.role), "admin");
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_quiet_logs();
	debug = getenv("FUZZ_API_DEBUG") != NULL;
	memset(&app, 0, sizeof(app));
	/* A server that cannot exist: every borrow fails at once (503). */
	app.store = store_open("host=/nonexistent/jpkid-fuzz port=1 connect_timeout=1", 1, 1000);
	app.borrow_timeout_ms = 0;
	pthread_rwlock_init(&app.keys_lock, NULL);
	app.keys = fuzz_keyring();
	app.version = "fuzz";
	app.started_at = 1767225600;
	app.issuance.status_url = "http://status.example.jp";
	app.issuance.sign_policy_oid = "1.2.392.200149.8.5.1.1.10";
	app.issuance.auth_policy_oid = "1.2.392.200149.8.5.1.1.20";
	app.issuance.inquiry_days = 14;
	app.status.crl_publish_hours = 24;
	app.status.crl_next_update_hours = 48;
	app.status.ocsp_validity_s = 3600;
	app.pinreset_authorization_ttl_s = 300;
	app.pinreset_challenge_ttl_s = 120;
	app.operators.session_idle_s = 900;
	app.operators.session_absolute_s = 28800;
	app.operators.argon2_memory_kib = 8;
	app.operators.argon2_iterations = 1;
	app.operators.argon2_parallelism = 1;
	app.operators.lock_after = 5;
	app.operators.lock_s = 900;
	app.operators.address_lock_after = 20;
	if (app.store == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_req req;
	struct api_resp resp;
	char *body;

	if (size < 1)
		return 0;
	cur = &routes[data[0] % NROUTES];
	body = malloc(size);	/* size - 1 bytes and a NUL, as daemon/http.c buffers */
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.app = &app;
	req.listener = cur->listener;
	req.method = cur->method;
	req.path = cur->path;
	req.header = header;
	req.query = query;
	req.body = body;
	req.body_len = size - 1;
	req.remote = "127.0.0.1";
	req.authenticate = authenticate;
	snprintf(req.request_id, sizeof(req.request_id), "fuzz");
	api_dispatch(&req, &resp);
	if (debug)	/* FUZZ_API_DEBUG=1: which answer each input got (seeds should reach 422/503) */
		fprintf(stderr, "fuzz_api_body: %s %s -> %d %s\n", cur->method, cur->path,
		    resp.status, resp.problem != NULL ? resp.problem : "");
	if (resp.status < 200 || resp.status > 599)
		__builtin_trap();	/* every request gets an answer */
	api_resp_free(&resp);
	free(body);
	return 0;
}
