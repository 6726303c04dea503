"""OpenAPI Generator 7.26.0 `python` (pydantic v2 + urllib3 client from openapi/vpcep.json)
against vpcep-fake.

Run by .ci/consumers.sh (which generates `generated/vpcep_oag` with
`openapi-generator-cli generate -g python`, type-checks with mypy --strict and runs this
file; the fakes come from the vpcep-fake wheel's pytest plugin, tests/consumers/fakes.py).
See tests/consumers/README.md.
"""

from __future__ import annotations

from typing import Any

import fakes
import pytest
from normalise import lenient_bool, str_list
from vpcep_oag import ApiClient, Configuration, EndpointsApi
from vpcep_oag.exceptions import ApiException, ServiceException, UnauthorizedException
from vpcep_oag.models.endpoint_list_resp import EndpointListResp
from vpcep_oag.models.endpoint_resp import EndpointResp
from vpcep_oag.models.error_response import ErrorResponse


def api(base: str, token: str = fakes.TOKEN) -> EndpointsApi:
    # The iamToken scheme by its name: the generator sends it in X-Auth-Token.
    return EndpointsApi(ApiClient(Configuration(host=base, api_key={"iamToken": token})))


def page(base: str, **kw: Any) -> EndpointListResp:
    return api(base).list_endpoints(project_id=fakes.PROJECT, **kw)


def endpoints(p: EndpointListResp) -> list[EndpointResp]:
    assert p.endpoints is not None
    return p.endpoints


def check_against_raw(p: EndpointListResp, raw: dict[str, Any]) -> None:
    assert p.total_count == raw["total_count"]
    assert len(endpoints(p)) == len(raw["endpoints"])
    for e, r in zip(endpoints(p), raw["endpoints"]):
        assert e.id == r.get("id")
        assert e.status == r.get("status")
        assert lenient_bool(e.enable_dns) == lenient_bool(r.get("enable_dns"))
        assert lenient_bool(e.enable_whitelist) == lenient_bool(r.get("enable_whitelist"))
        assert str_list(e.dns_names) == str_list(r.get("dns_names"))
        assert str_list(e.active_status) == str_list(r.get("active_status"))


def test_plain_page() -> None:
    p = page(fakes.PLAIN, limit=40)
    check_against_raw(p, fakes.raw_page(fakes.PLAIN, limit="40"))
    assert p.total_count == 40


def test_quirky_page_reads_like_the_plain_one_after_normalisation() -> None:
    plain, quirky = page(fakes.PLAIN, limit=40), page(fakes.QUIRKS, limit=40)
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
    p = page(fakes.REPLAY, limit=10)
    assert p.total_count == 4
    by_id = {e.id: e for e in endpoints(p)}
    assert set(by_id) == set(rec)
    a, b, c, d = (by_id[i] for i in (fakes.REC_A, fakes.REC_B, fakes.REC_C, fakes.REC_D))
    assert lenient_bool(a.enable_dns) is False
    assert lenient_bool(a.enable_whitelist) is True
    assert str_list(a.dns_names) == [] and a.description is None
    # Fields the spec does not list are kept (additionalProperties: true).
    assert a.additional_properties.get("x_vendor_trace") == {"shard": 7, "replica": None}
    assert b.status == "deleting"
    assert str_list(c.active_status) == ["active", "suspended"]
    assert b.ip is None and b.marker_id is None and b.updated_at is None
    assert lenient_bool(b.enable_whitelist) is None
    assert b.error is None and d.tags is None
    assert d.error is not None and d.error[0].error_message is None
    assert b.policy_statement is not None
    s0, s1 = b.policy_statement
    assert str_list(s0.action) == ["obs:object:GetObject"]
    assert str_list(s1.action) == ["obs:object:PutObject", "obs:object:DeleteObject"]
    assert s0.sid == "read-logs"
    assert s0.to_dict()["Condition"] == {"StringEquals": {"obs:prefix": ["logs/"]}}
    assert b.policy_document == rec[fakes.REC_B]["policy_document"]


def test_401_raises_with_the_error_body() -> None:
    with pytest.raises(UnauthorizedException) as err:
        api(fakes.PLAIN, token="wrong").list_endpoints(project_id=fakes.PROJECT)
    assert err.value.status == 401
    assert isinstance(err.value.data, ErrorResponse)
    assert err.value.data.error_code == "APIGW.0301" and err.value.data.error_msg


def test_400_for_limit_1001_is_refused_by_the_client_before_sending() -> None:
    # The generated pydantic signature enforces `maximum: 1000` itself.
    with pytest.raises(Exception, match="limit"):
        page(fakes.PLAIN, limit=1001)


def test_429_with_retry_after() -> None:
    with pytest.raises(ApiException) as err:
        page(fakes.THROTTLED)
    assert err.value.status == 429
    assert err.value.headers is not None and err.value.headers["Retry-After"] == "1"
    assert isinstance(err.value.data, ErrorResponse)
    assert err.value.data.error_code == "APIGW.0308"


def test_html_502_is_an_exception_holding_the_page() -> None:
    with pytest.raises(ServiceException) as err:
        page(fakes.GATEWAY)
    assert err.value.status == 502
    assert err.value.headers is not None
    assert err.value.headers["Content-Type"].startswith("text/html")
    assert err.value.body is not None and "502 Bad Gateway" in err.value.body


def test_error_body_with_null_members() -> None:
    body = '{"error": null, "error_code": "APIGW.0101", "error_msg": "not found", "request_id": null}'
    err = ErrorResponse.from_json(body)
    assert err is not None and err.error is None and err.error_code == "APIGW.0101"
