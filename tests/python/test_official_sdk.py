"""Huawei's official Python SDK (huaweicloudsdkvpcep) against vpcep-fake.

Proof against code we did not write: the SDK signs every request with AK/SK
(SDK-HMAC-SHA256) and the fake verifies it with vpcep_client::signer::verify; the SDK
pages through the listing with its own request model and decodes the fake's responses.

Each test module run starts its own fakes (binary from $VPCEP_FAKE_BIN, default
target/release/vpcep-fake) on 127.0.0.1:0:
* one serving data this file generates (--data), so the expected filtered, sorted pages
  come from an independent model written here;
* one serving --generate 2500, checked for completeness and order.
"""

import json
import random
import time

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkvpcep.v1 import ListEndpointsRequest, VpcepClient

from fake import Fake

PROJECT = "295dacf46a4842fcbf7844dc2dc2489d"
AK, SK = "AKFAKETEST0000000001", "sk-for-the-fake-only"
N_DATA = 1200
N_GENERATED = 2500


def sdk_client(url, sk=SK):
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = (5, 30)
    return (
        VpcepClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(AK, sk, PROJECT))
        .with_endpoints([url])
        .build()
    )


def make_data(n, seed=20260101):
    """Endpoints with few VPCs, service names in mixed case, equal timestamps (ties)."""
    rnd = random.Random(seed)
    vpcs = [f"vpc-{i:02d}-{rnd.getrandbits(32):08x}" for i in range(5)]
    names = ["cn-north-4.OBS", "cn-north-4.obs-batch", "cn-north-4.Payments-API", "pay.ledger", "dns"]
    times = [f"2019-0{m}-1{d}T0{h}:00:00Z" for m in range(1, 10) for d in range(3) for h in range(3)]
    data = []
    for i in range(n):
        interface = i % 4 != 1
        e = {
            "id": "%08x-%04x-4%03x-8%03x-%012x"
            % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48)),
            "service_type": "interface" if interface else "gateway",
            "status": ["accepted", "pendingAcceptance", "creating", "rejected", "failed"][i % 5],
            "active_status": ["active"],
            "endpoint_service_name": rnd.choice(names),
            "endpoint_service_id": "5133655d-0e28-4090-b669-13f87b355c78",
            "marker_id": 16777216 + i,
            "enable_dns": interface and i % 3 == 0,
            "vpc_id": rnd.choice(vpcs),
            "subnet_id": "68bfbcc1-dff2-47e4-a9d4-332b9bc1b8de",
            "created_at": rnd.choice(times),
            "updated_at": rnd.choice(times),
            "project_id": PROJECT,
            "tags": [{"key": "env", "value": "" if i % 2 else "prod"}],
        }
        if e["enable_dns"]:
            e["dns_names"] = [f"ep{i}.example"]
        if interface:
            e["whitelist"] = []
            e["enable_whitelist"] = False
        else:
            e["routetables"] = ["rtb-1"]
        if e["status"] == "failed":
            e["error"] = [{"error_code": "EndPoint.2004", "error_message": "no IP left"}]
        data.append(e)
    return data


def model(data, name=None, vpc_id=None, id=None, sort_key="create_at", sort_dir="desc"):
    """What ListEndpoints should return: filters, then sort with ties by id."""
    rows = [
        e
        for e in data
        if (name is None or name.lower() in e["endpoint_service_name"].lower())
        and (vpc_id is None or e["vpc_id"] == vpc_id)
        and (id is None or e["id"] == id)
    ]
    field = "created_at" if sort_key == "create_at" else "updated_at"
    rows.sort(key=lambda e: (e[field], e["id"]))
    if sort_dir == "desc":
        rows.reverse()
    return [e["id"] for e in rows]


def list_all(client, limit, **filters):
    """Walks every page with the SDK; returns the ids and every page's total_count."""
    ids, totals, offset = [], set(), 0
    for _ in range(10_000):  # bounded
        resp = client.list_endpoints(ListEndpointsRequest(limit=limit, offset=offset, **filters))
        totals.add(resp.total_count)
        page = resp.endpoints or []
        if not page:
            break
        assert len(page) <= limit
        ids.extend(e.id for e in page)
        offset += len(page)
    return ids, totals


@pytest.fixture(scope="module")
def data():
    return make_data(N_DATA)


