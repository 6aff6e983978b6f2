#!/usr/bin/env python3
"""Load generator of tests/fault/run.sh: issuances that survive faults.

Each worker thread owns its residents (no two workers apply for the same
resident) and its CSRs (one fresh RSA-2048 key per issuance). One issuance:

    POST /v1/applications                 Idempotency-Key: fault-app-...
    POST /v1/applications/{id}/certificates  Idempotency-Key: fault-cert-...

Each request is retried with the SAME Idempotency-Key and the same body on a
transport error (connection refused or reset, timeout, TLS failure) and on
any 5xx, until a final answer (any other status) or --give-up seconds.
--drop-every N: the first attempt of every Nth certificate request of a
worker is sent and its connection closed without reading the answer (the
network lost it; the retry must get the same certificate). One
JSON line per event goes to --log (appended, flushed at once):

    {"ev": "retry", "key", "t", "why"}        an attempt without a final answer
    {"ev": "final", "key", "app_key", "resident", "type", "status", "t",
     "attempts", "replayed", "serial", "der_sha256", "key_sha256",
     "cert_key_sha256"}                        the final answer of an issuance
    {"ev": "gave_up", "key", "t", "attempts"}  no final answer within --give-up

"key_sha256" is SHA-256 of the CSR's SubjectPublicKeyInfo, "cert_key_sha256"
of the returned certificate's. The standard library only: http.client + ssl.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import ssl
import sys
import threading
import time


def tlv(b, i):
    """(tag, content start, content end) of the DER element at i."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, i + n


def children(b, start, end):
    """(tag, element start, content start, content end) of each child."""
    i = start
    while i < end:
        tag, cs, ce = tlv(b, i)
        yield tag, i, cs, ce
        i = ce


def cert_fields(der):
    """(serial hex, SPKI DER) of an X.509 certificate."""
    _, cs, ce = tlv(der, 0)
    _, _, tcs, tce = next(children(der, cs, ce))
    kids = list(children(der, tcs, tce))
    if kids[0][0] == 0xA0:	# [0] version
        kids = kids[1:]
    _, _, scs, sce = kids[0]
    serial = der[scs:sce].hex().lstrip("0") or "0"
    _, es, _, ee = kids[5]
    return serial, der[es:ee]


def csr_spki(der):
    """SPKI DER of a PKCS#10 request."""
    _, cs, ce = tlv(der, 0)
    _, _, ics, ice = next(children(der, cs, ce))
    kids = list(children(der, ics, ice))
    _, es, _, ee = kids[2]
    return der[es:ee]


def pem_der(pem):
    lines = [l for l in pem.strip().splitlines() if not l.startswith("-----")]
    return base64.b64decode("".join(lines))


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.mu = threading.Lock()

    def write(self, **ev):
        ev["t"] = round(time.time(), 3)
        with self.mu:
            self.f.write(json.dumps(ev, sort_keys=True) + "\n")
            self.f.flush()


