#!/usr/bin/env python3
"""Compare the database parts of a GET /v1/stats body with stats_truth.
usage: stats_cmp.py STATS.json TRUTH.json [key...]   (exit 1 and the first
difference on stderr). Municipality entries that are all zero are left out
on both sides (a rollup may keep a municipality whose counts went to 0)."""
import json
import sys

KEYS = ["certificates", "municipalities", "daily", "revocation_reasons", "renewals_due"]


def munis(v):
    out = []
    for m in v:
        if any(m[t][s] for t in ("sign", "auth") for s in ("valid", "expired", "revoked")):
            out.append({"code": m["code"], "sign": m["sign"], "auth": m["auth"]})
    return out


def main():
    got = json.load(open(sys.argv[1]))
    want = json.load(open(sys.argv[2]))
    keys = sys.argv[3:] or KEYS
    for k in keys:
        g, w = got.get(k), want.get(k)
        if k == "municipalities":
            g, w = munis(g or []), munis(w or [])
        if g != w:
            if isinstance(g, list) and isinstance(w, list):
                for i, (a, b) in enumerate(zip(g, w)):
                    if a != b:
                        print(f"{k}[{i}]: got {json.dumps(a)} want {json.dumps(b)}", file=sys.stderr)
                        break
                else:
                    print(f"{k}: lengths {len(g)} vs {len(w)}", file=sys.stderr)
            else:
                print(f"{k}: got {json.dumps(g)} want {json.dumps(w)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
