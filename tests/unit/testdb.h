/*
 * testdb: helpers for the Check suites that need PostgreSQL (JPKID_TEST_DB):
 * connect, run SQL that must succeed, read one value, and derive the
 * conninfo of a per-run database. Failures are Check assertions.
 */
#ifndef JPKI_TESTDB_H
#define JPKI_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <libpq-fe.h>

/*
 * Conninfo of base with dbname replaced. Works for key=value strings and
 * URIs alike (PQconninfoParse understands both). Caller frees.
 */
static inline char *
conninfo_with_db(const char *base, const char *dbname)
{
	PQconninfoOption *opts, *o;
	char *out, *p;
	const char *v, *s;
	size_t cap = 64;

	opts = PQconninfoParse(base, NULL);
	ck_assert_msg(opts != NULL, "JPKID_TEST_DB is not a valid conninfo");
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL)
			cap += strlen(o->keyword) + 2 * strlen(o->val) + 4;
	cap += strlen(dbname) * 2 + 16;
	p = out = malloc(cap);
	ck_assert_ptr_nonnull(out);
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "dbname") == 0)
			v = dbname;
		else if ((v = o->val) == NULL)
			continue;
		p += sprintf(p, "%s='", o->keyword);
		for (s = v; *s != '\0'; s++) {
			if (*s == '\'' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		p += sprintf(p, "' ");
	}
	*p = '\0';
	PQconninfoFree(opts);
	return out;
}

static inline void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static inline PGconn *
connect_or_fail(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);

	ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "connect: %s", PQerrorMessage(conn));
	PQsetNoticeProcessor(conn, quiet, NULL);	/* DROP ... IF EXISTS notices */
	return conn;
}

/* Run sql on conn and insist it succeeds. */
static inline void
must(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);

	ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	PQclear(res);
}

/*
 * A new empty database name (dropped first if an earlier run left it) on
 * the server of base; its conninfo, which the caller frees.
 */
static inline char *
fresh_db(const char *base, const char *name)
{
	PGconn *admin = connect_or_fail(base);
	char sql[160];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	must(admin, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", name);
	must(admin, sql);
	PQfinish(admin);
	return conninfo_with_db(base, name);
}

/* The single value of a one-row, one-column query, as a long. */
static inline long
scalar(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	long v;

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	    "%s: %s", sql, PQresultErrorMessage(res));
	v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

#endif
