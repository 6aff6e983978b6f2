/*
 * feed: the resident-register feed's single-object calls.
 *
 *	PUT /v1/residents/{resident_code}	upsert a resident; R10/R12
 *	PUT /v1/cards/{card_number}		upsert a card; R11
 *
 * Both validate every field before touching the database and answer all
 * field errors at once (422 invalid-field, "fields"). Each runs in one
 * transaction (store_tx): lock the current row, upsert, apply the
 * revocation rules to what changed, write the audit row. PUT is idempotent
 * by nature (the same body twice changes nothing the second time), so no
 * Idempotency-Key. The validation of a resident object is shared with
 * POST /v1/residents:import (api/feed/import.c) through api/feed.h.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/audit.h"
#include "api/feed/feed.h"
#include "ca/charset.h"
#include "ca/policy.h"
#include "common/clock.h"
#include "common/log.h"

/* ---------------------------------------------------------------- validation */

enum ftype {
	FT_TEXT,	/* string, min..max characters (UTF-8 code points) */
	FT_DIGITS,	/* string of exactly max ASCII digits */
	FT_DATE,	/* "YYYY-MM-DD", a real date */
	FT_BIRTH,	/* FT_DATE, 1868-01-01 .. today (JST) */
	FT_ENUM,	/* one of values */
	FT_BOOL
};

struct fspec {
	const char		*name;
	enum ftype		 type;
	int			 required;
	int			 min, max;
	const char *const	*values;	/* FT_ENUM, NULL-terminated */
	const char		*dflt;		/* default when absent or null (FT_TEXT, FT_ENUM, FT_BOOL "false") */
	int			 r20;		/* must be representable (substitute forms, R20) */
};

static const char *const sexes[] = { "1", "2", "9", NULL };	/* JIS X 0303 (R25 .3) */
static const char *const resident_statuses[] = { "registered", "removed", "deceased", NULL };
static const char *const card_kinds[] = { "mynumber", "juki", NULL };
static const char *const card_statuses[] = { "active", "lost", "suspended", "returned",
	"reissued", "expired", NULL };

/* The lengths are the CHECKs of db/migrations/0001_schema.sql (residents). */
static const struct fspec resident_fields[] = {
	{ "municipality_code", FT_DIGITS, 1, 6, 6, NULL, NULL, 0 },
	{ "family_name", FT_TEXT, 1, 1, 64, NULL, NULL, 0 },
	{ "given_name", FT_TEXT, 0, 0, 64, NULL, "", 0 },
	{ "family_name_kana", FT_TEXT, 0, 1, 128, NULL, NULL, 0 },
	{ "given_name_kana", FT_TEXT, 0, 0, 128, NULL, NULL, 0 },
	{ "former_surname", FT_TEXT, 0, 1, 64, NULL, NULL, 0 },
	{ "alias", FT_TEXT, 0, 1, 128, NULL, NULL, 0 },
	{ "family_name_substitute", FT_TEXT, 0, 1, 64, NULL, NULL, 1 },
	{ "given_name_substitute", FT_TEXT, 0, 0, 64, NULL, NULL, 1 },
	{ "address_substitute", FT_TEXT, 0, 1, 200, NULL, NULL, 1 },
	{ "birth_date", FT_BIRTH, 1, 0, 0, NULL, NULL, 0 },
	{ "sex", FT_ENUM, 1, 0, 0, sexes, NULL, 0 },
	{ "address", FT_TEXT, 1, 1, 200, NULL, NULL, 0 },	/* R25 .5 */
	{ "adult_ward", FT_BOOL, 0, 0, 0, NULL, "false", 0 },
	{ "status", FT_ENUM, 0, 0, 0, resident_statuses, "registered", 0 },
};
#define NRESIDENT_FIELDS	(sizeof(resident_fields) / sizeof(resident_fields[0]))

