"""Validate the spec's examples and sample bodies with the reference OpenAPI 3.0 validator.

Usage: python tests/spec_oas30/validate.py SPEC.json [--samples-only] [SAMPLES.jsonl ...]
                                           [--must-fail BAD.jsonl ...]

Run by `cargo xtask spec check` (step `oas30`), with `openapi-schema-validator` pinned in
tests/requirements-spec.txt. It reads schemas by the letter of OpenAPI 3.0.3 (its
`OAS30Validator`: `nullable: true` only counts beside a `type`), so it catches what a
converter of our own could get wrong the same way as the spec.

Checked:
- every example in the spec: `example`/`default` of any schema, and `example` or
  `examples.*.value` beside a `schema` (media types, parameters, headers);
- every sample body: one JSON object per line,
  `{"what": "...", "status": 200, "content_type": "application/json", "body": ...}`,
  validated against the schema the spec declares for that status (or `default`) and
  media type of its single operation; a body whose media type the spec does not declare
  for that status is an error. `body` is the parsed JSON (or, for non-JSON media types,
  the text, checked only for the media type being declared).

`--must-fail BAD.jsonl`: samples that must each be rejected (a guard against a vacuous
check: e.g. `"enable_dns": "maybe"`, a string `total_count`, JSON where only HTML fits).

`--samples-only`: skip the spec's own examples (`cargo xtask spec fixtures` checks
openapi/fixtures/ against every blessed version this way).

Exit status 0 when everything validates (and every must-fail sample is rejected), 1
otherwise (every problem is printed).
"""

import json
import sys

from openapi_schema_validator import OAS30Validator, oas30_format_checker

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")


def esc(segment):
    return str(segment).replace("~", "~0").replace("/", "~1")


