/*
 * cert_search: GET /v1/certificates for operators (viewer).
 *
 *	?resident_code=&municipality=&type=&status=&serial=&limit=&cursor=
 *
 * Newest first by (issued_at, serial), paged by that key: the cursor is
 * "<issued_at to the microsecond, UTC>|<serial hex>" of the last row. No
 * names, no DER: the serial, type, status, resident code, municipality (the
 * CRL shard), validity, revocation and the application. Every call reads
 * personal data (who holds which certificate), so the search and its audit
 * row ("certificate.search": the filters and the count) are one
 * transaction: no answer without its audit row.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/audit.h"
#include "api/operators/mgmt.h"

struct search {
	struct api_req	*req;
	struct api_resp	*resp;
	struct api_page	 pg;
	const char	*v[8];
	char		 after_at[40], after_serial[48], lim[16];
	json_t		*filters;
};

static json_t *
cert_json(const PGresult *res, int row)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "serial", PQgetvalue(res, row, 0),
	    "type", PQgetvalue(res, row, 1),
	    "status", PQgetvalue(res, row, 2),
	    "resident_code", PQgetvalue(res, row, 3),
	    "municipality", PQgetvalue(res, row, 4),
	    "not_before", mgmt_time(res, row, 5),
	    "not_after", mgmt_time(res, row, 6),
	    "issued_at", mgmt_time(res, row, 7),
	    "revoked_at", mgmt_time(res, row, 8),
	    "reason", mgmt_str(res, row, 9),
	    "application_id", mgmt_str(res, row, 10));

	if (o == NULL)
		abort();
	return o;
}

static int
digits(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789") == n;
}

static int
hex_ok(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n >= 2 && n <= max && n % 2 == 0 && s[n] == '\0';
}

/* Lower-case copy of a hex serial (clients may send upper case). */
static const char *
lower(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	buf[i] = '\0';
	return buf;
}

/* The cursor "YYYY-MM-DDTHH:MM:SS.uuuuuuZ|hex" into after_at / after_serial. */
static int
cursor_split(struct search *s)
{
	const char *bar = strchr(s->pg.after, '|');
	size_t n;

	if (bar == NULL || (n = (size_t)(bar - s->pg.after)) != 27 ||
	    strspn(s->pg.after, "0123456789-:T.Z") != n || !hex_ok(bar + 1, 40))
		return -1;
	memcpy(s->after_at, s->pg.after, n);
	s->after_at[n] = '\0';
	snprintf(s->after_serial, sizeof(s->after_serial), "%s", bar + 1);
	return 0;
}

/* Read and check the filters into s->v[0..3] (serial: the caller). 0, or -1 with a 400. */
static int
parse_filters(struct search *s)
{
	struct api_req *req = s->req;
	const char *p;

	if ((p = mgmt_query(req, "resident_code")) != NULL && !digits(p, 11)) {
		mgmt_bad_query(s->resp, "resident_code", "11 digits");
		return -1;
	}
	s->v[0] = p;
	if ((p = mgmt_query(req, "municipality")) != NULL && !digits(p, 6)) {
		mgmt_bad_query(s->resp, "municipality", "a municipality code (6 digits)");
		return -1;
	}
	s->v[1] = p;
	if ((p = mgmt_query(req, "type")) != NULL && strcmp(p, "sign") != 0 &&
	    strcmp(p, "auth") != 0) {
		mgmt_bad_query(s->resp, "type", "sign or auth");
		return -1;
	}
	s->v[2] = p;
	if ((p = mgmt_query(req, "status")) != NULL && strcmp(p, "valid") != 0 &&
	    strcmp(p, "revoked") != 0) {
		mgmt_bad_query(s->resp, "status", "valid or revoked");
		return -1;
	}
	s->v[3] = p;
	s->v[4] = NULL;
	return 0;
}

static int
search_tx(struct store_conn *c, void *arg, struct store_err *err)
{
	struct search *s = arg;
	PGresult *res;
	json_t *body, *detail;
	int n;

	if ((res = store_exec(c, Q_MGMT_CERT_SEARCH, 8, s->v, NULL, NULL, err)) == NULL)
		return -1;
	n = PQntuples(res);
	{
		json_t *items = json_array();
		int i;

		for (i = 0; i < n && i < s->pg.limit; i++)
			json_array_append_new(items, cert_json(res, i));
		if (n > s->pg.limit) {
			char key[96];

			snprintf(key, sizeof(key), "%s|%s", PQgetvalue(res, s->pg.limit - 1, 11),
			    PQgetvalue(res, s->pg.limit - 1, 0));
			body = api_page_body(items, key);
		} else
			body = api_page_body(items, NULL);
	}
	PQclear(res);
	detail = json_pack("{s:O, s:i, s:b}", "filters", s->filters,
	    "count", n > s->pg.limit ? s->pg.limit : n, "more", n > s->pg.limit);
	if (audit_write(c, s->req, "certificate.search", "certificates", detail, err) != 0) {
		json_decref(body);
		return -1;
	}
	api_json(s->resp, 200, body);
	return 0;
}

void
api_certificate_search(struct api_req *req, struct api_resp *resp)
{
	static const char *const names[] = { "resident_code", "municipality", "type", "status",
	    "serial", NULL };
	struct search s;
	char serial[48];
	const char *p;
	int i;

	memset(&s, 0, sizeof(s));
	s.req = req;
	s.resp = resp;
	if (api_page_parse(req, resp, &s.pg) != 0 || parse_filters(&s) != 0)
		return;
	if ((p = mgmt_query(req, "serial")) != NULL) {
		lower(p, serial, sizeof(serial));
		if (strlen(p) >= sizeof(serial) || !hex_ok(serial, 40)) {
			mgmt_bad_query(resp, "serial", "the serial in hex (even length, at most 40)");
			return;
		}
		s.v[4] = serial;
	}
	if (s.pg.has_after && cursor_split(&s) != 0) {
		mgmt_bad_query(resp, "cursor", "the next_cursor of a previous page");
		return;
	}
	s.v[5] = s.pg.has_after ? s.after_at : NULL;
	s.v[6] = s.pg.has_after ? s.after_serial : NULL;
	s.v[7] = api_page_limit_plus_one(&s.pg, s.lim, sizeof(s.lim));
	s.filters = json_object();
	for (i = 0; names[i] != NULL; i++)
		if (s.v[i] != NULL)
			json_object_set_new(s.filters, names[i], json_string(s.v[i]));
	if (s.pg.has_after)
		json_object_set_new(s.filters, "cursor", json_true());
	mgmt_run_tx(req, resp, search_tx, &s);
	json_decref(s.filters);
}