/* cards: the basic four as recorded on the card (card_* columns, R3). */
static const struct fspec card_fields[] = {
	{ "resident_code", FT_DIGITS, 1, 11, 11, NULL, NULL, 0 },
	{ "kind", FT_ENUM, 1, 0, 0, card_kinds, NULL, 0 },
	{ "issued_on", FT_DATE, 1, 0, 0, NULL, NULL, 0 },
	{ "expires_on", FT_DATE, 1, 0, 0, NULL, NULL, 0 },
	{ "status", FT_ENUM, 0, 0, 0, card_statuses, "active", 0 },
	{ "family_name", FT_TEXT, 1, 1, 64, NULL, NULL, 0 },
	{ "given_name", FT_TEXT, 0, 0, 64, NULL, "", 0 },
	{ "former_surname", FT_TEXT, 0, 1, 64, NULL, NULL, 0 },
	{ "alias", FT_TEXT, 0, 1, 128, NULL, NULL, 0 },
	{ "birth_date", FT_BIRTH, 1, 0, 0, NULL, NULL, 0 },
	{ "sex", FT_ENUM, 1, 0, 0, sexes, NULL, 0 },
	{ "address", FT_TEXT, 1, 1, 200, NULL, NULL, 0 },
};
#define NCARD_FIELDS	(sizeof(card_fields) / sizeof(card_fields[0]))

int
feed_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[n] == '\0';
}

static void
field_error(json_t *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
field_error(json_t *errors, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (json_object_get(errors, field) != NULL)
		return;		/* the first problem of a field is the one to fix */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(errors, field, json_string(msg));
}

static const struct fspec *
spec_find(const struct fspec *specs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	return NULL;
}

/* A C0 control character or DEL: never part of a name or an address. */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void
check_text(const struct fspec *f, const char *s, json_t *errors)
{
	char bad[64];
	long n = charset_utf8_len(s);

	if (n < 0) {
		field_error(errors, f->name, "not valid UTF-8");
		return;
	}
	if (n < f->min || n > f->max) {
		if (f->min == 0)
			field_error(errors, f->name, "at most %d characters", f->max);
		else
			field_error(errors, f->name, "must be %d to %d characters", f->min, f->max);
		return;
	}
	if (has_control(s)) {
		field_error(errors, f->name, "must not contain control characters");
		return;
	}
	/*
	 * R20: a substitute form exists to be put in a certificate when the
	 * original is not representable; one that is not representable itself
	 * would only fail later, at the counter.
	 */
	if (f->r20 && charset_r20_representable(s, bad, sizeof(bad)) == 0)
		field_error(errors, f->name,
		    "not representable in JIS X 0208/0212 (R20): %s", bad);
}

static void
check_date(const struct fspec *f, const char *s, struct jpdate today, json_t *errors)
{
	static const struct jpdate meiji = { 1868, 1, 1 };
	struct jpdate d;

	if (jpdate_parse(s, &d) != 0) {
		field_error(errors, f->name, "must be a date YYYY-MM-DD");
		return;
	}
	if (f->type != FT_BIRTH)
		return;
	if (jpdate_cmp(d, meiji) < 0)
		field_error(errors, f->name, "must not be before 1868-01-01");
	else if (jpdate_cmp(d, today) > 0)
		field_error(errors, f->name, "must not be in the future");
}

static void
check_enum(const struct fspec *f, const char *s, json_t *errors)
{
	char list[128] = "";
	size_t i;

	for (i = 0; f->values[i] != NULL; i++)
		if (strcmp(s, f->values[i]) == 0)
			return;
	for (i = 0; f->values[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		    i ? ", " : "", f->values[i]);
	field_error(errors, f->name, "must be one of %s", list);
}

/*
 * Validate obj against specs into row (every spec'd field set: the value,
 * its default, or null). Keys of obj not in specs and not named in skip are
 * "unknown field".
 */
static void
validate(json_t *obj, const struct fspec *specs, size_t n, const char *skip,
    struct jpdate today, json_t *errors, json_t *row)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		if (spec_find(specs, n, key) == NULL && (skip == NULL || strcmp(key, skip) != 0))
			field_error(errors, key, "unknown field");
	}
	for (i = 0; i < n; i++) {
		const struct fspec *f = &specs[i];

		v = json_object_get(obj, f->name);
		if (v == NULL || json_is_null(v)) {
			if (f->required)
				field_error(errors, f->name, "required");
			else if (f->dflt == NULL)
				json_object_set_new(row, f->name, json_null());
			else if (f->type == FT_BOOL)
				json_object_set_new(row, f->name, json_false());
			else
				json_object_set_new(row, f->name, json_string(f->dflt));
			continue;
		}
		if (f->type == FT_BOOL) {
			if (!json_is_boolean(v))
				field_error(errors, f->name, "must be true or false");
			else
				json_object_set(row, f->name, v);
			continue;
		}
		if (!json_is_string(v)) {
			field_error(errors, f->name, "must be a string");
			continue;
		}
		switch (f->type) {
		case FT_TEXT:
			check_text(f, json_string_value(v), errors);
			break;
		case FT_DIGITS:
			if (!feed_digits(json_string_value(v), (size_t)f->max))
				field_error(errors, f->name, "must be %d digits", f->max);
			break;
		case FT_DATE:
		case FT_BIRTH:
			check_date(f, json_string_value(v), today, errors);
			break;
		case FT_ENUM:
			check_enum(f, json_string_value(v), errors);
			break;
		case FT_BOOL:
			break;
		}
		json_object_set(row, f->name, v);
	}
}

