#!/usr/bin/env python3
"""List every endpoint with Huawei's official Python SDK, the way its users write it:
an offset loop with limit=1000 over VpcepClient.list_endpoints.

usage: python_sdk_list.py URL [PROJECT_ID]   (the fake must run with --no-auth, or with
--ak/--sk matching the dummy keys below)
Prints: `python official SDK: N endpoints in S s = R endpoints/s`.
"""
import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkvpcep.v1 import ListEndpointsRequest, VpcepClient

url = sys.argv[1]
project = sys.argv[2] if len(sys.argv) > 2 else "295dacf46a4842fcbf7844dc2dc2489d"

config = HttpConfig.get_default_config()
config.ignore_ssl_verification = True
credentials = BasicCredentials("DUMMYAKDUMMYAKDUMMYA", "dummysk" * 5, project)
client = (
    VpcepClient.new_builder()
    .with_http_config(config)
    .with_credentials(credentials)
    .with_endpoints([url])
    .build()
)

start = time.perf_counter()
endpoints = []
offset = 0
limit = 1000
while True:
    resp = client.list_endpoints(ListEndpointsRequest(limit=limit, offset=offset))
    page = resp.endpoints or []
    endpoints.extend(page)
    offset += len(page)
    if not page or offset >= (resp.total_count or 0):
        break
elapsed = time.perf_counter() - start
print(f"python official SDK: {len(endpoints)} endpoints in {elapsed:.3f} s = {len(endpoints) / elapsed:.0f} endpoints/s")
