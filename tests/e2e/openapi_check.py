#!/usr/bin/env python3
"""Checks HTTP exchanges against mamori's OpenAPI 3.1 document.

Used by tests/e2e/server_test.sh. Needs python3-jsonschema (Debian) or any
jsonschema with Draft 2020-12; nothing else.

  openapi_check.py DOC document
      The document is OpenAPI 3.1: every schema is a valid Draft 2020-12
      schema and every $ref resolves. (Also runs openapi-spec-validator when
      it happens to be installed.)
  openapi_check.py DOC batch LIST_FILE [SEEN_FILE]
      Each line of LIST_FILE is one exchange, tab-separated:
      "METHOD TARGET STATUS CONTENT_TYPE BODY_FILE [REQUEST_FILE [DESCRIPTION]]".
      The response must be documented for that path, method and status and
      its body must match the schema; for a 2xx answer the request body
      (unless REQUEST_FILE is "-" or absent) must match the request schema.
      Appends "METHOD PATH_TEMPLATE STATUS" of each to SEEN_FILE.
  openapi_check.py DOC schema NAME BODY_FILE
      The body matches components/schemas/NAME.
  openapi_check.py DOC coverage SEEN_FILE [EXEMPT_FILE]
      Every documented (method, path, status) was seen, except ranges such
      as 5XX and the lines of EXEMPT_FILE ("METHOD PATH STATUS # why").

Prints one line per problem on stderr; exits 1 if there is any.
"""
import json
import sys