/*
 * A key naming the path parameter may repeat it in the body (so one object
 * serves PUT and import alike), but must then be equal.
 */
static void
check_path_key(json_t *obj, const char *key, const char *path_value, json_t *errors)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v) || strcmp(json_string_value(v), path_value) != 0)
		field_error(errors, key, "does not match the path");
}

json_t *
feed_resident_row(json_t *obj, const char *code, struct jpdate today, json_t *errors)
{
	json_t *row = json_object();
	size_t before = json_object_size(errors);
	json_t *v;

	if (row == NULL)
		abort();
	if (code != NULL) {
		if (!feed_digits(code, 11))
			field_error(errors, "resident_code", "must be 11 digits");
		else
			check_path_key(obj, "resident_code", code, errors);
		json_object_set_new(row, "resident_code", json_string(code));
	} else if ((v = json_object_get(obj, "resident_code")) == NULL || json_is_null(v))
		field_error(errors, "resident_code", "required");
	else if (!json_is_string(v))
		field_error(errors, "resident_code", "must be a string");
	else if (!feed_digits(json_string_value(v), 11))
		field_error(errors, "resident_code", "must be 11 digits");
	else
		json_object_set(row, "resident_code", v);
	validate(obj, resident_fields, NRESIDENT_FIELDS, "resident_code", today, errors, row);
	if (json_object_size(errors) != before) {
		json_decref(row);
		return NULL;
	}
	return row;
}

/* ---------------------------------------------------------------- shared steps */

int
feed_apply_register_changes(struct store_conn *c, const char *codes, time_t now,
    json_t *revoked, long *count, struct store_err *err)
{
	char at[24];
	const char *v[2] = { codes, at };
	PGresult *res;
	int i;

	snprintf(at, sizeof(at), "%lld", (long long)now);
	if ((res = store_exec(c, Q_FEED_REGISTER_APPLY, 2, v, NULL, NULL, err)) == NULL)
		return -1;
	for (i = 0; revoked != NULL && i < PQntuples(res); i++)
		json_array_append_new(revoked, json_pack("{s:s, s:s, s:s}",
		    "serial", PQgetvalue(res, i, 1), "type", PQgetvalue(res, i, 2),
		    "reason", PQgetvalue(res, i, 3)));
	if (count != NULL)
		*count = PQntuples(res);
	PQclear(res);
	return 0;
}

/* The body as a JSON object, or NULL with resp set (400 invalid-json). */
static json_t *
body_object(struct api_req *req, struct api_resp *resp)
{
	json_error_t je;
	json_t *o;

	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		api_problem(resp, 400, "invalid-json", "Bad Request", NULL, NULL,
		    "the body is not valid JSON: %s (line %d, column %d)", je.text, je.line,
		    je.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		api_problem(resp, 400, "invalid-json", "Bad Request", NULL, NULL,
		    "the body must be a JSON object");
		return NULL;
	}
	return o;
}

