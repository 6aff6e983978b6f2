/*
 * Fuzz the NDJSON resident import (api/feed/import.c, api/feed/feed_fields.c):
 * the body of POST /v1/residents:import, fed to the stream in pieces of a
 * fuzzed size (first byte) so lines also split across pieces. The
 * database is replaced by a statement that writes nothing (an empty
 * result), so batches flush without one; everything else is the real
 * stream: line splitting, the line limit, JSON, the field checks of PUT
 * /v1/residents, the municipality check, the 422 error list.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/feed/feed.h"
#include "api/idem.h"
#include "common/clock.h"
#include "common/log.h"
#include "db/store.h"
#include "tests/fuzz/fuzzlib.h"

static PGresult *fuzz_store_exec(struct store_conn *, enum query_id, int, const char *const *,
    const int *, const int *, struct store_err *);
#define store_exec fuzz_store_exec
#include "api/feed/import.c"
#undef store_exec

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Nothing was written: every row of the batch counts as unchanged. */
static PGresult *
fuzz_store_exec(struct store_conn *c, enum query_id q, int n, const char *const *v,
    const int *l, const int *f, struct store_err *err)
{
	(void)c; (void)q; (void)n; (void)v; (void)l; (void)f; (void)err;
	return PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_quiet_logs();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char munis[][7] = { "131016", "141003" };	/* sorted */
	struct api_req req;
	struct api_resp resp;
	struct import *im;
	size_t piece, part;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] + 1;
	data++;
	size--;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/v1/residents:import";
	memset(&resp, 0, sizeof(resp));
	if ((im = calloc(1, sizeof(*im))) == NULL)
		abort();
	im->req = &req;
	im->now = 1767225600;	/* 2026-01-01 */
	im->today = jpdate_from_time(im->now);
	im->lineno = 1;
	if ((im->line = malloc(IMPORT_LINE_MAX)) == NULL || (im->errors = json_array()) == NULL ||
	    (im->md = EVP_MD_CTX_new()) == NULL || !EVP_DigestInit_ex(im->md, EVP_sha256(), NULL) ||
	    (im->munis = malloc(sizeof(munis))) == NULL)
		abort();
	memcpy(im->munis, munis, sizeof(munis));
	im->nmunis = 2;
	while (size > 0) {
		part = size < piece ? size : piece;
		(void)import_data(&im->s, (const char *)data, part);
		data += part;
		size -= part;
	}
	/* import_finish() up to where it needs the database. */
	if (im->linelen > 0 || im->overlong)
		line_end(im);
	if (im->error_count > 0)
		invalid_import(im, &resp);
	else
		batch_flush(im);
	if (im->error_count == 0 && im->received != im->created + im->updated + im->unchanged)
		__builtin_trap();	/* a valid line was neither written nor counted */
	if (json_array_size(im->errors) != (im->error_count < IMPORT_MAX_ERRORS ?
	    im->error_count : IMPORT_MAX_ERRORS))
		__builtin_trap();	/* a bad line is missing from the 422's list */
	api_resp_free(&resp);
	import_free(&im->s);
	return 0;
}