def resolve(spec, node):
    """Follows local `$ref`s (components/responses, components/examples, ...)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"non-local reference {ref}")
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
    return node


def make_validator(spec, schema):
    # The components travel with the schema so `#/components/schemas/...` resolves;
    # `allOf` keeps a `$ref` from hiding siblings (draft 4 rules).
    root = {"allOf": [schema], "components": spec.get("components", {})}
    return OAS30Validator(root, format_checker=oas30_format_checker)


def errors_of(spec, schema, instance):
    validator = make_validator(spec, schema)
    out = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
        at = "/" + "/".join(esc(p) for p in err.path)
        why = "; ".join(sub.message for sub in err.context or [])
        out.append(f"at {at}: {err.message}" + (f" ({why})" if why else ""))
    return out


def walk_schema(ptr, schema, found):
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    for key in ("example", "default"):
        if key in schema:
            found.append((f"{ptr}/{key}", schema, schema[key]))
    for name, sub in (schema.get("properties") or {}).items():
        walk_schema(f"{ptr}/properties/{esc(name)}", sub, found)
    for key in ("items", "not", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            walk_schema(f"{ptr}/{key}", schema[key], found)
    for key in SCHEMA_LISTS:
        for i, sub in enumerate(schema.get(key) or []):
            walk_schema(f"{ptr}/{key}/{i}", sub, found)


def beside_schema(spec, ptr, holder, found):
    """`example`/`examples` of a media type, parameter or header object."""
    schema = holder.get("schema")
    if schema is None:
        return
    walk_schema(f"{ptr}/schema", schema, found)
    if "example" in holder:
        found.append((f"{ptr}/example", schema, holder["example"]))
    for name, ex in (holder.get("examples") or {}).items():
        ex = resolve(spec, ex)
        if "value" in ex:
            found.append((f"{ptr}/examples/{esc(name)}/value", schema, ex["value"]))


def content(spec, ptr, holder, found):
    for media, mt in (holder.get("content") or {}).items():
        beside_schema(spec, f"{ptr}/content/{esc(media)}", mt, found)


def parameter(spec, ptr, p, found):
    if "$ref" in p:
        return
    beside_schema(spec, ptr, p, found)
    content(spec, ptr, p, found)


def response(spec, ptr, r, found):
    if "$ref" in r:
        return
    for name, h in (r.get("headers") or {}).items():
        parameter(spec, f"{ptr}/headers/{esc(name)}", h, found)
    content(spec, ptr, r, found)


def collect_examples(spec):
    found = []
    comps = spec.get("components") or {}
    for name, s in (comps.get("schemas") or {}).items():
        walk_schema(f"/components/schemas/{esc(name)}", s, found)
    for kind in ("parameters", "headers"):
        for name, p in (comps.get(kind) or {}).items():
            parameter(spec, f"/components/{kind}/{esc(name)}", p, found)
    for name, r in (comps.get("responses") or {}).items():
        response(spec, f"/components/responses/{esc(name)}", r, found)
    for path, item in (spec.get("paths") or {}).items():
        base = f"/paths/{esc(path)}"
        for i, p in enumerate(item.get("parameters") or []):
            parameter(spec, f"{base}/parameters/{i}", p, found)
        for method in HTTP_METHODS:
            op = item.get(method)
            if not op:
                continue
            for i, p in enumerate(op.get("parameters") or []):
                parameter(spec, f"{base}/{method}/parameters/{i}", p, found)
            if "requestBody" in op:
                content(spec, f"{base}/{method}/requestBody", resolve(spec, op["requestBody"]), found)
            for status, r in (op.get("responses") or {}).items():
                response(spec, f"{base}/{method}/responses/{esc(status)}", r, found)
    return found


def the_operation(spec):
    ops = [
        item[m]
        for item in (spec.get("paths") or {}).values()
        for m in HTTP_METHODS
        if m in item
    ]
    if len(ops) != 1:
        raise ValueError(f"sample bodies need exactly one operation, found {len(ops)}")
    return ops[0]


def check_sample(spec, op, sample):
    """Problems with one sample body (empty when it validates)."""
    status = str(sample["status"])
    responses = op.get("responses") or {}
    r = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
    if r is None:
        return [f"status {status} is not declared by the operation"]
    r = resolve(spec, r)
    media = sample.get("content_type", "application/json").split(";")[0].strip().lower()
    mt = (r.get("content") or {}).get(media)
    if mt is None:
        declared = ", ".join(sorted(r.get("content") or {})) or "none"
        return [f"media type {media} is not declared for status {status} (declared: {declared})"]
    if "schema" not in mt or not media.endswith("json"):
        return []
    return errors_of(spec, mt["schema"], sample["body"])


def read_samples(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    problems = []

    files = argv[2:]
    if "--samples-only" in files:
        files.remove("--samples-only")
    else:
        examples = collect_examples(spec)
        for ptr, schema, value in examples:
            for e in errors_of(spec, schema, value):
                problems.append(f"example {ptr}: {e}")
        print(f"oas30: {len(examples)} example(s) and default(s) checked with OAS30Validator")

    must_fail = []
    if "--must-fail" in files:
        i = files.index("--must-fail")
        must_fail, files = files[i + 1 :], files[:i]
    op = the_operation(spec) if files or must_fail else None
    for path in files:
        n = 0
        for sample in read_samples(path):
            n += 1
            for e in check_sample(spec, op, sample):
                problems.append(f"{path}: {sample.get('what', '?')} ({sample['status']}): {e}")
        print(f"oas30: {n} sample body(ies) from {path} checked with OAS30Validator")
    for path in must_fail:
        n = 0
        for sample in read_samples(path):
            n += 1
            if not check_sample(spec, op, sample):
                problems.append(f"{path}: {sample.get('what', '?')} ({sample['status']}): accepted, but must be rejected")
        print(f"oas30: {n} must-fail sample(s) from {path} rejected as expected" if not problems else f"oas30: {n} must-fail sample(s) from {path} checked")

    for p in problems:
        print(f"oas30: FAIL {p}")
    if problems:
        print(f"oas30: {len(problems)} problem(s)")
        return 1
    print("oas30: all valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
