/*
 * hours: R19 counter opening hours and closed days, per municipality and
 * enforced only when it turns them on, and the national holidays every
 * enforcing municipality closes on. The gate (api/counter/counter.c counter_gate,
 * ca/policy_counter.c policy_r19_counter_open) reads the same columns.
 *
 *	GET    /v1/municipalities/{code}/hours	viewer
 *	PUT    /v1/municipalities/{code}/hours	officer; the whole setting
 *	GET    /v1/holidays[?year=YYYY]		viewer
 *	PUT    /v1/holidays/{day}		officer; {name} -> 201 new, 200 replaced
 *	DELETE /v1/holidays/{day}		officer; 204
 *
 * Every change is one transaction with its audit row.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/counter/applications.h"
#include "api/audit.h"
#include "api/status/crls.h"
#include "ca/charset.h"
#include "ca/jpdate.h"
#include "common/log.h"

#define CLOSED_DATES_MAX	64	/* municipality's own closed days in one setting */
#define HOLIDAY_NAME_MAX	64

struct hours_op {
	struct api_req	*req;
	struct api_resp	*resp;
	const char	*code;
	const char	*day;		/* holidays */
	const char	*name;
	char		 enforced[6], year_end[6];
	const char	*opens, *closes;	/* "HH:MM" or NULL */
	char		 weekdays[32];		/* "{6,7}" */
	char		 dates[CLOSED_DATES_MAX * 11 + 3];	/* "{2026-12-01,...}" */
	json_t		*audit;			/* the new setting */
};

static void
run_tx(struct api_req *req, struct api_resp *resp, store_tx_fn fn, void *arg)
{
	struct store_err err;

	memset(&err, 0, sizeof(err));
	if (store_tx(req->app->store, req->app->borrow_timeout_ms, 0, fn, arg, &err) != 0 &&
	    (err.status != STORE_OK || resp->status == 0))
		api_db_unavailable(req, resp, &err);
}

/* "a,b,c" -> JSON array of integers (weekdays) or strings (dates). */
static json_t *
csv_array(const PGresult *res, int row, int col, int integers)
{
	json_t *a = json_array();
	const char *s = PQgetvalue(res, row, col), *e;
	char item[16];

	if (PQgetisnull(res, row, col))
		return a;
	while (*s != '\0') {
		e = strchr(s, ',');
		snprintf(item, sizeof(item), "%.*s", (int)(e != NULL ? e - s : (long)strlen(s)), s);
		json_array_append_new(a, integers ? json_integer(atoi(item)) : json_string(item));
		if (e == NULL)
			break;
		s = e + 1;
	}
	return a;
}

static json_t *
str_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

/* One row of Q_HOURS_* (HOURS_COLS). */
static json_t *
hours_json(const PGresult *res)
{
	json_t *o = json_pack("{s:s, s:b, s:o, s:o, s:o, s:b, s:o}",
	    "municipality_code", PQgetvalue(res, 0, 0),
	    "enforced", strcmp(PQgetvalue(res, 0, 1), "true") == 0,
	    "opens", str_or_null(res, 0, 2),
	    "closes", str_or_null(res, 0, 3),
	    "closed_weekdays", csv_array(res, 0, 4, 1),
	    "year_end_closed", strcmp(PQgetvalue(res, 0, 5), "true") == 0,
	    "closed_dates", csv_array(res, 0, 6, 0));

	if (o == NULL)
		abort();
	return o;
}

static void
not_found(struct api_resp *resp, const char *what)
{
	api_problem(resp, 404, "not-found", "Not Found", NULL, NULL, "no such %s", what);
}

/* ---------------------------------------------------------------- hours */

void
api_hours_get(struct api_req *req, struct api_resp *resp)
{
	const char *v[1] = { req->params[0] };
	PGresult *res;

	if (!crls_code_ok(req->params[0])) {
		not_found(resp, "municipality");
		return;
	}
	if ((res = api_read(req, resp, Q_HOURS_GET, 1, v)) == NULL)
		return;
	if (PQntuples(res) == 1)
		api_json(resp, 200, hours_json(res));
	else
		not_found(resp, "municipality");
	PQclear(res);
}

