/*
 * queries: the one table of prepared statements. Every pool connection
 * prepares all of them (store.c). Add a statement by adding an id here and
 * a row in queries.c, in the same order.
 */
#ifndef JPKI_QUERIES_H
#define JPKI_QUERIES_H

enum query_id {
	Q_PING,			/* SELECT 1 */
	Q_PRINCIPAL_BY_CERT,	/* $1 bytea sha256 -> kind, id, name, municipality_code, municipality_name, prefecture */
	Q_MUNICIPALITY_GET,	/* $1 code -> code, prefecture, name */
	Q__COUNT
};

struct query {
	enum query_id	 id;
	const char	*name;	/* prepared statement name */
	const char	*sql;
	int		 nparams;
};

extern const struct query queries[Q__COUNT];

#endif
