#!/usr/bin/env python3
"""List every endpoint with plain `requests` + `json`: an offset loop with limit=1000,
one keep-alive session, dicts only (no models).

usage: python_requests_list.py URL [PROJECT_ID]   (the fake must run with --no-auth)
Prints: `python requests: N endpoints in S s = R endpoints/s`.
"""
import sys
import time

import requests

url = sys.argv[1].rstrip("/")
project = sys.argv[2] if len(sys.argv) > 2 else "295dacf46a4842fcbf7844dc2dc2489d"

session = requests.Session()
start = time.perf_counter()
endpoints = []
offset = 0
limit = 1000
while True:
    r = session.get(f"{url}/v1/{project}/vpc-endpoints", params={"limit": limit, "offset": offset})
    r.raise_for_status()
    body = r.json()
    page = body.get("endpoints") or []
    endpoints.extend(page)
    offset += len(page)
    if not page or offset >= (body.get("total_count") or 0):
        break
elapsed = time.perf_counter() - start
print(f"python requests: {len(endpoints)} endpoints in {elapsed:.3f} s = {len(endpoints) / elapsed:.0f} endpoints/s")
