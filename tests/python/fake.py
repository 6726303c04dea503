"""vpcep-fake as a process, for the Python tests (one copy, imported by each test module).

Binaries come from an environment variable (set by .ci/fake.sh) or, by default,
$CARGO_TARGET_DIR/release (else target/release) of this workspace.
"""

import os
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def binary(env_name, name):
    """The path of binary `name`: $env_name, else the workspace's release build."""
    default = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / name
    path = Path(os.environ.get(env_name, default))
    if not path.exists():
        pytest.fail(f"{path} not found: run cargo build --release first (see .ci/fake.sh)")
    return str(path)


class Fake:
    """A vpcep-fake process on 127.0.0.1:0 with these extra arguments; reads
    `listening on URL` from its stdout (bounded wait) into `url`. Call `stop()`."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [binary("VPCEP_FAKE_BIN", "vpcep-fake"), "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=30)
        if not line or not line[0].startswith("listening on http://"):
            self.stop()
            raise RuntimeError(f"fake did not start: {line!r}")
        self.url = line[0].split("listening on ", 1)[1].strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
