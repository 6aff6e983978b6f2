/*
 * import: POST /v1/residents:import, the register feed's bulk load. The
 * body is NDJSON (application/x-ndjson): one resident object per line, the
 * keys of PUT /v1/residents/{resident_code} plus "resident_code".
 *
 * A streaming route (api.h, struct api_stream): the body is never held
 * whole. What is held is bounded: one partial line (at most
 * IMPORT_LINE_MAX bytes), one batch of FEED_IMPORT_BATCH validated rows as
 * JSON text (a row is a few KiB at most: every field has a maximum length),
 * at most IMPORT_MAX_ERRORS error entries, and the municipality codes.
 *
 * All or nothing: one transaction on one connection, borrowed when the
 * request is opened (before the body is read) and held until the answer.
 * Lines are validated as they arrive (api/feed/feed.c, the same checks as PUT)
 * and written in batches by one statement (Q_FEED_RESIDENTS_UPSERT), each
 * batch followed by R10/R12 for the residents it changed. Lines apply in
 * order: a resident on two lines is written twice, the later line wins
 * (the batch is flushed before a resident repeats in it). After the first
 * invalid line nothing more is written, but reading goes on so that the
 * 422 lists up to IMPORT_MAX_ERRORS bad lines; then everything rolls back.
 * Empty lines are skipped; a last line without a newline counts.
 *
 * Idempotency-Key: the request hash is computed as the body streams by
 * and checked at the end (idem_begin), before COMMIT. A replay therefore
 * redoes the writes and rolls them back (unchanged rows write nothing),
 * then answers with the stored response.
 *
 * A failure of the database midway cannot be retried here (the body is
 * gone): the answer is 503 and the client retries the whole import (with
 * the same Idempotency-Key, safely).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "api/audit.h"
#include "api/feed/feed.h"
#include "api/idem.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/util.h"

#define IMPORT_LINE_MAX		65536	/* bytes of one line, without its newline */
#define IMPORT_MAX_ERRORS	100	/* bad lines listed in a 422 (all are counted) */

struct import {
	struct api_stream	 s;		/* first: the HTTP layer's handle */
	struct api_req		*req;
	struct store_conn	*c;
	EVP_MD_CTX		*md;		/* request hash (Idempotency-Key) */
	time_t			 now;
	struct jpdate		 today;
	char			(*munis)[7];	/* municipality codes, sorted */
	size_t			 nmunis;

	char			*line;		/* partial line, IMPORT_LINE_MAX bytes */
	size_t			 linelen;
	int			 overlong;	/* this line is past IMPORT_LINE_MAX: drop it */
	unsigned long		 lineno;	/* of the line being read, 1-based */

	char			*batch;		/* "[row,row,...": JSON array text */
	size_t			 blen, bcap;
	size_t			 nbatch;
	unsigned long long	 slots[2 * FEED_IMPORT_BATCH];	/* code + 1 of the batch's rows; 0 free */

	unsigned long		 received, created, updated, unchanged;
	long			 revoked;
	unsigned long		 error_count;
	json_t			*errors;	/* first IMPORT_MAX_ERRORS bad lines */

	int			 db_failed;	/* err holds why; nothing more is done */
	struct store_err	 err;
};

/* ---------------------------------------------------------------- batches */

static size_t
slot_of(const struct import *im, unsigned long long key)
{
	size_t n = sizeof(im->slots) / sizeof(im->slots[0]);

	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) % n;
}

/* 1 when code is already in the batch; otherwise remember it and return 0. */
static int
batch_seen(struct import *im, const char *code)
{
	unsigned long long key = strtoull(code, NULL, 10) + 1;
	size_t n = sizeof(im->slots) / sizeof(im->slots[0]), i = slot_of(im, key);

	for (; im->slots[i] != 0; i = (i + 1) % n)
		if (im->slots[i] == key)
			return 1;
	im->slots[i] = key;
	return 0;
}

static void
batch_append(struct import *im, const char *s, size_t n)
{
	if (im->blen + n + 2 > im->bcap) {
		size_t ncap = (im->blen + n + 2) * 2;
		char *nb = realloc(im->batch, ncap);

		if (nb == NULL)
			abort();	/* a batch is bounded; out of memory is not input */
		im->batch = nb;
		im->bcap = ncap;
	}
	memcpy(im->batch + im->blen, s, n);
	im->blen += n;
	im->batch[im->blen] = '\0';
}

static void
db_fail(struct import *im, const struct store_err *err)
{
	im->db_failed = 1;
	im->err = *err;
}

