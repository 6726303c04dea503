"""Where .ci/consumers.sh started the fakes, read from the environment."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

TOKEN = os.environ.get("VPCEP_TOKEN", "consumer-token")
PROJECT = "295dacf46a4842fcbf7844dc2dc2489d"
# --generate 40 --seed 3; the same data with --quirks; --data recorded_example.json;
# --fail-rate 1 --fail-status 429; --fail-rate 1 --fail-status 502 --fail-html.
PLAIN = os.environ.get("FAKE_PLAIN", "")
QUIRKS = os.environ.get("FAKE_QUIRKS", "")
REPLAY = os.environ.get("FAKE_REPLAY", "")
THROTTLED = os.environ.get("FAKE_THROTTLED", "")
GATEWAY = os.environ.get("FAKE_GATEWAY", "")
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