static void
invalid_fields(struct api_resp *resp, json_t *errors)
{
	size_t n = json_object_size(errors);

	api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, errors,
	    "%zu field%s invalid", n, n == 1 ? " is" : "s are");
}

/*
 * A transaction that failed for a database reason: 503 when trying again
 * may help (connection, timeout, serialization), 409 when the database
 * refused the data itself (a constraint the validation does not mirror,
 * e.g. a row changed or deleted concurrently).
 */
static void
tx_failed(struct api_req *req, struct api_resp *resp, const struct store_err *err)
{
	if (err->status == STORE_CONSTRAINT || err->status == STORE_UNIQUE ||
	    err->status == STORE_DATA) {
		log_kv(LOG_LVL_WARN, "register feed: database refused the change",
		    "request_id", req->request_id, "sqlstate", err->sqlstate,
		    "constraint", err->constraint[0] ? err->constraint : "-", (char *)NULL);
		api_problem(resp, 409, "conflict", "Conflict", NULL, NULL,
		    "the register refused the change (%s); it may have changed meanwhile",
		    err->constraint[0] ? err->constraint : err->sqlstate);
		return;
	}
	api_db_unavailable(req, resp, err);
}

/* Names of the fields of row (but skip) whose value differs from old's. */
static json_t *
changed_fields(json_t *row, json_t *old, const char *skip, int created)
{
	json_t *out = json_array(), *v;
	const char *key;

	json_object_foreach(row, key, v) {
		if (strcmp(key, skip) == 0)
			continue;
		if (created ? !json_is_null(v) : !json_equal(v, json_object_get(old, key)))
			json_array_append_new(out, json_string(key));
	}
	return out;
}

static json_t *
serials_of(json_t *revoked)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(revoked, i, v)
		json_array_append(out, json_object_get(v, "serial"));
	return out;
}

/* ---------------------------------------------------------------- PUT /v1/residents */

/*
 * If-Match: "<version>" (or *). 1 when it matches the current version
 * (cur < 0: no resident yet), 0 otherwise; an unparsable value never
 * matches.
 */
static int
if_match_ok(const char *h, long long cur)
{
	char *end;
	long long v;

	if (strcmp(h, "*") == 0)
		return cur >= 0;
	if (h[0] != '"' || h[1] < '0' || h[1] > '9')
		return 0;
	errno = 0;
	v = strtoll(h + 1, &end, 10);
	return errno == 0 && strcmp(end, "\"") == 0 && cur >= 0 && v == cur;
}

struct resident_tx {
	struct api_req	*req;
	const char	*code;
	json_t		*row;		/* normalized, validated */
	const char	*if_match;	/* header or NULL */
	time_t		 now;
	/* out */
	int		 refusal;	/* 0, 412 or 422 */
	long long	 version;	/* after the call; current one for a 412 (-1: none) */
	int		 created;
	json_t		*changed;	/* array of field names */
	json_t		*revoked;	/* array of {serial, type, reason} */
};

