"""The five fakes of the Python consumer tests, started by the vpcep-fake wheel's pytest
plugin (one session each; stopped when the session ends), and the reference reads.

Each generator directory's conftest.py loads this module as a plugin
(`pytest_plugins = ["fakes"]`); its autouse session fixture `started_fakes` fills in the
URLs below before the first test. (.ci/consumers.sh starts the same five with the binary
for the TypeScript tests, tests/consumers/ts-common/common.mts.)
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator

import httpx
import pytest
from vpcep_fake.pytest_plugin import StartFake

TOKEN = os.environ.get("VPCEP_TOKEN", "consumer-token")
PROJECT = "295dacf46a4842fcbf7844dc2dc2489d"
# --generate 40 --seed 3; the same data with --quirks; --data recorded_example.json;
# --fail-rate 1 --fail-status 429; --fail-rate 1 --fail-status 502 --fail-html.
PLAIN = ""
QUIRKS = ""
REPLAY = ""
THROTTLED = ""
GATEWAY = ""
RECORDED_FILE = os.path.join(
    os.path.dirname(__file__), "..", "..", "crates", "vpcep-fake", "data", "recorded_example.json"
)

# Endpoints of the recorded file.
REC_A = "5e0b2c1a-1111-4a6e-9d0e-000000000001"  # "false"/"true" strings, null dns_names, extra field
REC_B = "5e0b2c1a-2222-4a6e-9d0e-000000000002"  # deleting gateway, policy, many nulls
REC_C = "5e0b2c1a-3333-4a6e-9d0e-000000000003"  # active_status list with an unknown value
REC_D = "5e0b2c1a-4444-4a6e-9d0e-000000000004"  # failed, error_message null


def raw_page(base: str, **params: str) -> dict[str, Any]:
    """The page as plain JSON, read without any generated code (the reference)."""
    url = f"{base}/v1/{PROJECT}/vpc-endpoints"
    resp = httpx.get(url, params=params, headers={"X-Auth-Token": TOKEN}, timeout=20)
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body


def recorded() -> dict[str, dict[str, Any]]:
    """The recorded endpoints by id."""
    with open(RECORDED_FILE, encoding="utf-8") as f:
        items: list[dict[str, Any]] = json.load(f)["endpoints"]
    return {str(e["id"]): e for e in items}


@pytest.fixture(scope="session", autouse=True)
def started_fakes(vpcep_fake_session: StartFake) -> Iterator[None]:
    """Starts the five fakes (all requiring X-Auth-Token: TOKEN) for the session."""
    global PLAIN, QUIRKS, REPLAY, THROTTLED, GATEWAY
    PLAIN = vpcep_fake_session(generate=40, seed=3, token=TOKEN).url
    QUIRKS = vpcep_fake_session(generate=40, seed=3, quirks=True, token=TOKEN).url
    REPLAY = vpcep_fake_session(data=RECORDED_FILE, token=TOKEN).url
    THROTTLED = vpcep_fake_session(fail_rate=1, fail_status=429, token=TOKEN).url
    GATEWAY = vpcep_fake_session(fail_rate=1, fail_status=502, fail_html=True, token=TOKEN).url
    yield