/*
 * Write the batch (one statement), then R10/R12 for the residents it
 * updated. Counts created (version 1), updated (version > 1) and
 * unchanged (not written). On failure db_failed is set.
 */
static void
batch_flush(struct import *im)
{
	const char *v[1];
	char *codes = NULL;
	size_t clen = 0;
	PGresult *res;
	struct store_err err;
	long n = 0;
	int i, rows;

	if (im->nbatch == 0 || im->db_failed)
		return;
	batch_append(im, "]", 1);
	v[0] = im->batch;
	if ((res = store_exec(im->c, Q_FEED_RESIDENTS_UPSERT, 1, v, NULL, NULL, &err)) == NULL) {
		db_fail(im, &err);
		return;
	}
	rows = PQntuples(res);
	/* "{code,code,...}": 12 bytes per code at most, plus the braces. */
	if ((codes = malloc((size_t)rows * 12 + 3)) == NULL)
		abort();
	codes[clen++] = '{';
	for (i = 0; i < rows; i++) {
		if (strcmp(PQgetvalue(res, i, 1), "1") == 0) {
			im->created++;
			continue;
		}
		im->updated++;
		if (clen > 1)
			codes[clen++] = ',';
		memcpy(codes + clen, PQgetvalue(res, i, 0), 11);
		clen += 11;
	}
	codes[clen++] = '}';
	codes[clen] = '\0';
	im->unchanged += im->nbatch - (size_t)rows;
	PQclear(res);
	if (clen > 2) {
		if (feed_apply_register_changes(im->c, codes, im->now, NULL, &n, &err) != 0)
			db_fail(im, &err);
		im->revoked += n;
	}
	free(codes);
	im->nbatch = 0;
	im->blen = 0;
	memset(im->slots, 0, sizeof(im->slots));
}

static void
batch_add(struct import *im, json_t *row)
{
	const char *code = json_string_value(json_object_get(row, "resident_code"));
	char *js;

	if (batch_seen(im, code)) {
		/* The same resident twice in one statement is an error: flush first. */
		batch_flush(im);
		batch_seen(im, code);
	}
	if ((js = json_dumps(row, JSON_COMPACT)) == NULL)
		abort();
	batch_append(im, im->nbatch == 0 ? "[" : ",", 1);
	batch_append(im, js, strlen(js));
	free(js);
	if (++im->nbatch == FEED_IMPORT_BATCH)
		batch_flush(im);
}

/* ---------------------------------------------------------------- lines */

static int
muni_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
muni_known(const struct import *im, const char *code)
{
	return bsearch(code, im->munis, im->nmunis, sizeof(im->munis[0]), muni_cmp) != NULL;
}

