/*
 * paging: see paging.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
api_cursor_encode(const char *key, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)key;
	size_t n = strlen(key), i, o = 0;

	if ((n + 2) / 3 * 4 + 1 > outlen)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];

		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)s[i] << 16;

		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;

		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return 0;
}

static int
b64val(char c)
{
	const char *p = c != '\0' ? strchr(b64url, c) : NULL;

	return p != NULL ? (int)(p - b64url) : -1;
}

/* Strict base64url without padding; the result has no NUL and is printable. */
static int
cursor_decode(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in), i, o = 0;
	unsigned acc = 0;
	int bits = 0, v;

	if (n == 0 || n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64val(in[i])) < 0)
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return -1;
			out[o] = (char)(acc >> bits & 0xff);
			if ((unsigned char)out[o] < 0x20)
				return -1;
			o++;
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)	/* non-canonical trailing bits */
		return -1;
	out[o] = '\0';
	return 0;
}

int
api_page_parse(struct api_req *req, struct api_resp *resp, struct api_page *pg)
{
	const char *l = req->query != NULL ? req->query(req->hctx, "limit") : NULL;
	const char *c = req->query != NULL ? req->query(req->hctx, "cursor") : NULL;
	char *end;
	long v;

	memset(pg, 0, sizeof(*pg));
	pg->limit = API_PAGE_DEFAULT;
	if (l != NULL) {
		v = strtol(l, &end, 10);
		if (*l < '0' || *l > '9' || *end != '\0' || v < 1 || v > API_PAGE_MAX) {
			api_problem(resp, 400, "invalid-query", "Bad Request", NULL,
			    json_pack("{s:s}", "limit", "an integer from 1 to 500"),
			    "limit must be an integer from 1 to %d", API_PAGE_MAX);
			return -1;
		}
		pg->limit = (int)v;
	}
	if (c != NULL) {
		if (strlen(c) > 256 || cursor_decode(c, pg->after, sizeof(pg->after)) != 0) {
			api_problem(resp, 400, "invalid-query", "Bad Request", NULL,
			    json_pack("{s:s}", "cursor", "the next_cursor of a previous page"),
			    "cursor is not one this server handed out");
			return -1;
		}
		pg->has_after = 1;
	}
	return 0;
}

const char *
api_page_limit_plus_one(const struct api_page *pg, char *buf, size_t len)
{
	snprintf(buf, len, "%d", pg->limit + 1);
	return buf;
}

json_t *
api_page_body(json_t *items, const char *next_key)
{
	char cur[300];
	json_t *next = json_null();

	if (next_key != NULL && api_cursor_encode(next_key, cur, sizeof(cur)) == 0)
		next = json_string(cur);
	return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}
