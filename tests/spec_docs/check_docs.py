#!/usr/bin/env python3
"""Checks the HTML API reference rendered by `cargo xtask spec docs`.

Usage: check_docs.py PAGE.html SPEC.json [--screenshot OUT.png]

Opens PAGE.html in headless Debian Chromium (/usr/bin/chromium, or $CHROMIUM), lets its
JavaScript run, dumps the resulting DOM and checks that the page shows, as text of their
own:

- every operation: its path, summary and operationId (Redoc's anchor `operation/<id>`);
- the name of every parameter of every operation;
- the name of every property of EndpointResp (the endpoint objects of the 200 response).

The lists are read from SPEC.json (the canonical bundle), never hard-coded. Standard
library only. Prints 'N passed, N failed' and exits non-zero on any failure.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]
METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
SKIP_TAGS = {"script", "style", "noscript", "template"}


class DomText(HTMLParser):
    """Collects the page's text nodes (stripped) and its id/href attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts = set()
        self.all_text = []
        self.anchors = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skip += 1
        for name, value in attrs:
            if name in ("id", "href", "data-section-id") and value:
                self.anchors.add(value)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            return
        text = data.strip()
        if text:
            self.texts.add(text)
            self.all_text.append(text)


def chromium_binary():
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("chromium not found: install it with `apt-get install -y chromium` (or run .ci/spec.sh)")


def render(page, fragment="", screenshot=None):
    """Returns the DOM of PAGE (at #FRAGMENT) after its scripts ran."""
    chromium = chromium_binary()
    url = Path(page).resolve().as_uri() + fragment
    with tempfile.TemporaryDirectory(prefix="spec-docs-chromium-") as profile:
        base = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                "--virtual-time-budget=20000", "--window-size=1400,2400"]
        dom = subprocess.run(
            [*base, "--dump-dom", url],
            check=True, capture_output=True, text=True, timeout=180,
        ).stdout
        if screenshot:
            subprocess.run(
                [*base, f"--screenshot={Path(screenshot).resolve()}", url],
                check=True, capture_output=True, timeout=180,
            )
    return dom


def resolve(spec, obj):
    ref = obj.get("$ref") if isinstance(obj, dict) else None
    if not ref:
        return obj
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return resolve(spec, node)


def operations(spec):
    """(path, method, operation, parameters) for every operation of the spec."""
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op:
                params = [resolve(spec, p) for p in shared + op.get("parameters", [])]
                yield path, method, op, params


def find_operation_link(anchors, operation_id):
    """Redoc 3 routes each operation to `#/<tag>/<operationid, lower-cased>`."""
    wanted = operation_id.lower()
    for a in sorted(anchors):
        if a.startswith("#/") and a.rstrip("/").split("/")[-1] == wanted:
            return a
    return None


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"MISSING {what}")


def main(argv):
    screenshot = None
    if "--screenshot" in argv:
        i = argv.index("--screenshot")
        screenshot = argv[i + 1]
        del argv[i : i + 2]
    if len(argv) != 2:
        sys.exit(__doc__)
    page, spec_path = argv
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    fields = list(spec["components"]["schemas"]["EndpointResp"]["properties"])
    checks = Checks()

    # The overview page: the API's title and a link to every operation.
    overview = DomText()
    overview.feed(render(page))
    if not overview.all_text:
        sys.exit("the rendered page has no text at all")
    checks.expect(spec["info"]["title"] in overview.texts, f"title {spec['info']['title']!r}")

    # Each operation's own page: path, summary, every parameter; for ListEndpoints every
    # field of EndpointResp (the 200 response is expanded by redocly.yaml).
    for path, method, op, params in operations(spec):
        op_id = op["operationId"]
        link = find_operation_link(overview.anchors, op_id)
        checks.expect(link is not None, f"link to operation {op_id!r} on the overview page")
        if link is None:
            continue
        dom = DomText()
        dom.feed(render(page, link, screenshot if op_id == "ListEndpoints" else None))
        checks.expect(path in dom.texts, f"{op_id}: path {path!r}")
        checks.expect(method.upper() in {t.upper() for t in dom.texts}, f"{op_id}: method {method}")
        if "summary" in op:
            checks.expect(op["summary"] in dom.texts, f"{op_id}: summary {op['summary']!r}")
        for p in params:
            checks.expect(p["name"] in dom.texts, f"{op_id}: {p['in']} parameter {p['name']!r}")
        if op_id == "ListEndpoints":
            for name in fields:
                checks.expect(name in dom.texts, f"{op_id}: EndpointResp field {name!r}")

    print(f"spec docs: {page} checked against {spec_path} in headless Chromium")
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