static int
resident_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct resident_tx *t = arg;
	const char *v[1];
	char codes[16], object[32];
	json_t *old = NULL, *arr;
	json_error_t je;
	PGresult *res = NULL;
	char *js;
	int rc = -1;

	/* store_tx may run this more than once. */
	t->refusal = 0;
	t->created = 0;
	t->version = -1;
	json_decref(t->changed);
	t->changed = NULL;
	json_array_clear(t->revoked);

	v[0] = json_string_value(json_object_get(t->row, "municipality_code"));
	if ((res = store_exec(c, Q_MUNICIPALITY_GET, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		t->refusal = 422;
		goto out;
	}
	PQclear(res);

	v[0] = t->code;
	if ((res = store_exec(c, Q_FEED_RESIDENT_LOCK, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		t->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if ((old = json_loads(PQgetvalue(res, 0, 1), 0, &je)) == NULL)
			abort();	/* PostgreSQL's own JSON */
	}
	PQclear(res);
	res = NULL;
	if (t->if_match != NULL && !if_match_ok(t->if_match, t->version)) {
		t->refusal = 412;
		goto out;
	}
	t->created = old == NULL;
	t->changed = changed_fields(t->row, old, "resident_code", t->created);

	if ((arr = json_pack("[O]", t->row)) == NULL || (js = json_dumps(arr, JSON_COMPACT)) == NULL)
		abort();
	json_decref(arr);
	v[0] = js;
	res = store_exec(c, Q_FEED_RESIDENTS_UPSERT, 1, v, NULL, NULL, err);
	free(js);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		long long nv = strtoll(PQgetvalue(res, 0, 1), NULL, 10);

		if (t->created != (nv == 1))
			goto race;
		t->version = nv;
	} else if (t->created)
		goto race;
	else if (json_array_size(t->changed) != 0) {
		/* Our comparison and the statement's disagree: a bug, not input. */
		log_err("feed: resident %s: changed_fields and the upsert disagree", t->code);
		err->status = STORE_ERROR;
		goto out;
	}

	/* R10, R12: whatever this change (or an earlier one) queued. */
	snprintf(codes, sizeof(codes), "{%s}", t->code);
	if (feed_apply_register_changes(c, codes, t->now, t->revoked, NULL, err) != 0)
		goto out;

	if (t->created || json_array_size(t->changed) != 0 || json_array_size(t->revoked) != 0) {
		snprintf(object, sizeof(object), "resident:%s", t->code);
		if (audit_write(c, t->req, "resident.upsert", object,
		    json_pack("{s:b, s:I, s:O, s:o}", "created", t->created,
		    "version", (json_int_t)t->version, "changed_fields", t->changed,
		    "revoked", serials_of(t->revoked)), err) != 0)
			goto out;
	}
	rc = 0;
	goto out;
race:
	/*
	 * The resident was inserted by a concurrent transaction after our
	 * lock found nothing: run again, now against that row.
	 */
	err->status = STORE_RETRY;
	snprintf(err->sqlstate, sizeof(err->sqlstate), "40001");
out:
	PQclear(res);
	json_decref(old);
	return rc;
}

void
api_feed_resident_put(struct api_req *req, struct api_resp *resp)
{
	struct resident_tx t;
	struct store_err err;
	json_t *obj, *errors;

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.code = req->params[0];
	t.now = clock_now();
	if ((obj = body_object(req, resp)) == NULL)
		return;
	errors = json_object();
	t.row = feed_resident_row(obj, t.code, jpdate_from_time(t.now), errors);
	json_decref(obj);
	if (t.row == NULL) {
		invalid_fields(resp, errors);
		return;
	}
	json_decref(errors);
	t.if_match = req->header != NULL ? req->header(req->hctx, "If-Match") : NULL;
	t.revoked = json_array();

	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, resident_tx, &t,
	    &err) != 0) {
		if (t.refusal == 422)
			invalid_fields(resp, json_pack("{s:s}", "municipality_code",
			    "unknown municipality"));
		else if (t.refusal == 412) {
			if (t.version < 0)
				api_problem(resp, 412, "precondition-failed", "Precondition Failed",
				    NULL, NULL, "If-Match: resident %s does not exist", t.code);
			else {
				api_problem(resp, 412, "precondition-failed", "Precondition Failed",
				    NULL, NULL, "If-Match: resident %s is at version %lld",
				    t.code, t.version);
				api_add_header(resp, "ETag", "\"%lld\"", t.version);
			}
		} else
			tx_failed(req, resp, &err);
		goto out;
	}
	api_json(resp, t.created ? 201 : 200, json_pack("{s:s, s:O, s:I, s:b, s:O, s:O}",
	    "resident_code", t.code,
	    "municipality_code", json_object_get(t.row, "municipality_code"),
	    "version", (json_int_t)t.version, "created", t.created,
	    "changed_fields", t.changed, "revoked", t.revoked));
	api_add_header(resp, "ETag", "\"%lld\"", t.version);
out:
	json_decref(t.row);
	json_decref(t.changed);
	json_decref(t.revoked);
}