static int
hours_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct hours_op *op = arg;
	const char *v[7] = { op->code, op->enforced, op->opens, op->closes, op->weekdays,
	    op->year_end, op->dates };
	char object[32];
	PGresult *res;

	if ((res = store_exec(c, Q_HOURS_PUT, 7, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		not_found(op->resp, "municipality");
		return -1;
	}
	api_json(op->resp, 200, hours_json(res));
	PQclear(res);
	snprintf(object, sizeof(object), "municipality:%s", op->code);
	json_incref(op->audit);
	return audit_write(c, op->req, "hours.update", object, op->audit, err);
}

/* "HH:MM", 00:00-23:59 -> minutes, or -1. */
static int
hhmm(const char *s)
{
	int h, m;

	if (s == NULL || strlen(s) != 5 || s[2] != ':' ||
	    strspn(s, "0123456789") != 2 || strspn(s + 3, "0123456789") != 2)
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	return h < 24 && m < 60 ? h * 60 + m : -1;
}

static void
check_bool(json_t *body, const char *name, int def, char *out, json_t *fields)
{
	json_t *v = json_object_get(body, name);

	if (v != NULL && !json_is_boolean(v)) {
		json_object_set_new(fields, name, json_string("true or false"));
		return;
	}
	strcpy(out, (v == NULL ? def : json_is_true(v)) ? "true" : "false");
}

static void
check_weekdays(json_t *v, struct hours_op *op, json_t *fields)
{
	unsigned seen = 0;
	json_int_t d;
	size_t i, o;
	json_t *e;

	if (v == NULL) {
		strcpy(op->weekdays, "{6,7}");	/* the schema's default: Saturday, Sunday */
		return;
	}
	if (!json_is_array(v) || json_array_size(v) > 7)
		goto bad;
	o = 0;
	op->weekdays[o++] = '{';
	json_array_foreach(v, i, e) {
		if (!json_is_integer(e) || (d = json_integer_value(e)) < 1 || d > 7 ||
		    (seen & (1u << d)))
			goto bad;
		seen |= 1u << d;
		o += (size_t)snprintf(op->weekdays + o, sizeof(op->weekdays) - o, "%s%d",
		    i > 0 ? "," : "", (int)d);
	}
	snprintf(op->weekdays + o, sizeof(op->weekdays) - o, "}");
	return;
bad:
	json_object_set_new(fields, "closed_weekdays",
	    json_string("an array of distinct ISO weekdays 1 (Monday) to 7 (Sunday)"));
}

static void
check_dates(json_t *v, struct hours_op *op, json_t *fields)
{
	struct jpdate d;
	size_t i, o = 0;
	json_t *e;
	const char *s;

	op->dates[o++] = '{';
	if (v != NULL) {
		if (!json_is_array(v) || json_array_size(v) > CLOSED_DATES_MAX)
			goto bad;
		json_array_foreach(v, i, e) {
			if ((s = json_string_value(e)) == NULL || jpdate_parse(s, &d) != 0)
				goto bad;
			o += (size_t)snprintf(op->dates + o, sizeof(op->dates) - o, "%s%s",
			    i > 0 ? "," : "", s);
		}
	}
	snprintf(op->dates + o, sizeof(op->dates) - o, "}");
	return;
bad:
	json_object_set_new(fields, "closed_dates",
	    json_string("an array of at most 64 dates YYYY-MM-DD"));
}

void
api_hours_put(struct api_req *req, struct api_resp *resp)
{
	static const char *const known[] = { "enforced", "opens", "closes", "closed_weekdays",
	    "year_end_closed", "closed_dates", NULL };
	struct hours_op op;
	json_t *body, *fields, *v, *jo, *jc;
	const char *key;
	int mo = -1, mc = -1;
	size_t i;

	if (!crls_code_ok(req->params[0])) {
		not_found(resp, "municipality");
		return;
	}
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	memset(&op, 0, sizeof(op));
	op.req = req;
	op.resp = resp;
	op.code = req->params[0];
	fields = json_object();
	json_object_foreach(body, key, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL)
			json_object_set_new(fields, key, json_string("unknown field"));
	}
	if (!json_is_boolean(json_object_get(body, "enforced")))
		json_object_set_new(fields, "enforced", json_string("true or false (required)"));
	else
		strcpy(op.enforced, json_is_true(json_object_get(body, "enforced")) ? "true" : "false");
	jo = json_object_get(body, "opens");
	jc = json_object_get(body, "closes");
	if (jo != NULL && !json_is_null(jo) && (mo = hhmm(json_string_value(jo))) < 0)
		json_object_set_new(fields, "opens", json_string("\"HH:MM\" (JST) or null"));
	if (jc != NULL && !json_is_null(jc) && (mc = hhmm(json_string_value(jc))) < 0)
		json_object_set_new(fields, "closes", json_string("\"HH:MM\" (JST) or null"));
	if (json_object_get(fields, "opens") == NULL && json_object_get(fields, "closes") == NULL) {
		if ((mo < 0) != (mc < 0))
			json_object_set_new(fields, mo < 0 ? "opens" : "closes",
			    json_string("opens and closes go together"));
		else if (mo >= 0 && mo >= mc)
			json_object_set_new(fields, "closes", json_string("must be after opens"));
		else if (mo < 0 && strcmp(op.enforced, "true") == 0)
			json_object_set_new(fields, "opens",
			    json_string("enforced hours need opens and closes"));
	}
	op.opens = mo >= 0 ? json_string_value(jo) : NULL;
	op.closes = mc >= 0 ? json_string_value(jc) : NULL;
	check_weekdays(json_object_get(body, "closed_weekdays"), &op, fields);
	check_bool(body, "year_end_closed", 1, op.year_end, fields);
	check_dates(json_object_get(body, "closed_dates"), &op, fields);
	if (json_object_size(fields) > 0) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL, fields,
		    "the counter hours have invalid fields");
		goto out;
	}
	json_decref(fields);
	op.audit = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s, s:s}", "rule", "R19",
	    "enforced", op.enforced, "opens", op.opens, "closes", op.closes,
	    "closed_weekdays", op.weekdays, "year_end_closed", op.year_end,
	    "closed_dates", op.dates);
	run_tx(req, resp, hours_tx, &op);
	json_decref(op.audit);