/* Record bad line lineno (fields stolen); only the first ones are listed. */
static void
line_error(struct import *im, json_t *obj, json_t *fields)
{
	json_t *code = obj != NULL ? json_object_get(obj, "resident_code") : NULL;
	json_t *e;

	im->error_count++;
	if (json_array_size(im->errors) >= IMPORT_MAX_ERRORS) {
		json_decref(fields);
		return;
	}
	e = json_pack("{s:I, s:o}", "line", (json_int_t)im->lineno, "fields", fields);
	/* The code as sent, when it is a plausible one, so the feed can find the row. */
	if (json_is_string(code) && strlen(json_string_value(code)) <= 32)
		json_object_set(e, "resident_code", code);
	else
		json_object_set_new(e, "resident_code", json_null());
	json_array_append_new(im->errors, e);
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* One complete line (without its newline). */
static void
import_line(struct import *im, const char *s, size_t n)
{
	json_t *obj, *errors, *row, *mc;
	json_error_t je;
	char msg[200];

	if (blank(s, n))
		return;
	im->received++;
	if ((obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(msg, sizeof(msg), "not valid JSON: %s (column %d)", je.text, je.column);
		util_utf8_scrub(msg);	/* je.text may quote a partial UTF-8 sequence */
		line_error(im, NULL, json_pack("{s:s}", "line", msg));
		return;
	}
	if (!json_is_object(obj)) {
		line_error(im, NULL, json_pack("{s:s}", "line", "must be a JSON object"));
		json_decref(obj);
		return;
	}
	errors = json_object();
	row = feed_resident_row(obj, NULL, im->today, errors);
	mc = json_object_get(obj, "municipality_code");
	if (json_is_string(mc) && feed_digits(json_string_value(mc), 6) &&
	    !muni_known(im, json_string_value(mc))) {
		json_object_set_new(errors, "municipality_code",
		    json_string("unknown municipality"));
		json_decref(row);
		row = NULL;
	}
	if (row == NULL)
		line_error(im, obj, errors);
	else {
		json_decref(errors);
		if (im->error_count == 0 && !im->db_failed)
			batch_add(im, row);
		json_decref(row);
	}
	json_decref(obj);
}

static void
line_end(struct import *im)
{
	char msg[64];

	if (im->overlong) {
		im->received++;
		snprintf(msg, sizeof(msg), "longer than %d bytes", IMPORT_LINE_MAX);
		line_error(im, NULL, json_pack("{s:s}", "line", msg));
	} else
		import_line(im, im->line, im->linelen);
	im->linelen = 0;
	im->overlong = 0;
	im->lineno++;
}

/* ---------------------------------------------------------------- stream */

static int
import_data(struct api_stream *s, const char *buf, size_t len)
{
	struct import *im = (struct import *)s;
	const char *nl;
	size_t part;

	if (!EVP_DigestUpdate(im->md, buf, len))
		abort();
	while (len > 0) {
		nl = memchr(buf, '\n', len);
		part = nl != NULL ? (size_t)(nl - buf) : len;
		if (!im->overlong) {
			if (im->linelen + part > IMPORT_LINE_MAX) {
				im->overlong = 1;
				im->linelen = 0;
			} else if (im->linelen == 0 && nl != NULL) {
				/* A whole line in this piece: no copy. */
				import_line(im, buf, part);
				im->linelen = 0;
				im->lineno++;
				buf += part + 1;
				len -= part + 1;
				continue;
			} else {
				memcpy(im->line + im->linelen, buf, part);
				im->linelen += part;
			}
		}
		if (nl == NULL)
			break;
		line_end(im);
		buf += part + 1;
		len -= part + 1;
	}
	/*
	 * Keep reading after a database failure only to drain the body; a
	 * bad line does not stop reading (the 422 lists up to 100).
	 */
	return im->db_failed ? -1 : 0;
}

/* The 422 invalid-import: a Problem plus errors and error_count. */
static void
invalid_import(struct import *im, struct api_resp *resp)
{
	json_t *doc;
	json_error_t je;
	char *s;

	api_problem(resp, 422, "invalid-import", "Unprocessable Content", NULL, NULL,
	    "%lu of %lu lines are invalid; nothing was imported", im->error_count,
	    im->received);
	if ((doc = json_loadb(resp->body, resp->body_len, 0, &je)) == NULL)
		abort();
	json_object_set(doc, "errors", im->errors);
	json_object_set_new(doc, "error_count", json_integer((json_int_t)im->error_count));
	if ((s = json_dumps(doc, JSON_COMPACT)) == NULL)
		abort();
	json_decref(doc);
	api_text(resp, 422, "application/problem+json", s, strlen(s));
}

static void
db_failed(struct import *im, struct api_resp *resp)
{
	const struct store_err *err = &im->err;

	if (err->status == STORE_CONSTRAINT || err->status == STORE_UNIQUE ||
	    err->status == STORE_DATA) {
		/* The validation mirrors the schema: only a concurrent change gets here. */
		log_kv(LOG_LVL_WARN, "import: database refused a batch", "request_id",
		    im->req->request_id, "sqlstate", err->sqlstate, "constraint",
		    err->constraint[0] ? err->constraint : "-", (char *)NULL);
		api_problem(resp, 409, "conflict", "Conflict", NULL, NULL,
		    "the register refused a batch ending at line %lu (%s); nothing was"
		    " imported", im->lineno, err->constraint[0] ? err->constraint : err->sqlstate);
		return;
	}
	api_db_unavailable(im->req, resp, err);
}

static void
import_finish(struct api_stream *s, struct api_resp *resp)
{
	struct import *im = (struct import *)s;
	unsigned char hash[SHA256_DIGEST_LENGTH];
	unsigned int hlen = 0;
	struct store_err err;

	if (im->linelen > 0 || im->overlong)
		line_end(im);		/* the last line had no newline */
	if (im->db_failed)
		goto failed;		/* reading stopped there: the error list is not complete */
	if (im->error_count > 0) {
		store_rollback(im->c);
		invalid_import(im, resp);
		return;
	}
	batch_flush(im);
	if (im->db_failed)
		goto failed;
	if (!EVP_DigestFinal_ex(im->md, hash, &hlen))
		abort();
	switch (idem_begin(im->c, im->req, hash, resp, &err)) {
	case IDEM_NONE:
	case IDEM_NEW:
		break;
	case IDEM_REPLAY:
	case IDEM_REFUSED:
		store_rollback(im->c);
		return;
	case IDEM_DBERR:
		db_fail(im, &err);
		goto failed;
	}
	if (audit_write(im->c, im->req, "resident.import", "residents",
	    json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "received", (json_int_t)im->received, "created", (json_int_t)im->created,
	    "updated", (json_int_t)im->updated, "unchanged", (json_int_t)im->unchanged,
	    "revoked_count", (json_int_t)im->revoked), &err) != 0) {
		db_fail(im, &err);
		goto failed;
	}
	api_json(resp, 200, json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "received", (json_int_t)im->received, "created", (json_int_t)im->created,
	    "updated", (json_int_t)im->updated, "unchanged", (json_int_t)im->unchanged,
	    "revoked_count", (json_int_t)im->revoked));
	if (idem_finish(im->c, im->req, resp, &err) != 0 || store_commit(im->c, &err) != 0) {
		db_fail(im, &err);
		goto failed;
	}
	return;
failed:
	store_rollback(im->c);
	api_resp_free(resp);
	db_failed(im, resp);
}