/* ---------------------------------------------------------------- PUT /v1/cards */

int
feed_card_number_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

static json_t *
card_row(json_t *obj, const char *number, struct jpdate today, json_t *errors)
{
	json_t *row = json_object();
	const char *kind, *is, *ex;
	struct jpdate di, de;

	if (row == NULL)
		abort();
	check_path_key(obj, "card_number", number, errors);
	json_object_set_new(row, "card_number", json_string(number));
	validate(obj, card_fields, NCARD_FIELDS, "card_number", today, errors, row);

	kind = json_string_value(json_object_get(row, "kind"));
	if (kind != NULL && strcmp(kind, "mynumber") == 0 && !feed_digits(number, 12))
		field_error(errors, "card_number", "a My Number card number is 12 digits");
	else if (kind != NULL && strcmp(kind, "juki") == 0 && !feed_card_number_ok(number))
		field_error(errors, "card_number",
		    "a Juki card number is 1 to 16 characters of 0-9 and A-Z");
	else if (kind == NULL && !feed_digits(number, 12) && !feed_card_number_ok(number))
		field_error(errors, "card_number", "not a card number");

	is = json_string_value(json_object_get(row, "issued_on"));
	ex = json_string_value(json_object_get(row, "expires_on"));
	if (is != NULL && ex != NULL && jpdate_parse(is, &di) == 0 &&
	    jpdate_parse(ex, &de) == 0 && jpdate_cmp(de, di) <= 0)
		field_error(errors, "expires_on", "must be after issued_on");
	if (json_object_size(errors) != 0) {
		json_decref(row);
		return NULL;
	}
	return row;
}

struct card_tx {
	struct api_req	*req;
	const char	*number;
	json_t		*row;
	time_t		 now;
	/* out */
	int		 refusal;	/* 0, 409 or 422 */
	json_t		*refusal_fields;
	const char	*refusal_rule;
	int		 created;
	json_t		*changed;
	json_t		*revoked;
};

static void
card_refuse(struct card_tx *t, int status, const char *rule, const char *field,
    const char *msg)
{
	t->refusal = status;
	t->refusal_rule = rule;
	json_decref(t->refusal_fields);
	t->refusal_fields = json_pack("{s:s}", field, msg);
}

