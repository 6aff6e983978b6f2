#!/usr/bin/env python3
"""Scenario 1 of tests/fault/run.sh: the client log against the database.

usage: check.py CLIENT-LOG DUMPDIR KILLS PG-RESTARTS

DUMPDIR holds tab-separated psql dumps (see run.sh, dump_db):
  certs    serial issuer type resident status reason der-hex application
  serials  serial issuer
  idem     key status response-serial          (keys fault-*)
  apps     id idempotency-key resident state   (keys fault-app-*)
  audit    serial                              (certificate.issue rows)

Prints "ok - NAME" / "not ok - NAME: detail" and "# figure: ..." lines.

How an answer lost in flight is told from a certificate nobody asked for:
every committed certificate carries its Idempotency-Key row, written in the
same transaction (idempotency.response holds its serial), so each database
certificate names the key of the request that made it. A key the client
logged a final answer for must have received exactly that certificate
(same serial, same DER). A key with no final answer is an answer lost in
flight only when the client's log shows that key's last attempt failed in
transport or with a 5xx and the client then gave up ("gave_up"); any other
certificate (no key row, a key the client never sent, or a key whose final
answer names another certificate) is unexplained and fails the suite.
"""
import collections
import hashlib
import json
import os
import sys

sys.dont_write_bytecode = True	# no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import cert_fields  # noqa: E402


def rows(path):
    with open(path) as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]


def norm(s):
    return s.lower().lstrip("0") or "0"


