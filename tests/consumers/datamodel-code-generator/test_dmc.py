"""datamodel-code-generator (pydantic v2 models from openapi/vpcep.json) against vpcep-fake.

The models parse what httpx receives. Run by .ci/consumers.sh (which generates
`generated/vpcep_models.py`, type-checks with mypy --strict and starts the fakes); see
tests/consumers/README.md.
"""

from __future__ import annotations

from typing import Any

import fakes
import httpx
import pytest
from normalise import lenient_bool, str_list
from pydantic import ValidationError
from vpcep_models import EndpointListResp, EndpointResp, ErrorResponse


def get(base: str, token: str = fakes.TOKEN, **params: str) -> httpx.Response:
    # The iamToken scheme: the X-Auth-Token header.
    return httpx.get(
        f"{base}/v1/{fakes.PROJECT}/vpc-endpoints",
        params=params,
        headers={"X-Auth-Token": token},
        timeout=20,
    )


def page(base: str, **params: str) -> EndpointListResp:
    resp = get(base, **params)
    assert resp.status_code == 200, resp.text
    return EndpointListResp.model_validate_json(resp.content)


def endpoints(p: EndpointListResp) -> list[EndpointResp]:
    assert p.endpoints is not None
    return p.endpoints


def root(v: object) -> object:
    return getattr(v, "root", v)


def check_against_raw(p: EndpointListResp, raw: dict[str, Any]) -> None:
    assert p.total_count == raw["total_count"]
    assert len(endpoints(p)) == len(raw["endpoints"])
    for e, r in zip(endpoints(p), raw["endpoints"]):
        assert e.id == r.get("id")
        assert root(e.status) == r.get("status")
        assert lenient_bool(e.enable_dns) == lenient_bool(r.get("enable_dns"))
        assert lenient_bool(e.enable_whitelist) == lenient_bool(r.get("enable_whitelist"))
        assert str_list(e.dns_names) == str_list(r.get("dns_names"))
        assert str_list(e.active_status) == str_list(r.get("active_status"))


def test_plain_page() -> None:
    p = page(fakes.PLAIN, limit="40")
    check_against_raw(p, fakes.raw_page(fakes.PLAIN, limit="40"))
    assert p.total_count == 40


def test_quirky_page_reads_like_the_plain_one_after_normalisation() -> None:
    plain, quirky = page(fakes.PLAIN, limit="40"), page(fakes.QUIRKS, limit="40")
    raw = fakes.raw_page(fakes.QUIRKS, limit="40")
    check_against_raw(quirky, raw)
    falses = 0
    for a, b, r in zip(endpoints(plain), endpoints(quirky), raw["endpoints"]):
        assert a.id == b.id
        assert lenient_bool(a.enable_dns) == lenient_bool(b.enable_dns)
        assert str_list(a.dns_names) == str_list(b.dns_names)
        if r.get("enable_dns") == "false":
            falses += 1
            assert lenient_bool(b.enable_dns) is False
    assert falses > 0


def test_replayed_page_keeps_nulls_unknown_values_and_fields() -> None:
    rec = fakes.recorded()
    p = page(fakes.REPLAY, limit="10")
    assert p.total_count == 4
    by_id = {e.id: e for e in endpoints(p)}
    assert set(by_id) == set(rec)
    a, b, c, d = (by_id[i] for i in (fakes.REC_A, fakes.REC_B, fakes.REC_C, fakes.REC_D))
    assert lenient_bool(a.enable_dns) is False
    assert lenient_bool(a.enable_whitelist) is True
    assert str_list(a.dns_names) == [] and a.description is None
    # Fields the spec does not list are kept (additionalProperties: true -> extra="allow").
    assert (a.model_extra or {}).get("x_vendor_trace") == {"shard": 7, "replica": None}
    assert root(b.status) == "deleting"
    assert str_list(c.active_status) == ["active", "suspended"]
    assert b.ip is None and b.marker_id is None and b.updated_at is None
    assert lenient_bool(b.enable_whitelist) is None
    assert b.error is None and d.tags is None
    assert d.error is not None and d.error[0].error_message is None
    assert b.policy_statement is not None
    s0, s1 = b.policy_statement
    assert str_list(s0.Action) == ["obs:object:GetObject"]
    assert str_list(s1.Action) == ["obs:object:PutObject", "obs:object:DeleteObject"]
    assert s0.Sid == "read-logs"
    assert s0.model_dump(mode="json")["Condition"] == {"StringEquals": {"obs:prefix": ["logs/"]}}
    assert b.model_dump(mode="json")["policy_document"] == rec[fakes.REC_B]["policy_document"]


def test_401_with_the_error_body() -> None:
    resp = get(fakes.PLAIN, token="wrong")
    assert resp.status_code == 401
    err = ErrorResponse.model_validate_json(resp.content)
    assert err.error_code == "APIGW.0301" and err.error_msg


def test_400_for_limit_1001_names_the_parameter() -> None:
    resp = get(fakes.PLAIN, limit="1001")
    assert resp.status_code == 400
    err = ErrorResponse.model_validate_json(resp.content)
    assert err.error is not None
    assert err.error.code is not None and err.error.code.startswith("EndPoint.")
    assert err.error.message is not None and "limit" in err.error.message


def test_429_with_retry_after() -> None:
    resp = get(fakes.THROTTLED)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "1"
    assert ErrorResponse.model_validate_json(resp.content).error_code == "APIGW.0308"


def test_html_502_is_returned_as_a_response() -> None:
    resp = get(fakes.GATEWAY)
    assert resp.status_code == 502
    assert resp.headers["Content-Type"].startswith("text/html")
    # Read an error body only when it is JSON: the HTML page is not an ErrorResponse.
    with pytest.raises(ValidationError):
        ErrorResponse.model_validate_json(resp.content)


def test_error_body_with_null_members() -> None:
    body = '{"error": null, "error_code": "APIGW.0101", "error_msg": "not found", "request_id": null}'
    err = ErrorResponse.model_validate_json(body)
    assert err.error is None and err.error_code == "APIGW.0101"
