/*
 * term_http: jpki-terminal's JSON client, libcurl over mutual TLS with the
 * terminal's (or kiosk's) client certificate. Explicit trust: the server
 * is checked against --cacert only when given, else the system store.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/util.h"
#include "tools/term.h"

struct buf {
	char	*p;
	size_t	 len;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *np;

	if (b->len + n > 8 * 1024 * 1024)
		return 0;	/* no answer of ours is that large */
	if ((np = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct term_resp *r = arg;
	size_t n = size * nmemb, k = strlen("Retry-After:");
	char *v;

	if (n > k && strncasecmp(ptr, "Retry-After:", k) == 0) {
		snprintf(r->retry_after, sizeof(r->retry_after), "%.*s", (int)(n - k), ptr + k);
		v = r->retry_after;
		while (*v == ' ')
			memmove(v, v + 1, strlen(v));
		util_rstrip(r->retry_after);
	}
	return n;
}

int
term_http_init(struct term_http *h)
{
	static int global;

	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -1;
		global = 1;
	}
	h->curl = curl_easy_init();
	return h->curl != NULL ? 0 : -1;
}

void
term_http_close(struct term_http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
	curl_global_cleanup();
}

void
term_resp_free(struct term_resp *r)
{
	json_decref(r->body);
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

static int
transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return 1;
	default:
		return 0;
	}
}

static int
perform(CURL *c, const char *method, const char *url, const char *payload,
    struct curl_slist *hdrs, struct term_resp *r)
{
	struct buf b = { NULL, 0 };
	const char *ct = NULL;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (payload != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	r->retry_after[0] = '\0';
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof(r->err), "%s", curl_easy_strerror(rc));
		free(b.p);
		return transient(rc) ? -2 : -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(r->ctype, sizeof(r->ctype), "%s", ct != NULL ? ct : "");
	r->raw = b.p != NULL ? b.p : strdup("");
	r->rawlen = b.len;
	if (r->rawlen > 0 && (strstr(r->ctype, "json") != NULL))
		r->body = json_loadb(r->raw, r->rawlen, 0, NULL);
	return 0;
}

int
term_http_call(struct term_http *h, const char *method, const char *path, json_t *body,
    struct term_resp *r)
{
	CURL *c = h->curl;
	struct curl_slist *hdrs = NULL;
	char url[2048], key[33], idem[64];
	char *payload = NULL;
	int mutating, ret, attempt;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (h->api == NULL || *h->api == '\0') {
		snprintf(r->err, sizeof(r->err), "%s", TR("API の URL がありません (--api または JPKI_TERMINAL_API)",
		    "no API URL (--api or JPKI_TERMINAL_API)"));
		return -1;
	}
	n = strlen(h->api);
	if (h->api[n - 1] == '/')
		n--;
	snprintf(url, sizeof(url), "%.*s%s", (int)n, h->api, path);
	mutating = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	curl_easy_reset(c);
	if (h->cert != NULL)
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
	if (h->key != NULL)
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
	if (h->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cacert);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	hdrs = curl_slist_append(hdrs, "Accept: application/json, application/problem+json");
	if (body != NULL) {
		payload = json_dumps(body, JSON_COMPACT);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	if (mutating) {
		/* One key per operation; the same key for the one retry below. */
		if (util_random_hex(16, key) != 0) {
			snprintf(r->err, sizeof(r->err), "no randomness for the Idempotency-Key");
			ret = -1;
			goto out;
		}
		snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
		hdrs = curl_slist_append(hdrs, idem);
	}
	for (attempt = 0; ; attempt++) {
		ret = perform(c, method, url, payload, hdrs, r);
		if (ret != -2 || attempt == 1)
			break;
		/* Only a request that carries a key is retried "with the same key" (a GET has none). */
		if (mutating)
			term_warn("%s: %s", TR("通信エラー、同じ Idempotency-Key で再試行します",
			    "transport error, retrying once with the same Idempotency-Key"), r->err);
		else
			term_warn("%s: %s", TR("通信エラー、もう一度試します",
			    "transport error, retrying once"), r->err);
	}
	if (ret != 0)
		ret = -1;
	term_out_step(method, path, r->status, r->body);
out:
	free(payload);
	curl_slist_free_all(hdrs);
	return ret;
}

int
term_http_get_url(const char *url, const char *cacert, struct term_resp *r)
{
	CURL *c;
	struct curl_slist *hdrs = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL)
		return -1;
	if (cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	ret = perform(c, "GET", url, NULL, hdrs, r);
	curl_easy_cleanup(c);
	return ret == 0 ? 0 : -1;
}
