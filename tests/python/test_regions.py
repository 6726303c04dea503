"""Region resolution against Huawei's official Python SDK (huaweicloudsdkcore's region
providers, through huaweicloudsdkvpcep's VpcepRegion.value_of):

* the environment variable HUAWEICLOUD_SDK_REGION_VPCEP_{REGION_ID} (one endpoint, or
  several separated by commas) wins;
* then the regions file (HUAWEICLOUD_SDK_REGIONS_FILE, else ~/.huaweicloud/regions.yaml):
  `endpoints` then `endpoint`, the service name in any case, other services ignored;
* then the table, which must be the official one, region by region.

Both sides run as subprocesses with exactly the same environment (the official SDK caches
the regions file for the life of its process): ours is the test tool vpcep-region-probe
(crates/vpcep-integration-tests/src/bin), from $VPCEP_REGION_PROBE_BIN (default
target/release/vpcep-region-probe). A region in none of them is an error in the official
SDK and the standard host with a warning in ours (on purpose: huaweicloud-sdk-python-v3
issue 28).
"""

import json
import subprocess
import sys

import pytest
from huaweicloudsdkvpcep.v1.region.vpcep_region import VpcepRegion

from fake import binary

OFFICIAL = """
import json, sys
from huaweicloudsdkvpcep.v1.region.vpcep_region import VpcepRegion
for region in sys.argv[1:]:
    try:
        print(json.dumps({"region": region, "endpoints": VpcepRegion.value_of(region).endpoints}))
    except KeyError as e:
        print(json.dumps({"region": region, "error": str(e)}))
"""


def run(command, env, home):
    base = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    base.update(env)
    out = subprocess.run(command, env=base, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def official(env, home, regions):
    return run([sys.executable, "-c", OFFICIAL, *regions], env, home)


def ours(env, home, regions):
    return run([binary("VPCEP_REGION_PROBE_BIN", "vpcep-region-probe"), *regions], env, home)


def endpoints(results):
    return {r["region"]: r.get("endpoints") for r in results}


CASES = {
    "variable, one endpoint": (
        {"HUAWEICLOUD_SDK_REGION_VPCEP_CN_NORTH_4": "https://vpcep.private.example"},
        None,
        ["cn-north-4"],
    ),
    "variable, several endpoints": (
        {"HUAWEICLOUD_SDK_REGION_VPCEP_XX_PRIVATE_1": "https://a.example,https://b.example"},
        None,
        ["xx-private-1"],
    ),
    "regions file named by the variable": (
        {},
        "VPCEP:\n  - id: xx-private-1\n    endpoint: https://file.example\n",
        ["xx-private-1", "cn-north-4"],
    ),
    "endpoints then endpoint, lower-case service, other services ignored": (
        {},
        "vpcep:\n  - id: xx-private-2\n    endpoints: [https://one.example, https://two.example]\n"
        "    endpoint: https://three.example\n  - endpoint: https://no-id.example\n"
        "ECS:\n  - id: xx-private-3\n    endpoint: https://ecs.example\n",
        ["xx-private-2"],
    ),
    "the variable wins over the file": (
        {"HUAWEICLOUD_SDK_REGION_VPCEP_XX_PRIVATE_1": "https://from-env.example"},
        "VPCEP:\n  - id: xx-private-1\n    endpoint: https://file.example\n",
        ["xx-private-1"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_environment_and_regions_file_agree(case, tmp_path):
    env, regions_file, regions = CASES[case]
    env = dict(env)
    if regions_file is not None:
        path = tmp_path / "regions.yaml"
        path.write_text(regions_file)
        env["HUAWEICLOUD_SDK_REGIONS_FILE"] = str(path)
    theirs = official(env, tmp_path, regions)
    assert all("endpoints" in r for r in theirs), theirs
    assert endpoints(ours(env, tmp_path, regions)) == endpoints(theirs)


def test_default_regions_file_in_home(tmp_path):
    (tmp_path / ".huaweicloud").mkdir()
    (tmp_path / ".huaweicloud" / "regions.yaml").write_text(
        "VPCEP:\n  - id: xx-home-1\n    endpoint: https://home.example\n"
    )
    theirs = official({}, tmp_path, ["xx-home-1"])
    assert theirs[0]["endpoints"] == ["https://home.example"]
    mine = ours({}, tmp_path, ["xx-home-1"])
    assert endpoints(mine) == endpoints(theirs)
    assert mine[0]["source"] == "regions-file"


def test_the_table_is_the_official_one(tmp_path):
    regions = sorted(VpcepRegion.static_fields)
    assert len(regions) > 30
    mine = ours({}, tmp_path, regions)
    assert endpoints(mine) == endpoints(official({}, tmp_path, regions))
    assert {r["source"] for r in mine} == {"table"}


def test_an_unknown_region_is_the_standard_host_not_an_error(tmp_path):
    theirs = official({}, tmp_path, ["xx-nowhere-9"])
    assert "error" in theirs[0]
    mine = ours({}, tmp_path, ["xx-nowhere-9"])
    assert mine[0]["endpoints"] == ["https://vpcep.xx-nowhere-9.myhuaweicloud.com"]
    assert mine[0]["source"] == "standard"
