"""openapi-python-client: the client generated from openapi/vpcep.json against vpcep-fake.

Run by .ci/consumers.sh (which generates `generated/vpcep_opc`, type-checks with
mypy --strict and starts the fakes); see tests/consumers/README.md.
"""

from __future__ import annotations

from typing import Any

import fakes
from normalise import lenient_bool, str_list
from vpcep_opc import AuthenticatedClient
from vpcep_opc.api.endpoints import list_endpoints
from vpcep_opc.models import EndpointListResp, EndpointResp, ErrorResponse
from vpcep_opc.types import Unset


def client(base: str, token: str = fakes.TOKEN) -> AuthenticatedClient:
    # The spec's iamToken scheme is the X-Auth-Token header, no prefix; the generator's
    # default would send `Authorization: Bearer <token>` (see test_default_auth_is_the_wrong_header).
    return AuthenticatedClient(
        base_url=base,
        token=token,
        prefix="",
        auth_header_name="X-Auth-Token",
        raise_on_unexpected_status=False,
    )


def page(base: str, **kw: Any) -> EndpointListResp:
    resp = list_endpoints.sync_detailed(project_id=fakes.PROJECT, client=client(base), **kw)
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.parsed, EndpointListResp), resp.parsed
    return resp.parsed


def endpoints(p: EndpointListResp) -> list[EndpointResp]:
    assert isinstance(p.endpoints, list)
    return p.endpoints


def text(v: object) -> str | None:
    """A string field: None when unset or null."""
    return None if isinstance(v, Unset) or v is None else str(v)


def plain(v: object) -> object:
    """A generated model (or anything else) as plain JSON-like data."""
    to_dict = getattr(v, "to_dict", None)
    return to_dict() if callable(to_dict) else v


def check_against_raw(p: EndpointListResp, raw: dict[str, Any]) -> None:
    assert p.total_count == raw["total_count"]
    got = endpoints(p)
    assert len(got) == len(raw["endpoints"])
    for e, r in zip(got, raw["endpoints"]):
        assert text(e.id) == r.get("id")
        assert text(e.status) == r.get("status")
        assert lenient_bool(e.enable_dns) == lenient_bool(r.get("enable_dns"))
        assert lenient_bool(e.enable_whitelist) == lenient_bool(r.get("enable_whitelist"))
        assert str_list(e.dns_names) == str_list(r.get("dns_names"))
        assert str_list(e.active_status) == str_list(r.get("active_status"))


def test_plain_page() -> None:
    raw = fakes.raw_page(fakes.PLAIN, limit="40")
    p = page(fakes.PLAIN, limit=40)
    check_against_raw(p, raw)
    assert p.total_count == 40


def test_quirky_page_reads_like_the_plain_one_after_normalisation() -> None:
    plain_page, quirky = page(fakes.PLAIN, limit=40), page(fakes.QUIRKS, limit=40)
    raw = fakes.raw_page(fakes.QUIRKS, limit="40")
    check_against_raw(quirky, raw)
    falses = 0
    for a, b, r in zip(endpoints(plain_page), endpoints(quirky), raw["endpoints"]):
        assert a.id == b.id
        assert lenient_bool(a.enable_dns) == lenient_bool(b.enable_dns)
        assert str_list(a.dns_names) == str_list(b.dns_names)
        assert str_list(a.active_status) == str_list(b.active_status)
        if r.get("enable_dns") == "false":
            falses += 1
            assert lenient_bool(b.enable_dns) is False
    assert falses > 0, "the quirky page has \"false\" strings"


def test_replayed_page_keeps_nulls_unknown_values_and_fields() -> None:
    rec = fakes.recorded()
    p = page(fakes.REPLAY, limit=10)
    assert p.total_count == 4
    by_id = {text(e.id): e for e in endpoints(p)}
    assert set(by_id) == set(rec)
    a, b, c, d = (by_id[i] for i in (fakes.REC_A, fakes.REC_B, fakes.REC_C, fakes.REC_D))
    # "false" is false after normalisation (and a truthy string before it).
    assert lenient_bool(a.enable_dns) is False
    assert lenient_bool(a.enable_whitelist) is True
    assert a.dns_names is None and a.description is None
    assert a.additional_properties["x_vendor_trace"] == {"shard": 7, "replica": None}
    # An unknown status and unknown account statuses are kept as strings.
    assert b.status == "deleting"
    assert str_list(c.active_status) == ["active", "suspended"]
    # Nulls.
    assert b.ip is None and b.marker_id is None and b.updated_at is None
    assert lenient_bool(b.enable_whitelist) is None
    assert b.error is None and d.tags is None
    assert isinstance(d.error, list) and d.error[0].error_message is None
    # Action as a string or a list; the policy fields real servers send.
    assert isinstance(b.policy_statement, list)
    s0, s1 = b.policy_statement
    assert str_list(s0.action) == ["obs:object:GetObject"]
    assert str_list(s1.action) == ["obs:object:PutObject", "obs:object:DeleteObject"]
    assert s0.sid == "read-logs"
    assert plain(s0.condition) == {"StringEquals": {"obs:prefix": ["logs/"]}}
    assert plain(b.policy_document) == rec[fakes.REC_B]["policy_document"]


def test_default_auth_is_the_wrong_header() -> None:
    # The generator's default: `Authorization: Bearer <token>`, which VPCEP does not read.
    default = AuthenticatedClient(base_url=fakes.PLAIN, token=fakes.TOKEN)
    resp = list_endpoints.sync_detailed(project_id=fakes.PROJECT, client=default)
    assert resp.status_code == 401


def test_401_with_the_error_body() -> None:
    resp = list_endpoints.sync_detailed(
        project_id=fakes.PROJECT, client=client(fakes.PLAIN, token="wrong")
    )
    assert resp.status_code == 401
    assert isinstance(resp.parsed, ErrorResponse)
    assert resp.parsed.error_code == "APIGW.0301"
    assert isinstance(resp.parsed.error_msg, str) and resp.parsed.error_msg


def test_400_for_limit_1001_names_the_parameter() -> None:
    resp = list_endpoints.sync_detailed(
        project_id=fakes.PROJECT, client=client(fakes.PLAIN), limit=1001
    )
    assert resp.status_code == 400
    assert isinstance(resp.parsed, ErrorResponse)
    err = resp.parsed.error
    assert err is not None and not isinstance(err, Unset)
    assert isinstance(err.code, str) and err.code.startswith("EndPoint.")
    assert isinstance(err.message, str) and "limit" in err.message


def test_429_with_retry_after() -> None:
    resp = list_endpoints.sync_detailed(project_id=fakes.PROJECT, client=client(fakes.THROTTLED))
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "1"
    assert isinstance(resp.parsed, ErrorResponse)
    assert resp.parsed.error_code == "APIGW.0308"


def test_html_502_is_returned_as_a_response() -> None:
    resp = list_endpoints.sync_detailed(project_id=fakes.PROJECT, client=client(fakes.GATEWAY))
    assert resp.status_code == 502
    assert resp.headers["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in resp.content
    assert not isinstance(resp.parsed, EndpointListResp)


def test_error_body_with_null_members() -> None:
    # What gateways and VPCEP send: one shape's members null or absent.
    body = {"error": None, "error_code": "APIGW.0101", "error_msg": "not found", "request_id": None}
    err = ErrorResponse.from_dict(body)
    assert err.error is None
    assert err.error_code == "APIGW.0101"