static int
card_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct card_tx *t = arg;
	const char *v[3], *status, *reason;
	char object[48], at[24];
	json_t *old = NULL;
	json_error_t je;
	PGresult *res = NULL;
	char *js = NULL;
	int rc = -1, i;

	t->refusal = 0;
	t->created = 0;
	json_decref(t->changed);
	t->changed = NULL;
	json_array_clear(t->revoked);

	v[0] = json_string_value(json_object_get(t->row, "resident_code"));
	if ((res = store_exec(c, Q_FEED_RESIDENT_EXISTS, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		card_refuse(t, 422, NULL, "resident_code", "unknown resident");
		goto out;
	}
	PQclear(res);

	v[0] = t->number;
	if ((res = store_exec(c, Q_FEED_CARD_LOCK, 1, v, NULL, NULL, err)) == NULL)
		goto out;
	if (PQntuples(res) == 1 && (old = json_loads(PQgetvalue(res, 0, 0), 0, &je)) == NULL)
		abort();
	PQclear(res);
	res = NULL;
	if (old != NULL && !json_equal(json_object_get(old, "resident_code"),
	    json_object_get(t->row, "resident_code"))) {
		card_refuse(t, 409, NULL, "resident_code",
		    "the card is recorded for another resident; a card never changes hands");
		goto out;
	}
	if (old != NULL && !json_equal(json_object_get(old, "kind"),
	    json_object_get(t->row, "kind"))) {
		card_refuse(t, 409, NULL, "kind", "a card's kind never changes");
		goto out;
	}
	t->created = old == NULL;
	t->changed = changed_fields(t->row, old, "card_number", t->created);

	if ((js = json_dumps(t->row, JSON_COMPACT)) == NULL)
		abort();
	v[0] = js;
	res = store_exec(c, t->created ? Q_FEED_CARD_INSERT : Q_FEED_CARD_UPDATE, 1, v, NULL,
	    NULL, err);
	if (res == NULL) {
		if (err->status == STORE_UNIQUE &&
		    strcmp(err->constraint, "cards_one_active_mynumber") == 0)
			card_refuse(t, 409, "R2", "status",
			    "the resident already holds another active My Number card;"
			    " set that one to reissued or returned first");
		goto out;
	}
	if (t->created && PQntuples(res) != 1) {
		/* Inserted concurrently after our lock found nothing: run again. */
		err->status = STORE_RETRY;
		snprintf(err->sqlstate, sizeof(err->sqlstate), "40001");
		goto out;
	}
	PQclear(res);
	res = NULL;

	/*
	 * R11, on a change of status of an existing card: the reasons of
	 * POST /v1/cards/{card_number}/events (ca/policy_revoke.c).
	 */
	status = json_string_value(json_object_get(t->row, "status"));
	if (old != NULL && (reason = policy_r11_status_reason(status)) != NULL &&
	    !json_equal(json_object_get(old, "status"), json_object_get(t->row, "status"))) {
		snprintf(at, sizeof(at), "%lld", (long long)t->now);
		v[0] = t->number;
		v[1] = reason;
		v[2] = at;
		if ((res = store_exec(c, Q_FEED_CARD_REVOKE, 3, v, NULL, NULL, err)) == NULL)
			goto out;
		for (i = 0; i < PQntuples(res); i++)
			json_array_append_new(t->revoked, json_pack("{s:s, s:s, s:s}",
			    "serial", PQgetvalue(res, i, 0), "type", PQgetvalue(res, i, 1),
			    "reason", PQgetvalue(res, i, 2)));
	}

	if (t->created || json_array_size(t->changed) != 0) {
		snprintf(object, sizeof(object), "card:%s", t->number);
		if (audit_write(c, t->req, "card.upsert", object,
		    json_pack("{s:b, s:O, s:o}", "created", t->created,
		    "changed_fields", t->changed, "revoked", serials_of(t->revoked)), err) != 0)
			goto out;
	}
	rc = 0;
out:
	free(js);
	PQclear(res);
	json_decref(old);
	return rc;
}

void
api_feed_card_put(struct api_req *req, struct api_resp *resp)
{
	struct card_tx t;
	struct store_err err;
	json_t *obj, *errors;

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.number = req->params[0];
	t.now = clock_now();
	if ((obj = body_object(req, resp)) == NULL)
		return;
	errors = json_object();
	t.row = card_row(obj, t.number, jpdate_from_time(t.now), errors);
	json_decref(obj);
	if (t.row == NULL) {
		invalid_fields(resp, errors);
		return;
	}
	json_decref(errors);
	t.revoked = json_array();

	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, card_tx, &t, &err) != 0) {
		if (t.refusal == 422) {
			invalid_fields(resp, t.refusal_fields);
			t.refusal_fields = NULL;
		} else if (t.refusal == 409) {
			api_problem(resp, 409, "conflict", "Conflict", t.refusal_rule,
			    t.refusal_fields, "%s",
			    t.refusal_rule != NULL ? "R2: one active My Number card per resident" :
			    "the card cannot change this way");
			t.refusal_fields = NULL;
		} else
			tx_failed(req, resp, &err);
		goto out;
	}
	api_json(resp, t.created ? 201 : 200, json_pack("{s:s, s:O, s:O, s:O, s:O, s:b, s:O}",
	    "card_number", t.number,
	    "resident_code", json_object_get(t.row, "resident_code"),
	    "kind", json_object_get(t.row, "kind"),
	    "status", json_object_get(t.row, "status"),
	    "expires_on", json_object_get(t.row, "expires_on"),
	    "created", t.created, "revoked", t.revoked));
out:
	json_decref(t.row);
	json_decref(t.changed);
	json_decref(t.revoked);
	json_decref(t.refusal_fields);
}
