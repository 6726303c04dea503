"""Our credential providers against Huawei's official Python SDK (huaweicloudsdkcore).

* ProfileCredentialProvider and our profile provider read the same files to the same
  credentials (and refuse the same broken ones);
* MetadataAccessor, pointed at vpcep-fake's metadata service, gets the same temporary
  credentials as our metadata provider (session-token flow, also when a token is required);
* the official SDK, with no credentials configured, finds the fake's metadata credentials
  through its default chain, looks the project up in the fake's IAM and lists endpoints;
  so does our CLI, and both list the same endpoints.

Our side runs as subprocesses with a controlled environment: the test tool
vpcep-creds-probe (crates/vpcep-integration-tests/src/bin) prints what our default chain found, and the vpcep CLI.
Binaries come from $VPCEP_FAKE_BIN, $VPCEP_BIN, $VPCEP_PROBE_BIN (default
target/release/...).
"""

import calendar
import json
import os
import subprocess
import time

import pytest
from huaweicloudsdkcore.auth.internal import MetadataAccessor
from huaweicloudsdkcore.auth.provider import ProfileCredentialProvider
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkvpcep.v1 import ListEndpointsRequest, VpcepClient
from huaweicloudsdkcore.http.http_config import HttpConfig

from fake import Fake, binary

PROJECT = "295dacf46a4842fcbf7844dc2dc2489d"
REGION = "cn-north-4"
CLOSED = "http://127.0.0.1:1"


def ours(env):
    """What our default chain finds with exactly this environment (None if nothing)."""
    base = {"HOME": "/nonexistent-home", "VPCEP_METADATA_URL": CLOSED}
    base.update(env)
    out = subprocess.run(
        [binary("VPCEP_PROBE_BIN", "vpcep-creds-probe")],
        env=base, capture_output=True, text=True, timeout=60,
    )
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "HC_CONTAINER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


PROFILES = [
    "[basic]\nak = AKPROFILE0001\nsk = SKPROFILE0001\n",
    "[basic]\nak = AKP2\nsk = SKP2\nsecurity_token = TOKP2\nproject_id = proj2\n"
    "iam_endpoint = https://iam.example.test\n",
    "# comment\n; other\n[DEFAULT]\nproject_id: fromdefault\n\n[basic]\nAK=AKUPPER\n"
    "Sk :  S%%K=1 \nsecurity_token = first\n\n  second\n[global]\nak = no\nsk = no\n",
    "[basic]\nak=A3\nsk=S3\nregion=cn-north-4\nproject_id=%(region)s-p\n",
    "[basic]\nak = AK4\nsk = S4\nproject_id =\n",
]

BROKEN = [
    "[global]\nak = A\nsk = S\n",         # no [basic]
    "[basic]\nak = A\n",                   # no sk
]


@pytest.mark.parametrize("text", PROFILES)
def test_profile_reads_like_the_official_sdk(clean_env, tmp_path, text):
    path = tmp_path / "credentials"
    path.write_text(text, encoding="utf-8")
    clean_env.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(path))
    theirs = ProfileCredentialProvider.get_basic_credential_profile_provider().get_credentials()
    found = ours({"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)})
    assert found is not None
    assert found["provider"] == "profile"
    assert found["ak"] == theirs.ak
    assert found["sk"] == theirs.sk
    assert found["security_token"] == (theirs.security_token or None)
    assert found["project_id"] == (theirs.project_id or None)
    assert found["iam_endpoint"] == (theirs.iam_endpoint or None)


def test_profile_in_the_home_directory(clean_env, tmp_path):
    home = tmp_path / "home"
    (home / ".huaweicloud").mkdir(parents=True)
    (home / ".huaweicloud" / "credentials").write_text("[basic]\nak = AKHOME\nsk = SKHOME\n")
    theirs = ProfileCredentialProvider.get_basic_credential_profile_provider().get_credentials()
    found = ours({"HOME": str(home)})
    assert (found["ak"], found["sk"]) == (theirs.ak, theirs.sk) == ("AKHOME", "SKHOME")


@pytest.mark.parametrize("text", BROKEN)
def test_profile_refuses_what_the_official_sdk_refuses(clean_env, tmp_path, text):
    path = tmp_path / "credentials"
    path.write_text(text, encoding="utf-8")
    clean_env.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(path))
    with pytest.raises(Exception):
        ProfileCredentialProvider.get_basic_credential_profile_provider().get_credentials()
    assert ours({"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)}) is None


def utc_seconds(python_expire_at):
    # The official SDK reads expires_at with time.mktime (local time): undo that.
    return calendar.timegm(time.localtime(python_expire_at))


@pytest.mark.parametrize("mode", ["open", "token-required"])
def test_metadata_accessor_gets_the_same_credentials(monkeypatch, mode):
    fake = Fake("--temporary-credentials-only", "--metadata", mode)
    try:
        monkeypatch.setattr(MetadataAccessor, "_METADATA_ENDPOINT", fake.url)
        theirs = MetadataAccessor().get_credential()
        found = ours({"VPCEP_METADATA_URL": fake.url})
        assert found["provider"] == "metadata"
        assert found["ak"] == theirs.access
        assert found["sk"] == theirs.secret
        assert found["security_token"] == theirs.security_token
        assert found["expires_at_unix"] == utc_seconds(theirs.expire_at)
    finally:
        fake.stop()


def test_both_list_endpoints_with_metadata_credentials(clean_env):
    fake = Fake(
        "--temporary-credentials-only",
        "--generate", "120", "--seed", "5",
        "--project-id", PROJECT, "--project-scoped",
        "--iam-project", f"{REGION}={PROJECT}",
    )
    try:
        clean_env.setattr(MetadataAccessor, "_METADATA_ENDPOINT", fake.url)
        clean_env.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", fake.url)
        config = HttpConfig.get_default_config()
        config.timeout = (5, 30)
        # No credentials: the SDK's default chain ends at the metadata service; no
        # project ID: the SDK asks IAM for the region's.
        client = (
            VpcepClient.new_builder()
            .with_http_config(config)
            .with_region(Region(REGION, fake.url))
            .build()
        )
        theirs, offset = [], 0
        while True:
            page = client.list_endpoints(ListEndpointsRequest(limit=50, offset=offset))
            theirs += [e.id for e in page.endpoints]
            offset += 50
            if offset >= page.total_count:
                break
        assert len(theirs) == 120

        env = {
            "HOME": "/nonexistent-home",
            "VPCEP_METADATA_URL": fake.url,
            "HUAWEICLOUD_SDK_IAM_ENDPOINT": fake.url,
        }
        out = subprocess.run(
            [binary("VPCEP_BIN", "vpcep"), "--region", REGION, "--endpoint-url", fake.url,
             "endpoints", "list", "--all", "--output", "ids"],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == theirs
    finally:
        fake.stop()
