#!/usr/bin/env python3
"""Round trips and transactions of the role jpkid in a PostgreSQL server log.

usage: roundtrips.py LOG OFFSET [LIST]
LOG was written with log_statement = 'all' and a log_line_prefix of
'%m [%p] user=%u '; OFFSET is its size in bytes before the request. Prints
"ROUND_TRIPS TRANSACTIONS WRITE_TRANSACTIONS": every statement a jpkid
backend executed counts as one round trip (extended protocol: one Execute
each; simple protocol: one query each) but a BEGIN sent in one pipeline with
the transaction's first statement, a transaction is an explicit
BEGIN..COMMIT or a statement run outside one (autocommit), and a write
transaction is one that ran an INSERT, UPDATE, DELETE or a nextval (those
flush the WAL at commit). The transactions of jpkid's background jobs (the
audit sealer, the stats fold, the register-change sweep) are left out: they
run on their own clock, not for the request. LIST: the statements, one a line (pid, text).
"""
import re
import sys

LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] user=(\S*) LOG:  (statement|execute [^:]*): (.*)$")
BACKGROUND = re.compile(r"pg_try_advisory_xact_lock\(7678488339081176180\)|stats_fold\("
                        r"|FROM register_changes ch\s+WHERE ch\.processed_at IS NULL")
WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|nextval)\b", re.I)


def main():
    log, offset = sys.argv[1], int(sys.argv[2])
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    trips = txs = writes = 0
    seen = []
    tx = {}     # pid -> statements of its open transaction
    for line in text.splitlines():
        m = LINE.match(line)
        if m is None or m.group(2) != "jpkid":
            continue
        pid, sql = m.group(1), m.group(4).strip()
        word = sql.split(None, 1)[0].upper() if sql else ""
        if word == "BEGIN":
            # db/store.c pipelines its BEGIN with the first statement (an
            # unnamed Execute): no round trip of its own
            tx[pid] = [] if m.group(3) == "execute <unnamed>" else [sql]
            continue
        if pid in tx:
            tx[pid].append(sql)
            if word not in ("COMMIT", "ROLLBACK", "END"):
                continue
            stmts = tx.pop(pid)
            if any(BACKGROUND.search(x) for x in stmts):
                continue
            trips += len(stmts)
            txs += 1
            writes += word != "ROLLBACK" and any(WRITE.search(x) for x in stmts)
            seen += ["%s %s" % (pid, x[:90]) for x in stmts]
            continue
        if BACKGROUND.search(sql):
            continue
        trips += 1
        txs += 1
        writes += bool(WRITE.search(sql))
        seen.append("%s %s" % (pid, sql[:90]))
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            f.write("\n".join(seen) + "\n")
    print(trips, txs, writes)


if __name__ == "__main__":
    main()