import jsonschema

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Problem(Exception):
    pass


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def validator_for(doc, schema):
    """A Draft 2020-12 validator for `schema`, with "#/components/..." refs
    resolving into the document (the document is the root resource)."""
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc.get("components", {}),
        "allOf": [schema],
    }
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def check_instance(doc, schema, instance, what):
    errors = sorted(validator_for(doc, schema).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        lines = []
        for e in errors[:5]:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            lines.append(f"{what}: at {where}: {e.message[:300]}")
        raise Problem("\n".join(lines))


def match_path(doc, target):
    """The path template of the document that matches `target`."""
    path = target.split("?", 1)[0]
    parts = path.strip("/").split("/") if path != "/" else []
    for template in doc["paths"]:
        t = template.strip("/").split("/")
        if len(t) != len(parts):
            continue
        if all((a.startswith("{") and a.endswith("}") and b) or a == b for a, b in zip(t, parts)):
            return template
    raise Problem(f"{path}: no such path in the document")


def operation(doc, method, target):
    template = match_path(doc, target)
    op = doc["paths"][template].get(method.lower())
    if op is None:
        raise Problem(f"{method} {template}: method not documented")
    return template, op


def deref(doc, obj):
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        if not ref.startswith("#/"):
            raise Problem(f"{ref}: only local references are supported")
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def check_response(doc, method, target, status, content_type, body_file):
    template, op = operation(doc, method, target)
    responses = op["responses"]
    key = str(status)
    if key not in responses:
        key = f"{str(status)[0]}XX"
    if key not in responses:
        key = "default"
    if key not in responses:
        raise Problem(f"{method} {template}: status {status} is not documented")
    response = deref(doc, responses[key])
    content = response.get("content", {})
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in content:
        raise Problem(f"{method} {template} {status}: content type {content_type!r} "
                      f"is not documented ({', '.join(content) or 'none'})")
    with open(body_file, "rb") as f:
        raw = f.read()
    schema = content[media].get("schema", {})
    if media == "application/json":
        try:
            instance = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise Problem(f"{method} {template} {status}: the body is not JSON ({e})")
    else:
        instance = raw.decode("utf-8")
    check_instance(doc, schema, instance, f"{method} {template} {status}")
    return f"{method.upper()} {template} {key}"


def check_request(doc, method, target, body_file):
    template, op = operation(doc, method, target)
    body = deref(doc, op.get("requestBody", {}))
    with open(body_file, "rb") as f:
        raw = f.read()
    if not raw.strip():
        if body.get("required"):
            raise Problem(f"{method} {template}: the request body is required")
        return
    content = body.get("content", {})
    if content and "application/json" not in content:
        return  # a non-JSON body (POST /v1/import takes JSON lines): not checked here
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        raise Problem(f"{method} {template}: takes no JSON body")
    check_instance(doc, schema, json.loads(raw.decode("utf-8")), f"{method} {template} request")


def check_document(doc):
    problems = []
    if not str(doc.get("openapi", "")).startswith("3.1"):
        problems.append("openapi: expected 3.1.x")
    for field in ("info", "paths", "components"):
        if field not in doc:
            problems.append(f"{field}: missing")

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    deref(doc, {"$ref": ref})
                except (KeyError, Problem):
                    problems.append(f"{where}: $ref {ref} does not resolve")
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for n, v in enumerate(node):
                walk(v, f"{where}/{n}")

    walk(doc, "#")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            problems.append(f"components/schemas/{name}: {e.message}")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            if not op.get("responses"):
                problems.append(f"{method.upper()} {path}: no responses")
            for requirement in op.get("security", doc.get("security", [])):
                for scheme in requirement:
                    if scheme not in schemes:
                        problems.append(f"{method.upper()} {path}: unknown scheme {scheme}")
            for status, response in op.get("responses", {}).items():
                for media in deref(doc, response).get("content", {}).values():
                    try:
                        jsonschema.Draft202012Validator.check_schema(media.get("schema", {}))
                    except jsonschema.SchemaError as e:
                        problems.append(f"{method.upper()} {path} {status}: {e.message}")
    try:
        from openapi_spec_validator import validate  # optional, not a Debian package
    except ImportError:
        validate = None
    if validate is not None:
        try:
            validate(doc)
        except Exception as e:  # noqa: BLE001 - report whatever it finds
            problems.append(f"openapi-spec-validator: {str(e).splitlines()[0]}")
    if problems:
        raise Problem("\n".join(problems))


def documented(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                for status in op["responses"]:
                    yield f"{method.upper()} {path} {status}"


def read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [line.split("#", 1)[0].strip() for line in f]
    except FileNotFoundError:
        return []


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    doc = load(argv[1])
    command, args = argv[2], argv[3:]
    seen = []
    try:
        if command == "document":
            check_document(doc)
        elif command == "batch":
            problems = []
            with open(args[0], encoding="utf-8") as f:
                lines = f.read().splitlines()
            for line in lines:
                if not line.strip():
                    continue
                fields = line.split("\t")
                method, target, status, ctype, body_file = fields[:5]
                request_file = fields[5] if len(fields) > 5 else "-"
                description = fields[6] if len(fields) > 6 else f"{method} {target}"
                try:
                    seen.append(check_response(doc, method, target, status, ctype, body_file))
                    if request_file != "-" and status.startswith("2"):
                        check_request(doc, method, target, request_file)
                except Problem as e:
                    problems.append(f"{description}: {e}")
            seen_file = args[1] if len(args) > 1 else None
            if problems:
                raise Problem("\n".join(problems[:20]) + f"\n({len(problems)} of {len(lines)})")
        elif command == "schema":
            check_instance(doc, {"$ref": f"#/components/schemas/{args[0]}"}, load(args[1]),
                           args[0])
        elif command == "coverage":
            got = set(read_lines(args[0]))
            exempt = set(read_lines(args[1])) if len(args) > 1 else set()
            missing = [d for d in documented(doc)
                       if d not in got and d not in exempt and not d.endswith("XX")]
            if missing:
                raise Problem("not exercised: " + "; ".join(missing))
        else:
            print(f"unknown command {command}", file=sys.stderr)
            return 2
    except Problem as e:
        print(str(e), file=sys.stderr)
        return 1
    if seen and seen_file:
        with open(seen_file, "a", encoding="utf-8") as f:
            for s in seen:
                f.write(s + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
