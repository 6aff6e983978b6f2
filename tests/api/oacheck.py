#!/usr/bin/python3
"""Check an HTTP response against openapi.yaml (the contract).

usage: oacheck.py SPEC METHOD PATH STATUS CONTENT_TYPE BODY_FILE
       oacheck.py SPEC --routes ROUTES_FILE
       oacheck.py SPEC --schema NAME BODY_FILE

PATH is the concrete request path; it is matched against the spec's path
templates ({name} one segment, {name*} the rest of the path). The status must be documented for the operation (or 'default'),
the content type must be one the spec lists for it, and a JSON body must
validate against the schema. Exit 0 when it conforms; otherwise print why.

--routes takes lines "METHOD PATTERN" (the router's table) and checks that
the spec documents exactly those operations.

       oacheck.py SPEC --serve
reads one check per line on stdin (the arguments after SPEC, separated by
tabs) and answers each with one line: "ok" or "fail <reason>". The harness
(tests/api/run.sh) keeps one such process for the whole suite: loading the
spec and jsonschema once instead of once per response (about 0.8 s of CPU
each, over a thousand times per suite).
"""
import json
import re
import sys

import jsonschema
import yaml


def load(spec_path):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in
    with open(spec_path, encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)


def find_operation(spec, method, path):
    for template, item in spec.get("paths", {}).items():
        # {name} is one segment; {name*} (last) the rest of the path, '/' included.
        rx = re.sub(r"\\{[^}]+\\\*\\}", ".+", re.escape(template))
        rx = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", rx) + "$"
        if re.match(rx, path) and method.lower() in item:
            return template, item[method.lower()]
    return None, None


def check_response(spec, method, path, status, ctype, body_file):
    template, op = find_operation(spec, method, path)
    if op is None:
        return f"{method} {path}: not in openapi.yaml"
    responses = op.get("responses", {})
    resp = responses.get(str(status)) or responses.get("default")
    if resp is None:
        return f"{method} {template}: status {status} not documented"
    if "$ref" in resp:
        name = resp["$ref"].split("/")[-1]
        resp = spec["components"]["responses"][name]
    content = resp.get("content")
    ctype = ctype.split(";")[0].strip().lower()
    with open(body_file, "rb") as f:
        body = f.read()
    if not content:
        if body:
            return f"{method} {template} {status}: body not documented"
        return None
    media = None
    for k, v in content.items():
        if k.lower() == ctype:
            media = v
    if media is None:
        return f"{method} {template} {status}: content type {ctype} not in {list(content)}"
    schema = media.get("schema")
    if schema is None or not ctype.endswith("json"):
        return None
    try:
        doc = json.loads(body)
    except ValueError as e:
        return f"{method} {template} {status}: body is not JSON: {e}"
    root = dict(schema)
    root["components"] = spec.get("components", {})
    try:
        jsonschema.Draft202012Validator(root).validate(doc)
    except jsonschema.ValidationError as e:
        return f"{method} {template} {status}: {e.message} at {list(e.absolute_path)}"
    return None


def check_routes(spec, routes_file):
    documented = set()
    for template, item in spec.get("paths", {}).items():
        for m in item:
            if m in ("get", "put", "post", "delete", "patch"):
                documented.add((m.upper(), template))
    implemented = set()
    with open(routes_file, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                m, p = line.split()
                implemented.add((m, p))
    errs = []
    for m, p in sorted(implemented - documented):
        errs.append(f"route {m} {p} is not in openapi.yaml")
    for m, p in sorted(documented - implemented):
        errs.append(f"openapi.yaml documents {m} {p}, which the router does not have")
    return "\n".join(errs) or None


def check_schema(spec, name, body_file):
    with open(body_file, "rb") as f:
        doc = json.loads(f.read())
    root = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    try:
        jsonschema.Draft202012Validator(root).validate(doc)
    except jsonschema.ValidationError as e:
        return f"{name}: {e.message} at {list(e.absolute_path)}"
    return None


def check(spec, args):
    if args[0] == "--routes":
        return check_routes(spec, args[1])
    if args[0] == "--schema":
        return check_schema(spec, args[1], args[2])
    return check_response(spec, args[0], args[1], int(args[2]), args[3], args[4])


def serve(spec):
    for line in sys.stdin:
        args = line.rstrip("\n").split("\t")
        try:
            err = check(spec, args)
        except Exception as e:  # a bad request line or body: a failed check
            err = f"{type(e).__name__}: {e}"
        print("ok" if not err else "fail " + err.replace("\n", " | "), flush=True)
    return 0


def main(argv):
    spec = load(argv[1])
    if argv[2] == "--serve":
        return serve(spec)
    err = check(spec, argv[2:])
    if err:
        print(err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
