"""The installed vpcep-fake wheel: its binary, its version, and its pytest plugin.

Run by .ci/wheel.sh in a fresh venv holding only the wheel, pytest and httpx (no
VPCEP_FAKE_BIN: the fake must come from the wheel).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import vpcep_fake
from vpcep_fake import FakeError, FakeServer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "openapi" / "fixtures"


def crate_version() -> str:
    text = (ROOT / "crates" / "vpcep-fake" / "Cargo.toml").read_text(encoding="utf-8")
    m = re.search(r'^version = "([^"]+)"', text, re.M)
    assert m, "no version in crates/vpcep-fake/Cargo.toml"
    return m.group(1)


def test_the_binary_is_the_wheels():
    if os.environ.get("VPCEP_FAKE_BIN"):
        pytest.skip("VPCEP_FAKE_BIN is set: not testing the wheel's binary")
    path = Path(vpcep_fake.binary()).resolve()
    assert path.is_relative_to(Path(sys.prefix).resolve()), path
    out = subprocess.run([str(path), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert "--generate" in out.stdout and "--fail-html" in out.stdout


def test_the_wheels_version_is_the_crates():
    assert importlib.metadata.version("vpcep-fake") == crate_version()


def test_the_plugin_is_registered_by_the_entry_point():
    eps = importlib.metadata.entry_points(group="pytest11")
    assert any(ep.value == "vpcep_fake.pytest_plugin" for ep in eps)


def test_generated_data_and_token_auth(vpcep_fake):
    fake = vpcep_fake(generate=25, seed=3, token="wheel-token")
    assert fake.url.startswith("http://127.0.0.1:")
    ok = httpx.get(fake.list_url(), params={"limit": 10}, headers={"X-Auth-Token": "wheel-token"})
    assert ok.status_code == 200
    assert ok.json()["total_count"] == 25
    assert len(ok.json()["endpoints"]) == 10
    refused = httpx.get(fake.list_url(), headers={"X-Auth-Token": "other"})
    assert refused.status_code == 401


def test_quirks(vpcep_fake):
    fake = vpcep_fake(generate=10, seed=3, quirks=True, no_auth=True)
    endpoints = httpx.get(fake.list_url()).json()["endpoints"]
    assert {e["enable_dns"] for e in endpoints} <= {"true", "false"}


def test_faults_429_and_html_502(vpcep_fake):
    throttled = vpcep_fake(no_auth=True, fail_rate=1, fail_status=429)
    resp = httpx.get(throttled.list_url())
    assert resp.status_code == 429
    assert resp.headers["retry-after"] == "1"
    gateway = vpcep_fake(no_auth=True, fail_rate=1, fail_status=502, fail_html=True)
    resp = httpx.get(gateway.list_url())
    assert resp.status_code == 502
    assert resp.headers["content-type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in resp.text


def test_replay_with_data(vpcep_fake):
    fake = vpcep_fake(data=FIXTURES / "page-nulls.json", no_auth=True)
    body = httpx.get(fake.list_url()).json()
    assert {e["id"] for e in body["endpoints"]} == {
        e["id"] for e in json.loads((FIXTURES / "page-nulls.json").read_text())["endpoints"]
    }


def test_bad_options_are_named_before_starting(tmp_path):
    with pytest.raises(ValueError, match="ak and sk go together"):
        FakeServer(ak="AK", no_auth=True)
    with pytest.raises(ValueError, match="data: .* is not a file"):
        FakeServer(data=tmp_path / "missing.json", no_auth=True)


def test_a_fake_that_cannot_start_says_why():
    # No authentication option: the binary refuses to start (exit 2) and says so.
    with pytest.raises(FakeError, match="did not start") as err:
        FakeServer(generate=1).start()
    assert "--no-auth" in str(err.value)


def test_the_fixture_stops_its_fakes_even_when_the_test_fails(pytester, tmp_path):
    pids = tmp_path / "pids"
    pytester.makepyfile(
        f"""
        def test_passes(vpcep_fake):
            fake = vpcep_fake(no_auth=True)
            open({str(pids)!r}, "a").write(str(fake._proc.pid) + "\\n")

        def test_fails(vpcep_fake):
            fake = vpcep_fake(no_auth=True)
            open({str(pids)!r}, "a").write(str(fake._proc.pid) + "\\n")
            assert False, "the test fails; its fake must still stop"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 2
    for pid in started:
        # The child session has exited, so its fakes were reaped: no such process.
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def replayable() -> list[dict[str, Any]]:
    index = json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))
    return [f for f in index["fixtures"] if f["fake"] is not None]


@pytest.mark.parametrize("fixture", replayable(), ids=lambda f: f["file"])
def test_the_fake_serves_each_fixture_as_index_json_says(vpcep_fake, fixture):
    """openapi/fixtures/index.json's `fake`: those args, that query, that token give the
    fixture's status, media type and body (the fake's own order, request_id and line
    endings aside; openapi/README.md, Fixtures)."""
    fake_args = fixture["fake"]
    args = [str(FIXTURES / a) if (FIXTURES / a).is_file() else a for a in fake_args["args"]]
    fake = vpcep_fake(args=args)
    headers = {"X-Auth-Token": fake_args["token"]} if "token" in fake_args else {}
    resp = httpx.get(fake.list_url(), params=fake_args["query"], headers=headers)
    assert resp.status_code == fixture["status"]
    assert resp.headers["content-type"].split(";")[0] == fixture["content_type"]
    for name, value in fixture.get("headers", {}).items():
        assert resp.headers[name] == value
    want_text = (FIXTURES / fixture["file"]).read_text(encoding="utf-8")
    if not fixture["content_type"].endswith("json"):
        assert resp.text.replace("\r\n", "\n") == want_text
        return
    got, want = resp.json(), json.loads(want_text)
    if "endpoints" in want:
        assert {e["id"]: e for e in got["endpoints"]} == {e["id"]: e for e in want["endpoints"]}
        assert got.get("total_count") == want.get("total_count")
    else:
        got.pop("request_id", None)
        want.pop("request_id", None)
        assert got == want