@pytest.fixture(scope="module")
def data_fake(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("fake") / "endpoints.json"
    path.write_text(json.dumps(data))
    fake = Fake("--data", str(path), "--ak", AK, "--sk", SK)
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def generated_fake():
    fake = Fake("--generate", str(N_GENERATED), "--seed", "7", "--ak", AK, "--sk", SK)
    yield fake
    fake.stop()


def test_lists_every_endpoint_in_default_order(data, data_fake):
    ids, totals = list_all(sdk_client(data_fake.url), limit=1000)
    assert totals == {N_DATA}
    assert ids == model(data)


@pytest.mark.parametrize(
    "filters",
    [
        {"endpoint_service_name": "PAY", "sort_key": "update_at", "sort_dir": "asc"},
        {"endpoint_service_name": "obs", "sort_key": "create_at", "sort_dir": "asc"},
        {"sort_key": "update_at", "sort_dir": "desc"},
        {"vpc_id": "VPC0", "sort_dir": "asc"},
        {"vpc_id": "VPC1", "endpoint_service_name": "Payments"},
        {"id": "ID7"},
        {"endpoint_service_name": "no-such-service"},
    ],
)
def test_filters_and_sorts_like_the_model(data, data_fake, filters):
    filters = dict(filters)
    vpcs = sorted({e["vpc_id"] for e in data})
    if filters.get("vpc_id", "").startswith("VPC"):
        filters["vpc_id"] = vpcs[int(filters["vpc_id"][3:])]
    if filters.get("id") == "ID7":
        filters["id"] = data[7]["id"]
    want = model(
        data,
        name=filters.get("endpoint_service_name"),
        vpc_id=filters.get("vpc_id"),
        id=filters.get("id"),
        sort_key=filters.get("sort_key", "create_at"),
        sort_dir=filters.get("sort_dir", "desc"),
    )
    ids, totals = list_all(sdk_client(data_fake.url), limit=37, **filters)
    assert totals == {len(want)}
    assert ids == want


def test_decodes_every_field(data, data_fake):
    resp = sdk_client(data_fake.url).list_endpoints(ListEndpointsRequest(id=data[4]["id"]))
    assert resp.total_count == 1
    got = resp.endpoints[0].to_dict()
    for key, value in data[4].items():
        assert got[key] == value, key


def test_wrong_secret_key_is_rejected(data_fake):
    with pytest.raises(exceptions.ClientRequestException) as err:
        sdk_client(data_fake.url, sk="not-the-secret").list_endpoints(ListEndpointsRequest(limit=1))
    assert err.value.status_code == 401
    assert err.value.error_code == "APIGW.0301"


def test_invalid_parameter_is_a_400(data_fake):
    with pytest.raises(exceptions.ClientRequestException) as err:
        sdk_client(data_fake.url).list_endpoints(ListEndpointsRequest(limit=1001))
    assert err.value.status_code == 400
    assert "limit" in err.value.error_msg


def test_generated_endpoints_are_complete_and_ordered(generated_fake):
    client = sdk_client(generated_fake.url)
    started = time.monotonic()
    ids, totals = list_all(client, limit=100)
    assert time.monotonic() - started < 60
    assert totals == {N_GENERATED}
    assert len(ids) == N_GENERATED
    assert len(set(ids)) == N_GENERATED

    # Sorted by update time, ascending, ties by id: checked on the decoded rows.
    rows = []
    offset = 0
    while True:
        resp = client.list_endpoints(
            ListEndpointsRequest(limit=1000, offset=offset, sort_key="update_at", sort_dir="asc")
        )
        if not resp.endpoints:
            break
        rows.extend((e.updated_at, e.id) for e in resp.endpoints)
        offset += len(resp.endpoints)
    assert len(rows) == N_GENERATED
    assert rows == sorted(rows)
    assert len({r[0] for r in rows}) < N_GENERATED, "the generator makes equal timestamps"

    # Every status and both service types are there.
    statuses, types = set(), set()
    for offset in range(0, N_GENERATED, 1000):
        for e in client.list_endpoints(ListEndpointsRequest(limit=1000, offset=offset)).endpoints:
            statuses.add(e.status)
            types.add(e.service_type)
    # `deleting` is in the official SDK's status enumeration (and the spec since 2.0.0).
    assert statuses == {"accepted", "pendingAcceptance", "creating", "rejected", "failed", "deleting"}
    assert types == {"gateway", "interface"}
