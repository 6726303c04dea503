"""`vpcep endpoints list` for inventory work, checked with the reference tools (issue 23):

* `--query EXPR` gives what Python's reference `jmespath` gives for the same expression on
  the same document (`-o json`: the whole `{"endpoints": [...], "total_count": N}`;
  `-o jsonl`: each endpoint, null results left out), on the fake's generated data, its
  quirky shapes, and a recorded response with unknown fields;
* `-o csv` read back with Python's `csv` module gives the values of `-o json`.

Binaries: $VPCEP_FAKE_BIN and $VPCEP_BIN (set by .ci/fake.sh), else the release build.
"""

import csv
import io
import json
import subprocess
from pathlib import Path

import jmespath
import pytest

from fake import ROOT, Fake, binary

# Expressions on the whole document (-o json): filters, projections, slices, pipes,
# multi-select, functions (length, sort, sort_by, max_by, min_by, sum, avg, contains,
# starts_with, join, keys, map, not_null, to_string, reverse, type).
DOCUMENT_EXPRESSIONS = [
    "total_count",
    "length(endpoints)",
    "endpoints[?status=='accepted'].id",
    "length(endpoints[?status=='pendingAcceptance'])",
    "endpoints[*].{id: id, status: status}",
    "endpoints[?enable_dns].id",
    "endpoints[?!enable_dns].id",
    "sort_by(endpoints, &created_at)[*].id",
    "max_by(endpoints, &marker_id).id",
    "min_by(endpoints, &marker_id).id",
    "endpoints[].tags[].key",
    "endpoints[?contains(endpoint_service_name, 'obs')].endpoint_service_name",
    "endpoints[?starts_with(id, 'a')].id",
    "sort(endpoints[].status)",
    "endpoints[0:5].id",
    "endpoints[::-1][0].id",
    "endpoints[?length(tags || `[]`) > `1`].id",
    "keys(endpoints[0])",
    "endpoints[].dns_names[] | [0:3]",
    "sum(endpoints[].marker_id)",
    "avg(endpoints[].marker_id)",
    "endpoints[?status=='accepted' && service_type=='interface'].vpc_id",
    "join(',', endpoints[0:3].id)",
    "endpoints[?ip == null].id",
    "map(&to_string(marker_id), endpoints[0:3])",
    "not_null(endpoints[0].ip, 'none')",
    "endpoints[?vpc_id=='no-such-vpc'] | [0]",
    "reverse(endpoints[-3:].id)",
    "endpoints[?active_status[0]=='active'].id | length(@)",
    "endpoints[].type(enable_whitelist)",
    # VPCs with an endpoint to a service (README, "Questions people ask").
    "sort(endpoints[?contains(endpoint_service_name, 'obs')].vpc_id) | [0:5]",
]

# Expressions on each endpoint (-o jsonl).
ENDPOINT_EXPRESSIONS = [
    "status",
    "{id: id, keys: tags[].key}",
    "status=='accepted' && id || null",
    "length(tags || `[]`)",
    "[id, marker_id, enable_dns]",
    "contains(endpoint_service_name, 'obs') && {id: id, vpc: vpc_id} || null",
    "policy_document",
]

SOURCES = {
    "generated": ["--generate", "120", "--seed", "5"],
    "quirky": ["--generate", "120", "--seed", "9", "--quirks"],
    "recorded": ["--data", str(ROOT / "crates/vpcep-fake/data/recorded_example.json")],
}


@pytest.fixture(scope="module", params=sorted(SOURCES))
def fake(request):
    f = Fake("--no-auth", *SOURCES[request.param])
    yield f
    f.stop()


def run(fake, *args):
    return subprocess.run(
        [binary("VPCEP_BIN", "vpcep"), "--endpoint-url", fake.url, "--project-id",
         "295dacf46a4842fcbf7844dc2dc2489d", "--token", "t", "endpoints", "list", "--all",
         *args],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
    )


def vpcep(fake, *args):
    out = run(fake, *args)
    assert out.returncode == 0, out.stderr
    return out.stdout





@pytest.fixture(scope="module")
def document(fake):
    doc = json.loads(vpcep(fake, "-o", "json"))
    assert doc["endpoints"], "the fake serves endpoints"
    return doc


def test_enough_expressions():
    assert len(DOCUMENT_EXPRESSIONS) + len(ENDPOINT_EXPRESSIONS) >= 20


def reference_or_error(search):
    try:
        return search(), None
    except jmespath.exceptions.JMESPathError as e:
        return None, e


def check(fake, search, parse, *args):
    """vpcep's output, parsed by `parse`, equals `search()` (the reference); where the
    reference raises (e.g. max_by over endpoints some of which lack the key), vpcep fails
    with a --query usage error (exit 2) and prints nothing."""
    want, error = reference_or_error(search)
    out = run(fake, *args)
    if error is not None:
        assert out.returncode == 2, (error, out.stdout[:200])
        assert "--query" in out.stderr and out.stdout == "", out.stderr
        return
    assert out.returncode == 0, out.stderr
    assert parse(out.stdout) == want


@pytest.mark.parametrize("expression", DOCUMENT_EXPRESSIONS)
def test_query_on_the_document_equals_python_jmespath(fake, document, expression):
    check(fake, lambda: jmespath.search(expression, document), json.loads,
          "-o", "json", "--query", expression)


@pytest.mark.parametrize("expression", ENDPOINT_EXPRESSIONS)
def test_query_on_each_endpoint_equals_python_jmespath(fake, document, expression):
    def search():
        results = (jmespath.search(expression, e) for e in document["endpoints"])
        return [r for r in results if r is not None]

    def parse(text):
        return [json.loads(line) for line in text.splitlines()]

    check(fake, search, parse, "-o", "jsonl", "--query", expression)


def test_an_expression_the_reference_refuses_on_the_data_is_refused(fake, document):
    # Known to fail on the data: abs() of an array.
    expression = "abs(endpoints)"
    with pytest.raises(jmespath.exceptions.JMESPathError):
        jmespath.search(expression, document)
    out = run(fake, "--query", expression)
    assert out.returncode == 2 and "--query" in out.stderr


def cell(value):
    """What a CSV cell holds for a JSON value (README: -o csv)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_csv_reads_back_to_the_values_of_json(fake, document):
    text = vpcep(fake, "-o", "csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["id", "status", "endpoint_service_name"]
    assert len(body) == len(document["endpoints"])
    for endpoint, row in zip(document["endpoints"], body):
        assert len(row) == len(header)
        for name, value in zip(header, row):
            want = endpoint.get(name)
            if isinstance(want, (list, dict, bool, int, float)):
                assert json.loads(value) == want, name
            else:
                assert value == cell(want), name


def test_csv_with_fields_reads_back(fake, document):
    text = vpcep(fake, "-o", "csv", "--fields", "id,tags.key,enable_dns")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(document["endpoints"])
    for endpoint, row in zip(document["endpoints"], rows):
        assert row["id"] == endpoint["id"]
        keys = jmespath.search("tags[].key", endpoint)
        assert (json.loads(row["tags.key"]) if row["tags.key"] else None) == keys
        assert (json.loads(row["enable_dns"]) if row["enable_dns"] else None) == endpoint.get("enable_dns")