def main():
    log, dump, kills, restarts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    events = [json.loads(l) for l in open(log) if l.strip()]
    finals = [e for e in events if e["ev"] == "final"]
    retries = [e for e in events if e["ev"] == "retry"]
    gave_up = {e["key"]: e for e in events if e["ev"] == "gave_up"}
    got = [e for e in finals if e["status"] == 201]
    by_key = {e["key"]: e for e in finals}
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(("ok - %s" % name) if ok else ("not ok - %s: %s" % (name, detail)))

    certs = {}
    dup_serial_db = 0
    for serial, issuer, ctype, resident, status, reason, der_hex, app in rows(dump + "/certs"):
        s = norm(serial)
        if s in certs:
            dup_serial_db += 1
        der = bytes.fromhex(der_hex)
        certs[s] = dict(issuer=issuer, type=ctype, resident=resident, status=status,
                        reason=reason, der=der, app=app,
                        der_sha256=hashlib.sha256(der).hexdigest())
    serials = collections.Counter(norm(r[0]) for r in rows(dump + "/serials"))
    serial_issuer = {norm(r[0]): r[1] for r in rows(dump + "/serials")}
    idem = {r[0]: (r[1], norm(r[2]) if r[2] else "") for r in rows(dump + "/idem")}
    apps = rows(dump + "/apps")
    audit = collections.Counter(norm(r[0]) for r in rows(dump + "/audit"))

    # Every issuance ended with a final answer, and it was a certificate.
    bad = [e for e in finals if e["status"] != 201]
    check("test_fault_every_issuance_answered_201_after_retries",
          not gave_up and not bad and len(got) > 0,
          "%d gave up, %d refused (first: %s)" % (len(gave_up), len(bad),
                                                  json.dumps(bad[:1])[:400]))

    # Every certificate a client received is in the database, byte for byte.
    missing = [e for e in got if e["serial"] not in certs]
    differ = [e for e in got if e["serial"] in certs and
              certs[e["serial"]]["der_sha256"] != e["der_sha256"]]
    wrongkey = [e for e in got if e["cert_key_sha256"] != e["key_sha256"] or
                norm(e["der_serial"]) != e["serial"]]
    check("test_fault_every_received_certificate_committed_same_der",
          not missing and not differ and not wrongkey,
          "%d missing, %d with other DER, %d with another key or serial"
          % (len(missing), len(differ), len(wrongkey)))

    # No serial repeats: in the answers, in certificates, in serials.
    client_dups = len(got) - len({e["serial"] for e in got})
    serial_dups = sum(n - 1 for n in serials.values() if n > 1)
    unreserved = [s for s, c in certs.items() if serial_issuer.get(s) != c["issuer"]]
    check("test_fault_no_serial_repeats_across_certificates_and_serials",
          client_dups == 0 and dup_serial_db == 0 and serial_dups == 0 and not unreserved,
          "client %d, certificates %d, serials %d repeats; %d certificates without their "
          "reserved serial" % (client_dups, dup_serial_db, serial_dups, len(unreserved)))

    # No key yields two certificates (every CSR had its own key).
    spki = collections.Counter(hashlib.sha256(cert_fields(c["der"])[1]).hexdigest()
                               for c in certs.values())
    key_dups = sum(n - 1 for n in spki.values() if n > 1)
    check("test_fault_no_key_yields_two_certificates", key_dups == 0,
          "%d certificates share a key with another" % key_dups)

    # R9: at most one valid certificate per resident and type; the others superseded.
    per = collections.defaultdict(list)
    for c in certs.values():
        per[(c["resident"], c["type"])].append(c)
    r9 = [k for k, v in per.items() if sum(c["status"] == "valid" for c in v) != 1]
    notsup = [c for c in certs.values() if c["status"] != "valid" and c["reason"] != "superseded"]
    check("test_fault_r9_one_valid_certificate_per_resident_and_type", not r9 and not notsup,
          "%d resident/type pairs without exactly one valid, %d revoked otherwise: %s"
          % (len(r9), len(notsup), r9[:3]))

    # Nothing in the database that no client was answered about.
    serial_key = {}
    for k, (st, s) in idem.items():
        if k.startswith("fault-cert-") and s:
            serial_key.setdefault(s, []).append(k)
    unexplained, in_flight, two_keys = [], [], 0
    for s, c in certs.items():
        keys = serial_key.get(s, [])
        if len(keys) != 1:
            two_keys += len(keys) > 1
            unexplained.append((s, "keys %s" % keys))
            continue
        k = keys[0]
        e = by_key.get(k)
        if e is not None and e.get("serial") == s:
            continue
        if e is None and k in gave_up:
            in_flight.append(s)
            continue
        unexplained.append((s, "key %s answered %s" % (k, e and e.get("serial"))))
    check("test_fault_no_certificate_without_an_answer_except_in_flight", not unexplained,
          "%d unexplained: %s" % (len(unexplained), unexplained[:3]))

    # One application per application key, the one the client was answered.
    per_key = collections.Counter(a[1] for a in apps)
    app_of = {a[1]: a[0] for a in apps}
    answered = {e["app_key"]: e.get("app") for e in finals if e.get("app")}
    app_dups = sum(n - 1 for n in per_key.values() if n > 1)
    app_wrong = [k for k, a in answered.items() if app_of.get(k) != a]
    gave_up_apps = {e.get("app_key") for e in gave_up.values()} | set(gave_up)
    app_extra = [k for k in per_key if k not in answered and k not in gave_up_apps]
    check("test_fault_one_application_per_idempotency_key",
          app_dups == 0 and not app_wrong and not app_extra,
          "%d duplicated, %d answered another, %d never answered"
          % (app_dups, len(app_wrong), len(app_extra)))

    # Each certificate has exactly one certificate.issue audit row (one transaction).
    no_audit = [s for s in certs if audit.get(s, 0) != 1]
    stray_audit = [s for s in audit if s not in certs]
    check("test_fault_one_audit_row_per_certificate", not no_audit and not stray_audit,
          "%d certificates without exactly one audit row, %d audit rows without a certificate"
          % (len(no_audit), len(stray_audit)))

    why = collections.Counter(e["why"] for e in retries)
    lost = len(missing) + len(differ)
    duplicated = key_dups + client_dups + dup_serial_db + two_keys + app_dups
    print("# figure: issuances %d, kills %d, restarts %d, retries %d (%s), "
          "replayed answers %d, answers lost in flight %d, lost %d, duplicated %d"
          % (len(got), kills, restarts, len(retries),
             ", ".join("%s x%d" % kv for kv in sorted(why.items())) or "none",
             sum(1 for e in got if e.get("replayed")), len(in_flight), lost, duplicated))
    print("# figure: database: %d certificates (%d valid), %d serials reserved (%d never "
          "used: reserved before a kill, a rollback or a replay)"
          % (len(certs), sum(c["status"] == "valid" for c in certs.values()),
             sum(serials.values()), sum(serials.values()) - len(certs)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
