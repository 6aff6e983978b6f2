/*
 * queries: the one table of prepared statements (db/queries.h). Rows are in
 * enum query_id order; store.c prepares every row on every connection.
 * Parameters that carry hashes or DER are sent in binary format.
 */
#include <config.h>

#include "db/queries.h"

const struct query queries[Q__COUNT] = {
	[Q_PING] = { Q_PING, "ping",
	    "SELECT 1", 0 },

	/*
	 * $1: SHA-256 of the client certificate's DER, 32 bytes, binary.
	 * Only enabled principals; municipality columns are NULL for every
	 * kind but terminal. principal_cert_unique() keeps this to one row.
	 */
	[Q_PRINCIPAL_BY_CERT] = { Q_PRINCIPAL_BY_CERT, "principal_by_cert",
	    "SELECT p.kind, p.id::text, p.name, p.municipality_code,"
	    " m.name, m.prefecture"
	    " FROM principals p"
	    " LEFT JOIN municipalities m ON m.code = p.municipality_code"
	    " WHERE p.cert_sha256 = $1::bytea AND p.enabled", 1 },

	/* $1: 6-digit municipality code. */
	[Q_MUNICIPALITY_GET] = { Q_MUNICIPALITY_GET, "municipality_get",
	    "SELECT code, prefecture, name FROM municipalities"
	    " WHERE code = $1::char(6)", 1 },
};