out:
	json_decref(body);
}

/* ---------------------------------------------------------------- holidays */

void
api_holiday_list(struct api_req *req, struct api_resp *resp)
{
	const char *year = req->query != NULL ? req->query(req->hctx, "year") : NULL;
	const char *v[1] = { year };
	PGresult *res;
	json_t *a;
	int i;

	if (year != NULL && (strlen(year) != 4 || strspn(year, "0123456789") != 4)) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL,
		    json_pack("{s:s}", "year", "a year YYYY"), "year must be YYYY");
		return;
	}
	if ((res = api_read(req, resp, Q_HOLIDAY_LIST, 1, v)) == NULL)
		return;
	a = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "day", PQgetvalue(res, i, 0),
		    "name", PQgetvalue(res, i, 1)));
	PQclear(res);
	api_json(resp, 200, json_pack("{s:o}", "holidays", a));
}

static int
holiday_put_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct hours_op *op = arg;
	const char *v[2] = { op->day, op->name };
	char object[32];
	PGresult *res;
	int created;

	if ((res = store_exec(c, Q_HOLIDAY_PUT, 2, v, NULL, NULL, err)) == NULL)
		return -1;
	created = strcmp(PQgetvalue(res, 0, 2), "true") == 0;
	api_json(op->resp, created ? 201 : 200, json_pack("{s:s, s:s}", "day",
	    PQgetvalue(res, 0, 0), "name", PQgetvalue(res, 0, 1)));
	PQclear(res);
	snprintf(object, sizeof(object), "holiday:%s", op->day);
	return audit_write(c, op->req, "holiday.put", object,
	    json_pack("{s:s, s:s, s:b}", "rule", "R19", "name", op->name, "created", created),
	    err);
}

static int
day_ok(struct api_req *req, struct api_resp *resp)
{
	struct jpdate d;

	if (jpdate_parse(req->params[0], &d) == 0)
		return 1;
	not_found(resp, "day (YYYY-MM-DD)");
	return 0;
}

void
api_holiday_put(struct api_req *req, struct api_resp *resp)
{
	struct hours_op op;
	json_t *body, *name;
	const char *s, *p;
	long n;

	if (!day_ok(req, resp))
		return;
	if ((body = app_parse_body(req, resp)) == NULL)
		return;
	name = json_object_get(body, "name");
	s = json_string_value(name);
	if (json_object_size(body) != 1 || s == NULL || (n = charset_utf8_len(s)) < 1 ||
	    n > HOLIDAY_NAME_MAX) {
		api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL,
		    json_pack("{s:s}", "name", "the only member: a string of 1 to 64 characters"),
		    "the holiday needs a name");
		goto out;
	}
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			api_problem(resp, 422, "invalid-field", "Unprocessable Content", NULL,
			    json_pack("{s:s}", "name", "must not contain control characters"),
			    "the holiday name is invalid");
			goto out;
		}
	memset(&op, 0, sizeof(op));
	op.req = req;
	op.resp = resp;
	op.day = req->params[0];
	op.name = s;
	run_tx(req, resp, holiday_put_tx, &op);
out:
	json_decref(body);
}

static int
holiday_delete_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct hours_op *op = arg;
	const char *v[1] = { op->day };
	char object[32];
	PGresult *res;
	int n;

	if ((res = store_exec(c, Q_HOLIDAY_DELETE, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	if (n != 1) {
		not_found(op->resp, "holiday");
		return -1;
	}
	api_text(op->resp, 204, NULL, NULL, 0);
	snprintf(object, sizeof(object), "holiday:%s", op->day);
	return audit_write(c, op->req, "holiday.delete", object,
	    json_pack("{s:s}", "rule", "R19"), err);
}

void
api_holiday_delete(struct api_req *req, struct api_resp *resp)
{
	struct hours_op op;

	if (!day_ok(req, resp))
		return;
	memset(&op, 0, sizeof(op));
	op.req = req;
	op.resp = resp;
	op.day = req->params[0];
	run_tx(req, resp, holiday_delete_tx, &op);
}