static void
import_free(struct api_stream *s)
{
	struct import *im = (struct import *)s;

	if (im->c != NULL) {
		store_rollback(im->c);	/* a no-op after COMMIT */
		store_release(im->c);
	}
	EVP_MD_CTX_free(im->md);
	free(im->munis);
	free(im->line);
	free(im->batch);
	json_decref(im->errors);
	free(im);
}

/* Content-Type: application/x-ndjson, parameters allowed. */
static int
ndjson_type(const char *ct)
{
	size_t n = strlen("application/x-ndjson");

	if (ct == NULL || strncasecmp(ct, "application/x-ndjson", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static int
load_municipalities(struct import *im, struct store_err *err)
{
	PGresult *res;
	int i;

	if ((res = store_exec(im->c, Q_FEED_MUNICIPALITY_CODES, 0, NULL, NULL, NULL, err)) == NULL)
		return -1;
	im->nmunis = (size_t)PQntuples(res);
	if ((im->munis = calloc(im->nmunis + 1, sizeof(im->munis[0]))) == NULL)
		abort();
	for (i = 0; i < PQntuples(res); i++)
		snprintf(im->munis[i], sizeof(im->munis[i]), "%s", PQgetvalue(res, i, 0));
	PQclear(res);
	/* ORDER BY code is collation-ordered; bsearch needs byte order. Digits: the same. */
	qsort(im->munis, im->nmunis, sizeof(im->munis[0]), muni_cmp);
	return 0;
}

struct api_stream *
api_import_open(struct api_req *req, struct api_resp *resp)
{
	struct import *im;
	struct store_err err;
	const char *ct = req->header != NULL ? req->header(req->hctx, "Content-Type") : NULL;

	if (!ndjson_type(ct)) {
		api_problem(resp, 415, "unsupported-media-type", "Unsupported Media Type", NULL,
		    json_pack("{s:s}", "Content-Type", "must be application/x-ndjson"),
		    "the body must be NDJSON, one resident object per line");
		return NULL;
	}
	if ((im = calloc(1, sizeof(*im))) == NULL)
		abort();
	im->s.data = import_data;
	im->s.finish = import_finish;
	im->s.free = import_free;
	im->req = req;
	im->now = clock_now();
	im->today = jpdate_from_time(im->now);
	im->lineno = 1;
	if ((im->line = malloc(IMPORT_LINE_MAX)) == NULL || (im->errors = json_array()) == NULL ||
	    (im->md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(im->md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(im->md, req->method, strlen(req->method) + 1) ||
	    !EVP_DigestUpdate(im->md, req->path, strlen(req->path) + 1))
		abort();	/* the same hash as idem_request_hash(), fed piece by piece */

	/* Held until the answer: the whole import is one transaction. */
	if ((im->c = store_borrow(req->app->store, req->app->borrow_timeout_ms, &err)) == NULL ||
	    store_begin(im->c, &err) != 0 || load_municipalities(im, &err) != 0) {
		api_db_unavailable(req, resp, &err);
		import_free(&im->s);
		return NULL;
	}
	return &im->s;
}

void
api_import(struct api_req *req, struct api_resp *resp)
{
	api_stream_buffered(api_import_open, req, resp);
}
