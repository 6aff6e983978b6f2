#!/usr/bin/env python3
"""Attack clients for tests/api/attack.sh (loopback only, bounded in time).

hold: open N connections (spread over source addresses), optionally send a
  partial request head and then one byte every INTERVAL seconds (slowloris),
  or nothing at all (idle flood). Writes a JSON state to --state every 0.1 s:
  {"opened", "open", "closed" (by the server), "max_age" (the oldest at its
  close, s), "failed" (connect failed), "connected" (1: done connecting)}; exits
  after --duration seconds, closing what is left.
send: send a request head (and optionally a slow body) and report what the
  server did: {"elapsed", "status", "ctype", "closed_after"}; the body of a
  response goes to --body.
"""
import argparse
import json
import os
import select
import socket
import ssl
import sys
import time


def sources(spec):
    if not spec:
        return [None]
    if "-" not in spec:
        return [spec]
    a, b = spec.split("-")
    pa, pb = a.split("."), b.split(".")
    return [".".join(pa[:3] + [str(i)]) for i in range(int(pa[3]), int(pb[3]) + 1)]


def write_state(path, st):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, path)


def hold(a):
    srcs = sources(a.sources)
    head = a.head.encode().decode("unicode_escape").encode()
    conns = {}          # fd -> (socket, connected at)
    st = {"opened": 0, "open": 0, "closed": 0, "max_age": 0.0, "failed": 0,
          "connected": 0}
    poll = select.poll()
    end = time.monotonic() + a.duration
    connect_end = time.monotonic() + min(5.0, a.duration)
    for i in range(a.n):
        if time.monotonic() >= connect_end:     # a server that stopped accepting
            st["failed"] += a.n - i
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        src = srcs[i % len(srcs)]
        try:
            if src:
                s.bind((src, 0))
            s.settimeout(0.5)
            s.connect((a.host, a.port))
            if head:
                s.sendall(head)
            s.setblocking(False)
        except OSError:
            st["failed"] += 1
            s.close()
            continue
        conns[s.fileno()] = (s, time.monotonic())
        poll.register(s.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
        st["opened"] += 1
    st["open"] = len(conns)
    st["connected"] = 1     # done connecting
    write_state(a.state, st)
    next_byte = time.monotonic() + a.interval if a.interval > 0 else None
    last_state = 0.0
    while time.monotonic() < end:
        for fd, _ in poll.poll(50):
            s, t0 = conns.get(fd, (None, 0))
            if s is None:
                continue
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                continue        # an answer (a refusal): the close follows
            poll.unregister(fd)
            del conns[fd]
            s.close()
            st["closed"] += 1
            st["max_age"] = max(st["max_age"], round(time.monotonic() - t0, 2))
        now = time.monotonic()
        if next_byte is not None and now >= next_byte:
            for fd, (s, _) in list(conns.items()):
                try:
                    s.send(b"a", socket.MSG_NOSIGNAL)
                except OSError:
                    pass        # counted when the poll sees it closed
            next_byte = now + a.interval
        if now - last_state >= 0.1:
            st["open"] = len(conns)
            write_state(a.state, st)
            last_state = now
    st["open"] = len(conns)
    write_state(a.state, st)
    for s, _ in conns.values():
        s.close()
    print(json.dumps(st))


def send(a):
    raw = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s = raw
    if a.tls:
        ctx = ssl.create_default_context(cafile=a.cafile)
        ctx.check_hostname = False
        if a.cert:
            ctx.load_cert_chain(a.cert, a.key)
        s = ctx.wrap_socket(raw)
    head = a.head.encode().decode("unicode_escape").encode()
    t0 = time.monotonic()
    s.sendall(head)
    out = {"elapsed": None, "status": None, "ctype": None, "closed_after": None}
    buf = b""
    sent = 0
    end = t0 + a.timeout
    s.settimeout(0.05)
    while time.monotonic() < end:
        if a.body_bytes and sent < a.body_bytes and \
                time.monotonic() >= t0 + a.body_interval * (sent + 1):
            try:
                s.send(b"0")
                sent += 1
            except OSError:
                pass
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        except (ssl.SSLError, OSError):
            data = b""
        if not data:
            out["closed_after"] = round(time.monotonic() - t0, 3)
            break
        if out["elapsed"] is None:
            out["elapsed"] = round(time.monotonic() - t0, 3)
        buf += data
        if b"\r\n\r\n" in buf:
            hdr, _, body = buf.partition(b"\r\n\r\n")
            lines = hdr.decode("latin-1").split("\r\n")
            out["status"] = int(lines[0].split()[1])
            clen = None
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                if k.lower() == "content-type":
                    out["ctype"] = v.strip()
                if k.lower() == "content-length":
                    clen = int(v.strip())
            if clen is not None and len(body) >= clen:
                if a.body:
                    with open(a.body, "wb") as f:
                        f.write(body[:clen])
                break
    out["sent"] = sent
    s.close()
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("--host", default="127.0.0.1")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--n", type=int, required=True)
    h.add_argument("--sources", default="")
    h.add_argument("--head", default="")
    h.add_argument("--interval", type=float, default=0)
    h.add_argument("--duration", type=float, required=True)
    h.add_argument("--state", required=True)
    s = sub.add_parser("send")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--head", required=True)
    s.add_argument("--tls", action="store_true")
    s.add_argument("--cafile")
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--body")
    s.add_argument("--body-bytes", type=int, default=0)
    s.add_argument("--body-interval", type=float, default=0.5)
    s.add_argument("--timeout", type=float, default=5)
    a = p.parse_args()
    (hold if a.cmd == "hold" else send)(a)


if __name__ == "__main__":
    sys.exit(main())