class Worker(threading.Thread):
    def __init__(self, a, idx, residents, csrs, log):
        super().__init__(daemon=True)
        self.a, self.idx, self.residents, self.csrs, self.log = a, idx, residents, csrs, log
        self.conn = None
        self.ctx = ssl.create_default_context(cafile=a.cacert)
        self.ctx.check_hostname = False
        self.ctx.load_cert_chain(a.cert, a.key)
        host = a.url.split("//", 1)[1].rstrip("/")
        self.host, self.port = host.rsplit(":", 1)
        self.errors = 0

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None

    def attempt(self, path, body, key):
        """(status, headers, body bytes); status 0 on a transport error."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, int(self.port),
                                                        context=self.ctx,
                                                        timeout=self.a.timeout)
            self.conn.request("POST", path, body=body, headers={
                "Content-Type": "application/json", "Idempotency-Key": key})
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, r, data
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            self.close()
            return 0, None, type(e).__name__

    def drop(self, path, body, key):
        """Send the request, then close the connection unread: an answer lost in flight."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, int(self.port),
                                                        context=self.ctx,
                                                        timeout=self.a.timeout)
            self.conn.request("POST", path, body=body, headers={
                "Content-Type": "application/json", "Idempotency-Key": key})
        except (OSError, http.client.HTTPException, ssl.SSLError):
            pass
        self.close()
        return 0, None, "dropped"

    def until_final(self, path, body, key, drop=False):
        """Retry with the same key until a final answer: (status, resp, data, attempts)."""
        t0 = time.time()
        n = 0
        delay = 0.1
        while True:
            n += 1
            if drop and n == 1:
                st, r, data = self.drop(path, body, key)
                time.sleep(0.05)
            else:
                st, r, data = self.attempt(path, body, key)
            if st != 0 and st < 500:
                return st, r, data, n
            why = data if st == 0 else str(st)
            self.log.write(ev="retry", key=key, why=why, attempt=n)
            if time.time() - t0 > self.a.give_up:
                return None, None, None, n
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def run(self):
        for i, csr_path in enumerate(self.csrs):
            resident = self.residents[i % len(self.residents)]
            ctype = "sign" if (i // len(self.residents)) % 3 == 2 else "auth"
            tag = "%s-%d-%d-%s" % (self.a.tag, self.idx, i, os.urandom(4).hex())
            app_key, cert_key = "fault-app-" + tag, "fault-cert-" + tag
            with open(csr_path, "rb") as f:
                csr = f.read()
            key_sha = hashlib.sha256(csr_spki(csr)).hexdigest()
            body = json.dumps({
                "resident_code": resident, "procedure": "issue", "types": [ctype],
                "applicant": {"kind": "self"},
                "evidence": {"documents": [{"kind": "mynumber_card", "holder": "resident"}]}})
            st, r, data, n = self.until_final("/v1/applications", body, app_key)
            if st is None:
                self.log.write(ev="gave_up", key=app_key, attempts=n)
                continue
            if st != 201:
                self.log.write(ev="final", key=cert_key, app_key=app_key, resident=resident,
                               type=ctype, status=st, step="application", attempts=n,
                               body=data[:300].decode("utf-8", "replace"))
                continue
            app_id = json.loads(data)["id"]
            body = json.dumps({"type": ctype, "csr": base64.b64encode(csr).decode()})
            drop = self.a.drop_every > 0 and i % self.a.drop_every == self.a.drop_every - 1
            st, r, data, m = self.until_final("/v1/applications/%s/certificates" % app_id,
                                              body, cert_key, drop)
            if st is None:
                self.log.write(ev="gave_up", key=cert_key, app_key=app_key, attempts=m,
                               key_sha256=key_sha)
                continue
            ev = dict(ev="final", key=cert_key, app_key=app_key, app=app_id,
                      resident=resident, type=ctype, status=st, attempts=n + m,
                      replayed=r.getheader("Idempotent-Replayed") == "true",
                      key_sha256=key_sha)
            if st == 201:
                j = json.loads(data)
                der = pem_der(j["certificate"])
                serial, spki = cert_fields(der)
                ev.update(serial=j["serial"].lower().lstrip("0"), der_serial=serial,
                          der_sha256=hashlib.sha256(der).hexdigest(),
                          cert_key_sha256=hashlib.sha256(spki).hexdigest())
            else:
                ev["body"] = data[:300].decode("utf-8", "replace")
            self.log.write(**ev)
        self.close()


def main():
    p = argparse.ArgumentParser()
    for o in ("url", "cacert", "cert", "key", "residents", "csrs", "log"):
        p.add_argument("--" + o, required=True)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--give-up", type=float, default=90)
    p.add_argument("--tag", default="r")
    p.add_argument("--drop-every", type=int, default=0,
                   help="every Nth certificate POST of a worker: send, then hang up unread")
    a = p.parse_args()
    residents = [l.strip() for l in open(a.residents) if l.strip()]
    csrs = [l.strip() for l in open(a.csrs) if l.strip()]
    if len(residents) < a.workers:
        sys.exit("client.py: fewer residents than workers")
    log = Log(a.log)
    ws = []
    for w in range(a.workers):
        ws.append(Worker(a, w, residents[w::a.workers], csrs[w::a.workers], log))
    for w in ws:
        w.start()
    for w in ws:
        w.join()


if __name__ == "__main__":
    main()
